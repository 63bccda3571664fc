/*
 * tools/device_boot_plugin.h: `brownout boot --plugin P`: power a saved device on once
 * with a firmware plug-in (include/brownout/firmware.h) instead of core/boot, as the sweep
 * runner does (the same device view, globals as loaded, fail() and abort() caught).
 */
#ifndef BROWNOUT_DEVICE_BOOT_PLUGIN_H
#define BROWNOUT_DEVICE_BOOT_PLUGIN_H

#include <stdbool.h>
#include <stdio.h>

#include "brownout/firmware.h"
#include "flashsim/flashsim.h"

/* Boot dev once with the plug-in at path (configured with opts), print the decision to out
 * ("boot primary at 0xc000 (reason)" or "bricked: nothing bootable (reason)"), then with
 * confirm let the booted application confirm itself. 0 an image booted, 1 nothing
 * bootable or the firmware failed, -1 with err when the plug-in cannot be loaded or
 * configured. */
int device_boot_plugin(struct fsim_device *dev, const char *path, const struct bro_option *opts,
		       unsigned nopts, bool confirm, FILE *out, char *err, size_t errlen);

#endif
