/*
 * log.c: MCUboot's log lines and assertions, into brownout's trace and verdicts.
 */
#include <stdarg.h>
#include <stdio.h>

#include "mcuboot_config/mcuboot_logging.h"
#include "port.h"

const struct bro_env *bro_mcuboot_env;

void bro_mcuboot_log(const char *level, const char *fmt, ...)
{
	const struct bro_env *env = bro_mcuboot_env;
	if (!env || !env->dev->log)
		return;
	char line[256];
	int n = snprintf(line, sizeof line, "mcuboot %s: ", level);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
	va_end(ap);
	env->dev->log(env->dev->host, line);
}

void bro_mcuboot_fail(const char *fmt, ...)
{
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	const struct bro_env *env = bro_mcuboot_env;
	env->dev->fail(env->dev->host, why);
	__builtin_unreachable(); /* fail() does not return */
}

void bro_mcuboot_assert_failed(const char *cond, const char *file, int line)
	__attribute__((noreturn));
void bro_mcuboot_assert_failed(const char *cond, const char *file, int line)
{
	const char *base = file;
	for (const char *p = file; *p; p++)
		if (*p == '/')
			base = p + 1;
	bro_mcuboot_fail("MCUboot assertion failed: %s (%s:%d)", cond, base, line);
}
