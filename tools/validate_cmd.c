/*
 * tools/validate_cmd.c: `brownout validate FILE.yaml...`, check files without running them.
 *
 * The file's kind comes from its top-level key: `sweep:` (sim/sweep_file.h) or
 * `scenario:` (sim/scenario_file.h, mesh scenarios). A file that loads is also built
 * (sim/sweep_device.h), so layouts core/boot refuses and images too large once signed
 * are reported too. Exit codes: 0 every file is valid, 2 a file is invalid
 * (its message, "FILE:LINE:COL: key 'K': ...", on stderr) or bad usage.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario_file.h"
#include "sim/scenario_reach.h"
#include "sim/sweep_device.h"
#include "sim/sweep_build.h"
#include "sim/sweep_file.h"
#include "sim/yaml_util.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/presets_table.h"

static const char validate_help[] =
	"usage: brownout validate FILE.yaml...\n"
	"       brownout validate --presets\n"
	"\n"
	"Check sweep files (top-level key sweep:) against their schema without running them:\n"
	"every key, type, image reference and partition; then build the device to check that\n"
	"the bootloader accepts the layout for the strategy and that the signed images fit.\n"
	"Check mesh scenario files (scenario:, scenarios/README.md): every key, type, node id,\n"
	"firmware reference, duration, the one Distributor, faults and expectations; then\n"
	"build the device of each strategy the nodes use, as for sweep files.\n"
	"Errors name FILE:LINE:COLUMN and the key (device build errors: FILE only).\n"
	"\n"
	"options:\n"
	"  --presets    print every flash preset: geometry, timings and default layout\n"
	"  -h, --help   this help\n"
	"\n"
	"exit codes: 0 all files valid, 2 a file is invalid or bad usage\n";

/* Is this a scenario file (top-level scenario: and no sweep:)? A YAML error is reported
 * as the file's error. Anything else goes to the sweep loader, whose messages say what a
 * sweep file lacks. */
static int scenario_file(const char *path, bool *scenario, char *err, size_t errlen)
{
	struct bo_yaml y;
	*scenario = false;
	if (bo_yaml_load_file(&y, path, err, errlen)) {
		bo_yaml_free(&y);
		return -1;
	}
	yaml_node_t *root = bo_yaml_root(&y);
	if (root && root->type == YAML_MAPPING_NODE && !bo_yaml_map_get(&y, root, "sweep") &&
	    bo_yaml_map_get(&y, root, "scenario"))
		*scenario = true;
	bo_yaml_free(&y);
	return 0;
}

/*
 * Beyond the schema, as for sweep files: build the device of every (strategy, recovery
 * image) pair the nodes use, through the sweep device builder, with every image a node
 * starts with or may receive as a download: core/boot must accept the layout for the
 * strategy and the signed images must fit. 0, or -1 with err set ("FILE: ...").
 */
static int build_devices(const struct bo_scenario *s, char *err, size_t errlen)
{
	struct bo_sweep *w = calloc(1, sizeof *w);
	struct bo_sweep_step *steps = calloc(s->firmware_count, sizeof *steps);
	bool *slot_image = calloc(s->firmware_count, sizeof *slot_image);
	bool *done = calloc(s->node_count, sizeof *done);
	int rc = 0;
	if (!w || !steps || !slot_image || !done) {
		snprintf(err, errlen, "%s: out of memory", s->file);
		rc = -1;
		goto out;
	}
	/* Images that live in the slots at some point: initial, rolled out, bad images. */
	slot_image[s->initiator.image] = true;
	for (size_t i = 0; i < s->node_count; i++)
		slot_image[s->nodes[i].firmware] = true;
	for (size_t i = 0; i < s->fault_count; i++)
		if (s->faults[i].kind == BO_FAULT_BAD_IMAGE)
			slot_image[s->faults[i].firmware] = true;
	snprintf(w->file, sizeof w->file, "%s", s->file);
	snprintf(w->name, sizeof w->name, "%s", s->name);
	w->device = s->device;
	w->attempts = s->attempts;
	w->allow_downgrade = s->allow_downgrade;
	memcpy(w->images, s->firmware, s->firmware_count * sizeof s->firmware[0]);
	w->image_count = s->firmware_count;
	w->steps = steps;
	for (size_t i = 0; i < s->firmware_count; i++) {
		if (!slot_image[i])
			continue;
		steps[w->step_count].kind = BO_STEP_DOWNLOAD;
		steps[w->step_count++].image = (int)i;
	}
	for (size_t i = 0; i < s->node_count && rc == 0; i++) {
		const struct bo_scn_node *n = &s->nodes[i];
		if (done[i])
			continue;
		for (size_t j = i; j < s->node_count; j++)
			if (s->nodes[j].strategy == n->strategy && s->nodes[j].recovery == n->recovery)
				done[j] = true;
		w->strategy = n->strategy;
		for (int p = 0; p < BO_SWEEP_PART_COUNT; p++)
			w->initial[p] = BO_SWEEP_UNSET;
		w->initial[BO_SWEEP_PART_PRIMARY] = n->firmware;
		if (n->recovery >= 0)
			w->initial[BO_SWEEP_PART_RECOVERY] = n->recovery;
		struct bo_sweep_device *d;
		rc = bo_sweep_device_build(w, &d, err, errlen);
		if (rc == 0)
			bo_sweep_device_free(d);
	}
out:
	free(done);
	free(slot_image);
	free(steps);
	free(w);
	return rc ? -1 : 0;
}

static int validate_scenario(const char *path)
{
	char err[BO_SCN_ERRLEN];
	struct bo_scenario *s;
	if (bo_scenario_load_file(path, &s, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	if (build_devices(s, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		bo_scenario_free(s);
		return EXIT_USAGE;
	}
	/* the plan's reach: targets the distribution's TTL or the relays cannot reach */
	uint32_t *hops = calloc(s->node_count ? s->node_count : 1, sizeof *hops), reach = 0;
	if (hops && !bo_scenario_reach(s, hops, &reach)) {
		unsigned far = 0;
		for (size_t i = 0; i < s->node_count; i++) {
			if (!s->nodes[i].target || hops[i] <= reach)
				continue;
			if (far++ < 3 && hops[i] == UINT32_MAX)
				printf("%s: warning: node %u has no relay path from the Distributor\n",
				       path, s->nodes[i].id);
			else if (far <= 3)
				printf("%s: warning: node %u is %u hops from the Distributor, the TTL "
				       "reaches %u: raise initiator.ttl / mesh.ttl, or add relays\n",
				       path, s->nodes[i].id, hops[i], reach);
		}
		if (far > 3)
			printf("%s: warning: %u targets in all are out of reach\n", path, far);
	}
	free(hops);
	char d[32];
	bo_scenario_format_duration(s->duration_us, d, sizeof d);
	printf("%s: valid scenario '%s' (%zu nodes, %s topology, %u target%s, %zu fault%s, "
	       "%zu expectation%s, %s)\n",
	       path, s->name, s->node_count, bo_scenario_topology_name(s->topology.kind),
	       s->initiator.target_count, s->initiator.target_count == 1 ? "" : "s",
	       s->fault_count, s->fault_count == 1 ? "" : "s", s->expect_count,
	       s->expect_count == 1 ? "" : "s", d);
	bo_scenario_free(s);
	return EXIT_OK;
}

static int validate_one(const char *path)
{
	char err[BO_SWEEP_ERRLEN];
	bool scenario;
	if (scenario_file(path, &scenario, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	if (scenario)
		return validate_scenario(path);
	struct bo_sweep *s;
	if (bo_sweep_load_file(path, &s, err, sizeof err)) {
		fprintf(stderr, "%s\n", err);
		return EXIT_USAGE;
	}
	/* Beyond the schema: the bootloader (core/boot or the plug-in) loads and accepts the
	 * layout and options, and the signed images fit. */
	struct sweep_build b;
	if (sweep_build(s, &b, err, sizeof err) ||
	    (sweep_build_check_firmware(s, &b, err, sizeof err) && (sweep_build_free(&b), 1))) {
		fprintf(stderr, "%s\n", err);
		bo_sweep_free(s);
		return EXIT_USAGE;
	}
	sweep_build_free(&b);
	printf("%s: valid sweep '%s' (%s on %s, %zu image%s, %zu step%s)\n", path, s->name,
	       sweep_firmware_label(s), s->device.label, s->image_count,
	       s->image_count == 1 ? "" : "s", s->step_count, s->step_count == 1 ? "" : "s");
	bo_sweep_free(s);
	return EXIT_OK;
}

/* Walk the arguments: options before "--", files anywhere else. With check set, only
 * options are acted on and files counted; otherwise each file is validated. */
static int walk(int argc, char **argv, bool check, int *nfiles)
{
	bool options = true;
	int rc = EXIT_OK;
	*nfiles = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (options && !strcmp(a, "--")) {
			options = false;
		} else if (options && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			if (check) {
				fputs(validate_help, stdout);
				return -1;
			}
		} else if (options && !strcmp(a, "--presets")) {
			if (check) {
				print_presets(stdout);
				return -1;
			}
		} else if (options && a[0] == '-' && a[1]) {
			if (check) {
				return cli_bad_argument("validate", a);
			}
		} else {
			(*nfiles)++;
			if (!check && validate_one(a) != EXIT_OK)
				rc = EXIT_USAGE;
		}
	}
	return rc;
}

int cmd_validate(int argc, char **argv)
{
	int nfiles;
	int rc = walk(argc, argv, true, &nfiles);
	if (rc < 0)
		return EXIT_OK; /* --help, --presets */
	if (rc)
		return rc;
	if (nfiles == 0) {
		fprintf(stderr, "brownout validate: give a file to check\n"
				"(see brownout validate --help)\n");
		return EXIT_USAGE;
	}
	return walk(argc, argv, false, &nfiles);
}
