/* sim/sweep_device.c: build the device of a sweep file (see sim/sweep_device.h). */
#include "sim/sweep_device.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/flash_port.h"

#define TRUSTED_SEED BO_SWEEP_TRUSTED_SEED
#define UNTRUSTED_SEED BO_SWEEP_UNTRUSTED_SEED

static int fail(const struct bo_sweep *s, char *err, size_t errlen, const char *fmt, ...)
#if defined(__GNUC__)
	__attribute__((format(printf, 4, 5)))
#endif
	;

static int fail(const struct bo_sweep *s, char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || errlen == 0)
		return -1;
	int n = snprintf(err, errlen, "%s: ", s->file);
	if (n < 0 || (size_t)n >= errlen)
		return -1;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err + n, errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Several flash devices become one flashsim device that lays them end to end (see struct
 * fw_flash_map): one power cut stops them all, snapshots and hashes cover them all. Each
 * device's regions keep its own write unit, erase value and program timing (flashsim
 * region values); the combined device's own values are the first device's. */
static int combine(struct bo_sweep_device *d, struct fsim_geometry *g, char *err, size_t errlen)
{
	const struct bo_sweep *s = d->sweep;
	const struct bo_device_desc *desc = &s->device;
	*g = desc->flash[0].geo;
	g->region_count = 0;
	uint32_t base = 0;
	d->map.n = desc->flash_count;
	for (unsigned f = 0; f < desc->flash_count; f++) {
		const struct fsim_geometry *fg = &desc->flash[f].geo;
		if (g->region_count + fg->region_count > FSIM_MAX_REGIONS)
			return fail(s, err, errlen, "device.flash: more than %d sector regions in all",
				    FSIM_MAX_REGIONS);
		snprintf(d->map.flash[f].name, sizeof d->map.flash[f].name, "%s", desc->flash[f].name);
		d->map.flash[f].base = base;
		d->map.flash[f].size = fsim_geometry_size(fg);
		d->map.flash[f].first_region = g->region_count;
		d->map.flash[f].nregions = fg->region_count;
		d->map.flash[f].read_unit = fg->read_unit ? fg->read_unit : 1;
		for (uint32_t r = 0; r < fg->region_count; r++) {
			struct fsim_region *reg = &g->regions[g->region_count++];
			*reg = fg->regions[r];
			reg->write_unit = fg->write_unit;
			reg->program_ns = fg->program_ns;
			reg->program_chunk = fg->program_chunk ? fg->program_chunk : fg->write_unit;
			reg->own_erase_value = true;
			reg->erase_value = fg->erase_value;
		}
		if ((uint64_t)base + d->map.flash[f].size > UINT32_MAX)
			return fail(s, err, errlen, "device.flash: more than 4 GiB in all");
		base += d->map.flash[f].size;
	}
	/* the read unit is the first device's too (flashsim does not refuse reads for it) */
	return 0;
}

static int make_flash(struct bo_sweep_device *d, char *err, size_t errlen)
{
	const struct bo_sweep *s = d->sweep;
	const struct bo_device_desc *desc = &s->device;
	char why[256];
	struct fsim_geometry g = desc->flash[0].geo;
	if (desc->flash_count > 1 && combine(d, &g, err, errlen))
		return -1;
	d->dev = fsim_create(&g, why, sizeof why);
	if (!d->dev)
		return fail(s, err, errlen, "cannot create the %s flash: %s", desc->label, why);
	struct fsim_partition table[BO_SWEEP_PART_COUNT];
	size_t n = 0;
	for (int p = 0; p < BO_SWEEP_PART_COUNT; p++) {
		const struct bo_sweep_area *a = &s->device.parts[p];
		if (!a->present)
			continue;
		memset(&table[n], 0, sizeof table[n]);
		snprintf(table[n].name, sizeof table[n].name, "%s",
			 bo_sweep_part_name((enum bo_sweep_part)p));
		table[n].off = (desc->flash_count > 1 ? d->map.flash[a->device].base : 0) + a->off;
		table[n].size = a->size;
		table[n].write_protected = a->write_protected;
		n++;
	}
	if (fsim_set_partitions(d->dev, table, n, why, sizeof why))
		return fail(s, err, errlen, "device.layout: %s", why);
	sim_flash_ports_init(&d->ports, d->dev);
	return 0;
}

static int make_cfg(struct bo_sweep_device *d, char *err, size_t errlen)
{
	const struct bo_sweep *s = d->sweep;
	char why[256];
	struct bo_signkey *trusted = NULL;
	if (bo_signkey_from_seed(TRUSTED_SEED, &trusted, why, sizeof why) ||
	    bo_signkey_spki(trusted, d->spki)) {
		bo_signkey_free(trusted);
		return fail(s, err, errlen, "trusted key: %s", why);
	}
	bo_signkey_free(trusted);
	bo_crypto_mbedtls_init(&d->crypto_state, &d->crypto);
	bo_key_init(&d->key, d->spki, sizeof d->spki, &d->crypto);
	d->keys = (struct bo_keyring){&d->key, 1};

	struct bo_boot_cfg *c = &d->cfg;
	memset(c, 0, sizeof *c);
	c->strategy = (enum bo_strategy)s->strategy;
	static const struct {
		enum bo_sweep_part part;
		size_t field;
	} areas[] = {
		{BO_SWEEP_PART_PRIMARY, offsetof(struct bo_boot_cfg, primary)},
		{BO_SWEEP_PART_UPGRADE, offsetof(struct bo_boot_cfg, upgrade)},
		{BO_SWEEP_PART_SCRATCH, offsetof(struct bo_boot_cfg, scratch)},
		{BO_SWEEP_PART_RECOVERY, offsetof(struct bo_boot_cfg, recovery)},
		{BO_SWEEP_PART_STATUS, offsetof(struct bo_boot_cfg, status)},
	};
	for (size_t i = 0; i < sizeof areas / sizeof areas[0]; i++) {
		struct bo_flash_area *a = (struct bo_flash_area *)((char *)c + areas[i].field);
		if (s->device.parts[areas[i].part].present &&
		    sim_flash_ports_area(&d->ports, bo_sweep_part_name(areas[i].part), a))
			return fail(s, err, errlen, "partition %s missing",
				    bo_sweep_part_name(areas[i].part));
	}
	c->crypto = &d->crypto;
	c->keys = &d->keys;
	/* core/boot's one trailer alignment: A = max(8, the primary's write unit) */
	uint32_t wu = c->primary.flash->write_unit;
	c->max_align = wu > 8 ? wu : 8;
	c->attempts = (uint8_t)s->attempts;
	c->allow_downgrade = s->allow_downgrade;

	if (s->plugin[0]) {
		d->data_limit = UINT32_MAX; /* layouts and sizes are the plug-in's to check */
		return 0;
	}
	/* core/boot writes every trailer in blocks of max_align (sweep files say so at the
	 * partition; scenario files get this sentence) */
	for (size_t i = 1; i < sizeof areas / sizeof areas[0]; i++) {
		const struct bo_flash_area *a =
			(const struct bo_flash_area *)((const char *)c + areas[i].field);
		if (a->flash && c->max_align % a->flash->write_unit)
			return fail(s, err, errlen,
				    "partition %s: its flash device's %u-byte write unit does not "
				    "divide core/boot's trailer alignment %u (max(8, the primary's "
				    "write unit))",
				    bo_sweep_part_name(areas[i].part), a->flash->write_unit,
				    c->max_align);
	}
	struct bo_boot *b = malloc(sizeof *b);
	if (!b)
		return fail(s, err, errlen, "out of memory");
	const char *bad = NULL;
	int rc = bo_boot_check_config(b, c, &bad);
	d->data_limit = b->data_limit;
	free(b);
	if (rc && s->device.layout_line) {
		/* at the layout, as the loader reports its own errors (FILE:LINE:COL: key ...) */
		snprintf(err, errlen, "%s:%u:%u: key 'device.layout': the bootloader refuses this "
			 "layout for %s: %s", s->file, s->device.layout_line, s->device.layout_col,
			 bo_sweep_strategy_name(s->strategy), bad ? bad : "bad configuration");
		return -1;
	}
	if (rc)
		return fail(s, err, errlen, "the bootloader refuses this layout for %s: %s",
			    bo_sweep_strategy_name(s->strategy), bad ? bad : "bad configuration");
	return 0;
}

/* A user's signed image file, as it is. */
static int read_image_file(struct bo_sweep_device *d, size_t i, char *err, size_t errlen)
{
	const struct bo_sweep_image *im = &d->sweep->images[i];
	FILE *f = fopen(im->file, "rb");
	if (!f)
		return fail(d->sweep, err, errlen, "image '%s': cannot read %s: %s", im->name,
			    im->file, strerror(errno));
	uint8_t *bytes = NULL;
	size_t len = 0, cap = 0, n;
	do {
		if (len == cap) {
			cap = cap ? 2 * cap : 65536;
			uint8_t *nb = realloc(bytes, cap);
			if (!nb) {
				free(bytes);
				fclose(f);
				return fail(d->sweep, err, errlen, "image '%s': out of memory", im->name);
			}
			bytes = nb;
		}
		n = fread(bytes + len, 1, cap - len, f);
		len += n;
	} while (n > 0);
	bool bad = ferror(f) || len < 32;
	fclose(f);
	if (bad) {
		free(bytes);
		return fail(d->sweep, err, errlen, "image '%s': cannot read %s", im->name, im->file);
	}
	d->images[i].bytes = bytes;
	d->images[i].len = (uint32_t)len;
	return 0;
}

static int build_image(struct bo_sweep_device *d, size_t i, struct bo_signkey *keys[2], char *err,
		       size_t errlen)
{
	const struct bo_sweep *s = d->sweep;
	const struct bo_sweep_image *im = &s->images[i];
	if (im->file[0])
		return read_image_file(d, i, err, errlen);
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	o.version = (struct bo_image_version){im->version.major, im->version.minor,
					      im->version.revision, im->version.build};
	o.pad_header = true;
	/* the image is built for the primary, where it runs (its trailer alignment, its
	 * erase value); a slot elsewhere gets the same bytes */
	o.align = d->cfg.primary.flash->write_unit;
	o.max_align = d->cfg.max_align;
	o.erased_val = d->cfg.primary.flash->erase_value;
	o.behaviour = (int)im->behaviour;
	uint8_t *payload = malloc(im->size);
	if (!payload)
		return fail(s, err, errlen, "image '%s': out of memory", im->name);
	bo_imagegen_fill_payload(payload, im->size, im->seed);
	char why[BO_IMAGEGEN_ERRLEN];
	uint8_t *bytes = NULL;
	size_t len = 0;
	int rc = bo_imagegen_build(&o, keys[im->key == BO_SWEEP_KEY_UNTRUSTED], payload, im->size,
				   &bytes, &len, why, sizeof why);
	free(payload);
	if (rc)
		return fail(s, err, errlen, "image '%s': %s", im->name, why);
	if (im->corrupt)
		bytes[o.header_size + im->size / 2] ^= 0xff;
	d->images[i].bytes = bytes;
	d->images[i].len = (uint32_t)len;
	return 0;
}

static int build_images(struct bo_sweep_device *d, char *err, size_t errlen)
{
	const struct bo_sweep *s = d->sweep;
	struct bo_signkey *keys[2] = {NULL, NULL};
	char why[BO_IMAGEGEN_ERRLEN];
	int rc = 0;
	if (bo_signkey_from_seed(TRUSTED_SEED, &keys[0], why, sizeof why) ||
	    bo_signkey_from_seed(UNTRUSTED_SEED, &keys[1], why, sizeof why))
		rc = fail(s, err, errlen, "signing keys: %s", why);
	for (size_t i = 0; rc == 0 && i < s->image_count; i++)
		rc = build_image(d, i, keys, err, errlen);
	bo_signkey_free(keys[0]);
	bo_signkey_free(keys[1]);
	return rc;
}

/* Images that live in a slot must fit below the data limit; recovery images in the
 * recovery partition. */
static int check_fit(struct bo_sweep_device *d, char *err, size_t errlen)
{
	const struct bo_sweep *s = d->sweep;
	for (size_t i = 0; i < s->image_count; i++) {
		bool in_slot = s->initial[BO_SWEEP_PART_PRIMARY] == (int)i ||
			       s->initial[BO_SWEEP_PART_UPGRADE] == (int)i;
		for (size_t k = 0; k < s->step_count; k++)
			if (s->steps[k].kind == BO_STEP_DOWNLOAD && s->steps[k].image == (int)i)
				in_slot = true;
		if (in_slot && d->images[i].len > d->data_limit)
			return fail(s, err, errlen,
				    "image '%s' is %u bytes signed, more than the %u bytes %s "
				    "leaves for an image in a slot",
				    s->images[i].name, d->images[i].len, d->data_limit,
				    bo_sweep_strategy_name(s->strategy));
		if (s->initial[BO_SWEEP_PART_RECOVERY] == (int)i &&
		    d->images[i].len > s->device.parts[BO_SWEEP_PART_RECOVERY].size)
			return fail(s, err, errlen,
				    "image '%s' is %u bytes signed, larger than the recovery "
				    "partition (%u bytes)",
				    s->images[i].name, d->images[i].len,
				    s->device.parts[BO_SWEEP_PART_RECOVERY].size);
	}
	return 0;
}

static int place_initial(struct bo_sweep_device *d, char *err, size_t errlen)
{
	const struct bo_sweep *s = d->sweep;
	static const enum bo_sweep_part parts[] = {BO_SWEEP_PART_PRIMARY, BO_SWEEP_PART_UPGRADE,
						   BO_SWEEP_PART_RECOVERY};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		int img = s->initial[parts[i]];
		if (img < 0)
			continue;
		const struct bo_sweep_area *at = &s->device.parts[parts[i]];
		uint32_t base = s->device.flash_count > 1 ? d->map.flash[at->device].base : 0;
		if (fsim_load_bytes(d->dev, base + at->off, d->images[img].bytes,
				    d->images[img].len))
			return fail(s, err, errlen, "cannot place image '%s' in %s",
				    s->images[img].name, bo_sweep_part_name(parts[i]));
	}
	return 0;
}

int bo_sweep_device_build(const struct bo_sweep *s, struct bo_sweep_device **out, char *err,
			  size_t errlen)
{
	*out = NULL;
	struct bo_sweep_device *d = calloc(1, sizeof *d);
	if (!d)
		return fail(s, err, errlen, "out of memory");
	d->sweep = s;
	int rc = make_flash(d, err, errlen);
	if (rc == 0)
		rc = make_cfg(d, err, errlen);
	if (rc == 0)
		rc = build_images(d, err, errlen);
	if (rc == 0)
		rc = check_fit(d, err, errlen);
	if (rc == 0)
		rc = place_initial(d, err, errlen);
	if (rc) {
		bo_sweep_device_free(d);
		return -1;
	}
	*out = d;
	return 0;
}

void bo_sweep_device_free(struct bo_sweep_device *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < BO_SWEEP_MAX_IMAGES; i++)
		free(d->images[i].bytes);
	if (d->crypto.ctx) /* set by bo_crypto_mbedtls_init */
		bo_crypto_mbedtls_free(&d->crypto_state);
	fsim_destroy(d->dev);
	free(d);
}

int bo_sweep_device_identify(const struct bo_sweep_device *d, const struct bo_flash_area *a)
{
	uint8_t *buf = NULL;
	int found = -1;
	for (size_t i = 0; i < d->sweep->image_count && found < 0; i++) {
		uint32_t len = d->images[i].len;
		if (len > a->size)
			continue;
		uint8_t *nb = realloc(buf, len);
		if (!nb)
			break;
		buf = nb;
		if (fsim_peek(d->dev, a->off, buf, len) == 0 &&
		    !memcmp(buf, d->images[i].bytes, len))
			found = (int)i;
	}
	free(buf);
	return found;
}
