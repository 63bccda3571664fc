/*
 * tests/dfu/test_blob_srv.c: the BLOB Transfer Server state machine on the message pump and
 * flashsim: capabilities, every error status, chunks and missing bitmaps, timeouts
 * (cancel while waiting for start, suspend mid-transfer, resume), cancel, pull mode, the
 * persisted record log (torn writes) and restore after a power cut.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blob_pump.h"
#include "core/dfu/blob_srv.h"
#include "core/dfu/blob_store.h"
#include "core/dfu/timeouts.h"

#define SRV_ADDR 0x0100
#define CLI_ADDR 0x0001
#define BLOB_ID 0x1122334455667788ull
#define TIMER_BASE 4u

struct tcli {
	uint32_t op;
	uint8_t buf[PUMP_PAYLOAD_MAX];
	size_t len;
	unsigned count, reports;
};

struct fx {
	struct pump pump;
	struct pump_flash fl;
	struct bo_blob_srv srv;
	struct bo_blob_srv_config cfg;
	struct pump_node *sn, *cn;
	struct tcli cli;
	unsigned started, blocks_done, complete, suspended, resumed, cancelled;
	uint8_t blob[100000];
};

static void tcli_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		    size_t len)
{
	struct tcli *c = owner;

	(void)rx;
	c->op = op;
	memcpy(c->buf, p, len);
	c->len = len;
	c->count++;
	if (op == BO_OP_BLOB_BLOCK_REPORT)
		c->reports++;
}

static void srv_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		   size_t len)
{
	struct fx *f = owner;

	assert_int_equal(bo_blob_srv_handle(&f->srv, rx, op, p, len), 1);
}

static void srv_timer(void *owner, uint32_t id)
{
	struct fx *f = owner;

	assert_int_equal(bo_blob_srv_timer(&f->srv, id), 1);
}

static int cb_start(void *ctx, struct bo_blob_srv *srv, uint64_t id)
{
	struct fx *f = ctx;

	(void)srv;
	assert_int_equal(id, BLOB_ID);
	f->started++;
	return 0;
}

static void cb_block(void *ctx, struct bo_blob_srv *srv, uint16_t block)
{
	struct fx *f = ctx;

	(void)srv;
	(void)block;
	f->blocks_done++;
}

static void cb_complete(void *ctx, struct bo_blob_srv *srv, uint64_t id)
{
	struct fx *f = ctx;

	(void)srv;
	(void)id;
	f->complete++;
}

static void cb_suspended(void *ctx, struct bo_blob_srv *srv)
{
	struct fx *f = ctx;

	(void)srv;
	f->suspended++;
}

static void cb_resumed(void *ctx, struct bo_blob_srv *srv)
{
	struct fx *f = ctx;

	(void)srv;
	f->resumed++;
}

static void cb_cancelled(void *ctx, struct bo_blob_srv *srv, uint64_t id)
{
	struct fx *f = ctx;

	(void)srv;
	(void)id;
	f->cancelled++;
}

static struct fx *fx_new_flash(const struct pump_flash *fl, uint8_t modes);

static struct fx *fx_new(uint32_t sector_size, uint32_t blob_sectors, uint32_t wu, uint8_t modes)
{
	struct pump_flash fl;

	pump_flash_init(&fl, sector_size, blob_sectors, wu);
	return fx_new_flash(&fl, modes);
}

/* The fixture on a given flash (its port is re-pointed at the fixture's copy). */
static struct fx *fx_new_flash(const struct pump_flash *fl, uint8_t modes)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	pump_init(&f->pump, 1, 0, 1000);
	f->fl = *fl;
	f->fl.blob.flash = &f->fl.port;
	f->fl.state.flash = &f->fl.port;
	f->sn = pump_add_node(&f->pump, SRV_ADDR, srv_rx, srv_timer, f);
	f->cn = pump_add_node(&f->pump, CLI_ADDR, tcli_rx, NULL, &f->cli);
	f->cfg = (struct bo_blob_srv_config){
		.mesh = &f->sn->port,
		.storage = f->fl.blob,
		.state = f->fl.state,
		.timer_base = TIMER_BASE,
		.caps = {.min_block_size_log = 8, .max_block_size_log = 12, .modes = modes},
		.cb = {.ctx = f, .start = cb_start, .block_done = cb_block,
		       .complete = cb_complete, .suspended = cb_suspended, .resumed = cb_resumed,
		       .cancelled = cb_cancelled},
	};
	bo_blob_srv_init(&f->srv, &f->cfg);
	for (size_t i = 0; i < sizeof(f->blob); i++)
		f->blob[i] = (uint8_t)(i * 7 + (i >> 8) * 13 + 1);
	return f;
}

static void fx_free(struct fx *f)
{
	pump_free(&f->pump);
	pump_flash_free(&f->fl);
	free(f);
}

/* Send from the test client, then run the pump for up to 1 s of virtual time. */
static void fx_send(struct fx *f, uint32_t op, const uint8_t *p, size_t len)
{
	struct bo_mesh_tx tx = {.dst = SRV_ADDR, .app_idx = 0, .ttl = 5};

	f->cli.count = 0;
	f->cli.op = 0;
	assert_int_equal(f->cn->port.send(f->cn->port.ctx, &tx, op, p, len), 0);
	pump_run(&f->pump, f->pump.now + 1000000, NULL, NULL);
}

static void xfer_start(struct fx *f, uint8_t mode, uint64_t id, uint32_t size, uint8_t log)
{
	struct bo_blob_xfer_start m = {.mode = mode, .id = id, .size = size,
				       .block_size_log = log, .mtu = 380};
	uint8_t buf[32];
	int n = bo_blob_xfer_start_encode(&m, buf, sizeof(buf));

	assert_true(n > 0);
	fx_send(f, BO_OP_BLOB_XFER_START, buf, (size_t)n);
}

static void expect_xfer_status(struct fx *f, uint8_t status, uint8_t phase,
			       struct bo_blob_xfer_status *out)
{
	struct bo_blob_xfer_status st;

	assert_int_equal(f->cli.count, 1);
	assert_int_equal(f->cli.op, BO_OP_BLOB_XFER_STATUS);
	assert_int_equal(bo_blob_xfer_status_decode(f->cli.buf, f->cli.len, &st), 0);
	assert_int_equal(st.status, status);
	assert_int_equal(st.phase, phase);
	if (out)
		*out = st;
}

static void block_start(struct fx *f, uint16_t block, uint16_t chunk_size)
{
	struct bo_blob_block_start m = {.block = block, .chunk_size = chunk_size};
	uint8_t buf[8];
	int n = bo_blob_block_start_encode(&m, buf, sizeof(buf));

	assert_true(n > 0);
	fx_send(f, BO_OP_BLOB_BLOCK_START, buf, (size_t)n);
}

static void expect_block_status(struct fx *f, uint8_t status, uint8_t format,
				struct bo_blob_block_status *out)
{
	struct bo_blob_block_status st;

	assert_int_equal(f->cli.count, 1);
	assert_int_equal(f->cli.op, BO_OP_BLOB_BLOCK_STATUS);
	assert_int_equal(bo_blob_block_status_decode(f->cli.buf, f->cli.len, &st), 0);
	assert_int_equal(st.status, status);
	assert_int_equal(st.format, format);
	if (out)
		*out = st;
}

static void send_chunk(struct fx *f, uint32_t size, uint8_t log, uint16_t block,
		       uint16_t chunk_size, uint16_t idx)
{
	uint32_t bsize = bo_blob_block_size(size, log, block);
	uint32_t len = bo_blob_chunk_len(bsize, chunk_size, idx);
	uint32_t off = ((uint32_t)block << log) + (uint32_t)idx * chunk_size;
	struct bo_blob_chunk m = {.chunk = idx, .data = f->blob + off, .len = len};
	uint8_t buf[PUMP_PAYLOAD_MAX];
	int n = bo_blob_chunk_encode(&m, buf, sizeof(buf));

	assert_true(n > 0);
	fx_send(f, BO_OP_BLOB_CHUNK, buf, (size_t)n);
}

static void send_block(struct fx *f, uint32_t size, uint8_t log, uint16_t block, uint16_t cs)
{
	uint32_t n = bo_blob_chunk_count(bo_blob_block_size(size, log, block), cs);

	block_start(f, block, cs);
	expect_block_status(f, BO_BLOB_SUCCESS, BO_BLOB_MISSING_ALL, NULL);
	for (uint16_t i = 0; i < n; i++)
		send_chunk(f, size, log, block, cs, i);
}

static void expect_flash_blob(struct fx *f, uint32_t size)
{
	uint8_t *buf = malloc(size);

	assert_non_null(buf);
	assert_int_equal(fsim_peek(f->fl.dev, f->fl.blob.off, buf, size), 0);
	assert_memory_equal(buf, f->blob, size);
	free(buf);
	assert_int_equal(fsim_violation_count(f->fl.dev), 0);
}

static void test_info(void **state)
{
	struct fx *f = fx_new(4096, 4, 8, BO_BLOB_MODE_ALL);
	struct bo_blob_info_status is;

	(void)state;
	fx_send(f, BO_OP_BLOB_INFO_GET, NULL, 0);
	assert_int_equal(f->cli.op, BO_OP_BLOB_INFO_STATUS);
	assert_int_equal(bo_blob_info_status_decode(f->cli.buf, f->cli.len, &is), 0);
	assert_int_equal(is.min_block_size_log, 8);
	assert_int_equal(is.max_block_size_log, 12);
	assert_int_equal(is.max_chunks, BO_BLOB_SRV_CHUNKS_MAX);
	assert_int_equal(is.max_chunk_size, 376); /* 377 rounded down to the 8-byte unit */
	assert_int_equal(is.max_size, 4 * 4096);
	assert_int_equal(is.mtu, BO_BLOB_SRV_MTU_MAX);
	assert_int_equal(is.modes, BO_BLOB_MODE_ALL);
	fx_free(f);
}

static void test_xfer_start_errors(void **state)
{
	struct fx *f = fx_new(4096, 4, 4, BO_BLOB_MODE_PUSH);
	struct bo_blob_xfer_status st;

	(void)state;
	/* not prepared */
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 3000, 10);
	expect_xfer_status(f, BO_BLOB_ERR_WRONG_PHASE, BO_BLOB_PHASE_INACTIVE, NULL);
	fx_send(f, BO_OP_BLOB_XFER_GET, NULL, 0);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_INACTIVE, NULL);

	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 0, NULL), 0);
	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 0, NULL), -1); /* busy */
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID + 1, 3000, 10);
	expect_xfer_status(f, BO_BLOB_ERR_WRONG_BLOB_ID, BO_BLOB_PHASE_WAITING_FOR_START, &st);
	assert_int_equal(st.id, BLOB_ID);
	xfer_start(f, BO_BLOB_MODE_PULL, BLOB_ID, 3000, 10);
	expect_xfer_status(f, BO_BLOB_ERR_UNSUPPORTED_MODE, BO_BLOB_PHASE_WAITING_FOR_START, NULL);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 4 * 4096 + 1, 10);
	expect_xfer_status(f, BO_BLOB_ERR_BLOB_TOO_LARGE, BO_BLOB_PHASE_WAITING_FOR_START, NULL);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 3000, 7);
	expect_xfer_status(f, BO_BLOB_ERR_INVALID_BLOCK_SIZE, BO_BLOB_PHASE_WAITING_FOR_START,
			   NULL);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 3000, 13);
	expect_xfer_status(f, BO_BLOB_ERR_INVALID_BLOCK_SIZE, BO_BLOB_PHASE_WAITING_FOR_START,
			   NULL);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 0, 10);
	expect_xfer_status(f, BO_BLOB_ERR_INVALID_PARAM, BO_BLOB_PHASE_WAITING_FOR_START, NULL);
	assert_int_equal(f->started, 0);

	/* block messages before the start: wrong phase */
	block_start(f, 0, 64);
	expect_block_status(f, BO_BLOB_ERR_WRONG_PHASE, BO_BLOB_MISSING_ALL, NULL);
	fx_send(f, BO_OP_BLOB_BLOCK_GET, NULL, 0);
	expect_block_status(f, BO_BLOB_ERR_WRONG_PHASE, BO_BLOB_MISSING_ALL, NULL);

	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 3000, 10);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, &st);
	assert_int_equal(st.size, 3000);
	assert_int_equal(st.block_size_log, 10);
	assert_int_equal(st.blocks_len, 1);
	assert_int_equal(st.blocks[0], 0x07);
	assert_int_equal(f->started, 1);
	/* a duplicate start is fine, a different one is not */
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 3000, 10);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, NULL);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 3001, 10);
	expect_xfer_status(f, BO_BLOB_ERR_WRONG_PHASE, BO_BLOB_PHASE_WAITING_FOR_BLOCK, NULL);
	assert_int_equal(f->started, 1);
	fx_free(f);
}

static void test_block_start_errors(void **state)
{
	struct fx *f = fx_new(4096, 4, 4, BO_BLOB_MODE_ALL);

	(void)state;
	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 0, NULL), 0);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 3000, 10);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, NULL);
	block_start(f, 3, 64);
	expect_block_status(f, BO_BLOB_ERR_INVALID_BLOCK_NUM, BO_BLOB_MISSING_ALL, NULL);
	block_start(f, 0, 0);
	expect_block_status(f, BO_BLOB_ERR_INVALID_CHUNK_SIZE, BO_BLOB_MISSING_ALL, NULL);
	block_start(f, 0, 378); /* above the max chunk size */
	expect_block_status(f, BO_BLOB_ERR_INVALID_CHUNK_SIZE, BO_BLOB_MISSING_ALL, NULL);
	block_start(f, 0, 66); /* not a multiple of the 4-byte write unit */
	expect_block_status(f, BO_BLOB_ERR_INVALID_CHUNK_SIZE, BO_BLOB_MISSING_ALL, NULL);
	block_start(f, 0, 4); /* 256 chunks: fine; 1024 / 2 would be 512: too many */
	expect_block_status(f, BO_BLOB_SUCCESS, BO_BLOB_MISSING_ALL, NULL);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_WAITING_FOR_CHUNK);
	/* another block while waiting for chunks: wrong phase; the same one: success */
	block_start(f, 1, 4);
	expect_block_status(f, BO_BLOB_ERR_WRONG_PHASE, BO_BLOB_MISSING_ALL, NULL);
	block_start(f, 0, 8);
	expect_block_status(f, BO_BLOB_ERR_WRONG_PHASE, BO_BLOB_MISSING_ALL, NULL);
	block_start(f, 0, 4);
	expect_block_status(f, BO_BLOB_SUCCESS, BO_BLOB_MISSING_ALL, NULL);
	fx_free(f);

	f = fx_new(4096, 4, 4, BO_BLOB_MODE_ALL);
	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 0, NULL), 0);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 8192, 12);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, NULL);
	block_start(f, 0, 8); /* 512 chunks > 256 */
	expect_block_status(f, BO_BLOB_ERR_INVALID_CHUNK_SIZE, BO_BLOB_MISSING_ALL, NULL);
	fx_free(f);
}

static void test_chunks_and_bitmaps(void **state)
{
	const uint32_t size = 3001; /* the last chunk ends inside a write unit */
	struct fx *f = fx_new(4096, 4, 8, BO_BLOB_MODE_PUSH);
	struct bo_blob_block_status bs;
	struct bo_blob_xfer_status st;
	struct fsim_stats s0, s1;

	(void)state;
	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 0, NULL), 0);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, size, 10);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, NULL);
	block_start(f, 0, 64);
	expect_block_status(f, BO_BLOB_SUCCESS, BO_BLOB_MISSING_ALL, NULL);
	for (uint16_t i = 0; i < 16; i++)
		if (i != 3 && i != 12)
			send_chunk(f, size, 10, 0, 64, i);
	fx_send(f, BO_OP_BLOB_BLOCK_GET, NULL, 0);
	expect_block_status(f, BO_BLOB_SUCCESS, BO_BLOB_MISSING_SOME, &bs);
	assert_int_equal(bs.block, 0);
	assert_int_equal(bs.chunk_size, 64);
	assert_int_equal(bs.missing_len, 2);
	assert_int_equal(bs.missing[0], 0x08);
	assert_int_equal(bs.missing[1], 0x10);
	/* a duplicate is not programmed again; a chunk of the wrong length is dropped */
	fsim_get_stats(f->fl.dev, &s0);
	send_chunk(f, size, 10, 0, 64, 5);
	{
		uint8_t buf[40] = {3, 0};

		fx_send(f, BO_OP_BLOB_CHUNK, buf, sizeof(buf));
	}
	fsim_get_stats(f->fl.dev, &s1);
	assert_int_equal(s1.program_ops, s0.program_ops);
	send_chunk(f, size, 10, 0, 64, 3);
	send_chunk(f, size, 10, 0, 64, 12);
	assert_int_equal(f->blocks_done, 1);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_WAITING_FOR_BLOCK);
	fx_send(f, BO_OP_BLOB_BLOCK_GET, NULL, 0);
	expect_block_status(f, BO_BLOB_SUCCESS, BO_BLOB_MISSING_NONE, NULL);
	/* a chunk for a block that is done is ignored */
	fsim_get_stats(f->fl.dev, &s0);
	send_chunk(f, size, 10, 0, 64, 3);
	fsim_get_stats(f->fl.dev, &s1);
	assert_int_equal(s1.program_ops, s0.program_ops);
	/* block 0 again: already stored, nothing missing */
	block_start(f, 0, 64);
	expect_block_status(f, BO_BLOB_SUCCESS, BO_BLOB_MISSING_NONE, NULL);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_WAITING_FOR_BLOCK);

	/* blocks out of order, other chunk sizes */
	send_block(f, size, 10, 2, 128);
	fx_send(f, BO_OP_BLOB_XFER_GET, NULL, 0);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, &st);
	assert_int_equal(st.blocks[0], 0x02);
	assert_int_equal(bo_blob_srv_progress(&f->srv), 66);
	send_block(f, size, 10, 1, 376);
	assert_int_equal(f->blocks_done, 3);
	assert_int_equal(f->complete, 1);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_COMPLETE);
	fx_send(f, BO_OP_BLOB_XFER_GET, NULL, 0);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_COMPLETE, &st);
	assert_int_equal(st.blocks[0], 0);
	fx_send(f, BO_OP_BLOB_BLOCK_GET, NULL, 0);
	expect_block_status(f, BO_BLOB_SUCCESS, BO_BLOB_MISSING_NONE, NULL);
	expect_flash_blob(f, size);
	fx_free(f);
}

static void test_timeouts(void **state)
{
	struct fx *f = fx_new(4096, 4, 4, BO_BLOB_MODE_PUSH);
	uint64_t t0;

	(void)state;
	/* waiting for start: the start timeout (BO_BLOB_SRV_START_WAIT receive timeouts)
	 * cancels */
	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 1, NULL), 0);
	t0 = f->pump.now;
	pump_run(&f->pump, t0 + bo_blob_srv_start_timeout_us(1) - 1, NULL, NULL);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_WAITING_FOR_START);
	assert_true(bo_blob_srv_start_timeout_us(1) > bo_blob_srv_timeout_us(1));
	pump_run(&f->pump, t0 + bo_blob_srv_start_timeout_us(1), NULL, NULL);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_INACTIVE);
	assert_int_equal(f->cancelled, 1);

	/* mid-transfer: suspends */
	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 0, NULL), 0);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 3000, 10);
	send_block(f, 3000, 10, 0, 64);
	block_start(f, 1, 64);
	send_chunk(f, 3000, 10, 1, 64, 0);
	t0 = f->pump.now;
	pump_run(&f->pump, t0 + bo_blob_srv_timeout_us(0) + 1, NULL, NULL);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_SUSPENDED);
	assert_int_equal(f->suspended, 1);
	fx_send(f, BO_OP_BLOB_BLOCK_GET, NULL, 0);
	expect_block_status(f, BO_BLOB_ERR_INFO_UNAVAILABLE, BO_BLOB_MISSING_SOME, NULL);
	/* a chunk while suspended is dropped */
	send_chunk(f, 3000, 10, 1, 64, 1);
	/* a different start does not resume; a matching one does */
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 2999, 10);
	expect_xfer_status(f, BO_BLOB_ERR_WRONG_PHASE, BO_BLOB_PHASE_SUSPENDED, NULL);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 3000, 10);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, NULL);
	assert_int_equal(f->resumed, 1);
	/* block 1 resumes where it was: only chunk 0 is there */
	block_start(f, 1, 64);
	expect_block_status(f, BO_BLOB_SUCCESS, BO_BLOB_MISSING_SOME, NULL);
	for (uint16_t i = 1; i < 16; i++)
		send_chunk(f, 3000, 10, 1, 64, i);
	send_block(f, 3000, 10, 2, 64);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_COMPLETE);
	expect_flash_blob(f, 3000);
	/* complete: no timer left that could suspend it */
	pump_run(&f->pump, f->pump.now + 1000 * BO_USEC_PER_SEC, NULL, NULL);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_COMPLETE);
	fx_free(f);
}

static void test_cancel(void **state)
{
	struct fx *f = fx_new(4096, 4, 4, BO_BLOB_MODE_PUSH);
	uint8_t buf[8];
	struct bo_blob_xfer_cancel c = {.id = BLOB_ID + 1};

	(void)state;
	/* cancel while inactive: success, inactive */
	assert_int_equal(bo_blob_xfer_cancel_encode(&c, buf, sizeof(buf)), 8);
	fx_send(f, BO_OP_BLOB_XFER_CANCEL, buf, 8);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_INACTIVE, NULL);

	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 0, NULL), 0);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, 3000, 10);
	block_start(f, 0, 64);
	send_chunk(f, 3000, 10, 0, 64, 0);
	fx_send(f, BO_OP_BLOB_XFER_CANCEL, buf, 8);
	expect_xfer_status(f, BO_BLOB_ERR_WRONG_BLOB_ID, BO_BLOB_PHASE_WAITING_FOR_CHUNK, NULL);
	c.id = BLOB_ID;
	bo_blob_xfer_cancel_encode(&c, buf, sizeof(buf));
	fx_send(f, BO_OP_BLOB_XFER_CANCEL, buf, 8);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_INACTIVE, NULL);
	assert_int_equal(f->cancelled, 1);
	/* all per-block state is gone */
	assert_int_equal(f->srv.block, 0xffff);
	assert_int_equal(f->srv.chunk_size, 0xffff);
	assert_int_equal(f->srv.chunk_count, 0);
	for (size_t i = 0; i < sizeof(f->srv.missing); i++)
		assert_int_equal(f->srv.missing[i], 0);
	assert_int_equal(f->srv.x.mode, BO_BLOB_MODE_NONE);
	fx_send(f, BO_OP_BLOB_BLOCK_GET, NULL, 0);
	expect_block_status(f, BO_BLOB_ERR_WRONG_PHASE, BO_BLOB_MISSING_ALL, NULL);
	send_chunk(f, 3000, 10, 0, 64, 1);
	assert_int_equal(f->cli.count, 0);
	/* no timer left */
	pump_run(&f->pump, f->pump.now + 1000 * BO_USEC_PER_SEC, NULL, NULL);
	assert_int_equal(f->suspended, 0);
	/* a cut now restores nothing */
	memset(&f->srv, 0xa5, sizeof(f->srv));
	bo_blob_srv_init(&f->srv, &f->cfg);
	assert_int_equal(bo_blob_srv_restore(&f->srv), BO_BLOB_PHASE_INACTIVE);
	/* owner cancel */
	assert_int_equal(bo_blob_srv_cancel(&f->srv), -1);
	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 0, NULL), 0);
	assert_int_equal(bo_blob_srv_cancel(&f->srv), 0);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_INACTIVE);
	fx_free(f);
}

static void test_pull(void **state)
{
	const uint32_t size = 2048;
	struct fx *f = fx_new(4096, 4, 4, BO_BLOB_MODE_ALL);
	struct bo_blob_block_status bs;
	uint16_t idx[8];
	size_t n = 0;
	struct bo_blob_enc_iter it;
	uint16_t v;

	(void)state;
	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 5, NULL), 0);
	xfer_start(f, BO_BLOB_MODE_PULL, BLOB_ID, size, 10);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, NULL);
	block_start(f, 0, 64);
	expect_block_status(f, BO_BLOB_SUCCESS, BO_BLOB_MISSING_ENCODED, &bs);
	bo_blob_enc_iter_init(&it, bs.missing, bs.missing_len);
	while (bo_blob_enc_iter_next(&it, &v) == 1)
		idx[n++] = v;
	assert_int_equal(n, 4);
	assert_int_equal(idx[0], 0);
	assert_int_equal(idx[3], 3);
	/* nothing arrives: a Partial Block Report every 10 s */
	f->cli.reports = 0;
	pump_run(&f->pump, f->pump.now + BO_BLOB_REPORT_TIMEOUT_US + 1, NULL, NULL);
	assert_int_equal(f->cli.reports, 1);
	pump_run(&f->pump, f->pump.now + BO_BLOB_REPORT_TIMEOUT_US, NULL, NULL);
	assert_int_equal(f->cli.reports, 2);
	for (uint16_t i = 0; i < 5; i++)
		send_chunk(f, size, 10, 0, 64, i);
	fx_send(f, BO_OP_BLOB_BLOCK_GET, NULL, 0);
	expect_block_status(f, BO_BLOB_SUCCESS, BO_BLOB_MISSING_ENCODED, &bs);
	bo_blob_enc_iter_init(&it, bs.missing, bs.missing_len);
	assert_int_equal(bo_blob_enc_iter_next(&it, &v), 1);
	assert_int_equal(v, 5);
	for (uint16_t i = 5; i < 16; i++)
		send_chunk(f, size, 10, 0, 64, i);
	assert_int_equal(f->blocks_done, 1);
	/* the block is complete: the empty report is repeated while the next Block Start is
	 * awaited (a lost one must not make the client drop this target) */
	f->cli.reports = 0;
	pump_run(&f->pump, f->pump.now + BO_BLOB_REPORT_TIMEOUT_US + 1, NULL, NULL);
	assert_int_equal(f->cli.reports, 1);
	assert_int_equal(f->cli.op, BO_OP_BLOB_BLOCK_REPORT);
	assert_int_equal(f->cli.len, 0);
	pump_run(&f->pump, f->pump.now + BO_BLOB_REPORT_TIMEOUT_US, NULL, NULL);
	assert_int_equal(f->cli.reports, 2);
	block_start(f, 1, 64);
	for (uint16_t i = 0; i < 16; i++)
		send_chunk(f, size, 10, 1, 64, i);
	/* pull: complete once the client asks */
	assert_int_equal(f->complete, 0);
	fx_send(f, BO_OP_BLOB_XFER_GET, NULL, 0);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_COMPLETE, NULL);
	assert_int_equal(f->complete, 1);
	expect_flash_blob(f, size);
	fx_free(f);
}

/* ---- persistence ------------------------------------------------------------------ */

static jmp_buf cut_jb;

static void on_power_loss(void *ctx)
{
	(void)ctx;
	longjmp(cut_jb, 1);
}

static void test_persist_log(void **state)
{
	struct pump_flash fl;
	struct bo_dfu_persist p;
	uint8_t rec[40], out[64];
	uint16_t tag;
	struct fsim_stats st;

	(void)state;
	pump_flash_init(&fl, 1024, 1, 8);
	assert_int_equal(bo_crc32(0, "123456789", 9), 0xcbf43926u);
	assert_int_equal(bo_dfu_persist_init(&p, &fl.state, 40), 0);
	assert_int_equal(bo_dfu_persist_load(&p, out, sizeof(out), &tag), BO_DFU_PERSIST_E_NONE);
	/* 1024-byte sectors, 56-byte slots: 18 per sector; 100 writes wrap several times */
	for (int i = 1; i <= 100; i++) {
		memset(rec, i, sizeof(rec));
		assert_int_equal(bo_dfu_persist_write(&p, 7, rec, sizeof(rec)), 0);
		if (i % 9 == 0) {
			struct bo_dfu_persist q; /* a fresh struct: re-scan */

			assert_int_equal(bo_dfu_persist_init(&q, &fl.state, 40), 0);
			assert_int_equal(bo_dfu_persist_load(&q, out, sizeof(out), &tag), 40);
			assert_int_equal(tag, 7);
			assert_int_equal(out[0], i);
		}
	}
	assert_int_equal(fsim_violation_count(fl.dev), 0);

	/* every cut of the next writes (between, torn program, torn erase): the previous or
	 * the new record, never nothing, never garbage */
	fsim_set_power_loss_handler(fl.dev, on_power_loss, NULL);
	{
		volatile int done_val = 100;

		for (int k = 0; k < 60; k++) {
			struct bo_dfu_persist q;
			struct fsim_cut cut;

			assert_int_equal(bo_dfu_persist_init(&q, &fl.state, 40), 0);
			fsim_get_stats(fl.dev, &st);
			cut = (struct fsim_cut){
				.op_index = st.mutating_ops + (uint64_t)(k % 2),
				.mode = k % 3 ? FSIM_CUT_TORN : FSIM_CUT_BETWEEN,
				.variant = (uint32_t)(k / 3),
				.seed = (uint64_t)k * 77 + 1,
			};
			fsim_arm_cut(fl.dev, &cut);
			if (setjmp(cut_jb) == 0) {
				for (int j = 0; j < 2; j++) {
					memset(rec, (uint8_t)(done_val + 1), sizeof(rec));
					assert_int_equal(
						bo_dfu_persist_write(&q, 7, rec, sizeof(rec)), 0);
					done_val = done_val + 1;
				}
			}
			fsim_disarm_cut(fl.dev);
			assert_int_equal(bo_dfu_persist_init(&q, &fl.state, 40), 0);
			assert_int_equal(bo_dfu_persist_load(&q, out, sizeof(out), &tag), 40);
			assert_int_equal(out[0], (uint8_t)done_val);
			for (int b = 1; b < 40; b++)
				assert_int_equal(out[b], out[0]);
			/* the log goes on from there */
			memset(rec, (uint8_t)(done_val + 1), sizeof(rec));
			assert_int_equal(bo_dfu_persist_write(&q, 7, rec, sizeof(rec)), 0);
			done_val = done_val + 1;
			assert_int_equal(bo_dfu_persist_init(&q, &fl.state, 40), 0);
			assert_int_equal(bo_dfu_persist_load(&q, out, sizeof(out), &tag), 40);
			assert_int_equal(out[0], (uint8_t)done_val);
		}
	}
	assert_int_equal(fsim_violation_count(fl.dev), 0);
	pump_flash_free(&fl);
}

static void poison_restore(struct fx *f)
{
	memset(&f->srv, 0xa5, sizeof(f->srv));
	pump_node_reset(f->sn);
	bo_blob_srv_init(&f->srv, &f->cfg);
}

static void test_restore(void **state)
{
	const uint32_t size = 10000;
	struct fx *f = fx_new(4096, 4, 4, BO_BLOB_MODE_PUSH);
	struct bo_blob_xfer_status st;

	(void)state;
	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 0, NULL), 0);
	poison_restore(f);
	assert_int_equal(bo_blob_srv_restore(&f->srv), BO_BLOB_PHASE_WAITING_FOR_START);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, size, 12);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, NULL);
	send_block(f, size, 12, 0, 256);
	block_start(f, 1, 256);
	for (uint16_t i = 0; i < 9; i++)
		send_chunk(f, size, 12, 1, 256, i);
	/* power cut: block 0 stored, block 1 half done */
	poison_restore(f);
	assert_int_equal(bo_blob_srv_restore(&f->srv), BO_BLOB_PHASE_SUSPENDED);
	fx_send(f, BO_OP_BLOB_XFER_GET, NULL, 0);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_SUSPENDED, &st);
	assert_int_equal(st.blocks[0], 0x06);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, size, 12);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, &st);
	assert_int_equal(st.blocks[0], 0x06);
	send_block(f, size, 12, 1, 256); /* its sector was re-erased: no NOR violation */
	send_block(f, size, 12, 2, 256);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_COMPLETE);
	expect_flash_blob(f, size);
	poison_restore(f);
	assert_int_equal(bo_blob_srv_restore(&f->srv), BO_BLOB_PHASE_COMPLETE);
	fx_free(f);
}

/* Sector (16 KiB) larger than a block (1 KiB): a cut in the middle of a block whose sector
 * holds stored blocks. Chunks already in flash are kept; a torn one costs the sector. */
static void test_restore_shared_sector(void **state)
{
	const uint32_t size = 4000;
	struct fx *f = fx_new(16384, 1, 4, BO_BLOB_MODE_PUSH);
	struct bo_blob_xfer_status st;
	struct fsim_stats s0, s1;
	uint8_t junk[16];

	(void)state;
	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 0, NULL), 0);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, size, 10);
	fsim_get_stats(f->fl.dev, &s0);
	send_block(f, size, 10, 0, 64);
	send_block(f, size, 10, 1, 64);
	fsim_get_stats(f->fl.dev, &s1);
	assert_int_equal(s1.erase_ops, s0.erase_ops); /* fresh flash: already blank */
	block_start(f, 2, 64);
	for (uint16_t i = 0; i < 5; i++)
		send_chunk(f, size, 10, 2, 64, i);
	poison_restore(f);
	assert_int_equal(bo_blob_srv_restore(&f->srv), BO_BLOB_PHASE_SUSPENDED);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, size, 10);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, &st);
	assert_int_equal(st.blocks[0], 0x0c);
	/* block 2 again: the 5 chunks in flash are recognised, not programmed twice */
	fsim_get_stats(f->fl.dev, &s0);
	send_block(f, size, 10, 2, 64);
	fsim_get_stats(f->fl.dev, &s1);
	assert_int_equal(s1.erase_ops, s0.erase_ops);
	assert_int_equal(s1.program_ops - s0.program_ops, 16 - 5 + 1 /* record */);
	fx_send(f, BO_OP_BLOB_XFER_GET, NULL, 0);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, &st);
	assert_int_equal(st.blocks[0], 0x08);

	/* block 3 half written, then a torn chunk (garbage where chunk 6 goes) */
	block_start(f, 3, 64);
	for (uint16_t i = 0; i < 6; i++)
		send_chunk(f, size, 10, 3, 64, i);
	memset(junk, 0x5a, sizeof(junk));
	assert_int_equal(fsim_load_bytes(f->fl.dev, f->fl.blob.off + 3 * 1024 + 6 * 64, junk,
					 sizeof(junk)), 0);
	poison_restore(f);
	assert_int_equal(bo_blob_srv_restore(&f->srv), BO_BLOB_PHASE_SUSPENDED);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, size, 10);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, &st);
	assert_int_equal(st.blocks[0], 0x08);
	send_block(f, size, 10, 3, 64);
	/* chunk 6 found garbage: blocks 0..2 given up, the sector erased, block 3 incomplete */
	fx_send(f, BO_OP_BLOB_XFER_GET, NULL, 0);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_CHUNK, &st);
	assert_int_equal(st.blocks[0], 0x0f);
	for (uint16_t i = 0; i < 6; i++)
		send_chunk(f, size, 10, 3, 64, i);
	send_block(f, size, 10, 0, 64);
	send_block(f, size, 10, 1, 64);
	send_block(f, size, 10, 2, 64);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_COMPLETE);
	expect_flash_blob(f, size);
	fx_free(f);
}

/* stm32f4 sectors (16, 16, 16, 64 KiB under the BLOB), write unit 1, 4 KiB blocks: a torn
 * chunk in the 64 KiB sector gives up the stored blocks of that sector only. */
static void test_mixed_sectors(void **state)
{
	const uint32_t size = 100000; /* 25 blocks: 0..11 in the 16 KiB sectors, 12..24 in 64 KiB */
	struct pump_flash fl;
	struct fx *f;
	struct bo_blob_xfer_status st;
	uint8_t junk[7];
	uint8_t *big = malloc(size);

	(void)state;
	assert_non_null(big);
	pump_flash_init_preset(&fl, "stm32f4", 0x4000, 0x1c000, 0x20000, 0x40000);
	f = fx_new_flash(&fl, BO_BLOB_MODE_PUSH);
	/* reuse the fixture's pattern generator for 100000 bytes */
	for (uint32_t i = 0; i < size; i++)
		big[i] = (uint8_t)(i * 131 + (i >> 9));
	assert_true(size <= sizeof(f->blob));
	memcpy(f->blob, big, size);
	free(big);
	/* an old image everywhere */
	memset(junk, 0x42, sizeof(junk));
	for (uint32_t o = 0; o + sizeof(junk) <= f->fl.blob.size; o += sizeof(junk))
		assert_int_equal(fsim_load_bytes(f->fl.dev, f->fl.blob.off + o, junk, sizeof(junk)),
				 0);

	assert_int_equal(bo_blob_srv_prepare(&f->srv, BLOB_ID, 5, 0, NULL), 0);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, size, 12);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, NULL);
	for (uint16_t b = 0; b < 14; b++)
		send_block(f, size, 12, b, 250); /* 17 chunks, the last 96 bytes */
	block_start(f, 14, 250);
	for (uint16_t i = 0; i < 8; i++)
		send_chunk(f, size, 12, 14, 250, i);
	/* a torn chunk 9 of block 14, then a power cut */
	memset(junk, 0x00, sizeof(junk));
	assert_int_equal(fsim_load_bytes(f->fl.dev, f->fl.blob.off + 14 * 4096 + 9 * 250, junk,
					 sizeof(junk)), 0);
	poison_restore(f);
	assert_int_equal(bo_blob_srv_restore(&f->srv), BO_BLOB_PHASE_SUSPENDED);
	xfer_start(f, BO_BLOB_MODE_PUSH, BLOB_ID, size, 12);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_BLOCK, &st);
	assert_int_equal(st.blocks[0], 0x00);
	assert_int_equal(st.blocks[1], 0xc0); /* 14, 15 */
	send_block(f, size, 12, 14, 250);
	fx_send(f, BO_OP_BLOB_XFER_GET, NULL, 0);
	expect_xfer_status(f, BO_BLOB_SUCCESS, BO_BLOB_PHASE_WAITING_FOR_CHUNK, &st);
	assert_int_equal(st.blocks[0], 0x00);
	assert_int_equal(st.blocks[1], 0xf0); /* 12..15: the 64 KiB sector was given up */
	for (uint16_t i = 0; i < 9; i++)
		send_chunk(f, size, 12, 14, 250, i);
	for (uint16_t b = 12; b < 25; b++)
		if (b != 14)
			send_block(f, size, 12, b, 250);
	assert_int_equal(bo_blob_srv_phase(&f->srv), BO_BLOB_PHASE_COMPLETE);
	expect_flash_blob(f, size);
	/* the 16 KiB sectors were erased once, the 64 KiB one twice */
	assert_int_equal(fsim_sector_erases(f->fl.dev, 1), 1);
	assert_int_equal(fsim_sector_erases(f->fl.dev, 2), 1);
	assert_int_equal(fsim_sector_erases(f->fl.dev, 3), 1);
	assert_int_equal(fsim_sector_erases(f->fl.dev, 4), 2);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info),
		cmocka_unit_test(test_xfer_start_errors),
		cmocka_unit_test(test_block_start_errors),
		cmocka_unit_test(test_chunks_and_bitmaps),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_pull),
		cmocka_unit_test(test_persist_log),
		cmocka_unit_test(test_restore),
		cmocka_unit_test(test_restore_shared_sector),
		cmocka_unit_test(test_mixed_sectors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
