/* Memoising crypto port for simulated devices: see crypto_memo.h. */
#include "sim/crypto_memo.h"

#include <stdlib.h>
#include <string.h>

static void memo_sha_start(void *ctx)
{
	struct sim_crypto_memo *m = ctx;
	m->stream_len = 0;
	m->stream_oom = false;
}

/* The bytes are buffered (for the lookup at the end) and fed to the backend only when the
 * stream turns out to be new, or when they cannot be buffered. */
static void memo_sha_update(void *ctx, const void *data, size_t len)
{
	struct sim_crypto_memo *m = ctx;
	if (m->stream_oom) {
		m->inner->sha256_update(m->inner->ctx, data, len);
		return;
	}
	if (len > m->stream_cap - m->stream_len) {
		size_t cap = m->stream_cap ? m->stream_cap : 4096;
		while (cap - m->stream_len < len && cap <= SIZE_MAX / 2)
			cap *= 2;
		uint8_t *p = cap - m->stream_len >= len ? realloc(m->stream, cap) : NULL;
		if (!p) { /* hash what we have and go on without the memo */
			m->stream_oom = true;
			m->inner->sha256_start(m->inner->ctx);
			m->inner->sha256_update(m->inner->ctx, m->stream, m->stream_len);
			m->inner->sha256_update(m->inner->ctx, data, len);
			return;
		}
		m->stream = p;
		m->stream_cap = cap;
	}
	memcpy(m->stream + m->stream_len, data, len);
	m->stream_len += len;
}

static void memo_sha_finish(void *ctx, uint8_t digest[BO_SHA256_LEN])
{
	struct sim_crypto_memo *m = ctx;
	if (m->stream_oom) {
		m->inner->sha256_finish(m->inner->ctx, digest);
		return;
	}
	for (unsigned i = 0; i < SIM_CRYPTO_MEMO_HASHES; i++) {
		if (m->stream_len && m->hash[i].bytes && m->hash[i].len == m->stream_len &&
		    !memcmp(m->hash[i].bytes, m->stream, m->stream_len)) {
			memcpy(digest, m->hash[i].digest, BO_SHA256_LEN);
			m->hits++;
			return;
		}
	}
	m->misses++;
	m->inner->sha256_start(m->inner->ctx);
	m->inner->sha256_update(m->inner->ctx, m->stream, m->stream_len);
	m->inner->sha256_finish(m->inner->ctx, digest);
	/* Remember it: the slot takes the stream buffer, the stream a fresh one. */
	unsigned slot = m->hash_next++ % SIM_CRYPTO_MEMO_HASHES;
	free(m->hash[slot].bytes);
	m->hash[slot].bytes = m->stream;
	m->hash[slot].len = m->stream_len;
	memcpy(m->hash[slot].digest, digest, BO_SHA256_LEN);
	m->stream = NULL;
	m->stream_len = m->stream_cap = 0;
}

static int memo_verify(void *ctx, const uint8_t *spki, size_t spki_len,
		       const uint8_t digest[BO_SHA256_LEN], const uint8_t *sig, size_t sig_len)
{
	struct sim_crypto_memo *m = ctx;
	bool fits = spki_len <= SIM_CRYPTO_MEMO_KEY_MAX && sig_len <= SIM_CRYPTO_MEMO_SIG_MAX;
	for (unsigned i = 0; fits && i < SIM_CRYPTO_MEMO_VERIFIES; i++) {
		const struct sim_crypto_memo_verify *v = &m->verify[i];
		if (v->used && v->key_len == spki_len && v->sig_len == sig_len &&
		    !memcmp(v->digest, digest, BO_SHA256_LEN) && !memcmp(v->key, spki, spki_len) &&
		    !memcmp(v->sig, sig, sig_len)) {
			m->hits++;
			return v->result;
		}
	}
	m->misses++;
	int rc = m->inner->ecdsa_p256_verify(m->inner->ctx, spki, spki_len, digest, sig, sig_len);
	if (fits) {
		struct sim_crypto_memo_verify *v = &m->verify[m->verify_next++ % SIM_CRYPTO_MEMO_VERIFIES];
		v->used = true;
		v->result = rc;
		v->key_len = spki_len;
		v->sig_len = sig_len;
		memcpy(v->key, spki, spki_len);
		memcpy(v->sig, sig, sig_len);
		memcpy(v->digest, digest, BO_SHA256_LEN);
	}
	return rc;
}

static int memo_cmac(void *ctx, const uint8_t key[16], const void *msg, size_t len,
		     uint8_t mac[16])
{
	struct sim_crypto_memo *m = ctx;
	return m->inner->aes_cmac(m->inner->ctx, key, msg, len, mac);
}

void sim_crypto_memo_init(struct sim_crypto_memo *m, const struct bo_crypto *inner,
			  struct bo_crypto *out)
{
	memset(m, 0, sizeof *m);
	m->inner = inner;
	*out = (struct bo_crypto){
		.ctx = m,
		.sha256_start = memo_sha_start,
		.sha256_update = memo_sha_update,
		.sha256_finish = memo_sha_finish,
		.ecdsa_p256_verify = memo_verify,
		.aes_cmac = inner->aes_cmac ? memo_cmac : NULL,
	};
}

void sim_crypto_memo_free(struct sim_crypto_memo *m)
{
	free(m->stream);
	for (unsigned i = 0; i < SIM_CRYPTO_MEMO_HASHES; i++)
		free(m->hash[i].bytes);
	memset(m, 0, sizeof *m);
}
