/*
 * sim/sweep_build.h: a loaded sweep file (sim/sweep_file.h) as a runnable workload
 * (sim/sweep_runner.h). The device, its partitions, initial content, keys and signed
 * images come from sim/sweep_device.h; this adds the workload: steps (after an initial
 * power-on), expectations and the cut options.
 */
#ifndef SIM_SWEEP_BUILD_H
#define SIM_SWEEP_BUILD_H

#include "sim/sweep_device.h"
#include "sim/sweep_engine.h"
#include "sim/sweep_file.h"

struct sweep_build {
	struct sweep_workload w;
	struct bro_option options[BO_SWEEP_MAX_OPTIONS]; /* firmware.options, pointing into s */
	struct bo_sweep_device *device; /* owns the flash, keys and image bytes */
};

/* Build; -1 with err set when the file describes something that cannot be built. */
int sweep_build(const struct bo_sweep *s, struct sweep_build *b, char *err, size_t errlen);
void sweep_build_free(struct sweep_build *b);
/* Load and configure the firmware once, as every sweep worker will: a plug-in that cannot be
 * loaded, lacks a required function, or refuses the options or the layout is bad input,
 * reported at the file's `firmware` key. 0, or -1 with err set. */
int sweep_build_check_firmware(const struct bo_sweep *s, const struct sweep_build *b, char *err,
			       size_t errlen);
/* What is swept, for summaries: core/boot's strategy, or the plug-in's file name. */
const char *sweep_firmware_label(const struct bo_sweep *s);
/* The modes of o joined by sep: "between+torn", "between,torn,bad-sector", ... */
void sweep_modes_string(const struct sweep_options *o, char sep, char *buf, size_t len);
/* The cut options the file asks for (the command line may override them). */
void sweep_build_options(const struct bo_sweep *s, struct sweep_options *o);

#endif
