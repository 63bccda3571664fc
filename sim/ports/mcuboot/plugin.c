/*
 * plugin.c: MCUboot's bootutil as a brownout firmware plug-in (include/brownout/firmware.h).
 *
 * boot() is MCUboot's boot_go(); the application actions are bootutil's public API, as
 * an application on the device calls it: boot_set_pending(permanent) and
 * boot_set_confirmed(). Nothing of MCUboot is changed: its file-static state (boot_data
 * and the rest) is reset at every power-on by brownout, as a device's start-up code does.
 *
 * meson builds this file once per upgrade mode (BRO_MCUBOOT_MODE, mcuboot_config.h) and
 * names the checkout's commit in BRO_MCUBOOT_NAME.
 */
#include <stdio.h>
#include <string.h>

#include "bootutil/bootutil.h"
#include "bootutil/bootutil_public.h"
#include "bootutil/fault_injection_hardening.h"
#include "flash_map_backend/flash_map_backend.h"
#include "mcuboot_config/mcuboot_config.h"
#include "port.h"
#include "sysflash/sysflash.h"

#ifndef BRO_MCUBOOT_NAME
#define BRO_MCUBOOT_NAME "mcuboot"
#endif

#ifdef BRO_MCUBOOT_ECDSA_P256
#define BRO_MCUBOOT_ECDSA 1
#else
#define BRO_MCUBOOT_ECDSA 0
#endif

static int mcuboot_configure(const struct bro_env *env, const struct bro_option *opts,
			     unsigned nopts, char *err, size_t errlen)
{
	bro_mcuboot_env = env;
	const char *pubkey = NULL;
	for (unsigned i = 0; i < nopts; i++) {
		if (!strcmp(opts[i].key, "pubkey") && BRO_MCUBOOT_ECDSA) {
			pubkey = opts[i].value;
			continue;
		}
		snprintf(err, errlen,
			 "unknown option '%s': this MCUboot plug-in takes %s (its configuration is "
			 "fixed at build time)",
			 opts[i].key, BRO_MCUBOOT_ECDSA ? "only pubkey" : "none");
		return -1;
	}
#if BRO_MCUBOOT_ECDSA
	if (!pubkey) {
		snprintf(err, errlen, "option pubkey (the signing key's public PEM) is required: "
				      "this MCUboot plug-in checks ECDSA P-256 signatures");
		return -1;
	}
	if (bro_mcuboot_key_configure(pubkey, err, errlen))
		return -1;
#else
	(void)pubkey;
#endif
	const struct bro_device *d = env->dev;
	if (!d->sha256_start || !d->sha256_update || !d->sha256_finish) {
		snprintf(err, errlen, "the host gives no SHA-256 (bro_device.sha256_*)");
		return -1;
	}
	return bro_mcuboot_flash_configure(d, BRO_MCUBOOT_MODE == BRO_MCUBOOT_SWAP_SCRATCH, err,
					   errlen);
}

static int mcuboot_boot(const struct bro_env *env, struct bro_boot_result *out)
{
	bro_mcuboot_env = env;
	struct boot_rsp rsp;
	memset(&rsp, 0, sizeof rsp);
	fih_ret rc = boot_go(&rsp);
	if (rc != FIH_SUCCESS) {
		out->booted = 0;
		snprintf(out->reason, sizeof out->reason, "boot_go found no bootable image");
		return 0;
	}
	out->booted = 1;
	out->flash = rsp.br_flash_dev_id;
	out->off = rsp.br_image_off;
	return 0;
}

static int mcuboot_request_upgrade(const struct bro_env *env, int permanent)
{
	bro_mcuboot_env = env;
	return boot_set_pending(permanent) == 0 ? 0 : -1;
}

static int mcuboot_confirm(const struct bro_env *env)
{
	bro_mcuboot_env = env;
	return boot_set_confirmed() == 0 ? 0 : -1;
}

/* As MCUboot's own boot_set_confirmed() judges the primary: confirmed when its trailer is
 * blank (a factory image) or written with image_ok anything but unset (a torn image_ok
 * counts: MCUboot neither reverts nor rewrites it); not when image_ok is unset (on trial:
 * the next boot reverts) or the magic is bad (boot_set_confirmed() refuses). overwrite-only
 * never reverts: whatever runs stays. */
static int mcuboot_state(const struct bro_env *env, struct bro_app_state *out)
{
	bro_mcuboot_env = env;
#if BRO_MCUBOOT_MODE == BRO_MCUBOOT_OVERWRITE_ONLY
	out->confirmed = 1;
#else
	struct boot_swap_state st;
	if (boot_read_swap_state_by_id(FLASH_AREA_IMAGE_PRIMARY(0), &st) != 0)
		return -1;
	out->confirmed = st.magic == BOOT_MAGIC_UNSET ||
			 (st.magic == BOOT_MAGIC_GOOD && st.image_ok != BOOT_FLAG_UNSET);
#endif
	return 0;
}

#if BRO_MCUBOOT_MODE == BRO_MCUBOOT_SWAP_OFFSET
/* swap-offset keeps an update one sector into the secondary slot (MCUboot's design.md):
 * the application writes it there, as brownout's default writer does at the start. */
static int mcuboot_write_image(const struct bro_env *env, const struct bro_partition *part,
			       const uint8_t *image, uint32_t len)
{
	bro_mcuboot_env = env;
	const struct flash_area *fa;
	int id = !strcmp(part->name, "upgrade") ? FLASH_AREA_IMAGE_SECONDARY(0)
						 : FLASH_AREA_IMAGE_PRIMARY(0);
	if (flash_area_open((uint8_t)id, &fa))
		return -1;
	struct flash_sector first;
	if (flash_area_get_sector(fa, 0, &first))
		return -1;
	uint32_t start = id == FLASH_AREA_IMAGE_SECONDARY(0) ? first.fs_size : 0;
	uint32_t align = flash_area_align(fa);
	uint32_t padded = (len + align - 1) / align * align;
	if (start + padded > fa->fa_size)
		return -1;
	/* The sectors the image covers, and the last one (a stale trailer). */
	for (uint32_t off = start; off < start + padded;) {
		struct flash_sector s;
		if (flash_area_get_sector(fa, off, &s) || flash_area_erase(fa, s.fs_off, s.fs_size))
			return -1;
		off = s.fs_off + s.fs_size;
	}
	struct flash_sector last;
	if (flash_area_get_sector(fa, fa->fa_size - 1, &last) ||
	    (last.fs_off >= start + padded && flash_area_erase(fa, last.fs_off, last.fs_size)))
		return -1;
	uint8_t piece[256];
	for (uint32_t done = 0; done < len;) {
		uint32_t n = len - done < sizeof piece ? len - done : (uint32_t)sizeof piece;
		uint32_t n_padded = (n + align - 1) / align * align;
		memset(piece, flash_area_erased_val(fa), sizeof piece);
		memcpy(piece, image + done, n);
		if (flash_area_write(fa, start + done, piece, n_padded))
			return -1;
		done += n;
	}
	return 0;
}
#endif

static const struct bro_firmware mcuboot_firmware = {
	.abi = BRO_FIRMWARE_ABI,
	.name = BRO_MCUBOOT_NAME,
	.config_size = 0,
	.ram_size = 0,
	.configure = mcuboot_configure,
	.boot = mcuboot_boot,
#if BRO_MCUBOOT_MODE == BRO_MCUBOOT_SWAP_OFFSET
	.write_image = mcuboot_write_image,
#else
	.write_image = NULL, /* brownout's writer, at the start of the partition */
#endif
	.request_upgrade = mcuboot_request_upgrade,
	.confirm = mcuboot_confirm,
	.state = mcuboot_state,
};

__attribute__((visibility("default"))) const struct bro_firmware *brownout_firmware(void);
__attribute__((visibility("default"))) const struct bro_firmware *brownout_firmware(void)
{
	return &mcuboot_firmware;
}
