/* Geometry checks and sizes. */
#include <stdarg.h>
#include <stdio.h>

#include "flashsim/internal.h"

void fsim_set_err(char *err, size_t errlen, const char *fmt, ...)
{
	if (!err || !errlen)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static bool is_pow2(uint32_t x)
{
	return x && !(x & (x - 1));
}

void fsim_region_props(const struct fsim_geometry *g, uint32_t region, struct fsim_props *out)
{
	const struct fsim_region *r = &g->regions[region < FSIM_MAX_REGIONS ? region : 0];
	out->write_unit = r->write_unit ? r->write_unit : g->write_unit;
	out->program_ns = r->program_ns ? r->program_ns : g->program_ns;
	out->erase_value = r->own_erase_value ? r->erase_value : g->erase_value;
	if (r->program_chunk) {
		out->program_chunk = r->program_chunk;
	} else {
		/* the device's chunk, a whole number of this region's units */
		uint32_t c = g->program_chunk ? g->program_chunk : g->write_unit;
		uint32_t wu = out->write_unit ? out->write_unit : 1;
		out->program_chunk = c ? (c + wu - 1) / wu * wu : wu;
	}
}

/* A region's own values that do not add up. */
static int check_region_props(const struct fsim_geometry *g, uint32_t i, char *err,
			      size_t errlen)
{
	const struct fsim_region *r = &g->regions[i];
	if (r->write_unit && !is_pow2(r->write_unit)) {
		fsim_set_err(err, errlen, "write unit %u of region %u is not a power of two",
			     r->write_unit, i);
		return FSIM_ERR_INVALID;
	}
	if (r->own_erase_value && r->erase_value != 0xff && r->erase_value != 0x00) {
		fsim_set_err(err, errlen,
			     "erase value 0x%02x of region %u is neither 0xff nor 0x00",
			     r->erase_value, i);
		return FSIM_ERR_INVALID;
	}
	uint32_t wu = r->write_unit ? r->write_unit : g->write_unit;
	if (r->program_chunk && r->program_chunk % wu) {
		fsim_set_err(err, errlen,
			     "program chunk %u of region %u is not a multiple of its write unit %u",
			     r->program_chunk, i, wu);
		return FSIM_ERR_INVALID;
	}
	return FSIM_OK;
}

int fsim_geometry_check(const struct fsim_geometry *g, char *err, size_t errlen)
{
	if (!g) {
		fsim_set_err(err, errlen, "no geometry");
		return FSIM_ERR_INVALID;
	}
	if (!is_pow2(g->write_unit)) {
		fsim_set_err(err, errlen, "write unit %u is not a power of two", g->write_unit);
		return FSIM_ERR_INVALID;
	}
	uint32_t read_unit = g->read_unit ? g->read_unit : 1;
	if (!is_pow2(read_unit)) {
		fsim_set_err(err, errlen, "read unit %u is not a power of two", g->read_unit);
		return FSIM_ERR_INVALID;
	}
	if (g->erase_value != 0xff && g->erase_value != 0x00) {
		fsim_set_err(err, errlen, "erase value 0x%02x is neither 0xff nor 0x00", g->erase_value);
		return FSIM_ERR_INVALID;
	}
	if (g->region_count == 0 || g->region_count > FSIM_MAX_REGIONS) {
		fsim_set_err(err, errlen, "sector region count %u is not in 1..%d", g->region_count,
			     FSIM_MAX_REGIONS);
		return FSIM_ERR_INVALID;
	}
	uint64_t total = 0;
	for (uint32_t i = 0; i < g->region_count; i++) {
		const struct fsim_region *r = &g->regions[i];
		if (r->count == 0 || r->sector_size == 0) {
			fsim_set_err(err, errlen, "sector region %u has zero %s", i,
				     r->count == 0 ? "sectors" : "sector size");
			return FSIM_ERR_INVALID;
		}
		if (check_region_props(g, i, err, errlen))
			return FSIM_ERR_INVALID;
		uint32_t wu = r->write_unit ? r->write_unit : g->write_unit;
		if (r->sector_size % wu) {
			fsim_set_err(err, errlen,
				     "sector size %u of region %u is not a multiple of the write unit %u",
				     r->sector_size, i, wu);
			return FSIM_ERR_INVALID;
		}
		if (r->sector_size % read_unit) {
			fsim_set_err(err, errlen,
				     "sector size %u of region %u is not a multiple of the read unit %u",
				     r->sector_size, i, read_unit);
			return FSIM_ERR_INVALID;
		}
		total += (uint64_t)r->count * r->sector_size;
	}
	if (total > UINT32_MAX) {
		fsim_set_err(err, errlen, "device size %llu exceeds 4 GiB", (unsigned long long)total);
		return FSIM_ERR_INVALID;
	}
	if (g->program_chunk && g->program_chunk % g->write_unit) {
		fsim_set_err(err, errlen, "program chunk %u is not a multiple of the write unit %u",
			     g->program_chunk, g->write_unit);
		return FSIM_ERR_INVALID;
	}
	return FSIM_OK;
}

uint32_t fsim_geometry_size(const struct fsim_geometry *g)
{
	uint64_t total = 0;
	for (uint32_t i = 0; i < g->region_count && i < FSIM_MAX_REGIONS; i++)
		total += (uint64_t)g->regions[i].count * g->regions[i].sector_size;
	return total > UINT32_MAX ? 0 : (uint32_t)total;
}

uint32_t fsim_geometry_sectors(const struct fsim_geometry *g)
{
	uint32_t n = 0;
	for (uint32_t i = 0; i < g->region_count && i < FSIM_MAX_REGIONS; i++)
		n += g->regions[i].count;
	return n;
}
