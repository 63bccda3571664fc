/*
 * tests/dfu/test_dfu_cli.c: the Firmware Update Client's Apply and Confirm steps (dfu_cli.h)
 * against a scripted Target: a fake mesh port records what the client sends and holds its
 * timers; the test answers (or does not) with exactly the statuses a case needs. The case
 * of issue 5: the Target's Update Status (APPLYING) answering the Apply is lost (and a late
 * answer to an Update Get comes instead), the Target applies and reboots, the retried Apply
 * finds it IDLE (WRONG_PHASE): what its firmware reports decides (new FWID: APPLIED, the
 * old one: APPLY_FAILED, silence: LOST).
 * Zephyr's applied(): a Target running the new FWID is APPLIED only once its Update phase
 * left APPLYING (IDLE: its image confirmed itself); the new FWID stuck in APPLYING to the
 * deadline, or the old FWID after it (reverted), is APPLY_FAILED.
 * A power cut before the upgrade request reached the bootloader: the old FWID and VERIFY_OK
 * after an APPLYING answer: Update Apply again (at most BO_DFU_CLI_REAPPLY_MAX times); the
 * Target's APPLY_FAIL (VERIFY_FAIL on the wire: reverted): APPLY_FAILED at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/dfu/dfu_cli.h"
#include "core/dfu/msg.h"

#define TGT 0x0010u
#define BLOB_ID 0x0123456789abcdefull
#define NTIMERS 8u
#define RETRY_US 1000000u
#define CONFIRM_US 20000000u

static const uint8_t fw_old[] = {1, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t fw_new[] = {2, 0, 0, 0, 0, 0, 0, 0};
static const uint8_t metadata[] = {2, 0, 0, 0, 0, 0, 0, 0};

struct fx {
	struct bo_mesh_port port;
	struct bo_dfu_cli cli;
	uint64_t now;
	bool armed[NTIMERS];
	uint64_t due[NTIMERS];
	uint32_t sent_op[256];
	uint16_t sent_dst[256];
	uint64_t sent_at[256];
	size_t nsent;
	bool many; /* several targets: any destination */
	unsigned done_calls;
	bool success;
};

static int f_send(void *ctx, const struct bo_mesh_tx *tx, uint32_t opcode, const uint8_t *p,
		  size_t len)
{
	struct fx *f = ctx;

	(void)p;
	(void)len;
	if (!f->many)
		assert_int_equal(tx->dst, TGT);
	assert_true(f->nsent < sizeof f->sent_op / sizeof f->sent_op[0]);
	f->sent_dst[f->nsent] = tx->dst;
	f->sent_at[f->nsent] = f->now;
	f->sent_op[f->nsent++] = opcode;
	return 0;
}

static void f_arm(void *ctx, uint32_t id, uint64_t delay)
{
	struct fx *f = ctx;

	assert_true(id < NTIMERS);
	f->armed[id] = true;
	f->due[id] = f->now + delay;
}

static void f_cancel(void *ctx, uint32_t id)
{
	struct fx *f = ctx;

	assert_true(id < NTIMERS);
	f->armed[id] = false;
}

static uint64_t f_now(void *ctx)
{
	return ((struct fx *)ctx)->now;
}

static uint32_t f_random(void *ctx)
{
	(void)ctx;
	return 4;
}

static void cb_done(void *ctx, struct bo_dfu_cli *cli, bool success)
{
	struct fx *f = ctx;

	(void)cli;
	f->done_calls++;
	f->success = success;
}

/* The earliest armed timer fires (false: none armed). */
static bool fire(struct fx *f)
{
	uint32_t id = NTIMERS;

	for (uint32_t i = 0; i < NTIMERS; i++)
		if (f->armed[i] && (id == NTIMERS || f->due[i] < f->due[id]))
			id = i;
	if (id == NTIMERS)
		return false;
	f->armed[id] = false;
	if (f->due[id] > f->now)
		f->now = f->due[id];
	assert_int_equal(bo_dfu_cli_timer(&f->cli, id), 1);
	return true;
}

static uint32_t last_op(const struct fx *f)
{
	assert_true(f->nsent > 0);
	return f->sent_op[f->nsent - 1];
}

static void rx(struct fx *f, uint32_t op, const uint8_t *buf, int len)
{
	struct bo_mesh_rx r = {.src = TGT, .dst = 0x0001, .app_idx = 0, .ttl = 5};

	assert_true(len >= 0);
	assert_int_equal(bo_dfu_cli_handle(&f->cli, &r, op, buf, (size_t)len), 1);
}

static void rx_info(struct fx *f, const uint8_t *fwid)
{
	struct bo_dfu_img_entry e = {fwid, sizeof fw_new, NULL, 0};
	struct bo_dfu_info_status m = {.count = 1, .first = 0, .imgs = &e, .n_imgs = 1};
	uint8_t buf[64];

	rx(f, BO_OP_DFU_INFO_STATUS, buf, bo_dfu_info_status_encode(&m, buf, sizeof buf));
}

static void rx_update(struct fx *f, enum bo_dfu_status st, enum bo_dfu_phase ph)
{
	struct bo_dfu_update_status m = {.status = (uint8_t)st, .phase = (uint8_t)ph, .ttl = 5,
					 .timeout_base = 2, .blob_id = BLOB_ID};
	uint8_t buf[32];

	rx(f, BO_OP_DFU_UPDATE_STATUS, buf, bo_dfu_update_status_encode(&m, buf, sizeof buf));
}

static void rx_metadata_ok(struct fx *f)
{
	struct bo_dfu_metadata_status m = {BO_DFU_SUCCESS, BO_DFU_EFFECT_NONE, 0};
	uint8_t buf[8];

	rx(f, BO_OP_DFU_METADATA_STATUS, buf, bo_dfu_metadata_status_encode(&m, buf, sizeof buf));
}

/* A client updating one Target with apply; the Target's Information Status shows `running`.
 */
static struct fx *fx_start(const uint8_t *running)
{
	struct fx *f = test_calloc(1, sizeof *f);
	struct bo_dfu_cli_config cfg;
	struct bo_dfu_cli_update upd;
	uint16_t addr = TGT;

	assert_non_null(f);
	f->port = (struct bo_mesh_port){f, 0x0001, f_send, f_arm, f_cancel, f_now, f_random};
	f->now = 1000;
	memset(&cfg, 0, sizeof cfg);
	cfg.mesh = &f->port;
	cfg.timer_base = 0;
	cfg.blob.mesh = &f->port;
	cfg.blob.timer_base = 1;
	cfg.cb = (struct bo_dfu_cli_cb){.ctx = f, .done = cb_done};
	bo_dfu_cli_init(&f->cli, &cfg);
	memset(&upd, 0, sizeof upd);
	upd.blob_id = BLOB_ID;
	upd.size = 1000;
	upd.metadata = metadata;
	upd.metadata_len = sizeof metadata;
	upd.fwid = fw_new;
	upd.fwid_len = sizeof fw_new;
	upd.ttl = 5;
	upd.timeout_base = 2;
	upd.group = BO_MESH_ADDR_UNASSIGNED;
	upd.info_get = true;
	upd.apply = true;
	upd.retry_us = RETRY_US;
	upd.confirm_timeout_us = CONFIRM_US;
	assert_int_equal(bo_dfu_cli_send(&f->cli, &upd, &addr, 1), 0);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_INFO);
	assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
	rx_info(f, running);
	return f;
}

/* From INFO (old FWID) to an Apply sent: the Target holds the image verified already (its
 * Start answer VERIFY_OK: no BLOB transfer). */
static struct fx *fx_to_apply_from(struct fx *f)
{
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_CHECK);
	assert_int_equal(last_op(f), BO_OP_DFU_METADATA_CHECK);
	rx_metadata_ok(f);
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_START);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_REFRESH);
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_APPLY);
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_APPLY);
	return f;
}

static struct fx *fx_to_apply(void)
{
	return fx_to_apply_from(fx_start(fw_old));
}

static size_t count_sent(const struct fx *f, uint32_t op)
{
	size_t k = 0;

	for (size_t i = 0; i < f->nsent; i++)
		k += f->sent_op[i] == op;
	return k;
}

/* The Apply's answer is lost, a late answer to the Update Get (SUCCESS, VERIFY_OK) comes
 * instead: not a verdict; the retried Apply finds the Target IDLE (WRONG_PHASE): CONFIRM. */
static struct fx *fx_apply_lost_then_idle(void)
{
	struct fx *f = fx_to_apply();

	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK); /* late, for the Get */
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_APPLY);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_PENDING);
	assert_true(fire(f));
	assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_APPLY), 2);
	rx_update(f, BO_DFU_ERR_WRONG_PHASE, BO_DFU_PHASE_IDLE);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_CONFIRM);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_PENDING);
	assert_true(fire(f)); /* the first Information Get */
	assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
	return f;
}

/* Run the timers out: the client ends. */
static void run_out(struct fx *f)
{
	for (unsigned i = 0; i < 1000 && f->done_calls == 0; i++)
		assert_true(fire(f));
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_DONE);
}

/* The Target answered the new FWID: the client asks its Update phase at once; IDLE
 * (applied) -> APPLIED. */
static void expect_applied_on_idle(struct fx *f)
{
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	assert_int_equal(f->done_calls, 0);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_PENDING);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE);
}

static void test_apply_lost_runs_new(void **state)
{
	struct fx *f = fx_apply_lost_then_idle();

	(void)state;
	rx_info(f, fw_new);
	expect_applied_on_idle(f);
	assert_int_equal(f->done_calls, 1);
	assert_true(f->success);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLIED);
	test_free(f);
}

static void test_apply_lost_runs_old(void **state)
{
	struct fx *f = fx_apply_lost_then_idle();

	(void)state;
	rx_info(f, fw_old); /* it left VERIFY_OK after our Apply, still the old image */
	run_out(f);
	assert_false(f->success);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLY_FAILED);
	assert_true(f->now >= 1000 + CONFIRM_US);
	test_free(f);
}

static void test_apply_lost_silent(void **state)
{
	struct fx *f = fx_apply_lost_then_idle();

	(void)state;
	run_out(f);
	assert_false(f->success);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_LOST);
	assert_true(count_sent(f, BO_OP_DFU_INFO_GET) > 2); /* asked again and again */
	test_free(f);
}

/* No answer to any Apply: its firmware decides too; running the old one is no proof that
 * it refused (LOST, retried), running the new one is APPLIED. */
static void test_apply_unanswered(void **state)
{
	for (int runs_new = 0; runs_new < 2; runs_new++) {
		struct fx *f = fx_to_apply();

		(void)state;
		while (bo_dfu_cli_state(&f->cli) == BO_DFU_CLI_APPLY)
			assert_true(fire(f));
		assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_APPLY), BO_DFU_CLI_RETRIES + 1);
		assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_CONFIRM);
		assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_PENDING);
		assert_true(fire(f));
		rx_info(f, runs_new ? fw_new : fw_old);
		if (runs_new)
			expect_applied_on_idle(f);
		else
			run_out(f);
		assert_int_equal(f->done_calls, 1);
		assert_int_equal(f->cli.targets[0].result,
				 runs_new ? BO_DFU_CLI_APPLIED : BO_DFU_CLI_LOST);
		test_free(f);
	}
}

/* The Apply taken (APPLYING), the Target still runs the old image at the deadline: it
 * reverted (or its bootloader refused the image). */
static void test_apply_taken_reverted(void **state)
{
	struct fx *f = fx_to_apply();

	(void)state;
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_CONFIRM);
	assert_true(fire(f));
	rx_info(f, fw_old);
	run_out(f);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLY_FAILED);
	test_free(f);
}

/* The Apply taken (APPLYING), the first Information Get answers the new FWID. */
static struct fx *fx_runs_new_applying(void)
{
	struct fx *f = fx_to_apply();

	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_CONFIRM);
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
	rx_info(f, fw_new);
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET); /* at once */
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
	assert_int_equal(f->done_calls, 0);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_PENDING);
	return f;
}

/* New FWID in APPLYING, polled (Update Get) until it reports IDLE: APPLIED. */
static void test_runs_new_applying_then_idle(void **state)
{
	struct fx *f = fx_runs_new_applying();
	size_t gets;

	(void)state;
	for (int i = 0; i < 3; i++) {
		assert_true(fire(f));
		assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
		rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
		assert_int_equal(f->done_calls, 0);
	}
	gets = count_sent(f, BO_OP_DFU_INFO_GET);
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE);
	assert_int_equal(f->done_calls, 1);
	assert_true(f->success);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLIED);
	assert_int_equal(count_sent(f, BO_OP_DFU_INFO_GET), gets);
	assert_true(f->now < 1000 + CONFIRM_US);
	test_free(f);
}

/* New FWID in APPLYING, then it reboots (silent), reverts and verifies its slot again: the
 * Update Get finds VERIFY_OK, the client asks its firmware again: the old FWID. At the
 * deadline: APPLY_FAILED (the Initiator's REVERTED). */
static void test_runs_new_applying_then_reverted(void **state)
{
	struct fx *f = fx_runs_new_applying();

	(void)state;
	assert_true(fire(f)); /* rebooting: unanswered */
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK);
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
	rx_info(f, fw_old);
	assert_int_equal(f->done_calls, 0);
	while (f->done_calls == 0) {
		assert_true(fire(f));
		if (f->done_calls == 0) {
			assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
			rx_info(f, fw_old);
		}
	}
	assert_false(f->success);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLY_FAILED);
	assert_true(f->now >= 1000 + CONFIRM_US);
	test_free(f);
}

/* New FWID, APPLYING at every poll to the deadline: it never confirmed itself (a bad
 * image): APPLY_FAILED. */
static void test_runs_new_stuck_applying(void **state)
{
	struct fx *f = fx_runs_new_applying();
	size_t gets = count_sent(f, BO_OP_DFU_UPDATE_GET);

	(void)state;
	while (f->done_calls == 0) {
		assert_true(fire(f));
		if (f->done_calls == 0) {
			assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
			rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
		}
	}
	assert_false(f->success);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLY_FAILED);
	assert_true(f->now >= 1000 + CONFIRM_US);
	/* polled with the backoff: a few more, not one per second */
	assert_true(count_sent(f, BO_OP_DFU_UPDATE_GET) > gets + 2);
	assert_true(count_sent(f, BO_OP_DFU_UPDATE_GET) < gets + CONFIRM_US / 1000000u);
	test_free(f);
}

/* New FWID, then no Update Status at all: no verdict (LOST, retried), never APPLY_FAILED;
 * errors (late answers to an Apply) do not count either. */
static void test_runs_new_no_update_status(void **state)
{
	struct fx *f = fx_to_apply();

	(void)state;
	rx_update(f, BO_DFU_ERR_WRONG_PHASE, BO_DFU_PHASE_IDLE);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_CONFIRM);
	assert_true(fire(f));
	rx_info(f, fw_new);
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	rx_update(f, BO_DFU_ERR_WRONG_PHASE, BO_DFU_PHASE_IDLE); /* late, for an Apply */
	assert_int_equal(f->done_calls, 0);
	run_out(f);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_LOST);
	test_free(f);
}

/* A Target already running the new FWID when the update starts (a retried or resumed
 * distribution): not APPLIED from its FWID alone. Asked Update Get at once: IDLE -> APPLIED,
 * nothing sent to it after that. */
static void test_already_running_new(void **state)
{
	struct fx *f = fx_start(fw_new);

	(void)state;
	assert_int_equal(f->done_calls, 0);
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_PENDING);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE);
	assert_int_equal(f->done_calls, 1);
	assert_true(f->success);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLIED);
	assert_int_equal(f->nsent, 2);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_DONE);
	for (unsigned i = 0; i < 10 && fire(f); i++)
		;
	assert_int_equal(f->nsent, 2);
	test_free(f);
}

/* Running the new FWID but still APPLYING this update (it has not confirmed the image: the
 * Distributor lost power after the Apply): no Start, no transfer; straight to CONFIRM, where
 * a never-confirming image ends APPLY_FAILED and one that leaves APPLYING ends APPLIED. */
static void test_already_running_new_applying(void **state)
{
	for (int confirms = 0; confirms < 2; confirms++) {
		struct fx *f = fx_start(fw_new);

		(void)state;
		rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
		assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_CONFIRM);
		assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_START), 0);
		assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_APPLY), 0);
		if (confirms) {
			assert_true(fire(f));
			assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
			rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE);
			assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLIED);
		} else {
			while (f->done_calls == 0 && fire(f))
				if (last_op(f) == BO_OP_DFU_UPDATE_GET)
					rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
			assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLY_FAILED);
		}
		test_free(f);
	}
}

/* A Target silent to Information Get (it is applying: Zephyr's server does not answer then)
 * is probed with Update Get after the last Information Get: APPLYING this BLOB ID ->
 * CONFIRM. There (probed every other round), IDLE alone is not APPLIED: the new FWID must
 * be seen first. */
static void test_silent_info_applying_probed(void **state)
{
	struct fx *f = test_calloc(1, sizeof *f);
	struct bo_dfu_cli_config cfg;
	struct bo_dfu_cli_update upd;
	uint16_t addr = TGT;

	(void)state;
	assert_non_null(f);
	f->port = (struct bo_mesh_port){f, 0x0001, f_send, f_arm, f_cancel, f_now, f_random};
	f->now = 1000;
	memset(&cfg, 0, sizeof cfg);
	cfg.mesh = &f->port;
	cfg.blob.mesh = &f->port;
	cfg.blob.timer_base = 1;
	cfg.cb = (struct bo_dfu_cli_cb){.ctx = f, .done = cb_done};
	bo_dfu_cli_init(&f->cli, &cfg);
	memset(&upd, 0, sizeof upd);
	upd.blob_id = BLOB_ID;
	upd.size = 1000;
	upd.metadata = metadata;
	upd.metadata_len = sizeof metadata;
	upd.fwid = fw_new;
	upd.fwid_len = sizeof fw_new;
	upd.ttl = 5;
	upd.timeout_base = 2;
	upd.info_get = true;
	upd.apply = true;
	upd.retry_us = RETRY_US;
	upd.confirm_timeout_us = CONFIRM_US;
	assert_int_equal(bo_dfu_cli_send(&f->cli, &upd, &addr, 1), 0);
	/* no answer to every Information Get: one more round probes */
	for (unsigned i = 0; i < BO_DFU_CLI_RETRIES; i++) {
		assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
		assert_true(fire(f));
	}
	assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_CONFIRM);
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
	assert_true(fire(f)); /* silent again: probed */
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE);
	assert_int_equal(f->done_calls, 0); /* not from the phase alone */
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
	rx_info(f, fw_new);
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_IDLE);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLIED);
	assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_START), 0);
	test_free(f);
}

/* Answered the Apply APPLYING, then power was lost before the upgrade request reached its
 * bootloader: it runs the old FWID and, asked its phase, reports VERIFY_OK (Apply may be
 * repeated). The client sends Update Apply again; then the new FWID and IDLE: APPLIED. */
static struct fx *fx_applying_then_old_verify_ok(void)
{
	struct fx *f = fx_to_apply();

	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_CONFIRM);
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
	rx_info(f, fw_old);
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET); /* its phase, at once */
	return f;
}

static void test_applying_old_verify_ok_reapplied(void **state)
{
	struct fx *f = fx_applying_then_old_verify_ok();

	(void)state;
	assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_APPLY), 1);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK);
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_APPLY); /* again, at once */
	assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_APPLY), 2);
	assert_int_equal(f->done_calls, 0);
	/* unanswered: sent again next round */
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_APPLY);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK); /* late, for the Get: ignored */
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_APPLY);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
	rx_info(f, fw_new);
	expect_applied_on_idle(f);
	assert_int_equal(f->done_calls, 1);
	assert_true(f->success);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLIED);
	assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_APPLY), 4);
	test_free(f);
}

/* Asked its phase after the old FWID: APPLY_FAIL (VERIFY_FAIL on the wire, dfu_srv.h): its
 * bootloader tried the image and reverted it: APPLY_FAILED at once, not at the deadline,
 * and no Apply again. */
static void test_applying_old_apply_fail(void **state)
{
	struct fx *f = fx_applying_then_old_verify_ok();

	(void)state;
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_FAIL);
	assert_int_equal(f->done_calls, 1);
	assert_false(f->success);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLY_FAILED);
	assert_int_equal(f->cli.targets[0].phase, BO_DFU_PHASE_APPLY_FAIL);
	assert_true(f->now < 1000 + CONFIRM_US / 2);
	assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_APPLY), 1);
	test_free(f);
}

/* New FWID in APPLYING, then (reverted) APPLY_FAIL to the Update Get: APPLY_FAILED at once. */
static void test_runs_new_then_apply_fail(void **state)
{
	struct fx *f = fx_to_apply();

	(void)state;
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
	assert_true(fire(f));
	rx_info(f, fw_new);
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
	assert_true(fire(f));
	assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_FAIL);
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLY_FAILED);
	assert_true(f->now < 1000 + CONFIRM_US / 2);
	test_free(f);
}

/* It ran the new FWID, then the old one and VERIFY_OK (reverted, the server not told): it
 * tried the image, no Apply again: APPLY_FAILED at the deadline, as before. */
static void test_runs_new_then_old_verify_ok_no_reapply(void **state)
{
	struct fx *f = fx_to_apply();

	(void)state;
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
	assert_true(fire(f));
	rx_info(f, fw_new);
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK);
	while (f->done_calls == 0) {
		assert_true(fire(f));
		if (f->done_calls == 0) {
			assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
			rx_info(f, fw_old);
			assert_int_equal(last_op(f), BO_OP_DFU_UPDATE_GET);
			rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK);
		}
	}
	assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_APPLY), 1);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLY_FAILED);
	assert_true(f->now >= 1000 + CONFIRM_US);
	test_free(f);
}

/* A round of unicast requests to many targets is spread over the retry interval (at most
 * BO_DFU_CLI_SPREAD_MAX_US apart), not sent back to back: over a large all-relay mesh their
 * answers drowned each other and targets were lost after their retries (issue 15). Ten
 * silent targets, a 10 s retry interval: Information Gets 1 s apart, every target asked once
 * a round, the next round a retry interval after the round's last request. */
static void test_round_spread(void **state)
{
	enum { N = 10 };
	struct fx *f = test_calloc(1, sizeof *f);
	struct bo_dfu_cli_config cfg;
	struct bo_dfu_cli_update upd;
	uint16_t addrs[N];

	(void)state;
	assert_non_null(f);
	f->many = true;
	f->port = (struct bo_mesh_port){f, 0x0001, f_send, f_arm, f_cancel, f_now, f_random};
	f->now = 1000;
	memset(&cfg, 0, sizeof cfg);
	cfg.mesh = &f->port;
	cfg.blob.mesh = &f->port;
	cfg.blob.timer_base = 1;
	cfg.cb = (struct bo_dfu_cli_cb){.ctx = f, .done = cb_done};
	bo_dfu_cli_init(&f->cli, &cfg);
	memset(&upd, 0, sizeof upd);
	upd.blob_id = BLOB_ID;
	upd.size = 1000;
	upd.fwid = fw_new;
	upd.fwid_len = sizeof fw_new;
	upd.ttl = 5;
	upd.timeout_base = 2;
	upd.group = BO_MESH_ADDR_UNASSIGNED;
	upd.info_get = true;
	upd.retry_us = 10 * RETRY_US;
	for (unsigned i = 0; i < N; i++)
		addrs[i] = (uint16_t)(TGT + i);
	assert_int_equal(bo_dfu_cli_send(&f->cli, &upd, addrs, N), 0);
	while (f->nsent < 2 * N && fire(f))
		;
	assert_true(f->nsent >= 2 * N);
	for (size_t i = 0; i < 2 * N; i++) {
		assert_int_equal(f->sent_op[i], BO_OP_DFU_INFO_GET);
		assert_int_equal(f->sent_dst[i], TGT + i % N);
		if (i % N)
			assert_true(f->sent_at[i] - f->sent_at[i - 1] >= BO_DFU_CLI_SPREAD_MAX_US);
	}
	assert_true(f->sent_at[N] - f->sent_at[N - 1] >= 10 * RETRY_US);
	test_free(f);
}

/* The old FWID and VERIFY_OK after every Apply: at most BO_DFU_CLI_REAPPLY_MAX Applies
 * again, then APPLY_FAILED at the deadline (of the last re-apply). */
static void test_reapply_limit(void **state)
{
	struct fx *f = fx_applying_then_old_verify_ok();
	uint64_t t_last = 0;

	(void)state;
	rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK);
	for (unsigned i = 0; i < 1000 && f->done_calls == 0; i++) {
		size_t before = f->nsent;
		uint32_t op = last_op(f);

		/* answer the last request (once); nothing new sent: the next timer */
		if (op == BO_OP_DFU_UPDATE_APPLY) {
			t_last = f->now;
			rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_APPLYING);
		} else if (op == BO_OP_DFU_INFO_GET) {
			rx_info(f, fw_old);
		} else if (op == BO_OP_DFU_UPDATE_GET) {
			rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK);
		}
		if (f->done_calls == 0 && f->nsent == before)
			assert_true(fire(f));
	}
	assert_int_equal(f->done_calls, 1);
	assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_APPLY), 1 + BO_DFU_CLI_REAPPLY_MAX);
	assert_false(f->success);
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_APPLY_FAILED);
	assert_true(f->now >= t_last + CONFIRM_US);
	test_free(f);
}

/* Without an APPLYING answer (it never took the Apply, as far as the client knows): the
 * old FWID is not asked further, no Apply again: LOST at the deadline (retried). */
static void test_not_applying_old_no_reapply(void **state)
{
	struct fx *f = fx_to_apply();

	(void)state;
	rx_update(f, BO_DFU_ERR_INTERNAL, BO_DFU_PHASE_VERIFY_OK);
	assert_int_equal(bo_dfu_cli_state(&f->cli), BO_DFU_CLI_CONFIRM);
	while (f->done_calls == 0) {
		assert_true(fire(f));
		if (f->done_calls == 0) {
			assert_int_equal(last_op(f), BO_OP_DFU_INFO_GET);
			rx_info(f, fw_old);
			rx_update(f, BO_DFU_SUCCESS, BO_DFU_PHASE_VERIFY_OK);
		}
	}
	assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_APPLY), 1);
	assert_int_equal(count_sent(f, BO_OP_DFU_UPDATE_GET), 1); /* REFRESH's */
	assert_int_equal(f->cli.targets[0].result, BO_DFU_CLI_LOST);
	test_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_apply_lost_runs_new),
		cmocka_unit_test(test_apply_lost_runs_old),
		cmocka_unit_test(test_apply_lost_silent),
		cmocka_unit_test(test_apply_unanswered),
		cmocka_unit_test(test_apply_taken_reverted),
		cmocka_unit_test(test_already_running_new),
		cmocka_unit_test(test_already_running_new_applying),
		cmocka_unit_test(test_silent_info_applying_probed),
		cmocka_unit_test(test_runs_new_applying_then_idle),
		cmocka_unit_test(test_runs_new_applying_then_reverted),
		cmocka_unit_test(test_runs_new_stuck_applying),
		cmocka_unit_test(test_runs_new_no_update_status),
		cmocka_unit_test(test_applying_old_verify_ok_reapplied),
		cmocka_unit_test(test_applying_old_apply_fail),
		cmocka_unit_test(test_runs_new_then_apply_fail),
		cmocka_unit_test(test_runs_new_then_old_verify_ok_no_reapply),
		cmocka_unit_test(test_reapply_limit),
		cmocka_unit_test(test_round_spread),
		cmocka_unit_test(test_not_applying_old_no_reapply),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
