/* sim/device_geometry.c: load a geometry: mapping (see sim/device_geometry.h). */
#include "sim/device_geometry.h"

#include <string.h>

#define KIB 1024u

/* A full geometry's timings when the file gives none: only simulated time depends on them. */
#define DEFAULT_ERASE_US 50000u
#define DEFAULT_PROGRAM_NS 10000u
#define DEFAULT_ENDURANCE 10000u

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

/* ---- Scalars ------------------------------------------------------------------------ */

/*
 * A time in a unit with up to three decimals ("85", "0.5", "1.125"), as a whole number of
 * thousandths of that unit: exact, so equal files give equal simulated times.
 */
static int get_milli(struct bo_yaml *y, yaml_node_t *n, const char *path, uint32_t *out)
{
	const char *s;
	if (bo_yaml_str(y, n, path, &s))
		return -1;
	uint64_t whole = 0, frac = 0;
	int digits = 0, decimals = -1;
	for (const char *p = s; *p; p++) {
		bool digit = *p >= '0' && *p <= '9';
		if (*p == '.' && decimals < 0)
			decimals = 0;
		else if (digit && decimals < 0)
			whole = whole < 100000000 ? whole * 10 + (uint64_t)(*p - '0') : whole;
		else if (digit && decimals < 3)
			frac = frac * 10 + (uint64_t)(*p - '0'), decimals++;
		else
			return bo_yaml_error(y, n, path,
					     "expected a number with at most 3 decimals (85, 0.5), "
					     "found '%s'",
					     s);
		digits += digit;
	}
	if (!digits)
		return bo_yaml_error(y, n, path, "expected a number, found '%s'", s);
	for (int k = decimals < 0 ? 0 : decimals; k < 3; k++)
		frac *= 10;
	uint64_t v = whole * 1000 + frac;
	if (v == 0 || v > UINT32_MAX)
		return bo_yaml_error(y, n, path, "%s is out of range (0.001 to 4294967.295)", s);
	*out = (uint32_t)v;
	return 0;
}

/* A power of two in 1..max, for write and read units. */
static int get_unit(struct bo_yaml *y, yaml_node_t *n, const char *path, uint64_t *out)
{
	if (bo_yaml_uint(y, n, path, 1, 64 * KIB, out))
		return -1;
	if (!is_pow2(*out))
		return bo_yaml_error(y, n, path, "%llu is not a power of two (1, 2, 4, 8, ...)",
				     (unsigned long long)*out);
	return 0;
}

/* ---- Geometry ----------------------------------------------------------------------- */

/* Where each geometry field came from, for errors found after all are read. */
struct geo_nodes {
	yaml_node_t *geometry, *regions, *write_unit, *read_unit, *program_chunk;
	yaml_node_t *region_size[FSIM_MAX_REGIONS];
};

/* The erase time a replaced region keeps: the base's for the same sector size, else the
 * base's first region's. */
static uint32_t base_erase_us(const struct fsim_geometry *base, uint32_t sector_size)
{
	for (uint32_t r = 0; r < base->region_count; r++)
		if (base->regions[r].sector_size == sector_size)
			return base->regions[r].erase_us;
	return base->region_count ? base->regions[0].erase_us : DEFAULT_ERASE_US;
}

static int load_regions(struct bo_yaml *y, yaml_node_t *n, const char *path,
			const struct fsim_geometry *base, const uint32_t *erase_us,
			struct fsim_geometry *g, struct geo_nodes *at)
{
	static const char *const keys[] = {"size", "count", "erase_ms", NULL};
	if (bo_yaml_seq_check(y, n, path, 1, FSIM_MAX_REGIONS))
		return -1;
	g->region_count = (uint32_t)bo_yaml_seq_len(n);
	for (uint32_t i = 0; i < g->region_count; i++) {
		char rp[BO_YAML_PATH_MAX], kp[BO_YAML_PATH_MAX];
		yaml_node_t *r = bo_yaml_seq_at(y, n, i);
		bo_yaml_path_index(rp, sizeof rp, path, i);
		if (bo_yaml_map_check(y, r, rp, keys))
			return -1;
		struct fsim_region *reg = &g->regions[i];
		bo_yaml_path_key(kp, sizeof kp, rp, "size");
		yaml_node_t *v = bo_yaml_map_need(y, r, rp, "size");
		if (!v || bo_yaml_size(y, v, kp, &reg->sector_size))
			return -1;
		if (reg->sector_size == 0)
			return bo_yaml_error(y, v, kp, "a sector cannot be empty");
		at->region_size[i] = v;
		reg->count = 1;
		v = bo_yaml_map_get(y, r, "count");
		bo_yaml_path_key(kp, sizeof kp, rp, "count");
		uint64_t count;
		if (v) {
			if (bo_yaml_uint(y, v, kp, 0, UINT32_MAX, &count))
				return -1;
			if (count == 0)
				return bo_yaml_error(y, v, kp, "a region needs at least one sector");
			reg->count = (uint32_t)count;
		}
		reg->erase_us = erase_us ? *erase_us : base_erase_us(base, reg->sector_size);
		v = bo_yaml_map_get(y, r, "erase_ms");
		bo_yaml_path_key(kp, sizeof kp, rp, "erase_ms");
		if (v && get_milli(y, v, kp, &reg->erase_us))
			return -1;
	}
	return 0;
}

/* Sector sizes, units and chunk agree; an error at the node that broke it. */
static int check_geometry(struct bo_yaml *y, const char *path, const struct fsim_geometry *g,
			  const struct geo_nodes *at)
{
	char kp[BO_YAML_PATH_MAX];
	for (uint32_t i = 0; i < g->region_count; i++) {
		const struct fsim_region *r = &g->regions[i];
		const char *unit = r->sector_size % g->write_unit ? "write" : "read";
		uint32_t u = r->sector_size % g->write_unit ? g->write_unit : g->read_unit;
		if (r->sector_size % u == 0)
			continue;
		/* At the sector size when the file gave it, else at the unit it changed. */
		yaml_node_t *n = at->region_size[i];
		if (n) {
			char rp[BO_YAML_PATH_MAX], rs[BO_YAML_PATH_MAX];
			bo_yaml_path_key(rs, sizeof rs, path, "regions");
			bo_yaml_path_index(rp, sizeof rp, rs, i);
			bo_yaml_path_key(kp, sizeof kp, rp, "size");
		} else {
			n = *unit == 'w' ? at->write_unit : at->read_unit;
			bo_yaml_path_key(kp, sizeof kp, path, *unit == 'w' ? "write_unit" : "read_unit");
		}
		return bo_yaml_error(y, n ? n : at->geometry, kp,
				     "sector size %u is not a multiple of the %s unit %u",
				     r->sector_size, unit, u);
	}
	if (g->program_chunk % g->write_unit) {
		bo_yaml_path_key(kp, sizeof kp, path, "program_chunk");
		return bo_yaml_error(y, at->program_chunk ? at->program_chunk : at->write_unit, kp,
				     "program chunk %u is not a multiple of the write unit %u",
				     g->program_chunk, g->write_unit);
	}
	char why[160];
	if (fsim_geometry_check(g, why, sizeof why))
		return bo_yaml_error(y, at->geometry, path, "%s", why);
	return 0;
}

int bo_geometry_load(struct bo_yaml *y, yaml_node_t *n, const char *path,
		     const struct fsim_geometry *preset, struct fsim_geometry *g)
{
	bool from_preset = preset != NULL;
	*g = preset ? *preset
		    : (struct fsim_geometry){.write_unit = 1, .read_unit = 1, .erase_value = 0xff,
					     .program_ns = DEFAULT_PROGRAM_NS,
					     .endurance = DEFAULT_ENDURANCE};
	static const char *const keys[] = {"regions",    "write_unit", "read_unit",
					   "erase_value", "erase_ms",   "program_us",
					   "program_chunk", "endurance", NULL};
	if (bo_yaml_map_check(y, n, path, keys))
		return -1;
	const struct fsim_geometry base = *g;
	struct geo_nodes at = {.geometry = n};
	char kp[BO_YAML_PATH_MAX];
	uint64_t v;
	yaml_node_t *f;
#define FIELD(key) (bo_yaml_path_key(kp, sizeof kp, path, key), f = bo_yaml_map_get(y, n, key))

	if (FIELD("write_unit") && get_unit(y, f, kp, &v))
		return -1;
	if ((at.write_unit = f))
		g->write_unit = (uint32_t)v;
	if (FIELD("read_unit") && get_unit(y, f, kp, &v))
		return -1;
	if ((at.read_unit = f))
		g->read_unit = (uint32_t)v;
	if (FIELD("erase_value")) {
		if (bo_yaml_uint(y, f, kp, 0, 0xff, &v))
			return -1;
		if (v != 0x00 && v != 0xff)
			return bo_yaml_error(y, f, kp,
					     "NOR flash erases to 0xff or 0x00, not 0x%02llx",
					     (unsigned long long)v);
		g->erase_value = (uint8_t)v;
	}
	uint32_t erase_us = 0;
	if (FIELD("erase_ms") && get_milli(y, f, kp, &erase_us))
		return -1;
	bool erase_given = f != NULL;
	if (FIELD("program_us") && get_milli(y, f, kp, &g->program_ns))
		return -1;
	if (FIELD("endurance")) {
		if (bo_yaml_uint(y, f, kp, 1, UINT32_MAX, &v))
			return -1;
		g->endurance = (uint32_t)v;
	}
	if (FIELD("program_chunk")) {
		if (bo_yaml_uint(y, f, kp, 1, 64 * KIB, &v))
			return -1;
		g->program_chunk = (uint32_t)v;
	} else if (!from_preset || g->program_chunk % g->write_unit) {
		g->program_chunk = g->write_unit;
	}
	at.program_chunk = f;
	if (FIELD("regions")) {
		at.regions = f;
		if (load_regions(y, f, kp, &base, erase_given ? &erase_us : NULL, g, &at))
			return -1;
	} else if (!from_preset) {
		return bo_yaml_map_need(y, n, path, "regions") ? 0 : -1;
	} else if (erase_given) {
		for (uint32_t r = 0; r < g->region_count; r++)
			g->regions[r].erase_us = erase_us;
	}
#undef FIELD
	return check_geometry(y, path, g, &at);
}
