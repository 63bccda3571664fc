/*
 * sha256_memo.c: SHA-256 by brownout's host memo (env->dev->sha256_*).
 *
 * A sweep boots the same few images hundreds of thousands of times and MCUboot hashes
 * the primary at every boot: measured, 81% of a sweep's time was SHA-256. The host
 * memo gives mbed TLS's answers sooner (a crypto accelerator, not firmware under test).
 *
 * Checkouts with MCUboot's custom crypto backend reach bro_mcuboot_sha256_* through
 * mcuboot_custom_crypto.h. Older ones only know mbed TLS and tinycrypt: for those this
 * file also defines the mbed TLS SHA-256 functions bootutil's crypto/sha.h calls. The
 * plug-in is built with hidden visibility and -Bsymbolic, so these definitions bind
 * inside it and never replace the libmbedcrypto the host links (MCUboot hashes one
 * image at a time, so the context carries nothing).
 */
#include <string.h>

#include "port.h"

void bro_mcuboot_sha256_start(void)
{
	const struct bro_device *d = bro_mcuboot_env->dev;
	d->sha256_start(d->host);
}

void bro_mcuboot_sha256_update(const void *data, size_t len)
{
	const struct bro_device *d = bro_mcuboot_env->dev;
	d->sha256_update(d->host, data, len);
}

void bro_mcuboot_sha256_finish(uint8_t digest[32])
{
	const struct bro_device *d = bro_mcuboot_env->dev;
	d->sha256_finish(d->host, digest);
}

#ifndef BRO_MCUBOOT_CUSTOM_CRYPTO
#include <mbedtls/sha256.h>

void mbedtls_sha256_init(mbedtls_sha256_context *ctx)
{
	memset(ctx, 0, sizeof *ctx);
}

void mbedtls_sha256_free(mbedtls_sha256_context *ctx)
{
	(void)ctx;
}

int mbedtls_sha256_starts_ret(mbedtls_sha256_context *ctx, int is224)
{
	(void)ctx;
	if (is224)
		bro_mcuboot_fail("SHA-224 requested: the host memo computes SHA-256 only");
	bro_mcuboot_sha256_start();
	return 0;
}

int mbedtls_sha256_update_ret(mbedtls_sha256_context *ctx, const unsigned char *input,
			      size_t ilen)
{
	(void)ctx;
	bro_mcuboot_sha256_update(input, ilen);
	return 0;
}

int mbedtls_sha256_finish_ret(mbedtls_sha256_context *ctx, unsigned char output[32])
{
	(void)ctx;
	bro_mcuboot_sha256_finish(output);
	return 0;
}
#endif
