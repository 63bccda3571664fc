/* Device life cycle, partitions, sector storage, content hash and accounting. */
#include <stdlib.h>
#include <string.h>

#include "flashsim/internal.h"

/* ---- Content hash --------------------------------------------------------------------
 * The hash is a sum over 8-byte words of H(word offset, word) - H(word offset, erased word),
 * so an erased sector contributes 0. It is lazy: a write marks its sector stale and the
 * sector is re-hashed only when somebody asks for the hash (sweeps ask once per cut point,
 * while the workload writes thousands of times). A sector's last word is padded with the
 * erase value when its size is not a multiple of 8. */

uint64_t fsim_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static uint64_t word_hash(uint32_t off, uint64_t w)
{
	return fsim_mix64(w ^ (off * 0xd6e8feb86659fd93ull));
}

static uint64_t erased_word(uint8_t ev)
{
	return ev ? ~0ull : 0ull;
}

/* Hash contribution of the 8-byte word at device offset woff, relative to erased (ev). */
static uint64_t word_delta(uint8_t ev, uint32_t woff, const uint8_t *bytes, uint32_t n)
{
	uint64_t w = erased_word(ev);
	memcpy(&w, bytes, n); /* bytes beyond n keep the erase value */
	if (w == erased_word(ev))
		return 0;
	return word_hash(woff, w) - word_hash(woff, erased_word(ev));
}

/* ---- Layout ------------------------------------------------------------------------ */

struct fsim_layout *fsim_layout_ref(struct fsim_layout *l)
{
	atomic_fetch_add(&l->refs, 1);
	return l;
}

void fsim_layout_unref(struct fsim_layout *l)
{
	if (l && atomic_fetch_sub(&l->refs, 1) == 1) {
		free(l->start);
		free(l->region);
		free(l);
	}
}

static struct fsim_layout *layout_new(const struct fsim_geometry *g)
{
	struct fsim_layout *l = calloc(1, sizeof *l);
	if (!l)
		return NULL;
	atomic_init(&l->refs, 1);
	l->geo = *g;
	if (!l->geo.program_chunk)
		l->geo.program_chunk = g->write_unit;
	if (!l->geo.read_unit)
		l->geo.read_unit = 1;
	l->size = fsim_geometry_size(g);
	l->nsectors = fsim_geometry_sectors(g);
	l->start = malloc((l->nsectors + 1) * sizeof *l->start);
	l->region = malloc(l->nsectors);
	if (!l->start || !l->region) {
		fsim_layout_unref(l);
		return NULL;
	}
	uint32_t s = 0, off = 0;
	for (uint32_t r = 0; r < g->region_count; r++) {
		for (uint32_t k = 0; k < g->regions[r].count; k++, s++) {
			l->start[s] = off;
			l->region[s] = (uint8_t)r;
			off += g->regions[r].sector_size;
		}
	}
	l->start[s] = off;
	l->uniform = g->region_count == 1 ? g->regions[0].sector_size : 0;
	/* Each region's own values, resolved once: the hot paths read props[region]. */
	uint32_t roff = 0;
	for (uint32_t r = 0; r < g->region_count; r++) {
		fsim_region_props(&l->geo, r, &l->props[r]);
		const struct fsim_props *a = &l->props[r], *b = &l->props[0];
		if (a->write_unit != b->write_unit || a->erase_value != b->erase_value ||
		    a->program_ns != b->program_ns || a->program_chunk != b->program_chunk)
			l->mixed = true;
		l->rstart[r] = roff;
		roff += g->regions[r].count * g->regions[r].sector_size;
	}
	l->rstart[g->region_count] = roff;
	return l;
}

uint32_t fsim_sector_index(const struct fsim_layout *l, uint32_t off)
{
	if (l->uniform)
		return off / l->uniform;
	/* Largest i with start[i] <= off; off < size is the caller's job. */
	uint32_t lo = 0, hi = l->nsectors;
	while (hi - lo > 1) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (l->start[mid] <= off)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}

/* ---- Buffers ----------------------------------------------------------------------- */

void fsim_buf_unref(struct fsim_buf *b)
{
	if (b && atomic_fetch_sub(&b->refs, 1) == 1)
		free(b);
}

static uint32_t sector_size(const struct fsim_layout *l, uint32_t i)
{
	return l->start[i + 1] - l->start[i];
}

uint8_t *fsim_sector_writable(struct fsim_device *dev, uint32_t i)
{
	const struct fsim_layout *l = dev->layout;
	struct fsim_sector *s = &dev->sec[i];
	uint32_t size = sector_size(l, i);
	if (s->buf && atomic_load(&s->buf->refs) == 1)
		return s->buf->data;
	struct fsim_buf *b = malloc(sizeof *b + size);
	if (!b)
		abort(); /* out of memory in a simulator: nothing sensible to continue with */
	atomic_init(&b->refs, 1);
	if (s->buf) {
		memcpy(b->data, s->buf->data, size);
		fsim_buf_unref(s->buf);
	} else {
		memset(b->data, fsim_sector_props(l, i)->erase_value, size);
	}
	s->buf = b;
	return b->data;
}

void fsim_copy_out(const struct fsim_device *dev, uint32_t off, uint8_t *out, uint32_t len)
{
	const struct fsim_layout *l = dev->layout;
	while (len) {
		uint32_t i = fsim_sector_index(l, off);
		uint32_t in = off - l->start[i];
		uint32_t n = sector_size(l, i) - in;
		if (n > len)
			n = len;
		if (dev->sec[i].buf)
			memcpy(out, dev->sec[i].buf->data + in, n);
		else
			memset(out, fsim_sector_props(l, i)->erase_value, n);
		out += n;
		off += n;
		len -= n;
	}
}

/* Store bytes inside one sector; its hash goes stale. */
static void store_in_sector(struct fsim_device *dev, uint32_t i, uint32_t in, const uint8_t *src,
			    uint32_t n)
{
	uint8_t *data = fsim_sector_writable(dev, i);
	memcpy(data + in, src, n);
	dev->sec[i].hash_stale = true;
	dev->hash_stale = true;
}

static uint64_t sector_hash(const struct fsim_device *dev, uint32_t i)
{
	const struct fsim_layout *l = dev->layout;
	const struct fsim_sector *s = &dev->sec[i];
	if (!s->buf)
		return 0;
	uint32_t size = sector_size(l, i);
	uint8_t ev = fsim_sector_props(l, i)->erase_value;
	uint64_t h = 0;
	for (uint32_t w = 0; w < size; w += 8)
		h += word_delta(ev, l->start[i] + w, s->buf->data + w, size - w < 8 ? size - w : 8);
	return h;
}

void fsim_refresh_hash(struct fsim_device *dev)
{
	if (!dev->hash_stale)
		return;
	uint64_t total = 0;
	for (uint32_t i = 0; i < dev->layout->nsectors; i++) {
		struct fsim_sector *s = &dev->sec[i];
		if (s->hash_stale) {
			s->hash = sector_hash(dev, i);
			s->hash_stale = false;
		}
		total += s->hash;
	}
	dev->hash = total;
	dev->hash_stale = false;
}

void fsim_store(struct fsim_device *dev, uint32_t off, const uint8_t *src, uint32_t len)
{
	const struct fsim_layout *l = dev->layout;
	while (len) {
		uint32_t i = fsim_sector_index(l, off);
		uint32_t in = off - l->start[i];
		uint32_t n = sector_size(l, i) - in;
		if (n > len)
			n = len;
		store_in_sector(dev, i, in, src, n);
		src += n;
		off += n;
		len -= n;
	}
}

void fsim_store_erased(struct fsim_device *dev, uint32_t i)
{
	struct fsim_sector *s = &dev->sec[i];
	fsim_buf_unref(s->buf);
	s->buf = NULL;
	s->hash = 0;
	s->hash_stale = false;
	dev->hash_stale = true;
	fsim_weak_drop_sector(dev, i);
}

/* ---- Device ------------------------------------------------------------------------ */

struct fsim_device *fsim_device_alloc(struct fsim_layout *l)
{
	struct fsim_device *dev = calloc(1, sizeof *dev);
	if (!dev)
		return NULL;
	dev->sec = calloc(l->nsectors, sizeof *dev->sec);
	if (!dev->sec) {
		free(dev);
		return NULL;
	}
	dev->layout = fsim_layout_ref(l);
	dev->bad_sector = UINT32_MAX;
	return dev;
}

struct fsim_device *fsim_create(const struct fsim_geometry *g, char *err, size_t errlen)
{
	if (fsim_geometry_check(g, err, errlen) != FSIM_OK)
		return NULL;
	struct fsim_layout *l = layout_new(g);
	if (!l) {
		fsim_set_err(err, errlen, "out of memory");
		return NULL;
	}
	struct fsim_device *dev = fsim_device_alloc(l);
	fsim_layout_unref(l);
	if (!dev)
		fsim_set_err(err, errlen, "out of memory");
	return dev;
}

void fsim_destroy(struct fsim_device *dev)
{
	if (!dev)
		return;
	for (uint32_t i = 0; i < dev->layout->nsectors; i++)
		fsim_buf_unref(dev->sec[i].buf);
	fsim_weak_clear(&dev->weak);
	free(dev->sec);
	fsim_layout_unref(dev->layout);
	free(dev);
}

const struct fsim_geometry *fsim_geometry(const struct fsim_device *dev)
{
	return &dev->layout->geo;
}

uint32_t fsim_size(const struct fsim_device *dev)
{
	return dev->layout->size;
}

uint32_t fsim_sector_count(const struct fsim_device *dev)
{
	return dev->layout->nsectors;
}

int fsim_sector_of(const struct fsim_device *dev, uint32_t off, uint32_t *index, uint32_t *start,
		   uint32_t *size)
{
	const struct fsim_layout *l = dev->layout;
	if (off >= l->size)
		return FSIM_ERR_INVALID;
	uint32_t i = fsim_sector_index(l, off);
	if (index)
		*index = i;
	if (start)
		*start = l->start[i];
	if (size)
		*size = sector_size(l, i);
	return FSIM_OK;
}

uint32_t fsim_region_of(const struct fsim_layout *l, uint32_t off)
{
	if (!l->mixed || off >= l->size)
		return off >= l->size ? l->geo.region_count - 1 : 0;
	return l->region[fsim_sector_index(l, off)];
}

uint32_t fsim_write_unit_at(const struct fsim_device *dev, uint32_t off)
{
	return dev->layout->props[fsim_region_of(dev->layout, off)].write_unit;
}

uint8_t fsim_erase_value_at(const struct fsim_device *dev, uint32_t off)
{
	return dev->layout->props[fsim_region_of(dev->layout, off)].erase_value;
}

bool fsim_uniform_props(const struct fsim_device *dev)
{
	return !dev->layout->mixed;
}

/* ---- Partitions -------------------------------------------------------------------- */

static bool on_sector_boundary(const struct fsim_layout *l, uint32_t off)
{
	if (off == l->size)
		return true;
	return off < l->size && l->start[fsim_sector_index(l, off)] == off;
}

int fsim_set_partitions(struct fsim_device *dev, const struct fsim_partition *parts, size_t n,
			char *err, size_t errlen)
{
	const struct fsim_layout *l = dev->layout;
	if (n > FSIM_MAX_PARTITIONS) {
		fsim_set_err(err, errlen, "%zu partitions, at most %d", n, FSIM_MAX_PARTITIONS);
		return FSIM_ERR_INVALID;
	}
	for (size_t i = 0; i < n; i++) {
		const struct fsim_partition *p = &parts[i];
		size_t namelen = strnlen(p->name, FSIM_PART_NAME_MAX);
		if (namelen == 0 || namelen == FSIM_PART_NAME_MAX) {
			fsim_set_err(err, errlen, "partition %zu: name empty or longer than %d chars", i,
				     FSIM_PART_NAME_MAX - 1);
			return FSIM_ERR_INVALID;
		}
		if (p->size == 0) {
			fsim_set_err(err, errlen, "partition '%s' has size 0", p->name);
			return FSIM_ERR_INVALID;
		}
		if (p->off >= l->size || p->size > l->size - p->off) {
			fsim_set_err(err, errlen,
				     "partition '%s' [0x%x, +0x%x) is outside the %u-byte device",
				     p->name, p->off, p->size, l->size);
			return FSIM_ERR_INVALID;
		}
		if (!on_sector_boundary(l, p->off) || !on_sector_boundary(l, p->off + p->size)) {
			fsim_set_err(err, errlen,
				     "partition '%s' [0x%x, +0x%x) does not start and end on sector "
				     "boundaries",
				     p->name, p->off, p->size);
			return FSIM_ERR_INVALID;
		}
		for (size_t j = 0; j < i; j++) {
			const struct fsim_partition *q = &parts[j];
			if (!strncmp(p->name, q->name, FSIM_PART_NAME_MAX)) {
				fsim_set_err(err, errlen, "partition name '%s' is used twice", p->name);
				return FSIM_ERR_INVALID;
			}
			if (p->off < q->off + q->size && q->off < p->off + p->size) {
				fsim_set_err(err, errlen, "partitions '%s' and '%s' overlap", q->name,
					     p->name);
				return FSIM_ERR_INVALID;
			}
		}
	}
	memcpy(dev->parts, parts, n * sizeof *parts);
	dev->nparts = n;
	return FSIM_OK;
}

size_t fsim_partition_count(const struct fsim_device *dev)
{
	return dev->nparts;
}

const struct fsim_partition *fsim_partition_at(const struct fsim_device *dev, size_t i)
{
	return i < dev->nparts ? &dev->parts[i] : NULL;
}

const struct fsim_partition *fsim_partition_find(const struct fsim_device *dev, const char *name)
{
	for (size_t i = 0; i < dev->nparts; i++)
		if (!strncmp(dev->parts[i].name, name, FSIM_PART_NAME_MAX))
			return &dev->parts[i];
	return NULL;
}

/* ---- Accounting -------------------------------------------------------------------- */

void fsim_record_violation(struct fsim_device *dev, uint64_t op, enum fsim_violation_kind k,
			   uint32_t addr)
{
	if (dev->nviol < FSIM_VIOLATIONS_KEPT)
		dev->viol[dev->nviol] = (struct fsim_violation){op, k, addr};
	dev->nviol++;
}

size_t fsim_violation_count(const struct fsim_device *dev)
{
	return dev->nviol;
}

const struct fsim_violation *fsim_violation_at(const struct fsim_device *dev, size_t i)
{
	return i < dev->nviol && i < FSIM_VIOLATIONS_KEPT ? &dev->viol[i] : NULL;
}

const char *fsim_violation_name(enum fsim_violation_kind k)
{
	switch (k) {
	case FSIM_V_NOT_ERASED:
		return "program of a non-erased unit";
	case FSIM_V_UNALIGNED:
		return "unaligned";
	case FSIM_V_OUT_OF_RANGE:
		return "out of range";
	case FSIM_V_WRITE_PROTECTED:
		return "write-protected";
	}
	return "unknown";
}

void fsim_get_stats(const struct fsim_device *dev, struct fsim_stats *out)
{
	*out = dev->stats;
	out->max_sector_erases = 0;
	for (uint32_t i = 0; i < dev->layout->nsectors; i++)
		if (dev->sec[i].erases > out->max_sector_erases)
			out->max_sector_erases = dev->sec[i].erases;
}

uint32_t fsim_sector_erases(const struct fsim_device *dev, uint32_t sector_index)
{
	return sector_index < dev->layout->nsectors ? dev->sec[sector_index].erases : 0;
}

void fsim_reset_stats(struct fsim_device *dev)
{
	memset(&dev->stats, 0, sizeof dev->stats);
	for (uint32_t i = 0; i < dev->layout->nsectors; i++)
		dev->sec[i].erases = 0;
	dev->nviol = 0;
}

uint64_t fsim_content_hash(const struct fsim_device *dev)
{
	/* Logically const: only the cached hash is brought up to date. A device belongs to
	 * one thread, so this is not a data race. */
	fsim_refresh_hash((struct fsim_device *)dev);
	return dev->hash;
}

uint32_t fsim_allocated_sectors(const struct fsim_device *dev)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < dev->layout->nsectors; i++)
		n += dev->sec[i].buf != NULL;
	return n;
}

uint32_t fsim_shared_sectors(const struct fsim_device *dev)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < dev->layout->nsectors; i++)
		n += dev->sec[i].buf && atomic_load(&dev->sec[i].buf->refs) > 1;
	return n;
}
