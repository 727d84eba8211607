/*
 * interp_sys.c - EFLAGS privilege rules and the system instructions that
 * work on flags and descriptor-table registers: CLI STI PUSHF POPF HLT,
 * LGDT LIDT SGDT SIDT LLDT SLDT LTR STR, and the small ones (WBINVD INVD
 * UD2 WAIT CLFLUSH FENCE PREFETCH NOP r/m).
 *
 * interp_write_eflags() is the single place that decides which EFLAGS
 * bits POPF and IRET may change at the current CPL/IOPL; interp_mode_changed()
 * recomputes the CPL. Control registers are in interp_cr.c, port I/O in
 * interp_io.c, CPUID/MSRs/SYSENTER in interp_model.c.
 *
 * Virtual-8086 mode extensions (CR4.VME) and protected-mode virtual
 * interrupts (CR4.PVI) are implemented for CLI/STI/PUSHF/POPF.
 */
#include "bt/interp_int.h"
#include "bt/interp_prot.h"
#include "monitor/opcost.h"
#include "bt/sreg_cache.h"
#include "mmu/walk.h"

static unsigned iopl(const struct vcpu *cpu)
{
	return (cpu->eflags & X86_FL_IOPL) >> X86_FL_IOPL_SHIFT;
}

/*
 * CPL is the DPL of SS in protected mode. It equals CS.RPL whenever CS
 * was loaded by a far transfer, but unlike CS.RPL it is still 0 right
 * after mov cr0 sets PE with a real-mode CS value whose low bits are not
 * zero (hardware is at CPL 0 there until the far jump).
 */
static void interp_set_cpl_from_mode(struct vcpu *cpu)
{
	if (!vcpu_protected(cpu))
		cpu->cpl = 0;
	else if (vcpu_v86(cpu))
		cpu->cpl = 3;
	else
		cpu->cpl = (cpu->seg[X86_SS].attr >> X86_DESC_DPL_SHIFT) & 3;
}

void interp_mode_changed(struct vcpu *cpu)
{
	int old = cpu->cpl;

	interp_set_cpl_from_mode(cpu);
	if (cpu->cpl == 3 && old != 3)
		opcost_user_return();
}

/*
 * `mask` is what the instruction's operand covers (0xffff for 16-bit
 * forms, X86_FL_MASK for 32-bit ones). Within it: VM, VIF and VIP never
 * change here (IRET sets them itself where the SDM allows), IOPL only at
 * CPL 0, IF only when CPL <= IOPL. Real mode is CPL 0.
 */
void interp_write_eflags(struct vcpu *cpu, uint32_t val, uint32_t mask)
{
	uint32_t m =
		mask & X86_FL_MASK & ~(X86_FL_VM | X86_FL_VIF | X86_FL_VIP);

	if (vcpu_protected(cpu)) {
		if (cpu->cpl != 0)
			m &= ~X86_FL_IOPL;
		if ((unsigned)cpu->cpl > iopl(cpu))
			m &= ~X86_FL_IF;
	}
	cpu->eflags = (cpu->eflags & ~m) | (val & m) | X86_FL_FIXED1;
}

/* ---- CLI STI PUSHF POPF ---------------------------------------------- */

/* Which flag CLI/STI may change: IF, VIF (VME/PVI), or none (#GP). */
static uint32_t if_target(struct vcpu *cpu)
{
	if (!vcpu_protected(cpu))
		return X86_FL_IF;
	if (vcpu_v86(cpu)) {
		if (iopl(cpu) == 3)
			return X86_FL_IF;
		if (cpu->cr4 & X86_CR4_VME)
			return X86_FL_VIF;
		interp_gp0(cpu);
	}
	if ((unsigned)cpu->cpl <= iopl(cpu))
		return X86_FL_IF;
	if (cpu->cpl == 3 && (cpu->cr4 & X86_CR4_PVI))
		return X86_FL_VIF;
	interp_gp0(cpu);
}

static void op_cli(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)in;
	cpu->eflags &= ~if_target(cpu);
}

static void op_sti(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t f = if_target(cpu);

	(void)in;
	if (f == X86_FL_VIF) {
		if (cpu->eflags & X86_FL_VIP)
			interp_gp0(cpu);
		cpu->eflags |= X86_FL_VIF;
		return;
	}
	/* The instruction after an enabling sti runs before any interrupt. */
	if (!(cpu->eflags & X86_FL_IF))
		cpu->intr_shadow = true;
	cpu->eflags |= X86_FL_IF;
}

/* VME: virtual-8086 code with IOPL < 3 sees VIF as IF and IOPL as 3. */
static bool v86_vme(const struct vcpu *cpu)
{
	return vcpu_protected(cpu) && vcpu_v86(cpu) && iopl(cpu) < 3;
}

static void op_pushf(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t fl = cpu->eflags;

	if (v86_vme(cpu)) {
		if (!(cpu->cr4 & X86_CR4_VME) || in->opsize == 4)
			interp_gp0(cpu);
		fl &= ~X86_FL_IF;
		if (cpu->eflags & X86_FL_VIF)
			fl |= X86_FL_IF;
		interp_push(cpu, 2, (fl | X86_FL_IOPL) & 0xffff);
		return;
	}
	/* The image never shows VM or RF. */
	fl &= ~(X86_FL_VM | X86_FL_RF);
	interp_push(cpu, in->opsize, in->opsize == 4 ? fl : fl & 0xffff);
}

static void op_popf(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t fl;

	if (v86_vme(cpu)) {
		if (!(cpu->cr4 & X86_CR4_VME) || in->opsize == 4)
			interp_gp0(cpu);
		fl = interp_stack_peek(cpu, 0, 2);
		if ((fl & X86_FL_TF) ||
		    ((fl & X86_FL_IF) && (cpu->eflags & X86_FL_VIP)))
			interp_gp0(cpu);
		(void)interp_pop(cpu, 2);
		interp_write_eflags(cpu, fl, 0xffff & ~X86_FL_IF);
		cpu->eflags = (cpu->eflags & ~X86_FL_VIF) |
			      ((fl & X86_FL_IF) ? X86_FL_VIF : 0);
		return;
	}
	fl = interp_pop(cpu, in->opsize);
	if (in->opsize == 4)
		interp_write_eflags(cpu, fl & ~X86_FL_RF, X86_FL_MASK);
	else
		interp_write_eflags(cpu, fl, 0xffff);
}

/* ---- HLT ------------------------------------------------------------- */

static void need_cpl0(struct vcpu *cpu)
{
	if (vcpu_protected(cpu) && cpu->cpl != 0)
		interp_gp0(cpu);
}

static void op_hlt(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)in;
	need_cpl0(cpu);
	cpu->halted = true;
}

/* ---- descriptor-table registers -------------------------------------- */

static uint32_t ea_plus(const struct x86_insn *in, uint32_t ea, uint32_t n)
{
	return in->addrsize == 2 ? (ea + n) & 0xffff : ea + n;
}

static void load_dtr(struct vcpu *cpu, const struct x86_insn *in,
		     struct x86_dtr *d)
{
	uint32_t ea, base;
	uint16_t limit;

	if (in->mod == 3)
		interp_ud(cpu);
	need_cpl0(cpu);
	ea = interp_ea(cpu, in);
	limit = (uint16_t)interp_read(cpu, in->seg, ea, 2);
	base = interp_read(cpu, in->seg, ea_plus(in, ea, 2), 4);
	/* A 16-bit operand size loads a 24-bit base (the 286 format). */
	if (in->opsize == 2)
		base &= 0x00ffffff;
	d->limit = limit;
	d->base = base;
}

/* The full 32-bit base is stored whatever the operand size (current
 * processors; the 286-format 0xff/0x00 top byte is history). */
static void store_dtr(struct vcpu *cpu, const struct x86_insn *in,
		      const struct x86_dtr *d)
{
	uint32_t ea;

	if (in->mod == 3)
		interp_ud(cpu);
	ea = interp_ea(cpu, in);
	interp_check_write(cpu, in->seg, ea, 2);
	interp_check_write(cpu, in->seg, ea_plus(in, ea, 2), 4);
	interp_write(cpu, in->seg, ea, 2, d->limit);
	interp_write(cpu, in->seg, ea_plus(in, ea, 2), 4, d->base);
}

static void op_lgdt(struct vcpu *cpu, const struct x86_insn *in)
{
	load_dtr(cpu, in, &cpu->gdtr);
	bt_sreg_cache_flush(cpu);
}

static void op_lidt(struct vcpu *cpu, const struct x86_insn *in)
{
	load_dtr(cpu, in, &cpu->idtr);
}

static void op_sgdt(struct vcpu *cpu, const struct x86_insn *in)
{
	store_dtr(cpu, in, &cpu->gdtr);
}

static void op_sidt(struct vcpu *cpu, const struct x86_insn *in)
{
	store_dtr(cpu, in, &cpu->idtr);
}

/* LLDT, SLDT, LTR, STR are #UD outside protected mode. */
static void need_prot(struct vcpu *cpu)
{
	if (!vcpu_protected(cpu) || vcpu_v86(cpu))
		interp_ud(cpu);
}

static void op_lldt(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t lo, hi;
	uint16_t sel;

	need_prot(cpu);
	need_cpl0(cpu);
	sel = prot_rm16(cpu, in);
	if (sel_is_null(sel)) {
		prot_null_seg(&cpu->ldtr, sel);
		return;
	}
	if (sel & 4)
		prot_fault(cpu, X86_EXC_GP, sel, false);
	if (!interp_read_desc(cpu, sel, &lo, &hi) ||
	    desc_sys_type(hi) != X86_SYS_LDT)
		prot_fault(cpu, X86_EXC_GP, sel, false);
	if (!DESC_P(hi))
		prot_fault(cpu, X86_EXC_NP, sel, false);
	interp_seg_from_desc(&cpu->ldtr, sel, lo, hi);
}

static void op_ltr(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t lo, hi;
	uint16_t sel;
	int type;

	need_prot(cpu);
	need_cpl0(cpu);
	sel = prot_rm16(cpu, in);
	if (sel_is_null(sel))
		interp_gp0(cpu);
	if (sel & 4)
		prot_fault(cpu, X86_EXC_GP, sel, false);
	if (!interp_read_desc(cpu, sel, &lo, &hi))
		prot_fault(cpu, X86_EXC_GP, sel, false);
	type = desc_sys_type(hi);
	if (type != X86_SYS_TSS16_AVAIL && type != X86_SYS_TSS32_AVAIL)
		prot_fault(cpu, X86_EXC_GP, sel, false);
	if (!DESC_P(hi))
		prot_fault(cpu, X86_EXC_NP, sel, false);
	prot_set_busy(cpu, sel, true);
	interp_seg_from_desc(&cpu->tr, sel, lo, hi | DESC_BUSY);
}

static void op_sldt(struct vcpu *cpu, const struct x86_insn *in)
{
	need_prot(cpu);
	prot_put_rm_sel(cpu, in, cpu->ldtr.sel);
}

static void op_str(struct vcpu *cpu, const struct x86_insn *in)
{
	need_prot(cpu);
	prot_put_rm_sel(cpu, in, cpu->tr.sel);
}

/* ---- cache and hint instructions ------------------------------------- */

static void op_wbinvd(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)in;
	need_cpl0(cpu);
}

static void op_ud2(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)in;
	interp_ud(cpu);
}

/* WAIT: #NM with MP and TS, then a pending x87 error (#MF or FERR#). */
static void op_wait(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)in;
	if ((cpu->cr0 & (X86_CR0_MP | X86_CR0_TS)) == (X86_CR0_MP | X86_CR0_TS))
		interp_raise(cpu, X86_EXC_NM);
	interp_fpu_wait(cpu);
}

/*
 * CLFLUSH faults like a one-byte read (segment checks, then paging) but
 * never touches the byte: an MMIO register must not see a read.
 */
static void op_clflush(struct vcpu *cpu, const struct x86_insn *in)
{
	const struct x86_seg *s = &cpu->seg[in->seg];
	struct mmu_walk_result r;
	uint32_t ea, lin, pf;
	bool prot = vcpu_protected(cpu) && !vcpu_v86(cpu);

	if (in->mod == 3)
		interp_ud(cpu);
	ea = interp_ea(cpu, in);
	if ((prot &&
	     (!(s->attr & X86_DESC_P) ||
	      (s->attr & (X86_DESC_CODE | X86_DESC_RW)) == X86_DESC_CODE)) ||
	    !prot_seg_ok(s, ea, 1))
		interp_raise_err(
			cpu, in->seg == X86_SS ? X86_EXC_SS : X86_EXC_GP, 0);
	lin = s->base + ea;
	if (vcpu_paging(cpu) &&
	    mmu_walk(cpu, lin,
		     MMU_ACC_NOSET | (cpu->cpl == 3 ? MMU_ACC_USER : 0), &r,
		     &pf) < 0)
		interp_raise_pf(cpu, lin, pf);
}

/* Fences, prefetches and the hinting NOP r/m: nothing to do, no fault. */
static void op_nothing(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)cpu;
	(void)in;
}

void interp_register_sys(interp_fn *table)
{
	table[X86_OP_CLI] = op_cli;
	table[X86_OP_STI] = op_sti;
	table[X86_OP_PUSHF] = op_pushf;
	table[X86_OP_POPF] = op_popf;
	table[X86_OP_HLT] = op_hlt;
	table[X86_OP_LGDT] = op_lgdt;
	table[X86_OP_LIDT] = op_lidt;
	table[X86_OP_SGDT] = op_sgdt;
	table[X86_OP_SIDT] = op_sidt;
	table[X86_OP_LLDT] = op_lldt;
	table[X86_OP_SLDT] = op_sldt;
	table[X86_OP_LTR] = op_ltr;
	table[X86_OP_STR] = op_str;
	table[X86_OP_WBINVD] = op_wbinvd;
	table[X86_OP_INVD] = op_wbinvd;
	table[X86_OP_UD2] = op_ud2;
	table[X86_OP_WAIT] = op_wait;
	table[X86_OP_CLFLUSH] = op_clflush;
	table[X86_OP_FENCE] = op_nothing;
	table[X86_OP_PREFETCH] = op_nothing;
	table[X86_OP_NOP_RM] = op_nothing;
	interp_register_cr(table);
	interp_register_io(table);
	interp_register_model(table);
}
