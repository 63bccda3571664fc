/*
 * tests/boot/test_boot_strategies.c: every update strategy of core/boot/boot.h, end to end
 * on a simulated flash device: permanent and test upgrades, confirm and revert, refusals
 * (rogue key, corrupt, downgrade, too big), recovery after failed trial boots, and the
 * combined revert-then-recovery. Slot contents are checked byte for byte against the images.
 *
 * One run covers one layout: `test_boot_strategies <layout>` with layout one of nrf52840,
 * stm32f4, stm32f4-mixed, stm32f4-mixed-swap, k64f. Strategies the layout cannot support
 * must be refused by the configuration check with a reason (BO_BOOT_E_CONFIG).
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

struct tcase {
	const struct bh_layout *layout;
	enum bo_strategy strategy;
};

static bool is_swap(enum bo_strategy s)
{
	return s == BO_STRATEGY_SWAP_SCRATCH || s == BO_STRATEGY_SWAP_MOVE ||
	       s == BO_STRATEGY_SWAP_SCRATCH_RECOVERY;
}


/* A device with the case's layout and strategy, attempts = 2 (so that "N trial boots" is not
 * the default 3 by accident), factory primary v1 (1.0) and a recovery image. */
struct fix {
	struct bh h;
	struct bh_img v1, v2, rec;
	uint8_t attempts;
};

static void fix_init(struct fix *f, void **state, int v1_behaviour, int v2_behaviour)
{
	const struct tcase *c = *state;
	memset(f, 0, sizeof *f);
	assert_int_equal(bh_setup(&f->h, c->layout, c->strategy), BO_BOOT_OK);
	f->h.cfg.attempts = f->attempts = 2;
	assert_int_equal(bh_reconfig(&f->h), BO_BOOT_OK);
	uint32_t lim = f->h.data_limit;
	assert_true(lim > 0);
	bh_image_total(&f->h, &f->v1, 11, 1, 0, lim / 3 + 123, v1_behaviour);
	bh_image_total(&f->h, &f->v2, 22, 2, 0, lim / 2 + 77, v2_behaviour);
	bh_image(&f->h, &f->rec, 99, 0, 9, 5000, -1, false);
	bh_factory(&f->h, &f->v1, &f->rec);
}

static void fix_free(struct fix *f)
{
	assert_int_equal(fsim_violation_count(f->h.dev), 0);
	bh_img_free(&f->v1);
	bh_img_free(&f->v2);
	bh_img_free(&f->rec);
	bh_teardown(&f->h);
}

/* Boot once and check the outcome. */
static void expect_boot(struct bh *h, enum bo_boot_action act, enum bo_boot_slot slot,
			const struct bh_img *img, bool trial, uint8_t attempts_left)
{
	assert_int_equal(bh_boot(h), BO_BOOT_OK);
	if (h->res.action != act || h->res.slot != slot || h->res.trial != trial)
		print_error("boot %u: action %s slot %d trial %d refused %s\n", h->boots,
			    bo_boot_action_name(h->res.action), h->res.slot, h->res.trial,
			    bo_image_errname(h->res.refused));
	assert_int_equal(h->res.error, BO_BOOT_OK);
	assert_int_equal(h->res.action, act);
	assert_int_equal(h->res.slot, slot);
	assert_int_equal(h->res.trial, trial);
	if (trial)
		assert_int_equal(h->res.attempts_left, attempts_left);
	assert_true(bh_running(h, img));
	assert_int_equal(h->res.image.hdr.version.major, img->ver.major);
}

static void expect_state(struct bh *h, bool confirmed, bool trial, uint8_t attempts_left,
			 bool pending)
{
	struct bo_app_state st;
	assert_int_equal(bh_state(h, &st), 0);
	assert_int_equal(st.confirmed, confirmed);
	assert_int_equal(st.trial, trial);
	if (trial)
		assert_int_equal(st.attempts_left, attempts_left);
	assert_int_equal(st.upgrade_pending, pending);
}

/* After an install of `now` over `before`: primary holds now; a swap left before in the
 * upgrade slot. */
static void expect_slots(struct fix *f, const struct bh_img *now, const struct bh_img *before)
{
	assert_true(bh_holds(&f->h, "primary", now));
	if (is_swap(f->h.cfg.strategy))
		assert_true(bh_holds(&f->h, "upgrade", before));
}

static bool range_erased(struct bh *h, uint32_t off, uint32_t len)
{
	uint8_t buf[1024];
	while (len) {
		uint32_t n = len < sizeof buf ? len : (uint32_t)sizeof buf;
		assert_int_equal(fsim_peek(h->dev, off, buf, n), 0);
		for (uint32_t i = 0; i < n; i++)
			if (buf[i] != 0xff)
				return false;
		off += n;
		len -= n;
	}
	return true;
}

/* A refused request is discarded: the upgrade slot's first and last sectors are erased. */
static void expect_discarded(struct bh *h, enum bo_image_err why, const struct bh_img *running)
{
	const struct fsim_partition *up = bh_part(h, "upgrade");
	uint32_t start, size;
	expect_boot(h, BO_ACT_DISCARDED, BO_SLOT_PRIMARY, running, false, 0);
	assert_true(h->res.refused_upgrade);
	assert_int_equal(h->res.refused_slot, BO_SLOT_PRIMARY);
	if (h->res.refused != why)
		print_error("refused %s, expected %s\n", bo_image_errname(h->res.refused),
			    bo_image_errname(why));
	assert_int_equal(h->res.refused, why);
	assert_int_equal(fsim_sector_of(h->dev, up->off, NULL, &start, &size), 0);
	assert_true(range_erased(h, start, size));
	assert_int_equal(fsim_sector_of(h->dev, up->off + up->size - 1, NULL, &start, &size), 0);
	assert_true(range_erased(h, start, size));
	expect_state(h, true, false, 0, false);
	/* Never retried, never booted. */
	expect_boot(h, BO_ACT_NONE, BO_SLOT_PRIMARY, running, false, 0);
}

/* ---- Scenarios --------------------------------------------------------------------- */

/* The factory image boots as is, confirmed, with nothing pending. */
static void t_factory(void **state)
{
	struct fix f;
	fix_init(&f, state, -1, -1);
	expect_state(&f.h, true, false, 0, false);
	for (int i = 0; i < 3; i++)
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &f.v1, false, 0);
	assert_true(bh_holds(&f.h, "primary", &f.v1));
	fix_free(&f);
}

static void t_perm(void **state)
{
	struct fix f;
	fix_init(&f, state, -1, -1);
	assert_int_equal(bh_download_request(&f.h, &f.v2, true), 0);
	expect_state(&f.h, true, false, 0, true);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2, false, 0);
	expect_slots(&f, &f.v2, &f.v1);
	expect_state(&f.h, true, false, 0, false);
	/* A permanent image needs no confirm: it stays even if it never confirms. */
	for (int i = 0; i < 3; i++)
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &f.v2, false, 0);
	expect_slots(&f, &f.v2, &f.v1);
	fix_free(&f);
}

/* A test upgrade that confirms itself stays. */
static void t_test_confirm(void **state)
{
	struct fix f;
	fix_init(&f, state, -1, -1);
	enum bo_strategy s = f.h.cfg.strategy;
	bool trial = s != BO_STRATEGY_OVERWRITE;
	uint8_t left = s == BO_STRATEGY_RECOVERY ? (uint8_t)(f.attempts - 1) : 0;

	assert_int_equal(bh_download_request(&f.h, &f.v2, false), 0);
	expect_state(&f.h, true, false, 0, true);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2, trial, left);
	expect_slots(&f, &f.v2, &f.v1);
	expect_state(&f.h, !trial, trial, left, false);
	assert_int_equal(bh_run_app(&f.h), BO_APP_GOOD); /* confirms */
	expect_state(&f.h, true, false, 0, false);
	assert_int_equal(bh_confirm(&f.h), 0); /* idempotent */
	for (int i = 0; i < 4; i++)
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &f.v2, false, 0);
	expect_slots(&f, &f.v2, &f.v1);
	fix_free(&f);
}

/* A test upgrade that never confirms: swaps revert to the old image (which then runs
 * confirmed, or on trial for swap+recovery); recovery falls to the recovery image after
 * `attempts` trial boots; overwrite has no trial at all. */
static void t_test_revert(void **state)
{
	struct fix f;
	fix_init(&f, state, -1, BO_APP_NO_CONFIRM);
	enum bo_strategy s = f.h.cfg.strategy;
	assert_int_equal(bh_download_request(&f.h, &f.v2, false), 0);

	switch (s) {
	case BO_STRATEGY_OVERWRITE:
		expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2, false, 0);
		assert_int_equal(bh_run_app(&f.h), BO_APP_NO_CONFIRM);
		for (int i = 0; i < 3; i++)
			expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &f.v2, false, 0);
		break;
	case BO_STRATEGY_SWAP_SCRATCH:
	case BO_STRATEGY_SWAP_MOVE:
		expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2, true, 0);
		assert_int_equal(bh_run_app(&f.h), BO_APP_NO_CONFIRM);
		expect_state(&f.h, false, true, 0, false);
		expect_boot(&f.h, BO_ACT_REVERTED, BO_SLOT_PRIMARY, &f.v1, false, 0);
		expect_slots(&f, &f.v1, &f.v2);
		expect_state(&f.h, true, false, 0, false);
		assert_int_equal(bh_run_app(&f.h), BO_APP_GOOD);
		for (int i = 0; i < 3; i++)
			expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &f.v1, false, 0);
		expect_slots(&f, &f.v1, &f.v2);
		break;
	case BO_STRATEGY_SWAP_SCRATCH_RECOVERY:
		expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2, true, 0);
		assert_int_equal(bh_run_app(&f.h), BO_APP_NO_CONFIRM);
		/* The reverted image gets its own trial boots; v1 is good and confirms. */
		expect_boot(&f.h, BO_ACT_REVERTED, BO_SLOT_PRIMARY, &f.v1, true,
			    (uint8_t)(f.attempts - 1));
		expect_slots(&f, &f.v1, &f.v2);
		expect_state(&f.h, false, true, (uint8_t)(f.attempts - 1), false);
		assert_int_equal(bh_run_app(&f.h), BO_APP_GOOD);
		expect_state(&f.h, true, false, 0, false);
		for (int i = 0; i < 3; i++)
			expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &f.v1, false, 0);
		expect_slots(&f, &f.v1, &f.v2);
		break;
	case BO_STRATEGY_RECOVERY:
		for (uint8_t k = 0; k < f.attempts; k++) {
			expect_boot(&f.h, k ? BO_ACT_NONE : BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2,
				    true, (uint8_t)(f.attempts - 1 - k));
			expect_state(&f.h, false, true, (uint8_t)(f.attempts - 1 - k), false);
			assert_int_equal(bh_run_app(&f.h), BO_APP_NO_CONFIRM);
		}
		for (int i = 0; i < 3; i++) {
			expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_RECOVERY, &f.rec, false, 0);
			assert_int_equal(bh_run_app(&f.h), BO_APP_GOOD);
		}
		assert_true(bh_holds(&f.h, "primary", &f.v2));
		break;
	}
	fix_free(&f);
}

/* A crash-on-boot test image: N trial boots, then recovery (recovery); one trial, then the
 * old image (swaps, swap+recovery with a good old image). Then the recovery image installs a
 * fixed image. */
static void t_crash(void **state)
{
	struct fix f;
	struct bh_img v3;
	fix_init(&f, state, -1, BO_APP_CRASH_ON_BOOT);
	enum bo_strategy s = f.h.cfg.strategy;
	assert_int_equal(bh_download_request(&f.h, &f.v2, false), 0);
	if (s == BO_STRATEGY_OVERWRITE) {
		/* No trial, no revert: the crashing image stays (what the strategy promises). */
		for (int i = 0; i < 3; i++) {
			expect_boot(&f.h, i ? BO_ACT_NONE : BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2,
				    false, 0);
			assert_int_equal(bh_run_app(&f.h), BO_APP_CRASH_ON_BOOT);
		}
		fix_free(&f);
		return;
	}
	if (s == BO_STRATEGY_RECOVERY) {
		for (uint8_t k = 0; k < f.attempts; k++) {
			expect_boot(&f.h, k ? BO_ACT_NONE : BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2,
				    true, (uint8_t)(f.attempts - 1 - k));
			assert_int_equal(bh_run_app(&f.h), BO_APP_CRASH_ON_BOOT);
		}
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_RECOVERY, &f.rec, false, 0);
		/* A recovery image that confirms itself like any application must not confirm
		 * the failed primary: the next boot is the recovery image again. */
		assert_int_equal(bh_confirm(&f.h), 1);
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_RECOVERY, &f.rec, false, 0);
		/* The recovery firmware fetches a fixed image (3.0) and installs it on test. */
		bh_image(&f.h, &v3, 33, 3, 0, f.h.data_limit / 4, -1, false);
		assert_int_equal(bh_download_request(&f.h, &v3, false), 0);
		expect_state(&f.h, false, true, 0, true);
		expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &v3, true,
			    (uint8_t)(f.attempts - 1));
		assert_int_equal(bh_run_app(&f.h), BO_APP_GOOD);
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &v3, false, 0);
		assert_true(bh_holds(&f.h, "primary", &v3));
		bh_img_free(&v3);
		fix_free(&f);
		return;
	}
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2, true, 0);
	assert_int_equal(bh_run_app(&f.h), BO_APP_CRASH_ON_BOOT);
	bool rec = s == BO_STRATEGY_SWAP_SCRATCH_RECOVERY;
	expect_boot(&f.h, BO_ACT_REVERTED, BO_SLOT_PRIMARY, &f.v1, rec,
		    (uint8_t)(rec ? f.attempts - 1 : 0));
	assert_int_equal(bh_run_app(&f.h), BO_APP_GOOD);
	expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &f.v1, false, 0);
	expect_slots(&f, &f.v1, &f.v2);
	fix_free(&f);
}

/* Swap + recovery when the old image fails too: revert first, the reverted image gets
 * `attempts` trial boots, then the recovery image. (Plain swaps: the reverted image is not on
 * trial and simply stays.) */
static void t_revert_then_recovery(void **state)
{
	struct fix f;
	fix_init(&f, state, BO_APP_NO_CONFIRM, BO_APP_CRASH_ON_BOOT);
	enum bo_strategy s = f.h.cfg.strategy;
	/* The factory image does not confirm, but nothing is on trial: it keeps booting. */
	for (int i = 0; i < 2; i++) {
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &f.v1, false, 0);
		assert_int_equal(bh_run_app(&f.h), BO_APP_NO_CONFIRM);
	}
	assert_int_equal(bh_download_request(&f.h, &f.v2, false), 0);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2, true, 0);
	assert_int_equal(bh_run_app(&f.h), BO_APP_CRASH_ON_BOOT);
	if (s != BO_STRATEGY_SWAP_SCRATCH_RECOVERY) {
		expect_boot(&f.h, BO_ACT_REVERTED, BO_SLOT_PRIMARY, &f.v1, false, 0);
		assert_int_equal(bh_run_app(&f.h), BO_APP_NO_CONFIRM);
		for (int i = 0; i < 3; i++)
			expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &f.v1, false, 0);
		expect_slots(&f, &f.v1, &f.v2);
		fix_free(&f);
		return;
	}
	for (uint8_t k = 0; k < f.attempts; k++) {
		expect_boot(&f.h, k ? BO_ACT_NONE : BO_ACT_REVERTED, BO_SLOT_PRIMARY, &f.v1, true,
			    (uint8_t)(f.attempts - 1 - k));
		assert_int_equal(bh_run_app(&f.h), BO_APP_NO_CONFIRM);
	}
	expect_slots(&f, &f.v1, &f.v2);
	for (int i = 0; i < 3; i++)
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_RECOVERY, &f.rec, false, 0);
	/* Nothing was lost on the way: both images are still where the revert put them. */
	expect_slots(&f, &f.v1, &f.v2);
	fix_free(&f);
}

/* The number of trial boots is the configured one (0 means 3): a crashing test image on
 * the recovery strategy, a reverted image that never confirms on swap + recovery. */
static void t_attempts(void **state)
{
	static const uint8_t counts[] = {0, 1, 5};
	for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
		struct fix f;
		fix_init(&f, state, BO_APP_NO_CONFIRM, BO_APP_CRASH_ON_BOOT);
		f.h.cfg.attempts = counts[i];
		assert_int_equal(bh_reconfig(&f.h), BO_BOOT_OK);
		uint8_t n = counts[i] ? counts[i] : 3;
		const struct bh_img *trial_img = &f.v2;
		enum bo_boot_action first = BO_ACT_INSTALLED;
		assert_int_equal(bh_download_request(&f.h, &f.v2, false), 0);
		if (f.h.cfg.strategy == BO_STRATEGY_SWAP_SCRATCH_RECOVERY) {
			expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2, true, 0);
			trial_img = &f.v1;
			first = BO_ACT_REVERTED;
		}
		for (uint8_t k = 0; k < n; k++) {
			expect_boot(&f.h, k ? BO_ACT_NONE : first, BO_SLOT_PRIMARY, trial_img, true,
				    (uint8_t)(n - 1 - k));
			expect_state(&f.h, false, true, (uint8_t)(n - 1 - k), false);
			(void)bh_run_app(&f.h);
		}
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_RECOVERY, &f.rec, false, 0);
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_RECOVERY, &f.rec, false, 0);
		fix_free(&f);
	}
}

static void t_rogue(void **state)
{
	struct fix f;
	struct bh_img bad;
	fix_init(&f, state, -1, -1);
	bh_image(&f.h, &bad, 22, 2, 0, f.h.data_limit / 2, -1, true);
	assert_int_equal(bh_download_request(&f.h, &bad, true), 0);
	expect_discarded(&f.h, BO_IMG_E_NO_TRUSTED_KEY, &f.v1);
	assert_true(bh_holds(&f.h, "primary", &f.v1));
	/* Same as a test request. */
	assert_int_equal(bh_download_request(&f.h, &bad, false), 0);
	expect_discarded(&f.h, BO_IMG_E_NO_TRUSTED_KEY, &f.v1);
	bh_img_free(&bad);
	fix_free(&f);
}

static void t_corrupt(void **state)
{
	struct fix f;
	fix_init(&f, state, -1, -1);
	size_t at = f.v2.len / 2; /* inside the payload */
	assert_true(at > 32 && at < f.v2.len - 200);
	f.v2.bytes[at] ^= 0x10;
	assert_int_equal(bh_download_request(&f.h, &f.v2, false), 0);
	expect_discarded(&f.h, BO_IMG_E_HASH_MISMATCH, &f.v1);
	assert_true(bh_holds(&f.h, "primary", &f.v1));
	fix_free(&f);
}

static void t_downgrade(void **state)
{
	struct fix f;
	fix_init(&f, state, -1, -1);
	/* Start from v2 (2.0) in the primary; v1 (1.0) is a downgrade. */
	assert_int_equal(bh_download_request(&f.h, &f.v2, true), 0);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2, false, 0);
	assert_int_equal(bh_download_request(&f.h, &f.v1, true), 0);
	expect_discarded(&f.h, BO_IMG_E_DOWNGRADE, &f.v2);
	assert_true(bh_holds(&f.h, "primary", &f.v2));

	f.h.cfg.allow_downgrade = true;
	assert_int_equal(bh_reconfig(&f.h), BO_BOOT_OK);
	assert_int_equal(bh_download_request(&f.h, &f.v1, true), 0);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v1, false, 0);
	expect_slots(&f, &f.v1, &f.v2);
	expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &f.v1, false, 0);
	fix_free(&f);
}

/* Image sizes: tiny over a full-size one, full-size (exactly data_limit bytes) over tiny, and
 * one byte more than data_limit refused. */
static void t_sizes(void **state)
{
	struct fix f;
	struct bh_img full, tiny, full2, big;
	fix_init(&f, state, -1, -1);
	uint32_t lim = f.h.data_limit;
	bh_image_total(&f.h, &full, 44, 1, 5, lim, -1);
	bh_image(&f.h, &tiny, 55, 2, 0, 300, -1, false);
	bh_image_total(&f.h, &full2, 66, 3, 0, lim, -1);
	bh_image_total(&f.h, &big, 77, 4, 0, (size_t)lim + 1, -1);
	assert_true(tiny.len < 600);

	/* A full-size image installs (downloaded over v1). */
	assert_int_equal(bh_download_request(&f.h, &full, true), 0);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &full, false, 0);
	expect_slots(&f, &full, &f.v1);
	/* Tiny over full: a swap must still move all of the full image out. */
	assert_int_equal(bh_download_request(&f.h, &tiny, true), 0);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &tiny, false, 0);
	expect_slots(&f, &tiny, &full);
	/* Full over tiny. */
	assert_int_equal(bh_download_request(&f.h, &full2, false), 0);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &full2,
		    f.h.cfg.strategy != BO_STRATEGY_OVERWRITE,
		    (uint8_t)(f.h.cfg.strategy == BO_STRATEGY_RECOVERY ? f.attempts - 1 : 0));
	expect_slots(&f, &full2, &tiny);
	assert_int_equal(bh_run_app(&f.h), BO_APP_GOOD);
	expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &full2, false, 0);
	/* One byte too many: the application API refuses to request it (the download reached
	 * the trailer sector); requested anyway, as an imgtool --pad image would, the
	 * bootloader discards it. */
	assert_int_equal(bh_download(&f.h, &big), 0);
	assert_int_equal(bh_request(&f.h, true), BO_BOOT_E_IMAGE);
	expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &full2, false, 0);
	{
		const struct fsim_partition *up = bh_part(&f.h, "upgrade");
		uint32_t wu = fsim_geometry(f.h.dev)->write_unit, a = wu > 8 ? wu : 8;
		struct bo_trailer_layout tl;
		uint8_t magic[64];
		assert_int_equal(bo_trailer_layout(up->size, a, &tl), 0);
		size_t n = bo_trailer_build_magic(magic, sizeof magic, a, 0xff);
		assert_int_equal(fsim_load_bytes(f.h.dev, up->off + tl.magic_block_off, magic,
						 (uint32_t)n),
				 0);
	}
	expect_discarded(&f.h, BO_IMG_E_TOO_BIG, &full2);
	assert_true(bh_holds(&f.h, "primary", &full2));

	bh_img_free(&full);
	bh_img_free(&tiny);
	bh_img_free(&full2);
	bh_img_free(&big);
	fix_free(&f);
}

/* A chain of operations on one device: each new operation starts over a meta sector that
 * holds the previous one's log and flags. */
static void t_chain(void **state)
{
	struct fix f;
	struct bh_img v3, v4;
	fix_init(&f, state, -1, -1);
	enum bo_strategy s = f.h.cfg.strategy;
	bool trial = s != BO_STRATEGY_OVERWRITE;
	uint8_t left = s == BO_STRATEGY_RECOVERY ? (uint8_t)(f.attempts - 1) : 0;
	bh_image(&f.h, &v3, 33, 3, 0, f.h.data_limit / 5, BO_APP_NO_CONFIRM, false);
	bh_image(&f.h, &v4, 44, 4, 0, f.h.data_limit - f.h.data_limit / 3, -1, false);

	assert_int_equal(bh_download_request(&f.h, &f.v2, false), 0);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2, trial, left);
	assert_int_equal(bh_run_app(&f.h), BO_APP_GOOD);
	expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &f.v2, false, 0);

	/* v3 does not confirm. */
	assert_int_equal(bh_download_request(&f.h, &v3, false), 0);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &v3, trial, left);
	expect_slots(&f, &v3, &f.v2);
	assert_int_equal(bh_run_app(&f.h), BO_APP_NO_CONFIRM);
	const struct bh_img *now = &v3;
	if (is_swap(s)) {
		bool rec = s == BO_STRATEGY_SWAP_SCRATCH_RECOVERY;
		expect_boot(&f.h, BO_ACT_REVERTED, BO_SLOT_PRIMARY, &f.v2, rec,
			    (uint8_t)(rec ? f.attempts - 1 : 0));
		expect_slots(&f, &f.v2, &v3);
		assert_int_equal(bh_run_app(&f.h), BO_APP_GOOD);
		now = &f.v2;
	} else if (s == BO_STRATEGY_RECOVERY) {
		for (uint8_t k = 1; k < f.attempts; k++)
			expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &v3, true,
				    (uint8_t)(f.attempts - 1 - k));
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_RECOVERY, &f.rec, false, 0);
		now = NULL;
	}
	if (now)
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, now, false, 0);

	/* A permanent v4 over whatever runs now. */
	assert_int_equal(bh_download_request(&f.h, &v4, true), 0);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &v4, false, 0);
	if (now)
		expect_slots(&f, &v4, now);
	for (int i = 0; i < 2; i++)
		expect_boot(&f.h, BO_ACT_NONE, BO_SLOT_PRIMARY, &v4, false, 0);
	bh_img_free(&v3);
	bh_img_free(&v4);
	fix_free(&f);
}

/* A request made again before booting (e.g. the app retried): still one clean install. */
static void t_rerequest(void **state)
{
	struct fix f;
	fix_init(&f, state, -1, -1);
	assert_int_equal(bh_download_request(&f.h, &f.v2, false), 0);
	assert_int_equal(bh_request(&f.h, true), 0); /* upgraded to permanent */
	expect_state(&f.h, true, false, 0, true);
	expect_boot(&f.h, BO_ACT_INSTALLED, BO_SLOT_PRIMARY, &f.v2, false, 0);
	expect_slots(&f, &f.v2, &f.v1);
	fix_free(&f);
}

/* A strategy the layout cannot support: a clear refusal, nothing touched. */
static void t_config_refused(void **state)
{
	const struct tcase *c = *state;
	struct bh h;
	assert_int_equal(bh_setup(&h, c->layout, c->strategy), BO_BOOT_E_CONFIG);
	assert_non_null(h.config_error);
	/* The reason names the actual problem. */
	if (c->strategy == BO_STRATEGY_SWAP_MOVE && c->layout == &bh_stm32f4_status)
		assert_non_null(strstr(h.config_error, "status partition"));
	else if (c->strategy == BO_STRATEGY_SWAP_MOVE)
		assert_non_null(strstr(h.config_error, "equal sectors"));
	else if (c->strategy == BO_STRATEGY_SWAP_SCRATCH ||
		 c->strategy == BO_STRATEGY_SWAP_SCRATCH_RECOVERY)
		assert_non_null(strstr(h.config_error, "sector boundary"));
	print_message("    %s on %s refused: %s\n", bo_strategy_name(c->strategy), c->layout->name,
		      h.config_error);
	uint64_t hash = fsim_content_hash(h.dev);
	assert_int_equal(bh_boot(&h), BO_BOOT_E_CONFIG);
	assert_int_equal(h.res.error, BO_BOOT_E_CONFIG);
	assert_int_equal(h.res.slot, BO_SLOT_NONE);
	assert_non_null(h.res.config_error);
	assert_int_equal(bh_request(&h, true), BO_BOOT_E_CONFIG);
	assert_int_equal(bh_confirm(&h), BO_BOOT_E_CONFIG);
	struct bo_app_state st;
	assert_int_equal(bh_state(&h, &st), BO_BOOT_E_CONFIG);
	struct fsim_stats stats;
	fsim_get_stats(h.dev, &stats);
	assert_int_equal(stats.mutating_ops, 0);
	assert_true(fsim_content_hash(h.dev) == hash);
	bh_teardown(&h);
}

/* ---- Registration ------------------------------------------------------------------ */

struct scenario {
	const char *name;
	CMUnitTestFunction fn;
	bool swap_only;
	bool recovery_only;
};

static const struct scenario scenarios[] = {
	{"factory", t_factory},
	{"perm", t_perm},
	{"test-confirm", t_test_confirm},
	{"test-revert", t_test_revert},
	{"crash", t_crash},
	{"revert-then-recovery", t_revert_then_recovery, true, false},
	{"attempts", t_attempts, false, true},
	{"rogue", t_rogue},
	{"corrupt", t_corrupt},
	{"downgrade", t_downgrade},
	{"sizes", t_sizes},
	{"chain", t_chain},
	{"rerequest", t_rerequest},
};

static const struct bh_layout *const layouts[] = {&bh_nrf52840,	    &bh_stm32f4,
						   &bh_stm32f4_status,	    &bh_stm32f4_mixed,
						   &bh_stm32f4_mixed_swap, &bh_k64f};

/* Which strategies each layout must accept; the others must be refused. */
static bool supported(const struct bh_layout *l, enum bo_strategy s)
{
	if (l == &bh_stm32f4_mixed)
		return s == BO_STRATEGY_OVERWRITE || s == BO_STRATEGY_RECOVERY;
	if (s == BO_STRATEGY_SWAP_MOVE)
		return l->uniform;
	return true;
}

int main(int argc, char **argv)
{
	const struct bh_layout *l = NULL;
	for (size_t i = 0; argc > 1 && i < sizeof layouts / sizeof layouts[0]; i++)
		if (!strcmp(argv[1], layouts[i]->name))
			l = layouts[i];
	if (!l) {
		fprintf(stderr, "usage: %s nrf52840|stm32f4|stm32f4-status|stm32f4-mixed|"
			"stm32f4-mixed-swap|k64f\n",
			argv[0]);
		return 2;
	}
	enum { NS = BO_STRATEGY_SWAP_SCRATCH_RECOVERY + 1 };
	static struct tcase cases[NS];
	static struct CMUnitTest tests[NS * (sizeof scenarios / sizeof scenarios[0])];
	static char names[sizeof tests / sizeof tests[0]][64];
	size_t n = 0;
	for (int s = 0; s < NS; s++) {
		cases[s] = (struct tcase){l, (enum bo_strategy)s};
		if (!supported(l, (enum bo_strategy)s)) {
			snprintf(names[n], sizeof names[n], "%s/config-refused",
				 bo_strategy_name((enum bo_strategy)s));
			tests[n] = (struct CMUnitTest){names[n], t_config_refused, NULL, NULL,
						       &cases[s]};
			n++;
			continue;
		}
		for (size_t k = 0; k < sizeof scenarios / sizeof scenarios[0]; k++) {
			if (scenarios[k].swap_only && !is_swap((enum bo_strategy)s))
				continue;
			if (scenarios[k].recovery_only && s != BO_STRATEGY_RECOVERY &&
			    s != BO_STRATEGY_SWAP_SCRATCH_RECOVERY)
				continue;
			snprintf(names[n], sizeof names[n], "%s/%s",
				 bo_strategy_name((enum bo_strategy)s), scenarios[k].name);
			tests[n] = (struct CMUnitTest){names[n], scenarios[k].fn, NULL, NULL, &cases[s]};
			n++;
		}
	}
	char group[64];
	snprintf(group, sizeof group, "boot strategies on %s", l->name);
	return _cmocka_run_group_tests(group, tests, n, NULL, NULL);
}
