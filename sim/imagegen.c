/*
 * sim/imagegen.c: build and sign MCUboot images on the host with mbed TLS 2.28.
 *
 * Byte layout follows MCUboot's imgtool 2.4.0 (scripts/imgtool/image.py), re-implemented
 * here in C: header, payload, protected TLV area, unprotected TLV area (SHA256, KEYHASH,
 * ECDSA_SIG), optional padding to the slot with the trailer magic and image_ok.
 */
#include "sim/imagegen.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <mbedtls/bignum.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#include <mbedtls/ecp.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>

#include "core/boot/trailer.h"

struct bo_signkey {
	mbedtls_pk_context pk;
	bool has_private;
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	if (err == NULL || errlen == 0)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- Keys --------------------------------------------------------------------------- */

static struct bo_signkey *key_new(void)
{
	struct bo_signkey *k = calloc(1, sizeof *k);
	if (k != NULL)
		mbedtls_pk_init(&k->pk);
	return k;
}

void bo_signkey_free(struct bo_signkey *k)
{
	if (k == NULL)
		return;
	mbedtls_pk_free(&k->pk);
	free(k);
}

bool bo_signkey_has_private(const struct bo_signkey *k)
{
	return k != NULL && k->has_private;
}

/* Accept only EC keys on P-256. */
static int check_p256(const struct bo_signkey *k, char *err, size_t errlen)
{
	mbedtls_pk_type_t t = mbedtls_pk_get_type(&k->pk);
	if (t != MBEDTLS_PK_ECKEY && t != MBEDTLS_PK_ECKEY_DH && t != MBEDTLS_PK_ECDSA) {
		seterr(err, errlen, "only ECDSA P-256 keys are supported (this is a %s key)",
		       mbedtls_pk_get_name(&k->pk));
		return -1;
	}
	const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	if (ec->grp.id != MBEDTLS_ECP_DP_SECP256R1) {
		const mbedtls_ecp_curve_info *ci = mbedtls_ecp_curve_info_from_grp_id(ec->grp.id);
		seterr(err, errlen, "only ECDSA P-256 keys are supported (this key is on curve %s)",
		       ci != NULL ? ci->name : "unknown");
		return -1;
	}
	return 0;
}

int bo_signkey_load_pem(const void *pem, size_t len, struct bo_signkey **out, char *err,
			size_t errlen)
{
	*out = NULL;
	if (pem == NULL || len == 0) {
		seterr(err, errlen, "empty key file");
		return -1;
	}
	/* mbed TLS wants PEM NUL-terminated, with the NUL counted in the length. */
	char *buf = malloc(len + 1);
	struct bo_signkey *k = key_new();
	if (buf == NULL || k == NULL) {
		free(buf);
		bo_signkey_free(k);
		seterr(err, errlen, "out of memory");
		return -1;
	}
	memcpy(buf, pem, len);
	buf[len] = '\0';
	int rc = -1;
	if (strstr(buf, "ENCRYPTED") != NULL) {
		seterr(err, errlen, "password-protected keys are not supported");
		goto out;
	}
	if (strstr(buf, "-----BEGIN") == NULL) {
		seterr(err, errlen, "not a PEM key (no -----BEGIN line)");
		goto out;
	}
	if (mbedtls_pk_parse_key(&k->pk, (const unsigned char *)buf, len + 1, NULL, 0) == 0) {
		k->has_private = true;
	} else {
		mbedtls_pk_free(&k->pk);
		mbedtls_pk_init(&k->pk);
		if (mbedtls_pk_parse_public_key(&k->pk, (const unsigned char *)buf, len + 1) != 0) {
			seterr(err, errlen,
			       "cannot parse the key: expected a PEM EC P-256 private key (PKCS#8 "
			       "\"PRIVATE KEY\" or SEC1 \"EC PRIVATE KEY\") or public key "
			       "(\"PUBLIC KEY\")");
			goto out;
		}
	}
	if (check_p256(k, err, errlen) != 0)
		goto out;
	*out = k;
	k = NULL;
	rc = 0;
out:
	mbedtls_platform_zeroize(buf, len + 1);
	free(buf);
	bo_signkey_free(k);
	return rc;
}

int bo_signkey_load_file(const char *path, struct bo_signkey **out, char *err, size_t errlen)
{
	*out = NULL;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		seterr(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && !S_ISREG(st.st_mode)) {
		seterr(err, errlen, "%s: %s, not a key file (give the PEM file of the key)", path,
		       S_ISDIR(st.st_mode) ? "a directory" : "not a regular file");
		fclose(f);
		return -1;
	}
	char buf[16384];
	size_t n = fread(buf, 1, sizeof buf, f);
	bool too_big = n == sizeof buf;
	bool ioerr = ferror(f) != 0;
	fclose(f);
	if (ioerr || too_big) {
		seterr(err, errlen, "%s: %s", path, ioerr ? "read error" : "too large for a key file");
		return -1;
	}
	char e2[BO_IMAGEGEN_ERRLEN];
	int rc = bo_signkey_load_pem(buf, n, out, e2, sizeof e2);
	mbedtls_platform_zeroize(buf, sizeof buf);
	if (rc != 0)
		seterr(err, errlen, "%s: %s", path, e2);
	return rc;
}

/* Blinding randomness for point multiplication and signing. The results do not depend on
 * it; it is a SHA-256 counter stream keyed by the caller so everything stays reproducible
 * and independent of system entropy. */
struct det_rng {
	uint8_t seed[32];
	uint32_t counter;
};

static int det_rng_fill(void *ctx, unsigned char *out, size_t len)
{
	struct det_rng *r = ctx;
	while (len > 0) {
		uint8_t block[32];
		uint8_t in[36];
		memcpy(in, r->seed, 32);
		in[32] = (uint8_t)r->counter;
		in[33] = (uint8_t)(r->counter >> 8);
		in[34] = (uint8_t)(r->counter >> 16);
		in[35] = (uint8_t)(r->counter >> 24);
		r->counter++;
		if (mbedtls_sha256_ret(in, sizeof in, block, 0) != 0)
			return -1;
		size_t n = len < sizeof block ? len : sizeof block;
		memcpy(out, block, n);
		out += n;
		len -= n;
	}
	return 0;
}

static void det_rng_init(struct det_rng *r, const char *label, const void *a, size_t alen,
			 const void *b, size_t blen)
{
	mbedtls_sha256_context c;
	mbedtls_sha256_init(&c);
	mbedtls_sha256_starts_ret(&c, 0);
	mbedtls_sha256_update_ret(&c, (const unsigned char *)label, strlen(label));
	if (alen)
		mbedtls_sha256_update_ret(&c, a, alen);
	if (blen)
		mbedtls_sha256_update_ret(&c, b, blen);
	mbedtls_sha256_finish_ret(&c, r->seed);
	mbedtls_sha256_free(&c);
	r->counter = 0;
}

static int key_setup_ec(struct bo_signkey *k)
{
	if (mbedtls_pk_setup(&k->pk, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)) != 0)
		return -1;
	return mbedtls_ecp_group_load(&mbedtls_pk_ec(k->pk)->grp, MBEDTLS_ECP_DP_SECP256R1) == 0
		       ? 0
		       : -1;
}

int bo_signkey_generate(struct bo_signkey **out, char *err, size_t errlen)
{
	mbedtls_entropy_context ent;
	mbedtls_ctr_drbg_context drbg;
	struct bo_signkey *k = key_new();
	int rc = -1;

	*out = NULL;
	mbedtls_entropy_init(&ent);
	mbedtls_ctr_drbg_init(&drbg);
	if (k == NULL) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	static const char pers[] = "brownout-keygen";
	if (mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &ent, (const unsigned char *)pers,
				  sizeof pers - 1) != 0) {
		seterr(err, errlen, "cannot seed the random generator from system entropy");
		goto out;
	}
	if (key_setup_ec(k) != 0 ||
	    mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1, mbedtls_pk_ec(k->pk),
				mbedtls_ctr_drbg_random, &drbg) != 0) {
		seterr(err, errlen, "P-256 key generation failed");
		goto out;
	}
	k->has_private = true;
	*out = k;
	k = NULL;
	rc = 0;
out:
	mbedtls_ctr_drbg_free(&drbg);
	mbedtls_entropy_free(&ent);
	bo_signkey_free(k);
	return rc;
}

int bo_signkey_from_seed(uint64_t seed, struct bo_signkey **out, char *err, size_t errlen)
{
	static const char label[] = "brownout-p256-seed-key";
	struct bo_signkey *k = key_new();
	int rc = -1;

	*out = NULL;
	if (k == NULL || key_setup_ec(k) != 0) {
		seterr(err, errlen, "out of memory");
		goto out;
	}
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	uint8_t in[sizeof label - 1 + 12];
	uint8_t d[32];
	memcpy(in, label, sizeof label - 1);
	for (int i = 0; i < 8; i++)
		in[sizeof label - 1 + i] = (uint8_t)(seed >> (8 * i));
	for (uint32_t ctr = 0;; ctr++) {
		if (ctr == 1000) { /* probability ~2^-32 per try: cannot happen */
			seterr(err, errlen, "key derivation did not converge");
			goto out;
		}
		for (int i = 0; i < 4; i++)
			in[sizeof label - 1 + 8 + i] = (uint8_t)(ctr >> (8 * i));
		if (mbedtls_sha256_ret(in, sizeof in, d, 0) != 0 ||
		    mbedtls_mpi_read_binary(&ec->d, d, sizeof d) != 0)
			goto fail;
		if (mbedtls_ecp_check_privkey(&ec->grp, &ec->d) == 0)
			break;
	}
	struct det_rng r;
	det_rng_init(&r, "brownout-seed-blind", d, sizeof d, NULL, 0);
	if (mbedtls_ecp_mul(&ec->grp, &ec->Q, &ec->d, &ec->grp.G, det_rng_fill, &r) != 0)
		goto fail;
	mbedtls_platform_zeroize(d, sizeof d);
	k->has_private = true;
	*out = k;
	k = NULL;
	rc = 0;
	goto out;
fail:
	seterr(err, errlen, "P-256 key derivation failed");
out:
	bo_signkey_free(k);
	return rc;
}

int bo_signkey_spki(const struct bo_signkey *k, uint8_t spki[BO_P256_SPKI_LEN])
{
	uint8_t buf[256];
	/* mbedtls_pk_write_pubkey_der takes a non-const context but does not modify it. */
	int n = mbedtls_pk_write_pubkey_der((mbedtls_pk_context *)&k->pk, buf, sizeof buf);
	if (n != BO_P256_SPKI_LEN)
		return -1;
	memcpy(spki, buf + sizeof buf - n, BO_P256_SPKI_LEN);
	return 0;
}

static int pem_wrap(const char *what, const uint8_t *der, size_t der_len, char **pem, char *err,
		    size_t errlen)
{
	char header[64], footer[64];
	snprintf(header, sizeof header, "-----BEGIN %s-----\n", what);
	snprintf(footer, sizeof footer, "-----END %s-----\n", what);
	size_t cap = 64 + 64 + der_len * 2 + 16;
	unsigned char *buf = malloc(cap);
	size_t olen = 0;
	if (buf == NULL) {
		seterr(err, errlen, "out of memory");
		return -1;
	}
	if (mbedtls_pem_write_buffer(header, footer, der, der_len, buf, cap, &olen) != 0) {
		free(buf);
		seterr(err, errlen, "PEM encoding failed");
		return -1;
	}
	*pem = (char *)buf;
	return 0;
}

int bo_signkey_private_pem(const struct bo_signkey *k, char **pem, char *err, size_t errlen)
{
	/*
	 * PKCS#8 PrivateKeyInfo exactly as python-cryptography (imgtool keygen) writes it:
	 * SEQUENCE { INTEGER 0, SEQUENCE { id-ecPublicKey, prime256v1 },
	 *            OCTET STRING { ECPrivateKey { 1, OCTET STRING d, [1] BIT STRING Q } } }
	 * (the inner ECPrivateKey omits the [0] parameters).
	 */
	static const uint8_t prefix[] = {
		0x30, 0x81, 0x87, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48,
		0xce, 0x3d, 0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01,
		0x07, 0x04, 0x6d, 0x30, 0x6b, 0x02, 0x01, 0x01, 0x04, 0x20,
	};
	static const uint8_t mid[] = {0xa1, 0x44, 0x03, 0x42, 0x00};
	uint8_t der[sizeof prefix + 32 + sizeof mid + 65];
	size_t qlen = 0;

	*pem = NULL;
	if (!bo_signkey_has_private(k)) {
		seterr(err, errlen, "not a private key");
		return -1;
	}
	const mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	memcpy(der, prefix, sizeof prefix);
	if (mbedtls_mpi_write_binary(&ec->d, der + sizeof prefix, 32) != 0)
		goto fail;
	memcpy(der + sizeof prefix + 32, mid, sizeof mid);
	if (mbedtls_ecp_point_write_binary(&ec->grp, &ec->Q, MBEDTLS_ECP_PF_UNCOMPRESSED, &qlen,
					   der + sizeof prefix + 32 + sizeof mid, 65) != 0 ||
	    qlen != 65)
		goto fail;
	int rc = pem_wrap("PRIVATE KEY", der, sizeof der, pem, err, errlen);
	mbedtls_platform_zeroize(der, sizeof der);
	return rc;
fail:
	mbedtls_platform_zeroize(der, sizeof der);
	seterr(err, errlen, "cannot encode the private key");
	return -1;
}

int bo_signkey_public_pem(const struct bo_signkey *k, char **pem, char *err, size_t errlen)
{
	uint8_t spki[BO_P256_SPKI_LEN];
	*pem = NULL;
	if (k == NULL || bo_signkey_spki(k, spki) != 0) {
		seterr(err, errlen, "cannot encode the public key");
		return -1;
	}
	return pem_wrap("PUBLIC KEY", spki, sizeof spki, pem, err, errlen);
}

/* DER INTEGER from a 32-byte big-endian unsigned value. Returns bytes written. */
static size_t der_uint(uint8_t *p, const uint8_t v[32])
{
	size_t i = 0;
	while (i < 31 && v[i] == 0)
		i++;
	size_t n = 32 - i;
	bool pad = (v[i] & 0x80) != 0;
	p[0] = 0x02;
	p[1] = (uint8_t)(n + pad);
	size_t o = 2;
	if (pad)
		p[o++] = 0;
	memcpy(p + o, v + i, n);
	return o + n;
}

int bo_signkey_sign_digest(const struct bo_signkey *k, const uint8_t digest[32],
			   uint8_t sig[BO_P256_SIG_MAX], size_t *sig_len)
{
	mbedtls_mpi r, s;
	uint8_t rb[32], sb[32], d[32];
	int rc = -1;

	*sig_len = 0;
	if (!bo_signkey_has_private(k))
		return -1;
	mbedtls_ecp_keypair *ec = mbedtls_pk_ec(k->pk);
	mbedtls_mpi_init(&r);
	mbedtls_mpi_init(&s);
	if (mbedtls_mpi_write_binary(&ec->d, d, sizeof d) != 0)
		goto out;
	struct det_rng blind;
	det_rng_init(&blind, "brownout-sign-blind", d, sizeof d, digest, 32);
	if (mbedtls_ecdsa_sign_det_ext(&ec->grp, &r, &s, &ec->d, digest, 32, MBEDTLS_MD_SHA256,
				       det_rng_fill, &blind) != 0)
		goto out;
	if (mbedtls_mpi_write_binary(&r, rb, 32) != 0 || mbedtls_mpi_write_binary(&s, sb, 32) != 0)
		goto out;
	uint8_t body[70];
	size_t n = der_uint(body, rb);
	n += der_uint(body + n, sb);
	sig[0] = 0x30;
	sig[1] = (uint8_t)n;
	memcpy(sig + 2, body, n);
	*sig_len = n + 2;
	rc = 0;
out:
	mbedtls_platform_zeroize(d, sizeof d);
	mbedtls_mpi_free(&r);
	mbedtls_mpi_free(&s);
	return rc;
}

/* ---- Images ------------------------------------------------------------------------- */

void bo_imagegen_opts_init(struct bo_imagegen_opts *o)
{
	memset(o, 0, sizeof *o);
	o->header_size = BO_IMAGE_HEADER_SIZE;
	o->align = 1;
	o->max_sectors = 128;
	o->erased_val = 0xff;
	o->behaviour = -1;
}

static uint32_t align_up32(uint32_t v, uint32_t a)
{
	return (v + a - 1) & ~(a - 1);
}

uint32_t bo_imagegen_max_align(const struct bo_imagegen_opts *o)
{
	if (o->max_align != 0)
		return o->max_align;
	return o->align > 8 ? o->align : 8;
}

uint32_t bo_imagegen_trailer_size(const struct bo_imagegen_opts *o)
{
	uint32_t a = bo_imagegen_max_align(o);
	uint32_t magic = align_up32(BO_TRAILER_MAGIC_SZ, a);
	if (o->overwrite_only)
		return a * 2 + magic;
	uint32_t m = o->max_sectors != 0 ? o->max_sectors : 128;
	return m * 3 * o->align + a * 4 + magic;
}

/* A growable byte buffer. */
struct bytes {
	uint8_t *p;
	size_t len, cap;
	bool oom;
};

static void put(struct bytes *b, const void *data, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *p = realloc(b->p, cap);
		if (p == NULL) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, data, n);
	b->len += n;
}

static void put_fill(struct bytes *b, uint8_t v, size_t n)
{
	uint8_t blk[256];
	memset(blk, v, sizeof blk);
	while (n > 0 && !b->oom) {
		size_t k = n < sizeof blk ? n : sizeof blk;
		put(b, blk, k);
		n -= k;
	}
}

static void put_le16(struct bytes *b, uint16_t v)
{
	uint8_t x[2] = {(uint8_t)v, (uint8_t)(v >> 8)};
	put(b, x, 2);
}

static void put_le32(struct bytes *b, uint32_t v)
{
	uint8_t x[4] = {(uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24)};
	put(b, x, 4);
}

static void put_tlv(struct bytes *b, uint16_t type, const void *data, uint16_t len)
{
	put_le16(b, type);
	put_le16(b, len);
	put(b, data, len);
}

static bool is_pow2_in(uint32_t v, uint32_t lo, uint32_t hi)
{
	return v >= lo && v <= hi && (v & (v - 1)) == 0;
}

/* imgtool refuses custom TLV types outside the vendor range or equal to a known type. */
static bool custom_type_ok(uint16_t t)
{
	return t >= 0xa0 && t <= 0xfffe;
}

int bo_imagegen_build(const struct bo_imagegen_opts *o, const struct bo_signkey *key,
		      const uint8_t *payload, size_t payload_len, uint8_t **out, size_t *out_len,
		      char *err, size_t errlen)
{
	struct bytes img = {0}, prot = {0}, tlv = {0};
	int rc = -1;

	*out = NULL;
	*out_len = 0;
	if (payload == NULL && payload_len != 0) {
		seterr(err, errlen, "no payload");
		return -1;
	}
	if (o->header_size < BO_IMAGE_HEADER_SIZE || o->header_size > 0xffff) {
		seterr(err, errlen, "header size %u out of range: it must be 32..65535",
		       o->header_size);
		return -1;
	}
	if (!is_pow2_in(o->align, 1, 32)) {
		seterr(err, errlen, "alignment %u invalid: use 1, 2, 4, 8, 16 or 32", o->align);
		return -1;
	}
	uint32_t max_align = bo_imagegen_max_align(o);
	if (!is_pow2_in(max_align, 8, 32) || max_align < o->align) {
		seterr(err, errlen, "max alignment %u invalid: use 8, 16 or 32, at least --align",
		       max_align);
		return -1;
	}
	if (o->erased_val != 0xff && o->erased_val != 0x00) {
		seterr(err, errlen, "erased value must be 0xff or 0x00");
		return -1;
	}
	if (o->load_addr != 0 && o->rom_fixed != 0) {
		seterr(err, errlen, "cannot set both a load address and a fixed ROM address");
		return -1;
	}
	if (o->behaviour > 0xff) {
		seterr(err, errlen, "behaviour value %d does not fit a byte", o->behaviour);
		return -1;
	}
	if (key != NULL && !bo_signkey_has_private(key)) {
		seterr(err, errlen, "cannot sign with a public key: signing needs the private key");
		return -1;
	}
	bool pad = o->pad || o->confirm || o->test;
	if (pad && o->slot_size == 0) {
		seterr(err, errlen, "padding needs a slot size");
		return -1;
	}

	/* Header space + payload. */
	if (o->pad_header) {
		put_fill(&img, o->erased_val, o->header_size);
	} else {
		if (payload_len < o->header_size) {
			seterr(err, errlen,
			       "payload (%zu bytes) is shorter than the header size %u; use "
			       "--pad-header",
			       payload_len, o->header_size);
			return -1;
		}
		for (size_t i = 0; i < o->header_size; i++)
			if (payload[i] != 0) {
				seterr(err, errlen,
				       "header padding was not requested and the payload does not start "
				       "with %u zero bytes; use --pad-header",
				       o->header_size);
				return -1;
			}
	}
	put(&img, payload, payload_len);
	if (img.oom)
		goto oom;
	if (img.len - o->header_size > 0xffffffffu) {
		seterr(err, errlen, "payload too large");
		goto out;
	}
	uint32_t img_size = (uint32_t)(img.len - o->header_size);

	/* Protected TLVs: SEC_CNT, behaviour, custom (imgtool puts custom TLVs last). */
	if (o->has_security_counter)
		put_tlv(&prot, BO_TLV_SEC_CNT,
			(uint8_t[4]){(uint8_t)o->security_counter, (uint8_t)(o->security_counter >> 8),
				     (uint8_t)(o->security_counter >> 16),
				     (uint8_t)(o->security_counter >> 24)},
			4);
	if (o->behaviour >= 0)
		put_tlv(&prot, BO_TLV_BEHAVIOUR, (uint8_t[1]){(uint8_t)o->behaviour}, 1);
	for (size_t i = 0; i < o->custom_tlv_count; i++) {
		const struct bo_imagegen_tlv *t = &o->custom_tlvs[i];
		if (!custom_type_ok(t->type)) {
			seterr(err, errlen,
			       "custom TLV type 0x%x invalid: it must be in 0xa0..0xfffe", t->type);
			goto out;
		}
		bool dup = o->behaviour >= 0 && t->type == BO_TLV_BEHAVIOUR;
		for (size_t j = 0; j < i; j++)
			if (o->custom_tlvs[j].type == t->type)
				dup = true;
		if (dup) {
			seterr(err, errlen, "custom TLV 0x%x given twice", t->type);
			goto out;
		}
		if (t->len != 0 && t->data == NULL) {
			seterr(err, errlen, "custom TLV 0x%x has no data", t->type);
			goto out;
		}
		put_tlv(&prot, t->type, t->data, t->len);
	}
	if (prot.oom)
		goto oom;
	uint32_t prot_size = prot.len ? (uint32_t)prot.len + BO_TLV_INFO_SIZE : 0;
	if (prot_size > 0xffff) {
		seterr(err, errlen, "protected TLVs too large (%u bytes, at most 65535)", prot_size);
		goto out;
	}

	/* Header. */
	uint32_t flags = 0;
	if (o->load_addr != 0)
		flags |= BO_IMAGE_F_RAM_LOAD;
	if (o->rom_fixed != 0)
		flags |= BO_IMAGE_F_ROM_FIXED;
	if (o->non_bootable)
		flags |= BO_IMAGE_F_NON_BOOTABLE;
	struct bytes hdr = {0};
	put_le32(&hdr, BO_IMAGE_MAGIC);
	put_le32(&hdr, o->rom_fixed ? o->rom_fixed : o->load_addr);
	put_le16(&hdr, (uint16_t)o->header_size);
	put_le16(&hdr, (uint16_t)prot_size);
	put_le32(&hdr, img_size);
	put_le32(&hdr, flags);
	put(&hdr, &o->version.major, 1);
	put(&hdr, &o->version.minor, 1);
	put_le16(&hdr, o->version.revision);
	put_le32(&hdr, o->version.build);
	put_le32(&hdr, 0);
	if (hdr.oom) {
		free(hdr.p);
		goto oom;
	}
	memcpy(img.p, hdr.p, BO_IMAGE_HEADER_SIZE);
	free(hdr.p);

	/* Protected area with its info header. */
	if (prot_size) {
		put_le16(&img, BO_TLV_PROT_INFO_MAGIC);
		put_le16(&img, (uint16_t)prot_size);
		put(&img, prot.p, prot.len);
	}
	if (img.oom)
		goto oom;

	/* Unprotected: SHA256, KEYHASH/PUBKEY, ECDSA_SIG. */
	uint8_t digest[32];
	if (mbedtls_sha256_ret(img.p, img.len, digest, 0) != 0) {
		seterr(err, errlen, "SHA-256 failed");
		goto out;
	}
	put_tlv(&tlv, BO_TLV_SHA256, digest, sizeof digest);
	if (key != NULL) {
		uint8_t spki[BO_P256_SPKI_LEN], kh[32], sig[BO_P256_SIG_MAX];
		size_t sig_len;
		if (bo_signkey_spki(key, spki) != 0) {
			seterr(err, errlen, "cannot export the public key");
			goto out;
		}
		if (o->pubkey_full) {
			put_tlv(&tlv, BO_TLV_PUBKEY, spki, sizeof spki);
		} else {
			mbedtls_sha256_ret(spki, sizeof spki, kh, 0);
			put_tlv(&tlv, BO_TLV_KEYHASH, kh, sizeof kh);
		}
		if (bo_signkey_sign_digest(key, digest, sig, &sig_len) != 0) {
			seterr(err, errlen, "signing failed");
			goto out;
		}
		put_tlv(&tlv, BO_TLV_ECDSA_SIG, sig, (uint16_t)sig_len);
	}
	if (tlv.oom)
		goto oom;
	put_le16(&img, BO_TLV_INFO_MAGIC);
	put_le16(&img, (uint16_t)(tlv.len + BO_TLV_INFO_SIZE));
	put(&img, tlv.p, tlv.len);
	if (img.oom)
		goto oom;

	/* Fit check (imgtool does it whenever a slot size is given), then padding. */
	if (o->slot_size != 0) {
		uint64_t tsize = bo_imagegen_trailer_size(o);
		if ((uint64_t)img.len + tsize > o->slot_size) {
			seterr(err, errlen,
			       "image size (0x%zx) + trailer (0x%llx) exceeds the slot size 0x%x",
			       img.len, (unsigned long long)tsize, o->slot_size);
			goto out;
		}
	}
	if (pad) {
		uint8_t magic[BO_TRAILER_MAGIC_SZ];
		uint32_t magic_block = align_up32(BO_TRAILER_MAGIC_SZ, max_align);
		put_fill(&img, o->erased_val, o->slot_size - img.len - BO_TRAILER_MAGIC_SZ);
		bo_trailer_magic(max_align, magic);
		put(&img, magic, sizeof magic);
		if (img.oom)
			goto oom;
		if (o->confirm && !o->overwrite_only)
			img.p[o->slot_size - magic_block - max_align] = BO_TRAILER_FLAG_SET;
	}

	*out = img.p;
	*out_len = img.len;
	img.p = NULL;
	rc = 0;
	goto out;
oom:
	seterr(err, errlen, "out of memory");
out:
	free(img.p);
	free(prot.p);
	free(tlv.p);
	return rc;
}

void bo_imagegen_fill_payload(uint8_t *buf, size_t len, uint64_t seed)
{
	uint64_t x = seed;
	for (size_t i = 0; i < len; i += 8) {
		x += 0x9e3779b97f4a7c15ull;
		uint64_t z = x;
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		z ^= z >> 31;
		for (size_t j = 0; j < 8 && i + j < len; j++)
			buf[i + j] = (uint8_t)(z >> (8 * j));
	}
}

/* One decimal component: "0" or [1-9][0-9]*, at most max. */
static const char *parse_component(const char *s, uint64_t max, uint64_t *out)
{
	if (*s < '0' || *s > '9')
		return NULL;
	if (*s == '0' && s[1] >= '0' && s[1] <= '9')
		return NULL; /* no leading zeros, as imgtool's regex */
	uint64_t v = 0;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (uint64_t)(*s - '0');
		if (v > max)
			return NULL;
		s++;
	}
	*out = v;
	return s;
}

int bo_imagegen_parse_version(const char *s, struct bo_image_version *out)
{
	uint64_t maj = 0, min = 0, rev = 0, build = 0;
	memset(out, 0, sizeof *out);
	if (s == NULL || (s = parse_component(s, 0xff, &maj)) == NULL)
		return -1;
	if (*s == '.') {
		if ((s = parse_component(s + 1, 0xff, &min)) == NULL)
			return -1;
		if (*s == '.') {
			if ((s = parse_component(s + 1, 0xffff, &rev)) == NULL)
				return -1;
			if (*s == '+' && (s = parse_component(s + 1, 0xffffffffu, &build)) == NULL)
				return -1;
		}
	}
	if (*s != '\0')
		return -1;
	out->major = (uint8_t)maj;
	out->minor = (uint8_t)min;
	out->revision = (uint16_t)rev;
	out->build = (uint32_t)build;
	return 0;
}

/* ---- RAM flash ---------------------------------------------------------------------- */

static int ram_read(void *dev, uint32_t off, void *buf, uint32_t len)
{
	struct bo_ramflash *rf = dev;
	if (off > rf->size || len > rf->size - off)
		return -1;
	memcpy(buf, rf->data + off, len);
	return 0;
}

static int ram_program(void *dev, uint32_t off, const void *buf, uint32_t len)
{
	struct bo_ramflash *rf = dev;
	const uint8_t *p = buf;
	uint32_t wu = rf->flash.write_unit;
	if (off > rf->size || len > rf->size - off || off % wu || len % wu)
		return -1;
	for (uint32_t i = 0; i < len; i++)
		if (rf->data[off + i] != rf->flash.erase_value)
			return -1;
	for (uint32_t i = 0; i < len; i++)
		rf->data[off + i] = p[i];
	return 0;
}

static int ram_erase(void *dev, uint32_t off, uint32_t len)
{
	struct bo_ramflash *rf = dev;
	if (off > rf->size || len > rf->size - off || off % rf->sector_size ||
	    len % rf->sector_size)
		return -1;
	memset(rf->data + off, rf->flash.erase_value, len);
	return 0;
}

static int ram_sector(void *dev, uint32_t off, uint32_t *start, uint32_t *size)
{
	struct bo_ramflash *rf = dev;
	if (off >= rf->size)
		return -1;
	*start = off - off % rf->sector_size;
	*size = rf->sector_size;
	if (*size > rf->size - *start)
		*size = rf->size - *start;
	return 0;
}

void bo_ramflash_init(struct bo_ramflash *rf, uint8_t *data, uint32_t size, uint32_t sector_size,
		      uint32_t write_unit, uint8_t erase_value)
{
	memset(rf, 0, sizeof *rf);
	rf->data = data;
	rf->size = size;
	rf->sector_size = sector_size != 0 ? sector_size : (size != 0 ? size : 1);
	rf->flash.dev = rf;
	rf->flash.read = ram_read;
	rf->flash.program = ram_program;
	rf->flash.erase = ram_erase;
	rf->flash.sector = ram_sector;
	rf->flash.write_unit = write_unit != 0 ? write_unit : 1;
	rf->flash.erase_value = erase_value;
	rf->area.flash = &rf->flash;
	rf->area.off = 0;
	rf->area.size = size;
}
