/*
 * core/dfu/blob_msg.c: BLOB Transfer message codecs (see blob_msg.h).
 * Field layouts and conditions follow Zephyr subsys/bluetooth/mesh/blob_srv.c (the sender of
 * every status) and blob_cli.c (the sender of every request).
 */
#include "core/dfu/blob_msg.h"

int bo_dfu_empty_decode(const uint8_t *p, size_t len)
{
	(void)p;
	return len == 0 ? BO_DFU_OK : BO_DFU_E_TOO_LONG;
}

/* --- Transfer Start --- */

static int xfer_start_check(const struct bo_blob_xfer_start *m)
{
	if (m->mode != BO_BLOB_MODE_PUSH && m->mode != BO_BLOB_MODE_PULL)
		return BO_DFU_E_INVALID;
	return BO_DFU_OK;
}

int bo_blob_xfer_start_encode(const struct bo_blob_xfer_start *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = xfer_start_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, (uint8_t)(m->mode << 6));
	bo_wire_put_le64(&w, m->id);
	bo_wire_put_le32(&w, m->size);
	bo_wire_put_u8(&w, m->block_size_log);
	bo_wire_put_le16(&w, m->mtu);
	return bo_wire_writer_result(&w);
}

int bo_blob_xfer_start_decode(const uint8_t *p, size_t len, struct bo_blob_xfer_start *m)
{
	struct bo_wire_reader r;
	uint8_t b;
	int rc;

	*m = (struct bo_blob_xfer_start){ 0 };
	bo_wire_reader_init(&r, p, len);
	b = bo_wire_get_u8(&r);
	m->mode = b >> 6;
	m->id = bo_wire_get_le64(&r);
	m->size = bo_wire_get_le32(&r);
	m->block_size_log = bo_wire_get_u8(&r);
	m->mtu = bo_wire_get_le16(&r);
	rc = bo_wire_end(&r);
	if (rc < 0)
		return rc;
	if (b & 0x3f)
		return BO_DFU_E_RESERVED;
	return xfer_start_check(m);
}

/* --- Transfer Cancel --- */

int bo_blob_xfer_cancel_encode(const struct bo_blob_xfer_cancel *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;

	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_le64(&w, m->id);
	return bo_wire_writer_result(&w);
}

int bo_blob_xfer_cancel_decode(const uint8_t *p, size_t len, struct bo_blob_xfer_cancel *m)
{
	struct bo_wire_reader r;

	bo_wire_reader_init(&r, p, len);
	m->id = bo_wire_get_le64(&r);
	return bo_wire_end(&r);
}

/* --- Transfer Status --- */

static int xfer_status_check(const struct bo_blob_xfer_status *m)
{
	uint32_t nblocks;

	if (m->status > BO_BLOB_STATUS_MAX || m->mode > BO_BLOB_MODE_PULL ||
	    m->phase > BO_BLOB_PHASE_SUSPENDED)
		return BO_DFU_E_INVALID;
	if (m->phase <= BO_BLOB_PHASE_WAITING_FOR_START)
		return BO_DFU_OK;
	if (m->block_size_log < BO_BLOB_BLOCK_SIZE_LOG_MIN ||
	    m->block_size_log > BO_BLOB_BLOCK_SIZE_LOG_MAX)
		return BO_DFU_E_INVALID;
	if (m->blocks_len && !m->blocks)
		return BO_DFU_E_ARG;
	nblocks = bo_blob_block_count(m->size, m->block_size_log);
	if (m->blocks_len != bo_blob_bitmap_bytes(nblocks))
		return BO_DFU_E_INCONSISTENT;
	if (!bo_blob_bitmap_valid(m->blocks, m->blocks_len, nblocks))
		return BO_DFU_E_RESERVED; /* padding bits set */
	return BO_DFU_OK;
}

int bo_blob_xfer_status_encode(const struct bo_blob_xfer_status *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = xfer_status_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, (uint8_t)(m->status | (m->mode << 6)));
	bo_wire_put_u8(&w, m->phase);
	if (m->phase != BO_BLOB_PHASE_INACTIVE)
		bo_wire_put_le64(&w, m->id);
	if (m->phase > BO_BLOB_PHASE_WAITING_FOR_START) {
		bo_wire_put_le32(&w, m->size);
		bo_wire_put_u8(&w, m->block_size_log);
		bo_wire_put_le16(&w, m->mtu);
		bo_wire_put_bytes(&w, m->blocks, m->blocks_len);
	}
	return bo_wire_writer_result(&w);
}

int bo_blob_xfer_status_decode(const uint8_t *p, size_t len, struct bo_blob_xfer_status *m)
{
	struct bo_wire_reader r;
	uint8_t b;
	int rc;

	*m = (struct bo_blob_xfer_status){ 0 };
	bo_wire_reader_init(&r, p, len);
	b = bo_wire_get_u8(&r);
	m->status = b & 0x0f;
	m->mode = b >> 6;
	m->phase = bo_wire_get_u8(&r);
	if (r.err == BO_DFU_OK && m->phase != BO_BLOB_PHASE_INACTIVE)
		m->id = bo_wire_get_le64(&r);
	if (r.err == BO_DFU_OK && m->phase > BO_BLOB_PHASE_WAITING_FOR_START) {
		m->size = bo_wire_get_le32(&r);
		m->block_size_log = bo_wire_get_u8(&r);
		m->mtu = bo_wire_get_le16(&r);
		m->blocks = bo_wire_get_rest(&r, &m->blocks_len);
	}
	rc = bo_wire_end(&r);
	if (rc < 0)
		return rc;
	if (b & 0x30)
		return BO_DFU_E_RESERVED;
	return xfer_status_check(m);
}

/* --- Block Start --- */

int bo_blob_block_start_encode(const struct bo_blob_block_start *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;

	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_le16(&w, m->block);
	bo_wire_put_le16(&w, m->chunk_size);
	return bo_wire_writer_result(&w);
}

int bo_blob_block_start_decode(const uint8_t *p, size_t len, struct bo_blob_block_start *m)
{
	struct bo_wire_reader r;

	bo_wire_reader_init(&r, p, len);
	m->block = bo_wire_get_le16(&r);
	m->chunk_size = bo_wire_get_le16(&r);
	return bo_wire_end(&r);
}

/* --- Chunk Transfer --- */

static int chunk_check(const struct bo_blob_chunk *m)
{
	if (m->len == 0)
		return BO_DFU_E_TOO_SHORT;
	if (m->len > BO_BLOB_CHUNK_DATA_MAX)
		return BO_DFU_E_LIMIT;
	return BO_DFU_OK;
}

int bo_blob_chunk_encode(const struct bo_blob_chunk *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = chunk_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_le16(&w, m->chunk);
	bo_wire_put_bytes(&w, m->data, m->len);
	return bo_wire_writer_result(&w);
}

int bo_blob_chunk_decode(const uint8_t *p, size_t len, struct bo_blob_chunk *m)
{
	struct bo_wire_reader r;

	*m = (struct bo_blob_chunk){ 0 };
	bo_wire_reader_init(&r, p, len);
	m->chunk = bo_wire_get_le16(&r);
	m->data = bo_wire_get_rest(&r, &m->len);
	if (r.err < 0)
		return r.err;
	return chunk_check(m);
}

/* --- Block Status --- */

static int block_status_check(const struct bo_blob_block_status *m)
{
	if (m->status > BO_BLOB_STATUS_MAX || m->format > BO_BLOB_MISSING_ENCODED)
		return BO_DFU_E_INVALID;
	if (m->missing_len && !m->missing)
		return BO_DFU_E_ARG;
	switch (m->format) {
	case BO_BLOB_MISSING_ALL:
	case BO_BLOB_MISSING_NONE:
		return m->missing_len ? BO_DFU_E_TOO_LONG : BO_DFU_OK;
	case BO_BLOB_MISSING_SOME:
		return m->missing_len ? BO_DFU_OK : BO_DFU_E_TOO_SHORT;
	default:
		return bo_blob_enc_list_validate(m->missing, m->missing_len, 0, NULL);
	}
}

int bo_blob_block_status_encode(const struct bo_blob_block_status *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = block_status_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, (uint8_t)(m->status | (m->format << 6)));
	bo_wire_put_le16(&w, m->block);
	bo_wire_put_le16(&w, m->chunk_size);
	bo_wire_put_bytes(&w, m->missing, m->missing_len);
	return bo_wire_writer_result(&w);
}

int bo_blob_block_status_decode(const uint8_t *p, size_t len, struct bo_blob_block_status *m)
{
	struct bo_wire_reader r;
	uint8_t b;

	*m = (struct bo_blob_block_status){ 0 };
	bo_wire_reader_init(&r, p, len);
	b = bo_wire_get_u8(&r);
	m->status = b & 0x0f;
	m->format = b >> 6;
	m->block = bo_wire_get_le16(&r);
	m->chunk_size = bo_wire_get_le16(&r);
	m->missing = bo_wire_get_rest(&r, &m->missing_len);
	if (r.err < 0)
		return r.err;
	if (b & 0x30)
		return BO_DFU_E_RESERVED;
	return block_status_check(m);
}

/* --- Partial Block Report --- */

int bo_blob_block_report_encode(const struct bo_blob_block_report *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc;

	if (m->len && !m->list)
		return BO_DFU_E_ARG;
	rc = bo_blob_enc_list_validate(m->list, m->len, 0, NULL);
	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_bytes(&w, m->list, m->len);
	return bo_wire_writer_result(&w);
}

int bo_blob_block_report_decode(const uint8_t *p, size_t len, struct bo_blob_block_report *m)
{
	struct bo_wire_reader r;

	bo_wire_reader_init(&r, p, len);
	m->list = bo_wire_get_rest(&r, &m->len);
	return bo_blob_enc_list_validate(m->list, m->len, 0, NULL);
}

/* --- Information Status --- */

static int info_status_check(const struct bo_blob_info_status *m)
{
	if (m->min_block_size_log < BO_BLOB_BLOCK_SIZE_LOG_MIN ||
	    m->max_block_size_log > BO_BLOB_BLOCK_SIZE_LOG_MAX ||
	    m->min_block_size_log > m->max_block_size_log)
		return BO_DFU_E_INVALID;
	if (m->max_chunks == 0 || m->max_chunk_size < 8 || m->max_size == 0 || m->mtu < 20)
		return BO_DFU_E_INVALID;
	if (m->modes & ~BO_BLOB_MODE_ALL)
		return BO_DFU_E_RESERVED;
	if (m->modes == BO_BLOB_MODE_NONE)
		return BO_DFU_E_INVALID;
	return BO_DFU_OK;
}

int bo_blob_info_status_encode(const struct bo_blob_info_status *m, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = info_status_check(m);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, m->min_block_size_log);
	bo_wire_put_u8(&w, m->max_block_size_log);
	bo_wire_put_le16(&w, m->max_chunks);
	bo_wire_put_le16(&w, m->max_chunk_size);
	bo_wire_put_le32(&w, m->max_size);
	bo_wire_put_le16(&w, m->mtu);
	bo_wire_put_u8(&w, m->modes);
	return bo_wire_writer_result(&w);
}

int bo_blob_info_status_decode(const uint8_t *p, size_t len, struct bo_blob_info_status *m)
{
	struct bo_wire_reader r;
	int rc;

	bo_wire_reader_init(&r, p, len);
	m->min_block_size_log = bo_wire_get_u8(&r);
	m->max_block_size_log = bo_wire_get_u8(&r);
	m->max_chunks = bo_wire_get_le16(&r);
	m->max_chunk_size = bo_wire_get_le16(&r);
	m->max_size = bo_wire_get_le32(&r);
	m->mtu = bo_wire_get_le16(&r);
	m->modes = bo_wire_get_u8(&r);
	rc = bo_wire_end(&r);
	if (rc < 0)
		return rc;
	return info_status_check(m);
}
