/*
 * brownout/sweep.h: run a sweep file from your own program (libbrownout).
 *
 * The same as `brownout sweep FILE --no-db`: load the file (and its firmware plug-in),
 * cut power at every flash operation of its workload, judge every cut. For a test program
 * of your own that sweeps your bootloader plug-in:
 *
 *     struct bro_sweep_summary s;
 *     char err[512];
 *     int rc = bro_sweep_file("my-boot.yaml", 2, &s, err, sizeof err);
 *     // rc: 0 every invariant held, 1 a cut failed (s.first_repro says which), 2 bad input
 *
 * Build with `pkg-config --cflags --libs brownout`.
 */
#ifndef BROWNOUT_SWEEP_H
#define BROWNOUT_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct bro_sweep_summary {
	uint64_t workload_ops;    /* flash operations of the uncut workload */
	uint64_t cut_points;      /* cut points checked */
	uint64_t failing_cuts;    /* cut points that broke an invariant */
	uint64_t false_positives; /* I6: fell back although the new image was good */
	char first_repro[96];     /* repro ID of the first failure ("" when none) */
	char first_failure[200];  /* what broke there */
};

/* Sweep path with jobs threads (0: 1). 0: every invariant held; 1: a failure; 2: bad input
 * or the sweep could not run (err says why, FILE:LINE:COL for file errors). */
int bro_sweep_file(const char *path, unsigned jobs, struct bro_sweep_summary *out, char *err,
		   size_t errlen);

#ifdef __cplusplus
}
#endif

#endif
