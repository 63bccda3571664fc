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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(creates_versioned_wal_schema, setup, teardown),
		cmocka_unit_test_setup_teardown(writes_a_sweep_with_its_failures, setup, teardown),
		cmocka_unit_test_setup_teardown(a_failed_write_leaves_no_partial_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(refuses_a_newer_schema_and_a_non_database, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
