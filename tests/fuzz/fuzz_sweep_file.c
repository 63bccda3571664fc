/*
 * tests/fuzz/fuzz_sweep_file.c: the sweep-file loader (sim/sweep_file.c) through its
 * public buffer entry point. Any input loads or is refused with a message naming
 * FILE:LINE:COL; never a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sweep_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bo_sweep *s = NULL;
	char err[512] = "";
	int rc = bo_sweep_load_buffer("fuzz.yaml", data, size, &s, err, sizeof err);
	if (rc == 0) {
		bo_sweep_free(s);
	} else if (s || strncmp(err, "fuzz.yaml", 9) != 0) {
		fprintf(stderr, "fuzz_sweep_file: refused without a FILE:LINE:COL message: %s\n",
			err);
		abort();
	}
	return 0;
}
