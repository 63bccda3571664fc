/*
 * `brownout run SCENARIO.yaml [--db FILE] [--no-db] [--seed N] [--seeds A..B] [--jobs N]
 *                             [--shard K/N|auto] [--events LEVEL [--trace-nodes IDS]
 *                             [--trace-max N]] [--save-flash DIR [--nodes IDS]]`
 *
 * Runs a mesh scenario (sim/scenario_run.h) once per seed, seeds in parallel on worker
 * threads (each run builds its own world, so each is deterministic whatever the thread
 * count), shows one progress line on a terminal, prints a summary per seed and records
 * every run in the outcome database (reports/db_run.h).
 *
 * Database writes: every worker has its own connection; a mutex serialises the writes of
 * this process. A run's row is begun (committed 'incomplete') before its simulation
 * starts, and its details and final status are written in one transaction at its end, so
 * a run that is interrupted or killed stays visible as 'incomplete' with no details.
 *
 * Exit codes: 0 every expectation of every seed held, 1 one failed, 2 bad input or usage
 * (including a scenario the runner cannot build and a database that cannot be written),
 * 130 interrupted (Ctrl-C) before every seed ran.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "reports/db.h"
#include "reports/db_run.h"
#include "sim/scenario_file.h"
#include "sim/scenario_run.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/run_save_flash.h"

#ifndef BROWNOUT_VERSION
#define BROWNOUT_VERSION "dev"
#endif

#define RUN_MAX_SEEDS (1ul << 20) /* seeds in one invocation */
#define RUN_MAX_JOBS 256ul
#define EXIT_INTERRUPTED 130      /* 128 + SIGINT, as shells report it */
#define PROGRESS_REDRAW_NS 100000000ll /* at most ten redraws a second */
#define RUN_MAX_TRACE 10000000ul  /* --trace-max: level-3 events per run */

static void usage(FILE *out)
{
	fprintf(out,
		"usage: brownout run SCENARIO.yaml [options]\n\n"
		"Simulate the scenario's mesh rollout (scenarios/README.md) once per seed, check\n"
		"its expectations and record every run in the outcome database.\n\n"
		"options:\n"
		"  --db FILE      outcome database (default " CLI_DEFAULT_DB ")\n"
		"  --no-db        do not record the runs\n"
		"  --seed N       run this seed instead of the scenario's `seed:`\n"
		"  --seeds A..B   run seeds A to B (B - A + 1 runs)\n"
		"  --jobs N       seeds run in parallel (default: online CPUs, at most the seeds);\n"
		"                 every run is deterministic whatever N\n"
		"  --shard K/N    run only every N-th seed of the list, from the K-th (0 <= K < N, as sweep);\n"
		"                 auto: from a Slurm job array or a Kubernetes Indexed Job (as sweep)\n"
		"  --events L     events recorded: 0 none, 1 outcomes (default: power cuts, boots,\n"
		"                 reverts, bricks, convergence), 2 + progress (waves, verdicts, faults),\n"
		"                 3 + message traces (sends, receptions, drops with the reason: loss,\n"
		"                 TTL expired, duplicate, no buffer, node off), at most 100000 a run\n"
		"  --trace-nodes IDS  with --events 3: trace only these nodes (e.g. 0,5,10-12)\n"
		"  --trace-max N  with --events 3: keep at most N message events a run (default\n"
		"                 100000); a last event 'trace_truncated' counts those left out\n"
		"  --save-flash DIR  save every node's flash at the end of each run as a device\n"
		"                 file DIR/seed<SEED>-node<ID>.dev (brownout mount, brownout boot)\n"
		"  --nodes IDS    with --save-flash: only these nodes (e.g. 3,7,10-20)\n"
		"  -h, --help     this help\n\n"
		"A progress line is shown when stderr is a terminal. The summary gives, per seed:\n"
		"pass or FAIL, targets converged, failed and bricked, convergence times (p50, p95,\n"
		"max), the simulated end time, the wall time and each failed expectation; then the\n"
		"database and the run ids. Ctrl-C stops the runs in progress; they stay recorded as\n"
		"'incomplete'.\n\n"
		"exit codes: 0 all expectations held, 1 an expectation failed, 2 bad input or\n"
		"usage, 130 interrupted\n");
}

/* ---- Ctrl-C ---- */

static volatile int g_stop; /* set by SIGINT; every run polls it (bo_run_opts.stop) */

static void on_sigint(int sig)
{
	(void)sig;
	static const char msg[] = "\nbrownout run: stopping (Ctrl-C again to kill)\n";
	g_stop = 1;
	ssize_t w = write(STDERR_FILENO, msg, sizeof msg - 1);
	(void)w;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000ll + ts.tv_nsec;
}

/* A compact time: "42.1s", "12m05s", "1h02m", "2d03h". */
static void fmt_time(uint64_t us, char *out, size_t n)
{
	uint64_t s = us / 1000000u;
	if (us < 60000000u)
		snprintf(out, n, "%.1fs", (double)us / 1e6);
	else if (s < 3600)
		snprintf(out, n, "%um%02us", (unsigned)(s / 60), (unsigned)(s % 60));
	else if (s < 86400)
		snprintf(out, n, "%uh%02um", (unsigned)(s / 3600), (unsigned)(s % 3600 / 60));
	else
		snprintf(out, n, "%llud%02uh", (unsigned long long)(s / 86400),
			 (unsigned)(s % 86400 / 3600));
}

static void fmt_seconds(double s, char *out, size_t n)
{
	if (s < 0)
		snprintf(out, n, "-");
	else
		fmt_time((uint64_t)(s * 1e6 + 0.5), out, n);
}

/* ---- progress line ---- */

struct prog_slot {
	bool active;
	uint64_t seed, now_us, end_us;
	uint32_t converged, targets;
	struct progress *p;
};

struct progress {
	bool on; /* stderr is a terminal */
	pthread_mutex_t lock;
	struct prog_slot *slots;
	unsigned nslots;
	size_t done, total;
	int64_t last_ns;
	unsigned width;
	bool drawn;
};

static unsigned term_width(void)
{
	struct winsize ws;
	if (ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
		return ws.ws_col;
	return 80;
}

/* Caller holds p->lock. */
static void progress_draw(struct progress *p, bool force)
{
	if (!p->on)
		return;
	int64_t t = now_ns();
	if (!force && p->drawn && t - p->last_ns < PROGRESS_REDRAW_NS)
		return;
	p->last_ns = t;
	char line[512];
	size_t len = (size_t)snprintf(line, sizeof line, "[%zu/%zu seeds]", p->done, p->total);
	for (unsigned i = 0; i < p->nslots && len < sizeof line; i++) {
		const struct prog_slot *s = &p->slots[i];
		if (!s->active)
			continue;
		char now[24], end[24];
		fmt_time(s->now_us, now, sizeof now);
		fmt_time(s->end_us, end, sizeof end);
		len += (size_t)snprintf(line + len, sizeof line - len, "  seed %llu %s/%s %u/%u",
					(unsigned long long)s->seed, now, end, s->converged,
					s->targets);
	}
	if (len >= sizeof line)
		len = sizeof line - 1;
	if (len > p->width - 1)
		len = p->width - 1;
	fprintf(stderr, "\r%.*s\033[K", (int)len, line);
	fflush(stderr);
	p->drawn = true;
}

static void progress_clear(struct progress *p)
{
	if (!p->on || !p->drawn)
		return;
	fprintf(stderr, "\r\033[K");
	fflush(stderr);
	p->drawn = false;
}

/* bo_run_progress_fn: from the running thread. */
static void on_progress(void *ctx, uint64_t seed, uint64_t now_us, uint64_t end_us,
			uint32_t converged, uint32_t targets)
{
	struct prog_slot *s = ctx;
	struct progress *p = s->p;
	pthread_mutex_lock(&p->lock);
	s->seed = seed;
	s->now_us = now_us;
	s->end_us = end_us;
	s->converged = converged;
	s->targets = targets;
	progress_draw(p, false);
	pthread_mutex_unlock(&p->lock);
}

/* ---- one seed ---- */

enum job_state {
	JOB_PENDING = 0, /* not started (interrupted or abandoned before it) */
	JOB_DONE,        /* ran; pass tells */
	JOB_BAD,         /* the runner refused the scenario (bad input) */
	JOB_STOPPED,     /* interrupted */
	JOB_DB_ERROR,    /* ran (or not), but could not be recorded */
};

struct job {
	uint64_t seed;
	enum job_state state;
	bool pass;
	int64_t run_id;  /* 0: not recorded */
	char *summary;   /* malloc'ed, for JOB_DONE */
	char err[2 * BO_RUN_ERRLEN]; /* JOB_BAD, JOB_DB_ERROR: "PATH: message" */
};

struct run_ctx {
	const struct bo_scenario *s;
	const char *hash;
	const char *db_path; /* NULL: --no-db */
	int events;
	const uint32_t *trace_nodes; /* --trace-nodes, NULL: every node */
	size_t trace_node_count;
	size_t trace_max;    /* --trace-max, 0: the default */
	struct job *jobs;
	size_t njobs, next;
	bool abandon;        /* bad input or a database error: start no more seeds */
	pthread_mutex_t lock; /* next, abandon, and every database write */
	struct progress *prog;
	struct run_save_flash *save; /* --save-flash, NULL: none */
};

struct worker {
	struct run_ctx *c;
	struct prog_slot *slot;
};

static const char *fw_name(const struct bo_scenario *s, int fw)
{
	return fw >= 0 && (size_t)fw < s->firmware_count ? s->firmware[fw].name : NULL;
}

/* Write the details and finish the run (caller holds the lock). 0, or -1 with err set;
 * dr is freed either way. */
static int record_details(struct bo_db_run *dr, const struct bo_scenario *s,
			  const struct bo_run_result *r, char *err, size_t errlen)
{
	for (size_t i = 0; i < r->node_count; i++) {
		const struct bo_run_node *n = &r->nodes[i];
		struct bo_db_node dn = {
			.node = n->id,
			.role = n->role ? n->role : "?",
			.x = n->x,
			.y = n->y,
			.initial_fw = fw_name(s, n->initial_fw),
			.final_fw = fw_name(s, n->final_fw),
			/* schema: NULL when it runs nothing */
			.running_slot = n->slot && strcmp(n->slot, "none") ? n->slot : NULL,
			.boots = (int64_t)n->boots,
			.power_cuts = (int64_t)n->power_cuts,
			.reverts = (int64_t)n->reverts,
			.recovery_boots = (int64_t)n->recovery_boots,
			.bricked = n->bricked,
			.converged_us = n->converged_us == UINT64_MAX ? -1 : (int64_t)n->converged_us,
			.flash_erases = (int64_t)n->flash_erases,
			.flash_programs = (int64_t)n->flash_programs,
			.max_sector_erases = n->max_sector_erases,
			.confirmed = n->confirmed,
			.flash_cuts = (int64_t)n->flash_cuts,
			.installs = (int64_t)n->installs,
			.offers = n->offers,
			/* schema: NULL for a non-target ("-") */
			.verdict = n->result && strcmp(n->result, "-") ? n->result : NULL,
			.target = n->target,
			.wave = n->wave ? (int64_t)n->wave - 1 : -1, /* the db counts from 0 */
			.hops = n->hops == UINT32_MAX ? -1 : (int64_t)n->hops,
			.rx_start_us = n->rx_start_us == UINT64_MAX ? -1 : (int64_t)n->rx_start_us,
			.pdus_queued = (int64_t)n->pdus_queued,
			.queue_peak = (int64_t)n->queue_peak,
			.pdus_dropped = (int64_t)n->pdus_dropped,
			.relay_dropped = (int64_t)n->relay_dropped,
			.reason = n->reason[0] ? n->reason : NULL,
		};
		if (bo_db_run_add_node(dr, &dn, err, errlen))
			goto fail;
	}
	for (size_t i = 0; i < r->expect_count; i++) {
		const struct bo_run_expect *e = &r->expect[i];
		if (bo_db_run_add_expectation(dr, e->name, e->pass, e->observed, e->expected, err,
					      errlen))
			goto fail;
	}
	for (size_t i = 0; i < r->metric_count; i++)
		if (bo_db_run_add_metric(dr, r->metrics[i].name, r->metrics[i].value, err, errlen))
			goto fail;
	for (size_t i = 0; i < r->event_count; i++) {
		const struct bo_run_event *e = &r->events[i];
		if (bo_db_run_add_event(dr, e->t_us, e->node, e->level, e->kind, e->detail, err,
					errlen))
			goto fail;
	}
	return bo_db_run_finish(dr, r->wall_s, r->sim_end_us, r->pass, err, errlen);
fail:
	bo_db_run_abort(dr);
	return -1;
}

/* The seed's part of the summary. NULL when out of memory. */
static char *format_summary(const struct bo_scenario *s, const struct bo_run_result *r)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	char p50[24], p95[24], pmax[24], end[24];
	fmt_seconds(bo_run_percentile_s(r, 50), p50, sizeof p50);
	fmt_seconds(bo_run_percentile_s(r, 95), p95, sizeof p95);
	fmt_seconds(bo_run_percentile_s(r, 100), pmax, sizeof pmax);
	fmt_time(r->sim_end_us, end, sizeof end);
	size_t held = 0;
	for (size_t i = 0; i < r->expect_count; i++)
		held += r->expect[i].pass;
	fprintf(f, "seed %llu: %s  converged %u/%u targets, %u failed, %u bricked\n",
		(unsigned long long)r->seed, r->pass ? "pass" : "FAIL", r->converged, r->targets,
		r->failed, r->bricked);
	fprintf(f, "  convergence p50 %s, p95 %s, max %s; simulated %s%s; wall %.1f s; "
		   "%zu/%zu expectations held\n",
		p50, p95, pmax, end, r->initiator_done ? "" : " (rollout unfinished)", r->wall_s,
		held, r->expect_count);
	if (r->unreachable)
		fprintf(f, "  warning: %u target%s beyond the TTL or without a relay path from the "
			   "Distributor (events 'unreachable')\n",
			r->unreachable, r->unreachable == 1 ? " is" : "s are");
	for (size_t i = 0; i < r->warning_count; i++)
		fprintf(f, "  warning: %s\n", r->warnings[i]);
	/* why targets did not converge: the first few (every one is in the node rows) */
	for (size_t i = 0, shown = 0; i < r->node_count; i++) {
		const struct bo_run_node *n = &r->nodes[i];

		if (!n->target || n->converged || !n->reason[0])
			continue;
		if (shown++ == 3) {
			fprintf(f, "  ... and %u more targets did not converge\n",
				r->failed - 3u);
			break;
		}
		fprintf(f, "  node %u did not converge: %s\n", n->id, n->reason);
	}
	for (size_t i = 0; i < r->expect_count; i++) {
		const struct bo_run_expect *e = &r->expect[i];
		if (!e->pass)
			fprintf(f, "  FAIL %s (%s:%u): observed %s, expected %s\n", e->name, s->file,
				e->line, e->observed, e->expected);
	}
	if (fclose(f)) {
		free(text);
		return NULL;
	}
	return text;
}

static void run_seed(struct worker *w, sqlite3 *db, struct job *j)
{
	struct run_ctx *c = w->c;
	char err[BO_RUN_ERRLEN];
	struct bo_db_run *dr = NULL;
	if (db) {
		struct bo_db_run_info info = {
			.scenario = c->s->name,
			.scenario_file = c->s->file,
			.scenario_hash = c->hash,
			.tool_version = BROWNOUT_VERSION,
			.seed = j->seed,
			.max_event_level = c->events,
		};
		pthread_mutex_lock(&c->lock);
		dr = bo_db_run_begin(db, &info, err, sizeof err);
		if (!dr)
			c->abandon = true;
		pthread_mutex_unlock(&c->lock);
		if (!dr) {
			j->state = JOB_DB_ERROR;
			snprintf(j->err, sizeof j->err, "%s: %s", c->db_path, err);
			return;
		}
		j->run_id = bo_db_run_id(dr);
	}

	pthread_mutex_lock(&c->prog->lock);
	*w->slot = (struct prog_slot){.active = true, .seed = j->seed, .end_us = c->s->duration_us,
				      .targets = c->s->initiator.target_count, .p = c->prog};
	pthread_mutex_unlock(&c->prog->lock);

	struct bo_run_opts o = {
		.seed = j->seed,
		.max_event_level = c->events,
		.progress = c->prog->on ? on_progress : NULL,
		.progress_ctx = w->slot,
		.stop = &g_stop,
		.trace_nodes = c->trace_nodes,
		.trace_node_count = c->trace_node_count,
		.trace_max = c->trace_max,
		.on_node_flash = c->save ? run_save_flash_node : NULL,
		.on_node_flash_ctx = c->save,
	};
	struct bo_run_result r;
	int rc = bo_scenario_run(c->s, &o, &r, err, sizeof err);

	pthread_mutex_lock(&c->prog->lock);
	w->slot->active = false;
	c->prog->done++;
	progress_draw(c->prog, true);
	pthread_mutex_unlock(&c->prog->lock);

	if (rc) {
		j->state = JOB_BAD;
		snprintf(j->err, sizeof j->err, "%s", err);
	} else if (r.stopped) {
		/* stopped at a progress point by Ctrl-C: a partial run, never written complete */
		j->state = JOB_STOPPED;
	} else {
		j->state = JOB_DONE;
		j->pass = r.pass;
		j->summary = format_summary(c->s, &r);
	}
	pthread_mutex_lock(&c->lock);
	if (rc)
		c->abandon = true; /* the scenario cannot be built: every seed would say so */
	if (dr && j->state != JOB_DONE) {
		bo_db_run_abort(dr); /* the row stays 'incomplete' */
	} else if (dr && record_details(dr, c->s, &r, err, sizeof err)) {
		j->state = JOB_DB_ERROR;
		snprintf(j->err, sizeof j->err, "%s: %s", c->db_path, err);
		c->abandon = true;
	}
	pthread_mutex_unlock(&c->lock);
	bo_run_result_free(&r);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run_ctx *c = w->c;
	sqlite3 *db = NULL;
	if (c->db_path) {
		char err[300];
		pthread_mutex_lock(&c->lock);
		db = bo_db_open(c->db_path, err, sizeof err);
		if (!db) {
			c->abandon = true;
			/* charge it to the first seed not started, so the summary shows it */
			if (c->next < c->njobs) {
				struct job *j = &c->jobs[c->next++];
				j->state = JOB_DB_ERROR;
				snprintf(j->err, sizeof j->err, "%s", err);
			}
		}
		pthread_mutex_unlock(&c->lock);
		if (!db)
			return NULL;
	}
	for (;;) {
		pthread_mutex_lock(&c->lock);
		size_t i = c->next;
		bool go = !g_stop && !c->abandon && i < c->njobs;
		if (go)
			c->next++;
		pthread_mutex_unlock(&c->lock);
		if (!go)
			break;
		run_seed(w, db, &c->jobs[i]);
	}
	if (db)
		bo_db_close(db);
	return NULL;
}

/* ---- summary ---- */

/* "12, 13, 15..20": the recorded run ids, ranges joined. */
static void print_run_ids(const struct job *jobs, size_t n)
{
	const char *sep = "";
	size_t i = 0;
	while (i < n) {
		if (!jobs[i].run_id || jobs[i].state != JOB_DONE) {
			i++;
			continue;
		}
		size_t k = i;
		while (k + 1 < n && jobs[k + 1].state == JOB_DONE &&
		       jobs[k + 1].run_id == jobs[k].run_id + 1)
			k++;
		if (k == i)
			printf("%s%lld", sep, (long long)jobs[i].run_id);
		else
			printf("%s%lld..%lld", sep, (long long)jobs[i].run_id,
			       (long long)jobs[k].run_id);
		sep = ", ";
		i = k + 1;
	}
}

/* Print every seed's outcome in seed order; return the exit code. */
static int print_summary(const struct bo_scenario *s, const struct run_ctx *c,
			 const char *db_path)
{
	size_t done = 0, passed = 0, bad = 0, dberr = 0, stopped = 0, pending = 0;
	for (size_t i = 0; i < c->njobs; i++) {
		const struct job *j = &c->jobs[i];
		switch (j->state) {
		case JOB_DONE:
			done++;
			passed += j->pass;
			if (j->summary)
				fputs(j->summary, stdout);
			else
				printf("seed %llu: %s (summary lost: out of memory)\n",
				       (unsigned long long)j->seed, j->pass ? "pass" : "FAIL");
			break;
		case JOB_BAD:
			bad++;
			fprintf(stderr, "brownout run: seed %llu: %s\n", (unsigned long long)j->seed,
				j->err);
			break;
		case JOB_DB_ERROR:
			dberr++;
			fprintf(stderr, "brownout run: seed %llu: %s\n", (unsigned long long)j->seed,
				j->err);
			break;
		case JOB_STOPPED:
			stopped++;
			printf("seed %llu: interrupted (recorded as incomplete)\n",
			       (unsigned long long)j->seed);
			break;
		case JOB_PENDING:
			pending++;
			break;
		}
	}
	if (c->njobs > 1) {
		printf("%s: %zu of %zu seeds passed", s->name, passed, c->njobs);
		if (done > passed)
			printf(", %zu failed", done - passed);
		if (bad + dberr)
			printf(", %zu in error", bad + dberr);
		printf("\n");
	}
	if (stopped || pending)
		printf("interrupted: %zu run%s stopped, %zu not started\n", stopped,
		       stopped == 1 ? "" : "s", pending);
	if (!db_path) {
		printf("database: not written (--no-db)\n");
	} else {
		printf("database: %s", db_path);
		bool any = false;
		for (size_t i = 0; i < c->njobs; i++)
			any |= c->jobs[i].state == JOB_DONE && c->jobs[i].run_id;
		if (any) {
			printf(", run ids ");
			print_run_ids(c->jobs, c->njobs);
		}
		printf("\n");
	}
	fflush(stdout);
	if (bad || dberr)
		return EXIT_USAGE;
	if (stopped || pending)
		return EXIT_INTERRUPTED;
	return passed == done ? EXIT_OK : EXIT_FAILED;
}

/* ---- arguments ---- */

struct run_args {
	const char *file, *db_path, *save_flash, *nodes, *trace_nodes;
	bool no_db, have_seed, have_seeds, have_trace_max;
	uint64_t seed, seed_a, seed_b;
	unsigned long jobs, shard_k, shard_n, events, trace_max;
};

/* "A..B", A <= B: 0, or -1. */
static int parse_seed_range(const char *s, uint64_t *a, uint64_t *b)
{
	const char *dots = strstr(s, "..");
	if (!dots || dots == s)
		return -1;
	char first[32];
	size_t n = (size_t)(dots - s);
	if (n >= sizeof first)
		return -1;
	memcpy(first, s, n);
	first[n] = 0;
	if (cli_parse_u64(first, UINT64_MAX, a) || cli_parse_u64(dots + 2, UINT64_MAX, b) || *a > *b)
		return -1;
	return 0;
}

/* 0 to run, EXIT_OK after --help, EXIT_USAGE (message printed) otherwise: -1 / code. */
static int parse_args(int argc, char **argv, struct run_args *a)
{
	*a = (struct run_args){.db_path = CLI_DEFAULT_DB, .events = BO_DB_EV_OUTCOME};
	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];
		bool has_value = i + 1 < argc;
		if (!strcmp(o, "--help") || !strcmp(o, "-h")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(o, "--no-db")) {
			a->no_db = true;
		} else if (!strcmp(o, "--db") && has_value) {
			a->db_path = argv[++i];
			if (!*a->db_path) {
				fprintf(stderr, "brownout run: --db takes a file name (--no-db records "
					"nothing)\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(o, "--seed") && has_value) {
			if (cli_parse_u64(argv[++i], UINT64_MAX, &a->seed)) {
				fprintf(stderr, "brownout run: --seed takes a number 0..2^64-1\n");
				return EXIT_USAGE;
			}
			a->have_seed = true;
		} else if (!strcmp(o, "--seeds") && has_value) {
			if (parse_seed_range(argv[++i], &a->seed_a, &a->seed_b)) {
				fprintf(stderr, "brownout run: --seeds takes A..B with A <= B\n");
				return EXIT_USAGE;
			}
			if (a->seed_b - a->seed_a >= RUN_MAX_SEEDS) {
				fprintf(stderr, "brownout run: --seeds: at most %lu seeds at once\n",
					RUN_MAX_SEEDS);
				return EXIT_USAGE;
			}
			a->have_seeds = true;
		} else if (!strcmp(o, "--jobs") && has_value) {
			if (cli_parse_uint(argv[++i], RUN_MAX_JOBS, &a->jobs) || a->jobs == 0) {
				fprintf(stderr, "brownout run: --jobs takes 1 to %lu\n", RUN_MAX_JOBS);
				return EXIT_USAGE;
			}
		} else if (!strcmp(o, "--shard") && has_value) {
			char serr[300];
			if (!strcmp(argv[++i], "auto")) {
				if (cli_shard_auto(&a->shard_k, &a->shard_n, serr, sizeof serr)) {
					fprintf(stderr, "brownout run: %s\n", serr);
					return EXIT_USAGE;
				}
			} else if (cli_parse_shard(argv[i], &a->shard_k, &a->shard_n) ||
				   a->shard_k >= a->shard_n) {
				fprintf(stderr, "brownout run: --shard takes K/N with 0 <= K < N, or auto\n");
				return EXIT_USAGE;
			}
		} else if (!strcmp(o, "--events") && has_value) {
			if (cli_parse_uint(argv[++i], BO_DB_EV_TRACE, &a->events)) {
				fprintf(stderr, "brownout run: --events takes 0 to %d\n", BO_DB_EV_TRACE);
				return EXIT_USAGE;
			}
		} else if (!strcmp(o, "--trace-nodes") && has_value) {
			a->trace_nodes = argv[++i];
		} else if (!strcmp(o, "--trace-max") && has_value) {
			if (cli_parse_uint(argv[++i], RUN_MAX_TRACE, &a->trace_max) ||
			    a->trace_max == 0) {
				fprintf(stderr, "brownout run: --trace-max takes 1 to %lu\n",
					RUN_MAX_TRACE);
				return EXIT_USAGE;
			}
			a->have_trace_max = true;
		} else if (!strcmp(o, "--save-flash") && has_value) {
			a->save_flash = argv[++i];
		} else if (!strcmp(o, "--nodes") && has_value) {
			a->nodes = argv[++i];
		} else if (o[0] == '-' || a->file) {
			return cli_bad_argument("run", o);
		} else {
			a->file = o;
		}
	}
	if (!a->file) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if ((a->trace_nodes || a->have_trace_max) && a->events < BO_DB_EV_TRACE) {
		fprintf(stderr, "brownout run: --%s goes with --events 3 (message traces)\n",
			a->trace_nodes ? "trace-nodes" : "trace-max");
		return EXIT_USAGE;
	}
	if (a->nodes && !a->save_flash) {
		fprintf(stderr, "brownout run: --nodes goes with --save-flash DIR\n");
		return EXIT_USAGE;
	}
	if (a->have_seed && a->have_seeds) {
		fprintf(stderr, "brownout run: give --seed N or --seeds A..B, not both\n");
		return EXIT_USAGE;
	}
	return -1;
}

/* --trace-nodes IDS: 0 with the ids (free them), or -1 with the message printed. */
static int trace_nodes_parse(const char *arg, const struct bo_scenario *s, uint32_t **ids,
			     size_t *n)
{
	if (cli_parse_ids(arg, UINT32_MAX, ids, n)) {
		fprintf(stderr, "brownout run: --trace-nodes takes node ids and ranges, e.g. "
			"0,5,10-12 (got '%s')\n", arg);
		return -1;
	}
	for (size_t i = 0; i < *n; i++) {
		bool found = false;
		for (size_t k = 0; k < s->node_count && !found; k++)
			found = s->nodes[k].id == (*ids)[i];
		if (!found) {
			fprintf(stderr, "brownout run: --trace-nodes: %s has no node %lu\n", s->file,
				(unsigned long)(*ids)[i]);
			free(*ids);
			*ids = NULL;
			return -1;
		}
	}
	return 0;
}

int cmd_run(int argc, char **argv)
{
	struct run_args a;
	int rc = parse_args(argc, argv, &a);
	if (rc >= 0)
		return rc;

	char err[BO_SCN_ERRLEN];
	struct bo_scenario *s;
	if (bo_scenario_load_file(a.file, &s, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	char hash[65];
	if (cli_file_sha256(a.file, hash)) {
		fprintf(stderr, "brownout run: %s: cannot read it again to hash it\n", a.file);
		bo_scenario_free(s);
		return EXIT_USAGE;
	}

	/* The seeds: the scenario's, --seed's or --seeds', then this shard's slice. */
	uint64_t first = a.have_seeds ? a.seed_a : a.have_seed ? a.seed : s->seed;
	size_t listed = a.have_seeds ? (size_t)(a.seed_b - a.seed_a) + 1 : 1;
	size_t k = a.shard_n ? a.shard_k : 0, step = a.shard_n ? a.shard_n : 1;
	size_t njobs = listed > k ? (listed - k + step - 1) / step : 0;
	/* --trace-nodes: ids of the scenario's nodes */
	uint32_t *trace_ids = NULL;
	size_t ntrace = 0;
	if (a.trace_nodes && trace_nodes_parse(a.trace_nodes, s, &trace_ids, &ntrace)) {
		bo_scenario_free(s);
		return EXIT_USAGE;
	}
	struct run_ctx c = {
		.s = s,
		.hash = hash,
		.db_path = a.no_db ? NULL : a.db_path,
		.events = (int)a.events,
		.trace_nodes = trace_ids,
		.trace_node_count = ntrace,
		.trace_max = a.trace_max,
		.njobs = njobs,
	};
	if (njobs == 0) {
		printf("%s: shard %lu/%lu holds none of the %zu seed%s: nothing to run\n", s->name,
		       a.shard_k, a.shard_n, listed, listed == 1 ? "" : "s");
		free(trace_ids);
		bo_scenario_free(s);
		return EXIT_OK;
	}
	c.jobs = calloc(njobs, sizeof *c.jobs);
	if (!c.jobs) {
		fprintf(stderr, "brownout run: out of memory\n");
		free(trace_ids);
		bo_scenario_free(s);
		return EXIT_USAGE;
	}
	for (size_t i = 0; i < njobs; i++)
		c.jobs[i].seed = first + k + i * step;

	/* The database: created (and its schema checked) once before any thread opens it. */
	if (c.db_path) {
		char dberr[300];
		sqlite3 *db = bo_db_open(c.db_path, dberr, sizeof dberr);
		if (!db) {
			fprintf(stderr, "brownout run: %s\n", dberr);
			free(c.jobs);
			free(trace_ids);
			bo_scenario_free(s);
			return EXIT_USAGE;
		}
		bo_db_close(db);
	}

	/* --save-flash: checked here, after every other early return (they need no free). */
	struct run_save_flash save;
	if (a.save_flash && run_save_flash_init(&save, a.save_flash, a.nodes, s, err, sizeof err)) {
		fprintf(stderr, "brownout run: %s\n", err);
		run_save_flash_free(&save);
		free(c.jobs);
		free(trace_ids);
		bo_scenario_free(s);
		return EXIT_USAGE;
	}

	unsigned long jobs = a.jobs;
	if (!jobs) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		jobs = cpus > 0 ? (unsigned long)cpus : 1;
		if (jobs > RUN_MAX_JOBS)
			jobs = RUN_MAX_JOBS;
	}
	if (jobs > njobs)
		jobs = njobs;

	struct progress prog = {
		.on = isatty(STDERR_FILENO),
		.nslots = (unsigned)jobs,
		.total = njobs,
	};
	if (prog.on)
		prog.width = term_width();
	struct prog_slot *slots = calloc(jobs, sizeof *slots);
	struct worker *workers = calloc(jobs, sizeof *workers);
	pthread_t *threads = calloc(jobs, sizeof *threads);
	if (!slots || !workers || !threads) {
		fprintf(stderr, "brownout run: out of memory\n");
		free(slots);
		free(workers);
		free(threads);
		free(c.jobs);
		if (a.save_flash)
			run_save_flash_free(&save);
		free(trace_ids);
		bo_scenario_free(s);
		return EXIT_USAGE;
	}
	c.save = a.save_flash ? &save : NULL;
	prog.slots = slots;
	pthread_mutex_init(&prog.lock, NULL);
	pthread_mutex_init(&c.lock, NULL);
	c.prog = &prog;

	char dur[32];
	bo_scenario_format_duration(s->duration_us, dur, sizeof dur);
	printf("scenario %s (%s): %zu nodes, %u targets, %s simulated; ", s->name, a.file,
	       s->node_count, s->initiator.target_count, dur);
	if (njobs == 1)
		printf("seed %llu", (unsigned long long)c.jobs[0].seed);
	else
		printf("%zu seeds %llu..%llu", njobs, (unsigned long long)c.jobs[0].seed,
		       (unsigned long long)c.jobs[njobs - 1].seed);
	if (a.shard_n)
		printf(" (shard %lu/%lu of %zu seed%s)", a.shard_k, a.shard_n, listed,
		       listed == 1 ? "" : "s");
	printf(", %lu job%s\n", jobs, jobs == 1 ? "" : "s");
	fflush(stdout);

	g_stop = 0;
	struct sigaction sa = {.sa_handler = on_sigint, .sa_flags = SA_RESETHAND}, old_sa;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_sa);

	unsigned long started = 0;
	for (unsigned long i = 0; i < jobs; i++) {
		workers[i] = (struct worker){.c = &c, .slot = &slots[i]};
		slots[i].p = &prog;
		if (pthread_create(&threads[i], NULL, worker_main, &workers[i]))
			break;
		started++;
	}
	if (!started) {
		fprintf(stderr, "brownout run: cannot start a thread\n");
		rc = EXIT_USAGE;
	} else {
		for (unsigned long i = 0; i < started; i++)
			pthread_join(threads[i], NULL);
		pthread_mutex_lock(&prog.lock);
		progress_clear(&prog);
		pthread_mutex_unlock(&prog.lock);
		rc = print_summary(s, &c, c.db_path);
	}
	if (c.save) {
		printf("saved %lu device file%s in %s\n", save.saved, save.saved == 1 ? "" : "s",
		       save.dir);
		if (save.failed) {
			fprintf(stderr, "brownout run: --save-flash: %lu not saved: %s\n", save.failed,
				save.err);
			rc = EXIT_USAGE;
		}
		run_save_flash_free(&save);
	}
	sigaction(SIGINT, &old_sa, NULL);

	for (size_t i = 0; i < njobs; i++)
		free(c.jobs[i].summary);
	pthread_mutex_destroy(&c.lock);
	pthread_mutex_destroy(&prog.lock);
	free(threads);
	free(workers);
	free(slots);
	free(c.jobs);
	free(trace_ids);
	bo_scenario_free(s);
	return rc;
}
