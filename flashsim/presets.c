/* Device presets: typical datasheet figures from docs/reference/flash.md. */
#include <string.h>

#include "flashsim/internal.h"

#define KIB 1024u

struct preset {
	const char *name;
	struct fsim_geometry geo;
};

static const struct preset presets[] = {
	{"nrf52840", {.regions = {{256, 4 * KIB, 85000}}, .region_count = 1, .write_unit = 4,
		      .erase_value = 0xff, .program_ns = 41000, .program_chunk = 4,
		      .endurance = 10000}},
	{"stm32f4", {.regions = {{4, 16 * KIB, 500000}, {1, 64 * KIB, 1100000},
				 {7, 128 * KIB, 2000000}},
		     .region_count = 3, .write_unit = 1, .erase_value = 0xff, .program_ns = 16000,
		     .program_chunk = 1, .endurance = 10000}},
	{"stm32l4", {.regions = {{512, 2 * KIB, 22000}}, .region_count = 1, .write_unit = 8,
		     .erase_value = 0xff, .program_ns = 82000, .program_chunk = 8,
		     .endurance = 10000}},
	{"stm32h7", {.regions = {{16, 128 * KIB, 2000000}}, .region_count = 1, .write_unit = 32,
		     .erase_value = 0xff, .program_ns = 100000, .program_chunk = 32,
		     .endurance = 10000}},
	{"k64f", {.regions = {{256, 4 * KIB, 14000}}, .region_count = 1, .write_unit = 8,
		  .erase_value = 0xff, .program_ns = 8000, .program_chunk = 8, .endurance = 10000}},
	/* SPI NOR programs bytes, but the time is per 256-byte page. */
	{"spi-nor", {.regions = {{2048, 4 * KIB, 45000}}, .region_count = 1, .write_unit = 1,
		     .erase_value = 0xff, .program_ns = 700000, .program_chunk = 256,
		     .endurance = 100000}},
};

static const char *const preset_name_list[] = {"nrf52840", "stm32f4", "stm32l4",
					       "stm32h7",  "k64f",    "spi-nor", NULL};

int fsim_preset(const char *name, struct fsim_geometry *out)
{
	for (size_t i = 0; name && i < sizeof presets / sizeof presets[0]; i++) {
		if (!strcmp(presets[i].name, name)) {
			*out = presets[i].geo;
			return FSIM_OK;
		}
	}
	return FSIM_ERR_INVALID;
}

const char *const *fsim_preset_names(void)
{
	return preset_name_list;
}
