/*
 * reports/report.h: outcome databases read into memory (report_load.c) for the renderers
 * (report_md.c, report_html.c, report_junit.c, report_json.c), the baseline comparison
 * (report_diff.c) and the shard merge (report_merge.c).
 *
 * What one "sweep" and one "run" of a report are, when a database holds several rows:
 *  - a sweep is identified by its name, depth, modes and metastable flag; the newest row
 *    (last database given, highest id) decides its file hash, and rows of another hash are
 *    left out. Its rows are the newest unsharded one or, when it has none, the newest row of
 *    each shard "K/N", summed (so a merged sharded sweep reports the unsharded totals);
 *  - a run is identified by scenario name and seed: the newest complete run row.
 */
#ifndef REPORTS_REPORT_H
#define REPORTS_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The counted outcomes of a sweep, in the order of sim/sweep_engine.h's enum (from I1). */
enum rep_inv {
	REP_I1,
	REP_I2,
	REP_I3,
	REP_I4,
	REP_I5,
	REP_BASELINE,
	REP_FW_ABORT,
	REP_APP_ERROR,
	REP_NINV
};
/* "I1 never bricked", ... as sweep_invariant_name spells them. */
extern const char *const rep_inv_name[REP_NINV];
/* The index of a name, or -1. */
int rep_inv_index(const char *name);

struct rep_failure {
	char *repro, *invariant, *invariants, *detail, *expected, *observed; /* NULL: unknown */
	int64_t op_index;     /* -1: unknown */
};

struct rep_op {
	int64_t op_index;
	int64_t count[REP_NINV];
};

struct rep_sweep {
	char *name, *file, *file_hash, *strategy, *preset, *modes, *tool_version;
	int depth, metastable;
	int shards_n;         /* 0: an unsharded row; else the N of "K/N" */
	int shards_have;      /* distinct shards K found */
	/* Summed over shards; distinct_states then counts a state two shards both reached
	 * twice, so only cut_points and the failure counts equal the unsharded run's. */
	int64_t workload_ops, cut_points, distinct_states, failures, failing_cuts; /* -1: unknown */
	int64_t inv[REP_NINV];
	int64_t false_positives, wear_bound;
	double wall_s;
	bool pass;
	struct rep_failure *fail, *fp;
	size_t nfail, nfp;
	struct rep_op *ops;   /* ascending op_index */
	size_t nops;
	int64_t *sector_erases; /* per sector, max over shards */
	size_t nsectors;
};

struct rep_node {
	int64_t node;
	char *role, *final_fw, *verdict;
	char *reason;  /* why a target did not converge (schema 5); NULL: none or unknown */
	double x, y;
	bool target, bricked;
	int64_t reverts, converged_us, wave, hops, rx_start_us; /* -1: NULL */
	int64_t pdus_queued, pdus_dropped; /* schema 5; -1: NULL */
};

struct rep_expect {
	char *name, *observed, *expected;
	bool pass;
};

struct rep_metric {
	char *name;
	double value;
};

struct rep_run {
	char *scenario, *file, *hash, *tool_version;
	uint64_t seed;
	bool pass;
	int64_t sim_end_us;
	double wall_s;
	struct rep_node *nodes;
	size_t nnodes;
	struct rep_expect *expect;
	size_t nexpect;
	struct rep_metric *metrics; /* sorted by name */
	size_t nmetrics;
};

struct rep_data {
	struct rep_sweep *sweeps; /* sorted by name */
	size_t nsweeps;
	struct rep_run *runs;     /* sorted by scenario, then seed */
	size_t nruns;
	size_t incomplete_runs;   /* 'incomplete' rows (killed or interrupted runs) */
};

/* Read the databases (bo_db_open_read: never modified). 0, or -1 with err set. */
int rep_load(const char *const *paths, size_t npaths, struct rep_data *d, char *err,
	     size_t errlen);
void rep_free(struct rep_data *d);

/* A run's metric, or NAN. */
double rep_metric(const struct rep_run *r, const char *name);
/* Counts of a run's targets. */
struct rep_run_counts {
	unsigned targets, converged, failed, bricked;
};
struct rep_run_counts rep_run_count(const struct rep_run *r);
/* What a node's dot on the map means: "updated", "reverted", "lost", "bricked",
 * "unreachable", "failed" (a target otherwise), or "other" (Distributor, relay). */
const char *rep_node_outcome(const struct rep_node *n);
/* A sweep with failures, or a run that did not pass. */
static inline bool rep_sweep_failed(const struct rep_sweep *s)
{
	return !s->pass;
}

/* The baseline comparison (report_diff.c). */
struct rep_threshold {
	char name[48];      /* a run metric where bigger is worse */
	double pct;         /* allowed increase, percent */
};

enum rep_change_kind {
	REP_NEW_FAILURE,     /* regression: a repro ID (or a failing sweep/run) not in the baseline */
	REP_FIXED,           /* a baseline failure gone */
	REP_NEW_BRICK,       /* regression: more bricked nodes */
	REP_LOST_EXPECTATION,/* regression: an expectation that held fails */
	REP_METRIC_WORSE,    /* regression: a metric over its threshold */
	REP_METRIC_CHANGED,  /* a metric changed within its threshold, or one without one */
	REP_INPUT_CHANGED,   /* the file hash differs: not compared */
	REP_NEW_ENTRY,       /* in the current databases only (a regression when failing) */
	REP_MISSING,         /* in the baseline only; a regression: shards missing from a sweep */
};

struct rep_change {
	enum rep_change_kind kind;
	bool regression;
	char what[160];     /* "sweep NAME" or "scenario NAME seed N" */
	char detail[400];
};

struct rep_diff {
	struct rep_change *changes;
	size_t n;
	size_t regressions;
	size_t matched;     /* sweeps and runs found in both (whatever their hash) */
};

/* The documented defaults of --max-regression (report_diff.c). */
extern const struct rep_threshold rep_default_thresholds[];
extern const size_t rep_ndefault_thresholds;

/* Compare cur against base with thresholds (defaults merged with the given ones: a given
 * name replaces its default). 0, or -1 when out of memory. */
int rep_diff(const struct rep_data *cur, const struct rep_data *base,
	     const struct rep_threshold *th, size_t nth, struct rep_diff *out);
void rep_diff_free(struct rep_diff *d);
const char *rep_change_name(enum rep_change_kind k);

/* Renderers: write to f (a memory stream the caller writes out at once). diff may be
 * NULL (no --baseline). */
void rep_write_md(FILE *f, const struct rep_data *d, const struct rep_diff *diff);
void rep_write_html(FILE *f, const struct rep_data *d, const struct rep_diff *diff);
void rep_write_junit(FILE *f, const struct rep_data *d, const struct rep_diff *diff);
void rep_write_json(FILE *f, const struct rep_data *d, const struct rep_diff *diff);

/* Shared by the renderers: "brownout sweep FILE --repro ID --trace". */
void rep_replay_command(const struct rep_sweep *s, const char *repro, char *out, size_t n);
/* The length of the valid UTF-8 sequence at s (1 to 4), or 0 when s starts an invalid one:
 * XML and JSON output must be UTF-8 whatever a database holds. */
int rep_utf8_len(const char *s);
/* A time in seconds, compact ("42.1s", "12m05s", "1h02m"); "-" when negative or NAN. */
void rep_fmt_seconds(double s, char *out, size_t n);

/* Merge shard databases into out_path (report_merge.c): every input is checked first (same
 * file hash per sweep name / scenario name, one tool version, also against what out_path
 * already holds), then the rows out_path does not hold yet are copied in one transaction.
 * Added counts go to *sweeps_added and *runs_added. 0, or -1 with err set (nothing
 * written). */
int rep_merge(const char *out_path, const char *const *inputs, size_t ninputs,
	      size_t *sweeps_added, size_t *runs_added, char *err, size_t errlen);

#endif
