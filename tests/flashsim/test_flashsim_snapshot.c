/*
 * flashsim snapshots and content identity: fork is copy-on-write (proved with
 * fsim_allocated_sectors / fsim_shared_sectors), the parent never sees the child's writes,
 * erased sectors hold no buffer, snapshot take/restore round trips content, accounting and
 * hash, snapshots outlive their device and may be used from several threads; the content
 * hash is equal for equal bytes whatever the history and differs for different bytes.
 */
#include <pthread.h>

#include "fsim_test_util.h"

/* Program 16 bytes at the start of each of the given sectors (4 KiB sectors). */
static void write_sectors(struct fsim_device *dev, uint32_t first, uint32_t n, uint64_t seed)
{
	for (uint32_t s = first; s < first + n; s++) {
		uint8_t d[16];
		tu_fill_random_not(d, sizeof d, seed + s, 0xff);
		assert_int_equal(fsim_program(dev, s * 4096, d, sizeof d), FSIM_OK);
	}
}

/* ---- Fork / copy-on-write ------------------------------------------------------------ */

static void test_fork_copy_on_write(void **state)
{
	(void)state;
	struct fsim_device *parent = tu_preset_dev("nrf52840");
	assert_int_equal(fsim_allocated_sectors(parent), 0);
	assert_int_equal(fsim_shared_sectors(parent), 0);
	write_sectors(parent, 10, 10, 1); /* sectors 10..19 */
	assert_int_equal(fsim_allocated_sectors(parent), 10);
	assert_int_equal(fsim_shared_sectors(parent), 0);
	uint8_t *pcontent = tu_peek_all(parent);
	uint64_t phash = fsim_content_hash(parent);

	struct fsim_device *child = fsim_fork(parent);
	assert_non_null(child);
	assert_int_equal(fsim_allocated_sectors(parent), 10);
	assert_int_equal(fsim_shared_sectors(parent), 10);
	assert_int_equal(fsim_allocated_sectors(child), 10);
	assert_int_equal(fsim_shared_sectors(child), 10);
	tu_assert_content(child, pcontent);
	assert_int_equal(fsim_content_hash(child), phash);

	/* child writes into a shared sector: that sector is copied for the child only */
	uint8_t d[16];
	memset(d, 0x00, sizeof d);
	assert_int_equal(fsim_program(child, 12 * 4096 + 64, d, 16), FSIM_OK);
	assert_int_equal(fsim_allocated_sectors(child), 10);
	assert_int_equal(fsim_shared_sectors(child), 9);
	assert_int_equal(fsim_allocated_sectors(parent), 10);
	assert_int_equal(fsim_shared_sectors(parent), 9);
	tu_assert_content(parent, pcontent);
	assert_int_equal(fsim_content_hash(parent), phash);
	assert_int_not_equal(fsim_content_hash(child), phash);
	uint8_t rd[16];
	assert_int_equal(fsim_peek(child, 12 * 4096 + 64, rd, 16), FSIM_OK);
	assert_memory_equal(rd, d, 16);

	/* child erases a shared sector: the child drops its buffer, the parent keeps its own */
	assert_int_equal(fsim_erase(child, 13 * 4096, 4096), FSIM_OK);
	assert_int_equal(fsim_allocated_sectors(child), 9);
	assert_int_equal(fsim_shared_sectors(child), 8);
	assert_int_equal(fsim_allocated_sectors(parent), 10);
	assert_int_equal(fsim_shared_sectors(parent), 8);
	tu_assert_content(parent, pcontent);

	/* child writes a sector nobody had written: a new private buffer */
	assert_int_equal(fsim_program(child, 100 * 4096, d, 16), FSIM_OK);
	assert_int_equal(fsim_allocated_sectors(child), 10);
	assert_int_equal(fsim_shared_sectors(child), 8);
	assert_int_equal(fsim_allocated_sectors(parent), 10);
	tu_assert_content(parent, pcontent);
	assert_int_equal(fsim_content_hash(parent), phash);

	/* parent writes: the child does not see it */
	uint8_t *ccontent = tu_peek_all(child);
	uint64_t chash = fsim_content_hash(child);
	assert_int_equal(fsim_program(parent, 15 * 4096 + 128, d, 16), FSIM_OK);
	assert_int_equal(fsim_shared_sectors(parent), 7);
	assert_int_equal(fsim_shared_sectors(child), 7);
	tu_assert_content(child, ccontent);
	assert_int_equal(fsim_content_hash(child), chash);

	/* the parent goes away: the child's buffers are its own now */
	fsim_destroy(parent);
	assert_int_equal(fsim_shared_sectors(child), 0);
	assert_int_equal(fsim_allocated_sectors(child), 10);
	tu_assert_content(child, ccontent);
	assert_int_equal(fsim_content_hash(child), chash);
	free(pcontent);
	free(ccontent);
	fsim_destroy(child);
}

static void test_fork_of_fork(void **state)
{
	(void)state;
	struct fsim_device *a = tu_preset_dev("nrf52840");
	write_sectors(a, 0, 4, 2);
	struct fsim_device *b = fsim_fork(a);
	struct fsim_device *c = fsim_fork(b);
	assert_non_null(b);
	assert_non_null(c);
	assert_int_equal(fsim_shared_sectors(a), 4);
	assert_int_equal(fsim_shared_sectors(c), 4);
	fsim_destroy(b);
	assert_int_equal(fsim_shared_sectors(a), 4); /* still shared between a and c */
	uint8_t d[4] = {0};
	assert_int_equal(fsim_program(c, 0 * 4096 + 32, d, 4), FSIM_OK);
	assert_int_equal(fsim_shared_sectors(a), 3);
	assert_int_equal(fsim_shared_sectors(c), 3);
	fsim_destroy(a);
	assert_int_equal(fsim_shared_sectors(c), 0);
	fsim_destroy(c);
}

/* Sectors erased and never written since hold no buffer. */
static void test_erased_sectors_hold_no_buffer(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	write_sectors(dev, 0, 3, 3);
	assert_int_equal(fsim_allocated_sectors(dev), 3);
	assert_int_equal(fsim_erase(dev, 0, 2 * 4096), FSIM_OK);
	assert_int_equal(fsim_allocated_sectors(dev), 1);
	assert_int_equal(fsim_erase(dev, 0, fsim_size(dev)), FSIM_OK); /* the whole chip */
	assert_int_equal(fsim_allocated_sectors(dev), 0);
	/* reads of erased sectors do not allocate */
	uint8_t buf[4096];
	assert_int_equal(fsim_read(dev, 0x40000, buf, sizeof buf), FSIM_OK);
	assert_int_equal(fsim_allocated_sectors(dev), 0);
	/* a refused program does not allocate */
	assert_int_equal(fsim_program(dev, 0x40001, buf, 4), FSIM_ERR_VIOLATION);
	assert_int_equal(fsim_allocated_sectors(dev), 0);
	fsim_destroy(dev);
}

/* Fork copies geometry, partitions, content; no cut, handler or trace. */
static int fork_trace_calls;
static void count_trace(void *ctx, const struct fsim_trace_event *ev)
{
	(void)ctx;
	(void)ev;
	fork_trace_calls++;
}

static void test_fork_copies_device_not_harness(void **state)
{
	(void)state;
	struct fsim_device *parent = tu_preset_dev("stm32f4");
	const struct fsim_partition parts[] = {
		{"boot", 0, 0x8000, true},
		{"primary", 0x20000, 0x60000, false},
	};
	char err[256];
	assert_int_equal(fsim_set_partitions(parent, parts, 2, err, sizeof err), FSIM_OK);
	struct tu_catcher cc;
	tu_catch(parent, &cc);
	struct fsim_cut cut = {.op_index = 0, .mode = FSIM_CUT_BETWEEN};
	fsim_arm_cut(parent, &cut);
	fsim_set_trace(parent, count_trace, NULL);
	assert_int_equal(fsim_load_bytes(parent, 0x20000, "hello", 5), FSIM_OK);

	struct fsim_device *child = fsim_fork(parent);
	assert_non_null(child);
	assert_false(fsim_cut_armed(child));
	assert_true(fsim_cut_armed(parent));
	const struct fsim_geometry *gp = fsim_geometry(parent), *gc = fsim_geometry(child);
	assert_int_equal(gc->region_count, gp->region_count);
	for (uint32_t i = 0; i < gp->region_count; i++) {
		assert_int_equal(gc->regions[i].count, gp->regions[i].count);
		assert_int_equal(gc->regions[i].sector_size, gp->regions[i].sector_size);
	}
	assert_int_equal(gc->write_unit, gp->write_unit);
	assert_int_equal(fsim_size(child), fsim_size(parent));
	assert_int_equal(fsim_partition_count(child), 2);
	const struct fsim_partition *p = fsim_partition_find(child, "boot");
	assert_non_null(p);
	assert_true(p->write_protected);
	uint8_t d[4] = {0};
	/* write protection applies in the child */
	assert_int_equal(fsim_program(child, 0x100, d, 4), FSIM_ERR_VIOLATION);
	/* the child has no cut and no trace: ops run through, the parent's trace sees nothing */
	fork_trace_calls = 0;
	assert_int_equal(fsim_program(child, 0x20100, d, 4), FSIM_OK);
	assert_int_equal(fork_trace_calls, 0);
	assert_int_equal(cc.calls, 0);
	char rd[5];
	assert_int_equal(fsim_peek(child, 0x20000, rd, 5), FSIM_OK);
	assert_memory_equal(rd, "hello", 5);
	fsim_destroy(child);
	/* the parent's own cut still fires */
	TU_EXPECT_CUT(&cc, fsim_program(parent, 0x20100, d, 4));
	assert_int_equal(fork_trace_calls, 1);
	fsim_destroy(parent);
}

/* ---- Snapshots ----------------------------------------------------------------------- */

struct acct {
	struct fsim_stats st;
	uint32_t erases[256];
	size_t nviol;
	uint64_t hash;
};

static void get_acct(const struct fsim_device *dev, struct acct *a)
{
	memset(a, 0, sizeof *a);
	fsim_get_stats(dev, &a->st);
	for (uint32_t i = 0; i < fsim_sector_count(dev) && i < 256; i++)
		a->erases[i] = fsim_sector_erases(dev, i);
	a->nviol = fsim_violation_count(dev);
	a->hash = fsim_content_hash(dev);
}

static void assert_acct_equal(const struct acct *x, const struct acct *y)
{
	assert_int_equal(x->st.mutating_ops, y->st.mutating_ops);
	assert_int_equal(x->st.program_ops, y->st.program_ops);
	assert_int_equal(x->st.erase_ops, y->st.erase_ops);
	assert_int_equal(x->st.read_ops, y->st.read_ops);
	assert_int_equal(x->st.bytes_programmed, y->st.bytes_programmed);
	assert_int_equal(x->st.bytes_read, y->st.bytes_read);
	assert_int_equal(x->st.busy_ns, y->st.busy_ns);
	assert_int_equal(x->st.max_sector_erases, y->st.max_sector_erases);
	for (int i = 0; i < 256; i++)
		assert_int_equal(x->erases[i], y->erases[i]);
	assert_int_equal(x->nviol, y->nviol);
	assert_int_equal(x->hash, y->hash);
}

/* Some history: programs, erases (wear), a violation, reads. */
static void mutate(struct fsim_device *dev, uint64_t seed)
{
	uint8_t d[256];
	tu_fill_random_not(d, sizeof d, seed, 0xff);
	uint32_t s = (uint32_t)(seed % 200) + 20;
	assert_int_equal(fsim_erase(dev, s * 4096, 2 * 4096), FSIM_OK);
	assert_int_equal(fsim_program(dev, s * 4096, d, sizeof d), FSIM_OK);
	assert_int_equal(fsim_program(dev, (s + 1) * 4096 + 512, d, 64), FSIM_OK);
	assert_int_equal(fsim_program(dev, s * 4096, d, 4), FSIM_ERR_VIOLATION);
	uint8_t rd[32];
	assert_int_equal(fsim_read(dev, 0, rd, sizeof rd), FSIM_OK);
}

static void test_snapshot_round_trip(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	tu_nrf_partitions(dev);
	mutate(dev, 1);
	mutate(dev, 2);
	write_sectors(dev, 240, 5, 9);
	uint8_t *content = tu_peek_all(dev);
	struct acct before;
	get_acct(dev, &before);
	uint32_t alloc = fsim_allocated_sectors(dev);

	struct fsim_snapshot *snap = fsim_snapshot_take(dev);
	assert_non_null(snap);
	assert_int_equal(fsim_snapshot_hash(snap), before.hash);
	assert_int_equal(fsim_snapshot_op_index(snap), before.st.mutating_ops);
	/* taking a snapshot shares every buffer, copies none */
	assert_int_equal(fsim_allocated_sectors(dev), alloc);
	assert_int_equal(fsim_shared_sectors(dev), alloc);

	for (int round = 0; round < 3; round++) {
		mutate(dev, 10 + (uint64_t)round);
		mutate(dev, 20 + (uint64_t)round);
		assert_int_equal(fsim_erase(dev, 240 * 4096, 4096), FSIM_OK);
		struct acct mid;
		get_acct(dev, &mid);
		assert_int_not_equal(mid.hash, before.hash);
		assert_true(mid.st.mutating_ops > before.st.mutating_ops);

		assert_int_equal(fsim_snapshot_restore(dev, snap), FSIM_OK);
		tu_assert_content(dev, content);
		struct acct after;
		get_acct(dev, &after);
		assert_acct_equal(&after, &before);
		for (size_t i = 0; i < before.nviol && i < FSIM_VIOLATIONS_KEPT; i++)
			assert_non_null(fsim_violation_at(dev, i));
		assert_null(fsim_violation_at(dev, before.nviol));
		assert_int_equal(fsim_allocated_sectors(dev), alloc);
		assert_int_equal(fsim_shared_sectors(dev), alloc);
		/* partitions are the device's: still there */
		assert_non_null(fsim_partition_find(dev, "boot"));
	}
	/* the snapshot is frozen: still the old hash after all that */
	assert_int_equal(fsim_snapshot_hash(snap), before.hash);

	/* a device made from the snapshot has its content */
	struct fsim_device *copy = fsim_from_snapshot(snap);
	assert_non_null(copy);
	tu_assert_content(copy, content);
	assert_int_equal(fsim_content_hash(copy), before.hash);
	assert_int_equal(fsim_size(copy), fsim_size(dev));

	/* the snapshot outlives its device */
	fsim_destroy(dev);
	struct fsim_device *copy2 = fsim_from_snapshot(snap);
	assert_non_null(copy2);
	fsim_snapshot_free(snap);
	tu_assert_content(copy2, content);
	tu_assert_content(copy, content);
	/* the two copies are independent */
	uint8_t d[4] = {0};
	assert_int_equal(fsim_program(copy2, 0x80000, d, 4), FSIM_OK);
	tu_assert_content(copy, content);
	fsim_destroy(copy);
	fsim_destroy(copy2);
	free(content);
}

/* Restore keeps the device's armed cut, handler and trace. */
static int restore_trace_calls;
static void restore_trace(void *ctx, const struct fsim_trace_event *ev)
{
	(void)ctx;
	(void)ev;
	restore_trace_calls++;
}

static void test_snapshot_restore_keeps_harness(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	struct tu_catcher cc;
	tu_catch(dev, &cc);
	write_sectors(dev, 0, 3, 4); /* ops 0..2 */
	struct fsim_snapshot *snap = fsim_snapshot_take(dev);
	assert_non_null(snap);
	assert_int_equal(fsim_snapshot_op_index(snap), 3);
	write_sectors(dev, 3, 5, 4); /* ops 3..7 */
	struct fsim_cut cut = {.op_index = 4, .mode = FSIM_CUT_BETWEEN};
	fsim_arm_cut(dev, &cut);
	fsim_set_trace(dev, restore_trace, NULL);
	assert_int_equal(fsim_snapshot_restore(dev, snap), FSIM_OK);
	assert_int_equal(tu_next_op(dev), 3);
	assert_true(fsim_cut_armed(dev));
	restore_trace_calls = 0;
	volatile int done = 0;
	TU_EXPECT_CUT(&cc, {
		write_sectors(dev, 50, 1, 5); /* op 3 */
		done = 1;
		write_sectors(dev, 51, 1, 5); /* op 4: cut */
		done = 2;
	});
	assert_int_equal(done, 1);
	assert_int_equal(restore_trace_calls, 2);
	fsim_snapshot_free(snap);
	fsim_destroy(dev);
}

/* Metastable state comes from the snapshot. */
static void test_snapshot_metastable_state(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	struct tu_catcher cc;
	tu_catch(dev, &cc);
	struct fsim_snapshot *clean = fsim_snapshot_take(dev);
	uint8_t d[256];
	tu_fill_random_not(d, sizeof d, 6, 0xff);
	struct fsim_cut cut = {.op_index = 0,
			       .mode = FSIM_CUT_TORN,
			       .variant = FSIM_TORN_PROG_SOME_BITS,
			       .seed = 12,
			       .metastable = true};
	fsim_arm_cut(dev, &cut);
	TU_EXPECT_CUT(&cc, fsim_program(dev, 0x3000, d, sizeof d));
	struct fsim_snapshot *torn = fsim_snapshot_take(dev);

	assert_int_equal(fsim_snapshot_restore(dev, clean), FSIM_OK);
	uint8_t r0[256], r1[256];
	for (int i = 0; i < 16; i++) {
		assert_int_equal(fsim_read(dev, 0x3000, r0, 256), FSIM_OK);
		assert_true(tu_all_equal(r0, 256, 0xff));
	}
	assert_int_equal(fsim_snapshot_restore(dev, torn), FSIM_OK);
	int differ = 0;
	assert_int_equal(fsim_read(dev, 0x3000, r0, 256), FSIM_OK);
	for (int i = 0; i < 24; i++) {
		assert_int_equal(fsim_read(dev, 0x3000, r1, 256), FSIM_OK);
		differ |= memcmp(r0, r1, 256) != 0;
	}
	assert_true(differ);
	fsim_snapshot_free(clean);
	fsim_snapshot_free(torn);
	fsim_destroy(dev);
}

static void test_snapshot_geometry_mismatch(void **state)
{
	(void)state;
	struct fsim_device *a = tu_preset_dev("nrf52840");
	struct fsim_device *b = tu_preset_dev("k64f"); /* same sectors, different write unit */
	struct fsim_device *l4 = tu_preset_dev("stm32l4"); /* same size, 2 KiB sectors */
	write_sectors(a, 0, 2, 1);
	write_sectors(b, 5, 2, 1);
	uint8_t *bcontent = tu_peek_all(b);
	uint64_t bhash = fsim_content_hash(b);
	struct fsim_snapshot *sa = fsim_snapshot_take(a);
	assert_true(fsim_snapshot_restore(l4, sa) < 0);
	assert_int_equal(fsim_allocated_sectors(l4), 0);
	assert_true(fsim_snapshot_restore(b, sa) < 0);
	tu_assert_content(b, bcontent);
	assert_int_equal(fsim_content_hash(b), bhash);
	fsim_destroy(l4);
	/* same geometry, another device: fine */
	struct fsim_device *c = tu_preset_dev("nrf52840");
	assert_int_equal(fsim_snapshot_restore(c, sa), FSIM_OK);
	assert_int_equal(fsim_content_hash(c), fsim_content_hash(a));
	fsim_snapshot_free(sa);
	free(bcontent);
	fsim_destroy(a);
	fsim_destroy(b);
	fsim_destroy(c);
}

/* Several threads restore and write devices from one shared snapshot. */
struct thr_arg {
	const struct fsim_snapshot *snap;
	uint64_t expect_hash;
	int ok;
};

static void *snap_thread(void *p)
{
	struct thr_arg *a = p;
	struct fsim_device *dev = fsim_from_snapshot(a->snap);
	a->ok = dev != NULL;
	for (int i = 0; i < 300 && a->ok; i++) {
		if (fsim_snapshot_restore(dev, a->snap) != FSIM_OK ||
		    fsim_content_hash(dev) != a->expect_hash)
			a->ok = 0;
		uint8_t d[64];
		memset(d, i & 0x7f, sizeof d);
		/* write into shared sectors (forces copies) and fresh ones */
		if (fsim_program(dev, (uint32_t)(i % 8) * 4096 + 1024, d, 64) != FSIM_OK)
			a->ok = 0;
		if (fsim_erase(dev, (uint32_t)(i % 8) * 4096, 4096) != FSIM_OK)
			a->ok = 0;
		struct fsim_device *f = fsim_fork(dev);
		if (!f)
			a->ok = 0;
		else
			fsim_destroy(f);
		struct fsim_snapshot *s2 = fsim_snapshot_take(dev);
		if (!s2)
			a->ok = 0;
		else
			fsim_snapshot_free(s2);
	}
	fsim_destroy(dev);
	return NULL;
}

static void test_snapshot_threads(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	write_sectors(dev, 0, 8, 7);
	struct fsim_snapshot *snap = fsim_snapshot_take(dev);
	uint64_t h = fsim_content_hash(dev);
	fsim_destroy(dev);
	enum { NT = 4 };
	pthread_t th[NT];
	struct thr_arg args[NT];
	for (int i = 0; i < NT; i++) {
		args[i] = (struct thr_arg){snap, h, 0};
		assert_int_equal(pthread_create(&th[i], NULL, snap_thread, &args[i]), 0);
	}
	for (int i = 0; i < NT; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_true(args[i].ok);
	}
	struct fsim_device *check = fsim_from_snapshot(snap);
	assert_int_equal(fsim_content_hash(check), h);
	assert_int_equal(fsim_shared_sectors(check), 8);
	fsim_snapshot_free(snap);
	assert_int_equal(fsim_shared_sectors(check), 0);
	fsim_destroy(check);
}

/* ---- Content hash -------------------------------------------------------------------- */

static void test_hash_fresh_and_history(void **state)
{
	(void)state;
	struct fsim_device *a = tu_preset_dev("nrf52840");
	struct fsim_device *b = tu_preset_dev("nrf52840");
	const uint64_t fresh = fsim_content_hash(a);
	assert_int_equal(fsim_content_hash(b), fresh);

	/* program then erase returns to the fresh hash */
	uint8_t x[4096];
	tu_fill_random_not(x, sizeof x, 1, 0xff);
	assert_int_equal(fsim_program(a, 0x7000, x, sizeof x), FSIM_OK);
	assert_int_not_equal(fsim_content_hash(a), fresh);
	assert_int_equal(fsim_erase(a, 0x7000, 0x1000), FSIM_OK);
	assert_int_equal(fsim_content_hash(a), fresh);

	/* load_bytes of erased bytes changes nothing */
	uint8_t ff[4096];
	memset(ff, 0xff, sizeof ff);
	assert_int_equal(fsim_load_bytes(a, 0x9000, ff, sizeof ff), FSIM_OK);
	assert_int_equal(fsim_content_hash(a), fresh);

	/* different histories reaching the same bytes */
	uint8_t y[512];
	tu_fill_random_not(y, sizeof y, 2, 0xff);
	assert_int_equal(fsim_program(a, 0x2000, x, 1024), FSIM_OK);
	assert_int_equal(fsim_program(b, 0x2000, y, 512), FSIM_OK);
	assert_int_equal(fsim_program(b, 0x50000, y, 512), FSIM_OK);
	assert_int_equal(fsim_erase(b, 0x2000, 0x1000), FSIM_OK);
	assert_int_equal(fsim_erase(b, 0x50000, 0x1000), FSIM_OK);
	assert_int_equal(fsim_program(b, 0x2000 + 512, x + 512, 512), FSIM_OK);
	assert_int_equal(fsim_program(b, 0x2000, x, 512), FSIM_OK);
	assert_int_equal(fsim_content_hash(a), fsim_content_hash(b));
	/* and via the harness path */
	struct fsim_device *c = tu_preset_dev("nrf52840");
	assert_int_equal(fsim_load_bytes(c, 0x2000, x, 1024), FSIM_OK);
	assert_int_equal(fsim_content_hash(c), fsim_content_hash(a));
	/* violations, reads and stats do not change the hash */
	assert_int_equal(fsim_program(c, 0x2000, x, 4), FSIM_ERR_VIOLATION);
	uint8_t rd[64];
	assert_int_equal(fsim_read(c, 0x2000, rd, 64), FSIM_OK);
	fsim_reset_stats(c);
	assert_int_equal(fsim_content_hash(c), fsim_content_hash(a));
	fsim_destroy(a);
	fsim_destroy(b);
	fsim_destroy(c);
}

static void test_hash_different_content(void **state)
{
	(void)state;
	struct fsim_device *a = tu_preset_dev("nrf52840");
	const uint64_t fresh = fsim_content_hash(a);
	struct fsim_snapshot *base = fsim_snapshot_take(a);

	/* every single-bit change at many places gives a distinct hash */
	enum { N = 600 };
	static uint64_t seen[N + 1];
	size_t n = 0;
	seen[n++] = fresh;
	for (int i = 0; i < N; i++) {
		assert_int_equal(fsim_snapshot_restore(a, base), FSIM_OK);
		assert_int_equal(fsim_content_hash(a), fresh);
		/* distinct offsets: adjacent ones first, then spread over the device */
		uint32_t off = i < 64 ? (uint32_t)i : 64 + (uint32_t)(i - 64) * 1741u;
		uint8_t v = (uint8_t)(0xff ^ (1u << (i % 8)));
		assert_int_equal(fsim_load_bytes(a, off, &v, 1), FSIM_OK);
		uint64_t h = fsim_content_hash(a);
		for (size_t j = 0; j < n; j++)
			if (seen[j] == h)
				fail_msg("hash of change %d (offset 0x%x) equals that of state %zu", i,
					 (unsigned)off, j);
		seen[n++] = h;
	}
	/* same bytes at swapped positions differ */
	struct fsim_device *p = tu_preset_dev("nrf52840");
	struct fsim_device *q = tu_preset_dev("nrf52840");
	uint8_t x[16], y[16];
	memset(x, 0x11, 16);
	memset(y, 0x22, 16);
	assert_int_equal(fsim_program(p, 0x1000, x, 16), FSIM_OK);
	assert_int_equal(fsim_program(p, 0x2000, y, 16), FSIM_OK);
	assert_int_equal(fsim_program(q, 0x1000, y, 16), FSIM_OK);
	assert_int_equal(fsim_program(q, 0x2000, x, 16), FSIM_OK);
	assert_int_not_equal(fsim_content_hash(p), fsim_content_hash(q));
	/* one byte shifted by one position */
	uint8_t z = 0x00;
	struct fsim_device *r = tu_preset_dev("nrf52840");
	struct fsim_device *s = tu_preset_dev("nrf52840");
	assert_int_equal(fsim_load_bytes(r, 0, &z, 1), FSIM_OK);
	assert_int_equal(fsim_load_bytes(s, 1, &z, 1), FSIM_OK);
	assert_int_not_equal(fsim_content_hash(r), fsim_content_hash(s));
	fsim_snapshot_free(base);
	fsim_destroy(a);
	fsim_destroy(p);
	fsim_destroy(q);
	fsim_destroy(r);
	fsim_destroy(s);
}

/* Random histories of programs and erases on several geometries (including sectors that are
 * not a multiple of 8 bytes): the incrementally kept hash always equals the hash of a fresh
 * device given the same bytes by the harness, and survives fork and snapshot. */
static void test_hash_random_history(void **state)
{
	(void)state;
	struct {
		uint32_t count, size, wu;
		uint8_t ev;
	} geos[] = {
		{33, 12, 4, 0xff}, {64, 4, 4, 0x00}, {16, 1024, 1, 0xff}, {8, 4096, 32, 0x00},
	};
	for (size_t gi = 0; gi < sizeof geos / sizeof geos[0]; gi++) {
		struct fsim_device *a = tu_geom_dev(geos[gi].count, geos[gi].size, geos[gi].wu,
						    geos[gi].ev);
		const uint32_t size = fsim_size(a), wu = geos[gi].wu, ss = geos[gi].size;
		uint64_t rs = 99 + gi;
		uint8_t buf[256];
		for (int step = 0; step < 400; step++) {
			if (tu_rand(&rs) % 4 == 0) {
				uint32_t s = (uint32_t)(tu_rand(&rs) % geos[gi].count);
				assert_int_equal(fsim_erase(a, s * ss, ss), FSIM_OK);
			} else {
				uint32_t units = 1 + (uint32_t)(tu_rand(&rs) % (sizeof buf / wu));
				uint32_t off = (uint32_t)(tu_rand(&rs) % (size / wu)) * wu;
				if (off + units * wu > size)
					units = (size - off) / wu;
				tu_fill_random(buf, units * wu, tu_rand(&rs));
				int rc = fsim_program(a, off, buf, units * wu);
				assert_true(rc == FSIM_OK || rc == FSIM_ERR_VIOLATION);
			}
			if (step % 20 == 0) {
				uint8_t *c = tu_peek_all(a);
				struct fsim_device *b = tu_geom_dev(geos[gi].count, ss, wu, geos[gi].ev);
				assert_int_equal(fsim_load_bytes(b, 0, c, size), FSIM_OK);
				assert_int_equal(fsim_content_hash(b), fsim_content_hash(a));
				struct fsim_device *f = fsim_fork(a);
				assert_int_equal(fsim_content_hash(f), fsim_content_hash(a));
				fsim_destroy(f);
				free(c);
				fsim_destroy(b);
			}
		}
		fsim_destroy(a);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fork_copy_on_write),
		cmocka_unit_test(test_fork_of_fork),
		cmocka_unit_test(test_erased_sectors_hold_no_buffer),
		cmocka_unit_test(test_fork_copies_device_not_harness),
		cmocka_unit_test(test_snapshot_round_trip),
		cmocka_unit_test(test_snapshot_restore_keeps_harness),
		cmocka_unit_test(test_snapshot_metastable_state),
		cmocka_unit_test(test_snapshot_geometry_mismatch),
		cmocka_unit_test(test_snapshot_threads),
		cmocka_unit_test(test_hash_fresh_and_history),
		cmocka_unit_test(test_hash_different_content),
		cmocka_unit_test(test_hash_random_history),
	};
	return cmocka_run_group_tests_name("flashsim-snapshot", tests, NULL, NULL);
}
