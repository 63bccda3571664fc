/*
 * The progress record and the slot trailers. Without a status partition, the last sector
 * of the primary and of the upgrade slot (the meta sector) holds the MCUboot trailer fields
 * at its end and, in the primary, the progress log below them; images never extend into
 * it, so swaps never move it: progress survives every step. With a status partition, the
 * record (swap_size, swap_info, log) lives there, images run up to the trailer, and every
 * operation rewrites the slots' last sectors without their trailers (steps.c).
 */
#include <string.h>

#include "core/boot/boot_internal.h"

static uint32_t last_sector_start(const struct bo_flash_area *a)
{
	uint32_t start, size;
	if (a->size == 0 || bo_area_sector(a, a->size - 1, &start, &size) != 0)
		return 0;
	return start;
}

int bo_next_common_boundary(const struct bo_boot *b, uint32_t off, uint32_t *next)
{
	const struct bo_flash_area *p = &b->cfg->primary, *s = &b->cfg->upgrade;
	uint32_t ps, pz, ss, sz;
	if (bo_area_sector(p, off, &ps, &pz) || bo_area_sector(s, off, &ss, &sz))
		return -1;
	uint32_t pe = ps + pz, se = ss + sz;
	while (pe != se) {
		if (pe < se) {
			if (bo_area_sector(p, pe, &ps, &pz))
				return -1;
			pe = ps + pz;
		} else {
			if (bo_area_sector(s, se, &ss, &sz))
				return -1;
			se = ss + sz;
		}
	}
	*next = pe;
	return 0;
}

/* Chunks of a scratch swap: between common boundaries, each must fit the scratch. */
static int scratch_limit(struct bo_boot *b, uint32_t meta_min, const char **why)
{
	uint32_t off = 0, next;
	b->data_limit = 0;
	while (off < meta_min && bo_next_common_boundary(b, off, &next) == 0 && next <= meta_min) {
		if (next - off > b->cfg->scratch.size) {
			*why = "a swap chunk (sectors common to both slots) is larger than the scratch "
			       "partition";
			return BO_BOOT_E_CONFIG;
		}
		off = next;
		b->data_limit = off;
	}
	if (b->data_limit == 0) {
		*why = "the slots share no sector boundary below their last sectors: a scratch swap "
		       "has no chunk it can move";
		return BO_BOOT_E_CONFIG;
	}
	return BO_BOOT_OK;
}

/* Swap-move needs equal sectors everywhere in both slots and one spare primary sector. */
static int move_limit(struct bo_boot *b, uint32_t meta_min, const char **why)
{
	uint32_t start, sz, s2, z2;
	if (bo_area_sector(&b->cfg->primary, 0, &start, &sz)) {
		*why = "primary slot has no sectors";
		return BO_BOOT_E_CONFIG;
	}
	for (uint32_t off = 0; off < b->cfg->primary.size; off += sz) {
		if (bo_area_sector(&b->cfg->primary, off, &s2, &z2) || z2 != sz ||
		    off >= b->cfg->upgrade.size || bo_area_sector(&b->cfg->upgrade, off, &s2, &z2) ||
		    z2 != sz || s2 != off) {
			*why = "swap-move needs both slots made of equal sectors";
			return BO_BOOT_E_CONFIG;
		}
	}
	if (meta_min < 2 * sz) {
		*why = "slots too small for swap-move";
		return BO_BOOT_E_CONFIG;
	}
	b->data_limit = meta_min - sz; /* one primary sector stays free for the move */
	return BO_BOOT_OK;
}

/* With a status partition, a scratch swap moves every chunk up to the end of both slots
 * (the last one with the trailers, which it does not copy), so the slots must end at the
 * same boundary and every chunk must fit the scratch. */
static int full_scratch_limit(struct bo_boot *b, uint32_t trailer_min, const char **why)
{
	uint32_t off = 0, next;
	if (b->cfg->primary.size != b->cfg->upgrade.size) {
		*why = "with a status partition, swap-scratch needs primary and upgrade slots of "
		       "the same size (their last chunks hold the trailers)";
		return BO_BOOT_E_CONFIG;
	}
	while (off < b->cfg->primary.size) {
		if (bo_next_common_boundary(b, off, &next)) {
			*why = "the slots share no sector boundary: a scratch swap has no chunk it "
			       "can move";
			return BO_BOOT_E_CONFIG;
		}
		if (next - off > b->cfg->scratch.size) {
			*why = "a swap chunk (sectors common to both slots) is larger than the scratch "
			       "partition";
			return BO_BOOT_E_CONFIG;
		}
		off = next;
	}
	b->data_limit = trailer_min;
	return BO_BOOT_OK;
}

/* Overwrite copies whole primary sectors: the limit is a primary sector boundary. */
static void overwrite_limit(struct bo_boot *b, uint32_t meta_min)
{
	uint32_t off = 0, start, size;
	b->data_limit = 0;
	while (off < meta_min && bo_area_sector(&b->cfg->primary, off, &start, &size) == 0 &&
	       start + size <= meta_min) {
		off = start + size;
		b->data_limit = off;
	}
}

/* ---- Stable reads ---------------------------------------------------------------------- */

static const struct bo_flash *inner_of(void *dev)
{
	return ((const struct bo_stable_flash *)dev)->inner;
}

static int stable_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	const struct bo_flash *f = inner_of(dev);
	uint8_t *out = buf, tmp[32];
	uint8_t programmed = (uint8_t)~f->erase_value;
	if (f->read(f->dev, off, buf, len))
		return -1;
	for (int r = 1; r < BO_STABLE_READS; r++) {
		for (uint32_t k = 0; k < len; k += sizeof tmp) {
			uint32_t n = len - k < sizeof tmp ? len - k : (uint32_t)sizeof tmp;
			if (f->read(f->dev, off + k, tmp, n))
				return -1;
			/* A byte whose reads disagree has weak cells: report it as fully
			 * programmed, which every decoder takes as "written, not valid". */
			for (uint32_t i = 0; i < n; i++)
				if (out[k + i] != tmp[i])
					out[k + i] = programmed;
		}
	}
	return 0;
}

static int stable_program(void *dev, uint32_t off, const void *buf, uint32_t len)
{
	const struct bo_flash *f = inner_of(dev);
	return f->program(f->dev, off, buf, len);
}

static int stable_erase(void *dev, uint32_t off, uint32_t len)
{
	const struct bo_flash *f = inner_of(dev);
	return f->erase(f->dev, off, len);
}

static int stable_sector(void *dev, uint32_t off, uint32_t *start, uint32_t *size)
{
	const struct bo_flash *f = inner_of(dev);
	return f->sector(f->dev, off, start, size);
}

static void stable_area(struct bo_stable_flash *s, const struct bo_flash_area *a,
			struct bo_flash_area *out)
{
	s->inner = a->flash;
	s->flash = *a->flash;
	s->flash.dev = s;
	s->flash.read = stable_read;
	s->flash.program = stable_program;
	s->flash.erase = stable_erase;
	s->flash.sector = stable_sector;
	*out = (struct bo_flash_area){&s->flash, a->off, a->size};
}

/* Where the progress record goes: the status partition, or the primary's meta sector. */
static int record_area(struct bo_boot *b, const struct bo_boot_cfg *cfg, uint32_t a,
		       const char **why)
{
	b->full_slots = cfg->status.size != 0;
	if (!b->full_slots) {
		b->rec = &cfg->primary;
		b->state_rec = b->state_primary;
		b->rec_log = b->meta_primary;
		b->tl_rec = b->tl_primary;
	} else {
		if (!cfg->status.flash || bo_trailer_layout(cfg->status.size, a, &b->tl_rec)) {
			*why = "status partition too small for a record, or its size is not a "
			       "multiple of the alignment";
			return BO_BOOT_E_CONFIG;
		}
		b->rec = &cfg->status;
		stable_area(&b->stable_status, &cfg->status, &b->state_rec);
		b->rec_log = 0;
	}
	b->log_capacity = (b->tl_rec.fixed_start - b->rec_log) / bo_log_entry_size(cfg);
	return BO_BOOT_OK;
}

int bo_meta_layout(struct bo_boot *b, const struct bo_boot_cfg *cfg, const char **why)
{
	b->cfg = cfg;
	*why = NULL;
	if (!cfg->primary.flash || !cfg->upgrade.flash || !cfg->crypto) {
		*why = "primary, upgrade and crypto are required";
		return BO_BOOT_E_CONFIG;
	}
	stable_area(&b->stable_primary, &cfg->primary, &b->state_primary);
	stable_area(&b->stable_upgrade, &cfg->upgrade, &b->state_upgrade);
	uint32_t wu = cfg->primary.flash->write_unit, a = bo_align(cfg);
	if (wu == 0 || BO_COPY_BUF % wu || a % wu || BO_COPY_BUF % a) {
		*why = "write unit does not divide the copy buffer";
		return BO_BOOT_E_CONFIG;
	}
	if (bo_trailer_layout(cfg->primary.size, a, &b->tl_primary) ||
	    bo_trailer_layout(cfg->upgrade.size, a, &b->tl_upgrade)) {
		*why = "slot too small for an MCUboot trailer, or size not a multiple of the alignment";
		return BO_BOOT_E_CONFIG;
	}
	b->meta_primary = last_sector_start(&cfg->primary);
	b->meta_upgrade = last_sector_start(&cfg->upgrade);
	if (b->tl_primary.fixed_start < b->meta_primary + a ||
	    b->tl_upgrade.fixed_start < b->meta_upgrade) {
		*why = "the trailer does not fit in the last sector of the slot";
		return BO_BOOT_E_CONFIG;
	}
	if (record_area(b, cfg, a, why))
		return BO_BOOT_E_CONFIG;

	uint32_t meta_min = b->meta_primary < b->meta_upgrade ? b->meta_primary : b->meta_upgrade;
	uint32_t trailer_min = b->tl_primary.fixed_start < b->tl_upgrade.fixed_start
				       ? b->tl_primary.fixed_start
				       : b->tl_upgrade.fixed_start;
	int rc;
	switch (cfg->strategy) {
	case BO_STRATEGY_SWAP_SCRATCH:
	case BO_STRATEGY_SWAP_SCRATCH_RECOVERY:
		if (cfg->scratch.size == 0 || !cfg->scratch.flash) {
			*why = "swap-scratch needs a scratch partition";
			return BO_BOOT_E_CONFIG;
		}
		rc = b->full_slots ? full_scratch_limit(b, trailer_min, why)
				   : scratch_limit(b, meta_min, why);
		break;
	case BO_STRATEGY_SWAP_MOVE:
		if (b->full_slots) {
			*why = "swap-move keeps its trailer sector (it needs a spare sector anyway, "
			       "as MCUboot's swap-move does): remove the status partition";
			return BO_BOOT_E_CONFIG;
		}
		rc = move_limit(b, meta_min, why);
		break;
	case BO_STRATEGY_OVERWRITE:
	case BO_STRATEGY_RECOVERY:
		if (b->full_slots)
			b->data_limit = trailer_min;
		else
			overwrite_limit(b, meta_min);
		rc = BO_BOOT_OK;
		break;
	default:
		*why = "unknown strategy";
		return BO_BOOT_E_CONFIG;
	}
	if (rc)
		return rc;
	if (b->data_limit == 0) {
		*why = "no room for an image before the trailer sector";
		return BO_BOOT_E_CONFIG;
	}
	if (bo_has_recovery(cfg->strategy) && (cfg->recovery.size == 0 || !cfg->recovery.flash)) {
		*why = "this strategy needs a recovery partition";
		return BO_BOOT_E_CONFIG;
	}
	/* The log must hold a whole operation of the largest image, its start and end marks,
	 * the trial attempts and, with a recovery image, the mark of the fall to recovery
	 * (without it the recovery image's confirm would confirm the failed primary), plus
	 * spare units for entries torn by power cuts (each is written again further on). In a
	 * status partition a revert follows the test upgrade's record (its trial boot, the
	 * revert mark, the steps back, the end), so room for two operations. */
	uint32_t attempts = cfg->attempts ? cfg->attempts : 3;
	uint32_t marks = 2 + (bo_has_recovery(cfg->strategy) ? 1u : 0u) + BO_LOG_SPARE;
	uint32_t op = bo_op_steps(b, b->data_limit);
	uint32_t need = op + marks + attempts;
	if (b->full_slots)
		need += op + 2 + 1 + BO_LOG_SPARE;
	if (need > b->log_capacity) {
		*why = b->full_slots ? "the status partition is too small for the progress log of "
				       "a full-size upgrade and its revert"
				     : "the primary's last sector is too small for the progress log "
				       "of a full-size upgrade";
		return BO_BOOT_E_CONFIG;
	}
	/* Read no more of a large status partition than the log can ever use. */
	if (b->full_slots && b->log_capacity > 2 * need)
		b->log_capacity = 2 * need;
	return BO_BOOT_OK;
}

/* ---- Progress log ------------------------------------------------------------------ */

/*
 * Entries are self-validating: entry k is a fixed BO_LOG_ENTRY-byte pattern derived from k,
 * so stray, foreign or half-written bytes in the log area are never read as progress. The
 * log is read as the chain 0, 1, 2, ... of valid entries in unit order; a unit that holds
 * anything else is skipped, and a new entry goes to the first erased unit after the
 * chain's last entry, so junk never makes the bootloader program a unit that is not
 * erased, and junk further on (even in the log's last unit) never leaves it without room.
 *
 * A torn entry (a cut while it was written) is not a valid entry: its step is done again.
 * That is safe because a step's source is not modified before the step's entry is written,
 * and the entry is written again in the next unit. Each torn entry costs one unit, which
 * the configuration check reserves (BO_LOG_SPARE).
 */
/* A revert mark's pattern: that of an index no log ever reaches. */
#define BO_LOG_REVERT_SALT 0x40000000u

static uint8_t entry_byte(uint32_t k, uint32_t i, uint8_t erase_value)
{
	if (i == 0)
		return (uint8_t)(erase_value ^ 0x5A); /* never reads as erased */
	uint32_t h = (k + 1u) * 0x9E3779B1u ^ (i * 0x85EBCA6Bu);
	h ^= h >> 15;
	h *= 0x2C1B3C6Du;
	h ^= h >> 12;
	return (uint8_t)h;
}

uint32_t bo_log_entry_size(const struct bo_boot_cfg *cfg)
{
	return bo_align(cfg);
}

/* Does unit u hold a valid entry of an index past `count` (the next few)? A log never
 * writes entry k + 1 before entry k stands (a torn entry is written again first), so such
 * a unit means entry `count` was destroyed since: the record is damaged, not in progress. */
#define BO_LOG_LOOKAHEAD 8u
static bool later_entry(const uint8_t *u, uint32_t es, uint32_t count, uint8_t ev)
{
	if (u[0] != entry_byte(0, 0, ev)) /* every entry's first byte */
		return false;
	for (uint32_t k = count + 1; k <= count + BO_LOG_LOOKAHEAD; k++) {
		uint32_t i = 1;
		while (i < es && u[i] == entry_byte(k, i, ev))
			i++;
		if (i == es)
			return true;
	}
	return false;
}

int bo_log_read(struct bo_boot *b, struct bo_log *log)
{
	uint32_t es = bo_log_entry_size(b->cfg);
	uint8_t ev = b->rec->flash->erase_value;
	uint32_t total = b->log_capacity * es;
	log->count = 0;
	log->next = BO_LOG_NONE; /* the first erased unit after the chain's last entry */
	log->revert_at = BO_LOG_NONE;
	log->damaged = false;
	for (uint32_t off = 0; off < total; off += BO_COPY_BUF) {
		uint32_t n = total - off < BO_COPY_BUF ? total - off : BO_COPY_BUF;
		n -= n % es;
		if (bo_area_read(&b->state_rec, b->rec_log + off, b->buf, n))
			return BO_BOOT_E_FLASH;
		for (uint32_t e = 0; e < n; e += es) {
			bool erased = true, valid = true, revert = b->full_slots;
			for (uint32_t k = 0; k < es; k++) {
				erased &= b->buf[e + k] == ev;
				valid &= b->buf[e + k] == entry_byte(log->count, k, ev);
				revert &= b->buf[e + k] ==
					  entry_byte(log->count + BO_LOG_REVERT_SALT, k, ev);
			}
			if (erased && log->next == BO_LOG_NONE)
				log->next = (off + e) / es;
			if (revert && log->revert_at == BO_LOG_NONE)
				log->revert_at = log->count;
			if (valid || revert)
				log->count++;
			else if (!erased && !log->damaged)
				log->damaged = later_entry(b->buf + e, es, log->count, ev);
			if (valid || revert)
				log->next = BO_LOG_NONE; /* only units after this entry will do */
		}
	}
	if (log->next == BO_LOG_NONE)
		log->next = b->log_capacity; /* no erased unit left after the chain: full */
	return BO_BOOT_OK;
}

int bo_log_append(struct bo_boot *b, struct bo_log *log, enum bo_log_kind kind)
{
	uint32_t es = bo_log_entry_size(b->cfg);
	uint32_t k = log->count + (kind == BO_LOG_REVERT ? BO_LOG_REVERT_SALT : 0u);
	uint8_t ev = b->rec->flash->erase_value;
	/* the next erased unit: junk further on in the log is stepped over, never written */
	for (;; log->next++) {
		if (log->next >= b->log_capacity)
			return BO_BOOT_E_FLASH;
		if (bo_area_read(&b->state_rec, b->rec_log + log->next * es, b->buf, es))
			return BO_BOOT_E_FLASH;
		uint32_t i = 0;
		while (i < es && b->buf[i] == ev)
			i++;
		if (i == es)
			break;
	}
	for (uint32_t i = 0; i < es; i++)
		b->buf[i] = entry_byte(k, i, b->rec->flash->erase_value);
	if (bo_area_program(b->rec, b->rec_log + log->next * es, b->buf, es))
		return BO_BOOT_E_FLASH;
	if (kind == BO_LOG_REVERT && log->revert_at == BO_LOG_NONE)
		log->revert_at = log->count;
	log->next++;
	log->count++;
	return BO_BOOT_OK;
}

/* ---- Trailer fields ---------------------------------------------------------------- */

int bo_meta_erase(const struct bo_flash_area *slot, uint32_t meta_off)
{
	return bo_area_erase(slot, meta_off, slot->size - meta_off) ? BO_BOOT_E_FLASH : BO_BOOT_OK;
}

int bo_record_erase(struct bo_boot *b)
{
	if (!b->full_slots)
		return bo_meta_erase(b->rec, b->meta_primary);
	uint32_t start, size;
	for (uint32_t off = 0; off < b->rec->size; off = start + size)
		if (bo_area_sector(b->rec, off, &start, &size) || bo_area_erase(b->rec, start, size))
			return BO_BOOT_E_FLASH;
	return BO_BOOT_OK;
}

bool bo_meta_is_erased(struct bo_boot *b, const struct bo_flash_area *slot, uint32_t meta_off,
		       int *err)
{
	uint8_t ev = slot->flash->erase_value;
	*err = 0;
	for (uint32_t off = meta_off; off < slot->size; off += BO_COPY_BUF) {
		uint32_t n = slot->size - off < BO_COPY_BUF ? slot->size - off : BO_COPY_BUF;
		if (bo_area_read(slot, off, b->buf, n)) {
			*err = BO_BOOT_E_FLASH;
			return false;
		}
		for (uint32_t k = 0; k < n; k++)
			if (b->buf[k] != ev)
				return false;
	}
	return true;
}

static int program_buf(struct bo_boot *b, const struct bo_flash_area *slot, uint32_t off,
		       size_t n)
{
	if (n == 0)
		return BO_BOOT_E_FLASH;
	return bo_area_program(slot, off, b->buf, (uint32_t)n) ? BO_BOOT_E_FLASH : BO_BOOT_OK;
}

int bo_field_write_swap_info(struct bo_boot *b, const struct bo_flash_area *slot,
			     const struct bo_trailer_layout *tl, uint8_t type)
{
	size_t n = bo_trailer_encode_swap_info(b->buf, sizeof b->buf, slot->flash->write_unit,
					       slot->flash->erase_value, type, 0);
	return program_buf(b, slot, tl->swap_info_off, n);
}

int bo_field_write_swap_size(struct bo_boot *b, const struct bo_flash_area *slot,
			     const struct bo_trailer_layout *tl, uint32_t size)
{
	size_t n = bo_trailer_encode_swap_size(b->buf, sizeof b->buf, slot->flash->write_unit,
					       slot->flash->erase_value, size);
	return program_buf(b, slot, tl->swap_size_off, n);
}

int bo_field_write_flag(struct bo_boot *b, const struct bo_flash_area *slot, uint32_t off)
{
	size_t n = bo_trailer_encode_flag(b->buf, sizeof b->buf, slot->flash->write_unit,
					  slot->flash->erase_value);
	return program_buf(b, slot, off, n);
}

int bo_field_write_magic(struct bo_boot *b, const struct bo_flash_area *slot,
			 const struct bo_trailer_layout *tl)
{
	size_t n = bo_trailer_build_magic(b->buf, sizeof b->buf, tl->max_align,
					  slot->flash->erase_value);
	return program_buf(b, slot, tl->magic_block_off, n);
}
