/*
 * testdev.c - QEMU's pc-testdev, for CPU test suites (-device pc-testdev).
 *
 * kvm-unit-tests' x86 tests (emulator, realmode, ...) assume this device
 * and check instructions against it; it is not part of a PC and exists
 * only when asked for. Layout, as QEMU's hw/misc/pc-testdev.c:
 *   0xe0-0xe3     a 32-bit data register addressed by byte: an access of
 *                 N bytes at port 0xe0 + k reads or writes bytes k..k+N-1
 *   0xe4-0xe7     "flush page": QEMU drops its host mapping of the written
 *                 guest-physical page; no guest-visible effect, so here
 *                 writes are accepted and reads return 0
 *   0xe8-0xeb     the same data register, every access split into bytes
 *   0x2000-0x2017 interrupt lines: writing v to 0x2000 + n drives ISA IRQ
 *                 line n to (v != 0); reads return 0
 *   MMIO 0xff000000-0xff00ffff  64 KiB of device memory ("iomem"): reads
 *                 return what was written, but every access is MMIO, so
 *                 every engine takes its device path for it
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"
#include "monitor/machine.h"

#define TESTDEV_DATA_PORT 0xe0
#define TESTDEV_FLUSH_PORT 0xe4
#define TESTDEV_DATA_BYTE_PORT 0xe8
#define TESTDEV_IRQ_PORT 0x2000
#define TESTDEV_IRQ_LINES 24
#define TESTDEV_IOMEM_BASE 0xff000000u
#define TESTDEV_IOMEM_LEN 0x10000u

struct dev_testdev {
	struct bus *bus;
	uint32_t data;
	uint8_t iomem[TESTDEV_IOMEM_LEN];
};

static uint32_t byte_mask(uint32_t offset, unsigned size)
{
	unsigned shift = 8 * (offset & 3);
	uint32_t bits = size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;

	return bits << shift;
}

static uint32_t data_read(void *opaque, uint32_t offset, unsigned size)
{
	const struct dev_testdev *t = opaque;

	return (t->data & byte_mask(offset, size)) >> (8 * (offset & 3));
}

static void data_write(void *opaque, uint32_t offset, unsigned size,
		       uint32_t value)
{
	struct dev_testdev *t = opaque;
	uint32_t mask = byte_mask(offset, size);

	t->data = (t->data & ~mask) | ((value << (8 * (offset & 3))) & mask);
}

static uint32_t zero_read(void *opaque, uint32_t offset, unsigned size)
{
	return 0;
}

static void irq_write(void *opaque, uint32_t offset, unsigned size,
		      uint32_t value)
{
	struct dev_testdev *t = opaque;

	bus_set_irq(t->bus, offset, (value & 0xff) != 0);
}

static uint32_t iomem_read(void *opaque, uint32_t offset, unsigned size)
{
	const struct dev_testdev *t = opaque;
	uint32_t v = 0;

	if (offset + size > TESTDEV_IOMEM_LEN)
		size = TESTDEV_IOMEM_LEN - offset;
	memcpy(&v, &t->iomem[offset], size);
	return v;
}

static void iomem_write(void *opaque, uint32_t offset, unsigned size,
			uint32_t value)
{
	struct dev_testdev *t = opaque;

	if (offset + size > TESTDEV_IOMEM_LEN)
		size = TESTDEV_IOMEM_LEN - offset;
	memcpy(&t->iomem[offset], &value, size);
}

int dev_testdev_init(struct machine *m)
{
	struct dev_testdev *t;

	if (!m->opt.pc_testdev)
		return 0;
	t = calloc(1, sizeof(*t));
	if (!t) {
		fprintf(stderr, "bt386: pc-testdev: out of memory\n");
		return -1;
	}
	t->bus = &m->bus;
	m->testdev = t;
	bus_register_pio(&m->bus, "pc-testdev", TESTDEV_DATA_PORT, 4, data_read,
			 data_write, t);
	bus_register_pio(&m->bus, "pc-testdev-flush", TESTDEV_FLUSH_PORT, 4,
			 zero_read, NULL, t);
	bus_register_pio8(&m->bus, "pc-testdev-byte", TESTDEV_DATA_BYTE_PORT, 4,
			  data_read, data_write, t);
	bus_register_pio8(&m->bus, "pc-testdev-irq", TESTDEV_IRQ_PORT,
			  TESTDEV_IRQ_LINES, zero_read, irq_write, t);
	bus_register_mmio(&m->bus, "pc-testdev-iomem", TESTDEV_IOMEM_BASE,
			  TESTDEV_IOMEM_LEN, iomem_read, iomem_write, t);
	return 0;
}

void dev_testdev_reset(struct dev_testdev *t)
{
	t->data = 0;
	memset(t->iomem, 0, sizeof(t->iomem));
}

void dev_testdev_destroy(struct machine *m)
{
	free(m->testdev);
	m->testdev = NULL;
}
