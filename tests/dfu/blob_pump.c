/* tests/dfu/blob_pump.c: the in-memory message pump (see blob_pump.h). */
#include "blob_pump.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/flash_port.h"

static uint64_t rng_next(struct pump *p)
{
	/* xorshift64* */
	uint64_t x = p->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	p->rng = x;
	return x * 0x2545f4914f6cdd1dull;
}

uint32_t pump_random(struct pump *p)
{
	return (uint32_t)(rng_next(p) >> 32);
}

static bool ev_less(const struct pump_event *a, const struct pump_event *b)
{
	return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void push(struct pump *p, struct pump_event *ev)
{
	size_t i;

	if (p->n == p->cap) {
		p->cap = p->cap ? p->cap * 2 : 256;
		p->heap = realloc(p->heap, p->cap * sizeof(*p->heap));
		if (!p->heap)
			abort();
	}
	ev->seq = p->seq++;
	i = p->n++;
	while (i > 0) {
		size_t parent = (i - 1) / 2;

		if (!ev_less(ev, p->heap[parent]))
			break;
		p->heap[i] = p->heap[parent];
		i = parent;
	}
	p->heap[i] = ev;
}

static struct pump_event *pop(struct pump *p)
{
	struct pump_event *top, *last;
	size_t i = 0;

	if (!p->n)
		return NULL;
	top = p->heap[0];
	last = p->heap[--p->n];
	while (2 * i + 1 < p->n) {
		size_t c = 2 * i + 1;

		if (c + 1 < p->n && ev_less(p->heap[c + 1], p->heap[c]))
			c++;
		if (!ev_less(p->heap[c], last))
			break;
		p->heap[i] = p->heap[c];
		i = c;
	}
	if (p->n)
		p->heap[i] = last;
	return top;
}

static struct pump_event *new_event(void)
{
	struct pump_event *ev = calloc(1, sizeof(*ev));

	if (!ev)
		abort();
	return ev;
}

static int port_send(void *ctx, const struct bo_mesh_tx *tx, uint32_t opcode,
		     const uint8_t *payload, size_t len)
{
	struct pump_node *src = ctx;
	struct pump *p = src->pump;

	if (len > PUMP_PAYLOAD_MAX)
		return -1;
	if (p->seg_busy_us && len + (opcode > 0xffff ? 3u : opcode > 0x7f ? 2u : 1u) > 11u) {
		int slot = -1;

		for (int i = 0; i < PUMP_SEG_SLOTS; i++) {
			if (src->seg[i].until <= p->now) {
				if (slot < 0)
					slot = i;
			} else if (src->seg[i].dst == tx->dst) {
				slot = -2;
				break;
			}
		}
		if (slot < 0) {
			src->refused++;
			return -1;
		}
		src->seg[slot].dst = tx->dst;
		src->seg[slot].until = p->now + p->seg_busy_us;
	}
	src->sent++;
	for (size_t i = 0; i < p->nnodes; i++) {
		struct pump_node *n = &p->nodes[i];
		bool hit = false;
		struct pump_event *ev;

		if (n == src)
			continue;
		if (bo_mesh_addr_is_unicast(tx->dst))
			hit = n->addr == tx->dst;
		else
			for (size_t g = 0; g < n->ngroups; g++)
				hit |= n->groups[g] == tx->dst;
		if (!hit)
			continue;
		if (p->loss_permille && rng_next(p) % 1000 < p->loss_permille) {
			p->lost++;
			continue;
		}
		ev = new_event();
		ev->t = p->now + p->latency_us;
		ev->kind = PUMP_EV_MSG;
		ev->node = n;
		ev->rx = (struct bo_mesh_rx){
			.src = src->addr,
			.dst = tx->dst,
			.app_idx = tx->app_idx,
			.ttl = tx->ttl == BO_MESH_TTL_DEFAULT ? 7 : tx->ttl,
		};
		ev->opcode = opcode;
		ev->len = len;
		if (len)
			memcpy(ev->data, payload, len);
		push(p, ev);
	}
	return 0;
}

static void port_timer_arm(void *ctx, uint32_t id, uint64_t delay_us)
{
	struct pump_node *n = ctx;
	struct pump_event *ev;

	if (id >= PUMP_TIMERS_MAX)
		abort();
	ev = new_event();
	ev->t = n->pump->now + delay_us;
	ev->kind = PUMP_EV_TIMER;
	ev->node = n;
	ev->timer_id = id;
	ev->gen = ++n->timer_gen[id];
	push(n->pump, ev);
}

static void port_timer_cancel(void *ctx, uint32_t id)
{
	struct pump_node *n = ctx;

	if (id >= PUMP_TIMERS_MAX)
		abort();
	n->timer_gen[id]++;
}

static uint64_t port_now(void *ctx)
{
	struct pump_node *n = ctx;

	return n->pump->now;
}

static uint32_t port_random(void *ctx)
{
	struct pump_node *n = ctx;

	return pump_random(n->pump);
}

void pump_init(struct pump *p, uint64_t seed, uint32_t loss_permille, uint64_t latency_us)
{
	memset(p, 0, sizeof(*p));
	p->rng = seed * 0x9e3779b97f4a7c15ull + 0x1234567ull;
	if (!p->rng)
		p->rng = 1;
	p->loss_permille = loss_permille;
	p->latency_us = latency_us;
}

void pump_free(struct pump *p)
{
	struct pump_event *ev;

	while ((ev = pop(p)) != NULL)
		free(ev);
	free(p->cur);
	p->cur = NULL;
	free(p->heap);
	p->heap = NULL;
	p->cap = 0;
}

struct pump_node *pump_add_node(struct pump *p, uint16_t addr, pump_rx_fn rx,
				pump_timer_fn timer, void *owner)
{
	struct pump_node *n;

	if (p->nnodes == PUMP_NODES_MAX)
		abort();
	n = &p->nodes[p->nnodes++];
	memset(n, 0, sizeof(*n));
	n->pump = p;
	n->addr = addr;
	n->online = true;
	n->rx = rx;
	n->timer = timer;
	n->owner = owner;
	n->port = (struct bo_mesh_port){
		.ctx = n,
		.addr = addr,
		.send = port_send,
		.timer_arm = port_timer_arm,
		.timer_cancel = port_timer_cancel,
		.now_us = port_now,
		.random = port_random,
	};
	return n;
}

void pump_subscribe(struct pump_node *n, uint16_t group)
{
	if (n->ngroups == PUMP_GROUPS_MAX)
		abort();
	n->groups[n->ngroups++] = group;
}

void pump_node_reset(struct pump_node *n)
{
	for (size_t i = 0; i < PUMP_TIMERS_MAX; i++)
		n->timer_gen[i]++;
}

bool pump_step(struct pump *p)
{
	struct pump_event *ev;
	struct pump_node *n;

	free(p->cur);
	p->cur = NULL;
	ev = pop(p);
	if (!ev)
		return false;
	p->cur = ev;
	if (ev->t > p->now)
		p->now = ev->t;
	p->events++;
	n = ev->node;
	if (ev->kind == PUMP_EV_TIMER) {
		if (n->online && ev->gen == n->timer_gen[ev->timer_id] && n->timer) {
			n->timer_gen[ev->timer_id]++; /* one-shot: fired */
			n->timer(n->owner, ev->timer_id);
		}
	} else if (n->online && n->rx) {
		p->delivered++;
		n->received++;
		if (p->observe)
			p->observe(p->observe_ctx, ev);
		n->rx(n->owner, &ev->rx, ev->opcode, ev->data, ev->len);
	}
	return true;
}

bool pump_run(struct pump *p, uint64_t t_end, bool (*done)(void *ctx), void *ctx)
{
	while (!(done && done(ctx))) {
		if (!p->n || p->heap[0]->t > t_end)
			return false;
		pump_step(p);
	}
	return true;
}

void pump_flash_init(struct pump_flash *f, uint32_t sector_size, uint32_t blob_sectors,
		     uint32_t write_unit)
{
	struct fsim_geometry g = {
		.regions = {{blob_sectors + 2, sector_size, 50000}},
		.region_count = 1,
		.write_unit = write_unit,
		.erase_value = 0xff,
		.program_ns = 40000,
		.program_chunk = write_unit,
		.endurance = 10000,
	};
	struct fsim_partition parts[2] = {
		{.name = "blob", .off = 0, .size = blob_sectors * sector_size},
		{.name = "state", .off = blob_sectors * sector_size, .size = 2 * sector_size},
	};
	char err[160];

	memset(f, 0, sizeof(*f));
	f->dev = fsim_create(&g, err, sizeof(err));
	if (!f->dev || fsim_set_partitions(f->dev, parts, 2, err, sizeof(err)) != 0) {
		fprintf(stderr, "pump_flash_init: %s\n", err);
		abort();
	}
	sim_flash_port_init(&f->port, f->dev);
	if (sim_flash_area(&f->port, "blob", &f->blob) != 0 ||
	    sim_flash_area(&f->port, "state", &f->state) != 0)
		abort();
}

void pump_flash_init_preset(struct pump_flash *f, const char *preset, uint32_t blob_off,
			    uint32_t blob_size, uint32_t state_off, uint32_t state_size)
{
	struct fsim_geometry g;
	struct fsim_partition parts[2] = {
		{.name = "blob", .off = blob_off, .size = blob_size},
		{.name = "state", .off = state_off, .size = state_size},
	};
	char err[160] = "unknown preset";

	memset(f, 0, sizeof(*f));
	if (fsim_preset(preset, &g) != 0 || !(f->dev = fsim_create(&g, err, sizeof(err))) ||
	    fsim_set_partitions(f->dev, parts, 2, err, sizeof(err)) != 0) {
		fprintf(stderr, "pump_flash_init_preset: %s\n", err);
		abort();
	}
	sim_flash_port_init(&f->port, f->dev);
	if (sim_flash_area(&f->port, "blob", &f->blob) != 0 ||
	    sim_flash_area(&f->port, "state", &f->state) != 0)
		abort();
}

void pump_flash_free(struct pump_flash *f)
{
	fsim_destroy(f->dev);
	f->dev = NULL;
}
