/*
 * tools/mount_fs.h: the files `brownout mount` shows for one device, independent of FUSE
 * (mount_cmd.c is the libfuse glue, mount_text.c makes the generated files). Flat directory:
 *
 *   flash.bin              the whole device
 *   <partition>.bin        one per partition (boot.bin, primary.bin, upgrade.bin, ...)
 *   <slot>.image.json      primary, upgrade, recovery: `brownout image dump --json` of the
 *                          slot plus "verification" (the key-less hash check)
 *   <slot>.trailer.txt     primary, upgrade: magic, swap_info, copy_done, image_ok, what
 *                          MCUboot's table asks for, and the next boot's decision (core/boot
 *                          run on a copy of the device)
 *   sectors.csv            per sector: offset, size, partition, erase count, erased, weak bits
 *   device.txt             geometry, partitions, the file's note, strategy, violations
 *   erase                  --rw only: write a sector index, a sector offset (0x...) or a
 *                          partition name (one per line) to erase it
 *
 * Reads show the stored bytes (no metastable noise, no read counted). Writes (--rw) follow
 * NOR rules write unit by write unit: a unit whose bytes do not change is skipped, any
 * other is programmed, and programming a unit that is not erased (a bit back to its erased
 * value, or any change to a programmed unit) fails with EIO and is recorded as a flashsim
 * violation. The device file is saved (atomically) when a written file is closed and at
 * unmount.
 */
#ifndef BROWNOUT_MOUNT_FS_H
#define BROWNOUT_MOUNT_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/boot/boot.h"
#include "flashsim/flashsim.h"

enum mfs_kind {
	MFS_FLASH,       /* flash.bin */
	MFS_PART,        /* <partition>.bin */
	MFS_IMAGE_JSON,
	MFS_TRAILER_TXT,
	MFS_SECTORS_CSV,
	MFS_DEVICE_TXT,
	MFS_ERASE_CTL,
};

struct mfs_file {
	char name[FSIM_PART_NAME_MAX + 16];
	enum mfs_kind kind;
	int part;        /* partition index, -1 when none */
	bool writable;   /* with --rw */
};

#define MFS_MAX_FILES (2 + 3 * FSIM_MAX_PARTITIONS + 4)

struct mfs {
	struct fsim_device *dev; /* owned */
	const char *path;        /* the device file, saved over on flush */
	char note[FSIM_NOTE_MAX];
	bool rw;
	bool have_strategy;
	enum bo_strategy strategy;
	bool dirty;              /* changed since the last save */
	uint64_t generation;     /* bumped by every change: text files are regenerated */
	uint64_t eio_violations; /* writes refused with EIO this session */
	struct mfs_file files[MFS_MAX_FILES];
	size_t nfiles;
	/* generated text per file, valid while gen == generation + 1 (0: never made) */
	struct mfs_text {
		char *text;
		size_t len;
		uint64_t gen;
	} texts[MFS_MAX_FILES];
};

/* Take dev (owned from now on). strategy: NULL when unknown (the next-boot line then says
 * so). Returns 0, or -1 (out of memory). */
int mfs_init(struct mfs *m, struct fsim_device *dev, const char *path, const char *note, bool rw,
	     const enum bo_strategy *strategy);
void mfs_free(struct mfs *m);

/* The file called name, or -1. */
int mfs_find(const struct mfs *m, const char *name);
/* Size in bytes of file i. */
uint64_t mfs_size(struct mfs *m, int i);
/* read(2)/write(2)-like: bytes done, or a negative errno. */
ssize_t mfs_read(struct mfs *m, int i, char *buf, size_t size, uint64_t off);
ssize_t mfs_write(struct mfs *m, int i, const char *buf, size_t size, uint64_t off);
/* Save the device file when changed: 0, or -EIO (err names the problem). */
int mfs_save(struct mfs *m, char *err, size_t errlen);

#endif
