/* Scenario runs in the outcome database: schema version 3 and the migrations from 1 and 2,
 * a large run written and read back, a killed run (incomplete row, no detail rows), a failed write
 * rolled back, and the canonical dump used for determinism checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "reports/db.h"
#include "reports/db_run.h"

static char path[256];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof path, "/tmp/brownout-test-db-run-%d.db", (int)getpid());
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char p[300];
	unlink(path);
	snprintf(p, sizeof p, "%s-wal", path);
	unlink(p);
	snprintf(p, sizeof p, "%s-shm", path);
	unlink(p);
	return 0;
}

static int64_t count(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int64_t count_id(sqlite3 *db, const char *sql, int64_t id)
{
	sqlite3_stmt *st;
	int64_t n = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, id);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	return n;
}

static const struct bo_db_run_info info = {
	.scenario = "demo",
	.scenario_file = "scenarios/mesh/demo.yaml",
	.scenario_hash = "ab12",
	.tool_version = "test",
	.seed = 0xfedcba9876543210u, /* above INT64_MAX: stored as the same bits */
	.max_event_level = BO_DB_EV_PROGRESS,
};

static struct bo_db_node node_row(int64_t id)
{
	return (struct bo_db_node){
		.node = id,
		.role = id == 1 ? "distributor" : "target",
		.x = (double)(id % 10) * 12.5,
		.y = (double)id * 0.1,
		.initial_fw = "1.0",
		.final_fw = id % 7 ? "2.0" : NULL,
		.running_slot = id % 7 ? "primary" : NULL,
		.boots = 2 + id % 3,
		.power_cuts = id % 3,
		.reverts = id % 5 == 0,
		.recovery_boots = 0,
		.bricked = id % 7 == 0,
		.converged_us = id % 7 ? 1000000 + id * 1234 : -1,
		.flash_erases = 100 + id,
		.flash_programs = 4000 + id,
		.max_sector_erases = 3,
		.confirmed = id % 7 != 0 && id % 5 != 0,
		.flash_cuts = id % 3 == 2,
		.installs = id % 7 ? 1 : 0,
		.offers = id == 1 ? 0 : 1 + id % 4,
		.verdict = id == 1 ? NULL : id % 7 == 0 ? "lost" : id % 5 == 0 ? "reverted" : "updated",
		.target = id != 1,
		.wave = id == 1 ? -1 : id / 24,
		.hops = id % 4,
		.rx_start_us = id == 1 ? -1 : 5000 + id,
		.pdus_queued = 10 * id,
		.queue_peak = 1 + id % 6,
		.pdus_dropped = id % 4,
		.relay_dropped = id % 4 ? id % 4 - 1 : 0,
		.reason = id % 7 == 0 ? "lost after 2 offers: the Distributor gave up in BLOB block 1"
				      : NULL,
	};
}

/* The columns of a table, "name type notnull dflt pk;" each, in order. */
static char *table_info(sqlite3 *db, const char *table)
{
	static char out[2048];
	char sql[100];
	snprintf(sql, sizeof sql, "SELECT name, type, \"notnull\", dflt_value, pk FROM pragma_table_info('%s')",
		 table);
	sqlite3_stmt *st;
	out[0] = '\0';
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
	while (sqlite3_step(st) == SQLITE_ROW) {
		size_t len = strlen(out);
		const char *dflt = (const char *)sqlite3_column_text(st, 3);
		snprintf(out + len, sizeof out - len, "%s %s %d %s %d;", sqlite3_column_text(st, 0),
			 sqlite3_column_text(st, 1), sqlite3_column_int(st, 2), dflt ? dflt : "-",
			 sqlite3_column_int(st, 4));
	}
	sqlite3_finalize(st);
	return out;
}

/* The node table as the current schema creates it (version 3's columns, 4's, 5's). */
static const char node_v3_columns[] =
	"run_id INTEGER 1 - 1;node INTEGER 1 - 2;role TEXT 1 - 0;x REAL 1 - 0;y REAL 1 - 0;"
	"initial_fw TEXT 0 - 0;final_fw TEXT 0 - 0;running_slot TEXT 0 - 0;boots INTEGER 1 - 0;"
	"power_cuts INTEGER 1 - 0;reverts INTEGER 1 - 0;recovery_boots INTEGER 1 - 0;"
	"bricked INTEGER 1 - 0;converged_us INTEGER 0 - 0;flash_erases INTEGER 1 - 0;"
	"flash_programs INTEGER 1 - 0;max_sector_erases INTEGER 1 - 0;confirmed INTEGER 0 - 0;"
	"flash_cuts INTEGER 0 - 0;installs INTEGER 0 - 0;offers INTEGER 0 - 0;verdict TEXT 0 - 0;"
	"target INTEGER 0 - 0;wave INTEGER 0 - 0;hops INTEGER 0 - 0;rx_start_us INTEGER 0 - 0;"
	"pdus_queued INTEGER 0 - 0;queue_peak INTEGER 0 - 0;pdus_dropped INTEGER 0 - 0;"
	"relay_dropped INTEGER 0 - 0;reason TEXT 0 - 0;";

static const char *const table_names[] = {"run", "node", "expectation", "metric", "event"};

static void creates_the_current_schema(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(BO_DB_SCHEMA_VERSION, 5);
	assert_int_equal(count(db, "PRAGMA user_version"), BO_DB_SCHEMA_VERSION);
	assert_string_equal(table_info(db, "node"), node_v3_columns);
	for (size_t i = 0; i < sizeof table_names / sizeof *table_names; i++) {
		char sql[200];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'",
			 table_names[i]);
		assert_int_equal(count(db, sql), 1);
	}
	/* run_id is indexed in every detail table (a primary key or an index leading with it). */
	assert_int_equal(count(db, "SELECT count(*) FROM pragma_index_list('expectation')"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM pragma_index_list('event')"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM pragma_index_info('event_by_run') WHERE seqno = 0 AND name = 'run_id'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM pragma_index_info('expectation_by_run') WHERE seqno = 0 AND name = 'run_id'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM pragma_table_info('node') WHERE pk = 1 AND name = 'run_id'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM pragma_table_info('metric') WHERE pk = 1 AND name = 'run_id'"), 1);
	bo_db_close(db);
}

/* A file written by schema version 1 (the sweep tables only) gains the run tables and
 * keeps its sweeps. */
static void migrates_a_version_1_file(void **state)
{
	(void)state;
	static const char v1[] =
		"PRAGMA journal_mode=WAL;"
		"CREATE TABLE sweep (id INTEGER PRIMARY KEY, name TEXT NOT NULL, file TEXT NOT NULL,"
		" file_hash TEXT NOT NULL, strategy TEXT NOT NULL, preset TEXT NOT NULL,"
		" depth INTEGER NOT NULL, modes TEXT NOT NULL, metastable INTEGER NOT NULL, shard TEXT,"
		" tool_version TEXT NOT NULL, started_at TEXT NOT NULL, wall_s REAL NOT NULL,"
		" workload_ops INTEGER NOT NULL, cut_points INTEGER NOT NULL,"
		" distinct_states INTEGER NOT NULL, failures INTEGER NOT NULL,"
		" i1_bricked INTEGER NOT NULL, i2_hybrid INTEGER NOT NULL, i3_converge INTEGER NOT NULL,"
		" i4_flash INTEGER NOT NULL, i5_wear INTEGER NOT NULL, baseline_failed INTEGER NOT NULL,"
		" i6_false_positives INTEGER NOT NULL, wear_bound INTEGER NOT NULL,"
		" baseline_busy_ms REAL NOT NULL, pass INTEGER NOT NULL);"
		"CREATE TABLE sweep_failure (sweep_id INTEGER NOT NULL REFERENCES sweep(id) ON DELETE"
		" CASCADE, repro TEXT NOT NULL, invariant TEXT NOT NULL, detail TEXT NOT NULL);"
		"CREATE INDEX sweep_failure_by_sweep ON sweep_failure(sweep_id);"
		"INSERT INTO sweep VALUES (7, 'old', 'old.yaml', '00', 'overwrite', 'nrf52840', 1,"
		" 'between', 0, NULL, 'v1', '2026-01-01T00:00:00Z', 1.5, 10, 20, 20, 1, 0, 1, 0, 0, 0,"
		" 0, 0, 3, 2.5, 0);"
		"INSERT INTO sweep_failure VALUES (7, 't3', 'I2 no hybrid', 'x');"
		"PRAGMA user_version=1;";
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, v1, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);

	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(count(db, "PRAGMA user_version"), BO_DB_SCHEMA_VERSION);
	assert_string_equal(table_info(db, "node"), node_v3_columns);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep WHERE id = 7 AND name = 'old' AND failures = 1"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep_failure WHERE sweep_id = 7"), 1);
	/* The new tables are there and usable. */
	struct bo_db_run *r = bo_db_run_begin(db, &info, err, sizeof err);
	assert_non_null(r);
	struct bo_db_node n = node_row(1);
	assert_int_equal(bo_db_run_add_node(r, &n, err, sizeof err), 0);
	assert_int_equal(bo_db_run_finish(r, 0.5, 1000, 1, err, sizeof err), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM run WHERE status = 'complete'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM node"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM node WHERE confirmed = 1 AND target = 0"
				   " AND verdict IS NULL AND offers = 0"), 1);
	bo_db_close(db);
	/* Opening again changes nothing. */
	db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(count(db, "PRAGMA user_version"), BO_DB_SCHEMA_VERSION);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM run"), 1);
	bo_db_close(db);
}

/* The run tables exactly as schema version 2 created them (reports/schema.sql before the
 * version-3 node columns). */
static const char v2_run_tables[] =
	"CREATE TABLE IF NOT EXISTS run ("
	"    id               INTEGER PRIMARY KEY,"
	"    scenario         TEXT    NOT NULL,"
	"    scenario_file    TEXT    NOT NULL,"
	"    scenario_hash    TEXT    NOT NULL,"
	"    seed             INTEGER NOT NULL,"
	"    tool_version     TEXT    NOT NULL,"
	"    started_at       TEXT    NOT NULL,"
	"    wall_s           REAL,"
	"    sim_end_us       INTEGER,"
	"    status           TEXT    NOT NULL DEFAULT 'incomplete'"
	"                     CHECK (status IN ('complete', 'incomplete')),"
	"    pass             INTEGER"
	");"
	"CREATE TABLE IF NOT EXISTS node ("
	"    run_id           INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"    node             INTEGER NOT NULL,"
	"    role             TEXT    NOT NULL,"
	"    x                REAL    NOT NULL,"
	"    y                REAL    NOT NULL,"
	"    initial_fw       TEXT,"
	"    final_fw         TEXT,"
	"    running_slot     TEXT,"
	"    boots            INTEGER NOT NULL,"
	"    power_cuts       INTEGER NOT NULL,"
	"    reverts          INTEGER NOT NULL,"
	"    recovery_boots   INTEGER NOT NULL,"
	"    bricked          INTEGER NOT NULL,"
	"    converged_us     INTEGER,"
	"    flash_erases     INTEGER NOT NULL,"
	"    flash_programs   INTEGER NOT NULL,"
	"    max_sector_erases INTEGER NOT NULL,"
	"    PRIMARY KEY (run_id, node)"
	") WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS expectation ("
	"    run_id           INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"    name             TEXT    NOT NULL,"
	"    pass             INTEGER NOT NULL,"
	"    observed         TEXT    NOT NULL,"
	"    expected         TEXT    NOT NULL"
	");"
	"CREATE INDEX IF NOT EXISTS expectation_by_run ON expectation(run_id);"
	"CREATE TABLE IF NOT EXISTS metric ("
	"    run_id           INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"    name             TEXT    NOT NULL,"
	"    value            REAL    NOT NULL,"
	"    PRIMARY KEY (run_id, name)"
	") WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS event ("
	"    run_id           INTEGER NOT NULL REFERENCES run(id) ON DELETE CASCADE,"
	"    t_us             INTEGER NOT NULL,"
	"    node             INTEGER,"
	"    level            INTEGER NOT NULL,"
	"    kind             TEXT    NOT NULL,"
	"    detail           TEXT    NOT NULL"
	");"
	"CREATE INDEX IF NOT EXISTS event_by_run ON event(run_id, t_us);";

/* A file written by schema version 2 (here: its run tables, one complete run with one node
 * row) gains the version-3 node columns: user_version 3, the old row reads NULL in them and
 * keeps the rest, the table ends up as a new file's, and a new run writes every column. */
static void migrates_a_version_2_file(void **state)
{
	(void)state;
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, v2_run_tables, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw,
		"INSERT INTO run VALUES (4, 'old', 'old.yaml', 'cd34', 9, 'v2', '2026-01-01T00:00:00Z',"
		" 0.5, 5000000, 'complete', 1);"
		"INSERT INTO node VALUES (4, 2, 'target', 1.5, 2.5, 'v1', 'v2', 'primary', 3, 1, 0, 0,"
		" 0, 4000000, 40, 900, 5);"
		"PRAGMA user_version=2;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);

	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(count(db, "PRAGMA user_version"), BO_DB_SCHEMA_VERSION);
	assert_string_equal(table_info(db, "node"), node_v3_columns);
	/* The old row: its columns kept, the new ones NULL. */
	assert_int_equal(count(db, "SELECT count(*) FROM node"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM node WHERE run_id = 4 AND node = 2"
				   " AND role = 'target' AND x = 1.5 AND final_fw = 'v2' AND boots = 3"
				   " AND power_cuts = 1 AND converged_us = 4000000 AND max_sector_erases = 5"
				   " AND confirmed IS NULL AND flash_cuts IS NULL AND installs IS NULL"
				   " AND offers IS NULL AND verdict IS NULL AND target IS NULL"), 1);
	char *old = bo_db_run_dump(db, 4, err, sizeof err);
	assert_non_null(old);
	assert_string_equal(old, "node\t2\t\"target\"\t1.5\t2.5\t\"v1\"\t\"v2\"\t\"primary\"\t3\t1\t0\t0"
				 "\t0\t4000000\t40\t900\t5\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL\tNULL"
				 "\tNULL\tNULL\tNULL\tNULL\tNULL\n");
	free(old);
	assert_int_equal(count(db, "SELECT count(*) FROM pragma_integrity_check WHERE integrity_check = 'ok'"), 1);
	/* A new run writes every column. */
	struct bo_db_run *r = bo_db_run_begin(db, &info, err, sizeof err);
	assert_non_null(r);
	int64_t id = bo_db_run_id(r);
	assert_int_equal(id, 5);
	for (int64_t i = 1; i <= 10; i++) {
		struct bo_db_node n = node_row(i);
		assert_int_equal(bo_db_run_add_node(r, &n, err, sizeof err), 0);
	}
	assert_int_equal(bo_db_run_finish(r, 0.25, 2000, 1, err, sizeof err), 0);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ? AND (confirmed IS NULL"
				      " OR flash_cuts IS NULL OR installs IS NULL OR offers IS NULL"
				      " OR target IS NULL)", id), 0);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ? AND verdict IS NULL", id), 1);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ? AND node = 5"
				      " AND confirmed = 0 AND flash_cuts = 1 AND installs = 1 AND offers = 2"
				      " AND verdict = 'reverted' AND target = 1", id), 1);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ? AND node = 7"
				      " AND confirmed = 0 AND installs = 0 AND verdict = 'lost'", id), 1);
	bo_db_close(db);
	/* Opening again changes nothing (the columns are not added twice). */
	db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(count(db, "PRAGMA user_version"), BO_DB_SCHEMA_VERSION);
	assert_string_equal(table_info(db, "node"), node_v3_columns);
	assert_int_equal(count(db, "SELECT count(*) FROM node"), 11);
	bo_db_close(db);
}

/* A file written by schema version 4 (the current node table without version 5's columns,
 * one old row) gains pdus_queued, queue_peak, pdus_dropped, relay_dropped and reason: the
 * old row reads NULL in them, a new run writes them. */
static void migrates_a_version_4_file(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(sqlite3_exec(db,
		"ALTER TABLE node DROP COLUMN pdus_queued; ALTER TABLE node DROP COLUMN queue_peak;"
		"ALTER TABLE node DROP COLUMN pdus_dropped; ALTER TABLE node DROP COLUMN relay_dropped;"
		"ALTER TABLE node DROP COLUMN reason;"
		"INSERT INTO run VALUES (3, 'old', 'old.yaml', 'ef56', 2, 'v4', '2026-01-01T00:00:00Z',"
		" 0.5, 5000000, 'complete', 1);"
		"INSERT INTO node (run_id, node, role, x, y, boots, power_cuts, reverts, recovery_boots,"
		" bricked, flash_erases, flash_programs, max_sector_erases, hops) VALUES"
		" (3, 1, 'target', 0, 0, 1, 0, 0, 0, 0, 4, 40, 1, 2);"
		"PRAGMA user_version=4;", NULL, NULL, NULL), SQLITE_OK);
	bo_db_close(db);
	db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(count(db, "PRAGMA user_version"), BO_DB_SCHEMA_VERSION);
	assert_string_equal(table_info(db, "node"), node_v3_columns);
	assert_int_equal(count(db, "SELECT count(*) FROM node WHERE run_id = 3 AND hops = 2"
				   " AND pdus_queued IS NULL AND queue_peak IS NULL AND pdus_dropped IS NULL"
				   " AND relay_dropped IS NULL AND reason IS NULL"), 1);
	struct bo_db_run *r = bo_db_run_begin(db, &info, err, sizeof err);
	assert_non_null(r);
	int64_t id = bo_db_run_id(r);
	struct bo_db_node n = node_row(7);
	assert_int_equal(bo_db_run_add_node(r, &n, err, sizeof err), 0);
	assert_int_equal(bo_db_run_finish(r, 0.25, 2000, 1, err, sizeof err), 0);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ? AND pdus_queued = 70"
				      " AND queue_peak = 2 AND pdus_dropped = 3 AND relay_dropped = 2"
				      " AND reason LIKE 'lost after 2 offers: %'", id), 1);
	bo_db_close(db);
}

/* A file of the next schema version is refused and left as it was. */
static void refuses_the_next_version(void **state)
{
	(void)state;
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", BO_DB_SCHEMA_VERSION + 1);
	assert_int_equal(sqlite3_exec(raw, v2_run_tables, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, pragma, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	char err[300];
	assert_null(bo_db_open(path, err, sizeof err));
	assert_non_null(strstr(err, "newer"));
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(count(raw, "PRAGMA user_version"), BO_DB_SCHEMA_VERSION + 1);
	assert_int_equal(count(raw, "SELECT count(*) FROM pragma_table_info('node') WHERE name = 'verdict'"), 0);
	assert_int_equal(count(raw, "SELECT count(*) FROM sqlite_master WHERE name = 'sweep'"), 0);
	sqlite3_close(raw);
}

enum { NODES = 1000, EVENTS = 10000 };

/* Write a run of n nodes, a few metrics and expectations, and nev events (every third one
 * at trace level, which this run does not keep). */
static int64_t write_run(sqlite3 *db, int n, int nev, int64_t odd_node)
{
	char err[300];
	struct bo_db_run *r = bo_db_run_begin(db, &info, err, sizeof err);
	assert_non_null(r);
	int64_t id = bo_db_run_id(r);
	for (int i = 1; i <= n; i++) {
		struct bo_db_node row = node_row(i);
		if (i == odd_node)
			row.flash_erases++;
		assert_int_equal(bo_db_run_add_node(r, &row, err, sizeof err), 0);
	}
	assert_int_equal(bo_db_run_add_metric(r, "convergence_p50_s", 12.25, err, sizeof err), 0);
	assert_int_equal(bo_db_run_add_metric(r, "convergence_p95_s", 0.1 + 0.2, err, sizeof err), 0);
	assert_int_equal(bo_db_run_add_metric(r, "messages_sent", 123456, err, sizeof err), 0);
	assert_int_equal(bo_db_run_add_expectation(r, "all converged", 0, "857 of 1000", "1000 of 1000",
						   err, sizeof err), 0);
	assert_int_equal(bo_db_run_add_expectation(r, "no bricked", 1, "0", "0", err, sizeof err), 0);
	for (int i = 0; i < nev; i++) {
		int level = i % 3 == 2 ? BO_DB_EV_TRACE : i % 3 == 1 ? BO_DB_EV_PROGRESS : BO_DB_EV_OUTCOME;
		assert_int_equal(bo_db_run_add_event(r, (uint64_t)i * 100, i % 10 == 0 ? -1 : i % n, level,
						     "boot", "slot primary\tfw 2.0", err, sizeof err), 0);
	}
	assert_int_equal(bo_db_run_finish(r, 1.25, 987654321, 0, err, sizeof err), 0);
	return id;
}

static void writes_a_large_run_and_reads_it_back(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	int64_t id = write_run(db, NODES, EVENTS, -1);
	assert_true(id > 0);
	assert_int_equal(count_id(db, "SELECT count(*) FROM run WHERE id = ? AND status = 'complete'"
				      " AND pass = 0 AND sim_end_us = 987654321 AND wall_s = 1.25"
				      " AND scenario = 'demo' AND started_at LIKE '20__-__-__T__:__:__Z'", id), 1);
	assert_int_equal(count_id(db, "SELECT seed FROM run WHERE id = ?", id), (int64_t)0xfedcba9876543210u);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ?", id), NODES);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ? AND converged_us IS NULL", id),
			 NODES / 7);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ? AND bricked = 1"
				      " AND running_slot IS NULL AND final_fw IS NULL", id), NODES / 7);
	assert_int_equal(count_id(db, "SELECT sum(flash_erases) FROM node WHERE run_id = ?", id),
			 100 * NODES + NODES * (NODES + 1) / 2);
	assert_int_equal(count_id(db, "SELECT converged_us FROM node WHERE run_id = ? AND node = 3", id),
			 1000000 + 3 * 1234);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ? AND node = 5 AND x = 62.5"
				      " AND role = 'target' AND reverts = 1", id), 1);
	assert_int_equal(count_id(db, "SELECT count(*) FROM metric WHERE run_id = ?", id), 3);
	assert_int_equal(count_id(db, "SELECT value FROM metric WHERE run_id = ? AND name = 'messages_sent'", id),
			 123456);
	assert_int_equal(count_id(db, "SELECT count(*) FROM expectation WHERE run_id = ? AND pass = 0"
				      " AND observed = '857 of 1000'", id), 1);
	/* Trace-level events are dropped: 2 of every 3 kept. */
	int64_t kept = EVENTS - EVENTS / 3;
	assert_int_equal(count_id(db, "SELECT count(*) FROM event WHERE run_id = ?", id), kept);
	assert_int_equal(count_id(db, "SELECT count(*) FROM event WHERE run_id = ? AND level > 2", id), 0);
	int64_t whole_network = 0;
	for (int i = 0; i < EVENTS; i += 10)
		whole_network += i % 3 != 2;
	assert_int_equal(count_id(db, "SELECT count(*) FROM event WHERE run_id = ? AND node IS NULL", id),
			 whole_network);
	assert_int_equal(count_id(db, "SELECT max(t_us) FROM event WHERE run_id = ?", id), (EVENTS - 1) * 100);
	bo_db_close(db);
}

/* A child process begins a run, writes nodes, a metric and events, and dies before
 * finishing: the run is visible as one 'incomplete' row with no detail rows. */
static void a_killed_run_is_incomplete_and_leaves_no_rows(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	int64_t done = write_run(db, 10, 10, -1);
	bo_db_close(db);

	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		sqlite3 *cdb = bo_db_open(path, err, sizeof err);
		if (!cdb)
			_exit(10);
		struct bo_db_run *r = bo_db_run_begin(cdb, &info, err, sizeof err);
		if (!r)
			_exit(11);
		for (int i = 1; i <= 100; i++) {
			struct bo_db_node n = node_row(i);
			if (bo_db_run_add_node(r, &n, err, sizeof err))
				_exit(12);
		}
		if (bo_db_run_add_metric(r, "messages_sent", 5, err, sizeof err) ||
		    bo_db_run_add_event(r, 1, 2, BO_DB_EV_OUTCOME, "power_cut", "", err, sizeof err))
			_exit(13);
		_exit(0); /* killed: no finish, no close */
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);

	db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(count(db, "SELECT count(*) FROM run"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM run WHERE status = 'incomplete'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM run WHERE status = 'incomplete' AND pass IS NULL"
				   " AND wall_s IS NULL AND sim_end_us IS NULL"), 1);
	int64_t killed = count(db, "SELECT id FROM run WHERE status = 'incomplete'");
	assert_true(killed != done);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ?", killed), 0);
	assert_int_equal(count_id(db, "SELECT count(*) FROM metric WHERE run_id = ?", killed), 0);
	assert_int_equal(count_id(db, "SELECT count(*) FROM event WHERE run_id = ?", killed), 0);
	assert_int_equal(count_id(db, "SELECT count(*) FROM expectation WHERE run_id = ?", killed), 0);
	/* The finished run before it is untouched. */
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ?", done), 10);
	assert_int_equal(count_id(db, "SELECT count(*) FROM run WHERE id = ? AND status = 'complete'", done), 1);
	/* And the database takes the next run. */
	int64_t next = write_run(db, 5, 3, -1);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ?", next), 5);
	bo_db_close(db);
}

/* The same with SIGKILL in the middle of a run large enough that SQLite spills uncommitted
 * pages into the WAL file: still one 'incomplete' row and nothing else. */
static void a_run_killed_after_a_cache_spill_leaves_no_rows(void **state)
{
	(void)state;
	int fds[2];
	assert_int_equal(pipe(fds), 0);
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char err[300], detail[200];
		close(fds[0]);
		sqlite3 *cdb = bo_db_open(path, err, sizeof err);
		if (!cdb)
			_exit(10);
		sqlite3_exec(cdb, "PRAGMA cache_size=-256", NULL, NULL, NULL); /* 256 KiB */
		struct bo_db_run *r = bo_db_run_begin(cdb, &info, err, sizeof err);
		if (!r)
			_exit(11);
		for (int i = 1; i <= NODES; i++) {
			struct bo_db_node n = node_row(i);
			if (bo_db_run_add_node(r, &n, err, sizeof err))
				_exit(12);
		}
		memset(detail, 'x', sizeof detail - 1);
		detail[sizeof detail - 1] = '\0';
		for (int i = 0; i < 20000; i++)
			if (bo_db_run_add_event(r, (uint64_t)i, i % NODES, BO_DB_EV_OUTCOME, "boot", detail,
						err, sizeof err))
				_exit(13);
		if (write(fds[1], "w", 1) != 1)
			_exit(14);
		for (;;)
			pause(); /* killed here, the run open */
	}
	close(fds[1]);
	char c;
	assert_int_equal(read(fds[0], &c, 1), 1);
	close(fds[0]);
	char wal[300];
	snprintf(wal, sizeof wal, "%s-wal", path);
	FILE *fp = fopen(wal, "rb");
	assert_non_null(fp);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	assert_true(ftell(fp) > 1000000); /* the uncommitted pages did reach the WAL */
	fclose(fp);
	assert_int_equal(kill(pid, SIGKILL), 0);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));

	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(count(db, "SELECT count(*) FROM run WHERE status = 'incomplete'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM run"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM node"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM event"), 0);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	bo_db_close(db);
}

/* A write that fails (a node without a role breaks NOT NULL; a repeated metric name breaks
 * the primary key) rolls back every detail row; the run stays 'incomplete' and finishing
 * it fails. */
static void a_failed_write_rolls_the_run_back(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	for (int variant = 0; variant < 2; variant++) {
		struct bo_db_run *r = bo_db_run_begin(db, &info, err, sizeof err);
		assert_non_null(r);
		int64_t id = bo_db_run_id(r);
		for (int i = 1; i <= 20; i++) {
			struct bo_db_node n = node_row(i);
			assert_int_equal(bo_db_run_add_node(r, &n, err, sizeof err), 0);
		}
		assert_int_equal(bo_db_run_add_metric(r, "retries", 4, err, sizeof err), 0);
		assert_int_equal(bo_db_run_add_event(r, 5, 1, BO_DB_EV_OUTCOME, "boot", "", err, sizeof err), 0);
		if (variant == 0) {
			struct bo_db_node bad = node_row(21);
			bad.role = NULL;
			assert_int_equal(bo_db_run_add_node(r, &bad, err, sizeof err), -1);
			assert_non_null(strstr(err, "NOT NULL"));
		} else {
			assert_int_equal(bo_db_run_add_metric(r, "retries", 5, err, sizeof err), -1);
			assert_non_null(strstr(err, "UNIQUE"));
		}
		/* Later writes are refused, and so is finishing. */
		struct bo_db_node n = node_row(30);
		assert_int_equal(bo_db_run_add_node(r, &n, err, sizeof err), -1);
		assert_non_null(strstr(err, "rolled back"));
		assert_int_equal(bo_db_run_finish(r, 1, 2, 1, err, sizeof err), -1);
		assert_int_equal(count_id(db, "SELECT count(*) FROM run WHERE id = ? AND status = 'incomplete'", id), 1);
		assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ?", id), 0);
		assert_int_equal(count_id(db, "SELECT count(*) FROM metric WHERE run_id = ?", id), 0);
		assert_int_equal(count_id(db, "SELECT count(*) FROM event WHERE run_id = ?", id), 0);
	}
	/* Aborting an open run also rolls it back. */
	struct bo_db_run *r = bo_db_run_begin(db, &info, err, sizeof err);
	assert_non_null(r);
	int64_t id = bo_db_run_id(r);
	struct bo_db_node n = node_row(1);
	assert_int_equal(bo_db_run_add_node(r, &n, err, sizeof err), 0);
	bo_db_run_abort(r);
	assert_int_equal(count_id(db, "SELECT count(*) FROM node WHERE run_id = ?", id), 0);
	/* The connection is usable afterwards: a sweep and a run go in. */
	struct bo_db_sweep s = {.name = "s", .file = "s.yaml", .file_hash = "00", .strategy = "overwrite",
				.preset = "nrf52840", .modes = "between", .tool_version = "t"};
	assert_true(bo_db_add_sweep(db, &s, NULL, 0, err, sizeof err) > 0);
	int64_t ok = write_run(db, 3, 3, -1);
	assert_int_equal(count_id(db, "SELECT count(*) FROM run WHERE id = ? AND status = 'complete'", ok), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM run WHERE status = 'incomplete'"), 3);
	bo_db_close(db);
}

/* Two connections to one file (two seeds on two threads) each begin a run, then write and
 * finish them one after the other: the details transaction opens at the first write, so
 * beginning does not hold the write lock. */
static void two_connections_write_their_runs_in_turn(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *d1 = bo_db_open(path, err, sizeof err), *d2 = bo_db_open(path, err, sizeof err);
	assert_non_null(d1);
	assert_non_null(d2);
	sqlite3_busy_timeout(d1, 100);
	sqlite3_busy_timeout(d2, 100);
	struct bo_db_run *r1 = bo_db_run_begin(d1, &info, err, sizeof err);
	assert_non_null(r1);
	struct bo_db_run *r2 = bo_db_run_begin(d2, &info, err, sizeof err);
	assert_non_null(r2);
	int64_t id1 = bo_db_run_id(r1), id2 = bo_db_run_id(r2);
	assert_true(id1 != id2);
	struct bo_db_node n = node_row(1);
	assert_int_equal(bo_db_run_add_node(r1, &n, err, sizeof err), 0);
	/* While r1's details are open, the other connection still reads the committed state. */
	assert_int_equal(count(d2, "SELECT count(*) FROM run WHERE status = 'incomplete'"), 2);
	assert_int_equal(count(d2, "SELECT count(*) FROM node"), 0);
	assert_int_equal(bo_db_run_finish(r1, 1, 2, 1, err, sizeof err), 0);
	assert_int_equal(bo_db_run_add_node(r2, &n, err, sizeof err), 0);
	assert_int_equal(bo_db_run_finish(r2, 1, 2, 1, err, sizeof err), 0);
	assert_int_equal(count(d1, "SELECT count(*) FROM run WHERE status = 'complete'"), 2);
	assert_int_equal(count(d1, "SELECT count(DISTINCT run_id) FROM node"), 2);
	bo_db_close(d1);
	bo_db_close(d2);
}

/* Two identical runs dump identically (ids, wall clock and event rows aside); one node
 * column changed changes the dump. */
static void the_canonical_dump_compares_runs(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	int64_t a = write_run(db, 50, 10, -1);
	int64_t b = write_run(db, 50, 20, -1);
	int64_t c = write_run(db, 50, 10, 17);
	char *da = bo_db_run_dump(db, a, err, sizeof err);
	char *db_ = bo_db_run_dump(db, b, err, sizeof err);
	char *dc = bo_db_run_dump(db, c, err, sizeof err);
	assert_non_null(da);
	assert_non_null(db_);
	assert_non_null(dc);
	assert_string_equal(da, db_);
	assert_string_not_equal(da, dc);
	/* One line per node and per metric, node rows first in node order, every digit kept. */
	size_t lines = 0;
	for (const char *p = da; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 50 + 3);
	assert_non_null(strstr(da, "node\t1\t\"distributor\"\t12.5\t0.10000000000000001\t\"1.0\"\t\"2.0\"\t\"primary\"\t"));
	assert_non_null(strstr(da, "metric\t\"convergence_p95_s\"\t0.30000000000000004\n"));
	assert_true(strstr(da, "node\t2\t") < strstr(da, "node\t10\t"));
	assert_true(strstr(da, "node\t50\t") < strstr(da, "metric\t"));
	assert_non_null(strstr(da, "node\t7\t\"target\"\t87.5\t0.70000000000000007\t\"1.0\"\tNULL\tNULL\t"));
	/* Whole lines, every column in table order: version 3's confirmed, flash_cuts,
	 * installs, offers, verdict and target (NULL verdict for the non-target), version 4's
	 * wave, hops, rx_start_us, version 5's pdus_queued, queue_peak, pdus_dropped,
	 * relay_dropped and reason last. */
	assert_non_null(strstr(da, "node\t1\t\"distributor\"\t12.5\t0.10000000000000001\t\"1.0\"\t\"2.0\""
				   "\t\"primary\"\t3\t1\t0\t0\t0\t1001234\t101\t4001\t3\t1\t0\t1\t0\tNULL\t0\tNULL\t1\tNULL"
				   "\t10\t2\t1\t0\tNULL\n"));
	assert_non_null(strstr(da, "\nnode\t5\t\"target\"\t62.5\t0.5\t\"1.0\"\t\"2.0\"\t\"primary\"\t4\t2\t1\t0"
				   "\t0\t1006170\t105\t4005\t3\t0\t1\t1\t2\t\"reverted\"\t1\t0\t1\t5005"
				   "\t50\t6\t1\t0\tNULL\n"));
	assert_non_null(strstr(da, "\nnode\t7\t\"target\"\t87.5\t0.70000000000000007\t\"1.0\"\tNULL\tNULL\t3\t1"
				   "\t0\t0\t1\tNULL\t107\t4007\t3\t0\t0\t0\t4\t\"lost\"\t1\t0\t3\t5007"
				   "\t70\t2\t3\t2\t\"lost after 2 offers: the Distributor gave up in BLOB block 1\"\n"));
	/* Each new column alone changes the dump. */
	for (int col = 0; col < 13; col++) {
		struct bo_db_run *r = bo_db_run_begin(db, &info, err, sizeof err);
		assert_non_null(r);
		int64_t id = bo_db_run_id(r);
		for (int i = 1; i <= 50; i++) {
			struct bo_db_node n = node_row(i);
			if (i == 9) {
				switch (col) {
				case 0: n.confirmed = !n.confirmed; break;
				case 1: n.flash_cuts++; break;
				case 2: n.installs++; break;
				case 3: n.offers++; break;
				case 4: n.verdict = "verify-failed"; break;
				case 5: n.target = !n.target; break;
				case 6: n.wave = 1; break;           /* 0 -> 1 */
				case 7: n.hops = 2; break;           /* 1 -> 2 */
				case 8: n.pdus_queued = 91; break;   /* 90 -> 91 */
				case 9: n.queue_peak = 5; break;     /* 4 -> 5 */
				case 10: n.pdus_dropped = 2; break;  /* 1 -> 2 */
				case 11: n.relay_dropped = 1; break; /* 0 -> 1 */
				default: n.rx_start_us = 6009; break; /* 5009 -> 6009 */
				}
			}
			assert_int_equal(bo_db_run_add_node(r, &n, err, sizeof err), 0);
		}
		assert_int_equal(bo_db_run_add_metric(r, "convergence_p50_s", 12.25, err, sizeof err), 0);
		assert_int_equal(bo_db_run_add_metric(r, "convergence_p95_s", 0.1 + 0.2, err, sizeof err), 0);
		assert_int_equal(bo_db_run_add_metric(r, "messages_sent", 123456, err, sizeof err), 0);
		assert_int_equal(bo_db_run_finish(r, 9, 987654321, 0, err, sizeof err), 0);
		char *dx = bo_db_run_dump(db, id, err, sizeof err);
		assert_non_null(dx);
		assert_int_equal(strlen(dx), strlen(da) + (col == 4 ? strlen("verify-failed") - strlen("updated") : 0));
		assert_string_not_equal(da, dx);
		free(dx);
	}
	/* A run with no rows dumps as an empty string. */
	char *empty = bo_db_run_dump(db, 999, err, sizeof err);
	assert_non_null(empty);
	assert_string_equal(empty, "");
	free(da);
	free(db_);
	free(dc);
	free(empty);
	bo_db_close(db);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(creates_the_current_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(migrates_a_version_1_file, setup, teardown),
		cmocka_unit_test_setup_teardown(migrates_a_version_2_file, setup, teardown),
		cmocka_unit_test_setup_teardown(migrates_a_version_4_file, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_the_next_version, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_a_large_run_and_reads_it_back, setup, teardown),
		cmocka_unit_test_setup_teardown(a_killed_run_is_incomplete_and_leaves_no_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(a_run_killed_after_a_cache_spill_leaves_no_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_write_rolls_the_run_back, setup, teardown),
		cmocka_unit_test_setup_teardown(two_connections_write_their_runs_in_turn, setup, teardown),
		cmocka_unit_test_setup_teardown(the_canonical_dump_compares_runs, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
