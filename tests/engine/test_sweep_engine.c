/*
 * The sweep engine on workloads built in memory: uncut baseline, every cut point, and the
 * deliberately broken miniature bootloaders of broken_boot.c, loaded as a firmware plug-in
 * (the shared object's path is argv[1]), that it must catch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tests/engine/engine_fixture.h"

static const char *broken_so; /* argv[1] */

static void print_result(const char *what, const struct sweep_result *r)
{
	printf("%s: %llu ops, %llu cut points, %llu distinct, failures:", what,
	       (unsigned long long)r->workload_ops, (unsigned long long)r->cut_points,
	       (unsigned long long)r->distinct_states);
	for (int i = 1; i < SWEEP_INVARIANTS; i++)
		printf(" %llu", (unsigned long long)r->failures[i]);
	printf(", false positives %llu, %.2f s\n", (unsigned long long)r->false_positives, r->wall_s);
	for (size_t i = 0; i < r->nkept && i < 5; i++)
		printf("  %s %s: %s\n", r->kept[i].repro, sweep_invariant_name(r->kept[i].inv),
		       r->kept[i].detail);
}

/* swap-scratch, test upgrade of a good image: download, request, reboot, reboot. */
static void build_test_upgrade(struct engine_fixture *f, enum bo_strategy s, int v2_behaviour)
{
	assert_int_equal(fixture_init(f, s), 0);
	int v1 = fixture_image(f, "v1", "1.0.0", 9000, BO_APP_GOOD, 1);
	int v2 = fixture_image(f, "v2", "1.1.0", 11000, v2_behaviour, 2);
	int rec = fixture_image(f, "rec", "0.9.0", 3000, BO_APP_GOOD, 3);
	fixture_place(f, "primary", v1);
	fixture_place(f, "recovery", rec);
	fixture_step(f, SWEEP_STEP_POWER_ON, -1);
	fixture_step(f, SWEEP_STEP_DOWNLOAD, v2);
	fixture_step(f, SWEEP_STEP_REQUEST_TEST, -1);
	fixture_step(f, SWEEP_STEP_POWER_ON, -1);
	fixture_step(f, SWEEP_STEP_POWER_ON, -1);
	f->w.expect.running = v2_behaviour == BO_APP_GOOD ? v2 : v1;
	f->w.expect.confirmed = 1;
}

static void sweep_clean(void **state)
{
	(void)state;
	static const enum bo_strategy strategies[] = {
		BO_STRATEGY_SWAP_SCRATCH, BO_STRATEGY_SWAP_MOVE, BO_STRATEGY_OVERWRITE,
		BO_STRATEGY_RECOVERY, BO_STRATEGY_SWAP_SCRATCH_RECOVERY};
	for (size_t i = 0; i < sizeof strategies / sizeof strategies[0]; i++) {
		struct engine_fixture f;
		build_test_upgrade(&f, strategies[i], BO_APP_GOOD);
		struct sweep_options o = {.between = true, .torn = true, .depth = 1, .jobs = 2, .seed = 7};
		struct sweep_result r;
		char err[160];
		assert_int_equal(sweep_run(&f.w, &o, &r, err, sizeof err), 0);
		print_result(bo_strategy_name(strategies[i]), &r);
		assert_true(r.workload_ops > 20);
		assert_true(r.cut_points > r.workload_ops);
		assert_int_equal(sweep_total_failures(&r), 0);
		sweep_result_free(&r);
		fixture_free(&f);
	}
}

static void results_do_not_depend_on_jobs(void **state)
{
	(void)state;
	struct engine_fixture f;
	build_test_upgrade(&f, BO_STRATEGY_SWAP_SCRATCH, BO_APP_NO_CONFIRM);
	struct sweep_result r1, r3;
	char err[160];
	struct sweep_options o = {.between = true, .torn = true, .depth = 1, .jobs = 1, .seed = 7};
	assert_int_equal(sweep_run(&f.w, &o, &r1, err, sizeof err), 0);
	o.jobs = 3;
	assert_int_equal(sweep_run(&f.w, &o, &r3, err, sizeof err), 0);
	print_result("revert, 1 job", &r1);
	assert_int_equal(r1.cut_points, r3.cut_points);
	assert_int_equal(r1.distinct_states, r3.distinct_states);
	assert_memory_equal(r1.failures, r3.failures, sizeof r1.failures);
	assert_int_equal(r1.false_positives, r3.false_positives);
	sweep_result_free(&r1);
	sweep_result_free(&r3);
	fixture_free(&f);
}

/* A perm upgrade run by one of the broken miniature bootloaders (option bug). */
static struct bro_option bug_opt[1];

static void build_broken(struct engine_fixture *f, const char *bug)
{
	assert_int_equal(fixture_init(f, BO_STRATEGY_OVERWRITE), 0);
	int v1 = fixture_image(f, "v1", "1.0.0", 9000, BO_APP_GOOD, 1);
	int v2 = fixture_image(f, "v2", "1.1.0", 11000, BO_APP_GOOD, 2);
	int rec = fixture_image(f, "rec", "0.9.0", 3000, BO_APP_GOOD, 3);
	fixture_place(f, "primary", v1);
	fixture_place(f, "recovery", rec);
	fixture_step(f, SWEEP_STEP_POWER_ON, -1);
	fixture_step(f, SWEEP_STEP_DOWNLOAD, v2);
	fixture_step(f, SWEEP_STEP_REQUEST_PERM, -1);
	fixture_step(f, SWEEP_STEP_POWER_ON, -1);
	f->w.expect.running = v2;
	f->w.no_fall_back = false; /* let the judge consider fall-backs (fake-fallback) */
	bug_opt[0] = (struct bro_option){"bug", bug};
	f->w.firmware = (struct sweep_fw){.plugin = broken_so, .opts = bug_opt, .nopts = 1};
}

static struct sweep_result sweep_broken_jobs(const char *bug, bool between, bool torn,
					     unsigned jobs)
{
	struct engine_fixture f;
	build_broken(&f, bug);
	struct sweep_options o = {.between = between, .torn = torn, .depth = 1, .jobs = jobs,
				  .seed = 7};
	struct sweep_result r;
	char err[160];
	int rc = sweep_run(&f.w, &o, &r, err, sizeof err);
	if (rc)
		fprintf(stderr, "sweep_run: %s\n", err);
	assert_int_equal(rc, 0);
	fixture_free(&f);
	return r;
}

static struct sweep_result sweep_broken(const char *bug, bool between, bool torn)
{
	return sweep_broken_jobs(bug, between, torn, 2);
}

/* The right invariants for an interrupted install gone wrong: the device ends with nothing
 * bootable (I1) or runs a mix of two images (I2), while the uncut workload is fine. */
static bool bricked_or_hybrid(const struct sweep_result *r)
{
	return r->failures[SWEEP_I1_BRICKED] + r->failures[SWEEP_I2_HYBRID] > 0 &&
	       r->failures[SWEEP_BASELINE] == 0;
}

/* The torn-record bug hides from clean cuts and shows under torn ones, as a hybrid boot. */
static void finds_torn_record_bug(void **state)
{
	(void)state;
	struct sweep_result clean = sweep_broken("torn-record", true, false);
	print_result("torn-record, between", &clean);
	assert_int_equal(sweep_total_failures(&clean), 0);
	struct sweep_result torn = sweep_broken("torn-record", true, true);
	print_result("torn-record, torn", &torn);
	assert_true(bricked_or_hybrid(&torn));
	assert_true(torn.nkept > 0 && torn.kept[0].repro[0] == 't');
	sweep_result_free(&clean);
	sweep_result_free(&torn);
}

/* An install known only to a static: once RAM is lost (brownout restores the plug-in's
 * .data/.bss at every power-on), a cut mid-copy leaves a half-copied primary. (That the
 * reset happens at all is proven by the example plug-in's boot counter, tests/plugin.) */
static void finds_ram_progress_bug(void **state)
{
	(void)state;
	struct sweep_result r = sweep_broken("ram-progress", true, false);
	print_result("ram-progress, between", &r);
	assert_true(bricked_or_hybrid(&r));
	sweep_result_free(&r);
}

/* Erasing the only durable copy of a sector: clean cuts are enough to lose it. */
static void finds_erase_first_bug(void **state)
{
	(void)state;
	struct sweep_result r = sweep_broken("erase-first", true, false);
	print_result("erase-first, between", &r);
	assert_true(bricked_or_hybrid(&r));
	sweep_result_free(&r);
}

/* A broken install behind a "fall-back" to recovery is a failure (I3), not an I6 false
 * positive: the primary it leaves holds no whole image. */
static void fake_fallback_is_not_a_false_positive(void **state)
{
	(void)state;
	struct sweep_result r = sweep_broken("fake-fallback", true, false);
	print_result("fake-fallback, between", &r);
	assert_true(r.failures[SWEEP_I3_CONVERGE] > 0);
	assert_int_equal(r.failures[SWEEP_BASELINE], 0);
	sweep_result_free(&r);
}

/* Each worker loads its own copy of the plug-in: results do not depend on --jobs. */
static void plugin_results_do_not_depend_on_jobs(void **state)
{
	(void)state;
	struct sweep_result r1 = sweep_broken_jobs("torn-record", true, true, 1);
	struct sweep_result r3 = sweep_broken_jobs("torn-record", true, true, 3);
	assert_true(r1.failing_cuts > 0);
	assert_int_equal(r1.cut_points, r3.cut_points);
	assert_int_equal(r1.failing_cuts, r3.failing_cuts);
	assert_memory_equal(r1.failures, r3.failures, sizeof r1.failures);
	assert_int_equal(r1.nkept, r3.nkept);
	for (size_t i = 0; i < r1.nkept; i++)
		assert_string_equal(r1.kept[i].repro, r3.kept[i].repro);
	assert_int_equal(r1.nper_op, r3.nper_op);
	sweep_result_free(&r1);
	sweep_result_free(&r3);
}

/* The result carries what reports need: every broken invariant, expected and observed end
 * states, the operation of each failure, failures per operation, erases per sector. */
static void result_explains_failures(void **state)
{
	(void)state;
	struct sweep_result r = sweep_broken("erase-first", true, false);
	assert_true(r.nkept > 0);
	const struct sweep_failure *f = &r.kept[0];
	assert_true(f->inv_mask & (1u << f->inv));
	assert_string_equal(f->expected, "running v2");
	assert_true(strlen(f->observed) > 0);
	uint64_t per_op_total = 0;
	for (size_t i = 0; i < r.nper_op; i++) {
		if (i)
			assert_true(r.per_op[i].op_index > r.per_op[i - 1].op_index);
		for (int k = 0; k < SWEEP_INVARIANTS; k++)
			per_op_total += r.per_op[i].count[k];
	}
	uint64_t total = 0;
	for (int k = 0; k < SWEEP_INVARIANTS; k++)
		total += r.failures[k];
	assert_int_equal(per_op_total, total);
	assert_true(r.nsectors == 256);
	uint32_t most = 0;
	for (uint32_t i = 0; i < r.nsectors; i++)
		most = r.sector_max_erases[i] > most ? r.sector_max_erases[i] : most;
	assert_true(most >= r.baseline_max_erases && most > 0);
	sweep_result_free(&r);
}

/* A bootloader that ignores the error return of an erase is caught by the flash-error
 * sweep (it programs over what the failed erase left: I4, or runs a mix: I2), while the
 * same miniature passes the clean power-cut sweep of its workload. */
static void finds_ignored_flash_errors(void **state)
{
	(void)state;
	struct engine_fixture f;
	build_broken(&f, "erase-first");
	struct sweep_options o = {.depth = 1, .jobs = 2, .seed = 7,
				  .faults = 1u << FSIM_FAULT_ERASE_ERROR | 1u << FSIM_FAULT_PROGRAM_ERROR};
	struct sweep_result r;
	char err[160];
	assert_int_equal(sweep_run(&f.w, &o, &r, err, sizeof err), 0);
	print_result("erase-first, flash errors", &r);
	assert_true(r.fault_points > 0);
	assert_int_equal(r.cut_points, r.fault_points);
	assert_true(r.failures[SWEEP_I4_FLASH] + r.failures[SWEEP_I2_HYBRID] > 0);
	assert_true(r.nkept > 0 && (r.kept[0].repro[0] == 'e' || r.kept[0].repro[0] == 'p'));
	/* the same case replays by its ID */
	struct sweep_result one;
	assert_int_equal(sweep_replay(&f.w, &o, r.kept[0].repro, false, &one, err, sizeof err), 0);
	assert_int_equal(one.failing_cuts, 1);
	assert_int_equal(one.kept[0].inv_mask, r.kept[0].inv_mask);
	sweep_result_free(&one);
	sweep_result_free(&r);
	fixture_free(&f);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_sweep_engine BROKEN_BOOT.so\n");
		return 2;
	}
	broken_so = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sweep_clean),
		cmocka_unit_test(results_do_not_depend_on_jobs),
		cmocka_unit_test(finds_torn_record_bug),
		cmocka_unit_test(finds_ram_progress_bug),
		cmocka_unit_test(finds_erase_first_bug),
		cmocka_unit_test(fake_fallback_is_not_a_false_positive),
		cmocka_unit_test(plugin_results_do_not_depend_on_jobs),
		cmocka_unit_test(result_explains_failures),
		cmocka_unit_test(finds_ignored_flash_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
