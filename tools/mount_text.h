/*
 * tools/mount_text.h: the generated files of `brownout mount` (mount_fs.h lists them):
 * <slot>.image.json, <slot>.trailer.txt, sectors.csv, device.txt, made from the device as
 * it is now. The trailer's next-boot line runs core/boot on a copy (tools/device_boot.h).
 */
#ifndef BROWNOUT_MOUNT_TEXT_H
#define BROWNOUT_MOUNT_TEXT_H

#include <stdio.h>

#include "tools/mount_fs.h"

/* Write the content of generated file i of m to out (nothing for other kinds). */
void mount_text_write(struct mfs *m, int i, FILE *out);

#endif
