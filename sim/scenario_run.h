/*
 * sim/scenario_run.h: run one mesh scenario (sim/scenario_file.h) for one seed.
 *
 * The world: an event loop (sim/event.h), the network model (sim/mesh_net.h) built from the
 * topology and mesh keys, one virtual node (sim/vnode.h) per topology node, each forked
 * copy-on-write from an initial flash shared by every node with the same initial images
 * and strategy, and a gateway outside the mesh driving core/dfu's Initiator over a
 * point-to-point link to the Distributor (initiator.link_latency / link_throughput).
 *
 * Rollout. The Initiator updates its targets in waves of at most BO_RUN_WAVE_MAX (the
 * Distributor's receivers list): one wave per image (initiator.image, then each bad_image
 * fault's firmware for its nodes), cut into waves in node order; each wave is one
 * bo_initiator_start with its retries. The Initiator remembers across waves which image
 * each target refused (verify failure, revert, unbootable) and never offers it again.
 *
 * Faults (scheduled from the seed, so one seed gives one run):
 *   power_cut rate   a Poisson process per selected node (rate per hour), up to max_cuts;
 *   power_cut at     every selected node at that time;
 *   power_cut during once per selected node, at a random point of the phase: transfer
 *                    (a random fraction 5..95 % of the BLOB received, or sent by the
 *                    Distributor), verify, apply (inside the flash operations of the
 *                    Target's apply), boot (inside the bootloader's operations after the
 *                    apply's reboot: a swap torn mid-way). Cuts that land inside flash
 *                    operations are torn or between operations, drawn from the seed.
 *   offline          the node's radio is off from `from` for `for` (it keeps running);
 *   bad_image        these targets are offered that firmware instead of the image.
 * random(N%) / random(N) selections are drawn from the seed, per fault.
 *
 * The run ends when the Initiator has finished every wave and SETTLE more seconds have
 * passed (the last reboots and confirmations), or at the scenario's duration.
 *
 * Outcomes: per node, per expectation, metrics, and events up to a level (reports/db_run.h
 * levels: 1 outcomes, 2 progress, 3 trace). Host code; no globals: runs may go in parallel
 * threads (each builds its own world).
 */
#ifndef BO_SIM_SCENARIO_RUN_H
#define BO_SIM_SCENARIO_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/boot/boot.h"
#include "core/dfu/dfd_srv.h"
#include "flashsim/flashsim.h"
#include "sim/scenario_file.h"

#define BO_RUN_ERRLEN 512
#define BO_RUN_SETTLE_US 60000000u /* after the Initiator's last wave */
#define BO_RUN_WAVE_MAX BO_DFD_SRV_RECEIVERS_MAX /* targets per wave */

/* Event levels (the same values as reports/db_run.h's). */
#define BO_RUN_EV_OUTCOME 1  /* boots, power cuts, reverts, bricks, convergence */
#define BO_RUN_EV_PROGRESS 2 /* waves, per-target verdicts, faults applied */
#define BO_RUN_EV_TRACE 3    /* + message traces: sends, receptions, drops with the reason */
#define BO_RUN_TRACE_MAX_DEFAULT 100000u /* level-3 events kept per run (bo_run_opts) */

/* One node at the end of the run. */
struct bo_run_node {
	uint32_t id;
	const char *role;        /* "target", "distributor", "relay" (static strings) */
	double x, y;
	int initial_fw;          /* firmware index; BO_SCN_NONE */
	int final_fw;            /* firmware index of the running image; BO_SCN_NONE: none */
	const char *slot;        /* "primary", "recovery", "none" */
	bool target;
	bool confirmed;          /* the running primary image is confirmed */
	bool bricked;            /* at the end, its bootloader found nothing bootable */
	bool converged;          /* a target that met the run's image, see converged_us */
	uint64_t converged_us;   /* first ran the image confirmed; UINT64_MAX: never */
	uint64_t boots, power_cuts, flash_cuts, reverts, recovery_boots, installs;
	uint64_t flash_erases, flash_programs;
	uint32_t max_sector_erases;
	uint32_t offers;         /* distributions it was in (all waves, all retries) */
	const char *result;      /* the Initiator's last verdict ("updated", "lost", ...) */
	uint32_t wave;           /* the rollout wave it was in, from 1 (0: never offered) */
	uint32_t hops;           /* from the Distributor through relays (UINT32_MAX: no path) */
	char reason[256];        /* a target that did not converge: why, in words ("" else) */
	uint64_t rx_start_us;    /* the first distribution it was in started; UINT64_MAX: never */
	/* congestion at the node (sim/mesh_net.h's counters) */
	uint64_t pdus_queued;    /* PDUs that waited behind another for its advertiser */
	uint64_t queue_peak;     /* the most PDUs queued at once */
	uint64_t pdus_dropped;   /* PDUs dropped for lack of advertising or relay buffers */
	uint64_t relay_dropped;  /* of pdus_dropped, relayed ones */
};

struct bo_run_expect {
	char name[48];           /* "converged", "no_bricked", "max_duration", "max_offers" */
	bool pass;
	char observed[128];
	char expected[128];
	unsigned line;           /* in the scenario file */
};

struct bo_run_metric {
	char name[48];
	double value;
};

struct bo_run_event {
	uint64_t t_us;
	int64_t node;            /* node id; -1: the network / the Initiator */
	int level;
	char kind[24];
	char detail[96];
};

#define BO_RUN_WARNINGS_MAX 8
#define BO_RUN_WARNING_LEN 512

struct bo_run_result {
	uint64_t seed;
	uint64_t sim_end_us;
	double wall_s;           /* host time (reported, never used by the simulation) */
	bool pass;               /* every expectation holds */
	bool initiator_done;     /* the rollout finished before the duration ran out */
	bool stopped;            /* opts.stop ended the run early: the outcome is partial */
	uint32_t targets, converged, failed, bricked;
	uint32_t unreachable;    /* targets the distribution's TTL cannot reach through the
				    relays from the Distributor (a plan error: see the events) */
	uint64_t sim_events;     /* event-loop events executed */
	struct bo_run_node *nodes;       /* node_count, node order */
	size_t node_count;
	struct bo_run_expect *expect;    /* the scenario's expect order */
	size_t expect_count;
	struct bo_run_metric *metrics;   /* sorted by name */
	size_t metric_count;
	struct bo_run_event *events;     /* time order */
	size_t event_count;
	/* what went wrong in the network and what to change (sim/scenario_diag.c) */
	char warnings[BO_RUN_WARNINGS_MAX][BO_RUN_WARNING_LEN];
	size_t warning_count;
};

/* Progress (from the running thread, every PROGRESS_US of virtual time). */
typedef void (*bo_run_progress_fn)(void *ctx, uint64_t seed, uint64_t now_us, uint64_t end_us,
				   uint32_t converged, uint32_t targets);

struct bo_run_opts {
	uint64_t seed;            /* the run's root seed (the scenario's, or --seed) */
	int max_event_level;      /* events above it are not kept (0: none) */
	bo_run_progress_fn progress;
	void *progress_ctx;
	uint64_t progress_us;     /* 0: every 60 s of virtual time */
	const volatile int *stop; /* non-NULL and set: stop at the next progress point */
	/* Level 3 (message traces, sim/scenario_trace.c): only the events at these node ids
	 * (NULL: every node), at most trace_max of them (0: BO_RUN_TRACE_MAX_DEFAULT); the
	 * events past the cap are counted in a last event 'trace_truncated'. */
	const uint32_t *trace_nodes;
	size_t trace_node_count;
	size_t trace_max;
	/* Non-NULL: called for every node at the end of the run with its flash as the run
	 * left it (`brownout run --save-flash`), from the running thread. */
	void (*on_node_flash)(void *ctx, uint64_t seed, uint32_t node_id, enum bo_strategy s,
			      const struct fsim_device *dev);
	void *on_node_flash_ctx;
};

/*
 * Build the world and run it. 0: ran (r filled, r->pass tells the verdict); -1: the
 * scenario cannot be built (err: one sentence "FILE: ..."; e.g. an image that does not fit
 * its slot, no storage partition for the DFU records): bad input. r is zeroed first and
 * must be freed with bo_run_result_free either way.
 */
int bo_scenario_run(const struct bo_scenario *s, const struct bo_run_opts *o,
		    struct bo_run_result *r, char *err, size_t errlen);
void bo_run_result_free(struct bo_run_result *r);

/* Convergence times of the converged targets (seconds): p in [0, 100]; -1 when none. */
double bo_run_percentile_s(const struct bo_run_result *r, double p);

#endif
