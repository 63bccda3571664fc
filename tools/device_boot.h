/*
 * tools/device_boot.h: boot a saved device (a flashsim device file) once with core/boot.
 *
 * `brownout boot` calls device_boot_once() to power a device on; `brownout mount` calls it
 * on a copy (fsim_fork) to say in `<slot>.trailer.txt` what the next boot will do. The
 * bootloader call is this one function, so another bootloader (a plug-in) can take its
 * place without touching the commands.
 *
 * The partitions are found by name (primary, upgrade, scratch, recovery), BOOT_MAX_ALIGN
 * is max(8, write unit) as in the sweeps, and the keyring holds the sweeps' built-in test
 * key (sim/sweep_device.h) or the public key of a PEM file.
 */
#ifndef BROWNOUT_DEVICE_BOOT_H
#define BROWNOUT_DEVICE_BOOT_H

#include <stdbool.h>
#include <stdio.h>

#include "core/boot/boot.h"
#include "flashsim/flashsim.h"

struct device_boot_opts {
	enum bo_strategy strategy;
	const char *key_pem;  /* NULL: the built-in test key */
	unsigned attempts;    /* 0: core/boot's default (3) */
	bool allow_downgrade;
	FILE *trace;          /* non-NULL: every program and erase of the boot, one per line */
};

/* Boot dev once. 0 with res filled (whatever the bootloader decided), or -1 with err set
 * when it could not run (a missing partition, an unreadable key, a layout the strategy
 * refuses). */
int device_boot_once(struct fsim_device *dev, const struct device_boot_opts *o,
		     struct bo_boot_result *res, char *err, size_t errlen);

/* What the running application would call, on the same configuration: confirm the
 * running image (0, or -1 with err), or read the primary's state. */
int device_app_confirm(struct fsim_device *dev, const struct device_boot_opts *o, char *err,
		       size_t errlen);
int device_app_state(struct fsim_device *dev, const struct device_boot_opts *o,
		     struct bo_app_state *st, char *err, size_t errlen);

/* One line for the decision: "boot primary 1.1.0+0 (installed, on trial, 2 attempts
 * left)", "bricked: nothing bootable (primary refused: ...)". No newline. */
void device_boot_describe(FILE *out, const struct bo_boot_result *res);

/* The strategy called name ("swap-scratch", ...): 0, or -1. */
int device_strategy_parse(const char *name, enum bo_strategy *out);
/* The strategy a device file's note names ("... strategy=NAME ..."): 0, or -1 when the note
 * names none or an unknown one. */
int device_strategy_from_note(const char *note, enum bo_strategy *out);
/* "strategy=NAME": the note brownout writes into the device files it saves. */
void device_note(char *note, size_t len, enum bo_strategy s, const char *origin);

#endif
