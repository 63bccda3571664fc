/*
 * An upgrade operation as a numbered list of steps, each "erase a destination range, copy
 * a source range into it". A step's source is never modified before the step's log entry
 * is written, so any step can be repeated after a power cut: that is what makes every
 * strategy resumable.
 *
 *   swap-scratch, per chunk c (chunks end at sector boundaries common to both slots):
 *       3c+1: upgrade[c] -> scratch   3c+2: primary[c] -> upgrade[c]   3c+3: scratch -> primary[c]
 *   swap-move, n sectors of size z:
 *       1..n: primary[i] -> primary[i+1] for i = n-1 down to 0 (shift up by one sector)
 *       then per sector i: upgrade[i] -> primary[i], primary[i+1] -> upgrade[i]
 *   overwrite (and recovery), per primary sector: upgrade[s] -> primary[s]
 *
 * With a status partition, images share the slots' last sectors with the trailers: an
 * operation then also covers the last chunk (or sector) when the image does not reach it,
 * and copies only the bytes below the trailer. So every operation leaves the trailers of
 * the slots it wrote erased: the primary's (the old image's flags go with it) and, in a
 * swap, the upgrade's (the request is consumed by the swap itself).
 */
#include "core/boot/boot_internal.h"

/* Chunk number index of a scratch swap: its start and length. */
static int scratch_chunk(const struct bo_boot *b, uint32_t index, uint32_t *off, uint32_t *len)
{
	uint32_t start = 0, next = 0;
	for (uint32_t i = 0; i <= index; i++) {
		start = next;
		if (bo_next_common_boundary(b, start, &next))
			return -1;
	}
	*off = start;
	*len = next - start;
	return 0;
}

static uint32_t scratch_chunks(const struct bo_boot *b, uint32_t swap_size)
{
	uint32_t n = 0, off = 0, next;
	while (off < swap_size && bo_next_common_boundary(b, off, &next) == 0) {
		off = next;
		n++;
	}
	return n;
}

static uint32_t move_sector_size(const struct bo_boot *b)
{
	uint32_t start, size;
	return bo_area_sector(&b->cfg->primary, 0, &start, &size) ? 0 : size;
}

static uint32_t primary_sectors_covering(const struct bo_boot *b, uint32_t swap_size)
{
	uint32_t n = 0, off = 0, start, size;
	while (off < swap_size && bo_area_sector(&b->cfg->primary, off, &start, &size) == 0) {
		off = start + size;
		n++;
	}
	return n;
}

/* Units (scratch chunks, or primary sectors for overwrite) under swap_size and, with a
 * status partition, the slot's last one too (*last: its index among all units). */
static uint32_t op_units(struct bo_boot *b, uint32_t swap_size, uint32_t *last)
{
	bool scratch = b->cfg->strategy == BO_STRATEGY_SWAP_SCRATCH ||
		       b->cfg->strategy == BO_STRATEGY_SWAP_SCRATCH_RECOVERY;
	uint32_t n = scratch ? scratch_chunks(b, swap_size) : primary_sectors_covering(b, swap_size);
	*last = n ? n - 1 : 0;
	if (!b->full_slots)
		return n;
	uint32_t all = scratch ? scratch_chunks(b, b->cfg->primary.size)
			       : primary_sectors_covering(b, b->cfg->primary.size);
	*last = all - 1;
	return n < all ? n + 1 : n;
}

/* Unit index i of an operation of n units: the i-th, except that the extra last one of a
 * status-partition operation is the slot's last unit. */
static uint32_t unit_of(uint32_t i, uint32_t n, uint32_t last)
{
	return i + 1 == n ? last : i;
}

uint32_t bo_op_steps(struct bo_boot *b, uint32_t swap_size)
{
	uint32_t last = 0;
	switch (b->cfg->strategy) {
	case BO_STRATEGY_SWAP_SCRATCH:
	case BO_STRATEGY_SWAP_SCRATCH_RECOVERY:
		return 3 * op_units(b, swap_size, &last);
	case BO_STRATEGY_SWAP_MOVE: {
		uint32_t z = move_sector_size(b);
		return z ? 3 * ((swap_size + z - 1) / z) : 0;
	}
	default:
		return op_units(b, swap_size, &last);
	}
}

/* Bytes of a unit at slot offset off worth copying: all of it, except with a status
 * partition where the trailer (from data_limit on) is left erased. */
static uint32_t copy_len(const struct bo_boot *b, uint32_t off, uint32_t len)
{
	if (!b->full_slots)
		return len;
	if (off >= b->data_limit)
		return 0;
	return b->data_limit - off < len ? b->data_limit - off : len;
}

int bo_op_step(struct bo_boot *b, uint32_t swap_size, uint32_t k, struct bo_step *out)
{
	const struct bo_boot_cfg *cfg = b->cfg;
	uint32_t total = bo_op_steps(b, swap_size);
	if (k == 0 || k > total)
		return -1;
	uint32_t j = k - 1, last = 0;
	switch (cfg->strategy) {
	case BO_STRATEGY_SWAP_SCRATCH:
	case BO_STRATEGY_SWAP_SCRATCH_RECOVERY: {
		uint32_t off, len, n = op_units(b, swap_size, &last);
		if (scratch_chunk(b, unit_of(j / 3, n, last), &off, &len))
			return -1;
		uint32_t copy = copy_len(b, off, len);
		if (j % 3 == 0)
			*out = (struct bo_step){&cfg->upgrade, off, &cfg->scratch, 0, len, copy};
		else if (j % 3 == 1)
			*out = (struct bo_step){&cfg->primary, off, &cfg->upgrade, off, len, copy};
		else
			*out = (struct bo_step){&cfg->scratch, 0, &cfg->primary, off, len, copy};
		return 0;
	}
	case BO_STRATEGY_SWAP_MOVE: {
		uint32_t z = move_sector_size(b), n = total / 3;
		if (j < n) {
			uint32_t i = n - 1 - j;
			*out = (struct bo_step){&cfg->primary, i * z, &cfg->primary, (i + 1) * z, z, z};
		} else {
			uint32_t i = (j - n) / 2;
			if ((j - n) % 2 == 0)
				*out = (struct bo_step){&cfg->upgrade, i * z, &cfg->primary, i * z, z, z};
			else
				*out = (struct bo_step){&cfg->primary, (i + 1) * z, &cfg->upgrade, i * z,
							z, z};
		}
		return 0;
	}
	default: {
		uint32_t off = 0, start = 0, size = 0;
		uint32_t n = op_units(b, swap_size, &last), unit = unit_of(j, n, last);
		for (uint32_t i = 0; i <= unit; i++) {
			if (bo_area_sector(&cfg->primary, off, &start, &size))
				return -1;
			off = start + size;
		}
		*out = (struct bo_step){&cfg->upgrade, start, &cfg->primary, start, size,
					copy_len(b, start, size)};
		return 0;
	}
	}
}

/* Erase the sectors of area that cover [off, off + len). */
static int erase_range(const struct bo_flash_area *a, uint32_t off, uint32_t len)
{
	uint32_t start, size;
	while (len) {
		if (bo_area_sector(a, off, &start, &size) || bo_area_erase(a, start, size))
			return BO_BOOT_E_FLASH;
		uint32_t done = start + size - off;
		if (done >= len)
			break;
		off += done;
		len -= done;
	}
	return BO_BOOT_OK;
}

static bool all_erased(const uint8_t *p, uint32_t n, uint8_t ev)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != ev)
			return false;
	return true;
}

int bo_step_run(struct bo_boot *b, const struct bo_step *s)
{
	if (erase_range(s->dst, s->dst_off, s->len))
		return BO_BOOT_E_FLASH;
	uint8_t ev = s->dst->flash->erase_value;
	for (uint32_t done = 0; done < s->copy; done += BO_COPY_BUF) {
		uint32_t n = s->copy - done < BO_COPY_BUF ? s->copy - done : BO_COPY_BUF;
		if (bo_area_read(s->src, s->src_off + done, b->buf, n))
			return BO_BOOT_E_FLASH;
		/* Erased bytes are already in place: programming them would cost an operation
		 * and change nothing. */
		if (all_erased(b->buf, n, ev))
			continue;
		if (bo_area_program(s->dst, s->dst_off + done, b->buf, n))
			return BO_BOOT_E_FLASH;
	}
	return BO_BOOT_OK;
}
