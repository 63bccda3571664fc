/*
 * os/os_malloc.h: MCUboot's loader includes it for its platform's allocator. Nothing
 * here: the paths that allocate (RAM load, multi-image helpers) are not built.
 */
#ifndef BRO_MCUBOOT_OS_MALLOC_H
#define BRO_MCUBOOT_OS_MALLOC_H

#include <stdlib.h>

#endif
