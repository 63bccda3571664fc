/*
 * tests/fuzz/fuzz_boot.c: booting from arbitrary flash contents, with the property of
 * issue 16 as the oracle: a device whose primary slot holds a valid image boots a valid
 * image (one of its own: v1, v2 or the recovery image) on every boot, whatever the upgrade
 * slot, scratch, recovery partition and both meta sectors hold, and the bootloader never
 * breaks a flash rule. A broken property aborts (a crash for libFuzzer, a failure for the
 * corpus replay).
 *
 * Input: byte 0 picks the strategy, byte 1 the layout (nrf52840, k64f, or nrf52840 with a
 * status partition, where swap-move, which refuses one, becomes swap-scratch), byte 2 the
 * history (bit 0: v2 was installed for real first, bit 1: v2 is downloaded into the
 * upgrade slot), then records [area, offset (2 bytes LE), length, bytes...] written over
 * the device as a programmer would: area 0 the upgrade slot's first 64 KiB (offset x 1),
 * 1 the upgrade meta sector, 2 scratch, 3 recovery, 4 the primary meta sector (the progress
 * log and the trailer; with a status partition, the trailer and maybe the image's tail),
 * 5 the status partition (the progress record; the primary meta sector without one).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/boot/boot_harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const enum bo_strategy strategies[] = {
	BO_STRATEGY_OVERWRITE, BO_STRATEGY_SWAP_SCRATCH, BO_STRATEGY_SWAP_MOVE,
	BO_STRATEGY_RECOVERY, BO_STRATEGY_SWAP_SCRATCH_RECOVERY,
};
#define NSTRAT 5
#define NLAYOUT 3

struct dev {
	struct bh h;
	struct bh_img v1, v2, rec;
	struct fsim_snapshot *fresh;
};

static struct dev *device(unsigned s, unsigned l)
{
	static struct dev *devs[NSTRAT][NLAYOUT];
	const struct bh_layout *layouts[NLAYOUT] = {&bh_nrf52840, &bh_k64f, &bh_nrf52840_status};
	struct dev *d = devs[s][l];
	if (d)
		return d;
	d = calloc(1, sizeof *d);
	if (!d || bh_setup(&d->h, layouts[l], strategies[s]) != BO_BOOT_OK)
		abort();
	bh_memo_verify(&d->h);
	bh_image(&d->h, &d->v1, 11, 1, 0, 9000, -1, false);
	bh_image(&d->h, &d->v2, 22, 2, 0, 14000, -1, false);
	bh_image(&d->h, &d->rec, 99, 0, 9, 3000, -1, false);
	bh_factory(&d->h, &d->v1, &d->rec);
	d->fresh = fsim_snapshot_take(d->h.dev);
	devs[s][l] = d;
	return d;
}

static uint32_t meta_of(struct bh *h, const char *part)
{
	const struct fsim_partition *p = bh_part(h, part);
	uint32_t start;
	if (fsim_sector_of(h->dev, p->off + p->size - 1, NULL, &start, NULL))
		abort();
	return start;
}

/* Write one record's bytes into its area, clipped to the area. */
static void apply(struct bh *h, uint8_t area, uint32_t off, const uint8_t *b, uint32_t len)
{
	static const char *const names[] = {"upgrade", "upgrade", "scratch",
					    "recovery", "primary", "status"};
	const struct fsim_partition *p = fsim_partition_find(h->dev, names[area]);
	if (!p && area == 5) {
		area = 4;
		p = fsim_partition_find(h->dev, names[area]);
	}
	if (!p)
		return;
	uint32_t base = p->off, end = p->off + p->size;
	if (area == 1 || area == 4)
		base = meta_of(h, names[area]);
	else if (p->size > 65536)
		end = p->off + 65536;
	off = base + off % (end - base);
	if (len > end - off)
		len = end - off;
	if (len && fsim_load_bytes(h->dev, off, b, len))
		abort();
}

static void check(struct dev *d, const char *when)
{
	struct bh *h = &d->h;
	bool own = bh_running(h, &d->v1) || bh_running(h, &d->v2) ||
		   (h->res.slot == BO_SLOT_RECOVERY && bh_running(h, &d->rec));
	if (h->res.error || h->res.slot == BO_SLOT_NONE || !own ||
	    fsim_violation_count(h->dev)) {
		if (fsim_violation_count(h->dev)) {
			const struct fsim_violation *v = fsim_violation_at(h->dev, 0);
			fprintf(stderr, "fuzz_boot: %s at 0x%x, op %llu\n",
				fsim_violation_name(v->kind), v->addr,
				(unsigned long long)v->op_index);
		}
		fprintf(stderr,
			"fuzz_boot: %s on %s, %s: error %d slot %d action %s refused %s, %zu "
			"violations\n",
			bo_strategy_name(h->cfg.strategy), h->layout->name, when, h->res.error,
			h->res.slot, bo_boot_action_name(h->res.action),
			bo_image_errname(h->res.refused), fsim_violation_count(h->dev));
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 3)
		return 0;
	unsigned strat = data[0] % NSTRAT, layout = data[1] % NLAYOUT;
	if (layout == 2 && strategies[strat] == BO_STRATEGY_SWAP_MOVE)
		strat = 1; /* swap-scratch: swap-move refuses a status partition */
	struct dev *d = device(strat, layout);
	struct bh *h = &d->h;
	if (fsim_snapshot_restore(h->dev, d->fresh))
		abort();
	fsim_reset_stats(h->dev);
	if (data[2] & 1) {
		if (bh_download_request(h, &d->v2, true) || bh_boot_run(h))
			abort();
		check(d, "the real install");
	}
	if ((data[2] & 2) && bh_download(h, &d->v2))
		abort();
	for (size_t i = 3; i + 4 <= size;) {
		uint8_t area = data[i] % 6;
		uint32_t off = (uint32_t)data[i + 1] | (uint32_t)data[i + 2] << 8;
		uint32_t len = data[i + 3];
		i += 4;
		if (len > size - i)
			len = (uint32_t)(size - i);
		apply(h, area, off, data + i, len);
		i += len;
	}
	for (int k = 0; k < 4; k++) {
		(void)bh_boot_run(h);
		check(d, "after the stray contents");
	}
	return 0;
}
