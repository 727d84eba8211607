/*
 * vcpu_reset.c - the power-on state of the virtual CPU (SDM Vol. 3,
 * table 9-1 "IA-32 Processor States Following Power-up, Reset, or INIT").
 *
 * Real mode, CS = F000 with base FFFF0000 so the first fetch is at
 * FFFFFFF0, EDX = the CPUID signature, CR0 = 60000010 (CD, NW, ET).
 * Everything that is not architectural state (the machine pointer, the
 * interpreter's TLB) survives; the TLB is flushed.
 */
#include <string.h>

#include "bt/cpu_model.h"
#include "bt/fpu.h"
#include "bt/interp.h"
#include "vcpu.h"

static void seg_init(struct x86_seg *s, uint16_t sel, uint32_t base,
		     uint16_t attr)
{
	s->sel = sel;
	s->base = base;
	s->limit = 0xffff;
	s->attr = attr;
}

void vcpu_reset(struct vcpu *cpu)
{
	struct machine *m = cpu->machine;
	struct interp_tlb *tlb = cpu->tlb;

	memset(cpu, 0, sizeof(*cpu));
	cpu->machine = m;
	cpu->tlb = tlb;
	cpu->delivering = -1;

	cpu->regs[X86_EDX] = BT_CPU_SIGNATURE;
	cpu->eip = 0xfff0;
	cpu->eflags = X86_FL_FIXED1;

	/* Present, read/write, accessed: the SDM gives CS the same access
	 * rights as the data segments; real mode does not check types. */
	seg_init(&cpu->seg[X86_CS], 0xf000, 0xffff0000u, 0x93);
	for (int i = 0; i < X86_NR_SREGS; i++)
		if (i != X86_CS)
			seg_init(&cpu->seg[i], 0, 0, 0x93);
	cpu->gdtr.limit = 0xffff;
	cpu->idtr.limit = 0xffff;
	seg_init(&cpu->ldtr, 0, 0, X86_DESC_P | X86_SYS_LDT);
	seg_init(&cpu->tr, 0, 0, X86_DESC_P | X86_SYS_TSS32_BUSY);

	cpu->cr0 = X86_CR0_CD | X86_CR0_NW | X86_CR0_ET;
	cpu->dr[6] = 0xffff0ff0u;
	cpu->dr[7] = 0x00000400u;
	cpu->cpl = 0;

	bt_msr_reset(cpu);
	bt_fpu_reset(cpu);
	if (tlb)
		bt_interp_flush_tlb(cpu);
}
