/*
 * tests/scenario/test_calibration.c: simulated DFU timing against published figures, on the
 * scenarios of scenarios/calibration/ (argv[1]; each file cites its source):
 *   one-hop-100k   100 kB to one Target one hop away: Zephyr's docs say 10-15 minutes;
 *   one-hop-342k   342 KB to one Target: a Nordic DevZone measurement, about 36 minutes;
 *   hop-latency    an unsegmented message over 1 to 6 hops: TI SWRA732 table 6-2.
 * Each simulated figure must lie within 1.5x of the published one (of the published range,
 * for a range); every figure is printed beside the published one. Simulated time is
 * deterministic (one seed, one result), so this is a test, not a benchmark.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sim/event.h"
#include "sim/mesh_net.h"
#include "sim/scenario_file.h"
#include "sim/scenario_run.h"

#define TOLERANCE 1.5

static const char *calib_dir = "scenarios/calibration";

static struct bo_scenario *load(const char *name)
{
	char path[512], err[BO_SCN_ERRLEN] = "";
	struct bo_scenario *s = NULL;

	snprintf(path, sizeof(path), "%s/%s", calib_dir, name);
	int rc = bo_scenario_load_file(path, &s, err, sizeof(err));
	if (rc != 0)
		print_error("%s\n", err);
	assert_int_equal(rc, 0);
	return s;
}

/* Within TOLERANCE of the published range [lo, hi] (lo == hi: one figure). */
static void check(const char *what, double got, double lo, double hi, const char *unit)
{
	bool ok = got >= lo / TOLERANCE && got <= hi * TOLERANCE;

	if (lo == hi)
		printf("%-28s simulated %8.1f %s, published %8.1f %s (x%.2f) %s\n", what, got, unit,
		       lo, unit, got / lo, ok ? "ok" : "OUT OF 1.5x");
	else
		printf("%-28s simulated %8.1f %s, published %.1f-%.1f %s %s\n", what, got, unit, lo,
		       hi, unit, ok ? "ok" : "OUT OF 1.5x");
	fflush(stdout);
	if (!ok)
		fail_msg("%s: %.1f %s is not within %.1fx of %.1f-%.1f", what, got, unit, TOLERANCE,
			 lo, hi);
}

/* Run the file; the minutes until its one Target ran the image confirmed. */
static double one_target_minutes(const char *name)
{
	struct bo_scenario *s = load(name);
	struct bo_run_opts o = {.seed = s->seed, .max_event_level = 0};
	struct bo_run_result r;
	char err[BO_RUN_ERRLEN] = "";
	double min = -1;

	assert_int_equal(bo_scenario_run(s, &o, &r, err, sizeof(err)), 0);
	assert_int_equal(r.targets, 1);
	for (size_t i = 0; i < r.node_count; i++)
		if (r.nodes[i].target && r.nodes[i].converged)
			min = (double)r.nodes[i].converged_us / 60e6;
	bo_run_result_free(&r);
	bo_scenario_free(s);
	assert_true(min > 0);
	return min;
}

static void one_hop_100k(void **state)
{
	(void)state;
	check("100 kB, 1 hop (Zephyr docs)", one_target_minutes("one-hop-100k.yaml"), 10, 15,
	      "min");
}

static void one_hop_342k(void **state)
{
	(void)state;
	check("342 KB, 1 hop (DevZone)", one_target_minutes("one-hop-342k.yaml"), 36, 36, "min");
}

/* ---- per-hop latency --------------------------------------------------------------- */

#define LAT_MSGS 100
#define LAT_GAP_US 1000000u /* between messages: each one's flood is over long before */

struct lat {
	struct sim_loop loop;
	struct mesh_net *net;
	uint32_t dst;
	uint64_t sent_at, sum_us;
	uint32_t got;
};

static void lat_rx(void *user, struct mesh_net *net, uint32_t node, uint16_t src, uint16_t dst,
		   uint8_t ttl, const uint8_t *data, size_t len)
{
	struct lat *l = user;

	(void)src, (void)dst, (void)ttl, (void)data, (void)len;
	if (node != l->dst)
		return;
	l->sum_us += sim_now(mesh_net_loop(net)) - l->sent_at;
	l->got++;
}

static void hop_latency(void **state)
{
	(void)state;
	static const double ti_ms[] = {33.48, 104.51, 122.88, 131.57, 157.44, 191.67};
	struct bo_scenario *s = load("hop-latency.yaml");
	uint32_t n = (uint32_t)s->node_count;
	struct mesh_pos *pos = calloc(n, sizeof(*pos));
	struct mesh_link *links = NULL;
	/* opcode (1 byte) and TI's 1-byte payload; the host link carries it at each end */
	const uint8_t msg[2] = {0x42, 0x01};
	double host_us = 2.0 * ((double)s->initiator.link_latency_us +
				(double)sizeof(msg) * 1e6 / s->initiator.link_throughput);

	assert_non_null(pos);
	assert_int_equal(s->topology.kind, BO_TOPO_LINE);
	for (uint32_t i = 0; i < n; i++)
		pos[i] = (struct mesh_pos){s->nodes[i].x, s->nodes[i].y};
	long nl = mesh_links_from_range(pos, n, s->topology.range, 0.0, &links);
	assert_true(nl > 0);
	for (uint32_t h = 1; h < n && h <= 6; h++) {
		struct lat l = {.dst = h};
		char what[64];

		sim_loop_init(&l.loop);
		l.net = mesh_net_create(&l.loop, &s->mesh, n, links, (size_t)nl, s->seed);
		assert_non_null(l.net);
		mesh_net_set_callbacks(l.net, lat_rx, NULL, &l);
		for (uint32_t i = 0; i < n; i++)
			mesh_node_set_relay(l.net, i, s->nodes[i].relay);
		for (uint32_t k = 0; k < LAT_MSGS; k++) {
			l.sent_at = sim_now(&l.loop);
			assert_int_equal(mesh_send(l.net, 0, mesh_node_addr(h), MESH_TTL_DEFAULT, msg,
						   sizeof(msg), 0),
					 0);
			sim_run_until(&l.loop, l.sent_at + LAT_GAP_US);
		}
		assert_int_equal(l.got, LAT_MSGS);
		snprintf(what, sizeof(what), "latency, %u hop%s (TI)", h, h > 1 ? "s" : "");
		check(what, ((double)l.sum_us / l.got + host_us) / 1000.0, ti_ms[h - 1],
		      ti_ms[h - 1], "ms");
		mesh_net_destroy(l.net);
		sim_loop_free(&l.loop);
	}
	free(links);
	free(pos);
	bo_scenario_free(s);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		calib_dir = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(one_hop_100k),
		cmocka_unit_test(one_hop_342k),
		cmocka_unit_test(hop_latency),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
