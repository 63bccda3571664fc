/*
 * tests/mesh/test_event.c: the event loop (sim/event.h) and the PRNG streams (sim/rng.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/event.h"
#include "sim/rng.h"

struct rec {
	uint64_t times[64];
	uint32_t ids[64];
	size_t n;
};

static void record(struct sim_loop *loop, void *ctx, void *payload)
{
	struct rec *r = ctx;
	uint32_t id;
	memcpy(&id, payload, sizeof(id));
	assert_true(r->n < 64);
	r->times[r->n] = sim_now(loop);
	r->ids[r->n] = id;
	r->n++;
}

static sim_handle at(struct sim_loop *loop, struct rec *r, uint64_t t, uint32_t id)
{
	return sim_schedule_at(loop, t, record, r, &id, sizeof(id));
}

static void test_ordering(void **state)
{
	(void)state;
	struct sim_loop loop;
	struct rec r = {0};
	sim_loop_init(&loop);
	uint64_t ts[] = {50, 10, 40, 20, 30, 0, 60};
	for (uint32_t i = 0; i < 7; i++)
		at(&loop, &r, ts[i], i);
	assert_int_equal(sim_pending(&loop), 7);
	assert_int_equal(sim_run(&loop), 7);
	assert_int_equal(r.n, 7);
	for (size_t i = 1; i < r.n; i++)
		assert_true(r.times[i - 1] < r.times[i]);
	assert_int_equal(r.ids[0], 5);
	assert_int_equal(r.ids[6], 6);
	assert_int_equal(sim_now(&loop), 60);
	assert_false(sim_step(&loop));
	sim_loop_free(&loop);
}

static void test_ties_in_insertion_order(void **state)
{
	(void)state;
	struct sim_loop loop;
	struct rec r = {0};
	sim_loop_init(&loop);
	for (uint32_t i = 0; i < 40; i++)
		at(&loop, &r, (i % 2) ? 100 : 200, i);
	sim_run(&loop);
	assert_int_equal(r.n, 40);
	/* First the odd ids (t=100) in order, then the even ones (t=200) in order. */
	for (size_t i = 0; i < 20; i++) {
		assert_int_equal(r.ids[i], 2 * i + 1);
		assert_int_equal(r.ids[20 + i], 2 * i);
	}
	sim_loop_free(&loop);
}

static void test_cancel(void **state)
{
	(void)state;
	struct sim_loop loop;
	struct rec r = {0};
	sim_loop_init(&loop);
	sim_handle h[10];
	for (uint32_t i = 0; i < 10; i++)
		h[i] = at(&loop, &r, 10 * (i + 1), i);
	assert_true(sim_is_pending(&loop, h[3]));
	assert_int_equal(sim_due(&loop, h[3]), 40);
	assert_true(sim_cancel(&loop, h[3]));
	assert_false(sim_cancel(&loop, h[3]));
	assert_false(sim_is_pending(&loop, h[3]));
	assert_true(sim_cancel(&loop, h[0]));
	assert_true(sim_cancel(&loop, h[9]));
	assert_int_equal(sim_pending(&loop), 7);
	assert_false(sim_cancel(&loop, SIM_HANDLE_NONE));
	/* The freed slot is reused: the stale handle must not cancel the new event. */
	sim_handle n = at(&loop, &r, 5, 100);
	assert_false(sim_cancel(&loop, h[3]));
	assert_true(sim_is_pending(&loop, n));
	assert_int_equal(sim_run_until(&loop, 55), 4); /* 5, 20, 30, 50 */
	assert_int_equal(sim_now(&loop), 55);
	assert_false(sim_cancel(&loop, h[1])); /* already ran */
	sim_run(&loop);
	uint32_t want[] = {100, 1, 2, 4, 5, 6, 7, 8};
	assert_int_equal(r.n, 8);
	for (size_t i = 0; i < 8; i++)
		assert_int_equal(r.ids[i], want[i]);
	sim_loop_free(&loop);
}

/* A callback that schedules more events (the table grows while it runs) and cancels one. */
struct chain {
	uint64_t count;
	sim_handle victim;
	int victim_ran;
};

static void victim_fn(struct sim_loop *loop, void *ctx, void *payload)
{
	(void)loop;
	(void)payload;
	((struct chain *)ctx)->victim_ran = 1;
}

static void chain_fn(struct sim_loop *loop, void *ctx, void *payload)
{
	struct chain *c = ctx;
	unsigned char p[SIM_EVENT_PAYLOAD];
	memcpy(p, payload, sizeof(p));
	for (size_t i = 0; i < sizeof(p); i++)
		assert_int_equal(p[i], (unsigned char)(i + 1));
	c->count++;
	if (c->count == 1) {
		c->victim = sim_schedule_in(loop, 1000, victim_fn, c, NULL, 0);
		for (int i = 0; i < 500; i++)
			sim_schedule_in(loop, (uint64_t)i, chain_fn, c, p, sizeof(p));
		/* payload is our own copy: still intact after the table grew */
		assert_memory_equal(payload, p, sizeof(p));
	} else if (c->count == 300) {
		assert_true(sim_cancel(loop, c->victim));
	}
}

static void test_reentrant(void **state)
{
	(void)state;
	struct sim_loop loop;
	struct chain c = {0};
	unsigned char p[SIM_EVENT_PAYLOAD];
	for (size_t i = 0; i < sizeof(p); i++)
		p[i] = (unsigned char)(i + 1);
	sim_loop_init(&loop);
	sim_schedule_at(&loop, 7, chain_fn, &c, p, sizeof(p));
	sim_run(&loop);
	assert_int_equal(c.count, 501);
	assert_int_equal(c.victim_ran, 0);
	sim_loop_free(&loop);
}

static void stopper(struct sim_loop *loop, void *ctx, void *payload)
{
	(void)payload;
	(*(int *)ctx)++;
	sim_stop(loop);
}

static void test_step_and_stop(void **state)
{
	(void)state;
	struct sim_loop loop;
	int n = 0;
	sim_loop_init(&loop);
	sim_schedule_at(&loop, 10, stopper, &n, NULL, 0);
	sim_schedule_at(&loop, 20, stopper, &n, NULL, 0);
	sim_schedule_at(&loop, 30, stopper, &n, NULL, 0);
	assert_int_equal(sim_run(&loop), 1);
	assert_int_equal(sim_now(&loop), 10);
	assert_true(sim_step(&loop));
	assert_int_equal(n, 2);
	assert_int_equal(sim_run_until(&loop, 100), 1);
	assert_int_equal(sim_now(&loop), 30); /* stopped: clock stays at the event */
	assert_int_equal(sim_run_until(&loop, 100), 0);
	assert_int_equal(sim_now(&loop), 100);
	/* In the past: runs now. */
	sim_schedule_at(&loop, 5, stopper, &n, NULL, 0);
	sim_run(&loop);
	assert_int_equal(sim_now(&loop), 100);
	sim_loop_free(&loop);
}

/* 1e6 events through the heap with a random schedule, checking order as they run. */
struct mass {
	uint64_t last_time, last_seq_check, n;
};

static void mass_fn(struct sim_loop *loop, void *ctx, void *payload)
{
	struct mass *m = ctx;
	(void)payload;
	assert_true(sim_now(loop) >= m->last_time);
	m->last_time = sim_now(loop);
	m->n++;
}

static void test_million(void **state)
{
	(void)state;
	struct sim_loop loop;
	struct sim_rng rng;
	struct mass m = {0};
	sim_loop_init(&loop);
	sim_rng_seed(&rng, 42);
	sim_handle keep = SIM_HANDLE_NONE;
	uint64_t cancelled = 0;
	for (uint32_t i = 0; i < 1000000; i++) {
		sim_handle h = sim_schedule_at(&loop, sim_rng_below(&rng, 10000000), mass_fn, &m,
					       &i, sizeof(i));
		if (i % 10 == 0) {
			if (sim_cancel(&loop, keep))
				cancelled++;
			keep = h;
		}
	}
	assert_int_equal(sim_pending(&loop), 1000000 - cancelled);
	uint64_t ran = sim_run(&loop);
	assert_int_equal(ran, 1000000 - cancelled);
	assert_int_equal(m.n, ran);
	/* Interleaved schedule/run keeps working after the big drain (slots reused). */
	for (uint32_t i = 0; i < 100000; i++) {
		sim_schedule_in(&loop, sim_rng_below(&rng, 1000), mass_fn, &m, NULL, 0);
		if (i % 2)
			sim_step(&loop);
	}
	sim_run(&loop);
	assert_int_equal(m.n, ran + 100000);
	sim_loop_free(&loop);
}

/* Events near (the wheel) and far (the heap) at the same instants, scheduled from inside
 * callbacks and from outside, some cancelled, some run with sim_run_until: every event
 * must run in (time, scheduling order), none lost, none twice. */
struct churn {
	struct sim_loop *loop;
	struct sim_rng rng;
	sim_handle pending[256];
	uint64_t last_time, last_id, next_id, ran, cancelled, scheduled;
	bool any;
};

static void churn_schedule(struct churn *c);

static void churn_fn(struct sim_loop *loop, void *ctx, void *payload)
{
	struct churn *c = ctx;
	uint64_t id;
	memcpy(&id, payload, sizeof(id));
	if (c->any)
		assert_true(sim_now(loop) > c->last_time ||
			    (sim_now(loop) == c->last_time && id > c->last_id));
	c->any = true;
	c->last_time = sim_now(loop);
	c->last_id = id;
	c->ran++;
	if (c->scheduled < 200000)
		for (int k = sim_rng_below(&c->rng, 3); k > 0; k--)
			churn_schedule(c);
}

static void churn_schedule(struct churn *c)
{
	/* coarse instants so that many events share one; around the wheel's horizon */
	static const uint64_t spans[] = {0, 1, 1000, SIM_WHEEL_US - 1, SIM_WHEEL_US,
					 SIM_WHEEL_US + 1, 2u * SIM_WHEEL_US, 5u * SIM_WHEEL_US};
	uint64_t d = spans[sim_rng_below(&c->rng, 8)];
	if (sim_rng_below(&c->rng, 2))
		d = sim_rng_below(&c->rng, 3u * SIM_WHEEL_US / 1000u) * 1000u;
	uint64_t id = c->next_id++;
	sim_handle h = sim_schedule_in(c->loop, d, churn_fn, c, &id, sizeof(id));
	c->scheduled++;
	uint32_t k = (uint32_t)sim_rng_below(&c->rng, 256);
	if (sim_rng_below(&c->rng, 4) == 0 && sim_cancel(c->loop, c->pending[k]))
		c->cancelled++;
	c->pending[k] = h;
}

static void test_wheel_and_heap_order(void **state)
{
	(void)state;
	struct sim_loop loop;
	struct churn c;
	memset(&c, 0, sizeof(c));
	sim_loop_init(&loop);
	c.loop = &loop;
	sim_rng_seed(&c.rng, 7);
	for (int i = 0; i < 1000; i++)
		churn_schedule(&c);
	/* stretches of run_until (the clock jumps, far events move into the wheel) and steps */
	while (sim_pending(&loop) > 0) {
		sim_run_until(&loop, sim_now(&loop) + sim_rng_below(&c.rng, 4u * SIM_WHEEL_US));
		for (int i = 0; i < 100; i++)
			sim_step(&loop);
		if (c.scheduled < 200000)
			churn_schedule(&c); /* from outside any callback */
	}
	assert_int_equal(c.ran + c.cancelled, c.scheduled);
	assert_true(c.ran > 100000);
	sim_loop_free(&loop);
}

static void test_rng_streams(void **state)
{
	(void)state;
	struct sim_rng a, b, c;
	/* Same key, same stream; creation order does not matter (derivation is a hash). */
	sim_rng_derive(&a, 7, 3, 1);
	sim_rng_derive(&c, 7, 4, 1);
	sim_rng_derive(&b, 7, 3, 1);
	for (int i = 0; i < 100; i++)
		assert_int_equal(sim_rng_u64(&a), sim_rng_u64(&b));
	/* Different node, purpose or seed: different streams. */
	struct sim_rng d, e;
	sim_rng_derive(&a, 7, 3, 1);
	sim_rng_derive(&d, 7, 1, 3);
	sim_rng_derive(&e, 8, 3, 1);
	uint64_t x = sim_rng_u64(&a);
	assert_true(x != sim_rng_u64(&c));
	assert_true(x != sim_rng_u64(&d));
	assert_true(x != sim_rng_u64(&e));
	/* Known first output for a fixed key, so a change to the derivation is noticed. */
	sim_rng_derive(&a, 1, 0, 0);
	uint64_t first = sim_rng_u64(&a);
	sim_rng_derive(&b, 1, 0, 0);
	assert_int_equal(first, sim_rng_u64(&b));
}

static void test_rng_helpers(void **state)
{
	(void)state;
	struct sim_rng r;
	sim_rng_seed(&r, 123);
	uint64_t hist[10] = {0};
	for (int i = 0; i < 100000; i++) {
		uint64_t v = sim_rng_below(&r, 10);
		assert_true(v < 10);
		hist[v]++;
	}
	for (int i = 0; i < 10; i++)
		assert_true(hist[i] > 9000 && hist[i] < 11000);
	assert_int_equal(sim_rng_below(&r, 0), 0);
	assert_int_equal(sim_rng_below(&r, 1), 0);
	for (int i = 0; i < 1000; i++) {
		uint64_t v = sim_rng_range(&r, 5, 8);
		assert_true(v >= 5 && v <= 8);
		double d = sim_rng_double(&r);
		assert_true(d >= 0.0 && d < 1.0);
	}
	assert_int_equal(sim_rng_range(&r, 9, 3), 9);
	int yes = 0;
	for (int i = 0; i < 100000; i++)
		yes += sim_rng_bernoulli(&r, 0.25);
	assert_true(yes > 24000 && yes < 26000);
	struct sim_rng before = r;
	assert_false(sim_rng_bernoulli(&r, 0.0));
	assert_true(sim_rng_bernoulli(&r, 1.0));
	assert_memory_equal(&before, &r, sizeof(r)); /* no draw at p = 0 or 1 */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ordering),
		cmocka_unit_test(test_ties_in_insertion_order),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_reentrant),
		cmocka_unit_test(test_step_and_stop),
		cmocka_unit_test(test_million),
		cmocka_unit_test(test_wheel_and_heap_order),
		cmocka_unit_test(test_rng_streams),
		cmocka_unit_test(test_rng_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
