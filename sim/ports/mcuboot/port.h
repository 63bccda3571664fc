/*
 * port.h: what the MCUboot port's files share (not seen by MCUboot's sources).
 *
 * MCUboot's platform hooks (flash_area_*, logging, assert, SHA-256) take no context, so
 * the device comes from one global: the environment of the plug-in call under way, set
 * by every entry point in plugin.c. Each sweep worker loads its own copy of the plug-in,
 * so the global is never shared between threads.
 */
#ifndef BRO_MCUBOOT_PORT_H
#define BRO_MCUBOOT_PORT_H

#include <stddef.h>
#include <stdint.h>

#include <brownout/firmware.h>

extern const struct bro_env *bro_mcuboot_env;

/* Called by configure() with bro_mcuboot_env set. Finds the partitions primary, upgrade (and scratch when the mode needs one) and checks
 * that MCUboot can run on them; 0, or negative with a one-line reason in err. */
int bro_mcuboot_flash_configure(const struct bro_device *dev, int need_scratch,
				char *err, size_t errlen);

/* ECDSA plug-ins: reads the public key MCUboot verifies with (keys.c); 0, or negative
 * with a one-line reason in err. */
int bro_mcuboot_key_configure(const char *path, char *err, size_t errlen);

/* Fails the cut (env->dev->fail) with a formatted reason; does not return. */
void bro_mcuboot_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* The host's memoised crypto, for the crypto glue (crypto_memo.c, the custom crypto
 * header). */
void bro_mcuboot_sha256_start(void);
void bro_mcuboot_sha256_update(const void *data, size_t len);
void bro_mcuboot_sha256_finish(uint8_t digest[32]);
int bro_mcuboot_spki_point(uint8_t **cp, uint8_t *end);
int bro_mcuboot_p256_verify(const uint8_t *pubkey, size_t pubkey_len, const uint8_t *hash,
			    size_t hash_len, const uint8_t *sig, size_t sig_len);

#endif
