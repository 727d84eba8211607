/*
 * bios_rom.S - the BIOS ROM: 8 KiB of 16-bit code that bios.c copies to
 * F000:E000 (physical 0xfe000) when bt386 boots from a disk.
 *
 * It holds only what must be guest code:
 *  - one stub per BIOS service vector (INT 10h, 11h, 12h, 13h, 14h, 15h,
 *    16h, 17h, 18h, 19h, 1Ah, and the CPU's divide error and invalid
 *    opcode), which pushes the caller's AX, puts the vector in AL and
 *    joins bios_call: a write of AL to the firmware port, after which the
 *    monitor has done the work in C (bios.c; the convention is in
 *    bios_priv.h) and left its verdict in AL;
 *  - the hardware interrupt handlers (IRQ 0-7 on vectors 08h-0Fh, IRQ
 *    8-15 on 70h-77h, where the BIOS programs the 8259s): IRQ 0 counts
 *    the BDA's timer ticks (with the midnight wrap) and calls INT 1Ch,
 *    IRQ 1 drains the keyboard controller, IRQ 8 reads RTC register C,
 *    IRQ 7 and 15 drop spurious requests, and all of them send EOI;
 *  - an IRET for every other vector, the reset vector at F000:FFF0 (a
 *    firmware call that reboots the machine), and the BIOS date and model
 *    byte where PC software looks for them.
 *
 * Every stub runs with interrupts off (INT clears IF) on the caller's
 * stack, using 8 bytes of it (16 for IRQ 0, which also calls INT 1Ch),
 * except while a waiting service sleeps in hlt with interrupts on. Only
 * bios_call's `out` reaches the monitor: the port ignores writes from
 * anywhere else.
 *
 * Not executed on the host: the bytes live in .rodata. Offsets in the
 * vector table are assemble-time constants (no relocations).
 */
#include "devices/bios_priv.h"

	.section .rodata.bt386_bios_rom, "a"
	.code16
	.globl bt386_bios_rom, bt386_bios_rom_call, bt386_bios_rom_iret
	.globl bt386_bios_rom_vectors

#define ROMOFF(label) (label - bt386_bios_rom + BIOS_ROM_OFF)

bt386_bios_rom:

/* AL = the service; the caller's AX is on the stack. */
bios_call:
	movb %al, %ah		/* AH keeps the service for the retries */
1:	movb %ah, %al
bt386_bios_rom_call:
	outb %al, $BIOS_PORT
	cmpb $BIOS_WAIT_IRQ, %al
	jb 3f			/* BIOS_DONE */
	ja 1b			/* BIOS_AGAIN */
	sti			/* BIOS_WAIT_IRQ: sleep until an interrupt */
	hlt
	cli
	jmp 1b
3:	popw %ax		/* the result the monitor left in the slot */
bt386_bios_rom_iret:
	iret

.macro service vec
svc_\vec:
	pushw %ax
	movb $\vec, %al
	jmp bios_call
.endm

	service 0x00		/* divide error: reported, the run ends */
	service 0x06		/* invalid opcode: likewise */
	service 0x10		/* video */
	service 0x11		/* equipment */
	service 0x12		/* memory size */
	service 0x13		/* disk */
	service 0x14		/* serial port (unsupported) */
	service 0x15		/* system */
	service 0x16		/* keyboard */
	service 0x17		/* printer (unsupported) */
	service 0x18		/* no bootable disk: the run ends */
	service 0x19		/* bootstrap: load the boot sector again */
	service 0x1a		/* time */

reset:
	pushw %ax
	movb $BIOS_FN_RESET, %al
	jmp bios_call

/* IRQ 0: the timer tick (BDA 0x46c, 0x1800b0 ticks a day). */
irq0:
	pushw %ax
	pushw %ds
	xorw %ax, %ax
	movw %ax, %ds
	incl BDA_TICKS
	cmpl $BIOS_TICKS_PER_DAY, BDA_TICKS
	jb 1f
	movl $0, BDA_TICKS
	incb BDA_MIDNIGHT
1:	int $0x1c
	movb $0x20, %al
	outb %al, $0x20
	popw %ds
	popw %ax
	iret

/* IRQ 1: take the byte so the controller can raise the next one. */
irq1:
	pushw %ax
	inb $0x60, %al
	jmp eoi_master

/* IRQ 7: spurious unless the master's ISR says it is in service. */
irq7:
	pushw %ax
	movb $0x0b, %al
	outb %al, $0x20
	inb $0x20, %al
	testb $0x80, %al
	jz 1f
eoi_master:
	movb $0x20, %al
	outb %al, $0x20
1:	popw %ax
	iret

irq_master:
	pushw %ax
	jmp eoi_master

/* IRQ 8: read RTC register C, or the RTC keeps its line high. */
irq8:
	pushw %ax
	movb $0x0c, %al
	outb %al, $0x70
	inb $0x71, %al
	jmp eoi_both

/* IRQ 15: spurious unless the slave's ISR says so (the master still
 * saw IRQ 2 and gets its EOI). */
irq15:
	pushw %ax
	movb $0x0b, %al
	outb %al, $0xa0
	inb $0xa0, %al
	testb $0x80, %al
	jz eoi_master
eoi_both:
	movb $0x20, %al
	outb %al, $0xa0
	jmp eoi_master

irq_slave:
	pushw %ax
	jmp eoi_both

	/* The PC's fixed locations at the top of the ROM. */
	.org 0x1ff0
	ljmp $BIOS_ROM_SEG, $ROMOFF(reset)	/* F000:FFF0 */
	.ascii "01/01/26"			/* F000:FFF5, the BIOS date */
	.byte 0
	.byte 0xfc				/* F000:FFFE, model: AT */
	.byte 0
bt386_bios_rom_end:

/* Not copied: the handler of each vector, as offsets in segment F000. */
.macro vector vec, label
	.byte \vec, 0
	.word ROMOFF(\label)
.endm
bt386_bios_rom_vectors:
	vector 0x00, svc_0x00
	vector 0x06, svc_0x06
	vector 0x08, irq0
	vector 0x09, irq1
	vector 0x0a, irq_master
	vector 0x0b, irq_master
	vector 0x0c, irq_master
	vector 0x0d, irq_master
	vector 0x0e, irq_master
	vector 0x0f, irq7
	vector 0x10, svc_0x10
	vector 0x11, svc_0x11
	vector 0x12, svc_0x12
	vector 0x13, svc_0x13
	vector 0x14, svc_0x14
	vector 0x15, svc_0x15
	vector 0x16, svc_0x16
	vector 0x17, svc_0x17
	vector 0x18, svc_0x18
	vector 0x19, svc_0x19
	vector 0x1a, svc_0x1a
	vector 0x70, irq8
	vector 0x71, irq_slave
	vector 0x72, irq_slave
	vector 0x73, irq_slave
	vector 0x74, irq_slave
	vector 0x75, irq_slave
	vector 0x76, irq_slave
	vector 0x77, irq15
	.byte 0, 0
	.word 0xffff

	.code64
	.section .note.GNU-stack, "", @progbits
