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

static void send(struct bo_blob_cli *cli, uint16_t dst, uint32_t op, const uint8_t *p,
		 size_t len)
{
	const struct bo_mesh_port *m = cli->cfg.mesh;
	struct bo_mesh_tx tx = {.dst = dst, .app_idx = cli->x.app_idx, .ttl = cli->x.ttl};

	if (m && m->send)
		(void)m->send(m->ctx, &tx, op, p, len); /* a failure is a lost message */
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

static void step_send(struct bo_blob_cli *cli, bool group_ok)
{
	uint8_t buf[24];
	uint32_t op = 0;
	int n = step_msg(cli, &op, buf, sizeof(buf));

	if (n < 0)
		return;
	if (group_ok && cli->x.group != BO_MESH_ADDR_UNASSIGNED) {
		send(cli, cli->x.group, op, buf, (size_t)n);
		return;
	}
	for (unsigned i = 0; i < cli->ntargets; i++) {
		struct bo_blob_cli_target *t = &cli->targets[i];

		if (in_step(t, cli->state) && !t->acked)
			send(cli, t->addr, op, buf, (size_t)n);
	}
}

static void step_done(struct bo_blob_cli *cli);

static void step_begin(struct bo_blob_cli *cli, uint8_t state)
{
	cli->state = state;
	cli->retries = 0;
	for (unsigned i = 0; i < cli->ntargets; i++)
		cli->targets[i].acked = 0;
	step_send(cli, true);
	timer_arm(cli, BO_BLOB_CLI_TIMER_RETRY, retry_us(cli));
}

static void check_step(struct bo_blob_cli *cli)
{
	for (unsigned i = 0; i < cli->ntargets; i++) {
		const struct bo_blob_cli_target *t = &cli->targets[i];

		if (in_step(t, cli->state) && !t->acked)
			return;
	}
	timer_cancel(cli, BO_BLOB_CLI_TIMER_RETRY);
	step_done(cli);
}

static void retry(struct bo_blob_cli *cli)
{
	if (++cli->retries < BO_BLOB_CLI_BLOCK_RETRIES) {
		step_send(cli, false);
		timer_arm(cli, BO_BLOB_CLI_TIMER_RETRY, retry_us(cli));
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

/* Pull: wait for requests; a silent client timeout sends Block Get. */
static void begin_pull(struct bo_blob_cli *cli)
{
	uint8_t ttl = cli->x.ttl == BO_MESH_TTL_DEFAULT ? 7 : cli->x.ttl;

	cli->state = BO_BLOB_CLI_PULL;
	if (!pull_pending(cli)) {
		block_finished(cli);
		return;
	}
	timer_arm(cli, BO_BLOB_CLI_TIMER_RETRY, bo_blob_cli_timeout_us(cli->x.timeout_base, ttl));
	pull_kick(cli);
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
		if (cli->x.mode == BO_BLOB_MODE_PULL) {
			if (pull_pending(cli) && ++cli->rounds >= BO_BLOB_CLI_ROUNDS_MAX) {
				for (unsigned i = 0; i < cli->ntargets; i++)
					if (cli->targets[i].needs)
						lose(cli, &cli->targets[i], BO_BLOB_ERR_INTERNAL);
				if (!count_state(cli, BO_BLOB_TARGET_ACTIVE)) {
					step_done(cli);
					break;
				}
			}
			begin_pull(cli);
			break;
		}
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

/* Send one chunk message; false when this round has nothing left. */
static bool tx_one(struct bo_blob_cli *cli)
{
	uint32_t n = cli->chunk_count;
	uint32_t len, off;
	uint16_t dst = cli->x.group;
	int rc;

	for (;;) {
		if (cli->tx_chunk >= n)
			return false;
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
	len = bo_blob_chunk_len(cli->block_size, cli->chunk_size, cli->tx_chunk);
	off = ((uint32_t)cli->block << cli->block_size_log) + (uint32_t)cli->tx_chunk * cli->chunk_size;
	cli->txbuf[0] = (uint8_t)cli->tx_chunk;
	cli->txbuf[1] = (uint8_t)(cli->tx_chunk >> 8);
	if (cli->cfg.cb.read)
		rc = cli->cfg.cb.read(cli->cfg.cb.ctx, off, cli->txbuf + 2, len);
	else
		rc = bo_area_read(&cli->cfg.source, off, cli->txbuf + 2, len);
	if (rc == 0)
		send(cli, dst, BO_OP_BLOB_CHUNK, cli->txbuf, 2 + len);
	if (cli->x.group != BO_MESH_ADDR_UNASSIGNED)
		cli->tx_chunk = (uint16_t)bo_blob_bitmap_next(cli->missing, sizeof(cli->missing), n,
							      cli->tx_chunk + 1u);
	else
		cli->tx_target++;
	return true;
}

/* Pull: send the next requested chunk (unicast); false when nothing is asked for. */
static bool tx_pull_one(struct bo_blob_cli *cli)
{
	uint32_t n = cli->chunk_count;

	for (unsigned k = 0; k < cli->ntargets; k++) {
		unsigned ti = (cli->tx_target + k) % cli->ntargets;
		struct bo_blob_cli_target *t = &cli->targets[ti];
		uint32_t c, len, off;
		int rc;

		if (t->state != BO_BLOB_TARGET_ACTIVE)
			continue;
		c = bo_blob_bitmap_next(cli->req[ti], sizeof(cli->req[ti]), n, 0);
		if (c >= n)
			continue;
		(void)bo_blob_bitmap_set(cli->req[ti], sizeof(cli->req[ti]), c, false);
		len = bo_blob_chunk_len(cli->block_size, cli->chunk_size, c);
		off = ((uint32_t)cli->block << cli->block_size_log) + c * cli->chunk_size;
		cli->txbuf[0] = (uint8_t)c;
		cli->txbuf[1] = (uint8_t)(c >> 8);
		if (cli->cfg.cb.read)
			rc = cli->cfg.cb.read(cli->cfg.cb.ctx, off, cli->txbuf + 2, len);
		else
			rc = bo_area_read(&cli->cfg.source, off, cli->txbuf + 2, len);
		if (rc == 0)
			send(cli, t->addr, BO_OP_BLOB_CHUNK, cli->txbuf, 2 + len);
		cli->tx_target = (uint8_t)((ti + 1) % cli->ntargets);
		return true;
	}
	return false;
}

static void tx_tick(struct bo_blob_cli *cli)
{
	if (cli->state == BO_BLOB_CLI_PULL) {
		if (tx_pull_one(cli))
			timer_arm(cli, BO_BLOB_CLI_TIMER_TX, cli->x.chunk_interval_us);
		else
			cli->tx_running = 0;
		return;
	}
	cli->tx_running = 0;
	if (cli->state != BO_BLOB_CLI_CHUNKS)
		return;
	if (tx_one(cli)) {
		timer_arm(cli, BO_BLOB_CLI_TIMER_TX, cli->x.chunk_interval_us);
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

/* Pull: what a target asks for (Block Status format, or a Partial Block Report as ENCODED). */
static void pull_request(struct bo_blob_cli *cli, struct bo_blob_cli_target *t, uint8_t format,
			 const uint8_t *list, size_t len)
{
	unsigned ti = (unsigned)(t - cli->targets);
	uint8_t *req = cli->req[ti];

	if (format == BO_BLOB_MISSING_NONE || (format == BO_BLOB_MISSING_ENCODED && len == 0)) {
		t->needs = 0;
		memset(req, 0, sizeof(cli->req[ti]));
		return;
	}
	if (format == BO_BLOB_MISSING_ENCODED &&
	    bo_blob_enc_list_to_bitmap(list, len, cli->chunk_count, req, sizeof(cli->req[ti])) == 0) {
		t->needs = 1;
		return;
	}
	if (format == BO_BLOB_MISSING_SOME &&
	    bo_blob_bitmap_valid(list, len, cli->chunk_count)) {
		for (size_t i = 0; i < len; i++)
			req[i] |= list[i];
		t->needs = 1;
		return;
	}
	bo_blob_bitmap_fill(req, sizeof(cli->req[ti]), cli->chunk_count);
	t->needs = 1;
}

static void on_block_report(struct bo_blob_cli *cli, struct bo_blob_cli_target *t,
			    const struct bo_blob_block_report *m)
{
	uint8_t ttl = cli->x.ttl == BO_MESH_TTL_DEFAULT ? 7 : cli->x.ttl;

	pull_request(cli, t, BO_BLOB_MISSING_ENCODED, m->list, m->len);
	if (!pull_pending(cli)) {
		block_finished(cli);
		return;
	}
	timer_arm(cli, BO_BLOB_CLI_TIMER_RETRY, bo_blob_cli_timeout_us(cli->x.timeout_base, ttl));
	pull_kick(cli);
}

static void on_block_status(struct bo_blob_cli *cli, struct bo_blob_cli_target *t,
			    const struct bo_blob_block_status *m)
{
	if (cli->state != BO_BLOB_CLI_BLOCK_START && cli->state != BO_BLOB_CLI_BLOCK_GET)
		return;
	/* a success must be about our block; an error may carry none (0xffff), and so may a
	 * server that has every block (COMPLETE after a reboot: nothing missing) */
	if (m->status == BO_BLOB_SUCCESS && m->block != cli->block &&
	    !(m->block == 0xffffu && m->format == BO_BLOB_MISSING_NONE))
		return;
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
	cli->ntargets = (uint8_t)n;
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
			/* no request for a client timeout: ask */
			for (unsigned i = 0; i < cli->ntargets; i++) {
				cli->targets[i].needs = 0;
				memset(cli->req[i], 0, sizeof(cli->req[i]));
			}
			step_begin(cli, BO_BLOB_CLI_BLOCK_GET);
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
