/* The sweep engine on workloads built in memory: uncut baseline, every cut point, replay. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "tests/engine/broken_boot.h"
#include "tests/engine/engine_fixture.h"

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

/* A perm upgrade run by one of the broken miniature bootloaders. */
static void build_broken(struct engine_fixture *f, enum broken_kind k)
{
	assert_int_equal(fixture_init(f, BO_STRATEGY_OVERWRITE), 0);
	int v1 = fixture_image(f, "v1", "1.0.0", 9000, BO_APP_GOOD, 1);
	int v2 = fixture_image(f, "v2", "1.1.0", 11000, BO_APP_GOOD, 2);
	fixture_place(f, "primary", v1);
	fixture_step(f, SWEEP_STEP_POWER_ON, -1);
	fixture_step(f, SWEEP_STEP_DOWNLOAD, v2);
	fixture_step(f, SWEEP_STEP_REQUEST_PERM, -1);
	fixture_step(f, SWEEP_STEP_POWER_ON, -1);
	f->w.expect.running = v2;
	f->w.firmware = &broken_firmware[k];
}

static struct sweep_result sweep_broken(enum broken_kind k, bool between, bool torn)
{
	struct engine_fixture f;
	build_broken(&f, k);
	struct sweep_options o = {.between = between, .torn = torn, .depth = 1, .jobs = 2, .seed = 7};
	struct sweep_result r;
	char err[160];
	assert_int_equal(sweep_run(&f.w, &o, &r, err, sizeof err), 0);
	fixture_free(&f);
	return r;
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
	struct sweep_result clean = sweep_broken(BROKEN_TORN_RECORD, true, false);
	print_result("torn-record, between", &clean);
	assert_int_equal(sweep_total_failures(&clean), 0);
	struct sweep_result torn = sweep_broken(BROKEN_TORN_RECORD, true, true);
	print_result("torn-record, torn", &torn);
	assert_true(bricked_or_hybrid(&torn));
	assert_true(torn.nkept > 0 && torn.kept[0].repro[0] == 't');
	sweep_result_free(&clean);
	sweep_result_free(&torn);
}

/* Progress kept in RAM: a simulator that wiped nothing would pass it; poisoned RAM does not. */
static void finds_ram_progress_bug(void **state)
{
	(void)state;
	struct sweep_result r = sweep_broken(BROKEN_RAM_PROGRESS, true, false);
	print_result("ram-progress, between", &r);
	assert_true(bricked_or_hybrid(&r));
	sweep_result_free(&r);
}

/* Erasing the only durable copy of a sector: clean cuts are enough to lose it. */
static void finds_erase_first_bug(void **state)
{
	(void)state;
	struct sweep_result r = sweep_broken(BROKEN_ERASE_FIRST, true, false);
	print_result("erase-first, between", &r);
	assert_true(bricked_or_hybrid(&r));
	sweep_result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sweep_clean),
		cmocka_unit_test(results_do_not_depend_on_jobs),
		cmocka_unit_test(finds_torn_record_bug),
		cmocka_unit_test(finds_ram_progress_bug),
		cmocka_unit_test(finds_erase_first_bug),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
