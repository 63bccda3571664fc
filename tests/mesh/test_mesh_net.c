/*
 * tests/mesh/test_mesh_net.c: the mesh network model (sim/mesh_net.h).
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/event.h"
#include "sim/mesh_net.h"

#define MAXN 64

struct tc {
	struct sim_loop loop;
	struct mesh_net *net;
	uint32_t n;
	uint32_t delivered[MAXN];
	uint64_t first_at[MAXN];
	uint8_t ttl[MAXN];
	uint16_t src[MAXN], dst[MAXN];
	uint8_t data[MAXN][400];
	size_t len[MAXN];
	uint32_t done_ok, done_fail;
	uint64_t done_at;
	uint64_t last_token;
	/* bulk transfer driver */
	uint32_t bulk_left, bulk_from;
	uint16_t bulk_dst;
	size_t bulk_len;
};

static void on_rx(void *user, struct mesh_net *net, uint32_t node, uint16_t src, uint16_t dst,
		  uint8_t ttl, const uint8_t *data, size_t len)
{
	struct tc *t = user;
	assert_ptr_equal(net, t->net);
	assert_true(node < MAXN);
	if (t->delivered[node]++ == 0)
		t->first_at[node] = sim_now(&t->loop);
	t->ttl[node] = ttl;
	t->src[node] = src;
	t->dst[node] = dst;
	assert_true(len <= sizeof(t->data[node]));
	memcpy(t->data[node], data, len);
	t->len[node] = len;
}

static void bulk_next(struct tc *t)
{
	if (t->bulk_left == 0)
		return;
	uint8_t msg[400];
	for (size_t i = 0; i < t->bulk_len; i++)
		msg[i] = (uint8_t)(t->bulk_left + i);
	int rc = mesh_send(t->net, t->bulk_from, t->bulk_dst, MESH_TTL_DEFAULT, msg, t->bulk_len,
			   t->bulk_left);
	assert_int_equal(rc, 0);
}

static void on_done(void *user, struct mesh_net *net, uint32_t node, uint16_t dst, uint64_t token,
		    bool ok)
{
	struct tc *t = user;
	(void)net;
	(void)node;
	(void)dst;
	if (ok)
		t->done_ok++;
	else
		t->done_fail++;
	t->done_at = sim_now(&t->loop);
	t->last_token = token;
	if (t->bulk_left) {
		if (ok)
			t->bulk_left--;
		bulk_next(t); /* a failed message is sent again */
	}
}

static void tc_init_links(struct tc *t, const struct mesh_config *cfg, uint32_t n,
			  const struct mesh_link *links, size_t nlinks, uint64_t seed)
{
	memset(t, 0, sizeof(*t));
	sim_loop_init(&t->loop);
	t->n = n;
	t->net = mesh_net_create(&t->loop, cfg, n, links, nlinks, seed);
	assert_non_null(t->net);
	mesh_net_set_callbacks(t->net, on_rx, on_done, t);
}

/* Nodes on a line 10 apart, range 12: only neighbours hear each other. */
static void tc_init_line(struct tc *t, const struct mesh_config *cfg, uint32_t n, double loss,
			 uint64_t seed)
{
	struct mesh_pos pos[MAXN];
	for (uint32_t i = 0; i < n; i++)
		pos[i] = (struct mesh_pos){.x = 10.0 * i, .y = 0};
	struct mesh_link *links;
	long nl = mesh_links_from_range(pos, n, 12.0, loss, &links);
	assert_int_equal(nl, n - 1);
	tc_init_links(t, cfg, n, links, (size_t)nl, seed);
	free(links);
}

/* All n nodes within range of each other. */
static void tc_init_cluster(struct tc *t, const struct mesh_config *cfg, uint32_t n, double loss,
			   uint64_t seed)
{
	struct mesh_pos pos[MAXN];
	for (uint32_t i = 0; i < n; i++)
		pos[i] = (struct mesh_pos){.x = (double)(i % 5), .y = (double)(i / 5)};
	struct mesh_link *links;
	long nl = mesh_links_from_range(pos, n, 100.0, loss, &links);
	assert_int_equal(nl, (long)n * (n - 1) / 2);
	tc_init_links(t, cfg, n, links, (size_t)nl, seed);
	free(links);
}

static void tc_free(struct tc *t)
{
	sim_loop_free(&t->loop);
	mesh_net_destroy(t->net);
}

static uint64_t total(const struct tc *t, size_t field_off)
{
	uint64_t s = 0;
	for (uint32_t i = 0; i < t->n; i++) {
		const struct mesh_node_stats *st = mesh_node_stats(t->net, i);
		uint64_t v;
		memcpy(&v, (const char *)st + field_off, sizeof(v));
		s += v;
	}
	return s;
}
#define TOTAL(t, f) total((t), offsetof(struct mesh_node_stats, f))

static void test_links_from_range(void **state)
{
	(void)state;
	struct mesh_pos pos[4] = {{0, 0}, {3, 4}, {10, 0}, {100, 100}};
	struct mesh_link *l;
	long n = mesh_links_from_range(pos, 4, 5.0, 0.25, &l);
	assert_int_equal(n, 1); /* (0,1) at exactly 5 */
	assert_int_equal(l[0].a, 0);
	assert_int_equal(l[0].b, 1);
	assert_true(l[0].delivery == 0.75);
	free(l);
	/* Bad links are refused. */
	struct sim_loop loop;
	sim_loop_init(&loop);
	struct mesh_link bad1 = {0, 0, 1.0}, bad2 = {0, 5, 1.0}, bad3 = {0, 1, 1.5};
	assert_null(mesh_net_create(&loop, NULL, 2, &bad1, 1, 1));
	assert_null(mesh_net_create(&loop, NULL, 2, &bad2, 1, 1));
	assert_null(mesh_net_create(&loop, NULL, 2, &bad3, 1, 1));
	sim_loop_free(&loop);
}

/* Bounds on the arrival time over `hops` hops of an unsegmented message, no queueing. */
static void line_bounds(const struct mesh_config *c, uint32_t hops, uint64_t *lo, uint64_t *hi)
{
	uint64_t air = (uint64_t)c->adv_airtime_us * c->adv_channels;
	*lo = air + (uint64_t)(hops - 1) * (c->relay_delay_min_us + air);
	*hi = c->adv_delay_max_us + air +
	      (uint64_t)(hops - 1) * (c->relay_delay_max_us + c->adv_delay_max_us + air);
}

static void test_line_unsegmented(void **state)
{
	(void)state;
	const uint32_t hops = 6;
	struct mesh_config c;
	mesh_config_default(&c);
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct tc t;
		tc_init_line(&t, NULL, hops + 1, 0.0, seed);
		uint8_t msg[3] = {0x82, 0x01, 0x02};
		assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(hops), MESH_TTL_DEFAULT, msg, 3, 0),
				 0);
		sim_run(&t.loop);
		assert_int_equal(t.delivered[hops], 1);
		for (uint32_t i = 0; i < hops; i++)
			assert_int_equal(t.delivered[i], 0);
		assert_int_equal(t.len[hops], 3);
		assert_memory_equal(t.data[hops], msg, 3);
		assert_int_equal(t.src[hops], 1);
		assert_int_equal(t.ttl[hops], c.default_ttl - (hops - 1));
		uint64_t lo, hi;
		line_bounds(&c, hops, &lo, &hi);
		assert_true(t.first_at[hops] >= lo);
		assert_true(t.first_at[hops] <= hi);
		/* The relays in between, once each; not the source, not the destination. */
		assert_int_equal(TOTAL(&t, pdus_relayed), hops - 1);
		assert_int_equal(mesh_node_stats(t.net, 0)->pdus_relayed, 0);
		assert_int_equal(mesh_node_stats(t.net, hops)->pdus_relayed, 0);
		assert_int_equal(mesh_node_stats(t.net, 0)->transmissions, c.net_transmit_count + 1);
		assert_int_equal(mesh_net_stats(t.net)->messages_sent, 1);
		assert_int_equal(TOTAL(&t, lost), 0);
		tc_free(&t);
	}
}

static void test_ttl_expiry(void **state)
{
	(void)state;
	const uint32_t hops = 5;
	uint8_t msg[2] = {0x01, 0x02};
	struct tc t;
	/* TTL = hops - 1: the last relay gets it with TTL 1 and cannot relay. */
	tc_init_line(&t, NULL, hops + 1, 0.0, 3);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(hops), hops - 1, msg, 2, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[hops], 0);
	assert_true(mesh_node_stats(t.net, hops - 1)->ttl_expired >= 1);
	assert_int_equal(mesh_node_stats(t.net, hops)->pdus_received, 0);
	tc_free(&t);
	/* TTL = hops: just enough, arrives with TTL 1. */
	tc_init_line(&t, NULL, hops + 1, 0.0, 3);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(hops), hops, msg, 2, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[hops], 1);
	assert_int_equal(t.ttl[hops], 1);
	tc_free(&t);
	/* TTL 0: neighbours only, never relayed. */
	tc_init_line(&t, NULL, 3, 0.0, 3);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), 0, msg, 2, 0), 0);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(2), 0, msg, 2, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[1], 1);
	assert_int_equal(t.delivered[2], 0);
	assert_int_equal(TOTAL(&t, pdus_relayed), 0);
	tc_free(&t);
}

static void test_cache_dense_cluster(void **state)
{
	(void)state;
	const uint32_t n = 20;
	struct tc t;
	tc_init_cluster(&t, NULL, n, 0.0, 11);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(mesh_node_subscribe(t.net, i, 0xc001), 0);
	uint8_t msg[4] = {1, 2, 3, 4};
	assert_int_equal(mesh_send(t.net, 0, 0xc001, MESH_TTL_DEFAULT, msg, 4, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[0], 0); /* no loopback */
	for (uint32_t i = 1; i < n; i++) {
		assert_int_equal(t.delivered[i], 1);
		assert_int_equal(t.dst[i], 0xc001);
		assert_true(mesh_node_stats(t.net, i)->pdus_relayed <= 1);
	}
	assert_true(TOTAL(&t, pdus_relayed) <= n - 1);
	assert_true(TOTAL(&t, duplicates) > 0);
	struct mesh_node_stats sum;
	mesh_net_totals(t.net, &sum);
	assert_int_equal(sum.pdus_relayed, TOTAL(&t, pdus_relayed));
	assert_int_equal(sum.duplicates, TOTAL(&t, duplicates));
	assert_int_equal(sum.msgs_delivered, n - 1);
	assert_int_equal(sum.msgs_sent, 1);
	tc_free(&t);
}

/* Many messages through a line: the cache evicts and re-hashes thousands of entries, and
   every message is still delivered once and relayed once per relay. */
static void send_ev(struct sim_loop *loop, void *ctx, void *payload)
{
	(void)loop;
	struct tc *t = ctx;
	uint32_t k;
	memcpy(&k, payload, sizeof(k));
	uint8_t msg[4] = {(uint8_t)k, (uint8_t)(k >> 8), 0, 0};
	assert_int_equal(mesh_send(t->net, k % 2 ? 0 : 4, mesh_node_addr(k % 2 ? 4 : 0),
				   MESH_TTL_DEFAULT, msg, 4, 0),
			 0);
}

static void test_cache_many_messages(void **state)
{
	(void)state;
	struct tc t;
	tc_init_line(&t, NULL, 5, 0.0, 2);
	const uint32_t msgs = 400;
	for (uint32_t k = 0; k < msgs; k++)
		sim_schedule_at(&t.loop, (uint64_t)k * SIM_MS(150), send_ev, &t, &k, sizeof(k));
	sim_run(&t.loop);
	assert_int_equal(t.delivered[4], msgs / 2);
	assert_int_equal(t.delivered[0], msgs / 2);
	for (uint32_t i = 1; i < 4; i++) {
		assert_int_equal(t.delivered[i], 0);
		assert_int_equal(mesh_node_stats(t.net, i)->pdus_relayed, msgs);
		assert_true(mesh_node_stats(t.net, i)->duplicates > 0);
	}
	assert_int_equal(TOTAL(&t, dropped), 0);
	tc_free(&t);
}

static void fill(uint8_t *buf, size_t len, uint8_t k)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(i * 7 + k);
}

static void test_segmented_unicast_two_hops(void **state)
{
	(void)state;
	struct tc t;
	tc_init_line(&t, NULL, 3, 0.0, 5);
	uint8_t msg[100];
	fill(msg, sizeof(msg), 1);
	assert_int_equal(mesh_segments(t.net, 11), 0);
	assert_int_equal(mesh_segments(t.net, 12), 2);
	assert_int_equal(mesh_segments(t.net, 100), 9);
	assert_int_equal(mesh_segments(t.net, 380), 32);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(2), MESH_TTL_DEFAULT, msg, 100, 77), 0);
	/* one segmented send per destination at a time */
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(2), MESH_TTL_DEFAULT, msg, 100, 78),
			 -EBUSY);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[2], 1);
	assert_int_equal(t.len[2], 100);
	assert_memory_equal(t.data[2], msg, 100);
	assert_int_equal(t.delivered[1], 0);
	assert_int_equal(t.done_ok, 1);
	assert_int_equal(t.done_fail, 0);
	assert_int_equal(t.last_token, 77);
	const struct mesh_node_stats *s0 = mesh_node_stats(t.net, 0);
	const struct mesh_node_stats *s2 = mesh_node_stats(t.net, 2);
	assert_int_equal(s0->sar_ok, 1);
	/* A partial acknowledgement that arrives after the first round may trigger an early
	   resend of segments still in flight (as in Zephyr); nothing is lost here. */
	assert_true(s0->seg_retransmitted <= 9);
	assert_int_equal(s0->pdus_sent, 9 + s0->seg_retransmitted);
	assert_true(s2->acks_sent >= 1);
	/* node 1 relayed every segment and every acknowledgement, once */
	assert_int_equal(mesh_node_stats(t.net, 1)->pdus_relayed, s0->pdus_sent + s2->acks_sent);
	assert_int_equal(TOTAL(&t, lost) + TOTAL(&t, collisions) + TOTAL(&t, dropped), 0);
	/* The message took about 9 segment intervals, the ack came back within a second. */
	assert_true(t.done_at > 8 * SIM_MS(60));
	assert_true(t.done_at < 8 * SIM_MS(60) + SIM_S(1));
	assert_true(t.done_at > t.first_at[2]);
	tc_free(&t);
}

static void test_sar_retransmits_on_loss(void **state)
{
	(void)state;
	uint8_t msg[100];
	fill(msg, sizeof(msg), 2);
	struct mesh_link link = {0, 1, 0.4};
	uint32_t seeds_ok_with_retries = 0;
	for (uint64_t seed = 1; seed <= 20; seed++) {
		struct tc t;
		tc_init_links(&t, NULL, 2, &link, 1, seed);
		assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), MESH_TTL_DEFAULT, msg, 100, 1),
				 0);
		sim_run(&t.loop);
		const struct mesh_node_stats *s0 = mesh_node_stats(t.net, 0);
		assert_int_equal(t.done_ok + t.done_fail, 1);
		assert_true(mesh_node_stats(t.net, 1)->lost > 0);
		if (t.done_ok) {
			assert_int_equal(t.delivered[1], 1);
			assert_memory_equal(t.data[1], msg, 100);
			if (s0->seg_retransmitted > 0)
				seeds_ok_with_retries++;
		}
		tc_free(&t);
	}
	print_message("lossy link (delivery 0.4): %u of 20 seeds delivered after SAR retries\n",
		      seeds_ok_with_retries);
	assert_true(seeds_ok_with_retries > 0);

	/* Loss 1.0: nothing arrives; the sender retries unicast_retrans_count times, then fails. */
	struct mesh_config c;
	mesh_config_default(&c);
	struct mesh_link dead = {0, 1, 0.0};
	struct tc t;
	tc_init_links(&t, NULL, 2, &dead, 1, 1);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), MESH_TTL_DEFAULT, msg, 100, 9), 0);
	sim_run(&t.loop);
	assert_int_equal(t.done_fail, 1);
	assert_int_equal(t.done_ok, 0);
	assert_int_equal(t.delivered[1], 0);
	const struct mesh_node_stats *s0 = mesh_node_stats(t.net, 0);
	assert_int_equal(s0->sar_failed, 1);
	assert_int_equal(s0->seg_retransmitted, (uint64_t)c.unicast_retrans_count * 9);
	/* 3 rounds of 9 segments, each followed by the retransmission wait */
	uint64_t wait = mesh_unicast_retrans_interval(t.net, c.default_ttl);
	assert_true(t.done_at >= 3 * (8 * (uint64_t)c.segment_interval_us + wait));
	tc_free(&t);
}

static void test_group_segmented(void **state)
{
	(void)state;
	/* Two hops: 0 - 1 - 2 - 3 on a line, plus 4 and 5 hanging off node 1. */
	struct mesh_link links[] = {{0, 1, 1.0}, {1, 2, 1.0}, {2, 3, 1.0}, {1, 4, 1.0}, {4, 5, 1.0}};
	struct tc t;
	tc_init_links(&t, NULL, 6, links, 5, 21);
	uint16_t g = 0xc123;
	assert_int_equal(mesh_node_subscribe(t.net, 2, g), 0);
	assert_int_equal(mesh_node_subscribe(t.net, 3, g), 0);
	assert_int_equal(mesh_node_subscribe(t.net, 5, g), 0);
	assert_int_equal(mesh_node_subscribe(t.net, 5, 0x1234), -EINVAL);
	assert_true(mesh_node_subscribed(t.net, 5, g));
	uint8_t msg[200];
	fill(msg, sizeof(msg), 3);
	assert_int_equal(mesh_send(t.net, 0, g, MESH_TTL_DEFAULT, msg, 200, 5), 0);
	sim_run(&t.loop);
	uint32_t segs = mesh_segments(t.net, 200);
	for (uint32_t i = 0; i < 6; i++) {
		bool sub = i == 2 || i == 3 || i == 5;
		assert_int_equal(t.delivered[i], sub ? 1 : 0);
		if (sub) {
			assert_int_equal(t.len[i], 200);
			assert_memory_equal(t.data[i], msg, 200);
		}
		assert_int_equal(mesh_node_stats(t.net, i)->acks_sent, 0);
	}
	assert_int_equal(t.done_ok, 1);
	assert_int_equal(mesh_node_stats(t.net, 0)->seg_retransmitted, 2 * segs);
	assert_int_equal(mesh_node_stats(t.net, 0)->pdus_sent, 3 * segs);
	tc_free(&t);
}

/* One source, two segmented messages in flight to the same receiver (unicast and group). */
static void test_concurrent_same_source(void **state)
{
	(void)state;
	struct tc t;
	tc_init_line(&t, NULL, 2, 0.0, 8);
	assert_int_equal(mesh_node_subscribe(t.net, 1, 0xc777), 0);
	uint8_t a[200], b[100];
	fill(a, sizeof(a), 7);
	fill(b, sizeof(b), 8);
	assert_int_equal(mesh_send(t.net, 0, 0xc777, MESH_TTL_DEFAULT, a, sizeof(a), 1), 0);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), MESH_TTL_DEFAULT, b, sizeof(b), 2),
			 0);
	sim_run(&t.loop);
	assert_int_equal(t.done_ok, 2);
	assert_int_equal(t.delivered[1], 2);
	assert_int_equal(mesh_node_stats(t.net, 1)->rx_discarded, 0);
	assert_int_equal(t.len[1], 200); /* the group message, with its extra rounds, ends last */
	assert_memory_equal(t.data[1], a, sizeof(a));
	tc_free(&t);
}

static void test_offline_and_reset(void **state)
{
	(void)state;
	const uint32_t n = 8;
	struct tc t;
	tc_init_cluster(&t, NULL, n, 0.0, 4);
	for (uint32_t i = 0; i < n; i++)
		mesh_node_subscribe(t.net, i, 0xc002);
	mesh_node_set_online(t.net, 3, false);
	assert_false(mesh_node_online(t.net, 3));
	uint8_t msg[50];
	fill(msg, sizeof(msg), 4);
	assert_int_equal(mesh_send(t.net, 3, 0xc002, MESH_TTL_DEFAULT, msg, 5, 0), -ENETDOWN);
	assert_int_equal(mesh_send(t.net, 0, 0xc002, MESH_TTL_DEFAULT, msg, 5, 0), 0);
	assert_int_equal(mesh_send(t.net, 1, mesh_node_addr(3), MESH_TTL_DEFAULT, msg, 50, 0), 0);
	sim_run(&t.loop);
	const struct mesh_node_stats *s3 = mesh_node_stats(t.net, 3);
	assert_int_equal(t.delivered[3], 0);
	assert_int_equal(s3->pdus_received, 0);
	assert_int_equal(s3->lost + s3->collisions + s3->transmissions, 0);
	for (uint32_t i = 1; i < n; i++)
		if (i != 3)
			assert_int_equal(t.delivered[i], 1);
	assert_int_equal(t.done_fail, 1); /* node 1's unicast to the offline node */

	/* Back online it hears again. */
	mesh_node_set_online(t.net, 3, true);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(3), MESH_TTL_DEFAULT, msg, 5, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[3], 1);
	tc_free(&t);

	/* Reset mid-transfer: the sender goes quiet, no callback; the receiver discards. */
	tc_init_line(&t, NULL, 2, 0.0, 4);
	uint8_t big[300];
	fill(big, sizeof(big), 5);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), MESH_TTL_DEFAULT, big, 300, 0), 0);
	sim_run_until(&t.loop, SIM_MS(500));
	uint64_t sent = mesh_node_stats(t.net, 0)->pdus_sent;
	assert_true(sent > 3 && sent < 26);
	mesh_node_reset(t.net, 0);
	sim_run(&t.loop);
	assert_int_equal(mesh_node_stats(t.net, 0)->pdus_sent, sent);
	assert_int_equal(mesh_node_stats(t.net, 0)->resets, 1);
	assert_int_equal(t.done_ok + t.done_fail, 0);
	assert_int_equal(t.delivered[1], 0);
	assert_int_equal(mesh_node_stats(t.net, 1)->rx_discarded, 1);
	assert_true(sim_now(&t.loop) >= SIM_S(10));
	/* After the reset the node works again, with fresh sequence numbers. */
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), MESH_TTL_DEFAULT, big, 300, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[1], 1);
	assert_memory_equal(t.data[1], big, 300);
	tc_free(&t);
}

/* Message-level trace (mesh_net_set_trace): per node, as many events of each kind and
 * reason as the node's counters say happened; off again, nothing is reported. */
struct trace_count {
	uint64_t kind[8];           /* [enum mesh_trace_kind] */
	uint64_t drop[MAXN][12];    /* [node][enum mesh_drop_reason] */
	uint64_t rx[MAXN], send[MAXN], refused_offline, named;
};

static void on_trace(void *user, const struct mesh_trace *tr)
{
	struct trace_count *c = user;

	assert_true(tr->node < MAXN && tr->kind < 8 && tr->reason < 12);
	c->kind[tr->kind]++;
	if (tr->kind == MESH_TRACE_DROP)
		c->drop[tr->node][tr->reason]++;
	if (tr->kind == MESH_TRACE_RECEIVE)
		c->rx[tr->node]++;
	if (tr->kind == MESH_TRACE_SEND)
		c->send[tr->node]++;
	if (tr->kind == MESH_TRACE_REFUSED && tr->reason == MESH_DROP_OFFLINE)
		c->refused_offline++;
	if (tr->data && tr->len >= 1 && tr->data[0] == 0x5a)
		c->named++; /* the access message's first byte (its opcode) is passed on */
}

static void test_trace(void **state)
{
	(void)state;
	struct mesh_config cfg;
	struct trace_count *c = calloc(1, sizeof *c);
	struct tc t;
	uint8_t msg[60];

	assert_non_null(c);
	mesh_config_default(&cfg);
	cfg.adv_buffers = 2;
	tc_init_line(&t, &cfg, 4, 0.3, 11);
	mesh_net_set_trace(t.net, on_trace, c);
	fill(msg, sizeof msg, 1);
	msg[0] = 0x5a;
	for (int k = 0; k < 6; k++) /* a burst: the advertising pool of 2 overflows */
		(void)mesh_send(t.net, 0, mesh_node_addr(3), MESH_TTL_DEFAULT, msg, 8, 0);
	sim_run(&t.loop);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(3), MESH_TTL_DEFAULT, msg, 60, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(3), 1, msg, 8, 0), 0); /* TTL 1 */
	sim_run(&t.loop);
	mesh_node_set_online(t.net, 1, false);
	assert_int_equal(mesh_send(t.net, 1, mesh_node_addr(0), MESH_TTL_DEFAULT, msg, 8, 0),
			 -ENETDOWN);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), MESH_TTL_DEFAULT, msg, 8, 0), 0);
	sim_run(&t.loop);
	for (uint32_t i = 0; i < t.n; i++) {
		const struct mesh_node_stats *st = mesh_node_stats(t.net, i);

		assert_int_equal(c->drop[i][MESH_DROP_LOSS], st->lost);
		assert_int_equal(c->drop[i][MESH_DROP_DUPLICATE], st->duplicates);
		assert_int_equal(c->drop[i][MESH_DROP_TTL], st->ttl_expired);
		assert_int_equal(c->drop[i][MESH_DROP_NO_ADV_BUFFER] +
					 c->drop[i][MESH_DROP_NO_RELAY_BUFFER],
				 st->dropped);
		assert_int_equal(c->rx[i], st->msgs_delivered);
		assert_int_equal(c->send[i], st->msgs_sent);
	}
	assert_true(c->drop[0][MESH_DROP_NO_ADV_BUFFER] >= 1);
	assert_true(TOTAL(&t, lost) > 0 && TOTAL(&t, duplicates) > 0 && TOTAL(&t, ttl_expired) > 0);
	assert_true(c->drop[1][MESH_DROP_OFFLINE] > 0); /* node 0's PDUs node 1 did not hear */
	assert_int_equal(c->refused_offline, 1);
	assert_true(c->named > 0);
	/* off: nothing more */
	uint64_t before = c->kind[MESH_TRACE_SEND] + c->kind[MESH_TRACE_DROP];
	mesh_net_set_trace(t.net, NULL, NULL);
	mesh_node_set_online(t.net, 1, true);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(3), MESH_TTL_DEFAULT, msg, 60, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(c->kind[MESH_TRACE_SEND] + c->kind[MESH_TRACE_DROP], before);
	tc_free(&t);
	free(c);
}

static void test_collisions_and_buffers(void **state)
{
	(void)state;
	/* 0 and 2 both reach 1 but not each other; zero delays: their packets overlap. */
	struct mesh_config c;
	mesh_config_default(&c);
	c.collisions = true;
	c.adv_delay_max_us = 0;
	struct mesh_link links[] = {{0, 1, 1.0}, {2, 1, 1.0}};
	struct tc t;
	tc_init_links(&t, &c, 3, links, 2, 1);
	uint8_t msg[2] = {9, 9};
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), MESH_TTL_DEFAULT, msg, 2, 0), 0);
	assert_int_equal(mesh_send(t.net, 2, mesh_node_addr(1), MESH_TTL_DEFAULT, msg, 2, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[1], 0);
	assert_int_equal(mesh_node_stats(t.net, 1)->collisions, 2 * (c.net_transmit_count + 1));
	tc_free(&t);
	/* Starts 500 us apart: different channels at any instant with the per-channel model,
	   an overlap of the 1128 us events with the event model. */
	for (int model = 0; model < 2; model++) {
		c.collision_model = model ? MESH_COLLIDE_EVENT : MESH_COLLIDE_CHANNEL;
		tc_init_links(&t, &c, 3, links, 2, 1);
		assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), 0, msg, 2, 0), 0);
		sim_run_until(&t.loop, 500);
		assert_int_equal(mesh_send(t.net, 2, mesh_node_addr(1), 0, msg, 2, 0), 0);
		sim_run(&t.loop);
		assert_int_equal(t.delivered[1], model ? 0 : 2);
		assert_int_equal(mesh_node_stats(t.net, 1)->collisions, model ? 6 : 0);
		tc_free(&t);
	}
	/* A third transmitter hitting only the second one's packet: the first is received. */
	struct mesh_link l4[] = {{0, 1, 1.0}, {2, 1, 1.0}, {3, 1, 1.0}};
	c.collision_model = MESH_COLLIDE_CHANNEL;
	c.net_transmit_count = 0;
	tc_init_links(&t, &c, 4, l4, 3, 1);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), 0, msg, 2, 0), 0);
	sim_run_until(&t.loop, 500);
	assert_int_equal(mesh_send(t.net, 2, mesh_node_addr(1), 0, msg, 2, 0), 0);
	sim_run_until(&t.loop, 700);
	assert_int_equal(mesh_send(t.net, 3, mesh_node_addr(1), 0, msg, 2, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[1], 1);
	assert_int_equal(t.src[1], mesh_node_addr(0));
	assert_int_equal(mesh_node_stats(t.net, 1)->collisions, 2);
	tc_free(&t);
	mesh_config_default(&c);
	c.collisions = true;
	c.adv_delay_max_us = 0;
	/* Without collisions both arrive. */
	c.collisions = false;
	tc_init_links(&t, &c, 3, links, 2, 1);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), MESH_TTL_DEFAULT, msg, 2, 0), 0);
	assert_int_equal(mesh_send(t.net, 2, mesh_node_addr(1), MESH_TTL_DEFAULT, msg, 2, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[1], 2);
	tc_free(&t);

	/* Half-duplex: two neighbours sending at once do not hear each other. */
	mesh_config_default(&c);
	c.adv_delay_max_us = 0;
	for (int hd = 0; hd < 2; hd++) {
		c.half_duplex = hd;
		struct mesh_link one = {0, 1, 1.0};
		tc_init_links(&t, &c, 2, &one, 1, 1);
		assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), 0, msg, 2, 0), 0);
		assert_int_equal(mesh_send(t.net, 1, mesh_node_addr(0), 0, msg, 2, 0), 0);
		sim_run(&t.loop);
		assert_int_equal(t.delivered[0] + t.delivered[1], hd ? 0 : 2);
		assert_int_equal(mesh_node_stats(t.net, 0)->deaf, hd ? 3 : 0);
		tc_free(&t);
	}
	/* ... but one after the other they do. */
	c.half_duplex = true;
	struct mesh_link one = {0, 1, 1.0};
	tc_init_links(&t, &c, 2, &one, 1, 1);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), 0, msg, 2, 0), 0);
	sim_run_until(&t.loop, SIM_MS(5));
	assert_int_equal(mesh_send(t.net, 1, mesh_node_addr(0), 0, msg, 2, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[0] + t.delivered[1], 2);
	tc_free(&t);

	/* Advertising buffers: the 7th unsegmented message queued at once is dropped. */
	tc_init_line(&t, NULL, 2, 0.0, 1);
	for (int i = 0; i < 6; i++)
		assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), MESH_TTL_DEFAULT, msg, 2, 0),
				 0);
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), MESH_TTL_DEFAULT, msg, 2, 0),
			 -ENOBUFS);
	assert_int_equal(mesh_node_stats(t.net, 0)->dropped, 1);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[1], 6);
	tc_free(&t);

	/* Relay buffers: a relay with one buffer, flooded from two sides, drops some. */
	mesh_config_default(&c);
	c.relay_buffers = 1;
	struct mesh_link l3[] = {{0, 1, 1.0}, {1, 2, 1.0}};
	tc_init_links(&t, &c, 3, l3, 2, 1);
	for (int i = 0; i < 4; i++) {
		mesh_send(t.net, 0, mesh_node_addr(2), MESH_TTL_DEFAULT, msg, 2, 0);
		mesh_send(t.net, 2, mesh_node_addr(0), MESH_TTL_DEFAULT, msg, 2, 0);
	}
	sim_run(&t.loop);
	assert_true(mesh_node_stats(t.net, 1)->dropped > 0);
	assert_true(t.delivered[0] + t.delivered[2] < 8);
	tc_free(&t);

	/* Bad sends. */
	tc_init_line(&t, NULL, 2, 0.0, 1);
	uint8_t big[400] = {0};
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(0), 5, msg, 2, 0), -EINVAL);
	assert_int_equal(mesh_send(t.net, 0, 0, 5, msg, 2, 0), -EINVAL);
	assert_int_equal(mesh_send(t.net, 0, 0x8001, 5, msg, 2, 0), -EINVAL);
	assert_int_equal(mesh_send(t.net, 0, 2, 128, msg, 2, 0), -EINVAL);
	assert_int_equal(mesh_send(t.net, 0, 2, 5, msg, 0, 0), -EINVAL);
	assert_int_equal(mesh_send(t.net, 0, 2, 5, big, 381, 0), -EINVAL);
	assert_int_equal(mesh_send(t.net, 9, 2, 5, msg, 2, 0), -EINVAL);
	tc_free(&t);
}

/* A 6x6 grid, lossy links, collisions, a mix of traffic: returns all counters. */
static void grid_run(uint64_t seed, struct mesh_node_stats *out, uint64_t *end, uint32_t *deliv)
{
	struct mesh_config c;
	mesh_config_default(&c);
	c.collisions = true;
	struct mesh_pos pos[36];
	for (uint32_t i = 0; i < 36; i++)
		pos[i] = (struct mesh_pos){.x = 10.0 * (i % 6), .y = 10.0 * (i / 6)};
	struct mesh_link *links;
	long nl = mesh_links_from_range(pos, 36, 15.0, 0.2, &links);
	assert_true(nl > 0);
	struct tc *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	tc_init_links(t, &c, 36, links, (size_t)nl, seed);
	free(links);
	for (uint32_t i = 0; i < 36; i += 2)
		mesh_node_subscribe(t->net, i, 0xc00a);
	uint8_t msg[300];
	fill(msg, sizeof(msg), 6);
	mesh_send(t->net, 0, mesh_node_addr(35), MESH_TTL_DEFAULT, msg, 300, 1);
	mesh_send(t->net, 35, mesh_node_addr(0), MESH_TTL_DEFAULT, msg, 40, 2);
	mesh_send(t->net, 7, 0xc00a, MESH_TTL_DEFAULT, msg, 120, 3);
	for (uint32_t i = 1; i < 36; i += 5)
		mesh_send(t->net, i, mesh_node_addr((i + 17) % 36), MESH_TTL_DEFAULT, msg, 8, 4);
	sim_run(&t->loop);
	for (uint32_t i = 0; i < 36; i++)
		out[i] = *mesh_node_stats(t->net, i);
	*end = sim_now(&t->loop);
	*deliv = 0;
	for (uint32_t i = 0; i < 36; i++)
		*deliv += t->delivered[i];
	tc_free(t);
	free(t);
}

static void test_determinism(void **state)
{
	(void)state;
	struct mesh_node_stats a[36], b[36], c[36];
	uint64_t ea, eb, ec;
	uint32_t da, db, dc;
	grid_run(1234, a, &ea, &da);
	grid_run(1234, b, &eb, &db);
	grid_run(1235, c, &ec, &dc);
	assert_memory_equal(a, b, sizeof(a));
	assert_int_equal(ea, eb);
	assert_int_equal(da, db);
	assert_true(memcmp(a, c, sizeof(a)) != 0 || ea != ec);
	uint64_t coll = 0, tx = 0, lost = 0, rx = 0;
	for (int i = 0; i < 36; i++) {
		coll += a[i].collisions;
		tx += a[i].transmissions;
		lost += a[i].lost;
		rx += a[i].pdus_received;
	}
	print_message("6x6 grid, 20%% loss, collisions: %u deliveries; %llu transmissions, "
		      "%llu receptions, %llu lost, %llu collisions; end %.3f s\n", da,
		      (unsigned long long)tx, (unsigned long long)rx, (unsigned long long)lost,
		      (unsigned long long)coll, (double)ea / 1e6);
	assert_true(da > 0);
}

/* Thread-safe (no cmocka asserts inside): a lossy 8x8 grid run, its counters summed. */
struct par_job {
	uint64_t seed;
	struct mesh_node_stats sum;
	uint64_t end, deliveries;
	int ok;
};

static void par_rx(void *user, struct mesh_net *net, uint32_t node, uint16_t src, uint16_t dst,
		   uint8_t ttl, const uint8_t *data, size_t len)
{
	(void)net, (void)node, (void)src, (void)dst, (void)ttl, (void)data, (void)len;
	((struct par_job *)user)->deliveries++;
}

static void *par_run(void *arg)
{
	struct par_job *j = arg;
	struct sim_loop loop;
	sim_loop_init(&loop);
	struct mesh_pos pos[64];
	for (uint32_t i = 0; i < 64; i++)
		pos[i] = (struct mesh_pos){.x = 10.0 * (i % 8), .y = 10.0 * (i / 8)};
	struct mesh_link *links;
	long nl = mesh_links_from_range(pos, 64, 15.0, 0.1, &links);
	struct mesh_config c;
	mesh_config_default(&c);
	c.collisions = true;
	struct mesh_net *net = nl > 0 ? mesh_net_create(&loop, &c, 64, links, (size_t)nl, j->seed)
				       : NULL;
	free(links);
	if (!net)
		return NULL;
	mesh_net_set_callbacks(net, par_rx, NULL, j);
	for (uint32_t i = 0; i < 64; i++)
		mesh_node_subscribe(net, i, 0xc00b);
	uint8_t msg[200] = {1, 2, 3};
	for (uint32_t i = 0; i < 64; i += 9)
		mesh_send(net, i, mesh_node_addr(63 - i), MESH_TTL_DEFAULT, msg, 6, 0);
	mesh_send(net, 27, 0xc00b, MESH_TTL_DEFAULT, msg, 200, 0);
	mesh_send(net, 0, mesh_node_addr(63), MESH_TTL_DEFAULT, msg, 100, 0);
	sim_run(&loop);
	mesh_net_totals(net, &j->sum);
	j->end = sim_now(&loop);
	j->ok = 1;
	mesh_net_destroy(net);
	sim_loop_free(&loop);
	return NULL;
}

/* Networks share nothing: the same seeds on 8 threads give the serial results. */
static void test_parallel_networks(void **state)
{
	(void)state;
	enum { JOBS = 8 };
	struct par_job serial[JOBS], par[JOBS];
	memset(serial, 0, sizeof(serial));
	memset(par, 0, sizeof(par));
	for (int i = 0; i < JOBS; i++) {
		serial[i].seed = par[i].seed = 100 + (uint64_t)(i % 4); /* seeds repeat on purpose */
		par_run(&serial[i]);
		assert_true(serial[i].ok);
	}
	pthread_t th[JOBS];
	for (int i = 0; i < JOBS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, par_run, &par[i]), 0);
	for (int i = 0; i < JOBS; i++)
		assert_int_equal(pthread_join(th[i], NULL), 0);
	for (int i = 0; i < JOBS; i++) {
		assert_true(par[i].ok);
		assert_memory_equal(&par[i].sum, &serial[i].sum, sizeof(par[i].sum));
		assert_int_equal(par[i].end, serial[i].end);
		assert_int_equal(par[i].deliveries, serial[i].deliveries);
		assert_true(par[i].deliveries > 0);
	}
	assert_true(memcmp(&serial[0].sum, &serial[1].sum, sizeof(serial[0].sum)) != 0);
}

/* Model sanity: the figures for the README. */
/* A PDU's transmissions are decided together at the end of the first (sim/mesh_net.c,
 * "batched transmissions"): a copy that gets through after earlier ones were lost must
 * still arrive at the end of its own transmission, and every copy is counted once. */
static void test_later_copies_arrive_on_time(void **state)
{
	(void)state;
	struct mesh_config c;
	mesh_config_default(&c);
	c.adv_delay_max_us = 0; /* transmissions end at 1128, 21128 and 41128 us */
	struct mesh_link link = {0, 1, 0.5};
	uint32_t by_copy[3] = {0}, never = 0;
	const int runs = 400;
	for (int s = 1; s <= runs; s++) {
		struct tc t;
		tc_init_links(&t, &c, 2, &link, 1, (uint64_t)s);
		uint8_t msg[3] = {1, 2, 3};
		assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(1), 5, msg, 3, 0), 0);
		sim_run(&t.loop);
		if (t.delivered[1] == 0) {
			never++;
		} else {
			assert_int_equal(t.delivered[1], 1);
			uint64_t at = t.first_at[1];
			assert_true(at == 1128 || at == 21128 || at == 41128);
			by_copy[at / 20000]++;
		}
		const struct mesh_node_stats *r = mesh_node_stats(t.net, 1);
		assert_int_equal(mesh_node_stats(t.net, 0)->transmissions, 3);
		assert_int_equal(r->lost + r->pdus_received, 3);
		assert_int_equal(r->duplicates + 1, r->pdus_received + (t.delivered[1] == 0));
		tc_free(&t);
	}
	/* Expected 1/2, 1/4, 1/8, 1/8 of the runs: wide bounds, the draws are fixed by seed. */
	print_message("first copy received: #0 %u, #1 %u, #2 %u, none %u of %d\n", by_copy[0],
		      by_copy[1], by_copy[2], never, runs);
	assert_true(by_copy[0] > 150 && by_copy[0] < 250);
	assert_true(by_copy[1] > 60 && by_copy[1] < 140);
	assert_true(by_copy[2] > 25 && by_copy[2] < 75);
	assert_true(never > 25 && never < 75);
}

/* A relay's buffer is held from reception to the end of the relayed PDU's last
 * transmission, no longer and no shorter (mesh_net.h, "Buffers"; the buffer is freed
 * without an event, when the node next needs it). Fixed delays make the times exact. */
static void test_relay_buffer_held_until_last_transmission(void **state)
{
	(void)state;
	struct mesh_config c;
	mesh_config_default(&c);
	c.adv_delay_max_us = 0;
	c.relay_delay_min_us = c.relay_delay_max_us = 10000;
	c.relay_buffers = 1;
	struct tc t;
	tc_init_line(&t, &c, 3, 0.0, 1);
	mesh_node_set_relay(t.net, 0, false);
	mesh_node_set_relay(t.net, 2, false);
	uint8_t msg[3] = {1, 2, 3};

	/* A: 0 -> 2. Node 1 hears it at 1128 us and sends it at 11128, 31128 and 51128 us:
	 * its one relay buffer is taken until 52256 us. */
	assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(2), 5, msg, 3, 0), 0);
	sim_run_until(&t.loop, 40000);
	/* B: 2 -> 0, heard by node 1 at 41128 us, while A is still on air: dropped (and its
	 * later copies are duplicates). */
	assert_int_equal(mesh_send(t.net, 2, mesh_node_addr(0), 5, msg, 3, 0), 0);
	sim_run_until(&t.loop, 51200);
	assert_int_equal(mesh_node_stats(t.net, 1)->dropped, 1);
	/* C: 2 -> 0, heard at 52328 us, after A's last transmission: relayed. */
	assert_int_equal(mesh_send(t.net, 2, mesh_node_addr(0), 5, msg, 3, 0), 0);
	sim_run(&t.loop);
	assert_int_equal(t.delivered[2], 1);
	assert_int_equal(t.delivered[0], 1);
	assert_int_equal(mesh_node_stats(t.net, 1)->dropped, 1);
	assert_int_equal(mesh_node_stats(t.net, 1)->pdus_relayed, 2);
	assert_int_equal(mesh_node_stats(t.net, 1)->transmissions, 6);
	tc_free(&t);
}

static void test_model_figures(void **state)
{
	(void)state;
	struct mesh_config c;
	mesh_config_default(&c);
	/* Per hop: a 10-hop line, averaged over seeds. */
	const uint32_t hops = 10;
	double sum = 0, mn = 1e18, mx = 0;
	const int runs = 20;
	for (int s = 1; s <= runs; s++) {
		struct tc t;
		tc_init_line(&t, NULL, hops + 1, 0.0, (uint64_t)s);
		uint8_t msg[3] = {1, 2, 3};
		assert_int_equal(mesh_send(t.net, 0, mesh_node_addr(hops), 10, msg, 3, 0), 0);
		sim_run(&t.loop);
		assert_int_equal(t.delivered[hops], 1);
		double per_hop = (double)t.first_at[hops] / hops / 1000.0;
		sum += per_hop;
		mn = per_hop < mn ? per_hop : mn;
		mx = per_hop > mx ? per_hop : mx;
		tc_free(&t);
	}
	double per_hop = sum / runs;
	print_message("MODEL unsegmented message: %.1f ms per hop (mean of %d runs over %u hops; "
		      "min %.1f, max %.1f)\n", per_hop, runs, hops, mn, mx);
	assert_true(per_hop > 5.0 && per_hop < 200.0);

	/* 100 kB over one hop as maximal segmented messages (380 bytes: 1-byte opcode,
	   2-byte chunk number, 377 data bytes), each sent when the previous is acknowledged. */
	const size_t total_bytes = 100 * 1024, data_per_msg = 377, msg_len = 380;
	uint32_t msgs = (uint32_t)((total_bytes + data_per_msg - 1) / data_per_msg);
	struct mesh_link link = {0, 1, 1.0};
	struct tc *t = calloc(1, sizeof(*t));
	assert_non_null(t);
	tc_init_links(t, NULL, 2, &link, 1, 1);
	t->bulk_left = msgs;
	t->bulk_from = 0;
	t->bulk_dst = mesh_node_addr(1);
	t->bulk_len = msg_len;
	bulk_next(t);
	sim_run(&t->loop);
	assert_int_equal(t->bulk_left, 0);
	assert_int_equal(t->delivered[1], msgs);
	double secs = (double)t->done_at / 1e6;
	print_message("MODEL 100 KiB single hop, %u messages of %zu bytes (%u segments each), "
		      "acknowledged: %.1f s (%.1f min, %.2f kbit/s of payload)\n",
		      msgs, msg_len, mesh_segments(t->net, msg_len), secs, secs / 60.0,
		      (double)total_bytes * 8.0 / secs / 1000.0);
	assert_true(secs > 30.0 && secs < 7200.0);
	tc_free(t);

	/* The same with 10% link loss. */
	link.delivery = 0.9;
	tc_init_links(t, NULL, 2, &link, 1, 1);
	t->bulk_left = msgs;
	t->bulk_from = 0;
	t->bulk_dst = mesh_node_addr(1);
	t->bulk_len = msg_len;
	bulk_next(t);
	sim_run(&t->loop);
	assert_int_equal(t->bulk_left, 0);
	secs = (double)t->done_at / 1e6;
	print_message("MODEL 100 KiB single hop at 10%% loss: %.1f s (%.1f min), %llu segments "
		      "resent, %u failed messages resent\n", secs, secs / 60.0,
		      (unsigned long long)mesh_node_stats(t->net, 0)->seg_retransmitted,
		      t->done_fail);
	assert_true(secs > 30.0 && secs < 7200.0);
	tc_free(t);

	/* The same to a group (no acknowledgements, 2 extra rounds per message). */
	link.delivery = 1.0;
	tc_init_links(t, NULL, 2, &link, 1, 1);
	mesh_node_subscribe(t->net, 1, 0xc000);
	t->bulk_left = msgs;
	t->bulk_from = 0;
	t->bulk_dst = 0xc000;
	t->bulk_len = msg_len;
	bulk_next(t);
	sim_run(&t->loop);
	assert_int_equal(t->bulk_left, 0);
	assert_int_equal(t->delivered[1], msgs);
	secs = (double)t->done_at / 1e6;
	print_message("MODEL 100 KiB single hop to a group (multicast SAR, 3 rounds): %.1f s "
		      "(%.1f min)\n", secs, secs / 60.0);
	assert_true(secs > 30.0 && secs < 7200.0);
	tc_free(t);

	/* Unicast again with half-duplex radios (acks can meet the sender on air). */
	c.half_duplex = true;
	tc_init_links(t, &c, 2, &link, 1, 1);
	t->bulk_left = msgs;
	t->bulk_from = 0;
	t->bulk_dst = mesh_node_addr(1);
	t->bulk_len = msg_len;
	bulk_next(t);
	sim_run(&t->loop);
	assert_int_equal(t->bulk_left, 0);
	secs = (double)t->done_at / 1e6;
	print_message("MODEL 100 KiB single hop, unicast, half-duplex radios: %.1f s (%.1f min), "
		      "%llu transmissions missed while on air\n", secs, secs / 60.0,
		      (unsigned long long)(mesh_node_stats(t->net, 0)->deaf +
					   mesh_node_stats(t->net, 1)->deaf));
	assert_true(secs > 30.0 && secs < 7200.0);
	tc_free(t);
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links_from_range),
		cmocka_unit_test(test_line_unsegmented),
		cmocka_unit_test(test_ttl_expiry),
		cmocka_unit_test(test_cache_dense_cluster),
		cmocka_unit_test(test_cache_many_messages),
		cmocka_unit_test(test_segmented_unicast_two_hops),
		cmocka_unit_test(test_sar_retransmits_on_loss),
		cmocka_unit_test(test_group_segmented),
		cmocka_unit_test(test_concurrent_same_source),
		cmocka_unit_test(test_offline_and_reset),
		cmocka_unit_test(test_collisions_and_buffers),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_determinism),
		cmocka_unit_test(test_parallel_networks),
		cmocka_unit_test(test_model_figures),
		cmocka_unit_test(test_later_copies_arrive_on_time),
		cmocka_unit_test(test_relay_buffer_held_until_last_transmission),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
