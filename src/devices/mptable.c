/*
 * mptable.c - what a PC BIOS leaves in low memory about the interrupt
 * hardware: the BIOS data area fields guests read, and the Intel
 * MultiProcessor Specification 1.4 tables that describe the local APIC,
 * the I/O APIC and how the ISA interrupts reach it.
 *
 * Written into guest RAM at every machine reset (machine_boot(), after RAM
 * is cleared and before the kernel is loaded). Placement, all outside the
 * multiboot area (0x7000-0x10000, monitor/multiboot.h) and inside memory
 * the multiboot map reports reserved:
 *   0x400   BDA word: COM1's base port (0x3f8)
 *   0x40e   BDA word: EBDA segment (0x9fc0)
 *   0x413   BDA word: base memory in KiB (639)
 *   0x9fc00 EBDA; byte 0 = its size in KiB (1)
 *   0x9fc10 MP floating pointer (16-byte aligned, in the EBDA's first KiB,
 *           where xv6 and Linux look first)
 *   0x9fc20 MP configuration table ("PCMP", spec 1.4, no extended part)
 *
 * The configuration table lists (entry types 0-4 only: xv6 loops forever
 * on any other):
 *   - one processor: APIC ID 0, enabled, BSP, the CPUID signature and
 *     feature flags of the virtual CPU (bt/cpu_model.h) with APIC set;
 *   - bus 0 "PCI   " (as SeaBIOS numbers them; no PCI interrupts yet) and
 *     bus 1 "ISA   ";
 *   - the I/O APIC: ID 1 (its ID register says the same), version 0x11,
 *     at 0xfec00000;
 *   - ISA IRQ 0 -> pin 2, IRQs 1 and 3-15 -> pins 1 and 3-15 (IRQ 2 is the
 *     8259 cascade and has no entry), all conforming polarity and trigger
 *     (ISA: active high, edge), as devices/ioapic.c wires them;
 *   - LINT0 ExtINT and LINT1 NMI on every local APIC.
 * Floating pointer feature bytes are 0: not a default configuration, and no
 * IMCR (virtual wire mode; guests never touch ports 0x22/0x23).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bt/cpu_model.h"
#include "devices/devices.h"
#include "monitor/machine.h"

#define BDA_COM1 0x400u
#define BDA_EBDA_SEG 0x40eu
#define BDA_BASE_KIB 0x413u
#define EBDA_ADDR 0x9fc00u
#define MPFP_ADDR (EBDA_ADDR + 0x10)
#define MPC_ADDR (EBDA_ADDR + 0x20)
#define MPC_MAX 0x3e0u /* the rest of the EBDA's KiB */

#define LAPIC_ADDR 0xfee00000u
#define IOAPIC_ADDR 0xfec00000u
#define IOAPIC_ID 1
#define PCI_BUS 0
#define ISA_BUS 1

enum { MP_PROC, MP_BUS, MP_IOAPIC, MP_INTSRC, MP_LINTSRC };
enum { MP_INT = 0, MP_NMI = 1, MP_EXTINT = 3 };

struct writer {
	uint8_t *base; /* start of the table in guest RAM */
	uint32_t len;
	unsigned entries;
};

static void put8(struct writer *w, uint8_t v)
{
	if (w->len < MPC_MAX)
		w->base[w->len] = v;
	w->len++;
}

static void put16(struct writer *w, uint16_t v)
{
	put8(w, (uint8_t)v);
	put8(w, (uint8_t)(v >> 8));
}

static void put32(struct writer *w, uint32_t v)
{
	put16(w, (uint16_t)v);
	put16(w, (uint16_t)(v >> 16));
}

static void put_str(struct writer *w, const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		put8(w, *s ? (uint8_t)*s++ : ' ');
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)v);
	wr16(p + 2, (uint16_t)(v >> 16));
}

/* The byte that makes the bytes of [p, p + n) sum to zero. */
static uint8_t checksum(const uint8_t *p, unsigned n)
{
	uint8_t sum = 0;

	for (unsigned i = 0; i < n; i++)
		sum += p[i];
	return (uint8_t)-sum;
}

static void put_bus(struct writer *w, uint8_t id, const char *type)
{
	put8(w, MP_BUS);
	put8(w, id);
	put_str(w, type, 6);
	w->entries++;
}

static void put_intsrc(struct writer *w, uint8_t type, uint8_t bus_irq,
		       uint8_t pin)
{
	put8(w, MP_INTSRC);
	put8(w, type);
	put16(w, 0); /* polarity and trigger: conforming to the bus */
	put8(w, ISA_BUS);
	put8(w, bus_irq);
	put8(w, IOAPIC_ID);
	put8(w, pin);
	w->entries++;
}

static void put_lintsrc(struct writer *w, uint8_t type, uint8_t lint)
{
	put8(w, MP_LINTSRC);
	put8(w, type);
	put16(w, 0);
	put8(w, ISA_BUS);
	put8(w, 0);
	put8(w, 0xff); /* every local APIC */
	put8(w, lint);
	w->entries++;
}

/* The configuration table's entries, after its 44-byte header. */
static void put_entries(struct writer *w)
{
	put8(w, MP_PROC);
	put8(w, 0);    /* local APIC ID */
	put8(w, 0x14); /* local APIC version */
	put8(w, 0x03); /* enabled, bootstrap processor */
	put32(w, BT_CPU_SIGNATURE);
	put32(w, BT_CPUID1_EDX | BT_CPUID_APIC);
	put32(w, 0);
	put32(w, 0);
	w->entries++;

	put_bus(w, PCI_BUS, "PCI");
	put_bus(w, ISA_BUS, "ISA");

	put8(w, MP_IOAPIC);
	put8(w, IOAPIC_ID);
	put8(w, 0x11); /* version */
	put8(w, 0x01); /* enabled */
	put32(w, IOAPIC_ADDR);
	w->entries++;

	for (unsigned irq = 0; irq < 16; irq++) {
		if (irq == 2)
			continue;
		put_intsrc(w, MP_INT, (uint8_t)irq,
			   irq == 0 ? 2 : (uint8_t)irq);
	}
	put_lintsrc(w, MP_EXTINT, 0);
	put_lintsrc(w, MP_NMI, 1);
}

static void write_mp_tables(struct machine *m)
{
	uint8_t *fp = mem_ptr(&m->mem, MPFP_ADDR);
	struct writer w = {.base = mem_ptr(&m->mem, MPC_ADDR)};

	/* Header; length, entry count and checksum are filled in below. */
	put_str(&w, "PCMP", 4);
	put16(&w, 0); /* base table length */
	put8(&w, 4);  /* spec revision 1.4 */
	put8(&w, 0);  /* checksum */
	put_str(&w, "BT386", 8);
	put_str(&w, "PC", 12);
	put32(&w, 0); /* OEM table pointer */
	put16(&w, 0); /* OEM table size */
	put16(&w, 0); /* entry count */
	put32(&w, LAPIC_ADDR);
	put16(&w, 0); /* extended table length */
	put8(&w, 0);  /* extended table checksum */
	put8(&w, 0);
	put_entries(&w);
	if (w.len > MPC_MAX) {
		fprintf(stderr, "bt386: mptable: %u bytes overflow the EBDA\n",
			w.len);
		abort();
	}
	wr16(w.base + 4, (uint16_t)w.len);
	wr16(w.base + 34, (uint16_t)w.entries);
	w.base[7] = checksum(w.base, w.len);

	memset(fp, 0, 16);
	memcpy(fp, "_MP_", 4);
	wr32(fp + 4, MPC_ADDR);
	fp[8] = 1; /* length in 16-byte units */
	fp[9] = 4; /* spec revision 1.4 */
	fp[10] = checksum(fp, 16);
}

void dev_mptable_write(struct machine *m)
{
	uint8_t *low = mem_ptr(&m->mem, 0);

	if (!mem_is_ram(&m->mem, 0, EBDA_ADDR + 0x400))
		return;
	wr16(low + BDA_COM1, 0x3f8);
	wr16(low + BDA_EBDA_SEG, EBDA_ADDR >> 4);
	wr16(low + BDA_BASE_KIB, EBDA_ADDR >> 10);
	low[EBDA_ADDR] = 1; /* EBDA size in KiB */
	write_mp_tables(m);
}
