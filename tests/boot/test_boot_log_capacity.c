/*
 * tests/boot/test_boot_log_capacity.c: the configuration check reserves every entry of
 * the primary's progress log that a full-size upgrade can need, including the one that
 * records the fall to recovery (issue 17).
 *
 * For every preset with a default sweep layout and both recovery strategies: find the
 * largest `attempts` the check accepts, run that configuration end to end with a
 * full-size image that crashes on boot until every trial is used and the recovery image
 * runs, and check that the recovery image cannot confirm the crashing primary (so the
 * next boot is the recovery image again, not the crashing primary). One more attempt must
 * be refused with a message naming the progress log. Under the old check (which forgot
 * the recovery mark) the largest accepted value left no room for the mark, and the
 * recovery image's confirm confirmed the crashing primary. Two trial entries are torn by
 * power cuts on the way, so the spare units the check reserves for torn entries are used
 * up too (with spares, forgetting the mark would otherwise pass unnoticed).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "tests/boot/boot_harness.h"

#define KIB 1024u

/* The default sweep layouts of sim/sweep_file.c: the layouts users get. */
static struct bh_layout layouts[] = {
	{.name = "nrf52840",
	 .preset = "nrf52840",
	 .parts = {{"boot", 0x00000, 48 * KIB, true},
		   {"primary", 0x0C000, 432 * KIB, false},
		   {"upgrade", 0x78000, 432 * KIB, false},
		   {"scratch", 0xE4000, 16 * KIB, false},
		   {"recovery", 0xE8000, 64 * KIB, false}},
	 .nparts = 5},
	{.name = "stm32l4",
	 .preset = "stm32l4",
	 .parts = {{"boot", 0x00000, 48 * KIB, true},
		   {"primary", 0x0C000, 432 * KIB, false},
		   {"upgrade", 0x78000, 432 * KIB, false},
		   {"scratch", 0xE4000, 16 * KIB, false},
		   {"recovery", 0xE8000, 64 * KIB, false}},
	 .nparts = 5},
	{.name = "k64f",
	 .preset = "k64f",
	 .parts = {{"boot", 0x00000, 48 * KIB, true},
		   {"primary", 0x0C000, 432 * KIB, false},
		   {"upgrade", 0x78000, 432 * KIB, false},
		   {"scratch", 0xE4000, 4 * KIB, false},
		   {"recovery", 0xE8000, 64 * KIB, false}},
	 .nparts = 5},
	{.name = "stm32f4",
	 .preset = "stm32f4",
	 .parts = {{"boot", 0x00000, 64 * KIB, true},
		   {"recovery", 0x10000, 64 * KIB, false},
		   {"primary", 0x20000, 384 * KIB, false},
		   {"upgrade", 0x80000, 384 * KIB, false},
		   {"scratch", 0xE0000, 128 * KIB, false}},
	 .nparts = 5},
	{.name = "stm32h7",
	 .preset = "stm32h7",
	 .parts = {{"boot", 0x000000, 128 * KIB, true},
		   {"primary", 0x020000, 768 * KIB, false},
		   {"upgrade", 0x0E0000, 768 * KIB, false},
		   {"scratch", 0x1A0000, 128 * KIB, false},
		   {"recovery", 0x1C0000, 256 * KIB, false}},
	 .nparts = 5},
};

/* The largest attempts value the check accepts (0: none, the strategy does not fit). */
static unsigned largest_accepted(struct bh *h)
{
	unsigned best = 0;
	for (unsigned a = 1; a <= 255; a++) {
		h->cfg.attempts = (uint8_t)a;
		if (bh_reconfig(h) == BO_BOOT_OK)
			best = a;
	}
	return best;
}

/* A boot whose first flash operation (the trial entry) is torn by a power cut: the
 * entry reads as not written and costs one of the log's spare units. */
static void torn_trial_entry(struct bh *h)
{
	jmp_buf jb;
	struct fsim_stats st;
	fsim_get_stats(h->dev, &st);
	fsim_arm_cut(h->dev, &(struct fsim_cut){.op_index = st.mutating_ops,
						 .mode = FSIM_CUT_TORN,
						 .variant = FSIM_TORN_PROG_SOME_BITS, .seed = 3});
	h->on_power_loss = &jb;
	if (setjmp(jb) == 0) {
		(void)bh_boot(h);
		fail_msg("the trial entry was not cut");
	}
	h->on_power_loss = NULL;
	fsim_disarm_cut(h->dev);
}

static void boot_expect(struct bh *h, enum bo_boot_slot slot)
{
	assert_int_equal(bh_boot(h), BO_BOOT_OK);
	assert_int_equal(h->res.slot, slot);
}

static void boundary(const struct bh_layout *l, enum bo_strategy s)
{
	struct bh h;
	struct bh_img v1, v2, rec;
	(void)bh_setup(&h, l, s);
	unsigned a = largest_accepted(&h);
	if (a == 0) {
		printf("# %s %s: refused for every attempts value (%s)\n", l->name,
		       bo_strategy_name(s), h.config_error);
		bh_teardown(&h);
		return;
	}
	if (a < 255) {
		h.cfg.attempts = (uint8_t)(a + 1);
		assert_int_equal(bh_reconfig(&h), BO_BOOT_E_CONFIG);
		assert_non_null(h.config_error);
		assert_non_null(strstr(h.config_error, "progress log"));
	}
	h.cfg.attempts = (uint8_t)a;
	assert_int_equal(bh_reconfig(&h), BO_BOOT_OK);
	printf("# %s %s: largest accepted attempts %u%s\n", l->name, bo_strategy_name(s), a,
	       a < 255 ? ", one more refused" : " (the field's maximum)");
	bh_memo_verify(&h);

	/* Under swap+recovery the reverted image gets the trials: it must crash too. */
	bool swap = s == BO_STRATEGY_SWAP_SCRATCH_RECOVERY;
	bh_image_total(&h, &v1, 11, 1, 0, h.data_limit, swap ? BO_APP_CRASH_ON_BOOT : -1);
	bh_image_total(&h, &v2, 22, 2, 0, h.data_limit, BO_APP_CRASH_ON_BOOT);
	bh_image(&h, &rec, 99, 0, 9, 3000, -1, false);
	bh_factory(&h, &v1, &rec);
	assert_int_equal(bh_download_request(&h, &v2, false), 0);

	if (swap) {
		boot_expect(&h, BO_SLOT_PRIMARY); /* v2's one trial */
		assert_true(bh_running(&h, &v2));
		boot_expect(&h, BO_SLOT_PRIMARY); /* reverted to v1, on trial */
		assert_int_equal(h.res.action, BO_ACT_REVERTED);
		assert_true(bh_running(&h, &v1));
		for (unsigned k = 1; k < a; k++) {
			if (k <= 2)
				torn_trial_entry(&h); /* uses up the spare units */
			boot_expect(&h, BO_SLOT_PRIMARY);
		}
	} else {
		for (unsigned k = 0; k < a; k++) {
			if (k >= 1 && k <= 2)
				torn_trial_entry(&h); /* uses up the spare units */
			boot_expect(&h, BO_SLOT_PRIMARY);
			assert_true(h.res.trial);
			assert_true(bh_running(&h, &v2));
		}
	}
	/* Trials used up: the recovery image runs and cannot confirm the primary. */
	boot_expect(&h, BO_SLOT_RECOVERY);
	assert_int_equal(bh_confirm(&h), 1);
	boot_expect(&h, BO_SLOT_RECOVERY);
	assert_int_equal(fsim_violation_count(h.dev), 0);
	bh_img_free(&v1);
	bh_img_free(&v2);
	bh_img_free(&rec);
	bh_teardown(&h);
}

static void t_recovery(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
		boundary(&layouts[i], BO_STRATEGY_RECOVERY);
}

static void t_swap_scratch_recovery(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof layouts / sizeof layouts[0]; i++)
		boundary(&layouts[i], BO_STRATEGY_SWAP_SCRATCH_RECOVERY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_recovery),
		cmocka_unit_test(t_swap_scratch_recovery),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
