/*
 * flashsim power cuts: between cuts (ops before n applied, op n not, nothing after), the
 * power-loss handler (exactly once, code after the cut never runs, abort without one), torn
 * programs and erases (every variant, many seeds, determinism), and metastable cells.
 */
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fsim_test_util.h"

#define SEEDS 300

static void arm(struct fsim_device *dev, uint64_t op, enum fsim_cut_mode mode, uint32_t variant,
		uint64_t seed, bool metastable)
{
	struct fsim_cut c;
	memset(&c, 0, sizeof c);
	c.op_index = op;
	c.mode = mode;
	c.variant = variant;
	c.seed = seed;
	c.metastable = metastable;
	fsim_arm_cut(dev, &c);
	assert_true(fsim_cut_armed(dev));
}

/* ---- Between cuts -------------------------------------------------------------------- */

/* Six programs to six sectors; cut between at op n: programs 0..n-1 applied, n not, and the
 * loop never gets past n. */
static void between_programs_case(uint32_t n)
{
	{
		struct fsim_device *dev = tu_preset_dev("nrf52840");
		struct tu_catcher cc;
		tu_catch(dev, &cc);
		uint8_t data[6][64];
		for (int i = 0; i < 6; i++)
			tu_fill_random_not(data[i], 64, 50 + (uint64_t)i, 0xff);
		arm(dev, n, FSIM_CUT_BETWEEN, 0, 1, false);
		volatile int last_done = -1;
		TU_EXPECT_CUT(&cc, for (int i = 0; i < 6; i++) {
			assert_int_equal(fsim_program(dev, 0x1000u * (uint32_t)i, data[i], 64),
					 FSIM_OK);
			last_done = i;
		});
		assert_int_equal(last_done, (int)n - 1);
		assert_false(fsim_cut_armed(dev));
		uint8_t rd[64];
		for (uint32_t i = 0; i < 6; i++) {
			assert_int_equal(fsim_peek(dev, 0x1000 * i, rd, 64), FSIM_OK);
			if (i < n)
				assert_memory_equal(rd, data[i], 64);
			else
				assert_true(tu_all_equal(rd, 64, 0xff));
		}
		struct fsim_stats st;
		fsim_get_stats(dev, &st);
		assert_int_equal(st.bytes_programmed, 64u * n);
		fsim_destroy(dev);
	}
}

static void test_between_cut_programs(void **state)
{
	(void)state;
	for (uint32_t n = 0; n <= 5; n++)
		between_programs_case(n);
}

/* A three-sector erase is three ops: a cut between at the middle one leaves the first
 * sector erased and the other two untouched. */
static void test_between_cut_multi_sector_erase(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	struct tu_catcher cc;
	tu_catch(dev, &cc);
	uint8_t pat[0x3000];
	tu_fill_random(pat, sizeof pat, 77);
	assert_int_equal(fsim_load_bytes(dev, 0x20000, pat, sizeof pat), FSIM_OK);
	uint64_t op = tu_next_op(dev);
	arm(dev, op + 1, FSIM_CUT_BETWEEN, 0, 0, false);
	TU_EXPECT_CUT(&cc, fsim_erase(dev, 0x20000, 0x3000));
	uint8_t rd[0x3000];
	assert_int_equal(fsim_peek(dev, 0x20000, rd, sizeof rd), FSIM_OK);
	assert_true(tu_all_equal(rd, 0x1000, 0xff));
	assert_memory_equal(rd + 0x1000, pat + 0x1000, 0x2000);
	assert_int_equal(fsim_sector_erases(dev, 0x20), 1);
	assert_int_equal(fsim_sector_erases(dev, 0x21), 0);
	assert_int_equal(fsim_sector_erases(dev, 0x22), 0);
	fsim_destroy(dev);
}

/* Runs the mixed sequence until the armed cut; returns how many ops completed. */
static int mixed_until_cut(struct fsim_device *dev, struct tu_catcher *cc, const uint8_t *d1,
			   const uint8_t *d2, const uint8_t *d3)
{
	volatile int step = 0;
	TU_EXPECT_CUT(cc, {
		fsim_erase(dev, 0x3000, 0x1000);
		step = 1;
		fsim_program(dev, 0x3000, d1, 16);
		step = 2;
		fsim_program(dev, 0x5000, d2, 16);
		step = 3;
		fsim_erase(dev, 0x5000, 0x1000);
		step = 4;
		fsim_program(dev, 0x6000, d3, 16);
		step = 5;
	});
	return step;
}

/* Mixed ops: erase, program, program, erase, program; cut at each n in turn. */
static void test_between_cut_mixed_sequence(void **state)
{
	(void)state;
	uint8_t pat[0x1000], d1[16], d2[16], d3[16];
	tu_fill_random(pat, sizeof pat, 3);
	tu_fill_random_not(d1, 16, 4, 0xff);
	tu_fill_random_not(d2, 16, 5, 0xff);
	tu_fill_random_not(d3, 16, 6, 0xff);
	for (uint32_t n = 0; n < 5; n++) {
		struct fsim_device *dev = tu_preset_dev("nrf52840");
		struct fsim_device *ref = tu_preset_dev("nrf52840");
		struct tu_catcher cc;
		tu_catch(dev, &cc);
		assert_int_equal(fsim_load_bytes(dev, 0x3000, pat, sizeof pat), FSIM_OK);
		assert_int_equal(fsim_load_bytes(ref, 0x3000, pat, sizeof pat), FSIM_OK);
		/* the reference applies ops 0..n-1 without any cut */
		for (uint32_t i = 0; i < n; i++) {
			switch (i) {
			case 0: assert_int_equal(fsim_erase(ref, 0x3000, 0x1000), FSIM_OK); break;
			case 1: assert_int_equal(fsim_program(ref, 0x3000, d1, 16), FSIM_OK); break;
			case 2: assert_int_equal(fsim_program(ref, 0x5000, d2, 16), FSIM_OK); break;
			case 3: assert_int_equal(fsim_erase(ref, 0x5000, 0x1000), FSIM_OK); break;
			default: break;
			}
		}
		uint8_t *expect = tu_peek_all(ref);
		arm(dev, n, FSIM_CUT_BETWEEN, 0, 0, false);
		assert_int_equal(mixed_until_cut(dev, &cc, d1, d2, d3), (int)n);
		tu_assert_content(dev, expect);
		assert_int_equal(fsim_content_hash(dev), fsim_content_hash(ref));
		free(expect);
		fsim_destroy(dev);
		fsim_destroy(ref);
	}
}

/* A cut armed past the last op never fires: the run completes and the cut stays armed. */
static void test_cut_after_last_op(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	struct tu_catcher cc;
	tu_catch(dev, &cc);
	arm(dev, 3, FSIM_CUT_BETWEEN, 0, 0, false);
	uint8_t d[4] = {1, 2, 3, 4};
	assert_int_equal(fsim_program(dev, 0, d, 4), FSIM_OK);
	assert_int_equal(fsim_program(dev, 4, d, 4), FSIM_OK);
	assert_int_equal(fsim_program(dev, 8, d, 4), FSIM_OK);
	assert_int_equal(cc.calls, 0);
	assert_true(fsim_cut_armed(dev));
	/* reads are not cut points */
	uint8_t rd[16];
	for (int i = 0; i < 10; i++)
		assert_int_equal(fsim_read(dev, 0, rd, 16), FSIM_OK);
	assert_int_equal(cc.calls, 0);
	fsim_disarm_cut(dev);
	assert_false(fsim_cut_armed(dev));
	assert_int_equal(fsim_program(dev, 12, d, 4), FSIM_OK); /* op 3: disarmed, no cut */
	assert_int_equal(cc.calls, 0);
	fsim_destroy(dev);
}

/* The handler runs exactly once per cut; the device keeps working after the power-on path;
 * re-arming cuts again; arming replaces an earlier cut. */
static void test_handler_once_per_cut(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	struct tu_catcher cc;
	tu_catch(dev, &cc);
	uint8_t d[4] = {0x11, 0x22, 0x33, 0x44};
	arm(dev, 10, FSIM_CUT_BETWEEN, 0, 0, false);
	arm(dev, 1, FSIM_CUT_BETWEEN, 0, 0, false); /* replaces the cut at 10 */
	volatile uint32_t i = 0;
	TU_EXPECT_CUT(&cc, for (i = 0; i < 20; i++) fsim_program(dev, 0x100 + 4 * i, d, 4));
	assert_int_equal(i, 1);
	assert_int_equal(cc.calls, 1);
	/* power-on path: keep going past op 10; no second call */
	for (uint32_t k = 0; k < 20; k++)
		assert_int_equal(fsim_program(dev, 0x1000 + 4 * k, d, 4), FSIM_OK);
	assert_int_equal(fsim_erase(dev, 0x1000, 0x1000), FSIM_OK);
	assert_int_equal(cc.calls, 1);
	/* a second cut */
	uint64_t op = tu_next_op(dev);
	arm(dev, op + 2, FSIM_CUT_TORN, 0, 99, false);
	TU_EXPECT_CUT(&cc, for (i = 0; i < 5; i++) fsim_program(dev, 0x2000 + 64 * i, d, 4));
	assert_int_equal(i, 2);
	assert_int_equal(cc.calls, 2);
	assert_false(fsim_cut_armed(dev));
	fsim_destroy(dev);
}

/* No handler: the cut aborts the process (checked in a child process). */
static void test_cut_without_handler_aborts(void **state)
{
	(void)state;
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		signal(SIGABRT, SIG_DFL); /* the default action, whatever the runner installed */
		struct fsim_geometry g;
		char err[256];
		if (fsim_preset("nrf52840", &g) != 0)
			_exit(2);
		struct fsim_device *dev = fsim_create(&g, err, sizeof err);
		if (!dev)
			_exit(3);
		struct fsim_cut c;
		memset(&c, 0, sizeof c);
		c.op_index = 0;
		fsim_arm_cut(dev, &c);
		uint8_t d[4] = {0};
		/* stderr of the child is noise here */
		if (!freopen("/dev/null", "w", stderr))
			_exit(4);
		fsim_program(dev, 0, d, 4);
		_exit(0); /* continued past the cut: wrong */
	}
	int status = 0;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGABRT);
}

/* ---- Torn programs ------------------------------------------------------------------- */

struct torn_geo {
	uint32_t wu;
	uint8_t ev;
	uint32_t len; /* program length */
};

static const struct torn_geo torn_geos[] = {
	{4, 0xff, 64},  /* nrf52840-like: 16 units */
	{1, 0xff, 24},  /* spi-nor-like: 24 units of one byte */
	{8, 0xff, 64},  /* stm32l4/k64f-like: 8 units */
	{32, 0xff, 128}, /* stm32h7-like: 4 units */
	{4, 0x00, 64},  /* erase value 0x00 */
};

/* Run one torn program on a fresh device; return the sector content after the cut. */
static void torn_program_run(const struct torn_geo *tg, uint32_t variant, uint64_t seed,
			     const uint8_t *data, uint32_t off, uint8_t *out_sector)
{
	struct fsim_device *dev = tu_geom_dev(4, 4096, tg->wu, tg->ev);
	struct tu_catcher cc;
	tu_catch(dev, &cc);
	/* an earlier, complete program elsewhere in the same sector */
	uint8_t early[32];
	memset(early, 0x5a, sizeof early);
	assert_int_equal(fsim_program(dev, 4096 + 2048, early, 32), FSIM_OK);
	struct fsim_stats st0, st1;
	fsim_get_stats(dev, &st0);
	arm(dev, st0.mutating_ops, FSIM_CUT_TORN, variant, seed, false);
	TU_EXPECT_CUT(&cc, fsim_program(dev, off, data, tg->len));
	assert_false(fsim_cut_armed(dev));
	fsim_get_stats(dev, &st1);
	assert_int_equal(st1.mutating_ops, st0.mutating_ops + 1);
	assert_int_equal(fsim_peek(dev, 4096, out_sector, 4096), FSIM_OK);
	/* the rest of the device is untouched */
	uint8_t other[4096];
	assert_int_equal(fsim_peek(dev, 0, other, 4096), FSIM_OK);
	assert_true(tu_all_equal(other, 4096, tg->ev));
	assert_int_equal(fsim_peek(dev, 8192, other, 4096), FSIM_OK);
	assert_true(tu_all_equal(other, 4096, tg->ev));
	/* the hash follows the torn content */
	struct fsim_device *ref = tu_geom_dev(4, 4096, tg->wu, tg->ev);
	assert_int_equal(fsim_load_bytes(ref, 4096, out_sector, 4096), FSIM_OK);
	assert_int_equal(fsim_content_hash(ref), fsim_content_hash(dev));
	fsim_destroy(ref);
	fsim_destroy(dev);
}

static void torn_program_variant(uint32_t variant)
{
	for (size_t gi = 0; gi < sizeof torn_geos / sizeof torn_geos[0]; gi++) {
		const struct torn_geo *tg = &torn_geos[gi];
		const uint32_t off = 4096 + 4 * tg->wu; /* inside sector 1 */
		const uint32_t units = tg->len / tg->wu;
		uint8_t data[128];
		uint8_t sector[4096], again[4096];
		uint32_t k_seen[129] = {0};
		uint32_t distinct_first = 0;
		uint8_t first_result[128];
		/* the same data for every seed: what varies is the cut's seed alone */
		tu_fill_random_not(data, tg->len, 1000 + gi, tg->ev);
		for (uint64_t seed = 0; seed < SEEDS; seed++) {
			torn_program_run(tg, variant, seed, data, off, sector);
			const uint8_t *res = sector + (off - 4096);
			/* outside the programmed range: old content (erased, and the earlier
			 * program) */
			assert_true(tu_all_equal(sector, off - 4096, tg->ev));
			assert_true(tu_all_equal(res + tg->len, 2048 - (off - 4096) - tg->len, tg->ev));
			for (int i = 0; i < 32; i++)
				assert_int_equal(sector[2048 + i], 0x5a);
			assert_true(tu_all_equal(sector + 2048 + 32, 4096 - 2048 - 32, tg->ev));
			/* every bit either old (erased) or intended; at least one not intended */
			int not_intended_bits = 0;
			for (uint32_t i = 0; i < tg->len; i++) {
				uint8_t old = tg->ev;
				if (((res[i] ^ old) & (res[i] ^ data[i])) != 0)
					fail_msg("geo %zu variant %u seed %llu: byte %u = 0x%02x is "
						 "neither old 0x%02x nor intended 0x%02x",
						 gi, variant, (unsigned long long)seed, i, res[i], old,
						 data[i]);
				not_intended_bits += tu_popcount8(res[i] ^ data[i]);
			}
			if (not_intended_bits == 0)
				fail_msg("geo %zu variant %u seed %llu: torn program fully applied", gi,
					 variant, (unsigned long long)seed);

			switch (variant % FSIM_TORN_PROG_VARIANTS) {
			case FSIM_TORN_PROG_PREFIX: {
				/* a prefix of k whole units done, the rest untouched, k < units */
				uint32_t k = 0;
				while (k < units && memcmp(res + k * tg->wu, data + k * tg->wu, tg->wu) == 0)
					k++;
				assert_true(k < units);
				for (uint32_t u = k; u < units; u++)
					if (!tu_all_equal(res + u * tg->wu, tg->wu, tg->ev))
						fail_msg("geo %zu seed %llu PREFIX: unit %u of %u touched "
							 "after prefix of %u",
							 gi, (unsigned long long)seed, u, units, k);
				k_seen[k]++;
				break;
			}
			case FSIM_TORN_PROG_SOME_BITS: {
				/* units before j done, unit j a strict subset of its changes, later
				 * units untouched */
				uint32_t j = 0;
				while (j < units && memcmp(res + j * tg->wu, data + j * tg->wu, tg->wu) == 0)
					j++;
				assert_true(j < units);
				for (uint32_t u = j + 1; u < units; u++)
					if (!tu_all_equal(res + u * tg->wu, tg->wu, tg->ev))
						fail_msg("geo %zu seed %llu SOME_BITS: unit %u touched after "
							 "partial unit %u",
							 gi, (unsigned long long)seed, u, j);
				break;
			}
			case FSIM_TORN_PROG_ALL_BUT_ONE:
				if (not_intended_bits != 1)
					fail_msg("geo %zu seed %llu ALL_BUT_ONE: %d bits differ from "
						 "intended",
						 gi, (unsigned long long)seed, not_intended_bits);
				break;
			default:
				break;
			}

			/* different seeds give different outcomes (over the run) */
			if (seed == 0)
				memcpy(first_result, res, tg->len);
			else if (memcmp(first_result, res, tg->len) != 0)
				distinct_first++;

			/* determinism: the same seed again gives the same bytes; the variant is
			 * taken modulo the variant count */
			if (seed % 37 == 0) {
				torn_program_run(tg, variant, seed, data, off, again);
				assert_memory_equal(sector, again, 4096);
				torn_program_run(tg, variant + FSIM_TORN_PROG_VARIANTS, seed, data, off,
						 again);
				assert_memory_equal(sector, again, 4096);
			}
		}
		assert_true(distinct_first > 0);
		if (variant % FSIM_TORN_PROG_VARIANTS == FSIM_TORN_PROG_PREFIX && units > 2) {
			/* the prefix length varies with the seed */
			uint32_t kinds = 0;
			for (uint32_t k = 0; k <= units; k++)
				kinds += k_seen[k] != 0;
			assert_true(kinds >= 2);
		}
	}
}

static void test_torn_program_prefix(void **state)
{
	(void)state;
	torn_program_variant(FSIM_TORN_PROG_PREFIX);
}

static void test_torn_program_some_bits(void **state)
{
	(void)state;
	torn_program_variant(FSIM_TORN_PROG_SOME_BITS);
}

static void test_torn_program_all_but_one(void **state)
{
	(void)state;
	torn_program_variant(FSIM_TORN_PROG_ALL_BUT_ONE);
}

/* A torn program across a sector boundary (and across a write-protected neighbour that it
 * does not touch): the same rules, and the hash follows. */
static void torn_across_case(uint32_t v, uint64_t seed, const uint8_t *data)
{
	{
		{
			struct fsim_device *dev = tu_preset_dev("nrf52840");
			struct tu_catcher cc;
			tu_catch(dev, &cc);
			arm(dev, 0, FSIM_CUT_TORN, v, seed, seed & 1);
			TU_EXPECT_CUT(&cc, fsim_program(dev, 0x1FE0, data, 64));
			uint8_t res[64];
			assert_int_equal(fsim_peek(dev, 0x1FE0, res, sizeof res), FSIM_OK);
			int off_bits = 0;
			for (int i = 0; i < 64; i++) {
				assert_int_equal((res[i] ^ 0xff) & (res[i] ^ data[i]), 0);
				off_bits += tu_popcount8(res[i] ^ data[i]);
			}
			assert_true(off_bits > 0);
			if (v == FSIM_TORN_PROG_ALL_BUT_ONE)
				assert_int_equal(off_bits, 1);
			struct fsim_device *ref = tu_preset_dev("nrf52840");
			assert_int_equal(fsim_load_bytes(ref, 0x1FE0, res, sizeof res), FSIM_OK);
			assert_int_equal(fsim_content_hash(ref), fsim_content_hash(dev));
			fsim_destroy(ref);
			/* recovery: erase both sectors, program again, everything stable */
			assert_int_equal(fsim_erase(dev, 0x1000, 0x2000), FSIM_OK);
			assert_int_equal(fsim_program(dev, 0x1FE0, data, 64), FSIM_OK);
			uint8_t rd[64];
			for (int r = 0; r < 4; r++) {
				assert_int_equal(fsim_read(dev, 0x1FE0, rd, sizeof rd), FSIM_OK);
				assert_memory_equal(rd, data, 64);
			}
			fsim_destroy(dev);
		}
	}
}

static void test_torn_program_across_sectors(void **state)
{
	(void)state;
	uint8_t data[64];
	tu_fill_random_not(data, sizeof data, 31, 0xff);
	for (uint32_t v = 0; v < FSIM_TORN_PROG_VARIANTS; v++)
		for (uint64_t seed = 0; seed < 40; seed++)
			torn_across_case(v, seed, data);
}

static void test_torn_variants_count(void **state)
{
	(void)state;
	assert_int_equal(fsim_torn_variants(false), FSIM_TORN_PROG_VARIANTS);
	assert_int_equal(fsim_torn_variants(true), FSIM_TORN_ERASE_VARIANTS);
}

/* ---- Torn erases --------------------------------------------------------------------- */

/* Returns the sector content after a torn erase of sector 1 holding `old`. */
static void torn_erase_run(uint8_t ev, uint32_t variant, uint64_t seed, const uint8_t *old,
			   uint8_t *out)
{
	struct fsim_device *dev = tu_geom_dev(4, 4096, 4, ev);
	struct tu_catcher cc;
	tu_catch(dev, &cc);
	assert_int_equal(fsim_load_bytes(dev, 4096, old, 4096), FSIM_OK);
	uint8_t nb[4096];
	memset(nb, 0xa5, sizeof nb);
	assert_int_equal(fsim_load_bytes(dev, 0, nb, 4096), FSIM_OK);
	assert_int_equal(fsim_load_bytes(dev, 8192, nb, 4096), FSIM_OK);
	struct fsim_stats st0, st1;
	fsim_get_stats(dev, &st0);
	arm(dev, st0.mutating_ops, FSIM_CUT_TORN, variant, seed, false);
	TU_EXPECT_CUT(&cc, fsim_erase(dev, 4096, 4096));
	fsim_get_stats(dev, &st1);
	assert_int_equal(st1.erase_ops, st0.erase_ops + 1); /* torn erases are counted */
	assert_int_equal(fsim_peek(dev, 4096, out, 4096), FSIM_OK);
	/* neighbours untouched */
	uint8_t rd[4096];
	assert_int_equal(fsim_peek(dev, 0, rd, 4096), FSIM_OK);
	assert_memory_equal(rd, nb, 4096);
	assert_int_equal(fsim_peek(dev, 8192, rd, 4096), FSIM_OK);
	assert_memory_equal(rd, nb, 4096);
	/* the hash follows */
	struct fsim_device *ref = tu_geom_dev(4, 4096, 4, ev);
	assert_int_equal(fsim_load_bytes(ref, 0, nb, 4096), FSIM_OK);
	assert_int_equal(fsim_load_bytes(ref, 8192, nb, 4096), FSIM_OK);
	assert_int_equal(fsim_load_bytes(ref, 4096, out, 4096), FSIM_OK);
	assert_int_equal(fsim_content_hash(ref), fsim_content_hash(dev));
	fsim_destroy(ref);
	/* recovery: erasing again gives a clean sector */
	assert_int_equal(fsim_erase(dev, 4096, 4096), FSIM_OK);
	assert_int_equal(fsim_peek(dev, 4096, rd, 4096), FSIM_OK);
	assert_true(tu_all_equal(rd, 4096, ev));
	fsim_destroy(dev);
}

static void torn_erase_variant(uint8_t ev, uint32_t variant)
{
	const uint8_t programmed = (uint8_t)~ev;
	uint8_t old[4096], res[4096], again[4096];
	uint32_t seeds_changed = 0;
	for (uint64_t seed = 0; seed < SEEDS / 3; seed++) {
		/* old content: random bytes, plus a run of erased bytes and of fully programmed
		 * bytes */
		tu_fill_random(old, sizeof old, 5000 + seed);
		memset(old + 100, ev, 200);
		memset(old + 400, programmed, 200);
		torn_erase_run(ev, variant, seed, old, res);
		size_t to_programmed = 0, to_erased = 0, still_old_not_erased = 0;
		for (size_t i = 0; i < 4096; i++) {
			for (int b = 0; b < 8; b++) {
				int o = (old[i] >> b) & 1, r = (res[i] >> b) & 1, e = (ev >> b) & 1;
				if (variant % FSIM_TORN_ERASE_VARIANTS == FSIM_TORN_ERASE_PREPROGRAM) {
					/* only moves to the programmed state: a bit may go from erased
					 * to programmed, never from programmed to erased */
					if (o != e && r == e)
						fail_msg("ev 0x%02x seed %llu PREPROGRAM: byte %zu bit %d "
							 "went back to erased (old 0x%02x now 0x%02x)",
							 ev, (unsigned long long)seed, i, b, old[i], res[i]);
					if (o == e && r != e)
						to_programmed++;
				} else {
					/* each bit erased or old */
					if (r != o && r != e)
						fail_msg("ev 0x%02x seed %llu PULSES: byte %zu bit %d is "
							 "neither old nor erased",
							 ev, (unsigned long long)seed, i, b);
					if (o != e && r == e)
						to_erased++;
					if (o != e && r == o)
						still_old_not_erased++;
				}
			}
		}
		if (variant % FSIM_TORN_ERASE_VARIANTS == FSIM_TORN_ERASE_PREPROGRAM) {
			/* some cells moved to the programmed state */
			if (to_programmed == 0)
				fail_msg("ev 0x%02x seed %llu PREPROGRAM: no bit moved to the "
					 "programmed state", ev, (unsigned long long)seed);
			/* nothing that was programmed looks erased */
			for (size_t i = 0; i < 4096; i++)
				if (old[i] != ev)
					assert_int_not_equal(res[i], ev);
			seeds_changed++;
		} else {
			/* a mix: some programmed bits erased, some still old; never fully erased */
			if (to_erased == 0 || still_old_not_erased == 0)
				fail_msg("ev 0x%02x seed %llu PULSES: not a mix (%zu bits erased, %zu "
					 "still programmed)",
					 ev, (unsigned long long)seed, to_erased, still_old_not_erased);
			assert_false(tu_all_equal(res, 4096, ev));
			seeds_changed++;
		}
		if (seed % 17 == 0) {
			torn_erase_run(ev, variant, seed, old, again);
			assert_memory_equal(res, again, 4096);
			torn_erase_run(ev, variant + FSIM_TORN_ERASE_VARIANTS, seed, old, again);
			assert_memory_equal(res, again, 4096);
		}
	}
	assert_int_equal(seeds_changed, SEEDS / 3);
}

static void test_torn_erase_preprogram_ff(void **state)
{
	(void)state;
	torn_erase_variant(0xff, FSIM_TORN_ERASE_PREPROGRAM);
}

static void test_torn_erase_preprogram_00(void **state)
{
	(void)state;
	torn_erase_variant(0x00, FSIM_TORN_ERASE_PREPROGRAM);
}

static void test_torn_erase_pulses_ff(void **state)
{
	(void)state;
	torn_erase_variant(0xff, FSIM_TORN_ERASE_PULSES);
}

static void test_torn_erase_pulses_00(void **state)
{
	(void)state;
	torn_erase_variant(0x00, FSIM_TORN_ERASE_PULSES);
}

/* ---- Metastable cells ---------------------------------------------------------------- */

#define META_READS 24

/* Cut a program (or an erase) torn with metastable set; record META_READS reads of the
 * touched range into reads[]. Returns the device (caller destroys). */
static struct fsim_device *meta_run(bool erase, uint32_t variant, uint64_t seed, bool meta,
				    enum fsim_cut_mode mode, uint8_t reads[META_READS][256])
{
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	struct tu_catcher cc;
	tu_catch(dev, &cc);
	uint8_t data[256];
	tu_fill_random_not(data, sizeof data, 42, 0xff);
	if (erase)
		assert_int_equal(fsim_program(dev, 0x5000, data, sizeof data), FSIM_OK);
	arm(dev, tu_next_op(dev), mode, variant, seed, meta);
	if (erase)
		TU_EXPECT_CUT(&cc, fsim_erase(dev, 0x5000, 0x1000));
	else
		TU_EXPECT_CUT(&cc, fsim_program(dev, 0x5000, data, sizeof data));
	for (int r = 0; r < META_READS; r++)
		assert_int_equal(fsim_read(dev, 0x5000, reads[r], 256), FSIM_OK);
	return dev;
}

static int count_distinct(uint8_t reads[META_READS][256])
{
	int distinct = 0;
	for (int r = 0; r < META_READS; r++) {
		int seen = 0;
		for (int q = 0; q < r; q++)
			if (memcmp(reads[q], reads[r], 256) == 0)
				seen = 1;
		distinct += !seen;
	}
	return distinct;
}

static void metastable_case(bool erase, uint32_t variant)
{
	static uint8_t reads_a[META_READS][256], reads_b[META_READS][256];
	for (uint64_t seed = 1; seed <= 5; seed++) {
		struct fsim_device *a = meta_run(erase, variant, seed, true, FSIM_CUT_TORN, reads_a);
		/* unstable: successive reads differ */
		if (count_distinct(reads_a) < 2)
			fail_msg("%s variant %u seed %llu: %d reads of metastable cells all equal",
				 erase ? "erase" : "program", variant, (unsigned long long)seed,
				 META_READS);
		/* reproducible: an independent run with the same seed reads the same sequence */
		struct fsim_device *b = meta_run(erase, variant, seed, true, FSIM_CUT_TORN, reads_b);
		assert_memory_equal(reads_a, reads_b, sizeof reads_a);
		fsim_destroy(b);

		/* peek is stable, and reads do not change the stored content or its hash */
		uint8_t p0[256], p1[256];
		uint64_t h = fsim_content_hash(a);
		assert_int_equal(fsim_peek(a, 0x5000, p0, 256), FSIM_OK);
		for (int r = 0; r < 10; r++) {
			uint8_t tmp[256];
			assert_int_equal(fsim_read(a, 0x5000, tmp, 256), FSIM_OK);
			assert_int_equal(fsim_peek(a, 0x5000, p1, 256), FSIM_OK);
			assert_memory_equal(p0, p1, 256);
		}
		assert_int_equal(fsim_content_hash(a), h);

		/* cells the op did not touch read stably and equal to peek */
		uint8_t o0[256], o1[256];
		assert_int_equal(fsim_read(a, 0x8000, o0, 256), FSIM_OK);
		for (int r = 0; r < 10; r++) {
			assert_int_equal(fsim_read(a, 0x8000, o1, 256), FSIM_OK);
			assert_memory_equal(o0, o1, 256);
		}
		assert_true(tu_all_equal(o0, 256, 0xff));

		/* erasing the sector makes reads stable again, also after a new program */
		assert_int_equal(fsim_erase(a, 0x5000, 0x1000), FSIM_OK);
		uint8_t r0[256], r1[256];
		for (int r = 0; r < 10; r++) {
			assert_int_equal(fsim_read(a, 0x5000, r0, 256), FSIM_OK);
			assert_true(tu_all_equal(r0, 256, 0xff));
		}
		uint8_t data[256];
		tu_fill_random(data, sizeof data, 8);
		assert_int_equal(fsim_program(a, 0x5000, data, 256), FSIM_OK);
		for (int r = 0; r < 10; r++) {
			assert_int_equal(fsim_read(a, 0x5000, r1, 256), FSIM_OK);
			assert_memory_equal(r1, data, 256);
		}
		fsim_destroy(a);
	}
}

static void test_metastable_torn_program(void **state)
{
	(void)state;
	metastable_case(false, FSIM_TORN_PROG_SOME_BITS);
	metastable_case(false, FSIM_TORN_PROG_ALL_BUT_ONE);
}

static void test_metastable_torn_erase(void **state)
{
	(void)state;
	metastable_case(true, FSIM_TORN_ERASE_PREPROGRAM);
	metastable_case(true, FSIM_TORN_ERASE_PULSES);
}

/* Without the flag, or on a between cut, reads are stable and equal to peek. */
static void test_not_metastable_is_stable(void **state)
{
	(void)state;
	static uint8_t reads[META_READS][256];
	struct fsim_device *dev = meta_run(false, FSIM_TORN_PROG_SOME_BITS, 3, false, FSIM_CUT_TORN,
					   reads);
	assert_int_equal(count_distinct(reads), 1);
	uint8_t p[256];
	assert_int_equal(fsim_peek(dev, 0x5000, p, 256), FSIM_OK);
	assert_memory_equal(p, reads[0], 256);
	fsim_destroy(dev);

	dev = meta_run(false, 0, 3, true, FSIM_CUT_BETWEEN, reads);
	assert_int_equal(count_distinct(reads), 1);
	assert_true(tu_all_equal(reads[0], 256, 0xff));
	fsim_destroy(dev);

	dev = meta_run(true, FSIM_TORN_ERASE_PULSES, 3, false, FSIM_CUT_TORN, reads);
	assert_int_equal(count_distinct(reads), 1);
	fsim_destroy(dev);
}

/* Several metastable cuts in a row (power lost again and again during recovery): the
 * cells of every one of them stay unstable until their own sector is erased. */
static void test_metastable_many_cuts(void **state)
{
	(void)state;
	struct fsim_device *dev = tu_preset_dev("nrf52840");
	struct tu_catcher cc;
	tu_catch(dev, &cc);
	enum { CUTS = 12 };
	uint8_t data[64];
	tu_fill_random_not(data, sizeof data, 9, 0xff);
	for (uint32_t k = 0; k < CUTS; k++) {
		arm(dev, tu_next_op(dev), FSIM_CUT_TORN, FSIM_TORN_PROG_ALL_BUT_ONE, 100 + k, true);
		TU_EXPECT_CUT(&cc, fsim_program(dev, 0x40000 + k * 0x1000, data, sizeof data));
	}
	uint32_t stable = 0, first_stable = CUTS;
	for (uint32_t k = 0; k < CUTS; k++) {
		uint8_t r0[64], r1[64];
		int differ = 0;
		assert_int_equal(fsim_read(dev, 0x40000 + k * 0x1000, r0, 64), FSIM_OK);
		for (int i = 0; i < 32 && !differ; i++) {
			assert_int_equal(fsim_read(dev, 0x40000 + k * 0x1000, r1, 64), FSIM_OK);
			differ = memcmp(r0, r1, 64) != 0;
		}
		if (!differ) {
			stable++;
			if (first_stable == CUTS)
				first_stable = k;
		}
	}
	fsim_destroy(dev);
	if (stable)
		fail_msg("metastable cells of %u of %u cuts (the first: cut %u) read stably before "
			 "any erase",
			 stable, CUTS, first_stable);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_between_cut_programs),
		cmocka_unit_test(test_between_cut_multi_sector_erase),
		cmocka_unit_test(test_between_cut_mixed_sequence),
		cmocka_unit_test(test_cut_after_last_op),
		cmocka_unit_test(test_handler_once_per_cut),
		cmocka_unit_test(test_cut_without_handler_aborts),
		cmocka_unit_test(test_torn_variants_count),
		cmocka_unit_test(test_torn_program_prefix),
		cmocka_unit_test(test_torn_program_some_bits),
		cmocka_unit_test(test_torn_program_all_but_one),
		cmocka_unit_test(test_torn_program_across_sectors),
		cmocka_unit_test(test_torn_erase_preprogram_ff),
		cmocka_unit_test(test_torn_erase_preprogram_00),
		cmocka_unit_test(test_torn_erase_pulses_ff),
		cmocka_unit_test(test_torn_erase_pulses_00),
		cmocka_unit_test(test_metastable_torn_program),
		cmocka_unit_test(test_metastable_torn_erase),
		cmocka_unit_test(test_not_metastable_is_stable),
		cmocka_unit_test(test_metastable_many_cuts),
	};
	return cmocka_run_group_tests_name("flashsim-cut", tests, NULL, NULL);
}
