/*
 * core/port/mbedtls/crypto_mbedtls.c: core/port/crypto.h implemented with mbed TLS 2.28.
 * Host code, but like core/ it keeps no writable static or global state.
 */
#include "core/port/mbedtls/crypto_mbedtls.h"

#include <string.h>

#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>
#include <mbedtls/ecp.h>
#include <mbedtls/pk.h>

static void sha256_start(void *ctx)
{
	struct bo_crypto_mbedtls *st = ctx;
	/* Cannot fail for SHA-256 without hardware alternatives. */
	(void)mbedtls_sha256_starts_ret(&st->sha, 0);
}

static void sha256_update(void *ctx, const void *data, size_t len)
{
	struct bo_crypto_mbedtls *st = ctx;
	(void)mbedtls_sha256_update_ret(&st->sha, data, len);
}

static void sha256_finish(void *ctx, uint8_t digest[BO_SHA256_LEN])
{
	struct bo_crypto_mbedtls *st = ctx;
	(void)mbedtls_sha256_finish_ret(&st->sha, digest);
}

static int ecdsa_p256_verify(void *ctx, const uint8_t *spki_der, size_t spki_len,
			     const uint8_t digest[BO_SHA256_LEN], const uint8_t *sig_der,
			     size_t sig_len)
{
	mbedtls_pk_context pk;
	int rc = -1;

	(void)ctx;
	if (spki_der == NULL || sig_der == NULL || spki_len == 0 || sig_len == 0)
		return -1;
	mbedtls_pk_init(&pk);
	if (mbedtls_pk_parse_public_key(&pk, spki_der, spki_len) != 0)
		goto out;
	if (!mbedtls_pk_can_do(&pk, MBEDTLS_PK_ECDSA))
		goto out;
	if (mbedtls_pk_ec(pk)->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
		rc = -2; /* a P-384 (or other curve) key: not what this function verifies */
		goto out;
	}
	/* mbedtls_pk_verify refuses trailing bytes after the DER signature. */
	if (mbedtls_pk_verify(&pk, MBEDTLS_MD_SHA256, digest, BO_SHA256_LEN, sig_der, sig_len) == 0)
		rc = 0;
out:
	mbedtls_pk_free(&pk);
	return rc;
}

static int aes_cmac(void *ctx, const uint8_t key[16], const void *msg, size_t len,
		    uint8_t mac[16])
{
	const mbedtls_cipher_info_t *ci = mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB);

	uint8_t empty = 0;

	(void)ctx;
	if (ci == NULL || key == NULL || mac == NULL || (msg == NULL && len != 0))
		return -1;
	if (len == 0)
		msg = &empty; /* mbed TLS refuses a NULL input even for an empty message */
	return mbedtls_cipher_cmac(ci, key, 128, msg, len, mac) == 0 ? 0 : -1;
}

void bo_crypto_mbedtls_init(struct bo_crypto_mbedtls *st, struct bo_crypto *out)
{
	mbedtls_sha256_init(&st->sha);
	memset(out, 0, sizeof *out);
	out->ctx = st;
	out->sha256_start = sha256_start;
	out->sha256_update = sha256_update;
	out->sha256_finish = sha256_finish;
	out->ecdsa_p256_verify = ecdsa_p256_verify;
	out->aes_cmac = aes_cmac;
}

void bo_crypto_mbedtls_free(struct bo_crypto_mbedtls *st)
{
	mbedtls_sha256_free(&st->sha);
}
