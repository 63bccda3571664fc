/*
 * tests/dfu/test_dfu_msgs.c: every BLOB Transfer, Firmware Update and Firmware Distribution
 * message against hand-written byte vectors (dfu_vectors.h): the encoder must produce the
 * vector, the decoder must recover the message, both directions through the dispatch, and
 * one byte less or more must behave as each vector says. Then malformed payloads, each with
 * the error it must give, opcodes and the dispatch itself.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "dfu_test_util.h"
#include "dfu_vectors.h"

static int decode_exact(enum bo_dfu_msg_type type, const uint8_t *p, size_t len,
			struct bo_dfu_msg *out)
{
	uint8_t *copy = dup_exact(p, len);
	int rc = bo_dfu_msg_decode(bo_dfu_msg_opcode(type), copy, len, out);

	free(copy); /* out may point into copy: callers only look at rc then */
	return rc;
}

static void test_vectors_encode(void **state)
{
	(void)state;
	for (size_t i = 0; i < DFU_N_VECTORS; i++) {
		const struct dfu_vector *v = &dfu_vectors[i];
		uint8_t buf[512];
		int n;

		memset(buf, 0xa5, sizeof(buf));
		n = bo_dfu_msg_encode(&v->msg, buf, v->len);
		if (n != (int)v->len || !bytes_eq(buf, (size_t)n, v->bytes, v->len)) {
			fprintf(stderr, "%s: encode gave %d (%s)\n", v->what, n, bo_dfu_strerror(n));
			if (n > 0)
				hexdump("got", buf, (size_t)n);
			hexdump("want", v->bytes, v->len);
			fail();
		}
		/* nothing written past the payload */
		assert_int_equal(buf[v->len], 0xa5);
		/* measure mode */
		assert_int_equal(bo_dfu_msg_encode(&v->msg, NULL, 0), (int)v->len);
		/* one byte short of room */
		if (v->len)
			assert_int_equal(bo_dfu_msg_encode(&v->msg, buf, v->len - 1),
					 BO_DFU_E_NO_SPACE);
	}
}

static void test_vectors_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < DFU_N_VECTORS; i++) {
		const struct dfu_vector *v = &dfu_vectors[i];
		uint8_t *copy = dup_exact(v->bytes, v->len);
		struct bo_dfu_msg m;
		uint8_t buf[512];
		int rc = bo_dfu_msg_decode(bo_dfu_msg_opcode(v->msg.type), copy, v->len, &m);

		if (rc != 0 || !msg_eq(&m, &v->msg)) {
			fprintf(stderr, "%s: decode gave %d (%s)\n", v->what, rc, bo_dfu_strerror(rc));
			fail();
		}
		assert_int_equal(m.type, v->msg.type);
		/* decode -> encode gives the same bytes back (the raw form of list messages) */
		assert_int_equal(bo_dfu_msg_encode(&m, buf, sizeof(buf)), (int)v->len);
		assert_true(bytes_eq(buf, v->len, v->bytes, v->len));
		free(copy);
	}
}

static void test_vectors_pdu(void **state)
{
	(void)state;
	for (size_t i = 0; i < DFU_N_VECTORS; i++) {
		const struct dfu_vector *v = &dfu_vectors[i];
		uint32_t op = bo_dfu_msg_opcode(v->msg.type);
		int oplen = op > 0xff ? 2 : 1;
		uint8_t buf[520], *copy;
		struct bo_dfu_msg m;
		int n = bo_dfu_pdu_encode(&v->msg, buf, sizeof(buf));

		assert_int_equal(n, oplen + (int)v->len);
		if (oplen == 2) {
			assert_int_equal(buf[0], op >> 8);
			assert_int_equal(buf[1], op & 0xff);
		} else {
			assert_int_equal(buf[0], op);
		}
		assert_true(bytes_eq(buf + oplen, v->len, v->bytes, v->len));
		assert_int_equal(bo_dfu_pdu_encode(&v->msg, buf, (size_t)n - 1), BO_DFU_E_NO_SPACE);
		assert_int_equal(bo_dfu_pdu_encode(&v->msg, NULL, 0), n);

		copy = dup_exact(buf, (size_t)n);
		assert_int_equal(bo_dfu_pdu_decode(copy, (size_t)n, &m), 0);
		assert_true(msg_eq(&m, &v->msg));
		free(copy);
	}
}

static void test_vectors_trunc_ext(void **state)
{
	(void)state;
	for (size_t i = 0; i < DFU_N_VECTORS; i++) {
		const struct dfu_vector *v = &dfu_vectors[i];
		struct bo_dfu_msg m;
		uint8_t ext[520];
		int rc;

		/* every prefix decodes or fails cleanly (ASan checks the reads) */
		for (size_t k = 0; k < v->len; k++)
			(void)decode_exact(v->msg.type, v->bytes, k, &m);

		if (v->len) {
			rc = decode_exact(v->msg.type, v->bytes, v->len - 1, &m);
			if ((rc < 0) != !!(v->flags & TRUNC)) {
				fprintf(stderr, "%s truncated: %d (%s)\n", v->what, rc,
					bo_dfu_strerror(rc));
				fail();
			}
		}
		if (v->len)
			memcpy(ext, v->bytes, v->len);
		ext[v->len] = 0x00;
		rc = decode_exact(v->msg.type, ext, v->len + 1, &m);
		if ((rc < 0) != !!(v->flags & EXT)) {
			fprintf(stderr, "%s extended: %d (%s)\n", v->what, rc, bo_dfu_strerror(rc));
			fail();
		}
	}
}

/* Every message type has at least one vector. */
static void test_vectors_cover_all(void **state)
{
	(void)state;
	for (int t = BO_MSG_NONE + 1; t < BO_MSG_COUNT; t++) {
		bool found = false;

		for (size_t i = 0; i < DFU_N_VECTORS && !found; i++)
			found = dfu_vectors[i].msg.type == (enum bo_dfu_msg_type)t;
		if (!found) {
			fprintf(stderr, "no vector for %s\n", bo_dfu_msg_name((enum bo_dfu_msg_type)t));
			fail();
		}
	}
}

struct bad {
	enum bo_dfu_msg_type type;
	const uint8_t *bytes;
	size_t len;
	int err;
};

#define BAD(id, err, ...) { BO_MSG_##id, BYTES(__VA_ARGS__), BO_DFU_E_##err }
#define BAD_EMPTY(id, err) { BO_MSG_##id, NULL, 0, BO_DFU_E_##err }

#define XS_ID 0x08, 0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01
/* Transfer Status head for phase p: SUCCESS | PUSH, phase, id */
#define XS(b0, p) b0, p, XS_ID

static const struct bad bad_payloads[] = {
	/* BLOB Transfer Start: RFU bits, mode NONE, mode 3 */
	BAD(BLOB_XFER_START, RESERVED, 0x41, XS_ID, 0x00, 0x01, 0, 0, 0x0c, 0x80, 0x01),
	BAD(BLOB_XFER_START, INVALID, 0x00, XS_ID, 0x00, 0x01, 0, 0, 0x0c, 0x80, 0x01),
	BAD(BLOB_XFER_START, INVALID, 0xc0, XS_ID, 0x00, 0x01, 0, 0, 0x0c, 0x80, 0x01),
	BAD_EMPTY(BLOB_XFER_START, TOO_SHORT),
	BAD(BLOB_XFER_CANCEL, TOO_SHORT, 0x01),
	/* BLOB Transfer Status */
	BAD(BLOB_XFER_STATUS, TOO_SHORT, 0x00),
	BAD(BLOB_XFER_STATUS, RESERVED, 0x10, 0x00),
	BAD(BLOB_XFER_STATUS, RESERVED, 0x20, 0x00),
	BAD(BLOB_XFER_STATUS, INVALID, 0x0b, 0x00),
	BAD(BLOB_XFER_STATUS, INVALID, 0xc0, 0x00),
	BAD(BLOB_XFER_STATUS, TOO_LONG, 0x00, 0x00, 0x00),
	BAD(BLOB_XFER_STATUS, TOO_SHORT, 0x00, 0x01, 0x08, 0x07),
	BAD(BLOB_XFER_STATUS, INVALID, XS(0x40, 0x06), 0x10, 0x27, 0, 0, 0x0c, 0x80, 0x01, 0x07),
	BAD(BLOB_XFER_STATUS, RESERVED, XS(0x40, 0x02), 0x10, 0x27, 0, 0, 0x0c, 0x80, 0x01, 0x0f),
	BAD(BLOB_XFER_STATUS, INCONSISTENT, XS(0x40, 0x02), 0x10, 0x27, 0, 0, 0x0c, 0x80, 0x01,
	    0x07, 0x00),
	BAD(BLOB_XFER_STATUS, INCONSISTENT, XS(0x40, 0x02), 0x10, 0x27, 0, 0, 0x0c, 0x80, 0x01),
	BAD(BLOB_XFER_STATUS, INVALID, XS(0x40, 0x02), 0x10, 0x27, 0, 0, 0x05, 0x80, 0x01, 0x07),
	BAD(BLOB_XFER_STATUS, INVALID, XS(0x40, 0x02), 0x10, 0x27, 0, 0, 0x21, 0x80, 0x01, 0x07),
	BAD(BLOB_XFER_STATUS, TOO_SHORT, XS(0x40, 0x04), 0x10, 0x27, 0, 0, 0x0c, 0x80),
	/* BLOB Block Start */
	BAD(BLOB_BLOCK_START, TOO_SHORT, 0x00, 0x00, 0x08),
	/* BLOB Chunk Transfer: no data */
	BAD(BLOB_CHUNK, TOO_SHORT, 0x00),
	BAD(BLOB_CHUNK, TOO_SHORT, 0x00, 0x00),
	/* BLOB Block Status */
	BAD(BLOB_BLOCK_STATUS, TOO_SHORT, 0x00, 0x03, 0x00, 0x00),
	BAD(BLOB_BLOCK_STATUS, RESERVED, 0x10, 0x03, 0x00, 0x00, 0x01),
	BAD(BLOB_BLOCK_STATUS, INVALID, 0x0b, 0x03, 0x00, 0x00, 0x01),
	BAD(BLOB_BLOCK_STATUS, TOO_SHORT, 0x80, 0x03, 0x00, 0x00, 0x01),
	BAD(BLOB_BLOCK_STATUS, TOO_LONG, 0x00, 0x03, 0x00, 0x00, 0x01, 0xff),
	BAD(BLOB_BLOCK_STATUS, TOO_LONG, 0x40, 0x03, 0x00, 0x00, 0x01, 0x00),
	BAD(BLOB_BLOCK_STATUS, INVALID, 0xc0, 0x00, 0x00, 0x08, 0x00, 0xc0, 0x80),
	BAD(BLOB_BLOCK_STATUS, TOO_SHORT, 0xc0, 0x00, 0x00, 0x08, 0x00, 0xe0, 0xa0),
	/* BLOB Partial Block Report: strict UTF-8 */
	BAD(BLOB_BLOCK_REPORT, INVALID, 0x80),             /* continuation as lead */
	BAD(BLOB_BLOCK_REPORT, INVALID, 0x01, 0xbf),       /* stray continuation */
	BAD(BLOB_BLOCK_REPORT, TOO_SHORT, 0xc2),           /* truncated 2-byte */
	BAD(BLOB_BLOCK_REPORT, TOO_SHORT, 0xef, 0xbf),     /* truncated 3-byte */
	BAD(BLOB_BLOCK_REPORT, INVALID, 0xc2, 0x41),       /* bad continuation */
	BAD(BLOB_BLOCK_REPORT, INVALID, 0xe0, 0x80, 0xc0), /* bad 2nd continuation */
	BAD(BLOB_BLOCK_REPORT, INVALID, 0xc1, 0xbf),       /* overlong 0x7f */
	BAD(BLOB_BLOCK_REPORT, INVALID, 0xc0, 0x80),       /* overlong 0 */
	BAD(BLOB_BLOCK_REPORT, INVALID, 0xe0, 0x9f, 0xbf), /* overlong 0x7ff */
	BAD(BLOB_BLOCK_REPORT, INVALID, 0xf0, 0x90, 0x80, 0x80), /* 4-byte: > 0xffff */
	BAD(BLOB_BLOCK_REPORT, INVALID, 0xff),
	/* BLOB Information Status */
	BAD(BLOB_INFO_STATUS, RESERVED, 0x06, 0x0c, 0x00, 0x01, 0x79, 0x01, 0, 0, 0x08, 0, 0x80, 0x01,
	    0x07),
	BAD(BLOB_INFO_STATUS, INVALID, 0x06, 0x0c, 0x00, 0x01, 0x79, 0x01, 0, 0, 0x08, 0, 0x80, 0x01,
	    0x00),
	BAD(BLOB_INFO_STATUS, INVALID, 0x05, 0x0c, 0x00, 0x01, 0x79, 0x01, 0, 0, 0x08, 0, 0x80, 0x01,
	    0x03),
	BAD(BLOB_INFO_STATUS, INVALID, 0x06, 0x21, 0x00, 0x01, 0x79, 0x01, 0, 0, 0x08, 0, 0x80, 0x01,
	    0x03),
	BAD(BLOB_INFO_STATUS, INVALID, 0x0c, 0x06, 0x00, 0x01, 0x79, 0x01, 0, 0, 0x08, 0, 0x80, 0x01,
	    0x03),
	BAD(BLOB_INFO_STATUS, INVALID, 0x06, 0x0c, 0x00, 0x00, 0x79, 0x01, 0, 0, 0x08, 0, 0x80, 0x01,
	    0x03),
	BAD(BLOB_INFO_STATUS, INVALID, 0x06, 0x0c, 0x00, 0x01, 0x07, 0x00, 0, 0, 0x08, 0, 0x80, 0x01,
	    0x03),
	BAD(BLOB_INFO_STATUS, INVALID, 0x06, 0x0c, 0x00, 0x01, 0x79, 0x01, 0, 0, 0, 0, 0x80, 0x01,
	    0x03),
	BAD(BLOB_INFO_STATUS, INVALID, 0x06, 0x0c, 0x00, 0x01, 0x79, 0x01, 0, 0, 0x08, 0, 0x13, 0x00,
	    0x03),
	/* Empty messages take no payload */
	BAD(BLOB_XFER_GET, TOO_LONG, 0x00),
	BAD(DFU_UPDATE_APPLY, TOO_LONG, 0xff),
	BAD(DFD_FW_DELETE_ALL, TOO_LONG, 0x00),
	/* Update Information Status */
	BAD(DFU_INFO_STATUS, TOO_SHORT, 0x01),
	BAD(DFU_INFO_STATUS, INCONSISTENT, 0x01, 0x00, 0x05, 0x01, 0x02),       /* FWID past end */
	BAD(DFU_INFO_STATUS, TOO_SHORT, 0x01, 0x00, 0x02, 0x01, 0x02),          /* no URI length */
	BAD(DFU_INFO_STATUS, INCONSISTENT, 0x01, 0x00, 0x00, 0x03, 'a'),         /* URI past end */
	BAD(DFU_INFO_STATUS, INCONSISTENT, 0x01, 0x01, 0x00, 0x00),              /* first == count */
	BAD(DFU_INFO_STATUS, INCONSISTENT, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00), /* 2 > 1 entries */
	/* Firmware Metadata Check / Status */
	BAD_EMPTY(DFU_METADATA_CHECK, TOO_SHORT),
	BAD(DFU_METADATA_STATUS, INVALID, 0x25, 0x01), /* effect 4 */
	BAD(DFU_METADATA_STATUS, INVALID, 0xfd, 0x01), /* effect 31 */
	BAD(DFU_METADATA_STATUS, TOO_SHORT, 0x00),
	/* Update Start / Status */
	BAD(DFU_UPDATE_START, TOO_SHORT, 0x07, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0),
	BAD(DFU_UPDATE_STATUS, RESERVED, 0x08),
	BAD(DFU_UPDATE_STATUS, RESERVED, 0x10),
	BAD(DFU_UPDATE_STATUS, INVALID, 0x80, 0x05, 0x04, 0x0a, 0x00, XS_ID, 0x00), /* effect 4 */
	BAD(DFU_UPDATE_STATUS, TOO_SHORT, 0x80, 0x05, 0x02, 0x0a, 0x00, XS_ID),
	BAD(DFU_UPDATE_STATUS, TOO_LONG, 0x00, 0x05),
	BAD_EMPTY(DFU_UPDATE_STATUS, TOO_SHORT),
	/* Receivers */
	BAD_EMPTY(DFD_RECEIVERS_ADD, TOO_SHORT),
	BAD(DFD_RECEIVERS_ADD, INCONSISTENT, 0x02, 0x00, 0x00, 0x03),
	BAD(DFD_RECEIVERS_STATUS, INVALID, 0x0e, 0x00, 0x00),
	BAD(DFD_RECEIVERS_GET, INVALID, 0x00, 0x00, 0x00, 0x00), /* limit 0 */
	BAD(DFD_RECEIVERS_LIST, TOO_SHORT, 0x00, 0x00, 0x00),
	BAD(DFD_RECEIVERS_LIST, INVALID, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0xcc, 0x00),
	BAD(DFD_RECEIVERS_LIST, INVALID, 0x01, 0x00, 0x00, 0x00, 0x05, 0x80, 0x05, 0x00, 0x00),
	BAD(DFD_RECEIVERS_LIST, INVALID, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0xc0, 0x02, 0x00),
	BAD(DFD_RECEIVERS_LIST, INCONSISTENT, 0x01, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 0x00),
	BAD(DFD_RECEIVERS_LIST, INCONSISTENT, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00),
	/* Capabilities Status */
	BAD(DFD_CAPS_STATUS, INVALID, 8, 0, 1, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0x02),
	BAD(DFD_CAPS_STATUS, TOO_LONG, 8, 0, 1, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0x00, 0x17),
	BAD(DFD_CAPS_STATUS, TOO_SHORT, 8, 0, 1, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 4, 0, 0x01),
	BAD(DFD_CAPS_STATUS, TOO_SHORT, 8, 0, 1, 0, 0, 0, 8, 0, 0, 0, 8, 0, 0, 0, 4, 0),
	/* Distribution Start */
	BAD(DFD_START, RESERVED, 0x01, 0x00, 0x07, 0x00, 0x00, 0x0d, 0x00, 0x00, 0x00, 0xc0),
	BAD(DFD_START, RESERVED, 0x01, 0x00, 0x07, 0x00, 0x00, 0xf9, 0x00, 0x00, 0x00, 0xc0),
	BAD(DFD_START, TOO_SHORT, 0x01, 0x00, 0x07, 0x00, 0x00, 0x05, 0x00, 0x00),
	BAD(DFD_START, INCONSISTENT, 0x01, 0x00, 0x07, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0xc0, 0x00,
	    0x00),
	/* Distribution Status */
	BAD(DFD_STATUS, INVALID, 0x0e, 0x00),
	BAD(DFD_STATUS, INVALID, 0x00, 0x08),
	BAD(DFD_STATUS, RESERVED, 0x00, 0x01, 0x00, 0xc0, 0x01, 0x00, 0x07, 0x00, 0x00, 0x0a, 0x00,
	    0x00),
	BAD(DFD_STATUS, TOO_SHORT, 0x00, 0x01, 0x00),
	BAD(DFD_STATUS, TOO_LONG, 0x00, 0x01, 0x00, 0xc0, 0x01, 0x00, 0x07, 0x00, 0x00, 0x02, 0x00,
	    0x00, 0x00),
	BAD(DFD_STATUS, TOO_SHORT, 0x00),
	/* Upload Start */
	BAD(DFD_UPLOAD_START, TOO_SHORT, 0x07, 0x01, 0x00, XS_ID, 0x00, 0x00, 0x01, 0x00),
	BAD(DFD_UPLOAD_START, INCONSISTENT, 0x07, 0x01, 0x00, XS_ID, 0x00, 0x00, 0x01, 0x00, 0x05,
	    0x01, 0x02),
	/* Upload Start OOB */
	BAD_EMPTY(DFD_UPLOAD_START_OOB, TOO_SHORT),
	BAD(DFD_UPLOAD_START_OOB, INVALID, 0x00),
	BAD(DFD_UPLOAD_START_OOB, INVALID, 0x00, 0x01),
	BAD(DFD_UPLOAD_START_OOB, INCONSISTENT, 0x05, 'a'),
	/* Upload Status */
	BAD(DFD_UPLOAD_STATUS, TOO_SHORT, 0x00),
	BAD(DFD_UPLOAD_STATUS, INVALID, 0x0e, 0x00),
	BAD(DFD_UPLOAD_STATUS, INVALID, 0x00, 0x04),
	BAD(DFD_UPLOAD_STATUS, INVALID, 0x00, 0x01, 0x65), /* 101 % */
	BAD(DFD_UPLOAD_STATUS, INVALID, 0x00, 0x01, 0xe5), /* 101 % | OOB */
	/* Firmware Get By Index / Status */
	BAD(DFD_FW_GET_BY_INDEX, TOO_SHORT, 0x01),
	BAD(DFD_FW_GET_BY_INDEX, TOO_LONG, 0x01, 0x00, 0x00),
	BAD(DFD_FW_STATUS, TOO_SHORT, 0x00, 0x01, 0x00, 0xff),
	BAD(DFD_FW_STATUS, INVALID, 0x0e, 0x01, 0x00, 0xff, 0xff),
};

static void test_bad_payloads(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_payloads) / sizeof(bad_payloads[0]); i++) {
		const struct bad *b = &bad_payloads[i];
		struct bo_dfu_msg m;
		int rc = decode_exact(b->type, b->bytes, b->len, &m);

		if (rc != b->err) {
			fprintf(stderr, "%s bad payload #%zu: got %d (%s), want %d (%s)\n",
				bo_dfu_msg_name(b->type), i, rc, bo_dfu_strerror(rc), b->err,
				bo_dfu_strerror(b->err));
			hexdump("payload", b->bytes, b->len);
			fail();
		}
	}
}

/* Payloads with a variable field one byte over its limit (and exactly at it). */
static void test_limits(void **state)
{
	uint8_t p[400];
	struct bo_dfu_msg m;
	size_t n;

	(void)state;
	memset(p, 0x5a, sizeof(p));

	/* Chunk data: 377 bytes fit, 378 do not */
	assert_int_equal(decode_exact(BO_MSG_BLOB_CHUNK, p, 2 + BO_BLOB_CHUNK_DATA_MAX, &m), 0);
	assert_int_equal(decode_exact(BO_MSG_BLOB_CHUNK, p, 3 + BO_BLOB_CHUNK_DATA_MAX, &m),
			 BO_DFU_E_LIMIT);

	/* Metadata Check: image index + 32 / 33 */
	assert_int_equal(decode_exact(BO_MSG_DFU_METADATA_CHECK, p, 1 + 32, &m), 0);
	assert_int_equal(decode_exact(BO_MSG_DFU_METADATA_CHECK, p, 1 + 33, &m), BO_DFU_E_LIMIT);
	/* Update Start: 12 + 32 / 33 */
	assert_int_equal(decode_exact(BO_MSG_DFU_UPDATE_START, p, 12 + 32, &m), 0);
	assert_int_equal(decode_exact(BO_MSG_DFU_UPDATE_START, p, 12 + 33, &m), BO_DFU_E_LIMIT);
	/* Firmware Get / Delete: FWID 16 / 17 */
	assert_int_equal(decode_exact(BO_MSG_DFD_FW_GET, p, 16, &m), 0);
	assert_int_equal(decode_exact(BO_MSG_DFD_FW_GET, p, 17, &m), BO_DFU_E_LIMIT);
	assert_int_equal(decode_exact(BO_MSG_DFD_FW_DELETE, p, 17, &m), BO_DFU_E_LIMIT);
	/* Firmware Status: 5 + 16 / 17 */
	p[0] = 0;
	assert_int_equal(decode_exact(BO_MSG_DFD_FW_STATUS, p, 5 + 16, &m), 0);
	assert_int_equal(decode_exact(BO_MSG_DFD_FW_STATUS, p, 5 + 17, &m), BO_DFU_E_LIMIT);
	/* Upload Status: 3 + 16 / 17 */
	p[0] = 0, p[1] = 1, p[2] = 50;
	assert_int_equal(decode_exact(BO_MSG_DFD_UPLOAD_STATUS, p, 3 + 16, &m), 0);
	assert_int_equal(decode_exact(BO_MSG_DFD_UPLOAD_STATUS, p, 3 + 17, &m), BO_DFU_E_LIMIT);
	/* Upload Start: metadata 32 / 33 (FWID empty), then FWID 16 / 17 */
	memset(p, 0, 16);
	p[15] = 32;
	assert_int_equal(decode_exact(BO_MSG_DFD_UPLOAD_START, p, 16 + 32, &m), 0);
	p[15] = 33;
	assert_int_equal(decode_exact(BO_MSG_DFD_UPLOAD_START, p, 16 + 33, &m), BO_DFU_E_LIMIT);
	p[15] = 0;
	assert_int_equal(decode_exact(BO_MSG_DFD_UPLOAD_START, p, 16 + 16, &m), 0);
	assert_int_equal(decode_exact(BO_MSG_DFD_UPLOAD_START, p, 16 + 17, &m), BO_DFU_E_LIMIT);
	/* Upload Start OOB: URI 32 / 33, FWID 16 / 17 */
	p[0] = 32;
	assert_int_equal(decode_exact(BO_MSG_DFD_UPLOAD_START_OOB, p, 1 + 32 + 16, &m), 0);
	assert_int_equal(decode_exact(BO_MSG_DFD_UPLOAD_START_OOB, p, 1 + 32 + 17, &m),
			 BO_DFU_E_LIMIT);
	p[0] = 33;
	assert_int_equal(decode_exact(BO_MSG_DFD_UPLOAD_START_OOB, p, 1 + 33, &m), BO_DFU_E_LIMIT);
	/* Update Information Status: one entry, FWID 16 / 17, URI 32 / 33 */
	memset(p, 0, sizeof(p));
	p[0] = 1;
	p[2] = 16;
	p[2 + 1 + 16] = 32;
	n = 2 + 1 + 16 + 1 + 32;
	assert_int_equal(decode_exact(BO_MSG_DFU_INFO_STATUS, p, n, &m), 0);
	p[2 + 1 + 16] = 33;
	assert_int_equal(decode_exact(BO_MSG_DFU_INFO_STATUS, p, n + 1, &m), BO_DFU_E_LIMIT);
	p[2] = 17;
	p[2 + 1 + 17] = 0;
	assert_int_equal(decode_exact(BO_MSG_DFU_INFO_STATUS, p, 2 + 1 + 17 + 1, &m),
			 BO_DFU_E_LIMIT);
}

/* Encoders refuse what the decoders would refuse. */
static void test_encode_rejects(void **state)
{
	uint8_t buf[512], big[400] = { 0 };
	struct bo_dfu_img_entry img = { .fwid = big, .fwid_len = 17 };

	(void)state;
	assert_int_equal(bo_blob_xfer_start_encode(&(struct bo_blob_xfer_start){ .mode = 3 }, buf,
						   sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_blob_xfer_start_encode(&(struct bo_blob_xfer_start){ .mode = 0 }, buf,
						   sizeof(buf)),
			 BO_DFU_E_INVALID);
	/* bitmap length must match the block count: 10000 B in 4 KiB blocks = 3 blocks, 1 byte */
	assert_int_equal(bo_blob_xfer_status_encode(
				 &(struct bo_blob_xfer_status){
					 .phase = BO_BLOB_PHASE_WAITING_FOR_BLOCK, .size = 10000,
					 .block_size_log = 12, .blocks = big, .blocks_len = 2 },
				 buf, sizeof(buf)),
			 BO_DFU_E_INCONSISTENT);
	assert_int_equal(bo_blob_xfer_status_encode(
				 &(struct bo_blob_xfer_status){
					 .phase = BO_BLOB_PHASE_WAITING_FOR_BLOCK, .size = 10000,
					 .block_size_log = 12, .blocks = (const uint8_t[]){ 0x08 },
					 .blocks_len = 1 },
				 buf, sizeof(buf)),
			 BO_DFU_E_RESERVED);
	assert_int_equal(bo_blob_xfer_status_encode(&(struct bo_blob_xfer_status){ .status = 16 },
						    buf, sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_blob_chunk_encode(&(struct bo_blob_chunk){ .data = big, .len = 0 }, buf,
					      sizeof(buf)),
			 BO_DFU_E_TOO_SHORT);
	assert_int_equal(bo_blob_chunk_encode(&(struct bo_blob_chunk){ .data = big, .len = 378 },
					      buf, sizeof(buf)),
			 BO_DFU_E_LIMIT);
	assert_int_equal(bo_blob_chunk_encode(&(struct bo_blob_chunk){ .data = NULL, .len = 3 },
					      buf, sizeof(buf)),
			 BO_DFU_E_ARG);
	assert_int_equal(bo_blob_block_status_encode(
				 &(struct bo_blob_block_status){ .format = BO_BLOB_MISSING_ENCODED,
								 .missing = (const uint8_t[]){ 0x80 },
								 .missing_len = 1 },
				 buf, sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_blob_block_status_encode(&(struct bo_blob_block_status){ .format = 4 },
						     buf, sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfu_update_status_encode(
				 &(struct bo_dfu_update_status){ .phase = BO_DFU_PHASE_VERIFY,
								 .effect = 4 },
				 buf, sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfu_update_status_encode(&(struct bo_dfu_update_status){ .phase = 8 },
						     buf, sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfu_metadata_status_encode(
				 &(struct bo_dfu_metadata_status){ .status = 8 }, buf, sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfu_update_start_encode(
				 &(struct bo_dfu_update_start){ .metadata = big, .metadata_len = 33 },
				 buf, sizeof(buf)),
			 BO_DFU_E_LIMIT);
	/* Information Status: FWID over the limit, entry count mismatch, too many entries */
	assert_int_equal(bo_dfu_info_status_encode(
				 &(struct bo_dfu_info_status){ .count = 1, .imgs = &img, .n_imgs = 1 },
				 buf, sizeof(buf)),
			 BO_DFU_E_LIMIT);
	assert_int_equal(bo_dfu_info_status_encode(
				 &(struct bo_dfu_info_status){ .count = 3, .imgs = v_imgs, .n_imgs = 2,
							       .first = 2 },
				 buf, sizeof(buf)),
			 BO_DFU_E_INCONSISTENT);
	assert_int_equal(bo_dfu_info_status_encode(
				 &(struct bo_dfu_info_status){ .count = 3,
							       .raw = (const uint8_t[]){ 0, 0 },
							       .raw_len = 2, .n_imgs = 2 },
				 buf, sizeof(buf)),
			 BO_DFU_E_INCONSISTENT);
	assert_int_equal(bo_dfd_receivers_add_encode(&(struct bo_dfd_receivers_add){ .count = 0 },
						     buf, sizeof(buf)),
			 BO_DFU_E_TOO_SHORT);
	assert_int_equal(bo_dfd_receivers_get_encode(&(struct bo_dfd_receivers_get){ .limit = 0 },
						     buf, sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfd_receivers_list_encode(
				 &(struct bo_dfd_receivers_list){ .total = 2, .first = 1,
								  .list = v_targets, .count = 2 },
				 buf, sizeof(buf)),
			 BO_DFU_E_INCONSISTENT);
	assert_int_equal(bo_dfd_receivers_list_encode(
				 &(struct bo_dfd_receivers_list){
					 .total = 1,
					 .list = &(struct bo_dfd_target_entry){ .addr = 0x8000 },
					 .count = 1 },
				 buf, sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfd_receivers_list_encode(
				 &(struct bo_dfd_receivers_list){
					 .total = 1,
					 .list = &(struct bo_dfd_target_entry){ .progress = 51 },
					 .count = 1 },
				 buf, sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfd_caps_status_encode(&(struct bo_dfd_caps_status){ .oob_supported = 1 },
						   buf, sizeof(buf)),
			 BO_DFU_E_TOO_SHORT);
	assert_int_equal(bo_dfd_dist_start_encode(&(struct bo_dfd_dist_start){ .mode = 4 }, buf,
						  sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfd_dist_start_encode(&(struct bo_dfd_dist_start){ .policy = 2 }, buf,
						  sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfd_dist_status_encode(&(struct bo_dfd_dist_status){ .phase = 8 }, buf,
						   sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfd_upload_start_encode(
				 &(struct bo_dfd_upload_start){ .fwid = big, .fwid_len = 17 }, buf,
				 sizeof(buf)),
			 BO_DFU_E_LIMIT);
	assert_int_equal(bo_dfd_upload_start_encode(
				 &(struct bo_dfd_upload_start){ .metadata = big, .metadata_len = 33 },
				 buf, sizeof(buf)),
			 BO_DFU_E_LIMIT);
	assert_int_equal(bo_dfd_upload_start_oob_encode(&(struct bo_dfd_upload_start_oob){ 0 }, buf,
							sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfd_upload_start_oob_encode(
				 &(struct bo_dfd_upload_start_oob){ .uri = big, .uri_len = 33 }, buf,
				 sizeof(buf)),
			 BO_DFU_E_LIMIT);
	assert_int_equal(bo_dfd_upload_status_encode(
				 &(struct bo_dfd_upload_status){ .has_progress = true, .progress = 101 },
				 buf, sizeof(buf)),
			 BO_DFU_E_INVALID);
	assert_int_equal(bo_dfd_upload_status_encode(
				 &(struct bo_dfd_upload_status){ .fwid = big, .fwid_len = 1 }, buf,
				 sizeof(buf)),
			 BO_DFU_E_TOO_LONG);
	assert_int_equal(bo_dfd_fwid_msg_encode(&(struct bo_dfd_fwid_msg){ .fwid = big,
									   .fwid_len = 17 },
						buf, sizeof(buf)),
			 BO_DFU_E_LIMIT);
	assert_int_equal(bo_dfd_fw_status_encode(&(struct bo_dfd_fw_status){ .status = 14 }, buf,
						 sizeof(buf)),
			 BO_DFU_E_INVALID);
	/* no type */
	assert_int_equal(bo_dfu_msg_encode(&(struct bo_dfu_msg){ .type = BO_MSG_NONE }, buf,
					   sizeof(buf)),
			 BO_DFU_E_OPCODE);
	assert_int_equal(bo_dfu_pdu_encode(&(struct bo_dfu_msg){ .type = BO_MSG_COUNT }, buf,
					   sizeof(buf)),
			 BO_DFU_E_OPCODE);
}

static void test_receivers_list_fields(void **state)
{
	const struct dfu_vector *v = NULL;
	struct bo_dfd_target_entry e;
	struct bo_dfu_msg m;
	uint32_t word = 0;

	(void)state;
	for (size_t i = 0; i < DFU_N_VECTORS && !v; i++)
		if (strcmp(dfu_vectors[i].what, "Receivers List") == 0)
			v = &dfu_vectors[i];
	assert_non_null(v);
	assert_int_equal(bo_dfu_msg_decode(BO_OP_DFD_RECEIVERS_LIST, v->bytes, v->len, &m), 0);
	assert_int_equal(m.u.dfd_receivers_list.count, 2);
	assert_null(m.u.dfd_receivers_list.list);
	assert_int_equal(bo_dfd_receivers_list_at(&m.u.dfd_receivers_list, 1, &e), 0);
	assert_int_equal(e.addr, 0x7fff);
	assert_int_equal(e.phase, BO_DFU_PHASE_UNKNOWN);
	assert_int_equal(e.update_status, BO_DFU_ERR_INTERNAL);
	assert_int_equal(e.blob_status, BO_BLOB_ERR_INTERNAL);
	assert_int_equal(e.progress, 0);
	assert_int_equal(e.img_idx, 2);
	assert_int_equal(bo_dfd_receivers_list_at(&m.u.dfd_receivers_list, 2, &e), BO_DFU_E_ARG);

	/* every field at its top value, one at a time */
	assert_int_equal(bo_dfd_target_entry_pack(&(struct bo_dfd_target_entry){ .addr = 0x7fff },
						  &word),
			 0);
	assert_int_equal(word, 0x00007fffu);
	assert_int_equal(bo_dfd_target_entry_pack(&(struct bo_dfd_target_entry){ .phase = 10 }, &word),
			 0);
	assert_int_equal(word, 10u << 15);
	assert_int_equal(bo_dfd_target_entry_pack(&(struct bo_dfd_target_entry){ .update_status = 7 },
						  &word),
			 0);
	assert_int_equal(word, 7u << 19);
	assert_int_equal(bo_dfd_target_entry_pack(&(struct bo_dfd_target_entry){ .blob_status = 10 },
						  &word),
			 0);
	assert_int_equal(word, 10u << 22);
	assert_int_equal(bo_dfd_target_entry_pack(&(struct bo_dfd_target_entry){ .progress = 50 },
						  &word),
			 0);
	assert_int_equal(word, 50u << 26);
	assert_int_equal(bo_dfd_target_entry_unpack(0xc8020005u, 9, &e), 0);
	assert_int_equal(e.addr, 5);
	assert_int_equal(e.phase, BO_DFU_PHASE_VERIFY_OK);
	assert_int_equal(e.progress, 50);
	assert_int_equal(e.img_idx, 9);
}

static void test_info_status_entries(void **state)
{
	static const uint8_t p[] = { 0x02, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04,
				     0x02, 'a',  'b',  0x01, 0xaa, 0x00 };
	struct bo_dfu_img_entry e;
	struct bo_dfu_msg m;
	size_t pos = 0;

	(void)state;
	assert_int_equal(bo_dfu_msg_decode(BO_OP_DFU_INFO_STATUS, p, sizeof(p), &m), 0);
	assert_int_equal(m.u.dfu_info_status.n_imgs, 2);
	assert_int_equal(bo_dfu_info_status_next(&m.u.dfu_info_status, &pos, &e), 1);
	assert_int_equal(e.fwid_len, 4);
	assert_ptr_equal(e.fwid, p + 3); /* zero copy */
	assert_int_equal(e.uri_len, 2);
	assert_memory_equal(e.uri, "ab", 2);
	assert_int_equal(bo_dfu_info_status_next(&m.u.dfu_info_status, &pos, &e), 1);
	assert_int_equal(e.fwid_len, 1);
	assert_int_equal(e.fwid[0], 0xaa);
	assert_int_equal(e.uri_len, 0);
	assert_int_equal(bo_dfu_info_status_next(&m.u.dfu_info_status, &pos, &e), 0);
}

static void test_opcodes(void **state)
{
	static const struct {
		uint32_t op;
		uint8_t len;
		uint8_t b[3];
	} ok[] = {
		{ 0x00, 1, { 0x00 } },
		{ 0x66, 1, { 0x66 } },
		{ 0x7e, 1, { 0x7e } },
		{ 0x8000, 2, { 0x80, 0x00 } },
		{ 0x8301, 2, { 0x83, 0x01 } },
		{ 0xbfff, 2, { 0xbf, 0xff } },
		{ 0xc00000, 3, { 0xc0, 0x00, 0x00 } },
		/* vendor opcode 0x01 of company 0x0059 (Nordic): 0xc1, then the CID LE */
		{ 0xc10059, 3, { 0xc1, 0x59, 0x00 } },
		{ 0xffffff, 3, { 0xff, 0xff, 0xff } },
	};
	static const uint32_t bad[] = { 0x7f, 0x80, 0xff, 0x7fff, 0xc000, 0x10000, 0xbfffff,
					0x1000000, 0xffffffff };
	uint8_t buf[4], *copy;
	uint32_t op;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		memset(buf, 0xee, sizeof(buf));
		assert_int_equal(bo_mesh_opcode_len(ok[i].op), ok[i].len);
		assert_int_equal(bo_mesh_opcode_encode(ok[i].op, buf, sizeof(buf)), ok[i].len);
		assert_memory_equal(buf, ok[i].b, ok[i].len);
		assert_int_equal(buf[ok[i].len], 0xee);
		assert_int_equal(bo_mesh_opcode_encode(ok[i].op, buf, ok[i].len - 1u),
				 BO_DFU_E_NO_SPACE);
		copy = dup_exact(ok[i].b, ok[i].len);
		assert_int_equal(bo_mesh_opcode_decode(copy, ok[i].len, &op), ok[i].len);
		assert_int_equal(op, ok[i].op);
		/* truncated opcode */
		assert_int_equal(bo_mesh_opcode_decode(copy, ok[i].len - 1u, &op),
				 BO_DFU_E_TOO_SHORT);
		free(copy);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(bo_mesh_opcode_len(bad[i]), BO_DFU_E_OPCODE);
		assert_int_equal(bo_mesh_opcode_encode(bad[i], buf, sizeof(buf)), BO_DFU_E_OPCODE);
	}
	copy = dup_exact((const uint8_t[]){ 0x7f }, 1);
	assert_int_equal(bo_mesh_opcode_decode(copy, 1, &op), BO_DFU_E_OPCODE);
	free(copy);
	assert_int_equal(bo_mesh_opcode_decode(NULL, 0, &op), BO_DFU_E_TOO_SHORT);
}

static void test_dispatch(void **state)
{
	struct bo_dfu_msg m;
	uint8_t *copy;

	(void)state;
	for (int t = BO_MSG_NONE + 1; t < BO_MSG_COUNT; t++) {
		uint32_t op = bo_dfu_msg_opcode((enum bo_dfu_msg_type)t);

		assert_int_equal(bo_dfu_msg_type_of(op), t);
		assert_true(op == BO_OP_BLOB_CHUNK || op == BO_OP_BLOB_BLOCK_STATUS ||
			    op == BO_OP_BLOB_BLOCK_REPORT || (op >= 0x8300 && op <= 0x8327));
		assert_string_not_equal(bo_dfu_msg_name((enum bo_dfu_msg_type)t), "unknown");
	}
	/* all 40 two-octet opcodes 0x8300..0x8327 and the three one-octet ones are ours */
	for (uint32_t op = 0x8300; op <= 0x8327; op++)
		assert_int_not_equal(bo_dfu_msg_type_of(op), BO_MSG_NONE);
	assert_int_equal(BO_MSG_COUNT - 1, 40 + 3);
	assert_int_equal(bo_dfu_msg_type_of(0x8328), BO_MSG_NONE);
	assert_int_equal(bo_dfu_msg_type_of(0x82ff), BO_MSG_NONE);
	assert_int_equal(bo_dfu_msg_type_of(0x65), BO_MSG_NONE);
	assert_int_equal(bo_dfu_msg_type_of(0x69), BO_MSG_NONE);
	assert_int_equal(bo_dfu_msg_opcode(BO_MSG_NONE), 0xffffffffu);
	assert_string_equal(bo_dfu_msg_name(BO_MSG_COUNT), "unknown");
	assert_string_equal(bo_dfu_msg_name(BO_MSG_BLOB_XFER_START), "BLOB Transfer Start");

	/* a message that is not ours */
	assert_int_equal(bo_dfu_msg_decode(0x8201, NULL, 0, &m), BO_DFU_E_OPCODE);
	assert_int_equal(m.type, BO_MSG_NONE);
	copy = dup_exact((const uint8_t[]){ 0xc1, 0x59, 0x00, 0x01 }, 4);
	assert_int_equal(bo_dfu_pdu_decode(copy, 4, &m), BO_DFU_E_OPCODE);
	assert_int_equal(m.type, BO_MSG_NONE);
	free(copy);
	/* a PDU: Block Start, block 2, chunk size 256 */
	copy = dup_exact((const uint8_t[]){ 0x83, 0x04, 0x02, 0x00, 0x00, 0x01 }, 6);
	assert_int_equal(bo_dfu_pdu_decode(copy, 6, &m), 0);
	assert_int_equal(m.type, BO_MSG_BLOB_BLOCK_START);
	assert_int_equal(m.u.blob_block_start.block, 2);
	assert_int_equal(m.u.blob_block_start.chunk_size, 256);
	/* the same PDU cut inside the opcode and inside the payload */
	assert_int_equal(bo_dfu_pdu_decode(copy, 1, &m), BO_DFU_E_TOO_SHORT);
	assert_int_equal(bo_dfu_pdu_decode(copy, 5, &m), BO_DFU_E_TOO_SHORT);
	free(copy);
	/* a one-octet opcode PDU: Chunk Transfer */
	copy = dup_exact((const uint8_t[]){ 0x66, 0x02, 0x01, 0xaa }, 4);
	assert_int_equal(bo_dfu_pdu_decode(copy, 4, &m), 0);
	assert_int_equal(m.type, BO_MSG_BLOB_CHUNK);
	assert_int_equal(m.u.blob_chunk.chunk, 0x0102);
	assert_int_equal(m.u.blob_chunk.len, 1);
	assert_ptr_equal(m.u.blob_chunk.data, copy + 3);
	free(copy);
}

static void test_strerror(void **state)
{
	(void)state;
	for (int e = 0; e >= BO_DFU_E_ARG; e--)
		assert_string_not_equal(bo_dfu_strerror(e), "unknown error");
	assert_string_equal(bo_dfu_strerror(BO_DFU_E_TOO_SHORT), "too short");
	assert_string_equal(bo_dfu_strerror(BO_DFU_E_INCONSISTENT), "inconsistent lengths");
	assert_string_equal(bo_dfu_strerror(-100), "unknown error");
	assert_string_equal(bo_dfu_strerror(5), "unknown error");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors_encode),
		cmocka_unit_test(test_vectors_decode),
		cmocka_unit_test(test_vectors_pdu),
		cmocka_unit_test(test_vectors_trunc_ext),
		cmocka_unit_test(test_vectors_cover_all),
		cmocka_unit_test(test_bad_payloads),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_encode_rejects),
		cmocka_unit_test(test_receivers_list_fields),
		cmocka_unit_test(test_info_status_entries),
		cmocka_unit_test(test_opcodes),
		cmocka_unit_test(test_dispatch),
		cmocka_unit_test(test_strerror),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
