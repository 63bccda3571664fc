/* tools/mount_fs.c: see mount_fs.h. */
#include "tools/mount_fs.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/port/mbedtls/crypto_mbedtls.h"
#include "sim/flash_port.h"
#include "sim/imagegen.h"
#include "tools/device_boot.h"
#include "tools/image_json.h"

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

static uint32_t max_align(const struct mfs *m)
{
	uint32_t wu = fsim_geometry(m->dev)->write_unit;
	return wu > 8 ? wu : 8;
}

/* The stored bytes of partition p (malloc'd). */
static uint8_t *part_bytes(const struct mfs *m, const struct fsim_partition *p)
{
	uint8_t *buf = malloc(p->size ? p->size : 1);
	if (buf)
		fsim_peek(m->dev, p->off, buf, p->size);
	return buf;
}

static void gen_image_json(struct mfs *m, const struct fsim_partition *p, FILE *out)
{
	uint8_t *buf = part_bytes(m, p);
	if (!buf)
		return;
	uint8_t ev = fsim_geometry(m->dev)->erase_value;
	struct image_dump d;
	image_dump_analyse(buf, p->size, max_align(m), ev, &d);
	/* The key-less check: header, layout and SHA-256; no key is trusted, so an intact
	 * image ends at the signature step (no-trusted-key or no-signature). */
	struct bo_crypto_mbedtls cst;
	struct bo_crypto crypto;
	bo_crypto_mbedtls_init(&cst, &crypto);
	struct bo_ramflash rf;
	bo_ramflash_init(&rf, buf, p->size, 0, 1, ev);
	struct bo_image_info info;
	memset(&info, 0, sizeof info);
	enum bo_image_err e = bo_image_verify(&rf.area, p->size, &crypto, NULL, &info);
	bo_crypto_mbedtls_free(&cst);
	char *extra = NULL;
	size_t elen = 0;
	FILE *x = open_memstream(&extra, &elen);
	if (x) {
		fprintf(x, "\"verification\": {\"keys\": \"none (hash check only)\", \"status\": \"%s\", "
			"\"hash_ok\": %s, \"hash\": ", bo_image_errname(e), info.hash_ok ? "true" : "false");
		if (info.hash_ok) {
			fputc('"', x);
			image_print_hex(x, info.hash, sizeof info.hash);
			fputc('"', x);
		} else {
			fprintf(x, "null");
		}
		fprintf(x, "}");
		fclose(x);
	}
	char name[FSIM_PART_NAME_MAX + 8];
	snprintf(name, sizeof name, "%s.bin", p->name);
	image_dump_json(out, name, &d, extra);
	free(extra);
	free(buf);
}

static const char *yes(bool b)
{
	return b ? "yes" : "no";
}

/* The next boot's decision: core/boot on a copy of the device, so nothing here changes. */
static void next_boot(struct mfs *m, FILE *out)
{
	if (!m->have_strategy) {
		fprintf(out, "next boot: unknown (the device file names no strategy: mount with "
			"--strategy S)\n");
		return;
	}
	struct fsim_device *copy = fsim_fork(m->dev);
	struct device_boot_opts o = {.strategy = m->strategy};
	struct bo_boot_result res;
	char err[300];
	if (!copy) {
		fprintf(out, "next boot: unknown (out of memory)\n");
		return;
	}
	if (device_boot_once(copy, &o, &res, err, sizeof err)) {
		fprintf(out, "next boot: cannot run the bootloader: %s\n", err);
	} else {
		fprintf(out, "next boot (%s, built-in test key; core/boot run on a copy): ",
			bo_strategy_name(m->strategy));
		device_boot_describe(out, &res);
		fprintf(out, "\n");
	}
	fsim_destroy(copy);
}

static void gen_trailer_txt(struct mfs *m, const struct fsim_partition *p, FILE *out)
{
	struct bo_flash port;
	sim_flash_port_init(&port, m->dev);
	uint32_t a = max_align(m);
	struct bo_flash_area area = {&port, p->off, p->size};
	struct bo_swap_state ts, prim;
	/* Read through a copy: bo_trailer_read_state counts reads and weak cells add noise. */
	struct fsim_device *copy = fsim_fork(m->dev);
	if (!copy)
		return;
	port.dev = copy;
	fprintf(out, "slot %s: 0x%06" PRIx32 ", 0x%" PRIx32 " bytes, BOOT_MAX_ALIGN %" PRIu32
		", erased 0x%02x\n", p->name, p->off, p->size, a, fsim_geometry(m->dev)->erase_value);
	if (bo_trailer_read_state(&area, a, &ts) != 0) {
		fprintf(out, "trailer: unreadable (the slot is too small for a trailer)\n");
		fsim_destroy(copy);
		return;
	}
	fprintf(out, "magic      %s\n", bo_magic_state_str(ts.magic));
	if (ts.swap_info.set)
		fprintf(out, "swap_info  %s, image %u\n", bo_swap_type_str(ts.swap_info.swap_type),
			ts.swap_info.image_index);
	else
		fprintf(out, "swap_info  unset\n");
	if (ts.swap_size_set)
		fprintf(out, "swap_size  0x%" PRIx32 "\n", ts.swap_size);
	else
		fprintf(out, "swap_size  unset\n");
	fprintf(out, "copy_done  %s\n", bo_flag_state_str(ts.copy_done));
	fprintf(out, "image_ok   %s\n", bo_flag_state_str(ts.image_ok));
	const struct fsim_partition *pp = fsim_partition_find(m->dev, "primary");
	if (!strcmp(p->name, "upgrade") && pp) {
		struct bo_flash_area parea = {&port, pp->off, pp->size};
		if (bo_trailer_read_state(&parea, a, &prim) == 0)
			fprintf(out, "MCUboot's swap table (this as the secondary slot): %s\n",
				bo_swap_type_str(bo_trailer_swap_decision(&prim, &ts)));
	}
	if (m->have_strategy && !strcmp(p->name, "primary")) {
		struct device_boot_opts o = {.strategy = m->strategy};
		struct bo_app_state st;
		char err[300];
		if (device_app_state(copy, &o, &st, err, sizeof err) == 0)
			fprintf(out, "application view: confirmed %s, trial %s, attempts left %u, "
				"upgrade pending %s\n", yes(st.confirmed), yes(st.trial),
				st.attempts_left, yes(st.upgrade_pending));
	}
	fsim_destroy(copy);
	next_boot(m, out);
}

static const char *part_of(const struct mfs *m, uint32_t off)
{
	for (size_t i = 0; i < fsim_partition_count(m->dev); i++) {
		const struct fsim_partition *p = fsim_partition_at(m->dev, i);
		if (off >= p->off && off - p->off < p->size)
			return p->name;
	}
	return "";
}

static void gen_sectors_csv(struct mfs *m, FILE *out)
{
	uint8_t ev = fsim_geometry(m->dev)->erase_value;
	fprintf(out, "sector,offset,size,partition,erases,erased,weak_bits\n");
	uint8_t *buf = NULL;
	for (uint32_t i = 0, off = 0; i < fsim_sector_count(m->dev); i++) {
		uint32_t idx, start, size;
		fsim_sector_of(m->dev, off, &idx, &start, &size);
		uint8_t *nb = realloc(buf, size);
		if (!nb)
			break;
		buf = nb;
		fsim_peek(m->dev, start, buf, size);
		bool erased = true;
		for (uint32_t k = 0; k < size && erased; k++)
			erased = buf[k] == ev;
		fprintf(out, "%" PRIu32 ",0x%06" PRIx32 ",%" PRIu32 ",%s,%" PRIu32 ",%s,%" PRIu32 "\n",
			i, start, size, part_of(m, start), fsim_sector_erases(m->dev, i),
			erased ? "yes" : "no", fsim_weak_cells(m->dev, i));
		off = start + size;
	}
	free(buf);
}

static void gen_device_txt(struct mfs *m, FILE *out)
{
	const struct fsim_geometry *g = fsim_geometry(m->dev);
	fprintf(out, "device file: %s\nnote: %s\n", m->path, m->note);
	fprintf(out, "size 0x%" PRIx32 ", %" PRIu32 " sectors, write unit %" PRIu32
		", erased 0x%02x\n", fsim_size(m->dev), fsim_sector_count(m->dev), g->write_unit,
		g->erase_value);
	fprintf(out, "strategy: %s\n", m->have_strategy ? bo_strategy_name(m->strategy) : "unknown");
	fprintf(out, "mode: %s\n", m->rw ? "read-write (saved when a written file is closed and "
		"at unmount)" : "read-only");
	fprintf(out, "partitions:\n");
	for (size_t i = 0; i < fsim_partition_count(m->dev); i++) {
		const struct fsim_partition *p = fsim_partition_at(m->dev, i);
		fprintf(out, "  %-10s 0x%06" PRIx32 " 0x%06" PRIx32 "%s\n", p->name, p->off, p->size,
			p->write_protected ? " write-protected" : "");
	}
	size_t nv = fsim_violation_count(m->dev);
	fprintf(out, "violations this session: %zu (writes refused with EIO: %" PRIu64 ")\n", nv,
		m->eio_violations);
	for (size_t i = 0; i < nv && fsim_violation_at(m->dev, i); i++) {
		const struct fsim_violation *v = fsim_violation_at(m->dev, i);
		fprintf(out, "  %s at 0x%06" PRIx32 "\n", fsim_violation_name(v->kind), v->addr);
	}
}

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
	const struct mfs_file *f = &m->files[i];
	const struct fsim_partition *p = f->part >= 0 ? fsim_partition_at(m->dev, (size_t)f->part)
						      : NULL;
	switch (f->kind) {
	case MFS_IMAGE_JSON:
		gen_image_json(m, p, out);
		break;
	case MFS_TRAILER_TXT:
		gen_trailer_txt(m, p, out);
		break;
	case MFS_SECTORS_CSV:
		gen_sectors_csv(m, out);
		break;
	case MFS_DEVICE_TXT:
		gen_device_txt(m, out);
		break;
	default:
		break;
	}
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
	uint32_t wu = fsim_geometry(m->dev)->write_unit;
	uint8_t old[1024], merged[1024]; /* write units are at most 1 KiB (geometry check) */
	if (wu > sizeof old)
		return -EIO;
	for (uint32_t u = addr - addr % wu; u < addr + len; u += wu) {
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
