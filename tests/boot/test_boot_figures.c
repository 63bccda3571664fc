/*
 * tests/boot/test_boot_figures.c: what a permanent upgrade costs, per strategy, on nrf52840
 * (4 KiB sectors, write unit 4) for an image of N full sectors over an image of N sectors,
 * next to MCUboot's measured figures (docs/reference/image-format.md; 4 KiB sectors,
 * w = 8). Counts the flash operations of the boot that installs (the download and the
 * request are the application's). Prints a table; fails only if an upgrade fails.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/boot/boot_harness.h"

struct mcuboot_fig {
	const char *name;
	unsigned ops_a, ops_b, er_a, er_b; /* ops = a N + b, erases = a N + b */
};

/* MCUboot's figure for the strategy ours compares with. */
static struct mcuboot_fig mcuboot_for(enum bo_strategy s)
{
	switch (s) {
	case BO_STRATEGY_SWAP_SCRATCH:
	case BO_STRATEGY_SWAP_SCRATCH_RECOVERY:
		return (struct mcuboot_fig){"swap-scratch", 18, 12, 3, 3};
	case BO_STRATEGY_SWAP_MOVE:
		return (struct mcuboot_fig){"swap-move", 18, 7, 3, 2};
	default:
		return (struct mcuboot_fig){"overwrite-only", 5, 4, 1, 3};
	}
}

static int measure(enum bo_strategy s, unsigned n, struct fsim_stats *out)
{
	struct bh h;
	struct bh_img v1, v2;
	int rc = 0;
	if (bh_setup(&h, &bh_nrf52840, s) != BO_BOOT_OK) {
		fprintf(stderr, "%s: configuration refused: %s\n", bo_strategy_name(s),
			h.config_error);
		bh_teardown(&h);
		return -1;
	}
	bh_image_total(&h, &v1, 1, 1, 0, (size_t)n * 4096, -1);
	bh_image_total(&h, &v2, 2, 2, 0, (size_t)n * 4096, -1);
	bh_factory(&h, &v1, NULL);
	if (bh_download_request(&h, &v2, true)) {
		fprintf(stderr, "%s N=%u: download/request failed\n", bo_strategy_name(s), n);
		rc = -1;
		goto out;
	}
	fsim_reset_stats(h.dev);
	if (bh_boot(&h) || h.res.action != BO_ACT_INSTALLED || !bh_running(&h, &v2) ||
	    fsim_violation_count(h.dev)) {
		fprintf(stderr, "%s N=%u: upgrade failed (action %s, slot %d)\n",
			bo_strategy_name(s), n, bo_boot_action_name(h.res.action), h.res.slot);
		rc = -1;
		goto out;
	}
	fsim_get_stats(h.dev, out);
	/* And it stays. */
	if (bh_boot(&h) || h.res.action != BO_ACT_NONE || !bh_running(&h, &v2)) {
		fprintf(stderr, "%s N=%u: not stable after the upgrade\n", bo_strategy_name(s), n);
		rc = -1;
	}
out:
	bh_img_free(&v1);
	bh_img_free(&v2);
	bh_teardown(&h);
	return rc;
}

int main(void)
{
	static const unsigned sizes[] = {8, 32, 100};
	int failed = 0;
	printf("Permanent upgrade, nrf52840 (4 KiB sectors, w = 4), image of N sectors over N "
	       "sectors; the installing boot only.\n");
	printf("%-22s %4s | %6s %6s %6s %8s | %-14s %6s %6s %6s\n", "strategy", "N", "ops",
	       "ops/N", "erases", "busy s", "MCUboot", "ops", "ops/N", "erases");
	for (int s = 0; s <= BO_STRATEGY_SWAP_SCRATCH_RECOVERY; s++) {
		long long ops[3] = {0}, ers[3] = {0};
		bool all = true;
		for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
			unsigned n = sizes[i];
			struct fsim_stats st;
			struct mcuboot_fig m = mcuboot_for((enum bo_strategy)s);
			if (measure((enum bo_strategy)s, n, &st)) {
				failed = 1;
				all = false;
				continue;
			}
			ops[i] = (long long)st.mutating_ops;
			ers[i] = (long long)st.erase_ops;
			unsigned mops = m.ops_a * n + m.ops_b;
			printf("%-22s %4u | %6llu %6.2f %6llu %8.2f | %-14s %6u %6.2f %6u\n",
			       bo_strategy_name((enum bo_strategy)s), n,
			       (unsigned long long)st.mutating_ops, (double)st.mutating_ops / n,
			       (unsigned long long)st.erase_ops, (double)st.busy_ns / 1e9, m.name, mops,
			       (double)mops / n, m.er_a * n + m.er_b);
		}
		/* The linear law through the first and last sizes, checked on the middle one. */
		long long n0 = sizes[0], n2 = sizes[2], n1 = sizes[1];
		long long a = (ops[2] - ops[0]) / (n2 - n0), b = ops[0] - a * n0;
		long long c = (ers[2] - ers[0]) / (n2 - n0), d = ers[0] - c * n0;
		if (all)
			printf("%-22s      = %lldN%+lld ops, %lldN%+lld erases%s\n", "", a, b, c, d,
			       a * n1 + b == ops[1] && c * n1 + d == ers[1] ? ""
									    : " (not linear)");
	}
	return failed;
}
