/* sim/scenario_run.c: one scenario run: the loop and its outcomes (scenario_run.h). */
#include "sim/scenario_run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/scenario_world.h"

#define PROGRESS_US_DEFAULT 60000000u

/* ---- nodes ------------------------------------------------------------------------------ */

static const char *role_name(const struct world *w, uint32_t i)
{
	if (i == w->s->initiator.distributor)
		return "distributor";
	return w->s->nodes[i].role == BO_ROLE_RELAY_ONLY ? "relay" : "target";
}

static const char *slot_name(const struct sim_vnode_counters *c)
{
	return c->slot == BO_SLOT_PRIMARY ? "primary" : c->slot == BO_SLOT_RECOVERY ? "recovery"
										      : "none";
}

/* The Distributor's phase of a target as words (enum bo_dfu_phase). */
static const char *phase_name(uint8_t p)
{
	static const char *const names[] = {
		"idle",     "transfer error", "transferring", "verifying", "verified",
		"verify failed", "applying", "cancelled", "applied", "apply failed", "unknown",
	};

	return p < sizeof names / sizeof names[0] ? names[p] : "unknown";
}

/* Why a target did not converge, from what the run knows of it (issue 14 point 5): the
 * Initiator's verdict, its hops, its power cuts, the plan. */
static void not_converged_reason(const struct world *w, const struct run_node *rn,
				 struct bo_run_node *o, const struct sim_vnode_counters *c)
{
	const struct bo_scenario *s = w->s;
	uint32_t ttl = s->initiator.ttl < s->mesh.default_ttl ? s->initiator.ttl
							       : s->mesh.default_ttl;
	uint32_t reach = ttl == 0 ? 1u : ttl;
	char *b = o->reason;
	size_t n = sizeof o->reason;
	char where[160];

	diag_end_words(rn, where, sizeof where);

	if (rn->image != s->initiator.image)
		snprintf(b, n, "offered %s (a bad_image fault), not the rollout's image",
			 world_fw_name(w, rn->image));
	else if (o->bricked)
		snprintf(b, n, "bricked: its bootloader found nothing it may boot");
	else if (rn->hops == UINT32_MAX)
		snprintf(b, n, "unreachable: no relay path from the Distributor");
	else if (rn->hops > reach)
		snprintf(b, n, "unreachable: %u hops from the Distributor, TTL %u reaches %u",
			 rn->hops, ttl, reach);
	else if (w->halted && !rn->wave)
		snprintf(b, n, "held: the canary failed, the rollout stopped");
	else if (!rn->wave)
		snprintf(b, n, "never offered: the run ended (duration) before its wave");
	else if (!strcmp(o->result, "pending"))
		snprintf(b, n, "its wave %u was still running when the run ended (%u hop%s)",
			 rn->wave, rn->hops, rn->hops == 1 ? "" : "s");
	else
		/* lost to it: its transmissions missed on its own links (link loss,
		 * collisions, deaf while sending) */
		snprintf(b, n, "%s after %u offer%s (last phase %s)%s%s (%u hop%s, %llu "
			 "transmissions to it lost, %llu power cut%s)",
			 o->result, rn->offers, rn->offers == 1 ? "" : "s",
			 phase_name(rn->last_phase), where[0] ? ": " : "", where, rn->hops,
			 rn->hops == 1 ? "" : "s",
			 (unsigned long long)mesh_node_stats(w->net, rn->idx)->lost_to_me,
			 (unsigned long long)c->power_cuts, c->power_cuts == 1 ? "" : "s");
}

static void collect_nodes(struct world *w)
{
	struct bo_run_result *r = w->r;
	int img = w->s->initiator.image;

	for (uint32_t i = 0; i < w->n; i++) {
		struct run_node *rn = &w->nodes[i];
		const struct sim_vnode_counters *c = sim_vnode_counters(&rn->v);
		struct bo_run_node *o = &r->nodes[i];

		o->id = rn->sn->id;
		o->role = role_name(w, i);
		o->x = rn->sn->x;
		o->y = rn->sn->y;
		o->initial_fw = rn->sn->firmware;
		o->final_fw = sim_vnode_running(&rn->v) ? c->running_fw : BO_SCN_NONE;
		o->slot = sim_vnode_running(&rn->v) ? slot_name(c) : "none";
		o->target = rn->image != BO_SCN_NONE;
		o->confirmed = sim_vnode_running(&rn->v) && c->confirmed;
		o->bricked = c->bricked;
		o->converged_us = img >= 0 ? rn->first_ok[img] : UINT64_MAX;
		o->converged = o->target && o->converged_us != UINT64_MAX;
		o->boots = c->boots;
		o->power_cuts = c->power_cuts;
		o->flash_cuts = c->flash_cuts;
		o->reverts = c->reverts;
		o->recovery_boots = c->recovery_boots;
		o->installs = c->installs;
		o->flash_erases = c->flash_erases;
		o->flash_programs = c->flash_programs;
		o->max_sector_erases = c->max_sector_erases;
		o->offers = rn->offers;
		o->wave = rn->wave;
		o->result = o->target ? rollout_result_name(rn->result) : "-";
		if (o->target && w->halted && !rn->wave)
			o->result = "held"; /* a failed canary stopped the rollout first */
		o->hops = rn->hops;
		if (o->target && !o->converged)
			not_converged_reason(w, rn, o, c);
		o->rx_start_us = rn->rx_start_us;
		const struct mesh_node_stats *st = mesh_node_stats(w->net, i);
		o->pdus_queued = st->queued;
		o->queue_peak = st->queue_peak;
		o->pdus_dropped = st->dropped;
		o->relay_dropped = st->dropped_relay;
		if (o->target) {
			r->targets++;
			r->converged += o->converged;
		}
		r->bricked += o->bricked;
	}
	r->failed = r->targets - r->converged;
}

/* ---- convergence times --------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

double bo_run_percentile_s(const struct bo_run_result *r, double p)
{
	uint64_t *t = malloc((r->node_count ? r->node_count : 1) * sizeof *t);
	size_t n = 0, k;
	double v;

	if (!t)
		return -1;
	for (size_t i = 0; i < r->node_count; i++)
		if (r->nodes[i].converged)
			t[n++] = r->nodes[i].converged_us;
	if (n == 0) {
		free(t);
		return -1;
	}
	qsort(t, n, sizeof *t, cmp_u64);
	/* nearest rank */
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	k = k == 0 ? 0 : k - 1;
	if (k >= n)
		k = n - 1;
	v = (double)t[k] / 1e6;
	free(t);
	return v;
}

/* ---- expectations ------------------------------------------------------------------------ */

static void check_expect(struct world *w, const struct bo_scn_expect *e, struct bo_run_expect *x)
{
	const struct bo_run_result *r = w->r;
	char t[32];

	x->line = e->line;
	bo_scenario_format_duration(e->within_us, t, sizeof t);
	switch (e->kind) {
	case BO_EXPECT_CONVERGED: {
		uint32_t ok = 0, tg = 0;
		double need = e->fraction * r->targets;

		for (uint32_t i = 0; i < w->n; i++) {
			if (w->nodes[i].image == BO_SCN_NONE)
				continue;
			tg++;
			ok += w->nodes[i].first_ok[e->firmware] <= e->within_us;
		}
		snprintf(x->name, sizeof x->name, "converged");
		x->pass = tg > 0 ? ok + 1e-9 >= need : e->fraction <= 0;
		snprintf(x->observed, sizeof x->observed, "%u of %u targets run %s confirmed by %s",
			 ok, tg, world_fw_name(w, e->firmware), t);
		snprintf(x->expected, sizeof x->expected, "at least %.4g%% (%.2f targets)",
			 e->fraction * 100.0, need);
		break;
	}
	case BO_EXPECT_NO_BRICKED:
		snprintf(x->name, sizeof x->name, "no_bricked");
		x->pass = r->bricked == 0;
		snprintf(x->observed, sizeof x->observed, "%u bricked", r->bricked);
		snprintf(x->expected, sizeof x->expected, "0 bricked");
		break;
	case BO_EXPECT_MAX_DURATION: {
		char d[32];

		snprintf(x->name, sizeof x->name, "max_duration");
		x->pass = w->rollout_done && w->rollout_done_us <= e->within_us;
		if (w->rollout_done)
			bo_scenario_format_duration(w->rollout_done_us, d, sizeof d);
		snprintf(x->observed, sizeof x->observed, "rollout %s %s",
			 w->rollout_done ? "finished at" : "unfinished", w->rollout_done ? d : "");
		snprintf(x->expected, sizeof x->expected, "finished by %s", t);
		break;
	}
	case BO_EXPECT_MAX_OFFERS: {
		uint32_t most = 0;
		uint32_t who = 0;

		for (uint32_t i = 0; i < w->n; i++)
			if (w->nodes[i].refused_offers > most) {
				most = w->nodes[i].refused_offers;
				who = w->nodes[i].sn->id;
			}
		snprintf(x->name, sizeof x->name, "max_offers");
		x->pass = most <= e->max_offers;
		if (most)
			snprintf(x->observed, sizeof x->observed,
				 "a refused image offered %u times (node %u)", most, who);
		else
			snprintf(x->observed, sizeof x->observed, "no target refused an image");
		snprintf(x->expected, sizeof x->expected, "a refused image offered at most %u times",
			 e->max_offers);
		break;
	}
	}
}

/* ---- metrics ------------------------------------------------------------------------------ */

static void metric(struct bo_run_result *r, const char *name, double v)
{
	struct bo_run_metric *m = &r->metrics[r->metric_count++];

	snprintf(m->name, sizeof m->name, "%s", name);
	m->value = v;
}

static int cmp_metric(const void *a, const void *b)
{
	return strcmp(((const struct bo_run_metric *)a)->name,
		      ((const struct bo_run_metric *)b)->name);
}

#define METRICS_MAX 40 /* collect_metrics writes 30 */

static void collect_metrics(struct world *w)
{
	struct bo_run_result *r = w->r;
	struct mesh_node_stats t;
	double cuts = 0, flash_cuts = 0, reverts = 0, rec = 0, installs = 0, offers = 0;
	uint32_t most = 0;

	mesh_net_totals(w->net, &t);
	for (size_t i = 0; i < r->node_count; i++) {
		const struct bo_run_node *n = &r->nodes[i];

		cuts += (double)n->power_cuts;
		flash_cuts += (double)n->flash_cuts;
		reverts += (double)n->reverts;
		rec += (double)n->recovery_boots;
		installs += (double)n->installs;
		offers += n->offers;
		most = n->offers > most ? n->offers : most;
	}
	metric(r, "convergence_p50_s", bo_run_percentile_s(r, 50));
	metric(r, "convergence_p95_s", bo_run_percentile_s(r, 95));
	metric(r, "convergence_max_s", bo_run_percentile_s(r, 100));
	metric(r, "targets", r->targets);
	metric(r, "converged", r->converged);
	metric(r, "failed", r->failed);
	metric(r, "bricked", r->bricked);
	metric(r, "power_cuts", cuts);
	metric(r, "flash_cuts", flash_cuts);
	metric(r, "reverts", reverts);
	metric(r, "recovery_boots", rec);
	metric(r, "installs", installs);
	metric(r, "offers", offers);
	metric(r, "max_offers", most);
	metric(r, "waves", (double)w->nwaves);
	metric(r, "distributions", w->rounds);
	metric(r, "rollout_s", w->rollout_done ? (double)w->rollout_done_us / 1e6 : -1);
	metric(r, "initiator_done", w->rollout_done);
	metric(r, "sim_end_s", (double)r->sim_end_us / 1e6);
	metric(r, "sim_events", (double)r->sim_events);
	metric(r, "messages_sent", (double)t.msgs_sent);
	metric(r, "transmissions", (double)t.transmissions);
	metric(r, "pdus_relayed", (double)t.pdus_relayed);
	metric(r, "pdus_dropped", (double)t.dropped);
	metric(r, "pdus_lost", (double)t.lost);
	metric(r, "collisions", (double)t.collisions);
	metric(r, "segments_retransmitted", (double)t.seg_retransmitted);
	metric(r, "sar_failed", (double)t.sar_failed);
	metric(r, "gateway_messages", (double)w->link.messages);
	metric(r, "unreachable_targets", (double)w->unreachable);
	qsort(r->metrics, r->metric_count, sizeof *r->metrics, cmp_metric);
}

/* ---- the run ------------------------------------------------------------------------------ */

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void run_loop(struct world *w)
{
	const struct bo_run_opts *o = w->o;
	uint64_t end = w->s->duration_us;
	uint64_t step = o->progress_us ? o->progress_us : PROGRESS_US_DEFAULT;

	while (sim_now(&w->loop) < end) {
		uint64_t next = sim_now(&w->loop) + step;

		sim_run_until(&w->loop, next < end ? next : end);
		if (w->settled)
			break; /* the rollout is over and its last reboots are done */
		if (o->progress) {
			uint32_t conv = 0;
			int img = w->s->initiator.image;

			for (uint32_t i = 0; i < w->n; i++)
				conv += w->nodes[i].image != BO_SCN_NONE &&
					w->nodes[i].first_ok[img] != UINT64_MAX;
			o->progress(o->progress_ctx, w->seed, sim_now(&w->loop), end, conv,
				    w->targets);
		}
		if (o->stop && *o->stop) {
			w->r->stopped = true;
			break;
		}
		if (w->oom)
			break;
	}
}

int bo_scenario_run(const struct bo_scenario *s, const struct bo_run_opts *o,
		    struct bo_run_result *r, char *err, size_t errlen)
{
	struct world *w = calloc(1, sizeof *w);
	double t0 = wall_now();
	int rc = -1;

	memset(r, 0, sizeof *r);
	r->seed = o->seed;
	if (!w) {
		snprintf(err, errlen, "%s: out of memory", s->file);
		return -1;
	}
	w->s = s;
	w->o = o;
	w->r = r;
	w->seed = o->seed;
	sim_loop_init(&w->loop);
	if (world_build(w, err, errlen))
		goto out;
	if (trace_start(w))
		goto oom;
	faults_schedule(w);
	rollout_init(w);
	if (w->oom)
		goto oom;
	rollout_start(w);
	run_loop(w);
	trace_end(w);
	if (w->oom)
		goto oom;
	r->sim_end_us = sim_now(&w->loop);
	r->sim_events = w->loop.executed;
	r->initiator_done = w->rollout_done;
	r->unreachable = w->unreachable;
	r->node_count = w->n;
	r->nodes = calloc(w->n ? w->n : 1, sizeof *r->nodes);
	r->expect = calloc(s->expect_count ? s->expect_count : 1, sizeof *r->expect);
	r->metrics = calloc(METRICS_MAX, sizeof *r->metrics);
	if (!r->nodes || !r->expect || !r->metrics)
		goto oom;
	collect_nodes(w);
	for (uint32_t i = 0; o->on_node_flash && i < w->n; i++)
		o->on_node_flash(o->on_node_flash_ctx, o->seed, w->nodes[i].sn->id,
				 w->nodes[i].v.cfg.strategy, w->nodes[i].v.dev);
	r->pass = !r->stopped;
	for (size_t i = 0; i < s->expect_count; i++) {
		check_expect(w, &s->expect[i], &r->expect[i]);
		r->pass = r->pass && r->expect[i].pass;
	}
	r->expect_count = s->expect_count;
	collect_metrics(w);
	diag_collect(w);
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "%s: out of memory", s->file);
out:
	world_free(w);
	free(w);
	r->wall_s = wall_now() - t0;
	return rc;
}

void bo_run_result_free(struct bo_run_result *r)
{
	free(r->nodes);
	free(r->expect);
	free(r->metrics);
	free(r->events);
	memset(r, 0, sizeof *r);
}
