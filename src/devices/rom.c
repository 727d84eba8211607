/*
 * rom.c - a firmware image given with -bios FILE, in place of bt386's
 * BIOS (CPU testers such as test386.asm are written as BIOS ROMs).
 *
 * As on a PC (and with QEMU's -bios), the image sits at the top of the
 * 4 GiB address space, where the CPU's first fetch (CS base 0xffff0000,
 * EIP 0xfff0) finds it, and is aliased just below 1 MiB, where real-mode
 * code reaches it after its first far jump. The high alias is read-only
 * MMIO (writes are ignored, as a ROM's); the low one is the guest RAM at
 * 0x100000 - size, refilled from the image at every reset, which the
 * guest may write, as a shadowed BIOS. Images of 64 KiB or 128 KiB are
 * accepted (the sizes of the ISA BIOS window, 0xf0000 or 0xe0000 up).
 *
 * With -bios nothing else is written below 1 MiB (no MP tables, no BDA,
 * no interrupt vectors): the image owns the machine from reset.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"
#include "mmu/mem.h"
#include "monitor/file.h"
#include "monitor/machine.h"

#define ROM_MAX (128u << 10)

struct dev_rom {
	uint8_t *image;
	uint32_t size;
};

static uint32_t rom_read(void *opaque, uint32_t offset, unsigned size)
{
	const struct dev_rom *r = opaque;
	uint32_t v = 0;

	if (offset + size > r->size)
		size = r->size - offset;
	memcpy(&v, r->image + offset, size);
	return v;
}

int dev_rom_load(struct machine *m, char *err, size_t errlen)
{
	struct dev_rom *r;
	void *buf;
	size_t len;

	if (!m->opt.bios)
		return 0;
	if (m->mem.size < 0x100000u) {
		snprintf(err, errlen, "-bios needs at least 1 MiB of RAM");
		return -1;
	}
	if (mon_read_file(m->opt.bios, ROM_MAX, &buf, &len, err, errlen) < 0)
		return -1;
	if (len != (64u << 10) && len != (128u << 10)) {
		snprintf(err, errlen,
			 "-bios %s: %zu bytes; a BIOS image must be 64 KiB or "
			 "128 KiB",
			 m->opt.bios, len);
		free(buf);
		return -1;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "-bios: out of memory");
		free(buf);
		return -1;
	}
	r->image = buf;
	r->size = (uint32_t)len;
	m->rom = r;
	bus_register_mmio(&m->bus, "bios-rom", (uint32_t)(0x100000000ull - len),
			  r->size, rom_read, NULL, r); /* writes ignored */
	return 0;
}

void dev_rom_boot(struct machine *m)
{
	const struct dev_rom *r = m->rom;

	memcpy(mem_ptr(&m->mem, 0x100000u - r->size), r->image, r->size);
}

void dev_rom_destroy(struct machine *m)
{
	if (!m->rom)
		return;
	free(m->rom->image);
	free(m->rom);
	m->rom = NULL;
}
