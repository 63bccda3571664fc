/*
 * core/dfu/blob_chunks.h: BLOB Transfer block and chunk arithmetic, missing-chunk bitmaps and
 * encoded missing-chunk lists.
 *
 * Bitmaps are LSB first: item i is bit i % 8 of byte i / 8. Bits at or beyond the item count
 * in the last byte are padding and must be zero on the wire (the decoders check it).
 *
 * Encoded lists carry chunk indices as UTF-8 code points (MshMBT 1.0 "Encoded Missing Chunks";
 * Zephyr blob_cli.c chunk_idx_decode): 0x0000-0x007F one byte 0xxxxxxx, 0x0080-0x07FF two
 * bytes 110xxxxx 10xxxxxx, 0x0800-0xFFFF three bytes 1110xxxx 10xxxxxx 10xxxxxx. Decoding
 * is strict: a stray continuation byte, a lead byte 0xF0-0xFF, an overlong form or a
 * truncated sequence is an error. (Zephyr's blob_srv.c encoder switches to three bytes only
 * at 0x8000 and so emits garbage for indices 0x800-0x7FFF; it never has that many chunks
 * per block. We encode the shortest UTF-8 form everywhere.)
 */
#ifndef BO_DFU_BLOB_CHUNKS_H
#define BO_DFU_BLOB_CHUNKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dfu/wire.h"

/* Block size log range allowed by MshMBT (block size 64 B .. 4 GiB). */
#define BO_BLOB_BLOCK_SIZE_LOG_MIN 6
#define BO_BLOB_BLOCK_SIZE_LOG_MAX 32
/* Largest chunk index an encoded list can carry. */
#define BO_BLOB_CHUNK_INDEX_MAX 0xffffu

/* --- block and chunk arithmetic (block_size_log 0..32; larger values yield 0) --- */

/* ceil(size / 2^block_size_log) */
uint32_t bo_blob_block_count(uint32_t size, uint8_t block_size_log);
/* Size of block idx: 2^log, except the last, which carries the rest; 0 past the end. */
uint32_t bo_blob_block_size(uint32_t size, uint8_t block_size_log, uint32_t idx);
/* ceil(block_size / chunk_size); 0 when chunk_size is 0. */
uint32_t bo_blob_chunk_count(uint32_t block_size, uint16_t chunk_size);
/* Length of chunk idx of a block: chunk_size, except the last, which carries
 * block_size % chunk_size when that is not 0; 0 past the end. */
uint32_t bo_blob_chunk_len(uint32_t block_size, uint16_t chunk_size, uint32_t idx);

/* --- bitmaps --- */

/* Bytes needed for nbits items: ceil(nbits / 8). */
size_t bo_blob_bitmap_bytes(uint32_t nbits);
/* Bit idx; false when idx is past the bitmap. */
bool bo_blob_bitmap_test(const uint8_t *bm, size_t len, uint32_t idx);
/* Set or clear bit idx; BO_DFU_E_ARG when idx is past the bitmap. */
int bo_blob_bitmap_set(uint8_t *bm, size_t len, uint32_t idx, bool value);
/* Set bits [0, nbits) and clear every other bit of the len bytes (padding included). */
void bo_blob_bitmap_fill(uint8_t *bm, size_t len, uint32_t nbits);
/* Number of set bits among [0, nbits). */
uint32_t bo_blob_bitmap_count(const uint8_t *bm, size_t len, uint32_t nbits);
/* First set bit at or after from and below nbits, or nbits when there is none:
 * for (i = next(bm, len, n, 0); i < n; i = next(bm, len, n, i + 1)) visits every set bit. */
uint32_t bo_blob_bitmap_next(const uint8_t *bm, size_t len, uint32_t nbits, uint32_t from);
/* True when len == bitmap_bytes(nbits) and the padding bits of the last byte are zero. */
bool bo_blob_bitmap_valid(const uint8_t *bm, size_t len, uint32_t nbits);

/* --- encoded missing-chunk lists --- */

/* Encoded length of one index: 1, 2 or 3; BO_DFU_E_INVALID above BO_BLOB_CHUNK_INDEX_MAX. */
int bo_blob_enc_index_len(uint32_t idx);
/* Append one index to a writer. */
void bo_blob_enc_put(struct bo_wire_writer *w, uint32_t idx);
/* Encode n indices into buf: the length written or a bo_dfu_err. */
int bo_blob_enc_list_encode(const uint16_t *idx, size_t n, uint8_t *buf, size_t cap);
/* Encode the set bits of a bitmap in ascending order, at most max_entries of them
 * (Zephyr's pull-mode reports list the first CONFIG_BT_MESH_BLOB_SRV_PULL_REQ_COUNT). */
int bo_blob_enc_list_from_bitmap(const uint8_t *bm, size_t len, uint32_t nbits,
				 size_t max_entries, uint8_t *buf, size_t cap);

struct bo_blob_enc_iter {
	struct bo_wire_reader r;
};

void bo_blob_enc_iter_init(struct bo_blob_enc_iter *it, const uint8_t *list, size_t len);
/* 1 and *idx set: next index; 0: end of list; < 0: malformed (bo_dfu_err, sticky). */
int bo_blob_enc_iter_next(struct bo_blob_enc_iter *it, uint16_t *idx);
/*
 * Validate a whole list. chunk_count > 0 also requires every index < chunk_count
 * (BO_DFU_E_INVALID otherwise). *count (may be NULL) receives the number of indices.
 */
int bo_blob_enc_list_validate(const uint8_t *list, size_t len, uint32_t chunk_count,
			      size_t *count);
/* OR the listed indices into a bitmap of chunk_count bits (bm_len >= bitmap_bytes(chunk_count));
 * validates the whole list first, so a malformed list leaves bm untouched. */
int bo_blob_enc_list_to_bitmap(const uint8_t *list, size_t len, uint32_t chunk_count,
			       uint8_t *bm, size_t bm_len);

#endif
