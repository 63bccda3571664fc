/* `brownout mount` in a build without libfuse3: say how to get it. */
#include <stdio.h>

#include "tools/commands.h"

int cmd_mount(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	fprintf(stderr, "brownout mount: this build has no FUSE support: install libfuse3-dev "
		"and fuse3 (tools/setup-deps.sh) and set up the build again\n");
	return EXIT_USAGE;
}
