/* One device executing an update workload, with power cuts landing back here. */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/sha256.h>

#include "sim/flash_port.h"
#include "sim/sweep_runner.h"

#define DOWNLOAD_WRITE 256u /* the application writes the upgrade in pieces this big */
#define POISON 0xa5

const char *sweep_step_name(enum sweep_step_kind k)
{
	switch (k) {
	case SWEEP_STEP_POWER_ON:
		return "reboot";
	case SWEEP_STEP_DOWNLOAD:
		return "download";
	case SWEEP_STEP_REQUEST_TEST:
		return "request test";
	case SWEEP_STEP_REQUEST_PERM:
		return "request perm";
	case SWEEP_STEP_CONFIRM:
		return "confirm";
	case SWEEP_STEP_CORRUPT:
		return "corrupt";
	}
	return "?";
}

static void on_power_loss(void *ctx)
{
	struct sweep_node *n = ctx;
	longjmp(n->power_on, 1);
}

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 0x100000001b3ull;
	return h;
}

static struct sweep_node *node_of(void *ctx)
{
	/* ctx is the mbedtls state embedded in the node */
	return (struct sweep_node *)((char *)ctx - offsetof(struct sweep_node, crypto_state));
}

static int memo_verify(void *ctx, const uint8_t *spki, size_t spki_len,
		       const uint8_t digest[BO_SHA256_LEN], const uint8_t *sig, size_t sig_len)
{
	struct sweep_node *n = node_of(ctx);
	uint64_t sh = fnv1a(sig, sig_len) ^ fnv1a(spki, spki_len) * 31 ^ sig_len;
	for (int i = 0; i < SWEEP_VERIFY_MEMO; i++) {
		const struct sweep_verify_memo *m = &n->memo[i];
		if (m->used && m->sig_hash == sh && !memcmp(m->digest, digest, 32))
			return m->result;
	}
	int result = n->verify(ctx, spki, spki_len, digest, sig, sig_len);
	struct sweep_verify_memo *m = &n->memo[n->memo_next++ % SWEEP_VERIFY_MEMO];
	*m = (struct sweep_verify_memo){.sig_hash = sh, .result = result, .used = true};
	memcpy(m->digest, digest, 32);
	return result;
}

static void memo_sha_start(void *ctx)
{
	struct sweep_node *n = node_of(ctx);
	n->stream.len = 0;
	n->stream.fp[0] = 0x243f6a8885a308d3ull;
	n->stream.fp[1] = 0x13198a2e03707344ull;
}

static void memo_sha_update(void *ctx, const void *data, size_t len)
{
	struct sweep_hash_stream *st = &node_of(ctx)->stream;
	if (st->len + len > st->cap) {
		size_t cap = st->cap ? st->cap : 65536;
		while (cap < st->len + len)
			cap *= 2;
		st->buf = realloc(st->buf, cap);
		if (!st->buf)
			abort();
		st->cap = cap;
	}
	memcpy(st->buf + st->len, data, len);
	/* Two independent multiply-xorshift lanes over 8-byte words (fast, not cryptographic:
	 * a 128-bit fingerprint only has to tell apart the states of one simulation). A stream
	 * split differently gives another fingerprint, which only costs a memo miss. */
	const uint8_t *p = data;
	uint64_t a = st->fp[0], b = st->fp[1];
	size_t i = 0;
	for (; i + 8 <= len; i += 8) {
		uint64_t w;
		memcpy(&w, p + i, 8);
		a = (a ^ w) * 0x9e3779b97f4a7c15ull;
		a ^= a >> 32;
		b = (b + w) * 0xff51afd7ed558ccdull;
		b ^= b >> 29;
	}
	for (; i < len; i++) {
		a = (a ^ p[i]) * 0x100000001b3ull;
		b = (b + p[i] + 1) * 0xc4ceb9fe1a85ec53ull;
	}
	a ^= len;
	b += len;
	st->fp[0] = a;
	st->fp[1] = b;
	st->len += len;
}

static void memo_sha_finish(void *ctx, uint8_t digest[BO_SHA256_LEN])
{
	struct sweep_node *n = node_of(ctx);
	struct sweep_hash_stream *st = &n->stream;
	for (int i = 0; i < SWEEP_HASH_MEMO; i++) {
		const struct sweep_hash_memo *m = &n->hash_memo[i];
		if (m->used && m->len == st->len && m->fp[0] == st->fp[0] && m->fp[1] == st->fp[1]) {
			memcpy(digest, m->digest, BO_SHA256_LEN);
			return;
		}
	}
	mbedtls_sha256_ret(st->buf, st->len, digest, 0);
	struct sweep_hash_memo *m = &n->hash_memo[n->hash_memo_next++ % SWEEP_HASH_MEMO];
	*m = (struct sweep_hash_memo){{st->fp[0], st->fp[1]}, st->len, {0}, true};
	memcpy(m->digest, digest, BO_SHA256_LEN);
}

static int area(struct sweep_node *n, const char *name, struct bo_flash_area *out, bool required,
		char *err, size_t errlen)
{
	if (sim_flash_area(&n->port, name, out) == 0)
		return 0;
	*out = (struct bo_flash_area){0};
	if (required) {
		snprintf(err, errlen, "the device has no '%s' partition", name);
		return -1;
	}
	return 0;
}

int sweep_node_init(struct sweep_node *n, const struct sweep_workload *w, char *err, size_t errlen)
{
	memset(n, 0, sizeof *n);
	n->w = w;
	n->dev = fsim_fork(w->initial);
	if (!n->dev) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	sim_flash_port_init(&n->port, n->dev);
	fsim_set_power_loss_handler(n->dev, on_power_loss, n);
	bo_crypto_mbedtls_init(&n->crypto_state, &n->crypto);
	n->verify = n->crypto.ecdsa_p256_verify;
	n->crypto.ecdsa_p256_verify = memo_verify;
	n->crypto.sha256_start = memo_sha_start;
	n->crypto.sha256_update = memo_sha_update;
	n->crypto.sha256_finish = memo_sha_finish;
	n->cfg = (struct bo_boot_cfg){
		.strategy = w->strategy,
		.crypto = &n->crypto,
		.keys = w->keys,
		.attempts = w->attempts,
		.allow_downgrade = w->allow_downgrade,
	};
	if (area(n, "primary", &n->cfg.primary, true, err, errlen) ||
	    area(n, "upgrade", &n->cfg.upgrade, true, err, errlen) ||
	    area(n, "scratch", &n->cfg.scratch, false, err, errlen) ||
	    area(n, "recovery", &n->cfg.recovery, false, err, errlen)) {
		sweep_node_free(n);
		return -1;
	}
	if (w->firmware) {
		n->ram = malloc(w->firmware->ram_size);
		if (!n->ram) {
			snprintf(err, errlen, "out of memory");
			sweep_node_free(n);
			return -1;
		}
	}
	const char *why;
	if (bo_boot_check_config(&n->boot, &n->cfg, &why)) {
		snprintf(err, errlen, "%s cannot run on this layout: %s", bo_strategy_name(w->strategy),
			 why);
		sweep_node_free(n);
		return -1;
	}
	sweep_node_reset_obs(n);
	return 0;
}

void sweep_node_free(struct sweep_node *n)
{
	if (n->dev)
		fsim_destroy(n->dev);
	bo_crypto_mbedtls_free(&n->crypto_state);
	free(n->ram);
	n->ram = NULL;
	free(n->stream.buf);
	n->stream = (struct sweep_hash_stream){0};
	n->dev = NULL;
}

void sweep_node_reset_obs(struct sweep_node *n)
{
	memset(&n->obs, 0, sizeof n->obs);
	n->obs.running = n->obs.primary = n->obs.upgrade = -1;
}

void sweep_node_poison(struct sweep_node *n)
{
	memset(&n->boot, POISON, sizeof n->boot);
	if (n->ram)
		memset(n->ram, POISON, n->w->firmware->ram_size);
}

/* core/boot, or the workload's substitute firmware. */
static int fw_boot(struct sweep_node *n, struct bo_boot_result *res)
{
	return n->w->firmware ? n->w->firmware->boot(n, res) : bo_boot(&n->boot, &n->cfg, res);
}

static int fw_request(struct sweep_node *n, bool permanent)
{
	return n->w->firmware ? n->w->firmware->request(n, permanent)
			      : bo_app_request_upgrade(&n->boot, &n->cfg, permanent);
}

static int fw_confirm(struct sweep_node *n)
{
	return n->w->firmware ? n->w->firmware->confirm(n) : bo_app_confirm(&n->boot, &n->cfg);
}

static int fw_state(struct sweep_node *n, struct bo_app_state *st)
{
	if (n->w->firmware)
		return n->w->firmware->state(n, st);
	struct bo_boot scratch;
	return bo_app_state(&scratch, &n->cfg, st);
}

int sweep_identify(const struct sweep_node *n, const struct bo_flash_area *a)
{
	uint8_t buf[4096];
	for (int i = 0; i < n->w->nimages; i++) {
		const struct sweep_image *im = &n->w->images[i];
		if (im->len > a->size)
			continue;
		bool same = true;
		for (uint32_t off = 0; same && off < im->len; off += sizeof buf) {
			uint32_t k = im->len - off < sizeof buf ? im->len - off : (uint32_t)sizeof buf;
			fsim_peek(n->dev, a->off + off, buf, k);
			same = !memcmp(buf, im->bytes + off, k);
		}
		if (same)
			return i;
	}
	return -1;
}

static void note_boot(struct sweep_node *n, const struct bo_boot_result *res, int image)
{
	struct sweep_boot b = {res->slot, image, res->action, res->refused, res->trial};
	if (n->obs.boots < SWEEP_BOOTS_KEPT)
		n->obs.boot[n->obs.boots] = b;
	n->obs.last = b;
	n->obs.boots++;
	if (n->trace) {
		printf("  boot %u: %s, action %s", n->obs.boots,
		       res->slot == BO_SLOT_PRIMARY    ? "primary"
		       : res->slot == BO_SLOT_RECOVERY ? "recovery"
						       : "NOTHING BOOTABLE",
		       bo_boot_action_name(res->action));
		if (image >= 0)
			printf(", runs %s", n->w->images[image].name);
		if (res->trial)
			printf(" on trial (%u attempts left)", res->attempts_left);
		if (res->refused)
			printf(", refused %s: %s", res->refused_upgrade ? "upgrade" : "image",
			       bo_image_strerror(res->refused));
		printf("\n");
	}
}

/* Boot, then run the booted application's start-up (confirm, or crash and boot again). */
static void power_on(struct sweep_node *n)
{
	uint32_t crash_limit = 2u * (n->w->attempts ? n->w->attempts : 3u) + 4u;
	for (uint32_t crashes = 0;; crashes++) {
		sweep_node_poison(n);
		struct bo_boot_result res;
		fw_boot(n, &res);
		const struct bo_flash_area *slot = res.slot == BO_SLOT_PRIMARY    ? &n->cfg.primary
						   : res.slot == BO_SLOT_RECOVERY ? &n->cfg.recovery
										  : NULL;
		int image = slot ? sweep_identify(n, slot) : -1;
		note_boot(n, &res, image);
		if (res.error) {
			n->obs.app_error = true;
			return;
		}
		if (!slot) {
			n->obs.bricked = true;
			return;
		}
		if (image >= 0 && !n->w->images[image].bootable && !n->obs.ran_unbootable) {
			n->obs.ran_unbootable = true;
			n->obs.unbootable_image = image;
		}
		if (image < 0 && !n->obs.hybrid) {
			n->obs.hybrid = true;
			n->obs.hybrid_boot = (int)n->obs.boots;
		}
		n->obs.running = image;
		enum bo_app_behaviour how = BO_APP_GOOD;
		bo_image_behaviour(slot, &res.image, &how);
		if (how == BO_APP_CRASH_ON_BOOT) {
			if (crashes >= crash_limit) {
				n->obs.stuck = true;
				return;
			}
			continue; /* it resets before doing anything */
		}
		if (res.slot == BO_SLOT_PRIMARY && (how == BO_APP_GOOD || how == BO_APP_NO_DFU))
			if (fw_confirm(n) < 0)
				n->obs.app_error = true;
		return;
	}
}

static bool running_can_update(const struct sweep_node *n)
{
	int r = n->obs.running;
	return !n->obs.bricked && !n->obs.stuck &&
	       (r < 0 || n->w->images[r].behaviour != BO_APP_NO_DFU);
}

/* The application writes an image into the upgrade slot, as a DFU target would: clear a
 * stale trailer first, erase what the image covers, program it in pieces. */
static void download(struct sweep_node *n, const struct sweep_image *im)
{
	const struct bo_flash_area *up = &n->cfg.upgrade;
	uint32_t wu = n->port.write_unit, start, size, meta = 0;
	uint8_t buf[DOWNLOAD_WRITE];
	bool erased = bo_area_sector(up, up->size - 1, &meta, &size) == 0;
	for (uint32_t off = meta; erased && off < up->size; off += sizeof buf) {
		uint32_t k = up->size - off < sizeof buf ? up->size - off : (uint32_t)sizeof buf;
		if (bo_area_read(up, off, buf, k))
			erased = false;
		for (uint32_t i = 0; i < k; i++)
			erased &= buf[i] == n->port.erase_value;
	}
	if (!erased && bo_area_erase(up, meta, up->size - meta))
		n->obs.app_error = true;
	for (uint32_t off = 0; off < im->len; off = start + size) {
		if (bo_area_sector(up, off, &start, &size) || bo_area_erase(up, start, size)) {
			n->obs.app_error = true;
			return;
		}
	}
	for (uint32_t off = 0; off < im->len; off += DOWNLOAD_WRITE) {
		uint32_t k = im->len - off < DOWNLOAD_WRITE ? im->len - off : DOWNLOAD_WRITE;
		memcpy(buf, im->bytes + off, k);
		uint32_t padded = (k + wu - 1) / wu * wu;
		memset(buf + k, n->port.erase_value, padded - k);
		if (bo_area_program(up, off, buf, padded)) {
			n->obs.app_error = true;
			return;
		}
	}
}

static void exec_step(struct sweep_node *n, int s)
{
	const struct sweep_step *st = &n->w->steps[s];
	if (n->trace)
		printf(" step %d: %s%s%s\n", s, sweep_step_name(st->kind),
		       st->kind == SWEEP_STEP_DOWNLOAD ? " " : "",
		       st->kind == SWEEP_STEP_DOWNLOAD ? n->w->images[st->image].name : "");
	switch (st->kind) {
	case SWEEP_STEP_POWER_ON:
		power_on(n);
		break;
	case SWEEP_STEP_DOWNLOAD:
		if (running_can_update(n))
			download(n, &n->w->images[st->image]);
		break;
	case SWEEP_STEP_REQUEST_TEST:
	case SWEEP_STEP_REQUEST_PERM:
		if (running_can_update(n) &&
		    fw_request(n, st->kind == SWEEP_STEP_REQUEST_PERM))
			n->obs.app_error = true;
		break;
	case SWEEP_STEP_CONFIRM:
		if (n->obs.last.slot == BO_SLOT_PRIMARY && fw_confirm(n) < 0)
			n->obs.app_error = true;
		break;
	case SWEEP_STEP_CORRUPT: {
		/* Tampering: erase the partition's second sector, inside the payload of an image
		 * longer than two sectors (header and TLVs stay, the hash no longer matches).
		 * A flash operation like any other, so it is cut like any other. */
		const struct bo_flash_area *a = st->part == SWEEP_PART_PRIMARY  ? &n->cfg.primary
						: st->part == SWEEP_PART_UPGRADE ? &n->cfg.upgrade
										 : &n->cfg.recovery;
		uint32_t s0, z0, s1, z1;
		if (bo_area_sector(a, 0, &s0, &z0) || bo_area_sector(a, z0, &s1, &z1) ||
		    bo_area_erase(a, s1, z1))
			n->obs.app_error = true;
		break;
	}
	}
}

void sweep_node_end_state(struct sweep_node *n)
{
	struct sweep_obs *o = &n->obs;
	o->primary = sweep_identify(n, &n->cfg.primary);
	o->upgrade = sweep_identify(n, &n->cfg.upgrade);
	o->confirmed = false;
	if (o->bricked || o->stuck)
		return;
	if (o->last.slot == BO_SLOT_RECOVERY) {
		o->confirmed = true; /* a plain reboot boots the recovery image again */
	} else if (o->last.slot == BO_SLOT_PRIMARY) {
		struct bo_app_state st;
		if (fw_state(n, &st) == 0)
			o->confirmed = st.confirmed;
	}
}

static bool slot_matches(int expected, int observed)
{
	return expected == SWEEP_EXPECT_UNSET ||
	       (expected == SWEEP_EXPECT_NONE ? observed < 0 : expected == observed);
}

bool sweep_expect_met(const struct sweep_workload *w, const struct sweep_obs *o)
{
	const struct sweep_expect *e = &w->expect;
	if (o->bricked || o->stuck)
		return false;
	return slot_matches(e->running, o->running) &&
	       (e->confirmed < 0 || (bool)e->confirmed == o->confirmed) &&
	       slot_matches(e->primary, o->primary) && slot_matches(e->upgrade, o->upgrade);
}

static int run_from(struct sweep_node *n, int first, bool after_cut)
{
	const struct sweep_workload *w = n->w;
	/* volatile: read after a longjmp back into this frame */
	volatile int s = first;
	n->step = first;
	if (setjmp(n->power_on)) {
		sweep_node_poison(n);
		return 1;
	}
	/* Tampering is done with the power off: a cut just before or inside a corrupt step
	 * does not power the device on first (the next reboot step does). */
	if (after_cut && (s >= w->nsteps || (w->steps[s].kind != SWEEP_STEP_POWER_ON &&
					     w->steps[s].kind != SWEEP_STEP_CORRUPT))) {
		n->step = s;
		power_on(n); /* the restart; the interrupted application step runs again below */
	}
	for (; s < w->nsteps && !n->obs.bricked && !n->obs.stuck; s++) {
		n->step = s;
		exec_step(n, s);
	}
	/* Convergence: up to K plain reboots, each a cut point too (step nsteps). */
	n->step = w->nsteps;
	for (uint32_t k = 0; k < w->extra_reboots && !n->obs.bricked && !n->obs.stuck; k++) {
		sweep_node_end_state(n);
		if (sweep_expect_met(w, &n->obs))
			break;
		if (n->trace)
			printf(" convergence reboot %u\n", k + 1);
		power_on(n);
	}
	sweep_node_end_state(n);
	return 0;
}

int sweep_node_run(struct sweep_node *n, int first)
{
	return run_from(n, first, false);
}

int sweep_node_resume(struct sweep_node *n, int step)
{
	return run_from(n, step, true);
}
