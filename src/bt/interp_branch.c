/*
 * interp_branch.c - near control flow: JMP, Jcc, JCXZ, LOOP/LOOPE/LOOPNE,
 * CALL, RET, and their indirect forms.
 *
 * A target is computed in the operand size (16-bit operand size truncates
 * EIP to 16 bits) and checked against the CS limit before anything is
 * committed: a target beyond it raises #GP(0) with the instruction not
 * executed (CALL has pushed nothing, LOOP has not decremented (E)CX).
 * The core has already advanced EIP past the instruction; handlers that
 * branch overwrite it.
 */
#include "bt/interp_int.h"

static uint32_t target_of(const struct vcpu *cpu, const struct x86_insn *in,
			  uint32_t t)
{
	return in->opsize == 2 ? t & 0xffff : t;
}

/* Check the target and go there. */
static void go(struct vcpu *cpu, uint32_t target)
{
	if (target > cpu->seg[X86_CS].limit)
		interp_gp0(cpu);
	cpu->eip = target;
}

static uint32_t rel_target(const struct vcpu *cpu, const struct x86_insn *in)
{
	return target_of(cpu, in, int_next_eip(cpu, in) + int_rel(in));
}

static void op_jmp(struct vcpu *cpu, const struct x86_insn *in)
{
	go(cpu, rel_target(cpu, in));
}

static void op_jmp_ind(struct vcpu *cpu, const struct x86_insn *in)
{
	go(cpu, target_of(cpu, in, interp_get(cpu, in, 0)));
}

static void op_jcc(struct vcpu *cpu, const struct x86_insn *in)
{
	if (interp_cond(cpu, x86_insn_cc(in)))
		go(cpu, rel_target(cpu, in));
}

static void op_jcxz(struct vcpu *cpu, const struct x86_insn *in)
{
	if (int_areg(cpu, X86_ECX, in->addrsize) == 0)
		go(cpu, rel_target(cpu, in));
}

/* LOOP, LOOPE, LOOPNE: (E)CX per address size, decremented either way. */
static void op_loop(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t count = int_areg(cpu, X86_ECX, in->addrsize) - 1;
	bool zf = cpu->eflags & X86_FL_ZF;
	bool taken = (count & int_mask(in->addrsize)) != 0;

	if (in->info->op == X86_OP_LOOPE)
		taken = taken && zf;
	else if (in->info->op == X86_OP_LOOPNE)
		taken = taken && !zf;
	if (taken)
		go(cpu, rel_target(cpu, in));
	int_set_areg(cpu, X86_ECX, in->addrsize, count);
}

static void call_to(struct vcpu *cpu, const struct x86_insn *in,
		    uint32_t target)
{
	uint32_t ret = target_of(cpu, in, int_next_eip(cpu, in));

	if (target > cpu->seg[X86_CS].limit)
		interp_gp0(cpu);
	interp_push(cpu, in->opsize, ret);
	cpu->eip = target;
}

static void op_call(struct vcpu *cpu, const struct x86_insn *in)
{
	call_to(cpu, in, rel_target(cpu, in));
}

static void op_call_ind(struct vcpu *cpu, const struct x86_insn *in)
{
	call_to(cpu, in, target_of(cpu, in, interp_get(cpu, in, 0)));
}

/* RET and RET imm16: the immediate is released after the return address. */
static void op_ret(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t target =
		target_of(cpu, in, interp_stack_peek(cpu, 0, in->opsize));
	uint32_t release = in->imm_len ? in->imm & 0xffff : 0;

	go(cpu, target);
	interp_set_sp(cpu, interp_sp(cpu) + in->opsize + release);
}

void interp_register_branch(interp_fn *table)
{
	table[X86_OP_JMP] = op_jmp;
	table[X86_OP_JMP_IND] = op_jmp_ind;
	table[X86_OP_JCC] = op_jcc;
	table[X86_OP_JCXZ] = op_jcxz;
	table[X86_OP_LOOP] = op_loop;
	table[X86_OP_LOOPE] = op_loop;
	table[X86_OP_LOOPNE] = op_loop;
	table[X86_OP_CALL] = op_call;
	table[X86_OP_CALL_IND] = op_call_ind;
	table[X86_OP_RET] = op_ret;
}
