/*
 * sim/firmware/plugin.h: firmware under test loaded from a shared object, with its
 * globals reset at every power-on.
 *
 * Each fw_plugin_open() loads a private copy of the file (copied to a temporary file that
 * is unlinked at once), so every sweep worker has its own .data and .bss, and threads never
 * share a plug-in's globals. After configure(), fw_plugin_mark() snapshots the writable,
 * non-RELRO parts of the object's loaded segments (.data, .bss, what the dynamic linker
 * left writable); fw_plugin_reset() copies the snapshot back: a real device's start-up code
 * re-initialising RAM, done generically without touching the bootloader's source.
 */
#ifndef SIM_FIRMWARE_PLUGIN_H
#define SIM_FIRMWARE_PLUGIN_H

#include <stddef.h>

#include "brownout/firmware.h"

struct fw_plugin;

/* Load path. NULL with err set ("cannot load PATH: why", "PATH: no brownout_firmware()",
 * "PATH: ABI N, brownout speaks M", "PATH: does not provide 'boot'"). */
struct fw_plugin *fw_plugin_open(const char *path, char *err, size_t errlen);
const struct bro_firmware *fw_plugin_firmware(const struct fw_plugin *p);
void fw_plugin_mark(struct fw_plugin *p);
void fw_plugin_reset(struct fw_plugin *p);
void fw_plugin_close(struct fw_plugin *p);

/* The checks fw_plugin_open applies, for any table (built-in ones too). 0 or -1 with err. */
int fw_check_table(const struct bro_firmware *fw, const char *who, char *err, size_t errlen);

#endif
