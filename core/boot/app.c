/* The application-facing API: what the running firmware calls into core/boot for. */
#include "core/boot/boot_internal.h"

int bo_app_request_upgrade(struct bo_boot *b, const struct bo_boot_cfg *cfg, bool permanent)
{
	const char *why;
	int err;
	if (bo_meta_layout(b, cfg, &why))
		return BO_BOOT_E_CONFIG;
	/* An image that reaches the slot's meta sector was downloaded over the trailer: it
	 * could have pre-set the bootloader's flags, and it could never boot. */
	struct bo_image_info info;
	if (bo_image_parse(&cfg->upgrade, b->data_limit, &info) == BO_IMG_E_TOO_BIG)
		return BO_BOOT_E_IMAGE;
	/* A stale or half-written request must go first: flags are written once each. */
	if (!bo_meta_is_erased(b, &b->state_upgrade, b->meta_upgrade, &err) &&
	    (err || bo_meta_erase(&cfg->upgrade, b->meta_upgrade)))
		return BO_BOOT_E_FLASH;
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
