/*
 * tests/boot/test_image.c: core/boot/image.h: verification round trips and malformed
 * images built in memory (every refusal reason, bounds, overflow attempts).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/boot/boot_test_util.h"

static struct bo_signkey *key_a, *key_b;

static int setup(void **state)
{
	(void)state;
	char err[BO_IMAGEGEN_ERRLEN];
	if (bo_signkey_from_seed(1, &key_a, err, sizeof err) != 0 ||
	    bo_signkey_from_seed(2, &key_b, err, sizeof err) != 0) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	bo_signkey_free(key_a);
	bo_signkey_free(key_b);
	return 0;
}

/* A signed image (by key, or unsigned if NULL) of a deterministic payload. */
static uint8_t *make(const struct bo_signkey *key, size_t payload_len,
		     const struct bo_imagegen_opts *opts, size_t *len)
{
	struct bo_imagegen_opts o;
	char err[BO_IMAGEGEN_ERRLEN];
	uint8_t *payload = malloc(payload_len + 1);
	uint8_t *img = NULL;
	assert_non_null(payload);
	bo_imagegen_fill_payload(payload, payload_len, 42);
	if (opts == NULL) {
		bo_imagegen_opts_init(&o);
		o.pad_header = true;
		o.version = (struct bo_image_version){1, 2, 3, 4};
		opts = &o;
	}
	int rc = bo_imagegen_build(opts, key, payload, payload_len, &img, len, err, sizeof err);
	if (rc != 0)
		fail_msg("build: %s", err);
	free(payload);
	return img;
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct vctx v;
	struct bo_image_info info;
	size_t len;
	uint8_t *img = make(key_a, 3000, NULL, &len);

	vctx_init(&v);
	vctx_trust(&v, key_b);
	vctx_trust(&v, key_a);
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, &info), BO_IMG_OK);
	assert_int_equal(info.hdr.magic, BO_IMAGE_MAGIC);
	assert_int_equal(info.hdr.hdr_size, 32);
	assert_int_equal(info.hdr.img_size, 3000);
	assert_int_equal(info.hdr.protect_tlv_size, 0);
	assert_int_equal(info.hdr.version.major, 1);
	assert_int_equal(info.hdr.version.minor, 2);
	assert_int_equal(info.hdr.version.revision, 3);
	assert_int_equal(info.hdr.version.build, 4);
	assert_int_equal(info.total_size, len);
	assert_int_equal(info.key_index, 1);
	assert_true(info.hash_ok);
	uint8_t h[32];
	sha256(img, info.tlv_off, h);
	assert_memory_equal(info.hash, h, 32);
	/* out may be NULL */
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, NULL), BO_IMG_OK);
	vctx_free(&v);
	free(img);
}

static void test_tampered(void **state)
{
	(void)state;
	struct vctx v;
	struct bo_image_info info;
	size_t len;
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	o.pad_header = true;
	o.behaviour = BO_APP_GOOD;
	uint8_t *img = make(key_a, 1000, &o, &len);

	vctx_init(&v);
	vctx_trust(&v, key_a);
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, &info), BO_IMG_OK);
	uint32_t tlv_off = info.tlv_off;
	/* payload, header version, protected TLV value: hash mismatch */
	const uint32_t offs[] = {100, 20, 32, info.prot_tlv_off + 8, tlv_off - 1};
	for (size_t i = 0; i < sizeof offs / sizeof offs[0]; i++) {
		img[offs[i]] ^= 0x01;
		assert_int_equal(vverify(&v, img, len, (uint32_t)len, &info), BO_IMG_E_HASH_MISMATCH);
		img[offs[i]] ^= 0x01;
	}
	/* the stored hash itself */
	img[tlv_off + 4 + 4] ^= 0x80;
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, &info), BO_IMG_E_HASH_MISMATCH);
	img[tlv_off + 4 + 4] ^= 0x80;
	/* the KEYHASH: no trusted key */
	uint32_t kh = tlv_off + 4 + 36 + 4;
	img[kh] ^= 0x01;
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, &info), BO_IMG_E_NO_TRUSTED_KEY);
	img[kh] ^= 0x01;
	/* the signature's last byte (inside s): bad signature */
	img[len - 1] ^= 0x01;
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, &info), BO_IMG_E_BAD_SIGNATURE);
	img[len - 1] ^= 0x01;
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, &info), BO_IMG_OK);
	vctx_free(&v);
	free(img);
}

/* Every single-bit flip in the hashed region is refused; flips elsewhere never crash. */
static void test_bitflips(void **state)
{
	(void)state;
	struct vctx v;
	struct bo_image_info info;
	size_t len;
	uint8_t *img = make(key_a, 200, NULL, &len);

	vctx_init(&v);
	vctx_trust(&v, key_a);
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, &info), BO_IMG_OK);
	uint32_t hashed = info.tlv_off;
	for (size_t off = 0; off < len; off++)
		for (int bit = 0; bit < 8; bit += 3) {
			img[off] ^= (uint8_t)(1u << bit);
			enum bo_image_err rc = vverify(&v, img, len, (uint32_t)len, &info);
			if (off < hashed)
				assert_int_not_equal(rc, BO_IMG_OK);
			img[off] ^= (uint8_t)(1u << bit);
		}
	/* every truncation is refused */
	for (size_t n = 0; n < len; n++)
		assert_int_not_equal(vverify(&v, img, n, (uint32_t)n, &info), BO_IMG_OK);
	vctx_free(&v);
	free(img);
}

static void test_wrong_key(void **state)
{
	(void)state;
	struct vctx v;
	size_t len;
	uint8_t *img = make(key_b, 500, NULL, &len);

	vctx_init(&v);
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, NULL), BO_IMG_E_NO_TRUSTED_KEY);
	vctx_trust(&v, key_a);
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, NULL), BO_IMG_E_NO_TRUSTED_KEY);
	/* NULL keyring */
	struct bo_ramflash rf;
	bo_ramflash_init(&rf, img, (uint32_t)len, 0, 1, 0xff);
	assert_int_equal(bo_image_verify(&rf.area, (uint32_t)len, &v.crypto, NULL, NULL),
			 BO_IMG_E_NO_TRUSTED_KEY);
	vctx_trust(&v, key_b);
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, NULL), BO_IMG_OK);
	vctx_free(&v);
	free(img);
}

static void test_unsigned(void **state)
{
	(void)state;
	struct vctx v;
	size_t len;
	uint8_t *img = make(NULL, 500, NULL, &len);
	vctx_init(&v);
	vctx_trust(&v, key_a);
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, NULL), BO_IMG_E_NO_SIGNATURE);
	vctx_free(&v);
	free(img);
}

static void test_erased_and_magic(void **state)
{
	(void)state;
	struct vctx v;
	uint8_t buf[256];
	struct bo_ramflash rf;
	struct bo_image_header h;
	vctx_init(&v);

	memset(buf, 0xff, sizeof buf);
	assert_int_equal(vverify(&v, buf, sizeof buf, sizeof buf, NULL), BO_IMG_E_ERASED);
	memset(buf, 0x00, sizeof buf);
	bo_ramflash_init(&rf, buf, sizeof buf, 0, 1, 0x00);
	assert_int_equal(bo_image_verify(&rf.area, sizeof buf, &v.crypto, &v.ring, NULL),
			 BO_IMG_E_ERASED);
	assert_int_equal(bo_image_read_header(&rf.area, &h), BO_IMG_E_ERASED);
	/* zeros on 0xff flash: bad magic, not erased */
	assert_int_equal(vverify(&v, buf, sizeof buf, sizeof buf, NULL), BO_IMG_E_BAD_MAGIC);
	put32(buf, 0x96f3b83c);
	assert_int_equal(vverify(&v, buf, sizeof buf, sizeof buf, NULL), BO_IMG_E_BAD_MAGIC);
	/* erased magic but other header bytes written: bad magic */
	memset(buf, 0xff, sizeof buf);
	buf[20] = 1;
	assert_int_equal(vverify(&v, buf, sizeof buf, sizeof buf, NULL), BO_IMG_E_BAD_MAGIC);
	vctx_free(&v);
}

static void test_read_header(void **state)
{
	(void)state;
	size_t len;
	uint8_t *img = make(key_a, 64, NULL, &len);
	struct bo_ramflash rf;
	struct bo_image_header h;
	bo_ramflash_init(&rf, img, (uint32_t)len, 0, 1, 0xff);
	assert_int_equal(bo_image_read_header(&rf.area, &h), BO_IMG_OK);
	assert_int_equal(h.img_size, 64);
	assert_int_equal(h.version.revision, 3);
	/* a header cut short */
	bo_ramflash_init(&rf, img, 31, 0, 1, 0xff);
	assert_int_equal(bo_image_read_header(&rf.area, &h), BO_IMG_E_BAD_HEADER);
	free(img);
}

/* Hand-made images: header, payload, areas as given; hash computed unless told not to. */
struct raw_spec {
	uint16_t hdr_size;
	uint32_t img_size;      /* written in the header */
	uint32_t payload_len;   /* actually present */
	uint32_t flags;
	int prot_hdr;           /* protect_tlv_size in the header; -1: the real size */
	bool prot;              /* add a protected area with one vendor TLV */
	int prot_info_total;    /* -1: the real total */
	uint16_t prot_magic;    /* 0: 0x6908 */
	uint16_t tlv_magic;     /* 0: 0x6907 */
	int tlv_total;          /* -1: real */
	bool no_sha;
	uint16_t sha_len;       /* 0: 32 */
	bool sha384;            /* also a SHA384 TLV (random bytes) */
	/* extra unprotected TLVs after the hash */
	struct { uint16_t type; uint16_t len; const uint8_t *data; } extra[4];
	int n_extra;
};

static size_t build_raw(struct rb *b, const struct raw_spec *s)
{
	struct rb prot = {.n = 0};
	memset(b, 0, sizeof *b);
	if (s->prot) {
		uint8_t v = 1;
		rb_u16(&prot, s->prot_magic ? s->prot_magic : BO_TLV_PROT_INFO_MAGIC);
		rb_u16(&prot, (uint16_t)(s->prot_info_total >= 0 ? s->prot_info_total : 4 + 5));
		rb_tlv(&prot, 0xa0, &v, 1);
	}
	uint16_t ph = (uint16_t)(s->prot_hdr >= 0 ? s->prot_hdr : (int)prot.n);
	rb_header(b, s->hdr_size, ph, s->img_size, s->flags, 1, 0, 0, 0);
	for (uint32_t i = 0; i < s->payload_len; i++)
		rb_u8(b, (uint8_t)(i * 7));
	rb_bytes(b, prot.d, prot.n);
	uint8_t h[32];
	sha256(b->d, b->n, h);
	size_t tlv_start = b->n;
	rb_u16(b, s->tlv_magic ? s->tlv_magic : BO_TLV_INFO_MAGIC);
	rb_u16(b, 0); /* patched below */
	if (!s->no_sha)
		rb_tlv(b, BO_TLV_SHA256, h, s->sha_len ? s->sha_len : 32);
	if (s->sha384) {
		uint8_t x[48] = {0};
		rb_tlv(b, BO_TLV_SHA384, x, 48);
	}
	for (int i = 0; i < s->n_extra; i++)
		rb_tlv(b, s->extra[i].type, s->extra[i].data, s->extra[i].len);
	uint16_t total = (uint16_t)(s->tlv_total >= 0 ? s->tlv_total : (int)(b->n - tlv_start));
	put16(b->d + tlv_start + 2, total);
	return b->n;
}

static struct raw_spec base_spec(void)
{
	struct raw_spec s;
	memset(&s, 0, sizeof s);
	s.hdr_size = 32;
	s.img_size = 64;
	s.payload_len = 64;
	s.prot_hdr = -1;
	s.prot_info_total = -1;
	s.tlv_total = -1;
	return s;
}

static enum bo_image_err raw_verify(struct vctx *v, const struct raw_spec *s, uint32_t limit)
{
	static struct rb b;
	size_t n = build_raw(&b, s);
	return vverify(v, b.d, n, limit ? limit : (uint32_t)n, NULL);
}

static void test_malformed_header(void **state)
{
	(void)state;
	struct vctx v;
	vctx_init(&v);
	vctx_trust(&v, key_a);
	struct raw_spec s = base_spec();
	/* well-formed but unsigned */
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_NO_SIGNATURE);
	s.hdr_size = 16;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_HEADER);
	s.hdr_size = 0;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_HEADER);
	/* large header: fine (imgtool -H 0x200) */
	s = base_spec();
	s.hdr_size = 0x200;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_NO_SIGNATURE);
	/* encrypted and compressed images */
	s = base_spec();
	s.flags = BO_IMAGE_F_ENCRYPTED_AES128;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_ENCRYPTED);
	s.flags = BO_IMAGE_F_ENCRYPTED_AES256 | BO_IMAGE_F_RAM_LOAD;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_ENCRYPTED);
	s.flags = BO_IMAGE_F_COMPRESSED_LZMA2;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_UNSUPPORTED_FLAGS);
	/* informational flags are accepted */
	s.flags = BO_IMAGE_F_NON_BOOTABLE | BO_IMAGE_F_ROM_FIXED | BO_IMAGE_F_RAM_LOAD;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_NO_SIGNATURE);
	vctx_free(&v);
}

static void test_overflow_sizes(void **state)
{
	(void)state;
	struct vctx v;
	vctx_init(&v);
	struct raw_spec s = base_spec();
	/* img_size past the slot, up to the u32 maximum: no wrap-around */
	const uint32_t sizes[] = {1000, 0x7fffffff, 0xfffffff0, 0xffffffdc, 0xffffffff};
	for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		s.img_size = sizes[i];
		assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_TOO_BIG);
	}
	/* hdr_size huge too */
	s.hdr_size = 0xffff;
	s.payload_len = 0;
	s.img_size = 0xffffffff;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_TOO_BIG);
	/* protect_tlv_size huge */
	s = base_spec();
	s.prot_hdr = 0xffff;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_TOO_BIG);
	/* unprotected total past the end */
	s = base_spec();
	s.tlv_total = 0xffff;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_TOO_BIG);
	/* img_size smaller than the payload: the TLV magic is not where it should be */
	s = base_spec();
	s.img_size = 60;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	vctx_free(&v);
}

static void test_tlv_bounds(void **state)
{
	(void)state;
	struct vctx v;
	vctx_init(&v);
	struct raw_spec s = base_spec();
	/* a TLV whose length runs past the end of its area */
	static const uint8_t junk[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	s.extra[0].type = 0x7f;
	s.extra[0].len = 8;
	s.extra[0].data = junk;
	s.n_extra = 1;
	s.tlv_total = 4 + 36 + 4 + 4; /* cuts the extra TLV's value in half */
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	/* a TLV header cut short */
	s.tlv_total = 4 + 36 + 2;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	/* total smaller than the info header */
	s.tlv_total = 3;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	/* total 4: an empty area, so no hash */
	s.tlv_total = 4;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_NO_HASH);
	/* wrong info magic */
	s = base_spec();
	s.tlv_magic = 0x6906;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	/* SHA256 of the wrong length */
	s = base_spec();
	s.sha_len = 31;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	/* no hash TLV */
	s = base_spec();
	s.no_sha = true;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_NO_HASH);
	vctx_free(&v);
}

static void test_protected_mismatch(void **state)
{
	(void)state;
	struct vctx v;
	vctx_init(&v);
	struct raw_spec s = base_spec();
	s.prot = true;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_NO_SIGNATURE);
	/* header says 8, the area says 9 */
	s.prot_hdr = 8;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	/* header says 0 but a protected area is there */
	s.prot_hdr = 0;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	/* header and info agree, but the TLV inside overruns it */
	s.prot_hdr = 8;
	s.prot_info_total = 8;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	/* a protected size below the info header */
	s = base_spec();
	s.prot_hdr = 2;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	/* header says there is a protected area, but the unprotected one is found */
	s.prot_hdr = 8;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	/* wrong protected magic */
	s = base_spec();
	s.prot = true;
	s.prot_magic = 0x6909;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_TLV);
	vctx_free(&v);
}

static void test_unknown_tlvs_ignored(void **state)
{
	(void)state;
	struct vctx v;
	vctx_init(&v);
	vctx_trust(&v, key_a);
	/* a signed image with an unknown protected TLV (imgtool --custom-tlv) */
	static const uint8_t val[5] = {9, 8, 7, 6, 5};
	struct bo_imagegen_tlv ct[2] = {{0xbeef, 5, val}, {0xa5, 0, NULL}};
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	o.pad_header = true;
	o.custom_tlvs = ct;
	o.custom_tlv_count = 2;
	size_t len;
	uint8_t *img = make(key_a, 300, &o, &len);
	struct bo_image_info info;
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, &info), BO_IMG_OK);
	assert_int_equal(info.prot_tlv_size, 4 + 9 + 4);

	/* splice unknown TLVs into the unprotected area: before the hash and at the end */
	static struct rb b;
	memset(&b, 0, sizeof b);
	rb_bytes(&b, img, info.tlv_off);
	size_t start = b.n;
	rb_u16(&b, BO_TLV_INFO_MAGIC);
	rb_u16(&b, 0);
	rb_tlv(&b, 0x7e, val, 5);
	rb_tlv(&b, 0x1234, NULL, 0);
	rb_bytes(&b, img + info.tlv_off + 4, info.tlv_size - 4);
	rb_tlv(&b, 0xfff0, val, 3);
	put16(b.d + start + 2, (uint16_t)(b.n - start));
	assert_int_equal(vverify(&v, b.d, b.n, (uint32_t)b.n, &info), BO_IMG_OK);
	assert_int_equal(info.total_size, b.n);

	/* find them */
	struct bo_ramflash rf;
	bo_ramflash_init(&rf, b.d, (uint32_t)b.n, 0, 1, 0xff);
	uint32_t off;
	uint16_t tl;
	assert_int_equal(bo_image_find_tlv(&rf.area, &info, 0xbeef, true, &off, &tl), 0);
	assert_int_equal(tl, 5);
	assert_memory_equal(b.d + off, val, 5);
	assert_int_equal(bo_image_find_tlv(&rf.area, &info, 0xa5, true, &off, &tl), 0);
	assert_int_equal(tl, 0);
	assert_int_equal(bo_image_find_tlv(&rf.area, &info, 0x7e, true, &off, &tl), 1);
	assert_int_equal(bo_image_find_tlv(&rf.area, &info, 0x7e, false, &off, &tl), 0);
	assert_int_equal(tl, 5);
	assert_int_equal(bo_image_find_tlv(&rf.area, &info, BO_TLV_SHA256, false, &off, &tl), 0);
	assert_int_equal(tl, 32);
	assert_memory_equal(b.d + off, info.hash, 32);
	assert_int_equal(bo_image_find_tlv(&rf.area, &info, 0x4242, false, &off, &tl), 1);
	vctx_free(&v);
	free(img);
}

static void test_unsupported_signatures(void **state)
{
	(void)state;
	struct vctx v;
	vctx_init(&v);
	vctx_trust(&v, key_a);
	uint8_t kh_a[32], kh48[48], sig384[103], ed[64], rsa[256];
	sha256(v.spki[0], BO_P256_SPKI_LEN, kh_a);
	memset(kh48, 0x11, sizeof kh48);
	memset(sig384, 0x22, sizeof sig384);
	sig384[0] = 0x30;
	sig384[1] = 101;
	memset(ed, 0x33, sizeof ed);
	memset(rsa, 0x44, sizeof rsa);

	/* P-384 as imgtool makes it: SHA384 hash, 48-byte key hash, 0x22 signature */
	struct raw_spec s = base_spec();
	s.no_sha = true;
	s.sha384 = true;
	s.extra[0].type = BO_TLV_KEYHASH;
	s.extra[0].len = 48;
	s.extra[0].data = kh48;
	s.extra[1].type = BO_TLV_ECDSA_SIG;
	s.extra[1].len = sizeof sig384;
	s.extra[1].data = sig384;
	s.n_extra = 2;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_UNSUPPORTED_SIG);
	/* the same with a SHA256 hash (P-384 key, SHA-256 image hash) */
	s.no_sha = false;
	s.sha384 = false;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_UNSUPPORTED_SIG);
	/* a 0x22 signature too long for P-256 after a trusted P-256 key hash */
	s.extra[0].len = 32;
	s.extra[0].data = kh_a;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_UNSUPPORTED_SIG);
	/* Ed25519 by a trusted key hash */
	s.extra[1].type = BO_TLV_ED25519;
	s.extra[1].len = sizeof ed;
	s.extra[1].data = ed;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_UNSUPPORTED_SIG);
	/* RSA-2048 and RSA-3072 */
	s.extra[1].type = BO_TLV_RSA2048_PSS;
	s.extra[1].len = sizeof rsa;
	s.extra[1].data = rsa;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_UNSUPPORTED_SIG);
	s.extra[1].type = BO_TLV_RSA3072_PSS;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_UNSUPPORTED_SIG);
	/* an untrusted P-256 key hash with a P-256-sized signature: no trusted key */
	uint8_t sig72[70];
	memset(sig72, 0x55, sizeof sig72);
	kh_a[0] ^= 1;
	s.extra[1].type = BO_TLV_ECDSA_SIG;
	s.extra[1].len = sizeof sig72;
	s.extra[1].data = sig72;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_NO_TRUSTED_KEY);
	/* a trusted key hash with a garbage P-256 signature: bad signature */
	kh_a[0] ^= 1;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_BAD_SIGNATURE);
	/* a signature with no key hash before it: no trusted key */
	s.extra[0] = s.extra[1];
	s.n_extra = 1;
	assert_int_equal(raw_verify(&v, &s, 0), BO_IMG_E_NO_TRUSTED_KEY);
	vctx_free(&v);
}

/* A trusted key's hash with another key's (valid) signature: bad signature. */
static void test_bad_signature_swapped(void **state)
{
	(void)state;
	struct vctx v;
	size_t la, lb;
	uint8_t *a = make(key_a, 400, NULL, &la);
	uint8_t *b = make(key_b, 400, NULL, &lb);
	vctx_init(&v);
	vctx_trust(&v, key_a);
	struct bo_image_info ia;
	assert_int_equal(vverify(&v, a, la, (uint32_t)la, &ia), BO_IMG_OK);
	/* same payload and header, so the same hash: a's KEYHASH, then b's signature */
	uint32_t sig_off = ia.tlv_off + 4 + 36 + 36;
	assert_memory_equal(a, b, ia.tlv_off);
	assert_memory_equal(a + ia.tlv_off + 4, b + ia.tlv_off + 4, 36);
	static struct rb m;
	memset(&m, 0, sizeof m);
	rb_bytes(&m, a, sig_off);
	rb_bytes(&m, b + sig_off, lb - sig_off);
	memcpy(m.d + ia.tlv_off, b + ia.tlv_off, 4); /* b's TLV area total */
	assert_int_equal(vverify(&v, m.d, m.n, (uint32_t)m.n, NULL), BO_IMG_E_BAD_SIGNATURE);
	vctx_free(&v);
	free(a);
	free(b);
}

/* imgtool --pad-sig: a signature zero-padded to 72 bytes still verifies. */
static void test_padded_signature(void **state)
{
	(void)state;
	struct vctx v;
	size_t len;
	uint8_t *img = make(key_a, 128, NULL, &len);
	vctx_init(&v);
	vctx_trust(&v, key_a);
	struct bo_image_info info;
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, &info), BO_IMG_OK);
	uint32_t sig_tlv = info.tlv_off + 4 + 36 + 36;
	uint16_t sig_len = (uint16_t)(img[sig_tlv + 2] | (img[sig_tlv + 3] << 8));
	assert_true(sig_len <= 72);
	static struct rb b;
	memset(&b, 0, sizeof b);
	rb_bytes(&b, img, len);
	rb_fill(&b, 0, 72u - sig_len);
	put16(b.d + sig_tlv + 2, 72);
	put16(b.d + info.tlv_off + 2, (uint16_t)(info.tlv_size + 72u - sig_len));
	if (sig_len < 72) {
		assert_int_equal(vverify(&v, b.d, b.n, (uint32_t)b.n, NULL), BO_IMG_OK);
		/* non-zero padding is not padding */
		b.d[b.n - 1] = 1;
		assert_int_equal(vverify(&v, b.d, b.n, (uint32_t)b.n, NULL), BO_IMG_E_BAD_SIGNATURE);
	}
	vctx_free(&v);
	free(img);
}

static void test_limit(void **state)
{
	(void)state;
	struct vctx v;
	size_t len;
	uint8_t *img = make(key_a, 1024, NULL, &len);
	vctx_init(&v);
	vctx_trust(&v, key_a);
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, NULL), BO_IMG_OK);
	assert_int_equal(vverify(&v, img, len, (uint32_t)len - 1, NULL), BO_IMG_E_TOO_BIG);
	assert_int_equal(vverify(&v, img, len, 1024, NULL), BO_IMG_E_TOO_BIG);
	assert_int_equal(vverify(&v, img, len, 0, NULL), BO_IMG_E_TOO_BIG);
	/* a limit beyond the slot is clamped to the slot */
	assert_int_equal(vverify(&v, img, len, 0xffffffff, NULL), BO_IMG_OK);
	/* the slot itself too short (image truncated) */
	assert_int_equal(vverify(&v, img, len - 1, 0xffffffff, NULL), BO_IMG_E_TOO_BIG);
	vctx_free(&v);
	free(img);
}

static int failing_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct bo_ramflash *rf = dev;
	if (off + len > 100) /* fail beyond byte 100 */
		return -5;
	memcpy(buf, rf->data + off, len);
	return 0;
}

static void test_flash_error(void **state)
{
	(void)state;
	struct vctx v;
	size_t len;
	uint8_t *img = make(key_a, 1024, NULL, &len);
	vctx_init(&v);
	vctx_trust(&v, key_a);
	struct bo_ramflash rf;
	bo_ramflash_init(&rf, img, (uint32_t)len, 0, 1, 0xff);
	rf.flash.read = failing_read;
	assert_int_equal(bo_image_verify(&rf.area, (uint32_t)len, &v.crypto, &v.ring, NULL),
			 BO_IMG_E_FLASH);
	vctx_free(&v);
	free(img);
}

static void test_versions(void **state)
{
	(void)state;
	struct bo_image_version a = {1, 0, 0, 1}, b = {1, 0, 0, 2}, c = {1, 1, 0, 0},
				d = {0, 255, 65535, 0xffffffff}, e = {1, 0, 1, 0};
	assert_true(bo_version_cmp(&a, &b) < 0);
	assert_true(bo_version_cmp(&b, &a) > 0);
	assert_true(bo_version_cmp(&a, &a) == 0);
	assert_true(bo_version_cmp(&b, &c) < 0);
	assert_true(bo_version_cmp(&d, &a) < 0);
	assert_true(bo_version_cmp(&e, &b) > 0);
	assert_true(bo_version_cmp(&e, &c) < 0);
	assert_int_equal(bo_image_check_downgrade(&a, &b), BO_IMG_E_DOWNGRADE);
	assert_int_equal(bo_image_check_downgrade(&b, &a), BO_IMG_OK);
	assert_int_equal(bo_image_check_downgrade(&a, &a), BO_IMG_OK);
}

static void test_behaviour(void **state)
{
	(void)state;
	struct vctx v;
	vctx_init(&v);
	vctx_trust(&v, key_a);
	for (int beh = -1; beh <= 4; beh++) {
		struct bo_imagegen_opts o;
		bo_imagegen_opts_init(&o);
		o.pad_header = true;
		o.behaviour = beh;
		size_t len;
		uint8_t *img = make(key_a, 256, &o, &len);
		struct bo_ramflash rf;
		struct bo_image_info info;
		bo_ramflash_init(&rf, img, (uint32_t)len, 0, 1, 0xff);
		assert_int_equal(bo_image_verify(&rf.area, (uint32_t)len, &v.crypto, &v.ring, &info),
				 BO_IMG_OK);
		enum bo_app_behaviour out;
		int rc = bo_image_behaviour(&rf.area, &info, &out);
		if (beh <= BO_APP_BEHAVIOUR_MAX) {
			assert_int_equal(rc, 0);
			assert_int_equal(out, beh < 0 ? BO_APP_GOOD : beh);
		} else {
			assert_int_equal(rc, -1);
			assert_int_equal(out, BO_APP_GOOD);
		}
		free(img);
	}
	/* behaviour TLV in the unprotected area does not count */
	struct raw_spec s = base_spec();
	uint8_t crash = BO_APP_CRASH_ON_BOOT;
	s.extra[0].type = BO_TLV_BEHAVIOUR;
	s.extra[0].len = 1;
	s.extra[0].data = &crash;
	s.n_extra = 1;
	static struct rb b;
	size_t n = build_raw(&b, &s);
	struct bo_ramflash rf;
	struct bo_image_info info;
	bo_ramflash_init(&rf, b.d, (uint32_t)n, 0, 1, 0xff);
	assert_int_equal(bo_image_parse(&rf.area, (uint32_t)n, &info), BO_IMG_OK);
	enum bo_app_behaviour out;
	assert_int_equal(bo_image_behaviour(&rf.area, &info, &out), 0);
	assert_int_equal(out, BO_APP_GOOD);
	/* find_tlv refuses an info whose layout was not checked */
	struct bo_image_info empty;
	memset(&empty, 0, sizeof empty);
	uint32_t off;
	uint16_t tl;
	assert_int_equal(bo_image_find_tlv(&rf.area, &empty, 1, false, &off, &tl), -1);
	vctx_free(&v);
}

static void test_pubkey_tlv(void **state)
{
	(void)state;
	struct vctx v;
	vctx_init(&v);
	vctx_trust(&v, key_a);
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	o.pad_header = true;
	o.pubkey_full = true;
	size_t len;
	uint8_t *img = make(key_a, 256, &o, &len);
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, NULL), BO_IMG_OK);
	free(img);
	img = make(key_b, 256, &o, &len);
	assert_int_equal(vverify(&v, img, len, (uint32_t)len, NULL), BO_IMG_E_NO_TRUSTED_KEY);
	free(img);
	vctx_free(&v);
}

static void test_strings(void **state)
{
	(void)state;
	for (int e = 0; e <= BO_IMG_E_COUNT_; e++) {
		assert_non_null(bo_image_strerror((enum bo_image_err)e));
		assert_non_null(bo_image_errname((enum bo_image_err)e));
	}
	assert_string_equal(bo_image_errname(BO_IMG_E_HASH_MISMATCH), "hash-mismatch");
	assert_non_null(strstr(bo_image_strerror(BO_IMG_E_NO_TRUSTED_KEY), "trusted key"));
	assert_non_null(strstr(bo_image_strerror(BO_IMG_E_UNSUPPORTED_SIG), "unsupported"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_bitflips),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_unsigned),
		cmocka_unit_test(test_erased_and_magic),
		cmocka_unit_test(test_read_header),
		cmocka_unit_test(test_malformed_header),
		cmocka_unit_test(test_overflow_sizes),
		cmocka_unit_test(test_tlv_bounds),
		cmocka_unit_test(test_protected_mismatch),
		cmocka_unit_test(test_unknown_tlvs_ignored),
		cmocka_unit_test(test_unsupported_signatures),
		cmocka_unit_test(test_bad_signature_swapped),
		cmocka_unit_test(test_padded_signature),
		cmocka_unit_test(test_limit),
		cmocka_unit_test(test_flash_error),
		cmocka_unit_test(test_versions),
		cmocka_unit_test(test_behaviour),
		cmocka_unit_test(test_pubkey_tlv),
		cmocka_unit_test(test_strings),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
