/*
 * brownout/firmware.h: the firmware-under-test interface.
 *
 * brownout sweeps a bootloader by cutting power at every flash operation of an update
 * workload. The bootloader is a plug-in: a shared object that exports
 *
 *     const struct bro_firmware *brownout_firmware(void);
 *
 * returning a table of callbacks (below). brownout owns the flash and everything else:
 * the plug-in sees the device only through struct bro_device, and keeps its state in
 * memory brownout gives it (env->config, env->ram) or in its own globals.
 *
 * The rules a plug-in can rely on, and must respect:
 *
 * 1. Power loss does not return. A cut inside bro_device.program or .erase (or between
 *    two operations) never returns to the plug-in: brownout longjmps out of it, applies
 *    the cut (a torn program, an interrupted erase), then powers the device on again.
 *    Write the plug-in as firmware: every piece of progress that must survive a reset is
 *    in flash. (Plain C only: no C++ destructors run on that path.)
 * 2. RAM is lost at every power-on. Before each call that starts a power-on (boot),
 *    brownout fills env->ram with a poison pattern and restores the plug-in's globals
 *    (.data and .bss) to the contents they had right after configure(), as a real
 *    device's start-up code would. Memory the plug-in got from malloc is NOT reset: a
 *    bootloader should not use a heap.
 * 3. brownout judges by content, never by the plug-in's word. After each boot it reads
 *    the bytes at the offset the plug-in says it jumps to and checks that they are one of
 *    the workload's images, whole, and one allowed to run; the end state is read from
 *    flash (which image each slot holds) and from state().
 * 4. A failing assertion is a finding, not a crash. Call env->dev->fail(host, why) (it
 *    does not return); abort() and assert() are caught too (SIGABRT), less politely.
 *    Either way the cut fails with its repro ID and the reason.
 * 5. Each sweep worker thread loads its own copy of the shared object, so globals are
 *    never shared between threads, and results are identical for any --jobs.
 * 6. Every call returns 0 on success and a negative value on failure; a failed
 *    application call (write_image, request_upgrade, confirm) is reported as an
 *    application error, apart from the bootloader invariants.
 *
 * A complete minimal plug-in is in the README ("Sweep your own bootloader") and in
 * tests/plugin/example_plugin.c. Build it out of tree with:
 *
 *     cc -shared -fPIC -o my-boot.so my_boot.c $(pkg-config --cflags --libs brownout)
 *
 * and name it in a sweep file: `firmware: {plugin: ./my-boot.so, options: {key: value}}`.
 */
#ifndef BROWNOUT_FIRMWARE_H
#define BROWNOUT_FIRMWARE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped when struct bro_firmware or struct bro_device change incompatibly. */
#define BRO_FIRMWARE_ABI 1

/* ---- What brownout gives the firmware ---------------------------------------------- */

/* A run of equal sectors. */
struct bro_sector_region {
	uint32_t size;   /* bytes per sector */
	uint32_t count;
};

/* One flash device (internal flash, an external SPI NOR, ...). */
struct bro_flash {
	const char *name;                         /* "internal", "spi", ... */
	uint32_t size;                            /* bytes */
	const struct bro_sector_region *regions;  /* from offset 0 up, covering size */
	unsigned nregions;
	uint32_t write_unit;                      /* program offset and length align to it */
	uint32_t read_unit;                       /* 1 on NOR */
	uint8_t erase_value;                      /* 0xff (NOR) or 0x00 */
};

/* A named range of one flash device: "boot", "primary", "upgrade", "scratch",
 * "recovery", "status", "storage", ... (whatever the sweep file's layout names). */
struct bro_partition {
	const char *name;
	unsigned flash;  /* index into bro_device.flash */
	uint32_t off;    /* device offset, sector aligned */
	uint32_t size;   /* bytes, whole sectors */
};

/*
 * The simulated device. All offsets are device offsets (not partition offsets). read,
 * program and erase return 0, or a negative value when the operation breaks a rule
 * (out of range, unaligned, programming a unit that is not erased, a write-protected
 * region) or when a flash-error sweep makes this operation fail.
 */
struct bro_device {
	void *host; /* brownout's: pass it back to every call below */

	const struct bro_flash *flash;
	unsigned nflash;
	const struct bro_partition *parts;
	unsigned nparts;

	int (*read)(void *host, unsigned flash, uint32_t off, void *buf, uint32_t len);
	/* off and len aligned to write_unit; only bits away from erase_value can change */
	int (*program)(void *host, unsigned flash, uint32_t off, const void *buf, uint32_t len);
	/* off and len cover whole sectors */
	int (*erase)(void *host, unsigned flash, uint32_t off, uint32_t len);

	/* One line into brownout's trace (shown by `brownout sweep --repro ID --trace`). */
	void (*log)(void *host, const char *line);
	/* The firmware hit an assertion or a state it cannot handle: the cut fails with
	 * this reason. Does not return. */
	void (*fail)(void *host, const char *reason);

	/*
	 * Host-side crypto, memoised: the same answers as mbed TLS (the hash of the bytes
	 * given; an ECDSA P-256 verification), only sooner, because a sweep boots the same
	 * few images hundreds of thousands of times (as a crypto accelerator would be,
	 * these are not part of the firmware under test). One hash at a time per device.
	 */
	void (*sha256_start)(void *host);
	void (*sha256_update)(void *host, const void *data, size_t len);
	void (*sha256_finish)(void *host, uint8_t digest[32]);
	/* 0: the signature (ASN.1 DER) over digest verifies with the key (DER
	 * SubjectPublicKeyInfo, or the 65-byte uncompressed point); negative: it does not. */
	int (*p256_verify)(void *host, const uint8_t *pubkey, size_t pubkey_len,
			   const uint8_t digest[32], const uint8_t *sig, size_t sig_len);
};

/* A key and value of the sweep file's `firmware.options` map, as strings. */
struct bro_option {
	const char *key;
	const char *value;
};

/* What every call gets. */
struct bro_env {
	const struct bro_device *dev;
	void *config;  /* config_size bytes, zeroed, filled by configure(); survives power cuts */
	void *ram;     /* ram_size bytes, poisoned at every power-on */
};

/* ---- What the firmware gives brownout ---------------------------------------------- */

/* boot()'s decision. */
struct bro_boot_result {
	int booted;        /* 1: jumps to an image; 0: found nothing it may boot (bricked) */
	unsigned flash;    /* where that image starts (its header): device index ... */
	uint32_t off;      /* ... and device offset */
	char reason[96];   /* optional one line: why this decision ("reverted", ...) */
};

/* The running application's view, after boot() chose an image. */
struct bro_app_state {
	int confirmed;     /* 1: the running image is confirmed (a plain reboot keeps it) */
};

struct bro_firmware {
	uint32_t abi;          /* BRO_FIRMWARE_ABI */
	const char *name;      /* shown in summaries */
	size_t config_size;    /* bytes of env->config (may be 0) */
	size_t ram_size;       /* bytes of env->ram (may be 0: globals are reset anyway) */

	/*
	 * Optional. Called once per device after loading, with the sweep file's
	 * `firmware.options`. Refuse options or a layout you cannot run by returning
	 * negative with a one-line reason in err: brownout reports it as bad input (exit 2)
	 * at the `firmware` key. The globals it leaves are what every power-on starts from.
	 */
	int (*configure)(const struct bro_env *env, const struct bro_option *opts, unsigned nopts,
			 char *err, size_t errlen);

	/* Required. Power-on: decide what to run (install or revert an update on the way). */
	int (*boot)(const struct bro_env *env, struct bro_boot_result *out);

	/* Optional. The application writes `len` bytes of a signed image at the start of
	 * partition `part`. NULL: brownout's writer erases the sectors the image covers (and
	 * the partition's last sector, where a stale trailer would be) and programs the bytes
	 * in 256-byte pieces padded to the write unit, as an application would. */
	int (*write_image)(const struct bro_env *env, const struct bro_partition *part,
			   const uint8_t *image, uint32_t len);

	/* Required. The application asks for the upgrade slot's image to be installed at
	 * the next boot: permanent = 0 for a test (revertable) upgrade, 1 for permanent.
	 * BRO_DOWNLOAD_AGAIN (positive) when the request could not be made without losing
	 * part of the image (a torn earlier request in a trailer sector the image shares,
	 * which had to be erased, as MCUboot erases a slot whose magic is bad): the sweep's
	 * application then downloads the image again and asks once more. */
	int (*request_upgrade)(const struct bro_env *env, int permanent);

	/* Required. The running application confirms itself. */
	int (*confirm)(const struct bro_env *env);

	/* Required. The running application's state (whether it is confirmed). */
	int (*state)(const struct bro_env *env, struct bro_app_state *out);
};

/* The partition called name, or NULL. */
static inline const struct bro_partition *bro_partition_find(const struct bro_device *dev,
							     const char *name)
{
	for (unsigned i = 0; i < dev->nparts; i++) {
		const char *a = dev->parts[i].name, *b = name;
		while (*a && *a == *b)
			a++, b++;
		if (*a == *b)
			return &dev->parts[i];
	}
	return (const struct bro_partition *)0;
}

/* The entry point a plug-in exports. */
typedef const struct bro_firmware *(*bro_firmware_entry)(void);
#define BRO_FIRMWARE_ENTRY "brownout_firmware"

/* request_upgrade's answer when the image must be downloaded again (see there). */
#define BRO_DOWNLOAD_AGAIN 1

#ifdef __cplusplus
}
#endif

#endif
