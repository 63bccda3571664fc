/*
 * fih.c: what MCUboot's fault_injection_hardening.c gives with the profile off (the
 * return codes), and FIH_PANIC as a failure of the cut instead of an endless loop.
 */
#include "bootutil/fault_injection_hardening.h"
#include "port.h"

fih_ret FIH_SUCCESS = FIH_POSITIVE_VALUE;
fih_ret FIH_FAILURE = FIH_NEGATIVE_VALUE;
fih_ret FIH_NO_BOOTABLE_IMAGE = FIH_CONST1;
fih_ret FIH_BOOT_HOOK_REGULAR = FIH_CONST2;

void fih_panic_loop(void)
{
	bro_mcuboot_fail("MCUboot panic (FIH_PANIC): it would stop here for ever");
}
