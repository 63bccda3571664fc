/*
 * core/dfu/dfd_msg.h: Firmware Distribution (MshDFU 1.0, opcodes 0x8311-0x8327) message
 * codecs, wire-exact with Zephyr subsys/bluetooth/mesh/dfd_srv.c.
 * Conventions as in blob_msg.h: encode writes the payload, decode points into it.
 * Empty messages (Receivers Delete All, Capabilities Get, Distribution Get / Suspend /
 * Cancel / Apply, Upload Get / Cancel, Firmware Delete All) use bo_dfu_empty_decode().
 */
#ifndef BO_DFU_DFD_MSG_H
#define BO_DFU_DFD_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dfu/dfu_msg.h"
#include "core/dfu/wire.h"

#define BO_OP_DFD_RECEIVERS_ADD 0x8311u
#define BO_OP_DFD_RECEIVERS_DELETE_ALL 0x8312u
#define BO_OP_DFD_RECEIVERS_STATUS 0x8313u
#define BO_OP_DFD_RECEIVERS_GET 0x8314u
#define BO_OP_DFD_RECEIVERS_LIST 0x8315u
#define BO_OP_DFD_CAPABILITIES_GET 0x8316u
#define BO_OP_DFD_CAPABILITIES_STATUS 0x8317u
#define BO_OP_DFD_GET 0x8318u
#define BO_OP_DFD_START 0x8319u
#define BO_OP_DFD_SUSPEND 0x831Au
#define BO_OP_DFD_CANCEL 0x831Bu
#define BO_OP_DFD_APPLY 0x831Cu
#define BO_OP_DFD_STATUS 0x831Du
#define BO_OP_DFD_UPLOAD_GET 0x831Eu
#define BO_OP_DFD_UPLOAD_START 0x831Fu
#define BO_OP_DFD_UPLOAD_START_OOB 0x8320u
#define BO_OP_DFD_UPLOAD_CANCEL 0x8321u
#define BO_OP_DFD_UPLOAD_STATUS 0x8322u
#define BO_OP_DFD_FW_GET 0x8323u
#define BO_OP_DFD_FW_GET_BY_INDEX 0x8324u
#define BO_OP_DFD_FW_DELETE 0x8325u
#define BO_OP_DFD_FW_DELETE_ALL 0x8326u
#define BO_OP_DFD_FW_STATUS 0x8327u

enum bo_dfd_phase {
	BO_DFD_PHASE_IDLE = 0,
	BO_DFD_PHASE_TRANSFER_ACTIVE = 1,
	BO_DFD_PHASE_TRANSFER_SUCCESS = 2,
	BO_DFD_PHASE_APPLYING_UPDATE = 3,
	BO_DFD_PHASE_COMPLETED = 4,
	BO_DFD_PHASE_FAILED = 5,
	BO_DFD_PHASE_CANCELING_UPDATE = 6,
	BO_DFD_PHASE_TRANSFER_SUSPENDED = 7,
};

enum bo_dfd_status {
	BO_DFD_SUCCESS = 0,
	BO_DFD_ERR_INSUFFICIENT_RESOURCES = 1,
	BO_DFD_ERR_WRONG_PHASE = 2,
	BO_DFD_ERR_INTERNAL = 3,
	BO_DFD_ERR_FW_NOT_FOUND = 4,
	BO_DFD_ERR_INVALID_APPKEY_INDEX = 5,
	BO_DFD_ERR_RECEIVERS_LIST_EMPTY = 6,
	BO_DFD_ERR_BUSY_WITH_DISTRIBUTION = 7,
	BO_DFD_ERR_BUSY_WITH_UPLOAD = 8,
	BO_DFD_ERR_URI_NOT_SUPPORTED = 9,
	BO_DFD_ERR_URI_MALFORMED = 10,
	BO_DFD_ERR_URI_UNREACHABLE = 11,
	BO_DFD_ERR_NEW_FW_NOT_AVAILABLE = 12,
	BO_DFD_ERR_SUSPEND_FAILED = 13,
};
#define BO_DFD_STATUS_MAX BO_DFD_ERR_SUSPEND_FAILED

enum bo_dfd_upload_phase {
	BO_DFD_UPLOAD_PHASE_IDLE = 0,
	BO_DFD_UPLOAD_PHASE_TRANSFER_ACTIVE = 1,
	BO_DFD_UPLOAD_PHASE_TRANSFER_ERROR = 2,
	BO_DFD_UPLOAD_PHASE_TRANSFER_SUCCESS = 3,
};

enum bo_dfd_policy {
	BO_DFD_POLICY_VERIFY_ONLY = 0,
	BO_DFD_POLICY_VERIFY_AND_APPLY = 1,
};

/* One Receivers Add entry: 3 bytes, address (2), image index (1). */
struct bo_dfd_receiver {
	uint16_t addr;
	uint8_t img_idx;
};

/*
 * 0x8311: one or more entries (length a non-zero multiple of 3). Entries are held either
 * as list[0..count) (encode from an array) or, with list == NULL, as count entries in wire
 * form at raw (what the decoder fills; the encoder copies it). bo_dfd_receivers_add_at()
 * reads entry i from either form.
 */
struct bo_dfd_receivers_add {
	const struct bo_dfd_receiver *list;
	const uint8_t *raw;
	size_t count;
};

/* 0x8313, 3 bytes: status (0..13), receivers list count. */
struct bo_dfd_receivers_status {
	uint8_t status;
	uint16_t list_count;
};

/* 0x8314, 4 bytes; an entries limit of 0 is prohibited (Zephyr dfd_srv.c drops it). */
struct bo_dfd_receivers_get {
	uint16_t first;
	uint16_t limit;
};

/*
 * One Receivers List entry, 5 bytes: a little-endian u32 {address bits 0-14, retrieved
 * update phase bits 15-18 (0..10, bo_dfu_phase), update status bits 19-21 (bo_dfu_status),
 * BLOB transfer status bits 22-25 (0..10, bo_blob_status), transfer progress bits 26-31
 * (0..50, in units of 2 %)}, then the image index (Zephyr dfd_srv.c handle_receivers_get).
 */
struct bo_dfd_target_entry {
	uint16_t addr;
	uint8_t phase;
	uint8_t update_status;
	uint8_t blob_status;
	uint8_t progress;
	uint8_t img_idx;
};
#define BO_DFD_PROGRESS_MAX 50u

/*
 * 0x8315: total receivers, first index, then entries (length 4 + 5n). At most
 * total - first entries (none when first >= total). Entries as in Receivers Add: list[]
 * or raw wire form; bo_dfd_receivers_list_at() reads either.
 */
struct bo_dfd_receivers_list {
	uint16_t total;
	uint16_t first;
	const struct bo_dfd_target_entry *list;
	const uint8_t *raw;
	size_t count;
};

/*
 * 0x8317: max receivers, max slots, max image size, max upload space, remaining upload
 * space (17 bytes), OOB retrieval supported (0 or 1), then, only when supported, one or
 * more URI scheme name bytes (Zephyr dfd_srv.c handle_capabilities_get).
 */
struct bo_dfd_caps_status {
	uint16_t max_receivers;
	uint16_t max_slots;
	uint32_t max_image_size;
	uint32_t max_upload_space;
	uint32_t remaining_space;
	uint8_t oob_supported;
	const uint8_t *uri_schemes;
	size_t uri_schemes_len;
};

/*
 * 0x8319: app key index, TTL, timeout base, transfer mode (bits 0-1) | policy << 2 (bits 3-7
 * RFU), slot index, then the multicast address: 2 bytes (group; 0 = unicast distribution),
 * or a 16-byte label UUID (virtual address). 10 or 24 bytes (Zephyr dfd_srv.c handle_start).
 * TTL is not range-checked (Zephyr's shell passes its default-TTL marker 0xFF).
 */
struct bo_dfd_dist_start {
	uint16_t app_idx;
	uint8_t ttl;
	uint16_t timeout_base;
	uint8_t mode;
	uint8_t policy;
	uint16_t slot_idx;
	uint16_t group;
	const uint8_t *label_uuid; /* NULL, or 16 bytes: use instead of group */
};
#define BO_DFD_LABEL_UUID_LEN 16u

/*
 * 0x831D: status (0..13), phase (0..7); then, all or none, group, app key index, TTL,
 * timeout base, mode | policy << 2, slot index: 2 or 12 bytes. Zephyr dfd_srv.c status_rsp
 * sends the short form when the phase is IDLE and also when no slot is bound yet in another
 * phase, so the long form is a flag (has_params) rather than a function of the phase;
 * a server following Zephyr sets has_params = phase != IDLE && slot bound.
 */
struct bo_dfd_dist_status {
	uint8_t status;
	uint8_t phase;
	bool has_params;
	uint16_t group;
	uint16_t app_idx;
	uint8_t ttl;
	uint16_t timeout_base;
	uint8_t mode;
	uint8_t policy;
	uint16_t slot_idx;
};

/* 0x831F: TTL, timeout base, BLOB ID, firmware size, metadata length, metadata (0..32),
 * FWID (the rest, 0..16). At least 16 bytes. */
struct bo_dfd_upload_start {
	uint8_t ttl;
	uint16_t timeout_base;
	uint64_t blob_id;
	uint32_t size;
	const uint8_t *metadata;
	size_t metadata_len;
	const uint8_t *fwid;
	size_t fwid_len;
};

/* 0x8320: URI length (1..32), URI, FWID (the rest, 0..16). */
struct bo_dfd_upload_start_oob {
	const uint8_t *uri;
	size_t uri_len;
	const uint8_t *fwid;
	size_t fwid_len;
};

/*
 * 0x8322: status (0..13), upload phase (0..3); then, all or none, progress (bits 0-6,
 * 0..100 %) | OOB upload flag << 7, and the FWID being uploaded (the rest, 0..16).
 * Zephyr dfd_srv.c upload_status_rsp sends the short form (2 bytes) when the phase is IDLE
 * or no slot is bound; has_progress says which form.
 */
struct bo_dfd_upload_status {
	uint8_t status;
	uint8_t phase;
	bool has_progress;
	uint8_t progress;
	bool oob;
	const uint8_t *fwid;
	size_t fwid_len;
};

/* 0x8323 Firmware Get and 0x8325 Firmware Delete: a FWID (the whole payload, 0..16). */
struct bo_dfd_fwid_msg {
	const uint8_t *fwid;
	size_t fwid_len;
};

/* 0x8324, 2 bytes. */
struct bo_dfd_fw_get_by_index {
	uint16_t index;
};

/* 0x8327: status (0..13), slot count, slot index (0xFFFF: none), FWID (rest, 0..16). */
struct bo_dfd_fw_status {
	uint8_t status;
	uint16_t slot_count;
	uint16_t index;
	const uint8_t *fwid;
	size_t fwid_len;
};

int bo_dfd_receivers_add_at(const struct bo_dfd_receivers_add *m, size_t i,
			    struct bo_dfd_receiver *out);
int bo_dfd_receivers_list_at(const struct bo_dfd_receivers_list *m, size_t i,
			     struct bo_dfd_target_entry *out);
/* The u32 of one Receivers List entry; BO_DFU_E_INVALID (and *word untouched) if a field
 * is out of range. */
int bo_dfd_target_entry_pack(const struct bo_dfd_target_entry *e, uint32_t *word);
/* Unpack a u32 and image index; BO_DFU_E_INVALID when a field is out of range. */
int bo_dfd_target_entry_unpack(uint32_t word, uint8_t img_idx, struct bo_dfd_target_entry *e);

int bo_dfd_receivers_add_encode(const struct bo_dfd_receivers_add *m, uint8_t *buf, size_t cap);
int bo_dfd_receivers_add_decode(const uint8_t *p, size_t len, struct bo_dfd_receivers_add *m);
int bo_dfd_receivers_status_encode(const struct bo_dfd_receivers_status *m, uint8_t *buf,
				   size_t cap);
int bo_dfd_receivers_status_decode(const uint8_t *p, size_t len,
				   struct bo_dfd_receivers_status *m);
int bo_dfd_receivers_get_encode(const struct bo_dfd_receivers_get *m, uint8_t *buf, size_t cap);
int bo_dfd_receivers_get_decode(const uint8_t *p, size_t len, struct bo_dfd_receivers_get *m);
int bo_dfd_receivers_list_encode(const struct bo_dfd_receivers_list *m, uint8_t *buf,
				 size_t cap);
int bo_dfd_receivers_list_decode(const uint8_t *p, size_t len, struct bo_dfd_receivers_list *m);
int bo_dfd_caps_status_encode(const struct bo_dfd_caps_status *m, uint8_t *buf, size_t cap);
int bo_dfd_caps_status_decode(const uint8_t *p, size_t len, struct bo_dfd_caps_status *m);
int bo_dfd_dist_start_encode(const struct bo_dfd_dist_start *m, uint8_t *buf, size_t cap);
int bo_dfd_dist_start_decode(const uint8_t *p, size_t len, struct bo_dfd_dist_start *m);
int bo_dfd_dist_status_encode(const struct bo_dfd_dist_status *m, uint8_t *buf, size_t cap);
int bo_dfd_dist_status_decode(const uint8_t *p, size_t len, struct bo_dfd_dist_status *m);
int bo_dfd_upload_start_encode(const struct bo_dfd_upload_start *m, uint8_t *buf, size_t cap);
int bo_dfd_upload_start_decode(const uint8_t *p, size_t len, struct bo_dfd_upload_start *m);
int bo_dfd_upload_start_oob_encode(const struct bo_dfd_upload_start_oob *m, uint8_t *buf,
				   size_t cap);
int bo_dfd_upload_start_oob_decode(const uint8_t *p, size_t len,
				   struct bo_dfd_upload_start_oob *m);
int bo_dfd_upload_status_encode(const struct bo_dfd_upload_status *m, uint8_t *buf, size_t cap);
int bo_dfd_upload_status_decode(const uint8_t *p, size_t len, struct bo_dfd_upload_status *m);
int bo_dfd_fwid_msg_encode(const struct bo_dfd_fwid_msg *m, uint8_t *buf, size_t cap);
int bo_dfd_fwid_msg_decode(const uint8_t *p, size_t len, struct bo_dfd_fwid_msg *m);
int bo_dfd_fw_get_by_index_encode(const struct bo_dfd_fw_get_by_index *m, uint8_t *buf,
				  size_t cap);
int bo_dfd_fw_get_by_index_decode(const uint8_t *p, size_t len, struct bo_dfd_fw_get_by_index *m);
int bo_dfd_fw_status_encode(const struct bo_dfd_fw_status *m, uint8_t *buf, size_t cap);
int bo_dfd_fw_status_decode(const uint8_t *p, size_t len, struct bo_dfd_fw_status *m);

#endif
