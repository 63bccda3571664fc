/* tools/mount_text.c: the generated files of a mount (see mount_text.h). */
#include "tools/mount_text.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/port/mbedtls/crypto_mbedtls.h"
#include "sim/flash_port.h"
#include "sim/imagegen.h"
#include "tools/device_boot.h"
#include "tools/image_json.h"

/* core/boot's trailer alignment: max(8, the primary's write unit). */
static uint32_t max_align(const struct mfs *m)
{
	const struct fsim_partition *p = fsim_partition_find(m->dev, "primary");
	uint32_t wu = fsim_write_unit_at(m->dev, p ? p->off : 0);
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
	uint8_t ev = fsim_erase_value_at(m->dev, p->off);
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
	port.write_unit = fsim_write_unit_at(m->dev, p->off); /* the slot's own flash */
	port.erase_value = fsim_erase_value_at(m->dev, p->off);
	uint32_t a = max_align(m);
	struct bo_flash_area area = {&port, p->off, p->size};
	struct bo_swap_state ts, prim;
	/* Read through a copy: bo_trailer_read_state counts reads and weak cells add noise. */
	struct fsim_device *copy = fsim_fork(m->dev);
	if (!copy)
		return;
	port.dev = copy;
	fprintf(out, "slot %s: 0x%06" PRIx32 ", 0x%" PRIx32 " bytes, BOOT_MAX_ALIGN %" PRIu32
		", erased 0x%02x\n", p->name, p->off, p->size, a, port.erase_value);
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
		uint8_t ev = fsim_erase_value_at(m->dev, start);
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
		", erased 0x%02x%s\n", fsim_size(m->dev), fsim_sector_count(m->dev), g->write_unit,
		g->erase_value,
		fsim_uniform_props(m->dev) ? "" : " (first flash; later regions have their own)");
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

void mount_text_write(struct mfs *m, int i, FILE *out)
{
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
}
