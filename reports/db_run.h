/*
 * reports/db_run.h: write one scenario run into the outcome database (reports/schema.sql,
 * tables run, node, expectation, metric, event).
 *
 * A run is written in two transactions:
 *   bo_db_run_begin   inserts the `run` row with status 'incomplete' and commits it, so
 *                     the attempt is recorded even if the process dies;
 *   bo_db_run_add_*   write the detail rows into a second transaction, opened by the first
 *                     of them (so a runner may begin at the start of its simulation and
 *                     write at the end without holding the database's write lock meanwhile);
 *   bo_db_run_finish  sets status 'complete', wall_s, sim_end_us and pass, and commits.
 * A process killed before bo_db_run_finish's COMMIT leaves the 'incomplete' run row and
 * nothing else. A failed write rolls the second transaction back: the run keeps only its
 * 'incomplete' row, later calls fail, and bo_db_run_finish returns -1 and frees the handle.
 *
 * One open run per connection at a time, and no other write (bo_db_add_sweep) on that
 * connection while it is open. Inserts use prepared statements reused for every row.
 */
#ifndef REPORTS_DB_RUN_H
#define REPORTS_DB_RUN_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* Event levels (event.level); a run keeps the events up to its max_event_level. */
enum bo_db_event_level {
	BO_DB_EV_OUTCOME = 1,  /* power cut, boot, revert, brick, converged */
	BO_DB_EV_PROGRESS = 2, /* phases, retries */
	BO_DB_EV_TRACE = 3,    /* messages */
};

struct bo_db_run_info {
	const char *scenario, *scenario_file, *scenario_hash, *tool_version;
	uint64_t seed;       /* stored as the same 64 bits, signed */
	int max_event_level; /* events above it are dropped; 0 keeps none */
};

struct bo_db_node {
	int64_t node;
	const char *role;
	double x, y;
	const char *initial_fw, *final_fw, *running_slot; /* NULL allowed */
	int64_t boots, power_cuts, reverts, recovery_boots;
	int bricked;
	int64_t converged_us; /* negative: never converged (stored as NULL) */
	int64_t flash_erases, flash_programs, max_sector_erases;
	/* Schema version 3. */
	int confirmed;             /* the running primary image is confirmed (stored 0/1) */
	int64_t flash_cuts;        /* of power_cuts, those inside a flash operation */
	int64_t installs;          /* boots that installed an upgrade */
	int64_t offers;            /* distributions it was in */
	const char *verdict;       /* the Initiator's last verdict; NULL for a non-target */
	int target;                /* in the Initiator's targets (stored 0/1) */
	/* Schema version 4: negative values are stored as NULL (unknown / none). */
	int64_t wave;              /* its rollout wave, from 0 */
	int64_t hops;              /* hops from the Distributor through relays */
	int64_t rx_start_us;       /* the first distribution it was in started */
	/* Schema version 5. */
	int64_t pdus_queued;       /* PDUs that waited behind another for its advertiser */
	int64_t queue_peak;        /* the most PDUs queued at once */
	int64_t pdus_dropped;      /* PDUs dropped for lack of advertising or relay buffers */
	int64_t relay_dropped;     /* of pdus_dropped, relayed ones */
	const char *reason;        /* why a target did not converge; NULL: none */
};

struct bo_db_run; /* an open run */

/* Insert and commit the 'incomplete' run row. NULL with err set on failure. */
struct bo_db_run *bo_db_run_begin(sqlite3 *db, const struct bo_db_run_info *info, char *err,
				  size_t errlen);
int64_t bo_db_run_id(const struct bo_db_run *r);

/* Each returns 0, or -1 with err set after rolling back every detail row of the run. */
int bo_db_run_add_node(struct bo_db_run *r, const struct bo_db_node *n, char *err, size_t errlen);
int bo_db_run_add_expectation(struct bo_db_run *r, const char *name, int pass, const char *observed,
			      const char *expected, char *err, size_t errlen);
int bo_db_run_add_metric(struct bo_db_run *r, const char *name, double value, char *err,
			 size_t errlen);
/* node < 0: the whole network (NULL). An event above the run's level is skipped (returns 0). */
int bo_db_run_add_event(struct bo_db_run *r, uint64_t t_us, int64_t node, int level,
			const char *kind, const char *detail, char *err, size_t errlen);

/* Mark the run complete and commit it with its details; frees r. 0, or -1 with err set
 * (the run then stays 'incomplete' with no detail rows). */
int bo_db_run_finish(struct bo_db_run *r, double wall_s, uint64_t sim_end_us, int pass, char *err,
		     size_t errlen);
/* Give up on an open run: roll back its details (its row stays 'incomplete'); frees r. */
void bo_db_run_abort(struct bo_db_run *r);

/* The run's `node` and `metric` rows in a canonical text form (ordered by node id and by
 * metric name, every column but run_id in table order, version 3's node columns included,
 * one line per row; version 4's wave, hops and rx_start_us too), so two runs of the same scenario
 * and seed can be compared. Returns a malloc'ed string, or NULL with err set. */
char *bo_db_run_dump(sqlite3 *db, int64_t run_id, char *err, size_t errlen);

#endif
