/*
 * core/dfu/dfd_srv.c: Firmware Distribution Server (see dfd_srv.h).
 */
#include "core/dfu/dfd_srv.h"

#include <string.h>

#include "core/dfu/msg.h"
#include "core/dfu/wire.h"

#define REC_TAG 0x4444u      /* "DD": distribution, receivers, upload */
#define SLOT_TAG 0x5344u     /* "DS": one image slot */
#define REC_VERSION 2u /* 2: the receiver count is 16-bit (lists over 255) */
#define REC_F_PARAMS 0x01u
#define REC_FIXED_LEN 38u
#define REC_MAX (REC_FIXED_LEN + 5u * BO_DFD_SRV_RECEIVERS_MAX)
#define SLOT_REC_LEN (8u + BO_DFU_FWID_MAXLEN + BO_DFU_METADATA_MAXLEN)
#define FW_IDX_NONE 0xffffu
/* receivers in one Receivers List message */
#define LIST_MAX (BO_DFD_SRV_RECEIVERS_MAX < BO_DFD_SRV_RECEIVERS_PER_LIST \
		      ? BO_DFD_SRV_RECEIVERS_MAX : BO_DFD_SRV_RECEIVERS_PER_LIST)

_Static_assert(REC_MAX <= BO_DFU_PERSIST_PAYLOAD_MAX, "distribution record too large");
_Static_assert(SLOT_REC_LEN <= BO_DFU_PERSIST_PAYLOAD_MAX, "slot record too large");
_Static_assert(BO_DFD_SRV_SLOTS_MAX < BO_DFD_SRV_NO_SLOT, "slot numbers");

/* ---- persistence ---------------------------------------------------------------------- */

static void store(struct bo_dfd_srv *srv)
{
	uint8_t buf[REC_MAX];
	struct bo_wire_writer w;
	const struct bo_dfd_params *p = &srv->params;
	uint32_t word;

	if (srv->persist_ok != 0)
		return;
	bo_wire_writer_init(&w, buf, sizeof(buf));
	bo_wire_put_u8(&w, REC_VERSION);
	bo_wire_put_u8(&w, srv->phase);
	bo_wire_put_u8(&w, srv->has_params ? REC_F_PARAMS : 0u);
	bo_wire_put_le16(&w, p->app_idx);
	bo_wire_put_u8(&w, p->ttl);
	bo_wire_put_le16(&w, p->timeout_base);
	bo_wire_put_u8(&w, p->mode);
	bo_wire_put_u8(&w, p->policy);
	bo_wire_put_le16(&w, p->slot_idx);
	bo_wire_put_le16(&w, p->group);
	bo_wire_put_le64(&w, p->blob_id);
	bo_wire_put_u8(&w, srv->dist_slot);
	bo_wire_put_u8(&w, srv->upload.phase);
	bo_wire_put_u8(&w, srv->upload.slot);
	bo_wire_put_le64(&w, srv->upload.blob_id);
	bo_wire_put_u8(&w, srv->upload.ttl);
	bo_wire_put_le16(&w, srv->upload.timeout_base);
	bo_wire_put_le16(&w, srv->receiver_count);
	for (uint16_t i = 0; i < srv->receiver_count; i++) {
		if (bo_dfd_target_entry_pack(&srv->receivers[i], &word) != 0)
			return;
		bo_wire_put_le32(&w, word);
		bo_wire_put_u8(&w, srv->receivers[i].img_idx);
	}
	if (w.err != BO_DFU_OK)
		return;
	if (bo_dfu_persist_write(&srv->persist, REC_TAG, buf, w.len) == 0)
		srv->writes++;
}

static int load(struct bo_dfd_srv *srv)
{
	uint8_t buf[REC_MAX];
	struct bo_wire_reader r;
	struct bo_dfd_params p;
	struct bo_dfd_upload u;
	uint8_t phase, flags, dist_slot;
	uint16_t count;
	uint16_t tag;
	int len;

	if (srv->persist_ok != 0)
		return -1;
	len = bo_dfu_persist_load(&srv->persist, buf, sizeof(buf), &tag);
	if (len < (int)REC_FIXED_LEN || tag != REC_TAG)
		return -1;
	bo_wire_reader_init(&r, buf, (size_t)len);
	if (bo_wire_get_u8(&r) != REC_VERSION)
		return -1;
	phase = bo_wire_get_u8(&r);
	flags = bo_wire_get_u8(&r);
	p.app_idx = bo_wire_get_le16(&r);
	p.ttl = bo_wire_get_u8(&r);
	p.timeout_base = bo_wire_get_le16(&r);
	p.mode = bo_wire_get_u8(&r);
	p.policy = bo_wire_get_u8(&r);
	p.slot_idx = bo_wire_get_le16(&r);
	p.group = bo_wire_get_le16(&r);
	p.blob_id = bo_wire_get_le64(&r);
	dist_slot = bo_wire_get_u8(&r);
	u.phase = bo_wire_get_u8(&r);
	u.slot = bo_wire_get_u8(&r);
	u.blob_id = bo_wire_get_le64(&r);
	u.ttl = bo_wire_get_u8(&r);
	u.timeout_base = bo_wire_get_le16(&r);
	count = bo_wire_get_le16(&r);
	if (r.err != BO_DFU_OK || phase > BO_DFD_PHASE_TRANSFER_SUSPENDED ||
	    u.phase > BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS || count > BO_DFD_SRV_RECEIVERS_MAX ||
	    bo_wire_remaining(&r) != 5u * count)
		return -1;
	for (uint16_t i = 0; i < count; i++) {
		uint32_t word = bo_wire_get_le32(&r);
		uint8_t img = bo_wire_get_u8(&r);

		if (bo_dfd_target_entry_unpack(word, img, &srv->receivers[i]) != 0)
			return -1;
	}
	srv->receiver_count = count;
	srv->phase = phase;
	srv->has_params = (flags & REC_F_PARAMS) != 0;
	srv->params = p;
	srv->dist_slot = dist_slot;
	srv->upload = u;
	return 0;
}

static void slot_store(struct bo_dfd_srv *srv, uint8_t i)
{
	uint8_t buf[SLOT_REC_LEN];
	struct bo_wire_writer w;
	const struct bo_dfd_slot *s = &srv->slots[i];

	if (srv->slot_persist_ok[i] != 0)
		return;
	memset(buf, 0, sizeof(buf));
	bo_wire_writer_init(&w, buf, sizeof(buf));
	bo_wire_put_u8(&w, REC_VERSION);
	bo_wire_put_u8(&w, s->state);
	bo_wire_put_le32(&w, s->size);
	bo_wire_put_u8(&w, s->fwid_len);
	bo_wire_put_bytes(&w, s->fwid, sizeof(s->fwid));
	bo_wire_put_u8(&w, s->metadata_len);
	bo_wire_put_bytes(&w, s->metadata, sizeof(s->metadata));
	if (w.err != BO_DFU_OK)
		return;
	if (bo_dfu_persist_write(&srv->slot_persist[i], SLOT_TAG, buf, sizeof(buf)) == 0)
		srv->writes++;
}

static void slot_load(struct bo_dfd_srv *srv, uint8_t i)
{
	uint8_t buf[SLOT_REC_LEN];
	struct bo_wire_reader r;
	struct bo_dfd_slot s;
	uint16_t tag;
	const uint8_t *b;

	memset(&srv->slots[i], 0, sizeof(srv->slots[i]));
	if (srv->slot_persist_ok[i] != 0 ||
	    bo_dfu_persist_load(&srv->slot_persist[i], buf, sizeof(buf), &tag) !=
		    (int)sizeof(buf) ||
	    tag != SLOT_TAG)
		return;
	bo_wire_reader_init(&r, buf, sizeof(buf));
	if (bo_wire_get_u8(&r) != REC_VERSION)
		return;
	s.state = bo_wire_get_u8(&r);
	s.size = bo_wire_get_le32(&r);
	s.fwid_len = bo_wire_get_u8(&r);
	b = bo_wire_get_bytes(&r, sizeof(s.fwid));
	if (b)
		memcpy(s.fwid, b, sizeof(s.fwid));
	s.metadata_len = bo_wire_get_u8(&r);
	b = bo_wire_get_bytes(&r, sizeof(s.metadata));
	if (b)
		memcpy(s.metadata, b, sizeof(s.metadata));
	if (bo_wire_end(&r) != BO_DFU_OK || s.state > BO_DFD_SLOT_COMPLETE ||
	    s.fwid_len > BO_DFU_FWID_MAXLEN || s.metadata_len > BO_DFU_METADATA_MAXLEN ||
	    s.size > srv->cfg.slots[i].image.size)
		return;
	srv->slots[i] = s;
}

/* ---- helpers -------------------------------------------------------------------------- */

static void set_phase(struct bo_dfd_srv *srv, enum bo_dfd_phase phase)
{
	srv->phase = (uint8_t)phase;
	store(srv);
}

/* A distribution the Initiator must cancel or let finish before changing its inputs. */
static bool dist_busy(const struct bo_dfd_srv *srv)
{
	switch (srv->phase) {
	case BO_DFD_PHASE_TRANSFER_ACTIVE:
	case BO_DFD_PHASE_TRANSFER_SUCCESS:
	case BO_DFD_PHASE_APPLYING_UPDATE:
	case BO_DFD_PHASE_TRANSFER_SUSPENDED:
	case BO_DFD_PHASE_CANCELING_UPDATE:
		return true;
	default:
		return false;
	}
}

/* A distribution moving an image (no upload meanwhile). */
static bool dist_transferring(const struct bo_dfd_srv *srv)
{
	return srv->phase == BO_DFD_PHASE_TRANSFER_ACTIVE ||
	       srv->phase == BO_DFD_PHASE_TRANSFER_SUSPENDED ||
	       srv->phase == BO_DFD_PHASE_APPLYING_UPDATE ||
	       srv->phase == BO_DFD_PHASE_CANCELING_UPDATE;
}

static bool slot_free(const struct bo_dfd_srv *srv, uint8_t i)
{
	if (srv->slots[i].state == BO_DFD_SLOT_COMPLETE)
		return false;
	return !(srv->upload.slot == i && (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE ||
					   srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR));
}

uint16_t bo_dfd_srv_fw_count(const struct bo_dfd_srv *srv)
{
	uint16_t n = 0;

	for (uint8_t i = 0; i < srv->cfg.slot_count; i++)
		if (srv->slots[i].state == BO_DFD_SLOT_COMPLETE)
			n++;
	return n;
}

int bo_dfd_srv_fw_slot(const struct bo_dfd_srv *srv, uint16_t idx)
{
	for (uint8_t i = 0; i < srv->cfg.slot_count; i++) {
		if (srv->slots[i].state != BO_DFD_SLOT_COMPLETE)
			continue;
		if (idx == 0)
			return i;
		idx--;
	}
	return -1;
}

/* The Firmware Images List index of a COMPLETE slot with this FWID, or -1. */
static int fw_find(const struct bo_dfd_srv *srv, const uint8_t *fwid, size_t len, uint8_t *slot)
{
	int idx = 0;

	for (uint8_t i = 0; i < srv->cfg.slot_count; i++) {
		const struct bo_dfd_slot *s = &srv->slots[i];

		if (s->state != BO_DFD_SLOT_COMPLETE)
			continue;
		if (s->fwid_len == len && (len == 0 || memcmp(s->fwid, fwid, len) == 0)) {
			if (slot)
				*slot = i;
			return idx;
		}
		idx++;
	}
	return -1;
}

static void set_image(struct bo_dfd_srv *srv)
{
	const struct bo_dfd_slot *s = &srv->slots[srv->dist_slot];

	srv->image.area = srv->cfg.slots[srv->dist_slot].image;
	srv->image.size = s->size;
	srv->image.fwid = s->fwid;
	srv->image.fwid_len = s->fwid_len;
	srv->image.metadata = s->metadata;
	srv->image.metadata_len = s->metadata_len;
}

static int ops_start(struct bo_dfd_srv *srv, bool resume)
{
	const struct bo_dfd_distributor_ops *ops = &srv->cfg.ops;

	set_image(srv);
	if (!ops->start)
		return -1;
	if (ops->start(ops->ctx, srv->receivers, srv->receiver_count, &srv->params, &srv->image,
		       resume) != 0)
		return -1;
	srv->need_restart = false;
	return 0;
}

static int ops_call(struct bo_dfd_srv *srv, int (*fn)(void *ctx))
{
	return fn ? fn(srv->cfg.ops.ctx) : -1;
}

/* ---- messages out --------------------------------------------------------------------- */

static void send(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx, uint32_t opcode,
		 const uint8_t *buf, int len)
{
	struct bo_mesh_tx tx = {0};

	if (len < 0)
		return;
	tx.dst = rx->src;
	tx.app_idx = rx->app_idx;
	tx.ttl = BO_MESH_TTL_DEFAULT;
	(void)srv->cfg.mesh->send(srv->cfg.mesh->ctx, &tx, opcode, buf, (size_t)len);
}

static void receivers_status(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx,
			     enum bo_dfd_status status)
{
	struct bo_dfd_receivers_status m = {.status = (uint8_t)status,
					    .list_count = srv->receiver_count};
	uint8_t buf[4];

	send(srv, rx, BO_OP_DFD_RECEIVERS_STATUS, buf,
	     bo_dfd_receivers_status_encode(&m, buf, sizeof(buf)));
}

static void dist_status(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx,
			enum bo_dfd_status status)
{
	struct bo_dfd_dist_status m;
	uint8_t buf[16];

	memset(&m, 0, sizeof(m));
	m.status = (uint8_t)status;
	m.phase = srv->phase;
	m.has_params = srv->phase != BO_DFD_PHASE_IDLE && srv->has_params;
	if (m.has_params) {
		m.group = srv->params.group;
		m.app_idx = srv->params.app_idx;
		m.ttl = srv->params.ttl;
		m.timeout_base = srv->params.timeout_base;
		m.mode = srv->params.mode;
		m.policy = srv->params.policy;
		m.slot_idx = srv->params.slot_idx;
	}
	send(srv, rx, BO_OP_DFD_STATUS, buf, bo_dfd_dist_status_encode(&m, buf, sizeof(buf)));
}

static uint8_t upload_progress(const struct bo_dfd_srv *srv)
{
	if (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS)
		return 100;
	if (srv->blob.x.id != srv->upload.blob_id)
		return 0;
	return bo_blob_srv_progress(&srv->blob);
}

static void upload_status(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx,
			  enum bo_dfd_status status)
{
	struct bo_dfd_upload_status m;
	uint8_t buf[4 + BO_DFU_FWID_MAXLEN];

	memset(&m, 0, sizeof(m));
	m.status = (uint8_t)status;
	m.phase = srv->upload.phase;
	m.has_progress = srv->upload.phase != BO_DFD_UPLOAD_PHASE_IDLE &&
			 srv->upload.slot < srv->cfg.slot_count;
	if (m.has_progress) {
		const struct bo_dfd_slot *s = &srv->slots[srv->upload.slot];

		m.progress = upload_progress(srv);
		m.fwid = s->fwid;
		m.fwid_len = s->fwid_len;
	}
	send(srv, rx, BO_OP_DFD_UPLOAD_STATUS, buf,
	     bo_dfd_upload_status_encode(&m, buf, sizeof(buf)));
}

static void fw_status(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx,
		      enum bo_dfd_status status, uint16_t idx, const uint8_t *fwid, size_t len)
{
	struct bo_dfd_fw_status m = {.status = (uint8_t)status,
				     .slot_count = bo_dfd_srv_fw_count(srv),
				     .index = idx,
				     .fwid = fwid,
				     .fwid_len = fwid ? len : 0};
	uint8_t buf[8 + BO_DFU_FWID_MAXLEN];

	send(srv, rx, BO_OP_DFD_FW_STATUS, buf, bo_dfd_fw_status_encode(&m, buf, sizeof(buf)));
}

/* ---- receivers ------------------------------------------------------------------------ */

static void handle_receivers_add(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx,
				 const struct bo_dfd_receivers_add *m)
{
	enum bo_dfd_status status = BO_DFD_SUCCESS;
	bool changed = false;

	if (dist_busy(srv)) {
		receivers_status(srv, rx, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION);
		return;
	}
	for (size_t i = 0; i < m->count && status == BO_DFD_SUCCESS; i++) {
		struct bo_dfd_receiver e;
		uint16_t k;

		if (bo_dfd_receivers_add_at(m, i, &e) != 0 || !bo_mesh_addr_is_unicast(e.addr))
			continue;
		for (k = 0; k < srv->receiver_count; k++)
			if (srv->receivers[k].addr == e.addr)
				break;
		if (k == srv->receiver_count) {
			if (k == BO_DFD_SRV_RECEIVERS_MAX) {
				status = BO_DFD_ERR_INSUFFICIENT_RESOURCES;
				break;
			}
			memset(&srv->receivers[k], 0, sizeof(srv->receivers[k]));
			srv->receivers[k].addr = e.addr;
			srv->receiver_count++;
		}
		srv->receivers[k].img_idx = e.img_idx;
		changed = true;
	}
	if (changed)
		store(srv);
	receivers_status(srv, rx, status);
}

static void handle_receivers_delete_all(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx)
{
	if (dist_busy(srv)) {
		receivers_status(srv, rx, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION);
		return;
	}
	if (srv->receiver_count) {
		srv->receiver_count = 0;
		store(srv);
	}
	receivers_status(srv, rx, BO_DFD_SUCCESS);
}


static void handle_receivers_get(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx,
				 const struct bo_dfd_receivers_get *g)
{
	struct bo_dfd_receivers_list m;
	uint8_t buf[4 + 5 * LIST_MAX];
	size_t n = 0;

	if (g->first < srv->receiver_count) {
		n = srv->receiver_count - g->first;
		if (n > g->limit)
			n = g->limit;
		if (n > BO_DFD_SRV_RECEIVERS_PER_LIST)
			n = BO_DFD_SRV_RECEIVERS_PER_LIST;
	}
	memset(&m, 0, sizeof(m));
	m.total = srv->receiver_count;
	m.first = g->first;
	m.list = n ? &srv->receivers[g->first] : NULL;
	m.count = n;
	send(srv, rx, BO_OP_DFD_RECEIVERS_LIST, buf,
	     bo_dfd_receivers_list_encode(&m, buf, sizeof(buf)));
}

static void handle_caps_get(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx)
{
	struct bo_dfd_caps_status m;
	uint8_t buf[20];

	memset(&m, 0, sizeof(m));
	m.max_receivers = BO_DFD_SRV_RECEIVERS_MAX;
	m.max_slots = srv->cfg.slot_count;
	for (uint8_t i = 0; i < srv->cfg.slot_count; i++) {
		uint32_t sz = srv->cfg.slots[i].image.size;

		if (sz > m.max_image_size)
			m.max_image_size = sz;
		m.max_upload_space += sz;
		if (slot_free(srv, i))
			m.remaining_space += sz;
	}
	m.oob_supported = 0;
	send(srv, rx, BO_OP_DFD_CAPABILITIES_STATUS, buf,
	     bo_dfd_caps_status_encode(&m, buf, sizeof(buf)));
}

/* ---- distribution --------------------------------------------------------------------- */

static bool same_params(const struct bo_dfd_srv *srv, const struct bo_dfd_params *p)
{
	const struct bo_dfd_params *q = &srv->params;

	return srv->has_params && q->app_idx == p->app_idx && q->ttl == p->ttl &&
	       q->timeout_base == p->timeout_base && q->mode == p->mode &&
	       q->policy == p->policy && q->slot_idx == p->slot_idx && q->group == p->group;
}

static uint64_t new_blob_id(struct bo_dfd_srv *srv)
{
	const struct bo_mesh_port *m = srv->cfg.mesh;
	uint64_t id = 0;

	if (m->random)
		id = (uint64_t)m->random(m->ctx) << 32 | m->random(m->ctx);
	if (id == srv->params.blob_id || id == srv->upload.blob_id)
		id = srv->params.blob_id + 1u; /* never the last one (targets would skip it) */
	return id;
}

static enum bo_dfd_status dist_resume(struct bo_dfd_srv *srv)
{
	int err;

	if (srv->need_restart || !srv->cfg.ops.resume)
		err = ops_start(srv, true);
	else
		err = ops_call(srv, srv->cfg.ops.resume);
	if (err != 0)
		return BO_DFD_ERR_INTERNAL;
	set_phase(srv, BO_DFD_PHASE_TRANSFER_ACTIVE);
	return BO_DFD_SUCCESS;
}

static enum bo_dfd_status dist_start(struct bo_dfd_srv *srv, const struct bo_dfd_dist_start *s)
{
	struct bo_dfd_params p;
	int slot;

	p.app_idx = s->app_idx;
	p.ttl = s->ttl;
	p.timeout_base = s->timeout_base;
	p.mode = s->mode;
	p.policy = s->policy;
	p.slot_idx = s->slot_idx;
	p.group = s->group;
	p.blob_id = 0;
	if (!srv->receiver_count)
		return BO_DFD_ERR_RECEIVERS_LIST_EMPTY;
	if (srv->cfg.app_key_valid && !srv->cfg.app_key_valid(srv->cfg.app_key_ctx, p.app_idx))
		return BO_DFD_ERR_INVALID_APPKEY_INDEX;
	if (s->label_uuid)
		return BO_DFD_ERR_INTERNAL; /* virtual addresses: not supported (as Zephyr) */
	slot = bo_dfd_srv_fw_slot(srv, p.slot_idx);
	if (slot < 0 || p.policy > BO_DFD_POLICY_VERIFY_AND_APPLY)
		return BO_DFD_ERR_FW_NOT_FOUND;
	if (same_params(srv, &p)) {
		if (srv->phase == BO_DFD_PHASE_TRANSFER_ACTIVE ||
		    srv->phase == BO_DFD_PHASE_TRANSFER_SUCCESS ||
		    srv->phase == BO_DFD_PHASE_APPLYING_UPDATE ||
		    srv->phase == BO_DFD_PHASE_COMPLETED)
			return BO_DFD_SUCCESS;
		if (srv->phase == BO_DFD_PHASE_TRANSFER_SUSPENDED)
			return dist_resume(srv);
	}
	if (dist_busy(srv))
		return BO_DFD_ERR_BUSY_WITH_DISTRIBUTION;
	if (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE)
		return BO_DFD_ERR_BUSY_WITH_UPLOAD;
	p.blob_id = new_blob_id(srv);
	srv->params = p;
	srv->has_params = true;
	srv->dist_slot = (uint8_t)slot;
	for (uint16_t i = 0; i < srv->receiver_count; i++) {
		struct bo_dfd_target_entry *e = &srv->receivers[i];

		e->phase = BO_DFU_PHASE_IDLE;
		e->update_status = BO_DFU_SUCCESS;
		e->blob_status = BO_BLOB_SUCCESS;
		e->progress = 0;
	}
	/* persisted before the distribution side moves: a cut from here on resumes */
	set_phase(srv, BO_DFD_PHASE_TRANSFER_ACTIVE);
	if (ops_start(srv, false) != 0) {
		set_phase(srv, BO_DFD_PHASE_IDLE);
		return BO_DFD_ERR_INTERNAL;
	}
	return BO_DFD_SUCCESS;
}

static enum bo_dfd_status dist_suspend(struct bo_dfd_srv *srv)
{
	if (srv->phase == BO_DFD_PHASE_TRANSFER_SUSPENDED)
		return BO_DFD_SUCCESS;
	if (srv->phase != BO_DFD_PHASE_TRANSFER_ACTIVE)
		return BO_DFD_ERR_WRONG_PHASE;
	if (ops_call(srv, srv->cfg.ops.suspend) != 0)
		return BO_DFD_ERR_SUSPEND_FAILED;
	set_phase(srv, BO_DFD_PHASE_TRANSFER_SUSPENDED);
	return BO_DFD_SUCCESS;
}

static void handle_cancel(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx)
{
	uint8_t prev = srv->phase;
	int err;

	if (prev == BO_DFD_PHASE_CANCELING_UPDATE || prev == BO_DFD_PHASE_IDLE) {
		dist_status(srv, rx, BO_DFD_SUCCESS);
		return;
	}
	if (prev == BO_DFD_PHASE_COMPLETED || prev == BO_DFD_PHASE_FAILED) {
		set_phase(srv, BO_DFD_PHASE_IDLE);
		dist_status(srv, rx, BO_DFD_SUCCESS);
		return;
	}
	set_phase(srv, BO_DFD_PHASE_CANCELING_UPDATE);
	err = srv->need_restart ? ops_start(srv, true) : 0;
	if (err == 0)
		err = ops_call(srv, srv->cfg.ops.cancel);
	if (err != 0) {
		/* nothing to cancel through: nothing runs any more */
		set_phase(srv, BO_DFD_PHASE_IDLE);
		dist_status(srv, rx, BO_DFD_ERR_INTERNAL);
		return;
	}
	if (srv->phase != BO_DFD_PHASE_CANCELING_UPDATE) {
		/* the distribution side finished the cancel at once */
		dist_status(srv, rx, BO_DFD_SUCCESS);
		return;
	}
	dist_status(srv, rx, BO_DFD_SUCCESS);
	if (prev == BO_DFD_PHASE_APPLYING_UPDATE) {
		set_phase(srv, BO_DFD_PHASE_IDLE);
		dist_status(srv, rx, BO_DFD_SUCCESS);
	}
}

static enum bo_dfd_status dist_apply(struct bo_dfd_srv *srv)
{
	switch (srv->phase) {
	case BO_DFD_PHASE_APPLYING_UPDATE:
	case BO_DFD_PHASE_COMPLETED:
		return BO_DFD_SUCCESS;
	case BO_DFD_PHASE_TRANSFER_SUCCESS:
		break;
	default:
		return BO_DFD_ERR_WRONG_PHASE;
	}
	set_phase(srv, BO_DFD_PHASE_APPLYING_UPDATE);
	if (ops_call(srv, srv->cfg.ops.apply) != 0) {
		set_phase(srv, BO_DFD_PHASE_TRANSFER_SUCCESS);
		return BO_DFD_ERR_INTERNAL;
	}
	return BO_DFD_SUCCESS;
}

int bo_dfd_srv_receiver_report(struct bo_dfd_srv *srv, uint16_t addr, uint8_t phase,
			       uint8_t update_status, uint8_t blob_status, uint8_t progress)
{
	struct bo_dfd_target_entry *e = NULL;
	bool changed;

	if (phase > BO_DFU_PHASE_UNKNOWN || update_status > BO_DFU_ERR_BLOB_XFER_BUSY ||
	    blob_status > BO_BLOB_STATUS_MAX || progress > 100)
		return -1;
	for (uint16_t i = 0; i < srv->receiver_count; i++)
		if (srv->receivers[i].addr == addr)
			e = &srv->receivers[i];
	if (!e)
		return -1;
	changed = e->phase != phase || e->update_status != update_status ||
		  e->blob_status != blob_status;
	e->phase = phase;
	e->update_status = update_status;
	e->blob_status = blob_status;
	e->progress = (uint8_t)(progress / 2u);
	if (changed)
		store(srv);
	return 0;
}

static void start_apply(struct bo_dfd_srv *srv)
{
	set_phase(srv, BO_DFD_PHASE_APPLYING_UPDATE);
	if (ops_call(srv, srv->cfg.ops.apply) != 0)
		set_phase(srv, BO_DFD_PHASE_FAILED);
}

void bo_dfd_srv_transfer_end(struct bo_dfd_srv *srv, bool success)
{
	switch (srv->phase) {
	case BO_DFD_PHASE_CANCELING_UPDATE:
		set_phase(srv, BO_DFD_PHASE_IDLE);
		break;
	case BO_DFD_PHASE_TRANSFER_ACTIVE:
	case BO_DFD_PHASE_TRANSFER_SUSPENDED:
		if (!success)
			set_phase(srv, BO_DFD_PHASE_FAILED);
		else if (srv->params.policy == BO_DFD_POLICY_VERIFY_ONLY)
			set_phase(srv, BO_DFD_PHASE_TRANSFER_SUCCESS);
		else
			start_apply(srv);
		break;
	case BO_DFD_PHASE_TRANSFER_SUCCESS: /* again, after a restore */
		if (!success)
			set_phase(srv, BO_DFD_PHASE_FAILED);
		break;
	case BO_DFD_PHASE_APPLYING_UPDATE: /* after a restore: apply again */
		if (!success)
			set_phase(srv, BO_DFD_PHASE_FAILED);
		else
			start_apply(srv);
		break;
	default:
		break;
	}
}

void bo_dfd_srv_apply_end(struct bo_dfd_srv *srv, bool success)
{
	if (srv->phase == BO_DFD_PHASE_APPLYING_UPDATE)
		set_phase(srv, success ? BO_DFD_PHASE_COMPLETED : BO_DFD_PHASE_FAILED);
	else if (srv->phase == BO_DFD_PHASE_CANCELING_UPDATE)
		set_phase(srv, BO_DFD_PHASE_FAILED);
}

void bo_dfd_srv_suspended(struct bo_dfd_srv *srv)
{
	if (srv->phase == BO_DFD_PHASE_TRANSFER_ACTIVE)
		set_phase(srv, BO_DFD_PHASE_TRANSFER_SUSPENDED);
}

void bo_dfd_srv_cancel_end(struct bo_dfd_srv *srv)
{
	if (srv->phase == BO_DFD_PHASE_CANCELING_UPDATE)
		set_phase(srv, BO_DFD_PHASE_IDLE);
}

/* ---- upload --------------------------------------------------------------------------- */

static bool same_upload(const struct bo_dfd_srv *srv, const struct bo_dfd_upload_start *u)
{
	const struct bo_dfd_slot *s;

	if (srv->upload.slot >= srv->cfg.slot_count)
		return false;
	s = &srv->slots[srv->upload.slot];
	return srv->upload.blob_id == u->blob_id && srv->upload.ttl == u->ttl &&
	       srv->upload.timeout_base == u->timeout_base && s->size == u->size &&
	       s->fwid_len == u->fwid_len && s->metadata_len == u->metadata_len &&
	       (u->fwid_len == 0 || memcmp(s->fwid, u->fwid, u->fwid_len) == 0) &&
	       (u->metadata_len == 0 || memcmp(s->metadata, u->metadata, u->metadata_len) == 0);
}

static void store_upload(struct bo_dfd_srv *srv, enum bo_dfd_upload_phase phase)
{
	srv->upload.phase = (uint8_t)phase;
	store(srv);
}

static enum bo_dfd_status upload_start(struct bo_dfd_srv *srv, const struct bo_dfd_upload_start *u)
{
	struct bo_dfd_slot *s;
	uint8_t slot = BO_DFD_SRV_NO_SLOT;

	if (dist_transferring(srv))
		return BO_DFD_ERR_BUSY_WITH_DISTRIBUTION;
	if (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE ||
	    bo_blob_srv_is_busy(&srv->blob))
		return same_upload(srv, u) ? BO_DFD_SUCCESS : BO_DFD_ERR_BUSY_WITH_UPLOAD;
	if (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR && same_upload(srv, u) &&
	    bo_blob_srv_phase(&srv->blob) == BO_BLOB_PHASE_SUSPENDED &&
	    srv->blob.x.id == u->blob_id) {
		/* the client's BLOB Transfer Start resumes the stored blocks */
		store_upload(srv, BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE);
		return BO_DFD_SUCCESS;
	}
	if (u->fwid_len > BO_DFU_FWID_MAXLEN || u->metadata_len > BO_DFU_METADATA_MAXLEN)
		return BO_DFD_ERR_INTERNAL;
	if (fw_find(srv, u->fwid, u->fwid_len, &slot) >= 0) {
		/* already stored (Zephyr: -EEXIST) */
		srv->upload.slot = slot;
		srv->upload.blob_id = u->blob_id;
		srv->upload.ttl = u->ttl;
		srv->upload.timeout_base = u->timeout_base;
		store_upload(srv, BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS);
		return BO_DFD_SUCCESS;
	}
	if (u->size == 0)
		return BO_DFD_ERR_INSUFFICIENT_RESOURCES;
	/* the smallest free slot that holds it */
	for (uint8_t i = 0; i < srv->cfg.slot_count; i++) {
		uint32_t sz = srv->cfg.slots[i].image.size;

		if (slot_free(srv, i) && sz >= u->size &&
		    (slot == BO_DFD_SRV_NO_SLOT || sz < srv->cfg.slots[slot].image.size))
			slot = i;
	}
	if (slot == BO_DFD_SRV_NO_SLOT)
		return BO_DFD_ERR_INSUFFICIENT_RESOURCES;
	s = &srv->slots[slot];
	memset(s, 0, sizeof(*s));
	s->state = BO_DFD_SLOT_RECEIVING;
	s->size = u->size;
	s->fwid_len = (uint8_t)u->fwid_len;
	if (u->fwid_len)
		memcpy(s->fwid, u->fwid, u->fwid_len);
	s->metadata_len = (uint8_t)u->metadata_len;
	if (u->metadata_len)
		memcpy(s->metadata, u->metadata, u->metadata_len);
	/* slot first, then the upload that points at it, then the BLOB server's own record */
	slot_store(srv, slot);
	srv->upload.slot = slot;
	srv->upload.blob_id = u->blob_id;
	srv->upload.ttl = u->ttl;
	srv->upload.timeout_base = u->timeout_base;
	store_upload(srv, BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE);
	if (bo_blob_srv_prepare(&srv->blob, u->blob_id, u->ttl, u->timeout_base,
				&srv->cfg.slots[slot].image) != 0) {
		store_upload(srv, BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR);
		return BO_DFD_ERR_INTERNAL;
	}
	return BO_DFD_SUCCESS;
}

static void upload_cancel(struct bo_dfd_srv *srv)
{
	if (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE ||
	    srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR)
		bo_blob_srv_reset(&srv->blob);
	if (srv->upload.phase != BO_DFD_UPLOAD_PHASE_IDLE) {
		srv->upload.slot = BO_DFD_SRV_NO_SLOT;
		store_upload(srv, BO_DFD_UPLOAD_PHASE_IDLE);
	}
}

static void upload_complete(struct bo_dfd_srv *srv)
{
	struct bo_dfd_slot *s = &srv->slots[srv->upload.slot];

	if (s->state != BO_DFD_SLOT_COMPLETE) {
		s->state = BO_DFD_SLOT_COMPLETE;
		slot_store(srv, srv->upload.slot);
	}
	store_upload(srv, BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS);
}

static bool upload_running(const struct bo_dfd_srv *srv)
{
	return (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE ||
		srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR) &&
	       srv->upload.slot < srv->cfg.slot_count;
}

static struct bo_dfd_srv *owner(void *ctx)
{
	return (struct bo_dfd_srv *)ctx;
}

static int blob_start(void *ctx, struct bo_blob_srv *b, uint64_t id)
{
	struct bo_dfd_srv *srv = owner(ctx);

	(void)b;
	return (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE &&
		id == srv->upload.blob_id) ? 0 : -1;
}

static void blob_complete(void *ctx, struct bo_blob_srv *b, uint64_t id)
{
	struct bo_dfd_srv *srv = owner(ctx);

	(void)b;
	if (upload_running(srv) && id == srv->upload.blob_id)
		upload_complete(srv);
}

static void blob_suspended(void *ctx, struct bo_blob_srv *b)
{
	struct bo_dfd_srv *srv = owner(ctx);

	(void)b;
	if (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE)
		store_upload(srv, BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR);
}

static void blob_resumed(void *ctx, struct bo_blob_srv *b)
{
	struct bo_dfd_srv *srv = owner(ctx);

	if (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR &&
	    b->x.id == srv->upload.blob_id && srv->upload.slot < srv->cfg.slot_count)
		store_upload(srv, BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE);
}

static void blob_cancelled(void *ctx, struct bo_blob_srv *b, uint64_t id)
{
	struct bo_dfd_srv *srv = owner(ctx);

	(void)b;
	if (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE && id == srv->upload.blob_id)
		store_upload(srv, BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR);
}

static int blob_recover(void *ctx, struct bo_blob_srv *b, uint64_t id, uint32_t off,
			uint32_t size, struct bo_flash_area *area)
{
	struct bo_dfd_srv *srv = owner(ctx);
	const struct bo_flash_area *a;

	(void)b;
	if (srv->upload.slot >= srv->cfg.slot_count || id != srv->upload.blob_id ||
	    srv->upload.phase == BO_DFD_UPLOAD_PHASE_IDLE)
		return -1;
	a = &srv->cfg.slots[srv->upload.slot].image;
	if (a->off != off || a->size != size)
		return -1;
	*area = *a;
	return 0;
}

/* ---- firmware list -------------------------------------------------------------------- */

static void slot_delete(struct bo_dfd_srv *srv, uint8_t i)
{
	memset(&srv->slots[i], 0, sizeof(srv->slots[i]));
	slot_store(srv, i);
	if (srv->upload.slot == i && srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS) {
		srv->upload.slot = BO_DFD_SRV_NO_SLOT;
		store_upload(srv, BO_DFD_UPLOAD_PHASE_IDLE);
	}
}

static void handle_fw_delete(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx,
			     const struct bo_dfd_fwid_msg *m)
{
	uint8_t slot;

	if (srv->phase != BO_DFD_PHASE_IDLE) {
		fw_status(srv, rx, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION, FW_IDX_NONE, NULL, 0);
		return;
	}
	if (fw_find(srv, m->fwid, m->fwid_len, &slot) >= 0)
		slot_delete(srv, slot);
	fw_status(srv, rx, BO_DFD_SUCCESS, FW_IDX_NONE, m->fwid, m->fwid_len);
}

static void handle_fw_delete_all(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx)
{
	if (srv->phase != BO_DFD_PHASE_IDLE) {
		fw_status(srv, rx, BO_DFD_ERR_BUSY_WITH_DISTRIBUTION, FW_IDX_NONE, NULL, 0);
		return;
	}
	for (uint8_t i = 0; i < srv->cfg.slot_count; i++)
		if (srv->slots[i].state == BO_DFD_SLOT_COMPLETE)
			slot_delete(srv, i);
	fw_status(srv, rx, BO_DFD_SUCCESS, FW_IDX_NONE, NULL, 0);
}

/* ---- dispatch ------------------------------------------------------------------------- */

static bool server_bound(enum bo_dfu_msg_type t)
{
	switch (t) {
	case BO_MSG_DFD_RECEIVERS_ADD:
	case BO_MSG_DFD_RECEIVERS_DELETE_ALL:
	case BO_MSG_DFD_RECEIVERS_GET:
	case BO_MSG_DFD_CAPS_GET:
	case BO_MSG_DFD_GET:
	case BO_MSG_DFD_START:
	case BO_MSG_DFD_SUSPEND:
	case BO_MSG_DFD_CANCEL:
	case BO_MSG_DFD_APPLY:
	case BO_MSG_DFD_UPLOAD_GET:
	case BO_MSG_DFD_UPLOAD_START:
	case BO_MSG_DFD_UPLOAD_START_OOB:
	case BO_MSG_DFD_UPLOAD_CANCEL:
	case BO_MSG_DFD_FW_GET:
	case BO_MSG_DFD_FW_GET_BY_INDEX:
	case BO_MSG_DFD_FW_DELETE:
	case BO_MSG_DFD_FW_DELETE_ALL:
		return true;
	default:
		return false;
	}
}

int bo_dfd_srv_handle(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx, uint32_t opcode,
		      const uint8_t *payload, size_t len)
{
	struct bo_dfu_msg m;
	enum bo_dfu_msg_type t;

	if (bo_blob_srv_handle(&srv->blob, rx, opcode, payload, len))
		return 1;
	t = bo_dfu_msg_type_of(opcode);
	if (!server_bound(t))
		return 0;
	if (bo_dfu_msg_decode(opcode, payload, len, &m) != BO_DFU_OK)
		return 1; /* malformed: dropped */
	switch (t) {
	case BO_MSG_DFD_RECEIVERS_ADD:
		handle_receivers_add(srv, rx, &m.u.dfd_receivers_add);
		break;
	case BO_MSG_DFD_RECEIVERS_DELETE_ALL:
		handle_receivers_delete_all(srv, rx);
		break;
	case BO_MSG_DFD_RECEIVERS_GET:
		handle_receivers_get(srv, rx, &m.u.dfd_receivers_get);
		break;
	case BO_MSG_DFD_CAPS_GET:
		handle_caps_get(srv, rx);
		break;
	case BO_MSG_DFD_GET:
		dist_status(srv, rx, BO_DFD_SUCCESS);
		break;
	case BO_MSG_DFD_START:
		dist_status(srv, rx, dist_start(srv, &m.u.dfd_start));
		break;
	case BO_MSG_DFD_SUSPEND:
		dist_status(srv, rx, dist_suspend(srv));
		break;
	case BO_MSG_DFD_CANCEL:
		handle_cancel(srv, rx);
		break;
	case BO_MSG_DFD_APPLY:
		dist_status(srv, rx, dist_apply(srv));
		break;
	case BO_MSG_DFD_UPLOAD_GET:
		upload_status(srv, rx, BO_DFD_SUCCESS);
		break;
	case BO_MSG_DFD_UPLOAD_START:
		upload_status(srv, rx, upload_start(srv, &m.u.dfd_upload_start));
		break;
	case BO_MSG_DFD_UPLOAD_START_OOB:
		upload_status(srv, rx, srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE
					       ? BO_DFD_ERR_BUSY_WITH_UPLOAD
					       : BO_DFD_ERR_URI_NOT_SUPPORTED);
		break;
	case BO_MSG_DFD_UPLOAD_CANCEL:
		upload_cancel(srv);
		upload_status(srv, rx, BO_DFD_SUCCESS);
		break;
	case BO_MSG_DFD_FW_GET: {
		int idx = fw_find(srv, m.u.dfd_fw_get.fwid, m.u.dfd_fw_get.fwid_len, NULL);

		fw_status(srv, rx, idx >= 0 ? BO_DFD_SUCCESS : BO_DFD_ERR_FW_NOT_FOUND,
			  idx >= 0 ? (uint16_t)idx : FW_IDX_NONE, m.u.dfd_fw_get.fwid,
			  m.u.dfd_fw_get.fwid_len);
		break;
	}
	case BO_MSG_DFD_FW_GET_BY_INDEX: {
		uint16_t idx = m.u.dfd_fw_get_by_index.index;
		int slot = bo_dfd_srv_fw_slot(srv, idx);

		if (slot >= 0)
			fw_status(srv, rx, BO_DFD_SUCCESS, idx, srv->slots[slot].fwid,
				  srv->slots[slot].fwid_len);
		else
			fw_status(srv, rx, BO_DFD_ERR_FW_NOT_FOUND, idx, NULL, 0);
		break;
	}
	case BO_MSG_DFD_FW_DELETE:
		handle_fw_delete(srv, rx, &m.u.dfd_fw_delete);
		break;
	case BO_MSG_DFD_FW_DELETE_ALL:
		handle_fw_delete_all(srv, rx);
		break;
	default:
		break;
	}
	return 1;
}

int bo_dfd_srv_timer(struct bo_dfd_srv *srv, uint32_t timer_id)
{
	return bo_blob_srv_timer(&srv->blob, timer_id);
}

/* ---- life cycle ----------------------------------------------------------------------- */

void bo_dfd_srv_init(struct bo_dfd_srv *srv, const struct bo_dfd_srv_config *cfg)
{
	struct bo_blob_srv_config bc;

	memset(srv, 0, sizeof(*srv));
	srv->cfg = *cfg;
	if (srv->cfg.slot_count > BO_DFD_SRV_SLOTS_MAX)
		srv->cfg.slot_count = BO_DFD_SRV_SLOTS_MAX;
	bc = cfg->blob;
	if (!bc.mesh)
		bc.mesh = cfg->mesh;
	bc.storage = srv->cfg.slot_count ? srv->cfg.slots[0].image : bc.storage;
	memset(&bc.cb, 0, sizeof(bc.cb));
	bc.cb.ctx = srv;
	bc.cb.start = blob_start;
	bc.cb.complete = blob_complete;
	bc.cb.suspended = blob_suspended;
	bc.cb.resumed = blob_resumed;
	bc.cb.cancelled = blob_cancelled;
	bc.cb.recover = blob_recover;
	srv->cfg.blob = bc;
	bo_blob_srv_init(&srv->blob, &bc);
	srv->persist_ok = bo_dfu_persist_init(&srv->persist, &cfg->state, REC_MAX);
	for (uint8_t i = 0; i < srv->cfg.slot_count; i++)
		srv->slot_persist_ok[i] = bo_dfu_persist_init(&srv->slot_persist[i],
							      &srv->cfg.slots[i].state, SLOT_REC_LEN);
	srv->phase = BO_DFD_PHASE_IDLE;
	srv->upload.phase = BO_DFD_UPLOAD_PHASE_IDLE;
	srv->upload.slot = BO_DFD_SRV_NO_SLOT;
	srv->dist_slot = BO_DFD_SRV_NO_SLOT;
}

static void restore_upload(struct bo_dfd_srv *srv, int bphase)
{
	const struct bo_dfd_slot *s;

	if (!upload_running(srv)) {
		if (srv->upload.slot >= srv->cfg.slot_count ||
		    (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS &&
		     srv->slots[srv->upload.slot].state != BO_DFD_SLOT_COMPLETE)) {
			srv->upload.slot = BO_DFD_SRV_NO_SLOT;
			srv->upload.phase = BO_DFD_UPLOAD_PHASE_IDLE;
		}
		if (bphase == BO_BLOB_PHASE_SUSPENDED || bphase == BO_BLOB_PHASE_WAITING_FOR_START)
			bo_blob_srv_reset(&srv->blob); /* not ours any more */
		return;
	}
	s = &srv->slots[srv->upload.slot];
	if (s->state == BO_DFD_SLOT_COMPLETE) {
		/* cut between the slot record and ours */
		store_upload(srv, BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS);
	} else if (s->state != BO_DFD_SLOT_RECEIVING) {
		srv->upload.slot = BO_DFD_SRV_NO_SLOT;
		store_upload(srv, BO_DFD_UPLOAD_PHASE_IDLE);
	} else if (bphase == BO_BLOB_PHASE_COMPLETE && srv->blob.x.id == srv->upload.blob_id) {
		upload_complete(srv);
	} else if (srv->upload.phase == BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE &&
		   (bphase == BO_BLOB_PHASE_INACTIVE || srv->blob.x.id != srv->upload.blob_id)) {
		/* cut before the BLOB server stored its start: expect the transfer again */
		if (bo_blob_srv_prepare(&srv->blob, srv->upload.blob_id, srv->upload.ttl,
					srv->upload.timeout_base,
					&srv->cfg.slots[srv->upload.slot].image) != 0)
			store_upload(srv, BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR);
	}
	/* SUSPENDED / WAITING_FOR_START: the client's Transfer Start resumes it */
}

enum bo_dfd_phase bo_dfd_srv_restore(struct bo_dfd_srv *srv)
{
	int bphase;

	for (uint8_t i = 0; i < srv->cfg.slot_count; i++)
		slot_load(srv, i);
	if (load(srv) != 0) {
		srv->phase = BO_DFD_PHASE_IDLE;
		srv->has_params = false;
		srv->receiver_count = 0;
		srv->upload.phase = BO_DFD_UPLOAD_PHASE_IDLE;
		srv->upload.slot = BO_DFD_SRV_NO_SLOT;
	}
	bphase = bo_blob_srv_restore(&srv->blob);
	restore_upload(srv, bphase);
	if (srv->phase == BO_DFD_PHASE_IDLE)
		return BO_DFD_PHASE_IDLE;
	if (!srv->has_params || srv->dist_slot >= srv->cfg.slot_count ||
	    srv->slots[srv->dist_slot].state != BO_DFD_SLOT_COMPLETE) {
		/* the image is gone: nothing to resume */
		srv->has_params = srv->has_params && srv->dist_slot < srv->cfg.slot_count;
		if (srv->phase != BO_DFD_PHASE_COMPLETED && srv->phase != BO_DFD_PHASE_FAILED)
			set_phase(srv, BO_DFD_PHASE_FAILED);
		return (enum bo_dfd_phase)srv->phase;
	}
	set_image(srv);
	switch (srv->phase) {
	case BO_DFD_PHASE_TRANSFER_ACTIVE:
	case BO_DFD_PHASE_TRANSFER_SUCCESS:
	case BO_DFD_PHASE_APPLYING_UPDATE:
		if (ops_start(srv, true) != 0)
			set_phase(srv, BO_DFD_PHASE_FAILED);
		break;
	case BO_DFD_PHASE_CANCELING_UPDATE:
		if (ops_start(srv, true) != 0 || ops_call(srv, srv->cfg.ops.cancel) != 0)
			set_phase(srv, BO_DFD_PHASE_IDLE);
		break;
	case BO_DFD_PHASE_TRANSFER_SUSPENDED:
		srv->need_restart = true;
		break;
	default:
		break;
	}
	return (enum bo_dfd_phase)srv->phase;
}
