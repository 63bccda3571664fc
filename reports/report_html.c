/* The HTML report: one self-contained file (inline CSS and SVG, no script, no network).
 * Pictures: per sweep, failing cuts per operation index coloured by invariant and the most
 * erases per sector against the wear bound; per scenario, the convergence curve of every
 * seed (targets on the new image over simulated time) and each seed's topology map with
 * every node coloured by its outcome. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "reports/report.h"

#define PW 720.0 /* plot width and height, without margins */
#define PH 200.0
#define ML 50.0  /* left margin (axis labels) */
#define MB 30.0  /* bottom margin */
#define MAX_LISTED 20

static const char *const inv_colour[REP_NINV] = {
	"#d62728", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f", "#17becf", "#bcbd22",
};

static const struct {
	const char *outcome, *colour;
} outcome_colour[] = {
	{"updated", "#2ca02c"}, {"reverted", "#ff7f0e"}, {"lost", "#9467bd"},
	{"bricked", "#d62728"}, {"unreachable", "#7f7f7f"}, {"failed", "#e377c2"},
	{"other", "#1f77b4"},
};

static const char *const seed_colour[] = {
	"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf",
};

static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		int n = rep_utf8_len(s);
		if (n != 1) { /* the page says utf-8: other bytes become '?' */
			if (n == 0)
				fputc('?', f);
			else
				fwrite(s, 1, (size_t)n, f);
			s += n ? n - 1 : 0;
			continue;
		}
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
	}
}

/* A class name from free text: letters and digits, the rest '-'. */
static void cls(FILE *f, const char *s)
{
	for (; s && *s; s++)
		fputc((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ? *s
		      : (*s >= 'A' && *s <= 'Z') ? *s - 'A' + 'a' : '-', f);
}

static void svg_open(FILE *f, const char *klass, const char *title)
{
	fprintf(f, "<svg class=\"%s\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
		   "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" role=\"img\"><title>", klass,
		ML + PW + 40, PH + MB + 10, ML + PW + 40, PH + MB + 10);
	esc(f, title);
	fputs("</title>\n", f);
}

/* Axes with a few ticks: x from 0 to xmax, y from 0 to ymax. */
static void axes(FILE *f, double xmax, double ymax, const char *xlabel, bool xtime)
{
	fprintf(f, "<g class=\"axes\" stroke=\"#333\"><line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
		   "y2=\"%.1f\"/><line x1=\"%.1f\" y1=\"10\" x2=\"%.1f\" y2=\"%.1f\"/></g>\n",
		ML, PH + 10, ML + PW, PH + 10, ML, ML, PH + 10);
	for (int i = 0; i <= 4; i++) {
		double y = PH + 10 - PH * i / 4.0, x = ML + PW * i / 4.0;
		char lab[32];
		if (xtime)
			rep_fmt_seconds(xmax * i / 4.0, lab, sizeof lab);
		else
			snprintf(lab, sizeof lab, "%.0f", xmax * i / 4.0);
		fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">%.4g</text>"
			   "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\" font-size=\"10\">%s</text>\n",
			ML - 4, y + 3, ymax * i / 4.0, x, PH + 24, lab);
	}
	fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" font-size=\"10\">%s</text>\n",
		ML + PW, PH + 38 - 8, xlabel);
}

static void ops_plot(FILE *f, const struct rep_sweep *s)
{
	if (!s->nops) {
		fputs("<p class=\"no-data\">No failures per operation recorded.</p>\n", f);
		return;
	}
	double xmax = (double)(s->workload_ops > 0 ? s->workload_ops : 1), ymax = 1;
	for (size_t i = 0; i < s->nops; i++) {
		double t = 0;
		for (int k = 0; k < REP_NINV; k++)
			t += (double)s->ops[i].count[k];
		if (t > ymax)
			ymax = t;
		if ((double)s->ops[i].op_index + 1 > xmax)
			xmax = (double)s->ops[i].op_index + 1;
	}
	ymax = ceil(ymax / 4) * 4; /* whole numbers on the 4 ticks */
	svg_open(f, "ops-plot", "failing cuts per operation index, by invariant");
	axes(f, xmax, ymax, "operation index", false);
	double bw = PW / xmax < 2 ? 2 : PW / xmax;
	for (size_t i = 0; i < s->nops; i++) {
		double x = ML + PW * (double)s->ops[i].op_index / xmax, y = PH + 10;
		for (int k = 0; k < REP_NINV; k++) {
			if (!s->ops[i].count[k])
				continue;
			double h = PH * (double)s->ops[i].count[k] / ymax;
			y -= h;
			fprintf(f, "<rect class=\"op-bar inv-%d\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
				   "height=\"%.2f\" fill=\"%s\"><title>op %lld: %lld %s</title></rect>\n",
				k + 1, x, y, bw, h, inv_colour[k], (long long)s->ops[i].op_index,
				(long long)s->ops[i].count[k], rep_inv_name[k]);
		}
	}
	fputs("</svg>\n<p class=\"legend\">", f);
	for (int k = 0; k < REP_NINV; k++) {
		bool used = false;
		for (size_t i = 0; i < s->nops; i++)
			used |= s->ops[i].count[k] != 0;
		if (used)
			fprintf(f, "<span style=\"color:%s\">&#9632;</span> %s ", inv_colour[k],
				rep_inv_name[k]);
	}
	fputs("</p>\n", f);
}

static void sector_plot(FILE *f, const struct rep_sweep *s)
{
	if (!s->nsectors) {
		fputs("<p class=\"no-data\">No erases per sector recorded.</p>\n", f);
		return;
	}
	double ymax = (double)s->wear_bound + 1;
	for (size_t i = 0; i < s->nsectors; i++)
		if ((double)s->sector_erases[i] > ymax)
			ymax = (double)s->sector_erases[i];
	ymax = ceil(ymax / 4) * 4;
	svg_open(f, "sector-plot", "most erases per sector, against the wear bound");
	axes(f, (double)s->nsectors, ymax, "sector", false);
	double bw = PW / (double)s->nsectors;
	for (size_t i = 0; i < s->nsectors; i++) {
		double h = PH * (double)s->sector_erases[i] / ymax;
		bool over = s->sector_erases[i] > s->wear_bound;
		fprintf(f, "<rect class=\"sector-bar%s\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" "
			   "height=\"%.2f\" fill=\"%s\"><title>sector %zu: %lld erases</title></rect>\n",
			over ? " over" : "", ML + bw * (double)i, PH + 10 - h, bw > 1.5 ? bw - 0.5 : bw, h,
			over ? "#d62728" : "#1f77b4", i, (long long)s->sector_erases[i]);
	}
	double y = PH + 10 - PH * (double)s->wear_bound / ymax;
	fprintf(f, "<line class=\"wear-bound\" x1=\"%.1f\" y1=\"%.2f\" x2=\"%.1f\" y2=\"%.2f\" "
		   "stroke=\"#d62728\" stroke-dasharray=\"6 3\"/><text x=\"%.1f\" y=\"%.2f\" "
		   "font-size=\"10\" fill=\"#d62728\" text-anchor=\"end\">wear bound %lld</text>\n</svg>\n",
		ML, y, ML + PW, y, ML + PW, y - 3, (long long)s->wear_bound);
}

static void sweep_section(FILE *f, const struct rep_sweep *s)
{
	fputs("<section class=\"sweep ", f);
	fputs(s->pass ? "pass" : "fail", f);
	fputs("\" id=\"sweep-", f);
	cls(f, s->name);
	fputs("\">\n<h3>", f);
	fputs(s->pass ? "pass " : "FAIL ", f);
	esc(f, s->name);
	fputs("</h3>\n<p><code>", f);
	esc(f, s->file);
	fprintf(f, "</code>: %s on %s, depth %d, %s; %lld ops, %lld cut points, %lld failing "
		   "cuts, %lld false positives (I6)",
		s->strategy, s->preset, s->depth, s->modes, (long long)s->workload_ops,
		(long long)s->cut_points, (long long)s->failures, (long long)s->false_positives);
	if (s->shards_n)
		fprintf(f, "; %d of %d shards", s->shards_have, s->shards_n);
	fputs("</p>\n", f);
	if (s->nfail) {
		fputs("<table class=\"failures\"><tr><th>repro ID</th><th>invariants</th><th>detail"
		      "</th><th>expected</th><th>observed</th><th>replay</th></tr>\n", f);
		for (size_t i = 0; i < s->nfail && i < MAX_LISTED; i++) {
			const struct rep_failure *x = &s->fail[i];
			char replay[400];
			rep_replay_command(s, x->repro, replay, sizeof replay);
			fputs("<tr><td><code>", f);
			esc(f, x->repro);
			fputs("</code></td><td>", f);
			esc(f, x->invariants ? x->invariants : x->invariant);
			fputs("</td><td>", f);
			esc(f, x->detail);
			fputs("</td><td>", f);
			esc(f, x->expected ? x->expected : "-");
			fputs("</td><td>", f);
			esc(f, x->observed ? x->observed : "-");
			fputs("</td><td><code>", f);
			esc(f, replay);
			fputs("</code></td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	fprintf(f, "<details%s><summary>failures per operation, erases per sector</summary>\n",
		s->pass ? "" : " open");
	ops_plot(f, s);
	sector_plot(f, s);
	fputs("</details>\n</section>\n", f);
}

/* ---- scenarios ---- */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

static void convergence_plot(FILE *f, const struct rep_run *runs, size_t n)
{
	double tmax = 1, ymax = 1;
	for (size_t i = 0; i < n; i++) {
		struct rep_run_counts c = rep_run_count(&runs[i]);
		if ((double)runs[i].sim_end_us / 1e6 > tmax)
			tmax = (double)runs[i].sim_end_us / 1e6;
		if (c.targets > ymax)
			ymax = c.targets;
	}
	svg_open(f, "convergence-plot", "targets on the new image over simulated time, per seed");
	axes(f, tmax, ymax, "simulated time", true);
	for (size_t i = 0; i < n; i++) {
		const struct rep_run *r = &runs[i];
		int64_t *t = calloc(r->nnodes + 1, sizeof *t);
		size_t m = 0;
		if (!t)
			continue;
		for (size_t k = 0; k < r->nnodes; k++)
			if (r->nodes[k].target && r->nodes[k].converged_us >= 0)
				t[m++] = r->nodes[k].converged_us;
		qsort(t, m, sizeof *t, cmp_i64);
		const char *colour = seed_colour[i % (sizeof seed_colour / sizeof *seed_colour)];
		fprintf(f, "<polyline class=\"seed-curve\" data-seed=\"%llu\" fill=\"none\" "
			   "stroke=\"%s\" stroke-width=\"1.5\" points=\"%.1f,%.1f",
			(unsigned long long)r->seed, colour, ML, PH + 10);
		for (size_t k = 0; k < m; k++) {
			double x = ML + PW * ((double)t[k] / 1e6) / tmax;
			fprintf(f, " %.2f,%.2f %.2f,%.2f", x, PH + 10 - PH * (double)k / ymax, x,
				PH + 10 - PH * (double)(k + 1) / ymax);
		}
		fprintf(f, " %.2f,%.2f\"><title>seed %llu: %zu targets converged</title></polyline>\n",
			ML + PW * ((double)r->sim_end_us / 1e6) / tmax, PH + 10 - PH * (double)m / ymax,
			(unsigned long long)r->seed, m);
		free(t);
	}
	fputs("</svg>\n<p class=\"legend\">", f);
	for (size_t i = 0; i < n; i++)
		fprintf(f, "<span style=\"color:%s\">&#9632;</span> seed %llu ",
			seed_colour[i % (sizeof seed_colour / sizeof *seed_colour)],
			(unsigned long long)runs[i].seed);
	fputs("</p>\n", f);
}

static const char *colour_of(const char *outcome)
{
	for (size_t i = 0; i < sizeof outcome_colour / sizeof *outcome_colour; i++)
		if (!strcmp(outcome_colour[i].outcome, outcome))
			return outcome_colour[i].colour;
	return "#000";
}

static void topology_map(FILE *f, const struct rep_run *r)
{
	if (!r->nnodes)
		return;
	double x0 = r->nodes[0].x, x1 = x0, y0 = r->nodes[0].y, y1 = y0;
	for (size_t i = 0; i < r->nnodes; i++) {
		x0 = fmin(x0, r->nodes[i].x);
		x1 = fmax(x1, r->nodes[i].x);
		y0 = fmin(y0, r->nodes[i].y);
		y1 = fmax(y1, r->nodes[i].y);
	}
	double w = x1 - x0 > 0 ? x1 - x0 : 1, h = y1 - y0 > 0 ? y1 - y0 : 1;
	double scale = fmin((PW - 20) / w, (PH - 20) / h);
	fprintf(f, "<svg class=\"topology-map\" data-seed=\"%llu\" xmlns=\"http://www.w3.org/2000/svg\""
		   " width=\"%.0f\" height=\"%.0f\" role=\"img\"><title>nodes by outcome, seed %llu"
		   "</title>\n", (unsigned long long)r->seed, w * scale + 30, h * scale + 30,
		(unsigned long long)r->seed);
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct rep_node *n = &r->nodes[i];
		const char *o = rep_node_outcome(n);
		fprintf(f, "<circle class=\"node outcome-%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"6\" "
			   "fill=\"%s\"><title>node %lld (", o, 15 + (n->x - x0) * scale,
			15 + (n->y - y0) * scale, colour_of(o), (long long)n->node);
		esc(f, n->role);
		fprintf(f, "): %s", o);
		if (n->hops >= 0)
			fprintf(f, ", %lld hops", (long long)n->hops);
		if (n->wave >= 0)
			fprintf(f, ", wave %lld", (long long)n->wave + 1);
		if (n->reason) {
			fputs(": ", f);
			esc(f, n->reason);
		}
		fputs("</title></circle>\n", f);
	}
	fputs("</svg>\n", f);
}

static void scenario_section(FILE *f, const struct rep_run *runs, size_t n)
{
	size_t passed = 0;
	for (size_t i = 0; i < n; i++)
		passed += runs[i].pass;
	fprintf(f, "<section class=\"scenario %s\" id=\"scenario-", passed == n ? "pass" : "fail");
	cls(f, runs[0].scenario);
	fprintf(f, "\">\n<h3>%s ", passed == n ? "pass" : "FAIL");
	esc(f, runs[0].scenario);
	fputs("</h3>\n<p><code>", f);
	esc(f, runs[0].file);
	fprintf(f, "</code>: %zu of %zu seeds passed</p>\n", passed, n);
	fputs("<table class=\"runs\"><tr><th>seed</th><th>result</th><th>converged</th><th>failed"
	      "</th><th>bricked</th><th>p50</th><th>p95</th><th>max</th><th>failed expectations"
	      "</th></tr>\n", f);
	for (size_t i = 0; i < n; i++) {
		const struct rep_run *r = &runs[i];
		struct rep_run_counts c = rep_run_count(r);
		char p50[24], p95[24], pmax[24];
		rep_fmt_seconds(rep_metric(r, "convergence_p50_s"), p50, sizeof p50);
		rep_fmt_seconds(rep_metric(r, "convergence_p95_s"), p95, sizeof p95);
		rep_fmt_seconds(rep_metric(r, "convergence_max_s"), pmax, sizeof pmax);
		fprintf(f, "<tr class=\"%s\"><td>%llu</td><td>%s</td><td>%u/%u</td><td>%u</td>"
			   "<td>%u</td><td>%s</td><td>%s</td><td>%s</td><td>", r->pass ? "pass" : "fail",
			(unsigned long long)r->seed, r->pass ? "pass" : "FAIL", c.converged, c.targets,
			c.failed, c.bricked, p50, p95, pmax);
		for (size_t e = 0; e < r->nexpect; e++) {
			if (r->expect[e].pass)
				continue;
			esc(f, r->expect[e].name);
			fputs(": observed ", f);
			esc(f, r->expect[e].observed);
			fputs(", expected ", f);
			esc(f, r->expect[e].expected);
			fputs("<br>", f);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	convergence_plot(f, runs, n);
	fputs("<p class=\"legend\">", f);
	for (size_t i = 0; i < sizeof outcome_colour / sizeof *outcome_colour; i++)
		fprintf(f, "<span style=\"color:%s\">&#9679;</span> %s ", outcome_colour[i].colour,
			outcome_colour[i].outcome);
	fputs("</p>\n", f);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, "<details%s><summary>topology, seed %llu</summary>\n", i ? "" : " open",
			(unsigned long long)runs[i].seed);
		topology_map(f, &runs[i]);
		fputs("</details>\n", f);
	}
	fputs("</section>\n", f);
}

void rep_write_html(FILE *f, const struct rep_data *d, const struct rep_diff *diff)
{
	size_t sf = 0, rf = 0;
	for (size_t i = 0; i < d->nsweeps; i++)
		sf += !d->sweeps[i].pass;
	for (size_t i = 0; i < d->nruns; i++)
		rf += !d->runs[i].pass;
	bool bad = sf || rf || (diff && diff->regressions);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<title>brownout report</title>\n<style>\n"
	      "body{font-family:sans-serif;margin:2em;max-width:1000px}"
	      "table{border-collapse:collapse;margin:0.5em 0}"
	      "td,th{border:1px solid #ccc;padding:2px 6px;font-size:13px;text-align:left}"
	      ".fail h3,tr.fail td:nth-child(2),.verdict.fail{color:#c00}"
	      ".pass h3,.verdict.pass{color:#080}"
	      "svg{display:block;margin:0.5em 0;background:#fafafa}"
	      ".legend{font-size:12px}\n</style></head>\n<body>\n<h1>brownout report</h1>\n", f);
	fprintf(f, "<p class=\"verdict %s\"><strong>%s</strong>: %zu of %zu sweeps passed, %zu of "
		   "%zu scenario runs passed", bad ? "fail" : "pass", bad ? "FAIL" : "PASS",
		d->nsweeps - sf, d->nsweeps, d->nruns - rf, d->nruns);
	if (diff)
		fprintf(f, "; %zu regressions against the baseline", diff->regressions);
	fputs("</p>\n", f);
	if (diff) {
		fputs("<h2>Baseline comparison</h2>\n<table class=\"baseline\"><tr><th></th><th>change"
		      "</th><th>what</th><th>detail</th></tr>\n", f);
		for (size_t i = 0; i < diff->n; i++) {
			const struct rep_change *c = &diff->changes[i];
			fprintf(f, "<tr class=\"%s\"><td>%s</td><td>%s</td><td>",
				c->regression ? "fail regression" : "change",
				c->regression ? "REGRESSION" : "", rep_change_name(c->kind));
			esc(f, c->what);
			fputs("</td><td>", f);
			esc(f, c->detail);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n", f);
	}
	if (d->nsweeps) {
		fputs("<h2>Sweeps</h2>\n", f);
		for (size_t i = 0; i < d->nsweeps; i++)
			sweep_section(f, &d->sweeps[i]);
	}
	if (d->nruns) {
		fputs("<h2>Scenarios</h2>\n", f);
		for (size_t i = 0; i < d->nruns;) {
			size_t end = i;
			while (end < d->nruns && !strcmp(d->runs[end].scenario, d->runs[i].scenario))
				end++;
			scenario_section(f, &d->runs[i], end - i);
			i = end;
		}
	}
	fputs("</body></html>\n", f);
}
