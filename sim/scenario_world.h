/*
 * sim/scenario_world.h: the world one scenario run builds (private to sim/scenario_*.c).
 *
 *   scenario_world.c    build and free: images, initial flashes, network, nodes, gateway
 *   scenario_faults.c   power cuts, offline windows, cuts during a phase
 *   scenario_rollout.c  the gateway's Initiator: waves of targets per image
 *   scenario_run.c      the run loop and its outcomes (nodes, expectations, metrics)
 *   scenario_diag.c     the run's warnings: relay storm, congestion, Distributor power;
 *                       where each target's distribution gave up
 *   scenario_trace.c    message-level events (--events 3)
 */
#ifndef SIM_SCENARIO_WORLD_H
#define SIM_SCENARIO_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/dfu/initiator.h"
#include "sim/event.h"
#include "sim/gateway_link.h"
#include "sim/imagegen.h"
#include "sim/mesh_net.h"
#include "sim/crypto_memo.h"
#include "sim/mesh_port.h"
#include "sim/rng.h"
#include "sim/scenario_run.h"
#include "sim/sweep_device.h"
#include "sim/vnode.h"

/* Seed purposes (sim_rng_derive(seed, node, purpose)); the mesh and the ports use 1-3 and
 * "port". */
enum {
	RUN_RNG_SELECT = 0x73656c00u, /* + fault index: random(N) selections */
	RUN_RNG_FAULT = 0x666c7400u,  /* per node: cut times, phase points, torn variants */
};

/* A firmware of the scenario, as built (the same bytes on every node and the gateway). */
struct run_fw {
	const uint8_t *bytes; /* owned by the first initial device */
	uint32_t len;
	uint8_t fwid[BO_DFU_FWID_LEN];
	uint8_t md[BO_DFU_METADATA_MAXLEN];
	size_t md_len;
};

/* One initial flash: every node with the same primary image, recovery image and strategy
 * forks it copy-on-write. */
struct run_device {
	int primary, recovery;
	enum bo_sweep_strategy strategy;
	struct bo_sweep sweep; /* what bo_sweep_device_build reads (must outlive dev) */
	struct bo_sweep_device *dev;
	/* what the nodes' bootloaders use: dev's crypto behind a memo (they all boot the same
	 * few images: one hash and one signature check per image instead of one per node) */
	struct sim_crypto_memo *memo;
	struct bo_crypto crypto;
};

/* The faults pending on one node. */
struct run_node_faults {
	uint32_t rate_cuts;       /* cuts made by rate faults */
	uint32_t rate_max;        /* 0: no limit */
	double rate_per_hour;     /* sum of the node's rate faults */
	uint64_t rate_off_us;
	bool cut_transfer, cut_verify, cut_apply, cut_boot; /* `during` cuts still to make */
	bool boot_cut_armed;      /* a boot cut waits in the flash for the install's ops */
	double transfer_at;       /* fraction of the BLOB at which the transfer cut falls */
	uint64_t during_off_us;
	uint64_t offline_until;   /* radio off until (an offline window) */
	uint64_t offline_from;
};

/* Who concluded a target's last distribution (run_node.end_by). */
enum run_end_by {
	RUN_END_UNKNOWN = 0,      /* the Distributor's client state is gone (a power cut) */
	RUN_END_DISTRIBUTOR = 1,  /* its update client concluded the target */
	RUN_END_INITIATOR = 2,    /* the Initiator gave up on the Distributor first */
};

struct run_node {
	struct sim_vnode v;
	struct world *w;
	uint32_t idx;
	const struct bo_scn_node *sn;
	int image;                /* firmware offered (target), BO_SCN_NONE */
	uint32_t offers;
	uint32_t refused_offers;  /* offers of an image it then refused (max_offers) */
	uint8_t result;           /* enum bo_initiator_result of its last wave */
	struct run_node_faults f;
	uint64_t first_ok[BO_SCN_MAX_FIRMWARE]; /* first ran that firmware confirmed; UINT64_MAX */
	uint32_t hops;            /* from the Distributor through relays; UINT32_MAX: none */
	uint64_t rx_start_us;     /* the first distribution it was in started; UINT64_MAX */
	uint32_t wave;            /* its wave, from 1 (0: never offered) */
	uint8_t last_phase;       /* the Distributor's last word on it (enum bo_dfu_phase) */
	/* where its last distribution ended for it (scenario_diag.c, diag_note_end) */
	uint8_t end_by;           /* enum run_end_by */
	uint8_t end_step;         /* enum bo_dfu_cli_state, or enum bo_initiator_state */
	uint8_t end_blob_step;    /* enum bo_blob_cli_state (end_step BLOB) */
	uint16_t end_block, end_blocks; /* the BLOB block (from 0) and the block count */
	uint16_t end_tries;       /* tries made at that step */
	uint8_t end_result;       /* enum bo_dfu_cli_result (end_by DISTRIBUTOR) */
	uint8_t end_status;       /* its last status there (enum bo_dfu_status) */
	uint8_t end_phase;        /* the phase it last reported there (enum bo_dfu_phase) */
	struct sim_rng rng;       /* RUN_RNG_FAULT */
};

struct run_wave {
	int fw;                   /* firmware index */
	uint32_t first, count;    /* into world.wave_nodes */
	bool canary;              /* initiator.rollout.canary: judged before the rest */
};

struct world {
	const struct bo_scenario *s;
	const struct bo_run_opts *o;
	struct bo_run_result *r;
	uint64_t seed;
	struct sim_loop loop;
	struct mesh_net *net;
	struct run_fw fw[BO_SCN_MAX_FIRMWARE];
	struct sim_vnode_fw vfw[BO_SCN_MAX_FIRMWARE];
	struct run_device *devs;
	size_t ndevs;
	struct run_node *nodes;
	uint32_t n;               /* scenario nodes; the gateway is mesh node n */
	uint32_t targets;
	/* the gateway */
	struct sim_mesh_port gw;
	struct sim_link link;
	struct bo_initiator in;
	struct bo_ramflash rf;
	uint8_t *rf_buf;
	struct run_wave *waves;
	size_t nwaves, wave;      /* wave: the current (or next) one */
	uint32_t *wave_nodes;     /* node indices, wave by wave */
	int uploaded_fw;          /* image the Distributor holds (BO_SCN_NONE: none yet) */
	bool deleting;            /* Firmware Delete All out before a new image */
	unsigned delete_tries;
	sim_handle delete_timer;
	bool halted;              /* the canary failed: the remaining waves are not sent */
	bool rollout_done;
	uint64_t rollout_done_us;
	bool settled;             /* BO_RUN_SETTLE_US after the rollout: the run ends */
	uint32_t rounds;          /* distributions started (all waves, retries) */
	uint32_t unreachable;     /* targets beyond the TTL (scenario_world.c) */
	/* the run's events (kept up to o->max_event_level) */
	size_t ev_cap;
	/* message traces (scenario_trace.c): traced[i] for node index i (NULL: tracing off),
	 * level-3 events kept and left out past the cap */
	bool *traced;
	size_t trace_kept, trace_left_out, trace_max;
	bool oom;
};

/* scenario_world.c */
int world_build(struct world *w, char *err, size_t errlen);
void world_free(struct world *w);
void world_event(struct world *w, int64_t node, int level, const char *kind, const char *fmt,
		 ...) __attribute__((format(printf, 5, 6)));
const char *world_fw_name(const struct world *w, int fw);

/* scenario_faults.c */
void faults_schedule(struct world *w);
/* After the node handled a message: a `during` cut whose point has come. */
void faults_after_rx(struct world *w, struct run_node *rn);
/* From the node's events (boot, reboot ...), inside the node's code. */
void faults_on_node_event(struct world *w, struct run_node *rn, enum sim_vnode_event ev);
/* From the event loop right after a boot. */
void faults_after_boot(struct world *w, struct run_node *rn);
/* The nodes fault k applies to (out: w->n entries); returns how many. */
uint32_t faults_select(struct world *w, size_t k, uint32_t *out);

/* scenario_diag.c: the run's warnings (after the nodes are collected) */
void diag_collect(struct world *w);
/* The Initiator concluded target t (node rn): note where its distribution ended, from
 * the Initiator and the Distributor's update client (scenario_rollout.c, per target). */
/* A round of the Initiator ended (its round_done hook): note where target t of the round
 * ended, before the next round restarts the distribution. */
void diag_note_round(struct world *w, struct run_node *rn, const struct bo_initiator *in,
		     const struct bo_initiator_target *t);
void diag_note_end(struct world *w, struct run_node *rn, const struct bo_initiator *in,
		   const struct bo_initiator_target *t);
/* Where rn's last distribution gave up, in words: "gave up in BLOB transfer block 8 of 12
 * (Block Get) after 6 tries" (b empty when unknown). */
void diag_end_words(const struct run_node *rn, char *b, size_t n);

/* scenario_trace.c: level-3 message events from the network (trace_start after the
 * network is built; trace_end when the run is over: the count of events left out) */
int trace_start(struct world *w);
void trace_end(struct world *w);

/* scenario_rollout.c */
void rollout_init(struct world *w);
void rollout_start(struct world *w);
/* The Initiator's verdict (enum bo_initiator_result) as the outcome tables spell it. */
const char *rollout_result_name(uint8_t result);
void rollout_gateway_rx(struct world *w, uint16_t src, uint16_t dst, const uint8_t *pdu,
			size_t len);

#endif
