/*
 * test_fwcfg.c - QEMU's fw_cfg (traditional interface): the signature,
 * ID, CPU counts, RAM size, NUMA, unknown keys, reads past the end of an
 * item, rewinding by reselecting, and which accesses select.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/bus.h"
#include "devices/devices.h"
#include "monitor/machine.h"

static struct machine *m;

static void select_key(uint16_t key)
{
	bus_pio_write(&m->bus, 0x510, 2, key);
}

static uint8_t data(void)
{
	return (uint8_t)bus_pio_read(&m->bus, 0x511, 1);
}

static uint64_t read_le(unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < n; i++)
		v |= (uint64_t)data() << (8 * i);
	return v;
}

static void setup(void)
{
	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	m->mem.size = 96ull << 20;
	ck_assert_int_eq(dev_fwcfg_init(m), 0);
}

static void teardown(void)
{
	devices_destroy(m);
	free(m);
}

START_TEST(test_signature_and_id)
{
	select_key(0x0000);
	ck_assert_uint_eq(data(), 'Q');
	ck_assert_uint_eq(data(), 'E');
	ck_assert_uint_eq(data(), 'M');
	ck_assert_uint_eq(data(), 'U');
	ck_assert_uint_eq(data(), 0); /* past the end */
	select_key(0x0000);	      /* reselecting rewinds */
	ck_assert_uint_eq(data(), 'Q');
	select_key(0x0001);
	ck_assert_uint_eq(read_le(4), 1); /* traditional, no DMA */
}
END_TEST

START_TEST(test_machine_items)
{
	select_key(0x0005);
	ck_assert_uint_eq(read_le(2), 1);
	select_key(0x000f);
	ck_assert_uint_eq(read_le(2), 1);
	select_key(0x0003);
	ck_assert_uint_eq(read_le(8), 96ull << 20);
	select_key(0x000d);
	ck_assert_uint_eq(read_le(8), 0);
	select_key(0x1234);
	ck_assert_uint_eq(read_le(8), 0);
	select_key(0x0019);
	ck_assert_uint_eq(read_le(4), 0);
}
END_TEST

START_TEST(test_access_sizes)
{
	/* A byte write to the selector port does not select. */
	select_key(0x0005);
	bus_pio_write(&m->bus, 0x510, 1, 0x00);
	ck_assert_uint_eq(data(), 1);
	/* A byte read at 0x510 reads data too, as QEMU. */
	select_key(0x0000);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0x510, 1), 'Q');
	ck_assert_uint_eq(data(), 'E');
	/* No DMA interface. */
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0x514, 4), 0xffffffffu);
	/* Reset selects the signature again. */
	select_key(0x0003);
	dev_fwcfg_reset(m->fwcfg);
	ck_assert_uint_eq(data(), 'Q');
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fwcfg");
	TCase *tc = tcase_create("fwcfg");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_signature_and_id);
	tcase_add_test(tc, test_machine_items);
	tcase_add_test(tc, test_access_sizes);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
