/*
 * The mesh scenario loader (sim/scenario_file.h): every key parsed into the struct, the
 * defaults, each topology kind, durations, error positions, a fuzz of prefixes and
 * single-byte mutations (never a crash), the invalid corpus (tests/scenario/invalid/: each
 * file's first line "# error: LINE:COL: ..." is the exact message after "FILE:"), and the
 * shipped scenarios. Arguments: the invalid corpus directory, then optionally a directory
 * of valid scenario files (scenarios/mesh/) that must all load.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tests/yaml_corpus.h"

#include "sim/mesh_net.h"
#include "sim/scenario_file.h"

static const char *invalid_dir;
static const char *valid_dir;

static struct bo_scenario *load_ok(const char *text)
{
	char err[BO_SCN_ERRLEN];
	struct bo_scenario *s = NULL;
	int rc = bo_scenario_load_buffer("t.yaml", text, strlen(text), &s, err, sizeof err);
	if (rc)
		fail_msg("unexpected error: %s", err);
	assert_non_null(s);
	return s;
}

static void expect_error(const char *text, const char *msg)
{
	char err[BO_SCN_ERRLEN];
	struct bo_scenario *s = (struct bo_scenario *)1;
	int rc = bo_scenario_load_buffer("t.yaml", text, strlen(text), &s, err, sizeof err);
	assert_int_equal(rc, BO_SCN_E_INVALID);
	assert_null(s);
	assert_string_equal(err, msg);
}

#define MS 1000ull
#define SEC 1000000ull

static const char full[] =
	"scenario: full-test\n"
	"description: every key\n"
	"seed: 42\n"
	"duration: 1h30m\n"
	"device:\n"
	"  preset: nrf52840\n"
	"  strategy: swap-scratch\n"
	"  layout: {boot: [0x0, 48KiB], primary: [0xC000, 432KiB], upgrade: [0x78000, 432KiB],\n"
	"           scratch: [0xE4000, 16KiB], recovery: [0xE8000, 64KiB]}\n"
	"  attempts: 5\n"
	"  allow_downgrade: true\n"
	"topology: {kind: grid, rows: 3, cols: 4, spacing: 10, range: 15, loss: 0.05}\n"
	"mesh:\n"
	"  ttl: 9\n"
	"  relays: [0, 1, 5]\n"
	"  network_transmit: {count: 3, interval: 30ms}\n"
	"  relay_retransmit: {count: 1, interval: 40ms}\n"
	"  relay_delay: {min: 5ms, max: 25ms}\n"
	"  adv_delay_max: 8ms\n"
	"  adv_airtime: 400us\n"
	"  adv_channels: 2\n"
	"  collisions: event\n"
	"  half_duplex: true\n"
	"  cache_size: 64\n"
	"  adv_buffers: 8\n"
	"  relay_buffers: 20\n"
	"  transport:\n"
	"    segment_interval: 50ms\n"
	"    ack_delay_max: 1.5\n"
	"    unicast_retrans: {count: 3, interval: 300ms, per_hop: 40ms}\n"
	"    multicast_retrans: {count: 1, interval: 200ms}\n"
	"    discard_timeout: 20s\n"
	"    tx_seg_max: 2\n"
	"    trans_mic: 8\n"
	"    unseg_max: 7\n"
	"    seg_max_len: 376\n"
	"firmware:\n"
	"  v1: {version: 1.0.0, size: 96KiB}\n"
	"  v2: {version: 1.1.0+5, size: 0x19000, behaviour: no-confirm, key: untrusted,\n"
	"       corrupt: true, seed: 9}\n"
	"  rec: {version: 0.9.0, size: 32KiB}\n"
	"nodes:\n"
	"  default: {firmware: v1, role: target, strategy: swap-scratch, recovery: rec}\n"
	"  overrides:\n"
	"    - {id: 2, role: distributor}\n"
	"    - {ids: [7, 8], firmware: v2, strategy: swap-scratch+recovery}\n"
	"    - {id: 11, role: relay-only}\n"
	"initiator:\n"
	"  distributor: 2\n"
	"  image: v2\n"
	"  targets: [0, 1, 3, 7]\n"
	"  policy: verify-only\n"
	"  transfer: {mode: pull, block_size: 1KiB, chunk_size: 100, timeout_base: 7,\n"
	"             group: 0xC123}\n"
	"  ttl: 5\n"
	"  retries: 4\n"
	"  backoff: 90s\n"
	"  link: {latency: 15ms, throughput: 2KiB}\n"
	"faults:\n"
	"  - power_cut: {nodes: random(12.5%), rate: 2/h, off: 500ms, max_cuts: 3}\n"
	"  - power_cut: {nodes: [2], at: 20m}\n"
	"  - power_cut: {nodes: all, during: apply}\n"
	"  - power_cut: {nodes: random(3), during: boot}\n"
	"  - offline: {nodes: [5, 6], from: 10m, for: 30m}\n"
	"  - bad_image: {nodes: [7], firmware: v1}\n"
	"expect:\n"
	"  - converged: {firmware: v2, fraction: 0.75, within: 1h}\n"
	"  - no_bricked: true\n"
	"  - max_duration: 80m\n"
	"  - max_offers: 2\n";

static void test_full_file(void **state)
{
	(void)state;
	struct bo_scenario *s = load_ok(full);
	assert_string_equal(s->file, "t.yaml");
	assert_string_equal(s->name, "full-test");
	assert_string_equal(s->description, "every key");
	assert_int_equal(s->seed, 42);
	assert_int_equal(s->duration_us, 5400 * SEC);
	/* device */
	assert_string_equal(s->device.label, "nrf52840");
	assert_false(s->device.default_layout);
	assert_int_equal(s->strategy, BO_SWEEP_SWAP_SCRATCH);
	assert_true(s->device.parts[BO_SWEEP_PART_SCRATCH].present);
	assert_int_equal(s->device.parts[BO_SWEEP_PART_UPGRADE].off, 0x78000);
	assert_int_equal(s->device.parts[BO_SWEEP_PART_UPGRADE].size, 432 * 1024);
	assert_false(s->device.parts[BO_SWEEP_PART_STORAGE].present);
	assert_int_equal(s->attempts, 5);
	assert_true(s->allow_downgrade);
	/* topology */
	assert_int_equal(s->topology.kind, BO_TOPO_GRID);
	assert_int_equal(s->topology.rows, 3);
	assert_int_equal(s->topology.cols, 4);
	assert_int_equal(s->node_count, 12);
	assert_true(s->topology.spacing == 10.0);
	assert_true(s->topology.range == 15.0);
	assert_true(s->topology.loss == 0.05);
	/* mesh */
	const struct mesh_config *c = &s->mesh;
	assert_int_equal(c->default_ttl, 9);
	assert_false(c->relay_default);
	for (size_t i = 0; i < s->node_count; i++)
		assert_int_equal(s->nodes[i].relay, i == 0 || i == 1 || i == 5);
	assert_int_equal(c->net_transmit_count, 3);
	assert_int_equal(c->net_transmit_interval_us, 30 * MS);
	assert_int_equal(c->relay_retransmit_count, 1);
	assert_int_equal(c->relay_retransmit_interval_us, 40 * MS);
	assert_int_equal(c->relay_delay_min_us, 5 * MS);
	assert_int_equal(c->relay_delay_max_us, 25 * MS);
	assert_int_equal(c->adv_delay_max_us, 8 * MS);
	assert_int_equal(c->adv_airtime_us, 400);
	assert_int_equal(c->adv_channels, 2);
	assert_true(c->collisions);
	assert_int_equal(c->collision_model, MESH_COLLIDE_EVENT);
	assert_true(c->half_duplex);
	assert_int_equal(c->cache_size, 64);
	assert_int_equal(c->adv_buffers, 8);
	assert_int_equal(c->relay_buffers, 20);
	assert_int_equal(c->segment_interval_us, 50 * MS);
	assert_int_equal(c->ack_delay_max_halves, 3);
	assert_int_equal(c->unicast_retrans_count, 3);
	assert_int_equal(c->unicast_retrans_interval_us, 300 * MS);
	assert_int_equal(c->unicast_retrans_per_hop_us, 40 * MS);
	assert_int_equal(c->multicast_retrans_count, 1);
	assert_int_equal(c->multicast_retrans_interval_us, 200 * MS);
	assert_int_equal(c->discard_timeout_us, 20 * SEC);
	assert_int_equal(c->tx_seg_max, 2);
	assert_int_equal(c->trans_mic, 8);
	assert_int_equal(c->unseg_max, 7);
	assert_int_equal(c->seg_max_len, 376);
	/* firmware */
	assert_int_equal(s->firmware_count, 3);
	assert_int_equal(bo_scenario_find_firmware(s, "v2"), 1);
	assert_int_equal(bo_scenario_find_firmware(s, "v3"), -1);
	const struct bo_sweep_image *v2 = &s->firmware[1];
	assert_string_equal(v2->name, "v2");
	assert_int_equal(v2->version.major, 1);
	assert_int_equal(v2->version.minor, 1);
	assert_int_equal(v2->version.build, 5);
	assert_int_equal(v2->size, 0x19000);
	assert_int_equal(v2->behaviour, BO_SWEEP_NO_CONFIRM);
	assert_int_equal(v2->key, BO_SWEEP_KEY_UNTRUSTED);
	assert_true(v2->corrupt);
	assert_int_equal(v2->seed, 9);
	assert_int_equal(s->firmware[0].behaviour, BO_SWEEP_GOOD);
	assert_false(s->firmware[0].corrupt);
	/* nodes */
	assert_int_equal(s->nodes[2].role, BO_ROLE_DISTRIBUTOR);
	assert_int_equal(s->nodes[11].role, BO_ROLE_RELAY_ONLY);
	assert_int_equal(s->nodes[0].role, BO_ROLE_TARGET);
	assert_int_equal(s->nodes[0].firmware, 0);
	assert_int_equal(s->nodes[7].firmware, 1);
	assert_int_equal(s->nodes[8].strategy, BO_SWEEP_SWAP_SCRATCH_RECOVERY);
	assert_int_equal(s->nodes[9].strategy, BO_SWEEP_SWAP_SCRATCH);
	assert_int_equal(s->nodes[9].recovery, 2);
	assert_true(s->nodes[5].x == 10.0 && s->nodes[5].y == 10.0);
	/* initiator */
	const struct bo_scn_initiator *in = &s->initiator;
	assert_int_equal(in->distributor, 2);
	assert_int_equal(in->image, 1);
	assert_false(in->targets_all);
	assert_int_equal(in->target_count, 4);
	for (size_t i = 0; i < s->node_count; i++)
		assert_int_equal(s->nodes[i].target, i == 0 || i == 1 || i == 3 || i == 7);
	assert_int_equal(in->policy, BO_POLICY_VERIFY_ONLY);
	assert_int_equal(in->mode, BO_XFER_PULL);
	assert_int_equal(in->block_size, 1024);
	assert_int_equal(in->chunk_size, 100);
	assert_int_equal(in->timeout_base, 7);
	assert_int_equal(in->group, 0xC123);
	assert_int_equal(in->ttl, 5);
	assert_int_equal(in->retries, 4);
	assert_int_equal(in->backoff_us, 90 * SEC);
	assert_int_equal(in->link_latency_us, 15 * MS);
	assert_int_equal(in->link_throughput, 2048);
	/* faults */
	assert_int_equal(s->fault_count, 6);
	const struct bo_scn_fault *f = s->faults;
	assert_int_equal(f[0].kind, BO_FAULT_POWER_CUT);
	assert_int_equal(f[0].nodes.kind, BO_SEL_RANDOM_PERCENT);
	assert_true(f[0].nodes.percent == 12.5);
	assert_int_equal(f[0].when, BO_CUT_RATE);
	assert_true(f[0].rate_per_hour == 2.0);
	assert_int_equal(f[0].off_us, 500 * MS);
	assert_int_equal(f[0].max_cuts, 3);
	assert_int_equal(f[0].line, 60);
	assert_int_equal(f[1].nodes.kind, BO_SEL_LIST);
	assert_int_equal(f[1].nodes.count, 1);
	assert_int_equal(f[1].nodes.nodes[0], 2);
	assert_int_equal(f[1].when, BO_CUT_AT);
	assert_int_equal(f[1].at_us, 1200 * SEC);
	assert_int_equal(f[1].off_us, SEC);
	assert_int_equal(f[2].nodes.kind, BO_SEL_ALL);
	assert_int_equal(f[2].when, BO_CUT_DURING);
	assert_int_equal(f[2].during, BO_PHASE_APPLY);
	assert_int_equal(f[3].nodes.kind, BO_SEL_RANDOM_COUNT);
	assert_int_equal(f[3].nodes.count, 3);
	assert_int_equal(f[3].during, BO_PHASE_BOOT);
	assert_int_equal(f[4].kind, BO_FAULT_OFFLINE);
	assert_int_equal(f[4].nodes.count, 2);
	assert_int_equal(f[4].from_us, 600 * SEC);
	assert_int_equal(f[4].for_us, 1800 * SEC);
	assert_int_equal(f[5].kind, BO_FAULT_BAD_IMAGE);
	assert_int_equal(f[5].firmware, 0);
	assert_int_equal(f[5].nodes.nodes[0], 7);
	/* expect */
	assert_int_equal(s->expect_count, 4);
	assert_int_equal(s->expect[0].kind, BO_EXPECT_CONVERGED);
	assert_int_equal(s->expect[0].firmware, 1);
	assert_true(s->expect[0].fraction == 0.75);
	assert_int_equal(s->expect[0].within_us, 3600 * SEC);
	assert_int_equal(s->expect[1].kind, BO_EXPECT_NO_BRICKED);
	assert_int_equal(s->expect[2].kind, BO_EXPECT_MAX_DURATION);
	assert_int_equal(s->expect[2].within_us, 4800 * SEC);
	assert_int_equal(s->expect[3].kind, BO_EXPECT_MAX_OFFERS);
	assert_int_equal(s->expect[3].max_offers, 2);
	bo_scenario_free(s);
}

static const char minimal[] =
	"scenario: min\n"
	"duration: 1h\n"
	"device: {preset: nrf52840, strategy: overwrite}\n"
	"topology: {kind: line, count: 3, spacing: 10}\n"
	"firmware: {v1: {version: 1.0.0, size: 1KiB}, v2: {version: 2.0.0, size: 1KiB}}\n"
	"nodes: {default: {firmware: v1}, overrides: [{id: 0, role: distributor}]}\n"
	"initiator: {distributor: 0, image: v2}\n";

static void test_defaults(void **state)
{
	(void)state;
	struct bo_scenario *s = load_ok(minimal);
	assert_null(s->description);
	assert_int_equal(s->seed, 1);
	assert_int_equal(s->duration_us, 3600 * SEC);
	assert_true(s->device.default_layout);
	assert_int_equal(s->device.parts[BO_SWEEP_PART_PRIMARY].off, 0xC000);
	assert_int_equal(s->attempts, 3);
	assert_false(s->allow_downgrade);
	/* mesh: the reference's defaults, every node a relay */
	struct mesh_config def;
	mesh_config_default(&def);
	const struct mesh_config *c = &s->mesh;
	assert_int_equal(c->adv_airtime_us, def.adv_airtime_us);
	assert_int_equal(c->adv_channels, 3);
	assert_int_equal(c->adv_delay_max_us, def.adv_delay_max_us);
	assert_int_equal(c->net_transmit_count, 2);
	assert_int_equal(c->net_transmit_interval_us, 20 * MS);
	assert_int_equal(c->relay_retransmit_count, 2);
	assert_int_equal(c->relay_retransmit_interval_us, 20 * MS);
	assert_int_equal(c->relay_delay_min_us, def.relay_delay_min_us);
	assert_int_equal(c->relay_delay_max_us, def.relay_delay_max_us);
	assert_false(c->collisions);
	assert_int_equal(c->collision_model, def.collision_model);
	assert_false(c->half_duplex);
	assert_int_equal(c->cache_size, 32);
	assert_int_equal(c->adv_buffers, 6);
	assert_int_equal(c->relay_buffers, 32);
	assert_int_equal(c->default_ttl, 7);
	assert_true(c->relay_default);
	assert_int_equal(c->unseg_max, 11);
	assert_int_equal(c->trans_mic, 4);
	assert_int_equal(c->seg_max_len, 380);
	assert_int_equal(c->segment_interval_us, 60 * MS);
	assert_int_equal(c->ack_delay_max_halves, 5);
	assert_int_equal(c->unicast_retrans_count, 2);
	assert_int_equal(c->unicast_retrans_interval_us, 200 * MS);
	assert_int_equal(c->unicast_retrans_per_hop_us, 50 * MS);
	assert_int_equal(c->multicast_retrans_count, 2);
	assert_int_equal(c->multicast_retrans_interval_us, 250 * MS);
	assert_int_equal(c->discard_timeout_us, 10 * SEC);
	assert_int_equal(c->tx_seg_max, def.tx_seg_max);
	for (size_t i = 0; i < s->node_count; i++) {
		assert_true(s->nodes[i].relay);
		assert_int_equal(s->nodes[i].firmware, 0);
		assert_int_equal(s->nodes[i].recovery, BO_SCN_NONE);
		assert_int_equal(s->nodes[i].strategy, BO_SWEEP_OVERWRITE);
		assert_int_equal(s->nodes[i].target, i != 0);
	}
	/* topology: range defaults to the spacing (nearest neighbours), no loss */
	assert_true(s->topology.range >= 10.0 && s->topology.range < 10.5);
	assert_true(s->topology.loss == 0.0);
	const struct bo_scn_initiator *in = &s->initiator;
	assert_true(in->targets_all);
	assert_int_equal(in->target_count, 2);
	assert_int_equal(in->policy, BO_POLICY_VERIFY_AND_APPLY);
	assert_int_equal(in->mode, BO_XFER_PUSH);
	assert_int_equal(in->block_size, 4096);
	assert_int_equal(in->chunk_size, 377);
	assert_int_equal(in->timeout_base, 10);
	assert_int_equal(in->group, 0xC000);
	assert_int_equal(in->ttl, 7);
	assert_int_equal(in->retries, 2);
	assert_int_equal(in->backoff_us, 60 * SEC);
	assert_int_equal(in->link_latency_us, 10 * MS);
	assert_int_equal(in->link_throughput, 11520);
	assert_int_equal(s->fault_count, 0);
	assert_int_equal(s->expect_count, 0);
	bo_scenario_free(s);
}

static char *with_topology(const char *topo)
{
	static char buf[4096];
	snprintf(buf, sizeof buf,
		 "scenario: topo\n"
		 "duration: 1h\n"
		 "device: {preset: nrf52840, strategy: overwrite}\n"
		 "topology: %s\n"
		 "firmware: {v1: {version: 1.0.0, size: 1KiB}, v2: {version: 2.0.0, size: 1KiB}}\n"
		 "nodes: {default: {firmware: v1}, overrides: [{id: 10, role: distributor}]}\n"
		 "initiator: {distributor: 10, image: v2}\n",
		 topo);
	return buf;
}

static void test_topologies(void **state)
{
	(void)state;
	/* line */
	struct bo_scenario *s = load_ok(with_topology("{kind: line, count: 12, spacing: 5, "
						      "range: 11, loss: 0.1}"));
	assert_int_equal(s->topology.kind, BO_TOPO_LINE);
	assert_int_equal(s->node_count, 12);
	for (uint32_t i = 0; i < 12; i++) {
		assert_int_equal(s->nodes[i].id, i);
		assert_true(s->nodes[i].x == 5.0 * i && s->nodes[i].y == 0.0);
	}
	assert_true(s->topology.range == 11.0 && s->topology.loss == 0.1);
	assert_int_equal(bo_scenario_node_index(s, 11), 11);
	assert_int_equal(bo_scenario_node_index(s, 12), -1);
	bo_scenario_free(s);

	/* grid: row-major ids */
	s = load_ok(with_topology("{kind: grid, rows: 4, cols: 3, spacing: 2}"));
	assert_int_equal(s->node_count, 12);
	assert_true(s->nodes[7].x == 2.0 && s->nodes[7].y == 4.0);
	assert_true(s->nodes[11].x == 4.0 && s->nodes[11].y == 6.0);
	bo_scenario_free(s);

	/* random: inside the area, reproducible from the seed, the seed matters */
	const char *r1 = "{kind: random, count: 50, area: [100, 20], seed: 5, range: 30}";
	s = load_ok(with_topology(r1));
	struct bo_scenario *t = load_ok(with_topology(r1));
	struct bo_scenario *u = load_ok(
		with_topology("{kind: random, count: 50, area: [100, 20], seed: 6, range: 30}"));
	assert_int_equal(s->topology.kind, BO_TOPO_RANDOM);
	assert_int_equal(s->topology.seed, 5);
	assert_true(s->topology.area_w == 100.0 && s->topology.area_h == 20.0);
	int same = 0;
	for (size_t i = 0; i < 50; i++) {
		assert_true(s->nodes[i].x >= 0 && s->nodes[i].x < 100);
		assert_true(s->nodes[i].y >= 0 && s->nodes[i].y < 20);
		assert_true(s->nodes[i].x == t->nodes[i].x && s->nodes[i].y == t->nodes[i].y);
		same += s->nodes[i].x == u->nodes[i].x;
	}
	assert_true(same < 50);
	bo_scenario_free(s);
	bo_scenario_free(t);
	bo_scenario_free(u);
	/* random without a seed: the scenario's; a scalar area is a square */
	s = load_ok(with_topology("{kind: random, count: 20, area: 50, range: 30}"));
	assert_int_equal(s->topology.seed, 1);
	assert_true(s->topology.area_w == 50.0 && s->topology.area_h == 50.0);
	bo_scenario_free(s);

	/* explicit: own ids, links with their own or the default loss */
	s = load_ok(with_topology(
		"{kind: explicit, loss: 0.2,\n"
		"  nodes: [{id: 10, x: 0, y: 0}, {id: 20, x: 5.5, y: -1}, {id: 30, x: 9, y: 2e1}],\n"
		"  links: [{a: 10, b: 20}, {a: 20, b: 30, loss: 0.5}]}"));
	assert_int_equal(s->topology.kind, BO_TOPO_EXPLICIT);
	assert_int_equal(s->node_count, 3);
	assert_int_equal(bo_scenario_node_index(s, 20), 1);
	assert_int_equal(bo_scenario_node_index(s, 2), -1);
	assert_true(s->nodes[1].x == 5.5 && s->nodes[1].y == -1.0);
	assert_true(s->nodes[2].y == 20.0);
	assert_int_equal(s->topology.link_count, 2);
	assert_int_equal(s->topology.links[0].a, 10);
	assert_int_equal(s->topology.links[0].b, 20);
	assert_true(s->topology.links[0].loss == 0.2);
	assert_true(s->topology.links[1].loss == 0.5);
	assert_int_equal(s->initiator.distributor, 0);
	assert_int_equal(s->nodes[0].role, BO_ROLE_DISTRIBUTOR);
	bo_scenario_free(s);
}

static void test_durations(void **state)
{
	(void)state;
	static const struct {
		const char *text;
		uint64_t us;
	} ok[] = {
		{"500ms", 500 * MS}, {"20m", 1200 * SEC},   {"6h", 21600 * SEC},
		{"90s", 90 * SEC},   {"1h30m", 5400 * SEC}, {"376us", 376},
		{"2d", 172800 * SEC}, {"1s500ms", 1500 * MS}, {"0", 0},
		{"1d2h3m4s5ms6us", ((((26 * 60ull) + 3) * 60 + 4) * 1000 + 5) * 1000 + 6},
	};
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		uint64_t us = 1;
		assert_int_equal(bo_scenario_parse_duration(ok[i].text, &us), 0);
		assert_int_equal(us, ok[i].us);
		char back[64];
		bo_scenario_format_duration(us, back, sizeof back);
		uint64_t again = 1;
		assert_int_equal(bo_scenario_parse_duration(back, &again), 0);
		assert_int_equal(again, us);
	}
	static const char *const bad[] = {"",   "10",  "h",    "1x",     "30m1h", "1h1h",
					  "-1s", "1.5h", "1 h", "1hh", "99999999999999h", "1mss"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		uint64_t us;
		if (bo_scenario_parse_duration(bad[i], &us) == 0)
			fail_msg("'%s' parsed", bad[i]);
	}
	char out[32];
	bo_scenario_format_duration(5400 * SEC, out, sizeof out);
	assert_string_equal(out, "1h30m");
	bo_scenario_format_duration(500 * MS, out, sizeof out);
	assert_string_equal(out, "500ms");
}

static void test_errors(void **state)
{
	(void)state;
	expect_error("scenario: x\n", "t.yaml:1:1: key 'duration': missing required key");
	expect_error("sweep: x\n",
		     "t.yaml:1:1: this is a sweep file (sweep:), not a scenario file");
	expect_error("name: x\n", "t.yaml:1:1: key 'scenario': missing required key");
	expect_error("- 1\n", "t.yaml:1:1: expected a mapping (key: value), found a list");
	/* a typo in the full file: the path and the hint */
	char buf[sizeof full + 16];
	snprintf(buf, sizeof buf, "%s", full);
	char *p = strstr(buf, "relay_buffers");
	memcpy(p, "relay_bufffrs", 13);
	expect_error(buf, "t.yaml:26:3: key 'mesh.relay_bufffrs': unknown key (did you mean "
			  "'relay_buffers'? valid: ttl, relays, network_transmit, "
			  "relay_retransmit, relay_delay, adv_delay_max, adv_airtime, "
			  "adv_channels, collisions, half_duplex, cache_size, adv_buffers, "
			  "relay_buffers, transport)");
	snprintf(buf, sizeof buf, "%s", full);
	p = strstr(buf, "nodes: [2], at: 20m");
	memcpy(p, "nodes: [2], at: 99h", 19);
	expect_error(buf, "t.yaml:61:33: key 'faults[1].power_cut.at': 99h is not before the "
			  "end of the scenario (duration: 1h30m)");
}

static void test_missing_file(void **state)
{
	(void)state;
	char err[BO_SCN_ERRLEN];
	struct bo_scenario *s;
	assert_int_equal(bo_scenario_load_file("/nonexistent/x.yaml", &s, err, sizeof err),
			 BO_SCN_E_INVALID);
	assert_null(s);
	assert_string_equal(err, "/nonexistent/x.yaml: cannot open: No such file or directory");
}

/* The other branches for the fuzz: explicit topology, relays none, collisions true,
 * every-node sets, targets all with relay-only nodes, random(N), bad_image. */
static const char other[] =
	"scenario: other\n"
	"duration: 2h\n"
	"device: {preset: stm32f4, strategy: recovery, layout: default}\n"
	"topology:\n"
	"  kind: explicit\n"
	"  loss: 0.1\n"
	"  nodes: [{id: 4, x: 0, y: 0}, {id: 9, x: 1.5, y: 2}, {id: 12, x: -3, y: 1e2},\n"
	"          {id: 30, x: 7, y: 7}]\n"
	"  links: [{a: 4, b: 9}, {a: 9, b: 12, loss: 0.5}, {a: 12, b: 30}]\n"
	"mesh: {relays: none, collisions: true, ttl: 0}\n"
	"firmware:\n"
	"  a: {version: 1, size: 10K}\n"
	"  b: {version: 2.0, size: 12K, behaviour: crash-on-boot}\n"
	"  r: {version: 0.1.2, size: 8K}\n"
	"nodes:\n"
	"  default: {firmware: a, recovery: r}\n"
	"  overrides: [{id: 4, role: distributor}, {ids: [30], role: relay-only}]\n"
	"initiator: {distributor: 4, image: a, targets: all, transfer: {group: 0}}\n"
	"faults:\n"
	"  - power_cut: {nodes: random(2), rate: 0.5/m}\n"
	"  - offline: {nodes: all, from: 0, for: 1d}\n"
	"  - bad_image: {nodes: [9, 12], firmware: b}\n"
	"expect: [{converged: {firmware: a}}, {max_offers: 1}]\n";

/* Every prefix of text and single-byte mutations at every position: an error or a
 * scenario, never a crash (run under ASan/UBSan in the -asan build). */
static void fuzz(const char *text)
{
	size_t len = strlen(text);
	char *buf = malloc(len + 1);
	assert_non_null(buf);
	static const char subst[] = {'\0', ':', '-', '[', '{', ' ', '\n', '"',
				     '&',  '*', 'x', '9', '0', '%', ','};
	size_t loaded = 0;
	for (size_t cut = 0; cut <= len; cut++) {
		char err[BO_SCN_ERRLEN];
		struct bo_scenario *s;
		memcpy(buf, text, len);
		int rc = bo_scenario_load_buffer("t.yaml", buf, cut, &s, err, sizeof err);
		assert_true(rc == 0 || (rc == BO_SCN_E_INVALID && err[0] && !s));
		loaded += rc == 0;
		bo_scenario_free(s);
		for (size_t k = 0; cut < len && k < sizeof subst; k++) {
			memcpy(buf, text, len);
			buf[cut] = subst[k];
			rc = bo_scenario_load_buffer("t.yaml", buf, len, &s, err, sizeof err);
			assert_true(rc == 0 || (rc == BO_SCN_E_INVALID && err[0] && !s));
			loaded += rc == 0;
			bo_scenario_free(s);
		}
	}
	assert_true(loaded > 0);
	free(buf);
}

static void test_no_crash(void **state)
{
	(void)state;
	struct bo_scenario *s = load_ok(other);
	assert_int_equal(s->node_count, 4);
	assert_int_equal(s->initiator.target_count, 2);
	assert_false(s->nodes[0].relay || s->nodes[1].relay);
	assert_true(s->mesh.collisions);
	assert_int_equal(s->mesh.collision_model, MESH_COLLIDE_CHANNEL);
	assert_int_equal(s->initiator.group, 0);
	assert_int_equal(s->faults[0].nodes.kind, BO_SEL_RANDOM_COUNT);
	assert_true(s->faults[0].rate_per_hour == 30.0);
	assert_int_equal(s->faults[1].from_us, 0);
	assert_int_equal(s->faults[2].nodes.nodes[1], 2);
	assert_int_equal(s->expect[0].within_us, 7200 * SEC);
	assert_true(s->expect[0].fraction == 1.0);
	bo_scenario_free(s);
	fuzz(full);
	fuzz(other);
}

/* The loader as the corpus helper wants it: load, free, return the code. */
static int load_and_free(const char *path, char *err, size_t errlen)
{
	struct bo_scenario *s = NULL;
	int rc = bo_scenario_load_file(path, &s, err, errlen);
	if (rc == 0 && !s)
		return -100; /* success without a result: never valid */
	if (rc != 0 && s)
		rc = -101; /* an error that still returned a result */
	bo_scenario_free(s);
	return rc;
}

static void test_invalid_corpus(void **state)
{
	(void)state;
	if (!invalid_dir)
		skip();
	yaml_corpus_check_invalid(invalid_dir, load_and_free, BO_SCN_E_INVALID, 30);
}

static void test_valid_files(void **state)
{
	(void)state;
	if (!valid_dir)
		skip();
	yaml_corpus_check_valid(valid_dir, load_and_free, 6);
}

int main(int argc, char **argv)
{
	invalid_dir = argc > 1 ? argv[1] : NULL;
	valid_dir = argc > 2 ? argv[2] : NULL;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_file),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_topologies),
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_no_crash),
		cmocka_unit_test(test_invalid_corpus),
		cmocka_unit_test(test_valid_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
