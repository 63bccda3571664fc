/*
 * core/dfu/msg.h: mesh access opcodes, and one dispatch over every BLOB Transfer, Firmware
 * Update and Firmware Distribution message: given (opcode, payload), which message it is and
 * its decoded fields; given a tagged message, its payload or whole access PDU.
 */
#ifndef BO_DFU_MSG_H
#define BO_DFU_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "core/dfu/blob_msg.h"
#include "core/dfu/dfd_msg.h"
#include "core/dfu/dfu_msg.h"
#include "core/dfu/wire.h"

/*
 * Access opcodes as numbers (Mesh Protocol 3.7.3.1, Zephyr BT_MESH_MODEL_OP_1/2/3):
 *   1 octet   0x00-0x7E           (0x7F is RFU)
 *   2 octets  0x8000-0xBFFF       first octet 10xxxxxx, sent big-endian (0x83 0x01)
 *   3 octets  0xC00000-0xFFFFFF   first octet 11xxxxxx << 16 | company ID, the company ID
 *                                 sent little-endian after the first octet
 */
#define BO_MESH_OPCODE_MAXLEN 3
/* 1..3, or BO_DFU_E_OPCODE for a number that is no opcode. */
int bo_mesh_opcode_len(uint32_t opcode);
/* Write the opcode: its length, or a bo_dfu_err. */
int bo_mesh_opcode_encode(uint32_t opcode, uint8_t *buf, size_t cap);
/* Read the opcode at the start of an access PDU: its length, or BO_DFU_E_TOO_SHORT
 * (truncated), BO_DFU_E_OPCODE (0x7F). */
int bo_mesh_opcode_decode(const uint8_t *pdu, size_t len, uint32_t *opcode);

/*
 * Every message: X(ID, opcode, name, codec, union member). codec##_encode / codec##_decode
 * are the functions of blob_msg.h, dfu_msg.h, dfd_msg.h (msg_empty for empty payloads).
 */
#define BO_DFU_MSG_LIST(X)                                                                     \
	X(BLOB_XFER_GET, BO_OP_BLOB_XFER_GET, "BLOB Transfer Get", msg_empty, empty)            \
	X(BLOB_XFER_START, BO_OP_BLOB_XFER_START, "BLOB Transfer Start", bo_blob_xfer_start,   \
	  blob_xfer_start)                                                                     \
	X(BLOB_XFER_CANCEL, BO_OP_BLOB_XFER_CANCEL, "BLOB Transfer Cancel", bo_blob_xfer_cancel, \
	  blob_xfer_cancel)                                                                    \
	X(BLOB_XFER_STATUS, BO_OP_BLOB_XFER_STATUS, "BLOB Transfer Status",                      \
	  bo_blob_xfer_status, blob_xfer_status)                                               \
	X(BLOB_BLOCK_START, BO_OP_BLOB_BLOCK_START, "BLOB Block Start", bo_blob_block_start,   \
	  blob_block_start)                                                                    \
	X(BLOB_BLOCK_GET, BO_OP_BLOB_BLOCK_GET, "BLOB Block Get", msg_empty, empty)             \
	X(BLOB_INFO_GET, BO_OP_BLOB_INFO_GET, "BLOB Information Get", msg_empty, empty)         \
	X(BLOB_INFO_STATUS, BO_OP_BLOB_INFO_STATUS, "BLOB Information Status",                   \
	  bo_blob_info_status, blob_info_status)                                               \
	X(BLOB_CHUNK, BO_OP_BLOB_CHUNK, "BLOB Chunk Transfer", bo_blob_chunk, blob_chunk)       \
	X(BLOB_BLOCK_STATUS, BO_OP_BLOB_BLOCK_STATUS, "BLOB Block Status",                       \
	  bo_blob_block_status, blob_block_status)                                             \
	X(BLOB_BLOCK_REPORT, BO_OP_BLOB_BLOCK_REPORT, "BLOB Partial Block Report",               \
	  bo_blob_block_report, blob_block_report)                                             \
	X(DFU_INFO_GET, BO_OP_DFU_INFO_GET, "Firmware Update Information Get", bo_dfu_info_get, \
	  dfu_info_get)                                                                        \
	X(DFU_INFO_STATUS, BO_OP_DFU_INFO_STATUS, "Firmware Update Information Status",          \
	  bo_dfu_info_status, dfu_info_status)                                                 \
	X(DFU_METADATA_CHECK, BO_OP_DFU_METADATA_CHECK, "Firmware Update Firmware Metadata Check", \
	  bo_dfu_metadata_check, dfu_metadata_check)                                           \
	X(DFU_METADATA_STATUS, BO_OP_DFU_METADATA_STATUS,                                        \
	  "Firmware Update Firmware Metadata Status", bo_dfu_metadata_status,                  \
	  dfu_metadata_status)                                                                 \
	X(DFU_UPDATE_GET, BO_OP_DFU_UPDATE_GET, "Firmware Update Get", msg_empty, empty)        \
	X(DFU_UPDATE_START, BO_OP_DFU_UPDATE_START, "Firmware Update Start",                     \
	  bo_dfu_update_start, dfu_update_start)                                               \
	X(DFU_UPDATE_CANCEL, BO_OP_DFU_UPDATE_CANCEL, "Firmware Update Cancel", msg_empty, empty) \
	X(DFU_UPDATE_APPLY, BO_OP_DFU_UPDATE_APPLY, "Firmware Update Apply", msg_empty, empty)  \
	X(DFU_UPDATE_STATUS, BO_OP_DFU_UPDATE_STATUS, "Firmware Update Status",                  \
	  bo_dfu_update_status, dfu_update_status)                                             \
	X(DFD_RECEIVERS_ADD, BO_OP_DFD_RECEIVERS_ADD, "Firmware Distribution Receivers Add",     \
	  bo_dfd_receivers_add, dfd_receivers_add)                                             \
	X(DFD_RECEIVERS_DELETE_ALL, BO_OP_DFD_RECEIVERS_DELETE_ALL,                              \
	  "Firmware Distribution Receivers Delete All", msg_empty, empty)                      \
	X(DFD_RECEIVERS_STATUS, BO_OP_DFD_RECEIVERS_STATUS,                                      \
	  "Firmware Distribution Receivers Status", bo_dfd_receivers_status,                   \
	  dfd_receivers_status)                                                                \
	X(DFD_RECEIVERS_GET, BO_OP_DFD_RECEIVERS_GET, "Firmware Distribution Receivers Get",     \
	  bo_dfd_receivers_get, dfd_receivers_get)                                             \
	X(DFD_RECEIVERS_LIST, BO_OP_DFD_RECEIVERS_LIST, "Firmware Distribution Receivers List",  \
	  bo_dfd_receivers_list, dfd_receivers_list)                                           \
	X(DFD_CAPS_GET, BO_OP_DFD_CAPABILITIES_GET, "Firmware Distribution Capabilities Get",    \
	  msg_empty, empty)                                                                    \
	X(DFD_CAPS_STATUS, BO_OP_DFD_CAPABILITIES_STATUS,                                        \
	  "Firmware Distribution Capabilities Status", bo_dfd_caps_status, dfd_caps_status)    \
	X(DFD_GET, BO_OP_DFD_GET, "Firmware Distribution Get", msg_empty, empty)                \
	X(DFD_START, BO_OP_DFD_START, "Firmware Distribution Start", bo_dfd_dist_start, dfd_start)   \
	X(DFD_SUSPEND, BO_OP_DFD_SUSPEND, "Firmware Distribution Suspend", msg_empty, empty)    \
	X(DFD_CANCEL, BO_OP_DFD_CANCEL, "Firmware Distribution Cancel", msg_empty, empty)       \
	X(DFD_APPLY, BO_OP_DFD_APPLY, "Firmware Distribution Apply", msg_empty, empty)          \
	X(DFD_STATUS, BO_OP_DFD_STATUS, "Firmware Distribution Status", bo_dfd_dist_status,          \
	  dfd_status)                                                                          \
	X(DFD_UPLOAD_GET, BO_OP_DFD_UPLOAD_GET, "Firmware Distribution Upload Get", msg_empty,  \
	  empty)                                                                               \
	X(DFD_UPLOAD_START, BO_OP_DFD_UPLOAD_START, "Firmware Distribution Upload Start",       \
	  bo_dfd_upload_start, dfd_upload_start)                                               \
	X(DFD_UPLOAD_START_OOB, BO_OP_DFD_UPLOAD_START_OOB,                                      \
	  "Firmware Distribution Upload OOB Start", bo_dfd_upload_start_oob,                   \
	  dfd_upload_start_oob)                                                                \
	X(DFD_UPLOAD_CANCEL, BO_OP_DFD_UPLOAD_CANCEL, "Firmware Distribution Upload Cancel",    \
	  msg_empty, empty)                                                                    \
	X(DFD_UPLOAD_STATUS, BO_OP_DFD_UPLOAD_STATUS, "Firmware Distribution Upload Status",    \
	  bo_dfd_upload_status, dfd_upload_status)                                             \
	X(DFD_FW_GET, BO_OP_DFD_FW_GET, "Firmware Distribution Firmware Get", bo_dfd_fwid_msg,  \
	  dfd_fw_get)                                                                          \
	X(DFD_FW_GET_BY_INDEX, BO_OP_DFD_FW_GET_BY_INDEX,                                        \
	  "Firmware Distribution Firmware Get By Index", bo_dfd_fw_get_by_index,               \
	  dfd_fw_get_by_index)                                                                 \
	X(DFD_FW_DELETE, BO_OP_DFD_FW_DELETE, "Firmware Distribution Firmware Delete",          \
	  bo_dfd_fwid_msg, dfd_fw_delete)                                                      \
	X(DFD_FW_DELETE_ALL, BO_OP_DFD_FW_DELETE_ALL, "Firmware Distribution Firmware Delete All", \
	  msg_empty, empty)                                                                    \
	X(DFD_FW_STATUS, BO_OP_DFD_FW_STATUS, "Firmware Distribution Firmware Status",          \
	  bo_dfd_fw_status, dfd_fw_status)

#define BO_DFU_MSG_ENUM_(id, op, name, codec, member) BO_MSG_##id,
enum bo_dfu_msg_type {
	BO_MSG_NONE = 0, /* not a BLOB / DFU / DFD message */
	BO_DFU_MSG_LIST(BO_DFU_MSG_ENUM_) BO_MSG_COUNT
};
#undef BO_DFU_MSG_ENUM_

struct bo_dfu_msg {
	enum bo_dfu_msg_type type;
	union {
		uint8_t empty; /* the messages without payload */
		struct bo_blob_xfer_start blob_xfer_start;
		struct bo_blob_xfer_cancel blob_xfer_cancel;
		struct bo_blob_xfer_status blob_xfer_status;
		struct bo_blob_block_start blob_block_start;
		struct bo_blob_chunk blob_chunk;
		struct bo_blob_block_status blob_block_status;
		struct bo_blob_block_report blob_block_report;
		struct bo_blob_info_status blob_info_status;
		struct bo_dfu_info_get dfu_info_get;
		struct bo_dfu_info_status dfu_info_status;
		struct bo_dfu_metadata_check dfu_metadata_check;
		struct bo_dfu_metadata_status dfu_metadata_status;
		struct bo_dfu_update_start dfu_update_start;
		struct bo_dfu_update_status dfu_update_status;
		struct bo_dfd_receivers_add dfd_receivers_add;
		struct bo_dfd_receivers_status dfd_receivers_status;
		struct bo_dfd_receivers_get dfd_receivers_get;
		struct bo_dfd_receivers_list dfd_receivers_list;
		struct bo_dfd_caps_status dfd_caps_status;
		struct bo_dfd_dist_start dfd_start;
		struct bo_dfd_dist_status dfd_status;
		struct bo_dfd_upload_start dfd_upload_start;
		struct bo_dfd_upload_start_oob dfd_upload_start_oob;
		struct bo_dfd_upload_status dfd_upload_status;
		struct bo_dfd_fwid_msg dfd_fw_get;
		struct bo_dfd_fw_get_by_index dfd_fw_get_by_index;
		struct bo_dfd_fwid_msg dfd_fw_delete;
		struct bo_dfd_fw_status dfd_fw_status;
	} u;
};

/* The message an opcode carries, or BO_MSG_NONE. */
enum bo_dfu_msg_type bo_dfu_msg_type_of(uint32_t opcode);
/* The opcode of a message type, or 0xFFFFFFFF for BO_MSG_NONE / out of range. */
uint32_t bo_dfu_msg_opcode(enum bo_dfu_msg_type type);
/* A constant name ("BLOB Transfer Start", ...); "unknown" out of range. */
const char *bo_dfu_msg_name(enum bo_dfu_msg_type type);

/* Decode a payload received with opcode. m->type is set (BO_MSG_NONE and BO_DFU_E_OPCODE
 * for an opcode that is not ours); the fields are valid only on success. */
int bo_dfu_msg_decode(uint32_t opcode, const uint8_t *payload, size_t len, struct bo_dfu_msg *m);
/* Encode m's payload (no opcode): its length, or a bo_dfu_err. */
int bo_dfu_msg_encode(const struct bo_dfu_msg *m, uint8_t *buf, size_t cap);
/* Decode a whole access PDU (opcode, then payload). */
int bo_dfu_pdu_decode(const uint8_t *pdu, size_t len, struct bo_dfu_msg *m);
/* Encode a whole access PDU (opcode, then payload): its length, or a bo_dfu_err. */
int bo_dfu_pdu_encode(const struct bo_dfu_msg *m, uint8_t *buf, size_t cap);

#endif
