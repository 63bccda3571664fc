/*
 * sim/scenario_diag.c: the common ways a rollout fails, named with what to change
 * (issue 14 point 5), from the run's counters once it is over: a relay storm, congestion,
 * a Distributor that lost power, a canary that halted the rollout. Each becomes a line of
 * bo_run_result.warnings (printed by `brownout run`) and an event of kind "warning".
 * Unreachable targets are warned about before the run (scenario_world.c, check_reach).
 * And, per target, where its last distribution ended (diag_note_end, diag_end_words): the
 * Distributor's update client's step, BLOB block and tries, or the Initiator's step, for
 * the reason a non-converged target's node row carries (scenario_run.c).
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

#define WORST_NODES 3

/* "node 12 dropped 340 (300 relayed), queued 1200; node 5 ...": the nodes that
 * dropped the most PDUs for lack of buffers (ties: the most queued, then node order). */
static void worst_congested(const struct bo_run_result *r, char *b, size_t n)
{
	size_t top[WORST_NODES], k = 0, len = 0;

	for (size_t i = 0; i < r->node_count; i++) {
		const struct bo_run_node *x = &r->nodes[i];
		size_t j;

		if (!x->pdus_dropped)
			continue;
		for (j = k; j > 0; j--) {
			const struct bo_run_node *y = &r->nodes[top[j - 1]];

			if (y->pdus_dropped > x->pdus_dropped ||
			    (y->pdus_dropped == x->pdus_dropped && y->pdus_queued >= x->pdus_queued))
				break;
			if (j < WORST_NODES)
				top[j] = top[j - 1];
		}
		if (j < WORST_NODES) {
			top[j] = i;
			if (k < WORST_NODES)
				k++;
		}
	}
	b[0] = '\0';
	for (size_t j = 0; j < k && len < n; j++) {
		const struct bo_run_node *x = &r->nodes[top[j]];

		len += (size_t)snprintf(b + len, n - len,
					"%snode %u dropped %llu (%llu relayed), queued %llu",
					j ? "; " : "", x->id, (unsigned long long)x->pdus_dropped,
					(unsigned long long)x->relay_dropped,
					(unsigned long long)x->pdus_queued);
	}
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
	if (dropped > 0.01) {
		char worst[256];

		worst_congested(r, worst, sizeof worst);
		warn(w,
		     "congestion: %llu PDUs (%.1f%%) dropped for lack of advertising or relay "
		     "buffers (mesh.adv_buffers %u, relay_buffers %u), %.0f%% of them relayed; "
		     "worst: %s (node rows: pdus_dropped, relay_dropped, pdus_queued, "
		     "queue_peak): %s",
		     (unsigned long long)t.dropped, 100.0 * dropped, s->mesh.adv_buffers,
		     s->mesh.relay_buffers, 100.0 * (double)t.dropped_relay / (double)t.dropped,
		     worst,
		     /* which pool overflows says what to change */
		     2 * t.dropped_relay >= t.dropped
			     ? "fewer relays, a lower TTL or more relay_buffers"
			     : "more adv_buffers, or a node sending less at once");
	}
	if (r->nodes && r->nodes[s->initiator.distributor].power_cuts)
		warn(w,
		     "the Distributor lost power %llu time%s (events 'power_cut'): its "
		     "targets waited while it was off, and its distributions resumed from "
		     "flash only once it was back",
		     (unsigned long long)r->nodes[s->initiator.distributor].power_cuts,
		     r->nodes[s->initiator.distributor].power_cuts == 1 ? "" : "s");
	if (w->halted)
		warn(w, "the canary failed (event 'rollout_halted'): the other targets were "
			"held; fix the image or raise initiator.rollout.canary.max_failed");
}

/* ---- where each target's last distribution ended (issue 14 point 5) ------------------ */

/* The update client's steps (enum bo_dfu_cli_state) as the messages they wait on. */
static const char *cli_step_name(uint8_t s)
{
	static const char *const names[] = {
		"idle", "Information Get", "Metadata Check", "Update Start", "BLOB transfer",
		"verification (Update Get)", "Apply", "confirmation after Apply", "done",
	};

	return s < sizeof names / sizeof names[0] ? names[s] : "an unknown step";
}

/* A Firmware Update status (enum bo_dfu_status), as a refusal's reason. */
static const char *dfu_status_name(uint8_t s)
{
	static const char *const names[] = {
		"success", "insufficient resources", "wrong phase", "internal error",
		"no such firmware index", "metadata check failed", "temporarily unavailable",
		"BLOB transfer busy",
	};

	return s < sizeof names / sizeof names[0] ? names[s] : "an unknown status";
}

/* A Firmware Update phase (enum bo_dfu_phase). */
static const char *dfu_phase_name(uint8_t p)
{
	static const char *const names[] = {
		"idle", "transfer error", "transfer active", "verify", "verify OK", "verify failed",
		"applying", "transfer canceled", "apply success", "apply failed", "unknown",
	};

	return p < sizeof names / sizeof names[0] ? names[p] : "unknown";
}

/* The BLOB client's steps (enum bo_blob_cli_state). */
static const char *blob_step_name(uint8_t s)
{
	static const char *const names[] = {
		"idle", "Information Get", "Transfer Start", "Block Start", "chunks", "pulled chunks",
		"Block Get", "Transfer Get", "Transfer Cancel", "suspended", "done",
	};

	return s < sizeof names / sizeof names[0] ? names[s] : "an unknown step";
}

/* The Initiator's states (enum bo_initiator_state). */
static const char *initiator_step_name(uint8_t s)
{
	static const char *const names[] = {
		"idle", "Upload Start", "the upload's BLOB transfer", "Upload Get", "Firmware Get",
		"Distribution Get (reset)", "Distribution Cancel (reset)", "Receivers Delete All",
		"Receivers Add", "Distribution Start", "Distribution Get (polling)",
		"Receivers Get", "the retry backoff", "Distribution Cancel", "done",
		"Distribution Suspend", "suspended", "Distribution Apply", "Upload Cancel",
	};

	return s < sizeof names / sizeof names[0] ? names[s] : "an unknown step";
}

/* What the Distributor's update client holds of target t: true, with rn's end_* set, when
 * its distribution concluded t. It holds the distribution the Receivers List reported,
 * unless a power cut poisoned it (then its state is not DONE) or it runs no more. */
static bool note_from_distributor(struct world *w, struct run_node *rn,
				  const struct bo_initiator_target *t)
{
	struct run_node *dn = &w->nodes[w->s->initiator.distributor];
	const struct bo_distributor *d = dn->v.dist;

	if (!d || !sim_vnode_running(&dn->v) || d->cli.state != BO_DFU_CLI_DONE ||
	    d->cli.ntargets > BO_DFU_CLI_TARGETS_MAX)
		return false;
	for (unsigned i = 0; i < d->cli.ntargets; i++) {
		const struct bo_dfu_cli_target *ct = &d->cli.targets[i];

		if (ct->addr != t->addr || ct->result == BO_DFU_CLI_PENDING)
			continue;
		rn->end_by = RUN_END_DISTRIBUTOR;
		rn->end_step = ct->end_step;
		rn->end_blob_step = ct->end_blob_step;
		rn->end_block = ct->end_block;
		rn->end_blocks = (uint16_t)d->cli.blob.block_count;
		rn->end_tries = ct->end_tries;
		rn->end_result = ct->result;
		rn->end_status = ct->status;
		rn->end_phase = ct->phase;
		return true;
	}
	return false;
}

void diag_note_round(struct world *w, struct run_node *rn, const struct bo_initiator *in,
		     const struct bo_initiator_target *t)
{
	/* A target concluded in this round is no longer in the Distributor's next
	 * distribution: its end is noted before that one starts. */
	if (in->round <= 1)
		rn->end_by = RUN_END_UNKNOWN; /* a new run: nothing of the last one */
	(void)note_from_distributor(w, rn, t);
}

void diag_note_end(struct world *w, struct run_node *rn, const struct bo_initiator *in,
		   const struct bo_initiator_target *t)
{
	if (t->in_round && t->result == BO_INITIATOR_LOST &&
	    in->end_state != BO_INITIATOR_RECV_GET) {
		/* the Initiator stopped before the Receivers List said anything of it */
		rn->end_by = RUN_END_INITIATOR;
		rn->end_step = in->end_state;
		rn->end_tries = in->end_tries;
		return;
	}
	/* Else the last round's distribution, or what an earlier round noted
	 * (diag_note_round); after the Distributor's power cut, the last phase only. */
	(void)note_from_distributor(w, rn, t);
}

void diag_end_words(const struct run_node *rn, char *b, size_t n)
{
	unsigned tries = rn->end_tries;

	b[0] = '\0';
	if (rn->end_by == RUN_END_INITIATOR) {
		/* its run ended there: the Distributor silent, refusing, or busy with another
		 * distribution (the Initiator's own retries, initiator.h) */
		snprintf(b, n, "the Initiator stopped at %s after %u tr%s",
			 initiator_step_name(rn->end_step), tries, tries == 1 ? "y" : "ies");
		return;
	}
	if (rn->end_by != RUN_END_DISTRIBUTOR)
		return;
	if (rn->result != BO_INITIATOR_LOST) {
		/* an answer concluded it (verify failed, reverted ...): the step says enough */
		if (rn->end_step == BO_DFU_CLI_BLOB)
			snprintf(b, n, "the Distributor concluded it in the BLOB transfer (%s)",
				 blob_step_name(rn->end_blob_step));
		else
			snprintf(b, n, "the Distributor concluded it at %s",
				 cli_step_name(rn->end_step));
		return;
	}
	if (rn->end_result == BO_DFU_CLI_REJECTED) {
		/* it answered, refusing (the Initiator retries a target busy with an earlier
		 * update, initiator.h): no give-up for silence */
		snprintf(b, n, "the target refused %s at try %u (%s, holding an update in phase %s)",
			 cli_step_name(rn->end_step), tries, dfu_status_name(rn->end_status),
			 dfu_phase_name(rn->end_phase));
		return;
	}
	if (rn->end_step == BO_DFU_CLI_BLOB &&
	    (rn->end_blob_step == BO_BLOB_CLI_BLOCK_START || rn->end_blob_step == BO_BLOB_CLI_CHUNKS ||
	     rn->end_blob_step == BO_BLOB_CLI_PULL || rn->end_blob_step == BO_BLOB_CLI_BLOCK_GET))
		snprintf(b, n, "the Distributor gave up in BLOB block %u of %u (%s) after %u tr%s",
			 rn->end_block + 1u, rn->end_blocks, blob_step_name(rn->end_blob_step), tries,
			 tries == 1 ? "y" : "ies");
	else if (rn->end_step == BO_DFU_CLI_BLOB)
		snprintf(b, n, "the Distributor gave up in the BLOB transfer (%s) after %u tr%s",
			 blob_step_name(rn->end_blob_step), tries, tries == 1 ? "y" : "ies");
	else
		snprintf(b, n, "the Distributor gave up at %s after %u tr%s",
			 cli_step_name(rn->end_step), tries, tries == 1 ? "y" : "ies");
}
