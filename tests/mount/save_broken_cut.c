/*
 * tests/mount/save_broken_cut: the fixture of test_mount_cli.sh. Sweeps a perm upgrade run
 * by a deliberately broken miniature bootloader (the plug-in tests/engine/broken_boot.c,
 * whose path is $BROKEN_BOOT_SO, with bug erase-first: it erases a sector whose only other
 * copy is in RAM), replays the first failing cut
 * and saves the device at that cut as a device file, through the replay hook that
 * `brownout sweep --save-flash` uses. Next to it, in EXPECT_DIR, what a mount of it must
 * show, taken from the device in memory: flash.bin and <partition>.bin, and sectors.txt
 * ("sector,erases,erased" per line).
 * Usage: save_broken_cut DEVICE_FILE EXPECT_DIR. Prints "REPRO INVARIANT". Exit 0, or 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/engine/engine_fixture.h"

struct saver {
	const char *path, *dir, *repro;
	int failed;
};

static int write_raw(const char *dir, const char *name, const struct fsim_device *dev,
		     uint32_t off, uint32_t len)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s.bin", dir, name);
	uint8_t *buf = malloc(len);
	FILE *f = fopen(path, "wb");
	int ok = buf && f && fsim_peek(dev, off, buf, len) == FSIM_OK &&
		 fwrite(buf, 1, len, f) == len;
	if (f && fclose(f))
		ok = 0;
	free(buf);
	return ok ? 0 : -1;
}

static void on_state(void *ctx, const struct fsim_device *dev, const char *when)
{
	struct saver *s = ctx;
	if (strcmp(when, "cut"))
		return;
	char note[FSIM_NOTE_MAX], err[300], path[600];
	snprintf(note, sizeof note, "strategy=overwrite firmware=broken-erase-first repro=%s at=cut",
		 s->repro);
	if (fsim_save_with_note(dev, s->path, note, err, sizeof err)) {
		fprintf(stderr, "save: %s\n", err);
		s->failed = 1;
		return;
	}
	if (write_raw(s->dir, "flash", dev, 0, fsim_size(dev)))
		s->failed = 1;
	for (size_t i = 0; i < fsim_partition_count(dev); i++) {
		const struct fsim_partition *p = fsim_partition_at(dev, i);
		if (write_raw(s->dir, p->name, dev, p->off, p->size))
			s->failed = 1;
	}
	snprintf(path, sizeof path, "%s/sectors.txt", s->dir);
	FILE *f = fopen(path, "w");
	if (!f) {
		s->failed = 1;
		return;
	}
	uint8_t ev = fsim_geometry(dev)->erase_value;
	for (uint32_t i = 0, off = 0; i < fsim_sector_count(dev); i++) {
		uint32_t idx, start, size;
		fsim_sector_of(dev, off, &idx, &start, &size);
		uint8_t *buf = malloc(size);
		fsim_peek(dev, start, buf, size);
		int erased = 1;
		for (uint32_t k = 0; k < size; k++)
			erased &= buf[k] == ev;
		free(buf);
		fprintf(f, "%u,%u,%s\n", i, fsim_sector_erases(dev, i), erased ? "yes" : "no");
		off = start + size;
	}
	fclose(f);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: save_broken_cut DEVICE_FILE EXPECT_DIR\n");
		return 1;
	}
	struct engine_fixture f;
	if (fixture_init(&f, BO_STRATEGY_OVERWRITE))
		return 1;
	int v1 = fixture_image(&f, "v1", "1.0.0", 9000, BO_APP_GOOD, 1);
	int v2 = fixture_image(&f, "v2", "1.1.0", 11000, BO_APP_GOOD, 2);
	fixture_place(&f, "primary", v1);
	fixture_step(&f, SWEEP_STEP_POWER_ON, -1);
	fixture_step(&f, SWEEP_STEP_DOWNLOAD, v2);
	fixture_step(&f, SWEEP_STEP_REQUEST_PERM, -1);
	fixture_step(&f, SWEEP_STEP_POWER_ON, -1);
	f.w.expect.running = v2;
	const char *so = getenv("BROKEN_BOOT_SO");
	if (!so) {
		fprintf(stderr, "save_broken_cut: set BROKEN_BOOT_SO to the broken-boot plug-in\n");
		return 1;
	}
	static const struct bro_option bug = {"bug", "erase-first"};
	f.w.firmware = (struct sweep_fw){.plugin = so, .opts = &bug, .nopts = 1};

	struct sweep_options o = {.between = true, .torn = false, .depth = 1, .jobs = 1, .seed = 7};
	struct sweep_result r;
	char err[300];
	if (sweep_run(&f.w, &o, &r, err, sizeof err) || r.nkept == 0) {
		fprintf(stderr, "the broken bootloader's sweep found no failure (%s)\n", err);
		return 1;
	}
	char repro[96];
	snprintf(repro, sizeof repro, "%s", r.kept[0].repro);
	printf("%s %s\n", repro, sweep_invariant_name(r.kept[0].inv));
	sweep_result_free(&r);

	struct saver s = {argv[1], argv[2], repro, 0};
	o.on_replay_state = on_state;
	o.on_replay_ctx = &s;
	if (sweep_replay(&f.w, &o, repro, false, &r, err, sizeof err)) {
		fprintf(stderr, "replay %s: %s\n", repro, err);
		return 1;
	}
	sweep_result_free(&r);
	fixture_free(&f);
	return s.failed;
}
