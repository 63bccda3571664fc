/*
 * sim/sweep_runner.h: one simulated device executing an update workload.
 *
 * A workload is the life of one device during an update: power-on (the bootloader runs,
 * then the application its booted image describes), then steps the running application
 * takes (download an image into the upgrade slot, request the upgrade, confirm) and
 * reboots. The runner executes steps on a flashsim device with the firmware under test
 * (include/brownout/firmware.h: core/boot by default, or a plug-in); a power cut longjmps
 * back into the runner, which poisons the firmware's RAM (and restores a plug-in's globals)
 * and powers on again from flash alone. What a boot ran is judged by content: the bytes at
 * the offset the firmware jumps to, compared with the workload's images.
 */
#ifndef SIM_SWEEP_RUNNER_H
#define SIM_SWEEP_RUNNER_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "brownout/firmware.h"
#include "core/boot/boot.h"
#include "flashsim/flashsim.h"
#include "sim/firmware/host.h"
#include "sim/firmware/plugin.h"

#define SWEEP_MAX_IMAGES 32
#define SWEEP_MAX_STEPS 258 /* a power-on, then up to 256 file steps */
#define SWEEP_NAME_MAX 32

struct sweep_image {
	char name[SWEEP_NAME_MAX];
	uint8_t *bytes;          /* the signed image, as downloaded (no trailer) */
	uint32_t len;
	enum bo_app_behaviour behaviour;
	bool bootable;           /* signed by a trusted key and intact: the only kind that may run */
};

enum sweep_step_kind {
	SWEEP_STEP_POWER_ON = 0, /* boot, then the booted application runs */
	SWEEP_STEP_DOWNLOAD,     /* the application writes an image into the upgrade slot */
	SWEEP_STEP_REQUEST_TEST,
	SWEEP_STEP_REQUEST_PERM,
	SWEEP_STEP_CONFIRM,      /* the application confirms itself explicitly */
	SWEEP_STEP_CORRUPT,      /* tampering: the second sector of a partition erased */
};

struct sweep_step {
	enum sweep_step_kind kind;
	int image;               /* DOWNLOAD: index into images */
	int part;                /* CORRUPT: enum sweep_part */
};

enum sweep_part { SWEEP_PART_PRIMARY = 0, SWEEP_PART_UPGRADE, SWEEP_PART_RECOVERY };

/* Optional end-state expectations: an image index, SWEEP_EXPECT_UNSET (not checked) or
 * SWEEP_EXPECT_NONE (the slot holds none of the workload's images). */
#define SWEEP_EXPECT_UNSET (-1)
#define SWEEP_EXPECT_NONE (-2)
struct sweep_expect {
	int running;             /* image index running at the end */
	int confirmed;           /* 0 or 1 */
	int primary;             /* image index the primary slot holds */
	int upgrade;             /* image index the upgrade slot holds */
};

/*
 * The firmware under test (include/brownout/firmware.h). All zero: core/boot, configured
 * from the workload's strategy, attempts, allow_downgrade and keys. Otherwise a shared
 * object (plugin, loaded per node with its globals reset at every power-on) or an
 * in-process table (builtin: tests), configured with opts.
 */
struct sweep_fw {
	const char *plugin;                 /* path of a shared object */
	const struct bro_firmware *builtin;
	const struct bro_option *opts;
	unsigned nopts;
};

/* Everything that defines a sweep's device and workload. Step 0 is always a power-on. */
struct sweep_workload {
	char name[64];
	const struct fsim_device *initial; /* geometry, partitions and initial content */
	const struct fw_flash_map *flash_map; /* several flash devices laid end to end in
						 initial (NULL: one) */
	enum bo_strategy strategy;          /* core/boot only */
	uint8_t attempts;                   /* core/boot only */
	bool allow_downgrade;               /* core/boot only */
	const struct bo_keyring *keys;      /* core/boot only; must outlive the workload */
	struct sweep_fw firmware;
	bool no_fall_back;                  /* the bootloader never reverts nor falls to
					       recovery (overwrite): no I6 */
	struct sweep_image images[SWEEP_MAX_IMAGES];
	int nimages;
	struct sweep_step steps[SWEEP_MAX_STEPS];
	int nsteps;
	struct sweep_expect expect;
	uint32_t extra_reboots;             /* K: uncut reboots allowed to converge */
	int initial_primary;                /* image index in the primary before the workload */
	int initial_recovery;               /* image index in the recovery partition, or -1 */
};

/* What one boot did. */
struct sweep_boot {
	int part;                /* partition index of the device it runs from; -1: nothing */
	int image;               /* workload image at the booted offset, -1: none matches */
};

/* What a run observed: the raw material for the invariants. */
struct sweep_obs {
	uint32_t boots;
	struct sweep_boot last;
	char last_reason[96];    /* the firmware's word on its last boot decision */
	bool bricked;            /* a boot found nothing it may boot */
	bool hybrid;             /* a boot ran bytes that are none of the workload's images */
	int hybrid_boot;
	bool ran_unbootable;     /* a boot ran a rogue or corrupt image */
	int unbootable_image;
	bool stuck;              /* a crash loop did not settle */
	bool app_error;          /* an application call failed */
	bool download_failed;    /* the last download failed (a flash error): no request */
	char app_error_what[64];
	bool fw_abort;           /* the firmware failed an assertion or aborted */
	char fw_abort_reason[160];
	/* End state */
	int running;
	bool confirmed;
	int primary;
	int upgrade;
};

/* A device: flash, the firmware under test and its RAM. */
struct sweep_node {
	const struct sweep_workload *w;
	struct fsim_device *dev;
	struct fw_host host;     /* the device as the firmware sees it */
	const struct bro_firmware *fw;
	struct fw_plugin *plugin; /* NULL for core/boot and built-in tables */
	struct bro_env env;
	void *config;            /* fw->config_size bytes, kept across power cuts */
	void *ram;               /* fw->ram_size bytes, poisoned at every power-on */
	int part_primary, part_upgrade, part_recovery; /* partition indexes, -1: none */
	jmp_buf power_on;        /* where a power cut (1) or a firmware failure (2) lands */
	int step;                /* workload step in progress */
	struct sweep_obs obs;
	bool trace;              /* print boot decisions (replay --trace) */
	bool fault_run;          /* a flash-error run: boot() failing is a reset, not an abort */
};

/* Bind a node to a workload on its own device (a fork of w->initial). */
int sweep_node_init(struct sweep_node *n, const struct sweep_workload *w, char *err, size_t errlen);
void sweep_node_free(struct sweep_node *n);

/*
 * Run steps [first, nsteps) and then up to K convergence reboots (step index nsteps), uncut
 * unless a cut is armed on the device. When a cut fires, the runner longjmps to its power-on
 * point: the node's RAM is poisoned and the function returns 1 with n->step the step the cut
 * interrupted, for the caller to continue with sweep_node_resume(). Returns 0 when the run
 * finished; n->obs then holds what it observed and the end state.
 */
int sweep_node_run(struct sweep_node *n, int first);

/*
 * Continue after a power cut that interrupted step `step`: power on (a cut during a boot
 * means that boot is repeated), re-run the interrupted application step if it was one, then
 * the rest of the workload and the convergence reboots. Returns like sweep_node_run().
 */
int sweep_node_resume(struct sweep_node *n, int step);

/* Forget what earlier runs observed (before a continuation is judged on its own). */
void sweep_node_reset_obs(struct sweep_node *n);

/* Poison the firmware's RAM, as a power cut does. */
void sweep_node_poison(struct sweep_node *n);

/* Fill obs's end state from flash. */
void sweep_node_end_state(struct sweep_node *n);

/* Does the end state meet w->expect? */
bool sweep_expect_met(const struct sweep_workload *w, const struct sweep_obs *o);

/* Which workload image, whole, starts at device offset off, with at most room bytes
 * before the end of its partition; -1 if none. */
int sweep_identify(const struct sweep_node *n, uint32_t off, uint32_t room);
/* The same for the start of partition index part (-1: none). */
int sweep_identify_part(const struct sweep_node *n, int part);
/* The name of partition index part of the node's device ("(none)" for -1). */
const char *sweep_part_name(const struct sweep_node *n, int part);

const char *sweep_step_name(enum sweep_step_kind k);

#endif
