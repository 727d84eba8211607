/*
 * test_uart.c - the 16550A: Linux's probe sequence, loopback, FIFO and
 * trigger levels, LSR bits, IIR priorities, the THRE interrupt, OUT2
 * gating, the receive timeout and console input/output.
 */
#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/bus.h"
#include "devices/devices.h"
#include "monitor/console.h"
#include "monitor/machine.h"
#include "monitor/timer.h"

#define COM1 0x3f8
#define RBR (COM1 + 0)
#define IER (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)
#define SCR (COM1 + 7)

#define T0 1000000000000ull

static struct machine *m;
static int out_pipe[2];

static void outb(uint16_t port, uint8_t v)
{
	bus_pio_write(&m->bus, port, 1, v);
}

static uint8_t inb(uint16_t port)
{
	return (uint8_t)bus_pio_read(&m->bus, port, 1);
}

static uint64_t irq4_edges(void)
{
	return dev_pic_stats(m->pic)->raised[4];
}

static void setup(void)
{
	mon_clock_set_fake(T0);
	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	m->mem.size = 16u << 20;
	ck_assert_int_eq(dev_pic_init(m), 0);
	ck_assert_int_eq(dev_uart_init(m), 0);
	ck_assert_int_eq(pipe(out_pipe), 0);
	fcntl(out_pipe[0], F_SETFL, O_NONBLOCK);
	console_set_output_fd(out_pipe[1]);
	console_set_escapes(false);
}

static void teardown(void)
{
	devices_destroy(m);
	free(m);
	close(out_pipe[0]);
	close(out_pipe[1]);
	mon_clock_use_real();
}

START_TEST(test_linux_probe)
{
	/* autoconfig: IER holds exactly its low four bits. */
	outb(IER, 0);
	ck_assert_uint_eq(inb(IER) & 0x0f, 0);
	outb(IER, 0xff);
	ck_assert_uint_eq(inb(IER), 0x0f);
	outb(IER, 0);
	/* Loopback with RTS and OUT2: MSR reads CTS and DCD. */
	outb(MCR, 0x10 | 0x0a);
	ck_assert_uint_eq(inb(MSR) & 0xf0, 0x90);
	outb(MCR, 0x10 | 0x05); /* DTR, OUT1 */
	ck_assert_uint_eq(inb(MSR) & 0xf0, 0x60);
	outb(MCR, 0x00);
	/* FIFO enabled: IIR bits 7-6 are 11 (a 16550A, not a 16750). */
	outb(FCR, 0x01);
	ck_assert_uint_eq(inb(IIR) >> 6, 3);
	ck_assert_uint_eq(inb(IIR) & 0x20, 0);
	outb(FCR, 0x00);
	ck_assert_uint_eq(inb(IIR) >> 6, 0);
	/* LSR is not 0xff; the scratch register holds a byte. */
	ck_assert_uint_eq(inb(LSR), 0x60);
	outb(SCR, 0xa5);
	ck_assert_uint_eq(inb(SCR), 0xa5);
}
END_TEST

START_TEST(test_divisor_latch)
{
	outb(LCR, 0x83);
	outb(RBR, 0x0c);
	outb(IER, 0x00);
	ck_assert_uint_eq(inb(RBR), 0x0c);
	ck_assert_uint_eq(inb(IER), 0x00);
	outb(LCR, 0x03);
	ck_assert_uint_eq(inb(LCR), 0x03);
	/* With DLAB clear, offsets 0 and 1 are RBR and IER again. */
	ck_assert_uint_eq(inb(RBR), 0x00);
	outb(IER, 0x05);
	ck_assert_uint_eq(inb(IER), 0x05);
	outb(LCR, 0x83);
	ck_assert_uint_eq(inb(RBR), 0x0c);
	ck_assert_uint_eq(inb(IER), 0x00);
}
END_TEST

START_TEST(test_transmit_to_console)
{
	char buf[16];

	outb(RBR, 'o');
	outb(RBR, 'k');
	ck_assert_int_lt(read(out_pipe[0], buf, sizeof(buf)), 0); /* buffered */
	outb(RBR, '\n');
	ck_assert_int_eq(read(out_pipe[0], buf, sizeof(buf)), 3);
	ck_assert(memcmp(buf, "ok\n", 3) == 0);
	ck_assert_uint_eq(inb(LSR) & 0x60, 0x60); /* THRE, TEMT */
	ck_assert_uint_eq(dev_uart_stats(m->com1)->tx_bytes, 3);
	/* A prompt without a newline shows up a little later by itself. */
	outb(RBR, '$');
	ck_assert_int_lt(read(out_pipe[0], buf, sizeof(buf)), 0);
	mon_clock_set_fake(T0 + 2000000);
	mon_timers_run(T0 + 2000000);
	ck_assert_int_eq(read(out_pipe[0], buf, sizeof(buf)), 1);
	ck_assert_int_eq(buf[0], '$');
}
END_TEST

START_TEST(test_loopback)
{
	char buf[4];

	outb(MCR, 0x10);
	outb(RBR, 0x5a);
	ck_assert_uint_eq(inb(LSR) & 0x01, 0x01);
	ck_assert_uint_eq(inb(RBR), 0x5a);
	ck_assert_uint_eq(inb(LSR) & 0x01, 0x00);
	console_flush();
	ck_assert_int_lt(read(out_pipe[0], buf, sizeof(buf)), 0);
	/* Without FIFOs the receiver holds one byte: the second overruns. */
	outb(RBR, 1);
	outb(RBR, 2);
	uint8_t lsr = inb(LSR);
	ck_assert_uint_eq(lsr & 0x03, 0x03);
	ck_assert_uint_eq(inb(LSR) & 0x02, 0); /* OE clears on read */
	ck_assert_uint_eq(inb(RBR), 1);
	ck_assert_uint_eq(dev_uart_stats(m->com1)->overruns, 1);
}
END_TEST

START_TEST(test_fifo)
{
	outb(MCR, 0x10);
	outb(FCR, 0x07);
	for (unsigned i = 0; i < 16; i++)
		outb(RBR, (uint8_t)(0x30 + i));
	ck_assert_uint_eq(inb(LSR) & 0x03, 0x01);
	outb(RBR, 0xee); /* the 17th byte overruns */
	ck_assert_uint_eq(inb(LSR) & 0x03, 0x03);
	for (unsigned i = 0; i < 16; i++)
		ck_assert_uint_eq(inb(RBR), 0x30 + i);
	ck_assert_uint_eq(inb(LSR) & 0x01, 0);
	/* FCR bit 1 clears the receive FIFO. */
	outb(RBR, 1);
	outb(FCR, 0x03);
	ck_assert_uint_eq(inb(LSR) & 0x01, 0);
	/* Turning the FIFOs off clears them too. */
	outb(RBR, 1);
	outb(FCR, 0x00);
	ck_assert_uint_eq(inb(LSR) & 0x01, 0);
}
END_TEST

START_TEST(test_trigger_level_and_timeout)
{
	outb(MCR, 0x10);
	outb(FCR, 0x81); /* FIFO on, trigger at 8 */
	outb(IER, 0x01);
	for (unsigned i = 0; i < 7; i++)
		outb(RBR, (uint8_t)i);
	ck_assert_uint_eq(inb(IIR), 0xc1); /* below the trigger */
	outb(RBR, 7);
	ck_assert_uint_eq(inb(IIR), 0xc4); /* data available */
	inb(RBR);
	ck_assert_uint_eq(inb(IIR), 0xc1);
	/* Four character times later (8N1, 115200: 4 x 86.8 us). */
	uint64_t t = T0 + 340000;
	mon_clock_set_fake(t);
	mon_timers_run(t);
	ck_assert_uint_eq(inb(IIR), 0xc1);
	t = T0 + 350000;
	mon_clock_set_fake(t);
	mon_timers_run(t);
	ck_assert_uint_eq(inb(IIR), 0xcc); /* character timeout */
	inb(RBR);
	ck_assert_uint_eq(inb(IIR), 0xc1); /* reading restarts the timer */
}
END_TEST

START_TEST(test_thre_interrupt)
{
	ck_assert_uint_eq(inb(IIR), 0x01);
	outb(IER, 0x02);
	ck_assert_uint_eq(inb(IIR), 0x02);
	/* Reading IIR while THRE is the source clears it. */
	ck_assert_uint_eq(inb(IIR), 0x01);
	/* Writing THR: it empties at once and interrupts again. */
	outb(RBR, 'x');
	ck_assert_uint_eq(inb(IIR), 0x02);
	/* Re-enabling ETBEI with THR empty raises it (Linux's THRE test). */
	ck_assert_uint_eq(inb(IIR), 0x01);
	outb(IER, 0x00);
	outb(IER, 0x02);
	ck_assert_uint_eq(inb(IIR), 0x02);
	/* Writing IER again without a 0->1 change does not. */
	outb(IER, 0x02);
	ck_assert_uint_eq(inb(IIR), 0x01);
}
END_TEST

START_TEST(test_iir_priorities)
{
	outb(MCR, 0x10);
	outb(FCR, 0x01); /* FIFO, trigger 1 */
	outb(IER, 0x0f);
	/* MSR delta from entering loopback, THRE from enabling ETBEI. */
	ck_assert_uint_eq(inb(IIR), 0xc2);
	ck_assert_uint_eq(inb(IIR), 0xc0); /* THRE cleared: modem status */
	inb(MSR);
	ck_assert_uint_eq(inb(IIR), 0xc1);
	for (unsigned i = 0; i < 17; i++)
		outb(RBR, (uint8_t)i); /* 17th overruns; THRE pending again */
	ck_assert_uint_eq(inb(IIR), 0xc6); /* line status first */
	inb(LSR);
	ck_assert_uint_eq(inb(IIR), 0xc4); /* then received data */
	for (unsigned i = 0; i < 16; i++)
		inb(RBR);
	ck_assert_uint_eq(inb(IIR), 0xc2); /* then THR empty */
	ck_assert_uint_eq(inb(IIR), 0xc1);
}
END_TEST

START_TEST(test_irq_line_and_out2)
{
	/* PIC: everything unmasked. */
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0x21, 0x00);
	outb(IER, 0x02);
	ck_assert_uint_eq(irq4_edges(), 0); /* OUT2 clear: line gated */
	outb(MCR, 0x08);
	ck_assert_uint_eq(irq4_edges(), 1);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x24);
	outb(0x20, 0x20);
	/* Each THR write gives a new edge. */
	outb(RBR, '.');
	ck_assert_uint_eq(irq4_edges(), 2);
	inb(IIR);
	outb(IER, 0);
	/* Loopback disconnects the line even with OUT2 set. */
	outb(MCR, 0x18);
	outb(IER, 0x02);
	ck_assert_uint_eq(irq4_edges(), 2);
	/* With the gate off (QEMU's model), MCR does not matter. */
	outb(MCR, 0x00);
	dev_uart_set_out2_gating(m->com1, false);
	ck_assert_uint_eq(irq4_edges(), 3);
}
END_TEST

START_TEST(test_console_input)
{
	const uint8_t in[] = "hello, world! 0123456789";

	console_input_feed(in, sizeof(in) - 1);
	dev_uart_pump_input(m->com1);
	/* FIFOs off: one byte at a time, refilled as the guest reads. */
	for (size_t i = 0; i < sizeof(in) - 1; i++) {
		ck_assert_uint_eq(inb(LSR) & 0x03, 0x01);
		ck_assert_uint_eq(inb(RBR), in[i]);
	}
	ck_assert_uint_eq(inb(LSR) & 0x01, 0);
	ck_assert_uint_eq(dev_uart_stats(m->com1)->overruns, 0);
	ck_assert_uint_eq(dev_uart_stats(m->com1)->rx_bytes, sizeof(in) - 1);
	/* In loopback the console is not listened to. */
	outb(MCR, 0x10);
	console_input_feed(in, 1);
	dev_uart_pump_input(m->com1);
	ck_assert_uint_eq(inb(LSR) & 0x01, 0);
	outb(MCR, 0x00);
	ck_assert_uint_eq(inb(RBR), 'h');
}
END_TEST

START_TEST(test_rx_interrupt)
{
	const uint8_t in[] = "ab";

	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0x21, 0x00);
	outb(MCR, 0x0b); /* DTR, RTS, OUT2: as Linux and firmware set it */
	outb(IER, 0x01);
	console_input_feed(in, 2);
	dev_uart_pump_input(m->com1);
	ck_assert_uint_eq(irq4_edges(), 1);
	ck_assert_uint_eq(inb(IIR), 0x04);
	/* Reading one byte leaves another: the line pulses for a new edge. */
	ck_assert_uint_eq(inb(RBR), 'a');
	ck_assert_uint_eq(irq4_edges(), 2);
	ck_assert_uint_eq(inb(RBR), 'b');
	ck_assert_uint_eq(inb(IIR), 0x01);
}
END_TEST

static Suite *uart_suite(void)
{
	Suite *s = suite_create("uart");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_linux_probe);
	tcase_add_test(tc, test_divisor_latch);
	tcase_add_test(tc, test_transmit_to_console);
	tcase_add_test(tc, test_loopback);
	tcase_add_test(tc, test_fifo);
	tcase_add_test(tc, test_trigger_level_and_timeout);
	tcase_add_test(tc, test_thre_interrupt);
	tcase_add_test(tc, test_iir_priorities);
	tcase_add_test(tc, test_irq_line_and_out2);
	tcase_add_test(tc, test_console_input);
	tcase_add_test(tc, test_rx_interrupt);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(uart_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
