/*
 * tests/dfu/dfu_test_util.h: helpers shared by the core/dfu codec tests: exact-size heap
 * copies (so ASan sees any read past a payload), a field-by-field message comparison that
 * works across the list and raw forms of the list messages, and a seeded PRNG.
 */
#ifndef BO_TESTS_DFU_TEST_UTIL_H
#define BO_TESTS_DFU_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dfu/msg.h"

/* A heap copy of exactly len bytes (NULL for len 0), so reading past it trips ASan. */
static inline uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *q;

	if (len == 0)
		return NULL;
	q = malloc(len);
	if (!q)
		abort();
	memcpy(q, p, len);
	return q;
}

static inline bool bytes_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

#define EQ_BYTES(a, alen, b, blen)                                                             \
	do {                                                                                   \
		if (!bytes_eq(a, alen, b, blen))                                               \
			return false;                                                          \
	} while (0)
#define EQ(f)                                                                                  \
	do {                                                                                   \
		if (x->f != y->f)                                                              \
			return false;                                                          \
	} while (0)

static inline bool info_status_eq(const struct bo_dfu_info_status *x, const struct bo_dfu_info_status *y)
{
	struct bo_dfu_img_entry ex, ey;
	size_t px = 0, py = 0;
	int rx, ry;

	EQ(count);
	EQ(first);
	EQ(n_imgs);
	for (;;) {
		rx = bo_dfu_info_status_next(x, &px, &ex);
		ry = bo_dfu_info_status_next(y, &py, &ey);
		if (rx != ry)
			return false;
		if (rx != 1)
			return rx == 0;
		EQ_BYTES(ex.fwid, ex.fwid_len, ey.fwid, ey.fwid_len);
		EQ_BYTES(ex.uri, ex.uri_len, ey.uri, ey.uri_len);
	}
}

static inline bool receivers_add_eq(const struct bo_dfd_receivers_add *x,
			     const struct bo_dfd_receivers_add *y)
{
	EQ(count);
	for (size_t i = 0; i < x->count; i++) {
		struct bo_dfd_receiver a, b;

		if (bo_dfd_receivers_add_at(x, i, &a) || bo_dfd_receivers_add_at(y, i, &b))
			return false;
		if (a.addr != b.addr || a.img_idx != b.img_idx)
			return false;
	}
	return true;
}

static inline bool receivers_list_eq(const struct bo_dfd_receivers_list *x,
			      const struct bo_dfd_receivers_list *y)
{
	EQ(total);
	EQ(first);
	EQ(count);
	for (size_t i = 0; i < x->count; i++) {
		struct bo_dfd_target_entry a, b;

		if (bo_dfd_receivers_list_at(x, i, &a) || bo_dfd_receivers_list_at(y, i, &b))
			return false;
		if (a.addr != b.addr || a.phase != b.phase || a.update_status != b.update_status ||
		    a.blob_status != b.blob_status || a.progress != b.progress ||
		    a.img_idx != b.img_idx)
			return false;
	}
	return true;
}

/* Field-by-field equality of two messages of the same type. */
static inline bool msg_eq(const struct bo_dfu_msg *a, const struct bo_dfu_msg *b)
{
	if (a->type != b->type)
		return false;
	switch (a->type) {
	case BO_MSG_BLOB_XFER_START: {
		const struct bo_blob_xfer_start *x = &a->u.blob_xfer_start, *y = &b->u.blob_xfer_start;

		EQ(mode);
		EQ(id);
		EQ(size);
		EQ(block_size_log);
		EQ(mtu);
		return true;
	}
	case BO_MSG_BLOB_XFER_CANCEL:
		return a->u.blob_xfer_cancel.id == b->u.blob_xfer_cancel.id;
	case BO_MSG_BLOB_XFER_STATUS: {
		const struct bo_blob_xfer_status *x = &a->u.blob_xfer_status,
						 *y = &b->u.blob_xfer_status;

		EQ(status);
		EQ(mode);
		EQ(phase);
		EQ(id);
		EQ(size);
		EQ(block_size_log);
		EQ(mtu);
		EQ_BYTES(x->blocks, x->blocks_len, y->blocks, y->blocks_len);
		return true;
	}
	case BO_MSG_BLOB_BLOCK_START: {
		const struct bo_blob_block_start *x = &a->u.blob_block_start, *y = &b->u.blob_block_start;

		EQ(block);
		EQ(chunk_size);
		return true;
	}
	case BO_MSG_BLOB_CHUNK: {
		const struct bo_blob_chunk *x = &a->u.blob_chunk, *y = &b->u.blob_chunk;

		EQ(chunk);
		EQ_BYTES(x->data, x->len, y->data, y->len);
		return true;
	}
	case BO_MSG_BLOB_BLOCK_STATUS: {
		const struct bo_blob_block_status *x = &a->u.blob_block_status,
						  *y = &b->u.blob_block_status;

		EQ(status);
		EQ(format);
		EQ(block);
		EQ(chunk_size);
		EQ_BYTES(x->missing, x->missing_len, y->missing, y->missing_len);
		return true;
	}
	case BO_MSG_BLOB_BLOCK_REPORT: {
		const struct bo_blob_block_report *x = &a->u.blob_block_report,
						  *y = &b->u.blob_block_report;

		EQ_BYTES(x->list, x->len, y->list, y->len);
		return true;
	}
	case BO_MSG_BLOB_INFO_STATUS: {
		const struct bo_blob_info_status *x = &a->u.blob_info_status, *y = &b->u.blob_info_status;

		EQ(min_block_size_log);
		EQ(max_block_size_log);
		EQ(max_chunks);
		EQ(max_chunk_size);
		EQ(max_size);
		EQ(mtu);
		EQ(modes);
		return true;
	}
	case BO_MSG_DFU_INFO_GET: {
		const struct bo_dfu_info_get *x = &a->u.dfu_info_get, *y = &b->u.dfu_info_get;

		EQ(first);
		EQ(limit);
		return true;
	}
	case BO_MSG_DFU_INFO_STATUS:
		return info_status_eq(&a->u.dfu_info_status, &b->u.dfu_info_status);
	case BO_MSG_DFU_METADATA_CHECK: {
		const struct bo_dfu_metadata_check *x = &a->u.dfu_metadata_check,
						   *y = &b->u.dfu_metadata_check;

		EQ(img_idx);
		EQ_BYTES(x->metadata, x->metadata_len, y->metadata, y->metadata_len);
		return true;
	}
	case BO_MSG_DFU_METADATA_STATUS: {
		const struct bo_dfu_metadata_status *x = &a->u.dfu_metadata_status,
						    *y = &b->u.dfu_metadata_status;

		EQ(status);
		EQ(effect);
		EQ(img_idx);
		return true;
	}
	case BO_MSG_DFU_UPDATE_START: {
		const struct bo_dfu_update_start *x = &a->u.dfu_update_start, *y = &b->u.dfu_update_start;

		EQ(ttl);
		EQ(timeout_base);
		EQ(blob_id);
		EQ(img_idx);
		EQ_BYTES(x->metadata, x->metadata_len, y->metadata, y->metadata_len);
		return true;
	}
	case BO_MSG_DFU_UPDATE_STATUS: {
		const struct bo_dfu_update_status *x = &a->u.dfu_update_status,
						  *y = &b->u.dfu_update_status;

		EQ(status);
		EQ(phase);
		EQ(ttl);
		EQ(effect);
		EQ(timeout_base);
		EQ(blob_id);
		EQ(img_idx);
		return true;
	}
	case BO_MSG_DFD_RECEIVERS_ADD:
		return receivers_add_eq(&a->u.dfd_receivers_add, &b->u.dfd_receivers_add);
	case BO_MSG_DFD_RECEIVERS_STATUS: {
		const struct bo_dfd_receivers_status *x = &a->u.dfd_receivers_status,
						     *y = &b->u.dfd_receivers_status;

		EQ(status);
		EQ(list_count);
		return true;
	}
	case BO_MSG_DFD_RECEIVERS_GET: {
		const struct bo_dfd_receivers_get *x = &a->u.dfd_receivers_get,
						  *y = &b->u.dfd_receivers_get;

		EQ(first);
		EQ(limit);
		return true;
	}
	case BO_MSG_DFD_RECEIVERS_LIST:
		return receivers_list_eq(&a->u.dfd_receivers_list, &b->u.dfd_receivers_list);
	case BO_MSG_DFD_CAPS_STATUS: {
		const struct bo_dfd_caps_status *x = &a->u.dfd_caps_status, *y = &b->u.dfd_caps_status;

		EQ(max_receivers);
		EQ(max_slots);
		EQ(max_image_size);
		EQ(max_upload_space);
		EQ(remaining_space);
		EQ(oob_supported);
		EQ_BYTES(x->uri_schemes, x->uri_schemes_len, y->uri_schemes, y->uri_schemes_len);
		return true;
	}
	case BO_MSG_DFD_START: {
		const struct bo_dfd_dist_start *x = &a->u.dfd_start, *y = &b->u.dfd_start;

		EQ(app_idx);
		EQ(ttl);
		EQ(timeout_base);
		EQ(mode);
		EQ(policy);
		EQ(slot_idx);
		if ((x->label_uuid == NULL) != (y->label_uuid == NULL))
			return false;
		if (x->label_uuid)
			EQ_BYTES(x->label_uuid, BO_DFD_LABEL_UUID_LEN, y->label_uuid,
				 BO_DFD_LABEL_UUID_LEN);
		else
			EQ(group);
		return true;
	}
	case BO_MSG_DFD_STATUS: {
		const struct bo_dfd_dist_status *x = &a->u.dfd_status, *y = &b->u.dfd_status;

		EQ(status);
		EQ(phase);
		EQ(has_params);
		EQ(group);
		EQ(app_idx);
		EQ(ttl);
		EQ(timeout_base);
		EQ(mode);
		EQ(policy);
		EQ(slot_idx);
		return true;
	}
	case BO_MSG_DFD_UPLOAD_START: {
		const struct bo_dfd_upload_start *x = &a->u.dfd_upload_start, *y = &b->u.dfd_upload_start;

		EQ(ttl);
		EQ(timeout_base);
		EQ(blob_id);
		EQ(size);
		EQ_BYTES(x->metadata, x->metadata_len, y->metadata, y->metadata_len);
		EQ_BYTES(x->fwid, x->fwid_len, y->fwid, y->fwid_len);
		return true;
	}
	case BO_MSG_DFD_UPLOAD_START_OOB: {
		const struct bo_dfd_upload_start_oob *x = &a->u.dfd_upload_start_oob,
						     *y = &b->u.dfd_upload_start_oob;

		EQ_BYTES(x->uri, x->uri_len, y->uri, y->uri_len);
		EQ_BYTES(x->fwid, x->fwid_len, y->fwid, y->fwid_len);
		return true;
	}
	case BO_MSG_DFD_UPLOAD_STATUS: {
		const struct bo_dfd_upload_status *x = &a->u.dfd_upload_status,
						  *y = &b->u.dfd_upload_status;

		EQ(status);
		EQ(phase);
		EQ(has_progress);
		EQ(progress);
		EQ(oob);
		EQ_BYTES(x->fwid, x->fwid_len, y->fwid, y->fwid_len);
		return true;
	}
	case BO_MSG_DFD_FW_GET:
	case BO_MSG_DFD_FW_DELETE: {
		const struct bo_dfd_fwid_msg *x = &a->u.dfd_fw_get, *y = &b->u.dfd_fw_get;

		EQ_BYTES(x->fwid, x->fwid_len, y->fwid, y->fwid_len);
		return true;
	}
	case BO_MSG_DFD_FW_GET_BY_INDEX:
		return a->u.dfd_fw_get_by_index.index == b->u.dfd_fw_get_by_index.index;
	case BO_MSG_DFD_FW_STATUS: {
		const struct bo_dfd_fw_status *x = &a->u.dfd_fw_status, *y = &b->u.dfd_fw_status;

		EQ(status);
		EQ(slot_count);
		EQ(index);
		EQ_BYTES(x->fwid, x->fwid_len, y->fwid, y->fwid_len);
		return true;
	}
	default:
		/* the messages without payload carry nothing to compare */
		return true;
	}
}

#undef EQ
#undef EQ_BYTES

/* xorshift64*: a small deterministic PRNG for the fuzz tests. */
static inline uint64_t prng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 0x2545f4914f6cdd1dull;
}

static inline void hexdump(const char *what, const uint8_t *p, size_t len)
{
	fprintf(stderr, "%s (%zu):", what, len);
	for (size_t i = 0; i < len; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "\n");
}

#endif
