/*
 * tests/boot/test_imagegen.c: sim/imagegen.h: keys (PEM forms, seeds, RFC 6979), the
 * image builder's byte layout (imgtool's), its refusals, the RAM flash.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>

#include "core/boot/trailer.h"
#include "tests/boot/boot_test_util.h"

static char err[BO_IMAGEGEN_ERRLEN];

static void test_seed_keys(void **state)
{
	(void)state;
	struct bo_signkey *a, *a2, *b;
	uint8_t sa[BO_P256_SPKI_LEN], sa2[BO_P256_SPKI_LEN], sb[BO_P256_SPKI_LEN];
	assert_int_equal(bo_signkey_from_seed(7, &a, err, sizeof err), 0);
	assert_int_equal(bo_signkey_from_seed(7, &a2, err, sizeof err), 0);
	assert_int_equal(bo_signkey_from_seed(8, &b, err, sizeof err), 0);
	assert_true(bo_signkey_has_private(a));
	assert_int_equal(bo_signkey_spki(a, sa), 0);
	assert_int_equal(bo_signkey_spki(a2, sa2), 0);
	assert_int_equal(bo_signkey_spki(b, sb), 0);
	assert_memory_equal(sa, sa2, sizeof sa);
	assert_memory_not_equal(sa, sb, sizeof sa);
	/* SPKI DER header for an uncompressed P-256 point */
	static const uint8_t spki_hdr[] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
					   0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48,
					   0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00, 0x04};
	assert_memory_equal(sa, spki_hdr, sizeof spki_hdr);
	/* the private PEM is stable across runs for a seed */
	char *p1, *p2;
	assert_int_equal(bo_signkey_private_pem(a, &p1, err, sizeof err), 0);
	assert_int_equal(bo_signkey_private_pem(a2, &p2, err, sizeof err), 0);
	assert_string_equal(p1, p2);
	free(p1);
	free(p2);
	bo_signkey_free(a);
	bo_signkey_free(a2);
	bo_signkey_free(b);
}

static void test_pem_roundtrip(void **state)
{
	(void)state;
	struct bo_signkey *k, *k2, *pub;
	uint8_t s1[BO_P256_SPKI_LEN], s2[BO_P256_SPKI_LEN];
	char *pem, *ppem;
	assert_int_equal(bo_signkey_generate(&k, err, sizeof err), 0);
	assert_int_equal(bo_signkey_private_pem(k, &pem, err, sizeof err), 0);
	/* imgtool's form: PKCS#8, 241 bytes for P-256 */
	assert_int_equal(strncmp(pem, "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49"
				      "AwEHBG0wawIBAQQg", 76), 0);
	assert_int_equal(strlen(pem), 241);
	assert_int_equal(bo_signkey_load_pem(pem, strlen(pem), &k2, err, sizeof err), 0);
	assert_true(bo_signkey_has_private(k2));
	assert_int_equal(bo_signkey_spki(k, s1), 0);
	assert_int_equal(bo_signkey_spki(k2, s2), 0);
	assert_memory_equal(s1, s2, sizeof s1);
	/* public PEM */
	assert_int_equal(bo_signkey_public_pem(k, &ppem, err, sizeof err), 0);
	assert_int_equal(strncmp(ppem, "-----BEGIN PUBLIC KEY-----\n", 27), 0);
	assert_int_equal(bo_signkey_load_pem(ppem, strlen(ppem), &pub, err, sizeof err), 0);
	assert_false(bo_signkey_has_private(pub));
	assert_int_equal(bo_signkey_spki(pub, s2), 0);
	assert_memory_equal(s1, s2, sizeof s1);
	/* a public key cannot sign or export a private PEM */
	uint8_t d[32] = {0}, sig[BO_P256_SIG_MAX];
	size_t sl;
	char *x;
	assert_int_equal(bo_signkey_sign_digest(pub, d, sig, &sl), -1);
	assert_int_equal(bo_signkey_private_pem(pub, &x, err, sizeof err), -1);
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	o.pad_header = true;
	uint8_t *img;
	size_t ilen;
	assert_int_equal(bo_imagegen_build(&o, pub, d, sizeof d, &img, &ilen, err, sizeof err), -1);
	assert_non_null(strstr(err, "public key"));

	/* SEC1 "EC PRIVATE KEY", as openssl ecparam writes it */
	mbedtls_pk_context pk;
	mbedtls_pk_init(&pk);
	assert_int_equal(mbedtls_pk_parse_key(&pk, (const unsigned char *)pem, strlen(pem) + 1,
					      NULL, 0), 0);
	unsigned char sec1[512];
	assert_int_equal(mbedtls_pk_write_key_pem(&pk, sec1, sizeof sec1), 0);
	assert_non_null(strstr((char *)sec1, "BEGIN EC PRIVATE KEY"));
	struct bo_signkey *k3;
	assert_int_equal(bo_signkey_load_pem(sec1, strlen((char *)sec1), &k3, err, sizeof err), 0);
	assert_true(bo_signkey_has_private(k3));
	assert_int_equal(bo_signkey_spki(k3, s2), 0);
	assert_memory_equal(s1, s2, sizeof s1);
	mbedtls_pk_free(&pk);

	free(pem);
	free(ppem);
	bo_signkey_free(k);
	bo_signkey_free(k2);
	bo_signkey_free(k3);
	bo_signkey_free(pub);
}

static void test_bad_keys(void **state)
{
	(void)state;
	struct bo_signkey *k = (struct bo_signkey *)1;
	assert_int_equal(bo_signkey_load_pem("", 0, &k, err, sizeof err), -1);
	assert_null(k);
	assert_int_equal(bo_signkey_load_pem("hello", 5, &k, err, sizeof err), -1);
	assert_non_null(strstr(err, "PEM"));
	const char *trunc = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\n"
			    "-----END PRIVATE KEY-----\n";
	assert_int_equal(bo_signkey_load_pem(trunc, strlen(trunc), &k, err, sizeof err), -1);
	const char *enc = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n"
			  "-----END ENCRYPTED PRIVATE KEY-----\n";
	assert_int_equal(bo_signkey_load_pem(enc, strlen(enc), &k, err, sizeof err), -1);
	assert_non_null(strstr(err, "password"));
	assert_int_equal(bo_signkey_load_file("/nonexistent/key.pem", &k, err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/key.pem"));

	/* a P-384 key is refused with a reason */
	mbedtls_pk_context pk;
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_pk_init(&pk);
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	assert_int_equal(mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, NULL, 0), 0);
	assert_int_equal(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	assert_int_equal(mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP384R1, mbedtls_pk_ec(pk),
					     mbedtls_ctr_drbg_random, &drbg), 0);
	unsigned char pem[1024];
	assert_int_equal(mbedtls_pk_write_key_pem(&pk, pem, sizeof pem), 0);
	assert_int_equal(bo_signkey_load_pem(pem, strlen((char *)pem), &k, err, sizeof err), -1);
	assert_non_null(strstr(err, "P-256"));
	assert_int_equal(mbedtls_pk_write_pubkey_pem(&pk, pem, sizeof pem), 0);
	assert_int_equal(bo_signkey_load_pem(pem, strlen((char *)pem), &k, err, sizeof err), -1);
	assert_non_null(strstr(err, "secp384r1"));
	mbedtls_pk_free(&pk);
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
}

/* RFC 6979 A.2.5: P-256, SHA-256, message "sample". */
static void test_rfc6979(void **state)
{
	(void)state;
	static const uint8_t x[32] = {
		0xC9, 0xAF, 0xA9, 0xD8, 0x45, 0xBA, 0x75, 0x16, 0x6B, 0x5C, 0x21, 0x57, 0x67, 0xB1, 0xD6, 0x93,
		0x4E, 0x50, 0xC3, 0xDB, 0x36, 0xE8, 0x9B, 0x12, 0x7B, 0x8A, 0x62, 0x2B, 0x12, 0x0F, 0x67, 0x21};
	static const uint8_t r[32] = {
		0xEF, 0xD4, 0x8B, 0x2A, 0xAC, 0xB6, 0xA8, 0xFD, 0x11, 0x40, 0xDD, 0x9C, 0xD4, 0x5E, 0x81, 0xD6,
		0x9D, 0x2C, 0x87, 0x7B, 0x56, 0xAA, 0xF9, 0x91, 0xC3, 0x4D, 0x0E, 0xA8, 0x4E, 0xAF, 0x37, 0x16};
	static const uint8_t s[32] = {
		0xF7, 0xCB, 0x1C, 0x94, 0x2D, 0x65, 0x7C, 0x41, 0xD4, 0x36, 0xC7, 0xA1, 0xB6, 0xE2, 0x9F, 0x65,
		0xF3, 0xE9, 0x00, 0xDB, 0xB9, 0xAF, 0xF4, 0x06, 0x4D, 0xC4, 0xAB, 0x2F, 0x84, 0x3A, 0xCD, 0xA8};
	mbedtls_pk_context pk;
	mbedtls_pk_init(&pk);
	assert_int_equal(mbedtls_pk_setup(&pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)), 0);
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(pk);
	assert_int_equal(mbedtls_ecp_group_load(&ec->grp, MBEDTLS_ECP_DP_SECP256R1), 0);
	assert_int_equal(mbedtls_mpi_read_binary(&ec->d, x, 32), 0);
	assert_int_equal(mbedtls_ecp_mul(&ec->grp, &ec->Q, &ec->d, &ec->grp.G, NULL, NULL), 0);
	unsigned char pem[1024];
	assert_int_equal(mbedtls_pk_write_key_pem(&pk, pem, sizeof pem), 0);
	mbedtls_pk_free(&pk);

	struct bo_signkey *k;
	assert_int_equal(bo_signkey_load_pem(pem, strlen((char *)pem), &k, err, sizeof err), 0);
	uint8_t digest[32], sig[BO_P256_SIG_MAX], sig2[BO_P256_SIG_MAX];
	size_t sl, sl2;
	sha256("sample", 6, digest);
	assert_int_equal(bo_signkey_sign_digest(k, digest, sig, &sl), 0);
	/* both r and s have the top bit set: 30 46 02 21 00 r 02 21 00 s */
	assert_int_equal(sl, 72);
	assert_int_equal(sig[0], 0x30);
	assert_int_equal(sig[1], 70);
	assert_int_equal(sig[2], 0x02);
	assert_int_equal(sig[3], 33);
	assert_int_equal(sig[4], 0);
	assert_memory_equal(sig + 5, r, 32);
	assert_int_equal(sig[37], 0x02);
	assert_int_equal(sig[38], 33);
	assert_int_equal(sig[39], 0);
	assert_memory_equal(sig + 40, s, 32);
	assert_int_equal(bo_signkey_sign_digest(k, digest, sig2, &sl2), 0);
	assert_int_equal(sl, sl2);
	assert_memory_equal(sig, sig2, sl);

	/* and the crypto port verifies it */
	struct vctx v;
	vctx_init(&v);
	uint8_t spki[BO_P256_SPKI_LEN];
	assert_int_equal(bo_signkey_spki(k, spki), 0);
	assert_int_equal(v.crypto.ecdsa_p256_verify(v.crypto.ctx, spki, sizeof spki, digest, sig, sl), 0);
	digest[0] ^= 1;
	assert_int_not_equal(v.crypto.ecdsa_p256_verify(v.crypto.ctx, spki, sizeof spki, digest, sig, sl), 0);
	digest[0] ^= 1;
	/* trailing garbage after the DER signature is refused by the port */
	uint8_t longer[BO_P256_SIG_MAX + 1];
	memcpy(longer, sig, sl);
	longer[sl] = 0;
	assert_int_not_equal(v.crypto.ecdsa_p256_verify(v.crypto.ctx, spki, sizeof spki, digest,
							 longer, sl + 1), 0);
	/* a malformed key */
	spki[0] = 0x31;
	assert_int_not_equal(v.crypto.ecdsa_p256_verify(v.crypto.ctx, spki, sizeof spki, digest, sig, sl), 0);
	vctx_free(&v);
	bo_signkey_free(k);
}

/* Short DER integers: many signatures, all verify, all well-formed. */
static void test_sign_many(void **state)
{
	(void)state;
	struct bo_signkey *k;
	struct vctx v;
	uint8_t spki[BO_P256_SPKI_LEN];
	assert_int_equal(bo_signkey_from_seed(99, &k, err, sizeof err), 0);
	assert_int_equal(bo_signkey_spki(k, spki), 0);
	vctx_init(&v);
	int lens[73] = {0};
	for (uint32_t i = 0; i < 300; i++) {
		uint8_t d[32], sig[BO_P256_SIG_MAX];
		size_t sl;
		sha256(&i, sizeof i, d);
		assert_int_equal(bo_signkey_sign_digest(k, d, sig, &sl), 0);
		assert_true(sl >= 8 && sl <= 72);
		assert_int_equal(sig[1], sl - 2);
		lens[sl]++;
		assert_int_equal(v.crypto.ecdsa_p256_verify(v.crypto.ctx, spki, sizeof spki, d, sig, sl), 0);
	}
	assert_true(lens[70] + lens[71] + lens[72] > 250);
	vctx_free(&v);
	bo_signkey_free(k);
}

static void test_crypto_port(void **state)
{
	(void)state;
	struct vctx v;
	vctx_init(&v);
	/* SHA-256 streaming = one shot */
	uint8_t a[32], b[32];
	v.crypto.sha256_start(v.crypto.ctx);
	v.crypto.sha256_update(v.crypto.ctx, "ab", 2);
	v.crypto.sha256_update(v.crypto.ctx, "c", 1);
	v.crypto.sha256_finish(v.crypto.ctx, a);
	sha256("abc", 3, b);
	assert_memory_equal(a, b, 32);
	/* AES-CMAC, RFC 4493 examples 1 and 2 */
	static const uint8_t key[16] = {0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
					0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c};
	static const uint8_t m2[16] = {0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
				       0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a};
	static const uint8_t t1[16] = {0xbb, 0x1d, 0x69, 0x29, 0xe9, 0x59, 0x37, 0x28,
				       0x7f, 0xa3, 0x7d, 0x12, 0x9b, 0x75, 0x67, 0x46};
	static const uint8_t t2[16] = {0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44,
				       0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a, 0x28, 0x7c};
	uint8_t mac[16];
	assert_int_equal(v.crypto.aes_cmac(v.crypto.ctx, key, NULL, 0, mac), 0);
	assert_memory_equal(mac, t1, 16);
	assert_int_equal(v.crypto.aes_cmac(v.crypto.ctx, key, m2, 16, mac), 0);
	assert_memory_equal(mac, t2, 16);
	/* NULL inputs are errors, not crashes */
	assert_int_not_equal(v.crypto.ecdsa_p256_verify(v.crypto.ctx, NULL, 0, a, NULL, 0), 0);
	vctx_free(&v);
}

static uint8_t *build(const struct bo_imagegen_opts *o, const struct bo_signkey *k,
		      const uint8_t *payload, size_t plen, size_t *len)
{
	uint8_t *img = NULL;
	if (bo_imagegen_build(o, k, payload, plen, &img, len, err, sizeof err) != 0)
		fail_msg("build: %s", err);
	return img;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void test_layout_unsigned(void **state)
{
	(void)state;
	uint8_t payload[100];
	bo_imagegen_fill_payload(payload, sizeof payload, 5);
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	o.pad_header = true;
	o.version = (struct bo_image_version){3, 4, 0x506, 0x708090a};
	size_t len;
	uint8_t *img = build(&o, NULL, payload, sizeof payload, &len);
	assert_int_equal(len, 32 + 100 + 4 + 36);
	assert_int_equal(le32(img), BO_IMAGE_MAGIC);
	assert_int_equal(le32(img + 4), 0);
	assert_int_equal(le16(img + 8), 32);
	assert_int_equal(le16(img + 10), 0);
	assert_int_equal(le32(img + 12), 100);
	assert_int_equal(le32(img + 16), 0);
	assert_int_equal(img[20], 3);
	assert_int_equal(img[21], 4);
	assert_int_equal(le16(img + 22), 0x506);
	assert_int_equal(le32(img + 24), 0x708090a);
	assert_int_equal(le32(img + 28), 0);
	assert_memory_equal(img + 32, payload, 100);
	assert_int_equal(le16(img + 132), 0x6907);
	assert_int_equal(le16(img + 134), 40);
	assert_int_equal(le16(img + 136), 0x10);
	assert_int_equal(le16(img + 138), 32);
	uint8_t h[32];
	sha256(img, 132, h);
	assert_memory_equal(img + 140, h, 32);
	free(img);

	/* without --pad-header: the payload's zero prefix becomes the header */
	uint8_t p2[0x200 + 10];
	memset(p2, 0, sizeof p2);
	memset(p2 + 0x200, 0xab, 10);
	o.pad_header = false;
	o.header_size = 0x200;
	img = build(&o, NULL, p2, sizeof p2, &len);
	assert_int_equal(le16(img + 8), 0x200);
	assert_int_equal(le32(img + 12), 10);
	assert_int_equal(img[32], 0); /* header padding stays zero */
	assert_int_equal(img[0x1ff], 0);
	assert_int_equal(img[0x200], 0xab);
	free(img);
	/* with --pad-header and a large header: erased padding */
	o.pad_header = true;
	img = build(&o, NULL, payload, 10, &len);
	assert_int_equal(img[32], 0xff);
	assert_int_equal(img[0x1ff], 0xff);
	assert_int_equal(le32(img + 12), 10);
	free(img);
	o.erased_val = 0;
	img = build(&o, NULL, payload, 10, &len);
	assert_int_equal(img[32], 0x00);
	free(img);
}

static void test_layout_signed(void **state)
{
	(void)state;
	struct bo_signkey *k;
	assert_int_equal(bo_signkey_from_seed(3, &k, err, sizeof err), 0);
	uint8_t payload[300], spki[BO_P256_SPKI_LEN], kh[32];
	bo_imagegen_fill_payload(payload, sizeof payload, 6);
	assert_int_equal(bo_signkey_spki(k, spki), 0);
	sha256(spki, sizeof spki, kh);
	static const uint8_t v1[3] = {1, 2, 3};
	struct bo_imagegen_tlv ct[2] = {{0xa5, 3, v1}, {0x1234, 0, NULL}};
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	o.pad_header = true;
	o.behaviour = BO_APP_NO_CONFIRM;
	o.has_security_counter = true;
	o.security_counter = 0x01020003;
	o.custom_tlvs = ct;
	o.custom_tlv_count = 2;
	size_t len;
	uint8_t *img = build(&o, k, payload, sizeof payload, &len);
	/* protected: SEC_CNT, BEHAVIOUR, custom in order */
	uint32_t p = 32 + 300;
	uint16_t prot = (uint16_t)(4 + 8 + 5 + 7 + 4);
	assert_int_equal(le16(img + 10), prot);
	assert_int_equal(le16(img + p), 0x6908);
	assert_int_equal(le16(img + p + 2), prot);
	assert_int_equal(le16(img + p + 4), 0x50);
	assert_int_equal(le16(img + p + 6), 4);
	assert_int_equal(le32(img + p + 8), 0x01020003);
	assert_int_equal(le16(img + p + 12), 0xa0);
	assert_int_equal(le16(img + p + 14), 1);
	assert_int_equal(img[p + 16], 1);
	assert_int_equal(le16(img + p + 17), 0xa5);
	assert_int_equal(le16(img + p + 19), 3);
	assert_memory_equal(img + p + 21, v1, 3);
	assert_int_equal(le16(img + p + 24), 0x1234);
	assert_int_equal(le16(img + p + 26), 0);
	/* unprotected: SHA256, KEYHASH, ECDSA_SIG */
	uint32_t u = p + prot;
	uint8_t h[32];
	sha256(img, u, h);
	assert_int_equal(le16(img + u), 0x6907);
	assert_int_equal(le16(img + u + 2), len - u);
	assert_int_equal(le16(img + u + 4), 0x10);
	assert_memory_equal(img + u + 8, h, 32);
	assert_int_equal(le16(img + u + 40), 0x01);
	assert_int_equal(le16(img + u + 42), 32);
	assert_memory_equal(img + u + 44, kh, 32);
	assert_int_equal(le16(img + u + 76), 0x22);
	uint16_t sl = le16(img + u + 78);
	assert_int_equal(u + 80 + sl, len);
	assert_int_equal(img[u + 80], 0x30);
	assert_int_equal(img[u + 81], sl - 2);

	/* deterministic */
	size_t len2;
	uint8_t *img2 = build(&o, k, payload, sizeof payload, &len2);
	assert_int_equal(len, len2);
	assert_memory_equal(img, img2, len);
	free(img2);
	/* and verifiable, with the behaviour readable */
	struct vctx v;
	vctx_init(&v);
	vctx_trust(&v, k);
	struct bo_image_info info;
	struct bo_ramflash rf;
	bo_ramflash_init(&rf, img, (uint32_t)len, 0, 1, 0xff);
	assert_int_equal(bo_image_verify(&rf.area, (uint32_t)len, &v.crypto, &v.ring, &info), BO_IMG_OK);
	enum bo_app_behaviour beh;
	assert_int_equal(bo_image_behaviour(&rf.area, &info, &beh), 0);
	assert_int_equal(beh, BO_APP_NO_CONFIRM);
	vctx_free(&v);
	free(img);
	bo_signkey_free(k);
}

static void test_pad_confirm(void **state)
{
	(void)state;
	struct bo_signkey *k;
	assert_int_equal(bo_signkey_from_seed(4, &k, err, sizeof err), 0);
	uint8_t payload[1000];
	bo_imagegen_fill_payload(payload, sizeof payload, 8);
	struct { uint32_t align, max_align; bool confirm, overwrite; uint8_t ev; } cases[] = {
		{4, 0, false, false, 0xff}, {4, 0, true, false, 0xff}, {16, 0, true, false, 0xff},
		{32, 0, true, false, 0xff}, {1, 32, true, false, 0xff}, {8, 0, true, true, 0xff},
		{8, 0, true, false, 0x00},
	};
	for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
		struct bo_imagegen_opts o;
		bo_imagegen_opts_init(&o);
		o.pad_header = true;
		o.slot_size = 0x4000;
		o.align = cases[c].align;
		o.max_align = cases[c].max_align;
		o.pad = true;
		o.confirm = cases[c].confirm;
		o.overwrite_only = cases[c].overwrite;
		o.erased_val = cases[c].ev;
		size_t len;
		uint8_t *img = build(&o, k, payload, sizeof payload, &len);
		assert_int_equal(len, 0x4000);
		uint32_t a = bo_imagegen_max_align(&o);
		struct bo_ramflash rf;
		struct bo_swap_state st, none;
		bo_ramflash_init(&rf, img, (uint32_t)len, 0, o.align, o.erased_val);
		assert_int_equal(bo_trailer_read_state(&rf.area, a, &st), 0);
		assert_int_equal(st.magic, BO_MAGIC_GOOD);
		bool ok_set = cases[c].confirm && !cases[c].overwrite;
		assert_int_equal(st.image_ok, ok_set ? BO_FLAG_SET : BO_FLAG_UNSET);
		assert_int_equal(st.copy_done, BO_FLAG_UNSET);
		assert_false(st.swap_info.set);
		memset(&none, 0, sizeof none);
		none.magic = BO_MAGIC_UNSET;
		none.image_ok = none.copy_done = BO_FLAG_UNSET;
		assert_int_equal(bo_trailer_swap_decision(&none, &st),
				 ok_set ? BO_SWAP_PERM : BO_SWAP_TEST);
		/* everything between the image and the magic is erased but image_ok */
		struct vctx v;
		struct bo_image_info info;
		vctx_init(&v);
		vctx_trust(&v, k);
		assert_int_equal(bo_image_verify(&rf.area, 0x4000 - bo_imagegen_trailer_size(&o),
						 &v.crypto, &v.ring, &info), BO_IMG_OK);
		struct bo_trailer_layout l;
		assert_int_equal(bo_trailer_layout(0x4000, a, &l), 0);
		for (uint32_t i = info.total_size; i < l.magic_off; i++)
			if (!(ok_set && i == l.image_ok_off))
				assert_int_equal(img[i], o.erased_val);
		vctx_free(&v);
		free(img);
	}
	bo_signkey_free(k);
}

static void test_trailer_size(void **state)
{
	(void)state;
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	assert_int_equal(bo_imagegen_trailer_size(&o), 128 * 3 * 1 + 8 * 4 + 16);
	o.align = 4;
	assert_int_equal(bo_imagegen_trailer_size(&o), 1584);
	o.align = 32;
	assert_int_equal(bo_imagegen_max_align(&o), 32);
	assert_int_equal(bo_imagegen_trailer_size(&o), 128 * 3 * 32 + 32 * 4 + 32);
	o.overwrite_only = true;
	assert_int_equal(bo_imagegen_trailer_size(&o), 32 * 2 + 32);
	o.overwrite_only = false;
	o.align = 8;
	o.max_sectors = 10;
	assert_int_equal(bo_imagegen_trailer_size(&o), 10 * 3 * 8 + 8 * 4 + 16);
}

static void test_build_refusals(void **state)
{
	(void)state;
	uint8_t payload[64];
	memset(payload, 1, sizeof payload);
	struct bo_imagegen_opts o;
	uint8_t *img;
	size_t len;
#define REFUSED(substr)                                                                      \
	do {                                                                                 \
		assert_int_equal(bo_imagegen_build(&o, NULL, payload, sizeof payload, &img, &len, \
						   err, sizeof err), -1);                    \
		assert_null(img);                                                            \
		assert_non_null(strstr(err, substr));                                        \
	} while (0)
	bo_imagegen_opts_init(&o);
	REFUSED("zero bytes"); /* no --pad-header and a non-zero start */
	o.pad_header = true;
	o.header_size = 16;
	REFUSED("header size");
	o.header_size = 32;
	o.align = 3;
	REFUSED("alignment");
	o.align = 64;
	REFUSED("alignment");
	o.align = 16;
	o.max_align = 8;
	REFUSED("max alignment");
	bo_imagegen_opts_init(&o);
	o.pad_header = true;
	o.pad = true;
	REFUSED("slot size");
	o.slot_size = 512; /* 32 + 64 + 40 + 432 > 512 */
	REFUSED("exceeds");
	o.slot_size = 0x1000;
	o.erased_val = 0x55;
	REFUSED("erased");
	o.erased_val = 0xff;
	o.load_addr = 0x20000000;
	o.rom_fixed = 0x8000;
	REFUSED("both");
	o.rom_fixed = 0;
	static const uint8_t one = 1;
	struct bo_imagegen_tlv bad[2] = {{0x50, 1, &one}, {0xa1, 1, &one}};
	o.custom_tlvs = bad;
	o.custom_tlv_count = 1;
	REFUSED("0xa0..0xfffe");
	bad[0].type = 0xffff;
	REFUSED("0xa0..0xfffe");
	bad[0].type = 0xa1;
	o.custom_tlv_count = 2;
	REFUSED("twice");
	bad[0].type = 0xa0;
	o.custom_tlv_count = 1;
	o.behaviour = 1;
	REFUSED("twice");
	o.custom_tlv_count = 0;
	o.behaviour = 300;
	REFUSED("byte");
	o.behaviour = -1;
	assert_int_equal(bo_imagegen_build(&o, NULL, payload, 10, &img, &len, err, sizeof err), 0);
	free(img);
	/* payload shorter than the header without --pad-header */
	o.pad_header = false;
	uint8_t zeros[16] = {0};
	assert_int_equal(bo_imagegen_build(&o, NULL, zeros, sizeof zeros, &img, &len, err,
					   sizeof err), -1);
	assert_non_null(strstr(err, "shorter"));
	/* a protected area too large for u16 */
	static uint8_t big[0xffff];
	struct bo_imagegen_tlv large[2] = {{0xa0, 0xffff, big}, {0xa1, 0xffff, big}};
	o.pad_header = true;
	o.pad = false;
	o.slot_size = 0;
	o.custom_tlvs = large;
	o.custom_tlv_count = 1;
	REFUSED("protected TLVs too large");
	o.custom_tlv_count = 2;
	REFUSED("protected TLVs too large");
#undef REFUSED
}

static void test_parse_version(void **state)
{
	(void)state;
	struct bo_image_version v;
	assert_int_equal(bo_imagegen_parse_version("1", &v), 0);
	assert_int_equal(v.major, 1);
	assert_int_equal(v.minor, 0);
	assert_int_equal(bo_imagegen_parse_version("1.2", &v), 0);
	assert_int_equal(v.minor, 2);
	assert_int_equal(bo_imagegen_parse_version("255.255.65535+4294967295", &v), 0);
	assert_int_equal(v.major, 255);
	assert_int_equal(v.revision, 65535);
	assert_int_equal(v.build, 4294967295u);
	assert_int_equal(bo_imagegen_parse_version("0.0.0+0", &v), 0);
	const char *bad[] = {"", "a", "1.", "1.2.", "1.2.3+", "01.0", "1.02", "256", "1.256",
			     "1.2.65536", "1.2.3+4294967296", "1.2+3", "1+3", "1.2.3.4", "-1",
			     " 1", "1 ", "1.2.3+4x", NULL};
	for (int i = 0; bad[i]; i++) {
		if (bo_imagegen_parse_version(bad[i], &v) != -1)
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_int_equal(bo_imagegen_parse_version(NULL, &v), -1);
}

static void test_ramflash(void **state)
{
	(void)state;
	uint8_t buf[64];
	memset(buf, 0xff, sizeof buf);
	struct bo_ramflash rf;
	bo_ramflash_init(&rf, buf, sizeof buf, 16, 4, 0xff);
	uint8_t w[4] = {1, 2, 3, 4}, r[4];
	assert_int_equal(bo_area_program(&rf.area, 4, w, 4), 0);
	assert_int_equal(bo_area_program(&rf.area, 4, w, 4), -1);  /* not erased */
	assert_int_equal(bo_area_program(&rf.area, 2, w, 4), -1);  /* unaligned */
	assert_int_equal(bo_area_program(&rf.area, 8, w, 3), -1);  /* partial unit */
	assert_int_equal(bo_area_program(&rf.area, 62, w, 4), -1); /* out of range */
	assert_int_equal(bo_area_read(&rf.area, 4, r, 4), 0);
	assert_memory_equal(r, w, 4);
	assert_int_equal(bo_area_erase(&rf.area, 8, 16), -1);
	assert_int_equal(bo_area_erase(&rf.area, 0, 16), 0);
	assert_int_equal(buf[4], 0xff);
	uint32_t s, z;
	assert_int_equal(bo_area_sector(&rf.area, 33, &s, &z), 0);
	assert_int_equal(s, 32);
	assert_int_equal(z, 16);
	assert_int_equal(bo_area_sector(&rf.area, 64, &s, &z), -1);
	assert_int_equal(bo_area_read(&rf.area, 62, r, 4), -1);
}

static void test_fill_payload(void **state)
{
	(void)state;
	uint8_t a[37], b[37];
	bo_imagegen_fill_payload(a, sizeof a, 1);
	bo_imagegen_fill_payload(b, sizeof b, 1);
	assert_memory_equal(a, b, sizeof a);
	bo_imagegen_fill_payload(b, sizeof b, 2);
	assert_memory_not_equal(a, b, sizeof a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seed_keys),
		cmocka_unit_test(test_pem_roundtrip),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_rfc6979),
		cmocka_unit_test(test_sign_many),
		cmocka_unit_test(test_crypto_port),
		cmocka_unit_test(test_layout_unsigned),
		cmocka_unit_test(test_layout_signed),
		cmocka_unit_test(test_pad_confirm),
		cmocka_unit_test(test_trailer_size),
		cmocka_unit_test(test_build_refusals),
		cmocka_unit_test(test_parse_version),
		cmocka_unit_test(test_ramflash),
		cmocka_unit_test(test_fill_payload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
