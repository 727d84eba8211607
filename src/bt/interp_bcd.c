/*
 * interp_bcd.c - decimal adjust (DAA DAS AAA AAS AAM AAD) and SALC.
 *
 * These opcodes do not exist in 64-bit mode, so the host cannot run them
 * for us: results and defined flags follow the SDM's pseudo-code, and the
 * flags the SDM leaves undefined follow what the AMD (Zen) hosts of this
 * project produce in 32-bit mode, measured exhaustively over AL, AH, AF,
 * CF and the immediate (they do not depend on the other input flags):
 *   DAA/DAS  OF = the sign bit flipped 0->1 (DAA) / 1->0 (DAS);
 *   AAA/AAS  SF, ZF, PF, OF of the 16-bit AX +/- 0x106 (of AX when no
 *            adjustment is needed, with OF = 0);
 *   AAM      OF = AF = CF = 0;
 *   AAD      OF, AF, CF of the 8-bit add AL + AH * imm8.
 * This is bt386's one documented behaviour for them: the translator calls
 * this code for these opcodes, so both engines agree on every host.
 * Intel CPUs differ in these undefined flags, so tests/unit's native
 * comparison checks only the defined flags of these six instructions
 * (interp_diff.c: undefined_flags). Direct execution runs them on the
 * host CPU (docs/direct-execution.md, holes).
 */
#include "bt/interp_flags.h"
#include "bt/interp_int.h"

static uint32_t szp(uint8_t v)
{
	uint32_t fl = 0;

	if (v == 0)
		fl |= X86_FL_ZF;
	if (v & 0x80)
		fl |= X86_FL_SF;
	if (!__builtin_parity(v))
		fl |= X86_FL_PF;
	return fl;
}

static void op_daa(struct vcpu *cpu, const struct x86_insn *in)
{
	uint8_t old_al = cpu->regs[X86_EAX] & 0xff, al = old_al;
	bool old_cf = cpu->eflags & X86_FL_CF;
	uint32_t fl = 0;

	if ((al & 0xf) > 9 || (cpu->eflags & X86_FL_AF)) {
		if (old_cf || al > 0xff - 6)
			fl |= X86_FL_CF;
		al += 6;
		fl |= X86_FL_AF;
	}
	if (old_al > 0x99 || old_cf) {
		al += 0x60;
		fl |= X86_FL_CF;
	} else {
		fl &= ~X86_FL_CF;
	}
	fl |= szp(al);
	if (~old_al & al & 0x80)
		fl |= X86_FL_OF;
	interp_reg_put(cpu, X86_EAX, 1, al);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

static void op_das(struct vcpu *cpu, const struct x86_insn *in)
{
	uint8_t old_al = cpu->regs[X86_EAX] & 0xff, al = old_al;
	bool old_cf = cpu->eflags & X86_FL_CF;
	uint32_t fl = 0;

	if ((al & 0xf) > 9 || (cpu->eflags & X86_FL_AF)) {
		if (old_cf || al < 6)
			fl |= X86_FL_CF;
		al -= 6;
		fl |= X86_FL_AF;
	}
	if (old_al > 0x99 || old_cf) {
		al -= 0x60;
		fl |= X86_FL_CF;
	}
	fl |= szp(al);
	if (old_al & ~al & 0x80)
		fl |= X86_FL_OF;
	interp_reg_put(cpu, X86_EAX, 1, al);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

/*
 * AAA / AAS: AX +/- 0x106 when adjusting; SF, ZF, PF and OF come from
 * that 16-bit operation (from AX itself, with OF = 0, when not).
 */
static void ascii_adjust(struct vcpu *cpu, hf_bin_fn fn)
{
	uint32_t ax = cpu->regs[X86_EAX] & 0xffff;
	bool adjust = (ax & 0xf) > 9 || (cpu->eflags & X86_FL_AF);
	uint32_t fl = 0;
	uint32_t t = fn(ax, adjust ? 0x106 : 0, &fl);

	fl &= X86_FL_SF | X86_FL_ZF | X86_FL_PF | X86_FL_OF;
	if (adjust)
		fl |= X86_FL_AF | X86_FL_CF;
	interp_reg_put(cpu, X86_EAX, 2, t & 0xff0f);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

static void op_aaa(struct vcpu *cpu, const struct x86_insn *in)
{
	ascii_adjust(cpu, hf_add16);
}

static void op_aas(struct vcpu *cpu, const struct x86_insn *in)
{
	ascii_adjust(cpu, hf_sub16);
}

static void op_aam(struct vcpu *cpu, const struct x86_insn *in)
{
	uint8_t base = (uint8_t)in->imm, al = cpu->regs[X86_EAX] & 0xff;
	uint32_t ax;

	if (base == 0)
		interp_raise(cpu, X86_EXC_DE);
	ax = (uint32_t)(al / base) << 8 | (al % base);
	interp_reg_put(cpu, X86_EAX, 2, ax);
	interp_set_arith(cpu, szp((uint8_t)ax), X86_FL_ARITH);
}

static void op_aad(struct vcpu *cpu, const struct x86_insn *in)
{
	uint8_t base = (uint8_t)in->imm;
	uint8_t al = cpu->regs[X86_EAX] & 0xff;
	uint8_t ah = (cpu->regs[X86_EAX] >> 8) & 0xff;
	uint32_t fl = cpu->eflags;
	uint32_t r = hf_add8(al, (uint8_t)(ah * base), &fl);

	interp_reg_put(cpu, X86_EAX, 2, r & 0xff);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

static void op_salc(struct vcpu *cpu, const struct x86_insn *in)
{
	interp_reg_put(cpu, X86_EAX, 1, cpu->eflags & X86_FL_CF ? 0xff : 0);
}

void interp_register_bcd(interp_fn *table)
{
	table[X86_OP_DAA] = op_daa;
	table[X86_OP_DAS] = op_das;
	table[X86_OP_AAA] = op_aaa;
	table[X86_OP_AAS] = op_aas;
	table[X86_OP_AAM] = op_aam;
	table[X86_OP_AAD] = op_aad;
	table[X86_OP_SALC] = op_salc;
}
