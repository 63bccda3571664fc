/*
 * core/dfu/metadata.h: the DFU firmware metadata format of the seed design (Zephyr
 * subsys/bluetooth/mesh/dfu_metadata.c, struct bt_mesh_dfu_metadata), carried in the
 * metadata field of Firmware Update Start / Metadata Check and Distribution Upload Start:
 *
 *   major (1), minor (1), revision (2), build (4), firmware size (3), core type (1),
 *   if core type bit 0 (application core): composition hash (4), element count (2),
 *   application-specific data (the rest).
 *
 * All little-endian; at most BO_DFU_METADATA_MAXLEN bytes in all. Core type bits 3-7 are RFU
 * and rejected. Zephyr's encoder writes the hash and element count even when bit 0 is clear
 * (while its decoder skips them): we follow the table and the decoder, so our encoding of
 * such metadata is 6 bytes shorter than Zephyr's.
 */
#ifndef BO_DFU_METADATA_H
#define BO_DFU_METADATA_H

#include <stddef.h>
#include <stdint.h>

#include "core/dfu/dfu_msg.h"
#include "core/port/crypto.h"

#define BO_DFU_CORE_APP 0x01u      /* application core: composition fields present */
#define BO_DFU_CORE_NET 0x02u      /* network core */
#define BO_DFU_CORE_APP_BLOB 0x04u /* application-specific BLOB */
#define BO_DFU_CORE_MASK 0x07u

#define BO_DFU_METADATA_MINLEN 12u
#define BO_DFU_FW_SIZE_MAX 0xffffffu

struct bo_dfu_metadata {
	uint8_t major;
	uint8_t minor;
	uint16_t revision;
	uint32_t build;
	uint32_t fw_size; /* 24 bits */
	uint8_t core_type;
	uint32_t comp_hash; /* only with BO_DFU_CORE_APP */
	uint16_t elems;     /* only with BO_DFU_CORE_APP */
	const uint8_t *user_data;
	size_t user_data_len;
};

/* Encoded length, or a bo_dfu_err. */
int bo_dfu_metadata_encode(const struct bo_dfu_metadata *md, uint8_t *buf, size_t cap);
/* user_data points into p. Without BO_DFU_CORE_APP, comp_hash and elems are 0. */
int bo_dfu_metadata_decode(const uint8_t *p, size_t len, struct bo_dfu_metadata *md);

/*
 * The composition hash: AES-CMAC(key, composition data page 0) through crypto->aes_cmac,
 * truncated to its first four octets mac[0..3] read little-endian, as Zephyr
 * bt_mesh_dfu_metadata_comp_hash_get() does (*hash = sys_get_le32(mac)). Encoded LE in the
 * metadata, the four hash bytes on the wire are therefore mac[0], mac[1], mac[2], mac[3]:
 * the first octets of the CMAC output (the "low 4 octets" of the seed table, counting from
 * the start of the 16-byte MAC). 0, or BO_DFU_E_ARG / BO_DFU_E_INVALID (crypto failure).
 */
int bo_dfu_comp_hash(const struct bo_crypto *crypto, const uint8_t key[16], const void *comp,
		     size_t comp_len, uint32_t *hash);

#endif
