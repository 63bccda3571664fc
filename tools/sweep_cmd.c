/*
 * `brownout sweep SWEEP.yaml [--db FILE] [--depth N] [--jobs N] [--repro ID [--trace]
 *                            [--save-flash OUT] [--save-flash-end OUT]] [--shard K/N] [--no-db]`
 *
 * Runs the file's workload under every power cut its `cuts:` ask for, prints a summary
 * line and a repro ID for each failure, and records the sweep in the outcome database.
 * Exit codes: 0 every invariant held, 1 a failure, 2 bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/db.h"
#include "sim/sweep_build.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/device_boot.h"

#ifndef BROWNOUT_VERSION
#define BROWNOUT_VERSION "dev"
#endif

static void usage(FILE *out)
{
	fprintf(out,
		"usage: brownout sweep SWEEP.yaml [options]\n\n"
		"Cut power at every flash operation of the file's update workload (and inside\n"
		"each one: torn writes, interrupted erases), reboot, and check that the device\n"
		"never bricks, never runs a hybrid image, converges, keeps NOR discipline and\n"
		"wear bounds.\n\n"
		"options:\n"
		"  --db FILE      outcome database (default brownout.db)\n"
		"  --no-db        do not record the sweep\n"
		"  --depth N      nested cuts (overrides the file's cuts.depth)\n"
		"  --metastable   torn cells read unstably until erased (overrides the file)\n"
		"  --jobs N       threads (default: 1; results are identical for any N)\n"
		"  --shard K/N    run only the K-th of N slices of the cut points (0 <= K < N)\n"
		"  --repro ID     replay one failing case (the ID a failure printed)\n"
		"  --trace        with --repro: print every flash operation and boot decision\n"
		"  --save-flash OUT      with --repro: save the device just after the (last) cut,\n"
		"                        before the power-on, as a device file (brownout mount,\n"
		"                        brownout boot)\n"
		"  --save-flash-end OUT  with --repro: save it at the end of the continuation\n\n"
		"exit codes: 0 all invariants held, 1 a failure, 2 bad input or usage\n");
}

static void print_summary(const struct bo_sweep *s, const struct sweep_options *o,
			  const struct sweep_result *r)
{
	uint64_t failed = sweep_total_failures(r);
	printf("sweep %s: %s on %s, depth %u, %s%s%s: %llu ops, %llu cut points, %llu distinct "
	       "states, %llu failures",
	       s->name, sweep_firmware_label(s), s->preset, o->depth,
	       o->between ? "between" : "", o->between && o->torn ? "+" : "", o->torn ? "torn" : "",
	       (unsigned long long)r->workload_ops, (unsigned long long)r->cut_points,
	       (unsigned long long)r->distinct_states, (unsigned long long)failed);
	if (failed) {
		printf(" (");
		const char *sep = "";
		for (int i = 1; i < SWEEP_INVARIANTS; i++) {
			if (r->failures[i]) {
				printf("%s%s: %llu", sep, sweep_invariant_name(i),
				       (unsigned long long)r->failures[i]);
				sep = ", ";
			}
		}
		printf(")");
	}
	printf(", %llu false positives (I6), %.1f s\n", (unsigned long long)r->false_positives,
	       r->wall_s);
	for (size_t i = 0; i < r->nkept; i++)
		printf("  FAIL %s  %s: %s\n    replay: brownout sweep %s --repro %s --trace\n",
		       r->kept[i].repro, sweep_invariant_name(r->kept[i].inv), r->kept[i].detail,
		       s->file, r->kept[i].repro);
	if (failed > r->nkept)
		printf("  ... and %llu more\n", (unsigned long long)(failed - r->nkept));
}

/* --save-flash / --save-flash-end: the replay hands over the device at the cut and at the
 * end; each is written as a device file whose note names the strategy and the case. */
struct save_flash {
	const char *cut_path, *end_path;
	const struct bo_sweep *s;
	const char *repro;
	bool failed, saved_cut, saved_end;
};

static void save_flash_state(void *ctx, const struct fsim_device *dev, const char *when)
{
	struct save_flash *sf = ctx;
	const char *path = !strcmp(when, "cut") ? sf->cut_path : sf->end_path;
	if (!path)
		return;
	char origin[200], note[FSIM_NOTE_MAX], err[400];
	snprintf(origin, sizeof origin, "preset=%s sweep=%s repro=%s at=%s", sf->s->preset,
		 sf->s->name, sf->repro, when);
	device_note(note, sizeof note, (enum bo_strategy)sf->s->strategy, origin);
	if (fsim_save_with_note(dev, path, note, err, sizeof err)) {
		fprintf(stderr, "brownout sweep: --save-flash: %s\n", err);
		sf->failed = true;
		return;
	}
	printf("  saved the flash %s: %s\n", !strcmp(when, "cut") ? "at the cut" : "at the end",
	       path);
	if (!strcmp(when, "cut"))
		sf->saved_cut = true;
	else
		sf->saved_end = true;
}

static int record(const char *db_path, const struct bo_sweep *s, const struct sweep_options *o,
		  const struct sweep_result *r, const char *shard)
{
	char err[300], hash[65] = "";
	if (cli_file_sha256(s->file, hash))
		snprintf(hash, sizeof hash, "unreadable");
	sqlite3 *db = bo_db_open(db_path, err, sizeof err);
	if (!db) {
		fprintf(stderr, "brownout sweep: %s\n", err);
		return -1;
	}
	struct bo_db_sweep row = {
		.name = s->name, .file = s->file, .file_hash = hash,
		.strategy = sweep_firmware_label(s), .preset = s->preset,
		.modes = o->between && o->torn ? "between,torn" : o->torn ? "torn" : "between",
		.shard = shard, .tool_version = BROWNOUT_VERSION, .depth = (int)o->depth,
		.metastable = o->metastable, .wall_s = r->wall_s,
		.baseline_busy_ms = r->baseline_busy_ns / 1e6,
		.workload_ops = (int64_t)r->workload_ops, .cut_points = (int64_t)r->cut_points,
		.distinct_states = (int64_t)r->distinct_states,
		.failures = (int64_t)sweep_total_failures(r),
		.i1 = (int64_t)r->failures[SWEEP_I1_BRICKED], .i2 = (int64_t)r->failures[SWEEP_I2_HYBRID],
		.i3 = (int64_t)r->failures[SWEEP_I3_CONVERGE], .i4 = (int64_t)r->failures[SWEEP_I4_FLASH],
		.i5 = (int64_t)r->failures[SWEEP_I5_WEAR],
		.baseline_failed = (int64_t)r->failures[SWEEP_BASELINE],
		.i6 = (int64_t)r->false_positives, .wear_bound = r->wear_bound,
	};
	struct bo_db_failure *f = calloc(r->nkept + 1, sizeof *f);
	for (size_t i = 0; i < r->nkept; i++)
		f[i] = (struct bo_db_failure){r->kept[i].repro, sweep_invariant_name(r->kept[i].inv),
					      r->kept[i].detail};
	int64_t id = bo_db_add_sweep(db, &row, f, r->nkept, err, sizeof err);
	free(f);
	bo_db_close(db);
	if (id < 0) {
		fprintf(stderr, "brownout sweep: %s: %s\n", db_path, err);
		return -1;
	}
	return 0;
}

int cmd_sweep(int argc, char **argv)
{
	const char *file = NULL, *db_path = CLI_DEFAULT_DB, *repro = NULL, *shard = NULL;
	const char *save_cut = NULL, *save_end = NULL;
	bool trace = false, no_db = false, metastable = false;
	unsigned long depth = 0, jobs = 1, shard_k = 0, shard_n = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--db") && has_value) {
			db_path = argv[++i];
		} else if (!strcmp(a, "--metastable")) {
			metastable = true;
		} else if (!strcmp(a, "--no-db")) {
			no_db = true;
		} else if (!strcmp(a, "--depth") && has_value) {
			if (cli_parse_uint(argv[++i], 4, &depth) || depth == 0) {
				fprintf(stderr, "brownout sweep: --depth takes 1 to 4\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--jobs") && has_value) {
			if (cli_parse_uint(argv[++i], 256, &jobs) || jobs == 0) {
				fprintf(stderr, "brownout sweep: --jobs takes 1 to 256\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--shard") && has_value) {
			shard = argv[++i];
			if (cli_parse_shard(shard, &shard_k, &shard_n) || shard_k >= shard_n) {
				fprintf(stderr, "brownout sweep: --shard takes K/N with 0 <= K < N\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(a, "--repro") && has_value) {
			repro = argv[++i];
		} else if (!strcmp(a, "--trace")) {
			trace = true;
		} else if (!strcmp(a, "--save-flash") && has_value) {
			save_cut = argv[++i];
		} else if (!strcmp(a, "--save-flash-end") && has_value) {
			save_end = argv[++i];
		} else if (a[0] == '-' || file) {
			fprintf(stderr, "brownout sweep: unexpected argument '%s'\n", a);
			usage(stderr);
			return EXIT_USAGE;
		} else {
			file = a;
		}
	}
	if (!file) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((trace || save_cut || save_end) && !repro) {
		fprintf(stderr, "brownout sweep: --trace and --save-flash go with --repro ID\n");
		return EXIT_USAGE;
	}

	char err[BO_SWEEP_ERRLEN];
	struct bo_sweep *s;
	if (bo_sweep_load_file(file, &s, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	struct sweep_build b;
	if (sweep_build(s, &b, err, sizeof err)) {
		fprintf(stderr, "brownout sweep: %s\n", err);
		bo_sweep_free(s);
		return EXIT_USAGE;
	}
	if (sweep_build_check_firmware(s, &b, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		sweep_build_free(&b);
		bo_sweep_free(s);
		return EXIT_USAGE;
	}
	struct sweep_options o;
	sweep_build_options(s, &o);
	if (depth)
		o.depth = (uint32_t)depth;
	if (metastable)
		o.metastable = true;
	o.jobs = (unsigned)jobs;
	o.shard_k = (unsigned)shard_k;
	o.shard_n = (unsigned)shard_n;

	struct sweep_result r;
	int rc;
	struct save_flash sf = {save_cut, save_end, s, repro, false, false, false};
	if (save_cut || save_end) {
		o.on_replay_state = save_flash_state;
		o.on_replay_ctx = &sf;
	}
	if (repro) {
		if (sweep_replay(&b.w, &o, repro, trace, &r, err, sizeof err)) {
			fprintf(stderr, "brownout sweep: %s\n", err);
			rc = EXIT_USAGE;
		} else {
			uint64_t failed = sweep_total_failures(&r);
			printf("repro %s: %s%s%s%s\n", repro, failed ? "FAIL " : "ok",
			       failed && r.nkept ? sweep_invariant_name(r.kept[0].inv) : "",
			       failed && r.nkept ? ": " : "", failed && r.nkept ? r.kept[0].detail : "");
			if (failed && r.nkept)
				printf("  expected: %s\n  observed: %s\n", r.kept[0].expected,
				       r.kept[0].observed);
			if (r.false_positives)
				printf("  (a fall-back the strategy allows: counted as an I6 false positive)\n");
			rc = failed ? EXIT_FAILED : EXIT_OK;
			if ((save_cut && !sf.saved_cut) || (save_end && !sf.saved_end))
				fprintf(stderr, "brownout sweep: the replay did not reach %s: %s not "
					"written\n", save_cut && !sf.saved_cut ? "the cut" : "the end",
					save_cut && !sf.saved_cut ? save_cut : save_end);
			if (sf.failed)
				rc = EXIT_USAGE;
		}
	} else if (sweep_run(&b.w, &o, &r, err, sizeof err)) {
		fprintf(stderr, "brownout sweep: %s\n", err);
		rc = EXIT_USAGE;
	} else {
		print_summary(s, &o, &r);
		rc = sweep_total_failures(&r) ? EXIT_FAILED : EXIT_OK;
		if (!no_db && record(db_path, s, &o, &r, shard))
			rc = EXIT_USAGE;
	}
	sweep_result_free(&r);
	sweep_build_free(&b);
	bo_sweep_free(s);
	return rc;
}
