/*
 * core/boot/trailer.h: MCUboot slot trailer primitives (facts, no policy).
 *
 * The trailer sits at the end of every image slot. For a slot of Z bytes and
 * BOOT_MAX_ALIGN A (8 by default, a power of two >= the flash write unit):
 *
 *   Z - ALIGN_UP(16, A)   magic block: erase-value padding, then the 16 magic bytes at Z - 16
 *   Z - ALIGN_UP(16, A) - A      image_ok   (= ALIGN_DOWN(Z - 16 - A, A) for A-aligned Z)
 *   image_ok - A                 copy_done
 *   copy_done - A                swap_info  (bits 0-3 swap type, bits 4-7 image index)
 *   swap_info - A                swap_size  (u32 little-endian)
 *   below swap_size              free for the caller: encryption keys, status area
 *
 * Each field is written once into erased flash as one write-unit-sized (or A-sized)
 * block: the value, then erase-value padding. Flags read 0x01 = SET, erase value = UNSET,
 * anything else (a torn or foreign write) = BAD.
 *
 * Everything here is a pure function of its arguments, except bo_trailer_read_state(),
 * which reads a slot through the flash port. No state, no allocation.
 * See docs/reference/image-format.md.
 */
#ifndef BO_BOOT_TRAILER_H
#define BO_BOOT_TRAILER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/port/flash.h"

#define BO_TRAILER_MAGIC_SZ 16u
#define BO_TRAILER_DEFAULT_MAX_ALIGN 8u
#define BO_TRAILER_FLAG_SET 0x01u

/* MCUboot swap types (the values MCUboot stores in swap_info and returns). */
enum bo_swap_type {
	BO_SWAP_NONE = 1,
	BO_SWAP_TEST = 2,
	BO_SWAP_PERM = 3,
	BO_SWAP_REVERT = 4,
	BO_SWAP_FAIL = 5,
	BO_SWAP_PANIC = 0xff,
};

/* Decoded magic: GOOD (exact magic for the slot's A), UNSET (all 16 bytes erased),
 * BAD (anything else: a torn write, a different A, garbage). */
enum bo_magic_state {
	BO_MAGIC_GOOD = 1,
	BO_MAGIC_UNSET = 2,
	BO_MAGIC_BAD = 3,
};

/* Decoded one-byte flag (image_ok, copy_done). */
enum bo_flag_state {
	BO_FLAG_SET = 1,
	BO_FLAG_UNSET = 2,
	BO_FLAG_BAD = 3,
};

/* Offsets inside the slot (area-relative), for slot size Z and BOOT_MAX_ALIGN A. */
struct bo_trailer_layout {
	uint32_t slot_size;        /* Z */
	uint32_t max_align;        /* A */
	uint32_t magic_off;        /* Z - 16: the 16 magic bytes */
	uint32_t magic_block_off;  /* Z - ALIGN_UP(16, A): where the padded magic block goes */
	uint32_t magic_block_size; /* ALIGN_UP(16, A) */
	uint32_t image_ok_off;
	uint32_t copy_done_off;
	uint32_t swap_info_off;
	uint32_t swap_size_off;
	/* swap_size_off: the first byte of the fixed trailer. [0, fixed_start) is the rest of
	 * the slot; a bootloader places its encryption keys / status area just below this. */
	uint32_t fixed_start;
};

/*
 * Compute the layout. A must be a power of two in [8, 1024]; Z must be a multiple of A
 * and large enough to hold the fixed trailer. Returns 0, or -1 on bad arguments (out is
 * then zeroed).
 */
int bo_trailer_layout(uint32_t slot_size, uint32_t max_align, struct bo_trailer_layout *out);

/*
 * The 16 magic bytes for A: for A = 8 the classic constant
 * 77 c2 95 f3 60 d2 ef 7f 35 52 50 0f 2c b6 79 80; otherwise A as little-endian u16 then
 * 2d e1 5d 29 41 0b 8d 77 67 9c 11 0f 1f 8a.
 */
void bo_trailer_magic(uint32_t max_align, uint8_t magic[BO_TRAILER_MAGIC_SZ]);

/*
 * The block to program at layout.magic_block_off: ALIGN_UP(16, A) bytes, erase-value
 * padding then the magic. Returns the block size, or 0 if buf_len is too small or A is
 * invalid.
 */
size_t bo_trailer_build_magic(uint8_t *buf, size_t buf_len, uint32_t max_align,
			      uint8_t erase_value);

/* Decode the 16 bytes read at layout.magic_off. */
enum bo_magic_state bo_trailer_decode_magic(const uint8_t magic[BO_TRAILER_MAGIC_SZ],
					    uint32_t max_align, uint8_t erase_value);

/* Decode a flag byte: 0x01 SET, erase value UNSET, anything else BAD. */
enum bo_flag_state bo_trailer_decode_flag(uint8_t raw, uint8_t erase_value);

/*
 * A flag write: 0x01 then erase-value padding up to unit bytes (pass the flash write unit,
 * as MCUboot does, or A, as imgtool does). Returns unit, or 0 if unit is 0 or > buf_len.
 */
size_t bo_trailer_encode_flag(uint8_t *buf, size_t buf_len, uint32_t unit, uint8_t erase_value);

/* swap_info byte for a swap type and image index: (image_index << 4) | (type & 0x0f). */
uint8_t bo_trailer_swap_info_byte(uint8_t swap_type, uint8_t image_index);

/* A swap_info write: the byte then erase-value padding to unit. Returns unit or 0. */
size_t bo_trailer_encode_swap_info(uint8_t *buf, size_t buf_len, uint32_t unit,
				   uint8_t erase_value, uint8_t swap_type, uint8_t image_index);

/* A swap_size write: u32 little-endian then erase-value padding to ALIGN_UP(4, unit).
 * Returns the size written into buf, or 0 if it does not fit. */
size_t bo_trailer_encode_swap_size(uint8_t *buf, size_t buf_len, uint32_t unit,
				   uint8_t erase_value, uint32_t swap_size);

/* Decoded swap_info, as MCUboot reads it: an erased byte, or a swap type above REVERT
 * (including 0, which is no type), reads as NONE with image index 0 and set = false. */
struct bo_swap_info {
	uint8_t swap_type;   /* enum bo_swap_type */
	uint8_t image_index; /* 0..15 */
	bool set;            /* the raw byte held a usable value */
	uint8_t raw;
};

void bo_trailer_decode_swap_info(uint8_t raw, uint8_t erase_value, struct bo_swap_info *out);

/* The swap-relevant state of one slot's trailer. */
struct bo_swap_state {
	enum bo_magic_state magic;
	enum bo_flag_state image_ok;
	enum bo_flag_state copy_done;
	struct bo_swap_info swap_info;
	uint32_t swap_size;  /* raw little-endian value (0xffffffff when erased with 0xff) */
	bool swap_size_set;  /* the 4 swap_size bytes are not all erased */
};

/*
 * Read and decode a slot's trailer through the flash port (A = max_align). Returns 0, -1
 * on a bad layout (slot too small, A invalid), -2 on a flash read error.
 */
int bo_trailer_read_state(const struct bo_flash_area *slot, uint32_t max_align,
			  struct bo_swap_state *out);

/*
 * MCUboot's swap decision table (boot_swap_type_multi, without swap-offset), as a pure
 * function of both slots' states. First matching row wins:
 *   1. secondary magic GOOD, secondary image_ok UNSET                  -> TEST
 *   2. secondary magic GOOD, secondary image_ok SET                    -> PERM
 *   3. primary magic GOOD, primary image_ok UNSET, primary copy_done SET -> REVERT
 *   4. anything else                                                   -> NONE
 * A BAD flag matches no SET/UNSET cell: e.g. secondary magic GOOD with a torn image_ok
 * (BAD) gives NONE, exactly as in MCUboot; likewise a BAD primary magic never reverts.
 * Returns BO_SWAP_NONE, BO_SWAP_TEST, BO_SWAP_PERM or BO_SWAP_REVERT.
 */
enum bo_swap_type bo_trailer_swap_decision(const struct bo_swap_state *primary,
					   const struct bo_swap_state *secondary);

/* Short lower-case names for logs and dumps ("good", "unset", "bad", "test", ...). */
const char *bo_magic_state_str(enum bo_magic_state s);
const char *bo_flag_state_str(enum bo_flag_state s);
const char *bo_swap_type_str(uint8_t swap_type);

#endif
