/*
 * tests/dfu/test_dfu_fuzz.c: deterministic fuzzing of every decoder. Thousands of payloads
 * from a seeded PRNG (fully random, and mutations of the valid vectors), each in an
 * exact-size heap buffer so that ASan catches any read past it, go through every message
 * type. Whatever decodes must be canonical: encoding it again gives back the same bytes,
 * and decoding those gives an equal message.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/dfu/blob_chunks.h"
#include "core/dfu/metadata.h"
#include "dfu_test_util.h"
#include "dfu_vectors.h"

#define SEED 0x6272776e6f757421ull /* "brwnout!" */
#define ROUNDS 4000

struct fuzz_stats {
	unsigned long decoded, rejected;
};

/* Decode p as every message type; check canonical re-encoding of what decodes. */
static void decode_all(const uint8_t *src, size_t len, struct fuzz_stats *st)
{
	uint8_t *p = dup_exact(src, len);
	uint8_t out[1024];

	for (int t = BO_MSG_NONE + 1; t < BO_MSG_COUNT; t++) {
		struct bo_dfu_msg m, m2;
		int rc = bo_dfu_msg_decode(bo_dfu_msg_opcode((enum bo_dfu_msg_type)t), p, len, &m);
		int n;

		if (rc < 0) {
			assert_true(rc >= BO_DFU_E_ARG);
			st->rejected++;
			continue;
		}
		assert_int_equal(rc, 0);
		st->decoded++;
		n = bo_dfu_msg_encode(&m, out, sizeof(out));
		if (n != (int)len || !bytes_eq(out, (size_t)n, p, len)) {
			fprintf(stderr, "%s: not canonical (%d)\n",
				bo_dfu_msg_name((enum bo_dfu_msg_type)t), n);
			hexdump("in", p, len);
			if (n > 0)
				hexdump("out", out, (size_t)n);
			fail();
		}
		assert_int_equal(bo_dfu_msg_decode(bo_dfu_msg_opcode((enum bo_dfu_msg_type)t), out,
						   (size_t)n, &m2),
				 0);
		assert_true(msg_eq(&m, &m2));
	}

	/* the same bytes as a whole access PDU, and as the helpers' inputs */
	{
		struct bo_dfu_msg m;
		struct bo_dfu_metadata md;
		uint8_t bm[64] = { 0 };

		(void)bo_dfu_pdu_decode(p, len, &m);
		if (bo_dfu_metadata_decode(p, len, &md) == 0) {
			assert_int_equal(bo_dfu_metadata_encode(&md, out, sizeof(out)), (int)len);
			assert_memory_equal(out, p, len);
		}
		(void)bo_blob_enc_list_to_bitmap(p, len, 512, bm, sizeof(bm));
	}
	free(p);
}

static void test_fuzz_random(void **state)
{
	uint64_t s = SEED;
	uint8_t buf[400];
	struct fuzz_stats st = { 0 };

	(void)state;
	for (int i = 0; i < ROUNDS; i++) {
		uint64_t r = prng_next(&s);
		/* mostly short payloads, where the fixed fields are; some long ones */
		size_t len = (r & 7) == 0 ? (size_t)(r >> 8) % sizeof(buf) : (size_t)(r >> 8) % 32;

		for (size_t k = 0; k < len; k++)
			buf[k] = (uint8_t)prng_next(&s);
		decode_all(buf, len, &st);
	}
	fprintf(stderr, "random: %lu decoded, %lu rejected\n", st.decoded, st.rejected);
	assert_true(st.rejected > st.decoded);
}

static void test_fuzz_mutated(void **state)
{
	uint64_t s = SEED ^ 0x5555;
	uint8_t buf[400];
	struct fuzz_stats st = { 0 };

	(void)state;
	for (int i = 0; i < ROUNDS; i++) {
		const struct dfu_vector *v = &dfu_vectors[prng_next(&s) % DFU_N_VECTORS];
		size_t len = v->len;
		uint64_t r = prng_next(&s);

		if (len)
			memcpy(buf, v->bytes, len);
		switch (r % 4) {
		case 0: /* flip one bit */
			if (len)
				buf[(r >> 8) % len] ^= (uint8_t)(1u << ((r >> 16) % 8));
			break;
		case 1: /* replace one byte */
			if (len)
				buf[(r >> 8) % len] = (uint8_t)(r >> 16);
			break;
		case 2: /* cut */
			len = len ? (size_t)(r >> 8) % len : 0;
			break;
		default: /* grow with random bytes */
			for (size_t k = (size_t)(r >> 8) % 8 + 1; k > 0 && len < sizeof(buf); k--)
				buf[len++] = (uint8_t)prng_next(&s);
			break;
		}
		decode_all(buf, len, &st);
	}
	fprintf(stderr, "mutated: %lu decoded, %lu rejected\n", st.decoded, st.rejected);
	assert_true(st.decoded > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fuzz_random),
		cmocka_unit_test(test_fuzz_mutated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
