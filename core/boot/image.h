/*
 * core/boot/image.h: parse and verify an MCUboot image in a flash area.
 *
 * Format (docs/reference/image-format.md): a 32-byte little-endian header (hdr_size may
 * exceed 32: the payload starts at hdr_size), the payload (img_size bytes), an optional
 * protected TLV area {0x6908, protect_tlv_size} and the unprotected TLV area
 * {0x6907, total}. The SHA-256 covers [0, hdr_size + img_size + protect_tlv_size).
 *
 * Firmware code: no heap, no state; flash is read in small chunks through the flash port,
 * hashing and ECDSA go through the crypto port. Every length read from flash is bounds
 * checked in 64-bit arithmetic before use.
 */
#ifndef BO_BOOT_IMAGE_H
#define BO_BOOT_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/port/crypto.h"
#include "core/port/flash.h"

#define BO_IMAGE_MAGIC 0x96f3b83du
#define BO_IMAGE_HEADER_SIZE 32u
#define BO_TLV_INFO_MAGIC 0x6907u
#define BO_TLV_PROT_INFO_MAGIC 0x6908u
#define BO_TLV_INFO_SIZE 4u
#define BO_TLV_HDR_SIZE 4u

/* Header flags. */
#define BO_IMAGE_F_PIC 0x00000001u
#define BO_IMAGE_F_ENCRYPTED_AES128 0x00000004u
#define BO_IMAGE_F_ENCRYPTED_AES256 0x00000008u
#define BO_IMAGE_F_NON_BOOTABLE 0x00000010u
#define BO_IMAGE_F_RAM_LOAD 0x00000020u
#define BO_IMAGE_F_ROM_FIXED 0x00000100u
#define BO_IMAGE_F_COMPRESSED_LZMA1 0x00000200u
#define BO_IMAGE_F_COMPRESSED_LZMA2 0x00000400u
#define BO_IMAGE_F_COMPRESSED_ARM_THUMB 0x00000800u

/* TLV types. */
#define BO_TLV_KEYHASH 0x01u
#define BO_TLV_PUBKEY 0x02u
#define BO_TLV_SHA256 0x10u
#define BO_TLV_SHA384 0x11u
#define BO_TLV_SHA512 0x12u
#define BO_TLV_RSA2048_PSS 0x20u
#define BO_TLV_ECDSA_SIG 0x22u
#define BO_TLV_RSA3072_PSS 0x23u
#define BO_TLV_ED25519 0x24u
#define BO_TLV_SIG_PURE 0x25u
#define BO_TLV_ENC_RSA2048 0x30u
#define BO_TLV_ENC_KW 0x31u
#define BO_TLV_ENC_EC256 0x32u
#define BO_TLV_ENC_X25519 0x33u
#define BO_TLV_ENC_X25519_SHA512 0x34u
#define BO_TLV_DEPENDENCY 0x40u
#define BO_TLV_SEC_CNT 0x50u
#define BO_TLV_BOOT_RECORD 0x60u

/*
 * brownout vendor TLV, protected area: the simulated application's behaviour, one byte
 * (enum bo_app_behaviour). Put it in with `--custom-tlv 0xa0 0x0N`.
 */
#define BO_TLV_BEHAVIOUR 0xA0u

enum bo_app_behaviour {
	BO_APP_GOOD = 0,          /* boots, confirms itself, serves DFU */
	BO_APP_NO_CONFIRM = 1,    /* boots and runs, never writes image_ok */
	BO_APP_CRASH_ON_BOOT = 2, /* resets before confirming */
	BO_APP_NO_DFU = 3,        /* boots and confirms, but cannot take the next update */
};
#define BO_APP_BEHAVIOUR_MAX BO_APP_NO_DFU

/* Why an image is refused. BO_IMG_OK = 0; bo_image_strerror() gives a sentence for each. */
enum bo_image_err {
	BO_IMG_OK = 0,
	BO_IMG_E_ERASED,           /* no image: the header reads as erased flash */
	BO_IMG_E_BAD_MAGIC,        /* header magic is not 0x96f3b83d */
	BO_IMG_E_BAD_HEADER,       /* slot shorter than a header, or hdr_size < 32 */
	BO_IMG_E_TOO_BIG,          /* header + payload + TLVs do not fit the slot limit */
	BO_IMG_E_BAD_TLV,          /* malformed TLV area (magic, sizes, lengths) */
	BO_IMG_E_NO_HASH,          /* no SHA256 TLV */
	BO_IMG_E_HASH_MISMATCH,    /* SHA256 TLV does not match the image */
	BO_IMG_E_NO_TRUSTED_KEY,   /* signed, but by no key in the keyring */
	BO_IMG_E_BAD_SIGNATURE,    /* signature by a trusted key does not verify */
	BO_IMG_E_UNSUPPORTED_SIG,  /* P-384 ECDSA, Ed25519, RSA, pure signatures */
	BO_IMG_E_NO_SIGNATURE,     /* no signature TLV at all */
	BO_IMG_E_ENCRYPTED,        /* encrypted images are not supported */
	BO_IMG_E_UNSUPPORTED_FLAGS,/* compressed images are not supported */
	BO_IMG_E_DOWNGRADE,        /* version lower than the minimum allowed */
	BO_IMG_E_FLASH,            /* a flash read failed */
	BO_IMG_E_COUNT_            /* number of codes; not a code */
};

/* A sentence for the reason ("hash mismatch: ..."); never NULL. */
const char *bo_image_strerror(enum bo_image_err e);
/* A short stable identifier ("hash-mismatch"), for databases and JSON; never NULL. */
const char *bo_image_errname(enum bo_image_err e);

struct bo_image_version {
	uint8_t major;
	uint8_t minor;
	uint16_t revision;
	uint32_t build;
};

/*
 * Compare versions: major, then minor, then revision, then build as the last tiebreak.
 * (MCUboot compares build only when MCUBOOT_VERSION_CMP_USE_BUILD_NUMBER is set; we
 * always do, so 1.0.0+2 > 1.0.0+1.) Returns <0, 0 or >0 like memcmp.
 */
int bo_version_cmp(const struct bo_image_version *a, const struct bo_image_version *b);

/* BO_IMG_E_DOWNGRADE if v is lower than min (bo_version_cmp), else BO_IMG_OK. */
enum bo_image_err bo_image_check_downgrade(const struct bo_image_version *v,
					   const struct bo_image_version *min);

/* The header as stored (decoded from little-endian bytes). */
struct bo_image_header {
	uint32_t magic;
	uint32_t load_addr;
	uint16_t hdr_size;
	uint16_t protect_tlv_size;
	uint32_t img_size;
	uint32_t flags;
	struct bo_image_version version;
	uint32_t pad;
};

/* Decode a header from 32 raw bytes (no checks). */
void bo_image_header_decode(const uint8_t raw[BO_IMAGE_HEADER_SIZE], struct bo_image_header *out);

/*
 * Quick look without verification: read and decode the header at slot offset 0.
 * Returns BO_IMG_OK (magic good), BO_IMG_E_ERASED (all 32 bytes are the erase value),
 * BO_IMG_E_BAD_MAGIC, BO_IMG_E_BAD_HEADER (slot shorter than 32 bytes) or BO_IMG_E_FLASH.
 * hdr is decoded whenever the 32 bytes could be read (zeroed otherwise).
 */
enum bo_image_err bo_image_read_header(const struct bo_flash_area *slot,
				       struct bo_image_header *hdr);

/* A trusted public key: SubjectPublicKeyInfo DER (as imgtool's KEYHASH covers it). */
struct bo_key {
	const uint8_t *spki;
	size_t spki_len;
	uint8_t hash[BO_SHA256_LEN]; /* SHA-256 of spki (bo_key_init computes it) */
};

struct bo_keyring {
	const struct bo_key *keys;
	size_t count;
};

/* Fill k from an SPKI DER buffer (which must outlive k), hashing it via the crypto port. */
void bo_key_init(struct bo_key *k, const uint8_t *spki, size_t spki_len,
		 const struct bo_crypto *crypto);

/* Where things are, once the layout checks passed (all offsets are slot offsets). */
struct bo_image_info {
	struct bo_image_header hdr;
	uint32_t prot_tlv_off;  /* hdr_size + img_size: the protected area (if any) */
	uint32_t prot_tlv_size; /* == hdr.protect_tlv_size (0: none) */
	uint32_t tlv_off;       /* the unprotected area: prot_tlv_off + prot_tlv_size */
	uint32_t tlv_size;      /* its total, info header included */
	uint32_t total_size;    /* header + payload + both TLV areas */
	uint8_t hash[BO_SHA256_LEN]; /* computed image hash (valid once the hash checked) */
	int key_index;          /* keyring index of the key whose signature verified; -1 */
	bool layout_ok;         /* the offsets above are valid */
	bool hash_ok;           /* hash[] is the computed and matching hash */
};

/*
 * Check the image layout only (header, TLV area framing and every TLV length, fit in
 * limit) without hashing or signatures. Fills out->hdr and the offsets.
 */
enum bo_image_err bo_image_parse(const struct bo_flash_area *slot, uint32_t limit,
				 struct bo_image_info *out);

/*
 * Verify the image in slot. limit is how many bytes of the slot an image may use (the
 * bootloader passes slot size minus its trailer; it is clamped to the slot size). Checks,
 * in order: header (erased, magic, hdr_size, encryption/compression flags), layout and
 * TLV framing within limit, the SHA256 TLV against the computed hash, then the signature:
 * a KEYHASH (or PUBKEY) TLV selects a trusted key, and the next ECDSA_SIG TLV counts only
 * if that key matched. Any valid P-256 signature by a trusted key accepts the image.
 * Unknown TLVs are skipped. Refusals (when no signature verified):
 *   a trusted key's ECDSA_SIG failed               -> BAD_SIGNATURE
 *   else an unsupported signature (P-384 ECDSA recognised by a 48-byte KEYHASH or a
 *        signature longer than a P-256 DER one, RSA, Ed25519, SIG_PURE) -> UNSUPPORTED_SIG
 *   else a signature TLV whose key is not trusted -> NO_TRUSTED_KEY
 *   else                                           -> NO_SIGNATURE
 * A missing SHA256 TLV gives NO_HASH (UNSUPPORTED_SIG if the image carries an
 * unsupported signature and a SHA384/512 hash instead, e.g. P-384 images).
 * keyring may be NULL (no trusted keys). out may be NULL; when given it is filled as far
 * as the checks got.
 */
enum bo_image_err bo_image_verify(const struct bo_flash_area *slot, uint32_t limit,
				  const struct bo_crypto *crypto, const struct bo_keyring *keyring,
				  struct bo_image_info *out);

/*
 * Find the first TLV of a type (16-bit, as imgtool writes vendor types) in an image whose
 * layout was checked (info from bo_image_parse or bo_image_verify). protected_only: search
 * only the protected area (use it for anything the hash must cover, e.g. BO_TLV_BEHAVIOUR);
 * otherwise the protected area, then the unprotected one.
 * Returns 0 and the value's slot offset and length, 1 if absent, -1 on a flash error or a
 * malformed area.
 */
int bo_image_find_tlv(const struct bo_flash_area *slot, const struct bo_image_info *info,
		      uint16_t type, bool protected_only, uint32_t *val_off, uint16_t *val_len);

/*
 * The application behaviour of a verified image: the 1-byte protected BO_TLV_BEHAVIOUR
 * value. Absent: BO_APP_GOOD. Returns 0, or -1 if the TLV is malformed (wrong length,
 * unknown value) or unreadable; *out is BO_APP_GOOD then.
 */
int bo_image_behaviour(const struct bo_flash_area *slot, const struct bo_image_info *info,
		       enum bo_app_behaviour *out);

#endif
