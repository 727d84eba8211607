/*
 * de_entry.S - the mode switches of direct execution (see de_priv.h).
 *
 * de_enter(struct de_entry *e)   [64-bit, monitor stack]
 *   Saves the callee-saved registers and RSP (de_st.host_rsp), loads the
 *   guest FPU state, builds an iretq frame (SS:ESP, EFLAGS, CS:EIP of the
 *   guest), then - inside the "window" - loads DS/ES/FS/GS with the LDT
 *   selectors, checks cpu->kick a last time, loads the eight guest
 *   registers and irets into 32-bit guest code. A kick signal that lands
 *   inside the window is redirected to the landing by the handler, so a
 *   kick can never be lost between the check and the iretq.
 *
 * de_landing   [64-bit; reached by a signal return whose context the
 *   handler pointed here, with RAX = DE_RC_*]
 *   Switches back to the monitor stack, gives DS/ES/FS/GS their host
 *   selectors and FS/GS their host bases, saves the guest FPU state and
 *   resets the FPU to its initial state with the monitor's MXCSR and x87
 *   control word, restores the callee-saved registers and returns from
 *   de_enter with RAX.
 *
 * de_sigstub(sig, si, uc)   [the sa_sigaction of every DE signal]
 *   Signals interrupt guest code whose FS/GS bases are the guest's, and
 *   glibc reaches errno and everything thread-local through FS. So on the
 *   vCPU thread (recognised by running on its alternate signal stack:
 *   no TLS needed) the stub saves the interrupted bases, installs the
 *   host's, calls de_signal() and puts the interrupted bases back before
 *   returning (a return to the guest needs them; a redirection to the
 *   landing resets them anyway). On any other thread it goes straight to
 *   de_signal_foreign().
 */
#include "monitor/de_priv.h"

	.text

	.globl de_enter
	.hidden de_enter
	.type de_enter, @function
de_enter:
	push %rbp
	push %rbx
	push %r12
	push %r13
	push %r14
	push %r15
	sub $8, %rsp
	mov %rsp, de_st+DS_HOST_RSP(%rip)
	mov %rdi, %r15

	call de_fpu_load_guest

	/* iretq frame: SS, RSP, RFLAGS, CS, RIP. */
	pushq DE_SS(%r15)
	movl DE_REGS+16(%r15), %eax
	push %rax
	movl DE_EFLAGS(%r15), %eax
	push %rax
	pushq DE_CS(%r15)
	movl DE_EIP(%r15), %eax
	push %rax

	.globl de_window_start
	.hidden de_window_start
de_window_start:
	movl DE_DS(%r15), %eax
	mov %eax, %ds
	movl DE_ES(%r15), %eax
	mov %eax, %es
	movl DE_FS(%r15), %eax
	mov %eax, %fs
	movl DE_GS(%r15), %eax
	mov %eax, %gs
	mov DE_KICKP(%r15), %rax
	cmpl $0, (%rax)
	jne 1f
	movl DE_REGS+4(%r15), %ecx
	movl DE_REGS+8(%r15), %edx
	movl DE_REGS+12(%r15), %ebx
	movl DE_REGS+20(%r15), %ebp
	movl DE_REGS+24(%r15), %esi
	movl DE_REGS+28(%r15), %edi
	movl DE_REGS+0(%r15), %eax
	iretq
	.globl de_window_end
	.hidden de_window_end
de_window_end:
1:	mov $DE_RC_ABORT, %eax
	jmp de_landing
	.size de_enter, .-de_enter

	.globl de_landing
	.hidden de_landing
	.type de_landing, @function
de_landing:
	mov de_st+DS_HOST_RSP(%rip), %rsp
	mov %eax, %ebx
	movzwl de_st+DS_HOST_DS(%rip), %ecx
	mov %ecx, %ds
	movzwl de_st+DS_HOST_ES(%rip), %ecx
	mov %ecx, %es
	movzwl de_st+DS_HOST_FS(%rip), %ecx
	mov %ecx, %fs
	movzwl de_st+DS_HOST_GS(%rip), %ecx
	mov %ecx, %gs
	mov de_st+DS_HOST_FSBASE(%rip), %rax
	wrfsbase %rax
	mov de_st+DS_HOST_GSBASE(%rip), %rax
	wrgsbase %rax
	call de_fpu_save_guest
	mov %ebx, %eax
	add $8, %rsp
	pop %r15
	pop %r14
	pop %r13
	pop %r12
	pop %rbx
	pop %rbp
	ret
	.size de_landing, .-de_landing

/* void de_fpu_load_guest(void): monitor FPU -> guest FPU state. */
	.globl de_fpu_load_guest
	.type de_fpu_load_guest, @function
de_fpu_load_guest:
	stmxcsr de_st+DS_MXCSR(%rip)
	fnstcw de_st+DS_FCW(%rip)
	mov de_st+DS_XMASK(%rip), %eax
	xor %edx, %edx
	mov de_st+DS_GUEST_FPU(%rip), %rcx
	xrstor64 (%rcx)
	ret
	.size de_fpu_load_guest, .-de_fpu_load_guest

/* void de_fpu_save_guest(void): save the guest's FPU state, then give the
 * monitor a clean FPU (initial state, its own MXCSR and control word). */
	.globl de_fpu_save_guest
	.type de_fpu_save_guest, @function
de_fpu_save_guest:
	mov de_st+DS_XMASK(%rip), %eax
	xor %edx, %edx
	mov de_st+DS_GUEST_FPU(%rip), %rcx
	xsave64 (%rcx)
	mov de_st+DS_CLEAN_FPU(%rip), %rcx
	xrstor64 (%rcx)
	ldmxcsr de_st+DS_MXCSR(%rip)
	fldcw de_st+DS_FCW(%rip)
	ret
	.size de_fpu_save_guest, .-de_fpu_save_guest

	.globl de_sigstub
	.hidden de_sigstub
	.type de_sigstub, @function
de_sigstub:
	mov %rsp, %rax
	sub de_st+DS_ALT_LO(%rip), %rax
	cmp de_st+DS_ALT_SIZE(%rip), %rax
	jae de_signal_foreign
	push %rbx
	push %r12
	sub $8, %rsp
	rdfsbase %rbx
	rdgsbase %r12
	mov de_st+DS_HOST_FSBASE(%rip), %rax
	wrfsbase %rax
	mov de_st+DS_HOST_GSBASE(%rip), %rax
	wrgsbase %rax
	call de_signal
	wrfsbase %rbx
	wrgsbase %r12
	add $8, %rsp
	pop %r12
	pop %rbx
	ret
	.size de_sigstub, .-de_sigstub

	.section .note.GNU-stack, "", @progbits
