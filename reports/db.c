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

/* The columns later schema versions added to existing tables, as reports/schema.sql defines
 * them: an older file gains those its tables lack by ALTER TABLE (old rows read NULL). */
static const struct added_column {
	const char *table, *name, *type;
} added_columns[] = {
	/* version 3 */
	{"node", "confirmed", "INTEGER"}, {"node", "flash_cuts", "INTEGER"},
	{"node", "installs", "INTEGER"},  {"node", "offers", "INTEGER"},
	{"node", "verdict", "TEXT"},      {"node", "target", "INTEGER"},
	/* version 4 */
	{"sweep", "fw_abort", "INTEGER"},  {"sweep", "app_error", "INTEGER"},
	{"sweep", "failing_cuts", "INTEGER"},
	{"sweep_failure", "invariants", "TEXT"}, {"sweep_failure", "expected", "TEXT"},
	{"sweep_failure", "observed", "TEXT"},   {"sweep_failure", "op_index", "INTEGER"},
	{"node", "wave", "INTEGER"}, {"node", "hops", "INTEGER"}, {"node", "rx_start_us", "INTEGER"},
	/* version 5 */
	{"node", "pdus_queued", "INTEGER"}, {"node", "queue_peak", "INTEGER"},
	{"node", "pdus_dropped", "INTEGER"}, {"node", "relay_dropped", "INTEGER"},
	{"node", "reason", "TEXT"},
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

/* Inside the schema transaction, after the schema ran: add the later columns the tables
 * lack (an older file; one made by this schema has them all). 0, or -1. */
static int add_missing_columns(sqlite3 *db, char **msg)
{
	for (size_t i = 0; i < sizeof added_columns / sizeof *added_columns; i++) {
		const struct added_column *c = &added_columns[i];
		char sql[200];
		snprintf(sql, sizeof sql,
			 "SELECT count(*) FROM pragma_table_info('%s') WHERE name = '%s'", c->table,
			 c->name);
		int have = pragma_int(db, sql);
		if (have < 0)
			return -1;
		if (have)
			continue;
		snprintf(sql, sizeof sql, "ALTER TABLE %s ADD COLUMN %s %s", c->table, c->name,
			 c->type);
		if (sqlite3_exec(db, sql, NULL, NULL, msg) != SQLITE_OK)
			return -1;
	}
	return 0;
}

/* Bring db (open, not in a transaction) to this schema version in one transaction: 0, or
 * -1 with err set ("PATH: ..."); a newer version is refused. */
static int migrate(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	char *msg = NULL;
	int version = pragma_int(db, "PRAGMA user_version");
	if (version < 0) {
		set_err(err, errlen, path, db);
		return -1;
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
	    (version < BO_DB_SCHEMA_VERSION && add_missing_columns(db, &msg)))
		goto fail;
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d; COMMIT", BO_DB_SCHEMA_VERSION);
	if (sqlite3_exec(db, pragma, NULL, NULL, &msg))
		goto fail;
	return 0;
fail:
	snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	if (sqlite3_get_autocommit(db) == 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
newer:
	snprintf(err, errlen, "%s: schema version %d is newer than this brownout's (%d)", path,
		 version, BO_DB_SCHEMA_VERSION);
	return -1;
}

sqlite3 *bo_db_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	if (sqlite3_open(path, &db) != SQLITE_OK) {
		set_err(err, errlen, path, db);
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_busy_timeout(db, 10000); /* shards may write to one file */
	if (migrate(db, path, err, errlen)) {
		sqlite3_close(db);
		return NULL;
	}
	return db;
}

sqlite3 *bo_db_open_read(const char *path, char *err, size_t errlen)
{
	sqlite3 *file = NULL, *mem = NULL;
	if (sqlite3_open_v2(path, &file, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		set_err(err, errlen, path, file);
		goto fail;
	}
	sqlite3_busy_timeout(file, 10000);
	int version = pragma_int(file, "PRAGMA user_version");
	if (version < 0) {
		set_err(err, errlen, path, file);
		goto fail;
	}
	if (version > BO_DB_SCHEMA_VERSION) {
		snprintf(err, errlen, "%s: schema version %d is newer than this brownout's (%d)",
			 path, version, BO_DB_SCHEMA_VERSION);
		goto fail;
	}
	if (pragma_int(file, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND"
			     " name IN ('sweep', 'run')") <= 0) {
		snprintf(err, errlen, "%s: not a brownout outcome database (no sweep or run table)",
			 path);
		goto fail;
	}
	if (version == BO_DB_SCHEMA_VERSION)
		return file; /* nothing to migrate: read the file itself */
	if (sqlite3_open(":memory:", &mem) != SQLITE_OK) {
		set_err(err, errlen, path, NULL);
		goto fail;
	}
	sqlite3_backup *b = sqlite3_backup_init(mem, "main", file, "main");
	int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
	if (b)
		sqlite3_backup_finish(b);
	if (rc != SQLITE_DONE) {
		set_err(err, errlen, path, b ? file : mem);
		goto fail;
	}
	sqlite3_close(file);
	file = NULL;
	if (migrate(mem, path, err, errlen))
		goto fail;
	return mem;
fail:
	sqlite3_close(file);
	sqlite3_close(mem);
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

/* The failure rows of a sweep (with_inv: sweep_failure, else sweep_false_positive). 0, -1. */
static int add_failures(sqlite3 *db, int64_t id, const char *sql, const struct bo_db_failure *f,
			size_t n, int with_inv)
{
	sqlite3_stmt *st;
	if (!n)
		return 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (size_t k = 0; k < n; k++) {
		int i = 1;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, i++, id);
		bind_text(st, i++, f[k].repro);
		if (with_inv)
			bind_text(st, i++, f[k].invariant);
		bind_text(st, i++, f[k].detail);
		if (with_inv)
			bind_text(st, i++, f[k].invariants);
		bind_text(st, i++, f[k].expected);
		bind_text(st, i++, f[k].observed);
		if (f[k].op_index >= 0)
			sqlite3_bind_int64(st, i++, f[k].op_index);
		else
			sqlite3_bind_null(st, i++);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static int add_per_op(sqlite3 *db, int64_t id, const struct bo_db_op_failure *p, size_t n)
{
	sqlite3_stmt *st;
	if (!n)
		return 0;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO sweep_op_failure (sweep_id, op_index, invariant, count)"
			       " VALUES (?,?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (size_t k = 0; k < n; k++) {
		if (!p[k].count)
			continue;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, p[k].op_index);
		bind_text(st, 3, p[k].invariant);
		sqlite3_bind_int64(st, 4, p[k].count);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

static int add_sectors(sqlite3 *db, int64_t id, const uint32_t *e, size_t n)
{
	sqlite3_stmt *st;
	if (!n || !e)
		return 0;
	if (sqlite3_prepare_v2(db,
			       "INSERT INTO sweep_sector_erases (sweep_id, sector, max_erases)"
			       " VALUES (?,?,?)", -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (size_t k = 0; k < n; k++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, id);
		sqlite3_bind_int64(st, 2, (int64_t)k);
		sqlite3_bind_int64(st, 3, e[k]);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	return 0;
}

int64_t bo_db_add_sweep(sqlite3 *db, const struct bo_db_sweep *s, const struct bo_db_failure *f,
			size_t nf, char *err, size_t errlen)
{
	static const char insert_sweep[] =
		"INSERT INTO sweep (name, file, file_hash, strategy, preset, depth, modes, metastable,"
		" shard, tool_version, started_at, wall_s, workload_ops, cut_points, distinct_states,"
		" failures, i1_bricked, i2_hybrid, i3_converge, i4_flash, i5_wear, baseline_failed,"
		" i6_false_positives, wear_bound, baseline_busy_ms, pass, fw_abort, app_error,"
		" failing_cuts) VALUES (?,?,?,?,?,?,?,?,?,?,"
		"strftime('%Y-%m-%dT%H:%M:%SZ','now'),?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
	static const char insert_false_positive[] =
		"INSERT INTO sweep_false_positive (sweep_id, repro, detail, expected, observed,"
		" op_index) VALUES (?,?,?,?,?,?)";
	static const char insert_failure[] =
		"INSERT INTO sweep_failure (sweep_id, repro, invariant, detail, invariants, expected,"
		" observed, op_index) VALUES (?,?,?,?,?,?,?,?)";
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
	sqlite3_bind_int64(st, i++, s->fw_abort);
	sqlite3_bind_int64(st, i++, s->app_error);
	if (s->failing_cuts >= 0)
		sqlite3_bind_int64(st, i++, s->failing_cuts);
	else
		sqlite3_bind_null(st, i++);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	id = sqlite3_last_insert_rowid(db);
	if (add_failures(db, id, insert_failure, f, nf, 1) ||
	    add_failures(db, id, insert_false_positive, s->false_positives, s->nfalse_positives, 0) ||
	    add_per_op(db, id, s->per_op, s->nper_op) ||
	    add_sectors(db, id, s->sector_max_erases, s->nsectors))
		goto fail;
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
