/*
 * tests/fuzz/fuzz_image.c: the MCUboot image parser and verifier (core/boot/image.c) on
 * arbitrary slot contents: the input is the start of a 64 KiB slot (the rest erased),
 * checked against a keyring holding the test key of seed 1 (tests/fuzz/corpus/image holds
 * images it signed). An image that verifies must parse to the same layout, fit the slot
 * and carry a readable behaviour.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/boot/image.h"
#include "core/port/mbedtls/crypto_mbedtls.h"
#include "sim/imagegen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SLOT (64u * 1024u)

struct ctx {
	uint8_t slot[SLOT];
	struct bo_ramflash rf;
	struct bo_crypto_mbedtls cst;
	struct bo_crypto crypto;
	uint8_t spki[BO_P256_SPKI_LEN];
	struct bo_key key;
	struct bo_keyring ring;
};

static struct ctx *setup(void)
{
	static struct ctx *c;
	if (c)
		return c;
	c = calloc(1, sizeof *c);
	struct bo_signkey *k;
	char err[256];
	if (!c || bo_signkey_from_seed(1, &k, err, sizeof err) || bo_signkey_spki(k, c->spki))
		abort();
	bo_signkey_free(k);
	bo_crypto_mbedtls_init(&c->cst, &c->crypto);
	bo_key_init(&c->key, c->spki, sizeof c->spki, &c->crypto);
	c->ring = (struct bo_keyring){&c->key, 1};
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ctx *c = setup();
	size_t n = size < SLOT ? size : SLOT;
	memset(c->slot, 0xff, SLOT);
	memcpy(c->slot, data, n);
	bo_ramflash_init(&c->rf, c->slot, SLOT, 4096, 4, 0xff);
	struct bo_image_info parsed, verified;
	enum bo_image_err pe = bo_image_parse(&c->rf.area, SLOT, &parsed);
	enum bo_image_err ve = bo_image_verify(&c->rf.area, SLOT, &c->crypto, &c->ring, &verified);
	(void)bo_image_strerror(pe);
	(void)bo_image_errname(ve);
	if (ve == BO_IMG_OK) {
		enum bo_app_behaviour beh;
		if (pe != BO_IMG_OK || parsed.total_size != verified.total_size ||
		    verified.total_size > SLOT ||
		    bo_image_behaviour(&c->rf.area, &verified, &beh)) {
			fprintf(stderr, "fuzz_image: an image verifies but its layout does not "
					"hold\n");
			abort();
		}
	}
	return 0;
}
