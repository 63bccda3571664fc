/*
 * core/dfu/dfu_srv.c: Firmware Update Server (see dfu_srv.h).
 */
#include "core/dfu/dfu_srv.h"

#include <string.h>

#include "core/dfu/metadata.h"
#include "core/dfu/wire.h"

#define REC_TAG 0x4655u /* "UF" */
#define REC_VERSION 1u
#define REC_F_VERSION 0x01u
#define REC_F_UNPROV 0x02u

void bo_dfu_fwid_from_version(const struct bo_image_version *v, uint8_t fwid[BO_DFU_FWID_LEN])
{
	fwid[0] = v->major;
	fwid[1] = v->minor;
	fwid[2] = (uint8_t)(v->revision & 0xffu);
	fwid[3] = (uint8_t)(v->revision >> 8);
	fwid[4] = (uint8_t)(v->build & 0xffu);
	fwid[5] = (uint8_t)((v->build >> 8) & 0xffu);
	fwid[6] = (uint8_t)((v->build >> 16) & 0xffu);
	fwid[7] = (uint8_t)(v->build >> 24);
}

/* ---- persistence ---------------------------------------------------------------------- */

static void store(struct bo_dfu_srv *srv)
{
	uint8_t buf[BO_DFU_SRV_REC_LEN];
	struct bo_wire_writer w;
	const struct bo_dfu_srv_update *u = &srv->u;

	if (srv->persist_ok != 0)
		return;
	memset(buf, 0, sizeof(buf));
	bo_wire_writer_init(&w, buf, sizeof(buf));
	bo_wire_put_u8(&w, REC_VERSION);
	bo_wire_put_u8(&w, u->phase);
	bo_wire_put_u8(&w, u->effect);
	bo_wire_put_u8(&w, u->img_idx);
	bo_wire_put_u8(&w, u->ttl);
	bo_wire_put_u8(&w, (uint8_t)((u->have_version ? REC_F_VERSION : 0u) |
				     (u->unprov ? REC_F_UNPROV : 0u)));
	bo_wire_put_le16(&w, u->timeout_base);
	bo_wire_put_le64(&w, u->blob_id);
	bo_wire_put_u8(&w, u->md_status);
	bo_wire_put_u8(&w, u->md_effect);
	bo_wire_put_u8(&w, u->version.major);
	bo_wire_put_u8(&w, u->version.minor);
	bo_wire_put_le16(&w, u->version.revision);
	bo_wire_put_le32(&w, u->version.build);
	if (bo_wire_writer_result(&w) < 0)
		return;
	if (bo_dfu_persist_write(&srv->persist, REC_TAG, buf, sizeof(buf)) == 0)
		srv->writes++;
}

static int load(struct bo_dfu_srv *srv)
{
	uint8_t buf[BO_DFU_SRV_REC_LEN];
	struct bo_wire_reader r;
	struct bo_dfu_srv_update u;
	uint16_t tag;
	uint8_t flags;
	int len;

	if (srv->persist_ok != 0)
		return -1;
	len = bo_dfu_persist_load(&srv->persist, buf, sizeof(buf), &tag);
	if (len != (int)sizeof(buf) || tag != REC_TAG)
		return -1;
	memset(&u, 0, sizeof(u));
	bo_wire_reader_init(&r, buf, sizeof(buf));
	if (bo_wire_get_u8(&r) != REC_VERSION)
		return -1;
	u.phase = bo_wire_get_u8(&r);
	u.effect = bo_wire_get_u8(&r);
	u.img_idx = bo_wire_get_u8(&r);
	u.ttl = bo_wire_get_u8(&r);
	flags = bo_wire_get_u8(&r);
	u.timeout_base = bo_wire_get_le16(&r);
	u.blob_id = bo_wire_get_le64(&r);
	u.md_status = bo_wire_get_u8(&r);
	u.md_effect = bo_wire_get_u8(&r);
	u.version.major = bo_wire_get_u8(&r);
	u.version.minor = bo_wire_get_u8(&r);
	u.version.revision = bo_wire_get_le16(&r);
	u.version.build = bo_wire_get_le32(&r);
	if (r.err != BO_DFU_OK ||
	    (u.phase > BO_DFU_PHASE_TRANSFER_CANCELED && u.phase != BO_DFU_PHASE_APPLY_FAIL) ||
	    u.effect > BO_DFU_EFFECT_UNPROV || u.img_idx >= BO_DFU_SRV_IMG_COUNT)
		return -1;
	u.have_version = (flags & REC_F_VERSION) ? 1u : 0u;
	u.unprov = (flags & REC_F_UNPROV) ? 1u : 0u;
	srv->u = u;
	return 0;
}

static void set_phase(struct bo_dfu_srv *srv, enum bo_dfu_phase phase)
{
	srv->u.phase = (uint8_t)phase;
	store(srv);
	if (srv->cfg.cb.phase)
		srv->cfg.cb.phase(srv->cfg.cb.ctx, srv, phase);
}

/* ---- messages out --------------------------------------------------------------------- */

static void send(struct bo_dfu_srv *srv, const struct bo_mesh_rx *rx, uint32_t opcode,
		 const uint8_t *buf, int len)
{
	struct bo_mesh_tx tx = {0};

	if (len < 0)
		return;
	tx.dst = rx->src;
	tx.app_idx = rx->app_idx;
	/* while it holds an update, with the update's TTL (as Zephyr's server does): the
	 * Distributor chose it to reach this Target */
	tx.ttl = srv->u.phase == BO_DFU_PHASE_IDLE ? BO_MESH_TTL_DEFAULT : srv->u.ttl;
	(void)srv->cfg.mesh->send(srv->cfg.mesh->ctx, &tx, opcode, buf, (size_t)len);
}

static void update_status(struct bo_dfu_srv *srv, const struct bo_mesh_rx *rx,
			  enum bo_dfu_status status)
{
	struct bo_dfu_update_status m;
	uint8_t buf[16];

	memset(&m, 0, sizeof(m));
	m.status = (uint8_t)status;
	m.phase = srv->u.phase;
	if (m.phase == BO_DFU_PHASE_APPLY_FAIL) /* the wire's phase has 3 bits (0-7) */
		m.phase = BO_DFU_PHASE_VERIFY_FAIL;
	if (m.phase != BO_DFU_PHASE_IDLE) {
		m.ttl = srv->u.ttl;
		m.effect = srv->u.effect;
		m.timeout_base = srv->u.timeout_base;
		m.blob_id = srv->u.blob_id;
		m.img_idx = srv->u.img_idx;
	}
	send(srv, rx, BO_OP_DFU_UPDATE_STATUS, buf,
	     bo_dfu_update_status_encode(&m, buf, sizeof(buf)));
}

/* ---- handlers ------------------------------------------------------------------------- */

static void handle_info_get(struct bo_dfu_srv *srv, const struct bo_mesh_rx *rx,
			    const uint8_t *p, size_t len)
{
	struct bo_dfu_info_get g;
	struct bo_dfu_info_status st;
	struct bo_dfu_img_entry e;
	uint8_t fwid[BO_DFU_FWID_LEN];
	uint8_t buf[4 + BO_DFU_FWID_LEN + BO_DFU_URI_MAXLEN];

	if (bo_dfu_info_get_decode(p, len, &g) != BO_DFU_OK)
		return;
	/* Zephyr's server is silent while applying: its FWID is about to change, and an
	 * answer with the old one would make a Zephyr Distributor mark us failed */
	if (srv->u.phase == BO_DFU_PHASE_APPLYING)
		return;
	bo_dfu_fwid_from_version(&srv->cfg.running, fwid);
	e.fwid = fwid;
	e.fwid_len = sizeof(fwid);
	e.uri = srv->cfg.uri;
	e.uri_len = srv->cfg.uri ? srv->cfg.uri_len : 0;
	memset(&st, 0, sizeof(st));
	st.count = BO_DFU_SRV_IMG_COUNT;
	st.first = g.first;
	st.imgs = &e;
	st.n_imgs = (g.first < BO_DFU_SRV_IMG_COUNT && g.limit > 0) ? 1u : 0u;
	send(srv, rx, BO_OP_DFU_INFO_STATUS, buf, bo_dfu_info_status_encode(&st, buf, sizeof(buf)));
}

/* The application's verdict on metadata: SUCCESS or ERR_METADATA, and the effect. */
static enum bo_dfu_status check_metadata(struct bo_dfu_srv *srv, uint8_t idx,
					 const uint8_t *md, size_t len,
					 enum bo_dfu_effect *effect)
{
	*effect = BO_DFU_EFFECT_NONE;
	if (srv->cfg.cb.metadata_check &&
	    srv->cfg.cb.metadata_check(srv->cfg.cb.ctx, srv, idx, md, len, effect) != 0) {
		*effect = BO_DFU_EFFECT_NONE;
		return BO_DFU_ERR_METADATA;
	}
	if ((unsigned)*effect > BO_DFU_EFFECT_UNPROV)
		*effect = BO_DFU_EFFECT_NONE;
	return BO_DFU_SUCCESS;
}

static void handle_metadata_check(struct bo_dfu_srv *srv, const struct bo_mesh_rx *rx,
				  const uint8_t *p, size_t len)
{
	struct bo_dfu_metadata_check c;
	struct bo_dfu_metadata_status st;
	enum bo_dfu_effect effect = BO_DFU_EFFECT_NONE;
	enum bo_dfu_status status;
	uint8_t buf[4];

	if (bo_dfu_metadata_check_decode(p, len, &c) != BO_DFU_OK)
		return;
	if (c.img_idx >= BO_DFU_SRV_IMG_COUNT)
		status = BO_DFU_ERR_FW_IDX;
	else
		status = check_metadata(srv, c.img_idx, c.metadata, c.metadata_len, &effect);
	if (srv->u.md_status != (uint8_t)status || srv->u.md_effect != (uint8_t)effect) {
		srv->u.md_status = (uint8_t)status;
		srv->u.md_effect = (uint8_t)effect;
		store(srv);
	}
	st.status = (uint8_t)status;
	st.effect = (uint8_t)effect;
	st.img_idx = c.img_idx;
	send(srv, rx, BO_OP_DFU_METADATA_STATUS, buf,
	     bo_dfu_metadata_status_encode(&st, buf, sizeof(buf)));
}

static bool same_start(const struct bo_dfu_srv *srv, const struct bo_dfu_update_start *s)
{
	return s->blob_id == srv->u.blob_id && s->img_idx == srv->u.img_idx &&
	       s->ttl == srv->u.ttl && s->timeout_base == srv->u.timeout_base;
}

static enum bo_dfu_status start(struct bo_dfu_srv *srv, const struct bo_dfu_update_start *s)
{
	enum bo_dfu_phase ph = (enum bo_dfu_phase)srv->u.phase;
	enum bo_dfu_effect effect;
	enum bo_dfu_status status;
	struct bo_dfu_metadata md;

	if (ph == BO_DFU_PHASE_APPLYING)
		return BO_DFU_ERR_WRONG_PHASE;
	if (s->img_idx >= BO_DFU_SRV_IMG_COUNT)
		return BO_DFU_ERR_FW_IDX;
	switch (ph) {
	case BO_DFU_PHASE_TRANSFER_ACTIVE:
	case BO_DFU_PHASE_VERIFY:
		return same_start(srv, s) ? BO_DFU_SUCCESS : BO_DFU_ERR_BLOB_XFER_BUSY;
	case BO_DFU_PHASE_VERIFY_OK:
		return same_start(srv, s) ? BO_DFU_SUCCESS : BO_DFU_ERR_WRONG_PHASE;
	case BO_DFU_PHASE_VERIFY_FAIL:
		/* a new BLOB ID begins a new update, as in Zephyr (whose Distributor never sends
		 * the Cancel we used to need first) */
		if (same_start(srv, s))
			return BO_DFU_SUCCESS;
		if (s->blob_id == srv->u.blob_id)
			return BO_DFU_ERR_WRONG_PHASE;
		bo_blob_srv_reset(&srv->blob); /* what the Cancel did: the old BLOB is done */
		break;
	case BO_DFU_PHASE_TRANSFER_ERR:
		/* suspended transfer: the same Start lets the BLOB client resume it */
		if (same_start(srv, s) && bo_blob_srv_phase(&srv->blob) == BO_BLOB_PHASE_SUSPENDED)
			return BO_DFU_SUCCESS;
		break;
	default:
		break;
	}
	if (bo_blob_srv_is_busy(&srv->blob))
		return BO_DFU_ERR_BLOB_XFER_BUSY;
	status = check_metadata(srv, s->img_idx, s->metadata, s->metadata_len, &effect);
	srv->u.md_status = (uint8_t)status;
	srv->u.md_effect = (uint8_t)effect;
	if (status != BO_DFU_SUCCESS) {
		store(srv);
		return status;
	}
	if (bo_blob_srv_prepare(&srv->blob, s->blob_id, s->ttl, s->timeout_base, NULL) != 0)
		return BO_DFU_ERR_BLOB_XFER_BUSY;
	srv->u.effect = (uint8_t)effect;
	srv->u.img_idx = s->img_idx;
	srv->u.ttl = s->ttl;
	srv->u.timeout_base = s->timeout_base;
	srv->u.blob_id = s->blob_id;
	srv->u.have_version = 0;
	memset(&srv->u.version, 0, sizeof(srv->u.version));
	if (bo_dfu_metadata_decode(s->metadata, s->metadata_len, &md) == BO_DFU_OK) {
		srv->u.have_version = 1;
		srv->u.version.major = md.major;
		srv->u.version.minor = md.minor;
		srv->u.version.revision = md.revision;
		srv->u.version.build = md.build;
	}
	srv->applied = false;
	set_phase(srv, BO_DFU_PHASE_TRANSFER_ACTIVE);
	return BO_DFU_SUCCESS;
}

static void handle_start(struct bo_dfu_srv *srv, const struct bo_mesh_rx *rx, const uint8_t *p,
			 size_t len)
{
	struct bo_dfu_update_start s;

	if (bo_dfu_update_start_decode(p, len, &s) != BO_DFU_OK)
		return;
	update_status(srv, rx, start(srv, &s));
}

static void handle_cancel(struct bo_dfu_srv *srv, const struct bo_mesh_rx *rx)
{
	enum bo_dfu_phase ph = (enum bo_dfu_phase)srv->u.phase;

	if (ph == BO_DFU_PHASE_APPLYING) {
		update_status(srv, rx, BO_DFU_ERR_WRONG_PHASE);
		return;
	}
	if (ph != BO_DFU_PHASE_IDLE) {
		srv->cfg.mesh->timer_cancel(srv->cfg.mesh->ctx,
					    srv->cfg.timer_base + BO_DFU_SRV_TIMER_VERIFY);
		bo_blob_srv_reset(&srv->blob);
		set_phase(srv, BO_DFU_PHASE_IDLE);
	}
	update_status(srv, rx, BO_DFU_SUCCESS);
}

static void handle_apply(struct bo_dfu_srv *srv, const struct bo_mesh_rx *rx)
{
	uint32_t delay = srv->cfg.apply_delay_us ? srv->cfg.apply_delay_us
						 : BO_DFU_SRV_APPLY_DELAY_US;

	if (srv->u.phase == BO_DFU_PHASE_APPLYING) {
		update_status(srv, rx, BO_DFU_SUCCESS);
		return;
	}
	if (srv->u.phase != BO_DFU_PHASE_VERIFY_OK) { /* APPLY_FAIL included */
		update_status(srv, rx, BO_DFU_ERR_WRONG_PHASE);
		return;
	}
	set_phase(srv, BO_DFU_PHASE_APPLYING);
	update_status(srv, rx, BO_DFU_SUCCESS);
	srv->cfg.mesh->timer_arm(srv->cfg.mesh->ctx, srv->cfg.timer_base + BO_DFU_SRV_TIMER_APPLY,
				 delay);
}

/* The messages a Firmware Update or BLOB Transfer server takes (not the statuses). */
static int server_opcode(uint32_t opcode)
{
	switch (opcode) {
	case BO_OP_BLOB_XFER_GET:
	case BO_OP_BLOB_XFER_START:
	case BO_OP_BLOB_XFER_CANCEL:
	case BO_OP_BLOB_BLOCK_START:
	case BO_OP_BLOB_BLOCK_GET:
	case BO_OP_BLOB_INFO_GET:
	case BO_OP_BLOB_CHUNK:
	case BO_OP_DFU_INFO_GET:
	case BO_OP_DFU_METADATA_CHECK:
	case BO_OP_DFU_UPDATE_GET:
	case BO_OP_DFU_UPDATE_START:
	case BO_OP_DFU_UPDATE_CANCEL:
	case BO_OP_DFU_UPDATE_APPLY:
		return 1;
	default:
		return 0;
	}
}

int bo_dfu_srv_handle(struct bo_dfu_srv *srv, const struct bo_mesh_rx *rx, uint32_t opcode,
		      const uint8_t *payload, size_t len)
{
	if (srv->u.unprov) /* unprovisioned: silent; what a server would take is dropped */
		return server_opcode(opcode);
	if (opcode < BO_OP_DFU_INFO_GET || opcode > BO_OP_DFU_UPDATE_STATUS)
		return bo_blob_srv_handle(&srv->blob, rx, opcode, payload, len);
	switch (opcode) {
	case BO_OP_DFU_INFO_GET:
		handle_info_get(srv, rx, payload, len);
		break;
	case BO_OP_DFU_METADATA_CHECK:
		handle_metadata_check(srv, rx, payload, len);
		break;
	case BO_OP_DFU_UPDATE_GET:
		if (len == 0)
			update_status(srv, rx, BO_DFU_SUCCESS);
		break;
	case BO_OP_DFU_UPDATE_START:
		handle_start(srv, rx, payload, len);
		break;
	case BO_OP_DFU_UPDATE_CANCEL:
		if (len == 0)
			handle_cancel(srv, rx);
		break;
	case BO_OP_DFU_UPDATE_APPLY:
		if (len == 0)
			handle_apply(srv, rx);
		break;
	default: /* statuses: client messages, not for a server */
		return 0;
	}
	return 1;
}

/* ---- verification --------------------------------------------------------------------- */

static void verify(struct bo_dfu_srv *srv)
{
	struct bo_image_info info;
	uint32_t limit = srv->cfg.verify_limit ? srv->cfg.verify_limit : srv->cfg.slot.size;
	enum bo_image_err err;

	err = bo_image_verify(&srv->cfg.slot, limit, srv->cfg.crypto, srv->cfg.keys, &info);
	if (err == BO_IMG_OK && srv->u.have_version &&
	    bo_version_cmp(&info.hdr.version, &srv->u.version) != 0)
		err = BO_IMG_E_BAD_HEADER; /* not the image the metadata announced */
	srv->verify_err = err;
	if (err == BO_IMG_OK) {
		srv->u.version = info.hdr.version;
		srv->u.have_version = 1;
		set_phase(srv, BO_DFU_PHASE_VERIFY_OK);
	} else {
		set_phase(srv, BO_DFU_PHASE_VERIFY_FAIL);
	}
	if (srv->cfg.cb.verified)
		srv->cfg.cb.verified(srv->cfg.cb.ctx, srv, err);
}

static void start_verify(struct bo_dfu_srv *srv)
{
	set_phase(srv, BO_DFU_PHASE_VERIFY);
	/* out of the BLOB server's handler: the verification reads the whole image */
	srv->cfg.mesh->timer_arm(srv->cfg.mesh->ctx, srv->cfg.timer_base + BO_DFU_SRV_TIMER_VERIFY,
				 0);
}

int bo_dfu_srv_timer(struct bo_dfu_srv *srv, uint32_t timer_id)
{
	if (timer_id == srv->cfg.timer_base + BO_DFU_SRV_TIMER_VERIFY) {
		if (srv->u.phase == BO_DFU_PHASE_VERIFY)
			verify(srv);
		return 1;
	}
	if (timer_id == srv->cfg.timer_base + BO_DFU_SRV_TIMER_APPLY) {
		if (srv->u.phase == BO_DFU_PHASE_APPLYING && srv->cfg.cb.apply)
			srv->cfg.cb.apply(srv->cfg.cb.ctx, srv);
		return 1;
	}
	return bo_blob_srv_timer(&srv->blob, timer_id);
}

/* ---- BLOB server callbacks ------------------------------------------------------------ */

static struct bo_dfu_srv *owner(void *ctx)
{
	return (struct bo_dfu_srv *)ctx;
}

static void blob_complete(void *ctx, struct bo_blob_srv *b, uint64_t id)
{
	struct bo_dfu_srv *srv = owner(ctx);

	(void)b;
	if (id != srv->u.blob_id || (srv->u.phase != BO_DFU_PHASE_TRANSFER_ACTIVE &&
				     srv->u.phase != BO_DFU_PHASE_TRANSFER_ERR))
		return;
	start_verify(srv);
}

static void blob_suspended(void *ctx, struct bo_blob_srv *b)
{
	struct bo_dfu_srv *srv = owner(ctx);

	(void)b;
	if (srv->u.phase == BO_DFU_PHASE_TRANSFER_ACTIVE)
		set_phase(srv, BO_DFU_PHASE_TRANSFER_ERR);
}

static void blob_resumed(void *ctx, struct bo_blob_srv *b)
{
	struct bo_dfu_srv *srv = owner(ctx);

	(void)b;
	if (srv->u.phase == BO_DFU_PHASE_TRANSFER_ERR)
		set_phase(srv, BO_DFU_PHASE_TRANSFER_ACTIVE);
}

static void blob_cancelled(void *ctx, struct bo_blob_srv *b, uint64_t id)
{
	struct bo_dfu_srv *srv = owner(ctx);

	(void)b;
	if (id == srv->u.blob_id && (srv->u.phase == BO_DFU_PHASE_TRANSFER_ACTIVE ||
				     srv->u.phase == BO_DFU_PHASE_TRANSFER_ERR))
		set_phase(srv, BO_DFU_PHASE_TRANSFER_CANCELED);
}

static int blob_start(void *ctx, struct bo_blob_srv *b, uint64_t id)
{
	struct bo_dfu_srv *srv = owner(ctx);

	(void)b;
	/* only the transfer an Update Start announced */
	return (id == srv->u.blob_id && srv->u.phase == BO_DFU_PHASE_TRANSFER_ACTIVE) ? 0 : -1;
}

/* ---- life cycle ----------------------------------------------------------------------- */

void bo_dfu_srv_init(struct bo_dfu_srv *srv, const struct bo_dfu_srv_config *cfg)
{
	struct bo_blob_srv_config bc;

	memset(srv, 0, sizeof(*srv));
	srv->cfg = *cfg;
	bc = cfg->blob;
	/* The largest BLOB stops before the slot's trailer (its meta sector, or with a status
	 * partition the trailer fields that share the last sector with the image): a download
	 * that reached it could pre-set the bootloader's flags (refused as BLOB too large).
	 * The storage keeps the whole slot, so a block erases the whole sector it is in. */
	if (cfg->verify_limit && bc.storage.size > cfg->verify_limit)
		bc.max_size = cfg->verify_limit;
	memset(&bc.cb, 0, sizeof(bc.cb));
	bc.cb.ctx = srv;
	bc.cb.start = blob_start;
	bc.cb.complete = blob_complete;
	bc.cb.suspended = blob_suspended;
	bc.cb.resumed = blob_resumed;
	bc.cb.cancelled = blob_cancelled;
	srv->cfg.blob = bc;
	bo_blob_srv_init(&srv->blob, &bc);
	srv->persist_ok = bo_dfu_persist_init(&srv->persist, &cfg->state, BO_DFU_SRV_REC_LEN);
	srv->u.phase = BO_DFU_PHASE_IDLE;
	srv->u.md_status = BO_DFU_SUCCESS;
	srv->verify_err = BO_IMG_OK;
}

enum bo_dfu_phase bo_dfu_srv_restore(struct bo_dfu_srv *srv)
{
	int bphase = bo_blob_srv_restore(&srv->blob);

	if (load(srv) != 0) {
		srv->u.phase = BO_DFU_PHASE_IDLE;
		if (bphase != BO_BLOB_PHASE_INACTIVE)
			bo_blob_srv_reset(&srv->blob);
		return BO_DFU_PHASE_IDLE;
	}
	switch (srv->u.phase) {
	case BO_DFU_PHASE_TRANSFER_ACTIVE:
	case BO_DFU_PHASE_TRANSFER_ERR:
		if (bphase == BO_BLOB_PHASE_COMPLETE && srv->blob.x.id == srv->u.blob_id) {
			start_verify(srv);
		} else if (bphase == BO_BLOB_PHASE_INACTIVE || srv->blob.x.id != srv->u.blob_id) {
			/* cut before the BLOB server persisted its start: expect it again */
			if (bphase != BO_BLOB_PHASE_INACTIVE)
				bo_blob_srv_reset(&srv->blob);
			if (bo_blob_srv_prepare(&srv->blob, srv->u.blob_id, srv->u.ttl,
						srv->u.timeout_base, NULL) != 0)
				set_phase(srv, BO_DFU_PHASE_TRANSFER_ERR);
		}
		/* SUSPENDED / WAITING_FOR_START: the client's Transfer Start resumes it */
		break;
	case BO_DFU_PHASE_VERIFY:
		start_verify(srv);
		break;
	case BO_DFU_PHASE_IDLE:
	case BO_DFU_PHASE_APPLY_FAIL:
	case BO_DFU_PHASE_TRANSFER_CANCELED:
	case BO_DFU_PHASE_VERIFY_OK:
	case BO_DFU_PHASE_VERIFY_FAIL:
		/* a cut after the BLOB server stored a start and before our record did: no
		 * update expects that transfer */
		if (bphase == BO_BLOB_PHASE_WAITING_FOR_START || bphase == BO_BLOB_PHASE_SUSPENDED)
			bo_blob_srv_reset(&srv->blob);
		break;
	case BO_DFU_PHASE_APPLYING:
		if (!srv->u.have_version ||
		    bo_version_cmp(&srv->cfg.running, &srv->u.version) != 0) {
			if (srv->cfg.boot_reverted) {
				/* the bootloader tried the image and went back (reverted it, or
				 * fell to the recovery image): the apply failed, for good */
				set_phase(srv, BO_DFU_PHASE_APPLY_FAIL);
				break;
			}
			/* the cut came before the upgrade request reached the bootloader, or it
			 * refused it: verify the slot again (VERIFY_OK if the image is still
			 * there, so Apply can be repeated; VERIFY_FAIL otherwise) */
			start_verify(srv);
			break;
		}
		/* the new image runs: APPLYING until the application reports it applied (it
		 * confirmed the image), as Zephyr's bt_mesh_dfu_srv_applied() */
		srv->await_applied = true;
		if (srv->cfg.applied_at_restore)
			(void)bo_dfu_srv_applied(srv);
		break;
	default:
		break;
	}
	return (enum bo_dfu_phase)srv->u.phase;
}

int bo_dfu_srv_applied(struct bo_dfu_srv *srv)
{
	if (!srv->await_applied || srv->u.phase != BO_DFU_PHASE_APPLYING)
		return -1;
	srv->await_applied = false;
	srv->applied = true;
	if (srv->u.effect == BO_DFU_EFFECT_UNPROV)
		srv->u.unprov = 1;
	bo_blob_srv_reset(&srv->blob);
	set_phase(srv, BO_DFU_PHASE_IDLE);
	return 0;
}

void bo_dfu_srv_provisioned(struct bo_dfu_srv *srv)
{
	if (srv->u.unprov) {
		srv->u.unprov = 0;
		store(srv);
	}
}
