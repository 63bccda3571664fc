/*
 * Sweep benchmark (meson benchmark 'sweep', or run the binary): a swap-scratch permanent
 * upgrade of a 256 KiB image on nrf52840, depth 1, between + torn, on one thread:
 *
 *   brownout's engine   snapshots every op once, restores a snapshot per cut point
 *   naive baseline      the MCUboot simulator's method: for every cut point, a full copy of
 *                       the initial flash and a re-run of the workload from the start until
 *                       the cut, then the same continuation
 *
 * The naive method is timed on an evenly spaced sample of the same cut points (it would
 * take too long on all of them) and reported as cut points per second, like the engine.
 * Then the depth-2 sweep of a 64 KiB image, timed on two threads. Figures, not asserts.
 *
 * `bench_sweep --file SWEEP.yaml [--plugin PLUGIN.so]` does the depth-1 comparison on any
 * sweep file instead, e.g. a firmware plug-in's (--plugin overrides firmware.plugin, for a
 * plug-in built in the build directory): the naive side re-runs the same plug-in in the
 * same process (no reload per cut point), so only the method differs.
 */
#include <time.h>

#include "sim/sweep_build.h"
#include "tests/engine/engine_fixture.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void build(struct engine_fixture *f, uint32_t size)
{
	if (fixture_init(f, BO_STRATEGY_SWAP_SCRATCH)) {
		fprintf(stderr, "bench: fixture failed\n");
		exit(1);
	}
	int v1 = fixture_image(f, "v1", "1.0.0", size, BO_APP_GOOD, 1);
	int v2 = fixture_image(f, "v2", "1.1.0", size, BO_APP_GOOD, 2);
	fixture_place(f, "primary", v1);
	fixture_step(f, SWEEP_STEP_POWER_ON, -1);
	fixture_step(f, SWEEP_STEP_DOWNLOAD, v2);
	fixture_step(f, SWEEP_STEP_REQUEST_PERM, -1);
	fixture_step(f, SWEEP_STEP_POWER_ON, -1);
	f->w.expect.running = v2;
	f->w.expect.confirmed = 1;
}

/* The kinds of the uncut workload's mutating ops, to enumerate the same cut points. */
struct kinds {
	bool erase[1 << 16];
	uint64_t n;
};

static void note_kind(void *ctx, const struct fsim_trace_event *ev)
{
	struct kinds *k = ctx;
	if (ev->kind != FSIM_OP_READ && k->n < sizeof k->erase)
		k->erase[k->n++] = ev->kind == FSIM_OP_ERASE;
}

/* One cut point the naive way (MCUboot's simulator's): a full copy of the initial flash into
 * the device, RAM reset, the workload run from the start until the cut, then the same
 * continuation, every hash and signature computed (no memo). */
static void naive_point(struct sweep_node *n, const struct sweep_workload *w, uint64_t op,
			bool torn, uint32_t variant)
{
	uint32_t size = fsim_size(w->initial);
	static uint8_t *buf;
	static uint32_t buf_size;
	if (buf_size < size) {
		free(buf);
		buf = malloc(size);
		buf_size = size;
	}
	fsim_peek(w->initial, 0, buf, size); /* byte for byte, as MCUboot's simulator clones */
	fsim_load_bytes(n->dev, 0, buf, size);
	sweep_node_reset_obs(n);
	sweep_node_poison(n);
	struct fsim_stats st;
	fsim_get_stats(n->dev, &st);
	struct fsim_cut armed = {st.mutating_ops + op, torn ? FSIM_CUT_TORN : FSIM_CUT_BETWEEN, variant,
				 op * 31 + variant, false};
	fsim_arm_cut(n->dev, &armed);
	if (sweep_node_run(n, 0) == 1)
		sweep_node_resume(n, n->step);
	fsim_disarm_cut(n->dev);
}

/* Engine against naive on workload w, depth 1, between + torn, one thread. */
static void bench_workload(const char *title, const struct sweep_workload *w)
{
	struct sweep_options o = {.between = true, .torn = true, .depth = 1, .jobs = 1, .seed = 1};
	struct sweep_result r;
	char err[512];
	if (sweep_run(w, &o, &r, err, sizeof err)) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	double engine_rate = r.cut_points / r.wall_s;

	/* The same cut points, enumerated from an uncut run's op kinds. */
	static struct kinds k;
	k.n = 0;
	struct sweep_node n;
	if (sweep_node_init(&n, w, err, sizeof err)) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	fsim_set_trace(n.dev, note_kind, &k);
	sweep_node_run(&n, 0);
	fsim_set_trace(n.dev, NULL, NULL);
	n.host.no_memo = true; /* the naive method hashes and verifies for real */
	uint64_t points = 0;
	for (uint64_t i = 0; i <= k.n; i++)
		points += 1 + (i < k.n ? fsim_torn_variants(k.erase[i]) : 0);

	uint64_t sampled = 0, stride = points / 60 + 1, idx = 0;
	double t0 = now_s();
	for (uint64_t i = 0; i <= k.n; i++) {
		uint32_t variants = i < k.n ? fsim_torn_variants(k.erase[i]) : 0;
		for (uint32_t v = 0; v <= variants; v++, idx++) {
			if (idx % stride)
				continue;
			naive_point(&n, w, i, v > 0, v ? v - 1 : 0);
			sampled++;
		}
	}
	double naive_rate = sampled / (now_s() - t0);
	sweep_node_free(&n);
	printf("sweep benchmark: %s, depth 1, between+torn, 1 thread\n", title);
	printf("  workload: %llu flash operations, %llu cut points (%llu distinct states), "
	       "%llu failures\n",
	       (unsigned long long)r.workload_ops, (unsigned long long)r.cut_points,
	       (unsigned long long)r.distinct_states, (unsigned long long)sweep_total_failures(&r));
	printf("  brownout engine: %.0f cut points/s (%.1f s for all)\n", engine_rate, r.wall_s);
	printf("  naive re-run:    %.0f cut points/s (%llu sampled; all would take %.0f s)\n",
	       naive_rate, (unsigned long long)sampled, points / naive_rate);
	printf("  ratio: %.1fx (target >= 10x)\n", engine_rate / naive_rate);
	sweep_result_free(&r);
}

static void bench_depth1(void)
{
	struct engine_fixture f;
	build(&f, 256 * 1024 - 256);
	bench_workload("core/boot swap-scratch perm upgrade, 256 KiB image, nrf52840", &f.w);
	fixture_free(&f);
}

/* A sweep file's workload (with its plug-in, or another one). */
static void bench_file(const char *path, const char *plugin)
{
	char err[512];
	struct bo_sweep *s;
	if (bo_sweep_load_file(path, &s, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	if (plugin)
		snprintf(s->plugin, sizeof s->plugin, "%s", plugin);
	struct sweep_build b;
	if (sweep_build(s, &b, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		exit(2);
	}
	char title[600];
	snprintf(title, sizeof title, "%s (%s on %s)", s->name, sweep_firmware_label(s), s->preset);
	bench_workload(title, &b.w);
	sweep_build_free(&b);
	bo_sweep_free(s);
}

static void bench_depth2(void)
{
	struct engine_fixture f;
	build(&f, 64 * 1024 - 256);
	struct sweep_options o = {.between = true, .torn = true, .depth = 2, .jobs = 2, .seed = 1};
	struct sweep_result r;
	char err[160];
	if (sweep_run(&f.w, &o, &r, err, sizeof err)) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	printf("depth-2 sweep, 64 KiB image, between+torn, 2 threads: %llu flash operations, "
	       "%llu cut points, %llu distinct states, %llu failures, %.1f s\n",
	       (unsigned long long)r.workload_ops, (unsigned long long)r.cut_points,
	       (unsigned long long)r.distinct_states, (unsigned long long)sweep_total_failures(&r),
	       r.wall_s);
	sweep_result_free(&r);
	fixture_free(&f);
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "--file")) {
		bench_file(argv[2], argc >= 5 && !strcmp(argv[3], "--plugin") ? argv[4] : NULL);
		return 0;
	}
	bench_depth1();
	if (argc < 2 || strcmp(argv[1], "--no-depth2"))
		bench_depth2();
	return 0;
}
