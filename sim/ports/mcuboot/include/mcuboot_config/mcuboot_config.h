/*
 * mcuboot_config.h for brownout's MCUboot port: one configuration per plug-in.
 *
 * meson compiles bootutil once per upgrade mode and says which with
 * BRO_MCUBOOT_MODE (1 swap-move, 2 swap-scratch, 3 overwrite-only, 4 swap-offset).
 * Everything else is one fixed configuration, close to a Zephyr default build:
 * single image, the primary slot validated at every boot, assert and logging on.
 *
 * Validation is hash-only (the SHA-256 TLV) unless meson defines BRO_MCUBOOT_ECDSA_P256.
 * SHA-256 goes to brownout's host memo (env->dev->sha256_*): through MCUboot's custom
 * crypto backend where the checkout has it (BRO_MCUBOOT_CUSTOM_CRYPTO, set by meson),
 * otherwise through the mbed TLS backend with mbedtls_sha256_* provided by the plug-in
 * itself (sha256_memo.c), bound inside the plug-in.
 */
#ifndef BRO_MCUBOOT_CONFIG_H
#define BRO_MCUBOOT_CONFIG_H

#define BRO_MCUBOOT_SWAP_MOVE 1
#define BRO_MCUBOOT_SWAP_SCRATCH 2
#define BRO_MCUBOOT_OVERWRITE_ONLY 3
#define BRO_MCUBOOT_SWAP_OFFSET 4

#if !defined(BRO_MCUBOOT_MODE)
#error "BRO_MCUBOOT_MODE must be defined by the build (1..4)"
#elif BRO_MCUBOOT_MODE == BRO_MCUBOOT_SWAP_MOVE
#define MCUBOOT_SWAP_USING_MOVE 1
#elif BRO_MCUBOOT_MODE == BRO_MCUBOOT_SWAP_SCRATCH
#define MCUBOOT_SWAP_USING_SCRATCH 1
#elif BRO_MCUBOOT_MODE == BRO_MCUBOOT_OVERWRITE_ONLY
#define MCUBOOT_OVERWRITE_ONLY 1
#elif BRO_MCUBOOT_MODE == BRO_MCUBOOT_SWAP_OFFSET
#define MCUBOOT_SWAP_USING_OFFSET 1
#else
#error "unknown BRO_MCUBOOT_MODE"
#endif

#define MCUBOOT_IMAGE_NUMBER 1
#define MCUBOOT_VALIDATE_PRIMARY_SLOT
#define MCUBOOT_USE_FLASH_AREA_GET_SECTORS
/* Sectors per slot MCUboot can track: 1 MiB slots of 4 KiB sectors. configure() refuses
 * a layout with more. */
#define MCUBOOT_MAX_IMG_SECTORS 256
/* Trailer fields are padded to this; configure() refuses a larger write unit. */
#define MCUBOOT_BOOT_MAX_ALIGN 8

#ifdef BRO_MCUBOOT_ECDSA_P256
#define MCUBOOT_SIGN_EC256
#endif

#ifdef BRO_MCUBOOT_CUSTOM_CRYPTO
#define MCUBOOT_USE_CUSTOM_CRYPTO
#include "mcuboot_custom_crypto.h"
#else
#define MCUBOOT_USE_MBED_TLS
#endif

#define MCUBOOT_HAVE_LOGGING 1
#define MCUBOOT_HAVE_ASSERT_H 1

/* No fault-injection hardening (a power cut is not a glitch attack), but FIH_PANIC
 * calls fih_panic_loop() (fih.c: fails the cut) instead of spinning for ever, which would
 * hang the sweep. fih.c also replaces fault_injection_hardening.c, whose panic loop is
 * Arm assembly. */
#define MCUBOOT_FIH_PROFILE_OFF
#define FIH_ENABLE_GLOBAL_FAIL

#define MCUBOOT_WATCHDOG_FEED() \
	do {                    \
	} while (0)

#define MCUBOOT_CPU_IDLE() \
	do {               \
	} while (0)

#endif
