/*
 * stage3.S - stage 3's entry, at 0000:C000 in real mode: into protected
 * mode the way xv6's bootasm.S goes (A20 through the 8042's output port,
 * a flat GDT, CR0.PE, a far jump to 32-bit code), then C with a stack
 * below the boot sector.
 */
#include "bootdisk.h"

	.section .text.entry, "ax"
	.code16
	.globl _start
_start:
	cli
	cld
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	/* A20: wait for the 8042's input buffer, command D1h (write the
	 * output port), then DFh (A20 on). */
1:	inb $0x64, %al
	testb $0x02, %al
	jnz 1b
	movb $0xd1, %al
	outb %al, $0x64
2:	inb $0x64, %al
	testb $0x02, %al
	jnz 2b
	movb $0xdf, %al
	outb %al, $0x60

	lgdt gdt_desc
	movl %cr0, %eax
	orl $1, %eax
	movl %eax, %cr0
	ljmp $0x08, $start32

	.code32
start32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	movl $0x7c00, %esp
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorb %al, %al
	rep stosb
	call main32
3:	cli
	hlt
	jmp 3b

	.balign 8
gdt:	.quad 0
	.quad 0x00cf9a000000ffff	/* 0x08: code, flat, 32-bit */
	.quad 0x00cf92000000ffff	/* 0x10: data, flat */
gdt_desc:
	.word gdt_desc - gdt - 1
	.long gdt
