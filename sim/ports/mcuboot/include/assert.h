/*
 * assert.h for MCUboot's sources (this include directory comes before the system's):
 * assert() and ASSERT() fail the cut through env->dev->fail instead of abort(), with the
 * condition and its place as the reason, and stay on whatever NDEBUG says (a bootloader
 * assertion is a finding). Not include-guarded, as the standard header.
 */
#undef assert
void bro_mcuboot_assert_failed(const char *cond, const char *file, int line)
	__attribute__((noreturn));
#define assert(x) ((x) ? (void)0 : bro_mcuboot_assert_failed(#x, __FILE__, __LINE__))
#ifndef static_assert
#define static_assert _Static_assert
#endif
