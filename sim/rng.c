/*
 * sim/rng.c: splitmix64 seeding and hashing, xoshiro256** streams.
 */
#include "sim/rng.h"

uint64_t sim_rng_mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void sim_rng_seed(struct sim_rng *r, uint64_t seed)
{
	/* splitmix64 sequence from seed: never all zero in practice (it is a bijection of a
	   counter), but guard anyway since xoshiro's all-zero state is a fixed point. */
	uint64_t x = seed;
	for (int i = 0; i < 4; i++) {
		x += 0x9e3779b97f4a7c15ull;
		r->s[i] = sim_rng_mix64(x);
	}
	if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
		r->s[0] = 0x9e3779b97f4a7c15ull;
}

void sim_rng_derive(struct sim_rng *r, uint64_t root_seed, uint32_t node, uint32_t purpose)
{
	/* Hash the key fields in turn through the mixer; distinct constants keep (node,
	   purpose) and (purpose, node) apart. */
	uint64_t h = sim_rng_mix64(root_seed ^ 0x6a09e667f3bcc909ull);
	h = sim_rng_mix64(h ^ ((uint64_t)node * 0xbb67ae8584caa73bull) ^ 0x3c6ef372fe94f82bull);
	h = sim_rng_mix64(h ^ ((uint64_t)purpose * 0xa54ff53a5f1d36f1ull) ^ 0x510e527fade682d1ull);
	sim_rng_seed(r, h);
}

uint32_t sim_rng_u32(struct sim_rng *r)
{
	return (uint32_t)(sim_rng_u64(r) >> 32);
}

uint64_t sim_rng_below(struct sim_rng *r, uint64_t n)
{
	if (n == 0)
		return 0;
	/* Rejection on the top of the range: unbiased, and portable (no 128-bit multiply). */
	uint64_t limit = UINT64_MAX - (UINT64_MAX % n);
	uint64_t x;
	do {
		x = sim_rng_u64(r);
	} while (x >= limit);
	return x % n;
}

uint64_t sim_rng_range(struct sim_rng *r, uint64_t lo, uint64_t hi)
{
	if (hi <= lo)
		return lo;
	uint64_t span = hi - lo;
	if (span == UINT64_MAX)
		return sim_rng_u64(r);
	return lo + sim_rng_below(r, span + 1);
}

double sim_rng_double(struct sim_rng *r)
{
	return (double)(sim_rng_u64(r) >> 11) * 0x1.0p-53;
}

bool sim_rng_bernoulli(struct sim_rng *r, double p)
{
	if (!(p > 0.0))
		return false;
	if (p >= 1.0)
		return true;
	return sim_rng_double(r) < p;
}
