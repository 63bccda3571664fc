/*
 * sim/mesh_cache.h: every node's network message cache (sim/mesh_net.h, "Network layer"),
 * stored by key rather than by node.
 *
 * Each node keeps a FIFO of the last `size` keys it cached, as Zephyr does. The lookup a
 * flood makes for every copy of every transmission ("does receiver r hold key k?") is
 * answered by one bit in the key's holder set: a bitmap over all nodes, shared by every
 * node that caches the key. The receivers of one transmission are neighbours, so their
 * bits lie in a word or two that the transmission's first copy brings into the CPU cache;
 * a per-node hash table costs one scattered memory access per copy instead (the first
 * profile of the 2000-node benchmark: about 60 ns a copy). Same answers as a per-node
 * table: a key leaves a node's set exactly when its FIFO drops it.
 *
 * A key's record lives while at least one node holds it; records are found by key in one
 * open-addressing table and reused from a free list. Memory: nodes/8 bytes per key held
 * anywhere, plus each node's FIFO (4 bytes an entry).
 */
#ifndef SIM_MESH_CACHE_H
#define SIM_MESH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MESH_CACHE_NONE UINT32_MAX /* no record */

struct mesh_cache_rec {
	uint64_t key;      /* MESH_CACHE_FREE while on the free list */
	uint32_t holders;  /* nodes whose bit is set */
	uint32_t next_free;
};

struct mesh_cache_fifo {
	uint32_t *rec;     /* size entries: record indices, oldest at pos once full */
	uint32_t len, pos;
};

struct mesh_cache {
	uint32_t nodes, size;
	size_t words;                /* 64-bit words per holder set */
	struct mesh_cache_rec *recs;
	uint64_t *bits;              /* record i's holder set at bits[i * words] */
	uint32_t nrecs, caprecs, free_head, live;
	uint32_t *table;             /* key -> record, 2^table_bits slots */
	uint32_t table_bits;
	struct mesh_cache_fifo *fifo; /* per node */
};

/* Caches of `size` entries for `nodes` nodes, all empty. Returns 0 or -ENOMEM. */
int mesh_cache_init(struct mesh_cache *c, uint32_t nodes, uint32_t size);
void mesh_cache_free(struct mesh_cache *c);

/* The record of a key some node holds, or MESH_CACHE_NONE. */
uint32_t mesh_cache_find(const struct mesh_cache *c, uint64_t key);

/* Is `rec` (a record index, or MESH_CACHE_NONE) held by node? */
static inline bool mesh_cache_rec_held(const struct mesh_cache *c, uint32_t rec, uint32_t node)
{
	return rec != MESH_CACHE_NONE &&
	       (c->bits[(size_t)rec * c->words + node / 64] >> (node % 64)) & 1u;
}

/* `hint` if it is still the record of key, else a lookup: a transmission looks its key up
 * once and revalidates per copy (a callback may have retired or reused the record). */
static inline uint32_t mesh_cache_rec_of(const struct mesh_cache *c, uint64_t key, uint32_t hint)
{
	if (hint != MESH_CACHE_NONE && c->recs[hint].key == key)
		return hint;
	return mesh_cache_find(c, key);
}

static inline bool mesh_cache_has(const struct mesh_cache *c, uint32_t node, uint64_t key)
{
	return mesh_cache_rec_held(c, mesh_cache_find(c, key), node);
}

/* Node caches key (nothing if it holds it), dropping its oldest key when full. Returns the
 * key's record. `hint`: the key's record as mesh_cache_rec_of() just returned it (saves a
 * lookup), or MESH_CACHE_NONE. Aborts on out of memory (the run cannot continue exactly
 * without it). */
uint32_t mesh_cache_add(struct mesh_cache *c, uint32_t node, uint64_t key, uint32_t hint);

/* Node forgets every key (power loss). */
void mesh_cache_clear(struct mesh_cache *c, uint32_t node);

#endif
