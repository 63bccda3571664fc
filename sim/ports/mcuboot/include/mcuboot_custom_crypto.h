/*
 * mcuboot_custom_crypto.h: MCUboot's custom crypto backend (MCUBOOT_USE_CUSTOM_CRYPTO,
 * in checkouts that have it): SHA-256 by brownout's host memo (sha256_memo.c).
 */
#ifndef BRO_MCUBOOT_CUSTOM_CRYPTO_H
#define BRO_MCUBOOT_CUSTOM_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

void bro_mcuboot_sha256_start(void);
void bro_mcuboot_sha256_update(const void *data, size_t len);
void bro_mcuboot_sha256_finish(uint8_t digest[32]);

/* The host keeps the running hash (one at a time per device). */
typedef struct {
	int unused;
} bootutil_sha_context;

static inline int bootutil_sha_init(bootutil_sha_context *ctx)
{
	(void)ctx;
	bro_mcuboot_sha256_start();
	return 0;
}

static inline int bootutil_sha_drop(bootutil_sha_context *ctx)
{
	(void)ctx;
	return 0;
}

static inline int bootutil_sha_update(bootutil_sha_context *ctx, const void *data,
				      uint32_t data_len)
{
	(void)ctx;
	bro_mcuboot_sha256_update(data, data_len);
	return 0;
}

static inline int bootutil_sha_finish(bootutil_sha_context *ctx, uint8_t *output)
{
	(void)ctx;
	bro_mcuboot_sha256_finish(output);
	return 0;
}

#endif
