/*
 * mcuboot_assert.h: a failed MCUboot assertion fails the cut with its repro ID
 * (env->dev->fail), with the condition and its place as the reason.
 */
#ifndef BRO_MCUBOOT_ASSERT_H
#define BRO_MCUBOOT_ASSERT_H

#include <assert.h> /* the port's own assert.h (include/assert.h) */

#ifndef ASSERT
#define ASSERT(x) assert(x)
#endif

#endif
