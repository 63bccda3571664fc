/*
 * tests/dfu/test_dfu_metadata.c: the DFU metadata format with and without the composition
 * fields, and the composition hash byte order proven on the RFC 4493 AES-CMAC examples.
 *
 * The byte-order proof uses a test-local AES-CMAC on mbed TLS (mbedtls/cmac.h), so it does
 * not depend on the host crypto backend; a last test runs the same vectors through that
 * backend (core/port/mbedtls/) as the simulator will.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <mbedtls/cipher.h>
#include <mbedtls/cmac.h>

#include "core/dfu/metadata.h"
#include "core/port/mbedtls/crypto_mbedtls.h"
#include "dfu_test_util.h"

static int test_aes_cmac(void *ctx, const uint8_t key[16], const void *msg, size_t len,
			 uint8_t mac[16])
{
	const mbedtls_cipher_info_t *info = mbedtls_cipher_info_from_type(MBEDTLS_CIPHER_AES_128_ECB);
	static const uint8_t none[1];

	(void)ctx;
	return mbedtls_cipher_cmac(info, key, 128, len ? msg : none, len, mac);
}

static const struct bo_crypto crypto = { .aes_cmac = test_aes_cmac };

/* RFC 4493 section 4: K = 2b7e1516 28aed2a6 abf71588 09cf4f3c */
static const uint8_t rfc_key[16] = { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
				     0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c };
static const uint8_t rfc_m16[16] = { 0x6b, 0xc1, 0xbe, 0xe2, 0x2e, 0x40, 0x9f, 0x96,
				     0xe9, 0x3d, 0x7e, 0x11, 0x73, 0x93, 0x17, 0x2a };

static void test_cmac_backend(void **state)
{
	/* the test backend itself reproduces RFC 4493 examples 1 and 2 */
	static const uint8_t t0[16] = { 0xbb, 0x1d, 0x69, 0x29, 0xe9, 0x59, 0x37, 0x28,
					0x7f, 0xa3, 0x7d, 0x12, 0x9b, 0x75, 0x67, 0x46 };
	static const uint8_t t16[16] = { 0x07, 0x0a, 0x16, 0xb4, 0x6b, 0x4d, 0x41, 0x44,
					 0xf7, 0x9b, 0xdd, 0x9d, 0xd0, 0x4a, 0x28, 0x7c };
	uint8_t mac[16];

	(void)state;
	assert_int_equal(test_aes_cmac(NULL, rfc_key, NULL, 0, mac), 0);
	assert_memory_equal(mac, t0, 16);
	assert_int_equal(test_aes_cmac(NULL, rfc_key, rfc_m16, 16, mac), 0);
	assert_memory_equal(mac, t16, 16);
}

static void test_comp_hash_byte_order(void **state)
{
	uint32_t hash = 0;
	uint8_t buf[32];

	(void)state;
	/* Example 2: MAC 070a16b4 6b4d4144 ...; Zephyr takes sys_get_le32(mac) */
	assert_int_equal(bo_dfu_comp_hash(&crypto, rfc_key, rfc_m16, 16, &hash), 0);
	assert_int_equal(hash, 0xb4160a07u);
	/* Example 1 (empty composition data): MAC bb1d6929 ... */
	assert_int_equal(bo_dfu_comp_hash(&crypto, rfc_key, NULL, 0, &hash), 0);
	assert_int_equal(hash, 0x29691dbbu);

	/* in the metadata the hash goes out as the first four MAC octets, in MAC order */
	assert_int_equal(bo_dfu_comp_hash(&crypto, rfc_key, rfc_m16, 16, &hash), 0);
	assert_int_equal(bo_dfu_metadata_encode(
				 &(struct bo_dfu_metadata){ .core_type = BO_DFU_CORE_APP,
							    .comp_hash = hash, .elems = 1 },
				 buf, sizeof(buf)),
			 18);
	assert_memory_equal(buf + 12, ((const uint8_t[]){ 0x07, 0x0a, 0x16, 0xb4 }), 4);

	/* argument and backend errors */
	assert_int_equal(bo_dfu_comp_hash(NULL, rfc_key, rfc_m16, 16, &hash), BO_DFU_E_ARG);
	assert_int_equal(bo_dfu_comp_hash(&(struct bo_crypto){ 0 }, rfc_key, rfc_m16, 16, &hash),
			 BO_DFU_E_ARG);
	assert_int_equal(bo_dfu_comp_hash(&crypto, rfc_key, NULL, 16, &hash), BO_DFU_E_ARG);
}

static int failing_cmac(void *ctx, const uint8_t key[16], const void *msg, size_t len,
			uint8_t mac[16])
{
	(void)ctx, (void)key, (void)msg, (void)len, (void)mac;
	return -1;
}

static void test_comp_hash_backend_failure(void **state)
{
	uint32_t hash = 0x12345678;

	(void)state;
	assert_int_equal(bo_dfu_comp_hash(&(struct bo_crypto){ .aes_cmac = failing_cmac }, rfc_key,
					  rfc_m16, 16, &hash),
			 BO_DFU_E_INVALID);
	assert_int_equal(hash, 0x12345678);
}

static void test_metadata_with_composition(void **state)
{
	/* 1.2.0x0304 build 0x05060708, size 0x0a0b0c, app core, hash 0x11223344, 2 elements,
	 * app data ee */
	static const uint8_t want[] = { 0x01, 0x02, 0x04, 0x03, 0x08, 0x07, 0x06,
					0x05, 0x0c, 0x0b, 0x0a, 0x01, 0x44, 0x33,
					0x22, 0x11, 0x02, 0x00, 0xee };
	const struct bo_dfu_metadata md = {
		.major = 1, .minor = 2, .revision = 0x0304, .build = 0x05060708,
		.fw_size = 0x0a0b0c, .core_type = BO_DFU_CORE_APP, .comp_hash = 0x11223344,
		.elems = 2, .user_data = (const uint8_t[]){ 0xee }, .user_data_len = 1,
	};
	struct bo_dfu_metadata got;
	uint8_t buf[40], *copy;

	(void)state;
	assert_int_equal(bo_dfu_metadata_encode(&md, buf, sizeof(buf)), (int)sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(bo_dfu_metadata_encode(&md, buf, sizeof(want) - 1), BO_DFU_E_NO_SPACE);

	copy = dup_exact(want, sizeof(want));
	assert_int_equal(bo_dfu_metadata_decode(copy, sizeof(want), &got), 0);
	assert_int_equal(got.major, 1);
	assert_int_equal(got.minor, 2);
	assert_int_equal(got.revision, 0x0304);
	assert_int_equal(got.build, 0x05060708);
	assert_int_equal(got.fw_size, 0x0a0b0c);
	assert_int_equal(got.core_type, BO_DFU_CORE_APP);
	assert_int_equal(got.comp_hash, 0x11223344);
	assert_int_equal(got.elems, 2);
	assert_int_equal(got.user_data_len, 1);
	assert_ptr_equal(got.user_data, copy + 18);
	/* without the app data byte, and cut inside the element count */
	assert_int_equal(bo_dfu_metadata_decode(copy, 18, &got), 0);
	assert_int_equal(got.user_data_len, 0);
	assert_int_equal(bo_dfu_metadata_decode(copy, 17, &got), BO_DFU_E_TOO_SHORT);
	assert_int_equal(bo_dfu_metadata_decode(copy, 12, &got), BO_DFU_E_TOO_SHORT);
	free(copy);
}

static void test_metadata_without_composition(void **state)
{
	/* 3.0.1 build 7, size 100000 (0x0186a0), network core + app BLOB: no hash, no
	 * element count; app data 0102 */
	static const uint8_t want[] = { 0x03, 0x00, 0x01, 0x00, 0x07, 0x00, 0x00,
					0x00, 0xa0, 0x86, 0x01, 0x06, 0x01, 0x02 };
	const struct bo_dfu_metadata md = {
		.major = 3, .revision = 1, .build = 7, .fw_size = 100000,
		.core_type = BO_DFU_CORE_NET | BO_DFU_CORE_APP_BLOB,
		.comp_hash = 0xdeadbeef, /* ignored without BO_DFU_CORE_APP */
		.user_data = (const uint8_t[]){ 0x01, 0x02 }, .user_data_len = 2,
	};
	struct bo_dfu_metadata got;
	uint8_t buf[40], *copy;

	(void)state;
	assert_int_equal(bo_dfu_metadata_encode(&md, buf, sizeof(buf)), (int)sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	copy = dup_exact(want, sizeof(want));
	assert_int_equal(bo_dfu_metadata_decode(copy, sizeof(want), &got), 0);
	assert_int_equal(got.fw_size, 100000);
	assert_int_equal(got.core_type, 6);
	assert_int_equal(got.comp_hash, 0);
	assert_int_equal(got.elems, 0);
	assert_int_equal(got.user_data_len, 2);
	assert_ptr_equal(got.user_data, copy + 12);
	/* the minimum: 12 bytes, no app data */
	assert_int_equal(bo_dfu_metadata_decode(copy, 12, &got), 0);
	assert_int_equal(got.user_data_len, 0);
	assert_int_equal(bo_dfu_metadata_decode(copy, 11, &got), BO_DFU_E_TOO_SHORT);
	free(copy);
}

static void test_metadata_errors(void **state)
{
	uint8_t p[40], buf[40];
	struct bo_dfu_metadata got;
	static const uint8_t big[21] = { 0 };

	(void)state;
	memset(p, 0, sizeof(p));
	/* RFU core type bits */
	p[11] = 0x08;
	assert_int_equal(bo_dfu_metadata_decode(p, 12, &got), BO_DFU_E_RESERVED);
	assert_int_equal(bo_dfu_metadata_encode(&(struct bo_dfu_metadata){ .core_type = 0x80 }, buf,
						sizeof(buf)),
			 BO_DFU_E_RESERVED);
	/* 32 bytes fit, 33 do not */
	p[11] = 0;
	assert_int_equal(bo_dfu_metadata_decode(p, 32, &got), 0);
	assert_int_equal(bo_dfu_metadata_decode(p, 33, &got), BO_DFU_E_LIMIT);
	assert_int_equal(bo_dfu_metadata_encode(&(struct bo_dfu_metadata){ .user_data = big,
									   .user_data_len = 20 },
						buf, sizeof(buf)),
			 32);
	assert_int_equal(bo_dfu_metadata_encode(&(struct bo_dfu_metadata){ .user_data = big,
									   .user_data_len = 21 },
						buf, sizeof(buf)),
			 BO_DFU_E_LIMIT);
	assert_int_equal(bo_dfu_metadata_encode(
				 &(struct bo_dfu_metadata){ .core_type = BO_DFU_CORE_APP,
							    .user_data = big, .user_data_len = 15 },
				 buf, sizeof(buf)),
			 BO_DFU_E_LIMIT);
	/* 24-bit size */
	assert_int_equal(bo_dfu_metadata_encode(&(struct bo_dfu_metadata){ .fw_size = 0x1000000 },
						buf, sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfu_metadata_encode(&(struct bo_dfu_metadata){ .user_data_len = 1 }, buf,
						sizeof(buf)),
			 BO_DFU_E_ARG);
	/* every prefix of a full metadata decodes or fails cleanly */
	memset(p, 0x01, sizeof(p));
	for (size_t k = 0; k <= 32; k++) {
		uint8_t *c = dup_exact(p, k);
		int rc = bo_dfu_metadata_decode(c, k, &got);

		assert_int_equal(rc, k < 18 ? BO_DFU_E_TOO_SHORT : 0);
		free(c);
	}
}

static void test_comp_hash_host_backend(void **state)
{
	struct bo_crypto_mbedtls st;
	struct bo_crypto c;
	uint32_t hash = 0;

	(void)state;
	bo_crypto_mbedtls_init(&st, &c);
	assert_int_equal(bo_dfu_comp_hash(&c, rfc_key, rfc_m16, 16, &hash), 0);
	assert_int_equal(hash, 0xb4160a07u);
	assert_int_equal(bo_dfu_comp_hash(&c, rfc_key, NULL, 0, &hash), 0);
	assert_int_equal(hash, 0x29691dbbu);
	bo_crypto_mbedtls_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cmac_backend),
		cmocka_unit_test(test_comp_hash_byte_order),
		cmocka_unit_test(test_comp_hash_backend_failure),
		cmocka_unit_test(test_metadata_with_composition),
		cmocka_unit_test(test_metadata_without_composition),
		cmocka_unit_test(test_metadata_errors),
		cmocka_unit_test(test_comp_hash_host_backend),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
