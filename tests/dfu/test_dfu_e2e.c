/*
 * tests/dfu/test_dfu_e2e.c: a whole mesh DFU over the in-memory message pump: an Initiator
 * (core/dfu/initiator.h) uploads a real signed image to a Distributor (distributor.h: the
 * Firmware Distribution Server with its slots on a flashsim device, driving the Targets
 * through its Firmware Update Client), which distributes it to three Targets, each a
 * flashsim nrf52840 with the bootloader (tests/boot/boot_harness.h) and a Firmware Update
 * Server; "reboot" is bo_boot(). Deterministic by seed, lossless and lossy.
 *
 * Variants: the base case (every Target boots the new version), lossy; an untrusted image
 * (VERIFY_FAIL everywhere, never applied, and never offered again); a no-confirm image that
 * one Target boots on trial and reverts (not offered to it again); the Distributor
 * power-cut mid-distribution (RAM poisoned, restored from flash: it resumes and completes);
 * a Target power-cut mid-transfer (resumes from its stored blocks); cancel by the
 * Initiator; an UNPROV-effect Target.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blob_pump.h"
#include "core/dfu/distributor.h"
#include "core/dfu/dfu_srv.h"
#include "core/dfu/initiator.h"
#include "core/dfu/metadata.h"
#include "tests/boot/boot_harness.h"

#define INIT_ADDR 0x0001
#define DIST_ADDR 0x0100
#define TGT_ADDR0 0x0010
#define GROUP 0xc001
#define NTGT 3
#define UPLOAD_BLOB_ID 0x1122334455667788ull
#define TIMEOUT_BASE 2
#define PAYLOAD_LEN 20000u
#define SECTOR 4096u
#define HOUR (3600ull * 1000000ull)
/* target storage partition (0xF8000, 8 x 4 KiB): BLOB server state, then dfu_srv record */
#define BLOB_STATE_OFF 0xF8000u
#define DFU_STATE_OFF 0xFA000u
#define STATE_SIZE 0x2000u
/* distributor flash: slot 0 image (8 sectors), slot 0 state (2), distribution state (2),
 * slot 1 image (8), slot 1 state (2), then the pump's "state" partition (2) for its BLOB
 * server */
#define SLOT_SECTORS 8u
#define DIST_SECTORS (2u * SLOT_SECTORS + 6u)

struct tgt {
	struct pump_node *pn;
	struct bh h;
	struct bo_dfu_srv srv;
	struct bo_dfu_srv_config cfg;
	enum bo_dfu_effect effect;
	bool trial; /* apply as a test (revertible) upgrade */
	struct bo_keyring no_keys; /* distrust: its update server trusts no key */
	unsigned applies, reboots;
	uint64_t rx_msgs, chunks; /* unicast messages received, chunks received */
};

struct fx {
	struct pump pump; /* first: a target finds fx from its pump */
	struct tgt t[NTGT];
	struct bh builder;
	struct bh_img img_old, img_new;
	uint8_t md[BO_DFU_METADATA_MAXLEN];
	size_t md_len;
	uint8_t fwid[BO_DFU_FWID_LEN];
	/* distributor */
	struct pump_node *dn;
	struct pump_flash dfl;
	struct bo_distributor dist;
	struct bo_distributor_config dcfg;
	/* initiator */
	struct pump_node *in_node;
	struct pump_flash ifl;
	struct bo_initiator in;
	struct bo_initiator_config icfg;
	unsigned done_calls;
	bool success;
	/* variant hooks */
	bool cut_dist, dist_cut_done;
	bool cut_dist_confirm; /* cut once the targets applied, before they are confirmed */
	uint64_t cut_dist_at;  /* > 0: cut at the Distributor's cut_dist_at-th message */
	uint64_t dist_msgs;
	enum bo_dfd_phase restored;
	bool cut_tgt, tgt_cut_done;
	uint8_t progress_after_cut;
	bool cancel, cancelled;
	bool suspend, suspended;
	uint8_t mode;    /* 0: push */
	bool unicast;    /* no group: the Distributor sends to each target */
};

/* ---- targets (as tests/dfu/test_dfu_update.c) ---------------------------------------- */

static int md_check(void *ctx, struct bo_dfu_srv *srv, uint8_t idx, const uint8_t *md, size_t len,
		    enum bo_dfu_effect *effect)
{
	struct tgt *t = ctx;
	struct bo_dfu_metadata m;

	(void)srv;
	(void)idx;
	if (bo_dfu_metadata_decode(md, len, &m) != BO_DFU_OK)
		return -1;
	*effect = t->effect;
	return 0;
}

static void tgt_boot(struct tgt *t)
{
	struct bo_app_state st;

	t->cfg.running = t->h.res.image.hdr.version;
	/* what the bootloader says about an apply that did not take (dfu_srv.h) */
	t->cfg.boot_reverted = t->h.res.action == BO_ACT_REVERTED || t->h.res.slot == BO_SLOT_RECOVERY;
	bo_dfu_srv_init(&t->srv, &t->cfg);
	(void)bo_dfu_srv_restore(&t->srv);
	/* the application reports an update applied once its image is confirmed (by itself,
	 * or by the bootloader for a permanent install): -1 when none is awaited */
	if (t->h.res.slot == BO_SLOT_PRIMARY && bh_state(&t->h, &st) == 0 && st.confirmed)
		(void)bo_dfu_srv_applied(&t->srv);
}

/* Apply: request the upgrade, reboot (RAM poisoned). A no-confirm image on trial runs
 * without confirming and resets: the next boot reverts it. */
static void cb_apply(void *ctx, struct bo_dfu_srv *srv)
{
	struct tgt *t = ctx;

	(void)srv;
	t->applies++;
	assert_int_equal(bh_request(&t->h, !t->trial), 0);
	memset(&t->srv, 0xa5, sizeof(t->srv));
	pump_node_reset(t->pn);
	assert_int_equal(bh_boot(&t->h), 0);
	switch (bh_run_app(&t->h)) {
	case BO_APP_NO_CONFIRM:
		if (t->trial) {
			assert_int_equal(bh_boot(&t->h), 0);
			assert_int_not_equal(bh_run_app(&t->h), -1);
		}
		break;
	case BO_APP_CRASH_ON_BOOT:
		/* it resets before its mesh stack comes up, every boot: a dead node */
		t->pn->online = false;
		t->reboots++;
		return;
	default:
		break;
	}
	t->reboots++;
	tgt_boot(t);
}

static void tgt_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		   size_t len)
{
	struct tgt *t = owner;

	if (rx->dst == t->pn->addr)
		t->rx_msgs++; /* unicast to it (group messages reach every subscriber) */
	if (op == BO_OP_BLOB_CHUNK)
		t->chunks++;
	(void)bo_dfu_srv_handle(&t->srv, rx, op, p, len);
}

static void tgt_timer(void *owner, uint32_t id)
{
	struct tgt *t = owner;

	assert_int_equal(bo_dfu_srv_timer(&t->srv, id), 1);
}

static void tgt_setup(struct fx *f, size_t i, enum bo_strategy s)
{
	struct tgt *t = &f->t[i];

	memset(t, 0, sizeof(*t));
	assert_int_equal(bh_setup(&t->h, &bh_nrf52840, s), 0);
	bh_memo_verify(&t->h);
	bh_factory(&t->h, &f->img_old, NULL);
	assert_int_equal(bh_boot(&t->h), 0);
	assert_int_equal(t->h.res.slot, BO_SLOT_PRIMARY);
	assert_int_not_equal(bh_run_app(&t->h), -1);
	t->pn = pump_add_node(&f->pump, (uint16_t)(TGT_ADDR0 + i), tgt_rx, tgt_timer, t);
	pump_subscribe(t->pn, GROUP);
	t->cfg.mesh = &t->pn->port;
	t->cfg.timer_base = 2;
	t->cfg.blob.mesh = &t->pn->port;
	t->cfg.blob.storage = t->h.cfg.upgrade;
	t->cfg.blob.state = (struct bo_flash_area){&t->h.port, BLOB_STATE_OFF, STATE_SIZE};
	t->cfg.blob.timer_base = 0;
	t->cfg.slot = t->h.cfg.upgrade;
	t->cfg.verify_limit = t->h.data_limit;
	t->cfg.crypto = &t->h.crypto;
	t->cfg.keys = &t->h.ring;
	t->cfg.state = (struct bo_flash_area){&t->h.port, DFU_STATE_OFF, STATE_SIZE};
	t->cfg.cb = (struct bo_dfu_srv_cb){t, md_check, NULL, cb_apply, NULL};
	tgt_boot(t);
}

static void tgt_power_cycle(struct tgt *t)
{
	memset(&t->srv, 0xa5, sizeof(t->srv));
	pump_node_reset(t->pn);
	tgt_boot(t);
}

/* ---- distributor ---------------------------------------------------------------------- */

static void dist_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		    size_t len)
{
	struct fx *f = owner;

	(void)bo_distributor_handle(&f->dist, rx, op, p, len);
}

static void dist_timer(void *owner, uint32_t id)
{
	struct fx *f = owner;

	assert_int_equal(bo_distributor_timer(&f->dist, id), 1);
}

static struct bo_flash_area sub_area(const struct pump_flash *fl, uint32_t first, uint32_t n)
{
	struct bo_flash_area a = {.flash = &fl->port, .off = fl->blob.off + first * SECTOR,
				  .size = n * SECTOR};

	return a;
}

static void dist_boot(struct fx *f)
{
	bo_distributor_init(&f->dist, &f->dcfg);
	f->restored = bo_distributor_restore(&f->dist);
}

static void dist_setup(struct fx *f)
{
	f->dn = pump_add_node(&f->pump, DIST_ADDR, dist_rx, dist_timer, f);
	pump_flash_init(&f->dfl, SECTOR, DIST_SECTORS, 4);
	memset(&f->dcfg, 0, sizeof(f->dcfg));
	f->dcfg.dfd.mesh = &f->dn->port;
	f->dcfg.dfd.slots[0].image = sub_area(&f->dfl, 0, SLOT_SECTORS);
	f->dcfg.dfd.slots[0].state = sub_area(&f->dfl, SLOT_SECTORS, 2);
	f->dcfg.dfd.slots[1].image = sub_area(&f->dfl, SLOT_SECTORS + 4, SLOT_SECTORS);
	f->dcfg.dfd.slots[1].state = sub_area(&f->dfl, 2 * SLOT_SECTORS + 4, 2);
	f->dcfg.dfd.slot_count = 2;
	f->dcfg.dfd.state = sub_area(&f->dfl, SLOT_SECTORS + 2, 2);
	f->dcfg.dfd.blob.state = f->dfl.state;
	f->dcfg.timer_base = 0;
	f->dcfg.block_size_log = 12;
	dist_boot(f);
}

/* ---- initiator ------------------------------------------------------------------------ */

static void init_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		    size_t len)
{
	struct fx *f = owner;

	(void)bo_initiator_handle(&f->in, rx, op, p, len);
}

static void init_timer(void *owner, uint32_t id)
{
	struct fx *f = owner;

	assert_int_equal(bo_initiator_timer(&f->in, id), 1);
}

static void init_done(void *ctx, struct bo_initiator *in, bool success)
{
	struct fx *f = ctx;

	(void)in;
	f->done_calls++;
	f->success = success;
}

static bool is_done(void *ctx)
{
	return ((struct fx *)ctx)->done_calls > 0;
}

static void init_setup(struct fx *f, const struct bh_img *img)
{
	f->in_node = pump_add_node(&f->pump, INIT_ADDR, init_rx, init_timer, f);
	pump_flash_init(&f->ifl, SECTOR, 8, 4);
	assert_int_equal(fsim_load_bytes(f->ifl.dev, f->ifl.blob.off, img->bytes, img->len), 0);
	memset(&f->icfg, 0, sizeof(f->icfg));
	f->icfg.mesh = &f->in_node->port;
	f->icfg.timer_base = 0;
	f->icfg.distributor = DIST_ADDR;
	f->icfg.retries = 2;
	f->icfg.poll_us = 2000000u;
	f->icfg.poll_max_us = 8000000u;
	f->icfg.retry_backoff_us = 2000000u;
	f->icfg.upload.block_size_log = 12;
	f->icfg.cb = (struct bo_initiator_cb){f, init_done};
	bo_initiator_init(&f->in, &f->icfg);
}

static void make_md(struct fx *f, const struct bh_img *img)
{
	struct bo_dfu_metadata m = {
		.major = img->ver.major, .minor = img->ver.minor, .revision = img->ver.revision,
		.build = img->ver.build, .fw_size = (uint32_t)img->len, .core_type = BO_DFU_CORE_APP,
		.comp_hash = 0x12345678u, .elems = 1,
	};
	int n = bo_dfu_metadata_encode(&m, f->md, BO_DFU_METADATA_MAXLEN);

	assert_true(n > 0);
	f->md_len = (size_t)n;
	bo_dfu_fwid_from_version(&img->ver, f->fwid);
}

/* Start a run of the Initiator with img_new (as loaded in its flash). */
static void run_start(struct fx *f, uint8_t policy)
{
	struct bo_initiator_image img = {
		.area = f->ifl.blob, .size = (uint32_t)f->img_new.len,
		.fwid = f->fwid, .fwid_len = sizeof(f->fwid),
		.metadata = f->md, .metadata_len = f->md_len,
		.blob_id = UPLOAD_BLOB_ID, .timeout_base = TIMEOUT_BASE,
	};
	struct bo_initiator_dist dist = {
		.app_idx = 0, .ttl = 5, .timeout_base = TIMEOUT_BASE,
		.mode = f->mode ? f->mode : BO_BLOB_MODE_PUSH, .policy = policy,
		.group = f->unicast ? BO_MESH_ADDR_UNASSIGNED : GROUP,
	};
	uint16_t addrs[NTGT];

	for (size_t i = 0; i < NTGT; i++)
		addrs[i] = (uint16_t)(TGT_ADDR0 + i);
	f->done_calls = 0;
	/* A target listed twice, or an address that is no node's, is refused before anything
	 * is sent (the Distributor would keep one entry, and the Initiator wait for two). */
	uint16_t bad[2] = {TGT_ADDR0, TGT_ADDR0};
	assert_int_equal(bo_initiator_start(&f->in, &img, &dist, bad, NULL, 2), -1);
	bad[1] = GROUP;
	assert_int_equal(bo_initiator_start(&f->in, &img, &dist, bad, NULL, 2), -1);
	assert_int_equal(bo_initiator_start(&f->in, &img, &dist, addrs, NULL, NTGT), 0);
	assert_int_equal(bo_initiator_start(&f->in, &img, &dist, addrs, NULL, NTGT), -1);
}

static bool run(struct fx *f)
{
	return pump_run(&f->pump, f->pump.now + 4 * HOUR, is_done, f);
}

/* ---- hooks ---------------------------------------------------------------------------- */

static void observe(void *ctx, const struct pump_event *ev)
{
	struct fx *f = ctx;

	if (getenv("E2E_DEBUG") && ev->kind == PUMP_EV_MSG)
		fprintf(stderr, "t=%.3f %04x->%04x op %04x len %zu [%02x %02x]\n",
			(double)ev->t / 1e6, ev->rx.src, ev->rx.dst, (unsigned)ev->opcode, ev->len,
			ev->len > 0 ? ev->data[0] : 0, ev->len > 1 ? ev->data[1] : 0);
	if (ev->kind != PUMP_EV_MSG)
		return;
	if (ev->node == f->dn && ++f->dist_msgs == f->cut_dist_at && f->cut_dist_at) {
		f->dist_cut_done = true;
		memset(&f->dist, 0xa5, sizeof(f->dist));
		pump_node_reset(f->dn);
		dist_boot(f);
	}
	/* the Distributor loses power once a third of the targets' blocks are out */
	if (f->cut_dist && !f->dist_cut_done && ev->node == f->dn &&
	    ((!f->cut_dist_confirm && bo_dfu_cli_state(&f->dist.cli) == BO_DFU_CLI_BLOB &&
	      f->dist.cli.blob.block >= 2) ||
	     (f->cut_dist_confirm && bo_dfu_cli_state(&f->dist.cli) == BO_DFU_CLI_CONFIRM))) {
		f->dist_cut_done = true;
		memset(&f->dist, 0xa5, sizeof(f->dist));
		pump_node_reset(f->dn);
		dist_boot(f);
	}
	/* target 0 loses power once it stored a third of the image */
	if (f->cut_tgt && !f->tgt_cut_done && ev->node == f->t[0].pn &&
	    bo_blob_srv_progress(&f->t[0].srv.blob) >= 30) {
		f->tgt_cut_done = true;
		tgt_power_cycle(&f->t[0]);
		f->progress_after_cut = bo_blob_srv_progress(&f->t[0].srv.blob);
	}
	/* the Initiator suspends the distribution mid-transfer */
	if (f->suspend && !f->suspended && bo_initiator_state(&f->in) == BO_INITIATOR_POLL &&
	    bo_dfu_cli_state(&f->dist.cli) == BO_DFU_CLI_BLOB && f->dist.cli.blob.block >= 2) {
		f->suspended = true;
		assert_int_equal(bo_initiator_suspend(&f->in), 0);
	}
	/* the Initiator cancels mid-transfer */
	if (f->cancel && !f->cancelled && ev->opcode == BO_OP_BLOB_CHUNK &&
	    ev->rx.src == DIST_ADDR && f->t[0].chunks > 10) {
		f->cancelled = true;
		assert_int_equal(bo_initiator_cancel(&f->in), 0);
	}
}

/* ---- fixture -------------------------------------------------------------------------- */

struct opts {
	uint32_t loss_permille;
	uint64_t seed;
	enum bo_strategy strategy;
	int behaviour; /* of the new image, -1: none */
	bool rogue;
};

static struct fx *fx_new(const struct opts *o)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	pump_init(&f->pump, o->seed ? o->seed : 7, o->loss_permille, 2000);
	f->pump.observe = observe;
	f->pump.observe_ctx = f;
	assert_int_equal(bh_setup(&f->builder, &bh_nrf52840, BO_STRATEGY_OVERWRITE), 0);
	bh_image(&f->builder, &f->img_old, 1, 1, 0, PAYLOAD_LEN, -1, false);
	bh_image(&f->builder, &f->img_new, 2, 2, 1, PAYLOAD_LEN, o->behaviour, o->rogue);
	make_md(f, &f->img_new);
	for (size_t i = 0; i < NTGT; i++)
		tgt_setup(f, i, o->strategy);
	dist_setup(f);
	init_setup(f, &f->img_new);
	return f;
}

static void fx_free(struct fx *f)
{
	for (size_t i = 0; i < NTGT; i++)
		bh_teardown(&f->t[i].h);
	bh_teardown(&f->builder);
	bh_img_free(&f->img_old);
	bh_img_free(&f->img_new);
	pump_free(&f->pump);
	pump_flash_free(&f->dfl);
	pump_flash_free(&f->ifl);
	free(f);
}

static void debug_report(struct fx *f, const char *name)
{
	if (!getenv("E2E_DEBUG"))
		return;
	fprintf(stderr, "%s: done at %.1f s, dist phase %d, %llu delivered, %llu lost\n", name,
		(double)f->pump.now / 1e6, bo_distributor_phase(&f->dist),
		(unsigned long long)f->pump.delivered, (unsigned long long)f->pump.lost);
	for (size_t i = 0; i < NTGT; i++)
		fprintf(stderr, "  target %zu: result %u tries %u last phase %u status %u\n", i,
			f->in.targets[i].result, f->in.targets[i].tries,
			f->in.targets[i].last.phase, f->in.targets[i].last.update_status);
}

static void assert_updated(struct fx *f, size_t i)
{
	struct tgt *t = &f->t[i];

	assert_int_equal(f->in.targets[i].result, BO_INITIATOR_UPDATED);
	assert_int_equal(t->applies, 1);
	assert_true(bh_running(&t->h, &f->img_new));
	assert_true(t->srv.applied);
	/* a power-on later it still runs the new version */
	assert_int_equal(bh_boot(&t->h), 0);
	assert_true(bh_running(&t->h, &f->img_new));
}

/* ---- variants ------------------------------------------------------------------------- */

static void base(const struct opts *o, const char *name)
{
	struct fx *f = fx_new(o);

	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	debug_report(f, name);
	assert_int_equal(f->done_calls, 1);
	assert_true(f->success);
	assert_int_equal(bo_initiator_state(&f->in), BO_INITIATOR_DONE);
	assert_int_equal(bo_distributor_phase(&f->dist), BO_DFD_PHASE_COMPLETED);
	for (size_t i = 0; i < NTGT; i++)
		assert_updated(f, i);
	fx_free(f);
}

static void test_base(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};

	(void)state;
	base(&o, "base");
}

static void test_lossy(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 2; seed++) {
		struct opts o = {.loss_permille = 50, .seed = seed,
				 .strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};

		base(&o, "lossy");
	}
}

/* The distribution in pull mode (to the group), and in push mode unicast (no group). */
static void test_pull_and_unicast(void **state)
{
	(void)state;
	for (int v = 0; v < 2; v++) {
		struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};
		struct fx *f = fx_new(&o);

		f->mode = v == 0 ? BO_BLOB_MODE_PULL : BO_BLOB_MODE_PUSH;
		f->unicast = v == 1;
		run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
		assert_true(run(f));
		debug_report(f, v == 0 ? "pull" : "unicast");
		assert_true(f->success);
		assert_int_equal(f->dist.cli.blob.x.mode, f->mode);
		assert_int_equal(f->dist.cli.blob.x.group, f->unicast ? 0 : GROUP);
		for (size_t i = 0; i < NTGT; i++)
			assert_updated(f, i);
		fx_free(f);
	}
}

/* (b) An untrusted image: every Target fails its verification (VERIFY_FAIL), none applies;
 * the Initiator remembers the refusal and a second run does not offer it again. */
static void test_verify_fail(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1, .rogue = true};
	struct fx *f = fx_new(&o);
	uint64_t msgs[NTGT];

	(void)state;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	debug_report(f, "verify-fail");
	assert_false(f->success);
	assert_int_equal(bo_distributor_phase(&f->dist), BO_DFD_PHASE_FAILED);
	for (size_t i = 0; i < NTGT; i++) {
		struct tgt *t = &f->t[i];

		assert_int_equal(f->in.targets[i].result, BO_INITIATOR_VERIFY_FAILED);
		assert_int_equal(f->in.targets[i].tries, 1); /* not retried */
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_FAIL);
		assert_int_equal(t->applies, 0);
		assert_true(bo_initiator_refused(&f->in, t->pn->addr, f->fwid, sizeof(f->fwid)));
		assert_int_equal(bh_boot(&t->h), 0);
		assert_true(bh_running(&t->h, &f->img_old));
		msgs[i] = t->rx_msgs;
	}
	/* the same image again: not offered, nothing sent to the targets */
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	assert_false(f->success);
	for (size_t i = 0; i < NTGT; i++) {
		assert_int_equal(f->in.targets[i].result, BO_INITIATOR_REFUSED_BEFORE);
		assert_int_equal(f->t[i].rx_msgs, msgs[i]);
	}
	fx_free(f);
}

/* (b) Only target 1 fails the verification (its update server trusts no key): it ends
 * VERIFY_FAILED and is never applied, the others update; a second run of the same image does
 * not offer it to target 1, and finds targets 0 and 2 running it already (no BLOB). */
static void test_verify_fail_one(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};
	struct fx *f = fx_new(&o);
	uint64_t msgs, chunks[NTGT];

	(void)state;
	f->t[1].cfg.keys = &f->t[1].no_keys;
	tgt_boot(&f->t[1]);
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	debug_report(f, "verify-fail one");
	assert_false(f->success);
	assert_int_equal(bo_distributor_phase(&f->dist), BO_DFD_PHASE_COMPLETED);
	assert_updated(f, 0);
	assert_updated(f, 2);
	assert_int_equal(f->in.targets[1].result, BO_INITIATOR_VERIFY_FAILED);
	assert_int_equal(f->in.targets[1].tries, 1);
	assert_int_equal(bo_dfu_srv_phase(&f->t[1].srv), BO_DFU_PHASE_VERIFY_FAIL);
	assert_int_equal(f->t[1].applies, 0);
	assert_true(bh_running(&f->t[1].h, &f->img_old));
	assert_true(bo_initiator_refused(&f->in, TGT_ADDR0 + 1, f->fwid, sizeof(f->fwid)));
	assert_false(bo_initiator_refused(&f->in, TGT_ADDR0, f->fwid, sizeof(f->fwid)));

	msgs = f->t[1].rx_msgs;
	for (size_t i = 0; i < NTGT; i++)
		chunks[i] = f->t[i].chunks;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	debug_report(f, "verify-fail one, again");
	assert_int_equal(f->in.targets[1].result, BO_INITIATOR_REFUSED_BEFORE);
	assert_int_equal(f->t[1].rx_msgs, msgs);
	assert_int_equal(f->in.targets[0].result, BO_INITIATOR_UPDATED);
	assert_int_equal(f->in.targets[2].result, BO_INITIATOR_UPDATED);
	for (size_t i = 0; i < NTGT; i++) {
		assert_int_equal(f->t[i].chunks, chunks[i]);
		assert_int_equal(f->t[i].applies, i == 1 ? 0 : 1);
	}
	fx_free(f);
}

/* (c) A no-confirm image: targets 0 and 1 install it permanently, target 2 boots it on
 * trial, does not confirm, and the next boot reverts it: REVERTED, and a second run of the
 * same image does not offer it to target 2 again; a later image (another FWID, in the
 * Distributor's second slot) is offered to it and installed. */
static void test_no_confirm_reverts(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_SWAP_MOVE, .behaviour = BO_APP_NO_CONFIRM};
	struct fx *f = fx_new(&o);
	uint64_t msgs;

	(void)state;
	f->t[2].trial = true;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	debug_report(f, "no-confirm");
	assert_false(f->success);
	assert_int_equal(bo_distributor_phase(&f->dist), BO_DFD_PHASE_COMPLETED);
	for (size_t i = 0; i < 2; i++)
		assert_updated(f, i);
	assert_int_equal(f->in.targets[2].result, BO_INITIATOR_REVERTED);
	assert_int_equal(f->in.targets[2].tries, 1);
	assert_int_equal(f->t[2].applies, 1);
	assert_int_equal(f->t[2].h.res.action, BO_ACT_REVERTED);
	assert_true(bh_running(&f->t[2].h, &f->img_old));
	assert_true(bo_initiator_refused(&f->in, TGT_ADDR0 + 2, f->fwid, sizeof(f->fwid)));
	assert_false(bo_initiator_refused(&f->in, TGT_ADDR0, f->fwid, sizeof(f->fwid)));

	msgs = f->t[2].rx_msgs;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	assert_int_equal(f->in.targets[2].result, BO_INITIATOR_REFUSED_BEFORE);
	assert_int_equal(f->t[2].rx_msgs, msgs);
	assert_int_equal(f->t[2].applies, 1);

	/* the refusal is of that image (FWID) only: a good 3.0 is offered to every target */
	bh_img_free(&f->img_new);
	bh_image(&f->builder, &f->img_new, 3, 3, 0, PAYLOAD_LEN, -1, false);
	make_md(f, &f->img_new);
	assert_int_equal(fsim_load_bytes(f->ifl.dev, f->ifl.blob.off, f->img_new.bytes,
					 (uint32_t)f->img_new.len), 0);
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	debug_report(f, "no-confirm, then 3.0");
	assert_true(f->success);
	for (size_t i = 0; i < NTGT; i++) {
		assert_int_equal(f->in.targets[i].result, BO_INITIATOR_UPDATED);
		assert_int_equal(f->t[i].applies, 2);
		assert_true(bh_running(&f->t[i].h, &f->img_new));
		assert_int_equal(bh_boot(&f->t[i].h), 0); /* confirmed: it stays */
		assert_true(bh_running(&f->t[i].h, &f->img_new));
	}
	fx_free(f);
}

static bool is_cut(void *ctx)
{
	return ((struct fx *)ctx)->dist_cut_done;
}

/* A crash-on-boot image installed permanently leaves every target unbootable: silent after
 * Apply (UNBOOTABLE, not retried), and never offered that image again. */
static void test_unbootable(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = BO_APP_CRASH_ON_BOOT};
	struct fx *f = fx_new(&o);

	(void)state;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	debug_report(f, "unbootable");
	assert_false(f->success);
	for (size_t i = 0; i < NTGT; i++) {
		assert_int_equal(f->in.targets[i].result, BO_INITIATOR_UNBOOTABLE);
		assert_int_equal(f->in.targets[i].tries, 1);
		assert_int_equal(f->t[i].applies, 1);
		assert_true(bo_initiator_refused(&f->in, f->t[i].pn->addr, f->fwid,
						 sizeof(f->fwid)));
	}
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	for (size_t i = 0; i < NTGT; i++)
		assert_int_equal(f->in.targets[i].result, BO_INITIATOR_REFUSED_BEFORE);
	fx_free(f);
}

/* (d) The Distributor loses power mid-distribution (RAM poisoned, restored from flash): it
 * resumes the distribution with the same BLOB and completes; every target updates. */
static void test_distributor_power_cut(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};
	struct fx *f = fx_new(&o);
	uint64_t chunks = 0;

	(void)state;
	f->cut_dist = true;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	debug_report(f, "distributor cut");
	assert_true(f->dist_cut_done);
	assert_int_equal(f->restored, BO_DFD_PHASE_TRANSFER_ACTIVE);
	assert_true(f->success);
	assert_int_equal(bo_distributor_phase(&f->dist), BO_DFD_PHASE_COMPLETED);
	for (size_t i = 0; i < NTGT; i++) {
		assert_updated(f, i);
		assert_int_equal(f->in.targets[i].tries, 1);
		chunks += f->t[i].chunks;
	}
	/* the targets kept their stored blocks: far less than two whole images each */
	{
		uint32_t cs = f->dist.cli.blob.chunk_size;
		uint64_t per = (f->img_new.len + cs - 1) / cs;

		assert_true(chunks < NTGT * (per + per / 2));
	}
	fx_free(f);
}

static bool dist_active(void *ctx)
{
	struct fx *f = ctx;

	return bo_dfd_srv_phase(&f->dist.dfd) == BO_DFD_PHASE_TRANSFER_ACTIVE;
}

/* A distribution to more receivers than 8-bit counts and one Receivers Add message hold
 * (issue 15): the Initiator adds 300 (the three targets and 297 absent addresses) in
 * batches, the Distributor takes every one into its update client and keeps the list over
 * a restore from flash (a 16-bit count in its record). */
static void test_many_receivers(void **state)
{
	enum { N = 300 };
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};
	struct fx *f = fx_new(&o);
	struct bo_initiator_image img = {
		.area = f->ifl.blob, .size = (uint32_t)f->img_new.len,
		.fwid = f->fwid, .fwid_len = sizeof(f->fwid),
		.metadata = f->md, .metadata_len = f->md_len,
		.blob_id = UPLOAD_BLOB_ID, .timeout_base = TIMEOUT_BASE,
	};
	struct bo_initiator_dist dist = {.ttl = 5, .timeout_base = TIMEOUT_BASE,
					 .mode = BO_BLOB_MODE_PUSH,
					 .policy = BO_DFD_POLICY_VERIFY_AND_APPLY, .group = GROUP};
	uint16_t addrs[N];

	(void)state;
	_Static_assert(N <= BO_INITIATOR_TARGETS_MAX && N <= BO_DFD_SRV_RECEIVERS_MAX,
		       "host builds take more than 255 receivers");
	for (size_t i = 0; i < N; i++)
		addrs[i] = (uint16_t)(i < NTGT ? TGT_ADDR0 + i : 0x0400u + i);
	assert_int_equal(bo_initiator_start(&f->in, &img, &dist, addrs, NULL, N), 0);
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, dist_active, f));
	for (int boot = 0; boot < 2; boot++) {
		assert_int_equal(f->dist.dfd.receiver_count, N);
		for (size_t i = 0; i < N; i++)
			assert_int_equal(f->dist.dfd.receivers[i].addr, addrs[i]);
		if (boot == 0) {
			assert_int_equal(f->dist.cli.ntargets, N);
			dist_boot(f); /* the record read back */
		}
	}
	fx_free(f);
}

/* The Distributor loses power after the targets applied, before it confirmed them: resumed,
 * it finds them running the new FWID (Information Get) and does not send the image again. */
static void test_distributor_power_cut_confirm(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};
	struct fx *f = fx_new(&o);
	uint64_t chunks[NTGT];

	(void)state;
	f->cut_dist = true;
	f->cut_dist_confirm = true;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, is_cut, f));
	for (size_t i = 0; i < NTGT; i++)
		chunks[i] = f->t[i].chunks;
	assert_true(run(f));
	debug_report(f, "distributor cut in confirm");
	assert_int_equal(f->restored, BO_DFD_PHASE_TRANSFER_ACTIVE);
	assert_true(f->success);
	assert_int_equal(bo_distributor_phase(&f->dist), BO_DFD_PHASE_COMPLETED);
	for (size_t i = 0; i < NTGT; i++) {
		assert_updated(f, i); /* applied once */
		assert_int_equal(f->t[i].chunks, chunks[i]);
	}
	fx_free(f);
}

/* The Distributor loses power at its k-th message, for k over the whole run (upload,
 * receivers, distribution, apply, confirm; every message lossless, every 7th at 5 % loss):
 * the run still ends with every target updated exactly once. */
static void test_distributor_cut_sweep(void **state)
{
	unsigned runs = 0;

	(void)state;
	for (uint32_t loss = 0; loss <= 50; loss += 50) {
		for (uint64_t k = 1; k <= 150; k += loss ? 7 : 1) {
			struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1,
					 .loss_permille = loss, .seed = k};
			struct fx *f = fx_new(&o);

			f->cut_dist_at = k;
			run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
			assert_true(run(f));
			if (getenv("E2E_DEBUG") || !f->success) {
				fprintf(stderr, "cut at message %llu, loss %u\n", (unsigned long long)k,
					loss);
				debug_report(f, "cut sweep");
			}
			assert_true(f->success);
			for (size_t i = 0; i < NTGT; i++)
				assert_updated(f, i);
			runs += f->dist_cut_done;
			if (getenv("E2E_DEBUG"))
				fprintf(stderr, "k %llu: %llu messages to the distributor\n",
					(unsigned long long)k, (unsigned long long)f->dist_msgs);
			fx_free(f);
		}
	}
	if (getenv("E2E_DEBUG"))
		fprintf(stderr, "distributor cut sweep: %u cuts\n", runs);
	assert_true(runs > 150);
}

/* 10 % loss, six seeds (E2E_SEEDS=n: n): the Distributor and target 0 both lose power
 * mid-transfer; every run ends with every target updated exactly once. */
static void test_lossy_cuts(void **state)
{
	uint64_t seeds = getenv("E2E_SEEDS") ? strtoull(getenv("E2E_SEEDS"), NULL, 10) : 6;

	(void)state;
	for (uint64_t seed = 1; seed <= seeds; seed++) {
		struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1,
				 .loss_permille = getenv("E2E_LOSS") ? (uint32_t)atoi(getenv("E2E_LOSS")) : 100,
				 .seed = seed};
		struct fx *f = fx_new(&o);

		f->cut_dist = true;
		f->cut_tgt = true;
		run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
		assert_true(run(f));
		if (!f->success)
			fprintf(stderr, "seed %llu\n", (unsigned long long)seed);
		debug_report(f, "lossy cuts");
		assert_true(f->dist_cut_done);
		assert_true(f->tgt_cut_done);
		assert_true(f->success);
		for (size_t i = 0; i < NTGT; i++)
			assert_updated(f, i);
		fx_free(f);
	}
}

/* (e) Target 0 loses power mid-transfer: it resumes from its stored blocks, not from 0. */
static void test_target_power_cut(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};
	struct fx *f = fx_new(&o);
	uint32_t cs;
	uint64_t per;

	(void)state;
	f->cut_tgt = true;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	debug_report(f, "target cut");
	assert_true(f->tgt_cut_done);
	assert_true(f->progress_after_cut >= 30);
	assert_true(f->success);
	for (size_t i = 0; i < NTGT; i++)
		assert_updated(f, i);
	cs = f->dist.cli.blob.chunk_size;
	per = (f->img_new.len + cs - 1) / cs;
	assert_true(f->t[0].chunks < per + per / 2);
	fx_free(f);
}

static bool is_suspended(void *ctx)
{
	return bo_initiator_state(&((struct fx *)ctx)->in) == BO_INITIATOR_SUSPENDED;
}

/* (f) The Initiator suspends the distribution mid-transfer: nothing more is sent to the
 * targets (their BLOB servers time out and keep their blocks); resumed, it continues from
 * the stored blocks and completes. */
static void test_suspend_resume(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};
	struct fx *f = fx_new(&o);
	uint64_t chunks[NTGT];
	uint32_t cs;
	uint64_t per;

	(void)state;
	f->suspend = true;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, is_suspended, f));
	assert_int_equal(bo_distributor_phase(&f->dist), BO_DFD_PHASE_TRANSFER_SUSPENDED);
	assert_int_equal(bo_initiator_suspend(&f->in), -1);
	(void)pump_run(&f->pump, f->pump.now + 1000000u, NULL, NULL); /* in flight */
	for (size_t i = 0; i < NTGT; i++)
		chunks[i] = f->t[i].chunks;
	/* long enough for the targets' BLOB receive timeouts */
	(void)pump_run(&f->pump, f->pump.now + 600ull * 1000000u, NULL, NULL);
	assert_int_equal(f->done_calls, 0);
	for (size_t i = 0; i < NTGT; i++) {
		assert_int_equal(f->t[i].chunks, chunks[i]);
		assert_true(bo_blob_srv_progress(&f->t[i].srv.blob) > 0);
	}
	assert_int_equal(bo_initiator_resume(&f->in), 0);
	assert_true(run(f));
	debug_report(f, "suspend/resume");
	assert_true(f->success);
	assert_int_equal(bo_distributor_phase(&f->dist), BO_DFD_PHASE_COMPLETED);
	cs = f->dist.cli.blob.chunk_size;
	per = (f->img_new.len + cs - 1) / cs;
	for (size_t i = 0; i < NTGT; i++) {
		assert_updated(f, i);
		assert_true(f->t[i].chunks < per + per / 2); /* not from zero */
	}
	fx_free(f);
}

/* (g) The Initiator cancels mid-transfer: the Distributor cancels on every target, nothing
 * is applied, every target is back to IDLE. */
static void test_cancel(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};
	struct fx *f = fx_new(&o);

	(void)state;
	f->cancel = true;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	debug_report(f, "cancel");
	assert_true(f->cancelled);
	assert_false(f->success);
	assert_int_equal(bo_distributor_phase(&f->dist), BO_DFD_PHASE_IDLE);
	(void)pump_run(&f->pump, f->pump.now + 10000000u, NULL, NULL);
	for (size_t i = 0; i < NTGT; i++) {
		assert_int_equal(f->in.targets[i].result, BO_INITIATOR_CANCELLED);
		assert_int_equal(f->t[i].applies, 0);
		assert_int_equal(bo_dfu_srv_phase(&f->t[i].srv), BO_DFU_PHASE_IDLE);
		assert_true(bh_running(&f->t[i].h, &f->img_old));
	}
	fx_free(f);
}

/* (h) Target 2's update has the UNPROV effect: it comes back unprovisioned (silent), which
 * is success. */
static void test_unprov(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};
	struct fx *f = fx_new(&o);

	(void)state;
	f->t[2].effect = BO_DFU_EFFECT_UNPROV;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(run(f));
	debug_report(f, "unprov");
	assert_true(f->success);
	for (size_t i = 0; i < NTGT; i++)
		assert_updated(f, i);
	assert_true(bo_dfu_srv_is_unprovisioned(&f->t[2].srv));
	fx_free(f);
}

static bool in_backoff(void *ctx)
{
	struct fx *f = ctx;

	return bo_initiator_state(&f->in) == BO_INITIATOR_BACKOFF || f->done_calls > 0;
}

/* Retry: target 1 is offline during the first distribution (LOST), back for the second
 * round: it is retried after the backoff and updated; target 2 stays offline: LOST after
 * 1 + retries distributions. */
static void test_retry_lost(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};
	struct fx *f = fx_new(&o);
	uint64_t t_round1;

	(void)state;
	f->t[1].pn->online = false;
	f->t[2].pn->online = false;
	run_start(f, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_true(pump_run(&f->pump, f->pump.now + 4 * HOUR, in_backoff, f));
	assert_int_equal(f->done_calls, 0);
	assert_int_equal(f->in.round, 1);
	assert_int_equal(f->in.targets[0].result, BO_INITIATOR_UPDATED);
	assert_int_equal(f->in.targets[1].result, BO_INITIATOR_PENDING);
	assert_int_equal(f->t[1].applies, 0);
	t_round1 = f->pump.now;
	f->t[1].pn->online = true;
	assert_true(run(f));
	debug_report(f, "retry");
	assert_true(f->pump.now - t_round1 >= f->icfg.retry_backoff_us);
	assert_false(f->success);
	assert_updated(f, 0);
	assert_updated(f, 1);
	assert_int_equal(f->in.targets[0].tries, 1);
	assert_int_equal(f->in.targets[1].tries, 2);
	assert_int_equal(f->in.targets[2].result, BO_INITIATOR_LOST);
	assert_int_equal(f->in.targets[2].tries, 1 + f->icfg.retries);
	assert_int_equal(f->t[2].applies, 0);
	/* lost is not a refusal: the image may be offered again */
	assert_false(bo_initiator_refused(&f->in, TGT_ADDR0 + 2, f->fwid, sizeof(f->fwid)));
	fx_free(f);
}

/* Verify only: every target verifies and keeps running the old image; then Distribution
 * Apply: every target updates, without the image sent again. */
static void test_verify_only(void **state)
{
	struct opts o = {.strategy = BO_STRATEGY_OVERWRITE, .behaviour = -1};
	struct fx *f = fx_new(&o);

	(void)state;
	run_start(f, BO_DFD_POLICY_VERIFY_ONLY);
	assert_true(run(f));
	debug_report(f, "verify only");
	assert_true(f->success);
	assert_int_equal(bo_distributor_phase(&f->dist), BO_DFD_PHASE_TRANSFER_SUCCESS);
	for (size_t i = 0; i < NTGT; i++) {
		assert_int_equal(f->in.targets[i].result, BO_INITIATOR_VERIFIED);
		assert_int_equal(bo_dfu_srv_phase(&f->t[i].srv), BO_DFU_PHASE_VERIFY_OK);
		assert_int_equal(f->t[i].applies, 0);
		assert_true(bh_running(&f->t[i].h, &f->img_old));
	}
	/* then apply: the Distributor's client applies the verified targets (no BLOB) */
	for (size_t i = 0; i < NTGT; i++)
		f->t[i].chunks = 0;
	f->done_calls = 0;
	assert_int_equal(bo_initiator_apply(&f->in), 0);
	assert_int_equal(bo_initiator_apply(&f->in), -1);
	assert_true(run(f));
	debug_report(f, "apply after verify only");
	assert_true(f->success);
	assert_int_equal(bo_distributor_phase(&f->dist), BO_DFD_PHASE_COMPLETED);
	for (size_t i = 0; i < NTGT; i++) {
		assert_updated(f, i);
		assert_int_equal(f->t[i].chunks, 0);
	}
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base),
		cmocka_unit_test(test_lossy),
		cmocka_unit_test(test_pull_and_unicast),
		cmocka_unit_test(test_verify_fail),
		cmocka_unit_test(test_verify_fail_one),
		cmocka_unit_test(test_no_confirm_reverts),
		cmocka_unit_test(test_unbootable),
		cmocka_unit_test(test_distributor_power_cut),
		cmocka_unit_test(test_many_receivers),
		cmocka_unit_test(test_distributor_power_cut_confirm),
		cmocka_unit_test(test_distributor_cut_sweep),
		cmocka_unit_test(test_lossy_cuts),
		cmocka_unit_test(test_target_power_cut),
		cmocka_unit_test(test_suspend_resume),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_unprov),
		cmocka_unit_test(test_retry_lost),
		cmocka_unit_test(test_verify_only),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
