/*
 * pci.c - PCI configuration mechanism #1 and the host bridge on bus 0.
 *
 * The guest writes an address dword to port 0xCF8 (bit 31 enable, bits
 * 23:16 bus, 15:11 device, 10:8 function, 7:2 register) and then reads or
 * writes the selected configuration dword through 0xCFC-0xCFF, with byte,
 * word or dword accesses at 0xCFC + n reaching byte n of that dword.
 * Only 32-bit accesses to 0xCF8 reach the address register; narrower
 * ones go to the ISA bus, which has nothing there (reads 0xFF), as on a
 * PC chipset - Linux's type 1 probe depends on that (it writes a byte to
 * 0xCFB and then expects the dword it writes to 0xCF8 to read back).
 *
 * The bus holds one function, 00:00.0, an i440FX-like host bridge (vendor
 * 0x8086, device 0x1237, class 0x0600); every other function is absent
 * and reads as all ones. Finding a host bridge is what Linux's
 * pci_sanity_check() wants before it prints "PCI: Using configuration
 * type 1". The bridge's configuration space is 256 bytes of which the
 * command register, the latency timer and the device-specific area
 * (0x40-0xFF: PAM, SMRAM, ... stored but without effect) are writable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"
#include "monitor/machine.h"

#define PCI_ADDR_PORT 0xcf8
#define PCI_DATA_PORT 0xcfc
#define PCI_ENABLE (1u << 31)

struct dev_pci {
	uint32_t addr; /* the CONFIG_ADDRESS register */
	uint8_t bridge[256];
	struct dev_pci_stats stats;
};

/* Writable bits of the host bridge's configuration space, per byte. */
static uint8_t bridge_wmask(unsigned reg)
{
	if (reg == 0x04)
		return 0x47; /* command: I/O, memory, master, parity */
	if (reg == 0x05)
		return 0x05; /* command: SERR, INTx disable */
	if (reg == 0x0d)
		return 0xff; /* latency timer */
	return reg >= 0x40 ? 0xff : 0x00;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

void dev_pci_reset(struct dev_pci *pci)
{
	uint8_t *c = pci->bridge;

	pci->addr = 0;
	memset(c, 0, sizeof(pci->bridge));
	put16(c + 0x00, 0x8086); /* vendor: Intel */
	put16(c + 0x02, 0x1237); /* device: 82441FX PMC (i440FX) */
	put16(c + 0x04, 0x0006); /* command: memory, bus master */
	put16(c + 0x06, 0x0280); /* status: medium DEVSEL, fast b2b */
	c[0x08] = 0x02;		 /* revision */
	c[0x0a] = 0x00;		 /* subclass: host bridge */
	c[0x0b] = 0x06;		 /* class: bridge */
	c[0x0e] = 0x00;		 /* header type 0, single function */
}

/* The bridge's byte at `reg`, or NULL when the address selects nothing. */
static uint8_t *config_byte(struct dev_pci *pci, unsigned reg)
{
	uint32_t a = pci->addr;

	if (!(a & PCI_ENABLE) || (a & 0x00ffff00u))
		return NULL; /* disabled, or not bus 0 / device 0 / function 0 */
	return &pci->bridge[reg];
}

static uint32_t data_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_pci *pci = opaque;
	unsigned reg = (pci->addr & 0xfc) + offset;
	uint32_t v = 0;

	pci->stats.reads++;
	if (!config_byte(pci, reg)) {
		pci->stats.absent++;
		return size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
	}
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)pci->bridge[reg + i] << (8 * i);
	return v;
}

static void data_write(void *opaque, uint32_t offset, unsigned size,
		       uint32_t value)
{
	struct dev_pci *pci = opaque;
	unsigned reg = (pci->addr & 0xfc) + offset;

	pci->stats.writes++;
	if (!config_byte(pci, reg))
		return;
	for (unsigned i = 0; i < size; i++) {
		uint8_t mask = bridge_wmask(reg + i),
			b = (uint8_t)(value >> 8 * i);
		uint8_t *p = &pci->bridge[reg + i];

		*p = (uint8_t)((*p & ~mask) | (b & mask));
	}
}

static uint32_t addr_read(void *opaque, uint32_t offset, unsigned size)
{
	const struct dev_pci *pci = opaque;

	if (size != 4 || offset != 0)
		return (1u << (8 * size)) - 1; /* ISA: nothing there */
	return pci->addr;
}

static void addr_write(void *opaque, uint32_t offset, unsigned size,
		       uint32_t value)
{
	struct dev_pci *pci = opaque;

	if (size != 4 || offset != 0)
		return;
	/* Bits 30:24 are reserved and bits 1:0 select type 0/1 cycles. */
	pci->addr = value & 0x80fffffcu;
}

int dev_pci_init(struct machine *m)
{
	struct dev_pci *pci = calloc(1, sizeof(*pci));

	if (!pci) {
		fprintf(stderr, "bt386: pci: out of memory\n");
		return -1;
	}
	dev_pci_reset(pci);
	m->pci = pci;
	bus_register_pio(&m->bus, "pci-addr", PCI_ADDR_PORT, 4, addr_read,
			 addr_write, pci);
	bus_register_pio(&m->bus, "pci-data", PCI_DATA_PORT, 4, data_read,
			 data_write, pci);
	return 0;
}

void dev_pci_destroy(struct machine *m)
{
	free(m->pci);
	m->pci = NULL;
}

const struct dev_pci_stats *dev_pci_stats(const struct dev_pci *pci)
{
	return &pci->stats;
}
