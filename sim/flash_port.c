/* Adapter: core/port/flash.h implemented by flashsim. */
#include "sim/flash_port.h"

static int port_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	return fsim_read(dev, off, buf, len) == FSIM_OK ? 0 : -1;
}

static int port_program(void *dev, uint32_t off, const void *buf, uint32_t len)
{
	return fsim_program(dev, off, buf, len) == FSIM_OK ? 0 : -1;
}

static int port_erase(void *dev, uint32_t off, uint32_t len)
{
	return fsim_erase(dev, off, len) == FSIM_OK ? 0 : -1;
}

static int port_sector(void *dev, uint32_t off, uint32_t *start, uint32_t *size)
{
	return fsim_sector_of(dev, off, NULL, start, size) == FSIM_OK ? 0 : -1;
}

void sim_flash_port_init(struct bo_flash *port, struct fsim_device *dev)
{
	const struct fsim_geometry *g = fsim_geometry(dev);
	*port = (struct bo_flash){
		.dev = dev,
		.read = port_read,
		.program = port_program,
		.erase = port_erase,
		.sector = port_sector,
		.write_unit = g->write_unit,
		.erase_value = g->erase_value,
	};
}

int sim_flash_area(const struct bo_flash *port, const char *name, struct bo_flash_area *out)
{
	const struct fsim_partition *p = fsim_partition_find(port->dev, name);
	if (!p)
		return -1;
	*out = (struct bo_flash_area){port, p->off, p->size};
	return 0;
}

void sim_flash_ports_init(struct sim_flash_ports *ps, struct fsim_device *dev)
{
	const struct fsim_geometry *g = fsim_geometry(dev);
	ps->dev = dev;
	for (uint32_t r = 0; r < FSIM_MAX_REGIONS; r++) {
		sim_flash_port_init(&ps->port[r], dev);
		if (r >= g->region_count)
			continue;
		struct fsim_props pr;
		fsim_region_props(g, r, &pr);
		ps->port[r].write_unit = pr.write_unit;
		ps->port[r].erase_value = pr.erase_value;
	}
}

int sim_flash_ports_area(const struct sim_flash_ports *ps, const char *name,
			 struct bo_flash_area *out)
{
	const struct fsim_partition *p = fsim_partition_find(ps->dev, name);
	if (!p)
		return -1;
	/* the region of the partition's first sector */
	const struct fsim_geometry *g = fsim_geometry(ps->dev);
	uint32_t r = 0, start = 0;
	while (r + 1 < g->region_count &&
	       p->off >= start + g->regions[r].count * g->regions[r].sector_size) {
		start += g->regions[r].count * g->regions[r].sector_size;
		r++;
	}
	*out = (struct bo_flash_area){&ps->port[r], p->off, p->size};
	return 0;
}
