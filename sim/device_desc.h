/*
 * sim/device_desc.h: the `device:` section of sweep and scenario files, loaded once.
 *
 * One loader for both file kinds (sim/sweep_file.c, sim/scenario_file.c): which flash
 * devices there are (a preset, a preset with geometry overrides, or a full geometry; one
 * device, or up to BO_DEV_MAX_FLASH named ones) and where the partitions are (on which
 * device, at which offset). The result is a plain struct; nothing is allocated.
 *
 * Shapes (the keys, each with its default, are documented in sim/sweep_file.h):
 *
 *   device: {preset: nrf52840, layout: default}          # a preset and its layout
 *   device:                                              # a preset, changed
 *     preset: nrf52840
 *     geometry: {write_unit: 8}
 *   device:                                              # a part of your own
 *     geometry: {regions: [{size: 8KiB, count: 128}], write_unit: 16}
 *     layout: {boot: [0, 32KiB], primary: [0x8000, 256KiB], upgrade: [...]}
 *   device:                                              # several flash devices
 *     flash: {internal: {preset: nrf52840}, spi: {preset: spi-nor}}
 *     layout: {boot: [0, 48KiB], primary: [0xC000, 432KiB],
 *              upgrade: {device: spi, off: 0, size: 432KiB}}
 *
 * [OFFSET, SIZE] places a partition on the first device; the one device of the first
 * three forms is called `flash`. Only the first device has a default layout (its preset's).
 *
 * Checks, each an error at the offending node (FILE:LINE:COL: key '...': ...): unknown
 * presets and keys, a geometry that does not add up (no or too many regions, zero counts
 * or sizes, sector sizes not multiples of the write or read unit, units not powers of two,
 * an erase value other than 0x00/0xff, a program chunk not a multiple of the write unit,
 * more than 4 GiB), unknown device names, partitions past their device's end, not on
 * sector boundaries, or overlapping another on the same device, and a boot partition off
 * the first device (the bootloader runs from it).
 */
#ifndef BO_SIM_DEVICE_DESC_H
#define BO_SIM_DEVICE_DESC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flashsim/flashsim.h"
#include "sim/yaml_util.h"

#define BO_DEV_MAX_FLASH 4
#define BO_DEV_NAME_MAX 16   /* flash device name incl. NUL */
#define BO_DEV_PRESET_MAX 16 /* preset name incl. NUL */
#define BO_DEV_LABEL_MAX 176 /* the whole device's label incl. NUL: 4 x NAME=PRESET(modified) */

/* The partitions a layout may name. */
enum bo_sweep_part {
	BO_SWEEP_PART_BOOT = 0,
	BO_SWEEP_PART_PRIMARY,
	BO_SWEEP_PART_UPGRADE,
	BO_SWEEP_PART_SCRATCH,
	BO_SWEEP_PART_RECOVERY,
	BO_SWEEP_PART_STORAGE,
	BO_SWEEP_PART_STATUS, /* core/boot's progress record; with it images fill their slots */
	BO_SWEEP_PART_COUNT
};

struct bo_sweep_area {
	bool present;
	unsigned device;      /* index into bo_device_desc.flash */
	uint32_t off;         /* bytes from the start of that device */
	uint32_t size;
	bool write_protected; /* the boot partition */
};

struct bo_flash_desc {
	char name[BO_DEV_NAME_MAX];       /* the key under flash:, or "flash" (one device) */
	char preset[BO_DEV_PRESET_MAX];   /* the preset it starts from; "" for a full geometry */
	bool modified;                    /* geometry: changed the preset */
	struct fsim_geometry geo;         /* checked with fsim_geometry_check */
};

struct bo_device_desc {
	struct bo_flash_desc flash[BO_DEV_MAX_FLASH];
	unsigned flash_count;             /* 1..BO_DEV_MAX_FLASH */
	bool named;                       /* given as flash: {NAME: ...} */
	bool default_layout;              /* layout: default (or absent) */
	struct bo_sweep_area parts[BO_SWEEP_PART_COUNT];
	/* Where the layout is in the file (1-based; the device node for `layout: default`),
	 * for the bootloader's later refusal of it (sim/sweep_device.c). */
	unsigned layout_line, layout_col;
	/* For summaries and the database: "nrf52840", "nrf52840 (modified)", "custom",
	 * "internal=nrf52840 spi=spi-nor". */
	char label[BO_DEV_LABEL_MAX];
};

/*
 * Load root's `device` mapping into out. extra_keys (NULL-terminated, or NULL) are more
 * keys the caller reads from the same mapping (scenario files: strategy, attempts, ...).
 * Returns the device node, or NULL after recording an error in y.
 */
yaml_node_t *bo_device_load(struct bo_yaml *y, yaml_node_t *root, const char *const *extra_keys,
			    struct bo_device_desc *out);

/* The geometry of the device holding partition p. */
const struct fsim_geometry *bo_device_part_geometry(const struct bo_device_desc *d,
						     enum bo_sweep_part p);
/* Bytes an image (header included) may use in partition p as sweep and scenario files
 * see it: all of recovery; for primary and upgrade, a slot less its last sector (core/boot's
 * trailer and progress log), or with a status partition a slot less the MCUboot trailer;
 * 0 when p is absent. The bootloader's own check (bo_boot_check_config) is the exact one. */
uint32_t bo_device_image_room(const struct bo_device_desc *d, enum bo_sweep_part p);

/*
 * core/boot writes every slot's trailer in blocks of one alignment, A = max(8, the
 * primary's write unit) (MCUboot's BOOT_MAX_ALIGN), and copies in its multiples: a
 * partition it writes (upgrade, scratch, recovery, status) on a flash device whose write
 * unit does not divide A cannot work. -1 after an error at that partition's layout node
 * (dev: the device node bo_device_load returned); 0 when every one fits.
 */
int bo_device_check_coreboot_units(struct bo_yaml *y, yaml_node_t *dev,
				   const struct bo_device_desc *d);

/* Fill parts with the default layout of a preset (all on device 0, boot write-protected);
 * -1 when the preset has none. */
int bo_sweep_default_layout(const char *preset, struct bo_sweep_area parts[BO_SWEEP_PART_COUNT]);
const char *bo_sweep_part_name(enum bo_sweep_part p);

#endif
