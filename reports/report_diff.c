/* The baseline comparison: what got worse (a regression), what got fixed, what changed. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"

/* The defaults of --max-regression (documented in reports/README.md and `brownout report
 * --help`): convergence may get 10% slower at p50 and p95, 20% at max, the rollout 10%;
 * offers and retries 25%. A given NAME=PCT replaces its default. */
const struct rep_threshold rep_default_thresholds[] = {
	{"convergence_p50_s", 10}, {"convergence_p95_s", 10}, {"convergence_max_s", 20},
	{"rollout_s", 10},         {"max_offers", 25},        {"distributions", 25},
};
const size_t rep_ndefault_thresholds =
	sizeof rep_default_thresholds / sizeof rep_default_thresholds[0];

const char *rep_change_name(enum rep_change_kind k)
{
	switch (k) {
	case REP_NEW_FAILURE: return "new failure";
	case REP_FIXED: return "fixed";
	case REP_NEW_BRICK: return "new bricked node";
	case REP_LOST_EXPECTATION: return "lost expectation";
	case REP_METRIC_WORSE: return "metric worse";
	case REP_METRIC_CHANGED: return "metric changed";
	case REP_INPUT_CHANGED: return "input changed";
	case REP_NEW_ENTRY: return "new";
	case REP_MISSING: return "missing";
	}
	return "?";
}

struct out {
	struct rep_diff *d;
	size_t cap;
	int oom;
};

#if defined(__GNUC__)
__attribute__((format(printf, 5, 6)))
#endif
static void add(struct out *o, enum rep_change_kind k, const char *what, bool regression,
		const char *fmt, ...)
{
	if (o->oom)
		return;
	if (o->d->n == o->cap) {
		size_t cap = o->cap ? o->cap * 2 : 32;
		struct rep_change *c = realloc(o->d->changes, cap * sizeof *c);
		if (!c) {
			o->oom = 1;
			return;
		}
		o->d->changes = c;
		o->cap = cap;
	}
	struct rep_change *c = &o->d->changes[o->d->n++];
	c->kind = k;
	c->regression = regression;
	snprintf(c->what, sizeof c->what, "%s", what);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof c->detail, fmt, ap);
	va_end(ap);
	o->d->regressions += regression;
}

static int nullcmp(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* ---- sweeps ---- */

static const struct rep_sweep *find_sweep(const struct rep_data *d, const struct rep_sweep *s)
{
	for (size_t i = 0; i < d->nsweeps; i++) {
		const struct rep_sweep *b = &d->sweeps[i];
		if (!nullcmp(b->name, s->name) && b->depth == s->depth && !nullcmp(b->modes, s->modes) &&
		    b->metastable == s->metastable)
			return b;
	}
	return NULL;
}

static bool has_repro(const struct rep_sweep *s, const struct rep_failure *f)
{
	for (size_t i = 0; i < s->nfail; i++)
		if (!nullcmp(s->fail[i].repro, f->repro) && !nullcmp(s->fail[i].invariant, f->invariant))
			return true;
	return false;
}

static void diff_sweep(struct out *o, const struct rep_sweep *c, const struct rep_sweep *b)
{
	char what[160];
	snprintf(what, sizeof what, "sweep %s", c->name);
	if (!b) {
		add(o, REP_NEW_ENTRY, what, !c->pass, "not in the baseline; %s",
		    c->pass ? "passes" : "FAILS");
		return;
	}
	if (c->shards_n && c->shards_have != c->shards_n)
		add(o, REP_MISSING, what, true, "only %d shard%s of %s: the sweep is incomplete",
		    c->shards_have, c->shards_have == 1 ? "" : "s",
		    c->shards_n > 0 ? "the set" : "differing shard counts");
	if (nullcmp(b->file_hash, c->file_hash)) {
		add(o, REP_INPUT_CHANGED, what, false,
		    "file hash %.12s... differs from the baseline's %.12s...: not compared",
		    c->file_hash ? c->file_hash : "?", b->file_hash ? b->file_hash : "?");
		return;
	}
	for (size_t i = 0; i < c->nfail; i++)
		if (!has_repro(b, &c->fail[i]))
			add(o, REP_NEW_FAILURE, what, true, "%s %s: %s", c->fail[i].repro,
			    c->fail[i].invariant, c->fail[i].detail ? c->fail[i].detail : "");
	for (size_t i = 0; i < b->nfail; i++)
		if (!has_repro(c, &b->fail[i]))
			add(o, REP_FIXED, what, false, "%s %s", b->fail[i].repro, b->fail[i].invariant);
	/* counts: kept repro IDs are a sample, so a count that grows is a new failure too */
	for (int k = 0; k < REP_NINV; k++)
		if (c->inv[k] > b->inv[k])
			add(o, REP_NEW_FAILURE, what, true, "%s: %lld failing cuts, baseline %lld",
			    rep_inv_name[k], (long long)c->inv[k], (long long)b->inv[k]);
		else if (c->inv[k] < b->inv[k])
			add(o, REP_FIXED, what, false, "%s: %lld failing cuts, baseline %lld",
			    rep_inv_name[k], (long long)c->inv[k], (long long)b->inv[k]);
	if (c->false_positives != b->false_positives)
		add(o, REP_METRIC_CHANGED, what, false, "false positives (I6): %lld, baseline %lld",
		    (long long)c->false_positives, (long long)b->false_positives);
	if (c->cut_points != b->cut_points)
		add(o, REP_METRIC_CHANGED, what, false, "cut points: %lld, baseline %lld",
		    (long long)c->cut_points, (long long)b->cut_points);
}

/* ---- runs ---- */

/* Runs are sorted by scenario, then seed (report_load.c): a binary search. */
static const struct rep_run *find_run(const struct rep_data *d, const char *scenario,
				      uint64_t seed)
{
	size_t lo = 0, hi = d->nruns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct rep_run *r = &d->runs[mid];
		int c = nullcmp(r->scenario, scenario);
		if (!c)
			c = r->seed < seed ? -1 : r->seed > seed;
		if (!c)
			return r;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static const struct rep_expect *find_expect(const struct rep_run *r, const char *name)
{
	for (size_t i = 0; i < r->nexpect; i++)
		if (!nullcmp(r->expect[i].name, name))
			return &r->expect[i];
	return NULL;
}

static double threshold(const struct rep_threshold *th, size_t nth, const char *name)
{
	for (size_t i = 0; i < nth; i++) /* given ones first: they replace a default */
		if (!strcmp(th[i].name, name))
			return th[i].pct;
	for (size_t i = 0; i < rep_ndefault_thresholds; i++)
		if (!strcmp(rep_default_thresholds[i].name, name))
			return rep_default_thresholds[i].pct;
	return NAN;
}

/* Wall-clock numbers differ between any two runs: never compared. */
static bool wall_clock(const char *name)
{
	return !strcmp(name, "wall_s");
}

static void diff_run(struct out *o, const struct rep_run *c, const struct rep_run *b,
		     const struct rep_threshold *th, size_t nth)
{
	char what[160];
	snprintf(what, sizeof what, "scenario %s seed %llu", c->scenario,
		 (unsigned long long)c->seed);
	if (!b) {
		add(o, REP_NEW_ENTRY, what, !c->pass, "not in the baseline; %s",
		    c->pass ? "passes" : "FAILS");
		return;
	}
	if (nullcmp(b->hash, c->hash)) {
		add(o, REP_INPUT_CHANGED, what, false,
		    "scenario hash %.12s... differs from the baseline's %.12s...: not compared",
		    c->hash ? c->hash : "?", b->hash ? b->hash : "?");
		return;
	}
	struct rep_run_counts cc = rep_run_count(c), bc = rep_run_count(b);
	if (cc.bricked > bc.bricked)
		add(o, REP_NEW_BRICK, what, true, "%u bricked, baseline %u", cc.bricked, bc.bricked);
	for (size_t i = 0; i < c->nexpect; i++) {
		const struct rep_expect *e = &c->expect[i], *be = find_expect(b, e->name);
		if (!e->pass && (!be || be->pass))
			add(o, REP_LOST_EXPECTATION, what, true, "%s: observed %s, expected %s (held in "
			    "the baseline%s)", e->name, e->observed, e->expected, be ? "" : ": absent");
		else if (e->pass && be && !be->pass)
			add(o, REP_FIXED, what, false, "%s now holds: %s", e->name, e->observed);
	}
	if (!c->pass && b->pass && !o->d->n) /* failed without a named expectation */
		add(o, REP_NEW_FAILURE, what, true, "the run fails; it passed in the baseline");
	for (size_t i = 0; i < c->nmetrics; i++) {
		const struct rep_metric *m = &c->metrics[i];
		double bv = rep_metric(b, m->name), cv = m->value;
		if (isnan(bv) || bv == cv || wall_clock(m->name))
			continue;
		double pct = threshold(th, nth, m->name);
		/* -1 stands for "never" (no convergence, rollout unfinished): the worst value */
		bool worse_never = bv >= 0 && cv < 0;
		double change = bv != 0 ? (cv - bv) / fabs(bv) * 100.0 : (cv > bv ? INFINITY : -INFINITY);
		bool regress = !isnan(pct) && (worse_never || (cv >= 0 && bv >= 0 && change > pct));
		if (regress)
			add(o, REP_METRIC_WORSE, what, true, "%s: %g, baseline %g (%+.1f%%, allowed +%g%%)",
			    m->name, cv, bv, worse_never ? INFINITY : change, pct);
		else
			add(o, REP_METRIC_CHANGED, what, false, "%s: %g, baseline %g (%+.1f%%)", m->name,
			    cv, bv, change);
	}
}

int rep_diff(const struct rep_data *cur, const struct rep_data *base,
	     const struct rep_threshold *th, size_t nth, struct rep_diff *d)
{
	memset(d, 0, sizeof *d);
	struct out o = {.d = d};
	for (size_t i = 0; i < cur->nsweeps; i++) {
		const struct rep_sweep *b = find_sweep(base, &cur->sweeps[i]);
		d->matched += b != NULL;
		diff_sweep(&o, &cur->sweeps[i], b);
	}
	for (size_t i = 0; i < base->nsweeps; i++)
		if (!find_sweep(cur, &base->sweeps[i])) {
			char what[160];
			snprintf(what, sizeof what, "sweep %s", base->sweeps[i].name);
			add(&o, REP_MISSING, what, false, "in the baseline, not in this report");
		}
	for (size_t i = 0; i < cur->nruns; i++) {
		const struct rep_run *c = &cur->runs[i];
		/* diff_run's "no named expectation" check looks at this run's changes only */
		struct rep_diff sub = {0};
		struct out so = {.d = &sub};
		const struct rep_run *b = find_run(base, c->scenario, c->seed);
		d->matched += b != NULL;
		diff_run(&so, c, b, th, nth);
		for (size_t k = 0; k < sub.n && !so.oom; k++)
			add(&o, sub.changes[k].kind, sub.changes[k].what, sub.changes[k].regression, "%s",
			    sub.changes[k].detail);
		o.oom |= so.oom;
		free(sub.changes);
	}
	for (size_t i = 0; i < base->nruns; i++) {
		const struct rep_run *b = &base->runs[i];
		if (!find_run(cur, b->scenario, b->seed)) {
			char what[160];
			snprintf(what, sizeof what, "scenario %s seed %llu", b->scenario,
				 (unsigned long long)b->seed);
			add(&o, REP_MISSING, what, false, "in the baseline, not in this report");
		}
	}
	if (o.oom) {
		rep_diff_free(d);
		return -1;
	}
	return 0;
}

void rep_diff_free(struct rep_diff *d)
{
	free(d->changes);
	memset(d, 0, sizeof *d);
}
