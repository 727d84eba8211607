/*
 * bios_priv.h - the BIOS's pieces (private to src/devices): the ROM's
 * layout and the firmware call convention shared with bios_rom.S, the
 * device state, and the services' entry points.
 *
 * A service call, as the ROM makes it (bios_rom.S): INT n enters a stub
 * that pushes the caller's AX and puts n in AL, then the common code
 * writes AL to BIOS_PORT. The guest stack then holds, at SS:SP,
 *     +0 the caller's AX   +2 IP   +4 CS   +6 FLAGS
 * (the INT's frame under the pushed AX). bios.c reads the caller's
 * registers from there and from the vCPU, runs the service, writes the
 * results back (AX into the stack slot the stub pops, CF and ZF into the
 * FLAGS the IRET restores) and leaves its verdict in AL: BIOS_DONE, or
 * BIOS_WAIT_IRQ (the ROM does sti; hlt and calls again) or BIOS_AGAIN (it
 * calls again at once) for a service that waits (a key, a delay).
 */
#ifndef BT386_DEVICES_BIOS_PRIV_H
#define BT386_DEVICES_BIOS_PRIV_H

/* The firmware call port (out imm8): in the PC's reserved 0xe0-0xef
 * block, clear of QEMU's pc-testdev (0xe0-0xeb). */
#define BIOS_PORT 0xef

#define BIOS_ROM_SEG 0xf000
#define BIOS_ROM_OFF 0xe000 /* the ROM is F000:E000-F000:FFFF */
#define BIOS_ROM_BASE 0xfe000
#define BIOS_ROM_SIZE 0x2000

/* Verdicts, in AL after the port write. */
#define BIOS_DONE 0
#define BIOS_WAIT_IRQ 1
#define BIOS_AGAIN 2

/* Call numbers besides the interrupt vectors. */
#define BIOS_FN_RESET 0xff /* the reset vector F000:FFF0 */

/* BIOS data area (segment 0x40) fields used here. */
#define BDA_EQUIPMENT 0x410
#define BDA_BASE_KIB 0x413
#define BDA_KBD_FLAGS 0x417
#define BDA_KBD_HEAD 0x41a
#define BDA_KBD_TAIL 0x41c
#define BDA_VIDEO_MODE 0x449
#define BDA_VIDEO_COLS 0x44a
#define BDA_VIDEO_PAGE_SIZE 0x44c
#define BDA_VIDEO_PAGE_START 0x44e
#define BDA_CURSOR_POS 0x450 /* 8 words: col, row per page */
#define BDA_CURSOR_SHAPE 0x460
#define BDA_VIDEO_PAGE 0x462
#define BDA_CRTC_BASE 0x463
#define BDA_VIDEO_MSR 0x465
#define BDA_TICKS 0x46c
#define BDA_MIDNIGHT 0x470
#define BDA_DISK_STATUS 0x474
#define BDA_NR_DISKS 0x475
#define BDA_KBD_START 0x480
#define BDA_KBD_END 0x482
#define BDA_VIDEO_ROWS 0x484 /* rows - 1 */
#define BDA_CHAR_HEIGHT 0x485

#define BIOS_TICKS_PER_DAY 0x1800b0u

#ifndef __ASSEMBLER__

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "x86.h"

struct machine;
struct disk_image;

/* The ROM image (bios_rom.S). */
extern const uint8_t bt386_bios_rom[];
extern const uint8_t bt386_bios_rom_call[]; /* the one legal `out` */
extern const uint8_t bt386_bios_rom_iret[]; /* the default handler */
/* {vector, 0, offset in the ROM (16 bits)} ..., ended by offset 0xffff */
extern const uint8_t bt386_bios_rom_vectors[];

/* The caller's registers during a service. */
struct bios_regs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp;
	uint16_t ds, es;
	uint16_t flags;	 /* the caller's FLAGS: CF and ZF are results */
	uint16_t ip, cs; /* where the IRET returns */
};

static inline uint8_t bios_ah(const struct bios_regs *r)
{
	return (uint8_t)(r->eax >> 8);
}
static inline uint8_t bios_al(const struct bios_regs *r)
{
	return (uint8_t)r->eax;
}
static inline void bios_set_ah(struct bios_regs *r, uint8_t v)
{
	r->eax = (r->eax & ~0xff00u) | (uint32_t)v << 8;
}
static inline void bios_set_al(struct bios_regs *r, uint8_t v)
{
	r->eax = (r->eax & ~0xffu) | v;
}
static inline void bios_set16(uint32_t *reg, uint16_t v)
{
	*reg = (*reg & 0xffff0000u) | v;
}
/* Success: CF clear (and AH = 0 where `status` is asked for). */
static inline void bios_ok(struct bios_regs *r)
{
	r->flags &= (uint16_t)~X86_FL_CF;
}
/* Failure: CF set, AH = the status code. */
static inline void bios_fail(struct bios_regs *r, uint8_t status)
{
	bios_set_ah(r, status);
	r->flags |= X86_FL_CF;
}

/* INT 13h status codes. */
#define DISK_OK 0x00
#define DISK_BAD_COMMAND 0x01	  /* bad function or parameter */
#define DISK_WRITE_PROTECTED 0x03 /* a read-only image */
#define DISK_NOT_FOUND 0x04	  /* sector not found (out of range) */
#define DISK_DMA_BOUNDARY 0x09	  /* the buffer is not in RAM */
#define DISK_WRITE_FAULT 0xcc	  /* write failed (read-only image) */
#define DISK_READ_ERROR 0x10	  /* uncorrectable read error */
/* INT 15h (and the others): function not supported. */
#define BIOS_UNSUPPORTED 0x86

#define BIOS_MAX_DISKS 4
#define BIOS_KEYS 16

/* A BIOS disk (0x80 + its number): its image and logical geometry. */
struct bios_disk {
	struct disk_image *img;
	const char *name; /* "hda".."hdd" */
	uint64_t sectors;
	uint32_t cyls; /* logical (BIOS) geometry, LBA-assisted */
	uint32_t heads, spt;
};

struct dev_bios {
	struct machine *m;
	bool active; /* booted from disk: the port answers */
	struct bios_disk disk[BIOS_MAX_DISKS];
	unsigned nr_disks;
	uint8_t last_status; /* INT 13h 01h */
	/* INT 16h: keys read from COM1 but not yet taken (01h peeks). */
	uint16_t keys[BIOS_KEYS];
	unsigned nr_keys;
	/* INT 15h 86h: the end of the wait in progress (0: none). */
	uint64_t wait_until_ns;
	/* INT 1Ah: the guest's tick count minus the host clock's. */
	int32_t tick_offset;
	/* Counters: calls per service, port writes ignored. */
	uint64_t calls[256];
	uint64_t ignored;
};

/* Guest memory for the services: physical = linear (real mode), checked
 * against RAM. NULL when [addr, addr + len) is not all RAM. */
uint8_t *bios_mem(struct dev_bios *b, uint32_t addr, uint32_t len);
/* After writing [addr, addr + len) through bios_mem(): tell the shadow
 * and the translator (watched frames). */
void bios_mem_written(struct dev_bios *b, uint32_t addr, uint32_t len);
uint8_t bios_rd8(struct dev_bios *b, uint32_t addr);
uint16_t bios_rd16(struct dev_bios *b, uint32_t addr);
void bios_wr8(struct dev_bios *b, uint32_t addr, uint8_t v);
void bios_wr16(struct dev_bios *b, uint32_t addr, uint16_t v);
/* Real-mode linear address of seg:off. */
static inline uint32_t bios_lin(uint16_t seg, uint32_t off)
{
	return ((uint32_t)seg << 4) + off;
}

/* The services (bios_video.c, bios_disk.c, bios_sys.c). Each returns a
 * verdict (BIOS_DONE, BIOS_WAIT_IRQ, BIOS_AGAIN). */
int bios_int10(struct dev_bios *b, struct bios_regs *r);
int bios_int13(struct dev_bios *b, struct bios_regs *r);
int bios_int15(struct dev_bios *b, struct bios_regs *r);
int bios_int16(struct dev_bios *b, struct bios_regs *r);
int bios_int1a(struct dev_bios *b, struct bios_regs *r);

/* Set-up pieces called by bios.c at boot. */
void bios_video_reset(struct dev_bios *b); /* mode 3, clear, cursor 0,0 */
void bios_disks_attach(struct dev_bios *b);
/* Read the boot sector of disk 0x80 to 0x7c00: 0, or -1 with a message. */
int bios_disk_load_boot(struct dev_bios *b, char *err, size_t errlen);
/* BDA timer ticks for the host's time of day. */
uint32_t bios_ticks_now(void);
uint32_t bios_ticks_at(uint64_t unix_ns);
/* INT 16h: the key (scan code << 8 | ASCII) for a byte from COM1. */
uint16_t bios_key_of(uint8_t c);

#endif /* __ASSEMBLER__ */
#endif
