/* `brownout report merge OUT.db IN.db...`: shard databases into one (reports/report.h).
 *
 * Identity of a row, so that merging the same shard twice adds nothing:
 *   a sweep: (name, file_hash, shard, depth, modes, metastable);
 *   a run:   (scenario_hash, seed), complete runs only (an 'incomplete' row is not copied).
 * Every check runs before OUT is opened for writing; the copy is one transaction. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "reports/db.h"
#include "reports/report.h"

struct seen {
	char *kind_name; /* "sweep NAME" / "scenario NAME" */
	char *hash;
	const char *where;
};

struct checker {
	struct seen *s;
	size_t n;
	char *tool_version;
	const char *tool_where;
	int oom;
};

static int check_db(struct checker *c, sqlite3 *db, const char *where, char *err, size_t errlen)
{
	static const char sql[] =
		"SELECT 'sweep ' || name, file_hash, tool_version FROM sweep UNION ALL "
		"SELECT 'scenario ' || scenario, scenario_hash, tool_version FROM run"
		" WHERE status = 'complete'";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", where, sqlite3_errmsg(db));
		return -1;
	}
	int rc = 0;
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(st, 0);
		const char *hash = (const char *)sqlite3_column_text(st, 1);
		const char *tool = (const char *)sqlite3_column_text(st, 2);
		if (!name || !hash || !tool)
			continue;
		if (!c->tool_version) {
			c->tool_version = strdup(tool);
			c->tool_where = where;
		} else if (strcmp(c->tool_version, tool)) {
			snprintf(err, errlen, "%s: %s was written by brownout %s, %s by brownout %s: "
				 "shards must come from one brownout version", where, name, tool,
				 c->tool_where, c->tool_version);
			rc = -1;
			break;
		}
		size_t i = 0;
		while (i < c->n && strcmp(c->s[i].kind_name, name))
			i++;
		if (i < c->n) {
			if (strcmp(c->s[i].hash, hash)) {
				snprintf(err, errlen, "%s: %s has input hash %.16s..., %s has %.16s...: "
					 "shards of different input files cannot be merged", where,
					 name, hash, c->s[i].where, c->s[i].hash);
				rc = -1;
			}
			continue;
		}
		struct seen *s = realloc(c->s, (c->n + 1) * sizeof *s);
		if (!s) {
			c->oom = 1;
			break;
		}
		c->s = s;
		s[c->n++] = (struct seen){strdup(name), strdup(hash), where};
		if (!s[c->n - 1].kind_name || !s[c->n - 1].hash)
			c->oom = 1;
	}
	sqlite3_finalize(st);
	if (c->oom && !rc) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	return rc;
}

static void free_checker(struct checker *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->s[i].kind_name);
		free(c->s[i].hash);
	}
	free(c->s);
	free(c->tool_version);
}

/* Copy the rows of `table` where `key` = old_id from in to out: every column but `skip`,
 * with `key` set to new_id (when new_id >= 0). The new rowid of the last row copied goes to
 * *last_id. 0, or -1 (out's error message). */
static int copy_rows(sqlite3 *in, sqlite3 *out, const char *table, const char *key,
		     int64_t old_id, int64_t new_id, const char *skip, int64_t *last_id)
{
	char sql[4096];
	snprintf(sql, sizeof sql, "SELECT * FROM %s WHERE %s = ?", table, key);
	sqlite3_stmt *sel, *ins = NULL;
	if (sqlite3_prepare_v2(in, sql, -1, &sel, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(sel, 1, old_id);
	int rc = 0, ncol = sqlite3_column_count(sel);
	size_t len = (size_t)snprintf(sql, sizeof sql, "INSERT INTO %s (", table);
	const char *sep = "";
	int nbound = 0;
	for (int i = 0; i < ncol && len < sizeof sql; i++) {
		const char *name = sqlite3_column_name(sel, i);
		if (skip && !strcmp(name, skip))
			continue;
		len += (size_t)snprintf(sql + len, sizeof sql - len, "%s%s", sep, name);
		sep = ", ";
		nbound++;
	}
	for (int i = 0; i < nbound && len < sizeof sql; i++)
		len += (size_t)snprintf(sql + len, sizeof sql - len, "%s", i ? ",?" : ") VALUES (?");
	if (len + 2 >= sizeof sql || sqlite3_prepare_v2(out, strcat(sql, ")"), -1, &ins, NULL) !=
					      SQLITE_OK) {
		sqlite3_finalize(sel);
		return -1;
	}
	while (!rc && sqlite3_step(sel) == SQLITE_ROW) {
		sqlite3_reset(ins);
		int b = 1;
		for (int i = 0; i < ncol; i++) {
			const char *name = sqlite3_column_name(sel, i);
			if (skip && !strcmp(name, skip))
				continue;
			if (new_id >= 0 && !strcmp(name, key))
				sqlite3_bind_int64(ins, b++, new_id);
			else
				sqlite3_bind_value(ins, b++, sqlite3_column_value(sel, i));
		}
		if (sqlite3_step(ins) != SQLITE_DONE)
			rc = -1;
		else if (last_id)
			*last_id = sqlite3_last_insert_rowid(out);
	}
	sqlite3_finalize(sel);
	sqlite3_finalize(ins);
	return rc;
}

static int exists(sqlite3 *out, const char *sql, sqlite3_stmt *from, const int *cols, int ncols)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(out, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	for (int i = 0; i < ncols; i++)
		sqlite3_bind_value(st, i + 1, sqlite3_column_value(from, cols[i]));
	int rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static const char *const sweep_children[] = {"sweep_failure", "sweep_false_positive",
					     "sweep_op_failure", "sweep_sector_erases"};
static const char *const run_children[] = {"node", "expectation", "metric", "event"};

static int copy_db(sqlite3 *in, sqlite3 *out, size_t *sweeps, size_t *runs)
{
	sqlite3_stmt *st;
	int rc = 0;
	if (sqlite3_prepare_v2(in, "SELECT id, name, file_hash, shard, depth, modes, metastable"
				   " FROM sweep ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return -1;
	static const int sweep_key[] = {1, 2, 3, 4, 5, 6};
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		int have = exists(out, "SELECT 1 FROM sweep WHERE name = ? AND file_hash = ? AND"
				       " shard IS ? AND depth = ? AND modes = ? AND metastable = ?",
				  st, sweep_key, 6);
		if (have < 0) {
			rc = -1;
			break;
		}
		if (have)
			continue;
		int64_t old = sqlite3_column_int64(st, 0), id = -1;
		rc = copy_rows(in, out, "sweep", "id", old, -1, "id", &id);
		for (size_t k = 0; !rc && k < sizeof sweep_children / sizeof *sweep_children; k++)
			rc = copy_rows(in, out, sweep_children[k], "sweep_id", old, id, NULL, NULL);
		*sweeps += !rc;
	}
	sqlite3_finalize(st);
	if (rc)
		return rc;
	if (sqlite3_prepare_v2(in, "SELECT id, scenario_hash, seed FROM run WHERE status ="
				   " 'complete' ORDER BY id", -1, &st, NULL) != SQLITE_OK)
		return -1;
	static const int run_key[] = {1, 2};
	while (!rc && sqlite3_step(st) == SQLITE_ROW) {
		int have = exists(out, "SELECT 1 FROM run WHERE scenario_hash = ? AND seed = ? AND"
				       " status = 'complete'", st, run_key, 2);
		if (have < 0) {
			rc = -1;
			break;
		}
		if (have)
			continue;
		int64_t old = sqlite3_column_int64(st, 0), id = -1;
		rc = copy_rows(in, out, "run", "id", old, -1, "id", &id);
		for (size_t k = 0; !rc && k < sizeof run_children / sizeof *run_children; k++)
			rc = copy_rows(in, out, run_children[k], "run_id", old, id, NULL, NULL);
		*runs += !rc;
	}
	sqlite3_finalize(st);
	return rc;
}

int rep_merge(const char *out_path, const char *const *inputs, size_t ninputs,
	      size_t *sweeps_added, size_t *runs_added, char *err, size_t errlen)
{
	struct checker c = {0};
	sqlite3 **in = calloc(ninputs + 1, sizeof *in);
	sqlite3 *out = NULL;
	int rc = -1;
	*sweeps_added = *runs_added = 0;
	if (!in) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	/* 1. Read and check everything: what OUT holds already, then every input. */
	if (access(out_path, F_OK) == 0) {
		sqlite3 *old = bo_db_open_read(out_path, err, errlen);
		if (!old)
			goto out;
		int bad = check_db(&c, old, out_path, err, errlen);
		bo_db_close(old);
		if (bad)
			goto out;
	}
	for (size_t i = 0; i < ninputs; i++) {
		in[i] = bo_db_open_read(inputs[i], err, errlen);
		if (!in[i] || check_db(&c, in[i], inputs[i], err, errlen))
			goto out;
	}
	/* 2. Copy what OUT lacks, in one transaction. */
	out = bo_db_open(out_path, err, errlen);
	if (!out)
		goto out;
	if (sqlite3_exec(out, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: %s", out_path, sqlite3_errmsg(out));
		goto out;
	}
	for (size_t i = 0; i < ninputs; i++)
		if (copy_db(in[i], out, sweeps_added, runs_added)) {
			snprintf(err, errlen, "%s: copying %s: %s", out_path, inputs[i],
				 sqlite3_errmsg(out));
			sqlite3_exec(out, "ROLLBACK", NULL, NULL, NULL);
			*sweeps_added = *runs_added = 0;
			goto out;
		}
	if (sqlite3_exec(out, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "%s: commit: %s", out_path, sqlite3_errmsg(out));
		sqlite3_exec(out, "ROLLBACK", NULL, NULL, NULL);
		*sweeps_added = *runs_added = 0;
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < ninputs; i++)
		bo_db_close(in[i]);
	free(in);
	bo_db_close(out);
	free_checker(&c);
	return rc;
}
