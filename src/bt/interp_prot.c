/*
 * interp_prot.c - protection helpers of the interpreter's system half:
 * descriptor tables, segment caches, inner/outer stack checks and stack
 * frames built without touching ESP until the caller commits.
 *
 * Descriptor-table and TSS accesses are implicit supervisor accesses
 * (interp_*_lin with sys = true), whatever the CPL, as on hardware.
 */
#include "bt/interp_prot.h"
#include "monitor/opcost.h"

_Noreturn void prot_fault(struct vcpu *cpu, int vector, uint16_t sel, bool ext)
{
	interp_raise_err(cpu, vector, sel_err(sel, ext));
}

bool prot_desc_addr(const struct vcpu *cpu, uint16_t sel, uint32_t *lin)
{
	uint32_t off = sel & 0xfff8u;

	if (sel & 4) {
		/* An LDTR that was never loaded (or loaded null) is unusable. */
		if (!(cpu->ldtr.attr & X86_DESC_P) ||
		    sel_is_null(cpu->ldtr.sel))
			return false;
		if (off + 7 > cpu->ldtr.limit)
			return false;
		*lin = cpu->ldtr.base + off;
		return true;
	}
	if (off + 7 > cpu->gdtr.limit)
		return false;
	*lin = cpu->gdtr.base + off;
	return true;
}

bool interp_read_desc(struct vcpu *cpu, uint16_t sel, uint32_t *lo,
		      uint32_t *hi)
{
	uint32_t lin;

	if (!prot_desc_addr(cpu, sel, &lin))
		return false;
	*lo = interp_read_lin(cpu, lin, 4, true);
	*hi = interp_read_lin(cpu, lin + 4, 4, true);
	return true;
}

void interp_seg_from_desc(struct x86_seg *s, uint16_t sel, uint32_t lo,
			  uint32_t hi)
{
	uint32_t limit = (lo & 0xffff) | (hi & 0xf0000u);

	if (hi & (1u << 23))
		limit = (limit << 12) | 0xfff;
	s->sel = sel;
	s->base = (lo >> 16) | ((hi & 0xff) << 16) | (hi & 0xff000000u);
	s->limit = limit;
	s->attr = (uint16_t)(((hi >> 8) & 0xff) | ((hi >> 12) & 0xf00));
}

void prot_set_accessed(struct vcpu *cpu, uint16_t sel, uint32_t *hi)
{
	uint32_t lin;

	if (*hi & DESC_ACCESSED)
		return;
	if (!prot_desc_addr(cpu, sel, &lin))
		return;
	*hi |= DESC_ACCESSED;
	interp_write_lin(cpu, lin + 5, 1, (*hi >> 8) & 0xff, true);
}

void prot_set_busy(struct vcpu *cpu, uint16_t sel, bool busy)
{
	uint32_t lin, hi;

	if (!prot_desc_addr(cpu, sel, &lin))
		return;
	hi = interp_read_lin(cpu, lin + 4, 4, true);
	hi = busy ? hi | DESC_BUSY : hi & ~DESC_BUSY;
	interp_write_lin(cpu, lin + 5, 1, (hi >> 8) & 0xff, true);
}

bool prot_seg_ok(const struct x86_seg *s, uint32_t off, unsigned size)
{
	uint32_t last = off + size - 1;

	if (last < off)
		return false;
	if ((s->attr & (X86_DESC_S | X86_DESC_CODE | X86_DESC_DC)) ==
	    (X86_DESC_S | X86_DESC_DC)) {
		uint32_t upper =
			(s->attr & X86_DESC_DB) ? 0xffffffffu : 0xffffu;

		return off > s->limit && last <= upper;
	}
	return last <= s->limit;
}

void prot_load_cs(struct vcpu *cpu, uint16_t sel, uint32_t lo, uint32_t hi,
		  unsigned cpl)
{
	interp_seg_from_desc(&cpu->seg[X86_CS], (uint16_t)((sel & ~3u) | cpl),
			     lo, hi);
	if (cpl == 3 && cpu->cpl != 3)
		opcost_user_return();
	cpu->cpl = (int)cpl;
}

void prot_load_seg(struct vcpu *cpu, int sreg, uint16_t sel, uint32_t lo,
		   uint32_t hi)
{
	interp_seg_from_desc(&cpu->seg[sreg], sel, lo, hi);
}

void prot_null_seg(struct x86_seg *s, uint16_t sel)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0;
	s->attr = 0;
}

void prot_fix_outer_sregs(struct vcpu *cpu)
{
	static const int regs[] = {X86_ES, X86_DS, X86_FS, X86_GS};

	for (unsigned i = 0; i < 4; i++) {
		struct x86_seg *s = &cpu->seg[regs[i]];
		unsigned dpl = (s->attr >> X86_DESC_DPL_SHIFT) & 3;
		bool conforming_code =
			(s->attr & (X86_DESC_CODE | X86_DESC_DC)) ==
			(X86_DESC_CODE | X86_DESC_DC);

		if (!(s->attr & X86_DESC_P))
			continue;
		if (!conforming_code && (int)dpl < cpu->cpl)
			prot_null_seg(s, 0);
	}
}

void prot_tss_stack(struct vcpu *cpu, unsigned dpl, bool ext, uint16_t *ss,
		    uint32_t *esp)
{
	unsigned type = cpu->tr.attr & 0xf;
	uint32_t off;

	if (type == X86_SYS_TSS32_AVAIL || type == X86_SYS_TSS32_BUSY) {
		off = dpl * 8 + 4;
		if (off + 7 > cpu->tr.limit)
			prot_fault(cpu, X86_EXC_TS, cpu->tr.sel, ext);
		*esp = interp_read_lin(cpu, cpu->tr.base + off, 4, true);
		*ss = (uint16_t)interp_read_lin(cpu, cpu->tr.base + off + 4, 2,
						true);
	} else {
		off = dpl * 4 + 2;
		if (off + 3 > cpu->tr.limit)
			prot_fault(cpu, X86_EXC_TS, cpu->tr.sel, ext);
		*esp = interp_read_lin(cpu, cpu->tr.base + off, 2, true);
		*ss = (uint16_t)interp_read_lin(cpu, cpu->tr.base + off + 2, 2,
						true);
	}
}

void prot_check_inner_ss(struct vcpu *cpu, uint16_t ss, unsigned dpl, bool ext,
			 uint32_t *lo, uint32_t *hi)
{
	if (sel_is_null(ss))
		interp_raise_err(cpu, X86_EXC_TS, ext ? 1 : 0);
	if (!interp_read_desc(cpu, ss, lo, hi))
		prot_fault(cpu, X86_EXC_TS, ss, ext);
	if ((ss & 3u) != dpl || DESC_DPL(*hi) != dpl ||
	    !desc_is_writable_data(*hi))
		prot_fault(cpu, X86_EXC_TS, ss, ext);
	if (!DESC_P(*hi))
		prot_fault(cpu, X86_EXC_SS, ss, ext);
}

void prot_check_outer_ss(struct vcpu *cpu, uint16_t ss, unsigned rpl,
			 uint32_t *lo, uint32_t *hi)
{
	if (sel_is_null(ss))
		interp_gp0(cpu);
	if (!interp_read_desc(cpu, ss, lo, hi))
		prot_fault(cpu, X86_EXC_GP, ss, false);
	if ((ss & 3u) != rpl || DESC_DPL(*hi) != rpl ||
	    !desc_is_writable_data(*hi))
		prot_fault(cpu, X86_EXC_GP, ss, false);
	if (!DESC_P(*hi))
		prot_fault(cpu, X86_EXC_SS, ss, false);
}

/* ---- stack frames ---------------------------------------------------- */

void prot_stack_cur(struct vcpu *cpu, struct prot_stack *st, uint32_t err)
{
	st->seg = cpu->seg[X86_SS];
	st->big = vcpu_stack32(cpu);
	st->sp = st->big ? cpu->regs[X86_ESP] : cpu->regs[X86_ESP] & 0xffff;
	st->esp_hi = cpu->regs[X86_ESP] & 0xffff0000u;
	st->sys = false;
	st->vector = X86_EXC_SS;
	st->err = err;
}

void prot_stack_new(struct prot_stack *st, uint16_t ss, uint32_t lo,
		    uint32_t hi, uint32_t esp, bool ext)
{
	interp_seg_from_desc(&st->seg, ss, lo, hi);
	st->big = DESC_DB(hi);
	st->sp = st->big ? esp : esp & 0xffff;
	st->esp_hi = esp & 0xffff0000u;
	st->sys = true;
	st->vector = X86_EXC_SS;
	st->err = sel_err(ss, ext);
}

void prot_stack_push(struct vcpu *cpu, struct prot_stack *st, unsigned size,
		     uint32_t val)
{
	uint32_t sp = st->sp - size;

	if (!st->big)
		sp &= 0xffff;
	if (!prot_seg_ok(&st->seg, sp, size))
		interp_raise_err(cpu, st->vector, st->err);
	interp_write_lin(cpu, st->seg.base + sp, size, val, st->sys);
	st->sp = sp;
}

uint32_t prot_stack_pop(struct vcpu *cpu, struct prot_stack *st, unsigned size)
{
	uint32_t v;

	if (!prot_seg_ok(&st->seg, st->sp, size))
		interp_raise_err(cpu, st->vector, st->err);
	v = interp_read_lin(cpu, st->seg.base + st->sp, size, st->sys);
	st->sp += size;
	if (!st->big)
		st->sp &= 0xffff;
	return v;
}

void prot_stack_commit(struct vcpu *cpu, const struct prot_stack *st)
{
	cpu->regs[X86_ESP] = st->big ? st->sp : st->esp_hi | (st->sp & 0xffff);
}

/* ---- r/m operands of system instructions ----------------------------- */

uint16_t prot_rm16(struct vcpu *cpu, const struct x86_insn *in)
{
	if (in->mod == 3)
		return (uint16_t)cpu->regs[in->rm];
	return (uint16_t)interp_read(cpu, in->seg, interp_ea(cpu, in), 2);
}

void prot_put_rm_sel(struct vcpu *cpu, const struct x86_insn *in, uint32_t val)
{
	if (in->mod == 3)
		interp_reg_put(cpu, in->rm, in->opsize, val);
	else
		interp_write(cpu, in->seg, interp_ea(cpu, in), 2, val);
}
