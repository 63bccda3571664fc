/*
 * tests/dfu/dfu_vectors.h: byte-exact payload vectors for every BLOB Transfer, Firmware
 * Update and Firmware Distribution message, written out by hand from the field tables in
 * reference/mesh-dfu.md and the Zephyr senders (blob_srv.c, blob_cli.c, dfu_srv.c,
 * dfu_cli.c, dfd_srv.c): little-endian fields, bit fields as commented.
 *
 * Each vector pairs the payload with the message it encodes. Flags say what the payload
 * without its last byte (TRUNC) and with a 0x00 appended (EXT) must do: fail to decode when
 * set, decode when clear. Messages whose payload ends in a free-length field (chunk data,
 * metadata, FWID, lists) accept the extra byte; their minimal vectors (tail empty) carry
 * TRUNC.
 */
#ifndef BO_TESTS_DFU_VECTORS_H
#define BO_TESTS_DFU_VECTORS_H

#include <stddef.h>
#include <stdint.h>

#include "core/dfu/msg.h"

#define TRUNC 1u /* dropping the last byte must be a decode error */
#define EXT 2u   /* appending a byte must be a decode error */

struct dfu_vector {
	const char *what;
	const uint8_t *bytes;
	size_t len;
	unsigned flags;
	struct bo_dfu_msg msg;
};

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })
#define NOBYTES NULL, 0
#define MSG(id, member, ...)                                                                   \
	{                                                                                      \
		.type = BO_MSG_##id, .u.member = { __VA_ARGS__ }                               \
	}
#define EMPTY(id)                                                                              \
	{                                                                                      \
		.type = BO_MSG_##id                                                            \
	}

static const uint8_t v_uuid[16] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
				    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };

static const struct bo_dfu_img_entry v_imgs[] = {
	{ .fwid = (const uint8_t[]){ 0x01, 0x02, 0x03, 0x04 }, .fwid_len = 4,
	  .uri = (const uint8_t *)"ab", .uri_len = 2 },
	{ .fwid = (const uint8_t[]){ 0xaa }, .fwid_len = 1 },
};

static const struct bo_dfd_receiver v_receivers[] = {
	{ .addr = 0x0002, .img_idx = 0 },
	{ .addr = 0x1234, .img_idx = 1 },
};

static const struct bo_dfd_target_entry v_targets[] = {
	{ .addr = 0x0005, .phase = BO_DFU_PHASE_VERIFY_OK, .update_status = BO_DFU_SUCCESS,
	  .blob_status = BO_BLOB_SUCCESS, .progress = 50, .img_idx = 0 },
	{ .addr = 0x7fff, .phase = BO_DFU_PHASE_UNKNOWN, .update_status = BO_DFU_ERR_INTERNAL,
	  .blob_status = BO_BLOB_ERR_INTERNAL, .progress = 0, .img_idx = 2 },
};

static const struct dfu_vector dfu_vectors[] = {
	/* ---------------- BLOB Transfer ---------------- */
	{ "BLOB Transfer Get", NOBYTES, EXT, EMPTY(BLOB_XFER_GET) },
	{ "BLOB Transfer Start push",
	  /* mode PUSH << 6; id; size 0x12345; block size log 12; MTU 384 */
	  BYTES(0x40, 0xef, 0xcd, 0xab, 0x89, 0x67, 0x45, 0x23, 0x01, 0x45, 0x23, 0x01, 0x00, 0x0c,
		0x80, 0x01),
	  TRUNC | EXT,
	  MSG(BLOB_XFER_START, blob_xfer_start, .mode = BO_BLOB_MODE_PUSH,
	      .id = 0x0123456789abcdefull, .size = 0x12345, .block_size_log = 12, .mtu = 384) },
	{ "BLOB Transfer Start pull",
	  BYTES(0x80, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x08, 0x00, 0x06, 0x14, 0x00),
	  TRUNC | EXT,
	  MSG(BLOB_XFER_START, blob_xfer_start, .mode = BO_BLOB_MODE_PULL, .id = 1,
	      .size = 0x80000, .block_size_log = 6, .mtu = 20) },
	{ "BLOB Transfer Cancel", BYTES(0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11),
	  TRUNC | EXT, MSG(BLOB_XFER_CANCEL, blob_xfer_cancel, .id = 0x1122334455667788ull) },
	{ "BLOB Transfer Status inactive", BYTES(0x00, 0x00), TRUNC | EXT,
	  MSG(BLOB_XFER_STATUS, blob_xfer_status, .phase = BO_BLOB_PHASE_INACTIVE) },
	{ "BLOB Transfer Status waiting for start",
	  /* status SUCCESS, mode NONE; phase 1; id */
	  BYTES(0x00, 0x01, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01), TRUNC | EXT,
	  MSG(BLOB_XFER_STATUS, blob_xfer_status, .phase = BO_BLOB_PHASE_WAITING_FOR_START,
	      .id = 0x0102030405060708ull) },
	{ "BLOB Transfer Status waiting for block",
	  /* SUCCESS | PUSH << 6; phase 2; id; size 10000; log 12 (3 blocks); MTU 384;
	   * blocks not received 0b111 */
	  BYTES(0x40, 0x02, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x10, 0x27, 0x00, 0x00,
		0x0c, 0x80, 0x01, 0x07),
	  TRUNC | EXT,
	  MSG(BLOB_XFER_STATUS, blob_xfer_status, .status = BO_BLOB_SUCCESS,
	      .mode = BO_BLOB_MODE_PUSH, .phase = BO_BLOB_PHASE_WAITING_FOR_BLOCK,
	      .id = 0x0102030405060708ull, .size = 10000, .block_size_log = 12, .mtu = 384,
	      .blocks = (const uint8_t[]){ 0x07 }, .blocks_len = 1) },
	{ "BLOB Transfer Status suspended, wrong id",
	  /* WRONG_BLOB_ID (6) | PULL << 6 = 0x86; phase 5; id; size 1024; log 6 (16 blocks);
	   * MTU 384; block 15 missing */
	  BYTES(0x86, 0x05, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x04, 0x00, 0x00,
		0x06, 0x80, 0x01, 0x00, 0x80),
	  TRUNC | EXT,
	  MSG(BLOB_XFER_STATUS, blob_xfer_status, .status = BO_BLOB_ERR_WRONG_BLOB_ID,
	      .mode = BO_BLOB_MODE_PULL, .phase = BO_BLOB_PHASE_SUSPENDED,
	      .id = 0x0102030405060708ull, .size = 1024, .block_size_log = 6, .mtu = 384,
	      .blocks = (const uint8_t[]){ 0x00, 0x80 }, .blocks_len = 2) },
	{ "BLOB Transfer Status complete, empty BLOB",
	  BYTES(0x40, 0x04, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0x00, 0x0c, 0x80, 0x01),
	  TRUNC | EXT,
	  MSG(BLOB_XFER_STATUS, blob_xfer_status, .mode = BO_BLOB_MODE_PUSH,
	      .phase = BO_BLOB_PHASE_COMPLETE, .id = 1, .block_size_log = 12, .mtu = 384) },
	{ "BLOB Block Start", BYTES(0x02, 0x00, 0x00, 0x01), TRUNC | EXT,
	  MSG(BLOB_BLOCK_START, blob_block_start, .block = 2, .chunk_size = 256) },
	{ "BLOB Block Get", NOBYTES, EXT, EMPTY(BLOB_BLOCK_GET) },
	{ "BLOB Information Get", NOBYTES, EXT, EMPTY(BLOB_INFO_GET) },
	{ "BLOB Information Status",
	  /* log 6..12, 256 chunks, chunk 377, BLOB 512 KiB, MTU 384, push+pull */
	  BYTES(0x06, 0x0c, 0x00, 0x01, 0x79, 0x01, 0x00, 0x00, 0x08, 0x00, 0x80, 0x01, 0x03),
	  TRUNC | EXT,
	  MSG(BLOB_INFO_STATUS, blob_info_status, .min_block_size_log = 6,
	      .max_block_size_log = 12, .max_chunks = 256, .max_chunk_size = 377,
	      .max_size = 524288, .mtu = 384, .modes = BO_BLOB_MODE_ALL) },
	{ "BLOB Chunk Transfer", BYTES(0x02, 0x01, 0xaa, 0xbb, 0xcc), 0,
	  MSG(BLOB_CHUNK, blob_chunk, .chunk = 0x0102, .data = (const uint8_t[]){ 0xaa, 0xbb, 0xcc },
	      .len = 3) },
	{ "BLOB Chunk Transfer, one byte", BYTES(0x05, 0x00, 0x5a), TRUNC,
	  MSG(BLOB_CHUNK, blob_chunk, .chunk = 5, .data = (const uint8_t[]){ 0x5a }, .len = 1) },
	{ "BLOB Block Status all missing", BYTES(0x00, 0x03, 0x00, 0x00, 0x01), TRUNC | EXT,
	  MSG(BLOB_BLOCK_STATUS, blob_block_status, .format = BO_BLOB_MISSING_ALL, .block = 3,
	      .chunk_size = 256) },
	{ "BLOB Block Status none missing", BYTES(0x40, 0x03, 0x00, 0x00, 0x01), TRUNC | EXT,
	  MSG(BLOB_BLOCK_STATUS, blob_block_status, .format = BO_BLOB_MISSING_NONE, .block = 3,
	      .chunk_size = 256) },
	{ "BLOB Block Status wrong phase", BYTES(0x04, 0xff, 0xff, 0xff, 0xff), TRUNC | EXT,
	  MSG(BLOB_BLOCK_STATUS, blob_block_status, .status = BO_BLOB_ERR_WRONG_PHASE,
	      .format = BO_BLOB_MISSING_ALL, .block = 0xffff, .chunk_size = 0xffff) },
	{ "BLOB Block Status some missing",
	  /* SOME << 6; block 1; chunk 64; chunks 0, 2, 15 missing */
	  BYTES(0x80, 0x01, 0x00, 0x40, 0x00, 0x05, 0x80), 0,
	  MSG(BLOB_BLOCK_STATUS, blob_block_status, .format = BO_BLOB_MISSING_SOME, .block = 1,
	      .chunk_size = 64, .missing = (const uint8_t[]){ 0x05, 0x80 }, .missing_len = 2) },
	{ "BLOB Block Status some missing, one byte", BYTES(0x80, 0x00, 0x00, 0x08, 0x00, 0x01),
	  TRUNC,
	  MSG(BLOB_BLOCK_STATUS, blob_block_status, .format = BO_BLOB_MISSING_SOME,
	      .chunk_size = 8, .missing = (const uint8_t[]){ 0x01 }, .missing_len = 1) },
	{ "BLOB Block Status encoded",
	  /* ENCODED << 6; block 0; chunk 8; chunks 0, 0x7f, 0x80, 0x7ff, 0x800, 0xffff */
	  BYTES(0xc0, 0x00, 0x00, 0x08, 0x00, 0x00, 0x7f, 0xc2, 0x80, 0xdf, 0xbf, 0xe0, 0xa0, 0x80,
		0xef, 0xbf, 0xbf),
	  TRUNC,
	  MSG(BLOB_BLOCK_STATUS, blob_block_status, .format = BO_BLOB_MISSING_ENCODED,
	      .chunk_size = 8,
	      .missing = (const uint8_t[]){ 0x00, 0x7f, 0xc2, 0x80, 0xdf, 0xbf, 0xe0, 0xa0, 0x80,
					    0xef, 0xbf, 0xbf },
	      .missing_len = 12) },
	{ "BLOB Block Status encoded, empty", BYTES(0xc0, 0x00, 0x00, 0x08, 0x00), TRUNC,
	  MSG(BLOB_BLOCK_STATUS, blob_block_status, .format = BO_BLOB_MISSING_ENCODED,
	      .chunk_size = 8) },
	{ "BLOB Partial Block Report", BYTES(0x01, 0xc2, 0x80), TRUNC,
	  MSG(BLOB_BLOCK_REPORT, blob_block_report, .list = (const uint8_t[]){ 0x01, 0xc2, 0x80 },
	      .len = 3) },
	{ "BLOB Partial Block Report, empty", NOBYTES, 0, EMPTY(BLOB_BLOCK_REPORT) },

	/* ---------------- Firmware Update ---------------- */
	{ "Update Information Get", BYTES(0x00, 0xff), TRUNC | EXT,
	  MSG(DFU_INFO_GET, dfu_info_get, .first = 0, .limit = 0xff) },
	{ "Update Information Status",
	  /* 2 images from 0: {FWID 01020304, URI "ab"}, {FWID aa, no URI} */
	  BYTES(0x02, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04, 0x02, 'a', 'b', 0x01, 0xaa, 0x00),
	  TRUNC | EXT,
	  MSG(DFU_INFO_STATUS, dfu_info_status, .count = 2, .first = 0, .imgs = v_imgs,
	      .n_imgs = 2) },
	{ "Update Information Status, no entries", BYTES(0x00, 0x00), TRUNC | EXT,
	  MSG(DFU_INFO_STATUS, dfu_info_status, .count = 0, .first = 0) },
	{ "Update Information Status, first past count", BYTES(0x01, 0x05), TRUNC | EXT,
	  MSG(DFU_INFO_STATUS, dfu_info_status, .count = 1, .first = 5) },
	{ "Firmware Metadata Check", BYTES(0x00, 0x01, 0x02, 0x03), 0,
	  MSG(DFU_METADATA_CHECK, dfu_metadata_check, .img_idx = 0,
	      .metadata = (const uint8_t[]){ 0x01, 0x02, 0x03 }, .metadata_len = 3) },
	{ "Firmware Metadata Check, no metadata", BYTES(0x07), TRUNC,
	  MSG(DFU_METADATA_CHECK, dfu_metadata_check, .img_idx = 7) },
	{ "Firmware Metadata Status",
	  /* ERR_METADATA (5) | UNPROV (3) << 3 = 0x1d; image 1 */
	  BYTES(0x1d, 0x01), TRUNC | EXT,
	  MSG(DFU_METADATA_STATUS, dfu_metadata_status, .status = BO_DFU_ERR_METADATA,
	      .effect = BO_DFU_EFFECT_UNPROV, .img_idx = 1) },
	{ "Update Get", NOBYTES, EXT, EMPTY(DFU_UPDATE_GET) },
	{ "Update Start",
	  /* TTL 7; timeout base 0x0102; BLOB id; image 0; metadata deadbeef */
	  BYTES(0x07, 0x02, 0x01, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00, 0xde, 0xad,
		0xbe, 0xef),
	  0,
	  MSG(DFU_UPDATE_START, dfu_update_start, .ttl = 7, .timeout_base = 0x0102,
	      .blob_id = 0x1122334455667788ull, .img_idx = 0,
	      .metadata = (const uint8_t[]){ 0xde, 0xad, 0xbe, 0xef }, .metadata_len = 4) },
	{ "Update Start, default TTL, no metadata",
	  BYTES(0xff, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x02), TRUNC,
	  MSG(DFU_UPDATE_START, dfu_update_start, .ttl = 0xff, .blob_id = 1, .img_idx = 2) },
	{ "Update Cancel", NOBYTES, EXT, EMPTY(DFU_UPDATE_CANCEL) },
	{ "Update Apply", NOBYTES, EXT, EMPTY(DFU_UPDATE_APPLY) },
	{ "Update Status idle", BYTES(0x00), TRUNC | EXT,
	  MSG(DFU_UPDATE_STATUS, dfu_update_status, .phase = BO_DFU_PHASE_IDLE) },
	{ "Update Status idle, wrong phase", BYTES(0x02), TRUNC | EXT,
	  MSG(DFU_UPDATE_STATUS, dfu_update_status, .status = BO_DFU_ERR_WRONG_PHASE) },
	{ "Update Status verify OK",
	  /* SUCCESS | VERIFY_OK (4) << 5 = 0x80; TTL 5; effect 2; timeout base 10; id; image 0 */
	  BYTES(0x80, 0x05, 0x02, 0x0a, 0x00, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00),
	  TRUNC | EXT,
	  MSG(DFU_UPDATE_STATUS, dfu_update_status, .status = BO_DFU_SUCCESS,
	      .phase = BO_DFU_PHASE_VERIFY_OK, .ttl = 5, .effect = BO_DFU_EFFECT_COMP_CHANGE,
	      .timeout_base = 10, .blob_id = 0x1122334455667788ull, .img_idx = 0) },
	{ "Update Status canceled",
	  /* ERR_WRONG_PHASE (2) | TRANSFER_CANCELED (7) << 5 = 0xe2 */
	  BYTES(0xe2, 0x7f, 0x03, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff), TRUNC | EXT,
	  MSG(DFU_UPDATE_STATUS, dfu_update_status, .status = BO_DFU_ERR_WRONG_PHASE,
	      .phase = BO_DFU_PHASE_TRANSFER_CANCELED, .ttl = 0x7f, .effect = BO_DFU_EFFECT_UNPROV,
	      .timeout_base = 0xffff, .blob_id = 0x8000000000000000ull, .img_idx = 0xff) },

	/* ---------------- Firmware Distribution ---------------- */
	{ "Receivers Add", BYTES(0x02, 0x00, 0x00, 0x34, 0x12, 0x01), TRUNC | EXT,
	  MSG(DFD_RECEIVERS_ADD, dfd_receivers_add, .list = v_receivers, .count = 2) },
	{ "Receivers Delete All", NOBYTES, EXT, EMPTY(DFD_RECEIVERS_DELETE_ALL) },
	{ "Receivers Status", BYTES(0x00, 0x08, 0x00), TRUNC | EXT,
	  MSG(DFD_RECEIVERS_STATUS, dfd_receivers_status, .status = BO_DFD_SUCCESS,
	      .list_count = 8) },
	{ "Receivers Status, busy", BYTES(0x07, 0x00, 0x01), TRUNC | EXT,
	  MSG(DFD_RECEIVERS_STATUS, dfd_receivers_status,
	      .status = BO_DFD_ERR_BUSY_WITH_DISTRIBUTION, .list_count = 256) },
	{ "Receivers Get", BYTES(0x00, 0x00, 0x08, 0x00), TRUNC | EXT,
	  MSG(DFD_RECEIVERS_GET, dfd_receivers_get, .first = 0, .limit = 8) },
	{ "Receivers List",
	  /* total 3, first 1;
	   * 0x0005 VERIFY_OK ok ok 50 (100 %): u32 0xc8020005, image 0;
	   * 0x7fff UNKNOWN ERR_INTERNAL(3) BLOB INTERNAL(9) 0 %: u32 0x025d7fff, image 2 */
	  BYTES(0x03, 0x00, 0x01, 0x00, 0x05, 0x00, 0x02, 0xc8, 0x00, 0xff, 0x7f, 0x5d, 0x02, 0x02),
	  TRUNC | EXT,
	  MSG(DFD_RECEIVERS_LIST, dfd_receivers_list, .total = 3, .first = 1, .list = v_targets,
	      .count = 2) },
	{ "Receivers List, empty", BYTES(0x00, 0x00, 0x00, 0x00), TRUNC | EXT,
	  MSG(DFD_RECEIVERS_LIST, dfd_receivers_list, .total = 0, .first = 0) },
	{ "Capabilities Get", NOBYTES, EXT, EMPTY(DFD_CAPS_GET) },
	{ "Capabilities Status, no OOB",
	  /* 8 receivers, 1 slot, 512 KiB image, 512 KiB space, 256 KiB left, no OOB */
	  BYTES(0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
		0x04, 0x00, 0x00),
	  TRUNC | EXT,
	  MSG(DFD_CAPS_STATUS, dfd_caps_status, .max_receivers = 8, .max_slots = 1,
	      .max_image_size = 524288, .max_upload_space = 524288, .remaining_space = 262144,
	      .oob_supported = 0) },
	{ "Capabilities Status, OOB https",
	  BYTES(0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x08, 0x00, 0x00, 0x00,
		0x04, 0x00, 0x01, 0x17),
	  TRUNC,
	  MSG(DFD_CAPS_STATUS, dfd_caps_status, .max_receivers = 8, .max_slots = 1,
	      .max_image_size = 524288, .max_upload_space = 524288, .remaining_space = 262144,
	      .oob_supported = 1, .uri_schemes = (const uint8_t[]){ 0x17 }, .uri_schemes_len = 1) },
	{ "Distribution Get", NOBYTES, EXT, EMPTY(DFD_GET) },
	{ "Distribution Start",
	  /* app key 1; TTL 7; timeout base 0; PUSH | apply << 2 = 0x05; slot 0; group 0xc000 */
	  BYTES(0x01, 0x00, 0x07, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0xc0), TRUNC | EXT,
	  MSG(DFD_START, dfd_start, .app_idx = 1, .ttl = 7, .timeout_base = 0,
	      .mode = BO_BLOB_MODE_PUSH, .policy = BO_DFD_POLICY_VERIFY_AND_APPLY, .slot_idx = 0,
	      .group = 0xc000) },
	{ "Distribution Start, label UUID",
	  /* app key 0x0fff; TTL 0xff; timeout base 0x0203; PULL, verify only; slot 1; UUID */
	  BYTES(0xff, 0x0f, 0xff, 0x03, 0x02, 0x02, 0x01, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55,
		0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff),
	  TRUNC | EXT,
	  MSG(DFD_START, dfd_start, .app_idx = 0x0fff, .ttl = 0xff, .timeout_base = 0x0203,
	      .mode = BO_BLOB_MODE_PULL, .policy = BO_DFD_POLICY_VERIFY_ONLY, .slot_idx = 1,
	      .label_uuid = v_uuid) },
	{ "Distribution Suspend", NOBYTES, EXT, EMPTY(DFD_SUSPEND) },
	{ "Distribution Cancel", NOBYTES, EXT, EMPTY(DFD_CANCEL) },
	{ "Distribution Apply", NOBYTES, EXT, EMPTY(DFD_APPLY) },
	{ "Distribution Status idle", BYTES(0x00, 0x00), TRUNC | EXT,
	  MSG(DFD_STATUS, dfd_status, .status = BO_DFD_SUCCESS, .phase = BO_DFD_PHASE_IDLE) },
	{ "Distribution Status active",
	  /* SUCCESS; TRANSFER_ACTIVE; group 0xc000; app key 1; TTL 7; timeout base 0;
	   * PULL, verify only; slot 0 */
	  BYTES(0x00, 0x01, 0x00, 0xc0, 0x01, 0x00, 0x07, 0x00, 0x00, 0x02, 0x00, 0x00),
	  TRUNC | EXT,
	  MSG(DFD_STATUS, dfd_status, .status = BO_DFD_SUCCESS,
	      .phase = BO_DFD_PHASE_TRANSFER_ACTIVE, .has_params = true, .group = 0xc000,
	      .app_idx = 1, .ttl = 7, .timeout_base = 0, .mode = BO_BLOB_MODE_PULL,
	      .policy = BO_DFD_POLICY_VERIFY_ONLY, .slot_idx = 0) },
	{ "Distribution Status failed, short form", BYTES(0x03, 0x05), TRUNC | EXT,
	  MSG(DFD_STATUS, dfd_status, .status = BO_DFD_ERR_INTERNAL,
	      .phase = BO_DFD_PHASE_FAILED) },
	{ "Upload Get", NOBYTES, EXT, EMPTY(DFD_UPLOAD_GET) },
	{ "Upload Start",
	  /* TTL 7; timeout base 1; id; size 0x10000; metadata {01 00}; FWID cafe */
	  BYTES(0x07, 0x01, 0x00, 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00, 0x00, 0x01,
		0x00, 0x02, 0x01, 0x00, 0xca, 0xfe),
	  0,
	  MSG(DFD_UPLOAD_START, dfd_upload_start, .ttl = 7, .timeout_base = 1,
	      .blob_id = 0x0102030405060708ull, .size = 0x10000,
	      .metadata = (const uint8_t[]){ 0x01, 0x00 }, .metadata_len = 2,
	      .fwid = (const uint8_t[]){ 0xca, 0xfe }, .fwid_len = 2) },
	{ "Upload Start, no metadata or FWID",
	  BYTES(0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0x10, 0x00, 0x00, 0x00, 0x00), TRUNC,
	  MSG(DFD_UPLOAD_START, dfd_upload_start, .blob_id = 1, .size = 16) },
	{ "Upload Start OOB", BYTES(0x04, 'h', 't', 't', 'p', 0x01), 0,
	  MSG(DFD_UPLOAD_START_OOB, dfd_upload_start_oob, .uri = (const uint8_t *)"http",
	      .uri_len = 4, .fwid = (const uint8_t[]){ 0x01 }, .fwid_len = 1) },
	{ "Upload Start OOB, one-byte URI", BYTES(0x01, 'a'), TRUNC,
	  MSG(DFD_UPLOAD_START_OOB, dfd_upload_start_oob, .uri = (const uint8_t *)"a",
	      .uri_len = 1) },
	{ "Upload Cancel", NOBYTES, EXT, EMPTY(DFD_UPLOAD_CANCEL) },
	{ "Upload Status idle", BYTES(0x00, 0x00), TRUNC,
	  MSG(DFD_UPLOAD_STATUS, dfd_upload_status, .status = BO_DFD_SUCCESS,
	      .phase = BO_DFD_UPLOAD_PHASE_IDLE) },
	{ "Upload Status active",
	  /* SUCCESS; TRANSFER_ACTIVE; 42 %; FWID 0102 */
	  BYTES(0x00, 0x01, 0x2a, 0x01, 0x02), 0,
	  MSG(DFD_UPLOAD_STATUS, dfd_upload_status, .phase = BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE,
	      .has_progress = true, .progress = 42,
	      .fwid = (const uint8_t[]){ 0x01, 0x02 }, .fwid_len = 2) },
	{ "Upload Status OOB done",
	  /* SUCCESS; TRANSFER_SUCCESS; 100 % | OOB << 7 = 0xe4; no FWID */
	  BYTES(0x00, 0x03, 0xe4), 0,
	  MSG(DFD_UPLOAD_STATUS, dfd_upload_status, .phase = BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS,
	      .has_progress = true, .progress = 100, .oob = true) },
	{ "Firmware Get", BYTES(0x01, 0x02, 0x03), 0,
	  MSG(DFD_FW_GET, dfd_fw_get, .fwid = (const uint8_t[]){ 0x01, 0x02, 0x03 },
	      .fwid_len = 3) },
	{ "Firmware Get, empty FWID", NOBYTES, 0, EMPTY(DFD_FW_GET) },
	{ "Firmware Get By Index", BYTES(0x02, 0x01), TRUNC | EXT,
	  MSG(DFD_FW_GET_BY_INDEX, dfd_fw_get_by_index, .index = 0x0102) },
	{ "Firmware Delete", BYTES(0xab), 0,
	  MSG(DFD_FW_DELETE, dfd_fw_delete, .fwid = (const uint8_t[]){ 0xab }, .fwid_len = 1) },
	{ "Firmware Delete All", NOBYTES, EXT, EMPTY(DFD_FW_DELETE_ALL) },
	{ "Firmware Status",
	  /* FW_NOT_FOUND; 1 slot; index 0xffff; FWID abcd */
	  BYTES(0x04, 0x01, 0x00, 0xff, 0xff, 0xab, 0xcd), 0,
	  MSG(DFD_FW_STATUS, dfd_fw_status, .status = BO_DFD_ERR_FW_NOT_FOUND, .slot_count = 1,
	      .index = 0xffff, .fwid = (const uint8_t[]){ 0xab, 0xcd }, .fwid_len = 2) },
	{ "Firmware Status, no FWID", BYTES(0x00, 0x02, 0x00, 0x01, 0x00), TRUNC,
	  MSG(DFD_FW_STATUS, dfd_fw_status, .status = BO_DFD_SUCCESS, .slot_count = 2,
	      .index = 1) },
};

#define DFU_N_VECTORS (sizeof(dfu_vectors) / sizeof(dfu_vectors[0]))

#endif
