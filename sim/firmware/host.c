/* The device a firmware under test sees: see host.h. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "sim/firmware/host.h"

static struct fw_host *host_of(void *host)
{
	return host;
}

/* A range of one flash device in the combined device; UINT32_MAX when it leaves it. */
static uint32_t abs_range(const struct fw_host *h, unsigned flash, uint32_t off, uint32_t len)
{
	if (flash >= h->map.n || off > h->map.flash[flash].size ||
	    len > h->map.flash[flash].size - off)
		return UINT32_MAX;
	return h->map.flash[flash].base + off;
}

static int dev_read(void *host, unsigned flash, uint32_t off, void *buf, uint32_t len)
{
	struct fw_host *h = host_of(host);
	uint32_t a = abs_range(h, flash, off, len);
	return a != UINT32_MAX && fsim_read(h->flash, a, buf, len) == FSIM_OK ? 0 : -1;
}

static int dev_program(void *host, unsigned flash, uint32_t off, const void *buf, uint32_t len)
{
	struct fw_host *h = host_of(host);
	uint32_t a = abs_range(h, flash, off, len);
	return a != UINT32_MAX && fsim_program(h->flash, a, buf, len) == FSIM_OK ? 0 : -1;
}

static int dev_erase(void *host, unsigned flash, uint32_t off, uint32_t len)
{
	struct fw_host *h = host_of(host);
	uint32_t a = abs_range(h, flash, off, len);
	return a != UINT32_MAX && fsim_erase(h->flash, a, len) == FSIM_OK ? 0 : -1;
}

static void dev_log(void *host, const char *line)
{
	if (host_of(host)->trace)
		printf("    | %s\n", line);
}

static void dev_fail(void *host, const char *reason)
{
	struct fw_host *h = host_of(host);
	snprintf(h->fail_reason, sizeof h->fail_reason, "%s", reason ? reason : "fail()");
	if (!h->fail_jmp) {
		fprintf(stderr, "brownout: firmware failed outside a run: %s\n", h->fail_reason);
		abort();
	}
	longjmp(*h->fail_jmp, 2);
}

/* ---- Memoised crypto ------------------------------------------------------------------ */

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static int dev_p256_verify(void *host, const uint8_t *key, size_t key_len,
			   const uint8_t digest[32], const uint8_t *sig, size_t sig_len)
{
	struct fw_host *h = host_of(host);
	uint64_t sh = fnv1a(sig, sig_len) ^ fnv1a(key, key_len) * 31 ^ sig_len;
	for (int i = 0; i < FW_VERIFY_MEMO && !h->no_memo; i++) {
		const struct fw_verify_memo *m = &h->verify_memo[i];
		if (m->used && m->sig_hash == sh && !memcmp(m->digest, digest, 32))
			return m->result;
	}
	/* A raw uncompressed point becomes a SubjectPublicKeyInfo: the fixed P-256 prefix
	 * (SEQUENCE, id-ecPublicKey, prime256v1, BIT STRING) and the 65 bytes. */
	static const uint8_t spki_prefix[26] = {0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a,
						0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
						0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03,
						0x01, 0x07, 0x03, 0x42, 0x00};
	uint8_t spki[sizeof spki_prefix + 65];
	if (key_len == 65 && key[0] == 0x04) {
		memcpy(spki, spki_prefix, sizeof spki_prefix);
		memcpy(spki + sizeof spki_prefix, key, 65);
		key = spki;
		key_len = sizeof spki;
	}
	int result = h->crypto.ecdsa_p256_verify(h->crypto.ctx, key, key_len, digest, sig, sig_len);
	struct fw_verify_memo *m = &h->verify_memo[h->verify_next++ % FW_VERIFY_MEMO];
	*m = (struct fw_verify_memo){.sig_hash = sh, .result = result, .used = true};
	memcpy(m->digest, digest, 32);
	return result;
}

static void dev_sha256_start(void *host)
{
	struct fw_host *h = host_of(host);
	h->stream_len = 0;
	h->stream_fp[0] = 0x243f6a8885a308d3ull;
	h->stream_fp[1] = 0x13198a2e03707344ull;
}

static void dev_sha256_update(void *host, const void *data, size_t len)
{
	struct fw_host *h = host_of(host);
	if (h->stream_len + len > h->stream_cap) {
		size_t cap = h->stream_cap ? h->stream_cap : 65536;
		while (cap < h->stream_len + len)
			cap *= 2;
		h->stream = realloc(h->stream, cap);
		if (!h->stream)
			abort();
		h->stream_cap = cap;
	}
	memcpy(h->stream + h->stream_len, data, len);
	/* Two independent multiply-xorshift lanes over 8-byte words (fast, not cryptographic:
	 * a 128-bit fingerprint only has to tell apart the states of one simulation). A stream
	 * split differently gives another fingerprint, which only costs a memo miss. */
	const uint8_t *p = data;
	uint64_t a = h->stream_fp[0], b = h->stream_fp[1];
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		a = (a ^ w) * 0x9e3779b97f4a7c15ull;
		a ^= a >> 32;
		b = (b + w) * 0xff51afd7ed558ccdull;
		b ^= b >> 29;
	}
	for (; i < len; i++) {
		a = (a ^ p[i]) * 0x100000001b3ull;
		b = (b + p[i] + 1) * 0xc4ceb9fe1a85ec53ull;
	}
	a ^= len;
	b += len;
	h->stream_fp[0] = a;
	h->stream_fp[1] = b;
	h->stream_len += len;
}

static void dev_sha256_finish(void *host, uint8_t digest[32])
{
	struct fw_host *h = host_of(host);
	for (int i = 0; i < FW_HASH_MEMO && !h->no_memo; i++) {
		const struct fw_hash_memo *m = &h->hash_memo[i];
		if (m->used && m->len == h->stream_len && m->fp[0] == h->stream_fp[0] &&
		    m->fp[1] == h->stream_fp[1]) {
			memcpy(digest, m->digest, 32);
			return;
		}
	}
	mbedtls_sha256_ret(h->stream, h->stream_len, digest, 0);
	struct fw_hash_memo *m = &h->hash_memo[h->hash_next++ % FW_HASH_MEMO];
	*m = (struct fw_hash_memo){{h->stream_fp[0], h->stream_fp[1]}, h->stream_len, {0}, true};
	memcpy(m->digest, digest, 32);
}

/* ---- The device ------------------------------------------------------------------------ */

int fw_host_init(struct fw_host *h, struct fsim_device *dev, const struct fw_flash_map *map,
		 char *err, size_t errlen)
{
	memset(h, 0, sizeof *h);
	h->flash = dev;
	const struct fsim_geometry *g = fsim_geometry(dev);
	if (g->region_count > FW_HOST_MAX_REGIONS) {
		snprintf(err, errlen, "%zu sector regions, at most %d", (size_t)g->region_count,
			 FW_HOST_MAX_REGIONS);
		return -1;
	}
	for (size_t i = 0; i < g->region_count; i++)
		h->regions[i] = (struct bro_sector_region){g->regions[i].sector_size,
							   g->regions[i].count};
	if (map && map->n > 1) {
		h->map = *map;
	} else {
		h->map.n = 1;
		snprintf(h->map.flash[0].name, sizeof h->map.flash[0].name, "flash");
		h->map.flash[0].size = fsim_size(dev);
		h->map.flash[0].nregions = (uint32_t)g->region_count;
	}
	for (unsigned f = 0; f < h->map.n; f++) {
		/* A flash's own values: those of its regions. A flash programs in one unit and
		 * erases to one value (struct bro_flash), so its regions must agree on the erase
		 * value; their largest write unit is a legal unit for all of them on NOR. */
		uint32_t wu = 0, first = h->map.flash[f].first_region;
		struct fsim_props pr;
		fsim_region_props(g, first, &pr);
		uint8_t ev = pr.erase_value;
		for (uint32_t r = first; r < first + h->map.flash[f].nregions; r++) {
			fsim_region_props(g, r, &pr);
			if (pr.erase_value != ev) {
				snprintf(err, errlen, "flash '%s' erases to 0x%02x in one region and "
					 "0x%02x in another: a flash has one erase value",
					 h->map.flash[f].name, ev, pr.erase_value);
				return -1;
			}
			wu = pr.write_unit > wu ? pr.write_unit : wu;
		}
		uint32_t ru = h->map.flash[f].read_unit ? h->map.flash[f].read_unit : g->read_unit;
		h->flash_info[f] = (struct bro_flash){
			.name = h->map.flash[f].name,
			.size = h->map.flash[f].size,
			.regions = h->regions + h->map.flash[f].first_region,
			.nregions = h->map.flash[f].nregions,
			.write_unit = wu,
			.read_unit = ru ? ru : 1,
			.erase_value = ev,
		};
	}
	size_t np = fsim_partition_count(dev);
	if (np > FW_HOST_MAX_PARTS) {
		snprintf(err, errlen, "%zu partitions, at most %d", np, FW_HOST_MAX_PARTS);
		return -1;
	}
	for (size_t i = 0; i < np; i++) {
		const struct fsim_partition *p = fsim_partition_at(dev, i);
		unsigned f = 0;
		while (f + 1 < h->map.n && p->off >= h->map.flash[f + 1].base)
			f++;
		snprintf(h->part_names[i], sizeof h->part_names[i], "%s", p->name);
		h->parts[i] = (struct bro_partition){h->part_names[i], f, p->off - h->map.flash[f].base,
						     p->size};
	}
	bo_crypto_mbedtls_init(&h->crypto_state, &h->crypto);
	h->dev = (struct bro_device){
		.host = h,
		.flash = h->flash_info,
		.nflash = h->map.n,
		.parts = h->parts,
		.nparts = (unsigned)np,
		.read = dev_read,
		.program = dev_program,
		.erase = dev_erase,
		.log = dev_log,
		.fail = dev_fail,
		.sha256_start = dev_sha256_start,
		.sha256_update = dev_sha256_update,
		.sha256_finish = dev_sha256_finish,
		.p256_verify = dev_p256_verify,
	};
	return 0;
}

void fw_host_free(struct fw_host *h)
{
	bo_crypto_mbedtls_free(&h->crypto_state);
	free(h->stream);
	h->stream = NULL;
	h->stream_len = h->stream_cap = 0;
}

uint32_t fw_host_abs(const struct fw_host *h, unsigned flash, uint32_t off)
{
	return abs_range(h, flash, off, 0);
}

uint32_t fw_host_part_abs(const struct fw_host *h, int part)
{
	return h->map.flash[h->parts[part].flash].base + h->parts[part].off;
}

int fw_host_part_at(const struct fw_host *h, uint32_t off)
{
	for (unsigned i = 0; i < h->dev.nparts; i++) {
		uint32_t start = fw_host_part_abs(h, (int)i);
		if (off >= start && off - start < h->parts[i].size)
			return (int)i;
	}
	return -1;
}

int fw_host_sector(const struct fw_host *h, uint32_t off, uint32_t *start, uint32_t *size)
{
	return fsim_sector_of(h->flash, off, NULL, start, size) == FSIM_OK ? 0 : -1;
}

/* ---- abort() in firmware code ---------------------------------------------------------- */

static _Thread_local struct fw_host *current; /* host code: one firmware call per thread */

static void on_abort(int sig)
{
	struct fw_host *h = current;
	if (!h || !h->fail_jmp) {
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	current = NULL;
	snprintf(h->fail_reason, sizeof h->fail_reason, "abort() (an assertion failed)");
	longjmp(*h->fail_jmp, 2);
}

void fw_host_enter(struct fw_host *h)
{
	static _Thread_local bool installed; /* per thread is enough: the action is global */
	if (!installed) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_abort;
		sa.sa_flags = SA_NODEFER; /* we leave by longjmp: keep SIGABRT unblocked */
		sigemptyset(&sa.sa_mask);
		sigaction(SIGABRT, &sa, NULL);
		installed = true;
	}
	current = h;
}

void fw_host_leave(void)
{
	current = NULL;
}
