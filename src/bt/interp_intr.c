/*
 * interp_intr.c - interrupt and exception delivery, and the instructions
 * that raise or return from interrupts: INT n, INT3, INTO, INT1, IRET,
 * BOUND.
 *
 * interp_deliver() is called by the loop (interp.c) for exceptions and
 * external interrupts, and by the INT handlers here. It follows the SDM's
 * INT n pseudocode: the real-mode IVT, or the IDT with interrupt, trap and
 * task gates, a stack switch through the TSS on a privilege change, the
 * extra frame of an interrupt from virtual-8086 mode. Every access that
 * can fault (IDT, GDT, TSS, the new stack) happens before any register
 * changes, so a fault during delivery leaves the interrupted state intact
 * for the loop's #DF logic.
 *
 * Virtual-8086 mode extensions (CR4.VME) are implemented for INT n
 * (the TSS redirection bitmap) and IRET; CLI/STI/PUSHF/POPF are in
 * interp_sys.c. IRET also ends the blocking of NMIs that the delivery of
 * an NMI began (interp.c, take_nmi).
 */
#include "bt/interp_int.h"
#include "bt/interp_prot.h"
#include "monitor/opcost.h"

#define FL_DELIVERY_CLEAR (X86_FL_TF | X86_FL_NT | X86_FL_RF | X86_FL_VM)

static unsigned iopl(const struct vcpu *cpu)
{
	return (cpu->eflags & X86_FL_IOPL) >> X86_FL_IOPL_SHIFT;
}

/* ---- real mode ------------------------------------------------------- */

static void deliver_real(struct vcpu *cpu, int vector)
{
	struct prot_stack st;
	uint32_t ent;

	if ((uint32_t)vector * 4 + 3 > cpu->idtr.limit)
		interp_gp0(cpu);
	ent = interp_read_lin(cpu, cpu->idtr.base + (uint32_t)vector * 4, 4,
			      true);
	if ((ent & 0xffff) > cpu->seg[X86_CS].limit)
		interp_gp0(cpu);
	prot_stack_cur(cpu, &st, 0);
	prot_stack_push(cpu, &st, 2, cpu->eflags);
	prot_stack_push(cpu, &st, 2, cpu->seg[X86_CS].sel);
	prot_stack_push(cpu, &st, 2, cpu->eip);

	prot_stack_commit(cpu, &st);
	cpu->eflags &= ~(X86_FL_IF | X86_FL_TF | X86_FL_AC | X86_FL_RF);
	interp_seg_real(cpu, X86_CS, (uint16_t)(ent >> 16));
	cpu->eip = ent & 0xffff;
}

/* ---- protected mode -------------------------------------------------- */

struct gate_target {
	uint16_t sel; /* code segment selector */
	uint32_t lo, hi;
	uint32_t eip;
	unsigned size; /* 2 or 4: 16- or 32-bit gate */
	bool intgate;  /* interrupt gate: clears IF */
};

/* To a more privileged level, or to ring 0 from virtual-8086 mode. */
static void deliver_inner(struct vcpu *cpu, const struct gate_target *t,
			  bool ext, bool has_err, uint32_t err)
{
	unsigned dpl = DESC_DPL(t->hi), sz = t->size;
	bool v86 = vcpu_v86(cpu);
	struct x86_seg ncs;
	struct prot_stack st;
	uint32_t slo, shi, esp, code_hi = t->hi;
	uint16_t ss;

	prot_tss_stack(cpu, dpl, ext, &ss, &esp);
	prot_check_inner_ss(cpu, ss, dpl, ext, &slo, &shi);
	prot_stack_new(&st, ss, slo, shi, esp, ext);
	interp_seg_from_desc(&ncs, t->sel, t->lo, t->hi);
	if (t->eip > ncs.limit)
		interp_raise_err(cpu, X86_EXC_GP, ext ? 1 : 0);

	if (v86) {
		prot_stack_push(cpu, &st, sz, cpu->seg[X86_GS].sel);
		prot_stack_push(cpu, &st, sz, cpu->seg[X86_FS].sel);
		prot_stack_push(cpu, &st, sz, cpu->seg[X86_DS].sel);
		prot_stack_push(cpu, &st, sz, cpu->seg[X86_ES].sel);
	}
	prot_stack_push(cpu, &st, sz, cpu->seg[X86_SS].sel);
	prot_stack_push(cpu, &st, sz, cpu->regs[X86_ESP]);
	prot_stack_push(cpu, &st, sz, cpu->eflags);
	prot_stack_push(cpu, &st, sz, cpu->seg[X86_CS].sel);
	prot_stack_push(cpu, &st, sz, cpu->eip);
	if (has_err)
		prot_stack_push(cpu, &st, sz, err);
	prot_set_accessed(cpu, ss, &shi);
	prot_set_accessed(cpu, t->sel, &code_hi);

	/* Commit. */
	if (v86) {
		prot_null_seg(&cpu->seg[X86_ES], 0);
		prot_null_seg(&cpu->seg[X86_DS], 0);
		prot_null_seg(&cpu->seg[X86_FS], 0);
		prot_null_seg(&cpu->seg[X86_GS], 0);
	}
	cpu->eflags &= ~FL_DELIVERY_CLEAR;
	if (t->intgate)
		cpu->eflags &= ~X86_FL_IF;
	prot_load_seg(cpu, X86_SS, ss, slo, shi);
	prot_stack_commit(cpu, &st);
	prot_load_cs(cpu, t->sel, t->lo, code_hi, dpl);
	cpu->eip = t->eip;
	interp_mode_changed(cpu);
}

/* To the same privilege level (or a conforming segment). */
static void deliver_same(struct vcpu *cpu, const struct gate_target *t,
			 bool ext, bool has_err, uint32_t err)
{
	struct x86_seg ncs;
	struct prot_stack st;
	uint32_t code_hi = t->hi;
	unsigned sz = t->size;

	prot_stack_cur(cpu, &st, ext ? 1 : 0);
	interp_seg_from_desc(&ncs, t->sel, t->lo, t->hi);
	if (t->eip > ncs.limit)
		interp_raise_err(cpu, X86_EXC_GP, ext ? 1 : 0);
	prot_stack_push(cpu, &st, sz, cpu->eflags);
	prot_stack_push(cpu, &st, sz, cpu->seg[X86_CS].sel);
	prot_stack_push(cpu, &st, sz, cpu->eip);
	if (has_err)
		prot_stack_push(cpu, &st, sz, err);
	prot_set_accessed(cpu, t->sel, &code_hi);

	prot_stack_commit(cpu, &st);
	cpu->eflags &= ~FL_DELIVERY_CLEAR;
	if (t->intgate)
		cpu->eflags &= ~X86_FL_IF;
	prot_load_cs(cpu, t->sel, t->lo, code_hi, (unsigned)cpu->cpl);
	cpu->eip = t->eip;
}

/* Through a task gate: switch tasks, then push the error code there. */
static void deliver_task(struct vcpu *cpu, uint32_t gate_lo, bool ext,
			 bool has_err, uint32_t err)
{
	struct prot_stack st;

	interp_task_gate(cpu, gate_sel(gate_lo), TASK_INT, ext);
	/* From here on, faults belong to the new task. */
	if (has_err) {
		unsigned type = cpu->tr.attr & 0xf;

		prot_stack_cur(cpu, &st, ext ? 1 : 0);
		prot_stack_push(cpu, &st, type == X86_SYS_TSS32_BUSY ? 4u : 2u,
				err);
		prot_stack_commit(cpu, &st);
	}
	if (cpu->eip > cpu->seg[X86_CS].limit)
		interp_raise_err(cpu, X86_EXC_GP, ext ? 1 : 0);
}

static void deliver_prot(struct vcpu *cpu, int vector, bool soft, bool has_err,
			 uint32_t err)
{
	bool ext = !soft;
	uint32_t idt_err = (uint32_t)vector * 8 + 2 + (ext ? 1 : 0);
	uint32_t lo, hi, clo, chi;
	struct gate_target t;
	unsigned cdpl;
	int type;

	if ((uint32_t)vector * 8 + 7 > cpu->idtr.limit)
		interp_raise_err(cpu, X86_EXC_GP, idt_err);
	lo = interp_read_lin(cpu, cpu->idtr.base + (uint32_t)vector * 8, 4,
			     true);
	hi = interp_read_lin(cpu, cpu->idtr.base + (uint32_t)vector * 8 + 4, 4,
			     true);
	type = desc_sys_type(hi);
	if (type != X86_SYS_TASKGATE && type != X86_SYS_INTGATE16 &&
	    type != X86_SYS_TRAPGATE16 && type != X86_SYS_INTGATE32 &&
	    type != X86_SYS_TRAPGATE32)
		interp_raise_err(cpu, X86_EXC_GP, idt_err);
	/* Software interrupts may only use gates of their privilege. */
	if (soft && DESC_DPL(hi) < (unsigned)cpu->cpl)
		interp_raise_err(cpu, X86_EXC_GP, (uint32_t)vector * 8 + 2);
	if (!DESC_P(hi))
		interp_raise_err(cpu, X86_EXC_NP, idt_err);
	if (type == X86_SYS_TASKGATE) {
		deliver_task(cpu, lo, ext, has_err, err);
		return;
	}

	t.sel = gate_sel(lo);
	t.eip = gate_offset(lo, hi);
	t.size = (type & 8) ? 4 : 2;
	t.intgate = type == X86_SYS_INTGATE16 || type == X86_SYS_INTGATE32;
	if (sel_is_null(t.sel))
		interp_raise_err(cpu, X86_EXC_GP, ext ? 1 : 0);
	if (!interp_read_desc(cpu, t.sel, &clo, &chi))
		prot_fault(cpu, X86_EXC_GP, t.sel, ext);
	cdpl = DESC_DPL(chi);
	if (!desc_is_code(chi) || cdpl > (unsigned)cpu->cpl)
		prot_fault(cpu, X86_EXC_GP, t.sel, ext);
	if (!DESC_P(chi))
		prot_fault(cpu, X86_EXC_NP, t.sel, ext);
	t.lo = clo;
	t.hi = chi;
	if (!desc_is_conforming(chi) && cdpl < (unsigned)cpu->cpl) {
		if (vcpu_v86(cpu) && cdpl != 0)
			prot_fault(cpu, X86_EXC_GP, t.sel, ext);
		deliver_inner(cpu, &t, ext, has_err, err);
	} else {
		if (vcpu_v86(cpu))
			prot_fault(cpu, X86_EXC_GP, t.sel, ext);
		deliver_same(cpu, &t, ext, has_err, err);
	}
}

/* What a delivery from user mode counts as (--stats, monitor/opcost.h). */
static enum opcost_kind entry_kind(int vector, bool soft)
{
	if (soft && vector != X86_EXC_BP && vector != X86_EXC_OF)
		return OPCOST_SYSCALL;
	if (vector == X86_EXC_PF)
		return OPCOST_PAGEFAULT;
	if (vector < 32 && vector != X86_EXC_NMI)
		return OPCOST_EXCEPTION;
	return OPCOST_INTERRUPT;
}

void interp_deliver(struct vcpu *cpu, int vector, bool soft, bool has_err,
		    uint32_t err)
{
	cpu->halted = false;
	if (cpu->cpl == 3)
		opcost_kernel_entry(entry_kind(vector, soft));
	if (!vcpu_protected(cpu))
		deliver_real(cpu, vector);
	else
		deliver_prot(cpu, vector, soft, has_err, err);
}

/* ---- INT n, INT3, INTO, INT1 ----------------------------------------- */

/*
 * CR4.VME: bit n of the TSS's redirection bitmap (the 32 bytes below the
 * I/O map base) clear means INT n goes to the virtual-8086 program's own
 * IVT. A bitmap outside the TSS counts as "not redirected".
 */
static bool v86_redirected(struct vcpu *cpu, uint8_t vector)
{
	unsigned type = cpu->tr.attr & 0xf;
	uint32_t iomap, off;

	if (type != X86_SYS_TSS32_BUSY || cpu->tr.limit < 0x67)
		return false;
	iomap = interp_read_lin(cpu, cpu->tr.base + 0x66, 2, true);
	off = iomap - 32 + vector / 8;
	if (iomap < 32 || off > cpu->tr.limit)
		return false;
	return !(interp_read_lin(cpu, cpu->tr.base + off, 1, true) &
		 (1u << (vector & 7)));
}

/* A redirected INT n: real-mode style, through the IVT at linear 0. */
static void v86_int_redirect(struct vcpu *cpu, uint8_t vector)
{
	struct prot_stack st;
	uint32_t ent = interp_read_lin(cpu, (uint32_t)vector * 4, 4, false);
	uint32_t fl = cpu->eflags & 0xffff;

	if (iopl(cpu) < 3) {
		fl &= ~X86_FL_IF;
		if (cpu->eflags & X86_FL_VIF)
			fl |= X86_FL_IF;
		fl |= X86_FL_IOPL;
	}
	prot_stack_cur(cpu, &st, 0);
	prot_stack_push(cpu, &st, 2, fl);
	prot_stack_push(cpu, &st, 2, cpu->seg[X86_CS].sel);
	prot_stack_push(cpu, &st, 2, cpu->eip);

	prot_stack_commit(cpu, &st);
	cpu->eflags &= ~(iopl(cpu) == 3 ? X86_FL_IF : X86_FL_VIF);
	cpu->eflags &= ~X86_FL_TF;
	interp_seg_real(cpu, X86_CS, (uint16_t)(ent >> 16));
	cpu->eip = ent & 0xffff;
}

static void op_int(struct vcpu *cpu, const struct x86_insn *in)
{
	uint8_t vector = (uint8_t)in->imm;

	if (vcpu_protected(cpu) && vcpu_v86(cpu)) {
		if (cpu->cr4 & X86_CR4_VME) {
			if (v86_redirected(cpu, vector)) {
				v86_int_redirect(cpu, vector);
				return;
			}
			if (iopl(cpu) < 3)
				interp_gp0(cpu);
		} else if (iopl(cpu) < 3) {
			interp_gp0(cpu);
		}
	}
	interp_deliver(cpu, vector, true, false, 0);
}

static void op_int3(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)in;
	interp_deliver(cpu, X86_EXC_BP, true, false, 0);
}

static void op_into(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)in;
	if (cpu->eflags & X86_FL_OF)
		interp_deliver(cpu, X86_EXC_OF, true, false, 0);
}

/* ICEBP: a #DB trap without the gate DPL check (an "external" event). */
static void op_int1(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)in;
	interp_deliver(cpu, X86_EXC_DB, false, false, 0);
}

/* ---- IRET ------------------------------------------------------------ */

static void iret_real(struct vcpu *cpu, unsigned sz)
{
	struct prot_stack st;
	uint32_t eip, fl;
	uint16_t cs;

	prot_stack_cur(cpu, &st, 0);
	eip = prot_stack_pop(cpu, &st, sz);
	cs = (uint16_t)prot_stack_pop(cpu, &st, sz);
	fl = prot_stack_pop(cpu, &st, sz);
	if (eip > cpu->seg[X86_CS].limit)
		interp_gp0(cpu);

	prot_stack_commit(cpu, &st);
	interp_seg_real(cpu, X86_CS, cs);
	cpu->eip = eip;
	interp_write_eflags(cpu, fl, sz == 4 ? X86_FL_MASK : 0xffff);
}

static void iret_v86(struct vcpu *cpu, unsigned sz)
{
	struct prot_stack st;
	uint32_t eip, fl;
	uint16_t cs;
	bool vme = false;

	if (iopl(cpu) < 3) {
		if (!(cpu->cr4 & X86_CR4_VME) || sz != 2)
			interp_gp0(cpu);
		vme = true;
	}
	prot_stack_cur(cpu, &st, 0);
	eip = prot_stack_pop(cpu, &st, sz);
	cs = (uint16_t)prot_stack_pop(cpu, &st, sz);
	fl = prot_stack_pop(cpu, &st, sz);
	if (eip > 0xffff)
		interp_gp0(cpu);
	if (vme && ((fl & X86_FL_TF) ||
		    ((fl & X86_FL_IF) && (cpu->eflags & X86_FL_VIP))))
		interp_gp0(cpu);

	prot_stack_commit(cpu, &st);
	interp_seg_real(cpu, X86_CS, cs);
	cpu->eip = eip;
	if (vme) {
		interp_write_eflags(cpu, fl, 0xffff & ~X86_FL_IF);
		cpu->eflags = (cpu->eflags & ~X86_FL_VIF) |
			      ((fl & X86_FL_IF) ? X86_FL_VIF : 0);
	} else {
		interp_write_eflags(cpu, fl, sz == 4 ? X86_FL_MASK : 0xffff);
	}
}

/* From CPL 0 with a 32-bit frame whose EFLAGS image has VM set. */
static void iret_to_v86(struct vcpu *cpu, struct prot_stack *st, uint32_t eip,
			uint16_t cs, uint32_t fl)
{
	uint32_t esp = prot_stack_pop(cpu, st, 4);
	uint16_t ss = (uint16_t)prot_stack_pop(cpu, st, 4);
	uint16_t es = (uint16_t)prot_stack_pop(cpu, st, 4);
	uint16_t ds = (uint16_t)prot_stack_pop(cpu, st, 4);
	uint16_t fs = (uint16_t)prot_stack_pop(cpu, st, 4);
	uint16_t gs = (uint16_t)prot_stack_pop(cpu, st, 4);

	cpu->eflags = (fl & X86_FL_MASK) | X86_FL_FIXED1;
	interp_seg_real(cpu, X86_CS, cs);
	interp_seg_real(cpu, X86_SS, ss);
	interp_seg_real(cpu, X86_ES, es);
	interp_seg_real(cpu, X86_DS, ds);
	interp_seg_real(cpu, X86_FS, fs);
	interp_seg_real(cpu, X86_GS, gs);
	cpu->regs[X86_ESP] = esp;
	cpu->eip = eip & 0xffff;
	interp_mode_changed(cpu);
}

/* IRET with NT: return to the task in the back link of the current TSS. */
static void iret_task(struct vcpu *cpu)
{
	uint16_t link = (uint16_t)interp_read_lin(cpu, cpu->tr.base, 2, true);
	uint32_t lo, hi;
	int type;

	if (link & 4)
		prot_fault(cpu, X86_EXC_TS, link, false);
	if (!interp_read_desc(cpu, link, &lo, &hi))
		prot_fault(cpu, X86_EXC_TS, link, false);
	type = desc_sys_type(hi);
	if (type != X86_SYS_TSS16_BUSY && type != X86_SYS_TSS32_BUSY)
		prot_fault(cpu, X86_EXC_TS, link, false);
	if (!DESC_P(hi))
		prot_fault(cpu, X86_EXC_NP, link, false);
	interp_task_switch(cpu, link, lo, hi, TASK_IRET, false);
	if (cpu->eip > cpu->seg[X86_CS].limit)
		interp_gp0(cpu);
}

static void iret_prot(struct vcpu *cpu, unsigned sz)
{
	struct prot_stack st;
	struct x86_seg ncs;
	uint32_t eip, fl, lo, hi, mask;
	unsigned rpl, dpl, old_cpl = (unsigned)cpu->cpl;
	uint16_t cs;

	prot_stack_cur(cpu, &st, 0);
	eip = prot_stack_pop(cpu, &st, sz);
	cs = (uint16_t)prot_stack_pop(cpu, &st, sz);
	fl = prot_stack_pop(cpu, &st, sz);
	if (sz == 4 && (fl & X86_FL_VM) && old_cpl == 0) {
		iret_to_v86(cpu, &st, eip, cs, fl);
		return;
	}
	rpl = cs & 3u;
	if (sel_is_null(cs))
		interp_gp0(cpu);
	if (!interp_read_desc(cpu, cs, &lo, &hi))
		prot_fault(cpu, X86_EXC_GP, cs, false);
	dpl = DESC_DPL(hi);
	if (!desc_is_code(hi) || rpl < old_cpl)
		prot_fault(cpu, X86_EXC_GP, cs, false);
	if (desc_is_conforming(hi) ? dpl > rpl : dpl != rpl)
		prot_fault(cpu, X86_EXC_GP, cs, false);
	if (!DESC_P(hi))
		prot_fault(cpu, X86_EXC_NP, cs, false);
	interp_seg_from_desc(&ncs, cs, lo, hi);
	mask = sz == 4 ? X86_FL_MASK : 0xffff;

	if (rpl == old_cpl) {
		if (eip > ncs.limit)
			interp_gp0(cpu);
		prot_set_accessed(cpu, cs, &hi);
		prot_stack_commit(cpu, &st);
		interp_write_eflags(cpu, fl, mask);
		if (old_cpl == 0 && sz == 4)
			cpu->eflags =
				(cpu->eflags & ~(X86_FL_VIF | X86_FL_VIP)) |
				(fl & (X86_FL_VIF | X86_FL_VIP));
		prot_load_cs(cpu, cs, lo, hi, rpl);
		cpu->eip = eip;
		return;
	}

	/* Return to an outer privilege level: SS:ESP come from the frame. */
	uint32_t esp = prot_stack_pop(cpu, &st, sz), slo, shi;
	uint16_t ss = (uint16_t)prot_stack_pop(cpu, &st, sz);

	prot_check_outer_ss(cpu, ss, rpl, &slo, &shi);
	if (eip > ncs.limit)
		interp_gp0(cpu);
	prot_set_accessed(cpu, cs, &hi);
	prot_set_accessed(cpu, ss, &shi);

	/* EFLAGS first: what may change depends on the CPL being left. */
	interp_write_eflags(cpu, fl, mask);
	if (old_cpl == 0 && sz == 4)
		cpu->eflags = (cpu->eflags & ~(X86_FL_VIF | X86_FL_VIP)) |
			      (fl & (X86_FL_VIF | X86_FL_VIP));
	prot_load_cs(cpu, cs, lo, hi, rpl);
	cpu->eip = eip;
	prot_load_seg(cpu, X86_SS, ss, slo, shi);
	/* A 16-bit stack gets only SP: the upper half of ESP stays. */
	if (DESC_DB(shi))
		cpu->regs[X86_ESP] = sz == 4 ? esp : esp & 0xffff;
	else
		cpu->regs[X86_ESP] =
			(cpu->regs[X86_ESP] & 0xffff0000u) | (esp & 0xffff);
	prot_fix_outer_sregs(cpu);
	interp_mode_changed(cpu);
}

static void op_iret(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned sz = in->opsize;

	/* Every IRET ends NMI blocking, even one that faults (SDM vol. 3,
	 * "Handling Multiple NMIs"), and whatever handler it returns from. */
	cpu->nmi_blocked = false;
	if (!vcpu_protected(cpu))
		iret_real(cpu, sz);
	else if (vcpu_v86(cpu))
		iret_v86(cpu, sz);
	else if (cpu->eflags & X86_FL_NT)
		iret_task(cpu);
	else
		iret_prot(cpu, sz);
}

/* ---- BOUND ----------------------------------------------------------- */

static void op_bound(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned sz = in->opsize;
	uint32_t ea, lower, upper, idx;

	if (in->mod == 3)
		interp_ud(cpu);
	ea = interp_ea(cpu, in);
	idx = int_sext(interp_reg_get(cpu, in->reg, sz), sz);
	lower = int_sext(interp_read(cpu, in->seg, ea, sz), sz);
	upper = int_sext(
		interp_read(cpu, in->seg,
			    in->addrsize == 2 ? (ea + sz) & 0xffff : ea + sz,
			    sz),
		sz);
	if ((int32_t)idx < (int32_t)lower || (int32_t)idx > (int32_t)upper)
		interp_raise(cpu, X86_EXC_BR);
}

void interp_register_intr(interp_fn *table)
{
	table[X86_OP_INT] = op_int;
	table[X86_OP_INT3] = op_int3;
	table[X86_OP_INTO] = op_into;
	table[X86_OP_INT1] = op_int1;
	table[X86_OP_IRET] = op_iret;
	table[X86_OP_BOUND] = op_bound;
	interp_register_far(table);
}
