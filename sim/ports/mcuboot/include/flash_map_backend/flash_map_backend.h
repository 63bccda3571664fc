/*
 * flash_map_backend.h: MCUboot's flash area API over brownout's device (flash_map.c).
 *
 * Areas are the sweep layout's partitions: primary (slot 0), upgrade (slot 1) and
 * scratch, found by name when the plug-in is configured. An area's offset is a device
 * offset; fa_device_id is the index of its flash in bro_device.flash.
 */
#ifndef BRO_MCUBOOT_FLASH_MAP_BACKEND_H
#define BRO_MCUBOOT_FLASH_MAP_BACKEND_H

#include <stddef.h>
#include <stdint.h>

struct flash_area {
	uint8_t fa_id;
	uint8_t fa_device_id;
	uint32_t fa_off;
	uint32_t fa_size;
};

/* A sector; fs_off counts from the start of its area. */
struct flash_sector {
	uint32_t fs_off;
	uint32_t fs_size;
};

int flash_area_open(uint8_t id, const struct flash_area **area);
void flash_area_close(const struct flash_area *area);
int flash_area_read(const struct flash_area *area, uint32_t off, void *dst, uint32_t len);
int flash_area_write(const struct flash_area *area, uint32_t off, const void *src, uint32_t len);
int flash_area_erase(const struct flash_area *area, uint32_t off, uint32_t len);
uint32_t flash_area_align(const struct flash_area *area);
uint8_t flash_area_erased_val(const struct flash_area *area);
int flash_area_get_sectors(int fa_id, uint32_t *count, struct flash_sector *sectors);
int flash_area_get_sector(const struct flash_area *area, uint32_t off, struct flash_sector *sector);
int flash_area_sector_from_off(uint32_t off, struct flash_sector *sector);
int flash_area_id_from_multi_image_slot(int image_index, int slot);
int flash_area_id_from_image_slot(int slot);
int flash_area_id_to_multi_image_slot(int image_index, int area_id);

static inline uint32_t flash_area_get_off(const struct flash_area *fa)
{
	return fa->fa_off;
}

static inline uint32_t flash_area_get_size(const struct flash_area *fa)
{
	return fa->fa_size;
}

static inline uint8_t flash_area_get_id(const struct flash_area *fa)
{
	return fa->fa_id;
}

static inline uint8_t flash_area_get_device_id(const struct flash_area *fa)
{
	return fa->fa_device_id;
}

static inline uint32_t flash_sector_get_off(const struct flash_sector *fs)
{
	return fs->fs_off;
}

static inline uint32_t flash_sector_get_size(const struct flash_sector *fs)
{
	return fs->fs_size;
}

#endif
