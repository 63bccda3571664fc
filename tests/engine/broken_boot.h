/* Deliberately broken miniature bootloaders (test fixtures only): see broken_boot.c. */
#ifndef TESTS_ENGINE_BROKEN_BOOT_H
#define TESTS_ENGINE_BROKEN_BOOT_H

#include "sim/sweep_runner.h"

enum broken_kind {
	BROKEN_TORN_RECORD = 0,
	BROKEN_RAM_PROGRESS,
	BROKEN_ERASE_FIRST,
	BROKEN_KINDS
};

extern const struct sweep_firmware broken_firmware[BROKEN_KINDS];

#endif
