/*
 * host_fpu.S - run one guest x87/MMX/SSE instruction on the host FPU.
 *
 * int bt_host_fpu_run(struct fpu_run *r)   [64-bit, monitor stack]
 *   Saves the monitor's MXCSR and x87 control word, loads the guest
 *   state from r->area (FXRSTOR: the image is a complete FXSAVE layout,
 *   so nothing beyond FXSR is needed of the host), the guest's
 *   arithmetic flags and r->rax, points RDI at r->mem (the bounce buffer
 *   that stands for the guest memory operand), calls r->code (the
 *   re-encoded instruction followed by `ret`, see fpu_host.c), then
 *   stores RAX and the flags back, saves the FPU state into r->area
 *   (FXSAVE) and gives the monitor a clean FPU: empty x87 stack, its own
 *   MXCSR and control word. Returns 0.
 *
 * bt_host_fpu_fault   [reached from the SIGFPE handler]
 *   An unmasked SIMD floating-point exception (#XM) of the guest
 *   instruction: the handler (bt_fpu_host_fault) popped the return
 *   address `call` pushed and resumed here with every register as the
 *   fault left it (RBX still points at r). The state at the fault (the
 *   exception flags set in MXCSR, the destination unchanged) is saved
 *   the same way and 1 is returned.
 *
 * Nothing between the FXRSTOR and the FXSAVE is C: compiled monitor code
 * may use SSE registers (memcpy, struct copies) and would clobber the
 * guest's state or see its MXCSR.
 */
	.text

	.set R_AREA, 0
	.set R_CODE, 8
	.set R_RAX, 16
	.set R_RFLAGS, 24
	.set R_MEM, 32

	.globl bt_host_fpu_run
	.hidden bt_host_fpu_run
	.type bt_host_fpu_run, @function
bt_host_fpu_run:
	push %rbp
	push %rbx
	sub $24, %rsp		/* monitor MXCSR, FCW; keeps 16-byte alignment */
	mov %rdi, %rbx
	stmxcsr (%rsp)
	fnstcw 4(%rsp)
	mov R_AREA(%rbx), %rcx
	fxrstor64 (%rcx)
	mov R_MEM(%rbx), %rdi
	pushq R_RFLAGS(%rbx)
	popfq
	mov R_RAX(%rbx), %rax
	call *R_CODE(%rbx)
	pushfq
	popq R_RFLAGS(%rbx)
	mov %rax, R_RAX(%rbx)
	xor %ebp, %ebp
1:	mov R_AREA(%rbx), %rcx
	fxsave64 (%rcx)
	fninit
	ldmxcsr (%rsp)
	fldcw 4(%rsp)
	cld
	mov %ebp, %eax
	add $24, %rsp
	pop %rbx
	pop %rbp
	ret

	.globl bt_host_fpu_fault
	.hidden bt_host_fpu_fault
bt_host_fpu_fault:
	mov $1, %ebp
	jmp 1b
	.size bt_host_fpu_run, .-bt_host_fpu_run

	.section .note.GNU-stack, "", @progbits
