/*
 * test_apic.c - the local APIC and the I/O APIC on a bus with the 8259
 * pair, under a fake clock: register semantics, acceptance and priority,
 * EOI, the timer (one-shot, periodic, divider), the ExtINT path for the
 * 8259, NMIs (ICR, LINT0/LINT1, the chipset's NMI logic behind ports 0x61
 * and 0x70, the I/O APIC), and I/O APIC routing (edge, level with remote
 * IRR, masking, logical destinations); and the MP tables and BIOS data
 * area, found and parsed back the way xv6 and Linux do.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bt/cpu_model.h"
#include "devices/bus.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/timer.h"
#include "x86.h"

#define T0 1000000000000ull /* fake clock start: 1000 s */
#define LAPIC 0xfee00000u
#define IOAPIC 0xfec00000u

static struct machine *m;

static uint32_t lr(uint32_t reg)
{
	return bus_mmio_read(&m->bus, LAPIC + reg, 4);
}

static void lw(uint32_t reg, uint32_t v)
{
	bus_mmio_write(&m->bus, LAPIC + reg, 4, v);
}

static uint32_t ior(uint8_t reg)
{
	bus_mmio_write(&m->bus, IOAPIC, 4, reg);
	return bus_mmio_read(&m->bus, IOAPIC + 0x10, 4);
}

static void iow(uint8_t reg, uint32_t v)
{
	bus_mmio_write(&m->bus, IOAPIC, 4, reg);
	bus_mmio_write(&m->bus, IOAPIC + 0x10, 4, v);
}

static bool irr_has(unsigned v)
{
	return lr(0x200 + (v / 32) * 0x10) & (1u << (v % 32));
}

static bool isr_has(unsigned v)
{
	return lr(0x100 + (v / 32) * 0x10) & (1u << (v % 32));
}

static bool tmr_has(unsigned v)
{
	return lr(0x180 + (v / 32) * 0x10) & (1u << (v % 32));
}

static int bank_highest_irr(void)
{
	for (int v = 255; v >= 0; v--)
		if (irr_has((unsigned)v))
			return v;
	return -1;
}

static void self_ipi(uint8_t vector)
{
	lw(0x300, 0x00040000u | vector); /* fixed, shorthand self */
}

static void at(uint64_t ns)
{
	mon_clock_set_fake(T0 + ns);
	mon_timers_run(T0 + ns);
}

static void setup(void)
{
	mon_clock_set_fake(T0);
	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	m->mem.size = 16u << 20;
	m->cpu.machine = m;
	m->cpu.apic_base =
		BT_APIC_DEFAULT_BASE | BT_APIC_BASE_BSP | BT_APIC_BASE_EN;
	ck_assert_int_eq(dev_pic_init(m), 0);
	ck_assert_int_eq(dev_lapic_init(m), 0);
	ck_assert_int_eq(dev_ioapic_init(m), 0);
	/* PIC: vectors 0x20/0x28, everything unmasked. */
	bus_pio_write(&m->bus, 0x20, 1, 0x11);
	bus_pio_write(&m->bus, 0x21, 1, 0x20);
	bus_pio_write(&m->bus, 0x21, 1, 0x04);
	bus_pio_write(&m->bus, 0x21, 1, 0x01);
	bus_pio_write(&m->bus, 0x21, 1, 0x00);
	bus_pio_write(&m->bus, 0xa0, 1, 0x11);
	bus_pio_write(&m->bus, 0xa1, 1, 0x28);
	bus_pio_write(&m->bus, 0xa1, 1, 0x02);
	bus_pio_write(&m->bus, 0xa1, 1, 0x01);
	bus_pio_write(&m->bus, 0xa1, 1, 0x00);
}

static void teardown(void)
{
	devices_destroy(m);
	free(m);
	mon_timers_reset();
	mon_clock_use_real();
}

/* Both 8259s masked, the local APIC software-enabled (spurious 0xff). */
static void apic_mode(void)
{
	bus_pio_write(&m->bus, 0x21, 1, 0xff);
	bus_pio_write(&m->bus, 0xa1, 1, 0xff);
	lw(0x0f0, 0x1ff);
}

START_TEST(test_lapic_registers)
{
	ck_assert_uint_eq(lr(0x020), 0);
	ck_assert_uint_eq(lr(0x030), 0x00050014u);
	ck_assert_uint_eq(lr(0x0f0), 0xff); /* software-disabled at reset */
	ck_assert_uint_eq(lr(0x0e0), 0xffffffffu);
	ck_assert_uint_eq(lr(0x350), 0x700); /* LINT0: ExtINT, unmasked */
	ck_assert_uint_eq(lr(0x360), 0x400); /* LINT1: NMI, unmasked */
	ck_assert_uint_eq(lr(0x320), 0x10000);
	ck_assert_uint_eq(lr(0x370), 0x10000);

	lw(0x080, 0x12345678);
	ck_assert_uint_eq(lr(0x080), 0x78);
	ck_assert_uint_eq(lr(0x0a0), 0x78); /* PPR = TPR with nothing in ISR */
	lw(0x080, 0);
	lw(0x0d0, 0x12345678);
	ck_assert_uint_eq(lr(0x0d0), 0x12000000u);
	lw(0x0e0, 0x0);
	ck_assert_uint_eq(lr(0x0e0), 0x0fffffffu);
	lw(0x0f0, 0x120); /* bits 3:0 of the vector are hardwired (P6) */
	ck_assert_uint_eq(lr(0x0f0), 0x12f);
	/* LVT: only the defined bits stick; delivery status reads 0. */
	lw(0x370, 0xffffffffu);
	ck_assert_uint_eq(lr(0x370), 0x000100ffu);
	lw(0x320, 0xffffffffu);
	ck_assert_uint_eq(lr(0x320), 0x000300ffu);
	lw(0x350, 0xffffffffu);
	ck_assert_uint_eq(lr(0x350), 0x0001a7ffu);
	/* IRR, ISR, TMR and VER are read-only. */
	lw(0x200, 0xffffffffu);
	lw(0x100, 0xffffffffu);
	lw(0x030, 0);
	ck_assert_uint_eq(lr(0x200), 0);
	ck_assert_uint_eq(lr(0x100), 0);
	ck_assert_uint_eq(lr(0x030), 0x00050014u);
	/* Byte reads see the register's bytes. */
	ck_assert_uint_eq(bus_mmio_read(&m->bus, LAPIC + 0x032, 1), 0x05);
	/* Divide configuration keeps bits 0, 1 and 3. */
	lw(0x3e0, 0xff);
	ck_assert_uint_eq(lr(0x3e0), 0xb);
	/* ID and version may be cached by the translator; nothing else,
	 * and nothing once the APIC is off. */
	ck_assert(bus_mmio_constant(&m->bus, LAPIC + 0x020, 4));
	ck_assert(bus_mmio_constant(&m->bus, LAPIC + 0x030, 4));
	ck_assert(!bus_mmio_constant(&m->bus, LAPIC + 0x020, 2));
	ck_assert(!bus_mmio_constant(&m->bus, LAPIC + 0x390, 4));
	ck_assert(!bus_mmio_constant(&m->bus, LAPIC + 0x080, 4));
	m->cpu.apic_base &= ~BT_APIC_BASE_EN;
	ck_assert(!bus_mmio_constant(&m->bus, LAPIC + 0x020, 4));
	m->cpu.apic_base |= BT_APIC_BASE_EN;
}
END_TEST

START_TEST(test_lapic_icr_and_esr)
{
	apic_mode();
	/* xv6's INIT level de-assert to all: accepted, delivery idle. */
	lw(0x310, 0);
	lw(0x300, 0x00088500);
	ck_assert_uint_eq(lr(0x300) & (1u << 12), 0);
	ck_assert_uint_eq(lr(0x300), 0x00088500);
	/* STARTUP to an absent CPU: accepted and ignored. */
	lw(0x310, 1u << 24);
	lw(0x300, 0x00000607);
	ck_assert_uint_eq(lr(0x300) & (1u << 12), 0);
	ck_assert(!m->bus.intr);

	/* An illegal vector: invisible until ESR is written. */
	lw(0x280, 0);
	ck_assert_uint_eq(lr(0x280), 0);
	self_ipi(5);
	ck_assert_uint_eq(lr(0x280), 0);
	lw(0x280, 0);
	ck_assert_uint_eq(lr(0x280), 1u << 5); /* send illegal vector */
	lw(0x280, 0);
	ck_assert_uint_eq(lr(0x280), 0);
	/* With LVT error unmasked the error interrupts. */
	lw(0x370, 0x33);
	self_ipi(7);
	ck_assert(irr_has(0x33));
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x33);
	lw(0x0b0, 0);

	/* Physical destination: ours (0) or broadcast take it, 1 does not. */
	lw(0x310, 1u << 24);
	lw(0x300, 0x41);
	ck_assert(!irr_has(0x41));
	lw(0x310, 0);
	lw(0x300, 0x41);
	ck_assert(irr_has(0x41));
	/* All-excluding-self: not us. */
	lw(0x300, 0x000c0042);
	ck_assert(!irr_has(0x42));
}
END_TEST

START_TEST(test_lapic_accept_and_eoi)
{
	apic_mode();
	self_ipi(0x40);
	ck_assert(irr_has(0x40));
	ck_assert(!tmr_has(0x40));
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x40);
	ck_assert(!irr_has(0x40));
	ck_assert(isr_has(0x40));
	ck_assert(!m->bus.intr);
	ck_assert_uint_eq(lr(0x0a0), 0x40); /* PPR follows ISRV */
	lw(0x0b0, 0);
	ck_assert(!isr_has(0x40));
	ck_assert_uint_eq(lr(0x0a0), 0);
	/* Nothing pending: the acknowledge reports the spurious vector. */
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0xff);
	ck_assert_uint_eq(lr(0x100 + 0x70), 0);
}
END_TEST

START_TEST(test_lapic_priority)
{
	apic_mode();
	self_ipi(0x50);
	self_ipi(0x61);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x61); /* highest first */
	/* 0x61 in service: class 5 and class 6 wait, class 7 interrupts. */
	ck_assert(!m->bus.intr);
	self_ipi(0x62);
	ck_assert(!m->bus.intr);
	self_ipi(0x71);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x71);
	ck_assert(!m->bus.intr);
	/* EOI clears the highest in-service vector (0x71), then 0x61. */
	lw(0x0b0, 0);
	ck_assert(isr_has(0x61));
	ck_assert(!isr_has(0x71));
	ck_assert(!m->bus.intr);
	lw(0x0b0, 0);
	ck_assert(!isr_has(0x61));
	ck_assert(m->bus.intr);
	/* TPR holds back classes at or below its own. */
	lw(0x080, 0x60);
	ck_assert(!m->bus.intr);
	ck_assert_uint_eq(lr(0x090), 0x60); /* APR = TPR */
	lw(0x080, 0x5f);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x62);
	lw(0x0b0, 0);
	ck_assert(!m->bus.intr); /* 0x50: class 5 <= TPR class 5 */
	ck_assert(irr_has(0x50));
	lw(0x080, 0);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x50);
	lw(0x0b0, 0);
	ck_assert(!m->bus.intr);
}
END_TEST

START_TEST(test_lapic_timer_oneshot)
{
	apic_mode();
	lw(0x320, 0x30); /* one-shot, vector 0x30 */
	lw(0x3e0, 0x0);	 /* divide by 2 */
	lw(0x380, 1000); /* 2000 ns */
	ck_assert_uint_eq(lr(0x390), 1000);
	at(500);
	ck_assert_uint_eq(lr(0x390), 750);
	ck_assert(!irr_has(0x30));
	at(1999);
	ck_assert(!irr_has(0x30));
	at(2000);
	ck_assert(irr_has(0x30));
	ck_assert_uint_eq(lr(0x390), 0);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x30);
	lw(0x0b0, 0);
	at(100000);
	ck_assert(!irr_has(0x30));
	ck_assert_uint_eq(dev_lapic_stats(m->lapic)->timer_fires, 1);
	/* Writing 0 stops a running timer. */
	lw(0x380, 1000);
	lw(0x380, 0);
	at(200000);
	ck_assert(!irr_has(0x30));
	ck_assert_uint_eq(lr(0x390), 0);
}
END_TEST

START_TEST(test_lapic_timer_periodic)
{
	apic_mode();
	lw(0x320, 0x20031); /* periodic, vector 0x31 */
	lw(0x3e0, 0xb);	    /* divide by 1 */
	lw(0x380, 100000);  /* 100 us */
	at(99999);
	ck_assert(!irr_has(0x31));
	at(100000);
	ck_assert(irr_has(0x31));
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x31);
	lw(0x0b0, 0);
	at(150000);
	ck_assert_uint_eq(lr(0x390), 50000);
	at(200000);
	ck_assert(irr_has(0x31));
	ck_assert_uint_eq(dev_lapic_stats(m->lapic)->timer_fires, 2);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x31);
	lw(0x0b0, 0);

	/* Divide by 16 from here on: 100000 ticks take 1.6 ms. */
	lw(0x3e0, 0x3);
	lw(0x380, 100000);
	at(200000 + 1599999);
	ck_assert(!irr_has(0x31));
	at(200000 + 1600000);
	ck_assert(irr_has(0x31));
	at(200000 + 1600000 + 800000);
	ck_assert_uint_eq(lr(0x390), 50000);

	/* Masked: it counts and expires, but raises nothing. */
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x31);
	lw(0x0b0, 0);
	lw(0x320, 0x30031);
	at(200000 + 3200000);
	ck_assert(!irr_has(0x31));
	ck_assert_uint_eq(dev_lapic_stats(m->lapic)->timer_fires, 4);
}
END_TEST

START_TEST(test_lapic_extint)
{
	/* Reset state: LINT0 in ExtINT, so the 8259 reaches the CPU. */
	bus_set_irq(&m->bus, 3, 1);
	bus_set_irq(&m->bus, 3, 0);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x23);
	bus_pio_write(&m->bus, 0x20, 1, 0x20);
	ck_assert(!m->bus.intr);

	/* Software-disabled APIC: fixed interrupts are not accepted. */
	self_ipi(0x40);
	ck_assert(!irr_has(0x40));
	/* LINT0 masked: the 8259 is cut off. */
	lw(0x350, 0x10700);
	bus_set_irq(&m->bus, 3, 1);
	bus_set_irq(&m->bus, 3, 0);
	ck_assert(!m->bus.intr);
	lw(0x350, 0x700);
	ck_assert(m->bus.intr);
	lw(0x350, 0x10700);
	ck_assert(!m->bus.intr);
	/* IA32_APIC_BASE.EN clear: the APIC is out of the path. */
	m->cpu.apic_base &= ~(uint64_t)BT_APIC_BASE_EN;
	dev_lapic_base_changed(m->lapic);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x23);
	ck_assert_uint_eq(lr(0x030), 0xffffffffu); /* page not decoded */
}
END_TEST

/* Was an NMI latched for the CPU since the last call? */
static bool took_nmi(void)
{
	bool r = m->cpu.nmi_pending;

	m->cpu.nmi_pending = false;
	return r;
}

START_TEST(test_lapic_nmi_ipi)
{
	/* Software-disabled (SVR at reset): NMIs are still accepted. */
	ck_assert(!took_nmi());
	lw(0x310, 0);
	lw(0x300, 0x00040400); /* NMI, shorthand self, vector 0 */
	ck_assert(took_nmi());
	ck_assert(!m->bus.intr);
	lw(0x280, 0);
	ck_assert_uint_eq(lr(0x280), 0); /* the vector is not checked */
	ck_assert_int_eq(bank_highest_irr(), -1);

	apic_mode();
	lw(0x300, 0x00080402); /* all including self */
	ck_assert(took_nmi());
	lw(0x300, 0x000c0402); /* all excluding self */
	ck_assert(!took_nmi());
	lw(0x310, 1u << 24); /* physical APIC 1: absent */
	lw(0x300, 0x00000400);
	ck_assert(!took_nmi());
	lw(0x310, 0); /* physical APIC 0: us */
	lw(0x300, 0x00000400);
	ck_assert(took_nmi());
	lw(0x0d0, 0x01000000u); /* logical, flat: our LDR bit */
	lw(0x310, 0x02000000u);
	lw(0x300, 0x00000c00);
	ck_assert(!took_nmi());
	lw(0x310, 0x01000000u);
	lw(0x300, 0x00000c00);
	ck_assert(took_nmi());
	/* Two NMIs before the CPU takes one: one latch. */
	lw(0x300, 0x00040400);
	lw(0x300, 0x00040400);
	ck_assert(took_nmi());
	ck_assert(!took_nmi());
	ck_assert_uint_eq(dev_lapic_stats(m->lapic)->nmis, 6);
	ck_assert_int_eq(bank_highest_irr(), -1);
	ck_assert(!m->bus.intr);
}
END_TEST

/* The NMI button: IOCHK# through port 0x61 and 0x70 to LINT1. */
START_TEST(test_lapic_lint1_nmi)
{
	ck_assert_int_eq(dev_pit_init(m), 0);
	ck_assert_int_eq(dev_cmos_init(m), 0);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0x61, 1) & 0xc0, 0);
	bus_nmi_iochk(&m->bus);
	ck_assert(took_nmi());
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0x61, 1) & 0xc0, 0x40);
	/* Latched: pressing again makes no new edge. */
	bus_nmi_iochk(&m->bus);
	ck_assert(!took_nmi());
	/* Linux's handler: bit 3 set clears the status, then clear it. */
	bus_pio_write(&m->bus, 0x61, 1, 0x08);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0x61, 1) & 0xc0, 0);
	bus_nmi_iochk(&m->bus); /* IOCHK# disabled: ignored */
	ck_assert(!took_nmi());
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0x61, 1) & 0xc0, 0);
	bus_pio_write(&m->bus, 0x61, 1, 0x00);
	bus_nmi_iochk(&m->bus);
	ck_assert(took_nmi());
	bus_pio_write(&m->bus, 0x61, 1, 0x08);
	bus_pio_write(&m->bus, 0x61, 1, 0x00);

	/* Port 0x70 bit 7 masks the output: the NMI comes at the unmask. */
	bus_pio_write(&m->bus, 0x70, 1, 0x8d);
	bus_nmi_iochk(&m->bus);
	ck_assert(!took_nmi());
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0x61, 1) & 0xc0, 0x40);
	bus_pio_write(&m->bus, 0x70, 1, 0x0d);
	ck_assert(took_nmi());
	bus_pio_write(&m->bus, 0x61, 1, 0x08);
	bus_pio_write(&m->bus, 0x61, 1, 0x00);

	/* LINT1 masked: the edge is lost. */
	lw(0x360, 0x10400);
	bus_nmi_iochk(&m->bus);
	ck_assert(!took_nmi());
	bus_pio_write(&m->bus, 0x61, 1, 0x08);
	bus_pio_write(&m->bus, 0x61, 1, 0x00);
	/* LINT1 fixed: an interrupt, when the APIC is software-enabled. */
	apic_mode();
	lw(0x360, 0x00051);
	bus_nmi_iochk(&m->bus);
	ck_assert(!took_nmi());
	ck_assert(irr_has(0x51));
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x51);
	lw(0x0b0, 0);
	bus_pio_write(&m->bus, 0x61, 1, 0x08);
	bus_pio_write(&m->bus, 0x61, 1, 0x00);

	/* IA32_APIC_BASE.EN clear: LINT1 is the CPU's NMI pin. */
	lw(0x360, 0x10400);
	m->cpu.apic_base &= ~(uint64_t)BT_APIC_BASE_EN;
	dev_lapic_base_changed(m->lapic);
	bus_nmi_iochk(&m->bus);
	ck_assert(took_nmi());

	/* RESET: nothing latched, NMIs enabled. */
	devices_reset(m);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0x61, 1) & 0xc0, 0);
	ck_assert(!took_nmi());
}
END_TEST

/* LINT0 programmed NMI: the 8259's output rising is an NMI. */
START_TEST(test_lapic_lint0_nmi)
{
	lw(0x350, 0x400);
	bus_set_irq(&m->bus, 3, 1);
	bus_set_irq(&m->bus, 3, 0);
	ck_assert(took_nmi());
	ck_assert(!m->bus.intr); /* not ExtINT: no INTR */
	/* The 8259 keeps requesting (no acknowledge): no new edge. */
	bus_set_irq(&m->bus, 4, 1);
	bus_set_irq(&m->bus, 4, 0);
	ck_assert(!took_nmi());
	/* Back to ExtINT: the request is the CPU's INTR again. */
	lw(0x350, 0x700);
	ck_assert(m->bus.intr);
	ck_assert(!took_nmi());
}
END_TEST

START_TEST(test_ioapic_nmi)
{
	apic_mode();
	iow(0x10 + 2 * 4, 0x400); /* IRQ 4: NMI, physical, edge */
	iow(0x11 + 2 * 4, 0);
	bus_set_irq(&m->bus, 4, 1);
	ck_assert(took_nmi());
	bus_set_irq(&m->bus, 4, 0);
	ck_assert(!took_nmi());
	ck_assert(!m->bus.intr);
	ck_assert_int_eq(bank_highest_irr(), -1);
	/* Masked: lost. */
	iow(0x10 + 2 * 4, 0x10400);
	bus_set_irq(&m->bus, 4, 1);
	bus_set_irq(&m->bus, 4, 0);
	ck_assert(!took_nmi());
	/* IRQ 0 (the PIT) on pin 2, as an NMI watchdog routes it. */
	iow(0x10 + 2 * 2, 0x400);
	bus_set_irq(&m->bus, 0, 1);
	bus_set_irq(&m->bus, 0, 0);
	ck_assert(took_nmi());
}
END_TEST

START_TEST(test_ioapic_registers)
{
	ck_assert_uint_eq(ior(0x00), 0x01000000u);
	ck_assert_uint_eq(ior(0x01), 0x00170011u);
	ck_assert_uint_eq(ior(0x02), 0x01000000u);
	ck_assert_uint_eq(bus_mmio_read(&m->bus, IOAPIC, 4), 0x02); /* sel */
	for (unsigned pin = 0; pin < 24; pin++) {
		ck_assert_uint_eq(ior(0x10 + 2 * pin), 0x10000);
		ck_assert_uint_eq(ior(0x11 + 2 * pin), 0);
	}
	iow(0x10, 0xffffffffu);
	ck_assert_uint_eq(ior(0x10), 0x0001afffu); /* no status, remote IRR */
	iow(0x11, 0xffffffffu);
	ck_assert_uint_eq(ior(0x11), 0xff000000u);
	iow(0x00, 0x0f000000u);
	ck_assert_uint_eq(ior(0x00), 0x0f000000u);
	iow(0x01, 0);
	ck_assert_uint_eq(ior(0x01), 0x00170011u);
}
END_TEST

START_TEST(test_ioapic_edge)
{
	apic_mode();
	iow(0x10 + 2 * 4, 0x34); /* IRQ 4: fixed, physical, edge, high */
	iow(0x11 + 2 * 4, 0);
	bus_set_irq(&m->bus, 4, 1);
	ck_assert(irr_has(0x34));
	ck_assert(!tmr_has(0x34));
	bus_set_irq(&m->bus, 4, 0);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x34);
	lw(0x0b0, 0);
	/* The 8259s are masked: only the APIC path delivered it. */
	ck_assert(!m->bus.intr);

	/* IRQ 0 (the PIT) arrives on pin 2. */
	iow(0x10 + 2 * 2, 0x22);
	bus_set_irq(&m->bus, 0, 1);
	bus_set_irq(&m->bus, 0, 0);
	ck_assert(irr_has(0x22));
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x22);
	lw(0x0b0, 0);

	/* Masked: an edge is lost, not held. */
	iow(0x10 + 2 * 4, 0x10034);
	bus_set_irq(&m->bus, 4, 1);
	bus_set_irq(&m->bus, 4, 0);
	iow(0x10 + 2 * 4, 0x34);
	ck_assert(!irr_has(0x34));
	ck_assert(!m->bus.intr);

	/* Destination APIC 1 does not exist. */
	iow(0x11 + 2 * 4, 1u << 24);
	bus_set_irq(&m->bus, 4, 1);
	bus_set_irq(&m->bus, 4, 0);
	ck_assert(!irr_has(0x34));
	/* Logical, flat: our LDR bit. */
	lw(0x0d0, 0x01000000u);
	iow(0x10 + 2 * 4, 0x834);
	iow(0x11 + 2 * 4, 0x02000000u);
	bus_set_irq(&m->bus, 4, 1);
	bus_set_irq(&m->bus, 4, 0);
	ck_assert(!irr_has(0x34));
	iow(0x11 + 2 * 4, 0x03000000u);
	bus_set_irq(&m->bus, 4, 1);
	bus_set_irq(&m->bus, 4, 0);
	ck_assert(irr_has(0x34));
}
END_TEST

START_TEST(test_ioapic_level)
{
	apic_mode();
	iow(0x10 + 2 * 9, 0x8039); /* level, active high, vector 0x39 */
	bus_set_irq(&m->bus, 9, 1);
	ck_assert(irr_has(0x39));
	ck_assert(tmr_has(0x39));
	ck_assert(ior(0x10 + 2 * 9) & (1u << 14)); /* remote IRR */
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x39);
	/* Still asserted, but remote IRR holds it back. */
	ck_assert(!irr_has(0x39));
	lw(0x0b0, 0);
	/* The EOI cleared remote IRR and the pin requested again. */
	ck_assert(irr_has(0x39));
	ck_assert(ior(0x10 + 2 * 9) & (1u << 14));
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x39);
	bus_set_irq(&m->bus, 9, 0);
	lw(0x0b0, 0);
	ck_assert(!(ior(0x10 + 2 * 9) & (1u << 14)));
	ck_assert(!irr_has(0x39));
	ck_assert(!m->bus.intr);

	/* A masked asserted level pin requests when unmasked. */
	iow(0x10 + 2 * 9, 0x18039);
	bus_set_irq(&m->bus, 9, 1);
	ck_assert(!irr_has(0x39));
	iow(0x10 + 2 * 9, 0x8039);
	ck_assert(irr_has(0x39));
	ck_assert_uint_eq(dev_ioapic_stats(m->ioapic)->eois, 2);
}
END_TEST

/* ---- MP tables ------------------------------------------------------- */

static uint8_t *ram;

/* A machine with the APICs (their ID registers) and 1 MiB of "RAM". */
static void mp_setup(void)
{
	setup();
	ram = calloc(1, 1u << 20);
	m->mem.physmap = ram;
	m->mem.size = 1u << 20;
	memset(ram, 0xcc, 1u << 20); /* the writer must not rely on zeroes */
	dev_mptable_write(m);
}

static void mp_teardown(void)
{
	free(ram);
	teardown();
}

static uint16_t rd16(uint32_t a)
{
	return ram[a] | ram[a + 1] << 8;
}

static uint32_t rd32(uint32_t a)
{
	return rd16(a) | (uint32_t)rd16(a + 2) << 16;
}

static uint8_t sum(uint32_t a, uint32_t n)
{
	uint8_t s = 0;

	while (n--)
		s += ram[a++];
	return s;
}

/* xv6's search: 16-byte steps, "_MP_" and a zero sum over 16 bytes. */
static uint32_t mp_search(uint32_t a, uint32_t len)
{
	for (uint32_t p = a; p < a + len; p += 16) {
		if (!memcmp(ram + p, "_MP_", 4) && sum(p, 16) == 0)
			return p;
	}
	return 0;
}

START_TEST(test_bda)
{
	ck_assert_uint_eq(rd16(0x400), 0x3f8);
	ck_assert_uint_eq(rd16(0x40e), 0x9fc0);
	ck_assert_uint_eq(rd16(0x413), 639);
	ck_assert_uint_eq(ram[0x9fc00], 1); /* EBDA size, KiB */
}
END_TEST

START_TEST(test_mp_tables)
{
	uint32_t fp = mp_search((uint32_t)rd16(0x40e) << 4, 1024);
	uint32_t mpc, p, end;
	unsigned n, procs = 0, ioapics = 0, isa_bus = 0xff, lints = 0;
	int pin_of[16];

	ck_assert_uint_ne(fp, 0);
	ck_assert_uint_eq(fp % 16, 0);
	ck_assert_uint_eq(ram[fp + 8], 1);  /* length: 16 bytes */
	ck_assert_uint_eq(ram[fp + 9], 4);  /* spec 1.4 */
	ck_assert_uint_eq(ram[fp + 11], 0); /* not a default configuration */
	ck_assert_uint_eq(ram[fp + 12], 0); /* IMCRP clear */
	mpc = rd32(fp + 4);
	ck_assert_uint_ne(mpc, 0);
	ck_assert(!memcmp(ram + mpc, "PCMP", 4));
	ck_assert_uint_eq(ram[mpc + 6], 4);
	ck_assert_uint_eq(sum(mpc, rd16(mpc + 4)), 0);
	ck_assert_uint_eq(rd32(mpc + 36), 0xfee00000u);
	ck_assert_uint_eq(rd16(mpc + 40), 0); /* no extended table */
	ck_assert(!memcmp(ram + mpc + 8, "BT386   ", 8));
	/* Inside the EBDA's first KiB, clear of the BDA and multiboot. */
	ck_assert_uint_ge(mpc, 0x9fc00);
	ck_assert_uint_le(mpc + rd16(mpc + 4), 0x9fc00 + 1024);

	for (int i = 0; i < 16; i++)
		pin_of[i] = -1;
	p = mpc + 44;
	end = mpc + rd16(mpc + 4);
	for (n = 0; p < end; n++) {
		switch (ram[p]) {
		case 0: /* processor: the local APIC's ID register */
			ck_assert_uint_eq(ram[p + 1], lr(0x020) >> 24);
			ck_assert_uint_eq(ram[p + 3], 3); /* enabled, BSP */
			ck_assert_uint_eq(rd32(p + 4), BT_CPU_SIGNATURE);
			ck_assert(rd32(p + 8) & BT_CPUID_APIC);
			procs++;
			p += 20;
			break;
		case 1: /* bus */
			if (!memcmp(ram + p + 2, "ISA   ", 6))
				isa_bus = ram[p + 1];
			p += 8;
			break;
		case 2: /* I/O APIC: its ID register */
			ck_assert_uint_eq(ram[p + 1], ior(0x00) >> 24);
			ck_assert_uint_eq(ram[p + 3] & 1, 1);
			ck_assert_uint_eq(rd32(p + 4), 0xfec00000u);
			ioapics++;
			p += 8;
			break;
		case 3:					  /* I/O interrupt */
			ck_assert_uint_eq(ram[p + 1], 0); /* INT */
			ck_assert_uint_eq(ram[p + 4], isa_bus);
			ck_assert_uint_eq(ram[p + 6], 1);
			ck_assert_int_eq(pin_of[ram[p + 5]], -1);
			pin_of[ram[p + 5]] = ram[p + 7];
			p += 8;
			break;
		case 4: /* local interrupt */
			ck_assert_uint_eq(ram[p + 7], lints);
			ck_assert_uint_eq(ram[p + 1], lints ? 1 : 3);
			lints++;
			p += 8;
			break;
		default:
			ck_abort_msg("entry type %u", ram[p]);
		}
	}
	ck_assert_uint_eq(p, end);
	ck_assert_uint_eq(n, rd16(mpc + 34));
	ck_assert_uint_eq(procs, 1);
	ck_assert_uint_eq(ioapics, 1);
	ck_assert_uint_eq(lints, 2);
	ck_assert_int_eq(pin_of[0], 2);
	ck_assert_int_eq(pin_of[2], -1);
	for (int i = 1; i < 16; i++) {
		if (i != 2)
			ck_assert_int_eq(pin_of[i], i);
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("apic");
	TCase *tc = tcase_create("apic");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_lapic_registers);
	tcase_add_test(tc, test_lapic_icr_and_esr);
	tcase_add_test(tc, test_lapic_accept_and_eoi);
	tcase_add_test(tc, test_lapic_priority);
	tcase_add_test(tc, test_lapic_timer_oneshot);
	tcase_add_test(tc, test_lapic_timer_periodic);
	tcase_add_test(tc, test_lapic_extint);
	tcase_add_test(tc, test_lapic_nmi_ipi);
	tcase_add_test(tc, test_lapic_lint1_nmi);
	tcase_add_test(tc, test_lapic_lint0_nmi);
	tcase_add_test(tc, test_ioapic_nmi);
	tcase_add_test(tc, test_ioapic_registers);
	tcase_add_test(tc, test_ioapic_edge);
	tcase_add_test(tc, test_ioapic_level);
	suite_add_tcase(s, tc);
	tc = tcase_create("mptable");
	tcase_add_checked_fixture(tc, mp_setup, mp_teardown);
	tcase_add_test(tc, test_bda);
	tcase_add_test(tc, test_mp_tables);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
