/*
 * core/boot/image.c: MCUboot image parsing and verification. Firmware code: no heap, no
 * state, no stdio; flash through core/port/flash.h, crypto through core/port/crypto.h.
 *
 * Lengths come from flash and are untrusted: every sum is formed in 64-bit arithmetic and
 * compared with the limit before any offset is used; every TLV must lie inside its area.
 */
#include "core/boot/image.h"

#include <string.h>

/* Flash is read into one stack buffer of this size (hashing, TLV values). */
#define CHUNK 256u
/* Longest DER encoding of a P-256 ECDSA signature: 30 46 02 21 00<32> 02 21 00<32>. */
#define P256_SIG_MAX 72u
/* SHA-384 key hashes mark a P-384 key (imgtool hashes the key with the image hash). */
#define SHA384_LEN 48u

static uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
	       ((uint32_t)p[3] << 24);
}

const char *bo_image_strerror(enum bo_image_err e)
{
	switch (e) {
	case BO_IMG_OK:
		return "valid";
	case BO_IMG_E_ERASED:
		return "no image: the slot header reads as erased flash";
	case BO_IMG_E_BAD_MAGIC:
		return "bad magic: the header does not start with 0x96f3b83d (not an MCUboot image)";
	case BO_IMG_E_BAD_HEADER:
		return "bad header: truncated, or hdr_size is smaller than the 32-byte header";
	case BO_IMG_E_TOO_BIG:
		return "does not fit the slot: header, payload and TLV areas extend past the "
		       "usable part of the slot";
	case BO_IMG_E_BAD_TLV:
		return "bad TLV area: wrong TLV info magic, protected TLV size mismatch, or a TLV "
		       "length past the end of its area";
	case BO_IMG_E_NO_HASH:
		return "no hash: the image has no SHA256 TLV";
	case BO_IMG_E_HASH_MISMATCH:
		return "hash mismatch: the SHA256 TLV does not match the image (corrupt or "
		       "tampered)";
	case BO_IMG_E_NO_TRUSTED_KEY:
		return "no trusted key: the image is not signed by any trusted key (KEYHASH "
		       "matches no key)";
	case BO_IMG_E_BAD_SIGNATURE:
		return "bad signature: the ECDSA signature by a trusted key does not verify";
	case BO_IMG_E_UNSUPPORTED_SIG:
		return "unsupported signature type: only ECDSA P-256 over SHA-256 is supported "
		       "(not P-384, Ed25519, RSA or pure signatures)";
	case BO_IMG_E_NO_SIGNATURE:
		return "no signature: the image carries no signature TLV";
	case BO_IMG_E_ENCRYPTED:
		return "encrypted image: encrypted images are not supported";
	case BO_IMG_E_UNSUPPORTED_FLAGS:
		return "unsupported header flags: compressed images are not supported";
	case BO_IMG_E_DOWNGRADE:
		return "downgrade: the image version is lower than the minimum allowed version";
	case BO_IMG_E_FLASH:
		return "flash read error";
	case BO_IMG_E_COUNT_:
		break;
	}
	return "unknown image error";
}

const char *bo_image_errname(enum bo_image_err e)
{
	switch (e) {
	case BO_IMG_OK:
		return "ok";
	case BO_IMG_E_ERASED:
		return "erased";
	case BO_IMG_E_BAD_MAGIC:
		return "bad-magic";
	case BO_IMG_E_BAD_HEADER:
		return "bad-header";
	case BO_IMG_E_TOO_BIG:
		return "too-big";
	case BO_IMG_E_BAD_TLV:
		return "bad-tlv";
	case BO_IMG_E_NO_HASH:
		return "no-hash";
	case BO_IMG_E_HASH_MISMATCH:
		return "hash-mismatch";
	case BO_IMG_E_NO_TRUSTED_KEY:
		return "no-trusted-key";
	case BO_IMG_E_BAD_SIGNATURE:
		return "bad-signature";
	case BO_IMG_E_UNSUPPORTED_SIG:
		return "unsupported-signature";
	case BO_IMG_E_NO_SIGNATURE:
		return "no-signature";
	case BO_IMG_E_ENCRYPTED:
		return "encrypted";
	case BO_IMG_E_UNSUPPORTED_FLAGS:
		return "unsupported-flags";
	case BO_IMG_E_DOWNGRADE:
		return "downgrade";
	case BO_IMG_E_FLASH:
		return "flash-error";
	case BO_IMG_E_COUNT_:
		break;
	}
	return "unknown";
}

int bo_version_cmp(const struct bo_image_version *a, const struct bo_image_version *b)
{
	if (a->major != b->major)
		return a->major < b->major ? -1 : 1;
	if (a->minor != b->minor)
		return a->minor < b->minor ? -1 : 1;
	if (a->revision != b->revision)
		return a->revision < b->revision ? -1 : 1;
	if (a->build != b->build)
		return a->build < b->build ? -1 : 1;
	return 0;
}

enum bo_image_err bo_image_check_downgrade(const struct bo_image_version *v,
					   const struct bo_image_version *min)
{
	return bo_version_cmp(v, min) < 0 ? BO_IMG_E_DOWNGRADE : BO_IMG_OK;
}

void bo_image_header_decode(const uint8_t raw[BO_IMAGE_HEADER_SIZE], struct bo_image_header *out)
{
	out->magic = get_le32(raw + 0);
	out->load_addr = get_le32(raw + 4);
	out->hdr_size = get_le16(raw + 8);
	out->protect_tlv_size = get_le16(raw + 10);
	out->img_size = get_le32(raw + 12);
	out->flags = get_le32(raw + 16);
	out->version.major = raw[20];
	out->version.minor = raw[21];
	out->version.revision = get_le16(raw + 22);
	out->version.build = get_le32(raw + 24);
	out->pad = get_le32(raw + 28);
}

enum bo_image_err bo_image_read_header(const struct bo_flash_area *slot,
				       struct bo_image_header *hdr)
{
	uint8_t raw[BO_IMAGE_HEADER_SIZE];
	bool erased = true;

	memset(hdr, 0, sizeof *hdr);
	if (slot->size < sizeof raw)
		return BO_IMG_E_BAD_HEADER; /* not even room for a header */
	if (bo_area_read(slot, 0, raw, sizeof raw) != 0)
		return BO_IMG_E_FLASH;
	bo_image_header_decode(raw, hdr);
	for (size_t i = 0; i < sizeof raw; i++)
		if (raw[i] != slot->flash->erase_value)
			erased = false;
	if (erased)
		return BO_IMG_E_ERASED;
	if (hdr->magic != BO_IMAGE_MAGIC)
		return BO_IMG_E_BAD_MAGIC;
	return BO_IMG_OK;
}

void bo_key_init(struct bo_key *k, const uint8_t *spki, size_t spki_len,
		 const struct bo_crypto *crypto)
{
	k->spki = spki;
	k->spki_len = spki_len;
	crypto->sha256_start(crypto->ctx);
	crypto->sha256_update(crypto->ctx, spki, spki_len);
	crypto->sha256_finish(crypto->ctx, k->hash);
}

/* ---- TLV iteration ------------------------------------------------------------------ */

/* Walks the entries of one TLV area [off, end) (after its 4-byte info header). */
struct tlv_it {
	const struct bo_flash_area *slot;
	uint32_t off;
	uint32_t end;
};

/* 1: an entry (type, len, value offset); 0: end of area; <0: enum bo_image_err negated. */
static int tlv_next(struct tlv_it *it, uint16_t *type, uint16_t *len, uint32_t *val_off)
{
	uint8_t h[BO_TLV_HDR_SIZE];

	if (it->off >= it->end)
		return 0;
	if (it->end - it->off < BO_TLV_HDR_SIZE)
		return -(int)BO_IMG_E_BAD_TLV;
	if (bo_area_read(it->slot, it->off, h, sizeof h) != 0)
		return -(int)BO_IMG_E_FLASH;
	*type = get_le16(h);
	*len = get_le16(h + 2);
	it->off += BO_TLV_HDR_SIZE;
	if (*len > it->end - it->off)
		return -(int)BO_IMG_E_BAD_TLV;
	*val_off = it->off;
	it->off += *len;
	return 1;
}

/* Every entry of an area lies inside it, and the entries tile it exactly. */
static enum bo_image_err tlv_area_check(const struct bo_flash_area *slot, uint32_t start,
					uint32_t end)
{
	struct tlv_it it = {slot, start + BO_TLV_INFO_SIZE, end};
	uint16_t type, len;
	uint32_t voff;
	int rc;

	while ((rc = tlv_next(&it, &type, &len, &voff)) == 1)
		;
	return rc == 0 ? BO_IMG_OK : (enum bo_image_err)(-rc);
}

/* ---- Layout ------------------------------------------------------------------------- */

enum bo_image_err bo_image_parse(const struct bo_flash_area *slot, uint32_t limit,
				 struct bo_image_info *out)
{
	uint8_t info[BO_TLV_INFO_SIZE];
	enum bo_image_err rc;

	memset(out, 0, sizeof *out);
	out->key_index = -1;
	rc = bo_image_read_header(slot, &out->hdr);
	if (rc != BO_IMG_OK)
		return rc;
	const struct bo_image_header *h = &out->hdr;
	if (h->hdr_size < BO_IMAGE_HEADER_SIZE)
		return BO_IMG_E_BAD_HEADER;
	if (h->flags & (BO_IMAGE_F_ENCRYPTED_AES128 | BO_IMAGE_F_ENCRYPTED_AES256))
		return BO_IMG_E_ENCRYPTED;
	if (h->flags & (BO_IMAGE_F_COMPRESSED_LZMA1 | BO_IMAGE_F_COMPRESSED_LZMA2 |
			BO_IMAGE_F_COMPRESSED_ARM_THUMB))
		return BO_IMG_E_UNSUPPORTED_FLAGS;

	if (limit > slot->size)
		limit = slot->size;
	uint64_t prot_off = (uint64_t)h->hdr_size + h->img_size;
	uint64_t prot_size = h->protect_tlv_size;
	/* The unprotected info header must fit after the protected area. */
	if (prot_off + prot_size + BO_TLV_INFO_SIZE > limit)
		return BO_IMG_E_TOO_BIG;

	/* Protected area: {0x6908, total == protect_tlv_size}, or absent when size is 0. */
	if (bo_area_read(slot, (uint32_t)prot_off, info, sizeof info) != 0)
		return BO_IMG_E_FLASH;
	if (prot_size != 0) {
		if (prot_size < BO_TLV_INFO_SIZE || get_le16(info) != BO_TLV_PROT_INFO_MAGIC ||
		    get_le16(info + 2) != prot_size)
			return BO_IMG_E_BAD_TLV;
		rc = tlv_area_check(slot, (uint32_t)prot_off, (uint32_t)(prot_off + prot_size));
		if (rc != BO_IMG_OK)
			return rc;
	} else if (get_le16(info) == BO_TLV_PROT_INFO_MAGIC) {
		/* A protected area the header does not account for: the hash would skip it. */
		return BO_IMG_E_BAD_TLV;
	}

	/* Unprotected area. */
	uint64_t tlv_off = prot_off + prot_size;
	if (bo_area_read(slot, (uint32_t)tlv_off, info, sizeof info) != 0)
		return BO_IMG_E_FLASH;
	uint16_t tlv_size = get_le16(info + 2);
	if (get_le16(info) != BO_TLV_INFO_MAGIC || tlv_size < BO_TLV_INFO_SIZE)
		return BO_IMG_E_BAD_TLV;
	if (tlv_off + tlv_size > limit)
		return BO_IMG_E_TOO_BIG;
	rc = tlv_area_check(slot, (uint32_t)tlv_off, (uint32_t)(tlv_off + tlv_size));
	if (rc != BO_IMG_OK)
		return rc;

	out->prot_tlv_off = (uint32_t)prot_off;
	out->prot_tlv_size = (uint32_t)prot_size;
	out->tlv_off = (uint32_t)tlv_off;
	out->tlv_size = tlv_size;
	out->total_size = (uint32_t)(tlv_off + tlv_size);
	out->layout_ok = true;
	return BO_IMG_OK;
}

/* ---- Verification ------------------------------------------------------------------- */

static enum bo_image_err hash_range(const struct bo_flash_area *slot, uint32_t off, uint32_t len,
				    const struct bo_crypto *c, uint8_t *buf)
{
	while (len > 0) {
		uint32_t n = len < CHUNK ? len : CHUNK;
		if (bo_area_read(slot, off, buf, n) != 0)
			return BO_IMG_E_FLASH;
		c->sha256_update(c->ctx, buf, n);
		off += n;
		len -= n;
	}
	return BO_IMG_OK;
}

static int find_key(const struct bo_keyring *kr, const uint8_t hash[BO_SHA256_LEN])
{
	if (kr == NULL || kr->keys == NULL)
		return -1;
	for (size_t i = 0; i < kr->count; i++)
		if (memcmp(kr->keys[i].hash, hash, BO_SHA256_LEN) == 0)
			return (int)i;
	return -1;
}

/* Drop zero padding after the DER SEQUENCE (imgtool --pad-sig pads to 72 bytes). */
static uint16_t der_sig_len(const uint8_t *sig, uint16_t len)
{
	if (len >= 2 && sig[0] == 0x30 && sig[1] < 0x80 && (uint16_t)(sig[1] + 2) < len) {
		for (uint16_t i = (uint16_t)(sig[1] + 2); i < len; i++)
			if (sig[i] != 0)
				return len;
		return (uint16_t)(sig[1] + 2);
	}
	return len;
}

struct sig_scan {
	bool sha_found;
	bool sha_mismatch;
	bool other_hash;
	bool unsupported;
	bool untrusted;
	bool bad_sig;
	int key;       /* key selected by the last KEYHASH/PUBKEY, -1 none */
	bool key_p384; /* the last KEYHASH was a SHA-384 one */
	int verified;  /* keyring index of a verified signature, -1 none */
};

static enum bo_image_err scan_tlv(const struct bo_flash_area *slot, const struct bo_crypto *c,
				  const struct bo_keyring *kr, const uint8_t digest[BO_SHA256_LEN],
				  uint16_t type, uint16_t len, uint32_t voff, uint8_t *buf,
				  struct sig_scan *s)
{
	switch (type) {
	case BO_TLV_SHA256:
		if (len != BO_SHA256_LEN)
			return BO_IMG_E_BAD_TLV;
		if (bo_area_read(slot, voff, buf, len) != 0)
			return BO_IMG_E_FLASH;
		s->sha_found = true;
		if (memcmp(buf, digest, BO_SHA256_LEN) != 0)
			s->sha_mismatch = true;
		break;
	case BO_TLV_SHA384:
	case BO_TLV_SHA512:
		s->other_hash = true;
		break;
	case BO_TLV_KEYHASH:
		s->key = -1;
		s->key_p384 = (len == SHA384_LEN);
		if (len == BO_SHA256_LEN) {
			if (bo_area_read(slot, voff, buf, len) != 0)
				return BO_IMG_E_FLASH;
			s->key = find_key(kr, buf);
		}
		break;
	case BO_TLV_PUBKEY: {
		uint8_t h[BO_SHA256_LEN];
		c->sha256_start(c->ctx);
		enum bo_image_err rc = hash_range(slot, voff, len, c, buf);
		c->sha256_finish(c->ctx, h);
		if (rc != BO_IMG_OK)
			return rc;
		s->key = find_key(kr, h);
		s->key_p384 = false;
		break;
	}
	case BO_TLV_ECDSA_SIG:
		if (s->key_p384 || len > P256_SIG_MAX) {
			s->unsupported = true;
		} else if (s->key < 0) {
			s->untrusted = true;
		} else if (s->verified < 0) {
			const struct bo_key *k = &kr->keys[s->key];
			if (bo_area_read(slot, voff, buf, len) != 0)
				return BO_IMG_E_FLASH;
			uint16_t n = der_sig_len(buf, len);
			if (c->ecdsa_p256_verify(c->ctx, k->spki, k->spki_len, digest, buf, n) == 0)
				s->verified = s->key;
			else
				s->bad_sig = true;
		}
		s->key = -1;
		s->key_p384 = false;
		break;
	case BO_TLV_RSA2048_PSS:
	case BO_TLV_RSA3072_PSS:
	case BO_TLV_ED25519:
	case BO_TLV_SIG_PURE:
		s->unsupported = true;
		s->key = -1;
		s->key_p384 = false;
		break;
	default:
		break; /* unknown and informational TLVs are skipped */
	}
	return BO_IMG_OK;
}

enum bo_image_err bo_image_verify(const struct bo_flash_area *slot, uint32_t limit,
				  const struct bo_crypto *crypto, const struct bo_keyring *keyring,
				  struct bo_image_info *out)
{
	struct bo_image_info local;
	struct bo_image_info *info = out != NULL ? out : &local;
	uint8_t buf[CHUNK];
	uint8_t digest[BO_SHA256_LEN];
	enum bo_image_err rc;

	rc = bo_image_parse(slot, limit, info);
	if (rc != BO_IMG_OK)
		return rc;

	/* Hash [0, hdr_size + img_size + protect_tlv_size). */
	crypto->sha256_start(crypto->ctx);
	rc = hash_range(slot, 0, info->tlv_off, crypto, buf);
	crypto->sha256_finish(crypto->ctx, digest);
	if (rc != BO_IMG_OK)
		return rc;

	struct sig_scan s = {.key = -1, .verified = -1};
	struct tlv_it it = {slot, info->tlv_off + BO_TLV_INFO_SIZE, info->total_size};
	uint16_t type, len;
	uint32_t voff;
	int more;
	while ((more = tlv_next(&it, &type, &len, &voff)) == 1) {
		rc = scan_tlv(slot, crypto, keyring, digest, type, len, voff, buf, &s);
		if (rc != BO_IMG_OK)
			return rc;
	}
	if (more < 0)
		return (enum bo_image_err)(-more);

	if (!s.sha_found)
		return s.other_hash && s.unsupported ? BO_IMG_E_UNSUPPORTED_SIG : BO_IMG_E_NO_HASH;
	if (s.sha_mismatch)
		return BO_IMG_E_HASH_MISMATCH;
	memcpy(info->hash, digest, sizeof digest);
	info->hash_ok = true;
	if (s.verified >= 0) {
		info->key_index = s.verified;
		return BO_IMG_OK;
	}
	if (s.bad_sig)
		return BO_IMG_E_BAD_SIGNATURE;
	if (s.unsupported)
		return BO_IMG_E_UNSUPPORTED_SIG;
	if (s.untrusted)
		return BO_IMG_E_NO_TRUSTED_KEY;
	return BO_IMG_E_NO_SIGNATURE;
}

/* ---- TLV lookup --------------------------------------------------------------------- */

static int find_in_area(const struct bo_flash_area *slot, uint32_t start, uint32_t size,
			uint16_t want, uint32_t *val_off, uint16_t *val_len)
{
	if (size < BO_TLV_INFO_SIZE)
		return 1;
	struct tlv_it it = {slot, start + BO_TLV_INFO_SIZE, start + size};
	uint16_t type, len;
	uint32_t voff;
	int rc;
	while ((rc = tlv_next(&it, &type, &len, &voff)) == 1) {
		if (type == want) {
			*val_off = voff;
			*val_len = len;
			return 0;
		}
	}
	return rc == 0 ? 1 : -1;
}

int bo_image_find_tlv(const struct bo_flash_area *slot, const struct bo_image_info *info,
		      uint16_t type, bool protected_only, uint32_t *val_off, uint16_t *val_len)
{
	if (!info->layout_ok || (uint64_t)info->tlv_off + info->tlv_size > slot->size)
		return -1;
	int rc = find_in_area(slot, info->prot_tlv_off, info->prot_tlv_size, type, val_off, val_len);
	if (rc != 1 || protected_only)
		return rc;
	return find_in_area(slot, info->tlv_off, info->tlv_size, type, val_off, val_len);
}

int bo_image_behaviour(const struct bo_flash_area *slot, const struct bo_image_info *info,
		       enum bo_app_behaviour *out)
{
	uint32_t off;
	uint16_t len;
	uint8_t v;

	*out = BO_APP_GOOD;
	int rc = bo_image_find_tlv(slot, info, BO_TLV_BEHAVIOUR, true, &off, &len);
	if (rc == 1)
		return 0;
	if (rc != 0 || len != 1 || bo_area_read(slot, off, &v, 1) != 0 || v > BO_APP_BEHAVIOUR_MAX)
		return -1;
	*out = (enum bo_app_behaviour)v;
	return 0;
}
