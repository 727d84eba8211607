/*
 * fwcfg.c - QEMU's firmware configuration interface, the traditional
 * (port I/O, no DMA) variant: a 16-bit selector at 0x510 and an 8-bit
 * data port at 0x511.
 *
 * Test kernels written for QEMU read a few items from it (the signature,
 * the number of CPUs, the RAM size) and spin or misbehave when the ports
 * answer all ones, so bt386 answers as QEMU does for a one-CPU PC:
 *   0x0000 signature "QEMU"          0x0001 ID = 1 (no DMA interface)
 *   0x0003 RAM size (64-bit LE)      0x0005 number of CPUs (16-bit LE) = 1
 *   0x000d NUMA node count (zero)    0x000f maximum CPUs (16-bit LE) = 1
 *   0x0019 file directory (empty: a zero count)
 * Writing the selector rewinds the item; each data read returns the next
 * byte, and 0 past the end of the item or for a key with no item. As in
 * QEMU, a byte read at 0x510 also reads data, and only a 16-bit write at
 * 0x510 selects (data writes are ignored).
 *
 * Runs on the vCPU thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"
#include "monitor/machine.h"

#define FWCFG_PORT 0x510
#define FWCFG_ITEM_MAX 16

enum {
	KEY_SIGNATURE = 0x0000,
	KEY_ID = 0x0001,
	KEY_RAM_SIZE = 0x0003,
	KEY_NB_CPUS = 0x0005,
	KEY_NUMA = 0x000d,
	KEY_MAX_CPUS = 0x000f,
	KEY_FILE_DIR = 0x0019,
};

struct dev_fwcfg {
	uint64_t ram_size;
	uint16_t key;
	uint32_t offset;
	uint8_t item[FWCFG_ITEM_MAX];
	uint32_t item_len;
};

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Fill the item for `key` (empty for keys without one). */
static void select_key(struct dev_fwcfg *f, uint16_t key)
{
	f->key = key;
	f->offset = 0;
	memset(f->item, 0, sizeof(f->item));
	switch (key) {
	case KEY_SIGNATURE:
		memcpy(f->item, "QEMU", 4);
		f->item_len = 4;
		break;
	case KEY_ID:
		put_le(f->item, 1, 4);
		f->item_len = 4;
		break;
	case KEY_RAM_SIZE:
		put_le(f->item, f->ram_size, 8);
		f->item_len = 8;
		break;
	case KEY_NB_CPUS:
	case KEY_MAX_CPUS:
		put_le(f->item, 1, 2);
		f->item_len = 2;
		break;
	case KEY_NUMA:
		f->item_len = 8; /* zero nodes */
		break;
	case KEY_FILE_DIR:
		f->item_len = 4; /* zero files (big-endian count) */
		break;
	default:
		f->item_len = 0;
		break;
	}
}

static uint8_t data_read(struct dev_fwcfg *f)
{
	if (f->offset >= f->item_len)
		return 0;
	return f->item[f->offset++];
}

static uint32_t fwcfg_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_fwcfg *f = opaque;
	uint32_t v = 0;

	/* Wider reads are successive data bytes, like repeated inb. */
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)data_read(f) << (8 * i);
	return v;
}

static void fwcfg_write(void *opaque, uint32_t offset, unsigned size,
			uint32_t value)
{
	struct dev_fwcfg *f = opaque;

	if (offset == 0 && size == 2)
		select_key(f, (uint16_t)value);
	/* Data writes: read-only items in this version, as QEMU >= 2.4. */
}

void dev_fwcfg_reset(struct dev_fwcfg *f)
{
	select_key(f, KEY_SIGNATURE);
}

int dev_fwcfg_init(struct machine *m)
{
	struct dev_fwcfg *f = calloc(1, sizeof(*f));

	if (!f) {
		fprintf(stderr, "bt386: fw_cfg: out of memory\n");
		return -1;
	}
	f->ram_size = m->mem.size;
	dev_fwcfg_reset(f);
	m->fwcfg = f;
	bus_register_pio(&m->bus, "fw_cfg", FWCFG_PORT, 2, fwcfg_read,
			 fwcfg_write, f);
	return 0;
}

void dev_fwcfg_destroy(struct machine *m)
{
	free(m->fwcfg);
	m->fwcfg = NULL;
}
