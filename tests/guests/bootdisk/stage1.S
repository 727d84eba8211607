/*
 * stage1.S - the boot sector: loads stage 2 with INT 13h 02h (CHS,
 * sectors 1-16) and 42h (LBA, sectors 17-31), checks both halves arrived
 * and jumps to it. It first records how the BIOS started it (DL, CS,
 * FLAGS, SS:SP) at BOOT_INFO and says hello through INT 10h (teletype).
 */
#include "bootdisk.h"

	.section .boot, "ax"
	.code16
	.globl _start
_start:
	/* On the BIOS's stack: what we were given. */
	pushw %ss
	pushw %sp
	pushfw
	pushw %cs
	pushw %dx
	xorw %ax, %ax
	movw %ax, %ds
	popw BOOT_INFO + 0
	popw BOOT_INFO + 2
	popw BOOT_INFO + 4
	popw BOOT_INFO + 6
	popw BOOT_INFO + 8
	cli
	movw %ax, %es
	movw %ax, %ss
	movl $0x7c00, %esp
	sti
	cld

	movw $banner, %si
1:	lodsb
	testb %al, %al
	jz 2f
	movb $0x0e, %ah
	movw $0x0007, %bx
	int $0x10
	jmp 1b
2:
	/* Sectors 1-16 to 0x7e00: CHS 0/0/2, 16 sectors. */
	movw $(0x0200 | STAGE2_CHS_SECTORS), %ax
	movw $0x0002, %cx
	movb BOOT_INFO, %dl
	movb $0, %dh
	movw $STAGE2_ADDR, %bx
	int $0x13
	jc fail
	cmpb $STAGE2_CHS_SECTORS, %al
	jne fail
	/* The rest with a disk address packet. */
	movw $dap, %si
	movb $0x42, %ah
	movb BOOT_INFO, %dl
	int $0x13
	jc fail
	cmpl $STAGE2_MAGIC_HEAD, STAGE2_ADDR
	jne fail
	cmpl $STAGE2_MAGIC_TAIL, STAGE2_END - 4
	jne fail
	jmp stage2_entry

fail:
	movw $failed, %si
1:	lodsb
	testb %al, %al
	jz 3f
	movb %al, %ah
	movw $0x3fd, %dx
2:	inb %dx, %al
	testb $0x20, %al
	jz 2b
	movw $0x3f8, %dx
	movb %ah, %al
	outb %al, %dx
	jmp 1b
3:	movb $1, %al
	outb %al, $0xf4
4:	cli
	hlt
	jmp 4b

	.balign 4
dap:	.byte 16, 0
	.word STAGE2_SECTORS - STAGE2_CHS_SECTORS
	.word STAGE2_ADDR + STAGE2_CHS_SECTORS * 512, 0
	.long STAGE2_LBA + STAGE2_CHS_SECTORS, 0
banner:	.asciz "@bootdisk: stage 1 speaks through INT 10h\r\n"
failed:	.asciz "FAIL: stage 1 could not load stage 2\r\n"

	.org 510
	.word 0xaa55
