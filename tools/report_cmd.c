/*
 * `brownout report DB... [--format md|html|junit|json] [-o FILE] [--baseline BASE.db]
 *                        [--max-regression NAME=PCT]...`
 * `brownout report merge OUT.db IN.db...`
 *
 * Renders the outcome databases (sweeps and scenario runs, reports/report.h) as a CI job
 * summary (Markdown), a self-contained HTML page, JUnit XML or JSON, optionally compared
 * against a baseline database; or merges shard databases into one.
 *
 * Exit codes: 0 rendered (with --baseline: and no regression), 1 a regression against the
 * baseline, 2 bad input or usage (nothing written: the output goes to a temporary file in
 * the same directory, renamed into place once complete).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "reports/report.h"
#include "tools/cli_util.h"
#include "tools/commands.h"

#define MAX_THRESHOLDS 64

static void usage(FILE *out)
{
	fprintf(out,
		"usage: brownout report DB... [options]\n"
		"       brownout report merge OUT.db IN.db...\n\n"
		"Report the sweeps and scenario runs of outcome databases (brownout sweep, brownout\n"
		"run), or merge shard databases into one.\n\n"
		"options:\n"
		"  --format F         md (default: a CI job summary), html (one self-contained\n"
		"                     page with plots), junit (JUnit XML), json\n"
		"  -o FILE            write to FILE (default: standard output); written whole or\n"
		"                     not at all\n"
		"  --baseline BASE    compare with the baseline database BASE: new and fixed\n"
		"                     failures, new bricked nodes, lost expectations, metric\n"
		"                     changes; exit 1 on a regression. Inputs whose file hash\n"
		"                     differs are reported as changed, not compared\n"
		"  --max-regression NAME=PCT\n"
		"                     allowed increase of a run metric, in percent (repeatable;\n"
		"                     replaces its default). Defaults:");
	for (size_t i = 0; i < rep_ndefault_thresholds; i++)
		fprintf(out, "%s%s=%g%%", i % 3 ? " " : "\n                       ",
			rep_default_thresholds[i].name, rep_default_thresholds[i].pct);
	fprintf(out,
		"\n  -h, --help         this help\n\n"
		"merge: copies every sweep and complete run of the inputs that OUT does not hold\n"
		"yet (a sweep is the same when its name, file hash, shard, depth, modes and\n"
		"metastable flag are; a run when its scenario hash and seed are), in one\n"
		"transaction. Inputs of different file hashes for one sweep or scenario name, or\n"
		"of different brownout versions, are refused.\n\n"
		"exit codes: 0 ok, 1 a regression against the baseline, 2 bad input or usage\n");
}

/* Write the whole buffer to path ("-": stdout) through a temporary file and a rename.
 * 0, or -1 with a message printed. */
static int write_out(const char *path, const char *buf, size_t len)
{
	if (!path || !strcmp(path, "-")) {
		if (fwrite(buf, 1, len, stdout) != len || fflush(stdout)) {
			fprintf(stderr, "brownout report: standard output: %s\n", strerror(errno));
			return -1;
		}
		return 0;
	}
	size_t n = strlen(path) + 16;
	char *tmp = malloc(n);
	if (!tmp) {
		fprintf(stderr, "brownout report: out of memory\n");
		return -1;
	}
	snprintf(tmp, n, "%s.tmp-XXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		fprintf(stderr, "brownout report: %s: cannot write there: %s\n", path, strerror(errno));
		free(tmp);
		return -1;
	}
	mode_t mask = umask(0); /* mkstemp made it 0600: give it a normal file's mode */
	umask(mask);
	fchmod(fd, 0666 & ~mask);
	FILE *f = fdopen(fd, "w");
	bool ok = f && fwrite(buf, 1, len, f) == len && fflush(f) == 0 && fsync(fd) == 0;
	int saved = errno;
	if (f)
		ok &= fclose(f) == 0;
	else
		close(fd);
	if (ok && rename(tmp, path) == 0) {
		free(tmp);
		return 0;
	}
	if (ok)
		saved = errno;
	fprintf(stderr, "brownout report: %s: %s\n", path, strerror(saved));
	unlink(tmp);
	free(tmp);
	return -1;
}

static int parse_threshold(const char *s, struct rep_threshold *t)
{
	const char *eq = strchr(s, '=');
	if (!eq || eq == s || (size_t)(eq - s) >= sizeof t->name)
		return -1;
	memcpy(t->name, s, (size_t)(eq - s));
	t->name[eq - s] = 0;
	char *end;
	errno = 0;
	double v = strtod(eq + 1, &end);
	if (end == eq + 1 || errno || v < 0 || v != v)
		return -1;
	if (*end == '%')
		end++;
	if (*end)
		return -1;
	t->pct = v;
	return 0;
}

static int cmd_merge(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "brownout report merge: give OUT.db and at least one IN.db\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++)
		if (argv[i][0] == '-') {
			fprintf(stderr, "brownout report merge: unexpected option '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
	char err[600];
	size_t sweeps, runs;
	if (rep_merge(argv[1], (const char *const *)argv + 2, (size_t)argc - 2, &sweeps, &runs, err,
		      sizeof err)) {
		fprintf(stderr, "brownout report merge: %s\n", err);
		return EXIT_USAGE;
	}
	printf("merged %d database%s into %s: %zu sweep%s and %zu run%s added\n", argc - 2,
	       argc - 2 == 1 ? "" : "s", argv[1], sweeps, sweeps == 1 ? "" : "s", runs,
	       runs == 1 ? "" : "s");
	return EXIT_OK;
}

int cmd_report(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "merge"))
		return cmd_merge(argc - 1, argv + 1);
	const char *format = "md", *out = NULL, *baseline = NULL;
	const char **dbs = calloc((size_t)argc + 1, sizeof *dbs);
	struct rep_threshold th[MAX_THRESHOLDS];
	size_t ndbs = 0, nth = 0;
	int rc = EXIT_USAGE;
	if (!dbs) {
		fprintf(stderr, "brownout report: out of memory\n");
		return EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		bool has_value = i + 1 < argc;
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			free(dbs);
			return EXIT_OK;
		} else if (!strcmp(a, "--format") && has_value) {
			format = argv[++i];
		} else if (!strcmp(a, "-o") && has_value) {
			out = argv[++i];
		} else if (!strcmp(a, "--baseline") && has_value) {
			baseline = argv[++i];
		} else if (!strcmp(a, "--max-regression") && has_value) {
			if (nth == MAX_THRESHOLDS || parse_threshold(argv[++i], &th[nth])) {
				fprintf(stderr, "brownout report: --max-regression takes NAME=PCT, e.g. "
						"convergence_p95_s=10%% (at most %d)\n", MAX_THRESHOLDS);
				goto done;
			}
			nth++;
		} else if (a[0] == '-' && a[1]) {
			cli_bad_argument("report", a);
			goto done;
		} else {
			dbs[ndbs++] = a;
		}
	}
	void (*render)(FILE *, const struct rep_data *, const struct rep_diff *) =
		!strcmp(format, "md")	 ? rep_write_md
		: !strcmp(format, "html")  ? rep_write_html
		: !strcmp(format, "junit") ? rep_write_junit
		: !strcmp(format, "json")  ? rep_write_json
					   : NULL;
	if (!render) {
		fprintf(stderr, "brownout report: unknown format '%s' (md, html, junit or json)\n",
			format);
		goto done;
	}
	if (!ndbs) {
		fprintf(stderr, "brownout report: give at least one database\n");
		usage(stderr);
		goto done;
	}

	char err[600];
	struct rep_data cur, base;
	struct rep_diff diff;
	bool have_base = false, have_diff = false;
	if (rep_load(dbs, ndbs, &cur, err, sizeof err)) {
		fprintf(stderr, "brownout report: %s\n", err);
		goto done;
	}
	if (baseline) {
		if (rep_load(&baseline, 1, &base, err, sizeof err)) {
			fprintf(stderr, "brownout report: baseline %s\n", err);
			goto free_cur;
		}
		have_base = true;
		if (rep_diff(&cur, &base, th, nth, &diff)) {
			fprintf(stderr, "brownout report: out of memory\n");
			goto free_cur;
		}
		have_diff = true;
		if (!diff.matched && (cur.nsweeps || cur.nruns)) {
			fprintf(stderr, "brownout report: baseline %s shares no sweep and no scenario "
					"seed with the report: a baseline of other inputs\n", baseline);
			goto free_cur;
		}
	}
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f) {
		fprintf(stderr, "brownout report: out of memory\n");
		goto free_cur;
	}
	render(f, &cur, have_diff ? &diff : NULL);
	if (fclose(f)) {
		fprintf(stderr, "brownout report: out of memory\n");
		free(buf);
		goto free_cur;
	}
	if (write_out(out, buf, len) == 0)
		rc = have_diff && diff.regressions ? EXIT_FAILED : EXIT_OK;
	free(buf);
	if (rc == EXIT_FAILED)
		fprintf(stderr, "brownout report: %zu regression%s against %s\n", diff.regressions,
			diff.regressions == 1 ? "" : "s", baseline);
free_cur:
	if (have_diff)
		rep_diff_free(&diff);
	if (have_base)
		rep_free(&base);
	rep_free(&cur);
done:
	free(dbs);
	return rc;
}
