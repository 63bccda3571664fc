/* tools/cli_util.c: see cli_util.h. */
#include "tools/cli_util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

int cli_parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	char *end;
	if (!s[0] || s[0] < '0' || s[0] > '9')
		return -1; /* strtoull takes "-1" and " 1" */
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || v > max)
		return -1;
	*out = (uint64_t)v;
	return 0;
}

int cli_parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	uint64_t v;
	if (cli_parse_u64(s, max, &v))
		return -1;
	*out = (unsigned long)v;
	return 0;
}

int cli_parse_shard(const char *s, unsigned long *k, unsigned long *n)
{
	char a[16], b[16], extra;
	if (sscanf(s, "%15[0-9]/%15[0-9]%c", a, b, &extra) != 2 || cli_parse_uint(a, 1u << 20, k) ||
	    cli_parse_uint(b, 1u << 20, n) || *n == 0)
		return -1;
	return 0;
}

int cli_parse_ids(const char *s, unsigned long max, uint32_t **ids, size_t *n)
{
	uint32_t *v = NULL;
	size_t len = 0;

	*ids = NULL;
	*n = 0;
	for (const char *p = s;; p++) {
		char item[48];
		const char *end = strchr(p, ',');
		size_t k = end ? (size_t)(end - p) : strlen(p);
		unsigned long a, b;
		char *dash;

		if (k == 0 || k >= sizeof item)
			goto bad;
		memcpy(item, p, k);
		item[k] = '\0';
		dash = strchr(item, '-');
		if (dash)
			*dash = '\0';
		if (cli_parse_uint(item, max, &a) ||
		    (dash ? cli_parse_uint(dash + 1, max, &b) : (b = a, 0)) || a > b ||
		    b - a >= 100000)
			goto bad;
		uint32_t *m = realloc(v, (len + (b - a) + 1) * sizeof *m);
		if (!m)
			goto bad;
		v = m;
		for (unsigned long id = a; id <= b; id++)
			v[len++] = (uint32_t)id;
		if (!end)
			break;
		p = end;
	}
	*ids = v;
	*n = len;
	return 0;
bad:
	free(v);
	return -1;
}

/* An environment variable as a number 0..1 << 20: 1 set and parsed, 0 unset, -1 malformed. */
static int env_uint(const char *name, unsigned long *v)
{
	const char *s = getenv(name);
	if (!s || !*s)
		return 0;
	return cli_parse_uint(s, 1u << 20, v) ? -1 : 1;
}

int cli_shard_auto(unsigned long *k, unsigned long *n, char *err, size_t errlen)
{
	unsigned long id = 0, count = 0, min = 0;
	int have_id = env_uint("SLURM_ARRAY_TASK_ID", &id);
	if (have_id) {
		int have_count = env_uint("SLURM_ARRAY_TASK_COUNT", &count);
		int have_min = env_uint("SLURM_ARRAY_TASK_MIN", &min);
		if (have_id < 0 || have_count <= 0 || have_min < 0 || count == 0 || id < min ||
		    id - min >= count) {
			snprintf(err, errlen, "--shard auto: SLURM_ARRAY_TASK_ID=%s needs "
				 "SLURM_ARRAY_TASK_COUNT (and SLURM_ARRAY_TASK_MIN, default 0) with "
				 "0 <= ID - MIN < COUNT; an array of consecutive indices (--array=0-7)",
				 getenv("SLURM_ARRAY_TASK_ID"));
			return -1;
		}
		*k = id - min;
		*n = count;
		return 0;
	}
	have_id = env_uint("JOB_COMPLETION_INDEX", &id);
	if (have_id) {
		int have_count = env_uint("BROWNOUT_SHARD_COUNT", &count);
		if (have_id < 0 || have_count <= 0 || count == 0 || id >= count) {
			snprintf(err, errlen, "--shard auto: JOB_COMPLETION_INDEX (a Kubernetes Indexed "
				 "Job) needs BROWNOUT_SHARD_COUNT set to the Job's completions, greater "
				 "than the index");
			return -1;
		}
		*k = id;
		*n = count;
		return 0;
	}
	snprintf(err, errlen, "--shard auto: no shard in the environment: set SLURM_ARRAY_TASK_ID "
		 "and SLURM_ARRAY_TASK_COUNT (a Slurm job array) or JOB_COMPLETION_INDEX and "
		 "BROWNOUT_SHARD_COUNT (a Kubernetes Indexed Job), or give --shard K/N");
	return -1;
}

int cli_file_sha256(const char *path, char hex[65])
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return -1;
	mbedtls_sha256_context ctx;
	mbedtls_sha256_init(&ctx);
	mbedtls_sha256_starts_ret(&ctx, 0);
	unsigned char buf[4096], digest[32];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		mbedtls_sha256_update_ret(&ctx, buf, n);
	int bad = ferror(f);
	mbedtls_sha256_finish_ret(&ctx, digest);
	mbedtls_sha256_free(&ctx);
	fclose(f);
	if (bad)
		return -1;
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
	return 0;
}

int cli_bad_argument(const char *cmd, const char *arg)
{
	if (arg[0] == '-' && arg[1])
		fprintf(stderr, "brownout %s: unknown option '%s' (or its value is missing)\n", cmd, arg);
	else
		fprintf(stderr, "brownout %s: unexpected argument '%s'\n", cmd, arg);
	fprintf(stderr, "(see brownout %s --help)\n", cmd);
	return 2;
}
