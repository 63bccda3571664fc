/*
 * core/dfu/timeouts.h: BLOB Transfer timer values from the reference formulas
 * (reference/mesh-dfu.md; Zephyr blob_srv.c SERVER_TIMEOUT_SECS / reset_timer and
 * blob_cli.c CLIENT_TIMEOUT_MSEC / start_retry_timer). All results in microseconds.
 */
#ifndef BO_DFU_TIMEOUTS_H
#define BO_DFU_TIMEOUTS_H

#include <stdint.h>

#define BO_USEC_PER_MSEC 1000ull
#define BO_USEC_PER_SEC 1000000ull

/* Client block retries (CONFIG_BT_MESH_BLOB_CLI_BLOCK_RETRIES default). */
#define BO_BLOB_CLI_BLOCK_RETRIES 5u
/* Server Partial Block Report interval in pull mode (CONFIG_BT_MESH_BLOB_REPORT_TIMEOUT). */
#define BO_BLOB_REPORT_TIMEOUT_US (10ull * BO_USEC_PER_SEC)
/* Client's Block Report timer in pull mode: (2 * T_MBPI 30 s + 7 s), blob_cli.c. */
#define BO_BLOB_CLI_BLOCK_REPORT_US (67ull * BO_USEC_PER_SEC)

/* Server receive timeout: (timeout_base + 1) * 10 s. On expiry a server in a transfer
 * suspends. */
uint64_t bo_blob_srv_timeout_us(uint16_t timeout_base);
/* How long a prepared server waits for Transfer Start before it cancels:
 * BO_BLOB_SRV_START_WAIT receive timeouts. Zephyr's server waits for ever; one receive
 * timeout was too short for a distribution to a hundred Targets, whose Update Start and
 * capability steps take minutes before the first Transfer Start, yet a Target whose
 * Distributor vanished must not stay busy for ever. */
#define BO_BLOB_SRV_START_WAIT 10u
uint64_t bo_blob_srv_start_timeout_us(uint16_t timeout_base);
/* As above, but the timer Zephyr actually arms in pull mode: at least the report
 * interval + 1 s, so a report always goes out before the server gives up. */
uint64_t bo_blob_srv_pull_timeout_us(uint16_t timeout_base);
/* Client timeout: 10 s * (timeout_base + 2) + 100 ms * ttl. */
uint64_t bo_blob_cli_timeout_us(uint16_t timeout_base, uint8_t ttl);
/* Interval between retries of one acknowledged step: the client timeout split over
 * `retries` attempts, truncated to whole milliseconds as Zephyr's K_MSEC(ms / retries)
 * does. retries 0 is taken as 1. */
uint64_t bo_blob_cli_retry_us(uint16_t timeout_base, uint8_t ttl, unsigned retries);

#endif
