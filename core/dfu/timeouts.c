/* core/dfu/timeouts.c: BLOB Transfer timer values (see timeouts.h). */
#include "core/dfu/timeouts.h"

uint64_t bo_blob_srv_timeout_us(uint16_t timeout_base)
{
	return ((uint64_t)timeout_base + 1) * 10 * BO_USEC_PER_SEC;
}

uint64_t bo_blob_srv_start_timeout_us(uint16_t timeout_base)
{
	return BO_BLOB_SRV_START_WAIT * bo_blob_srv_timeout_us(timeout_base);
}

uint64_t bo_blob_srv_pull_timeout_us(uint16_t timeout_base)
{
	uint64_t t = bo_blob_srv_timeout_us(timeout_base);
	uint64_t min = BO_BLOB_REPORT_TIMEOUT_US + BO_USEC_PER_SEC;

	return t > min ? t : min;
}

static uint64_t cli_timeout_ms(uint16_t timeout_base, uint8_t ttl)
{
	return 10 * 1000 * ((uint64_t)timeout_base + 2) + 100 * (uint64_t)ttl;
}

uint64_t bo_blob_cli_timeout_us(uint16_t timeout_base, uint8_t ttl)
{
	return cli_timeout_ms(timeout_base, ttl) * BO_USEC_PER_MSEC;
}

uint64_t bo_blob_cli_retry_us(uint16_t timeout_base, uint8_t ttl, unsigned retries)
{
	if (retries == 0)
		retries = 1;
	return cli_timeout_ms(timeout_base, ttl) / retries * BO_USEC_PER_MSEC;
}
