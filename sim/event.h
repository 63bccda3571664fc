/*
 * sim/event.h: the discrete-event loop every simulation runs on.
 *
 * Virtual time is a uint64_t count of microseconds from 0. Events run in (time, sequence
 * number) order: the sequence number is taken at scheduling, so events due at the same
 * instant run in the order they were scheduled, on every run and platform.
 *
 * Storage: an event is a callback, a context pointer and a small inline payload
 * (SIM_EVENT_PAYLOAD bytes, copied in), stored by value in a slot table that grows
 * geometrically and is reused, so scheduling does not allocate in the steady state.
 * Queue: events due within SIM_WHEEL_US of now (nearly all of a mesh's: advertising,
 * relay delays) sit in a timing wheel with one bucket per microsecond, each bucket a FIFO
 * (same time: scheduling order), found through a two-level bitmap: O(1) per event. Later
 * events wait in a 4-ary min-heap of (time, sequence, slot) keys and move into the wheel,
 * in key order, as soon as now comes within SIM_WHEEL_US of them, before anything else can
 * be scheduled at their time: the wheel's FIFOs stay in sequence order. Cancelling is
 * lazy: the slot is marked and dropped when it reaches the front. A handle carries the
 * slot's generation, so a stale handle (its event already ran or was cancelled) cancels
 * nothing.
 *
 * No globals: a loop is a caller-owned struct; independent loops may run on different
 * threads. A loop is not thread-safe by itself.
 */
#ifndef SIM_EVENT_H
#define SIM_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SIM_EVENT_PAYLOAD 48u /* inline payload bytes per event */

#define SIM_US(x) ((uint64_t)(x))
#define SIM_MS(x) ((uint64_t)(x) * 1000u)
#define SIM_S(x) ((uint64_t)(x) * 1000000u)

struct sim_loop;

/*
 * An event's callback. `payload` points to a private copy of the bytes given at scheduling
 * (SIM_EVENT_PAYLOAD bytes, suitably aligned for any scalar), valid until the callback
 * returns. The callback may schedule and cancel events freely.
 */
typedef void (*sim_event_fn)(struct sim_loop *loop, void *ctx, void *payload);

/* Identifies a scheduled event for sim_cancel(). 0 is never a valid handle. */
typedef uint64_t sim_handle;
#define SIM_HANDLE_NONE ((sim_handle)0)

struct sim_heap_key {
	uint64_t time;
	uint64_t seq;
	uint32_t slot;
};

struct sim_slot; /* private to event.c */

#define SIM_WHEEL_BITS 16u
#define SIM_WHEEL_US (1u << SIM_WHEEL_BITS) /* the wheel's horizon: 65.5 ms */

struct sim_loop {
	uint64_t now;             /* current virtual time (us) */
	uint64_t next_seq;
	uint64_t executed;        /* events run so far */
	struct sim_heap_key *heap;
	size_t heap_len, heap_cap;   /* keys, cancelled ones included */
	uint32_t *wheel_head, *wheel_tail; /* per bucket (time % SIM_WHEEL_US): slot FIFO */
	uint64_t *wheel_bits;        /* non-empty buckets; wheel_sum: non-zero words of it */
	uint64_t wheel_sum[SIM_WHEEL_US / 4096u];
	size_t wheel_len;            /* events in the wheel, cancelled ones included */
	size_t live;                 /* events scheduled, not yet run or cancelled */
	struct sim_slot *slots;
	uint32_t slot_cap;
	uint32_t free_head;       /* free slot list (UINT32_MAX: empty) */
	bool stop;                /* set by sim_stop() */
};

void sim_loop_init(struct sim_loop *loop);
void sim_loop_free(struct sim_loop *loop);

static inline uint64_t sim_now(const struct sim_loop *loop)
{
	return loop->now;
}

/* Number of events scheduled and not yet run or cancelled. */
static inline size_t sim_pending(const struct sim_loop *loop)
{
	return loop->live;
}

/*
 * Schedule fn(loop, ctx, copy of payload[0..len)) at absolute time `at` (a time in the past
 * runs at the current time, after the events already due then). len <= SIM_EVENT_PAYLOAD;
 * payload may be NULL when len is 0; unused payload bytes are zero. Aborts on out of memory.
 */
sim_handle sim_schedule_at(struct sim_loop *loop, uint64_t at, sim_event_fn fn, void *ctx,
			   const void *payload, size_t len);
sim_handle sim_schedule_in(struct sim_loop *loop, uint64_t delay, sim_event_fn fn, void *ctx,
			   const void *payload, size_t len);

/* Cancel a pending event. Returns true when it was pending (and now will not run). */
bool sim_cancel(struct sim_loop *loop, sim_handle h);
/* Is the event still pending? */
bool sim_is_pending(const struct sim_loop *loop, sim_handle h);
/* Time the pending event is due at, or UINT64_MAX if it is not pending. */
uint64_t sim_due(const struct sim_loop *loop, sim_handle h);

/* Run the earliest event. Returns false (and does nothing) when the queue is empty. */
bool sim_step(struct sim_loop *loop);
/* Run until the queue is empty or sim_stop() is called. Returns the events run. */
uint64_t sim_run(struct sim_loop *loop);
/*
 * Run every event due at or before `limit`, then advance the clock to `limit` (unless
 * stopped early by sim_stop(), which leaves the clock at the last event). Returns the
 * events run.
 */
uint64_t sim_run_until(struct sim_loop *loop, uint64_t limit);
/* From a callback: make the current sim_run / sim_run_until return after this event. */
void sim_stop(struct sim_loop *loop);

#endif
