/*
 * stage2_entry.S - stage 2's entry and its real-mode helpers for the C
 * code (built with gcc -m16: 32-bit code with prefixes, cdecl with 4-byte
 * return addresses, so calll/retl).
 */
#include "bootdisk.h"

	.section .text.entry, "ax"
	.code16
	.globl stage2_entry
stage2_entry:
	/* Clear the BSS (below the stack), then C. DS = ES = 0. */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	xorb %al, %al
	rep stosb
	calll main16
1:	cli
	hlt
	jmp 1b

	.text
/*
 * void bios_int(uint8_t vec, struct biosregs *r): INT vec with EAX-EBP,
 * DS, ES and FLAGS from *r; the results go back into *r. The INT's
 * number is patched into the instruction (real mode, so no protection).
 */
	.globl bios_int
bios_int:
	pushal
	pushw %ds
	pushw %es
	movb 40(%esp), %al
	movb %al, 2f + 1
	jmp 1f
1:	movl 44(%esp), %ebp
	pushl %ebp
	movw 30(%ebp), %es
	pushw 28(%ebp)
	pushw 32(%ebp)
	movl 0(%ebp), %eax
	movl 4(%ebp), %ebx
	movl 8(%ebp), %ecx
	movl 12(%ebp), %edx
	movl 16(%ebp), %esi
	movl 20(%ebp), %edi
	movl 24(%ebp), %ebp
	popfw
	popw %ds
2:	int $0
	pushfw
	pushl %ebp
	movl 6(%esp), %ebp
	movl %eax, 0(%ebp)
	movl %ebx, 4(%ebp)
	movl %ecx, 8(%ebp)
	movl %edx, 12(%ebp)
	movl %esi, 16(%ebp)
	movl %edi, 20(%ebp)
	popl %eax
	movl %eax, 24(%ebp)
	movw %ds, 28(%ebp)
	movw %es, 30(%ebp)
	popw %ax
	movw %ax, 32(%ebp)
	addl $4, %esp
	popw %es
	popw %ds
	popal
	retl

/* FS:EAX = the linear address EAX (below 0x10fff0): segment EAX >> 4,
 * or FFFFh above 1 MiB. Clobbers EDX. */
far_seg:
	movl %eax, %edx
	shrl $4, %edx
	cmpl $0x10000, %edx
	jb 1f
	movl $0xffff, %edx
1:	movw %dx, %fs
	shll $4, %edx
	subl %edx, %eax
	retl

/* uint32_t far_read(uint32_t linear, unsigned size), through FS. */
	.globl far_read
far_read:
	movl 4(%esp), %eax
	movl 8(%esp), %ecx
	pushw %fs
	calll far_seg
	cmpl $1, %ecx
	je 1f
	cmpl $2, %ecx
	je 2f
	movl %fs:(%eax), %eax
	jmp 3f
1:	movzbl %fs:(%eax), %eax
	jmp 3f
2:	movzwl %fs:(%eax), %eax
3:	popw %fs
	retl

/* void far_write32(uint32_t linear, uint32_t value), through FS. */
	.globl far_write32
far_write32:
	movl 4(%esp), %eax
	movl 8(%esp), %ecx
	pushw %fs
	calll far_seg
	movl %ecx, %fs:(%eax)
	popw %fs
	retl

/* void halt_until_interrupt(void): sti; hlt (the next one wakes us). */
	.globl halt_until_interrupt
halt_until_interrupt:
	sti
	hlt
	retl

/* void jump_stage3(void): to stage 3's 16-bit entry. */
	.globl jump_stage3
jump_stage3:
	ljmp $0, $STAGE3_ADDR
