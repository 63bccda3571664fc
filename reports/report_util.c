/* Small helpers the report renderers and the comparison share (reports/report.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/report.h"

const char *const rep_inv_name[REP_NINV] = {
	"I1 never bricked", "I2 no hybrid", "I3 converges", "I4 flash discipline",
	"I5 wear", "baseline", "firmware abort", "application error",
};

int rep_inv_index(const char *name)
{
	for (int i = 0; name && i < REP_NINV; i++)
		if (!strcmp(name, rep_inv_name[i]))
			return i;
	return -1;
}

double rep_metric(const struct rep_run *r, const char *name)
{
	for (size_t i = 0; i < r->nmetrics; i++)
		if (!strcmp(r->metrics[i].name, name))
			return r->metrics[i].value;
	return NAN;
}

struct rep_run_counts rep_run_count(const struct rep_run *r)
{
	struct rep_run_counts c = {0};
	for (size_t i = 0; i < r->nnodes; i++) {
		const struct rep_node *n = &r->nodes[i];
		c.bricked += n->bricked;
		if (!n->target)
			continue;
		c.targets++;
		c.converged += n->converged_us >= 0;
	}
	c.failed = c.targets - c.converged;
	return c;
}

const char *rep_node_outcome(const struct rep_node *n)
{
	if (n->bricked)
		return "bricked";
	if (!n->target)
		return "other";
	if (n->converged_us >= 0)
		return "updated";
	const char *v = n->verdict ? n->verdict : "";
	if (!strcmp(v, "reverted") || n->reverts > 0)
		return "reverted";
	if (!strcmp(v, "lost"))
		return "lost";
	if (n->hops < 0 && n->rx_start_us < 0)
		return "unreachable";
	return "failed";
}

void rep_replay_command(const struct rep_sweep *s, const char *repro, char *out, size_t n)
{
	const char *file = s->file ? s->file : s->name;
	if (repro && !strcmp(repro, "uncut")) /* the workload itself fails: no cut to replay */
		snprintf(out, n, "brownout sweep %s --no-db", file);
	else
		snprintf(out, n, "brownout sweep %s --repro %s --trace", file, repro ? repro : "?");
}

int rep_utf8_len(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;
	int n = u[0] < 0x80 ? 1 : (u[0] & 0xe0) == 0xc0 ? 2 : (u[0] & 0xf0) == 0xe0 ? 3
		: (u[0] & 0xf8) == 0xf0 ? 4 : 0;
	if (n == 2 && u[0] < 0xc2)
		return 0; /* overlong */
	for (int i = 1; i < n; i++)
		if ((u[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

void rep_fmt_seconds(double s, char *out, size_t n)
{
	if (!(s >= 0)) {
		snprintf(out, n, "-");
		return;
	}
	double us = s * 1e6 + 0.5;
	unsigned long long t = (unsigned long long)(s + 0.5);
	if (s < 60)
		snprintf(out, n, "%.1fs", us / 1e6);
	else if (t < 3600)
		snprintf(out, n, "%llum%02llus", t / 60, t % 60);
	else if (t < 86400)
		snprintf(out, n, "%lluh%02llum", t / 3600, t % 3600 / 60);
	else
		snprintf(out, n, "%llud%02lluh", t / 86400, t % 86400 / 3600);
}
