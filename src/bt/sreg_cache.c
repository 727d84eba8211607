/*
 * sreg_cache.c - segment loads of translated kernel code without a callout.
 *
 * A kernel's trap path loads DS, ES, FS and GS on every entry and pops
 * them on every exit (Linux: 3 pushes, 3 loads, 3 pops per system call;
 * the test library: 4 of each). As callouts they were 12 of the 14
 * callouts of a guest system call and most of its cost (bench syscall).
 *
 * The result of loading a data segment register at CPL 0 depends only on
 * the selector, the 8 descriptor bytes it names and the GDT limit: when
 * the descriptor's Accessed bit is already set the load writes nothing.
 * So a callout that loaded DS/ES/FS/GS from the GDT records the selector,
 * the descriptor bytes and the resulting segment register in a table
 * indexed by the selector's index, and translated code (translate.c,
 * emit_sreg_load) re-reads the descriptor from the GDT through the kernel
 * view, compares selector and bytes with the entry and, when both match,
 * copies the entry's segment register into the vcpu. Anything else
 * (another descriptor, an LDT or null selector, a changed GDT entry) takes
 * the callout, which may refill the entry. LGDT empties the table (the
 * limit check was made against the old limit).
 *
 * The table has two halves, one per mode-key property the load must keep
 * (blocks are translated for a key and may not change it inline):
 * BT_SREG_FLAT holds only segments that keep BT_KEY_FLAT for DS/ES,
 * BT_SREG_INLINE those that keep FS/GS inline (bt_seg_inline_ok).
 */
#include <stdlib.h>
#include <string.h>

#include "bt/bt_priv.h"
#include "bt/sreg_cache.h"
#include "bt/interp_priv.h"
#include "monitor/stats.h"

bool bt_host_bmi2;

static struct bt_sreg_entry *table; /* one vCPU */

static struct bt_sreg_entry *table_of(struct vcpu *cpu)
{
	return (struct bt_sreg_entry *)(uintptr_t)cpu->bt.sreg_table;
}

int bt_sreg_cache_init(void)
{
	if (!table)
		table = malloc(sizeof(*table) * BT_SREG_CLASSES *
			       BT_SREG_ENTRIES);
	if (!table)
		return -1;
	bt_host_bmi2 = __builtin_cpu_supports("bmi2");
	return 0;
}

void bt_sreg_cache_attach(struct vcpu *cpu)
{
	cpu->bt.sreg_table = (uint64_t)(uintptr_t)table;
	bt_sreg_cache_flush(cpu);
}

void bt_sreg_cache_flush(struct vcpu *cpu)
{
	struct bt_sreg_entry *t = table_of(cpu);

	if (!t)
		return;
	for (unsigned i = 0; i < BT_SREG_CLASSES * BT_SREG_ENTRIES; i++) {
		/* sel + 1 is never 0 for a 16-bit selector: no hit. */
		t[i].neg_sel = 1;
		t[i].neg_desc = 0;
	}
}

/* The descriptor bytes that give segment register `s` when loaded. */
unsigned bt_sreg_operand(const struct x86_insn *in)
{
	if (in->info->op == X86_OP_MOV_TO_SREG)
		return in->reg;
	for (unsigned i = 0; i < in->info->nr_operands; i++)
		if (in->info->operand[i].kind == OPK_SREG)
			return in->info->operand[i].reg;
	return X86_NR_SREGS;
}

static uint64_t descriptor_of(const struct x86_seg *s)
{
	uint32_t raw_limit = (s->attr & X86_DESC_G) ? s->limit >> 12 : s->limit;
	uint32_t lo = (raw_limit & 0xffff) | (s->base << 16);
	uint32_t hi =
		((s->base >> 16) & 0xff) | ((uint32_t)(s->attr & 0xff) << 8) |
		(raw_limit & 0xf0000u) | ((uint32_t)(s->attr & 0xf00) << 12) |
		(s->base & 0xff000000u);

	return (uint64_t)hi << 32 | lo;
}

static bool is_flat_data(const struct x86_seg *s)
{
	return s->base == 0 && s->limit == 0xffffffffu &&
	       (s->attr & X86_DESC_DB) && bt_seg_inline_ok(s);
}

void bt_sreg_cache_note(struct vcpu *cpu, unsigned sreg)
{
	struct bt_sreg_entry *t = table_of(cpu);
	const struct x86_seg *s;
	struct x86_seg check;
	uint64_t desc;
	unsigned index;

	if (sreg >= X86_NR_SREGS)
		return;
	s = &cpu->seg[sreg];
	index = s->sel >> 3;
	if (!t || cpu->cpl != 0 || !(cpu->cr0 & X86_CR0_PE) ||
	    (cpu->eflags & X86_FL_VM) || sreg == X86_CS || sreg == X86_SS)
		return;
	/* A null FS or GS keeps the kernel's key (bt_mode_key): entry 0
	 * of the FS/GS class, for this selector (0-3). */
	if (index == 0 && !(s->sel & 4) && bt_seg_null(s) && s->base == 0 &&
	    (sreg == X86_FS || sreg == X86_GS)) {
		struct bt_sreg_entry *e = &t[BT_SREG_INLINE * BT_SREG_ENTRIES];

		STAT_INC(bt_sreg_cache_fills);
		e->neg_desc = -descriptor_of(s);
		e->neg_sel = -(uint32_t)s->sel;
		e->seg = *s;
		return;
	}
	if (index == 0 || (s->sel & 4) || !(s->attr & X86_DESC_A) ||
	    !bt_seg_inline_ok(s))
		return;
	desc = descriptor_of(s);
	/* Only an exact round trip may be cached. */
	interp_seg_from_desc(&check, s->sel, (uint32_t)desc,
			     (uint32_t)(desc >> 32));
	if (check.base != s->base || check.limit != s->limit ||
	    check.attr != s->attr)
		return;
	STAT_INC(bt_sreg_cache_fills);
	for (unsigned c = 0; c < BT_SREG_CLASSES; c++) {
		struct bt_sreg_entry *e = &t[c * BT_SREG_ENTRIES + index];

		if (c == BT_SREG_FLAT && !is_flat_data(s))
			continue;
		e->neg_desc = -desc;
		e->neg_sel = -(uint32_t)s->sel;
		e->seg = *s;
	}
}
