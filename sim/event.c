/*
 * sim/event.c: 4-ary min-heap of (time, sequence, slot) keys over a slot table of events;
 * cancelled events leave their key behind, dropped when it reaches the top.
 */
#include "sim/event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_SLOT UINT32_MAX
#define ARITY 4u /* children per heap node: half the depth of a binary heap, same cache lines */

enum { SLOT_FREE = 0, SLOT_LIVE, SLOT_CANCELLED };

struct sim_slot {
	sim_event_fn fn;
	void *ctx;
	uint64_t time;       /* live: when it is due */
	uint32_t gen;        /* bumped whenever the event runs or is cancelled */
	uint32_t state;      /* SLOT_*: a cancelled slot is freed when its key leaves the heap */
	uint32_t next_free;  /* free: next free slot */
	union {
		unsigned char bytes[SIM_EVENT_PAYLOAD];
		uint64_t align_u64;
		double align_double;
		void *align_ptr;
	} payload;
};

static void *xrealloc(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size) {
		fputs("sim/event: event queue too large\n", stderr);
		abort();
	}
	void *q = realloc(p, n * size);
	if (!q) {
		fputs("sim/event: out of memory\n", stderr);
		abort();
	}
	return q;
}

void sim_loop_init(struct sim_loop *loop)
{
	memset(loop, 0, sizeof(*loop));
	loop->free_head = NO_SLOT;
}

void sim_loop_free(struct sim_loop *loop)
{
	free(loop->heap);
	free(loop->slots);
	sim_loop_init(loop);
}

static inline bool key_less(const struct sim_heap_key *a, const struct sim_heap_key *b)
{
	return a->time < b->time || (a->time == b->time && a->seq < b->seq);
}

static void sift_up(struct sim_loop *loop, size_t pos)
{
	struct sim_heap_key k = loop->heap[pos];
	while (pos > 0) {
		size_t parent = (pos - 1) / ARITY;
		if (!key_less(&k, &loop->heap[parent]))
			break;
		loop->heap[pos] = loop->heap[parent];
		pos = parent;
	}
	loop->heap[pos] = k;
}

/* Remove the top key. */
static void heap_pop(struct sim_loop *loop)
{
	size_t n = --loop->heap_len;
	if (n == 0)
		return;
	struct sim_heap_key k = loop->heap[n];
	struct sim_heap_key *h = loop->heap;
	size_t pos = 0;
	for (;;) {
		size_t c = ARITY * pos + 1;
		if (c >= n)
			break;
		size_t best = c, end = c + ARITY < n ? c + ARITY : n;
		for (size_t j = c + 1; j < end; j++)
			if (key_less(&h[j], &h[best]))
				best = j;
		if (!key_less(&h[best], &k))
			break;
		h[pos] = h[best];
		pos = best;
	}
	h[pos] = k;
}

static uint32_t slot_alloc(struct sim_loop *loop)
{
	if (loop->free_head == NO_SLOT) {
		uint32_t old = loop->slot_cap;
		uint32_t cap = old ? old * 2 : 64;
		if (cap <= old || cap >= NO_SLOT) {
			fputs("sim/event: too many pending events\n", stderr);
			abort();
		}
		loop->slots = xrealloc(loop->slots, cap, sizeof(*loop->slots));
		/* Chain the new slots in index order so allocation order is deterministic. */
		for (uint32_t i = old; i < cap; i++) {
			loop->slots[i].fn = NULL;
			loop->slots[i].ctx = NULL;
			loop->slots[i].gen = 0;
			loop->slots[i].state = SLOT_FREE;
			loop->slots[i].next_free = i + 1 < cap ? i + 1 : NO_SLOT;
		}
		loop->free_head = old;
		loop->slot_cap = cap;
	}
	uint32_t s = loop->free_head;
	loop->free_head = loop->slots[s].next_free;
	return s;
}

static void slot_free(struct sim_loop *loop, uint32_t s)
{
	struct sim_slot *sl = &loop->slots[s];
	sl->fn = NULL;
	sl->ctx = NULL;
	sl->state = SLOT_FREE;
	sl->next_free = loop->free_head;
	loop->free_head = s;
}

static inline sim_handle make_handle(uint32_t slot, uint32_t gen)
{
	return ((uint64_t)gen << 32) | ((uint64_t)slot + 1);
}

/* The live slot a handle names, or NULL. */
static struct sim_slot *handle_slot(const struct sim_loop *loop, sim_handle h)
{
	uint32_t lo = (uint32_t)h;
	if (lo == 0 || lo > loop->slot_cap)
		return NULL;
	struct sim_slot *sl = &loop->slots[lo - 1];
	if (sl->state != SLOT_LIVE || sl->gen != (uint32_t)(h >> 32))
		return NULL;
	return sl;
}

sim_handle sim_schedule_at(struct sim_loop *loop, uint64_t at, sim_event_fn fn, void *ctx,
			   const void *payload, size_t len)
{
	if (!fn || len > SIM_EVENT_PAYLOAD) {
		fputs("sim/event: bad event (no callback or payload too large)\n", stderr);
		abort();
	}
	if (at < loop->now)
		at = loop->now;
	uint32_t s = slot_alloc(loop);
	struct sim_slot *sl = &loop->slots[s];
	sl->fn = fn;
	sl->ctx = ctx;
	sl->time = at;
	sl->state = SLOT_LIVE;
	if (len)
		memcpy(sl->payload.bytes, payload, len);
	if (len < SIM_EVENT_PAYLOAD)
		memset(sl->payload.bytes + len, 0, SIM_EVENT_PAYLOAD - len);

	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		loop->heap = xrealloc(loop->heap, cap, sizeof(*loop->heap));
		loop->heap_cap = cap;
	}
	size_t pos = loop->heap_len++;
	loop->heap[pos] = (struct sim_heap_key){.time = at, .seq = loop->next_seq++, .slot = s};
	sift_up(loop, pos);
	loop->live++;
	return make_handle(s, sl->gen);
}

sim_handle sim_schedule_in(struct sim_loop *loop, uint64_t delay, sim_event_fn fn, void *ctx,
			   const void *payload, size_t len)
{
	uint64_t at = loop->now + delay;
	if (at < loop->now)
		at = UINT64_MAX;
	return sim_schedule_at(loop, at, fn, ctx, payload, len);
}

bool sim_cancel(struct sim_loop *loop, sim_handle h)
{
	struct sim_slot *sl = handle_slot(loop, h);
	if (!sl)
		return false;
	/* Its key stays in the heap; the slot is freed when the key comes out on top. */
	sl->state = SLOT_CANCELLED;
	sl->gen++;
	sl->fn = NULL;
	sl->ctx = NULL;
	loop->live--;
	return true;
}

bool sim_is_pending(const struct sim_loop *loop, sim_handle h)
{
	return handle_slot(loop, h) != NULL;
}

uint64_t sim_due(const struct sim_loop *loop, sim_handle h)
{
	const struct sim_slot *sl = handle_slot(loop, h);
	return sl ? sl->time : UINT64_MAX;
}

/* Drop cancelled keys from the top; false when no live event is left. */
static bool top_live(struct sim_loop *loop)
{
	while (loop->heap_len > 0) {
		uint32_t s = loop->heap[0].slot;
		if (loop->slots[s].state == SLOT_LIVE)
			return true;
		heap_pop(loop);
		slot_free(loop, s);
	}
	return false;
}

bool sim_step(struct sim_loop *loop)
{
	if (!top_live(loop))
		return false;
	struct sim_heap_key top = loop->heap[0];
	struct sim_slot *sl = &loop->slots[top.slot];
	/* Copy the event out: the callback may grow (move) the slot table. */
	sim_event_fn fn = sl->fn;
	void *ctx = sl->ctx;
	union {
		unsigned char bytes[SIM_EVENT_PAYLOAD];
		uint64_t align_u64;
		double align_double;
		void *align_ptr;
	} payload;
	memcpy(payload.bytes, sl->payload.bytes, SIM_EVENT_PAYLOAD);
	heap_pop(loop);
	sl->gen++;
	slot_free(loop, top.slot);
	loop->live--;
	loop->now = top.time;
	loop->executed++;
	fn(loop, ctx, payload.bytes);
	return true;
}

uint64_t sim_run(struct sim_loop *loop)
{
	uint64_t n = 0;
	loop->stop = false;
	while (!loop->stop && sim_step(loop))
		n++;
	loop->stop = false;
	return n;
}

uint64_t sim_run_until(struct sim_loop *loop, uint64_t limit)
{
	uint64_t n = 0;
	loop->stop = false;
	while (!loop->stop && top_live(loop) && loop->heap[0].time <= limit) {
		sim_step(loop);
		n++;
	}
	if (!loop->stop && loop->now < limit)
		loop->now = limit;
	loop->stop = false;
	return n;
}

void sim_stop(struct sim_loop *loop)
{
	loop->stop = true;
}
