/*
 * core/dfu/blob_store.h: power-safe persistence of small model state records
 * (bo_dfu_persist), and the CRC-32 it uses.
 *
 * A persist area is a flash area of at least two sectors; the first two are used (A at area
 * offset 0, B right after it). Each sector is a log of fixed-size slots; a slot holds one
 * record:
 *
 *   magic "BOPR" (4, LE 0x52504f42), sequence number (4), payload length (2), tag (2),
 *   payload, CRC-32 (IEEE, reflected, as zlib) over everything before it (4),
 *   padding with the erase value up to the slot size (a multiple of the write unit)
 *
 * A write programs the slot after the last non-blank slot of the sector holding the newest
 * record (one program operation). When that sector is full, the other sector is erased and
 * the record goes to its first slot; the full sector is left alone until the next switch, so
 * the previous record survives a cut anywhere in the erase or the program. Reading scans
 * both sectors and returns the valid record with the highest sequence number: a torn write
 * (bad magic, bad CRC) or a torn erase is skipped, and the previous record is used.
 *
 * All state lives in struct bo_dfu_persist (caller-owned); a fresh struct (after a power
 * cut) re-scans the flash on first use.
 */
#ifndef BO_DFU_BLOB_STORE_H
#define BO_DFU_BLOB_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "core/port/flash.h"

/* Largest payload of one record, and largest slot (header + payload + CRC, rounded up to the
 * write unit). The slot is assembled on the stack: keep this small. */
#ifndef BO_DFU_PERSIST_PAYLOAD_MAX
#define BO_DFU_PERSIST_PAYLOAD_MAX 160u /* firmware default; host builds raise it (meson.build) */
#endif
#define BO_DFU_PERSIST_HDR_LEN 12u
#define BO_DFU_PERSIST_SLOT_MAX (BO_DFU_PERSIST_PAYLOAD_MAX + 64u)
#define BO_DFU_PERSIST_MAGIC 0x52504f42u /* "BOPR" */

enum bo_dfu_persist_err {
	BO_DFU_PERSIST_OK = 0,
	BO_DFU_PERSIST_E_NONE = -1,  /* no valid record */
	BO_DFU_PERSIST_E_ARG = -2,   /* bad area geometry or payload length */
	BO_DFU_PERSIST_E_FLASH = -3, /* a flash operation failed */
};

struct bo_dfu_persist {
	struct bo_flash_area area;
	uint32_t sec_off[2];  /* area offsets of sector A and B */
	uint32_t sec_size[2];
	uint32_t slot_size;   /* bytes per slot, multiple of the write unit */
	uint32_t payload_max; /* largest payload for this slot size */
	/* Scan result (valid when scanned != 0). */
	uint8_t scanned;
	uint8_t have;         /* a valid record exists */
	uint8_t cur;          /* sector of the newest record (or the one to write first) */
	uint32_t next_slot;   /* first slot after the last non-blank one in cur */
	uint32_t seq;         /* sequence number of the newest record */
	uint32_t newest_off;  /* area offset of the newest valid record */
	uint16_t newest_len;
	uint16_t newest_tag;
};

/* Table-free CRC-32 (IEEE 802.3, reflected, init and final xor 0xFFFFFFFF). Chain calls by
 * passing the previous result as crc (start with 0). */
uint32_t bo_crc32(uint32_t crc, const void *data, size_t len);

/*
 * Set up p on area for records of at most payload_max bytes (<= BO_DFU_PERSIST_PAYLOAD_MAX).
 * Reads nothing. BO_DFU_PERSIST_E_ARG when the area has fewer than two sectors or a sector
 * cannot hold one slot.
 */
int bo_dfu_persist_init(struct bo_dfu_persist *p, const struct bo_flash_area *area,
			uint32_t payload_max);
/* Read the newest valid record: its payload length (copied into buf, at most cap bytes) and
 * tag, or BO_DFU_PERSIST_E_NONE. */
int bo_dfu_persist_load(struct bo_dfu_persist *p, void *buf, size_t cap, uint16_t *tag);
/* Append a record (see above). 0 or a negative bo_dfu_persist_err. */
int bo_dfu_persist_write(struct bo_dfu_persist *p, uint16_t tag, const void *payload,
			 size_t len);

#endif
