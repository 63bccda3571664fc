/*
 * flashsim regions with values of their own: an nRF52840-like run (write unit 4, erased
 * 0xff, 41 us per 4 bytes) followed by an SPI-NOR-like run that programs single bytes,
 * erases to 0x00 and takes 700 us per 256-byte page, as brownout lays an internal and an
 * external flash end to end. Each run must keep its own program alignment, erase value,
 * timing, torn effects and flash errors, and the device file must keep them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsim_test_util.h"

#define INT_SIZE 0x8000u /* region 0: 8 sectors of 4 KiB */
#define EXT 0x8000u      /* region 1 starts here: 16 sectors of 4 KiB */

static struct fsim_geometry two_parts(void)
{
	struct fsim_geometry g = {
		.regions = {{8, 4096, 85000}, {16, 4096, 45000}},
		.region_count = 2,
		.write_unit = 4,
		.read_unit = 1,
		.erase_value = 0xff,
		.program_ns = 41000,
		.program_chunk = 4,
		.endurance = 10000,
	};
	g.regions[1].write_unit = 1;
	g.regions[1].program_ns = 700000;
	g.regions[1].program_chunk = 256;
	g.regions[1].own_erase_value = true;
	g.regions[1].erase_value = 0x00;
	return g;
}

static struct fsim_device *two_parts_dev(void)
{
	struct fsim_geometry g = two_parts();
	char err[160];
	struct fsim_device *dev = fsim_create(&g, err, sizeof err);
	if (!dev)
		fail_msg("fsim_create: %s", err);
	return dev;
}

/* Each run answers with its own values and reads erased as its own erase value. */
static void test_props_and_erased_reads(void **state)
{
	(void)state;
	struct fsim_device *dev = two_parts_dev();
	assert_false(fsim_uniform_props(dev));
	assert_int_equal(fsim_write_unit_at(dev, 0), 4);
	assert_int_equal(fsim_write_unit_at(dev, EXT - 1), 4);
	assert_int_equal(fsim_write_unit_at(dev, EXT), 1);
	assert_int_equal(fsim_erase_value_at(dev, 0x100), 0xff);
	assert_int_equal(fsim_erase_value_at(dev, EXT + 0x100), 0x00);
	uint8_t buf[64];
	assert_int_equal(fsim_read(dev, EXT - 32, buf, sizeof buf), FSIM_OK);
	assert_true(tu_all_equal(buf, 32, 0xff));
	assert_true(tu_all_equal(buf + 32, 32, 0x00));
	assert_int_equal(fsim_content_hash(dev), 0);

	struct fsim_device *one = tu_preset_dev("nrf52840");
	assert_true(fsim_uniform_props(one));
	assert_int_equal(fsim_write_unit_at(one, 0x1000), 4);
	fsim_destroy(one);
	fsim_destroy(dev);
}

/* Alignment counts in each run's unit; not-erased is judged against each run's value. */
static void test_program_alignment_and_erase_value(void **state)
{
	(void)state;
	struct fsim_device *dev = two_parts_dev();
	uint8_t one = 0x5a, ff[8];
	memset(ff, 0xff, sizeof ff);
	assert_int_equal(fsim_program(dev, EXT + 0x21, &one, 1), FSIM_OK); /* 1-byte unit */
	assert_int_equal(fsim_program(dev, 1, &one, 1), FSIM_ERR_VIOLATION); /* 4-byte unit */
	tu_assert_violation(dev, 0, FSIM_V_UNALIGNED, 1, 1);
	assert_int_equal(fsim_program(dev, EXT - 2, ff, 4), FSIM_ERR_VIOLATION);
	/* 4 bytes at the end of run 0 and 4 at the start of run 1: each aligned in its own */
	uint8_t x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_int_equal(fsim_program(dev, EXT - 4, x, 8), FSIM_OK);
	/* 0xff is not erased in run 1 (its erased value is 0x00): programming over it fails */
	assert_int_equal(fsim_program(dev, EXT + 0x10, ff, 1), FSIM_OK);
	assert_int_equal(fsim_program(dev, EXT + 0x10, &one, 1), FSIM_ERR_VIOLATION);
	tu_assert_violation(dev, 2, FSIM_V_NOT_ERASED, 5, EXT + 0x10);
	/* run 0 programmed 0xff stays erased there */
	assert_int_equal(fsim_program(dev, 0x10, ff, 4), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x10, x, 4), FSIM_OK);

	/* erases set each run to its own value */
	assert_int_equal(fsim_erase(dev, EXT - 4096, 8192), FSIM_OK);
	uint8_t buf[8];
	assert_int_equal(fsim_read(dev, EXT - 4, buf, 8), FSIM_OK);
	assert_true(tu_all_equal(buf, 4, 0xff));
	assert_true(tu_all_equal(buf + 4, 4, 0x00));
	fsim_destroy(dev);
}

/* Program time is each run's own: one 256-byte page of run 1 costs one 700 us chunk, the
 * same bytes in run 0 64 chunks of 41 us. */
static void test_program_timing(void **state)
{
	(void)state;
	struct fsim_device *dev = two_parts_dev();
	uint8_t d[256];
	memset(d, 0x11, sizeof d);
	struct fsim_stats st;
	assert_int_equal(fsim_program(dev, EXT, d, sizeof d), FSIM_OK);
	fsim_get_stats(dev, &st);
	assert_int_equal(st.busy_ns, 700000);
	assert_int_equal(fsim_program(dev, 0, d, sizeof d), FSIM_OK);
	fsim_get_stats(dev, &st);
	assert_int_equal(st.busy_ns, 700000 + 64 * 41000);
	fsim_destroy(dev);
}

/* Torn operations in run 1 move bits toward ITS erased value (0x00), and untouched bytes of
 * a torn program keep it. */
static void torn_cuts(uint64_t seed)
{
	{
		struct fsim_device *dev = two_parts_dev();
		struct tu_catcher c;
		tu_catch(dev, &c);
		uint8_t old[4096], now[4096];
		memset(old, 0xa5, sizeof old);
		assert_int_equal(fsim_program(dev, EXT, old, sizeof old), FSIM_OK);
		struct fsim_cut cut = {tu_next_op(dev), FSIM_CUT_TORN, FSIM_TORN_ERASE_PULSES, seed,
				       false};
		fsim_arm_cut(dev, &cut);
		TU_EXPECT_CUT(&c, fsim_erase(dev, EXT, 4096));
		assert_int_equal(fsim_peek(dev, EXT, now, sizeof now), FSIM_OK);
		bool changed = false;
		for (size_t i = 0; i < sizeof now; i++) {
			assert_int_equal(now[i] & ~old[i] & 0xff, 0); /* no bit went to 1 */
			changed |= now[i] != old[i];
		}
		assert_true(changed);

		/* a torn program of 16 single-byte units: a prefix done, the rest still 0x00 */
		uint8_t want[16];
		memset(want, 0x3c, sizeof want);
		cut = (struct fsim_cut){tu_next_op(dev), FSIM_CUT_TORN, FSIM_TORN_PROG_PREFIX, seed,
					false};
		fsim_arm_cut(dev, &cut);
		TU_EXPECT_CUT(&c, fsim_program(dev, EXT + 0x2000, want, sizeof want));
		assert_int_equal(fsim_peek(dev, EXT + 0x2000, now, 16), FSIM_OK);
		size_t k = 0;
		while (k < 16 && now[k] == 0x3c)
			k++;
		assert_true(k < 16);
		assert_true(tu_all_equal(now + k, 16 - k, 0x00));
		fsim_destroy(dev);
	}
}

static void test_torn_cuts(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 8; seed++)
		torn_cuts(seed);
}

/* A stuck bit in run 1 stays at 0 (its erased value) and the program reports it. */
static void test_stuck_bit(void **state)
{
	(void)state;
	struct fsim_device *dev = two_parts_dev();
	uint8_t d[8];
	memset(d, 0xff, sizeof d);
	struct fsim_fault f = {tu_next_op(dev), FSIM_FAULT_STUCK_BIT, 3};
	fsim_arm_fault(dev, &f);
	assert_int_equal(fsim_program(dev, EXT + 0x40, d, sizeof d), FSIM_ERR_FAULT);
	uint8_t now[8];
	assert_int_equal(fsim_peek(dev, EXT + 0x40, now, sizeof now), FSIM_OK);
	int zeros = 0;
	for (int i = 0; i < 8; i++)
		zeros += 8 - tu_popcount8(now[i]);
	assert_int_equal(zeros, 1);
	fsim_destroy(dev);
}

static char tmpdir[256];

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* The device file keeps each run's values (version 3); a version-2 file, which has no
 * region block, loads with every run taking the device's values. */
static void test_save_load_round_trip(void **state)
{
	(void)state;
	tu_mkdtemp(tmpdir, sizeof tmpdir);
	char path[512], err[256] = "";
	snprintf(path, sizeof path, "%s/regions.bin", tmpdir);
	struct fsim_device *dev = two_parts_dev();
	uint8_t d[512];
	tu_fill_random(d, sizeof d, 7);
	assert_int_equal(fsim_program(dev, EXT - 256, d, sizeof d), FSIM_OK);
	assert_int_equal(fsim_save(dev, path, err, sizeof err), FSIM_OK);
	struct fsim_device *back = fsim_load(path, err, sizeof err);
	if (!back)
		fail_msg("fsim_load: %s", err);
	const struct fsim_region *r = &fsim_geometry(back)->regions[1];
	assert_int_equal(r->write_unit, 1);
	assert_int_equal(r->program_ns, 700000);
	assert_int_equal(r->program_chunk, 256);
	assert_true(r->own_erase_value);
	assert_int_equal(r->erase_value, 0x00);
	assert_false(fsim_geometry(back)->regions[0].own_erase_value);
	assert_int_equal(fsim_erase_value_at(back, EXT + 0x1000), 0x00);
	assert_int_equal(fsim_write_unit_at(back, EXT), 1);
	uint8_t *c = tu_peek_all(dev);
	tu_assert_content(back, c);
	free(c);
	assert_int_equal(fsim_content_hash(back), fsim_content_hash(dev));
	/* a snapshot of one does not restore into a device whose runs differ */
	struct fsim_snapshot *snap = fsim_snapshot_take(back);
	struct fsim_geometry plain = two_parts();
	plain.regions[1] = (struct fsim_region){16, 4096, 45000};
	struct fsim_device *other = fsim_create(&plain, err, sizeof err);
	assert_non_null(other);
	assert_int_equal(fsim_snapshot_restore(other, snap), FSIM_ERR_INVALID);
	assert_int_equal(fsim_snapshot_restore(back, snap), FSIM_OK);
	fsim_snapshot_free(snap);
	fsim_destroy(other);
	fsim_destroy(back);

	/* version 2: the same file without the 132-byte region block */
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static uint8_t file[2 * 98304 + 4096];
	size_t n = fread(file, 1, sizeof file, f);
	fclose(f);
	assert_true(n > 720 && n < sizeof file);
	memmove(file + 588, file + 720, n - 720);
	put_le32(file + 8, 2);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(file, 1, n - 132, f), n - 132);
	fclose(f);
	back = fsim_load(path, err, sizeof err);
	if (!back)
		fail_msg("version 2: %s", err);
	assert_true(fsim_uniform_props(back));
	assert_int_equal(fsim_write_unit_at(back, EXT), 4);
	fsim_destroy(back);
	unlink(path);
	rmdir(tmpdir);
	fsim_destroy(dev);
}

/* A run's own values are checked like the device's, naming the run. */
static void test_geometry_check(void **state)
{
	(void)state;
	char err[160];
	struct fsim_geometry g = two_parts();
	g.regions[1].write_unit = 3;
	assert_int_equal(fsim_geometry_check(&g, err, sizeof err), FSIM_ERR_INVALID);
	assert_non_null(strstr(err, "write unit 3 of region 1"));
	g = two_parts();
	g.regions[1].erase_value = 0x12;
	assert_int_equal(fsim_geometry_check(&g, err, sizeof err), FSIM_ERR_INVALID);
	assert_non_null(strstr(err, "erase value 0x12 of region 1"));
	g = two_parts();
	g.regions[1].write_unit = 8192;
	g.regions[1].program_chunk = 0;
	assert_int_equal(fsim_geometry_check(&g, err, sizeof err), FSIM_ERR_INVALID);
	assert_non_null(strstr(err, "not a multiple of the write unit 8192"));
	g = two_parts();
	g.regions[1].program_chunk = 255;
	assert_int_equal(fsim_geometry_check(&g, err, sizeof err), FSIM_OK); /* unit 1 */
	g.regions[1].write_unit = 2;
	assert_int_equal(fsim_geometry_check(&g, err, sizeof err), FSIM_ERR_INVALID);
	assert_non_null(strstr(err, "program chunk 255 of region 1"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_props_and_erased_reads),
		cmocka_unit_test(test_program_alignment_and_erase_value),
		cmocka_unit_test(test_program_timing),
		cmocka_unit_test(test_torn_cuts),
		cmocka_unit_test(test_stuck_bit),
		cmocka_unit_test(test_save_load_round_trip),
		cmocka_unit_test(test_geometry_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
