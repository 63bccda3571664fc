/*
 * tools/cli_util.h: small helpers the `brownout` subcommands share (argument parsing, the
 * file hash recorded with each sweep and run, the default database path).
 */
#ifndef BROWNOUT_CLI_UTIL_H
#define BROWNOUT_CLI_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Where outcomes go when no --db is given (relative to the working directory). */
#define CLI_DEFAULT_DB "brownout.db"

/* A decimal number 0..max, the whole string: 0, or -1. */
int cli_parse_uint(const char *s, unsigned long max, unsigned long *out);
/* The same for 64-bit values (seeds). */
int cli_parse_u64(const char *s, uint64_t max, uint64_t *out);
/* "K/N", both decimal, each at most 1 << 20, N > 0: 0, or -1. The range of K (0- or
 * 1-based) is the caller's to check. */
int cli_parse_shard(const char *s, unsigned long *k, unsigned long *n);
/* "3,7,10-20": ids and inclusive ranges, each 0..max, a range at most 100000 ids, no empty
 * item. 0 with *ids (malloc'ed, in the order given; free it) and *n set; -1 when malformed
 * or out of memory (nothing allocated). */
int cli_parse_ids(const char *s, unsigned long max, uint32_t **ids, size_t *n);
/* `--shard auto`: the shard from the environment of a batch system. Slurm job arrays:
 * SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN (0 when unset) of SLURM_ARRAY_TASK_COUNT;
 * Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX of BROWNOUT_SHARD_COUNT (set it to the
 * Job's completions). 0, or -1 with err set (none set, or inconsistent). */
int cli_shard_auto(unsigned long *k, unsigned long *n, char *err, size_t errlen);
/* SHA-256 of a file's bytes as 64 lowercase hex digits: 0, or -1 when unreadable. */
int cli_file_sha256(const char *path, char hex[65]);

/* The one wording every subcommand uses for an argument it cannot take: "brownout CMD:
 * unknown option '--x' (or its value is missing)" for an option, "unexpected argument 'x'"
 * otherwise, then "(see brownout CMD --help)". Returns 2, the usage exit code. */
int cli_bad_argument(const char *cmd, const char *arg);

#endif
