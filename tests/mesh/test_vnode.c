/*
 * tests/mesh/test_vnode.c: virtual nodes (sim/vnode.h) in a small world: an event loop, a
 * lossless mesh network of 5 nodes (node 0 the Distributor, 1-3 Targets sharing one
 * initial flash image copy-on-write, 4 a gateway on which the test drives core/dfu's
 * Initiator through a mesh port). A real signed image (trusted key seed 1) is distributed
 * to completion in virtual time: every Target runs it confirmed. Variants: a Target
 * power-cut mid-transfer, a Target losing power inside a flash operation mid-transfer
 * (also with every node relaying: a flooded network), a crash-on-boot image (reverted under
 * swap-scratch, recovery under the recovery strategy, never bricked), a no-confirm image
 * as a test upgrade (its watchdog resets it: reverted and REVERTED, never offered again,
 * under swap-scratch; the recovery image after the trial boots under recovery), and power
 * lost inside that revert (counted once, also when the next boot resumes it).
 *
 * Debug: VNODE_DEBUG=1 (results and counters), VNODE_TRACE=1 (messages, see rx_cb),
 * VNODE_RELAY=1 (every node relays in every test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/dfu/initiator.h"
#include "core/dfu/metadata.h"
#include "core/port/mbedtls/crypto_mbedtls.h"
#include "sim/imagegen.h"
#include "sim/vnode.h"

#define NVN 4          /* vnodes: 0 Distributor, 1..3 Targets */
#define GW 4u          /* the gateway's node index */
#define GROUP 0xc001u
#define PAYLOAD_LEN 20000u
#define TIMEOUT_BASE 2
#define UPLOAD_BLOB_ID 0x1122334455667788ull

static const struct fsim_partition parts[] = {
	{"boot", 0x00000, 0x0C000, true},      {"primary", 0x0C000, 0x6C000, false},
	{"upgrade", 0x78000, 0x6C000, false},  {"scratch", 0xE4000, 0x04000, false},
	{"recovery", 0xE8000, 0x10000, false}, {"storage", 0xF8000, 0x08000, false},
};

enum { FW_OLD = 0, FW_NEW = 1, FW_CRASH = 2, FW_NODFU = 3, FW_NOCONF = 4, FW_COUNT };

struct img {
	uint8_t *bytes;
	size_t len;
};

struct world {
	struct sim_loop loop;
	struct mesh_net *net;
	struct fsim_device *initial;
	struct bo_crypto_mbedtls cst;
	struct bo_crypto crypto;
	struct bo_signkey *key;
	uint8_t spki[BO_P256_SPKI_LEN];
	struct bo_key k;
	struct bo_keyring ring;
	struct sim_vnode_fw fw[FW_COUNT];
	struct img img[FW_COUNT];
	struct sim_vnode v[NVN];
	/* the gateway */
	struct sim_mesh_port gw;
	struct bo_initiator in;
	struct bo_initiator_config icfg;
	struct bo_ramflash rf;
	uint8_t *rf_buf;
	uint8_t md[BO_DFU_METADATA_MAXLEN];
	size_t md_len;
	uint8_t fwid[BO_DFU_FWID_LEN];
	unsigned done_calls;
	bool success;
	uint64_t cut_nth; /* CUT_FLASH: Target 1 loses power at its cut_nth next flash op */
	enum fsim_cut_mode cut_mode;
	/* the nodes' events */
	struct {
		uint64_t t;
		uint32_t node;
		int ev;
		int action; /* BOOT: the bootloader's action */
	} log[256];
	size_t nlog;
};

static void on_event(void *ctx, struct sim_vnode *n, enum sim_vnode_event ev)
{
	struct world *w = ctx;

	if (w->nlog < sizeof w->log / sizeof w->log[0]) {
		w->log[w->nlog].t = sim_now(&w->loop);
		w->log[w->nlog].node = n->cfg.node;
		w->log[w->nlog].ev = (int)ev;
		w->log[w->nlog].action = ev == SIM_VNODE_EV_BOOT ? (int)n->res->action : -1;
		w->nlog++;
	}
}

static size_t count_events(const struct world *w, uint32_t node, enum sim_vnode_event ev)
{
	size_t k = 0;

	for (size_t i = 0; i < w->nlog; i++)
		k += w->log[i].node == node && w->log[i].ev == (int)ev;
	return k;
}

static void make_image(struct world *w, int idx, uint8_t major, int behaviour)
{
	char err[BO_IMAGEGEN_ERRLEN];
	struct bo_imagegen_opts o;
	uint8_t *payload = malloc(PAYLOAD_LEN);

	assert_non_null(payload);
	bo_imagegen_fill_payload(payload, PAYLOAD_LEN, (uint64_t)idx + 1u);
	bo_imagegen_opts_init(&o);
	o.version = (struct bo_image_version){major, (uint8_t)idx, 0, 0};
	o.pad_header = true;
	o.behaviour = behaviour;
	assert_int_equal(bo_imagegen_build(&o, w->key, payload, PAYLOAD_LEN, &w->img[idx].bytes,
					   &w->img[idx].len, err, sizeof err),
			 0);
	w->fw[idx].version = o.version;
	free(payload);
}

static uint32_t trace_node(void)
{
	const char *s = getenv("VNODE_TRACE_NODE");

	return s ? (uint32_t)strtoul(s, NULL, 10) : 3u;
}

static void rx_cb(void *user, struct mesh_net *net, uint32_t node, uint16_t src, uint16_t dst,
		  uint8_t ttl, const uint8_t *data, size_t len)
{
	struct world *w = user;

	(void)net;
	/* VNODE_TRACE=1: what Target 3 (VNODE_TRACE_NODE=n: node n) hears, and what the
	 * Distributor hears from it */
	if (getenv("VNODE_TRACE") && len > 0 &&
	    (node == trace_node() || (node == 0 && src == mesh_node_addr(trace_node()))))
		fprintf(stderr, "t=%.3f node %u %04x->%04x op %02x %02x %02x len %zu\n",
			(double)sim_now(&w->loop) / 1e6, node, src, dst, data[0],
			len > 1 ? data[1] : 0, len > 2 ? data[2] : 0, len);
	if (node < NVN) {
		sim_vnode_rx(&w->v[node], src, dst, ttl, data, len);
	} else {
		struct bo_mesh_rx rx = {.src = src, .dst = dst, .app_idx = 0, .ttl = ttl};
		uint32_t op;
		const uint8_t *p;
		size_t plen;

		if (sim_mesh_split(data, len, &op, &p, &plen) == 0)
			(void)bo_initiator_handle(&w->in, &rx, op, p, plen);
	}
}

static void gw_timer(void *user, uint32_t id)
{
	struct world *w = user;

	(void)bo_initiator_timer(&w->in, id);
}

static void init_done(void *ctx, struct bo_initiator *in, bool success)
{
	struct world *w = ctx;

	(void)in;
	w->done_calls++;
	w->success = success;
}

/* The world: every node's flash forked from one initial device holding FW_OLD (primary and
 * recovery); the Initiator will distribute image `update`. relay: every node relays (they
 * all hear each other: the relays only flood the advertisers, ~10,000 dropped PDUs per
 * node). */
static struct world *world_new_relay(enum bo_strategy strategy, int update, bool test_upgrade,
				     bool relay)
{
	struct world *w = calloc(1, sizeof *w);
	char err[BO_IMAGEGEN_ERRLEN];
	struct fsim_geometry g;
	struct mesh_link links[7];
	size_t nl = 0;

	assert_non_null(w);
	sim_loop_init(&w->loop);
	bo_crypto_mbedtls_init(&w->cst, &w->crypto);
	assert_int_equal(bo_signkey_from_seed(1, &w->key, err, sizeof err), 0);
	assert_int_equal(bo_signkey_spki(w->key, w->spki), 0);
	bo_key_init(&w->k, w->spki, sizeof w->spki, &w->crypto);
	w->ring = (struct bo_keyring){&w->k, 1};
	make_image(w, FW_OLD, 1, -1);
	make_image(w, FW_NEW, 2, -1);
	make_image(w, FW_CRASH, 3, BO_APP_CRASH_ON_BOOT);
	make_image(w, FW_NODFU, 4, BO_APP_NO_DFU);
	make_image(w, FW_NOCONF, 5, BO_APP_NO_CONFIRM);

	assert_int_equal(fsim_preset("nrf52840", &g), 0);
	w->initial = fsim_create(&g, err, sizeof err);
	assert_non_null(w->initial);
	assert_int_equal(fsim_set_partitions(w->initial, parts, sizeof parts / sizeof parts[0], err,
					     sizeof err),
			 0);
	assert_int_equal(fsim_load_bytes(w->initial, 0x0C000, w->img[FW_OLD].bytes,
					 (uint32_t)w->img[FW_OLD].len),
			 0);
	assert_int_equal(fsim_load_bytes(w->initial, 0xE8000, w->img[FW_OLD].bytes,
					 (uint32_t)w->img[FW_OLD].len),
			 0);

	/* the vnodes hear each other; the gateway hears the Distributor only */
	for (uint32_t a = 0; a < NVN; a++)
		for (uint32_t b = a + 1; b < NVN; b++)
			links[nl++] = (struct mesh_link){a, b, 1.0};
	links[nl++] = (struct mesh_link){0, GW, 1.0};
	w->net = mesh_net_create(&w->loop, NULL, NVN + 1, links, nl, 1);
	assert_non_null(w->net);
	mesh_net_set_callbacks(w->net, rx_cb, NULL, w);

	for (uint32_t i = 0; i < NVN; i++) {
		struct sim_vnode_config c = {
			.loop = &w->loop, .net = w->net, .node = i, .seed = 1,
			.role = i == 0 ? SIM_VNODE_DISTRIBUTOR : SIM_VNODE_TARGET,
			.initial = w->initial, .strategy = strategy, .crypto = &w->crypto,
			.keys = &w->ring, .test_upgrade = test_upgrade, .fw = w->fw,
			.fw_count = FW_COUNT, .converge_fw = update, .dist_chunk_size = 88,
			.dist_chunk_interval_us = 1000000u, .on_event = on_event, .event_ctx = w,
		};

		assert_int_equal(sim_vnode_init(&w->v[i], &c), 0);
		if (!relay && !getenv("VNODE_RELAY"))
			mesh_node_set_relay(w->net, i, false);
		if (i > 0)
			assert_int_equal(mesh_node_subscribe(w->net, i, GROUP), 0);
	}
	/* copy-on-write: every node shares the initial image's sectors */
	assert_true(fsim_allocated_sectors(w->initial) > 0);
	for (uint32_t i = 0; i < NVN; i++) {
		assert_int_equal(fsim_shared_sectors(w->v[i].dev),
				 fsim_allocated_sectors(w->initial));
		sim_vnode_power_on(&w->v[i]);
	}

	/* the gateway's Initiator, its image in a RAM flash */
	sim_mesh_port_init(&w->gw, w->net, GW, 1, gw_timer, w);
	w->rf_buf = malloc(w->img[update].len);
	assert_non_null(w->rf_buf);
	bo_ramflash_init(&w->rf, w->rf_buf, (uint32_t)w->img[update].len, 0, 1, 0xff);
	memcpy(w->rf_buf, w->img[update].bytes, w->img[update].len);
	w->icfg.mesh = &w->gw.port;
	w->icfg.distributor = mesh_node_addr(0);
	w->icfg.retries = 2;
	w->icfg.poll_us = 2000000u;
	w->icfg.poll_max_us = 8000000u;
	w->icfg.retry_backoff_us = 2000000u;
	w->icfg.upload.block_size_log = 12;
	w->icfg.upload.chunk_size = 88;
	w->icfg.upload.chunk_interval_us = 700000u;
	w->icfg.cb = (struct bo_initiator_cb){w, init_done};
	bo_initiator_init(&w->in, &w->icfg);

	struct bo_dfu_metadata m = {
		.major = w->fw[update].version.major, .minor = w->fw[update].version.minor,
		.revision = w->fw[update].version.revision, .build = w->fw[update].version.build,
		.fw_size = (uint32_t)w->img[update].len, .core_type = BO_DFU_CORE_APP,
		.comp_hash = 0x12345678u, .elems = 1,
	};
	int n = bo_dfu_metadata_encode(&m, w->md, sizeof w->md);

	assert_true(n > 0);
	w->md_len = (size_t)n;
	bo_dfu_fwid_from_version(&w->fw[update].version, w->fwid);

	/* boot everybody */
	sim_run_until(&w->loop, SIM_S(1));
	for (uint32_t i = 0; i < NVN; i++) {
		const struct sim_vnode_counters *c = sim_vnode_counters(&w->v[i]);

		assert_true(sim_vnode_running(&w->v[i]));
		assert_int_equal(c->running_fw, FW_OLD);
		assert_true(c->confirmed);
		assert_int_equal(c->boots, 1);
	}

	struct bo_initiator_image img = {
		.area = w->rf.area, .size = (uint32_t)w->img[update].len,
		.fwid = w->fwid, .fwid_len = sizeof w->fwid,
		.metadata = w->md, .metadata_len = w->md_len,
		.blob_id = UPLOAD_BLOB_ID, .timeout_base = TIMEOUT_BASE,
	};
	struct bo_initiator_dist dist = {
		.app_idx = 0, .ttl = 5, .timeout_base = TIMEOUT_BASE, .mode = BO_BLOB_MODE_PUSH,
		.policy = BO_DFD_POLICY_VERIFY_AND_APPLY, .group = GROUP,
	};
	uint16_t addrs[NVN - 1];

	for (uint32_t i = 1; i < NVN; i++)
		addrs[i - 1] = mesh_node_addr(i);
	assert_int_equal(bo_initiator_start(&w->in, &img, &dist, addrs, NULL, NVN - 1), 0);
	return w;
}

static struct world *world_new(enum bo_strategy strategy, int update, bool test_upgrade)
{
	return world_new_relay(strategy, update, test_upgrade, false);
}

static void world_free(struct world *w)
{
	for (uint32_t i = 0; i < NVN; i++)
		sim_vnode_free(&w->v[i]);
	sim_mesh_port_reset(&w->gw);
	sim_loop_free(&w->loop);
	mesh_net_destroy(w->net);
	fsim_destroy(w->initial);
	for (int i = 0; i < FW_COUNT; i++)
		free(w->img[i].bytes);
	free(w->rf_buf);
	bo_signkey_free(w->key);
	bo_crypto_mbedtls_free(&w->cst);
	free(w);
}

/* Target t's BLOB progress when it is receiving (0 otherwise). */
static unsigned progress(struct world *w, uint32_t t)
{
	struct sim_vnode *v = &w->v[t];

	if (!sim_vnode_running(v) || !v->dfu ||
	    bo_dfu_srv_phase(v->srv) != BO_DFU_PHASE_TRANSFER_ACTIVE)
		return 0;
	return bo_blob_srv_progress(&v->srv->blob);
}

enum cut_kind { CUT_NONE, CUT_POWER, CUT_FLASH, CUT_DIST, CUT_APPLY, CUT_REVERT };

/* Run until the Initiator is done (or 2 h of virtual time); with a cut of Target 1 once it
 * stored a third of the image. */
static void run(struct world *w, enum cut_kind cut)
{
	bool cut_done = cut == CUT_NONE;

	while (w->done_calls == 0 && sim_now(&w->loop) < SIM_S(7200)) {
		if (!sim_step(&w->loop))
			break;
		if (!cut_done && cut == CUT_DIST && w->v[0].dfu &&
		    bo_dfu_cli_state(&w->v[0].dist->cli) == BO_DFU_CLI_BLOB &&
		    w->v[0].dist->cli.blob.block >= 2) {
			cut_done = true;
			sim_vnode_power_cut(&w->v[0], SIM_S(5));
			/* its RAM is poisoned, it is off the network */
			assert_int_equal(((const uint8_t *)w->v[0].dist)[0], 0xA5);
			assert_int_equal(((const uint8_t *)w->v[0].dist)[sizeof *w->v[0].dist - 1],
					 0xA5);
			assert_false(mesh_node_online(w->net, 0));
			assert_false(sim_vnode_running(&w->v[0]));
		}
		if (!cut_done && cut == CUT_APPLY && sim_vnode_running(&w->v[1]) && w->v[1].dfu &&
		    bo_dfu_srv_phase(w->v[1].srv) == BO_DFU_PHASE_APPLYING) {
			/* it answered the Apply APPLYING: power lost inside one of the apply's
			 * flash operations (the upgrade request) */
			cut_done = true;
			sim_vnode_arm_flash_cut(&w->v[1], w->cut_nth, w->cut_mode, 7, SIM_S(2));
		}
		if (!cut_done && cut == CUT_REVERT && sim_vnode_running(&w->v[1]) &&
		    sim_vnode_counters(&w->v[1])->running_fw == FW_NOCONF) {
			/* it runs the no-confirm image on trial: the watchdog's reset comes next,
			 * and its bootloader's revert; power is lost inside that */
			cut_done = true;
			sim_vnode_arm_flash_cut(&w->v[1], w->cut_nth, w->cut_mode, 7, SIM_S(2));
		}
		if (!cut_done && cut != CUT_DIST && cut != CUT_APPLY && cut != CUT_REVERT &&
		    progress(w, 1) >= 30) {
			cut_done = true;
			if (cut == CUT_POWER)
				sim_vnode_power_cut(&w->v[1], SIM_S(2));
			else
				sim_vnode_arm_flash_cut(&w->v[1], w->cut_nth, w->cut_mode, 7,
							SIM_S(2));
		}
	}
	/* let the last reboots and confirmations settle */
	sim_run_until(&w->loop, sim_now(&w->loop) + SIM_S(30));
	assert_true(cut_done);
	if (getenv("VNODE_DEBUG"))
	{
		fprintf(stderr, "done %u success %d at %.1f s, initiator state %d, dist phase %d "
			"upload %d\n", w->done_calls, w->success, (double)sim_now(&w->loop) / 1e6,
			bo_initiator_state(&w->in),
			w->v[0].dfu ? (int)bo_distributor_phase(w->v[0].dist) : -1,
			w->v[0].dfu ? (int)bo_dfd_srv_upload_phase(&w->v[0].dist->dfd) : -1);
		for (uint32_t i = 0; i + 1 < NVN; i++)
			fprintf(stderr, "  target %u: result %u tries %u phase %u status %u\n", i,
				w->in.targets[i].result, w->in.targets[i].tries,
				w->in.targets[i].last.phase, w->in.targets[i].last.update_status);
		for (uint32_t i = 0; i < NVN; i++) {
			const struct sim_vnode_counters *c = sim_vnode_counters(&w->v[i]);

			fprintf(stderr, "  node %u: fw %d slot %d conf %d boots %llu cuts %llu "
				"flash cuts %llu reboots %llu installs %llu reverts %llu\n", i,
				c->running_fw, c->slot, c->confirmed,
				(unsigned long long)c->boots, (unsigned long long)c->power_cuts,
				(unsigned long long)c->flash_cuts,
				(unsigned long long)c->reboots, (unsigned long long)c->installs,
				(unsigned long long)c->reverts);
			const struct mesh_node_stats *ms = mesh_node_stats(w->net, i);
			fprintf(stderr, "    mesh: sent %llu dropped %llu sar_failed %llu refused "
				"%llu relayed %llu\n",
				(unsigned long long)ms->msgs_sent, (unsigned long long)ms->dropped,
				(unsigned long long)ms->sar_failed,
				(unsigned long long)w->v[i].port.refused,
				(unsigned long long)ms->pdus_relayed);
		}
	}
}

/* Every Target runs the new image confirmed, and the Initiator says so. */
static void assert_all_updated(struct world *w)
{
	assert_int_equal(w->done_calls, 1);
	assert_true(w->success);
	for (uint32_t i = 1; i < NVN; i++) {
		const struct sim_vnode_counters *c = sim_vnode_counters(&w->v[i]);

		assert_int_equal(w->in.targets[i - 1].result, BO_INITIATOR_UPDATED);
		assert_true(sim_vnode_running(&w->v[i]));
		assert_int_equal(c->running_fw, FW_NEW);
		assert_true(c->confirmed);
		assert_false(c->bricked);
		assert_true(c->converged_us != UINT64_MAX);
		assert_true(c->installs >= 1);
		assert_true(c->flash_erases > 0 && c->flash_programs > 0);
		assert_true(c->max_sector_erases >= 1);
	}
	/* the Distributor still runs its own image */
	assert_int_equal(sim_vnode_counters(&w->v[0])->running_fw, FW_OLD);
}

/* The update, twice: the same events at the same times, the same counters. */
static void test_update(void **state)
{
	struct world *w = world_new(BO_STRATEGY_OVERWRITE, FW_NEW, false);
	struct world *w2 = world_new(BO_STRATEGY_OVERWRITE, FW_NEW, false);

	(void)state;
	run(w, CUT_NONE);
	run(w2, CUT_NONE);
	assert_all_updated(w);
	for (uint32_t i = 1; i < NVN; i++) {
		const struct sim_vnode_counters *c = sim_vnode_counters(&w->v[i]);
		const struct sim_vnode_counters *c2 = sim_vnode_counters(&w2->v[i]);

		assert_int_equal(c->power_cuts, 0);
		assert_int_equal(count_events(w, i, SIM_VNODE_EV_BOOT), 2);
		assert_int_equal(count_events(w, i, SIM_VNODE_EV_REBOOT), 1);
		assert_int_equal(count_events(w, i, SIM_VNODE_EV_CONVERGED), 1);
		assert_int_equal(c->converged_us, c2->converged_us);
		assert_int_equal(c->flash_erases, c2->flash_erases);
		assert_int_equal(c->flash_programs, c2->flash_programs);
	}
	assert_int_equal(w->nlog, w2->nlog);
	assert_memory_equal(w->log, w2->log, w->nlog * sizeof w->log[0]);
	assert_int_equal(sim_now(&w->loop), sim_now(&w2->loop));
	world_free(w);
	world_free(w2);
}

static void test_power_cut_mid_transfer(void **state)
{
	struct world *w = world_new(BO_STRATEGY_SWAP_SCRATCH, FW_NEW, false);

	(void)state;
	run(w, CUT_POWER);
	assert_all_updated(w);
	assert_int_equal(sim_vnode_counters(&w->v[1])->power_cuts, 1);
	assert_int_equal(sim_vnode_counters(&w->v[1])->flash_cuts, 0);
	world_free(w);
}

static void flash_cut(uint64_t nth, enum fsim_cut_mode mode, bool relay)
{
	struct world *w = world_new_relay(BO_STRATEGY_OVERWRITE, FW_NEW, false, relay);

	w->cut_nth = nth;
	w->cut_mode = mode;
	run(w, CUT_FLASH);
	/* Relaying (a flooded network, advertising buffers full), Target 1's Update Status
	 * (APPLYING) answering the Apply is lost while a late answer to an Update Get
	 * (VERIFY_OK) reaches the Distributor; the node applies and reboots (a retried Apply
	 * finds it IDLE, WRONG_PHASE), or the Apply's retries run out. The Distributor's client
	 * asks its firmware (Information Get): it runs the new FWID, so APPLY_SUCCESS, not
	 * APPLY_FAIL (which the Initiator would take for REVERTED, never offering that image
	 * to that node again); a target it cannot learn about is LOST and retried. */
	assert_all_updated(w);
	assert_int_equal(sim_vnode_counters(&w->v[1])->power_cuts, 1);
	assert_int_equal(sim_vnode_counters(&w->v[1])->flash_cuts, 1);
	assert_int_equal(count_events(w, 1, SIM_VNODE_EV_FLASH_CUT), 1);
	assert_int_equal(count_events(w, 1, SIM_VNODE_EV_POWER_CUT), 1);
	world_free(w);
}

/* Target 1 loses power inside a flash operation mid-transfer: the next, or a few later,
 * torn or between. */
static void flash_cuts(bool relay)
{
	static const uint64_t nths[] = {1, 2, 5, 9};

	for (size_t i = 0; i < sizeof nths / sizeof nths[0]; i++) {
		flash_cut(nths[i], FSIM_CUT_TORN, relay);
		flash_cut(nths[i], FSIM_CUT_BETWEEN, relay);
	}
}

static void test_flash_cut_mid_transfer(void **state)
{
	(void)state;
	flash_cuts(false);
}

/* The same with every node relaying: a flooded network, statuses lost or late. */
static void test_flash_cut_mid_transfer_relay(void **state)
{
	(void)state;
	flash_cuts(true);
}

/* The Distributor loses power mid-distribution: it boots again, its models restore from
 * flash and the distribution completes. */
/* Target 1 answered the Apply APPLYING and loses power inside one of its first flash
 * operations after it (the upgrade request: torn, or between): the request never reaches
 * the bootloader (or does, whole), it boots the old image (not reverted: VERIFY_OK again)
 * or the new one. The Distributor applies it again: UPDATED, the new image confirmed, never
 * REVERTED. */
static void test_flash_cut_in_apply(void **state)
{
	(void)state;
	for (uint64_t nth = 1; nth <= 4; nth++) {
		for (int m = 0; m < 2; m++) {
			struct world *w = world_new(BO_STRATEGY_SWAP_SCRATCH, FW_NEW, true);

			w->cut_nth = nth;
			w->cut_mode = m ? FSIM_CUT_BETWEEN : FSIM_CUT_TORN;
			run(w, CUT_APPLY);
			assert_all_updated(w);
			assert_int_equal(w->in.targets[0].tries, 1);
			assert_int_equal(sim_vnode_counters(&w->v[1])->flash_cuts, 1);
			assert_int_equal(sim_vnode_counters(&w->v[1])->power_cuts, 1);
			assert_int_equal(sim_vnode_counters(&w->v[1])->reverts, 0);
			world_free(w);
		}
	}
}

static void test_distributor_power_cut(void **state)
{
	struct world *w = world_new(BO_STRATEGY_OVERWRITE, FW_NEW, false);

	(void)state;
	run(w, CUT_DIST);
	assert_int_equal(sim_vnode_counters(&w->v[0])->power_cuts, 1);
	assert_int_equal(sim_vnode_counters(&w->v[0])->boots, 2);
	assert_all_updated(w);
	world_free(w);
}

/* A no-dfu image: installed and confirmed, but the node runs no DFU model (ignores every
 * message), so the Initiator cannot see it confirm the update. */
static void test_no_dfu(void **state)
{
	struct world *w = world_new(BO_STRATEGY_SWAP_SCRATCH, FW_NODFU, false);

	(void)state;
	run(w, CUT_NONE);
	assert_int_equal(w->done_calls, 1);
	assert_false(w->success);
	for (uint32_t i = 1; i < NVN; i++) {
		const struct sim_vnode_counters *c = sim_vnode_counters(&w->v[i]);

		assert_true(sim_vnode_running(&w->v[i]));
		assert_false(w->v[i].dfu);
		assert_int_equal(c->running_fw, FW_NODFU);
		assert_int_equal(c->behaviour, BO_APP_NO_DFU);
		assert_true(c->confirmed);
		assert_true(c->converged_us != UINT64_MAX);
	}
	world_free(w);
}

/* Nothing bootable: the node is bricked, offline and silent; a power cut boots it again
 * (still bricked). */
static void test_bricked(void **state)
{
	char err[BO_IMAGEGEN_ERRLEN];
	struct fsim_geometry g;
	struct sim_loop loop;
	struct mesh_net *net;
	struct fsim_device *blank;
	struct bo_crypto_mbedtls cst;
	struct bo_crypto crypto;
	struct sim_vnode v;
	struct mesh_link link = {0, 1, 1.0};
	const uint8_t msg[] = {0x83, 0x08, 0x00, 0x00};

	(void)state;
	sim_loop_init(&loop);
	bo_crypto_mbedtls_init(&cst, &crypto);
	assert_int_equal(fsim_preset("nrf52840", &g), 0);
	blank = fsim_create(&g, err, sizeof err);
	assert_non_null(blank);
	assert_int_equal(fsim_set_partitions(blank, parts, sizeof parts / sizeof parts[0], err,
					     sizeof err),
			 0);
	net = mesh_net_create(&loop, NULL, 2, &link, 1, 1);
	assert_non_null(net);
	struct sim_vnode_config c = {.loop = &loop, .net = net, .node = 0, .initial = blank,
				     .strategy = BO_STRATEGY_RECOVERY, .crypto = &crypto,
				     .converge_fw = -1};

	assert_int_equal(sim_vnode_init(&v, &c), 0);
	sim_vnode_power_on(&v);
	sim_run_until(&loop, SIM_S(1));
	assert_true(v.c.bricked);
	assert_int_equal(v.state, SIM_VNODE_BRICKED);
	assert_false(mesh_node_online(net, 0));
	sim_vnode_rx(&v, 2, 1, 5, msg, sizeof msg); /* ignored */
	sim_vnode_power_cut(&v, SIM_MS(10));
	sim_run_until(&loop, SIM_S(2));
	assert_int_equal(sim_vnode_counters(&v)->boots, 2);
	assert_int_equal(v.c.bricked_boots, 2);
	assert_int_equal(v.c.power_cuts, 1);
	assert_int_equal(v.c.running_fw, -1);
	assert_int_equal(mesh_node_stats(net, 0)->msgs_sent, 0);
	sim_vnode_free(&v);
	mesh_net_destroy(net);
	sim_loop_free(&loop);
	fsim_destroy(blank);
	bo_crypto_mbedtls_free(&cst);
}

/* A crash-on-boot image applied as a test upgrade: swap-scratch reverts it, the recovery
 * strategy falls to the recovery image after its trial boots; never bricked. */
static void test_crash_on_boot(void **state)
{
	static const enum bo_strategy strategies[] = {BO_STRATEGY_SWAP_SCRATCH,
						      BO_STRATEGY_RECOVERY};

	(void)state;
	for (size_t s = 0; s < 2; s++) {
		struct world *w = world_new(strategies[s], FW_CRASH, true);

		run(w, CUT_NONE);
		assert_int_equal(w->done_calls, 1);
		assert_false(w->success);
		for (uint32_t i = 1; i < NVN; i++) {
			const struct sim_vnode_counters *c = sim_vnode_counters(&w->v[i]);

			if (getenv("VNODE_DEBUG"))
				fprintf(stderr, "%s target %u: fw %d slot %d reverts %llu "
					"recovery %llu boots %llu\n",
					bo_strategy_name(strategies[s]), i, c->running_fw, c->slot,
					(unsigned long long)c->reverts,
					(unsigned long long)c->recovery_boots,
					(unsigned long long)c->boots);
			assert_false(c->bricked);
			assert_int_equal(c->bricked_boots, 0);
			assert_true(sim_vnode_running(&w->v[i]));
			assert_int_equal(c->running_fw, FW_OLD);
			assert_true(c->converged_us == UINT64_MAX);
			if (strategies[s] == BO_STRATEGY_SWAP_SCRATCH) {
				assert_true(c->reverts >= 1);
				assert_int_equal(c->slot, BO_SLOT_PRIMARY);
				assert_true(c->confirmed);
			} else {
				assert_true(c->recovery_boots >= 1);
				assert_int_equal(c->slot, BO_SLOT_RECOVERY);
			}
		}
		world_free(w);
	}
}

/* A no-confirm image applied as a test upgrade: it runs the new FWID unconfirmed, its
 * Target stays APPLYING (never applied), its watchdog resets it 30 s after boot (a reboot,
 * not a power cut). Swap-scratch reverts it: the Distributor sees the old FWID before its
 * confirm deadline, the Initiator's verdict is REVERTED and it never offers that image to
 * that Target again. The recovery strategy cannot revert: the resets use up the trial boots
 * and the recovery image boots. Never bricked. */
static void test_no_confirm(void **state)
{
	static const enum bo_strategy strategies[] = {BO_STRATEGY_SWAP_SCRATCH,
						      BO_STRATEGY_RECOVERY};

	(void)state;
	for (size_t s = 0; s < 2; s++) {
		struct world *w = world_new(strategies[s], FW_NOCONF, true);

		run(w, CUT_NONE);
		assert_int_equal(w->done_calls, 1);
		assert_false(w->success);
		/* long after: nothing more happens to the reverted ones, the others are in
		 * their recovery image */
		sim_run_until(&w->loop, sim_now(&w->loop) + SIM_S(600));
		assert_int_equal(w->done_calls, 1);
		for (uint32_t i = 1; i < NVN; i++) {
			const struct sim_vnode_counters *c = sim_vnode_counters(&w->v[i]);

			if (getenv("VNODE_DEBUG"))
				fprintf(stderr, "%s target %u: result %u tries %u fw %d slot %d "
					"reverts %llu recovery %llu boots %llu reboots %llu cuts "
					"%llu\n",
					bo_strategy_name(strategies[s]), i,
					w->in.targets[i - 1].result, w->in.targets[i - 1].tries,
					c->running_fw, c->slot, (unsigned long long)c->reverts,
					(unsigned long long)c->recovery_boots,
					(unsigned long long)c->boots,
					(unsigned long long)c->reboots,
					(unsigned long long)c->power_cuts);
			assert_false(c->bricked);
			assert_int_equal(c->bricked_boots, 0);
			assert_int_equal(c->power_cuts, 0);
			assert_true(sim_vnode_running(&w->v[i]));
			assert_int_equal(c->running_fw, FW_OLD);
			assert_true(c->converged_us == UINT64_MAX);
			assert_true(c->installs >= 1);
			/* the apply's reboot and at least one watchdog reset */
			assert_true(c->reboots >= 2);
			assert_int_equal(count_events(w, i, SIM_VNODE_EV_REBOOT), c->reboots);
			assert_int_equal(w->in.targets[i - 1].result, BO_INITIATOR_REVERTED);
			assert_int_equal(w->in.targets[i - 1].tries, 1);
			assert_true(bo_initiator_refused(&w->in, mesh_node_addr(i), w->fwid,
							 sizeof w->fwid));
			if (strategies[s] == BO_STRATEGY_SWAP_SCRATCH) {
				assert_true(c->reverts >= 1);
				assert_int_equal(c->reboots, 2); /* reverted at the first reset */
				assert_int_equal(c->slot, BO_SLOT_PRIMARY);
				assert_true(c->confirmed);
				/* the server saw the revert: it verified its slot again */
				assert_int_not_equal(bo_dfu_srv_phase(w->v[i].srv),
						     BO_DFU_PHASE_APPLYING);
			} else {
				assert_true(c->recovery_boots >= 1);
				assert_int_equal(c->slot, BO_SLOT_RECOVERY);
			}
		}
		world_free(w);
	}
}

/* The no-confirm image on trial under swap-scratch, and Target 1 loses power inside the
 * revert its bootloader does at the watchdog's reset: in the revert request, or in the
 * middle of the swap back (the next boot resumes it: RESUMED, not REVERTED). Either way
 * the node reverted once, runs the old image confirmed, and the Initiator's verdict is
 * REVERTED. */
static void test_cut_in_revert(void **state)
{
	static const uint64_t nths[] = {2, 8, 20, 60};
	size_t resumed = 0;

	(void)state;
	for (size_t i = 0; i < sizeof nths / sizeof nths[0]; i++) {
		struct world *w = world_new(BO_STRATEGY_SWAP_SCRATCH, FW_NOCONF, true);
		const struct sim_vnode_counters *c = sim_vnode_counters(&w->v[1]);

		w->cut_nth = nths[i];
		w->cut_mode = FSIM_CUT_TORN;
		run(w, CUT_REVERT);
		sim_run_until(&w->loop, sim_now(&w->loop) + SIM_S(600));
		for (size_t k = 0; k < w->nlog; k++)
			resumed += w->log[k].node == 1 && w->log[k].ev == SIM_VNODE_EV_BOOT &&
				   w->log[k].action == BO_ACT_RESUMED;
		if (getenv("VNODE_DEBUG"))
			fprintf(stderr, "cut at %llu: reverts %llu flash cuts %llu boots %llu, "
				"resumed boots so far %zu\n", (unsigned long long)nths[i],
				(unsigned long long)c->reverts, (unsigned long long)c->flash_cuts,
				(unsigned long long)c->boots, resumed);
		assert_int_equal(c->flash_cuts, 1);
		assert_int_equal(c->reverts, 1);
		assert_false(c->bricked);
		assert_int_equal(c->running_fw, FW_OLD);
		assert_true(c->confirmed);
		assert_int_equal(w->in.targets[0].result, BO_INITIATOR_REVERTED);
		for (uint32_t t = 2; t < NVN; t++)
			assert_int_equal(sim_vnode_counters(&w->v[t])->reverts, 1);
		world_free(w);
	}
	assert_true(resumed >= 1); /* a cut in the swap back was resumed by the next boot */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_power_cut_mid_transfer),
		cmocka_unit_test(test_flash_cut_mid_transfer),
		cmocka_unit_test(test_flash_cut_mid_transfer_relay),
		cmocka_unit_test(test_flash_cut_in_apply),
		cmocka_unit_test(test_crash_on_boot),
		cmocka_unit_test(test_no_confirm),
		cmocka_unit_test(test_cut_in_revert),
		cmocka_unit_test(test_distributor_power_cut),
		cmocka_unit_test(test_no_dfu),
		cmocka_unit_test(test_bricked),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
