/*
 * tests/boot/boot_test_util.h: helpers for the image tests: assemble MCUboot images byte
 * by byte (so malformed ones can be made), verify a buffer through core/boot, keys.
 */
#ifndef BO_TESTS_BOOT_UTIL_H
#define BO_TESTS_BOOT_UTIL_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "core/boot/image.h"
#include "core/port/mbedtls/crypto_mbedtls.h"
#include "sim/imagegen.h"

/* A byte vector with a fixed capacity (enough for the hand-made images). */
struct rb {
	uint8_t d[65536];
	size_t n;
};

static inline void rb_u8(struct rb *b, uint8_t v)
{
	if (b->n < sizeof b->d)
		b->d[b->n++] = v;
}

static inline void rb_u16(struct rb *b, uint16_t v)
{
	rb_u8(b, (uint8_t)v);
	rb_u8(b, (uint8_t)(v >> 8));
}

static inline void rb_u32(struct rb *b, uint32_t v)
{
	rb_u16(b, (uint16_t)v);
	rb_u16(b, (uint16_t)(v >> 16));
}

static inline void rb_bytes(struct rb *b, const void *p, size_t n)
{
	const uint8_t *s = p;
	for (size_t i = 0; i < n; i++)
		rb_u8(b, s ? s[i] : 0);
}

static inline void rb_fill(struct rb *b, uint8_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		rb_u8(b, v);
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* Header fields; protect_tlv_size is written as given. */
static inline void rb_header(struct rb *b, uint16_t hdr_size, uint16_t prot, uint32_t img_size,
			     uint32_t flags, uint8_t maj, uint8_t min, uint16_t rev, uint32_t build)
{
	rb_u32(b, BO_IMAGE_MAGIC);
	rb_u32(b, 0);
	rb_u16(b, hdr_size);
	rb_u16(b, prot);
	rb_u32(b, img_size);
	rb_u32(b, flags);
	rb_u8(b, maj);
	rb_u8(b, min);
	rb_u16(b, rev);
	rb_u32(b, build);
	rb_u32(b, 0);
	rb_fill(b, 0xff, hdr_size > 32 ? hdr_size - 32u : 0);
}

static inline void rb_tlv(struct rb *b, uint16_t type, const void *data, uint16_t len)
{
	rb_u16(b, type);
	rb_u16(b, len);
	rb_bytes(b, data, len);
}

static inline void sha256(const void *p, size_t n, uint8_t out[32])
{
	mbedtls_sha256_ret(p, n, out, 0);
}

/* A verifier over a buffer: crypto backend, RAM flash, keyring of up to 4 keys. */
struct vctx {
	struct bo_crypto_mbedtls st;
	struct bo_crypto crypto;
	struct bo_key keys[4];
	uint8_t spki[4][BO_P256_SPKI_LEN];
	struct bo_keyring ring;
};

static inline void vctx_init(struct vctx *v)
{
	memset(v, 0, sizeof *v);
	bo_crypto_mbedtls_init(&v->st, &v->crypto);
	v->ring.keys = v->keys;
	v->ring.count = 0;
}

static inline void vctx_trust(struct vctx *v, const struct bo_signkey *k)
{
	size_t i = v->ring.count++;
	if (bo_signkey_spki(k, v->spki[i]) != 0)
		abort();
	bo_key_init(&v->keys[i], v->spki[i], BO_P256_SPKI_LEN, &v->crypto);
}

static inline enum bo_image_err vverify(struct vctx *v, uint8_t *buf, size_t len, uint32_t limit,
					struct bo_image_info *info)
{
	struct bo_ramflash rf;
	bo_ramflash_init(&rf, buf, (uint32_t)len, 0, 1, 0xff);
	return bo_image_verify(&rf.area, limit, &v->crypto, &v->ring, info);
}

static inline void vctx_free(struct vctx *v)
{
	bo_crypto_mbedtls_free(&v->st);
}

#endif
