/*
 * sim/crypto_memo.h: a struct bo_crypto that remembers its answers, for simulations in
 * which many devices check the same images (the scenario runner: every node's bootloader
 * hashes and verifies its image at each power-on; on a 2000-node mesh that was most of the
 * time spent building the world).
 *
 * Exact, not probabilistic: a SHA-256 digest is reused only for a stream of the very same
 * bytes (compared in full: a memcmp costs a few percent of hashing them), a signature
 * check only for the same key, digest and signature (a pure function of those). A miss
 * asks the wrapped backend. Other calls pass through.
 *
 * Host code (allocates). Not thread-safe: one per thread, like the backend it wraps.
 */
#ifndef SIM_CRYPTO_MEMO_H
#define SIM_CRYPTO_MEMO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/port/crypto.h"

#define SIM_CRYPTO_MEMO_HASHES 4u   /* distinct streams remembered (round robin) */
#define SIM_CRYPTO_MEMO_VERIFIES 8u /* distinct signature checks remembered */
#define SIM_CRYPTO_MEMO_KEY_MAX 160u
#define SIM_CRYPTO_MEMO_SIG_MAX 80u

struct sim_crypto_memo_verify {
	bool used;
	int result;
	size_t key_len, sig_len;
	uint8_t key[SIM_CRYPTO_MEMO_KEY_MAX];
	uint8_t sig[SIM_CRYPTO_MEMO_SIG_MAX];
	uint8_t digest[BO_SHA256_LEN];
};

struct sim_crypto_memo {
	const struct bo_crypto *inner;
	uint8_t *stream;            /* the bytes of the stream in progress */
	size_t stream_len, stream_cap;
	bool stream_oom;            /* could not buffer: hash through the backend */
	struct {
		uint8_t *bytes;
		size_t len;
		uint8_t digest[BO_SHA256_LEN];
	} hash[SIM_CRYPTO_MEMO_HASHES];
	unsigned hash_next;
	struct sim_crypto_memo_verify verify[SIM_CRYPTO_MEMO_VERIFIES];
	unsigned verify_next;
	uint64_t hits, misses;      /* hashes and verifications answered / computed */
};

/* Wrap `inner` (which must outlive m); out gets the memoising functions (out->ctx = m). */
void sim_crypto_memo_init(struct sim_crypto_memo *m, const struct bo_crypto *inner,
			  struct bo_crypto *out);
void sim_crypto_memo_free(struct sim_crypto_memo *m);

#endif
