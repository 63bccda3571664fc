/*
 * mcuboot_logging.h: MCUboot's log lines go into brownout's trace (env->dev->log, shown
 * by `brownout sweep --repro ID --trace`). Errors, warnings and info are kept (a few
 * lines per boot: the slots' trailer states and the decision); debug is compiled out.
 */
#ifndef BRO_MCUBOOT_LOGGING_H
#define BRO_MCUBOOT_LOGGING_H

#define MCUBOOT_LOG_LEVEL_OFF 0
#define MCUBOOT_LOG_LEVEL_ERROR 1
#define MCUBOOT_LOG_LEVEL_WARNING 2
#define MCUBOOT_LOG_LEVEL_INFO 3
#define MCUBOOT_LOG_LEVEL_DEBUG 4

#ifndef MCUBOOT_LOG_LEVEL
#define MCUBOOT_LOG_LEVEL MCUBOOT_LOG_LEVEL_INFO
#endif

void bro_mcuboot_log(const char *level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Arguments of compiled-out levels are still type checked, never evaluated. */
#define BRO_MCUBOOT_LOG_NONE(...) \
	do {                      \
		if (0)            \
			bro_mcuboot_log("", __VA_ARGS__); \
	} while (0)

#define MCUBOOT_LOG_MODULE_DECLARE(domain) /* one trace for all modules */
#define MCUBOOT_LOG_MODULE_REGISTER(domain)

#define MCUBOOT_LOG_ERR(...) bro_mcuboot_log("ERR", __VA_ARGS__)
#define MCUBOOT_LOG_WRN(...) bro_mcuboot_log("WRN", __VA_ARGS__)
#if MCUBOOT_LOG_LEVEL >= MCUBOOT_LOG_LEVEL_INFO
#define MCUBOOT_LOG_INF(...) bro_mcuboot_log("INF", __VA_ARGS__)
#else
#define MCUBOOT_LOG_INF(...) BRO_MCUBOOT_LOG_NONE(__VA_ARGS__)
#endif
#if MCUBOOT_LOG_LEVEL >= MCUBOOT_LOG_LEVEL_DEBUG
#define MCUBOOT_LOG_DBG(...) bro_mcuboot_log("DBG", __VA_ARGS__)
#else
#define MCUBOOT_LOG_DBG(...) BRO_MCUBOOT_LOG_NONE(__VA_ARGS__)
#endif
#define MCUBOOT_LOG_SIM(...) BRO_MCUBOOT_LOG_NONE(__VA_ARGS__)

#endif
