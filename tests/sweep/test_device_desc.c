/*
 * The device: section loader (sim/device_desc.h) through sweep files: presets, geometry
 * overrides, full geometries with their defaults, named flash devices and partitions on
 * them, exact times, and fsim_geometry_check's read unit. Error messages and positions are
 * pinned by the invalid corpora (tests/sweep/invalid/, tests/scenario/invalid/).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "flashsim/flashsim.h"
#include "sim/device_desc.h"
#include "sim/sweep_file.h"

#define KIB 1024u

static const char workload[] = "strategy: overwrite\n"
			       "images: {v1: {version: 1.0.0, size: 8KiB}}\n"
			       "initial: {primary: v1}\n"
			       "steps: [reboot]\n"
			       "expect: {running: v1}\n";

/* A sweep file with this device section; the loaded sweep, or NULL with err set. */
static struct bo_sweep *load(const char *device, char *err, size_t errlen)
{
	char text[2048];
	snprintf(text, sizeof text, "sweep: t\n%s%s", device, workload);
	struct bo_sweep *s = NULL;
	if (bo_sweep_load_buffer("t.yaml", text, strlen(text), &s, err, errlen))
		return NULL;
	return s;
}

static struct bo_sweep *load_ok(const char *device)
{
	char err[BO_SWEEP_ERRLEN];
	struct bo_sweep *s = load(device, err, sizeof err);
	if (!s)
		fail_msg("unexpected error: %s", err);
	return s;
}

static void test_preset(void **state)
{
	(void)state;
	struct bo_sweep *s = load_ok("device: {preset: stm32f4}\n");
	const struct bo_device_desc *d = &s->device;
	struct fsim_geometry g;
	assert_int_equal(fsim_preset("stm32f4", &g), 0);
	assert_int_equal(d->flash_count, 1);
	assert_false(d->named);
	assert_string_equal(d->flash[0].name, "flash");
	assert_string_equal(d->flash[0].preset, "stm32f4");
	assert_false(d->flash[0].modified);
	assert_memory_equal(&d->flash[0].geo, &g, sizeof g);
	assert_string_equal(d->label, "stm32f4");
	assert_true(d->default_layout);
	assert_true(d->parts[BO_SWEEP_PART_BOOT].write_protected);
	assert_false(d->parts[BO_SWEEP_PART_PRIMARY].write_protected);
	assert_int_equal(d->parts[BO_SWEEP_PART_PRIMARY].device, 0);
	/* A slot loses its last (128 KiB) sector to the trailer; recovery keeps all. */
	assert_int_equal(bo_device_image_room(d, BO_SWEEP_PART_PRIMARY), 256 * KIB);
	assert_int_equal(bo_device_image_room(d, BO_SWEEP_PART_RECOVERY), 64 * KIB);
	assert_int_equal(bo_device_image_room(d, BO_SWEEP_PART_STORAGE), 0);
	bo_sweep_free(s);
}

static void test_overrides(void **state)
{
	(void)state;
	struct bo_sweep *s = load_ok("device:\n"
				     "  preset: nrf52840\n"
				     "  geometry: {write_unit: 8, erase_ms: 90.5, program_us: 0.045,\n"
				     "             endurance: 3, read_unit: 4}\n");
	const struct fsim_geometry *g = &s->device.flash[0].geo;
	assert_true(s->device.flash[0].modified);
	assert_string_equal(s->device.label, "nrf52840 (modified)");
	assert_int_equal(g->write_unit, 8);
	assert_int_equal(g->read_unit, 4);
	/* nrf52840 programs 4-byte chunks: not a multiple of 8, so the chunk follows. */
	assert_int_equal(g->program_chunk, 8);
	assert_int_equal(g->program_ns, 45);
	assert_int_equal(g->endurance, 3);
	assert_int_equal(g->region_count, 1);
	assert_int_equal(g->regions[0].count, 256);
	assert_int_equal(g->regions[0].erase_us, 90500);
	assert_int_equal(g->erase_value, 0xff);
	bo_sweep_free(s);

	/* Regions replaced on a preset keep the preset's erase time of the same sector size. */
	s = load_ok("device:\n"
		    "  preset: stm32f4\n"
		    "  geometry: {regions: [{size: 64KiB, count: 2}, {size: 32KiB, count: 32}]}\n"
		    "  layout: {boot: [0, 64KiB], primary: [64KiB, 512KiB], upgrade: [576KiB, 512KiB]}\n");
	g = &s->device.flash[0].geo;
	assert_int_equal(g->region_count, 2);
	assert_int_equal(g->regions[0].erase_us, 1100000);
	assert_int_equal(g->regions[1].erase_us, 500000); /* no 32 KiB: the first region's */
	assert_int_equal(g->program_chunk, 1);
	bo_sweep_free(s);
}

static void test_full_geometry(void **state)
{
	(void)state;
	struct bo_sweep *s = load_ok("device:\n"
				     "  geometry:\n"
				     "    regions: [{size: 16KiB, count: 4, erase_ms: 250},\n"
				     "              {size: 64KiB}, {size: 128KiB, count: 7}]\n"
				     "    write_unit: 2\n"
				     "    erase_ms: 1200\n"
				     "  layout: {boot: [0, 64KiB], primary: [128KiB, 256KiB],\n"
				     "           upgrade: [384KiB, 256KiB]}\n");
	const struct bo_device_desc *d = &s->device;
	const struct fsim_geometry *g = &d->flash[0].geo;
	assert_string_equal(d->flash[0].preset, "");
	assert_string_equal(d->label, "custom");
	assert_false(d->default_layout);
	assert_int_equal(g->region_count, 3);
	assert_int_equal(g->regions[0].count, 4);
	assert_int_equal(g->regions[0].erase_us, 250000);
	assert_int_equal(g->regions[1].count, 1); /* count defaults to 1 */
	assert_int_equal(g->regions[1].sector_size, 64 * KIB);
	assert_int_equal(g->regions[1].erase_us, 1200000); /* geometry's erase_ms */
	assert_int_equal(g->regions[2].erase_us, 1200000);
	assert_int_equal(fsim_geometry_size(g), 1024 * KIB);
	/* The documented defaults. */
	assert_int_equal(g->write_unit, 2);
	assert_int_equal(g->read_unit, 1);
	assert_int_equal(g->erase_value, 0xff);
	assert_int_equal(g->program_chunk, 2);
	assert_int_equal(g->program_ns, 10000);
	assert_int_equal(g->endurance, 10000);
	assert_int_equal(fsim_geometry_check(g, NULL, 0), FSIM_OK);
	bo_sweep_free(s);

	s = load_ok("device:\n"
		    "  geometry: {regions: [{size: 4KiB, count: 64}], erase_value: 0x00}\n"
		    "  layout: {boot: [0, 16KiB], primary: [16KiB, 64KiB], upgrade: [80KiB, 64KiB]}\n");
	assert_int_equal(s->device.flash[0].geo.erase_value, 0x00);
	bo_sweep_free(s);
}

static void test_named_devices(void **state)
{
	(void)state;
	struct bo_sweep *s = load_ok("device:\n"
				     "  flash:\n"
				     "    internal: nrf52840\n"
				     "    spi: {preset: spi-nor, geometry: {program_chunk: 1}}\n"
				     "    fram: {geometry: {regions: [{size: 256, count: 512}]}}\n"
				     "  layout:\n"
				     "    boot: [0, 48KiB]\n"
				     "    primary: {device: internal, off: 0xC000, size: 432KiB}\n"
				     "    upgrade: {device: spi, off: 0, size: 432KiB}\n"
				     "    scratch: {device: fram, off: 0, size: 16KiB}\n"
				     "    storage: {off: 0x78000, size: 32KiB}\n");
	const struct bo_device_desc *d = &s->device;
	assert_true(d->named);
	assert_int_equal(d->flash_count, 3);
	assert_string_equal(d->flash[0].name, "internal");
	assert_string_equal(d->flash[1].name, "spi");
	assert_string_equal(d->flash[2].name, "fram");
	assert_string_equal(d->label, "internal=nrf52840 spi=spi-nor(modified) fram=custom");
	assert_int_equal(d->flash[1].geo.program_chunk, 1);
	assert_int_equal(d->parts[BO_SWEEP_PART_BOOT].device, 0);
	assert_int_equal(d->parts[BO_SWEEP_PART_PRIMARY].device, 0);
	assert_int_equal(d->parts[BO_SWEEP_PART_UPGRADE].device, 1);
	assert_int_equal(d->parts[BO_SWEEP_PART_UPGRADE].off, 0);
	assert_int_equal(d->parts[BO_SWEEP_PART_SCRATCH].device, 2);
	assert_int_equal(d->parts[BO_SWEEP_PART_STORAGE].device, 0); /* no device: the first */
	assert_false(d->parts[BO_SWEEP_PART_RECOVERY].present);
	/* Partitions on different devices may share offsets. */
	assert_int_equal(bo_device_image_room(d, BO_SWEEP_PART_UPGRADE), 428 * KIB);
	assert_ptr_equal(bo_device_part_geometry(d, BO_SWEEP_PART_SCRATCH), &d->flash[2].geo);
	bo_sweep_free(s);

	/* Named devices with the default layout: the first device's preset, all on it. */
	s = load_ok("device: {flash: {internal: k64f, spi: spi-nor}}\n");
	assert_true(s->device.default_layout);
	for (int p = 0; p < BO_SWEEP_PART_COUNT; p++)
		assert_int_equal(s->device.parts[p].device, 0);
	bo_sweep_free(s);
}

/* Times are thousandths of the unit, exactly: no floating point between file and flash. */
static void test_times(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint32_t us; /* 0: refused */
	} cases[] = {
		{"0.001", 1},   {"1.5", 1500},          {"85", 85000},   {"0.25", 250},
		{"12.", 12000}, {"4294967.295", UINT32_MAX}, {"4294967.296", 0},
		{"0", 0},       {"1e3", 0},             {".", 0},        {"-1", 0},
		{"1.0001", 0},  {"99999999999", 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char dev[256], err[BO_SWEEP_ERRLEN];
		snprintf(dev, sizeof dev, "device: {preset: nrf52840, geometry: {erase_ms: '%s'}}\n",
			 cases[i].text);
		struct bo_sweep *s = load(dev, err, sizeof err);
		if (!cases[i].us) {
			if (s)
				fail_msg("'%s' was accepted", cases[i].text);
			assert_non_null(strstr(err, "device.geometry.erase_ms"));
			continue;
		}
		if (!s)
			fail_msg("'%s': %s", cases[i].text, err);
		assert_int_equal(s->device.flash[0].geo.regions[0].erase_us, cases[i].us);
		bo_sweep_free(s);
	}
}

static void test_read_unit_check(void **state)
{
	(void)state;
	struct fsim_geometry g;
	char err[160];
	assert_int_equal(fsim_preset("nrf52840", &g), 0);
	g.read_unit = 0; /* means 1 */
	assert_int_equal(fsim_geometry_check(&g, err, sizeof err), FSIM_OK);
	g.read_unit = 3;
	assert_int_equal(fsim_geometry_check(&g, err, sizeof err), FSIM_ERR_INVALID);
	assert_string_equal(err, "read unit 3 is not a power of two");
	g.read_unit = 8192;
	assert_int_equal(fsim_geometry_check(&g, err, sizeof err), FSIM_ERR_INVALID);
	assert_string_equal(err, "sector size 4096 of region 0 is not a multiple of the read unit 8192");
	g.read_unit = 4096;
	assert_int_equal(fsim_geometry_check(&g, err, sizeof err), FSIM_OK);
}

/* Every prefix of a rich device section, and every byte of it replaced by YAML's special
 * characters, loads or fails with a message: never a crash (run under ASan in CI). */
static void test_no_crash(void **state)
{
	(void)state;
	static const char rich[] =
		"device:\n"
		"  flash:\n"
		"    internal: {preset: stm32f4, geometry: {write_unit: 4, erase_ms: 0.5}}\n"
		"    ext: {geometry: {regions: [{size: 4KiB, count: 128, erase_ms: 45}],\n"
		"          write_unit: 1, read_unit: 1, erase_value: 0x00, program_us: 700,\n"
		"          program_chunk: 256, endurance: 100000}}\n"
		"  layout:\n"
		"    boot: [0, 64KiB]\n"
		"    primary: {device: internal, off: 0x20000, size: 256KiB}\n"
		"    upgrade: {device: ext, off: 0, size: 256KiB}\n";
	size_t len = strlen(rich);
	char buf[sizeof rich];
	static const char subst[] = {'\0', ':', '-', '[', '{', ' ', '\n', '"', '&', '*', 'x', '9', '.'};
	for (size_t cut = 0; cut <= len; cut++) {
		for (size_t k = 0; k <= sizeof subst; k++) {
			char err[BO_SWEEP_ERRLEN] = "";
			memcpy(buf, rich, len);
			buf[len] = '\0';
			if (k < sizeof subst && cut < len)
				buf[cut] = subst[k];
			else if (k < sizeof subst)
				continue;
			else
				buf[cut] = '\0'; /* the prefix */
			struct bo_sweep *s = load(buf, err, sizeof err);
			assert_true(s || err[0]);
			bo_sweep_free(s);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_preset),
		cmocka_unit_test(test_overrides),
		cmocka_unit_test(test_full_geometry),
		cmocka_unit_test(test_named_devices),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_read_unit_check),
		cmocka_unit_test(test_no_crash),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
