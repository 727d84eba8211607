/*
 * interp_move.c - data movement: MOV MOVZX MOVSX XCHG XADD CMPXCHG
 * CMPXCHG8B LEA CBW CWD SETcc CMOVcc LAHF SAHF XLAT NOP PAUSE.
 *
 * Exchanges write their memory operand first (it is the only write that
 * can fault), then the registers. CMPXCHG and CMPXCHG8B always write
 * their memory operand, as the hardware does (the old value when the
 * comparison fails). CMOVcc reads its source even when the condition is
 * false, so a bad source faults either way.
 */
#include "bt/interp_flags.h"
#include "bt/interp_int.h"

/* MOV and MOVZX: operand reads come zero-extended. */
static void op_mov(struct vcpu *cpu, const struct x86_insn *in)
{
	interp_put(cpu, in, 0, interp_get(cpu, in, 1));
}

static void op_movsx(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t v = interp_get(cpu, in, 1);

	interp_put(cpu, in, 0, int_sext(v, x86_operand_bytes(in, 1)));
}

/* Put operands 0 and 1, the memory one (if any) first. */
static void put2(struct vcpu *cpu, const struct x86_insn *in, uint32_t v0,
		 uint32_t v1)
{
	if (!int_is_reg(in, 1)) {
		interp_put(cpu, in, 1, v1);
		interp_put(cpu, in, 0, v0);
	} else {
		interp_put(cpu, in, 0, v0);
		interp_put(cpu, in, 1, v1);
	}
}

static void op_xchg(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t a = interp_get(cpu, in, 0);
	uint32_t b = interp_get(cpu, in, 1);

	put2(cpu, in, b, a);
}

/* TEMP = SRC + DEST; SRC = DEST; DEST = TEMP (xadd r, r keeps TEMP). */
static void op_xadd(struct vcpu *cpu, const struct x86_insn *in)
{
	static const hf_bin_fn fn[3] = hf_tab3(add);
	uint32_t d = interp_get(cpu, in, 0);
	uint32_t s = interp_get(cpu, in, 1);
	uint32_t fl = cpu->eflags;
	uint32_t sum = fn[hf_idx(x86_operand_bytes(in, 0))](d, s, &fl);

	if (int_is_reg(in, 0)) {
		interp_put(cpu, in, 1, d);
		interp_put(cpu, in, 0, sum);
	} else {
		/* Memory first: the source register may be part of the
		 * address (xadd [edx], dh). */
		interp_put(cpu, in, 0, sum);
		interp_put(cpu, in, 1, d);
	}
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

static void op_cmpxchg(struct vcpu *cpu, const struct x86_insn *in)
{
	static const hf_bin_fn fn[3] = hf_tab3(cmp);
	unsigned size = x86_operand_bytes(in, 0);
	uint32_t d = interp_get(cpu, in, 0);
	uint32_t s = interp_get(cpu, in, 1);
	uint32_t acc = interp_reg_get(cpu, X86_EAX, size);
	uint32_t fl = cpu->eflags;

	fn[hf_idx(size)](acc, d, &fl);
	if (acc == d) {
		interp_put(cpu, in, 0, s);
	} else {
		interp_put(cpu, in, 0, d);
		interp_reg_put(cpu, X86_EAX, size, d);
	}
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

static void op_cmpxchg8b(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t ea = interp_ea(cpu, in);
	uint64_t m, cmp;

	interp_check_write(cpu, in->seg, ea, 8); /* write intent, always */
	m = interp_read64(cpu, in->seg, ea);
	cmp = (uint64_t)cpu->regs[X86_EDX] << 32 | cpu->regs[X86_EAX];

	if (m == cmp) {
		interp_write64(cpu, in->seg, ea,
			       (uint64_t)cpu->regs[X86_ECX] << 32 |
				       cpu->regs[X86_EBX]);
		cpu->eflags |= X86_FL_ZF;
	} else {
		interp_write64(cpu, in->seg, ea, m);
		cpu->regs[X86_EAX] = (uint32_t)m;
		cpu->regs[X86_EDX] = (uint32_t)(m >> 32);
		cpu->eflags &= ~X86_FL_ZF;
	}
}

static void op_lea(struct vcpu *cpu, const struct x86_insn *in)
{
	interp_put(cpu, in, 0, interp_ea(cpu, in));
}

/* CBW / CWDE */
static void op_cbw(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned half = in->opsize / 2;
	uint32_t v = interp_reg_get(cpu, X86_EAX, half);

	interp_reg_put(cpu, X86_EAX, in->opsize, int_sext(v, half));
}

/* CWD / CDQ */
static void op_cwd(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t v = interp_reg_get(cpu, X86_EAX, in->opsize);
	uint32_t sign = in->opsize * 8 - 1;

	interp_reg_put(cpu, X86_EDX, in->opsize, (v >> sign) & 1 ? ~0u : 0);
}

static void op_setcc(struct vcpu *cpu, const struct x86_insn *in)
{
	interp_put(cpu, in, 0, interp_cond(cpu, x86_insn_cc(in)));
}

static void op_cmovcc(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t v = interp_get(cpu, in, 1);

	if (interp_cond(cpu, x86_insn_cc(in)))
		interp_put(cpu, in, 0, v);
}

#define LAHF_BITS (X86_FL_SF | X86_FL_ZF | X86_FL_AF | X86_FL_PF | X86_FL_CF)

static void op_lahf(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t ah = (cpu->eflags & LAHF_BITS) | X86_FL_FIXED1;

	interp_reg_put(cpu, 4, 1, ah); /* AH */
}

static void op_sahf(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t ah = interp_reg_get(cpu, 4, 1);

	cpu->eflags = (cpu->eflags & ~LAHF_BITS) | (ah & LAHF_BITS);
}

static void op_xlat(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t off = cpu->regs[X86_EBX] + (cpu->regs[X86_EAX] & 0xff);

	if (in->addrsize == 2)
		off &= 0xffff;
	interp_reg_put(cpu, X86_EAX, 1, interp_read(cpu, in->seg, off, 1));
}

static void op_nop(struct vcpu *cpu, const struct x86_insn *in)
{
}

void interp_register_move(interp_fn *table)
{
	table[X86_OP_MOV] = op_mov;
	table[X86_OP_MOVZX] = op_mov;
	table[X86_OP_MOVSX] = op_movsx;
	table[X86_OP_XCHG] = op_xchg;
	table[X86_OP_XADD] = op_xadd;
	table[X86_OP_CMPXCHG] = op_cmpxchg;
	table[X86_OP_CMPXCHG8B] = op_cmpxchg8b;
	table[X86_OP_LEA] = op_lea;
	table[X86_OP_CBW] = op_cbw;
	table[X86_OP_CWD] = op_cwd;
	table[X86_OP_SETCC] = op_setcc;
	table[X86_OP_CMOVCC] = op_cmovcc;
	table[X86_OP_LAHF] = op_lahf;
	table[X86_OP_SAHF] = op_sahf;
	table[X86_OP_XLAT] = op_xlat;
	table[X86_OP_NOP] = op_nop;
	table[X86_OP_PAUSE] = op_nop;
}
