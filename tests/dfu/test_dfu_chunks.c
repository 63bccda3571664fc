/*
 * tests/dfu/test_dfu_chunks.c: the wire reader/writer, missing-chunk bitmaps, encoded
 * missing-chunk lists (UTF-8 boundaries 0x7F/0x80, 0x7FF/0x800, 0xFFFF), block and chunk
 * arithmetic and the BLOB timer formulas.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/dfu/blob_chunks.h"
#include "core/dfu/timeouts.h"
#include "core/dfu/wire.h"
#include "dfu_test_util.h"

static void test_reader(void **state)
{
	static const uint8_t src[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
				       0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e };
	uint8_t *p = dup_exact(src, sizeof(src));
	struct bo_wire_reader r;
	const uint8_t *b;
	size_t n;

	(void)state;
	bo_wire_reader_init(&r, p, sizeof(src));
	assert_int_equal(bo_wire_get_u8(&r), 0x01);
	assert_int_equal(bo_wire_get_le16(&r), 0x0302);
	assert_int_equal(bo_wire_get_le24(&r), 0x060504);
	assert_int_equal(bo_wire_get_le64(&r), 0x0e0d0c0b0a090807ull);
	assert_int_equal(bo_wire_remaining(&r), 0);
	assert_int_equal(bo_wire_end(&r), BO_DFU_OK);
	/* past the end: 0, no advance, sticky TOO_SHORT */
	assert_int_equal(bo_wire_get_le32(&r), 0);
	assert_int_equal(r.err, BO_DFU_E_TOO_SHORT);
	assert_int_equal(r.pos, sizeof(src));

	bo_wire_reader_init(&r, p, 3);
	assert_int_equal(bo_wire_get_le32(&r), 0); /* 4 > 3: nothing read */
	assert_int_equal(r.pos, 0);
	assert_int_equal(bo_wire_get_u8(&r), 0); /* error sticks even though 1 byte fits */
	assert_int_equal(bo_wire_end(&r), BO_DFU_E_TOO_SHORT);

	bo_wire_reader_init(&r, p, 5);
	assert_int_equal(bo_wire_get_le32(&r), 0x04030201);
	assert_int_equal(bo_wire_end(&r), BO_DFU_E_TOO_LONG);

	bo_wire_reader_init(&r, p, 5);
	b = bo_wire_get_bytes(&r, 2);
	assert_ptr_equal(b, p);
	b = bo_wire_get_rest(&r, &n);
	assert_ptr_equal(b, p + 2);
	assert_int_equal(n, 3);
	assert_null(bo_wire_get_bytes(&r, 1));

	/* length-prefixed: 0x02 then 2 bytes fits; 0x0d then 12 left does not */
	bo_wire_reader_init(&r, (const uint8_t[]){ 0x02, 0xaa, 0xbb, 0x01 }, 4);
	b = bo_wire_get_lv8(&r, &n);
	assert_int_equal(n, 2);
	assert_int_equal(b[1], 0xbb);
	b = bo_wire_get_lv8(&r, &n);
	assert_null(b);
	assert_int_equal(n, 0);
	assert_int_equal(r.err, BO_DFU_E_INCONSISTENT);

	/* a NULL buffer reads as empty */
	bo_wire_reader_init(&r, NULL, 10);
	assert_int_equal(bo_wire_remaining(&r), 0);
	free(p);
}

static void test_writer(void **state)
{
	uint8_t buf[16];
	struct bo_wire_writer w;

	(void)state;
	memset(buf, 0xee, sizeof(buf));
	bo_wire_writer_init(&w, buf, 15);
	bo_wire_put_u8(&w, 0x01);
	bo_wire_put_le16(&w, 0x0302);
	bo_wire_put_le24(&w, 0x060504);
	bo_wire_put_le64(&w, 0x0e0d0c0b0a090807ull);
	assert_int_equal(bo_wire_writer_result(&w), 14);
	assert_memory_equal(buf, ((const uint8_t[]){ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14 }),
			    14);
	/* 2 bytes into 1 byte of room: nothing written, error sticks */
	bo_wire_put_le16(&w, 0xffff);
	assert_int_equal(buf[14], 0xee);
	assert_int_equal(bo_wire_writer_result(&w), BO_DFU_E_NO_SPACE);
	bo_wire_put_u8(&w, 0xff);
	assert_int_equal(buf[14], 0xee);
	assert_int_equal(buf[15], 0xee);

	/* measure mode */
	bo_wire_writer_init(&w, NULL, 0);
	bo_wire_put_le32(&w, 1);
	bo_wire_put_bytes(&w, "abc", 3);
	assert_int_equal(bo_wire_writer_result(&w), 7);

	/* bad arguments */
	bo_wire_writer_init(&w, buf, sizeof(buf));
	bo_wire_put_le24(&w, 0x1000000);
	assert_int_equal(bo_wire_writer_result(&w), BO_DFU_E_INVALID);
	bo_wire_writer_init(&w, buf, sizeof(buf));
	bo_wire_put_bytes(&w, NULL, 0);
	assert_int_equal(bo_wire_writer_result(&w), 0);
	bo_wire_put_bytes(&w, NULL, 1);
	assert_int_equal(bo_wire_writer_result(&w), BO_DFU_E_ARG);
	bo_wire_writer_init(&w, buf, 0);
	bo_wire_put_u8(&w, 0);
	assert_int_equal(bo_wire_writer_result(&w), BO_DFU_E_NO_SPACE);
}

static void test_bitmap(void **state)
{
	uint8_t bm[33];

	(void)state;
	assert_int_equal(bo_blob_bitmap_bytes(0), 0);
	assert_int_equal(bo_blob_bitmap_bytes(1), 1);
	assert_int_equal(bo_blob_bitmap_bytes(8), 1);
	assert_int_equal(bo_blob_bitmap_bytes(9), 2);
	assert_int_equal(bo_blob_bitmap_bytes(256), 32);
	assert_int_equal(bo_blob_bitmap_bytes(0xffffffffu), 0x20000000u);

	/* LSB first: chunk i is bit i % 8 of byte i / 8 */
	memset(bm, 0, sizeof(bm));
	assert_int_equal(bo_blob_bitmap_set(bm, 2, 0, true), 0);
	assert_int_equal(bo_blob_bitmap_set(bm, 2, 9, true), 0);
	assert_int_equal(bo_blob_bitmap_set(bm, 2, 15, true), 0);
	assert_int_equal(bm[0], 0x01);
	assert_int_equal(bm[1], 0x82);
	assert_true(bo_blob_bitmap_test(bm, 2, 9));
	assert_false(bo_blob_bitmap_test(bm, 2, 8));
	assert_false(bo_blob_bitmap_test(bm, 2, 16)); /* past the end */
	assert_int_equal(bo_blob_bitmap_set(bm, 2, 16, true), BO_DFU_E_ARG);
	assert_int_equal(bm[2], 0);
	assert_int_equal(bo_blob_bitmap_set(bm, 2, 9, false), 0);
	assert_int_equal(bm[1], 0x80);

	/* fill sets [0, n) and clears the padding */
	memset(bm, 0xaa, sizeof(bm));
	bo_blob_bitmap_fill(bm, 3, 13);
	assert_int_equal(bm[0], 0xff);
	assert_int_equal(bm[1], 0x1f);
	assert_int_equal(bm[2], 0x00);
	assert_int_equal(bm[3], 0xaa); /* not touched */
	assert_int_equal(bo_blob_bitmap_count(bm, 3, 13), 13);
	assert_int_equal(bo_blob_bitmap_count(bm, 3, 5), 5);
	assert_true(bo_blob_bitmap_valid(bm, 2, 13));
	assert_false(bo_blob_bitmap_valid(bm, 3, 13)); /* wrong length */
	bm[1] |= 0x20;                                 /* padding bit 13 */
	assert_false(bo_blob_bitmap_valid(bm, 2, 13));
	assert_true(bo_blob_bitmap_valid(bm, 2, 16));
	assert_true(bo_blob_bitmap_valid(NULL, 0, 0));

	/* iterate: 256 chunks (a full 8-bit chunk count) with a few missing */
	memset(bm, 0, sizeof(bm));
	bo_blob_bitmap_set(bm, 32, 0, true);
	bo_blob_bitmap_set(bm, 32, 7, true);
	bo_blob_bitmap_set(bm, 32, 8, true);
	bo_blob_bitmap_set(bm, 32, 127, true);
	bo_blob_bitmap_set(bm, 32, 128, true);
	bo_blob_bitmap_set(bm, 32, 255, true);
	{
		const uint32_t want[] = { 0, 7, 8, 127, 128, 255 };
		size_t k = 0;

		for (uint32_t i = bo_blob_bitmap_next(bm, 32, 256, 0); i < 256;
		     i = bo_blob_bitmap_next(bm, 32, 256, i + 1))
			assert_int_equal(i, want[k++]);
		assert_int_equal(k, 6);
	}
	assert_int_equal(bo_blob_bitmap_next(bm, 32, 256, 256), 256);
	assert_int_equal(bo_blob_bitmap_next(bm, 32, 255, 128), 128);
	assert_int_equal(bo_blob_bitmap_next(bm, 32, 255, 129), 255); /* 255 is past nbits */
	assert_int_equal(bo_blob_bitmap_next(bm, 16, 256, 9), 127);
	assert_int_equal(bo_blob_bitmap_next(bm, 16, 256, 128), 256); /* past the bytes */
	assert_int_equal(bo_blob_bitmap_next(NULL, 0, 0, 0), 0);
	assert_int_equal(bo_blob_bitmap_count(bm, 32, 256), 6);
}

static void test_enc_index_boundaries(void **state)
{
	/* 0, 0x7f | 0x80, 0x7ff | 0x800, 0xffff */
	static const uint16_t idx[] = { 0x0000, 0x007f, 0x0080, 0x07ff, 0x0800, 0xffff };
	static const uint8_t enc[] = { 0x00, 0x7f, 0xc2, 0x80, 0xdf, 0xbf,
				       0xe0, 0xa0, 0x80, 0xef, 0xbf, 0xbf };
	uint8_t buf[32], *copy;
	struct bo_blob_enc_iter it;
	uint16_t v;
	size_t n = 0;

	(void)state;
	assert_int_equal(bo_blob_enc_index_len(0x7f), 1);
	assert_int_equal(bo_blob_enc_index_len(0x80), 2);
	assert_int_equal(bo_blob_enc_index_len(0x7ff), 2);
	assert_int_equal(bo_blob_enc_index_len(0x800), 3);
	assert_int_equal(bo_blob_enc_index_len(0xffff), 3);
	assert_int_equal(bo_blob_enc_index_len(0x10000), BO_DFU_E_INVALID);

	assert_int_equal(bo_blob_enc_list_encode(idx, 6, buf, sizeof(buf)), (int)sizeof(enc));
	assert_memory_equal(buf, enc, sizeof(enc));
	assert_int_equal(bo_blob_enc_list_encode(idx, 6, buf, sizeof(enc) - 1), BO_DFU_E_NO_SPACE);
	assert_int_equal(bo_blob_enc_list_encode(idx, 6, NULL, 0), (int)sizeof(enc));
	assert_int_equal(bo_blob_enc_list_encode(NULL, 0, buf, sizeof(buf)), 0);
	assert_int_equal(bo_blob_enc_list_encode(NULL, 1, buf, sizeof(buf)), BO_DFU_E_ARG);

	copy = dup_exact(enc, sizeof(enc));
	bo_blob_enc_iter_init(&it, copy, sizeof(enc));
	while (bo_blob_enc_iter_next(&it, &v) == 1)
		assert_int_equal(v, idx[n++]);
	assert_int_equal(n, 6);
	assert_int_equal(bo_blob_enc_iter_next(&it, &v), 0);
	assert_int_equal(bo_blob_enc_list_validate(copy, sizeof(enc), 0, &n), 0);
	assert_int_equal(n, 6);
	/* with a chunk count, every index must be below it */
	assert_int_equal(bo_blob_enc_list_validate(copy, sizeof(enc), 0x10000, NULL), 0);
	assert_int_equal(bo_blob_enc_list_validate(copy, sizeof(enc), 0xffff, NULL),
			 BO_DFU_E_INVALID);
	/* every proper prefix that cuts a sequence is TOO_SHORT, never a read past the end */
	for (size_t k = 0; k < sizeof(enc); k++) {
		uint8_t *pre = dup_exact(enc, k);
		int rc = bo_blob_enc_list_validate(pre, k, 0, NULL);
		bool cut = k == 3 || k == 5 || k == 7 || k == 8 || k == 10 || k == 11;

		assert_int_equal(rc, cut ? BO_DFU_E_TOO_SHORT : 0);
		free(pre);
	}
	free(copy);
}

static void test_enc_list_bitmap(void **state)
{
	uint8_t bm[256], list[64], out[256];
	int n;

	(void)state;
	/* chunks 1, 0x7f, 0x80, 0x7ff of a 2048-chunk block */
	memset(bm, 0, sizeof(bm));
	bo_blob_bitmap_set(bm, sizeof(bm), 1, true);
	bo_blob_bitmap_set(bm, sizeof(bm), 0x7f, true);
	bo_blob_bitmap_set(bm, sizeof(bm), 0x80, true);
	bo_blob_bitmap_set(bm, sizeof(bm), 0x7ff, true);
	n = bo_blob_enc_list_from_bitmap(bm, sizeof(bm), 2048, SIZE_MAX, list, sizeof(list));
	assert_int_equal(n, 6);
	assert_memory_equal(list, ((const uint8_t[]){ 0x01, 0x7f, 0xc2, 0x80, 0xdf, 0xbf }), 6);
	/* at most 2 entries (Zephyr's pull request count) */
	n = bo_blob_enc_list_from_bitmap(bm, sizeof(bm), 2048, 2, list, sizeof(list));
	assert_int_equal(n, 2);
	assert_memory_equal(list, ((const uint8_t[]){ 0x01, 0x7f }), 2);
	n = bo_blob_enc_list_from_bitmap(bm, sizeof(bm), 2048, 0, list, sizeof(list));
	assert_int_equal(n, 0);

	/* back to a bitmap */
	n = bo_blob_enc_list_from_bitmap(bm, sizeof(bm), 2048, SIZE_MAX, list, sizeof(list));
	memset(out, 0, sizeof(out));
	assert_int_equal(bo_blob_enc_list_to_bitmap(list, (size_t)n, 2048, out, sizeof(out)), 0);
	assert_memory_equal(out, bm, sizeof(bm));
	/* 0x7ff is not below 0x7ff chunks: rejected, bitmap untouched */
	memset(out, 0, sizeof(out));
	assert_int_equal(bo_blob_enc_list_to_bitmap(list, (size_t)n, 0x7ff, out, sizeof(out)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_blob_bitmap_count(out, sizeof(out), 2048), 0);
	/* bitmap too small for the chunk count */
	assert_int_equal(bo_blob_enc_list_to_bitmap(list, (size_t)n, 2048, out, 255), BO_DFU_E_ARG);
	/* no chunks: only the empty list fits */
	assert_int_equal(bo_blob_enc_list_to_bitmap(NULL, 0, 0, out, 0), 0);
	assert_int_equal(bo_blob_enc_list_to_bitmap(list, 1, 0, out, 0), BO_DFU_E_INVALID);
	/* malformed list */
	assert_int_equal(bo_blob_enc_list_to_bitmap((const uint8_t[]){ 0xc0, 0x81 }, 2, 16, out,
						    sizeof(out)),
			 BO_DFU_E_INVALID);

	/* the largest index, from a bitmap of 65536 chunks */
	{
		static uint8_t big[8192];

		memset(big, 0, sizeof(big));
		bo_blob_bitmap_set(big, sizeof(big), 0xffff, true);
		n = bo_blob_enc_list_from_bitmap(big, sizeof(big), 0x10000, SIZE_MAX, list,
						 sizeof(list));
		assert_int_equal(n, 3);
		assert_memory_equal(list, ((const uint8_t[]){ 0xef, 0xbf, 0xbf }), 3);
		/* an index past 0xffff cannot be encoded */
		bo_blob_bitmap_set(big, sizeof(big), 0xffff, false);
		{
			struct bo_wire_writer w;

			bo_wire_writer_init(&w, list, sizeof(list));
			bo_blob_enc_put(&w, 0x10000);
			assert_int_equal(bo_wire_writer_result(&w), BO_DFU_E_INVALID);
		}
	}
}

static void test_block_math(void **state)
{
	(void)state;
	assert_int_equal(bo_blob_block_count(10000, 12), 3);
	assert_int_equal(bo_blob_block_count(8192, 12), 2);
	assert_int_equal(bo_blob_block_count(0, 12), 0);
	assert_int_equal(bo_blob_block_count(1, 6), 1);
	assert_int_equal(bo_blob_block_count(0xffffffffu, 32), 1);
	assert_int_equal(bo_blob_block_count(0xffffffffu, 6), 0x4000000u);
	assert_int_equal(bo_blob_block_count(100, 33), 0);

	assert_int_equal(bo_blob_block_size(10000, 12, 0), 4096);
	assert_int_equal(bo_blob_block_size(10000, 12, 2), 10000 - 8192);
	assert_int_equal(bo_blob_block_size(10000, 12, 3), 0);
	assert_int_equal(bo_blob_block_size(8192, 12, 1), 4096);
	assert_int_equal(bo_blob_block_size(0xffffffffu, 32, 0), 0xffffffffu);
	assert_int_equal(bo_blob_block_size(0xffffffffu, 32, 1), 0);

	/* the last chunk carries block_size % chunk_size */
	assert_int_equal(bo_blob_chunk_count(1808, 377), 5);
	assert_int_equal(bo_blob_chunk_len(1808, 377, 0), 377);
	assert_int_equal(bo_blob_chunk_len(1808, 377, 4), 1808 - 4 * 377);
	assert_int_equal(bo_blob_chunk_len(1808, 377, 5), 0);
	assert_int_equal(bo_blob_chunk_count(4096, 256), 16);
	assert_int_equal(bo_blob_chunk_len(4096, 256, 15), 256);
	assert_int_equal(bo_blob_chunk_count(4096, 0), 0);
	assert_int_equal(bo_blob_chunk_len(4096, 0, 0), 0);
	assert_int_equal(bo_blob_chunk_count(0xffffffffu, 0xffff), 65537); /* (2^16-1)(2^16+1) */
}

static void test_timeouts(void **state)
{
	(void)state;
	/* server: (timeout_base + 1) * 10 s */
	assert_int_equal(bo_blob_srv_timeout_us(0), 10000000ull);
	assert_int_equal(bo_blob_srv_timeout_us(5), 60000000ull);
	assert_int_equal(bo_blob_srv_timeout_us(0xffff), 655360ull * 1000000ull);
	/* pull mode: never below the report interval + 1 s */
	assert_int_equal(bo_blob_srv_pull_timeout_us(0), 11000000ull);
	assert_int_equal(bo_blob_srv_pull_timeout_us(1), 20000000ull);
	/* client: 10 s * (timeout_base + 2) + 100 ms * TTL */
	assert_int_equal(bo_blob_cli_timeout_us(0, 0), 20000000ull);
	assert_int_equal(bo_blob_cli_timeout_us(0, 7), 20700000ull);
	assert_int_equal(bo_blob_cli_timeout_us(3, 127), 62700000ull);
	assert_int_equal(bo_blob_cli_timeout_us(0xffff, 0xff), (655370000ull + 25500ull) * 1000ull);
	/* per-retry split over 5 retries, whole milliseconds as Zephyr computes it */
	assert_int_equal(bo_blob_cli_retry_us(0, 7, BO_BLOB_CLI_BLOCK_RETRIES), 4140000ull);
	assert_int_equal(bo_blob_cli_retry_us(0, 2, 3), 6733000ull); /* 20200 ms / 3 */
	assert_int_equal(bo_blob_cli_retry_us(1, 0, 0), 30000000ull);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reader),
		cmocka_unit_test(test_writer),
		cmocka_unit_test(test_bitmap),
		cmocka_unit_test(test_enc_index_boundaries),
		cmocka_unit_test(test_enc_list_bitmap),
		cmocka_unit_test(test_block_math),
		cmocka_unit_test(test_timeouts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
