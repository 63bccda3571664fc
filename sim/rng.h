/*
 * sim/rng.h: deterministic, splittable pseudo-random numbers for the simulators.
 *
 * Generator: xoshiro256** (Blackman and Vigna), seeded through splitmix64. A stream is
 * derived from (root seed, node id, purpose) by hashing those three values, not by drawing
 * from a parent generator, so a stream's numbers depend only on its key: the same seed
 * gives the same simulation whatever order nodes and streams are created in, and adding a
 * stream never shifts another. A stream is a plain struct the caller owns (no globals).
 */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdbool.h>
#include <stdint.h>

struct sim_rng {
	uint64_t s[4];
};

/* splitmix64's output function: a bijective 64-bit mixer. */
uint64_t sim_rng_mix64(uint64_t x);

/* A stream seeded from one 64-bit value. */
void sim_rng_seed(struct sim_rng *r, uint64_t seed);
/*
 * The stream for (root seed, node, purpose). Purposes are small integers chosen by the
 * user of the stream (see e.g. MESH_RNG_* in sim/mesh_net.h); use node = UINT32_MAX for
 * streams that belong to no node.
 */
void sim_rng_derive(struct sim_rng *r, uint64_t root_seed, uint32_t node, uint32_t purpose);

/* Uniform 64 bits (xoshiro256**; inline: it is on the simulators' hot path). */
static inline uint64_t sim_rng_u64(struct sim_rng *r)
{
	uint64_t *s = r->s;
	uint64_t x = s[1] * 5;
	uint64_t result = ((x << 7) | (x >> 57)) * 9;
	uint64_t t = s[1] << 17;
	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = (s[3] << 45) | (s[3] >> 19);
	return result;
}
/* Uniform 32 bits. */
uint32_t sim_rng_u32(struct sim_rng *r);
/* Uniform in [0, n), unbiased; 0 when n is 0. */
uint64_t sim_rng_below(struct sim_rng *r, uint64_t n);
/* Uniform in [lo, hi] (inclusive); lo when hi <= lo. */
uint64_t sim_rng_range(struct sim_rng *r, uint64_t lo, uint64_t hi);
/* Uniform double in [0, 1) with 53 random bits. */
double sim_rng_double(struct sim_rng *r);
/* True with probability p (p <= 0: never, p >= 1: always, without drawing). */
bool sim_rng_bernoulli(struct sim_rng *r, double p);

#endif
