/*
 * The sweep device (sim/sweep_device.h): every example sweep file (argument: the
 * scenarios/sweeps directory) builds a device whose first boot runs the initial primary
 * image; images are deterministic; untrusted and corrupt images are refused by the
 * bootloader; default layouts work with the strategies (stm32l4's only with overwrite and
 * recovery); layouts and images the bootloader cannot take are refused with a sentence.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/sweep_device.h"

static const char *sweeps_dir;

static struct bo_sweep *load(const char *text)
{
	char err[BO_SWEEP_ERRLEN];
	struct bo_sweep *s = NULL;
	if (bo_sweep_load_buffer("t.yaml", text, strlen(text), &s, err, sizeof err))
		fail_msg("%s", err);
	return s;
}

static struct bo_sweep_device *build(const struct bo_sweep *s)
{
	char err[BO_SWEEP_ERRLEN];
	struct bo_sweep_device *d = NULL;
	if (bo_sweep_device_build(s, &d, err, sizeof err))
		fail_msg("%s", err);
	assert_non_null(d);
	return d;
}

static void boot_once(struct bo_sweep_device *d, struct bo_boot_result *res)
{
	struct bo_boot *b = malloc(sizeof *b);
	assert_non_null(b);
	memset(res, 0, sizeof *res);
	int rc = bo_boot(b, &d->cfg, res);
	free(b);
	assert_int_equal(rc, BO_BOOT_OK);
	assert_int_equal(fsim_violation_count(d->dev), 0);
}

/* The first boot of a freshly built device runs the initial primary image. */
static void check_first_boot(const struct bo_sweep *s, struct bo_sweep_device *d)
{
	int want = s->initial[BO_SWEEP_PART_PRIMARY];
	if (want < 0) { /* a factory device: an empty primary, the recovery image boots */
		struct bo_boot_result res;
		assert_true(s->initial[BO_SWEEP_PART_RECOVERY] >= 0);
		boot_once(d, &res);
		assert_int_equal(res.slot, BO_SLOT_RECOVERY);
		return;
	}
	assert_int_equal(bo_sweep_device_identify(d, &d->cfg.primary), want);
	struct bo_boot_result res;
	boot_once(d, &res);
	assert_int_equal(res.slot, BO_SLOT_PRIMARY);
	assert_false(res.trial);
	assert_int_equal(res.image.hdr.version.major, s->images[want].version.major);
	assert_int_equal(res.image.hdr.version.minor, s->images[want].version.minor);
	assert_int_equal(res.image.hdr.version.revision, s->images[want].version.revision);
	assert_int_equal(bo_sweep_device_identify(d, &d->cfg.primary), want);
	if (s->initial[BO_SWEEP_PART_RECOVERY] >= 0)
		assert_int_equal(bo_sweep_device_identify(d, &d->cfg.recovery),
				 s->initial[BO_SWEEP_PART_RECOVERY]);
	/* Partitions as the layout says, boot write-protected. */
	const struct fsim_partition *boot = fsim_partition_find(d->dev, "boot");
	assert_non_null(boot);
	assert_true(boot->write_protected);
	const struct bo_sweep_area *pri = &s->device.parts[BO_SWEEP_PART_PRIMARY];
	assert_int_equal(d->cfg.primary.off, (d->map.n > 1 ? d->map.flash[pri->device].base : 0) + pri->off);
	assert_int_equal(d->cfg.upgrade.size, s->device.parts[BO_SWEEP_PART_UPGRADE].size);
	assert_int_equal(d->cfg.attempts, s->attempts);
}

static void test_example_files(void **state)
{
	(void)state;
	if (!sweeps_dir)
		skip();
	DIR *dir = opendir(sweeps_dir);
	assert_non_null(dir);
	struct dirent *e;
	int n = 0;
	while ((e = readdir(dir))) {
		size_t l = strlen(e->d_name);
		if (l < 6 || strcmp(e->d_name + l - 5, ".yaml"))
			continue;
		char path[512], err[BO_SWEEP_ERRLEN];
		snprintf(path, sizeof path, "%s/%s", sweeps_dir, e->d_name);
		struct bo_sweep *s;
		if (bo_sweep_load_file(path, &s, err, sizeof err))
			fail_msg("%s", err);
		struct bo_sweep_device *d = build(s);
		check_first_boot(s, d);
		bo_sweep_device_free(d);
		bo_sweep_free(s);
		n++;
	}
	closedir(dir);
	assert_true(n >= 3);
}

static const char base[] = "sweep: t\n"
			   "device: {preset: %s}\n"
			   "strategy: %s\n"
			   "images:\n"
			   "  v1:    {version: 1.0.0, size: 20KiB}\n"
			   "  v2:    {version: 1.1.0, size: 24KiB, behaviour: no-confirm}\n"
			   "  rogue: {version: 9.0.0, size: 8KiB, key: untrusted}\n"
			   "  bad:   {version: 9.0.0, size: 8KiB, corrupt: true}\n"
			   "  rec:   {version: 0.9.0, size: 16KiB}\n"
			   "initial: {primary: %s, recovery: rec}\n"
			   "steps: [reboot]\n"
			   "expect: {running: v1}\n";

static struct bo_sweep *load_fmt(const char *preset, const char *strategy, const char *primary)
{
	char text[sizeof base + 128];
	snprintf(text, sizeof text, base, preset, strategy, primary);
	return load(text);
}

static void test_deterministic(void **state)
{
	(void)state;
	struct bo_sweep *s = load_fmt("nrf52840", "recovery", "v1");
	struct bo_sweep_device *a = build(s), *b = build(s);
	for (size_t i = 0; i < s->image_count; i++) {
		assert_int_equal(a->images[i].len, b->images[i].len);
		assert_memory_equal(a->images[i].bytes, b->images[i].bytes, a->images[i].len);
	}
	assert_true(fsim_content_hash(a->dev) == fsim_content_hash(b->dev));
	/* Different names, different payloads. */
	assert_true(a->images[0].len != a->images[1].len ||
		    memcmp(a->images[0].bytes, a->images[1].bytes, a->images[0].len));
	bo_sweep_device_free(a);
	bo_sweep_device_free(b);
	bo_sweep_free(s);
}

/* An untrusted or corrupt primary is refused: the recovery image boots. */
static void test_refused_images(void **state)
{
	(void)state;
	static const char *const primaries[] = {"rogue", "bad"};
	for (size_t i = 0; i < 2; i++) {
		struct bo_sweep *s = load_fmt("nrf52840", "recovery", primaries[i]);
		struct bo_sweep_device *d = build(s);
		struct bo_boot_result res;
		boot_once(d, &res);
		assert_int_equal(res.slot, BO_SLOT_RECOVERY);
		assert_int_equal(res.image.hdr.version.minor, 9);
		assert_int_equal(res.refused, i == 0 ? BO_IMG_E_NO_TRUSTED_KEY
						     : BO_IMG_E_HASH_MISMATCH);
		bo_sweep_device_free(d);
		bo_sweep_free(s);
	}
}

/* Every preset with a default layout takes every strategy the bootloader supports on it. */
static void test_default_layouts_boot(void **state)
{
	(void)state;
	static const char *const presets[] = {"nrf52840", "stm32l4", "k64f", "stm32f4", "stm32h7"};
	static const char *const strategies[] = {"overwrite", "swap-scratch", "swap-move",
						 "recovery", "swap-scratch+recovery"};
	for (size_t p = 0; p < sizeof presets / sizeof presets[0]; p++) {
		for (size_t k = 0; k < sizeof strategies / sizeof strategies[0]; k++) {
			struct bo_sweep *s = load_fmt(presets[p], strategies[k], "v1");
			struct bo_sweep_device *d = NULL;
			char err[BO_SWEEP_ERRLEN];
			int rc = bo_sweep_device_build(s, &d, err, sizeof err);
			/* stm32l4's 2 KiB sectors cannot hold the swap progress log of the
			 * default 432K slots (documented in sim/sweep_file.h). */
			if (!strcmp(presets[p], "stm32l4") && strstr(strategies[k], "swap")) {
				assert_int_equal(rc, -1);
				assert_non_null(strstr(err, "too small for the progress log"));
				bo_sweep_free(s);
				continue;
			}
			if (rc)
				fail_msg("%s %s: %s", presets[p], strategies[k], err);
			check_first_boot(s, d);
			bo_sweep_device_free(d);
			bo_sweep_free(s);
		}
	}
}

/* Several flash devices: each keeps its own write unit and erase value, in core/boot's
 * areas, in what a firmware plug-in sees (bro_flash) and in flashsim itself. */
static void test_devices_keep_their_values(void **state)
{
	(void)state;
	struct bo_sweep *s = load("sweep: t\n"
				  "device:\n"
				  "  flash:\n"
				  "    internal: nrf52840\n"
				  "    ext: {geometry: {regions: [{size: 4KiB, count: 256}], write_unit: 1,\n"
				  "                     erase_value: 0x00}}\n"
				  "  layout:\n"
				  "    boot: [0x0, 48KiB]\n"
				  "    primary: [0xC000, 432KiB]\n"
				  "    scratch: [0xE4000, 16KiB]\n"
				  "    upgrade: {device: ext, off: 0x10000, size: 432KiB}\n"
				  "strategy: swap-scratch\n"
				  "images:\n"
				  "  v1: {version: 1.0.0, size: 24KiB}\n"
				  "initial: {primary: v1}\n"
				  "steps:\n"
				  "  - reboot\n"
				  "expect: {running: v1}\n");
	struct bo_sweep_device *d = build(s);
	assert_int_equal(d->cfg.primary.flash->write_unit, 4);
	assert_int_equal(d->cfg.primary.flash->erase_value, 0xff);
	assert_int_equal(d->cfg.scratch.flash->write_unit, 4);
	assert_int_equal(d->cfg.upgrade.flash->write_unit, 1);
	assert_int_equal(d->cfg.upgrade.flash->erase_value, 0x00);
	assert_int_equal(d->cfg.max_align, 8);
	uint32_t ext = d->map.flash[1].base;
	assert_int_equal(fsim_write_unit_at(d->dev, ext), 1);
	assert_int_equal(fsim_erase_value_at(d->dev, ext), 0x00);
	assert_int_equal(fsim_erase_value_at(d->dev, ext - 1), 0xff);
	uint8_t b;
	assert_int_equal(fsim_peek(d->dev, ext + 0x10000, &b, 1), 0);
	assert_int_equal(b, 0x00); /* the empty upgrade slot reads erased, as 0x00 */

	struct fw_host *h = calloc(1, sizeof *h);
	assert_non_null(h);
	char err[160];
	assert_int_equal(fw_host_init(h, d->dev, &d->map, err, sizeof err), 0);
	assert_int_equal(h->dev.nflash, 2);
	assert_int_equal(h->dev.flash[0].write_unit, 4);
	assert_int_equal(h->dev.flash[0].erase_value, 0xff);
	assert_int_equal(h->dev.flash[1].write_unit, 1);
	assert_int_equal(h->dev.flash[1].erase_value, 0x00);
	fw_host_free(h);
	free(h);

	struct bo_boot_result res;
	boot_once(d, &res);
	assert_int_equal(res.slot, BO_SLOT_PRIMARY);
	bo_sweep_device_free(d);
	bo_sweep_free(s);
}

static void expect_build_error(const char *text, const char *msg)
{
	struct bo_sweep *s = load(text);
	char err[BO_SWEEP_ERRLEN];
	struct bo_sweep_device *d = (struct bo_sweep_device *)1;
	assert_int_equal(bo_sweep_device_build(s, &d, err, sizeof err), -1);
	assert_null(d);
	assert_string_equal(err, msg);
	bo_sweep_free(s);
}

static void test_build_errors(void **state)
{
	(void)state;
	/* Passes the loader's estimate (payload + header before the trailer sector), but the
	 * signed image with its TLVs does not fit. */
	expect_build_error("sweep: big\n"
			   "device: {preset: nrf52840}\n"
			   "strategy: swap-scratch\n"
			   "images: {v1: {version: 1.0.0, size: 438240}}\n"
			   "initial: {primary: v1}\n"
			   "steps: [reboot]\n"
			   "expect: {running: v1}\n",
			   "t.yaml: image 'v1' is 438431 bytes signed, more than the 438272 bytes "
			   "swap-scratch leaves for an image in a slot");
	/* A scratch smaller than a swap chunk. */
	expect_build_error("sweep: small-scratch\n"
			   "device:\n"
			   "  preset: stm32f4\n"
			   "  layout:\n"
			   "    boot: [0, 64KiB]\n"
			   "    primary: [0x20000, 384KiB]\n"
			   "    upgrade: [0x80000, 384KiB]\n"
			   "    scratch: [0x10000, 64KiB]\n"
			   "strategy: swap-scratch\n"
			   "images: {v1: {version: 1.0.0, size: 1000}}\n"
			   "initial: {primary: v1}\n"
			   "steps: [reboot]\n"
			   "expect: {running: v1}\n",
			   "t.yaml:5:5: key 'device.layout': the bootloader refuses this layout for "
			   "swap-scratch: a swap chunk "
			   "(sectors common to both slots) is larger than the scratch partition");
}

int main(int argc, char **argv)
{
	sweeps_dir = argc > 1 ? argv[1] : NULL;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_example_files),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_refused_images),
		cmocka_unit_test(test_default_layouts_boot),
		cmocka_unit_test(test_build_errors),
		cmocka_unit_test(test_devices_keep_their_values),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
