/*
 * core/dfu/dfu_srv.h: Firmware Update Server (MshDFU 1.0), the Target's side of a firmware
 * update, on top of the BLOB Transfer Server (blob_srv.h) and the bootloader (core/boot),
 * with power-safe state (beyond Zephyr's dfu_srv.c, whose behaviour it follows otherwise).
 *
 * Use
 *   struct bo_dfu_srv srv;                 // caller-owned, one per node
 *   struct bo_dfu_srv_config cfg = {...};  // mesh, BLOB server config, slot, keys, cb
 *   bo_dfu_srv_init(&srv, &cfg);
 *   bo_dfu_srv_restore(&srv);              // at power-on: what flash says
 *   bo_dfu_srv_applied(&srv);              // after the app confirmed a new image
 *   bo_dfu_srv_handle(&srv, &rx, opcode, payload, len);  // every access message
 *   bo_dfu_srv_timer(&srv, timer_id);                     // every timer expiry
 *
 * The server owns its BLOB Transfer Server (srv.blob, configured from cfg.blob; the server
 * installs its own BLOB callbacks, cfg.blob.cb is ignored). bo_dfu_srv_handle() passes the
 * BLOB messages on to it.
 *
 * Firmware list: one image (index 0, BO_DFU_SRV_IMG_COUNT), the running one. Its FWID is
 * derived from the running image's version (cfg.running, from the bootloader's result):
 * 8 bytes, major (1), minor (1), revision (2, LE), build (4, LE) (bo_dfu_fwid_from_version);
 * its URI is cfg.uri (optional, <= BO_DFU_URI_MAXLEN bytes).
 *
 * Phases (enum bo_dfu_phase) and what moves them:
 *   IDLE / TRANSFER_ERR / TRANSFER_CANCELED / APPLY_FAIL --Update Start (metadata accepted)-->
 *     TRANSFER_ACTIVE
 *   TRANSFER_ACTIVE --BLOB suspended (receive timeout)--> TRANSFER_ERR --BLOB resumed--> back
 *   TRANSFER_ACTIVE --BLOB cancelled (BLOB Transfer Cancel, no start in time)--> TRANSFER_CANCELED
 *   TRANSFER_ACTIVE --BLOB complete--> VERIFY --bo_image_verify on cfg.slot--> VERIFY_OK or
 *     VERIFY_FAIL (any refusal: bad signature, untrusted key, hash, layout; or an image whose
 *     version differs from the version in the Start's metadata, when that decodes)
 *   VERIFY_OK --Update Apply--> APPLYING: the server answers, then (cfg.apply_delay_us later,
 *     timer) calls cb.apply, which requests the upgrade (bo_app_request_upgrade) and reboots.
 *   any phase but APPLYING --Update Cancel--> IDLE (the BLOB server is reset).
 *   APPLYING, at the next power-on (restore): the verified image's version runs -> stays
 *     APPLYING (Update Status reports it; Start, Cancel: ERR_WRONG_PHASE; Apply: SUCCESS,
 *     nothing done) until the application calls bo_dfu_srv_applied() after it confirmed
 *     the image to its bootloader (Zephyr's bt_mesh_dfu_srv_applied()) -> IDLE (srv.applied
 *     set, persisted). An image that never confirms itself never calls it: the Distributor
 *     sees it stay APPLYING and, after its bootloader reverts it at the next reset, the old
 *     version (dfu_cli.h CONFIRM). cfg.applied_at_restore: the caller does not care, restore
 *     calls bo_dfu_srv_applied() at once (IDLE right after restore). Another version
 *     running and cfg.boot_reverted (the bootloader tried the image and went back: it
 *     reverted it, or fell to the recovery image) -> APPLY_FAIL (the reference's phase 9),
 *     persisted, kept across power-ons; Update Get reports it as VERIFY_FAIL (the Update
 *     Status phase field has 3 bits, 0-7: phase 9 does not fit; the image cannot be
 *     applied), Apply -> ERR_WRONG_PHASE, Cancel -> IDLE, a Start (any BLOB ID) begins a
 *     new update as from IDLE. Another version running without boot_reverted (a cut before
 *     the upgrade request reached the bootloader, or the bootloader refused it) -> VERIFY
 *     again: VERIFY_OK while the slot still holds that image (Apply may be repeated, and the
 *     Distributor does, dfu_cli.h CONFIRM), else VERIFY_FAIL. A power cut before
 *     bo_dfu_srv_applied() restores APPLYING again (with the same rule: new version running
 *     or not).
 * Error statuses of Update Start: APPLYING -> ERR_WRONG_PHASE; image index >= count ->
 * ERR_FW_IDX; an identical Start (BLOB ID, index, TTL, timeout base) in TRANSFER_ACTIVE,
 * TRANSFER_ERR, VERIFY, VERIFY_OK or VERIFY_FAIL -> SUCCESS with the current state (a
 * retransmission); another BLOB ID in TRANSFER_ACTIVE or VERIFY -> ERR_BLOB_XFER_BUSY, in
 * VERIFY_OK -> ERR_WRONG_PHASE (Cancel first), in VERIFY_FAIL a new update (as Zephyr's
 * server: a Zephyr Distributor never sends the Cancel); the same BLOB ID with other
 * parameters in VERIFY_FAIL -> ERR_WRONG_PHASE; the BLOB server busy for
 * another owner -> ERR_BLOB_XFER_BUSY; metadata rejected by cb.metadata_check ->
 * ERR_METADATA. Update Apply outside VERIFY_OK / APPLYING -> ERR_WRONG_PHASE.
 * Zephyr interop: Firmware Update Information Get gets no answer in APPLYING (Zephyr's
 * server is silent there; the old FWID would make a Zephyr Distributor mark the Target
 * failed: the client polls Update Get instead, dfu_cli.h CONFIRM). Status messages go
 * with the update's TTL (the Start's) while an update is held, the default TTL in IDLE.
 * Firmware Metadata Check: index >= count -> ERR_FW_IDX; otherwise cb.metadata_check's
 * verdict (ERR_METADATA or SUCCESS) with its effect.
 *
 * UNPROV effect: when an update with effect UNPROV was applied (bo_dfu_srv_applied() after
 * a restore from APPLYING with effect UNPROV and the new version running), the node is unprovisioned: srv.unprov is set
 * and persisted, bo_dfu_srv_is_unprovisioned() says so, and the server answers no message at
 * all (Information Get included), so the Distributor sees silence. The application (or the
 * simulator) drops the node's keys / keeps the node off the network; after it is
 * provisioned again it calls bo_dfu_srv_provisioned().
 *
 * Power safety: a 32-byte record in cfg.state (>= 2 sectors, bo_dfu_persist of
 * blob_store.h: sequence number and CRC, a torn write falls back to the previous record)
 * holds the phase, BLOB ID, image index, TTL, timeout base, effect, the last metadata check
 * result, the expected version and the unprovisioned flag. It is written on every phase
 * change. bo_dfu_srv_restore(): TRANSFER_ACTIVE comes back TRANSFER_ACTIVE with the BLOB
 * server restored (SUSPENDED at its last stored block: the client's Transfer Start resumes
 * it; COMPLETE: verification runs again; nothing: prepared again for the same BLOB ID);
 * VERIFY runs verification again; VERIFY_OK / VERIFY_FAIL / APPLY_FAIL / TRANSFER_ERR / CANCELED
 * stay.
 *
 * Timers: cfg.timer_base + BO_DFU_SRV_TIMER_* (verify, apply) and the BLOB server's
 * cfg.blob.timer_base + BO_BLOB_SRV_TIMER_*: all distinct on the node.
 *
 * Limits (compile time): BO_DFU_SRV_IMG_COUNT images (1); metadata <= BO_DFU_METADATA_MAXLEN.
 */
#ifndef BO_DFU_DFU_SRV_H
#define BO_DFU_DFU_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/boot/image.h"
#include "core/dfu/blob_srv.h"
#include "core/dfu/blob_store.h"
#include "core/dfu/dfu_msg.h"
#include "core/port/crypto.h"
#include "core/port/flash.h"
#include "core/port/mesh.h"

#define BO_DFU_SRV_IMG_COUNT 1u
#define BO_DFU_FWID_LEN 8u /* our FWID: major, minor, revision (LE16), build (LE32) */

#define BO_DFU_SRV_TIMER_VERIFY 0u
#define BO_DFU_SRV_TIMER_APPLY 1u
#define BO_DFU_SRV_TIMERS 2u

#define BO_DFU_SRV_APPLY_DELAY_US 500000u /* default: answer, then apply 0.5 s later */
#define BO_DFU_SRV_REC_LEN 32u

struct bo_dfu_srv;

struct bo_dfu_srv_cb {
	void *ctx;
	/*
	 * Firmware Metadata Check and Update Start: accept (return 0, *effect set) or reject
	 * (non-zero) the metadata for image img_idx. NULL: accept, effect NONE.
	 */
	int (*metadata_check)(void *ctx, struct bo_dfu_srv *srv, uint8_t img_idx,
			      const uint8_t *metadata, size_t len, enum bo_dfu_effect *effect);
	/* Verification finished: VERIFY_OK (err BO_IMG_OK) or VERIFY_FAIL (why). */
	void (*verified)(void *ctx, struct bo_dfu_srv *srv, enum bo_image_err err);
	/* Apply: request the upgrade from the bootloader (bo_app_request_upgrade) and reboot.
	 * Called from bo_dfu_srv_timer(); it need not return. NULL: nothing happens. */
	void (*apply)(void *ctx, struct bo_dfu_srv *srv);
	/* Any phase change (after it is persisted). */
	void (*phase)(void *ctx, struct bo_dfu_srv *srv, enum bo_dfu_phase phase);
};

struct bo_dfu_srv_config {
	const struct bo_mesh_port *mesh;
	uint32_t timer_base;
	/* The BLOB Transfer Server: its storage must be the bootloader's upgrade slot (slot);
	 * its state area is separate from ours. Its callbacks are replaced. */
	struct bo_blob_srv_config blob;
	struct bo_flash_area slot;     /* the upgrade slot (verified there) */
	uint32_t verify_limit;         /* bytes an image may use in the slot (the bootloader's
					  data limit); 0: the slot size */
	const struct bo_crypto *crypto;
	const struct bo_keyring *keys;
	struct bo_flash_area state;    /* our persisted record: >= 2 sectors */
	struct bo_image_version running; /* the running image's version */
	bool boot_reverted;            /* this boot's bootloader result: it went back from
					  an image it tried (reverted an unconfirmed test
					  image, or booted the recovery image); set like
					  running, from the bootloader's result */
	const uint8_t *uri;            /* optional update URI, NULL: none */
	size_t uri_len;
	uint32_t apply_delay_us;       /* 0: BO_DFU_SRV_APPLY_DELAY_US */
	bool applied_at_restore;       /* restore calls bo_dfu_srv_applied() itself (an
					  application that does not report it) */
	struct bo_dfu_srv_cb cb;
};

/* The persisted part. */
struct bo_dfu_srv_update {
	uint8_t phase;        /* enum bo_dfu_phase */
	uint8_t effect;       /* of the current update */
	uint8_t img_idx;
	uint8_t ttl;
	uint16_t timeout_base;
	uint64_t blob_id;
	uint8_t md_status;    /* last Firmware Metadata Check: status and effect */
	uint8_t md_effect;
	uint8_t have_version; /* version below is known (metadata decoded, or verified) */
	uint8_t unprov;       /* unprovisioned after an UNPROV apply */
	struct bo_image_version version; /* of the new image */
};

struct bo_dfu_srv {
	struct bo_dfu_srv_config cfg;
	struct bo_blob_srv blob;
	struct bo_dfu_srv_update u;
	struct bo_dfu_persist persist;
	int persist_ok;
	/* bo_dfu_srv_applied() took the update (the new version runs, confirmed) */
	bool applied;
	/* restored APPLYING with the new version running: bo_dfu_srv_applied() expected */
	bool await_applied;
	enum bo_image_err verify_err; /* of the last verification */
	uint32_t writes;              /* records written (statistics) */
};

/* FWID of a version: major, minor, revision LE16, build LE32 (BO_DFU_FWID_LEN bytes). */
void bo_dfu_fwid_from_version(const struct bo_image_version *v, uint8_t fwid[BO_DFU_FWID_LEN]);

/* Fresh server (IDLE; BLOB server INACTIVE). Copies cfg. */
void bo_dfu_srv_init(struct bo_dfu_srv *srv, const struct bo_dfu_srv_config *cfg);
/* Power-on: restore from flash (see above). Returns the phase. */
enum bo_dfu_phase bo_dfu_srv_restore(struct bo_dfu_srv *srv);
/* 1: a Firmware Update or BLOB Transfer server message (handled, even if dropped);
 * 0: not ours. */
int bo_dfu_srv_handle(struct bo_dfu_srv *srv, const struct bo_mesh_rx *rx, uint32_t opcode,
		      const uint8_t *payload, size_t len);
/* 1: our timer (or the BLOB server's); 0: not ours. */
int bo_dfu_srv_timer(struct bo_dfu_srv *srv, uint32_t timer_id);

static inline enum bo_dfu_phase bo_dfu_srv_phase(const struct bo_dfu_srv *srv)
{
	return (enum bo_dfu_phase)srv->u.phase;
}
static inline bool bo_dfu_srv_is_unprovisioned(const struct bo_dfu_srv *srv)
{
	return srv->u.unprov != 0;
}
/* The application confirmed the new image (after a restore into APPLYING with the new
 * version running): -> IDLE, srv.applied set, the UNPROV effect taken, persisted. 0, or -1
 * when no applied update is awaited (nothing changes). */
int bo_dfu_srv_applied(struct bo_dfu_srv *srv);
static inline bool bo_dfu_srv_awaits_applied(const struct bo_dfu_srv *srv)
{
	return srv->await_applied;
}
/* The node was provisioned again: answer messages again (persisted). */
void bo_dfu_srv_provisioned(struct bo_dfu_srv *srv);

#endif
