/*
 * core/dfu/distributor.c: the Distributor wiring, dfd_srv's distribution ops on dfu_cli.
 */
#include "core/dfu/distributor.h"

#include <string.h>

#include "core/dfu/timeouts.h"

static uint32_t tid(const struct bo_distributor *d, uint32_t id)
{
	return d->cfg.timer_base + id;
}

/* A stored report that ends the receiver's part in this distribution. */
static bool report_final(const struct bo_dfd_target_entry *e)
{
	switch (e->phase) {
	case BO_DFU_PHASE_APPLY_SUCCESS:
	case BO_DFU_PHASE_VERIFY_FAIL:
	case BO_DFU_PHASE_APPLY_FAIL:
		return true;
	case BO_DFU_PHASE_APPLYING:
		return e->update_status != BO_DFU_SUCCESS; /* lost after apply */
	case BO_DFU_PHASE_IDLE:
		return e->update_status != BO_DFU_SUCCESS; /* rejected */
	default:
		return false;
	}
}

static void note_report(struct bo_distributor *d, const struct bo_dfd_target_entry *e)
{
	if (e->phase == BO_DFU_PHASE_APPLY_SUCCESS) {
		d->any_applied = true;
		d->any_verified = true;
	} else if (e->phase == BO_DFU_PHASE_VERIFY_OK || e->phase == BO_DFU_PHASE_APPLY_FAIL) {
		d->any_verified = true;
	}
}

/* A target lost by this run (it may keep its update: TRANSFER_ACTIVE, VERIFY_OK, ... under
 * this BLOB ID), or refusing our Start because it holds an earlier distribution's update
 * (another BLOB ID: VERIFY_OK / VERIFY_FAIL answer WRONG_PHASE, TRANSFER_ACTIVE / VERIFY
 * BLOB_XFER_BUSY): Update Cancel (unacknowledged here; its status is not awaited) brings it
 * back to IDLE so that the next distribution (the Initiator's retry, another BLOB ID) is
 * accepted. */
static void cancel_stale(struct bo_distributor *d, uint16_t addr)
{
	const struct bo_mesh_port *m = d->cfg.dfd.mesh;
	struct bo_mesh_tx tx = {
		.dst = addr, .app_idx = d->dfd.params.app_idx, .ttl = d->dfd.params.ttl};

	(void)m->send(m->ctx, &tx, BO_OP_DFU_UPDATE_CANCEL, NULL, 0);
}

static void report(struct bo_distributor *d, const struct bo_dfu_cli_target *t)
{
	struct bo_dfd_target_entry e = {.addr = t->addr};
	uint8_t blob = BO_BLOB_SUCCESS;

	for (uint16_t i = 0; i < d->cli.blob.ntargets; i++)
		if (d->cli.blob.targets[i].addr == t->addr && d->cli.blob.targets[i].status <= 10)
			blob = d->cli.blob.targets[i].status;
	e.update_status = BO_DFU_SUCCESS;
	e.blob_status = BO_BLOB_SUCCESS;
	switch ((enum bo_dfu_cli_result)t->result) {
	case BO_DFU_CLI_APPLIED:
		e.phase = BO_DFU_PHASE_APPLY_SUCCESS;
		e.progress = 100;
		break;
	case BO_DFU_CLI_VERIFIED:
		e.phase = BO_DFU_PHASE_VERIFY_OK;
		e.progress = 100;
		break;
	case BO_DFU_CLI_VERIFY_FAILED:
		e.phase = BO_DFU_PHASE_VERIFY_FAIL;
		e.progress = 100;
		break;
	case BO_DFU_CLI_REJECTED:
		e.phase = BO_DFU_PHASE_IDLE;
		e.update_status = t->status ? t->status : BO_DFU_ERR_INTERNAL;
		if (t->status == BO_DFU_ERR_WRONG_PHASE || t->status == BO_DFU_ERR_BLOB_XFER_BUSY)
			cancel_stale(d, t->addr);
		break;
	case BO_DFU_CLI_APPLY_FAILED:
		e.phase = BO_DFU_PHASE_APPLY_FAIL;
		e.update_status = t->status ? t->status : BO_DFU_ERR_INTERNAL;
		e.progress = 100;
		break;
	case BO_DFU_CLI_CANCELLED:
		e.phase = BO_DFU_PHASE_TRANSFER_CANCELED;
		break;
	case BO_DFU_CLI_LOST:
	default:
		e.phase = t->phase == BO_DFU_PHASE_APPLYING ? BO_DFU_PHASE_APPLYING
							      : BO_DFU_PHASE_UNKNOWN;
		e.update_status = BO_DFU_ERR_INTERNAL;
		e.blob_status = blob;
		if (e.phase != BO_DFU_PHASE_APPLYING)
			cancel_stale(d, t->addr); /* the retry comes with another BLOB ID */
		break;
	}
	if (e.update_status > BO_DFU_ERR_BLOB_XFER_BUSY)
		e.update_status = BO_DFU_ERR_INTERNAL;
	note_report(d, &e);
	(void)bo_dfd_srv_receiver_report(&d->dfd, e.addr, e.phase, e.update_status,
					 e.blob_status, e.progress);
}

/* ---- update client callbacks ---------------------------------------------------------- */

static int cli_read(void *ctx, uint32_t off, uint8_t *buf, uint32_t len)
{
	struct bo_distributor *d = ctx;

	if (off > d->image.size || len > d->image.size - off)
		return -1;
	return bo_area_read(&d->image.area, off, buf, len);
}

static void cli_target_done(void *ctx, struct bo_dfu_cli *cli, const struct bo_dfu_cli_target *t)
{
	struct bo_distributor *d = ctx;

	(void)cli;
	report(d, t);
}

static void end_run(struct bo_distributor *d)
{
	uint8_t run = d->run;

	d->run = BO_DISTRIBUTOR_RUN_NONE;
	if (run == BO_DISTRIBUTOR_RUN_TRANSFER)
		bo_dfd_srv_transfer_end(&d->dfd, d->any_verified);
	else if (run == BO_DISTRIBUTOR_RUN_APPLY)
		bo_dfd_srv_apply_end(&d->dfd, d->any_applied);
}

static void cli_done(void *ctx, struct bo_dfu_cli *cli, bool success)
{
	struct bo_distributor *d = ctx;

	(void)cli;
	(void)success; /* any_verified / any_applied, with the reports kept from before */
	if (d->run == BO_DISTRIBUTOR_RUN_CANCEL)
		return; /* ops_cancel ends it */
	end_run(d);
}

/* ---- distribution ops ----------------------------------------------------------------- */

/* A fresh client, its timers cancelled: no message goes out. Every run starts from one (a
 * client that finished can leave its BLOB client busy, e.g. every target lost mid-step,
 * and would refuse the next BLOB transfer). */
static void reset_client(struct bo_distributor *d)
{
	const struct bo_mesh_port *m = d->cfg.dfd.mesh;
	struct bo_dfu_cli_config cc;

	m->timer_cancel(m->ctx, tid(d, BO_DISTRIBUTOR_TIMER_CLI_STEP));
	for (uint32_t i = 0; i < BO_BLOB_CLI_TIMERS; i++)
		m->timer_cancel(m->ctx, tid(d, BO_DISTRIBUTOR_TIMER_CLI_BLOB + i));
	cc = d->cli.cfg;
	bo_dfu_cli_init(&d->cli, &cc);
}

/* Send to the receivers without a final result (verified_only: those in VERIFY_OK);
 * 0 when sent, 1 when nobody to send to, -1 when the client refused. */
static int send_update(struct bo_distributor *d, bool apply, bool verified_only)
{
	const struct bo_dfd_params *p = &d->dfd.params;
	struct bo_dfu_cli_update upd;
	size_t n = 0;

	for (uint16_t i = 0; i < d->receiver_count; i++) {
		const struct bo_dfd_target_entry *e = &d->dfd.receivers[i];

		if (d->final[i])
			continue;
		if (verified_only && e->phase != BO_DFU_PHASE_VERIFY_OK)
			continue;
		d->addrs[n] = e->addr;
		d->idxs[n] = e->img_idx;
		n++;
	}
	if (n == 0)
		return 1;
	reset_client(d);
	memset(&upd, 0, sizeof(upd));
	upd.blob_id = p->blob_id;
	upd.size = d->image.size;
	upd.img_idxs = d->idxs;
	upd.metadata = d->image.metadata;
	upd.metadata_len = d->image.metadata_len;
	upd.fwid = d->image.fwid;
	upd.fwid_len = d->image.fwid_len;
	upd.ttl = p->ttl;
	upd.timeout_base = p->timeout_base;
	upd.app_idx = p->app_idx;
	upd.group = p->group;
	upd.info_get = true;
	upd.apply = apply;
	upd.retry_us = d->cfg.retry_us; /* 0: the client's, from timeout_base and TTL */
	upd.confirm_timeout_us = d->cfg.confirm_timeout_us;
	upd.blob.mode = p->mode ? p->mode : BO_BLOB_MODE_PUSH;
	upd.blob.block_size_log = d->cfg.block_size_log;
	upd.blob.chunk_size = d->cfg.chunk_size;
	upd.blob.mtu = d->cfg.mtu;
	upd.blob.chunk_interval_us = d->cfg.chunk_interval_us;
	return bo_dfu_cli_send(&d->cli, &upd, d->addrs, n) == 0 ? 0 : -1;
}

static int ops_start(void *ctx, const struct bo_dfd_target_entry *receivers, size_t n,
		     const struct bo_dfd_params *params, const struct bo_dfd_image *image,
		     bool resume)
{
	struct bo_distributor *d = ctx;
	const struct bo_mesh_port *m = d->cfg.dfd.mesh;
	int r;

	(void)params; /* d->dfd.params */
	if (n > BO_DFD_SRV_RECEIVERS_MAX || receivers != d->dfd.receivers)
		return -1;
	d->image = *image;
	d->receiver_count = (uint16_t)n;
	d->any_verified = false;
	d->any_applied = false;
	for (size_t i = 0; i < n; i++) {
		d->final[i] = (uint8_t)(resume && report_final(&receivers[i]));
		if (d->final[i])
			note_report(d, &receivers[i]);
	}
	d->applied = d->dfd.params.policy == BO_DFD_POLICY_VERIFY_AND_APPLY;
	d->run = BO_DISTRIBUTOR_RUN_TRANSFER;
	r = send_update(d, d->applied, false);
	if (r < 0) {
		d->run = BO_DISTRIBUTOR_RUN_NONE;
		return -1;
	}
	if (r > 0) /* everyone has a final result: end from the timer, not inside start */
		m->timer_arm(m->ctx, tid(d, BO_DISTRIBUTOR_TIMER_KICK), 0);
	return 0;
}

static int ops_cancel(void *ctx)
{
	struct bo_distributor *d = ctx;
	const struct bo_mesh_port *m = d->cfg.dfd.mesh;

	m->timer_cancel(m->ctx, tid(d, BO_DISTRIBUTOR_TIMER_KICK));
	d->run = BO_DISTRIBUTOR_RUN_CANCEL;
	(void)bo_dfu_cli_cancel(&d->cli); /* -1: nothing runs */
	d->run = BO_DISTRIBUTOR_RUN_NONE;
	bo_dfd_srv_cancel_end(&d->dfd);
	return 0;
}

/* Suspend: the client stops where it is, as if its RAM were lost (no message to the
 * targets: their BLOB servers time out to SUSPENDED and keep their stored blocks). The
 * server's resume (ops.resume NULL) calls ops.start(resume) with the same BLOB ID. */
static int ops_suspend(void *ctx)
{
	struct bo_distributor *d = ctx;
	const struct bo_mesh_port *m = d->cfg.dfd.mesh;

	if (d->run != BO_DISTRIBUTOR_RUN_TRANSFER || d->cli.state == BO_DFU_CLI_APPLY ||
	    d->cli.state == BO_DFU_CLI_CONFIRM || d->cli.state == BO_DFU_CLI_DONE)
		return -1;
	m->timer_cancel(m->ctx, tid(d, BO_DISTRIBUTOR_TIMER_KICK));
	reset_client(d);
	d->run = BO_DISTRIBUTOR_RUN_NONE;
	return 0;
}

static int ops_apply(void *ctx)
{
	struct bo_distributor *d = ctx;
	int r;

	if (d->applied) {
		/* the transfer run applied and confirmed already */
		bo_dfd_srv_apply_end(&d->dfd, d->any_applied);
		return 0;
	}
	d->any_applied = false;
	for (uint16_t i = 0; i < d->receiver_count; i++)
		if (d->final[i] && d->dfd.receivers[i].phase == BO_DFU_PHASE_APPLY_SUCCESS)
			d->any_applied = true;
	d->applied = true;
	d->run = BO_DISTRIBUTOR_RUN_APPLY;
	r = send_update(d, true, true);
	if (r < 0) {
		d->run = BO_DISTRIBUTOR_RUN_NONE;
		return -1;
	}
	if (r > 0) {
		d->run = BO_DISTRIBUTOR_RUN_NONE;
		bo_dfd_srv_apply_end(&d->dfd, d->any_applied);
	}
	return 0;
}

/* ---- entry points --------------------------------------------------------------------- */

void bo_distributor_init(struct bo_distributor *d, const struct bo_distributor_config *cfg)
{
	struct bo_dfd_srv_config dc;
	struct bo_dfu_cli_config cc;

	memset(d, 0, sizeof(*d));
	d->cfg = *cfg;
	dc = cfg->dfd;
	dc.blob.timer_base = cfg->timer_base + BO_DISTRIBUTOR_TIMER_DFD_BLOB;
	dc.ops = (struct bo_dfd_distributor_ops){
		.ctx = d, .start = ops_start, .suspend = ops_suspend, .resume = NULL,
		.cancel = ops_cancel, .apply = ops_apply,
	};
	d->cfg.dfd = dc;
	memset(&cc, 0, sizeof(cc));
	cc.mesh = cfg->dfd.mesh;
	cc.timer_base = cfg->timer_base + BO_DISTRIBUTOR_TIMER_CLI_STEP;
	cc.blob.mesh = cfg->dfd.mesh;
	cc.blob.timer_base = cfg->timer_base + BO_DISTRIBUTOR_TIMER_CLI_BLOB;
	cc.cb = (struct bo_dfu_cli_cb){
		.ctx = d, .read = cli_read, .target_done = cli_target_done, .done = cli_done,
	};
	bo_dfu_cli_init(&d->cli, &cc);
	bo_dfd_srv_init(&d->dfd, &dc);
}

enum bo_dfd_phase bo_distributor_restore(struct bo_distributor *d)
{
	return bo_dfd_srv_restore(&d->dfd);
}

int bo_distributor_handle(struct bo_distributor *d, const struct bo_mesh_rx *rx,
			  uint32_t opcode, const uint8_t *payload, size_t len)
{
	if (bo_dfd_srv_handle(&d->dfd, rx, opcode, payload, len))
		return 1;
	return bo_dfu_cli_handle(&d->cli, rx, opcode, payload, len);
}

int bo_distributor_timer(struct bo_distributor *d, uint32_t timer_id)
{
	if (timer_id == tid(d, BO_DISTRIBUTOR_TIMER_KICK)) {
		if (d->run == BO_DISTRIBUTOR_RUN_TRANSFER)
			end_run(d);
		return 1;
	}
	if (bo_dfd_srv_timer(&d->dfd, timer_id))
		return 1;
	return bo_dfu_cli_timer(&d->cli, timer_id);
}
