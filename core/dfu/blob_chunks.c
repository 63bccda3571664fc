/* core/dfu/blob_chunks.c: block/chunk arithmetic, bitmaps, encoded lists (see blob_chunks.h). */
#include "core/dfu/blob_chunks.h"

uint32_t bo_blob_block_count(uint32_t size, uint8_t block_size_log)
{
	uint64_t bs;

	if (block_size_log > BO_BLOB_BLOCK_SIZE_LOG_MAX)
		return 0;
	bs = (uint64_t)1 << block_size_log;
	return (uint32_t)(((uint64_t)size + bs - 1) >> block_size_log);
}

uint32_t bo_blob_block_size(uint32_t size, uint8_t block_size_log, uint32_t idx)
{
	uint64_t bs, off;

	if (block_size_log > BO_BLOB_BLOCK_SIZE_LOG_MAX)
		return 0;
	bs = (uint64_t)1 << block_size_log;
	off = (uint64_t)idx << block_size_log;
	if (off >= size)
		return 0;
	return (uint32_t)(size - off < bs ? size - off : bs);
}

uint32_t bo_blob_chunk_count(uint32_t block_size, uint16_t chunk_size)
{
	if (chunk_size == 0)
		return 0;
	return (uint32_t)(((uint64_t)block_size + chunk_size - 1) / chunk_size);
}

uint32_t bo_blob_chunk_len(uint32_t block_size, uint16_t chunk_size, uint32_t idx)
{
	uint64_t off;

	if (chunk_size == 0)
		return 0;
	off = (uint64_t)idx * chunk_size;
	if (off >= block_size)
		return 0;
	return (uint32_t)(block_size - off < chunk_size ? block_size - off : chunk_size);
}

size_t bo_blob_bitmap_bytes(uint32_t nbits)
{
	return ((size_t)nbits + 7) / 8;
}

bool bo_blob_bitmap_test(const uint8_t *bm, size_t len, uint32_t idx)
{
	if (idx / 8 >= len)
		return false;
	return (bm[idx / 8] >> (idx % 8)) & 1u;
}

int bo_blob_bitmap_set(uint8_t *bm, size_t len, uint32_t idx, bool value)
{
	uint8_t mask = (uint8_t)(1u << (idx % 8));

	if (idx / 8 >= len)
		return BO_DFU_E_ARG;
	if (value)
		bm[idx / 8] |= mask;
	else
		bm[idx / 8] &= (uint8_t)~mask;
	return BO_DFU_OK;
}

void bo_blob_bitmap_fill(uint8_t *bm, size_t len, uint32_t nbits)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t first = (uint64_t)i * 8;

		if (first + 8 <= nbits)
			bm[i] = 0xff;
		else if (first >= nbits)
			bm[i] = 0;
		else
			bm[i] = (uint8_t)((1u << (nbits - first)) - 1);
	}
}

uint32_t bo_blob_bitmap_count(const uint8_t *bm, size_t len, uint32_t nbits)
{
	uint32_t n = 0;

	for (uint32_t i = bo_blob_bitmap_next(bm, len, nbits, 0); i < nbits;
	     i = bo_blob_bitmap_next(bm, len, nbits, i + 1))
		n++;
	return n;
}

uint32_t bo_blob_bitmap_next(const uint8_t *bm, size_t len, uint32_t nbits, uint32_t from)
{
	uint64_t limit = (uint64_t)len * 8;

	if (limit > nbits)
		limit = nbits;
	for (uint64_t i = from; i < limit; i++) {
		uint8_t byte = bm[i / 8] >> (i % 8);

		if (byte == 0) {
			/* nothing left in this byte: skip to the next one */
			i |= 7;
			continue;
		}
		while (!(byte & 1u)) {
			byte >>= 1;
			i++;
		}
		return i < limit ? (uint32_t)i : nbits;
	}
	return nbits;
}

bool bo_blob_bitmap_valid(const uint8_t *bm, size_t len, uint32_t nbits)
{
	if (len != bo_blob_bitmap_bytes(nbits))
		return false;
	if (nbits % 8 == 0)
		return true;
	return (bm[len - 1] >> (nbits % 8)) == 0;
}

int bo_blob_enc_index_len(uint32_t idx)
{
	if (idx < 0x80)
		return 1;
	if (idx < 0x800)
		return 2;
	if (idx <= BO_BLOB_CHUNK_INDEX_MAX)
		return 3;
	return BO_DFU_E_INVALID;
}

void bo_blob_enc_put(struct bo_wire_writer *w, uint32_t idx)
{
	switch (bo_blob_enc_index_len(idx)) {
	case 1:
		bo_wire_put_u8(w, (uint8_t)idx);
		break;
	case 2:
		bo_wire_put_u8(w, (uint8_t)(0xc0 | (idx >> 6)));
		bo_wire_put_u8(w, (uint8_t)(0x80 | (idx & 0x3f)));
		break;
	case 3:
		bo_wire_put_u8(w, (uint8_t)(0xe0 | (idx >> 12)));
		bo_wire_put_u8(w, (uint8_t)(0x80 | ((idx >> 6) & 0x3f)));
		bo_wire_put_u8(w, (uint8_t)(0x80 | (idx & 0x3f)));
		break;
	default:
		bo_wire_writer_fail(w, BO_DFU_E_INVALID);
		break;
	}
}

int bo_blob_enc_list_encode(const uint16_t *idx, size_t n, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;

	if (n && !idx)
		return BO_DFU_E_ARG;
	bo_wire_writer_init(&w, buf, cap);
	for (size_t i = 0; i < n; i++)
		bo_blob_enc_put(&w, idx[i]);
	return bo_wire_writer_result(&w);
}

int bo_blob_enc_list_from_bitmap(const uint8_t *bm, size_t len, uint32_t nbits,
				 size_t max_entries, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	size_t n = 0;

	bo_wire_writer_init(&w, buf, cap);
	for (uint32_t i = bo_blob_bitmap_next(bm, len, nbits, 0); i < nbits && n < max_entries;
	     i = bo_blob_bitmap_next(bm, len, nbits, i + 1), n++)
		bo_blob_enc_put(&w, i);
	return bo_wire_writer_result(&w);
}

void bo_blob_enc_iter_init(struct bo_blob_enc_iter *it, const uint8_t *list, size_t len)
{
	bo_wire_reader_init(&it->r, list, len);
}

static bool is_cont(uint8_t b)
{
	return (b & 0xc0) == 0x80;
}

int bo_blob_enc_iter_next(struct bo_blob_enc_iter *it, uint16_t *idx)
{
	struct bo_wire_reader *r = &it->r;
	uint32_t v;
	uint8_t b0;

	if (r->err != BO_DFU_OK)
		return r->err;
	if (bo_wire_remaining(r) == 0)
		return 0;
	b0 = bo_wire_get_u8(r);
	if (b0 < 0x80) {
		v = b0;
	} else if ((b0 & 0xe0) == 0xc0) {
		uint8_t b1 = bo_wire_get_u8(r);

		if (r->err != BO_DFU_OK)
			return r->err;
		if (!is_cont(b1))
			return bo_wire_fail(r, BO_DFU_E_INVALID);
		v = ((uint32_t)(b0 & 0x1f) << 6) | (b1 & 0x3f);
		if (v < 0x80) /* overlong */
			return bo_wire_fail(r, BO_DFU_E_INVALID);
	} else if ((b0 & 0xf0) == 0xe0) {
		const uint8_t *b = bo_wire_get_bytes(r, 2);

		if (!b)
			return r->err;
		if (!is_cont(b[0]) || !is_cont(b[1]))
			return bo_wire_fail(r, BO_DFU_E_INVALID);
		v = ((uint32_t)(b0 & 0x0f) << 12) | ((uint32_t)(b[0] & 0x3f) << 6) | (b[1] & 0x3f);
		if (v < 0x800) /* overlong */
			return bo_wire_fail(r, BO_DFU_E_INVALID);
	} else {
		/* a continuation byte where a sequence starts, or a 4+ byte sequence */
		return bo_wire_fail(r, BO_DFU_E_INVALID);
	}
	*idx = (uint16_t)v;
	return 1;
}

int bo_blob_enc_list_validate(const uint8_t *list, size_t len, uint32_t chunk_count,
			      size_t *count)
{
	struct bo_blob_enc_iter it;
	size_t n = 0;
	uint16_t idx;
	int rc;

	bo_blob_enc_iter_init(&it, list, len);
	while ((rc = bo_blob_enc_iter_next(&it, &idx)) == 1) {
		if (chunk_count && idx >= chunk_count)
			return BO_DFU_E_INVALID;
		n++;
	}
	if (rc < 0)
		return rc;
	if (count)
		*count = n;
	return BO_DFU_OK;
}

int bo_blob_enc_list_to_bitmap(const uint8_t *list, size_t len, uint32_t chunk_count,
			       uint8_t *bm, size_t bm_len)
{
	struct bo_blob_enc_iter it;
	uint16_t idx;
	int rc;

	if (!bm || bm_len < bo_blob_bitmap_bytes(chunk_count))
		return BO_DFU_E_ARG;
	if (chunk_count == 0)
		return len ? BO_DFU_E_INVALID : BO_DFU_OK;
	rc = bo_blob_enc_list_validate(list, len, chunk_count, NULL);
	if (rc < 0)
		return rc;
	bo_blob_enc_iter_init(&it, list, len);
	while (bo_blob_enc_iter_next(&it, &idx) == 1)
		bo_blob_bitmap_set(bm, bm_len, idx, true);
	return BO_DFU_OK;
}
