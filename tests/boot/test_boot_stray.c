/*
 * tests/boot/test_boot_stray.c: stray, torn or foreign bytes in the metadata areas never
 * brick a device (issue 16), for every strategy on the nrf52840 and k64f layouts, and with
 * a status partition (nrf52840-status: the progress log lives there, images reach the
 * trailers).
 *
 * Regression tests for the three bugs fuzzing found (each failed before the log entries
 * became self-validating):
 *   stray_word  one non-erased word at the primary's first log unit, no request: it was
 *               resumed as an operation (overwrite: garbage copied over v1, a brick;
 *               recovery: the recovery image for ever; swaps: a lost boot, then a revert);
 *   copy_done   a request whose slot already has copy_done written (a download that
 *               carried trailer bytes): copy_done was programmed again (a NOR violation)
 *               and that boot booted nothing;
 *   log_gap     junk past the end of an interrupted operation's log: the resume wrote into
 *               it (a NOR violation, a failed boot).
 * And the property: random (seeded) contents of the upgrade slot, scratch, recovery and
 * both meta sectors, a valid image in the primary -> every boot runs a valid image (one
 * of the device's own), never one that does not verify, and no flash-rule violation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/boot/boot_harness.h"

static const enum bo_strategy strategies[] = {
	BO_STRATEGY_OVERWRITE, BO_STRATEGY_SWAP_SCRATCH, BO_STRATEGY_SWAP_MOVE,
	BO_STRATEGY_RECOVERY, BO_STRATEGY_SWAP_SCRATCH_RECOVERY,
};
#define NSTRAT (sizeof strategies / sizeof strategies[0])

static const struct bh_layout *const layouts[] = {&bh_nrf52840, &bh_k64f, &bh_nrf52840_status};
#define NLAYOUT (sizeof layouts / sizeof layouts[0])

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
	return z ^ (z >> 31);
}

struct dev {
	struct bh h;
	struct bh_img v1, v2, rec;
	jmp_buf jb;
};

static bool dev_init(struct dev *d, const struct bh_layout *l, enum bo_strategy s)
{
	memset(d, 0, sizeof *d);
	if (bh_setup(&d->h, l, s) != BO_BOOT_OK) {
		bh_teardown(&d->h);
		return false;
	}
	bh_memo_verify(&d->h);
	bh_image(&d->h, &d->v1, 11, 1, 0, 9000, -1, false);
	bh_image(&d->h, &d->v2, 22, 2, 0, 14000, -1, false);
	bh_image(&d->h, &d->rec, 99, 0, 9, 3000, -1, false);
	bh_factory(&d->h, &d->v1, &d->rec);
	return true;
}

static void dev_free(struct dev *d)
{
	bh_img_free(&d->v1);
	bh_img_free(&d->v2);
	bh_img_free(&d->rec);
	bh_teardown(&d->h);
}

/* Start of the last sector of a partition (its meta sector). */
static uint32_t meta_of(struct bh *h, const char *part)
{
	const struct fsim_partition *p = bh_part(h, part);
	uint32_t start;
	assert_int_equal(fsim_sector_of(h->dev, p->off + p->size - 1, NULL, &start, NULL), 0);
	return start;
}

/* Where the progress log starts: the status partition, else the primary's meta sector. */
static uint32_t log_of(struct bh *h)
{
	const struct fsim_partition *st = fsim_partition_find(h->dev, "status");
	return st ? st->off : meta_of(h, "primary");
}

#define LOG_UNIT 8u /* the test layouts' log unit (their write unit) */

/* The last of the log's first `units` units holding a byte that is not erased (0: none). */
static uint32_t last_written_unit(struct bh *h, uint32_t log, uint32_t units)
{
	uint32_t last = 0;
	uint8_t e[LOG_UNIT];
	for (uint32_t u = 0; u < units; u++) {
		assert_int_equal(fsim_peek(h->dev, log + u * LOG_UNIT, e, LOG_UNIT), 0);
		for (uint32_t k = 0; k < LOG_UNIT; k++)
			if (e[k] != fsim_geometry(h->dev)->erase_value)
				last = u;
	}
	return last;
}

static void fill_random(struct bh *h, uint32_t off, uint32_t len, uint64_t *rng)
{
	uint8_t buf[1024];
	while (len) {
		uint32_t n = len < sizeof buf ? len : (uint32_t)sizeof buf;
		for (uint32_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rng_next(rng);
		assert_int_equal(fsim_load_bytes(h->dev, off, buf, n), 0);
		off += n;
		len -= n;
	}
}

/* Boot (and run the app) once; the booted image must be one of the device's own. */
static void boot_valid(struct dev *d, const char *what)
{
	struct bh *h = &d->h;
	int rc = bh_boot_run(h);
	bool own = bh_running(h, &d->v1) || bh_running(h, &d->v2) ||
		   (h->res.slot == BO_SLOT_RECOVERY && bh_running(h, &d->rec));
	size_t viol = fsim_violation_count(h->dev);
	if (rc || h->res.slot == BO_SLOT_NONE || !own || viol)
		fail_msg("%s, %s on %s, boot %u: error %d slot %d action %s refused %s, %zu "
			 "violations",
			 what, bo_strategy_name(h->cfg.strategy), h->layout->name, h->boots, rc,
			 h->res.slot, bo_boot_action_name(h->res.action),
			 bo_image_errname(h->res.refused), viol);
}

/* Boot with power lost before the device's nth flash operation from now; true if the cut
 * fired. (Its own frame: nothing of the caller's is live across the longjmp.) */
static bool boot_cut_after(struct dev *d, uint64_t nth)
{
	struct bh *h = &d->h;
	struct fsim_stats st;
	fsim_get_stats(h->dev, &st);
	fsim_arm_cut(h->dev, &(struct fsim_cut){.op_index = st.mutating_ops + nth,
						 .mode = FSIM_CUT_BETWEEN});
	h->on_power_loss = &d->jb;
	if (setjmp(d->jb) == 0) {
		(void)bh_boot(h);
		h->on_power_loss = NULL;
		fsim_disarm_cut(h->dev);
		return false;
	}
	h->on_power_loss = NULL;
	fsim_disarm_cut(h->dev);
	return true;
}

/* (a) A stray word at the first log unit, no request, garbage in the upgrade slot. */
static void t_stray_word(void **state)
{
	(void)state;
	for (size_t l = 0; l < NLAYOUT; l++)
		for (size_t i = 0; i < NSTRAT; i++) {
			struct dev d;
			if (!dev_init(&d, layouts[l], strategies[i]))
				continue;
			uint64_t rng = 7;
			const struct fsim_partition *up = bh_part(&d.h, "upgrade");
			fill_random(&d.h, up->off, 64 * 1024, &rng);
			uint8_t word[8] = {0};
			assert_int_equal(fsim_load_bytes(d.h.dev, log_of(&d.h), word,
							 fsim_geometry(d.h.dev)->write_unit),
					 0);
			for (int k = 0; k < 4; k++) {
				boot_valid(&d, "stray word");
				assert_int_equal(d.h.res.slot, BO_SLOT_PRIMARY);
				assert_false(d.h.res.trial);
				assert_true(bh_running(&d.h, &d.v1));
			}
			assert_true(bh_holds(&d.h, "primary", &d.v1));
			dev_free(&d);
		}
}

/* (b) A download that carried trailer bytes: the request magic and copy_done. */
static void t_copy_done(void **state)
{
	(void)state;
	for (size_t l = 0; l < NLAYOUT; l++)
		for (size_t i = 0; i < NSTRAT; i++) {
			struct dev d;
			if (!dev_init(&d, layouts[l], strategies[i]))
				continue;
			const struct fsim_partition *up = bh_part(&d.h, "upgrade");
			const struct fsim_geometry *g = fsim_geometry(d.h.dev);
			uint32_t a = g->write_unit > 8 ? g->write_unit : 8;
			struct bo_trailer_layout tl;
			uint8_t buf[64];
			assert_int_equal(bo_trailer_layout(up->size, a, &tl), 0);
			assert_int_equal(bh_download(&d.h, &d.v2), 0);
			size_t n = bo_trailer_build_magic(buf, sizeof buf, a, g->erase_value);
			assert_int_equal(fsim_load_bytes(d.h.dev, up->off + tl.magic_block_off, buf,
							 (uint32_t)n),
					 0);
			n = bo_trailer_encode_flag(buf, sizeof buf, g->write_unit, g->erase_value);
			assert_int_equal(fsim_load_bytes(d.h.dev, up->off + tl.copy_done_off, buf,
							 (uint32_t)n),
					 0);
			boot_valid(&d, "preset copy_done");
			assert_true(bh_running(&d.h, &d.v2)); /* the request is still honoured */
			for (int k = 0; k < 3; k++)
				boot_valid(&d, "preset copy_done");
			assert_true(bh_running(&d.h, &d.v2));
			dev_free(&d);
		}
}

/* (d) A finished record whose last entries were destroyed, with a new image downloaded
 * and not requested: no request, so not this device's operation to resume (resuming its
 * last steps would copy the new download over the running image). */
static void t_lost_tail(void **state)
{
	(void)state;
	for (size_t l = 0; l < NLAYOUT; l++)
		for (size_t i = 0; i < NSTRAT; i++) {
			struct dev d;
			if (!dev_init(&d, layouts[l], strategies[i]))
				continue;
			struct bh *h = &d.h;
			struct bh_img v3;
			bh_image(h, &v3, 33, 3, 0, 16000, -1, false);
			assert_int_equal(bh_download_request(h, &d.v2, true), 0);
			assert_int_equal(bh_boot_run(h), 0);
			assert_true(bh_running(h, &d.v2));
			assert_int_equal(bh_download(h, &v3), 0);
			/* junk over the last two written log units (the last step's and the end) */
			uint32_t log = log_of(h), last = last_written_unit(h, log, 256);
			uint8_t junk[LOG_UNIT];
			memset(junk, 0x12, sizeof junk);
			for (uint32_t u = last - 1; u <= last; u++)
				assert_int_equal(fsim_load_bytes(h->dev, log + u * LOG_UNIT, junk,
								 LOG_UNIT), 0);
			for (int k = 0; k < 4; k++) {
				boot_valid(&d, "lost tail");
				assert_true(bh_running(h, &d.v2));
			}
			bh_img_free(&v3);
			dev_free(&d);
		}
}

/* (c) Junk past the end of an interrupted operation's log. */
static void t_log_gap(void **state)
{
	(void)state;
	for (size_t l = 0; l < NLAYOUT; l++)
		for (size_t i = 0; i < NSTRAT; i++) {
			struct dev d;
			if (!dev_init(&d, layouts[l], strategies[i]))
				continue;
			struct bh *h = &d.h;
			assert_int_equal(bh_download_request(h, &d.v2, true), 0);
			assert_true(boot_cut_after(&d, 14));
			/* Junk three units past the last written one. */
			uint32_t meta = log_of(h), last = last_written_unit(h, meta, 64);
			uint8_t junk[LOG_UNIT];
			memset(junk, 0x12, sizeof junk);
			assert_int_equal(fsim_load_bytes(h->dev, meta + (last + 3) * LOG_UNIT, junk,
							 LOG_UNIT), 0);
			for (int k = 0; k < 4; k++)
				boot_valid(&d, "log gap");
			assert_true(bh_running(h, &d.v2));
			assert_true(bh_holds(h, "primary", &d.v2));
			dev_free(&d);
		}
}

/* Verification after a resumed operation: the upgrade is tampered with while its
 * installation is interrupted (power cut mid-operation). The resumed copy carries the
 * tampered bytes into the primary; no boot may run them. */
static void t_resume_tampered(void **state)
{
	(void)state;
	for (size_t l = 0; l < NLAYOUT; l++)
		for (size_t i = 0; i < NSTRAT; i++) {
			struct dev d;
			if (!dev_init(&d, layouts[l], strategies[i]))
				continue;
			struct bh *h = &d.h;
			assert_int_equal(bh_download_request(h, &d.v2, false), 0);
			assert_true(boot_cut_after(&d, 14));
			/* A payload byte near the end of v2: not moved yet by any strategy. */
			uint32_t at = bh_part(h, "upgrade")->off + (uint32_t)d.v2.len - 600;
			uint8_t b;
			assert_int_equal(fsim_peek(h->dev, at, &b, 1), 0);
			b ^= 0x10;
			assert_int_equal(fsim_load_bytes(h->dev, at, &b, 1), 0);
			for (int k = 0; k < 4; k++) {
				(void)bh_boot_run(h);
				bool own = bh_running(h, &d.v1) || bh_running(h, &d.v2) ||
					   (h->res.slot == BO_SLOT_RECOVERY &&
					    bh_running(h, &d.rec));
				if (h->res.slot != BO_SLOT_NONE && !own)
					fail_msg("%s on %s, boot %u after the tampered resume: ran an "
						 "image that is not the device's own (slot %d, "
						 "action %s, trial %d)",
						 bo_strategy_name(h->cfg.strategy), h->layout->name,
						 h->boots, h->res.slot,
						 bo_boot_action_name(h->res.action), h->res.trial);
			}
			assert_int_equal(fsim_violation_count(h->dev), 0);
			dev_free(&d);
		}
}

/* A revert whose source (the old image in the upgrade slot) was tampered with during the
 * trial is refused without touching that slot: the verified test image keeps running. */
static void t_revert_source_tampered(void **state)
{
	(void)state;
	for (size_t l = 0; l < NLAYOUT; l++)
		for (size_t i = 0; i < NSTRAT; i++) {
			if (strategies[i] != BO_STRATEGY_SWAP_SCRATCH &&
			    strategies[i] != BO_STRATEGY_SWAP_MOVE)
				continue;
			struct dev d;
			if (!dev_init(&d, layouts[l], strategies[i]))
				continue;
			struct bh *h = &d.h;
			assert_int_equal(bh_download_request(h, &d.v2, false), 0);
			assert_int_equal(bh_boot(h), 0); /* v2 on trial; it does not confirm */
			assert_true(bh_running(h, &d.v2));
			uint32_t at = bh_part(h, "upgrade")->off + (uint32_t)d.v1.len - 600;
			uint8_t b, hdr[32], hdr_after[32];
			assert_int_equal(fsim_peek(h->dev, at, &b, 1), 0);
			b ^= 0x10;
			assert_int_equal(fsim_load_bytes(h->dev, at, &b, 1), 0);
			assert_int_equal(fsim_peek(h->dev, bh_part(h, "upgrade")->off, hdr, 32), 0);
			fsim_reset_stats(h->dev);
			assert_int_equal(bh_boot(h), 0);
			assert_true(bh_running(h, &d.v2));
			assert_int_equal(h->res.refused, BO_IMG_E_HASH_MISMATCH);
			assert_int_equal(fsim_peek(h->dev, bh_part(h, "upgrade")->off, hdr_after, 32),
					 0);
			assert_memory_equal(hdr, hdr_after, 32);
			struct fsim_stats st;
			fsim_get_stats(h->dev, &st);
			assert_int_equal(st.erase_ops, 0);
			dev_free(&d);
		}
}

/* Programmer-side trailer bytes in the upgrade slot: the magic, and a flag byte at one of
 * the flag offsets (as a download that carried trailer bytes would leave them). */
static void plant_request(struct bh *h, uint32_t flag_of_layout, uint8_t flag_value)
{
	const struct fsim_partition *up = bh_part(h, "upgrade");
	const struct fsim_geometry *g = fsim_geometry(h->dev);
	uint32_t a = g->write_unit > 8 ? g->write_unit : 8;
	struct bo_trailer_layout tl;
	uint8_t buf[64];
	assert_int_equal(bo_trailer_layout(up->size, a, &tl), 0);
	size_t n = bo_trailer_build_magic(buf, sizeof buf, a, g->erase_value);
	assert_int_equal(fsim_load_bytes(h->dev, up->off + tl.magic_block_off, buf, (uint32_t)n),
			 0);
	uint32_t off = flag_of_layout == 0 ? tl.image_ok_off : tl.copy_done_off;
	assert_int_equal(fsim_load_bytes(h->dev, up->off + off, &flag_value, 1), 0);
}

/* A request whose image_ok is neither set nor erased is a test upgrade (the safe reading:
 * it reverts or counts trials), never a permanent one. */
static void t_request_torn_image_ok(void **state)
{
	(void)state;
	struct dev d;
	assert_true(dev_init(&d, &bh_nrf52840, BO_STRATEGY_SWAP_SCRATCH));
	assert_int_equal(bh_download(&d.h, &d.v2), 0);
	plant_request(&d.h, 0, 0x00);
	assert_int_equal(bh_boot(&d.h), 0);
	assert_true(bh_running(&d.h, &d.v2));
	assert_true(d.h.res.trial);
	dev_free(&d);
}

/* An ended operation whose request survived (a torn erase of it) only has the request
 * consumed: nothing is installed, discarded or reverted. */
static void t_surviving_request(void **state)
{
	(void)state;
	struct dev d;
	assert_true(dev_init(&d, &bh_nrf52840, BO_STRATEGY_SWAP_SCRATCH));
	assert_int_equal(bh_download_request(&d.h, &d.v2, true), 0);
	assert_int_equal(bh_boot_run(&d.h), 0);
	assert_true(bh_running(&d.h, &d.v2));
	plant_request(&d.h, 1, 0x01);
	assert_int_equal(bh_boot(&d.h), 0);
	assert_int_equal(d.h.res.action, BO_ACT_NONE);
	assert_true(bh_running(&d.h, &d.v2));
	assert_true(bh_holds(&d.h, "upgrade", &d.v1));
	dev_free(&d);
}

/* An image with erased bytes at the start of a copy block (but data after them) is copied
 * whole: only a block that is erased throughout may be skipped. */
static void t_copy_erased_block_start(void **state)
{
	(void)state;
	for (size_t i = 0; i < NSTRAT; i++) {
		struct dev d;
		if (!dev_init(&d, &bh_nrf52840, strategies[i]))
			continue;
		struct bh_img img = {0};
		bool found = false;
		for (uint64_t seed = 100; seed < 3000 && !found; seed++) {
			bh_image(&d.h, &img, seed, 3, 0, 20000, -1, false);
			for (size_t k = 1024; k + 1024 <= img.len && !found; k += 1024)
				found = img.bytes[k] == 0xff && img.bytes[k + 1] != 0xff;
			if (!found)
				bh_img_free(&img);
		}
		assert_true(found);
		assert_int_equal(bh_download_request(&d.h, &img, true), 0);
		assert_int_equal(bh_boot(&d.h), 0);
		assert_true(bh_running(&d.h, &img));
		bh_img_free(&img);
		dev_free(&d);
	}
}

/* ---- Weak cells: a flag written by a cut op reads the same on every read ---------- */

struct trace_find {
	uint32_t addr;
	uint64_t op;
	bool found;
};

static void find_program(void *ctx, const struct fsim_trace_event *ev)
{
	struct trace_find *t = ctx;
	if (ev->kind == FSIM_OP_PROGRAM && ev->off == t->addr && !t->found) {
		t->op = ev->op_index;
		t->found = true;
	}
}

/* Arm a torn, metastable cut at op, then boot (confirm: the app's confirm instead);
 * true if the cut fired. */
static bool weak_cut(struct dev *d, uint64_t op, uint64_t seed, bool confirm)
{
	struct bh *h = &d->h;
	fsim_arm_cut(h->dev, &(struct fsim_cut){.op_index = op, .mode = FSIM_CUT_TORN,
						 .variant = (uint32_t)seed % 3, .seed = seed,
						 .metastable = true});
	h->on_power_loss = &d->jb;
	if (setjmp(d->jb) == 0) {
		if (confirm)
			(void)bh_confirm(h);
		else
			(void)bh_boot(h);
		h->on_power_loss = NULL;
		fsim_disarm_cut(h->dev);
		return false;
	}
	h->on_power_loss = NULL;
	fsim_disarm_cut(h->dev);
	return true;
}

static uint32_t trailer_addr(struct bh *h, const char *part, bool copy_done)
{
	const struct fsim_partition *p = bh_part(h, part);
	struct bo_trailer_layout tl;
	assert_int_equal(bo_trailer_layout(p->size, 8, &tl), 0);
	return p->off + (copy_done ? tl.copy_done_off : tl.image_ok_off);
}

/* copy_done (the request's "started" mark) cut with weak cells: every later boot must read
 * it as written, or it would start the operation again and program copy_done twice. And
 * image_ok (a confirm) cut with weak cells must read the same way on every read: the
 * application's view must not flip, and a second confirm must not program it again. */
static void t_weak_flags(void **state)
{
	(void)state;
	struct dev d;
	assert_true(dev_init(&d, &bh_nrf52840, BO_STRATEGY_SWAP_SCRATCH));
	struct bh *h = &d.h;
	assert_int_equal(bh_download_request(h, &d.v2, false), 0);
	struct fsim_snapshot *req = fsim_snapshot_take(h->dev);
	struct trace_find tf = {.addr = trailer_addr(h, "upgrade", true)};
	fsim_set_trace(h->dev, find_program, &tf);
	assert_int_equal(bh_boot(h), 0);
	fsim_set_trace(h->dev, NULL, NULL);
	assert_true(tf.found);
	/* A single read of 7 weak bits reads erased once in 128: enough seeds to see it. */
	for (uint64_t seed = 1; seed <= 1000; seed++) {
		assert_int_equal(fsim_snapshot_restore(h->dev, req), 0);
		assert_true(weak_cut(&d, tf.op, seed, false));
		for (int k = 0; k < 3; k++)
			boot_valid(&d, "weak copy_done");
		assert_true(bh_running(h, &d.v2));
	}
	/* A confirm cut with weak cells. */
	assert_int_equal(fsim_snapshot_restore(h->dev, req), 0);
	assert_int_equal(bh_boot(h), 0); /* v2 on trial */
	struct fsim_snapshot *trial = fsim_snapshot_take(h->dev);
	struct fsim_stats st;
	fsim_get_stats(h->dev, &st);
	for (uint64_t seed = 1; seed <= 300; seed++) {
		assert_int_equal(fsim_snapshot_restore(h->dev, trial), 0);
		assert_true(weak_cut(&d, st.mutating_ops, seed, true));
		struct bo_app_state a0, a;
		assert_int_equal(bh_state(h, &a0), 0);
		for (int k = 0; k < 5; k++) {
			assert_int_equal(bh_state(h, &a), 0);
			if (a.confirmed != a0.confirmed || a.trial != a0.trial)
				fail_msg("seed %u: a weak image_ok read differently", (unsigned)seed);
		}
		(void)bh_confirm(h);
		assert_int_equal(fsim_violation_count(h->dev), 0);
	}
	fsim_snapshot_free(req);
	fsim_snapshot_free(trial);
	dev_free(&d);
}

/* The application API refuses a download that reaches the trailer region. */
static void t_app_refuses_trailer_download(void **state)
{
	(void)state;
	for (size_t l = 0; l < NLAYOUT; l++) {
		struct dev d;
		if (!dev_init(&d, layouts[l], BO_STRATEGY_OVERWRITE))
			continue;
		struct bh_img big;
		uint32_t limit = 0;
		assert_int_equal(bo_app_download_limit(d.h.ws, &d.h.cfg, &limit), 0);
		assert_int_equal(limit, d.h.data_limit);
		bh_image_total(&d.h, &big, 33, 3, 0, limit + 16, -1); /* into the trailer */
		assert_int_equal(bh_download(&d.h, &big), 0);
		assert_int_equal(bh_request(&d.h, true), BO_BOOT_E_IMAGE);
		boot_valid(&d, "trailer download");
		assert_true(bh_running(&d.h, &d.v1));
		bh_img_free(&big);
		dev_free(&d);
	}
}

/* Random contents where the bootloader keeps its state or reads images from. */
static void scramble(struct dev *d, uint64_t *rng)
{
	struct bh *h = &d->h;
	const char *areas[] = {"upgrade", "scratch", "recovery"};
	for (size_t a = 0; a < 3; a++) {
		const struct fsim_partition *p = bh_part(h, areas[a]);
		if (!p || rng_next(rng) % 3 == 0)
			continue;
		uint32_t len = p->size < 32768 ? p->size : 32768;
		/* The start: headers and images; sometimes after an erased prefix, which must
		 * not pass for an erased sector. */
		uint32_t skip = rng_next(rng) % 2 ? 256 : 0;
		fill_random(h, p->off + skip, len - skip, rng);
		uint32_t meta = meta_of(h, areas[a]);
		fill_random(h, meta, p->off + p->size - meta, rng);
	}
	/* The progress log (the primary's meta sector, or the status partition): all random,
	 * or a few random bytes, words or units. */
	uint32_t meta = log_of(h);
	const struct fsim_partition *status = fsim_partition_find(h->dev, "status");
	uint32_t msize = status ? status->size
				: bh_part(h, "primary")->off + bh_part(h, "primary")->size - meta;
	if (rng_next(rng) % 4 == 0) {
		fill_random(h, meta, msize, rng);
	} else {
		unsigned n = 1 + (unsigned)(rng_next(rng) % 6);
		for (unsigned k = 0; k < n; k++) {
			uint32_t len = 1u << (rng_next(rng) % 4);
			uint32_t off = (uint32_t)(rng_next(rng) % (msize / len)) * len;
			if (rng_next(rng) % 2)
				off %= 256; /* the log's first units are where it matters most */
			fill_random(h, meta + off, len, rng);
		}
	}
}

static void t_random_contents(void **state)
{
	(void)state;
	unsigned runs = 0;
	for (size_t l = 0; l < NLAYOUT; l++)
		for (size_t i = 0; i < NSTRAT; i++)
			for (uint64_t seed = 1; seed <= 40; seed++) {
				struct dev d;
				if (!dev_init(&d, layouts[l], strategies[i]))
					break;
				uint64_t rng = seed * 1000003u + i * 31 + l;
				/* A third of the devices first install v2 for real (a record in the
				 * log), a third install it after the junk (through it: scratch, the
				 * primary's meta sector). */
				if (seed % 3 == 1) {
					assert_int_equal(bh_download_request(&d.h, &d.v2, true), 0);
					assert_int_equal(bh_boot_run(&d.h), 0);
				}
				scramble(&d, &rng);
				if (seed % 3 == 2)
					assert_int_equal(bh_download_request(&d.h, &d.v2, true), 0);
				char what[64];
				snprintf(what, sizeof what, "random contents, seed %u",
					 (unsigned)seed);
				for (int k = 0; k < 4; k++)
					boot_valid(&d, what);
				dev_free(&d);
				runs++;
			}
	printf("# %u devices with random metadata, 4 boots each: every boot ran a valid "
	       "image\n",
	       runs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_stray_word),
		cmocka_unit_test(t_copy_done),
		cmocka_unit_test(t_log_gap),
		cmocka_unit_test(t_lost_tail),
		cmocka_unit_test(t_app_refuses_trailer_download),
		cmocka_unit_test(t_resume_tampered),
		cmocka_unit_test(t_revert_source_tampered),
		cmocka_unit_test(t_request_torn_image_ok),
		cmocka_unit_test(t_surviving_request),
		cmocka_unit_test(t_copy_erased_block_start),
		cmocka_unit_test(t_weak_flags),
		cmocka_unit_test(t_random_contents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
