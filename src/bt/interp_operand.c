/*
 * interp_operand.c - reading and writing the operands of a decoded
 * instruction, as the opcode table describes them.
 *
 * Handlers of ordinary instructions never look at ModRM bytes: they ask
 * for operand i and get it at its decoded size, from a register, memory
 * (through the segment the decoder chose) or an immediate.
 */
#include "bt/interp_priv.h"

uint32_t interp_reg_get(const struct vcpu *cpu, unsigned reg, unsigned size)
{
	switch (size) {
	case 1:
		if (reg < 4)
			return cpu->regs[reg] & 0xff;
		return (cpu->regs[reg - 4] >> 8) & 0xff;
	case 2:
		return cpu->regs[reg] & 0xffff;
	default:
		return cpu->regs[reg];
	}
}

void interp_reg_put(struct vcpu *cpu, unsigned reg, unsigned size, uint32_t val)
{
	switch (size) {
	case 1:
		if (reg < 4)
			cpu->regs[reg] =
				(cpu->regs[reg] & ~0xffu) | (val & 0xff);
		else
			cpu->regs[reg - 4] = (cpu->regs[reg - 4] & ~0xff00u) |
					     ((val & 0xff) << 8);
		break;
	case 2:
		cpu->regs[reg] = (cpu->regs[reg] & ~0xffffu) | (val & 0xffff);
		break;
	default:
		cpu->regs[reg] = val;
		break;
	}
}

uint32_t interp_ea(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t ea = (uint32_t)in->disp;

	if (in->base != X86_NOREG)
		ea += cpu->regs[in->base];
	if (in->index != X86_NOREG)
		ea += cpu->regs[in->index] * in->scale;
	if (in->addrsize == 2)
		ea &= 0xffff;
	return ea;
}

static inline unsigned opbytes(const struct x86_insn *in, unsigned i)
{
	switch (in->info->operand[i].size) {
	case SZ_B:
		return 1;
	case SZ_D:
		return 4;
	case SZ_V:
	case SZ_Z:
		return in->opsize;
	default:
		/* SZ_W included: the register forms of mov r,sreg, smsw,
		 * sldt and str take the operand size. */
		return x86_operand_bytes(in, i);
	}
}

static inline uint32_t truncate(uint32_t v, unsigned size)
{
	return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

static bool is_rmw(const struct x86_insn *in)
{
	switch (in->info->op) {
	case X86_OP_ROL:
	case X86_OP_ROR:
	case X86_OP_RCL:
	case X86_OP_RCR:
	case X86_OP_SHL:
	case X86_OP_SHR:
	case X86_OP_SAL:
	case X86_OP_SAR:
	case X86_OP_SHLD:
	case X86_OP_SHRD:
		return true;
	case X86_OP_BT:
		return false; /* lockable rows are RMW, bt only reads */
	default:
		return in->info->flags & X86_F_LOCK;
	}
}

uint32_t interp_get(struct vcpu *cpu, const struct x86_insn *in, unsigned i)
{
	const struct x86_operand *op = &in->info->operand[i];
	unsigned size = opbytes(in, i);

	switch (op->kind) {
	case OPK_E:
	case OPK_M:
		if (in->mod == 3)
			return interp_reg_get(cpu, in->rm, size);
		/* Read-modify-write: the processor makes one write-intent
		 * access (a fault reports W=1, a read-only page faults even
		 * when the value would not change). */
		if (i == 0 && is_rmw(in))
			interp_check_write(cpu, in->seg, interp_ea(cpu, in),
					   size);
		return interp_read(cpu, in->seg, interp_ea(cpu, in), size);
	case OPK_R:
		return interp_reg_get(cpu, in->rm, size);
	case OPK_G:
		return interp_reg_get(cpu, in->reg, size);
	case OPK_Z:
		return interp_reg_get(cpu, in->opcode & 7, size);
	case OPK_REG:
		return interp_reg_get(cpu, op->reg, size);
	case OPK_I:
		/* The second immediate operand (enter) is imm2. */
		if (i > 0 && in->info->operand[i - 1].kind == OPK_I)
			return truncate(in->imm2, size);
		return truncate(in->imm, size);
	case OPK_IS:
		return truncate((uint32_t)(int32_t)(int8_t)in->imm, size);
	case OPK_J:
		return in->imm;
	case OPK_ONE:
		return 1;
	case OPK_O:
		return interp_read(cpu, in->seg, interp_ea(cpu, in), size);
	case OPK_S:
		return cpu->seg[in->reg].sel;
	case OPK_SREG:
		return cpu->seg[op->reg].sel;
	default:
		interp_fatal(cpu,
			     "interpreter: operand kind %u of %s not readable",
			     op->kind, in->info->name);
	}
}

void interp_put(struct vcpu *cpu, const struct x86_insn *in, unsigned i,
		uint32_t val)
{
	const struct x86_operand *op = &in->info->operand[i];
	unsigned size = opbytes(in, i);

	switch (op->kind) {
	case OPK_E:
	case OPK_M:
		if (in->mod == 3)
			interp_reg_put(cpu, in->rm, size, val);
		else
			interp_write(cpu, in->seg, interp_ea(cpu, in), size,
				     val);
		return;
	case OPK_R:
		interp_reg_put(cpu, in->rm, size, val);
		return;
	case OPK_G:
		interp_reg_put(cpu, in->reg, size, val);
		return;
	case OPK_Z:
		interp_reg_put(cpu, in->opcode & 7, size, val);
		return;
	case OPK_REG:
		interp_reg_put(cpu, op->reg, size, val);
		return;
	case OPK_O:
		interp_write(cpu, in->seg, interp_ea(cpu, in), size, val);
		return;
	default:
		interp_fatal(cpu,
			     "interpreter: operand kind %u of %s not writable",
			     op->kind, in->info->name);
	}
}

void interp_check_put(struct vcpu *cpu, const struct x86_insn *in, unsigned i)
{
	const struct x86_operand *op = &in->info->operand[i];

	if (op->kind == OPK_O ||
	    ((op->kind == OPK_E || op->kind == OPK_M) && in->mod != 3))
		interp_check_write(cpu, in->seg, interp_ea(cpu, in),
				   opbytes(in, i));
}

bool interp_cond(const struct vcpu *cpu, unsigned cc)
{
	uint32_t f = cpu->eflags;
	bool r;

	switch (cc >> 1) {
	case 0: /* O */
		r = f & X86_FL_OF;
		break;
	case 1: /* B */
		r = f & X86_FL_CF;
		break;
	case 2: /* Z */
		r = f & X86_FL_ZF;
		break;
	case 3: /* BE */
		r = f & (X86_FL_CF | X86_FL_ZF);
		break;
	case 4: /* S */
		r = f & X86_FL_SF;
		break;
	case 5: /* P */
		r = f & X86_FL_PF;
		break;
	case 6: /* L */
		r = !(f & X86_FL_SF) != !(f & X86_FL_OF);
		break;
	default: /* LE */
		r = (f & X86_FL_ZF) || (!(f & X86_FL_SF) != !(f & X86_FL_OF));
		break;
	}
	return (cc & 1) ? !r : r;
}
