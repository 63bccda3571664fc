/*
 * core/dfu/dfd_msg.c: Firmware Distribution message codecs (see dfd_msg.h).
 * Layouts follow Zephyr subsys/bluetooth/mesh/dfd_srv.c (the server side of every message).
 */
#include "core/dfu/dfd_msg.h"

static int fwid_check(const uint8_t *fwid, size_t len)
{
	if (len && !fwid)
		return BO_DFU_E_ARG;
	return len > BO_DFU_FWID_MAXLEN ? BO_DFU_E_LIMIT : BO_DFU_OK;
}

/* --- Receivers Add --- */

#define RECEIVER_LEN 3u

int bo_dfd_receivers_add_at(const struct bo_dfd_receivers_add *m, size_t i,
			    struct bo_dfd_receiver *out)
{
	const uint8_t *p;

	if (i >= m->count)
		return BO_DFU_E_ARG;
	if (m->list) {
		*out = m->list[i];
		return BO_DFU_OK;
	}
	if (!m->raw)
		return BO_DFU_E_ARG;
	p = m->raw + i * RECEIVER_LEN;
	out->addr = (uint16_t)(p[0] | (p[1] << 8));
	out->img_idx = p[2];
	return BO_DFU_OK;
}

int bo_dfd_receivers_add_encode(const struct bo_dfd_receivers_add *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	struct bo_dfd_receiver e;

	if (m->count == 0)
		return BO_DFU_E_TOO_SHORT;
	if (!m->list && !m->raw)
		return BO_DFU_E_ARG;
	bo_wire_writer_init(&w, buf, cap);
	for (size_t i = 0; i < m->count; i++) {
		bo_dfd_receivers_add_at(m, i, &e);
		bo_wire_put_le16(&w, e.addr);
		bo_wire_put_u8(&w, e.img_idx);
	}
	return bo_wire_writer_result(&w);
}

int bo_dfd_receivers_add_decode(const uint8_t *p, size_t len, struct bo_dfd_receivers_add *m)
{
	*m = (struct bo_dfd_receivers_add){ 0 };
	if (len == 0 || !p)
		return BO_DFU_E_TOO_SHORT;
	if (len % RECEIVER_LEN)
		return BO_DFU_E_INCONSISTENT;
	m->raw = p;
	m->count = len / RECEIVER_LEN;
	return BO_DFU_OK;
}

/* --- Receivers Status --- */

int bo_dfd_receivers_status_encode(const struct bo_dfd_receivers_status *m, uint8_t *buf,
				   size_t cap)
{
	struct bo_wire_writer w;

	if (m->status > BO_DFD_STATUS_MAX)
		return BO_DFU_E_INVALID;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, m->status);
	bo_wire_put_le16(&w, m->list_count);
	return bo_wire_writer_result(&w);
}

int bo_dfd_receivers_status_decode(const uint8_t *p, size_t len,
				   struct bo_dfd_receivers_status *m)
{
	struct bo_wire_reader r;
	int rc;

	bo_wire_reader_init(&r, p, len);
	m->status = bo_wire_get_u8(&r);
	m->list_count = bo_wire_get_le16(&r);
	rc = bo_wire_end(&r);
	if (rc < 0)
		return rc;
	return m->status > BO_DFD_STATUS_MAX ? BO_DFU_E_INVALID : BO_DFU_OK;
}

/* --- Receivers Get --- */

int bo_dfd_receivers_get_encode(const struct bo_dfd_receivers_get *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;

	if (m->limit == 0)
		return BO_DFU_E_INVALID;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_le16(&w, m->first);
	bo_wire_put_le16(&w, m->limit);
	return bo_wire_writer_result(&w);
}

int bo_dfd_receivers_get_decode(const uint8_t *p, size_t len, struct bo_dfd_receivers_get *m)
{
	struct bo_wire_reader r;
	int rc;

	bo_wire_reader_init(&r, p, len);
	m->first = bo_wire_get_le16(&r);
	m->limit = bo_wire_get_le16(&r);
	rc = bo_wire_end(&r);
	if (rc < 0)
		return rc;
	return m->limit == 0 ? BO_DFU_E_INVALID : BO_DFU_OK;
}

/* --- Receivers List --- */

#define TARGET_ENTRY_LEN 5u

int bo_dfd_target_entry_pack(const struct bo_dfd_target_entry *e, uint32_t *word)
{
	if (e->addr > 0x7fff || e->phase > BO_DFU_PHASE_UNKNOWN ||
	    e->update_status > BO_DFU_ERR_BLOB_XFER_BUSY || e->blob_status > BO_BLOB_STATUS_MAX ||
	    e->progress > BO_DFD_PROGRESS_MAX)
		return BO_DFU_E_INVALID;
	*word = (uint32_t)e->addr | ((uint32_t)e->phase << 15) |
		((uint32_t)e->update_status << 19) | ((uint32_t)e->blob_status << 22) |
		((uint32_t)e->progress << 26);
	return BO_DFU_OK;
}

int bo_dfd_target_entry_unpack(uint32_t word, uint8_t img_idx, struct bo_dfd_target_entry *e)
{
	e->addr = (uint16_t)(word & 0x7fff);
	e->phase = (uint8_t)((word >> 15) & 0x0f);
	e->update_status = (uint8_t)((word >> 19) & 0x07);
	e->blob_status = (uint8_t)((word >> 22) & 0x0f);
	e->progress = (uint8_t)(word >> 26);
	e->img_idx = img_idx;
	if (e->phase > BO_DFU_PHASE_UNKNOWN || e->blob_status > BO_BLOB_STATUS_MAX ||
	    e->progress > BO_DFD_PROGRESS_MAX)
		return BO_DFU_E_INVALID;
	return BO_DFU_OK;
}

int bo_dfd_receivers_list_at(const struct bo_dfd_receivers_list *m, size_t i,
			     struct bo_dfd_target_entry *out)
{
	struct bo_wire_reader r;
	uint32_t word;
	uint8_t img;

	if (i >= m->count)
		return BO_DFU_E_ARG;
	if (m->list) {
		*out = m->list[i];
		return bo_dfd_target_entry_pack(out, &word);
	}
	if (!m->raw)
		return BO_DFU_E_ARG;
	bo_wire_reader_init(&r, m->raw + i * TARGET_ENTRY_LEN, TARGET_ENTRY_LEN);
	word = bo_wire_get_le32(&r);
	img = bo_wire_get_u8(&r);
	return bo_dfd_target_entry_unpack(word, img, out);
}

static int receivers_list_check(const struct bo_dfd_receivers_list *m)
{
	struct bo_dfd_target_entry e;
	size_t max = m->first < m->total ? (size_t)(m->total - m->first) : 0;

	if (m->count && !m->list && !m->raw)
		return BO_DFU_E_ARG;
	if (m->count > max)
		return BO_DFU_E_INCONSISTENT;
	for (size_t i = 0; i < m->count; i++) {
		int rc = bo_dfd_receivers_list_at(m, i, &e);

		if (rc < 0)
			return rc;
	}
	return BO_DFU_OK;
}

int bo_dfd_receivers_list_encode(const struct bo_dfd_receivers_list *m, uint8_t *buf,
				 size_t cap)
{
	struct bo_wire_writer w;
	struct bo_dfd_target_entry e;
	uint32_t word;
	int rc = receivers_list_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_le16(&w, m->total);
	bo_wire_put_le16(&w, m->first);
	for (size_t i = 0; i < m->count; i++) {
		bo_dfd_receivers_list_at(m, i, &e);
		bo_dfd_target_entry_pack(&e, &word);
		bo_wire_put_le32(&w, word);
		bo_wire_put_u8(&w, e.img_idx);
	}
	return bo_wire_writer_result(&w);
}

int bo_dfd_receivers_list_decode(const uint8_t *p, size_t len, struct bo_dfd_receivers_list *m)
{
	struct bo_wire_reader r;
	size_t n;

	*m = (struct bo_dfd_receivers_list){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->total = bo_wire_get_le16(&r);
	m->first = bo_wire_get_le16(&r);
	m->raw = bo_wire_get_rest(&r, &n);
	if (r.err < 0)
		return r.err;
	if (n % TARGET_ENTRY_LEN)
		return BO_DFU_E_INCONSISTENT;
	m->count = n / TARGET_ENTRY_LEN;
	return receivers_list_check(m);
}

/* --- Capabilities Status --- */

static int caps_status_check(const struct bo_dfd_caps_status *m)
{
	if (m->oob_supported > 1)
		return BO_DFU_E_INVALID;
	if (m->uri_schemes_len && !m->uri_schemes)
		return BO_DFU_E_ARG;
	if (!m->oob_supported)
		return m->uri_schemes_len ? BO_DFU_E_TOO_LONG : BO_DFU_OK;
	return m->uri_schemes_len ? BO_DFU_OK : BO_DFU_E_TOO_SHORT;
}

int bo_dfd_caps_status_encode(const struct bo_dfd_caps_status *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = caps_status_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_le16(&w, m->max_receivers);
	bo_wire_put_le16(&w, m->max_slots);
	bo_wire_put_le32(&w, m->max_image_size);
	bo_wire_put_le32(&w, m->max_upload_space);
	bo_wire_put_le32(&w, m->remaining_space);
	bo_wire_put_u8(&w, m->oob_supported);
	bo_wire_put_bytes(&w, m->uri_schemes, m->uri_schemes_len);
	return bo_wire_writer_result(&w);
}

int bo_dfd_caps_status_decode(const uint8_t *p, size_t len, struct bo_dfd_caps_status *m)
{
	struct bo_wire_reader r;

	*m = (struct bo_dfd_caps_status){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->max_receivers = bo_wire_get_le16(&r);
	m->max_slots = bo_wire_get_le16(&r);
	m->max_image_size = bo_wire_get_le32(&r);
	m->max_upload_space = bo_wire_get_le32(&r);
	m->remaining_space = bo_wire_get_le32(&r);
	m->oob_supported = bo_wire_get_u8(&r);
	m->uri_schemes = bo_wire_get_rest(&r, &m->uri_schemes_len);
	if (r.err < 0)
		return r.err;
	return caps_status_check(m);
}

/* --- Distribution Start --- */

static uint8_t mode_policy(uint8_t mode, uint8_t policy)
{
	return (uint8_t)(mode | (policy << 2));
}

static int mode_policy_check(uint8_t mode, uint8_t policy)
{
	return mode > BO_BLOB_MODE_ALL || policy > BO_DFD_POLICY_VERIFY_AND_APPLY ?
		       BO_DFU_E_INVALID :
		       BO_DFU_OK;
}

int bo_dfd_dist_start_encode(const struct bo_dfd_dist_start *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = mode_policy_check(m->mode, m->policy);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_le16(&w, m->app_idx);
	bo_wire_put_u8(&w, m->ttl);
	bo_wire_put_le16(&w, m->timeout_base);
	bo_wire_put_u8(&w, mode_policy(m->mode, m->policy));
	bo_wire_put_le16(&w, m->slot_idx);
	if (m->label_uuid)
		bo_wire_put_bytes(&w, m->label_uuid, BO_DFD_LABEL_UUID_LEN);
	else
		bo_wire_put_le16(&w, m->group);
	return bo_wire_writer_result(&w);
}

int bo_dfd_dist_start_decode(const uint8_t *p, size_t len, struct bo_dfd_dist_start *m)
{
	struct bo_wire_reader r;
	size_t left;
	uint8_t b;

	*m = (struct bo_dfd_dist_start){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->app_idx = bo_wire_get_le16(&r);
	m->ttl = bo_wire_get_u8(&r);
	m->timeout_base = bo_wire_get_le16(&r);
	b = bo_wire_get_u8(&r);
	m->mode = b & 0x03;
	m->policy = (b >> 2) & 0x01;
	m->slot_idx = bo_wire_get_le16(&r);
	if (r.err < 0)
		return r.err;
	/* then a 2-byte group address or a 16-byte label UUID */
	left = bo_wire_remaining(&r);
	if (left < 2)
		return BO_DFU_E_TOO_SHORT;
	if (left > BO_DFD_LABEL_UUID_LEN)
		return BO_DFU_E_TOO_LONG;
	if (left == BO_DFD_LABEL_UUID_LEN)
		m->label_uuid = bo_wire_get_bytes(&r, BO_DFD_LABEL_UUID_LEN);
	else if (left == 2)
		m->group = bo_wire_get_le16(&r);
	else
		return BO_DFU_E_INCONSISTENT;
	if (b & 0xf8)
		return BO_DFU_E_RESERVED;
	return BO_DFU_OK;
}

/* --- Distribution Status --- */

#define DFD_STATUS_PARAMS_LEN 10u

static int dfd_status_check(const struct bo_dfd_dist_status *m)
{
	if (m->status > BO_DFD_STATUS_MAX || m->phase > BO_DFD_PHASE_TRANSFER_SUSPENDED)
		return BO_DFU_E_INVALID;
	return m->has_params ? mode_policy_check(m->mode, m->policy) : BO_DFU_OK;
}

int bo_dfd_dist_status_encode(const struct bo_dfd_dist_status *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = dfd_status_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, m->status);
	bo_wire_put_u8(&w, m->phase);
	if (m->has_params) {
		bo_wire_put_le16(&w, m->group);
		bo_wire_put_le16(&w, m->app_idx);
		bo_wire_put_u8(&w, m->ttl);
		bo_wire_put_le16(&w, m->timeout_base);
		bo_wire_put_u8(&w, mode_policy(m->mode, m->policy));
		bo_wire_put_le16(&w, m->slot_idx);
	}
	return bo_wire_writer_result(&w);
}

int bo_dfd_dist_status_decode(const uint8_t *p, size_t len, struct bo_dfd_dist_status *m)
{
	struct bo_wire_reader r;
	uint8_t b = 0;
	int rc;

	*m = (struct bo_dfd_dist_status){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->status = bo_wire_get_u8(&r);
	m->phase = bo_wire_get_u8(&r);
	if (r.err == BO_DFU_OK && bo_wire_remaining(&r) != 0) {
		if (bo_wire_remaining(&r) > DFD_STATUS_PARAMS_LEN)
			return BO_DFU_E_TOO_LONG;
		m->has_params = true;
		m->group = bo_wire_get_le16(&r);
		m->app_idx = bo_wire_get_le16(&r);
		m->ttl = bo_wire_get_u8(&r);
		m->timeout_base = bo_wire_get_le16(&r);
		b = bo_wire_get_u8(&r);
		m->mode = b & 0x03;
		m->policy = (b >> 2) & 0x01;
		m->slot_idx = bo_wire_get_le16(&r);
	}
	rc = bo_wire_end(&r);
	if (rc < 0)
		return rc;
	if (b & 0xf8)
		return BO_DFU_E_RESERVED;
	return dfd_status_check(m);
}

/* --- Upload Start --- */

static int upload_start_check(const struct bo_dfd_upload_start *m)
{
	if (m->metadata_len && !m->metadata)
		return BO_DFU_E_ARG;
	if (m->metadata_len > BO_DFU_METADATA_MAXLEN)
		return BO_DFU_E_LIMIT;
	return fwid_check(m->fwid, m->fwid_len);
}

int bo_dfd_upload_start_encode(const struct bo_dfd_upload_start *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = upload_start_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, m->ttl);
	bo_wire_put_le16(&w, m->timeout_base);
	bo_wire_put_le64(&w, m->blob_id);
	bo_wire_put_le32(&w, m->size);
	bo_wire_put_u8(&w, (uint8_t)m->metadata_len);
	bo_wire_put_bytes(&w, m->metadata, m->metadata_len);
	bo_wire_put_bytes(&w, m->fwid, m->fwid_len);
	return bo_wire_writer_result(&w);
}

int bo_dfd_upload_start_decode(const uint8_t *p, size_t len, struct bo_dfd_upload_start *m)
{
	struct bo_wire_reader r;

	*m = (struct bo_dfd_upload_start){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->ttl = bo_wire_get_u8(&r);
	m->timeout_base = bo_wire_get_le16(&r);
	m->blob_id = bo_wire_get_le64(&r);
	m->size = bo_wire_get_le32(&r);
	m->metadata = bo_wire_get_lv8(&r, &m->metadata_len);
	m->fwid = bo_wire_get_rest(&r, &m->fwid_len);
	if (r.err < 0)
		return r.err;
	return upload_start_check(m);
}

/* --- Upload Start OOB --- */

static int upload_oob_check(const struct bo_dfd_upload_start_oob *m)
{
	if (m->uri_len && !m->uri)
		return BO_DFU_E_ARG;
	if (m->uri_len == 0)
		return BO_DFU_E_INVALID;
	if (m->uri_len > BO_DFU_URI_MAXLEN)
		return BO_DFU_E_LIMIT;
	return fwid_check(m->fwid, m->fwid_len);
}

int bo_dfd_upload_start_oob_encode(const struct bo_dfd_upload_start_oob *m, uint8_t *buf,
				   size_t cap)
{
	struct bo_wire_writer w;
	int rc = upload_oob_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, (uint8_t)m->uri_len);
	bo_wire_put_bytes(&w, m->uri, m->uri_len);
	bo_wire_put_bytes(&w, m->fwid, m->fwid_len);
	return bo_wire_writer_result(&w);
}

int bo_dfd_upload_start_oob_decode(const uint8_t *p, size_t len,
				   struct bo_dfd_upload_start_oob *m)
{
	struct bo_wire_reader r;

	*m = (struct bo_dfd_upload_start_oob){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->uri = bo_wire_get_lv8(&r, &m->uri_len);
	m->fwid = bo_wire_get_rest(&r, &m->fwid_len);
	if (r.err < 0)
		return r.err;
	return upload_oob_check(m);
}

/* --- Upload Status --- */

#define UPLOAD_PROGRESS_MAX 100u
#define UPLOAD_OOB_FLAG 0x80u

static int upload_status_check(const struct bo_dfd_upload_status *m)
{
	if (m->status > BO_DFD_STATUS_MAX || m->phase > BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS)
		return BO_DFU_E_INVALID;
	if (!m->has_progress)
		return m->fwid_len ? BO_DFU_E_TOO_LONG : BO_DFU_OK;
	if (m->progress > UPLOAD_PROGRESS_MAX)
		return BO_DFU_E_INVALID;
	return fwid_check(m->fwid, m->fwid_len);
}

int bo_dfd_upload_status_encode(const struct bo_dfd_upload_status *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = upload_status_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, m->status);
	bo_wire_put_u8(&w, m->phase);
	if (m->has_progress) {
		bo_wire_put_u8(&w, (uint8_t)(m->progress | (m->oob ? UPLOAD_OOB_FLAG : 0)));
		bo_wire_put_bytes(&w, m->fwid, m->fwid_len);
	}
	return bo_wire_writer_result(&w);
}

int bo_dfd_upload_status_decode(const uint8_t *p, size_t len, struct bo_dfd_upload_status *m)
{
	struct bo_wire_reader r;

	*m = (struct bo_dfd_upload_status){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->status = bo_wire_get_u8(&r);
	m->phase = bo_wire_get_u8(&r);
	if (r.err == BO_DFU_OK && bo_wire_remaining(&r) != 0) {
		uint8_t b = bo_wire_get_u8(&r);

		m->has_progress = true;
		m->progress = b & (uint8_t)~UPLOAD_OOB_FLAG;
		m->oob = (b & UPLOAD_OOB_FLAG) != 0;
		m->fwid = bo_wire_get_rest(&r, &m->fwid_len);
	}
	if (r.err < 0)
		return r.err;
	return upload_status_check(m);
}

/* --- Firmware Get / Firmware Delete --- */

int bo_dfd_fwid_msg_encode(const struct bo_dfd_fwid_msg *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = fwid_check(m->fwid, m->fwid_len);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_bytes(&w, m->fwid, m->fwid_len);
	return bo_wire_writer_result(&w);
}

int bo_dfd_fwid_msg_decode(const uint8_t *p, size_t len, struct bo_dfd_fwid_msg *m)
{
	struct bo_wire_reader r;

	bo_wire_reader_init(&r, p, len);
	m->fwid = bo_wire_get_rest(&r, &m->fwid_len);
	return fwid_check(m->fwid, m->fwid_len);
}

/* --- Firmware Get By Index --- */

int bo_dfd_fw_get_by_index_encode(const struct bo_dfd_fw_get_by_index *m, uint8_t *buf,
				  size_t cap)
{
	struct bo_wire_writer w;

	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_le16(&w, m->index);
	return bo_wire_writer_result(&w);
}

int bo_dfd_fw_get_by_index_decode(const uint8_t *p, size_t len, struct bo_dfd_fw_get_by_index *m)
{
	struct bo_wire_reader r;

	bo_wire_reader_init(&r, p, len);
	m->index = bo_wire_get_le16(&r);
	return bo_wire_end(&r);
}

/* --- Firmware Status --- */

static int fw_status_check(const struct bo_dfd_fw_status *m)
{
	if (m->status > BO_DFD_STATUS_MAX)
		return BO_DFU_E_INVALID;
	return fwid_check(m->fwid, m->fwid_len);
}

int bo_dfd_fw_status_encode(const struct bo_dfd_fw_status *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = fw_status_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, m->status);
	bo_wire_put_le16(&w, m->slot_count);
	bo_wire_put_le16(&w, m->index);
	bo_wire_put_bytes(&w, m->fwid, m->fwid_len);
	return bo_wire_writer_result(&w);
}

int bo_dfd_fw_status_decode(const uint8_t *p, size_t len, struct bo_dfd_fw_status *m)
{
	struct bo_wire_reader r;

	*m = (struct bo_dfd_fw_status){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->status = bo_wire_get_u8(&r);
	m->slot_count = bo_wire_get_le16(&r);
	m->index = bo_wire_get_le16(&r);
	m->fwid = bo_wire_get_rest(&r, &m->fwid_len);
	if (r.err < 0)
		return r.err;
	return fw_status_check(m);
}
