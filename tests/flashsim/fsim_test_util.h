/*
 * Shared helpers for the flashsim tests. Header-only (static inline) so each test program
 * is one translation unit plus this file.
 *
 * Power cuts: the power-loss handler must not return, so the tests catch it with
 * setjmp/longjmp. TU_EXPECT_CUT(catcher, statement) runs the statement, requires that the
 * handler was called exactly once and that the code after the statement did not run.
 */
#ifndef FSIM_TEST_UTIL_H
#define FSIM_TEST_UTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flashsim/flashsim.h"

/* ---- Power-loss catcher -------------------------------------------------------------- */

struct tu_catcher {
	jmp_buf jb;
	volatile int calls;
};

static inline void tu_on_power_loss(void *ctx)
{
	struct tu_catcher *c = ctx;
	c->calls++;
	longjmp(c->jb, 1);
}

static inline void tu_catch(struct fsim_device *dev, struct tu_catcher *c)
{
	c->calls = 0;
	fsim_set_power_loss_handler(dev, tu_on_power_loss, c);
}

/* Run the statement(s); the armed cut must fire inside it: handler called once, and the line after
 * them never runs (tu_after_ stays 0). */
#define TU_EXPECT_CUT(catcher, ...)                                                    \
	do {                                                                           \
		volatile int tu_after_ = 0;                                            \
		const int tu_calls_before_ = (catcher)->calls;                         \
		if (setjmp((catcher)->jb) == 0) {                                      \
			__VA_ARGS__;                                                   \
			tu_after_ = 1;                                                 \
		}                                                                      \
		assert_int_equal(tu_after_, 0);                                        \
		assert_int_equal((catcher)->calls, tu_calls_before_ + 1);             \
	} while (0)

/* ---- Deterministic test data --------------------------------------------------------- */

static inline uint64_t tu_rand(uint64_t *s)
{
	/* splitmix64 */
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static inline void tu_fill_random(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed;
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)tu_rand(&s);
}

/* Random bytes none of which equals ev: every byte has at least one bit to change, so every
 * write unit of a program has work to do. */
static inline void tu_fill_random_not(uint8_t *buf, size_t len, uint64_t seed, uint8_t ev)
{
	uint64_t s = seed;
	for (size_t i = 0; i < len; i++) {
		uint8_t b;
		do
			b = (uint8_t)tu_rand(&s);
		while (b == ev);
		buf[i] = b;
	}
}

static inline int tu_popcount8(uint8_t b)
{
	int n = 0;
	while (b) {
		n += b & 1;
		b >>= 1;
	}
	return n;
}

static inline int tu_all_equal(const uint8_t *buf, size_t len, uint8_t v)
{
	for (size_t i = 0; i < len; i++)
		if (buf[i] != v)
			return 0;
	return 1;
}

/* ---- Devices ------------------------------------------------------------------------- */

static inline struct fsim_device *tu_preset_dev(const char *name)
{
	struct fsim_geometry g;
	char err[256] = "";
	assert_int_equal(fsim_preset(name, &g), FSIM_OK);
	struct fsim_device *dev = fsim_create(&g, err, sizeof err);
	if (!dev)
		fail_msg("fsim_create(%s): %s", name, err);
	return dev;
}

/* A uniform geometry with simple timing. */
static inline struct fsim_geometry tu_geom(uint32_t count, uint32_t sector_size,
					   uint32_t write_unit, uint8_t erase_value)
{
	struct fsim_geometry g;
	memset(&g, 0, sizeof g);
	g.region_count = 1;
	g.regions[0].count = count;
	g.regions[0].sector_size = sector_size;
	g.regions[0].erase_us = 1000;
	g.write_unit = write_unit;
	g.erase_value = erase_value;
	g.program_ns = 1000;
	g.program_chunk = write_unit;
	g.endurance = 10000;
	return g;
}

static inline struct fsim_device *tu_geom_dev(uint32_t count, uint32_t sector_size,
					      uint32_t write_unit, uint8_t erase_value)
{
	struct fsim_geometry g = tu_geom(count, sector_size, write_unit, erase_value);
	char err[256] = "";
	struct fsim_device *dev = fsim_create(&g, err, sizeof err);
	if (!dev)
		fail_msg("fsim_create(custom): %s", err);
	return dev;
}

/* The whole stored content (fsim_peek), malloc'd. */
static inline uint8_t *tu_peek_all(const struct fsim_device *dev)
{
	uint32_t size = fsim_size(dev);
	uint8_t *buf = malloc(size);
	assert_non_null(buf);
	assert_int_equal(fsim_peek(dev, 0, buf, size), FSIM_OK);
	return buf;
}

static inline void tu_assert_content(const struct fsim_device *dev, const uint8_t *expect)
{
	uint8_t *now = tu_peek_all(dev);
	uint32_t size = fsim_size(dev);
	for (uint32_t i = 0; i < size; i++)
		if (now[i] != expect[i]) {
			uint8_t got = now[i];
			free(now);
			fail_msg("content differs at 0x%x: got 0x%02x, expected 0x%02x", (unsigned)i,
				 got, expect[i]);
		}
	free(now);
}

/* The nrf52840 default layout of reference/flash.md (boot write-protected). */
static inline void tu_nrf_partitions(struct fsim_device *dev)
{
	static const struct fsim_partition parts[] = {
		{"boot", 0x00000, 48 * 1024, true},
		{"primary", 0x0C000, 432 * 1024, false},
		{"upgrade", 0x78000, 432 * 1024, false},
		{"scratch", 0xE4000, 16 * 1024, false},
		{"recovery", 0xE8000, 64 * 1024, false},
		{"storage", 0xF8000, 32 * 1024, false},
	};
	char err[256] = "";
	int rc = fsim_set_partitions(dev, parts, sizeof parts / sizeof parts[0], err, sizeof err);
	if (rc != FSIM_OK)
		fail_msg("fsim_set_partitions(nrf default): %d %s", rc, err);
}

/* Assert the last recorded violation (index i) has this kind, op index and address. */
static inline void tu_assert_violation(const struct fsim_device *dev, size_t i,
				       enum fsim_violation_kind kind, uint64_t op_index,
				       uint32_t addr)
{
	const struct fsim_violation *v = fsim_violation_at(dev, i);
	if (!v)
		fail_msg("violation %zu not recorded (count %zu)", i, fsim_violation_count(dev));
	assert_int_equal(v->kind, kind);
	assert_int_equal(v->op_index, op_index);
	assert_int_equal(v->addr, addr);
}

static inline uint64_t tu_next_op(const struct fsim_device *dev)
{
	struct fsim_stats st;
	fsim_get_stats(dev, &st);
	return st.mutating_ops;
}

/* ---- Temporary directory ------------------------------------------------------------- */

static inline void tu_mkdtemp(char *out, size_t outlen)
{
	const char *base = getenv("FSIM_TEST_TMPDIR");
	if (!base || !*base)
		base = "/tmp";
	snprintf(out, outlen, "%s/fsimtest-XXXXXX", base);
	if (!mkdtemp(out))
		fail_msg("mkdtemp(%s) failed", out);
}

#endif
