/* tests/boot/test_trailer.c: MCUboot slot trailer primitives (core/boot/trailer.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/boot/trailer.h"
#include "sim/imagegen.h"

static const uint8_t magic8[16] = {0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
				   0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80};
static const uint8_t tail[14] = {0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
				 0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a};

static void test_layout_a8(void **state)
{
	(void)state;
	struct bo_trailer_layout l;
	assert_int_equal(bo_trailer_layout(0x34000, 8, &l), 0);
	assert_int_equal(l.magic_off, 0x34000 - 16);
	assert_int_equal(l.magic_block_off, 0x34000 - 16);
	assert_int_equal(l.magic_block_size, 16);
	assert_int_equal(l.image_ok_off, 0x34000 - 24);
	assert_int_equal(l.copy_done_off, 0x34000 - 32);
	assert_int_equal(l.swap_info_off, 0x34000 - 40);
	assert_int_equal(l.swap_size_off, 0x34000 - 48);
	assert_int_equal(l.fixed_start, 0x34000 - 48);
}

static uint32_t align_down(uint32_t v, uint32_t a)
{
	return v & ~(a - 1);
}

static void test_layout_wide(void **state)
{
	(void)state;
	const uint32_t z = 0x20000;
	for (uint32_t a = 8; a <= 256; a *= 2) {
		struct bo_trailer_layout l;
		assert_int_equal(bo_trailer_layout(z, a, &l), 0);
		uint32_t block = a < 16 ? 16 : a;
		assert_int_equal(l.magic_off, z - 16);
		assert_int_equal(l.magic_block_size, block);
		assert_int_equal(l.magic_block_off, z - block);
		/* the reference formula */
		assert_int_equal(l.image_ok_off, align_down(z - 16 - a, a));
		assert_int_equal(l.copy_done_off, l.image_ok_off - a);
		assert_int_equal(l.swap_info_off, l.copy_done_off - a);
		assert_int_equal(l.swap_size_off, l.swap_info_off - a);
		assert_int_equal(l.image_ok_off % a, 0);
	}
	/* A = 32: image_ok at Z - 64 (magic block 32, then one 32-byte unit) */
	struct bo_trailer_layout l;
	assert_int_equal(bo_trailer_layout(z, 32, &l), 0);
	assert_int_equal(l.image_ok_off, z - 64);
}

static void test_layout_bad(void **state)
{
	(void)state;
	struct bo_trailer_layout l;
	assert_int_equal(bo_trailer_layout(0x1000, 4, &l), -1);   /* A < 8 */
	assert_int_equal(bo_trailer_layout(0x1000, 12, &l), -1);  /* not a power of two */
	assert_int_equal(bo_trailer_layout(0x1004, 8, &l), -1);   /* Z not a multiple of A */
	assert_int_equal(bo_trailer_layout(40, 8, &l), -1);       /* too small: needs 48 */
	assert_int_equal(bo_trailer_layout(48, 8, &l), 0);
	assert_int_equal(l.swap_size_off, 0);
	assert_int_equal(bo_trailer_layout(0x1000, 2048, &l), -1);
}

static void test_magic_bytes(void **state)
{
	(void)state;
	uint8_t m[16];
	bo_trailer_magic(8, m);
	assert_memory_equal(m, magic8, 16);
	bo_trailer_magic(16, m);
	assert_int_equal(m[0], 16);
	assert_int_equal(m[1], 0);
	assert_memory_equal(m + 2, tail, 14);
	bo_trailer_magic(32, m);
	assert_int_equal(m[0], 32);
	assert_int_equal(m[1], 0);
	assert_memory_equal(m + 2, tail, 14);
	bo_trailer_magic(512, m);
	assert_int_equal(m[0], 0);
	assert_int_equal(m[1], 2);
}

static void test_magic_block(void **state)
{
	(void)state;
	uint8_t b[64];
	assert_int_equal(bo_trailer_build_magic(b, sizeof b, 8, 0xff), 16);
	assert_memory_equal(b, magic8, 16);
	assert_int_equal(bo_trailer_build_magic(b, sizeof b, 16, 0xff), 16);
	assert_int_equal(b[0], 16);
	memset(b, 0x55, sizeof b);
	assert_int_equal(bo_trailer_build_magic(b, sizeof b, 32, 0x00), 32);
	for (int i = 0; i < 16; i++)
		assert_int_equal(b[i], 0x00); /* erase-value padding first */
	assert_int_equal(b[16], 32);
	assert_memory_equal(b + 18, tail, 14);
	assert_int_equal(b[32], 0x55); /* untouched */
	assert_int_equal(bo_trailer_build_magic(b, 31, 32, 0xff), 0);
	assert_int_equal(bo_trailer_build_magic(b, sizeof b, 7, 0xff), 0);
}

static void test_decode_magic(void **state)
{
	(void)state;
	uint8_t m[16];
	for (uint32_t a = 8; a <= 32; a *= 2) {
		bo_trailer_magic(a, m);
		assert_int_equal(bo_trailer_decode_magic(m, a, 0xff), BO_MAGIC_GOOD);
		assert_int_equal(bo_trailer_decode_magic(m, a, 0x00), BO_MAGIC_GOOD);
		/* a magic for another A does not count */
		assert_int_equal(bo_trailer_decode_magic(m, a == 8 ? 16 : 8, 0xff), BO_MAGIC_BAD);
		/* torn: the second half still erased */
		memset(m + 8, 0xff, 8);
		assert_int_equal(bo_trailer_decode_magic(m, a, 0xff), BO_MAGIC_BAD);
		/* one bit short */
		bo_trailer_magic(a, m);
		m[15] ^= 0x01;
		assert_int_equal(bo_trailer_decode_magic(m, a, 0xff), BO_MAGIC_BAD);
	}
	memset(m, 0xff, 16);
	assert_int_equal(bo_trailer_decode_magic(m, 8, 0xff), BO_MAGIC_UNSET);
	assert_int_equal(bo_trailer_decode_magic(m, 8, 0x00), BO_MAGIC_BAD);
	memset(m, 0x00, 16);
	assert_int_equal(bo_trailer_decode_magic(m, 8, 0x00), BO_MAGIC_UNSET);
	assert_int_equal(bo_trailer_decode_magic(m, 8, 0xff), BO_MAGIC_BAD);
}

static void test_decode_flag(void **state)
{
	(void)state;
	assert_int_equal(bo_trailer_decode_flag(0x01, 0xff), BO_FLAG_SET);
	assert_int_equal(bo_trailer_decode_flag(0xff, 0xff), BO_FLAG_UNSET);
	assert_int_equal(bo_trailer_decode_flag(0x00, 0xff), BO_FLAG_BAD);
	assert_int_equal(bo_trailer_decode_flag(0x03, 0xff), BO_FLAG_BAD);
	assert_int_equal(bo_trailer_decode_flag(0x01, 0x00), BO_FLAG_SET);
	assert_int_equal(bo_trailer_decode_flag(0x00, 0x00), BO_FLAG_UNSET);
	assert_int_equal(bo_trailer_decode_flag(0xff, 0x00), BO_FLAG_BAD);
	for (int v = 0; v < 256; v++) {
		enum bo_flag_state s = bo_trailer_decode_flag((uint8_t)v, 0xff);
		assert_int_equal(s, v == 1 ? BO_FLAG_SET : v == 0xff ? BO_FLAG_UNSET : BO_FLAG_BAD);
	}
}

static void test_encode(void **state)
{
	(void)state;
	uint8_t b[64];
	memset(b, 0x55, sizeof b);
	assert_int_equal(bo_trailer_encode_flag(b, sizeof b, 8, 0xff), 8);
	assert_int_equal(b[0], 0x01);
	for (int i = 1; i < 8; i++)
		assert_int_equal(b[i], 0xff);
	assert_int_equal(b[8], 0x55);
	assert_int_equal(bo_trailer_encode_flag(b, sizeof b, 1, 0x00), 1);
	assert_int_equal(bo_trailer_encode_flag(b, sizeof b, 32, 0x00), 32);
	assert_int_equal(b[31], 0x00);
	assert_int_equal(bo_trailer_encode_flag(b, 4, 8, 0xff), 0);
	assert_int_equal(bo_trailer_encode_flag(b, 4, 0, 0xff), 0);

	assert_int_equal(bo_trailer_swap_info_byte(BO_SWAP_TEST, 0), 0x02);
	assert_int_equal(bo_trailer_swap_info_byte(BO_SWAP_REVERT, 3), 0x34);
	assert_int_equal(bo_trailer_encode_swap_info(b, sizeof b, 4, 0xff, BO_SWAP_PERM, 1), 4);
	assert_int_equal(b[0], 0x13);
	assert_int_equal(b[3], 0xff);

	assert_int_equal(bo_trailer_encode_swap_size(b, sizeof b, 1, 0xff, 0x12345678), 4);
	assert_int_equal(b[0], 0x78);
	assert_int_equal(b[3], 0x12);
	assert_int_equal(bo_trailer_encode_swap_size(b, sizeof b, 8, 0xff, 0x1000), 8);
	assert_int_equal(b[1], 0x10);
	assert_int_equal(b[4], 0xff);
	assert_int_equal(b[7], 0xff);
	assert_int_equal(bo_trailer_encode_swap_size(b, 6, 8, 0xff, 1), 0);
}

static void test_swap_info(void **state)
{
	(void)state;
	struct bo_swap_info si;
	bo_trailer_decode_swap_info(0xff, 0xff, &si);
	assert_false(si.set);
	assert_int_equal(si.swap_type, BO_SWAP_NONE);
	bo_trailer_decode_swap_info(0x12, 0xff, &si);
	assert_true(si.set);
	assert_int_equal(si.swap_type, BO_SWAP_TEST);
	assert_int_equal(si.image_index, 1);
	bo_trailer_decode_swap_info(0x04, 0xff, &si);
	assert_int_equal(si.swap_type, BO_SWAP_REVERT);
	assert_int_equal(si.image_index, 0);
	bo_trailer_decode_swap_info(0x05, 0xff, &si); /* FAIL is never stored: > REVERT */
	assert_false(si.set);
	assert_int_equal(si.swap_type, BO_SWAP_NONE);
	bo_trailer_decode_swap_info(0x30, 0xff, &si); /* type 0 */
	assert_false(si.set);
	bo_trailer_decode_swap_info(0x00, 0x00, &si);
	assert_false(si.set);
	for (int t = BO_SWAP_NONE; t <= BO_SWAP_REVERT; t++)
		for (int img = 0; img < 16; img++) {
			uint8_t raw = bo_trailer_swap_info_byte((uint8_t)t, (uint8_t)img);
			bo_trailer_decode_swap_info(raw, 0xff, &si);
			if (raw == 0xff)
				continue;
			assert_true(si.set);
			assert_int_equal(si.swap_type, t);
			assert_int_equal(si.image_index, img);
		}
}

/* Every magic x image_ok x copy_done combination written into a RAM slot, then read back. */
static void test_read_state_combinations(void **state)
{
	(void)state;
	enum { Z = 4096 };
	static const enum bo_magic_state ms[] = {BO_MAGIC_GOOD, BO_MAGIC_UNSET, BO_MAGIC_BAD};
	static const enum bo_flag_state fs[] = {BO_FLAG_SET, BO_FLAG_UNSET, BO_FLAG_BAD};
	static const uint32_t aligns[] = {8, 16, 32};
	static const uint8_t evs[] = {0xff, 0x00};
	uint8_t data[Z];

	for (size_t ai = 0; ai < 3; ai++)
		for (size_t ei = 0; ei < 2; ei++)
			for (size_t m = 0; m < 3; m++)
				for (size_t io = 0; io < 3; io++)
					for (size_t cd = 0; cd < 3; cd++) {
		uint32_t a = aligns[ai];
		uint8_t ev = evs[ei];
		struct bo_ramflash rf;
		struct bo_trailer_layout l;
		memset(data, ev, sizeof data);
		bo_ramflash_init(&rf, data, Z, 0, 4, ev);
		assert_int_equal(bo_trailer_layout(Z, a, &l), 0);
		if (ms[m] == BO_MAGIC_GOOD)
			bo_trailer_build_magic(data + l.magic_block_off, l.magic_block_size, a, ev);
		else if (ms[m] == BO_MAGIC_BAD) {
			bo_trailer_build_magic(data + l.magic_block_off, l.magic_block_size, a, ev);
			memset(data + l.magic_off + 8, ev, 8); /* torn */
		}
		uint8_t bad = ev == 0xff ? 0x00 : 0xff;
		if (fs[io] == BO_FLAG_SET)
			bo_trailer_encode_flag(data + l.image_ok_off, a, a, ev);
		else if (fs[io] == BO_FLAG_BAD)
			data[l.image_ok_off] = bad;
		if (fs[cd] == BO_FLAG_SET)
			bo_trailer_encode_flag(data + l.copy_done_off, a, a, ev);
		else if (fs[cd] == BO_FLAG_BAD)
			data[l.copy_done_off] = 0x02;

		struct bo_swap_state st;
		assert_int_equal(bo_trailer_read_state(&rf.area, a, &st), 0);
		assert_int_equal(st.magic, ms[m]);
		assert_int_equal(st.image_ok, fs[io]);
		assert_int_equal(st.copy_done, fs[cd]);
		assert_false(st.swap_info.set);
		assert_false(st.swap_size_set);
	}
}

static void test_read_state_fields(void **state)
{
	(void)state;
	enum { Z = 2048 };
	uint8_t data[Z];
	struct bo_ramflash rf;
	struct bo_trailer_layout l;
	struct bo_swap_state st;
	memset(data, 0xff, sizeof data);
	bo_ramflash_init(&rf, data, Z, 0, 8, 0xff);
	assert_int_equal(bo_trailer_layout(Z, 8, &l), 0);
	assert_int_equal(bo_trailer_encode_swap_info(data + l.swap_info_off, 8, 8, 0xff,
						     BO_SWAP_PERM, 2), 8);
	assert_int_equal(bo_trailer_encode_swap_size(data + l.swap_size_off, 8, 8, 0xff, 0x5000), 8);
	assert_int_equal(bo_trailer_read_state(&rf.area, 8, &st), 0);
	assert_true(st.swap_info.set);
	assert_int_equal(st.swap_info.swap_type, BO_SWAP_PERM);
	assert_int_equal(st.swap_info.image_index, 2);
	assert_true(st.swap_size_set);
	assert_int_equal(st.swap_size, 0x5000);
	/* a slot too small for a trailer */
	struct bo_flash_area small = {&rf.flash, 0, 40};
	assert_int_equal(bo_trailer_read_state(&small, 8, &st), -1);
	assert_int_equal(bo_trailer_read_state(&rf.area, 12, &st), -1);
}

static struct bo_swap_state mk(enum bo_magic_state m, enum bo_flag_state io,
			       enum bo_flag_state cd)
{
	struct bo_swap_state s;
	memset(&s, 0, sizeof s);
	s.magic = m;
	s.image_ok = io;
	s.copy_done = cd;
	s.swap_info.swap_type = BO_SWAP_NONE;
	return s;
}

/* The reference table, evaluated independently for every state pair. */
static enum bo_swap_type expected(const struct bo_swap_state *p, const struct bo_swap_state *s)
{
	if (s->magic == BO_MAGIC_GOOD && s->image_ok == BO_FLAG_UNSET)
		return BO_SWAP_TEST;
	if (s->magic == BO_MAGIC_GOOD && s->image_ok == BO_FLAG_SET)
		return BO_SWAP_PERM;
	if (p->magic == BO_MAGIC_GOOD && p->image_ok == BO_FLAG_UNSET && p->copy_done == BO_FLAG_SET)
		return BO_SWAP_REVERT;
	return BO_SWAP_NONE;
}

static void test_decision_rows(void **state)
{
	(void)state;
	struct bo_swap_state p, s;
	/* row 1: a test upgrade pending (imgtool --pad) */
	p = mk(BO_MAGIC_UNSET, BO_FLAG_UNSET, BO_FLAG_UNSET);
	s = mk(BO_MAGIC_GOOD, BO_FLAG_UNSET, BO_FLAG_UNSET);
	assert_int_equal(bo_trailer_swap_decision(&p, &s), BO_SWAP_TEST);
	/* row 1 wins over row 3 */
	p = mk(BO_MAGIC_GOOD, BO_FLAG_UNSET, BO_FLAG_SET);
	assert_int_equal(bo_trailer_swap_decision(&p, &s), BO_SWAP_TEST);
	/* row 2: permanent (imgtool --confirm) */
	s = mk(BO_MAGIC_GOOD, BO_FLAG_SET, BO_FLAG_UNSET);
	assert_int_equal(bo_trailer_swap_decision(&p, &s), BO_SWAP_PERM);
	/* row 3: swapped, never confirmed -> revert */
	s = mk(BO_MAGIC_UNSET, BO_FLAG_UNSET, BO_FLAG_UNSET);
	p = mk(BO_MAGIC_GOOD, BO_FLAG_UNSET, BO_FLAG_SET);
	assert_int_equal(bo_trailer_swap_decision(&p, &s), BO_SWAP_REVERT);
	/* confirmed primary: none */
	p = mk(BO_MAGIC_GOOD, BO_FLAG_SET, BO_FLAG_SET);
	assert_int_equal(bo_trailer_swap_decision(&p, &s), BO_SWAP_NONE);
	/* torn secondary image_ok: no row matches */
	s = mk(BO_MAGIC_GOOD, BO_FLAG_BAD, BO_FLAG_UNSET);
	p = mk(BO_MAGIC_UNSET, BO_FLAG_UNSET, BO_FLAG_UNSET);
	assert_int_equal(bo_trailer_swap_decision(&p, &s), BO_SWAP_NONE);
	/* torn primary magic during a revert (MCUboot issue 1966): no row matches */
	s = mk(BO_MAGIC_UNSET, BO_FLAG_UNSET, BO_FLAG_UNSET);
	p = mk(BO_MAGIC_BAD, BO_FLAG_UNSET, BO_FLAG_SET);
	assert_int_equal(bo_trailer_swap_decision(&p, &s), BO_SWAP_NONE);
	/* all erased */
	p = mk(BO_MAGIC_UNSET, BO_FLAG_UNSET, BO_FLAG_UNSET);
	assert_int_equal(bo_trailer_swap_decision(&p, &s), BO_SWAP_NONE);

	/* exhaustive: 27 x 27 state pairs against the table */
	static const enum bo_magic_state ms[] = {BO_MAGIC_GOOD, BO_MAGIC_UNSET, BO_MAGIC_BAD};
	static const enum bo_flag_state fs[] = {BO_FLAG_SET, BO_FLAG_UNSET, BO_FLAG_BAD};
	int counts[6] = {0};
	for (int a = 0; a < 27; a++)
		for (int b = 0; b < 27; b++) {
			p = mk(ms[a / 9], fs[(a / 3) % 3], fs[a % 3]);
			s = mk(ms[b / 9], fs[(b / 3) % 3], fs[b % 3]);
			enum bo_swap_type t = bo_trailer_swap_decision(&p, &s);
			assert_int_equal(t, expected(&p, &s));
			counts[t]++;
		}
	/* secondary GOOD+UNSET: 3 combos of copy_done x 27 primaries = 81 */
	assert_int_equal(counts[BO_SWAP_TEST], 81);
	assert_int_equal(counts[BO_SWAP_PERM], 81);
	/* primary GOOD/UNSET/SET (1 of 27) x secondaries that are neither TEST nor PERM (21) */
	assert_int_equal(counts[BO_SWAP_REVERT], 21);
	assert_int_equal(counts[BO_SWAP_NONE], 729 - 81 - 81 - 21);
}

static void test_strings(void **state)
{
	(void)state;
	assert_string_equal(bo_magic_state_str(BO_MAGIC_GOOD), "good");
	assert_string_equal(bo_flag_state_str(BO_FLAG_BAD), "bad");
	assert_string_equal(bo_swap_type_str(BO_SWAP_REVERT), "revert");
	assert_string_equal(bo_swap_type_str(0x42), "?");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_layout_a8),
		cmocka_unit_test(test_layout_wide),
		cmocka_unit_test(test_layout_bad),
		cmocka_unit_test(test_magic_bytes),
		cmocka_unit_test(test_magic_block),
		cmocka_unit_test(test_decode_magic),
		cmocka_unit_test(test_decode_flag),
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_swap_info),
		cmocka_unit_test(test_read_state_combinations),
		cmocka_unit_test(test_read_state_fields),
		cmocka_unit_test(test_decision_rows),
		cmocka_unit_test(test_strings),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
