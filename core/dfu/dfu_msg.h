/*
 * core/dfu/dfu_msg.h: Firmware Update (MshDFU 1.0, opcodes 0x8308-0x8310) message codecs,
 * wire-exact with Zephyr subsys/bluetooth/mesh/dfu_srv.c and dfu_cli.c.
 * Conventions as in blob_msg.h: encode writes the payload, decode points into it.
 * Empty messages (Update Get, Cancel, Apply) use bo_dfu_empty_decode().
 */
#ifndef BO_DFU_DFU_MSG_H
#define BO_DFU_DFU_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "core/dfu/blob_msg.h"
#include "core/dfu/wire.h"

/*
 * Length limits of the variable fields (Zephyr defaults CONFIG_BT_MESH_DFU_FWID_MAXLEN,
 * _METADATA_MAXLEN, _URI_MAXLEN; reference/mesh-dfu.md). Longer fields are BO_DFU_E_LIMIT
 * in both directions.
 */
#define BO_DFU_FWID_MAXLEN 16u
#define BO_DFU_METADATA_MAXLEN 32u
#define BO_DFU_URI_MAXLEN 32u

#define BO_OP_DFU_INFO_GET 0x8308u
#define BO_OP_DFU_INFO_STATUS 0x8309u
#define BO_OP_DFU_METADATA_CHECK 0x830Au
#define BO_OP_DFU_METADATA_STATUS 0x830Bu
#define BO_OP_DFU_UPDATE_GET 0x830Cu
#define BO_OP_DFU_UPDATE_START 0x830Du
#define BO_OP_DFU_UPDATE_CANCEL 0x830Eu
#define BO_OP_DFU_UPDATE_APPLY 0x830Fu
#define BO_OP_DFU_UPDATE_STATUS 0x8310u

enum bo_dfu_phase {
	BO_DFU_PHASE_IDLE = 0,
	BO_DFU_PHASE_TRANSFER_ERR = 1,
	BO_DFU_PHASE_TRANSFER_ACTIVE = 2,
	BO_DFU_PHASE_VERIFY = 3,
	BO_DFU_PHASE_VERIFY_OK = 4,
	BO_DFU_PHASE_VERIFY_FAIL = 5,
	BO_DFU_PHASE_APPLYING = 6,
	BO_DFU_PHASE_TRANSFER_CANCELED = 7,
	/* client side only (the Distributor's view of a target, Receivers List) */
	BO_DFU_PHASE_APPLY_SUCCESS = 8,
	BO_DFU_PHASE_APPLY_FAIL = 9,
	BO_DFU_PHASE_UNKNOWN = 10,
};

enum bo_dfu_status {
	BO_DFU_SUCCESS = 0,
	BO_DFU_ERR_RESOURCES = 1,
	BO_DFU_ERR_WRONG_PHASE = 2,
	BO_DFU_ERR_INTERNAL = 3,
	BO_DFU_ERR_FW_IDX = 4,
	BO_DFU_ERR_METADATA = 5,
	BO_DFU_ERR_TEMPORARILY_UNAVAILABLE = 6,
	BO_DFU_ERR_BLOB_XFER_BUSY = 7,
};

enum bo_dfu_effect {
	BO_DFU_EFFECT_NONE = 0,
	BO_DFU_EFFECT_COMP_CHANGE_NO_RPR = 1,
	BO_DFU_EFFECT_COMP_CHANGE = 2,
	BO_DFU_EFFECT_UNPROV = 3,
};

/* 0x8308, 2 bytes. */
struct bo_dfu_info_get {
	uint8_t first;
	uint8_t limit;
};

/* One entry of Update Information Status: FWID (0..16 bytes) and URI (0..32 bytes). */
struct bo_dfu_img_entry {
	const uint8_t *fwid;
	size_t fwid_len;
	const uint8_t *uri;
	size_t uri_len;
};

/*
 * 0x8309: image count, first index, then entries {FWID length, FWID, URI length, URI}
 * until the end. There can be at most count - first entries (none when first >= count).
 * Two ways to hold the entries:
 *   - imgs[0..n_imgs): the encoder writes these (raw is ignored);
 *   - imgs == NULL: raw[0..raw_len) holds n_imgs entries in wire form; the decoder fills
 *     this (pointing into the payload) and the encoder copies it after validating it.
 * bo_dfu_info_status_next() walks either form.
 */
struct bo_dfu_info_status {
	uint8_t count;
	uint8_t first;
	const struct bo_dfu_img_entry *imgs;
	size_t n_imgs;
	const uint8_t *raw;
	size_t raw_len;
};

/* Entry *pos (start at 0) into *e, advancing *pos: 1, or 0 past the last entry, or < 0. */
int bo_dfu_info_status_next(const struct bo_dfu_info_status *m, size_t *pos,
			    struct bo_dfu_img_entry *e);

/* 0x830A: image index, then metadata (0..32 bytes). */
struct bo_dfu_metadata_check {
	uint8_t img_idx;
	const uint8_t *metadata;
	size_t metadata_len;
};

/* 0x830B, 2 bytes: status (bits 0-2) | effect << 3 (effect 0..3), image index. */
struct bo_dfu_metadata_status {
	uint8_t status;
	uint8_t effect;
	uint8_t img_idx;
};

/* 0x830D: TTL, timeout base, BLOB ID, image index, metadata (0..32 bytes).
 * TTL is not range-checked: Zephyr's Distributor puts its default-TTL marker 0xFF here. */
struct bo_dfu_update_start {
	uint8_t ttl;
	uint16_t timeout_base;
	uint64_t blob_id;
	uint8_t img_idx;
	const uint8_t *metadata;
	size_t metadata_len;
};

/*
 * 0x8310: status (bits 0-2) | phase << 5 (bits 3-4 RFU); then, only when phase != IDLE,
 * TTL, effect (0..3), timeout base, BLOB ID, image index: 1 or 14 bytes, as Zephyr
 * dfu_srv.c update_status_rsp sends it. The optional fields are zero after decoding IDLE.
 */
struct bo_dfu_update_status {
	uint8_t status;
	uint8_t phase;
	uint8_t ttl;
	uint8_t effect;
	uint16_t timeout_base;
	uint64_t blob_id;
	uint8_t img_idx;
};

int bo_dfu_info_get_encode(const struct bo_dfu_info_get *m, uint8_t *buf, size_t cap);
int bo_dfu_info_get_decode(const uint8_t *p, size_t len, struct bo_dfu_info_get *m);
int bo_dfu_info_status_encode(const struct bo_dfu_info_status *m, uint8_t *buf, size_t cap);
int bo_dfu_info_status_decode(const uint8_t *p, size_t len, struct bo_dfu_info_status *m);
int bo_dfu_metadata_check_encode(const struct bo_dfu_metadata_check *m, uint8_t *buf,
				 size_t cap);
int bo_dfu_metadata_check_decode(const uint8_t *p, size_t len, struct bo_dfu_metadata_check *m);
int bo_dfu_metadata_status_encode(const struct bo_dfu_metadata_status *m, uint8_t *buf,
				  size_t cap);
int bo_dfu_metadata_status_decode(const uint8_t *p, size_t len,
				  struct bo_dfu_metadata_status *m);
int bo_dfu_update_start_encode(const struct bo_dfu_update_start *m, uint8_t *buf, size_t cap);
int bo_dfu_update_start_decode(const uint8_t *p, size_t len, struct bo_dfu_update_start *m);
int bo_dfu_update_status_encode(const struct bo_dfu_update_status *m, uint8_t *buf, size_t cap);
int bo_dfu_update_status_decode(const uint8_t *p, size_t len, struct bo_dfu_update_status *m);

#endif
