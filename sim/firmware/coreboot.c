/* core/boot behind the firmware-under-test interface: see coreboot.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/firmware/coreboot.h"
#include "sim/firmware/host.h" /* FW_MAX_FLASH */

#define MAX_KEYS 4
#define SPKI_MAX 128

/* One flash device as core/port's struct bo_flash. */
struct coreboot_port {
	const struct bro_device *dev;
	unsigned flash;
};

/* What configure() sets up once: survives power cuts like constants in the firmware. */
struct coreboot_config {
	const struct bro_device *dev;
	struct coreboot_port port_ctx[FW_MAX_FLASH];
	struct bo_flash port[FW_MAX_FLASH]; /* one per flash device: a slot may be on any */
	struct bo_crypto crypto;
	struct bo_boot_cfg cfg;
	uint8_t spki[MAX_KEYS][SPKI_MAX];
	struct bo_key keys[MAX_KEYS];
	struct bo_keyring ring;
};

/* ---- core/port over the device ---------------------------------------------------------- */

static int port_read(void *d, uint32_t off, void *buf, uint32_t len)
{
	const struct coreboot_port *p = d;
	return p->dev->read(p->dev->host, p->flash, off, buf, len);
}

static int port_program(void *d, uint32_t off, const void *buf, uint32_t len)
{
	const struct coreboot_port *p = d;
	return p->dev->program(p->dev->host, p->flash, off, buf, len);
}

static int port_erase(void *d, uint32_t off, uint32_t len)
{
	const struct coreboot_port *p = d;
	return p->dev->erase(p->dev->host, p->flash, off, len);
}

static int port_sector(void *d, uint32_t off, uint32_t *start, uint32_t *size)
{
	const struct coreboot_port *p = d;
	const struct bro_flash *f = &p->dev->flash[p->flash];
	uint32_t base = 0;
	for (unsigned i = 0; i < f->nregions; i++) {
		uint32_t span = f->regions[i].size * f->regions[i].count;
		if (off < base + span) {
			*start = base + (off - base) / f->regions[i].size * f->regions[i].size;
			*size = f->regions[i].size;
			return 0;
		}
		base += span;
	}
	return -1;
}

static const struct bro_device *crypto_dev(void *ctx)
{
	return ((const struct coreboot_config *)ctx)->dev;
}

static void c_sha_start(void *ctx)
{
	const struct bro_device *d = crypto_dev(ctx);
	d->sha256_start(d->host);
}

static void c_sha_update(void *ctx, const void *data, size_t len)
{
	const struct bro_device *d = crypto_dev(ctx);
	d->sha256_update(d->host, data, len);
}

static void c_sha_finish(void *ctx, uint8_t digest[BO_SHA256_LEN])
{
	const struct bro_device *d = crypto_dev(ctx);
	d->sha256_finish(d->host, digest);
}

static int c_verify(void *ctx, const uint8_t *spki, size_t spki_len,
		    const uint8_t digest[BO_SHA256_LEN], const uint8_t *sig, size_t sig_len)
{
	const struct bro_device *d = crypto_dev(ctx);
	return d->p256_verify(d->host, spki, spki_len, digest, sig, sig_len);
}

/* ---- Options -------------------------------------------------------------------------- */

static int parse_strategy(const char *s, enum bo_strategy *out)
{
	for (int i = 0; i <= BO_STRATEGY_SWAP_SCRATCH_RECOVERY; i++)
		if (!strcmp(s, bo_strategy_name((enum bo_strategy)i))) {
			*out = (enum bo_strategy)i;
			return 0;
		}
	return -1;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
				      : -1;
}

static int parse_keys(struct coreboot_config *c, const char *s, char *err, size_t errlen)
{
	size_t n = 0;
	while (*s) {
		if (n == MAX_KEYS) {
			snprintf(err, errlen, "option keys: at most %d keys", MAX_KEYS);
			return -1;
		}
		size_t len = 0;
		while (*s && *s != ',') {
			int hi = hexval(s[0]), lo = s[1] ? hexval(s[1]) : -1;
			if (hi < 0 || lo < 0 || len == SPKI_MAX) {
				snprintf(err, errlen, "option keys: key %zu is not hex of a DER key", n + 1);
				return -1;
			}
			c->spki[n][len++] = (uint8_t)(hi << 4 | lo);
			s += 2;
		}
		bo_key_init(&c->keys[n], c->spki[n], len, &c->crypto);
		n++;
		if (*s == ',')
			s++;
	}
	c->ring = (struct bo_keyring){c->keys, n};
	return 0;
}

static int area(const struct bro_device *dev, struct coreboot_config *c, const char *name,
		struct bo_flash_area *out)
{
	const struct bro_partition *p = bro_partition_find(dev, name);
	*out = p ? (struct bo_flash_area){&c->port[p->flash], p->off, p->size}
		 : (struct bo_flash_area){0};
	return p ? 0 : -1;
}

static int cb_configure(const struct bro_env *env, const struct bro_option *opts,
			unsigned nopts, char *err, size_t errlen)
{
	struct coreboot_config *c = env->config;
	const struct bro_device *dev = env->dev;
	if (dev->nflash < 1 || dev->nflash > FW_MAX_FLASH) {
		snprintf(err, errlen, "%u flash devices: core/boot takes 1 to %d", dev->nflash,
			 FW_MAX_FLASH);
		return -1;
	}
	c->dev = dev;
	for (unsigned f = 0; f < dev->nflash; f++) {
		c->port_ctx[f] = (struct coreboot_port){dev, f};
		c->port[f] = (struct bo_flash){&c->port_ctx[f], port_read, port_program, port_erase,
					       port_sector, dev->flash[f].write_unit,
					       dev->flash[f].erase_value};
	}
	c->crypto = (struct bo_crypto){c, c_sha_start, c_sha_update, c_sha_finish, c_verify, NULL};
	c->cfg = (struct bo_boot_cfg){.crypto = &c->crypto, .keys = &c->ring, .attempts = 3};
	bool have_strategy = false;
	for (unsigned i = 0; i < nopts; i++) {
		const char *k = opts[i].key, *v = opts[i].value;
		char *end;
		if (!strcmp(k, "strategy")) {
			if (parse_strategy(v, &c->cfg.strategy)) {
				snprintf(err, errlen, "option strategy: unknown strategy '%s'", v);
				return -1;
			}
			have_strategy = true;
		} else if (!strcmp(k, "attempts")) {
			unsigned long a = strtoul(v, &end, 10);
			if (*end || a < 1 || a > 255) {
				snprintf(err, errlen, "option attempts: '%s' is not 1..255", v);
				return -1;
			}
			c->cfg.attempts = (uint8_t)a;
		} else if (!strcmp(k, "allow-downgrade")) {
			if (strcmp(v, "true") && strcmp(v, "false")) {
				snprintf(err, errlen, "option allow-downgrade: '%s' is not true or false", v);
				return -1;
			}
			c->cfg.allow_downgrade = !strcmp(v, "true");
		} else if (!strcmp(k, "keys")) {
			if (parse_keys(c, v, err, errlen))
				return -1;
		} else {
			snprintf(err, errlen, "unknown option '%s' (core/boot takes strategy, attempts, "
				 "allow-downgrade, keys)", k);
			return -1;
		}
	}
	if (!have_strategy) {
		snprintf(err, errlen, "option strategy is required");
		return -1;
	}
	if (area(dev, c, "primary", &c->cfg.primary) || area(dev, c, "upgrade", &c->cfg.upgrade)) {
		snprintf(err, errlen, "core/boot needs 'primary' and 'upgrade' partitions");
		return -1;
	}
	area(dev, c, "scratch", &c->cfg.scratch);
	area(dev, c, "recovery", &c->cfg.recovery);
	area(dev, c, "status", &c->cfg.status);
	struct bo_boot *scratch = env->ram;
	const char *why = NULL;
	if (bo_boot_check_config(scratch, &c->cfg, &why)) {
		snprintf(err, errlen, "%s cannot run on this layout: %s",
			 bo_strategy_name(c->cfg.strategy), why ? why : "bad configuration");
		return -1;
	}
	return 0;
}

/* ---- Boot and the application's calls ------------------------------------------------- */

static int cb_boot(const struct bro_env *env, struct bro_boot_result *out)
{
	const struct coreboot_config *c = env->config;
	struct bo_boot_result res;
	bo_boot(env->ram, &c->cfg, &res);
	const struct bo_flash_area *slot = res.slot == BO_SLOT_PRIMARY    ? &c->cfg.primary
					   : res.slot == BO_SLOT_RECOVERY ? &c->cfg.recovery
									  : NULL;
	/* the slot's flash device: its port knows (a primary may be on any device) */
	const struct coreboot_port *port = slot ? slot->flash->dev : NULL;
	*out = (struct bro_boot_result){.booted = slot != NULL, .flash = port ? port->flash : 0,
					.off = slot ? slot->off : 0};
	int n = res.action == BO_ACT_NONE
			? 0
			: snprintf(out->reason, sizeof out->reason, "%s", bo_boot_action_name(res.action));
	if (res.trial && (size_t)n < sizeof out->reason)
		n += snprintf(out->reason + n, sizeof out->reason - (size_t)n,
			      "%son trial (%u attempts left)", n ? ", " : "", res.attempts_left);
	if (res.refused && (size_t)n < sizeof out->reason)
		snprintf(out->reason + n, sizeof out->reason - (size_t)n, "%srefused %s: %s",
			 n ? ", " : "", res.refused_upgrade ? "upgrade" : "image",
			 bo_image_strerror(res.refused));
	if (res.error && !slot) {
		snprintf(out->reason, sizeof out->reason, "core/boot error %d", (int)res.error);
		return -1;
	}
	if (res.error) /* a flash error, and an image that verifies booted anyway */
		snprintf(out->reason, sizeof out->reason, "flash error %d: booted what verifies",
			 (int)res.error);
	return 0;
}

static int cb_request(const struct bro_env *env, int permanent)
{
	const struct coreboot_config *c = env->config;
	int rc = bo_app_request_upgrade(env->ram, &c->cfg, permanent != 0);
	/* BO_BOOT_E_IMAGE with a status partition after a torn request: the trailer's sector
	 * (and the image's tail in it) was erased. Without one it means the download reached
	 * the trailer, which the application's own download never does. */
	if (rc == BO_BOOT_E_IMAGE && c->cfg.status.size)
		return BRO_DOWNLOAD_AGAIN;
	return rc ? -1 : 0;
}

static int cb_confirm(const struct bro_env *env)
{
	const struct coreboot_config *c = env->config;
	/* 1 (a torn confirm that cannot be redone) is the bootloader's business, not an
	 * application error: the image stays unconfirmed and the sweep judges what follows. */
	return bo_app_confirm(env->ram, &c->cfg) < 0 ? -1 : 0;
}

static int cb_state(const struct bro_env *env, struct bro_app_state *out)
{
	const struct coreboot_config *c = env->config;
	struct bo_boot workspace; /* a query: leave the bootloader's RAM as it is */
	struct bo_app_state st;
	if (bo_app_state(&workspace, &c->cfg, &st))
		return -1;
	out->confirmed = st.confirmed;
	return 0;
}

static const struct bro_firmware coreboot = {
	.abi = BRO_FIRMWARE_ABI,
	.name = "core/boot",
	.config_size = sizeof(struct coreboot_config),
	.ram_size = sizeof(struct bo_boot),
	.configure = cb_configure,
	.boot = cb_boot,
	.request_upgrade = cb_request,
	.confirm = cb_confirm,
	.state = cb_state,
};

const struct bro_firmware *fw_coreboot(void)
{
	return &coreboot;
}

int fw_coreboot_options(enum bo_strategy strategy, unsigned attempts, bool allow_downgrade,
			const struct bo_keyring *keys, struct bro_option opts[4], char *buf,
			size_t bufsize)
{
	char *p = buf, *end = buf + bufsize;
	const char *names[4] = {"strategy", "attempts", "allow-downgrade", "keys"};
	for (int i = 0; i < 4; i++) {
		opts[i].key = names[i];
		opts[i].value = p;
		int n;
		if (i == 0)
			n = snprintf(p, (size_t)(end - p), "%s", bo_strategy_name(strategy));
		else if (i == 1)
			n = snprintf(p, (size_t)(end - p), "%u", attempts ? attempts : 3);
		else if (i == 2)
			n = snprintf(p, (size_t)(end - p), "%s", allow_downgrade ? "true" : "false");
		else {
			n = 0;
			for (size_t k = 0; keys && k < keys->count; k++)
				for (size_t j = 0; j < keys->keys[k].spki_len; j++) {
					if (j == 0 && k > 0)
						n += snprintf(p + n, (size_t)(end - p - n), ",");
					n += snprintf(p + n, (size_t)(end - p - n), "%02x",
						      keys->keys[k].spki[j]);
					if (p + n >= end)
						return -1;
				}
			p[n] = '\0';
		}
		if (n < 0 || p + n >= end)
			return -1;
		p += n + 1;
	}
	return 4;
}
