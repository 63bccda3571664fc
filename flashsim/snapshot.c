/* Copy-on-write snapshots and forks: O(sectors), sharing sector buffers. */
#include <stdlib.h>
#include <string.h>

#include "flashsim/internal.h"

struct fsim_snapshot {
	struct fsim_layout *layout;
	struct fsim_sector *sec;
	struct fsim_partition parts[FSIM_MAX_PARTITIONS];
	size_t nparts;
	uint64_t hash;
	struct fsim_stats stats;
	struct fsim_violation viol[FSIM_VIOLATIONS_KEPT];
	size_t nviol;
	struct fsim_weak_set weak;
	uint64_t weak_reads;
};

static void share_sectors(struct fsim_sector *dst, const struct fsim_sector *src, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++) {
		dst[i] = src[i];
		if (dst[i].buf)
			atomic_fetch_add(&dst[i].buf->refs, 1);
	}
}

struct fsim_snapshot *fsim_snapshot_take(const struct fsim_device *dev)
{
	/* Snapshots are shared between threads and never written: hash them up to date now. */
	fsim_refresh_hash((struct fsim_device *)dev);
	struct fsim_snapshot *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	uint32_t n = dev->layout->nsectors;
	s->sec = malloc(n * sizeof *s->sec);
	if (!s->sec) {
		free(s);
		return NULL;
	}
	s->layout = fsim_layout_ref(dev->layout);
	share_sectors(s->sec, dev->sec, n);
	memcpy(s->parts, dev->parts, sizeof s->parts);
	s->nparts = dev->nparts;
	s->hash = dev->hash;
	s->stats = dev->stats;
	memcpy(s->viol, dev->viol, sizeof s->viol);
	s->nviol = dev->nviol;
	fsim_weak_copy(&s->weak, &dev->weak);
	s->weak_reads = dev->weak_reads;
	return s;
}

void fsim_snapshot_free(struct fsim_snapshot *s)
{
	if (!s)
		return;
	for (uint32_t i = 0; i < s->layout->nsectors; i++)
		fsim_buf_unref(s->sec[i].buf);
	fsim_weak_clear(&s->weak);
	free(s->sec);
	fsim_layout_unref(s->layout);
	free(s);
}

uint64_t fsim_snapshot_hash(const struct fsim_snapshot *s)
{
	return s->hash;
}

uint64_t fsim_snapshot_op_index(const struct fsim_snapshot *s)
{
	return s->stats.mutating_ops;
}

static bool same_props(const struct fsim_props *a, const struct fsim_props *b)
{
	return a->write_unit == b->write_unit && a->erase_value == b->erase_value &&
	       a->program_ns == b->program_ns && a->program_chunk == b->program_chunk;
}

static bool same_geometry(const struct fsim_layout *a, const struct fsim_layout *b)
{
	if (a == b)
		return true;
	if (a->size != b->size || a->nsectors != b->nsectors ||
	    memcmp(a->start, b->start, (a->nsectors + 1) * sizeof *a->start))
		return false;
	for (uint32_t i = 0; i < a->nsectors; i++)
		if (!same_props(fsim_sector_props(a, i), fsim_sector_props(b, i)))
			return false;
	return true;
}

int fsim_snapshot_restore(struct fsim_device *dev, const struct fsim_snapshot *s)
{
	if (!same_geometry(dev->layout, s->layout))
		return FSIM_ERR_INVALID;
	uint32_t n = dev->layout->nsectors;
	for (uint32_t i = 0; i < n; i++) {
		struct fsim_buf *old = dev->sec[i].buf;
		dev->sec[i] = s->sec[i];
		if (dev->sec[i].buf)
			atomic_fetch_add(&dev->sec[i].buf->refs, 1);
		fsim_buf_unref(old);
	}
	memcpy(dev->parts, s->parts, sizeof dev->parts);
	dev->nparts = s->nparts;
	dev->hash = s->hash;
	dev->hash_stale = false;
	dev->stats = s->stats;
	memcpy(dev->viol, s->viol, sizeof dev->viol);
	dev->nviol = s->nviol;
	fsim_weak_copy(&dev->weak, &s->weak);
	dev->weak_reads = s->weak_reads;
	return FSIM_OK;
}

struct fsim_device *fsim_from_snapshot(const struct fsim_snapshot *s)
{
	struct fsim_device *dev = fsim_device_alloc(s->layout);
	if (dev && fsim_snapshot_restore(dev, s) != FSIM_OK) {
		fsim_destroy(dev);
		return NULL;
	}
	return dev;
}

struct fsim_device *fsim_fork(const struct fsim_device *dev)
{
	struct fsim_device *f = fsim_device_alloc(dev->layout);
	if (!f)
		return NULL;
	share_sectors(f->sec, dev->sec, dev->layout->nsectors);
	memcpy(f->parts, dev->parts, sizeof f->parts);
	f->nparts = dev->nparts;
	fsim_refresh_hash((struct fsim_device *)dev);
	f->hash = dev->hash;
	f->stats = dev->stats;
	memcpy(f->viol, dev->viol, sizeof f->viol);
	f->nviol = dev->nviol;
	fsim_weak_copy(&f->weak, &dev->weak);
	f->weak_reads = dev->weak_reads;
	return f;
}
