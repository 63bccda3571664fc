/*
 * tests/dfu/test_blob_xfer.c: a BLOB Transfer Client and three servers on the message pump,
 * each node with its own flashsim device: lossless and lossy transfers (group and unicast),
 * a target offline from the start, every target offline (suspend, resume from the current
 * block), a server power cut mid-transfer (RAM poisoned, restored from flash; the client does
 * not resend the stored blocks), flash power cuts inside chunk programs, erases and the
 * persisted record (fsim_arm_cut + longjmp), and client cancel.
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
#include "core/dfu/blob_srv.h"
#include "core/dfu/timeouts.h"

#define CLI_ADDR 0x0001
#define GROUP 0xc001
#define NSRV 3
#define BLOB_ID 0xfeedfacecafebeefull
#define SRV_TIMER_BASE 0u
#define CLI_TIMER_BASE 8u
#define SECTOR 4096u
#define BLOB_BYTES (12u * 4096u)

/* Servers' sector size (the sweeps also try sectors larger than a block) and whether cuts
 * leave metastable cells. */
static uint32_t g_node_sector = SECTOR;
static bool g_metastable;
static bool g_read_cb;
static uint8_t g_mode = BO_BLOB_MODE_PUSH;
/* flash cuts are armed once server 0 has stored this many blocks */
static uint32_t g_after_blocks = 3;

static int read_blob(void *ctx, uint32_t off, uint8_t *buf, uint32_t len);
/* server timeout 30 s: longer than the client's 20.7 s to give up on a silent target */
#define SRV_TIMEOUT_BASE 2
#define HOUR (3600ull * BO_USEC_PER_SEC)

struct fx;

struct node {
	struct fx *fx;
	struct pump_node *pn;
	struct pump_flash fl;
	struct bo_blob_srv srv;
	struct bo_blob_srv_config cfg;
	unsigned blocks_done, complete, restores;
	/* Block Starts delivered to this node since watch_from was set */
	bool watching;
	uint32_t min_block_watched;
	uint32_t block_starts_watched;
};

struct fx {
	struct pump pump;
	struct pump_node *cn;
	struct pump_flash cfl;
	struct bo_blob_cli cli;
	struct bo_blob_cli_config ccfg;
	struct node n[NSRV];
	uint8_t *blob;
	uint32_t size;
	unsigned done_calls, lost_calls, suspended_calls;
	bool success;
	uint16_t lost_addr[NSRV];
	uint64_t lost_time[NSRV];
	uint64_t chunks_sent, reports;
};

static void srv_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		   size_t len)
{
	struct node *n = owner;

	assert_int_equal(bo_blob_srv_handle(&n->srv, rx, op, p, len), 1);
}

static void srv_timer(void *owner, uint32_t id)
{
	struct node *n = owner;

	assert_int_equal(bo_blob_srv_timer(&n->srv, id), 1);
}

static void cli_rx(void *owner, const struct bo_mesh_rx *rx, uint32_t op, const uint8_t *p,
		   size_t len)
{
	struct fx *f = owner;

	assert_int_equal(bo_blob_cli_handle(&f->cli, rx, op, p, len), 1);
}

static void cli_timer(void *owner, uint32_t id)
{
	struct fx *f = owner;

	assert_int_equal(bo_blob_cli_timer(&f->cli, id), 1);
}

static void cb_block(void *ctx, struct bo_blob_srv *srv, uint16_t block)
{
	struct node *n = ctx;

	(void)srv;
	(void)block;
	n->blocks_done++;
}

static void cb_complete(void *ctx, struct bo_blob_srv *srv, uint64_t id)
{
	struct node *n = ctx;

	(void)srv;
	assert_int_equal(id, BLOB_ID);
	n->complete++;
}

static void cb_lost(void *ctx, struct bo_blob_cli *cli, const struct bo_blob_cli_target *t)
{
	struct fx *f = ctx;

	(void)cli;
	if (getenv("BLOB_DEBUG"))
		fprintf(stderr, "lost %04x status %u phase %u cli state %u block %u t=%llu\n", t->addr, t->status, t->phase, cli->state, cli->block, (unsigned long long)f->pump.now);
	if (f->lost_calls < NSRV) {
		f->lost_addr[f->lost_calls] = t->addr;
		f->lost_time[f->lost_calls] = f->pump.now;
	}
	f->lost_calls++;
}

static void cb_suspended(void *ctx, struct bo_blob_cli *cli)
{
	struct fx *f = ctx;

	(void)cli;
	f->suspended_calls++;
}

static void cb_done(void *ctx, struct bo_blob_cli *cli, bool success)
{
	struct fx *f = ctx;

	(void)cli;
	f->done_calls++;
	f->success = success;
}

static void observe(void *ctx, const struct pump_event *ev)
{
	struct fx *f = ctx;

	if (ev->opcode == BO_OP_BLOB_CHUNK && ev->rx.src == CLI_ADDR)
		f->chunks_sent++;
	if (ev->opcode == BO_OP_BLOB_BLOCK_REPORT)
		f->reports++;
	for (int i = 0; i < NSRV; i++) {
		struct node *n = &f->n[i];

		if (ev->node == n->pn && n->watching && ev->opcode == BO_OP_BLOB_BLOCK_START &&
		    ev->len == 4) {
			uint32_t b = ev->data[0] | ev->data[1] << 8;

			n->block_starts_watched++;
			if (b < n->min_block_watched)
				n->min_block_watched = b;
		}
	}
}

static int read_blob(void *ctx, uint32_t off, uint8_t *buf, uint32_t len)
{
	struct fx *f = ctx;

	if (off > f->size || len > f->size - off)
		return -1;
	memcpy(buf, f->blob + off, len);
	return 0;
}

static void node_boot(struct node *n)
{
	bo_blob_srv_init(&n->srv, &n->cfg);
	(void)bo_blob_srv_restore(&n->srv);
	if (!bo_blob_srv_is_busy(&n->srv) && bo_blob_srv_phase(&n->srv) == BO_BLOB_PHASE_INACTIVE)
		assert_int_equal(bo_blob_srv_prepare(&n->srv, BLOB_ID, 5, SRV_TIMEOUT_BASE, NULL), 0);
}

/* Power cut: the node's RAM is gone (poisoned), it boots from flash alone. */
static void node_power_cut(struct node *n)
{
	memset(&n->srv, 0xa5, sizeof(n->srv));
	pump_node_reset(n->pn);
	n->restores++;
	node_boot(n);
}

static struct fx *fx_new(uint64_t seed, uint32_t loss_permille, uint32_t size)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->size = size;
	f->blob = malloc(size);
	assert_non_null(f->blob);
	for (uint32_t i = 0; i < size; i++)
		f->blob[i] = (uint8_t)((i * 2654435761u) >> 13 ^ i);
	pump_init(&f->pump, seed, loss_permille, 2000);
	f->pump.observe = observe;
	f->pump.observe_ctx = f;
	f->cn = pump_add_node(&f->pump, CLI_ADDR, cli_rx, cli_timer, f);
	pump_flash_init(&f->cfl, SECTOR, BLOB_BYTES / SECTOR, 4);
	assert_int_equal(fsim_load_bytes(f->cfl.dev, f->cfl.blob.off, f->blob, size), 0);
	f->ccfg = (struct bo_blob_cli_config){
		.mesh = &f->cn->port,
		.timer_base = CLI_TIMER_BASE,
		.source = f->cfl.blob,
		.cb = {.ctx = f, .lost = cb_lost, .suspended = cb_suspended, .done = cb_done,
		       .read = g_read_cb ? read_blob : NULL},
	};
	if (g_read_cb)
		f->ccfg.source = (struct bo_flash_area){0};
	bo_blob_cli_init(&f->cli, &f->ccfg);
	for (int i = 0; i < NSRV; i++) {
		struct node *n = &f->n[i];

		n->fx = f;
		/* different write units per node: 4, 8, 32 (stm32h7) */
		pump_flash_init(&n->fl, g_node_sector, BLOB_BYTES / g_node_sector,
				i == 2 ? 32u : 4u << i);
		/* an old image in the way: every sector must be erased before use */
		{
			uint8_t old_img[512];

			for (uint32_t k = 0; k < sizeof(old_img); k++)
				old_img[k] = (uint8_t)(k * 37 + i);
			for (uint32_t o = 0; o < n->fl.blob.size; o += sizeof(old_img))
				assert_int_equal(fsim_load_bytes(n->fl.dev, n->fl.blob.off + o, old_img,
								 sizeof(old_img)),
						 0);
		}
		n->pn = pump_add_node(&f->pump, (uint16_t)(0x0101 + i), srv_rx, srv_timer, n);
		pump_subscribe(n->pn, GROUP);
		n->cfg = (struct bo_blob_srv_config){
			.mesh = &n->pn->port,
			.storage = n->fl.blob,
			.state = n->fl.state,
			.timer_base = SRV_TIMER_BASE,
			.cb = {.ctx = n, .block_done = cb_block, .complete = cb_complete},
		};
		node_boot(n);
		n->min_block_watched = UINT32_MAX;
	}
	return f;
}

static void fx_free(struct fx *f)
{
	pump_free(&f->pump);
	for (int i = 0; i < NSRV; i++)
		pump_flash_free(&f->n[i].fl);
	pump_flash_free(&f->cfl);
	free(f->blob);
	free(f);
}

static void fx_start(struct fx *f, uint16_t group, uint32_t nsrv)
{
	uint16_t addrs[NSRV];
	struct bo_blob_cli_xfer x = {
		.id = BLOB_ID,
		.size = f->size,
		.mode = g_mode,
		.block_size_log = 12,
		.group = group,
		.ttl = 5,
		.timeout_base = 0,
	};

	for (uint32_t i = 0; i < nsrv; i++)
		addrs[i] = f->n[i].pn->addr;
	assert_int_equal(bo_blob_cli_send(&f->cli, &x, addrs, nsrv), 0);
}

static bool cli_finished(void *ctx)
{
	struct fx *f = ctx;

	return f->cli.state == BO_BLOB_CLI_DONE || f->cli.state == BO_BLOB_CLI_SUSPENDED;
}

static void expect_blob(struct fx *f, int i)
{
	struct node *n = &f->n[i];
	uint8_t *buf = malloc(f->size);

	assert_non_null(buf);
	assert_int_equal(fsim_peek(n->fl.dev, n->fl.blob.off, buf, f->size), 0);
	assert_memory_equal(buf, f->blob, f->size);
	free(buf);
	assert_int_equal(fsim_violation_count(n->fl.dev), 0);
	assert_int_equal(bo_blob_srv_phase(&n->srv), BO_BLOB_PHASE_COMPLETE);
	assert_int_equal(f->cli.targets[i].state, BO_BLOB_TARGET_DONE);
}

static void run_transfer(uint64_t seed, uint32_t loss, uint16_t group)
{
	struct fx *f = fx_new(seed, loss, 30001);

	fx_start(f, group, NSRV);
	assert_true(pump_run(&f->pump, HOUR, cli_finished, f));
	assert_int_equal(f->cli.state, BO_BLOB_CLI_DONE);
	assert_int_equal(f->done_calls, 1);
	assert_true(f->success);
	assert_int_equal(f->lost_calls, 0);
	for (int i = 0; i < NSRV; i++)
		expect_blob(f, i);
	/* 30001 bytes in 4 KiB blocks of 352-byte chunks (377 rounded down to the 32-byte unit) */
	assert_int_equal(f->cli.block_size_log, 12);
	assert_int_equal(f->cli.chunk_size, 352);
	if (!loss)
		assert_int_equal(f->cli.blocks_sent, 8);
	/* lossless to a group: Information Get, Transfer Start, 8 x (Block Start, Block Get),
	 * 88 chunks, Transfer Get, each sent once; with loss, retries and the chunks the Block
	 * Get aggregation found missing come on top */
	if (g_mode == BO_BLOB_MODE_PULL) {
		/* servers asked with reports; every chunk went unicast: 88 per server at least */
		assert_true(f->reports >= NSRV * 8);
		assert_true(f->chunks_sent >= NSRV * 88);
		if (getenv("BLOB_DEBUG"))
			fprintf(stderr, "pull: %llu reports, %llu chunks, %.1f s\n",
				(unsigned long long)f->reports, (unsigned long long)f->chunks_sent,
				f->pump.now / 1e6);
	}
	if (!loss && group && g_mode == BO_BLOB_MODE_PUSH)
		assert_int_equal(f->cn->sent, 107);
	if (loss && group && g_mode == BO_BLOB_MODE_PUSH)
		assert_true(f->cn->sent > 107);
	fx_free(f);
}

static void test_lossless_group(void **state)
{
	(void)state;
	run_transfer(1, 0, GROUP);
}

static void test_lossless_unicast(void **state)
{
	(void)state;
	g_read_cb = true; /* the BLOB from a read callback instead of a flash area */
	run_transfer(2, 0, BO_MESH_ADDR_UNASSIGNED);
	g_read_cb = false;
}

static void test_lossy_group(void **state)
{
	(void)state;
	for (uint64_t seed = 10; seed < 15; seed++)
		run_transfer(seed, 100, GROUP);
}

static void test_lossy_unicast(void **state)
{
	(void)state;
	for (uint64_t seed = 20; seed < 23; seed++)
		run_transfer(seed, 100, BO_MESH_ADDR_UNASSIGNED);
}

/* Pull mode: the servers ask for their chunks, 4 at a time; chunks go unicast. */
static void test_pull_lossless(void **state)
{
	(void)state;
	g_mode = BO_BLOB_MODE_PULL;
	run_transfer(6, 0, GROUP);
	g_mode = BO_BLOB_MODE_PUSH;
}

static void test_pull_lossy(void **state)
{
	(void)state;
	g_mode = BO_BLOB_MODE_PULL;
	for (uint64_t seed = 80; seed < 83; seed++)
		run_transfer(seed, 100, GROUP);
	run_transfer(83, 100, BO_MESH_ADDR_UNASSIGNED);
	g_mode = BO_BLOB_MODE_PUSH;
}

static void test_target_offline(void **state)
{
	struct fx *f = fx_new(3, 50, 20000);

	(void)state;
	f->n[1].pn->online = false;
	fx_start(f, GROUP, NSRV);
	assert_true(pump_run(&f->pump, HOUR, cli_finished, f));
	assert_int_equal(f->cli.state, BO_BLOB_CLI_DONE);
	assert_true(f->success);
	assert_int_equal(f->lost_calls, 1);
	assert_int_equal(f->lost_addr[0], 0x0102);
	/* silent through Information Get and its 4 retries: one client timeout (TTL 5) */
	assert_int_equal(f->lost_time[0], bo_blob_cli_timeout_us(0, 5));
	assert_int_equal(f->cli.targets[1].state, BO_BLOB_TARGET_LOST);
	expect_blob(f, 0);
	expect_blob(f, 2);
	fx_free(f);
}

static bool blocks_at_least_3(void *ctx)
{
	struct fx *f = ctx;

	return f->n[0].blocks_done >= 3 && f->n[1].blocks_done >= 3 && f->n[2].blocks_done >= 3;
}

static void test_all_offline_suspend_resume(void **state)
{
	struct fx *f = fx_new(4, 0, 30001);
	uint16_t stopped_at;

	(void)state;
	/* all offline from the start: suspended */
	for (int i = 0; i < NSRV; i++)
		f->n[i].pn->online = false;
	fx_start(f, GROUP, NSRV);
	assert_true(pump_run(&f->pump, HOUR, cli_finished, f));
	assert_int_equal(f->cli.state, BO_BLOB_CLI_SUSPENDED);
	assert_int_equal(f->suspended_calls, 1);
	assert_int_equal(f->lost_calls, NSRV);
	assert_int_equal(f->done_calls, 0);

	/* back online: resume, then lose them all again after 3 blocks */
	for (int i = 0; i < NSRV; i++)
		f->n[i].pn->online = true;
	assert_int_equal(bo_blob_cli_resume(&f->cli), 0);
	assert_true(pump_run(&f->pump, HOUR, blocks_at_least_3, f));
	for (int i = 0; i < NSRV; i++)
		f->n[i].pn->online = false;
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, cli_finished, f));
	assert_int_equal(f->cli.state, BO_BLOB_CLI_SUSPENDED);
	assert_int_equal(f->suspended_calls, 2);
	stopped_at = (uint16_t)f->n[0].blocks_done;
	for (int i = 1; i < NSRV; i++)
		if (f->n[i].blocks_done < stopped_at)
			stopped_at = (uint16_t)f->n[i].blocks_done;
	assert_true(stopped_at >= 3);

	/* resume continues from the current block, not block 0 */
	for (int i = 0; i < NSRV; i++) {
		f->n[i].pn->online = true;
		f->n[i].watching = true;
	}
	assert_int_equal(bo_blob_cli_resume(&f->cli), 0);
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, cli_finished, f));
	assert_int_equal(f->cli.state, BO_BLOB_CLI_DONE);
	assert_true(f->success);
	for (int i = 0; i < NSRV; i++) {
		assert_true(f->n[i].block_starts_watched > 0);
		assert_int_equal(f->n[i].min_block_watched, stopped_at);
		expect_blob(f, i);
	}
	fx_free(f);
}

static bool srv0_blocks_3(void *ctx)
{
	struct fx *f = ctx;

	return f->n[0].blocks_done >= 3;
}

static bool srv0_blocks_armed(void *ctx)
{
	struct fx *f = ctx;

	return f->n[0].blocks_done >= g_after_blocks;
}

static void test_server_power_cut(void **state)
{
	(void)state;
	for (uint64_t seed = 30; seed < 33; seed++) {
		struct fx *f = fx_new(seed, seed == 30 ? 0 : 100, 30001);
		struct node *n = &f->n[0];
		uint32_t stored, cli_block;

		fx_start(f, GROUP, NSRV);
		assert_true(pump_run(&f->pump, HOUR, srv0_blocks_3, f));
		/* a little later, mid-block */
		pump_run(&f->pump, f->pump.now + 300000, NULL, NULL);
		stored = n->blocks_done;
		cli_block = f->cli.block;
		node_power_cut(n);
		assert_int_equal(bo_blob_srv_phase(&n->srv), BO_BLOB_PHASE_SUSPENDED);
		assert_int_equal(bo_blob_srv_progress(&n->srv), stored * 100 / 8);
		n->watching = true;
		assert_true(pump_run(&f->pump, f->pump.now + HOUR, cli_finished, f));
		assert_int_equal(f->cli.state, BO_BLOB_CLI_DONE);
		assert_true(f->success);
		/* block 0 was not sent again, nor any block but the one the client was on */
		if (getenv("BLOB_DEBUG"))
			fprintf(stderr, "seed %llu stored %u min block start %u cli block %u\n",
				(unsigned long long)seed, stored, n->min_block_watched, cli_block);
		assert_true(n->min_block_watched > 0);
		assert_true(n->min_block_watched >= cli_block);
		for (int i = 0; i < NSRV; i++)
			expect_blob(f, i);
		fx_free(f);
	}
}

/* ---- flash power cuts (fsim_arm_cut + longjmp) ----------------------------------------- */

static jmp_buf cut_jb;
static struct node *cut_node;

static void on_power_loss(void *ctx)
{
	cut_node = ctx;
	longjmp(cut_jb, 1);
}

/* Run to the end, rebooting a node whenever its flash loses power. */
static bool run_with_cuts(struct fx *f, uint64_t t_end)
{
	if (setjmp(cut_jb) != 0)
		node_power_cut(cut_node);
	return pump_run(&f->pump, t_end, cli_finished, f);
}

struct rec_trace {
	uint32_t state_off, state_end;
	uint64_t after;     /* first record program at or after this op */
	uint64_t found;
};

static void trace_rec(void *ctx, const struct fsim_trace_event *ev)
{
	struct rec_trace *t = ctx;

	if (ev->kind == FSIM_OP_PROGRAM && ev->off >= t->state_off && ev->off < t->state_end &&
	    ev->op_index >= t->after && t->found == UINT64_MAX)
		t->found = ev->op_index;
}

static void flash_cut_case(uint64_t seed, uint64_t op_offset, enum fsim_cut_mode mode,
			   uint32_t variant, bool on_record)
{
	struct fx *f = fx_new(seed, 0, 30001);
	struct node *n = &f->n[1];
	struct fsim_stats st;
	struct fsim_cut cut = {.mode = mode, .variant = variant, .seed = seed * 31 + op_offset,
			       .metastable = g_metastable && mode == FSIM_CUT_TORN};
	uint32_t stored;

	fsim_set_power_loss_handler(n->fl.dev, on_power_loss, n);
	fx_start(f, GROUP, NSRV);
	assert_true(pump_run(&f->pump, HOUR, srv0_blocks_armed, f));
	fsim_get_stats(n->fl.dev, &st);
	cut.op_index = st.mutating_ops + op_offset;
	if (on_record) {
		/* find the op that writes the next record in an identical run */
		struct fx *g = fx_new(seed, 0, 30001);
		struct rec_trace t = {.state_off = g->n[1].fl.state.off,
				      .state_end = g->n[1].fl.state.off + g->n[1].fl.state.size,
				      .after = st.mutating_ops + op_offset,
				      .found = UINT64_MAX};

		fsim_set_trace(g->n[1].fl.dev, trace_rec, &t);
		fx_start(g, GROUP, NSRV);
		assert_true(pump_run(&g->pump, HOUR, cli_finished, g));
		assert_true(t.found != UINT64_MAX);
		cut.op_index = t.found;
		fx_free(g);
	}
	stored = n->blocks_done;
	fsim_arm_cut(n->fl.dev, &cut);
	n->watching = true;
	assert_true(run_with_cuts(f, f->pump.now + HOUR));
	assert_int_equal(f->cli.state, BO_BLOB_CLI_DONE);
	assert_true(f->success);
	if (fsim_cut_armed(n->fl.dev)) {
		/* past the last flash operation of this server: nothing to cut */
		fsim_disarm_cut(n->fl.dev);
		assert_int_equal(n->restores, 0);
	} else {
		assert_int_equal(n->restores, 1);
	}
	/* at most the block being written when power went was lost (with sectors larger than
	 * a block, the blocks of its sector if the cut tore a chunk program there) */
	{
		uint32_t bps = g_node_sector / 4096u;
		uint32_t floor_block = (stored ? stored - 1 : 0) / bps * bps;

		if (getenv("BLOB_DEBUG"))
			fprintf(stderr, "cut op+%llu mode %d: stored %u, min block start %u, restores %u\n",
				(unsigned long long)op_offset, (int)mode, stored,
				n->min_block_watched, n->restores);
		assert_true(n->min_block_watched >= floor_block);
		if (bps == 1 && stored >= 2)
			assert_true(n->min_block_watched > 0);
	}
	for (int i = 0; i < NSRV; i++)
		expect_blob(f, i);
	fx_free(f);
}

static void test_flash_cuts(void **state)
{
	static const uint64_t offs[] = {0, 1, 2, 5, 9, 13, 14, 20, 27};

	(void)state;
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		flash_cut_case(40 + i, offs[i], FSIM_CUT_BETWEEN, 0, false);
		flash_cut_case(40 + i, offs[i], FSIM_CUT_TORN, (uint32_t)i, false);
	}
}

static void test_torn_record(void **state)
{
	(void)state;
	for (uint32_t v = 0; v < FSIM_TORN_PROG_VARIANTS; v++)
		flash_cut_case(60 + v, 0, FSIM_CUT_TORN, v, true);
	flash_cut_case(70, 5, FSIM_CUT_BETWEEN, 0, true);
}

/* Every cut point over about two blocks' worth of flash operations of one server, between
 * and torn, with 4 KiB sectors (one block each) and 16 KiB sectors (four blocks each). */
static void sweep(uint32_t sector, bool metastable)
{
	g_node_sector = sector;
	g_metastable = metastable;
	/* from the first operation of the transfer, and from the fourth block on to the end */
	for (uint32_t from = 0; from <= 3; from += 3) {
		g_after_blocks = from;
		for (uint64_t op = 0; op < 80; op++) {
			flash_cut_case(100 + op, op, FSIM_CUT_BETWEEN, 0, false);
			flash_cut_case(200 + op, op, FSIM_CUT_TORN, (uint32_t)op, false);
		}
	}
	g_after_blocks = 3;
	g_node_sector = SECTOR;
	g_metastable = false;
}

static void test_cut_sweep_4k(void **state)
{
	(void)state;
	sweep(4096, false);
}

static void test_cut_sweep_16k(void **state)
{
	(void)state;
	sweep(16384, false);
}

static void test_cut_sweep_pull(void **state)
{
	(void)state;
	g_mode = BO_BLOB_MODE_PULL;
	sweep(4096, false);
	g_mode = BO_BLOB_MODE_PUSH;
}

static void test_cut_sweep_metastable(void **state)
{
	(void)state;
	sweep(4096, true);
	sweep(16384, true);
}

static bool srv0_blocks_2(void *ctx)
{
	struct fx *f = ctx;

	return f->n[0].blocks_done >= 2;
}

/* A target whose storage is too small, and one that cannot do pull: lost with the reason;
 * the third completes. */
static void test_refusing_targets(void **state)
{
	struct fx *f = fx_new(7, 0, 30001);

	(void)state;
	/* node 0: a 16 KiB storage area; node 1: push only */
	f->n[0].cfg.storage.size = 16384;
	bo_blob_srv_init(&f->n[0].srv, &f->n[0].cfg);
	assert_int_equal(bo_blob_srv_prepare(&f->n[0].srv, BLOB_ID, 5, SRV_TIMEOUT_BASE, NULL), 0);
	f->n[1].cfg.caps.modes = BO_BLOB_MODE_PUSH;
	bo_blob_srv_init(&f->n[1].srv, &f->n[1].cfg);
	assert_int_equal(bo_blob_srv_prepare(&f->n[1].srv, BLOB_ID, 5, SRV_TIMEOUT_BASE, NULL), 0);
	g_mode = BO_BLOB_MODE_PULL;
	fx_start(f, GROUP, NSRV);
	g_mode = BO_BLOB_MODE_PUSH;
	assert_true(pump_run(&f->pump, HOUR, cli_finished, f));
	assert_int_equal(f->cli.state, BO_BLOB_CLI_DONE);
	assert_true(f->success);
	assert_int_equal(f->lost_calls, 2);
	assert_int_equal(f->cli.targets[0].state, BO_BLOB_TARGET_LOST);
	assert_int_equal(f->cli.targets[0].status, BO_BLOB_ERR_BLOB_TOO_LARGE);
	assert_int_equal(f->cli.targets[1].state, BO_BLOB_TARGET_LOST);
	assert_int_equal(f->cli.targets[1].status, BO_BLOB_ERR_UNSUPPORTED_MODE);
	expect_blob(f, 2);
	fx_free(f);
}

/* One seed, one run: the same events, the same time, the same messages. */
static void test_deterministic(void **state)
{
	uint64_t now[2], events[2], sent[2], lost[2];

	(void)state;
	for (int k = 0; k < 2; k++) {
		struct fx *f = fx_new(99, 120, 30001);

		fx_start(f, GROUP, NSRV);
		assert_true(pump_run(&f->pump, HOUR, cli_finished, f));
		assert_true(f->success);
		now[k] = f->pump.now;
		events[k] = f->pump.events;
		sent[k] = f->cn->sent;
		lost[k] = f->pump.lost;
		fx_free(f);
	}
	assert_int_equal(now[0], now[1]);
	assert_int_equal(events[0], events[1]);
	assert_int_equal(sent[0], sent[1]);
	assert_int_equal(lost[0], lost[1]);
	assert_true(lost[0] > 0);
}

static void test_cancel(void **state)
{
	struct fx *f = fx_new(5, 0, 30001);

	(void)state;
	fx_start(f, GROUP, NSRV);
	assert_true(pump_run(&f->pump, HOUR, srv0_blocks_2, f));
	assert_int_equal(bo_blob_cli_cancel(&f->cli), 0);
	assert_true(pump_run(&f->pump, f->pump.now + HOUR, cli_finished, f));
	assert_int_equal(f->cli.state, BO_BLOB_CLI_DONE);
	assert_false(f->success);
	for (int i = 0; i < NSRV; i++)
		assert_int_equal(bo_blob_srv_phase(&f->n[i].srv), BO_BLOB_PHASE_INACTIVE);
	assert_int_equal(bo_blob_cli_cancel(&f->cli), -1);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lossless_group),
		cmocka_unit_test(test_lossless_unicast),
		cmocka_unit_test(test_lossy_group),
		cmocka_unit_test(test_lossy_unicast),
		cmocka_unit_test(test_pull_lossless),
		cmocka_unit_test(test_pull_lossy),
		cmocka_unit_test(test_target_offline),
		cmocka_unit_test(test_all_offline_suspend_resume),
		cmocka_unit_test(test_server_power_cut),
		cmocka_unit_test(test_flash_cuts),
		cmocka_unit_test(test_torn_record),
		cmocka_unit_test(test_cut_sweep_4k),
		cmocka_unit_test(test_cut_sweep_16k),
		cmocka_unit_test(test_cut_sweep_metastable),
		cmocka_unit_test(test_cut_sweep_pull),
		cmocka_unit_test(test_refusing_targets),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_cancel),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
