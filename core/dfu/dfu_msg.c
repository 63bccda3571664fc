/*
 * core/dfu/dfu_msg.c: Firmware Update message codecs (see dfu_msg.h).
 * Layouts follow Zephyr subsys/bluetooth/mesh/dfu_srv.c (statuses) and dfu_cli.c (requests).
 */
#include "core/dfu/dfu_msg.h"

/* --- Update Information Get --- */

int bo_dfu_info_get_encode(const struct bo_dfu_info_get *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;

	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, m->first);
	bo_wire_put_u8(&w, m->limit);
	return bo_wire_writer_result(&w);
}

int bo_dfu_info_get_decode(const uint8_t *p, size_t len, struct bo_dfu_info_get *m)
{
	struct bo_wire_reader r;

	bo_wire_reader_init(&r, p, len);
	m->first = bo_wire_get_u8(&r);
	m->limit = bo_wire_get_u8(&r);
	return bo_wire_end(&r);
}

/* --- Update Information Status --- */

static int img_entry_check(const struct bo_dfu_img_entry *e)
{
	if ((e->fwid_len && !e->fwid) || (e->uri_len && !e->uri))
		return BO_DFU_E_ARG;
	if (e->fwid_len > BO_DFU_FWID_MAXLEN || e->uri_len > BO_DFU_URI_MAXLEN)
		return BO_DFU_E_LIMIT;
	return BO_DFU_OK;
}

int bo_dfu_info_status_next(const struct bo_dfu_info_status *m, size_t *pos,
			    struct bo_dfu_img_entry *e)
{
	struct bo_wire_reader r;

	if (m->imgs) {
		if (*pos >= m->n_imgs)
			return 0;
		*e = m->imgs[(*pos)++];
		return 1;
	}
	if (*pos >= m->raw_len)
		return 0;
	bo_wire_reader_init(&r, m->raw, m->raw_len);
	r.pos = *pos;
	e->fwid = bo_wire_get_lv8(&r, &e->fwid_len);
	e->uri = bo_wire_get_lv8(&r, &e->uri_len);
	if (r.err != BO_DFU_OK)
		return r.err;
	*pos = r.pos;
	return 1;
}

static int info_status_check(const struct bo_dfu_info_status *m)
{
	struct bo_dfu_img_entry e;
	size_t pos = 0, n = 0;
	size_t max = m->first < m->count ? (size_t)(m->count - m->first) : 0;
	int rc;

	if (!m->imgs && m->raw_len && !m->raw)
		return BO_DFU_E_ARG;
	while ((rc = bo_dfu_info_status_next(m, &pos, &e)) == 1) {
		rc = img_entry_check(&e);
		if (rc < 0)
			return rc;
		n++;
	}
	if (rc < 0)
		return rc;
	if (n != m->n_imgs)
		return BO_DFU_E_INCONSISTENT;
	if (n > max)
		return BO_DFU_E_INCONSISTENT;
	return BO_DFU_OK;
}

int bo_dfu_info_status_encode(const struct bo_dfu_info_status *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = info_status_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, m->count);
	bo_wire_put_u8(&w, m->first);
	if (!m->imgs) {
		bo_wire_put_bytes(&w, m->raw, m->raw_len);
		return bo_wire_writer_result(&w);
	}
	for (size_t i = 0; i < m->n_imgs; i++) {
		const struct bo_dfu_img_entry *e = &m->imgs[i];

		bo_wire_put_u8(&w, (uint8_t)e->fwid_len);
		bo_wire_put_bytes(&w, e->fwid, e->fwid_len);
		bo_wire_put_u8(&w, (uint8_t)e->uri_len);
		bo_wire_put_bytes(&w, e->uri, e->uri_len);
	}
	return bo_wire_writer_result(&w);
}

int bo_dfu_info_status_decode(const uint8_t *p, size_t len, struct bo_dfu_info_status *m)
{
	struct bo_dfu_img_entry e;
	struct bo_wire_reader r;
	size_t pos = 0;
	int rc;

	*m = (struct bo_dfu_info_status){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->count = bo_wire_get_u8(&r);
	m->first = bo_wire_get_u8(&r);
	m->raw = bo_wire_get_rest(&r, &m->raw_len);
	if (r.err < 0)
		return r.err;
	while ((rc = bo_dfu_info_status_next(m, &pos, &e)) == 1)
		m->n_imgs++;
	if (rc < 0)
		return rc;
	return info_status_check(m);
}

/* --- Firmware Metadata Check --- */

static int metadata_check(const uint8_t *md, size_t len)
{
	if (len && !md)
		return BO_DFU_E_ARG;
	return len > BO_DFU_METADATA_MAXLEN ? BO_DFU_E_LIMIT : BO_DFU_OK;
}

int bo_dfu_metadata_check_encode(const struct bo_dfu_metadata_check *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = metadata_check(m->metadata, m->metadata_len);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, m->img_idx);
	bo_wire_put_bytes(&w, m->metadata, m->metadata_len);
	return bo_wire_writer_result(&w);
}

int bo_dfu_metadata_check_decode(const uint8_t *p, size_t len, struct bo_dfu_metadata_check *m)
{
	struct bo_wire_reader r;

	*m = (struct bo_dfu_metadata_check){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->img_idx = bo_wire_get_u8(&r);
	m->metadata = bo_wire_get_rest(&r, &m->metadata_len);
	if (r.err < 0)
		return r.err;
	return metadata_check(m->metadata, m->metadata_len);
}

/* --- Firmware Metadata Status --- */

static int metadata_status_check(const struct bo_dfu_metadata_status *m)
{
	if (m->status > BO_DFU_ERR_BLOB_XFER_BUSY || m->effect > BO_DFU_EFFECT_UNPROV)
		return BO_DFU_E_INVALID;
	return BO_DFU_OK;
}

int bo_dfu_metadata_status_encode(const struct bo_dfu_metadata_status *m, uint8_t *buf,
				  size_t cap)
{
	struct bo_wire_writer w;
	int rc = metadata_status_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, (uint8_t)(m->status | (m->effect << 3)));
	bo_wire_put_u8(&w, m->img_idx);
	return bo_wire_writer_result(&w);
}

int bo_dfu_metadata_status_decode(const uint8_t *p, size_t len, struct bo_dfu_metadata_status *m)
{
	struct bo_wire_reader r;
	uint8_t b;
	int rc;

	bo_wire_reader_init(&r, p, len);
	b = bo_wire_get_u8(&r);
	m->status = b & 0x07;
	m->effect = b >> 3;
	m->img_idx = bo_wire_get_u8(&r);
	rc = bo_wire_end(&r);
	if (rc < 0)
		return rc;
	return metadata_status_check(m);
}

/* --- Update Start --- */

int bo_dfu_update_start_encode(const struct bo_dfu_update_start *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = metadata_check(m->metadata, m->metadata_len);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, m->ttl);
	bo_wire_put_le16(&w, m->timeout_base);
	bo_wire_put_le64(&w, m->blob_id);
	bo_wire_put_u8(&w, m->img_idx);
	bo_wire_put_bytes(&w, m->metadata, m->metadata_len);
	return bo_wire_writer_result(&w);
}

int bo_dfu_update_start_decode(const uint8_t *p, size_t len, struct bo_dfu_update_start *m)
{
	struct bo_wire_reader r;

	*m = (struct bo_dfu_update_start){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->ttl = bo_wire_get_u8(&r);
	m->timeout_base = bo_wire_get_le16(&r);
	m->blob_id = bo_wire_get_le64(&r);
	m->img_idx = bo_wire_get_u8(&r);
	m->metadata = bo_wire_get_rest(&r, &m->metadata_len);
	if (r.err < 0)
		return r.err;
	return metadata_check(m->metadata, m->metadata_len);
}

/* --- Update Status --- */

static int update_status_check(const struct bo_dfu_update_status *m)
{
	if (m->status > BO_DFU_ERR_BLOB_XFER_BUSY || m->phase > BO_DFU_PHASE_TRANSFER_CANCELED)
		return BO_DFU_E_INVALID;
	if (m->phase != BO_DFU_PHASE_IDLE && m->effect > BO_DFU_EFFECT_UNPROV)
		return BO_DFU_E_INVALID;
	return BO_DFU_OK;
}

int bo_dfu_update_status_encode(const struct bo_dfu_update_status *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = update_status_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, (uint8_t)(m->status | (m->phase << 5)));
	if (m->phase != BO_DFU_PHASE_IDLE) {
		bo_wire_put_u8(&w, m->ttl);
		bo_wire_put_u8(&w, m->effect);
		bo_wire_put_le16(&w, m->timeout_base);
		bo_wire_put_le64(&w, m->blob_id);
		bo_wire_put_u8(&w, m->img_idx);
	}
	return bo_wire_writer_result(&w);
}

int bo_dfu_update_status_decode(const uint8_t *p, size_t len, struct bo_dfu_update_status *m)
{
	struct bo_wire_reader r;
	uint8_t b;
	int rc;

	*m = (struct bo_dfu_update_status){ 0 };
	bo_wire_reader_init(&r, p, len);
	b = bo_wire_get_u8(&r);
	m->status = b & 0x07;
	m->phase = b >> 5;
	if (r.err == BO_DFU_OK && m->phase != BO_DFU_PHASE_IDLE) {
		m->ttl = bo_wire_get_u8(&r);
		m->effect = bo_wire_get_u8(&r);
		m->timeout_base = bo_wire_get_le16(&r);
		m->blob_id = bo_wire_get_le64(&r);
		m->img_idx = bo_wire_get_u8(&r);
	}
	rc = bo_wire_end(&r);
	if (rc < 0)
		return rc;
	if (b & 0x18)
		return BO_DFU_E_RESERVED;
	return update_status_check(m);
}
