/*
 * boot.S - multiboot v1 header and the first instructions of every guest.
 *
 * The boot loader enters _start in 32-bit protected mode with paging off,
 * EAX = 0x2BADB002 and EBX = the multiboot information; the stack, GDT and
 * IDT are undefined (multiboot spec, "Machine state"), so the first thing
 * done here is to take a stack of our own. Flags and segment reloads are
 * done by lib_start() in C (init.c).
 */
#define MB_MAGIC 0x1BADB002
#define MB_FLAGS 0x00000003 /* page-align modules, want memory info */

	.section .multiboot, "a"
	.align 4
	.long MB_MAGIC
	.long MB_FLAGS
	.long -(MB_MAGIC + MB_FLAGS)

	.section .text.entry, "ax"
	.globl _start
_start:
	movl $boot_stack_top, %esp
	/* Record the machine state the boot loader left (struct boot_state). */
	pushfl
	popl boot_state + 0
	movl %eax, boot_state + 4
	movl %ebx, boot_state + 8
	movl %cr0, %ecx
	movl %ecx, boot_state + 12
	movw %cs, boot_state + 16
	movw %ds, boot_state + 18
	movw %es, boot_state + 20
	movw %ss, boot_state + 22
	movw %cs, %cx
	larl %ecx, %edx
	movl %edx, boot_state + 24
	lsll %ecx, %edx
	movl %edx, boot_state + 28
	movw %ds, %cx
	larl %ecx, %edx
	movl %edx, boot_state + 32
	lsll %ecx, %edx
	movl %edx, boot_state + 36
	movw %ss, %cx
	larl %ecx, %edx
	movl %edx, boot_state + 40
	lsll %ecx, %edx
	movl %edx, boot_state + 44
	movl %cr4, %ecx
	movl %ecx, boot_state + 48
	xorl %ebp, %ebp
	pushl $2 /* EFLAGS: IF, DF, TF, NT, AC all clear */
	popfl
	pushl %ebx
	pushl %eax
	call lib_start
	/* lib_start does not return; stop without spinning if it did. */
1:	cli
	hlt
	jmp 1b

	.bss
	.align 4
	.globl boot_state
boot_state:
	.skip 52

	.align 16
	.globl boot_stack_top
boot_stack:
	.skip 32768
boot_stack_top:

	.section .note.GNU-stack, "", @progbits
