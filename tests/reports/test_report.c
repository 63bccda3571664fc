/* reports/report.h on databases built by hand: sweep results as the engine will fill them
 * (every broken invariant, failures per op, erases per sector, false positives), shards
 * summed, runs per scenario and seed, and the baseline comparison's verdicts. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "reports/db.h"
#include "reports/db_run.h"
#include "reports/report.h"

static char cur_path[256], base_path[256];

static void rm_db(const char *p)
{
	char x[400];
	unlink(p);
	snprintf(x, sizeof x, "%s-wal", p);
	unlink(x);
	snprintf(x, sizeof x, "%s-shm", p);
	unlink(x);
}

static int setup(void **state)
{
	(void)state;
	snprintf(cur_path, sizeof cur_path, "/tmp/brownout-test-report-%d-cur.db", (int)getpid());
	snprintf(base_path, sizeof base_path, "/tmp/brownout-test-report-%d-base.db", (int)getpid());
	rm_db(cur_path);
	rm_db(base_path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	rm_db(cur_path);
	rm_db(base_path);
	return 0;
}

/* A sweep shard as the engine reports it: `fails` failing cuts at op 3 (I1 and I3 both
 * broken) and one at op `op2` (I2), a false positive, 4 sectors. */
static void add_sweep(sqlite3 *db, const char *hash, const char *shard, int64_t cuts, int fails,
		      int64_t op2, uint32_t erase)
{
	char err[300];
	struct bo_db_failure f[2] = {
		{"t3.1", "I1 never bricked", "nothing to boot", "I1 never bricked,I3 converges",
		 "running v2", "running none", 3},
		{"b9", "I2 no hybrid", "ran bytes of no image", "I2 no hybrid", "running v2",
		 "running ?", op2},
	};
	struct bo_db_failure fp = {"b5", "", "fell back to v1", NULL, "running v2", "running v1", 5};
	struct bo_db_op_failure ops[3] = {{3, "I1 never bricked", fails},
					  {3, "I3 converges", fails},
					  {op2, "I2 no hybrid", 1}};
	uint32_t sectors[4] = {1, erase, 2, 0};
	struct bo_db_sweep s = {
		.name = "s1", .file = "s1.yaml", .file_hash = hash, .strategy = "overwrite",
		.preset = "nrf52840", .modes = "between,torn", .shard = shard, .tool_version = "t",
		.depth = 1, .workload_ops = 20, .cut_points = cuts, .distinct_states = cuts,
		.failures = 2 * fails + 1, .i1 = fails, .i3 = fails, .i2 = 1, .i6 = 1,
		.failing_cuts = fails + 1, .wear_bound = 6, .false_positives = &fp,
		.nfalse_positives = 1, .per_op = ops, .nper_op = 3, .sector_max_erases = sectors,
		.nsectors = 4,
	};
	assert_true(bo_db_add_sweep(db, &s, f, 2, err, sizeof err) > 0);
}

/* A run of scenario "sc" seed `seed` with 3 targets (node 1..3) and a distributor. */
static void add_run(sqlite3 *db, const char *hash, uint64_t seed, int bricked, int pass_conv,
		    double p95)
{
	char err[300];
	struct bo_db_run_info info = {"sc", "sc.yaml", hash, "t", seed, 1};
	struct bo_db_run *r = bo_db_run_begin(db, &info, err, sizeof err);
	assert_non_null(r);
	for (int64_t i = 0; i < 4; i++) {
		struct bo_db_node n = {
			.node = i, .role = i ? "target" : "distributor", .x = (double)i * 10,
			.boots = 1, .bricked = i == 3 && bricked, .target = i != 0,
			.converged_us = i && !(i == 3 && bricked) ? 1000000 * i : -1,
			.verdict = i ? (i == 3 && bricked ? "unbootable" : "updated") : NULL,
			.wave = i ? 0 : -1, .hops = i, .rx_start_us = i ? 500 : -1,
		};
		assert_int_equal(bo_db_run_add_node(r, &n, err, sizeof err), 0);
	}
	assert_int_equal(bo_db_run_add_expectation(r, "converged", pass_conv, "3/3", "3/3", err,
						   sizeof err), 0);
	assert_int_equal(bo_db_run_add_expectation(r, "no_bricked", !bricked, bricked ? "1" : "0",
						   "0", err, sizeof err), 0);
	assert_int_equal(bo_db_run_add_metric(r, "convergence_p95_s", p95, err, sizeof err), 0);
	assert_int_equal(bo_db_run_add_metric(r, "messages_sent", 100, err, sizeof err), 0);
	assert_int_equal(bo_db_run_finish(r, 0.1, 9000000, pass_conv && !bricked, err, sizeof err), 0);
}

static sqlite3 *open_db(const char *p)
{
	char err[300];
	sqlite3 *db = bo_db_open(p, err, sizeof err);
	assert_non_null(db);
	return db;
}

static struct rep_data load(const char *p)
{
	struct rep_data d;
	char err[300];
	const char *paths[1] = {p};
	assert_int_equal(rep_load(paths, 1, &d, err, sizeof err), 0);
	return d;
}

/* Three shards of one sweep are summed: counts, failures per op, the highest erases per
 * sector, every kept repro; an older row of a shard is left out. */
static void shards_are_summed(void **state)
{
	(void)state;
	sqlite3 *db = open_db(cur_path);
	add_sweep(db, "h", "0/3", 99, 9, 12, 1); /* replaced by the newer 0/3 below */
	add_sweep(db, "h", "0/3", 10, 2, 7, 3);
	add_sweep(db, "h", "1/3", 11, 1, 7, 5);
	add_sweep(db, "h", "2/3", 12, 0, 8, 4);
	bo_db_close(db);
	struct rep_data d = load(cur_path);
	assert_int_equal(d.nsweeps, 1);
	const struct rep_sweep *s = &d.sweeps[0];
	assert_int_equal(s->shards_have, 3);
	assert_int_equal(s->shards_n, 3);
	assert_int_equal(s->cut_points, 33);
	assert_int_equal(s->inv[REP_I1], 3);
	assert_int_equal(s->inv[REP_I2], 3);
	assert_int_equal(s->failing_cuts, 6);
	assert_int_equal(s->false_positives, 3);
	assert_int_equal(s->nfail, 6);
	assert_int_equal(s->nfp, 3);
	assert_string_equal(s->fail[0].invariants, "I1 never bricked,I3 converges");
	assert_int_equal(s->fail[0].op_index, 3);
	/* ops 3, 7, 8 ascending; op 3: I1 2+1+0, op 7: I2 1+1 */
	assert_int_equal(s->nops, 3);
	assert_int_equal(s->ops[0].op_index, 3);
	assert_int_equal(s->ops[0].count[REP_I1], 3);
	assert_int_equal(s->ops[0].count[REP_I3], 3);
	assert_int_equal(s->ops[1].op_index, 7);
	assert_int_equal(s->ops[1].count[REP_I2], 2);
	assert_int_equal(s->ops[2].op_index, 8);
	assert_int_equal(s->nsectors, 4);
	assert_int_equal(s->sector_erases[1], 5);
	assert_false(s->pass);
	rep_free(&d);
}

/* An unsharded row wins over shards; a newer file hash hides rows of the old one. */
static void the_newest_whole_sweep_wins(void **state)
{
	(void)state;
	sqlite3 *db = open_db(cur_path);
	add_sweep(db, "old", NULL, 50, 1, 7, 1);
	add_sweep(db, "new", "0/2", 10, 1, 7, 1);
	add_sweep(db, "new", NULL, 20, 1, 7, 1);
	add_sweep(db, "new", "1/2", 10, 1, 7, 1);
	bo_db_close(db);
	struct rep_data d = load(cur_path);
	assert_int_equal(d.nsweeps, 1);
	assert_string_equal(d.sweeps[0].file_hash, "new");
	assert_int_equal(d.sweeps[0].cut_points, 20);
	assert_int_equal(d.sweeps[0].shards_n, 0);
	rep_free(&d);
}

/* Runs: the newest complete run per scenario and seed; node fields of version 4. */
static void runs_per_scenario_and_seed(void **state)
{
	(void)state;
	sqlite3 *db = open_db(cur_path);
	add_run(db, "h", 2, 1, 1, 50);
	add_run(db, "h", 1, 0, 1, 10);
	add_run(db, "h", 2, 0, 1, 20); /* newer seed 2 */
	bo_db_close(db);
	struct rep_data d = load(cur_path);
	assert_int_equal(d.nruns, 2);
	assert_int_equal(d.runs[0].seed, 1);
	assert_int_equal(d.runs[1].seed, 2);
	assert_true(d.runs[1].pass);
	assert_true(rep_metric(&d.runs[1], "convergence_p95_s") == 20);
	assert_true(isnan(rep_metric(&d.runs[1], "nope")));
	struct rep_run_counts c = rep_run_count(&d.runs[1]);
	assert_int_equal(c.targets, 3);
	assert_int_equal(c.converged, 3);
	assert_int_equal(d.runs[1].nodes[2].hops, 2);
	assert_int_equal(d.runs[1].nodes[0].wave, -1);
	assert_int_equal(d.runs[1].nodes[1].rx_start_us, 500);
	assert_string_equal(rep_node_outcome(&d.runs[1].nodes[0]), "other");
	assert_string_equal(rep_node_outcome(&d.runs[1].nodes[1]), "updated");
	rep_free(&d);
}

static size_t count_kind(const struct rep_diff *d, enum rep_change_kind k, bool regression)
{
	size_t n = 0;
	for (size_t i = 0; i < d->n; i++)
		n += d->changes[i].kind == k && d->changes[i].regression == regression;
	return n;
}

/* The gate's verdicts: a new bricked node and a lost expectation regress; a metric over its
 * threshold regresses, under it only changes; a given threshold replaces the default; a
 * changed hash is not compared; a fixed failure is listed. */
static void baseline_verdicts(void **state)
{
	(void)state;
	sqlite3 *db = open_db(base_path);
	add_sweep(db, "h", NULL, 10, 1, 7, 1);
	add_run(db, "h", 1, 0, 1, 100);
	add_run(db, "h", 2, 0, 1, 100);
	add_run(db, "h", 3, 0, 1, 100);
	add_run(db, "old", 4, 0, 1, 100);
	bo_db_close(db);
	db = open_db(cur_path);
	add_sweep(db, "h", NULL, 10, 1, 7, 1);
	add_run(db, "h", 1, 1, 1, 100);  /* a node bricks */
	add_run(db, "h", 2, 0, 0, 105);  /* convergence fails; p95 +5% (allowed 10%) */
	add_run(db, "h", 3, 0, 1, 130);  /* p95 +30% */
	add_run(db, "new", 4, 0, 1, 10); /* another scenario file */
	bo_db_close(db);
	struct rep_data cur = load(cur_path), base = load(base_path);
	struct rep_diff d;
	assert_int_equal(rep_diff(&cur, &base, NULL, 0, &d), 0);
	assert_int_equal(d.matched, 5);
	assert_int_equal(count_kind(&d, REP_NEW_BRICK, true), 1);
	assert_int_equal(count_kind(&d, REP_LOST_EXPECTATION, true), 2); /* no_bricked, converged */
	assert_int_equal(count_kind(&d, REP_METRIC_WORSE, true), 1);
	assert_int_equal(count_kind(&d, REP_METRIC_CHANGED, false), 1);
	assert_int_equal(count_kind(&d, REP_INPUT_CHANGED, false), 1);
	assert_int_equal(count_kind(&d, REP_NEW_FAILURE, true), 0); /* the sweep is identical */
	assert_int_equal(d.regressions, 4);
	rep_diff_free(&d);
	struct rep_threshold th = {"convergence_p95_s", 50};
	assert_int_equal(rep_diff(&cur, &base, &th, 1, &d), 0);
	assert_int_equal(count_kind(&d, REP_METRIC_WORSE, true), 0);
	assert_int_equal(d.regressions, 3);
	rep_diff_free(&d);
	/* The other way round: what failed in the baseline is fixed. */
	assert_int_equal(rep_diff(&base, &cur, NULL, 0, &d), 0);
	assert_true(count_kind(&d, REP_FIXED, false) >= 2);
	rep_diff_free(&d);
	rep_free(&cur);
	rep_free(&base);
}

/* A sweep's new repro ID and a grown invariant count are new failures; rendering every
 * format works on the comparison. */
static void sweep_regressions_and_renderers(void **state)
{
	(void)state;
	sqlite3 *db = open_db(base_path);
	add_sweep(db, "h", NULL, 10, 1, 7, 1);
	bo_db_close(db);
	db = open_db(cur_path);
	add_sweep(db, "h", NULL, 10, 2, 9, 1); /* b9 now at op 9: same repro; I1 count 2 > 1 */
	char err[300];
	struct bo_db_failure f = {"t4.0", "I4 flash discipline", "double program", NULL, NULL, NULL, 4};
	struct bo_db_sweep s = {.name = "s2", .file = "s2.yaml", .file_hash = "x", .strategy = "o",
				.preset = "p", .modes = "between", .tool_version = "t", .depth = 1,
				.failures = 1, .i4 = 1, .failing_cuts = -1};
	assert_true(bo_db_add_sweep(db, &s, &f, 1, err, sizeof err) > 0); /* new and failing */
	add_run(db, "h", 1, 0, 1, 1);
	bo_db_close(db);
	struct rep_data cur = load(cur_path), base = load(base_path);
	struct rep_diff d;
	assert_int_equal(rep_diff(&cur, &base, NULL, 0, &d), 0);
	assert_int_equal(count_kind(&d, REP_NEW_FAILURE, true), 2); /* I1 and I3 counts grew */
	assert_int_equal(count_kind(&d, REP_NEW_ENTRY, true), 1);    /* s2 fails */
	assert_int_equal(count_kind(&d, REP_NEW_ENTRY, false), 1);   /* the run passes */
	void (*render[])(FILE *, const struct rep_data *, const struct rep_diff *) = {
		rep_write_md, rep_write_html, rep_write_junit, rep_write_json};
	const char *must[] = {"REGRESSION", "ops-plot", "t4.0", "\"regressions\": 3"};
	for (size_t i = 0; i < 4; i++) {
		char *buf = NULL;
		size_t len = 0;
		FILE *m = open_memstream(&buf, &len);
		render[i](m, &cur, &d);
		fclose(m);
		assert_non_null(strstr(buf, must[i]));
		assert_non_null(strstr(buf, "s2"));
		free(buf);
	}
	rep_diff_free(&d);
	rep_free(&cur);
	rep_free(&base);
}

/* Merging: refuses another hash for one sweep name, is idempotent, sums like the shards. */
static void merge_is_idempotent_and_checked(void **state)
{
	(void)state;
	sqlite3 *db = open_db(cur_path);
	add_sweep(db, "h", "0/2", 10, 1, 7, 1);
	add_run(db, "h", 1, 0, 1, 1);
	bo_db_close(db);
	db = open_db(base_path);
	add_sweep(db, "h", "1/2", 12, 1, 7, 9);
	add_run(db, "h", 2, 0, 1, 1);
	bo_db_close(db);
	char out[300], err[600];
	snprintf(out, sizeof out, "%s-merged.db", cur_path);
	rm_db(out);
	const char *in[3] = {cur_path, base_path, cur_path};
	size_t ns, nr;
	assert_int_equal(rep_merge(out, in, 3, &ns, &nr, err, sizeof err), 0);
	assert_int_equal(ns, 2);
	assert_int_equal(nr, 2);
	assert_int_equal(rep_merge(out, in, 2, &ns, &nr, err, sizeof err), 0);
	assert_int_equal(ns + nr, 0);
	struct rep_data d = load(out);
	assert_int_equal(d.nsweeps, 1);
	assert_int_equal(d.sweeps[0].cut_points, 22);
	assert_int_equal(d.sweeps[0].sector_erases[1], 9);
	assert_int_equal(d.sweeps[0].nfp, 2);
	assert_int_equal(d.nruns, 2);
	assert_int_equal(d.runs[0].nnodes, 4);
	rep_free(&d);
	/* another file under the same name: refused, nothing added */
	db = open_db(base_path);
	add_sweep(db, "other", "1/2", 12, 1, 7, 9);
	bo_db_close(db);
	assert_int_equal(rep_merge(out, in + 1, 1, &ns, &nr, err, sizeof err), -1);
	assert_non_null(strstr(err, "different input files"));
	d = load(out);
	assert_int_equal(d.sweeps[0].cut_points, 22);
	rep_free(&d);
	rm_db(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(shards_are_summed, setup, teardown),
		cmocka_unit_test_setup_teardown(the_newest_whole_sweep_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(runs_per_scenario_and_seed, setup, teardown),
		cmocka_unit_test_setup_teardown(baseline_verdicts, setup, teardown),
		cmocka_unit_test_setup_teardown(sweep_regressions_and_renderers, setup, teardown),
		cmocka_unit_test_setup_teardown(merge_is_idempotent_and_checked, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
