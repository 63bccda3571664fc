/*
 * tests/dfu/blob_pump.h: a tiny deterministic message pump for the BLOB Transfer tests.
 *
 * One struct pump holds a time-ordered event queue (binary heap keyed (time, sequence)) and
 * up to PUMP_NODES_MAX nodes. Each node gets a struct bo_mesh_port: send() enqueues one
 * delivery per destination (the unicast node, or every subscriber of a group except the
 * sender) after a fixed latency, each dropped with probability loss_permille / 1000 drawn
 * from a seeded PRNG; timer_arm() enqueues an expiry (re-arming or cancelling invalidates the
 * previous one); now_us() is the queue time. Same seed, same run.
 *
 * A node that is offline neither receives messages nor fires timers. pump_node_reset()
 * forgets a node's pending timers (its RAM was wiped by a power cut).
 *
 * Busy model (off unless seg_busy_us is set): like a mesh stack, a node has PUMP_SEG_SLOTS
 * segmented sends (opcode + payload > 11 bytes) in progress at most, one per destination,
 * each for seg_busy_us; a send that finds no slot, or one to the same destination, is
 * refused (send() returns -1) and counted in refused.
 */
#ifndef BO_TESTS_BLOB_PUMP_H
#define BO_TESTS_BLOB_PUMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/port/flash.h"
#include "core/port/mesh.h"
#include "flashsim/flashsim.h"

#define PUMP_NODES_MAX 16
#define PUMP_SEG_SLOTS 4 /* segmented sends in progress per node (busy model) */
#define PUMP_TIMERS_MAX 16
#define PUMP_GROUPS_MAX 4
#define PUMP_PAYLOAD_MAX 384

typedef void (*pump_rx_fn)(void *owner, const struct bo_mesh_rx *rx, uint32_t opcode,
			   const uint8_t *payload, size_t len);
typedef void (*pump_timer_fn)(void *owner, uint32_t timer_id);

struct pump;

struct pump_node {
	struct pump *pump;
	struct bo_mesh_port port;
	uint16_t addr;
	uint16_t groups[PUMP_GROUPS_MAX];
	size_t ngroups;
	bool online;
	pump_rx_fn rx;
	pump_timer_fn timer;
	void *owner;
	uint32_t timer_gen[PUMP_TIMERS_MAX];
	uint64_t sent, received, refused;
	struct {
		uint16_t dst;
		uint64_t until;
	} seg[PUMP_SEG_SLOTS];
};

enum pump_ev_kind { PUMP_EV_MSG, PUMP_EV_TIMER };

struct pump_event {
	uint64_t t, seq;
	enum pump_ev_kind kind;
	struct pump_node *node; /* destination (message) or owner (timer) */
	uint32_t timer_id, gen;
	struct bo_mesh_rx rx;
	uint32_t opcode;
	size_t len;
	uint8_t data[PUMP_PAYLOAD_MAX];
};

/* Observer: called for every message just before it is delivered. */
typedef void (*pump_observe_fn)(void *ctx, const struct pump_event *ev);

struct pump {
	uint64_t now, seq, rng;
	uint32_t loss_permille;
	uint64_t latency_us;
	struct pump_node nodes[PUMP_NODES_MAX];
	size_t nnodes;
	struct pump_event **heap;
	struct pump_event *cur; /* being dispatched (freed on the next step: a handler may longjmp) */
	size_t n, cap;
	pump_observe_fn observe;
	void *observe_ctx;
	uint64_t delivered, lost, events;
	uint64_t seg_busy_us; /* busy model: 0 off */
};

void pump_init(struct pump *p, uint64_t seed, uint32_t loss_permille, uint64_t latency_us);
void pump_free(struct pump *p);
struct pump_node *pump_add_node(struct pump *p, uint16_t addr, pump_rx_fn rx,
				pump_timer_fn timer, void *owner);
void pump_subscribe(struct pump_node *n, uint16_t group);
void pump_node_reset(struct pump_node *n);
/* Process the next event: false when the queue is empty. */
bool pump_step(struct pump *p);
/* Run until done(ctx) is true, the queue is empty, or time passes t_end. true when done. */
bool pump_run(struct pump *p, uint64_t t_end, bool (*done)(void *ctx), void *ctx);
uint32_t pump_random(struct pump *p);


/*
 * A flashsim device for one node: partition "blob" (blob_sectors sectors) at 0, then
 * "state" (2 sectors), uniform sectors of sector_size, the given write unit, erase 0xff.
 */
struct pump_flash {
	struct fsim_device *dev;
	struct bo_flash port;
	struct bo_flash_area blob, state;
};

void pump_flash_init(struct pump_flash *f, uint32_t sector_size, uint32_t blob_sectors,
		     uint32_t write_unit);
/* The same on a flashsim preset (docs/reference/flash.md) with explicit partitions. */
void pump_flash_init_preset(struct pump_flash *f, const char *preset, uint32_t blob_off,
			    uint32_t blob_size, uint32_t state_off, uint32_t state_size);
void pump_flash_free(struct pump_flash *f);

#endif
