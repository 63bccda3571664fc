/* tools/mount_fs.c: see mount_fs.h. */
#include "tools/mount_fs.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/mount_text.h"

static const char *const image_slots[] = {"primary", "upgrade", "recovery"};
static const char *const trailer_slots[] = {"primary", "upgrade"};

static bool in_list(const char *name, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, list[i]))
			return true;
	return false;
}

static void add(struct mfs *m, const char *name, const char *suffix, enum mfs_kind k, int part,
		bool writable)
{
	struct mfs_file *f = &m->files[m->nfiles++];
	snprintf(f->name, sizeof f->name, "%s%s", name, suffix);
	f->kind = k;
	f->part = part;
	f->writable = writable && m->rw;
}

int mfs_init(struct mfs *m, struct fsim_device *dev, const char *path, const char *note, bool rw,
	     const enum bo_strategy *strategy)
{
	memset(m, 0, sizeof *m);
	m->dev = dev;
	m->path = path;
	m->rw = rw;
	snprintf(m->note, sizeof m->note, "%s", note ? note : "");
	if (strategy) {
		m->have_strategy = true;
		m->strategy = *strategy;
	}
	add(m, "flash.bin", "", MFS_FLASH, -1, true);
	size_t np = fsim_partition_count(dev);
	for (size_t i = 0; i < np; i++)
		add(m, fsim_partition_at(dev, i)->name, ".bin", MFS_PART, (int)i, true);
	for (size_t i = 0; i < np; i++) {
		const char *n = fsim_partition_at(dev, i)->name;
		if (in_list(n, image_slots, 3))
			add(m, n, ".image.json", MFS_IMAGE_JSON, (int)i, false);
		if (in_list(n, trailer_slots, 2))
			add(m, n, ".trailer.txt", MFS_TRAILER_TXT, (int)i, false);
	}
	add(m, "sectors.csv", "", MFS_SECTORS_CSV, -1, false);
	add(m, "device.txt", "", MFS_DEVICE_TXT, -1, false);
	if (rw)
		add(m, "erase", "", MFS_ERASE_CTL, -1, true);
	return 0;
}

void mfs_free(struct mfs *m)
{
	for (size_t i = 0; i < MFS_MAX_FILES; i++)
		free(m->texts[i].text);
	fsim_destroy(m->dev);
	memset(m, 0, sizeof *m);
}

int mfs_find(const struct mfs *m, const char *name)
{
	for (size_t i = 0; i < m->nfiles; i++)
		if (!strcmp(m->files[i].name, name))
			return (int)i;
	return -1;
}

/* ---- Generated text ------------------------------------------------------------------ */

/* The text of file i, regenerated when the device changed since it was made. */
static const char *text_of(struct mfs *m, int i, size_t *len)
{
	struct mfs_text *t = &m->texts[i];
	if (t->text && t->gen == m->generation + 1) {
		*len = t->len;
		return t->text;
	}
	free(t->text);
	t->text = NULL;
	t->len = 0;
	FILE *out = open_memstream(&t->text, &t->len);
	if (!out)
		return NULL;
	mount_text_write(m, i, out);
	if (fclose(out) != 0 || !t->text)
		return NULL;
	t->gen = m->generation + 1;
	*len = t->len;
	return t->text;
}

/* ---- Flash files ------------------------------------------------------------------- */

/* The device range file i maps: flash.bin the whole device, a partition file its range. */
static bool range_of(const struct mfs *m, int i, uint32_t *base, uint32_t *size)
{
	const struct mfs_file *f = &m->files[i];
	if (f->kind == MFS_FLASH) {
		*base = 0;
		*size = fsim_size(m->dev);
		return true;
	}
	if (f->kind == MFS_PART) {
		const struct fsim_partition *p = fsim_partition_at(m->dev, (size_t)f->part);
		*base = p->off;
		*size = p->size;
		return true;
	}
	return false;
}

uint64_t mfs_size(struct mfs *m, int i)
{
	uint32_t base, size;
	if (range_of(m, i, &base, &size))
		return size;
	if (m->files[i].kind == MFS_ERASE_CTL)
		return 0;
	size_t len = 0;
	return text_of(m, i, &len) ? len : 0;
}

ssize_t mfs_read(struct mfs *m, int i, char *buf, size_t size, uint64_t off)
{
	uint32_t base, fsize;
	if (range_of(m, i, &base, &fsize)) {
		if (off >= fsize)
			return 0;
		if (size > fsize - off)
			size = (size_t)(fsize - off);
		fsim_peek(m->dev, base + (uint32_t)off, buf, (uint32_t)size);
		return (ssize_t)size;
	}
	if (m->files[i].kind == MFS_ERASE_CTL)
		return 0;
	size_t len;
	const char *t = text_of(m, i, &len);
	if (!t)
		return -ENOMEM;
	if (off >= len)
		return 0;
	if (size > len - off)
		size = (size_t)(len - off);
	memcpy(buf, t + off, size);
	return (ssize_t)size;
}

static void changed(struct mfs *m)
{
	m->dirty = true;
	m->generation++;
}

/* Program [addr, addr+len) unit by unit under NOR rules (see mount_fs.h). */
static int program_range(struct mfs *m, uint32_t addr, const uint8_t *data, uint32_t len)
{
	uint8_t old[1024], merged[1024]; /* write units are at most 1 KiB (geometry check) */
	uint32_t wu = fsim_write_unit_at(m->dev, addr); /* each flash of a device its own */
	for (uint32_t u = addr - addr % wu; u < addr + len; u += wu) {
		wu = fsim_write_unit_at(m->dev, u);
		if (wu > sizeof old)
			return -EIO;
		fsim_peek(m->dev, u, old, wu);
		memcpy(merged, old, wu);
		uint32_t a = u < addr ? addr : u, b = u + wu > addr + len ? addr + len : u + wu;
		memcpy(merged + (a - u), data + (a - addr), b - a);
		if (!memcmp(old, merged, wu))
			continue;
		int rc = fsim_program(m->dev, u, merged, wu);
		if (rc == FSIM_ERR_VIOLATION) {
			m->eio_violations++;
			m->generation++; /* device.txt lists the violation */
			return -EIO;
		}
		if (rc != FSIM_OK)
			return -EIO;
		changed(m);
	}
	return 0;
}

/* One line of the erase file: a sector index, a sector start (0x...) or a partition. */
static int erase_one(struct mfs *m, const char *what)
{
	uint32_t start, size, idx;
	const struct fsim_partition *p = fsim_partition_find(m->dev, what);
	if (p) {
		start = p->off;
		size = p->size;
	} else {
		char *end;
		errno = 0;
		unsigned long long v = strtoull(what, &end, 0);
		if (errno || *end || end == what || v > UINT32_MAX)
			return -EINVAL;
		if (!strncmp(what, "0x", 2) || !strncmp(what, "0X", 2)) {
			if (fsim_sector_of(m->dev, (uint32_t)v, &idx, &start, &size) || start != v)
				return -EINVAL;
		} else {
			uint32_t off = 0;
			for (uint32_t k = 0; k <= v; k++) {
				if (fsim_sector_of(m->dev, off, &idx, &start, &size))
					return -EINVAL;
				off = start + size;
			}
		}
	}
	int rc = fsim_erase(m->dev, start, size);
	if (rc == FSIM_ERR_VIOLATION) {
		m->eio_violations++;
		m->generation++;
		return -EIO;
	}
	if (rc != FSIM_OK)
		return -EIO;
	changed(m);
	return 0;
}

static ssize_t erase_ctl(struct mfs *m, const char *buf, size_t size)
{
	char line[64];
	size_t i = 0;
	while (i < size) {
		size_t n = 0;
		while (i < size && buf[i] != '\n') {
			if (n + 1 < sizeof line && !isspace((unsigned char)buf[i]))
				line[n++] = buf[i];
			i++;
		}
		i++; /* the newline */
		line[n] = '\0';
		if (n == 0)
			continue;
		int rc = erase_one(m, line);
		if (rc)
			return rc;
	}
	return (ssize_t)size;
}

ssize_t mfs_write(struct mfs *m, int i, const char *buf, size_t size, uint64_t off)
{
	const struct mfs_file *f = &m->files[i];
	if (!f->writable)
		return m->rw ? -EACCES : -EROFS;
	if (f->kind == MFS_ERASE_CTL)
		return erase_ctl(m, buf, size);
	uint32_t base, fsize;
	if (!range_of(m, i, &base, &fsize))
		return -EACCES;
	if (off >= fsize)
		return size ? -ENOSPC : 0;
	if (size > fsize - off)
		size = (size_t)(fsize - off);
	int rc = program_range(m, base + (uint32_t)off, (const uint8_t *)buf, (uint32_t)size);
	return rc ? rc : (ssize_t)size;
}

int mfs_save(struct mfs *m, char *err, size_t errlen)
{
	if (!m->dirty)
		return 0;
	if (fsim_save_with_note(m->dev, m->path, m->note, err, errlen) != FSIM_OK)
		return -EIO;
	m->dirty = false;
	return 0;
}
