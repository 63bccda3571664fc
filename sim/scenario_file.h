/*
 * sim/scenario_file.h: the mesh scenario loader (scenarios/mesh/ files, issue 6).
 *
 * A scenario file describes a mesh of virtual nodes, a firmware rollout driven by an
 * Initiator through one Distributor, the faults injected and the expectations checked. It
 * is loaded into a plain struct bo_scenario (host code: heap, free with bo_scenario_free)
 * with every default filled in and every node resolved (position, role, firmware,
 * strategy, relay). Errors are one sentence, exactly like the sweep loader's:
 *
 *     FILE:LINE:COL: key 'faults[2].power_cut.nodes': node 140 is not in the topology ...
 *
 * and the loader returns a negative code; it never crashes on bad input
 * (tests/scenario/invalid/ is the corpus, tests/scenario/ fuzzes it).
 *
 * The format, key by key with an example each, is documented in scenarios/README.md;
 * the summary:
 *
 *   scenario: grid-100                 # required: 1..63 of [A-Za-z0-9._-]
 *   description: ...                   # optional free text
 *   seed: 1                            # optional (default 1): the run's root seed
 *   duration: 6h                       # required: simulated time limit
 *   device: {preset: nrf52840, strategy: swap-scratch, layout: default, attempts: 3,
 *            allow_downgrade: false}   # preset and strategy required (as in sweep files)
 *   topology: {kind: grid, rows: 10, cols: 10, spacing: 10, range: 15, loss: 0.05}
 *   mesh: {ttl: 7, relays: all, network_transmit: {count: 2, interval: 20ms}, ...}
 *   firmware: {v1: {version: 1.0.0, size: 96KiB}, ...}     # as sweep files' images:
 *   nodes: {default: {firmware: v1, role: target}, overrides: [{id: 0, role: distributor}]}
 *   initiator: {distributor: 0, image: v2, targets: all, policy: verify-and-apply,
 *               transfer: {mode: push, block_size: 4096, chunk_size: 256,
 *                          timeout_base: 5, group: 0xC000}, retries: 2,
 *               rollout: {wave_size: 40, canary: {targets: 5, soak: 30m, max_failed: 0}}}
 *   faults: [{power_cut: {nodes: random(10%), rate: 1/h}}, ...]
 *   expect: [{converged: {firmware: v2, fraction: 0.95, within: 3h}}, {no_bricked: true}]
 *
 * Durations: a number and a unit, several pairs in decreasing order: 500ms, 90s, 20m, 6h,
 * 1h30m, 2d, 376us, 1s500ms (units us, ms, s, m, h, d). A bare 0 is 0; other bare numbers
 * are refused (the unit is not guessed).
 *
 * Node ids: line, grid and random topologies number their nodes 0..count-1 (grid: row-major,
 * id = row x cols + col); explicit topologies name their own ids (0..32766, each once).
 * Node i of the arrays below is the mesh node index i (unicast address i + 1).
 */
#ifndef BO_SIM_SCENARIO_FILE_H
#define BO_SIM_SCENARIO_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/mesh_net.h"
#include "sim/sweep_file.h"

#define BO_SCN_NAME_MAX 64
#define BO_SCN_MAX_NODES 32766u     /* what mesh_net_create() takes (count < 0x7fff) */
#define BO_SCN_MAX_ID 32766u        /* explicit node ids 0..BO_SCN_MAX_ID */
#define BO_SCN_MAX_FIRMWARE 32
#define BO_SCN_MAX_FAULTS 256
#define BO_SCN_MAX_EXPECT 64
#define BO_SCN_MAX_OVERRIDES 4096
#define BO_SCN_MAX_LINKS 1000000u
#define BO_SCN_ERRLEN 512
#define BO_SCN_NONE (-1)             /* no firmware index */

enum bo_scn_err {
	BO_SCN_OK = 0,
	BO_SCN_E_INVALID = -1,
	BO_SCN_E_NOMEM = -2,
};

enum bo_scn_topo_kind { BO_TOPO_LINE = 0, BO_TOPO_GRID, BO_TOPO_RANDOM, BO_TOPO_EXPLICIT };

/* An explicit link between node ids a and b (loss: 1 - delivery probability). */
struct bo_scn_link {
	uint32_t a, b;
	double loss;
};

struct bo_scn_topology {
	enum bo_scn_topo_kind kind;
	uint32_t count;        /* nodes (every kind) */
	uint32_t rows, cols;   /* grid */
	double spacing;        /* line, grid: metres between neighbours */
	double area_w, area_h; /* random: nodes uniform in [0, w) x [0, h) */
	uint64_t seed;         /* random: placement seed (default: the scenario's seed) */
	double range;          /* line, grid, random: nodes within range hear each other */
	double loss;           /* line, grid, random: per-link loss; explicit: link default */
	struct bo_scn_link *links; /* explicit: link_count entries (node ids), heap */
	size_t link_count;
};

enum bo_scn_role { BO_ROLE_TARGET = 0, BO_ROLE_DISTRIBUTOR, BO_ROLE_RELAY_ONLY };

/* One node, resolved from topology, nodes.default, nodes.overrides and mesh.relays. */
struct bo_scn_node {
	uint32_t id;
	double x, y;
	enum bo_scn_role role;
	int firmware;                   /* index into firmware[]: the primary image at start */
	int recovery;                   /* index, or BO_SCN_NONE: the recovery partition's */
	enum bo_sweep_strategy strategy;
	bool relay;
	bool target;                    /* in the Initiator's receivers list */
	bool canary;                    /* listed in initiator.rollout.canary.targets */
};

enum bo_scn_transfer_mode { BO_XFER_PUSH = 0, BO_XFER_PULL };
enum bo_scn_policy { BO_POLICY_VERIFY_AND_APPLY = 0, BO_POLICY_VERIFY_ONLY };

struct bo_scn_initiator {
	uint32_t distributor;    /* node index */
	int image;               /* firmware index */
	bool targets_all;        /* targets: all (else a list; see bo_scn_node.target) */
	uint32_t target_count;
	enum bo_scn_policy policy;
	enum bo_scn_transfer_mode mode;
	uint32_t block_size;     /* bytes, a power of two 64..65536 (default 4096) */
	uint32_t chunk_size;     /* bytes, <= mesh.seg_max_len + trans_mic - 7 (default that) */
	uint16_t timeout_base;   /* default 10 */
	uint16_t group;          /* 0xC000..0xFEFF, or 0: unicast (default 0xC000) */
	uint8_t ttl;             /* default mesh.ttl */
	uint32_t retries;        /* default 2 */
	uint64_t backoff_us;     /* pause before a retry round (default 1 min) */
	uint64_t link_latency_us;   /* gateway <-> Distributor (default 10 ms) */
	uint32_t link_throughput;   /* bytes per second (default 11520: UART 115200 8N1) */
	/* initiator.rollout */
	uint32_t wave_size;         /* targets per distribution; 0 (default): as many as the
				     * Distributor's receivers list holds */
	bool canary;                /* a canary wave first, the rest only if it went well */
	uint32_t canary_count;      /* canary.targets: N (the first N targets in node order);
				     * 0: a list (bo_scn_node.canary) */
	uint32_t canary_size;       /* targets in the canary wave */
	uint64_t canary_soak_us;    /* canary.soak: wait after it, then judge (default 10m) */
	uint32_t canary_max_failed; /* canary.max_failed: failures tolerated (default 0) */
};

/* A set of nodes a fault or expectation applies to. */
enum bo_scn_sel_kind { BO_SEL_LIST = 0, BO_SEL_ALL, BO_SEL_RANDOM_PERCENT, BO_SEL_RANDOM_COUNT };

struct bo_scn_selector {
	enum bo_scn_sel_kind kind;
	uint32_t *nodes;      /* BO_SEL_LIST: node indices, heap */
	uint32_t count;       /* BO_SEL_LIST: entries; BO_SEL_RANDOM_COUNT: N of random(N) */
	double percent;       /* BO_SEL_RANDOM_PERCENT: 0 < N <= 100 */
};

enum bo_scn_fault_kind { BO_FAULT_POWER_CUT = 0, BO_FAULT_OFFLINE, BO_FAULT_BAD_IMAGE };
enum bo_scn_cut_when { BO_CUT_RATE = 0, BO_CUT_AT, BO_CUT_DURING };
enum bo_scn_phase {
	BO_PHASE_TRANSFER = 0, /* receiving (Target) or sending (Distributor) the BLOB */
	BO_PHASE_VERIFY,
	BO_PHASE_APPLY,
	BO_PHASE_BOOT,         /* in the bootloader (a swap in progress, if any) */
};

struct bo_scn_fault {
	enum bo_scn_fault_kind kind;
	struct bo_scn_selector nodes;
	unsigned line;          /* where the fault is in the file (1-based) */
	/* power_cut */
	enum bo_scn_cut_when when;
	double rate_per_hour;   /* BO_CUT_RATE: mean cuts per node per hour (Poisson) */
	uint64_t at_us;         /* BO_CUT_AT */
	enum bo_scn_phase during; /* BO_CUT_DURING: once, at a random point of that phase */
	uint64_t off_us;        /* power stays off this long (default 1 s) */
	uint32_t max_cuts;      /* per node, 0: no limit (rate only; default 0) */
	/* offline */
	uint64_t from_us, for_us;
	/* bad_image: these targets are offered `firmware` instead of initiator.image */
	int firmware;
};

enum bo_scn_expect_kind {
	BO_EXPECT_CONVERGED = 0, /* at least fraction of targets run firmware, confirmed */
	BO_EXPECT_NO_BRICKED,    /* no node ends with nothing its bootloader may boot */
	BO_EXPECT_MAX_DURATION,  /* the Initiator has finished within */
	BO_EXPECT_MAX_OFFERS,    /* no target is offered an image it refused more than
				    max_offers times (scenarios/README.md) */
};

struct bo_scn_expect {
	enum bo_scn_expect_kind kind;
	int firmware;           /* converged */
	double fraction;        /* converged: [0, 1] of the targets */
	uint64_t within_us;     /* converged, max_duration */
	uint32_t max_offers;    /* max_offers */
	unsigned line;
};

struct bo_scenario {
	char file[256];
	char name[BO_SCN_NAME_MAX];
	char *description;            /* heap, or NULL */
	uint64_t seed;
	uint64_t duration_us;
	/* device (sweep-file conventions; strategy is the nodes' default) */
	struct bo_device_desc device; /* flash devices and partitions (sim/device_desc.h) */
	enum bo_sweep_strategy strategy;
	unsigned attempts;
	bool allow_downgrade;
	struct bo_scn_topology topology;
	struct mesh_config mesh;      /* defaults: mesh_config_default() */
	struct bo_sweep_image firmware[BO_SCN_MAX_FIRMWARE];
	size_t firmware_count;
	struct bo_scn_node *nodes;    /* topology.count entries, heap */
	size_t node_count;
	struct bo_scn_initiator initiator;
	struct bo_scn_fault *faults;  /* heap */
	size_t fault_count;
	struct bo_scn_expect *expect; /* heap */
	size_t expect_count;
};

/*
 * Load a scenario file. On success *out is a new struct bo_scenario (bo_scenario_free).
 * On error *out is NULL, err holds "FILE:LINE:COL: key 'K': message" and the return is
 * negative.
 */
int bo_scenario_load_file(const char *path, struct bo_scenario **out, char *err, size_t errlen);
/* The same from a buffer; name stands for the file name in messages. */
int bo_scenario_load_buffer(const char *name, const void *buf, size_t len,
			    struct bo_scenario **out, char *err, size_t errlen);
void bo_scenario_free(struct bo_scenario *s);

/* The node index of an id, or -1. */
long bo_scenario_node_index(const struct bo_scenario *s, uint32_t id);
/* The firmware index of a name, or -1. */
int bo_scenario_find_firmware(const struct bo_scenario *s, const char *name);

/* Parse a duration ("1h30m") into microseconds: 0, or -1 when malformed or too large. */
int bo_scenario_parse_duration(const char *text, uint64_t *us);
/* Format microseconds as a duration the parser reads back ("1h30m", "500ms", "0"). */
void bo_scenario_format_duration(uint64_t us, char *out, size_t n);

const char *bo_scenario_topology_name(enum bo_scn_topo_kind k);
const char *bo_scenario_role_name(enum bo_scn_role r);

#endif
