/*
 * core/dfu/dfu_cli.c: Firmware Update Client (see dfu_cli.h).
 */
#include "core/dfu/dfu_cli.h"

#include <string.h>

#include "core/dfu/timeouts.h"

static uint32_t step_timer(const struct bo_dfu_cli *cli)
{
	return cli->cfg.timer_base + BO_DFU_CLI_TIMER_STEP;
}

static uint64_t now(const struct bo_dfu_cli *cli)
{
	return cli->cfg.mesh->now_us(cli->cfg.mesh->ctx);
}

static struct bo_dfu_cli_target *find(struct bo_dfu_cli *cli, uint16_t addr)
{
	for (uint16_t i = 0; i < cli->ntargets; i++)
		if (cli->targets[i].addr == addr)
			return &cli->targets[i];
	return NULL;
}

static bool pending(const struct bo_dfu_cli_target *t)
{
	return t->result == BO_DFU_CLI_PENDING;
}

/* Where t got its result, for a caller that explains it (dfu_cli.h, end_*). */
static void note_end(const struct bo_dfu_cli *cli, struct bo_dfu_cli_target *t)
{
	const struct bo_blob_cli *b = &cli->blob;

	t->end_step = cli->state;
	t->end_tries = t->tries;
	t->end_blob_step = 0;
	t->end_block = 0;
	if (cli->state != BO_DFU_CLI_BLOB)
		return;
	t->end_blob_step = b->state;
	t->end_block = b->block;
	t->end_tries = b->retries > b->rounds ? b->retries : b->rounds;
	for (unsigned i = 0; i < b->ntargets; i++)
		if (b->targets[i].addr == t->addr && b->targets[i].probes > t->end_tries)
			t->end_tries = b->targets[i].probes;
}

static void conclude(struct bo_dfu_cli *cli, struct bo_dfu_cli_target *t,
		     enum bo_dfu_cli_result r)
{
	if (!pending(t))
		return;
	t->result = (uint8_t)r;
	note_end(cli, t);
	if (cli->cfg.cb.target_done)
		cli->cfg.cb.target_done(cli->cfg.cb.ctx, cli, t);
}

static void finish(struct bo_dfu_cli *cli)
{
	bool ok = false;

	cli->cfg.mesh->timer_cancel(cli->cfg.mesh->ctx, step_timer(cli));
	cli->pacing = 0;
	for (uint16_t i = 0; i < cli->ntargets; i++) {
		struct bo_dfu_cli_target *t = &cli->targets[i];

		if (pending(t))
			conclude(cli, t, t->verified ? BO_DFU_CLI_VERIFIED : BO_DFU_CLI_LOST);
		if (t->result == BO_DFU_CLI_APPLIED || t->result == BO_DFU_CLI_VERIFIED)
			ok = true;
	}
	cli->state = BO_DFU_CLI_DONE;
	cli->success = ok;
	if (cli->cfg.cb.done)
		cli->cfg.cb.done(cli->cfg.cb.ctx, cli, ok);
}

/* 0 sent, < 0 refused by the stack. done: the port reports (step timer) when it left. */
static int send_tx(struct bo_dfu_cli *cli, uint16_t dst, uint32_t opcode, const uint8_t *buf,
		   int len, bool done)
{
	struct bo_mesh_tx tx = {0};

	if (len < 0)
		return 0;
	tx.dst = dst;
	tx.app_idx = cli->upd.app_idx;
	tx.ttl = cli->upd.ttl;
	if (done && cli->cfg.mesh->send_done)
		tx.done_timer = BO_MESH_DONE_TIMER(step_timer(cli));
	return cli->cfg.mesh->send(cli->cfg.mesh->ctx, &tx, opcode, buf, (size_t)len) < 0 ? -1 : 0;
}

static void send(struct bo_dfu_cli *cli, uint16_t dst, uint32_t opcode, const uint8_t *buf,
		 int len)
{
	(void)send_tx(cli, dst, opcode, buf, len, false);
}

/* The request of the current step to one target (done: as send_tx). */
static int request(struct bo_dfu_cli *cli, const struct bo_dfu_cli_target *t, bool done)
{
	uint8_t buf[16 + BO_DFU_METADATA_MAXLEN];

	buf[0] = 0; /* the empty messages send none of it */
	if (cli->state == BO_DFU_CLI_CONFIRM && t->reapply)
		/* it did not apply (the request never reached its bootloader): again */
		return send_tx(cli, t->addr, BO_OP_DFU_UPDATE_APPLY, buf, 0, done);
	if ((cli->state == BO_DFU_CLI_CONFIRM && (t->runs_new || !(t->tries & 1u))) ||
	    (cli->state == BO_DFU_CLI_INFO && (t->runs_new || t->tries > BO_DFU_CLI_RETRIES + 1u))) {
		/* it runs the new image: has it left APPLYING (applied)? Or silent to
		 * Information Get (every other round): is it applying? */
		return send_tx(cli, t->addr, BO_OP_DFU_UPDATE_GET, buf, 0, done);
	}
	switch (cli->state) {
	case BO_DFU_CLI_INFO:
	case BO_DFU_CLI_CONFIRM: {
		struct bo_dfu_info_get g = {t->img_idx, 1};

		return send_tx(cli, t->addr, BO_OP_DFU_INFO_GET, buf,
			       bo_dfu_info_get_encode(&g, buf, sizeof(buf)), done);
	}
	case BO_DFU_CLI_CHECK: {
		struct bo_dfu_metadata_check c = {t->img_idx, cli->upd.metadata,
						  cli->upd.metadata_len};

		return send_tx(cli, t->addr, BO_OP_DFU_METADATA_CHECK, buf,
			       bo_dfu_metadata_check_encode(&c, buf, sizeof(buf)), done);
	}
	case BO_DFU_CLI_START: {
		struct bo_dfu_update_start s;

		s.ttl = cli->upd.ttl;
		s.timeout_base = cli->upd.timeout_base;
		s.blob_id = cli->upd.blob_id;
		s.img_idx = t->img_idx;
		s.metadata = cli->upd.metadata;
		s.metadata_len = cli->upd.metadata_len;
		return send_tx(cli, t->addr, BO_OP_DFU_UPDATE_START, buf,
			       bo_dfu_update_start_encode(&s, buf, sizeof(buf)), done);
	}
	case BO_DFU_CLI_REFRESH:
		return send_tx(cli, t->addr, BO_OP_DFU_UPDATE_GET, buf, 0, done);
	case BO_DFU_CLI_APPLY:
		return send_tx(cli, t->addr, BO_OP_DFU_UPDATE_APPLY, buf, 0, done);
	default:
		return 0;
	}
}

static void send_request(struct bo_dfu_cli *cli, const struct bo_dfu_cli_target *t)
{
	(void)request(cli, t, false);
}

static void next_step(struct bo_dfu_cli *cli);

static bool step_done(const struct bo_dfu_cli *cli)
{
	for (uint16_t i = 0; i < cli->ntargets; i++)
		if (pending(&cli->targets[i]) && !cli->targets[i].acked)
			return false;
	return true;
}

/* Whether target t still gets a request in this round; concludes the ones out of tries. */
static bool due(struct bo_dfu_cli *cli, struct bo_dfu_cli_target *t)
{
	if (!pending(t) || t->acked)
		return false;
	/* INFO: one round more, the probe of a target silent to Information Get */
	if (cli->state != BO_DFU_CLI_CONFIRM &&
	    t->tries > BO_DFU_CLI_RETRIES + (cli->state == BO_DFU_CLI_INFO)) {
		if (cli->state == BO_DFU_CLI_APPLY) {
			/* it may have applied (answers lost): ask its firmware in CONFIRM */
			t->acked = 1;
			return false;
		}
		t->status = BO_DFU_ERR_INTERNAL;
		conclude(cli, t, BO_DFU_CLI_LOST);
		return false;
	}
	return true;
}

static bool more_due(struct bo_dfu_cli *cli)
{
	for (uint16_t i = cli->tx_next; i < cli->ntargets; i++)
		if (pending(&cli->targets[i]) && !cli->targets[i].acked)
			return true;
	return false;
}

/* The round's requests are out: wait for the answers (or go on when all are in). */
static void round_out(struct bo_dfu_cli *cli)
{
	uint64_t delay = cli->upd.retry_us;

	cli->pacing = 0;
	if (step_done(cli)) {
		next_step(cli);
		return;
	}
	if (cli->state == BO_DFU_CLI_CONFIRM) {
		delay = cli->backoff;
		if (cli->backoff < BO_DFU_CLI_CONFIRM_BACKOFF_MAX_US)
			cli->backoff *= 2u;
		if (now(cli) + delay > cli->deadline)
			delay = cli->deadline > now(cli) ? cli->deadline - now(cli) : 0;
	}
	cli->cfg.mesh->timer_arm(cli->cfg.mesh->ctx, step_timer(cli), delay);
}

/* The next request of the round (the step timer while pacing). */
static void pace(struct bo_dfu_cli *cli)
{
	while (cli->tx_next < cli->ntargets) {
		struct bo_dfu_cli_target *t = &cli->targets[cli->tx_next];
		bool more;

		if (!due(cli, t)) {
			cli->tx_next++;
			continue;
		}
		if (cli->gap_us && cli->tx_next > 0 && now(cli) < cli->last_tx_us + cli->gap_us) {
			/* spread over the retry interval (dfu_cli.h) */
			cli->cfg.mesh->timer_arm(cli->cfg.mesh->ctx, step_timer(cli),
						 cli->last_tx_us + cli->gap_us - now(cli));
			return;
		}
		cli->tx_next++;
		more = more_due(cli);
		t->tries++;
		cli->last_tx_us = now(cli);
		if (request(cli, t, more) < 0 && cli->busy + 1u < BO_DFU_CLI_BUSY_TRIES) {
			/* refused (no buffer, a segmented send to it in progress): not a try */
			t->tries--;
			cli->tx_next--;
			cli->busy++;
			cli->cfg.mesh->timer_arm(cli->cfg.mesh->ctx, step_timer(cli),
						 BO_DFU_CLI_BUSY_US);
			return;
		}
		cli->busy = 0;
		if (!more)
			break;
		cli->cfg.mesh->timer_arm(cli->cfg.mesh->ctx, step_timer(cli),
					 cli->cfg.mesh->send_done ? BO_DFU_CLI_SEND_WATCHDOG_US
								  : BO_DFU_CLI_STEP_INTERVAL_US);
		return;
	}
	round_out(cli);
}

/* The first round of a step goes to the group when one is set (as Zephyr's client sends
 * its steps): one message instead of one per target. False when it cannot. */
static bool group_round(struct bo_dfu_cli *cli)
{
	struct bo_dfu_cli_target g;
	bool any = false;

	if (!cli->grp_first)
		return false;
	cli->grp_first = 0;
	for (uint16_t i = 0; i < cli->ntargets; i++) {
		if (pending(&cli->targets[i]) && !cli->targets[i].acked) {
			if (cli->targets[i].img_idx != cli->targets[0].img_idx)
				return false; /* the request names one image index */
			if (!any)
				g = cli->targets[i];
			any = true;
		}
	}
	if (!any)
		return false;
	g.addr = cli->upd.group;
	g.tries = 1;
	if (request(cli, &g, false) < 0)
		return false;
	for (uint16_t i = 0; i < cli->ntargets; i++)
		if (pending(&cli->targets[i]) && !cli->targets[i].acked)
			cli->targets[i].tries++;
	round_out(cli);
	return true;
}

/* One round of the current step: the request to every target that has not answered, one
 * after the other (dfu_cli.h); the step's first round to the group. */
static void send_round(struct bo_dfu_cli *cli)
{
	uint32_t due_n = 0;

	for (uint16_t i = 0; i < cli->ntargets; i++)
		due_n += pending(&cli->targets[i]) && !cli->targets[i].acked;
	cli->gap_us = due_n > 1 ? cli->upd.retry_us / due_n : 0;
	if (cli->gap_us > BO_DFU_CLI_SPREAD_MAX_US)
		cli->gap_us = BO_DFU_CLI_SPREAD_MAX_US;
	cli->pacing = 1;
	cli->tx_next = 0;
	cli->busy = 0;
	if (group_round(cli))
		return;
	pace(cli);
}

static void begin(struct bo_dfu_cli *cli, enum bo_dfu_cli_state st)
{
	cli->state = (uint8_t)st;
	for (uint16_t i = 0; i < cli->ntargets; i++) {
		/* a target found applying this update already waits for CONFIRM */
		cli->targets[i].acked = cli->targets[i].confirm_only && st != BO_DFU_CLI_CONFIRM;
		cli->targets[i].tries = 0;
	}
	/* only the queries go to the group: Update Start and Apply would also reach group
	 * members outside this distribution (a retry round's already updated targets) */
	cli->grp_first = bo_mesh_addr_is_group(cli->upd.group) && st != BO_DFU_CLI_START &&
			 st != BO_DFU_CLI_APPLY;
	if (st == BO_DFU_CLI_CONFIRM) {
		cli->pacing = 0;
		cli->backoff = BO_DFU_CLI_CONFIRM_DELAY_US;
		/* at least the client timeout of the update and a paced round to every target
		 * (a hundred targets answering across a busy mesh need more than a minute) */
		{
			uint8_t ttl = cli->upd.ttl == BO_MESH_TTL_DEFAULT ? 7 : cli->upd.ttl;
			uint64_t min = bo_blob_cli_timeout_us(cli->upd.timeout_base, ttl) +
				       (uint64_t)cli->ntargets * BO_DFU_CLI_STEP_INTERVAL_US;

			cli->deadline = now(cli) + (cli->upd.confirm_timeout_us > min
							    ? cli->upd.confirm_timeout_us
							    : min);
		}
		cli->cfg.mesh->timer_arm(cli->cfg.mesh->ctx, step_timer(cli), cli->backoff);
		return;
	}
	send_round(cli);
}

static bool any_pending(const struct bo_dfu_cli *cli)
{
	for (uint16_t i = 0; i < cli->ntargets; i++)
		if (pending(&cli->targets[i]))
			return true;
	return false;
}

static void start_blob(struct bo_dfu_cli *cli)
{
	struct bo_blob_cli_xfer x = cli->upd.blob;
	uint16_t addrs[BO_DFU_CLI_TARGETS_MAX];
	size_t n = 0;

	for (uint16_t i = 0; i < cli->ntargets; i++)
		if (pending(&cli->targets[i]) && !cli->targets[i].has_blob &&
		    !cli->targets[i].confirm_only)
			addrs[n++] = cli->targets[i].addr;
	if (n == 0) { /* every target has the image already */
		cli->state = BO_DFU_CLI_BLOB;
		next_step(cli);
		return;
	}
	x.id = cli->upd.blob_id;
	x.size = cli->upd.size;
	x.group = cli->upd.group;
	x.app_idx = cli->upd.app_idx;
	x.ttl = cli->upd.ttl;
	x.timeout_base = cli->upd.timeout_base;
	cli->state = BO_DFU_CLI_BLOB;
	if (bo_blob_cli_send(&cli->blob, &x, addrs, n) != 0) {
		for (uint16_t i = 0; i < cli->ntargets; i++)
			conclude(cli, &cli->targets[i], BO_DFU_CLI_LOST);
		finish(cli);
	}
}

static void next_step(struct bo_dfu_cli *cli)
{
	cli->cfg.mesh->timer_cancel(cli->cfg.mesh->ctx, step_timer(cli));
	cli->pacing = 0;
	if (!any_pending(cli)) {
		finish(cli);
		return;
	}
	switch (cli->state) {
	case BO_DFU_CLI_INFO:
		begin(cli, BO_DFU_CLI_CHECK);
		break;
	case BO_DFU_CLI_CHECK:
		begin(cli, BO_DFU_CLI_START);
		break;
	case BO_DFU_CLI_START:
		start_blob(cli);
		break;
	case BO_DFU_CLI_BLOB:
		cli->rounds = 0;
		begin(cli, BO_DFU_CLI_REFRESH);
		break;
	case BO_DFU_CLI_REFRESH:
		if (cli->upd.apply)
			begin(cli, BO_DFU_CLI_APPLY);
		else
			finish(cli);
		break;
	case BO_DFU_CLI_APPLY:
		begin(cli, BO_DFU_CLI_CONFIRM);
		break;
	default:
		finish(cli);
		break;
	}
}

/* ---- BLOB client callbacks ------------------------------------------------------------ */

static int blob_read(void *ctx, uint32_t off, uint8_t *buf, uint32_t len)
{
	struct bo_dfu_cli *cli = ctx;

	if (cli->cfg.cb.read)
		return cli->cfg.cb.read(cli->cfg.cb.ctx, off, buf, len);
	return bo_area_read(&cli->cfg.blob.source, off, buf, len);
}

static void blob_lost(void *ctx, struct bo_blob_cli *b, const struct bo_blob_cli_target *bt)
{
	struct bo_dfu_cli *cli = ctx;
	struct bo_dfu_cli_target *t = find(cli, bt->addr);

	(void)b;
	if (t && cli->state == BO_DFU_CLI_BLOB)
		conclude(cli, t, BO_DFU_CLI_LOST);
}

static void blob_suspended(void *ctx, struct bo_blob_cli *b)
{
	struct bo_dfu_cli *cli = ctx;

	(void)b;
	if (cli->state != BO_DFU_CLI_BLOB)
		return;
	for (uint16_t i = 0; i < cli->ntargets; i++)
		conclude(cli, &cli->targets[i], BO_DFU_CLI_LOST);
	finish(cli);
}

static void blob_done(void *ctx, struct bo_blob_cli *b, bool success)
{
	struct bo_dfu_cli *cli = ctx;

	(void)success;
	if (cli->state != BO_DFU_CLI_BLOB)
		return;
	for (uint16_t i = 0; i < b->ntargets; i++) {
		struct bo_dfu_cli_target *t = find(cli, b->targets[i].addr);

		if (t && b->targets[i].state != BO_BLOB_TARGET_DONE)
			conclude(cli, t, BO_DFU_CLI_LOST);
	}
	next_step(cli);
}

/* ---- messages in ---------------------------------------------------------------------- */

static bool new_fwid(const struct bo_dfu_cli *cli, const uint8_t *fwid, size_t len)
{
	return cli->upd.fwid_len > 0 && len == cli->upd.fwid_len &&
	       memcmp(fwid, cli->upd.fwid, len) == 0;
}

static void rx_info_status(struct bo_dfu_cli *cli, struct bo_dfu_cli_target *t,
			   const uint8_t *p, size_t len)
{
	struct bo_dfu_info_status m;
	struct bo_dfu_img_entry e;
	size_t pos = 0;
	int rc;

	if (bo_dfu_info_status_decode(p, len, &m) != BO_DFU_OK || m.first != t->img_idx)
		return;
	rc = bo_dfu_info_status_next(&m, &pos, &e);
	if (rc == 0 && m.count <= t->img_idx) {
		/* the target has no image at that index */
		t->acked = 1;
		if (cli->state == BO_DFU_CLI_INFO) {
			t->status = BO_DFU_ERR_FW_IDX;
			conclude(cli, t, BO_DFU_CLI_REJECTED);
		} else if (cli->state == BO_DFU_CLI_CONFIRM) {
			conclude(cli, t, BO_DFU_CLI_APPLY_FAILED);
		}
		return;
	}
	if (rc != 1 || e.fwid_len > BO_DFU_FWID_MAXLEN)
		return;
	memcpy(t->fwid, e.fwid, e.fwid_len);
	t->fwid_len = (uint8_t)e.fwid_len;
	if (cli->state == BO_DFU_CLI_INFO) {
		/* it runs the new image already (applied in an earlier run, or before a power
		 * cut of the Distributor)? Not enough to call it applied: it may still be
		 * trying the image (APPLYING). Ask its phase first. */
		if (cli->upd.apply && new_fwid(cli, e.fwid, e.fwid_len)) {
			t->runs_new = 1;
			t->seen_new = 1;
			t->tries = 1;
			send_request(cli, t);
			return;
		}
		t->acked = 1;
	} else if (cli->state == BO_DFU_CLI_CONFIRM) {
		t->tries = 0;
		if (new_fwid(cli, e.fwid, e.fwid_len)) {
			/* it runs the new image (so it took the Apply); not enough: it must also
			 * leave APPLYING (applied: it confirmed the image). Ask at once. */
			t->runs_new = 1;
			t->seen_new = 1;
			t->answered = 0;
			t->ask_phase = 0;
			t->applying = 1;
			t->tries++;
			send_request(cli, t);
		} else {
			/* another FWID: not (yet, or no longer: reverted) the new one; keep asking
			 * until the deadline */
			t->answered = 1;
			t->runs_new = 0;
			if (t->applying) {
				/* it took the Apply: did it try the image (APPLY_FAIL) or not
				 * (VERIFY_OK: Apply again)? Ask its phase at once (once per
				 * answer; the rounds ask its firmware) */
				uint8_t b[1] = {0};

				t->ask_phase = 1;
				send(cli, t->addr, BO_OP_DFU_UPDATE_GET, b, 0);
			}
		}
	}
}

static void rx_metadata_status(struct bo_dfu_cli *cli, struct bo_dfu_cli_target *t,
			       const uint8_t *p, size_t len)
{
	struct bo_dfu_metadata_status m;

	if (cli->state != BO_DFU_CLI_CHECK ||
	    bo_dfu_metadata_status_decode(p, len, &m) != BO_DFU_OK ||
	    m.img_idx != t->img_idx)
		return;
	t->status = m.status;
	t->acked = 1;
	if (m.status != BO_DFU_SUCCESS) {
		conclude(cli, t, BO_DFU_CLI_REJECTED);
		return;
	}
	t->effect = m.effect;
}

static void rx_update_status(struct bo_dfu_cli *cli, struct bo_dfu_cli_target *t,
			     const uint8_t *p, size_t len)
{
	struct bo_dfu_update_status m;

	if (bo_dfu_update_status_decode(p, len, &m) != BO_DFU_OK)
		return;
	if (cli->state == BO_DFU_CLI_APPLY && m.status == BO_DFU_SUCCESS &&
	    m.phase != BO_DFU_PHASE_APPLYING)
		return; /* a late answer to an Update Get: Apply answers APPLYING or an error */
	if (cli->state == BO_DFU_CLI_INFO) {
		if (m.status != BO_DFU_SUCCESS)
			return;
		if (m.phase == BO_DFU_PHASE_APPLYING && m.blob_id == cli->upd.blob_id &&
		    cli->upd.apply) {
			/* applying this very update (a distribution resumed after the Distributor
			 * lost power): what it runs decides, in CONFIRM */
			t->acked = 1;
			t->confirm_only = 1;
			t->applying = 1;
			t->stuck = 1;
			t->phase = m.phase;
			return;
		}
		if (t->runs_new) {
			/* the new FWID, and not trying it: applied before */
			t->acked = 1;
			t->phase = m.phase;
			conclude(cli, t, BO_DFU_CLI_APPLIED);
		}
		/* otherwise the answer to a probe of a target silent to Information Get: the
		 * rounds go on */
		return;
	}
	if (cli->state == BO_DFU_CLI_CONFIRM) {
		if (t->reapply) {
			/* the answer to a repeated Apply: SUCCESS + APPLYING, or an error */
			if (m.status == BO_DFU_SUCCESS && m.phase != BO_DFU_PHASE_APPLYING)
				return; /* a late answer to an Update Get */
			t->reapply = 0;
			t->tries = 0;
			t->status = m.status;
			t->phase = m.phase;
			return; /* then what it runs decides, as after the first Apply */
		}
		if (m.status != BO_DFU_SUCCESS)
			return; /* a late answer to an Apply: no verdict */
		if (m.phase == BO_DFU_PHASE_VERIFY_FAIL && (t->runs_new || t->ask_phase)) {
			/* the answer to our Update Get after it took the Apply: its phase
			 * APPLY_FAIL (on the wire VERIFY_FAIL, dfu_srv.h): its bootloader tried the
			 * image and reverted it (or refused it, the slot no longer verifies) */
			t->status = m.status;
			t->phase = BO_DFU_PHASE_APPLY_FAIL;
			t->acked = 1;
			conclude(cli, t, BO_DFU_CLI_APPLY_FAILED);
			return;
		}
		if (t->ask_phase && !t->runs_new) {
			/* the answer to our Update Get, another FWID running */
			t->ask_phase = 0;
			t->tries = 0;
			t->status = m.status;
			t->phase = m.phase;
			if (m.phase == BO_DFU_PHASE_VERIFY_OK && t->answered && !t->seen_new &&
			    t->reapplies < BO_DFU_CLI_REAPPLY_MAX) {
				/* it answered the Apply APPLYING, yet never ran the new image and is
				 * back in VERIFY_OK: the upgrade request did not reach its bootloader
				 * (power lost first). Apply again, with a new confirm deadline. */
				uint64_t dl = now(cli) + cli->upd.confirm_timeout_us;

				t->reapplies++;
				t->reapply = 1;
				t->answered = 0;
				t->tries = 1;
				if (dl > cli->deadline)
					cli->deadline = dl;
				send_request(cli, t);
			}
			/* APPLYING (not rebooted yet), VERIFY (verifying again), VERIFY_OK with no
			 * re-apply left: what it runs decides at the deadline */
			return;
		}
		if (t->runs_new) {
			/* the answer to our Update Get, the new image running */
			t->tries = 0;
			if (m.phase == BO_DFU_PHASE_IDLE || m.phase == BO_DFU_PHASE_APPLY_SUCCESS) {
				t->status = m.status;
				t->phase = m.phase;
				t->acked = 1;
				conclude(cli, t, BO_DFU_CLI_APPLIED);
			} else if (m.phase == BO_DFU_PHASE_APPLYING) {
				/* not applied (yet): keep polling until the deadline */
				t->status = m.status;
				t->phase = m.phase;
				t->stuck = 1;
			} else {
				/* it left APPLYING another way (rebooted, reverted, verified the
				 * slot again): ask what it runs */
				t->runs_new = 0;
			}
			return;
		}
		/* the answer to a probe of a target silent to Information Get, or a late answer
		 * to an Apply: APPLYING says it took the Apply and is trying an image (silent
		 * to Information Get while it does). Only the new FWID, once it answers again,
		 * makes it APPLIED (never the phase alone); silent to Information Get until the
		 * deadline, it did not confirm the image: APPLY_FAILED. */
		if (m.phase == BO_DFU_PHASE_APPLYING) {
			t->status = m.status;
			t->phase = m.phase;
			t->applying = 1;
			if (m.blob_id == cli->upd.blob_id)
				t->stuck = 1;
		}
		return;
	}
	t->status = m.status;
	t->phase = m.phase;
	switch (cli->state) {
	case BO_DFU_CLI_START:
		t->acked = 1;
		if (m.status != BO_DFU_SUCCESS || m.phase == BO_DFU_PHASE_IDLE ||
		    m.blob_id != cli->upd.blob_id) {
			conclude(cli, t, BO_DFU_CLI_REJECTED);
			return;
		}
		t->effect = m.effect;
		/* the same update went further before (a repeated Start): no transfer */
		t->has_blob = m.phase == BO_DFU_PHASE_VERIFY || m.phase == BO_DFU_PHASE_VERIFY_OK ||
			      m.phase == BO_DFU_PHASE_VERIFY_FAIL;
		break;
	case BO_DFU_CLI_REFRESH:
		if (m.phase == BO_DFU_PHASE_VERIFY_OK) {
			t->acked = 1;
			t->verified = 1;
		} else if (m.phase == BO_DFU_PHASE_VERIFY_FAIL) {
			t->acked = 1;
			conclude(cli, t, BO_DFU_CLI_VERIFY_FAILED);
		} else if (m.phase == BO_DFU_PHASE_VERIFY ||
			   m.phase == BO_DFU_PHASE_TRANSFER_ACTIVE) {
			t->tries = 0; /* alive, not done: ask again next round */
		} else {
			t->acked = 1;
			conclude(cli, t, BO_DFU_CLI_LOST);
		}
		break;
	case BO_DFU_CLI_APPLY:
		/* Every answer goes on to CONFIRM: what it runs decides. SUCCESS + APPLYING:
		 * the Apply was taken. An error in IDLE or VERIFY_FAIL: it left VERIFY_OK after
		 * an Apply of ours whose answer was lost (applied and rebooted, or its
		 * bootloader refused the image). Any other: not known to have applied. */
		t->acked = 1;
		t->applying = m.phase == BO_DFU_PHASE_APPLYING || m.phase == BO_DFU_PHASE_IDLE ||
			      m.phase == BO_DFU_PHASE_VERIFY_FAIL;
		break;
	default:
		return;
	}
}

int bo_dfu_cli_handle(struct bo_dfu_cli *cli, const struct bo_mesh_rx *rx, uint32_t opcode,
		      const uint8_t *payload, size_t len)
{
	struct bo_dfu_cli_target *t;

	if (opcode != BO_OP_DFU_INFO_STATUS && opcode != BO_OP_DFU_METADATA_STATUS &&
	    opcode != BO_OP_DFU_UPDATE_STATUS)
		return bo_blob_cli_handle(&cli->blob, rx, opcode, payload, len);
	t = find(cli, rx->src);
	if (!t || !pending(t) || t->acked)
		return 1;
	if (opcode == BO_OP_DFU_INFO_STATUS)
		rx_info_status(cli, t, payload, len);
	else if (opcode == BO_OP_DFU_METADATA_STATUS)
		rx_metadata_status(cli, t, payload, len);
	else
		rx_update_status(cli, t, payload, len);
	if (cli->state != BO_DFU_CLI_BLOB && cli->state != BO_DFU_CLI_DONE &&
	    cli->state != BO_DFU_CLI_IDLE && step_done(cli))
		next_step(cli);
	return 1;
}

int bo_dfu_cli_timer(struct bo_dfu_cli *cli, uint32_t timer_id)
{
	if (timer_id != step_timer(cli))
		return bo_blob_cli_timer(&cli->blob, timer_id);
	if (cli->pacing) {
		pace(cli);
		return 1;
	}
	switch (cli->state) {
	case BO_DFU_CLI_REFRESH:
		if (++cli->rounds > BO_DFU_CLI_REFRESH_MAX) {
			for (uint16_t i = 0; i < cli->ntargets; i++)
				if (!cli->targets[i].acked)
					conclude(cli, &cli->targets[i], BO_DFU_CLI_LOST);
		}
		send_round(cli);
		break;
	case BO_DFU_CLI_CONFIRM:
		if (now(cli) >= cli->deadline) {
			for (uint16_t i = 0; i < cli->ntargets; i++) {
				struct bo_dfu_cli_target *t = &cli->targets[i];

				if (!pending(t))
					continue;
				if (t->runs_new) {
					/* runs the new image, never seen to leave APPLYING */
					if (t->effect == BO_DFU_EFFECT_UNPROV && t->tries > 0)
						/* silent since: applied, unprovisioned */
						conclude(cli, t, BO_DFU_CLI_APPLIED);
					else if (t->stuck) /* did not confirm itself */
						conclude(cli, t, BO_DFU_CLI_APPLY_FAILED);
					else /* no Update Status: no verdict */
						conclude(cli, t, BO_DFU_CLI_LOST);
				} else if (t->answered && t->applying)
					conclude(cli, t, BO_DFU_CLI_APPLY_FAILED);
				else if (!t->answered && t->applying &&
					 t->effect == BO_DFU_EFFECT_UNPROV)
					conclude(cli, t, BO_DFU_CLI_APPLIED);
				else if (t->stuck) /* seen APPLYING, never back: not confirmed */
					conclude(cli, t, BO_DFU_CLI_APPLY_FAILED);
				else /* silent, or no sign that it applied */
					conclude(cli, t, BO_DFU_CLI_LOST);
			}
			finish(cli);
			break;
		}
		send_round(cli);
		break;
	case BO_DFU_CLI_INFO:
	case BO_DFU_CLI_CHECK:
	case BO_DFU_CLI_START:
	case BO_DFU_CLI_APPLY:
		send_round(cli);
		break;
	default:
		break;
	}
	return 1;
}

/* ---- life cycle ----------------------------------------------------------------------- */

void bo_dfu_cli_init(struct bo_dfu_cli *cli, const struct bo_dfu_cli_config *cfg)
{
	struct bo_blob_cli_config bc;

	memset(cli, 0, sizeof(*cli));
	cli->cfg = *cfg;
	bc = cfg->blob;
	memset(&bc.cb, 0, sizeof(bc.cb));
	bc.cb.ctx = cli;
	bc.cb.read = blob_read;
	bc.cb.lost = blob_lost;
	bc.cb.suspended = blob_suspended;
	bc.cb.done = blob_done;
	cli->cfg.blob = bc;
	bo_blob_cli_init(&cli->blob, &bc);
}

int bo_dfu_cli_send(struct bo_dfu_cli *cli, const struct bo_dfu_cli_update *upd,
		    const uint16_t *addrs, size_t n)
{
	if ((cli->state != BO_DFU_CLI_IDLE && cli->state != BO_DFU_CLI_DONE) || n == 0 ||
	    n > BO_DFU_CLI_TARGETS_MAX || upd->size == 0 ||
	    upd->metadata_len > BO_DFU_METADATA_MAXLEN || upd->fwid_len > BO_DFU_FWID_MAXLEN ||
	    (upd->metadata_len && !upd->metadata) || (upd->fwid_len && !upd->fwid))
		return -1;
	cli->upd = *upd;
	cli->upd.img_idxs = NULL; /* copied into the targets */
	if (!cli->upd.ttl)
		cli->upd.ttl = BO_MESH_TTL_DEFAULT;
	if (!cli->upd.retry_us)
		cli->upd.retry_us = bo_blob_cli_retry_us(cli->upd.timeout_base, cli->upd.ttl,
							 BO_DFU_CLI_RETRIES);
	if (!cli->upd.confirm_timeout_us)
		cli->upd.confirm_timeout_us = BO_DFU_CLI_CONFIRM_TIMEOUT_US;
	memset(cli->targets, 0, sizeof(cli->targets));
	for (size_t i = 0; i < n; i++) {
		cli->targets[i].addr = addrs[i];
		cli->targets[i].phase = BO_DFU_PHASE_UNKNOWN;
		cli->targets[i].img_idx = upd->img_idxs ? upd->img_idxs[i] : upd->img_idx;
	}
	cli->ntargets = (uint16_t)n;
	cli->success = false;
	cli->rounds = 0;
	begin(cli, upd->info_get ? BO_DFU_CLI_INFO : BO_DFU_CLI_CHECK);
	return 0;
}

int bo_dfu_cli_cancel(struct bo_dfu_cli *cli)
{
	uint8_t buf[1];

	if (cli->state == BO_DFU_CLI_IDLE || cli->state == BO_DFU_CLI_DONE)
		return -1;
	if (cli->state == BO_DFU_CLI_BLOB) {
		cli->state = BO_DFU_CLI_DONE; /* ignore the BLOB client's done() */
		(void)bo_blob_cli_cancel(&cli->blob);
	}
	for (uint16_t i = 0; i < cli->ntargets; i++) {
		struct bo_dfu_cli_target *t = &cli->targets[i];

		if (!pending(t))
			continue;
		send(cli, t->addr, BO_OP_DFU_UPDATE_CANCEL, buf, 0);
		conclude(cli, t, BO_DFU_CLI_CANCELLED);
	}
	finish(cli);
	return 0;
}
