/* brownout/sweep.h: a sweep file run from a user's program, as `brownout sweep --no-db`. */
#include <stdio.h>
#include <string.h>

#include "brownout/sweep.h"
#include "sim/sweep_build.h"

int bro_sweep_file(const char *path, unsigned jobs, struct bro_sweep_summary *out, char *err,
		   size_t errlen)
{
	memset(out, 0, sizeof *out);
	struct bo_sweep *s;
	if (bo_sweep_load_file(path, &s, err, errlen))
		return 2;
	struct sweep_build b;
	if (sweep_build(s, &b, err, errlen)) {
		bo_sweep_free(s);
		return 2;
	}
	int rc = 2;
	struct sweep_options o;
	sweep_build_options(s, &o);
	o.jobs = jobs ? jobs : 1;
	struct sweep_result r;
	if (sweep_build_check_firmware(s, &b, err, errlen) == 0 &&
	    sweep_run(&b.w, &o, &r, err, errlen) == 0) {
		out->workload_ops = r.workload_ops;
		out->cut_points = r.cut_points;
		out->failing_cuts = r.failing_cuts;
		out->false_positives = r.false_positives;
		if (r.nkept) {
			snprintf(out->first_repro, sizeof out->first_repro, "%s", r.kept[0].repro);
			snprintf(out->first_failure, sizeof out->first_failure, "%.20s: %.159s",
				 sweep_invariant_name(r.kept[0].inv), r.kept[0].detail);
		}
		rc = r.failing_cuts ? 1 : 0;
		sweep_result_free(&r);
	}
	sweep_build_free(&b);
	bo_sweep_free(s);
	return rc;
}
