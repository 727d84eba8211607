/*
 * interp_muldiv.c - MUL, IMUL (one, two and three operands), DIV, IDIV.
 *
 * The host computes results and flags (interp_flags.h). Division checks
 * the divide-error conditions itself first (zero divisor, quotient out of
 * range), raising #DE in the guest: the host instruction must never trap.
 */
#include "bt/interp_flags.h"
#include "bt/interp_int.h"

/* Indexed by op - X86_OP_MUL for MUL IMUL1, op - X86_OP_DIV for DIV IDIV. */
static const hf_acc_fn mul_fn[2][3] = {hf_tab3(mul), hf_tab3(imul1)};
static const hf_acc_fn div_fn[2][3] = {hf_tab3(div), hf_tab3(idiv)};
_Static_assert(X86_OP_IMUL1 == X86_OP_MUL + 1, "MUL ops out of order");
_Static_assert(X86_OP_IDIV == X86_OP_DIV + 1, "DIV ops out of order");

static void accop(struct vcpu *cpu, const struct x86_insn *in, hf_acc_fn fn,
		  unsigned size, uint32_t src)
{
	uint32_t eax = cpu->regs[X86_EAX], edx = cpu->regs[X86_EDX];
	uint32_t fl = cpu->eflags;

	fn(&eax, &edx, src, &fl);
	cpu->regs[X86_EAX] = eax;
	cpu->regs[X86_EDX] = edx;
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

static void op_mul(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned i = int_rm_operand(in);
	unsigned size = x86_operand_bytes(in, i);
	uint32_t src = interp_get(cpu, in, i);

	accop(cpu, in, mul_fn[in->info->op - X86_OP_MUL][hf_idx(size)], size,
	      src);
}

/* Would dividing (E)DX:(E)AX (or AX) by src raise #DE? */
static bool div_faults(const struct vcpu *cpu, unsigned size, bool sign,
		       uint32_t src)
{
	uint32_t eax = cpu->regs[X86_EAX], edx = cpu->regs[X86_EDX];
	uint64_t udvd;
	int64_t sdvd, sdiv, q;
	unsigned bits = size * 8;

	src &= int_mask(size);
	if (src == 0)
		return true;
	if (size == 1)
		udvd = eax & 0xffff;
	else if (size == 2)
		udvd = (edx & 0xffff) << 16 | (eax & 0xffff);
	else
		udvd = (uint64_t)edx << 32 | eax;
	if (!sign)
		return udvd / src > int_mask(size);

	/* Signed: dividend has 2 * bits, divisor bits. */
	if (bits == 32)
		sdvd = (int64_t)udvd;
	else
		sdvd = (int32_t)int_sext((uint32_t)udvd, size * 2);
	sdiv = (int32_t)int_sext(src, size);
	if (sdiv == -1 && sdvd == INT64_MIN)
		return true;
	q = sdvd / sdiv;
	return q > (int64_t)(int_mask(size) >> 1) ||
	       q < -(int64_t)(int_mask(size) >> 1) - 1;
}

static void op_div(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned i = int_rm_operand(in);
	unsigned size = x86_operand_bytes(in, i);
	uint32_t src = interp_get(cpu, in, i);
	bool sign = in->info->op == X86_OP_IDIV;

	if (div_faults(cpu, size, sign, src))
		interp_raise(cpu, X86_EXC_DE);
	accop(cpu, in, div_fn[sign][hf_idx(size)], size, src);
}

static void op_imul2(struct vcpu *cpu, const struct x86_insn *in)
{
	static const hf_bin_fn fn[3] = hf_tab2(imul);
	uint32_t a = interp_get(cpu, in, 0);
	uint32_t b = interp_get(cpu, in, 1);
	uint32_t fl = cpu->eflags;
	uint32_t r = fn[hf_idx(in->opsize)](a, b, &fl);

	interp_put(cpu, in, 0, r);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

static void op_imul3(struct vcpu *cpu, const struct x86_insn *in)
{
	static const hf_bin_fn fn[3] = hf_tab2(imul);
	uint32_t a = interp_get(cpu, in, 1);
	uint32_t b = interp_get(cpu, in, 2);
	uint32_t fl = cpu->eflags;
	uint32_t r = fn[hf_idx(in->opsize)](a, b, &fl);

	interp_put(cpu, in, 0, r);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

void interp_register_muldiv(interp_fn *table)
{
	table[X86_OP_MUL] = op_mul;
	table[X86_OP_IMUL1] = op_mul;
	table[X86_OP_DIV] = op_div;
	table[X86_OP_IDIV] = op_div;
	table[X86_OP_IMUL2] = op_imul2;
	table[X86_OP_IMUL3] = op_imul3;
}
