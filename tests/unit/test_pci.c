/*
 * test_pci.c - PCI configuration mechanism #1 and the host bridge
 * (src/devices/pci.c): the address register, byte/word/dword data
 * accesses at 0xCFC + n, absent functions, writable and read-only
 * registers, reset, and Linux's type 1 probe (pci_check_type1 followed by
 * pci_sanity_check) replayed port by port.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/bus.h"
#include "devices/devices.h"
#include "monitor/machine.h"

static struct machine *m;

static void out(uint16_t port, unsigned size, uint32_t v)
{
	bus_pio_write(&m->bus, port, size, v);
}

static uint32_t in(uint16_t port, unsigned size)
{
	return bus_pio_read(&m->bus, port, size);
}

static uint32_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
	return 0x80000000u | bus << 16 | dev << 11 | fn << 8 | (reg & 0xfc);
}

/* A configuration read the way Linux's pci_conf1_read() does it. */
static uint32_t cfg_read(unsigned bus, unsigned devfn, unsigned reg,
			 unsigned size)
{
	out(0xcf8, 4, cfg_addr(bus, devfn >> 3, devfn & 7, reg));
	return in((uint16_t)(0xcfc + (reg & 3)), size);
}

static void cfg_write(unsigned bus, unsigned devfn, unsigned reg, unsigned size,
		      uint32_t v)
{
	out(0xcf8, 4, cfg_addr(bus, devfn >> 3, devfn & 7, reg));
	out((uint16_t)(0xcfc + (reg & 3)), size, v);
}

static void setup(void)
{
	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	m->mem.size = 16u << 20;
	ck_assert_int_eq(dev_pci_init(m), 0);
}

static void teardown(void)
{
	devices_destroy(m);
	free(m);
}

START_TEST(test_host_bridge_ids)
{
	ck_assert_uint_eq(cfg_read(0, 0, 0x00, 4), 0x12378086);
	ck_assert_uint_eq(cfg_read(0, 0, 0x00, 2), 0x8086);
	ck_assert_uint_eq(cfg_read(0, 0, 0x02, 2), 0x1237);
	ck_assert_uint_eq(cfg_read(0, 0, 0x0a, 2), 0x0600);
	ck_assert_uint_eq(cfg_read(0, 0, 0x0b, 1), 0x06);
	ck_assert_uint_eq(cfg_read(0, 0, 0x08, 4) >> 8, 0x060000);
	ck_assert_uint_eq(cfg_read(0, 0, 0x0e, 1), 0x00); /* single function */
	/* No BARs, no capabilities. */
	for (unsigned reg = 0x10; reg < 0x28; reg += 4)
		ck_assert_uint_eq(cfg_read(0, 0, reg, 4), 0);
	ck_assert_uint_eq(cfg_read(0, 0, 0x34, 1), 0);
}
END_TEST

START_TEST(test_byte_lanes)
{
	/* Byte n of the dword is at 0xcfc + n, whatever the access size. */
	out(0xcf8, 4, cfg_addr(0, 0, 0, 0));
	ck_assert_uint_eq(in(0xcfc, 1), 0x86);
	ck_assert_uint_eq(in(0xcfd, 1), 0x80);
	ck_assert_uint_eq(in(0xcfe, 1), 0x37);
	ck_assert_uint_eq(in(0xcff, 1), 0x12);
	ck_assert_uint_eq(in(0xcfe, 2), 0x1237);
	ck_assert_uint_eq(in(0xcfd, 2), 0x3780);
	/* The low two address bits do not select bytes. */
	out(0xcf8, 4, cfg_addr(0, 0, 0, 0) | 3);
	ck_assert_uint_eq(in(0xcf8, 4), 0x80000000);
	ck_assert_uint_eq(in(0xcfc, 4), 0x12378086);
}
END_TEST

START_TEST(test_absent_functions)
{
	/* Every other device, function and bus reads as all ones. */
	ck_assert_uint_eq(cfg_read(0, 1 << 3, 0, 4), 0xffffffffu);
	ck_assert_uint_eq(cfg_read(0, 1, 0, 4), 0xffffffffu);
	ck_assert_uint_eq(cfg_read(0, 31 << 3 | 7, 0, 2), 0xffff);
	ck_assert_uint_eq(cfg_read(1, 0, 0, 4), 0xffffffffu);
	ck_assert_uint_eq(cfg_read(255, 0, 0x0a, 1), 0xff);
	for (unsigned devfn = 1; devfn < 256; devfn++)
		ck_assert_uint_eq(cfg_read(0, devfn, 0, 2), 0xffff);
	ck_assert_uint_ge(dev_pci_stats(m->pci)->absent, 255);
	/* Writes to them go nowhere (and do not reach the bridge). */
	cfg_write(0, 8, 0x04, 2, 0x0007);
	ck_assert_uint_eq(cfg_read(0, 0, 0x04, 2), 0x0006);
}
END_TEST

START_TEST(test_disabled_address)
{
	/* Without the enable bit, data accesses select nothing. */
	out(0xcf8, 4, 0x00000000);
	ck_assert_uint_eq(in(0xcfc, 4), 0xffffffffu);
	out(0xcfc, 4, 0);
	ck_assert_uint_eq(cfg_read(0, 0, 0, 4), 0x12378086);
}
END_TEST

START_TEST(test_address_register)
{
	ck_assert_uint_eq(in(0xcf8, 4), 0);
	out(0xcf8, 4, 0x8012345c);
	ck_assert_uint_eq(in(0xcf8, 4), 0x8012345c);
	/* Reserved bits 30:24 read as zero. */
	out(0xcf8, 4, 0xffffffff);
	ck_assert_uint_eq(in(0xcf8, 4), 0x80fffffc);
	/* Byte and word accesses go to ISA: no effect, all ones. */
	out(0xcf8, 4, 0x80000000);
	out(0xcfb, 1, 0x01);
	out(0xcf8, 2, 0x1234);
	out(0xcfa, 1, 0x00);
	ck_assert_uint_eq(in(0xcf8, 4), 0x80000000);
	ck_assert_uint_eq(in(0xcf8, 1), 0xff);
	ck_assert_uint_eq(in(0xcfa, 2), 0xffff);
}
END_TEST

START_TEST(test_writable_registers)
{
	/* Command: the low bits are writable, the IDs are not. */
	cfg_write(0, 0, 0x04, 2, 0xffff);
	ck_assert_uint_eq(cfg_read(0, 0, 0x04, 2), 0x0547);
	cfg_write(0, 0, 0x00, 4, 0);
	ck_assert_uint_eq(cfg_read(0, 0, 0x00, 4), 0x12378086);
	cfg_write(0, 0, 0x08, 4, 0);
	ck_assert_uint_eq(cfg_read(0, 0, 0x0b, 1), 0x06);
	/* Latency timer, and the chipset area (PAM registers at 0x59). */
	cfg_write(0, 0, 0x0d, 1, 0x40);
	ck_assert_uint_eq(cfg_read(0, 0, 0x0d, 1), 0x40);
	cfg_write(0, 0, 0x59, 1, 0x30);
	cfg_write(0, 0, 0x5a, 2, 0x3311);
	ck_assert_uint_eq(cfg_read(0, 0, 0x58, 4), 0x33113000);
	cfg_write(0, 0, 0xfc, 4, 0xdeadbeef);
	ck_assert_uint_eq(cfg_read(0, 0, 0xfc, 4), 0xdeadbeef);
	/* Reset restores the power-on values. */
	dev_pci_reset(m->pci);
	ck_assert_uint_eq(in(0xcf8, 4), 0);
	ck_assert_uint_eq(cfg_read(0, 0, 0x04, 2), 0x0006);
	ck_assert_uint_eq(cfg_read(0, 0, 0x58, 4), 0);
}
END_TEST

/* Linux: pci_check_type1() and pci_sanity_check(), port for port. */
START_TEST(test_linux_type1_probe)
{
	uint32_t saved;
	bool found = false;

	out(0xcfb, 1, 0x01);
	saved = in(0xcf8, 4);
	out(0xcf8, 4, 0x80000000);
	ck_assert_uint_eq(in(0xcf8, 4), 0x80000000);
	for (unsigned devfn = 0; devfn < 0x100; devfn++) {
		uint16_t class = (uint16_t)cfg_read(0, devfn, 0x0a, 2);
		uint16_t vendor = (uint16_t)cfg_read(0, devfn, 0x00, 2);

		if (class == 0x0600 || class == 0x0300 || vendor == 0x8086) {
			found = true;
			ck_assert_uint_eq(devfn, 0);
			break;
		}
	}
	ck_assert(found);
	out(0xcf8, 4, saved);
	ck_assert_uint_eq(in(0xcf8, 4), saved);
}
END_TEST

static Suite *pci_suite(void)
{
	Suite *s = suite_create("pci");
	TCase *tc = tcase_create("config mechanism 1");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_host_bridge_ids);
	tcase_add_test(tc, test_byte_lanes);
	tcase_add_test(tc, test_absent_functions);
	tcase_add_test(tc, test_disabled_address);
	tcase_add_test(tc, test_address_register);
	tcase_add_test(tc, test_writable_registers);
	tcase_add_test(tc, test_linux_type1_probe);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pci_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
