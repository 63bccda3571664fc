/* The JUnit XML report (the Ant/Jenkins dialect CI systems read; tests/reports/junit.xsd):
 * a testsuite of sweeps with a testcase per sweep file, a testsuite per scenario with a
 * testcase per seed, and with --baseline a testsuite of the comparison with a testcase per
 * regression. Failures carry repro IDs and replay commands. */
#include <string.h>

#include "reports/report.h"

#define MAX_LISTED 50

/* Text or attribute value: markup escaped, control characters XML 1.0 forbids dropped,
 * bytes that are not UTF-8 written as '?'. */
static void esc(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		unsigned char c = (unsigned char)*s;
		int n = rep_utf8_len(s);
		if (n != 1) {
			if (n == 0)
				fputc('?', f);
			else
				fwrite(s, 1, (size_t)n, f);
			s += n ? n - 1 : 0;
			continue;
		}
		switch (c) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		default:
			if (c >= 0x20 || c == '\n' || c == '\t')
				fputc(c, f);
		}
	}
}

static void sweep_case(FILE *f, const struct rep_sweep *s)
{
	fputs("    <testcase classname=\"sweep\" name=\"", f);
	esc(f, s->name);
	fprintf(f, "\" time=\"%.3f\">\n", s->wall_s);
	if (!s->pass) {
		char msg[400];
		size_t len = (size_t)snprintf(msg, sizeof msg, "%lld failing cut%s",
					      (long long)s->failures, s->failures == 1 ? "" : "s");
		for (int k = 0; k < REP_NINV && len < sizeof msg; k++)
			if (s->inv[k])
				len += (size_t)snprintf(msg + len, sizeof msg - len, "%s%s: %lld",
							len ? ", " : "", rep_inv_name[k],
							(long long)s->inv[k]);
		fputs("      <failure message=\"", f);
		esc(f, msg);
		fputs("\" type=\"", f);
		esc(f, s->nfail ? s->fail[0].invariant : "sweep");
		fputs("\">", f);
		for (size_t i = 0; i < s->nfail && i < MAX_LISTED; i++) {
			const struct rep_failure *x = &s->fail[i];
			char replay[400];
			rep_replay_command(s, x->repro, replay, sizeof replay);
			esc(f, x->repro);
			fputs(" ", f);
			esc(f, x->invariants ? x->invariants : x->invariant);
			fputs(": ", f);
			esc(f, x->detail);
			if (x->expected || x->observed) {
				fputs(" (expected ", f);
				esc(f, x->expected ? x->expected : "?");
				fputs(", observed ", f);
				esc(f, x->observed ? x->observed : "?");
				fputs(")", f);
			}
			fputs("\n  replay: ", f);
			esc(f, replay);
			fputs("\n", f);
		}
		if (s->nfail > MAX_LISTED)
			fprintf(f, "... and %zu more\n", s->nfail - MAX_LISTED);
		fputs("</failure>\n", f);
	}
	fprintf(f, "      <system-out>%lld ops, %lld cut points, %lld distinct states, %lld "
		   "false positives (I6)", (long long)s->workload_ops, (long long)s->cut_points,
		(long long)s->distinct_states, (long long)s->false_positives);
	for (size_t i = 0; i < s->nfp && i < MAX_LISTED; i++) {
		fputs(i ? ", " : ": ", f);
		esc(f, s->fp[i].repro);
	}
	fputs("</system-out>\n    </testcase>\n", f);
}

static void run_case(FILE *f, const struct rep_run *r)
{
	struct rep_run_counts c = rep_run_count(r);
	fputs("    <testcase classname=\"scenario.", f);
	esc(f, r->scenario);
	fprintf(f, "\" name=\"seed %llu\" time=\"%.3f\">\n", (unsigned long long)r->seed, r->wall_s);
	if (!r->pass) {
		size_t failed = 0;
		for (size_t i = 0; i < r->nexpect; i++)
			failed += !r->expect[i].pass;
		fprintf(f, "      <failure message=\"%zu expectation%s failed\" type=\"expectation\">",
			failed, failed == 1 ? "" : "s");
		for (size_t i = 0; i < r->nexpect; i++) {
			const struct rep_expect *e = &r->expect[i];
			if (e->pass)
				continue;
			esc(f, e->name);
			fputs(": observed ", f);
			esc(f, e->observed);
			fputs(", expected ", f);
			esc(f, e->expected);
			fputs("\n", f);
		}
		fputs("  replay: brownout run ", f);
		esc(f, r->file);
		fprintf(f, " --seed %llu --events 2\n</failure>\n", (unsigned long long)r->seed);
	}
	fprintf(f, "      <system-out>converged %u/%u targets, %u failed, %u bricked</system-out>\n"
		   "    </testcase>\n", c.converged, c.targets, c.failed, c.bricked);
}

void rep_write_junit(FILE *f, const struct rep_data *d, const struct rep_diff *diff)
{
	size_t tests = d->nsweeps + d->nruns, failures = 0;
	double time = 0;
	for (size_t i = 0; i < d->nsweeps; i++) {
		failures += !d->sweeps[i].pass;
		time += d->sweeps[i].wall_s;
	}
	for (size_t i = 0; i < d->nruns; i++) {
		failures += !d->runs[i].pass;
		time += d->runs[i].wall_s;
	}
	if (diff) {
		tests += diff->regressions ? diff->regressions : 1;
		failures += diff->regressions;
	}
	fprintf(f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		   "<testsuites name=\"brownout\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
		   "time=\"%.3f\">\n", tests, failures, time);
	if (d->nsweeps) {
		size_t sf = 0;
		double st = 0;
		for (size_t i = 0; i < d->nsweeps; i++) {
			sf += !d->sweeps[i].pass;
			st += d->sweeps[i].wall_s;
		}
		fprintf(f, "  <testsuite name=\"sweeps\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
			   "skipped=\"0\" time=\"%.3f\">\n", d->nsweeps, sf, st);
		for (size_t i = 0; i < d->nsweeps; i++)
			sweep_case(f, &d->sweeps[i]);
		fputs("  </testsuite>\n", f);
	}
	for (size_t i = 0; i < d->nruns;) {
		size_t end = i, rf = 0;
		double rt = 0;
		while (end < d->nruns && !strcmp(d->runs[end].scenario, d->runs[i].scenario)) {
			rf += !d->runs[end].pass;
			rt += d->runs[end].wall_s;
			end++;
		}
		fputs("  <testsuite name=\"scenario ", f);
		esc(f, d->runs[i].scenario);
		fprintf(f, "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"0\" "
			   "time=\"%.3f\">\n", end - i, rf, rt);
		for (size_t k = i; k < end; k++)
			run_case(f, &d->runs[k]);
		fputs("  </testsuite>\n", f);
		i = end;
	}
	if (diff) {
		fprintf(f, "  <testsuite name=\"baseline\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" "
			   "skipped=\"0\" time=\"0\">\n",
			diff->regressions ? diff->regressions : 1, diff->regressions);
		if (!diff->regressions)
			fputs("    <testcase classname=\"baseline\" name=\"no regression\" time=\"0\"/>\n", f);
		for (size_t i = 0; i < diff->n; i++) {
			const struct rep_change *c = &diff->changes[i];
			if (!c->regression)
				continue;
			fputs("    <testcase classname=\"baseline\" name=\"", f);
			esc(f, c->what);
			fputs(": ", f);
			esc(f, rep_change_name(c->kind));
			fputs("\" time=\"0\">\n      <failure message=\"", f);
			esc(f, c->detail);
			fputs("\" type=\"", f);
			esc(f, rep_change_name(c->kind));
			fputs("\">", f);
			esc(f, c->detail);
			fputs("</failure>\n    </testcase>\n", f);
		}
		fputs("  </testsuite>\n", f);
	}
	fputs("</testsuites>\n", f);
}
