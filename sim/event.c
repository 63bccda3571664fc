/*
 * sim/event.c: binary min-heap of (time, sequence, slot) keys over a slot table of events.
 */
#include "sim/event.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_SLOT UINT32_MAX

struct sim_slot {
	sim_event_fn fn;     /* NULL: the slot is free */
	void *ctx;
	uint32_t gen;        /* bumped whenever the slot is freed */
	uint32_t link;       /* live: heap position; free: next free slot */
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

static inline void heap_put(struct sim_loop *loop, size_t pos, struct sim_heap_key k)
{
	loop->heap[pos] = k;
	loop->slots[k.slot].link = (uint32_t)pos;
}

static void sift_up(struct sim_loop *loop, size_t pos)
{
	struct sim_heap_key k = loop->heap[pos];
	while (pos > 0) {
		size_t parent = (pos - 1) / 2;
		if (!key_less(&k, &loop->heap[parent]))
			break;
		heap_put(loop, pos, loop->heap[parent]);
		pos = parent;
	}
	heap_put(loop, pos, k);
}

static void sift_down(struct sim_loop *loop, size_t pos)
{
	size_t n = loop->heap_len;
	struct sim_heap_key k = loop->heap[pos];
	for (;;) {
		size_t c = 2 * pos + 1;
		if (c >= n)
			break;
		if (c + 1 < n && key_less(&loop->heap[c + 1], &loop->heap[c]))
			c++;
		if (!key_less(&loop->heap[c], &k))
			break;
		heap_put(loop, pos, loop->heap[c]);
		pos = c;
	}
	heap_put(loop, pos, k);
}

/* Remove the key at heap position pos. */
static void heap_remove(struct sim_loop *loop, size_t pos)
{
	size_t last = --loop->heap_len;
	if (pos == last)
		return;
	loop->heap[pos] = loop->heap[last];
	loop->slots[loop->heap[pos].slot].link = (uint32_t)pos;
	if (pos > 0 && key_less(&loop->heap[pos], &loop->heap[(pos - 1) / 2]))
		sift_up(loop, pos);
	else
		sift_down(loop, pos);
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
			loop->slots[i].link = i + 1 < cap ? i + 1 : NO_SLOT;
		}
		loop->free_head = old;
		loop->slot_cap = cap;
	}
	uint32_t s = loop->free_head;
	loop->free_head = loop->slots[s].link;
	return s;
}

static void slot_free(struct sim_loop *loop, uint32_t s)
{
	struct sim_slot *sl = &loop->slots[s];
	sl->fn = NULL;
	sl->ctx = NULL;
	sl->gen++;
	sl->link = loop->free_head;
	loop->free_head = s;
}

static inline sim_handle make_handle(uint32_t slot, uint32_t gen)
{
	return ((uint64_t)gen << 32) | ((uint64_t)slot + 1);
}

/* The live slot a handle names, or NULL. */
static struct sim_slot *handle_slot(const struct sim_loop *loop, sim_handle h, uint32_t *slot)
{
	uint32_t lo = (uint32_t)h;
	if (lo == 0 || lo > loop->slot_cap)
		return NULL;
	struct sim_slot *sl = &loop->slots[lo - 1];
	if (!sl->fn || sl->gen != (uint32_t)(h >> 32))
		return NULL;
	if (slot)
		*slot = lo - 1;
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
	uint32_t s;
	struct sim_slot *sl = handle_slot(loop, h, &s);
	if (!sl)
		return false;
	heap_remove(loop, sl->link);
	slot_free(loop, s);
	return true;
}

bool sim_is_pending(const struct sim_loop *loop, sim_handle h)
{
	return handle_slot(loop, h, NULL) != NULL;
}

uint64_t sim_due(const struct sim_loop *loop, sim_handle h)
{
	const struct sim_slot *sl = handle_slot(loop, h, NULL);
	return sl ? loop->heap[sl->link].time : UINT64_MAX;
}

bool sim_step(struct sim_loop *loop)
{
	if (loop->heap_len == 0)
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
	heap_remove(loop, 0);
	slot_free(loop, top.slot);
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
	while (!loop->stop && loop->heap_len > 0 && loop->heap[0].time <= limit) {
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
