/*
 * keys.c: the public key MCUboot verifies ECDSA P-256 signatures with (ECDSA plug-ins).
 *
 * A device has its key compiled in; a plug-in gets it from the sweep file's
 * `firmware.options.pubkey` (a "PUBLIC KEY" PEM or SubjectPublicKeyInfo DER file), read
 * once by configure() into a global that every power-on then starts from.
 */
#include <stdio.h>
#include <string.h>

#include "bootutil/sign_key.h"
#include "port.h"

#define SPKI_MAX 128 /* a P-256 SubjectPublicKeyInfo is 91 bytes */

static uint8_t key_der[SPKI_MAX];
static unsigned int key_len;

const struct bootutil_key bootutil_keys[] = {{key_der, &key_len}};
const int bootutil_key_cnt = 1;

static int b64_value(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* The base64 body between the PEM lines of text, into out; its length or -1. */
static int pem_body(const char *text, uint8_t *out, size_t cap)
{
	const char *begin = strstr(text, "-----BEGIN PUBLIC KEY-----");
	const char *end = begin ? strstr(begin, "-----END PUBLIC KEY-----") : NULL;
	if (!end)
		return -1;
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (const char *p = begin + strlen("-----BEGIN PUBLIC KEY-----"); p < end; p++) {
		int v = b64_value((unsigned char)*p);
		if (v < 0)
			continue; /* line breaks, padding */
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (n == cap)
				return -1;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	return (int)n;
}

int bro_mcuboot_key_configure(const char *path, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errlen, "option pubkey: cannot read '%s'", path);
		return -1;
	}
	char buf[1024];
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	int len;
	if (n > 0 && (uint8_t)buf[0] == 0x30) { /* DER SEQUENCE */
		len = n <= SPKI_MAX ? (int)n : -1;
		if (len > 0)
			memcpy(key_der, buf, n);
	} else {
		len = pem_body(buf, key_der, sizeof key_der);
	}
	if (len != 91) {
		snprintf(err, errlen,
			 "option pubkey: '%s' is not a P-256 public key (a \"PUBLIC KEY\" PEM "
			 "or SubjectPublicKeyInfo DER, 91 bytes)",
			 path);
		return -1;
	}
	key_len = (unsigned int)len;
	return 0;
}
