/* core/dfu/blob_store.c: power-safe record log (see blob_store.h). */
#include "core/dfu/blob_store.h"

#include <string.h>

uint32_t bo_crc32(uint32_t crc, const void *data, size_t len)
{
	const uint8_t *p = data;

	crc = ~crc;
	while (len--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
	}
	return ~crc;
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static void put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

int bo_dfu_persist_init(struct bo_dfu_persist *p, const struct bo_flash_area *area,
			uint32_t payload_max)
{
	uint32_t wu, raw;

	memset(p, 0, sizeof(*p));
	if (!area || !area->flash || payload_max > BO_DFU_PERSIST_PAYLOAD_MAX)
		return BO_DFU_PERSIST_E_ARG;
	p->area = *area;
	wu = area->flash->write_unit ? area->flash->write_unit : 1;
	raw = BO_DFU_PERSIST_HDR_LEN + payload_max + 4;
	p->slot_size = (raw + wu - 1) / wu * wu;
	if (p->slot_size > BO_DFU_PERSIST_SLOT_MAX)
		return BO_DFU_PERSIST_E_ARG;
	p->payload_max = payload_max;
	if (bo_area_sector(area, 0, &p->sec_off[0], &p->sec_size[0]) != 0 || p->sec_off[0] != 0)
		return BO_DFU_PERSIST_E_ARG;
	if (bo_area_sector(area, p->sec_size[0], &p->sec_off[1], &p->sec_size[1]) != 0 ||
	    p->sec_off[1] != p->sec_size[0] || p->sec_size[1] > area->size - p->sec_off[1])
		return BO_DFU_PERSIST_E_ARG;
	if (p->sec_size[0] < p->slot_size || p->sec_size[1] < p->slot_size)
		return BO_DFU_PERSIST_E_ARG;
	return BO_DFU_PERSIST_OK;
}

static uint32_t nslots(const struct bo_dfu_persist *p, int s)
{
	return p->sec_size[s] / p->slot_size;
}

/* Classify a slot read into buf: 0 blank, 1 valid record, 2 garbage. */
static int classify(const struct bo_dfu_persist *p, const uint8_t *buf)
{
	uint32_t len, i;
	uint8_t ev = p->area.flash->erase_value;

	for (i = 0; i < p->slot_size; i++)
		if (buf[i] != ev)
			break;
	if (i == p->slot_size)
		return 0;
	if (get_le32(buf) != BO_DFU_PERSIST_MAGIC)
		return 2;
	len = get_le16(buf + 8);
	if (len > p->payload_max)
		return 2;
	if (bo_crc32(0, buf, BO_DFU_PERSIST_HDR_LEN + len) !=
	    get_le32(buf + BO_DFU_PERSIST_HDR_LEN + len))
		return 2;
	return 1;
}

static int scan(struct bo_dfu_persist *p)
{
	uint8_t buf[BO_DFU_PERSIST_SLOT_MAX];
	uint32_t after_last[2] = {0, 0};

	p->have = 0;
	p->seq = 0;
	for (int s = 0; s < 2; s++) {
		for (uint32_t i = 0; i < nslots(p, s); i++) {
			uint32_t off = p->sec_off[s] + i * p->slot_size;
			int c;

			if (bo_area_read(&p->area, off, buf, p->slot_size) != 0)
				return BO_DFU_PERSIST_E_FLASH;
			c = classify(p, buf);
			if (c == 0)
				continue;
			after_last[s] = i + 1;
			if (c == 1) {
				uint32_t seq = get_le32(buf + 4);

				if (!p->have || seq > p->seq) {
					p->have = 1;
					p->seq = seq;
					p->cur = (uint8_t)s;
					p->newest_off = off;
					p->newest_len = get_le16(buf + 8);
					p->newest_tag = get_le16(buf + 10);
				}
			}
		}
	}
	if (!p->have)
		p->cur = 0;
	p->next_slot = after_last[p->cur];
	p->scanned = 1;
	return BO_DFU_PERSIST_OK;
}

int bo_dfu_persist_load(struct bo_dfu_persist *p, void *out, size_t cap, uint16_t *tag)
{
	uint8_t buf[BO_DFU_PERSIST_SLOT_MAX];
	int err;

	if (!p->slot_size)
		return BO_DFU_PERSIST_E_ARG;
	if (!p->scanned && (err = scan(p)) != 0)
		return err;
	if (!p->have)
		return BO_DFU_PERSIST_E_NONE;
	if (bo_area_read(&p->area, p->newest_off, buf, p->slot_size) != 0)
		return BO_DFU_PERSIST_E_FLASH;
	if (classify(p, buf) != 1)
		return BO_DFU_PERSIST_E_NONE; /* unstable cells: treat as no record */
	if (p->newest_len > cap)
		return BO_DFU_PERSIST_E_ARG;
	memcpy(out, buf + BO_DFU_PERSIST_HDR_LEN, p->newest_len);
	if (tag)
		*tag = p->newest_tag;
	return p->newest_len;
}

int bo_dfu_persist_write(struct bo_dfu_persist *p, uint16_t tag, const void *payload,
			 size_t len)
{
	uint8_t buf[BO_DFU_PERSIST_SLOT_MAX];
	uint32_t off, seq;
	int err;

	if (!p->slot_size || len > p->payload_max || (len && !payload))
		return BO_DFU_PERSIST_E_ARG;
	if (!p->scanned && (err = scan(p)) != 0)
		return err;
	if (p->next_slot >= nslots(p, p->cur)) {
		uint8_t other = (uint8_t)(p->cur ^ 1u);

		/* The newest record stays in cur until the new one is complete. */
		if (bo_area_erase(&p->area, p->sec_off[other], p->sec_size[other]) != 0)
			return BO_DFU_PERSIST_E_FLASH;
		p->cur = other;
		p->next_slot = 0;
	}
	off = p->sec_off[p->cur] + p->next_slot * p->slot_size;
	seq = p->have ? p->seq + 1 : 1;
	memset(buf, p->area.flash->erase_value, p->slot_size);
	put_le32(buf, BO_DFU_PERSIST_MAGIC);
	put_le32(buf + 4, seq);
	put_le16(buf + 8, (uint16_t)len);
	put_le16(buf + 10, tag);
	if (len)
		memcpy(buf + BO_DFU_PERSIST_HDR_LEN, payload, len);
	put_le32(buf + BO_DFU_PERSIST_HDR_LEN + len, bo_crc32(0, buf, BO_DFU_PERSIST_HDR_LEN + len));
	/* The slot is used from now on, whatever happens to the program. */
	p->next_slot++;
	if (bo_area_program(&p->area, off, buf, p->slot_size) != 0)
		return BO_DFU_PERSIST_E_FLASH;
	p->have = 1;
	p->seq = seq;
	p->newest_off = off;
	p->newest_len = (uint16_t)len;
	p->newest_tag = tag;
	return BO_DFU_PERSIST_OK;
}
