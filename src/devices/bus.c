/*
 * bus.c - port I/O and MMIO dispatch, and interrupt line routing.
 *
 * Port lookup is O(1): pio_map[port] holds the index + 1 of the range that
 * decodes the port (0 = nobody), filled at registration. MMIO ranges are few
 * and searched linearly.
 *
 * An access goes to a device callback in one piece only when it lies wholly
 * inside one range that is not byte-wide; otherwise it is split into byte
 * accesses at consecutive ports (little-endian), which is what the ISA bus
 * does for an 8-bit device, and each byte is dispatched on its own (so the
 * bytes of an access that straddles two devices reach both, and bytes
 * nobody decodes read as 0xff).
 *
 * Interrupt lines go from devices to every registered sink (the 8259 pair
 * and the I/O APIC see the same ISA lines, as on a PC). The 8259's output
 * reaches the CPU through the local APIC's LINT0 when there is one, and
 * directly otherwise (include/devices/bus.h draws the wiring).
 *
 * Registration runs once at machine build time; everything else runs on the
 * vCPU thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/bus.h"

static uint32_t size_mask(unsigned size)
{
	return size >= 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

void bus_init(struct bus *bus)
{
	memset(bus, 0, sizeof(*bus));
}

static void register_pio(struct bus *bus, const char *name, uint16_t base,
			 uint16_t len, bus_read_fn read, bus_write_fn write,
			 void *opaque, bool byte_wide)
{
	if (len == 0 || (uint32_t)base + len > 0x10000) {
		fprintf(stderr, "bt386: bus: bad port range %s at %#x+%#x\n",
			name, base, len);
		abort();
	}
	if (bus->nr_pio >= BUS_MAX_PIO_RANGES) {
		fprintf(stderr, "bt386: bus: too many port ranges (%s)\n",
			name);
		abort();
	}
	for (uint32_t p = base; p < (uint32_t)base + len; p++) {
		unsigned old = bus->pio_map[p];
		if (old) {
			fprintf(stderr,
				"bt386: bus: port %#x of %s already belongs "
				"to %s\n",
				p, name, bus->pio[old - 1].name);
			abort();
		}
	}
	struct bus_range *r = &bus->pio[bus->nr_pio++];
	*r = (struct bus_range){
		.name = name,
		.base = base,
		.len = len,
		.read = read,
		.write = write,
		.opaque = opaque,
		.byte_wide = byte_wide,
	};
	for (uint32_t p = base; p < (uint32_t)base + len; p++)
		bus->pio_map[p] = (uint8_t)bus->nr_pio;
}

void bus_register_pio(struct bus *bus, const char *name, uint16_t base,
		      uint16_t len, bus_read_fn read, bus_write_fn write,
		      void *opaque)
{
	register_pio(bus, name, base, len, read, write, opaque, false);
}

void bus_register_pio8(struct bus *bus, const char *name, uint16_t base,
		       uint16_t len, bus_read_fn read, bus_write_fn write,
		       void *opaque)
{
	register_pio(bus, name, base, len, read, write, opaque, true);
}

void bus_register_mmio(struct bus *bus, const char *name, uint32_t base,
		       uint32_t len, bus_read_fn read, bus_write_fn write,
		       void *opaque)
{
	uint64_t end = (uint64_t)base + len;

	if (len == 0 || end > 0x100000000ull) {
		fprintf(stderr, "bt386: bus: bad MMIO range %s at %#x+%#x\n",
			name, base, len);
		abort();
	}
	if (bus->nr_mmio >= BUS_MAX_MMIO_RANGES) {
		fprintf(stderr, "bt386: bus: too many MMIO ranges (%s)\n",
			name);
		abort();
	}
	for (unsigned i = 0; i < bus->nr_mmio; i++) {
		const struct bus_range *o = &bus->mmio[i];
		if (base < (uint64_t)o->base + o->len && o->base < end) {
			fprintf(stderr,
				"bt386: bus: MMIO range %s at %#x+%#x overlaps "
				"%s\n",
				name, base, len, o->name);
			abort();
		}
	}
	bus->mmio[bus->nr_mmio++] = (struct bus_range){
		.name = name,
		.base = base,
		.len = len,
		.read = read,
		.write = write,
		.opaque = opaque,
	};
}

/* The range that can take the whole access in one callback, or NULL. */
static const struct bus_range *pio_whole(const struct bus *bus, uint16_t port,
					 unsigned size)
{
	unsigned idx = bus->pio_map[port];
	if (!idx)
		return NULL;
	const struct bus_range *r = &bus->pio[idx - 1];
	if (size > 1 && (r->byte_wide || port - r->base + size > r->len))
		return NULL;
	return r;
}

uint32_t bus_pio_read(struct bus *bus, uint16_t port, unsigned size)
{
	const struct bus_range *r = pio_whole(bus, port, size);

	if (r) {
		if (!r->read)
			return size_mask(size);
		return r->read(r->opaque, port - r->base, size) &
		       size_mask(size);
	}
	if (size == 1) {
		bus->pio_unclaimed++;
		return 0xff;
	}
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= bus_pio_read(bus, (uint16_t)(port + i), 1) << (8 * i);
	return v;
}

void bus_pio_write(struct bus *bus, uint16_t port, unsigned size,
		   uint32_t value)
{
	const struct bus_range *r = pio_whole(bus, port, size);

	if (r) {
		if (r->write)
			r->write(r->opaque, port - r->base, size,
				 value & size_mask(size));
		return;
	}
	if (size == 1) {
		bus->pio_unclaimed++;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		bus_pio_write(bus, (uint16_t)(port + i), 1,
			      (value >> (8 * i)) & 0xff);
}

const struct bus_range *bus_mmio_find(const struct bus *bus, uint32_t paddr)
{
	for (unsigned i = 0; i < bus->nr_mmio; i++) {
		const struct bus_range *r = &bus->mmio[i];
		if (paddr - r->base < r->len)
			return r;
	}
	return NULL;
}

void bus_mmio_set_constant(struct bus *bus, uint32_t base, bus_constant_fn fn)
{
	for (unsigned i = 0; i < bus->nr_mmio; i++)
		if (bus->mmio[i].base == base)
			bus->mmio[i].constant = fn;
}

bool bus_mmio_constant(const struct bus *bus, uint32_t paddr, unsigned size)
{
	const struct bus_range *r = bus_mmio_find(bus, paddr);

	return r && r->constant && size == 4 && !(paddr & 3) &&
	       paddr - r->base + size <= r->len &&
	       r->constant(r->opaque, paddr - r->base);
}

/* MMIO registers are naturally aligned; a straddling access is split. */
uint32_t bus_mmio_read(struct bus *bus, uint32_t paddr, unsigned size)
{
	const struct bus_range *r = bus_mmio_find(bus, paddr);

	if (r && paddr - r->base + size <= r->len) {
		if (!r->read)
			return size_mask(size);
		return r->read(r->opaque, paddr - r->base, size) &
		       size_mask(size);
	}
	if (size == 1 || !r) {
		bus->mmio_unclaimed++;
		return size_mask(size);
	}
	uint32_t v = 0;
	for (unsigned i = 0; i < size; i++)
		v |= bus_mmio_read(bus, paddr + i, 1) << (8 * i);
	return v;
}

void bus_mmio_write(struct bus *bus, uint32_t paddr, unsigned size,
		    uint32_t value)
{
	const struct bus_range *r = bus_mmio_find(bus, paddr);

	if (r && paddr - r->base + size <= r->len) {
		if (r->write)
			r->write(r->opaque, paddr - r->base, size,
				 value & size_mask(size));
		return;
	}
	if (size == 1 || !r) {
		bus->mmio_unclaimed++;
		return;
	}
	for (unsigned i = 0; i < size; i++)
		bus_mmio_write(bus, paddr + i, 1, (value >> (8 * i)) & 0xff);
}

void bus_add_irq_sink(struct bus *bus, bus_irq_fn fn, void *opaque)
{
	if (bus->nr_irq_sinks >= BUS_MAX_IRQ_SINKS) {
		fprintf(stderr, "bt386: bus: too many IRQ sinks\n");
		abort();
	}
	bus->irq_sinks[bus->nr_irq_sinks++] = (struct bus_irq_sink){
		.fn = fn,
		.opaque = opaque,
	};
}

void bus_remove_irq_sink(struct bus *bus, void *opaque)
{
	unsigned n = 0;

	for (unsigned i = 0; i < bus->nr_irq_sinks; i++) {
		if (bus->irq_sinks[i].opaque != opaque)
			bus->irq_sinks[n++] = bus->irq_sinks[i];
	}
	bus->nr_irq_sinks = n;
}

void bus_set_irq(struct bus *bus, unsigned irq, int level)
{
	bus->irq_changes++;
	for (unsigned i = 0; i < bus->nr_irq_sinks; i++)
		bus->irq_sinks[i].fn(bus->irq_sinks[i].opaque, irq, level);
}

void bus_set_extint(struct bus *bus, bool level)
{
	bus->extint = level;
	if (bus->lapic_extint_fn)
		bus->lapic_extint_fn(bus->lapic_opaque);
	else
		bus->intr = level;
}

void bus_set_extint_ack(struct bus *bus, bus_intr_ack_fn fn, void *opaque)
{
	bus->extint_ack_fn = fn;
	bus->extint_ack_opaque = opaque;
}

int bus_extint_ack(struct bus *bus)
{
	if (!bus->extint_ack_fn)
		return -1;
	return bus->extint_ack_fn(bus->extint_ack_opaque);
}

void bus_set_local_apic(struct bus *bus, bus_extint_fn extint,
			bus_intr_ack_fn ack, void *opaque)
{
	bus->lapic_extint_fn = extint;
	bus->lapic_ack_fn = ack;
	bus->lapic_opaque = opaque;
	if (extint)
		extint(opaque);
	else
		bus->intr = bus->extint;
}

int bus_intr_ack(struct bus *bus)
{
	if (bus->lapic_ack_fn)
		return bus->lapic_ack_fn(bus->lapic_opaque);
	return bus_extint_ack(bus);
}
