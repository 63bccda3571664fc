/*
 * sim/scenario_trace.c: message-level events (`brownout run --events 3`, issue 14 point 6).
 *
 * The network model reports every access message sent, refused and received, every PDU
 * dropped with its reason, and every segmented send that gave up (sim/mesh_net.h,
 * mesh_net_set_trace); each becomes a level-3 event at the node where it happened, in the
 * run's one event list (so in the same `event` table as the other levels):
 *   msg_send     "to node 5 ttl 7: BLOB Chunk Transfer, 104 bytes in 9 segments"
 *   msg_refused  "to node 5: Firmware Update Start: busy (a segmented send to it)"
 *   msg_rx       "from node 0 ttl 6: BLOB Chunk Transfer, 104 bytes"
 *   pdu_drop     "loss: segment 0/8 of BLOB Chunk Transfer, node 0 -> group 0xc000"
 *   sar_failed   "to node 5: BLOB Chunk Transfer: no acknowledgement, gave up"
 * Only the chosen nodes are traced (bo_run_opts.trace_nodes; ids the scenario does not have
 * are ignored) and at most trace_max events are kept; a last event 'trace_truncated' says
 * how many were left out. Tracing is set up only at level 3: below it the network's hooks
 * cost one branch each.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/dfu/msg.h"
#include "sim/scenario_world.h"

/* A mesh address as the events name nodes: by scenario id. */
static void addr_words(const struct world *w, uint16_t a, char *b, size_t n)
{
	uint32_t i = (uint32_t)a - 1u;

	if (a == MESH_ADDR_ALL_NODES)
		snprintf(b, n, "all nodes");
	else if (a >= MESH_GROUP_MIN)
		snprintf(b, n, "group 0x%04x", a);
	else if (a && i < w->n)
		snprintf(b, n, "node %u", w->s->nodes[i].id);
	else if (a && i == w->n)
		snprintf(b, n, "the gateway");
	else
		snprintf(b, n, "0x%04x", a);
}

/* The access message's name from its opcode ("BLOB Chunk Transfer"; another model's
 * opcode as a number). */
static void msg_words(const uint8_t *data, size_t len, char *b, size_t n)
{
	uint32_t op;
	const uint8_t *p;
	size_t plen;
	enum bo_dfu_msg_type t;

	if (!data || sim_mesh_split(data, len, &op, &p, &plen)) {
		snprintf(b, n, "a message");
		return;
	}
	t = bo_dfu_msg_type_of(op);
	if (t == BO_MSG_NONE)
		snprintf(b, n, "opcode 0x%x", (unsigned)op);
	else
		snprintf(b, n, "%s", bo_dfu_msg_name(t));
}

static const char *drop_words(uint8_t reason)
{
	switch (reason) {
	case MESH_DROP_LOSS: return "loss";
	case MESH_DROP_COLLISION: return "collision";
	case MESH_DROP_DEAF: return "deaf (transmitting)";
	case MESH_DROP_TTL: return "TTL expired";
	case MESH_DROP_DUPLICATE: return "duplicate (cache hit)";
	case MESH_DROP_NO_ADV_BUFFER: return "no adv buffer";
	case MESH_DROP_NO_RELAY_BUFFER: return "no relay buffer";
	case MESH_DROP_OFFLINE: return "node off";
	case MESH_DROP_BUSY: return "busy (a segmented send to it)";
	default: return "dropped";
	}
}

static void on_trace(void *user, const struct mesh_trace *t)
{
	struct world *w = user;
	char src[24], dst[24], msg[64];
	int64_t id;

	if (t->node >= w->n || !w->traced[t->node])
		return;
	if (w->trace_kept >= w->trace_max) {
		w->trace_left_out++;
		return;
	}
	w->trace_kept++;
	id = w->s->nodes[t->node].id;
	addr_words(w, t->src, src, sizeof src);
	addr_words(w, t->dst, dst, sizeof dst);
	msg_words(t->data, t->len, msg, sizeof msg);
	switch (t->kind) {
	case MESH_TRACE_SEND:
		if (t->segments)
			world_event(w, id, BO_RUN_EV_TRACE, "msg_send",
				    "to %s ttl %u: %s, %zu bytes in %u segments", dst, t->ttl, msg,
				    t->len, t->segments);
		else
			world_event(w, id, BO_RUN_EV_TRACE, "msg_send", "to %s ttl %u: %s, %zu bytes",
				    dst, t->ttl, msg, t->len);
		break;
	case MESH_TRACE_REFUSED:
		world_event(w, id, BO_RUN_EV_TRACE, "msg_refused", "to %s: %s: %s", dst, msg,
			    drop_words(t->reason));
		break;
	case MESH_TRACE_RECEIVE:
		world_event(w, id, BO_RUN_EV_TRACE, "msg_rx", "from %s ttl %u: %s, %zu bytes", src,
			    t->ttl, msg, t->len);
		break;
	case MESH_TRACE_SAR_FAIL:
		world_event(w, id, BO_RUN_EV_TRACE, "sar_failed",
			    "to %s: %s: no acknowledgement, gave up", dst, msg);
		break;
	case MESH_TRACE_DROP:
		if (t->pdu == MESH_PDU_SEG_ACK)
			world_event(w, id, BO_RUN_EV_TRACE, "pdu_drop", "%s: segment ack, %s -> %s",
				    drop_words(t->reason), src, dst);
		else if (t->pdu == MESH_PDU_SEGMENT && t->data)
			world_event(w, id, BO_RUN_EV_TRACE, "pdu_drop",
				    "%s: segment 0/%u of %s, %s -> %s", drop_words(t->reason),
				    t->seg_n, msg, src, dst);
		else if (t->pdu == MESH_PDU_SEGMENT)
			world_event(w, id, BO_RUN_EV_TRACE, "pdu_drop", "%s: segment %u/%u, %s -> %s",
				    drop_words(t->reason), t->seg_o, t->seg_n, src, dst);
		else
			world_event(w, id, BO_RUN_EV_TRACE, "pdu_drop", "%s: %s, %s -> %s",
				    drop_words(t->reason), msg, src, dst);
		break;
	default:
		break;
	}
}

int trace_start(struct world *w)
{
	const struct bo_run_opts *o = w->o;

	if (o->max_event_level < BO_RUN_EV_TRACE)
		return 0; /* the network's hooks stay one untaken branch each */
	w->traced = calloc(w->n ? w->n : 1, sizeof *w->traced);
	if (!w->traced)
		return -1;
	w->trace_max = o->trace_max ? o->trace_max : BO_RUN_TRACE_MAX_DEFAULT;
	for (uint32_t i = 0; i < w->n; i++) {
		bool on = !o->trace_nodes;

		for (size_t k = 0; !on && k < o->trace_node_count; k++)
			on = o->trace_nodes[k] == w->s->nodes[i].id;
		w->traced[i] = on;
	}
	mesh_net_set_trace(w->net, on_trace, w);
	return 0;
}

void trace_end(struct world *w)
{
	if (!w->traced)
		return;
	mesh_net_set_trace(w->net, NULL, NULL);
	if (w->trace_left_out)
		world_event(w, -1, BO_RUN_EV_TRACE, "trace_truncated",
			    "%zu message events left out: the first %zu were kept (--trace-max)",
			    w->trace_left_out, w->trace_kept);
}
