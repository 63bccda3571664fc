/*
 * The boot decision: resume an interrupted operation, else act on a request in the
 * upgrade slot, else apply the trial rules; then verify and pick the image to run.
 * The decision table is documented in core/boot/README.md.
 */
#include <string.h>

#include "core/boot/boot_internal.h"

/* With a status partition a swap's last chunk erases the upgrade's trailer: the swap
 * itself consumes the request (steps.c). */
static bool swap_takes_request(const struct bo_boot *b)
{
	return b->full_slots && bo_is_swap(b->cfg->strategy);
}

int bo_read_state(struct bo_boot *b, struct bo_flash_state *st)
{
	const struct bo_boot_cfg *cfg = b->cfg;
	uint32_t a = bo_align(cfg);
	memset(st, 0, sizeof *st);
	if (bo_log_read(b, &st->log) || bo_trailer_read_state(&b->state_primary, a, &st->primary) ||
	    bo_trailer_read_state(&b->state_upgrade, a, &st->upgrade))
		return BO_BOOT_E_FLASH;
	if (!b->full_slots)
		st->record = st->primary;
	else if (bo_trailer_read_state(&b->state_rec, a, &st->record))
		return BO_BOOT_E_FLASH;
	/* A damaged record (an entry destroyed, later ones standing) is no operation to carry
	 * on: resuming it would redo steps of a finished swap over the images it left. */
	st->started = st->log.count >= 1 && !st->log.damaged;
	if (!st->started)
		return BO_BOOT_OK;
	/* Type and size were written before entry 0; if they read as unusable anyway, take
	 * the safe reading: a test (revertable) operation over the whole slot. */
	const struct bo_swap_info *si = &st->record.swap_info;
	st->type = si->set && (si->swap_type == BO_SWAP_PERM || si->swap_type == BO_SWAP_REVERT)
			   ? si->swap_type
			   : BO_SWAP_TEST;
	st->swap_size = st->record.swap_size_set && st->record.swap_size <= b->data_limit
				? st->record.swap_size
				: b->data_limit;
	st->steps = bo_op_steps(b, st->swap_size);
	/* A status partition keeps a revert in the test upgrade's record: after its steps,
	 * end and trial boot (and the mark of a fall to recovery when the image on trial did
	 * not verify), the revert mark starts the same swap back. */
	if (b->full_slots && st->type == BO_SWAP_TEST && bo_is_swap(cfg->strategy) &&
	    st->log.revert_at != BO_LOG_NONE && st->log.revert_at >= st->steps + 3) {
		st->base = st->log.revert_at;
		st->type = BO_SWAP_REVERT;
	}
	uint32_t count = st->log.count - st->base;
	st->complete = count >= st->steps + 2;
	st->attempts_used = st->complete ? count - (st->steps + 2) : 0;
	/* The request stays in the upgrade slot until every step is done, so an unfinished
	 * record without a request can only be closing (all steps done). Anything else is not
	 * this device's operation (stray or foreign bytes, or a record damaged since):
	 * no operation at all. With a status partition a swap consumes the request with its
	 * last chunk's second step (steps - 1), so from there on it runs without one; and a
	 * revert never had one (its mark is its own). */
	uint32_t from = swap_takes_request(b) ? st->steps - 1 : st->steps + 1;
	if (!st->complete && st->upgrade.magic != BO_MAGIC_GOOD && st->base == 0 && count < from)
		st->started = false;
	return BO_BOOT_OK;
}

static uint8_t attempts_cfg(const struct bo_boot_cfg *cfg)
{
	return cfg->attempts ? cfg->attempts : 3;
}

uint32_t bo_trial_limit(const struct bo_boot_cfg *cfg, const struct bo_flash_state *st)
{
	if (!st->started || !st->complete || st->primary.image_ok == BO_FLAG_SET)
		return 0;
	switch (cfg->strategy) {
	case BO_STRATEGY_SWAP_SCRATCH:
	case BO_STRATEGY_SWAP_MOVE:
		return st->type == BO_SWAP_TEST ? 1 : 0; /* one trial, then revert */
	case BO_STRATEGY_SWAP_SCRATCH_RECOVERY:
		return st->type == BO_SWAP_TEST     ? 1
		       : st->type == BO_SWAP_REVERT ? attempts_cfg(cfg)
						    : 0;
	case BO_STRATEGY_RECOVERY:
		return st->type == BO_SWAP_TEST ? attempts_cfg(cfg) : 0;
	default:
		return 0; /* overwrite: no revert, no trial */
	}
}

/* Run the remaining steps of the started operation, then close it. */
static int run_op(struct bo_boot *b, const struct bo_flash_state *st)
{
	const struct bo_boot_cfg *cfg = b->cfg;
	struct bo_step step;
	struct bo_log log = st->log;
	for (uint32_t k = log.count - st->base; k <= st->steps; k++) {
		if (bo_op_step(b, st->swap_size, k, &step) || bo_step_run(b, &step) ||
		    bo_log_append(b, &log, BO_LOG_PLAIN))
			return BO_BOOT_E_FLASH;
	}
	/* The request is consumed before the end entry: a cut between the two finishes the
	 * close again, and an end entry with a request present always means a new request.
	 * (A swap with a status partition consumed it already: its last chunk left the
	 * upgrade's trailer erased, and its last sector now holds the other image.) */
	if (!swap_takes_request(b) && bo_meta_erase(&cfg->upgrade, b->meta_upgrade))
		return BO_BOOT_E_FLASH;
	if (log.count - st->base <= st->steps + 1 && bo_log_append(b, &log, BO_LOG_PLAIN))
		return BO_BOOT_E_FLASH;
	return BO_BOOT_OK;
}

/*
 * Start an operation. The record (the primary's meta sector or the status partition) must
 * be erased first, and an erase cut
 * short can leave anything there, even most of the previous operation's record. So the
 * request's own meta sector (which stays put until the operation ends) brackets the
 * erase: "intent" (its swap_size field) before it, "started" (its copy_done field) once
 * the new record is complete. Intent without started means: redo the start. Both fields
 * count as written when any bit is programmed, so a torn write errs to the safe side.
 */
static int start_op(struct bo_boot *b, const struct bo_flash_state *st, uint8_t type,
		    uint32_t swap_size)
{
	const struct bo_boot_cfg *cfg = b->cfg;
	struct bo_log fresh = {0, 0, BO_LOG_NONE, false};
	if (!st->upgrade.swap_size_set &&
	    bo_field_write_swap_size(b, &cfg->upgrade, &b->tl_upgrade, 0))
		return BO_BOOT_E_FLASH;
	if (bo_record_erase(b) || bo_field_write_swap_size(b, b->rec, &b->tl_rec, swap_size) ||
	    bo_field_write_swap_info(b, b->rec, &b->tl_rec, type) ||
	    bo_log_append(b, &fresh, BO_LOG_PLAIN) ||
	    bo_field_write_flag(b, &cfg->upgrade, b->tl_upgrade.copy_done_off))
		return BO_BOOT_E_FLASH;
	return BO_BOOT_OK;
}

static void refuse(struct bo_boot_result *res, enum bo_image_err why, enum bo_boot_slot slot,
		   bool upgrade)
{
	res->refused = why;
	res->refused_slot = slot;
	res->refused_upgrade = upgrade;
}

/* Erase a refused upgrade (its header sector and its meta sector) so it is not retried. */
static int discard_upgrade(struct bo_boot *b)
{
	const struct bo_boot_cfg *cfg = b->cfg;
	uint32_t start, size;
	if (bo_area_sector(&cfg->upgrade, 0, &start, &size) || bo_area_erase(&cfg->upgrade, 0, size) ||
	    bo_meta_erase(&cfg->upgrade, b->meta_upgrade))
		return BO_BOOT_E_FLASH;
	return BO_BOOT_OK;
}

/* The upgrade slot asks for an operation: validate it and carry it out. */
static int handle_request(struct bo_boot *b, const struct bo_flash_state *st,
			  struct bo_boot_result *res)
{
	const struct bo_boot_cfg *cfg = b->cfg;
	const struct bo_swap_state *up = &st->upgrade;
	uint8_t type;
	if (up->swap_info.set && up->swap_info.swap_type == BO_SWAP_REVERT)
		type = BO_SWAP_REVERT;
	else
		/* MCUboot reads a torn image_ok as no request at all; a test upgrade is the safe
		 * reading that does not drop the user's request. */
		type = up->image_ok == BO_FLAG_SET ? BO_SWAP_PERM : BO_SWAP_TEST;
	if (type == BO_SWAP_REVERT && !bo_is_swap(cfg->strategy))
		type = BO_SWAP_PERM;

	struct bo_image_info new_img, cur_img;
	enum bo_image_err err = bo_image_verify(&cfg->upgrade, b->data_limit, cfg->crypto, cfg->keys,
						&new_img);
	if (err == BO_IMG_OK && type != BO_SWAP_REVERT && !cfg->allow_downgrade &&
	    bo_image_verify(&cfg->primary, b->data_limit, cfg->crypto, cfg->keys, &cur_img) ==
		    BO_IMG_OK)
		err = bo_image_check_downgrade(&new_img.hdr.version, &cur_img.hdr.version);
	if (err != BO_IMG_OK) {
		refuse(res, err, BO_SLOT_PRIMARY, true);
		res->action = BO_ACT_DISCARDED;
		return discard_upgrade(b);
	}

	/* A swap moves whichever of the two images is longer. */
	uint32_t swap_size = new_img.total_size;
	if (bo_is_swap(cfg->strategy) &&
	    bo_image_parse(&cfg->primary, b->data_limit, &cur_img) == BO_IMG_OK &&
	    cur_img.total_size > swap_size)
		swap_size = cur_img.total_size;
	if (start_op(b, st, type, swap_size))
		return BO_BOOT_E_FLASH;
	struct bo_flash_state now;
	if (bo_read_state(b, &now) || run_op(b, &now))
		return BO_BOOT_E_FLASH;
	res->action = type == BO_SWAP_REVERT ? BO_ACT_REVERTED : BO_ACT_INSTALLED;
	return BO_BOOT_OK;
}

/* Erase the upgrade's meta sector and write the request again: image_ok (a permanent
 * request) then the magic, as bo_app_request_upgrade() does. */
static int rewrite_request(struct bo_boot *b, const struct bo_flash_state *st)
{
	const struct bo_boot_cfg *cfg = b->cfg;
	if (bo_meta_erase(&cfg->upgrade, b->meta_upgrade) ||
	    (st->upgrade.image_ok == BO_FLAG_SET &&
	     bo_field_write_flag(b, &cfg->upgrade, b->tl_upgrade.image_ok_off)) ||
	    bo_field_write_magic(b, &cfg->upgrade, &b->tl_upgrade))
		return BO_BOOT_E_FLASH;
	return BO_BOOT_OK;
}

/* Ask for the image in the upgrade slot (the previous one) to be swapped back: a REVERT
 * request in the upgrade's meta sector; with a status partition, where that sector holds
 * the image, a revert mark after the test upgrade's record, then the swap back. */
static int request_revert(struct bo_boot *b, struct bo_flash_state *st)
{
	if (b->full_slots) {
		struct bo_flash_state now;
		if (bo_log_append(b, &st->log, BO_LOG_REVERT) || bo_read_state(b, &now) ||
		    now.type != BO_SWAP_REVERT)
			return BO_BOOT_E_FLASH;
		return run_op(b, &now);
	}
	const struct bo_boot_cfg *cfg = b->cfg;
	if (bo_meta_erase(&cfg->upgrade, b->meta_upgrade) ||
	    bo_field_write_swap_info(b, &cfg->upgrade, &b->tl_upgrade, BO_SWAP_REVERT) ||
	    bo_field_write_magic(b, &cfg->upgrade, &b->tl_upgrade))
		return BO_BOOT_E_FLASH;
	return BO_BOOT_OK;
}

static bool boot_image(struct bo_boot *b, const struct bo_flash_area *slot, uint32_t limit,
		       enum bo_boot_slot which, struct bo_boot_result *res)
{
	enum bo_image_err err = bo_image_verify(slot, limit, b->cfg->crypto, b->cfg->keys,
						&res->image);
	if (err != BO_IMG_OK) {
		refuse(res, err, which, false);
		return false;
	}
	res->slot = which;
	return true;
}

int bo_boot_check_config(struct bo_boot *b, const struct bo_boot_cfg *cfg, const char **why)
{
	return bo_meta_layout(b, cfg, why);
}

static int finish(struct bo_boot_result *res, int err)
{
	res->error = err;
	if (err)
		res->slot = BO_SLOT_NONE;
	return err;
}

int bo_boot(struct bo_boot *b, const struct bo_boot_cfg *cfg, struct bo_boot_result *res)
{
	memset(res, 0, sizeof *res);
	if (bo_meta_layout(b, cfg, &res->config_error))
		return finish(res, BO_BOOT_E_CONFIG);

	struct bo_flash_state st;
	bool use_recovery = false;
	/* At most: resume, then a request (or a revert), then the trial rules. */
	for (int round = 0; round < 4; round++) {
		if (bo_read_state(b, &st))
			goto flash_error;
		bool request = st.upgrade.magic == BO_MAGIC_GOOD;
		bool op_started = st.upgrade.copy_done != BO_FLAG_UNSET; /* see start_op() */
		if (st.started && !st.complete && (!request || op_started)) {
			/* Resume: mid-operation, or closing it (the request already consumed). */
			if (run_op(b, &st))
				goto flash_error;
			res->action = BO_ACT_RESUMED;
			continue;
		}
		if (request && op_started && st.complete) {
			/* Ended but the request survived (a torn erase of it): consume it. */
			if (bo_meta_erase(&cfg->upgrade, b->meta_upgrade))
				goto flash_error;
			continue;
		}
		if (request && op_started && !st.started) {
			/* copy_done is set but no operation started: the flags came with the
			 * download (bytes that reached the trailer), not from start_op. Rewrite
			 * the request cleanly; a cut in between at worst drops the request. */
			if (rewrite_request(b, &st))
				goto flash_error;
			continue;
		}
		if (request) {
			/* A new request, or a start that was cut short: (re)validate and start. */
			if (handle_request(b, &st, res))
				goto flash_error;
			continue;
		}
		uint32_t limit = bo_trial_limit(cfg, &st);
		if (limit == 0)
			break;
		if (st.attempts_used < limit && st.log.next < b->log_capacity) {
			if (bo_log_append(b, &st.log, BO_LOG_PLAIN))
				goto flash_error;
			res->trial = true;
			res->attempts_left = (uint8_t)(limit - st.attempts_used - 1);
			break;
		}
		/* Trial boots used up without a confirm. */
		if (st.type == BO_SWAP_TEST && bo_is_swap(cfg->strategy)) {
			struct bo_image_info prev;
			enum bo_image_err err = bo_image_verify(&cfg->upgrade, b->data_limit,
								cfg->crypto, cfg->keys, &prev);
			if (err == BO_IMG_OK) {
				if (request_revert(b, &st))
					goto flash_error;
				if (b->full_slots)
					res->action = BO_ACT_REVERTED;
				continue;
			}
			refuse(res, err, BO_SLOT_PRIMARY, true); /* nothing to revert to */
		}
		use_recovery = bo_has_recovery(cfg->strategy);
		/* Mark the fall to recovery once (one entry past the trial boots), so that flash
		 * tells the last trial boot of the primary from a recovery boot: the recovery
		 * image's confirm must not confirm the failed primary. */
		if (use_recovery && st.attempts_used == limit && st.log.next < b->log_capacity &&
		    bo_log_append(b, &st.log, BO_LOG_PLAIN))
			goto flash_error;
		break;
	}

	if (!use_recovery && boot_image(b, &cfg->primary, b->data_limit, BO_SLOT_PRIMARY, res))
		return finish(res, BO_BOOT_OK);
	if (bo_has_recovery(cfg->strategy)) {
		/* The primary does not boot while it is on trial (it does not verify: a revert to
		 * an empty or damaged slot, say): mark the fall to recovery as when the trials
		 * run out, so that the recovery image's confirm cannot confirm the primary. */
		uint32_t limit = bo_trial_limit(cfg, &st);
		while (limit && st.attempts_used <= limit && st.log.next < b->log_capacity) {
			if (bo_log_append(b, &st.log, BO_LOG_PLAIN))
				goto flash_error;
			st.attempts_used++;
		}
	}
	if (bo_has_recovery(cfg->strategy) &&
	    boot_image(b, &cfg->recovery, cfg->recovery.size, BO_SLOT_RECOVERY, res)) {
		res->trial = false;
		res->attempts_left = 0;
		return finish(res, BO_BOOT_OK);
	}
	/* The recovery image does not verify: the unconfirmed primary, if it verifies, beats
	 * booting nothing (its confirm stays refused: the trials ran out). */
	if (use_recovery && boot_image(b, &cfg->primary, b->data_limit, BO_SLOT_PRIMARY, res))
		return finish(res, BO_BOOT_OK);
	res->slot = BO_SLOT_NONE;
	return finish(res, BO_BOOT_OK);

flash_error:
	/* A flash operation failed (a sector that will not erase, a write that does not
	 * verify): the operation cannot go on this boot, but whatever still verifies may run,
	 * primary first, then recovery; never an image that does not verify. res->error says
	 * what happened either way. */
	res->trial = false;
	res->attempts_left = 0;
	if (boot_image(b, &cfg->primary, b->data_limit, BO_SLOT_PRIMARY, res) ||
	    (bo_has_recovery(cfg->strategy) &&
	     boot_image(b, &cfg->recovery, cfg->recovery.size, BO_SLOT_RECOVERY, res))) {
		res->error = BO_BOOT_E_FLASH;
		return BO_BOOT_E_FLASH;
	}
	return finish(res, BO_BOOT_E_FLASH);
}

const char *bo_strategy_name(enum bo_strategy s)
{
	switch (s) {
	case BO_STRATEGY_OVERWRITE:
		return "overwrite";
	case BO_STRATEGY_SWAP_SCRATCH:
		return "swap-scratch";
	case BO_STRATEGY_SWAP_MOVE:
		return "swap-move";
	case BO_STRATEGY_RECOVERY:
		return "recovery";
	case BO_STRATEGY_SWAP_SCRATCH_RECOVERY:
		return "swap-scratch+recovery";
	}
	return "unknown";
}

const char *bo_boot_action_name(enum bo_boot_action a)
{
	switch (a) {
	case BO_ACT_NONE:
		return "none";
	case BO_ACT_INSTALLED:
		return "installed";
	case BO_ACT_REVERTED:
		return "reverted";
	case BO_ACT_RESUMED:
		return "resumed";
	case BO_ACT_DISCARDED:
		return "discarded";
	}
	return "unknown";
}
