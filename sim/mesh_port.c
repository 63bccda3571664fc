/* core/port/mesh.h over the mesh network model and the event loop. */
#include <string.h>

#include "core/dfu/msg.h"
#include "sim/mesh_port.h"

#define PURPOSE_PORT_RANDOM 0x706f7274u /* "port" */
#define PURPOSE_RESPONSE_DELAY 0x646c6179u /* "dlay" */

static void port_timer_arm(void *ctx, uint32_t id, uint64_t delay_us);

static int net_send(struct sim_mesh_port *p, uint16_t dst, uint8_t ttl, const uint8_t *pdu,
		    size_t len, uint64_t token)
{
	if (mesh_send(p->net, p->node, dst, ttl, pdu, len, token)) {
		p->refused++;
		return -1; /* the models treat it as lost and retry */
	}
	p->sent++;
	return 0;
}

static void delayed_due(struct sim_loop *loop, void *ctx, void *payload)
{
	(void)loop;
	struct sim_mesh_port *p = ctx;
	uint32_t k;
	memcpy(&k, payload, sizeof k);
	struct sim_mesh_delayed *d = &p->delayed[k];
	d->h = SIM_HANDLE_NONE;
	(void)net_send(p, d->dst, d->ttl, d->pdu, d->len, d->token); /* refused: lost */
}

/* A response to a group-addressed message: hold it 20-500 ms; 0 when held, -1 when no
 * slot is free (it goes at once). */
static int hold_response(struct sim_mesh_port *p, uint16_t dst, uint8_t ttl, const uint8_t *pdu,
			 size_t len, uint64_t token)
{
	for (uint32_t k = 0; k < SIM_MESH_PORT_DELAYED; k++) {
		struct sim_mesh_delayed *d = &p->delayed[k];
		if (d->h != SIM_HANDLE_NONE || len > sizeof d->pdu)
			continue;
		d->dst = dst;
		d->ttl = ttl;
		d->len = (uint16_t)len;
		d->token = token;
		memcpy(d->pdu, pdu, len);
		uint64_t us = sim_rng_range(&p->delay_rng, SIM_MESH_RESPONSE_DELAY_MIN_US,
					    SIM_MESH_RESPONSE_DELAY_MAX_US);
		d->h = sim_schedule_in(p->loop, us, delayed_due, p, &k, sizeof k);
		p->sent++; /* handed over: the network takes it when the delay ends */
		return 0;
	}
	return -1;
}

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
	if (p->group_rx_src && tx->dst == p->group_rx_src &&
	    hold_response(p, tx->dst, ttl, pdu, (size_t)n + len, token) == 0)
		return 0;
	return net_send(p, tx->dst, ttl, pdu, (size_t)n + len, token);
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
	sim_rng_derive(&p->delay_rng, seed, node, PURPOSE_RESPONSE_DELAY);
	for (uint32_t k = 0; k < SIM_MESH_PORT_DELAYED; k++)
		p->delayed[k].h = SIM_HANDLE_NONE;
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
	for (uint32_t k = 0; k < SIM_MESH_PORT_DELAYED; k++) {
		if (p->delayed[k].h != SIM_HANDLE_NONE)
			sim_cancel(p->loop, p->delayed[k].h);
		p->delayed[k].h = SIM_HANDLE_NONE;
	}
	p->group_rx_src = 0;
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
