/*
 * flashsim: a simulated NOR flash device that can lose power at any program or erase.
 *
 * A library that depends on libc only. One struct fsim_device is one flash chip; a process
 * may hold thousands of them, and forks of one device share their sector buffers
 * copy-on-write (buffers are reference-counted with atomics, so snapshots may be shared
 * between threads; a device itself belongs to one thread at a time).
 *
 * Conventions
 * - Offsets are device offsets in bytes. Functions return 0 (FSIM_OK) or a negative
 *   enum fsim_error.
 * - Mutating operations (program, erase) are numbered from 0 in the order they are
 *   issued, over the device's lifetime: fsim_stats.mutating_ops is the index the next one
 *   will get. A violating operation (refused) also takes an index, because the code under
 *   test issued it. Reads are counted but never numbered as cut points.
 * - Power cuts: fsim_arm_cut() arms a cut at mutating op n. When op n is issued, flashsim
 *   applies the cut (nothing for FSIM_CUT_BETWEEN, a partial effect for FSIM_CUT_TORN),
 *   disarms, and calls the power-loss handler, which must not return (it longjmps to the
 *   owner's power-on path). If no handler is registered, flashsim abort()s: a cut with
 *   nobody to catch it is a harness bug, not something to continue past. A cut landing on
 *   an op that breaks a NOR rule fires before it, whatever the mode: the op has no effect
 *   and records no violation.
 */
#ifndef FLASHSIM_H
#define FLASHSIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum fsim_error {
	FSIM_OK = 0,
	FSIM_ERR_VIOLATION = -1, /* the operation broke a NOR rule; recorded as a violation */
	FSIM_ERR_INVALID = -2,   /* bad argument to flashsim itself (geometry, table, file) */
	FSIM_ERR_NOMEM = -3,
	FSIM_ERR_IO = -4,
	FSIM_ERR_FAULT = -5,     /* an injected flash error (fsim_arm_fault): the op failed */
};

/* ---- Geometry ---------------------------------------------------------------------- */

#define FSIM_MAX_REGIONS 8

/* A run of equal sectors. Mixed-size devices (stm32f4) have several regions. A run may
 * also program and erase differently from the rest of the device: several flash parts laid
 * end to end in one device (an internal flash and an external SPI NOR, which then share one
 * power supply, snapshot and hash) keep each part's own values. 0 (false for the erase
 * value) means the device's value (struct fsim_geometry). */
struct fsim_region {
	uint32_t count;         /* sectors in this run */
	uint32_t sector_size;   /* bytes, a multiple of this run's write unit */
	uint32_t erase_us;      /* simulated time to erase one sector of this run */
	uint32_t write_unit;    /* this run's program granularity (a power of two), 0: device's */
	uint32_t program_ns;    /* this run's time per program chunk, 0: the device's */
	uint32_t program_chunk; /* this run's bytes per program_ns, a multiple of its write unit;
				   0: the device's rounded up to one */
	bool own_erase_value;   /* erase_value below is this run's (else the device's) */
	uint8_t erase_value;    /* 0xff or 0x00 */
};

struct fsim_geometry {
	struct fsim_region regions[FSIM_MAX_REGIONS];
	uint32_t region_count;
	uint32_t write_unit;    /* program granularity, a power of two (1, 2, 4, ... bytes) */
	uint32_t read_unit;     /* read granularity, a power of two dividing every sector; 0
				   means 1. Described, checked and saved; reads are not yet
				   refused for it */
	uint8_t erase_value;    /* 0xff or 0x00 */
	uint32_t program_ns;    /* simulated time to program one program_chunk */
	uint32_t program_chunk; /* bytes per program_ns; write_unit unless the part programs
				   whole pages (SPI NOR: 256) */
	uint32_t endurance;     /* erase cycles per sector the datasheet guarantees */
};

/* The values a region programs and erases with: its own, else the device's. */
struct fsim_props {
	uint32_t write_unit;
	uint32_t program_ns;
	uint32_t program_chunk;
	uint8_t erase_value;
};
void fsim_region_props(const struct fsim_geometry *g, uint32_t region, struct fsim_props *out);

/* Check a geometry; on error write a sentence naming the problem into err. */
int fsim_geometry_check(const struct fsim_geometry *g, char *err, size_t errlen);
uint32_t fsim_geometry_size(const struct fsim_geometry *g);
uint32_t fsim_geometry_sectors(const struct fsim_geometry *g);

/* The presets of docs/reference/flash.md: nrf52840, stm32f4, stm32l4, stm32h7, k64f,
 * spi-nor. Returns FSIM_ERR_INVALID for an unknown name. */
int fsim_preset(const char *name, struct fsim_geometry *out);
/* Preset names, NULL-terminated. */
const char *const *fsim_preset_names(void);

/* ---- Partitions -------------------------------------------------------------------- */

#define FSIM_PART_NAME_MAX 16
#define FSIM_MAX_PARTITIONS 16

struct fsim_partition {
	char name[FSIM_PART_NAME_MAX]; /* NUL-terminated */
	uint32_t off;
	uint32_t size;
	bool write_protected; /* program and erase inside it are violations (the boot partition) */
};

/* ---- Device ------------------------------------------------------------------------ */

struct fsim_device;

struct fsim_device *fsim_create(const struct fsim_geometry *g, char *err, size_t errlen);
void fsim_destroy(struct fsim_device *dev);
const struct fsim_geometry *fsim_geometry(const struct fsim_device *dev);
uint32_t fsim_size(const struct fsim_device *dev);

/* Install a partition table: names unique, sector-aligned, inside the device, no overlap.
 * Replaces any previous table. On error nothing changes and err names the problem. */
int fsim_set_partitions(struct fsim_device *dev, const struct fsim_partition *parts, size_t n,
			char *err, size_t errlen);
size_t fsim_partition_count(const struct fsim_device *dev);
const struct fsim_partition *fsim_partition_at(const struct fsim_device *dev, size_t i);
const struct fsim_partition *fsim_partition_find(const struct fsim_device *dev, const char *name);

/* Sector geometry lookups. */
uint32_t fsim_sector_count(const struct fsim_device *dev);
int fsim_sector_of(const struct fsim_device *dev, uint32_t off, uint32_t *index, uint32_t *start,
		   uint32_t *size);
/* The write unit and erase value of the region holding off (the device's when no region
 * has its own; off past the end: the last region's). Code that reads bytes of a device
 * whose regions may differ asks these rather than fsim_geometry(). */
uint32_t fsim_write_unit_at(const struct fsim_device *dev, uint32_t off);
uint8_t fsim_erase_value_at(const struct fsim_device *dev, uint32_t off);
/* Do all regions program and erase alike (no region has values of its own that differ)? */
bool fsim_uniform_props(const struct fsim_device *dev);

/* ---- Operations -------------------------------------------------------------------- */

int fsim_read(struct fsim_device *dev, uint32_t off, void *buf, uint32_t len);
int fsim_program(struct fsim_device *dev, uint32_t off, const void *buf, uint32_t len);
/* Erase whole sectors: off must be a sector start and off + len a sector end. Each sector
 * erased is one mutating operation (one cut point), as on hardware where a multi-sector
 * erase is a sequence of sector erases. */
int fsim_erase(struct fsim_device *dev, uint32_t off, uint32_t len);

/* Harness-side writes that are not device operations: set bytes as a programmer (SWD)
 * would, bypassing NOR rules, counters, cuts and the trace. Used to lay out the initial
 * flash of a test. fsim_fill_erased erases without wear accounting. */
int fsim_load_bytes(struct fsim_device *dev, uint32_t off, const void *buf, uint32_t len);
/* Read the stored bytes without metastable noise and without counting a read. */
int fsim_peek(const struct fsim_device *dev, uint32_t off, void *buf, uint32_t len);

/* ---- Violations -------------------------------------------------------------------- */

enum fsim_violation_kind {
	FSIM_V_NOT_ERASED = 1,  /* program of a write unit that is not fully erased */
	FSIM_V_UNALIGNED,       /* program offset or length not a multiple of the write unit
				   (of each region it touches, from the region's start), or
				   erase not on sector boundaries */
	FSIM_V_OUT_OF_RANGE,
	FSIM_V_WRITE_PROTECTED, /* program or erase touching a write-protected partition */
};

struct fsim_violation {
	uint64_t op_index; /* the mutating op index that violated */
	enum fsim_violation_kind kind;
	uint32_t addr;     /* first offending address */
};

#define FSIM_VIOLATIONS_KEPT 32

size_t fsim_violation_count(const struct fsim_device *dev); /* total ever recorded */
/* The i-th of the first FSIM_VIOLATIONS_KEPT violations, NULL beyond. */
const struct fsim_violation *fsim_violation_at(const struct fsim_device *dev, size_t i);
const char *fsim_violation_name(enum fsim_violation_kind k);

/* ---- Power cuts -------------------------------------------------------------------- */

enum fsim_cut_mode {
	FSIM_CUT_BETWEEN = 0, /* op n has no effect: power lost just before it */
	FSIM_CUT_TORN,        /* op n partly applied, see the variants */
};

/* Torn variants. Which bytes and bits are affected is chosen by the cut's seed. */
enum fsim_torn_program {
	FSIM_TORN_PROG_PREFIX = 0,   /* the first k write units programmed, the rest not (k < n) */
	FSIM_TORN_PROG_SOME_BITS,    /* units before one unit done; that unit gets a random
					strict subset of its bit changes; later units untouched */
	FSIM_TORN_PROG_ALL_BUT_ONE,  /* every bit done except one */
	FSIM_TORN_PROG_VARIANTS
};
enum fsim_torn_erase {
	FSIM_TORN_ERASE_PREPROGRAM = 0, /* cut in the pre-program phase: some cells moved to the
					   programmed state (for 0xff flash: some ones became
					   zeros); nothing erased yet */
	FSIM_TORN_ERASE_PULSES,         /* cut during erase pulses: each bit either erased or
					   still its old value */
	FSIM_TORN_ERASE_VARIANTS
};

struct fsim_cut {
	uint64_t op_index;   /* the mutating op to cut at */
	enum fsim_cut_mode mode;
	uint32_t variant;    /* torn only: enum fsim_torn_program or enum fsim_torn_erase; taken
				modulo the variant count of the op's kind */
	uint64_t seed;       /* torn only: picks k, bits; metastable: read noise */
	bool metastable;     /* cells the cut op touched read unstably until their sector is
				erased (torn cuts only; a between cut touches nothing) */
};

/* The cut has fired or never will: fsim_disarm_cut(). Arming replaces an earlier cut. */
void fsim_arm_cut(struct fsim_device *dev, const struct fsim_cut *cut);
void fsim_disarm_cut(struct fsim_device *dev);
bool fsim_cut_armed(const struct fsim_device *dev);

/* Called when a cut fires, after its effect is applied. Must not return. */
typedef void (*fsim_power_loss_fn)(void *ctx);
void fsim_set_power_loss_handler(struct fsim_device *dev, fsim_power_loss_fn fn, void *ctx);

/* Number of torn variants an op of this kind offers (program or erase). */
uint32_t fsim_torn_variants(bool is_erase);

/* ---- Flash errors (not power loss) ------------------------------------------------- */

/*
 * The n-th mutating operation fails and the caller sees the error return (FSIM_ERR_FAULT):
 * what a driver reports when a program or erase does not verify. Unlike a cut, nothing
 * jumps: the code under test goes on and must cope.
 */
enum fsim_fault_kind {
	FSIM_FAULT_PROGRAM_ERROR = 0, /* a program: nothing written */
	FSIM_FAULT_ERASE_ERROR,       /* an erase: nothing erased */
	FSIM_FAULT_STUCK_BIT,         /* a program: one bit it should program (chosen by the seed)
					 stays at the erase value for good; every program that
					 should change that bit fails the same way */
	FSIM_FAULT_BAD_SECTOR,        /* an erase: the sector does not erase, now or ever after;
					 every erase of it fails, its content unchanged */
	FSIM_FAULT_KINDS
};

struct fsim_fault {
	uint64_t op_index;
	enum fsim_fault_kind kind;
	uint64_t seed;
};

/* Arm a fault (replacing an earlier one); it fires on op op_index when that op is of the
 * kind's sort (program or erase), else never. Stuck bits and bad sectors then stay until
 * fsim_clear_faults (snapshots do not carry them). */
void fsim_arm_fault(struct fsim_device *dev, const struct fsim_fault *f);
void fsim_clear_faults(struct fsim_device *dev);
/* Does a fault of this kind apply to a program (false) or an erase (true)? */
bool fsim_fault_is_erase(enum fsim_fault_kind k);
const char *fsim_fault_name(enum fsim_fault_kind k);

/* ---- Accounting ---------------------------------------------------------------------- */

struct fsim_stats {
	uint64_t mutating_ops;     /* programs + erases issued (index of the next one) */
	uint64_t program_ops;
	uint64_t erase_ops;        /* sector erases, torn ones included */
	uint64_t read_ops;
	uint64_t bytes_programmed;
	uint64_t bytes_read;
	uint64_t busy_ns;          /* simulated time spent programming and erasing */
	uint32_t max_sector_erases;
};

void fsim_get_stats(const struct fsim_device *dev, struct fsim_stats *out);
uint32_t fsim_sector_erases(const struct fsim_device *dev, uint32_t sector_index);
/* Forget wear, op counts and violations (not the content): the start of a measurement. */
void fsim_reset_stats(struct fsim_device *dev);

/* Content hash of the whole device, kept up to date incrementally: O(1) to read. Two
 * devices with the same geometry and the same bytes have the same hash. 64 bits, so two
 * different states collide with probability about 2^-64. */
uint64_t fsim_content_hash(const struct fsim_device *dev);

/* Bits of sector that a metastable cut left weak (they read randomly until it is erased). */
uint32_t fsim_weak_cells(const struct fsim_device *dev, uint32_t sector);

enum fsim_op_kind { FSIM_OP_READ, FSIM_OP_PROGRAM, FSIM_OP_ERASE };

struct fsim_trace_event {
	enum fsim_op_kind kind;
	uint64_t op_index;  /* mutating ops only; reads carry the index of the next mutating op */
	uint32_t off;
	uint32_t len;
	int result;         /* FSIM_OK or FSIM_ERR_VIOLATION */
	bool cut;           /* this op is where the armed cut fired */
	const void *data;   /* programs: the bytes the caller asked to program; else NULL */
};
typedef void (*fsim_trace_fn)(void *ctx, const struct fsim_trace_event *ev);
/* Called after every operation (before the power-loss handler for a cut op). NULL stops. */
void fsim_set_trace(struct fsim_device *dev, fsim_trace_fn fn, void *ctx);

/* ---- Snapshots --------------------------------------------------------------------- */

/* A frozen copy of a device's content and accounting. Costs O(sectors): sector buffers are
 * shared until one side writes. A snapshot is immutable and may be restored by several
 * threads at once. */
struct fsim_snapshot;

struct fsim_snapshot *fsim_snapshot_take(const struct fsim_device *dev);
void fsim_snapshot_free(struct fsim_snapshot *snap);
uint64_t fsim_snapshot_hash(const struct fsim_snapshot *snap);
uint64_t fsim_snapshot_op_index(const struct fsim_snapshot *snap);
/* Make dev's content and accounting those of snap. Geometry must match. The armed cut,
 * handler and trace of dev are kept; violations and metastable state come from snap. */
int fsim_snapshot_restore(struct fsim_device *dev, const struct fsim_snapshot *snap);
/* A new device with dev's geometry, partitions and content (copy-on-write). No cut armed,
 * no handler, no trace. */
struct fsim_device *fsim_fork(const struct fsim_device *dev);
struct fsim_device *fsim_from_snapshot(const struct fsim_snapshot *snap);

/* How many sectors hold a buffer at all (a sector erased and never written since holds
 * none), and how many of those buffers are shared with another device or snapshot. Lets a
 * test prove copy-on-write from the accounting rather than trusting the code. */
uint32_t fsim_allocated_sectors(const struct fsim_device *dev);
uint32_t fsim_shared_sectors(const struct fsim_device *dev);

/* ---- Persistence ------------------------------------------------------------------- */

/* The device file: a 'BOFLASH1' header (format version, geometry, partitions), since
 * version 3 the read unit and each region's own write unit, erase value and program timing,
 * the raw content, then (version 2) per-sector erase counts, weak cells and a note: a line
 * of text the writer attaches (brownout writes "strategy=swap-scratch ..."). Version 1 and
 * 2 files still load (regions take the device's values, read unit 1; version 1 has no
 * erase counts, weak cells or note); a newer version is refused, naming it. Saving
 * writes PATH.tmp-XXXXXX next to PATH and renames it over PATH, so PATH is always a whole
 * old or a whole new file. Loading checks the file's size against the
 * header before allocating; a file that is not a device file fails with a message. */
#define FSIM_FORMAT_VERSION 3u
#define FSIM_NOTE_MAX 256
int fsim_save(const struct fsim_device *dev, const char *path, char *err, size_t errlen);
struct fsim_device *fsim_load(const char *path, char *err, size_t errlen);
/* The same with the note (note NULL: none; truncated to FSIM_NOTE_MAX - 1 bytes). */
int fsim_save_with_note(const struct fsim_device *dev, const char *path, const char *note,
			char *err, size_t errlen);
struct fsim_device *fsim_load_with_note(const char *path, char *note, size_t notelen, char *err,
					size_t errlen);

#endif
