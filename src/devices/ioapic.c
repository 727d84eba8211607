/*
 * ioapic.c - the I/O APIC (82093AA, 24 pins, MMIO at 0xfec00000).
 *
 * Registers are reached indirectly: IOREGSEL (+0x00) selects, IOWIN
 * (+0x10) reads or writes the selected register: 0x00 ID (bits 27:24),
 * 0x01 version (0x00170011: 24 entries), 0x02 arbitration ID, 0x10 + 2n
 * and 0x11 + 2n the low and high halves of redirection entry n.
 *
 * Wiring: the I/O APIC is an IRQ sink of the bus next to the 8259 pair,
 * so every ISA line reaches both. ISA IRQ n drives pin n, except IRQ 0
 * (the PIT), which drives pin 2, as on PCs whose chipset wires the 8259's
 * INTR to pin 0 and as QEMU does; the MP table (mptable.c) lists that
 * override, and nothing drives pin 0 or IRQ 2's pin. Lines 16-23 (none
 * yet: PCI) drive pins 16-23.
 *
 * Model (82093AA datasheet):
 *  - Inputs are active high; the polarity bit inverts a pin.
 *  - Edge: a rising edge on an unmasked pin sends the message once; an
 *    edge on a masked pin is lost (not held), as the datasheet says.
 *  - Level: while the pin is asserted, unmasked and remote IRR is clear,
 *    the message is sent and remote IRR set; the local APIC's EOI for that
 *    vector clears remote IRR (dev_ioapic_eoi), and a pin still asserted
 *    then sends again. Unmasking an asserted level pin sends at once.
 *  - Messages go to the one local APIC (dev_lapic_deliver) when the
 *    destination (physical ID or logical set, bits 63:56) names it; fixed,
 *    lowest-priority and NMI modes are delivered (an NMI pin should be
 *    edge-triggered: a level one sets remote IRR, which no EOI clears, as
 *    in QEMU), ExtINT, SMI and INIT are not modelled. Delivery is
 *    instantaneous: delivery status reads idle.
 *
 * Runs on the vCPU thread.
 */
#include <stdio.h>
#include <stdlib.h>

#include "devices/devices.h"
#include "monitor/machine.h"

#define IOAPIC_BASE 0xfec00000u
#define IOAPIC_ID 1u /* the MP table's I/O APIC entry says the same */
#define IOAPIC_VERSION 0x00170011u
#define NR_PINS 24

#define RTE_MASKED (1ull << 16)
#define RTE_LEVEL (1ull << 15)
#define RTE_REMOTE_IRR (1ull << 14)
#define RTE_LOW_ACTIVE (1ull << 13)
#define RTE_LOGICAL (1ull << 11)
/* Writable: vector, delivery mode, destination mode, polarity, trigger,
 * mask, destination. Delivery status and remote IRR are read-only. */
#define RTE_WRITABLE 0xff0000000001afffull

struct dev_ioapic {
	struct machine *m;
	uint32_t id; /* bits 27:24 of the ID register */
	uint8_t regsel;
	uint64_t rte[NR_PINS];
	uint32_t lines; /* input level of each pin, before polarity */
	struct dev_ioapic_stats stats;
};

static bool pin_asserted(const struct dev_ioapic *io, unsigned pin)
{
	bool level = io->lines & (1u << pin);

	return io->rte[pin] & RTE_LOW_ACTIVE ? !level : level;
}

/* Send pin's message to the local APIC. */
static void ioapic_send(struct dev_ioapic *io, unsigned pin)
{
	uint64_t e = io->rte[pin];
	bool level = e & RTE_LEVEL;
	bool taken;

	if (!io->m->lapic)
		return;
	taken = dev_lapic_deliver(io->m->lapic, (e >> 8) & 7, e & 0xff, level,
				  e & RTE_LOGICAL, (uint8_t)(e >> 56));
	io->stats.delivered[pin]++;
	if (taken && level)
		io->rte[pin] |= RTE_REMOTE_IRR;
}

/* A level pin requests while asserted and not waiting for an EOI. */
static void ioapic_service_level(struct dev_ioapic *io, unsigned pin)
{
	uint64_t e = io->rte[pin];

	if (!(e & RTE_LEVEL) || (e & RTE_REMOTE_IRR) || !pin_asserted(io, pin))
		return;
	if (e & RTE_MASKED) {
		io->stats.masked++;
		return;
	}
	ioapic_send(io, pin);
}

static void ioapic_set_pin(struct dev_ioapic *io, unsigned pin, bool level)
{
	bool was = pin_asserted(io, pin);

	if (level)
		io->lines |= 1u << pin;
	else
		io->lines &= ~(1u << pin);
	if (io->rte[pin] & RTE_LEVEL) {
		ioapic_service_level(io, pin);
	} else if (!was && pin_asserted(io, pin)) {
		if (io->rte[pin] & RTE_MASKED)
			io->stats.masked++;
		else
			ioapic_send(io, pin);
	}
}

static void ioapic_set_irq(void *opaque, unsigned irq, int level)
{
	struct dev_ioapic *io = opaque;

	if (irq == 2 || irq >= NR_PINS)
		return; /* IRQ 2 is the 8259 cascade: no ISA device drives it */
	ioapic_set_pin(io, irq == 0 ? 2 : irq, level != 0);
}

void dev_ioapic_eoi(struct dev_ioapic *io, uint8_t vector)
{
	for (unsigned pin = 0; pin < NR_PINS; pin++) {
		uint64_t e = io->rte[pin];

		if (!(e & RTE_REMOTE_IRR) || (e & 0xff) != vector)
			continue;
		io->rte[pin] &= ~RTE_REMOTE_IRR;
		io->stats.eois++;
		ioapic_service_level(io, pin);
	}
}

static uint32_t ioapic_reg_read(struct dev_ioapic *io)
{
	unsigned r = io->regsel;

	switch (r) {
	case 0x00:
		return io->id;
	case 0x01:
		return IOAPIC_VERSION;
	case 0x02:
		return io->id; /* arbitration ID: loaded from the APIC ID */
	default:
		if (r >= 0x10 && r < 0x10 + 2 * NR_PINS) {
			uint64_t e = io->rte[(r - 0x10) / 2];
			return r & 1 ? (uint32_t)(e >> 32) : (uint32_t)e;
		}
		return 0;
	}
}

static void ioapic_reg_write(struct dev_ioapic *io, uint32_t v)
{
	unsigned r = io->regsel;

	if (r == 0x00) {
		io->id = v & 0x0f000000u;
	} else if (r >= 0x10 && r < 0x10 + 2 * NR_PINS) {
		unsigned pin = (r - 0x10) / 2;
		uint64_t e = io->rte[pin];

		if (r & 1)
			e = (e & 0xffffffffull) | (uint64_t)v << 32;
		else
			e = (e & ~0xffffffffull) | v;
		io->rte[pin] =
			(io->rte[pin] & ~RTE_WRITABLE) | (e & RTE_WRITABLE);
		/* An edge pin that is no longer level keeps no remote IRR. */
		if (!(io->rte[pin] & RTE_LEVEL))
			io->rte[pin] &= ~RTE_REMOTE_IRR;
		ioapic_service_level(io, pin);
	}
}

static uint32_t ioapic_mmio_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_ioapic *io = opaque;

	if (offset == 0x00)
		return io->regsel;
	if (offset >= 0x10 && offset < 0x14)
		return ioapic_reg_read(io) >> (8 * (offset - 0x10));
	return 0;
}

static void ioapic_mmio_write(void *opaque, uint32_t offset, unsigned size,
			      uint32_t value)
{
	struct dev_ioapic *io = opaque;

	if (offset == 0x00)
		io->regsel = (uint8_t)value;
	else if (offset == 0x10 && size == 4)
		ioapic_reg_write(io, value);
}

void dev_ioapic_reset(struct dev_ioapic *io)
{
	io->id = IOAPIC_ID << 24;
	io->regsel = 0;
	for (unsigned pin = 0; pin < NR_PINS; pin++)
		io->rte[pin] = RTE_MASKED;
}

int dev_ioapic_init(struct machine *m)
{
	struct dev_ioapic *io = calloc(1, sizeof(*io));

	if (!io) {
		fprintf(stderr, "bt386: ioapic: out of memory\n");
		return -1;
	}
	io->m = m;
	m->ioapic = io;
	bus_register_mmio(&m->bus, "ioapic", IOAPIC_BASE, 0x1000,
			  ioapic_mmio_read, ioapic_mmio_write, io);
	bus_add_irq_sink(&m->bus, ioapic_set_irq, io);
	dev_ioapic_reset(io);
	return 0;
}

void dev_ioapic_destroy(struct machine *m)
{
	if (!m->ioapic)
		return;
	bus_remove_irq_sink(&m->bus, m->ioapic);
	free(m->ioapic);
	m->ioapic = NULL;
}

const struct dev_ioapic_stats *dev_ioapic_stats(const struct dev_ioapic *io)
{
	return &io->stats;
}
