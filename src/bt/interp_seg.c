/*
 * interp_seg.c - segment register loads and the segment instructions:
 * MOV to/from Sreg, PUSH/POP Sreg, LDS LES LFS LGS LSS, LAR LSL VERR VERW,
 * ARPL.
 *
 * interp_load_sreg() is the one place that implements the SDM's checks
 * for loading SS, DS, ES, FS and GS in protected mode; CS is only loaded
 * by far transfers (interp_far.c, interp_intr.c, interp_task.c).
 *
 * Real mode keeps a segment's limit and attributes when the selector
 * changes (only base and selector are written), as hardware does: that is
 * what lets "unreal mode" code use 4 GiB limits set up in protected mode.
 * Virtual-8086 mode forces the 64 KiB, DPL 3, read/write data shape.
 */
#include "bt/interp_prot.h"

void interp_seg_real(struct vcpu *cpu, int sreg, uint16_t sel)
{
	struct x86_seg *s = &cpu->seg[sreg];

	s->sel = sel;
	s->base = (uint32_t)sel << 4;
	if (vcpu_v86(cpu)) {
		s->limit = 0xffff;
		/* Present, DPL 3, accessed; CS as a readable code segment. */
		s->attr = sreg == X86_CS ? 0xfb : 0xf3;
	} else if (!(s->attr & X86_DESC_P)) {
		/* Null in protected mode (nothing to keep): the real-mode
		 * shape, so the register is usable again. */
		s->limit = 0xffff;
		s->attr = 0x93;
	}
}

void interp_load_sreg(struct vcpu *cpu, int sreg, uint16_t sel)
{
	uint32_t lo, hi;
	unsigned rpl = sel & 3, dpl;

	if (!vcpu_protected(cpu) || vcpu_v86(cpu)) {
		interp_seg_real(cpu, sreg, sel);
		return;
	}
	if (sel_is_null(sel)) {
		if (sreg == X86_SS)
			interp_gp0(cpu);
		prot_null_seg(&cpu->seg[sreg], sel);
		return;
	}
	if (!interp_read_desc(cpu, sel, &lo, &hi))
		prot_fault(cpu, X86_EXC_GP, sel, false);
	dpl = DESC_DPL(hi);
	if (sreg == X86_SS) {
		if (rpl != (unsigned)cpu->cpl || !desc_is_writable_data(hi) ||
		    dpl != (unsigned)cpu->cpl)
			prot_fault(cpu, X86_EXC_GP, sel, false);
		if (!DESC_P(hi))
			prot_fault(cpu, X86_EXC_SS, sel, false);
	} else {
		if (!desc_is_readable(hi))
			prot_fault(cpu, X86_EXC_GP, sel, false);
		/* Conforming code may be read from any privilege level. */
		if (!desc_is_conforming(hi) &&
		    (rpl > dpl || (unsigned)cpu->cpl > dpl))
			prot_fault(cpu, X86_EXC_GP, sel, false);
		if (!DESC_P(hi))
			prot_fault(cpu, X86_EXC_NP, sel, false);
	}
	prot_set_accessed(cpu, sel, &hi);
	prot_load_seg(cpu, sreg, sel, lo, hi);
}

/* ---- MOV / PUSH / POP ------------------------------------------------ */

static void op_mov_to_sreg(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned sreg = in->reg;
	uint16_t sel;

	if (sreg >= X86_NR_SREGS || sreg == X86_CS)
		interp_ud(cpu);
	sel = prot_rm16(cpu, in);
	interp_load_sreg(cpu, (int)sreg, sel);
	/* mov ss: no interrupt (nor #DB) until the ESP load that follows. */
	if (sreg == X86_SS)
		cpu->intr_shadow = cpu->ss_shadow = true;
}

/*
 * To a register, the selector is zero-extended to the operand size (P6
 * and later); to memory, 16 bits are written whatever the operand size.
 */
static void op_mov_from_sreg(struct vcpu *cpu, const struct x86_insn *in)
{
	if (in->reg >= X86_NR_SREGS)
		interp_ud(cpu);
	prot_put_rm_sel(cpu, in, cpu->seg[in->reg].sel);
}

static unsigned sreg_operand(const struct x86_insn *in)
{
	for (unsigned i = 0; i < in->info->nr_operands; i++)
		if (in->info->operand[i].kind == OPK_SREG)
			return in->info->operand[i].reg;
	return X86_NR_SREGS;
}

/*
 * A 32-bit push of a segment register moves ESP by 4 but writes only the
 * low 16 bits of the slot, as current processors do.
 */
static void op_push_sreg(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned sreg = sreg_operand(in);
	uint32_t sp = interp_sp(cpu) - in->opsize;

	if (sreg >= X86_NR_SREGS)
		interp_fatal(cpu, "push sreg: no segment operand in the table");
	if (!vcpu_stack32(cpu))
		sp &= 0xffff;
	interp_check_write(cpu, X86_SS, sp, in->opsize);
	interp_write(cpu, X86_SS, sp, 2, cpu->seg[sreg].sel);
	interp_set_sp(cpu, sp);
}

static void op_pop_sreg(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned sreg = sreg_operand(in);
	bool big = vcpu_stack32(cpu);
	uint32_t esp = cpu->regs[X86_ESP];
	uint16_t sel;

	if (sreg >= X86_NR_SREGS || sreg == X86_CS)
		interp_fatal(cpu, "pop sreg: bad segment operand in the table");
	sel = (uint16_t)interp_stack_peek(cpu, 0, 2);
	/* An opsize-4 pop also needs the whole slot within the limit. */
	if (in->opsize == 4)
		(void)interp_stack_peek(cpu, 0, 4);
	interp_load_sreg(cpu, (int)sreg, sel);
	/* ESP moves by the width of the stack the value came from. */
	if (big)
		cpu->regs[X86_ESP] = esp + in->opsize;
	else
		cpu->regs[X86_ESP] =
			(esp & 0xffff0000u) | ((esp + in->opsize) & 0xffff);
	if (sreg == X86_SS)
		cpu->intr_shadow = cpu->ss_shadow = true;
}

/* ---- far pointer loads ----------------------------------------------- */

static void load_far_ptr(struct vcpu *cpu, const struct x86_insn *in, int sreg)
{
	uint32_t ea, off;
	uint16_t sel;

	if (in->mod == 3)
		interp_ud(cpu);
	ea = interp_ea(cpu, in);
	off = interp_read(cpu, in->seg, ea, in->opsize);
	sel = (uint16_t)interp_read(cpu, in->seg,
				    in->addrsize == 2
					    ? (ea + in->opsize) & 0xffff
					    : ea + in->opsize,
				    2);
	interp_load_sreg(cpu, sreg, sel);
	interp_reg_put(cpu, in->reg, in->opsize, off);
}

static void op_lds(struct vcpu *cpu, const struct x86_insn *in)
{
	load_far_ptr(cpu, in, X86_DS);
}

static void op_les(struct vcpu *cpu, const struct x86_insn *in)
{
	load_far_ptr(cpu, in, X86_ES);
}

static void op_lfs(struct vcpu *cpu, const struct x86_insn *in)
{
	load_far_ptr(cpu, in, X86_FS);
}

static void op_lgs(struct vcpu *cpu, const struct x86_insn *in)
{
	load_far_ptr(cpu, in, X86_GS);
}

static void op_lss(struct vcpu *cpu, const struct x86_insn *in)
{
	load_far_ptr(cpu, in, X86_SS);
}

/* ---- LAR LSL VERR VERW ARPL ------------------------------------------ */

static void set_zf(struct vcpu *cpu, bool z)
{
	if (z)
		cpu->eflags |= X86_FL_ZF;
	else
		cpu->eflags &= ~X86_FL_ZF;
}

/* LAR, LSL, VERR, VERW and ARPL are #UD outside protected mode. */
static void need_prot(struct vcpu *cpu)
{
	if (!vcpu_protected(cpu) || vcpu_v86(cpu))
		interp_ud(cpu);
}

/*
 * The descriptor a LAR/LSL/VERR/VERW selector names, if it exists and the
 * current privilege may see it (conforming code is always visible).
 */
static bool visible_desc(struct vcpu *cpu, uint16_t sel, uint32_t *lo,
			 uint32_t *hi)
{
	unsigned dpl;

	if (sel_is_null(sel) || !interp_read_desc(cpu, sel, lo, hi))
		return false;
	dpl = DESC_DPL(*hi);
	if (desc_is_conforming(*hi))
		return true;
	return dpl >= (unsigned)cpu->cpl && dpl >= (sel & 3u);
}

static void op_lar(struct vcpu *cpu, const struct x86_insn *in)
{
	uint16_t sel;
	uint32_t lo, hi;
	int t;

	need_prot(cpu);
	sel = prot_rm16(cpu, in);
	if (!visible_desc(cpu, sel, &lo, &hi)) {
		set_zf(cpu, false);
		return;
	}
	t = desc_sys_type(hi);
	/* Interrupt and trap gates have no access rights to report. */
	if (t == 0 || t == 6 || t == 7 || t == 8 || t == 10 || t == 13 ||
	    t == 14 || t == 15) {
		set_zf(cpu, false);
		return;
	}
	interp_reg_put(cpu, in->reg, in->opsize,
		       in->opsize == 4 ? hi & 0x00f0ff00u : hi & 0xff00u);
	set_zf(cpu, true);
}

static void op_lsl(struct vcpu *cpu, const struct x86_insn *in)
{
	struct x86_seg s;
	uint16_t sel;
	uint32_t lo, hi;
	int t;

	need_prot(cpu);
	sel = prot_rm16(cpu, in);
	if (!visible_desc(cpu, sel, &lo, &hi)) {
		set_zf(cpu, false);
		return;
	}
	t = desc_sys_type(hi);
	if (t >= 0 && !sys_type_is_tss(t) && t != X86_SYS_LDT) {
		set_zf(cpu, false);
		return;
	}
	interp_seg_from_desc(&s, sel, lo, hi);
	interp_reg_put(cpu, in->reg, in->opsize, s.limit);
	set_zf(cpu, true);
}

static void verify(struct vcpu *cpu, const struct x86_insn *in, bool write)
{
	uint16_t sel;
	uint32_t lo, hi;
	bool ok;

	need_prot(cpu);
	sel = prot_rm16(cpu, in);
	if (!visible_desc(cpu, sel, &lo, &hi) || !DESC_S(hi)) {
		set_zf(cpu, false);
		return;
	}
	ok = write ? desc_is_writable_data(hi) : desc_is_readable(hi);
	set_zf(cpu, ok);
}

static void op_verr(struct vcpu *cpu, const struct x86_insn *in)
{
	verify(cpu, in, false);
}

static void op_verw(struct vcpu *cpu, const struct x86_insn *in)
{
	verify(cpu, in, true);
}

static void op_arpl(struct vcpu *cpu, const struct x86_insn *in)
{
	uint16_t dst, src;

	need_prot(cpu);
	dst = prot_rm16(cpu, in);
	src = (uint16_t)cpu->regs[in->reg];
	if ((dst & 3) < (src & 3)) {
		dst = (uint16_t)((dst & ~3u) | (src & 3u));
		if (in->mod == 3)
			interp_reg_put(cpu, in->rm, 2, dst);
		else
			interp_write(cpu, in->seg, interp_ea(cpu, in), 2, dst);
		set_zf(cpu, true);
	} else {
		set_zf(cpu, false);
	}
}

void interp_register_seg(interp_fn *table)
{
	table[X86_OP_MOV_TO_SREG] = op_mov_to_sreg;
	table[X86_OP_MOV_FROM_SREG] = op_mov_from_sreg;
	table[X86_OP_PUSH_SREG] = op_push_sreg;
	table[X86_OP_POP_SREG] = op_pop_sreg;
	table[X86_OP_LDS] = op_lds;
	table[X86_OP_LES] = op_les;
	table[X86_OP_LFS] = op_lfs;
	table[X86_OP_LGS] = op_lgs;
	table[X86_OP_LSS] = op_lss;
	table[X86_OP_LAR] = op_lar;
	table[X86_OP_LSL] = op_lsl;
	table[X86_OP_VERR] = op_verr;
	table[X86_OP_VERW] = op_verw;
	table[X86_OP_ARPL] = op_arpl;
}
