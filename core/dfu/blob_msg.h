/*
 * core/dfu/blob_msg.h: BLOB Transfer (MshMBT 1.0) message codecs, wire-exact with Zephyr
 * subsys/bluetooth/mesh/blob_srv.c and blob_cli.c (reference/mesh-dfu.md).
 *
 * Every encoder writes the payload (not the opcode) into buf and returns its length, or a
 * negative bo_dfu_err (nothing usable is written then). Every decoder takes the payload and
 * fills the struct, or returns a negative bo_dfu_err. Variable parts point into the decoded
 * buffer (no copy). Encoders check the same rules as decoders, so whatever encodes decodes.
 * Empty messages (Transfer Get, Block Get, Information Get) use bo_dfu_empty_decode().
 *
 * Decoders are strict: reserved (RFU) bits set, prohibited values and bytes left over are
 * errors. Values that a server answers with an error status (block size log out of range in
 * Transfer Start, chunk size 0 in Block Start, ...) are not codec errors: they decode, and
 * the model answers with its status code, as Zephyr does.
 */
#ifndef BO_DFU_BLOB_MSG_H
#define BO_DFU_BLOB_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "core/dfu/blob_chunks.h"
#include "core/dfu/wire.h"

#define BO_OP_BLOB_XFER_GET 0x8300u
#define BO_OP_BLOB_XFER_START 0x8301u
#define BO_OP_BLOB_XFER_CANCEL 0x8302u
#define BO_OP_BLOB_XFER_STATUS 0x8303u
#define BO_OP_BLOB_BLOCK_START 0x8304u
#define BO_OP_BLOB_BLOCK_GET 0x8305u
#define BO_OP_BLOB_INFO_GET 0x8306u
#define BO_OP_BLOB_INFO_STATUS 0x8307u
#define BO_OP_BLOB_CHUNK 0x66u
#define BO_OP_BLOB_BLOCK_STATUS 0x67u
#define BO_OP_BLOB_BLOCK_REPORT 0x68u

/*
 * Largest chunk: the largest access SDU (32 segments x 12 = 384 bytes) minus the 1-byte
 * opcode, the 2-byte chunk number and the 4-byte TransMIC (reference/mesh-dfu.md).
 */
#define BO_BLOB_CHUNK_DATA_MAX 377u

enum bo_blob_mode {
	BO_BLOB_MODE_NONE = 0,
	BO_BLOB_MODE_PUSH = 1,
	BO_BLOB_MODE_PULL = 2,
	BO_BLOB_MODE_ALL = 3,
};

enum bo_blob_phase {
	BO_BLOB_PHASE_INACTIVE = 0,
	BO_BLOB_PHASE_WAITING_FOR_START = 1,
	BO_BLOB_PHASE_WAITING_FOR_BLOCK = 2,
	BO_BLOB_PHASE_WAITING_FOR_CHUNK = 3,
	BO_BLOB_PHASE_COMPLETE = 4,
	BO_BLOB_PHASE_SUSPENDED = 5,
};

enum bo_blob_status {
	BO_BLOB_SUCCESS = 0,
	BO_BLOB_ERR_INVALID_BLOCK_NUM = 1,
	BO_BLOB_ERR_INVALID_BLOCK_SIZE = 2,
	BO_BLOB_ERR_INVALID_CHUNK_SIZE = 3,
	BO_BLOB_ERR_WRONG_PHASE = 4,
	BO_BLOB_ERR_INVALID_PARAM = 5,
	BO_BLOB_ERR_WRONG_BLOB_ID = 6,
	BO_BLOB_ERR_BLOB_TOO_LARGE = 7,
	BO_BLOB_ERR_UNSUPPORTED_MODE = 8,
	BO_BLOB_ERR_INTERNAL = 9,
	BO_BLOB_ERR_INFO_UNAVAILABLE = 10,
};
#define BO_BLOB_STATUS_MAX BO_BLOB_ERR_INFO_UNAVAILABLE

/* Block Status "format" (how the missing chunks are given). */
enum bo_blob_missing {
	BO_BLOB_MISSING_ALL = 0,
	BO_BLOB_MISSING_NONE = 1,
	BO_BLOB_MISSING_SOME = 2,    /* bitmap follows */
	BO_BLOB_MISSING_ENCODED = 3, /* encoded list follows (pull mode); empty = none */
};

/* 0x8301, 16 bytes: mode << 6 (bits 0-5 RFU), id, size, block size log, client MTU.
 * mode must be PUSH or PULL (Zephyr blob_srv.c drops anything else). */
struct bo_blob_xfer_start {
	uint8_t mode;
	uint64_t id;
	uint32_t size;
	uint8_t block_size_log;
	uint16_t mtu;
};

/* 0x8302, 8 bytes. */
struct bo_blob_xfer_cancel {
	uint64_t id;
};

/*
 * 0x8303: status (bits 0-3) | mode << 6 (bits 4-5 RFU), phase; the rest depends on the phase
 * (Zephyr blob_srv.c xfer_status_rsp):
 *   INACTIVE           nothing more                                   (2 bytes)
 *   WAITING_FOR_START  id                                             (10 bytes)
 *   any other phase    id, size, block size log, MTU, blocks-not-received bitmap
 *                      of exactly ceil(block_count / 8) bytes, padding bits zero
 * mode is 0 (none), PUSH or PULL; phase 0..5; status 0..10; block size log 6..32 when present.
 */
struct bo_blob_xfer_status {
	uint8_t status;
	uint8_t mode;
	uint8_t phase;
	uint64_t id;
	uint32_t size;
	uint8_t block_size_log;
	uint16_t mtu;
	const uint8_t *blocks; /* blocks not received, LSB first */
	size_t blocks_len;
};

/* 0x8304, 4 bytes. */
struct bo_blob_block_start {
	uint16_t block;
	uint16_t chunk_size;
};

/* 0x66: chunk number, then 1..BO_BLOB_CHUNK_DATA_MAX data bytes. */
struct bo_blob_chunk {
	uint16_t chunk;
	const uint8_t *data;
	size_t len;
};

/*
 * 0x67: status (bits 0-3) | format << 6 (bits 4-5 RFU), block number, chunk size, then
 * nothing (ALL, NONE), a bitmap of at least one byte (SOME) or an encoded list, possibly
 * empty (ENCODED). The bitmap length is not checked against the chunk count: the message
 * does not carry the block size (the client knows it; see bo_blob_bitmap_valid()).
 */
struct bo_blob_block_status {
	uint8_t status;
	uint8_t format;
	uint16_t block;
	uint16_t chunk_size;
	const uint8_t *missing;
	size_t missing_len;
};

/* 0x68: an encoded list of missing chunks (possibly empty: nothing missing). */
struct bo_blob_block_report {
	const uint8_t *list;
	size_t len;
};

/*
 * 0x8307, 13 bytes. Checks follow Zephyr blob_cli.c handle_info_status: block size logs
 * 6..32 with min <= max, max chunks != 0, max chunk size >= 8, max BLOB size != 0,
 * MTU >= 20; supported modes non-zero with bits 2-7 RFU.
 */
struct bo_blob_info_status {
	uint8_t min_block_size_log;
	uint8_t max_block_size_log;
	uint16_t max_chunks;
	uint16_t max_chunk_size;
	uint32_t max_size;
	uint16_t mtu;
	uint8_t modes;
};

/* Empty payload: 0, or BO_DFU_E_TOO_LONG. */
int bo_dfu_empty_decode(const uint8_t *p, size_t len);

int bo_blob_xfer_start_encode(const struct bo_blob_xfer_start *m, uint8_t *buf, size_t cap);
int bo_blob_xfer_start_decode(const uint8_t *p, size_t len, struct bo_blob_xfer_start *m);
int bo_blob_xfer_cancel_encode(const struct bo_blob_xfer_cancel *m, uint8_t *buf, size_t cap);
int bo_blob_xfer_cancel_decode(const uint8_t *p, size_t len, struct bo_blob_xfer_cancel *m);
int bo_blob_xfer_status_encode(const struct bo_blob_xfer_status *m, uint8_t *buf, size_t cap);
int bo_blob_xfer_status_decode(const uint8_t *p, size_t len, struct bo_blob_xfer_status *m);
int bo_blob_block_start_encode(const struct bo_blob_block_start *m, uint8_t *buf, size_t cap);
int bo_blob_block_start_decode(const uint8_t *p, size_t len, struct bo_blob_block_start *m);
int bo_blob_chunk_encode(const struct bo_blob_chunk *m, uint8_t *buf, size_t cap);
int bo_blob_chunk_decode(const uint8_t *p, size_t len, struct bo_blob_chunk *m);
int bo_blob_block_status_encode(const struct bo_blob_block_status *m, uint8_t *buf, size_t cap);
int bo_blob_block_status_decode(const uint8_t *p, size_t len, struct bo_blob_block_status *m);
int bo_blob_block_report_encode(const struct bo_blob_block_report *m, uint8_t *buf, size_t cap);
int bo_blob_block_report_decode(const uint8_t *p, size_t len, struct bo_blob_block_report *m);
int bo_blob_info_status_encode(const struct bo_blob_info_status *m, uint8_t *buf, size_t cap);
int bo_blob_info_status_decode(const uint8_t *p, size_t len, struct bo_blob_info_status *m);

#endif
