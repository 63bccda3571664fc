/* A programmatic sweep workload for the engine's tests and benchmark: nrf52840, the
 * reference layout, images built and signed in memory. */
#ifndef TESTS_ENGINE_FIXTURE_H
#define TESTS_ENGINE_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/imagegen.h"
#include "sim/sweep_engine.h"

struct engine_fixture {
	struct sweep_workload w;
	struct fsim_device *dev;
	struct bo_signkey *trusted;
	uint8_t spki[BO_P256_SPKI_LEN];
	struct bo_key key;
	struct bo_keyring ring;
	struct bo_crypto_mbedtls cst;
	struct bo_crypto crypto;
};

static inline int fixture_image(struct engine_fixture *f, const char *name, const char *version,
				uint32_t payload_len, enum bo_app_behaviour how, uint64_t seed)
{
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	o.pad_header = true;
	o.align = 4;
	o.behaviour = (int)how;
	bo_imagegen_parse_version(version, &o.version);
	uint8_t *payload = malloc(payload_len);
	bo_imagegen_fill_payload(payload, payload_len, seed);
	struct sweep_image *im = &f->w.images[f->w.nimages];
	size_t len;
	char err[160];
	int rc = bo_imagegen_build(&o, f->trusted, payload, payload_len, &im->bytes, &len, err,
				   sizeof err);
	free(payload);
	if (rc) {
		fprintf(stderr, "fixture: %s\n", err);
		return -1;
	}
	snprintf(im->name, sizeof im->name, "%s", name);
	im->len = (uint32_t)len;
	im->behaviour = how;
	im->bootable = true;
	return f->w.nimages++;
}

/* The nrf52840 reference layout, strategy s, no images yet. */
static inline int fixture_init(struct engine_fixture *f, enum bo_strategy s)
{
	memset(f, 0, sizeof *f);
	struct fsim_geometry g;
	char err[160];
	fsim_preset("nrf52840", &g);
	f->dev = fsim_create(&g, err, sizeof err);
	const struct fsim_partition parts[] = {
		{"boot", 0x00000, 0xC000, true},      {"primary", 0x0C000, 0x6C000, false},
		{"upgrade", 0x78000, 0x6C000, false}, {"scratch", 0xE4000, 0x4000, false},
		{"recovery", 0xE8000, 0x10000, false},
	};
	if (!f->dev || fsim_set_partitions(f->dev, parts, 5, err, sizeof err))
		return -1;
	if (bo_signkey_from_seed(1, &f->trusted, err, sizeof err))
		return -1;
	bo_signkey_spki(f->trusted, f->spki);
	bo_crypto_mbedtls_init(&f->cst, &f->crypto);
	bo_key_init(&f->key, f->spki, sizeof f->spki, &f->crypto);
	f->ring = (struct bo_keyring){&f->key, 1};
	f->w.initial = f->dev;
	f->w.strategy = s;
	f->w.attempts = 3;
	f->w.keys = &f->ring;
	f->w.extra_reboots = 3;
	f->w.expect = (struct sweep_expect){-1, -1, -1, -1};
	f->w.initial_primary = f->w.initial_recovery = -1;
	snprintf(f->w.name, sizeof f->w.name, "fixture");
	return 0;
}

static inline void fixture_place(struct engine_fixture *f, const char *part, int image)
{
	const struct fsim_partition *p = fsim_partition_find(f->dev, part);
	fsim_load_bytes(f->dev, p->off, f->w.images[image].bytes, f->w.images[image].len);
	if (!strcmp(part, "primary"))
		f->w.initial_primary = image;
	if (!strcmp(part, "recovery"))
		f->w.initial_recovery = image;
}

static inline void fixture_step(struct engine_fixture *f, enum sweep_step_kind k, int image)
{
	f->w.steps[f->w.nsteps++] = (struct sweep_step){k, image};
}

static inline void fixture_free(struct engine_fixture *f)
{
	for (int i = 0; i < f->w.nimages; i++)
		free(f->w.images[i].bytes);
	fsim_destroy(f->dev);
	bo_signkey_free(f->trusted);
	bo_crypto_mbedtls_free(&f->cst);
}

#endif
