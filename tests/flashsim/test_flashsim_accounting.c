/*
 * flashsim accounting: per-sector erase counts (wear), bytes programmed, op counts, busy
 * time against the timing model of each preset, reset; and the operation trace (every op
 * with kind, op index, offset, length, result, and `cut` on the cut op, delivered before the
 * power-loss handler).
 */
#include "fsim_test_util.h"

/* ---- Stats and timing ---------------------------------------------------------------- */

static void test_stats_nrf52840(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	struct fsim_stats st;
	fsim_get_stats(dev, &st);
	assert_int_equal(st.mutating_ops, 0);
	assert_int_equal(st.program_ops, 0);
	assert_int_equal(st.erase_ops, 0);
	assert_int_equal(st.read_ops, 0);
	assert_int_equal(st.bytes_programmed, 0);
	assert_int_equal(st.bytes_read, 0);
	assert_int_equal(st.busy_ns, 0);
	assert_int_equal(st.max_sector_erases, 0);

	uint8_t d[4096];
	tu_fill_random_not(d, sizeof d, 1, 0xff);
	assert_int_equal(fsim_erase(dev, 0x10000, 0x2000), FSIM_OK); /* sectors 16, 17 */
	assert_int_equal(fsim_program(dev, 0x10000, d, 4096), FSIM_OK); /* 1024 words */
	assert_int_equal(fsim_program(dev, 0x11000, d, 4), FSIM_OK);    /* 1 word */
	assert_int_equal(fsim_erase(dev, 0x10000, 0x1000), FSIM_OK);   /* sector 16 again */
	uint8_t rd[100];
	assert_int_equal(fsim_read(dev, 0x10000, rd, 100), FSIM_OK);
	assert_int_equal(fsim_read(dev, 0x20001, rd, 7), FSIM_OK);

	fsim_get_stats(dev, &st);
	assert_int_equal(st.mutating_ops, 5);
	assert_int_equal(st.program_ops, 2);
	assert_int_equal(st.erase_ops, 3);
	assert_int_equal(st.read_ops, 2);
	assert_int_equal(st.bytes_programmed, 4100);
	assert_int_equal(st.bytes_read, 107);
	/* 3 sector erases x 85 ms + 1025 words x 41 us */
	assert_int_equal(st.busy_ns, 3ull * 85000000ull + 1025ull * 41000ull);
	assert_int_equal(st.max_sector_erases, 2);
	assert_int_equal(fsim_sector_erases(dev, 16), 2);
	assert_int_equal(fsim_sector_erases(dev, 17), 1);
	for (uint32_t s = 0; s < 256; s++)
		if (s != 16 && s != 17)
			assert_int_equal(fsim_sector_erases(dev, s), 0);

	/* wear accumulates per sector */
	for (int i = 0; i < 5; i++)
		assert_int_equal(fsim_erase(dev, 0xFF000, 0x1000), FSIM_OK);
	assert_int_equal(fsim_sector_erases(dev, 255), 5);
	fsim_get_stats(dev, &st);
	assert_int_equal(st.max_sector_erases, 5);
	assert_int_equal(st.busy_ns, 8ull * 85000000ull + 1025ull * 41000ull);
	/* erasing the whole chip: one op per sector */
	assert_int_equal(fsim_erase(dev, 0, fsim_size(dev)), FSIM_OK);
	fsim_get_stats(dev, &st);
	assert_int_equal(st.erase_ops, 8 + 256);
	assert_int_equal(st.mutating_ops, 10 + 256);
	assert_int_equal(st.max_sector_erases, 6);
	assert_int_equal(fsim_sector_erases(dev, 0), 1);
	fsim_destroy(dev);
}

/* Timing of the other presets. */
static void test_timing_presets(void **state)
{
	(void)state;
	uint8_t d[512];
	memset(d, 0x00, sizeof d);
	struct fsim_stats st;

	/* stm32f4: 16K 0.5 s, 64K 1.1 s, 128K 2 s; 16 us per byte */
	struct fsim_device *dev = tu_preset_dev("stm32f4");
	assert_int_equal(fsim_erase(dev, 0x0000, 0x4000), FSIM_OK);
	assert_int_equal(fsim_erase(dev, 0x10000, 0x10000), FSIM_OK);
	assert_int_equal(fsim_erase(dev, 0x20000, 0x20000), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x20000, d, 10), FSIM_OK);
	fsim_get_stats(dev, &st);
	assert_int_equal(st.busy_ns, 500000000ull + 1100000000ull + 2000000000ull + 10ull * 16000ull);
	assert_int_equal(fsim_sector_erases(dev, 0), 1);
	assert_int_equal(fsim_sector_erases(dev, 1), 0);
	assert_int_equal(fsim_sector_erases(dev, 4), 1);
	assert_int_equal(fsim_sector_erases(dev, 5), 1);
	assert_int_equal(fsim_sector_erases(dev, 11), 0);
	fsim_destroy(dev);

	/* stm32l4: 22 ms, 82 us per 8 bytes */
	dev = tu_preset_dev("stm32l4");
	assert_int_equal(fsim_erase(dev, 0x800, 0x800), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x800, d, 64), FSIM_OK);
	fsim_get_stats(dev, &st);
	assert_int_equal(st.busy_ns, 22000000ull + 8ull * 82000ull);
	assert_int_equal(fsim_sector_erases(dev, 1), 1);
	fsim_destroy(dev);

	/* stm32h7: 2 s, 100 us per 32 bytes */
	dev = tu_preset_dev("stm32h7");
	assert_int_equal(fsim_erase(dev, 0x20000, 0x20000), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x20000, d, 96), FSIM_OK);
	fsim_get_stats(dev, &st);
	assert_int_equal(st.busy_ns, 2000000000ull + 3ull * 100000ull);
	fsim_destroy(dev);

	/* k64f: 14 ms, 8 us per 8 bytes */
	dev = tu_preset_dev("k64f");
	assert_int_equal(fsim_erase(dev, 0x3000, 0x2000), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x3000, d, 16), FSIM_OK);
	fsim_get_stats(dev, &st);
	assert_int_equal(st.busy_ns, 2ull * 14000000ull + 2ull * 8000ull);
	fsim_destroy(dev);

	/* spi-nor: 45 ms; 0.7 ms per 256-byte page */
	dev = tu_preset_dev("spi-nor");
	assert_int_equal(fsim_erase(dev, 0x1000, 0x1000), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x1000, d, 256), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x1100, d, 512), FSIM_OK);
	fsim_get_stats(dev, &st);
	assert_int_equal(st.busy_ns, 45000000ull + 3ull * 700000ull);
	assert_int_equal(st.bytes_programmed, 768);
	fsim_destroy(dev);
}

static void test_reset_stats(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	uint8_t d[64];
	memset(d, 0x12, sizeof d);
	assert_int_equal(fsim_erase(dev, 0x4000, 0x2000), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x4000, d, 64), FSIM_OK);
	assert_int_equal(fsim_program(dev, 0x4000, d, 64), FSIM_ERR_VIOLATION);
	assert_int_equal(fsim_read(dev, 0x4000, d, 64), FSIM_OK);
	uint8_t *content = tu_peek_all(dev);
	uint64_t h = fsim_content_hash(dev);

	fsim_reset_stats(dev);
	struct fsim_stats st;
	fsim_get_stats(dev, &st);
	assert_int_equal(st.mutating_ops, 0);
	assert_int_equal(st.program_ops, 0);
	assert_int_equal(st.erase_ops, 0);
	assert_int_equal(st.read_ops, 0);
	assert_int_equal(st.bytes_programmed, 0);
	assert_int_equal(st.bytes_read, 0);
	assert_int_equal(st.busy_ns, 0);
	assert_int_equal(st.max_sector_erases, 0);
	assert_int_equal(fsim_sector_erases(dev, 4), 0);
	assert_int_equal(fsim_sector_erases(dev, 5), 0);
	assert_int_equal(fsim_violation_count(dev), 0);
	assert_null(fsim_violation_at(dev, 0));
	tu_assert_content(dev, content);
	assert_int_equal(fsim_content_hash(dev), h);

	/* counting starts again */
	assert_int_equal(fsim_erase(dev, 0x4000, 0x1000), FSIM_OK);
	assert_int_equal(fsim_sector_erases(dev, 4), 1);
	fsim_get_stats(dev, &st);
	assert_int_equal(st.max_sector_erases, 1);
	assert_int_equal(st.erase_ops, 1);
	assert_int_equal(st.busy_ns, 85000000ull);
	free(content);
	fsim_destroy(dev);
}

/* ---- Trace --------------------------------------------------------------------------- */

#define MAX_EV 64

struct recorder {
	struct fsim_trace_event ev[MAX_EV];
	int n;
};

static void record(void *ctx, const struct fsim_trace_event *ev)
{
	struct recorder *r = ctx;
	if (r->n < MAX_EV)
		r->ev[r->n] = *ev;
	r->n++;
}

static void expect_ev(const struct recorder *r, int i, enum fsim_op_kind kind, uint64_t op,
		      uint32_t off, uint32_t len, int result, bool cut)
{
	if (i >= r->n)
		fail_msg("trace event %d missing (%d recorded)", i, r->n);
	const struct fsim_trace_event *e = &r->ev[i];
	if (e->kind != kind || e->op_index != op || e->off != off || e->len != len ||
	    e->result != result || e->cut != cut)
		fail_msg("trace event %d: got kind %d op %llu off 0x%x len 0x%x result %d cut %d; "
			 "expected kind %d op %llu off 0x%x len 0x%x result %d cut %d",
			 i, e->kind, (unsigned long long)e->op_index, (unsigned)e->off,
			 (unsigned)e->len, e->result, e->cut, kind, (unsigned long long)op,
			 (unsigned)off, (unsigned)len, result, cut);
}

/* Handler that records what the trace had seen when the cut was delivered. */
struct trace_cut_ctx {
	struct tu_catcher c; /* first member: the catcher's jmp_buf */
	struct recorder *rec;
	int events_at_handler;
	bool last_was_cut;
};

static void trace_cut_handler(void *ctx)
{
	struct trace_cut_ctx *t = ctx;
	t->events_at_handler = t->rec->n;
	t->last_was_cut = t->rec->n > 0 && t->rec->n <= MAX_EV && t->rec->ev[t->rec->n - 1].cut;
	t->c.calls++;
	longjmp(t->c.jb, 1);
}

static void test_trace(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	tu_nrf_partitions(dev);
	static struct recorder rec;
	memset(&rec, 0, sizeof rec);
	fsim_set_trace(dev, record, &rec);
	uint8_t d[16], rd[16];
	memset(d, 0x21, sizeof d);

	assert_int_equal(fsim_read(dev, 0x20000, rd, 16), FSIM_OK);           /* read, next op 0 */
	assert_int_equal(fsim_program(dev, 0x20000, d, 16), FSIM_OK);          /* op 0 */
	assert_int_equal(fsim_program(dev, 0x20000, d, 4), FSIM_ERR_VIOLATION); /* op 1 */
	assert_int_equal(fsim_erase(dev, 0x30000, 0x2000), FSIM_OK);           /* ops 2, 3 */
	assert_int_equal(fsim_erase(dev, 0x1000, 0x1000), FSIM_ERR_VIOLATION);  /* op 4 (boot) */
	assert_int_equal(fsim_program(dev, 0x20011, d, 4), FSIM_ERR_VIOLATION); /* op 5 */
	assert_int_equal(fsim_read(dev, 0x30000, rd, 3), FSIM_OK);             /* read, next 6 */
	/* harness calls are not operations */
	assert_int_equal(fsim_load_bytes(dev, 0x40000, d, 16), FSIM_OK);
	assert_int_equal(fsim_peek(dev, 0x40000, rd, 16), FSIM_OK);
	struct fsim_snapshot *snap = fsim_snapshot_take(dev);
	fsim_snapshot_free(snap);

	assert_int_equal(rec.n, 8);
	expect_ev(&rec, 0, FSIM_OP_READ, 0, 0x20000, 16, FSIM_OK, false);
	expect_ev(&rec, 1, FSIM_OP_PROGRAM, 0, 0x20000, 16, FSIM_OK, false);
	expect_ev(&rec, 2, FSIM_OP_PROGRAM, 1, 0x20000, 4, FSIM_ERR_VIOLATION, false);
	expect_ev(&rec, 3, FSIM_OP_ERASE, 2, 0x30000, 0x1000, FSIM_OK, false);
	expect_ev(&rec, 4, FSIM_OP_ERASE, 3, 0x31000, 0x1000, FSIM_OK, false);
	expect_ev(&rec, 5, FSIM_OP_ERASE, 4, 0x1000, 0x1000, FSIM_ERR_VIOLATION, false);
	expect_ev(&rec, 6, FSIM_OP_PROGRAM, 5, 0x20011, 4, FSIM_ERR_VIOLATION, false);
	expect_ev(&rec, 7, FSIM_OP_READ, 6, 0x30000, 3, FSIM_OK, false);

	/* NULL stops the trace */
	fsim_set_trace(dev, NULL, NULL);
	rec.n = 0;
	assert_int_equal(fsim_program(dev, 0x80000, d, 16), FSIM_OK);
	assert_int_equal(fsim_read(dev, 0x80000, rd, 16), FSIM_OK);
	assert_int_equal(rec.n, 0);
	fsim_destroy(dev);
}

static void test_trace_cut(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	static struct recorder rec;
	memset(&rec, 0, sizeof rec);
	fsim_set_trace(dev, record, &rec);
	uint8_t d[16];
	memset(d, 0x21, sizeof d);
	for (int i = 0; i < 6; i++)
		assert_int_equal(fsim_program(dev, 0x20000 + 16 * (uint32_t)i, d, 16), FSIM_OK);

	/* a cut: the cut op is traced with cut set, before the handler runs */
	static struct trace_cut_ctx tc;
	memset(&tc, 0, sizeof tc);
	tc.rec = &rec;
	fsim_set_power_loss_handler(dev, trace_cut_handler, &tc);
	struct fsim_cut cut = {.op_index = 7, .mode = FSIM_CUT_BETWEEN};
	fsim_arm_cut(dev, &cut);
	rec.n = 0;
	TU_EXPECT_CUT(&tc.c, {
		fsim_program(dev, 0x50000, d, 8);   /* op 6 */
		fsim_erase(dev, 0x60000, 0x2000);   /* op 7: cut at the first sector */
	});
	assert_int_equal(tc.events_at_handler, 2);
	assert_true(tc.last_was_cut);
	assert_int_equal(rec.n, 2);
	expect_ev(&rec, 0, FSIM_OP_PROGRAM, 6, 0x50000, 8, FSIM_OK, false);
	assert_int_equal(rec.ev[1].kind, FSIM_OP_ERASE);
	assert_int_equal(rec.ev[1].op_index, 7);
	assert_int_equal(rec.ev[1].off, 0x60000);
	assert_true(rec.ev[1].cut);

	/* a torn cut on a program */
	cut = (struct fsim_cut){.op_index = tu_next_op(dev) + 1, .mode = FSIM_CUT_TORN,
				.variant = FSIM_TORN_PROG_ALL_BUT_ONE, .seed = 5};
	fsim_arm_cut(dev, &cut);
	rec.n = 0;
	TU_EXPECT_CUT(&tc.c, {
		fsim_program(dev, 0x70000, d, 16);
		fsim_program(dev, 0x70010, d, 16);
	});
	assert_int_equal(rec.n, 2);
	assert_false(rec.ev[0].cut);
	assert_true(rec.ev[1].cut);
	assert_int_equal(rec.ev[1].kind, FSIM_OP_PROGRAM);
	assert_int_equal(rec.ev[1].op_index, cut.op_index);
	assert_int_equal(rec.ev[1].off, 0x70010);
	assert_int_equal(rec.ev[1].len, 16);
	assert_true(tc.last_was_cut);
	fsim_destroy(dev);
}

/* A cut at a refused erase: the event still names the op's offset. */
static void test_trace_cut_refused_erase(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	static struct recorder rec;
	memset(&rec, 0, sizeof rec);
	fsim_set_trace(dev, record, &rec);
	static struct trace_cut_ctx tc;
	memset(&tc, 0, sizeof tc);
	tc.rec = &rec;
	fsim_set_power_loss_handler(dev, trace_cut_handler, &tc);
	struct fsim_cut cut = {.op_index = 0, .mode = FSIM_CUT_BETWEEN};
	fsim_arm_cut(dev, &cut);
	rec.n = 0;
	TU_EXPECT_CUT(&tc.c, fsim_erase(dev, 0x60800, 0x800));
	fsim_destroy(dev);
	assert_int_equal(rec.n, 1);
	assert_int_equal(rec.ev[0].kind, FSIM_OP_ERASE);
	assert_int_equal(rec.ev[0].op_index, cut.op_index);
	assert_true(rec.ev[0].cut);
	if (rec.ev[0].off != 0x60800)
		fail_msg("cut at a refused erase of 0x60800: trace event offset 0x%x len 0x%x",
			 (unsigned)rec.ev[0].off, (unsigned)rec.ev[0].len);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats_nrf52840),
		cmocka_unit_test(test_timing_presets),
		cmocka_unit_test(test_reset_stats),
		cmocka_unit_test(test_trace),
		cmocka_unit_test(test_trace_cut),
		cmocka_unit_test(test_trace_cut_refused_erase),
	};
	return cmocka_run_group_tests_name("flashsim-accounting", tests, NULL, NULL);
}
