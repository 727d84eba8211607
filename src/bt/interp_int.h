/*
 * interp_int.h - what the integer handler families share.
 *
 * interp_register_alu() (one of the core's registration entry points)
 * also registers the families that have no entry point of their own in
 * interp_priv.h: they are declared here. The small helpers below are the
 * operand-size and address-size arithmetic every family repeats.
 */
#ifndef BT386_BT_INTERP_INT_H
#define BT386_BT_INTERP_INT_H

#include <stdint.h>

#include "bt/interp_priv.h"

void interp_register_muldiv(interp_fn *table); /* interp_muldiv.c */
void interp_register_shift(interp_fn *table);  /* interp_shift.c */
void interp_register_bits(interp_fn *table);   /* interp_bits.c */
void interp_register_bcd(interp_fn *table);    /* interp_bcd.c */
void interp_register_move(interp_fn *table);   /* interp_move.c */

/* All ones in the low `size` bytes (size 1, 2 or 4). */
static inline uint32_t int_mask(unsigned size)
{
	return size == 4 ? 0xffffffffu : (1u << (size * 8)) - 1;
}

/* Sign-extend the low `size` bytes of v. */
static inline uint32_t int_sext(uint32_t v, unsigned size)
{
	if (size == 1)
		return (uint32_t)(int32_t)(int8_t)v;
	if (size == 2)
		return (uint32_t)(int32_t)(int16_t)v;
	return v;
}

/* Is operand i a register (not memory)? */
static inline bool int_is_reg(const struct x86_insn *in, unsigned i)
{
	unsigned k = in->info->operand[i].kind;

	return !((k == OPK_E || k == OPK_M) && in->mod != 3) && k != OPK_O;
}

/* Index of the ModRM r/m operand (E or M), or 0 if there is none. */
static inline unsigned int_rm_operand(const struct x86_insn *in)
{
	for (unsigned i = 0; i < in->info->nr_operands; i++) {
		unsigned k = in->info->operand[i].kind;
		if (k == OPK_E || k == OPK_M)
			return i;
	}
	return 0;
}

/* Register `reg` as the address size sees it ((E)SI, (E)DI, (E)CX...). */
static inline uint32_t int_areg(const struct vcpu *cpu, unsigned reg,
				unsigned addrsize)
{
	return addrsize == 4 ? cpu->regs[reg] : cpu->regs[reg] & 0xffff;
}

/* Write the address-size part of `reg`, keeping the rest. */
static inline void int_set_areg(struct vcpu *cpu, unsigned reg,
				unsigned addrsize, uint32_t val)
{
	if (addrsize == 4)
		cpu->regs[reg] = val;
	else
		cpu->regs[reg] =
			(cpu->regs[reg] & 0xffff0000u) | (val & 0xffff);
}

/* Address of the instruction after the current one. */
static inline uint32_t int_next_eip(const struct vcpu *cpu,
				    const struct x86_insn *in)
{
	return cpu->insn_eip + in->len;
}

/* A branch displacement (rel8/rel16/rel32) sign-extended. */
static inline uint32_t int_rel(const struct x86_insn *in)
{
	if (in->imm_len == 1)
		return int_sext(in->imm, 1);
	if (in->imm_len == 2)
		return int_sext(in->imm, 2);
	return in->imm;
}

/* The stack's size (2 or 4 bytes of ESP in use). */
static inline unsigned int_stack_size(const struct vcpu *cpu)
{
	return vcpu_stack32(cpu) ? 4 : 2;
}

#endif
