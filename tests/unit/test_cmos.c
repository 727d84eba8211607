/*
 * test_cmos.c - the MC146818 under a fake clock: memory-size fields, the
 * clock in BCD and binary, 12 and 24 hour, setting it, UIP, register C and
 * the periodic, update and alarm interrupts.
 */
#include <check.h>
#include <stdlib.h>

#include "devices/bus.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/timer.h"

#define T0 1000000000000ull
#define MS 1000000ull

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

static uint8_t rd(uint8_t idx)
{
	outb(0x70, idx);
	return inb(0x71);
}

static void wr(uint8_t idx, uint8_t v)
{
	outb(0x70, idx);
	outb(0x71, v);
}

static void advance(uint64_t ns)
{
	now += ns;
	mon_clock_set_fake(now);
	mon_timers_run(now);
}

static void make(uint32_t mem)
{
	now = T0;
	mon_clock_set_fake(now);
	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	m->mem.size = mem;
	ck_assert_int_eq(dev_pic_init(m), 0);
	ck_assert_int_eq(dev_cmos_init(m), 0);
	/* PIC: vectors 0x20/0x28, everything unmasked. */
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0x21, 0x00);
	outb(0xa0, 0x11);
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, 0x01);
	outb(0xa1, 0x00);
}

static void setup(void)
{
	make(128u << 20);
}

static void teardown(void)
{
	devices_destroy(m);
	free(m);
	mon_clock_use_real();
}

/* Set 2024-03-15 (a Friday) 12:34:56 in BCD, 24-hour mode. */
static void set_known_time(void)
{
	wr(0x0b, 0x82);
	wr(0x00, 0x56);
	wr(0x02, 0x34);
	wr(0x04, 0x12);
	wr(0x07, 0x15);
	wr(0x08, 0x03);
	wr(0x09, 0x24);
	wr(0x32, 0x20);
	wr(0x0b, 0x02);
}

static uint16_t rd16(uint8_t idx)
{
	return rd(idx) | rd(idx + 1) << 8;
}

START_TEST(test_memory_fields_128m)
{
	ck_assert_uint_eq(rd16(0x15), 640);
	/* 127 MiB of extended memory does not fit: capped. */
	ck_assert_uint_eq(rd16(0x17), 0xffff);
	ck_assert_uint_eq(rd16(0x30), 0xffff);
	ck_assert_uint_eq(rd16(0x34), (128 - 16) * 16);
	ck_assert_uint_eq(rd(0x5b), 0);
	ck_assert_uint_eq(rd(0x5c), 0);
	ck_assert_uint_eq(rd(0x5d), 0);
	ck_assert_uint_eq(rd(0x14) & 0x02, 0x02); /* FPU */
	ck_assert_uint_eq(rd(0x0d), 0x80);	  /* valid RAM */
	/* Checksum of 0x10-0x2d, big-endian at 0x2e. */
	unsigned sum = 0;
	for (uint8_t i = 0x10; i <= 0x2d; i++)
		sum += rd(i);
	ck_assert_uint_eq(rd(0x2e) << 8 | rd(0x2f), sum);
}
END_TEST

START_TEST(test_memory_fields_small)
{
	devices_destroy(m);
	free(m);
	make(8u << 20);
	ck_assert_uint_eq(rd16(0x17), 7 * 1024);
	ck_assert_uint_eq(rd16(0x30), 7 * 1024);
	ck_assert_uint_eq(rd16(0x34), 0);
	devices_destroy(m);
	free(m);
	make(3072u << 20);
	ck_assert_uint_eq(rd16(0x34), 0xbf00);
}
END_TEST

START_TEST(test_bcd_and_binary)
{
	set_known_time();
	ck_assert_uint_eq(rd(0x00), 0x56);
	ck_assert_uint_eq(rd(0x02), 0x34);
	ck_assert_uint_eq(rd(0x04), 0x12);
	ck_assert_uint_eq(rd(0x06), 6); /* Friday, Sunday = 1 */
	ck_assert_uint_eq(rd(0x07), 0x15);
	ck_assert_uint_eq(rd(0x08), 0x03);
	ck_assert_uint_eq(rd(0x09), 0x24);
	ck_assert_uint_eq(rd(0x32), 0x20);
	/* Binary mode. */
	wr(0x0b, 0x06);
	ck_assert_uint_eq(rd(0x00), 56);
	ck_assert_uint_eq(rd(0x04), 12);
	ck_assert_uint_eq(rd(0x09), 24);
	ck_assert_uint_eq(rd(0x32), 20);
	/* The clock runs. */
	advance(2000 * MS);
	ck_assert_uint_eq(rd(0x00), 58);
	advance(2000 * MS);
	ck_assert_uint_eq(rd(0x00), 0);
	ck_assert_uint_eq(rd(0x02), 35);
}
END_TEST

START_TEST(test_12_hour)
{
	set_known_time();
	wr(0x0b, 0x00);			   /* BCD, 12-hour */
	ck_assert_uint_eq(rd(0x04), 0x92); /* 12 PM */
	wr(0x0b, 0x04);			   /* binary, 12-hour */
	ck_assert_uint_eq(rd(0x04), 0x8c);
	/* Set 00:30 (12:30 AM) in 12-hour BCD. */
	wr(0x0b, 0x80);
	wr(0x04, 0x12);
	wr(0x02, 0x30);
	wr(0x0b, 0x02);
	ck_assert_uint_eq(rd(0x04), 0x00);
	ck_assert_uint_eq(rd(0x02), 0x30);
}
END_TEST

START_TEST(test_set_freezes)
{
	set_known_time();
	wr(0x0b, 0x82);
	advance(5000 * MS);
	ck_assert_uint_eq(rd(0x00), 0x56); /* frozen while SET */
	ck_assert_uint_eq(rd(0x0a) & 0x80, 0);
	wr(0x0b, 0x02);
	ck_assert_uint_eq(rd(0x00), 0x56); /* resumes from what was there */
	advance(1000 * MS);
	ck_assert_uint_eq(rd(0x00), 0x57);
	/* Writing one field of a running clock keeps the others. */
	wr(0x02, 0x10);
	ck_assert_uint_eq(rd(0x02), 0x10);
	ck_assert_uint_eq(rd(0x04), 0x12);
	ck_assert_uint_eq(rd(0x00), 0x57);
}
END_TEST

START_TEST(test_uip)
{
	set_known_time(); /* the second starts now */
	ck_assert_uint_eq(rd(0x0a), 0x26);
	advance(999700 * 1000ull); /* 999.7 ms: 300 us before the update */
	ck_assert_uint_eq(rd(0x0a) & 0x80, 0);
	advance(100 * 1000); /* 200 us before: inside the last 244 us */
	ck_assert_uint_eq(rd(0x0a), 0xa6);
	advance(199 * 1000);
	ck_assert_uint_eq(rd(0x0a), 0xa6);
	advance(2 * 1000); /* the update happened */
	ck_assert_uint_eq(rd(0x0a) & 0x80, 0);
	/* Only the rate bits are writable: UIP is read-only. */
	wr(0x0a, 0xff);
	ck_assert_uint_eq(rd(0x0a) & 0x7f, 0x7f);
}
END_TEST

START_TEST(test_reg_c_clears)
{
	set_known_time();
	rd(0x0c);
	ck_assert_uint_eq(rd(0x0c), 0);
	advance(1000 * MS);
	uint8_t c = rd(0x0c);
	/* An update ended, periodic boundaries passed, no enable: no IRQF. */
	ck_assert_uint_eq(c, 0x50);
	ck_assert_uint_eq(rd(0x0c), 0);
	ck_assert_uint_eq(dev_pic_stats(m->pic)->raised[8], 0);
}
END_TEST

START_TEST(test_update_interrupt)
{
	set_known_time();
	wr(0x0a, 0x20); /* no periodic rate */
	rd(0x0c);
	wr(0x0b, 0x12); /* UIE */
	ck_assert_uint_eq(mon_timers_next(), now + 1000 * MS);
	advance(999 * MS);
	ck_assert(!m->bus.intr);
	advance(1 * MS);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x28);
	/* Unacknowledged: no timer runs and the line stays up. */
	ck_assert_uint_eq(mon_timers_next(), 0);
	ck_assert_uint_eq(rd(0x0c), 0x90);
	ck_assert_uint_eq(mon_timers_next(), now + 1000 * MS);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	advance(1000 * MS);
	ck_assert_uint_eq(dev_pic_stats(m->pic)->raised[8], 2);
	ck_assert_uint_eq(dev_cmos_stats(m->cmos)->irqs, 2);
}
END_TEST

START_TEST(test_periodic_interrupt)
{
	set_known_time();
	wr(0x0a, 0x2f); /* 2 Hz */
	rd(0x0c);
	wr(0x0b, 0x42); /* PIE */
	ck_assert_uint_eq(mon_timers_next(), now + 500 * MS);
	advance(500 * MS);
	ck_assert(m->bus.intr);
	ck_assert_uint_eq(rd(0x0c), 0xc0);
	/* 1024 Hz: the next one is 1/1024 s after a boundary. */
	wr(0x0a, 0x26);
	ck_assert_uint_eq(mon_timers_next(), now + 976563);
	advance(976563);
	ck_assert_uint_eq(rd(0x0c) & 0xc0, 0xc0);
	ck_assert_uint_eq(dev_cmos_stats(m->cmos)->irqs, 2);
}
END_TEST

START_TEST(test_alarm)
{
	set_known_time(); /* 12:34:56 */
	wr(0x0a, 0x20);
	wr(0x01, 0x58);
	wr(0x03, 0xc0); /* any minute */
	wr(0x05, 0x12);
	rd(0x0c);
	wr(0x0b, 0x22); /* AIE */
	advance(1000 * MS);
	ck_assert(!m->bus.intr);
	advance(1000 * MS);
	ck_assert(m->bus.intr);
	ck_assert_uint_eq(rd(0x0c), 0xb0); /* IRQF, AF (and UF) */
}
END_TEST

START_TEST(test_nmi_bit_and_index)
{
	/* Bit 7 of the index is the NMI mask, not part of the index. */
	outb(0x70, 0x80 | 0x15);
	ck_assert_uint_eq(inb(0x71), 0x80);
	wr(0x40, 0x5a);
	ck_assert_uint_eq(rd(0x40), 0x5a);
	ck_assert_uint_eq(rd(0x0d), 0x80);
	wr(0x0d, 0x00);
	ck_assert_uint_eq(rd(0x0d), 0x80);
}
END_TEST

static Suite *cmos_suite(void)
{
	Suite *s = suite_create("cmos");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_memory_fields_128m);
	tcase_add_test(tc, test_memory_fields_small);
	tcase_add_test(tc, test_bcd_and_binary);
	tcase_add_test(tc, test_12_hour);
	tcase_add_test(tc, test_set_freezes);
	tcase_add_test(tc, test_uip);
	tcase_add_test(tc, test_reg_c_clears);
	tcase_add_test(tc, test_update_interrupt);
	tcase_add_test(tc, test_periodic_interrupt);
	tcase_add_test(tc, test_alarm);
	tcase_add_test(tc, test_nmi_bit_and_index);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(cmos_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
