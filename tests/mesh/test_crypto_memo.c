/*
 * tests/mesh/test_crypto_memo.c: the scenario nodes' memoising crypto port
 * (sim/crypto_memo.h) over a counting stand-in backend: a repeated stream or signature
 * check is answered without the backend and with the backend's answer; anything that
 * differs in a single byte goes to the backend.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sim/crypto_memo.h"

/* A stand-in backend: a position-weighted byte sum as "digest", a signature "valid" when
 * its first byte equals the digest's; counts what it computes. */
struct fake {
	uint8_t acc[BO_SHA256_LEN];
	size_t pos;
	int hashes, verifies, cmacs;
};

static void fake_start(void *ctx)
{
	struct fake *f = ctx;
	memset(f->acc, 0, sizeof f->acc);
	f->pos = 0;
}

static void fake_update(void *ctx, const void *data, size_t len)
{
	struct fake *f = ctx;
	const uint8_t *p = data;
	for (size_t i = 0; i < len; i++, f->pos++)
		f->acc[f->pos % BO_SHA256_LEN] += (uint8_t)(p[i] * (f->pos + 1));
}

static void fake_finish(void *ctx, uint8_t digest[BO_SHA256_LEN])
{
	struct fake *f = ctx;
	f->hashes++;
	memcpy(digest, f->acc, BO_SHA256_LEN);
}

static int fake_verify(void *ctx, const uint8_t *spki, size_t spki_len,
		       const uint8_t digest[BO_SHA256_LEN], const uint8_t *sig, size_t sig_len)
{
	struct fake *f = ctx;
	(void)spki;
	(void)spki_len;
	f->verifies++;
	return sig_len > 0 && sig[0] == digest[0] ? 0 : -1;
}

static int fake_cmac(void *ctx, const uint8_t key[16], const void *msg, size_t len,
		     uint8_t mac[16])
{
	struct fake *f = ctx;
	(void)key;
	(void)msg;
	(void)len;
	f->cmacs++;
	memset(mac, 0x5a, 16);
	return 0;
}

struct rig {
	struct fake f;
	struct bo_crypto inner, c;
	struct sim_crypto_memo m;
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof *r);
	r->inner = (struct bo_crypto){&r->f, fake_start, fake_update, fake_finish, fake_verify,
				      fake_cmac};
	sim_crypto_memo_init(&r->m, &r->inner, &r->c);
}

/* The digest of data through c, fed in pieces of `piece` bytes. */
static void hash(const struct bo_crypto *c, const uint8_t *data, size_t len, size_t piece,
		 uint8_t out[BO_SHA256_LEN])
{
	c->sha256_start(c->ctx);
	for (size_t off = 0; off < len; off += piece)
		c->sha256_update(c->ctx, data + off, len - off < piece ? len - off : piece);
	c->sha256_finish(c->ctx, out);
}

static void test_hash_memo(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint8_t img[5000], want[BO_SHA256_LEN], got[BO_SHA256_LEN];
	for (size_t i = 0; i < sizeof img; i++)
		img[i] = (uint8_t)(i * 7 + 3);
	hash(&r.inner, img, sizeof img, 4096, want);
	r.f.hashes = 0;

	hash(&r.c, img, sizeof img, 512, got); /* new: the backend computes it */
	assert_memory_equal(got, want, BO_SHA256_LEN);
	assert_int_equal(r.f.hashes, 1);
	hash(&r.c, img, sizeof img, 333, got); /* the same bytes, cut differently: remembered */
	assert_memory_equal(got, want, BO_SHA256_LEN);
	assert_int_equal(r.f.hashes, 1);

	img[4321] ^= 1; /* one bit: a new stream */
	hash(&r.c, img, sizeof img, 512, got);
	assert_int_equal(r.f.hashes, 2);
	assert_memory_not_equal(got, want, BO_SHA256_LEN);
	hash(&r.c, img, sizeof img - 1, 512, got); /* a prefix: a new stream */
	assert_int_equal(r.f.hashes, 3);
	hash(&r.c, img, 0, 1, got); /* empty: computed, never confused with another */
	assert_int_equal(r.f.hashes, 4);

	/* After more distinct streams than it remembers, the first is computed again. */
	for (unsigned k = 0; k < SIM_CRYPTO_MEMO_HASHES; k++) {
		img[0] = (uint8_t)(100 + k);
		hash(&r.c, img, sizeof img, 4096, got);
	}
	img[0] = 3;
	img[4321] ^= 1;
	r.f.hashes = 0;
	hash(&r.c, img, sizeof img, 4096, got);
	assert_memory_equal(got, want, BO_SHA256_LEN);
	assert_int_equal(r.f.hashes, 1);
	sim_crypto_memo_free(&r.m);
}

static void test_verify_memo(void **state)
{
	(void)state;
	struct rig r;
	rig_init(&r);
	uint8_t key[91], digest[BO_SHA256_LEN], sig[72];
	memset(key, 0x11, sizeof key);
	memset(digest, 0x22, sizeof digest);
	memset(sig, 0x22, sizeof sig); /* sig[0] == digest[0]: valid */

	assert_int_equal(r.c.ecdsa_p256_verify(r.c.ctx, key, sizeof key, digest, sig, sizeof sig), 0);
	assert_int_equal(r.c.ecdsa_p256_verify(r.c.ctx, key, sizeof key, digest, sig, sizeof sig), 0);
	assert_int_equal(r.f.verifies, 1);

	sig[0] ^= 0xff; /* a tampered signature is checked, and fails */
	assert_int_equal(r.c.ecdsa_p256_verify(r.c.ctx, key, sizeof key, digest, sig, sizeof sig),
			 -1);
	assert_int_equal(r.f.verifies, 2);
	assert_int_equal(r.c.ecdsa_p256_verify(r.c.ctx, key, sizeof key, digest, sig, sizeof sig),
			 -1);
	assert_int_equal(r.f.verifies, 2); /* a failure is remembered too */
	sig[0] ^= 0xff;
	key[90] ^= 1; /* another key: checked */
	assert_int_equal(r.c.ecdsa_p256_verify(r.c.ctx, key, sizeof key, digest, sig, sizeof sig), 0);
	assert_int_equal(r.f.verifies, 3);
	digest[5] ^= 1; /* another digest: checked */
	(void)r.c.ecdsa_p256_verify(r.c.ctx, key, sizeof key, digest, sig, sizeof sig);
	assert_int_equal(r.f.verifies, 4);

	uint8_t mac[16];
	assert_int_equal(r.c.aes_cmac(r.c.ctx, key, sig, 8, mac), 0); /* passed through */
	assert_int_equal(r.f.cmacs, 1);
	sim_crypto_memo_free(&r.m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hash_memo),
		cmocka_unit_test(test_verify_memo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
