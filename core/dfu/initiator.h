/*
 * core/dfu/initiator.h: the Initiator (MshDFU 1.0 Firmware Distribution Client role, which
 * Zephyr leaves to its shell): drives one Distributor (distributor.h) over access messages.
 *
 * Use
 *   struct bo_initiator in;                   // caller-owned (a gateway: nothing persisted)
 *   bo_initiator_init(&in, &cfg);             // mesh, distributor address, timers, cb
 *   bo_initiator_start(&in, &img, &dist, targets, n);
 *   bo_initiator_handle(&in, &rx, opcode, payload, len);  // every access message
 *   bo_initiator_timer(&in, timer_id);                     // every timer expiry
 *
 * Procedure:
 *   UPLOAD   Upload Start (img: FWID, metadata, size, BLOB ID); SUCCESS in TRANSFER_SUCCESS
 *            (the Distributor has that FWID) skips the BLOB; otherwise our own BLOB client
 *            pushes img.area to the Distributor's BLOB server, then Upload Get is polled
 *            until TRANSFER_SUCCESS (TRANSFER_ERROR or a failed BLOB: Upload Cancel, which
 *            frees the slot, then Upload Start again, at most cfg.retries more times).
 *   FW GET   Firmware Get (FWID): the image's index in the Firmware Images List.
 *   RESET    Distribution Get; COMPLETED / FAILED: Distribution Cancel (to IDLE) so the
 *            next Start is a new distribution; another distribution busy: fail.
 *   RECEIVERS Receivers Delete All, Receivers Add (this round's targets, 120 a message:
 *             a longer list in batches, each acknowledged before the next).
 *   START    Distribution Start (dist: policy, mode, TTL, timeout base, group, app key).
 *   POLL     Distribution Get, first after cfg.poll_us, the interval doubling up to
 *            cfg.poll_max_us, until COMPLETED / FAILED (or TRANSFER_SUCCESS under the
 *            verify-only policy; IDLE: ended by someone else).
 *   LIST     Receivers Get (paged) -> per target result (the Distributor's mapping,
 *            distributor.h):
 *              APPLY_SUCCESS (it runs the new FWID, also when it ran it already at the
 *              start of a retry round) -> UPDATED; VERIFY_OK under verify-only ->
 *              VERIFIED; VERIFY_FAIL -> VERIFY_FAILED; APPLY_FAIL (it took the Apply and
 *              its firmware is still another FWID: reverted, or refused by the
 *              bootloader) -> REVERTED; APPLYING with an error (did not come back after
 *              apply) -> UNBOOTABLE; IDLE with METADATA / FW_IDX -> REJECTED; anything
 *              else (lost, transfer error, cancelled, busy, an Apply whose outcome the
 *              Distributor could not learn from the target's firmware) -> LOST, retried
 *              (the first IDLE + WRONG_PHASE / BLOB_XFER_BUSY, a target still holding an
 *              earlier distribution's update, which the Distributor cancels, is not
 *              counted as a try).
 *            VERIFY_FAILED, REVERTED, UNBOOTABLE and a METADATA rejection add the FWID to
 *            that target's refused images (in RAM, per target address, across starts):
 *            the Initiator never offers that image to that target again (a later start
 *            reports it REFUSED_BEFORE without contacting it).
 *   RETRY    LOST targets, while a target has been tried at most cfg.retries + 1 times,
 *            go round again (RESET .. LIST) after cfg.retry_backoff_us, doubling per
 *            round.
 *   done(success: every target UPDATED, or VERIFIED under verify-only).
 * Suspend / resume (bo_initiator_suspend / _resume): Distribution Suspend, and Distribution
 * Start with the same parameters.
 * Acknowledged requests are sent again every cfg.step_timeout_us; a Distributor silent for
 * cfg.step_retries + 1 sends (cfg.poll_retries + 1 Distribution Gets while polling: the
 * distribution runs on without us) ends the run (pending targets LOST, done(false)).
 *
 * Timers: cfg.timer_base + BO_INITIATOR_TIMER_* (the upload BLOB client's two, and ours).
 *
 * Limits (compile time): BO_INITIATOR_TARGETS_MAX targets per start, BO_INITIATOR_NODES_MAX
 * remembered target addresses, BO_INITIATOR_REFUSED_MAX refused FWIDs per target (the
 * oldest is forgotten first).
 */
#ifndef BO_DFU_INITIATOR_H
#define BO_DFU_INITIATOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dfu/blob_cli.h"
#include "core/dfu/dfd_msg.h"
#include "core/dfu/dfu_msg.h"
#include "core/port/flash.h"
#include "core/port/mesh.h"

#ifndef BO_INITIATOR_TARGETS_MAX
#define BO_INITIATOR_TARGETS_MAX 8u
#endif
#ifndef BO_INITIATOR_NODES_MAX
#define BO_INITIATOR_NODES_MAX 16u
#endif
#ifndef BO_INITIATOR_REFUSED_MAX
#define BO_INITIATOR_REFUSED_MAX 4u
#endif
#define BO_INITIATOR_STEP_TIMEOUT_US 2000000u
#define BO_INITIATOR_STEP_RETRIES 5u
#define BO_INITIATOR_POLL_RETRIES 20u
#define BO_INITIATOR_POLL_US 2000000u
#define BO_INITIATOR_POLL_MAX_US 30000000u
#define BO_INITIATOR_RETRY_BACKOFF_US 5000000u

#define BO_INITIATOR_TIMER_BLOB 0u /* .. +1: the upload's BLOB client */
#define BO_INITIATOR_TIMER_STEP (BO_INITIATOR_TIMER_BLOB + BO_BLOB_CLI_TIMERS)
#define BO_INITIATOR_TIMERS (BO_INITIATOR_TIMER_STEP + 1u)

enum bo_initiator_result {
	BO_INITIATOR_PENDING = 0,
	BO_INITIATOR_UPDATED,        /* runs the new image */
	BO_INITIATOR_VERIFIED,       /* verify-only policy: has it, verified */
	BO_INITIATOR_VERIFY_FAILED,  /* refused */
	BO_INITIATOR_REVERTED,       /* applied, but runs another image (or refused apply) */
	BO_INITIATOR_UNBOOTABLE,     /* silent after apply */
	BO_INITIATOR_REJECTED,       /* refused the metadata / has no such image index */
	BO_INITIATOR_REFUSED_BEFORE, /* not offered: it refused this image in an earlier run */
	BO_INITIATOR_LOST,           /* unreachable after every retry */
	BO_INITIATOR_CANCELLED,
};

enum bo_initiator_state {
	BO_INITIATOR_IDLE = 0,
	BO_INITIATOR_UPLOAD_START,
	BO_INITIATOR_UPLOAD_BLOB,
	BO_INITIATOR_UPLOAD_GET,
	BO_INITIATOR_FW_GET,
	BO_INITIATOR_RESET,
	BO_INITIATOR_RESET_CANCEL,
	BO_INITIATOR_RECV_DELETE,
	BO_INITIATOR_RECV_ADD,
	BO_INITIATOR_DIST_START,
	BO_INITIATOR_POLL,
	BO_INITIATOR_RECV_GET,
	BO_INITIATOR_BACKOFF,
	BO_INITIATOR_CANCEL,
	BO_INITIATOR_DONE,
	BO_INITIATOR_SUSPEND,   /* Distribution Suspend out */
	BO_INITIATOR_SUSPENDED, /* the distribution is suspended: no polls */
	BO_INITIATOR_APPLY,     /* Distribution Apply out */
	BO_INITIATOR_UPLOAD_CANCEL, /* Upload Cancel before an upload is started again */
};

/* What a target address is remembered with (across starts). */
struct bo_initiator_node {
	uint16_t addr;
	uint8_t nrefused;
	uint8_t refused_len[BO_INITIATOR_REFUSED_MAX];
	uint8_t refused[BO_INITIATOR_REFUSED_MAX][BO_DFU_FWID_MAXLEN];
};

/* A target of the current run. */
struct bo_initiator_target {
	uint16_t addr;
	uint8_t img_idx;
	uint8_t result;  /* enum bo_initiator_result */
	uint8_t tries;   /* distributions it was in */
	uint8_t in_round;
	uint8_t stale;   /* refused a Start once for an earlier update it held (a free retry) */
	struct bo_dfd_target_entry last; /* its last Receivers List entry */
};

/* The image to distribute. */
struct bo_initiator_image {
	struct bo_flash_area area; /* the image at offset 0 */
	uint32_t size;
	const uint8_t *fwid;     /* outlive the run */
	size_t fwid_len;
	const uint8_t *metadata;
	size_t metadata_len;
	uint64_t blob_id;        /* of the upload */
	uint16_t timeout_base;   /* of the upload */
};

/* Distribution Start parameters. */
struct bo_initiator_dist {
	uint16_t app_idx;
	uint8_t ttl;
	uint16_t timeout_base;
	uint8_t mode;    /* BO_BLOB_MODE_PUSH / _PULL */
	uint8_t policy;  /* enum bo_dfd_policy */
	uint16_t group;  /* 0: unicast */
};

struct bo_initiator;

struct bo_initiator_cb {
	void *ctx;
	/* the run ended; per-target results in in->targets[0..in->ntargets) */
	void (*done)(void *ctx, struct bo_initiator *in, bool success);
	/* optional: a round's Receivers List is in and its targets are classified (those of
	 * the round have in_round set), before a retry round restarts the distribution: the
	 * Distributor still holds what became of each (a diagnostics hook) */
	void (*round_done)(void *ctx, struct bo_initiator *in);
};

/* 0 fields take the defaults noted. */
struct bo_initiator_config {
	const struct bo_mesh_port *mesh;
	uint32_t timer_base;
	uint16_t distributor;       /* its unicast address */
	uint16_t app_idx;           /* for our requests */
	uint8_t ttl;                /* default BO_MESH_TTL_DEFAULT */
	uint64_t step_timeout_us;   /* default BO_INITIATOR_STEP_TIMEOUT_US */
	uint8_t step_retries;       /* default BO_INITIATOR_STEP_RETRIES */
	uint64_t poll_us;           /* default BO_INITIATOR_POLL_US */
	uint64_t poll_max_us;       /* default BO_INITIATOR_POLL_MAX_US */
	uint8_t poll_retries;       /* unanswered Distribution Gets in a row while polling
				       before giving up; default BO_INITIATOR_POLL_RETRIES */
	uint8_t retries;            /* extra distributions for lost targets (0: none) */
	uint64_t retry_backoff_us;  /* default BO_INITIATOR_RETRY_BACKOFF_US */
	/* the upload's BLOB parameters: block_size_log, chunk_size, mtu, chunk_interval_us */
	struct bo_blob_cli_xfer upload;
	struct bo_initiator_cb cb;
};

struct bo_initiator {
	struct bo_initiator_config cfg;
	struct bo_blob_cli blob;
	struct bo_initiator_node nodes[BO_INITIATOR_NODES_MAX];
	uint16_t nnodes;
	/* the run */
	struct bo_initiator_image img;
	struct bo_initiator_dist dist;
	struct bo_initiator_target targets[BO_INITIATOR_TARGETS_MAX];
	uint16_t ntargets;
	uint8_t state;         /* enum bo_initiator_state */
	uint8_t tries;         /* sends of the current request */
	uint8_t upload_tries;
	uint8_t round;
	uint8_t dist_phase;    /* last Distribution Status phase */
	bool waiting;          /* a request is out (else POLL / BACKOFF wait) */
	bool success;
	uint16_t slot_idx;
	uint16_t list_next;    /* Receivers Get paging */
	uint16_t add_next;     /* Receivers Add batches: the round's targets added so far */
	uint16_t add_count;    /* ... and in the batch out */
	uint64_t poll_delay;
	/* Where the last run ended (diagnostics): the state it finished from (enum
	 * bo_initiator_state; BO_INITIATOR_RECV_GET when the Receivers List concluded it, any
	 * other when the Initiator gave up, e.g. POLL: the Distributor went silent) and the
	 * unanswered sends of that state's request then. */
	uint8_t end_state;
	uint8_t end_tries;
};

void bo_initiator_init(struct bo_initiator *in, const struct bo_initiator_config *cfg);
/* Distribute img to targets[0..n) (image index img_idxs[i], or 0 for NULL). -1 when busy,
 * n is 0 or too large, a target is not a unicast address or is listed twice, or img is not
 * usable. Targets that refused this FWID before end
 * REFUSED_BEFORE at once. */
int bo_initiator_start(struct bo_initiator *in, const struct bo_initiator_image *img,
		       const struct bo_initiator_dist *dist, const uint16_t *targets,
		       const uint8_t *img_idxs, size_t n);
/* Distribution Cancel; pending targets end CANCELLED, done(false) after the Distributor
 * answers (or stays silent). -1 when idle or done. */
int bo_initiator_cancel(struct bo_initiator *in);
/* While polling: Distribution Suspend; on SUCCESS (phase TRANSFER_SUSPENDED) the state is
 * SUSPENDED and polling stops, otherwise (e.g. SUSPEND_FAILED) polling goes on. -1 when
 * not polling. */
int bo_initiator_suspend(struct bo_initiator *in);
/* From SUSPENDED: Distribution Start with the same parameters (the Distributor resumes),
 * then polling again. -1 when not suspended. */
int bo_initiator_resume(struct bo_initiator *in);
/* After a verify-only run (DONE): Distribution Apply, then poll and list as above; the
 * VERIFIED targets end UPDATED (or REVERTED, UNBOOTABLE, LOST ...), done() again. -1 when
 * the last run was not a verify-only one that is done. */
int bo_initiator_apply(struct bo_initiator *in);
/* 1: a status from the Distributor (or our BLOB client's), handled; 0: not ours. */
int bo_initiator_handle(struct bo_initiator *in, const struct bo_mesh_rx *rx, uint32_t opcode,
			const uint8_t *payload, size_t len);
/* 1: our timer; 0: not ours. */
int bo_initiator_timer(struct bo_initiator *in, uint32_t timer_id);
/* Has addr refused (verify-failed, reverted, unbootable, metadata) this FWID? */
bool bo_initiator_refused(const struct bo_initiator *in, uint16_t addr, const uint8_t *fwid,
			  size_t fwid_len);

static inline enum bo_initiator_state bo_initiator_state(const struct bo_initiator *in)
{
	return (enum bo_initiator_state)in->state;
}

#endif
