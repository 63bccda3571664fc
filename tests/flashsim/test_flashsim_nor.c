/*
 * flashsim NOR semantics: erase value, program rules, and the violations (not erased,
 * unaligned, out of range, write-protected), each checked for kind, op index and address,
 * and for "a refused operation changes nothing".
 */
#include "fsim_test_util.h"

/* ---- Erase sets the erase value ------------------------------------------------------ */

static void test_fresh_device_reads_erased(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	uint8_t *all = tu_peek_all(dev);
	assert_true(tu_all_equal(all, fsim_size(dev), 0xff));
	uint8_t buf[64];
	assert_int_equal(fsim_read(dev, 0x1234, buf, sizeof buf), FSIM_OK);
	assert_true(tu_all_equal(buf, sizeof buf, 0xff));
	free(all);
	fsim_destroy(dev);

	dev = tu_geom_dev(8, 1024, 4, 0x00);
	all = tu_peek_all(dev);
	assert_true(tu_all_equal(all, fsim_size(dev), 0x00));
	free(all);
	fsim_destroy(dev);
}

static void erase_sets_value(uint8_t ev)
{
	struct fsim_device *dev = tu_geom_dev(8, 4096, 4, ev);
	uint8_t data[4096];
	/* program sectors 2, 3, 4 fully (via the device, so the content is real programmed
	 * data) */
	for (uint32_t s = 2; s <= 4; s++) {
		tu_fill_random_not(data, sizeof data, 100 + s, ev);
		assert_int_equal(fsim_program(dev, s * 4096, data, sizeof data), FSIM_OK);
	}
	uint8_t *before = tu_peek_all(dev);
	assert_false(tu_all_equal(before + 3 * 4096, 4096, ev));

	assert_int_equal(fsim_erase(dev, 3 * 4096, 4096), FSIM_OK);
	uint8_t *after = tu_peek_all(dev);
	assert_true(tu_all_equal(after + 3 * 4096, 4096, ev));
	/* neighbours untouched */
	assert_memory_equal(after, before, 3 * 4096);
	assert_memory_equal(after + 4 * 4096, before + 4 * 4096, 4 * 4096);
	/* and the read path agrees */
	uint8_t rd[4096];
	assert_int_equal(fsim_read(dev, 3 * 4096, rd, sizeof rd), FSIM_OK);
	assert_true(tu_all_equal(rd, sizeof rd, ev));
	/* an erased sector can be programmed again */
	tu_fill_random_not(data, sizeof data, 7, ev);
	assert_int_equal(fsim_program(dev, 3 * 4096, data, sizeof data), FSIM_OK);
	assert_int_equal(fsim_peek(dev, 3 * 4096, rd, sizeof rd), FSIM_OK);
	assert_memory_equal(rd, data, sizeof data);
	assert_int_equal(fsim_violation_count(dev), 0);
	free(before);
	free(after);
	fsim_destroy(dev);
}

static void test_erase_sets_erase_value_ff(void **state)
{
	(void)state;
	erase_sets_value(0xff);
}

static void test_erase_sets_erase_value_00(void **state)
{
	(void)state;
	erase_sets_value(0x00);
}

/* Multi-sector erase on a mixed geometry (stm32f4: 4 x 16 KiB at the start). */
static void test_erase_multi_sector_mixed(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("stm32f4");
	uint8_t pat[0x100];
	memset(pat, 0x5a, sizeof pat);
	/* a byte of data near the end of sectors 0..5 */
	static const uint32_t offs[] = {0x3f00, 0x7f00, 0xbf00, 0xff00, 0x1ff00, 0x3ff00};
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(fsim_program(dev, offs[i], pat, sizeof pat), FSIM_OK);
	uint64_t op0 = tu_next_op(dev);
	/* sectors 1 and 2 (16 KiB each) */
	assert_int_equal(fsim_erase(dev, 0x4000, 0x8000), FSIM_OK);
	assert_int_equal(tu_next_op(dev), op0 + 2); /* one op per sector */
	uint8_t b[0x100];
	assert_int_equal(fsim_peek(dev, 0x7f00, b, sizeof b), FSIM_OK);
	assert_true(tu_all_equal(b, sizeof b, 0xff));
	assert_int_equal(fsim_peek(dev, 0xbf00, b, sizeof b), FSIM_OK);
	assert_true(tu_all_equal(b, sizeof b, 0xff));
	assert_int_equal(fsim_peek(dev, 0x3f00, b, sizeof b), FSIM_OK);
	assert_memory_equal(b, pat, sizeof pat);
	assert_int_equal(fsim_peek(dev, 0xff00, b, sizeof b), FSIM_OK);
	assert_memory_equal(b, pat, sizeof pat);
	/* the 64 KiB sector 4 followed by the first 128 KiB sector 5 */
	assert_int_equal(fsim_erase(dev, 0x10000, 0x10000 + 0x20000), FSIM_OK);
	assert_int_equal(tu_next_op(dev), op0 + 4);
	assert_int_equal(fsim_peek(dev, 0x1ff00, b, sizeof b), FSIM_OK);
	assert_true(tu_all_equal(b, sizeof b, 0xff));
	assert_int_equal(fsim_peek(dev, 0x3ff00, b, sizeof b), FSIM_OK);
	assert_true(tu_all_equal(b, sizeof b, 0xff));
	assert_int_equal(fsim_violation_count(dev), 0);
	fsim_destroy(dev);
}

/* ---- Program ------------------------------------------------------------------------- */

static void test_program_on_erased_stores_data(void **state)
{
	(void)state;
	static const uint8_t evs[] = {0xff, 0x00};
	static const uint32_t wus[] = {1, 2, 4, 8, 32};
	for (size_t e = 0; e < 2; e++)
		for (size_t w = 0; w < 5; w++) {
			struct fsim_device *dev = tu_geom_dev(4, 4096, wus[w], evs[e]);
			uint8_t data[256], rd[256];
			tu_fill_random(data, sizeof data, 1000 + w);
			uint32_t off = 4096 + 3 * wus[w];
			assert_int_equal(fsim_program(dev, off, data, sizeof data), FSIM_OK);
			assert_int_equal(fsim_peek(dev, off, rd, sizeof rd), FSIM_OK);
			assert_memory_equal(rd, data, sizeof data);
			assert_int_equal(fsim_read(dev, off, rd, sizeof rd), FSIM_OK);
			assert_memory_equal(rd, data, sizeof data);
			/* bytes around it stay erased */
			assert_int_equal(fsim_peek(dev, off - wus[w], rd, wus[w]), FSIM_OK);
			assert_true(tu_all_equal(rd, wus[w], evs[e]));
			assert_int_equal(fsim_peek(dev, off + sizeof data, rd, wus[w]), FSIM_OK);
			assert_true(tu_all_equal(rd, wus[w], evs[e]));
			assert_int_equal(fsim_violation_count(dev), 0);
			fsim_destroy(dev);
		}
}

/* Program over programmed data: a violation that changes nothing, whatever the new data
 * (bits back toward the erase value, the same data again, or only bits further away). */
static void program_over_programmed(uint8_t ev)
{
	struct fsim_device *dev = tu_geom_dev(4, 4096, 4, ev);
	const uint8_t first[4] = {0x0f, 0x0f, 0x0f, 0x0f};
	const uint8_t attempts[][4] = {
		{0xf0, 0xf0, 0xf0, 0xf0}, /* some bits toward erase value, some away */
		{0xff, 0xff, 0xff, 0xff}, /* everything back to 0xff */
		{0x0f, 0x0f, 0x0f, 0x0f}, /* the same data: still a double program */
		{0x00, 0x00, 0x00, 0x00}, /* everything toward 0x00 */
		{0x0e, 0x0f, 0x0f, 0x0f},
	};
	uint32_t off = 0x1010;
	assert_int_equal(fsim_program(dev, off, first, 4), FSIM_OK);
	uint8_t *before = tu_peek_all(dev);
	uint64_t h = fsim_content_hash(dev);
	for (size_t i = 0; i < sizeof attempts / sizeof attempts[0]; i++) {
		uint64_t op = tu_next_op(dev);
		assert_int_equal(fsim_program(dev, off, attempts[i], 4), FSIM_ERR_VIOLATION);
		assert_int_equal(fsim_violation_count(dev), i + 1);
		tu_assert_violation(dev, i, FSIM_V_NOT_ERASED, op, off);
		assert_int_equal(tu_next_op(dev), op + 1); /* the refused op took an index */
		tu_assert_content(dev, before);            /* and changed nothing */
		assert_int_equal(fsim_content_hash(dev), h);
		uint8_t rd[4];
		assert_int_equal(fsim_read(dev, off, rd, 4), FSIM_OK);
		assert_memory_equal(rd, first, 4);
	}
	free(before);
	fsim_destroy(dev);
}

static void test_program_over_programmed_ff(void **state)
{
	(void)state;
	program_over_programmed(0xff);
}

static void test_program_over_programmed_00(void **state)
{
	(void)state;
	program_over_programmed(0x00);
}

/* A unit with a single programmed byte is not erased: programming its other bytes is a
 * double program too. */
static void test_program_partially_programmed_unit(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_geom_dev(4, 4096, 4, 0xff);
	const uint8_t one[4] = {0xff, 0xff, 0xff, 0x00};
	const uint8_t other[4] = {0x00, 0x00, 0x00, 0x00};
	assert_int_equal(fsim_program(dev, 0x20, one, 4), FSIM_OK);
	uint8_t *before = tu_peek_all(dev);
	uint64_t op = tu_next_op(dev);
	assert_int_equal(fsim_program(dev, 0x20, other, 4), FSIM_ERR_VIOLATION);
	const struct fsim_violation *v = fsim_violation_at(dev, 0);
	assert_non_null(v);
	assert_int_equal(v->kind, FSIM_V_NOT_ERASED);
	assert_int_equal(v->op_index, op);
	assert_in_range(v->addr, 0x20, 0x23); /* the unit, or its first non-erased byte */
	tu_assert_content(dev, before);
	free(before);
	fsim_destroy(dev);
}

/* A multi-unit program whose third unit is already programmed is refused as a whole: the
 * erased units around it stay erased, and the address is that unit's. */
static void test_program_multi_unit_refused_whole(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_geom_dev(4, 4096, 4, 0xff);
	const uint8_t unit[4] = {0x12, 0x34, 0x56, 0x78};
	assert_int_equal(fsim_program(dev, 0x108, unit, 4), FSIM_OK);
	uint8_t *before = tu_peek_all(dev);
	uint8_t data[16];
	memset(data, 0x00, sizeof data);
	uint64_t op = tu_next_op(dev);
	assert_int_equal(fsim_program(dev, 0x100, data, sizeof data), FSIM_ERR_VIOLATION);
	tu_assert_violation(dev, 0, FSIM_V_NOT_ERASED, op, 0x108);
	tu_assert_content(dev, before);
	free(before);
	fsim_destroy(dev);
}

/* ---- Alignment ----------------------------------------------------------------------- */

static void test_unaligned_program(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840"); /* write unit 4 */
	uint8_t data[8];
	memset(data, 0x00, sizeof data);
	uint8_t *before = tu_peek_all(dev);
	size_t nv = 0;

	/* offset not a multiple of the write unit */
	static const uint32_t bad_offs[] = {0x1001, 0x1002, 0x1003};
	for (size_t i = 0; i < 3; i++) {
		uint64_t op = tu_next_op(dev);
		assert_int_equal(fsim_program(dev, bad_offs[i], data, 4), FSIM_ERR_VIOLATION);
		tu_assert_violation(dev, nv++, FSIM_V_UNALIGNED, op, bad_offs[i]);
		assert_int_equal(tu_next_op(dev), op + 1);
	}
	/* length not a multiple of the write unit */
	static const uint32_t bad_lens[] = {1, 2, 3, 5, 6, 7};
	for (size_t i = 0; i < 6; i++) {
		uint64_t op = tu_next_op(dev);
		assert_int_equal(fsim_program(dev, 0x2000, data, bad_lens[i]), FSIM_ERR_VIOLATION);
		const struct fsim_violation *v = fsim_violation_at(dev, nv++);
		assert_non_null(v);
		assert_int_equal(v->kind, FSIM_V_UNALIGNED);
		assert_int_equal(v->op_index, op);
		assert_in_range(v->addr, 0x2000, 0x2000 + bad_lens[i]);
	}
	assert_int_equal(fsim_violation_count(dev), nv);
	tu_assert_content(dev, before);
	free(before);
	fsim_destroy(dev);

	/* stm32l4: write unit 8; offset 4 is aligned to 4 but not to 8 */
	dev = tu_preset_dev("stm32l4");
	before = tu_peek_all(dev);
	uint64_t op = tu_next_op(dev);
	assert_int_equal(fsim_program(dev, 0x804, data, 8), FSIM_ERR_VIOLATION);
	tu_assert_violation(dev, 0, FSIM_V_UNALIGNED, op, 0x804);
	tu_assert_content(dev, before);
	/* aligned works */
	assert_int_equal(fsim_program(dev, 0x808, data, 8), FSIM_OK);
	free(before);
	fsim_destroy(dev);
}

static void test_unaligned_erase(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	uint8_t pat[0x3000];
	tu_fill_random(pat, sizeof pat, 5);
	assert_int_equal(fsim_load_bytes(dev, 0x1000, pat, sizeof pat), FSIM_OK);
	uint8_t *before = tu_peek_all(dev);

	uint64_t op = tu_next_op(dev);
	/* start not a sector start */
	assert_int_equal(fsim_erase(dev, 0x1004, 0x1000), FSIM_ERR_VIOLATION);
	tu_assert_violation(dev, 0, FSIM_V_UNALIGNED, op, 0x1004);
	assert_int_equal(tu_next_op(dev), op + 1);
	/* end not a sector end */
	op = tu_next_op(dev);
	assert_int_equal(fsim_erase(dev, 0x1000, 0x800), FSIM_ERR_VIOLATION);
	const struct fsim_violation *v = fsim_violation_at(dev, 1);
	assert_non_null(v);
	assert_int_equal(v->kind, FSIM_V_UNALIGNED);
	assert_int_equal(v->op_index, op);
	assert_in_range(v->addr, 0x1000, 0x1800);
	/* spanning two sectors, end mid-sector: the first sector must not be erased either */
	op = tu_next_op(dev);
	assert_int_equal(fsim_erase(dev, 0x1000, 0x1800), FSIM_ERR_VIOLATION);
	v = fsim_violation_at(dev, 2);
	assert_non_null(v);
	assert_int_equal(v->kind, FSIM_V_UNALIGNED);
	assert_int_equal(v->op_index, op);
	tu_assert_content(dev, before);
	fsim_destroy(dev);
	free(before);

	/* mixed sectors: 16 KiB at 0x10000 is not a whole 64 KiB sector */
	dev = tu_preset_dev("stm32f4");
	assert_int_equal(fsim_load_bytes(dev, 0x10000, pat, sizeof pat), FSIM_OK);
	before = tu_peek_all(dev);
	op = tu_next_op(dev);
	assert_int_equal(fsim_erase(dev, 0x10000, 0x4000), FSIM_ERR_VIOLATION);
	v = fsim_violation_at(dev, 0);
	assert_non_null(v);
	assert_int_equal(v->kind, FSIM_V_UNALIGNED);
	assert_int_equal(v->op_index, op);
	/* 0x14000 is a sector start on a 16 KiB grid but not on this device */
	op = tu_next_op(dev);
	assert_int_equal(fsim_erase(dev, 0x14000, 0x4000), FSIM_ERR_VIOLATION);
	tu_assert_violation(dev, 1, FSIM_V_UNALIGNED, op, 0x14000);
	tu_assert_content(dev, before);
	free(before);
	fsim_destroy(dev);
}

/* ---- Range --------------------------------------------------------------------------- */

static void test_out_of_range(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	uint32_t size = fsim_size(dev);
	assert_int_equal(size, 1024 * 1024);
	uint8_t pat[0x1000];
	tu_fill_random(pat, sizeof pat, 9);
	assert_int_equal(fsim_load_bytes(dev, size - 0x1000, pat, sizeof pat), FSIM_OK);
	uint8_t *before = tu_peek_all(dev);
	uint8_t data[8];
	memset(data, 0, sizeof data);
	size_t nv = 0;

	uint64_t op = tu_next_op(dev);
	assert_int_equal(fsim_program(dev, size, data, 4), FSIM_ERR_VIOLATION);
	tu_assert_violation(dev, nv++, FSIM_V_OUT_OF_RANGE, op, size);

	/* starts inside, runs past the end: nothing programmed */
	op = tu_next_op(dev);
	assert_int_equal(fsim_erase(dev, size - 0x1000, 0x1000), FSIM_OK); /* make it erased */
	free(before);
	before = tu_peek_all(dev);
	op = tu_next_op(dev);
	assert_int_equal(fsim_program(dev, size - 4, data, 8), FSIM_ERR_VIOLATION);
	const struct fsim_violation *v = fsim_violation_at(dev, nv++);
	assert_non_null(v);
	assert_int_equal(v->kind, FSIM_V_OUT_OF_RANGE);
	assert_int_equal(v->op_index, op);
	assert_in_range(v->addr, size - 4, size);
	tu_assert_content(dev, before);

	/* offset + length wraps around 2^32 */
	op = tu_next_op(dev);
	assert_int_equal(fsim_program(dev, 0xfffffffcu, data, 8), FSIM_ERR_VIOLATION);
	v = fsim_violation_at(dev, nv++);
	assert_non_null(v);
	assert_int_equal(v->kind, FSIM_V_OUT_OF_RANGE);
	assert_int_equal(v->op_index, op);

	/* erase past the end */
	op = tu_next_op(dev);
	assert_int_equal(fsim_erase(dev, size, 0x1000), FSIM_ERR_VIOLATION);
	tu_assert_violation(dev, nv++, FSIM_V_OUT_OF_RANGE, op, size);

	/* erase starting in the last sector and running past the end: the last sector is not
	 * erased (the refused operation changes nothing) */
	assert_int_equal(fsim_load_bytes(dev, size - 0x1000, pat, sizeof pat), FSIM_OK);
	free(before);
	before = tu_peek_all(dev);
	op = tu_next_op(dev);
	assert_int_equal(fsim_erase(dev, size - 0x1000, 0x2000), FSIM_ERR_VIOLATION);
	v = fsim_violation_at(dev, nv++);
	assert_non_null(v);
	assert_int_equal(v->kind, FSIM_V_OUT_OF_RANGE);
	assert_int_equal(v->op_index, op);
	assert_in_range(v->addr, size - 0x1000, size);
	tu_assert_content(dev, before);

	/* wrap-around erase */
	op = tu_next_op(dev);
	assert_int_equal(fsim_erase(dev, 0xfffff000u, 0x2000), FSIM_ERR_VIOLATION);
	v = fsim_violation_at(dev, nv++);
	assert_non_null(v);
	assert_int_equal(v->op_index, op);
	assert_true(v->kind == FSIM_V_OUT_OF_RANGE);

	assert_int_equal(fsim_violation_count(dev), nv);
	tu_assert_content(dev, before);

	/* reads out of range fail (negative), without a crash; in range unaligned reads work */
	uint8_t rd[16];
	assert_true(fsim_read(dev, size, rd, 1) < 0);
	assert_true(fsim_read(dev, size - 8, rd, 16) < 0);
	assert_true(fsim_read(dev, 0xfffffff8u, rd, 16) < 0);
	assert_true(fsim_peek(dev, size - 8, rd, 16) < 0);
	assert_int_equal(fsim_read(dev, 3, rd, 13), FSIM_OK);
	assert_int_equal(fsim_read(dev, size - 16, rd, 16), FSIM_OK);
	assert_memory_equal(rd, pat + sizeof pat - 16, 16);
	free(before);
	fsim_destroy(dev);
}

/* ---- Write protection ---------------------------------------------------------------- */

static void test_write_protected(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	tu_nrf_partitions(dev); /* boot 0..0xC000 write-protected */
	/* the harness can lay out the boot partition (bypasses the rules) */
	uint8_t pat[0x2000];
	tu_fill_random(pat, sizeof pat, 11);
	assert_int_equal(fsim_load_bytes(dev, 0xB000, pat, sizeof pat), FSIM_OK); /* 0xB000..0xD000 */
	assert_int_equal(fsim_violation_count(dev), 0);
	assert_int_equal(fsim_erase(dev, 0xC000, 0x1000), FSIM_OK); /* primary: allowed */
	uint8_t *before = tu_peek_all(dev);
	uint8_t data[8];
	memset(data, 0, sizeof data);
	size_t nv = 0;

	/* program inside boot, on erased cells */
	uint64_t op = tu_next_op(dev);
	assert_int_equal(fsim_program(dev, 0x1000, data, 4), FSIM_ERR_VIOLATION);
	tu_assert_violation(dev, nv++, FSIM_V_WRITE_PROTECTED, op, 0x1000);
	assert_int_equal(tu_next_op(dev), op + 1);

	/* erase inside boot */
	op = tu_next_op(dev);
	assert_int_equal(fsim_erase(dev, 0xB000, 0x1000), FSIM_ERR_VIOLATION);
	tu_assert_violation(dev, nv++, FSIM_V_WRITE_PROTECTED, op, 0xB000);

	/* program starting in boot, ending in primary: nothing programmed in primary */
	op = tu_next_op(dev);
	assert_int_equal(fsim_program(dev, 0xBFFC, data, 8), FSIM_ERR_VIOLATION);
	const struct fsim_violation *v = fsim_violation_at(dev, nv++);
	assert_non_null(v);
	assert_int_equal(v->kind, FSIM_V_WRITE_PROTECTED);
	assert_int_equal(v->op_index, op);
	assert_int_equal(v->addr, 0xBFFC);

	/* erase of boot's last sector plus primary's first: primary not erased either */
	assert_int_equal(fsim_load_bytes(dev, 0xC000, pat, 0x1000), FSIM_OK);
	free(before);
	before = tu_peek_all(dev);
	op = tu_next_op(dev);
	assert_int_equal(fsim_erase(dev, 0xB000, 0x2000), FSIM_ERR_VIOLATION);
	v = fsim_violation_at(dev, nv++);
	assert_non_null(v);
	assert_int_equal(v->kind, FSIM_V_WRITE_PROTECTED);
	assert_int_equal(v->op_index, op);
	assert_int_equal(v->addr, 0xB000);

	assert_int_equal(fsim_violation_count(dev), nv);
	tu_assert_content(dev, before);

	/* outside boot everything is allowed */
	assert_int_equal(fsim_erase(dev, 0xC000, 0x1000), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0xC000, data, 8), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0xFFFF8, data, 8), FSIM_OK);
	assert_int_equal(fsim_violation_count(dev), nv);

	/* a table without write protection lifts it */
	const struct fsim_partition open_parts[] = {{"all", 0, 1024 * 1024, false}};
	char err[256];
	assert_int_equal(fsim_set_partitions(dev, open_parts, 1, err, sizeof err), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x1000, data, 4), FSIM_OK);
	free(before);
	fsim_destroy(dev);
}

/* A write-protected partition in the middle of the device: a program that starts before it
 * and runs into it is refused; the first offending address is the partition start. */
static void test_write_protected_middle(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("k64f"); /* 4 KiB sectors, write unit 8 */
	const struct fsim_partition parts[] = {
		{"a", 0x0000, 0x2000, false},
		{"locked", 0x2000, 0x1000, true},
		{"b", 0x3000, 0x1000, false},
	};
	char err[256];
	assert_int_equal(fsim_set_partitions(dev, parts, 3, err, sizeof err), FSIM_OK);
	uint8_t data[16];
	memset(data, 0x33, sizeof data);
	uint8_t *before = tu_peek_all(dev);
	uint64_t op = tu_next_op(dev);
	assert_int_equal(fsim_program(dev, 0x1ff8, data, 16), FSIM_ERR_VIOLATION);
	const struct fsim_violation *v = fsim_violation_at(dev, 0);
	assert_non_null(v);
	assert_int_equal(v->kind, FSIM_V_WRITE_PROTECTED);
	assert_int_equal(v->op_index, op);
	assert_in_range(v->addr, 0x1ff8, 0x2000);
	op = tu_next_op(dev);
	assert_int_equal(fsim_program(dev, 0x2ff8, data, 16), FSIM_ERR_VIOLATION);
	tu_assert_violation(dev, 1, FSIM_V_WRITE_PROTECTED, op, 0x2ff8);
	op = tu_next_op(dev);
	assert_int_equal(fsim_erase(dev, 0x1000, 0x3000), FSIM_ERR_VIOLATION);
	v = fsim_violation_at(dev, 2);
	assert_non_null(v);
	assert_int_equal(v->kind, FSIM_V_WRITE_PROTECTED);
	assert_int_equal(v->op_index, op);
	assert_in_range(v->addr, 0x1000, 0x2000);
	tu_assert_content(dev, before);
	assert_int_equal(fsim_program(dev, 0x3000, data, 16), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x1ff0, data, 16), FSIM_OK);
	free(before);
	fsim_destroy(dev);
}

/* ---- Violation log ------------------------------------------------------------------- */

static void test_violation_log(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	uint8_t data[4] = {0};
	/* op 0 ok, op 1 violation, ops 2-3 erase, op 4 violation */
	assert_int_equal(fsim_program(dev, 0x4000, data, 4), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x4000, data, 4), FSIM_ERR_VIOLATION);
	assert_int_equal(fsim_erase(dev, 0x4000, 0x2000), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x4001, data, 4), FSIM_ERR_VIOLATION);
	assert_int_equal(fsim_violation_count(dev), 2);
	tu_assert_violation(dev, 0, FSIM_V_NOT_ERASED, 1, 0x4000);
	tu_assert_violation(dev, 1, FSIM_V_UNALIGNED, 4, 0x4001);
	assert_null(fsim_violation_at(dev, 2));
	assert_int_equal(tu_next_op(dev), 5);

	/* more than FSIM_VIOLATIONS_KEPT: the count keeps going, the first ones are kept */
	for (uint32_t i = 0; i < 40; i++)
		assert_int_equal(fsim_program(dev, 0x8001 + 4 * i, data, 4), FSIM_ERR_VIOLATION);
	assert_int_equal(fsim_violation_count(dev), 42);
	tu_assert_violation(dev, 0, FSIM_V_NOT_ERASED, 1, 0x4000);
	tu_assert_violation(dev, FSIM_VIOLATIONS_KEPT - 1, FSIM_V_UNALIGNED,
			    5 + FSIM_VIOLATIONS_KEPT - 3, 0x8001 + 4 * (FSIM_VIOLATIONS_KEPT - 3));
	assert_null(fsim_violation_at(dev, FSIM_VIOLATIONS_KEPT));
	assert_null(fsim_violation_at(dev, 41));
	assert_null(fsim_violation_at(dev, 1000));
	fsim_destroy(dev);
}

static void test_violation_names(void **state)
{
	(void)state;
	const enum fsim_violation_kind k[] = {FSIM_V_NOT_ERASED, FSIM_V_UNALIGNED,
					      FSIM_V_OUT_OF_RANGE, FSIM_V_WRITE_PROTECTED};
	for (size_t i = 0; i < 4; i++) {
		const char *n = fsim_violation_name(k[i]);
		assert_non_null(n);
		assert_true(strlen(n) > 0);
		for (size_t j = 0; j < i; j++)
			assert_string_not_equal(n, fsim_violation_name(k[j]));
	}
}

/* ---- Harness writes ------------------------------------------------------------------ */

static void test_load_bytes_bypasses_rules(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	tu_nrf_partitions(dev);
	uint8_t zero[8] = {0}, mixed[7] = {1, 0xff, 3, 0xfe, 5, 0x80, 7};
	assert_int_equal(fsim_program(dev, 0x10000, zero, 8), FSIM_OK);
	struct fsim_stats st0, st1;
	fsim_get_stats(dev, &st0);
	/* unaligned, over programmed data, setting bits back to 1, inside write protection */
	assert_int_equal(fsim_load_bytes(dev, 0x10001, mixed, 7), FSIM_OK);
	assert_int_equal(fsim_load_bytes(dev, 0x100, mixed, 7), FSIM_OK);
	fsim_get_stats(dev, &st1);
	assert_int_equal(st1.mutating_ops, st0.mutating_ops);
	assert_int_equal(st1.program_ops, st0.program_ops);
	assert_int_equal(st1.bytes_programmed, st0.bytes_programmed);
	assert_int_equal(st1.busy_ns, st0.busy_ns);
	assert_int_equal(fsim_violation_count(dev), 0);
	uint8_t rd[8];
	assert_int_equal(fsim_peek(dev, 0x10000, rd, 8), FSIM_OK);
	assert_int_equal(rd[0], 0);
	assert_memory_equal(rd + 1, mixed, 7);
	assert_int_equal(fsim_peek(dev, 0x100, rd, 7), FSIM_OK);
	assert_memory_equal(rd, mixed, 7);
	/* peek does not count as a read; read does */
	fsim_get_stats(dev, &st0);
	assert_int_equal(fsim_peek(dev, 0, rd, 8), FSIM_OK);
	fsim_get_stats(dev, &st1);
	assert_int_equal(st1.read_ops, st0.read_ops);
	assert_int_equal(st1.bytes_read, st0.bytes_read);
	assert_int_equal(fsim_read(dev, 0, rd, 8), FSIM_OK);
	fsim_get_stats(dev, &st1);
	assert_int_equal(st1.read_ops, st0.read_ops + 1);
	assert_int_equal(st1.bytes_read, st0.bytes_read + 8);
	/* out of range harness writes are refused */
	assert_true(fsim_load_bytes(dev, fsim_size(dev) - 4, zero, 8) < 0);
	fsim_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fresh_device_reads_erased),
		cmocka_unit_test(test_erase_sets_erase_value_ff),
		cmocka_unit_test(test_erase_sets_erase_value_00),
		cmocka_unit_test(test_erase_multi_sector_mixed),
		cmocka_unit_test(test_program_on_erased_stores_data),
		cmocka_unit_test(test_program_over_programmed_ff),
		cmocka_unit_test(test_program_over_programmed_00),
		cmocka_unit_test(test_program_partially_programmed_unit),
		cmocka_unit_test(test_program_multi_unit_refused_whole),
		cmocka_unit_test(test_unaligned_program),
		cmocka_unit_test(test_unaligned_erase),
		cmocka_unit_test(test_out_of_range),
		cmocka_unit_test(test_write_protected),
		cmocka_unit_test(test_write_protected_middle),
		cmocka_unit_test(test_violation_log),
		cmocka_unit_test(test_violation_names),
		cmocka_unit_test(test_load_bytes_bypasses_rules),
	};
	return cmocka_run_group_tests_name("flashsim-nor", tests, NULL, NULL);
}
