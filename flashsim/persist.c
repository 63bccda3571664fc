/* Save and load a device: a little-endian 'BOFLASH1' header, then the raw content. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flashsim/internal.h"

#define MAGIC "BOFLASH1"
#define FORMAT_VERSION 1u
/* magic(8) version size wu ev program_ns program_chunk endurance region_count (8 x 4)
 * regions (8 x 3 x 4) partition_count (4) partitions (16 x (16 + 3 x 4)) */
#define HEADER_SIZE (8 + 8 * 4 + FSIM_MAX_REGIONS * 12 + 4 + FSIM_MAX_PARTITIONS * 28)

static uint8_t *put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
	return p + 4;
}

static uint32_t get32(const uint8_t **p)
{
	const uint8_t *b = *p;
	*p += 4;
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

int fsim_save(const struct fsim_device *dev, const char *path, char *err, size_t errlen)
{
	const struct fsim_geometry *g = &dev->layout->geo;
	uint8_t hdr[HEADER_SIZE] = {0}, *p = hdr;
	memcpy(p, MAGIC, 8);
	p += 8;
	p = put32(p, FORMAT_VERSION);
	p = put32(p, dev->layout->size);
	p = put32(p, g->write_unit);
	p = put32(p, g->erase_value);
	p = put32(p, g->program_ns);
	p = put32(p, g->program_chunk);
	p = put32(p, g->endurance);
	p = put32(p, g->region_count);
	for (int i = 0; i < FSIM_MAX_REGIONS; i++) {
		p = put32(p, g->regions[i].count);
		p = put32(p, g->regions[i].sector_size);
		p = put32(p, g->regions[i].erase_us);
	}
	p = put32(p, (uint32_t)dev->nparts);
	for (size_t i = 0; i < FSIM_MAX_PARTITIONS; i++) {
		const struct fsim_partition *part = &dev->parts[i];
		if (i < dev->nparts)
			memcpy(p, part->name, FSIM_PART_NAME_MAX);
		p += FSIM_PART_NAME_MAX;
		p = put32(p, i < dev->nparts ? part->off : 0);
		p = put32(p, i < dev->nparts ? part->size : 0);
		p = put32(p, i < dev->nparts && part->write_protected);
	}

	FILE *f = fopen(path, "wb");
	if (!f) {
		fsim_set_err(err, errlen, "%s: %s", path, strerror(errno));
		return FSIM_ERR_IO;
	}
	bool ok = fwrite(hdr, 1, sizeof hdr, f) == sizeof hdr;
	uint8_t chunk[4096];
	for (uint32_t off = 0; ok && off < dev->layout->size; off += sizeof chunk) {
		uint32_t n = dev->layout->size - off < sizeof chunk ? dev->layout->size - off
								    : (uint32_t)sizeof chunk;
		fsim_copy_out(dev, off, chunk, n);
		ok = fwrite(chunk, 1, n, f) == n;
	}
	if (fclose(f) != 0)
		ok = false;
	if (!ok) {
		fsim_set_err(err, errlen, "%s: write failed: %s", path, strerror(errno));
		return FSIM_ERR_IO;
	}
	return FSIM_OK;
}

struct fsim_device *fsim_load(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fsim_set_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	uint8_t hdr[HEADER_SIZE];
	struct fsim_device *dev = NULL;
	uint8_t *data = NULL;
	if (fread(hdr, 1, sizeof hdr, f) != sizeof hdr) {
		fsim_set_err(err, errlen, "%s: truncated header (a flash image starts with a %d-byte "
			     "header)", path, HEADER_SIZE);
		goto out;
	}
	if (memcmp(hdr, MAGIC, 8)) {
		fsim_set_err(err, errlen, "%s: not a brownout flash image (bad magic)", path);
		goto out;
	}
	const uint8_t *p = hdr + 8;
	uint32_t version = get32(&p);
	if (version != FORMAT_VERSION) {
		fsim_set_err(err, errlen, "%s: flash image format version %u, expected %u", path,
			     version, FORMAT_VERSION);
		goto out;
	}
	uint32_t size = get32(&p);
	struct fsim_geometry g = {0};
	g.write_unit = get32(&p);
	uint32_t ev = get32(&p);
	g.erase_value = (uint8_t)ev;
	g.program_ns = get32(&p);
	g.program_chunk = get32(&p);
	g.endurance = get32(&p);
	g.region_count = get32(&p);
	for (int i = 0; i < FSIM_MAX_REGIONS; i++) {
		g.regions[i].count = get32(&p);
		g.regions[i].sector_size = get32(&p);
		g.regions[i].erase_us = get32(&p);
	}
	char gerr[160];
	if (ev > 0xff || fsim_geometry_check(&g, gerr, sizeof gerr) != FSIM_OK) {
		fsim_set_err(err, errlen, "%s: bad geometry: %s", path,
			     ev > 0xff ? "erase value out of range" : gerr);
		goto out;
	}
	if (fsim_geometry_size(&g) != size) {
		fsim_set_err(err, errlen, "%s: header says %u bytes but its sectors add up to %u",
			     path, size, fsim_geometry_size(&g));
		goto out;
	}
	uint32_t nparts = get32(&p);
	if (nparts > FSIM_MAX_PARTITIONS) {
		fsim_set_err(err, errlen, "%s: %u partitions, at most %d", path, nparts,
			     FSIM_MAX_PARTITIONS);
		goto out;
	}
	struct fsim_partition parts[FSIM_MAX_PARTITIONS] = {0};
	for (uint32_t i = 0; i < FSIM_MAX_PARTITIONS; i++) {
		memcpy(parts[i].name, p, FSIM_PART_NAME_MAX);
		parts[i].name[FSIM_PART_NAME_MAX - 1] = '\0';
		p += FSIM_PART_NAME_MAX;
		parts[i].off = get32(&p);
		parts[i].size = get32(&p);
		parts[i].write_protected = get32(&p) != 0;
	}
	data = malloc(size ? size : 1);
	if (!data) {
		fsim_set_err(err, errlen, "out of memory");
		goto out;
	}
	if (fread(data, 1, size, f) != size) {
		fsim_set_err(err, errlen, "%s: truncated: the header promises %u bytes of flash", path,
			     size);
		goto out;
	}
	if (fgetc(f) != EOF) {
		fsim_set_err(err, errlen, "%s: trailing bytes after %u bytes of flash", path, size);
		goto out;
	}
	dev = fsim_create(&g, err, errlen);
	if (!dev)
		goto out;
	char perr[160];
	if (fsim_set_partitions(dev, parts, nparts, perr, sizeof perr) != FSIM_OK) {
		fsim_set_err(err, errlen, "%s: bad partition table: %s", path, perr);
		fsim_destroy(dev);
		dev = NULL;
		goto out;
	}
	/* Store only sectors that are not erased, so a loaded image shares the memory profile
	 * of a fresh one. */
	for (uint32_t i = 0; i < dev->layout->nsectors; i++) {
		uint32_t s = dev->layout->start[i], n = dev->layout->start[i + 1] - s;
		for (uint32_t k = 0; k < n; k++) {
			if (data[s + k] != g.erase_value) {
				fsim_store(dev, s, data + s, n);
				break;
			}
		}
	}
out:
	free(data);
	fclose(f);
	return dev;
}
