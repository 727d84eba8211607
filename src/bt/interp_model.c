/*
 * interp_model.c - the instructions that show the virtual CPU model:
 * CPUID, RDTSC, RDTSCP, RDMSR, WRMSR, RDPMC, and the fast system calls
 * SYSENTER/SYSEXIT (the model reports SEP).
 *
 * The model itself (leaves, MSRs, TSC) is in cpuid.c and msr.c, shared
 * with the other engines through include/bt/cpu_model.h.
 */
#include "bt/cpu_model.h"
#include "bt/interp_prot.h"
#include "monitor/opcost.h"

static void need_cpl0(struct vcpu *cpu)
{
	if (vcpu_protected(cpu) && cpu->cpl != 0)
		interp_gp0(cpu);
}

static void op_cpuid(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t r[4];

	(void)in;
	bt_cpuid(cpu, cpu->regs[X86_EAX], cpu->regs[X86_ECX], r);
	cpu->regs[X86_EAX] = r[0];
	cpu->regs[X86_EBX] = r[1];
	cpu->regs[X86_ECX] = r[2];
	cpu->regs[X86_EDX] = r[3];
}

static void op_rdtsc(struct vcpu *cpu, const struct x86_insn *in)
{
	uint64_t tsc;

	(void)in;
	if ((cpu->cr4 & X86_CR4_TSD) && vcpu_protected(cpu) && cpu->cpl != 0)
		interp_gp0(cpu);
	tsc = bt_cpu_tsc(cpu);
	cpu->regs[X86_EAX] = (uint32_t)tsc;
	cpu->regs[X86_EDX] = (uint32_t)(tsc >> 32);
}

/* The model has no RDTSCP (CPUID.80000001H:EDX[27] is clear). */
static void op_rdtscp(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)in;
	interp_ud(cpu);
}

static void op_rdmsr(struct vcpu *cpu, const struct x86_insn *in)
{
	uint64_t v;

	(void)in;
	need_cpl0(cpu);
	if (!bt_msr_read(cpu, cpu->regs[X86_ECX], &v))
		interp_gp0(cpu);
	cpu->regs[X86_EAX] = (uint32_t)v;
	cpu->regs[X86_EDX] = (uint32_t)(v >> 32);
}

static void op_wrmsr(struct vcpu *cpu, const struct x86_insn *in)
{
	uint64_t v = cpu->regs[X86_EAX] | (uint64_t)cpu->regs[X86_EDX] << 32;

	(void)in;
	need_cpl0(cpu);
	if (!bt_msr_write(cpu, cpu->regs[X86_ECX], v))
		interp_gp0(cpu);
}

/*
 * The two P6 counters, PerfCtr0/1 (msr.c): 40 bits, as WRMSR left them
 * (no events are counted). #GP at CPL > 0 without CR4.PCE, or for
 * ECX > 1.
 */
static void op_rdpmc(struct vcpu *cpu, const struct x86_insn *in)
{
	uint64_t v;

	(void)in;
	if (!(cpu->cr4 & X86_CR4_PCE))
		need_cpl0(cpu);
	if (cpu->regs[X86_ECX] > 1)
		interp_gp0(cpu);
	v = cpu->perfctr[cpu->regs[X86_ECX]];
	cpu->regs[X86_EAX] = (uint32_t)v;
	cpu->regs[X86_EDX] = (uint32_t)(v >> 32);
}

/* ---- SYSENTER / SYSEXIT ---------------------------------------------- */

/* The flat 4 GiB segments SYSENTER/SYSEXIT load without reading the GDT. */
static void flat_seg(struct x86_seg *s, uint16_t sel, bool code, unsigned dpl)
{
	s->sel = sel;
	s->base = 0;
	s->limit = 0xffffffffu;
	s->attr = (uint16_t)(X86_DESC_P | X86_DESC_S | X86_DESC_RW |
			     X86_DESC_A | (code ? X86_DESC_CODE : 0) |
			     (dpl << X86_DESC_DPL_SHIFT) | X86_DESC_DB |
			     X86_DESC_G);
}

static void op_sysenter(struct vcpu *cpu, const struct x86_insn *in)
{
	uint16_t cs = (uint16_t)(cpu->sysenter_cs & 0xfffc);

	(void)in;
	if (!vcpu_protected(cpu) || sel_is_null(cs))
		interp_gp0(cpu);
	if (cpu->cpl == 3)
		opcost_kernel_entry(OPCOST_SYSCALL);
	cpu->eflags &= ~(X86_FL_VM | X86_FL_IF | X86_FL_RF);
	flat_seg(&cpu->seg[X86_CS], cs, true, 0);
	flat_seg(&cpu->seg[X86_SS], (uint16_t)(cs + 8), false, 0);
	cpu->regs[X86_ESP] = cpu->sysenter_esp;
	cpu->eip = cpu->sysenter_eip;
	interp_mode_changed(cpu);
}

static void op_sysexit(struct vcpu *cpu, const struct x86_insn *in)
{
	uint16_t cs = (uint16_t)(cpu->sysenter_cs & 0xfffc);

	(void)in;
	if (!vcpu_protected(cpu) || vcpu_v86(cpu) || cpu->cpl != 0 ||
	    sel_is_null(cs))
		interp_gp0(cpu);
	flat_seg(&cpu->seg[X86_CS], (uint16_t)((cs + 16) | 3), true, 3);
	flat_seg(&cpu->seg[X86_SS], (uint16_t)((cs + 24) | 3), false, 3);
	cpu->regs[X86_ESP] = cpu->regs[X86_ECX];
	cpu->eip = cpu->regs[X86_EDX];
	interp_mode_changed(cpu);
}

void interp_register_model(interp_fn *table)
{
	table[X86_OP_CPUID] = op_cpuid;
	table[X86_OP_RDTSC] = op_rdtsc;
	table[X86_OP_RDTSCP] = op_rdtscp;
	table[X86_OP_RDMSR] = op_rdmsr;
	table[X86_OP_WRMSR] = op_wrmsr;
	table[X86_OP_RDPMC] = op_rdpmc;
	table[X86_OP_SYSENTER] = op_sysenter;
	table[X86_OP_SYSEXIT] = op_sysexit;
}
