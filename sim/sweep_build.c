/* From a sweep file to a workload: steps, expectations, images (built by sweep_device). */
#include <stdio.h>
#include <string.h>

#include "sim/sweep_build.h"

static int map_expect(int v)
{
	return v == BO_SWEEP_NO_IMAGE ? SWEEP_EXPECT_NONE : v < 0 ? SWEEP_EXPECT_UNSET : v;
}

static enum sweep_step_kind step_kind(const struct bo_sweep_step *st)
{
	switch (st->kind) {
	case BO_STEP_DOWNLOAD:
		return SWEEP_STEP_DOWNLOAD;
	case BO_STEP_REQUEST:
		return st->permanent ? SWEEP_STEP_REQUEST_PERM : SWEEP_STEP_REQUEST_TEST;
	case BO_STEP_CONFIRM:
		return SWEEP_STEP_CONFIRM;
	case BO_STEP_CORRUPT:
		return SWEEP_STEP_CORRUPT;
	case BO_STEP_REBOOT:
		break;
	}
	return SWEEP_STEP_POWER_ON;
}

int sweep_build(const struct bo_sweep *s, struct sweep_build *b, char *err, size_t errlen)
{
	memset(b, 0, sizeof *b);
	if (s->image_count > SWEEP_MAX_IMAGES || s->step_count + 1 > SWEEP_MAX_STEPS) {
		snprintf(err, errlen, "%s: too many images or steps", s->file);
		return -1;
	}
	if (bo_sweep_device_build(s, &b->device, err, errlen))
		return -1;
	struct sweep_workload *w = &b->w;
	snprintf(w->name, sizeof w->name, "%s", s->name);
	w->initial = b->device->dev;
	w->flash_map = b->device->map.n > 1 ? &b->device->map : NULL;
	w->strategy = b->device->cfg.strategy;
	w->attempts = b->device->cfg.attempts;
	w->allow_downgrade = b->device->cfg.allow_downgrade;
	w->keys = &b->device->keys;
	w->no_fall_back = w->strategy == BO_STRATEGY_OVERWRITE && !s->plugin[0];
	if (s->plugin[0]) {
		for (size_t i = 0; i < s->option_count; i++)
			b->options[i] = (struct bro_option){s->options[i].key, s->options[i].value};
		w->firmware = (struct sweep_fw){.plugin = s->plugin, .opts = b->options,
						.nopts = (unsigned)s->option_count};
	}
	w->extra_reboots = 3;
	for (size_t i = 0; i < s->image_count; i++) {
		const struct bo_sweep_image *si = &s->images[i];
		struct sweep_image *im = &w->images[w->nimages++];
		snprintf(im->name, sizeof im->name, "%s", si->name);
		im->bytes = b->device->images[i].bytes; /* borrowed */
		im->len = b->device->images[i].len;
		im->behaviour = (enum bo_app_behaviour)si->behaviour;
		im->bootable = si->bootable;
	}
	w->initial_primary = s->initial[BO_SWEEP_PART_PRIMARY];
	w->initial_recovery = s->initial[BO_SWEEP_PART_RECOVERY];
	/* The workload starts with the device powering on with its initial images. */
	w->steps[w->nsteps++] = (struct sweep_step){SWEEP_STEP_POWER_ON, -1};
	for (size_t i = 0; i < s->step_count; i++)
		w->steps[w->nsteps++] = (struct sweep_step){step_kind(&s->steps[i]),
							    s->steps[i].kind == BO_STEP_DOWNLOAD
								    ? s->steps[i].image
								    : -1,
							    s->steps[i].part == BO_SWEEP_PART_PRIMARY
								    ? SWEEP_PART_PRIMARY
							    : s->steps[i].part == BO_SWEEP_PART_UPGRADE
								    ? SWEEP_PART_UPGRADE
								    : SWEEP_PART_RECOVERY};
	w->expect = (struct sweep_expect){
		.running = map_expect(s->expect.running),
		.confirmed = s->expect.has_confirmed ? (int)s->expect.confirmed : -1,
		.primary = map_expect(s->expect.primary),
		.upgrade = map_expect(s->expect.upgrade),
	};
	return 0;
}

int sweep_build_check_firmware(const struct bo_sweep *s, const struct sweep_build *b, char *err,
			       size_t errlen)
{
	struct sweep_node n;
	char why[BO_SWEEP_ERRLEN];
	if (sweep_node_init(&n, &b->w, why, sizeof why) == 0) {
		sweep_node_free(&n);
		return 0;
	}
	if (s->plugin[0])
		snprintf(err, errlen, "%s:%u:%u: key 'firmware': %s", s->file, s->firmware_line,
			 s->firmware_col, why);
	else
		snprintf(err, errlen, "%s: %s", s->file, why);
	return -1;
}

void sweep_build_free(struct sweep_build *b)
{
	bo_sweep_device_free(b->device);
	b->device = NULL;
}

void sweep_build_options(const struct bo_sweep *s, struct sweep_options *o)
{
	memset(o, 0, sizeof *o);
	o->between = s->cuts.between;
	o->torn = s->cuts.torn;
	o->metastable = s->cuts.metastable;
	o->faults = s->cuts.faults;
	o->faults_may_brick = s->cuts.faults_may_brick;
	o->depth = s->cuts.depth ? s->cuts.depth : 1;
	o->jobs = 1;
	o->seed = 1;
}

const char *sweep_firmware_label(const struct bo_sweep *s)
{
	if (!s->plugin[0])
		return bo_sweep_strategy_name(s->strategy);
	const char *slash = strrchr(s->plugin, '/');
	return slash ? slash + 1 : s->plugin;
}

void sweep_modes_string(const struct sweep_options *o, char sep, char *buf, size_t len)
{
	size_t n = 0;
	buf[0] = '\0';
	if (o->between)
		n += (size_t)snprintf(buf + n, len - n, "between");
	if (o->torn && n < len)
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? (char[]){sep, 0} : "", "torn");
	for (int k = 0; k < FSIM_FAULT_KINDS && n < len; k++)
		if (o->faults >> k & 1u)
			n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? (char[]){sep, 0} : "",
					      fsim_fault_name((enum fsim_fault_kind)k));
}
