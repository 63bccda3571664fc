/* Power cuts: arming, torn program and erase effects, metastable (weak) cells. */
#include <stdlib.h>
#include <string.h>

#include "flashsim/internal.h"

void fsim_arm_cut(struct fsim_device *dev, const struct fsim_cut *cut)
{
	dev->cut = *cut;
	dev->armed = true;
}

void fsim_disarm_cut(struct fsim_device *dev)
{
	dev->armed = false;
}

bool fsim_cut_armed(const struct fsim_device *dev)
{
	return dev->armed;
}

void fsim_set_power_loss_handler(struct fsim_device *dev, fsim_power_loss_fn fn, void *ctx)
{
	dev->on_loss = fn;
	dev->loss_ctx = ctx;
}

void fsim_set_trace(struct fsim_device *dev, fsim_trace_fn fn, void *ctx)
{
	dev->trace = fn;
	dev->trace_ctx = ctx;
}

uint32_t fsim_torn_variants(bool is_erase)
{
	return is_erase ? FSIM_TORN_ERASE_VARIANTS : FSIM_TORN_PROG_VARIANTS;
}

/* A small deterministic stream for one cut: the same seed gives the same tear. */
struct rng {
	uint64_t state;
};

static uint64_t rng_next(struct rng *r)
{
	r->state += 0x9e3779b97f4a7c15ull;
	return fsim_mix64(r->state);
}

static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return n ? (uint32_t)(rng_next(r) % n) : 0;
}

static unsigned popcount8(uint8_t x)
{
	return (unsigned)__builtin_popcount(x);
}

/* ---- Weak cells ------------------------------------------------------------------- */

static void weak_free(struct fsim_weak_range *w)
{
	free(w->mask);
	w->mask = NULL;
}

void fsim_weak_clear(struct fsim_weak_set *set)
{
	for (size_t i = 0; i < set->n; i++)
		weak_free(&set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = 0;
}

void fsim_weak_drop_sector(struct fsim_device *dev, uint32_t sector)
{
	struct fsim_weak_set *set = &dev->weak;
	size_t k = 0;
	for (size_t i = 0; i < set->n; i++) {
		if (set->v[i].sector == sector)
			weak_free(&set->v[i]);
		else
			set->v[k++] = set->v[i];
	}
	set->n = k;
}

static struct fsim_weak_range *weak_push(struct fsim_weak_set *set)
{
	struct fsim_weak_range *v = realloc(set->v, (set->n + 1) * sizeof *v);
	if (!v)
		abort();
	set->v = v;
	return &set->v[set->n++];
}

void fsim_weak_copy(struct fsim_weak_set *dst, const struct fsim_weak_set *src)
{
	fsim_weak_clear(dst);
	for (size_t i = 0; i < src->n; i++) {
		struct fsim_weak_range *w = weak_push(dst);
		*w = src->v[i];
		w->mask = malloc(w->len);
		if (!w->mask)
			abort();
		memcpy(w->mask, src->v[i].mask, w->len);
	}
}

/* Mark the bits of mask (covering [off, off+len)) weak, one range per sector. */
static void weak_add(struct fsim_device *dev, uint32_t off, const uint8_t *mask, uint32_t len,
		     uint64_t seed)
{
	const struct fsim_layout *l = dev->layout;
	while (len) {
		uint32_t i = fsim_sector_index(l, off);
		uint32_t n = l->start[i + 1] - off;
		if (n > len)
			n = len;
		struct fsim_weak_range *w = weak_push(&dev->weak);
		w->off = off;
		w->len = n;
		w->sector = i;
		w->seed = seed;
		w->mask = malloc(n);
		if (!w->mask)
			abort();
		memcpy(w->mask, mask, n);
		off += n;
		mask += n;
		len -= n;
	}
}

void fsim_weak_apply(struct fsim_device *dev, uint32_t off, uint8_t *buf, uint32_t len)
{
	uint64_t read_no = dev->weak_reads++;
	for (size_t i = 0; i < dev->weak.n; i++) {
		const struct fsim_weak_range *w = &dev->weak.v[i];
		uint32_t a = off > w->off ? off : w->off;
		uint32_t b = off + len < w->off + w->len ? off + len : w->off + w->len;
		for (uint32_t addr = a; addr < b; addr++) {
			uint8_t m = w->mask[addr - w->off];
			if (!m)
				continue;
			uint8_t noise = (uint8_t)fsim_mix64(w->seed ^ (read_no << 32) ^ addr);
			buf[addr - off] = (uint8_t)((buf[addr - off] & ~m) | (noise & m));
		}
	}
}

uint32_t fsim_weak_cells(const struct fsim_device *dev, uint32_t sector)
{
	uint32_t bits = 0;
	for (size_t i = 0; i < dev->weak.n; i++) {
		const struct fsim_weak_range *w = &dev->weak.v[i];
		if (w->sector == sector)
			for (uint32_t k = 0; k < w->len; k++)
				bits += popcount8(w->mask[k]);
	}
	return bits;
}

/* ---- Torn program --------------------------------------------------------------- */

/* out starts as old; apply part of the change old -> want, leaving at least one changed bit
 * undone whenever the op changes any bit. */
static void tear_program(uint32_t variant, struct rng *r, uint32_t wu, const uint8_t *old,
			 const uint8_t *want, uint8_t *out, uint32_t len)
{
	uint32_t units = len / wu, diff_units = 0, last_diff = 0, diff_bits = 0;
	for (uint32_t u = 0; u < units; u++) {
		unsigned bits = 0;
		for (uint32_t k = 0; k < wu; k++)
			bits += popcount8(old[u * wu + k] ^ want[u * wu + k]);
		if (bits) {
			diff_units++;
			last_diff = u;
			diff_bits += bits;
		}
	}
	memcpy(out, old, len);
	if (!diff_bits)
		return; /* nothing to tear: the op changes no bit */

	switch (variant) {
	case FSIM_TORN_PROG_PREFIX: {
		uint32_t k = rng_below(r, last_diff + 1); /* units [0, k) done; unit last_diff not */
		memcpy(out, want, k * wu);
		break;
	}
	case FSIM_TORN_PROG_SOME_BITS: {
		uint32_t pick = rng_below(r, diff_units), u = 0;
		for (uint32_t seen = 0; u < units; u++) {
			bool differs = memcmp(old + u * wu, want + u * wu, wu) != 0;
			if (differs && seen++ == pick)
				break;
		}
		memcpy(out, want, u * wu);
		bool partial = false;
		for (uint32_t k = 0; k < wu; k++) {
			uint32_t i = u * wu + k;
			uint8_t d = old[i] ^ want[i];
			uint8_t m = d & (uint8_t)rng_next(r);
			if (m != d)
				partial = true;
			out[i] = old[i] ^ m;
		}
		if (!partial) { /* a strict subset: undo the lowest changed bit */
			for (uint32_t k = 0; k < wu; k++) {
				uint32_t i = u * wu + k;
				uint8_t d = old[i] ^ want[i];
				if (d) {
					out[i] ^= d & (uint8_t)-d;
					break;
				}
			}
		}
		break;
	}
	default: { /* FSIM_TORN_PROG_ALL_BUT_ONE */
		uint32_t skip = rng_below(r, diff_bits), seen = 0;
		memcpy(out, want, len);
		for (uint32_t i = 0; i < len; i++) {
			uint8_t d = old[i] ^ want[i];
			for (int b = 0; b < 8; b++) {
				if ((d >> b) & 1 && seen++ == skip)
					out[i] ^= (uint8_t)(1u << b); /* back to its old value */
			}
		}
		break;
	}
	}
}

static _Noreturn void power_lost(struct fsim_device *dev)
{
	if (dev->on_loss)
		dev->on_loss(dev->loss_ctx);
	/* The handler returned, or there is none: the harness is broken, stop loudly. */
	abort();
}

_Noreturn void fsim_fire_refused_cut(struct fsim_device *dev, enum fsim_op_kind kind,
				     uint32_t off, uint32_t len)
{
	dev->armed = false;
	fsim_emit_trace(dev, kind, dev->cut.op_index, off, len, FSIM_OK, true, NULL);
	power_lost(dev);
}

_Noreturn void fsim_fire_program_cut(struct fsim_device *dev, uint32_t off, const uint8_t *data,
				     uint32_t len)
{
	struct fsim_cut c = dev->cut;
	const struct fsim_layout *l = dev->layout;
	dev->armed = false;
	if (c.mode == FSIM_CUT_TORN && len) {
		uint8_t *old = malloc(len), *out = malloc(len);
		if (!old || !out)
			abort();
		fsim_copy_out(dev, off, old, len);
		struct rng r = {c.seed ^ fsim_mix64(c.op_index)};
		/* Tear in the smallest unit the op touches: it divides every region's unit, so a
		 * torn unit never straddles two regions. */
		uint32_t unit = fsim_min_write_unit(l, off, len);
		tear_program(c.variant % FSIM_TORN_PROG_VARIANTS, &r, unit, old, data, out, len);
		fsim_store(dev, off, out, len);
		dev->stats.bytes_programmed += len;
		dev->stats.busy_ns += fsim_program_time_ns(l, off, len);
		if (c.metastable) {
			for (uint32_t i = 0; i < len; i++)
				old[i] ^= data[i]; /* the cells this program meant to change */
			weak_add(dev, off, old, len, c.seed);
		}
		free(old);
		free(out);
	}
	fsim_emit_trace(dev, FSIM_OP_PROGRAM, c.op_index, off, len, FSIM_OK, true, data);
	power_lost(dev);
}

/* ---- Torn erase ----------------------------------------------------------------- */

/* Bits of byte x in the programmed (not erased) state. */
static uint8_t programmed_bits(uint8_t ev, uint8_t x)
{
	return ev ? (uint8_t)~x : x;
}

/* Move the bits of m in byte x to the programmed or the erased state. */
static uint8_t to_programmed(uint8_t ev, uint8_t x, uint8_t m)
{
	return ev ? (uint8_t)(x & ~m) : (uint8_t)(x | m);
}

static uint8_t to_erased(uint8_t ev, uint8_t x, uint8_t m)
{
	return ev ? (uint8_t)(x | m) : (uint8_t)(x & ~m);
}

static void tear_erase(uint32_t variant, struct rng *r, uint8_t ev, const uint8_t *old,
		       uint8_t *out, uint32_t len)
{
	/* Pre-programming moves erased bits to the programmed state (for 0xff flash: some
	 * ones become zeros); erase pulses move programmed bits to the erased state. */
	bool sparse = rng_next(r) & 1; /* varies how far the op got */
	bool changed = false, still_old = false;
	for (uint32_t i = 0; i < len; i++) {
		uint8_t noise = (uint8_t)rng_next(r);
		if (sparse)
			noise &= (uint8_t)rng_next(r);
		uint8_t prog = programmed_bits(ev, old[i]);
		if (variant == FSIM_TORN_ERASE_PREPROGRAM) {
			out[i] = to_programmed(ev, old[i], (uint8_t)~prog & noise);
		} else {
			out[i] = to_erased(ev, old[i], prog & noise);
			still_old |= (prog & ~noise) != 0;
		}
		changed |= out[i] != old[i];
	}
	/* Keep the tear visible (something changed) and, for pulses, a mix (some bit still
	 * old) whenever the sector's content allows it. */
	if (!changed) {
		for (uint32_t i = 0; i < len; i++) {
			uint8_t prog = programmed_bits(ev, old[i]);
			uint8_t eligible = variant == FSIM_TORN_ERASE_PREPROGRAM ? (uint8_t)~prog : prog;
			if (eligible) {
				uint8_t b = eligible & (uint8_t)-eligible;
				out[i] = variant == FSIM_TORN_ERASE_PREPROGRAM ? to_programmed(ev, old[i], b)
									       : to_erased(ev, old[i], b);
				still_old = (prog & ~b) != 0 || still_old;
				break;
			}
		}
	}
	if (variant == FSIM_TORN_ERASE_PULSES && !still_old) {
		/* Everything got erased: put back the last programmed bit, unless it is the
		 * only change. */
		for (uint32_t i = len; i-- > 0;) {
			uint8_t lost = programmed_bits(ev, old[i]) & ~programmed_bits(ev, out[i]);
			if (lost) {
				uint8_t b = lost & (uint8_t)-lost;
				uint8_t back = to_programmed(ev, out[i], b);
				bool only_change = back == old[i];
				for (uint32_t k = 0; only_change && k < len; k++)
					only_change = k == i || out[k] == old[k];
				if (!only_change)
					out[i] = back;
				break;
			}
		}
	}
}

_Noreturn void fsim_fire_erase_cut(struct fsim_device *dev, uint32_t sector)
{
	struct fsim_cut c = dev->cut;
	const struct fsim_layout *l = dev->layout;
	dev->armed = false;
	uint32_t off = l->start[sector], len = l->start[sector + 1] - off;
	if (c.mode == FSIM_CUT_TORN) {
		uint8_t *old = malloc(len), *out = malloc(len);
		if (!old || !out)
			abort();
		fsim_copy_out(dev, off, old, len);
		struct rng r = {c.seed ^ fsim_mix64(c.op_index)};
		uint8_t ev = fsim_sector_props(l, sector)->erase_value;
		tear_erase(c.variant % FSIM_TORN_ERASE_VARIANTS, &r, ev, old, out, len);
		fsim_weak_drop_sector(dev, sector); /* the erase began: old weak cells are gone */
		fsim_store(dev, off, out, len);
		dev->sec[sector].erases++;
		dev->stats.busy_ns += (uint64_t)l->geo.regions[l->region[sector]].erase_us * 1000;
		if (c.metastable) {
			for (uint32_t i = 0; i < len; i++)
				old[i] ^= ev; /* bits the erase meant to change */
			weak_add(dev, off, old, len, c.seed);
		}
		free(old);
		free(out);
	}
	fsim_emit_trace(dev, FSIM_OP_ERASE, c.op_index, off, len, FSIM_OK, true, NULL);
	power_lost(dev);
}
