/*
 * flashsim persistence: save/load round trip (content, geometry, partitions, hash) for
 * uniform, mixed and 0x00-erase geometries; broken files (missing, empty, truncated at
 * every header length, bad magic, header size different from the content, spliced headers,
 * random header corruption) fail with a message and a NULL device, never a crash.
 */
#include <dirent.h>
#include <setjmp.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsim_test_util.h"

/* The fixed header of the device file (every version) and, since version 3, the region
 * block after it: the content starts at FILE_HEADER (versions 1 and 2 have no block). */
#define FIXED_HEADER 588u
#define REGION_BLOCK 132u
#define FILE_HEADER (FIXED_HEADER + REGION_BLOCK)

static char tmpdir[256];
static int file_seq;

static void tmp_path(char *out, size_t len, const char *what)
{
	snprintf(out, len, "%s/%s-%d.bin", tmpdir, what, file_seq++);
}

static int setup(void **state)
{
	(void)state;
	tu_mkdtemp(tmpdir, sizeof tmpdir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[512];
	for (int i = 0; i < file_seq; i++) {
		static const char *const whats[] = {"rt", "bad", "src", "hdr", "x"};
		for (size_t w = 0; w < sizeof whats / sizeof whats[0]; w++) {
			snprintf(p, sizeof p, "%s/%s-%d.bin", tmpdir, whats[w], i);
			unlink(p);
		}
	}
	if (rmdir(tmpdir) != 0)
		fprintf(stderr, "note: %s not empty, left in place\n", tmpdir);
	return 0;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	assert_int_equal(fseek(f, 0, SEEK_END), 0);
	long n = ftell(f);
	assert_true(n > 0);
	rewind(f);
	uint8_t *buf = malloc((size_t)n);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void write_file(const char *path, const void *buf, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	if (len)
		assert_int_equal(fwrite(buf, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

static void assert_geometry_equal(const struct fsim_geometry *x, const struct fsim_geometry *y)
{
	assert_int_equal(fsim_geometry_sectors(x), fsim_geometry_sectors(y));
	assert_int_equal(fsim_geometry_size(x), fsim_geometry_size(y));
	assert_int_equal(x->region_count, y->region_count);
	for (uint32_t i = 0; i < x->region_count; i++) {
		assert_int_equal(x->regions[i].count, y->regions[i].count);
		assert_int_equal(x->regions[i].sector_size, y->regions[i].sector_size);
		assert_int_equal(x->regions[i].erase_us, y->regions[i].erase_us);
	}
	assert_int_equal(x->write_unit, y->write_unit);
	assert_int_equal(x->erase_value, y->erase_value);
	assert_int_equal(x->program_ns, y->program_ns);
	assert_int_equal(x->program_chunk, y->program_chunk);
	assert_int_equal(x->endurance, y->endurance);
}

static void assert_partitions_equal(const struct fsim_device *x, const struct fsim_device *y)
{
	assert_int_equal(fsim_partition_count(x), fsim_partition_count(y));
	for (size_t i = 0; i < fsim_partition_count(x); i++) {
		const struct fsim_partition *p = fsim_partition_at(x, i), *q = fsim_partition_at(y, i);
		assert_non_null(p);
		assert_non_null(q);
		assert_string_equal(p->name, q->name);
		assert_int_equal(p->off, q->off);
		assert_int_equal(p->size, q->size);
		assert_int_equal(p->write_protected, q->write_protected);
	}
}

static struct fsim_device *round_trip(struct fsim_device *dev)
{
	char path[512], err[256] = "";
	tmp_path(path, sizeof path, "rt");
	int rc = fsim_save(dev, path, err, sizeof err);
	if (rc != FSIM_OK)
		fail_msg("fsim_save: %d %s", rc, err);
	err[0] = 0;
	struct fsim_device *back = fsim_load(path, err, sizeof err);
	if (!back)
		fail_msg("fsim_load: %s", err);
	assert_geometry_equal(fsim_geometry(back), fsim_geometry(dev));
	assert_partitions_equal(back, dev);
	uint8_t *c = tu_peek_all(dev);
	tu_assert_content(back, c);
	free(c);
	assert_int_equal(fsim_content_hash(back), fsim_content_hash(dev));
	/* the file starts with the magic, the raw content follows the header */
	size_t flen;
	uint8_t *file = read_file(path, &flen);
	assert_true(flen > FILE_HEADER + fsim_size(dev));
	assert_memory_equal(file, "BOFLASH1", 8);
	uint8_t *raw = tu_peek_all(dev);
	assert_memory_equal(file + FILE_HEADER, raw, fsim_size(dev));
	for (uint32_t i = 0; i < fsim_sector_count(dev); i++) {
		assert_int_equal(fsim_sector_erases(back, i), fsim_sector_erases(dev, i));
		assert_int_equal(fsim_weak_cells(back, i), fsim_weak_cells(dev, i));
	}
	free(raw);
	free(file);
	unlink(path);
	return back;
}

static void test_round_trip_nrf(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	tu_nrf_partitions(dev);
	uint8_t d[8192];
	tu_fill_random_not(d, sizeof d, 1, 0xff);
	assert_int_equal(fsim_program(dev, 0x0C000, d, sizeof d), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0xFF000, d, 4096), FSIM_OK);
	tu_fill_random(d, sizeof d, 2);
	assert_int_equal(fsim_load_bytes(dev, 0x100, d, 1000), FSIM_OK);
	struct fsim_device *back = round_trip(dev);
	/* the loaded device behaves: write protection and NOR rules apply */
	uint8_t z[4] = {0};
	assert_int_equal(fsim_program(back, 0x2000, z, 4), FSIM_ERR_VIOLATION);
	assert_int_equal(fsim_violation_at(back, 0)->kind, FSIM_V_WRITE_PROTECTED);
	assert_int_equal(fsim_program(back, 0x0C000, z, 4), FSIM_ERR_VIOLATION);
	assert_int_equal(fsim_violation_at(back, 1)->kind, FSIM_V_NOT_ERASED);
	assert_int_equal(fsim_program(back, 0x0C000 + 8192, z, 4), FSIM_OK);
	fsim_destroy(back);
	fsim_destroy(dev);
}

static void test_round_trip_mixed_and_00(void **state)
{
	(void)state;
	/* stm32f4: mixed sectors */
	struct fsim_device *dev = tu_preset_dev("stm32f4");
	const struct fsim_partition parts[] = {
		{"boot", 0, 0x10000, true},
		{"primary", 0x20000, 0x60000, false},
		{"scratch", 0x10000, 0x10000, false},
	};
	char err[256];
	assert_int_equal(fsim_set_partitions(dev, parts, 3, err, sizeof err), FSIM_OK);
	uint8_t d[4096];
	tu_fill_random(d, sizeof d, 3);
	assert_int_equal(fsim_load_bytes(dev, 0x1F800, d, sizeof d), FSIM_OK); /* across 64K|128K */
	struct fsim_device *back = round_trip(dev);
	uint32_t idx, start, size;
	assert_int_equal(fsim_sector_of(back, 0x10000, &idx, &start, &size), FSIM_OK);
	assert_int_equal(idx, 4);
	assert_int_equal(size, 0x10000);
	fsim_destroy(back);
	fsim_destroy(dev);

	/* erase value 0x00, no partitions; a mostly-erased device */
	struct fsim_geometry g = tu_geom(64, 2048, 8, 0x00);
	g.regions[0].erase_us = 1234;
	g.program_ns = 5678;
	g.endurance = 4321;
	dev = fsim_create(&g, err, sizeof err);
	assert_non_null(dev);
	assert_int_equal(fsim_program(dev, 2048 * 7 + 64, d, 64), FSIM_OK);
	back = round_trip(dev);
	uint8_t rd[8];
	assert_int_equal(fsim_peek(back, 2048 * 9, rd, 8), FSIM_OK);
	assert_true(tu_all_equal(rd, 8, 0x00));
	fsim_destroy(back);
	fsim_destroy(dev);

	/* spi-nor: 8 MiB, page-program timing */
	dev = tu_preset_dev("spi-nor");
	assert_int_equal(fsim_program(dev, 0x7FF000, d, 256), FSIM_OK);
	back = round_trip(dev);
	fsim_destroy(back);
	fsim_destroy(dev);
}

/* Save into a directory that does not exist: an error with a message. */
static void test_save_error(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("k64f");
	char path[512], err[256] = "";
	snprintf(path, sizeof path, "%s/no/such/dir/x.bin", tmpdir);
	int rc = fsim_save(dev, path, err, sizeof err);
	assert_true(rc < 0);
	assert_true(strlen(err) > 0);
	fsim_destroy(dev);
}

/* Load must fail with a message. */
static void expect_load_error(const char *path, const char *why)
{
	char err[256];
	memset(err, 0, sizeof err);
	struct fsim_device *dev = fsim_load(path, err, sizeof err);
	if (dev) {
		fsim_destroy(dev);
		fail_msg("fsim_load accepted %s", why);
	}
	if (strlen(err) == 0)
		fail_msg("fsim_load refused %s without a message", why);
}

static void expect_bytes_error(const void *buf, size_t len, const char *why)
{
	char path[512];
	tmp_path(path, sizeof path, "bad");
	write_file(path, buf, len);
	expect_load_error(path, why);
	unlink(path);
}

/* Save a device; return the file and its header length. */
static uint8_t *saved(struct fsim_device *dev, size_t *flen, size_t *hlen)
{
	char path[512], err[256];
	tmp_path(path, sizeof path, "src");
	assert_int_equal(fsim_save(dev, path, err, sizeof err), FSIM_OK);
	uint8_t *f = read_file(path, flen);
	unlink(path);
	assert_true(*flen > FILE_HEADER + fsim_size(dev));
	*hlen = FILE_HEADER;
	return f;
}

static void test_load_missing_empty_magic(void **state)
{
	(void)state;
	char path[512];
	snprintf(path, sizeof path, "%s/does-not-exist.bin", tmpdir);
	expect_load_error(path, "a missing file");
	expect_load_error(tmpdir, "a directory");
	expect_bytes_error("", 0, "an empty file");
	expect_bytes_error("BOFLASH1", 8, "the magic alone");
	expect_bytes_error("BOFLASH", 7, "a partial magic");

	struct fsim_device *dev = tu_preset_dev("nrf52840");
	tu_nrf_partitions(dev);
	size_t flen, hlen;
	uint8_t *f = saved(dev, &flen, &hlen);
	f[0] ^= 0x20;
	expect_bytes_error(f, flen, "a bad magic (first byte)");
	f[0] ^= 0x20;
	f[7] = '2';
	expect_bytes_error(f, flen, "a bad magic (BOFLASH2)");
	memset(f, 0, 8);
	expect_bytes_error(f, flen, "a zero magic");
	free(f);
	fsim_destroy(dev);
}

static void test_load_truncated(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	tu_nrf_partitions(dev);
	uint8_t d[64];
	memset(d, 0x42, sizeof d);
	assert_int_equal(fsim_program(dev, 0x0C000, d, 64), FSIM_OK);
	size_t flen, hlen;
	uint8_t *f = saved(dev, &flen, &hlen);
	char why[96];
	/* every truncation inside the header and just after it */
	for (size_t n = 0; n <= hlen + 16; n++) {
		snprintf(why, sizeof why, "a file truncated to %zu bytes (header %zu)", n, hlen);
		expect_bytes_error(f, n, why);
	}
	/* truncations inside the content */
	const size_t cuts[] = {hlen + 4096, hlen + fsim_size(dev) / 2, flen - 1};
	for (size_t i = 0; i < 3; i++) {
		snprintf(why, sizeof why, "a file truncated to %zu of %zu bytes", cuts[i], flen);
		expect_bytes_error(f, cuts[i], why);
	}
	free(f);
	fsim_destroy(dev);
}

/* The header says one size, the file holds another. */
static void test_load_size_mismatch(void **state)
{
	(void)state;
	struct fsim_device *small = tu_preset_dev("k64f");    /* 1 MiB */
	struct fsim_device *big = tu_preset_dev("spi-nor");   /* 8 MiB */
	size_t sflen, shlen, bflen, bhlen;
	uint8_t *sf = saved(small, &sflen, &shlen);
	uint8_t *bf = saved(big, &bflen, &bhlen);

	/* one extra byte after the whole state */
	uint8_t *longer = malloc(sflen + 1);
	assert_non_null(longer);
	memcpy(longer, sf, sflen);
	longer[sflen] = 0xff;
	expect_bytes_error(longer, sflen + 1, "a file one byte longer than its header says");
	free(longer);

	/* a 1 MiB device's content and extension behind an 8 MiB header */
	uint8_t *splice = malloc(sflen);
	assert_non_null(splice);
	memcpy(splice, bf, bhlen);
	memcpy(splice + bhlen, sf + shlen, sflen - shlen);
	expect_bytes_error(splice, sflen, "an 8 MiB header with 1 MiB content");
	free(splice);

	/* an 8 MiB content behind a 1 MiB header */
	splice = malloc(bflen);
	assert_non_null(splice);
	memcpy(splice, sf, shlen);
	memcpy(splice + shlen, bf + bhlen, bflen - bhlen);
	expect_bytes_error(splice, bflen, "a 1 MiB header with 8 MiB content");
	free(splice);

	free(sf);
	free(bf);
	fsim_destroy(small);
	fsim_destroy(big);
}

/* Random corruption of header bytes: the loader either refuses with a message or returns a
 * device whose geometry is valid and matches the file; it never crashes (run under ASan). */
static void test_load_corrupt_header_fuzz(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("stm32l4");
	const struct fsim_partition parts[] = {
		{"boot", 0, 0x8000, true},
		{"primary", 0x8000, 0x78000, false},
	};
	char err[256];
	assert_int_equal(fsim_set_partitions(dev, parts, 2, err, sizeof err), FSIM_OK);
	size_t flen, hlen;
	uint8_t *f = saved(dev, &flen, &hlen);
	uint8_t *g = malloc(flen);
	assert_non_null(g);
	uint64_t rs = 2024;
	char path[512];
	tmp_path(path, sizeof path, "x");
	int refused = 0, accepted = 0;
	for (int it = 0; it < 300; it++) {
		memcpy(g, f, flen);
		int nflip = 1 + (int)(tu_rand(&rs) % 4);
		for (int k = 0; k < nflip; k++) {
			size_t pos = 8 + (size_t)(tu_rand(&rs) % (hlen - 8)); /* keep the magic */
			uint8_t v = (uint8_t)tu_rand(&rs);
			if (tu_rand(&rs) % 3 == 0)
				v = (uint8_t)(g[pos] ^ (1u << (tu_rand(&rs) % 8)));
			g[pos] = v;
		}
		write_file(path, g, flen);
		memset(err, 0, sizeof err);
		struct fsim_device *l = fsim_load(path, err, sizeof err);
		if (!l) {
			if (strlen(err) == 0)
				fail_msg("iteration %d: refused without a message", it);
			refused++;
			continue;
		}
		accepted++;
		char gerr[256];
		assert_int_equal(fsim_geometry_check(fsim_geometry(l), gerr, sizeof gerr), FSIM_OK);
		assert_true(fsim_size(l) < flen);
		assert_int_equal(fsim_size(l), fsim_geometry_size(fsim_geometry(l)));
		/* a partition table it accepted is still a valid one */
		for (size_t i = 0; i < fsim_partition_count(l); i++) {
			const struct fsim_partition *p = fsim_partition_at(l, i);
			assert_non_null(p);
			assert_true(memchr(p->name, 0, FSIM_PART_NAME_MAX) != NULL);
			assert_true((uint64_t)p->off + p->size <= fsim_size(l));
		}
		fsim_destroy(l);
	}
	unlink(path);
	print_message("corrupt headers: %d refused, %d accepted\n", refused, accepted);
	assert_true(refused > 0);
	free(g);
	free(f);
	fsim_destroy(dev);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Erase counts, weak cells and the note survive a save; a version-1 file (header and
 * content only) still loads. */
static void test_version2_state_and_version1(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	tu_nrf_partitions(dev);
	assert_int_equal(fsim_erase(dev, 0x0C000, 0x2000), FSIM_OK);
	assert_int_equal(fsim_erase(dev, 0x0C000, 0x1000), FSIM_OK);
	char path[512], err[256] = "", note[FSIM_NOTE_MAX];
	tmp_path(path, sizeof path, "rt");
	assert_int_equal(fsim_save_with_note(dev, path, "strategy=overwrite", err, sizeof err),
			 FSIM_OK);
	struct fsim_device *back = fsim_load_with_note(path, note, sizeof note, err, sizeof err);
	assert_non_null(back);
	assert_string_equal(note, "strategy=overwrite");
	assert_int_equal(fsim_sector_erases(back, 12), 2);
	assert_int_equal(fsim_sector_erases(back, 13), 1);
	fsim_destroy(back);

	/* the same state written as version 1: no region block, no extension */
	size_t flen;
	uint8_t *f = read_file(path, &flen);
	uint8_t *v1 = malloc(FIXED_HEADER + fsim_size(dev));
	assert_non_null(v1);
	memcpy(v1, f, FIXED_HEADER);
	memcpy(v1 + FIXED_HEADER, f + FILE_HEADER, fsim_size(dev));
	put_le32(v1 + 8, 1);
	write_file(path, v1, FIXED_HEADER + fsim_size(dev));
	free(v1);
	back = fsim_load_with_note(path, note, sizeof note, err, sizeof err);
	if (!back)
		fail_msg("version 1: %s", err);
	assert_string_equal(note, "");
	assert_int_equal(fsim_sector_erases(back, 12), 0);
	assert_int_equal(fsim_content_hash(back), fsim_content_hash(dev));
	fsim_destroy(back);

	/* a newer version is refused, naming it */
	put_le32(f + 8, 4);
	write_file(path, f, flen);
	assert_null(fsim_load(path, err, sizeof err));
	assert_non_null(strstr(err, "version 4 is newer"));
	free(f);
	unlink(path);
	fsim_destroy(dev);
}

/* Weak cells left by a metastable cut are saved and read back, per sector. */
static void test_weak_cells_saved(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	tu_nrf_partitions(dev);
	struct tu_catcher j;
	uint8_t d[256];
	memset(d, 0x00, sizeof d);
	struct fsim_stats st;
	fsim_get_stats(dev, &st);
	struct fsim_cut c = {st.mutating_ops, FSIM_CUT_TORN, FSIM_TORN_PROG_SOME_BITS, 5, true};
	fsim_arm_cut(dev, &c);
	tu_catch(dev, &j);
	TU_EXPECT_CUT(&j, fsim_program(dev, 0x20000, d, sizeof d));
	uint32_t idx, start, size;
	assert_int_equal(fsim_sector_of(dev, 0x20000, &idx, &start, &size), FSIM_OK);
	assert_true(fsim_weak_cells(dev, idx) > 0);
	fsim_destroy(round_trip(dev));
	fsim_destroy(dev);
}

/* Random corruption and truncation of the version-2 extension (erase counts, weak ranges,
 * note): refused with a message or loaded, never a crash (run under ASan). */
static void test_extension_corrupt_fuzz(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	tu_nrf_partitions(dev);
	struct tu_catcher j;
	uint8_t d[64];
	memset(d, 0x00, sizeof d);
	struct fsim_stats st;
	fsim_get_stats(dev, &st);
	struct fsim_cut c = {st.mutating_ops, FSIM_CUT_TORN, FSIM_TORN_PROG_SOME_BITS, 9, true};
	fsim_arm_cut(dev, &c);
	tu_catch(dev, &j);
	TU_EXPECT_CUT(&j, fsim_program(dev, 0x30000, d, sizeof d));
	char path[512], err[256];
	tmp_path(path, sizeof path, "src");
	assert_int_equal(fsim_save_with_note(dev, path, "strategy=recovery x", err, sizeof err),
			 FSIM_OK);
	size_t flen;
	uint8_t *f = read_file(path, &flen);
	unlink(path);
	size_t ext = FILE_HEADER + fsim_size(dev);
	assert_true(flen > ext + 4 * fsim_sector_count(dev) + 8);
	uint8_t *g = malloc(flen);
	assert_non_null(g);
	uint64_t rs = 99;
	int refused = 0;
	tmp_path(path, sizeof path, "x");
	for (int it = 0; it < 300; it++) {
		memcpy(g, f, flen);
		size_t len = it % 5 == 0 ? ext + (size_t)(tu_rand(&rs) % (flen - ext)) : flen;
		for (int k = 0; k < 1 + it % 3; k++) {
			size_t pos = ext + (size_t)(tu_rand(&rs) % (flen - ext));
			g[pos] = (uint8_t)tu_rand(&rs);
		}
		write_file(path, g, len);
		memset(err, 0, sizeof err);
		struct fsim_device *l = fsim_load(path, err, sizeof err);
		if (!l) {
			if (strlen(err) == 0)
				fail_msg("iteration %d: refused without a message", it);
			refused++;
			continue;
		}
		uint8_t buf[64];
		assert_int_equal(fsim_read(l, 0x30000, buf, sizeof buf), FSIM_OK);
		fsim_destroy(l);
	}
	unlink(path);
	print_message("corrupt extensions: %d of 300 refused\n", refused);
	assert_true(refused > 0);
	free(g);
	free(f);
	fsim_destroy(dev);
}

/* A 588-byte file whose header promises gigabytes fails at once, as truncated (the loader
 * checks the size before allocating), and a failed save leaves the old file whole and no
 * temporary file behind. */
static void test_huge_header_and_atomic_save(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("k64f");
	size_t flen, hlen;
	uint8_t *f = saved(dev, &flen, &hlen);
	/* 61440 sectors of 64 KiB: 3.75 GiB */
	put_le32(f + 12, 0xF0000000u);
	put_le32(f + 36, 1);     /* region count */
	put_le32(f + 40, 61440); /* region 0: sectors */
	put_le32(f + 44, 65536); /* region 0: sector size */
	char path[512], err[256] = "";
	tmp_path(path, sizeof path, "bad");
	write_file(path, f, FILE_HEADER);
	assert_null(fsim_load(path, err, sizeof err));
	print_message("%s\n", err);
	assert_non_null(strstr(err, "but the file holds")); /* checked before malloc */
	unlink(path);
	free(f);

	/* the target is a non-empty directory: rename fails, the directory is untouched */
	char dir[512], inner[600];
	snprintf(dir, sizeof dir, "%s/dir-target", tmpdir);
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(inner, sizeof inner, "%s/keep", dir);
	write_file(inner, "x", 1);
	assert_true(fsim_save(dev, dir, err, sizeof err) < 0);
	assert_true(strlen(err) > 0);
	DIR *dh = opendir(tmpdir);
	assert_non_null(dh);
	struct dirent *e;
	while ((e = readdir(dh)))
		if (strstr(e->d_name, ".tmp-"))
			fail_msg("temporary file %s left behind", e->d_name);
	closedir(dh);
	unlink(inner);
	rmdir(dir);
	fsim_destroy(dev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip_nrf),
		cmocka_unit_test(test_round_trip_mixed_and_00),
		cmocka_unit_test(test_save_error),
		cmocka_unit_test(test_load_missing_empty_magic),
		cmocka_unit_test(test_load_truncated),
		cmocka_unit_test(test_load_size_mismatch),
		cmocka_unit_test(test_load_corrupt_header_fuzz),
		cmocka_unit_test(test_version2_state_and_version1),
		cmocka_unit_test(test_weak_cells_saved),
		cmocka_unit_test(test_huge_header_and_atomic_save),
		cmocka_unit_test(test_extension_corrupt_fuzz),
	};
	return cmocka_run_group_tests_name("flashsim-persist", tests, setup, teardown);
}
