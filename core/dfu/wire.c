/* core/dfu/wire.c: bounds-checked little-endian reader and writer (see wire.h). */
#include "core/dfu/wire.h"

#include <limits.h>
#include <string.h>

const char *bo_dfu_strerror(int err)
{
	switch (err) {
	case BO_DFU_OK:
		return "ok";
	case BO_DFU_E_TOO_SHORT:
		return "too short";
	case BO_DFU_E_TOO_LONG:
		return "too long";
	case BO_DFU_E_RESERVED:
		return "reserved bits set";
	case BO_DFU_E_INVALID:
		return "invalid field value";
	case BO_DFU_E_INCONSISTENT:
		return "inconsistent lengths";
	case BO_DFU_E_LIMIT:
		return "field exceeds its length limit";
	case BO_DFU_E_NO_SPACE:
		return "output buffer too small";
	case BO_DFU_E_OPCODE:
		return "unknown or malformed opcode";
	case BO_DFU_E_ARG:
		return "invalid argument";
	default:
		return "unknown error";
	}
}

void bo_wire_reader_init(struct bo_wire_reader *r, const uint8_t *buf, size_t len)
{
	r->buf = buf;
	r->len = buf ? len : 0;
	r->pos = 0;
	r->err = BO_DFU_OK;
}

size_t bo_wire_remaining(const struct bo_wire_reader *r)
{
	return r->len - r->pos;
}

int bo_wire_fail(struct bo_wire_reader *r, int err)
{
	if (r->err == BO_DFU_OK)
		r->err = err;
	return r->err;
}

const uint8_t *bo_wire_get_bytes(struct bo_wire_reader *r, size_t n)
{
	const uint8_t *p;

	if (r->err != BO_DFU_OK)
		return NULL;
	if (n > r->len - r->pos) {
		r->err = BO_DFU_E_TOO_SHORT;
		return NULL;
	}
	p = r->buf + r->pos;
	r->pos += n;
	return p;
}

const uint8_t *bo_wire_get_rest(struct bo_wire_reader *r, size_t *n)
{
	size_t left = r->err == BO_DFU_OK ? r->len - r->pos : 0;

	*n = left;
	return bo_wire_get_bytes(r, left);
}

const uint8_t *bo_wire_get_lv8(struct bo_wire_reader *r, size_t *len)
{
	size_t n = bo_wire_get_u8(r);

	*len = 0;
	if (r->err != BO_DFU_OK)
		return NULL;
	if (n > r->len - r->pos) {
		r->err = BO_DFU_E_INCONSISTENT;
		return NULL;
	}
	*len = n;
	return bo_wire_get_bytes(r, n);
}

static uint64_t get_le(struct bo_wire_reader *r, size_t n)
{
	const uint8_t *p = bo_wire_get_bytes(r, n);
	uint64_t v = 0;

	if (!p)
		return 0;
	while (n--)
		v = (v << 8) | p[n];
	return v;
}

uint8_t bo_wire_get_u8(struct bo_wire_reader *r)
{
	return (uint8_t)get_le(r, 1);
}

uint16_t bo_wire_get_le16(struct bo_wire_reader *r)
{
	return (uint16_t)get_le(r, 2);
}

uint32_t bo_wire_get_le24(struct bo_wire_reader *r)
{
	return (uint32_t)get_le(r, 3);
}

uint32_t bo_wire_get_le32(struct bo_wire_reader *r)
{
	return (uint32_t)get_le(r, 4);
}

uint64_t bo_wire_get_le64(struct bo_wire_reader *r)
{
	return get_le(r, 8);
}

int bo_wire_end(struct bo_wire_reader *r)
{
	if (r->err == BO_DFU_OK && r->pos != r->len)
		r->err = BO_DFU_E_TOO_LONG;
	return r->err;
}

void bo_wire_writer_init(struct bo_wire_writer *w, uint8_t *buf, size_t cap)
{
	w->buf = buf;
	w->cap = buf ? cap : SIZE_MAX;
	w->len = 0;
	w->err = BO_DFU_OK;
}

void bo_wire_writer_fail(struct bo_wire_writer *w, int err)
{
	if (w->err == BO_DFU_OK)
		w->err = err;
}

/* Reserve n bytes: a pointer to write them, or NULL (measure mode, or out of space). */
static uint8_t *reserve(struct bo_wire_writer *w, size_t n)
{
	uint8_t *p;

	if (w->err != BO_DFU_OK)
		return NULL;
	if (n > w->cap - w->len) {
		w->err = BO_DFU_E_NO_SPACE;
		return NULL;
	}
	p = w->buf ? w->buf + w->len : NULL;
	w->len += n;
	return p;
}

static void put_le(struct bo_wire_writer *w, uint64_t v, size_t n)
{
	uint8_t *p = reserve(w, n);

	if (!p)
		return;
	for (size_t i = 0; i < n; i++) {
		p[i] = (uint8_t)v;
		v >>= 8;
	}
}

void bo_wire_put_u8(struct bo_wire_writer *w, uint8_t v)
{
	put_le(w, v, 1);
}

void bo_wire_put_le16(struct bo_wire_writer *w, uint16_t v)
{
	put_le(w, v, 2);
}

void bo_wire_put_le24(struct bo_wire_writer *w, uint32_t v)
{
	if (v > 0xffffffu)
		bo_wire_writer_fail(w, BO_DFU_E_INVALID);
	put_le(w, v, 3);
}

void bo_wire_put_le32(struct bo_wire_writer *w, uint32_t v)
{
	put_le(w, v, 4);
}

void bo_wire_put_le64(struct bo_wire_writer *w, uint64_t v)
{
	put_le(w, v, 8);
}

void bo_wire_put_bytes(struct bo_wire_writer *w, const void *src, size_t n)
{
	uint8_t *p;

	if (n == 0)
		return;
	if (!src) {
		bo_wire_writer_fail(w, BO_DFU_E_ARG);
		return;
	}
	p = reserve(w, n);
	if (p)
		memcpy(p, src, n);
}

int bo_wire_writer_result(const struct bo_wire_writer *w)
{
	if (w->err != BO_DFU_OK)
		return w->err;
	if (w->len > INT_MAX)
		return BO_DFU_E_TOO_LONG;
	return (int)w->len;
}
