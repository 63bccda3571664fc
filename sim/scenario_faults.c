/* sim/scenario_faults.c: the scenario's faults on the event loop (scenario_world.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/dfu/blob_chunks.h"
#include "core/dfu/dfu_srv.h"
#include "sim/scenario_world.h"

#define CUT_FLASH_NTH_MAX 4u /* a cut inside the flash: one of the next few operations */

/* random(N) draws from the targets (the Distributor and relay-only nodes are named by id);
 * all and lists take what they say. Partial Fisher-Yates on a stream of the fault's own, so
 * adding a fault does not move another's selection. */
uint32_t faults_select(struct world *w, size_t k, uint32_t *out)
{
	const struct bo_scn_selector *sel = &w->s->faults[k].nodes;
	struct sim_rng rng;
	uint32_t n = 0, want;

	switch (sel->kind) {
	case BO_SEL_LIST:
		memcpy(out, sel->nodes, sel->count * sizeof *out);
		return sel->count;
	case BO_SEL_ALL:
		for (uint32_t i = 0; i < w->n; i++)
			out[n++] = i;
		return n;
	default:
		break;
	}
	for (uint32_t i = 0; i < w->n; i++)
		if (w->s->nodes[i].target && i != w->s->initiator.distributor)
			out[n++] = i;
	want = sel->kind == BO_SEL_RANDOM_COUNT ? sel->count
						 : (uint32_t)ceil(sel->percent * n / 100.0 - 1e-9);
	if (want > n)
		want = n;
	sim_rng_derive(&rng, w->seed, (uint32_t)k, RUN_RNG_SELECT);
	for (uint32_t i = 0; i < want; i++) {
		uint32_t j = i + (uint32_t)sim_rng_below(&rng, n - i);
		uint32_t t = out[i];

		out[i] = out[j];
		out[j] = t;
	}
	return want;
}

/* ---- cuts --------------------------------------------------------------------------- */

struct cut_ev {
	uint32_t node;
	uint32_t fault;  /* rate: the fault's index */
	uint64_t off_us;
};

static void cut_now(struct world *w, struct run_node *rn, uint64_t off_us, const char *why)
{
	rn->f.boot_cut_armed = false;
	world_event(w, rn->sn->id, BO_RUN_EV_PROGRESS, "fault", "power cut (%s)", why);
	sim_vnode_power_cut(&rn->v, off_us);
}

/* Power lost inside one of the node's next flash operations, torn or between. */
static void cut_in_flash(struct world *w, struct run_node *rn, uint64_t nth_max, uint64_t off_us,
			 const char *why)
{
	uint64_t nth = sim_rng_range(&rn->rng, 1, nth_max);
	bool torn = sim_rng_bernoulli(&rn->rng, 0.5);

	world_event(w, rn->sn->id, BO_RUN_EV_PROGRESS, "fault",
		    "power cut armed at flash operation +%llu, %s (%s)", (unsigned long long)nth,
		    torn ? "torn" : "between", why);
	sim_vnode_arm_flash_cut(&rn->v, nth, torn ? FSIM_CUT_TORN : FSIM_CUT_BETWEEN,
				sim_rng_u64(&rn->rng), off_us);
}

static void at_cut(struct sim_loop *loop, void *ctx, void *payload)
{
	struct world *w = ctx;
	struct cut_ev e;

	(void)loop;
	memcpy(&e, payload, sizeof e);
	cut_now(w, &w->nodes[e.node], e.off_us, "at");
}

static uint64_t exp_delay(struct run_node *rn, double per_hour)
{
	double u = sim_rng_double(&rn->rng);

	return (uint64_t)(-log(1.0 - u) / per_hour * 3600e6) + 1u;
}

static void rate_cut(struct sim_loop *loop, void *ctx, void *payload)
{
	struct world *w = ctx;
	struct cut_ev e;
	struct run_node *rn;
	const struct bo_scn_fault *f;

	memcpy(&e, payload, sizeof e);
	rn = &w->nodes[e.node];
	f = &w->s->faults[e.fault];
	cut_now(w, rn, e.off_us, "rate");
	if (f->max_cuts && ++rn->f.rate_cuts >= f->max_cuts)
		return;
	sim_schedule_in(loop, exp_delay(rn, f->rate_per_hour), rate_cut, w, &e, sizeof e);
}

/* ---- offline windows ------------------------------------------------------------------ */

static void offline_edge(struct sim_loop *loop, void *ctx, void *payload)
{
	struct world *w = ctx;
	struct cut_ev e;
	struct run_node *rn;
	bool off;

	(void)loop;
	memcpy(&e, payload, sizeof e);
	rn = &w->nodes[e.node];
	off = sim_now(&w->loop) < rn->f.offline_until && sim_now(&w->loop) >= rn->f.offline_from;
	world_event(w, rn->sn->id, BO_RUN_EV_PROGRESS, "fault", "radio %s", off ? "off" : "on");
	/* a node that is off or bricked stays off the network whatever its radio does */
	if (sim_vnode_running(&rn->v))
		mesh_node_set_online(w->net, rn->idx, !off);
}

/* ---- scheduling ------------------------------------------------------------------------ */

void faults_schedule(struct world *w)
{
	uint32_t *sel = malloc((w->n ? w->n : 1) * sizeof *sel);

	if (!sel) {
		w->oom = true;
		return;
	}
	for (size_t k = 0; k < w->s->fault_count; k++) {
		const struct bo_scn_fault *f = &w->s->faults[k];
		uint32_t n = faults_select(w, k, sel);

		for (uint32_t i = 0; i < n; i++) {
			struct run_node *rn = &w->nodes[sel[i]];
			struct cut_ev e = {sel[i], (uint32_t)k, f->off_us};

			if (f->kind == BO_FAULT_OFFLINE) {
				rn->f.offline_from = f->from_us;
				rn->f.offline_until = f->from_us + f->for_us;
				sim_schedule_at(&w->loop, f->from_us, offline_edge, w, &e, sizeof e);
				sim_schedule_at(&w->loop, f->from_us + f->for_us, offline_edge, w, &e,
						sizeof e);
				continue;
			}
			if (f->kind != BO_FAULT_POWER_CUT)
				continue; /* bad_image: the rollout's business */
			switch (f->when) {
			case BO_CUT_AT:
				sim_schedule_at(&w->loop, f->at_us, at_cut, w, &e, sizeof e);
				break;
			case BO_CUT_RATE:
				if (f->rate_per_hour > 0)
					sim_schedule_at(&w->loop, exp_delay(rn, f->rate_per_hour),
							rate_cut, w, &e, sizeof e);
				break;
			case BO_CUT_DURING:
				rn->f.during_off_us = f->off_us;
				if (f->during == BO_PHASE_TRANSFER) {
					rn->f.cut_transfer = true;
					rn->f.transfer_at = 0.05 + 0.9 * sim_rng_double(&rn->rng);
				} else if (f->during == BO_PHASE_VERIFY) {
					rn->f.cut_verify = true;
				} else if (f->during == BO_PHASE_APPLY) {
					rn->f.cut_apply = true;
				} else {
					rn->f.cut_boot = true;
				}
				break;
			}
		}
	}
	free(sel);
}

/* ---- cuts during a phase ---------------------------------------------------------------- */

/* Fraction of the BLOB a Target holds: stored blocks and the chunks of the current one (so
 * a cut point inside a block is reached, even in a BLOB of a few blocks). */
static double target_progress(struct sim_vnode *v)
{
	const struct bo_blob_srv *b = &v->srv->blob;
	double blocks, part = 0;

	if (b->x.size == 0)
		return 0;
	blocks = (double)(((uint64_t)b->x.size + (1u << b->x.block_size_log) - 1u) >>
			  b->x.block_size_log);
	if (b->phase == BO_BLOB_PHASE_WAITING_FOR_CHUNK && b->chunk_count)
		part = 1.0 - (double)bo_blob_bitmap_count(b->missing, sizeof b->missing,
							  b->chunk_count) /
				     b->chunk_count;
	return bo_blob_srv_progress(b) / 100.0 + part / blocks;
}

static double distributor_progress(struct sim_vnode *v)
{
	const struct bo_blob_cli *b = &v->dist->cli.blob;

	return b->block_count ? (double)b->block / b->block_count : 0.0;
}

static void target_phase_cuts(struct world *w, struct run_node *rn)
{
	struct run_node_faults *f = &rn->f;
	enum bo_dfu_phase ph = bo_dfu_srv_phase(rn->v.srv);

	if (f->cut_transfer && ph == BO_DFU_PHASE_TRANSFER_ACTIVE &&
	    target_progress(&rn->v) >= f->transfer_at) {
		f->cut_transfer = false;
		if (sim_rng_bernoulli(&rn->rng, 0.5))
			cut_now(w, rn, f->during_off_us, "during transfer");
		else
			cut_in_flash(w, rn, CUT_FLASH_NTH_MAX, f->during_off_us, "during transfer");
	} else if (f->cut_verify && (ph == BO_DFU_PHASE_VERIFY || ph == BO_DFU_PHASE_VERIFY_OK)) {
		f->cut_verify = false;
		cut_now(w, rn, f->during_off_us, "during verify");
	} else if (f->cut_apply && ph == BO_DFU_PHASE_APPLYING) {
		f->cut_apply = false;
		cut_in_flash(w, rn, CUT_FLASH_NTH_MAX, f->during_off_us, "during apply");
	}
}

static void distributor_phase_cuts(struct world *w, struct run_node *rn)
{
	struct run_node_faults *f = &rn->f;
	enum bo_dfu_cli_state st = bo_dfu_cli_state(&rn->v.dist->cli);

	if (f->cut_transfer && st == BO_DFU_CLI_BLOB &&
	    distributor_progress(&rn->v) >= f->transfer_at) {
		f->cut_transfer = false;
		cut_now(w, rn, f->during_off_us, "during transfer");
	} else if (f->cut_verify && st == BO_DFU_CLI_REFRESH) {
		f->cut_verify = false;
		cut_now(w, rn, f->during_off_us, "during verify");
	} else if (f->cut_apply && (st == BO_DFU_CLI_APPLY || st == BO_DFU_CLI_CONFIRM)) {
		f->cut_apply = false;
		cut_now(w, rn, f->during_off_us, "during apply");
	}
}

void faults_after_rx(struct world *w, struct run_node *rn)
{
	const struct run_node_faults *f = &rn->f;

	if (!(f->cut_transfer || f->cut_verify || f->cut_apply) || !sim_vnode_running(&rn->v) ||
	    !rn->v.dfu)
		return;
	if (rn->v.srv)
		target_phase_cuts(w, rn);
	else
		distributor_phase_cuts(w, rn);
}

/* Operations of one update in the bootloader: a swap moves every sector three times (about
 * 18 operations per sector, core/boot/README.md), an overwrite about 6. */
static uint64_t boot_ops(const struct run_node *rn)
{
	uint64_t len = rn->image >= 0 ? rn->w->fw[rn->image].len : 0;
	uint64_t sectors = len / rn->v.sector; /* whole sectors: the cut lands inside the copy */
	bool overwrite = rn->sn->strategy == BO_SWEEP_OVERWRITE ||
			 rn->sn->strategy == BO_SWEEP_RECOVERY;

	return 8u + (overwrite ? 6u : 18u) * sectors;
}

/* After a boot inside an offline window: the boot turned the radio on, turn it off. */
void faults_after_boot(struct world *w, struct run_node *rn)
{
	uint64_t now = sim_now(&w->loop);

	if (rn->f.boot_cut_armed) {
		/* the install took fewer operations than the point drawn: no cut this time
		 * (a cut left armed would fire in some later, unrelated write) */
		rn->f.boot_cut_armed = false;
		fsim_disarm_cut(rn->v.dev);
		world_event(w, rn->sn->id, BO_RUN_EV_PROGRESS, "fault",
			    "boot cut not reached: the install was shorter");
	}

	if (sim_vnode_running(&rn->v) && now >= rn->f.offline_from && now < rn->f.offline_until)
		mesh_node_set_online(w->net, rn->idx, false);
}

void faults_on_node_event(struct world *w, struct run_node *rn, enum sim_vnode_event ev)
{
	if (ev == SIM_VNODE_EV_POWER_CUT)
		rn->f.boot_cut_armed = false; /* it fired (or another cut came first) */
	/* the apply's reboot (not a crash-on-boot reset): the next operations are the
	 * bootloader's install */
	if (ev == SIM_VNODE_EV_REBOOT && rn->f.cut_boot && rn->v.dfu && rn->v.srv &&
	    bo_dfu_srv_phase(rn->v.srv) == BO_DFU_PHASE_APPLYING) {
		rn->f.cut_boot = false;
		rn->f.boot_cut_armed = true;
		cut_in_flash(w, rn, boot_ops(rn), rn->f.during_off_us, "during boot");
	}
}
