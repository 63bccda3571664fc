/*
 * sim/mesh_port.h: core/port/mesh.h for one simulated node: its messages go through the
 * mesh network model (sim/mesh_net.h), its timers and clock are the event loop's
 * (sim/event.h), its randomness a seeded stream of its own (sim/rng.h). This is how the
 * DFU models of core/dfu run unchanged in the simulator.
 */
#ifndef SIM_MESH_PORT_H
#define SIM_MESH_PORT_H

#include <stdbool.h>

#include "core/port/mesh.h"
#include "sim/event.h"
#include "sim/mesh_net.h"
#include "sim/rng.h"

#define SIM_MESH_PORT_TIMERS 32 /* timer ids 0..31 per node */

/* Where the port delivers a timer expiry for the node's models. */
typedef void (*sim_mesh_timer_fn)(void *user, uint32_t timer_id);

/* A message the node sends that leaves by another route than the radio (the Distributor's
 * wired link to its gateway): true when taken (then the network never sees it). */
typedef bool (*sim_mesh_divert_fn)(void *ctx, uint32_t node, uint16_t dst, const uint8_t *pdu,
				   size_t len);

/* Responses to a message sent to a group wait a random 20 to 500 ms before they go (the
 * Mesh Protocol's recommendation for responses to group or virtual addresses, which
 * Zephyr follows with CONFIG_BT_MESH_ACCESS_DELAYABLE_MSG): without it, hundreds of Targets
 * answer a group request at the same instant and drown each other. A few wait at once;
 * more go at once. Power loss drops them. */
#define SIM_MESH_PORT_DELAYED 4
#define SIM_MESH_PORT_PDU_MAX 392
#define SIM_MESH_RESPONSE_DELAY_MIN_US 20000u
#define SIM_MESH_RESPONSE_DELAY_MAX_US 500000u
struct sim_mesh_delayed {
	sim_handle h; /* SIM_HANDLE_NONE: free */
	uint16_t dst;
	uint8_t ttl;
	uint16_t len;
	uint64_t token;
	uint8_t pdu[SIM_MESH_PORT_PDU_MAX];
};

struct sim_mesh_port {
	struct bo_mesh_port port; /* what the node's models use */
	struct sim_loop *loop;
	struct mesh_net *net;
	uint32_t node;
	struct sim_rng rng;
	struct sim_rng delay_rng;  /* response delays: a stream of their own */
	uint16_t group_rx_src;     /* while a group-addressed message is handled: its sender */
	struct sim_mesh_delayed delayed[SIM_MESH_PORT_DELAYED];
	sim_handle timers[SIM_MESH_PORT_TIMERS];
	sim_mesh_timer_fn on_timer;
	void *user;
	uint64_t sent, refused; /* messages handed to the network, and refused by it */
	sim_mesh_divert_fn divert; /* optional, set after init; kept across power loss */
	void *divert_ctx;
};

/* Fill p for node `node` of net. seed: the run's root seed (the node's stream derives). */
void sim_mesh_port_init(struct sim_mesh_port *p, struct mesh_net *net, uint32_t node,
			uint64_t seed, sim_mesh_timer_fn on_timer, void *user);
/* The mesh_send() token of a message whose sender asked to hear when it has left
 * (bo_mesh_tx.done_timer): a tag in the high half, the done_timer value in the low one. */
#define SIM_MESH_PORT_TOKEN(done_timer) ((0x646f6e65ull << 32) | (uint32_t)(done_timer))

/*
 * Send-done reports. A port reports sends done (port.send_done, off after init) only when
 * whoever owns the network passes each mesh_tx_done_fn call for this node here: it arms
 * the timer the sender named (a token of another kind is ignored). Messages diverted to a
 * wire report at once.
 */
void sim_mesh_port_sent(struct sim_mesh_port *p, uint64_t token);

/* Power loss: every armed timer of the node is forgotten, and every delayed response. */
void sim_mesh_port_reset(struct sim_mesh_port *p);

/* The node handles a message from src to dst: a response to src goes after the random
 * delay when dst is a group. sim_mesh_port_rx_done when the handling returned. */
static inline void sim_mesh_port_rx_begin(struct sim_mesh_port *p, uint16_t src, uint16_t dst)
{
	p->group_rx_src = dst >= 0xc000u ? src : 0;
}

static inline void sim_mesh_port_rx_done(struct sim_mesh_port *p)
{
	p->group_rx_src = 0;
}

/* Split a received access PDU (mesh_rx_fn's data) into opcode and payload. 0, or -1 when
 * it holds no valid opcode. */
int sim_mesh_split(const uint8_t *pdu, size_t len, uint32_t *opcode, const uint8_t **payload,
		   size_t *payload_len);

#endif
