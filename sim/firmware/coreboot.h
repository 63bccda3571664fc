/*
 * sim/firmware/coreboot.h: core/boot, brownout's own bootloader, as a firmware under test
 * (include/brownout/firmware.h): the built-in default of every sweep.
 *
 * Options (strings, as in a sweep file's firmware.options):
 *   strategy         overwrite | swap-scratch | swap-move | recovery | swap-scratch+recovery
 *                    (required)
 *   attempts         1..255 trial boots before recovery (default 3)
 *   allow-downgrade  true | false (default false)
 *   keys             the trusted keys: comma-separated hex of SubjectPublicKeyInfo DER
 *                    (at most 4); none: no image verifies
 * configure() refuses a layout core/boot cannot run (bo_boot_check_config's reason).
 */
#ifndef SIM_FIRMWARE_COREBOOT_H
#define SIM_FIRMWARE_COREBOOT_H

#include "brownout/firmware.h"
#include "core/boot/boot.h"

const struct bro_firmware *fw_coreboot(void);

/* Options for a core/boot configuration; the strings live in buf (size bufsize). Returns
 * the number of options, or -1 when buf is too small. */
int fw_coreboot_options(enum bo_strategy strategy, unsigned attempts, bool allow_downgrade,
			const struct bo_keyring *keys, struct bro_option opts[4], char *buf,
			size_t bufsize);

#endif
