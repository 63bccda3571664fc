/* flashsim internals shared by its source files. Not part of the API. */
#ifndef FLASHSIM_INTERNAL_H
#define FLASHSIM_INTERNAL_H

#include <stdatomic.h>

#include "flashsim/flashsim.h"

/* A sector's content. Shared copy-on-write between devices and snapshots; the reference
 * count is atomic because snapshots are restored by several sweep threads at once. A
 * buffer with refs == 1 is owned by exactly one device and may be written in place. */
struct fsim_buf {
	atomic_uint refs;
	uint8_t data[];
};

struct fsim_sector {
	struct fsim_buf *buf; /* NULL: erased (every byte is the erase value) */
	uint64_t hash;        /* this sector's share of the content hash; 0 when erased */
	bool hash_stale;      /* written since hash was computed (hashing is lazy) */
	uint32_t erases;
};

/* Geometry derived once and shared, read-only, by a device, its forks and snapshots. */
struct fsim_layout {
	atomic_uint refs;
	struct fsim_geometry geo;
	uint32_t size;
	uint32_t nsectors;
	uint32_t *start;  /* nsectors + 1 entries: start[i] is sector i's offset, start[n] = size */
	uint8_t *region;  /* region index of each sector */
	uint32_t uniform; /* the sector size when all sectors are equal, else 0 */
	struct fsim_props props[FSIM_MAX_REGIONS]; /* each region's resolved values */
	uint32_t rstart[FSIM_MAX_REGIONS + 1];     /* offset of each region; [count] = size */
	bool mixed;       /* regions program or erase differently (else props[0] is all) */
};

static inline const struct fsim_props *fsim_sector_props(const struct fsim_layout *l,
							 uint32_t sector)
{
	return &l->props[l->region[sector]];
}

/* Cells a metastable cut left weak: reads return random values in the mask's bits. */
struct fsim_weak_range {
	uint32_t off;
	uint32_t len;
	uint32_t sector;
	uint64_t seed;
	uint8_t *mask; /* len bytes: 1 bits are unstable */
};

/* Every weak range of a device, oldest first; grows as cuts add ranges. */
struct fsim_weak_set {
	struct fsim_weak_range *v;
	size_t n;
};

struct fsim_device {
	struct fsim_layout *layout;
	struct fsim_sector *sec;
	struct fsim_partition parts[FSIM_MAX_PARTITIONS];
	size_t nparts;

	uint64_t hash;        /* sum of the sector hashes, valid unless hash_stale */
	bool hash_stale;
	struct fsim_stats stats;
	struct fsim_violation viol[FSIM_VIOLATIONS_KEPT];
	size_t nviol;

	struct fsim_weak_set weak;
	uint64_t weak_reads; /* advances the metastable noise on every read */

	bool armed;
	struct fsim_cut cut;
	/* flash errors (fault.c) */
	bool fault_armed;
	struct fsim_fault fault;
	bool stuck;            /* a stuck bit: stuck_addr's stuck_mask bits never program */
	uint32_t stuck_addr;
	uint8_t stuck_mask;
	uint32_t bad_sector;   /* a sector that never erases, or UINT32_MAX */
	fsim_power_loss_fn on_loss;
	void *loss_ctx;
	fsim_trace_fn trace;
	void *trace_ctx;
};

/* device.c */
struct fsim_layout *fsim_layout_ref(struct fsim_layout *l);
void fsim_layout_unref(struct fsim_layout *l);
void fsim_buf_unref(struct fsim_buf *b);
uint32_t fsim_sector_index(const struct fsim_layout *l, uint32_t off);
struct fsim_device *fsim_device_alloc(struct fsim_layout *l);
/* A writable buffer for sector i: allocates an erased one or copies a shared one. */
uint8_t *fsim_sector_writable(struct fsim_device *dev, uint32_t i);
/* Stored bytes of [off, off+len) (no noise), any sectors. */
void fsim_copy_out(const struct fsim_device *dev, uint32_t off, uint8_t *out, uint32_t len);
/* Store bytes and keep the content hash current. The range may span sectors. */
void fsim_store(struct fsim_device *dev, uint32_t off, const uint8_t *src, uint32_t len);
/* Set sector i to erased (drops its buffer and hash, clears weak cells inside it). */
void fsim_store_erased(struct fsim_device *dev, uint32_t i);
void fsim_record_violation(struct fsim_device *dev, uint64_t op, enum fsim_violation_kind k,
			   uint32_t addr);
void fsim_weak_clear(struct fsim_weak_set *set);
/* dst := a deep copy of src (dst's old ranges are freed). */
void fsim_weak_copy(struct fsim_weak_set *dst, const struct fsim_weak_set *src);

uint64_t fsim_mix64(uint64_t x);
/* Bring the content hash up to date (sectors written since it was last computed). */
void fsim_refresh_hash(struct fsim_device *dev);

/* fault.c: the armed flash error or a lasting one (stuck bit, bad sector) on this op.
 * fsim_fault_program runs before the store: FSIM_ERR_FAULT means write nothing; after the
 * store fsim_fault_after_program re-applies a stuck bit and says whether the op failed. */
int fsim_fault_program(struct fsim_device *dev, uint64_t op, uint32_t off, const uint8_t *buf,
		       uint32_t len);
int fsim_fault_after_program(struct fsim_device *dev, uint32_t off, const uint8_t *buf,
			     uint32_t len);
int fsim_fault_erase(struct fsim_device *dev, uint64_t op, uint32_t sector);

/* cut.c: apply the armed cut to the op being issued, then call the handler. Never returns. */
_Noreturn void fsim_fire_program_cut(struct fsim_device *dev, uint32_t off, const uint8_t *data,
				     uint32_t len);
_Noreturn void fsim_fire_erase_cut(struct fsim_device *dev, uint32_t sector);
/* A cut on an op that would have been refused: power is lost before it, so it has no
 * effect whatever the mode, and no violation is recorded. */
_Noreturn void fsim_fire_refused_cut(struct fsim_device *dev, enum fsim_op_kind kind,
				     uint32_t off, uint32_t len);
/* Noise over a read of [off, off+len) into buf from weak cells. */
void fsim_weak_apply(struct fsim_device *dev, uint32_t off, uint8_t *buf, uint32_t len);
void fsim_weak_drop_sector(struct fsim_device *dev, uint32_t sector);

/* ops.c */
/* Simulated time to program [off, off+len), each region at its own rate. */
uint64_t fsim_program_time_ns(const struct fsim_layout *l, uint32_t off, uint32_t len);
/* The smallest write unit among the regions [off, off+len) touches (it divides the rest). */
uint32_t fsim_min_write_unit(const struct fsim_layout *l, uint32_t off, uint32_t len);
/* The region holding off (off < size). */
uint32_t fsim_region_of(const struct fsim_layout *l, uint32_t off);
void fsim_emit_trace(struct fsim_device *dev, enum fsim_op_kind kind, uint64_t op, uint32_t off,
		     uint32_t len, int result, bool cut, const void *data);

void fsim_set_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
