/* core/dfu/blob_cli.c: BLOB Transfer Client (see blob_cli.h). */
#include "core/dfu/blob_cli.h"

#include <string.h>

#include "core/dfu/blob_chunks.h"
#include "core/dfu/timeouts.h"
#include "core/dfu/wire.h"

/* ---- helpers ---------------------------------------------------------------------- */

static void timer_arm(struct bo_blob_cli *cli, uint32_t id, uint64_t us)
{
	const struct bo_mesh_port *m = cli->cfg.mesh;

	if (m && m->timer_arm)
		m->timer_arm(m->ctx, cli->cfg.timer_base + id, us);
}

static void timer_cancel(struct bo_blob_cli *cli, uint32_t id)
{
	const struct bo_mesh_port *m = cli->cfg.mesh;

	if (m && m->timer_cancel)
		m->timer_cancel(m->ctx, cli->cfg.timer_base + id);
}

/* 0: handed to the stack (it may still be lost on the way); < 0: refused now (no buffer,
 * or a segmented send to dst in progress), try again later. */
static int send(struct bo_blob_cli *cli, uint16_t dst, uint32_t op, const uint8_t *p, size_t len)
{
	const struct bo_mesh_port *m = cli->cfg.mesh;
	struct bo_mesh_tx tx = {.dst = dst, .app_idx = cli->x.app_idx, .ttl = cli->x.ttl};

	if (!m || !m->send)
		return 0;
	return m->send(m->ctx, &tx, op, p, len) < 0 ? -1 : 0;
}

/* A step's unicast request, paced like the chunks: with a port that reports sends done,
 * the TX timer fires when this one has left (*next is then only a watchdog). */
static int send_paced(struct bo_blob_cli *cli, uint16_t dst, uint32_t op, const uint8_t *p,
		      size_t len, uint64_t *next)
{
	const struct bo_mesh_port *m = cli->cfg.mesh;
	struct bo_mesh_tx tx = {.dst = dst, .app_idx = cli->x.app_idx, .ttl = cli->x.ttl};

	*next = BO_BLOB_CLI_STEP_INTERVAL_US;
	if (!m || !m->send)
		return 0;
	if (m->send_done) {
		tx.done_timer = BO_MESH_DONE_TIMER(cli->cfg.timer_base + BO_BLOB_CLI_TIMER_TX);
		*next = BO_BLOB_CLI_SEND_WATCHDOG_US;
	}
	return m->send(m->ctx, &tx, op, p, len) < 0 ? -1 : 0;
}

/* A chunk message: with a port that reports sends done, the pacing timer fires when this
 * one has left the node (the next chunk follows the bearer, as Zephyr's client sends the
 * next chunk from the send-end callback); the delay returned is then only a watchdog for
 * a report that never comes. Without, the fixed chunk interval. */
static int send_chunk(struct bo_blob_cli *cli, uint16_t dst, size_t len, uint64_t *next)
{
	const struct bo_mesh_port *m = cli->cfg.mesh;
	struct bo_mesh_tx tx = {.dst = dst, .app_idx = cli->x.app_idx, .ttl = cli->x.ttl};

	*next = cli->x.chunk_interval_us;
	if (!m || !m->send)
		return 0;
	if (m->send_done) {
		tx.done_timer = BO_MESH_DONE_TIMER(cli->cfg.timer_base + BO_BLOB_CLI_TIMER_TX);
		*next = BO_BLOB_CLI_SEND_WATCHDOG_US;
	}
	return m->send(m->ctx, &tx, BO_OP_BLOB_CHUNK, cli->txbuf, len) < 0 ? -1 : 0;
}

/* A refused send (rc < 0): true to try the same message again after BO_BLOB_CLI_BUSY_US,
 * false when it was refused too often in a row (it counts as sent and lost). Sent: false. */
static bool refused(struct bo_blob_cli *cli, int rc)
{
	if (rc == 0 || cli->busy + 1u >= BO_BLOB_CLI_BUSY_TRIES) {
		cli->busy = 0;
		return false;
	}
	cli->busy++;
	return true;
}

static struct bo_blob_cli_target *find(struct bo_blob_cli *cli, uint16_t addr)
{
	for (unsigned i = 0; i < cli->ntargets; i++)
		if (cli->targets[i].addr == addr)
			return &cli->targets[i];
	return NULL;
}

static unsigned count_state(const struct bo_blob_cli *cli, uint8_t state)
{
	unsigned n = 0;

	for (unsigned i = 0; i < cli->ntargets; i++)
		n += cli->targets[i].state == state;
	return n;
}

static uint64_t now_us(const struct bo_blob_cli *cli)
{
	return cli->cfg.mesh->now_us(cli->cfg.mesh->ctx);
}

static uint64_t retry_us(const struct bo_blob_cli *cli)
{
	uint8_t ttl = cli->x.ttl == BO_MESH_TTL_DEFAULT ? 7 : cli->x.ttl;

	return bo_blob_cli_retry_us(cli->x.timeout_base, ttl, BO_BLOB_CLI_BLOCK_RETRIES);
}

static void lose(struct bo_blob_cli *cli, struct bo_blob_cli_target *t, uint8_t status)
{
	if (t->state != BO_BLOB_TARGET_ACTIVE)
		return;
	t->state = BO_BLOB_TARGET_LOST;
	t->status = status;
	if (cli->cfg.cb.lost)
		cli->cfg.cb.lost(cli->cfg.cb.ctx, cli, t);
}

static void finish(struct bo_blob_cli *cli)
{
	bool ok = !cli->cancelled && count_state(cli, BO_BLOB_TARGET_DONE) > 0;

	timer_cancel(cli, BO_BLOB_CLI_TIMER_RETRY);
	timer_cancel(cli, BO_BLOB_CLI_TIMER_TX);
	cli->tx_running = 0;
	cli->state = BO_BLOB_CLI_DONE;
	if (cli->cfg.cb.done)
		cli->cfg.cb.done(cli->cfg.cb.ctx, cli, ok);
}

static void suspend(struct bo_blob_cli *cli)
{
	timer_cancel(cli, BO_BLOB_CLI_TIMER_RETRY);
	timer_cancel(cli, BO_BLOB_CLI_TIMER_TX);
	cli->tx_running = 0;
	cli->state = BO_BLOB_CLI_SUSPENDED;
	if (cli->cfg.cb.suspended)
		cli->cfg.cb.suspended(cli->cfg.cb.ctx, cli);
}

/* ---- acknowledged steps ----------------------------------------------------------- */

/* Encode the request of the current step: opcode and payload length. */
static int step_msg(struct bo_blob_cli *cli, uint32_t *op, uint8_t *buf, size_t cap)
{
	switch (cli->state) {
	case BO_BLOB_CLI_CAPS:
		*op = BO_OP_BLOB_INFO_GET;
		return 0;
	case BO_BLOB_CLI_START: {
		struct bo_blob_xfer_start m = {
			.mode = cli->x.mode,
			.id = cli->x.id,
			.size = cli->x.size,
			.block_size_log = cli->block_size_log,
			.mtu = cli->x.mtu,
		};

		*op = BO_OP_BLOB_XFER_START;
		return bo_blob_xfer_start_encode(&m, buf, cap);
	}
	case BO_BLOB_CLI_BLOCK_START: {
		struct bo_blob_block_start m = {.block = cli->block, .chunk_size = cli->chunk_size};

		*op = BO_OP_BLOB_BLOCK_START;
		return bo_blob_block_start_encode(&m, buf, cap);
	}
	case BO_BLOB_CLI_BLOCK_GET:
		*op = BO_OP_BLOB_BLOCK_GET;
		return 0;
	case BO_BLOB_CLI_CONFIRM:
		*op = BO_OP_BLOB_XFER_GET;
		return 0;
	case BO_BLOB_CLI_CANCEL: {
		struct bo_blob_xfer_cancel m = {.id = cli->x.id};

		*op = BO_OP_BLOB_XFER_CANCEL;
		return bo_blob_xfer_cancel_encode(&m, buf, cap);
	}
	default:
		return -1;
	}
}

static bool in_step(const struct bo_blob_cli_target *t, uint8_t state)
{
	/* Cancel goes to everyone not lost; the rest to active targets. */
	return t->state == BO_BLOB_TARGET_ACTIVE ||
	       (state == BO_BLOB_CLI_CANCEL && t->state == BO_BLOB_TARGET_DONE);
}

static void step_tx(struct bo_blob_cli *cli);

/* Send the current step's request: to the group (group_ok and a group set), else start a
 * paced unicast round to every target that has not answered (step_tx). */
static void step_send(struct bo_blob_cli *cli, bool group_ok)
{
	timer_cancel(cli, BO_BLOB_CLI_TIMER_TX);
	cli->busy = 0;
	cli->grp_pending = 0;
	cli->round_out = 0;
	if (group_ok && cli->x.group != BO_MESH_ADDR_UNASSIGNED) {
		cli->grp_pending = 1;
	} else {
		uint32_t due_n = 0;

		for (unsigned i = 0; i < cli->ntargets; i++) {
			cli->targets[i].sent = 0;
			due_n += in_step(&cli->targets[i], cli->state) && !cli->targets[i].acked;
		}
		cli->gap_us = due_n > 1 ? retry_us(cli) / due_n : 0;
		if (cli->gap_us > BO_BLOB_CLI_SPREAD_MAX_US)
			cli->gap_us = BO_BLOB_CLI_SPREAD_MAX_US;
		cli->last_tx_us = UINT64_MAX; /* none yet this round */
	}
	cli->tx_target = 0;
	cli->tx_running = 0;
	step_tx(cli);
}

/* The round's requests are out: the retry timer runs from now (as in Zephyr, whose
 * client starts it when its broadcast has been sent), so that a round to a hundred
 * targets, longer than one retry interval, is never cut short and restarted. */
static void round_sent(struct bo_blob_cli *cli)
{
	if (cli->round_out)
		return;
	cli->round_out = 1;
	timer_arm(cli, BO_BLOB_CLI_TIMER_RETRY, retry_us(cli));
}

/* TX timer in an acknowledged step: the group request (again, if it was refused), or the
 * next unicast request of the round, paced by the bearer (the previous one left) or one
 * per BO_BLOB_CLI_STEP_INTERVAL_US. */
static void step_tx(struct bo_blob_cli *cli)
{
	uint8_t buf[24];
	uint32_t op = 0;
	uint64_t next;
	int n = step_msg(cli, &op, buf, sizeof(buf));

	if (n < 0)
		return;
	if (cli->grp_pending) {
		if (refused(cli, send(cli, cli->x.group, op, buf, (size_t)n))) {
			timer_arm(cli, BO_BLOB_CLI_TIMER_TX, BO_BLOB_CLI_BUSY_US);
			return;
		}
		cli->grp_pending = 0;
		round_sent(cli);
		return;
	}
	for (unsigned k = 0; k < cli->ntargets; k++) {
		unsigned i = (cli->tx_target + k) % cli->ntargets;
		struct bo_blob_cli_target *t = &cli->targets[i];

		if (!in_step(t, cli->state) || t->acked || t->sent)
			continue;
		cli->tx_target = (uint16_t)i;
		if (cli->last_tx_us != UINT64_MAX && now_us(cli) < cli->last_tx_us + cli->gap_us) {
			/* spread over the retry interval (blob_cli.h) */
			timer_arm(cli, BO_BLOB_CLI_TIMER_TX, cli->last_tx_us + cli->gap_us - now_us(cli));
			return;
		}
		if (refused(cli, send_paced(cli, t->addr, op, buf, (size_t)n, &next))) {
			timer_arm(cli, BO_BLOB_CLI_TIMER_TX, BO_BLOB_CLI_BUSY_US);
			return;
		}
		cli->last_tx_us = now_us(cli);
		t->sent = 1;
		for (unsigned j = 0; j < cli->ntargets; j++) {
			const struct bo_blob_cli_target *u = &cli->targets[j];

			if (in_step(u, cli->state) && !u->acked && !u->sent) {
				timer_arm(cli, BO_BLOB_CLI_TIMER_TX, next);
				return;
			}
		}
		break; /* that was the round's last request */
	}
	round_sent(cli);
}

static void step_done(struct bo_blob_cli *cli);

static void step_begin(struct bo_blob_cli *cli, uint8_t state)
{
	cli->state = state;
	cli->retries = 0;
	for (unsigned i = 0; i < cli->ntargets; i++)
		cli->targets[i].acked = 0;
	step_send(cli, true); /* arms the retry timer once the round is out */
}

static void check_step(struct bo_blob_cli *cli)
{
	for (unsigned i = 0; i < cli->ntargets; i++) {
		const struct bo_blob_cli_target *t = &cli->targets[i];

		if (in_step(t, cli->state) && !t->acked)
			return;
	}
	timer_cancel(cli, BO_BLOB_CLI_TIMER_RETRY);
	timer_cancel(cli, BO_BLOB_CLI_TIMER_TX);
	step_done(cli);
}

static void retry(struct bo_blob_cli *cli)
{
	timer_cancel(cli, BO_BLOB_CLI_TIMER_TX);
	++cli->retries;
	if (cli->retries < BO_BLOB_CLI_BLOCK_RETRIES) {
		step_send(cli, false);
		return;
	}
	for (unsigned i = 0; i < cli->ntargets; i++) {
		struct bo_blob_cli_target *t = &cli->targets[i];

		if (in_step(t, cli->state) && !t->acked) {
			if (cli->state == BO_BLOB_CLI_CANCEL)
				t->acked = 1; /* nothing more to do for it */
			else
				lose(cli, t, BO_BLOB_ERR_INTERNAL);
		}
	}
	step_done(cli);
}

/* ---- the procedure ---------------------------------------------------------------- */

static void next_block(struct bo_blob_cli *cli);

static void negotiate(struct bo_blob_cli *cli)
{
	uint8_t log = cli->x.block_size_log ? cli->x.block_size_log : 12;
	uint32_t chunk = cli->x.chunk_size ? cli->x.chunk_size : BO_BLOB_CHUNK_DATA_MAX;
	uint32_t max_chunks = cli->cap_max_chunks;
	uint32_t mtu = cli->cap_mtu < cli->x.mtu ? cli->cap_mtu : cli->x.mtu;

	if (chunk > cli->cap_max_chunk)
		chunk = cli->cap_max_chunk;
	if (mtu > 3 && chunk > mtu - 3)
		chunk = mtu - 3;
	if (chunk > BO_BLOB_CHUNK_DATA_MAX)
		chunk = BO_BLOB_CHUNK_DATA_MAX;
	if (chunk >= cli->cap_align)
		chunk = chunk / cli->cap_align * cli->cap_align;
	if (chunk == 0)
		chunk = 1;
	if (mtu > 6 && max_chunks > 8 * (mtu - 6))
		max_chunks = 8 * (mtu - 6);
	if (max_chunks > BO_BLOB_CLI_CHUNKS_MAX)
		max_chunks = BO_BLOB_CLI_CHUNKS_MAX;
	if (log > cli->cap_max_log)
		log = cli->cap_max_log;
	if (log < cli->cap_min_log)
		log = cli->cap_min_log;
	while (log > cli->cap_min_log && bo_blob_chunk_count(1u << log, (uint16_t)chunk) > max_chunks)
		log--;
	while (log < cli->cap_max_log &&
	       bo_blob_block_count(cli->x.size, log) > BO_BLOB_CLI_BLOCKS_MAX)
		log++;
	cli->block_size_log = log;
	cli->chunk_size = (uint16_t)chunk;
	cli->block_count = bo_blob_block_count(cli->x.size, log);
}

static void begin_chunks(struct bo_blob_cli *cli, bool all)
{
	if (all) {
		bo_blob_bitmap_fill(cli->missing, sizeof(cli->missing), cli->chunk_count);
		for (unsigned i = 0; i < cli->ntargets; i++)
			cli->targets[i].needs = cli->targets[i].state == BO_BLOB_TARGET_ACTIVE;
	}
	cli->state = BO_BLOB_CLI_CHUNKS;
	cli->tx_chunk = (uint16_t)bo_blob_bitmap_next(cli->missing, sizeof(cli->missing),
						      cli->chunk_count, 0);
	cli->tx_target = 0;
	timer_arm(cli, BO_BLOB_CLI_TIMER_TX, 0);
}

static bool pull_pending(const struct bo_blob_cli *cli)
{
	for (unsigned i = 0; i < cli->ntargets; i++)
		if (cli->targets[i].state == BO_BLOB_TARGET_ACTIVE && cli->targets[i].needs)
			return true;
	return false;
}

static void block_finished(struct bo_blob_cli *cli)
{
	timer_cancel(cli, BO_BLOB_CLI_TIMER_RETRY);
	(void)bo_blob_bitmap_set(cli->needed, sizeof(cli->needed), cli->block, false);
	next_block(cli);
}

static void pull_kick(struct bo_blob_cli *cli)
{
	if (!cli->tx_running) {
		cli->tx_running = 1;
		timer_arm(cli, BO_BLOB_CLI_TIMER_TX, 0);
	}
}

/* Pull: serve the requests; every retry interval check that each target still missing
 * chunks was heard (pull_check). */
static void begin_pull(struct bo_blob_cli *cli)
{
	cli->state = BO_BLOB_CLI_PULL;
	for (unsigned i = 0; i < cli->ntargets; i++) {
		struct bo_blob_cli_target *t = &cli->targets[i];

		t->heard = 1; /* it just answered Block Start */
		t->probes = 0;
		t->ctl = 0;
		t->sends = 0;
	}
	if (!pull_pending(cli)) {
		block_finished(cli);
		return;
	}
	timer_arm(cli, BO_BLOB_CLI_TIMER_RETRY, retry_us(cli));
	pull_kick(cli);
}

/* Pull: after a target was lost, go on (block done, or every target lost). */
static void pull_progress(struct bo_blob_cli *cli)
{
	if (!count_state(cli, BO_BLOB_TARGET_ACTIVE)) {
		step_done(cli);
		return;
	}
	if (!pull_pending(cli)) {
		block_finished(cli);
		return;
	}
	pull_kick(cli);
}

/* Pull, every retry interval: a target still missing chunks and not heard since the last
 * check gets a Block Get; silent for BO_BLOB_CLI_BLOCK_RETRIES checks (a client timeout),
 * it is lost. */
static void pull_check(struct bo_blob_cli *cli)
{
	for (unsigned i = 0; i < cli->ntargets; i++) {
		struct bo_blob_cli_target *t = &cli->targets[i];

		if (t->state != BO_BLOB_TARGET_ACTIVE || !t->needs)
			continue;
		if (t->heard) {
			t->heard = 0;
			t->probes = 0;
			continue;
		}
		if (++t->probes >= BO_BLOB_CLI_BLOCK_RETRIES) {
			lose(cli, t, BO_BLOB_ERR_INTERNAL);
			continue;
		}
		t->ctl = BO_BLOB_CLI_CTL_BLOCK_GET;
	}
	timer_arm(cli, BO_BLOB_CLI_TIMER_RETRY, retry_us(cli));
	pull_progress(cli);
}

static void step_done(struct bo_blob_cli *cli)
{
	unsigned active = count_state(cli, BO_BLOB_TARGET_ACTIVE);

	if (cli->state == BO_BLOB_CLI_CANCEL) {
		finish(cli);
		return;
	}
	if (!active) {
		if (count_state(cli, BO_BLOB_TARGET_DONE))
			finish(cli);
		else
			suspend(cli);
		return;
	}
	switch (cli->state) {
	case BO_BLOB_CLI_CAPS:
		negotiate(cli);
		memset(cli->needed, 0, sizeof(cli->needed));
		step_begin(cli, BO_BLOB_CLI_START);
		break;
	case BO_BLOB_CLI_START:
		cli->passes = 0;
		next_block(cli);
		break;
	case BO_BLOB_CLI_BLOCK_START:
		if (cli->x.mode == BO_BLOB_MODE_PULL)
			begin_pull(cli);
		else
			begin_chunks(cli, true);
		break;
	case BO_BLOB_CLI_BLOCK_GET:
		if (cli->restart && ++cli->rounds < BO_BLOB_CLI_ROUNDS_MAX) {
			cli->restart = 0;
			step_begin(cli, BO_BLOB_CLI_BLOCK_START);
			break;
		}
		cli->restart = 0;
		if (bo_blob_bitmap_count(cli->missing, sizeof(cli->missing), cli->chunk_count)) {
			if (++cli->rounds < BO_BLOB_CLI_ROUNDS_MAX) {
				begin_chunks(cli, false);
				break;
			}
			for (unsigned i = 0; i < cli->ntargets; i++)
				if (cli->targets[i].needs)
					lose(cli, &cli->targets[i], BO_BLOB_ERR_INTERNAL);
			if (!count_state(cli, BO_BLOB_TARGET_ACTIVE)) {
				step_done(cli);
				break;
			}
		}
		(void)bo_blob_bitmap_set(cli->needed, sizeof(cli->needed), cli->block, false);
		next_block(cli);
		break;
	case BO_BLOB_CLI_CONFIRM:
		if (bo_blob_bitmap_count(cli->needed, sizeof(cli->needed), cli->block_count) &&
		    ++cli->passes < BO_BLOB_CLI_PASSES_MAX) {
			next_block(cli);
			break;
		}
		for (unsigned i = 0; i < cli->ntargets; i++)
			lose(cli, &cli->targets[i], BO_BLOB_ERR_INTERNAL);
		finish(cli);
		break;
	default:
		break;
	}
}

static void next_block(struct bo_blob_cli *cli)
{
	uint32_t b = bo_blob_bitmap_next(cli->needed, sizeof(cli->needed), cli->block_count, 0);

	if (b >= cli->block_count) {
		step_begin(cli, BO_BLOB_CLI_CONFIRM);
		return;
	}
	cli->block = (uint16_t)b;
	cli->block_size = bo_blob_block_size(cli->x.size, cli->block_size_log, b);
	cli->chunk_count = (uint16_t)bo_blob_chunk_count(cli->block_size, cli->chunk_size);
	memset(cli->missing, 0, sizeof(cli->missing));
	memset(cli->req, 0, sizeof(cli->req));
	for (unsigned i = 0; i < cli->ntargets; i++)
		cli->targets[i].needs = 0;
	cli->rounds = 0;
	cli->restart = 0;
	cli->blocks_sent++;
	step_begin(cli, BO_BLOB_CLI_BLOCK_START);
}

/* Read chunk c of the current block into txbuf: the message length, or -1. */
static int chunk_msg(struct bo_blob_cli *cli, uint32_t c)
{
	uint32_t len = bo_blob_chunk_len(cli->block_size, cli->chunk_size, c);
	uint32_t off = ((uint32_t)cli->block << cli->block_size_log) + c * cli->chunk_size;
	int rc;

	cli->txbuf[0] = (uint8_t)c;
	cli->txbuf[1] = (uint8_t)(c >> 8);
	if (cli->cfg.cb.read)
		rc = cli->cfg.cb.read(cli->cfg.cb.ctx, off, cli->txbuf + 2, len);
	else
		rc = bo_area_read(&cli->cfg.source, off, cli->txbuf + 2, len);
	return rc == 0 ? (int)(2 + len) : -1;
}

/* Push: send one chunk message. The delay to the next, or 0 when this round has nothing
 * left. */
static uint64_t tx_one(struct bo_blob_cli *cli)
{
	uint32_t n = cli->chunk_count;
	uint16_t dst = cli->x.group;
	uint64_t next;
	int len;

	for (;;) {
		if (cli->tx_chunk >= n)
			return 0;
		if (cli->x.group != BO_MESH_ADDR_UNASSIGNED)
			break;
		while (cli->tx_target < cli->ntargets &&
		       !(cli->targets[cli->tx_target].state == BO_BLOB_TARGET_ACTIVE &&
			 cli->targets[cli->tx_target].needs))
			cli->tx_target++;
		if (cli->tx_target < cli->ntargets) {
			dst = cli->targets[cli->tx_target].addr;
			break;
		}
		cli->tx_target = 0;
		cli->tx_chunk = (uint16_t)bo_blob_bitmap_next(cli->missing, sizeof(cli->missing), n,
							      cli->tx_chunk + 1u);
	}
	len = chunk_msg(cli, cli->tx_chunk);
	next = cli->x.chunk_interval_us;
	/* refused: the same chunk again shortly (not lost: that would cost a Block Get round) */
	if (len > 0 && refused(cli, send_chunk(cli, dst, (size_t)len, &next)))
		return BO_BLOB_CLI_BUSY_US;
	if (cli->x.group != BO_MESH_ADDR_UNASSIGNED)
		cli->tx_chunk = (uint16_t)bo_blob_bitmap_next(cli->missing, sizeof(cli->missing), n,
							      cli->tx_chunk + 1u);
	else
		cli->tx_target++;
	return next;
}

/* Pull: a Block Get or Block Start one target is owed (pull_check, a suspended target).
 * The delay to the next message, or 0 when none is due. */
static uint64_t tx_pull_ctl(struct bo_blob_cli *cli)
{
	for (unsigned i = 0; i < cli->ntargets; i++) {
		struct bo_blob_cli_target *t = &cli->targets[i];
		uint8_t buf[4];
		uint32_t op = BO_OP_BLOB_BLOCK_GET;
		int n = 0;

		if (t->state != BO_BLOB_TARGET_ACTIVE || !t->ctl)
			continue;
		if (t->ctl == BO_BLOB_CLI_CTL_BLOCK_START) {
			struct bo_blob_block_start m = {.block = cli->block,
							.chunk_size = cli->chunk_size};

			op = BO_OP_BLOB_BLOCK_START;
			n = bo_blob_block_start_encode(&m, buf, sizeof(buf));
		}
		if (n >= 0 && refused(cli, send(cli, t->addr, op, buf, (size_t)n)))
			return BO_BLOB_CLI_BUSY_US;
		t->ctl = 0;
		return BO_BLOB_CLI_STEP_INTERVAL_US;
	}
	return 0;
}

/* Pull: send the lowest chunk some active target asked for: to the group when a group is
 * set and two or more want it, else unicast to the one that asked (round robin over the
 * targets without a group). The delay to the next message, or 0 when nothing is asked. */
static uint64_t tx_pull_chunk(struct bo_blob_cli *cli)
{
	uint32_t n = cli->chunk_count, c = n;
	unsigned want = 0, ti = 0;
	uint16_t dst;
	uint64_t next;
	int len;

	if (cli->x.group != BO_MESH_ADDR_UNASSIGNED) {
		for (unsigned i = 0; i < cli->ntargets; i++) {
			uint32_t ci;

			if (cli->targets[i].state != BO_BLOB_TARGET_ACTIVE)
				continue;
			ci = bo_blob_bitmap_next(cli->req[i], sizeof(cli->req[i]), n, 0);
			if (ci < c) {
				c = ci;
				want = 0;
			}
			if (ci == c && ci < n) {
				want++;
				ti = i;
			}
		}
	} else {
		for (unsigned k = 0; k < cli->ntargets && c >= n; k++) {
			unsigned i = (cli->tx_target + k) % cli->ntargets;

			if (cli->targets[i].state != BO_BLOB_TARGET_ACTIVE)
				continue;
			c = bo_blob_bitmap_next(cli->req[i], sizeof(cli->req[i]), n, 0);
			ti = i;
			want = 1;
		}
	}
	if (c >= n)
		return 0;
	dst = want > 1 ? cli->x.group : cli->targets[ti].addr;
	len = chunk_msg(cli, c);
	next = cli->x.chunk_interval_us;
	if (len > 0 && refused(cli, send_chunk(cli, dst, (size_t)len, &next)))
		return BO_BLOB_CLI_BUSY_US;
	cli->tx_target = (uint16_t)((ti + 1) % cli->ntargets);
	for (unsigned i = 0; i < cli->ntargets; i++) {
		struct bo_blob_cli_target *t = &cli->targets[i];

		if (t->state != BO_BLOB_TARGET_ACTIVE || (want <= 1 && i != ti) ||
		    !bo_blob_bitmap_test(cli->req[i], sizeof(cli->req[i]), c))
			continue;
		(void)bo_blob_bitmap_set(cli->req[i], sizeof(cli->req[i]), c, false);
		if (++t->sends > (uint32_t)BO_BLOB_CLI_ROUNDS_MAX * n)
			lose(cli, t, BO_BLOB_ERR_INTERNAL); /* asks and asks, never completes */
	}
	return next;
}

static void tx_tick(struct bo_blob_cli *cli)
{
	uint64_t next;

	switch (cli->state) {
	case BO_BLOB_CLI_CAPS:
	case BO_BLOB_CLI_START:
	case BO_BLOB_CLI_BLOCK_START:
	case BO_BLOB_CLI_BLOCK_GET:
	case BO_BLOB_CLI_CONFIRM:
	case BO_BLOB_CLI_CANCEL:
		step_tx(cli);
		return;
	case BO_BLOB_CLI_PULL:
		next = tx_pull_ctl(cli);
		if (!next)
			next = tx_pull_chunk(cli);
		if (cli->state != BO_BLOB_CLI_PULL)
			return;
		if (next) {
			timer_arm(cli, BO_BLOB_CLI_TIMER_TX, next);
			return;
		}
		cli->tx_running = 0;
		/* a target lost on its send budget may have been the last */
		if (!count_state(cli, BO_BLOB_TARGET_ACTIVE))
			step_done(cli);
		else if (!pull_pending(cli))
			block_finished(cli);
		return;
	case BO_BLOB_CLI_CHUNKS:
		break;
	default:
		cli->tx_running = 0;
		return;
	}
	cli->tx_running = 0;
	next = tx_one(cli);
	if (next) {
		timer_arm(cli, BO_BLOB_CLI_TIMER_TX, next);
		return;
	}
	/* round sent: ask what is missing */
	memset(cli->missing, 0, sizeof(cli->missing));
	for (unsigned i = 0; i < cli->ntargets; i++)
		cli->targets[i].needs = 0;
	step_begin(cli, BO_BLOB_CLI_BLOCK_GET);
}

/* ---- responses -------------------------------------------------------------------- */

static void on_info_status(struct bo_blob_cli *cli, struct bo_blob_cli_target *t,
			   const struct bo_blob_info_status *m)
{
	uint16_t low = (uint16_t)(m->max_chunk_size & (0u - m->max_chunk_size));

	if (cli->state != BO_BLOB_CLI_CAPS)
		return;
	if (!(m->modes & cli->x.mode) || m->max_size < cli->x.size) {
		t->acked = 1;
		lose(cli, t, !(m->modes & cli->x.mode) ? BO_BLOB_ERR_UNSUPPORTED_MODE
						       : BO_BLOB_ERR_BLOB_TOO_LARGE);
		return;
	}
	if (low > 64)
		low = 64;
	if (m->min_block_size_log > cli->cap_min_log)
		cli->cap_min_log = m->min_block_size_log;
	if (m->max_block_size_log < cli->cap_max_log)
		cli->cap_max_log = m->max_block_size_log;
	if (m->max_chunks < cli->cap_max_chunks)
		cli->cap_max_chunks = m->max_chunks;
	if (m->max_chunk_size < cli->cap_max_chunk)
		cli->cap_max_chunk = m->max_chunk_size;
	if (m->mtu < cli->cap_mtu)
		cli->cap_mtu = m->mtu;
	if (low < cli->cap_align)
		cli->cap_align = low;
	t->acked = 1;
}

static void on_xfer_status(struct bo_blob_cli *cli, struct bo_blob_cli_target *t,
			   const struct bo_blob_xfer_status *m)
{
	if (cli->state != BO_BLOB_CLI_START && cli->state != BO_BLOB_CLI_CONFIRM &&
	    cli->state != BO_BLOB_CLI_CANCEL)
		return;
	if (m->phase != BO_BLOB_PHASE_INACTIVE && m->id != cli->x.id)
		return;
	t->status = m->status;
	t->phase = m->phase;
	t->acked = 1;
	if (cli->state == BO_BLOB_CLI_CANCEL)
		return;
	if (m->status != BO_BLOB_SUCCESS) {
		lose(cli, t, m->status);
		return;
	}
	if (m->phase == BO_BLOB_PHASE_COMPLETE) {
		t->state = BO_BLOB_TARGET_DONE;
		return;
	}
	if (m->phase < BO_BLOB_PHASE_WAITING_FOR_BLOCK || m->size != cli->x.size ||
	    m->block_size_log != cli->block_size_log ||
	    !bo_blob_bitmap_valid(m->blocks, m->blocks_len, cli->block_count)) {
		lose(cli, t, BO_BLOB_ERR_WRONG_PHASE);
		return;
	}
	for (size_t i = 0; i < m->blocks_len; i++)
		cli->needed[i] |= m->blocks[i];
}

/* Pull: what a target asks for now (Block Status format, or a Partial Block Report as
 * ENCODED); it replaces what it asked for before. */
static void pull_request(struct bo_blob_cli *cli, struct bo_blob_cli_target *t, uint8_t format,
			 const uint8_t *list, size_t len)
{
	unsigned ti = (unsigned)(t - cli->targets);
	uint8_t *req = cli->req[ti];

	t->heard = 1;
	t->probes = 0;
	if (format == BO_BLOB_MISSING_NONE || (format == BO_BLOB_MISSING_ENCODED && len == 0)) {
		t->needs = 0;
		memset(req, 0, sizeof(cli->req[ti]));
		return;
	}
	t->needs = 1;
	if (format == BO_BLOB_MISSING_ENCODED &&
	    bo_blob_enc_list_validate(list, len, cli->chunk_count, NULL) == 0) {
		memset(req, 0, sizeof(cli->req[ti]));
		(void)bo_blob_enc_list_to_bitmap(list, len, cli->chunk_count, req,
						 sizeof(cli->req[ti]));
		return;
	}
	if (format == BO_BLOB_MISSING_SOME && bo_blob_bitmap_valid(list, len, cli->chunk_count)) {
		memset(req, 0, sizeof(cli->req[ti]));
		memcpy(req, list, len);
		return;
	}
	bo_blob_bitmap_fill(req, sizeof(cli->req[ti]), cli->chunk_count);
}

static void on_block_report(struct bo_blob_cli *cli, struct bo_blob_cli_target *t,
			    const struct bo_blob_block_report *m)
{
	pull_request(cli, t, BO_BLOB_MISSING_ENCODED, m->list, m->len);
	if (!pull_pending(cli)) {
		block_finished(cli);
		return;
	}
	pull_kick(cli);
}

/* Pull: a Block Status outside the Block Start step (the answer to a Block Get probe or to
 * a Block Start that resumes a suspended target). */
static void on_pull_block_status(struct bo_blob_cli *cli, struct bo_blob_cli_target *t,
				 const struct bo_blob_block_status *m)
{
	t->status = m->status;
	if (m->status == BO_BLOB_ERR_INFO_UNAVAILABLE) {
		/* suspended (its timeout, or a power cut): a Block Start resumes it */
		t->heard = 1;
		t->ctl = BO_BLOB_CLI_CTL_BLOCK_START;
		pull_kick(cli);
		return;
	}
	if (m->status != BO_BLOB_SUCCESS) {
		/* e.g. WRONG_PHASE: it cancelled (INACTIVE) or never started */
		lose(cli, t, m->status);
		pull_progress(cli);
		return;
	}
	pull_request(cli, t, m->format, m->missing, m->missing_len);
	if (!pull_pending(cli)) {
		block_finished(cli);
		return;
	}
	pull_kick(cli);
}

static void on_block_status(struct bo_blob_cli *cli, struct bo_blob_cli_target *t,
			    const struct bo_blob_block_status *m)
{
	if (cli->state != BO_BLOB_CLI_BLOCK_START && cli->state != BO_BLOB_CLI_BLOCK_GET &&
	    cli->state != BO_BLOB_CLI_PULL)
		return;
	/* a success must be about our block; an error may carry none (0xffff), and so may a
	 * server that has every block (COMPLETE after a reboot: nothing missing) */
	if (m->status == BO_BLOB_SUCCESS && m->block != cli->block &&
	    !(m->block == 0xffffu && m->format == BO_BLOB_MISSING_NONE))
		return;
	if (cli->state == BO_BLOB_CLI_PULL) {
		on_pull_block_status(cli, t, m);
		return;
	}
	t->status = m->status;
	t->acked = 1;
	if (m->status == BO_BLOB_ERR_INFO_UNAVAILABLE && cli->state == BO_BLOB_CLI_BLOCK_GET) {
		/* suspended (its timeout, or a power cut): a Block Start resumes it */
		bo_blob_bitmap_fill(cli->missing, sizeof(cli->missing), cli->chunk_count);
		t->needs = 1;
		cli->restart = 1;
		return;
	}
	if (m->status != BO_BLOB_SUCCESS) {
		lose(cli, t, m->status);
		return;
	}
	if (cli->x.mode == BO_BLOB_MODE_PULL) {
		pull_request(cli, t, m->format, m->missing, m->missing_len);
		return;
	}
	if (cli->state != BO_BLOB_CLI_BLOCK_GET)
		return;
	if (m->format == BO_BLOB_MISSING_NONE) {
		t->needs = 0;
	} else if (m->format == BO_BLOB_MISSING_SOME && m->chunk_size == cli->chunk_size &&
		   bo_blob_bitmap_valid(m->missing, m->missing_len, cli->chunk_count)) {
		for (size_t i = 0; i < m->missing_len; i++)
			cli->missing[i] |= m->missing[i];
		t->needs = 1;
	} else {
		/* all missing, or a bitmap we cannot use: resend everything */
		bo_blob_bitmap_fill(cli->missing, sizeof(cli->missing), cli->chunk_count);
		t->needs = 1;
	}
}

/* ---- API -------------------------------------------------------------------------- */

static void caps_reset(struct bo_blob_cli *cli)
{
	cli->cap_min_log = BO_BLOB_BLOCK_SIZE_LOG_MIN;
	cli->cap_max_log = BO_BLOB_BLOCK_SIZE_LOG_MAX - 1;
	cli->cap_max_chunks = BO_BLOB_CLI_CHUNKS_MAX;
	cli->cap_max_chunk = BO_BLOB_CHUNK_DATA_MAX;
	cli->cap_mtu = cli->x.mtu;
	cli->cap_align = 64;
}

void bo_blob_cli_init(struct bo_blob_cli *cli, const struct bo_blob_cli_config *cfg)
{
	memset(cli, 0, sizeof(*cli));
	cli->cfg = *cfg;
	cli->state = BO_BLOB_CLI_IDLE;
}

int bo_blob_cli_send(struct bo_blob_cli *cli, const struct bo_blob_cli_xfer *x,
		     const uint16_t *addrs, size_t n)
{
	if (cli->state != BO_BLOB_CLI_IDLE && cli->state != BO_BLOB_CLI_DONE)
		return -1;
	if (!x || !addrs || n == 0 || n > BO_BLOB_CLI_TARGETS_MAX || x->size == 0 ||
	    bo_blob_block_count(x->size, BO_BLOB_BLOCK_SIZE_LOG_MAX - 1) > BO_BLOB_CLI_BLOCKS_MAX)
		return -1;
	if (x && x->mode != 0 && x->mode != BO_BLOB_MODE_PUSH && x->mode != BO_BLOB_MODE_PULL)
		return -1;
	cli->x = *x;
	if (!cli->x.mode)
		cli->x.mode = BO_BLOB_MODE_PUSH;
	if (!cli->x.mtu)
		cli->x.mtu = BO_BLOB_CLI_MTU_DEFAULT;
	if (!cli->x.ttl)
		cli->x.ttl = BO_MESH_TTL_DEFAULT;
	if (!cli->x.chunk_interval_us)
		cli->x.chunk_interval_us = BO_BLOB_CLI_CHUNK_INTERVAL_US;
	memset(cli->targets, 0, sizeof(cli->targets));
	for (size_t i = 0; i < n; i++)
		cli->targets[i].addr = addrs[i];
	cli->ntargets = (uint16_t)n;
	cli->cancelled = 0;
	cli->blocks_sent = 0;
	cli->block_count = 0;
	caps_reset(cli);
	step_begin(cli, BO_BLOB_CLI_CAPS);
	return 0;
}

int bo_blob_cli_resume(struct bo_blob_cli *cli)
{
	if (cli->state != BO_BLOB_CLI_SUSPENDED)
		return -1;
	for (unsigned i = 0; i < cli->ntargets; i++)
		if (cli->targets[i].state == BO_BLOB_TARGET_LOST)
			cli->targets[i].state = BO_BLOB_TARGET_ACTIVE;
	memset(cli->needed, 0, sizeof(cli->needed));
	if (cli->block_count) {
		step_begin(cli, BO_BLOB_CLI_START);
	} else {
		caps_reset(cli); /* suspended before the capabilities were known */
		step_begin(cli, BO_BLOB_CLI_CAPS);
	}
	return 0;
}

int bo_blob_cli_cancel(struct bo_blob_cli *cli)
{
	if (cli->state == BO_BLOB_CLI_IDLE || cli->state == BO_BLOB_CLI_DONE)
		return -1;
	cli->cancelled = 1;
	timer_cancel(cli, BO_BLOB_CLI_TIMER_TX);
	cli->tx_running = 0;
	if (!count_state(cli, BO_BLOB_TARGET_ACTIVE) && !count_state(cli, BO_BLOB_TARGET_DONE)) {
		finish(cli);
		return 0;
	}
	step_begin(cli, BO_BLOB_CLI_CANCEL);
	return 0;
}

int bo_blob_cli_handle(struct bo_blob_cli *cli, const struct bo_mesh_rx *rx, uint32_t opcode,
		       const uint8_t *payload, size_t len)
{
	struct bo_blob_cli_target *t;
	uint8_t state = cli->state;

	if (opcode != BO_OP_BLOB_INFO_STATUS && opcode != BO_OP_BLOB_XFER_STATUS &&
	    opcode != BO_OP_BLOB_BLOCK_STATUS && opcode != BO_OP_BLOB_BLOCK_REPORT)
		return 0;
	t = find(cli, rx->src);
	if (opcode == BO_OP_BLOB_BLOCK_REPORT) {
		struct bo_blob_block_report m;

		if (t && t->state == BO_BLOB_TARGET_ACTIVE && state == BO_BLOB_CLI_PULL &&
		    bo_blob_block_report_decode(payload, len, &m) == 0)
			on_block_report(cli, t, &m);
		return 1;
	}
	if (opcode == BO_OP_BLOB_BLOCK_STATUS && state == BO_BLOB_CLI_PULL) {
		struct bo_blob_block_status m;

		if (t && t->state == BO_BLOB_TARGET_ACTIVE &&
		    bo_blob_block_status_decode(payload, len, &m) == 0)
			on_block_status(cli, t, &m);
		return 1;
	}
	if (!t || !in_step(t, state) || t->acked)
		return 1;
	switch (opcode) {
	case BO_OP_BLOB_INFO_STATUS: {
		struct bo_blob_info_status m;

		if (bo_blob_info_status_decode(payload, len, &m) == 0)
			on_info_status(cli, t, &m);
		break;
	}
	case BO_OP_BLOB_XFER_STATUS: {
		struct bo_blob_xfer_status m;

		if (bo_blob_xfer_status_decode(payload, len, &m) == 0)
			on_xfer_status(cli, t, &m);
		break;
	}
	case BO_OP_BLOB_BLOCK_STATUS: {
		struct bo_blob_block_status m;

		if (bo_blob_block_status_decode(payload, len, &m) == 0)
			on_block_status(cli, t, &m);
		break;
	}
	default:
		return 1; /* Partial Block Report: pull mode, not supported */
	}
	if (cli->state == state && state != BO_BLOB_CLI_CHUNKS && state != BO_BLOB_CLI_PULL &&
	    state != BO_BLOB_CLI_IDLE && state != BO_BLOB_CLI_SUSPENDED &&
	    state != BO_BLOB_CLI_DONE)
		check_step(cli);
	return 1;
}

int bo_blob_cli_timer(struct bo_blob_cli *cli, uint32_t timer_id)
{
	if (timer_id == cli->cfg.timer_base + BO_BLOB_CLI_TIMER_RETRY) {
		switch (cli->state) {
		case BO_BLOB_CLI_CAPS:
		case BO_BLOB_CLI_START:
		case BO_BLOB_CLI_BLOCK_START:
		case BO_BLOB_CLI_BLOCK_GET:
		case BO_BLOB_CLI_CONFIRM:
		case BO_BLOB_CLI_CANCEL:
			retry(cli);
			break;
		case BO_BLOB_CLI_PULL:
			pull_check(cli);
			break;
		default:
			break;
		}
		return 1;
	}
	if (timer_id == cli->cfg.timer_base + BO_BLOB_CLI_TIMER_TX) {
		tx_tick(cli);
		return 1;
	}
	return 0;
}
