/*
 * tests/boot/boot_harness.h: a small harness around core/boot for the strategy tests, the
 * power-cut smoke test and the figures: a flashsim device with a partition table, a boot
 * configuration, a trusted key (seed 1) and a rogue key (seed 2), image builders, and the
 * life cycle of a device (download, request, boot, the application running).
 *
 * Every bo_boot() / bo_app_*() call gets a fresh workspace filled with 0xA5, so no state can
 * survive in RAM from one call to the next: everything the bootloader knows comes from flash.
 */
#ifndef BO_TESTS_BOOT_HARNESS_H
#define BO_TESTS_BOOT_HARNESS_H

#include <setjmp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/boot/boot.h"
#include "core/port/mbedtls/crypto_mbedtls.h"
#include "flashsim/flashsim.h"
#include "sim/flash_port.h"
#include "sim/crypto_memo.h"
#include "sim/imagegen.h"

/* A device preset and its partitions ("boot", "primary", "upgrade", "scratch", "recovery",
 * "status"). */
struct bh_layout {
	const char *name;
	const char *preset;
	struct fsim_partition parts[6];
	size_t nparts;
	bool uniform; /* all sectors of both slots equal: swap-move applies */
};

/* The reference nrf52840 layout (docs/reference/flash.md). */
extern const struct bh_layout bh_nrf52840;
/* stm32f4: boot = sectors 0-3 (4 x 16K), recovery = the 64K sector, primary = 128K sectors
 * 5-7, upgrade = 8-10, scratch = 11. */
extern const struct bh_layout bh_stm32f4;
/* stm32f4 with a status partition (a 16K sector) holding core/boot's progress record:
 * primary and upgrade = two 128K sectors each, which images fill up to the MCUboot
 * trailer; scratch = one 128K sector. */
extern const struct bh_layout bh_stm32f4_status;
/* nrf52840 with a one-sector (4K) status partition and 64K slots. */
extern const struct bh_layout bh_nrf52840_status;
/* stm32f4, mixed sizes inside a slot: boot = sector 0, primary = sectors 1-4 (3 x 16K +
 * 64K), upgrade = sectors 5-6 (128K each): no sector boundary common to both slots. */
extern const struct bh_layout bh_stm32f4_mixed;
/* stm32f4, mixed sizes that a scratch swap can handle: primary = sectors 0-5 (4 x 16K, 64K,
 * 128K), upgrade = sectors 6-7 (128K each): a common boundary at 128K; boot at the top. */
extern const struct bh_layout bh_stm32f4_mixed_swap;
/* k64f-like: 4K sectors, write unit 8, a one-sector (4K) scratch. */
extern const struct bh_layout bh_k64f;

struct bh_img {
	uint8_t *bytes;
	size_t len;
	struct bo_image_version ver;
	int behaviour; /* -1: no behaviour TLV (good) */
};


struct bh {
	const struct bh_layout *layout;
	struct fsim_device *dev;
	struct bo_flash port;
	struct bo_boot_cfg cfg;
	struct bo_crypto_mbedtls cst;
	struct bo_crypto crypto;
	struct bo_signkey *trusted, *rogue;
	uint8_t spki[BO_P256_SPKI_LEN];
	struct bo_key key;
	struct bo_keyring ring;
	uint32_t data_limit;       /* from bo_boot_check_config */
	const char *config_error;  /* when the configuration was refused */
	struct bo_boot_result res; /* of the last bh_boot() */
	jmp_buf *on_power_loss;    /* set by a test that arms cuts */
	uint32_t boots;            /* bh_boot() calls that returned */
	struct bo_boot *ws;        /* the bootloader's RAM, poisoned before every call */
	struct sim_crypto_memo memo; /* bh_memo_verify: hits and misses in memo.hits, .misses */
	bool memo_on;
	struct bo_crypto real;     /* the backend behind the memo */
};

/* Create the device and the configuration; returns bo_boot_check_config()'s result. The
 * harness is usable (for a refusal test) even when the configuration is refused. */
int bh_setup(struct bh *h, const struct bh_layout *l, enum bo_strategy s);
/* Re-check after changing h->cfg fields (attempts, allow_downgrade, ...). */
int bh_reconfig(struct bh *h);
void bh_teardown(struct bh *h);

/* A signed image with a deterministic payload of payload_len bytes. rogue: signed by the
 * untrusted key. behaviour: enum bo_app_behaviour or -1 for no TLV. */
void bh_image(struct bh *h, struct bh_img *img, uint64_t seed, uint8_t major, uint8_t minor,
	      size_t payload_len, int behaviour, bool rogue);
/* Same, with the payload sized so the whole image is exactly total bytes. */
void bh_image_total(struct bh *h, struct bh_img *img, uint64_t seed, uint8_t major,
		    uint8_t minor, size_t total, int behaviour);
void bh_img_free(struct bh_img *img);

/* Programmer-side (SWD) content: primary image with an erased trailer, recovery image. */
void bh_factory(struct bh *h, const struct bh_img *primary, const struct bh_img *recovery);

/* The application's download: erase the upgrade sectors the image needs, program it in
 * 256-byte writes through the device (counted operations). 0 or -1. */
int bh_download(struct bh *h, const struct bh_img *img);
/* bo_app_request_upgrade() with a fresh workspace. */
int bh_request(struct bh *h, bool permanent);
static inline int bh_download_request(struct bh *h, const struct bh_img *img, bool permanent)
{
	return bh_download(h, img) ? -1 : bh_request(h, permanent);
}

/* One power-on: bo_boot() with a poisoned workspace; the result is in h->res. */
int bh_boot(struct bh *h);
/* The booted image runs: returns its behaviour; a good (or no-DFU) primary image confirms
 * itself. A recovery image never confirms the primary. -1 when nothing booted. */
int bh_run_app(struct bh *h);
/* bh_boot() then bh_run_app(); returns bo_boot's result. */
int bh_boot_run(struct bh *h);
int bh_confirm(struct bh *h);
int bh_state(struct bh *h, struct bo_app_state *st);

/* The first img->len bytes of the partition are the image, byte for byte (fsim_peek). */
bool bh_holds(struct bh *h, const char *part, const struct bh_img *img);
/* The booted image is img: slot PRIMARY (or RECOVERY) and the bytes match. */
bool bh_running(struct bh *h, const struct bh_img *img);
const struct fsim_partition *bh_part(struct bh *h, const char *name);

/* Memoize the crypto port (sim/crypto_memo.h) on exact inputs: an ECDSA verification on
 * its key, digest and signature, a hash on the very same bytes: the power-cut tests check
 * the same two or three images thousands of times. Tampered bytes are another stream. */
void bh_memo_verify(struct bh *h);

/* The power-loss handler used by bh_setup: longjmp(*h->on_power_loss, 1). */
void bh_power_loss(void *ctx);

#endif
