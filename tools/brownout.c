/* brownout: one binary, git-style subcommands (DESIGN.md section 7). */
#include <stdio.h>
#include <string.h>

#include "tools/commands.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"boot", cmd_boot, "power a saved device (a device file) on once, print the decision"},
	{"flash-demo", cmd_flash_demo, "cut power during an update-like write pattern, show the flash"},
	{"image", cmd_image, "keygen | sign | verify | dump MCUboot images"},
	{"mount", cmd_mount, "a device file's flash as files: partitions, images, trailers (FUSE)"},
	{"report", cmd_report, "render outcome databases (md, html, junit, json), gate on a baseline, merge shards"},
	{"run", cmd_run, "simulate a mesh scenario's rollout per seed (scenarios/mesh/*.yaml)"},
	{"sweep", cmd_sweep, "power-cut sweep of an update workload (scenarios/sweeps/*.yaml)"},
	{"validate", cmd_validate, "check sweep and scenario files against their schema (no run)"},
};

static void usage(FILE *out)
{
	fprintf(out, "usage: brownout <command> [args]   (brownout <command> --help)\n\ncommands:\n");
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		fprintf(out, "  %-12s %s\n", subcommands[i].name, subcommands[i].summary);
	fprintf(out, "\nexit codes: 0 ok, 1 a check failed, 2 bad input or usage\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof subcommands / sizeof subcommands[0]; i++)
		if (!strcmp(argv[1], subcommands[i].name))
			return subcommands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "brownout: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
