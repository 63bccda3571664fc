/*
 * reports/db.h: the outcome database (reports/schema.sql): open or create it, check its
 * schema version (migrating an older file: version 1 gains the run tables, version 2 the
 * node columns of version 3), and write one sweep per transaction. Scenario runs are written by reports/db_run.h.
 */
#ifndef REPORTS_DB_H
#define REPORTS_DB_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

/* 2: scenario runs (reports/db_run.h); 3: node confirmed, flash_cuts, installs, offers,
 * verdict, target */
#define BO_DB_SCHEMA_VERSION 3

/* Open (creating it and its schema if needed) in WAL mode. NULL with err set on failure,
 * including a database written by a newer brownout. */
sqlite3 *bo_db_open(const char *path, char *err, size_t errlen);
void bo_db_close(sqlite3 *db);

struct bo_db_sweep {
	const char *name, *file, *file_hash, *strategy, *preset, *modes, *shard, *tool_version;
	int depth, metastable;
	double wall_s, baseline_busy_ms;
	int64_t workload_ops, cut_points, distinct_states, failures;
	int64_t i1, i2, i3, i4, i5, baseline_failed, i6, wear_bound;
};

struct bo_db_failure {
	const char *repro, *invariant, *detail;
};

/* Insert a sweep and its failures in one transaction. Returns the sweep id, or -1 with err
 * set (nothing is written then). */
int64_t bo_db_add_sweep(sqlite3 *db, const struct bo_db_sweep *s, const struct bo_db_failure *f,
			size_t nf, char *err, size_t errlen);

#endif
