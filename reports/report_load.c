/* Outcome databases read into memory for a report; rows grouped as reports/report.h says. */
#include <stdlib.h>
#include <string.h>

#include "reports/db.h"
#include "reports/report.h"

static char *dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *col_text(sqlite3_stmt *st, int i)
{
	return dup((const char *)sqlite3_column_text(st, i));
}

static int64_t col_opt(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, i);
}

/* ---- raw rows ---- */

struct raw_sweep {
	struct rep_sweep s;
	char *shard;
	size_t order; /* load order: later databases and higher ids are newer */
};

struct raw_run {
	struct rep_run r;
	size_t order;
};

struct loader {
	struct raw_sweep *sw;
	size_t nsw, capsw;
	struct raw_run *ru;
	size_t nru, capru;
	size_t order, incomplete;
	int oom;
};

static void *grow(void *p, size_t *cap, size_t n, size_t size, int *oom)
{
	if (n < *cap)
		return p;
	size_t c = *cap ? *cap * 2 : 16;
	void *q = realloc(p, c * size);
	if (!q) {
		*oom = 1;
		return NULL;
	}
	*cap = c;
	return q;
}

static void free_failures(struct rep_failure *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].repro);
		free(f[i].invariant);
		free(f[i].invariants);
		free(f[i].detail);
		free(f[i].expected);
		free(f[i].observed);
	}
	free(f);
}

static void free_sweep(struct rep_sweep *s)
{
	free(s->name);
	free(s->file);
	free(s->file_hash);
	free(s->strategy);
	free(s->preset);
	free(s->modes);
	free(s->tool_version);
	free_failures(s->fail, s->nfail);
	free_failures(s->fp, s->nfp);
	free(s->ops);
	free(s->sector_erases);
}

static void free_run(struct rep_run *r)
{
	free(r->scenario);
	free(r->file);
	free(r->hash);
	free(r->tool_version);
	for (size_t i = 0; i < r->nnodes; i++) {
		free(r->nodes[i].role);
		free(r->nodes[i].final_fw);
		free(r->nodes[i].verdict);
		free(r->nodes[i].reason);
	}
	free(r->nodes);
	for (size_t i = 0; i < r->nexpect; i++) {
		free(r->expect[i].name);
		free(r->expect[i].observed);
		free(r->expect[i].expected);
	}
	free(r->expect);
	for (size_t i = 0; i < r->nmetrics; i++)
		free(r->metrics[i].name);
	free(r->metrics);
}

static int load_failures(sqlite3 *db, const char *sql, int64_t id, int with_inv,
			 struct rep_failure **out, size_t *n)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int oom = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rep_failure *f = grow(*out, &cap, *n, sizeof **out, &oom);
		if (!f)
			break;
		*out = f;
		int c = 0;
		f[*n] = (struct rep_failure){.repro = col_text(st, c++)};
		if (with_inv) {
			f[*n].invariant = col_text(st, c++);
			f[*n].invariants = col_text(st, c++);
		}
		f[*n].detail = col_text(st, c++);
		f[*n].expected = col_text(st, c++);
		f[*n].observed = col_text(st, c++);
		f[*n].op_index = col_opt(st, c++);
		(*n)++;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE && !oom ? 0 : -1;
}

static struct rep_op *find_op(struct rep_sweep *s, int64_t op, size_t *cap, int *oom)
{
	for (size_t i = 0; i < s->nops; i++)
		if (s->ops[i].op_index == op)
			return &s->ops[i];
	struct rep_op *o = grow(s->ops, cap, s->nops, sizeof *s->ops, oom);
	if (!o)
		return NULL;
	s->ops = o;
	o[s->nops] = (struct rep_op){.op_index = op};
	return &o[s->nops++];
}

static int load_sweep_details(sqlite3 *db, int64_t id, struct rep_sweep *s)
{
	if (load_failures(db,
			  "SELECT repro, invariant, invariants, detail, expected, observed, op_index"
			  " FROM sweep_failure WHERE sweep_id = ? ORDER BY rowid",
			  id, 1, &s->fail, &s->nfail) ||
	    load_failures(db,
			  "SELECT repro, detail, expected, observed, op_index FROM sweep_false_positive"
			  " WHERE sweep_id = ? ORDER BY rowid",
			  id, 0, &s->fp, &s->nfp))
		return -1;
	sqlite3_stmt *st;
	size_t cap = 0;
	int oom = 0, rc;
	if (sqlite3_prepare_v2(db, "SELECT op_index, invariant, count FROM sweep_op_failure"
				   " WHERE sweep_id = ? ORDER BY op_index", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rep_op *o = find_op(s, sqlite3_column_int64(st, 0), &cap, &oom);
		if (!o)
			break;
		int k = rep_inv_index((const char *)sqlite3_column_text(st, 1));
		if (k >= 0)
			o->count[k] += sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || oom)
		return -1;
	if (sqlite3_prepare_v2(db, "SELECT sector, max_erases FROM sweep_sector_erases"
				   " WHERE sweep_id = ? ORDER BY sector", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t sec = sqlite3_column_int64(st, 0);
		if (sec < 0 || sec > 1 << 20)
			continue;
		if ((size_t)sec >= s->nsectors) {
			int64_t *e = realloc(s->sector_erases, (size_t)(sec + 1) * sizeof *e);
			if (!e) {
				oom = 1;
				break;
			}
			for (size_t k = s->nsectors; k <= (size_t)sec; k++)
				e[k] = 0;
			s->sector_erases = e;
			s->nsectors = (size_t)sec + 1;
		}
		s->sector_erases[sec] = sqlite3_column_int64(st, 1);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE && !oom ? 0 : -1;
}

static int load_sweeps(sqlite3 *db, struct loader *l)
{
	static const char sql[] =
		"SELECT id, name, file, file_hash, strategy, preset, modes, tool_version, depth,"
		" metastable, shard, workload_ops, cut_points, distinct_states, failures, failing_cuts,"
		" i1_bricked, i2_hybrid, i3_converge, i4_flash, i5_wear, baseline_failed, fw_abort,"
		" app_error, i6_false_positives, wear_bound, wall_s, pass FROM sweep ORDER BY id";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct raw_sweep *w = grow(l->sw, &l->capsw, l->nsw, sizeof *l->sw, &l->oom);
		if (!w)
			break;
		l->sw = w;
		w = &l->sw[l->nsw++];
		memset(w, 0, sizeof *w);
		w->order = l->order++;
		struct rep_sweep *s = &w->s;
		int c = 0;
		int64_t id = sqlite3_column_int64(st, c++);
		s->name = col_text(st, c++);
		s->file = col_text(st, c++);
		s->file_hash = col_text(st, c++);
		s->strategy = col_text(st, c++);
		s->preset = col_text(st, c++);
		s->modes = col_text(st, c++);
		s->tool_version = col_text(st, c++);
		s->depth = sqlite3_column_int(st, c++);
		s->metastable = sqlite3_column_int(st, c++);
		w->shard = col_text(st, c++);
		s->workload_ops = sqlite3_column_int64(st, c++);
		s->cut_points = sqlite3_column_int64(st, c++);
		s->distinct_states = sqlite3_column_int64(st, c++);
		s->failures = sqlite3_column_int64(st, c++);
		s->failing_cuts = col_opt(st, c++);
		for (int k = 0; k < REP_NINV; k++)
			s->inv[k] = col_opt(st, c++) < 0 ? 0 : sqlite3_column_int64(st, c - 1);
		s->false_positives = sqlite3_column_int64(st, c++);
		s->wear_bound = sqlite3_column_int64(st, c++);
		s->wall_s = sqlite3_column_double(st, c++);
		s->pass = sqlite3_column_int(st, c++) != 0;
		if (w->shard) {
			unsigned k, n;
			char tail;
			if (sscanf(w->shard, "%u/%u%c", &k, &n, &tail) == 2 && n > 0 && k < n)
				s->shards_n = (int)n;
		}
		if (!s->name || !s->file_hash || !s->modes || load_sweep_details(db, id, s)) {
			l->oom = 1;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE && !l->oom ? 0 : -1;
}

static int load_run_details(sqlite3 *db, int64_t id, struct rep_run *r)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	int oom = 0, rc;
	if (sqlite3_prepare_v2(db, "SELECT node, role, final_fw, verdict, x, y, target, bricked,"
				   " reverts, converged_us, wave, hops, rx_start_us, reason, pdus_queued,"
				   " pdus_dropped FROM node"
				   " WHERE run_id = ? ORDER BY node", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rep_node *n = grow(r->nodes, &cap, r->nnodes, sizeof *n, &oom);
		if (!n)
			break;
		r->nodes = n;
		n = &n[r->nnodes++];
		int c = 0;
		n->node = sqlite3_column_int64(st, c++);
		n->role = col_text(st, c++);
		n->final_fw = col_text(st, c++);
		n->verdict = col_text(st, c++);
		n->x = sqlite3_column_double(st, c++);
		n->y = sqlite3_column_double(st, c++);
		/* a version-2 row has no target column: a node with a verdict is a target */
		n->target = sqlite3_column_type(st, c) == SQLITE_NULL ? n->verdict != NULL
								   : sqlite3_column_int(st, c) != 0;
		c++;
		n->bricked = sqlite3_column_int(st, c++) != 0;
		n->reverts = sqlite3_column_int64(st, c++);
		n->converged_us = col_opt(st, c++);
		n->wave = col_opt(st, c++);
		n->hops = col_opt(st, c++);
		n->rx_start_us = col_opt(st, c++);
		n->reason = col_text(st, c++);
		n->pdus_queued = col_opt(st, c++);
		n->pdus_dropped = col_opt(st, c++);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || oom)
		return -1;
	cap = 0;
	if (sqlite3_prepare_v2(db, "SELECT name, observed, expected, pass FROM expectation"
				   " WHERE run_id = ? ORDER BY rowid", -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rep_expect *e = grow(r->expect, &cap, r->nexpect, sizeof *e, &oom);
		if (!e)
			break;
		r->expect = e;
		e[r->nexpect++] = (struct rep_expect){col_text(st, 0), col_text(st, 1), col_text(st, 2),
						      sqlite3_column_int(st, 3) != 0};
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE || oom)
		return -1;
	cap = 0;
	if (sqlite3_prepare_v2(db, "SELECT name, value FROM metric WHERE run_id = ? ORDER BY name",
			       -1, &st, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_int64(st, 1, id);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rep_metric *m = grow(r->metrics, &cap, r->nmetrics, sizeof *m, &oom);
		if (!m)
			break;
		r->metrics = m;
		m[r->nmetrics++] = (struct rep_metric){col_text(st, 0), sqlite3_column_double(st, 1)};
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE && !oom ? 0 : -1;
}

static int load_runs(sqlite3 *db, struct loader *l)
{
	static const char sql[] =
		"SELECT id, scenario, scenario_file, scenario_hash, tool_version, seed, pass,"
		" sim_end_us, wall_s, status FROM run ORDER BY id";
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return -1;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(st, 9);
		if (!status || strcmp(status, "complete")) {
			l->incomplete++;
			continue;
		}
		struct raw_run *w = grow(l->ru, &l->capru, l->nru, sizeof *l->ru, &l->oom);
		if (!w)
			break;
		l->ru = w;
		w = &l->ru[l->nru++];
		memset(w, 0, sizeof *w);
		w->order = l->order++;
		struct rep_run *r = &w->r;
		int64_t id = sqlite3_column_int64(st, 0);
		r->scenario = col_text(st, 1);
		r->file = col_text(st, 2);
		r->hash = col_text(st, 3);
		r->tool_version = col_text(st, 4);
		int64_t seed = sqlite3_column_int64(st, 5);
		memcpy(&r->seed, &seed, sizeof seed); /* stored as the same 64 bits */
		r->pass = sqlite3_column_int(st, 6) != 0;
		r->sim_end_us = sqlite3_column_int64(st, 7);
		r->wall_s = sqlite3_column_double(st, 8);
		if (!r->scenario || !r->hash || load_run_details(db, id, r)) {
			l->oom = 1;
			break;
		}
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE && !l->oom ? 0 : -1;
}

/* ---- grouping ---- */

static int str_cmp(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* Same sweep key, newest first. */
static int cmp_raw_sweep(const void *pa, const void *pb)
{
	const struct raw_sweep *a = pa, *b = pb;
	int c = str_cmp(a->s.name, b->s.name);
	if (!c)
		c = a->s.depth - b->s.depth;
	if (!c)
		c = str_cmp(a->s.modes, b->s.modes);
	if (!c)
		c = a->s.metastable - b->s.metastable;
	if (!c)
		c = a->order < b->order ? 1 : a->order > b->order ? -1 : 0;
	return c;
}

static bool same_sweep(const struct rep_sweep *a, const struct rep_sweep *b)
{
	return !str_cmp(a->name, b->name) && a->depth == b->depth && !str_cmp(a->modes, b->modes) &&
	       a->metastable == b->metastable;
}

static int append_failures(struct rep_failure **to, size_t *n, struct rep_failure *from,
			   size_t nfrom)
{
	if (!nfrom)
		return 0;
	struct rep_failure *f = realloc(*to, (*n + nfrom) * sizeof *f);
	if (!f)
		return -1;
	memcpy(f + *n, from, nfrom * sizeof *f);
	*to = f;
	*n += nfrom;
	return 0;
}

/* Add shard row b into the aggregate a (a holds the newest shard): counts summed, details
 * moved over. 0, or -1 out of memory. */
static int add_shard(struct rep_sweep *a, struct rep_sweep *b)
{
	a->cut_points += b->cut_points;
	a->distinct_states += b->distinct_states;
	a->failures += b->failures;
	a->failing_cuts = a->failing_cuts < 0 || b->failing_cuts < 0 ? -1
								   : a->failing_cuts + b->failing_cuts;
	for (int k = 0; k < REP_NINV; k++)
		a->inv[k] += b->inv[k];
	a->false_positives += b->false_positives;
	a->wall_s += b->wall_s;
	a->pass = a->pass && b->pass;
	if (append_failures(&a->fail, &a->nfail, b->fail, b->nfail))
		return -1;
	free(b->fail);
	b->fail = NULL;
	b->nfail = 0;
	if (append_failures(&a->fp, &a->nfp, b->fp, b->nfp))
		return -1;
	free(b->fp);
	b->fp = NULL;
	b->nfp = 0;
	size_t cap = a->nops;
	int oom = 0;
	for (size_t i = 0; i < b->nops; i++) {
		struct rep_op *o = find_op(a, b->ops[i].op_index, &cap, &oom);
		if (!o)
			return -1;
		for (int k = 0; k < REP_NINV; k++)
			o->count[k] += b->ops[i].count[k];
	}
	if (b->nsectors > a->nsectors) {
		int64_t *e = realloc(a->sector_erases, b->nsectors * sizeof *e);
		if (!e)
			return -1;
		for (size_t k = a->nsectors; k < b->nsectors; k++)
			e[k] = 0;
		a->sector_erases = e;
		a->nsectors = b->nsectors;
	}
	for (size_t k = 0; k < b->nsectors; k++)
		if (b->sector_erases[k] > a->sector_erases[k])
			a->sector_erases[k] = b->sector_erases[k];
	return 0;
}

static int cmp_op(const void *pa, const void *pb)
{
	const struct rep_op *a = pa, *b = pb;
	return a->op_index < b->op_index ? -1 : a->op_index > b->op_index;
}

static int group_sweeps(struct loader *l, struct rep_data *d)
{
	if (l->nsw > 1)
		qsort(l->sw, l->nsw, sizeof *l->sw, cmp_raw_sweep);
	d->sweeps = calloc(l->nsw + 1, sizeof *d->sweeps);
	if (!d->sweeps)
		return -1;
	for (size_t i = 0; i < l->nsw;) {
		size_t end = i + 1;
		while (end < l->nsw && same_sweep(&l->sw[i].s, &l->sw[end].s))
			end++;
		const char *hash = l->sw[i].s.file_hash;
		/* the newest unsharded row of that hash, else the newest row of every shard */
		size_t pick = end;
		for (size_t k = i; k < end && pick == end; k++)
			if (!str_cmp(l->sw[k].s.file_hash, hash) && !l->sw[k].shard)
				pick = k;
		struct rep_sweep *out = &d->sweeps[d->nsweeps++];
		if (pick < end) {
			*out = l->sw[pick].s;
			memset(&l->sw[pick].s, 0, sizeof l->sw[pick].s);
		} else {
			bool first = true;
			for (size_t k = i; k < end; k++) {
				struct raw_sweep *w = &l->sw[k];
				if (str_cmp(w->s.file_hash, hash))
					continue;
				bool seen = false; /* an older row of a shard already taken */
				for (size_t m = i; m < k; m++)
					seen |= !str_cmp(l->sw[m].s.file_hash, hash) &&
						!str_cmp(l->sw[m].shard, w->shard);
				if (seen)
					continue;
				if (first) {
					*out = w->s;
					memset(&w->s, 0, sizeof w->s);
					out->shards_have = 1;
					first = false;
				} else {
					if (add_shard(out, &w->s))
						return -1;
					out->shards_have++;
					if (w->s.shards_n != out->shards_n)
						out->shards_n = -1; /* mixed N: never complete */
				}
			}
			if (out->nops > 1) /* qsort wants a non-NULL array */
				qsort(out->ops, out->nops, sizeof *out->ops, cmp_op);
		}
		i = end;
	}
	return 0;
}

static int cmp_raw_run(const void *pa, const void *pb)
{
	const struct raw_run *a = pa, *b = pb;
	int c = str_cmp(a->r.scenario, b->r.scenario);
	if (!c)
		c = a->r.seed < b->r.seed ? -1 : a->r.seed > b->r.seed;
	if (!c)
		c = a->order < b->order ? 1 : a->order > b->order ? -1 : 0;
	return c;
}

static int group_runs(struct loader *l, struct rep_data *d)
{
	if (l->nru > 1)
		qsort(l->ru, l->nru, sizeof *l->ru, cmp_raw_run);
	d->runs = calloc(l->nru + 1, sizeof *d->runs);
	if (!d->runs)
		return -1;
	for (size_t i = 0; i < l->nru; i++) {
		const struct rep_run *last = d->nruns ? &d->runs[d->nruns - 1] : NULL;
		if (last && !str_cmp(l->ru[i].r.scenario, last->scenario) &&
		    l->ru[i].r.seed == last->seed)
			continue; /* an older run of the same scenario and seed */
		d->runs[d->nruns++] = l->ru[i].r;
		memset(&l->ru[i].r, 0, sizeof l->ru[i].r);
	}
	return 0;
}

int rep_load(const char *const *paths, size_t npaths, struct rep_data *d, char *err,
	     size_t errlen)
{
	struct loader l = {0};
	memset(d, 0, sizeof *d);
	int rc = -1;
	for (size_t i = 0; i < npaths; i++) {
		sqlite3 *db = bo_db_open_read(paths[i], err, errlen);
		if (!db)
			goto out;
		if (load_sweeps(db, &l) || load_runs(db, &l)) {
			snprintf(err, errlen, "%s: %s", paths[i],
				 l.oom ? "out of memory" : sqlite3_errmsg(db));
			bo_db_close(db);
			goto out;
		}
		bo_db_close(db);
	}
	d->incomplete_runs = l.incomplete;
	if (group_sweeps(&l, d) || group_runs(&l, d)) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < l.nsw; i++) {
		free_sweep(&l.sw[i].s);
		free(l.sw[i].shard);
	}
	free(l.sw);
	for (size_t i = 0; i < l.nru; i++)
		free_run(&l.ru[i].r);
	free(l.ru);
	if (rc)
		rep_free(d);
	return rc;
}

void rep_free(struct rep_data *d)
{
	for (size_t i = 0; i < d->nsweeps; i++)
		free_sweep(&d->sweeps[i]);
	free(d->sweeps);
	for (size_t i = 0; i < d->nruns; i++)
		free_run(&d->runs[i]);
	free(d->runs);
	memset(d, 0, sizeof *d);
}
