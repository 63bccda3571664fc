/*
 * reports/db.h: the outcome database (reports/schema.sql): open or create it, check its
 * schema version (migrating an older file in one transaction: version 1 gains the run
 * tables, version 2 the node columns of version 3, version 3 the sweep detail tables and
 * columns of version 4), and write one sweep per transaction. Scenario runs are written by
 * reports/db_run.h; reports read databases with bo_db_open_read.
 */
#ifndef REPORTS_DB_H
#define REPORTS_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* 2: scenario runs (reports/db_run.h); 3: node confirmed, flash_cuts, installs, offers,
 * verdict, target; 4: sweep fw_abort, app_error, failing_cuts, sweep_failure invariants,
 * expected, observed, op_index, tables sweep_false_positive, sweep_op_failure,
 * sweep_sector_erases, node wave, hops, rx_start_us; 5: node pdus_queued, queue_peak,
 * pdus_dropped, relay_dropped, reason */
#define BO_DB_SCHEMA_VERSION 5

/* Open (creating it and its schema if needed) in WAL mode. NULL with err set on failure,
 * including a database written by a newer brownout. */
sqlite3 *bo_db_open(const char *path, char *err, size_t errlen);
/* Open an existing database for reading, leaving the file untouched: a file of this
 * version is opened read-only; one of an older version is copied into memory and migrated
 * there, so a reader always sees version 4. NULL
 * with err set when the file is missing, not a SQLite database, not a brownout database
 * (no sweep or run table) or newer than this brownout. */
sqlite3 *bo_db_open_read(const char *path, char *err, size_t errlen);
void bo_db_close(sqlite3 *db);

/* A failing cut (sweep_failure) or a false positive (sweep_false_positive: invariant and
 * invariants are not stored). repro, invariant and detail are required (NOT NULL: the
 * whole sweep is refused); the version-4 strings may be NULL. */
struct bo_db_failure {
	const char *repro, *invariant, *detail;
	/* Schema version 4. */
	const char *invariants;  /* every broken invariant, comma-separated names */
	const char *expected, *observed;
	int64_t op_index;        /* negative: unknown (NULL) */
};

/* Failing cuts at one top-level operation index for one invariant (sweep_op_failure). */
struct bo_db_op_failure {
	int64_t op_index;
	const char *invariant;   /* its name, as sweep_invariant_name gives it */
	int64_t count;           /* rows with 0 are skipped */
};

struct bo_db_sweep {
	const char *name, *file, *file_hash, *strategy, *preset, *modes, *shard, *tool_version;
	int depth, metastable;
	double wall_s, baseline_busy_ms;
	int64_t workload_ops, cut_points, distinct_states, failures;
	int64_t i1, i2, i3, i4, i5, baseline_failed, i6, wear_bound;
	/* Schema version 4; zero / NULL when the engine does not fill them. */
	int64_t fw_abort, app_error; /* cuts where the firmware aborted / an app call failed */
	int64_t failing_cuts;        /* cuts that broke at least one invariant; negative: NULL */
	const struct bo_db_failure *false_positives; /* I6 repros (sweep_false_positive) */
	size_t nfalse_positives;
	const struct bo_db_op_failure *per_op;       /* sweep_op_failure rows */
	size_t nper_op;
	const uint32_t *sector_max_erases;           /* per sector (sweep_sector_erases) */
	size_t nsectors;
};

/* Insert a sweep, its failures and (version 4) its false positives, failures per operation
 * and erases per sector in one transaction. `pass` is stored as failures == 0. Returns the sweep id, or -1 with err
 * set (nothing is written then). */
int64_t bo_db_add_sweep(sqlite3 *db, const struct bo_db_sweep *s, const struct bo_db_failure *f,
			size_t nf, char *err, size_t errlen);

#endif
