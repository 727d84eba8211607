/*
 * interp_stack.c - PUSH POP PUSHA POPA ENTER LEAVE.
 *
 * Operand size says how much is pushed; the stack size (SS.B) says
 * whether SP or ESP moves, with 16-bit stacks wrapping inside 64 KiB.
 * The core restores ESP when an instruction faults, so handlers may move
 * it before a later access faults; every other register (EBP for ENTER
 * and LEAVE, all of them for POPA) is written only after the last access
 * that can fault.
 */
#include "bt/interp_int.h"

/* Offset `delta` bytes from the stack pointer, wrapped to the stack size. */
static uint32_t sp_off(const struct vcpu *cpu, uint32_t delta)
{
	uint32_t sp = interp_sp(cpu) + delta;

	return vcpu_stack32(cpu) ? sp : sp & 0xffff;
}

static void op_push(struct vcpu *cpu, const struct x86_insn *in)
{
	interp_push(cpu, in->opsize, interp_get(cpu, in, 0));
}

/*
 * POP r/m: the value is read, then ESP incremented, then the destination
 * address computed, so "pop [esp+4]" uses the incremented ESP, and
 * "pop esp" leaves the popped value in ESP.
 */
static void op_pop(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t v = interp_stack_peek(cpu, 0, in->opsize);

	interp_set_sp(cpu, sp_off(cpu, in->opsize));
	interp_put(cpu, in, 0, v);
}

static void op_pusha(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned size = in->opsize;
	uint32_t esp = cpu->regs[X86_ESP];

	/* The lowest slot (EDI's) first, so that a page fault reports the
	 * bottom of the 8 slots, 32 bytes below ESP, as QEMU does and as
	 * teaching kernels expect (Pintos grows its stack for a fault there).
	 * A fault part-way leaves only dead bytes below the (restored)
	 * stack pointer. */
	for (unsigned r = 8; r-- > 0;) {
		uint32_t v = r == X86_ESP ? esp : cpu->regs[r];
		interp_write(cpu, X86_SS, sp_off(cpu, -(r + 1) * size), size,
			     v);
	}
	interp_set_sp(cpu, sp_off(cpu, -8 * size));
}

static void op_popa(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned size = in->opsize;
	uint32_t v[8];

	for (unsigned r = 0; r < 8; r++)
		v[r] = interp_read(cpu, X86_SS, sp_off(cpu, (7 - r) * size),
				   size);
	for (unsigned r = 0; r < 8; r++)
		if (r != X86_ESP)
			interp_reg_put(cpu, r, size, v[r]);
	interp_set_sp(cpu, sp_off(cpu, 8 * size));
}

/*
 * ENTER alloc, level: push (E)BP, copy level-1 frame pointers from the
 * old frame (walking down from (E)BP, as wide as the operand size, with
 * the stack size deciding BP or EBP), push the new frame pointer, point
 * (E)BP at it, and reserve `alloc` bytes.
 */
static void op_enter(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned size = in->opsize;
	uint32_t alloc = in->imm & 0xffff;
	unsigned level = in->imm2 & 31;
	uint32_t frame, bp = cpu->regs[X86_EBP];

	interp_push(cpu, size, interp_reg_get(cpu, X86_EBP, size));
	/* FrameTemp: ESP with a 32-bit operand size, SP with a 16-bit one,
	 * whatever the stack's size (SDM ENTER; test386 checks it). */
	frame = size == 4 ? cpu->regs[X86_ESP] : cpu->regs[X86_ESP] & 0xffff;
	if (level > 0) {
		for (unsigned i = 1; i < level; i++) {
			bp = vcpu_stack32(cpu) ? bp - size
					       : (bp & 0xffff0000u) |
							 ((bp - size) & 0xffff);
			interp_push(cpu, size,
				    interp_read(cpu, X86_SS,
						vcpu_stack32(cpu) ? bp
								  : bp & 0xffff,
						size));
		}
		interp_push(cpu, size, frame);
	}
	/* The hardware probes the final stack pointer for a write. */
	interp_check_write(cpu, X86_SS, sp_off(cpu, -alloc), size);
	interp_set_sp(cpu, sp_off(cpu, -alloc));
	interp_reg_put(cpu, X86_EBP, size, frame);
}

static void op_leave(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned ssz = int_stack_size(cpu);
	uint32_t bp = interp_reg_get(cpu, X86_EBP, ssz);
	uint32_t v = interp_read(cpu, X86_SS, bp, in->opsize);

	interp_set_sp(cpu, bp + in->opsize);
	interp_reg_put(cpu, X86_EBP, in->opsize, v);
}

void interp_register_stack(interp_fn *table)
{
	table[X86_OP_PUSH] = op_push;
	table[X86_OP_POP] = op_pop;
	table[X86_OP_PUSHA] = op_pusha;
	table[X86_OP_POPA] = op_popa;
	table[X86_OP_ENTER] = op_enter;
	table[X86_OP_LEAVE] = op_leave;
}
