/* sim/scenario_world.c: build and free the world of one scenario run (scenario_world.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dfu/dfu_srv.h"
#include "core/dfu/metadata.h"
#include "sim/scenario_reach.h"
#include "sim/scenario_world.h"

#define KIB 1024u

const char *world_fw_name(const struct world *w, int fw)
{
	return fw >= 0 && (size_t)fw < w->s->firmware_count ? w->s->firmware[fw].name : NULL;
}

void world_event(struct world *w, int64_t node, int level, const char *kind, const char *fmt, ...)
{
	struct bo_run_result *r = w->r;
	struct bo_run_event *e;
	va_list ap;

	if (level > w->o->max_event_level || w->oom)
		return;
	if (r->event_count == w->ev_cap) {
		size_t cap = w->ev_cap ? w->ev_cap * 2 : 256;
		struct bo_run_event *ev = realloc(r->events, cap * sizeof *ev);

		if (!ev) {
			w->oom = true;
			return;
		}
		r->events = ev;
		w->ev_cap = cap;
	}
	e = &r->events[r->event_count++];
	e->t_us = sim_now(&w->loop);
	e->node = node;
	e->level = level;
	snprintf(e->kind, sizeof e->kind, "%s", kind);
	va_start(ap, fmt);
	vsnprintf(e->detail, sizeof e->detail, fmt, ap);
	va_end(ap);
}

/* ---- images and initial flashes ------------------------------------------------------ */

static struct bo_image_version fw_version(const struct bo_sweep_image *im)
{
	return (struct bo_image_version){im->version.major, im->version.minor,
					 im->version.revision, im->version.build};
}

/* The initial device of (primary image, recovery image, strategy), built once. */
static struct run_device *device_for(struct world *w, const struct bo_scn_node *sn, char *err,
				     size_t errlen)
{
	const struct bo_scenario *s = w->s;
	struct run_device *d;

	for (size_t i = 0; i < w->ndevs; i++)
		if (w->devs[i].primary == sn->firmware && w->devs[i].recovery == sn->recovery &&
		    w->devs[i].strategy == sn->strategy)
			return &w->devs[i];
	/* Several flash devices: the sweep's device (bo_sweep_device_build) lays them end to
	 * end with each keeping its own values, and every node forks it; sim_vnode gives each
	 * partition the port of its flash device. */
	d = &w->devs[w->ndevs];
	memset(d, 0, sizeof *d);
	d->primary = sn->firmware;
	d->recovery = sn->recovery;
	d->strategy = sn->strategy;
	snprintf(d->sweep.file, sizeof d->sweep.file, "%s", s->file);
	snprintf(d->sweep.name, sizeof d->sweep.name, "%s", s->name);
	d->sweep.device = s->device;
	d->sweep.strategy = sn->strategy;
	d->sweep.attempts = s->attempts;
	d->sweep.allow_downgrade = s->allow_downgrade;
	memcpy(d->sweep.images, s->firmware, s->firmware_count * sizeof s->firmware[0]);
	d->sweep.image_count = s->firmware_count;
	for (int p = 0; p < BO_SWEEP_PART_COUNT; p++)
		d->sweep.initial[p] = BO_SWEEP_UNSET;
	d->sweep.initial[BO_SWEEP_PART_PRIMARY] = sn->firmware;
	if (sn->recovery != BO_SCN_NONE)
		d->sweep.initial[BO_SWEEP_PART_RECOVERY] = sn->recovery;
	if (bo_sweep_device_build(&d->sweep, &d->dev, err, errlen))
		return NULL;
	w->ndevs++;
	d->memo = malloc(sizeof *d->memo);
	if (!d->memo) {
		snprintf(err, errlen, "%s: out of memory", s->file);
		return NULL;
	}
	sim_crypto_memo_init(d->memo, &d->dev->crypto, &d->crypto);
	/* every image the Initiator may send must fit this device's upgrade slot */
	for (size_t i = 0; i < s->firmware_count; i++)
		if (d->dev->images[i].len > d->dev->data_limit) {
			snprintf(err, errlen,
				 "%s: firmware '%s' (%u bytes) does not fit the %s upgrade slot of "
				 "the %s nodes (%u bytes usable)",
				 s->file, s->firmware[i].name, d->dev->images[i].len, s->device.label,
				 bo_sweep_strategy_name(sn->strategy), d->dev->data_limit);
			return NULL;
		}
	return d;
}

static int build_firmware(struct world *w, char *err, size_t errlen)
{
	const struct bo_scenario *s = w->s;
	const struct bo_sweep_device *d = w->devs[0].dev;

	for (size_t i = 0; i < s->firmware_count; i++) {
		struct run_fw *f = &w->fw[i];
		struct bo_image_version v = fw_version(&s->firmware[i]);
		struct bo_dfu_metadata m = {
			.major = v.major, .minor = v.minor, .revision = v.revision, .build = v.build,
			.fw_size = d->images[i].len, .core_type = BO_DFU_CORE_APP,
			.comp_hash = 0, .elems = 1,
		};
		int n = bo_dfu_metadata_encode(&m, f->md, sizeof f->md);

		if (n < 0) {
			snprintf(err, errlen, "%s: firmware '%s' has no DFU metadata encoding",
				 s->file, s->firmware[i].name);
			return -1;
		}
		f->md_len = (size_t)n;
		f->bytes = d->images[i].bytes;
		f->len = d->images[i].len;
		bo_dfu_fwid_from_version(&v, f->fwid);
		w->vfw[i].version = v;
	}
	return 0;
}

/* ---- the network ---------------------------------------------------------------------- */

static int build_links(struct world *w, struct mesh_link **links, size_t *nl)
{
	const struct bo_scenario *s = w->s;
	const struct bo_scn_topology *t = &s->topology;

	if (t->kind == BO_TOPO_EXPLICIT) {
		*links = calloc(t->link_count ? t->link_count : 1, sizeof **links);
		if (!*links)
			return -1;
		/* node index by id, once (the loader checked every id), not a scan per link */
		uint32_t *index = malloc((BO_SCN_MAX_ID + 1u) * sizeof *index);

		if (!index)
			return -1;
		for (uint32_t i = 0; i < w->n; i++)
			index[s->nodes[i].id] = i;
		for (size_t i = 0; i < t->link_count; i++)
			(*links)[i] = (struct mesh_link){index[t->links[i].a], index[t->links[i].b],
							 1.0 - t->links[i].loss};
		free(index);
		*nl = t->link_count;
		return 0;
	}
	struct mesh_pos *pos = malloc(w->n * sizeof *pos);
	long n;

	if (!pos)
		return -1;
	for (uint32_t i = 0; i < w->n; i++)
		pos[i] = (struct mesh_pos){s->nodes[i].x, s->nodes[i].y};
	n = mesh_links_from_range(pos, w->n, t->range, t->loss, links);
	free(pos);
	if (n < 0)
		return -1;
	*nl = (size_t)n;
	return 0;
}

static void net_rx(void *user, struct mesh_net *net, uint32_t node, uint16_t src, uint16_t dst,
		   uint8_t ttl, const uint8_t *data, size_t len)
{
	struct world *w = user;
	struct run_node *rn;

	(void)net;
	if (node >= w->n)
		return; /* the gateway is not on the radio */
	rn = &w->nodes[node];
	sim_vnode_rx(&rn->v, src, dst, ttl, data, len);
	faults_after_rx(w, rn);
}

/* A send a node's model asked to hear about has left it: its port arms the model's timer
 * (the BLOB client's chunk pacing follows the bearer). */
static void net_tx_done(void *user, struct mesh_net *net, uint32_t node, uint16_t dst,
			uint64_t token, bool ok)
{
	struct world *w = user;

	(void)net;
	(void)dst;
	(void)ok;
	if (node < w->n)
		sim_mesh_port_sent(&w->nodes[node].v.port, token);
}

/* ---- the gateway link ------------------------------------------------------------------ */

static uint32_t distributor(const struct world *w)
{
	return w->s->initiator.distributor;
}

static bool dist_divert(void *ctx, uint32_t node, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct world *w = ctx;

	if (dst != mesh_node_addr(w->n))
		return false;
	(void)sim_link_send(&w->link, SIM_LINK_TO_GATEWAY, mesh_node_addr(node), dst, pdu, len);
	return true;
}

static bool gw_divert(void *ctx, uint32_t node, uint16_t dst, const uint8_t *pdu, size_t len)
{
	struct world *w = ctx;

	(void)sim_link_send(&w->link, SIM_LINK_TO_DISTRIBUTOR, mesh_node_addr(node), dst, pdu,
			    len);
	return true;
}

static void link_deliver(void *ctx, enum sim_link_dir dir, uint16_t src, uint16_t dst,
			 const uint8_t *pdu, size_t len)
{
	struct world *w = ctx;

	if (dir == SIM_LINK_TO_GATEWAY) {
		rollout_gateway_rx(w, src, dst, pdu, len);
	} else {
		struct run_node *rn = &w->nodes[distributor(w)];

		sim_vnode_rx(&rn->v, src, dst, 0, pdu, len);
		faults_after_rx(w, rn);
	}
}

static void gw_timer(void *user, uint32_t id)
{
	struct world *w = user;

	(void)bo_initiator_timer(&w->in, id);
}

/* ---- nodes ------------------------------------------------------------------------------ */

static const char *const ev_kind[] = {"boot", "bricked", "power_cut", "flash_cut", "reboot",
				      "converged"};

/* Right after a boot (its confirm done): what the node runs confirmed, and its radio. */
static void after_boot(struct sim_loop *loop, void *ctx, void *payload)
{
	struct run_node *rn = ctx;
	const struct sim_vnode_counters *c = &rn->v.c;

	(void)payload;
	if (sim_vnode_running(&rn->v) && c->confirmed && c->running_fw >= 0 &&
	    rn->first_ok[c->running_fw] == UINT64_MAX)
		rn->first_ok[c->running_fw] = sim_now(loop);
	faults_after_boot(rn->w, rn);
}

static void node_event(void *ctx, struct sim_vnode *v, enum sim_vnode_event ev)
{
	struct run_node *rn = ctx;
	struct world *w = rn->w;
	const struct sim_vnode_counters *c = &v->c;

	if (ev == SIM_VNODE_EV_BOOT)
		world_event(w, rn->sn->id, BO_RUN_EV_OUTCOME, ev_kind[ev], "%s from %s%s",
			    world_fw_name(w, c->running_fw) ? world_fw_name(w, c->running_fw)
							     : "unknown image",
			    c->slot == BO_SLOT_RECOVERY ? "recovery" : "primary",
			    c->reverted                          ? ", reverted"
			    : v->res->action == BO_ACT_INSTALLED ? ", installed"
								 : "");
	else
		world_event(w, rn->sn->id, BO_RUN_EV_OUTCOME, ev_kind[ev], "%s", "");
	if (ev == SIM_VNODE_EV_BOOT)
		sim_schedule_in(&w->loop, 0, after_boot, rn, NULL, 0);
	faults_on_node_event(w, rn, ev);
}

static enum sim_vnode_role vnode_role(const struct world *w, uint32_t i)
{
	return i == distributor(w) ? SIM_VNODE_DISTRIBUTOR : SIM_VNODE_TARGET;
}

static uint32_t log2_of(uint32_t v)
{
	uint32_t l = 0;

	while ((1u << l) < v)
		l++;
	return l;
}

static int build_nodes(struct world *w, char *err, size_t errlen)
{
	const struct bo_scenario *s = w->s;

	for (uint32_t i = 0; i < w->n; i++) {
		const struct bo_scn_node *sn = &s->nodes[i];
		struct run_node *rn = &w->nodes[i];
		struct run_device *d = device_for(w, sn, err, errlen);

		if (!d)
			return -1;
		rn->w = w;
		rn->idx = i;
		rn->sn = sn;
		rn->image = BO_SCN_NONE;
		for (size_t k = 0; k < BO_SCN_MAX_FIRMWARE; k++)
			rn->first_ok[k] = UINT64_MAX;
		rn->rx_start_us = UINT64_MAX;
		sim_rng_derive(&rn->rng, w->seed, i, RUN_RNG_FAULT);
		struct sim_vnode_config c = {
			.loop = &w->loop, .net = w->net, .node = i, .seed = w->seed,
			.role = vnode_role(w, i), .initial = d->dev->dev,
			.strategy = (enum bo_strategy)sn->strategy,
			.attempts = (uint8_t)s->attempts, .crypto = &d->crypto,
			.keys = &d->dev->keys,
			/* the Target asks for a test upgrade, as Zephyr's DFU does: the new image
			 * must confirm itself or the bootloader reverts it */
			.test_upgrade = true,
			.fw = w->vfw, .fw_count = s->firmware_count,
			.converge_fw = s->initiator.image,
			.dist_block_size_log = log2_of(s->initiator.block_size),
			.dist_chunk_size = (uint16_t)s->initiator.chunk_size,
			/* chunks follow the bearer: the port reports each send done */
			.dist_chunk_interval_us = 0,
			.on_event = node_event, .event_ctx = rn,
		};
		if (sim_vnode_init(&rn->v, &c)) {
			snprintf(err, errlen,
				 "%s: node %u cannot be built: the layout needs primary, upgrade and "
				 "a storage partition of at least %u sectors for the DFU records, "
				 "and a bootloader configuration %s accepts",
				 s->file, sn->id, SIM_VNODE_STORAGE_SECTORS,
				 bo_sweep_strategy_name(sn->strategy));
			return -1;
		}
		rn->v.port.port.send_done = 1;
		mesh_node_set_relay(w->net, i, sn->relay);
		if (s->initiator.group && vnode_role(w, i) == SIM_VNODE_TARGET)
			(void)mesh_node_subscribe(w->net, i, s->initiator.group);
		if (i == distributor(w)) {
			rn->v.port.divert = dist_divert;
			rn->v.port.divert_ctx = w;
		}
	}
	for (uint32_t i = 0; i < w->n; i++)
		sim_vnode_power_on(&w->nodes[i].v);
	return 0;
}

/* Hops from the Distributor along links, forwarding only through relay nodes (BFS over an
 * adjacency list built from the links). A PDU sent with TTL t reaches a node d hops away
 * when d <= t (each relay forwards TTL >= 2 with TTL - 1; TTL 0 is never relayed), and the
 * target's answers use the mesh's default TTL: a target beyond either can never be updated,
 * a plan error the run reports up front. */
static int check_reach(struct world *w, const struct mesh_link *links, size_t nl)
{
	const struct bo_scenario *s = w->s;
	uint32_t n = w->n, src = s->initiator.distributor, reach;
	uint32_t ttl = s->initiator.ttl < s->mesh.default_ttl ? s->initiator.ttl
							       : s->mesh.default_ttl;
	uint32_t *hops = malloc((n ? n : 1u) * sizeof *hops);

	if (!hops || bo_scenario_hops(s, links, nl, hops, &reach)) {
		free(hops);
		return -1;
	}
	for (uint32_t i = 0; i < n; i++) {
		struct run_node *rn = &w->nodes[i];

		rn->hops = hops[i];
		if (!s->nodes[i].target || i == src || rn->hops <= reach)
			continue;
		w->unreachable++;
		if (rn->hops == UINT32_MAX)
			world_event(w, s->nodes[i].id, BO_RUN_EV_OUTCOME, "unreachable",
				    "no relay path from the Distributor");
		else
			world_event(w, s->nodes[i].id, BO_RUN_EV_OUTCOME, "unreachable",
				    "%u hops from the Distributor, TTL %u reaches %u", rn->hops,
				    ttl, reach);
	}
	free(hops);
	return 0;
}

int world_build(struct world *w, char *err, size_t errlen)
{
	const struct bo_scenario *s = w->s;
	struct mesh_link *links = NULL;
	size_t nl = 0;

	w->n = (uint32_t)s->node_count;
	w->uploaded_fw = BO_SCN_NONE;
	w->devs = calloc(w->n ? w->n : 1, sizeof *w->devs);
	w->nodes = calloc(w->n ? w->n : 1, sizeof *w->nodes);
	if (!w->devs || !w->nodes)
		goto oom;
	if (!device_for(w, &s->nodes[0], err, errlen) || build_firmware(w, err, errlen))
		return -1;
	if (build_links(w, &links, &nl))
		goto oom;
	/* node n is the gateway: an address, no links, never on the radio */
	w->net = mesh_net_create(&w->loop, &s->mesh, w->n + 1u, links, nl, w->seed);
	if (check_reach(w, links, nl)) {
		free(links);
		goto oom;
	}
	free(links);
	if (!w->net)
		goto oom;
	mesh_net_set_callbacks(w->net, net_rx, net_tx_done, w);
	mesh_node_set_relay(w->net, w->n, false);
	mesh_node_set_online(w->net, w->n, false);
	if (build_nodes(w, err, errlen))
		return -1;
	sim_link_init(&w->link, &w->loop, s->initiator.link_latency_us,
		      s->initiator.link_throughput, link_deliver, w);
	sim_mesh_port_init(&w->gw, w->net, w->n, w->seed, gw_timer, w);
	w->gw.divert = gw_divert;
	w->gw.divert_ctx = w;
	return 0;
oom:
	snprintf(err, errlen, "%s: out of memory building %u nodes", s->file, w->n);
	return -1;
}

void world_free(struct world *w)
{
	for (uint32_t i = 0; w->nodes && i < w->n; i++)
		if (w->nodes[i].w)
			sim_vnode_free(&w->nodes[i].v);
	if (w->gw.loop)
		sim_mesh_port_reset(&w->gw);
	sim_loop_free(&w->loop);
	if (w->net)
		mesh_net_destroy(w->net);
	sim_link_free(&w->link);
	for (size_t i = 0; i < w->ndevs; i++) {
		if (w->devs[i].memo)
			sim_crypto_memo_free(w->devs[i].memo);
		free(w->devs[i].memo);
		bo_sweep_device_free(w->devs[i].dev);
	}
	free(w->devs);
	free(w->nodes);
	free(w->waves);
	free(w->wave_nodes);
	free(w->rf_buf);
	free(w->traced);
}
