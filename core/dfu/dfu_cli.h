/*
 * core/dfu/dfu_cli.h: Firmware Update Client (MshDFU 1.0), the Distributor's side of a
 * firmware update: drives a set of Targets (Firmware Update Servers, dfu_srv.h) through an
 * update, with its own BLOB Transfer Client (blob_cli.h) for the image, event-driven
 * (message in, timer fired) in the manner of Zephyr's dfu_cli.c.
 *
 * Use
 *   struct bo_dfu_cli cli;                     // caller-owned
 *   bo_dfu_cli_init(&cli, &cfg);               // mesh, timer ids, BLOB client config, cb
 *   bo_dfu_cli_send(&cli, &upd, addrs, n);     // update n targets
 *   bo_dfu_cli_handle(&cli, &rx, opcode, payload, len);  // every access message
 *   bo_dfu_cli_timer(&cli, timer_id);                     // every timer expiry
 *
 * Procedure, per target (unicast, acknowledged steps retried every retry_us, a target
 * silent for BO_DFU_CLI_RETRIES + 1 sends of a step is LOST). A round's requests go out
 * one target after the other, paced by the bearer (BO_DFU_CLI_STEP_INTERVAL_US below) and
 * spread over the retry interval (retry_us / the targets due, at most
 * BO_DFU_CLI_SPREAD_MAX_US apart): a burst to a hundred targets would overflow the
 * advertising buffers and the relays; a send the stack refuses is tried again later and
 * not counted; retry_us runs from the round's last send.
 * With upd.group set, the first round of the query steps (INFO, CHECK, REFRESH, CONFIRM)
 * is one message to the group (as Zephyr's client sends its steps), the later rounds
 * unicast to the silent; Update Start and Apply go unicast only (to the group they would
 * also reach members outside the distribution, e.g. a retry round's updated targets):
 *   INFO     Update Information Get (when upd.info_get): its current FWID (targets[i].fwid);
 *            no image at its index -> REJECTED (status ERR_FW_IDX); with upd.apply, a
 *            target already running the new FWID (upd.fwid: applied in an earlier run, or
 *            before a power cut of the Distributor) is asked Update Get before anything
 *            is concluded (the FWID alone does not say it confirmed the image): APPLYING
 *            -> it skips to CONFIRM; any other phase -> APPLIED, nothing sent or applied.
 *            A target silent to Information Get (a Target applying an image is, as
 *            Zephyr's is) is asked Update Get in one more round after the last one:
 *            APPLYING this update's BLOB ID -> it skips to CONFIRM.
 *   CHECK    Firmware Metadata Check: status != SUCCESS -> REJECTED; else its effect
 *   START    Update Start: status != SUCCESS -> REJECTED; a target answering with the same
 *            BLOB ID in VERIFY, VERIFY_OK or VERIFY_FAIL (it has this image already: a
 *            repeated update, e.g. verify only first, apply later) skips the BLOB step
 *   BLOB     the image through the BLOB client to every started target (group upd.group or
 *            unicast); a target the BLOB client loses is LOST
 *   REFRESH  Update Get until each reports VERIFY_OK or VERIFY_FAIL (-> VERIFY_FAILED);
 *            VERIFY / TRANSFER_ACTIVE answers keep it waiting (at most
 *            BO_DFU_CLI_REFRESH_MAX rounds); IDLE / TRANSFER_ERR / CANCELED -> LOST
 *   APPLY    (upd.apply; otherwise VERIFY_OK targets end VERIFIED) Update Apply. Whatever
 *            the answer, what the target runs decides (CONFIRM): an answer SUCCESS +
 *            APPLYING, or an error in IDLE or VERIFY_FAIL (it left VERIFY_OK after an Apply
 *            whose answer was lost: applied and rebooted, or its bootloader refused the
 *            image), shows that it took the Apply ("applying"); any other error, or no
 *            answer to BO_DFU_CLI_RETRIES + 1 sends, goes on without that. A SUCCESS status
 *            in another phase is a late answer to an Update Get, ignored.
 *   CONFIRM  Update Information Get, first after BO_DFU_CLI_CONFIRM_DELAY_US, then with
 *            doubling backoff (at most BO_DFU_CLI_CONFIRM_BACKOFF_MAX_US) until
 *            upd.confirm_timeout_us (at least the BLOB client timeout of the update's
 *            timeout base and TTL plus BO_DFU_CLI_STEP_INTERVAL_US a target); every other unanswered round Update Get instead (a
 *            Target applying is silent to Information Get): APPLYING this BLOB ID marks
 *            it trying the image (never APPLIED from a phase alone: the new FWID must be
 *            seen, below); silent to Information Get until the deadline -> APPLY_FAILED. Running the new FWID (upd.fwid) is not enough (a
 *            Target runs a test image unconfirmed in phase APPLYING until its application
 *            reports it applied, dfu_srv.h): the client asks Update Get at once, and
 *            then instead of Information Get each round: phase IDLE (or APPLY_SUCCESS)
 *            -> APPLIED; APPLYING -> polled on until the deadline; any other phase (it
 *            rebooted or reverted, and verified its slot again) -> Information Get again.
 *            At the deadline:
 *              the new FWID, last answered APPLYING (never applied: the image did not
 *                confirm itself, a bad image; its bootloader reverts it at its next
 *                reset) -> APPLY_FAILED; but an UNPROV-effect target silent since ->
 *                APPLIED (applied and unprovisioned); the new FWID and no Update Status
 *                -> LOST;
 *              another FWID last, for a target that took the Apply (ran the new FWID
 *                meanwhile, or answered the Apply APPLYING) -> APPLY_FAILED (reverted,
 *                or refused by its bootloader);
 *              one not known to have taken it (another FWID only, no APPLYING answer),
 *                or silent -> LOST; except an UNPROV-effect target that took the Apply:
 *                silence is APPLIED.
 *            A late SUCCESS + APPLYING answer to the Apply still counts (error answers
 *            are ignored here). An inconclusive answer never ends APPLY_FAILED.
 * Then done(success: at least one target APPLIED, or VERIFIED without apply).
 *
 * Timers: cfg.timer_base + BO_DFU_CLI_TIMER_STEP, and the BLOB client's
 * cfg.blob.timer_base + BO_BLOB_CLI_TIMER_*: all distinct on the node.
 *
 * Limits (compile time): BO_DFU_CLI_TARGETS_MAX targets, FWID <= BO_DFU_FWID_MAXLEN,
 * metadata <= BO_DFU_METADATA_MAXLEN (the pointers in upd must outlive the update).
 */
#ifndef BO_DFU_DFU_CLI_H
#define BO_DFU_DFU_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dfu/blob_cli.h"
#include "core/dfu/dfu_msg.h"
#include "core/port/mesh.h"

#ifndef BO_DFU_CLI_TARGETS_MAX
#define BO_DFU_CLI_TARGETS_MAX 8u /* firmware default; host builds raise it (meson.build) */
#endif
#define BO_DFU_CLI_RETRIES 5u
#define BO_DFU_CLI_REFRESH_MAX 60u
#define BO_DFU_CLI_CONFIRM_DELAY_US 1000000u
#define BO_DFU_CLI_CONFIRM_BACKOFF_MAX_US 8000000u
#define BO_DFU_CLI_CONFIRM_TIMEOUT_US 60000000u
#define BO_DFU_CLI_REAPPLY_MAX 2u /* repeated Applies per target and distribution */

/* Pacing of a step's unicast requests (one target after the other, as Zephyr's client
 * does): the next when the port reports the previous one left (send_done), this long at
 * most; without send_done one every BO_DFU_CLI_STEP_INTERVAL_US. */
#define BO_DFU_CLI_STEP_INTERVAL_US 250000u
/* ... and spread over the step's retry interval (retry_us / the targets due), at most this
 * far apart: every request of a round across a large all-relay mesh draws an answer that
 * floods it too, and a hundred back to back (the bearer is free long before the relays
 * are) drown each other's answers, so a target is lost after its retries without one
 * answer reaching the client. */
#define BO_DFU_CLI_SPREAD_MAX_US 1000000u
#define BO_DFU_CLI_SEND_WATCHDOG_US 10000000u
#define BO_DFU_CLI_BUSY_US 250000u  /* a refused send: again this much later, not counted */
#define BO_DFU_CLI_BUSY_TRIES 20u   /* ... this many times in a row, then it counts */

#define BO_DFU_CLI_TIMER_STEP 0u
#define BO_DFU_CLI_TIMERS 1u

enum bo_dfu_cli_result {
	BO_DFU_CLI_PENDING = 0,
	BO_DFU_CLI_APPLIED,       /* runs the new FWID (or UNPROV and silent) */
	BO_DFU_CLI_VERIFIED,      /* VERIFY_OK, not applied (policy) */
	BO_DFU_CLI_VERIFY_FAILED, /* VERIFY_FAIL: never applied */
	BO_DFU_CLI_REJECTED,      /* refused the metadata or the Start (status) */
	BO_DFU_CLI_LOST,          /* went silent (or no sign it applied), or the BLOB
				     transfer lost it */
	BO_DFU_CLI_APPLY_FAILED,  /* took the Apply, but runs another FWID (reverted or
				     refused), or runs it without ever applying (a bad image) */
	BO_DFU_CLI_CANCELLED,
};

enum bo_dfu_cli_state {
	BO_DFU_CLI_IDLE = 0,
	BO_DFU_CLI_INFO,
	BO_DFU_CLI_CHECK,
	BO_DFU_CLI_START,
	BO_DFU_CLI_BLOB,
	BO_DFU_CLI_REFRESH,
	BO_DFU_CLI_APPLY,
	BO_DFU_CLI_CONFIRM,
	BO_DFU_CLI_DONE,
};

struct bo_dfu_cli_target {
	uint16_t addr;
	uint8_t img_idx;  /* its image index for this update */
	uint8_t result;   /* enum bo_dfu_cli_result */
	uint8_t status;   /* last status it sent (enum bo_dfu_status) */
	uint8_t phase;    /* last phase it reported (enum bo_dfu_phase) */
	uint8_t effect;   /* from Metadata Check / Update Status */
	uint8_t acked;    /* done with the current step */
	uint8_t tries;    /* sends of the current step without an answer */
	uint8_t verified; /* reported VERIFY_OK */
	uint8_t answered; /* CONFIRM: last answered with another FWID */
	uint8_t runs_new; /* CONFIRM: last answered the new FWID (then polled by Update Get) */
	uint8_t stuck;    /* CONFIRM: running the new FWID, answered APPLYING (not applied) */
	uint8_t applying; /* took the Apply: answered it APPLYING, or left VERIFY_OK after it
			     (IDLE / VERIFY_FAIL) */
	uint8_t has_blob; /* answered the Start in VERIFY / VERIFY_OK / VERIFY_FAIL: no BLOB */
	uint8_t seen_new; /* CONFIRM: reported the new FWID at least once */
	uint8_t ask_phase; /* CONFIRM: another FWID after it took the Apply: Update Get asked */
	uint8_t confirm_only; /* INFO found it applying this update already: CONFIRM only */
	uint8_t reapply;  /* CONFIRM: Update Apply sent again, not answered yet */
	uint8_t reapplies; /* CONFIRM: Update Applies sent again (<= BO_DFU_CLI_REAPPLY_MAX) */
	uint8_t fwid_len; /* the FWID it last reported */
	uint8_t fwid[BO_DFU_FWID_MAXLEN];
	/* Where it got its result (diagnostics; set with result): the step (enum
	 * bo_dfu_cli_state); in the BLOB step the BLOB client's step (enum bo_blob_cli_state)
	 * and block (from 0); the tries made at that step (its requests sent; in the BLOB step
	 * the BLOB client's retries, Block Get rounds or pull probes, whichever is most). */
	uint8_t end_step;
	uint8_t end_blob_step;
	uint16_t end_block;
	uint16_t end_tries;
};

/* What to send and how. 0 fields take the defaults noted. */
struct bo_dfu_cli_update {
	uint64_t blob_id;
	uint32_t size;                /* image size */
	uint8_t img_idx;              /* the image index on the targets */
	const uint8_t *img_idxs;      /* or NULL; else one image index per target (as the
					 Distributor's receivers list has them) */
	const uint8_t *metadata;
	size_t metadata_len;
	const uint8_t *fwid;          /* the new image's FWID */
	size_t fwid_len;
	uint8_t ttl;                  /* default BO_MESH_TTL_DEFAULT */
	uint16_t timeout_base;
	uint16_t app_idx;
	uint16_t group;               /* BLOB transfer to this group; unassigned: unicast */
	bool info_get;                /* ask the FWID before starting */
	bool apply;                   /* apply VERIFY_OK targets and confirm */
	uint64_t retry_us;            /* default bo_blob_cli_retry_us(timeout_base, ttl, 5) */
	uint64_t confirm_timeout_us;  /* default BO_DFU_CLI_CONFIRM_TIMEOUT_US */
	/* BLOB parameters: mode, block_size_log, chunk_size, mtu, chunk_interval_us (id, size,
	 * group, app_idx, ttl and timeout_base are taken from above) */
	struct bo_blob_cli_xfer blob;
};

struct bo_dfu_cli;

struct bo_dfu_cli_cb {
	void *ctx;
	/* The image's bytes [off, off + len) for the BLOB client: 0 or negative. NULL: the BLOB
	 * client reads cfg.blob.source. */
	int (*read)(void *ctx, uint32_t off, uint8_t *buf, uint32_t len);
	/* A target reached its result. */
	void (*target_done)(void *ctx, struct bo_dfu_cli *cli, const struct bo_dfu_cli_target *t);
	/* Finished (DONE). */
	void (*done)(void *ctx, struct bo_dfu_cli *cli, bool success);
};

struct bo_dfu_cli_config {
	const struct bo_mesh_port *mesh;
	uint32_t timer_base;
	struct bo_blob_cli_config blob; /* its callbacks are replaced */
	struct bo_dfu_cli_cb cb;
};

struct bo_dfu_cli {
	struct bo_dfu_cli_config cfg;
	struct bo_blob_cli blob;
	struct bo_dfu_cli_update upd;
	struct bo_dfu_cli_target targets[BO_DFU_CLI_TARGETS_MAX];
	uint16_t ntargets;
	uint8_t state;      /* enum bo_dfu_cli_state */
	uint8_t rounds;     /* REFRESH rounds */
	bool success;
	uint64_t deadline;  /* CONFIRM */
	uint64_t backoff;   /* CONFIRM */
	uint8_t pacing;     /* a round's requests are going out (the step timer paces them) */
	uint16_t tx_next;   /* the next target of the round */
	uint8_t busy;       /* refused sends in a row */
	uint8_t grp_first;  /* the step's first round goes to upd.group */
	uint64_t gap_us;    /* a round's unicast requests: at least this far apart */
	uint64_t last_tx_us; /* when the round's last request went out */
};

void bo_dfu_cli_init(struct bo_dfu_cli *cli, const struct bo_dfu_cli_config *cfg);
/* Start an update of n targets. -1 when busy, for no / too many targets, a zero size, or
 * oversized metadata or FWID. */
int bo_dfu_cli_send(struct bo_dfu_cli *cli, const struct bo_dfu_cli_update *upd,
		    const uint16_t *addrs, size_t n);
/* Stop: the BLOB transfer is cancelled, Update Cancel goes to every pending target (once,
 * unacknowledged), they end CANCELLED, done(false). -1 when idle or done. */
int bo_dfu_cli_cancel(struct bo_dfu_cli *cli);
/* 1: a Firmware Update or BLOB Transfer client message (a status), handled; 0: not ours. */
int bo_dfu_cli_handle(struct bo_dfu_cli *cli, const struct bo_mesh_rx *rx, uint32_t opcode,
		      const uint8_t *payload, size_t len);
/* 1: our timer (or the BLOB client's); 0: not ours. */
int bo_dfu_cli_timer(struct bo_dfu_cli *cli, uint32_t timer_id);

static inline enum bo_dfu_cli_state bo_dfu_cli_state(const struct bo_dfu_cli *cli)
{
	return (enum bo_dfu_cli_state)cli->state;
}

#endif
