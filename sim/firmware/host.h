/*
 * sim/firmware/host.h: brownout's side of include/brownout/firmware.h for one simulated
 * device: the struct bro_device a firmware sees, over a flashsim device, with the
 * memoised host crypto, the trace log and the failure path.
 *
 * A power cut inside program/erase longjmps (flashsim's power-loss handler, installed by
 * the owner of the device); fail() and a caught abort() longjmp to fw_host.fail_jmp with
 * the reason in fw_host.fail_reason. The owner decides where those land.
 */
#ifndef SIM_FIRMWARE_HOST_H
#define SIM_FIRMWARE_HOST_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "brownout/firmware.h"
#include "core/port/mbedtls/crypto_mbedtls.h"
#include "flashsim/flashsim.h"

#define FW_HOST_MAX_PARTS 16
#define FW_HOST_MAX_REGIONS 16

/* Memo of ECDSA verifications: a pure function of (key, digest, signature). */
#define FW_VERIFY_MEMO 16
struct fw_verify_memo {
	uint8_t digest[32];
	uint64_t sig_hash; /* of the signature and the key */
	int result;
	bool used;
};

/* Memo of SHA-256 streams: the stream is kept and fingerprinted with a fast 128-bit hash;
 * only a fingerprint never seen before pays for the real SHA-256. */
#define FW_HASH_MEMO 16
struct fw_hash_memo {
	uint64_t fp[2];
	uint64_t len;
	uint8_t digest[32];
	bool used;
};

/*
 * Several flash devices (an internal flash and an external SPI NOR, say) are simulated as
 * ONE flashsim device whose address space lays them end to end: a power cut then stops
 * all of them at once (a cut inside an operation on one, the others keep their content),
 * and snapshots, hashes and operation numbers cover all. The map says where each device
 * lies; the firmware sees each as its own flash (struct bro_flash), offsets relative to it,
 * with its own write unit, erase value and program timing (the regions of each device
 * carry that device's values: flashsim region values).
 */
#define FW_MAX_FLASH 4
struct fw_flash_map {
	unsigned n;                 /* 0: the whole device is one flash called "flash" */
	struct {
		char name[16];
		uint32_t base, size;    /* where it lies in the combined device */
		uint32_t first_region, nregions; /* its sector regions in the combined geometry */
		uint32_t read_unit;     /* 0: the combined device's */
	} flash[FW_MAX_FLASH];
};

struct fw_host {
	struct bro_device dev;          /* what the firmware sees; dev.host = this */
	struct fsim_device *flash;      /* every flash device, end to end (see the map) */
	struct fw_flash_map map;        /* always filled: n >= 1 */
	struct bro_flash flash_info[FW_MAX_FLASH];
	struct bro_sector_region regions[FW_HOST_MAX_REGIONS];
	struct bro_partition parts[FW_HOST_MAX_PARTS];
	char part_names[FW_HOST_MAX_PARTS][16];

	struct bo_crypto_mbedtls crypto_state; /* the real thing behind the memo */
	struct bo_crypto crypto;
	struct fw_verify_memo verify_memo[FW_VERIFY_MEMO];
	unsigned verify_next;
	struct fw_hash_memo hash_memo[FW_HASH_MEMO];
	unsigned hash_next;
	uint8_t *stream;                /* the bytes of the SHA-256 stream in progress */
	size_t stream_len, stream_cap;
	uint64_t stream_fp[2];

	bool no_memo;                   /* compute every hash and verification (benchmarks'
					   naive baseline: MCUboot's simulator has no memo) */
	bool trace;                     /* print log() lines */
	jmp_buf *fail_jmp;              /* where fail() lands (value 2); NULL: abort brownout */
	char fail_reason[160];
};

/* Describe dev (geometry and partitions) to a firmware; map (NULL: one flash) says which
 * devices it lays end to end. -1 with err when it has more regions or partitions than fit. */
int fw_host_init(struct fw_host *h, struct fsim_device *dev, const struct fw_flash_map *map,
		 char *err, size_t errlen);
void fw_host_free(struct fw_host *h);

/* The partition index holding offset off of the combined device, or -1. */
int fw_host_part_at(const struct fw_host *h, uint32_t off);
/* Offset off of flash device `flash` in the combined device; UINT32_MAX when outside it. */
uint32_t fw_host_abs(const struct fw_host *h, unsigned flash, uint32_t off);
/* Where partition index part starts in the combined device. */
uint32_t fw_host_part_abs(const struct fw_host *h, int part);
/* The sector of flash holding off: 0, or -1 when off is outside the device. */
int fw_host_sector(const struct fw_host *h, uint32_t off, uint32_t *start, uint32_t *size);

/* Catch abort() (SIGABRT) in firmware code on this thread: while h is current, an abort
 * lands on h->fail_jmp like fail(). fw_host_enter/leave bracket firmware calls. */
void fw_host_enter(struct fw_host *h);
void fw_host_leave(void);

#endif
