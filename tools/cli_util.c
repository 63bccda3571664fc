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
