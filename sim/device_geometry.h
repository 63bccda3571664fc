/*
 * sim/device_geometry.h: a flash geometry from YAML (`geometry:` in a device section; keys
 * and defaults in sim/sweep_file.h), part of the device loader (sim/device_desc.h).
 */
#ifndef BO_SIM_DEVICE_GEOMETRY_H
#define BO_SIM_DEVICE_GEOMETRY_H

#include "flashsim/flashsim.h"
#include "sim/yaml_util.h"

/*
 * Load the geometry mapping n (key path path) into out: over a preset's geometry (preset
 * non-NULL: every key optional, each one overrides), or a whole part (preset NULL: regions
 * required, the documented defaults for the rest). Every field is checked, with the error
 * at the node that broke it; the result passes fsim_geometry_check. 0, or -1 with the
 * error recorded in y.
 */
int bo_geometry_load(struct bo_yaml *y, yaml_node_t *n, const char *path,
		     const struct fsim_geometry *preset, struct fsim_geometry *out);

#endif
