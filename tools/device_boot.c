/* tools/device_boot.c: see device_boot.h. */
#include "tools/device_boot.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/port/mbedtls/crypto_mbedtls.h"
#include "sim/flash_port.h"
#include "sim/imagegen.h"
#include "sim/sweep_device.h"

static const char *op_name(enum fsim_op_kind k)
{
	return k == FSIM_OP_PROGRAM ? "program" : k == FSIM_OP_ERASE ? "erase" : "read";
}

static void trace_op(void *ctx, const struct fsim_trace_event *ev)
{
	if (ev->kind == FSIM_OP_READ)
		return;
	fprintf(ctx, "  flash op %" PRIu64 ": %-7s 0x%06" PRIx32 " +%-6" PRIu32 "%s\n",
		ev->op_index, op_name(ev->kind), ev->off, ev->len,
		ev->result == FSIM_OK ? "" : "  VIOLATION (refused)");
}

/* The keyring's one key: the PEM's public key, or the sweeps' trusted test key. */
static int load_key(const char *pem, uint8_t spki[BO_P256_SPKI_LEN], char *err, size_t errlen)
{
	struct bo_signkey *k = NULL;
	char why[200];
	int rc = pem ? bo_signkey_load_file(pem, &k, why, sizeof why)
		     : bo_signkey_from_seed(BO_SWEEP_TRUSTED_SEED, &k, why, sizeof why);
	if (rc == 0 && bo_signkey_spki(k, spki) != 0) {
		snprintf(why, sizeof why, "cannot export the public key");
		rc = -1;
	}
	bo_signkey_free(k);
	if (rc)
		snprintf(err, errlen, "%s: %s", pem ? pem : "built-in test key", why);
	return rc;
}

/* Everything a boot configuration points into, kept together so it outlives the call. */
struct dev_cfg {
	struct sim_flash_ports ports; /* one per region: each flash of a device its own units */
	struct bo_crypto_mbedtls cst;
	struct bo_crypto crypto;
	uint8_t spki[BO_P256_SPKI_LEN];
	struct bo_key key;
	struct bo_keyring ring;
	struct bo_boot_cfg cfg;
	struct bo_boot *b;
};

static void cfg_close(struct dev_cfg *c)
{
	bo_crypto_mbedtls_free(&c->cst);
	free(c->b);
}

static int cfg_open(struct dev_cfg *c, struct fsim_device *dev, const struct device_boot_opts *o,
		    char *err, size_t errlen)
{
	memset(c, 0, sizeof *c);
	if (load_key(o->key_pem, c->spki, err, errlen))
		return -1;
	sim_flash_ports_init(&c->ports, dev);
	bo_crypto_mbedtls_init(&c->cst, &c->crypto);
	bo_key_init(&c->key, c->spki, sizeof c->spki, &c->crypto);
	c->ring = (struct bo_keyring){&c->key, 1};
	c->cfg = (struct bo_boot_cfg){
		.strategy = o->strategy, .crypto = &c->crypto, .keys = &c->ring,
		.attempts = (uint8_t)o->attempts, .allow_downgrade = o->allow_downgrade,
	};
	if (sim_flash_ports_area(&c->ports, "primary", &c->cfg.primary) ||
	    sim_flash_ports_area(&c->ports, "upgrade", &c->cfg.upgrade)) {
		snprintf(err, errlen, "the device has no primary or no upgrade partition");
		cfg_close(c);
		return -1;
	}
	/* core/boot's trailer alignment: max(8, the primary's write unit) */
	uint32_t wu = c->cfg.primary.flash->write_unit;
	c->cfg.max_align = wu > 8 ? wu : 8;
	sim_flash_ports_area(&c->ports, "scratch", &c->cfg.scratch);   /* optional: size stays 0 */
	sim_flash_ports_area(&c->ports, "recovery", &c->cfg.recovery);
	sim_flash_ports_area(&c->ports, "status", &c->cfg.status);
	c->b = malloc(sizeof *c->b);
	const char *why = NULL;
	if (!c->b || bo_boot_check_config(c->b, &c->cfg, &why)) {
		snprintf(err, errlen, "the bootloader refuses this layout for %s: %s",
			 bo_strategy_name(o->strategy), why ? why : "out of memory");
		cfg_close(c);
		return -1;
	}
	return 0;
}

int device_boot_once(struct fsim_device *dev, const struct device_boot_opts *o,
		     struct bo_boot_result *res, char *err, size_t errlen)
{
	struct dev_cfg c;
	if (cfg_open(&c, dev, o, err, errlen))
		return -1;
	if (o->trace)
		fsim_set_trace(dev, trace_op, o->trace);
	bo_boot(c.b, &c.cfg, res);
	fsim_set_trace(dev, NULL, NULL);
	cfg_close(&c);
	return 0;
}

int device_app_confirm(struct fsim_device *dev, const struct device_boot_opts *o, char *err,
		       size_t errlen)
{
	struct dev_cfg c;
	if (cfg_open(&c, dev, o, err, errlen))
		return -1;
	int rc = bo_app_confirm(c.b, &c.cfg);
	cfg_close(&c);
	if (rc)
		snprintf(err, errlen, "%s", rc > 0 ? "the image cannot confirm itself (a torn "
			 "confirm, or the recovery image after the trial boots ran out)"
			 : "a flash error");
	return rc ? -1 : 0;
}

int device_app_state(struct fsim_device *dev, const struct device_boot_opts *o,
		     struct bo_app_state *st, char *err, size_t errlen)
{
	struct dev_cfg c;
	if (cfg_open(&c, dev, o, err, errlen))
		return -1;
	int rc = bo_app_state(c.b, &c.cfg, st);
	cfg_close(&c);
	if (rc)
		snprintf(err, errlen, "cannot read the application state");
	return rc ? -1 : 0;
}

void device_boot_describe(FILE *out, const struct bo_boot_result *res)
{
	if (res->error == BO_BOOT_E_FLASH)
		fprintf(out, "flash error (a NOR rule violation): ");
	if (res->slot == BO_SLOT_NONE) {
		fprintf(out, "bricked: nothing bootable");
	} else {
		const struct bo_image_version *v = &res->image.hdr.version;
		fprintf(out, "boot %s %u.%u.%u+%" PRIu32,
			res->slot == BO_SLOT_PRIMARY ? "primary" : "recovery", v->major, v->minor,
			v->revision, v->build);
	}
	const char *sep = " (";
	if (res->action != BO_ACT_NONE) {
		fprintf(out, "%s%s", sep, bo_boot_action_name(res->action));
		sep = ", ";
	}
	if (res->trial) {
		fprintf(out, "%son trial, %u attempts left", sep, res->attempts_left);
		sep = ", ";
	}
	if (res->refused != BO_IMG_OK) {
		fprintf(out, "%s%s refused: %s", sep,
			res->refused_upgrade ? "upgrade"
			: res->refused_slot == BO_SLOT_RECOVERY ? "recovery" : "primary",
			bo_image_strerror(res->refused));
		sep = ", ";
	}
	if (strcmp(sep, " ("))
		fprintf(out, ")");
}

int device_strategy_parse(const char *name, enum bo_strategy *out)
{
	for (int s = BO_STRATEGY_OVERWRITE; s <= BO_STRATEGY_SWAP_SCRATCH_RECOVERY; s++) {
		if (!strcmp(name, bo_strategy_name((enum bo_strategy)s))) {
			*out = (enum bo_strategy)s;
			return 0;
		}
	}
	return -1;
}

int device_strategy_from_note(const char *note, enum bo_strategy *out)
{
	const char *p = note ? strstr(note, "strategy=") : NULL;
	if (!p)
		return -1;
	p += strlen("strategy=");
	char name[32];
	size_t n = strcspn(p, " \t\n");
	if (n >= sizeof name)
		return -1;
	memcpy(name, p, n);
	name[n] = '\0';
	return device_strategy_parse(name, out);
}

void device_note(char *note, size_t len, enum bo_strategy s, const char *origin)
{
	snprintf(note, len, "strategy=%s %s", bo_strategy_name(s), origin ? origin : "");
}
