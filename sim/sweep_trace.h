/*
 * sim/sweep_trace.h: what `brownout sweep --repro ID --trace` prints, in the words of the
 * device rather than raw addresses.
 *
 *   places     "primary sector 3 +0x400", "upgrade trailer: magic", "primary meta: progress
 *              log" (MCUboot's trailer layout at the end of each slot, BOOT_MAX_ALIGN =
 *              max(8, write unit), the layout core/boot and MCUboot share)
 *   state      before each boot: both slots' trailer (magic, swap type, copy_done,
 *              image_ok) and what MCUboot's decision table makes of it
 *   torn ops   the bytes the operation meant to write against what reached flash
 *   wear       erases per sector at the end, by partition
 * Everything reads flash with fsim_peek: tracing never changes what the firmware reads
 * (not even a metastable cell's next value).
 */
#ifndef SIM_SWEEP_TRACE_H
#define SIM_SWEEP_TRACE_H

#include <stdint.h>
#include <stdio.h>

#include "flashsim/flashsim.h"

/* Where device offset off is: "primary sector 3 +0x400", "upgrade trailer: image_ok", ...;
 * with several flash devices (map, NULL: one) the device too: "spi: upgrade sector 3 ...". */
struct fw_flash_map;
void sweep_trace_place(const struct fsim_device *dev, const struct fw_flash_map *map, uint32_t off,
		       char *buf, size_t len);

/* "  primary: magic good, swap_info test, copy_done set, image_ok unset; upgrade: ... ->
 * swap table (current MCUboot): revert" (one line, to out). The table is current MCUboot's
 * (core/boot/trailer.h): an older MCUboot may decide otherwise on the same state. */
void sweep_trace_trailers(const struct fsim_device *dev, FILE *out);

/* For a torn program: the first write units where what reached flash differs from what
 * the operation meant to write (data), as hex. */
void sweep_trace_torn(const struct fsim_device *dev, uint32_t off, const uint8_t *data,
		      uint32_t len, FILE *out);

/* Erases per sector, by partition, sectors never erased left out. */
void sweep_trace_wear(const struct fsim_device *dev, FILE *out);

#endif
