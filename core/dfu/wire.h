/*
 * core/dfu/wire.h: bounds-checked little-endian reader and writer, and the error codes every
 * core/dfu codec returns.
 *
 * The reader never reads past the end of its buffer: a read that does not fit records
 * BO_DFU_E_TOO_SHORT (the first error sticks), returns 0 (or NULL for byte ranges) and does
 * not advance, so a decoder may read all its fixed fields and check the error once. The
 * writer never writes past its capacity: a write that does not fit records BO_DFU_E_NO_SPACE
 * and writes nothing. A writer with a NULL buffer only counts (measure mode).
 *
 * All state is in the caller's struct: no statics, no heap.
 */
#ifndef BO_DFU_WIRE_H
#define BO_DFU_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Codec results: 0 or a non-negative length on success, one of these on failure. */
enum bo_dfu_err {
	BO_DFU_OK = 0,
	BO_DFU_E_TOO_SHORT = -1,    /* payload ends before a mandatory field */
	BO_DFU_E_TOO_LONG = -2,     /* bytes left over after the last field */
	BO_DFU_E_RESERVED = -3,     /* an RFU (reserved) bit is set */
	BO_DFU_E_INVALID = -4,      /* a prohibited or out-of-range field value */
	BO_DFU_E_INCONSISTENT = -5, /* lengths disagree: a length field points past the end,
				     * a list is not a whole number of entries, a bitmap does
				     * not match the size it describes, ... */
	BO_DFU_E_LIMIT = -6,        /* a variable field exceeds its limit (BO_DFU_*_MAXLEN) */
	BO_DFU_E_NO_SPACE = -7,     /* encode: the output buffer is too small */
	BO_DFU_E_OPCODE = -8,       /* malformed opcode, or not a BLOB/DFU/DFD opcode */
	BO_DFU_E_ARG = -9,          /* caller error: NULL pointer, index out of range, ... */
};

/* A short constant description of a bo_dfu_err value (never NULL). */
const char *bo_dfu_strerror(int err);

struct bo_wire_reader {
	const uint8_t *buf;
	size_t len;
	size_t pos;
	int err; /* first error, BO_DFU_OK while none */
};

void bo_wire_reader_init(struct bo_wire_reader *r, const uint8_t *buf, size_t len);
size_t bo_wire_remaining(const struct bo_wire_reader *r);
uint8_t bo_wire_get_u8(struct bo_wire_reader *r);
uint16_t bo_wire_get_le16(struct bo_wire_reader *r);
uint32_t bo_wire_get_le24(struct bo_wire_reader *r);
uint32_t bo_wire_get_le32(struct bo_wire_reader *r);
uint64_t bo_wire_get_le64(struct bo_wire_reader *r);
/* n bytes in place (no copy); NULL and TOO_SHORT when fewer remain. */
const uint8_t *bo_wire_get_bytes(struct bo_wire_reader *r, size_t n);
/* A 1-byte length, then that many bytes in place; *len receives the length (0 on error).
 * BO_DFU_E_INCONSISTENT when the length points past the end. */
const uint8_t *bo_wire_get_lv8(struct bo_wire_reader *r, size_t *len);
/* Everything left, in place; *n receives its length (possibly 0). */
const uint8_t *bo_wire_get_rest(struct bo_wire_reader *r, size_t *n);
/* Record err unless an error is already recorded; returns the recorded error. */
int bo_wire_fail(struct bo_wire_reader *r, int err);
/* The recorded error, else BO_DFU_E_TOO_LONG if bytes remain, else BO_DFU_OK. */
int bo_wire_end(struct bo_wire_reader *r);

struct bo_wire_writer {
	uint8_t *buf; /* NULL: measure only */
	size_t cap;
	size_t len;
	int err;
};

void bo_wire_writer_init(struct bo_wire_writer *w, uint8_t *buf, size_t cap);
void bo_wire_put_u8(struct bo_wire_writer *w, uint8_t v);
void bo_wire_put_le16(struct bo_wire_writer *w, uint16_t v);
void bo_wire_put_le24(struct bo_wire_writer *w, uint32_t v);
void bo_wire_put_le32(struct bo_wire_writer *w, uint32_t v);
void bo_wire_put_le64(struct bo_wire_writer *w, uint64_t v);
/* src may be NULL only when n is 0. */
void bo_wire_put_bytes(struct bo_wire_writer *w, const void *src, size_t n);
/* Record err unless an error is already recorded. */
void bo_wire_writer_fail(struct bo_wire_writer *w, int err);
/* The recorded error, else the number of bytes written (BO_DFU_E_TOO_LONG past INT_MAX). */
int bo_wire_writer_result(const struct bo_wire_writer *w);

#endif
