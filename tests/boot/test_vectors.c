/*
 * tests/boot/test_vectors.c: the MCUboot interop vectors (tests/vectors/mcuboot, made with
 * imgtool 2.4.0) give exactly the results their README states, through core/boot, and our
 * builder reproduces imgtool's bytes for the same inputs (all but the ECDSA signature,
 * which imgtool draws at random).
 * Usage: test_vectors VECTORS_DIR. Exits 77 (skipped) when the directory is absent.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "core/boot/trailer.h"
#include "tests/boot/boot_test_util.h"

static const char *dir;
static char err[BO_IMAGEGEN_ERRLEN];

static uint8_t *slurp(const char *name, size_t *len)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	buf[n] = 0;
	*len = (size_t)n;
	return buf;
}

static struct bo_signkey *key(const char *name)
{
	char path[4096];
	struct bo_signkey *k;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (bo_signkey_load_file(path, &k, err, sizeof err) != 0)
		fail_msg("%s", err);
	return k;
}

/* Slot facts from the README: 0x34000 slot, --align 4, BOOT_MAX_ALIGN 8, erased 0xff. */
#define SLOT 0x34000u

static uint32_t trailer_size(void)
{
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	o.align = 4;
	return bo_imagegen_trailer_size(&o);
}

static enum bo_image_err verify_file(const char *name, const char *keyname,
				     struct bo_image_info *info)
{
	struct vctx v;
	size_t len;
	uint8_t *img = slurp(name, &len);
	struct bo_signkey *k = key(keyname);
	vctx_init(&v);
	vctx_trust(&v, k);
	/* the bootloader's limit for a whole slot: slot minus trailer; else the file */
	uint32_t limit = len == SLOT ? SLOT - trailer_size() : (uint32_t)len;
	enum bo_image_err rc = vverify(&v, img, len, limit, info);
	vctx_free(&v);
	bo_signkey_free(k);
	free(img);
	return rc;
}

static void check_version(const struct bo_image_info *info, int maj, int min, int rev, int build)
{
	assert_int_equal(info->hdr.version.major, maj);
	assert_int_equal(info->hdr.version.minor, min);
	assert_int_equal(info->hdr.version.revision, rev);
	assert_int_equal(info->hdr.version.build, build);
}

static void test_valid(void **state)
{
	(void)state;
	struct bo_image_info info;
	const char *keys[] = {"test-ec256.pub.pem", "test-ec256.pem"};
	for (int k = 0; k < 2; k++) {
		assert_int_equal(verify_file("v1.0.0.bin", keys[k], &info), BO_IMG_OK);
		check_version(&info, 1, 0, 0, 1);
		assert_int_equal(info.hdr.hdr_size, 32);
		assert_int_equal(info.hdr.img_size, 4096);
		assert_int_equal(info.total_size, 4279);
		assert_int_equal(verify_file("v1.1.0-pending.bin", keys[k], &info), BO_IMG_OK);
		check_version(&info, 1, 1, 0, 2);
		assert_int_equal(info.hdr.img_size, 20000);
		assert_int_equal(verify_file("v1.1.0-confirmed.bin", keys[k], &info), BO_IMG_OK);
		check_version(&info, 1, 1, 0, 2);
	}
}

static void test_rejected(void **state)
{
	(void)state;
	struct bo_image_info info;
	assert_int_equal(verify_file("v1.1.0-otherkey.bin", "test-ec256.pub.pem", &info),
			 BO_IMG_E_NO_TRUSTED_KEY);
	assert_int_equal(verify_file("v1.0.0-tampered.bin", "test-ec256.pub.pem", &info),
			 BO_IMG_E_HASH_MISMATCH);
	/* the other key does verify its own image */
	assert_int_equal(verify_file("v1.1.0-otherkey.bin", "other-ec256.pem", &info), BO_IMG_OK);
	check_version(&info, 1, 1, 0, 2);
	assert_int_equal(verify_file("v1.0.0.bin", "other-ec256.pem", &info),
			 BO_IMG_E_NO_TRUSTED_KEY);
}

static void trailer_of(const char *name, struct bo_swap_state *st)
{
	size_t len;
	uint8_t *img = slurp(name, &len);
	struct bo_ramflash rf;
	assert_int_equal(len, SLOT);
	bo_ramflash_init(&rf, img, (uint32_t)len, 0, 4, 0xff);
	assert_int_equal(bo_trailer_read_state(&rf.area, 8, st), 0);
	/* image_ok sits at slot_size - 24 */
	struct bo_trailer_layout l;
	assert_int_equal(bo_trailer_layout(SLOT, 8, &l), 0);
	assert_int_equal(l.image_ok_off, SLOT - 24);
	free(img);
}

static void test_trailers(void **state)
{
	(void)state;
	struct bo_swap_state pending, confirmed, empty;
	trailer_of("v1.1.0-pending.bin", &pending);
	assert_int_equal(pending.magic, BO_MAGIC_GOOD);
	assert_int_equal(pending.image_ok, BO_FLAG_UNSET);
	assert_int_equal(pending.copy_done, BO_FLAG_UNSET);
	assert_false(pending.swap_info.set);
	trailer_of("v1.1.0-confirmed.bin", &confirmed);
	assert_int_equal(confirmed.magic, BO_MAGIC_GOOD);
	assert_int_equal(confirmed.image_ok, BO_FLAG_SET);
	assert_int_equal(confirmed.copy_done, BO_FLAG_UNSET);
	memset(&empty, 0, sizeof empty);
	empty.magic = BO_MAGIC_UNSET;
	empty.image_ok = empty.copy_done = BO_FLAG_UNSET;
	assert_int_equal(bo_trailer_swap_decision(&empty, &pending), BO_SWAP_TEST);
	assert_int_equal(bo_trailer_swap_decision(&empty, &confirmed), BO_SWAP_PERM);
}

/* Our SPKI export and PEM writers reproduce imgtool's key files byte for byte. */
static void test_keys_match_imgtool(void **state)
{
	(void)state;
	struct bo_signkey *k = key("test-ec256.pem");
	size_t plen, publen, ilen;
	uint8_t *pem = slurp("test-ec256.pem", &plen);
	uint8_t *pub = slurp("test-ec256.pub.pem", &publen);
	char *ours;
	assert_int_equal(bo_signkey_private_pem(k, &ours, err, sizeof err), 0);
	assert_int_equal(strlen(ours), plen);
	assert_memory_equal(ours, pem, plen);
	free(ours);
	assert_int_equal(bo_signkey_public_pem(k, &ours, err, sizeof err), 0);
	assert_int_equal(strlen(ours), publen);
	assert_memory_equal(ours, pub, publen);
	free(ours);
	/* KEYHASH in the vector == SHA-256 of our SPKI */
	uint8_t *img = slurp("v1.0.0.bin", &ilen);
	uint8_t spki[BO_P256_SPKI_LEN], kh[32];
	assert_int_equal(bo_signkey_spki(k, spki), 0);
	sha256(spki, sizeof spki, kh);
	struct bo_ramflash rf;
	struct bo_image_info info;
	bo_ramflash_init(&rf, img, (uint32_t)ilen, 0, 1, 0xff);
	assert_int_equal(bo_image_parse(&rf.area, (uint32_t)ilen, &info), BO_IMG_OK);
	uint32_t off;
	uint16_t tl;
	assert_int_equal(bo_image_find_tlv(&rf.area, &info, BO_TLV_KEYHASH, false, &off, &tl), 0);
	assert_int_equal(tl, 32);
	assert_memory_equal(img + off, kh, 32);
	free(img);
	free(pem);
	free(pub);
	bo_signkey_free(k);
}

/*
 * Rebuild a vector from its payload with the same options: identical up to the signature
 * TLV (header, payload, hash, KEYHASH), identical trailer, and our signature verifies.
 */
static void rebuild(const char *vec, const char *payload_name, const char *keyname,
		    struct bo_image_version ver, bool pad, bool confirm)
{
	size_t vlen, plen, olen;
	uint8_t *v = slurp(vec, &vlen);
	uint8_t *p = slurp(payload_name, &plen);
	struct bo_signkey *k = key(keyname);
	struct bo_imagegen_opts o;
	bo_imagegen_opts_init(&o);
	o.version = ver;
	o.header_size = 32;
	o.pad_header = true;
	o.slot_size = SLOT;
	o.align = 4;
	o.pad = pad;
	o.confirm = confirm;
	uint8_t *ours;
	assert_int_equal(bo_imagegen_build(&o, k, p, plen, &ours, &olen, err, sizeof err), 0);

	struct bo_ramflash rf;
	struct bo_image_info vi, oi;
	bo_ramflash_init(&rf, v, (uint32_t)vlen, 0, 1, 0xff);
	assert_int_equal(bo_image_parse(&rf.area, (uint32_t)vlen, &vi), BO_IMG_OK);
	bo_ramflash_init(&rf, ours, (uint32_t)olen, 0, 1, 0xff);
	assert_int_equal(bo_image_parse(&rf.area, (uint32_t)olen, &oi), BO_IMG_OK);
	/* everything before the unprotected area, then SHA256 and KEYHASH TLVs */
	assert_int_equal(vi.tlv_off, oi.tlv_off);
	uint32_t sig_tlv = vi.tlv_off + 4 + 36 + 36;
	assert_memory_equal(v, ours, vi.tlv_off);
	assert_memory_equal(v + vi.tlv_off + 4, ours + oi.tlv_off + 4, 72);
	assert_int_equal(v[sig_tlv], 0x22);
	assert_int_equal(ours[sig_tlv], 0x22);
	/* sizes differ only by the DER signature length */
	int dv = (int)vi.total_size - (int)(v[sig_tlv + 2] | v[sig_tlv + 3] << 8);
	int dour = (int)oi.total_size - (int)(ours[sig_tlv + 2] | ours[sig_tlv + 3] << 8);
	assert_int_equal(dv, dour);
	if (pad) {
		assert_int_equal(olen, vlen);
		/* from the end of the longer image to the end of the slot: identical */
		uint32_t from = vi.total_size > oi.total_size ? vi.total_size : oi.total_size;
		assert_memory_equal(v + from, ours + from, vlen - from);
	} else {
		assert_int_equal(olen, oi.total_size);
	}
	/* ours verifies like theirs */
	struct vctx c;
	vctx_init(&c);
	vctx_trust(&c, k);
	uint32_t limit = pad ? SLOT - trailer_size() : (uint32_t)olen;
	assert_int_equal(vverify(&c, ours, olen, limit, NULL), BO_IMG_OK);
	vctx_free(&c);
	free(ours);
	free(v);
	free(p);
	bo_signkey_free(k);
}

static void test_rebuild_like_imgtool(void **state)
{
	(void)state;
	rebuild("v1.0.0.bin", "payload-a.bin", "test-ec256.pem", (struct bo_image_version){1, 0, 0, 1},
		false, false);
	rebuild("v1.1.0-pending.bin", "payload-b.bin", "test-ec256.pem",
		(struct bo_image_version){1, 1, 0, 2}, true, false);
	rebuild("v1.1.0-confirmed.bin", "payload-b.bin", "test-ec256.pem",
		(struct bo_image_version){1, 1, 0, 2}, true, true);
	rebuild("v1.1.0-otherkey.bin", "payload-b.bin", "other-ec256.pem",
		(struct bo_image_version){1, 1, 0, 2}, false, false);
}

int main(int argc, char **argv)
{
	struct stat st;
	if (argc < 2 || stat(argv[1], &st) != 0 || !S_ISDIR(st.st_mode)) {
		fprintf(stderr, "MCUboot vectors not found (%s): skipped\n", argc > 1 ? argv[1] : "?");
		return 77;
	}
	dir = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_trailers),
		cmocka_unit_test(test_keys_match_imgtool),
		cmocka_unit_test(test_rebuild_like_imgtool),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
