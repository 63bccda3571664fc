/*
 * core/port/mbedtls/crypto_mbedtls.h: the host crypto backend (mbed TLS 2.28) behind
 * core/port/crypto.h.
 *
 * No global state: the caller owns a struct bo_crypto_mbedtls (one per simulated node or
 * thread) and bo_crypto_mbedtls_init() points a struct bo_crypto at it. One SHA-256 stream
 * at a time per state.
 */
#ifndef BO_PORT_CRYPTO_MBEDTLS_H
#define BO_PORT_CRYPTO_MBEDTLS_H

#include <mbedtls/sha256.h>

#include "core/port/crypto.h"

struct bo_crypto_mbedtls {
	mbedtls_sha256_context sha;
};

/* Initialise st and fill out with the backend's functions (out->ctx = st). */
void bo_crypto_mbedtls_init(struct bo_crypto_mbedtls *st, struct bo_crypto *out);
/* Release st (zeroises it). out must not be used afterwards. */
void bo_crypto_mbedtls_free(struct bo_crypto_mbedtls *st);

#endif
