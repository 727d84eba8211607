/*
 * interp_far.c - far control transfers: JMP, CALL and RET between code
 * segments, through call gates, and to other tasks (TSS or task gate).
 *
 * Real and virtual-8086 mode just load CS the real-mode way. Protected
 * mode follows the SDM's JMP/CALL/RET pseudocode: conforming and
 * non-conforming targets, call gates to the same or a more privileged
 * level (with the stack switch through the TSS and the copy of the gate's
 * parameters), and returns to an outer level with SS:ESP from the stack.
 * As everywhere in the system half, every access that can fault comes
 * before the first change to the registers.
 */
#include "bt/interp_prot.h"

/* The far pointer of JMP/CALL ptr16:16/32 or of their m16:16/32 forms. */
static void far_operand(struct vcpu *cpu, const struct x86_insn *in,
			bool indirect, uint16_t *sel, uint32_t *off)
{
	if (!indirect) {
		*off = in->opsize == 2 ? in->imm & 0xffff : in->imm;
		*sel = (uint16_t)in->imm2;
		return;
	}
	if (in->mod == 3)
		interp_ud(cpu);
	uint32_t ea = interp_ea(cpu, in);

	*off = interp_read(cpu, in->seg, ea, in->opsize);
	*sel = (uint16_t)interp_read(cpu, in->seg,
				     in->addrsize == 2
					     ? (ea + in->opsize) & 0xffff
					     : ea + in->opsize,
				     2);
}

/* ---- real and virtual-8086 mode -------------------------------------- */

static void jmp_real(struct vcpu *cpu, uint16_t sel, uint32_t off)
{
	if (off > cpu->seg[X86_CS].limit && !vcpu_v86(cpu))
		interp_gp0(cpu);
	if (vcpu_v86(cpu) && off > 0xffff)
		interp_gp0(cpu);
	interp_seg_real(cpu, X86_CS, sel);
	cpu->eip = off;
}

static void call_real(struct vcpu *cpu, unsigned sz, uint16_t sel, uint32_t off)
{
	struct prot_stack st;

	if (off > (vcpu_v86(cpu) ? 0xffffu : cpu->seg[X86_CS].limit))
		interp_gp0(cpu);
	prot_stack_cur(cpu, &st, 0);
	prot_stack_push(cpu, &st, sz, cpu->seg[X86_CS].sel);
	prot_stack_push(cpu, &st, sz, cpu->eip);
	prot_stack_commit(cpu, &st);
	interp_seg_real(cpu, X86_CS, sel);
	cpu->eip = off;
}

/* ---- protected mode: direct code segment targets --------------------- */

/* Checks of a code segment reached directly (not through a gate). */
static void check_direct_code(struct vcpu *cpu, uint16_t sel, uint32_t hi)
{
	unsigned dpl = DESC_DPL(hi), cpl = (unsigned)cpu->cpl;

	if (desc_is_conforming(hi)) {
		if (dpl > cpl)
			prot_fault(cpu, X86_EXC_GP, sel, false);
	} else if ((sel & 3u) > cpl || dpl != cpl) {
		prot_fault(cpu, X86_EXC_GP, sel, false);
	}
	if (!DESC_P(hi))
		prot_fault(cpu, X86_EXC_NP, sel, false);
}

static void to_code(struct vcpu *cpu, uint16_t sel, uint32_t lo, uint32_t hi,
		    uint32_t off, bool call, unsigned sz)
{
	struct x86_seg ncs;
	struct prot_stack st;

	check_direct_code(cpu, sel, hi);
	interp_seg_from_desc(&ncs, sel, lo, hi);
	if (off > ncs.limit)
		interp_gp0(cpu);
	if (call) {
		prot_stack_cur(cpu, &st, 0);
		prot_stack_push(cpu, &st, sz, cpu->seg[X86_CS].sel);
		prot_stack_push(cpu, &st, sz, cpu->eip);
	}
	prot_set_accessed(cpu, sel, &hi);
	if (call)
		prot_stack_commit(cpu, &st);
	prot_load_cs(cpu, sel, lo, hi, (unsigned)cpu->cpl);
	cpu->eip = off;
}

/* ---- call gates ------------------------------------------------------ */

/* CALL through a gate to a more privileged non-conforming segment. */
static void call_gate_inner(struct vcpu *cpu, uint16_t csel, uint32_t clo,
			    uint32_t chi, uint32_t off, unsigned sz,
			    unsigned count)
{
	unsigned dpl = DESC_DPL(chi);
	struct prot_stack cur, st;
	struct x86_seg ncs;
	uint32_t slo, shi, esp, params[31];
	uint16_t ss;

	prot_tss_stack(cpu, dpl, false, &ss, &esp);
	prot_check_inner_ss(cpu, ss, dpl, false, &slo, &shi);
	prot_stack_new(&st, ss, slo, shi, esp, false);
	interp_seg_from_desc(&ncs, csel, clo, chi);
	if (off > ncs.limit)
		interp_gp0(cpu);

	/* Parameters are read from the caller's stack, in the gate's size;
	 * params[0] is the one nearest the top (the last pushed). */
	prot_stack_cur(cpu, &cur, 0);
	for (unsigned i = 0; i < count; i++)
		params[i] = prot_stack_pop(cpu, &cur, sz);

	prot_stack_push(cpu, &st, sz, cpu->seg[X86_SS].sel);
	prot_stack_push(cpu, &st, sz, cpu->regs[X86_ESP]);
	for (unsigned i = count; i > 0; i--)
		prot_stack_push(cpu, &st, sz, params[i - 1]);
	prot_stack_push(cpu, &st, sz, cpu->seg[X86_CS].sel);
	prot_stack_push(cpu, &st, sz, cpu->eip);
	prot_set_accessed(cpu, ss, &shi);
	prot_set_accessed(cpu, csel, &chi);

	prot_load_seg(cpu, X86_SS, ss, slo, shi);
	prot_stack_commit(cpu, &st);
	prot_load_cs(cpu, csel, clo, chi, dpl);
	cpu->eip = off;
	interp_mode_changed(cpu);
}

static void via_call_gate(struct vcpu *cpu, uint16_t gsel, uint32_t glo,
			  uint32_t ghi, bool call)
{
	unsigned cpl = (unsigned)cpu->cpl, dpl, gdpl = DESC_DPL(ghi);
	uint16_t csel = gate_sel(glo);
	uint32_t off = gate_offset(glo, ghi), clo, chi;
	unsigned sz = (DESC_TYPE(ghi) & 8) ? 4 : 2;

	if (gdpl < cpl || gdpl < (gsel & 3u))
		prot_fault(cpu, X86_EXC_GP, gsel, false);
	if (!DESC_P(ghi))
		prot_fault(cpu, X86_EXC_NP, gsel, false);
	if (sel_is_null(csel))
		interp_gp0(cpu);
	if (!interp_read_desc(cpu, csel, &clo, &chi))
		prot_fault(cpu, X86_EXC_GP, csel, false);
	dpl = DESC_DPL(chi);
	if (!desc_is_code(chi) || dpl > cpl)
		prot_fault(cpu, X86_EXC_GP, csel, false);
	/* A jmp through a gate never changes privilege. */
	if (!call && !desc_is_conforming(chi) && dpl != cpl)
		prot_fault(cpu, X86_EXC_GP, csel, false);
	if (!DESC_P(chi))
		prot_fault(cpu, X86_EXC_NP, csel, false);

	if (call && !desc_is_conforming(chi) && dpl < cpl) {
		call_gate_inner(cpu, csel, clo, chi, off, sz, ghi & 0x1f);
		return;
	}

	struct x86_seg ncs;
	struct prot_stack st;

	interp_seg_from_desc(&ncs, csel, clo, chi);
	if (off > ncs.limit)
		interp_gp0(cpu);
	if (call) {
		prot_stack_cur(cpu, &st, 0);
		prot_stack_push(cpu, &st, sz, cpu->seg[X86_CS].sel);
		prot_stack_push(cpu, &st, sz, cpu->eip);
	}
	prot_set_accessed(cpu, csel, &chi);
	if (call)
		prot_stack_commit(cpu, &st);
	prot_load_cs(cpu, csel, clo, chi, cpl);
	cpu->eip = off;
}

/* ---- dispatch -------------------------------------------------------- */

static void far_transfer(struct vcpu *cpu, const struct x86_insn *in,
			 bool indirect, bool call)
{
	uint32_t off, lo, hi;
	uint16_t sel;
	int type;

	far_operand(cpu, in, indirect, &sel, &off);
	if (!vcpu_protected(cpu) || vcpu_v86(cpu)) {
		if (call)
			call_real(cpu, in->opsize, sel, off);
		else
			jmp_real(cpu, sel, off);
		return;
	}
	if (sel_is_null(sel))
		interp_gp0(cpu);
	if (!interp_read_desc(cpu, sel, &lo, &hi))
		prot_fault(cpu, X86_EXC_GP, sel, false);
	if (desc_is_code(hi)) {
		to_code(cpu, sel, lo, hi, off, call, in->opsize);
		return;
	}
	type = desc_sys_type(hi);
	switch (type) {
	case X86_SYS_CALLGATE16:
	case X86_SYS_CALLGATE32:
		via_call_gate(cpu, sel, lo, hi, call);
		return;
	case X86_SYS_TASKGATE:
		if (DESC_DPL(hi) < (unsigned)cpu->cpl ||
		    DESC_DPL(hi) < (sel & 3u))
			prot_fault(cpu, X86_EXC_GP, sel, false);
		if (!DESC_P(hi))
			prot_fault(cpu, X86_EXC_NP, sel, false);
		interp_task_gate(cpu, gate_sel(lo), call ? TASK_CALL : TASK_JMP,
				 false);
		break;
	case X86_SYS_TSS16_AVAIL:
	case X86_SYS_TSS32_AVAIL:
		if (DESC_DPL(hi) < (unsigned)cpu->cpl ||
		    DESC_DPL(hi) < (sel & 3u))
			prot_fault(cpu, X86_EXC_GP, sel, false);
		interp_task_gate(cpu, sel, call ? TASK_CALL : TASK_JMP, false);
		break;
	default:
		prot_fault(cpu, X86_EXC_GP, sel, false);
	}
	/* After a task switch: the new task's EIP must be inside its CS. */
	if (cpu->eip > cpu->seg[X86_CS].limit)
		interp_gp0(cpu);
}

static void op_jmp_far(struct vcpu *cpu, const struct x86_insn *in)
{
	far_transfer(cpu, in, false, false);
}

static void op_jmp_far_ind(struct vcpu *cpu, const struct x86_insn *in)
{
	far_transfer(cpu, in, true, false);
}

static void op_call_far(struct vcpu *cpu, const struct x86_insn *in)
{
	far_transfer(cpu, in, false, true);
}

static void op_call_far_ind(struct vcpu *cpu, const struct x86_insn *in)
{
	far_transfer(cpu, in, true, true);
}

/* ---- RETF ------------------------------------------------------------ */

static void op_retf(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned sz = in->opsize, cpl = (unsigned)cpu->cpl, rpl, dpl;
	uint32_t n = in->imm_len ? in->imm & 0xffff : 0;
	struct prot_stack st;
	struct x86_seg ncs;
	uint32_t eip, lo, hi;
	uint16_t cs;

	prot_stack_cur(cpu, &st, 0);
	eip = prot_stack_pop(cpu, &st, sz);
	cs = (uint16_t)prot_stack_pop(cpu, &st, sz);
	if (sz == 2)
		eip &= 0xffff;

	if (!vcpu_protected(cpu) || vcpu_v86(cpu)) {
		if (eip > (vcpu_v86(cpu) ? 0xffffu : cpu->seg[X86_CS].limit))
			interp_gp0(cpu);
		st.sp = st.big ? st.sp + n : (st.sp + n) & 0xffff;
		prot_stack_commit(cpu, &st);
		interp_seg_real(cpu, X86_CS, cs);
		cpu->eip = eip;
		return;
	}

	rpl = cs & 3u;
	if (sel_is_null(cs))
		interp_gp0(cpu);
	if (!interp_read_desc(cpu, cs, &lo, &hi))
		prot_fault(cpu, X86_EXC_GP, cs, false);
	dpl = DESC_DPL(hi);
	if (!desc_is_code(hi) || rpl < cpl)
		prot_fault(cpu, X86_EXC_GP, cs, false);
	if (desc_is_conforming(hi) ? dpl > rpl : dpl != rpl)
		prot_fault(cpu, X86_EXC_GP, cs, false);
	if (!DESC_P(hi))
		prot_fault(cpu, X86_EXC_NP, cs, false);
	interp_seg_from_desc(&ncs, cs, lo, hi);

	if (rpl == cpl) {
		if (eip > ncs.limit)
			interp_gp0(cpu);
		prot_set_accessed(cpu, cs, &hi);
		st.sp = st.big ? st.sp + n : (st.sp + n) & 0xffff;
		prot_stack_commit(cpu, &st);
		prot_load_cs(cpu, cs, lo, hi, rpl);
		cpu->eip = eip;
		return;
	}

	/* Return to an outer privilege level. */
	uint32_t esp, slo, shi;
	uint16_t ss;

	st.sp = st.big ? st.sp + n : (st.sp + n) & 0xffff;
	esp = prot_stack_pop(cpu, &st, sz);
	ss = (uint16_t)prot_stack_pop(cpu, &st, sz);
	prot_check_outer_ss(cpu, ss, rpl, &slo, &shi);
	if (eip > ncs.limit)
		interp_gp0(cpu);
	prot_set_accessed(cpu, cs, &hi);
	prot_set_accessed(cpu, ss, &shi);

	prot_load_cs(cpu, cs, lo, hi, rpl);
	cpu->eip = eip;
	prot_load_seg(cpu, X86_SS, ss, slo, shi);
	/* The immediate also releases the parameters on the outer stack. */
	if (DESC_DB(shi))
		cpu->regs[X86_ESP] = (sz == 4 ? esp : esp & 0xffff) + n;
	else
		cpu->regs[X86_ESP] = (cpu->regs[X86_ESP] & 0xffff0000u) |
				     ((esp + n) & 0xffff);
	prot_fix_outer_sregs(cpu);
	interp_mode_changed(cpu);
}

void interp_register_far(interp_fn *table)
{
	table[X86_OP_JMP_FAR] = op_jmp_far;
	table[X86_OP_JMP_FAR_IND] = op_jmp_far_ind;
	table[X86_OP_CALL_FAR] = op_call_far;
	table[X86_OP_CALL_FAR_IND] = op_call_far_ind;
	table[X86_OP_RETF] = op_retf;
}
