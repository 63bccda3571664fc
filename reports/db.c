/* The outcome database: schema, version check, transactional writes. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "reports/db.h"

/* The schema, kept in one place: reports/schema.sql, embedded at build time. */
static const char schema_sql[] =
#include "reports/schema.sql.h"
	;

static void set_err(char *err, size_t errlen, const char *what, sqlite3 *db)
{
	snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

/* The columns schema version 3 added to `node`, as reports/schema.sql defines them: a
 * version-2 file gains them by ALTER TABLE (old rows read NULL). */
static const char *const node_v3_columns[][2] = {
	{"confirmed", "INTEGER"}, {"flash_cuts", "INTEGER"}, {"installs", "INTEGER"},
	{"offers", "INTEGER"},    {"verdict", "TEXT"},       {"target", "INTEGER"},
};

static int pragma_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* Inside the schema transaction, after the schema ran: add the version-3 node columns the
 * table lacks (a version-2 file; one made by this schema has them all). 0, or -1. */
static int add_node_v3_columns(sqlite3 *db, char **msg)
{
	for (size_t i = 0; i < sizeof node_v3_columns / sizeof *node_v3_columns; i++) {
		char sql[160];
		snprintf(sql, sizeof sql,
			 "SELECT count(*) FROM pragma_table_info('node') WHERE name = '%s'",
			 node_v3_columns[i][0]);
		int have = pragma_int(db, sql);
		if (have < 0)
			return -1;
		if (have)
			continue;
		snprintf(sql, sizeof sql, "ALTER TABLE node ADD COLUMN %s %s", node_v3_columns[i][0],
			 node_v3_columns[i][1]);
		if (sqlite3_exec(db, sql, NULL, NULL, msg) != SQLITE_OK)
			return -1;
	}
	return 0;
}

sqlite3 *bo_db_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	char *msg = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		set_err(err, errlen, path, db);
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000); /* shards may write to one file */
	int version = pragma_int(db, "PRAGMA user_version");
	if (version < 0) {
		set_err(err, errlen, path, db);
		sqlite3_close(db);
		return NULL;
	}
	if (version > BO_DB_SCHEMA_VERSION)
		goto newer;
	if (sqlite3_exec(db, "PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON;", NULL, NULL, &msg) ||
	    sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, &msg))
		goto fail;
	/* Again under the write lock: another process may have migrated the file meanwhile. */
	version = pragma_int(db, "PRAGMA user_version");
	if (version < 0)
		goto fail;
	if (version > BO_DB_SCHEMA_VERSION) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto newer;
	}
	if (sqlite3_exec(db, schema_sql, NULL, NULL, &msg) ||
	    (version < 3 && add_node_v3_columns(db, &msg)))
		goto fail;
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d; COMMIT", BO_DB_SCHEMA_VERSION);
	if (sqlite3_exec(db, pragma, NULL, NULL, &msg))
		goto fail;
	return db;
fail:
	snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	if (sqlite3_get_autocommit(db) == 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_close(db);
	return NULL;
newer:
	snprintf(err, errlen, "%s: schema version %d is newer than this brownout's (%d)", path,
		 version, BO_DB_SCHEMA_VERSION);
	sqlite3_close(db);
	return NULL;
}

void bo_db_close(sqlite3 *db)
{
	sqlite3_close(db);
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

int64_t bo_db_add_sweep(sqlite3 *db, const struct bo_db_sweep *s, const struct bo_db_failure *f,
			size_t nf, char *err, size_t errlen)
{
	static const char insert_sweep[] =
		"INSERT INTO sweep (name, file, file_hash, strategy, preset, depth, modes, metastable,"
		" shard, tool_version, started_at, wall_s, workload_ops, cut_points, distinct_states,"
		" failures, i1_bricked, i2_hybrid, i3_converge, i4_flash, i5_wear, baseline_failed,"
		" i6_false_positives, wear_bound, baseline_busy_ms, pass) VALUES (?,?,?,?,?,?,?,?,?,?,"
		"strftime('%Y-%m-%dT%H:%M:%SZ','now'),?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	static const char insert_failure[] =
		"INSERT INTO sweep_failure (sweep_id, repro, invariant, detail) VALUES (?,?,?,?)";
	sqlite3_stmt *st = NULL;
	int64_t id = -1;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		set_err(err, errlen, "begin", db);
		return -1;
	}
	if (sqlite3_prepare_v2(db, insert_sweep, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	int i = 1;
	bind_text(st, i++, s->name);
	bind_text(st, i++, s->file);
	bind_text(st, i++, s->file_hash);
	bind_text(st, i++, s->strategy);
	bind_text(st, i++, s->preset);
	sqlite3_bind_int(st, i++, s->depth);
	bind_text(st, i++, s->modes);
	sqlite3_bind_int(st, i++, s->metastable);
	bind_text(st, i++, s->shard);
	bind_text(st, i++, s->tool_version);
	sqlite3_bind_double(st, i++, s->wall_s);
	sqlite3_bind_int64(st, i++, s->workload_ops);
	sqlite3_bind_int64(st, i++, s->cut_points);
	sqlite3_bind_int64(st, i++, s->distinct_states);
	sqlite3_bind_int64(st, i++, s->failures);
	sqlite3_bind_int64(st, i++, s->i1);
	sqlite3_bind_int64(st, i++, s->i2);
	sqlite3_bind_int64(st, i++, s->i3);
	sqlite3_bind_int64(st, i++, s->i4);
	sqlite3_bind_int64(st, i++, s->i5);
	sqlite3_bind_int64(st, i++, s->baseline_failed);
	sqlite3_bind_int64(st, i++, s->i6);
	sqlite3_bind_int64(st, i++, s->wear_bound);
	sqlite3_bind_double(st, i++, s->baseline_busy_ms);
	sqlite3_bind_int(st, i++, s->failures == 0);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	id = sqlite3_last_insert_rowid(db);
	if (sqlite3_prepare_v2(db, insert_failure, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (size_t k = 0; k < nf; k++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		bind_text(st, 2, f[k].repro);
		bind_text(st, 3, f[k].invariant);
		bind_text(st, 4, f[k].detail);
		if (sqlite3_step(st) != SQLITE_DONE)
			goto fail;
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		set_err(err, errlen, "commit", db);
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return -1;
	}
	return id;
fail:
	set_err(err, errlen, "write", db);
	sqlite3_finalize(st);
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}
