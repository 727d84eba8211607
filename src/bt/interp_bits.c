/*
 * interp_bits.c - bit tests (BT BTS BTR BTC), bit scans (BSF BSR), the
 * byte swap (BSWAP), and what the model (a Pentium M) does with the
 * encodings of later CPUs: LZCNT and TZCNT are BSR and BSF (their F3
 * prefix is ignored without ABM/BMI1), POPCNT and MOVBE are #UD.
 *
 * A bit test on memory with a register offset addresses the whole bit
 * string: the signed offset selects the word or dword at
 * EA + size * (offset SAR log2(bits)), then the bit inside it, so the
 * access may land far from EA, below it for negative offsets. With an
 * immediate offset only the low bits count and the access stays at EA.
 * Results and flags come from the host (interp_flags.h); with a zero
 * source BSF/BSR leave their destination as the host leaves it (unchanged).
 */
#include "bt/interp_flags.h"
#include "bt/interp_int.h"

/* Indexed by op - X86_OP_BT. */
static const hf_bin_fn bt_fn[4][3] = {
	hf_tab2(bt),
	hf_tab2(bts),
	hf_tab2(btr),
	hf_tab2(btc),
};
_Static_assert(X86_OP_BTC - X86_OP_BT == 3, "BT ops out of order");

static void op_bt(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned op = in->info->op - X86_OP_BT;
	unsigned size = x86_operand_bytes(in, 0);
	uint32_t off = interp_get(cpu, in, 1);
	hf_bin_fn fn = bt_fn[op][hf_idx(size)];
	uint32_t fl = cpu->eflags, val, r, ea;

	if (int_is_reg(in, 0)) {
		val = interp_get(cpu, in, 0);
		r = fn(val, off, &fl);
		if (op != 0)
			interp_put(cpu, in, 0, r);
		interp_set_arith(cpu, fl, X86_FL_ARITH);
		return;
	}

	ea = interp_ea(cpu, in);
	if (in->info->operand[1].kind == OPK_G) {
		int32_t soff = (int32_t)int_sext(off, size);
		int32_t unit = size == 2 ? soff >> 4 : soff >> 5;
		ea += (uint32_t)unit * size;
		if (in->addrsize == 2)
			ea &= 0xffff;
	}
	/* bts/btr/btc are read-modify-write: one write-intent access, as
	 * in interp_get(). */
	if (op != 0)
		interp_check_write(cpu, in->seg, ea, size);
	val = interp_read(cpu, in->seg, ea, size);
	r = fn(val, off & (size * 8 - 1), &fl);
	if (op != 0)
		interp_write(cpu, in->seg, ea, size, r);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

/* dest = op(dest, src) with the host leaving dest alone when it likes. */
static void scan(struct vcpu *cpu, const struct x86_insn *in,
		 const hf_bin_fn fn[3])
{
	uint32_t src = interp_get(cpu, in, 1);
	uint32_t dst = interp_get(cpu, in, 0);
	uint32_t fl = cpu->eflags;
	uint32_t r = fn[hf_idx(x86_operand_bytes(in, 0))](dst, src, &fl);

	interp_put(cpu, in, 0, r);
	interp_set_arith(cpu, fl, X86_FL_ARITH);
}

static void op_bsf(struct vcpu *cpu, const struct x86_insn *in)
{
	static const hf_bin_fn fn[3] = hf_tab2(bsf);

	scan(cpu, in, fn);
}

static void op_bsr(struct vcpu *cpu, const struct x86_insn *in)
{
	static const hf_bin_fn fn[3] = hf_tab2(bsr);

	scan(cpu, in, fn);
}

/* POPCNT and MOVBE: the model's CPUID reports neither. */
static void op_absent(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)in;
	interp_ud(cpu);
}

/*
 * BSWAP of a 16-bit register is undefined; run the host's encoding of it
 * (66 0F C8: bswap %ax) so that the result is the host's.
 */
static void op_bswap(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t v = interp_get(cpu, in, 0);

	if (in->opsize == 4) {
		v = __builtin_bswap32(v);
	} else {
		__asm__(".byte 0x66, 0x0f, 0xc8" : "+a"(v));
	}
	interp_put(cpu, in, 0, v);
}

void interp_register_bits(interp_fn *table)
{
	for (unsigned op = X86_OP_BT; op <= X86_OP_BTC; op++)
		table[op] = op_bt;
	table[X86_OP_BSF] = op_bsf;
	table[X86_OP_BSR] = op_bsr;
	table[X86_OP_POPCNT] = op_absent;
	table[X86_OP_LZCNT] = op_bsr;
	table[X86_OP_TZCNT] = op_bsf;
	table[X86_OP_BSWAP] = op_bswap;
	table[X86_OP_MOVBE] = op_absent;
}
