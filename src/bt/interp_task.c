/*
 * interp_task.c - hardware task switches (SDM Vol. 3, 7.3) for JMP/CALL
 * to a TSS or task gate, interrupts through task gates, and IRET with NT.
 *
 * Order of work, so that faults land where the SDM says:
 *   1. read the whole new TSS (a fault here is in the old task);
 *   2. save the old task's state into its TSS, update busy bits and the
 *      back link (the commit point);
 *   3. load TR, CR3, LDTR, general registers, EFLAGS, EIP and the segment
 *      registers of the new task, with their checks. A fault in step 3 is
 *      raised in the context of the new task: cpu->insn_eip/insn_esp are
 *      moved to the new task first, because the loop restores them on a
 *      fault.
 * Both 32-bit and 16-bit TSSs are supported. The debug trap bit (T) of a
 * 32-bit TSS is ignored (no debug-trap emulation yet). CR3 is loaded only
 * when paging is on, as on hardware.
 */
#include "bt/interp_prot.h"
#include "mmu/events.h"

/* The state a TSS holds, in 32-bit form. */
struct tss_image {
	uint32_t cr3, eip, eflags;
	uint32_t regs[8];
	uint16_t sreg[X86_NR_SREGS];
	uint16_t ldt;
};

static bool tss_is32(uint32_t hi)
{
	return DESC_TYPE(hi) & 8;
}

static void read_tss(struct vcpu *cpu, uint32_t base, bool is32,
		     struct tss_image *t)
{
	if (is32) {
		t->cr3 = interp_read_lin(cpu, base + 0x1c, 4, true);
		t->eip = interp_read_lin(cpu, base + 0x20, 4, true);
		t->eflags = interp_read_lin(cpu, base + 0x24, 4, true);
		for (unsigned i = 0; i < 8; i++)
			t->regs[i] = interp_read_lin(cpu, base + 0x28 + i * 4,
						     4, true);
		for (unsigned i = 0; i < X86_NR_SREGS; i++)
			t->sreg[i] = (uint16_t)interp_read_lin(
				cpu, base + 0x48 + i * 4, 2, true);
		t->ldt = (uint16_t)interp_read_lin(cpu, base + 0x60, 2, true);
		return;
	}
	t->cr3 = 0;
	t->eip = interp_read_lin(cpu, base + 0x0e, 2, true);
	t->eflags = interp_read_lin(cpu, base + 0x10, 2, true);
	for (unsigned i = 0; i < 8; i++)
		t->regs[i] = interp_read_lin(cpu, base + 0x12 + i * 2, 2, true);
	/* A 16-bit TSS has no FS and GS: they become null. */
	for (unsigned i = 0; i < 4; i++)
		t->sreg[i] = (uint16_t)interp_read_lin(cpu, base + 0x22 + i * 2,
						       2, true);
	t->sreg[X86_FS] = 0;
	t->sreg[X86_GS] = 0;
	t->ldt = (uint16_t)interp_read_lin(cpu, base + 0x2a, 2, true);
}

/* Save the dynamic state of the current task into its TSS. */
static void save_tss(struct vcpu *cpu, uint32_t eflags)
{
	uint32_t base = cpu->tr.base;

	if (tss_is32((uint32_t)cpu->tr.attr << 8)) {
		interp_write_lin(cpu, base + 0x20, 4, cpu->eip, true);
		interp_write_lin(cpu, base + 0x24, 4, eflags, true);
		for (unsigned i = 0; i < 8; i++)
			interp_write_lin(cpu, base + 0x28 + i * 4, 4,
					 cpu->regs[i], true);
		for (unsigned i = 0; i < X86_NR_SREGS; i++)
			interp_write_lin(cpu, base + 0x48 + i * 4, 2,
					 cpu->seg[i].sel, true);
		return;
	}
	interp_write_lin(cpu, base + 0x0e, 2, cpu->eip, true);
	interp_write_lin(cpu, base + 0x10, 2, eflags, true);
	for (unsigned i = 0; i < 8; i++)
		interp_write_lin(cpu, base + 0x12 + i * 2, 2, cpu->regs[i],
				 true);
	for (unsigned i = 0; i < 4; i++)
		interp_write_lin(cpu, base + 0x22 + i * 2, 2, cpu->seg[i].sel,
				 true);
}

/* Load the new task's LDTR: #TS(LDT selector) for anything wrong. */
static void load_task_ldt(struct vcpu *cpu, uint16_t sel, bool ext)
{
	uint32_t lo, hi;

	if (sel_is_null(sel)) {
		prot_null_seg(&cpu->ldtr, sel);
		return;
	}
	if ((sel & 4) || !interp_read_desc(cpu, sel, &lo, &hi) ||
	    desc_sys_type(hi) != X86_SYS_LDT || !DESC_P(hi))
		prot_fault(cpu, X86_EXC_TS, sel, ext);
	interp_seg_from_desc(&cpu->ldtr, sel, lo, hi);
}

/* The new task's CS, SS, DS, ES, FS, GS with the SDM's #TS/#NP/#SS. */
static void load_task_segs(struct vcpu *cpu, const struct tss_image *t,
			   bool ext)
{
	static const int data_regs[] = {X86_DS, X86_ES, X86_FS, X86_GS};
	uint16_t cs = t->sreg[X86_CS], ss = t->sreg[X86_SS];
	unsigned cpl = cs & 3u;
	uint32_t lo, hi;

	/* CS */
	if (sel_is_null(cs) || !interp_read_desc(cpu, cs, &lo, &hi) ||
	    !desc_is_code(hi))
		prot_fault(cpu, X86_EXC_TS, cs, ext);
	if (desc_is_conforming(hi) ? DESC_DPL(hi) > cpl : DESC_DPL(hi) != cpl)
		prot_fault(cpu, X86_EXC_TS, cs, ext);
	if (!DESC_P(hi))
		prot_fault(cpu, X86_EXC_NP, cs, ext);
	prot_set_accessed(cpu, cs, &hi);
	prot_load_cs(cpu, cs, lo, hi, cpl);

	/* SS */
	if (sel_is_null(ss) || !interp_read_desc(cpu, ss, &lo, &hi) ||
	    !desc_is_writable_data(hi) || DESC_DPL(hi) != cpl ||
	    (ss & 3u) != cpl)
		prot_fault(cpu, X86_EXC_TS, ss, ext);
	if (!DESC_P(hi))
		prot_fault(cpu, X86_EXC_SS, ss, ext);
	prot_set_accessed(cpu, ss, &hi);
	prot_load_seg(cpu, X86_SS, ss, lo, hi);

	for (unsigned i = 0; i < 4; i++) {
		int r = data_regs[i];
		uint16_t sel = t->sreg[r];
		unsigned dpl;

		if (sel_is_null(sel))
			continue; /* already null */
		if (!interp_read_desc(cpu, sel, &lo, &hi) ||
		    !desc_is_readable(hi))
			prot_fault(cpu, X86_EXC_TS, sel, ext);
		dpl = DESC_DPL(hi);
		if (!desc_is_conforming(hi) && (dpl < cpl || dpl < (sel & 3u)))
			prot_fault(cpu, X86_EXC_TS, sel, ext);
		if (!DESC_P(hi))
			prot_fault(cpu, X86_EXC_NP, sel, ext);
		prot_set_accessed(cpu, sel, &hi);
		prot_load_seg(cpu, r, sel, lo, hi);
	}
}

void interp_task_switch(struct vcpu *cpu, uint16_t sel, uint32_t lo,
			uint32_t hi, enum task_reason why, bool ext)
{
	bool new32 = tss_is32(hi);
	struct x86_seg ntr;
	struct tss_image t;
	uint32_t old_eflags = cpu->eflags;
	uint16_t old_tr = cpu->tr.sel;

	interp_seg_from_desc(&ntr, sel, lo, hi);
	if (!DESC_P(hi))
		prot_fault(cpu, X86_EXC_NP, sel, ext);
	if (ntr.limit < (new32 ? 0x67u : 0x2bu))
		prot_fault(cpu, X86_EXC_TS, sel, ext);
	if (cpu->tr.limit <
	    (tss_is32((uint32_t)cpu->tr.attr << 8) ? 0x5fu : 0x29u))
		prot_fault(cpu, X86_EXC_TS, old_tr, ext);

	/* 1. Everything of the new task, while faults are still ours. */
	read_tss(cpu, ntr.base, new32, &t);

	/* 2. Save the old task; busy bits; back link. */
	if (why == TASK_IRET)
		old_eflags &= ~X86_FL_NT;
	save_tss(cpu, old_eflags);
	if (why == TASK_JMP || why == TASK_IRET)
		prot_set_busy(cpu, old_tr, false);
	if (why != TASK_IRET)
		prot_set_busy(cpu, sel, true);
	if (why == TASK_CALL || why == TASK_INT) {
		interp_write_lin(cpu, ntr.base, 2, old_tr, true);
		t.eflags |= X86_FL_NT;
	}
	STAT_INC(task_switches);

	/* 3. The new task. Faults from here on are the new task's. */
	ntr.attr |= DESC_BUSY >> 8;
	cpu->tr = ntr;
	cpu->cr0 |= X86_CR0_TS;
	if (new32 && vcpu_paging(cpu)) {
		uint32_t old_cr3 = cpu->cr3;

		cpu->cr3 = t.cr3 & (X86_CR3_ADDR | X86_CR3_PWT | X86_CR3_PCD);
		interp_tlb_flush(cpu, false);
		mmu_cr3_written(cpu, old_cr3);
	}
	if (new32) {
		cpu->eflags = (t.eflags & X86_FL_MASK) | X86_FL_FIXED1;
		for (unsigned i = 0; i < 8; i++)
			cpu->regs[i] = t.regs[i];
	} else {
		cpu->eflags = (cpu->eflags & 0xffff0000u & ~X86_FL_VM) |
			      (t.eflags & 0xffff) | X86_FL_FIXED1;
		/* The SDM: the upper halves are "modified and not
		 * maintained"; the 386 (test386.asm checks it) and Bochs
		 * set them to all ones. */
		for (unsigned i = 0; i < 8; i++)
			cpu->regs[i] = 0xffff0000u | t.regs[i];
	}
	cpu->eip = new32 ? t.eip : t.eip & 0xffff;
	cpu->insn_eip = cpu->eip;
	cpu->insn_esp = cpu->regs[X86_ESP];
	/* Until checked, the new selectors are there but unusable. */
	for (unsigned i = 0; i < X86_NR_SREGS; i++)
		prot_null_seg(&cpu->seg[i], t.sreg[i]);
	cpu->cpl = t.sreg[X86_CS] & 3;
	load_task_ldt(cpu, t.ldt, ext);

	if (cpu->eflags & X86_FL_VM) {
		for (unsigned i = 0; i < X86_NR_SREGS; i++)
			interp_seg_real(cpu, (int)i, t.sreg[i]);
		interp_mode_changed(cpu);
		return;
	}
	load_task_segs(cpu, &t, ext);
	interp_mode_changed(cpu);
}

void interp_task_gate(struct vcpu *cpu, uint16_t tss_sel, enum task_reason why,
		      bool ext)
{
	uint32_t lo, hi;
	int type;

	if (tss_sel & 4)
		prot_fault(cpu, X86_EXC_GP, tss_sel, ext);
	if (!interp_read_desc(cpu, tss_sel, &lo, &hi))
		prot_fault(cpu, X86_EXC_GP, tss_sel, ext);
	type = desc_sys_type(hi);
	if (type != X86_SYS_TSS16_AVAIL && type != X86_SYS_TSS32_AVAIL)
		prot_fault(cpu, X86_EXC_GP, tss_sel, ext);
	if (!DESC_P(hi))
		prot_fault(cpu, X86_EXC_NP, tss_sel, ext);
	interp_task_switch(cpu, tss_sel, lo, hi, why, ext);
}
