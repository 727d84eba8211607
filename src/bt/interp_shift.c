/*
 * interp_shift.c - ROL ROR RCL RCR SHL SHR SAL SAR, SHLD SHRD.
 *
 * The host runs the guest's own encoding (host_shift.S): the same form
 * (imm8, by one, by CL) with the same immediate. So count masking (5
 * bits), the mod 9 / mod 17 of 8- and 16-bit rotates through carry, the
 * flags left undefined for counts above one and the out-of-range counts
 * of 16-bit SHLD/SHRD all come out as the host computes them for the
 * translator and direct execution, which run that same encoding. A
 * masked count of zero changes nothing, not even the flags, and writes
 * no memory.
 */
#include "bt/interp_flags.h"
#include "bt/interp_int.h"

/* host_shift.S: 8-byte thunks, layout documented there. */
extern const uint8_t host_shift_imm[], host_shift_one[], host_shift_cl[];
extern const uint8_t host_shxd_imm[], host_shxd_cl[];
#define THUNK(table, index) ((const void *)((table) + 8 * (size_t)(index)))

static void op_shift(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned size = x86_operand_bytes(in, 0);
	uint32_t a = interp_get(cpu, in, 0);
	uint8_t count = (uint8_t)interp_get(cpu, in, 1);
	unsigned row = in->reg * 3 + hf_idx(size);
	uint32_t fl = cpu->eflags, r;
	const void *fn;

	if (!(count & 31))
		return;
	if (in->opcode == 0xc0 || in->opcode == 0xc1)
		fn = THUNK(host_shift_imm, row * 256 + (uint8_t)in->imm);
	else if (in->opcode == 0xd0 || in->opcode == 0xd1)
		fn = THUNK(host_shift_one, row);
	else
		fn = THUNK(host_shift_cl, row);
	r = hf_thunk(fn, a, 0, count, &fl);
	interp_put(cpu, in, 0, r);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

static void op_shxd(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned size = x86_operand_bytes(in, 0);
	uint32_t a = interp_get(cpu, in, 0);
	uint32_t b = interp_get(cpu, in, 1);
	uint8_t count = (uint8_t)interp_get(cpu, in, 2);
	unsigned row = (in->info->op == X86_OP_SHRD) * 2 + (size == 4);
	uint32_t fl = cpu->eflags, r;
	const void *fn;

	if (!(count & 31))
		return;
	if (in->opcode == 0xa4 || in->opcode == 0xac)
		fn = THUNK(host_shxd_imm, row * 256 + (uint8_t)in->imm);
	else
		fn = THUNK(host_shxd_cl, row);
	r = hf_thunk(fn, a, b, count, &fl);
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
