/*
 * tests/dfu/test_dfu_update.c: the Firmware Update Server (dfu_srv) and Client (dfu_cli).
 *
 * Every Target is a flashsim nrf52840 with the bootloader's partition layout (boot harness,
 * tests/boot/boot_harness.h): the BLOB goes into the upgrade slot, the BLOB server's state
 * and the update server's record live in the "storage" partition, images are real signed
 * MCUboot images (trusted key seed 1, untrusted seed 2), and "reboot" is bo_boot().
 *
 * Part 1, the server's state machine, driven message by message from a capture node on the
 * message pump (tests/dfu/blob_pump.h): every phase transition and error path, the status
 * messages byte-exact. Part 2, end to end: a Distributor (dfu_cli + its BLOB client) and
 * three Targets: the image arrives, verifies, is applied, every Target reboots into it and
 * the client confirms the new FWID; an untrusted image (VERIFY_FAIL, never applied); an
 * UNPROV-effect Target; a Target power-cut mid-transfer that resumes from its stored blocks.
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
#include "core/dfu/dfu_cli.h"
#include "core/dfu/dfu_srv.h"
#include "core/dfu/metadata.h"
#include "core/dfu/timeouts.h"
#include "tests/boot/boot_harness.h"

#define CLI_ADDR 0x0001
#define TGT_ADDR0 0x0010
#define GROUP 0xc001
#define NTGT 3
#define BLOB_ID 0x0123456789abcdefull
#define TIMEOUT_BASE 2
#define PAYLOAD_LEN 20000u
#define HOUR (3600ull * BO_USEC_PER_SEC)
/* storage partition (0xF8000, 8 x 4 KiB): BLOB server state, then our record */
#define BLOB_STATE_OFF 0xF8000u
#define DFU_STATE_OFF 0xFA000u
#define STATE_SIZE 0x2000u

struct tgt {
	struct pump_node *pn;
	struct bh h;
	struct bo_dfu_srv srv;
	struct bo_dfu_srv_config cfg;
	bool md_reject;
	enum bo_dfu_effect effect;
	unsigned applies, reboots, verified_calls;
	enum bo_image_err verify_err;
	bool cut_done;
	bool hold_applied; /* the application never reports the update applied */
	bool force_reverted; /* the next boot's result says reverted (cfg.boot_reverted) */
};

struct fx {
	struct pump pump;
	struct tgt t[NTGT];
	size_t ntgt;
	/* capture node (part 1) */
	struct pump_node *cap;
	uint32_t cap_op;
	uint8_t cap_buf[PUMP_PAYLOAD_MAX];
	size_t cap_len;
	unsigned cap_n;
	uint8_t cap_ttl; /* the TTL the last answer was sent with */
	/* distributor (part 2) */
	struct bh builder; /* builds the images */
	bool have_builder;
	struct pump_node *cn;
	struct bo_dfu_cli cli;
	struct bo_dfu_cli_config ccfg;
	struct bh_img img_old, img_new;
	uint8_t md[BO_DFU_METADATA_MAXLEN];
	size_t md_len;
	uint8_t fwid_new[BO_DFU_FWID_LEN];
	unsigned done_calls;
	bool success;
	/* power cut of target 0 mid-transfer */
	bool cut;
	uint8_t progress_after_cut;
	uint32_t chunks_to_t0;
};

/* ---- targets -------------------------------------------------------------------------- */

static int md_check(void *ctx, struct bo_dfu_srv *srv, uint8_t idx, const uint8_t *md, size_t len,
		    enum bo_dfu_effect *effect)
{
	struct tgt *t = ctx;
	struct bo_dfu_metadata m;

	(void)srv;
	(void)idx;
	if (t->md_reject || bo_dfu_metadata_decode(md, len, &m) != BO_DFU_OK)
		return -1;
	*effect = t->effect;
	return 0;
}

static void tgt_boot(struct tgt *t);

static void cb_verified(void *ctx, struct bo_dfu_srv *srv, enum bo_image_err err)
{
	struct tgt *t = ctx;

	(void)srv;
	t->verified_calls++;
	t->verify_err = err;
}

/* Apply: request the upgrade from the bootloader, then reboot (RAM poisoned). */
static void cb_apply(void *ctx, struct bo_dfu_srv *srv)
{
	struct tgt *t = ctx;

	(void)srv;
	t->applies++;
	assert_int_equal(bh_request(&t->h, true), 0);
	memset(&t->srv, 0xa5, sizeof(t->srv));
	pump_node_reset(t->pn);
	assert_int_equal(bh_boot(&t->h), 0);
	assert_int_not_equal(bh_run_app(&t->h), -1);
	t->reboots++;
	tgt_boot(t);
}

static void tgt_boot(struct tgt *t)
{
	t->cfg.running = t->h.res.image.hdr.version;
	t->cfg.boot_reverted = t->force_reverted || t->h.res.action == BO_ACT_REVERTED ||
			       t->h.res.slot == BO_SLOT_RECOVERY;
	t->force_reverted = false;
	bo_dfu_srv_init(&t->srv, &t->cfg);
	(void)bo_dfu_srv_restore(&t->srv);
	/* the application runs (bh_run_app confirmed a good image): it reports an update it
	 * was restored into applied (-1 when none is awaited) */
	if (!t->hold_applied)
		(void)bo_dfu_srv_applied(&t->srv);
}

static void tgt_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		   size_t len)
{
	struct tgt *t = owner;
	struct fx *f = (struct fx *)(void *)t->pn->pump; /* pump is fx's first member */

	if (op == BO_OP_BLOB_CHUNK && t == &f->t[0])
		f->chunks_to_t0++;
	assert_int_equal(bo_dfu_srv_handle(&t->srv, rx, op, p, len), 1);
}

static void tgt_timer(void *owner, uint32_t id)
{
	struct tgt *t = owner;

	assert_int_equal(bo_dfu_srv_timer(&t->srv, id), 1);
}

static void tgt_setup(struct fx *f, size_t i, const struct bh_img *factory)
{
	struct tgt *t = &f->t[i];

	memset(t, 0, sizeof(*t));
	assert_int_equal(bh_setup(&t->h, &bh_nrf52840, BO_STRATEGY_OVERWRITE), 0);
	bh_memo_verify(&t->h);
	if (factory) {
		bh_factory(&t->h, factory, NULL);
		assert_int_equal(bh_boot(&t->h), 0);
		assert_int_equal(t->h.res.slot, BO_SLOT_PRIMARY);
		assert_int_not_equal(bh_run_app(&t->h), -1);
	}
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
	t->cfg.cb = (struct bo_dfu_srv_cb){t, md_check, cb_verified, cb_apply, NULL};
	tgt_boot(t);
}

/* ---- part 1: the server, message by message ------------------------------------------- */

static void cap_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		   size_t len)
{
	struct fx *f = owner;

	f->cap_ttl = rx->ttl;
	f->cap_op = op;
	memcpy(f->cap_buf, p, len);
	f->cap_len = len;
	f->cap_n++;
}

static void cap_timer(void *owner, uint32_t id)
{
	(void)owner;
	(void)id;
}

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	pump_init(&f->pump, 7, 0, 2000);
	return f;
}

static void fx_free(struct fx *f)
{
	for (size_t i = 0; i < f->ntgt; i++)
		bh_teardown(&f->t[i].h);
	if (f->have_builder)
		bh_teardown(&f->builder);
	bh_img_free(&f->img_old);
	bh_img_free(&f->img_new);
	pump_free(&f->pump);
	free(f);
}

static struct fx *unit_setup(void)
{
	struct fx *f = fx_new();

	f->cap = pump_add_node(&f->pump, CLI_ADDR, cap_rx, cap_timer, f);
	tgt_setup(f, 0, NULL);
	f->ntgt = 1;
	bh_image(&f->t[0].h, &f->img_old, 1, 1, 0, 4000, -1, false);
	bh_factory(&f->t[0].h, &f->img_old, NULL);
	assert_int_equal(bh_boot(&f->t[0].h), 0);
	assert_int_not_equal(bh_run_app(&f->t[0].h), -1);
	tgt_boot(&f->t[0]);
	return f;
}

/* Deliver one request to target 0 and run 100 ms: the answer (if any) is captured. */
static bool req(struct fx *f, uint32_t op, const uint8_t *p, size_t len)
{
	struct bo_mesh_rx rx = {CLI_ADDR, TGT_ADDR0, 0, 7};
	unsigned n = f->cap_n;

	assert_int_equal(bo_dfu_srv_handle(&f->t[0].srv, &rx, op, p, len), 1);
	pump_run(&f->pump, f->pump.now + 100000, NULL, NULL);
	return f->cap_n != n;
}

static void expect(struct fx *f, uint32_t op, const uint8_t *bytes, size_t len)
{
	assert_int_equal(f->cap_op, op);
	assert_int_equal(f->cap_len, len);
	assert_memory_equal(f->cap_buf, bytes, len);
}

static size_t make_md(uint8_t *buf, const struct bh_img *img)
{
	struct bo_dfu_metadata m = {
		.major = img->ver.major, .minor = img->ver.minor, .revision = img->ver.revision,
		.build = img->ver.build, .fw_size = (uint32_t)img->len, .core_type = BO_DFU_CORE_APP,
		.comp_hash = 0x12345678u, .elems = 1,
	};
	int n = bo_dfu_metadata_encode(&m, buf, BO_DFU_METADATA_MAXLEN);

	assert_true(n > 0);
	return (size_t)n;
}

static size_t make_start(uint8_t *buf, uint64_t id, uint8_t idx, const uint8_t *md, size_t mdlen)
{
	struct bo_dfu_update_start s = {5, TIMEOUT_BASE, id, idx, md, mdlen};
	int n = bo_dfu_update_start_encode(&s, buf, 64);

	assert_true(n > 0);
	return (size_t)n;
}

/* Update Status with the fields of the current update (BLOB_ID, ttl 5, TIMEOUT_BASE). */
static void expect_status(struct fx *f, enum bo_dfu_status st, enum bo_dfu_phase ph,
			  uint8_t effect)
{
	uint8_t b[14] = {(uint8_t)(st | ph << 5), 5, effect, TIMEOUT_BASE, 0,
			 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01, 0};

	expect(f, BO_OP_DFU_UPDATE_STATUS, b, ph == BO_DFU_PHASE_IDLE ? 1 : 14);
}

static void put_image(struct fx *f, struct bh_img *img)
{
	assert_int_equal(bh_download(&f->t[0].h, img), 0);
}

/* The BLOB server reports the transfer complete (as its last block arrived). */
static void blob_completes(struct fx *f)
{
	struct bo_blob_srv *b = &f->t[0].srv.blob;

	b->cfg.cb.complete(b->cfg.cb.ctx, b, BLOB_ID);
	assert_int_equal(bo_dfu_srv_phase(&f->t[0].srv), BO_DFU_PHASE_VERIFY);
	pump_run(&f->pump, f->pump.now + 1000, NULL, NULL); /* the verify timer */
}

static void power_cycle(struct tgt *t)
{
	memset(&t->srv, 0xa5, sizeof(t->srv));
	pump_node_reset(t->pn);
	tgt_boot(t);
}

/* The Target's largest BLOB stops before the upgrade slot's meta sector: a download that
 * reached the trailer could pre-set the bootloader's flags (issue 16). */
static void test_srv_blob_stops_before_trailer(void **state)
{
	struct fx *f = unit_setup();
	struct bo_blob_info_status is;

	(void)state;
	bo_blob_srv_info(&f->t[0].srv.blob, &is);
	assert_int_equal(is.max_size, f->t[0].h.data_limit);
	assert_true(is.max_size < f->t[0].h.cfg.upgrade.size);
	fx_free(f);
}

static void test_srv_info_and_check(void **state)
{
	struct fx *f = unit_setup();
	uint8_t g[2] = {0, 1}, md[BO_DFU_METADATA_MAXLEN], buf[64];
	size_t mdlen;
	struct bh_img img;

	(void)state;
	/* Information Get: count 1, first 0, FWID of 1.0.0+1 (8 bytes), no URI */
	assert_true(req(f, BO_OP_DFU_INFO_GET, g, 2));
	{
		const uint8_t want[] = {1, 0, 8, 1, 0, 0, 0, 1, 0, 0, 0, 0};
		expect(f, BO_OP_DFU_INFO_STATUS, want, sizeof(want));
	}
	/* first beyond the list: no entries */
	g[0] = 1;
	assert_true(req(f, BO_OP_DFU_INFO_GET, g, 2));
	{
		const uint8_t want[] = {1, 1};
		expect(f, BO_OP_DFU_INFO_STATUS, want, sizeof(want));
	}
	/* malformed: dropped */
	assert_false(req(f, BO_OP_DFU_INFO_GET, g, 1));
	/* limit 0: no entries */
	g[0] = 0;
	g[1] = 0;
	assert_true(req(f, BO_OP_DFU_INFO_GET, g, 2));
	{
		const uint8_t want[] = {1, 0};
		expect(f, BO_OP_DFU_INFO_STATUS, want, sizeof(want));
	}
	/* with an update URI */
	f->t[0].cfg.uri = (const uint8_t *)"bo:x";
	f->t[0].cfg.uri_len = 4;
	tgt_boot(&f->t[0]);
	g[1] = 1;
	assert_true(req(f, BO_OP_DFU_INFO_GET, g, 2));
	{
		const uint8_t want[] = {1, 0, 8, 1, 0, 0, 0, 1, 0, 0, 0, 4, 'b', 'o', ':', 'x'};
		expect(f, BO_OP_DFU_INFO_STATUS, want, sizeof(want));
	}

	bh_image(&f->t[0].h, &img, 2, 2, 1, 4000, -1, false);
	mdlen = make_md(md, &img);
	buf[0] = 0;
	memcpy(buf + 1, md, mdlen);
	f->t[0].effect = BO_DFU_EFFECT_COMP_CHANGE;
	assert_true(req(f, BO_OP_DFU_METADATA_CHECK, buf, mdlen + 1));
	{
		const uint8_t want[] = {BO_DFU_SUCCESS | BO_DFU_EFFECT_COMP_CHANGE << 3, 0};
		expect(f, BO_OP_DFU_METADATA_STATUS, want, 2);
	}
	buf[0] = 1; /* unknown image index */
	assert_true(req(f, BO_OP_DFU_METADATA_CHECK, buf, mdlen + 1));
	{
		const uint8_t want[] = {BO_DFU_ERR_FW_IDX, 1};
		expect(f, BO_OP_DFU_METADATA_STATUS, want, 2);
	}
	buf[0] = 0;
	f->t[0].md_reject = true;
	assert_true(req(f, BO_OP_DFU_METADATA_CHECK, buf, mdlen + 1));
	{
		const uint8_t want[] = {BO_DFU_ERR_METADATA, 0};
		expect(f, BO_OP_DFU_METADATA_STATUS, want, 2);
	}
	assert_int_equal(bo_dfu_srv_phase(&f->t[0].srv), BO_DFU_PHASE_IDLE);
	bh_img_free(&img);
	fx_free(f);
}

static void test_srv_start_errors_cancel(void **state)
{
	struct fx *f = unit_setup();
	uint8_t md[BO_DFU_METADATA_MAXLEN], buf[64];
	size_t mdlen, n;
	struct bh_img img;

	(void)state;
	bh_image(&f->t[0].h, &img, 2, 2, 1, 4000, -1, false);
	mdlen = make_md(md, &img);

	/* Update Get while idle: 1 byte */
	assert_true(req(f, BO_OP_DFU_UPDATE_GET, NULL, 0));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE, 0);
	/* unknown image index */
	n = make_start(buf, BLOB_ID, 1, md, mdlen);
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	expect_status(f, BO_DFU_ERR_FW_IDX, BO_DFU_PHASE_IDLE, 0);
	/* metadata rejected */
	f->t[0].md_reject = true;
	n = make_start(buf, BLOB_ID, 0, md, mdlen);
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	expect_status(f, BO_DFU_ERR_METADATA, BO_DFU_PHASE_IDLE, 0);
	/* apply before anything */
	assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
	expect_status(f, BO_DFU_ERR_WRONG_PHASE, BO_DFU_PHASE_IDLE, 0);
	/* accepted: TRANSFER_ACTIVE, the BLOB server waits for the transfer */
	f->t[0].md_reject = false;
	f->t[0].effect = BO_DFU_EFFECT_COMP_CHANGE_NO_RPR;
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_TRANSFER_ACTIVE, 1);
	assert_int_equal(bo_blob_srv_phase(&f->t[0].srv.blob), BO_BLOB_PHASE_WAITING_FOR_START);
	assert_int_equal(f->t[0].srv.blob.x.id, BLOB_ID);
	/* the same Start again: a retransmission */
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_TRANSFER_ACTIVE, 1);
	/* another BLOB ID while transferring */
	{
		uint8_t b2[64];
		size_t n2 = make_start(b2, BLOB_ID + 1, 0, md, mdlen);

		assert_true(req(f, BO_OP_DFU_UPDATE_START, b2, n2));
		expect_status(f, BO_DFU_ERR_BLOB_XFER_BUSY, BO_DFU_PHASE_TRANSFER_ACTIVE, 1);
	}
	/* apply before verify */
	assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
	expect_status(f, BO_DFU_ERR_WRONG_PHASE, BO_DFU_PHASE_TRANSFER_ACTIVE, 1);
	/* power cut: still TRANSFER_ACTIVE, the BLOB server still expects the transfer */
	power_cycle(&f->t[0]);
	assert_int_equal(bo_dfu_srv_phase(&f->t[0].srv), BO_DFU_PHASE_TRANSFER_ACTIVE);
	assert_int_equal(bo_blob_srv_phase(&f->t[0].srv.blob), BO_BLOB_PHASE_WAITING_FOR_START);
	assert_int_equal(f->t[0].srv.blob.x.id, BLOB_ID);
	assert_int_equal(f->t[0].srv.u.effect, BO_DFU_EFFECT_COMP_CHANGE_NO_RPR);
	/* cancel: IDLE, BLOB server inactive; persisted */
	assert_true(req(f, BO_OP_DFU_UPDATE_CANCEL, NULL, 0));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE, 0);
	assert_int_equal(bo_blob_srv_phase(&f->t[0].srv.blob), BO_BLOB_PHASE_INACTIVE);
	power_cycle(&f->t[0]);
	assert_int_equal(bo_dfu_srv_phase(&f->t[0].srv), BO_DFU_PHASE_IDLE);
	/* cancel when idle: IDLE */
	assert_true(req(f, BO_OP_DFU_UPDATE_CANCEL, NULL, 0));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE, 0);
	/* malformed Start: dropped */
	assert_false(req(f, BO_OP_DFU_UPDATE_START, buf, 5));
	/* the BLOB server's timeout waiting for the start: TRANSFER_CANCELED */
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	pump_run(&f->pump, f->pump.now + HOUR, NULL, NULL);
	assert_int_equal(bo_dfu_srv_phase(&f->t[0].srv), BO_DFU_PHASE_TRANSFER_CANCELED);
	/* a new Start from TRANSFER_CANCELED is accepted */
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_TRANSFER_ACTIVE, 1);
	bh_img_free(&img);
	fx_free(f);
}

static void verify_case(bool rogue)
{
	struct fx *f = unit_setup();
	struct tgt *t;
	uint8_t md[BO_DFU_METADATA_MAXLEN], buf[64];
	size_t mdlen, n;
	struct bh_img img;

	t = &f->t[0];
	bh_image(&t->h, &img, 2, 2, 1, 4000, -1, rogue);
	mdlen = make_md(md, &img);
	n = make_start(buf, BLOB_ID, 0, md, mdlen);
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_TRANSFER_ACTIVE, 0);
	put_image(f, &img);
	blob_completes(f);
	assert_int_equal(t->verified_calls, 1);
	if (rogue) {
		assert_int_equal(t->verify_err, BO_IMG_E_NO_TRUSTED_KEY);
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_FAIL);
		assert_true(req(f, BO_OP_DFU_UPDATE_GET, NULL, 0));
		expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_FAIL, 0);
		assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
		expect_status(f, BO_DFU_ERR_WRONG_PHASE, BO_DFU_PHASE_VERIFY_FAIL, 0);
		power_cycle(t);
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_FAIL);
		pump_run(&f->pump, f->pump.now + 10 * BO_USEC_PER_SEC, NULL, NULL);
		assert_int_equal(t->applies, 0);
		/* never applied: a reboot still runs the old image */
		assert_int_equal(bh_boot(&t->h), 0);
		assert_true(bh_running(&t->h, &f->img_old));
		bh_img_free(&img);
		fx_free(f);
		return;
	}
	assert_int_equal(t->verify_err, BO_IMG_OK);
	assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_OK);
	assert_true(req(f, BO_OP_DFU_UPDATE_GET, NULL, 0));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK, 0);
	/* VERIFY_OK survives a power cut */
	power_cycle(t);
	assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_OK);
	/* another BLOB ID now: wrong phase */
	{
		uint8_t b2[64];
		size_t n2 = make_start(b2, BLOB_ID + 1, 0, md, mdlen);

		assert_true(req(f, BO_OP_DFU_UPDATE_START, b2, n2));
		expect_status(f, BO_DFU_ERR_WRONG_PHASE, BO_DFU_PHASE_VERIFY_OK, 0);
	}
	/* apply: answered APPLYING first, applied 0.5 s later */
	assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING, 0);
	assert_int_equal(t->applies, 0);
	{
		/* cancel while applying: wrong phase */
		struct bo_mesh_rx rx = {CLI_ADDR, TGT_ADDR0, 0, 7};

		assert_int_equal(bo_dfu_srv_handle(&t->srv, &rx, BO_OP_DFU_UPDATE_CANCEL, NULL, 0), 1);
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_APPLYING);
	}
	pump_run(&f->pump, f->pump.now + BO_USEC_PER_SEC, NULL, NULL);
	assert_int_equal(t->applies, 1);
	assert_int_equal(t->h.res.action, BO_ACT_INSTALLED);
	assert_true(bh_running(&t->h, &img));
	/* after the reboot: IDLE, applied, the new FWID: 2.1.0+2 */
	assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_IDLE);
	assert_true(t->srv.applied);
	{
		uint8_t g[2] = {0, 1};
		const uint8_t want[] = {1, 0, 8, 2, 1, 0, 0, 2, 0, 0, 0, 0};

		assert_true(req(f, BO_OP_DFU_INFO_GET, g, 2));
		expect(f, BO_OP_DFU_INFO_STATUS, want, sizeof(want));
	}
	bh_img_free(&img);
	fx_free(f);
}

static void test_srv_verify_apply(void **state)
{
	(void)state;
	verify_case(false);
}

static void test_srv_verify_fail(void **state)
{
	(void)state;
	verify_case(true);
}

/* An image whose version is not the metadata's: VERIFY_FAIL. */
static void test_srv_verify_wrong_version(void **state)
{
	struct fx *f = unit_setup();
	uint8_t md[BO_DFU_METADATA_MAXLEN], buf[64];
	size_t mdlen, n;
	struct bh_img img, other;

	(void)state;
	bh_image(&f->t[0].h, &img, 2, 2, 1, 4000, -1, false);
	bh_image(&f->t[0].h, &other, 3, 3, 0, 4000, -1, false);
	mdlen = make_md(md, &img);
	n = make_start(buf, BLOB_ID, 0, md, mdlen);
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	put_image(f, &other);
	blob_completes(f);
	assert_int_equal(bo_dfu_srv_phase(&f->t[0].srv), BO_DFU_PHASE_VERIFY_FAIL);
	/* VERIFY_FAIL, then Cancel: IDLE, and a new Start is accepted */
	assert_true(req(f, BO_OP_DFU_UPDATE_CANCEL, NULL, 0));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE, 0);
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_TRANSFER_ACTIVE, 0);
	bh_img_free(&img);
	bh_img_free(&other);
	fx_free(f);
}

/* Zephyr interop: in VERIFY_FAIL a Start with a new BLOB ID begins a new update (a Zephyr
 * Distributor never sends the Cancel); the same BLOB ID with other parameters is refused.
 * Status messages go with the update's TTL (5 here), the default (7) in IDLE. */
static void test_srv_verify_fail_new_blob_and_ttl(void **state)
{
	struct fx *f = unit_setup();
	uint8_t md[BO_DFU_METADATA_MAXLEN], buf[64], b2[64], g[2] = {0, 1};
	struct bo_dfu_update_start s2;
	struct bh_img img, other;
	size_t mdlen, n, n2;

	(void)state;
	assert_true(req(f, BO_OP_DFU_INFO_GET, g, 2));
	assert_int_equal(f->cap_ttl, 7);
	bh_image(&f->t[0].h, &img, 2, 2, 1, 4000, -1, false);
	bh_image(&f->t[0].h, &other, 3, 3, 0, 4000, -1, false);
	mdlen = make_md(md, &img);
	n = make_start(buf, BLOB_ID, 0, md, mdlen);
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_TRANSFER_ACTIVE, 0);
	assert_int_equal(f->cap_ttl, 5);
	put_image(f, &other);
	blob_completes(f);
	assert_int_equal(bo_dfu_srv_phase(&f->t[0].srv), BO_DFU_PHASE_VERIFY_FAIL);
	assert_true(req(f, BO_OP_DFU_UPDATE_GET, NULL, 0));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_FAIL, 0);
	assert_int_equal(f->cap_ttl, 5);
	/* the same BLOB ID, another TTL: refused */
	s2 = (struct bo_dfu_update_start){9, TIMEOUT_BASE, BLOB_ID, 0, md, mdlen};
	n2 = (size_t)bo_dfu_update_start_encode(&s2, b2, sizeof(b2));
	assert_true(req(f, BO_OP_DFU_UPDATE_START, b2, n2));
	expect_status(f, BO_DFU_ERR_WRONG_PHASE, BO_DFU_PHASE_VERIFY_FAIL, 0);
	/* a new BLOB ID (TTL 9): a new update, answered with its TTL */
	s2.blob_id = BLOB_ID + 1;
	n2 = (size_t)bo_dfu_update_start_encode(&s2, b2, sizeof(b2));
	assert_true(req(f, BO_OP_DFU_UPDATE_START, b2, n2));
	assert_int_equal(f->cap_op, BO_OP_DFU_UPDATE_STATUS);
	assert_int_equal(f->cap_buf[0], BO_DFU_SUCCESS | BO_DFU_PHASE_TRANSFER_ACTIVE << 5);
	assert_int_equal(f->cap_ttl, 9);
	assert_int_equal(bo_dfu_srv_phase(&f->t[0].srv), BO_DFU_PHASE_TRANSFER_ACTIVE);
	assert_true(bo_blob_srv_is_busy(&f->t[0].srv.blob));
	bh_img_free(&img);
	bh_img_free(&other);
	fx_free(f);
}

/*
 * Zephyr's applied(): rebooted into the new image, the server stays APPLYING (Update Status
 * says so, through power cuts) until the application calls bo_dfu_srv_applied(); then IDLE
 * with srv.applied, persisted. cfg.applied_at_restore: IDLE at restore. The UNPROV effect
 * is taken at applied(), not before.
 */
static void applying_case(bool unprov)
{
	struct fx *f = unit_setup();
	struct tgt *t = &f->t[0];
	uint8_t md[BO_DFU_METADATA_MAXLEN], buf[64], b2[64], g[2] = {0, 1};
	size_t mdlen, n, n2;
	struct bh_img img;
	uint8_t eff = unprov ? BO_DFU_EFFECT_UNPROV : 0;
	const uint8_t want[] = {1, 0, 8, 2, 1, 0, 0, 2, 0, 0, 0, 0};

	t->hold_applied = true;
	t->effect = (enum bo_dfu_effect)eff;
	bh_image(&t->h, &img, 2, 2, 1, 4000, -1, false);
	mdlen = make_md(md, &img);
	n = make_start(buf, BLOB_ID, 0, md, mdlen);
	n2 = make_start(b2, BLOB_ID + 1, 0, md, mdlen);
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	put_image(f, &img);
	blob_completes(f);
	assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_OK);
	assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING, eff);
	assert_false(bo_dfu_srv_awaits_applied(&t->srv)); /* not before the reboot */
	assert_int_equal(bo_dfu_srv_applied(&t->srv), -1);
	pump_run(&f->pump, f->pump.now + BO_USEC_PER_SEC, NULL, NULL);
	assert_int_equal(t->applies, 1);
	assert_true(bh_running(&t->h, &img));
	/* the new image runs: still APPLYING, not applied, answering (even UNPROV) */
	for (int cycle = 0; cycle < 2; cycle++) {
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_APPLYING);
		assert_true(bo_dfu_srv_awaits_applied(&t->srv));
		assert_false(t->srv.applied);
		assert_false(bo_dfu_srv_is_unprovisioned(&t->srv));
		assert_true(req(f, BO_OP_DFU_UPDATE_GET, NULL, 0));
		expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING, eff);
		/* silent to Information Get while applying, as Zephyr's server (the old
		 * FWID would make a Zephyr Distributor mark it failed) */
		assert_false(req(f, BO_OP_DFU_INFO_GET, g, 2));
		assert_true(req(f, BO_OP_DFU_UPDATE_START, b2, n2));
		expect_status(f, BO_DFU_ERR_WRONG_PHASE, BO_DFU_PHASE_APPLYING, eff);
		assert_true(req(f, BO_OP_DFU_UPDATE_CANCEL, NULL, 0));
		expect_status(f, BO_DFU_ERR_WRONG_PHASE, BO_DFU_PHASE_APPLYING, eff);
		/* a repeated Apply is answered, nothing is applied again */
		assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
		expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING, eff);
		pump_run(&f->pump, f->pump.now + 2 * BO_USEC_PER_SEC, NULL, NULL);
		assert_int_equal(t->applies, 1);
		power_cycle(t); /* a cut before applied(): APPLYING again */
	}
	/* the application confirmed: applied */
	assert_int_equal(bo_dfu_srv_applied(&t->srv), 0);
	assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_IDLE);
	assert_true(t->srv.applied);
	assert_false(bo_dfu_srv_awaits_applied(&t->srv));
	assert_int_equal(bo_dfu_srv_applied(&t->srv), -1); /* once */
	if (unprov) {
		assert_true(bo_dfu_srv_is_unprovisioned(&t->srv));
		assert_false(req(f, BO_OP_DFU_UPDATE_GET, NULL, 0));
	} else {
		assert_true(req(f, BO_OP_DFU_UPDATE_GET, NULL, 0));
		expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE, 0);
		/* applied: Information Get is answered again, with the new FWID */
		assert_true(req(f, BO_OP_DFU_INFO_GET, g, 2));
		expect(f, BO_OP_DFU_INFO_STATUS, want, sizeof(want));
	}
	/* persisted: IDLE after a power cut (and not applied again) */
	power_cycle(t);
	assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_IDLE);
	assert_false(bo_dfu_srv_awaits_applied(&t->srv));
	assert_int_equal(bo_dfu_srv_is_unprovisioned(&t->srv), unprov);
	if (!unprov) {
		/* a new update, applied_at_restore: IDLE right after the reboot */
		bh_img_free(&img);
		bh_image(&t->h, &img, 3, 3, 0, 4000, -1, false);
		mdlen = make_md(md, &img);
		n = make_start(buf, BLOB_ID, 0, md, mdlen);
		assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
		put_image(f, &img);
		blob_completes(f);
		t->cfg.applied_at_restore = true;
		assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
		pump_run(&f->pump, f->pump.now + BO_USEC_PER_SEC, NULL, NULL);
		assert_int_equal(t->applies, 2);
		assert_true(bh_running(&t->h, &img));
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_IDLE);
		assert_true(t->srv.applied);
	}
	bh_img_free(&img);
	fx_free(f);
}

static void test_srv_applying_until_applied(void **state)
{
	(void)state;
	applying_case(false);
}

static void test_srv_applying_unprov(void **state)
{
	(void)state;
	applying_case(true);
}

/*
 * Restored from APPLYING with the old image running: the bootloader's result decides.
 * Reverted (or the recovery image): APPLY_FAIL, persisted, Update Status VERIFY_FAIL (the
 * wire's 3-bit phase), Apply refused, Cancel -> IDLE, a Start begins anew. Not reverted
 * (power lost before the upgrade request reached the bootloader): VERIFY -> VERIFY_OK, and
 * a repeated Apply installs the image.
 */
static void applying_restore_case(bool reverted)
{
	struct fx *f = unit_setup();
	struct tgt *t = &f->t[0];
	uint8_t md[BO_DFU_METADATA_MAXLEN], buf[64];
	size_t mdlen, n;
	struct bh_img img;

	bh_image(&t->h, &img, 2, 2, 1, 4000, -1, false);
	mdlen = make_md(md, &img);
	n = make_start(buf, BLOB_ID, 0, md, mdlen);
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	put_image(f, &img);
	blob_completes(f);
	assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_OK);
	assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING, 0);
	/* power lost before the apply timer: no upgrade request */
	t->force_reverted = reverted;
	power_cycle(t);
	assert_true(bh_running(&t->h, &f->img_old));
	assert_int_equal(t->applies, 0);
	if (reverted) {
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_APPLY_FAIL);
		assert_false(bo_dfu_srv_awaits_applied(&t->srv));
		for (int cycle = 0; cycle < 2; cycle++) {
			assert_true(req(f, BO_OP_DFU_UPDATE_GET, NULL, 0));
			expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_FAIL, 0);
			assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
			expect_status(f, BO_DFU_ERR_WRONG_PHASE, BO_DFU_PHASE_VERIFY_FAIL, 0);
			pump_run(&f->pump, f->pump.now + 2 * BO_USEC_PER_SEC, NULL, NULL);
			assert_int_equal(t->applies, 0);
			power_cycle(t); /* persisted, though this boot did not revert */
			assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_APPLY_FAIL);
		}
		/* a new Start (the same BLOB ID) begins a new update */
		assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
		expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_TRANSFER_ACTIVE, 0);
		power_cycle(t);
		t->force_reverted = true;
		assert_true(req(f, BO_OP_DFU_UPDATE_CANCEL, NULL, 0));
		expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE, 0);
		/* Cancel leaves APPLY_FAIL too */
		assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
		put_image(f, &img);
		blob_completes(f);
		assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
		expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING, 0);
		power_cycle(t);
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_APPLY_FAIL);
		assert_true(req(f, BO_OP_DFU_UPDATE_CANCEL, NULL, 0));
		expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE, 0);
		power_cycle(t);
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_IDLE);
	} else {
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY);
		pump_run(&f->pump, f->pump.now + 1000, NULL, NULL); /* the verify timer */
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_OK);
		assert_true(req(f, BO_OP_DFU_UPDATE_GET, NULL, 0));
		expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK, 0);
		/* Apply again: installed this time */
		assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
		expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING, 0);
		pump_run(&f->pump, f->pump.now + BO_USEC_PER_SEC, NULL, NULL);
		assert_int_equal(t->applies, 1);
		assert_true(bh_running(&t->h, &img));
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_IDLE);
		assert_true(t->srv.applied);
	}
	bh_img_free(&img);
	fx_free(f);
}

static void test_srv_applying_restore_reverted(void **state)
{
	(void)state;
	applying_restore_case(true);
}

static void test_srv_applying_restore_no_request(void **state)
{
	(void)state;
	applying_restore_case(false);
}

/* UNPROV effect: after apply and reboot the node answers nothing. */
static void test_srv_unprov(void **state)
{
	struct fx *f = unit_setup();
	struct tgt *t = &f->t[0];
	uint8_t md[BO_DFU_METADATA_MAXLEN], buf[64], g[2] = {0, 1};
	size_t mdlen, n;
	struct bh_img img;

	(void)state;
	t->effect = BO_DFU_EFFECT_UNPROV;
	bh_image(&t->h, &img, 2, 2, 1, 4000, -1, false);
	mdlen = make_md(md, &img);
	n = make_start(buf, BLOB_ID, 0, md, mdlen);
	assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_TRANSFER_ACTIVE, BO_DFU_EFFECT_UNPROV);
	put_image(f, &img);
	blob_completes(f);
	assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
	expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING, BO_DFU_EFFECT_UNPROV);
	pump_run(&f->pump, f->pump.now + BO_USEC_PER_SEC, NULL, NULL);
	assert_int_equal(t->applies, 1);
	assert_true(bo_dfu_srv_is_unprovisioned(&t->srv));
	assert_false(req(f, BO_OP_DFU_INFO_GET, g, 2));
	assert_false(req(f, BO_OP_DFU_UPDATE_GET, NULL, 0));
	power_cycle(t); /* persisted */
	assert_true(bo_dfu_srv_is_unprovisioned(&t->srv));
	assert_false(req(f, BO_OP_DFU_INFO_GET, g, 2));
	bo_dfu_srv_provisioned(&t->srv);
	assert_true(req(f, BO_OP_DFU_INFO_GET, g, 2));
	bh_img_free(&img);
	fx_free(f);
}

/*
 * Power cuts (flashsim, every mode) at every flash operation of an Update Start from IDLE and
 * of an Update Apply from VERIFY_OK, at several positions in the record log (so that some
 * writes switch sectors): after the reboot the server is in the phase before or after the
 * step, never anything else, and the step can be repeated.
 */
/* Arm cut, run the step; true when the cut fired (the node then lost power). */
static bool cut_step(struct fx *f, const struct fsim_cut *cut, const uint8_t *start, size_t n,
		     bool apply)
{
	struct tgt *t = &f->t[0];
	jmp_buf jb;
	volatile bool hit = false;

	fsim_arm_cut(t->h.dev, cut);
	t->h.on_power_loss = &jb;
	if (setjmp(jb) == 0) {
		if (apply)
			req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0);
		else
			req(f, BO_OP_DFU_UPDATE_START, start, n);
	} else {
		hit = true;
	}
	fsim_disarm_cut(t->h.dev);
	t->h.on_power_loss = NULL;
	return hit;
}

/* Returns the number of flash operations of the step. */
static unsigned cut_sweep(struct fx *f, const uint8_t *start, size_t n, bool apply,
			  unsigned *fired)
{
	struct tgt *t = &f->t[0];
	struct fsim_snapshot *snap = fsim_snapshot_take(t->h.dev);
	struct fsim_stats st;
	unsigned ops = 0;

	assert_non_null(snap);
	for (uint64_t k = 0; k < 64 && ops == k; k++) {
		for (uint32_t mode = 0; mode < 4; mode++) {
			struct fsim_cut cut = {0, mode ? FSIM_CUT_TORN : FSIM_CUT_BETWEEN,
					       mode ? mode - 1 : 0, k * 4 + mode, false};

			assert_int_equal(fsim_snapshot_restore(t->h.dev, snap), 0);
			power_cycle(t);
			pump_run(&f->pump, f->pump.now + 1000, NULL, NULL);
			assert_int_equal(bo_dfu_srv_phase(&t->srv), apply ? BO_DFU_PHASE_VERIFY_OK
									  : BO_DFU_PHASE_IDLE);
			/* op k of the step (the reboot may have written already) */
			fsim_get_stats(t->h.dev, &st);
			cut.op_index = st.mutating_ops + k;
			if (!cut_step(f, &cut, start, n, apply))
				break; /* the step has no operation k: done */
			ops = (unsigned)k + 1;
			(*fired)++;
			power_cycle(t);
			pump_run(&f->pump, f->pump.now + 1000, NULL, NULL);
			if (apply) {
				/* APPLYING was (maybe) stored, the request not made: verified again */
				assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_OK);
				assert_true(req(f, BO_OP_DFU_UPDATE_APPLY, NULL, 0));
				expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING, 0);
			} else {
				enum bo_dfu_phase ph = bo_dfu_srv_phase(&t->srv);

				assert_true(ph == BO_DFU_PHASE_IDLE ||
					    ph == BO_DFU_PHASE_TRANSFER_ACTIVE);
				if (ph == BO_DFU_PHASE_TRANSFER_ACTIVE) {
					assert_int_equal(bo_blob_srv_phase(&t->srv.blob),
							 BO_BLOB_PHASE_WAITING_FOR_START);
					assert_int_equal(t->srv.blob.x.id, BLOB_ID);
				}
				assert_true(req(f, BO_OP_DFU_UPDATE_START, start, n));
				expect_status(f, BO_DFU_SUCCESS, BO_DFU_PHASE_TRANSFER_ACTIVE, 0);
				assert_int_equal(bo_blob_srv_phase(&t->srv.blob),
						 BO_BLOB_PHASE_WAITING_FOR_START);
			}
			assert_int_equal(fsim_violation_count(t->h.dev), 0);
		}
	}
	assert_int_equal(fsim_snapshot_restore(t->h.dev, snap), 0);
	power_cycle(t);
	pump_run(&f->pump, f->pump.now + 1000, NULL, NULL);
	fsim_snapshot_free(snap);
	return ops;
}

static void test_srv_record_cuts(void **state)
{
	struct fx *f = unit_setup();
	struct tgt *t = &f->t[0];
	uint8_t md[BO_DFU_METADATA_MAXLEN], buf[64], chk[1 + BO_DFU_METADATA_MAXLEN];
	size_t mdlen, n;
	struct bh_img img;
	unsigned fired = 0, steps = 0;

	(void)state;
	bh_image(&t->h, &img, 2, 2, 1, 4000, -1, false);
	put_image(f, &img);
	mdlen = make_md(md, &img);
	n = make_start(buf, BLOB_ID, 0, md, mdlen);
	chk[0] = 0;
	memcpy(chk + 1, md, mdlen);
	/* 4 or 5 records per round (a changed metadata check result writes one): the sweeps
	 * meet the record log's sector switches (85 records of 48 bytes per 4 KiB sector) */
	for (unsigned round = 0; round < 60; round++) {
		if (round % 2) {
			t->effect = t->effect == BO_DFU_EFFECT_NONE ? BO_DFU_EFFECT_COMP_CHANGE
								    : BO_DFU_EFFECT_NONE;
			assert_true(req(f, BO_OP_DFU_METADATA_CHECK, chk, mdlen + 1));
		}
		t->effect = BO_DFU_EFFECT_NONE;
		/* BLOB server record + ours; one more when ours switches sectors */
		if (cut_sweep(f, buf, n, false, &fired) > 2)
			steps++;
		assert_true(req(f, BO_OP_DFU_UPDATE_START, buf, n));
		blob_completes(f);
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_OK);
		if (cut_sweep(f, NULL, 0, true, &fired) > 1)
			steps++;
		assert_true(req(f, BO_OP_DFU_UPDATE_CANCEL, NULL, 0));
		assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_IDLE);
	}
	assert_true(steps >= 2);
	if (getenv("DFU_DEBUG"))
		fprintf(stderr, "record cuts: %u fired, %u sweeps across a sector switch\n", fired,
			steps);
	bh_img_free(&img);
	fx_free(f);
}

/* ---- part 2: end to end --------------------------------------------------------------- */

static void cli_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		   size_t len)
{
	struct fx *f = owner;

	assert_int_equal(bo_dfu_cli_handle(&f->cli, rx, op, p, len), 1);
}

static void cli_timer(void *owner, uint32_t id)
{
	struct fx *f = owner;

	assert_int_equal(bo_dfu_cli_timer(&f->cli, id), 1);
}

static int cli_read(void *ctx, uint32_t off, uint8_t *buf, uint32_t len)
{
	struct fx *f = ctx;

	if (off > f->img_new.len || len > f->img_new.len - off)
		return -1;
	memcpy(buf, f->img_new.bytes + off, len);
	return 0;
}

static void cli_done(void *ctx, struct bo_dfu_cli *cli, bool success)
{
	struct fx *f = ctx;

	(void)cli;
	f->done_calls++;
	f->success = success;
}

static bool is_done(void *ctx)
{
	return ((struct fx *)ctx)->done_calls > 0;
}

/* Cut target 0's power once it stored a third of the image. */
static void observe(void *ctx, const struct pump_event *ev)
{
	struct fx *f = ctx;
	struct tgt *t = &f->t[0];

	if (!f->cut || t->cut_done || ev->node != t->pn)
		return;
	if (bo_blob_srv_progress(&t->srv.blob) >= 30) {
		t->cut_done = true;
		power_cycle(t);
		f->progress_after_cut = bo_blob_srv_progress(&t->srv.blob);
	}
}

enum variant {
	V_GOOD,
	V_ROGUE,
	V_UNPROV,
	V_CUT,
	V_UNICAST_NOAPPLY,
	V_MIXED,  /* target 0 gets image index 1 (it has none), target 1 is offline */
	V_REFUSE, /* target 0 rejects the metadata; target 1 runs 3.0: its bootloader refuses
		     the 2.1 downgrade */
	V_LOSSY,  /* 10% of the messages lost */
	V_CANCEL, /* the client cancels mid-transfer */
	V_VERIFY_THEN_APPLY, /* verify only, then the same update again with apply: no BLOB */
	V_FLASH_CUT, /* a flashsim cut (g_cut) at one of target 0's flash operations */
};

/* V_FLASH_CUT: the cut, relative to target 0's op count when the update starts. */
static struct fsim_cut g_cut;
static unsigned g_flash_cuts;

/* Run the pump; target 0's power-loss handler lands here, and it boots from flash. */
static bool run_with_cuts(struct fx *f)
{
	struct tgt *t = &f->t[0];
	jmp_buf jb;

	t->h.on_power_loss = &jb;
	if (setjmp(jb) != 0) {
		fsim_disarm_cut(t->h.dev);
		g_flash_cuts++;
		power_cycle(t);
	}
	while (!is_done(f) && f->pump.now < HOUR) {
		/* only the transfer: the bootloader's own cuts are core/boot's tests */
		if (fsim_cut_armed(t->h.dev) && bo_dfu_srv_phase(&t->srv) >= BO_DFU_PHASE_VERIFY)
			fsim_disarm_cut(t->h.dev);
		if (!pump_step(&f->pump))
			break;
	}
	fsim_disarm_cut(t->h.dev);
	t->h.on_power_loss = NULL;
	return is_done(f);
}

/* Cancel once the BLOB transfer is under way. */
static void observe_cancel(void *ctx, const struct pump_event *ev)
{
	struct fx *f = ctx;

	if (ev->opcode == BO_OP_BLOB_CHUNK && bo_dfu_cli_state(&f->cli) == BO_DFU_CLI_BLOB &&
	    f->chunks_to_t0 > 10)
		assert_int_equal(bo_dfu_cli_cancel(&f->cli), 0);
}

static void e2e(enum variant v)
{
	struct fx *f = fx_new();
	struct bo_dfu_cli_update upd;
	uint16_t addrs[NTGT];
	struct bh_img img3;

	memset(&img3, 0, sizeof(img3));
	if (v == V_LOSSY)
		f->pump.loss_permille = 100;

	/* the images are the same for every harness (deterministic keys and payloads) */
	assert_int_equal(bh_setup(&f->builder, &bh_nrf52840, BO_STRATEGY_OVERWRITE), 0);
	f->have_builder = true;
	bh_image(&f->builder, &f->img_old, 1, 1, 0, PAYLOAD_LEN, -1, false);
	bh_image(&f->builder, &f->img_new, 2, 2, 1, PAYLOAD_LEN, -1, v == V_ROGUE);
	if (v == V_REFUSE)
		bh_image(&f->builder, &img3, 3, 3, 0, PAYLOAD_LEN, -1, false);
	for (size_t i = 0; i < NTGT; i++) {
		tgt_setup(f, i, (v == V_REFUSE && i == 1) ? &img3 : &f->img_old);
		addrs[i] = (uint16_t)(TGT_ADDR0 + i);
	}
	f->ntgt = NTGT;
	if (v == V_MIXED)
		f->t[1].pn->online = false;
	if (v == V_REFUSE)
		f->t[0].md_reject = true;
	if (v == V_CANCEL) {
		f->pump.observe = observe_cancel;
		f->pump.observe_ctx = f;
	}
	f->md_len = make_md(f->md, &f->img_new);
	bo_dfu_fwid_from_version(&f->img_new.ver, f->fwid_new);
	if (v == V_UNPROV)
		f->t[2].effect = BO_DFU_EFFECT_UNPROV;
	if (v == V_CUT) {
		f->cut = true;
		f->pump.observe = observe;
		f->pump.observe_ctx = f;
	}

	f->cn = pump_add_node(&f->pump, CLI_ADDR, cli_rx, cli_timer, f);
	f->ccfg.mesh = &f->cn->port;
	f->ccfg.timer_base = 10;
	f->ccfg.blob.mesh = &f->cn->port;
	f->ccfg.blob.timer_base = 8;
	f->ccfg.cb = (struct bo_dfu_cli_cb){f, cli_read, NULL, cli_done};
	bo_dfu_cli_init(&f->cli, &f->ccfg);

	memset(&upd, 0, sizeof(upd));
	upd.blob_id = BLOB_ID;
	upd.size = (uint32_t)f->img_new.len;
	upd.metadata = f->md;
	upd.metadata_len = f->md_len;
	upd.fwid = f->fwid_new;
	upd.fwid_len = sizeof(f->fwid_new);
	upd.timeout_base = TIMEOUT_BASE;
	upd.group = v == V_UNICAST_NOAPPLY ? BO_MESH_ADDR_UNASSIGNED : GROUP;
	upd.info_get = true;
	upd.apply = v != V_UNICAST_NOAPPLY;
	upd.blob.block_size_log = 12;
	if (v == V_MIXED) {
		static const uint8_t idxs[NTGT] = {1, 0, 0};

		upd.img_idxs = idxs;
	}
	if (v == V_FLASH_CUT) {
		struct fsim_stats st;
		struct fsim_cut cut = g_cut;

		fsim_get_stats(f->t[0].h.dev, &st);
		cut.op_index += st.mutating_ops;
		fsim_arm_cut(f->t[0].h.dev, &cut);
	}
	if (v != V_VERIFY_THEN_APPLY) {
		assert_int_equal(bo_dfu_cli_send(&f->cli, &upd, addrs, NTGT), 0);
		assert_int_equal(bo_dfu_cli_send(&f->cli, &upd, addrs, NTGT), -1); /* busy */
	}
	if (v == V_VERIFY_THEN_APPLY) {
		uint64_t chunks;

		upd.apply = false;
		assert_int_equal(bo_dfu_cli_send(&f->cli, &upd, addrs, NTGT), 0);
		assert_true(pump_run(&f->pump, f->pump.now + HOUR, is_done, f));
		for (size_t i = 0; i < NTGT; i++) {
			assert_int_equal(f->cli.targets[i].result, BO_DFU_CLI_VERIFIED);
			assert_int_equal(bo_dfu_srv_phase(&f->t[i].srv), BO_DFU_PHASE_VERIFY_OK);
		}
		f->done_calls = 0;
		chunks = f->chunks_to_t0;
		upd.apply = true;
		assert_int_equal(bo_dfu_cli_send(&f->cli, &upd, addrs, NTGT), 0);
		assert_true(pump_run(&f->pump, f->pump.now + HOUR, is_done, f));
		assert_int_equal(f->chunks_to_t0, chunks); /* not sent again */
		for (size_t i = 0; i < NTGT; i++)
			assert_int_equal(f->cli.targets[i].has_blob, 1);
	} else if (v == V_FLASH_CUT) {
		assert_true(run_with_cuts(f));
		assert_int_equal(fsim_violation_count(f->t[0].h.dev), 0);
	} else {
		assert_true(pump_run(&f->pump, f->pump.now + HOUR, is_done, f));
	}
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_DONE);

	for (size_t i = 0; i < NTGT; i++) {
		struct tgt *t = &f->t[i];
		const struct bo_dfu_cli_target *ct = &f->cli.targets[i];

		if ((v == V_MIXED && i < 2) || (v == V_REFUSE && i == 0)) {
			assert_int_equal(ct->result, i == 0 ? BO_DFU_CLI_REJECTED : BO_DFU_CLI_LOST);
			if (i == 0)
				assert_int_equal(ct->status, v == V_MIXED ? BO_DFU_ERR_FW_IDX
									  : BO_DFU_ERR_METADATA);
			assert_int_equal(ct->img_idx, v == V_MIXED && i == 0 ? 1 : 0);
			assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_IDLE);
			assert_int_equal(t->applies, 0);
			continue;
		}
		if (v == V_REFUSE && i == 1) {
			assert_int_equal(ct->result, BO_DFU_CLI_APPLY_FAILED);
			assert_int_equal(t->applies, 1);
			assert_int_equal(t->h.res.action, BO_ACT_DISCARDED);
			assert_true(bh_running(&t->h, &img3));
			/* the bootloader erased the image: verified again, it fails */
			assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_FAIL);
			assert_false(t->srv.applied);
			continue;
		}
		if (v == V_CANCEL) {
			assert_int_equal(ct->result, BO_DFU_CLI_CANCELLED);
			assert_int_equal(t->applies, 0);
			continue;
		}
		/* the client saw the old FWID first */
		assert_int_equal(ct->fwid_len, BO_DFU_FWID_LEN);
		switch (v) {
		case V_ROGUE:
			assert_int_equal(ct->result, BO_DFU_CLI_VERIFY_FAILED);
			assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_FAIL);
			assert_int_equal(t->applies, 0);
			assert_int_equal(bh_boot(&t->h), 0);
			assert_true(bh_running(&t->h, &f->img_old));
			break;
		case V_UNICAST_NOAPPLY:
			assert_int_equal(ct->result, BO_DFU_CLI_VERIFIED);
			assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_VERIFY_OK);
			assert_int_equal(t->applies, 0);
			break;
		default:
			assert_int_equal(ct->result, BO_DFU_CLI_APPLIED);
			assert_int_equal(t->applies, 1);
			assert_int_equal(t->reboots, 1);
			assert_int_equal(t->h.res.action, BO_ACT_INSTALLED);
			assert_true(bh_running(&t->h, &f->img_new));
			assert_int_equal(bo_dfu_srv_phase(&t->srv), BO_DFU_PHASE_IDLE);
			assert_true(t->srv.applied);
			if (v == V_UNPROV && i == 2) {
				assert_true(bo_dfu_srv_is_unprovisioned(&t->srv));
				assert_int_equal(ct->effect, BO_DFU_EFFECT_UNPROV);
			} else {
				assert_false(bo_dfu_srv_is_unprovisioned(&t->srv));
				/* confirmed by its new FWID */
				assert_memory_equal(ct->fwid, f->fwid_new, BO_DFU_FWID_LEN);
			}
			break;
		}
	}
	assert_int_equal(f->success, v != V_ROGUE && v != V_CANCEL);
	if (v == V_CANCEL) {
		/* the Update Cancel reaches the targets: IDLE */
		pump_run(&f->pump, f->pump.now + 10 * BO_USEC_PER_SEC, NULL, NULL);
		for (size_t i = 0; i < NTGT; i++)
			assert_int_equal(bo_dfu_srv_phase(&f->t[i].srv), BO_DFU_PHASE_IDLE);
	}
	if (v == V_CUT) {
		uint32_t chunk = f->cli.blob.chunk_size;
		uint32_t total = (uint32_t)((f->img_new.len + chunk - 1) / chunk);

		assert_true(f->t[0].cut_done);
		/* resumed from its stored blocks, not from zero */
		assert_true(f->progress_after_cut >= 30);
		assert_true(f->chunks_to_t0 < total + total / 2);
	}
	if (getenv("DFU_DEBUG"))
		fprintf(stderr, "variant %d: done at %.1f s, %llu delivered, %llu lost\n", v,
			(double)f->pump.now / 1e6, (unsigned long long)f->pump.delivered,
			(unsigned long long)f->pump.lost);
	bh_img_free(&img3);
	fx_free(f);
}

static void test_e2e_good(void **state)
{
	(void)state;
	e2e(V_GOOD);
}

static void test_e2e_rogue(void **state)
{
	(void)state;
	e2e(V_ROGUE);
}

static void test_e2e_unprov(void **state)
{
	(void)state;
	e2e(V_UNPROV);
}

static void test_e2e_power_cut(void **state)
{
	(void)state;
	e2e(V_CUT);
}

static void test_e2e_unicast_verify_only(void **state)
{
	(void)state;
	e2e(V_UNICAST_NOAPPLY);
}

static void test_e2e_mixed(void **state)
{
	(void)state;
	e2e(V_MIXED);
}

static void test_e2e_bootloader_refuses(void **state)
{
	(void)state;
	e2e(V_REFUSE);
}

static void test_e2e_lossy(void **state)
{
	(void)state;
	e2e(V_LOSSY);
}

static void test_e2e_cancel(void **state)
{
	(void)state;
	e2e(V_CANCEL);
}

static void test_e2e_verify_then_apply(void **state)
{
	(void)state;
	e2e(V_VERIFY_THEN_APPLY);
}

/* Flash cuts at target 0's operations during the update (records, erases, chunk programs),
 * every mode: the update still reaches every target. */
static void test_e2e_flash_cuts(void **state)
{
	unsigned runs = 0;

	(void)state;
	g_flash_cuts = 0;
	for (uint64_t op = 0; op < 80; op += 3) {
		for (uint32_t mode = 0; mode < 3; mode++) {
			g_cut = (struct fsim_cut){op, mode ? FSIM_CUT_TORN : FSIM_CUT_BETWEEN,
						  mode ? mode - 1 : 0, op * 3 + mode, false};
			e2e(V_FLASH_CUT);
			runs++;
		}
	}
	if (getenv("DFU_DEBUG"))
		fprintf(stderr, "flash cuts: %u runs, %u cuts fired\n", runs, g_flash_cuts);
	assert_true(g_flash_cuts > runs / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_srv_info_and_check),
		cmocka_unit_test(test_srv_blob_stops_before_trailer),
		cmocka_unit_test(test_srv_start_errors_cancel),
		cmocka_unit_test(test_srv_verify_apply),
		cmocka_unit_test(test_srv_verify_fail),
		cmocka_unit_test(test_srv_verify_wrong_version),
		cmocka_unit_test(test_srv_verify_fail_new_blob_and_ttl),
		cmocka_unit_test(test_srv_unprov),
		cmocka_unit_test(test_srv_applying_until_applied),
		cmocka_unit_test(test_srv_applying_restore_reverted),
		cmocka_unit_test(test_srv_applying_restore_no_request),
		cmocka_unit_test(test_srv_applying_unprov),
		cmocka_unit_test(test_srv_record_cuts),
		cmocka_unit_test(test_e2e_good),
		cmocka_unit_test(test_e2e_rogue),
		cmocka_unit_test(test_e2e_unprov),
		cmocka_unit_test(test_e2e_power_cut),
		cmocka_unit_test(test_e2e_unicast_verify_only),
		cmocka_unit_test(test_e2e_mixed),
		cmocka_unit_test(test_e2e_bootloader_refuses),
		cmocka_unit_test(test_e2e_lossy),
		cmocka_unit_test(test_e2e_cancel),
		cmocka_unit_test(test_e2e_verify_then_apply),
		cmocka_unit_test(test_e2e_flash_cuts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
