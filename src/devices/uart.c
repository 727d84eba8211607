/*
 * uart.c - a 16550A UART as COM1 (0x3f8-0x3ff, IRQ4) on the host console.
 *
 * Transmission is instant: a byte written to THR goes straight to
 * console_putc() (or, in loopback mode, into the receive FIFO), so THR and
 * the transmitter are always empty again by the time the guest looks (LSR
 * THRE and TEMT always read 1). What stays faithful is what drivers check:
 *  - interrupt identification in datasheet priority order: line status,
 *    then received data (at the FIFO trigger level) or character timeout,
 *    then THR empty, then modem status;
 *  - the THRE interrupt is raised when THR empties or when IER.ETBEI goes
 *    from 0 to 1 with THR empty, and cleared by reading IIR while it is the
 *    reported source or by writing THR (Linux's startup probes this);
 *  - the receive FIFO (16 bytes, trigger 1/4/8/14) with a character timeout
 *    of four character times at the programmed baud rate (a mon_timer), or
 *    a one-byte holding register with the FIFOs off;
 *  - MCR loopback wiring (DTR->DSR, RTS->CTS, OUT1->RI, OUT2->DCD, TX->RX),
 *    which Linux's 8250 autoconfig uses to find the chip, and OUT2 gating
 *    the IRQ line as on a PC (loopback disconnects it).
 *
 * The IRQ line is a level; the PIC senses ISA lines on edges, so an action
 * that services one interrupt source while another keeps the line high
 * (reading RBR or IIR, writing THR) drops the line for an instant to give
 * the PIC a fresh edge, as the real chip's interrupt output would.
 *
 * Received bytes come from console_input_get(), pulled in by
 * dev_uart_pump_input() while the FIFO has room (so no byte is lost).
 * The console buffers output until a newline; a partial line (a shell
 * prompt) is flushed by a short timer so it shows up even if the monitor
 * never calls console_flush() while the guest waits for input.
 */
#include <stdio.h>
#include <stdlib.h>

#include "devices/devices.h"
#include "monitor/console.h"
#include "monitor/machine.h"
#include "monitor/timer.h"

#define COM1_BASE 0x3f8
#define COM1_IRQ 4
#define FIFO_SIZE 16
#define UART_CLOCK_HZ 115200ull	  /* the 1.8432 MHz crystal / 16 */
#define FLUSH_DELAY_NS 2000000ull /* partial output lines: 2 ms */

#define IER_ERBFI 0x01 /* received data available */
#define IER_ETBEI 0x02 /* THR empty */
#define IER_ELSI 0x04  /* receiver line status */
#define IER_EDSSI 0x08 /* modem status */

#define IIR_NONE 0x01
#define IIR_MSR 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_LSR 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFO 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02

#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_ERRORS 0x1e /* OE, PE, FE, BI */
#define LSR_THRE 0x20
#define LSR_TEMT 0x40

#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

struct dev_uart {
	struct bus *bus;
	uint8_t ier, lcr, mcr, scr, fcr;
	uint16_t divisor;
	uint8_t lsr_err;   /* OE/PE/FE/BI since the last LSR read */
	uint8_t msr_lines; /* modem inputs (MSR bits 4-7) */
	uint8_t msr_delta; /* MSR bits 0-3 since the last MSR read */
	uint8_t rx[FIFO_SIZE];
	unsigned rx_head, rx_count;
	uint8_t last_rx;
	bool thr_ipending;
	bool timeout_pending;
	bool irq_level;
	bool out2_gate;
	struct mon_timer timeout_timer;
	struct mon_timer flush_timer;
	struct dev_uart_stats stats;
};

static bool fifo_on(const struct dev_uart *u)
{
	return u->fcr & FCR_ENABLE;
}

static unsigned rx_capacity(const struct dev_uart *u)
{
	return fifo_on(u) ? FIFO_SIZE : 1;
}

static unsigned rx_trigger(const struct dev_uart *u)
{
	static const unsigned level[4] = {1, 4, 8, 14};
	return fifo_on(u) ? level[u->fcr >> 6] : 1;
}

static uint8_t iir_id(const struct dev_uart *u)
{
	if ((u->ier & IER_ELSI) && (u->lsr_err & LSR_ERRORS))
		return IIR_LSR;
	if ((u->ier & IER_ERBFI) && u->rx_count) {
		if (u->rx_count >= rx_trigger(u))
			return IIR_RDA;
		if (u->timeout_pending)
			return IIR_TIMEOUT;
	}
	if ((u->ier & IER_ETBEI) && u->thr_ipending)
		return IIR_THRE;
	if ((u->ier & IER_EDSSI) && (u->msr_delta & 0x0f))
		return IIR_MSR;
	return IIR_NONE;
}

static void uart_update(struct dev_uart *u, bool retrigger)
{
	bool level = iir_id(u) != IIR_NONE;

	if (u->out2_gate && ((u->mcr & (MCR_OUT2 | MCR_LOOP)) != MCR_OUT2))
		level = false;
	if (retrigger && level && u->irq_level) {
		bus_set_irq(u->bus, COM1_IRQ, 0);
		u->irq_level = false;
	}
	if (level == u->irq_level)
		return;
	u->irq_level = level;
	if (level)
		u->stats.irqs++;
	bus_set_irq(u->bus, COM1_IRQ, level);
}

/* Four character times at the programmed format and baud rate. */
static uint64_t timeout_ns(const struct dev_uart *u)
{
	unsigned bits = 1 + 5 + (u->lcr & 3) + ((u->lcr & 0x08) ? 1 : 0) +
			((u->lcr & 0x04) ? 2 : 1);
	uint64_t div = u->divisor ? u->divisor : 0x10000;

	return 4 * bits * div * 1000000000ull / UART_CLOCK_HZ;
}

/* The timeout restarts whenever a byte arrives or is read. */
static void restart_timeout(struct dev_uart *u)
{
	u->timeout_pending = false;
	if (fifo_on(u) && u->rx_count)
		mon_timer_arm(&u->timeout_timer, mon_now_ns() + timeout_ns(u));
	else
		mon_timer_cancel(&u->timeout_timer);
}

static void timeout_fire(void *opaque, uint64_t now)
{
	struct dev_uart *u = opaque;

	if (u->rx_count) {
		u->timeout_pending = true;
		uart_update(u, false);
	}
}

static void rx_push(struct dev_uart *u, uint8_t c)
{
	if (u->rx_count >= rx_capacity(u)) {
		u->lsr_err |= LSR_OE;
		u->stats.overruns++;
		return;
	}
	u->rx[(u->rx_head + u->rx_count) % FIFO_SIZE] = c;
	u->rx_count++;
	u->stats.rx_bytes++;
	restart_timeout(u);
}

static void rx_clear(struct dev_uart *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
	restart_timeout(u);
}

void dev_uart_pump_input(struct dev_uart *u)
{
	bool got = false;

	if (u->mcr & MCR_LOOP)
		return; /* the receiver listens to the transmitter */
	while (u->rx_count < rx_capacity(u)) {
		int c = console_input_get();
		if (c < 0)
			break;
		rx_push(u, (uint8_t)c);
		got = true;
	}
	if (got)
		uart_update(u, false);
}

static void flush_fire(void *opaque, uint64_t now)
{
	console_flush();
}

static uint8_t rbr_read(struct dev_uart *u)
{
	if (u->rx_count) {
		u->last_rx = u->rx[u->rx_head];
		u->rx_head = (u->rx_head + 1) % FIFO_SIZE;
		u->rx_count--;
		restart_timeout(u);
		dev_uart_pump_input(u);
	}
	uart_update(u, true);
	return u->last_rx;
}

static void thr_write(struct dev_uart *u, uint8_t c)
{
	u->thr_ipending = false;
	uart_update(u, true);
	c &= (1u << (5 + (u->lcr & 3))) - 1;
	u->stats.tx_bytes++;
	if (u->mcr & MCR_LOOP) {
		rx_push(u, c);
	} else {
		console_putc(c);
		if (c != '\n' && !u->flush_timer.armed)
			mon_timer_arm(&u->flush_timer,
				      mon_now_ns() + FLUSH_DELAY_NS);
	}
	/* Sent at once: THR is empty again. */
	u->thr_ipending = true;
	uart_update(u, false);
}

static uint8_t iir_read(struct dev_uart *u)
{
	uint8_t id = iir_id(u);

	if (id == IIR_THRE) {
		u->thr_ipending = false;
		uart_update(u, true);
	}
	return id | (fifo_on(u) ? IIR_FIFO : 0);
}

static void fcr_write(struct dev_uart *u, uint8_t v)
{
	bool was_on = fifo_on(u);

	/* FCR bits only take when bit 0 is set in the same write. */
	u->fcr = (v & FCR_ENABLE) ? (v & 0xc9) : 0;
	if (was_on != fifo_on(u) || (fifo_on(u) && (v & FCR_CLEAR_RX)))
		rx_clear(u);
	uart_update(u, false);
}

static void set_msr_lines(struct dev_uart *u)
{
	uint8_t lines, changed;

	if (u->mcr & MCR_LOOP) {
		lines = ((u->mcr & MCR_DTR) ? MSR_DSR : 0) |
			((u->mcr & MCR_RTS) ? MSR_CTS : 0) |
			((u->mcr & MCR_OUT1) ? MSR_RI : 0) |
			((u->mcr & MCR_OUT2) ? MSR_DCD : 0);
	} else {
		/* A terminal is attached: clear to send, ready, carrier. */
		lines = MSR_CTS | MSR_DSR | MSR_DCD;
	}
	changed = lines ^ u->msr_lines;
	if (changed & MSR_CTS)
		u->msr_delta |= 0x01;
	if (changed & MSR_DSR)
		u->msr_delta |= 0x02;
	if ((changed & MSR_RI) && !(lines & MSR_RI))
		u->msr_delta |= 0x04; /* trailing edge of ring indicator */
	if (changed & MSR_DCD)
		u->msr_delta |= 0x08;
	u->msr_lines = lines;
}

static void mcr_write(struct dev_uart *u, uint8_t v)
{
	bool was_loop = u->mcr & MCR_LOOP;

	u->mcr = v & 0x1f;
	set_msr_lines(u);
	if (was_loop && !(u->mcr & MCR_LOOP))
		dev_uart_pump_input(u);
	uart_update(u, false);
}

static uint32_t uart_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_uart *u = opaque;
	uint8_t v;

	switch (offset) {
	case 0:
		if (u->lcr & LCR_DLAB)
			return u->divisor & 0xff;
		return rbr_read(u);
	case 1:
		if (u->lcr & LCR_DLAB)
			return u->divisor >> 8;
		return u->ier;
	case 2:
		return iir_read(u);
	case 3:
		return u->lcr;
	case 4:
		return u->mcr;
	case 5:
		dev_uart_pump_input(u);
		v = (u->rx_count ? LSR_DR : 0) | u->lsr_err | LSR_THRE |
		    LSR_TEMT;
		u->lsr_err = 0;
		uart_update(u, false);
		return v;
	case 6:
		v = u->msr_lines | u->msr_delta;
		u->msr_delta = 0;
		uart_update(u, false);
		return v;
	default:
		return u->scr;
	}
}

static void uart_write(void *opaque, uint32_t offset, unsigned size,
		       uint32_t value)
{
	struct dev_uart *u = opaque;
	uint8_t v = (uint8_t)value;
	uint8_t old;

	switch (offset) {
	case 0:
		if (u->lcr & LCR_DLAB)
			u->divisor = (u->divisor & 0xff00) | v;
		else
			thr_write(u, v);
		break;
	case 1:
		if (u->lcr & LCR_DLAB) {
			u->divisor = (u->divisor & 0x00ff) | (uint16_t)(v << 8);
			break;
		}
		old = u->ier;
		u->ier = v & 0x0f;
		if ((u->ier & ~old) & IER_ETBEI)
			u->thr_ipending = true; /* THR is always empty */
		uart_update(u, false);
		break;
	case 2:
		fcr_write(u, v);
		break;
	case 3:
		u->lcr = v;
		break;
	case 4:
		mcr_write(u, v);
		break;
	case 5:
		break; /* LSR: factory test only */
	case 6:
		break; /* MSR is read-only */
	default:
		u->scr = v;
		break;
	}
}

void dev_uart_set_out2_gating(struct dev_uart *u, bool on)
{
	u->out2_gate = on;
	uart_update(u, false);
}

void dev_uart_reset(struct dev_uart *u)
{
	u->ier = 0;
	u->fcr = 0;
	u->mcr = 0;
	u->scr = 0;
	u->divisor = 1; /* 115200 baud, as firmware leaves a console port */
	u->lcr = 0x03;	/* 8N1 */
	u->lsr_err = 0;
	u->thr_ipending = false;
	rx_clear(u);
	set_msr_lines(u);
	u->msr_delta = 0;
	uart_update(u, false);
}

int dev_uart_init(struct machine *m)
{
	struct dev_uart *u = calloc(1, sizeof(*u));

	if (!u) {
		fprintf(stderr, "bt386: uart: out of memory\n");
		return -1;
	}
	u->bus = &m->bus;
	u->out2_gate = true;
	mon_timer_init(&u->timeout_timer, "uart-rx-timeout", timeout_fire, u);
	mon_timer_init(&u->flush_timer, "uart-flush", flush_fire, u);
	dev_uart_reset(u);
	m->com1 = u;
	bus_register_pio8(&m->bus, "com1", COM1_BASE, 8, uart_read, uart_write,
			  u);
	return 0;
}

void dev_uart_destroy(struct machine *m)
{
	if (!m->com1)
		return;
	mon_timer_cancel(&m->com1->timeout_timer);
	mon_timer_cancel(&m->com1->flush_timer);
	free(m->com1);
	m->com1 = NULL;
}

const struct dev_uart_stats *dev_uart_stats(const struct dev_uart *u)
{
	return &u->stats;
}
