/*
 * tests/scenario/test_scenario_run.c: sim/scenario_run.h, what a user of `brownout run`
 * relies on, on the small scenarios of tests/scenario/run/ (argv[1]):
 *   line-5             every target converges through a power cut during the transfer;
 *   determinism        one scenario and seed give one run, another seed another run;
 *   bad-image-cut      a no-confirm build reverts at its watchdog's reset, never re-offered;
 *   line-5-impossible  an expectation that cannot hold fails the run, with its texts;
 *   no-storage         a layout the loader accepts but the runner cannot build: -1, err;
 *   stop               opts.stop ends the run at the first progress point.
 * Set BO_TEST_EVENTS=1 in the environment to print each run's events.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/scenario_file.h"
#include "sim/scenario_run.h"
#include "sim/scenario_world.h"

static const char *fixture_dir = "tests/scenario/run";

static struct bo_scenario *load(const char *name)
{
	char path[512], err[BO_SCN_ERRLEN] = "";
	struct bo_scenario *s = NULL;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	int rc = bo_scenario_load_file(path, &s, err, sizeof(err));
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	assert_non_null(s);
	return s;
}

static void dump_events(const char *what, const struct bo_run_result *r)
{
	const char *env = getenv("BO_TEST_EVENTS");
	if (!env || !*env || !strcmp(env, "0"))
		return;
	printf("# %s: seed %llu, end %llu us, %zu events\n", what, (unsigned long long)r->seed,
	       (unsigned long long)r->sim_end_us, r->event_count);
	for (size_t i = 0; i < r->event_count; i++) {
		const struct bo_run_event *e = &r->events[i];
		printf("#  %10.3f s node %3lld L%d %-16s %s\n", (double)e->t_us / 1e6,
		       (long long)e->node, e->level, e->kind, e->detail);
	}
	for (size_t i = 0; i < r->node_count; i++) {
		const struct bo_run_node *n = &r->nodes[i];
		printf("#  node %u %s fw %d->%d slot %s confirmed %d bricked %d converged %d "
		       "boots %llu cuts %llu reverts %llu installs %llu offers %u result %s\n",
		       n->id, n->role, n->initial_fw, n->final_fw, n->slot, n->confirmed,
		       n->bricked, n->converged, (unsigned long long)n->boots,
		       (unsigned long long)n->power_cuts, (unsigned long long)n->reverts,
		       (unsigned long long)n->installs, n->offers, n->result ? n->result : "(null)");
	}
	for (size_t i = 0; i < r->expect_count; i++)
		printf("#  expect %s: %s (observed %s, expected %s)\n", r->expect[i].name,
		       r->expect[i].pass ? "pass" : "FAIL", r->expect[i].observed,
		       r->expect[i].expected);
}

/* Run seed (or the scenario's seed when seed == 0) with events up to level 2. */
static int run(const struct bo_scenario *s, uint64_t seed, struct bo_run_result *r, char *err,
	       size_t errlen)
{
	const char *env = getenv("BO_TEST_EVENTS");
	struct bo_run_opts o = {
		.seed = seed ? seed : s->seed,
		/* BO_TEST_EVENTS=3: the Initiator's trace too */
		.max_event_level = env && !strcmp(env, "3") ? BO_RUN_EV_TRACE : BO_RUN_EV_PROGRESS,
	};
	return bo_scenario_run(s, &o, r, err, errlen);
}

static const struct bo_run_metric *metric(const struct bo_run_result *r, const char *name)
{
	for (size_t i = 0; i < r->metric_count; i++)
		if (!strcmp(r->metrics[i].name, name))
			return &r->metrics[i];
	return NULL;
}

static const struct bo_run_node *node_by_id(const struct bo_run_result *r, uint32_t id)
{
	for (size_t i = 0; i < r->node_count; i++)
		if (r->nodes[i].id == id)
			return &r->nodes[i];
	fail_msg("node %u not in the result", id);
	return NULL;
}

/* 1. line-5: every target converges; node 2's power cut does not stop it. */
static void test_line5(void **state)
{
	(void)state;
	struct bo_scenario *s = load("line-5.yaml");
	struct bo_run_result r;
	char err[BO_RUN_ERRLEN] = "";
	int v1 = bo_scenario_find_firmware(s, "v1"), v2 = bo_scenario_find_firmware(s, "v2");
	assert_true(v1 >= 0 && v2 >= 0 && v1 != v2);

	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	assert_int_equal(r.unreachable, 0);
	dump_events("line-5", &r);
	assert_true(r.pass);
	assert_false(r.stopped);
	assert_true(r.initiator_done);
	assert_int_equal(r.seed, 3);
	assert_int_equal(r.targets, 4);
	assert_int_equal(r.converged, 4);
	assert_int_equal(r.failed, 0);
	assert_int_equal(r.bricked, 0);
	assert_true(r.sim_end_us > 0 && r.sim_end_us <= s->duration_us);
	assert_int_equal(r.node_count, 5);

	for (size_t i = 0; i < r.node_count; i++) {
		const struct bo_run_node *n = &r.nodes[i];
		assert_int_equal(n->id, i);
		assert_false(n->bricked);
		assert_int_equal(n->initial_fw, v1);
		if (n->id == 0) {
			/* The Distributor is not a target: it still runs v1. */
			assert_string_equal(n->role, "distributor");
			assert_false(n->target);
			assert_int_equal(n->final_fw, v1);
			assert_true(n->confirmed);
			assert_false(n->converged);
			continue;
		}
		assert_string_equal(n->role, "target");
		assert_true(n->target);
		assert_int_equal(n->final_fw, v2);
		assert_string_equal(n->slot, "primary");
		assert_true(n->confirmed);
		assert_true(n->converged);
		assert_true(n->converged_us != UINT64_MAX);
		assert_true(n->converged_us > 0 && n->converged_us <= r.sim_end_us);
		assert_true(n->installs >= 1);
		assert_true(n->offers >= 1);
		assert_non_null(n->result);
		assert_string_equal(n->result, "updated");
	}
	const struct bo_run_node *n2 = node_by_id(&r, 2);
	assert_int_equal(n2->power_cuts, 1);
	assert_true(n2->boots >= 3); /* the initial boot, after the cut, after the apply */

	assert_int_equal(r.expect_count, 2);
	for (size_t i = 0; i < r.expect_count; i++)
		assert_true(r.expect[i].pass);
	assert_string_equal(r.expect[0].name, "converged");
	assert_string_equal(r.expect[1].name, "no_bricked");

	assert_true(r.metric_count > 0);
	for (size_t i = 1; i < r.metric_count; i++)
		assert_true(strcmp(r.metrics[i - 1].name, r.metrics[i].name) < 0);
	const struct bo_run_metric *m = metric(&r, "converged");
	assert_non_null(m);
	assert_true(m->value == 4.0);
	m = metric(&r, "targets");
	assert_non_null(m);
	assert_true(m->value == 4.0);

	double p50 = bo_run_percentile_s(&r, 50), p100 = bo_run_percentile_s(&r, 100);
	assert_true(p50 > 0 && p50 <= p100);
	assert_true(p100 <= (double)r.sim_end_us / 1e6);

	bo_run_result_free(&r);
	bo_scenario_free(s);
}

/* 2. One scenario and seed give one run; another seed another. */
static void assert_same_run(const struct bo_run_result *a, const struct bo_run_result *b)
{
	assert_int_equal(a->seed, b->seed);
	assert_int_equal(a->sim_end_us, b->sim_end_us);
	assert_int_equal(a->pass, b->pass);
	assert_int_equal(a->initiator_done, b->initiator_done);
	assert_int_equal(a->stopped, b->stopped);
	assert_int_equal(a->targets, b->targets);
	assert_int_equal(a->converged, b->converged);
	assert_int_equal(a->failed, b->failed);
	assert_int_equal(a->bricked, b->bricked);
	assert_int_equal(a->sim_events, b->sim_events);

	assert_int_equal(a->node_count, b->node_count);
	for (size_t i = 0; i < a->node_count; i++) {
		const struct bo_run_node *x = &a->nodes[i], *y = &b->nodes[i];
		assert_int_equal(x->id, y->id);
		assert_string_equal(x->role, y->role);
		assert_true(x->x == y->x && x->y == y->y);
		assert_int_equal(x->initial_fw, y->initial_fw);
		assert_int_equal(x->final_fw, y->final_fw);
		assert_string_equal(x->slot, y->slot);
		assert_int_equal(x->target, y->target);
		assert_int_equal(x->confirmed, y->confirmed);
		assert_int_equal(x->bricked, y->bricked);
		assert_int_equal(x->converged, y->converged);
		assert_int_equal(x->converged_us, y->converged_us);
		assert_int_equal(x->boots, y->boots);
		assert_int_equal(x->power_cuts, y->power_cuts);
		assert_int_equal(x->flash_cuts, y->flash_cuts);
		assert_int_equal(x->reverts, y->reverts);
		assert_int_equal(x->recovery_boots, y->recovery_boots);
		assert_int_equal(x->installs, y->installs);
		assert_int_equal(x->flash_erases, y->flash_erases);
		assert_int_equal(x->flash_programs, y->flash_programs);
		assert_int_equal(x->max_sector_erases, y->max_sector_erases);
		assert_int_equal(x->offers, y->offers);
		assert_true((x->result == NULL) == (y->result == NULL));
		if (x->result)
			assert_string_equal(x->result, y->result);
	}

	assert_int_equal(a->expect_count, b->expect_count);
	for (size_t i = 0; i < a->expect_count; i++) {
		assert_string_equal(a->expect[i].name, b->expect[i].name);
		assert_int_equal(a->expect[i].pass, b->expect[i].pass);
		assert_string_equal(a->expect[i].observed, b->expect[i].observed);
		assert_string_equal(a->expect[i].expected, b->expect[i].expected);
		assert_int_equal(a->expect[i].line, b->expect[i].line);
	}

	assert_int_equal(a->metric_count, b->metric_count);
	for (size_t i = 0; i < a->metric_count; i++) {
		assert_string_equal(a->metrics[i].name, b->metrics[i].name);
		/* bit for bit, except a metric derived from wall time (none is expected) */
		if (memcmp(&a->metrics[i].value, &b->metrics[i].value, sizeof(double)))
			fail_msg("metric %s: %.17g then %.17g", a->metrics[i].name,
				 a->metrics[i].value, b->metrics[i].value);
	}

	assert_int_equal(a->event_count, b->event_count);
	for (size_t i = 0; i < a->event_count; i++) {
		const struct bo_run_event *x = &a->events[i], *y = &b->events[i];
		assert_int_equal(x->t_us, y->t_us);
		assert_int_equal(x->node, y->node);
		assert_int_equal(x->level, y->level);
		assert_string_equal(x->kind, y->kind);
		assert_string_equal(x->detail, y->detail);
	}
}

static bool events_differ(const struct bo_run_result *a, const struct bo_run_result *b)
{
	if (a->event_count != b->event_count)
		return true;
	for (size_t i = 0; i < a->event_count; i++) {
		const struct bo_run_event *x = &a->events[i], *y = &b->events[i];
		if (x->t_us != y->t_us || x->node != y->node || x->level != y->level ||
		    strcmp(x->kind, y->kind) || strcmp(x->detail, y->detail))
			return true;
	}
	return false;
}

static void test_determinism(void **state)
{
	(void)state;
	struct bo_scenario *s = load("line-5.yaml");
	struct bo_run_result a, b, c;
	char err[BO_RUN_ERRLEN] = "";

	assert_int_equal(run(s, 3, &a, err, sizeof(err)), 0);
	assert_int_equal(run(s, 3, &b, err, sizeof(err)), 0);
	assert_true(a.event_count > 0);
	assert_same_run(&a, &b);

	assert_int_equal(run(s, 4, &c, err, sizeof(err)), 0);
	dump_events("line-5 seed 4", &c);
	assert_int_equal(c.seed, 4);
	assert_true(c.sim_end_us != a.sim_end_us || events_differ(&a, &c));
	/* this pair of seeds differs in both */
	assert_true(c.sim_end_us != a.sim_end_us);
	assert_true(events_differ(&a, &c));

	bo_run_result_free(&a);
	bo_run_result_free(&b);
	bo_run_result_free(&c);
	bo_scenario_free(s);
}

/* 3. A no-confirm build reverts after a reset, bricks nothing, is never offered again. */
static void test_bad_image_revert(void **state)
{
	(void)state;
	struct bo_scenario *s = load("bad-image-cut.yaml");
	struct bo_run_result r;
	char err[BO_RUN_ERRLEN] = "";
	int v1 = bo_scenario_find_firmware(s, "v1"), v2 = bo_scenario_find_firmware(s, "v2");
	assert_true(v1 >= 0 && v2 >= 0);

	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	dump_events("bad-image-cut", &r);
	assert_int_equal(r.targets, 4);
	assert_int_equal(r.bricked, 0);

	const struct bo_run_node *n3 = node_by_id(&r, 3);
	assert_true(n3->target);
	assert_int_equal(n3->power_cuts, 0); /* no cut: its watchdog reset it */
	assert_true(n3->boots >= 3);         /* v1, the bad build, v1 again */
	assert_true(n3->installs >= 1);      /* the bad build was installed (in test) ... */
	assert_true(n3->reverts >= 1);       /* ... and reverted at the watchdog's reset */
	assert_int_equal(n3->final_fw, v1);
	assert_string_equal(n3->slot, "primary");
	assert_true(n3->confirmed);
	assert_false(n3->bricked);
	assert_false(n3->converged);
	assert_true(n3->converged_us == UINT64_MAX);
	/* The Initiator saw the revert, counts node 3 failed and, with 2 retries left, never
	 * offers it the bad build again. */
	assert_true(n3->offers <= 1);
	assert_int_equal(n3->offers, 1);
	assert_non_null(n3->result);
	assert_string_equal(n3->result, "reverted");
	assert_int_equal(s->initiator.retries, 2);
	assert_int_equal(r.failed, 1);

	for (uint32_t id = 1; id <= 4; id++) {
		if (id == 3)
			continue;
		const struct bo_run_node *n = node_by_id(&r, id);
		assert_int_equal(n->final_fw, v2);
		assert_true(n->confirmed);
		assert_true(n->converged);
		assert_false(n->bricked);
	}
	assert_int_equal(r.converged, 3);
	assert_true(r.pass);
	for (size_t i = 0; i < r.expect_count; i++)
		assert_true(r.expect[i].pass);

	bo_run_result_free(&r);
	bo_scenario_free(s);
}

/* 4. An expectation that cannot hold fails the run, and says what it saw. */
static void test_impossible_expectation(void **state)
{
	(void)state;
	struct bo_scenario *s = load("line-5-impossible.yaml");
	struct bo_run_result r;
	char err[BO_RUN_ERRLEN] = "";

	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	assert_false(r.pass);
	assert_int_equal(r.expect_count, 2);
	assert_string_equal(r.expect[0].name, "converged");
	assert_false(r.expect[0].pass);
	assert_true(strlen(r.expect[0].observed) > 0);
	assert_true(strlen(r.expect[0].expected) > 0);
	assert_true(r.expect[0].line > 0);
	/* the other expectation is judged on its own */
	assert_string_equal(r.expect[1].name, "no_bricked");
	assert_true(r.expect[1].pass);
	/* the targets still converged, only not within 1 s */
	assert_int_equal(r.converged, 4);

	bo_run_result_free(&r);
	bo_scenario_free(s);
}

/* A target beyond the TTL: reported before the run (result, metric, event) and, as the
 * report says, never updated; the ones within reach are. */
static void test_unreachable(void **state)
{
	(void)state;
	struct bo_scenario *s = load("line-5-short-ttl.yaml");
	struct bo_run_result r;
	char err[BO_RUN_ERRLEN] = "";
	size_t events = 0;

	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	assert_int_equal(r.unreachable, 1);
	assert_non_null(metric(&r, "unreachable_targets"));
	assert_true(metric(&r, "unreachable_targets")->value == 1.0);
	for (size_t i = 0; i < r.event_count; i++)
		if (!strcmp(r.events[i].kind, "unreachable")) {
			events++;
			assert_int_equal(r.events[i].node, 4);
			assert_int_equal(r.events[i].t_us, 0);
			assert_non_null(strstr(r.events[i].detail, "4 hops"));
		}
	assert_int_equal(events, 1);
	assert_false(node_by_id(&r, 4)->converged);
	for (uint32_t id = 1; id <= 3; id++)
		assert_true(node_by_id(&r, id)->converged);
	assert_true(r.pass); /* 3 of 4 is what the file expects */

	bo_run_result_free(&r);
	bo_scenario_free(s);

	/* a link that never delivers is no path */
	s = load("dead-link.yaml");
	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	assert_int_equal(r.unreachable, 1);
	for (size_t i = 0; i < r.event_count; i++)
		if (!strcmp(r.events[i].kind, "unreachable")) {
			assert_int_equal(r.events[i].node, 1);
			assert_non_null(strstr(r.events[i].detail, "no relay path"));
		}
	assert_false(node_by_id(&r, 1)->converged);
	bo_run_result_free(&r);
	bo_scenario_free(s);
}

/* 5. Bad input: an image larger than its slot is refused by the loader already; a layout
 * without a storage partition loads but cannot be built: -1, err names the file. */
static void test_bad_input(void **state)
{
	(void)state;
	static const char big[] =
		"scenario: too-big\n"
		"duration: 1h\n"
		"device: {preset: nrf52840, strategy: swap-scratch}\n"
		"topology: {kind: line, count: 2, spacing: 10}\n"
		"firmware:\n"
		"  v1: {version: 1.0.0, size: 8KiB}\n"
		"  v2: {version: 1.1.0, size: 500KiB}\n"
		"nodes:\n"
		"  default: {firmware: v1, role: target}\n"
		"  overrides: [{id: 0, role: distributor}]\n"
		"initiator: {distributor: 0, image: v2}\n";
	struct bo_scenario *s = NULL;
	char lerr[BO_SCN_ERRLEN] = "";
	assert_true(bo_scenario_load_buffer("too-big.yaml", big, strlen(big), &s, lerr,
					    sizeof(lerr)) < 0);
	assert_null(s);
	assert_non_null(strstr(lerr, "too-big.yaml"));
	assert_non_null(strstr(lerr, "does not fit"));

	s = load("no-storage.yaml");
	struct bo_run_result r;
	char err[BO_RUN_ERRLEN] = "";
	assert_int_equal(run(s, 0, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no-storage.yaml"));
	assert_non_null(strstr(err, "storage"));
	assert_true(strncmp(err, s->file, strlen(s->file)) == 0);
	assert_false(r.pass);
	assert_int_equal(r.node_count, 0);
	bo_run_result_free(&r);
	bo_scenario_free(s);
}

/* opts.stop, already set, ends the run at the first progress point. */
static unsigned progress_calls;

static void on_progress(void *ctx, uint64_t seed, uint64_t now_us, uint64_t end_us,
			uint32_t converged, uint32_t targets)
{
	(void)ctx;
	(void)seed;
	(void)now_us;
	(void)end_us;
	(void)converged;
	(void)targets;
	progress_calls++;
}

static void test_stop(void **state)
{
	(void)state;
	struct bo_scenario *s = load("line-5.yaml");
	struct bo_run_result r;
	char err[BO_RUN_ERRLEN] = "";
	static volatile int stop;
	stop = 1;
	progress_calls = 0;
	struct bo_run_opts o = {
		.seed = s->seed,
		.max_event_level = BO_RUN_EV_OUTCOME,
		.progress = on_progress,
		.progress_us = 60000000u,
		.stop = &stop,
	};
	assert_int_equal(bo_scenario_run(s, &o, &r, err, sizeof(err)), 0);
	assert_true(r.stopped);
	assert_false(r.pass);
	assert_false(r.initiator_done);
	assert_true(r.sim_end_us <= 60000000u); /* line-5 needs about 10 minutes */
	assert_true(r.converged < r.targets);
	bo_run_result_free(&r);
	bo_scenario_free(s);
}

static bool has_event(const struct bo_run_result *r, const char *kind)
{
	for (size_t i = 0; i < r->event_count; i++)
		if (!strcmp(r->events[i].kind, kind))
			return true;
	return false;
}

/* Rollout plans: a canary of nodes 4 and 5 first, soaked, then the rest in waves of 2
 * (node rows carry their wave); a canary whose image never confirms halts the rollout and
 * the other targets are never offered it ("held"). */
static void test_canary(void **state)
{
	(void)state;
	struct bo_scenario *s = load("canary-good.yaml");
	struct bo_run_result r;
	char err[BO_RUN_ERRLEN] = "";
	static const uint32_t wave_of[6] = {0, 2, 2, 3, 1, 1};

	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	dump_events("canary-good", &r);
	assert_true(r.pass);
	assert_int_equal(r.converged, 5);
	assert_true(has_event(&r, "canary_passed"));
	assert_false(has_event(&r, "rollout_halted"));
	for (uint32_t id = 0; id < 6; id++)
		assert_int_equal(node_by_id(&r, id)->wave, wave_of[id]);
	/* the canary converged before any other target was offered the image */
	for (uint32_t id = 1; id <= 3; id++)
		assert_true(node_by_id(&r, id)->converged_us >
			    node_by_id(&r, 4)->converged_us + s->initiator.canary_soak_us);
	bo_run_result_free(&r);
	bo_scenario_free(s);

	s = load("canary-bad.yaml");
	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	dump_events("canary-bad", &r);
	assert_true(has_event(&r, "rollout_halted"));
	assert_int_equal(r.converged, 0);
	assert_int_equal(r.bricked, 0);
	for (uint32_t id = 1; id <= 5; id++) {
		const struct bo_run_node *n = node_by_id(&r, id);

		assert_int_equal(n->wave, id <= 2 ? 1u : 0u);
		assert_int_equal(n->offers, id <= 2 ? 1u : 0u);
		assert_string_equal(n->result, id <= 2 ? "reverted" : "held");
		assert_non_null(strstr(n->reason, id <= 2 ? "reverted after 1 offer (last phase "
							    : "held"));
		if (id <= 2) /* where: the client's answer-driven step, no retry count */
			assert_non_null(strstr(n->reason, "): the Distributor concluded it at "
							  "confirmation after Apply ("));
	}
	bo_run_result_free(&r);
	bo_scenario_free(s);
}

/* Issue 14's relay storm (a 7 x 7 all-relay grid, TTL 40, a 32-entry cache): the run warns
 * and says what to change, in its warnings and as an event; a healthy line does not. */
static void test_storm_warning(void **state)
{
	(void)state;
	struct bo_scenario *s = load("storm.yaml");
	struct bo_run_result r;
	char err[BO_RUN_ERRLEN] = "";
	bool storm = false;

	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	for (size_t i = 0; i < r.warning_count; i++)
		if (strstr(r.warnings[i], "relay storm") && strstr(r.warnings[i], "cache_size"))
			storm = true;
	assert_true(storm);
	assert_true(has_event(&r, "warning"));
	/* congestion, per node: the node rows sum to the run's total, and the warning names
	 * the node that dropped the most first */
	uint64_t sum = 0, most = 0;
	const char *cong = NULL;

	for (size_t i = 0; i < r.node_count; i++) {
		const struct bo_run_node *n = &r.nodes[i];

		sum += n->pdus_dropped;
		most = n->pdus_dropped > most ? n->pdus_dropped : most;
		assert_true(n->relay_dropped <= n->pdus_dropped);
		assert_true(n->queue_peak <= s->mesh.adv_buffers + s->mesh.relay_buffers);
	}
	assert_true(most > 0);
	assert_true((double)sum == metric(&r, "pdus_dropped")->value);
	for (size_t i = 0; i < r.warning_count; i++)
		if (strstr(r.warnings[i], "congestion: "))
			cong = strstr(r.warnings[i], "worst: node ");
	assert_non_null(cong);
	unsigned id;
	unsigned long long dropped;
	assert_int_equal(sscanf(cong, "worst: node %u dropped %llu", &id, &dropped), 2);
	assert_int_equal(dropped, most);
	assert_int_equal(node_by_id(&r, id)->pdus_dropped, most);
	bo_run_result_free(&r);
	bo_scenario_free(s);

	s = load("line-5.yaml");
	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	for (size_t i = 0; i < r.warning_count; i++)
		assert_null(strstr(r.warnings[i], "relay storm"));
	bo_run_result_free(&r);
	bo_scenario_free(s);
}

/* Issue 14 point 5: a target the Distributor gives up on says where: the step, the BLOB
 * block, the tries made there, its hops and the transmissions to it that were lost. */
static void test_gave_up_where(void **state)
{
	(void)state;
	struct bo_scenario *s = load("lossy-link.yaml");
	struct bo_run_result r;
	char err[BO_RUN_ERRLEN] = "";
	const struct bo_run_node *n;
	unsigned block, blocks, tries;
	unsigned long long lost;

	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	n = node_by_id(&r, 1);
	printf("# node 1: %s\n", n->reason);
	assert_false(n->converged);
	assert_string_equal(n->result, "lost");
	const char *at = strstr(n->reason, "the Distributor gave up in BLOB block ");
	assert_non_null(at);
	char step[32] = "";
	assert_int_equal(sscanf(at, "the Distributor gave up in BLOB block %u of %u (%31[^)]) "
				    "after %u tries (1 hop, %llu transmissions to it lost",
				&block, &blocks, step, &tries, &lost), 5);
	assert_true(!strcmp(step, "Block Start") || !strcmp(step, "Block Get"));
	assert_true(block >= 1 && block <= blocks);
	assert_true(tries >= 2);
	assert_true(lost > 0);
	assert_true(node_by_id(&r, 2)->converged && node_by_id(&r, 3)->converged);
	assert_string_equal(node_by_id(&r, 2)->reason, "");
	bo_run_result_free(&r);
	bo_scenario_free(s);

	/* the Distributor gone: the Initiator stops polling, and says so for every target */
	s = load("distributor-gone.yaml");
	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	for (uint32_t id = 1; id <= 3; id++) {
		n = node_by_id(&r, id);
		printf("# node %u: %s\n", id, n->reason);
		assert_false(n->converged);
		assert_string_equal(n->result, "lost");
		at = strstr(n->reason, "the Initiator stopped at Distribution Get (polling) after ");
		assert_non_null(at);
		assert_int_equal(sscanf(at, "the Initiator stopped at Distribution Get (polling) "
					    "after %u tries (%u hop",
					&tries, &block), 2);
		assert_true(tries > 1);
		assert_int_equal(block, node_by_id(&r, id)->hops);
	}
	bo_run_result_free(&r);
	bo_scenario_free(s);
}

/* A target that answered the Distributor's Update Start refusing it (WRONG_PHASE: it still
 * held the previous offer's update, verified, under that offer's BLOB ID) and was then
 * retried to LOST by the Initiator: its words say it refused, not that the Distributor gave
 * up after 1 try (grid-500's "gave up at Update Start after 1 try"). */
static void test_end_words_refused(void **state)
{
	struct run_node rn;
	char b[160];

	(void)state;
	memset(&rn, 0, sizeof rn);
	rn.result = BO_INITIATOR_LOST;
	rn.end_by = RUN_END_DISTRIBUTOR;
	rn.end_step = BO_DFU_CLI_START;
	rn.end_tries = 1;
	rn.end_result = BO_DFU_CLI_REJECTED;
	rn.end_status = BO_DFU_ERR_WRONG_PHASE;
	rn.end_phase = BO_DFU_PHASE_VERIFY_OK;
	diag_end_words(&rn, b, sizeof b);
	assert_string_equal(b, "the target refused Update Start at try 1 (wrong phase, holding an "
			       "update in phase verify OK)");
	/* silent to every try: the Distributor gave up */
	rn.end_result = BO_DFU_CLI_LOST;
	rn.end_tries = BO_DFU_CLI_RETRIES + 1;
	diag_end_words(&rn, b, sizeof b);
	assert_string_equal(b, "the Distributor gave up at Update Start after 6 tries");
}

/* Targets concluded in an earlier round of the Initiator than the last still say where
 * (issue 14): the second round restarts the Distributor's distribution, which then no longer
 * holds them; the round hook noted them before. */
static void test_gave_up_in_earlier_round(void **state)
{
	(void)state;
	struct bo_scenario *s = load("early-conclusion.yaml");
	struct bo_run_result r;
	char err[BO_RUN_ERRLEN] = "";

	assert_int_equal(run(s, 0, &r, err, sizeof(err)), 0);
	for (uint32_t id = 1; id <= 3; id++) {
		const struct bo_run_node *n = node_by_id(&r, id);

		assert_string_equal(n->result, "reverted");
		assert_int_equal(n->offers, id <= 2 ? 1u : 3u); /* 3 was offline in round 1 */
		assert_non_null(strstr(n->reason, "): the Distributor concluded it at "
						  "confirmation after Apply ("));
	}
	bo_run_result_free(&r);
	bo_scenario_free(s);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		fixture_dir = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_line5),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_bad_image_revert),
		cmocka_unit_test(test_impossible_expectation),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_unreachable),
		cmocka_unit_test(test_stop),
		cmocka_unit_test(test_canary),
		cmocka_unit_test(test_storm_warning),
		cmocka_unit_test(test_gave_up_where),
		cmocka_unit_test(test_end_words_refused),
		cmocka_unit_test(test_gave_up_in_earlier_round),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
