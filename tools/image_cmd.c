/*
 * tools/image_cmd.c: `brownout image keygen | sign | verify | dump`, MCUboot images.
 *
 * Flags follow MCUboot's imgtool where the two overlap, so scripts written for imgtool work
 * unchanged for ECDSA P-256 images. Verification goes through core/boot's bo_image_verify
 * (the bootloader's own check) over a RAM-backed flash holding the file.
 * Exit codes: 0 ok, 1 the image is invalid, 2 usage or unreadable input.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/boot/image.h"
#include "core/boot/trailer.h"
#include "core/port/mbedtls/crypto_mbedtls.h"
#include "sim/imagegen.h"
#include "tools/cli_util.h"
#include "tools/commands.h"
#include "tools/image_json.h"

#define MAX_FILE (256u * 1024u * 1024u)
#define MAX_KEYS 8
#define MAX_CUSTOM_TLVS 32

/* ---- helpers ------------------------------------------------------------------------ */

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "brownout image %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n(see brownout image %s --help)\n", cmd);
	return EXIT_USAGE;
}

/* Python's int(x, 0) for non-negative values: 0x.., 0o.., 0b.. or plain decimal. */
static int parse_num(const char *s, uint64_t max, uint64_t *out)
{
	int base = 10;
	const char *p = s;
	if (s == NULL || *s == '\0')
		return -1;
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
		base = 16;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O')) {
		base = 8;
		p += 2;
	} else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B')) {
		base = 2;
		p += 2;
	} else if (p[0] == '0' && p[1] != '\0') {
		return -1; /* Python refuses leading zeros in decimal */
	}
	if (*p == '\0')
		return -1;
	uint64_t v = 0;
	for (; *p; p++) {
		int d;
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (*p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (*p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else if (*p == '_')
			continue;
		else
			return -1;
		if (d >= base)
			return -1;
		if (v > (max - (uint64_t)d) / (uint64_t)base)
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = v;
	return 0;
}

static int read_file(const char *path, uint8_t **buf, size_t *len, char *err, size_t errlen)
{
	*buf = NULL;
	*len = 0;
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		fclose(f);
		return -1;
	}
	if ((uint64_t)st.st_size > MAX_FILE) {
		snprintf(err, errlen, "%s: too large (%lld bytes, at most %u)", path,
			 (long long)st.st_size, MAX_FILE);
		fclose(f);
		return -1;
	}
	size_t n = (size_t)st.st_size;
	uint8_t *p = malloc(n ? n : 1);
	if (p == NULL) {
		snprintf(err, errlen, "%s: out of memory", path);
		fclose(f);
		return -1;
	}
	if (n && fread(p, 1, n, f) != n) {
		snprintf(err, errlen, "%s: read error", path);
		free(p);
		fclose(f);
		return -1;
	}
	fclose(f);
	*buf = p;
	*len = n;
	return 0;
}

static int write_file(const char *path, const void *buf, size_t len, mode_t mode, char *err,
		      size_t errlen)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	const uint8_t *p = buf;
	size_t left = len;
	while (left > 0) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			close(fd);
			return -1;
		}
		p += w;
		left -= (size_t)w;
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static bool is_help(const char *a)
{
	return !strcmp(a, "--help") || !strcmp(a, "-h");
}

/*
 * Option matching: "-k X", "--key X", "--key=X". Returns 1 and the value (or NULL for a
 * flag) when argv[*i] is this option, 0 if not, -1 if its value is missing.
 */
static int opt(int argc, char **argv, int *i, const char *sname, const char *lname,
	       bool has_value, const char **val)
{
	const char *a = argv[*i];
	*val = NULL;
	if (sname != NULL && !strcmp(a, sname))
		goto take;
	if (lname != NULL) {
		size_t n = strlen(lname);
		if (!strncmp(a, lname, n)) {
			if (a[n] == '\0')
				goto take;
			if (a[n] == '=' && has_value) {
				*val = a + n + 1;
				return 1;
			}
		}
	}
	return 0;
take:
	if (!has_value)
		return 1;
	if (*i + 1 >= argc)
		return -1;
	*val = argv[++*i];
	return 1;
}

static int behaviour_parse(const char *s)
{
	for (unsigned v = 0; v <= BO_APP_BEHAVIOUR_MAX; v++)
		if (!strcmp(s, image_behaviour_name(v)))
			return (int)v;
	return -1;
}

/* ---- keygen ------------------------------------------------------------------------- */

static const char keygen_help[] =
	"usage: brownout image keygen -k KEY.pem -t ecdsa-p256 [--seed N]\n"
	"\n"
	"Generate an ECDSA P-256 key pair and write it as a PKCS#8 PEM private key, the form\n"
	"MCUboot's `imgtool keygen` writes.\n"
	"\n"
	"  -k, --key FILE     output file (written with mode 0600)\n"
	"  -t, --type TYPE    key type; only ecdsa-p256 is supported\n"
	"      --seed N       derive the key deterministically from the 64-bit seed N\n"
	"                     (test keys for sweeps; never for products)\n"
	"  -h, --help         this help\n"
	"\n"
	"exit codes: 0 ok, 2 usage or I/O error\n";

static int cmd_keygen(int argc, char **argv)
{
	const char *key = NULL, *type = NULL, *seed_s = NULL, *v;
	char err[BO_IMAGEGEN_ERRLEN];
	int r;

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(keygen_help, stdout);
			return EXIT_OK;
		}
		if ((r = opt(argc, argv, &i, "-k", "--key", true, &v)) != 0) {
			if (r < 0)
				return usage_error("keygen", "%s needs a value", argv[i]);
			key = v;
		} else if ((r = opt(argc, argv, &i, "-t", "--type", true, &v)) != 0) {
			if (r < 0)
				return usage_error("keygen", "%s needs a value", argv[i]);
			type = v;
		} else if ((r = opt(argc, argv, &i, NULL, "--seed", true, &v)) != 0) {
			if (r < 0)
				return usage_error("keygen", "%s needs a value", argv[i]);
			seed_s = v;
		} else if (!strcmp(argv[i], "-p") || !strcmp(argv[i], "--password")) {
			return usage_error("keygen", "%s: password-protected keys are not supported",
					   argv[i]);
		} else {
			return cli_bad_argument("image keygen", argv[i]);
		}
	}
	if (key == NULL)
		return usage_error("keygen", "%s", "missing -k/--key FILE");
	if (type == NULL)
		return usage_error("keygen", "%s", "missing -t/--type (ecdsa-p256)");
	if (strcmp(type, "ecdsa-p256") != 0)
		return usage_error("keygen",
				   "key type '%s' is not supported: brownout verifies ECDSA P-256 only",
				   type);

	struct bo_signkey *k = NULL;
	if (seed_s != NULL) {
		uint64_t seed;
		if (parse_num(seed_s, UINT64_MAX, &seed) != 0)
			return usage_error("keygen", "--seed '%s' is not a number", seed_s);
		r = bo_signkey_from_seed(seed, &k, err, sizeof err);
	} else {
		r = bo_signkey_generate(&k, err, sizeof err);
	}
	if (r != 0) {
		fprintf(stderr, "brownout image keygen: %s\n", err);
		return EXIT_USAGE;
	}
	char *pem = NULL;
	r = bo_signkey_private_pem(k, &pem, err, sizeof err);
	bo_signkey_free(k);
	if (r == 0) {
		r = write_file(key, pem, strlen(pem), 0600, err, sizeof err);
		free(pem);
	}
	if (r != 0) {
		fprintf(stderr, "brownout image keygen: %s\n", err);
		return EXIT_USAGE;
	}
	return EXIT_OK;
}

/* ---- sign --------------------------------------------------------------------------- */

static const char sign_help[] =
	"usage: brownout image sign [-k KEY.pem] -v VERSION -H N -S N [options] INFILE OUTFILE\n"
	"\n"
	"Make an MCUboot image, byte for byte as MCUboot's `imgtool sign` (2.4.0) does for\n"
	"ECDSA P-256: header, payload, protected TLVs, then SHA256, KEYHASH and ECDSA_SIG.\n"
	"Signatures are deterministic (RFC 6979): the same inputs give the same image.\n"
	"Numbers accept 0x (hex), 0o and 0b prefixes.\n"
	"\n"
	"  -k, --key FILE            private key (PKCS#8 or SEC1 PEM); none: unsigned image\n"
	"  -v, --version V           MAJ[.MIN[.REV[+BUILD]]], e.g. 1.2.3+4\n"
	"  -H, --header-size N       header size (>= 32); the payload starts there\n"
	"      --pad-header          prepend N erased bytes for the header (else INFILE must\n"
	"                            start with N zero bytes, which the header replaces)\n"
	"  -S, --slot-size N         slot size: image + trailer must fit\n"
	"      --align N             flash write alignment 1, 2, 4, 8, 16, 32 (default 1)\n"
	"      --max-align N         BOOT_MAX_ALIGN 8, 16, 32 (default max(8, --align))\n"
	"  -M, --max-sectors N       sectors the trailer's status area covers (default 128)\n"
	"      --pad                 pad to the slot size and write the trailer magic (test)\n"
	"      --confirm             pad, magic and image_ok = 0x01 (permanent)\n"
	"      --test                pad with the magic only (same as --pad)\n"
	"      --overwrite-only      overwrite-only trailer (no image_ok)\n"
	"  -R, --erased-val V        erased flash value: 0xff (default) or 0\n"
	"  -L, --load-addr N         RAM load address (sets RAM_LOAD)\n"
	"  -F, --rom-fixed N         fixed flash address (sets ROM_FIXED)\n"
	"      --non-bootable        set the NON_BOOTABLE flag\n"
	"  -s, --security-counter N  add a SEC_CNT TLV (N, or 'auto' from the version)\n"
	"      --custom-tlv TAG VAL  protected vendor TLV, TAG 0xa0..0xfffe; VAL 0x-prefixed hex,\n"
	"                            otherwise its UTF-8 text (repeatable)\n"
	"      --behaviour B         simulated app behaviour TLV 0xa0: good, no-confirm,\n"
	"                            crash-on-boot, no-dfu\n"
	"      --public-key-format F hash (KEYHASH, default) or full (PUBKEY)\n"
	"  -h, --help                this help\n"
	"\n"
	"exit codes: 0 ok, 2 usage, unreadable input or an image that cannot be built\n";

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

struct custom_tlv_arg {
	uint16_t type;
	uint8_t *data;
	size_t len;
};

static int parse_custom_tlv(const char *tag, const char *val, struct custom_tlv_arg *out)
{
	uint64_t t;
	memset(out, 0, sizeof *out);
	if (parse_num(tag, 0xffff, &t) != 0)
		return usage_error("sign", "--custom-tlv tag '%s' is not a 16-bit number", tag);
	if (t < 0xa0 || t > 0xfffe)
		return usage_error("sign", "--custom-tlv tag '%s' must be in 0xa0..0xfffe", tag);
	out->type = (uint16_t)t;
	if (val[0] == '0' && val[1] == 'x') {
		size_t n = strlen(val + 2);
		if (n % 2)
			return usage_error("sign", "--custom-tlv value '%s' has an odd number of hex "
						   "digits", val);
		out->len = n / 2;
		out->data = malloc(out->len ? out->len : 1);
		if (out->data == NULL)
			return usage_error("sign", "%s", "out of memory");
		for (size_t i = 0; i < out->len; i++) {
			int hi = hexval(val[2 + 2 * i]), lo = hexval(val[3 + 2 * i]);
			if (hi < 0 || lo < 0) {
				free(out->data);
				out->data = NULL;
				return usage_error("sign", "--custom-tlv value '%s' is not hex", val);
			}
			out->data[i] = (uint8_t)(hi << 4 | lo);
		}
	} else {
		out->len = strlen(val);
		out->data = malloc(out->len ? out->len : 1);
		if (out->data == NULL)
			return usage_error("sign", "%s", "out of memory");
		memcpy(out->data, val, out->len);
	}
	if (out->len > 0xffff) {
		free(out->data);
		out->data = NULL;
		return usage_error("sign", "--custom-tlv value for tag '%s' is too long", tag);
	}
	return EXIT_OK;
}

static bool has_ext(const char *path, const char *ext)
{
	size_t n = strlen(path), e = strlen(ext);
	if (n < e)
		return false;
	for (size_t i = 0; i < e; i++) {
		char c = path[n - e + i];
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != ext[i])
			return false;
	}
	return true;
}

struct vopt {
	const char *sname, *lname;
	int id;
};

/* sign's options that take a value */
enum { O_KEY, O_VER, O_HDR, O_SLOT, O_ALIGN, O_MAXALIGN, O_MAXSEC, O_ERASED, O_LOAD, O_ROM,
       O_SECCNT, O_BEHAVIOUR, O_PKFMT };

/* Match argv[*i] against value options. 1: matched (id, value), 0: none, -1: no value. */
static int match_vopt(int argc, char **argv, int *i, const struct vopt *t, size_t n, int *id,
		      const char **val)
{
	for (size_t k = 0; k < n; k++) {
		int r = opt(argc, argv, i, t[k].sname, t[k].lname, true, val);
		if (r != 0) {
			*id = t[k].id;
			return r;
		}
	}
	return 0;
}

/* One value option of sign. Returns 0, or non-zero after printing a usage error. */
static int sign_value(struct bo_imagegen_opts *o, int id, const char *v, const char **key,
		      const char **version, const char **secnt, bool *have_hdr, bool *have_slot)
{
	uint64_t n;
	switch (id) {
	case O_KEY:
		*key = v;
		return 0;
	case O_VER:
		*version = v;
		return 0;
	case O_HDR:
		if (parse_num(v, 0xffffffffu, &n) != 0)
			return usage_error("sign", "--header-size '%s' is not a number", v);
		if (n < 32 || n > 0xffff)
			return usage_error("sign", "--header-size %s: must be 32..0xffff", v);
		o->header_size = (uint32_t)n;
		*have_hdr = true;
		return 0;
	case O_SLOT:
		if (parse_num(v, 0xffffffffu, &n) != 0)
			return usage_error("sign", "--slot-size '%s' is not a 32-bit number", v);
		o->slot_size = (uint32_t)n;
		*have_slot = true;
		return 0;
	case O_ALIGN:
		if (parse_num(v, 32, &n) != 0 || n == 0 || (n & (n - 1)) != 0)
			return usage_error("sign", "--align '%s': use 1, 2, 4, 8, 16 or 32", v);
		o->align = (uint32_t)n;
		return 0;
	case O_MAXALIGN:
		if (parse_num(v, 32, &n) != 0 || (n != 8 && n != 16 && n != 32))
			return usage_error("sign", "--max-align '%s': use 8, 16 or 32", v);
		o->max_align = (uint32_t)n;
		return 0;
	case O_MAXSEC:
		if (parse_num(v, 0x100000, &n) != 0 || n == 0)
			return usage_error("sign", "--max-sectors '%s' is not a positive number", v);
		o->max_sectors = (uint32_t)n;
		return 0;
	case O_ERASED:
		if (!strcmp(v, "0xff"))
			o->erased_val = 0xff;
		else if (!strcmp(v, "0"))
			o->erased_val = 0;
		else
			return usage_error("sign", "--erased-val '%s': use 0 or 0xff", v);
		return 0;
	case O_LOAD:
		if (parse_num(v, 0xffffffffu, &n) != 0)
			return usage_error("sign", "--load-addr '%s' is not a 32-bit number", v);
		o->load_addr = (uint32_t)n;
		return 0;
	case O_ROM:
		if (parse_num(v, 0xffffffffu, &n) != 0)
			return usage_error("sign", "--rom-fixed '%s' is not a 32-bit number", v);
		o->rom_fixed = (uint32_t)n;
		return 0;
	case O_SECCNT:
		*secnt = v;
		return 0;
	case O_BEHAVIOUR:
		o->behaviour = behaviour_parse(v);
		if (o->behaviour < 0)
			return usage_error("sign", "--behaviour '%s': use good, no-confirm, "
						   "crash-on-boot or no-dfu", v);
		return 0;
	case O_PKFMT:
		if (!strcmp(v, "hash"))
			o->pubkey_full = false;
		else if (!strcmp(v, "full"))
			o->pubkey_full = true;
		else
			return usage_error("sign", "--public-key-format '%s': use hash or full", v);
		return 0;
	default:
		return usage_error("sign", "%s", "internal: unknown option id");
	}
}

static int cmd_sign(int argc, char **argv)
{
	struct bo_imagegen_opts o;
	struct custom_tlv_arg ct[MAX_CUSTOM_TLVS];
	struct bo_imagegen_tlv tlvs[MAX_CUSTOM_TLVS];
	size_t nct = 0;
	const char *key = NULL, *version = NULL, *pos[2] = {NULL, NULL}, *v;
	bool have_hdr = false, have_slot = false;
	int npos = 0, r, rc = EXIT_USAGE;
	uint64_t n;
	char err[BO_IMAGEGEN_ERRLEN];
	const char *secnt = NULL;

	static const struct vopt vopts[] = {
		{"-k", "--key", O_KEY},
		{"-v", "--version", O_VER},
		{"-H", "--header-size", O_HDR},
		{"-S", "--slot-size", O_SLOT},
		{NULL, "--align", O_ALIGN},
		{NULL, "--max-align", O_MAXALIGN},
		{"-M", "--max-sectors", O_MAXSEC},
		{"-R", "--erased-val", O_ERASED},
		{"-L", "--load-addr", O_LOAD},
		{"-F", "--rom-fixed", O_ROM},
		{"-s", "--security-counter", O_SECCNT},
		{NULL, "--behaviour", O_BEHAVIOUR},
		{NULL, "--public-key-format", O_PKFMT},
	};

	bo_imagegen_opts_init(&o);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int id;
		if (is_help(a)) {
			fputs(sign_help, stdout);
			rc = EXIT_OK;
			goto out;
		}
		if (!strcmp(a, "--pad-header")) {
			o.pad_header = true;
		} else if (!strcmp(a, "--pad")) {
			o.pad = true;
		} else if (!strcmp(a, "--confirm")) {
			o.confirm = true;
		} else if (!strcmp(a, "--test")) {
			o.test = true;
		} else if (!strcmp(a, "--overwrite-only")) {
			o.overwrite_only = true;
		} else if (!strcmp(a, "--non-bootable")) {
			o.non_bootable = true;
		} else if (!strcmp(a, "--custom-tlv")) {
			if (i + 2 >= argc) {
				rc = usage_error("sign", "%s", "--custom-tlv needs TAG and VALUE");
				goto out;
			}
			if (nct == MAX_CUSTOM_TLVS) {
				rc = usage_error("sign", "%s", "too many --custom-tlv options");
				goto out;
			}
			rc = parse_custom_tlv(argv[i + 1], argv[i + 2], &ct[nct]);
			if (rc != EXIT_OK)
				goto out;
			rc = EXIT_USAGE;
			nct++;
			i += 2;
		} else if ((r = match_vopt(argc, argv, &i, vopts, sizeof vopts / sizeof vopts[0], &id,
					   &v)) < 0) {
			rc = usage_error("sign", "%s needs a value", a);
			goto out;
		} else if (r > 0) {
			if (sign_value(&o, id, v, &key, &version, &secnt, &have_hdr, &have_slot) != 0)
				goto out;
		} else if (a[0] == '-' && a[1] != '\0') {
			rc = cli_bad_argument("image sign", a);
			goto out;
		} else if (npos < 2) {
			pos[npos++] = a;
		} else {
			rc = cli_bad_argument("image sign", a);
			goto out;
		}
	}
	if (version == NULL) {
		rc = usage_error("sign", "%s", "missing -v/--version");
		goto out;
	}
	if (bo_imagegen_parse_version(version, &o.version) != 0) {
		rc = usage_error("sign",
				 "invalid version '%s': use MAJ[.MIN[.REV[+BUILD]]] with major and "
				 "minor < 256, revision < 65536, build < 2^32",
				 version);
		goto out;
	}
	if (!have_hdr) {
		rc = usage_error("sign", "%s", "missing -H/--header-size");
		goto out;
	}
	if (!have_slot) {
		rc = usage_error("sign", "%s", "missing -S/--slot-size");
		goto out;
	}
	if (npos != 2) {
		rc = usage_error("sign", "%s", "need INFILE and OUTFILE");
		goto out;
	}
	if (o.max_align != 0 && o.max_align < o.align) {
		rc = usage_error("sign", "%s", "--max-align must be at least --align");
		goto out;
	}
	if (has_ext(pos[0], ".hex") || has_ext(pos[1], ".hex")) {
		rc = usage_error("sign", "%s", "Intel HEX files are not supported: use binaries");
		goto out;
	}
	if (secnt != NULL) {
		o.has_security_counter = true;
		if (!strcmp(secnt, "auto")) {
			o.security_counter = ((uint32_t)o.version.major << 24) +
					     ((uint32_t)o.version.minor << 16) + o.version.revision;
		} else if (parse_num(secnt, 0xffffffffu, &n) == 0) {
			o.security_counter = (uint32_t)n;
		} else {
			rc = usage_error("sign", "--security-counter '%s': a number or auto", secnt);
			goto out;
		}
	}
	for (size_t i = 0; i < nct; i++)
		tlvs[i] = (struct bo_imagegen_tlv){ct[i].type, (uint16_t)ct[i].len, ct[i].data};
	o.custom_tlvs = tlvs;
	o.custom_tlv_count = nct;

	struct bo_signkey *k = NULL;
	if (key != NULL) {
		if (bo_signkey_load_file(key, &k, err, sizeof err) != 0) {
			fprintf(stderr, "brownout image sign: %s\n", err);
			goto out;
		}
		if (!bo_signkey_has_private(k)) {
			fprintf(stderr,
				"brownout image sign: %s: a public key cannot sign; give the private "
				"key\n",
				key);
			bo_signkey_free(k);
			goto out;
		}
	}
	uint8_t *payload = NULL, *img = NULL;
	size_t plen = 0, ilen = 0;
	if (read_file(pos[0], &payload, &plen, err, sizeof err) != 0) {
		fprintf(stderr, "brownout image sign: %s\n", err);
		bo_signkey_free(k);
		goto out;
	}
	r = bo_imagegen_build(&o, k, payload, plen, &img, &ilen, err, sizeof err);
	free(payload);
	bo_signkey_free(k);
	if (r != 0) {
		fprintf(stderr, "brownout image sign: %s: %s\n", pos[0], err);
		goto out;
	}
	r = write_file(pos[1], img, ilen, 0644, err, sizeof err);
	free(img);
	if (r != 0) {
		fprintf(stderr, "brownout image sign: %s\n", err);
		goto out;
	}
	rc = EXIT_OK;
out:
	for (size_t i = 0; i < nct; i++)
		free(ct[i].data);
	return rc;
}

/* ---- verify ------------------------------------------------------------------------- */

static const char verify_help[] =
	"usage: brownout image verify -k KEY.pem [-k KEY2.pem ...] IMAGE\n"
	"\n"
	"Check an MCUboot image with the bootloader's own verifier (core/boot): header and TLV\n"
	"bounds, SHA-256, and an ECDSA P-256 signature by one of the given keys (matched by\n"
	"KEYHASH). Keys may be private or public PEM. A padded image (a whole slot) is fine.\n"
	"\n"
	"  -k, --key FILE   a trusted key (repeatable)\n"
	"  -h, --help       this help\n"
	"\n"
	"exit codes: 0 valid, 1 invalid (the reason on stderr), 2 usage or unreadable input\n";

static int cmd_verify(int argc, char **argv)
{
	const char *keys[MAX_KEYS], *img_path = NULL, *v;
	size_t nkeys = 0;
	char err[BO_IMAGEGEN_ERRLEN];
	int r;

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(verify_help, stdout);
			return EXIT_OK;
		}
		if ((r = opt(argc, argv, &i, "-k", "--key", true, &v)) != 0) {
			if (r < 0)
				return usage_error("verify", "%s needs a value", argv[i]);
			if (nkeys == MAX_KEYS)
				return usage_error("verify", "%s", "too many keys");
			keys[nkeys++] = v;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return cli_bad_argument("image verify", argv[i]);
		} else if (img_path == NULL) {
			img_path = argv[i];
		} else {
			return cli_bad_argument("image verify", argv[i]);
		}
	}
	if (nkeys == 0)
		return usage_error("verify", "%s", "missing -k/--key");
	if (img_path == NULL)
		return usage_error("verify", "%s", "missing IMAGE");

	struct bo_crypto_mbedtls st;
	struct bo_crypto crypto;
	struct bo_key ring_keys[MAX_KEYS];
	uint8_t spki[MAX_KEYS][BO_P256_SPKI_LEN];
	bo_crypto_mbedtls_init(&st, &crypto);
	for (size_t i = 0; i < nkeys; i++) {
		struct bo_signkey *k;
		if (bo_signkey_load_file(keys[i], &k, err, sizeof err) != 0) {
			fprintf(stderr, "brownout image verify: %s\n", err);
			bo_crypto_mbedtls_free(&st);
			return EXIT_USAGE;
		}
		r = bo_signkey_spki(k, spki[i]);
		bo_signkey_free(k);
		if (r != 0) {
			fprintf(stderr, "brownout image verify: %s: cannot export the public key\n",
				keys[i]);
			bo_crypto_mbedtls_free(&st);
			return EXIT_USAGE;
		}
		bo_key_init(&ring_keys[i], spki[i], BO_P256_SPKI_LEN, &crypto);
	}
	struct bo_keyring ring = {ring_keys, nkeys};

	uint8_t *buf;
	size_t len;
	if (read_file(img_path, &buf, &len, err, sizeof err) != 0) {
		fprintf(stderr, "brownout image verify: %s\n", err);
		bo_crypto_mbedtls_free(&st);
		return EXIT_USAGE;
	}
	struct bo_ramflash rf;
	struct bo_image_info info;
	bo_ramflash_init(&rf, buf, (uint32_t)len, 0, 1, 0xff);
	enum bo_image_err e = bo_image_verify(&rf.area, (uint32_t)len, &crypto, &ring, &info);
	bo_crypto_mbedtls_free(&st);
	free(buf);
	if (e != BO_IMG_OK) {
		fprintf(stderr, "brownout image verify: %s: invalid: %s\n", img_path,
			bo_image_strerror(e));
		return EXIT_FAILED;
	}
	const struct bo_image_version *ver = &info.hdr.version;
	printf("Image was correctly validated\n");
	printf("Image version: %u.%u.%u+%" PRIu32 "\n", ver->major, ver->minor, ver->revision,
	       ver->build);
	printf("Image digest: ");
	image_print_hex(stdout, info.hash, sizeof info.hash);
	printf("\nSigned by: %s\n", keys[info.key_index]);
	return EXIT_OK;
}

/* ---- dump --------------------------------------------------------------------------- */

static const char dump_help[] =
	"usage: brownout image dump IMAGE [--json] [--max-align N] [-R 0|0xff]\n"
	"\n"
	"Show an MCUboot image: header, protected and unprotected TLVs, and, when the file is\n"
	"a whole slot (imgtool --pad), the slot trailer as the bootloader reads it: magic,\n"
	"image_ok, copy_done, swap_info, swap_size, and the swap type it asks for as the\n"
	"secondary slot. Nothing is verified (use verify).\n"
	"\n"
	"      --json           machine-readable output\n"
	"      --max-align N    the trailer's BOOT_MAX_ALIGN (default: detected from the\n"
	"                       magic, else 8)\n"
	"  -R, --erased-val V   erased flash value 0xff (default) or 0\n"
	"  -h, --help           this help\n"
	"\n"
	"exit codes: 0 dumped, 1 the header or TLV layout is malformed (shown), 2 usage or\n"
	"unreadable input\n";

struct tlv_list {
	uint32_t start, size; /* area with its info header */
};

static void dump_tlvs_text(const uint8_t *buf, struct tlv_list a)
{
	uint32_t off = a.start + BO_TLV_INFO_SIZE, end = a.start + a.size;
	while (off + BO_TLV_HDR_SIZE <= end) {
		uint16_t t = (uint16_t)(buf[off] | buf[off + 1] << 8);
		uint16_t l = (uint16_t)(buf[off + 2] | buf[off + 3] << 8);
		off += BO_TLV_HDR_SIZE;
		printf("  0x%04x %-12s %5u  ", t, image_tlv_name(t), l);
		size_t show = l > 40 ? 40 : l;
		image_print_hex(stdout, buf + off, show);
		if (show < l)
			printf("...");
		if (t == BO_TLV_BEHAVIOUR && l == 1 && image_behaviour_name(buf[off]) != NULL)
			printf("  (%s)", image_behaviour_name(buf[off]));
		printf("\n");
		off += l;
	}
}

static int cmd_dump(int argc, char **argv)
{
	const char *path = NULL, *v;
	bool json = false;
	uint32_t max_align = 0;
	uint8_t ev = 0xff;
	char err[BO_IMAGEGEN_ERRLEN];
	int r;
	uint64_t n;

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			fputs(dump_help, stdout);
			return EXIT_OK;
		}
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if ((r = opt(argc, argv, &i, NULL, "--max-align", true, &v)) != 0) {
			if (r < 0)
				return usage_error("dump", "%s needs a value", argv[i]);
			if (parse_num(v, 1024, &n) != 0 || n < 8 || (n & (n - 1)) != 0)
				return usage_error("dump", "--max-align '%s': a power of two >= 8", v);
			max_align = (uint32_t)n;
		} else if ((r = opt(argc, argv, &i, "-R", "--erased-val", true, &v)) != 0) {
			if (r < 0)
				return usage_error("dump", "%s needs a value", argv[i]);
			if (!strcmp(v, "0xff"))
				ev = 0xff;
			else if (!strcmp(v, "0"))
				ev = 0;
			else
				return usage_error("dump", "--erased-val '%s': use 0 or 0xff", v);
		} else if (argv[i][0] == '-' && argv[i][1] != '\0') {
			return cli_bad_argument("image dump", argv[i]);
		} else if (path == NULL) {
			path = argv[i];
		} else {
			return cli_bad_argument("image dump", argv[i]);
		}
	}
	if (path == NULL)
		return usage_error("dump", "%s", "missing IMAGE");

	uint8_t *buf;
	size_t len;
	if (read_file(path, &buf, &len, err, sizeof err) != 0) {
		fprintf(stderr, "brownout image dump: %s\n", err);
		return EXIT_USAGE;
	}
	struct image_dump d;
	image_dump_analyse(buf, len, max_align, ev, &d);
	enum bo_image_err e = d.err;
	const struct bo_image_info info = d.info;
	const struct bo_image_header *h = &info.hdr;
	const struct bo_swap_state ts = d.ts;
	struct bo_swap_state none;
	memset(&none, 0, sizeof none);
	none.magic = BO_MAGIC_UNSET;
	none.image_ok = BO_FLAG_UNSET;
	none.copy_done = BO_FLAG_UNSET;
	bool have_hdr = d.have_hdr, trailer = d.trailer;
	uint32_t a = d.max_align;
	int trc = d.trailer_rc;

	if (json) {
		image_dump_json(stdout, path, &d, NULL);
	} else {
		printf("image: %s (%zu bytes)\n", path, len);
		if (have_hdr) {
			printf("header:\n");
			printf("  magic            0x%08" PRIx32 "\n", h->magic);
			printf("  load_addr        0x%08" PRIx32 "\n", h->load_addr);
			printf("  hdr_size         0x%x (%u)\n", h->hdr_size, h->hdr_size);
			printf("  protect_tlv_size 0x%x (%u)\n", h->protect_tlv_size,
			       h->protect_tlv_size);
			printf("  img_size         0x%" PRIx32 " (%" PRIu32 ")\n", h->img_size,
			       h->img_size);
			printf("  flags            0x%08" PRIx32 "%s%s%s%s%s\n", h->flags,
			       h->flags & BO_IMAGE_F_ENCRYPTED_AES128 ? " ENCRYPTED_AES128" : "",
			       h->flags & BO_IMAGE_F_ENCRYPTED_AES256 ? " ENCRYPTED_AES256" : "",
			       h->flags & BO_IMAGE_F_NON_BOOTABLE ? " NON_BOOTABLE" : "",
			       h->flags & BO_IMAGE_F_RAM_LOAD ? " RAM_LOAD" : "",
			       h->flags & BO_IMAGE_F_ROM_FIXED ? " ROM_FIXED" : "");
			printf("  version          %u.%u.%u+%" PRIu32 "\n", h->version.major,
			       h->version.minor, h->version.revision, h->version.build);
		}
		if (e != BO_IMG_OK)
			printf("layout: %s\n", bo_image_strerror(e));
		if (info.layout_ok) {
			if (info.prot_tlv_size) {
				printf("protected TLVs (0x%x bytes at 0x%" PRIx32 "):\n",
				       info.prot_tlv_size, info.prot_tlv_off);
				dump_tlvs_text(buf, (struct tlv_list){info.prot_tlv_off,
								      info.prot_tlv_size});
			} else {
				printf("protected TLVs: none\n");
			}
			printf("TLVs (0x%" PRIx32 " bytes at 0x%" PRIx32 "):\n", info.tlv_size,
			       info.tlv_off);
			dump_tlvs_text(buf, (struct tlv_list){info.tlv_off, info.tlv_size});
			printf("image size: 0x%" PRIx32 " (%" PRIu32 ") bytes\n", info.total_size,
			       info.total_size);
		}
		if (trailer) {
			printf("trailer (slot 0x%zx bytes, max align %" PRIu32 ", erased 0x%02x):\n",
			       len, a, ev);
			printf("  magic      %s\n", bo_magic_state_str(ts.magic));
			printf("  image_ok   %s\n", bo_flag_state_str(ts.image_ok));
			printf("  copy_done  %s\n", bo_flag_state_str(ts.copy_done));
			if (ts.swap_info.set)
				printf("  swap_info  %s, image %u\n",
				       bo_swap_type_str(ts.swap_info.swap_type), ts.swap_info.image_index);
			else
				printf("  swap_info  unset\n");
			if (ts.swap_size_set)
				printf("  swap_size  0x%" PRIx32 "\n", ts.swap_size);
			else
				printf("  swap_size  unset\n");
			printf("  as the secondary slot this asks for: %s\n",
			       bo_swap_type_str(bo_trailer_swap_decision(&none, &ts)));
		} else if (info.layout_ok) {
			printf("trailer: none (the file ends with the image; not padded to a slot)\n");
		} else if (trc == -1) {
			printf("trailer: none (the file is not a whole slot for max align %" PRIu32
			       ")\n", a);
		}
	}
	free(buf);
	return e == BO_IMG_OK ? EXIT_OK : EXIT_FAILED;
}

/* ---- entry -------------------------------------------------------------------------- */

static const char image_help[] =
	"usage: brownout image <command> [options]   (brownout image <command> --help)\n"
	"\n"
	"MCUboot images, compatible with MCUboot's imgtool where the two overlap:\n"
	"  keygen   generate an ECDSA P-256 key (PKCS#8 PEM)\n"
	"  sign     make a signed image from a binary (imgtool sign flags)\n"
	"  verify   check an image with the bootloader's verifier\n"
	"  dump     show header, TLVs and the slot trailer\n"
	"\n"
	"exit codes: 0 ok, 1 invalid image, 2 usage or unreadable input\n";

int cmd_image(int argc, char **argv)
{
	if (argc < 2) {
		fputs(image_help, stderr);
		return EXIT_USAGE;
	}
	const char *sub = argv[1];
	if (is_help(sub) || !strcmp(sub, "help")) {
		fputs(image_help, stdout);
		return EXIT_OK;
	}
	if (!strcmp(sub, "keygen"))
		return cmd_keygen(argc - 1, argv + 1);
	if (!strcmp(sub, "sign") || !strcmp(sub, "create"))
		return cmd_sign(argc - 1, argv + 1);
	if (!strcmp(sub, "verify"))
		return cmd_verify(argc - 1, argv + 1);
	if (!strcmp(sub, "dump") || !strcmp(sub, "dumpinfo"))
		return cmd_dump(argc - 1, argv + 1);
	fprintf(stderr, "brownout image: unknown command '%s'\n", sub);
	fputs(image_help, stderr);
	return EXIT_USAGE;
}
