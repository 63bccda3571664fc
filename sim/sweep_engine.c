/* Exhaustive power-cut sweeps: record, cut, resume, check invariants. See sweep_engine.h. */
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sim/sweep_engine.h"
#include "sim/sweep_trace.h"

const char *sweep_invariant_name(enum sweep_invariant i)
{
	switch (i) {
	case SWEEP_OK:
		return "ok";
	case SWEEP_I1_BRICKED:
		return "I1 never bricked";
	case SWEEP_I2_HYBRID:
		return "I2 no hybrid";
	case SWEEP_I3_CONVERGE:
		return "I3 converges";
	case SWEEP_I4_FLASH:
		return "I4 flash discipline";
	case SWEEP_I5_WEAR:
		return "I5 wear";
	case SWEEP_BASELINE:
		return "baseline";
	case SWEEP_FW_ABORT:
		return "firmware abort";
	case SWEEP_APP_ERROR:
		return "application error";
	case SWEEP_INVARIANTS:
		break;
	}
	return "?";
}

/* ---- Recording an uncut run ----------------------------------------------------------- */

struct op_rec {
	uint64_t index;
	bool erase;
	bool refused; /* the op broke a NOR rule: a torn cut has nothing to tear */
	uint32_t off, len;
	int step;
	size_t data_off;
};

struct recording {
	struct op_rec *ops;
	size_t nops, cap;
	struct fsim_snapshot **snap; /* snap[i]: state before ops[i]; snap[nops]: after the last */
	uint8_t *data;
	size_t data_len, data_cap;
	struct sweep_node *node;
	int start_step; /* the step the recorded run started at (resumed or run) */
};

static void *grow(void *p, size_t *cap, size_t need, size_t elem)
{
	if (need <= *cap)
		return p;
	size_t c = *cap ? *cap : 64;
	while (c < need)
		c *= 2;
	p = realloc(p, c * elem);
	if (!p)
		abort();
	*cap = c;
	return p;
}

static void record_op(void *ctx, const struct fsim_trace_event *ev)
{
	struct recording *r = ctx;
	if (ev->kind == FSIM_OP_READ)
		return;
	size_t snap_cap = r->cap;
	r->ops = grow(r->ops, &r->cap, r->nops + 1, sizeof *r->ops);
	if (r->cap != snap_cap || !r->snap) {
		r->snap = realloc(r->snap, (r->cap + 1) * sizeof *r->snap);
		if (!r->snap)
			abort();
	}
	struct op_rec *o = &r->ops[r->nops];
	*o = (struct op_rec){ev->op_index, ev->kind == FSIM_OP_ERASE, ev->result != FSIM_OK,
			     ev->off, ev->len, r->node->step, r->data_len};
	if (ev->kind == FSIM_OP_PROGRAM && ev->data) {
		r->data = grow(r->data, &r->data_cap, r->data_len + ev->len, 1);
		memcpy(r->data + r->data_len, ev->data, ev->len);
		r->data_len += ev->len;
	}
	r->nops++;
	r->snap[r->nops] = fsim_snapshot_take(r->node->dev);
}

static void recording_free(struct recording *r)
{
	for (size_t i = 0; r->snap && i <= r->nops; i++)
		fsim_snapshot_free(r->snap[i]);
	free(r->snap);
	free(r->ops);
	free(r->data);
	memset(r, 0, sizeof *r);
}

/* Run from the node's current flash, recording every mutating op. after_cut: resume the
 * interrupted step `step` (power on first); else run steps from `step` as they are. */
static void record_run(struct sweep_node *n, int step, bool after_cut, struct recording *r)
{
	memset(r, 0, sizeof *r);
	r->node = n;
	r->start_step = step;
	r->snap = malloc(sizeof *r->snap);
	if (!r->snap)
		abort();
	r->snap[0] = fsim_snapshot_take(n->dev);
	sweep_node_reset_obs(n);
	fsim_set_trace(n->dev, record_op, r);
	if (after_cut)
		sweep_node_resume(n, step);
	else
		sweep_node_run(n, step);
	fsim_set_trace(n->dev, NULL, NULL);
}

/* ---- Cut points -------------------------------------------------------------------- */

struct cut {
	uint32_t op;      /* index into the recording; == nops: after the last op */
	bool torn;
	uint8_t variant;
};

static size_t enumerate_cuts(const struct recording *r, const struct sweep_options *o,
			     struct cut **out)
{
	size_t n = 0, cap = 0;
	struct cut *v = NULL;
	for (uint32_t i = 0; i <= r->nops; i++) {
		if (o->between) {
			v = grow(v, &cap, n + 1, sizeof *v);
			v[n++] = (struct cut){i, false, 0};
		}
		if (o->torn && i < r->nops && !r->ops[i].refused) {
			uint32_t variants = fsim_torn_variants(r->ops[i].erase);
			for (uint32_t k = 0; k < variants; k++) {
				v = grow(v, &cap, n + 1, sizeof *v);
				v[n++] = (struct cut){i, true, (uint8_t)k};
			}
		}
	}
	*out = v;
	return n;
}

static void cut_id(const struct recording *r, const struct cut *c, char *buf, size_t len)
{
	uint64_t op = c->op < r->nops ? r->ops[c->op].index
				      : (r->nops ? r->ops[r->nops - 1].index + 1 : 0);
	if (c->torn)
		snprintf(buf, len, "t%llu.%u", (unsigned long long)op, c->variant);
	else
		snprintf(buf, len, "b%llu", (unsigned long long)op);
}

static uint64_t torn_seed(const struct sweep_options *o, uint64_t op, uint32_t variant)
{
	uint64_t x = o->seed ^ (op * 0x9e3779b97f4a7c15ull) ^ ((uint64_t)variant << 56);
	x ^= x >> 31;
	x *= 0xbf58476d1ce4e5b9ull;
	return x ^ (x >> 29);
}

/* Put the node's flash in the state the cut leaves; returns the step it interrupted. */
static int apply_cut(struct sweep_node *n, const struct recording *r, const struct cut *c,
		     const struct sweep_options *o)
{
	fsim_snapshot_restore(n->dev, r->snap[c->op]);
	if (c->op == r->nops) /* a run with no op (a continuation that only boots) is cut
				 where it started, not at step 0 */
		return r->nops ? r->ops[r->nops - 1].step : r->start_step;
	const struct op_rec *op = &r->ops[c->op];
	if (c->torn) {
		struct fsim_cut cut = {op->index, FSIM_CUT_TORN, c->variant,
				       torn_seed(o, op->index, c->variant), o->metastable};
		fsim_arm_cut(n->dev, &cut);
		if (setjmp(n->power_on) == 0) {
			if (op->erase)
				fsim_erase(n->dev, op->off, op->len);
			else
				fsim_program(n->dev, op->off, r->data + op->data_off, op->len);
			fsim_disarm_cut(n->dev); /* not reached: the cut fires on this op */
		}
	}
	sweep_node_poison(n);
	return op->step;
}

/* ---- A set of 64-bit keys (open addressing) ---------------------------------------- */

struct keyset {
	uint64_t *slot; /* 0 = empty; keys are stored +1-mixed so 0 never occurs */
	size_t cap, n;
};

static uint64_t key_of(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	return k | 1; /* never 0 */
}

/* Insert; returns true when the key was already there. */
static bool keyset_add(struct keyset *s, uint64_t key)
{
	if (2 * (s->n + 1) > s->cap) {
		struct keyset big = {calloc(s->cap ? 2 * s->cap : 64, sizeof(uint64_t)),
				     s->cap ? 2 * s->cap : 64, 0};
		if (!big.slot)
			abort();
		for (size_t i = 0; i < s->cap; i++)
			if (s->slot[i]) {
				size_t j = s->slot[i] & (big.cap - 1);
				while (big.slot[j])
					j = (j + 1) & (big.cap - 1);
				big.slot[j] = s->slot[i];
				big.n++;
			}
		free(s->slot);
		*s = big;
	}
	uint64_t k = key_of(key);
	size_t j = k & (s->cap - 1);
	while (s->slot[j]) {
		if (s->slot[j] == k)
			return true;
		j = (j + 1) & (s->cap - 1);
	}
	s->slot[j] = k;
	s->n++;
	return false;
}

static uint64_t state_key(struct sweep_node *n, int step)
{
	return fsim_content_hash(n->dev) * 0x100000001b3ull + (uint64_t)(uint32_t)step;
}

/* ---- Invariants ---------------------------------------------------------------------- */

struct verdict {
	uint32_t mask;            /* every broken invariant (bit = enum value) */
	enum sweep_invariant inv; /* the first of them, SWEEP_OK when none */
	bool false_positive;
	char detail[160];
	char expected[96], observed[96];
};

static const char *image_name(const struct sweep_workload *w, int i)
{
	return i >= 0 && i < w->nimages ? w->images[i].name : "(none)";
}

static void describe_expect(const struct sweep_workload *w, char *buf, size_t len)
{
	const struct sweep_expect *e = &w->expect;
	size_t n = 0;
	buf[0] = '\0';
#define PUT(...) (n += (size_t)snprintf(buf + n, n < len ? len - n : 0, __VA_ARGS__))
	if (e->running != SWEEP_EXPECT_UNSET)
		PUT("running %s", e->running == SWEEP_EXPECT_NONE ? "none" : image_name(w, e->running));
	if (e->confirmed >= 0)
		PUT("%s%s", n ? " " : "", e->confirmed ? "confirmed" : "not confirmed");
	if (e->primary != SWEEP_EXPECT_UNSET)
		PUT("%sprimary %s", n ? ", " : "",
		    e->primary == SWEEP_EXPECT_NONE ? "none" : image_name(w, e->primary));
	if (e->upgrade != SWEEP_EXPECT_UNSET)
		PUT("%supgrade %s", n ? ", " : "",
		    e->upgrade == SWEEP_EXPECT_NONE ? "none" : image_name(w, e->upgrade));
#undef PUT
}

static void describe_state(const struct sweep_node *n, char *buf, size_t len)
{
	const struct sweep_obs *o = &n->obs;
	const struct sweep_workload *w = n->w;
	const char *what = o->bricked ? "bricked" : o->stuck ? "stuck in a crash loop"
			   : o->fw_abort ? "firmware failed" : NULL;
	if (what)
		snprintf(buf, len, "%s after %u boots, primary %s, upgrade %s", what, o->boots,
			 image_name(w, o->primary), image_name(w, o->upgrade));
	else
		snprintf(buf, len, "running %s%s%s %s, primary %s, upgrade %s",
			 o->running >= 0 ? image_name(w, o->running) : "unknown bytes",
			 o->last.part == n->part_recovery && o->last.part >= 0 ? " from " : "",
			 o->last.part == n->part_recovery && o->last.part >= 0 ? "recovery" : "",
			 o->confirmed ? "confirmed" : "not confirmed", image_name(w, o->primary),
			 image_name(w, o->upgrade));
}

static void add(struct verdict *v, enum sweep_invariant inv, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a broken invariant; the detail lists each one, first to last. */
static void add(struct verdict *v, enum sweep_invariant inv, const char *fmt, ...)
{
	if (!v->mask)
		v->inv = inv;
	v->mask |= 1u << inv;
	size_t l = strlen(v->detail);
	if (l + 8 >= sizeof v->detail)
		return;
	if (l)
		l += (size_t)snprintf(v->detail + l, sizeof v->detail - l, "; ");
	if (v->mask != (1u << inv))
		l += (size_t)snprintf(v->detail + l, sizeof v->detail - l, "%s: ",
				      sweep_invariant_name(inv));
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->detail + l, sizeof v->detail - l, fmt, ap);
	va_end(ap);
}

/*
 * A cut during a boot (before the new image could confirm itself) may make a revert or
 * recovery strategy fall back although the new image was good: the seed's "primary risk",
 * reported as I6, not failed. Only a clean fall-back counts: the primary still holds a
 * whole workload image that may run, and the device runs the image it ran before the
 * workload, confirmed, or the recovery image. Anything else is a broken install (I3).
 */
static bool clean_fall_back(const struct sweep_workload *w, const struct sweep_node *n,
			    int cut_step)
{
	const struct sweep_obs *ob = &n->obs;
	bool boot_cut = cut_step >= w->nsteps || w->steps[cut_step].kind == SWEEP_STEP_POWER_ON;
	bool primary_whole = ob->primary >= 0 && w->images[ob->primary].bootable;
	bool in_recovery = ob->last.part >= 0 && ob->last.part == n->part_recovery;
	bool fell_back = (ob->running == w->initial_primary && ob->confirmed && !in_recovery) ||
			 in_recovery;
	return boot_cut && fell_back && primary_whole && !w->no_fall_back && !ob->stuck;
}

static void judge(const struct sweep_workload *w, struct sweep_node *n, size_t violations_before,
		  uint32_t wear_bound, int cut_step, struct verdict *v)
{
	const struct sweep_obs *ob = &n->obs;
	memset(v, 0, sizeof *v);
	size_t nv = fsim_violation_count(n->dev);
	struct fsim_stats st;
	fsim_get_stats(n->dev, &st);
	if (ob->ran_unbootable)
		add(v, SWEEP_I1_BRICKED, "booted '%s', an image that must never run",
		    image_name(w, ob->unbootable_image));
	else if (ob->bricked)
		add(v, SWEEP_I1_BRICKED, "boot %u found no bootable image%s%s", ob->boots,
		    ob->last_reason[0] ? ": " : "", ob->last_reason);
	if (ob->hybrid)
		add(v, SWEEP_I2_HYBRID, "boot %d ran bytes that are none of the workload's images",
		    ob->hybrid_boot);
	bool met = sweep_expect_met(w, ob);
	if (!met && !ob->bricked && !ob->fw_abort && !ob->app_error) {
		if (clean_fall_back(w, n, cut_step))
			v->false_positive = true;
		else
			add(v, SWEEP_I3_CONVERGE, "%s after %u boots",
			    ob->stuck ? "stuck in a crash loop" : "did not reach `expect`", ob->boots);
	}
	if (nv > violations_before) {
		const struct fsim_violation *x = fsim_violation_at(n->dev, violations_before);
		if (x)
			add(v, SWEEP_I4_FLASH, "%s at 0x%x (op %llu)", fsim_violation_name(x->kind),
			    x->addr, (unsigned long long)x->op_index);
		else
			add(v, SWEEP_I4_FLASH, "%zu violations", nv - violations_before);
	}
	if (st.max_sector_erases > wear_bound)
		add(v, SWEEP_I5_WEAR, "a sector was erased %u times (bound %u)", st.max_sector_erases,
		    wear_bound);
	if (ob->fw_abort)
		add(v, SWEEP_FW_ABORT, "%s", ob->fw_abort_reason);
	if (ob->app_error)
		add(v, SWEEP_APP_ERROR, "%s", ob->app_error_what);
	if (v->mask) {
		describe_expect(w, v->expected, sizeof v->expected);
		describe_state(n, v->observed, sizeof v->observed);
	}
}

/* ---- Sweeping a level ------------------------------------------------------------------- */

struct tally {
	struct verdict top;  /* the verdict of the top-level cut this tally is for */
	uint64_t cut_points, distinct;
	uint64_t failing_cuts;
	uint64_t failures[SWEEP_INVARIANTS];
	uint64_t false_positives;
	struct sweep_failure *kept, *fp_kept;
	size_t nkept, cap, nfp_kept, fp_cap, keep_max;
	uint32_t *sector_max;  /* erases per sector, the most any continuation reached */
	uint32_t nsectors;
};

static void fill_failure(struct sweep_failure *f, const char *repro, const struct verdict *v,
			 uint64_t op)
{
	memset(f, 0, sizeof *f);
	snprintf(f->repro, sizeof f->repro, "%s", repro);
	f->inv = v->inv;
	f->inv_mask = v->mask;
	f->op_index = op;
	snprintf(f->detail, sizeof f->detail, "%s", v->detail);
	snprintf(f->expected, sizeof f->expected, "%s", v->expected);
	snprintf(f->observed, sizeof f->observed, "%s", v->observed);
}

/* Count a verdict weight times (a cut and the duplicates of its state). */
static void tally_verdict(struct tally *t, const char *repro, const struct verdict *v,
			  uint64_t op, uint64_t weight)
{
	if (v->false_positive) {
		t->false_positives += weight;
		if (t->nfp_kept < t->keep_max) {
			t->fp_kept = grow(t->fp_kept, &t->fp_cap, t->nfp_kept + 1, sizeof *t->fp_kept);
			struct verdict fp = *v;
			snprintf(fp.detail, sizeof fp.detail, "fell back after a cut during a boot: %s",
				 v->observed);
			fill_failure(&t->fp_kept[t->nfp_kept++], repro, &fp, op);
		}
	}
	if (!v->mask)
		return;
	t->failing_cuts += weight;
	for (int i = 0; i < SWEEP_INVARIANTS; i++)
		if (v->mask & (1u << i))
			t->failures[i] += weight;
	if (repro && t->nkept < t->keep_max) {
		t->kept = grow(t->kept, &t->cap, t->nkept + 1, sizeof *t->kept);
		fill_failure(&t->kept[t->nkept++], repro, v, op);
	}
}

static void tally_wear(struct tally *t, const struct fsim_device *dev)
{
	if (!t->sector_max) {
		t->nsectors = fsim_sector_count(dev);
		t->sector_max = calloc(t->nsectors ? t->nsectors : 1, sizeof *t->sector_max);
		if (!t->sector_max)
			abort();
	}
	for (uint32_t i = 0; i < t->nsectors; i++) {
		uint32_t e = fsim_sector_erases(dev, i);
		if (e > t->sector_max[i])
			t->sector_max[i] = e;
	}
}

static void tally_merge(struct tally *into, const struct tally *from)
{
	into->cut_points += from->cut_points;
	into->distinct += from->distinct;
	into->failing_cuts += from->failing_cuts;
	into->false_positives += from->false_positives;
	for (int i = 0; i < SWEEP_INVARIANTS; i++)
		into->failures[i] += from->failures[i];
	for (size_t i = 0; i < from->nkept && into->nkept < into->keep_max; i++) {
		into->kept = grow(into->kept, &into->cap, into->nkept + 1, sizeof *into->kept);
		into->kept[into->nkept++] = from->kept[i];
	}
	for (size_t i = 0; i < from->nfp_kept && into->nfp_kept < into->keep_max; i++) {
		into->fp_kept = grow(into->fp_kept, &into->fp_cap, into->nfp_kept + 1,
				     sizeof *into->fp_kept);
		into->fp_kept[into->nfp_kept++] = from->fp_kept[i];
	}
	if (from->sector_max) {
		if (!into->sector_max) {
			into->nsectors = from->nsectors;
			into->sector_max = calloc(into->nsectors ? into->nsectors : 1, sizeof(uint32_t));
			if (!into->sector_max)
				abort();
		}
		for (uint32_t i = 0; i < into->nsectors && i < from->nsectors; i++)
			if (from->sector_max[i] > into->sector_max[i])
				into->sector_max[i] = from->sector_max[i];
	}
}

static void tally_free(struct tally *t)
{
	free(t->kept);
	free(t->fp_kept);
	free(t->sector_max);
}

/* The counts and kept failures of a tally, as a result (which takes over its arrays). */
static void tally_to_result(const struct tally *t, struct sweep_result *r)
{
	r->cut_points = t->cut_points;
	r->distinct_states = t->distinct;
	r->failing_cuts = t->failing_cuts;
	memcpy(r->failures, t->failures, sizeof r->failures);
	r->false_positives = t->false_positives;
	r->kept = t->kept;
	r->nkept = t->nkept;
	r->fp_kept = t->fp_kept;
	r->nfp_kept = t->nfp_kept;
	r->sector_max_erases = t->sector_max;
	r->nsectors = t->nsectors;
}

/* Failures per top-level operation, per invariant: add count to op's row. */
static void per_op_add(struct sweep_result *r, size_t *cap, uint64_t op, const uint64_t *count)
{
	bool any = false;
	for (int i = 0; i < SWEEP_INVARIANTS; i++)
		any |= count[i] != 0;
	if (!any)
		return;
	if (!r->nper_op || r->per_op[r->nper_op - 1].op_index != op) {
		r->per_op = grow(r->per_op, cap, r->nper_op + 1, sizeof *r->per_op);
		memset(&r->per_op[r->nper_op], 0, sizeof *r->per_op);
		r->per_op[r->nper_op++].op_index = op;
	}
	for (int i = 0; i < SWEEP_INVARIANTS; i++)
		r->per_op[r->nper_op - 1].count[i] += count[i];
}

struct sweep_ctx {
	const struct sweep_workload *w;
	const struct sweep_options *o;
	uint32_t wear_bound;
};

static uint64_t cut_op_index(const struct recording *r, const struct cut *c)
{
	return c->op < r->nops ? r->ops[c->op].index
			       : (r->nops ? r->ops[r->nops - 1].index + 1 : 0);
}

/* Check one cut of recording r: continuation, invariants, and nested cuts below it. */
static void sweep_cut(const struct sweep_ctx *cx, struct sweep_node *n, const struct recording *r,
		      const struct cut *c, const char *prefix, uint64_t top_op, uint32_t depth_left,
		      struct tally *t);

/* Every cut of recording r, sequentially, with dedupe on (content, step). */
static void sweep_level(const struct sweep_ctx *cx, struct sweep_node *n, const struct recording *r,
			const char *prefix, uint64_t top_op, uint32_t depth_left, struct tally *t)
{
	struct cut *cuts;
	size_t nc = enumerate_cuts(r, cx->o, &cuts);
	struct keyset seen = {0};
	for (size_t i = 0; i < nc; i++) {
		int step = apply_cut(n, r, &cuts[i], cx->o);
		t->cut_points++;
		if (keyset_add(&seen, state_key(n, step)))
			continue; /* same flash and step as an earlier cut: same future */
		sweep_cut(cx, n, r, &cuts[i], prefix, top_op, depth_left, t);
	}
	free(seen.slot);
	free(cuts);
}

static void sweep_cut(const struct sweep_ctx *cx, struct sweep_node *n, const struct recording *r,
		      const struct cut *c, const char *prefix, uint64_t top_op, uint32_t depth_left,
		      struct tally *t)
{
	char id[96];
	char here[32];
	cut_id(r, c, here, sizeof here);
	snprintf(id, sizeof id, "%s%s%s", prefix, *prefix ? "/" : "", here);
	int step = apply_cut(n, r, c, cx->o);
	size_t violations_before = fsim_violation_count(n->dev);
	t->distinct++;
	if (!*prefix)
		top_op = cut_op_index(r, c);

	struct recording sub;
	bool nested = depth_left > 1;
	if (nested) {
		record_run(n, step, true, &sub);
	} else {
		sweep_node_reset_obs(n);
		sweep_node_resume(n, step);
	}
	struct verdict v;
	judge(cx->w, n, violations_before, cx->wear_bound, step, &v);
	tally_wear(t, n->dev);
	if (!*prefix)
		t->top = v;
	tally_verdict(t, id, &v, top_op, 1);
	if (nested) {
		if (!v.mask)
			sweep_level(cx, n, &sub, id, top_op, depth_left - 1, t);
		recording_free(&sub);
	}
}

/* ---- Flash errors --------------------------------------------------------------------- */

struct fault_point {
	uint64_t op;               /* operation index in the uncut workload */
	enum fsim_fault_kind kind;
};

static const char *const fault_id[FSIM_FAULT_KINDS] = {"pe", "ee", "sb", "bs"};

static void fault_point_id(const struct fault_point *p, char *buf, size_t len)
{
	snprintf(buf, len, "%s%llu", fault_id[p->kind], (unsigned long long)p->op);
}

/* Parse "pe812" (program error), "ee812", "sb812", "bs812": 0, or -1 when it is none. */
static int parse_fault(const char *s, struct fault_point *p)
{
	for (int k = 0; k < FSIM_FAULT_KINDS; k++) {
		size_t l = strlen(fault_id[k]);
		if (strncmp(s, fault_id[k], l) || s[l] < '0' || s[l] > '9')
			continue;
		char *end;
		p->op = strtoull(s + l, &end, 10);
		p->kind = (enum fsim_fault_kind)k;
		return *end ? -1 : 0;
	}
	return -1;
}

/* Every (operation, fault kind) pair the options ask for, in canonical order. */
static size_t enumerate_faults(const struct recording *r, const struct sweep_options *o,
			       struct fault_point **out)
{
	size_t n = 0, cap = 0;
	struct fault_point *v = NULL;
	for (size_t i = 0; i < r->nops; i++)
		for (int k = 0; k < FSIM_FAULT_KINDS; k++)
			if ((o->faults >> k & 1u) && !r->ops[i].refused &&
			    fsim_fault_is_erase((enum fsim_fault_kind)k) == r->ops[i].erase) {
				v = grow(v, &cap, n + 1, sizeof *v);
				v[n++] = (struct fault_point){r->ops[i].index, (enum fsim_fault_kind)k};
			}
	*out = v;
	return n;
}

static const char *fault_phrase(enum fsim_fault_kind k)
{
	static const char *const phrase[FSIM_FAULT_KINDS] = {"a program error", "an erase error",
							     "a stuck bit", "a bad sector"};
	return k < FSIM_FAULT_KINDS ? phrase[k] : "a flash error";
}

/* A whole image that may run is still in the primary or the recovery partition: a
 * bootloader that bricks now lost it for no reason. */
static bool good_image_left(const struct sweep_node *n)
{
	int p = sweep_identify_part(n, n->part_primary), r = sweep_identify_part(n, n->part_recovery);
	return (p >= 0 && n->w->images[p].bootable) || (r >= 0 && n->w->images[r].bootable);
}

/* What a flash error may and may not do: see options.faults. A bricked device is I1 unless
 * the file declares that fault may brick and no good image is left to boot. */
static void judge_fault(const struct sweep_workload *w, struct sweep_node *n, size_t vb,
			const struct fault_point *p, const struct sweep_options *o, struct verdict *v)
{
	const struct sweep_obs *ob = &n->obs;
	memset(v, 0, sizeof *v);
	if (ob->ran_unbootable)
		add(v, SWEEP_I1_BRICKED, "after %s: booted '%s', an image that must never run",
		    fault_phrase(p->kind), image_name(w, ob->unbootable_image));
	else if (ob->bricked && (!(o->faults_may_brick >> p->kind & 1u) || good_image_left(n)))
		add(v, SWEEP_I1_BRICKED, "after %s: boot %u found no bootable image%s%s%s",
		    fault_phrase(p->kind), ob->boots, ob->last_reason[0] ? ": " : "",
		    ob->last_reason, good_image_left(n) ? " (a good image was still in flash)" : "");
	if (ob->hybrid)
		add(v, SWEEP_I2_HYBRID, "after %s: boot %d ran bytes that are none of the "
		    "workload's images", fault_phrase(p->kind), ob->hybrid_boot);
	size_t nv = fsim_violation_count(n->dev);
	if (nv > vb) {
		const struct fsim_violation *x = fsim_violation_at(n->dev, vb);
		add(v, SWEEP_I4_FLASH, "after %s: %s at 0x%x (op %llu): the error was ignored",
		    fault_phrase(p->kind), x ? fsim_violation_name(x->kind) : "violation",
		    x ? x->addr : 0, x ? (unsigned long long)x->op_index : 0ull);
	}
	if (ob->fw_abort)
		add(v, SWEEP_FW_ABORT, "after %s: %s", fault_phrase(p->kind),
		    ob->fw_abort_reason);
	if (v->mask) {
		describe_expect(w, v->expected, sizeof v->expected);
		describe_state(n, v->observed, sizeof v->observed);
	}
}

/* One flash-error point: the workload from the start with the fault armed. */
static void run_fault(const struct sweep_workload *w, const struct sweep_options *o,
		      struct sweep_node *n, const struct recording *base,
		      const struct fault_point *p, struct verdict *v)
{
	fsim_snapshot_restore(n->dev, base->snap[0]); /* the initial flash */
	fsim_clear_faults(n->dev);
	fsim_arm_fault(n->dev, &(struct fsim_fault){p->op, p->kind,
						   torn_seed(o, p->op, 100u + p->kind)});
	size_t vb = fsim_violation_count(n->dev);
	sweep_node_reset_obs(n);
	n->fault_run = true;
	sweep_node_run(n, 0);
	n->fault_run = false;
	judge_fault(w, n, vb, p, o, v);
	fsim_clear_faults(n->dev);
}

struct fault_work {
	const struct sweep_workload *w;
	const struct sweep_options *o;
	const struct recording *base;
	const struct fault_point *points;
	size_t npoints;
	struct verdict *verdicts;
	atomic_size_t next;
	atomic_int failed;
};

static void *fault_worker(void *arg)
{
	struct fault_work *fw = arg;
	struct sweep_node node;
	char err[160];
	if (sweep_node_init(&node, fw->w, err, sizeof err)) {
		atomic_store(&fw->failed, 1);
		return NULL;
	}
	for (;;) {
		size_t i = atomic_fetch_add(&fw->next, 1);
		if (i >= fw->npoints)
			break;
		run_fault(fw->w, fw->o, &node, fw->base, &fw->points[i], &fw->verdicts[i]);
	}
	sweep_node_free(&node);
	return NULL;
}

/* Every flash-error point of the uncut workload base, on o->jobs threads, merged in
 * canonical order into t. 0, or -1 when a thread could not start its device. */
static int sweep_faults(const struct sweep_workload *w, const struct sweep_options *o,
			const struct recording *base, struct sweep_result *r, struct tally *t)
{
	struct fault_point *points;
	size_t np = enumerate_faults(base, o, &points);
	if (o->shard_n) { /* the K-th of every N points, as for cuts */
		size_t k = 0;
		for (size_t i = 0; i < np; i++)
			if (i % o->shard_n == o->shard_k)
				points[k++] = points[i];
		np = k;
	}
	struct fault_work fw = {.w = w, .o = o, .base = base, .points = points, .npoints = np,
				.verdicts = calloc(np + 1, sizeof(struct verdict))};
	if (!fw.verdicts)
		abort();
	atomic_init(&fw.next, 0);
	atomic_init(&fw.failed, 0);
	unsigned jobs = o->jobs ? o->jobs : 1;
	pthread_t *th = calloc(jobs, sizeof *th);
	for (unsigned j = 0; j < jobs; j++)
		pthread_create(&th[j], NULL, fault_worker, &fw);
	for (unsigned j = 0; j < jobs; j++)
		pthread_join(th[j], NULL);
	free(th);
	for (size_t i = 0; i < np && !atomic_load(&fw.failed); i++) {
		char id[32];
		fault_point_id(&points[i], id, sizeof id);
		tally_verdict(t, id, &fw.verdicts[i], points[i].op, 1);
		t->cut_points++;
	}
	r->fault_points = np;
	free(fw.verdicts);
	free(points);
	return atomic_load(&fw.failed) ? -1 : 0;
}

/* ---- Top level: threads ------------------------------------------------------------ */

struct top {
	const struct sweep_ctx *cx;
	const struct recording *base;
	const struct cut *cuts;
	const size_t *owners;   /* indices into cuts that run (first of each distinct state) */
	size_t nowners;
	struct tally *results;  /* one per owner */
	atomic_size_t next;
	atomic_size_t finished;   /* owners done (progress) */
	atomic_uint_fast64_t failing; /* failing cut points so far (progress) */
	char err[160];
	atomic_int failed;
};

static void *worker(void *arg)
{
	struct top *tp = arg;
	struct sweep_node node;
	char err[160];
	if (sweep_node_init(&node, tp->cx->w, err, sizeof err)) {
		if (atomic_exchange(&tp->failed, 1) == 0)
			snprintf(tp->err, sizeof tp->err, "%s", err);
		atomic_store(&tp->next, tp->nowners); /* nobody goes on: the sweep is void */
		return NULL;
	}
	for (;;) {
		size_t i = atomic_fetch_add(&tp->next, 1);
		if (i >= tp->nowners)
			break;
		struct tally *t = &tp->results[i];
		t->keep_max = tp->cx->o->max_failures_kept ? tp->cx->o->max_failures_kept : 50;
		t->cut_points = 1; /* the owner; nested cuts add theirs */
		sweep_cut(tp->cx, &node, tp->base, &tp->cuts[tp->owners[i]], "", 0, tp->cx->o->depth,
			  t);
		atomic_fetch_add(&tp->failing, t->failing_cuts);
		atomic_fetch_add(&tp->finished, 1);
	}
	sweep_node_free(&node);
	return NULL;
}

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* wall time of the tool, not of the simulation */
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int baseline(const struct sweep_workload *w, struct sweep_node *n, struct recording *rec,
		    struct sweep_result *r, struct tally *t)
{
	record_run(n, 0, false, rec);
	struct fsim_stats st;
	fsim_get_stats(n->dev, &st);
	r->workload_ops = rec->nops;
	r->baseline_max_erases = st.max_sector_erases;
	r->baseline_busy_ns = st.busy_ns;
	r->wear_bound = 2 * st.max_sector_erases + 2;
	struct verdict v;
	judge(w, n, 0, r->wear_bound, 0, &v);
	tally_wear(t, n->dev);
	if (v.mask || v.false_positive) {
		/* The uncut workload fails: every invariant it broke, plus BASELINE first, and
		 * the end state it reached. */
		if (!v.mask)
			snprintf(v.detail, sizeof v.detail, "the uncut run does not reach `expect`");
		describe_expect(w, v.expected, sizeof v.expected);
		describe_state(n, v.observed, sizeof v.observed);
		v.false_positive = false;
		v.mask |= 1u << SWEEP_BASELINE;
		v.inv = SWEEP_BASELINE;
		tally_verdict(t, "uncut", &v, 0, 1);
		return -1;
	}
	return 0;
}

int sweep_run(const struct sweep_workload *w, const struct sweep_options *o,
	      struct sweep_result *r, char *err, size_t errlen)
{
	double t0 = now_s();
	memset(r, 0, sizeof *r);
	struct sweep_node main_node;
	if (sweep_node_init(&main_node, w, err, errlen))
		return -1;
	struct tally total = {.keep_max = o->max_failures_kept ? o->max_failures_kept : 50};
	struct recording base;
	if (baseline(w, &main_node, &base, r, &total) == 0) {
		struct sweep_ctx cx = {w, o, r->wear_bound};
		struct cut *cuts;
		size_t nc = enumerate_cuts(&base, o, &cuts);
		/* Distinct states first, sequentially and in canonical order, so the set of
		 * continuations that run does not depend on the number of threads. */
		size_t *owners = malloc((nc + 1) * sizeof *owners), nowners = 0;
		size_t *owner_of = malloc((nc + 1) * sizeof *owner_of);
		struct { uint64_t key; size_t owner; } *first = NULL;
		size_t nfirst = 0, first_cap = 0;
		struct keyset seen = {0};
		for (size_t i = 0; i < nc; i++) {
			owner_of[i] = SIZE_MAX;
			if (o->shard_n && i % o->shard_n != o->shard_k)
				continue;
			int step = apply_cut(&main_node, &base, &cuts[i], o);
			uint64_t key = state_key(&main_node, step);
			if (keyset_add(&seen, key)) {
				/* a duplicate: find its owner (rare, so a scan is fine) */
				for (size_t k = 0; k < nfirst; k++)
					if (first[k].key == key)
						owner_of[i] = first[k].owner;
				continue;
			}
			first = grow(first, &first_cap, nfirst + 1, sizeof *first);
			first[nfirst].key = key;
			first[nfirst++].owner = nowners;
			owner_of[i] = nowners;
			owners[nowners++] = i;
		}
		free(seen.slot);
		free(first);
		struct top tp = {.cx = &cx, .base = &base, .cuts = cuts, .owners = owners,
				 .nowners = nowners};
		tp.results = calloc(nowners + 1, sizeof *tp.results);
		atomic_init(&tp.next, 0);
		atomic_init(&tp.finished, 0);
		atomic_init(&tp.failing, 0);
		atomic_init(&tp.failed, 0);
		unsigned jobs = o->jobs ? o->jobs : 1;
		pthread_t *th = calloc(jobs, sizeof *th);
		for (unsigned j = 0; j < jobs; j++)
			pthread_create(&th[j], NULL, worker, &tp);
		while (o->on_progress && atomic_load(&tp.finished) < nowners &&
		       !atomic_load(&tp.failed)) {
			struct timespec q = {0, 250 * 1000 * 1000};
			nanosleep(&q, NULL);
			o->on_progress(o->on_progress_ctx, atomic_load(&tp.finished), nowners,
				       atomic_load(&tp.failing), now_s() - t0);
		}
		for (unsigned j = 0; j < jobs; j++)
			pthread_join(th[j], NULL);
		if (o->on_progress)
			o->on_progress(o->on_progress_ctx, nowners, nowners, atomic_load(&tp.failing),
				       now_s() - t0);
		free(th);
		/* Merge in canonical order, cut by cut: an owner brings its whole subtree (its
		 * cut, its nested cuts), a duplicate of an owner's state counts as a cut point
		 * with the owner's top-level verdict under its own repro ID (its nested cuts
		 * would repeat the owner's, so they do not run). Failures per operation alike. */
		size_t per_op_cap = 0;
		for (size_t i = 0; i < nc; i++) {
			if (owner_of[i] == SIZE_MAX)
				continue;
			struct tally *t = &tp.results[owner_of[i]];
			uint64_t op = cut_op_index(&base, &cuts[i]);
			if (owners[owner_of[i]] == i) {
				per_op_add(r, &per_op_cap, op, t->failures);
				tally_merge(&total, t);
				continue;
			}
			uint64_t top[SWEEP_INVARIANTS] = {0};
			for (int k = 0; k < SWEEP_INVARIANTS; k++)
				top[k] = (t->top.mask >> k) & 1u;
			per_op_add(r, &per_op_cap, op, top);
			char id[32];
			cut_id(&base, &cuts[i], id, sizeof id);
			total.cut_points++;
			tally_verdict(&total, id, &t->top, op, 1);
		}
		for (size_t k = 0; k < nowners; k++)
			tally_free(&tp.results[k]);
		free(tp.results);
		free(owners);
		free(owner_of);
		free(cuts);
		if (!atomic_load(&tp.failed) && o->faults && sweep_faults(w, o, &base, r, &total)) {
			atomic_store(&tp.failed, 1);
			snprintf(tp.err, sizeof tp.err, "(flash errors)");
		}
		if (atomic_load(&tp.failed)) {
			snprintf(err, errlen, "a sweep thread could not start its device: %s", tp.err);
			recording_free(&base);
			sweep_node_free(&main_node);
			tally_free(&total);
			sweep_result_free(r);
			return -1;
		}
	}
	recording_free(&base);
	sweep_node_free(&main_node);
	tally_to_result(&total, r);
	r->wall_s = now_s() - t0;
	return 0;
}

void sweep_result_free(struct sweep_result *r)
{
	free(r->kept);
	free(r->fp_kept);
	free(r->per_op);
	free(r->sector_max_erases);
	r->kept = r->fp_kept = NULL;
	r->per_op = NULL;
	r->sector_max_erases = NULL;
	r->nkept = r->nfp_kept = r->nper_op = 0;
	r->nsectors = 0;
}

uint64_t sweep_total_failures(const struct sweep_result *r)
{
	return r->failing_cuts;
}

/* ---- Replay ------------------------------------------------------------------------ */

/* One flash operation of a traced continuation, numbered as in the uncut workload. */
static void print_op(void *ctx, const struct fsim_trace_event *ev)
{
	const struct sweep_node *n = ctx;
	if (ev->kind == FSIM_OP_READ)
		return;
	char where[96];
	sweep_trace_place(n->dev, n->w->flash_map, ev->off, where, sizeof where);
	printf("   op %llu: %s %s (%u bytes)%s%s\n", (unsigned long long)ev->op_index,
	       ev->kind == FSIM_OP_ERASE ? "erase  " : "program", where, ev->len,
	       ev->result == FSIM_ERR_FAULT ? " FAILED (flash error)" : ev->result ? " REFUSED" : "",
	       ev->cut ? "  <- POWER CUT" : "");
}

/* The uncut workload in one line per step: which operations each step issued. */
static void print_uncut_summary(const struct sweep_workload *w, const struct recording *r)
{
	printf("uncut workload: %zu flash operations\n", r->nops);
	for (size_t i = 0; i < r->nops;) {
		size_t j = i;
		while (j + 1 < r->nops && r->ops[j + 1].step == r->ops[i].step)
			j++;
		int s = r->ops[i].step;
		const struct sweep_step *st = s < w->nsteps ? &w->steps[s] : NULL;
		printf("  step %d %s%s%s: ops %llu-%llu\n", s,
		       st ? sweep_step_name(st->kind) : "convergence reboot",
		       st && st->kind == SWEEP_STEP_DOWNLOAD ? " " : "",
		       st && st->kind == SWEEP_STEP_DOWNLOAD ? w->images[st->image].name : "",
		       (unsigned long long)r->ops[i].index, (unsigned long long)r->ops[j].index);
		i = j + 1;
	}
}

/* How a replay ends: every broken invariant, erases per sector, expected and observed. */
static void print_verdict(const struct sweep_workload *w, struct sweep_node *n,
			  const struct verdict *v)
{
	sweep_trace_wear(n->dev, stdout);
	if (v->mask)
		printf("broken: %s\n", v->detail);
	else if (v->false_positive)
		printf("a fall-back after a cut during a boot (I6, not a failure)\n");
	char expected[96], observed[96];
	describe_expect(w, expected, sizeof expected);
	describe_state(n, observed, sizeof observed);
	printf("expected %s / observed %s\n", expected, observed);
}

/* Parse "t812.1" or "b40". */
static int parse_cut(const char *s, uint64_t *op, bool *torn, uint8_t *variant)
{
	char *end;
	if (*s != 't' && *s != 'b')
		return -1;
	*torn = *s == 't';
	*op = strtoull(s + 1, &end, 10);
	if (end == s + 1)
		return -1;
	*variant = 0;
	if (*torn) {
		if (*end != '.')
			return -1;
		const char *v = end + 1;
		unsigned long x = strtoul(v, &end, 10);
		if (end == v || x > 255)
			return -1;
		*variant = (uint8_t)x;
	}
	return *end == '\0' || *end == '/' ? 0 : -1;
}

/* `--repro uncut`: the uncut workload itself, traced, judged as the baseline is. */
static void replay_uncut(const struct sweep_workload *w, struct sweep_node *n,
			 const struct recording *rec, bool trace, struct sweep_result *r,
			 struct tally *t)
{
	fsim_snapshot_restore(n->dev, rec->snap[0]); /* the initial flash */
	if (trace) {
		printf("the uncut workload:\n");
		fsim_set_trace(n->dev, print_op, n);
	}
	n->trace = trace;
	sweep_node_reset_obs(n);
	sweep_node_run(n, 0);
	fsim_set_trace(n->dev, NULL, NULL);
	struct verdict v;
	judge(w, n, 0, r->wear_bound, 0, &v);
	if (trace)
		print_verdict(w, n, &v);
	if (v.mask || v.false_positive) {
		describe_expect(w, v.expected, sizeof v.expected);
		describe_state(n, v.observed, sizeof v.observed);
		v.false_positive = false;
		v.mask |= 1u << SWEEP_BASELINE;
		v.inv = SWEEP_BASELINE;
	}
	t->cut_points = t->distinct = 0;
	tally_verdict(t, "uncut", &v, 0, 1);
}

/* The trace's line for a cut, in the uncut workload's numbering and the device's words. */
static void print_cut(const struct sweep_workload *w, const struct sweep_node *n,
		      const struct recording *rec, const struct cut *c, uint64_t op, int depth)
{
	printf("cut %d: %s %s op %llu", depth, c->torn ? "torn" : "power lost before",
	       c->op < rec->nops ? (rec->ops[c->op].erase ? "erase" : "program") : "(after the last)",
	       (unsigned long long)op);
	if (c->op < rec->nops) {
		const struct op_rec *o = &rec->ops[c->op];
		char where[96];
		sweep_trace_place(n->dev, w->flash_map, o->off, where, sizeof where);
		int s = o->step;
		printf(": %s (%u bytes), during step %d (%s)", where, o->len, s,
		       s < w->nsteps ? sweep_step_name(w->steps[s].kind) : "convergence reboot");
	}
	printf("\n");
}

int sweep_replay(const struct sweep_workload *w, const struct sweep_options *o, const char *id,
		 bool trace, struct sweep_result *r, char *err, size_t errlen)
{
	memset(r, 0, sizeof *r);
	struct sweep_node n;
	if (sweep_node_init(&n, w, err, errlen))
		return -1;
	struct tally t = {.keep_max = 1};
	struct recording rec;
	int rc = 0;
	bool uncut = !strcmp(id, "uncut");
	struct tally base_tally = {.keep_max = 1};
	bool base_failed = baseline(w, &n, &rec, r, &base_tally) != 0;
	tally_free(&base_tally);
	if (uncut) {
		replay_uncut(w, &n, &rec, trace, r, &t);
		recording_free(&rec);
		sweep_node_free(&n);
		tally_to_result(&t, r);
		return 0;
	}
	if (base_failed) {
		snprintf(err, errlen, "the uncut workload already fails: see --repro uncut --trace");
		rc = -1;
	} else if (trace) {
		print_uncut_summary(w, &rec);
	}
	struct fault_point fp;
	if (rc == 0 && parse_fault(id, &fp) == 0) {
		const struct op_rec *x = NULL;
		for (size_t i = 0; i < rec.nops && !x; i++)
			if (rec.ops[i].index == fp.op)
				x = &rec.ops[i];
		if (!x || x->erase != fsim_fault_is_erase(fp.kind)) {
			snprintf(err, errlen, "repro ID '%s': op %llu is no %s of this workload", id,
				 (unsigned long long)fp.op, fsim_fault_is_erase(fp.kind) ? "erase" : "program");
			rc = -1;
		} else {
			if (trace) {
				char where[96];
				sweep_trace_place(n.dev, w->flash_map, x->off, where, sizeof where);
				printf("flash error: %s at op %llu: %s (%u bytes), during step %d; the "
				       "workload from the start:\n", fsim_fault_name(fp.kind),
				       (unsigned long long)fp.op, where, x->len, x->step);
				fsim_set_trace(n.dev, print_op, &n);
			}
			n.trace = trace;
			struct verdict v;
			run_fault(w, o, &n, &rec, &fp, &v);
			fsim_set_trace(n.dev, NULL, NULL);
			if (trace)
				print_verdict(w, &n, &v);
			t.cut_points = t.distinct = 1;
			tally_verdict(&t, id, &v, fp.op, 1);
		}
		recording_free(&rec);
		sweep_node_free(&n);
		tally_to_result(&t, r);
		return rc;
	}
	const char *p = id;
	int depth = 0;
	uint64_t first_op = 0;
	while (rc == 0 && *p) {
		uint64_t op;
		struct cut c = {0};
		if (parse_cut(p, &op, &c.torn, &c.variant)) {
			snprintf(err, errlen, "malformed repro ID '%s' (IDs look like t812.1, b40, "
				 "t812.1/b900, or uncut)", id);
			rc = -1;
			break;
		}
		uint64_t after_last = rec.nops ? rec.ops[rec.nops - 1].index + 1 : 0;
		c.op = UINT32_MAX;
		for (uint32_t i = 0; i < rec.nops && c.op == UINT32_MAX; i++)
			if (rec.ops[i].index == op)
				c.op = i;
		if (c.op == UINT32_MAX && op == after_last && !c.torn)
			c.op = (uint32_t)rec.nops;
		if (c.op == UINT32_MAX || (c.torn && c.variant >= fsim_torn_variants(rec.ops[c.op].erase))) {
			snprintf(err, errlen, "repro ID '%s': no such cut in this workload (is it the same "
				 "sweep file?)", id);
			rc = -1;
			break;
		}
		if (depth == 0)
			first_op = op;
		const char *slash = strchr(p, '/');
		p = slash ? slash + 1 : p + strlen(p);
		depth++;
		if (trace)
			print_cut(w, &n, &rec, &c, op, depth);
		int step = apply_cut(&n, &rec, &c, o);
		if (trace && c.torn) {
			const struct op_rec *x = &rec.ops[c.op];
			if (x->erase)
				printf("     the erase stopped part way: the sector holds neither the old "
				       "bytes nor erased ones\n");
			else
				sweep_trace_torn(n.dev, x->off, rec.data + x->data_off, x->len, stdout);
		}
		size_t vb = fsim_violation_count(n.dev);
		struct recording next;
		n.trace = false;
		record_run(&n, step, true, &next);
		recording_free(&rec);
		rec = next;
		if (*p)
			continue;
		/* The last cut: run its continuation again from the post-cut state, visibly. */
		fsim_snapshot_restore(n.dev, rec.snap[0]);
		if (o->on_replay_state)
			o->on_replay_state(o->on_replay_ctx, n.dev, "cut");
		if (trace) {
			printf("power on again, RAM lost; the continuation from step %d (%s):\n", step,
			       step < w->nsteps ? sweep_step_name(w->steps[step].kind)
						: "convergence reboot");
			fsim_set_trace(n.dev, print_op, &n);
		}
		n.trace = trace;
		sweep_node_reset_obs(&n);
		sweep_node_resume(&n, step);
		fsim_set_trace(n.dev, NULL, NULL);
		if (o->on_replay_state)
			o->on_replay_state(o->on_replay_ctx, n.dev, "end");
		struct verdict v;
		judge(w, &n, vb, r->wear_bound, step, &v);
		if (trace)
			print_verdict(w, &n, &v);
		tally_wear(&t, n.dev);
		t.cut_points = t.distinct = 1;
		tally_verdict(&t, id, &v, first_op, 1);
	}
	recording_free(&rec);
	sweep_node_free(&n);
	tally_to_result(&t, r);
	return rc;
}
