/* The JSON report, for scripts: everything the other formats show, as numbers. */
#include <math.h>
#include <string.h>

#include "reports/report.h"

static void str(FILE *f, const char *s)
{
	if (!s) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		int n = rep_utf8_len(s);
		if (n != 1) { /* JSON is UTF-8: other bytes become '?' */
			if (n == 0)
				fputc('?', f);
			else
				fwrite(s, 1, (size_t)n, f);
			s += n ? n - 1 : 0;
			continue;
		}
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void num(FILE *f, double v)
{
	if (isfinite(v))
		fprintf(f, "%.17g", v);
	else
		fputs("null", f);
}

static void opt(FILE *f, int64_t v)
{
	if (v < 0)
		fputs("null", f);
	else
		fprintf(f, "%lld", (long long)v);
}

static void failure(FILE *f, const struct rep_sweep *s, const struct rep_failure *x, bool fp)
{
	char replay[400];
	rep_replay_command(s, x->repro, replay, sizeof replay);
	fputs("{\"repro\": ", f);
	str(f, x->repro);
	if (!fp) {
		fputs(", \"invariant\": ", f);
		str(f, x->invariant);
		fputs(", \"invariants\": ", f);
		str(f, x->invariants);
	}
	fputs(", \"detail\": ", f);
	str(f, x->detail);
	fputs(", \"expected\": ", f);
	str(f, x->expected);
	fputs(", \"observed\": ", f);
	str(f, x->observed);
	fputs(", \"op_index\": ", f);
	opt(f, x->op_index);
	fputs(", \"replay\": ", f);
	str(f, replay);
	fputc('}', f);
}

static void sweep(FILE *f, const struct rep_sweep *s)
{
	fputs("    {\"name\": ", f);
	str(f, s->name);
	fputs(", \"file\": ", f);
	str(f, s->file);
	fputs(", \"file_hash\": ", f);
	str(f, s->file_hash);
	fputs(", \"strategy\": ", f);
	str(f, s->strategy);
	fputs(", \"preset\": ", f);
	str(f, s->preset);
	fputs(", \"modes\": ", f);
	str(f, s->modes);
	fputs(", \"tool_version\": ", f);
	str(f, s->tool_version);
	fprintf(f, ", \"depth\": %d, \"metastable\": %s, \"pass\": %s,\n", s->depth,
		s->metastable ? "true" : "false", s->pass ? "true" : "false");
	if (s->shards_n)
		fprintf(f, "     \"shards\": {\"have\": %d, \"of\": %d},\n", s->shards_have,
			s->shards_n);
	else
		fputs("     \"shards\": null,\n", f);
	fprintf(f, "     \"workload_ops\": %lld, \"cut_points\": %lld, \"distinct_states\": %lld,"
		   " \"failures\": %lld, \"failing_cuts\": ", (long long)s->workload_ops,
		(long long)s->cut_points, (long long)s->distinct_states, (long long)s->failures);
	opt(f, s->failing_cuts);
	fprintf(f, ", \"false_positives\": %lld, \"wear_bound\": %lld, \"wall_s\": ",
		(long long)s->false_positives, (long long)s->wear_bound);
	num(f, s->wall_s);
	fputs(",\n     \"invariants\": {", f);
	for (int k = 0; k < REP_NINV; k++) {
		fputs(k ? ", " : "", f);
		str(f, rep_inv_name[k]);
		fprintf(f, ": %lld", (long long)s->inv[k]);
	}
	fputs("},\n     \"failures_kept\": [", f);
	for (size_t i = 0; i < s->nfail; i++) {
		fputs(i ? ",\n       " : "\n       ", f);
		failure(f, s, &s->fail[i], false);
	}
	fputs("],\n     \"false_positives_kept\": [", f);
	for (size_t i = 0; i < s->nfp; i++) {
		fputs(i ? ",\n       " : "\n       ", f);
		failure(f, s, &s->fp[i], true);
	}
	fputs("],\n     \"per_op\": [", f);
	for (size_t i = 0; i < s->nops; i++) {
		fprintf(f, "%s{\"op_index\": %lld", i ? ", " : "", (long long)s->ops[i].op_index);
		for (int k = 0; k < REP_NINV; k++)
			if (s->ops[i].count[k]) {
				fputs(", ", f);
				str(f, rep_inv_name[k]);
				fprintf(f, ": %lld", (long long)s->ops[i].count[k]);
			}
		fputc('}', f);
	}
	fputs("],\n     \"sector_max_erases\": [", f);
	for (size_t i = 0; i < s->nsectors; i++)
		fprintf(f, "%s%lld", i ? ", " : "", (long long)s->sector_erases[i]);
	fputs("]}", f);
}

static void run(FILE *f, const struct rep_run *r)
{
	struct rep_run_counts c = rep_run_count(r);
	fputs("    {\"scenario\": ", f);
	str(f, r->scenario);
	fputs(", \"file\": ", f);
	str(f, r->file);
	fputs(", \"scenario_hash\": ", f);
	str(f, r->hash);
	fputs(", \"tool_version\": ", f);
	str(f, r->tool_version);
	fprintf(f, ", \"seed\": %llu, \"pass\": %s, \"sim_end_us\": %lld, \"wall_s\": ",
		(unsigned long long)r->seed, r->pass ? "true" : "false", (long long)r->sim_end_us);
	num(f, r->wall_s);
	fprintf(f, ",\n     \"targets\": %u, \"converged\": %u, \"failed\": %u, \"bricked\": %u,\n",
		c.targets, c.converged, c.failed, c.bricked);
	fputs("     \"expectations\": [", f);
	for (size_t i = 0; i < r->nexpect; i++) {
		const struct rep_expect *e = &r->expect[i];
		fputs(i ? ", " : "", f);
		fputs("{\"name\": ", f);
		str(f, e->name);
		fprintf(f, ", \"pass\": %s, \"observed\": ", e->pass ? "true" : "false");
		str(f, e->observed);
		fputs(", \"expected\": ", f);
		str(f, e->expected);
		fputc('}', f);
	}
	fputs("],\n     \"metrics\": {", f);
	for (size_t i = 0; i < r->nmetrics; i++) {
		fputs(i ? ", " : "", f);
		str(f, r->metrics[i].name);
		fputs(": ", f);
		num(f, r->metrics[i].value);
	}
	fputs("},\n     \"nodes\": [", f);
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct rep_node *n = &r->nodes[i];
		fprintf(f, "%s{\"node\": %lld, \"role\": ", i ? ",\n       " : "\n       ",
			(long long)n->node);
		str(f, n->role);
		fputs(", \"x\": ", f);
		num(f, n->x);
		fputs(", \"y\": ", f);
		num(f, n->y);
		fputs(", \"outcome\": ", f);
		str(f, rep_node_outcome(n));
		fputs(", \"verdict\": ", f);
		str(f, n->verdict);
		fputs(", \"final_fw\": ", f);
		str(f, n->final_fw);
		fputs(", \"converged_us\": ", f);
		opt(f, n->converged_us);
		fputs(", \"wave\": ", f);
		opt(f, n->wave);
		fputs(", \"hops\": ", f);
		opt(f, n->hops);
		fputs(", \"rx_start_us\": ", f);
		opt(f, n->rx_start_us);
		fputs(", \"pdus_queued\": ", f);
		opt(f, n->pdus_queued);
		fputs(", \"pdus_dropped\": ", f);
		opt(f, n->pdus_dropped);
		fputs(", \"reason\": ", f);
		str(f, n->reason);
		fputc('}', f);
	}
	fputs("]}", f);
}

void rep_write_json(FILE *f, const struct rep_data *d, const struct rep_diff *diff)
{
	bool pass = !(diff && diff->regressions);
	for (size_t i = 0; i < d->nsweeps; i++)
		pass &= d->sweeps[i].pass;
	for (size_t i = 0; i < d->nruns; i++)
		pass &= d->runs[i].pass;
	fprintf(f, "{\n  \"format\": \"brownout-report\", \"version\": 1, \"pass\": %s,"
		   " \"incomplete_runs\": %zu,\n  \"sweeps\": [", pass ? "true" : "false",
		d->incomplete_runs);
	for (size_t i = 0; i < d->nsweeps; i++) {
		fputs(i ? ",\n" : "\n", f);
		sweep(f, &d->sweeps[i]);
	}
	fputs("],\n  \"runs\": [", f);
	for (size_t i = 0; i < d->nruns; i++) {
		fputs(i ? ",\n" : "\n", f);
		run(f, &d->runs[i]);
	}
	fputs("],\n  \"baseline\": ", f);
	if (!diff) {
		fputs("null\n}\n", f);
		return;
	}
	fprintf(f, "{\"regressions\": %zu, \"changes\": [", diff->regressions);
	for (size_t i = 0; i < diff->n; i++) {
		const struct rep_change *c = &diff->changes[i];
		fputs(i ? ",\n    " : "\n    ", f);
		fputs("{\"kind\": ", f);
		str(f, rep_change_name(c->kind));
		fprintf(f, ", \"regression\": %s, \"what\": ", c->regression ? "true" : "false");
		str(f, c->what);
		fputs(", \"detail\": ", f);
		str(f, c->detail);
		fputc('}', f);
	}
	fputs("]}\n}\n", f);
}
