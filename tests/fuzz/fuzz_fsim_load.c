/*
 * tests/fuzz/fuzz_fsim_load.c: the device-file loader (flashsim fsim_load) on arbitrary
 * files: the input is written to a private temporary file and loaded; it loads or is
 * refused with a message, never a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "flashsim/flashsim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];

static void remove_tmp(void)
{
	unlink(path);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!path[0]) {
		const char *tmp = getenv("TMPDIR");
		snprintf(path, sizeof path, "%s/fuzz-fsim-XXXXXX", tmp && strlen(tmp) < 40 ? tmp : "/tmp");
		int fd = mkstemp(path);
		if (fd < 0)
			abort();
		close(fd);
		atexit(remove_tmp);
	}
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, size, f) != size || fclose(f))
		abort();
	char err[512] = "";
	struct fsim_device *dev = fsim_load(path, err, sizeof err);
	if (dev)
		fsim_destroy(dev);
	else if (!err[0]) {
		fprintf(stderr, "fuzz_fsim_load: refused without a message\n");
		abort();
	}
	return 0;
}
