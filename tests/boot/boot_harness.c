/* tests/boot/boot_harness.c: see boot_harness.h. */
#include "tests/boot/boot_harness.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIB 1024u

const struct bh_layout bh_nrf52840 = {
	.name = "nrf52840",
	.preset = "nrf52840",
	.parts = {{"boot", 0x00000, 0x0C000, true},
		  {"primary", 0x0C000, 0x6C000, false},
		  {"upgrade", 0x78000, 0x6C000, false},
		  {"scratch", 0xE4000, 0x04000, false},
		  {"recovery", 0xE8000, 0x10000, false},
		  {"storage", 0xF8000, 0x08000, false}},
	.nparts = 6,
	.uniform = true,
};

const struct bh_layout bh_stm32f4 = {
	.name = "stm32f4",
	.preset = "stm32f4",
	.parts = {{"boot", 0x00000, 64 * KIB, true},
		  {"recovery", 0x10000, 64 * KIB, false},
		  {"primary", 0x20000, 3 * 128 * KIB, false},
		  {"upgrade", 0x80000, 3 * 128 * KIB, false},
		  {"scratch", 0xE0000, 128 * KIB, false}},
	.nparts = 5,
	.uniform = true, /* both slots are 128K sectors only */
};

const struct bh_layout bh_stm32f4_status = {
	.name = "stm32f4-status",
	.preset = "stm32f4",
	.parts = {{"boot", 0x00000, 32 * KIB, true},
		  {"status", 0x08000, 16 * KIB, false},
		  {"recovery", 0x10000, 64 * KIB, false},
		  {"primary", 0x20000, 2 * 128 * KIB, false},
		  {"upgrade", 0x60000, 2 * 128 * KIB, false},
		  {"scratch", 0xA0000, 128 * KIB, false}},
	.nparts = 6,
	.uniform = false, /* swap-move refuses a status partition */
};

const struct bh_layout bh_nrf52840_status = {
	.name = "nrf52840-status",
	.preset = "nrf52840",
	.parts = {{"boot", 0x00000, 0x0B000, true},
		  {"status", 0x0B000, 0x01000, false},
		  {"primary", 0x0C000, 0x10000, false},
		  {"upgrade", 0x1C000, 0x10000, false},
		  {"scratch", 0x2C000, 0x01000, false},
		  {"recovery", 0x30000, 0x10000, false}},
	.nparts = 6,
	.uniform = false, /* swap-move refuses a status partition */
};

const struct bh_layout bh_stm32f4_mixed = {
	.name = "stm32f4-mixed",
	.preset = "stm32f4",
	.parts = {{"boot", 0x00000, 16 * KIB, true},
		  {"primary", 0x04000, 3 * 16 * KIB + 64 * KIB, false},
		  {"upgrade", 0x20000, 2 * 128 * KIB, false},
		  {"scratch", 0x60000, 128 * KIB, false},
		  {"recovery", 0x80000, 128 * KIB, false}},
	.nparts = 5,
	.uniform = false,
};

const struct bh_layout bh_stm32f4_mixed_swap = {
	.name = "stm32f4-mixed-swap",
	.preset = "stm32f4",
	.parts = {{"primary", 0x00000, 4 * 16 * KIB + 64 * KIB + 128 * KIB, false},
		  {"upgrade", 0x40000, 2 * 128 * KIB, false},
		  {"scratch", 0x80000, 128 * KIB, false},
		  {"recovery", 0xA0000, 128 * KIB, false},
		  {"boot", 0xC0000, 2 * 128 * KIB, true}},
	.nparts = 5,
	.uniform = false,
};

const struct bh_layout bh_k64f = {
	.name = "k64f",
	.preset = "k64f",
	.parts = {{"boot", 0x00000, 0x08000, true},
		  {"primary", 0x08000, 0x78000, false},
		  {"upgrade", 0x80000, 0x78000, false},
		  {"scratch", 0xF8000, 0x01000, false},
		  {"recovery", 0xF9000, 0x07000, false}},
	.nparts = 5,
	.uniform = true,
};

static _Noreturn void die(const char *what, const char *detail)
{
	fprintf(stderr, "boot harness: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
	abort();
}

void bh_power_loss(void *ctx)
{
	struct bh *h = ctx;
	if (!h->on_power_loss)
		die("power cut with no power-on handler", NULL);
	longjmp(*h->on_power_loss, 1);
}

const struct fsim_partition *bh_part(struct bh *h, const char *name)
{
	const struct fsim_partition *p = fsim_partition_find(h->dev, name);
	if (!p)
		die("no partition", name);
	return p;
}

/* The RAM workspace of one bootloader call: poisoned every time, so nothing can survive in
 * it from a previous call. Owned by h (not malloc'd per call: a power cut longjmps out of
 * the call, and a per-call buffer would leak). */
static struct bo_boot *workspace(struct bh *h)
{
	memset(h->ws, 0xA5, sizeof *h->ws);
	return h->ws;
}

int bh_reconfig(struct bh *h)
{
	struct bo_boot *b = workspace(h);
	h->config_error = NULL;
	int rc = bo_boot_check_config(b, &h->cfg, &h->config_error);
	h->data_limit = rc == 0 ? b->data_limit : 0;
	return rc;
}

int bh_setup(struct bh *h, const struct bh_layout *l, enum bo_strategy s)
{
	char err[BO_IMAGEGEN_ERRLEN];
	struct fsim_geometry g;
	memset(h, 0, sizeof *h);
	h->layout = l;
	h->ws = malloc(sizeof *h->ws);
	if (!h->ws)
		die("out of memory", NULL);
	if (fsim_preset(l->preset, &g))
		die("unknown preset", l->preset);
	h->dev = fsim_create(&g, err, sizeof err);
	if (!h->dev)
		die("fsim_create", err);
	if (fsim_set_partitions(h->dev, l->parts, l->nparts, err, sizeof err))
		die("partitions", err);
	fsim_set_power_loss_handler(h->dev, bh_power_loss, h);
	sim_flash_port_init(&h->port, h->dev);

	bo_crypto_mbedtls_init(&h->cst, &h->crypto);
	if (bo_signkey_from_seed(1, &h->trusted, err, sizeof err) ||
	    bo_signkey_from_seed(2, &h->rogue, err, sizeof err))
		die("keys", err);
	if (bo_signkey_spki(h->trusted, h->spki))
		die("spki", NULL);
	bo_key_init(&h->key, h->spki, sizeof h->spki, &h->crypto);
	h->ring = (struct bo_keyring){&h->key, 1};

	h->cfg = (struct bo_boot_cfg){.strategy = s, .crypto = &h->crypto, .keys = &h->ring};
	if (sim_flash_area(&h->port, "primary", &h->cfg.primary) ||
	    sim_flash_area(&h->port, "upgrade", &h->cfg.upgrade))
		die("layout without primary/upgrade", l->name);
	(void)sim_flash_area(&h->port, "scratch", &h->cfg.scratch);
	(void)sim_flash_area(&h->port, "recovery", &h->cfg.recovery);
	(void)sim_flash_area(&h->port, "status", &h->cfg.status);
	return bh_reconfig(h);
}

void bh_teardown(struct bh *h)
{
	fsim_destroy(h->dev);
	bo_signkey_free(h->trusted);
	bo_signkey_free(h->rogue);
	if (h->memo_on)
		sim_crypto_memo_free(&h->memo);
	bo_crypto_mbedtls_free(&h->cst);
	free(h->ws);
	memset(h, 0, sizeof *h);
}

void bh_memo_verify(struct bh *h)
{
	h->real = h->crypto;
	sim_crypto_memo_init(&h->memo, &h->real, &h->crypto);
	h->memo_on = true;
}

/* ---- Images ------------------------------------------------------------------------ */

static void build(struct bh *h, struct bh_img *img, uint64_t seed, uint64_t fill_seed,
		  uint8_t major, uint8_t minor, size_t payload_len, int behaviour, bool rogue)
{
	char err[BO_IMAGEGEN_ERRLEN];
	struct bo_imagegen_opts o;
	uint8_t *payload = malloc(payload_len + 1);
	if (!payload)
		die("out of memory", NULL);
	bo_imagegen_fill_payload(payload, payload_len, fill_seed);
	bo_imagegen_opts_init(&o);
	o.pad_header = true;
	o.version = (struct bo_image_version){major, minor, 0, (uint32_t)seed};
	o.behaviour = behaviour;
	memset(img, 0, sizeof *img);
	if (bo_imagegen_build(&o, rogue ? h->rogue : h->trusted, payload, payload_len, &img->bytes,
			      &img->len, err, sizeof err))
		die("bo_imagegen_build", err);
	img->ver = o.version;
	img->behaviour = behaviour;
	free(payload);
}

void bh_image(struct bh *h, struct bh_img *img, uint64_t seed, uint8_t major, uint8_t minor,
	      size_t payload_len, int behaviour, bool rogue)
{
	build(h, img, seed, seed, major, minor, payload_len, behaviour, rogue);
}

void bh_image_total(struct bh *h, struct bh_img *img, uint64_t seed, uint8_t major,
		    uint8_t minor, size_t total, int behaviour)
{
	size_t payload = total > 512 ? total - 256 : 16;
	for (uint64_t tries = 0; tries < 64; tries++) {
		/* The DER signature is 70 to 72 bytes depending on the digest: size the payload
		 * for this signature, and if the next one differs, try another payload. */
		build(h, img, seed, seed ^ (tries << 40), major, minor, payload, behaviour, false);
		if (img->len == total)
			return;
		payload = payload + total - img->len;
		bh_img_free(img);
	}
	die("cannot size an image exactly", NULL);
}

void bh_img_free(struct bh_img *img)
{
	free(img->bytes);
	memset(img, 0, sizeof *img);
}

/* ---- Device life cycle ------------------------------------------------------------- */

void bh_factory(struct bh *h, const struct bh_img *primary, const struct bh_img *recovery)
{
	if (primary && fsim_load_bytes(h->dev, bh_part(h, "primary")->off, primary->bytes,
				       (uint32_t)primary->len))
		die("load primary", NULL);
	if (recovery && fsim_load_bytes(h->dev, bh_part(h, "recovery")->off, recovery->bytes,
					(uint32_t)recovery->len))
		die("load recovery", NULL);
}

int bh_download(struct bh *h, const struct bh_img *img)
{
	const struct fsim_partition *up = bh_part(h, "upgrade");
	uint32_t wu = fsim_geometry(h->dev)->write_unit;
	uint8_t ev = fsim_geometry(h->dev)->erase_value;
	uint32_t len = (uint32_t)img->len, start, size;
	if (len > up->size)
		return -1;
	for (uint32_t off = 0; off < len; off = start + size - up->off) {
		if (fsim_sector_of(h->dev, up->off + off, NULL, &start, &size) ||
		    fsim_erase(h->dev, start, size))
			return -1;
	}
	uint8_t chunk[256];
	for (uint32_t off = 0; off < len; off += sizeof chunk) {
		uint32_t n = len - off < sizeof chunk ? len - off : (uint32_t)sizeof chunk;
		memcpy(chunk, img->bytes + off, n);
		uint32_t padded = (n + wu - 1) / wu * wu;
		memset(chunk + n, ev, padded - n);
		if (fsim_program(h->dev, up->off + off, chunk, padded))
			return -1;
	}
	return 0;
}

int bh_request(struct bh *h, bool permanent)
{
	struct bo_boot *b = workspace(h);
	int rc = bo_app_request_upgrade(b, &h->cfg, permanent);
	return rc;
}

int bh_boot(struct bh *h)
{
	struct bo_boot *b = workspace(h);
	memset(&h->res, 0xA5, sizeof h->res);
	int rc = bo_boot(b, &h->cfg, &h->res);
	h->boots++;
	return rc;
}

int bh_confirm(struct bh *h)
{
	struct bo_boot *b = workspace(h);
	int rc = bo_app_confirm(b, &h->cfg);
	return rc;
}

int bh_state(struct bh *h, struct bo_app_state *st)
{
	struct bo_boot *b = workspace(h);
	memset(st, 0xA5, sizeof *st);
	int rc = bo_app_state(b, &h->cfg, st);
	return rc;
}

int bh_run_app(struct bh *h)
{
	const struct bo_flash_area *slot;
	enum bo_app_behaviour beh;
	if (h->res.error || h->res.slot == BO_SLOT_NONE)
		return -1;
	slot = h->res.slot == BO_SLOT_RECOVERY ? &h->cfg.recovery : &h->cfg.primary;
	if (bo_image_behaviour(slot, &h->res.image, &beh))
		die("booted an image with a malformed behaviour TLV", NULL);
	if (h->res.slot == BO_SLOT_PRIMARY && (beh == BO_APP_GOOD || beh == BO_APP_NO_DFU))
		(void)bh_confirm(h);
	return (int)beh;
}

int bh_boot_run(struct bh *h)
{
	int rc = bh_boot(h);
	if (rc == 0)
		(void)bh_run_app(h);
	return rc;
}

bool bh_holds(struct bh *h, const char *part, const struct bh_img *img)
{
	const struct fsim_partition *p = bh_part(h, part);
	if (img->len > p->size)
		return false;
	uint8_t *buf = malloc(img->len);
	if (!buf)
		die("out of memory", NULL);
	bool same = fsim_peek(h->dev, p->off, buf, (uint32_t)img->len) == 0 &&
		    memcmp(buf, img->bytes, img->len) == 0;
	free(buf);
	return same;
}

bool bh_running(struct bh *h, const struct bh_img *img)
{
	if (h->res.error || h->res.slot == BO_SLOT_NONE)
		return false;
	const char *part = h->res.slot == BO_SLOT_RECOVERY ? "recovery" : "primary";
	return h->res.image.total_size == img->len && bh_holds(h, part, img);
}
