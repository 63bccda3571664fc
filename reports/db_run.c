/* One scenario run in the outcome database: an 'incomplete' row committed at begin, then
 * every detail row and the final status in one second transaction (reports/db_run.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/db_run.h"

enum { ST_NODE, ST_EXPECTATION, ST_METRIC, ST_EVENT, ST_COUNT };

static const char *const insert_sql[ST_COUNT] = {
	[ST_NODE] = ("INSERT INTO node (run_id, node, role, x, y, initial_fw, final_fw, running_slot,"
		    " boots, power_cuts, reverts, recovery_boots, bricked, converged_us, flash_erases,"
		    " flash_programs, max_sector_erases, confirmed, flash_cuts, installs, offers,"
		    " verdict, target, wave, hops, rx_start_us, pdus_queued, queue_peak, pdus_dropped,"
		    " relay_dropped, reason)"
		    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"),
	[ST_EXPECTATION] = ("INSERT INTO expectation (run_id, name, pass, observed, expected)"
			   " VALUES (?,?,?,?,?)"),
	[ST_METRIC] = ("INSERT INTO metric (run_id, name, value) VALUES (?,?,?)"),
	[ST_EVENT] = ("INSERT INTO event (run_id, t_us, node, level, kind, detail) VALUES (?,?,?,?,?,?)"),
};

struct bo_db_run {
	sqlite3 *db;
	int64_t id;
	int max_event_level;
	int in_tx;  /* the details transaction is open */
	int failed; /* a write failed and the details were rolled back */
	sqlite3_stmt *st[ST_COUNT];
};

static void set_err(char *err, size_t errlen, const char *what, sqlite3 *db)
{
	snprintf(err, errlen, "%s: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
}

static void bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

/* A count or time that may be unknown: negative is NULL. */
static void bind_opt(sqlite3_stmt *st, int i, int64_t v)
{
	if (v >= 0)
		sqlite3_bind_int64(st, i, v);
	else
		sqlite3_bind_null(st, i);
}

static void free_run(struct bo_db_run *r)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_finalize(r->st[i]);
	free(r);
}

/* Roll the details back after a failed write (err already set). */
static int fail(struct bo_db_run *r)
{
	for (int i = 0; i < ST_COUNT; i++)
		sqlite3_reset(r->st[i]);
	if (r->in_tx && sqlite3_get_autocommit(r->db) == 0)
		sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
	r->in_tx = 0;
	r->failed = 1;
	return -1;
}

/* Open the details transaction on the first write; refuse after a failure. */
static int ready(struct bo_db_run *r, char *err, size_t errlen)
{
	if (r->failed) {
		snprintf(err, errlen, "run %lld: rolled back after an earlier error", (long long)r->id);
		return -1;
	}
	if (r->in_tx)
		return 0;
	if (sqlite3_exec(r->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		set_err(err, errlen, "begin run details", r->db);
		r->failed = 1;
		return -1;
	}
	r->in_tx = 1;
	return 0;
}

static int step(struct bo_db_run *r, sqlite3_stmt *st, const char *what, char *err, size_t errlen)
{
	if (sqlite3_step(st) != SQLITE_DONE) {
		set_err(err, errlen, what, r->db);
		return fail(r);
	}
	sqlite3_reset(st);
	return 0;
}

struct bo_db_run *bo_db_run_begin(sqlite3 *db, const struct bo_db_run_info *info, char *err,
				  size_t errlen)
{
	static const char insert_run[] =
		"INSERT INTO run (scenario, scenario_file, scenario_hash, seed, tool_version, started_at,"
		" status) VALUES (?,?,?,?,?,strftime('%Y-%m-%dT%H:%M:%SZ','now'),'incomplete')";
	struct bo_db_run *r = calloc(1, sizeof *r);
	if (!r) {
		set_err(err, errlen, "run", NULL);
		return NULL;
	}
	r->db = db;
	r->max_event_level = info->max_event_level;
	for (int i = 0; i < ST_COUNT; i++)
		if (sqlite3_prepare_v2(db, insert_sql[i], -1, &r->st[i], NULL) != SQLITE_OK) {
			set_err(err, errlen, "prepare", db);
			free_run(r);
			return NULL;
		}
	sqlite3_stmt *st = NULL;
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		set_err(err, errlen, "begin run", db);
		free_run(r);
		return NULL;
	}
	int64_t seed;
	memcpy(&seed, &info->seed, sizeof seed); /* the same 64 bits */
	if (sqlite3_prepare_v2(db, insert_run, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	bind_text(st, 1, info->scenario);
	bind_text(st, 2, info->scenario_file);
	bind_text(st, 3, info->scenario_hash);
	sqlite3_bind_int64(st, 4, seed);
	bind_text(st, 5, info->tool_version);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto fail;
	sqlite3_finalize(st);
	st = NULL;
	r->id = sqlite3_last_insert_rowid(db);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return r;
fail:
	set_err(err, errlen, "begin run", db);
	sqlite3_finalize(st);
	if (sqlite3_get_autocommit(db) == 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	free_run(r);
	return NULL;
}

int64_t bo_db_run_id(const struct bo_db_run *r)
{
	return r->id;
}

int bo_db_run_add_node(struct bo_db_run *r, const struct bo_db_node *n, char *err, size_t errlen)
{
	if (ready(r, err, errlen))
		return -1;
	sqlite3_stmt *st = r->st[ST_NODE];
	int i = 1;
	sqlite3_bind_int64(st, i++, r->id);
	sqlite3_bind_int64(st, i++, n->node);
	bind_text(st, i++, n->role);
	sqlite3_bind_double(st, i++, n->x);
	sqlite3_bind_double(st, i++, n->y);
	bind_text(st, i++, n->initial_fw);
	bind_text(st, i++, n->final_fw);
	bind_text(st, i++, n->running_slot);
	sqlite3_bind_int64(st, i++, n->boots);
	sqlite3_bind_int64(st, i++, n->power_cuts);
	sqlite3_bind_int64(st, i++, n->reverts);
	sqlite3_bind_int64(st, i++, n->recovery_boots);
	sqlite3_bind_int(st, i++, n->bricked != 0);
	if (n->converged_us >= 0)
		sqlite3_bind_int64(st, i++, n->converged_us);
	else
		sqlite3_bind_null(st, i++);
	sqlite3_bind_int64(st, i++, n->flash_erases);
	sqlite3_bind_int64(st, i++, n->flash_programs);
	sqlite3_bind_int64(st, i++, n->max_sector_erases);
	sqlite3_bind_int(st, i++, n->confirmed != 0);
	sqlite3_bind_int64(st, i++, n->flash_cuts);
	sqlite3_bind_int64(st, i++, n->installs);
	sqlite3_bind_int64(st, i++, n->offers);
	bind_text(st, i++, n->verdict);
	sqlite3_bind_int(st, i++, n->target != 0);
	bind_opt(st, i++, n->wave);
	bind_opt(st, i++, n->hops);
	bind_opt(st, i++, n->rx_start_us);
	sqlite3_bind_int64(st, i++, n->pdus_queued);
	sqlite3_bind_int64(st, i++, n->queue_peak);
	sqlite3_bind_int64(st, i++, n->pdus_dropped);
	sqlite3_bind_int64(st, i++, n->relay_dropped);
	bind_text(st, i++, n->reason);
	return step(r, st, "node", err, errlen);
}

int bo_db_run_add_expectation(struct bo_db_run *r, const char *name, int pass, const char *observed,
			      const char *expected, char *err, size_t errlen)
{
	if (ready(r, err, errlen))
		return -1;
	sqlite3_stmt *st = r->st[ST_EXPECTATION];
	sqlite3_bind_int64(st, 1, r->id);
	bind_text(st, 2, name);
	sqlite3_bind_int(st, 3, pass != 0);
	bind_text(st, 4, observed);
	bind_text(st, 5, expected);
	return step(r, st, "expectation", err, errlen);
}

int bo_db_run_add_metric(struct bo_db_run *r, const char *name, double value, char *err,
			 size_t errlen)
{
	if (ready(r, err, errlen))
		return -1;
	sqlite3_stmt *st = r->st[ST_METRIC];
	sqlite3_bind_int64(st, 1, r->id);
	bind_text(st, 2, name);
	sqlite3_bind_double(st, 3, value);
	return step(r, st, "metric", err, errlen);
}

int bo_db_run_add_event(struct bo_db_run *r, uint64_t t_us, int64_t node, int level,
			const char *kind, const char *detail, char *err, size_t errlen)
{
	if (ready(r, err, errlen))
		return -1;
	if (level > r->max_event_level)
		return 0;
	sqlite3_stmt *st = r->st[ST_EVENT];
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, (int64_t)t_us);
	if (node >= 0)
		sqlite3_bind_int64(st, 3, node);
	else
		sqlite3_bind_null(st, 3);
	sqlite3_bind_int(st, 4, level);
	bind_text(st, 5, kind);
	bind_text(st, 6, detail);
	return step(r, st, "event", err, errlen);
}

int bo_db_run_finish(struct bo_db_run *r, double wall_s, uint64_t sim_end_us, int pass, char *err,
		     size_t errlen)
{
	static const char update_run[] =
		"UPDATE run SET status = 'complete', wall_s = ?, sim_end_us = ?, pass = ? WHERE id = ?";
	sqlite3_stmt *st = NULL;
	int rc = -1;
	if (ready(r, err, errlen))
		goto out;
	if (sqlite3_prepare_v2(r->db, update_run, -1, &st, NULL) != SQLITE_OK) {
		set_err(err, errlen, "finish run", r->db);
		fail(r);
		goto out;
	}
	sqlite3_bind_double(st, 1, wall_s);
	sqlite3_bind_int64(st, 2, (int64_t)sim_end_us);
	sqlite3_bind_int(st, 3, pass != 0);
	sqlite3_bind_int64(st, 4, r->id);
	if (sqlite3_step(st) != SQLITE_DONE || sqlite3_changes(r->db) != 1) {
		set_err(err, errlen, "finish run", r->db);
		fail(r);
		goto out;
	}
	if (sqlite3_exec(r->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		set_err(err, errlen, "commit run", r->db);
		fail(r);
		goto out;
	}
	r->in_tx = 0;
	rc = 0;
out:
	sqlite3_finalize(st);
	free_run(r);
	return rc;
}

void bo_db_run_abort(struct bo_db_run *r)
{
	if (r->in_tx)
		fail(r);
	free_run(r);
}

/* ---- canonical dump ---- */

struct buf {
	char *p;
	size_t len, cap;
	int oom;
};

static void put(struct buf *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (b->len + n + 1 > cap)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void put_s(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

/* One column: NULL, an integer, a real with every digit (%.17g), or text with \, tab and
 * newline escaped. */
static void put_col(struct buf *b, sqlite3_stmt *st, int i)
{
	char num[40];
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_NULL:
		put_s(b, "NULL");
		break;
	case SQLITE_INTEGER:
		snprintf(num, sizeof num, "%lld", (long long)sqlite3_column_int64(st, i));
		put_s(b, num);
		break;
	case SQLITE_FLOAT:
		snprintf(num, sizeof num, "%.17g", sqlite3_column_double(st, i));
		put_s(b, num);
		break;
	default: {
		const unsigned char *s = sqlite3_column_text(st, i);
		int n = sqlite3_column_bytes(st, i);
		put_s(b, "\"");
		for (int k = 0; k < n; k++) {
			char c = (char)s[k];
			const char *esc = c == '\\' ? "\\\\" : c == '\t' ? "\\t" : c == '\n' ? "\\n"
				       : c == '"'  ? "\\\""
						   : NULL;
			if (esc)
				put_s(b, esc);
			else
				put(b, &c, 1);
		}
		put_s(b, "\"");
	}
	}
}

static int dump_query(struct buf *b, sqlite3 *db, const char *table, const char *sql, int64_t run_id)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, run_id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		put_s(b, table);
		for (int i = 0; i < sqlite3_column_count(st); i++) {
			put_s(b, "\t");
			put_col(b, st, i);
		}
		put_s(b, "\n");
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

char *bo_db_run_dump(sqlite3 *db, int64_t run_id, char *err, size_t errlen)
{
	/* Every column but run_id, named so that a later schema's new columns change nothing
	 * here unless added on purpose. */
	static const char nodes[] =
		"SELECT node, role, x, y, initial_fw, final_fw, running_slot, boots, power_cuts,"
		" reverts, recovery_boots, bricked, converged_us, flash_erases, flash_programs,"
		" max_sector_erases, confirmed, flash_cuts, installs, offers, verdict, target,"
		" wave, hops, rx_start_us, pdus_queued, queue_peak, pdus_dropped, relay_dropped,"
		" reason FROM node WHERE run_id = ? ORDER BY node";
	static const char metrics[] = "SELECT name, value FROM metric WHERE run_id = ? ORDER BY name";
	struct buf b = {0};
	put_s(&b, "");
	if (dump_query(&b, db, "node", nodes, run_id) || dump_query(&b, db, "metric", metrics, run_id)) {
		set_err(err, errlen, "dump run", db);
		free(b.p);
		return NULL;
	}
	if (b.oom) {
		set_err(err, errlen, "dump run", NULL);
		free(b.p);
		return NULL;
	}
	return b.p;
}
