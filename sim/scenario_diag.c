/*
 * sim/scenario_diag.c: the common ways a rollout fails, named with what to change
 * (issue 14 point 5), from the run's counters once it is over: a relay storm, congestion,
 * a Distributor that lost power, a canary that halted the rollout. Each becomes a line of
 * bo_run_result.warnings (printed by `brownout run`) and an event of kind "warning".
 * Unreachable targets are warned about before the run (scenario_world.c, check_reach).
 */
#include <stdarg.h>
#include <stdio.h>

#include "sim/scenario_world.h"

static void warn(struct world *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct world *w, const char *fmt, ...)
{
	struct bo_run_result *r = w->r;
	char *line;
	va_list ap;

	if (r->warning_count >= BO_RUN_WARNINGS_MAX)
		return;
	line = r->warnings[r->warning_count++];
	va_start(ap, fmt);
	vsnprintf(line, BO_RUN_WARNING_LEN, fmt, ap);
	va_end(ap);
	world_event(w, -1, BO_RUN_EV_OUTCOME, "warning", "%s", line);
}

void diag_collect(struct world *w)
{
	const struct bo_scenario *s = w->s;
	struct bo_run_result *r = w->r;
	struct mesh_node_stats t;
	uint32_t relays = 0;
	double per_pdu, dropped;

	mesh_net_totals(w->net, &t);
	for (uint32_t i = 0; i < w->n; i++)
		relays += s->nodes[i].relay;
	/* Each PDU a node originates is relayed at most once by each relay while the network
	 * caches remember it; far more means the caches forget PDUs whose copies still
	 * arrive, and every forgotten copy is relayed again. */
	per_pdu = t.pdus_sent ? (double)t.pdus_relayed / (double)t.pdus_sent : 0;
	if (relays && per_pdu > 1.5 * relays)
		warn(w,
		     "relay storm: %.0f relayed PDUs per PDU sent with %u relays (at most %u "
		     "without one): the %u-entry network cache forgets PDUs while their copies "
		     "still arrive; raise mesh.cache_size (256) or turn relaying off on some nodes",
		     per_pdu, relays, relays, s->mesh.cache_size);
	/* of the PDUs a node tried to queue (its own, or accepted for relaying) */
	dropped = t.dropped ? (double)t.dropped /
				      (double)(t.pdus_sent + t.pdus_relayed + t.dropped)
			    : 0;
	if (dropped > 0.01)
		warn(w,
		     "congestion: %llu PDUs (%.1f%%) dropped for lack of advertising or relay "
		     "buffers (mesh.adv_buffers %u, relay_buffers %u): fewer relays, a lower TTL "
		     "or more buffers",
		     (unsigned long long)t.dropped, 100.0 * dropped, s->mesh.adv_buffers,
		     s->mesh.relay_buffers);
	if (r->nodes && r->nodes[s->initiator.distributor].power_cuts)
		warn(w,
		     "the Distributor lost power %llu time%s (events 'power_cut'): its "
		     "distributions resumed from flash, and its targets waited",
		     (unsigned long long)r->nodes[s->initiator.distributor].power_cuts,
		     r->nodes[s->initiator.distributor].power_cuts == 1 ? "" : "s");
	if (w->halted)
		warn(w, "the canary failed (event 'rollout_halted'): the other targets were "
			"held; fix the image or raise initiator.rollout.canary.max_failed");
}
