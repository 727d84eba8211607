/*
 * de_entry.S - the mode switches of direct execution (see de_priv.h).
 *
 * de_enter(struct de_entry *e)   [64-bit, monitor stack]
 *   Saves the callee-saved registers and RSP (de_st.host_rsp), loads the
 *   guest FPU state, builds an iretq frame (SS:ESP, EFLAGS, CS:EIP of the
 *   guest), then - inside the "window" - loads DS/ES/FS/GS with the LDT
 *   selectors (only the FS/GS bases when the selectors are still loaded
 *   from the last exit), checks cpu->kick a last time, loads the eight
 *   guest registers and irets into 32-bit guest code. A kick signal that
 *   lands inside the window is redirected to the landing by the handler,
 *   so a kick can never be lost between the check and the iretq.
 *
 * de_landing   [64-bit; reached by a signal return whose context the
 *   handler pointed here, with RAX = DE_RC_*]
 *   Switches back to the monitor stack, gives FS/GS their host bases
 *   (the guest's selectors stay loaded: 64-bit code ignores DS/ES and the
 *   FS/GS selectors, and Linux saves and restores selector and base
 *   separately across context switches), saves the guest FPU state,
 *   gives the monitor a clean FPU with its own MXCSR and x87 control
 *   word, restores the callee-saved registers and returns from de_enter
 *   with RAX.
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
	/* A full barrier (xchg): de_kick's load of in_guest and the
	 * window's load of cpu->kick cannot both miss. */
	movl $1, %eax
	xchgl %eax, de_st+DS_IN_GUEST(%rip)
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
	/* DS and ES: load when they differ from what the guest needs or
	 * when the LDT entries were rewritten (a loaded register keeps its
	 * old descriptor). */
	mov %ds, %eax
	cmpl DE_DS(%r15), %eax
	jne 2f
	cmpb $0, DE_RELOAD(%r15)
	je 3f
2:	movl DE_DS(%r15), %eax
	mov %eax, %ds
3:	mov %es, %eax
	cmpl DE_ES(%r15), %eax
	jne 2f
	cmpb $0, DE_RELOAD(%r15)
	je 3f
2:	movl DE_ES(%r15), %eax
	mov %eax, %es
	/* FS and GS: the landing left the guest's selectors in place and
	 * only swapped the bases, so writing the base back is enough (and
	 * much cheaper than a segment load). */
3:	mov %fs, %eax
	cmpl DE_FS(%r15), %eax
	jne 2f
	cmpb $0, DE_RELOAD(%r15)
	jne 2f
	mov DE_FSBASE(%r15), %rax
	wrfsbase %rax
	jmp 3f
2:	movl DE_FS(%r15), %eax
	mov %eax, %fs
3:	mov %gs, %eax
	cmpl DE_GS(%r15), %eax
	jne 2f
	cmpb $0, DE_RELOAD(%r15)
	jne 2f
	mov DE_GSBASE(%r15), %rax
	wrgsbase %rax
	jmp 3f
2:	movl DE_GS(%r15), %eax
	mov %eax, %gs
3:
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
	/* Nothing of the monitor stays in a register: 32-bit code cannot
	 * read r8-r15, but code that far-jumps to the host's 64-bit
	 * selector could, and would find the monitor through them. (The
	 * flags come from the iretq frame.) */
	xor %r8d, %r8d
	xor %r9d, %r9d
	xor %r10d, %r10d
	xor %r11d, %r11d
	xor %r12d, %r12d
	xor %r13d, %r13d
	xor %r14d, %r14d
	xor %r15d, %r15d
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
	movl $0, de_st+DS_IN_GUEST(%rip)
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
 * monitor a clean FPU (empty x87 stack, its own MXCSR and control word,
 * AVX upper halves zero). */
	.globl de_fpu_save_guest
	.type de_fpu_save_guest, @function
de_fpu_save_guest:
	mov de_st+DS_XMASK(%rip), %eax
	xor %edx, %edx
	mov de_st+DS_GUEST_FPU(%rip), %rcx
	xsave64 (%rcx)
	/* What the ABI asks of the monitor's FPU: an empty x87 stack and
	 * its own control words (the XMM contents are caller-saved). This
	 * is cheaper than an XRSTOR of a clean area. */
	fninit
	testb $4, de_st+DS_XMASK(%rip)
	jz 1f
	vzeroupper
1:	ldmxcsr de_st+DS_MXCSR(%rip)
	fldcw de_st+DS_FCW(%rip)
	ret
	.size de_fpu_save_guest, .-de_fpu_save_guest

	/* The end of what runs in 64-bit mode while de_st.in_guest is set
	 * (de_enter, the landing, the FPU switches): any other address
	 * above 4 GiB there is guest code that far-jumped to the host's
	 * 64-bit selector. */
	.globl de_text_end
	.hidden de_text_end
de_text_end:

	.globl de_sigstub
	.hidden de_sigstub
	.type de_sigstub, @function
de_sigstub:
	/* The kernel clears DF and TF for a handler, not AC or NT, which
	 * guest code may have set: no alignment checks in the handler. */
	pushfq
	andl $~0x44000, (%rsp)
	popfq
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
