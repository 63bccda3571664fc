/* core/port/mesh.h over the simulated network: messages with opcodes, timers, clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/mesh_port.h"

struct node {
	struct sim_mesh_port mp;
	uint32_t fired[4];
	uint64_t fired_at[4];
	int nfired;
	uint32_t last_opcode;
	uint8_t last_payload[400];
	size_t last_len;
	uint16_t last_src;
	int received;
	uint64_t received_at;
};

struct world {
	struct sim_loop loop;
	struct mesh_net *net;
	struct node n[3];
};

static void on_timer(void *user, uint32_t id)
{
	struct node *nd = user;
	nd->fired[nd->nfired] = id;
	nd->fired_at[nd->nfired++] = sim_now(nd->mp.loop);
}

static void on_rx(void *user, struct mesh_net *net, uint32_t node, uint16_t src, uint16_t dst,
		  uint8_t ttl, const uint8_t *data, size_t len)
{
	(void)net;
	(void)dst;
	(void)ttl;
	struct world *w = user;
	struct node *nd = &w->n[node];
	const uint8_t *payload;
	size_t plen;
	assert_int_equal(sim_mesh_split(data, len, &nd->last_opcode, &payload, &plen), 0);
	memcpy(nd->last_payload, payload, plen);
	nd->last_len = plen;
	nd->last_src = src;
	nd->received++;
	nd->received_at = sim_now(&w->loop);
}

static void world_init(struct world *w)
{
	memset(w, 0, sizeof *w);
	sim_loop_init(&w->loop);
	const struct mesh_pos pos[3] = {{0, 0}, {10, 0}, {20, 0}};
	struct mesh_link *links;
	long nl = mesh_links_from_range(pos, 3, 12, 0.0, &links);
	w->net = mesh_net_create(&w->loop, NULL, 3, links, (size_t)nl, 42);
	free(links);
	assert_non_null(w->net);
	mesh_net_set_callbacks(w->net, on_rx, NULL, w);
	for (uint32_t i = 0; i < 3; i++)
		sim_mesh_port_init(&w->n[i].mp, w->net, i, 42, on_timer, &w->n[i]);
}

static void on_tx_done(void *user, struct mesh_net *net, uint32_t node, uint16_t dst,
		       uint64_t token, bool ok)
{
	struct world *w = user;
	(void)net;
	(void)dst;
	(void)ok;
	sim_mesh_port_sent(&w->n[node].mp, token);
}

static void world_free(struct world *w)
{
	mesh_net_destroy(w->net);
	sim_loop_free(&w->loop);
}

static void messages_carry_opcode_and_payload(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	const struct bo_mesh_port *p = &w.n[0].mp.port;
	assert_int_equal(p->addr, 1);
	/* A short two-octet-opcode message (unsegmented) and a 300-byte one (segmented), two hops. */
	uint8_t big[300];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7);
	struct bo_mesh_tx tx = {.dst = 3, .ttl = BO_MESH_TTL_DEFAULT};
	assert_int_equal(p->send(p->ctx, &tx, 0x8305, NULL, 0), 0);
	sim_run(&w.loop);
	assert_int_equal(w.n[2].received, 1);
	assert_int_equal(w.n[2].last_opcode, 0x8305);
	assert_int_equal(w.n[2].last_len, 0);
	assert_int_equal(w.n[2].last_src, 1);
	assert_int_equal(p->send(p->ctx, &tx, 0x66, big, sizeof big), 0);
	sim_run(&w.loop);
	assert_int_equal(w.n[2].received, 2);
	assert_int_equal(w.n[2].last_opcode, 0x66);
	assert_int_equal(w.n[2].last_len, sizeof big);
	assert_memory_equal(w.n[2].last_payload, big, sizeof big);
	world_free(&w);
}

static void timers_fire_rearm_cancel_and_reset(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	const struct bo_mesh_port *p = &w.n[1].mp.port;
	uint64_t t0 = p->now_us(p->ctx);
	p->timer_arm(p->ctx, 3, 5000);
	p->timer_arm(p->ctx, 4, 1000);
	p->timer_arm(p->ctx, 3, 2000); /* re-arming replaces */
	p->timer_arm(p->ctx, 5, 3000);
	p->timer_cancel(p->ctx, 5);
	sim_run(&w.loop);
	assert_int_equal(w.n[1].nfired, 2);
	assert_int_equal(w.n[1].fired[0], 4);
	assert_int_equal(w.n[1].fired_at[0], t0 + 1000);
	assert_int_equal(w.n[1].fired[1], 3);
	assert_int_equal(w.n[1].fired_at[1], t0 + 2000);
	/* A power loss forgets armed timers. */
	p->timer_arm(p->ctx, 7, 1000);
	sim_mesh_port_reset(&w.n[1].mp);
	sim_run(&w.loop);
	assert_int_equal(w.n[1].nfired, 2);
	world_free(&w);
}

/* A port with send_done arms the sender's done timer once the message has left: after the
 * last transmission of an unsegmented one, after the acknowledgement of a segmented one
 * (so well after its send); without done_timer, or without send_done, nothing fires. */
static void send_done_arms_the_named_timer_when_the_message_has_left(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	mesh_net_set_callbacks(w.net, on_rx, on_tx_done, &w);
	struct sim_mesh_port *mp = &w.n[0].mp;
	const struct bo_mesh_port *p = &mp->port;
	uint8_t big[200] = {0};
	struct bo_mesh_tx tx = {.dst = 2, .ttl = BO_MESH_TTL_DEFAULT,
				.done_timer = BO_MESH_DONE_TIMER(6)};

	/* not enabled: no report */
	assert_int_equal(p->send(p->ctx, &tx, 0x66, big, 4), 0);
	sim_run(&w.loop);
	assert_int_equal(w.n[0].nfired, 0);
	mp->port.send_done = 1;
	uint64_t t0 = p->now_us(p->ctx);
	assert_int_equal(p->send(p->ctx, &tx, 0x66, big, 4), 0); /* unsegmented */
	sim_run(&w.loop);
	assert_int_equal(w.n[0].nfired, 1);
	assert_int_equal(w.n[0].fired[0], 6);
	assert_true(w.n[0].fired_at[0] > t0);
	t0 = p->now_us(p->ctx);
	tx.done_timer = BO_MESH_DONE_TIMER(0);
	assert_int_equal(p->send(p->ctx, &tx, 0x66, big, sizeof big), 0); /* 17 segments */
	sim_run(&w.loop);
	assert_int_equal(w.n[0].nfired, 2);
	assert_int_equal(w.n[0].fired[1], 0);
	assert_true(w.n[0].fired_at[1] > t0 + 16u * 60000u); /* every segment went out */
	tx.done_timer = 0;
	assert_int_equal(p->send(p->ctx, &tx, 0x66, big, sizeof big), 0);
	sim_run(&w.loop);
	assert_int_equal(w.n[0].nfired, 2);
	world_free(&w);
}

static void random_streams_are_per_node_and_seeded(void **state)
{
	(void)state;
	struct world a, b;
	world_init(&a);
	world_init(&b);
	const struct bo_mesh_port *a0 = &a.n[0].mp.port, *a1 = &a.n[1].mp.port;
	const struct bo_mesh_port *b0 = &b.n[0].mp.port;
	uint32_t x = a0->random(a0->ctx), y = a1->random(a1->ctx), z = b0->random(b0->ctx);
	assert_int_equal(x, z); /* same seed, same node: same stream */
	assert_int_not_equal(x, y);
	world_free(&a);
	world_free(&b);
}

/* A response to a message sent to a group waits 20 to 500 ms (the Mesh Protocol's advice,
 * Zephyr's delayable messages), a response to a unicast message does not; a power loss
 * drops a held response. The delays are drawn per node from the seed. */
static void group_responses_wait_a_random_delay(void **state)
{
	(void)state;
	struct world w;
	world_init(&w);
	struct sim_mesh_port *mp = &w.n[1].mp;
	const struct bo_mesh_port *p = &mp->port;
	struct bo_mesh_tx tx = {.dst = 1, .ttl = BO_MESH_TTL_DEFAULT}; /* back to node 0 */
	uint64_t earliest = UINT64_MAX, latest = 0;

	for (int k = 0; k < 8; k++) {
		uint64_t t0 = sim_now(&w.loop);
		int before = w.n[0].received;

		sim_mesh_port_rx_begin(mp, 1, 0xc000); /* handling a group message from node 0 */
		assert_int_equal(p->send(p->ctx, &tx, 0x8305, NULL, 0), 0);
		sim_mesh_port_rx_done(mp);
		sim_run(&w.loop);
		assert_int_equal(w.n[0].received, before + 1);
		uint64_t d = w.n[0].received_at - t0;
		earliest = d < earliest ? d : earliest;
		latest = d > latest ? d : latest;
	}
	assert_true(earliest >= SIM_MESH_RESPONSE_DELAY_MIN_US);
	assert_true(latest <= SIM_MESH_RESPONSE_DELAY_MAX_US + 50000); /* + the bearer */
	assert_true(latest - earliest > 50000); /* random, not one fixed delay */

	/* A response to a unicast message goes at once (one hop: a few ms on the bearer), once
	 * the last response's repeats have left the air (the loop stopped at its first copy). */
	sim_run_until(&w.loop, sim_now(&w.loop) + 100000);
	uint64_t t0 = sim_now(&w.loop);
	sim_mesh_port_rx_begin(mp, 1, 2);
	assert_int_equal(p->send(p->ctx, &tx, 0x8305, NULL, 0), 0);
	sim_mesh_port_rx_done(mp);
	sim_run(&w.loop);
	assert_true(w.n[0].received_at - t0 < SIM_MESH_RESPONSE_DELAY_MIN_US);

	/* A held response dies with the power. */
	int before = w.n[0].received;
	sim_mesh_port_rx_begin(mp, 1, 0xc000);
	assert_int_equal(p->send(p->ctx, &tx, 0x8305, NULL, 0), 0);
	sim_mesh_port_reset(mp);
	sim_run(&w.loop);
	assert_int_equal(w.n[0].received, before);
	world_free(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(messages_carry_opcode_and_payload),
		cmocka_unit_test(timers_fire_rearm_cancel_and_reset),
		cmocka_unit_test(send_done_arms_the_named_timer_when_the_message_has_left),
		cmocka_unit_test(random_streams_are_per_node_and_seeded),
		cmocka_unit_test(group_responses_wait_a_random_delay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
