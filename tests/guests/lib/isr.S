/*
 * isr.S - interrupt entry stubs, the common trap path and ring 3 entry.
 *
 * There is one 16-byte stub per vector (idt_stub(v) = isr_stubs + 16 * v).
 * A stub pushes a zero error code when the CPU does not push one, then the
 * vector, so that every trap reaches trap_common with the same frame
 * (struct trap_frame in guest.h). trap_dispatch() may edit the frame; the
 * edited registers, EIP, CS, EFLAGS (and ESP/SS for a return to ring 3) are
 * what iret resumes with.
 */
	.text
	.align 16
	.globl isr_stubs
isr_stubs:
	.set vec, 0
	.rept 256
	.align 16
	.if (vec == 8) || (vec == 10) || (vec == 11) || (vec == 12) || (vec == 13) || (vec == 14) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
	/* the CPU pushed an error code */
	.else
	pushl $0
	.endif
	pushl $vec
	jmp trap_common
	.set vec, vec + 1
	.endr

trap_common:
	pushal
	pushl %ds
	pushl %es
	pushl %fs
	pushl %gs
	movl $0x10, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	cld
	pushl %esp
	call trap_dispatch
	addl $4, %esp
	popl %gs
	popl %fs
	popl %es
	popl %ds
	popal
	addl $8, %esp
	iret

/*
 * int enter_user(uint32_t eip, uint32_t esp, uint32_t eflags)
 * Saves the callee-saved registers and the stack pointer, then irets to
 * ring 3. return_to_kernel(value) comes back here from any trap handler
 * (on whatever stack it runs) and makes enter_user return value.
 */
	.globl enter_user
enter_user:
	pushl %ebp
	pushl %ebx
	pushl %esi
	pushl %edi
	movl %esp, user_return_esp
	movl 20(%esp), %eax
	movl 24(%esp), %ecx
	movl 28(%esp), %edx
	pushl $0x23
	pushl %ecx
	pushl %edx
	pushl $0x1b
	pushl %eax
	movl $0x23, %eax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %fs
	movw %ax, %gs
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %edi, %edi
	xorl %ebp, %ebp
	iret

	.globl return_to_kernel
return_to_kernel:
	movl 4(%esp), %eax
	movl user_return_esp, %esp
	movl $0x10, %ecx
	movw %cx, %ds
	movw %cx, %es
	movw %cx, %fs
	movw %cx, %gs
	popl %edi
	popl %esi
	popl %ebx
	popl %ebp
	ret

	.bss
	.align 4
user_return_esp:
	.long 0

	.section .note.GNU-stack, "", @progbits
