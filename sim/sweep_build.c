/* From a sweep file to a workload: device, partitions, signed images, keys, steps. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sweep_build.h"

#define TRUSTED_SEED 1   /* the key the simulated bootloader trusts */
#define UNTRUSTED_SEED 2 /* a rogue signer's key */

static int build_image(const struct bo_sweep *s, const struct bo_sweep_image *si,
		       struct sweep_build *b, struct sweep_image *out, char *err, size_t errlen)
{
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	o.pad_header = true;
	o.align = fsim_geometry(b->dev)->write_unit;
	if (o.align > 32)
		o.align = 32;
	o.behaviour = (int)si->behaviour;
	o.version = (struct bo_image_version){si->version.major, si->version.minor,
					      si->version.revision, si->version.build};
	uint8_t *payload = malloc(si->size);
	if (!payload) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	bo_imagegen_fill_payload(payload, si->size, si->seed);
	size_t len;
	const struct bo_signkey *key = si->key == BO_SWEEP_KEY_TRUSTED ? b->trusted : b->untrusted;
	char why[160];
	int rc = bo_imagegen_build(&o, key, payload, si->size, &out->bytes, &len, why, sizeof why);
	free(payload);
	if (rc) {
		snprintf(err, errlen, "%s: image '%s': %s", s->file, si->name, why);
		return -1;
	}
	if (si->corrupt)
		out->bytes[o.header_size + si->size / 2] ^= 0x01; /* after signing: hash mismatch */
	snprintf(out->name, sizeof out->name, "%s", si->name);
	out->len = (uint32_t)len;
	out->behaviour = (enum bo_app_behaviour)si->behaviour;
	out->bootable = si->key == BO_SWEEP_KEY_TRUSTED && !si->corrupt;
	return 0;
}

static int make_device(const struct bo_sweep *s, struct sweep_build *b, char *err, size_t errlen)
{
	struct fsim_geometry g;
	char why[160];
	if (fsim_preset(s->preset, &g)) {
		snprintf(err, errlen, "%s: unknown preset '%s'", s->file, s->preset);
		return -1;
	}
	b->dev = fsim_create(&g, why, sizeof why);
	if (!b->dev) {
		snprintf(err, errlen, "%s: %s", s->file, why);
		return -1;
	}
	struct fsim_partition parts[BO_SWEEP_PART_COUNT];
	size_t n = 0;
	for (int p = 0; p < BO_SWEEP_PART_COUNT; p++) {
		if (!s->parts[p].present)
			continue;
		parts[n] = (struct fsim_partition){.off = s->parts[p].off, .size = s->parts[p].size,
						   .write_protected = p == BO_SWEEP_PART_BOOT};
		snprintf(parts[n].name, sizeof parts[n].name, "%s", bo_sweep_part_name(p));
		n++;
	}
	if (fsim_set_partitions(b->dev, parts, n, why, sizeof why)) {
		snprintf(err, errlen, "%s: layout: %s", s->file, why);
		return -1;
	}
	return 0;
}

static int map_expect(int v)
{
	return v == BO_SWEEP_NO_IMAGE ? SWEEP_EXPECT_NONE : v < 0 ? SWEEP_EXPECT_UNSET : v;
}

int sweep_build(const struct bo_sweep *s, struct sweep_build *b, char *err, size_t errlen)
{
	memset(b, 0, sizeof *b);
	struct sweep_workload *w = &b->w;
	bo_crypto_mbedtls_init(&b->crypto_state, &b->crypto);
	char why[160];
	if (s->image_count > SWEEP_MAX_IMAGES || s->step_count + 1 > SWEEP_MAX_STEPS) {
		snprintf(err, errlen, "%s: too many images or steps", s->file);
		goto fail;
	}
	if (make_device(s, b, err, errlen))
		goto fail;
	if (bo_signkey_from_seed(TRUSTED_SEED, &b->trusted, why, sizeof why) ||
	    bo_signkey_from_seed(UNTRUSTED_SEED, &b->untrusted, why, sizeof why)) {
		snprintf(err, errlen, "keys: %s", why);
		goto fail;
	}
	bo_signkey_spki(b->trusted, b->spki);
	bo_key_init(&b->key, b->spki, sizeof b->spki, &b->crypto);
	b->ring = (struct bo_keyring){&b->key, 1};

	snprintf(w->name, sizeof w->name, "%s", s->name);
	w->initial = b->dev;
	w->strategy = (enum bo_strategy)s->strategy;
	w->attempts = (uint8_t)s->attempts;
	w->allow_downgrade = s->allow_downgrade;
	w->keys = &b->ring;
	w->extra_reboots = 3;
	for (size_t i = 0; i < s->image_count; i++) {
		if (build_image(s, &s->images[i], b, &w->images[i], err, errlen))
			goto fail;
		w->nimages++;
	}
	w->initial_primary = s->initial[BO_SWEEP_PART_PRIMARY];
	w->initial_recovery = s->initial[BO_SWEEP_PART_RECOVERY];
	static const enum bo_sweep_part placed[] = {BO_SWEEP_PART_PRIMARY, BO_SWEEP_PART_UPGRADE,
						    BO_SWEEP_PART_RECOVERY};
	for (size_t k = 0; k < sizeof placed / sizeof placed[0]; k++) {
		int img = s->initial[placed[k]];
		if (img < 0)
			continue;
		const struct sweep_image *im = &w->images[img];
		if (im->len > s->parts[placed[k]].size) {
			snprintf(err, errlen, "%s: image '%s' (%u bytes) does not fit the %s partition",
				 s->file, im->name, im->len, bo_sweep_part_name(placed[k]));
			goto fail;
		}
		fsim_load_bytes(b->dev, s->parts[placed[k]].off, im->bytes, im->len);
	}

	/* The workload starts with the device powering on with its initial images. */
	w->steps[w->nsteps++] = (struct sweep_step){SWEEP_STEP_POWER_ON, -1};
	for (size_t i = 0; i < s->step_count; i++) {
		const struct bo_sweep_step *st = &s->steps[i];
		struct sweep_step *d = &w->steps[w->nsteps++];
		d->image = -1;
		switch (st->kind) {
		case BO_STEP_DOWNLOAD:
			d->kind = SWEEP_STEP_DOWNLOAD;
			d->image = st->image;
			break;
		case BO_STEP_REQUEST:
			d->kind = st->permanent ? SWEEP_STEP_REQUEST_PERM : SWEEP_STEP_REQUEST_TEST;
			break;
		case BO_STEP_REBOOT:
			d->kind = SWEEP_STEP_POWER_ON;
			break;
		case BO_STEP_CONFIRM:
			d->kind = SWEEP_STEP_CONFIRM;
			break;
		}
	}
	w->expect = (struct sweep_expect){
		.running = map_expect(s->expect.running),
		.confirmed = s->expect.has_confirmed ? (int)s->expect.confirmed : -1,
		.primary = map_expect(s->expect.primary),
		.upgrade = map_expect(s->expect.upgrade),
	};
	return 0;
fail:
	sweep_build_free(b);
	return -1;
}

void sweep_build_free(struct sweep_build *b)
{
	for (int i = 0; i < b->w.nimages; i++)
		free(b->w.images[i].bytes);
	b->w.nimages = 0;
	if (b->dev)
		fsim_destroy(b->dev);
	b->dev = NULL;
	bo_signkey_free(b->trusted);
	bo_signkey_free(b->untrusted);
	b->trusted = b->untrusted = NULL;
	bo_crypto_mbedtls_free(&b->crypto_state);
}

void sweep_build_options(const struct bo_sweep *s, struct sweep_options *o)
{
	memset(o, 0, sizeof *o);
	o->between = s->cuts.between;
	o->torn = s->cuts.torn;
	o->metastable = s->cuts.metastable;
	o->depth = s->cuts.depth ? s->cuts.depth : 1;
	o->jobs = 1;
	o->seed = 1;
}
