/* sim/scenario_rollout.c: the gateway's Initiator rolls the image out in waves
 * (scenario_world.h, scenario_run.h "Rollout"). */
#include <stdlib.h>
#include <string.h>

#include "core/dfu/dfd_msg.h"
#include "sim/scenario_world.h"

#define FIRST_WAVE_US 10000000u     /* the nodes have booted and settled */
#define NEXT_WAVE_US 1000000u       /* pause between waves */
#define DELETE_RETRY_US 5000000u    /* Firmware Delete All unanswered: send again */
#define DELETE_TRIES 10u
#define UPLOAD_CHUNK 256u           /* over the wired link */
#define UPLOAD_BLOCK_LOG 12u

static const char *const result_names[] = {
	"pending", "updated", "verified", "verify-failed", "reverted", "unbootable",
	"rejected", "refused-before", "lost", "cancelled",
};

const char *rollout_result_name(uint8_t r)
{
	return r < sizeof result_names / sizeof result_names[0] ? result_names[r] : "?";
}

static void wave_event(struct sim_loop *loop, void *ctx, void *payload);

static void initiator_round_done(void *ctx, struct bo_initiator *in)
{
	struct world *w = ctx;
	const struct run_wave *wv = &w->waves[w->wave];

	for (uint16_t i = 0; i < in->ntargets; i++)
		if (in->targets[i].in_round)
			diag_note_round(w, &w->nodes[w->wave_nodes[wv->first + i]], in,
					&in->targets[i]);
}

static void initiator_done(void *ctx, struct bo_initiator *in, bool success)
{
	struct world *w = ctx;
	const struct run_wave *wv = &w->waves[w->wave];

	w->rounds += in->round + 1u;
	for (uint16_t i = 0; i < in->ntargets; i++) {
		struct run_node *rn = &w->nodes[w->wave_nodes[wv->first + i]];

		rn->offers += in->targets[i].tries;
		rn->result = in->targets[i].result;
		rn->last_phase = in->targets[i].last.phase;
		diag_note_end(w, rn, in, &in->targets[i]);
		if (rn->result == BO_INITIATOR_VERIFY_FAILED || rn->result == BO_INITIATOR_REVERTED ||
		    rn->result == BO_INITIATOR_UNBOOTABLE)
			rn->refused_offers += in->targets[i].tries;
		world_event(w, rn->sn->id, BO_RUN_EV_PROGRESS, "verdict", "%s: %s after %u offers",
			    world_fw_name(w, wv->fw), rollout_result_name(rn->result),
			    in->targets[i].tries);
	}
	world_event(w, -1, BO_RUN_EV_PROGRESS, "wave_done", "wave %zu of %zu (%s): %s",
		    w->wave + 1, w->nwaves, world_fw_name(w, wv->fw),
		    success ? "every target done" : "some targets failed");
	w->wave++;
	/* not from inside the Initiator: the next start runs from the loop; after a canary,
	 * its soak first (judged then, canary_judge) */
	sim_schedule_in(&w->loop, wv->canary ? w->s->initiator.canary_soak_us : NEXT_WAVE_US,
			wave_event, w, NULL, 0);
}

/* After the canary's soak: a canary target failed if the Initiator did not report it
 * updated (or verified, for verify-only), or it no longer runs the image confirmed (it
 * reverted or was cut during the soak). More than max_failed: the rollout stops. */
static void canary_judge(struct world *w, const struct run_wave *wv)
{
	const struct bo_scn_initiator *ini = &w->s->initiator;
	uint32_t failed = 0;

	for (uint32_t i = 0; i < wv->count; i++) {
		struct run_node *rn = &w->nodes[w->wave_nodes[wv->first + i]];
		const struct sim_vnode_counters *c = sim_vnode_counters(&rn->v);
		bool ok = rn->result == BO_INITIATOR_UPDATED ||
			  rn->result == BO_INITIATOR_VERIFIED;

		if (ok && ini->policy == BO_POLICY_VERIFY_AND_APPLY)
			ok = c->running_fw == wv->fw && rn->first_ok[wv->fw] != UINT64_MAX;
		if (!ok) {
			failed++;
			world_event(w, rn->sn->id, BO_RUN_EV_PROGRESS, "canary_failed",
				    "%s: %s", world_fw_name(w, wv->fw),
				    rollout_result_name(rn->result));
		}
	}
	if (failed > ini->canary_max_failed) {
		w->halted = true;
		world_event(w, -1, BO_RUN_EV_OUTCOME, "rollout_halted",
			    "canary: %u of %u targets failed (max_failed %u): the other %zu waves "
			    "are not sent",
			    failed, wv->count, ini->canary_max_failed, w->nwaves - w->wave);
	} else {
		world_event(w, -1, BO_RUN_EV_PROGRESS, "canary_passed",
			    "canary: %u of %u targets failed (max_failed %u): the rollout goes on",
			    failed, wv->count, ini->canary_max_failed);
	}
}

void rollout_init(struct world *w)
{
	const struct bo_scenario *s = w->s;
	const struct bo_scn_initiator *ini = &s->initiator;
	struct bo_initiator_config c;
	uint32_t *sel = malloc((w->n ? w->n : 1) * sizeof *sel);
	int order[BO_SCN_MAX_FIRMWARE];
	size_t norder = 0;

	w->wave_nodes = calloc(w->n ? w->n : 1, sizeof *w->wave_nodes);
	w->waves = calloc(w->n ? w->n : 1, sizeof *w->waves);
	if (!sel || !w->wave_nodes || !w->waves) {
		free(sel);
		w->oom = true;
		return;
	}
	/* which image each target is offered: the Initiator's, or a bad_image fault's */
	for (uint32_t i = 0; i < w->n; i++)
		if (s->nodes[i].target && i != ini->distributor) {
			w->nodes[i].image = ini->image;
			w->targets++;
		}
	order[norder++] = ini->image;
	for (size_t k = 0; k < s->fault_count; k++) {
		const struct bo_scn_fault *f = &s->faults[k];
		uint32_t n;
		bool seen = false;

		if (f->kind != BO_FAULT_BAD_IMAGE)
			continue;
		n = faults_select(w, k, sel);
		for (uint32_t i = 0; i < n; i++)
			if (w->nodes[sel[i]].image != BO_SCN_NONE)
				w->nodes[sel[i]].image = f->firmware;
		for (size_t j = 0; j < norder; j++)
			seen |= order[j] == f->firmware;
		if (!seen)
			order[norder++] = f->firmware;
	}
	free(sel);
	/* waves: the canary first (initiator.rollout.canary: the listed targets of the image,
	 * or its first N in node order), then image by image, targets in node order,
	 * wave_size (default BO_RUN_WAVE_MAX) at a time */
	uint32_t k = 0, size = ini->wave_size ? ini->wave_size : BO_RUN_WAVE_MAX;
	bool *in_canary = calloc(w->n ? w->n : 1, sizeof *in_canary);

	if (!in_canary) {
		w->oom = true;
		return;
	}
	if (size > BO_RUN_WAVE_MAX)
		size = BO_RUN_WAVE_MAX;
	if (ini->canary) {
		struct run_wave *wv = &w->waves[0];

		wv->fw = ini->image;
		wv->canary = true;
		for (uint32_t i = 0; i < w->n && wv->count < BO_RUN_WAVE_MAX; i++) {
			if (w->nodes[i].image != ini->image)
				continue;
			if (ini->canary_count ? wv->count < ini->canary_count : s->nodes[i].canary) {
				in_canary[i] = true;
				w->wave_nodes[k++] = i;
				wv->count++;
			}
		}
		if (wv->count)
			w->nwaves++;
		else
			wv->canary = false;
	}
	for (size_t j = 0; j < norder; j++) {
		for (uint32_t i = 0; i < w->n; i++) {
			struct run_wave *wv = &w->waves[w->nwaves];

			if (w->nodes[i].image != order[j] || in_canary[i])
				continue;
			if (wv->count == 0) {
				wv->fw = order[j];
				wv->first = k;
			}
			w->wave_nodes[k++] = i;
			if (++wv->count == size)
				w->nwaves++;
		}
		if (w->waves[w->nwaves].count)
			w->nwaves++;
	}
	free(in_canary);

	memset(&c, 0, sizeof c);
	c.mesh = &w->gw.port;
	c.distributor = mesh_node_addr(ini->distributor);
	c.retries = (uint8_t)(ini->retries > 255 ? 255 : ini->retries);
	c.retry_backoff_us = ini->backoff_us;
	c.upload.block_size_log = UPLOAD_BLOCK_LOG;
	c.upload.chunk_size = UPLOAD_CHUNK;
	/* pace the upload at the link's speed (a chunk message and a little) */
	c.upload.chunk_interval_us = (uint64_t)(UPLOAD_CHUNK + 16u) * 1000000u /
					     (ini->link_throughput ? ini->link_throughput : 1u) +
				     1000u;
	c.cb = (struct bo_initiator_cb){w, initiator_done, initiator_round_done};
	bo_initiator_init(&w->in, &c);
}

/* ---- one wave ---------------------------------------------------------------------------- */

static void start_initiator(struct world *w)
{
	const struct bo_scn_initiator *ini = &w->s->initiator;
	const struct run_wave *wv = &w->waves[w->wave];
	const struct run_fw *f = &w->fw[wv->fw];
	uint16_t addrs[BO_RUN_WAVE_MAX];

	free(w->rf_buf);
	w->rf_buf = malloc(f->len);
	if (!w->rf_buf) {
		w->oom = true;
		return;
	}
	memcpy(w->rf_buf, f->bytes, f->len);
	bo_ramflash_init(&w->rf, w->rf_buf, f->len, 0, 1, 0xff);
	struct bo_initiator_image img = {
		.area = w->rf.area, .size = f->len, .fwid = f->fwid, .fwid_len = sizeof f->fwid,
		.metadata = f->md, .metadata_len = f->md_len,
		.blob_id = sim_rng_mix64(w->seed ^ (0x75706c6fULL << 32) ^ w->wave),
		.timeout_base = ini->timeout_base,
	};
	struct bo_initiator_dist dist = {
		.app_idx = 0, .ttl = ini->ttl, .timeout_base = ini->timeout_base,
		.mode = ini->mode == BO_XFER_PULL ? BO_BLOB_MODE_PULL : BO_BLOB_MODE_PUSH,
		.policy = ini->policy == BO_POLICY_VERIFY_ONLY ? BO_DFD_POLICY_VERIFY_ONLY
							     : BO_DFD_POLICY_VERIFY_AND_APPLY,
		.group = ini->group,
	};

	/* the distribution's group holds this wave's targets only (the operator subscribes
	 * them): the clients' group requests (Update Start, Apply ...) must not reach the
	 * targets of other waves */
	if (ini->group)
		for (uint32_t i = 0; i < w->n; i++)
			(void)mesh_node_unsubscribe(w->net, i, ini->group);
	for (uint32_t i = 0; i < wv->count; i++) {
		addrs[i] = mesh_node_addr(w->wave_nodes[wv->first + i]);
		w->nodes[w->wave_nodes[wv->first + i]].wave = (uint32_t)w->wave + 1u;
		if (ini->group)
			(void)mesh_node_subscribe(w->net, w->wave_nodes[wv->first + i], ini->group);
	}
	world_event(w, -1, BO_RUN_EV_PROGRESS, "wave", "wave %zu of %zu%s: %s to %u targets",
		    w->wave + 1, w->nwaves, wv->canary ? " (canary)" : "",
		    world_fw_name(w, wv->fw), wv->count);
	w->uploaded_fw = wv->fw;
	if (bo_initiator_start(&w->in, &img, &dist, addrs, NULL, wv->count)) {
		world_event(w, -1, BO_RUN_EV_PROGRESS, "wave_done", "wave %zu refused by the Initiator",
			    w->wave + 1);
		w->wave++;
		sim_schedule_in(&w->loop, NEXT_WAVE_US, wave_event, w, NULL, 0);
		return;
	}
	/* The outcome database's node.rx_start_us: the Distributor starts sending to them. */
	for (uint32_t i = 0; i < wv->count; i++) {
		struct run_node *rn = &w->nodes[w->wave_nodes[wv->first + i]];
		if (rn->rx_start_us == UINT64_MAX)
			rn->rx_start_us = sim_now(&w->loop);
	}
}

static void send_delete_all(struct world *w);

static void delete_timeout(struct sim_loop *loop, void *ctx, void *payload)
{
	struct world *w = ctx;

	(void)loop;
	(void)payload;
	w->delete_timer = SIM_HANDLE_NONE;
	if (!w->deleting)
		return;
	if (w->delete_tries >= DELETE_TRIES) {
		/* the Distributor is gone: the Initiator's own retries will say so */
		w->deleting = false;
		start_initiator(w);
		return;
	}
	send_delete_all(w);
}

/* The Distributor holds a different image in its one slot: end the finished distribution
 * and delete the image first (the operator's gateway does this before uploading another
 * build). The link keeps order: Cancel arrives before Delete All. */
static void send_delete_all(struct world *w)
{
	struct bo_mesh_tx tx = {.dst = mesh_node_addr(w->s->initiator.distributor), .app_idx = 0,
				.ttl = BO_MESH_TTL_DEFAULT};

	w->deleting = true;
	w->delete_tries++;
	(void)w->gw.port.send(w->gw.port.ctx, &tx, BO_OP_DFD_CANCEL, NULL, 0);
	(void)w->gw.port.send(w->gw.port.ctx, &tx, BO_OP_DFD_FW_DELETE_ALL, NULL, 0);
	w->delete_timer = sim_schedule_in(&w->loop, DELETE_RETRY_US, delete_timeout, w, NULL, 0);
}

/* The rollout is over and its last reboots and confirmations are done: the run ends. */
static void settle_stop(struct sim_loop *loop, void *ctx, void *payload)
{
	struct world *w = ctx;

	(void)payload;
	w->settled = true;
	sim_stop(loop);
}

static void wave_event(struct sim_loop *loop, void *ctx, void *payload)
{
	struct world *w = ctx;

	(void)payload;
	if (w->wave > 0 && w->waves[w->wave - 1].canary && !w->halted)
		canary_judge(w, &w->waves[w->wave - 1]);
	if (w->wave >= w->nwaves || w->halted) {
		w->rollout_done = true;
		w->rollout_done_us = sim_now(loop);
		world_event(w, -1, BO_RUN_EV_PROGRESS, "rollout_done", "%zu waves, %u distributions",
			    w->nwaves, w->rounds);
		sim_schedule_in(loop, BO_RUN_SETTLE_US, settle_stop, w, NULL, 0);
		return;
	}
	if (w->uploaded_fw != BO_SCN_NONE && w->uploaded_fw != w->waves[w->wave].fw) {
		w->delete_tries = 0;
		send_delete_all(w);
		return;
	}
	start_initiator(w);
}

void rollout_start(struct world *w)
{
	sim_schedule_at(&w->loop, FIRST_WAVE_US, wave_event, w, NULL, 0);
}

void rollout_gateway_rx(struct world *w, uint16_t src, uint16_t dst, const uint8_t *pdu,
			size_t len)
{
	struct bo_mesh_rx rx = {.src = src, .dst = dst, .app_idx = 0, .ttl = 0};
	const uint8_t *p;
	size_t plen;
	uint32_t op;

	if (sim_mesh_split(pdu, len, &op, &p, &plen))
		return;
	if (w->deleting) {
		struct bo_dfd_fw_status st;

		if (op == BO_OP_DFD_FW_STATUS && bo_dfd_fw_status_decode(p, plen, &st) == BO_DFU_OK &&
		    st.status == BO_DFD_SUCCESS) {
			w->deleting = false;
			sim_cancel(&w->loop, w->delete_timer);
			w->delete_timer = SIM_HANDLE_NONE;
			start_initiator(w);
		}
		return;
	}
	(void)bo_initiator_handle(&w->in, &rx, op, p, plen);
}
