/*
 * bus.h - the machine's I/O port and MMIO buses and its interrupt lines.
 *
 * A device registers the port and MMIO ranges it decodes, each with read
 * and write callbacks and an opaque pointer, and raises ISA interrupt lines
 * through bus_set_irq(). The same device code serves every engine: the
 * interpreter, BT callouts, DE fault handlers and KVM exits all end in
 * bus_pio_*() and bus_mmio_*().
 *
 * Interrupt wiring (one CPU), as on a PC with an I/O APIC:
 *
 *   device --bus_set_irq()--+--> every IRQ sink: the 8259 pair, the I/O APIC
 *                            |
 *   8259 INT output (bus->extint) --> local APIC LINT0 --> CPU INTR
 *   I/O APIC --APIC bus message--> local APIC ----------/   (bus->intr)
 *   NMI logic output (bus->nmi.out) --> local APIC LINT1 --> CPU NMI
 *                                                 (cpu->nmi_pending)
 *
 * Without a local APIC (unit tests that build only a PIC) the 8259's output
 * is the CPU's INTR pin and the CPU's acknowledge goes straight to it. With
 * one, the local APIC drives bus->intr and answers the acknowledge; it asks
 * the 8259 (bus_extint_ack) when it delivers an ExtINT through LINT0.
 *
 * Everything here runs on the vCPU thread (device state has one owner, so
 * devices need no locks).
 */
#ifndef BT386_DEVICES_BUS_H
#define BT386_DEVICES_BUS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Callbacks get the offset from the start of the registered range and the
 * access size in bytes (1, 2 or 4). Reads return the value zero-extended.
 */
typedef uint32_t (*bus_read_fn)(void *opaque, uint32_t offset, unsigned size);
typedef void (*bus_write_fn)(void *opaque, uint32_t offset, unsigned size,
			     uint32_t value);
/* Does a 4-byte read at offset return what the last one did until the
 * device is written (or reconfigured by the CPU: an MSR, a mode)? */
typedef bool (*bus_constant_fn)(void *opaque, uint32_t offset);

struct bus_range {
	const char *name;
	uint32_t base;
	uint32_t len;
	bus_read_fn read;
	bus_write_fn write;
	void *opaque;
	/*
	 * Byte-wide registers (an ISA 8-bit device): the bus splits wider
	 * accesses into byte accesses at consecutive ports, as the ISA bus
	 * does, so callbacks only ever see size 1.
	 */
	bool byte_wide;
	/* MMIO: registers whose reads the translator may cache (NULL:
	 * none; bus_mmio_set_constant). */
	bus_constant_fn constant;
};

#define BUS_MAX_PIO_RANGES 64
#define BUS_MAX_MMIO_RANGES 16
#define BUS_MAX_IRQ_SINKS 4

/* Takes ISA IRQ line changes (0..15; 16..23 for I/O APIC-only lines). */
typedef void (*bus_irq_fn)(void *opaque, unsigned irq, int level);
/* Acknowledge the interrupt the CPU is taking: returns its vector. */
typedef int (*bus_intr_ack_fn)(void *opaque);
/* The local APIC: one of its input lines changed (LINT0: the 8259's
 * output, bus->extint; LINT1: the NMI logic's, bus->nmi.out). */
typedef void (*bus_extint_fn)(void *opaque);

struct bus_irq_sink {
	bus_irq_fn fn;
	void *opaque;
};

struct bus {
	struct bus_range pio[BUS_MAX_PIO_RANGES];
	unsigned nr_pio;
	uint8_t pio_map[65536]; /* port -> index + 1 into pio[], 0 = none */
	struct bus_range mmio[BUS_MAX_MMIO_RANGES];
	unsigned nr_mmio;

	struct bus_irq_sink irq_sinks[BUS_MAX_IRQ_SINKS];
	unsigned nr_irq_sinks;
	/* The 8259 pair's INT output and its acknowledge cycle. */
	bool extint;
	bus_intr_ack_fn extint_ack_fn;
	void *extint_ack_opaque;
	/* The local APIC between the 8259 and the CPU (NULL: none). */
	bus_extint_fn lapic_extint_fn;
	bus_intr_ack_fn lapic_ack_fn;
	void *lapic_opaque;
	/*
	 * Level of the CPU's INTR pin: an interrupt the CPU would take now
	 * if IF allowed. The engines read it directly.
	 */
	bool intr;
	/* The chipset's NMI logic (src/devices/nmi.c). */
	struct {
		bool iochk;	/* IOCHK# latched: port 0x61 bit 6 */
		bool iochk_off; /* port 0x61 bit 3: IOCHK# disabled */
		bool masked;	/* port 0x70 bit 7: NMI output masked */
		bool out;	/* the output, wired to LINT1 */
	} nmi;

	/* Counters (read by --stats). */
	uint64_t pio_unclaimed;	 /* accesses to ports no device decodes */
	uint64_t mmio_unclaimed; /* accesses to MMIO addresses no range holds */
	uint64_t irq_changes;	 /* bus_set_irq() calls */
};

void bus_init(struct bus *bus);

/* Register ranges; overlapping an existing range is a programming error. */
void bus_register_pio(struct bus *bus, const char *name, uint16_t base,
		      uint16_t len, bus_read_fn read, bus_write_fn write,
		      void *opaque);
/* Same, for a device whose registers are all one byte wide. */
void bus_register_pio8(struct bus *bus, const char *name, uint16_t base,
		       uint16_t len, bus_read_fn read, bus_write_fn write,
		       void *opaque);
void bus_register_mmio(struct bus *bus, const char *name, uint32_t base,
		       uint32_t len, bus_read_fn read, bus_write_fn write,
		       void *opaque);

/*
 * Port I/O. Unclaimed ports read as all ones and ignore writes; an access
 * that is not wholly inside one range (or hits a byte-wide range) is split
 * into byte accesses. A NULL read callback reads as all ones, a NULL write
 * callback ignores writes.
 */
uint32_t bus_pio_read(struct bus *bus, uint16_t port, unsigned size);
void bus_pio_write(struct bus *bus, uint16_t port, unsigned size,
		   uint32_t value);

/* The MMIO range at base tells which of its registers read as constants;
 * bus_mmio_constant() asks it (the translator's cached MMIO loads). */
void bus_mmio_set_constant(struct bus *bus, uint32_t base, bus_constant_fn fn);
bool bus_mmio_constant(const struct bus *bus, uint32_t paddr, unsigned size);

/* The MMIO range that holds a physical address, or NULL. */
const struct bus_range *bus_mmio_find(const struct bus *bus, uint32_t paddr);
uint32_t bus_mmio_read(struct bus *bus, uint32_t paddr, unsigned size);
void bus_mmio_write(struct bus *bus, uint32_t paddr, unsigned size,
		    uint32_t value);

/* Devices: drive ISA IRQ line `irq`; every sink sees the change. */
void bus_set_irq(struct bus *bus, unsigned irq, int level);

/* Interrupt controllers: take the IRQ lines (the 8259 pair, the I/O APIC). */
void bus_add_irq_sink(struct bus *bus, bus_irq_fn fn, void *opaque);
void bus_remove_irq_sink(struct bus *bus, void *opaque);

/* The 8259 pair: its INT output and the acknowledge that answers it. */
void bus_set_extint(struct bus *bus, bool level);
void bus_set_extint_ack(struct bus *bus, bus_intr_ack_fn fn, void *opaque);
/* The 8259's vector for an ExtINT acknowledge, or -1 without an 8259. */
int bus_extint_ack(struct bus *bus);

/*
 * The local APIC: told when the 8259's output changes, answers the CPU's
 * acknowledge, and drives bus->intr with bus_set_intr(). NULLs detach it.
 */
void bus_set_local_apic(struct bus *bus, bus_extint_fn extint,
			bus_intr_ack_fn ack, void *opaque);
static inline void bus_set_intr(struct bus *bus, bool level)
{
	bus->intr = level;
}
/*
 * The CPU takes the pending interrupt: returns the vector to deliver, or
 * -1 if no interrupt controller is registered.
 */
int bus_intr_ack(struct bus *bus);

/*
 * The chipset's NMI logic (PC/AT, src/devices/nmi.c). IOCHK# -- on a PC an
 * ISA card's error line, here the user's NMI button -- is latched as port
 * 0x61 bit 6 unless port 0x61 bit 3 disables it (setting bit 3 also clears
 * the latch); port 0x70 bit 7 masks the NMI output. A rising edge of the
 * output is an NMI on LINT1. There is no PCI SERR# source (bit 7 is 0).
 */
void bus_nmi_iochk(struct bus *bus);		       /* assert IOCHK# */
void bus_nmi_set_iochk_off(struct bus *bus, bool off); /* port 0x61 bit 3 */
void bus_nmi_set_masked(struct bus *bus, bool masked); /* port 0x70 bit 7 */
uint8_t bus_nmi_status(const struct bus *bus);	       /* port 0x61 bits 7:6 */
void bus_nmi_reset(struct bus *bus); /* RESET: enabled, nothing latched */

#endif
