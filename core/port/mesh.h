/*
 * core/port/mesh.h: what core/dfu needs from a Bluetooth Mesh stack and its platform.
 *
 * The DFU models are event-driven: the platform calls a model's receive function for an
 * access message addressed to it and its timer function when a timer it armed expires;
 * the model acts through this port. No mesh stack internals (network, transport, keys)
 * leak into core/dfu: the simulator (sim/) and a real stack (Zephyr, a vendor SDK) each
 * fill this struct. As with the other ports, the function pointers live in the
 * caller-owned struct, so core/ needs no static tables.
 */
#ifndef BO_PORT_MESH_H
#define BO_PORT_MESH_H

#include <stddef.h>
#include <stdint.h>

#define BO_MESH_ADDR_UNASSIGNED 0x0000u
#define BO_MESH_TTL_DEFAULT 0xffu /* "use the node's default TTL" */

static inline int bo_mesh_addr_is_unicast(uint16_t a)
{
	return a >= 0x0001u && a <= 0x7fffu;
}

static inline int bo_mesh_addr_is_group(uint16_t a)
{
	return a >= 0xc000u;
}

/* Where a received message came from and how. */
struct bo_mesh_rx {
	uint16_t src;     /* unicast address of the sender */
	uint16_t dst;     /* our unicast address or a group we subscribe to */
	uint16_t app_idx;
	uint8_t ttl;      /* TTL the message was received with */
};

/* How to send one. */
struct bo_mesh_tx {
	uint16_t dst;     /* unicast or group */
	uint16_t app_idx;
	uint8_t ttl;      /* BO_MESH_TTL_DEFAULT for the node's default */
	/*
	 * BO_MESH_DONE_TIMER(id): when the port has send_done, it arms the sender's timer id
	 * with no delay once this message has left the node (every transmission of an
	 * unsegmented one made; a segmented one acknowledged, given up, or, to a group, every
	 * retransmission round sent), as Zephyr's bt_mesh_send_cb end callback does. 0: none.
	 * A message dropped by a power loss never reports.
	 */
	uint32_t done_timer;
};

#define BO_MESH_DONE_TIMER(id) ((uint32_t)(id) + 1u)

struct bo_mesh_port {
	void *ctx;
	/* Our primary element's unicast address. */
	uint16_t addr;
	/*
	 * Send an access message (opcode + payload; payload excludes the opcode). The stack
	 * segments it if needed. Returns 0 when queued, negative when it cannot be sent now
	 * (no buffers): the models treat that like a lost message and rely on their retries.
	 */
	int (*send)(void *ctx, const struct bo_mesh_tx *tx, uint32_t opcode, const uint8_t *payload,
		    size_t len);
	/*
	 * One-shot timers, identified by a small id the model chooses (unique per node; see
	 * each model's *_TIMER_* ids). Arming an armed timer re-arms it. On expiry the platform
	 * calls the model's timer function with that id.
	 */
	void (*timer_arm)(void *ctx, uint32_t timer_id, uint64_t delay_us);
	void (*timer_cancel)(void *ctx, uint32_t timer_id);
	/* Monotonic clock in microseconds and a random number (for jitter and IDs). */
	uint64_t (*now_us)(void *ctx);
	uint32_t (*random)(void *ctx);
	/* 1: send() honours bo_mesh_tx.done_timer (the models pace by the bearer); 0: they
	 * pace by fixed intervals. */
	uint8_t send_done;
};

#endif
