/* The outcome database: schema version, WAL, one transaction per sweep, clear refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "reports/db.h"

static char path[256];

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof path, "/tmp/brownout-test-db-%d.db", (int)getpid());
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

static struct bo_db_sweep row(int64_t failures)
{
	return (struct bo_db_sweep){.name = "s", .file = "s.yaml", .file_hash = "00", .strategy = "overwrite",
				    .preset = "nrf52840", .modes = "between,torn", .tool_version = "t",
				    .depth = 1, .cut_points = 10, .failures = failures, .i2 = failures};
}

static void creates_versioned_wal_schema(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(count(db, "PRAGMA user_version"), BO_DB_SCHEMA_VERSION);
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "wal");
	sqlite3_finalize(st);
	bo_db_close(db);
	/* Opening again keeps the data and the version. */
	db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	bo_db_close(db);
}

static void writes_a_sweep_with_its_failures(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	struct bo_db_sweep r = row(2);
	struct bo_db_failure f[2] = {{"t12.1", "I2 no hybrid", "x"}, {"b40", "I2 no hybrid", "y"}};
	int64_t id = bo_db_add_sweep(db, &r, f, 2, err, sizeof err);
	assert_true(id > 0);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep WHERE pass = 0 AND failures = 2"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep_failure"), 2);
	bo_db_close(db);
}

/* A write that fails halfway (the second failure row breaks a NOT NULL constraint) leaves
 * nothing behind: not the sweep row, not the first failure row. */
static void a_failed_write_leaves_no_partial_rows(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	struct bo_db_sweep r = row(2);
	struct bo_db_failure f[2] = {{"t12.1", "I2 no hybrid", "x"}, {NULL, "I2 no hybrid", "y"}};
	assert_int_equal(bo_db_add_sweep(db, &r, f, 2, err, sizeof err), -1);
	assert_non_null(strstr(err, "NOT NULL"));
	assert_int_equal(count(db, "SELECT count(*) FROM sweep"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep_failure"), 0);
	bo_db_close(db);
}

static void refuses_a_newer_schema_and_a_non_database(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version=99", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_null(bo_db_open(path, err, sizeof err));
	assert_non_null(strstr(err, "newer"));
	teardown(NULL);
	FILE *fp = fopen(path, "w");
	fputs("this is not a database, it is a text file long enough to have a header", fp);
	fclose(fp);
	assert_null(bo_db_open(path, err, sizeof err));
	assert_true(strlen(err) > 0);
}

/* Version 4: every broken invariant, expected and observed state, op index; false
 * positives, failures per op, erases per sector. An engine that fills none of them (zeros,
 * NULL) still writes a valid sweep. */
static void writes_the_version_4_details(void **state)
{
	(void)state;
	char err[300];
	sqlite3 *db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	struct bo_db_sweep r = row(1);
	struct bo_db_failure f = {"t12.1", "I1 never bricked", "x", "I1 never bricked,I3 converges",
				  "running v2 confirmed", "running none", 12};
	struct bo_db_failure fp[2] = {{"b7", "", "fell back", NULL, "running v2", "running v1", 7},
				      {"b9", "", "fell back", NULL, NULL, NULL, -1}};
	struct bo_db_op_failure ops[3] = {{12, "I1 never bricked", 1}, {12, "I3 converges", 1},
					  {13, "I2 no hybrid", 0}};
	uint32_t sectors[4] = {1, 5, 2, 0};
	r.failing_cuts = 1;
	r.fw_abort = 3;
	r.false_positives = fp;
	r.nfalse_positives = 2;
	r.per_op = ops;
	r.nper_op = 3;
	r.sector_max_erases = sectors;
	r.nsectors = 4;
	int64_t id = bo_db_add_sweep(db, &r, &f, 1, err, sizeof err);
	assert_true(id > 0);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep WHERE failing_cuts = 1 AND fw_abort = 3"
				   " AND app_error = 0"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep_failure WHERE op_index = 12 AND"
				   " invariants = 'I1 never bricked,I3 converges' AND observed = 'running none'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep_false_positive"), 2);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep_false_positive WHERE op_index IS NULL"
				   " AND expected IS NULL AND repro = 'b9'"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep_op_failure"), 2); /* 0 skipped */
	assert_int_equal(count(db, "SELECT sum(count) FROM sweep_op_failure WHERE op_index = 12"), 2);
	assert_int_equal(count(db, "SELECT max_erases FROM sweep_sector_erases WHERE sector = 1"), 5);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep_sector_erases"), 4);
	/* Nothing filled: no detail rows, failing_cuts NULL when negative. */
	struct bo_db_sweep bare = row(0);
	bare.failing_cuts = -1;
	id = bo_db_add_sweep(db, &bare, NULL, 0, err, sizeof err);
	assert_true(id > 0);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep WHERE failing_cuts IS NULL"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep_sector_erases"), 4);
	bo_db_close(db);
}

/* The version-3 sweep tables as that schema created them. */
static const char v3_sweep_tables[] =
	"CREATE TABLE sweep (id INTEGER PRIMARY KEY, name TEXT NOT NULL, file TEXT NOT NULL,"
	" file_hash TEXT NOT NULL, strategy TEXT NOT NULL, preset TEXT NOT NULL, depth INTEGER NOT NULL,"
	" modes TEXT NOT NULL, metastable INTEGER NOT NULL, shard TEXT, tool_version TEXT NOT NULL,"
	" started_at TEXT NOT NULL, wall_s REAL NOT NULL, workload_ops INTEGER NOT NULL,"
	" cut_points INTEGER NOT NULL, distinct_states INTEGER NOT NULL, failures INTEGER NOT NULL,"
	" i1_bricked INTEGER NOT NULL, i2_hybrid INTEGER NOT NULL, i3_converge INTEGER NOT NULL,"
	" i4_flash INTEGER NOT NULL, i5_wear INTEGER NOT NULL, baseline_failed INTEGER NOT NULL,"
	" i6_false_positives INTEGER NOT NULL, wear_bound INTEGER NOT NULL,"
	" baseline_busy_ms REAL NOT NULL, pass INTEGER NOT NULL);"
	"CREATE TABLE sweep_failure (sweep_id INTEGER NOT NULL REFERENCES sweep(id) ON DELETE CASCADE,"
	" repro TEXT NOT NULL, invariant TEXT NOT NULL, detail TEXT NOT NULL);"
	"INSERT INTO sweep VALUES (3, 'old', 'old.yaml', 'ab', 'overwrite', 'nrf52840', 1, 'between',"
	" 0, NULL, 'v3', '2026-01-01T00:00:00Z', 0.5, 10, 20, 18, 1, 1, 0, 0, 0, 0, 0, 0, 5, 1.5, 0);"
	"INSERT INTO sweep_failure VALUES (3, 'b4', 'I1 never bricked', 'nothing to boot');"
	"PRAGMA user_version=3;";

/* A version-3 file: bo_db_open_read sees version 4 (new columns NULL) and leaves the file
 * as it was; bo_db_open migrates it in place, keeping the old rows. */
static void migrates_a_version_3_file(void **state)
{
	(void)state;
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, v3_sweep_tables, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	char err[300];
	sqlite3 *db = bo_db_open_read(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(count(db, "PRAGMA user_version"), BO_DB_SCHEMA_VERSION);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep WHERE id = 3 AND failing_cuts IS NULL"
				   " AND fw_abort IS NULL"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep_failure WHERE op_index IS NULL"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep_op_failure"), 0);
	assert_int_equal(count(db, "SELECT count(*) FROM node"), 0);
	bo_db_close(db);
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(count(raw, "PRAGMA user_version"), 3); /* untouched */
	sqlite3_close(raw);

	db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(count(db, "PRAGMA user_version"), BO_DB_SCHEMA_VERSION);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep WHERE id = 3 AND name = 'old' AND"
				   " failures = 1 AND failing_cuts IS NULL"), 1);
	assert_int_equal(count(db, "SELECT count(*) FROM pragma_table_info('sweep_failure')"), 8);
	assert_int_equal(count(db, "SELECT count(*) FROM pragma_table_info('node') WHERE name IN"
				   " ('wave', 'hops', 'rx_start_us')"), 3);
	struct bo_db_sweep r = row(0);
	assert_true(bo_db_add_sweep(db, &r, NULL, 0, err, sizeof err) > 0);
	bo_db_close(db);
	/* Again: nothing to add. */
	db = bo_db_open(path, err, sizeof err);
	assert_non_null(db);
	assert_int_equal(count(db, "SELECT count(*) FROM sweep"), 2);
	bo_db_close(db);
}

/* bo_db_open_read refuses a missing file, an empty SQLite file, a text file and a newer
 * schema, and creates nothing. */
static void open_read_refuses_what_it_cannot_read(void **state)
{
	(void)state;
	char err[300];
	assert_null(bo_db_open_read(path, err, sizeof err));
	assert_int_equal(access(path, F_OK), -1);
	sqlite3 *raw;
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_null(bo_db_open_read(path, err, sizeof err));
	assert_non_null(strstr(err, "not a brownout"));
	assert_int_equal(sqlite3_open(path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, v3_sweep_tables, NULL, NULL, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "PRAGMA user_version=6", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	assert_null(bo_db_open_read(path, err, sizeof err));
	assert_non_null(strstr(err, "newer"));
	teardown(NULL);
	FILE *fp = fopen(path, "w");
	fputs("this is not a database, it is a text file long enough to have a header", fp);
	fclose(fp);
	assert_null(bo_db_open_read(path, err, sizeof err));
	assert_true(strlen(err) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(creates_versioned_wal_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_a_sweep_with_its_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_write_leaves_no_partial_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_a_newer_schema_and_a_non_database, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_the_version_4_details, setup, teardown),
		cmocka_unit_test_setup_teardown(migrates_a_version_3_file, setup, teardown),
		cmocka_unit_test_setup_teardown(open_read_refuses_what_it_cannot_read, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
