/*
 * test_pit.c - the 8254 under a fake clock: counting in modes 0, 2, 3 and
 * 4, IRQ0 periods and lost ticks, counter latch, read-back, and counter 2
 * through port 0x61, including the exact sequences of Linux's two TSC
 * calibrations against the PIT (quick_pit_calibrate, pit_calibrate_tsc).
 */
#include <check.h>
#include <stdlib.h>

#include "devices/bus.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/timer.h"

#define T0 1000000000000ull /* fake clock start: 1000 s */

static struct machine *m;
static uint64_t now;

static void outb(uint16_t port, uint8_t v)
{
	bus_pio_write(&m->bus, port, 1, v);
}

static uint8_t inb(uint16_t port)
{
	return (uint8_t)bus_pio_read(&m->bus, port, 1);
}

/* The first instant at which `ticks` input clocks have elapsed. */
static uint64_t ticks_ns(uint64_t ticks)
{
	return (ticks * 1000000000ull + 1193182 - 1) / 1193182;
}

/* Move the fake clock to T0 + ticks (from the last load) and run timers. */
static void at_ticks(uint64_t base, uint64_t ticks)
{
	now = base + ticks_ns(ticks);
	mon_clock_set_fake(now);
	mon_timers_run(now);
}

static void load(unsigned ch, uint8_t mode, uint16_t count)
{
	outb(0x43, (uint8_t)(ch << 6 | 0x30 | mode << 1));
	outb(0x40 + ch, count & 0xff);
	outb(0x40 + ch, count >> 8);
}

static uint16_t latch_read(unsigned ch)
{
	outb(0x43, (uint8_t)(ch << 6));
	uint16_t lo = inb(0x40 + ch);
	return lo | inb(0x40 + ch) << 8;
}

static void setup(void)
{
	now = T0;
	mon_clock_set_fake(now);
	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	m->mem.size = 16u << 20;
	ck_assert_int_eq(dev_pic_init(m), 0);
	ck_assert_int_eq(dev_pit_init(m), 0);
	/* PIC: vectors 0x20/0x28, everything unmasked. */
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0x21, 0x00);
}

static void teardown(void)
{
	devices_destroy(m);
	free(m);
	mon_clock_use_real();
}

static uint64_t irq0(void)
{
	return dev_pit_stats(m->pit)->irq0;
}

START_TEST(test_power_on_ticks)
{
	/* Counter 0 runs at 18.2 Hz (count 65536, mode 3) from power on. */
	at_ticks(T0, 65535);
	ck_assert_uint_eq(irq0(), 0);
	at_ticks(T0, 65536);
	ck_assert_uint_eq(irq0(), 1);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x20);
}
END_TEST

START_TEST(test_mode2_count_and_irq)
{
	load(0, 2, 1000);
	uint64_t base = now;
	ck_assert_uint_eq(latch_read(0), 1000);
	at_ticks(base, 300);
	ck_assert_uint_eq(latch_read(0), 700);
	at_ticks(base, 999);
	ck_assert_uint_eq(latch_read(0), 1);
	ck_assert_uint_eq(irq0(), 0);
	at_ticks(base, 1000);
	ck_assert_uint_eq(latch_read(0), 1000); /* reloaded */
	ck_assert_uint_eq(irq0(), 1);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x20);
	outb(0x20, 0x20);
	at_ticks(base, 2000);
	ck_assert_uint_eq(irq0(), 2);
	/* The next deadline is the next period. */
	ck_assert_uint_eq(mon_timers_next(), base + ticks_ns(3000));
}
END_TEST

START_TEST(test_lost_ticks)
{
	load(0, 2, 1000);
	uint64_t base = now;
	/* The host wakes up 10.5 periods late: one IRQ, nine lost. */
	at_ticks(base, 10500);
	ck_assert_uint_eq(irq0(), 1);
	ck_assert_uint_eq(dev_pit_stats(m->pit)->lost_ticks, 9);
	ck_assert_uint_eq(mon_timers_next(), base + ticks_ns(11000));
	at_ticks(base, 11000);
	ck_assert_uint_eq(irq0(), 2);
	ck_assert_uint_eq(dev_pit_stats(m->pit)->lost_ticks, 9);
}
END_TEST

START_TEST(test_mode3_square_wave)
{
	load(0, 3, 1000);
	uint64_t base = now;
	at_ticks(base, 100);
	ck_assert_uint_eq(latch_read(0), 800); /* counts by two */
	outb(0x43, 0xe2);		       /* read-back status, ch0 */
	ck_assert_uint_eq(inb(0x40), 0x80 | 0x30 | 3 << 1);
	at_ticks(base, 600);
	outb(0x43, 0xe2);
	ck_assert_uint_eq(inb(0x40) & 0x80, 0); /* second half: low */
	ck_assert_uint_eq(latch_read(0), 800);
	at_ticks(base, 1000);
	ck_assert_uint_eq(irq0(), 1);
	at_ticks(base, 3000);
	ck_assert_uint_eq(irq0(), 2);
	ck_assert_uint_eq(dev_pit_stats(m->pit)->lost_ticks, 1);
}
END_TEST

START_TEST(test_mode0_one_shot)
{
	load(0, 0, 500);
	uint64_t base = now;
	outb(0x43, 0xe2);
	ck_assert_uint_eq(inb(0x40) & 0x80, 0); /* output low while counting */
	at_ticks(base, 499);
	ck_assert_uint_eq(irq0(), 0);
	at_ticks(base, 500);
	ck_assert_uint_eq(irq0(), 1);
	outb(0x43, 0xe2);
	ck_assert_uint_eq(inb(0x40) & 0x80, 0x80);
	/* It wraps and keeps counting, but only fires once. */
	at_ticks(base, 600);
	ck_assert_uint_eq(latch_read(0), (uint16_t)(500 - 600));
	at_ticks(base, 100000);
	ck_assert_uint_eq(irq0(), 1);
	ck_assert_uint_eq(mon_timers_next(), 0);
}
END_TEST

START_TEST(test_mode4_strobe)
{
	load(0, 4, 200);
	uint64_t base = now;
	at_ticks(base, 200);
	ck_assert_uint_eq(irq0(), 0); /* output goes low at terminal count */
	outb(0x43, 0xe2);
	ck_assert_uint_eq(inb(0x40) & 0x80, 0);
	at_ticks(base, 201);
	ck_assert_uint_eq(irq0(), 1); /* and rises a clock later */
}
END_TEST

START_TEST(test_latch_holds)
{
	load(1, 2, 5000);
	uint64_t base = now;
	at_ticks(base, 1000);
	outb(0x43, 0x40); /* latch counter 1 */
	at_ticks(base, 2000);
	ck_assert_uint_eq(inb(0x41), 4000 & 0xff);
	at_ticks(base, 3000);
	ck_assert_uint_eq(inb(0x41), 4000 >> 8);
	/* Released: the next reads see the live count. */
	ck_assert_uint_eq(latch_read(1), 2000);
	/* A second latch command before reading is ignored. */
	outb(0x43, 0x40);
	at_ticks(base, 3500);
	outb(0x43, 0x40);
	uint16_t lo = inb(0x41);
	ck_assert_uint_eq(lo | inb(0x41) << 8, 2000);
}
END_TEST

START_TEST(test_readback)
{
	load(1, 2, 1234);
	uint64_t base = now;
	at_ticks(base, 34);
	/* Read-back: latch count and status of counter 1. */
	outb(0x43, 0xc4);
	at_ticks(base, 100);
	ck_assert_uint_eq(inb(0x41), 0x80 | 0x30 | 2 << 1); /* status first */
	ck_assert_uint_eq(inb(0x41), 1200 & 0xff);
	ck_assert_uint_eq(inb(0x41), 1200 >> 8);
	/* Null count is set between the mode write and the count write. */
	outb(0x43, 0x76); /* counter 1, lo/hi, mode 3 */
	outb(0x43, 0xe4); /* status only */
	ck_assert_uint_eq(inb(0x41) & 0x40, 0x40);
	outb(0x41, 0x10);
	outb(0x41, 0x00);
	outb(0x43, 0xe4);
	ck_assert_uint_eq(inb(0x41), 0x80 | 0x30 | 3 << 1);
}
END_TEST

START_TEST(test_access_modes)
{
	/* LSB only. */
	outb(0x43, 0x54); /* counter 1, LSB, mode 2 */
	outb(0x41, 200);
	uint64_t base = now;
	at_ticks(base, 50);
	outb(0x43, 0x40);
	ck_assert_uint_eq(inb(0x41), 150);
	/* MSB only. */
	outb(0x43, 0x64); /* counter 1, MSB, mode 2 */
	outb(0x41, 0x02);
	base = now;
	at_ticks(base, 0x100);
	outb(0x43, 0x40);
	ck_assert_uint_eq(inb(0x41), 0x01);
	/* Lo/hi without latching: live reads alternate LSB, MSB. */
	load(1, 2, 0x3000);
	base = now;
	at_ticks(base, 0x10);
	ck_assert_uint_eq(inb(0x41), 0xf0);
	ck_assert_uint_eq(inb(0x41), 0x2f);
	/* A control word resets the byte flip-flop: LSB comes first. */
	inb(0x41);
	load(1, 2, 0x3000);
	ck_assert_uint_eq(inb(0x41), 0x00);
	ck_assert_uint_eq(inb(0x41), 0x30);
	/* The BCD flag is kept and reported. */
	outb(0x43, 0x75);
	outb(0x43, 0xe4);
	ck_assert_uint_eq(inb(0x41) & 0x3f, 0x35);
}
END_TEST

START_TEST(test_channel2_port61)
{
	/* Linux's TSC calibration: gate on, speaker off, mode 0. */
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);
	outb(0x42, 1000 & 0xff);
	outb(0x42, 1000 >> 8);
	uint64_t base = now;
	ck_assert_uint_eq(inb(0x61) & 0x21, 0x01);
	at_ticks(base, 999);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0);
	at_ticks(base, 1000);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0x20);
	/* Counter 2 never interrupts. */
	ck_assert_uint_eq(dev_pic_stats(m->pic)->raised[0], 0);
}
END_TEST

START_TEST(test_channel2_gate)
{
	outb(0x61, 0x00); /* gate low */
	outb(0x43, 0xb0); /* mode 0 */
	outb(0x42, 100);
	outb(0x42, 0);
	uint64_t base = now;
	at_ticks(base, 500);
	ck_assert_uint_eq(latch_read(2), 100); /* not counting */
	outb(0x61, 0x01);
	base = now;
	at_ticks(base, 40);
	outb(0x61, 0x00); /* pause at 60 */
	at_ticks(base, 400);
	ck_assert_uint_eq(latch_read(2), 60);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0);
	outb(0x61, 0x01);
	base = now;
	at_ticks(base, 60);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0x20);
	/* Mode 2: a low gate forces the output high and holds the count. */
	outb(0x43, 0xb4);
	outb(0x42, 10);
	outb(0x42, 0);
	base = now;
	at_ticks(base, 9);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0);
	outb(0x61, 0x00);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0x20);
}
END_TEST

/*
 * Linux's quick_pit_calibrate(): counter 2 in mode 0 from 0xffff, read
 * without latching (LSB then MSB, alternately), expecting the MSB to step
 * down by one every 256 clocks; it gives up on any other value.
 */
START_TEST(test_linux_quick_calibrate)
{
	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);
	outb(0x42, 0xff);
	outb(0x42, 0xff);
	uint64_t base = now;
	/* pit_verify_msb(0): one read pair right after the load. */
	ck_assert_uint_eq(inb(0x42), 0xff);
	ck_assert_uint_eq(inb(0x42), 0xff);
	for (unsigned i = 0; i <= 233; i++) {
		for (unsigned t = 1; t < 256; t += 50) {
			uint16_t want = (uint16_t)(0xffff - (i * 256 + t));
			at_ticks(base, i * 256 + t);
			ck_assert_uint_eq(inb(0x42), want & 0xff);
			ck_assert_uint_eq(inb(0x42), 0xff - i);
		}
	}
	/* OUT2 stays low the whole time (the count is far from 0). */
	ck_assert_uint_eq(inb(0x61) & 0x20, 0);
}
END_TEST

/*
 * Linux's pit_calibrate_tsc(): mode 0 with a 50 ms count, polling port
 * 0x61 until OUT2 goes high; it must stay high after the counter wraps.
 */
START_TEST(test_linux_slow_calibrate)
{
	const uint16_t latch = 1193182 / 20;

	outb(0x61, (inb(0x61) & ~0x02) | 0x01);
	outb(0x43, 0xb0);
	outb(0x42, latch & 0xff);
	outb(0x42, latch >> 8);
	uint64_t base = now;
	for (uint64_t t = 0; t < latch; t += 997) {
		at_ticks(base, t);
		ck_assert_uint_eq(inb(0x61) & 0x20, 0);
	}
	at_ticks(base, latch - 1);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0);
	at_ticks(base, latch);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0x20);
	at_ticks(base, latch + 0x10000 + 5);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0x20);
	/* The counter itself wrapped and keeps counting down. */
	ck_assert_uint_eq(latch_read(2), (uint16_t)-5);
}
END_TEST

START_TEST(test_port61_bits)
{
	/* Bits 0-3 read back; 4 and 5 are status, 6 and 7 read 0. */
	outb(0x61, 0xff);
	ck_assert_uint_eq(inb(0x61) & 0xcf, 0x0f);
	outb(0x61, 0x02); /* speaker data on, gate off */
	ck_assert_uint_eq(inb(0x61) & 0x0f, 0x02);
	/* The speaker bit does not gate the counter. */
	outb(0x43, 0xb0);
	outb(0x42, 10);
	outb(0x42, 0);
	uint64_t base = now;
	at_ticks(base, 50);
	ck_assert_uint_eq(inb(0x61) & 0x20, 0);
	ck_assert_uint_eq(latch_read(2), 10);
	outb(0x61, 0x03);
	base = now;
	at_ticks(base, 10);
	ck_assert_uint_eq(inb(0x61) & 0x23, 0x23);
}
END_TEST

START_TEST(test_refresh_toggles)
{
	uint8_t a = inb(0x61) & 0x10;
	now += 15085;
	mon_clock_set_fake(now);
	ck_assert_uint_ne(inb(0x61) & 0x10, a);
}
END_TEST

START_TEST(test_tiny_period_is_bounded)
{
	load(0, 2, 2);
	uint64_t base = now;
	at_ticks(base, 2);
	ck_assert_uint_eq(irq0(), 1);
	/* The next IRQ is at least ~10 us away, not two clocks... */
	ck_assert_uint_ge(mon_timers_next() - now, 8000);
	/* ...and the five periods skipped to get there count as lost. */
	ck_assert_uint_eq(dev_pit_stats(m->pit)->lost_ticks, 5);
}
END_TEST

static Suite *pit_suite(void)
{
	Suite *s = suite_create("pit");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_power_on_ticks);
	tcase_add_test(tc, test_mode2_count_and_irq);
	tcase_add_test(tc, test_lost_ticks);
	tcase_add_test(tc, test_mode3_square_wave);
	tcase_add_test(tc, test_mode0_one_shot);
	tcase_add_test(tc, test_mode4_strobe);
	tcase_add_test(tc, test_latch_holds);
	tcase_add_test(tc, test_readback);
	tcase_add_test(tc, test_access_modes);
	tcase_add_test(tc, test_channel2_port61);
	tcase_add_test(tc, test_channel2_gate);
	tcase_add_test(tc, test_linux_quick_calibrate);
	tcase_add_test(tc, test_linux_slow_calibrate);
	tcase_add_test(tc, test_port61_bits);
	tcase_add_test(tc, test_refresh_toggles);
	tcase_add_test(tc, test_tiny_period_is_bounded);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pit_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
