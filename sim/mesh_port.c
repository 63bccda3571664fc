/* core/port/mesh.h over the mesh network model and the event loop. */
#include <string.h>

#include "core/dfu/msg.h"
#include "sim/mesh_port.h"

#define PURPOSE_PORT_RANDOM 0x706f7274u /* "port" */

static void port_timer_arm(void *ctx, uint32_t id, uint64_t delay_us);

static int port_send(void *ctx, const struct bo_mesh_tx *tx, uint32_t opcode,
		     const uint8_t *payload, size_t len)
{
	struct sim_mesh_port *p = ctx;
	uint8_t pdu[BO_MESH_OPCODE_MAXLEN + 380];
	int n = bo_mesh_opcode_encode(opcode, pdu, sizeof pdu);
	if (n < 0 || len > sizeof pdu - (size_t)n)
		return -1;
	if (len) /* payload may be NULL for an empty message */
		memcpy(pdu + n, payload, len);
	if (p->divert && p->divert(p->divert_ctx, p->node, tx->dst, pdu, (size_t)n + len)) {
		p->sent++;
		if (p->port.send_done && tx->done_timer) /* the wire took it whole */
			port_timer_arm(p, tx->done_timer - 1u, 0);
		return 0;
	}
	uint8_t ttl = tx->ttl == BO_MESH_TTL_DEFAULT ? MESH_TTL_DEFAULT : tx->ttl;
	uint64_t token = p->port.send_done && tx->done_timer ? SIM_MESH_PORT_TOKEN(tx->done_timer)
							     : 0;
	if (mesh_send(p->net, p->node, tx->dst, ttl, pdu, (size_t)n + len, token)) {
		p->refused++;
		return -1; /* the models treat it as lost and retry */
	}
	p->sent++;
	return 0;
}

static void timer_fired(struct sim_loop *loop, void *ctx, void *payload)
{
	(void)loop;
	struct sim_mesh_port *p = ctx;
	uint32_t id;
	memcpy(&id, payload, sizeof id);
	p->timers[id] = SIM_HANDLE_NONE;
	p->on_timer(p->user, id);
}

static void port_timer_cancel(void *ctx, uint32_t id)
{
	struct sim_mesh_port *p = ctx;
	if (id < SIM_MESH_PORT_TIMERS && p->timers[id] != SIM_HANDLE_NONE) {
		sim_cancel(p->loop, p->timers[id]);
		p->timers[id] = SIM_HANDLE_NONE;
	}
}

static void port_timer_arm(void *ctx, uint32_t id, uint64_t delay_us)
{
	struct sim_mesh_port *p = ctx;
	if (id >= SIM_MESH_PORT_TIMERS)
		return; /* a model bug; its timeout simply never fires */
	port_timer_cancel(ctx, id);
	p->timers[id] = sim_schedule_in(p->loop, delay_us, timer_fired, p, &id, sizeof id);
}

static uint64_t port_now(void *ctx)
{
	return sim_now(((struct sim_mesh_port *)ctx)->loop);
}

static uint32_t port_random(void *ctx)
{
	return sim_rng_u32(&((struct sim_mesh_port *)ctx)->rng);
}

void sim_mesh_port_init(struct sim_mesh_port *p, struct mesh_net *net, uint32_t node,
			uint64_t seed, sim_mesh_timer_fn on_timer, void *user)
{
	memset(p, 0, sizeof *p);
	p->loop = mesh_net_loop(net);
	p->net = net;
	p->node = node;
	p->on_timer = on_timer;
	p->user = user;
	sim_rng_derive(&p->rng, seed, node, PURPOSE_PORT_RANDOM);
	p->port = (struct bo_mesh_port){
		.ctx = p,
		.addr = mesh_node_addr(node),
		.send = port_send,
		.timer_arm = port_timer_arm,
		.timer_cancel = port_timer_cancel,
		.now_us = port_now,
		.random = port_random,
	};
}

void sim_mesh_port_sent(struct sim_mesh_port *p, uint64_t token)
{
	if (token >> 32 == SIM_MESH_PORT_TOKEN(0) >> 32)
		port_timer_arm(p, (uint32_t)token - 1u, 0);
}

void sim_mesh_port_reset(struct sim_mesh_port *p)
{
	for (uint32_t id = 0; id < SIM_MESH_PORT_TIMERS; id++)
		port_timer_cancel(p, id);
}

int sim_mesh_split(const uint8_t *pdu, size_t len, uint32_t *opcode, const uint8_t **payload,
		   size_t *payload_len)
{
	int n = bo_mesh_opcode_decode(pdu, len, opcode);
	if (n < 0)
		return -1;
	*payload = pdu + n;
	*payload_len = len - (size_t)n;
	return 0;
}
