/*
 * core/port/flash.h: the flash device as core/ sees it.
 *
 * core/ never touches a flash driver directly: a platform (the simulator's flashsim
 * adapter, or a real MCU's driver) fills a struct bo_flash with its functions. The
 * function pointers live in the caller-owned struct, not in a static table, so core/
 * needs no data section at all (see the core guard test).
 *
 * Semantics core relies on (NOR): erase works on whole sectors and sets every byte to
 * erase_value; program can only move bits away from erase_value and must be aligned to
 * write_unit in offset and length; a program of a unit that is not erased is an error.
 * Offsets are device offsets. Every function returns 0 on success, negative on error.
 * On power loss the platform does not return at all (it jumps to the power-on path).
 */
#ifndef BO_PORT_FLASH_H
#define BO_PORT_FLASH_H

#include <stddef.h>
#include <stdint.h>

struct bo_flash {
	void *dev;
	int (*read)(void *dev, uint32_t off, void *buf, uint32_t len);
	int (*program)(void *dev, uint32_t off, const void *buf, uint32_t len);
	/* off and len must cover whole sectors */
	int (*erase)(void *dev, uint32_t off, uint32_t len);
	/* The sector holding off: its start offset and size. -1 when off is out of range. */
	int (*sector)(void *dev, uint32_t off, uint32_t *start, uint32_t *size);
	uint32_t write_unit;
	uint8_t erase_value;
};

/* A partition: a sector-aligned range of a flash device. */
struct bo_flash_area {
	const struct bo_flash *flash;
	uint32_t off;
	uint32_t size;
};

static inline int bo_area_read(const struct bo_flash_area *a, uint32_t off, void *buf, uint32_t len)
{
	if (off > a->size || len > a->size - off)
		return -1;
	return a->flash->read(a->flash->dev, a->off + off, buf, len);
}

static inline int bo_area_program(const struct bo_flash_area *a, uint32_t off, const void *buf,
				  uint32_t len)
{
	if (off > a->size || len > a->size - off)
		return -1;
	return a->flash->program(a->flash->dev, a->off + off, buf, len);
}

static inline int bo_area_erase(const struct bo_flash_area *a, uint32_t off, uint32_t len)
{
	if (off > a->size || len > a->size - off)
		return -1;
	return a->flash->erase(a->flash->dev, a->off + off, len);
}

/* Sector of the area holding area offset off, as area-relative start and size. */
static inline int bo_area_sector(const struct bo_flash_area *a, uint32_t off, uint32_t *start,
				 uint32_t *size)
{
	uint32_t s, z;
	if (off >= a->size || a->flash->sector(a->flash->dev, a->off + off, &s, &z) != 0)
		return -1;
	*start = s - a->off;
	*size = z;
	return 0;
}

#endif
