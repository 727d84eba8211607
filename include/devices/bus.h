/*
 * bus.h - the machine's I/O port and MMIO buses and its interrupt lines.
 *
 * A device registers the port and MMIO ranges it decodes, each with read
 * and write callbacks and an opaque pointer, and raises ISA interrupt lines
 * through bus_set_irq(). The same device code serves every engine: the
 * interpreter, BT callouts, DE fault handlers and KVM exits all end in
 * bus_pio_*() and bus_mmio_*().
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
};

#define BUS_MAX_PIO_RANGES 64
#define BUS_MAX_MMIO_RANGES 16

/* Routes ISA IRQ lines 0..15 to the interrupt controller (the PIC). */
typedef void (*bus_irq_fn)(void *opaque, unsigned irq, int level);
/* Acknowledge the interrupt the CPU is taking: returns its vector. */
typedef int (*bus_intr_ack_fn)(void *opaque);

struct bus {
	struct bus_range pio[BUS_MAX_PIO_RANGES];
	unsigned nr_pio;
	uint8_t pio_map[65536]; /* port -> index + 1 into pio[], 0 = none */
	struct bus_range mmio[BUS_MAX_MMIO_RANGES];
	unsigned nr_mmio;

	bus_irq_fn irq_fn;
	void *irq_opaque;
	bus_intr_ack_fn intr_ack_fn;
	void *intr_ack_opaque;
	/* Level of the CPU's INTR pin, driven by the interrupt controller. */
	bool intr;

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

/* The MMIO range that holds a physical address, or NULL. */
const struct bus_range *bus_mmio_find(const struct bus *bus, uint32_t paddr);
uint32_t bus_mmio_read(struct bus *bus, uint32_t paddr, unsigned size);
void bus_mmio_write(struct bus *bus, uint32_t paddr, unsigned size,
		    uint32_t value);

/* Interrupts: devices raise lines, the controller drives the CPU pin. */
void bus_set_irq_handler(struct bus *bus, bus_irq_fn fn, void *opaque);
void bus_set_irq(struct bus *bus, unsigned irq, int level);
void bus_set_intr_ack(struct bus *bus, bus_intr_ack_fn fn, void *opaque);
static inline void bus_set_intr(struct bus *bus, bool level)
{
	bus->intr = level;
}
/*
 * The CPU takes the pending interrupt: returns the vector to deliver, or
 * -1 if no interrupt controller is registered.
 */
int bus_intr_ack(struct bus *bus);

#endif
