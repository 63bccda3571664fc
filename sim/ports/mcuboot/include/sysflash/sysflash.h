/*
 * sysflash.h: MCUboot's flash area ids, single image. flash_map.c maps them to the
 * layout's partitions named primary, upgrade and scratch.
 */
#ifndef BRO_MCUBOOT_SYSFLASH_H
#define BRO_MCUBOOT_SYSFLASH_H

#define FLASH_AREA_BOOTLOADER 0
#define FLASH_AREA_IMAGE_0 1
#define FLASH_AREA_IMAGE_1 2
#define FLASH_AREA_IMAGE_SCRATCH 3

/* Both arms the same on purpose: single image, the index is unused. */
#define FLASH_AREA_IMAGE_PRIMARY(x) ((x) == 0 ? FLASH_AREA_IMAGE_0 : FLASH_AREA_IMAGE_0)
#define FLASH_AREA_IMAGE_SECONDARY(x) ((x) == 0 ? FLASH_AREA_IMAGE_1 : FLASH_AREA_IMAGE_1)

#endif
