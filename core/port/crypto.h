/*
 * core/port/crypto.h: the cryptography core/ needs, behind a platform-filled struct.
 *
 * The host backend (core/port/mbedtls/) implements it with mbed TLS; a product would
 * plug in its hardware accelerator or its own mbed TLS build. As with the flash port,
 * the function pointers live in the caller-owned struct, so core/ has no static tables.
 */
#ifndef BO_PORT_CRYPTO_H
#define BO_PORT_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#define BO_SHA256_LEN 32

struct bo_crypto {
	void *ctx;
	/* Streaming SHA-256. One stream at a time per context. */
	void (*sha256_start)(void *ctx);
	void (*sha256_update)(void *ctx, const void *data, size_t len);
	void (*sha256_finish)(void *ctx, uint8_t digest[BO_SHA256_LEN]);
	/*
	 * ECDSA P-256: verify sig_der (ASN.1 DER SEQUENCE{r, s}) over a 32-byte digest with the
	 * public key given as SubjectPublicKeyInfo DER. 0 = valid, negative = invalid or error.
	 */
	int (*ecdsa_p256_verify)(void *ctx, const uint8_t *spki_der, size_t spki_len,
				 const uint8_t digest[BO_SHA256_LEN], const uint8_t *sig_der,
				 size_t sig_len);
	/* AES-128-CMAC of msg under key. 0 on success. */
	int (*aes_cmac)(void *ctx, const uint8_t key[16], const void *msg, size_t len,
			uint8_t mac[16]);
};

#endif
