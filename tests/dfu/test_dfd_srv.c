/*
 * tests/dfu/test_dfd_srv.c: the Firmware Distribution Server on the message pump, with a
 * BLOB Transfer Client as the Initiator's upload and a fake distributor (ops) in the test:
 * every message handler and its errors, byte-exact replies (built with the dfd_msg codecs),
 * a 30 KiB upload into a slot (flash compared byte for byte), the distribution life cycle
 * (start, per-receiver progress, success, apply, completed; suspend / resume; cancel; all
 * failed), power cuts (RAM poisoned, restored from flash: slots, receivers, phase, and the
 * distribution resumed through ops.start), an upload cut mid-way that resumes, and a torn
 * record (fsim_arm_cut + longjmp) that falls back to the previous one.
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
#include "core/dfu/blob_cli.h"
#include "core/dfu/dfd_srv.h"

#define INIT_ADDR 0x0001
#define DIST_ADDR 0x0100
#define SECTOR 4096u
#define BLOB_ID 0x0123456789abcdefull
#define CLI_TIMER_BASE 8u
#define HOUR (3600ull * 1000000ull)
#define IMG_SIZE 30001u

/* Distributor flash (sectors): slot 0 image 8, slot 1 image 4, slot 0 / 1 state 2 + 2,
 * distribution state 2, then the pump's "state" partition (2) for the BLOB server. */
#define SLOT0_SECTORS 8u
#define SLOT1_SECTORS 4u
#define DIST_SECTORS (SLOT0_SECTORS + SLOT1_SECTORS + 6u)

struct fake_ops {
	unsigned start, resume_starts, suspend, resume, cancel, apply;
	int start_ret, suspend_ret, resume_ret, cancel_ret, apply_ret;
	size_t n;
	struct bo_dfd_target_entry rx[BO_DFD_SRV_RECEIVERS_MAX];
	struct bo_dfd_params params;
	struct bo_dfd_image image;
	bool last_resume;
};

struct fx {
	struct pump pump;
	struct pump_node *in, *dn;
	struct pump_flash ifl, dfl;
	struct bo_blob_cli cli;
	struct bo_blob_cli_config ccfg;
	bool cli_done, cli_success;
	struct bo_dfd_srv srv;
	struct bo_dfd_srv_config cfg;
	struct fake_ops ops;
	uint8_t *img;
	/* replies captured at the Initiator */
	unsigned replies;
	uint32_t op[4];
	uint8_t rsp[4][PUMP_PAYLOAD_MAX];
	size_t rsp_len[4];
	bool appkey_bad;
};

/* ---- fake distributor ---------------------------------------------------------------- */

static int ops_start(void *ctx, const struct bo_dfd_target_entry *rx, size_t n,
		     const struct bo_dfd_params *p, const struct bo_dfd_image *img, bool resume)
{
	struct fake_ops *o = ctx;

	o->start++;
	if (resume)
		o->resume_starts++;
	o->last_resume = resume;
	o->n = n;
	memcpy(o->rx, rx, n * sizeof(*rx));
	o->params = *p;
	o->image = *img;
	return o->start_ret;
}

static int ops_suspend(void *ctx)
{
	struct fake_ops *o = ctx;

	o->suspend++;
	return o->suspend_ret;
}

static int ops_resume(void *ctx)
{
	struct fake_ops *o = ctx;

	o->resume++;
	return o->resume_ret;
}

static int ops_cancel(void *ctx)
{
	struct fake_ops *o = ctx;

	o->cancel++;
	return o->cancel_ret;
}

static int ops_apply(void *ctx)
{
	struct fake_ops *o = ctx;

	o->apply++;
	return o->apply_ret;
}

static bool appkey_valid(void *ctx, uint16_t app_idx)
{
	struct fx *f = ctx;

	return !(f->appkey_bad && app_idx == 7);
}

/* ---- nodes ---------------------------------------------------------------------------- */

static void dist_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		    size_t len)
{
	struct fx *f = owner;

	(void)bo_dfd_srv_handle(&f->srv, rx, op, p, len);
}

static void dist_timer(void *owner, uint32_t id)
{
	struct fx *f = owner;

	assert_int_equal(bo_dfd_srv_timer(&f->srv, id), 1);
}

static void init_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		    size_t len)
{
	struct fx *f = owner;

	if (bo_blob_cli_handle(&f->cli, rx, op, p, len))
		return;
	if (f->replies < 4) {
		f->op[f->replies] = op;
		memcpy(f->rsp[f->replies], p, len);
		f->rsp_len[f->replies] = len;
	}
	f->replies++;
}

static void init_timer(void *owner, uint32_t id)
{
	struct fx *f = owner;

	assert_int_equal(bo_blob_cli_timer(&f->cli, id), 1);
}

static void cli_done(void *ctx, struct bo_blob_cli *cli, bool success)
{
	struct fx *f = ctx;

	(void)cli;
	f->cli_done = true;
	f->cli_success = success;
}

static struct bo_flash_area sub_area(const struct pump_flash *fl, uint32_t first, uint32_t n)
{
	struct bo_flash_area a = {.flash = &fl->port, .off = fl->blob.off + first * SECTOR,
				  .size = n * SECTOR};

	return a;
}

static void dist_boot(struct fx *f)
{
	bo_dfd_srv_init(&f->srv, &f->cfg);
	(void)bo_dfd_srv_restore(&f->srv);
}

static void dist_power_cut(struct fx *f)
{
	memset(&f->srv, 0xa5, sizeof(f->srv));
	pump_node_reset(f->dn);
	dist_boot(f);
}

/* DFD_DEBUG=1: print every message delivered */
static void dbg_observe(void *ctx, const struct pump_event *ev)
{
	(void)ctx;
	if (getenv("DFD_DEBUG"))
		fprintf(stderr, "t=%llu %04x->%04x op %04x len %zu\n", (unsigned long long)ev->t,
			ev->rx.src, ev->rx.dst, (unsigned)ev->opcode, ev->len);
}

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->img = malloc(IMG_SIZE);
	assert_non_null(f->img);
	for (uint32_t i = 0; i < IMG_SIZE; i++)
		f->img[i] = (uint8_t)((i * 2654435761u) >> 11 ^ i);
	pump_init(&f->pump, 7, 0, 2000);
	f->pump.observe = dbg_observe;
	f->in = pump_add_node(&f->pump, INIT_ADDR, init_rx, init_timer, f);
	f->dn = pump_add_node(&f->pump, DIST_ADDR, dist_rx, dist_timer, f);
	pump_flash_init(&f->ifl, SECTOR, 8, 4);
	assert_int_equal(fsim_load_bytes(f->ifl.dev, f->ifl.blob.off, f->img, IMG_SIZE), 0);
	f->ccfg = (struct bo_blob_cli_config){
		.mesh = &f->in->port,
		.timer_base = CLI_TIMER_BASE,
		.source = f->ifl.blob,
		.cb = {.ctx = f, .done = cli_done},
	};
	bo_blob_cli_init(&f->cli, &f->ccfg);
	pump_flash_init(&f->dfl, SECTOR, DIST_SECTORS, 4);
	f->cfg = (struct bo_dfd_srv_config){
		.mesh = &f->dn->port,
		.slots = {{.image = sub_area(&f->dfl, 0, SLOT0_SECTORS),
			   .state = sub_area(&f->dfl, SLOT0_SECTORS + SLOT1_SECTORS, 2)},
			  {.image = sub_area(&f->dfl, SLOT0_SECTORS, SLOT1_SECTORS),
			   .state = sub_area(&f->dfl, SLOT0_SECTORS + SLOT1_SECTORS + 2, 2)}},
		.slot_count = 2,
		.state = sub_area(&f->dfl, SLOT0_SECTORS + SLOT1_SECTORS + 4, 2),
		.blob = {.state = f->dfl.state, .timer_base = 0},
		.ops = {.ctx = &f->ops, .start = ops_start, .suspend = ops_suspend,
			.resume = ops_resume, .cancel = ops_cancel, .apply = ops_apply},
		.app_key_valid = appkey_valid,
		.app_key_ctx = f,
	};
	dist_boot(f);
	return f;
}

static void fx_free(struct fx *f)
{
	pump_free(&f->pump);
	pump_flash_free(&f->ifl);
	pump_flash_free(&f->dfl);
	free(f->img);
	free(f);
}

/* Send one message from the Initiator and collect the replies (0, 1 or 2). */
static unsigned req(struct fx *f, uint32_t op, const uint8_t *p, size_t len)
{
	struct bo_mesh_rx rx = {.src = INIT_ADDR, .dst = DIST_ADDR, .app_idx = 0, .ttl = 5};

	f->replies = 0;
	assert_int_equal(bo_dfd_srv_handle(&f->srv, &rx, op, p, len), 1);
	/* every reply is queued by now: deliver them (2 ms latency) */
	(void)pump_run(&f->pump, f->pump.now + 3000, NULL, NULL);
	return f->replies;
}

static void expect(struct fx *f, unsigned i, uint32_t op, const uint8_t *p, int len)
{
	assert_true(len >= 0);
	assert_true(f->replies > i);
	assert_int_equal(f->op[i], op);
	assert_int_equal(f->rsp_len[i], (size_t)len);
	assert_memory_equal(f->rsp[i], p, (size_t)len);
}

static void expect_dist_status(struct fx *f, unsigned i, uint8_t status)
{
	struct bo_dfd_dist_status m = {.status = status, .phase = f->srv.phase};
	uint8_t buf[16];

	if (f->srv.phase != BO_DFD_PHASE_IDLE && f->srv.has_params) {
		m.has_params = true;
		m.group = f->srv.params.group;
		m.app_idx = f->srv.params.app_idx;
		m.ttl = f->srv.params.ttl;
		m.timeout_base = f->srv.params.timeout_base;
		m.mode = f->srv.params.mode;
		m.policy = f->srv.params.policy;
		m.slot_idx = f->srv.params.slot_idx;
	}
	expect(f, i, BO_OP_DFD_STATUS, buf, bo_dfd_dist_status_encode(&m, buf, sizeof(buf)));
}

static void expect_receivers_status(struct fx *f, uint8_t status, uint16_t count)
{
	struct bo_dfd_receivers_status m = {.status = status, .list_count = count};
	uint8_t buf[4];

	expect(f, 0, BO_OP_DFD_RECEIVERS_STATUS, buf,
	       bo_dfd_receivers_status_encode(&m, buf, sizeof(buf)));
}

static void expect_fw_status(struct fx *f, uint8_t status, uint16_t count, uint16_t idx,
			     const uint8_t *fwid, size_t fwid_len)
{
	struct bo_dfd_fw_status m = {.status = status, .slot_count = count, .index = idx,
				     .fwid = fwid, .fwid_len = fwid_len};
	uint8_t buf[32];

	expect(f, 0, BO_OP_DFD_FW_STATUS, buf, bo_dfd_fw_status_encode(&m, buf, sizeof(buf)));
}

static void expect_upload_status(struct fx *f, uint8_t status, uint8_t phase, bool has,
				 uint8_t progress, const uint8_t *fwid, size_t fwid_len)
{
	struct bo_dfd_upload_status m = {.status = status, .phase = phase, .has_progress = has,
					 .progress = progress, .fwid = fwid, .fwid_len = fwid_len};
	uint8_t buf[32];

	expect(f, 0, BO_OP_DFD_UPLOAD_STATUS, buf,
	       bo_dfd_upload_status_encode(&m, buf, sizeof(buf)));
}

/* ---- message helpers ------------------------------------------------------------------ */

static const uint8_t FWID_A[] = {1, 2, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12};
static const uint8_t FWID_B[] = {2, 0, 0, 0, 9};
static const uint8_t META_A[] = {1, 2, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 0x31, 0x75, 0, 0x04};

static void add_receivers(struct fx *f, const struct bo_dfd_receiver *list, size_t n)
{
	struct bo_dfd_receivers_add m = {.list = list, .count = n};
	uint8_t buf[3 * (BO_DFD_SRV_RECEIVERS_MAX + 1)];
	int len = bo_dfd_receivers_add_encode(&m, buf, sizeof(buf));

	assert_true(len > 0);
	assert_int_equal(req(f, BO_OP_DFD_RECEIVERS_ADD, buf, (size_t)len), 1);
}

static void upload_start_msg(struct fx *f, uint64_t id, uint32_t size, const uint8_t *fwid,
			     size_t fwid_len)
{
	struct bo_dfd_upload_start m = {.ttl = 5, .timeout_base = 2, .blob_id = id, .size = size,
					.metadata = META_A, .metadata_len = sizeof(META_A),
					.fwid = fwid, .fwid_len = fwid_len};
	uint8_t buf[80];
	int len = bo_dfd_upload_start_encode(&m, buf, sizeof(buf));

	assert_true(len > 0);
	assert_int_equal(req(f, BO_OP_DFD_UPLOAD_START, buf, (size_t)len), 1);
}

static bool cli_finished(void *ctx)
{
	struct fx *f = ctx;

	return f->cli_done;
}

static void blob_send(struct fx *f, uint64_t id, uint32_t size)
{
	struct bo_blob_cli_xfer x = {.id = id, .size = size, .mode = BO_BLOB_MODE_PUSH,
				     .block_size_log = 12, .group = BO_MESH_ADDR_UNASSIGNED,
				     .ttl = 5, .timeout_base = 2};
	uint16_t addr = DIST_ADDR;

	f->cli_done = false;
	assert_int_equal(bo_blob_cli_send(&f->cli, &x, &addr, 1), 0);
}

static void expect_slot_content(struct fx *f, int slot, uint32_t size)
{
	uint8_t *buf = malloc(size);

	assert_non_null(buf);
	assert_int_equal(fsim_peek(f->dfl.dev, f->cfg.slots[slot].image.off, buf, size), 0);
	assert_memory_equal(buf, f->img, size);
	free(buf);
	assert_int_equal(fsim_violation_count(f->dfl.dev), 0);
}

/* Upload the test image (IMG_SIZE bytes, FWID_A) from the Initiator: Upload Start, then the
 * BLOB transfer. */
static void upload(struct fx *f)
{
	upload_start_msg(f, BLOB_ID, IMG_SIZE, FWID_A, sizeof(FWID_A));
	expect_upload_status(f, BO_DFD_SUCCESS, BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE, true, 0,
			     FWID_A, sizeof(FWID_A));
	blob_send(f, BLOB_ID, IMG_SIZE);
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, cli_finished, f));
	assert_true(f->cli_success);
	assert_int_equal(bo_dfd_srv_upload_phase(&f->srv), BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS);
	expect_slot_content(f, 0, IMG_SIZE);
}

static void dist_start_msg(struct fx *f, uint16_t app_idx, uint8_t policy, uint16_t slot_idx,
			   uint16_t group)
{
	struct bo_dfd_dist_start m = {.app_idx = app_idx, .ttl = 6, .timeout_base = 3,
				      .mode = BO_BLOB_MODE_PUSH, .policy = policy,
				      .slot_idx = slot_idx, .group = group};
	uint8_t buf[32];
	int len = bo_dfd_dist_start_encode(&m, buf, sizeof(buf));

	assert_true(len > 0);
	assert_int_equal(req(f, BO_OP_DFD_START, buf, (size_t)len), 1);
}

static const struct bo_dfd_receiver RX3[] = {{0x0201, 0}, {0x0202, 1}, {0x0203, 0}};

/* ---- tests ---------------------------------------------------------------------------- */

static void test_idle_messages(void **state)
{
	struct fx *f = fx_new();
	uint8_t buf[64];
	int len;

	(void)state;
	/* Capabilities: BO_DFD_SRV_RECEIVERS_MAX receivers, 2 slots, 32 KiB max image, 48 KiB in all, all free */
	{
		struct bo_dfd_caps_status m = {.max_receivers = BO_DFD_SRV_RECEIVERS_MAX,
					       .max_slots = 2, .max_image_size = 32768,
					       .max_upload_space = 49152,
					       .remaining_space = 49152};

		assert_int_equal(req(f, BO_OP_DFD_CAPABILITIES_GET, NULL, 0), 1);
		expect(f, 0, BO_OP_DFD_CAPABILITIES_STATUS, buf,
		       bo_dfd_caps_status_encode(&m, buf, sizeof(buf)));
		assert_int_equal(f->rsp_len[0], 17);
	}
	assert_int_equal(req(f, BO_OP_DFD_GET, NULL, 0), 1);
	expect(f, 0, BO_OP_DFD_STATUS, (const uint8_t[]){0, 0}, 2);
	assert_int_equal(req(f, BO_OP_DFD_UPLOAD_GET, NULL, 0), 1);
	expect(f, 0, BO_OP_DFD_UPLOAD_STATUS, (const uint8_t[]){0, 0}, 2);
	/* empty firmware list */
	assert_int_equal(req(f, BO_OP_DFD_FW_GET_BY_INDEX, (const uint8_t[]){0, 0}, 2), 1);
	expect_fw_status(f, BO_DFD_ERR_FW_NOT_FOUND, 0, 0, NULL, 0);
	assert_int_equal(req(f, BO_OP_DFD_FW_GET, FWID_A, sizeof(FWID_A)), 1);
	expect_fw_status(f, BO_DFD_ERR_FW_NOT_FOUND, 0, 0xffff, FWID_A, sizeof(FWID_A));
	/* distribution errors in IDLE */
	dist_start_msg(f, 0, 0, 0, 0);
	expect(f, 0, BO_OP_DFD_STATUS, (const uint8_t[]){BO_DFD_ERR_RECEIVERS_LIST_EMPTY, 0}, 2);
	assert_int_equal(req(f, BO_OP_DFD_APPLY, NULL, 0), 1);
	expect(f, 0, BO_OP_DFD_STATUS, (const uint8_t[]){BO_DFD_ERR_WRONG_PHASE, 0}, 2);
	assert_int_equal(req(f, BO_OP_DFD_SUSPEND, NULL, 0), 1);
	expect(f, 0, BO_OP_DFD_STATUS, (const uint8_t[]){BO_DFD_ERR_WRONG_PHASE, 0}, 2);
	assert_int_equal(req(f, BO_OP_DFD_CANCEL, NULL, 0), 1);
	expect(f, 0, BO_OP_DFD_STATUS, (const uint8_t[]){0, 0}, 2);
	/* receivers present, but no firmware at that index */
	add_receivers(f, RX3, 3);
	dist_start_msg(f, 0, 0, 0, 0);
	expect(f, 0, BO_OP_DFD_STATUS, (const uint8_t[]){BO_DFD_ERR_FW_NOT_FOUND, 0}, 2);
	f->appkey_bad = true;
	dist_start_msg(f, 7, 0, 0, 0);
	expect(f, 0, BO_OP_DFD_STATUS, (const uint8_t[]){BO_DFD_ERR_INVALID_APPKEY_INDEX, 0}, 2);
	assert_int_equal(f->ops.start, 0);
	/* a virtual address: not supported (Zephyr answers INTERNAL) */
	{
		static const uint8_t uuid[16] = {1};
		struct bo_dfd_dist_start m = {.ttl = 6, .label_uuid = uuid};

		len = bo_dfd_dist_start_encode(&m, buf, sizeof(buf));
		assert_int_equal(len, 24);
		assert_int_equal(req(f, BO_OP_DFD_START, buf, (size_t)len), 1);
		expect(f, 0, BO_OP_DFD_STATUS, (const uint8_t[]){BO_DFD_ERR_INTERNAL, 0}, 2);
	}
	/* OOB upload: no URI schemes */
	{
		struct bo_dfd_upload_start_oob m = {.uri = (const uint8_t *)"http://x", .uri_len = 8,
						    .fwid = FWID_A, .fwid_len = sizeof(FWID_A)};

		len = bo_dfd_upload_start_oob_encode(&m, buf, sizeof(buf));
		assert_int_equal(req(f, BO_OP_DFD_UPLOAD_START_OOB, buf, (size_t)len), 1);
		expect(f, 0, BO_OP_DFD_UPLOAD_STATUS,
		       (const uint8_t[]){BO_DFD_ERR_URI_NOT_SUPPORTED, 0}, 2);
	}
	/* upload that does not fit in any slot, and an empty one */
	upload_start_msg(f, BLOB_ID, 32769, FWID_A, sizeof(FWID_A));
	expect(f, 0, BO_OP_DFD_UPLOAD_STATUS,
	       (const uint8_t[]){BO_DFD_ERR_INSUFFICIENT_RESOURCES, 0}, 2);
	upload_start_msg(f, BLOB_ID, 0, FWID_A, sizeof(FWID_A));
	expect(f, 0, BO_OP_DFD_UPLOAD_STATUS,
	       (const uint8_t[]){BO_DFD_ERR_INSUFFICIENT_RESOURCES, 0}, 2);
	/* malformed: dropped, no answer */
	assert_int_equal(req(f, BO_OP_DFD_RECEIVERS_GET, (const uint8_t[]){0, 0, 0, 0}, 4), 0);
	assert_int_equal(req(f, BO_OP_DFD_RECEIVERS_ADD, (const uint8_t[]){1, 2, 0, 4}, 4), 0);
	assert_int_equal(req(f, BO_OP_DFD_GET, (const uint8_t[]){0}, 1), 0);
	assert_int_equal(req(f, BO_OP_DFD_FW_GET_BY_INDEX, (const uint8_t[]){0}, 1), 0);
	/* not ours: status messages and other models */
	{
		struct bo_mesh_rx rx = {.src = INIT_ADDR, .dst = DIST_ADDR};

		assert_int_equal(bo_dfd_srv_handle(&f->srv, &rx, BO_OP_DFD_STATUS,
						   (const uint8_t[]){0, 0}, 2), 0);
		assert_int_equal(bo_dfd_srv_handle(&f->srv, &rx, BO_OP_DFU_INFO_GET,
						   (const uint8_t[]){0, 1}, 2), 0);
		assert_int_equal(bo_dfd_srv_handle(&f->srv, &rx, 0x8201, NULL, 0), 0);
		assert_int_equal(bo_dfd_srv_handle(&f->srv, &rx, BO_OP_BLOB_XFER_STATUS,
						   (const uint8_t[]){0, 0}, 2), 0);
		assert_int_equal(bo_dfd_srv_handle(&f->srv, &rx, BO_OP_DFU_UPDATE_STATUS,
						   (const uint8_t[]){0, 0}, 2), 0);
	}
	fx_free(f);
}

static void test_receivers(void **state)
{
	struct fx *f = fx_new();
	struct bo_dfd_receiver many[BO_DFD_SRV_RECEIVERS_MAX + 1];
	struct bo_dfd_target_entry exp[BO_DFD_SRV_RECEIVERS_MAX];
	uint8_t buf[4 + 5 * BO_DFD_SRV_RECEIVERS_MAX];

	(void)state;
	/* a group address is skipped, a known address gets its new image index */
	{
		static const struct bo_dfd_receiver l[] = {
			{0x0201, 0}, {0xc000, 0}, {0x0202, 1}, {0x0201, 3}};

		add_receivers(f, l, 4);
		expect_receivers_status(f, BO_DFD_SUCCESS, 2);
		assert_int_equal(f->srv.receivers[0].img_idx, 3);
	}
	assert_int_equal(req(f, BO_OP_DFD_RECEIVERS_DELETE_ALL, NULL, 0), 1);
	expect_receivers_status(f, BO_DFD_SUCCESS, 0);
	/* fill the list: one more is refused, the others stay */
	for (uint16_t i = 0; i <= BO_DFD_SRV_RECEIVERS_MAX; i++) {
		many[i].addr = (uint16_t)(0x0300 + i);
		many[i].img_idx = (uint8_t)(i & 3u);
	}
	add_receivers(f, many, BO_DFD_SRV_RECEIVERS_MAX + 1);
	expect_receivers_status(f, BO_DFD_ERR_INSUFFICIENT_RESOURCES, BO_DFD_SRV_RECEIVERS_MAX);
	memset(exp, 0, sizeof(exp));
	for (uint16_t i = 0; i < BO_DFD_SRV_RECEIVERS_MAX; i++) {
		exp[i].addr = many[i].addr;
		exp[i].img_idx = many[i].img_idx;
	}
	/* paging: first 0 limit 5, first M-2 limit 5 (2 left), first M+4 (none), all */
	{
		const uint16_t M = BO_DFD_SRV_RECEIVERS_MAX;
		const uint16_t firsts[] = {0, (uint16_t)(M - 2), (uint16_t)(M + 4), 0, M};
		const uint16_t limits[] = {5, 5, 3, 0xffff, 1};
		/* "all" is clamped to what one message holds */
		const size_t all = M < BO_DFD_SRV_RECEIVERS_PER_LIST ? M
								    : BO_DFD_SRV_RECEIVERS_PER_LIST;
		const size_t counts[] = {5, 2, 0, all, 0};

		for (size_t k = 0; k < 5; k++) {
			struct bo_dfd_receivers_get g = {.first = firsts[k], .limit = limits[k]};
			struct bo_dfd_receivers_list l = {.total = BO_DFD_SRV_RECEIVERS_MAX,
							  .first = firsts[k],
							  .list = counts[k] ? &exp[firsts[k]] : NULL,
							  .count = counts[k]};
			uint8_t q[4];
			int len = bo_dfd_receivers_get_encode(&g, q, sizeof(q));

			assert_int_equal(req(f, BO_OP_DFD_RECEIVERS_GET, q, (size_t)len), 1);
			expect(f, 0, BO_OP_DFD_RECEIVERS_LIST, buf,
			       bo_dfd_receivers_list_encode(&l, buf, sizeof(buf)));
			assert_int_equal(f->rsp_len[0], 4 + 5 * counts[k]);
		}
	}
	/* survives a power cut */
	dist_power_cut(f);
	assert_int_equal(f->srv.receiver_count, BO_DFD_SRV_RECEIVERS_MAX);
	assert_memory_equal(f->srv.receivers, exp, sizeof(exp));
	assert_int_equal(req(f, BO_OP_DFD_RECEIVERS_DELETE_ALL, NULL, 0), 1);
	expect_receivers_status(f, BO_DFD_SUCCESS, 0);
	dist_power_cut(f);
	assert_int_equal(f->srv.receiver_count, 0);
	fx_free(f);
}

static void test_upload(void **state)
{
	struct fx *f = fx_new();
	uint8_t buf[64];

	(void)state;
	upload_start_msg(f, BLOB_ID, IMG_SIZE, FWID_A, sizeof(FWID_A));
	expect_upload_status(f, BO_DFD_SUCCESS, BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE, true, 0,
			     FWID_A, sizeof(FWID_A));
	assert_int_equal(f->srv.upload.slot, 0); /* the smallest slot that holds 30001 bytes */
	/* the same Start again: SUCCESS; another one: BUSY_WITH_UPLOAD */
	upload_start_msg(f, BLOB_ID, IMG_SIZE, FWID_A, sizeof(FWID_A));
	expect_upload_status(f, BO_DFD_SUCCESS, BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE, true, 0,
			     FWID_A, sizeof(FWID_A));
	upload_start_msg(f, BLOB_ID + 1, 1000, FWID_B, sizeof(FWID_B));
	expect_upload_status(f, BO_DFD_ERR_BUSY_WITH_UPLOAD, BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE,
			     true, 0, FWID_A, sizeof(FWID_A));
	/* OOB while an upload runs */
	{
		struct bo_dfd_upload_start_oob m = {.uri = (const uint8_t *)"x", .uri_len = 1};
		int len = bo_dfd_upload_start_oob_encode(&m, buf, sizeof(buf));

		assert_int_equal(req(f, BO_OP_DFD_UPLOAD_START_OOB, buf, (size_t)len), 1);
		expect_upload_status(f, BO_DFD_ERR_BUSY_WITH_UPLOAD,
				     BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE, true, 0, FWID_A,
				     sizeof(FWID_A));
	}
	/* remaining space: slot 0 taken by the upload */
	{
		struct bo_dfd_caps_status m = {.max_receivers = BO_DFD_SRV_RECEIVERS_MAX,
					       .max_slots = 2, .max_image_size = 32768,
					       .max_upload_space = 49152,
					       .remaining_space = 16384};

		assert_int_equal(req(f, BO_OP_DFD_CAPABILITIES_GET, NULL, 0), 1);
		expect(f, 0, BO_OP_DFD_CAPABILITIES_STATUS, buf,
		       bo_dfd_caps_status_encode(&m, buf, sizeof(buf)));
	}
	blob_send(f, BLOB_ID, IMG_SIZE);
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, cli_finished, f));
	assert_true(f->cli_success);
	expect_slot_content(f, 0, IMG_SIZE);
	assert_int_equal(bo_dfd_srv_upload_phase(&f->srv), BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS);
	assert_int_equal(req(f, BO_OP_DFD_UPLOAD_GET, NULL, 0), 1);
	expect_upload_status(f, BO_DFD_SUCCESS, BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS, true, 100,
			     FWID_A, sizeof(FWID_A));
	/* the firmware list has it */
	assert_int_equal(req(f, BO_OP_DFD_FW_GET, FWID_A, sizeof(FWID_A)), 1);
	expect_fw_status(f, BO_DFD_SUCCESS, 1, 0, FWID_A, sizeof(FWID_A));
	assert_int_equal(req(f, BO_OP_DFD_FW_GET_BY_INDEX, (const uint8_t[]){0, 0}, 2), 1);
	expect_fw_status(f, BO_DFD_SUCCESS, 1, 0, FWID_A, sizeof(FWID_A));
	assert_int_equal(req(f, BO_OP_DFD_FW_GET_BY_INDEX, (const uint8_t[]){1, 0}, 2), 1);
	expect_fw_status(f, BO_DFD_ERR_FW_NOT_FOUND, 1, 1, NULL, 0);
	assert_memory_equal(f->srv.slots[0].metadata, META_A, sizeof(META_A));
	assert_int_equal(f->srv.slots[0].size, IMG_SIZE);
	/* the same FWID again: already there (TRANSFER_SUCCESS, 100 %) */
	upload_start_msg(f, BLOB_ID + 5, IMG_SIZE, FWID_A, sizeof(FWID_A));
	expect_upload_status(f, BO_DFD_SUCCESS, BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS, true, 100,
			     FWID_A, sizeof(FWID_A));
	/* another image no longer fits in slot 0; 16 KiB fits slot 1 */
	upload_start_msg(f, BLOB_ID + 2, 20000, FWID_B, sizeof(FWID_B));
	expect_upload_status(f, BO_DFD_ERR_INSUFFICIENT_RESOURCES,
			     BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS, true, 100, FWID_A, sizeof(FWID_A));
	upload_start_msg(f, BLOB_ID + 2, 10000, FWID_B, sizeof(FWID_B));
	expect_upload_status(f, BO_DFD_SUCCESS, BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE, true, 0,
			     FWID_B, sizeof(FWID_B));
	assert_int_equal(f->srv.upload.slot, 1);
	assert_int_equal(req(f, BO_OP_DFD_UPLOAD_CANCEL, NULL, 0), 1);
	expect(f, 0, BO_OP_DFD_UPLOAD_STATUS, (const uint8_t[]){0, 0}, 2);
	assert_int_equal(bo_blob_srv_phase(&f->srv.blob), BO_BLOB_PHASE_INACTIVE);
	/* the cancelled upload left no firmware behind */
	assert_int_equal(req(f, BO_OP_DFD_FW_GET, FWID_B, sizeof(FWID_B)), 1);
	expect_fw_status(f, BO_DFD_ERR_FW_NOT_FOUND, 1, 0xffff, FWID_B, sizeof(FWID_B));
	/* slots survive a power cut */
	dist_power_cut(f);
	assert_int_equal(f->srv.slots[0].state, BO_DFD_SLOT_COMPLETE);
	assert_int_equal(f->srv.slots[0].size, IMG_SIZE);
	assert_memory_equal(f->srv.slots[0].fwid, FWID_A, sizeof(FWID_A));
	assert_int_equal(f->srv.slots[0].metadata_len, sizeof(META_A));
	assert_int_equal(f->srv.slots[1].state, BO_DFD_SLOT_RECEIVING);
	assert_int_equal(bo_dfd_srv_upload_phase(&f->srv), BO_DFD_UPLOAD_PHASE_IDLE);
	assert_int_equal(req(f, BO_OP_DFD_FW_GET, FWID_A, sizeof(FWID_A)), 1);
	expect_fw_status(f, BO_DFD_SUCCESS, 1, 0, FWID_A, sizeof(FWID_A));
	/* delete: an unknown FWID is a success too */
	assert_int_equal(req(f, BO_OP_DFD_FW_DELETE, FWID_B, sizeof(FWID_B)), 1);
	expect_fw_status(f, BO_DFD_SUCCESS, 1, 0xffff, FWID_B, sizeof(FWID_B));
	assert_int_equal(req(f, BO_OP_DFD_FW_DELETE, FWID_A, sizeof(FWID_A)), 1);
	expect_fw_status(f, BO_DFD_SUCCESS, 0, 0xffff, FWID_A, sizeof(FWID_A));
	assert_int_equal(req(f, BO_OP_DFD_FW_GET, FWID_A, sizeof(FWID_A)), 1);
	expect_fw_status(f, BO_DFD_ERR_FW_NOT_FOUND, 0, 0xffff, FWID_A, sizeof(FWID_A));
	dist_power_cut(f);
	assert_int_equal(bo_dfd_srv_fw_count(&f->srv), 0);
	assert_int_equal(req(f, BO_OP_DFD_FW_DELETE_ALL, NULL, 0), 1);
	expect_fw_status(f, BO_DFD_SUCCESS, 0, 0xffff, NULL, 0);
	fx_free(f);
}

/* Receivers, an uploaded image, and a Start (policy): ops.start called, TRANSFER_ACTIVE. */
static struct fx *fx_distributing(uint8_t policy)
{
	struct fx *f = fx_new();

	add_receivers(f, RX3, 3);
	expect_receivers_status(f, BO_DFD_SUCCESS, 3);
	upload(f);
	dist_start_msg(f, 0, policy, 0, 0xc001);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->rsp_len[0], 12);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_TRANSFER_ACTIVE);
	assert_int_equal(f->ops.start, 1);
	assert_false(f->ops.last_resume);
	assert_int_equal(f->ops.n, 3);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(f->ops.rx[i].addr, RX3[i].addr);
		assert_int_equal(f->ops.rx[i].img_idx, RX3[i].img_idx);
	}
	assert_int_equal(f->ops.params.ttl, 6);
	assert_int_equal(f->ops.params.timeout_base, 3);
	assert_int_equal(f->ops.params.policy, policy);
	assert_int_equal(f->ops.params.group, 0xc001);
	assert_int_equal(f->ops.image.size, IMG_SIZE);
	assert_int_equal(f->ops.image.area.off, f->cfg.slots[0].image.off);
	assert_int_equal(f->ops.image.fwid_len, sizeof(FWID_A));
	assert_memory_equal(f->ops.image.fwid, FWID_A, sizeof(FWID_A));
	assert_int_equal(f->ops.image.metadata_len, sizeof(META_A));
	return f;
}

static void expect_receivers_list(struct fx *f, const struct bo_dfd_target_entry *e, size_t n)
{
	struct bo_dfd_receivers_get g = {.first = 0, .limit = 100};
	struct bo_dfd_receivers_list l = {.total = (uint16_t)n, .first = 0, .list = e, .count = n};
	uint8_t q[4], buf[128];
	int len = bo_dfd_receivers_get_encode(&g, q, sizeof(q));

	assert_int_equal(req(f, BO_OP_DFD_RECEIVERS_GET, q, (size_t)len), 1);
	expect(f, 0, BO_OP_DFD_RECEIVERS_LIST, buf,
	       bo_dfd_receivers_list_encode(&l, buf, sizeof(buf)));
}

static void test_lifecycle_verify_only(void **state)
{
	struct fx *f = fx_distributing(BO_DFD_POLICY_VERIFY_ONLY);
	struct bo_dfd_target_entry e[3];

	(void)state;
	/* busy: no new receivers, no other distribution, no upload, no delete, no apply */
	add_receivers(f, RX3, 1);
	expect_receivers_status(f, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION, 3);
	assert_int_equal(req(f, BO_OP_DFD_RECEIVERS_DELETE_ALL, NULL, 0), 1);
	expect_receivers_status(f, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION, 3);
	dist_start_msg(f, 1, 0, 0, 0xc001);
	expect_dist_status(f, 0, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION);
	dist_start_msg(f, 0, 0, 0, 0xc001); /* the same again: SUCCESS, not restarted */
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->ops.start, 1);
	upload_start_msg(f, BLOB_ID + 9, 1000, FWID_B, sizeof(FWID_B));
	expect_upload_status(f, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION,
			     BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS, true, 100, FWID_A, sizeof(FWID_A));
	assert_int_equal(req(f, BO_OP_DFD_FW_DELETE, FWID_A, sizeof(FWID_A)), 1);
	expect_fw_status(f, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION, 1, 0xffff, NULL, 0);
	assert_int_equal(req(f, BO_OP_DFD_FW_DELETE_ALL, NULL, 0), 1);
	expect_fw_status(f, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION, 1, 0xffff, NULL, 0);
	assert_int_equal(req(f, BO_OP_DFD_APPLY, NULL, 0), 1);
	expect_dist_status(f, 0, BO_DFD_ERR_WRONG_PHASE);
	/* per-receiver progress */
	assert_int_equal(bo_dfd_srv_receiver_report(&f->srv, 0x0201, BO_DFU_PHASE_TRANSFER_ACTIVE,
						    BO_DFU_SUCCESS, BO_BLOB_SUCCESS, 40), 0);
	assert_int_equal(bo_dfd_srv_receiver_report(&f->srv, 0x0202, BO_DFU_PHASE_TRANSFER_ACTIVE,
						    BO_DFU_SUCCESS, BO_BLOB_SUCCESS, 60), 0);
	assert_int_equal(bo_dfd_srv_receiver_report(&f->srv, 0x0203, BO_DFU_PHASE_TRANSFER_ERR,
						    BO_DFU_ERR_INTERNAL,
						    BO_BLOB_ERR_INFO_UNAVAILABLE, 0), 0);
	assert_int_equal(bo_dfd_srv_receiver_report(&f->srv, 0x0999, 0, 0, 0, 0), -1);
	assert_int_equal(bo_dfd_srv_receiver_report(&f->srv, 0x0201, 11, 0, 0, 0), -1);
	assert_int_equal(bo_dfd_srv_receiver_report(&f->srv, 0x0201, 0, 0, 0, 101), -1);
	memset(e, 0, sizeof(e));
	for (int i = 0; i < 3; i++) {
		e[i].addr = RX3[i].addr;
		e[i].img_idx = RX3[i].img_idx;
	}
	e[0].phase = e[1].phase = BO_DFU_PHASE_TRANSFER_ACTIVE;
	e[0].progress = 20;
	e[1].progress = 30;
	e[2].phase = BO_DFU_PHASE_TRANSFER_ERR;
	e[2].update_status = BO_DFU_ERR_INTERNAL;
	e[2].blob_status = BO_BLOB_ERR_INFO_UNAVAILABLE;
	expect_receivers_list(f, e, 3);
	/* verified on two: TRANSFER_SUCCESS, waiting for Apply */
	(void)bo_dfd_srv_receiver_report(&f->srv, 0x0201, BO_DFU_PHASE_VERIFY_OK, 0, 0, 100);
	(void)bo_dfd_srv_receiver_report(&f->srv, 0x0202, BO_DFU_PHASE_VERIFY_OK, 0, 0, 100);
	bo_dfd_srv_transfer_end(&f->srv, true);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_TRANSFER_SUCCESS);
	assert_int_equal(f->ops.apply, 0);
	assert_int_equal(req(f, BO_OP_DFD_GET, NULL, 0), 1);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->rsp[0][1], BO_DFD_PHASE_TRANSFER_SUCCESS);
	/* suspend is for an active transfer only */
	assert_int_equal(req(f, BO_OP_DFD_SUSPEND, NULL, 0), 1);
	expect_dist_status(f, 0, BO_DFD_ERR_WRONG_PHASE);
	assert_int_equal(req(f, BO_OP_DFD_APPLY, NULL, 0), 1);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_APPLYING_UPDATE);
	assert_int_equal(f->ops.apply, 1);
	assert_int_equal(req(f, BO_OP_DFD_APPLY, NULL, 0), 1); /* again: SUCCESS, once */
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->ops.apply, 1);
	bo_dfd_srv_apply_end(&f->srv, true);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_COMPLETED);
	/* COMPLETED: the same Start is a SUCCESS, not a new distribution */
	dist_start_msg(f, 0, 0, 0, 0xc001);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->ops.start, 1);
	assert_int_equal(req(f, BO_OP_DFD_FW_DELETE, FWID_A, sizeof(FWID_A)), 1);
	expect_fw_status(f, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION, 1, 0xffff, NULL, 0);
	/* COMPLETED survives a power cut without calling the distributor */
	dist_power_cut(f);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_COMPLETED);
	assert_int_equal(f->ops.start, 1);
	/* Cancel in COMPLETED: IDLE */
	assert_int_equal(req(f, BO_OP_DFD_CANCEL, NULL, 0), 1);
	expect(f, 0, BO_OP_DFD_STATUS, (const uint8_t[]){0, 0}, 2);
	assert_int_equal(f->ops.cancel, 0);
	/* a new distribution of another slot index: not there */
	dist_start_msg(f, 0, 0, 1, 0xc001);
	expect(f, 0, BO_OP_DFD_STATUS, (const uint8_t[]){BO_DFD_ERR_FW_NOT_FOUND, 0}, 2);
	fx_free(f);
}

static void test_lifecycle_verify_and_apply(void **state)
{
	struct fx *f = fx_distributing(BO_DFD_POLICY_VERIFY_AND_APPLY);

	(void)state;
	bo_dfd_srv_transfer_end(&f->srv, true);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_APPLYING_UPDATE);
	assert_int_equal(f->ops.apply, 1);
	bo_dfd_srv_apply_end(&f->srv, true);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_COMPLETED);
	/* a new Start with other parameters from COMPLETED: a fresh distribution, a new BLOB */
	{
		uint64_t id = f->ops.params.blob_id;

		dist_start_msg(f, 0, BO_DFD_POLICY_VERIFY_ONLY, 0, 0);
		expect_dist_status(f, 0, BO_DFD_SUCCESS);
		assert_int_equal(f->ops.start, 2);
		assert_true(f->ops.params.blob_id != id);
	}
	assert_false(f->ops.last_resume);
	/* the apply refused by the distributor: FAILED */
	f->ops.apply_ret = -1;
	bo_dfd_srv_transfer_end(&f->srv, true);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_TRANSFER_SUCCESS);
	assert_int_equal(req(f, BO_OP_DFD_APPLY, NULL, 0), 1);
	expect_dist_status(f, 0, BO_DFD_ERR_INTERNAL);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_TRANSFER_SUCCESS);
	f->ops.apply_ret = 0;
	assert_int_equal(req(f, BO_OP_DFD_APPLY, NULL, 0), 1);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	bo_dfd_srv_apply_end(&f->srv, false);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_FAILED);
	fx_free(f);
}

static void test_suspend_resume_cancel(void **state)
{
	struct fx *f = fx_distributing(BO_DFD_POLICY_VERIFY_ONLY);

	(void)state;
	f->ops.suspend_ret = -1;
	assert_int_equal(req(f, BO_OP_DFD_SUSPEND, NULL, 0), 1);
	expect_dist_status(f, 0, BO_DFD_ERR_SUSPEND_FAILED);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_TRANSFER_ACTIVE);
	f->ops.suspend_ret = 0;
	assert_int_equal(req(f, BO_OP_DFD_SUSPEND, NULL, 0), 1);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_TRANSFER_SUSPENDED);
	assert_int_equal(f->ops.suspend, 2);
	assert_int_equal(req(f, BO_OP_DFD_SUSPEND, NULL, 0), 1); /* again: SUCCESS */
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->ops.suspend, 2);
	/* other parameters while suspended: busy; the same: resume */
	dist_start_msg(f, 0, 1, 0, 0xc001);
	expect_dist_status(f, 0, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION);
	dist_start_msg(f, 0, 0, 0, 0xc001);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_TRANSFER_ACTIVE);
	assert_int_equal(f->ops.resume, 1);
	assert_int_equal(f->ops.start, 1);
	/* the distributor suspends on its own (every target lost) */
	bo_dfd_srv_suspended(&f->srv);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_TRANSFER_SUSPENDED);
	/* cancel: CANCELING until the distributor is done */
	assert_int_equal(req(f, BO_OP_DFD_CANCEL, NULL, 0), 1);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->rsp[0][1], BO_DFD_PHASE_CANCELING_UPDATE);
	assert_int_equal(f->ops.cancel, 1);
	assert_int_equal(req(f, BO_OP_DFD_CANCEL, NULL, 0), 1); /* again: nothing new */
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->ops.cancel, 1);
	dist_start_msg(f, 0, 0, 0, 0xc001);
	expect_dist_status(f, 0, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION);
	assert_int_equal(req(f, BO_OP_DFD_APPLY, NULL, 0), 1);
	expect_dist_status(f, 0, BO_DFD_ERR_WRONG_PHASE);
	bo_dfd_srv_cancel_end(&f->srv);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_IDLE);
	/* start again, go to APPLYING, cancel there: two statuses, IDLE at once */
	dist_start_msg(f, 0, 0, 0, 0xc001);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->ops.start, 2);
	bo_dfd_srv_transfer_end(&f->srv, true);
	assert_int_equal(req(f, BO_OP_DFD_APPLY, NULL, 0), 1);
	assert_int_equal(req(f, BO_OP_DFD_CANCEL, NULL, 0), 2);
	assert_int_equal(f->rsp[0][1], BO_DFD_PHASE_CANCELING_UPDATE);
	expect(f, 1, BO_OP_DFD_STATUS, (const uint8_t[]){0, BO_DFD_PHASE_IDLE}, 2);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_IDLE);
	assert_int_equal(f->ops.cancel, 2);
	/* a distributor that cannot start: INTERNAL, IDLE */
	f->ops.start_ret = -1;
	dist_start_msg(f, 0, 0, 0, 0xc001);
	expect(f, 0, BO_OP_DFD_STATUS, (const uint8_t[]){BO_DFD_ERR_INTERNAL, 0}, 2);
	fx_free(f);
}

static void test_all_failed(void **state)
{
	struct fx *f = fx_distributing(BO_DFD_POLICY_VERIFY_AND_APPLY);
	struct bo_dfd_target_entry e[3];

	(void)state;
	memset(e, 0, sizeof(e));
	for (int i = 0; i < 3; i++) {
		(void)bo_dfd_srv_receiver_report(&f->srv, RX3[i].addr, BO_DFU_PHASE_TRANSFER_ERR,
						 BO_DFU_ERR_INTERNAL, BO_BLOB_ERR_INTERNAL, 10);
		e[i].addr = RX3[i].addr;
		e[i].img_idx = RX3[i].img_idx;
		e[i].phase = BO_DFU_PHASE_TRANSFER_ERR;
		e[i].update_status = BO_DFU_ERR_INTERNAL;
		e[i].blob_status = BO_BLOB_ERR_INTERNAL;
		e[i].progress = 5;
	}
	bo_dfd_srv_transfer_end(&f->srv, false);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_FAILED);
	assert_int_equal(f->ops.apply, 0);
	assert_int_equal(req(f, BO_OP_DFD_GET, NULL, 0), 1);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->rsp[0][1], BO_DFD_PHASE_FAILED);
	expect_receivers_list(f, e, 3);
	/* FAILED and the receivers' results survive a power cut (progress is RAM only) */
	dist_power_cut(f);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_FAILED);
	assert_int_equal(f->ops.start, 1);
	expect_receivers_list(f, e, 3);
	/* receivers may change after a failure; a new Start re-runs with cleared states */
	add_receivers(f, (const struct bo_dfd_receiver[]){{0x0204, 0}}, 1);
	expect_receivers_status(f, BO_DFD_SUCCESS, 4);
	dist_start_msg(f, 0, 1, 0, 0xc001);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->ops.start, 2);
	assert_int_equal(f->ops.n, 4);
	assert_int_equal(f->ops.rx[0].phase, 0);
	assert_int_equal(f->ops.rx[0].update_status, 0);
	fx_free(f);
}

static void test_power_cut_distribution(void **state)
{
	struct fx *f = fx_distributing(BO_DFD_POLICY_VERIFY_AND_APPLY);
	uint8_t before[16];
	size_t before_len;
	uint64_t blob_id = f->ops.params.blob_id;

	(void)state;
	assert_true(blob_id != 0 && blob_id != BLOB_ID);
	(void)bo_dfd_srv_receiver_report(&f->srv, 0x0201, BO_DFU_PHASE_VERIFY_OK, 0, 0, 100);
	(void)bo_dfd_srv_receiver_report(&f->srv, 0x0202, BO_DFU_PHASE_TRANSFER_ACTIVE, 0, 0, 50);
	assert_int_equal(req(f, BO_OP_DFD_GET, NULL, 0), 1);
	before_len = f->rsp_len[0];
	memcpy(before, f->rsp[0], before_len);
	/* power cut: RAM gone, restore from flash alone */
	dist_power_cut(f);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_TRANSFER_ACTIVE);
	assert_int_equal(f->ops.start, 2);
	assert_true(f->ops.last_resume);
	assert_int_equal(f->ops.n, 3);
	assert_int_equal(f->ops.rx[0].addr, 0x0201);
	assert_int_equal(f->ops.rx[0].phase, BO_DFU_PHASE_VERIFY_OK);
	assert_int_equal(f->ops.rx[1].phase, BO_DFU_PHASE_TRANSFER_ACTIVE);
	assert_int_equal(f->ops.rx[2].img_idx, 0);
	assert_int_equal(f->ops.params.group, 0xc001);
	assert_int_equal(f->ops.params.policy, BO_DFD_POLICY_VERIFY_AND_APPLY);
	assert_int_equal(f->ops.params.blob_id, blob_id); /* the same BLOB: targets keep blocks */
	assert_int_equal(f->ops.image.size, IMG_SIZE);
	assert_memory_equal(f->ops.image.fwid, FWID_A, sizeof(FWID_A));
	assert_int_equal(f->srv.slots[0].state, BO_DFD_SLOT_COMPLETE);
	assert_int_equal(bo_dfd_srv_upload_phase(&f->srv), BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS);
	assert_int_equal(req(f, BO_OP_DFD_GET, NULL, 0), 1);
	expect(f, 0, BO_OP_DFD_STATUS, before, (int)before_len);
	assert_int_equal(req(f, BO_OP_DFD_FW_GET, FWID_A, sizeof(FWID_A)), 1);
	expect_fw_status(f, BO_DFD_SUCCESS, 1, 0, FWID_A, sizeof(FWID_A));
	/* the resumed distribution ends: apply (policy), completed */
	bo_dfd_srv_transfer_end(&f->srv, true);
	assert_int_equal(f->ops.apply, 1);
	/* cut while applying: restarted, the re-reported end applies again */
	dist_power_cut(f);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_APPLYING_UPDATE);
	assert_int_equal(f->ops.start, 3);
	assert_true(f->ops.last_resume);
	bo_dfd_srv_transfer_end(&f->srv, true);
	assert_int_equal(f->ops.apply, 2);
	bo_dfd_srv_apply_end(&f->srv, true);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_COMPLETED);
	fx_free(f);
}

static void test_power_cut_suspended(void **state)
{
	struct fx *f = fx_distributing(BO_DFD_POLICY_VERIFY_ONLY);

	(void)state;
	assert_int_equal(req(f, BO_OP_DFD_SUSPEND, NULL, 0), 1);
	dist_power_cut(f);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_TRANSFER_SUSPENDED);
	assert_int_equal(f->ops.start, 1); /* nothing runs while suspended */
	/* the resume: the distributor lost its session, so start(resume) instead of resume */
	dist_start_msg(f, 0, 0, 0, 0xc001);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->ops.start, 2);
	assert_true(f->ops.last_resume);
	assert_int_equal(f->ops.resume, 0);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_TRANSFER_ACTIVE);
	/* suspended again, cut, then cancelled: the distributor is restarted to cancel */
	assert_int_equal(req(f, BO_OP_DFD_SUSPEND, NULL, 0), 1);
	dist_power_cut(f);
	assert_int_equal(f->ops.start, 2);
	assert_int_equal(req(f, BO_OP_DFD_CANCEL, NULL, 0), 1);
	assert_int_equal(f->rsp[0][1], BO_DFD_PHASE_CANCELING_UPDATE);
	assert_int_equal(f->ops.start, 3);
	assert_true(f->ops.last_resume);
	assert_int_equal(f->ops.cancel, 1);
	bo_dfd_srv_transfer_end(&f->srv, false); /* ends the cancel too */
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_IDLE);
	dist_start_msg(f, 0, 0, 0, 0xc001);
	expect_dist_status(f, 0, BO_DFD_SUCCESS);
	assert_int_equal(f->ops.start, 4);
	assert_false(f->ops.last_resume);
	/* canceling when the cut came: cancel again after the restart */
	assert_int_equal(req(f, BO_OP_DFD_CANCEL, NULL, 0), 1);
	assert_int_equal(f->ops.cancel, 2);
	dist_power_cut(f);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_CANCELING_UPDATE);
	assert_int_equal(f->ops.start, 5);
	assert_int_equal(f->ops.cancel, 3);
	bo_dfd_srv_cancel_end(&f->srv);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_IDLE);
	fx_free(f);
}

static bool upload_half(void *ctx)
{
	struct fx *f = ctx;

	return bo_blob_srv_progress(&f->srv.blob) >= 50;
}

/* The Distributor loses power mid-upload: the BLOB server resumes from its stored blocks. */
static void test_power_cut_upload(void **state)
{
	struct fx *f = fx_new();
	uint8_t done;

	(void)state;
	upload_start_msg(f, BLOB_ID, IMG_SIZE, FWID_A, sizeof(FWID_A));
	blob_send(f, BLOB_ID, IMG_SIZE);
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, upload_half, f));
	done = bo_blob_srv_progress(&f->srv.blob);
	dist_power_cut(f);
	assert_int_equal(bo_dfd_srv_upload_phase(&f->srv), BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE);
	assert_int_equal(f->srv.upload.slot, 0);
	assert_int_equal(f->srv.slots[0].state, BO_DFD_SLOT_RECEIVING);
	assert_int_equal(bo_blob_srv_phase(&f->srv.blob), BO_BLOB_PHASE_SUSPENDED);
	assert_true(bo_blob_srv_progress(&f->srv.blob) + 13 >= done); /* a block at most lost */
	assert_int_equal(bo_dfd_srv_fw_count(&f->srv), 0);
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, cli_finished, f));
	assert_true(f->cli_success);
	expect_slot_content(f, 0, IMG_SIZE);
	assert_int_equal(bo_dfd_srv_upload_phase(&f->srv), BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS);
	assert_int_equal(bo_dfd_srv_fw_count(&f->srv), 1);
	dist_power_cut(f);
	assert_int_equal(bo_dfd_srv_upload_phase(&f->srv), BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS);
	assert_int_equal(req(f, BO_OP_DFD_FW_GET, FWID_A, sizeof(FWID_A)), 1);
	expect_fw_status(f, BO_DFD_SUCCESS, 1, 0, FWID_A, sizeof(FWID_A));
	fx_free(f);
}

/* ---- torn records --------------------------------------------------------------------- */

static jmp_buf cut_jb;

static void on_power_loss(void *ctx)
{
	(void)ctx;
	longjmp(cut_jb, 1);
}

/* Cut the next flash operation (the record a message writes) with a torn program: the
 * restored server has the previous record. */
static void torn_case(uint32_t variant, bool on_start)
{
	struct fx *volatile f = fx_new();
	struct fsim_stats st;
	struct fsim_cut cut = {.mode = FSIM_CUT_TORN, .variant = variant, .seed = 99 + variant};

	add_receivers(f, RX3, 2);
	expect_receivers_status(f, BO_DFD_SUCCESS, 2);
	if (on_start)
		upload(f);
	fsim_set_power_loss_handler(f->dfl.dev, on_power_loss, NULL);
	fsim_get_stats(f->dfl.dev, &st);
	cut.op_index = st.mutating_ops;
	fsim_arm_cut(f->dfl.dev, &cut);
	if (setjmp(cut_jb) == 0) {
		if (on_start)
			dist_start_msg(f, 0, 0, 0, 0);
		else
			add_receivers(f, RX3 + 2, 1);
		fail_msg("no power cut");
	}
	assert_false(fsim_cut_armed(f->dfl.dev));
	dist_power_cut(f);
	/* the previous record: two receivers, IDLE, not started */
	assert_int_equal(f->srv.receiver_count, 2);
	assert_int_equal(f->srv.receivers[1].addr, RX3[1].addr);
	assert_int_equal(bo_dfd_srv_phase(&f->srv), BO_DFD_PHASE_IDLE);
	assert_int_equal(f->ops.start, 0);
	if (on_start)
		assert_int_equal(bo_dfd_srv_fw_count(&f->srv), 1);
	/* and it goes on from there */
	add_receivers(f, RX3 + 2, 1);
	expect_receivers_status(f, BO_DFD_SUCCESS, 3);
	dist_power_cut(f);
	assert_int_equal(f->srv.receiver_count, 3);
	fx_free(f);
}

static void test_torn_record(void **state)
{
	(void)state;
	for (uint32_t v = 0; v < FSIM_TORN_PROG_VARIANTS; v++) {
		torn_case(v, false);
		torn_case(v, true);
	}
}

static bool upload_error(void *ctx)
{
	struct fx *f = ctx;

	return f->srv.upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR;
}

/* The Initiator goes silent mid-upload: the BLOB server times out (TRANSFER_ERROR, the
 * stored blocks kept); the same Upload Start and a new BLOB client resume it. */
static void test_upload_timeout_resume(void **state)
{
	struct fx *f = fx_new();
	uint8_t progress;

	(void)state;
	upload_start_msg(f, BLOB_ID, IMG_SIZE, FWID_A, sizeof(FWID_A));
	blob_send(f, BLOB_ID, IMG_SIZE);
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, upload_half, f));
	f->in->online = false;
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, upload_error, f));
	f->in->online = true;
	assert_int_equal(bo_blob_srv_phase(&f->srv.blob), BO_BLOB_PHASE_SUSPENDED);
	progress = bo_blob_srv_progress(&f->srv.blob);
	assert_true(progress >= 50 && progress < 100);
	assert_int_equal(req(f, BO_OP_DFD_UPLOAD_GET, NULL, 0), 1);
	expect_upload_status(f, BO_DFD_SUCCESS, BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR, true, progress,
			     FWID_A, sizeof(FWID_A));
	/* the slot stays reserved while the upload may resume */
	{
		struct bo_dfd_caps_status m = {.max_receivers = BO_DFD_SRV_RECEIVERS_MAX,
					       .max_slots = 2, .max_image_size = 32768,
					       .max_upload_space = 49152,
					       .remaining_space = 16384};
		uint8_t buf[32];

		assert_int_equal(req(f, BO_OP_DFD_CAPABILITIES_GET, NULL, 0), 1);
		expect(f, 0, BO_OP_DFD_CAPABILITIES_STATUS, buf,
		       bo_dfd_caps_status_encode(&m, buf, sizeof(buf)));
	}
	upload_start_msg(f, BLOB_ID, IMG_SIZE, FWID_A, sizeof(FWID_A));
	expect_upload_status(f, BO_DFD_SUCCESS, BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE, true,
			     progress, FWID_A, sizeof(FWID_A));
	bo_blob_cli_init(&f->cli, &f->ccfg);
	blob_send(f, BLOB_ID, IMG_SIZE);
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, cli_finished, f));
	assert_true(f->cli_success);
	expect_slot_content(f, 0, IMG_SIZE);
	assert_int_equal(bo_dfd_srv_upload_phase(&f->srv), BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS);
	fx_free(f);
}

/* ---- every cut point over a run of record writes (sector switches included) ----------- */

#define SWEEP_STEPS 60

static uint16_t sweep_count_after(int step)
{
	/* step i: every (max + 1)th is a Delete All, the others add receiver i */
	uint16_t n = 0;

	for (int i = 0; i <= step; i++)
		n = (i % (BO_DFD_SRV_RECEIVERS_MAX + 1) == BO_DFD_SRV_RECEIVERS_MAX) ? 0
									 : (uint16_t)(n + 1);
	return n;
}

static void sweep_step(struct fx *f, int i)
{
	if (i % (BO_DFD_SRV_RECEIVERS_MAX + 1) == BO_DFD_SRV_RECEIVERS_MAX) {
		assert_int_equal(req(f, BO_OP_DFD_RECEIVERS_DELETE_ALL, NULL, 0), 1);
	} else {
		struct bo_dfd_receiver r = {.addr = (uint16_t)(0x0400 + i), .img_idx = 0};

		add_receivers(f, &r, 1);
	}
}

static void cut_sweep_case(uint64_t k, enum fsim_cut_mode mode, uint32_t variant)
{
	struct fx *volatile f = fx_new();
	struct fsim_stats st;
	struct fsim_cut cut = {.mode = mode, .variant = variant, .seed = k * 7 + variant};
	volatile int step = 0;

	fsim_set_power_loss_handler(f->dfl.dev, on_power_loss, NULL);
	fsim_get_stats(f->dfl.dev, &st);
	cut.op_index = st.mutating_ops + k;
	fsim_arm_cut(f->dfl.dev, &cut);
	if (setjmp(cut_jb) == 0) {
		for (step = 0; step < SWEEP_STEPS; step++)
			sweep_step(f, step);
		fsim_disarm_cut(f->dfl.dev);
		fail_msg("cut %llu never fired", (unsigned long long)k);
	}
	dist_power_cut(f);
	{
		uint16_t before = step ? sweep_count_after(step - 1) : 0;
		uint16_t after = sweep_count_after(step);
		uint16_t got = f->srv.receiver_count;

		if (got != before && got != after)
			fail_msg("cut %llu (mode %d/%u) in step %d: %u receivers, want %u or %u",
				 (unsigned long long)k, (int)mode, variant, (int)step, got, before,
				 after);
	}
	/* it goes on: more writes, another restore */
	assert_int_equal(req(f, BO_OP_DFD_RECEIVERS_DELETE_ALL, NULL, 0), 1);
	add_receivers(f, (const struct bo_dfd_receiver[]){{0x0700, 1}}, 1);
	expect_receivers_status(f, BO_DFD_SUCCESS, 1);
	dist_power_cut(f);
	assert_int_equal(f->srv.receiver_count, 1);
	assert_int_equal(f->srv.receivers[0].addr, 0x0700);
	fx_free(f);
}

static void test_cut_sweep(void **state)
{
	uint64_t ops;

	(void)state;
	/* how many flash operations the run takes */
	{
		struct fx *f = fx_new();
		struct fsim_stats a, b;

		fsim_get_stats(f->dfl.dev, &a);
		for (int i = 0; i < SWEEP_STEPS; i++)
			sweep_step(f, i);
		fsim_get_stats(f->dfl.dev, &b);
		ops = b.mutating_ops - a.mutating_ops;
		assert_true(b.erase_ops > a.erase_ops); /* the record log switched sectors */
		fx_free(f);
	}
	for (uint64_t k = 0; k < ops; k++) {
		cut_sweep_case(k, FSIM_CUT_BETWEEN, 0);
		cut_sweep_case(k, FSIM_CUT_TORN, (uint32_t)k);
	}
}

/* ---- every cut point over an upload ---------------------------------------------------- */

/* After a power cut anywhere in an upload, the Initiator asks again (Upload Start) and runs
 * a new BLOB client: the image ends up stored whole, once, and listed. */
static void upload_cut_case(uint64_t k, enum fsim_cut_mode mode, uint32_t variant,
			    bool *fired)
{
	struct fx *volatile f = fx_new();
	struct fsim_stats st;
	struct fsim_cut cut = {.mode = mode, .variant = variant, .seed = k * 13 + variant};

	fsim_set_power_loss_handler(f->dfl.dev, on_power_loss, NULL);
	fsim_get_stats(f->dfl.dev, &st);
	cut.op_index = st.mutating_ops + k;
	fsim_arm_cut(f->dfl.dev, &cut);
	*fired = true;
	if (setjmp(cut_jb) == 0) {
		upload(f);
		*fired = false;
		fsim_disarm_cut(f->dfl.dev);
		fx_free(f);
		return;
	}
	dist_power_cut(f);
	pump_node_reset(f->in);
	f->replies = 0;
	upload_start_msg(f, BLOB_ID, IMG_SIZE, FWID_A, sizeof(FWID_A));
	assert_int_equal(f->rsp[0][0], BO_DFD_SUCCESS);
	if (f->srv.upload.phase != BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS) {
		assert_int_equal(f->srv.upload.phase, BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE);
		bo_blob_cli_init(&f->cli, &f->ccfg);
		blob_send(f, BLOB_ID, IMG_SIZE);
		assert_true(pump_run(&f->pump, f->pump.now + HOUR, cli_finished, f));
		assert_true(f->cli_success);
	}
	assert_int_equal(bo_dfd_srv_upload_phase(&f->srv), BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS);
	expect_slot_content(f, 0, IMG_SIZE);
	dist_power_cut(f);
	assert_int_equal(bo_dfd_srv_fw_count(&f->srv), 1);
	assert_int_equal(f->srv.slots[0].size, IMG_SIZE);
	assert_int_equal(req(f, BO_OP_DFD_FW_GET, FWID_A, sizeof(FWID_A)), 1);
	expect_fw_status(f, BO_DFD_SUCCESS, 1, 0, FWID_A, sizeof(FWID_A));
	fx_free(f);
}

static void test_upload_cut_sweep(void **state)
{
	bool fired = true;

	(void)state;
	for (uint64_t k = 0; fired; k++) {
		upload_cut_case(k, FSIM_CUT_TORN, (uint32_t)k, &fired);
		if (fired)
			upload_cut_case(k, FSIM_CUT_BETWEEN, 0, &fired);
		if (getenv("DFD_DEBUG") && !fired)
			fprintf(stderr, "upload cut sweep: %llu cut points\n", (unsigned long long)k);
	}
}

/* ---- every cut point over a distribution's life cycle --------------------------------- */

static const uint8_t life_phase[] = {
	BO_DFD_PHASE_TRANSFER_ACTIVE,  /* Start */
	BO_DFD_PHASE_TRANSFER_ACTIVE,  /* a receiver verified */
	BO_DFD_PHASE_TRANSFER_SUSPENDED, /* Suspend */
	BO_DFD_PHASE_TRANSFER_ACTIVE,  /* Start again: resume */
	BO_DFD_PHASE_TRANSFER_SUCCESS, /* transfer end */
	BO_DFD_PHASE_APPLYING_UPDATE,  /* Apply */
	BO_DFD_PHASE_COMPLETED,        /* apply end */
	BO_DFD_PHASE_IDLE,             /* Cancel */
};
#define LIFE_STEPS (sizeof(life_phase) / sizeof(life_phase[0]))

static void life_step(struct fx *f, size_t i)
{
	switch (i) {
	case 0:
	case 3:
		dist_start_msg(f, 0, BO_DFD_POLICY_VERIFY_ONLY, 0, 0xc001);
		break;
	case 1:
		assert_int_equal(bo_dfd_srv_receiver_report(&f->srv, 0x0201, BO_DFU_PHASE_VERIFY_OK,
							    0, 0, 100), 0);
		break;
	case 2:
		assert_int_equal(req(f, BO_OP_DFD_SUSPEND, NULL, 0), 1);
		break;
	case 4:
		bo_dfd_srv_transfer_end(&f->srv, true);
		break;
	case 5:
		assert_int_equal(req(f, BO_OP_DFD_APPLY, NULL, 0), 1);
		break;
	case 6:
		bo_dfd_srv_apply_end(&f->srv, true);
		break;
	default:
		assert_int_equal(req(f, BO_OP_DFD_CANCEL, NULL, 0), 1);
		break;
	}
	assert_int_equal(f->srv.phase, life_phase[i]);
}

static bool life_cut_case(uint64_t k, enum fsim_cut_mode mode, uint32_t variant)
{
	struct fx *volatile f = fx_new();
	struct fsim_stats st;
	struct fsim_cut cut = {.mode = mode, .variant = variant, .seed = k * 5 + variant};
	volatile size_t step = 0;
	unsigned starts;
	uint8_t before, after, got;

	add_receivers(f, RX3, 3);
	upload(f);
	fsim_set_power_loss_handler(f->dfl.dev, on_power_loss, NULL);
	fsim_get_stats(f->dfl.dev, &st);
	cut.op_index = st.mutating_ops + k;
	fsim_arm_cut(f->dfl.dev, &cut);
	if (setjmp(cut_jb) == 0) {
		for (step = 0; step < LIFE_STEPS; step++)
			life_step(f, step);
		fsim_disarm_cut(f->dfl.dev);
		fx_free(f);
		return false;
	}
	starts = f->ops.start;
	dist_power_cut(f);
	before = step ? life_phase[step - 1] : BO_DFD_PHASE_IDLE;
	after = life_phase[step];
	got = f->srv.phase;
	if (got != before && got != after)
		fail_msg("cut %llu (mode %d/%u) in step %zu: phase %u, want %u or %u",
			 (unsigned long long)k, (int)mode, variant, (size_t)step, got, before, after);
	/* the distribution side restarted exactly when the distribution was running */
	if (got == BO_DFD_PHASE_TRANSFER_ACTIVE || got == BO_DFD_PHASE_TRANSFER_SUCCESS ||
	    got == BO_DFD_PHASE_APPLYING_UPDATE) {
		assert_int_equal(f->ops.start, starts + 1);
		assert_true(f->ops.last_resume);
		assert_int_equal(f->ops.n, 3);
		assert_int_equal(f->ops.params.group, 0xc001);
	} else {
		assert_int_equal(f->ops.start, starts);
	}
	assert_int_equal(f->srv.receiver_count, 3);
	assert_int_equal(bo_dfd_srv_fw_count(&f->srv), 1);
	/* a receiver's verified state is there once its report was stored */
	if (step > 1)
		assert_int_equal(f->srv.receivers[0].phase, BO_DFU_PHASE_VERIFY_OK);
	fx_free(f);
	return true;
}

static void test_distribution_cut_sweep(void **state)
{
	(void)state;
	for (uint64_t k = 0;; k++) {
		if (!life_cut_case(k, FSIM_CUT_TORN, (uint32_t)k))
			break;
		assert_true(life_cut_case(k, FSIM_CUT_BETWEEN, 0));
	}
}

const struct CMUnitTest dfd_tests[] = {
	cmocka_unit_test(test_idle_messages),
	cmocka_unit_test(test_receivers),
	cmocka_unit_test(test_upload),
	cmocka_unit_test(test_lifecycle_verify_only),
	cmocka_unit_test(test_lifecycle_verify_and_apply),
	cmocka_unit_test(test_suspend_resume_cancel),
	cmocka_unit_test(test_all_failed),
	cmocka_unit_test(test_power_cut_distribution),
	cmocka_unit_test(test_power_cut_suspended),
	cmocka_unit_test(test_power_cut_upload),
	cmocka_unit_test(test_torn_record),
	cmocka_unit_test(test_upload_timeout_resume),
	cmocka_unit_test(test_cut_sweep),
	cmocka_unit_test(test_upload_cut_sweep),
	cmocka_unit_test(test_distribution_cut_sweep),
};

int main(void)
{
	return cmocka_run_group_tests(dfd_tests, NULL, NULL);
}
