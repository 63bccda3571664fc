/* The device's words for a trace: see sweep_trace.h. */
#include <string.h>

#include "core/boot/trailer.h"
#include "sim/firmware/host.h"
#include "sim/sweep_trace.h"

/* core/boot's trailer alignment: max(8, the primary's write unit). */
static uint32_t max_align(const struct fsim_device *dev)
{
	const struct fsim_partition *p = fsim_partition_find(dev, "primary");
	uint32_t wu = fsim_write_unit_at(dev, p ? p->off : 0);
	return wu > 8 ? wu : 8;
}

static const struct fsim_partition *part_at(const struct fsim_device *dev, uint32_t off)
{
	for (size_t i = 0; i < fsim_partition_count(dev); i++) {
		const struct fsim_partition *p = fsim_partition_at(dev, i);
		if (off >= p->off && off - p->off < p->size)
			return p;
	}
	return NULL;
}

static bool is_slot(const struct fsim_partition *p)
{
	return !strcmp(p->name, "primary") || !strcmp(p->name, "upgrade");
}

void sweep_trace_place(const struct fsim_device *dev, const struct fw_flash_map *map, uint32_t off,
		       char *buf, size_t len)
{
	if (map && map->n > 1) { /* name the device first, then the place */
		unsigned f = 0;
		while (f + 1 < map->n && off >= map->flash[f + 1].base)
			f++;
		int n = snprintf(buf, len, "%s: ", map->flash[f].name);
		if (n > 0 && (size_t)n < len)
			sweep_trace_place(dev, NULL, off, buf + n, len - (size_t)n);
		return;
	}
	const struct fsim_partition *p = part_at(dev, off);
	if (!p) {
		snprintf(buf, len, "0x%06x (no partition)", off);
		return;
	}
	uint32_t rel = off - p->off, start, size, idx, first;
	struct bo_trailer_layout tl;
	if (is_slot(p) && bo_trailer_layout(p->size, max_align(dev), &tl) == 0 &&
	    rel >= tl.fixed_start) {
		const char *field = rel >= tl.magic_block_off  ? "magic"
				    : rel >= tl.image_ok_off   ? "image_ok"
				    : rel >= tl.copy_done_off  ? "copy_done"
				    : rel >= tl.swap_info_off  ? "swap_info"
							       : "swap_size";
		snprintf(buf, len, "%s trailer: %s", p->name, field);
		return;
	}
	if (!strcmp(p->name, "status") && bo_trailer_layout(p->size, max_align(dev), &tl) == 0) {
		/* core/boot's record: the operation's type and size at the end, the log before */
		if (rel >= tl.swap_info_off)
			snprintf(buf, len, "status record: swap_info");
		else if (rel >= tl.swap_size_off)
			snprintf(buf, len, "status record: swap_size");
		else
			snprintf(buf, len, "status progress log entry unit %u", rel / max_align(dev));
		return;
	}
	fsim_sector_of(dev, p->off, &first, &start, &size);
	fsim_sector_of(dev, off, &idx, &start, &size);
	/* A slot's last sector holds core/boot's progress record unless a status partition
	 * does; then it holds the image's tail and the trailer. */
	bool last = is_slot(p) && start + size == p->off + p->size;
	bool status = fsim_partition_find(dev, "status") != NULL;
	snprintf(buf, len, "%s %s %u +0x%x", p->name,
		 !last     ? "sector"
		 : status ? "last sector (image tail, trailer)"
			  : "meta sector (progress, status)",
		 idx - first, off - start);
}

/* A slot's trailer through a peek-only flash port. */
static int peek_read(void *d, uint32_t off, void *buf, uint32_t len)
{
	return fsim_peek(d, off, buf, len) == FSIM_OK ? 0 : -1;
}

static int slot_state(const struct fsim_device *dev, const char *name, struct bo_swap_state *st)
{
	const struct fsim_partition *p = fsim_partition_find(dev, name);
	if (!p)
		return -1;
	struct bo_flash port = {(void *)dev, peek_read, NULL, NULL, NULL,
				fsim_write_unit_at(dev, p->off), fsim_erase_value_at(dev, p->off)};
	struct bo_flash_area a = {&port, p->off, p->size};
	return bo_trailer_read_state(&a, max_align(dev), st);
}

static void print_state(const char *name, const struct bo_swap_state *st, FILE *out)
{
	fprintf(out, "%s: magic %s, swap_info %s, copy_done %s, image_ok %s", name,
		bo_magic_state_str(st->magic),
		st->swap_info.set ? bo_swap_type_str(st->swap_info.swap_type) : "unset",
		bo_flag_state_str(st->copy_done), bo_flag_state_str(st->image_ok));
}

void sweep_trace_trailers(const struct fsim_device *dev, FILE *out)
{
	struct bo_swap_state pri, up;
	if (slot_state(dev, "primary", &pri) || slot_state(dev, "upgrade", &up))
		return;
	fprintf(out, "    trailers: ");
	print_state("primary", &pri, out);
	fprintf(out, "; ");
	print_state("upgrade", &up, out);
	fprintf(out, " -> swap table (current MCUboot): %s\n",
		bo_swap_type_str((uint8_t)bo_trailer_swap_decision(&pri, &up)));
}

void sweep_trace_torn(const struct fsim_device *dev, uint32_t off, const uint8_t *data,
		      uint32_t len, FILE *out)
{
	uint32_t wu = fsim_write_unit_at(dev, off), shown = 0, units = 0, unit = wu < 8 ? 8 : wu;
	uint8_t got[64];
	for (uint32_t k = 0; k < len; k += unit) {
		uint32_t n = len - k < unit ? len - k : unit;
		if (n > sizeof got)
			n = sizeof got;
		fsim_peek(dev, off + k, got, n);
		if (!memcmp(got, data + k, n))
			continue;
		units++;
		if (shown++ >= 3)
			continue;
		fprintf(out, "     +0x%03x intended", k);
		for (uint32_t i = 0; i < n; i++)
			fprintf(out, " %02x", data[k + i]);
		fprintf(out, "\n            reached ");
		for (uint32_t i = 0; i < n; i++)
			fprintf(out, " %02x", got[i]);
		fprintf(out, "\n");
	}
	if (units == 0)
		fprintf(out, "     (every byte reached flash)\n");
	else if (units > 3)
		fprintf(out, "     ... %u of %u %u-byte units differ\n", units, (len + unit - 1) / unit,
			unit);
}

void sweep_trace_wear(const struct fsim_device *dev, FILE *out)
{
	fprintf(out, "erases per sector at the end:\n");
	for (size_t i = 0; i < fsim_partition_count(dev); i++) {
		const struct fsim_partition *p = fsim_partition_at(dev, i);
		uint32_t first, start, size, idx;
		fsim_sector_of(dev, p->off, &first, &start, &size);
		bool any = false;
		for (uint32_t off = p->off; off < p->off + p->size; off = start + size) {
			fsim_sector_of(dev, off, &idx, &start, &size);
			uint32_t e = fsim_sector_erases(dev, idx);
			if (!e)
				continue;
			if (!any)
				fprintf(out, "  %s (sector:erases):", p->name);
			fprintf(out, " %u:%u", idx - first, e);
			any = true;
		}
		if (any)
			fprintf(out, "\n");
	}
}
