/*
 * `brownout mount DEVICE_FILE MOUNTPOINT [--rw] [--strategy S] [--foreground]`
 *
 * Shows a device file's flash as files (tools/mount_fs.h lists them) through libfuse3's
 * high-level API, single-threaded (the device is not shared between threads). Runs in the
 * background once mounted, as mount tools do, unless --foreground. Unmounts cleanly on
 * SIGINT, SIGTERM and `fusermount3 -u MOUNTPOINT`; with --rw the device file is saved
 * (atomically: temporary file + rename) whenever a written file is closed, on fsync, and at
 * unmount, so a killed process never leaves half a file.
 * Exit codes: 0 unmounted cleanly, 1 the mount or the final save failed, 2 bad input.
 */
#define _XOPEN_SOURCE 700 /* realpath */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/device_boot.h"
#include "tools/mount_fs.h"

static void usage(FILE *out)
{
	fprintf(out,
		"usage: brownout mount DEVICE_FILE MOUNTPOINT [options]\n\n"
		"Show a saved device's flash as files: flash.bin, one PARTITION.bin per partition,\n"
		"SLOT.image.json (image dump --json plus the hash check), SLOT.trailer.txt (trailer\n"
		"fields and the next boot's decision), sectors.csv (erase counts, erased, weak\n"
		"bits), device.txt. Unmount with fusermount3 -u MOUNTPOINT (or Ctrl-C with\n"
		"--foreground).\n\n"
		"options:\n"
		"  --rw           writable: writes follow NOR rules (programming a unit that is not\n"
		"                 erased fails with EIO and is recorded as a violation); write a\n"
		"                 sector index, a sector offset (0x...) or a partition name to the\n"
		"                 file 'erase' to erase it; the device file is saved when a written\n"
		"                 file is closed and at unmount\n"
		"  --strategy S   the bootloader strategy for the next-boot line (default: the one\n"
		"                 the file's note names)\n"
		"  --foreground   stay in the foreground until unmounted\n\n"
		"exit codes: 0 unmounted cleanly, 1 the mount or the final save failed,\n"
		"2 bad input or usage\n");
}

struct mount_state {
	struct mfs m;
	struct timespec mtime; /* the device file's, shown as every file's time */
};

static struct mount_state *state(void)
{
	return fuse_get_context()->private_data;
}

static struct mfs *fs(void)
{
	return &state()->m;
}

/* "/name" -> file index, or -ENOENT. */
static int lookup(const char *path)
{
	if (path[0] != '/')
		return -ENOENT;
	int i = mfs_find(fs(), path + 1);
	return i < 0 ? -ENOENT : i;
}

static void *op_init(struct fuse_conn_info *conn, struct fuse_config *cfg)
{
	(void)conn;
	/* Every file can change under another (a write to flash.bin changes primary.bin and
	 * the generated texts): no attribute or page caching, sizes as reported now. */
	cfg->attr_timeout = 0;
	cfg->entry_timeout = 0;
	cfg->negative_timeout = 0;
	cfg->direct_io = 1;
	cfg->use_ino = 0;
	return state();
}

static int op_getattr(const char *path, struct stat *st, struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof *st);
	st->st_uid = getuid();
	st->st_gid = getgid();
	st->st_mtim = st->st_ctim = st->st_atim = state()->mtime;
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	int i = lookup(path);
	if (i < 0)
		return i;
	const struct mfs_file *f = &fs()->files[i];
	st->st_mode = S_IFREG | (f->kind == MFS_ERASE_CTL ? 0200 : f->writable ? 0644 : 0444);
	st->st_nlink = 1;
	st->st_size = (off_t)mfs_size(fs(), i);
	return 0;
}

static int op_readdir(const char *path, void *buf, fuse_fill_dir_t fill, off_t off,
		      struct fuse_file_info *fi, enum fuse_readdir_flags flags)
{
	(void)off;
	(void)fi;
	(void)flags;
	if (strcmp(path, "/"))
		return -ENOENT;
	fill(buf, ".", NULL, 0, 0);
	fill(buf, "..", NULL, 0, 0);
	for (size_t i = 0; i < fs()->nfiles; i++)
		fill(buf, fs()->files[i].name, NULL, 0, 0);
	return 0;
}

static int op_open(const char *path, struct fuse_file_info *fi)
{
	int i = lookup(path);
	if (i < 0)
		return i;
	if ((fi->flags & O_ACCMODE) != O_RDONLY && !fs()->files[i].writable)
		return fs()->rw ? -EACCES : -EROFS;
	fi->fh = (uint64_t)i;
	fi->direct_io = 1;
	return 0;
}

static int op_read(const char *path, char *buf, size_t size, off_t off, struct fuse_file_info *fi)
{
	(void)path;
	return (int)mfs_read(fs(), (int)fi->fh, buf, size, (uint64_t)off);
}

static int op_write(const char *path, const char *buf, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)path;
	return (int)mfs_write(fs(), (int)fi->fh, buf, size, (uint64_t)off);
}

/* Partition files have the partition's size: truncating (cp opens with O_TRUNC) changes
 * nothing; the bytes are replaced only by writes. */
static int op_truncate(const char *path, off_t size, struct fuse_file_info *fi)
{
	(void)size;
	int i = fi ? (int)fi->fh : lookup(path);
	if (i < 0)
		return i;
	if (!fs()->files[i].writable)
		return fs()->rw ? -EACCES : -EROFS;
	return 0;
}

static int save(void)
{
	char err[400];
	int rc = mfs_save(fs(), err, sizeof err);
	if (rc)
		fprintf(stderr, "brownout mount: %s\n", err);
	return rc;
}

/* close(2) of a written file: save, so the device file is current once cp returns. */
static int op_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	return save();
}

static int op_fsync(const char *path, int datasync, struct fuse_file_info *fi)
{
	(void)path;
	(void)datasync;
	(void)fi;
	return save();
}

static const struct fuse_operations ops = {
	.init = op_init,
	.getattr = op_getattr,
	.readdir = op_readdir,
	.open = op_open,
	.read = op_read,
	.write = op_write,
	.truncate = op_truncate,
	.flush = op_flush,
	.fsync = op_fsync,
};

int cmd_mount(int argc, char **argv)
{
	const char *file = NULL, *mnt = NULL, *strategy = NULL;
	bool rw = false, foreground = false;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "--rw")) {
			rw = true;
		} else if (!strcmp(a, "--foreground") || !strcmp(a, "-f")) {
			foreground = true;
		} else if (!strcmp(a, "--strategy") && i + 1 < argc) {
			strategy = argv[++i];
		} else if (a[0] == '-' || (file && mnt)) {
			return cli_bad_argument("mount", a);
		} else if (!file) {
			file = a;
		} else {
			mnt = a;
		}
	}
	if (!file || !mnt) {
		usage(stderr);
		return EXIT_USAGE;
	}
	struct stat st;
	if (stat(mnt, &st) != 0) {
		fprintf(stderr, "brownout mount: %s: no such mount point (create the directory "
			"first): %s\n", mnt, strerror(errno));
		return EXIT_USAGE;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "brownout mount: %s: the mount point is not a directory\n", mnt);
		return EXIT_USAGE;
	}
	enum bo_strategy s;
	bool have_strategy = false;
	if (strategy) {
		if (device_strategy_parse(strategy, &s)) {
			fprintf(stderr, "brownout mount: unknown strategy '%s' (overwrite, "
				"swap-scratch, swap-move, recovery, swap-scratch+recovery)\n", strategy);
			return EXIT_USAGE;
		}
		have_strategy = true;
	}
	char err[400], note[FSIM_NOTE_MAX];
	struct fsim_device *dev = fsim_load_with_note(file, note, sizeof note, err, sizeof err);
	if (!dev) {
		fprintf(stderr, "brownout mount: %s\n", err);
		return EXIT_USAGE;
	}
	if (!have_strategy)
		have_strategy = device_strategy_from_note(note, &s) == 0;
	/* The daemon runs in /: keep the device file's absolute path for the saves. */
	char abs[PATH_MAX];
	if (!realpath(file, abs)) {
		fprintf(stderr, "brownout mount: %s: %s\n", file, strerror(errno));
		fsim_destroy(dev);
		return EXIT_USAGE;
	}
	struct mount_state ms;
	struct mfs *m = &ms.m;
	ms.mtime = st.st_mtim;
	if (stat(abs, &st) == 0)
		ms.mtime = st.st_mtim;
	mfs_init(m, dev, abs, note, rw, have_strategy ? &s : NULL);

	struct fuse_args args = FUSE_ARGS_INIT(0, NULL);
	fuse_opt_add_arg(&args, "brownout");
	fuse_opt_add_arg(&args, "-o");
	fuse_opt_add_arg(&args, rw ? "fsname=brownout,subtype=brownout"
				   : "ro,fsname=brownout,subtype=brownout");
	int rc = EXIT_FAILED;
	struct fuse *f = fuse_new(&args, &ops, sizeof ops, &ms);
	if (!f) {
		fprintf(stderr, "brownout mount: cannot start FUSE\n");
		goto out;
	}
	if (fuse_mount(f, mnt) != 0) {
		fprintf(stderr, "brownout mount: cannot mount %s (is /dev/fuse usable and fusermount3 "
			"installed?)\n", mnt);
		fuse_destroy(f);
		goto out;
	}
	struct fuse_session *se = fuse_get_session(f);
	if (fuse_daemonize(foreground) != 0 || fuse_set_signal_handlers(se) != 0) {
		fuse_unmount(f);
		fuse_destroy(f);
		goto out;
	}
	int loop = fuse_loop(f);
	fuse_remove_signal_handlers(se);
	fuse_unmount(f);
	fuse_destroy(f);
	rc = loop < 0 ? EXIT_FAILED : EXIT_OK;
	if (mfs_save(m, err, sizeof err)) {
		fprintf(stderr, "brownout mount: %s\n", err);
		rc = EXIT_FAILED;
	}
out:
	fuse_opt_free_args(&args);
	mfs_free(m);
	return rc;
}
