/*
 * mcuboot_custom_crypto.h: MCUboot's custom crypto backend (MCUBOOT_USE_CUSTOM_CRYPTO,
 * in checkouts that have it): SHA-256 and ECDSA P-256 verification by brownout's host
 * memo (sha256_memo.c), the same answers as mbed TLS, sooner.
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

#ifdef MCUBOOT_SIGN_EC256
/* image_ecdsa.c passes the signature as stored in the TLV: DER. */
#define MCUBOOT_ECDSA_NEED_ASN1_SIG

int bro_mcuboot_p256_verify(const uint8_t *pubkey, size_t pubkey_len, const uint8_t *hash,
			    size_t hash_len, const uint8_t *sig, size_t sig_len);
int bro_mcuboot_spki_point(uint8_t **cp, uint8_t *end);

typedef struct {
	int unused;
} bootutil_ecdsa_context;

static inline void bootutil_ecdsa_init(bootutil_ecdsa_context *ctx)
{
	(void)ctx;
}

static inline void bootutil_ecdsa_drop(bootutil_ecdsa_context *ctx)
{
	(void)ctx;
}

/* Leaves *cp at the key's uncompressed point. */
static inline int bootutil_ecdsa_parse_public_key(bootutil_ecdsa_context *ctx, uint8_t **cp,
						  uint8_t *end)
{
	(void)ctx;
	return bro_mcuboot_spki_point(cp, end);
}

static inline int bootutil_ecdsa_verify(bootutil_ecdsa_context *ctx, uint8_t *pk,
					size_t pk_len, uint8_t *hash, size_t hash_len,
					uint8_t *sig, size_t sig_len)
{
	(void)ctx;
	return bro_mcuboot_p256_verify(pk, pk_len, hash, hash_len, sig, sig_len);
}
#endif

#endif
