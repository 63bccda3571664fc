/*
 * `brownout sweep SWEEP.yaml [--db FILE] [--depth N] [--jobs N] [--repro ID [--trace]
 *                            [--save-flash OUT] [--save-flash-end OUT]] [--shard K/N|auto]
 *                            [--no-db]`
 *
 * Runs the file's workload under every power cut its `cuts:` ask for, prints a summary
 * line and a repro ID for each failure, and records the sweep in the outcome database.
 * Exit codes: 0 every invariant held, 1 a failure, 2 bad input.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

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
		"  --shard K/N    run only the K-th of N slices of the cut points (0 <= K < N);\n"
		"                 auto: from a Slurm job array (SLURM_ARRAY_TASK_ID, _COUNT) or a\n"
		"                 Kubernetes Indexed Job (JOB_COMPLETION_INDEX, BROWNOUT_SHARD_COUNT)\n"
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
	char modes[160];
	sweep_modes_string(o, '+', modes, sizeof modes);
	printf("sweep %s: %s on %s, depth %u, %s: %llu ops, %llu cut points, %llu distinct "
	       "states, %llu failures",
	       s->name, sweep_firmware_label(s), s->device.label, o->depth, modes,
	       (unsigned long long)r->workload_ops, (unsigned long long)r->cut_points,
	       (unsigned long long)r->distinct_states, (unsigned long long)failed);
	if (r->fault_points)
		printf(" (%llu of the cut points are flash errors)", (unsigned long long)r->fault_points);
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

/* "I1 never bricked,I3 converges": every invariant of a cut's mask (the first one alone
 * when the engine left the mask empty). */
static void invariant_list(const struct sweep_failure *f, char *out, size_t n)
{
	size_t len = 0;
	out[0] = 0;
	uint32_t mask = f->inv_mask ? f->inv_mask : 1u << f->inv;
	for (int i = 1; i < SWEEP_INVARIANTS && len < n; i++)
		if (mask & (1u << i))
			len += (size_t)snprintf(out + len, n - len, "%s%s", len ? "," : "",
						sweep_invariant_name(i));
}

/* One kept failure as a row. expected and observed are copied (NUL-terminated within their
 * arrays whatever the engine left in them) into buf: 2 x 96 bytes. */
static struct bo_db_failure db_failure(const struct sweep_failure *f, char *inv, size_t invlen,
				       char *buf)
{
	if (inv)
		invariant_list(f, inv, invlen);
	snprintf(buf, 96, "%.*s", (int)sizeof f->expected - 1, f->expected);
	snprintf(buf + 96, 96, "%.*s", (int)sizeof f->observed - 1, f->observed);
	return (struct bo_db_failure){
		.repro = f->repro, .invariant = sweep_invariant_name(f->inv), .detail = f->detail,
		.invariants = inv, .expected = buf[0] ? buf : NULL,
		.observed = buf[96] ? buf + 96 : NULL,
		.op_index = f->op_index <= INT64_MAX ? (int64_t)f->op_index : -1,
	};
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
	char origin[400], note[FSIM_NOTE_MAX], err[400];
	snprintf(origin, sizeof origin, "preset=%s sweep=%s repro=%s at=%s", sf->s->device.label,
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

/* The progress line on a terminal: states checked of the total, failures so far, and the
 * time left at the rate so far. Cleared when the sweep ends. */
static void show_progress(void *ctx, uint64_t done, uint64_t total, uint64_t failures,
			  double elapsed_s)
{
	(void)ctx;
	if (done >= total) {
		fprintf(stderr, "\r\033[K");
		return;
	}
	double left = done ? elapsed_s * (double)(total - done) / (double)done : 0;
	fprintf(stderr, "\r\033[Ksweep: %llu/%llu states (%.0f%%), %llu failing cut points, ",
		(unsigned long long)done, (unsigned long long)total,
		100.0 * (double)done / (double)total, (unsigned long long)failures);
	if (done)
		fprintf(stderr, "about %.0f s left", left);
	else
		fprintf(stderr, "estimating");
}

static int record(sqlite3 *db, const char *db_path, const struct bo_sweep *s,
		  const struct sweep_options *o, const struct sweep_result *r, const char *shard)
{
	char err[300], hash[65] = "";
	if (cli_file_sha256(s->file, hash))
		snprintf(hash, sizeof hash, "unreadable");
	uint64_t total = sweep_total_failures(r);
	char modes[160];
	sweep_modes_string(o, ',', modes, sizeof modes);
	struct bo_db_sweep row = {
		.name = s->name, .file = s->file, .file_hash = hash,
		.strategy = sweep_firmware_label(s), .preset = s->device.label,
		.modes = modes,
		.shard = shard, .tool_version = BROWNOUT_VERSION, .depth = (int)o->depth,
		.metastable = o->metastable, .wall_s = r->wall_s,
		.baseline_busy_ms = r->baseline_busy_ns / 1e6,
		.workload_ops = (int64_t)r->workload_ops, .cut_points = (int64_t)r->cut_points,
		.distinct_states = (int64_t)r->distinct_states,
		.failures = (int64_t)total,
		.i1 = (int64_t)r->failures[SWEEP_I1_BRICKED], .i2 = (int64_t)r->failures[SWEEP_I2_HYBRID],
		.i3 = (int64_t)r->failures[SWEEP_I3_CONVERGE], .i4 = (int64_t)r->failures[SWEEP_I4_FLASH],
		.i5 = (int64_t)r->failures[SWEEP_I5_WEAR],
		.baseline_failed = (int64_t)r->failures[SWEEP_BASELINE],
		.fw_abort = (int64_t)r->failures[SWEEP_FW_ABORT],
		.app_error = (int64_t)r->failures[SWEEP_APP_ERROR],
		/* an engine that does not count failing cuts yet leaves 0 with failures: unknown */
		.failing_cuts = r->failing_cuts || !total ? (int64_t)r->failing_cuts : -1,
		.i6 = (int64_t)r->false_positives, .wear_bound = r->wear_bound,
		.sector_max_erases = r->sector_max_erases,
		.nsectors = r->sector_max_erases ? r->nsectors : 0,
	};
	enum { INVLEN = 160 };
	struct bo_db_failure *f = calloc(r->nkept + 1, sizeof *f);
	struct bo_db_failure *fp = calloc(r->nfp_kept + 1, sizeof *fp);
	char *inv = calloc(r->nkept + 1, INVLEN);
	char *states = calloc(r->nkept + r->nfp_kept + 1, 2 * 96);
	struct bo_db_op_failure *per_op = calloc(r->nper_op * SWEEP_INVARIANTS + 1, sizeof *per_op);
	int64_t id = -1;
	if (!f || !fp || !inv || !per_op || !states) {
		snprintf(err, sizeof err, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r->nkept; i++)
		f[i] = db_failure(&r->kept[i], inv + i * INVLEN, INVLEN, states + i * 2 * 96);
	for (size_t i = 0; i < r->nfp_kept; i++)
		fp[i] = db_failure(&r->fp_kept[i], NULL, 0, states + (r->nkept + i) * 2 * 96);
	size_t nop = 0;
	for (size_t i = 0; i < r->nper_op; i++)
		for (int k = 1; k < SWEEP_INVARIANTS; k++)
			if (r->per_op[i].count[k])
				per_op[nop++] = (struct bo_db_op_failure){
					(int64_t)r->per_op[i].op_index, sweep_invariant_name(k),
					(int64_t)r->per_op[i].count[k]};
	row.false_positives = fp;
	row.nfalse_positives = r->nfp_kept;
	row.per_op = per_op;
	row.nper_op = nop;
	id = bo_db_add_sweep(db, &row, f, r->nkept, err, sizeof err);
out:
	free(f);
	free(fp);
	free(inv);
	free(states);
	free(per_op);
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
	char shard_buf[48];
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--db") && has_value) {
			db_path = argv[++i];
			if (!*db_path) {
				fprintf(stderr, "brownout sweep: --db takes a file name (--no-db records "
					"nothing)\n");
				return EXIT_USAGE;
			}
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
			char serr[300];
			if (!strcmp(argv[++i], "auto")) {
				if (cli_shard_auto(&shard_k, &shard_n, serr, sizeof serr)) {
					fprintf(stderr, "brownout sweep: %s\n", serr);
					return EXIT_USAGE;
				}
			} else if (cli_parse_shard(argv[i], &shard_k, &shard_n) || shard_k >= shard_n) {
				fprintf(stderr, "brownout sweep: --shard takes K/N with 0 <= K < N, or auto\n");
				return EXIT_USAGE;
			}
			snprintf(shard_buf, sizeof shard_buf, "%lu/%lu", shard_k, shard_n);
			shard = shard_buf;
		} else if (!strcmp(a, "--repro") && has_value) {
			repro = argv[++i];
		} else if (!strcmp(a, "--trace")) {
			trace = true;
		} else if (!strcmp(a, "--save-flash") && has_value) {
			save_cut = argv[++i];
		} else if (!strcmp(a, "--save-flash-end") && has_value) {
			save_end = argv[++i];
		} else if (a[0] == '-' || file) {
			return cli_bad_argument("sweep", a);
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
	if (isatty(STDERR_FILENO))
		o.on_progress = show_progress; /* nothing extra when not a terminal */
	o.shard_k = (unsigned)shard_k;
	o.shard_n = (unsigned)shard_n;

	struct sweep_result r;
	sqlite3 *db = NULL;
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
	} else if (!no_db && !(db = bo_db_open(db_path, err, sizeof err))) {
		/* checked before the sweep runs: a bad --db must not cost a whole sweep */
		fprintf(stderr, "brownout sweep: %s\n", err);
		memset(&r, 0, sizeof r);
		rc = EXIT_USAGE;
	} else if (sweep_run(&b.w, &o, &r, err, sizeof err)) {
		fprintf(stderr, "brownout sweep: %s\n", err);
		rc = EXIT_USAGE;
	} else {
		print_summary(s, &o, &r);
		rc = sweep_total_failures(&r) ? EXIT_FAILED : EXIT_OK;
		if (db && record(db, db_path, s, &o, &r, shard))
			rc = EXIT_USAGE;
	}
	if (db)
		bo_db_close(db);
	sweep_result_free(&r);
	sweep_build_free(&b);
	bo_sweep_free(s);
	return rc;
}
