/* sim/vnode.c: see vnode.h. */
#include "sim/vnode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/flash_port.h"

#define POISON 0xA5

struct vnode_msg {
	struct bo_mesh_rx rx;
	uint32_t opcode;
	const uint8_t *payload;
	size_t len;
};

static void emit(struct sim_vnode *n, enum sim_vnode_event ev)
{
	if (n->cfg.on_event)
		n->cfg.on_event(n->cfg.event_ctx, n, ev);
}

static void poison_ram(struct sim_vnode *n)
{
	memset(n->ws, POISON, sizeof *n->ws);
	memset(n->res, POISON, sizeof *n->res);
	if (n->srv)
		memset(n->srv, POISON, sizeof *n->srv);
	if (n->dist)
		memset(n->dist, POISON, sizeof *n->dist);
}

static void power_on_event(struct sim_loop *loop, void *ctx, void *payload);

static void cancel_watchdog(struct sim_vnode *n)
{
	if (n->wdt_ev != SIM_HANDLE_NONE)
		sim_cancel(n->cfg.loop, n->wdt_ev);
	n->wdt_ev = SIM_HANDLE_NONE;
}

/* Power is gone: off the network, timers forgotten, RAM poisoned; on again delay later. */
static void go_off(struct sim_vnode *n, uint64_t delay, bool cut)
{
	if (cut) {
		/* a node is powered while it runs (RUNNING, BRICKED) and while it boots (OFF, but
		 * inside its code: the bootloader) */
		if (n->state != SIM_VNODE_OFF || n->in_entry)
			n->c.power_cuts++;
	} else {
		n->c.reboots++;
	}
	emit(n, cut ? SIM_VNODE_EV_POWER_CUT : SIM_VNODE_EV_REBOOT);
	if (n->flash_cut_pending) {
		n->flash_cut_pending = false;
		emit(n, SIM_VNODE_EV_FLASH_CUT);
	}
	mesh_node_reset(n->cfg.net, n->cfg.node);
	mesh_node_set_online(n->cfg.net, n->cfg.node, false);
	sim_mesh_port_reset(&n->port);
	poison_ram(n);
	cancel_watchdog(n);
	n->state = SIM_VNODE_OFF;
	n->dfu = false;
	if (n->power_ev != SIM_HANDLE_NONE)
		sim_cancel(n->cfg.loop, n->power_ev);
	n->power_ev = sim_schedule_in(n->cfg.loop, delay, power_on_event, n, NULL, 0);
}

/* From inside an entry: leave the node's code at once (nothing after this runs). */
static _Noreturn void leave(struct sim_vnode *n, uint64_t delay, bool cut)
{
	n->resume_delay_us = delay;
	n->resume_is_cut = cut;
	longjmp(n->jb, 1);
}

static void on_flash_power_loss(void *ctx)
{
	struct sim_vnode *n = ctx;

	if (!n->in_entry) {
		fprintf(stderr, "vnode %u: flash power cut outside the node's code\n",
			(unsigned)n->cfg.node);
		abort();
	}
	n->c.flash_cuts++;
	n->flash_cut_pending = true;
	leave(n, n->cut_off_us, true);
}

typedef void (*entry_fn)(struct sim_vnode *n, const void *arg);

/* Every entry into the node's code: under setjmp, so a power loss lands here. */
static void enter(struct sim_vnode *n, entry_fn fn, const void *arg)
{
	if (n->in_entry) {
		fprintf(stderr, "vnode %u: nested entry\n", (unsigned)n->cfg.node);
		abort();
	}
	n->in_entry = true;
	if (setjmp(n->jb) == 0)
		fn(n, arg);
	else
		go_off(n, n->resume_delay_us, n->resume_is_cut);
	n->in_entry = false;
}

static struct bo_flash_area storage_sub(const struct sim_vnode *n, uint32_t first, uint32_t count)
{
	struct bo_flash_area a = {.flash = n->storage.flash,
				  .off = n->storage.off + first * n->sector,
				  .size = count * n->sector};
	return a;
}

static int fw_index(const struct sim_vnode *n, const struct bo_image_version *v)
{
	for (size_t i = 0; i < n->cfg.fw_count; i++)
		if (bo_version_cmp(&n->cfg.fw[i].version, v) == 0)
			return (int)i;
	return -1;
}

/* ---- the Target's apply ------------------------------------------------------------- */

static void tgt_apply(void *ctx, struct bo_dfu_srv *srv)
{
	struct sim_vnode *n = ctx;

	(void)srv;
	memset(n->ws, POISON, sizeof *n->ws);
	(void)bo_app_request_upgrade(n->ws, &n->boot_cfg, !n->cfg.test_upgrade);
	leave(n, SIM_VNODE_REBOOT_DELAY_US, false);
}

/* The DFU models, restored from flash; `confirmed`: the application confirmed its image
 * (or runs one confirmed already) and reports an update it rebooted into applied. */
static void start_models(struct sim_vnode *n, uint32_t data_limit, bool confirmed)
{
	if (n->cfg.role == SIM_VNODE_TARGET) {
		struct bo_dfu_srv_config c;

		memset(&c, 0, sizeof c);
		c.mesh = &n->port.port;
		c.timer_base = SIM_VNODE_TGT_DFU_TIMER;
		c.blob.mesh = &n->port.port;
		c.blob.storage = n->boot_cfg.upgrade;
		c.blob.state = storage_sub(n, 0, 2);
		c.blob.timer_base = SIM_VNODE_TGT_BLOB_TIMER;
		c.slot = n->boot_cfg.upgrade;
		c.verify_limit = data_limit;
		c.crypto = n->cfg.crypto;
		c.keys = n->cfg.keys;
		c.state = storage_sub(n, 2, 2);
		c.running = n->c.running;
		/* the bootloader went back from an image it tried: it reverted it, finished an
		 * interrupted swap (an install ends on the new image, so with another one
		 * running that was a revert), or fell to the recovery image */
		c.boot_reverted = n->res->action == BO_ACT_REVERTED ||
				  n->res->action == BO_ACT_RESUMED ||
				  n->res->slot == BO_SLOT_RECOVERY;
		c.apply_delay_us = n->cfg.apply_delay_us;
		c.cb = (struct bo_dfu_srv_cb){n, NULL, NULL, tgt_apply, NULL};
		bo_dfu_srv_init(n->srv, &c);
		(void)bo_dfu_srv_restore(n->srv);
		if (confirmed)
			(void)bo_dfu_srv_applied(n->srv); /* -1: no update awaited it */
	} else {
		struct bo_distributor_config c;

		memset(&c, 0, sizeof c);
		c.dfd.mesh = &n->port.port;
		c.dfd.slots[0].image = n->boot_cfg.upgrade;
		c.dfd.slots[0].state = storage_sub(n, 4, 2);
		c.dfd.slot_count = 1;
		c.dfd.state = storage_sub(n, 2, 2);
		c.dfd.blob.state = storage_sub(n, 0, 2);
		c.timer_base = SIM_VNODE_DIST_TIMER;
		c.block_size_log =
			(uint8_t)(n->cfg.dist_block_size_log ? n->cfg.dist_block_size_log : 12u);
		c.chunk_size = n->cfg.dist_chunk_size;
		c.chunk_interval_us = n->cfg.dist_chunk_interval_us;
		bo_distributor_init(n->dist, &c);
		(void)bo_distributor_restore(n->dist);
	}
	n->dfu = true;
}

/* ---- power-on ----------------------------------------------------------------------- */

static void watchdog_entry(struct sim_vnode *n, const void *arg)
{
	(void)arg;
	leave(n, SIM_VNODE_REBOOT_DELAY_US, false);
}

static void watchdog_event(struct sim_loop *loop, void *ctx, void *payload)
{
	struct sim_vnode *n = ctx;

	(void)loop;
	(void)payload;
	n->wdt_ev = SIM_HANDLE_NONE;
	if (n->state == SIM_VNODE_RUNNING)
		enter(n, watchdog_entry, NULL);
}

static void boot_entry(struct sim_vnode *n, const void *arg)
{
	enum bo_app_behaviour beh = BO_APP_GOOD;
	struct bo_flash_area area;
	uint32_t data_limit;

	(void)arg;
	memset(n->ws, POISON, sizeof *n->ws);
	memset(n->res, POISON, sizeof *n->res);
	bo_boot(n->ws, &n->boot_cfg, n->res); /* the result, even after a flash error, is res */
	n->c.boots++;
	n->c.confirmed = false;
	n->c.behaviour = -1;
	n->c.running_fw = -1;
	if (n->res->slot == BO_SLOT_NONE) { /* a flash error may still boot what verifies */
		n->c.slot = BO_SLOT_NONE;
		n->c.bricked = true;
		n->c.bricked_boots++;
		n->state = SIM_VNODE_BRICKED;
		emit(n, SIM_VNODE_EV_BRICKED);
		return;
	}
	n->c.bricked = false;
	n->c.slot = n->res->slot;
	/* A revert counts once: the boot that did it whole (REVERTED), or the boot that
	 * finished it after a power cut stopped the one that began it (RESUMED, and the image
	 * on trial no longer runs). A resumed install is not a revert, nor is a resume after
	 * a revert already counted (nothing on trial then). */
	n->c.reverted = n->res->action == BO_ACT_REVERTED ||
			(n->res->action == BO_ACT_RESUMED && n->trial_seen &&
			 n->res->slot == BO_SLOT_PRIMARY &&
			 bo_version_cmp(&n->res->image.hdr.version, &n->trial_version) != 0);
	if (n->c.reverted)
		n->c.reverts++;
	else if (n->res->action == BO_ACT_INSTALLED)
		n->c.installs++;
	if (n->res->slot == BO_SLOT_RECOVERY)
		n->c.recovery_boots++;
	n->c.running = n->res->image.hdr.version;
	n->trial_seen = n->res->slot == BO_SLOT_PRIMARY && n->res->trial;
	n->trial_version = n->c.running;
	n->c.running_fw = fw_index(n, &n->c.running);
	data_limit = n->ws->data_limit;
	area = n->res->slot == BO_SLOT_PRIMARY ? n->boot_cfg.primary : n->boot_cfg.recovery;
	if (bo_image_behaviour(&area, &n->res->image, &beh))
		beh = BO_APP_GOOD;
	n->c.behaviour = (int)beh;
	emit(n, SIM_VNODE_EV_BOOT);
	if (beh == BO_APP_CRASH_ON_BOOT)
		leave(n, SIM_VNODE_CRASH_DELAY_US, false); /* never online: dies before the stack */
	if (n->res->slot == BO_SLOT_PRIMARY) {
		struct bo_app_state st;

		if (beh != BO_APP_NO_CONFIRM) {
			memset(n->ws, POISON, sizeof *n->ws);
			(void)bo_app_confirm(n->ws, &n->boot_cfg);
		}
		memset(n->ws, POISON, sizeof *n->ws);
		if (bo_app_state(n->ws, &n->boot_cfg, &st) == 0)
			n->c.confirmed = st.confirmed;
		if (n->c.confirmed)
			n->trial_seen = false; /* no revert can follow */
	}
	if (n->c.confirmed && n->cfg.converge_fw >= 0 && n->c.running_fw == n->cfg.converge_fw &&
	    n->c.converged_us == UINT64_MAX) {
		n->c.converged_us = sim_now(n->cfg.loop);
		emit(n, SIM_VNODE_EV_CONVERGED);
	}
	n->state = SIM_VNODE_RUNNING;
	/* a no-confirm image on trial: its watchdog resets it (and its bootloader reverts or
	 * counts the attempt) */
	if (n->res->slot == BO_SLOT_PRIMARY && beh == BO_APP_NO_CONFIRM && !n->c.confirmed)
		n->wdt_ev = sim_schedule_in(n->cfg.loop, SIM_VNODE_WATCHDOG_US, watchdog_event, n,
					    NULL, 0);
	mesh_node_set_online(n->cfg.net, n->cfg.node, true);
	if (beh != BO_APP_NO_DFU)
		start_models(n, data_limit, n->c.confirmed);
}

static void power_on_event(struct sim_loop *loop, void *ctx, void *payload)
{
	struct sim_vnode *n = ctx;

	(void)loop;
	(void)payload;
	n->power_ev = SIM_HANDLE_NONE;
	enter(n, boot_entry, NULL);
}

/* ---- messages and timers ------------------------------------------------------------ */

static void rx_entry(struct sim_vnode *n, const void *arg)
{
	const struct vnode_msg *m = arg;

	if (n->cfg.role == SIM_VNODE_TARGET)
		(void)bo_dfu_srv_handle(n->srv, &m->rx, m->opcode, m->payload, m->len);
	else
		(void)bo_distributor_handle(n->dist, &m->rx, m->opcode, m->payload, m->len);
}

static void timer_entry(struct sim_vnode *n, const void *arg)
{
	uint32_t id = *(const uint32_t *)arg;

	if (n->cfg.role == SIM_VNODE_TARGET)
		(void)bo_dfu_srv_timer(n->srv, id);
	else
		(void)bo_distributor_timer(n->dist, id);
}

static void on_timer(void *user, uint32_t timer_id)
{
	struct sim_vnode *n = user;

	if (n->state != SIM_VNODE_RUNNING || !n->dfu)
		return;
	enter(n, timer_entry, &timer_id);
}

void sim_vnode_rx(struct sim_vnode *n, uint16_t src, uint16_t dst, uint8_t ttl,
		  const uint8_t *pdu, size_t len)
{
	struct vnode_msg m;

	if (n->state != SIM_VNODE_RUNNING || !n->dfu)
		return;
	memset(&m, 0, sizeof m);
	if (sim_mesh_split(pdu, len, &m.opcode, &m.payload, &m.len))
		return;
	m.rx.src = src;
	m.rx.dst = dst;
	m.rx.ttl = ttl;
	m.rx.app_idx = 0;
	sim_mesh_port_rx_begin(&n->port, src, dst);
	enter(n, rx_entry, &m);
	sim_mesh_port_rx_done(&n->port);
}

/* ---- life cycle --------------------------------------------------------------------- */

int sim_vnode_init(struct sim_vnode *n, const struct sim_vnode_config *cfg)
{
	const char *why = NULL;
	uint32_t start, size;

	memset(n, 0, sizeof *n);
	n->cfg = *cfg;
	n->c.running_fw = -1;
	n->c.behaviour = -1;
	n->c.converged_us = UINT64_MAX;
	if (!cfg->loop || !cfg->net || !cfg->initial || cfg->node >= mesh_net_count(cfg->net))
		return -1;
	n->dev = fsim_fork(cfg->initial);
	if (!n->dev)
		return -1;
	fsim_reset_stats(n->dev);
	fsim_set_power_loss_handler(n->dev, on_flash_power_loss, n);
	sim_flash_ports_init(&n->flash, n->dev);
	n->boot_cfg = (struct bo_boot_cfg){.strategy = cfg->strategy, .crypto = cfg->crypto,
					   .keys = cfg->keys, .attempts = cfg->attempts};
	if (sim_flash_ports_area(&n->flash, "primary", &n->boot_cfg.primary) ||
	    sim_flash_ports_area(&n->flash, "upgrade", &n->boot_cfg.upgrade) ||
	    sim_flash_ports_area(&n->flash, "storage", &n->storage))
		goto fail;
	if (sim_flash_ports_area(&n->flash, "scratch", &n->boot_cfg.scratch))
		n->boot_cfg.scratch = (struct bo_flash_area){0};
	if (sim_flash_ports_area(&n->flash, "recovery", &n->boot_cfg.recovery))
		n->boot_cfg.recovery = (struct bo_flash_area){0};
	if (sim_flash_ports_area(&n->flash, "status", &n->boot_cfg.status))
		n->boot_cfg.status = (struct bo_flash_area){0};
	if (fsim_sector_of(n->dev, n->storage.off, NULL, &start, &size) || start != n->storage.off)
		goto fail;
	n->sector = size;
	if (n->storage.size / size < SIM_VNODE_STORAGE_SECTORS)
		goto fail;
	n->ws = malloc(sizeof *n->ws);
	n->res = malloc(sizeof *n->res);
	if (!n->ws || !n->res)
		goto fail;
	if (cfg->role == SIM_VNODE_TARGET)
		n->srv = malloc(sizeof *n->srv);
	else
		n->dist = malloc(sizeof *n->dist);
	if (!n->srv && !n->dist)
		goto fail;
	poison_ram(n);
	if (bo_boot_check_config(n->ws, &n->boot_cfg, &why) != 0)
		goto fail;
	sim_mesh_port_init(&n->port, cfg->net, cfg->node, cfg->seed, on_timer, n);
	mesh_node_set_online(cfg->net, cfg->node, false);
	n->state = SIM_VNODE_OFF;
	return 0;
fail:
	sim_vnode_free(n);
	return -1;
}

void sim_vnode_free(struct sim_vnode *n)
{
	if (n->cfg.loop && n->power_ev != SIM_HANDLE_NONE)
		sim_cancel(n->cfg.loop, n->power_ev);
	if (n->cfg.loop)
		cancel_watchdog(n);
	if (n->port.loop)
		sim_mesh_port_reset(&n->port);
	fsim_destroy(n->dev);
	free(n->ws);
	free(n->res);
	free(n->srv);
	free(n->dist);
	memset(n, 0, sizeof *n);
}

void sim_vnode_power_on(struct sim_vnode *n)
{
	if (n->state != SIM_VNODE_OFF)
		return; /* already on (running or bricked): a power cut restarts it */
	if (n->power_ev != SIM_HANDLE_NONE)
		sim_cancel(n->cfg.loop, n->power_ev);
	n->power_ev = sim_schedule_in(n->cfg.loop, 0, power_on_event, n, NULL, 0);
}

void sim_vnode_power_cut(struct sim_vnode *n, uint64_t off_us)
{
	if (n->in_entry) {
		fprintf(stderr, "vnode %u: power cut from inside the node's code\n",
			(unsigned)n->cfg.node);
		abort();
	}
	go_off(n, off_us, true);
}

void sim_vnode_arm_flash_cut(struct sim_vnode *n, uint64_t nth, enum fsim_cut_mode mode,
			     uint64_t seed, uint64_t off_us)
{
	struct fsim_stats st;
	struct fsim_cut cut;

	fsim_get_stats(n->dev, &st);
	memset(&cut, 0, sizeof cut);
	cut.op_index = st.mutating_ops + (nth ? nth - 1u : 0u);
	cut.mode = mode;
	cut.variant = (uint32_t)seed;
	cut.seed = seed;
	n->cut_off_us = off_us;
	fsim_arm_cut(n->dev, &cut);
}

const struct sim_vnode_counters *sim_vnode_counters(struct sim_vnode *n)
{
	struct fsim_stats st;

	fsim_get_stats(n->dev, &st);
	n->c.flash_erases = st.erase_ops;
	n->c.flash_programs = st.program_ops;
	n->c.max_sector_erases = st.max_sector_erases;
	return &n->c;
}
