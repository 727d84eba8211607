/*
 * bios.c - a minimal PC BIOS, so that bt386 boots from a disk as a PC
 * does (as QEMU with SeaBIOS does, for teaching kernels such as xv6).
 *
 * At boot (dev_bios_boot, from machine_boot when there is no -kernel and
 * there is a disk) the monitor writes what firmware leaves behind: the
 * ROM (bios_rom.S) at F000:E000, the interrupt vector table, the BIOS
 * data area, the 8259s at vector bases 08h/70h with IRQ 0 unmasked, the
 * PIT at 18.2 Hz and text mode 3; then it reads sector 0 of the first
 * disk to 0000:7C00 and starts the vCPU there in real mode with DL = 80h,
 * SS:SP = 0000:7C00 and interrupts enabled. A disk without the 0x55aa
 * signature is refused with a one-line message.
 *
 * The services run here, in C, behind one port (BIOS_PORT): the ROM's
 * stubs write the vector number to it, and fw_write() reads the caller's
 * registers, runs the service and writes the results back (convention
 * in bios_priv.h). The services: INT 10h (bios_video.c), 13h
 * (bios_disk.c), 15h, 16h, 1Ah (bios_sys.c), 11h, 12h, 18h, 19h and the
 * reset vector here.
 *
 * The port must be harmless whatever a guest does with it: it acts only
 * after a disk boot, only in real mode, and only when the write comes
 * from the ROM's one `out` instruction (CS base + IP of that instruction);
 * anything else is ignored. Every guest memory access is checked against
 * RAM (bios_mem), disk accesses against the image (bios_disk.c), and no
 * host system call is made beyond pread/pwrite on the images opened at
 * start-up, clock reads and console output (the seccomp allowlist).
 *
 * Runs on the vCPU thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/bios_priv.h"
#include "devices/devices.h"
#include "mmu/shadow.h"
#include "monitor/machine.h"
#include "monitor/memmap.h"

/* Vectors that hold data pointers (tables a real BIOS may provide) or
 * are free for programs: left 0000:0000. */
static const uint8_t null_vectors[] = {0x1d, 0x1e, 0x1f, 0x41, 0x43,
				       0x46, 0x60, 0x61, 0x62, 0x63,
				       0x64, 0x65, 0x66, 0x67};

/* ---- guest memory ---------------------------------------------------- */

uint8_t *bios_mem(struct dev_bios *b, uint32_t addr, uint32_t len)
{
	if (!mem_is_ram(&b->m->mem, addr, len))
		return NULL;
	return mem_ptr(&b->m->mem, addr);
}

void bios_mem_written(struct dev_bios *b, uint32_t addr, uint32_t len)
{
	uint64_t end = (uint64_t)addr + len;

	if (!mmu_frame_flags)
		return;
	while (addr < end) {
		uint64_t next = ((uint64_t)(addr >> 12) + 1) << 12;
		uint32_t chunk = (uint32_t)((next < end ? next : end) - addr);

		if (mmu_frame_flags[addr >> 12] & FRAME_WATCHED)
			mmu_frame_written(b->m, addr, chunk);
		addr += chunk;
	}
}

uint8_t bios_rd8(struct dev_bios *b, uint32_t addr)
{
	uint8_t *p = bios_mem(b, addr, 1);

	return p ? *p : 0xff;
}

uint16_t bios_rd16(struct dev_bios *b, uint32_t addr)
{
	return (uint16_t)(bios_rd8(b, addr) | bios_rd8(b, addr + 1) << 8);
}

void bios_wr8(struct dev_bios *b, uint32_t addr, uint8_t v)
{
	uint8_t *p = bios_mem(b, addr, 1);

	if (p) {
		*p = v;
		bios_mem_written(b, addr, 1);
	}
}

void bios_wr16(struct dev_bios *b, uint32_t addr, uint16_t v)
{
	bios_wr8(b, addr, (uint8_t)v);
	bios_wr8(b, addr + 1, (uint8_t)(v >> 8));
}

static void wr32(struct dev_bios *b, uint32_t addr, uint32_t v)
{
	bios_wr16(b, addr, (uint16_t)v);
	bios_wr16(b, addr + 2, (uint16_t)(v >> 16));
}

/* ---- the services that fit in a few lines ------------------------------ */

/* Stop the run with a message (the loop prints it with the ROM's CS:IP;
 * the message names the caller's). */
static void stop(struct dev_bios *b, const struct bios_regs *r,
		 const char *what)
{
	struct vcpu *cpu = &b->m->cpu;

	snprintf(cpu->error, sizeof(cpu->error),
		 "%.120s (called from %04x:%04x)", what, r->cs, r->ip);
	machine_request_exit(b->m, VCPU_EXIT_ERROR, 0);
}

/* INT 19h: load the boot sector again and return to it. */
static void bootstrap(struct dev_bios *b, struct bios_regs *r)
{
	char err[160];

	if (bios_disk_load_boot(b, err, sizeof(err)) < 0) {
		stop(b, r, err);
		return;
	}
	r->cs = 0;
	r->ip = 0x7c00;
	bios_set16(&r->edx, 0x0080);
}

static int dispatch(struct dev_bios *b, uint8_t fn, struct bios_regs *r)
{
	switch (fn) {
	case 0x00:
		stop(b, r,
		     "divide error (#DE) in real mode: the BIOS's "
		     "handler ends the run");
		return BIOS_DONE;
	case 0x06:
		stop(b, r,
		     "invalid opcode (#UD) in real mode: the BIOS's "
		     "handler ends the run");
		return BIOS_DONE;
	case 0x10:
		return bios_int10(b, r);
	case 0x11:
		bios_set16(&r->eax, bios_rd16(b, BDA_EQUIPMENT));
		return BIOS_DONE;
	case 0x12:
		bios_set16(&r->eax, bios_rd16(b, BDA_BASE_KIB));
		return BIOS_DONE;
	case 0x13:
		return bios_int13(b, r);
	case 0x15:
		return bios_int15(b, r);
	case 0x16:
		return bios_int16(b, r);
	case 0x18:
		stop(b, r, "INT 18h: the boot sector found nothing to boot");
		return BIOS_DONE;
	case 0x19:
		bootstrap(b, r);
		return BIOS_DONE;
	case 0x1a:
		return bios_int1a(b, r);
	case BIOS_FN_RESET:
		machine_request_exit(b->m, VCPU_EXIT_RESET, 0);
		return BIOS_DONE;
	default: /* INT 14h (serial), 17h (printer) */
		bios_fail(r, BIOS_UNSUPPORTED);
		return BIOS_DONE;
	}
}

/* ---- the firmware port ------------------------------------------------ */

/* The frame under SS:SP: the caller's AX, then the INT's IP, CS, FLAGS. */
static uint32_t frame_addr(const struct vcpu *cpu, unsigned slot)
{
	return cpu->seg[X86_SS].base +
	       (uint16_t)(cpu->regs[X86_ESP] + 2 * slot);
}

static void call(struct dev_bios *b, struct vcpu *cpu, uint8_t fn)
{
	uint16_t frame[4];
	struct bios_regs r;
	int verdict;

	for (unsigned i = 0; i < 4; i++) {
		if (!bios_mem(b, frame_addr(cpu, i), 2)) {
			/* A stack outside RAM: nothing to answer to. */
			cpu->regs[X86_EAX] &= ~0xffu;
			return;
		}
		frame[i] = bios_rd16(b, frame_addr(cpu, i));
	}
	r = (struct bios_regs){
		.eax = (cpu->regs[X86_EAX] & 0xffff0000u) | frame[0],
		.ebx = cpu->regs[X86_EBX],
		.ecx = cpu->regs[X86_ECX],
		.edx = cpu->regs[X86_EDX],
		.esi = cpu->regs[X86_ESI],
		.edi = cpu->regs[X86_EDI],
		.ebp = cpu->regs[X86_EBP],
		.ds = cpu->seg[X86_DS].sel,
		.es = cpu->seg[X86_ES].sel,
		.ip = frame[1],
		.cs = frame[2],
		.flags = frame[3],
	};
	b->calls[fn]++;
	verdict = dispatch(b, fn, &r);
	/* AH keeps the service number for the ROM's retries. */
	cpu->regs[X86_EAX] = (cpu->regs[X86_EAX] & 0xffff0000u) |
			     (uint32_t)fn << 8 | (uint8_t)verdict;
	if (verdict != BIOS_DONE)
		return;
	cpu->regs[X86_EAX] = (r.eax & 0xffff0000u) | (uint32_t)fn << 8;
	cpu->regs[X86_EBX] = r.ebx;
	cpu->regs[X86_ECX] = r.ecx;
	cpu->regs[X86_EDX] = r.edx;
	cpu->regs[X86_ESI] = r.esi;
	cpu->regs[X86_EDI] = r.edi;
	cpu->regs[X86_EBP] = r.ebp;
	bios_wr16(b, frame_addr(cpu, 0), (uint16_t)r.eax);
	bios_wr16(b, frame_addr(cpu, 1), r.ip);
	bios_wr16(b, frame_addr(cpu, 2), r.cs);
	bios_wr16(b, frame_addr(cpu, 3), r.flags);
}

static void fw_write(void *opaque, uint32_t offset, unsigned size,
		     uint32_t value)
{
	struct dev_bios *b = opaque;
	struct vcpu *cpu = &b->m->cpu;
	uint32_t call_site = BIOS_ROM_BASE +
			     (uint32_t)(bt386_bios_rom_call - bt386_bios_rom);

	if (!b->active || vcpu_protected(cpu) ||
	    cpu->seg[X86_CS].base + cpu->insn_eip != call_site) {
		b->ignored++;
		return;
	}
	call(b, cpu, (uint8_t)value);
}

/* ---- boot --------------------------------------------------------------- */

static void write_ivt(struct dev_bios *b)
{
	uint32_t iret =
		BIOS_ROM_OFF + (uint32_t)(bt386_bios_rom_iret - bt386_bios_rom);
	const uint8_t *v;

	for (unsigned i = 0; i < 256; i++)
		wr32(b, i * 4, (uint32_t)BIOS_ROM_SEG << 16 | iret);
	for (v = bt386_bios_rom_vectors; (v[2] | v[3] << 8) != 0xffff; v += 4)
		wr32(b, v[0] * 4u,
		     (uint32_t)BIOS_ROM_SEG << 16 |
			     (uint32_t)(v[2] | v[3] << 8));
	for (unsigned i = 0; i < sizeof(null_vectors); i++)
		wr32(b, null_vectors[i] * 4u, 0);
}

static void write_bda(struct dev_bios *b)
{
	/* COM1, the EBDA and the base memory size are dev_mptable_write's.
	 * Equipment: x87, 80x25 colour, one serial port, no floppy. */
	bios_wr16(b, BDA_EQUIPMENT, 0x0222);
	bios_wr16(b, BDA_KBD_HEAD, 0x1e);
	bios_wr16(b, BDA_KBD_TAIL, 0x1e);
	bios_wr16(b, BDA_KBD_START, 0x1e);
	bios_wr16(b, BDA_KBD_END, 0x3e);
	wr32(b, BDA_TICKS, bios_ticks_now());
	bios_wr8(b, BDA_NR_DISKS, (uint8_t)b->nr_disks);
}

/* The 8259s at vector bases 08h and 70h, only the timer (and the
 * cascade) unmasked; the PIT's channel 0 at 18.2 Hz (square wave,
 * count 65536), as a BIOS leaves them. */
static void init_chipset(struct dev_bios *b)
{
	struct bus *bus = &b->m->bus;
	static const uint8_t pic[][2] = {
		{0x20, 0x11}, {0x21, 0x08}, {0x21, 0x04}, {0x21, 0x01},
		{0xa0, 0x11}, {0xa1, 0x70}, {0xa1, 0x02}, {0xa1, 0x01},
		{0x21, 0xfa}, {0xa1, 0xff}, {0x43, 0x36}, {0x40, 0x00},
		{0x40, 0x00},
	};

	for (unsigned i = 0; i < sizeof(pic) / sizeof(pic[0]); i++)
		bus_pio_write(bus, pic[i][0], 1, pic[i][1]);
}

bool dev_bios_wanted(const struct machine *m)
{
	if (m->opt.kernel || m->opt.bios)
		return false;
	for (unsigned i = 0; i < MACHINE_MAX_DRIVES; i++)
		if (m->opt.drive[i].file)
			return true;
	return false;
}

int dev_bios_post(struct machine *m, char *err, size_t errlen)
{
	struct dev_bios *b = m->bios;
	uint8_t *rom;

	b->active = false;
	b->nr_keys = 0;
	b->wait_until_ns = 0;
	b->tick_offset = 0;
	bios_disks_attach(b);
	rom = bios_mem(b, BIOS_ROM_BASE, BIOS_ROM_SIZE);
	if (!rom || !bios_mem(b, 0, MON_EBDA_START)) {
		snprintf(err, errlen, "the BIOS needs at least 1 MiB of RAM");
		return -1;
	}
	memcpy(rom, bt386_bios_rom, BIOS_ROM_SIZE);
	bios_mem_written(b, BIOS_ROM_BASE, BIOS_ROM_SIZE);
	write_ivt(b);
	write_bda(b);
	init_chipset(b);
	bios_video_reset(b);
	b->active = true;
	return 0;
}

int dev_bios_boot(struct machine *m, char *err, size_t errlen)
{
	struct dev_bios *b = m->bios;
	struct vcpu *cpu = &m->cpu;

	if (dev_bios_post(m, err, errlen) < 0 ||
	    bios_disk_load_boot(b, err, errlen) < 0) {
		b->active = false;
		return -1;
	}
	/* 0000:7C00, real mode (vcpu_reset left everything else). */
	cpu->seg[X86_CS].sel = 0;
	cpu->seg[X86_CS].base = 0;
	cpu->eip = 0x7c00;
	cpu->regs[X86_EDX] = 0x80;
	cpu->regs[X86_ESP] = 0x7c00;
	cpu->eflags = X86_FL_FIXED1 | X86_FL_IF;
	return 0;
}

/* ---- the device ----------------------------------------------------- */

int dev_bios_init(struct machine *m)
{
	struct dev_bios *b = calloc(1, sizeof(*b));

	if (!b) {
		fprintf(stderr, "bt386: bios: out of memory\n");
		return -1;
	}
	b->m = m;
	m->bios = b;
	bus_register_pio8(&m->bus, "bios", BIOS_PORT, 1, NULL, fw_write, b);
	return 0;
}

void dev_bios_destroy(struct machine *m)
{
	free(m->bios);
	m->bios = NULL;
}

const uint64_t *dev_bios_calls(const struct dev_bios *b, uint64_t *ignored)
{
	if (ignored)
		*ignored = b->ignored;
	return b->calls;
}
