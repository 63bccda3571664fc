/*
 * core/dfu/blob_cli.h: BLOB Transfer Client (MshMBT 1.0), push mode, many targets at once,
 * event-driven (message in, timer fired), in the manner of Zephyr's blob_cli.c.
 *
 * Use
 *   struct bo_blob_cli cli;                  // caller-owned
 *   bo_blob_cli_init(&cli, &cfg);            // mesh port, timer ids, BLOB source, callbacks
 *   bo_blob_cli_send(&cli, &xfer, addrs, n); // start a transfer to n targets
 *   bo_blob_cli_handle(&cli, &rx, opcode, payload, len);  // every access message
 *   bo_blob_cli_timer(&cli, timer_id);                     // every timer expiry
 *   bo_blob_cli_resume(&cli) / bo_blob_cli_cancel(&cli)
 *
 * Procedure: Information Get to every target (capabilities: the block size is the preferred
 * one clamped to what every target accepts, the chunk size the largest every target and the
 * MTU allow, rounded down to a multiple of the largest power of two (<= 64) dividing every
 * target's max chunk size, so that it is a multiple of each target's flash write unit) ->
 * Transfer Start -> per block: Block Start -> the chunks, paced (below) (to the group, or
 * unicast to each target still missing chunks) ->
 * Block Get (the OR of the targets' missing bitmaps is resent, then Block Get again) ->
 * next block -> Transfer Get (expect COMPLETE). Blocks no target misses (Transfer Status
 * blocks-not-received bitmaps) are skipped, so a resumed transfer continues from the
 * current block, not block 0.
 *
 * Pull mode (xfer.mode = BO_BLOB_MODE_PULL): after Block Start each target asks for chunks
 * (the encoded list in its Block Status, then Partial Block Reports; each list replaces the
 * target's previous request). The client sends the requested chunks paced as above, lowest
 * chunk first: to the group when one is set and two or more targets want that chunk (one
 * message serves every target of a dense wave), else unicast to the one target that asked.
 * An empty list means the target has the block; the block is done when every active target
 * has it. Every client retry interval each target still missing chunks must have been heard
 * (a report or a status); a silent one gets a Block Get (unicast, in the chunks' pacing
 * slots, while the others keep being served): a target answering it suspended
 * (INFO_UNAVAILABLE) gets the Block Start again, which resumes it; one answering with any
 * other error (e.g. WRONG_PHASE: it cancelled and is INACTIVE) is lost, and so is one silent
 * for a client timeout (BO_BLOB_CLI_BLOCK_RETRIES intervals) or one asked to be sent more
 * than BO_BLOB_CLI_ROUNDS_MAX times each chunk of a block.
 *
 * Acknowledged steps (Information Get, Transfer Start, Block Start, Block Get, Transfer Get,
 * Transfer Cancel) go to the group first when one is set, then unicast to the targets that
 * have not answered, every client timeout / BO_BLOB_CLI_BLOCK_RETRIES (timeouts.h); a target
 * silent after the retries, or answering with an error status, is lost. Exception: a target
 * that answers Block Get with INFO_UNAVAILABLE (it suspended: its receive timeout, or it
 * lost power and restored its state) gets the Block Start again, which resumes it. When every target
 * is lost the transfer is SUSPENDED (callback); bo_blob_cli_resume() re-activates the lost
 * targets and restarts with Transfer Start, continuing from the blocks they still miss.
 *
 * Pacing and refused sends. With a port that reports sends done (bo_mesh_port.send_done),
 * a chunk message goes as soon as the previous one has left the node (its segmented send
 * acknowledged, or every group round sent), as Zephyr's client does from its send-end
 * callback, and chunk_interval_us is unused; otherwise one goes every chunk_interval_us.
 * The mesh stack refuses a send it cannot take now (send() < 0:
 * no buffer, or a segmented message to that destination still in progress). The client does
 * not count a refused message as sent: it tries it again BO_BLOB_CLI_BUSY_US later (at most
 * BO_BLOB_CLI_BUSY_TRIES times in a row, then it counts as lost). Unicast requests of an
 * acknowledged step go out one after the other, not in one burst (a burst overflows the
 * advertising buffers, and its answers collide): the next when the port reports the
 * previous one left (send_done), else one every BO_BLOB_CLI_STEP_INTERVAL_US, and spread
 * over the retry interval (retry interval / the targets due, at most
 * BO_BLOB_CLI_SPREAD_MAX_US apart: their answers flood the mesh too); the step's
 * retry interval runs from the round's last request, so a round to many targets, longer
 * than one interval, is never cut short.
 *
 * Limits (compile time): BO_BLOB_CLI_TARGETS_MAX targets, BO_BLOB_CLI_CHUNKS_MAX chunks per
 * block, BO_BLOB_CLI_BLOCKS_MAX blocks.
 */
#ifndef BO_DFU_BLOB_CLI_H
#define BO_DFU_BLOB_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dfu/blob_msg.h"
#include "core/port/flash.h"
#include "core/port/mesh.h"

#ifndef BO_BLOB_CLI_TARGETS_MAX
#define BO_BLOB_CLI_TARGETS_MAX 32u /* firmware default; host builds set it (meson.build) */
#endif
#define BO_BLOB_CLI_CHUNKS_MAX 256u
#define BO_BLOB_CLI_BLOCKS_MAX 512u
#define BO_BLOB_CLI_CHUNK_INTERVAL_US 50000u /* default pacing: one chunk message per 50 ms */
#define BO_BLOB_CLI_ROUNDS_MAX 20u   /* Block Get rounds per block before the laggards are lost */
#define BO_BLOB_CLI_PASSES_MAX 3u    /* Transfer Get passes that find blocks still missing */
#define BO_BLOB_CLI_MTU_DEFAULT 380u
#define BO_BLOB_CLI_STEP_INTERVAL_US 250000u /* unicast requests of a step: one per 250 ms */
/* ... spread over the step's retry interval, at most this far apart (as dfu_cli.h's
 * BO_DFU_CLI_SPREAD_MAX_US: back to back, their answers drown each other in a large
 * all-relay mesh) */
#define BO_BLOB_CLI_SPREAD_MAX_US 1000000u
#define BO_BLOB_CLI_BUSY_US 250000u   /* a refused send is tried again this much later */
#define BO_BLOB_CLI_BUSY_TRIES 20u    /* ... this many times in a row, then counts as lost */
/* With a port that reports sends done (bo_mesh_port.send_done) the next chunk goes when the
 * previous one has left; this long without the report, it goes anyway. */
#define BO_BLOB_CLI_SEND_WATCHDOG_US 60000000u

/* Timer ids: cfg.timer_base + these. */
#define BO_BLOB_CLI_TIMER_RETRY 0u
#define BO_BLOB_CLI_TIMER_TX 1u
#define BO_BLOB_CLI_TIMERS 2u

enum bo_blob_cli_target_state {
	BO_BLOB_TARGET_ACTIVE = 0,
	BO_BLOB_TARGET_LOST = 1,
	BO_BLOB_TARGET_DONE = 2, /* reported COMPLETE */
};

struct bo_blob_cli_target {
	uint16_t addr;
	uint8_t state;  /* enum bo_blob_cli_target_state */
	uint8_t status; /* last status it sent (enum bo_blob_status); INTERNAL when it went silent */
	uint8_t phase;  /* last phase it reported (enum bo_blob_phase) */
	uint8_t acked;  /* answered the current step */
	uint8_t needs;  /* misses chunks of the current block (unicast resends) */
	uint8_t sent;   /* the current round's unicast request went out */
	uint8_t heard;  /* pull: a report or status since the last check */
	uint8_t probes; /* pull: checks it was found silent in a row (Block Gets sent) */
	uint8_t ctl;    /* pull: control message due to it (0, BO_BLOB_CLI_CTL_*) */
	uint16_t sends; /* pull: chunk messages sent that it asked for, this block */
};

/* Pull mode: control messages the client owes one target. */
#define BO_BLOB_CLI_CTL_BLOCK_GET 1u
#define BO_BLOB_CLI_CTL_BLOCK_START 2u

enum bo_blob_cli_state {
	BO_BLOB_CLI_IDLE = 0,
	BO_BLOB_CLI_CAPS,        /* Information Get */
	BO_BLOB_CLI_START,       /* Transfer Start */
	BO_BLOB_CLI_BLOCK_START, /* Block Start */
	BO_BLOB_CLI_CHUNKS,      /* push: sending chunks (paced) */
	BO_BLOB_CLI_PULL,        /* pull: sending the chunks the targets ask for */
	BO_BLOB_CLI_BLOCK_GET,   /* Block Get */
	BO_BLOB_CLI_CONFIRM,     /* Transfer Get */
	BO_BLOB_CLI_CANCEL,      /* Transfer Cancel */
	BO_BLOB_CLI_SUSPENDED,
	BO_BLOB_CLI_DONE,
};

/* What to send and how. 0 fields take the defaults noted. */
struct bo_blob_cli_xfer {
	uint64_t id;
	uint32_t size;
	uint8_t mode;               /* BO_BLOB_MODE_PUSH (default) or BO_BLOB_MODE_PULL */
	uint8_t block_size_log;     /* preferred; default 12 */
	uint16_t chunk_size;        /* largest wanted; default BO_BLOB_CHUNK_DATA_MAX */
	uint16_t mtu;               /* our MTU in Transfer Start; default 380 */
	uint16_t group;             /* group address, or BO_MESH_ADDR_UNASSIGNED for unicast */
	uint16_t app_idx;
	uint8_t ttl;                /* default BO_MESH_TTL_DEFAULT; 0xff: 7 in the timeout */
	uint16_t timeout_base;
	uint32_t chunk_interval_us; /* default BO_BLOB_CLI_CHUNK_INTERVAL_US; unused when the
				     * port has send_done (paced by the bearer) */
};

struct bo_blob_cli;

struct bo_blob_cli_cb {
	void *ctx;
	/* The BLOB's bytes [off, off + len): 0 or negative. NULL: read cfg.source. */
	int (*read)(void *ctx, uint32_t off, uint8_t *buf, uint32_t len);
	/* A target was lost (t->status says why: its error, or INTERNAL when silent). */
	void (*lost)(void *ctx, struct bo_blob_cli *cli, const struct bo_blob_cli_target *t);
	/* Every target lost: SUSPENDED (bo_blob_cli_resume() continues). */
	void (*suspended)(void *ctx, struct bo_blob_cli *cli);
	/* Finished (DONE): success when at least one target has the whole BLOB and the
	 * transfer was not cancelled; per-target results in cli->targets. */
	void (*done)(void *ctx, struct bo_blob_cli *cli, bool success);
};

struct bo_blob_cli_config {
	const struct bo_mesh_port *mesh;
	uint32_t timer_base;
	struct bo_flash_area source; /* the BLOB at area offset 0 (unless cb.read) */
	struct bo_blob_cli_cb cb;
};

struct bo_blob_cli {
	struct bo_blob_cli_config cfg;
	struct bo_blob_cli_xfer x;
	struct bo_blob_cli_target targets[BO_BLOB_CLI_TARGETS_MAX];
	uint16_t ntargets;
	uint8_t state;      /* enum bo_blob_cli_state */
	uint8_t retries;
	uint8_t rounds;
	uint8_t passes;
	uint8_t cancelled;
	uint8_t restart;    /* a target answered Block Get suspended: Block Start again */
	uint8_t tx_running; /* pull: the pacing timer is armed */
	uint8_t grp_pending; /* the step's group request was refused: try again */
	uint8_t busy;       /* consecutive refused sends of the message due */
	uint8_t round_out;  /* the step's round of requests is out: the retry timer runs */
	/* negotiated */
	uint8_t block_size_log;
	uint16_t chunk_size;
	uint32_t block_count;
	/* aggregated capabilities */
	uint8_t cap_min_log, cap_max_log;
	uint16_t cap_max_chunks, cap_max_chunk, cap_mtu, cap_align;
	/* progress */
	uint16_t block;
	uint16_t chunk_count;
	uint32_t block_size;
	uint8_t needed[BO_BLOB_CLI_BLOCKS_MAX / 8]; /* blocks some target still misses */
	uint8_t missing[BO_BLOB_CLI_CHUNKS_MAX / 8]; /* chunks to send this round */
	/* pull: chunks each target asked for and has not been sent yet */
	uint8_t req[BO_BLOB_CLI_TARGETS_MAX][BO_BLOB_CLI_CHUNKS_MAX / 8];
	uint16_t tx_chunk;  /* pacing iterator: chunk, then target (unicast) */
	uint16_t tx_target;
	uint32_t blocks_sent; /* Block Start steps begun (statistics) */
	uint64_t gap_us;      /* a round's unicast requests: at least this far apart */
	uint64_t last_tx_us;  /* when the round's last unicast request went out (UINT64_MAX:
			       * none yet) */
	uint8_t txbuf[2 + BO_BLOB_CHUNK_DATA_MAX];
};

void bo_blob_cli_init(struct bo_blob_cli *cli, const struct bo_blob_cli_config *cfg);
/* Start a transfer. -1 when busy, or for no / too many targets, a zero size or too many
 * blocks. */
int bo_blob_cli_send(struct bo_blob_cli *cli, const struct bo_blob_cli_xfer *x,
		     const uint16_t *addrs, size_t n);
/* From SUSPENDED: lost targets become active again; Transfer Start, then the blocks they
 * still miss. -1 when not suspended. */
int bo_blob_cli_resume(struct bo_blob_cli *cli);
/* Cancel: Transfer Cancel to every target not lost, then done(success = false). -1 when
 * idle or done. */
int bo_blob_cli_cancel(struct bo_blob_cli *cli);
/* 1: a BLOB client message (a status), handled; 0: not ours. */
int bo_blob_cli_handle(struct bo_blob_cli *cli, const struct bo_mesh_rx *rx, uint32_t opcode,
		       const uint8_t *payload, size_t len);
/* 1: our timer; 0: not ours. */
int bo_blob_cli_timer(struct bo_blob_cli *cli, uint32_t timer_id);

static inline enum bo_blob_cli_state bo_blob_cli_state(const struct bo_blob_cli *cli)
{
	return (enum bo_blob_cli_state)cli->state;
}

#endif
