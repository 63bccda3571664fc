/*
 * flash_map.c: MCUboot's flash_map_backend over brownout's device.
 *
 * The areas are found by name in the sweep layout when the plug-in is configured and
 * kept in a global: brownout restores globals to their post-configure contents at every
 * power-on, so the table is as a real device's flash map, constant.
 */
#include <stdio.h>
#include <string.h>

#include "flash_map_backend/flash_map_backend.h"
#include "mcuboot_config/mcuboot_config.h"
#include "port.h"
#include "sysflash/sysflash.h"

#define AREA_COUNT 4 /* indexed by id: bootloader (unused), primary, secondary, scratch */

static struct flash_area areas[AREA_COUNT];
static int area_present[AREA_COUNT];

static const struct bro_device *dev(void)
{
	return bro_mcuboot_env->dev;
}

/* Sectors of area a, counted from the area's start: calls fn for each, stops early when
 * fn returns non-zero (and returns that). */
static int each_sector(const struct flash_area *a,
		       int (*fn)(void *arg, uint32_t off, uint32_t size), void *arg)
{
	const struct bro_flash *f = &dev()->flash[a->fa_device_id];
	uint32_t pos = 0;
	for (unsigned r = 0; r < f->nregions; r++) {
		for (uint32_t i = 0; i < f->regions[r].count; i++) {
			uint32_t size = f->regions[r].size;
			if (pos >= a->fa_off && pos + size <= a->fa_off + a->fa_size) {
				int rc = fn(arg, pos - a->fa_off, size);
				if (rc)
					return rc;
			}
			pos += size;
		}
	}
	return 0;
}

static int count_one(void *arg, uint32_t off, uint32_t size)
{
	(void)off, (void)size;
	(*(uint32_t *)arg)++;
	return 0;
}

int bro_mcuboot_flash_configure(const struct bro_device *d, int need_scratch,
				char *err, size_t errlen)
{
	static const char *const names[AREA_COUNT] = {NULL, "primary", "upgrade", "scratch"};
	memset(areas, 0, sizeof areas);
	memset(area_present, 0, sizeof area_present);
	for (uint8_t id = 1; id < AREA_COUNT; id++) {
		const struct bro_partition *p = bro_partition_find(d, names[id]);
		if (!p) {
			if (id == FLASH_AREA_IMAGE_SCRATCH && !need_scratch)
				continue;
			snprintf(err, errlen, "MCUboot needs a partition named '%s' in the layout",
				 names[id]);
			return -1;
		}
		const struct bro_flash *f = &d->flash[p->flash];
		if (f->write_unit > MCUBOOT_BOOT_MAX_ALIGN) {
			snprintf(err, errlen,
				 "flash '%s' has a %u-byte write unit; this MCUboot build handles "
				 "up to MCUBOOT_BOOT_MAX_ALIGN = %d",
				 f->name, (unsigned)f->write_unit, MCUBOOT_BOOT_MAX_ALIGN);
			return -1;
		}
		areas[id] = (struct flash_area){.fa_id = id, .fa_device_id = (uint8_t)p->flash,
						.fa_off = p->off, .fa_size = p->size};
		area_present[id] = 1;
		uint32_t n = 0;
		each_sector(&areas[id], count_one, &n);
		if (n > MCUBOOT_MAX_IMG_SECTORS) {
			snprintf(err, errlen,
				 "partition '%s' has %u sectors; this MCUboot build tracks up to "
				 "MCUBOOT_MAX_IMG_SECTORS = %d",
				 names[id], (unsigned)n, MCUBOOT_MAX_IMG_SECTORS);
			return -1;
		}
	}
	return 0;
}

int flash_area_open(uint8_t id, const struct flash_area **area)
{
	if (id >= AREA_COUNT || !area_present[id])
		return -1;
	*area = &areas[id];
	return 0;
}

void flash_area_close(const struct flash_area *area)
{
	(void)area;
}

/* The range [off, off + len) of the area, as a device offset; -1 when outside. */
static int in_area(const struct flash_area *a, uint32_t off, uint32_t len, uint32_t *dev_off)
{
	if (off > a->fa_size || len > a->fa_size - off)
		return -1;
	*dev_off = a->fa_off + off;
	return 0;
}

int flash_area_read(const struct flash_area *area, uint32_t off, void *dst, uint32_t len)
{
	uint32_t at;
	if (in_area(area, off, len, &at))
		return -1;
	return dev()->read(dev()->host, area->fa_device_id, at, dst, len) < 0 ? -1 : 0;
}

int flash_area_write(const struct flash_area *area, uint32_t off, const void *src, uint32_t len)
{
	uint32_t at;
	if (in_area(area, off, len, &at))
		return -1;
	return dev()->program(dev()->host, area->fa_device_id, at, src, len) < 0 ? -1 : 0;
}

int flash_area_erase(const struct flash_area *area, uint32_t off, uint32_t len)
{
	uint32_t at;
	if (in_area(area, off, len, &at))
		return -1;
	return dev()->erase(dev()->host, area->fa_device_id, at, len) < 0 ? -1 : 0;
}

uint32_t flash_area_align(const struct flash_area *area)
{
	return dev()->flash[area->fa_device_id].write_unit;
}

uint8_t flash_area_erased_val(const struct flash_area *area)
{
	return dev()->flash[area->fa_device_id].erase_value;
}

struct sector_list {
	struct flash_sector *out;
	uint32_t cap;
	uint32_t n;
};

static int list_one(void *arg, uint32_t off, uint32_t size)
{
	struct sector_list *l = arg;
	if (l->n == l->cap)
		return -1;
	l->out[l->n++] = (struct flash_sector){.fs_off = off, .fs_size = size};
	return 0;
}

int flash_area_get_sectors(int fa_id, uint32_t *count, struct flash_sector *sectors)
{
	if (fa_id < 0 || fa_id >= AREA_COUNT || !area_present[fa_id])
		return -1;
	struct sector_list l = {.out = sectors, .cap = *count};
	if (each_sector(&areas[fa_id], list_one, &l))
		return -1;
	*count = l.n;
	return 0;
}

struct sector_find {
	uint32_t off;
	struct flash_sector *out;
};

static int find_one(void *arg, uint32_t off, uint32_t size)
{
	struct sector_find *f = arg;
	if (f->off < off || f->off - off >= size)
		return 0;
	*f->out = (struct flash_sector){.fs_off = off, .fs_size = size};
	return 1;
}

int flash_area_get_sector(const struct flash_area *area, uint32_t off, struct flash_sector *sector)
{
	struct sector_find f = {.off = off, .out = sector};
	return each_sector(area, find_one, &f) == 1 ? 0 : -1;
}

/* off is a device offset of the primary's flash; the sector's offset is a device offset
 * too (as Zephyr's flash_area_sector_from_off). */
int flash_area_sector_from_off(uint32_t off, struct flash_sector *sector)
{
	const struct flash_area whole = {
		.fa_id = 0, .fa_device_id = areas[FLASH_AREA_IMAGE_0].fa_device_id, .fa_off = 0,
		.fa_size = dev()->flash[areas[FLASH_AREA_IMAGE_0].fa_device_id].size};
	return flash_area_get_sector(&whole, off, sector);
}

int flash_area_id_from_multi_image_slot(int image_index, int slot)
{
	(void)image_index;
	switch (slot) {
	case 0:
		return FLASH_AREA_IMAGE_PRIMARY(image_index);
	case 1:
		return FLASH_AREA_IMAGE_SECONDARY(image_index);
	default:
		return -1;
	}
}

int flash_area_id_from_image_slot(int slot)
{
	return flash_area_id_from_multi_image_slot(0, slot);
}

int flash_area_id_to_multi_image_slot(int image_index, int area_id)
{
	if (area_id == FLASH_AREA_IMAGE_PRIMARY(image_index))
		return 0;
	if (area_id == FLASH_AREA_IMAGE_SECONDARY(image_index))
		return 1;
	return -1;
}
