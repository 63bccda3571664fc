/*
 * sim/mesh_cache.c: the network message caches as holder sets per key (mesh_cache.h).
 */
#include "sim/mesh_cache.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MESH_CACHE_FREE UINT64_MAX /* never a key: sources are unicast (< 0x8000) */

static inline uint32_t home_slot(const struct mesh_cache *c, uint64_t key)
{
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> (64 - c->table_bits));
}

int mesh_cache_init(struct mesh_cache *c, uint32_t nodes, uint32_t size)
{
	memset(c, 0, sizeof(*c));
	c->nodes = nodes;
	c->size = size;
	c->words = (nodes + 63u) / 64u;
	c->free_head = MESH_CACHE_NONE;
	c->table_bits = 10;
	c->table = malloc(((size_t)1 << c->table_bits) * sizeof(*c->table));
	c->fifo = calloc(nodes, sizeof(*c->fifo));
	if (!c->table || !c->fifo) {
		mesh_cache_free(c);
		return -ENOMEM;
	}
	memset(c->table, 0xff, ((size_t)1 << c->table_bits) * sizeof(*c->table));
	/* The FIFOs are allocated as a node first uses them: most nodes of a large mesh do,
	 * but a quiet one costs nothing. */
	return 0;
}

void mesh_cache_free(struct mesh_cache *c)
{
	if (c->fifo)
		for (uint32_t i = 0; i < c->nodes; i++)
			free(c->fifo[i].rec);
	free(c->fifo);
	free(c->table);
	free(c->recs);
	free(c->bits);
	memset(c, 0, sizeof(*c));
}

uint32_t mesh_cache_find(const struct mesh_cache *c, uint64_t key)
{
	uint32_t mask = (1u << c->table_bits) - 1u;
	for (uint32_t i = home_slot(c, key);; i = (i + 1) & mask) {
		uint32_t r = c->table[i];
		if (r == MESH_CACHE_NONE || c->recs[r].key == key)
			return r;
	}
}

static void table_put(struct mesh_cache *c, uint32_t rec)
{
	uint32_t mask = (1u << c->table_bits) - 1u;
	uint32_t i = home_slot(c, c->recs[rec].key);
	while (c->table[i] != MESH_CACHE_NONE)
		i = (i + 1) & mask;
	c->table[i] = rec;
}

/* Keep the table at most half full: double it and reinsert the live records. */
static void table_grow(struct mesh_cache *c)
{
	free(c->table);
	c->table_bits++;
	size_t slots = (size_t)1 << c->table_bits;
	c->table = malloc(slots * sizeof(*c->table));
	if (!c->table)
		abort();
	memset(c->table, 0xff, slots * sizeof(*c->table));
	for (uint32_t r = 0; r < c->nrecs; r++)
		if (c->recs[r].key != MESH_CACHE_FREE)
			table_put(c, r);
}

/* Remove a record from the table (backward-shift deletion keeps probes short). */
static void table_remove(struct mesh_cache *c, uint32_t rec)
{
	uint32_t mask = (1u << c->table_bits) - 1u;
	uint32_t i = home_slot(c, c->recs[rec].key);
	while (c->table[i] != rec)
		i = (i + 1) & mask;
	for (uint32_t j = (i + 1) & mask; c->table[j] != MESH_CACHE_NONE; j = (j + 1) & mask) {
		uint32_t home = home_slot(c, c->recs[c->table[j]].key);
		/* Move the entry at j into the hole at i unless its home lies in (i, j]. */
		bool stays = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!stays) {
			c->table[i] = c->table[j];
			i = j;
		}
	}
	c->table[i] = MESH_CACHE_NONE;
}

static uint32_t rec_new(struct mesh_cache *c, uint64_t key)
{
	uint32_t r = c->free_head;
	if (r != MESH_CACHE_NONE) {
		c->free_head = c->recs[r].next_free;
	} else {
		if (c->nrecs == c->caprecs) {
			uint32_t cap = c->caprecs ? c->caprecs * 2 : 64;
			struct mesh_cache_rec *recs = realloc(c->recs, cap * sizeof(*recs));
			if (!recs)
				abort();
			c->recs = recs;
			uint64_t *bits = realloc(c->bits, (size_t)cap * c->words * sizeof(*bits));
			if (!bits)
				abort();
			c->bits = bits;
			c->caprecs = cap;
		}
		r = c->nrecs++;
		memset(&c->bits[(size_t)r * c->words], 0, c->words * sizeof(*c->bits));
	}
	c->recs[r] = (struct mesh_cache_rec){.key = key, .holders = 0,
					     .next_free = MESH_CACHE_NONE};
	if (2u * ((size_t)c->live + 1) > ((size_t)1 << c->table_bits))
		table_grow(c);
	c->live++;
	table_put(c, r);
	return r;
}

/* Node drops record r: clear its bit; the last holder retires the record (bits all 0). */
static void rec_release(struct mesh_cache *c, uint32_t r, uint32_t node)
{
	c->bits[(size_t)r * c->words + node / 64] &= ~((uint64_t)1 << (node % 64));
	if (--c->recs[r].holders > 0)
		return;
	table_remove(c, r);
	c->live--;
	c->recs[r].key = MESH_CACHE_FREE;
	c->recs[r].next_free = c->free_head;
	c->free_head = r;
}

uint32_t mesh_cache_add(struct mesh_cache *c, uint32_t node, uint64_t key, uint32_t hint)
{
	uint32_t r = hint != MESH_CACHE_NONE ? hint : mesh_cache_find(c, key);
	if (r == MESH_CACHE_NONE)
		r = rec_new(c, key);
	else if (mesh_cache_rec_held(c, r, node))
		return r;
	struct mesh_cache_fifo *f = &c->fifo[node];
	if (!f->rec) {
		f->rec = malloc(c->size * sizeof(*f->rec));
		if (!f->rec)
			abort();
	}
	/* Set the bit first: releasing the oldest key cannot then retire r's record. */
	c->bits[(size_t)r * c->words + node / 64] |= (uint64_t)1 << (node % 64);
	c->recs[r].holders++;
	if (f->len < c->size) {
		f->rec[f->len++] = r;
	} else { /* FIFO: replace the oldest */
		rec_release(c, f->rec[f->pos], node);
		f->rec[f->pos] = r;
		f->pos = (f->pos + 1) % c->size;
	}
	return r;
}

void mesh_cache_clear(struct mesh_cache *c, uint32_t node)
{
	struct mesh_cache_fifo *f = &c->fifo[node];
	for (uint32_t i = 0; i < f->len; i++)
		rec_release(c, f->rec[i], node);
	f->len = f->pos = 0;
}
