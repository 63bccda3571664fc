/*
 * core/dfu/dfd_srv.h: Firmware Distribution Server (MshDFU 1.0), the Distributor's model
 * facing the Initiator: image slots in flash filled by an upload through its own BLOB
 * Transfer Server, the receivers list, and the distribution, which it drives through a
 * distributor interface (struct bo_dfd_distributor_ops: the Firmware Update Client side).
 * Follows Zephyr's dfd_srv.c, plus power-safe state (a Distributor resumes its
 * distribution after a power cut; Zephyr loses it).
 *
 * Use
 *   struct bo_dfd_srv srv;                 // caller-owned, one per node
 *   struct bo_dfd_srv_config cfg = {...};  // mesh, slots, state areas, BLOB server, ops
 *   bo_dfd_srv_init(&srv, &cfg);
 *   bo_dfd_srv_restore(&srv);              // at power-on: what flash says (may call ops)
 *   bo_dfd_srv_handle(&srv, &rx, opcode, payload, len);  // every access message
 *   bo_dfd_srv_timer(&srv, timer_id);                     // every timer expiry
 * and, from the distribution side (the Firmware Update Client wiring):
 *   bo_dfd_srv_receiver_report(), bo_dfd_srv_transfer_end(), bo_dfd_srv_apply_end(),
 *   bo_dfd_srv_suspended(), bo_dfd_srv_cancel_end().
 *
 * Image slots: cfg.slots[0..slot_count), each an image area (where the uploaded BLOB is
 * stored, at offset 0) and a state area (>= 2 sectors, that slot's record). Slot states:
 * EMPTY, RECEIVING (an upload in progress or abandoned; reusable unless it is the current
 * upload's), COMPLETE. The Firmware Images List (Firmware Get / Get By Index / Status slot
 * count, Distribution Start's slot index) lists the COMPLETE slots in slot order: index i is
 * the i-th COMPLETE slot. Capabilities: max image size = the largest image area, max upload
 * space = the sum of the image areas, remaining = the sum of the areas of free slots.
 *
 * Upload (Upload Start): refused with BUSY_WITH_DISTRIBUTION while a distribution is busy
 * (TRANSFER_ACTIVE, TRANSFER_SUSPENDED, APPLYING_UPDATE, CANCELING_UPDATE: one transfer at a
 * time), BUSY_WITH_UPLOAD while another upload is active (the same Start again: SUCCESS),
 * INSUFFICIENT_RESOURCES when the size is 0 or no free slot's image area holds it (the
 * smallest free slot that holds it is used). A FWID
 * already stored: SUCCESS, upload phase TRANSFER_SUCCESS, progress 100 (Zephyr). Otherwise
 * the slot record (RECEIVING, FWID, metadata, size) and the upload state are persisted and
 * the BLOB server is prepared for the BLOB ID into the slot's image area. BLOB complete:
 * slot COMPLETE, upload TRANSFER_SUCCESS. BLOB receive timeout (suspended): TRANSFER_ERROR
 * (the same Upload Start, or the client's BLOB Transfer Start, resumes it: ACTIVE again).
 * BLOB cancelled: TRANSFER_ERROR. Upload Cancel: IDLE. Upload Start OOB: URI_NOT_SUPPORTED
 * (BUSY_WITH_UPLOAD while an upload is active).
 *
 * Distribution phases (enum bo_dfd_phase) and what moves them:
 *   IDLE / COMPLETED / FAILED --Start--> TRANSFER_ACTIVE (ops.start)
 *   TRANSFER_ACTIVE --Suspend (ops.suspend) or bo_dfd_srv_suspended()--> TRANSFER_SUSPENDED
 *   TRANSFER_SUSPENDED --Start with the same parameters (ops.resume)--> TRANSFER_ACTIVE
 *   TRANSFER_ACTIVE --transfer_end(false)--> FAILED
 *   TRANSFER_ACTIVE --transfer_end(true)--> TRANSFER_SUCCESS (policy verify only), or
 *     APPLYING_UPDATE (policy verify and apply; ops.apply)
 *   TRANSFER_SUCCESS --Apply (ops.apply)--> APPLYING_UPDATE --apply_end(ok)--> COMPLETED,
 *     apply_end(failed) --> FAILED
 *   TRANSFER_ACTIVE / SUSPENDED / SUCCESS --Cancel (ops.cancel)--> CANCELING_UPDATE
 *     --cancel_end() or transfer_end()--> IDLE; APPLYING_UPDATE --Cancel--> IDLE at once
 *     (ops.cancel; two Distribution Status messages, as Zephyr); COMPLETED / FAILED
 *     --Cancel--> IDLE.
 * Distribution Start errors, in this order: RECEIVERS_LIST_EMPTY; INVALID_APPKEY_INDEX
 * (cfg.app_key_valid says no); INTERNAL for a virtual address (label UUID; as Zephyr);
 * FW_NOT_FOUND (no COMPLETE slot at that index, or policy > 1); the same parameters as the
 * current distribution: SUCCESS when busy or COMPLETED, a resume when SUSPENDED; other
 * parameters while busy (TRANSFER_ACTIVE, _SUCCESS, APPLYING, SUSPENDED, CANCELING):
 * BUSY_WITH_DISTRIBUTION; an upload active: BUSY_WITH_UPLOAD; ops.start refusing: INTERNAL.
 * Suspend: SUSPENDED -> SUCCESS; not TRANSFER_ACTIVE -> WRONG_PHASE; ops.suspend refusing ->
 * SUSPEND_FAILED. Apply: IDLE, CANCELING, TRANSFER_ACTIVE, SUSPENDED, FAILED -> WRONG_PHASE;
 * APPLYING / COMPLETED -> SUCCESS; TRANSFER_SUCCESS -> ops.apply (refusing: INTERNAL).
 * Receivers Add / Delete All while busy (TRANSFER_ACTIVE, _SUCCESS, APPLYING, SUSPENDED,
 * CANCELING): BUSY_WITH_DISTRIBUTION; Add of a full list: INSUFFICIENT_RESOURCES (the
 * entries before stay); a non-unicast address is skipped, a known one gets the new image
 * index (Zephyr). Firmware Delete / Delete All outside IDLE: BUSY_WITH_DISTRIBUTION
 * (Zephyr); deleting an unknown FWID is a SUCCESS.
 *
 * Receivers List: per receiver the update phase, update status, BLOB status and progress the
 * distribution side last reported (bo_dfd_srv_receiver_report), 0 after Start.
 *
 * Power safety: each slot's record in its state area, and one record in cfg.state with the
 * distribution phase and parameters (with the distribution's BLOB ID), the receivers list
 * (address, image index and the last reported phase / statuses), and the upload state
 * (phase, slot, BLOB ID, TTL, timeout base), all through bo_dfu_persist (blob_store.h: sequence number + CRC; a torn write falls
 * back to the previous record). Written on every change of those (not on progress alone).
 * bo_dfd_srv_restore() on a fresh struct:
 *   - upload TRANSFER_ACTIVE: the BLOB server's own restore resumes it (SUSPENDED at its last
 *     stored block; the client's BLOB Transfer Start resumes it); COMPLETE: the slot is
 *     completed; nothing stored yet: prepared again for the same BLOB ID.
 *   - distribution TRANSFER_ACTIVE, TRANSFER_SUCCESS, APPLYING_UPDATE: ops.start is called
 *     again with resume = true, the stored receivers (their last reported states) and
 *     parameters; the distribution side reports transfer_end() again when it has found out
 *     where the targets are (in APPLYING_UPDATE that calls ops.apply again).
 *     CANCELING_UPDATE: ops.start(resume) then ops.cancel. TRANSFER_SUSPENDED: nothing now;
 *     the resume (Start) calls ops.start(resume = true) instead of ops.resume, and a Cancel
 *     calls ops.start(resume = true) then ops.cancel.
 *
 * Wiring the Firmware Update Client (dfu_cli.h) as the distribution side, a sketch:
 *   ops.start   -> bo_dfu_cli_send() to receivers[i].addr with image (read from image.area),
 *                  params.blob_id / ttl / timeout_base / mode / group, and apply = (policy
 *                  == VERIFY_AND_APPLY); with resume the same BLOB ID makes targets that
 *                  verified skip the BLOB and the others resume from their stored blocks
 *   per-target results and progress -> bo_dfd_srv_receiver_report()
 *   done(success) -> bo_dfd_srv_transfer_end(success) when it was a transfer (the server
 *                  then calls ops.apply under VERIFY_AND_APPLY: report
 *                  bo_dfd_srv_apply_end() at once if the client applied already), or
 *                  bo_dfd_srv_apply_end(success) when it was an ops.apply run
 *   ops.apply   -> bo_dfu_cli_send() again with apply (targets in VERIFY_OK skip the BLOB)
 *   ops.cancel  -> bo_dfu_cli_cancel(), then bo_dfd_srv_cancel_end()
 *   ops.suspend / ops.resume -> NULL while the client has no suspend (Suspend answers
 *                  SUSPEND_FAILED; a resume after bo_dfd_srv_suspended() restarts)
 *
 * Timers: only the BLOB server's (cfg.blob.timer_base + BO_BLOB_SRV_TIMER_*).
 *
 * Limits (compile time): BO_DFD_SRV_SLOTS_MAX image slots, BO_DFD_SRV_RECEIVERS_MAX
 * receivers, FWID <= BO_DFU_FWID_MAXLEN (16), metadata <= BO_DFU_METADATA_MAXLEN (32);
 * no OOB upload (no URI schemes).
 */
#ifndef BO_DFU_DFD_SRV_H
#define BO_DFU_DFD_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dfu/blob_srv.h"
#include "core/dfu/blob_store.h"
#include "core/dfu/dfd_msg.h"
#include "core/dfu/dfu_msg.h"
#include "core/port/flash.h"
#include "core/port/mesh.h"

#ifndef BO_DFD_SRV_SLOTS_MAX
#define BO_DFD_SRV_SLOTS_MAX 4u
#endif
/* Zephyr's CONFIG_BT_MESH_DFD_SRV_TARGETS_MAX default, and BO_DFU_CLI_TARGETS_MAX; the
 * persisted record (38 bytes + 5 a receiver) must fit BO_DFU_PERSIST_PAYLOAD_MAX: 24 with
 * the firmware default. Up to 65535 (16-bit counts): host builds take 512 (meson.build).
 * Wear: the record's slot is sized for the whole list; one over half a sector leaves one
 * slot per sector, so every write erases (host builds: 2.6 KB on 4 KiB sectors; the
 * 300-node grid's rollout cost its Distributor about 860 erases, 430 on one sector,
 * against 120 with 120 receivers). */
#ifndef BO_DFD_SRV_RECEIVERS_MAX
#define BO_DFD_SRV_RECEIVERS_MAX 8u
#endif
#define BO_DFD_SRV_NO_SLOT 0xffu
/* Receivers List entries one access message holds (380 bytes: 2 of opcode, 4 of header,
 * 5 an entry): a Receivers Get is answered with at most this many, as Zephyr's server
 * clamps the list; the Initiator pages for the rest. */
#define BO_DFD_SRV_RECEIVERS_PER_LIST ((380u - 2u - 4u) / 5u)

enum bo_dfd_slot_state {
	BO_DFD_SLOT_EMPTY = 0,
	BO_DFD_SLOT_RECEIVING = 1,
	BO_DFD_SLOT_COMPLETE = 2,
};

/* One image slot (persisted in its state area). */
struct bo_dfd_slot {
	uint8_t state; /* enum bo_dfd_slot_state */
	uint8_t fwid_len;
	uint8_t metadata_len;
	uint32_t size;
	uint8_t fwid[BO_DFU_FWID_MAXLEN];
	uint8_t metadata[BO_DFU_METADATA_MAXLEN];
};

/* What the distribution side gets to send: the image and its description. */
struct bo_dfd_image {
	struct bo_flash_area area; /* the image at area offset 0 */
	uint32_t size;
	const uint8_t *fwid;
	size_t fwid_len;
	const uint8_t *metadata;
	size_t metadata_len;
};

/* Distribution parameters (Distribution Start). */
struct bo_dfd_params {
	uint16_t app_idx;
	uint8_t ttl;
	uint16_t timeout_base;
	uint8_t mode;     /* enum bo_blob_mode bits: BO_BLOB_MODE_PUSH / _PULL */
	uint8_t policy;   /* enum bo_dfd_policy */
	uint16_t slot_idx; /* index in the Firmware Images List */
	uint16_t group;   /* 0: unicast distribution */
	/* Not in the message: the BLOB ID of this distribution, drawn (mesh port random) when
	 * the Start is accepted and persisted, so a resume after a power cut sends the same
	 * BLOB and the targets keep the blocks they stored. */
	uint64_t blob_id;
};

/*
 * The distribution side (the Firmware Update Client, wired by the application). Each
 * returns 0 when accepted, non-zero when refused. ctx is ops.ctx.
 *
 * start: distribute image to receivers[0..n) (addr, img_idx; with resume, also the phase and
 *   statuses last reported before the power cut) with params. resume = false: a fresh
 *   distribution (every receiver's state is 0). resume = true: after a power cut (or a
 *   resume after one): the side lost its RAM; pick up where the targets are (targets that
 *   already have the image are not sent it again). The receivers array stays valid (it is
 *   the server's) until the distribution ends. The side then reports through
 *   bo_dfd_srv_receiver_report() and ends with bo_dfd_srv_transfer_end().
 * suspend: stop sending (TRANSFER_ACTIVE -> TRANSFER_SUSPENDED). Optional (NULL: refused).
 * resume: continue from where the suspend left off (same session). Optional (NULL: start
 *   again with resume = true).
 * cancel: cancel on every target; report bo_dfd_srv_cancel_end() when done.
 * apply: ask every verified target to apply, confirm, then bo_dfd_srv_apply_end().
 */
struct bo_dfd_distributor_ops {
	void *ctx;
	int (*start)(void *ctx, const struct bo_dfd_target_entry *receivers, size_t n,
		     const struct bo_dfd_params *params, const struct bo_dfd_image *image,
		     bool resume);
	int (*suspend)(void *ctx);
	int (*resume)(void *ctx);
	int (*cancel)(void *ctx);
	int (*apply)(void *ctx);
};

struct bo_dfd_srv_slot_cfg {
	struct bo_flash_area image; /* the uploaded image goes here (offset 0) */
	struct bo_flash_area state; /* this slot's record: >= 2 sectors */
};

struct bo_dfd_srv_config {
	const struct bo_mesh_port *mesh;
	struct bo_dfd_srv_slot_cfg slots[BO_DFD_SRV_SLOTS_MAX];
	uint8_t slot_count;        /* 1..BO_DFD_SRV_SLOTS_MAX */
	struct bo_flash_area state; /* distribution, receivers, upload record: >= 2 sectors */
	/* Our BLOB Transfer Server (the upload): its state area is separate from ours; its
	 * storage and callbacks are replaced (the slots' image areas); mesh NULL: ours. */
	struct bo_blob_srv_config blob;
	struct bo_dfd_distributor_ops ops;
	/* Optional: is app_idx a known application key? NULL: every index is. */
	bool (*app_key_valid)(void *ctx, uint16_t app_idx);
	void *app_key_ctx;
};

struct bo_dfd_upload {
	uint8_t phase;  /* enum bo_dfd_upload_phase */
	uint8_t slot;   /* BO_DFD_SRV_NO_SLOT: none */
	uint8_t ttl;
	uint16_t timeout_base;
	uint64_t blob_id;
};

struct bo_dfd_srv {
	struct bo_dfd_srv_config cfg;
	struct bo_blob_srv blob;
	struct bo_dfd_slot slots[BO_DFD_SRV_SLOTS_MAX];
	struct bo_dfu_persist slot_persist[BO_DFD_SRV_SLOTS_MAX];
	int slot_persist_ok[BO_DFD_SRV_SLOTS_MAX];
	/* persisted in cfg.state */
	uint8_t phase;         /* enum bo_dfd_phase */
	bool has_params;       /* params and dist_slot are set (a Start was accepted) */
	struct bo_dfd_params params;
	uint8_t dist_slot;     /* the physical slot being distributed */
	struct bo_dfd_target_entry receivers[BO_DFD_SRV_RECEIVERS_MAX];
	uint16_t receiver_count;
	struct bo_dfd_upload upload;
	struct bo_dfu_persist persist;
	int persist_ok;
	/* RAM only */
	struct bo_dfd_image image; /* handed to ops.start */
	bool need_restart;     /* restored SUSPENDED: the distribution side has no session */
	uint32_t writes;       /* records written (statistics) */
};

/* Fresh server: distribution IDLE, upload IDLE, no slots, no receivers. Copies cfg. */
void bo_dfd_srv_init(struct bo_dfd_srv *srv, const struct bo_dfd_srv_config *cfg);
/* Power-on: restore slots, receivers, distribution and upload from flash (see above; may
 * call ops.start / ops.cancel). Returns the distribution phase. */
enum bo_dfd_phase bo_dfd_srv_restore(struct bo_dfd_srv *srv);
/* 1: a Firmware Distribution or BLOB Transfer server message (handled, even if malformed
 * and dropped); 0: not ours. */
int bo_dfd_srv_handle(struct bo_dfd_srv *srv, const struct bo_mesh_rx *rx, uint32_t opcode,
		      const uint8_t *payload, size_t len);
/* 1: our (BLOB server's) timer; 0: not ours. */
int bo_dfd_srv_timer(struct bo_dfd_srv *srv, uint32_t timer_id);

/* ---- from the distribution side ---------------------------------------------------- */

/*
 * Receiver addr's state: update phase (enum bo_dfu_phase, 0..10), update status (enum
 * bo_dfu_status, 0..7), BLOB status (enum bo_blob_status, 0..10), progress in percent
 * (0..100). Persisted when the phase or a status changed. -1: unknown address or a value
 * out of range.
 */
int bo_dfd_srv_receiver_report(struct bo_dfd_srv *srv, uint16_t addr, uint8_t phase,
			       uint8_t update_status, uint8_t blob_status, uint8_t progress);
/* The transfer and verification ended: success = at least one target verified the image. */
void bo_dfd_srv_transfer_end(struct bo_dfd_srv *srv, bool success);
/* The apply (and confirmation) ended: success = at least one target runs the new image. */
void bo_dfd_srv_apply_end(struct bo_dfd_srv *srv, bool success);
/* The distribution side suspended on its own (every target lost for now). */
void bo_dfd_srv_suspended(struct bo_dfd_srv *srv);
/* The cancel finished (every target answered or timed out). */
void bo_dfd_srv_cancel_end(struct bo_dfd_srv *srv);

/* ---- state ------------------------------------------------------------------------- */

static inline enum bo_dfd_phase bo_dfd_srv_phase(const struct bo_dfd_srv *srv)
{
	return (enum bo_dfd_phase)srv->phase;
}
static inline enum bo_dfd_upload_phase bo_dfd_srv_upload_phase(const struct bo_dfd_srv *srv)
{
	return (enum bo_dfd_upload_phase)srv->upload.phase;
}
/* Number of COMPLETE slots (the Firmware Images List). */
uint16_t bo_dfd_srv_fw_count(const struct bo_dfd_srv *srv);
/* The physical slot of Firmware Images List index idx, or -1. */
int bo_dfd_srv_fw_slot(const struct bo_dfd_srv *srv, uint16_t idx);

#endif
