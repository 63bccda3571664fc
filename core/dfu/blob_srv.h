/*
 * core/dfu/blob_srv.h: BLOB Transfer Server (MshMBT 1.0), event-driven, with power-safe
 * progress (beyond Zephyr's blob_srv.c, whose behaviour it follows otherwise).
 *
 * Use
 *   struct bo_blob_srv srv;                 // caller-owned, one per node
 *   struct bo_blob_srv_config cfg = {...};  // mesh port, storage + state areas, caps, cb
 *   bo_blob_srv_init(&srv, &cfg);
 *   bo_blob_srv_restore(&srv);              // at power-on: resume what flash says
 *   bo_blob_srv_prepare(&srv, id, ttl, timeout_base, NULL);  // expect a transfer (owner)
 *   bo_blob_srv_handle(&srv, &rx, opcode, payload, len);     // every access message
 *   bo_blob_srv_timer(&srv, timer_id);                        // every timer expiry
 *
 * Storage. The BLOB is written at area offset 0 of the storage area. Blocks are 2^k bytes.
 * When a block starts, every sector it overlaps is erased (unless already blank), except a
 * sector that holds a block already stored (completed-blocks bitmap, persisted): such a
 * sector was erased when the first of its blocks started, and is never erased under a stored
 * block. Before a chunk is programmed, its destination is read: erased -> programmed; equal
 * to the chunk -> kept as is (it was programmed before a power cut; never programmed twice);
 * anything else (a program torn by a power cut, in a sector shared with stored blocks) -> the
 * blocks of that sector are given up (marked not received, persisted first), the sector is
 * erased, and the current block's chunks are expected again. A chunk received twice in one
 * session is dropped by the missing bitmap.
 *
 * Chunk size: must be a multiple of the flash write unit (a Block Start with another chunk
 * size gets INVALID_CHUNK_SIZE), so every chunk starts on a write unit and no unit is
 * programmed twice. The max chunk size advertised in Information Status is rounded down to
 * the write unit. Only the last chunk of the BLOB may end inside a unit: it is padded with
 * the erase value.
 *
 * Power safety. After the transfer starts, after every completed block, and on complete and
 * cancel, the transfer state (BLOB ID, size, block size log, mode, MTU, client, TTL, timeout
 * base, storage area, blocks-not-received bitmap) is written to the state area (struct
 * bo_dfu_persist, blob_store.h). bo_blob_srv_restore() reads it back into a fresh struct: a
 * transfer that was running comes back SUSPENDED with its stored blocks marked received, so
 * the client's matching Transfer Start resumes it and its Transfer Status tells the client
 * which blocks are still missing. COMPLETE is declared only when every block was received
 * and programmed.
 *
 * Pull mode: the Block Status answering Block Start (and Block Get) lists the first
 * pull_req_count missing chunks; a Partial Block Report asks for the next ones as soon as
 * those have all arrived, and again every 10 s without one of them (BO_BLOB_REPORT_TIMEOUT_US;
 * chunks it did not ask for, sent to the group for other targets, are stored but do not
 * postpone the report); an empty report says the block is complete, and is repeated every
 * 10 s while the server waits for the next block (as Zephyr's server does: a client that
 * missed it would drop the target). The transfer becomes COMPLETE when the client
 * asks (Transfer Get) or at the receive timeout, as in Zephyr.
 *
 * Resume: a suspended server resumes on a matching Transfer Start, and (as in Zephyr) on a
 * Block Start; unlike Zephyr also on a Block Start of a block it already stored, so a client
 * that retries a step after the server timed out does not lose it.
 *
 * Limits (compile time): BO_BLOB_SRV_BLOCKS_MAX blocks per BLOB, BO_BLOB_SRV_CHUNKS_MAX
 * chunks per block, chunks of at most BO_BLOB_CHUNK_DATA_MAX bytes.
 */
#ifndef BO_DFU_BLOB_SRV_H
#define BO_DFU_BLOB_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dfu/blob_msg.h"
#include "core/dfu/blob_store.h"
#include "core/port/flash.h"
#include "core/port/mesh.h"

#define BO_BLOB_SRV_BLOCKS_MAX 512u
#define BO_BLOB_SRV_CHUNKS_MAX 256u
#define BO_BLOB_SRV_MTU_MAX 380u      /* 384-byte SDU minus the 4-byte MIC */
#define BO_BLOB_SRV_PULL_REQ_DEFAULT 4u

/* Timer ids: cfg.timer_base + these (unique on the node). */
#define BO_BLOB_SRV_TIMER_RX 0u     /* server receive timeout */
#define BO_BLOB_SRV_TIMER_REPORT 1u /* pull mode: Partial Block Report */
#define BO_BLOB_SRV_TIMERS 2u

/* What the server offers (Information Status). 0 fields take the defaults noted. */
struct bo_blob_srv_caps {
	uint8_t min_block_size_log; /* default 6 */
	uint8_t max_block_size_log; /* default 12 */
	uint16_t max_chunks;        /* default and cap BO_BLOB_SRV_CHUNKS_MAX */
	uint16_t max_chunk_size;    /* default and cap BO_BLOB_CHUNK_DATA_MAX; rounded down to
				       the write unit */
	uint16_t mtu;               /* default and cap BO_BLOB_SRV_MTU_MAX */
	uint8_t modes;              /* BO_BLOB_MODE_*; default PUSH | PULL */
	uint8_t pull_req_count;     /* chunks per Partial Block Report, default 4 */
};

struct bo_blob_srv;

/* Owner callbacks (any may be NULL). ctx is cb.ctx. */
struct bo_blob_srv_cb {
	void *ctx;
	/* A Transfer Start was accepted (fresh transfer). Non-zero refuses it (INTERNAL). */
	int (*start)(void *ctx, struct bo_blob_srv *srv, uint64_t id);
	/* Block `block` is received and stored (state persisted). */
	void (*block_done)(void *ctx, struct bo_blob_srv *srv, uint16_t block);
	/* Every block received and stored: phase COMPLETE. */
	void (*complete)(void *ctx, struct bo_blob_srv *srv, uint64_t id);
	/* Receive timeout mid-transfer: phase SUSPENDED. */
	void (*suspended)(void *ctx, struct bo_blob_srv *srv);
	/* A suspended transfer resumed (matching Transfer Start). */
	void (*resumed)(void *ctx, struct bo_blob_srv *srv);
	/* Cancelled (Transfer Cancel, owner cancel, timeout waiting for start, or an internal
	 * error): phase INACTIVE. */
	void (*cancelled)(void *ctx, struct bo_blob_srv *srv, uint64_t id);
	/* After a power cut, bo_blob_srv_restore() found a transfer into the storage area at
	 * device offset off, size size (as prepared). Fill *area (the owner's area for it) and
	 * return 0 to resume; non-zero abandons it. NULL: resume if cfg.storage matches. */
	int (*recover)(void *ctx, struct bo_blob_srv *srv, uint64_t id, uint32_t off,
		       uint32_t size, struct bo_flash_area *area);
};

struct bo_blob_srv_config {
	const struct bo_mesh_port *mesh;
	struct bo_flash_area storage; /* default BLOB storage; its size is the max BLOB size */
	uint32_t max_size;            /* 0, or a smaller max BLOB size in the default storage
					 (an image slot whose trailer shares its last sector:
					 blocks still erase whole sectors, the BLOB ends before) */
	struct bo_flash_area state;   /* persisted transfer state: >= 2 sectors */
	uint32_t timer_base;
	struct bo_blob_srv_caps caps;
	struct bo_blob_srv_cb cb;
};

/* Persisted part of the transfer. */
struct bo_blob_srv_xfer {
	uint64_t id;
	uint32_t size;
	uint8_t block_size_log;
	uint8_t mode;
	uint16_t mtu;       /* negotiated: min(client MTU, our MTU) */
	uint16_t timeout_base;
	uint8_t ttl;
	uint16_t app_idx;
	uint16_t cli;       /* client address; unassigned while waiting for start */
	uint8_t blocks[BO_BLOB_SRV_BLOCKS_MAX / 8]; /* blocks not received, LSB first */
};

struct bo_blob_srv {
	struct bo_blob_srv_config cfg;
	struct bo_flash_area area; /* storage of the current transfer */
	uint8_t phase;             /* enum bo_blob_phase */
	struct bo_blob_srv_xfer x;
	/* current block (RAM only) */
	uint16_t block;            /* 0xffff: none */
	uint16_t chunk_size;       /* 0xffff: none */
	uint16_t chunk_count;
	uint32_t block_size;
	uint8_t missing[BO_BLOB_SRV_CHUNKS_MAX / 8];
	uint8_t requested[BO_BLOB_SRV_CHUNKS_MAX / 8]; /* pull: asked for, not yet received */
	struct bo_dfu_persist persist;
	int persist_ok; /* bo_dfu_persist_init() result */
};

/* Set up a fresh server (phase INACTIVE). Copies cfg. */
void bo_blob_srv_init(struct bo_blob_srv *srv, const struct bo_blob_srv_config *cfg);
/*
 * Power-on: read the persisted state. Returns the phase it restored: INACTIVE (nothing, or
 * abandoned), WAITING_FOR_START, SUSPENDED (a transfer to resume) or COMPLETE.
 */
int bo_blob_srv_restore(struct bo_blob_srv *srv);
/*
 * Expect a transfer of BLOB id (Zephyr bt_mesh_blob_srv_recv): phase WAITING_FOR_START.
 * area NULL: cfg.storage. -1 when busy (WAITING_FOR_START, _BLOCK, _CHUNK).
 */
int bo_blob_srv_prepare(struct bo_blob_srv *srv, uint64_t id, uint8_t ttl,
			uint16_t timeout_base, const struct bo_flash_area *area);
/* Owner cancel: -1 when not busy (INACTIVE, SUSPENDED or COMPLETE). */
int bo_blob_srv_cancel(struct bo_blob_srv *srv);
/* Owner reset: back to INACTIVE from any phase, persisted, no callback. */
void bo_blob_srv_reset(struct bo_blob_srv *srv);

/* An access message for this node. 1: a BLOB server message (handled, even if malformed
 * and dropped); 0: not ours. */
int bo_blob_srv_handle(struct bo_blob_srv *srv, const struct bo_mesh_rx *rx, uint32_t opcode,
		       const uint8_t *payload, size_t len);
/* A timer expired. 1: ours; 0: not ours. */
int bo_blob_srv_timer(struct bo_blob_srv *srv, uint32_t timer_id);

static inline enum bo_blob_phase bo_blob_srv_phase(const struct bo_blob_srv *srv)
{
	return (enum bo_blob_phase)srv->phase;
}
/* Busy: WAITING_FOR_START, WAITING_FOR_BLOCK or WAITING_FOR_CHUNK. */
bool bo_blob_srv_is_busy(const struct bo_blob_srv *srv);
/* Percent of blocks received (0 while inactive or waiting for start). */
uint8_t bo_blob_srv_progress(const struct bo_blob_srv *srv);
/* The Information Status this server sends. */
void bo_blob_srv_info(const struct bo_blob_srv *srv, struct bo_blob_info_status *out);

#endif
