/*
 * sim/scenario_reach.h: which targets a scenario's distribution can reach, from the file
 * alone (`brownout validate`) or over the links the runner built (scenario_world.c, the
 * same function): hops from the Distributor through relay nodes over the topology's
 * links (a link that never delivers is no path), against the reach of the distribution's
 * TTL (min of initiator.ttl and mesh.ttl; TTL 0 reaches one hop).
 */
#ifndef SIM_SCENARIO_REACH_H
#define SIM_SCENARIO_REACH_H

#include <stddef.h>
#include <stdint.h>

#include "sim/scenario_file.h"

/* hops[i] for every node (UINT32_MAX: no relay path), *reach the hops the TTL covers.
 * 0, or -1 out of memory. */
int bo_scenario_reach(const struct bo_scenario *s, uint32_t *hops, uint32_t *reach);
/* The same over links already built (node indexes of s). */
struct mesh_link;
int bo_scenario_hops(const struct bo_scenario *s, const struct mesh_link *links, size_t nl,
		     uint32_t *hops, uint32_t *reach);

#endif
