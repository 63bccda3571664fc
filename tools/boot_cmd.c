/*
 * `brownout boot DEVICE_FILE [--strategy S | --plugin P [--option K=V]...] [--key KEY.pem]
 *                            [--trace] [--confirm] [--out FILE | --dry-run]`
 *
 * Powers a saved device (a device file from `sweep --save-flash`, `run --save-flash` or a
 * `brownout mount --rw` session) on once with core/boot or a firmware plug-in, prints the bootloader's decision
 * and saves the flash it leaves (atomically, over DEVICE_FILE unless --out or --dry-run),
 * so a failure can be followed boot by boot.
 * Exit codes: 0 something booted, 1 nothing bootable or a flash rule broken, 2 bad input.
 */
#include <stdio.h>
#include <string.h>

#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/device_boot.h"
#include "tools/device_boot_plugin.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: brownout boot DEVICE_FILE [options]\n\n"
		"Power the saved device on once with the bootloader, print its decision and save\n"
		"the flash it leaves back into DEVICE_FILE (atomically).\n\n"
		"options:\n"
		"  --strategy S   overwrite | swap-scratch | swap-move | recovery |\n"
		"                 swap-scratch+recovery (default: the one the file's note names)\n"
		"  --plugin P     boot with this firmware plug-in (a shared object implementing\n"
		"                 include/brownout/firmware.h) instead of core/boot\n"
		"  --option K=V   an option for the plug-in's configure() (repeatable)\n"
		"  --key FILE     trust this PEM key's public key instead of the sweeps' built-in\n"
		"                 test key (bo_signkey_from_seed(1), which signs sweep images)\n"
		"  --attempts N   trial boots before recovery (default 3)\n"
		"  --allow-downgrade  accept an upgrade older than the primary\n"
		"  --confirm      then let the booted image confirm itself (bo_app_confirm)\n"
		"  --trace        print every program and erase of the boot\n"
		"  --out FILE     save the result there instead of over DEVICE_FILE\n"
		"  --dry-run      save nothing\n\n"
		"exit codes: 0 an image booted, 1 nothing bootable or a flash rule broken,\n"
		"2 bad input or usage\n");
}

static int bad(const char *msg, const char *arg)
{
	fprintf(stderr, "brownout boot: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
	return EXIT_USAGE;
}

int cmd_boot(int argc, char **argv)
{
	const char *file = NULL, *out = NULL, *strategy = NULL, *plugin = NULL;
	struct device_boot_opts o = {0};
	struct bro_option popts[32];
	char pbuf[32][128];
	unsigned npopts = 0;
	bool dry = false, confirm = false, trace = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--strategy") && has_value) {
			strategy = argv[++i];
		} else if (!strcmp(a, "--plugin") && has_value) {
			plugin = argv[++i];
		} else if (!strcmp(a, "--option") && has_value) {
			const char *kv = argv[++i], *eq = strchr(kv, '=');
			if (!eq || eq == kv || npopts == 32 || strlen(kv) >= sizeof pbuf[0])
				return bad("--option takes KEY=VALUE (at most 32)", kv);
			snprintf(pbuf[npopts], sizeof pbuf[npopts], "%s", kv);
			pbuf[npopts][eq - kv] = '\0';
			popts[npopts] = (struct bro_option){pbuf[npopts], pbuf[npopts] + (eq - kv) + 1};
			npopts++;
		} else if (!strcmp(a, "--key") && has_value) {
			o.key_pem = argv[++i];
		} else if (!strcmp(a, "--attempts") && has_value) {
			unsigned long n;
			if (cli_parse_uint(argv[++i], 255, &n) || n == 0)
				return bad("--attempts takes 1 to 255", NULL);
			o.attempts = (unsigned)n;
		} else if (!strcmp(a, "--allow-downgrade")) {
			o.allow_downgrade = true;
		} else if (!strcmp(a, "--confirm")) {
			confirm = true;
		} else if (!strcmp(a, "--trace")) {
			trace = true;
		} else if (!strcmp(a, "--out") && has_value) {
			out = argv[++i];
		} else if (!strcmp(a, "--dry-run")) {
			dry = true;
		} else if (a[0] == '-' || file) {
			return cli_bad_argument("boot", a);
		} else {
			file = a;
		}
	}
	if (!file) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (dry && out)
		return bad("--out and --dry-run exclude each other", NULL);

	char err[400], note[FSIM_NOTE_MAX];
	struct fsim_device *dev = fsim_load_with_note(file, note, sizeof note, err, sizeof err);
	if (!dev)
		return bad(err, NULL);
	int rc = EXIT_USAGE;
	if (plugin) {
		if (strategy) {
			bad("--strategy is core/boot's; a plug-in takes --option", NULL);
			goto out;
		}
		printf("%s: %s: ", file, plugin);
		int prc = device_boot_plugin(dev, plugin, popts, npopts, confirm, stdout, err,
					     sizeof err);
		if (prc < 0) {
			printf("\n");
			fprintf(stderr, "brownout boot: %s\n", err);
			goto out;
		}
		if (!dry) {
			char pnote[FSIM_NOTE_MAX];
			snprintf(pnote, sizeof pnote, "firmware=%s after brownout boot", plugin);
			if (fsim_save_with_note(dev, out ? out : file, pnote, err, sizeof err)) {
				fprintf(stderr, "brownout boot: %s\n", err);
				goto out;
			}
			printf("  saved: %s\n", out ? out : file);
		}
		rc = prc || fsim_violation_count(dev) ? EXIT_FAILED : EXIT_OK;
		goto out;
	}
	if (npopts) {
		bad("--option goes with --plugin", NULL);
		goto out;
	}
	if (strategy ? device_strategy_parse(strategy, &o.strategy)
		     : device_strategy_from_note(note, &o.strategy)) {
		if (strategy)
			bad("unknown strategy (overwrite, swap-scratch, swap-move, recovery, "
			    "swap-scratch+recovery)", strategy);
		else
			fprintf(stderr, "brownout boot: %s does not name its strategy: pass "
				"--strategy S\n", file);
		goto out;
	}
	o.trace = trace ? stdout : NULL;
	struct bo_boot_result res;
	if (device_boot_once(dev, &o, &res, err, sizeof err)) {
		fprintf(stderr, "brownout boot: %s: %s\n", file, err);
		goto out;
	}
	printf("%s: %s: ", file, bo_strategy_name(o.strategy));
	device_boot_describe(stdout, &res);
	printf("\n");
	size_t viol = fsim_violation_count(dev);
	for (size_t i = 0; i < viol && fsim_violation_at(dev, i); i++) {
		const struct fsim_violation *v = fsim_violation_at(dev, i);
		printf("  violation: %s at 0x%06x\n", fsim_violation_name(v->kind), v->addr);
	}
	/* The boot's own violations only: a loaded device starts with none recorded. */
	bool failed = res.slot == BO_SLOT_NONE || viol > 0;
	if (confirm && res.slot != BO_SLOT_NONE) {
		/* The booted application's view: the partitions and keys of this boot again. */
		if (device_app_confirm(dev, &o, err, sizeof err)) {
			fprintf(stderr, "brownout boot: --confirm: %s\n", err);
			failed = true;
		} else {
			printf("  confirmed by the application\n");
		}
	}
	if (!dry) {
		char newnote[FSIM_NOTE_MAX];
		device_note(newnote, sizeof newnote, o.strategy, "after brownout boot");
		if (fsim_save_with_note(dev, out ? out : file, newnote, err, sizeof err)) {
			fprintf(stderr, "brownout boot: %s\n", err);
			goto out;
		}
		printf("  saved: %s\n", out ? out : file);
	}
	rc = failed ? EXIT_FAILED : EXIT_OK;
out:
	fsim_destroy(dev);
	return rc;
}
