/*
 * core/boot/boot.h: the bootloader. One call, bo_boot(), per power-on: it finishes or
 * starts any pending upgrade, decides what to run, and says why.
 *
 * Firmware code: the configuration and the workspace are caller-owned structs (one per
 * simulated device), every effect goes through the flash and crypto ports, and every piece
 * of progress lives in flash, so a power cut at any operation resumes on the next boot.
 * The design (slot meta sector, progress log, decision table) is in core/boot/README.md.
 */
#ifndef BO_BOOT_BOOT_H
#define BO_BOOT_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/boot/image.h"
#include "core/boot/trailer.h"
#include "core/port/crypto.h"
#include "core/port/flash.h"

enum bo_strategy {
	BO_STRATEGY_OVERWRITE = 0,       /* copy the upgrade over the primary; no revert */
	BO_STRATEGY_SWAP_SCRATCH,        /* swap through scratch; test upgrades revert */
	BO_STRATEGY_SWAP_MOVE,           /* swap without scratch (uniform sectors) */
	BO_STRATEGY_RECOVERY,            /* overwrite + trial-boot counter + recovery image */
	BO_STRATEGY_SWAP_SCRATCH_RECOVERY, /* revert first, then recovery */
};

struct bo_boot_cfg {
	enum bo_strategy strategy;
	struct bo_flash_area primary;
	struct bo_flash_area upgrade;
	struct bo_flash_area scratch;  /* size 0: none (swap-scratch strategies need it) */
	struct bo_flash_area recovery; /* size 0: none (recovery strategies need it) */
	/* size 0: none; then the progress record takes the last sector of the primary and
	 * images end before it. With a status partition (overwrite, recovery and swap-scratch
	 * strategies) the record lives here and images fill their slots up to the MCUboot
	 * trailer, sharing the last sector with it, as MCUboot's do (core/boot/README.md). */
	struct bo_flash_area status;
	const struct bo_crypto *crypto;
	const struct bo_keyring *keys;
	uint32_t max_align;            /* MCUboot BOOT_MAX_ALIGN; 0 means 8 */
	uint8_t attempts;              /* trial boots before recovery; 0 means 3 */
	bool allow_downgrade;          /* false: refuse an upgrade older than the primary */
};

/* Copy granularity: one program operation moves at most this many bytes (MCUboot's
 * bootloaders copy through a 1 KiB buffer too, which keeps the op counts comparable). */
#define BO_COPY_BUF 1024u

/*
 * A flash seen through repeated reads: every read is done BO_STABLE_READS times and a byte
 * whose reads disagree reads as fully programmed (written, but no valid value). The
 * bootloader reads its own state (trailers, progress log) this way, because a cut in the
 * middle of a program can leave weak cells that read differently each time: a stray
 * "erased" read of a half-written flag must not send it back to write that flag again, and
 * a half-written flag must not read as set on some boots and not on others.
 */
#define BO_STABLE_READS 3
struct bo_stable_flash {
	struct bo_flash flash;        /* dev points back at this struct */
	const struct bo_flash *inner;
};

/* RAM workspace of one bootloader run. Contents do not survive a reset and need none. */
struct bo_boot {
	const struct bo_boot_cfg *cfg;
	struct bo_trailer_layout tl_primary;
	struct bo_trailer_layout tl_upgrade;
	uint32_t meta_primary;  /* start of the primary's last sector (trailer + log) */
	uint32_t meta_upgrade;
	uint32_t data_limit;    /* bytes an image may use in either slot */
	uint32_t log_capacity;  /* progress-log entries that fit in the record area */
	bool full_slots;        /* a status partition: images reach the trailer */
	/* The progress record (swap type and size, progress log): in the primary's meta
	 * sector, or in the status partition when there is one. */
	const struct bo_flash_area *rec;
	uint32_t rec_log;                 /* where the log starts in rec */
	struct bo_trailer_layout tl_rec;  /* where swap_size and swap_info go in rec */
	struct bo_stable_flash stable_primary;
	struct bo_stable_flash stable_upgrade;
	struct bo_stable_flash stable_status;
	struct bo_flash_area state_primary; /* the slots read through the stable flashes */
	struct bo_flash_area state_upgrade;
	struct bo_flash_area state_rec;     /* rec read through a stable flash */
	uint8_t buf[BO_COPY_BUF];
};

enum bo_boot_slot {
	BO_SLOT_NONE = 0,  /* nothing bootable: the device is bricked */
	BO_SLOT_PRIMARY,
	BO_SLOT_RECOVERY,
};

/* What this boot did besides booting. */
enum bo_boot_action {
	BO_ACT_NONE = 0,
	BO_ACT_INSTALLED,  /* an upgrade was copied or swapped into the primary */
	BO_ACT_REVERTED,   /* an unconfirmed test image was swapped back out */
	BO_ACT_RESUMED,    /* an interrupted operation was finished */
	BO_ACT_DISCARDED,  /* a requested upgrade was refused and erased */
};

enum bo_boot_error {
	BO_BOOT_OK = 0,
	BO_BOOT_E_CONFIG = -1, /* the partition layout cannot support the strategy */
	BO_BOOT_E_FLASH = -2,  /* a flash operation failed (a violation in the simulator) */
	BO_BOOT_E_IMAGE = -3,  /* bo_app_request_upgrade: the image in the upgrade slot reaches
				  the slot's meta sector (the trailer): nothing written; or
				  (status partition) a torn earlier request shared the image's
				  last sector: that sector was erased, download again */
};

struct bo_boot_result {
	enum bo_boot_slot slot;
	struct bo_image_info image;  /* the booted image, when slot != NONE */
	bool trial;                  /* booted on trial: not confirming leads to revert/recovery */
	uint8_t attempts_left;       /* trial boots left after this one */
	enum bo_boot_action action;
	enum bo_image_err refused;   /* last refusal this boot (upgrade, primary or recovery) */
	enum bo_boot_slot refused_slot; /* BO_SLOT_PRIMARY also stands for the upgrade slot's
					   request when refused_upgrade is set */
	bool refused_upgrade;
	enum bo_boot_error error;
	const char *config_error;    /* for BO_BOOT_E_CONFIG: what is wrong */
};

/*
 * Boot. Fills res and returns res->error. On power loss inside, the flash port does not
 * return; calling bo_boot() again on the next power-on continues where flash says. After
 * a flash error (BO_BOOT_E_FLASH) res->slot may still name an image: one that verifies,
 * booted although the operation could not go on.
 */
int bo_boot(struct bo_boot *b, const struct bo_boot_cfg *cfg, struct bo_boot_result *res);

/* Check a configuration without touching flash: 0 or BO_BOOT_E_CONFIG with *why set. */
int bo_boot_check_config(struct bo_boot *b, const struct bo_boot_cfg *cfg, const char **why);

/* ---- Application-facing API (what the running firmware calls) ---------------------- */

/*
 * Ask for the image in the upgrade slot to be installed on the next boot: a test upgrade
 * (permanent = false) boots on trial and reverts or falls to recovery unless confirmed; a
 * permanent one does not. Erases the upgrade slot's meta sector if it is not clean, then
 * writes image_ok (permanent only) and the magic last, as imgtool's --pad / --confirm.
 * BO_BOOT_E_IMAGE, writing nothing, when the image's header says it reaches the meta
 * sector (a download over the trailer).
 */
int bo_app_request_upgrade(struct bo_boot *b, const struct bo_boot_cfg *cfg, bool permanent);

/* The most bytes a download may write at the start of the upgrade slot: the rest is the
 * slot's meta sector (trailer and flags), which a download must never reach. */
int bo_app_download_limit(struct bo_boot *b, const struct bo_boot_cfg *cfg, uint32_t *limit);

/* Confirm the running primary image ("I work"): writes image_ok in the primary trailer.
 * 0 on success or when nothing is on trial; 1 when it cannot: an earlier confirm was torn
 * (image_ok reads neither set nor erased and cannot be written again: the image stays
 * unconfirmed and will revert or count attempts), or the caller is the recovery image
 * after the primary's trial boots ran out; negative on a flash error. */
int bo_app_confirm(struct bo_boot *b, const struct bo_boot_cfg *cfg);

struct bo_app_state {
	bool confirmed;         /* a plain reboot boots this primary image again */
	bool trial;
	uint8_t attempts_left;
	bool upgrade_pending;   /* the upgrade slot holds a request */
};

/* What flash says about the primary image now (for the running application). */
int bo_app_state(struct bo_boot *b, const struct bo_boot_cfg *cfg, struct bo_app_state *out);

const char *bo_strategy_name(enum bo_strategy s);
const char *bo_boot_action_name(enum bo_boot_action a);

#endif
