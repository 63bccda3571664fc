/* Flash errors (flashsim.h, "Flash errors"): the failing op reports FSIM_ERR_FAULT and
 * changes what the kind says; stuck bits and bad sectors last; other ops are unaffected. */
#include "tests/flashsim/fsim_test_util.h"

static struct fsim_device *dev4k(void)
{
	struct fsim_geometry g;
	assert_int_equal(fsim_preset("nrf52840", &g), FSIM_OK);
	struct fsim_device *d = fsim_create(&g, NULL, 0);
	assert_non_null(d);
	return d;
}

static uint64_t next_op(const struct fsim_device *d)
{
	struct fsim_stats st;
	fsim_get_stats(d, &st);
	return st.mutating_ops;
}

static void program_error_writes_nothing(void **state)
{
	(void)state;
	struct fsim_device *d = dev4k();
	uint8_t data[8] = {1, 2, 3, 4, 5, 6, 7, 8}, got[8];
	fsim_arm_fault(d, &(struct fsim_fault){next_op(d), FSIM_FAULT_PROGRAM_ERROR, 0});
	assert_int_equal(fsim_program(d, 0, data, 8), FSIM_ERR_FAULT);
	fsim_peek(d, 0, got, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(got[i], 0xff);
	assert_int_equal(fsim_violation_count(d), 0);
	assert_int_equal(fsim_program(d, 0, data, 8), FSIM_OK); /* once only */
	fsim_destroy(d);
}

static void erase_error_erases_nothing(void **state)
{
	(void)state;
	struct fsim_device *d = dev4k();
	uint8_t data[8] = {0}, got[8];
	fsim_program(d, 0, data, 8);
	fsim_arm_fault(d, &(struct fsim_fault){next_op(d), FSIM_FAULT_ERASE_ERROR, 0});
	assert_int_equal(fsim_erase(d, 0, 4096), FSIM_ERR_FAULT);
	fsim_peek(d, 0, got, 8);
	assert_int_equal(got[0], 0);
	assert_int_equal(fsim_erase(d, 0, 4096), FSIM_OK);
	fsim_destroy(d);
}

static void a_fault_of_the_other_sort_never_fires(void **state)
{
	(void)state;
	struct fsim_device *d = dev4k();
	uint8_t data[8] = {0};
	fsim_arm_fault(d, &(struct fsim_fault){next_op(d), FSIM_FAULT_ERASE_ERROR, 0});
	assert_int_equal(fsim_program(d, 0, data, 8), FSIM_OK);
	assert_int_equal(fsim_erase(d, 0, 4096), FSIM_OK);
	fsim_destroy(d);
}

static void a_stuck_bit_stays_stuck(void **state)
{
	(void)state;
	struct fsim_device *d = dev4k();
	uint8_t data[8] = {0xff, 0xf0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, got[8];
	fsim_arm_fault(d, &(struct fsim_fault){next_op(d), FSIM_FAULT_STUCK_BIT, 3});
	assert_int_equal(fsim_program(d, 0, data, 8), FSIM_ERR_FAULT);
	fsim_peek(d, 0, got, 8);
	assert_int_equal(got[1], 0xf1); /* the lowest bit it should have cleared did not clear */
	assert_int_equal(fsim_erase(d, 0, 4096), FSIM_OK);
	assert_int_equal(fsim_program(d, 0, data, 8), FSIM_ERR_FAULT); /* still stuck */
	uint8_t other[8] = {0xff, 0xfe + 1, 0, 0, 0, 0, 0, 0};
	assert_int_equal(fsim_erase(d, 0, 4096), FSIM_OK);
	assert_int_equal(fsim_program(d, 0, other, 8), FSIM_OK); /* leaves that bit alone */
	fsim_clear_faults(d);
	assert_int_equal(fsim_erase(d, 0, 4096), FSIM_OK);
	assert_int_equal(fsim_program(d, 0, data, 8), FSIM_OK);
	fsim_destroy(d);
}

static void a_bad_sector_never_erases(void **state)
{
	(void)state;
	struct fsim_device *d = dev4k();
	uint8_t data[8] = {0}, got[8];
	fsim_program(d, 4096, data, 8);
	fsim_arm_fault(d, &(struct fsim_fault){next_op(d) + 1, FSIM_FAULT_BAD_SECTOR, 0});
	/* a two-sector erase: the first sector erases, the second is the bad one */
	assert_int_equal(fsim_erase(d, 0, 8192), FSIM_ERR_FAULT);
	assert_int_equal(fsim_erase(d, 4096, 4096), FSIM_ERR_FAULT);
	fsim_peek(d, 4096, got, 8);
	assert_int_equal(got[0], 0);
	assert_int_equal(fsim_erase(d, 0, 4096), FSIM_OK);
	fsim_clear_faults(d);
	assert_int_equal(fsim_erase(d, 4096, 4096), FSIM_OK);
	fsim_destroy(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(program_error_writes_nothing),
		cmocka_unit_test(erase_error_erases_nothing),
		cmocka_unit_test(a_fault_of_the_other_sort_never_fires),
		cmocka_unit_test(a_stuck_bit_stays_stuck),
		cmocka_unit_test(a_bad_sector_never_erases),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
