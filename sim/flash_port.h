/* sim/flash_port.h: a flashsim device as core/'s struct bo_flash. */
#ifndef SIM_FLASH_PORT_H
#define SIM_FLASH_PORT_H

#include "core/port/flash.h"
#include "flashsim/flashsim.h"

/* Fill port so that core/ operates on dev. port keeps a pointer to dev. */
void sim_flash_port_init(struct bo_flash *port, struct fsim_device *dev);

/* The partition called name as a core flash area; -1 when dev has no such partition. */
int sim_flash_area(const struct bo_flash *port, const char *name, struct bo_flash_area *out);

#endif
