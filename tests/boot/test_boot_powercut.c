/*
 * tests/boot/test_boot_powercut.c: a power-cut smoke test of the bootloader (a small preview
 * of the sweep engine, not the engine).
 *
 * Workloads on nrf52840 with swap-scratch, v1 (2 sectors and a bit) in the primary, v2 of
 * 3 sectors:
 *   confirm:    download v2, request a test upgrade, boot (install, trial), the app
 *               confirms, boot, boot;
 *   no-confirm: the same with a v2 that never confirms: trial boot, revert (v1 runs), boot.
 * The workload runs once to number its mutating flash operations 0..N-1. Then for every
 * n in [0, N] (N: a cut that never fires) and every mode (between, and each torn variant of
 * op n's kind), the device is restored to the snapshot taken before the workload, the cut is
 * armed, and the workload runs until power is lost; then the device keeps booting (the app
 * confirming when it can) until a boot changes nothing and nothing is on trial, at most 5
 * extra boots, and one more boot must change nothing. The device must end running a
 * verified image byte-identical to v1 or v2 (only v1 when v2 never confirms), and flashsim
 * must have recorded no violation.
 *
 * ECDSA verifications and hashes are memoized on their exact inputs (bh_memo_verify).
 * BOOT_PC_SEEDS=k tries k seeds per torn cut; BOOT_PC_ALL=1 also runs every strategy on
 * nrf52840, k64f and the mixed-sector stm32f4 layout (recovery strategies may end in the
 * recovery image, and after a torn confirm of a good image); BOOT_PC_METASTABLE=1 makes
 * the cells a torn cut touched read unstably until erased (exploratory, not a contract of
 * the bootloader yet: it currently fails there, on a weak image_ok after a torn confirm and
 * on weak 1-byte log entries / copy_done marks on stm32f4, which read erased and get
 * programmed again).
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

#define MAX_OPS 4096
#define EXTRA_BOOTS 5

/* A workload: layout, strategy, and whether v2 confirms itself. */
struct wl {
	const struct bh_layout *layout;
	enum bo_strategy strategy;
	bool revert; /* v2 never confirms */
};

struct pc {
	const struct wl *w;
	struct bh h;
	struct bh_img v1, v2, rec;
	struct fsim_snapshot *snap;
	uint64_t base;                 /* op index of the snapshot */
	uint64_t nops;                 /* mutating ops of the uncut workload */
	bool is_erase[MAX_OPS];        /* kind of each op of the uncut workload */
	uint32_t op_off[MAX_OPS];      /* and its offset */
	bool confirm_cut;              /* this run's cut is a torn write of the primary image_ok */
	unsigned failures;
	jmp_buf jb;
};

static void record(void *ctx, const struct fsim_trace_event *ev)
{
	struct pc *p = ctx;
	if (ev->kind == FSIM_OP_READ)
		return;
	uint64_t i = ev->op_index - p->base;
	if (i < MAX_OPS) {
		p->is_erase[i] = ev->kind == FSIM_OP_ERASE;
		p->op_off[i] = ev->off;
	}
}

/* The workload; a power cut longjmps out of it. */
static void workload(struct pc *p)
{
	struct bh *h = &p->h;
	if (bh_download_request(h, &p->v2, false))
		fail_msg("download/request failed without a cut");
	for (int i = 0; i < 3; i++)
		if (bh_boot_run(h))
			fail_msg("boot failed: %d", h->res.error);
}

/* After power returns: boot until a boot changes nothing and nothing is on trial. */
static int settle(struct pc *p)
{
	struct bh *h = &p->h;
	for (int i = 0; i <= EXTRA_BOOTS; i++) {
		if (bh_boot(h))
			return -1;
		(void)bh_run_app(h);
		if (h->res.slot != BO_SLOT_NONE && h->res.action == BO_ACT_NONE && !h->res.trial)
			return i;
	}
	return -1;
}

/* "op 52 torn erase variant 0 seed 7 (primary+0x6b000)" */
static const char *describe(struct pc *p, const struct fsim_cut *c, bool is_erase)
{
	static char buf[160];
	char where[48] = "";
	uint64_t n = c->op_index - p->base;
	for (size_t i = 0; n < p->nops && i < fsim_partition_count(p->h.dev); i++) {
		const struct fsim_partition *pt = fsim_partition_at(p->h.dev, i);
		uint32_t off = p->op_off[n];
		if (off >= pt->off && off - pt->off < pt->size)
			snprintf(where, sizeof where, " (%s+0x%x)", pt->name, off - pt->off);
	}
	if (c->mode == FSIM_CUT_BETWEEN)
		snprintf(buf, sizeof buf, "op %llu between%s", (unsigned long long)c->op_index, where);
	else
		snprintf(buf, sizeof buf, "op %llu torn %s variant %u seed %llu%s",
			 (unsigned long long)c->op_index, is_erase ? "erase" : "program", c->variant,
			 (unsigned long long)c->seed, where);
	return buf;
}

/* The primary's image_ok offset on the device. */
static uint32_t image_ok_addr(struct pc *p)
{
	const struct fsim_partition *pr = bh_part(&p->h, "primary");
	uint32_t wu = fsim_geometry(p->h.dev)->write_unit;
	struct bo_trailer_layout tl;
	assert_int_equal(bo_trailer_layout(pr->size, wu > 8 ? wu : 8, &tl), 0);
	return pr->off + tl.image_ok_off;
}

/* A confirm was torn: image_ok reads neither set nor erased, or (metastable cells) the cut
 * was a torn write of it. Such an image can never be confirmed reliably (the unit is
 * written once, weak cells read at random until erased), so it ends its trial boots
 * unconfirmed, as in MCUboot. */
static bool torn_confirm(struct pc *p)
{
	uint8_t v;
	assert_int_equal(fsim_peek(p->h.dev, image_ok_addr(p), &v, 1), 0);
	return p->confirm_cut || (v != 0x01 && v != 0xff);
}

/* Which images may run at the end. Swaps: v1 or v2, and only v1 if v2 never confirms.
 * Overwrite: v1 or v2. Recovery: v1 or v2 (if it confirms), else the recovery image. The
 * recovery strategies may also end in the recovery image when a good image's confirm was
 * torn (see torn_confirm). */
static bool acceptable(struct pc *p, bool v1, bool v2, bool rec)
{
	enum bo_strategy s = p->w->strategy;
	bool swap = s == BO_STRATEGY_SWAP_SCRATCH || s == BO_STRATEGY_SWAP_MOVE ||
		    s == BO_STRATEGY_SWAP_SCRATCH_RECOVERY;
	if (rec)
		return (s == BO_STRATEGY_RECOVERY && p->w->revert) ||
		       ((s == BO_STRATEGY_RECOVERY || s == BO_STRATEGY_SWAP_SCRATCH_RECOVERY) &&
			torn_confirm(p));
	if (swap)
		return p->w->revert ? v1 : v1 || v2;
	if (s == BO_STRATEGY_RECOVERY)
		return v1 || (v2 && !p->w->revert);
	return v1 || v2;
}

/* A failed cut run: print the first few, count all. */
static void report(struct pc *p, const struct fsim_cut *cut, bool is_erase, const char *what)
{
	if (p->failures++ < 20)
		print_error("%s %s %s: %s: %s\n", p->w->layout->name, bo_strategy_name(p->w->strategy),
			    p->w->revert ? "no-confirm" : "confirm", describe(p, cut, is_erase), what);
}

/* One cut: restore, arm, run, settle, check. */
static void one_cut(struct pc *p, const struct fsim_cut *cut, bool is_erase, unsigned *fired)
{
	struct bh *h = &p->h;
	char what[256];
	uint64_t n = cut->op_index - p->base;
	p->confirm_cut = cut->mode == FSIM_CUT_TORN && n < p->nops && !p->is_erase[n] &&
			 p->op_off[n] == image_ok_addr(p);
	assert_int_equal(fsim_snapshot_restore(h->dev, p->snap), 0);
	fsim_arm_cut(h->dev, cut);
	h->on_power_loss = &p->jb;
	if (setjmp(p->jb) == 0)
		workload(p);
	else
		(*fired)++;
	fsim_disarm_cut(h->dev);
	h->on_power_loss = NULL;

	int extra = settle(p);
	bool v1 = bh_running(h, &p->v1), v2 = bh_running(h, &p->v2);
	bool rec = h->res.slot == BO_SLOT_RECOVERY && bh_running(h, &p->rec);
	size_t viol = fsim_violation_count(h->dev);
	if (extra < 0 || !acceptable(p, v1, v2, rec) || viol) {
		const struct fsim_violation *v = fsim_violation_at(h->dev, 0);
		snprintf(what, sizeof what,
			 "after %d extra boots: error %d slot %d action %s trial %d running %s, "
			 "refused %s; %zu violations%s%s",
			 extra, h->res.error, h->res.slot, bo_boot_action_name(h->res.action),
			 h->res.trial, v1 ? "v1" : v2 ? "v2" : rec ? "recovery" : "none",
			 bo_image_errname(h->res.refused), viol, v ? ", first: " : "",
			 v ? fsim_violation_name(v->kind) : "");
		report(p, cut, is_erase, what);
		return;
	}
	/* Stable means stable: one more boot changes nothing. */
	const struct bh_img *img = v1 ? &p->v1 : v2 ? &p->v2 : &p->rec;
	if (bh_boot(h) || h->res.action != BO_ACT_NONE || !bh_running(h, img)) {
		snprintf(what, sizeof what, "not stable: error %d action %s", h->res.error,
			 bo_boot_action_name(h->res.action));
		report(p, cut, is_erase, what);
	}
}

/* Returns the number of failed cut runs (each printed). */
static unsigned sweep(const struct wl *w)
{
	struct pc *p = calloc(1, sizeof *p);
	assert_non_null(p);
	struct bh *h = &p->h;
	bool revert = w->revert;
	p->w = w;
	assert_int_equal(bh_setup(h, w->layout, w->strategy), 0);
	bh_memo_verify(h);
	/* v2 spans 3 sectors; v1 a little over 2 (of the layout's primary). */
	uint32_t start, z;
	assert_int_equal(fsim_sector_of(h->dev, bh_part(h, "primary")->off, NULL, &start, &z), 0);
	size_t s1 = 2 * z + 1000, s2 = 3 * z - 100;
	if (s2 > h->data_limit) { /* big sectors: two images that fit */
		s1 = h->data_limit / 3;
		s2 = h->data_limit - 100;
	}
	bh_image_total(h, &p->v1, 11, 1, 0, s1, -1);
	bh_image_total(h, &p->v2, 22, 2, 0, s2, revert ? BO_APP_NO_CONFIRM : -1);
	bh_image(h, &p->rec, 99, 0, 9, 3000, -1, false);
	bh_factory(h, &p->v1, &p->rec);

	struct fsim_stats st;
	fsim_get_stats(h->dev, &st);
	p->base = st.mutating_ops;
	p->snap = fsim_snapshot_take(h->dev);
	assert_non_null(p->snap);

	/* The uncut run: number the ops, and check the plain outcome. */
	fsim_set_trace(h->dev, record, p);
	workload(p);
	fsim_set_trace(h->dev, NULL, NULL);
	fsim_get_stats(h->dev, &st);
	p->nops = st.mutating_ops - p->base;
	assert_true(p->nops > 0 && p->nops < MAX_OPS);
	assert_true(settle(p) >= 0);
	assert_true(acceptable(p, bh_running(h, &p->v1), bh_running(h, &p->v2),
			       bh_running(h, &p->rec)));
	assert_int_equal(fsim_violation_count(h->dev), 0);

	unsigned runs = 0, fired = 0;
	/* BOOT_PC_SEEDS=k tries k seeds per torn cut (default 1). */
	const char *env = getenv("BOOT_PC_SEEDS");
	uint64_t seeds = env && atoi(env) > 0 ? (uint64_t)atoi(env) : 1;
	bool meta = getenv("BOOT_PC_METASTABLE") != NULL; /* torn cells then read unstably */
	for (uint64_t n = 0; n <= p->nops; n++) {
		bool er = n < p->nops && p->is_erase[n];
		struct fsim_cut cut = {.op_index = p->base + n, .mode = FSIM_CUT_BETWEEN};
		one_cut(p, &cut, er, &fired);
		runs++;
		if (n == p->nops)
			break;
		for (uint32_t v = 0; v < fsim_torn_variants(er); v++) {
			for (uint64_t k = 0; k < seeds; k++) {
				cut = (struct fsim_cut){.op_index = p->base + n,
							.mode = FSIM_CUT_TORN,
							.variant = v,
							.seed = (n * 31 + v + 1) ^ (k << 32),
							.metastable = meta};
				one_cut(p, &cut, er, &fired);
				runs++;
			}
		}
	}
	print_message("    %s %s %s: %llu ops, %u cut runs, %u cuts fired; ECDSA memo %llu hits, "
		      "%llu misses\n",
		      w->layout->name, bo_strategy_name(w->strategy), revert ? "no-confirm" : "confirm",
		      (unsigned long long)p->nops, runs, fired,
		      (unsigned long long)h->memo.hits, (unsigned long long)h->memo.misses);
	assert_int_equal(fired, runs - 1); /* every cut but the one past the end */
	unsigned failures = p->failures;
	if (failures)
		print_error("%u of %u cut runs failed\n", failures, runs);

	fsim_snapshot_free(p->snap);
	bh_img_free(&p->v1);
	bh_img_free(&p->v2);
	bh_img_free(&p->rec);
	bh_teardown(h);
	free(p);
	return failures;
}

static const struct wl wl_confirm = {&bh_nrf52840, BO_STRATEGY_SWAP_SCRATCH, false};
static const struct wl wl_revert = {&bh_nrf52840, BO_STRATEGY_SWAP_SCRATCH, true};

static void test_confirm(void **state)
{
	(void)state;
	assert_int_equal(sweep(&wl_confirm), 0);
}

static void test_revert(void **state)
{
	(void)state;
	assert_int_equal(sweep(&wl_revert), 0);
}

/* BOOT_PC_ALL=1: every strategy on nrf52840, k64f and the mixed stm32f4 layouts, both
 * workloads (a few seconds more; for bootloader work, not run by default). */
static void test_all(void **state)
{
	(void)state;
	const struct bh_layout *layouts[] = {&bh_nrf52840, &bh_k64f, &bh_stm32f4_mixed_swap};
	unsigned failures = 0;
	if (!getenv("BOOT_PC_ALL"))
		skip();
	for (size_t l = 0; l < sizeof layouts / sizeof layouts[0]; l++)
		for (int s = 0; s <= BO_STRATEGY_SWAP_SCRATCH_RECOVERY; s++)
			for (int r = 0; r < 2; r++) {
				struct wl w = {layouts[l], (enum bo_strategy)s, r != 0};
				if (s == BO_STRATEGY_SWAP_MOVE && !layouts[l]->uniform)
					continue;
				failures += sweep(&w);
			}
	assert_int_equal(failures, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_confirm),
		cmocka_unit_test(test_revert),
		cmocka_unit_test(test_all),
	};
	return cmocka_run_group_tests_name("boot power-cut smoke", tests, NULL, NULL);
}
