/*
 * sim/imagegen.h: build and sign MCUboot images on the host (the C counterpart of
 * MCUboot's `imgtool sign`, byte-compatible with imgtool 2.4.0 for ECDSA P-256 images).
 *
 * Used by `brownout image` and by the sweep engine, which builds images from YAML at load
 * time. Host code: allocates, and reports failures as a sentence in err (errlen bytes,
 * BO_IMAGEGEN_ERRLEN is plenty). Signatures are deterministic (RFC 6979), so the same
 * inputs always give the same image bytes.
 *
 * Also here: a RAM-backed struct bo_flash, to run core/boot's verifier over a buffer.
 */
#ifndef BO_SIM_IMAGEGEN_H
#define BO_SIM_IMAGEGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/boot/image.h"
#include "core/port/flash.h"

#define BO_IMAGEGEN_ERRLEN 256
/* SubjectPublicKeyInfo DER of a P-256 key (uncompressed point): always 91 bytes. */
#define BO_P256_SPKI_LEN 91
/* Longest DER ECDSA P-256 signature. */
#define BO_P256_SIG_MAX 72

/* ---- Keys --------------------------------------------------------------------------- */

/* An EC P-256 key: a key pair, or a public key only. Opaque. */
struct bo_signkey;

/*
 * Load a PEM key: private as PKCS#8 "PRIVATE KEY" (what imgtool keygen writes) or SEC1
 * "EC PRIVATE KEY", or public as "PUBLIC KEY" (SubjectPublicKeyInfo). Only unencrypted
 * P-256 keys are accepted; anything else is refused with a reason. Returns 0 or -1.
 */
int bo_signkey_load_pem(const void *pem, size_t len, struct bo_signkey **out, char *err,
			size_t errlen);
int bo_signkey_load_file(const char *path, struct bo_signkey **out, char *err, size_t errlen);
/* A fresh random key pair (system entropy). */
int bo_signkey_generate(struct bo_signkey **out, char *err, size_t errlen);
/*
 * A key pair derived from a 64-bit seed: the same seed always gives the same key, so sweep
 * files can name a "trusted" and an "untrusted" key without key files. The private scalar
 * is the first SHA-256("brownout-p256-seed-key" || seed LE64 || counter LE32), counter =
 * 0, 1, ..., that lies in [1, n-1]. Not for production keys.
 */
int bo_signkey_from_seed(uint64_t seed, struct bo_signkey **out, char *err, size_t errlen);
void bo_signkey_free(struct bo_signkey *k);

bool bo_signkey_has_private(const struct bo_signkey *k);
/* SubjectPublicKeyInfo DER of the public key (what KEYHASH hashes). Returns 0 or -1. */
int bo_signkey_spki(const struct bo_signkey *k, uint8_t spki[BO_P256_SPKI_LEN]);
/* PEM text, NUL-terminated, malloc'd (free()). Private: PKCS#8 exactly as imgtool keygen
 * writes it; fails for a public-only key. Public: "PUBLIC KEY" PEM. Return 0 or -1. */
int bo_signkey_private_pem(const struct bo_signkey *k, char **pem, char *err, size_t errlen);
int bo_signkey_public_pem(const struct bo_signkey *k, char **pem, char *err, size_t errlen);
/* Deterministic ECDSA (RFC 6979, SHA-256) over a 32-byte digest, DER SEQUENCE{r, s}.
 * Returns 0 or -1 (no private key). */
int bo_signkey_sign_digest(const struct bo_signkey *k, const uint8_t digest[32],
			   uint8_t sig[BO_P256_SIG_MAX], size_t *sig_len);

/* ---- Images ------------------------------------------------------------------------- */

/* A vendor TLV for the protected area (imgtool --custom-tlv): type 0xa0..0xfffe. */
struct bo_imagegen_tlv {
	uint16_t type;
	uint16_t len;
	const uint8_t *data;
};

struct bo_imagegen_opts {
	struct bo_image_version version; /* --version */
	uint32_t header_size;   /* -H/--header-size, >= 32 (default 32) */
	bool pad_header;        /* --pad-header: prepend header_size erased bytes to the payload;
				   without it the payload's first header_size bytes must be zero
				   and the header replaces them (imgtool semantics) */
	uint32_t slot_size;     /* -S/--slot-size: image + trailer must fit; 0 = no check */
	uint32_t align;         /* --align: flash write alignment 1, 2, 4, 8, 16, 32 (default 1) */
	uint32_t max_align;     /* --max-align 8, 16, 32; 0 = max(8, align) like imgtool */
	uint32_t max_sectors;   /* -M/--max-sectors for the trailer size (default 128) */
	bool pad;               /* --pad: fill to slot_size with erase value + trailer magic */
	bool confirm;           /* --confirm: implies pad, sets image_ok = 0x01 */
	bool test;              /* --test: implies pad (magic only) */
	bool overwrite_only;    /* --overwrite-only: smaller trailer, no image_ok */
	uint8_t erased_val;     /* -R/--erased-val: 0xff (default) or 0x00 */
	uint32_t load_addr;     /* -L: non-zero sets RAM_LOAD */
	uint32_t rom_fixed;     /* -F: non-zero sets ROM_FIXED (exclusive with load_addr) */
	bool non_bootable;      /* --non-bootable */
	bool has_security_counter; /* -s/--security-counter: SEC_CNT TLV (protected) */
	uint32_t security_counter;
	int behaviour;          /* >= 0: add BO_TLV_BEHAVIOUR with this byte (protected, before the
				   custom TLVs); -1: none */
	const struct bo_imagegen_tlv *custom_tlvs; /* protected, in this order */
	size_t custom_tlv_count;
	bool pubkey_full;       /* --public-key-format full: PUBKEY TLV instead of KEYHASH */
};

/* imgtool's defaults: header 32, align 1, max_sectors 128, erased 0xff, no behaviour. */
void bo_imagegen_opts_init(struct bo_imagegen_opts *o);

/* The trailer size imgtool reserves for these options (status area + fixed trailer). */
uint32_t bo_imagegen_trailer_size(const struct bo_imagegen_opts *o);
/* The BOOT_MAX_ALIGN these options use: max_align, or max(8, align). */
uint32_t bo_imagegen_max_align(const struct bo_imagegen_opts *o);

/*
 * Build an image from payload: header, payload, protected TLVs (SEC_CNT, behaviour,
 * custom, in that order), then the unprotected SHA256, KEYHASH (or PUBKEY) and ECDSA_SIG
 * TLVs, as imgtool writes them. key NULL: unsigned (SHA256 only). With pad/confirm/test
 * the result is slot_size bytes with the trailer set. *out is malloc'd. Returns 0 or -1.
 */
int bo_imagegen_build(const struct bo_imagegen_opts *o, const struct bo_signkey *key,
		      const uint8_t *payload, size_t payload_len, uint8_t **out, size_t *out_len,
		      char *err, size_t errlen);

/* Deterministic filler for test payloads (splitmix64 stream from seed). */
void bo_imagegen_fill_payload(uint8_t *buf, size_t len, uint64_t seed);

/* Parse "MAJ[.MIN[.REV[+BUILD]]]" as imgtool does. Returns 0 or -1 (bad text or range). */
int bo_imagegen_parse_version(const char *s, struct bo_image_version *out);

/* ---- RAM flash ---------------------------------------------------------------------- */

/*
 * A struct bo_flash over a caller-owned buffer, with NOR rules (program only moves bits
 * away from the erase value, aligned to write_unit; erase whole sectors). rf must stay at
 * the same address while rf->flash / rf->area are in use.
 */
struct bo_ramflash {
	uint8_t *data;
	uint32_t size;
	uint32_t sector_size;
	struct bo_flash flash;
	struct bo_flash_area area; /* the whole buffer */
};

/* sector_size 0: one sector spanning the buffer. write_unit 0: 1. */
void bo_ramflash_init(struct bo_ramflash *rf, uint8_t *data, uint32_t size, uint32_t sector_size,
		      uint32_t write_unit, uint8_t erase_value);

#endif
