/*
 * bios_disk.c - INT 13h, the fixed disk services, on the IDE disks'
 * images (shared with ata.c: the same descriptors and locks).
 *
 * Drives 80h, 81h, ... are the disks present, in IDE index order (-hda
 * or index=0 first), as SeaBIOS numbers them; there are no floppies. The
 * logical (CHS) geometry is the one a BIOS's LBA-assisted translation
 * gives: 63 sectors per track, 16 heads doubled (32, 64, 128, then 255)
 * until the cylinders fit in 1024, cylinders = sectors / (heads * 63)
 * (at least 1). Up to 504 MiB that is the ATA device's own 16/63
 * geometry. Sectors beyond the last whole cylinder are reached with the
 * extensions (LBA) only.
 *
 * Functions: 00h reset, 01h last status, 02h/03h/04h read/write/verify
 * (CHS, 1-128 sectors), 08h parameters, 15h type, 41h extensions check
 * (EDD 3.0, fixed disk access subset), 42h/43h/44h/47h extended read,
 * write, verify, seek (a disk address packet, 0-127 sectors, or the
 * 64-bit flat buffer of EDD 3.0), 48h extended parameters (26 or 30
 * bytes). Others: CF set, AH = 01h (invalid function), the INT 13h code
 * for it.
 *
 * Every request is checked before any byte moves: the drive, the CHS
 * values against the geometry, the sector range against the image, the
 * buffer against guest RAM. A read goes straight from the image into
 * guest memory (pread), a write straight from guest memory into the image
 * (pwrite), so it is in the file when the call returns, however bt386
 * ends afterwards. Errors leave CF set with the status in AH (and in BDA
 * 0x474 for 01h).
 */
#include <stdio.h>

#include "devices/bios_priv.h"
#include "devices/devices.h"
#include "devices/disk_image.h"
#include "monitor/machine.h"

#define MAX_CHS_COUNT 128
#define MAX_EXT_COUNT 127
#define EDD_VERSION 0x30

enum xfer_op { XFER_READ, XFER_WRITE, XFER_VERIFY };

static const char *const disk_names[BIOS_MAX_DISKS] = {"hda", "hdb", "hdc",
						       "hdd"};

static void geometry(struct bios_disk *d)
{
	uint64_t cyls;

	d->spt = 63;
	d->heads = 16;
	for (;;) {
		cyls = d->sectors / (d->heads * d->spt);
		if (cyls <= 1024 || d->heads == 255)
			break;
		d->heads = d->heads == 128 ? 255 : d->heads * 2;
	}
	d->cyls = cyls > 1024 ? 1024 : cyls ? (uint32_t)cyls : 1;
}

void bios_disks_attach(struct dev_bios *b)
{
	b->nr_disks = 0;
	for (unsigned i = 0; i < BIOS_MAX_DISKS; i++) {
		struct disk_image *img = dev_ata_image(b->m->ata, i);
		struct bios_disk *d = &b->disk[b->nr_disks];

		if (!img)
			continue;
		d->img = img;
		d->name = disk_names[i];
		d->sectors = img->sectors;
		geometry(d);
		b->nr_disks++;
	}
}

int bios_disk_load_boot(struct dev_bios *b, char *err, size_t errlen)
{
	const struct bios_disk *d = &b->disk[0];
	uint8_t *sector = bios_mem(b, 0x7c00, DISK_SECTOR);

	if (!b->nr_disks) {
		snprintf(err, errlen, "no disk to boot from");
		return -1;
	}
	if (!sector || disk_image_read(d->img, 0, 1, sector) < 0) {
		snprintf(err, errlen, "%s (%s): cannot read the boot sector",
			 d->name, d->img->path);
		return -1;
	}
	bios_mem_written(b, 0x7c00, DISK_SECTOR);
	if (sector[510] != 0x55 || sector[511] != 0xaa) {
		snprintf(err, errlen,
			 "%s (%s): not a bootable disk (no 0x55aa boot "
			 "signature); give -kernel to boot a kernel",
			 d->name, d->img->path);
		return -1;
	}
	return 0;
}

/* Move `count` sectors at `lba` between disk `d` and guest memory at
 * `addr`; returns an INT 13h status. */
static uint8_t xfer(struct dev_bios *b, struct bios_disk *d, enum xfer_op op,
		    uint64_t lba, unsigned count, uint32_t addr)
{
	uint32_t bytes = count * DISK_SECTOR;
	uint8_t *buf;

	if (lba >= d->sectors || count > d->sectors - lba)
		return DISK_NOT_FOUND;
	if (op == XFER_VERIFY || count == 0)
		return DISK_OK;
	buf = bios_mem(b, addr, bytes);
	if (!buf)
		return DISK_DMA_BOUNDARY;
	if (op == XFER_READ) {
		if (disk_image_read(d->img, lba, count, buf) < 0)
			return DISK_READ_ERROR;
		bios_mem_written(b, addr, bytes);
		return DISK_OK;
	}
	if (!disk_image_writable(d->img, lba, count))
		return d->img->readonly ? DISK_WRITE_PROTECTED : DISK_NOT_FOUND;
	if (disk_image_write(d->img, lba, count, buf) < 0)
		return DISK_WRITE_FAULT;
	return DISK_OK;
}

/* 02h, 03h, 04h: AL sectors at cylinder CH + CL bits 7-6, head DH,
 * sector CL bits 5-0 (from 1), to or from ES:BX. */
static uint8_t chs(struct dev_bios *b, struct bios_disk *d, struct bios_regs *r,
		   enum xfer_op op)
{
	unsigned count = bios_al(r);
	uint32_t cyl = (r->ecx >> 8 & 0xff) | (r->ecx & 0xc0) << 2;
	uint32_t sec = r->ecx & 0x3f, head = r->edx >> 8 & 0xff;
	uint64_t lba;
	uint8_t st;

	bios_set_al(r, 0);
	if (count == 0 || count > MAX_CHS_COUNT || sec == 0 || sec > d->spt ||
	    head >= d->heads || cyl >= d->cyls)
		return DISK_BAD_COMMAND;
	lba = ((uint64_t)cyl * d->heads + head) * d->spt + sec - 1;
	st = xfer(b, d, op, lba, count, bios_lin(r->es, (uint16_t)r->ebx));
	if (st == DISK_OK)
		bios_set_al(r, (uint8_t)count);
	return st;
}

/* 42h, 43h, 44h, 47h: the disk address packet at DS:SI. */
static uint8_t ext(struct dev_bios *b, struct bios_disk *d, struct bios_regs *r,
		   enum xfer_op op, bool seek)
{
	uint32_t dap = bios_lin(r->ds, (uint16_t)r->esi);
	uint8_t *p = bios_mem(b, dap, 16);
	uint16_t count, off, seg;
	uint64_t lba, addr;
	uint8_t st;

	if (!p || p[0] < 16)
		return DISK_BAD_COMMAND;
	count = (uint16_t)(p[2] | p[3] << 8);
	off = (uint16_t)(p[4] | p[5] << 8);
	seg = (uint16_t)(p[6] | p[7] << 8);
	lba = 0;
	for (unsigned i = 0; i < 8; i++)
		lba |= (uint64_t)p[8 + i] << (8 * i);
	addr = bios_lin(seg, off);
	if (seg == 0xffff && off == 0xffff && p[0] >= 24) {
		uint8_t *flat = bios_mem(b, dap + 16, 8);

		if (!flat)
			return DISK_BAD_COMMAND;
		addr = 0;
		for (unsigned i = 0; i < 8; i++)
			addr |= (uint64_t)flat[i] << (8 * i);
		if (addr > UINT32_MAX)
			return DISK_DMA_BOUNDARY;
	}
	if (seek)
		return lba < d->sectors ? DISK_OK : DISK_NOT_FOUND;
	st = count > MAX_EXT_COUNT ? DISK_BAD_COMMAND
				   : xfer(b, d, op, lba, count, (uint32_t)addr);
	if (st != DISK_OK)
		bios_wr16(b, dap + 2, 0); /* no sectors transferred */
	return st;
}

/* 48h: the result buffer at DS:SI, its size in its first word. */
static uint8_t ext_params(struct dev_bios *b, struct bios_disk *d,
			  struct bios_regs *r)
{
	uint32_t buf = bios_lin(r->ds, (uint16_t)r->esi);
	uint16_t size = bios_rd16(b, buf);
	uint8_t out[30] = {0};
	unsigned len = size >= 30 ? 30 : 26;
	uint8_t *p;

	if (size < 26 || !(p = bios_mem(b, buf, len)))
		return DISK_BAD_COMMAND;
	out[0] = (uint8_t)len;
	out[2] = 0x02; /* the CHS fields are valid */
	for (unsigned i = 0; i < 4; i++) {
		out[4 + i] = (uint8_t)(d->cyls >> (8 * i));
		out[8 + i] = (uint8_t)(d->heads >> (8 * i));
		out[12 + i] = (uint8_t)(d->spt >> (8 * i));
	}
	for (unsigned i = 0; i < 8; i++)
		out[16 + i] = (uint8_t)(d->sectors >> (8 * i));
	out[24] = DISK_SECTOR & 0xff;
	out[25] = DISK_SECTOR >> 8;
	if (len == 30)
		for (unsigned i = 26; i < 30; i++)
			out[i] = 0xff; /* no device parameter table */
	for (unsigned i = 0; i < len; i++)
		p[i] = out[i];
	bios_mem_written(b, buf, len);
	return DISK_OK;
}

/* 08h: the logical geometry (0-based maximums) and the disk count. */
static void params(struct dev_bios *b, struct bios_disk *d, struct bios_regs *r)
{
	uint32_t maxcyl = d->cyls - 1;

	bios_set16(&r->eax, 0);
	bios_set16(&r->ecx, (uint16_t)((maxcyl & 0xff) << 8 |
				       (maxcyl >> 2 & 0xc0) | d->spt));
	bios_set16(&r->edx, (uint16_t)((d->heads - 1) << 8 | b->nr_disks));
	bios_set16(&r->ebx, 0);
}

static struct bios_disk *disk_of(struct dev_bios *b, uint8_t dl)
{
	if (dl < 0x80 || dl - 0x80u >= b->nr_disks)
		return NULL;
	return &b->disk[dl - 0x80];
}

/* The status of a function that only reports one. */
static uint8_t status_call(struct dev_bios *b, struct bios_disk *d,
			   struct bios_regs *r)
{
	uint64_t n;

	switch (bios_ah(r)) {
	case 0x00:
		return DISK_OK;
	case 0x02:
		return chs(b, d, r, XFER_READ);
	case 0x03:
		return chs(b, d, r, XFER_WRITE);
	case 0x04:
		return chs(b, d, r, XFER_VERIFY);
	case 0x08:
		params(b, d, r);
		return DISK_OK;
	case 0x15:
		n = (uint64_t)d->cyls * d->heads * d->spt;
		if (n > d->sectors)
			n = d->sectors;
		bios_set16(&r->ecx, (uint16_t)(n >> 16));
		bios_set16(&r->edx, (uint16_t)n);
		return DISK_OK;
	case 0x42:
		return ext(b, d, r, XFER_READ, false);
	case 0x43:
		return ext(b, d, r, XFER_WRITE, false);
	case 0x44:
		return ext(b, d, r, XFER_VERIFY, false);
	case 0x47:
		return ext(b, d, r, XFER_VERIFY, true);
	case 0x48:
		return ext_params(b, d, r);
	default:
		return DISK_BAD_COMMAND;
	}
}

int bios_int13(struct dev_bios *b, struct bios_regs *r)
{
	struct bios_disk *d = disk_of(b, (uint8_t)r->edx);
	uint8_t fn = bios_ah(r), st;

	if (fn == 0x01) { /* the previous call's status */
		st = b->last_status;
		if (st) {
			bios_fail(r, st);
		} else {
			bios_ok(r);
			bios_set_ah(r, 0);
		}
		return BIOS_DONE;
	}
	if (fn == 0x15 && !d) { /* AH = 0: no such drive */
		bios_ok(r);
		bios_set_ah(r, 0);
		return BIOS_DONE;
	}
	if (fn == 0x41) {
		if (!d || (uint16_t)r->ebx != 0x55aa) {
			bios_fail(r, DISK_BAD_COMMAND);
			return BIOS_DONE;
		}
		bios_ok(r);
		bios_set_ah(r, EDD_VERSION);
		bios_set16(&r->ebx, 0xaa55);
		bios_set16(&r->ecx, 0x0001); /* 42h-44h, 47h, 48h */
		return BIOS_DONE;
	}
	st = d ? status_call(b, d, r) : DISK_BAD_COMMAND;
	b->last_status = st;
	bios_wr8(b, BDA_DISK_STATUS, st);
	if (st) {
		bios_fail(r, st);
		return BIOS_DONE;
	}
	bios_ok(r);
	bios_set_ah(r, fn == 0x15 ? 0x03 : 0); /* 15h: a fixed disk */
	return BIOS_DONE;
}
