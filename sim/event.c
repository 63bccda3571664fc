/*
 * sim/event.c: a timing wheel of per-microsecond FIFOs for the near future, a 4-ary
 * min-heap of (time, sequence, slot) keys beyond it, over a slot table of events (see
 * event.h); cancelled events stay queued, dropped when they reach the front.
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
	uint32_t next;       /* free: next free slot; in the wheel: next in its bucket */
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
	free(loop->wheel_head);
	free(loop->wheel_tail);
	free(loop->wheel_bits);
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
			loop->slots[i].next = i + 1 < cap ? i + 1 : NO_SLOT;
		}
		loop->free_head = old;
		loop->slot_cap = cap;
	}
	uint32_t s = loop->free_head;
	loop->free_head = loop->slots[s].next;
	return s;
}

static void slot_free(struct sim_loop *loop, uint32_t s)
{
	struct sim_slot *sl = &loop->slots[s];
	sl->fn = NULL;
	sl->ctx = NULL;
	sl->state = SLOT_FREE;
	sl->next = loop->free_head;
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

/* --- the wheel ------------------------------------------------------------------------ */

#define WHEEL_MASK (SIM_WHEEL_US - 1u)
#define WHEEL_WORDS (SIM_WHEEL_US / 64u)

static void wheel_alloc(struct sim_loop *loop)
{
	loop->wheel_head = xrealloc(NULL, SIM_WHEEL_US, sizeof(*loop->wheel_head));
	loop->wheel_tail = xrealloc(NULL, SIM_WHEEL_US, sizeof(*loop->wheel_tail));
	loop->wheel_bits = xrealloc(NULL, WHEEL_WORDS, sizeof(*loop->wheel_bits));
	memset(loop->wheel_bits, 0, WHEEL_WORDS * sizeof(*loop->wheel_bits));
	memset(loop->wheel_sum, 0, sizeof(loop->wheel_sum));
	/* head and tail are read only for buckets whose bit is set */
}

/* Append slot s (due at its time, now <= time < now + SIM_WHEEL_US) to its bucket. */
static void wheel_push(struct sim_loop *loop, uint32_t s)
{
	uint32_t b = (uint32_t)(loop->slots[s].time & WHEEL_MASK);
	uint32_t w = b >> 6;
	loop->slots[s].next = NO_SLOT;
	if (loop->wheel_bits[w] >> (b & 63u) & 1u) {
		loop->slots[loop->wheel_tail[b]].next = s;
	} else {
		loop->wheel_head[b] = s;
		loop->wheel_bits[w] |= (uint64_t)1 << (b & 63u);
		loop->wheel_sum[w >> 6] |= (uint64_t)1 << (w & 63u);
	}
	loop->wheel_tail[b] = s;
	loop->wheel_len++;
}

/* The first non-empty bucket at or after b (no wrap), or SIM_WHEEL_US. */
static uint32_t wheel_scan(const struct sim_loop *loop, uint32_t b)
{
	uint32_t w = b >> 6;
	uint64_t bits = loop->wheel_bits[w] & (~(uint64_t)0 << (b & 63u));
	if (bits)
		return (w << 6) | (uint32_t)__builtin_ctzll(bits);
	if (++w >= WHEEL_WORDS)
		return SIM_WHEEL_US;
	uint32_t sw = w >> 6;
	uint64_t sum = loop->wheel_sum[sw] & (~(uint64_t)0 << (w & 63u));
	while (!sum) {
		if (++sw >= WHEEL_WORDS / 64u)
			return SIM_WHEEL_US;
		sum = loop->wheel_sum[sw];
	}
	uint32_t word = (sw << 6) | (uint32_t)__builtin_ctzll(sum);
	return (word << 6) | (uint32_t)__builtin_ctzll(loop->wheel_bits[word]);
}

/* The bucket holding the earliest event in the wheel (which must not be empty): buckets
 * are scanned from now's, wrapping once (every event lies within SIM_WHEEL_US of now). */
static uint32_t wheel_first(const struct sim_loop *loop)
{
	uint32_t b = wheel_scan(loop, (uint32_t)(loop->now & WHEEL_MASK));
	return b < SIM_WHEEL_US ? b : wheel_scan(loop, 0);
}

/* Unlink the head of bucket b. */
static void wheel_pop(struct sim_loop *loop, uint32_t b)
{
	uint32_t s = loop->wheel_head[b];
	loop->wheel_len--;
	if (s != loop->wheel_tail[b]) {
		loop->wheel_head[b] = loop->slots[s].next;
		return;
	}
	uint32_t w = b >> 6;
	loop->wheel_bits[w] &= ~((uint64_t)1 << (b & 63u));
	if (!loop->wheel_bits[w])
		loop->wheel_sum[w >> 6] &= ~((uint64_t)1 << (w & 63u));
}

/* now moved: heap events now within the horizon join the wheel, in (time, seq) order,
 * before anything can be scheduled directly into their buckets. */
static void wheel_refill(struct sim_loop *loop)
{
	while (loop->heap_len > 0 && loop->heap[0].time - loop->now < SIM_WHEEL_US) {
		uint32_t s = loop->heap[0].slot;
		heap_pop(loop);
		if (loop->slots[s].state == SLOT_CANCELLED)
			slot_free(loop, s);
		else
			wheel_push(loop, s);
	}
}

/* The next live event (its slot and where it is queued), dropping cancelled ones on the
 * way. Returns false when none is left. */
static bool next_live(struct sim_loop *loop, uint32_t *slot, uint32_t *bucket)
{
	while (loop->wheel_len > 0) {
		uint32_t b = wheel_first(loop);
		uint32_t s = loop->wheel_head[b];
		if (loop->slots[s].state == SLOT_LIVE) {
			*slot = s;
			*bucket = b;
			return true;
		}
		wheel_pop(loop, b);
		slot_free(loop, s);
	}
	while (loop->heap_len > 0) {
		uint32_t s = loop->heap[0].slot;
		if (loop->slots[s].state == SLOT_LIVE) {
			*slot = s;
			*bucket = NO_SLOT; /* the heap's top */
			return true;
		}
		heap_pop(loop);
		slot_free(loop, s);
	}
	return false;
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

	loop->next_seq++; /* taken even by wheel events: the heap's keys order by it */
	loop->live++;
	if (at - loop->now < SIM_WHEEL_US) {
		if (!loop->wheel_bits)
			wheel_alloc(loop);
		wheel_push(loop, s);
		return make_handle(s, sl->gen);
	}
	if (loop->heap_len == loop->heap_cap) {
		size_t cap = loop->heap_cap ? loop->heap_cap * 2 : 64;
		loop->heap = xrealloc(loop->heap, cap, sizeof(*loop->heap));
		loop->heap_cap = cap;
	}
	size_t pos = loop->heap_len++;
	loop->heap[pos] = (struct sim_heap_key){.time = at, .seq = loop->next_seq - 1, .slot = s};
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

/* Run the event next_live() found. */
static void run_event(struct sim_loop *loop, uint32_t slot, uint32_t bucket)
{
	struct sim_slot *sl = &loop->slots[slot];
	/* Copy the event out: the callback may grow (move) the slot table. */
	sim_event_fn fn = sl->fn;
	void *ctx = sl->ctx;
	uint64_t time = sl->time;
	union {
		unsigned char bytes[SIM_EVENT_PAYLOAD];
		uint64_t align_u64;
		double align_double;
		void *align_ptr;
	} payload;
	memcpy(payload.bytes, sl->payload.bytes, SIM_EVENT_PAYLOAD);
	if (bucket == NO_SLOT)
		heap_pop(loop);
	else
		wheel_pop(loop, bucket);
	sl->gen++;
	slot_free(loop, slot);
	loop->live--;
	if (time != loop->now) {
		loop->now = time;
		wheel_refill(loop);
	}
	loop->executed++;
	fn(loop, ctx, payload.bytes);
}

bool sim_step(struct sim_loop *loop)
{
	uint32_t slot, bucket;
	if (!next_live(loop, &slot, &bucket))
		return false;
	run_event(loop, slot, bucket);
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
	uint32_t slot, bucket;
	loop->stop = false;
	while (!loop->stop && next_live(loop, &slot, &bucket) && loop->slots[slot].time <= limit) {
		run_event(loop, slot, bucket);
		n++;
	}
	if (!loop->stop && loop->now < limit) {
		loop->now = limit;
		wheel_refill(loop);
	}
	loop->stop = false;
	return n;
}

void sim_stop(struct sim_loop *loop)
{
	loop->stop = true;
}
