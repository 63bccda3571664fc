/*
 * The sweep file loader (sim/sweep_file.h): every key parsed into the struct, the size
 * forms, the default layouts (valid flashsim partition tables), error positions, and the
 * invalid corpus (tests/sweep/invalid/: each file's first line "# error: LINE:COL: ..." is
 * the exact message after "FILE:"). Arguments: the invalid corpus directory, then
 * optionally a directory of valid sweep files (scenarios/sweeps/) that must all load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/yaml_corpus.h"

#include "flashsim/flashsim.h"
#include "sim/sweep_file.h"
#include "sim/yaml_util.h"

static const char *invalid_dir;
static const char *valid_dir;

static struct bo_sweep *load_ok(const char *text)
{
	char err[BO_SWEEP_ERRLEN];
	struct bo_sweep *s = NULL;
	int rc = bo_sweep_load_buffer("t.yaml", text, strlen(text), &s, err, sizeof err);
	if (rc)
		fail_msg("unexpected error: %s", err);
	assert_non_null(s);
	return s;
}

static void expect_error(const char *text, const char *msg)
{
	char err[BO_SWEEP_ERRLEN];
	struct bo_sweep *s = (struct bo_sweep *)1;
	int rc = bo_sweep_load_buffer("t.yaml", text, strlen(text), &s, err, sizeof err);
	assert_int_equal(rc, BO_SWEEP_E_INVALID);
	assert_null(s);
	assert_string_equal(err, msg);
}

static const char full[] =
	"sweep: swap-scratch-test-revert\n"
	"device: {preset: nrf52840, layout: default}\n"
	"strategy: swap-scratch+recovery\n"
	"attempts: 5\n"
	"allow_downgrade: true\n"
	"images:\n"
	"  v1:    {version: 1.0.0, size: 96KiB}\n"
	"  v2:    {version: 1.1.0+42, size: 0x19000, behaviour: no-confirm}\n"
	"  rogue: {version: 9.0.0, size: 8192, key: untrusted, corrupt: true, seed: 0x10}\n"
	"  rec:   {version: 0.9.0, size: 32 KiB, behaviour: crash-on-boot}\n"
	"  nd:    {version: 2, size: 1K, behaviour: no-dfu}\n"
	"initial: {primary: v1, recovery: rec, upgrade: rogue}\n"
	"steps:\n"
	"  - download: v2\n"
	"  - request: test\n"
	"  - reboot\n"
	"  - confirm\n"
	"  - request: perm\n"
	"expect: {running: v1, confirmed: true, primary: v1, upgrade: none}\n"
	"cuts: {modes: [torn], depth: 2, metastable: true}\n";

static void test_full_file(void **state)
{
	(void)state;
	struct bo_sweep *s = load_ok(full);
	assert_string_equal(s->file, "t.yaml");
	assert_string_equal(s->name, "swap-scratch-test-revert");
	assert_string_equal(s->preset, "nrf52840");
	assert_true(s->default_layout);
	assert_true(s->parts[BO_SWEEP_PART_BOOT].present);
	assert_int_equal(s->parts[BO_SWEEP_PART_PRIMARY].off, 0xC000);
	assert_int_equal(s->parts[BO_SWEEP_PART_PRIMARY].size, 432 * 1024);
	assert_int_equal(s->parts[BO_SWEEP_PART_UPGRADE].off, 0x78000);
	assert_int_equal(s->parts[BO_SWEEP_PART_SCRATCH].off, 0xE4000);
	assert_int_equal(s->parts[BO_SWEEP_PART_SCRATCH].size, 16 * 1024);
	assert_int_equal(s->parts[BO_SWEEP_PART_RECOVERY].off, 0xE8000);
	assert_int_equal(s->parts[BO_SWEEP_PART_STORAGE].off, 0xF8000);
	assert_int_equal(s->strategy, BO_SWEEP_SWAP_SCRATCH_RECOVERY);
	assert_int_equal(s->attempts, 5);
	assert_true(s->allow_downgrade);

	assert_int_equal(s->image_count, 5);
	assert_string_equal(s->images[0].name, "v1");
	assert_int_equal(s->images[0].size, 96 * 1024);
	assert_int_equal(s->images[0].version.major, 1);
	assert_int_equal(s->images[0].behaviour, BO_SWEEP_GOOD);
	assert_int_equal(s->images[0].key, BO_SWEEP_KEY_TRUSTED);
	assert_false(s->images[0].corrupt);
	assert_int_equal(s->images[1].size, 0x19000);
	assert_int_equal(s->images[1].version.minor, 1);
	assert_int_equal(s->images[1].version.build, 42);
	assert_int_equal(s->images[1].behaviour, BO_SWEEP_NO_CONFIRM);
	assert_int_equal(s->images[2].size, 8192);
	assert_int_equal(s->images[2].key, BO_SWEEP_KEY_UNTRUSTED);
	assert_true(s->images[2].corrupt);
	assert_int_equal(s->images[2].seed, 0x10);
	assert_int_equal(s->images[3].size, 32 * 1024);
	assert_int_equal(s->images[3].behaviour, BO_SWEEP_CRASH_ON_BOOT);
	assert_int_equal(s->images[4].version.major, 2);
	assert_int_equal(s->images[4].version.minor, 0);
	assert_int_equal(s->images[4].behaviour, BO_SWEEP_NO_DFU);
	/* Default seeds differ per name and do not depend on the order. */
	assert_true(s->images[0].seed != s->images[1].seed);

	assert_int_equal(s->initial[BO_SWEEP_PART_PRIMARY], 0);
	assert_int_equal(s->initial[BO_SWEEP_PART_RECOVERY], 3);
	assert_int_equal(s->initial[BO_SWEEP_PART_UPGRADE], 2);
	assert_int_equal(s->initial[BO_SWEEP_PART_SCRATCH], BO_SWEEP_UNSET);

	assert_int_equal(s->step_count, 5);
	assert_int_equal(s->steps[0].kind, BO_STEP_DOWNLOAD);
	assert_int_equal(s->steps[0].image, 1);
	assert_int_equal(s->steps[0].line, 14);
	assert_int_equal(s->steps[1].kind, BO_STEP_REQUEST);
	assert_false(s->steps[1].permanent);
	assert_int_equal(s->steps[2].kind, BO_STEP_REBOOT);
	assert_int_equal(s->steps[3].kind, BO_STEP_CONFIRM);
	assert_int_equal(s->steps[4].kind, BO_STEP_REQUEST);
	assert_true(s->steps[4].permanent);

	assert_int_equal(s->expect.running, 0);
	assert_true(s->expect.has_confirmed);
	assert_true(s->expect.confirmed);
	assert_int_equal(s->expect.primary, 0);
	assert_int_equal(s->expect.upgrade, BO_SWEEP_NO_IMAGE);

	assert_false(s->cuts.between);
	assert_true(s->cuts.torn);
	assert_int_equal(s->cuts.depth, 2);
	assert_true(s->cuts.metastable);
	bo_sweep_free(s);
}

static void test_defaults(void **state)
{
	(void)state;
	struct bo_sweep *s = load_ok("sweep: d\n"
				     "device: {preset: stm32f4}\n"
				     "strategy: overwrite\n"
				     "images: {v1: {version: 1.0.0, size: 1000}}\n"
				     "steps: [reboot]\n"
				     "expect: {running: v1}\n");
	assert_true(s->default_layout);
	assert_int_equal(s->attempts, 3);
	assert_false(s->allow_downgrade);
	assert_true(s->cuts.between);
	assert_true(s->cuts.torn);
	assert_int_equal(s->cuts.depth, 1);
	assert_false(s->cuts.metastable);
	assert_false(s->expect.has_confirmed);
	assert_int_equal(s->expect.primary, BO_SWEEP_UNSET);
	assert_int_equal(s->expect.upgrade, BO_SWEEP_UNSET);
	for (int p = 0; p < BO_SWEEP_PART_COUNT; p++)
		assert_int_equal(s->initial[p], BO_SWEEP_UNSET);
	assert_int_equal(s->parts[BO_SWEEP_PART_BOOT].size, 64 * 1024);
	assert_int_equal(s->parts[BO_SWEEP_PART_RECOVERY].off, 0x10000);
	assert_int_equal(s->parts[BO_SWEEP_PART_PRIMARY].off, 0x20000);
	assert_int_equal(s->parts[BO_SWEEP_PART_PRIMARY].size, 384 * 1024);
	assert_int_equal(s->parts[BO_SWEEP_PART_UPGRADE].off, 0x80000);
	assert_int_equal(s->parts[BO_SWEEP_PART_SCRATCH].off, 0xE0000);
	assert_int_equal(s->parts[BO_SWEEP_PART_SCRATCH].size, 128 * 1024);
	assert_false(s->parts[BO_SWEEP_PART_STORAGE].present);
	bo_sweep_free(s);
}

static void test_explicit_layout(void **state)
{
	(void)state;
	struct bo_sweep *s = load_ok("sweep: x\n"
				     "device:\n"
				     "  preset: k64f\n"
				     "  layout:\n"
				     "    boot: [0, 32KiB]\n"
				     "    primary: [0x8000, 98304]\n"
				     "    upgrade: [0x20000, 96KiB]\n"
				     "    scratch: [0x38000, 4K]\n"
				     "strategy: swap-scratch\n"
				     "images: {v1: {version: 1.0.0, size: 1000}}\n"
				     "steps: [reboot]\n"
				     "expect: {running: v1}\n");
	assert_false(s->default_layout);
	assert_int_equal(s->parts[BO_SWEEP_PART_PRIMARY].off, 0x8000);
	assert_int_equal(s->parts[BO_SWEEP_PART_PRIMARY].size, 0x18000);
	assert_int_equal(s->parts[BO_SWEEP_PART_UPGRADE].size, 0x18000);
	assert_int_equal(s->parts[BO_SWEEP_PART_SCRATCH].size, 4096);
	assert_false(s->parts[BO_SWEEP_PART_RECOVERY].present);
	assert_false(s->parts[BO_SWEEP_PART_STORAGE].present);
	bo_sweep_free(s);
}

static void test_sizes(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint32_t value;
	} ok[] = {
		{"98304", 98304},  {"0x18000", 98304},   {"96KiB", 98304},   {"96K", 98304},
		{"96 KiB", 98304}, {"1MiB", 1048576},    {"1M", 1048576},    {"0", 0},
		{"12B", 12},       {"0X1f", 31},         {"4294967295", 4294967295u},
		{"4095MiB", 4095u * 1048576u},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint32_t v = 1;
		assert_int_equal(bo_yaml_parse_size(ok[i].text, &v), 0);
		assert_int_equal(v, ok[i].value);
	}
	static const char *const bad[] = {"",       "KiB",  "-1",       "96 kib", "96GiB",
					  "0x",     "0x10K", "4294967296", "4096MiB", "1.5K",
					  "96KiBx", " 96"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint32_t v;
		if (bo_yaml_parse_size(bad[i], &v) == 0)
			fail_msg("'%s' accepted as %u", bad[i], v);
	}
}

/* Every default layout is a valid flashsim partition table for its preset and has what
 * every strategy needs. */
static void test_default_layouts(void **state)
{
	(void)state;
	for (const char *const *n = fsim_preset_names(); *n; n++) {
		struct bo_sweep_area parts[BO_SWEEP_PART_COUNT];
		if (bo_sweep_default_layout(*n, parts)) {
			assert_string_equal(*n, "spi-nor");
			continue;
		}
		struct fsim_geometry g;
		char err[256];
		assert_int_equal(fsim_preset(*n, &g), 0);
		struct fsim_device *dev = fsim_create(&g, err, sizeof err);
		assert_non_null(dev);
		struct fsim_partition table[BO_SWEEP_PART_COUNT];
		size_t count = 0;
		for (int p = 0; p < BO_SWEEP_PART_COUNT; p++) {
			if (!parts[p].present)
				continue;
			memset(&table[count], 0, sizeof table[count]);
			snprintf(table[count].name, sizeof table[count].name, "%s",
				 bo_sweep_part_name((enum bo_sweep_part)p));
			table[count].off = parts[p].off;
			table[count].size = parts[p].size;
			table[count].write_protected = p == BO_SWEEP_PART_BOOT;
			count++;
		}
		if (fsim_set_partitions(dev, table, count, err, sizeof err))
			fail_msg("%s: %s", *n, err);
		for (int p = BO_SWEEP_PART_BOOT; p <= BO_SWEEP_PART_RECOVERY; p++)
			assert_true(parts[p].present);
		fsim_destroy(dev);
	}
}

static void test_error_position(void **state)
{
	(void)state;
	expect_error("sweep: e\n"
		     "device: {preset: nrf52840}\n"
		     "strategy: overwrite\n"
		     "images: {v1: {version: 1.0.0, size: 1000}}\n"
		     "steps:\n"
		     "  - reboot\n"
		     "  - reboot\n"
		     "  - download: v3\n"
		     "expect: {running: v1}\n",
		     "t.yaml:8:15: key 'steps[2].download': unknown image 'v3' (define it under "
		     "images:)");
	expect_error("sweep: e\n"
		     "device: {preset: nrf52840}\n"
		     "strategy: overwrite\n"
		     "imags: {v1: {version: 1.0.0, size: 1000}}\n",
		     "t.yaml:4:1: key 'imags': unknown key (did you mean 'images'? valid: sweep, "
		     "device, strategy, attempts, allow_downgrade, firmware, images, initial, steps, "
		     "expect, cuts)");
	expect_error("scenario: mesh\n", "t.yaml:1:1: this is a scenario file (scenario:), not a "
					 "sweep file");
	expect_error("", "t.yaml:1:1: the file holds no YAML document");
}

static void test_missing_file(void **state)
{
	(void)state;
	char err[BO_SWEEP_ERRLEN];
	struct bo_sweep *s;
	assert_int_equal(bo_sweep_load_file("/nonexistent/x.yaml", &s, err, sizeof err),
			 BO_SWEEP_E_INVALID);
	assert_null(s);
	assert_string_equal(err, "/nonexistent/x.yaml: cannot open: No such file or directory");
}

/* Every prefix of a valid file and single-byte mutations of it: an error or a sweep, never
 * a crash (run under ASan/UBSan). */
static void test_no_crash(void **state)
{
	(void)state;
	size_t len = strlen(full);
	char buf[sizeof full];
	static const char subst[] = {'\0', ':', '-', '[', '{', ' ', '\n', '"', '&', '*', 'x', '9'};
	for (size_t cut = 0; cut <= len; cut++) {
		char err[BO_SWEEP_ERRLEN];
		struct bo_sweep *s;
		memcpy(buf, full, len);
		int rc = bo_sweep_load_buffer("t.yaml", buf, cut, &s, err, sizeof err);
		assert_true(rc == 0 || (rc == BO_SWEEP_E_INVALID && err[0] && !s));
		bo_sweep_free(s);
		for (size_t k = 0; cut < len && k < sizeof subst; k++) {
			memcpy(buf, full, len);
			buf[cut] = subst[k];
			rc = bo_sweep_load_buffer("t.yaml", buf, len, &s, err, sizeof err);
			assert_true(rc == 0 || (rc == BO_SWEEP_E_INVALID && err[0] && !s));
			bo_sweep_free(s);
		}
	}
}

/* The loader as the corpus helper wants it: load, free, return the code. */
static int load_and_free(const char *path, char *err, size_t errlen)
{
	struct bo_sweep *s = NULL;
	int rc = bo_sweep_load_file(path, &s, err, errlen);
	if (rc == 0 && !s)
		return -100; /* success without a result: never valid */
	if (rc != 0 && s)
		rc = -101; /* an error that still returned a result */
	bo_sweep_free(s);
	return rc;
}

static void test_invalid_corpus(void **state)
{
	(void)state;
	if (!invalid_dir)
		skip();
	yaml_corpus_check_invalid(invalid_dir, load_and_free, BO_SWEEP_E_INVALID, 40);
}

static void test_valid_files(void **state)
{
	(void)state;
	if (!valid_dir)
		skip();
	yaml_corpus_check_valid(valid_dir, load_and_free, 1);
}

int main(int argc, char **argv)
{
	invalid_dir = argc > 1 ? argv[1] : NULL;
	valid_dir = argc > 2 ? argv[2] : NULL;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_explicit_layout),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_default_layouts),
		cmocka_unit_test(test_error_position),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_no_crash),
		cmocka_unit_test(test_invalid_corpus),
		cmocka_unit_test(test_valid_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
