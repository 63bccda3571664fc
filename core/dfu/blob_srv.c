/* core/dfu/blob_srv.c: BLOB Transfer Server (see blob_srv.h). */
#include "core/dfu/blob_srv.h"

#include <string.h>

#include "core/dfu/blob_chunks.h"
#include "core/dfu/timeouts.h"
#include "core/dfu/wire.h"

#define NO_BLOCK 0xffffu
#define NO_CHUNK_SIZE 0xffffu

/* Persisted record: tag, version 1 layout (little-endian):
 * phase (1), id (8), size (4), block size log (1), mode (1), mtu (2), timeout base (2),
 * ttl (1), app idx (2), client (2), area device offset (4), area size (4),
 * blocks-not-received bitmap (ceil(blocks / 8)). */
#define REC_TAG 0xb501u
#define REC_FIXED 32u
#define REC_MAX (REC_FIXED + BO_BLOB_SRV_BLOCKS_MAX / 8)
/* Persisted phase values */
#define REC_INACTIVE 0u
#define REC_WAITING 1u
#define REC_ACTIVE 2u
#define REC_COMPLETE 4u

/* Scratch for blank checks (stack). */
#define BLANK_CHUNK 64u

/* ---- helpers ---------------------------------------------------------------------- */


/* The largest BLOB area may hold: its size, or the configured limit in the default
 * storage. */
static uint32_t max_blob(const struct bo_blob_srv *srv, const struct bo_flash_area *area)
{
	bool deflt = area->flash == srv->cfg.storage.flash && area->off == srv->cfg.storage.off &&
		     area->size == srv->cfg.storage.size;
	if (deflt && srv->cfg.max_size && srv->cfg.max_size < area->size)
		return srv->cfg.max_size;
	return area->size;
}

static uint32_t block_count(const struct bo_blob_srv *srv)
{
	return bo_blob_block_count(srv->x.size, srv->x.block_size_log);
}

static size_t blocks_len(const struct bo_blob_srv *srv)
{
	return bo_blob_bitmap_bytes(block_count(srv));
}

static uint32_t write_unit(const struct bo_blob_srv *srv)
{
	const struct bo_flash *f = srv->area.flash ? srv->area.flash : srv->cfg.storage.flash;

	return f && f->write_unit ? f->write_unit : 1;
}

static uint32_t max_chunk_size(const struct bo_blob_srv *srv)
{
	uint32_t m = srv->cfg.caps.max_chunk_size;
	uint32_t mtu_lim = srv->x.mtu > 3 ? srv->x.mtu - 3u : 0;

	return m < mtu_lim ? m : mtu_lim;
}

static uint32_t max_chunk_count(const struct bo_blob_srv *srv)
{
	uint32_t m = srv->cfg.caps.max_chunks;
	uint32_t mtu_lim = srv->x.mtu > 6 ? 8u * (srv->x.mtu - 6u) : 0;

	return m < mtu_lim ? m : mtu_lim;
}

static bool all_received(const struct bo_blob_srv *srv)
{
	return bo_blob_bitmap_count(srv->x.blocks, sizeof(srv->x.blocks), block_count(srv)) == 0;
}

static uint32_t missing_count(const struct bo_blob_srv *srv)
{
	return bo_blob_bitmap_count(srv->missing, sizeof(srv->missing), srv->chunk_count);
}

static void timer_arm(struct bo_blob_srv *srv, uint32_t id, uint64_t us)
{
	const struct bo_mesh_port *m = srv->cfg.mesh;

	if (m && m->timer_arm)
		m->timer_arm(m->ctx, srv->cfg.timer_base + id, us);
}

static void timer_cancel(struct bo_blob_srv *srv, uint32_t id)
{
	const struct bo_mesh_port *m = srv->cfg.mesh;

	if (m && m->timer_cancel)
		m->timer_cancel(m->ctx, srv->cfg.timer_base + id);
}

static void reset_timer(struct bo_blob_srv *srv)
{
	uint64_t us = srv->x.mode == BO_BLOB_MODE_PULL ? bo_blob_srv_pull_timeout_us(srv->x.timeout_base)
						       : bo_blob_srv_timeout_us(srv->x.timeout_base);

	timer_arm(srv, BO_BLOB_SRV_TIMER_RX, us);
}

static void send(struct bo_blob_srv *srv, uint16_t dst, uint16_t app_idx, uint32_t op,
		 const uint8_t *p, size_t len)
{
	const struct bo_mesh_port *m = srv->cfg.mesh;
	struct bo_mesh_tx tx = {
		.dst = dst,
		.app_idx = app_idx,
		.ttl = srv->phase == BO_BLOB_PHASE_INACTIVE ? BO_MESH_TTL_DEFAULT : srv->x.ttl,
	};

	if (m && m->send)
		(void)m->send(m->ctx, &tx, op, p, len);
}

/* ---- persistence ------------------------------------------------------------------ */

static void persist(struct bo_blob_srv *srv, uint8_t rec_phase)
{
	uint8_t buf[REC_MAX];
	struct bo_wire_writer w;
	int n;

	if (srv->persist_ok != 0)
		return;
	bo_wire_writer_init(&w, buf, sizeof(buf));
	bo_wire_put_u8(&w, rec_phase);
	bo_wire_put_le64(&w, srv->x.id);
	bo_wire_put_le32(&w, srv->x.size);
	bo_wire_put_u8(&w, srv->x.block_size_log);
	bo_wire_put_u8(&w, srv->x.mode);
	bo_wire_put_le16(&w, srv->x.mtu);
	bo_wire_put_le16(&w, srv->x.timeout_base);
	bo_wire_put_u8(&w, srv->x.ttl);
	bo_wire_put_le16(&w, srv->x.app_idx);
	bo_wire_put_le16(&w, srv->x.cli);
	bo_wire_put_le32(&w, srv->area.off);
	bo_wire_put_le32(&w, srv->area.size);
	if (rec_phase == REC_ACTIVE || rec_phase == REC_COMPLETE)
		bo_wire_put_bytes(&w, srv->x.blocks, blocks_len(srv));
	n = bo_wire_writer_result(&w);
	if (n > 0)
		(void)bo_dfu_persist_write(&srv->persist, REC_TAG, buf, (size_t)n);
}

static uint8_t rec_phase_of(uint8_t phase)
{
	switch (phase) {
	case BO_BLOB_PHASE_WAITING_FOR_START:
		return REC_WAITING;
	case BO_BLOB_PHASE_WAITING_FOR_BLOCK:
	case BO_BLOB_PHASE_WAITING_FOR_CHUNK:
	case BO_BLOB_PHASE_SUSPENDED:
		return REC_ACTIVE;
	case BO_BLOB_PHASE_COMPLETE:
		return REC_COMPLETE;
	default:
		return REC_INACTIVE;
	}
}

static void store_state(struct bo_blob_srv *srv)
{
	persist(srv, rec_phase_of(srv->phase));
}

/* ---- transitions ------------------------------------------------------------------ */

static void clear_block(struct bo_blob_srv *srv)
{
	srv->block = NO_BLOCK;
	srv->chunk_size = NO_CHUNK_SIZE;
	srv->chunk_count = 0;
	srv->block_size = 0;
	memset(srv->missing, 0, sizeof(srv->missing));
	memset(srv->requested, 0, sizeof(srv->requested));
}

static void go_inactive(struct bo_blob_srv *srv)
{
	srv->phase = BO_BLOB_PHASE_INACTIVE;
	srv->x.mode = BO_BLOB_MODE_NONE;
	srv->x.ttl = BO_MESH_TTL_DEFAULT;
	srv->x.cli = BO_MESH_ADDR_UNASSIGNED;
	clear_block(srv);
	timer_cancel(srv, BO_BLOB_SRV_TIMER_RX);
	timer_cancel(srv, BO_BLOB_SRV_TIMER_REPORT);
}

static void cancel(struct bo_blob_srv *srv)
{
	uint64_t id = srv->x.id;

	go_inactive(srv);
	persist(srv, REC_INACTIVE);
	if (srv->cfg.cb.cancelled)
		srv->cfg.cb.cancelled(srv->cfg.cb.ctx, srv, id);
}

static void suspend(struct bo_blob_srv *srv)
{
	timer_cancel(srv, BO_BLOB_SRV_TIMER_RX);
	timer_cancel(srv, BO_BLOB_SRV_TIMER_REPORT);
	srv->phase = BO_BLOB_PHASE_SUSPENDED;
	if (srv->cfg.cb.suspended)
		srv->cfg.cb.suspended(srv->cfg.cb.ctx, srv);
}

static void end(struct bo_blob_srv *srv)
{
	srv->phase = BO_BLOB_PHASE_COMPLETE;
	timer_cancel(srv, BO_BLOB_SRV_TIMER_RX);
	timer_cancel(srv, BO_BLOB_SRV_TIMER_REPORT);
	store_state(srv);
	if (srv->cfg.cb.complete)
		srv->cfg.cb.complete(srv->cfg.cb.ctx, srv, srv->x.id);
}

static bool pull_complete(const struct bo_blob_srv *srv)
{
	return srv->x.mode == BO_BLOB_MODE_PULL && srv->phase == BO_BLOB_PHASE_WAITING_FOR_CHUNK &&
	       all_received(srv);
}

/* ---- responses -------------------------------------------------------------------- */

/* Pull mode: encode the next chunks to ask for (the first pull_req_count missing ones) and
 * remember them, so the next report goes out as soon as they have all arrived. */
static int pull_request(struct bo_blob_srv *srv, uint8_t *list, size_t cap)
{
	uint32_t n = srv->chunk_count, k = 0;

	memset(srv->requested, 0, sizeof(srv->requested));
	for (uint32_t i = bo_blob_bitmap_next(srv->missing, sizeof(srv->missing), n, 0);
	     i < n && k < srv->cfg.caps.pull_req_count;
	     i = bo_blob_bitmap_next(srv->missing, sizeof(srv->missing), n, i + 1), k++)
		(void)bo_blob_bitmap_set(srv->requested, sizeof(srv->requested), i, true);
	return bo_blob_enc_list_from_bitmap(srv->requested, sizeof(srv->requested), n,
					    srv->cfg.caps.pull_req_count, list, cap);
}

static void xfer_status_rsp(struct bo_blob_srv *srv, uint16_t dst, uint16_t app_idx,
			    uint8_t status)
{
	uint8_t buf[20 + BO_BLOB_SRV_BLOCKS_MAX / 8];
	struct bo_blob_xfer_status m = {
		.status = status,
		.mode = srv->x.mode,
		.phase = srv->phase,
		.id = srv->x.id,
		.size = srv->x.size,
		.block_size_log = srv->x.block_size_log,
		.mtu = srv->x.mtu,
		.blocks = srv->x.blocks,
		.blocks_len = blocks_len(srv),
	};
	int n = bo_blob_xfer_status_encode(&m, buf, sizeof(buf));

	if (n >= 0)
		send(srv, dst, app_idx, BO_OP_BLOB_XFER_STATUS, buf, (size_t)n);
}

static void block_status_rsp(struct bo_blob_srv *srv, uint16_t dst, uint16_t app_idx,
			     uint8_t status)
{
	uint8_t buf[8 + BO_BLOB_SRV_CHUNKS_MAX / 8];
	uint8_t list[3 * 16];
	struct bo_blob_block_status m = {
		.status = status,
		.block = srv->block,
		.chunk_size = srv->chunk_size,
	};
	uint32_t missing;
	int n;

	if (srv->phase == BO_BLOB_PHASE_INACTIVE || srv->phase == BO_BLOB_PHASE_WAITING_FOR_START)
		missing = srv->chunk_count;
	else if (srv->phase == BO_BLOB_PHASE_COMPLETE)
		missing = 0;
	else
		missing = missing_count(srv);

	if (srv->x.mode == BO_BLOB_MODE_PULL) {
		m.format = BO_BLOB_MISSING_ENCODED;
		n = missing ? pull_request(srv, list, sizeof(list)) : 0;
		if (n < 0)
			return;
		m.missing = list;
		m.missing_len = (size_t)n;
	} else if (srv->phase == BO_BLOB_PHASE_COMPLETE || (missing == 0 && srv->chunk_count)) {
		m.format = BO_BLOB_MISSING_NONE;
	} else if (missing == srv->chunk_count) {
		m.format = BO_BLOB_MISSING_ALL;
	} else {
		m.format = BO_BLOB_MISSING_SOME;
		m.missing = srv->missing;
		m.missing_len = bo_blob_bitmap_bytes(srv->chunk_count);
	}
	n = bo_blob_block_status_encode(&m, buf, sizeof(buf));
	if (n >= 0)
		send(srv, dst, app_idx, BO_OP_BLOB_BLOCK_STATUS, buf, (size_t)n);
}

static void block_report(struct bo_blob_srv *srv)
{
	uint8_t list[3 * 16];
	int n = pull_request(srv, list, sizeof(list));

	if (n >= 0)
		send(srv, srv->x.cli, srv->x.app_idx, BO_OP_BLOB_BLOCK_REPORT, list, (size_t)n);
}

/* ---- storage ---------------------------------------------------------------------- */

/* 1 blank, 0 not blank, -1 read error. */
static int region_blank(const struct bo_blob_srv *srv, uint32_t off, uint32_t len)
{
	uint8_t buf[BLANK_CHUNK];
	uint8_t ev = srv->area.flash->erase_value;

	while (len) {
		uint32_t n = len < BLANK_CHUNK ? len : BLANK_CHUNK;

		if (bo_area_read(&srv->area, off, buf, n) != 0)
			return -1;
		for (uint32_t i = 0; i < n; i++)
			if (buf[i] != ev)
				return 0;
		off += n;
		len -= n;
	}
	return 1;
}

static uint32_t block_off(const struct bo_blob_srv *srv, uint32_t b)
{
	return b << srv->x.block_size_log;
}

/* Blocks overlapping [s, s + len): first and one past last. */
static void blocks_in(const struct bo_blob_srv *srv, uint32_t s, uint32_t len, uint32_t *first,
		      uint32_t *last)
{
	uint32_t n = block_count(srv);
	uint32_t e = s + len;

	*first = s >> srv->x.block_size_log;
	*last = (e + (1u << srv->x.block_size_log) - 1) >> srv->x.block_size_log;
	if (*last > n)
		*last = n;
}

/*
 * Make block b ready to receive (see blob_srv.h, Storage): erase every sector it overlaps
 * that holds no stored block and is not blank. 0, or -1 on a flash error.
 */
static int prepare_block(struct bo_blob_srv *srv, uint32_t b, uint32_t size)
{
	uint32_t bs = block_off(srv, b), be = bs + size;
	uint32_t off = bs;

	while (off < be) {
		uint32_t ss, sz, first, last, stored = 0;

		if (bo_area_sector(&srv->area, off, &ss, &sz) != 0)
			return -1;
		blocks_in(srv, ss, sz, &first, &last);
		for (uint32_t i = first; i < last; i++)
			if (i != b && !bo_blob_bitmap_test(srv->x.blocks, sizeof(srv->x.blocks), i))
				stored++;
		if (!stored) {
			int blank = region_blank(srv, ss, sz);

			if (blank < 0)
				return -1;
			if (!blank && bo_area_erase(&srv->area, ss, sz) != 0)
				return -1;
		}
		/* else: erased when its first block started; chunks are checked as they come */
		off = ss + sz;
	}
	return 0;
}

/*
 * The sector holding area offset off has bytes that are neither erased nor what we would
 * write there (a program torn by a power cut): give up every block in it (persisted first),
 * erase it, and expect every chunk of the current block again (those still in flash are
 * recognised and not programmed twice).
 */
static int give_up_sector(struct bo_blob_srv *srv, uint32_t off)
{
	uint32_t ss, sz, first, last;

	if (bo_area_sector(&srv->area, off, &ss, &sz) != 0)
		return -1;
	blocks_in(srv, ss, sz, &first, &last);
	for (uint32_t i = first; i < last; i++)
		(void)bo_blob_bitmap_set(srv->x.blocks, sizeof(srv->x.blocks), i, true);
	persist(srv, REC_ACTIVE);
	if (bo_area_erase(&srv->area, ss, sz) != 0)
		return -1;
	bo_blob_bitmap_fill(srv->missing, sizeof(srv->missing), srv->chunk_count);
	return 0;
}

/*
 * Where a chunk goes ([off, off + span), the chunk padded with the erase value), write unit
 * by write unit: each unit is erased, already what we would write (programmed before a power
 * cut), or something else (torn). pass 0: 1 when some unit is something else, else 0.
 * pass 1: program every run of erased units. -1 on a flash error.
 */
static int chunk_units(struct bo_blob_srv *srv, uint32_t off, const uint8_t *data, size_t len,
		       uint32_t span, int pass)
{
	uint8_t buf[BLANK_CHUNK];
	uint8_t pad[BLANK_CHUNK];
	uint8_t ev = srv->area.flash->erase_value;
	uint32_t wu = write_unit(srv);
	uint32_t run = 0, run_len = 0; /* pending run of erased units (pass 1) */

	for (uint32_t pos = 0; pos < span;) {
		uint32_t n = span - pos < BLANK_CHUNK ? span - pos : BLANK_CHUNK;

		if (bo_area_read(&srv->area, off + pos, buf, n) != 0)
			return -1;
		for (uint32_t u = 0; u < n; u += wu) {
			bool blank = true, equal = true;

			for (uint32_t i = u; i < u + wu; i++) {
				uint8_t want = pos + i < len ? data[pos + i] : ev;

				blank &= buf[i] == ev;
				equal &= buf[i] == want;
			}
			if (!blank && !equal && pass == 0)
				return 1;
			if (pass == 0)
				continue;
			if (blank && !equal) {
				if (!run_len)
					run = pos + u;
				run_len += wu;
				continue;
			}
			if (run_len) {
				if (bo_area_program(&srv->area, off + run, data + run, run_len) != 0)
					return -1;
				run_len = 0;
			}
		}
		pos += n;
		/* a run reaching into the padded tail is programmed from a padded copy */
		if (pass == 1 && run_len && run + run_len > len) {
			uint32_t head = run + run_len - wu; /* the last unit holds the tail */

			if (head > run &&
			    bo_area_program(&srv->area, off + run, data + run, head - run) != 0)
				return -1;
			memset(pad, ev, wu);
			memcpy(pad, data + head, len - head);
			if (bo_area_program(&srv->area, off + head, pad, wu) != 0)
				return -1;
			run_len = 0;
		}
	}
	if (pass == 1 && run_len &&
	    bo_area_program(&srv->area, off + run, data + run, run_len) != 0)
		return -1;
	return 0;
}

/*
 * Store one chunk (it starts on a write unit): program the units flash does not hold yet;
 * units already holding the chunk's bytes (programmed before a power cut) are never
 * programmed twice; a torn unit costs the sector (give_up_sector). 0, or -1 on error.
 */
static int store_chunk(struct bo_blob_srv *srv, uint32_t off, const uint8_t *data, size_t len)
{
	uint32_t wu = write_unit(srv);
	uint32_t full = (uint32_t)len / wu * wu;
	uint32_t span = full + (full < len ? wu : 0);
	int st;

	if (wu > BLANK_CHUNK || BLANK_CHUNK % wu != 0)
		return -1;
	st = chunk_units(srv, off, data, len, span, 0);
	if (st < 0)
		return -1;
	if (st == 1 && give_up_sector(srv, off) != 0)
		return -1;
	return chunk_units(srv, off, data, len, span, 1);
}

/* ---- message handlers ------------------------------------------------------------- */

static void handle_xfer_get(struct bo_blob_srv *srv, const struct bo_mesh_rx *rx)
{
	if (pull_complete(srv))
		end(srv);
	xfer_status_rsp(srv, rx->src, rx->app_idx, BO_BLOB_SUCCESS);
}

static void handle_xfer_start(struct bo_blob_srv *srv, const struct bo_mesh_rx *rx,
			      const struct bo_blob_xfer_start *m)
{
	uint8_t status = BO_BLOB_SUCCESS;
	uint32_t nblocks;

	if (srv->phase == BO_BLOB_PHASE_INACTIVE) {
		status = BO_BLOB_ERR_WRONG_PHASE;
		goto rsp;
	}
	if (srv->x.id != m->id) {
		status = BO_BLOB_ERR_WRONG_BLOB_ID;
		goto rsp;
	}
	if (srv->phase != BO_BLOB_PHASE_WAITING_FOR_START) {
		if (srv->x.mode != m->mode || srv->x.size != m->size ||
		    srv->x.block_size_log != m->block_size_log || srv->x.mtu > m->mtu) {
			status = BO_BLOB_ERR_WRONG_PHASE;
			goto rsp;
		}
		if (srv->phase == BO_BLOB_PHASE_SUSPENDED) {
			srv->x.cli = rx->src;
			srv->x.app_idx = rx->app_idx;
			srv->phase = BO_BLOB_PHASE_WAITING_FOR_BLOCK;
			reset_timer(srv);
			if (srv->cfg.cb.resumed)
				srv->cfg.cb.resumed(srv->cfg.cb.ctx, srv);
		}
		goto rsp;
	}
	if (!(m->mode & srv->cfg.caps.modes)) {
		status = BO_BLOB_ERR_UNSUPPORTED_MODE;
		goto rsp;
	}
	if (m->size > max_blob(srv, &srv->area)) {
		status = BO_BLOB_ERR_BLOB_TOO_LARGE;
		goto rsp;
	}
	if (m->block_size_log < srv->cfg.caps.min_block_size_log ||
	    m->block_size_log > srv->cfg.caps.max_block_size_log ||
	    (1ull << m->block_size_log) < write_unit(srv)) {
		status = BO_BLOB_ERR_INVALID_BLOCK_SIZE;
		goto rsp;
	}
	nblocks = bo_blob_block_count(m->size, m->block_size_log);
	if (m->size == 0 || nblocks > BO_BLOB_SRV_BLOCKS_MAX) {
		status = BO_BLOB_ERR_INVALID_PARAM;
		goto rsp;
	}
	srv->x.cli = rx->src;
	srv->x.app_idx = rx->app_idx;
	srv->x.mtu = m->mtu < srv->cfg.caps.mtu ? m->mtu : srv->cfg.caps.mtu;
	srv->x.size = m->size;
	srv->x.mode = m->mode;
	srv->x.block_size_log = m->block_size_log;
	clear_block(srv);
	bo_blob_bitmap_fill(srv->x.blocks, sizeof(srv->x.blocks), nblocks);
	if (srv->cfg.cb.start && srv->cfg.cb.start(srv->cfg.cb.ctx, srv, srv->x.id) != 0) {
		status = BO_BLOB_ERR_INTERNAL;
		cancel(srv);
		goto rsp;
	}
	srv->phase = BO_BLOB_PHASE_WAITING_FOR_BLOCK;
	store_state(srv);
	reset_timer(srv);
rsp:
	xfer_status_rsp(srv, rx->src, rx->app_idx, status);
}

static void handle_xfer_cancel(struct bo_blob_srv *srv, const struct bo_mesh_rx *rx,
			       const struct bo_blob_xfer_cancel *m)
{
	uint8_t status = BO_BLOB_SUCCESS;

	if (srv->phase != BO_BLOB_PHASE_INACTIVE) {
		if (srv->x.id != m->id)
			status = BO_BLOB_ERR_WRONG_BLOB_ID;
		else
			cancel(srv);
	}
	xfer_status_rsp(srv, rx->src, rx->app_idx, status);
}

static void handle_block_get(struct bo_blob_srv *srv, const struct bo_mesh_rx *rx)
{
	uint8_t status;

	switch (srv->phase) {
	case BO_BLOB_PHASE_WAITING_FOR_BLOCK:
	case BO_BLOB_PHASE_WAITING_FOR_CHUNK:
	case BO_BLOB_PHASE_COMPLETE:
		status = BO_BLOB_SUCCESS;
		break;
	case BO_BLOB_PHASE_SUSPENDED:
		status = BO_BLOB_ERR_INFO_UNAVAILABLE;
		break;
	default:
		status = BO_BLOB_ERR_WRONG_PHASE;
		break;
	}
	block_status_rsp(srv, rx->src, rx->app_idx, status);
}

static void handle_block_start(struct bo_blob_srv *srv, const struct bo_mesh_rx *rx,
			       const struct bo_blob_block_start *m)
{
	uint8_t status = BO_BLOB_SUCCESS;
	uint32_t bsize, ccount;
	bool was_suspended;

	if (srv->phase == BO_BLOB_PHASE_INACTIVE || srv->phase == BO_BLOB_PHASE_WAITING_FOR_START) {
		status = BO_BLOB_ERR_WRONG_PHASE;
		goto rsp;
	}
	reset_timer(srv);
	if (srv->phase == BO_BLOB_PHASE_WAITING_FOR_CHUNK) {
		if (m->block != srv->block || m->chunk_size != srv->chunk_size)
			status = BO_BLOB_ERR_WRONG_PHASE;
		goto rsp;
	}
	if (m->block >= block_count(srv)) {
		status = BO_BLOB_ERR_INVALID_BLOCK_NUM;
		goto rsp;
	}
	bsize = bo_blob_block_size(srv->x.size, srv->x.block_size_log, m->block);
	ccount = m->chunk_size ? bo_blob_chunk_count(1u << srv->x.block_size_log, m->chunk_size) : 0;
	if (!m->chunk_size || m->chunk_size > max_chunk_size(srv) || ccount > max_chunk_count(srv) ||
	    ccount > BO_BLOB_SRV_CHUNKS_MAX || m->chunk_size % write_unit(srv) != 0) {
		status = BO_BLOB_ERR_INVALID_CHUNK_SIZE;
		goto rsp;
	}
	if (srv->phase == BO_BLOB_PHASE_COMPLETE ||
	    !bo_blob_bitmap_test(srv->x.blocks, sizeof(srv->x.blocks), m->block)) {
		/* already stored: nothing to receive */
		srv->block = m->block;
		srv->chunk_size = m->chunk_size;
		srv->block_size = bsize;
		srv->chunk_count = (uint16_t)bo_blob_chunk_count(bsize, m->chunk_size);
		memset(srv->missing, 0, sizeof(srv->missing));
		if (srv->phase == BO_BLOB_PHASE_SUSPENDED) {
			/* the client is back (Zephyr stays suspended here, and its client then
			 * loses us on the next Block Get) */
			srv->phase = BO_BLOB_PHASE_WAITING_FOR_BLOCK;
			if (srv->cfg.cb.resumed)
				srv->cfg.cb.resumed(srv->cfg.cb.ctx, srv);
		}
		goto rsp;
	}
	was_suspended = srv->phase == BO_BLOB_PHASE_SUSPENDED;
	if (srv->block == m->block && srv->chunk_size == m->chunk_size && missing_count(srv) > 0) {
		/* the same block again (after a suspend): keep what was received */
	} else {
		clear_block(srv);
		if (prepare_block(srv, m->block, bsize) != 0) {
			status = BO_BLOB_ERR_INTERNAL;
			cancel(srv);
			goto rsp;
		}
		srv->block = m->block;
		srv->chunk_size = m->chunk_size;
		srv->block_size = bsize;
		srv->chunk_count = (uint16_t)bo_blob_chunk_count(bsize, m->chunk_size);
		bo_blob_bitmap_fill(srv->missing, sizeof(srv->missing), srv->chunk_count);
	}
	srv->phase = BO_BLOB_PHASE_WAITING_FOR_CHUNK;
	if (was_suspended && srv->cfg.cb.resumed)
		srv->cfg.cb.resumed(srv->cfg.cb.ctx, srv);
	if (srv->x.mode == BO_BLOB_MODE_PULL)
		timer_arm(srv, BO_BLOB_SRV_TIMER_REPORT, BO_BLOB_REPORT_TIMEOUT_US);
rsp:
	block_status_rsp(srv, rx->src, rx->app_idx, status);
}

static void handle_chunk(struct bo_blob_srv *srv, const struct bo_blob_chunk *m)
{
	uint32_t off;
	uint16_t done;
	bool asked;

	if (srv->phase == BO_BLOB_PHASE_WAITING_FOR_BLOCK) {
		/* chunks of a block we already stored (the client resends a block to a server
		 * that was suspended by a power cut): the client is alive, so do not time out
		 * and suspend again, or the client resends that block for ever */
		reset_timer(srv);
		return;
	}
	if (srv->phase != BO_BLOB_PHASE_WAITING_FOR_CHUNK || m->chunk >= srv->chunk_count)
		return;
	if (m->len != bo_blob_chunk_len(srv->block_size, srv->chunk_size, m->chunk))
		return;
	reset_timer(srv);
	if (!bo_blob_bitmap_test(srv->missing, sizeof(srv->missing), m->chunk))
		return; /* duplicate: never program a unit twice */
	off = block_off(srv, srv->block) + (uint32_t)m->chunk * srv->chunk_size;
	if (store_chunk(srv, off, m->data, m->len) != 0)
		return; /* stays missing; the client resends it */
	asked = bo_blob_bitmap_test(srv->requested, sizeof(srv->requested), m->chunk);
	(void)bo_blob_bitmap_set(srv->missing, sizeof(srv->missing), m->chunk, false);
	(void)bo_blob_bitmap_set(srv->requested, sizeof(srv->requested), m->chunk, false);
	if (missing_count(srv) > 0) {
		if (srv->x.mode != BO_BLOB_MODE_PULL)
			return;
		if (!bo_blob_bitmap_count(srv->requested, sizeof(srv->requested), srv->chunk_count)) {
			/* everything asked for arrived: ask for the next ones now */
			block_report(srv);
			timer_arm(srv, BO_BLOB_SRV_TIMER_REPORT, BO_BLOB_REPORT_TIMEOUT_US);
		} else if (asked) {
			/* progress on our request: the report can wait. Chunks we did not ask
			 * for (sent to the group for other targets) do not delay it, or a request
			 * the client never got would not be repeated while they flow. */
			timer_arm(srv, BO_BLOB_SRV_TIMER_REPORT, BO_BLOB_REPORT_TIMEOUT_US);
		}
		return;
	}

	done = srv->block;
	(void)bo_blob_bitmap_set(srv->x.blocks, sizeof(srv->x.blocks), done, false);
	if (!all_received(srv))
		srv->phase = BO_BLOB_PHASE_WAITING_FOR_BLOCK;
	store_state(srv); /* the block counts as received only once this record is written */
	if (srv->x.mode == BO_BLOB_MODE_PULL) {
		/* empty: the client may move on. Repeated while we wait for the next block (as
		 * Zephyr's server does): a lost one would make the client drop us. */
		block_report(srv);
		timer_arm(srv, BO_BLOB_SRV_TIMER_REPORT, BO_BLOB_REPORT_TIMEOUT_US);
	}
	if (srv->cfg.cb.block_done)
		srv->cfg.cb.block_done(srv->cfg.cb.ctx, srv, done);
	if (srv->phase == BO_BLOB_PHASE_WAITING_FOR_CHUNK && srv->x.mode != BO_BLOB_MODE_PULL)
		end(srv);
}

static void handle_info_get(struct bo_blob_srv *srv, const struct bo_mesh_rx *rx)
{
	struct bo_blob_info_status m;
	uint8_t buf[16];
	int n;

	bo_blob_srv_info(srv, &m);
	n = bo_blob_info_status_encode(&m, buf, sizeof(buf));
	if (n >= 0)
		send(srv, rx->src, rx->app_idx, BO_OP_BLOB_INFO_STATUS, buf, (size_t)n);
}

/* ---- API -------------------------------------------------------------------------- */

void bo_blob_srv_init(struct bo_blob_srv *srv, const struct bo_blob_srv_config *cfg)
{
	struct bo_blob_srv_caps *c;
	uint32_t wu;

	memset(srv, 0, sizeof(*srv));
	srv->cfg = *cfg;
	c = &srv->cfg.caps;
	if (!c->min_block_size_log)
		c->min_block_size_log = BO_BLOB_BLOCK_SIZE_LOG_MIN;
	if (!c->max_block_size_log)
		c->max_block_size_log = 12;
	if (c->max_block_size_log < c->min_block_size_log)
		c->max_block_size_log = c->min_block_size_log;
	if (!c->max_chunks || c->max_chunks > BO_BLOB_SRV_CHUNKS_MAX)
		c->max_chunks = BO_BLOB_SRV_CHUNKS_MAX;
	if (!c->max_chunk_size || c->max_chunk_size > BO_BLOB_CHUNK_DATA_MAX)
		c->max_chunk_size = BO_BLOB_CHUNK_DATA_MAX;
	wu = cfg->storage.flash && cfg->storage.flash->write_unit ? cfg->storage.flash->write_unit
								  : 1;
	if (c->max_chunk_size >= wu)
		c->max_chunk_size = (uint16_t)(c->max_chunk_size / wu * wu);
	if (!c->mtu || c->mtu > BO_BLOB_SRV_MTU_MAX)
		c->mtu = BO_BLOB_SRV_MTU_MAX;
	if (!c->modes)
		c->modes = BO_BLOB_MODE_ALL;
	if (!c->pull_req_count || c->pull_req_count > 16)
		c->pull_req_count = BO_BLOB_SRV_PULL_REQ_DEFAULT;
	srv->area = cfg->storage;
	srv->phase = BO_BLOB_PHASE_INACTIVE;
	srv->x.ttl = BO_MESH_TTL_DEFAULT;
	clear_block(srv);
	srv->persist_ok = cfg->state.flash ? bo_dfu_persist_init(&srv->persist, &cfg->state, REC_MAX)
					   : -1;
}

int bo_blob_srv_restore(struct bo_blob_srv *srv)
{
	uint8_t buf[REC_MAX];
	struct bo_wire_reader r;
	struct bo_flash_area area;
	uint8_t rec_phase;
	uint16_t tag;
	uint32_t aoff, asize, n;
	int len;

	if (srv->persist_ok != 0)
		return BO_BLOB_PHASE_INACTIVE;
	len = bo_dfu_persist_load(&srv->persist, buf, sizeof(buf), &tag);
	if (len < 0 || tag != REC_TAG)
		return BO_BLOB_PHASE_INACTIVE;
	bo_wire_reader_init(&r, buf, (size_t)len);
	rec_phase = bo_wire_get_u8(&r);
	srv->x.id = bo_wire_get_le64(&r);
	srv->x.size = bo_wire_get_le32(&r);
	srv->x.block_size_log = bo_wire_get_u8(&r);
	srv->x.mode = bo_wire_get_u8(&r);
	srv->x.mtu = bo_wire_get_le16(&r);
	srv->x.timeout_base = bo_wire_get_le16(&r);
	srv->x.ttl = bo_wire_get_u8(&r);
	srv->x.app_idx = bo_wire_get_le16(&r);
	srv->x.cli = bo_wire_get_le16(&r);
	aoff = bo_wire_get_le32(&r);
	asize = bo_wire_get_le32(&r);
	if (r.err != BO_DFU_OK || rec_phase == REC_INACTIVE)
		goto inactive;
	if (rec_phase == REC_ACTIVE || rec_phase == REC_COMPLETE) {
		const uint8_t *bm;

		if (srv->x.block_size_log < BO_BLOB_BLOCK_SIZE_LOG_MIN ||
		    srv->x.block_size_log > 31 || srv->x.size == 0 ||
		    (srv->x.mode != BO_BLOB_MODE_PUSH && srv->x.mode != BO_BLOB_MODE_PULL))
			goto inactive;
		n = block_count(srv);
		if (n > BO_BLOB_SRV_BLOCKS_MAX)
			goto inactive;
		bm = bo_wire_get_bytes(&r, bo_blob_bitmap_bytes(n));
		if (!bm || bo_wire_end(&r) != BO_DFU_OK)
			goto inactive;
		memset(srv->x.blocks, 0, sizeof(srv->x.blocks));
		memcpy(srv->x.blocks, bm, bo_blob_bitmap_bytes(n));
		if (!bo_blob_bitmap_valid(srv->x.blocks, bo_blob_bitmap_bytes(n), n))
			goto inactive;
	} else if (rec_phase != REC_WAITING) {
		goto inactive;
	}
	/* where the BLOB goes */
	if (srv->cfg.cb.recover) {
		area = srv->cfg.storage;
		if (srv->cfg.cb.recover(srv->cfg.cb.ctx, srv, srv->x.id, aoff, asize, &area) != 0)
			goto abandon;
	} else if (srv->cfg.storage.off == aoff && srv->cfg.storage.size == asize) {
		area = srv->cfg.storage;
	} else {
		goto abandon;
	}
	if (!area.flash || srv->x.size > max_blob(srv, &area))
		goto abandon;
	srv->area = area;
	clear_block(srv);
	switch (rec_phase) {
	case REC_WAITING:
		srv->phase = BO_BLOB_PHASE_WAITING_FOR_START;
		srv->x.mode = BO_BLOB_MODE_NONE;
		timer_arm(srv, BO_BLOB_SRV_TIMER_RX, bo_blob_srv_timeout_us(srv->x.timeout_base));
		break;
	case REC_COMPLETE:
		if (!all_received(srv))
			goto abandon; /* never claim a BLOB we did not store */
		srv->phase = BO_BLOB_PHASE_COMPLETE;
		break;
	default:
		if (all_received(srv)) {
			/* cut before the COMPLETE record: every block is stored */
			srv->phase = BO_BLOB_PHASE_COMPLETE;
			store_state(srv);
			break;
		}
		srv->phase = BO_BLOB_PHASE_SUSPENDED;
		break;
	}
	return srv->phase;
abandon:
	go_inactive(srv);
	persist(srv, REC_INACTIVE);
	return BO_BLOB_PHASE_INACTIVE;
inactive:
	go_inactive(srv);
	srv->x.id = 0;
	srv->x.size = 0;
	return BO_BLOB_PHASE_INACTIVE;
}

bool bo_blob_srv_is_busy(const struct bo_blob_srv *srv)
{
	return srv->phase == BO_BLOB_PHASE_WAITING_FOR_START ||
	       srv->phase == BO_BLOB_PHASE_WAITING_FOR_BLOCK ||
	       srv->phase == BO_BLOB_PHASE_WAITING_FOR_CHUNK;
}

int bo_blob_srv_prepare(struct bo_blob_srv *srv, uint64_t id, uint8_t ttl,
			uint16_t timeout_base, const struct bo_flash_area *area)
{
	if (bo_blob_srv_is_busy(srv))
		return -1;
	if (area && !area->flash)
		return -1;
	timer_cancel(srv, BO_BLOB_SRV_TIMER_REPORT);
	srv->area = area ? *area : srv->cfg.storage;
	srv->x.id = id;
	srv->x.ttl = ttl;
	srv->x.timeout_base = timeout_base;
	srv->x.mode = BO_BLOB_MODE_NONE;
	srv->x.size = 0;
	srv->x.cli = BO_MESH_ADDR_UNASSIGNED;
	clear_block(srv);
	srv->phase = BO_BLOB_PHASE_WAITING_FOR_START;
	store_state(srv);
	timer_arm(srv, BO_BLOB_SRV_TIMER_RX, bo_blob_srv_start_timeout_us(timeout_base));
	return 0;
}

int bo_blob_srv_cancel(struct bo_blob_srv *srv)
{
	if (!bo_blob_srv_is_busy(srv))
		return -1;
	cancel(srv);
	return 0;
}

void bo_blob_srv_reset(struct bo_blob_srv *srv)
{
	go_inactive(srv);
	persist(srv, REC_INACTIVE);
}

int bo_blob_srv_handle(struct bo_blob_srv *srv, const struct bo_mesh_rx *rx, uint32_t opcode,
		       const uint8_t *payload, size_t len)
{
	switch (opcode) {
	case BO_OP_BLOB_XFER_GET:
		if (bo_dfu_empty_decode(payload, len) == 0)
			handle_xfer_get(srv, rx);
		return 1;
	case BO_OP_BLOB_XFER_START: {
		struct bo_blob_xfer_start m;

		if (bo_blob_xfer_start_decode(payload, len, &m) == 0)
			handle_xfer_start(srv, rx, &m);
		return 1;
	}
	case BO_OP_BLOB_XFER_CANCEL: {
		struct bo_blob_xfer_cancel m;

		if (bo_blob_xfer_cancel_decode(payload, len, &m) == 0)
			handle_xfer_cancel(srv, rx, &m);
		return 1;
	}
	case BO_OP_BLOB_BLOCK_START: {
		struct bo_blob_block_start m;

		if (bo_blob_block_start_decode(payload, len, &m) == 0)
			handle_block_start(srv, rx, &m);
		return 1;
	}
	case BO_OP_BLOB_BLOCK_GET:
		if (bo_dfu_empty_decode(payload, len) == 0)
			handle_block_get(srv, rx);
		return 1;
	case BO_OP_BLOB_CHUNK: {
		struct bo_blob_chunk m;

		if (bo_blob_chunk_decode(payload, len, &m) == 0)
			handle_chunk(srv, &m);
		return 1;
	}
	case BO_OP_BLOB_INFO_GET:
		if (bo_dfu_empty_decode(payload, len) == 0)
			handle_info_get(srv, rx);
		return 1;
	default:
		return 0;
	}
}

int bo_blob_srv_timer(struct bo_blob_srv *srv, uint32_t timer_id)
{
	if (timer_id == srv->cfg.timer_base + BO_BLOB_SRV_TIMER_RX) {
		if (srv->phase == BO_BLOB_PHASE_WAITING_FOR_START)
			cancel(srv);
		else if (pull_complete(srv))
			end(srv);
		else if (srv->phase == BO_BLOB_PHASE_WAITING_FOR_BLOCK ||
			 srv->phase == BO_BLOB_PHASE_WAITING_FOR_CHUNK)
			suspend(srv);
		return 1;
	}
	if (timer_id == srv->cfg.timer_base + BO_BLOB_SRV_TIMER_REPORT) {
		if ((srv->phase == BO_BLOB_PHASE_WAITING_FOR_CHUNK ||
		     srv->phase == BO_BLOB_PHASE_WAITING_FOR_BLOCK) &&
		    srv->x.mode == BO_BLOB_MODE_PULL) {
			block_report(srv);
			timer_arm(srv, BO_BLOB_SRV_TIMER_REPORT, BO_BLOB_REPORT_TIMEOUT_US);
		}
		return 1;
	}
	return 0;
}

uint8_t bo_blob_srv_progress(const struct bo_blob_srv *srv)
{
	uint32_t total, missing;

	if (srv->phase == BO_BLOB_PHASE_INACTIVE || srv->phase == BO_BLOB_PHASE_WAITING_FOR_START)
		return 0;
	total = block_count(srv);
	if (!total)
		return 0;
	missing = bo_blob_bitmap_count(srv->x.blocks, sizeof(srv->x.blocks), total);
	return (uint8_t)(100u * (total - missing) / total);
}

void bo_blob_srv_info(const struct bo_blob_srv *srv, struct bo_blob_info_status *out)
{
	const struct bo_blob_srv_caps *c = &srv->cfg.caps;

	out->min_block_size_log = c->min_block_size_log;
	out->max_block_size_log = c->max_block_size_log;
	out->max_chunks = c->max_chunks;
	out->max_chunk_size = c->max_chunk_size;
	out->max_size = max_blob(srv, &srv->area);
	out->mtu = c->mtu;
	out->modes = c->modes;
}
