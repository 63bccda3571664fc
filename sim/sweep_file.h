/*
 * sim/sweep_file.h: the sweep file loader (scenarios/sweeps/ files, issue 4).
 *
 * A sweep file describes one device and one update workload. It is loaded into a plain
 * struct bo_sweep (host code: heap, free with bo_sweep_free). Every error is one sentence
 *
 *     FILE:LINE:COL: key 'steps[2].download': unknown image 'v3'
 *
 * naming the position of the offending node and its key path, and the loader returns a
 * negative code; it never crashes on bad input (tests/sweep/invalid/ is the corpus).
 *
 * ---- Format ------------------------------------------------------------------------------
 *
 *   sweep: swap-scratch-test-revert     # required. Name: 1..63 of [A-Za-z0-9._-]
 *   device:                             # required (sim/device_desc.h); one of three forms
 *     preset: nrf52840                  # a preset: nrf52840 stm32f4 stm32l4 stm32h7 k64f
 *                                       #   spi-nor (`brownout validate --presets`)
 *     geometry: {write_unit: 8}         # optional with a preset: override its fields;
 *                                       #   without a preset: the whole part (below)
 *     # flash: {internal: nrf52840,     # or several named devices (1..4; names 1..15 of
 *     #         spi: {preset: spi-nor, geometry: {...}}}   [A-Za-z0-9_-]), each a preset
 *     #                                 #   name or {preset, geometry} as above; not with
 *     #                                 #   preset/geometry. The first is the internal flash
 *     layout: default                   # optional (default: `default`, the first device's
 *                                       #   preset's layout, below), or a mapping:
 *     # layout: {boot: [0x0, 48KiB], primary: [0xC000, 432KiB], upgrade: [...],
 *     #          scratch: [...], recovery: [...], storage: [...], status: [...]}
 *     #   each [OFFSET, SIZE] on the first device, or {device: NAME, off: OFFSET,
 *     #   size: SIZE} (device optional, default the first; the one device of the
 *     #   preset/geometry form is called `flash`). boot, primary, upgrade required, the
 *     #   others optional; boot must be on the first device and is write-protected.
 *     #   status: core/boot's progress record (a small sector or two); with it, images
 *     #   fill primary and upgrade up to the MCUboot trailer (overwrite, recovery and
 *     #   swap-scratch strategies; swap-move refuses it), without it the last sector of
 *     #   each slot holds the trailer alone (core/boot/README.md)
 *   strategy: swap-scratch              # required for core/boot: overwrite | swap-scratch |
 *                                       #   swap-move | recovery | swap-scratch+recovery
 *   firmware:                           # optional: sweep another bootloader instead of
 *     plugin: ./my-boot.so              #   core/boot: a shared object implementing
 *                                       #   include/brownout/firmware.h (a relative path is
 *                                       #   relative to this file); then strategy, attempts
 *                                       #   and allow_downgrade are refused (they are
 *                                       #   core/boot's), and the layout and image sizes
 *                                       #   are the plug-in's to check
 *     options: {mode: swap-move}        #   optional: strings passed to its configure();
 *                                       #   $sweep_dir in a value is this file's folder
 *                                       #   (pubkey: $sweep_dir/key.pub.pem)
 *   attempts: 3                         # optional, 1..255 (default 3): trial boots before
 *                                       #   recovery (recovery strategies)
 *   allow_downgrade: false              # optional (default false): the bootloader installs
 *                                       #   an upgrade older than the primary
 *   images:                             # required, 1..32 images, built and signed at load
 *     v1: {version: 1.0.0, size: 96KiB} #   name: 1..31 of [A-Za-z0-9._-], not "none"
 *     v2:
 *       version: 1.1.0+7                # required: MAJ[.MIN[.REV[+BUILD]]] (MCUboot ranges:
 *                                       #   255.255.65535+4294967295)
 *       size: 100KiB                    # required: payload bytes (the application binary
 *                                       #   after the 32-byte header): 98304, 0x18000,
 *                                       #   96KiB / 96K / 96 KiB, 1MiB / 1M; > 0
 *       behaviour: no-confirm           # optional: good (default) | no-confirm |
 *                                       #   crash-on-boot | no-dfu (behaviour TLV 0xA0)
 *       key: trusted                    # optional: trusted (default, seed 1) | untrusted
 *                                       #   (seed 2; the bootloader does not know it)
 *       corrupt: false                  # optional: flip a payload byte after signing
 *       seed: 7                         # optional: payload content seed (default: a hash of
 *                                       #   the image name)
 *     v3:                               # or a signed image file of your own:
 *       file: build/app-v3.signed.bin   #   a relative path is relative to this file; then
 *                                       #   version, size, key, corrupt and seed are refused
 *       behaviour: no-confirm           #   optional: what the application does once booted
 *       bootable: true                  #   optional (default true): false for an image
 *                                       #   that must never run (rogue, corrupt)
 *   initial: {primary: v1, recovery: rec}   # optional: images in flash before the workload
 *                                       #   (keys primary, upgrade, recovery; the primary
 *                                       #   image is confirmed, the upgrade one has no request)
 *   steps:                              # required, 1..256 steps, each a cut region:
 *     - download: v2                    #   the running app writes v2 into the upgrade slot
 *     - request: test                   #   test | perm: ask the bootloader to install it
 *     - confirm                         #   the running app confirms itself (image_ok)
 *     - corrupt: upgrade                #   primary | upgrade | recovery: tamper with the
 *                                       #   image there: its second sector is erased (the
 *                                       #   payload of an image longer than two sectors)
 *     - reboot                          #   power-on: boot, the booted image's behaviour runs
 *   expect:                             # required: the end state after the workload
 *     running: v1                       #   required: the image that runs at the end
 *     confirmed: true                   #   optional: the running image is not on trial
 *     primary: v1                       #   optional: image in the primary slot
 *     upgrade: v2                       #   optional: image in the upgrade slot, or `none`
 *   cuts:                               # optional; defaults shown
 *     modes: [between, torn]            #   non-empty subset of between, torn (power cuts)
 *                                       #   and the flash errors program-error,
 *                                       #   erase-error, stuck-bit, bad-sector: at every
 *                                       #   program (erase) the op fails and the firmware
 *                                       #   sees the error (flashsim.h, "Flash errors");
 *                                       #   judged by I1 (never run what must not run,
 *                                       #   never brick), I2, I4, firmware aborts
 *     may_brick: [bad-sector]           #   optional: flash errors after which a bricked
 *                                       #   device is expected (not a failure)
 *     depth: 1                          #   1..4: nested cuts
 *     metastable: false                 #   torn cells read unstably
 *
 * Unknown keys anywhere are errors (with a "did you mean" hint), as are duplicate keys,
 * wrong types, images that are referenced but not defined, images too large for the slots
 * that hold them, partitions outside the device, not on sector boundaries or overlapping,
 * and a strategy whose partitions are missing (swap-scratch strategies need scratch,
 * recovery strategies need recovery and an initial recovery image). Geometry errors: no or
 * too many regions, zero counts or sizes, units not powers of two, sector sizes not
 * multiples of the units, an erase value other than 0x00/0xff, unknown device names.
 *
 * ---- Geometry (device.geometry, device.flash.NAME.geometry) -------------------------------
 *
 * Over a preset every key is optional and overrides the preset's field; without a preset
 * `regions` is required and the defaults below apply.
 *
 *   regions: [{size: 16KiB, count: 4, erase_ms: 500}, {size: 128KiB, count: 7}]
 *                                       #   required without a preset: 1..8 runs of equal
 *                                       #   sectors in address order; size > 0, a multiple
 *                                       #   of write_unit and read_unit; count >= 1
 *                                       #   (default 1); erase_ms: that run's erase time
 *                                       #   (default: geometry's erase_ms, else the
 *                                       #   preset's for that sector size or its first
 *                                       #   region's, else 50). Replaces a preset's regions
 *   write_unit: 4                       #   program granularity, a power of two (default 1)
 *   read_unit: 1                        #   read granularity, a power of two (default 1);
 *                                       #   described and checked, reads not refused yet
 *   erase_value: 0xff                   #   0xff or 0x00 (default 0xff)
 *   erase_ms: 85                        #   time to erase one sector, every region (up to
 *                                       #   3 decimals: 0.5; default 50)
 *   program_us: 41                      #   time to program one chunk (up to 3 decimals;
 *                                       #   default 10)
 *   program_chunk: 4                    #   bytes per program_us, a multiple of write_unit
 *                                       #   (default write_unit; over a preset the
 *                                       #   preset's when still a multiple)
 *   endurance: 10000                    #   erase cycles per sector (default 10000)
 *
 * Times only move simulated time and wear figures; sector sizes, units and the erase value
 * change what the bootloader does. Several flash devices share one power supply: the sweep
 * lays them end to end in one simulated device (sim/firmware/host.h, struct fw_flash_map),
 * so a cut stops all of them, a torn operation tears one, and snapshots, hashes and
 * operation numbers cover all; the firmware sees each as its own flash, with its own write
 * unit, erase value and timings (mesh scenarios likewise). core/boot writes trailers in
 * blocks of A = max(8, the primary's write unit): a partition it writes on a device whose
 * write unit does not divide A is refused at that partition.
 *
 * ---- Default layouts (`layout: default`; also `brownout validate --presets`) -------------
 *
 *   nrf52840, stm32l4 (1 MiB; 4 KiB / 2 KiB sectors), from docs/reference/flash.md:
 *     boot 0x00000 48K (write-protected), primary 0x0C000 432K, upgrade 0x78000 432K,
 *     scratch 0xE4000 16K, recovery 0xE8000 64K, storage 0xF8000 32K
 *     On stm32l4 this layout suits overwrite and recovery only: core/boot keeps a swap's
 *     progress log in the primary's last sector, and one 2 KiB sector holds the log of
 *     slots up to 160 KiB, so swap strategies there need an explicit layout (the device
 *     build and `brownout validate` say so).
 *   k64f (1 MiB, 4 KiB sectors): as nrf52840 but a one-sector scratch:
 *     scratch 0xE4000 4K (0xE5000..0xE8000 unused)
 *   stm32f4 (4 x 16K, 1 x 64K, 7 x 128K):
 *     boot 0x00000 64K (the four 16K sectors), recovery 0x10000 64K (the 64K sector),
 *     primary 0x20000 384K (3 x 128K), upgrade 0x80000 384K (3 x 128K),
 *     scratch 0xE0000 128K (the last sector)
 *   stm32h7 (2 MiB, 16 x 128K):
 *     boot 0x000000 128K, primary 0x020000 768K, upgrade 0x0E0000 768K,
 *     scratch 0x1A0000 128K, recovery 0x1C0000 256K
 *   spi-nor: no default (external flash without a boot ROM): give an explicit layout.
 *   A geometry without a preset has none either.
 * The boot partition is always write-protected.
 */
#ifndef BO_SIM_SWEEP_FILE_H
#define BO_SIM_SWEEP_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/device_desc.h"

#define BO_SWEEP_NAME_MAX 64       /* sweep name incl. NUL */
#define BO_SWEEP_IMAGE_NAME_MAX 32 /* image name incl. NUL */
#define BO_SWEEP_MAX_IMAGES 32
#define BO_SWEEP_MAX_STEPS 256
#define BO_SWEEP_MAX_DEPTH 4
#define BO_SWEEP_ERRLEN 512        /* plenty for any message */

enum bo_sweep_err {
	BO_SWEEP_OK = 0,
	BO_SWEEP_E_INVALID = -1, /* the file is unreadable, not YAML, or breaks the format */
	BO_SWEEP_E_NOMEM = -2,
};

/* Same order and values as enum bo_strategy (core/boot/boot.h). */
enum bo_sweep_strategy {
	BO_SWEEP_OVERWRITE = 0,
	BO_SWEEP_SWAP_SCRATCH,
	BO_SWEEP_SWAP_MOVE,
	BO_SWEEP_RECOVERY,
	BO_SWEEP_SWAP_SCRATCH_RECOVERY,
};

/* Same values as enum bo_app_behaviour (core/boot/image.h): the behaviour TLV byte. */
enum bo_sweep_behaviour {
	BO_SWEEP_GOOD = 0,
	BO_SWEEP_NO_CONFIRM = 1,
	BO_SWEEP_CRASH_ON_BOOT = 2,
	BO_SWEEP_NO_DFU = 3,
};

enum bo_sweep_key {
	BO_SWEEP_KEY_TRUSTED = 0,   /* bo_signkey_from_seed(1), in the bootloader's keyring */
	BO_SWEEP_KEY_UNTRUSTED = 1, /* bo_signkey_from_seed(2) */
};

struct bo_sweep_version {
	uint8_t major;
	uint8_t minor;
	uint16_t revision;
	uint32_t build;
};

#define BO_SWEEP_PATH_MAX 512

struct bo_sweep_image {
	char name[BO_SWEEP_IMAGE_NAME_MAX];
	char file[BO_SWEEP_PATH_MAX]; /* a user's signed image (resolved path); "" when built */
	bool bootable;   /* may run: trusted and intact (built), or the file's `bootable` */
	struct bo_sweep_version version;
	uint32_t size; /* payload bytes */
	enum bo_sweep_behaviour behaviour;
	enum bo_sweep_key key;
	bool corrupt;  /* flip one payload byte after signing */
	uint64_t seed; /* payload content (bo_imagegen_fill_payload) */
};

enum bo_sweep_step_kind {
	BO_STEP_DOWNLOAD = 0, /* image: write it into the upgrade slot */
	BO_STEP_REQUEST,      /* permanent: request a perm (true) or test (false) upgrade */
	BO_STEP_REBOOT,
	BO_STEP_CONFIRM,
	BO_STEP_CORRUPT,      /* part: erase its second sector (tampering with its image) */
};

struct bo_sweep_step {
	enum bo_sweep_step_kind kind;
	int image;       /* BO_STEP_DOWNLOAD: index into images */
	bool permanent;  /* BO_STEP_REQUEST */
	int part;        /* BO_STEP_CORRUPT: BO_SWEEP_PART_PRIMARY, _UPGRADE or _RECOVERY */
	unsigned line;   /* where the step is in the file (1-based) */
};

/* Expected end state; an image index, BO_SWEEP_NO_IMAGE (`none`), or BO_SWEEP_UNSET. */
#define BO_SWEEP_UNSET (-1)
#define BO_SWEEP_NO_IMAGE (-2)

struct bo_sweep_expect {
	int running;
	bool has_confirmed;
	bool confirmed;
	int primary;
	int upgrade;
};

struct bo_sweep_cuts {
	bool between;
	bool torn;
	uint32_t faults;           /* flash errors: bit k = enum fsim_fault_kind k */
	uint32_t faults_may_brick; /* of those, the ones declared to brick the device */
	unsigned depth;
	bool metastable;
};

#define BO_SWEEP_MAX_OPTIONS 32

/* A firmware option: firmware.options' key and value, as strings. */
struct bo_sweep_option {
	char key[64];
	char value[256];
};

struct bo_sweep {
	char file[256];                  /* as given to the loader */
	char plugin[BO_SWEEP_PATH_MAX];  /* firmware.plugin, resolved; "" for core/boot */
	struct bo_sweep_option options[BO_SWEEP_MAX_OPTIONS];
	size_t option_count;
	unsigned firmware_line, firmware_col; /* where `firmware` is, for later errors */
	char name[BO_SWEEP_NAME_MAX];
	struct bo_device_desc device;    /* flash devices and partitions (sim/device_desc.h) */
	enum bo_sweep_strategy strategy;
	unsigned attempts;
	bool allow_downgrade;
	struct bo_sweep_image images[BO_SWEEP_MAX_IMAGES];
	size_t image_count;
	int initial[BO_SWEEP_PART_COUNT]; /* image index per partition, or BO_SWEEP_UNSET;
					     only primary, upgrade and recovery are used */
	struct bo_sweep_step *steps;     /* step_count, heap */
	size_t step_count;
	struct bo_sweep_expect expect;
	struct bo_sweep_cuts cuts;
};

/*
 * Load a sweep file. On success *out is a new struct bo_sweep (bo_sweep_free). On error
 * *out is NULL, err holds "FILE:LINE:COL: key 'K': message" and the return is negative.
 */
int bo_sweep_load_file(const char *path, struct bo_sweep **out, char *err, size_t errlen);
/* The same from a buffer; name stands for the file name in messages. */
int bo_sweep_load_buffer(const char *name, const void *buf, size_t len, struct bo_sweep **out,
			 char *err, size_t errlen);
void bo_sweep_free(struct bo_sweep *s);

const char *bo_sweep_strategy_name(enum bo_sweep_strategy s);
const char *bo_sweep_behaviour_name(enum bo_sweep_behaviour b);
/* An image version "MAJ[.MIN[.REV[+BUILD]]]" within MCUboot's ranges: 0, or -1. */
int bo_sweep_parse_version(const char *s, struct bo_sweep_version *v);
/* The default payload seed of an image: FNV-1a of its name. */
uint64_t bo_sweep_name_seed(const char *s);

/* The index of the image called name, or -1. */
int bo_sweep_find_image(const struct bo_sweep *s, const char *name);

#endif
