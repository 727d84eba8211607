/*
 * test_pic.c - the 8259A pair: initialisation, masking, priorities, EOI,
 * rotation, auto-EOI, poll mode, cascade, ELCR and spurious interrupts.
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

static void irq(unsigned line, int level)
{
	bus_set_irq(&m->bus, line, level);
}

static void pulse(unsigned line)
{
	irq(line, 1);
	irq(line, 0);
}

/* Program both chips as Linux does: vectors 0x20/0x28, cascade on IR2. */
static void init_pics(uint8_t icw4)
{
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, icw4);
	outb(0xa0, 0x11);
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, icw4);
	outb(0x21, 0x00);
	outb(0xa1, 0x00);
}

static uint8_t read_isr(uint16_t base)
{
	outb(base, 0x0b);
	uint8_t v = inb(base);
	outb(base, 0x0a);
	return v;
}

static void setup(void)
{
	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	m->mem.size = 16u << 20;
	ck_assert_int_eq(dev_pic_init(m), 0);
}

static void teardown(void)
{
	devices_destroy(m);
	free(m);
}

START_TEST(test_power_on_state)
{
	/* As firmware leaves it: all masked but the cascade. */
	ck_assert_uint_eq(inb(0x21), 0xfb);
	ck_assert_uint_eq(inb(0xa1), 0xff);
	pulse(0);
	ck_assert(!m->bus.intr);
	ck_assert_uint_eq(inb(0x20) & 1, 1); /* IRR still records it */
}
END_TEST

START_TEST(test_init_and_vector)
{
	init_pics(0x01);
	ck_assert_uint_eq(inb(0x21), 0x00); /* OCW1 read back */
	ck_assert(!m->bus.intr);
	pulse(3);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x23);
	ck_assert(!m->bus.intr);
	ck_assert_uint_eq(read_isr(0x20), 0x08);
	outb(0x20, 0x20); /* non-specific EOI */
	ck_assert_uint_eq(read_isr(0x20), 0x00);
}
END_TEST

START_TEST(test_mask)
{
	init_pics(0x01);
	outb(0x21, 0x10);
	ck_assert_uint_eq(inb(0x21), 0x10);
	pulse(4);
	ck_assert(!m->bus.intr);
	ck_assert_uint_eq(inb(0x20), 0x10); /* IRR (default OCW3 read) */
	outb(0x21, 0x00);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x24);
}
END_TEST

START_TEST(test_priority_and_nesting)
{
	init_pics(0x01);
	pulse(5);
	pulse(3);
	/* The lower IR has the higher priority. */
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x23);
	/* IRQ5 waits while IRQ3 is in service. */
	ck_assert(!m->bus.intr);
	/* IRQ1 has a higher priority and nests. */
	pulse(1);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x21);
	ck_assert_uint_eq(read_isr(0x20), 0x0a);
	outb(0x20, 0x20); /* ends IRQ1, the highest in service */
	ck_assert_uint_eq(read_isr(0x20), 0x08);
	ck_assert(!m->bus.intr);
	outb(0x20, 0x63); /* specific EOI for IRQ3 */
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x25);
}
END_TEST

START_TEST(test_edge_latch)
{
	init_pics(0x01);
	/* Raised and lowered before the CPU looks: the edge is latched. */
	pulse(0);
	ck_assert(m->bus.intr);
	/* A line held high does not request again without a new edge. */
	irq(6, 1);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x20);
	outb(0x20, 0x20);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x26);
	outb(0x20, 0x20);
	irq(6, 1);
	ck_assert(!m->bus.intr);
	irq(6, 0);
	irq(6, 1);
	ck_assert(m->bus.intr);
	ck_assert_uint_eq(dev_pic_stats(m->pic)->raised[6], 2);
}
END_TEST

START_TEST(test_cascade)
{
	init_pics(0x01);
	pulse(10);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x2a);
	ck_assert_uint_eq(read_isr(0x20), 0x04);
	ck_assert_uint_eq(read_isr(0xa0), 0x04);
	/* A second slave request waits for the slave's EOI... */
	pulse(12);
	ck_assert(!m->bus.intr);
	outb(0xa0, 0x20);
	/* ...and then for the master's, IR2 still being in service there. */
	ck_assert(!m->bus.intr);
	outb(0x20, 0x20);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x2c);
	/* Masking IR2 on the master hides the whole slave. */
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	outb(0x21, 0x04);
	pulse(8);
	ck_assert(!m->bus.intr);
	outb(0x21, 0x00);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x28);
}
END_TEST

START_TEST(test_slave_pending_after_ack)
{
	init_pics(0x03); /* auto-EOI: the slave keeps requesting */
	pulse(9);
	pulse(11);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x29);
	/* With auto-EOI nothing is in service, so IRQ11 follows at once. */
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x2b);
	ck_assert(!m->bus.intr);
	ck_assert_uint_eq(read_isr(0x20), 0);
	ck_assert_uint_eq(read_isr(0xa0), 0);
}
END_TEST

START_TEST(test_isa_irq2_is_irq9)
{
	init_pics(0x01);
	pulse(2);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x29);
}
END_TEST

START_TEST(test_spurious_irq7)
{
	init_pics(0x01);
	/* Level-triggered IRQ5 whose request goes away before the ack. */
	outb(0x4d0, 0x20);
	ck_assert_uint_eq(inb(0x4d0), 0x20);
	irq(5, 1);
	ck_assert(m->bus.intr);
	irq(5, 0);
	ck_assert(!m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x27);
	ck_assert_uint_eq(read_isr(0x20), 0); /* no ISR bit for spurious */
	ck_assert_uint_eq(dev_pic_stats(m->pic)->spurious, 1);
	/* A masked request at ack time is spurious too. */
	pulse(4);
	outb(0x21, 0x10);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x27);
	ck_assert_uint_eq(dev_pic_stats(m->pic)->spurious, 2);
}
END_TEST

START_TEST(test_spurious_slave)
{
	init_pics(0x01);
	outb(0x4d1, 0x04); /* IRQ10 level-triggered */
	irq(10, 1);
	ck_assert(m->bus.intr);
	irq(10, 0);
	ck_assert(!m->bus.intr);
	/* The request is gone on both chips: the master reports IRQ7. */
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x27);
	ck_assert_uint_eq(read_isr(0x20), 0);
	ck_assert_uint_eq(read_isr(0xa0), 0);
}
END_TEST

START_TEST(test_level_mode)
{
	init_pics(0x01);
	outb(0x4d1, 0x02); /* IRQ9 level-triggered */
	irq(9, 1);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x29);
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
	/* Still high after EOI: it requests again without a new edge. */
	ck_assert(m->bus.intr);
	irq(9, 0);
	ck_assert(!m->bus.intr);
	/* Reserved ELCR bits (IRQ0-2, IRQ8, IRQ13) stay edge. */
	outb(0x4d0, 0xff);
	outb(0x4d1, 0xff);
	ck_assert_uint_eq(inb(0x4d0), 0xf8);
	ck_assert_uint_eq(inb(0x4d1), 0xde);
}
END_TEST

START_TEST(test_rotation)
{
	init_pics(0x01);
	pulse(3);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x23);
	outb(0x20, 0xa0); /* rotate on non-specific EOI: IR3 is lowest */
	pulse(3);
	pulse(4);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x24);
	outb(0x20, 0x20);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x23);
	outb(0x20, 0x20);
	/* Set priority: IR6 lowest, so IR7 is now the highest. */
	outb(0x20, 0xc6);
	pulse(0);
	pulse(7);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x27);
	ck_assert_uint_eq(read_isr(0x20), 0x80);
}
END_TEST

START_TEST(test_auto_eoi)
{
	init_pics(0x03);
	pulse(1);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x21);
	ck_assert_uint_eq(read_isr(0x20), 0);
	pulse(4);
	ck_assert(m->bus.intr);
}
END_TEST

START_TEST(test_poll)
{
	init_pics(0x01);
	/* The CPU does not take the interrupt: software polls instead. */
	pulse(6);
	outb(0x20, 0x0c); /* OCW3 poll */
	ck_assert_uint_eq(inb(0x20), 0x86);
	ck_assert_uint_eq(read_isr(0x20), 0x40);
	outb(0x20, 0x0c);
	ck_assert_uint_eq(inb(0x20), 0x00);
	/* The poll sees what the priority resolver sees: masked is none. */
	outb(0x20, 0x20);
	outb(0x21, 0x08);
	pulse(3);
	outb(0x20, 0x0c);
	ck_assert_uint_eq(inb(0x20), 0x00);
	/* The poll was consumed: the next read is IRR again. */
	ck_assert_uint_eq(inb(0x20), 0x08);
}
END_TEST

START_TEST(test_special_mask)
{
	init_pics(0x01);
	pulse(2 + 1); /* IRQ3 */
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x23);
	pulse(5);
	ck_assert(!m->bus.intr);
	/* Mask IR3 and enter special mask mode: lower levels get through. */
	outb(0x21, 0x08);
	outb(0x20, 0x68);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x25);
	outb(0x20, 0x48); /* leave special mask mode */
	outb(0x20, 0x65);
	outb(0x20, 0x63);
	ck_assert_uint_eq(read_isr(0x20), 0);
}
END_TEST

START_TEST(test_special_fully_nested)
{
	init_pics(0x01);
	outb(0x20, 0x11); /* master again, with SFNM in ICW4 */
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x11);
	pulse(10);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x2a);
	/* A higher slave IRQ nests although IR2 is in service... */
	pulse(8);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x28);
	/* ...a lower one on the slave still waits... */
	pulse(11);
	ck_assert(!m->bus.intr);
	/* ...and so do master IRQs below IR2. */
	pulse(5);
	ck_assert(!m->bus.intr);
	pulse(1);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x21);
}
END_TEST

START_TEST(test_reinit_clears_state)
{
	init_pics(0x01);
	pulse(3);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x23);
	pulse(4);
	outb(0x20, 0x11);
	ck_assert_uint_eq(read_isr(0x20), 0);
	ck_assert_uint_eq(inb(0x20), 0); /* edge latches cleared */
	outb(0x21, 0x40);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	pulse(0);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x40);
}
END_TEST

static Suite *pic_suite(void)
{
	Suite *s = suite_create("pic");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_power_on_state);
	tcase_add_test(tc, test_init_and_vector);
	tcase_add_test(tc, test_mask);
	tcase_add_test(tc, test_priority_and_nesting);
	tcase_add_test(tc, test_edge_latch);
	tcase_add_test(tc, test_cascade);
	tcase_add_test(tc, test_slave_pending_after_ack);
	tcase_add_test(tc, test_isa_irq2_is_irq9);
	tcase_add_test(tc, test_spurious_irq7);
	tcase_add_test(tc, test_spurious_slave);
	tcase_add_test(tc, test_level_mode);
	tcase_add_test(tc, test_rotation);
	tcase_add_test(tc, test_auto_eoi);
	tcase_add_test(tc, test_poll);
	tcase_add_test(tc, test_special_mask);
	tcase_add_test(tc, test_special_fully_nested);
	tcase_add_test(tc, test_reinit_clears_state);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(pic_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
