/*
 * flashsim geometry: the six presets of reference/flash.md (layout, write unit, timing,
 * endurance), unknown names refused, sector lookups on mixed sectors, bad geometries
 * refused by fsim_geometry_check and fsim_create with a message naming the problem, and
 * partition tables (valid, replaced, and every kind of bad table refused with the old table
 * kept).
 */
#include <ctype.h>

#include "fsim_test_util.h"

/* ---- Presets ------------------------------------------------------------------------- */

struct run {
	uint32_t count, size, erase_us;
};

struct preset_expect {
	const char *name;
	uint32_t total;
	struct run runs[3];
	uint32_t nruns;
	uint32_t write_unit;
	uint32_t program_ns;
	uint32_t program_chunk;
	uint32_t endurance;
};

static const struct preset_expect presets[] = {
	{"nrf52840", 1u << 20, {{256, 4096, 85000}}, 1, 4, 41000, 4, 10000},
	{"stm32f4",
	 1u << 20,
	 {{4, 16384, 500000}, {1, 65536, 1100000}, {7, 131072, 2000000}},
	 3,
	 1,
	 16000,
	 1,
	 10000},
	{"stm32l4", 1u << 20, {{512, 2048, 22000}}, 1, 8, 82000, 8, 10000},
	{"stm32h7", 2u << 20, {{16, 131072, 2000000}}, 1, 32, 100000, 32, 10000},
	{"k64f", 1u << 20, {{256, 4096, 14000}}, 1, 8, 8000, 8, 10000},
	{"spi-nor", 8u << 20, {{2048, 4096, 45000}}, 1, 1, 700000, 256, 100000},
};
#define NPRESETS (sizeof presets / sizeof presets[0])

static void test_presets(void **state)
{
	(void)state;
	for (size_t i = 0; i < NPRESETS; i++) {
		const struct preset_expect *e = &presets[i];
		struct fsim_geometry g;
		memset(&g, 0xa5, sizeof g);
		if (fsim_preset(e->name, &g) != FSIM_OK)
			fail_msg("preset %s not found", e->name);
		char err[256] = "";
		if (fsim_geometry_check(&g, err, sizeof err) != FSIM_OK)
			fail_msg("preset %s fails its own check: %s", e->name, err);
		assert_int_equal(fsim_geometry_size(&g), e->total);
		uint32_t nsect = 0;
		for (uint32_t r = 0; r < e->nruns; r++)
			nsect += e->runs[r].count;
		assert_int_equal(fsim_geometry_sectors(&g), nsect);
		assert_int_equal(g.write_unit, e->write_unit);
		assert_int_equal(g.erase_value, 0xff);
		assert_int_equal(g.program_ns, e->program_ns);
		assert_int_equal(g.program_chunk, e->program_chunk);
		assert_int_equal(g.endurance, e->endurance);
		assert_true(g.region_count >= 1 && g.region_count <= FSIM_MAX_REGIONS);

		/* the sector list, sector by sector, on a device */
		struct fsim_device *dev = fsim_create(&g, err, sizeof err);
		if (!dev)
			fail_msg("fsim_create(%s): %s", e->name, err);
		assert_int_equal(fsim_size(dev), e->total);
		assert_int_equal(fsim_sector_count(dev), nsect);
		uint32_t off = 0, idx_expect = 0;
		for (uint32_t r = 0; r < e->nruns; r++)
			for (uint32_t k = 0; k < e->runs[r].count; k++) {
				uint32_t idx, start, size;
				assert_int_equal(fsim_sector_of(dev, off, &idx, &start, &size), FSIM_OK);
				assert_int_equal(idx, idx_expect);
				assert_int_equal(start, off);
				assert_int_equal(size, e->runs[r].size);
				/* last byte of the sector too */
				assert_int_equal(fsim_sector_of(dev, off + size - 1, &idx, &start, &size),
						 FSIM_OK);
				assert_int_equal(idx, idx_expect);
				assert_int_equal(start, off);
				off += e->runs[r].size;
				idx_expect++;
			}
		assert_int_equal(off, e->total);
		uint32_t idx, start, size;
		assert_true(fsim_sector_of(dev, e->total, &idx, &start, &size) < 0);
		fsim_destroy(dev);

		/* erase times per sector, from the regions */
		uint32_t sector = 0;
		for (uint32_t r = 0; r < g.region_count; r++)
			for (uint32_t k = 0; k < g.regions[r].count; k++, sector++) {
				uint32_t rr = 0, base = 0;
				while (sector >= base + e->runs[rr].count)
					base += e->runs[rr++].count;
				assert_int_equal(g.regions[r].sector_size, e->runs[rr].size);
				assert_int_equal(g.regions[r].erase_us, e->runs[rr].erase_us);
			}
		assert_int_equal(sector, nsect);
	}
}

static void test_preset_names(void **state)
{
	(void)state;
	const char *const *names = fsim_preset_names();
	assert_non_null(names);
	size_t n = 0;
	bool found[NPRESETS] = {false};
	for (; names[n]; n++) {
		struct fsim_geometry g;
		assert_int_equal(fsim_preset(names[n], &g), FSIM_OK);
		for (size_t i = 0; i < NPRESETS; i++)
			if (strcmp(names[n], presets[i].name) == 0)
				found[i] = true;
		assert_true(n < 64);
	}
	assert_int_equal(n, NPRESETS);
	for (size_t i = 0; i < NPRESETS; i++)
		assert_true(found[i]);
}

static void test_unknown_preset(void **state)
{
	(void)state;
	static const char *const bad[] = {"nrf52841", "", "no-such-part", "spi-nor ", "stm32"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		struct fsim_geometry g;
		assert_int_equal(fsim_preset(bad[i], &g), FSIM_ERR_INVALID);
	}
}

/* ---- Bad geometry -------------------------------------------------------------------- */

static int contains_ci(const char *hay, const char *needle)
{
	size_t n = strlen(needle);
	for (; *hay; hay++) {
		size_t i = 0;
		while (i < n && hay[i] &&
		       tolower((unsigned char)hay[i]) == tolower((unsigned char)needle[i]))
			i++;
		if (i == n)
			return 1;
	}
	return 0;
}

/* keywords: NULL-terminated; the message must contain one of them. */
static void expect_bad_geometry(const struct fsim_geometry *g, const char *why,
				const char *const *keywords)
{
	char err[256];
	memset(err, 0, sizeof err);
	int rc = fsim_geometry_check(g, err, sizeof err);
	if (rc != FSIM_ERR_INVALID)
		fail_msg("fsim_geometry_check accepted %s (rc %d)", why, rc);
	if (strlen(err) == 0)
		fail_msg("fsim_geometry_check refused %s without a message", why);
	int named = 0;
	for (const char *const *k = keywords; *k; k++)
		named |= contains_ci(err, *k);
	if (!named)
		fail_msg("message for %s does not name the problem: \"%s\"", why, err);

	memset(err, 0, sizeof err);
	struct fsim_device *dev = fsim_create(g, err, sizeof err);
	if (dev) {
		fsim_destroy(dev);
		fail_msg("fsim_create accepted %s", why);
	}
	if (strlen(err) == 0)
		fail_msg("fsim_create refused %s without a message", why);

	/* a short buffer gets a truncated, terminated message */
	char small[8];
	memset(small, 'x', sizeof small);
	assert_int_equal(fsim_geometry_check(g, small, sizeof small), FSIM_ERR_INVALID);
	assert_non_null(memchr(small, 0, sizeof small));
}

static void test_bad_geometry(void **state)
{
	(void)state;
	static const char *const kw_wu[] = {"write unit", "write_unit", "power of two", NULL};
	static const char *const kw_sector[] = {"sector", NULL};
	static const char *const kw_count[] = {"count", "sector", "empty", "zero", NULL};
	static const char *const kw_noregion[] = {"region", "count", "sector", "empty", "zero",
						  NULL};
	static const char *const kw_region[] = {"region", NULL};
	static const char *const kw_erase[] = {"erase value", "erase_value", "erase", NULL};
	static const char *const kw_size[] = {"size", "large", "big", "overflow", "4 gib", "exceed",
					      NULL};
	struct fsim_geometry g;

	/* 307200 is a multiple of each, so the only problem is the power of two */
	static const uint32_t bad_wu[] = {0, 3, 6, 12, 24, 100};
	for (size_t i = 0; i < sizeof bad_wu / sizeof bad_wu[0]; i++) {
		g = tu_geom(4, 307200, bad_wu[i], 0xff);
		char why[64];
		snprintf(why, sizeof why, "write unit %u", bad_wu[i]);
		expect_bad_geometry(&g, why, kw_wu);
	}

	g = tu_geom(16, 4100, 8, 0xff);
	expect_bad_geometry(&g, "sector size 4100 with write unit 8", kw_sector);
	g = tu_geom(16, 2, 4, 0xff);
	expect_bad_geometry(&g, "sector size smaller than the write unit", kw_sector);
	g = tu_geom(16, 0, 4, 0xff);
	expect_bad_geometry(&g, "sector size 0", kw_sector);
	g = tu_geom(0, 4096, 4, 0xff);
	expect_bad_geometry(&g, "sector count 0", kw_count);

	g = tu_geom(16, 4096, 4, 0xff);
	g.region_count = 0;
	expect_bad_geometry(&g, "no regions", kw_noregion);
	g = tu_geom(16, 4096, 4, 0xff);
	g.region_count = FSIM_MAX_REGIONS + 1;
	for (uint32_t r = 0; r < FSIM_MAX_REGIONS; r++)
		g.regions[r] = g.regions[0];
	expect_bad_geometry(&g, "too many regions", kw_region);

	/* a bad run in the middle of a mixed geometry */
	g = tu_geom(4, 16384, 4, 0xff);
	g.region_count = 3;
	g.regions[1] = (struct fsim_region){1, 65538, 1000};
	g.regions[2] = (struct fsim_region){2, 131072, 1000};
	expect_bad_geometry(&g, "a mixed geometry with a 65538-byte sector", kw_sector);
	g.regions[1] = (struct fsim_region){0, 65536, 1000};
	expect_bad_geometry(&g, "a mixed geometry with an empty run", kw_count);

	static const uint8_t bad_ev[] = {0x01, 0x7f, 0x80, 0xfe, 0xaa};
	for (size_t i = 0; i < sizeof bad_ev / sizeof bad_ev[0]; i++) {
		g = tu_geom(16, 4096, 4, bad_ev[i]);
		char why[64];
		snprintf(why, sizeof why, "erase value 0x%02x", bad_ev[i]);
		expect_bad_geometry(&g, why, kw_erase);
	}

	/* more than 4 GiB does not fit 32-bit offsets */
	g = tu_geom(0x10000, 0x10000, 4, 0xff);
	expect_bad_geometry(&g, "a 4 GiB device", kw_size);
	g = tu_geom(2, 0x80000000u, 4, 0xff);
	expect_bad_geometry(&g, "two 2 GiB sectors", kw_size);
	g = tu_geom(3, 0x40000000u, 4, 0xff);
	g.region_count = 2;
	g.regions[1] = (struct fsim_region){1, 0x40000000u, 1000};
	expect_bad_geometry(&g, "4 GiB over two regions", kw_size);
}

static void test_good_geometry(void **state)
{
	(void)state;
	static const uint32_t wus[] = {1, 2, 4, 8, 16, 32, 64, 256};
	for (size_t i = 0; i < sizeof wus / sizeof wus[0]; i++) {
		for (int e = 0; e < 2; e++) {
			struct fsim_geometry g = tu_geom(8, 4096, wus[i], e ? 0x00 : 0xff);
			char err[256] = "";
			if (fsim_geometry_check(&g, err, sizeof err) != FSIM_OK)
				fail_msg("write unit %u refused: %s", wus[i], err);
			struct fsim_device *dev = fsim_create(&g, err, sizeof err);
			assert_non_null(dev);
			assert_int_equal(fsim_size(dev), 8 * 4096);
			assert_int_equal(fsim_geometry(dev)->write_unit, wus[i]);
			fsim_destroy(dev);
		}
	}
	/* FSIM_MAX_REGIONS runs of different sizes */
	struct fsim_geometry g = tu_geom(1, 1024, 4, 0xff);
	g.region_count = FSIM_MAX_REGIONS;
	uint32_t total = 0, nsect = 0;
	for (uint32_t r = 0; r < FSIM_MAX_REGIONS; r++) {
		g.regions[r] = (struct fsim_region){r + 1, 1024u << r, 1000 * (r + 1)};
		total += (r + 1) * (1024u << r);
		nsect += r + 1;
	}
	char err[256] = "";
	assert_int_equal(fsim_geometry_check(&g, err, sizeof err), FSIM_OK);
	assert_int_equal(fsim_geometry_size(&g), total);
	assert_int_equal(fsim_geometry_sectors(&g), nsect);
	struct fsim_device *dev = fsim_create(&g, err, sizeof err);
	assert_non_null(dev);
	assert_int_equal(fsim_sector_count(dev), nsect);
	uint32_t idx, start, size;
	/* last sector: in the last run */
	assert_int_equal(fsim_sector_of(dev, total - 1, &idx, &start, &size), FSIM_OK);
	assert_int_equal(idx, nsect - 1);
	assert_int_equal(size, 1024u << (FSIM_MAX_REGIONS - 1));
	assert_int_equal(start, total - size);
	fsim_destroy(dev);
}

/* ---- Partitions ---------------------------------------------------------------------- */

static void assert_nrf_table(const struct fsim_device *dev)
{
	static const char *const names[] = {"boot",	"primary",  "upgrade",
					    "scratch", "recovery", "storage"};
	static const uint32_t offs[] = {0x00000, 0x0C000, 0x78000, 0xE4000, 0xE8000, 0xF8000};
	assert_int_equal(fsim_partition_count(dev), 6);
	for (size_t i = 0; i < 6; i++) {
		const struct fsim_partition *p = fsim_partition_at(dev, i);
		assert_non_null(p);
		assert_string_equal(p->name, names[i]);
		assert_int_equal(p->off, offs[i]);
		assert_int_equal(p->write_protected, i == 0);
		assert_ptr_equal(fsim_partition_find(dev, names[i]), p);
	}
	assert_int_equal(fsim_partition_find(dev, "primary")->size, 432 * 1024);
	assert_null(fsim_partition_find(dev, "nope"));
	assert_null(fsim_partition_find(dev, "boot2"));
}

static void expect_bad_table(struct fsim_device *dev, const struct fsim_partition *parts,
			     size_t n, const char *why, const char *const *keywords)
{
	char err[256];
	memset(err, 0, sizeof err);
	int rc = fsim_set_partitions(dev, parts, n, err, sizeof err);
	if (rc != FSIM_ERR_INVALID)
		fail_msg("fsim_set_partitions accepted %s (rc %d)", why, rc);
	if (strlen(err) == 0)
		fail_msg("fsim_set_partitions refused %s without a message", why);
	int named = 0;
	for (const char *const *k = keywords; *k; k++)
		named |= contains_ci(err, *k);
	if (!named)
		fail_msg("message for %s does not name the problem: \"%s\"", why, err);
	assert_nrf_table(dev); /* old table kept */
}

static void test_partitions(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	assert_int_equal(fsim_partition_count(dev), 0);
	assert_null(fsim_partition_find(dev, "boot"));
	tu_nrf_partitions(dev);
	assert_nrf_table(dev);

	static const char *const kw_overlap[] = {"overlap", NULL};
	static const char *const kw_range[] = {"range", "outside", "beyond", "exceed", "past",
					       "end of", "size", NULL};
	static const char *const kw_align[] = {"align", "boundary", "sector", NULL};
	static const char *const kw_dup[] = {"duplicate", "unique", "twice", "again", NULL};
	static const char *const kw_many[] = {"many", "max", "16", "limit", NULL};

	const struct fsim_partition overlap[] = {
		{"a", 0x0000, 0x3000, false},
		{"b", 0x2000, 0x2000, false},
	};
	expect_bad_table(dev, overlap, 2, "overlapping partitions", kw_overlap);
	const struct fsim_partition inside[] = {
		{"a", 0x0000, 0x8000, false},
		{"b", 0x2000, 0x1000, false},
	};
	expect_bad_table(dev, inside, 2, "a partition inside another", kw_overlap);
	const struct fsim_partition overlap_unsorted[] = {
		{"b", 0x10000, 0x4000, false},
		{"a", 0x0000, 0x11000, false},
	};
	expect_bad_table(dev, overlap_unsorted, 2, "overlap listed out of order", kw_overlap);

	const struct fsim_partition range[] = {{"a", 0xFF000, 0x2000, false}};
	expect_bad_table(dev, range, 1, "a partition past the end", kw_range);
	const struct fsim_partition range2[] = {{"a", 0x100000, 0x1000, false}};
	expect_bad_table(dev, range2, 1, "a partition starting at the end", kw_range);
	const struct fsim_partition wrap[] = {{"a", 0xFFFFF000u, 0x2000, false}};
	expect_bad_table(dev, wrap, 1, "a partition whose end wraps around", kw_range);

	const struct fsim_partition unal_start[] = {{"a", 0x1800, 0x1000, false}};
	expect_bad_table(dev, unal_start, 1, "a start inside a sector", kw_align);
	const struct fsim_partition unal_end[] = {{"a", 0x1000, 0x1800, false}};
	expect_bad_table(dev, unal_end, 1, "an end inside a sector", kw_align);
	const struct fsim_partition unal_wu[] = {{"a", 0x1004, 0x1000, false}};
	expect_bad_table(dev, unal_wu, 1, "a start 4 bytes into a sector", kw_align);

	const struct fsim_partition dup[] = {
		{"slot", 0x0000, 0x1000, false},
		{"other", 0x1000, 0x1000, false},
		{"slot", 0x2000, 0x1000, false},
	};
	expect_bad_table(dev, dup, 3, "duplicate names", kw_dup);

	struct fsim_partition many[FSIM_MAX_PARTITIONS + 1];
	memset(many, 0, sizeof many);
	for (int i = 0; i < FSIM_MAX_PARTITIONS + 1; i++) {
		snprintf(many[i].name, sizeof many[i].name, "p%d", i);
		many[i].off = (uint32_t)i * 0x1000;
		many[i].size = 0x1000;
	}
	expect_bad_table(dev, many, FSIM_MAX_PARTITIONS + 1, "17 partitions", kw_many);
	/* exactly FSIM_MAX_PARTITIONS is fine; it replaces the old table */
	char err[256];
	assert_int_equal(fsim_set_partitions(dev, many, FSIM_MAX_PARTITIONS, err, sizeof err),
			 FSIM_OK);
	assert_int_equal(fsim_partition_count(dev), FSIM_MAX_PARTITIONS);
	assert_null(fsim_partition_find(dev, "boot"));
	assert_non_null(fsim_partition_find(dev, "p15"));
	assert_null(fsim_partition_find(dev, "p16"));
	tu_nrf_partitions(dev);
	assert_nrf_table(dev);
	fsim_destroy(dev);
}

/* Alignment follows the real sector map on a mixed device. */
static void test_partitions_mixed_sectors(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("stm32f4");
	char err[256];
	const struct fsim_partition good[] = {
		{"boot", 0x0000, 0x8000, true},      /* sectors 0-1 */
		{"scratch", 0x8000, 0x8000, false},  /* sectors 2-3 */
		{"data", 0x10000, 0x10000, false},   /* sector 4 (64K) */
		{"primary", 0x20000, 0x60000, false}, /* sectors 5-7 */
		{"upgrade", 0x80000, 0x80000, false}, /* sectors 8-11 */
	};
	assert_int_equal(fsim_set_partitions(dev, good, 5, err, sizeof err), FSIM_OK);
	assert_int_equal(fsim_partition_count(dev), 5);
	const struct fsim_partition bad1[] = {{"x", 0x14000, 0xC000, false}};
	assert_int_equal(fsim_set_partitions(dev, bad1, 1, err, sizeof err), FSIM_ERR_INVALID);
	const struct fsim_partition bad2[] = {{"x", 0x10000, 0x8000, false}};
	assert_int_equal(fsim_set_partitions(dev, bad2, 1, err, sizeof err), FSIM_ERR_INVALID);
	const struct fsim_partition bad3[] = {{"x", 0x20000, 0x10000, false}};
	assert_int_equal(fsim_set_partitions(dev, bad3, 1, err, sizeof err), FSIM_ERR_INVALID);
	assert_int_equal(fsim_partition_count(dev), 5);
	assert_int_equal(fsim_partition_find(dev, "primary")->off, 0x20000);
	fsim_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_presets),
		cmocka_unit_test(test_preset_names),
		cmocka_unit_test(test_unknown_preset),
		cmocka_unit_test(test_bad_geometry),
		cmocka_unit_test(test_good_geometry),
		cmocka_unit_test(test_partitions),
		cmocka_unit_test(test_partitions_mixed_sectors),
	};
	return cmocka_run_group_tests_name("flashsim-geometry", tests, NULL, NULL);
}
