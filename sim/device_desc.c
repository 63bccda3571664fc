/* sim/device_desc.c: load and check a `device:` section (see sim/device_desc.h). */
#include "sim/device_desc.h"

#include <stdio.h>
#include <string.h>

#include "sim/device_geometry.h"

#define KIB 1024u

static const char *const part_names[] = {"boot",     "primary",  "upgrade",
					 "scratch",  "recovery", "storage", "status", NULL};

const char *bo_sweep_part_name(enum bo_sweep_part p)
{
	return (unsigned)p < BO_SWEEP_PART_COUNT ? part_names[p] : "?";
}

/* ---- Default layouts --------------------------------------------------------------- */

struct layout_entry {
	uint32_t off, size;
};

struct default_layout {
	const char *preset;
	struct layout_entry parts[BO_SWEEP_PART_COUNT]; /* size 0: absent */
};

static const struct default_layout default_layouts[] = {
	{"nrf52840",
	 {{0x00000, 48 * KIB}, {0x0C000, 432 * KIB}, {0x78000, 432 * KIB}, {0xE4000, 16 * KIB},
	  {0xE8000, 64 * KIB}, {0xF8000, 32 * KIB}}},
	{"stm32l4",
	 {{0x00000, 48 * KIB}, {0x0C000, 432 * KIB}, {0x78000, 432 * KIB}, {0xE4000, 16 * KIB},
	  {0xE8000, 64 * KIB}, {0xF8000, 32 * KIB}}},
	{"k64f",
	 {{0x00000, 48 * KIB}, {0x0C000, 432 * KIB}, {0x78000, 432 * KIB}, {0xE4000, 4 * KIB},
	  {0xE8000, 64 * KIB}, {0xF8000, 32 * KIB}}},
	{"stm32f4",
	 {{0x00000, 64 * KIB}, {0x20000, 384 * KIB}, {0x80000, 384 * KIB}, {0xE0000, 128 * KIB},
	  {0x10000, 64 * KIB}, {0, 0}}},
	{"stm32h7",
	 {{0x000000, 128 * KIB}, {0x020000, 768 * KIB}, {0x0E0000, 768 * KIB},
	  {0x1A0000, 128 * KIB}, {0x1C0000, 256 * KIB}, {0, 0}}},
};

int bo_sweep_default_layout(const char *preset, struct bo_sweep_area parts[BO_SWEEP_PART_COUNT])
{
	for (size_t i = 0; i < sizeof default_layouts / sizeof default_layouts[0]; i++) {
		if (strcmp(default_layouts[i].preset, preset))
			continue;
		for (int p = 0; p < BO_SWEEP_PART_COUNT; p++) {
			memset(&parts[p], 0, sizeof parts[p]);
			parts[p].off = default_layouts[i].parts[p].off;
			parts[p].size = default_layouts[i].parts[p].size;
			parts[p].present = parts[p].size != 0;
			parts[p].write_protected = p == BO_SWEEP_PART_BOOT;
		}
		return 0;
	}
	return -1;
}

/* ---- Geometry helpers -------------------------------------------------------------- */

static bool sector_boundary(const struct fsim_geometry *g, uint64_t off)
{
	uint64_t pos = 0;
	if (off == 0)
		return true;
	for (uint32_t r = 0; r < g->region_count; r++) {
		uint64_t end = pos + (uint64_t)g->regions[r].count * g->regions[r].sector_size;
		if (off <= end)
			return (off - pos) % g->regions[r].sector_size == 0;
		pos = end;
	}
	return false;
}

/* Size of the sector holding off (off inside the device). */
static uint32_t sector_size_at(const struct fsim_geometry *g, uint32_t off)
{
	uint64_t pos = 0;
	for (uint32_t r = 0; r < g->region_count; r++) {
		uint64_t end = pos + (uint64_t)g->regions[r].count * g->regions[r].sector_size;
		if (off < end)
			return g->regions[r].sector_size;
		pos = end;
	}
	return 0;
}

const struct fsim_geometry *bo_device_part_geometry(const struct bo_device_desc *d,
						     enum bo_sweep_part p)
{
	return &d->flash[d->parts[p].device].geo;
}

uint32_t bo_device_image_room(const struct bo_device_desc *d, enum bo_sweep_part p)
{
	const struct bo_sweep_area *a = &d->parts[p];
	if (!a->present)
		return 0;
	if (p == BO_SWEEP_PART_RECOVERY)
		return a->size;
	const struct fsim_geometry *g = bo_device_part_geometry(d, p);
	if (d->parts[BO_SWEEP_PART_STATUS].present) {
		/* MCUboot's fixed trailer: swap_size, swap_info, copy_done, image_ok (A bytes
		 * each) and the magic block, A = max(8, write unit). */
		uint32_t A = g->write_unit > 8 ? g->write_unit : 8;
		uint32_t trailer = 4 * A + (16 + A - 1) / A * A;
		return a->size > trailer ? a->size - trailer : 0;
	}
	uint32_t last = sector_size_at(g, a->off + a->size - 1);
	return a->size > last ? a->size - last : 0;
}

int bo_device_check_coreboot_units(struct bo_yaml *y, yaml_node_t *dev,
				   const struct bo_device_desc *d)
{
	uint32_t pwu = bo_device_part_geometry(d, BO_SWEEP_PART_PRIMARY)->write_unit;
	uint32_t A = pwu > 8 ? pwu : 8;
	static const enum bo_sweep_part written[] = {BO_SWEEP_PART_UPGRADE, BO_SWEEP_PART_SCRATCH,
						     BO_SWEEP_PART_RECOVERY, BO_SWEEP_PART_STATUS};
	for (size_t i = 0; i < sizeof written / sizeof written[0]; i++) {
		enum bo_sweep_part p = written[i];
		if (!d->parts[p].present)
			continue;
		uint32_t wu = bo_device_part_geometry(d, p)->write_unit;
		if (A % wu == 0)
			continue;
		/* one device never gets here: A is a multiple of its own write unit */
		yaml_node_t *layout = bo_yaml_map_get(y, dev, "layout");
		yaml_node_t *n = layout && layout->type == YAML_MAPPING_NODE
					 ? bo_yaml_map_get(y, layout, part_names[p])
					 : NULL;
		char path[BO_YAML_PATH_MAX];
		bo_yaml_path_key(path, sizeof path, "device.layout", part_names[p]);
		return bo_yaml_error(y, n ? n : dev, path,
				     "%s is on device '%s' with a %u-byte write unit, which does not "
				     "divide core/boot's trailer alignment %u (max(8, the primary's "
				     "write unit %u)): put it on a device whose write unit is at most "
				     "%u, or the primary on one with a %u-byte unit",
				     part_names[p], d->flash[d->parts[p].device].name, wu, A, pwu, A,
				     wu);
	}
	return 0;
}

/* How a flash device is called in messages: its name, else its preset. */
static const char *flash_label(const struct bo_device_desc *d, unsigned i)
{
	if (d->named)
		return d->flash[i].name;
	return d->flash[i].preset[0] ? d->label : "the custom geometry";
}

/* ---- One flash device ---------------------------------------------------------------- */

static int load_preset(struct bo_yaml *y, yaml_node_t *pn, const char *path,
		       struct bo_flash_desc *fd)
{
	const char *preset;
	if (bo_yaml_str(y, pn, path, &preset))
		return -1;
	if (fsim_preset(preset, &fd->geo)) {
		char list[128] = "";
		size_t used = 0;
		for (const char *const *n = fsim_preset_names(); *n; n++) {
			int m = snprintf(list + used, sizeof list - used, "%s%s", used ? ", " : "",
					 *n);
			if (m < 0 || (size_t)m >= sizeof list - used)
				break;
			used += (size_t)m;
		}
		return bo_yaml_error(y, pn, path, "unknown preset '%s' (valid: %s)", preset, list);
	}
	snprintf(fd->preset, sizeof fd->preset, "%s", preset);
	return 0;
}

/* preset and/or geometry of map (the device mapping itself, or one entry of flash:). */
static int load_flash(struct bo_yaml *y, yaml_node_t *map, const char *path,
		      struct bo_flash_desc *fd)
{
	char kp[BO_YAML_PATH_MAX];
	yaml_node_t *pn = bo_yaml_map_get(y, map, "preset");
	yaml_node_t *gn = bo_yaml_map_get(y, map, "geometry");
	bo_yaml_path_key(kp, sizeof kp, path, "preset");
	if (!gn && !pn)
		return bo_yaml_map_need(y, map, path, "preset") ? 0 : -1;
	if (pn && load_preset(y, pn, kp, fd))
		return -1;
	if (!gn)
		return 0;
	fd->modified = pn != NULL;
	struct fsim_geometry preset = fd->geo;
	bo_yaml_path_key(kp, sizeof kp, path, "geometry");
	return bo_geometry_load(y, gn, kp, pn ? &preset : NULL, &fd->geo);
}

static bool device_name_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n >= BO_DEV_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-",
			    s[i]))
			return false;
	return true;
}

/* flash: {NAME: {preset: ..., geometry: ...}, NAME: PRESET, ...} */
static int load_named(struct bo_yaml *y, yaml_node_t *n, struct bo_device_desc *d)
{
	static const char *const keys[] = {"preset", "geometry", NULL};
	if (bo_yaml_map_check(y, n, "device.flash", NULL))
		return -1;
	size_t count = bo_yaml_map_len(n);
	if (count == 0 || count > BO_DEV_MAX_FLASH)
		return bo_yaml_error(y, n, "device.flash", "expected 1 to %d flash devices, found %zu",
				     BO_DEV_MAX_FLASH, count);
	d->named = true;
	d->flash_count = (unsigned)count;
	for (unsigned i = 0; i < d->flash_count; i++) {
		struct bo_flash_desc *fd = &d->flash[i];
		yaml_node_t *k = bo_yaml_map_key_at(y, n, i), *v = bo_yaml_map_value_at(y, n, i);
		const char *name = (const char *)k->data.scalar.value;
		char kp[BO_YAML_PATH_MAX];
		bo_yaml_path_key(kp, sizeof kp, "device.flash", name);
		if (!device_name_ok(name))
			return bo_yaml_error(y, k, kp,
					     "a device name is 1 to %d characters of A-Z a-z 0-9 _ -",
					     BO_DEV_NAME_MAX - 1);
		snprintf(fd->name, sizeof fd->name, "%s", name);
		if (v->type == YAML_SCALAR_NODE) { /* NAME: PRESET */
			if (load_preset(y, v, kp, fd))
				return -1;
			continue;
		}
		if (v->type != YAML_MAPPING_NODE)
			return bo_yaml_error(y, v, kp,
					     "expected a preset name or {preset: ..., geometry: ...}, "
					     "found %s",
					     bo_yaml_kind(v));
		if (bo_yaml_map_check(y, v, kp, keys) || load_flash(y, v, kp, fd))
			return -1;
	}
	return 0;
}

/* ---- Layout --------------------------------------------------------------------------- */

/* [OFFSET, SIZE] on the first device, or {device: NAME, off: OFFSET, size: SIZE}. */
static int load_part(struct bo_yaml *y, yaml_node_t *v, const char *path,
		     struct bo_device_desc *d, struct bo_sweep_area *a)
{
	static const char *const keys[] = {"device", "off", "size", NULL};
	char ip[BO_YAML_PATH_MAX];
	yaml_node_t *off, *size;
	if (v->type == YAML_SEQUENCE_NODE && bo_yaml_seq_len(v) == 2) {
		off = bo_yaml_seq_at(y, v, 0);
		size = bo_yaml_seq_at(y, v, 1);
		bo_yaml_path_index(ip, sizeof ip, path, 0);
		if (bo_yaml_size(y, off, ip, &a->off))
			return -1;
		bo_yaml_path_index(ip, sizeof ip, path, 1);
	} else if (v->type == YAML_MAPPING_NODE) {
		if (bo_yaml_map_check(y, v, path, keys))
			return -1;
		yaml_node_t *dn = bo_yaml_map_get(y, v, "device");
		if (dn) {
			const char *name;
			bo_yaml_path_key(ip, sizeof ip, path, "device");
			if (bo_yaml_str(y, dn, ip, &name))
				return -1;
			unsigned i = 0;
			while (i < d->flash_count && strcmp(d->flash[i].name, name))
				i++;
			if (i == d->flash_count) {
				char list[BO_DEV_MAX_FLASH * BO_DEV_NAME_MAX + 8] = "";
				for (unsigned k = 0; k < d->flash_count; k++)
					snprintf(list + strlen(list), sizeof list - strlen(list),
						 "%s%s", k ? ", " : "", d->flash[k].name);
				return bo_yaml_error(y, dn, ip, "unknown device '%s' (devices: %s%s)",
						     name, list,
						     d->named ? "" : "; name several with device.flash");
			}
			a->device = i;
		}
		bo_yaml_path_key(ip, sizeof ip, path, "off");
		off = bo_yaml_map_need(y, v, path, "off");
		if (!off || bo_yaml_size(y, off, ip, &a->off))
			return -1;
		bo_yaml_path_key(ip, sizeof ip, path, "size");
		size = bo_yaml_map_need(y, v, path, "size");
		if (!size)
			return -1;
	} else {
		return bo_yaml_error(y, v, path,
				     "expected [OFFSET, SIZE] or {device: NAME, off: OFFSET, size: "
				     "SIZE}, found %s%s",
				     bo_yaml_kind(v),
				     v->type == YAML_SEQUENCE_NODE ? " of another length" : "");
	}
	if (bo_yaml_size(y, size, ip, &a->size))
		return -1;
	if (a->size == 0)
		return bo_yaml_error(y, size, ip, "a partition cannot be empty");
	a->present = true;
	return 0;
}

static int load_layout(struct bo_yaml *y, yaml_node_t *layout, struct bo_device_desc *d,
		       yaml_node_t *at[BO_SWEEP_PART_COUNT])
{
	if (bo_yaml_map_check(y, layout, "device.layout", part_names))
		return -1;
	for (int p = 0; p < BO_SWEEP_PART_COUNT; p++) {
		char path[BO_YAML_PATH_MAX];
		bo_yaml_path_key(path, sizeof path, "device.layout", part_names[p]);
		bool required = p <= BO_SWEEP_PART_UPGRADE;
		yaml_node_t *v = required ? bo_yaml_map_need(y, layout, "device.layout", part_names[p])
					  : bo_yaml_map_get(y, layout, part_names[p]);
		if (!v) {
			if (required)
				return -1;
			continue;
		}
		at[p] = v;
		d->parts[p].write_protected = p == BO_SWEEP_PART_BOOT;
		if (load_part(y, v, path, d, &d->parts[p]))
			return -1;
	}
	return 0;
}

/* Partitions inside their device, on its sector boundaries, not overlapping; boot on the
 * first device. */
static int check_layout(struct bo_yaml *y, const struct bo_device_desc *d,
			yaml_node_t *at[BO_SWEEP_PART_COUNT], yaml_node_t *fallback)
{
	for (int p = 0; p < BO_SWEEP_PART_COUNT; p++) {
		const struct bo_sweep_area *a = &d->parts[p];
		if (!a->present)
			continue;
		const struct fsim_geometry *g = &d->flash[a->device].geo;
		const char *dev = flash_label(d, a->device);
		char path[BO_YAML_PATH_MAX];
		bo_yaml_path_key(path, sizeof path, "device.layout", part_names[p]);
		yaml_node_t *n = at[p] ? at[p] : fallback;
		uint64_t end = (uint64_t)a->off + a->size;
		uint32_t dev_size = fsim_geometry_size(g);
		if (end > dev_size)
			return bo_yaml_error(y, n, path,
					     "partition 0x%x..0x%llx ends outside the device (%s: "
					     "0x%x bytes)",
					     a->off, (unsigned long long)end, dev, dev_size);
		if (!sector_boundary(g, a->off))
			return bo_yaml_error(y, n, path,
					     "offset 0x%x is not on a sector boundary of %s", a->off,
					     dev);
		if (!sector_boundary(g, end))
			return bo_yaml_error(y, n, path, "end 0x%llx is not on a sector boundary of %s",
					     (unsigned long long)end, dev);
		if (p == BO_SWEEP_PART_BOOT && a->device != 0)
			return bo_yaml_error(y, n, path,
					     "the boot partition must be on the first device (%s): "
					     "the bootloader runs from it",
					     flash_label(d, 0));
		for (int q = 0; q < p; q++) {
			const struct bo_sweep_area *b = &d->parts[q];
			if (b->present && b->device == a->device && a->off < b->off + b->size &&
			    b->off < end)
				return bo_yaml_error(y, n, path,
						     "partition 0x%x..0x%llx overlaps %s "
						     "(0x%x..0x%x)",
						     a->off, (unsigned long long)end, part_names[q],
						     b->off, b->off + b->size);
		}
	}
	return 0;
}

/* layout: default (or absent) takes the first device's preset layout. */
static int load_any_layout(struct bo_yaml *y, yaml_node_t *dev, struct bo_device_desc *d)
{
	yaml_node_t *layout = bo_yaml_map_get(y, dev, "layout");
	yaml_node_t *at[BO_SWEEP_PART_COUNT] = {0};
	yaml_node_t *fallback = layout ? layout : dev;
	d->layout_line = (unsigned)fallback->start_mark.line + 1;
	d->layout_col = (unsigned)fallback->start_mark.column + 1;
	if (!layout || (layout->type == YAML_SCALAR_NODE && !bo_yaml_is_null(layout))) {
		if (layout && strcmp((const char *)layout->data.scalar.value, "default"))
			return bo_yaml_error(y, layout, "device.layout",
					     "expected 'default' or a mapping of partitions "
					     "{boot: [OFFSET, SIZE], ...}, found '%s'",
					     (const char *)layout->data.scalar.value);
		d->default_layout = true;
		const char *preset = d->flash[0].preset;
		if (!preset[0])
			return bo_yaml_error(y, fallback, "device.layout",
					     "a custom geometry has no default layout: give one "
					     "({boot: [OFFSET, SIZE], primary: ..., upgrade: ...})");
		if (bo_sweep_default_layout(preset, d->parts))
			return bo_yaml_error(y, fallback, "device.layout",
					     "preset '%s' has no default layout: give one "
					     "({boot: [OFFSET, SIZE], primary: ..., upgrade: ...})",
					     preset);
	} else if (layout->type != YAML_MAPPING_NODE) {
		return bo_yaml_error(y, layout, "device.layout",
				     "expected 'default' or a mapping of partitions, found %s",
				     bo_yaml_kind(layout));
	} else if (load_layout(y, layout, d, at)) {
		return -1;
	}
	return check_layout(y, d, at, fallback);
}

/* ---- The device section ------------------------------------------------------------ */

static void make_label(struct bo_device_desc *d)
{
	size_t used = 0;
	d->label[0] = '\0';
	for (unsigned i = 0; i < d->flash_count; i++) {
		const struct bo_flash_desc *fd = &d->flash[i];
		int m = snprintf(d->label + used, sizeof d->label - used, "%s%s%s%s%s",
				 i ? " " : "", d->named ? fd->name : "", d->named ? "=" : "",
				 fd->preset[0] ? fd->preset : "custom",
				 fd->modified ? (d->named ? "(modified)" : " (modified)") : "");
		if (m < 0 || (size_t)m >= sizeof d->label - used)
			break;
		used += (size_t)m;
	}
}

yaml_node_t *bo_device_load(struct bo_yaml *y, yaml_node_t *root, const char *const *extra_keys,
			    struct bo_device_desc *out)
{
	static const char *const own_keys[] = {"preset", "geometry", "flash", "layout"};
	const char *keys[sizeof own_keys / sizeof own_keys[0] + 8] = {0};
	size_t nk = 0;
	for (; nk < sizeof own_keys / sizeof own_keys[0]; nk++)
		keys[nk] = own_keys[nk];
	for (size_t i = 0; extra_keys && extra_keys[i] && nk + 1 < sizeof keys / sizeof keys[0];
	     i++)
		keys[nk++] = extra_keys[i];

	memset(out, 0, sizeof *out);
	yaml_node_t *dev = bo_yaml_map_need(y, root, "", "device");
	if (!dev || bo_yaml_map_check(y, dev, "device", keys))
		return NULL;
	yaml_node_t *flash = bo_yaml_map_get(y, dev, "flash");
	if (flash) {
		if (bo_yaml_map_get(y, dev, "preset") || bo_yaml_map_get(y, dev, "geometry")) {
			bo_yaml_error(y, flash, "device.flash",
				      "give either flash (named devices) or preset/geometry (one "
				      "device), not both");
			return NULL;
		}
		if (load_named(y, flash, out))
			return NULL;
	} else {
		out->flash_count = 1;
		snprintf(out->flash[0].name, sizeof out->flash[0].name, "flash");
		if (load_flash(y, dev, "device", &out->flash[0]))
			return NULL;
	}
	make_label(out);
	return load_any_layout(y, dev, out) ? NULL : dev;
}
