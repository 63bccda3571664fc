/* One device executing an update workload, with power cuts landing back here. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/firmware/coreboot.h"
#include "sim/sweep_runner.h"
#include "sim/sweep_trace.h"

#define DOWNLOAD_WRITE 256u /* the application writes the upgrade in pieces this big */
#define POISON 0xa5

const char *sweep_step_name(enum sweep_step_kind k)
{
	switch (k) {
	case SWEEP_STEP_POWER_ON:
		return "reboot";
	case SWEEP_STEP_DOWNLOAD:
		return "download";
	case SWEEP_STEP_REQUEST_TEST:
		return "request test";
	case SWEEP_STEP_REQUEST_PERM:
		return "request perm";
	case SWEEP_STEP_CONFIRM:
		return "confirm";
	case SWEEP_STEP_CORRUPT:
		return "corrupt";
	}
	return "?";
}

static void on_power_loss(void *ctx)
{
	struct sweep_node *n = ctx;
	longjmp(n->power_on, 1);
}

/* Before every call into the firmware: its log() lines follow the node's trace, and an
 * abort() in it lands on this node. fw_host_leave() after the call. */
static void enter_firmware(struct sweep_node *n)
{
	n->host.trace = n->trace;
	fw_host_enter(&n->host);
}

static int part_index(const struct sweep_node *n, const char *name)
{
	const struct bro_partition *p = bro_partition_find(&n->host.dev, name);
	return p ? (int)(p - n->host.dev.parts) : -1;
}

const char *sweep_part_name(const struct sweep_node *n, int part)
{
	return part >= 0 && (unsigned)part < n->host.dev.nparts ? n->host.dev.parts[part].name
								: "(none)";
}

/* configure(), with fail() and abort() landing here. */
static int call_configure(struct sweep_node *n, const struct bro_option *opts, unsigned nopts,
			  char *err, size_t errlen)
{
	char why[256] = "";
	n->host.fail_reason[0] = '\0';
	enter_firmware(n);
	if (setjmp(n->power_on)) {
		fw_host_leave();
		snprintf(err, errlen, "configure failed: %s", n->host.fail_reason);
		return -1;
	}
	int rc = n->fw->configure(&n->env, opts, nopts, why, sizeof why);
	fw_host_leave();
	if (rc < 0) {
		snprintf(err, errlen, "%s", *why ? why : "the firmware refuses this configuration");
		return -1;
	}
	return 0;
}

/* Choose and configure the firmware under test. */
static int bind_firmware(struct sweep_node *n, char *err, size_t errlen)
{
	const struct sweep_workload *w = n->w;
	struct bro_option cb_opts[4];
	char cb_buf[1200];
	const struct bro_option *opts = w->firmware.opts;
	unsigned nopts = w->firmware.nopts;
	if (w->firmware.plugin) {
		n->plugin = fw_plugin_open(w->firmware.plugin, err, errlen);
		if (!n->plugin)
			return -1;
		n->fw = fw_plugin_firmware(n->plugin);
	} else if (w->firmware.builtin) {
		n->fw = w->firmware.builtin;
		if (fw_check_table(n->fw, n->fw->name ? n->fw->name : "firmware", err, errlen))
			return -1;
	} else {
		n->fw = fw_coreboot();
		int k = fw_coreboot_options(w->strategy, w->attempts, w->allow_downgrade, w->keys,
					    cb_opts, cb_buf, sizeof cb_buf);
		if (k < 0) {
			snprintf(err, errlen, "too many bootloader keys");
			return -1;
		}
		opts = cb_opts;
		nopts = (unsigned)k;
	}
	n->config = calloc(1, n->fw->config_size ? n->fw->config_size : 1);
	n->ram = calloc(1, n->fw->ram_size ? n->fw->ram_size : 1);
	if (!n->config || !n->ram) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	n->env = (struct bro_env){&n->host.dev, n->config, n->ram};
	if (n->fw->configure && call_configure(n, opts, nopts, err, errlen))
		return -1;
	if (n->plugin)
		fw_plugin_mark(n->plugin); /* the globals every power-on starts from */
	return 0;
}

int sweep_node_init(struct sweep_node *n, const struct sweep_workload *w, char *err, size_t errlen)
{
	memset(n, 0, sizeof *n);
	n->w = w;
	n->dev = fsim_fork(w->initial);
	if (!n->dev) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	fsim_set_power_loss_handler(n->dev, on_power_loss, n);
	if (fw_host_init(&n->host, n->dev, w->flash_map, err, errlen)) {
		sweep_node_free(n);
		return -1;
	}
	n->host.fail_jmp = &n->power_on;
	n->part_primary = part_index(n, "primary");
	n->part_upgrade = part_index(n, "upgrade");
	n->part_recovery = part_index(n, "recovery");
	if (n->part_primary < 0 || n->part_upgrade < 0) {
		snprintf(err, errlen, "the device has no '%s' partition",
			 n->part_primary < 0 ? "primary" : "upgrade");
		sweep_node_free(n);
		return -1;
	}
	if (bind_firmware(n, err, errlen)) {
		sweep_node_free(n);
		return -1;
	}
	sweep_node_reset_obs(n);
	return 0;
}

void sweep_node_free(struct sweep_node *n)
{
	if (n->dev)
		fsim_destroy(n->dev);
	n->dev = NULL;
	fw_host_free(&n->host);
	fw_plugin_close(n->plugin);
	n->plugin = NULL;
	free(n->config);
	free(n->ram);
	n->config = n->ram = NULL;
}

void sweep_node_reset_obs(struct sweep_node *n)
{
	memset(&n->obs, 0, sizeof n->obs);
	n->obs.running = n->obs.primary = n->obs.upgrade = -1;
	n->obs.last = (struct sweep_boot){-1, -1};
}

void sweep_node_poison(struct sweep_node *n)
{
	if (n->ram)
		memset(n->ram, POISON, n->fw->ram_size);
	if (n->plugin)
		fw_plugin_reset(n->plugin);
}

int sweep_identify(const struct sweep_node *n, uint32_t off, uint32_t room)
{
	uint8_t buf[4096];
	for (int i = 0; i < n->w->nimages; i++) {
		const struct sweep_image *im = &n->w->images[i];
		if (im->len > room)
			continue;
		bool same = true;
		for (uint32_t k = 0; same && k < im->len; k += sizeof buf) {
			uint32_t len = im->len - k < sizeof buf ? im->len - k : (uint32_t)sizeof buf;
			fsim_peek(n->dev, off + k, buf, len);
			same = !memcmp(buf, im->bytes + k, len);
		}
		if (same)
			return i;
	}
	return -1;
}

int sweep_identify_part(const struct sweep_node *n, int part)
{
	if (part < 0)
		return -1;
	return sweep_identify(n, fw_host_part_abs(&n->host, part), n->host.dev.parts[part].size);
}

/* ---- Calls into the firmware ------------------------------------------------------------ */


static void app_error(struct sweep_node *n, const char *what)
{
	if (!n->obs.app_error)
		snprintf(n->obs.app_error_what, sizeof n->obs.app_error_what, "%s", what);
	n->obs.app_error = true;
}

static int fw_boot(struct sweep_node *n, struct bro_boot_result *res)
{
	memset(res, 0, sizeof *res);
	enter_firmware(n);
	int rc = n->fw->boot(&n->env, res);
	fw_host_leave();
	return rc;
}


static void fw_confirm(struct sweep_node *n)
{
	enter_firmware(n);
	int rc = n->fw->confirm(&n->env);
	fw_host_leave();
	if (rc < 0)
		app_error(n, "confirm failed");
}

static int fw_state(struct sweep_node *n, struct bro_app_state *st)
{
	memset(st, 0, sizeof *st);
	enter_firmware(n);
	int rc = n->fw->state(&n->env, st);
	fw_host_leave();
	return rc;
}

/* ---- Power-on ------------------------------------------------------------------------- */

static void note_boot(struct sweep_node *n, const struct bro_boot_result *res, int part, int image)
{
	n->obs.last = (struct sweep_boot){part, image};
	snprintf(n->obs.last_reason, sizeof n->obs.last_reason, "%s", res->reason);
	n->obs.boots++;
	if (n->trace) {
		if (!res->booted)
			printf("  boot %u: NOTHING BOOTABLE", n->obs.boots);
		else
			printf("  boot %u: %s at 0x%x, runs %s", n->obs.boots, sweep_part_name(n, part),
			       res->off, image >= 0 ? n->w->images[image].name : "bytes of no workload image");
		if (res->reason[0])
			printf(" (%s)", res->reason);
		printf("\n");
	}
}

/* Boot, then run the booted application's start-up (confirm, or crash and boot again). */
static void power_on(struct sweep_node *n)
{
	uint32_t crash_limit = 2u * (n->w->attempts ? n->w->attempts : 3u) + 4u;
	for (uint32_t crashes = 0;; crashes++) {
		sweep_node_poison(n);
		if (n->trace)
			sweep_trace_trailers(n->dev, stdout); /* what the boot is about to read */
		struct bro_boot_result res;
		int rc = fw_boot(n, &res);
		int part = -1, image = -1;
		uint32_t at = fw_host_abs(&n->host, res.flash, res.off); /* in the combined device */
		if (rc == 0 && res.booted && at != UINT32_MAX) {
			part = fw_host_part_at(&n->host, at);
			if (part >= 0)
				image = sweep_identify(n, at, fw_host_part_abs(&n->host, part) +
								  n->host.dev.parts[part].size - at);
		}
		note_boot(n, &res, part, image);
		if (rc < 0 && n->fault_run) {
			/* A flash error made the bootloader give up on this power-on: the
			 * watchdog resets the device, which tries again; never booting is I1. */
			if (crashes >= crash_limit) {
				n->obs.bricked = true;
				return;
			}
			continue;
		}
		if (rc < 0) {
			n->obs.fw_abort = true;
			snprintf(n->obs.fw_abort_reason, sizeof n->obs.fw_abort_reason,
				 "boot() returned %d%s%s", rc, res.reason[0] ? ": " : "", res.reason);
			return;
		}
		if (!res.booted) {
			n->obs.bricked = true;
			return;
		}
		if (image >= 0 && !n->w->images[image].bootable && !n->obs.ran_unbootable) {
			n->obs.ran_unbootable = true;
			n->obs.unbootable_image = image;
		}
		if (image < 0 && !n->obs.hybrid) {
			n->obs.hybrid = true;
			n->obs.hybrid_boot = (int)n->obs.boots;
		}
		n->obs.running = image;
		/* The application is the workload image's: its behaviour is the sweep file's
		 * (for built-in images also in its behaviour TLV). Unknown bytes act as good. */
		enum bo_app_behaviour how = image >= 0 ? n->w->images[image].behaviour : BO_APP_GOOD;
		if (how == BO_APP_CRASH_ON_BOOT) {
			if (crashes >= crash_limit) {
				n->obs.stuck = true;
				return;
			}
			continue; /* it resets before doing anything */
		}
		/* A working application confirms itself, wherever it runs: the recovery image
		 * too, so that its confirm path (which must confirm itself, never the failed
		 * primary) is swept like the primary's. */
		if (how == BO_APP_GOOD || how == BO_APP_NO_DFU)
			fw_confirm(n);
		return;
	}
}

static bool running_can_update(const struct sweep_node *n)
{
	int r = n->obs.running;
	return !n->obs.bricked && !n->obs.stuck && !n->obs.fw_abort &&
	       (r < 0 || n->w->images[r].behaviour != BO_APP_NO_DFU);
}

/* Does [off, off+len) of the combined device read as ev (its flash's erase value)? */
static bool range_erased(struct sweep_node *n, uint32_t off, uint32_t len, uint8_t ev)
{
	uint8_t buf[DOWNLOAD_WRITE];
	for (uint32_t k = 0; k < len; k += sizeof buf) {
		uint32_t m = len - k < sizeof buf ? len - k : (uint32_t)sizeof buf;
		if (fsim_read(n->dev, off + k, buf, m) != FSIM_OK)
			return false;
		for (uint32_t i = 0; i < m; i++)
			if (buf[i] != ev)
				return false;
	}
	return true;
}

/* brownout's default writer: the application writes an image into a partition, as a DFU
 * target would: clear a stale trailer first (erase the partition's last sector unless it
 * is blank), erase what the image covers, program it in pieces. */
static int default_write(struct sweep_node *n, int part, const uint8_t *bytes, uint32_t len)
{
	const struct bro_partition *p = &n->host.dev.parts[part];
	const struct bro_flash *fl = &n->host.flash_info[p->flash];
	uint32_t wu = fl->write_unit, start, size, last, base = fw_host_part_abs(&n->host, part);
	uint8_t buf[DOWNLOAD_WRITE];
	if (fw_host_sector(&n->host, base + p->size - 1, &last, &size))
		return -1;
	if (!range_erased(n, last, base + p->size - last, fl->erase_value) &&
	    fsim_erase(n->dev, last, base + p->size - last) != FSIM_OK)
		return -1;
	for (uint32_t off = 0; off < len; off = start + size - base)
		if (fw_host_sector(&n->host, base + off, &start, &size) ||
		    fsim_erase(n->dev, start, size) != FSIM_OK)
			return -1;
	for (uint32_t off = 0; off < len; off += DOWNLOAD_WRITE) {
		uint32_t k = len - off < DOWNLOAD_WRITE ? len - off : DOWNLOAD_WRITE;
		memcpy(buf, bytes + off, k);
		uint32_t padded = (k + wu - 1) / wu * wu;
		memset(buf + k, fl->erase_value, padded - k);
		if (fsim_program(n->dev, base + off, buf, padded) != FSIM_OK)
			return -1;
	}
	return 0;
}

static void download(struct sweep_node *n, const struct sweep_image *im)
{
	const struct bro_partition *up = &n->host.dev.parts[n->part_upgrade];
	int rc;
	if (n->fw->write_image) {
		enter_firmware(n);
		rc = n->fw->write_image(&n->env, up, im->bytes, im->len);
		fw_host_leave();
	} else {
		rc = default_write(n, n->part_upgrade, im->bytes, im->len);
	}
	if (rc < 0) {
		app_error(n, "download failed");
		n->obs.download_failed = true; /* the application does not ask to install it */
	}
}

/* The image the workload downloaded last before step s, or NULL. */
static const struct sweep_image *downloaded_before(const struct sweep_workload *w, int s)
{
	for (int k = s - 1; k >= 0; k--)
		if (w->steps[k].kind == SWEEP_STEP_DOWNLOAD)
			return &w->images[w->steps[k].image];
	return NULL;
}

/* Ask for the upgrade. A bootloader that had to erase part of the image to take the
 * request (BRO_DOWNLOAD_AGAIN) gets it downloaded again and asked once more, as an
 * application retrying its update would. */
static void fw_request(struct sweep_node *n, int s, bool permanent)
{
	const struct sweep_image *im = downloaded_before(n->w, s);
	int rc = BRO_DOWNLOAD_AGAIN;
	for (int attempt = 0; attempt < 2 && rc == BRO_DOWNLOAD_AGAIN; attempt++) {
		if (attempt) {
			if (!im)
				break;
			if (n->trace)
				printf("  download again: %s\n", im->name);
			download(n, im);
			if (n->obs.download_failed)
				return;
		}
		enter_firmware(n);
		rc = n->fw->request_upgrade(&n->env, permanent);
		fw_host_leave();
	}
	if (rc != 0)
		app_error(n, permanent ? "request perm failed" : "request test failed");
}

static void exec_step(struct sweep_node *n, int s)
{
	const struct sweep_step *st = &n->w->steps[s];
	if (n->trace)
		printf(" step %d: %s%s%s\n", s, sweep_step_name(st->kind),
		       st->kind == SWEEP_STEP_DOWNLOAD ? " " : "",
		       st->kind == SWEEP_STEP_DOWNLOAD ? n->w->images[st->image].name : "");
	switch (st->kind) {
	case SWEEP_STEP_POWER_ON:
		power_on(n);
		break;
	case SWEEP_STEP_DOWNLOAD:
		n->obs.download_failed = false;
		if (running_can_update(n))
			download(n, &n->w->images[st->image]);
		break;
	case SWEEP_STEP_REQUEST_TEST:
	case SWEEP_STEP_REQUEST_PERM:
		if (running_can_update(n) && !n->obs.download_failed)
			fw_request(n, s, st->kind == SWEEP_STEP_REQUEST_PERM);
		break;
	case SWEEP_STEP_CONFIRM:
		if (n->obs.last.part >= 0)
			fw_confirm(n);
		break;
	case SWEEP_STEP_CORRUPT: {
		/* Tampering: erase the partition's second sector, inside the payload of an image
		 * longer than two sectors (header and TLVs stay, the hash no longer matches).
		 * A flash operation like any other, so it is cut like any other. */
		int part = st->part == SWEEP_PART_PRIMARY  ? n->part_primary
			   : st->part == SWEEP_PART_UPGRADE ? n->part_upgrade
							    : n->part_recovery;
		uint32_t s0, z0, s1, z1, base = part >= 0 ? fw_host_part_abs(&n->host, part) : 0;
		if (part < 0 || fw_host_sector(&n->host, base, &s0, &z0) ||
		    fw_host_sector(&n->host, s0 + z0, &s1, &z1) || fsim_erase(n->dev, s1, z1) != FSIM_OK)
			app_error(n, "tampering failed");
		break;
	}
	}
}

static bool ended_badly(const struct sweep_obs *o)
{
	return o->bricked || o->stuck || o->fw_abort;
}

void sweep_node_end_state(struct sweep_node *n)
{
	struct sweep_obs *o = &n->obs;
	o->primary = sweep_identify_part(n, n->part_primary);
	o->upgrade = sweep_identify_part(n, n->part_upgrade);
	o->confirmed = false;
	if (ended_badly(o))
		return;
	if (o->last.part >= 0 && o->last.part == n->part_recovery) {
		o->confirmed = true; /* a plain reboot boots the recovery image again */
	} else if (o->last.part >= 0) {
		struct bro_app_state st;
		if (fw_state(n, &st) == 0)
			o->confirmed = st.confirmed != 0;
	}
}

static bool slot_matches(int expected, int observed)
{
	return expected == SWEEP_EXPECT_UNSET ||
	       (expected == SWEEP_EXPECT_NONE ? observed < 0 : expected == observed);
}

bool sweep_expect_met(const struct sweep_workload *w, const struct sweep_obs *o)
{
	const struct sweep_expect *e = &w->expect;
	if (ended_badly(o))
		return false;
	return slot_matches(e->running, o->running) &&
	       (e->confirmed < 0 || (bool)e->confirmed == o->confirmed) &&
	       slot_matches(e->primary, o->primary) && slot_matches(e->upgrade, o->upgrade);
}

static int run_from(struct sweep_node *n, int first, bool after_cut)
{
	const struct sweep_workload *w = n->w;
	/* volatile: read after a longjmp back into this frame */
	volatile int s = first;
	n->step = first;
	int landed = setjmp(n->power_on);
	if (landed) {
		fw_host_leave();
		if (landed == 1) { /* power cut */
			sweep_node_poison(n);
			return 1;
		}
		/* the firmware failed (fail() or abort()): this run ends here */
		n->obs.fw_abort = true;
		snprintf(n->obs.fw_abort_reason, sizeof n->obs.fw_abort_reason, "%s",
			 n->host.fail_reason);
		if (n->trace)
			printf("  FIRMWARE FAILED: %s\n", n->host.fail_reason);
		sweep_node_end_state(n);
		return 0;
	}
	/* Tampering is done with the power off: a cut just before or inside a corrupt step
	 * does not power the device on first (the next reboot step does). */
	if (after_cut && (s >= w->nsteps || (w->steps[s].kind != SWEEP_STEP_POWER_ON &&
					     w->steps[s].kind != SWEEP_STEP_CORRUPT))) {
		n->step = s;
		power_on(n); /* the restart; the interrupted application step runs again below */
	}
	for (; s < w->nsteps && !ended_badly(&n->obs); s++) {
		n->step = s;
		exec_step(n, s);
	}
	/* Convergence: up to K plain reboots, each a cut point too (step nsteps). */
	n->step = w->nsteps;
	for (uint32_t k = 0; k < w->extra_reboots && !ended_badly(&n->obs); k++) {
		sweep_node_end_state(n);
		if (sweep_expect_met(w, &n->obs))
			break;
		if (n->trace)
			printf(" convergence reboot %u\n", k + 1);
		power_on(n);
	}
	sweep_node_end_state(n);
	return 0;
}

int sweep_node_run(struct sweep_node *n, int first)
{
	return run_from(n, first, false);
}

int sweep_node_resume(struct sweep_node *n, int step)
{
	return run_from(n, step, true);
}
