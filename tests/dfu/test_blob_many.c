/*
 * tests/dfu/test_blob_many.c: a BLOB Transfer Client and many servers (NSRV) on the message
 * pump: pull mode lossless and lossy by seed (chunks two or more targets ask for go to the
 * group once, not unicast to each), a target that goes silent mid-transfer lost within a
 * client timeout while the others complete, a target that cancelled (INACTIVE: it answers
 * the client's Block Get with WRONG_PHASE) lost, and refused sends (the pump's busy model:
 * one segmented send per destination) retried instead of counted as lost, pull and push.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "blob_pump.h"
#include "core/dfu/blob_cli.h"
#include "core/dfu/blob_srv.h"
#include "core/dfu/timeouts.h"

#define CLI_ADDR 0x0001
#define GROUP 0xc001
#define NSRV (PUMP_NODES_MAX - 1)
#define BLOB_ID 0x0123456789abcdefull
#define SRV_TIMER_BASE 0u
#define CLI_TIMER_BASE 8u
#define SECTOR 4096u
#define BLOB_BYTES (6u * 4096u)
#define SIZE 20000u      /* 5 blocks of 4 KiB */
#define CHUNK 128u       /* 32 chunks per block */
#define TIMEOUT_BASE 2u  /* server 30 s, client 40.5 s (TTL 5), retry interval 8.1 s */
#define TTL 5u
#define HOUR (3600ull * BO_USEC_PER_SEC)

struct fx;

struct node {
	struct pump_node *pn;
	struct pump_flash fl;
	struct bo_blob_srv srv;
	unsigned blocks_done;
};

struct fx {
	struct pump pump;
	struct pump_node *cn;
	struct pump_flash cfl;
	struct bo_blob_cli cli;
	struct node n[NSRV];
	uint8_t *blob;
	unsigned done_calls, lost_calls;
	bool success;
	uint16_t lost_addr;
	uint8_t lost_status;
	uint64_t lost_time;
	uint64_t chunks, block_gets;
	uint64_t info_at[4 * NSRV]; /* unicast Information Gets delivered, when */
	size_t ninfo;
	/* fault: node `fault` goes offline (or cancels) once it stored fault_after blocks */
	int fault;
	bool fault_cancel, fault_done;
	unsigned fault_after;
	uint64_t fault_time;
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

static struct fx *g_fx; /* for the server callbacks (ctx is the node) */

static void cb_block(void *ctx, struct bo_blob_srv *srv, uint16_t block)
{
	struct node *n = ctx;
	struct fx *f = g_fx;

	(void)srv;
	(void)block;
	n->blocks_done++;
	if (f->fault >= 0 && n == &f->n[f->fault] && !f->fault_done &&
	    n->blocks_done == f->fault_after) {
		f->fault_done = true;
		f->fault_time = f->pump.now;
		if (f->fault_cancel)
			assert_int_equal(bo_blob_srv_cancel(&n->srv), 0); /* owner gives up */
		else
			n->pn->online = false;
	}
}

static void cb_lost(void *ctx, struct bo_blob_cli *cli, const struct bo_blob_cli_target *t)
{
	struct fx *f = ctx;

	(void)cli;
	f->lost_calls++;
	f->lost_addr = t->addr;
	f->lost_status = t->status;
	f->lost_time = f->pump.now;
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

	if (ev->rx.src != CLI_ADDR)
		return;
	/* count messages, not deliveries: a group message reaches every server */
	if (ev->opcode == BO_OP_BLOB_CHUNK && (ev->rx.dst != GROUP || ev->node == f->n[0].pn))
		f->chunks++;
	if (ev->opcode == BO_OP_BLOB_BLOCK_GET && (ev->rx.dst != GROUP || ev->node == f->n[0].pn))
		f->block_gets++;
	if (ev->opcode == BO_OP_BLOB_INFO_GET && ev->rx.dst != GROUP &&
	    f->ninfo < sizeof f->info_at / sizeof f->info_at[0])
		f->info_at[f->ninfo++] = ev->t;
}

static struct fx *fx_new(uint64_t seed, uint32_t loss_permille, uint64_t seg_busy_us)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	g_fx = f;
	f->fault = -1;
	f->blob = malloc(SIZE);
	assert_non_null(f->blob);
	for (uint32_t i = 0; i < SIZE; i++)
		f->blob[i] = (uint8_t)((i * 2654435761u) >> 11 ^ i);
	pump_init(&f->pump, seed, loss_permille, 2000);
	f->pump.seg_busy_us = seg_busy_us;
	f->pump.observe = observe;
	f->pump.observe_ctx = f;
	f->cn = pump_add_node(&f->pump, CLI_ADDR, cli_rx, cli_timer, f);
	pump_flash_init(&f->cfl, SECTOR, BLOB_BYTES / SECTOR, 4);
	assert_int_equal(fsim_load_bytes(f->cfl.dev, f->cfl.blob.off, f->blob, SIZE), 0);
	bo_blob_cli_init(&f->cli, &(struct bo_blob_cli_config){
					  .mesh = &f->cn->port,
					  .timer_base = CLI_TIMER_BASE,
					  .source = f->cfl.blob,
					  .cb = {.ctx = f, .lost = cb_lost, .done = cb_done},
				  });
	for (int i = 0; i < NSRV; i++) {
		struct node *n = &f->n[i];

		pump_flash_init(&n->fl, SECTOR, BLOB_BYTES / SECTOR, 4);
		n->pn = pump_add_node(&f->pump, (uint16_t)(0x0101 + i), srv_rx, srv_timer, n);
		pump_subscribe(n->pn, GROUP);
		bo_blob_srv_init(&n->srv, &(struct bo_blob_srv_config){
						  .mesh = &n->pn->port,
						  .storage = n->fl.blob,
						  .state = n->fl.state,
						  .timer_base = SRV_TIMER_BASE,
						  .cb = {.ctx = n, .block_done = cb_block},
					  });
		assert_int_equal(bo_blob_srv_prepare(&n->srv, BLOB_ID, TTL, TIMEOUT_BASE, NULL), 0);
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
	g_fx = NULL;
}

static bool cli_finished(void *ctx)
{
	struct fx *f = ctx;

	return f->cli.state == BO_BLOB_CLI_DONE || f->cli.state == BO_BLOB_CLI_SUSPENDED;
}

/* Run a transfer to every server; true when the client finished. */
static void fx_run(struct fx *f, uint8_t mode, uint16_t group, uint32_t interval_us)
{
	uint16_t addrs[NSRV];
	struct bo_blob_cli_xfer x = {
		.id = BLOB_ID,
		.size = SIZE,
		.mode = mode,
		.block_size_log = 12,
		.chunk_size = CHUNK,
		.group = group,
		.ttl = TTL,
		.timeout_base = TIMEOUT_BASE,
		.chunk_interval_us = interval_us,
	};

	for (int i = 0; i < NSRV; i++)
		addrs[i] = f->n[i].pn->addr;
	assert_int_equal(bo_blob_cli_send(&f->cli, &x, addrs, NSRV), 0);
	assert_true(pump_run(&f->pump, 4 * HOUR, cli_finished, f));
	assert_int_equal(f->cli.state, BO_BLOB_CLI_DONE);
	assert_int_equal(f->done_calls, 1);
}

static void expect_blob(struct fx *f, int i)
{
	struct node *n = &f->n[i];
	uint8_t *buf = malloc(SIZE);

	assert_non_null(buf);
	assert_int_equal(fsim_peek(n->fl.dev, n->fl.blob.off, buf, SIZE), 0);
	assert_memory_equal(buf, f->blob, SIZE);
	free(buf);
	assert_int_equal(fsim_violation_count(n->fl.dev), 0);
	assert_int_equal(bo_blob_srv_phase(&n->srv), BO_BLOB_PHASE_COMPLETE);
	assert_int_equal(f->cli.targets[i].state, BO_BLOB_TARGET_DONE);
}

static void expect_all_but(struct fx *f, int skip)
{
	assert_true(f->success);
	for (int i = 0; i < NSRV; i++)
		if (i != skip)
			expect_blob(f, i);
}

static const uint32_t total_chunks = (SIZE + CHUNK - 1) / CHUNK; /* 157 */

/* Pull, every server in the group, no loss: each chunk goes to the group about once (the
 * client used to send every chunk unicast to every target: NSRV times as many). */
static void test_pull_many_lossless(void **state)
{
	struct fx *f = fx_new(1, 0, 0);

	(void)state;
	fx_run(f, BO_BLOB_MODE_PULL, GROUP, 50000);
	expect_all_but(f, -1);
	assert_int_equal(f->lost_calls, 0);
	assert_true(f->chunks >= total_chunks);
	assert_true(f->chunks <= total_chunks + total_chunks / 4);
	/* about one paced chunk message per chunk, plus the per-block steps */
	assert_true(f->pump.now < (uint64_t)total_chunks * 2 * 50000 + 60 * BO_USEC_PER_SEC);
	fx_free(f);
}

/* Pull with loss, by seed: every target completes, none lost, far fewer chunk messages
 * than one per chunk per target. */
static void test_pull_many_lossy(void **state)
{
	(void)state;
	for (uint64_t seed = 30; seed < 34; seed++) {
		struct fx *f = fx_new(seed, 100, 0);

		fx_run(f, BO_BLOB_MODE_PULL, GROUP, 50000);
		expect_all_but(f, -1);
		assert_int_equal(f->lost_calls, 0);
		assert_true(f->chunks < (uint64_t)total_chunks * NSRV / 3);
		fx_free(f);
	}
}

/* Pull, unicast only (no group), lossy: still every target, one request at a time each. */
static void test_pull_many_unicast(void **state)
{
	struct fx *f = fx_new(40, 50, 0);

	(void)state;
	fx_run(f, BO_BLOB_MODE_PULL, BO_MESH_ADDR_UNASSIGNED, 20000);
	expect_all_but(f, -1);
	assert_int_equal(f->lost_calls, 0);
	fx_free(f);
}

/* Pull: target 3 goes silent after storing 2 blocks. It is lost within a client timeout
 * and a check interval (its reports stop; the others' reports must not hide that), and
 * the others complete. */
static void test_pull_target_silent(void **state)
{
	uint64_t cto = bo_blob_cli_timeout_us(TIMEOUT_BASE, TTL);
	uint64_t rto = bo_blob_cli_retry_us(TIMEOUT_BASE, TTL, BO_BLOB_CLI_BLOCK_RETRIES);

	(void)state;
	for (uint64_t seed = 50; seed < 53; seed++) {
		struct fx *f = fx_new(seed, seed == 50 ? 0 : 50, 0);

		f->fault = 3;
		f->fault_after = 2;
		fx_run(f, BO_BLOB_MODE_PULL, GROUP, 50000);
		assert_true(f->fault_done);
		assert_int_equal(f->lost_calls, 1);
		assert_int_equal(f->lost_addr, f->n[3].pn->addr);
		assert_int_equal(f->lost_status, BO_BLOB_ERR_INTERNAL);
		assert_true(f->lost_time > f->fault_time);
		assert_true(f->lost_time - f->fault_time <= cto + 2 * rto);
		assert_int_equal(f->cli.targets[3].state, BO_BLOB_TARGET_LOST);
		expect_all_but(f, 3);
		fx_free(f);
	}
}

/* Pull: target 5 cancels after storing 1 block (INACTIVE, no more reports). The client's
 * Block Get finds it WRONG_PHASE: lost at once (not after a client timeout), and the
 * others complete. */
static void test_pull_target_cancelled(void **state)
{
	uint64_t rto = bo_blob_cli_retry_us(TIMEOUT_BASE, TTL, BO_BLOB_CLI_BLOCK_RETRIES);

	(void)state;
	for (uint64_t seed = 60; seed < 62; seed++) {
		struct fx *f = fx_new(seed, seed == 60 ? 0 : 50, 0);

		f->fault = 5;
		f->fault_after = 1;
		f->fault_cancel = true;
		fx_run(f, BO_BLOB_MODE_PULL, GROUP, 50000);
		assert_true(f->fault_done);
		assert_int_equal(f->lost_calls, 1);
		assert_int_equal(f->lost_addr, f->n[5].pn->addr);
		assert_int_equal(f->lost_status, BO_BLOB_ERR_WRONG_PHASE);
		assert_true(f->lost_time - f->fault_time <= 3 * rto);
		expect_all_but(f, 5);
		fx_free(f);
	}
}

/* Unicast (no group): the Information Get round to every server is spread over the retry
 * interval (blob_cli.h: their answers would flood a large mesh together), not one per
 * BO_BLOB_CLI_STEP_INTERVAL_US; the transfer still completes everywhere. */
static void test_unicast_round_spread(void **state)
{
	uint64_t rto = bo_blob_cli_retry_us(TIMEOUT_BASE, TTL, BO_BLOB_CLI_BLOCK_RETRIES);
	uint64_t gap = rto / NSRV < BO_BLOB_CLI_SPREAD_MAX_US ? rto / NSRV : BO_BLOB_CLI_SPREAD_MAX_US;
	struct fx *f = fx_new(80, 0, 0);

	(void)state;
	_Static_assert(BO_BLOB_CLI_STEP_INTERVAL_US < 8100000u / NSRV, "the spread must show");
	fx_run(f, BO_BLOB_MODE_PUSH, BO_MESH_ADDR_UNASSIGNED, 20000);
	assert_true(f->ninfo >= NSRV);
	for (size_t i = 1; i < NSRV; i++)
		assert_true(f->info_at[i] - f->info_at[i - 1] >= gap);
	expect_all_but(f, -1);
	fx_free(f);
}

/* Refused sends (one segmented send per destination, each busy for 3 chunk intervals):
 * the client tries a refused chunk again instead of losing it. Push: no chunk needs a
 * second round, so one Block Get per block; pull: every target, none lost. */
static void test_refused_sends(void **state)
{
	struct fx *f = fx_new(70, 0, 150000);
	uint32_t blocks = (SIZE + 4095) / 4096;

	(void)state;
	fx_run(f, BO_BLOB_MODE_PUSH, GROUP, 50000);
	expect_all_but(f, -1);
	assert_int_equal(f->lost_calls, 0);
	assert_true(f->cn->refused > 0);
	assert_int_equal(f->block_gets, blocks);
	assert_int_equal(f->chunks, total_chunks);
	fx_free(f);

	f = fx_new(71, 0, 150000);
	fx_run(f, BO_BLOB_MODE_PULL, GROUP, 50000);
	expect_all_but(f, -1);
	assert_int_equal(f->lost_calls, 0);
	assert_true(f->cn->refused > 0);
	fx_free(f);

	/* unicast Transfer Start (segmented) to every target: refused ones are retried soon,
	 * not at the next retry interval, and nobody is lost */
	f = fx_new(72, 0, 150000);
	fx_run(f, BO_BLOB_MODE_PUSH, BO_MESH_ADDR_UNASSIGNED, 50000);
	expect_all_but(f, -1);
	assert_int_equal(f->lost_calls, 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pull_many_lossless),
		cmocka_unit_test(test_pull_many_lossy),
		cmocka_unit_test(test_pull_many_unicast),
		cmocka_unit_test(test_pull_target_silent),
		cmocka_unit_test(test_pull_target_cancelled),
		cmocka_unit_test(test_unicast_round_spread),
		cmocka_unit_test(test_refused_sends),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
