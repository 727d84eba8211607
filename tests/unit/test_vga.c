/*
 * test_vga.c - the CGA/VGA text-mode registers: CRTC read-back (cursor,
 * shape, start address) through both index/data ports and 16-bit writes,
 * colour/mono addressing by the miscellaneous output register, CRTC write
 * protection, input status 1 retrace toggling and the attribute flip-flop,
 * the sequencer, graphics controller and DAC.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/bus.h"
#include "devices/devices.h"
#include "monitor/machine.h"

static struct machine *m;

static void outb(uint16_t port, uint8_t v)
{
	bus_pio_write(&m->bus, port, 1, v);
}

static uint8_t inb(uint16_t port)
{
	return (uint8_t)bus_pio_read(&m->bus, port, 1);
}

static uint8_t crtc_read(uint16_t base, uint8_t reg)
{
	outb(base, reg);
	return inb(base + 1);
}

static void setup(void)
{
	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	ck_assert_int_eq(dev_vga_init(m), 0);
}

static void teardown(void)
{
	devices_destroy(m);
	free(m);
}

START_TEST(test_cursor_readback)
{
	/* xv6's cgaputc: read the cursor, write it back moved. */
	ck_assert_uint_eq(crtc_read(0x3d4, 14), 0);
	ck_assert_uint_eq(crtc_read(0x3d4, 15), 0);
	outb(0x3d4, 14);
	outb(0x3d5, 0x07);
	outb(0x3d4, 15);
	outb(0x3d5, 0xcf);
	ck_assert_uint_eq(crtc_read(0x3d4, 14) << 8 | crtc_read(0x3d4, 15),
			  1999);
	ck_assert_uint_eq(inb(0x3d4), 15); /* the index reads back */
	/* Shape and start address, and 16-bit "out dx, ax" writes. */
	ck_assert_uint_eq(crtc_read(0x3d4, 10), 0x0d);
	ck_assert_uint_eq(crtc_read(0x3d4, 11), 0x0e);
	bus_pio_write(&m->bus, 0x3d4, 2, 0x200a);
	ck_assert_uint_eq(crtc_read(0x3d4, 10), 0x20);
	bus_pio_write(&m->bus, 0x3d4, 2, 0x120c);
	bus_pio_write(&m->bus, 0x3d4, 2, 0x340d);
	ck_assert_uint_eq(crtc_read(0x3d4, 12), 0x12);
	ck_assert_uint_eq(crtc_read(0x3d4, 13), 0x34);
}
END_TEST

START_TEST(test_mono_addressing)
{
	ck_assert_uint_eq(inb(0x3cc), 0x67); /* colour, as mode 3 */
	ck_assert_uint_eq(inb(0x3b5), 0xff); /* mono ports not decoded */
	outb(0x3d4, 14);
	outb(0x3d5, 0x05);
	outb(0x3c2, 0x66); /* monochrome addressing */
	ck_assert_uint_eq(crtc_read(0x3b4, 14), 0x05);
	outb(0x3b4, 15);
	outb(0x3b5, 0x50);
	ck_assert_uint_eq(inb(0x3d5), 0xff);
	outb(0x3c2, 0x67);
	ck_assert_uint_eq(crtc_read(0x3d4, 15), 0x50);
}
END_TEST

START_TEST(test_crtc_protect)
{
	ck_assert_uint_eq(crtc_read(0x3d4, 0x11) & 0x80, 0x80);
	outb(0x3d4, 1);
	outb(0x3d5, 0x27);
	ck_assert_uint_eq(crtc_read(0x3d4, 1), 0x4f);
	outb(0x3d4, 0x11);
	outb(0x3d5, 0x0e);
	outb(0x3d4, 1);
	outb(0x3d5, 0x27);
	ck_assert_uint_eq(crtc_read(0x3d4, 1), 0x27);
	ck_assert_uint_eq(crtc_read(0x3d4, 0x40), 0); /* no such register */
}
END_TEST

START_TEST(test_retrace_and_attribute)
{
	int seen_on = 0, seen_off = 0;

	/* A loop waiting for retrace, then for its end, always finishes. */
	for (int i = 0; i < 4; i++) {
		if (inb(0x3da) & 0x08)
			seen_on++;
		else
			seen_off++;
	}
	ck_assert_int_eq(seen_on, 2);
	ck_assert_int_eq(seen_off, 2);
	/* Reading status resets the flip-flop to "index". */
	outb(0x3c0, 0x31); /* index 0x11 with PAS */
	(void)inb(0x3da);
	outb(0x3c0, 0x31);
	outb(0x3c0, 0x05); /* data: overscan colour */
	ck_assert_uint_eq(inb(0x3c0), 0x31);
	ck_assert_uint_eq(inb(0x3c1), 0x05);
	outb(0x3c0, 0x20); /* back to index state after the data write */
	ck_assert_uint_eq(inb(0x3c0), 0x20);
}
END_TEST

START_TEST(test_sequencer_gfx_dac)
{
	outb(0x3c4, 2);
	outb(0x3c5, 0x0f);
	ck_assert_uint_eq(inb(0x3c5), 0x0f);
	outb(0x3ce, 6);
	ck_assert_uint_eq(inb(0x3cf), 0x0e);
	outb(0x3cf, 0x05);
	ck_assert_uint_eq(inb(0x3cf), 0x05);
	outb(0x3c8, 7);
	outb(0x3c9, 0x3f);
	outb(0x3c9, 0x20);
	outb(0x3c9, 0xff); /* 6-bit DAC */
	outb(0x3c7, 7);
	ck_assert_uint_eq(inb(0x3c7), 0x03);
	ck_assert_uint_eq(inb(0x3c9), 0x3f);
	ck_assert_uint_eq(inb(0x3c9), 0x20);
	ck_assert_uint_eq(inb(0x3c9), 0x3f);
	/* LPT1 (0x3bc) is not the VGA's. */
	ck_assert_uint_eq(m->bus.pio_map[0x3bc], 0);
	/* Reset: mode 3 again. */
	dev_vga_reset(m->vga);
	ck_assert_uint_eq(inb(0x3c5), 0x03);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("vga");
	TCase *tc = tcase_create("vga");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_cursor_readback);
	tcase_add_test(tc, test_mono_addressing);
	tcase_add_test(tc, test_crtc_protect);
	tcase_add_test(tc, test_retrace_and_attribute);
	tcase_add_test(tc, test_sequencer_gfx_dac);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
