/*
 * interp_alu.c - the eight ALU operations (ADD OR ADC SBB AND SUB XOR
 * CMP), TEST, INC DEC NEG NOT, and the direct flag operations (CLC STC
 * CMC CLD STD).
 *
 * Results and flags come from the host (interp_flags.h). Every handler
 * reads all its operands first and writes the destination before touching
 * EFLAGS, so a fault on the write (a read-only page) leaves the guest
 * state as it was.
 *
 * interp_register_alu() is the integer families' entry point from the
 * core: it also registers the families declared in interp_int.h.
 */
#include "bt/interp_flags.h"
#include "bt/interp_int.h"

/* Indexed by op - X86_OP_ADD: the enum keeps the encoding's order. */
static const hf_bin_fn alu_fn[8][3] = {
	hf_tab3(add), hf_tab3(or),  hf_tab3(adc), hf_tab3(sbb),
	hf_tab3(and), hf_tab3(sub), hf_tab3(xor), hf_tab3(cmp),
};
_Static_assert(X86_OP_CMP - X86_OP_ADD == 7, "ALU ops out of order");

static void binop(struct vcpu *cpu, const struct x86_insn *in, hf_bin_fn fn,
		  bool store)
{
	uint32_t a = interp_get(cpu, in, 0);
	uint32_t b = interp_get(cpu, in, 1);
	uint32_t fl = cpu->eflags;
	uint32_t r = fn(a, b, &fl);

	if (store)
		interp_put(cpu, in, 0, r);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

static void op_alu(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned op = in->info->op;
	unsigned size = x86_operand_bytes(in, 0);

	binop(cpu, in, alu_fn[op - X86_OP_ADD][hf_idx(size)], op != X86_OP_CMP);
}

static void op_test(struct vcpu *cpu, const struct x86_insn *in)
{
	static const hf_bin_fn fn[3] = hf_tab3(test);

	binop(cpu, in, fn[hf_idx(x86_operand_bytes(in, 0))], false);
}

static void unop(struct vcpu *cpu, const struct x86_insn *in,
		 const hf_un_fn fn[3], uint32_t mask)
{
	uint32_t a = interp_get(cpu, in, 0);
	uint32_t fl = cpu->eflags;
	uint32_t r = fn[hf_idx(x86_operand_bytes(in, 0))](a, &fl);

	interp_put(cpu, in, 0, r);
	interp_set_arith(cpu, fl, mask);
}

static void op_inc(struct vcpu *cpu, const struct x86_insn *in)
{
	static const hf_un_fn fn[3] = hf_tab3(inc);

	unop(cpu, in, fn, X86_FL_ARITH & ~X86_FL_CF);
}

static void op_dec(struct vcpu *cpu, const struct x86_insn *in)
{
	static const hf_un_fn fn[3] = hf_tab3(dec);

	unop(cpu, in, fn, X86_FL_ARITH & ~X86_FL_CF);
}

static void op_neg(struct vcpu *cpu, const struct x86_insn *in)
{
	static const hf_un_fn fn[3] = hf_tab3(neg);

	unop(cpu, in, fn, X86_FL_ARITH);
}

static void op_not(struct vcpu *cpu, const struct x86_insn *in)
{
	interp_put(cpu, in, 0, ~interp_get(cpu, in, 0));
}

static void op_clc(struct vcpu *cpu, const struct x86_insn *in)
{
	cpu->eflags &= ~X86_FL_CF;
}

static void op_stc(struct vcpu *cpu, const struct x86_insn *in)
{
	cpu->eflags |= X86_FL_CF;
}

static void op_cmc(struct vcpu *cpu, const struct x86_insn *in)
{
	cpu->eflags ^= X86_FL_CF;
}

static void op_cld(struct vcpu *cpu, const struct x86_insn *in)
{
	cpu->eflags &= ~X86_FL_DF;
}

static void op_std(struct vcpu *cpu, const struct x86_insn *in)
{
	cpu->eflags |= X86_FL_DF;
}

void interp_register_alu(interp_fn *table)
{
	for (unsigned op = X86_OP_ADD; op <= X86_OP_CMP; op++)
		table[op] = op_alu;
	table[X86_OP_TEST] = op_test;
	table[X86_OP_INC] = op_inc;
	table[X86_OP_DEC] = op_dec;
	table[X86_OP_NEG] = op_neg;
	table[X86_OP_NOT] = op_not;
	table[X86_OP_CLC] = op_clc;
	table[X86_OP_STC] = op_stc;
	table[X86_OP_CMC] = op_cmc;
	table[X86_OP_CLD] = op_cld;
	table[X86_OP_STD] = op_std;

	interp_register_muldiv(table);
	interp_register_shift(table);
	interp_register_bits(table);
	interp_register_bcd(table);
	interp_register_move(table);
}
