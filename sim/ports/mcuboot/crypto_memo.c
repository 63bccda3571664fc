/*
 * crypto_memo.c: SHA-256 and ECDSA P-256 verification by brownout's host memo
 * (env->dev->sha256_*, p256_verify).
 *
 * A sweep boots the same few images hundreds of thousands of times and MCUboot hashes
 * the primary at every boot: measured, 81% of a sweep's time was SHA-256. The host
 * memo gives mbed TLS's answers sooner (a crypto accelerator, not firmware under test).
 *
 * Checkouts with MCUboot's custom crypto backend reach these through
 * mcuboot_custom_crypto.h (ECDSA too). Older ones only know mbed TLS and tinycrypt: for those this
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

/* The DER header of a P-256 SubjectPublicKeyInfo: SEQUENCE { SEQUENCE { id-ecPublicKey,
 * secp256r1 }, BIT STRING (66 bytes, no unused bits) }, then the 65-byte point. */
static const uint8_t p256_spki_header[26] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00};

int bro_mcuboot_spki_point(uint8_t **cp, uint8_t *end)
{
	if (end - *cp != (long)sizeof p256_spki_header + 65 ||
	    memcmp(*cp, p256_spki_header, sizeof p256_spki_header))
		return -1;
	*cp += sizeof p256_spki_header;
	return 0;
}

int bro_mcuboot_p256_verify(const uint8_t *pubkey, size_t pubkey_len, const uint8_t *hash,
			    size_t hash_len, const uint8_t *sig, size_t sig_len)
{
	const struct bro_device *d = bro_mcuboot_env->dev;
	if (hash_len != 32 || !d->p256_verify)
		return -1;
	return d->p256_verify(d->host, pubkey, pubkey_len, hash, sig, sig_len) == 0 ? 0 : -1;
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
