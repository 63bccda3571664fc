/*
 * core/dfu/distributor.h: the Distributor node, wired: a Firmware Distribution Server
 * (dfd_srv.h, facing the Initiator) whose distribution side (struct bo_dfd_distributor_ops)
 * is a Firmware Update Client (dfu_cli.h, facing the Targets).
 *
 * Use
 *   struct bo_distributor d;                 // caller-owned, one per node
 *   bo_distributor_init(&d, &cfg);           // cfg.dfd without ops; cfg.cli without cb
 *   bo_distributor_restore(&d);              // power-on: may resume a distribution
 *   bo_distributor_handle(&d, &rx, opcode, payload, len);   // every access message
 *   bo_distributor_timer(&d, timer_id);                      // every timer expiry
 *
 * Timer ids on the node (cfg.timer_base + these; the ones in cfg.dfd / cfg.cli are
 * overwritten):
 *   BO_DISTRIBUTOR_TIMER_DFD_BLOB .. +1  the upload's BLOB server (BO_BLOB_SRV_TIMER_*)
 *   BO_DISTRIBUTOR_TIMER_CLI_STEP        the update client's step timer
 *   BO_DISTRIBUTOR_TIMER_CLI_BLOB .. +1  the update client's BLOB client (BO_BLOB_CLI_TIMER_*)
 *   BO_DISTRIBUTOR_TIMER_KICK            a resumed distribution with nothing left to send
 *                                        ends from here (delay 0), not inside ops.start
 * BO_DISTRIBUTOR_TIMERS ids in all.
 *
 * Distribution (ops.start): the receivers with image dfd's slot, the persisted BLOB ID
 * (params.blob_id), TTL, timeout base, mode, group; policy VERIFY_AND_APPLY sends with apply
 * (the client applies and confirms in the same run; the server's ops.apply that follows
 * transfer_end(true) then ends at once with apply_end(any applied)). Policy VERIFY_ONLY
 * ends at VERIFIED; a later Distribution Apply (ops.apply) runs the client again with
 * apply: targets in VERIFY_OK skip the BLOB. Resume after a power cut (ops.start with
 * resume): the same BLOB ID, so targets that verified skip the BLOB and the others continue
 * from their stored blocks; receivers whose stored report is final (APPLY_SUCCESS,
 * VERIFY_FAIL, APPLY_FAIL, or a rejection) keep it and are not contacted again.
 *
 * In a run with apply, a target whose Information Status already shows the new FWID (it
 * applied before a power cut of the Distributor, or installed it in an earlier
 * distribution) is APPLIED at once by the client (dfu_cli.h, INFO): the image is not sent
 * and applied again.
 *
 * Per-target results -> bo_dfd_srv_receiver_report(addr, phase, update status, BLOB
 * status, progress), the Receivers List the Initiator reads:
 *   APPLIED        APPLY_SUCCESS, SUCCESS, 100 %
 *   VERIFIED       VERIFY_OK, SUCCESS, 100 %
 *   VERIFY_FAILED  VERIFY_FAIL, SUCCESS
 *   REJECTED       IDLE, the target's error status (METADATA, FW_IDX, ...); a target
 *                  refusing the Start with WRONG_PHASE or BLOB_XFER_BUSY holds an update of
 *                  an earlier distribution (another BLOB ID): it is sent Update Cancel, so
 *                  the Initiator's retry finds it IDLE
 *   APPLY_FAILED   APPLY_FAIL, the target's status or INTERNAL (it took the Apply and still
 *                  runs another image: reverted, or refused by its bootloader)
 *   LOST           after its Apply was accepted (it last reported APPLYING): APPLYING,
 *                  INTERNAL (it did not come back: possibly unbootable); otherwise
 *                  UNKNOWN, INTERNAL, with its BLOB status, and it is sent Update Cancel
 *                  (a retry comes with another BLOB ID)
 *   CANCELLED      TRANSFER_CANCELED, SUCCESS
 * Suspend (ops.suspend, while the transfer run has not reached Apply): the client stops
 * where it is, without a message (its state is dropped, as by a power cut); the targets'
 * BLOB servers time out to SUSPENDED and keep their stored blocks. Resume (Distribution
 * Start with the same parameters; ops.resume is NULL) is ops.start(resume = true): the
 * same BLOB ID, so every target continues from its stored blocks. Suspend during Apply /
 * Confirm is refused (SUSPEND_FAILED).
 */
#ifndef BO_DFU_DISTRIBUTOR_H
#define BO_DFU_DISTRIBUTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dfu/dfd_srv.h"
#include "core/dfu/dfu_cli.h"

#define BO_DISTRIBUTOR_TIMER_DFD_BLOB 0u
#define BO_DISTRIBUTOR_TIMER_CLI_STEP (BO_DISTRIBUTOR_TIMER_DFD_BLOB + BO_BLOB_SRV_TIMERS)
#define BO_DISTRIBUTOR_TIMER_CLI_BLOB (BO_DISTRIBUTOR_TIMER_CLI_STEP + BO_DFU_CLI_TIMERS)
#define BO_DISTRIBUTOR_TIMER_KICK (BO_DISTRIBUTOR_TIMER_CLI_BLOB + BO_BLOB_CLI_TIMERS)
#define BO_DISTRIBUTOR_TIMERS (BO_DISTRIBUTOR_TIMER_KICK + 1u)

#if BO_DFD_SRV_RECEIVERS_MAX > BO_DFU_CLI_TARGETS_MAX
#error "the update client must take every receiver"
#endif

enum bo_distributor_run {
	BO_DISTRIBUTOR_RUN_NONE = 0,
	BO_DISTRIBUTOR_RUN_TRANSFER, /* ops.start */
	BO_DISTRIBUTOR_RUN_APPLY,    /* ops.apply after a verify-only transfer */
	BO_DISTRIBUTOR_RUN_CANCEL,   /* ops.cancel */
};

struct bo_distributor_config {
	/* mesh, slots, state, blob (state, caps), app_key_valid; ops and blob.timer_base are
	 * set by bo_distributor_init */
	struct bo_dfd_srv_config dfd;
	uint32_t timer_base;
	/* the update: 0 fields take dfu_cli's defaults */
	uint8_t block_size_log;
	uint16_t chunk_size;
	uint16_t mtu;
	uint32_t chunk_interval_us;
	uint64_t confirm_timeout_us;
	/* the client's step retry interval; default dfu_cli's: the client timeout of the
	 * update's timeout base and TTL / 5, as Zephyr's (a shorter one gave up targets of a
	 * large mesh before their answers could cross it). Its Start step, at most 6 rounds
	 * of two intervals, ends well inside the targets' wait for the BLOB Transfer Start
	 * (BO_BLOB_SRV_START_WAIT receive timeouts). */
	uint64_t retry_us;
};

struct bo_distributor {
	struct bo_distributor_config cfg;
	struct bo_dfd_srv dfd;
	struct bo_dfu_cli cli;
	/* RAM only: the current run of the client */
	uint8_t run;             /* enum bo_distributor_run */
	bool applied;            /* the transfer run applied (policy VERIFY_AND_APPLY) */
	bool any_verified, any_applied;
	struct bo_dfd_image image;
	uint16_t receiver_count;
	uint8_t final[BO_DFD_SRV_RECEIVERS_MAX]; /* 1: keeps its stored final report */
	uint16_t addrs[BO_DFU_CLI_TARGETS_MAX];
	uint8_t idxs[BO_DFU_CLI_TARGETS_MAX];
};

void bo_distributor_init(struct bo_distributor *d, const struct bo_distributor_config *cfg);
/* Power-on: bo_dfd_srv_restore (a distribution that was running is resumed). */
enum bo_dfd_phase bo_distributor_restore(struct bo_distributor *d);
/* 1: handled (a Distribution / BLOB server message from the Initiator, or an update / BLOB
 * client status from a Target); 0: not ours. */
int bo_distributor_handle(struct bo_distributor *d, const struct bo_mesh_rx *rx,
			  uint32_t opcode, const uint8_t *payload, size_t len);
/* 1: one of our timers; 0: not ours. */
int bo_distributor_timer(struct bo_distributor *d, uint32_t timer_id);

static inline enum bo_dfd_phase bo_distributor_phase(const struct bo_distributor *d)
{
	return bo_dfd_srv_phase(&d->dfd);
}

#endif
