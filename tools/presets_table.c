/* tools/presets_table.c: print the flash presets (see tools/presets_table.h). */
#include "tools/presets_table.h"

#include <stdint.h>

#include "flashsim/flashsim.h"
#include "sim/device_desc.h"

/* 4096 -> "4 KiB", 1048576 -> "1 MiB", else bytes: the way sweep files write sizes. */
static const char *size_text(uint32_t n, char *buf, size_t len)
{
	if (n && n % (1024u * 1024u) == 0)
		snprintf(buf, len, "%u MiB", n / (1024u * 1024u));
	else if (n && n % 1024u == 0)
		snprintf(buf, len, "%u KiB", n / 1024u);
	else
		snprintf(buf, len, "%u bytes", n);
	return buf;
}

/* Thousandths of a unit as the file keys take them: 85000 -> "85", 500 -> "0.5". */
static const char *milli_text(uint32_t v, char *buf, size_t len)
{
	if (v % 1000 == 0) {
		snprintf(buf, len, "%u", v / 1000);
		return buf;
	}
	unsigned frac = v % 1000, digits = 3;
	while (frac % 10 == 0)
		frac /= 10, digits--;
	snprintf(buf, len, "%u.%0*u", v / 1000, (int)digits, frac);
	return buf;
}

static void print_layout(FILE *out, const char *preset)
{
	struct bo_sweep_area parts[BO_SWEEP_PART_COUNT];
	char a[32];
	if (bo_sweep_default_layout(preset, parts)) {
		fprintf(out, "  default layout    none: give device.layout\n");
		return;
	}
	fprintf(out, "  default layout    (layout: default)\n");
	/* In flash order, as on a memory map. */
	uint32_t from = 0;
	for (int shown = 0; shown < BO_SWEEP_PART_COUNT; shown++) {
		int next = -1;
		for (int p = 0; p < BO_SWEEP_PART_COUNT; p++)
			if (parts[p].present && parts[p].off >= from &&
			    (next < 0 || parts[p].off < parts[next].off))
				next = p;
		if (next < 0)
			break;
		fprintf(out, "    %-9s 0x%06x %8s%s\n", bo_sweep_part_name((enum bo_sweep_part)next),
			parts[next].off, size_text(parts[next].size, a, sizeof a),
			parts[next].write_protected ? "  write-protected" : "");
		from = parts[next].off + parts[next].size;
	}
}

void print_presets(FILE *out)
{
	fprintf(out, "Flash presets: device: {preset: NAME}, or flash: {DEV: {preset: NAME}}; change\n"
		     "any field with geometry: (sim/sweep_file.h). Times are the file's keys:\n"
		     "erase_ms per sector, program_us per program chunk.\n");
	for (const char *const *name = fsim_preset_names(); *name; name++) {
		struct fsim_geometry g;
		char a[32], b[32];
		if (fsim_preset(*name, &g))
			continue;
		fprintf(out, "\n%s: %s, %u sectors\n", *name,
			size_text(fsim_geometry_size(&g), a, sizeof a), fsim_geometry_sectors(&g));
		for (uint32_t r = 0; r < g.region_count; r++)
			fprintf(out, "  %-17s %u x %s, erase_ms %s\n", r ? "" : "regions",
				g.regions[r].count, size_text(g.regions[r].sector_size, a, sizeof a),
				milli_text(g.regions[r].erase_us, b, sizeof b));
		fprintf(out, "  write_unit        %u\n", g.write_unit);
		fprintf(out, "  read_unit         %u\n", g.read_unit ? g.read_unit : 1);
		fprintf(out, "  erase_value       0x%02x\n", g.erase_value);
		uint32_t chunk = g.program_chunk ? g.program_chunk : g.write_unit;
		fprintf(out, "  program_us        %s per %u byte%s (program_chunk)\n",
			milli_text(g.program_ns, a, sizeof a), chunk, chunk == 1 ? "" : "s");
		fprintf(out, "  endurance         %u erase cycles per sector\n", g.endurance);
		print_layout(out, *name);
	}
}
