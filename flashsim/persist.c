/*
 * Save and load a device (the "device file"): a little-endian 'BOFLASH1' header, the raw
 * content (since version 3 preceded by the read unit and each region's own write unit,
 * erase value and program timing), and since version 2 the state a saved failure needs
 * to be looked at again: per-sector erase counts, the weak (metastable) cells and a
 * free-text note.
 *
 * Loading never trusts the header: the file's real size is checked against everything the
 * header promises before anything is allocated, so a short or hostile file costs no more
 * memory than its own size. Saving writes a temporary file next to the target and renames
 * it over, so a reader (or a crash) sees the old file or the new one, never half of one.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "flashsim/internal.h"

#define MAGIC "BOFLASH1"
/* magic(8) version size wu ev program_ns program_chunk endurance region_count (8 x 4)
 * regions (8 x 3 x 4) partition_count (4) partitions (16 x (16 + 3 x 4)) */
#define HEADER_SIZE (8 + 8 * 4 + FSIM_MAX_REGIONS * 12 + 4 + FSIM_MAX_PARTITIONS * 28)
/* Version 3's region block, right after the header: read unit, then per region its own
 * write unit, program_ns, program_chunk and erase value (bit 8 set: its own; else 0). */
#define REGION_BLOCK_SIZE (4 + FSIM_MAX_REGIONS * 16)
/* Smallest version-2 extension: sector count, erase counts, weak count, note length. */
#define EXT_MIN(nsec) (4u + 4u * (uint64_t)(nsec) + 4u + 4u)
/* A weak range on file: off, len, seed (u64), then len mask bytes. */
#define WEAK_HDR 16u

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

static bool write32(FILE *f, uint32_t v)
{
	uint8_t b[4];
	put32(b, v);
	return fwrite(b, 1, 4, f) == 4;
}

static void encode_header(const struct fsim_device *dev, uint8_t hdr[HEADER_SIZE])
{
	const struct fsim_geometry *g = &dev->layout->geo;
	uint8_t *p = hdr;
	memset(hdr, 0, HEADER_SIZE);
	memcpy(p, MAGIC, 8);
	p += 8;
	p = put32(p, FSIM_FORMAT_VERSION);
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
}

static void encode_regions(const struct fsim_geometry *g, uint8_t out[REGION_BLOCK_SIZE])
{
	uint8_t *p = put32(out, g->read_unit ? g->read_unit : 1);
	for (int i = 0; i < FSIM_MAX_REGIONS; i++) {
		const struct fsim_region *r = &g->regions[i];
		p = put32(p, r->write_unit);
		p = put32(p, r->program_ns);
		p = put32(p, r->program_chunk);
		p = put32(p, r->own_erase_value ? 0x100u | r->erase_value : 0);
	}
}

static bool decode_regions(const uint8_t in[REGION_BLOCK_SIZE], struct fsim_geometry *g)
{
	const uint8_t *p = in;
	g->read_unit = get32(&p);
	for (int i = 0; i < FSIM_MAX_REGIONS; i++) {
		struct fsim_region *r = &g->regions[i];
		r->write_unit = get32(&p);
		r->program_ns = get32(&p);
		r->program_chunk = get32(&p);
		uint32_t ev = get32(&p);
		if (ev & ~0x1ffu || (ev && !(ev & 0x100u)))
			return false;
		r->own_erase_value = ev != 0;
		r->erase_value = (uint8_t)ev;
	}
	return true;
}

static bool write_body(const struct fsim_device *dev, const char *note, FILE *f)
{
	uint8_t hdr[HEADER_SIZE], regions[REGION_BLOCK_SIZE];
	encode_header(dev, hdr);
	encode_regions(&dev->layout->geo, regions);
	bool ok = fwrite(hdr, 1, sizeof hdr, f) == sizeof hdr &&
		  fwrite(regions, 1, sizeof regions, f) == sizeof regions;
	uint8_t chunk[4096];
	for (uint32_t off = 0; ok && off < dev->layout->size; off += sizeof chunk) {
		uint32_t n = dev->layout->size - off < sizeof chunk ? dev->layout->size - off
								    : (uint32_t)sizeof chunk;
		fsim_copy_out(dev, off, chunk, n);
		ok = fwrite(chunk, 1, n, f) == n;
	}
	ok = ok && write32(f, dev->layout->nsectors);
	for (uint32_t i = 0; ok && i < dev->layout->nsectors; i++)
		ok = write32(f, dev->sec[i].erases);
	ok = ok && write32(f, (uint32_t)dev->weak.n);
	for (size_t i = 0; ok && i < dev->weak.n; i++) {
		const struct fsim_weak_range *w = &dev->weak.v[i];
		ok = write32(f, w->off) && write32(f, w->len) && write32(f, (uint32_t)w->seed) &&
		     write32(f, (uint32_t)(w->seed >> 32)) && fwrite(w->mask, 1, w->len, f) == w->len;
	}
	size_t nlen = note ? strnlen(note, FSIM_NOTE_MAX - 1) : 0;
	ok = ok && write32(f, (uint32_t)nlen) && fwrite(note ? note : "", 1, nlen, f) == nlen;
	return ok;
}

int fsim_save_with_note(const struct fsim_device *dev, const char *path, const char *note,
			char *err, size_t errlen)
{
	size_t plen = strlen(path);
	char *tmp = malloc(plen + 16);
	if (!tmp) {
		fsim_set_err(err, errlen, "out of memory");
		return FSIM_ERR_NOMEM;
	}
	/* Same directory as the target, so the rename cannot cross file systems. */
	snprintf(tmp, plen + 16, "%s.tmp-XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fsim_set_err(err, errlen, "%s: cannot create a temporary file next to it: %s", path,
			     strerror(errno));
		free(tmp);
		return FSIM_ERR_IO;
	}
	(void)fchmod(fd, 0644); /* mkstemp's 0600 would hide a saved state from other users */
	FILE *f = fdopen(fd, "wb");
	bool ok = f && write_body(dev, note, f);
	ok = ok && fflush(f) == 0 && fsync(fd) == 0;
	int saved_errno = errno;
	if (f ? fclose(f) != 0 : close(fd) != 0)
		ok = false;
	if (ok && rename(tmp, path) != 0) {
		saved_errno = errno;
		ok = false;
	}
	if (!ok) {
		fsim_set_err(err, errlen, "%s: write failed: %s", path, strerror(saved_errno));
		unlink(tmp);
	}
	free(tmp);
	return ok ? FSIM_OK : FSIM_ERR_IO;
}

int fsim_save(const struct fsim_device *dev, const char *path, char *err, size_t errlen)
{
	return fsim_save_with_note(dev, path, NULL, err, errlen);
}

/* ---- Loading ------------------------------------------------------------------------ */

struct reader {
	const char *path;
	FILE *f;
	uint64_t left; /* bytes of the file not read yet */
	char *err;
	size_t errlen;
};

static bool rd(struct reader *r, void *buf, uint64_t n, const char *what)
{
	if (n > r->left || fread(buf, 1, (size_t)n, r->f) != n) {
		fsim_set_err(r->err, r->errlen, "%s: truncated in the %s", r->path, what);
		return false;
	}
	r->left -= n;
	return true;
}

static bool rd32(struct reader *r, uint32_t *v, const char *what)
{
	uint8_t b[4];
	if (!rd(r, b, 4, what))
		return false;
	const uint8_t *p = b;
	*v = get32(&p);
	return true;
}

/* Version 2's extension: erase counts, weak cells, note. */
static bool load_ext(struct reader *r, struct fsim_device *dev, char *note, size_t notelen)
{
	const struct fsim_layout *l = dev->layout;
	uint32_t nsec, nweak, nlen;
	if (!rd32(r, &nsec, "erase counts"))
		return false;
	if (nsec != l->nsectors) {
		fsim_set_err(r->err, r->errlen, "%s: %u erase counts for %u sectors", r->path, nsec,
			     l->nsectors);
		return false;
	}
	for (uint32_t i = 0; i < nsec; i++)
		if (!rd32(r, &dev->sec[i].erases, "erase counts"))
			return false;
	if (!rd32(r, &nweak, "weak cells"))
		return false;
	if (nweak > r->left / (WEAK_HDR + 1)) {
		fsim_set_err(r->err, r->errlen, "%s: %u weak ranges do not fit in the file", r->path,
			     nweak);
		return false;
	}
	for (uint32_t i = 0; i < nweak; i++) {
		uint32_t off, len, lo, hi;
		if (!rd32(r, &off, "weak cells") || !rd32(r, &len, "weak cells") ||
		    !rd32(r, &lo, "weak cells") || !rd32(r, &hi, "weak cells"))
			return false;
		uint32_t s = off < l->size ? fsim_sector_index(l, off) : 0;
		if (off >= l->size || len == 0 || len > l->start[s + 1] - off || len > r->left) {
			fsim_set_err(r->err, r->errlen, "%s: weak range %u (0x%x, %u bytes) is not "
				     "inside one sector", r->path, i, off, len);
			return false;
		}
		uint8_t *mask = malloc(len);
		if (!mask) {
			fsim_set_err(r->err, r->errlen, "out of memory");
			return false;
		}
		if (!rd(r, mask, len, "weak cells")) {
			free(mask);
			return false;
		}
		struct fsim_weak_range *v = realloc(dev->weak.v, (dev->weak.n + 1) * sizeof *v);
		if (!v) {
			free(mask);
			fsim_set_err(r->err, r->errlen, "out of memory");
			return false;
		}
		dev->weak.v = v;
		v[dev->weak.n++] = (struct fsim_weak_range){off, len, s, (uint64_t)hi << 32 | lo,
							    mask};
	}
	if (!rd32(r, &nlen, "note"))
		return false;
	if (nlen >= FSIM_NOTE_MAX) {
		fsim_set_err(r->err, r->errlen, "%s: note of %u bytes, at most %d", r->path, nlen,
			     FSIM_NOTE_MAX - 1);
		return false;
	}
	char buf[FSIM_NOTE_MAX];
	if (!rd(r, buf, nlen, "note"))
		return false;
	buf[nlen] = '\0';
	if (note && notelen)
		snprintf(note, notelen, "%s", buf);
	if (r->left) {
		fsim_set_err(r->err, r->errlen, "%s: %llu trailing bytes after the device state",
			     r->path, (unsigned long long)r->left);
		return false;
	}
	return true;
}

struct fsim_device *fsim_load_with_note(const char *path, char *note, size_t notelen, char *err,
					size_t errlen)
{
	if (note && notelen)
		note[0] = '\0';
	FILE *f = fopen(path, "rb");
	if (!f) {
		fsim_set_err(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		fsim_set_err(err, errlen, "%s: not a regular file", path);
		fclose(f);
		return NULL;
	}
	struct reader r = {path, f, (uint64_t)st.st_size, err, errlen};
	uint8_t hdr[HEADER_SIZE];
	struct fsim_device *dev = NULL;
	uint8_t *data = NULL;
	if (r.left < HEADER_SIZE || fread(hdr, 1, sizeof hdr, f) != sizeof hdr) {
		fsim_set_err(err, errlen, "%s: not a brownout device file (shorter than the %d-byte "
			     "header)", path, HEADER_SIZE);
		goto out;
	}
	r.left -= HEADER_SIZE;
	if (memcmp(hdr, MAGIC, 8)) {
		fsim_set_err(err, errlen, "%s: not a brownout device file (bad magic)", path);
		goto out;
	}
	const uint8_t *p = hdr + 8;
	uint32_t version = get32(&p);
	if (version > FSIM_FORMAT_VERSION) {
		fsim_set_err(err, errlen, "%s: device file format version %u is newer than this "
			     "brownout reads (1 to %u): use a newer brownout", path, version,
			     FSIM_FORMAT_VERSION);
		goto out;
	}
	if (version == 0) {
		fsim_set_err(err, errlen, "%s: device file format version 0 does not exist", path);
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
	/* Version 3 adds the read unit and each region's own values; older files migrate to
	 * read unit 1 and regions that take the device's values (what they meant). */
	if (version >= 3) {
		uint8_t regions[REGION_BLOCK_SIZE];
		if (!rd(&r, regions, sizeof regions, "region table"))
			goto out;
		if (!decode_regions(regions, &g)) {
			fsim_set_err(err, errlen, "%s: bad geometry: a region's erase value is not "
				     "0x000..0x0ff or 0x100..0x1ff", path);
			goto out;
		}
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
	/* The file must hold what the header promises before anything is allocated for it. */
	uint64_t need = size + (version >= 2 ? EXT_MIN(fsim_geometry_sectors(&g)) : 0);
	if (r.left < need) {
		fsim_set_err(err, errlen, "%s: truncated: the header promises %u bytes of flash "
			     "but the file holds %llu after the header", path, size,
			     (unsigned long long)r.left);
		goto out;
	}
	if (version == 1 && r.left > size) {
		fsim_set_err(err, errlen, "%s: trailing bytes after %u bytes of flash", path, size);
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
	if (!rd(&r, data, size, "flash content"))
		goto out;
	dev = fsim_create(&g, err, errlen);
	if (!dev)
		goto out;
	char perr[160];
	if (fsim_set_partitions(dev, parts, nparts, perr, sizeof perr) != FSIM_OK) {
		fsim_set_err(err, errlen, "%s: bad partition table: %s", path, perr);
		goto fail;
	}
	/* Store only sectors that are not erased, so a loaded image shares the memory profile
	 * of a fresh one. */
	for (uint32_t i = 0; i < dev->layout->nsectors; i++) {
		uint32_t s = dev->layout->start[i], n = dev->layout->start[i + 1] - s;
		uint8_t sev = fsim_sector_props(dev->layout, i)->erase_value;
		for (uint32_t k = 0; k < n; k++) {
			if (data[s + k] != sev) {
				fsim_store(dev, s, data + s, n);
				break;
			}
		}
	}
	if (version >= 2 && !load_ext(&r, dev, note, notelen))
		goto fail;
	goto out;
fail:
	fsim_destroy(dev);
	dev = NULL;
out:
	free(data);
	fclose(f);
	return dev;
}

struct fsim_device *fsim_load(const char *path, char *err, size_t errlen)
{
	return fsim_load_with_note(path, NULL, 0, err, errlen);
}
