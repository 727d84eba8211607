/*
 * interp_shift.c - ROL ROR RCL RCR SHL SHR SAL SAR, SHLD SHRD.
 *
 * The host runs the same shift with the raw count in CL, so count masking
 * (5 bits), the mod 9 / mod 17 of 8- and 16-bit rotates through carry, the
 * flags left undefined for counts above one and the out-of-range counts of
 * 16-bit SHLD/SHRD all come out as the host computes them. A masked count
 * of zero changes nothing, not even the flags, and writes no memory.
 */
#include "bt/interp_flags.h"
#include "bt/interp_int.h"

/* Indexed by op - X86_OP_ROL: the enum keeps the /digit order. */
static const hf_bin_fn shift_fn[8][3] = {
	hf_tab3(rol), hf_tab3(ror), hf_tab3(rcl), hf_tab3(rcr),
	hf_tab3(shl), hf_tab3(shr), hf_tab3(shl), hf_tab3(sar),
};
_Static_assert(X86_OP_SAR - X86_OP_ROL == 7, "shift ops out of order");

static void op_shift(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned size = x86_operand_bytes(in, 0);
	uint32_t a = interp_get(cpu, in, 0);
	uint8_t count = (uint8_t)interp_get(cpu, in, 1);
	uint32_t fl = cpu->eflags, r;

	if (!(count & 31))
		return;
	r = shift_fn[in->info->op - X86_OP_ROL][hf_idx(size)](a, count, &fl);
	interp_put(cpu, in, 0, r);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

static void op_shxd(struct vcpu *cpu, const struct x86_insn *in)
{
	static const hf_tri_fn shld_fn[3] = hf_tab2(shld);
	static const hf_tri_fn shrd_fn[3] = hf_tab2(shrd);
	unsigned size = x86_operand_bytes(in, 0);
	uint32_t a = interp_get(cpu, in, 0);
	uint32_t b = interp_get(cpu, in, 1);
	uint8_t count = (uint8_t)interp_get(cpu, in, 2);
	uint32_t fl = cpu->eflags, r;
	const hf_tri_fn *fn = in->info->op == X86_OP_SHLD ? shld_fn : shrd_fn;

	if (!(count & 31))
		return;
	r = fn[hf_idx(size)](a, b, count, &fl);
	interp_put(cpu, in, 0, r);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

void interp_register_shift(interp_fn *table)
{
	for (unsigned op = X86_OP_ROL; op <= X86_OP_SAR; op++)
		table[op] = op_shift;
	table[X86_OP_SHLD] = op_shxd;
	table[X86_OP_SHRD] = op_shxd;
}
