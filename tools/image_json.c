/* tools/image_json.c: see image_json.h. */
#include <inttypes.h>
#include <string.h>

#include "sim/imagegen.h"
#include "tools/image_json.h"

const char *image_tlv_name(uint16_t t)
{
	switch (t) {
	case BO_TLV_KEYHASH:
		return "KEYHASH";
	case BO_TLV_PUBKEY:
		return "PUBKEY";
	case BO_TLV_SHA256:
		return "SHA256";
	case BO_TLV_SHA384:
		return "SHA384";
	case BO_TLV_SHA512:
		return "SHA512";
	case BO_TLV_RSA2048_PSS:
		return "RSA2048_PSS";
	case BO_TLV_ECDSA_SIG:
		return "ECDSA_SIG";
	case BO_TLV_RSA3072_PSS:
		return "RSA3072_PSS";
	case BO_TLV_ED25519:
		return "ED25519";
	case BO_TLV_SIG_PURE:
		return "SIG_PURE";
	case BO_TLV_ENC_RSA2048:
		return "ENC_RSA2048";
	case BO_TLV_ENC_KW:
		return "ENC_KW";
	case BO_TLV_ENC_EC256:
		return "ENC_EC256";
	case BO_TLV_ENC_X25519:
		return "ENC_X25519";
	case BO_TLV_ENC_X25519_SHA512:
		return "ENC_X25519_SHA512";
	case BO_TLV_DEPENDENCY:
		return "DEPENDENCY";
	case BO_TLV_SEC_CNT:
		return "SEC_CNT";
	case BO_TLV_BOOT_RECORD:
		return "BOOT_RECORD";
	case BO_TLV_BEHAVIOUR:
		return "BEHAVIOUR";
	default:
		return t >= 0xa0 ? "vendor" : "unknown";
	}
}

const char *image_behaviour_name(unsigned v)
{
	switch (v) {
	case BO_APP_GOOD:
		return "good";
	case BO_APP_NO_CONFIRM:
		return "no-confirm";
	case BO_APP_CRASH_ON_BOOT:
		return "crash-on-boot";
	case BO_APP_NO_DFU:
		return "no-dfu";
	default:
		return NULL;
	}
}

void image_print_hex(FILE *out, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(out, "%02x", p[i]);
}

void image_json_str(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void dump_tlvs_json(FILE *out, const uint8_t *buf, uint32_t start, uint32_t size)
{
	uint32_t off = start + BO_TLV_INFO_SIZE, end = start + size;
	bool first = true;
	fprintf(out, "[");
	while (off + BO_TLV_HDR_SIZE <= end) {
		uint16_t t = (uint16_t)(buf[off] | buf[off + 1] << 8);
		uint16_t l = (uint16_t)(buf[off + 2] | buf[off + 3] << 8);
		off += BO_TLV_HDR_SIZE;
		fprintf(out, "%s{\"type\": %u, \"name\": \"%s\", \"offset\": %u, \"len\": %u, \"value\": \"",
		       first ? "" : ", ", t, image_tlv_name(t), off, l);
		image_print_hex(out, buf + off, l);
		fprintf(out, "\"}");
		first = false;
		off += l;
	}
	fprintf(out, "]");
}

/* The trailer's A: a good magic for 8, else the A a good wide magic names, else 8. */
static uint32_t detect_max_align(const uint8_t *buf, size_t len, uint8_t ev)
{
	if (len < BO_TRAILER_MAGIC_SZ)
		return 8;
	const uint8_t *m = buf + len - BO_TRAILER_MAGIC_SZ;
	if (bo_trailer_decode_magic(m, 8, ev) == BO_MAGIC_GOOD)
		return 8;
	uint32_t a = (uint32_t)(m[0] | m[1] << 8);
	if (a >= 16 && a <= 1024 && (a & (a - 1)) == 0 &&
	    bo_trailer_decode_magic(m, a, ev) == BO_MAGIC_GOOD)
		return a;
	return 8;
}

void image_dump_analyse(const uint8_t *buf, size_t len, uint32_t max_align, uint8_t erased_val,
			struct image_dump *d)
{
	memset(d, 0, sizeof *d);
	d->buf = buf;
	d->len = len;
	d->erased_val = erased_val;
	struct bo_ramflash rf;
	/* The RAM flash is only read here; it takes a mutable pointer because it can write. */
	bo_ramflash_init(&rf, (uint8_t *)(uintptr_t)buf, (uint32_t)len, 0, 1, erased_val);
	enum bo_image_err e = bo_image_parse(&rf.area, (uint32_t)len, &d->info);
	d->err = e;
	d->have_hdr = e == BO_IMG_OK || (e != BO_IMG_E_FLASH && e != BO_IMG_E_ERASED &&
					 e != BO_IMG_E_BAD_MAGIC && len >= BO_IMAGE_HEADER_SIZE);
	/* Trailer: when the file extends past the image (a padded slot), or is no image. */
	d->max_align = max_align ? max_align : detect_max_align(buf, len, erased_val);
	d->trailer_rc = -1;
	if (!d->info.layout_ok || len > d->info.total_size) {
		d->trailer_rc = bo_trailer_read_state(&rf.area, d->max_align, &d->ts);
		d->trailer = d->trailer_rc == 0;
	}
}

void image_dump_json(FILE *out, const char *path, const struct image_dump *d, const char *extra)
{
	const struct bo_image_info *info = &d->info;
	const struct bo_image_header *h = &info->hdr;
	const struct bo_swap_state *ts = &d->ts;
	enum bo_image_err e = d->err;
	size_t len = d->len;
	uint32_t a = d->max_align;
	unsigned ev = d->erased_val;
	bool have_hdr = d->have_hdr, trailer = d->trailer;
	struct bo_swap_state none;
	memset(&none, 0, sizeof none);
	none.magic = BO_MAGIC_UNSET;
	none.image_ok = BO_FLAG_UNSET;
	none.copy_done = BO_FLAG_UNSET;

	fprintf(out, "{\"file\": ");
	image_json_str(out, path);
	fprintf(out, ", \"size\": %zu, \"status\": \"%s\", \"error\": ", len, bo_image_errname(e));
	if (e == BO_IMG_OK)
		fprintf(out, "null");
	else
		image_json_str(out, bo_image_strerror(e));
	fprintf(out, ", \"header\": ");
	if (have_hdr)
		fprintf(out, "{\"magic\": %" PRIu32 ", \"load_addr\": %" PRIu32 ", \"hdr_size\": %u, "
		       "\"protect_tlv_size\": %u, \"img_size\": %" PRIu32
		       ", \"flags\": %" PRIu32 ", \"version\": \"%u.%u.%u+%" PRIu32 "\"}",
		       h->magic, h->load_addr, h->hdr_size, h->protect_tlv_size, h->img_size,
		       h->flags, h->version.major, h->version.minor, h->version.revision,
		       h->version.build);
	else
		fprintf(out, "null");
	fprintf(out, ", \"protected_tlvs\": ");
	if (info->layout_ok)
		dump_tlvs_json(out, d->buf, info->prot_tlv_off, info->prot_tlv_size);
	else
		fprintf(out, "null");
	fprintf(out, ", \"tlvs\": ");
	if (info->layout_ok)
		dump_tlvs_json(out, d->buf, info->tlv_off, info->tlv_size);
	else
		fprintf(out, "null");
	if (info->layout_ok)
		fprintf(out, ", \"image_size\": %" PRIu32, info->total_size);
	else
		fprintf(out, ", \"image_size\": null");
	fprintf(out, ", \"trailer\": ");
	if (trailer) {
		fprintf(out, "{\"slot_size\": %zu, \"max_align\": %" PRIu32 ", \"erased_val\": %u, "
		       "\"magic\": \"%s\", \"image_ok\": \"%s\", \"copy_done\": \"%s\", "
		       "\"swap_info\": ",
		       len, a, ev, bo_magic_state_str(ts->magic), bo_flag_state_str(ts->image_ok),
		       bo_flag_state_str(ts->copy_done));
		if (ts->swap_info.set)
			fprintf(out, "{\"swap_type\": \"%s\", \"image_index\": %u}",
				bo_swap_type_str(ts->swap_info.swap_type), ts->swap_info.image_index);
		else
			fprintf(out, "null");
		fprintf(out, ", \"swap_size\": ");
		if (ts->swap_size_set)
			fprintf(out, "%" PRIu32, ts->swap_size);
		else
			fprintf(out, "null");
		fprintf(out, ", \"swap_type_as_secondary\": \"%s\"}",
		       bo_swap_type_str(bo_trailer_swap_decision(&none, ts)));
	} else {
		fprintf(out, "null");
	}
	if (extra)
		fprintf(out, ", %s", extra);
	fprintf(out, "}\n");
}
