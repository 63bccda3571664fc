/*
 * sim/sweep_runner.h: one simulated device executing an update workload.
 *
 * A workload is the life of one device during an update: power-on (the bootloader runs,
 * then the application its booted image describes), then steps the running application
 * takes (download an image into the upgrade slot, request the upgrade, confirm) and
 * reboots. The runner executes steps on a flashsim device; a power cut longjmps back into
 * the runner, which poisons the device's RAM (the bootloader workspace) and powers on
 * again from flash alone.
 */
#ifndef SIM_SWEEP_RUNNER_H
#define SIM_SWEEP_RUNNER_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/boot/boot.h"
#include "core/port/mbedtls/crypto_mbedtls.h"
#include "flashsim/flashsim.h"

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

struct sweep_node;

/*
 * The firmware under test. NULL in a workload means core/boot; tests substitute
 * deliberately broken miniature bootloaders to prove the sweeps catch their bugs. Each
 * function works on the node's flash (n->cfg areas) and keeps RAM only in n->ram, which
 * a power cut poisons.
 */
struct sweep_firmware {
	size_t ram_size;
	int (*boot)(struct sweep_node *n, struct bo_boot_result *res);
	int (*request)(struct sweep_node *n, bool permanent);
	int (*confirm)(struct sweep_node *n);
	int (*state)(struct sweep_node *n, struct bo_app_state *out);
};

/* Everything that defines a sweep's device and workload. Step 0 is always a power-on. */
struct sweep_workload {
	char name[64];
	const struct fsim_device *initial; /* geometry, partitions and initial content */
	enum bo_strategy strategy;
	uint8_t attempts;
	bool allow_downgrade;
	const struct bo_keyring *keys;      /* spki storage must outlive the workload */
	struct sweep_image images[SWEEP_MAX_IMAGES];
	int nimages;
	struct sweep_step steps[SWEEP_MAX_STEPS];
	int nsteps;
	struct sweep_expect expect;
	uint32_t extra_reboots;             /* K: uncut reboots allowed to converge */
	int initial_primary;                /* image index in the primary before the workload */
	int initial_recovery;               /* image index in the recovery partition, or -1 */
	const struct sweep_firmware *firmware; /* NULL: core/boot */
};

/* What one boot did. */
struct sweep_boot {
	enum bo_boot_slot slot;
	int image;               /* workload image the booted slot holds, -1: none matches */
	enum bo_boot_action action;
	enum bo_image_err refused;
	bool trial;
};

#define SWEEP_BOOTS_KEPT 16

/* What a run observed: the raw material for the invariants. */
struct sweep_obs {
	uint32_t boots;
	struct sweep_boot boot[SWEEP_BOOTS_KEPT]; /* the first ones */
	struct sweep_boot last;
	bool bricked;            /* a boot found nothing it may boot */
	bool hybrid;             /* a boot ran bytes that are none of the workload's images */
	int hybrid_boot;
	bool ran_unbootable;     /* a boot ran a rogue or corrupt image */
	int unbootable_image;
	bool stuck;              /* a crash loop did not settle */
	bool app_error;          /* an application step failed (e.g. flash error) */
	/* End state */
	int running;
	bool confirmed;
	int primary;
	int upgrade;
};

/* Memo of ECDSA verifications: verifying is a pure function of (key, digest, signature),
 * and a sweep verifies the same few images thousands of times. Host-side, like a crypto
 * accelerator: the firmware sees the same answers, only sooner. */
#define SWEEP_VERIFY_MEMO 16
struct sweep_verify_memo {
	uint8_t digest[32];
	uint64_t sig_hash; /* of the signature and the key */
	int result;
	bool used;
};

/* Memo of SHA-256 streams, the same idea for hashing: the bootloader hashes the same few
 * images on every boot. The stream is copied and fingerprinted with a fast 128-bit hash;
 * only a fingerprint never seen before pays for the real SHA-256. */
#define SWEEP_HASH_MEMO 16
struct sweep_hash_memo {
	uint64_t fp[2];
	uint64_t len;
	uint8_t digest[32];
	bool used;
};

struct sweep_hash_stream {
	uint8_t *buf;
	size_t len, cap;
	uint64_t fp[2];
};

/* A device: flash, ports, and the RAM of its firmware. */
struct sweep_node {
	const struct sweep_workload *w;
	struct fsim_device *dev;
	struct bo_flash port;
	struct bo_boot_cfg cfg;
	struct bo_crypto_mbedtls crypto_state;
	struct bo_crypto crypto;
	struct sweep_verify_memo memo[SWEEP_VERIFY_MEMO];
	unsigned memo_next;      /* round-robin replacement */
	struct sweep_hash_memo hash_memo[SWEEP_HASH_MEMO];
	unsigned hash_memo_next;
	struct sweep_hash_stream stream;
	int (*verify)(void *ctx, const uint8_t *spki_der, size_t spki_len, const uint8_t *digest,
		      const uint8_t *sig_der, size_t sig_len); /* the backend's own */
	struct bo_boot boot;     /* bootloader and application RAM: poisoned at power loss */
	void *ram;               /* a substitute firmware's RAM (w->firmware), poisoned too */
	jmp_buf power_on;        /* where a power cut lands */
	bool jump_armed;
	int step;                /* workload step in progress */
	struct sweep_obs obs;
	bool trace;              /* print boot decisions (replay --trace) */
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

/* Which workload image the first len bytes of an area hold; -1 if none. */
int sweep_identify(const struct sweep_node *n, const struct bo_flash_area *a);

const char *sweep_step_name(enum sweep_step_kind k);

#endif
