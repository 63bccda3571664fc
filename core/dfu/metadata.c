/* core/dfu/metadata.c: DFU firmware metadata and composition hash (see metadata.h). */
#include "core/dfu/metadata.h"

static int metadata_check(const struct bo_dfu_metadata *md)
{
	size_t len = BO_DFU_METADATA_MINLEN + md->user_data_len;

	if (md->user_data_len && !md->user_data)
		return BO_DFU_E_ARG;
	if (md->fw_size > BO_DFU_FW_SIZE_MAX)
		return BO_DFU_E_INVALID;
	if (md->core_type & ~BO_DFU_CORE_MASK)
		return BO_DFU_E_RESERVED;
	if (md->core_type & BO_DFU_CORE_APP)
		len += 6;
	return len > BO_DFU_METADATA_MAXLEN ? BO_DFU_E_LIMIT : BO_DFU_OK;
}

int bo_dfu_metadata_encode(const struct bo_dfu_metadata *md, uint8_t *buf, size_t cap)
{
	struct bo_wire_writer w;
	int rc = metadata_check(md);

	if (rc < 0)
		return rc;
	bo_wire_writer_init(&w, buf, cap);
	bo_wire_put_u8(&w, md->major);
	bo_wire_put_u8(&w, md->minor);
	bo_wire_put_le16(&w, md->revision);
	bo_wire_put_le32(&w, md->build);
	bo_wire_put_le24(&w, md->fw_size);
	bo_wire_put_u8(&w, md->core_type);
	if (md->core_type & BO_DFU_CORE_APP) {
		bo_wire_put_le32(&w, md->comp_hash);
		bo_wire_put_le16(&w, md->elems);
	}
	bo_wire_put_bytes(&w, md->user_data, md->user_data_len);
	return bo_wire_writer_result(&w);
}

int bo_dfu_metadata_decode(const uint8_t *p, size_t len, struct bo_dfu_metadata *md)
{
	struct bo_wire_reader r;

	*md = (struct bo_dfu_metadata){ 0 };
	if (len > BO_DFU_METADATA_MAXLEN)
		return BO_DFU_E_LIMIT;
	bo_wire_reader_init(&r, p, len);
	md->major = bo_wire_get_u8(&r);
	md->minor = bo_wire_get_u8(&r);
	md->revision = bo_wire_get_le16(&r);
	md->build = bo_wire_get_le32(&r);
	md->fw_size = bo_wire_get_le24(&r);
	md->core_type = bo_wire_get_u8(&r);
	if (r.err == BO_DFU_OK && (md->core_type & BO_DFU_CORE_APP)) {
		md->comp_hash = bo_wire_get_le32(&r);
		md->elems = bo_wire_get_le16(&r);
	}
	md->user_data = bo_wire_get_rest(&r, &md->user_data_len);
	if (r.err < 0)
		return r.err;
	return metadata_check(md);
}

int bo_dfu_comp_hash(const struct bo_crypto *crypto, const uint8_t key[16], const void *comp,
		     size_t comp_len, uint32_t *hash)
{
	uint8_t mac[16];

	if (!crypto || !crypto->aes_cmac || !key || !hash || (comp_len && !comp))
		return BO_DFU_E_ARG;
	if (crypto->aes_cmac(crypto->ctx, key, comp, comp_len, mac) != 0)
		return BO_DFU_E_INVALID;
	*hash = (uint32_t)mac[0] | ((uint32_t)mac[1] << 8) | ((uint32_t)mac[2] << 16) |
		((uint32_t)mac[3] << 24);
	return BO_DFU_OK;
}
