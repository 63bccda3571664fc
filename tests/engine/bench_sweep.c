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
 */
#include <time.h>

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

/* One cut point the naive way: full copy, run from the start to the cut, continue. */
static void naive_point(const struct sweep_workload *w, uint64_t op, bool torn, uint32_t variant)
{
	/* A full copy of the initial flash, byte for byte, as the MCUboot simulator clones it. */
	const struct fsim_geometry *g = fsim_geometry(w->initial);
	char err[160];
	struct fsim_device *copy = fsim_create(g, err, sizeof err);
	struct fsim_partition parts[FSIM_MAX_PARTITIONS];
	size_t np = fsim_partition_count(w->initial);
	for (size_t i = 0; i < np; i++)
		parts[i] = *fsim_partition_at(w->initial, i);
	fsim_set_partitions(copy, parts, np, err, sizeof err);
	uint32_t size = fsim_size(w->initial);
	uint8_t *buf = malloc(size);
	fsim_peek(w->initial, 0, buf, size);
	fsim_load_bytes(copy, 0, buf, size);
	free(buf);

	struct sweep_workload local = *w;
	local.initial = copy;
	struct sweep_node n;
	if (sweep_node_init(&n, &local, err, sizeof err)) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	struct fsim_cut cut = {op, torn ? FSIM_CUT_TORN : FSIM_CUT_BETWEEN, variant, op * 31 + variant,
			       false};
	fsim_arm_cut(n.dev, &cut);
	if (sweep_node_run(&n, 0) == 1)
		sweep_node_resume(&n, n.step);
	sweep_node_free(&n);
	fsim_destroy(copy);
}

static void bench_depth1(void)
{
	struct engine_fixture f;
	build(&f, 256 * 1024 - 256);
	struct sweep_options o = {.between = true, .torn = true, .depth = 1, .jobs = 1, .seed = 1};
	struct sweep_result r;
	char err[160];
	if (sweep_run(&f.w, &o, &r, err, sizeof err)) {
		fprintf(stderr, "bench: %s\n", err);
		exit(1);
	}
	double engine_rate = r.cut_points / r.wall_s;

	/* The same cut points, enumerated from an uncut run's op kinds. */
	static struct kinds k;
	k.n = 0;
	struct sweep_node n;
	sweep_node_init(&n, &f.w, err, sizeof err);
	fsim_set_trace(n.dev, note_kind, &k);
	sweep_node_run(&n, 0);
	sweep_node_free(&n);
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
			naive_point(&f.w, i, v > 0, v ? v - 1 : 0);
			sampled++;
		}
	}
	double naive_rate = sampled / (now_s() - t0);
	printf("sweep benchmark: swap-scratch perm upgrade, 256 KiB image, nrf52840, depth 1, "
	       "between+torn, 1 thread\n");
	printf("  workload: %llu flash operations, %llu cut points (%llu distinct states), "
	       "%llu failures\n",
	       (unsigned long long)r.workload_ops, (unsigned long long)r.cut_points,
	       (unsigned long long)r.distinct_states, (unsigned long long)sweep_total_failures(&r));
	printf("  brownout engine: %.0f cut points/s (%.1f s for all)\n", engine_rate, r.wall_s);
	printf("  naive re-run:    %.0f cut points/s (%llu sampled; all would take %.0f s)\n",
	       naive_rate, (unsigned long long)sampled, points / naive_rate);
	printf("  ratio: %.1fx (target >= 10x)\n", engine_rate / naive_rate);
	sweep_result_free(&r);
	fixture_free(&f);
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
	bench_depth1();
	if (argc < 2 || strcmp(argv[1], "--no-depth2"))
		bench_depth2();
	return 0;
}
