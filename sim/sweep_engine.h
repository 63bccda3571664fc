/*
 * sim/sweep_engine.h: exhaustive power-cut sweeps over an update workload.
 *
 * 1. Run the workload once uncut, recording a copy-on-write snapshot before every mutating
 *    flash operation, the operation itself (offset, length, data) and the workload step it
 *    belonged to. That gives the cut points.
 * 2. For each cut point and mode: restore the snapshot (O(sectors)); for a torn cut, re-issue
 *    the recorded operation with the cut armed so flashsim tears it. Nothing before the cut
 *    is re-executed: the device's future depends only on its flash and on the workload step
 *    the cut interrupted, which is the whole point of keeping every piece of progress in
 *    flash.
 * 3. Power on and continue: the interrupted step is repeated (a boot, or the application
 *    restarting its download), the rest of the workload runs, then up to K extra reboots.
 * 4. Depth > 1: the continuation is itself recorded and cut, recursively.
 * 5. States are deduplicated on (flash content hash, interrupted step) and checked once.
 * 6. Cut points run on `jobs` threads; results are merged in a canonical order, so they are
 *    identical for any number of jobs.
 */
#ifndef SIM_SWEEP_ENGINE_H
#define SIM_SWEEP_ENGINE_H

#include "sim/sweep_runner.h"

enum sweep_invariant {
	SWEEP_OK = 0,
	SWEEP_I1_BRICKED,   /* a boot found nothing it may boot */
	SWEEP_I2_HYBRID,    /* a boot ran bytes that are none of the workload's images */
	SWEEP_I3_CONVERGE,  /* the expected end state was not reached within K reboots */
	SWEEP_I4_FLASH,     /* a flashsim violation: double program, unaligned, write-protect */
	SWEEP_I5_WEAR,      /* a sector was erased more often than the bound */
	SWEEP_BASELINE,     /* the uncut workload itself fails (a wrong sweep file, or a bug) */
	SWEEP_FW_ABORT,     /* the firmware under test asserted or aborted */
	SWEEP_APP_ERROR,    /* an application call failed (e.g. a request refused after a cut);
			       reported apart from the bootloader invariants, never hiding one */
	SWEEP_INVARIANTS
};

const char *sweep_invariant_name(enum sweep_invariant i);

struct sweep_options {
	bool between;        /* cut between operations */
	bool torn;           /* cut inside operations, every torn variant */
	bool metastable;     /* torn cells read unstably */
	uint32_t depth;      /* nested cuts: 1 = one cut per run */
	unsigned jobs;       /* threads; 0 = 1 */
	uint64_t seed;       /* picks the bits of torn variants */
	unsigned shard_k, shard_n; /* run only top-level cut points i with i % n == k; n = 0: all */
	size_t max_failures_kept;  /* repro IDs kept (all are counted); 0 = 50 */
	/* Flash errors instead of power loss: bit k set = fault kind k (enum fsim_fault_kind)
	 * at every operation it applies to, the workload run from the start each time and the
	 * firmware seeing the error return. Judged by I1 (never boot what must not run, never
	 * brick: unless the kind's bit is in faults_may_brick), I2, I4 and firmware aborts;
	 * an update the error stopped (I3, application errors) is no failure. */
	uint32_t faults;
	uint32_t faults_may_brick;
	/* Replay only: called with the device just after the last cut of the repro ID
	 * (when = "cut", RAM already lost, before the power-on) and at the end of its
	 * continuation (when = "end"), e.g. to save the flash (`--save-flash`). */
	void (*on_replay_state)(void *ctx, const struct fsim_device *dev, const char *when);
	void *on_replay_ctx;
	/* Called from sweep_run's own thread about four times a second while the workers run
	 * (a progress line), and once at the end with done == total: distinct states checked
	 * of those to check, failing cut points so far, wall seconds since the start. */
	void (*on_progress)(void *ctx, uint64_t done, uint64_t total, uint64_t failures,
			    double elapsed_s);
	void *on_progress_ctx;
};

/* A failing (or, in fp_kept, falsely positive) cut point. */
struct sweep_failure {
	char repro[96];
	enum sweep_invariant inv;  /* the first broken invariant, in enum order */
	uint32_t inv_mask;         /* every broken invariant of this cut: bit i = enum value i */
	char detail[160];          /* what broke, for inv */
	char expected[96];         /* the file's `expect`, e.g. "running v1 confirmed, primary v1" */
	char observed[96];         /* the end state reached, in the same words */
	uint64_t op_index;         /* operation index of the top-level cut (uncut numbering) */
};

/* Failing cut points per top-level operation index, per invariant (for plots). */
struct sweep_op_failures {
	uint64_t op_index;
	uint64_t count[SWEEP_INVARIANTS];
};

struct sweep_result {
	uint64_t workload_ops;    /* mutating operations of the uncut workload */
	uint64_t cut_points;      /* cut points run (all depths), flash-error points included */
	uint64_t fault_points;    /* of which flash-error points (options.faults) */
	uint64_t distinct_states; /* distinct (flash, step) states whose continuation ran */
	uint64_t failures[SWEEP_INVARIANTS]; /* cuts that broke each invariant (a cut may
						  break several, so these can add up to more
						  than failing_cuts) */
	uint64_t failing_cuts;    /* cut points that broke at least one invariant */
	uint64_t false_positives; /* I6: reverted or fell to recovery although the new image was
				     good, because the cut hit a boot */
	uint32_t wear_bound;      /* I5's bound: 2 x the uncut worst sector + 2 */
	uint32_t baseline_max_erases;
	uint64_t baseline_busy_ns;
	struct sweep_failure *kept; /* the first failures, canonical order */
	size_t nkept;
	struct sweep_failure *fp_kept; /* the first false positives (I6), canonical order */
	size_t nfp_kept;
	struct sweep_op_failures *per_op; /* ascending op_index, only ops with failures */
	size_t nper_op;
	uint32_t *sector_max_erases; /* per sector of the device: the most erases any cut's
					continuation reached (baseline included) */
	uint32_t nsectors;
	double wall_s;
};

/* Run a sweep. Returns 0 when it ran (whatever it found), -1 with err set when it could not. */
int sweep_run(const struct sweep_workload *w, const struct sweep_options *o,
	      struct sweep_result *r, char *err, size_t errlen);
void sweep_result_free(struct sweep_result *r);
uint64_t sweep_total_failures(const struct sweep_result *r);

/*
 * Replay one case by its repro ID ("t812.1" = torn variant 1 at op 812; "b40" = between at
 * op 40; nested cuts joined by '/'; "uncut" = the workload itself; a flash error: "pe812"
 * program error, "ee812" erase error, "sb812" stuck bit, "bs812" bad sector at op 812), printing each flash operation and boot decision when
 * trace is set. Fills r with that single case. -1 with err on a malformed or stale ID.
 */
int sweep_replay(const struct sweep_workload *w, const struct sweep_options *o, const char *id,
		 bool trace, struct sweep_result *r, char *err, size_t errlen);

#endif
