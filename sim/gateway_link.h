/*
 * sim/gateway_link.h: the point-to-point link between the Initiator's gateway and the
 * Distributor (a UART or a network connection, not the mesh radio).
 *
 * Two directions, each a FIFO: a message of len bytes occupies its direction for
 * len / bytes_per_s seconds after the previous one, then arrives latency_us later. Nothing
 * is lost (the link is wired); a receiver that is off when a message arrives ignores it,
 * as a powered-down UART would. Host code (the queues grow on the heap); no globals.
 */
#ifndef SIM_GATEWAY_LINK_H
#define SIM_GATEWAY_LINK_H

#include <stddef.h>
#include <stdint.h>

#include "sim/event.h"

#define SIM_LINK_MSG_MAX 384u

enum sim_link_dir { SIM_LINK_TO_DISTRIBUTOR = 0, SIM_LINK_TO_GATEWAY = 1 };

/* A message arrived at the end of direction `dir`. */
typedef void (*sim_link_deliver_fn)(void *ctx, enum sim_link_dir dir, uint16_t src, uint16_t dst,
				    const uint8_t *pdu, size_t len);

struct sim_link_msg {
	uint16_t src, dst;
	uint16_t len;
	uint8_t pdu[SIM_LINK_MSG_MAX];
};

struct sim_link_queue {
	struct sim_link_msg *ring;
	size_t cap, head, len;
	uint64_t busy_until; /* the direction is sending until then */
};

struct sim_link {
	struct sim_loop *loop;
	uint64_t latency_us;
	uint32_t bytes_per_s;
	sim_link_deliver_fn deliver;
	void *ctx;
	struct sim_link_queue q[2];
	uint64_t messages, bytes; /* carried, both directions */
};

void sim_link_init(struct sim_link *l, struct sim_loop *loop, uint64_t latency_us,
		   uint32_t bytes_per_s, sim_link_deliver_fn deliver, void *ctx);
void sim_link_free(struct sim_link *l);
/* Queue a message (1..SIM_LINK_MSG_MAX bytes). 0, or -1 (bad length). Aborts on OOM. */
int sim_link_send(struct sim_link *l, enum sim_link_dir dir, uint16_t src, uint16_t dst,
		  const uint8_t *pdu, size_t len);

#endif
