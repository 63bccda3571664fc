/* The application-facing API: what the running firmware calls into core/boot for. */
#include "core/boot/boot_internal.h"

/*
 * With a status partition the upgrade's trailer shares its sector with the image, so a
 * request already there is completed in place rather than erased and written again: a test
 * request made permanent gets its image_ok (a torn one reads as a test request, the safe
 * reading); a request asked again is left as it is (a permanent one stays permanent, as
 * MCUboot's boot_set_pending leaves a pending request). 0 done, 1 not a clean request
 * (the caller starts over), negative on a flash error.
 */
static int request_in_place(struct bo_boot *b, const struct bo_boot_cfg *cfg, bool permanent)
{
	struct bo_swap_state up;
	if (bo_trailer_read_state(&b->state_upgrade, bo_align(cfg), &up))
		return BO_BOOT_E_FLASH;
	if (up.magic != BO_MAGIC_GOOD || up.copy_done != BO_FLAG_UNSET || up.swap_size_set ||
	    up.swap_info.raw != cfg->upgrade.flash->erase_value || up.image_ok == BO_FLAG_BAD)
		return 1;
	if (!permanent || up.image_ok == BO_FLAG_SET)
		return 0;
	return bo_field_write_flag(b, &cfg->upgrade, b->tl_upgrade.image_ok_off) ? BO_BOOT_E_FLASH
										 : 0;
}

int bo_app_request_upgrade(struct bo_boot *b, const struct bo_boot_cfg *cfg, bool permanent)
{
	const char *why;
	int err;
	if (bo_meta_layout(b, cfg, &why))
		return BO_BOOT_E_CONFIG;
	/* An image that reaches the slot's meta sector was downloaded over the trailer: it
	 * could have pre-set the bootloader's flags, and it could never boot. */
	struct bo_image_info info = {0};
	if (bo_image_parse(&cfg->upgrade, b->data_limit, &info) == BO_IMG_E_TOO_BIG)
		return BO_BOOT_E_IMAGE;
	/* A stale or half-written request must go first: flags are written once each. With a
	 * status partition only the trailer must be clean: the image may fill the rest of the
	 * sector, and when it does, erasing the sector takes the image's tail with it (the
	 * application downloads again, as after MCUboot erases a slot with a bad magic). */
	if (b->full_slots) {
		int rc = request_in_place(b, cfg, permanent);
		if (rc <= 0)
			return rc;
	}
	uint32_t clean_from = b->full_slots ? b->tl_upgrade.fixed_start : b->meta_upgrade;
	if (!bo_meta_is_erased(b, &b->state_upgrade, clean_from, &err)) {
		if (err || bo_meta_erase(&cfg->upgrade, b->meta_upgrade))
			return BO_BOOT_E_FLASH;
		if (b->full_slots && info.total_size > b->meta_upgrade)
			return BO_BOOT_E_IMAGE;
	}
	if (permanent && bo_field_write_flag(b, &cfg->upgrade, b->tl_upgrade.image_ok_off))
		return BO_BOOT_E_FLASH;
	/* The magic last: it is what makes the request exist. */
	return bo_field_write_magic(b, &cfg->upgrade, &b->tl_upgrade) ? BO_BOOT_E_FLASH : 0;
}

int bo_app_download_limit(struct bo_boot *b, const struct bo_boot_cfg *cfg, uint32_t *limit)
{
	const char *why;
	if (bo_meta_layout(b, cfg, &why))
		return BO_BOOT_E_CONFIG;
	*limit = b->data_limit;
	return 0;
}

/* Layout, then what flash says: the start of every query. */
static int load_state(struct bo_boot *b, const struct bo_boot_cfg *cfg, struct bo_flash_state *st)
{
	const char *why;
	if (bo_meta_layout(b, cfg, &why))
		return BO_BOOT_E_CONFIG;
	return bo_read_state(b, st) ? BO_BOOT_E_FLASH : 0;
}

int bo_app_confirm(struct bo_boot *b, const struct bo_boot_cfg *cfg)
{
	struct bo_flash_state st;
	int err = load_state(b, cfg, &st);
	if (err)
		return err;
	uint32_t limit = bo_trial_limit(cfg, &st);
	if (limit == 0)
		return 0; /* nothing on trial: already confirmed, or a strategy without trials */
	if (st.attempts_used > limit)
		return 1; /* the trials ran out and the recovery image runs: it cannot confirm the
			     primary it replaced */
	if (st.primary.image_ok == BO_FLAG_BAD)
		return 1; /* a torn earlier confirm: the unit cannot be written again */
	return bo_field_write_flag(b, &cfg->primary, b->tl_primary.image_ok_off) ? BO_BOOT_E_FLASH
										   : 0;
}

int bo_app_state(struct bo_boot *b, const struct bo_boot_cfg *cfg, struct bo_app_state *out)
{
	struct bo_flash_state st;
	int err = load_state(b, cfg, &st);
	if (err)
		return err;
	uint32_t limit = bo_trial_limit(cfg, &st);
	out->trial = limit > 0;
	out->confirmed = limit == 0;
	out->attempts_left = (uint8_t)(limit > st.attempts_used ? limit - st.attempts_used : 0);
	out->upgrade_pending = st.upgrade.magic == BO_MAGIC_GOOD;
	return 0;
}
