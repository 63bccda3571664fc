/* The Markdown report: a CI job summary (GitHub's step summary renders it). */
#include <string.h>

#include "reports/report.h"

#define MAX_LISTED 20 /* repro IDs listed per sweep before "... and N more" */

/* A table cell: | and newlines would break the row. */
static void cell(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '|')
			fputs("\\|", f);
		else if (*s == '\n' || *s == '\r')
			fputc(' ', f);
		else
			fputc(*s, f);
	}
}

static void summary_line(FILE *f, const struct rep_data *d, const struct rep_diff *diff)
{
	size_t sf = 0, rf = 0;
	for (size_t i = 0; i < d->nsweeps; i++)
		sf += !d->sweeps[i].pass;
	for (size_t i = 0; i < d->nruns; i++)
		rf += !d->runs[i].pass;
	bool bad = sf || rf || (diff && diff->regressions);
	fprintf(f, "**%s**: %zu of %zu sweeps passed, %zu of %zu scenario runs passed", bad ? "FAIL" : "PASS",
		d->nsweeps - sf, d->nsweeps, d->nruns - rf, d->nruns);
	if (diff)
		fprintf(f, "; %zu regression%s against the baseline", diff->regressions,
			diff->regressions == 1 ? "" : "s");
	if (d->incomplete_runs)
		fprintf(f, "; %zu incomplete run%s (killed or interrupted) left out",
			d->incomplete_runs, d->incomplete_runs == 1 ? "" : "s");
	fprintf(f, "\n\n");
}

static void write_diff(FILE *f, const struct rep_diff *diff)
{
	fprintf(f, "## Baseline comparison\n\n");
	if (!diff->n) {
		fprintf(f, "No change against the baseline.\n\n");
		return;
	}
	fprintf(f, "| | change | what | detail |\n|---|---|---|---|\n");
	for (int pass = 0; pass < 2; pass++) /* regressions first */
		for (size_t i = 0; i < diff->n; i++) {
			const struct rep_change *c = &diff->changes[i];
			if (c->regression != (pass == 0))
				continue;
			fprintf(f, "| %s | %s | ", c->regression ? "REGRESSION" : "",
				rep_change_name(c->kind));
			cell(f, c->what);
			fputs(" | ", f);
			cell(f, c->detail);
			fputs(" |\n", f);
		}
	fputc('\n', f);
}

static void shards(FILE *f, const struct rep_sweep *s)
{
	if (s->shards_n > 0)
		fprintf(f, " (%d of %d shards%s)", s->shards_have, s->shards_n,
			s->shards_have == s->shards_n ? "" : ", INCOMPLETE");
	else if (s->shards_n < 0)
		fprintf(f, " (%d shards of different counts: INCOMPLETE)", s->shards_have);
}

static void write_sweep_detail(FILE *f, const struct rep_sweep *s)
{
	fprintf(f, "### %s %s\n\n", s->pass ? "pass" : "FAIL", s->name);
	fprintf(f, "`%s`: %s on %s, depth %d, %s%s; %lld ops, %lld cut points", s->file,
		s->strategy, s->preset, s->depth, s->modes, s->metastable ? ", metastable" : "",
		(long long)s->workload_ops, (long long)s->cut_points);
	shards(f, s);
	fprintf(f, "\n\n");
	bool any = false;
	for (int k = 0; k < REP_NINV; k++)
		if (s->inv[k]) {
			fprintf(f, "%s%s: %lld", any ? ", " : "Failing cuts per invariant: ",
				rep_inv_name[k], (long long)s->inv[k]);
			any = true;
		}
	if (any && s->failing_cuts >= 0)
		fprintf(f, "; %lld cut point%s broke at least one (a cut may break several)",
			(long long)s->failing_cuts, s->failing_cuts == 1 ? "" : "s");
	if (any)
		fprintf(f, "\n\n");
	if (s->nfail) {
		fprintf(f, "| repro ID | invariants | detail | expected | observed | replay |\n"
			   "|---|---|---|---|---|---|\n");
		for (size_t i = 0; i < s->nfail && i < MAX_LISTED; i++) {
			const struct rep_failure *x = &s->fail[i];
			char replay[400];
			rep_replay_command(s, x->repro, replay, sizeof replay);
			fputs("| `", f);
			cell(f, x->repro);
			fputs("` | ", f);
			cell(f, x->invariants ? x->invariants : x->invariant);
			fputs(" | ", f);
			cell(f, x->detail);
			fputs(" | ", f);
			cell(f, x->expected ? x->expected : "-");
			fputs(" | ", f);
			cell(f, x->observed ? x->observed : "-");
			fputs(" | `", f);
			cell(f, replay);
			fputs("` |\n", f);
		}
		if (s->nfail > MAX_LISTED)
			fprintf(f, "\n... and %zu more repro IDs in the database.\n", s->nfail - MAX_LISTED);
		if ((int64_t)s->nfail < s->failures)
			fprintf(f, "\n%lld failing cuts in all; the first %zu are kept.\n",
				(long long)s->failures, s->nfail);
		fputc('\n', f);
	}
	if (s->false_positives) {
		fprintf(f, "False positives (I6): %lld", (long long)s->false_positives);
		for (size_t i = 0; i < s->nfp && i < MAX_LISTED; i++)
			fprintf(f, "%s`%s`", i ? ", " : ": ", s->fp[i].repro);
		if (s->nfp > MAX_LISTED)
			fprintf(f, ", ...");
		fprintf(f, "\n\n");
	}
}

static void write_sweeps(FILE *f, const struct rep_data *d)
{
	fprintf(f, "## Sweeps\n\n| sweep | result | strategy | preset | cut points | failures | "
		   "false positives (I6) |\n|---|---|---|---|---:|---:|---:|\n");
	for (size_t i = 0; i < d->nsweeps; i++) {
		const struct rep_sweep *s = &d->sweeps[i];
		fputs("| ", f);
		cell(f, s->name);
		fprintf(f, " | %s | %s | %s | %lld", s->pass ? "pass" : "**FAIL**", s->strategy,
			s->preset, (long long)s->cut_points);
		shards(f, s);
		fprintf(f, " | %lld | %lld |\n", (long long)s->failures, (long long)s->false_positives);
	}
	fputc('\n', f);
	for (size_t i = 0; i < d->nsweeps; i++)
		if (!d->sweeps[i].pass || d->sweeps[i].false_positives)
			write_sweep_detail(f, &d->sweeps[i]);
}

static void write_runs(FILE *f, const struct rep_data *d)
{
	fprintf(f, "## Scenarios\n\n");
	for (size_t i = 0; i < d->nruns;) {
		size_t end = i;
		while (end < d->nruns && !strcmp(d->runs[end].scenario, d->runs[i].scenario))
			end++;
		size_t passed = 0;
		for (size_t k = i; k < end; k++)
			passed += d->runs[k].pass;
		fprintf(f, "### %s %s\n\n`%s`: %zu of %zu seeds passed\n\n",
			passed == end - i ? "pass" : "FAIL", d->runs[i].scenario, d->runs[i].file,
			passed, end - i);
		fprintf(f, "| seed | result | converged | failed | bricked | p50 | p95 | max | "
			   "simulated |\n|---:|---|---:|---:|---:|---:|---:|---:|---:|\n");
		for (size_t k = i; k < end; k++) {
			const struct rep_run *r = &d->runs[k];
			struct rep_run_counts c = rep_run_count(r);
			char p50[24], p95[24], pmax[24], sim[24];
			rep_fmt_seconds(rep_metric(r, "convergence_p50_s"), p50, sizeof p50);
			rep_fmt_seconds(rep_metric(r, "convergence_p95_s"), p95, sizeof p95);
			rep_fmt_seconds(rep_metric(r, "convergence_max_s"), pmax, sizeof pmax);
			rep_fmt_seconds((double)r->sim_end_us / 1e6, sim, sizeof sim);
			fprintf(f, "| %llu | %s | %u/%u | %u | %u | %s | %s | %s | %s |\n",
				(unsigned long long)r->seed, r->pass ? "pass" : "**FAIL**", c.converged,
				c.targets, c.failed, c.bricked, p50, p95, pmax, sim);
		}
		fputc('\n', f);
		for (size_t k = i; k < end; k++)
			for (size_t e = 0; e < d->runs[k].nexpect; e++) {
				const struct rep_expect *x = &d->runs[k].expect[e];
				if (x->pass)
					continue;
				fprintf(f, "- seed %llu: expectation `%s` FAILED: observed ",
					(unsigned long long)d->runs[k].seed, x->name);
				cell(f, x->observed);
				fputs(", expected ", f);
				cell(f, x->expected);
				fputc('\n', f);
			}
		fputc('\n', f);
		i = end;
	}
}

void rep_write_md(FILE *f, const struct rep_data *d, const struct rep_diff *diff)
{
	fprintf(f, "# brownout report\n\n");
	summary_line(f, d, diff);
	if (diff)
		write_diff(f, diff);
	if (d->nsweeps)
		write_sweeps(f, d);
	if (d->nruns)
		write_runs(f, d);
	if (!d->nsweeps && !d->nruns)
		fprintf(f, "The databases hold no sweep and no complete scenario run.\n");
}
