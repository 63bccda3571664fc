/* sim/flash_port.h: a flashsim device as core/'s struct bo_flash. */
#ifndef SIM_FLASH_PORT_H
#define SIM_FLASH_PORT_H

#include "core/port/flash.h"
#include "flashsim/flashsim.h"

/* Fill port so that core/ operates on dev. port keeps a pointer to dev. */
void sim_flash_port_init(struct bo_flash *port, struct fsim_device *dev);

/* The partition called name as a core flash area; -1 when dev has no such partition. */
int sim_flash_area(const struct bo_flash *port, const char *name, struct bo_flash_area *out);

/*
 * A device that lays several flash parts end to end (flashsim regions with values of their
 * own) needs one port per part: core/ reads write_unit and erase_value from the port of an
 * area. ports[r] is region r's; an area gets the port of the region its partition starts in
 * (a partition lies on one part). Offsets stay those of the whole device.
 */
struct sim_flash_ports {
	struct bo_flash port[FSIM_MAX_REGIONS];
	struct fsim_device *dev;
};
void sim_flash_ports_init(struct sim_flash_ports *ps, struct fsim_device *dev);
int sim_flash_ports_area(const struct sim_flash_ports *ps, const char *name,
			 struct bo_flash_area *out);

#endif
