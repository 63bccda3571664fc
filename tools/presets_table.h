/*
 * tools/presets_table.h: `brownout validate --presets`, every flash preset's geometry and
 * default layout as a person reads it (so nobody reads flashsim/presets.c for it).
 */
#ifndef BROWNOUT_PRESETS_TABLE_H
#define BROWNOUT_PRESETS_TABLE_H

#include <stdio.h>

void print_presets(FILE *out);

#endif
