/*
 * core/boot/trailer.c: MCUboot slot trailer primitives. Firmware code: no state, no heap,
 * all flash I/O through core/port/flash.h.
 */
#include "core/boot/trailer.h"

#include <string.h>

/* The magic for BOOT_MAX_ALIGN = 8, and the 14-byte tail used for every other A. */
static const uint8_t magic_a8[BO_TRAILER_MAGIC_SZ] = {
	0x77, 0xc2, 0x95, 0xf3, 0x60, 0xd2, 0xef, 0x7f,
	0x35, 0x52, 0x50, 0x0f, 0x2c, 0xb6, 0x79, 0x80,
};
static const uint8_t magic_tail[BO_TRAILER_MAGIC_SZ - 2] = {
	0x2d, 0xe1, 0x5d, 0x29, 0x41, 0x0b, 0x8d,
	0x77, 0x67, 0x9c, 0x11, 0x0f, 0x1f, 0x8a,
};

static bool align_ok(uint32_t a)
{
	return a >= 8u && a <= 1024u && (a & (a - 1u)) == 0u;
}

static uint32_t align_up(uint32_t v, uint32_t a)
{
	return (v + a - 1u) & ~(a - 1u);
}

int bo_trailer_layout(uint32_t slot_size, uint32_t max_align, struct bo_trailer_layout *out)
{
	memset(out, 0, sizeof *out);
	if (!align_ok(max_align) || slot_size % max_align != 0u)
		return -1;
	uint32_t block = align_up(BO_TRAILER_MAGIC_SZ, max_align);
	/* block + image_ok + copy_done + swap_info + swap_size */
	if (slot_size < block + 4u * max_align)
		return -1;
	out->slot_size = slot_size;
	out->max_align = max_align;
	out->magic_off = slot_size - BO_TRAILER_MAGIC_SZ;
	out->magic_block_size = block;
	out->magic_block_off = slot_size - block;
	/* == ALIGN_DOWN(Z - 16 - A, A) since Z is a multiple of A */
	out->image_ok_off = out->magic_block_off - max_align;
	out->copy_done_off = out->image_ok_off - max_align;
	out->swap_info_off = out->copy_done_off - max_align;
	out->swap_size_off = out->swap_info_off - max_align;
	out->fixed_start = out->swap_size_off;
	return 0;
}

void bo_trailer_magic(uint32_t max_align, uint8_t magic[BO_TRAILER_MAGIC_SZ])
{
	if (max_align == BO_TRAILER_DEFAULT_MAX_ALIGN) {
		memcpy(magic, magic_a8, BO_TRAILER_MAGIC_SZ);
		return;
	}
	magic[0] = (uint8_t)(max_align & 0xffu);
	magic[1] = (uint8_t)((max_align >> 8) & 0xffu);
	memcpy(magic + 2, magic_tail, sizeof magic_tail);
}

size_t bo_trailer_build_magic(uint8_t *buf, size_t buf_len, uint32_t max_align,
			      uint8_t erase_value)
{
	if (!align_ok(max_align))
		return 0;
	uint32_t block = align_up(BO_TRAILER_MAGIC_SZ, max_align);
	if (buf_len < block)
		return 0;
	memset(buf, erase_value, block - BO_TRAILER_MAGIC_SZ);
	bo_trailer_magic(max_align, buf + (block - BO_TRAILER_MAGIC_SZ));
	return block;
}

enum bo_magic_state bo_trailer_decode_magic(const uint8_t magic[BO_TRAILER_MAGIC_SZ],
					    uint32_t max_align, uint8_t erase_value)
{
	uint8_t want[BO_TRAILER_MAGIC_SZ];
	bool erased = true;

	for (size_t i = 0; i < BO_TRAILER_MAGIC_SZ; i++)
		if (magic[i] != erase_value)
			erased = false;
	if (erased)
		return BO_MAGIC_UNSET;
	bo_trailer_magic(max_align, want);
	return memcmp(magic, want, BO_TRAILER_MAGIC_SZ) == 0 ? BO_MAGIC_GOOD : BO_MAGIC_BAD;
}

enum bo_flag_state bo_trailer_decode_flag(uint8_t raw, uint8_t erase_value)
{
	if (raw == erase_value)
		return BO_FLAG_UNSET;
	return raw == BO_TRAILER_FLAG_SET ? BO_FLAG_SET : BO_FLAG_BAD;
}

static size_t encode_padded(uint8_t *buf, size_t buf_len, uint32_t unit, uint8_t erase_value,
			    const uint8_t *val, size_t val_len)
{
	if (unit == 0u)
		return 0;
	size_t total = ((val_len + unit - 1u) / unit) * unit;
	if (total > buf_len)
		return 0;
	memset(buf, erase_value, total);
	memcpy(buf, val, val_len);
	return total;
}

size_t bo_trailer_encode_flag(uint8_t *buf, size_t buf_len, uint32_t unit, uint8_t erase_value)
{
	uint8_t v = BO_TRAILER_FLAG_SET;
	return encode_padded(buf, buf_len, unit, erase_value, &v, 1);
}

uint8_t bo_trailer_swap_info_byte(uint8_t swap_type, uint8_t image_index)
{
	return (uint8_t)(((image_index & 0x0fu) << 4) | (swap_type & 0x0fu));
}

size_t bo_trailer_encode_swap_info(uint8_t *buf, size_t buf_len, uint32_t unit,
				   uint8_t erase_value, uint8_t swap_type, uint8_t image_index)
{
	uint8_t v = bo_trailer_swap_info_byte(swap_type, image_index);
	return encode_padded(buf, buf_len, unit, erase_value, &v, 1);
}

size_t bo_trailer_encode_swap_size(uint8_t *buf, size_t buf_len, uint32_t unit,
				   uint8_t erase_value, uint32_t swap_size)
{
	uint8_t v[4] = {
		(uint8_t)swap_size, (uint8_t)(swap_size >> 8),
		(uint8_t)(swap_size >> 16), (uint8_t)(swap_size >> 24),
	};
	return encode_padded(buf, buf_len, unit, erase_value, v, sizeof v);
}

void bo_trailer_decode_swap_info(uint8_t raw, uint8_t erase_value, struct bo_swap_info *out)
{
	uint8_t type = raw & 0x0fu;

	out->raw = raw;
	if (raw == erase_value || type == 0u || type > BO_SWAP_REVERT) {
		out->swap_type = BO_SWAP_NONE;
		out->image_index = 0;
		out->set = false;
		return;
	}
	out->swap_type = type;
	out->image_index = (uint8_t)(raw >> 4);
	out->set = true;
}

/*
 * Are bytes 1 .. len-1 of the field at off written? A flag or swap_size is written once, as
 * a whole A-byte block, into erased flash: one whose first bytes read erased but whose
 * block holds anything else (stray or foreign bytes) cannot be written any more, so it
 * must not read as unset (programming it again would break the NOR rule). *rc: -2 after
 * a read error.
 */
static bool tail_written(const struct bo_flash_area *slot, uint32_t off, uint32_t len, int *rc)
{
	uint8_t buf[32];
	uint8_t ev = slot->flash->erase_value;
	for (uint32_t k = 1; k < len; k += sizeof buf) {
		uint32_t n = len - k < sizeof buf ? len - k : (uint32_t)sizeof buf;
		if (bo_area_read(slot, off + k, buf, n) != 0) {
			*rc = -2;
			return true;
		}
		for (uint32_t i = 0; i < n; i++)
			if (buf[i] != ev)
				return true;
	}
	return false;
}

int bo_trailer_read_state(const struct bo_flash_area *slot, uint32_t max_align,
			  struct bo_swap_state *out)
{
	int rc = 0;
	struct bo_trailer_layout l;
	uint8_t magic[BO_TRAILER_MAGIC_SZ];
	uint8_t b[4];
	uint8_t ev = slot->flash->erase_value;

	memset(out, 0, sizeof *out);
	out->magic = BO_MAGIC_BAD;
	out->image_ok = BO_FLAG_BAD;
	out->copy_done = BO_FLAG_BAD;
	out->swap_info.swap_type = BO_SWAP_NONE;
	if (bo_trailer_layout(slot->size, max_align, &l) != 0)
		return -1;
	if (bo_area_read(slot, l.magic_off, magic, sizeof magic) != 0)
		return -2;
	out->magic = bo_trailer_decode_magic(magic, max_align, ev);
	if (bo_area_read(slot, l.image_ok_off, b, 1) != 0)
		return -2;
	out->image_ok = bo_trailer_decode_flag(b[0], ev);
	if (out->image_ok == BO_FLAG_UNSET && tail_written(slot, l.image_ok_off, max_align, &rc))
		out->image_ok = BO_FLAG_BAD;
	if (bo_area_read(slot, l.copy_done_off, b, 1) != 0)
		return -2;
	out->copy_done = bo_trailer_decode_flag(b[0], ev);
	if (out->copy_done == BO_FLAG_UNSET && tail_written(slot, l.copy_done_off, max_align, &rc))
		out->copy_done = BO_FLAG_BAD;
	if (bo_area_read(slot, l.swap_info_off, b, 1) != 0)
		return -2;
	bo_trailer_decode_swap_info(b[0], ev, &out->swap_info);
	if (bo_area_read(slot, l.swap_size_off, b, 4) != 0)
		return -2;
	out->swap_size = (uint32_t)b[0] | ((uint32_t)b[1] << 8) | ((uint32_t)b[2] << 16) |
			 ((uint32_t)b[3] << 24);
	out->swap_size_set = !(b[0] == ev && b[1] == ev && b[2] == ev && b[3] == ev) ||
			     tail_written(slot, l.swap_size_off + 3, max_align - 3, &rc);
	return rc;
}

enum bo_swap_type bo_trailer_swap_decision(const struct bo_swap_state *primary,
					   const struct bo_swap_state *secondary)
{
	if (secondary->magic == BO_MAGIC_GOOD && secondary->image_ok == BO_FLAG_UNSET)
		return BO_SWAP_TEST;
	if (secondary->magic == BO_MAGIC_GOOD && secondary->image_ok == BO_FLAG_SET)
		return BO_SWAP_PERM;
	if (primary->magic == BO_MAGIC_GOOD && primary->image_ok == BO_FLAG_UNSET &&
	    primary->copy_done == BO_FLAG_SET)
		return BO_SWAP_REVERT;
	return BO_SWAP_NONE;
}

const char *bo_magic_state_str(enum bo_magic_state s)
{
	switch (s) {
	case BO_MAGIC_GOOD:
		return "good";
	case BO_MAGIC_UNSET:
		return "unset";
	case BO_MAGIC_BAD:
		return "bad";
	}
	return "?";
}

const char *bo_flag_state_str(enum bo_flag_state s)
{
	switch (s) {
	case BO_FLAG_SET:
		return "set";
	case BO_FLAG_UNSET:
		return "unset";
	case BO_FLAG_BAD:
		return "bad";
	}
	return "?";
}

const char *bo_swap_type_str(uint8_t swap_type)
{
	switch (swap_type) {
	case BO_SWAP_NONE:
		return "none";
	case BO_SWAP_TEST:
		return "test";
	case BO_SWAP_PERM:
		return "perm";
	case BO_SWAP_REVERT:
		return "revert";
	case BO_SWAP_FAIL:
		return "fail";
	case BO_SWAP_PANIC:
		return "panic";
	default:
		return "?";
	}
}
