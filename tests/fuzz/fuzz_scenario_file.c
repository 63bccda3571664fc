/*
 * tests/fuzz/fuzz_scenario_file.c: the scenario-file loader (sim/scenario_file.c) through its
 * public buffer entry point. Any input loads or is refused with a message naming
 * FILE:LINE:COL; never a crash.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/scenario_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bo_scenario *s = NULL;
	char err[512] = "";
	int rc = bo_scenario_load_buffer("fuzz.yaml", data, size, &s, err, sizeof err);
	if (rc == 0) {
		bo_scenario_free(s);
	} else if (s || strncmp(err, "fuzz.yaml", 9) != 0) {
		fprintf(stderr, "fuzz_scenario_file: refused without a FILE:LINE:COL message: %s\n",
			err);
		abort();
	}
	return 0;
}
