/* core/boot internals shared by the bootloader's source files. */
#ifndef BO_BOOT_INTERNAL_H
#define BO_BOOT_INTERNAL_H

#include "core/boot/boot.h"

/* ---- meta.c: the slot meta sector (MCUboot trailer fields + progress log) ---------- */

/* The primary's progress log: which entries are written (see meta.c). */
struct bo_log {
	uint32_t count; /* entries 0 .. count-1 are written (valid, in unit order) */
	uint32_t next;  /* the unit the next entry goes to: the first erased one after the
			   chain's last entry (log_capacity: none left) */
	uint32_t revert_at; /* the entry written as a revert mark, or BO_LOG_NONE */
	bool damaged;       /* a later entry stands past the chain's end: entry `count` was
			       overwritten or destroyed since (a log never skips one) */
};

#define BO_LOG_NONE UINT32_MAX

/* What a log entry says. Every entry is a step, start or end mark by its index alone; a
 * revert mark (status partition only: the bootloader's own revert of an unconfirmed test
 * image starts right after the record of the test upgrade) has a pattern of its own. */
enum bo_log_kind {
	BO_LOG_PLAIN = 0,
	BO_LOG_REVERT,
};

/* Log units reserved for entries torn by power cuts (each torn one is written again). */
#define BO_LOG_SPARE 2u

int bo_meta_layout(struct bo_boot *b, const struct bo_boot_cfg *cfg, const char **why);
/* Bytes per log entry: the trailer alignment (>= 8 and a multiple of the write unit), so
 * an entry carries enough pattern that stray bytes never pass for one. */
uint32_t bo_log_entry_size(const struct bo_boot_cfg *cfg);
int bo_log_read(struct bo_boot *b, struct bo_log *log);
/* Write entry log->count at unit log->next and advance both. */
int bo_log_append(struct bo_boot *b, struct bo_log *log, enum bo_log_kind kind);
/* Erase the meta sector of a slot (primary or upgrade). */
int bo_meta_erase(const struct bo_flash_area *slot, uint32_t meta_off);
/* Erase the progress record: the primary's meta sector, or the whole status partition. */
int bo_record_erase(struct bo_boot *b);
int bo_field_write_swap_info(struct bo_boot *b, const struct bo_flash_area *slot,
			     const struct bo_trailer_layout *tl, uint8_t type);
int bo_field_write_swap_size(struct bo_boot *b, const struct bo_flash_area *slot,
			     const struct bo_trailer_layout *tl, uint32_t size);
int bo_field_write_flag(struct bo_boot *b, const struct bo_flash_area *slot, uint32_t off);
int bo_field_write_magic(struct bo_boot *b, const struct bo_flash_area *slot,
			 const struct bo_trailer_layout *tl);
/* Pass a stable area (b->state_primary / b->state_upgrade): weak cells count as written. */
bool bo_meta_is_erased(struct bo_boot *b, const struct bo_flash_area *slot, uint32_t meta_off,
		       int *err);

/* ---- steps.c: an operation as a numbered list of steps ------------------------------- */

/* One step: erase the destination range, then copy the first `copy` bytes of the source
 * range into it (copy < len only for a slot's last sector when images share it with the
 * trailer: the trailer is never copied, so the step leaves the destination's erased). */
struct bo_step {
	const struct bo_flash_area *src;
	uint32_t src_off;
	const struct bo_flash_area *dst;
	uint32_t dst_off;
	uint32_t len;
	uint32_t copy;
};

/* Number of steps of an operation moving swap_size bytes with the configured strategy. */
uint32_t bo_op_steps(struct bo_boot *b, uint32_t swap_size);
/* Step k (1-based). Returns 0, or -1 if k is out of range. */
int bo_op_step(struct bo_boot *b, uint32_t swap_size, uint32_t k, struct bo_step *out);
int bo_step_run(struct bo_boot *b, const struct bo_step *s);

/* The first sector boundary after off that both slots share (the end of a swap chunk). */
int bo_next_common_boundary(const struct bo_boot *b, uint32_t off, uint32_t *next);

static inline bool bo_is_swap(enum bo_strategy s)
{
	return s == BO_STRATEGY_SWAP_SCRATCH || s == BO_STRATEGY_SWAP_MOVE ||
	       s == BO_STRATEGY_SWAP_SCRATCH_RECOVERY;
}

static inline bool bo_has_recovery(enum bo_strategy s)
{
	return s == BO_STRATEGY_RECOVERY || s == BO_STRATEGY_SWAP_SCRATCH_RECOVERY;
}

static inline uint32_t bo_align(const struct bo_boot_cfg *cfg)
{
	uint32_t a = cfg->max_align ? cfg->max_align : BO_TRAILER_DEFAULT_MAX_ALIGN;
	uint32_t wu = cfg->primary.flash->write_unit;
	return a < wu ? wu : a;
}

/* ---- boot.c: the state flash describes ------------------------------------------- */

/* Everything flash says, read once per decision. */
struct bo_flash_state {
	struct bo_log log;
	struct bo_swap_state primary;
	struct bo_swap_state upgrade;
	struct bo_swap_state record; /* swap_size and swap_info of the record (the primary's
					trailer, or the status partition's) */
	bool started;        /* log entry 0: an operation began (its type and size are set) */
	bool complete;       /* its end entry is written */
	uint8_t type;        /* BO_SWAP_TEST, _PERM or _REVERT */
	uint32_t base;       /* the log entry the current operation starts at (0, or the
				revert mark after a test upgrade's record) */
	uint32_t swap_size;
	uint32_t steps;
	uint32_t attempts_used;
};

int bo_read_state(struct bo_boot *b, struct bo_flash_state *st);
/* Trial boots the primary gets after a completed operation; 0: it is not on trial. */
uint32_t bo_trial_limit(const struct bo_boot_cfg *cfg, const struct bo_flash_state *st);

#endif
