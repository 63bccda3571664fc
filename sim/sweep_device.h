/*
 * sim/sweep_device.h: the device a sweep file describes, built and ready to boot.
 *
 * From a loaded struct bo_sweep (sim/sweep_file.h): a flashsim device of the file's
 * geometry (sim/device_desc.h) with the partition table of the layout (boot
 * write-protected), the core/boot configuration
 * (strategy, areas, attempts, downgrade policy, the trusted keyring, the crypto port), the
 * workload's images built and signed in memory, and the initial flash content laid out
 * with fsim_load_bytes (as a programmer would: no operations counted).
 *
 * Images (deterministic, so equal files give equal bytes):
 *   payload     bo_imagegen_fill_payload(size bytes, image seed); --pad-header, header 32
 *   version     the file's version
 *   behaviour   protected TLV 0xA0 (BO_TLV_BEHAVIOUR) with the behaviour byte
 *   key         trusted: bo_signkey_from_seed(1), the only key in the bootloader's keyring;
 *               untrusted: bo_signkey_from_seed(2)
 *   align       the primary's write unit (max_align: max(8, that write unit))
 *   corrupt     after signing, the middle payload byte is inverted (hash mismatch)
 * Initial content: each image of `initial` is written at the start of its partition
 * without a trailer, so the primary image boots as confirmed and the upgrade image carries
 * no request. Everything else is erased.
 *
 * Checks beyond the loader's: core/boot accepts the configuration
 * (bo_boot_check_config: swap chunks fit the scratch, swap-move's uniform sectors, the
 * progress log fits, ...), and every image placed in or downloaded to a slot fits below
 * the bootloader's data limit. Several flash devices are laid end to end in one flashsim
 * device, each keeping its own write unit, erase value and timing (struct fw_flash_map).
 * Errors are one sentence "FILE: ...".
 *
 * Host code: heap; the struct must not move while cfg is in use (it points into itself),
 * which bo_sweep_device_build guarantees by allocating it.
 */
#ifndef BO_SIM_SWEEP_DEVICE_H
#define BO_SIM_SWEEP_DEVICE_H

#include <stddef.h>
#include <stdint.h>

#include "core/boot/boot.h"
#include "core/port/mbedtls/crypto_mbedtls.h"
#include "flashsim/flashsim.h"
#include "sim/firmware/host.h"
#include "sim/flash_port.h"
#include "sim/imagegen.h"
#include "sim/sweep_file.h"

/* Seeds of the sweeps' built-in test keys (bo_signkey_from_seed): images are signed with
 * the trusted one, the only key in the bootloader's keyring (`brownout boot` trusts it too). */
#define BO_SWEEP_TRUSTED_SEED 1u
#define BO_SWEEP_UNTRUSTED_SEED 2u

struct bo_sweep_built_image {
	uint8_t *bytes; /* the signed image (header, payload, TLVs; no trailer) */
	uint32_t len;
};

struct bo_sweep_device {
	const struct bo_sweep *sweep;      /* not owned; must outlive the device */
	struct fsim_device *dev;           /* partitions and initial content */
	struct sim_flash_ports ports;      /* dev as core/'s flash: a port per region, so
					      each flash device has its own units */
	struct bo_crypto_mbedtls crypto_state;
	struct bo_crypto crypto;
	uint8_t spki[BO_P256_SPKI_LEN];    /* the trusted key */
	struct bo_key key;
	struct bo_keyring keys;
	struct bo_boot_cfg cfg;
	uint32_t data_limit;               /* bytes an image may use in a slot (core/boot) */
	struct fw_flash_map map;           /* several flash devices end to end (n > 1) */
	struct bo_sweep_built_image images[BO_SWEEP_MAX_IMAGES]; /* sweep->images order */
};

/* Build the device. 0, or -1 with err set ("FILE: ...") and *out NULL. */
int bo_sweep_device_build(const struct bo_sweep *s, struct bo_sweep_device **out, char *err,
			  size_t errlen);
void bo_sweep_device_free(struct bo_sweep_device *d);

/* The workload image whose bytes start area a (fsim_peek, no read counted), or -1. */
int bo_sweep_device_identify(const struct bo_sweep_device *d, const struct bo_flash_area *a);

#endif
