/*
 * interp_cr.c - control and debug registers: MOV to/from CR0 CR2 CR3 CR4,
 * MOV to/from DR0-DR7, LMSW, SMSW, CLTS, INVLPG.
 *
 * interp_write_cr() is the one place where a control register changes
 * with its side effects: reserved-bit and combination checks (#GP(0)),
 * interpreter TLB flushes, the CPL/mode recomputation, and the
 * mode-switch counter. Other engines that emulate mov cr call it too.
 *
 * Debug registers are stored with their fixed bits; the breakpoints they
 * enable are checked by the interpreter (src/bt/interp_debug.c), which
 * runs the guest while DR7 enables any. DR7.GD (general detect): a MOV DR
 * while it is set raises #DB with DR6.BD.
 */
#include "bt/interp_prot.h"
#include "mmu/events.h"

#define CR0_WRITABLE                                                      \
	(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | X86_CR0_NE | \
	 X86_CR0_WP | X86_CR0_AM | X86_CR0_NW | X86_CR0_CD | X86_CR0_PG)
/* The CR4 bits of the virtual CPU (see docs/virtual-cpu.md): no PAE. */
#define CR4_VALID                                                             \
	(X86_CR4_VME | X86_CR4_PVI | X86_CR4_TSD | X86_CR4_DE | X86_CR4_PSE | \
	 X86_CR4_MCE | X86_CR4_PGE | X86_CR4_PCE | X86_CR4_OSFXSR |           \
	 X86_CR4_OSXMMEXCPT)

#define DR6_FIXED1 0xffff0ff0u
#define DR6_WRITABLE 0x0000e00fu
#define DR7_FIXED1 0x00000400u
#define DR7_ZERO 0x0000d800u /* bits 11, 12, 14, 15 */
#define DR7_GD (1u << 13)
#define DR6_BD (1u << 13)

void interp_write_cr(struct vcpu *cpu, unsigned cr, uint32_t val)
{
	uint32_t old;

	switch (cr) {
	case 0:
		old = cpu->cr0;
		/* ET is hardwired to 1; reserved bits are ignored. */
		val = (val & CR0_WRITABLE) | X86_CR0_ET;
		if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
			interp_gp0(cpu);
		if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
			interp_gp0(cpu);
		cpu->cr0 = val;
		if ((old ^ val) & (X86_CR0_PG | X86_CR0_WP | X86_CR0_PE)) {
			interp_tlb_flush(cpu, true);
			mmu_paging_changed(cpu);
		}
		if ((old ^ val) & (X86_CR0_PG | X86_CR0_PE))
			STAT_INC(mode_switches);
		interp_mode_changed(cpu);
		break;
	case 2:
		cpu->cr2 = val;
		break;
	case 3:
		old = cpu->cr3;
		cpu->cr3 = val & (X86_CR3_ADDR | X86_CR3_PWT | X86_CR3_PCD);
		if (cpu->cr3 >> 12 == old >> 12)
			bt_utlb_note_reload(cpu);
		interp_tlb_flush(cpu, false);
		mmu_cr3_written(cpu, old);
		break;
	case 4:
		if (val & ~CR4_VALID)
			interp_gp0(cpu);
		old = cpu->cr4;
		cpu->cr4 = val;
		if ((old ^ val) & (X86_CR4_PSE | X86_CR4_PGE | X86_CR4_PAE)) {
			interp_tlb_flush(cpu, true);
			mmu_paging_changed(cpu);
		}
		break;
	default:
		interp_ud(cpu);
	}
}

/* MOV CR/DR, LMSW, CLTS, INVLPG: CPL 0 (real mode is CPL 0). */
static void need_cpl0(struct vcpu *cpu)
{
	if (vcpu_protected(cpu) && cpu->cpl != 0)
		interp_gp0(cpu);
}

static bool cr_exists(unsigned cr)
{
	return cr == 0 || cr == 2 || cr == 3 || cr == 4;
}

static void op_mov_from_cr(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t v;

	if (!cr_exists(in->reg))
		interp_ud(cpu);
	need_cpl0(cpu);
	switch (in->reg) {
	case 0:
		v = cpu->cr0;
		break;
	case 2:
		v = cpu->cr2;
		break;
	case 3:
		v = cpu->cr3;
		break;
	default:
		v = cpu->cr4;
		break;
	}
	cpu->regs[in->rm] = v;
}

static void op_mov_to_cr(struct vcpu *cpu, const struct x86_insn *in)
{
	if (!cr_exists(in->reg))
		interp_ud(cpu);
	need_cpl0(cpu);
	interp_write_cr(cpu, in->reg, cpu->regs[in->rm]);
}

/* DR4/DR5 alias DR6/DR7 unless CR4.DE makes them #UD. */
static unsigned dr_index(struct vcpu *cpu, unsigned dr)
{
	if (dr == 4 || dr == 5) {
		if (cpu->cr4 & X86_CR4_DE)
			interp_ud(cpu);
		return dr + 2;
	}
	return dr;
}

static void dr_access_checks(struct vcpu *cpu)
{
	need_cpl0(cpu);
	if (cpu->dr[7] & DR7_GD) {
		cpu->dr[6] |= DR6_BD;
		cpu->dr[7] &= ~DR7_GD;
		interp_raise(cpu, X86_EXC_DB);
	}
}

static void op_mov_from_dr(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned dr = dr_index(cpu, in->reg);

	dr_access_checks(cpu);
	cpu->regs[in->rm] = cpu->dr[dr];
}

static void op_mov_to_dr(struct vcpu *cpu, const struct x86_insn *in)
{
	unsigned dr = dr_index(cpu, in->reg);
	uint32_t v;

	dr_access_checks(cpu);
	v = cpu->regs[in->rm];
	if (dr == 6)
		v = (v & DR6_WRITABLE) | DR6_FIXED1;
	else if (dr == 7)
		v = (v & ~DR7_ZERO) | DR7_FIXED1;
	/* Enabling the first breakpoint or disabling the last one changes
	 * the engine (include/bt/debug.h): back to the monitor loop. */
	if (dr == 7 && ((v ^ cpu->dr[7]) & 0xff))
		__atomic_store_n(&cpu->kick, 1, __ATOMIC_RELEASE);
	cpu->dr[dr] = v;
}

/* LMSW writes PE MP EM TS, and can set PE but never clear it. */
static void op_lmsw(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t src, val;

	need_cpl0(cpu);
	src = prot_rm16(cpu, in);
	val = (cpu->cr0 & ~0xeu) | (src & 0xf);
	interp_write_cr(cpu, 0, val);
}

/* To a register, as much of CR0 as the operand size holds; to memory,
 * 16 bits. Not privileged (there is no UMIP in this CPU model). */
static void op_smsw(struct vcpu *cpu, const struct x86_insn *in)
{
	prot_put_rm_sel(cpu, in, cpu->cr0);
}

static void op_clts(struct vcpu *cpu, const struct x86_insn *in)
{
	(void)in;
	need_cpl0(cpu);
	cpu->cr0 &= ~X86_CR0_TS;
}

/*
 * No segment or paging checks: invlpg never faults on its address. With
 * PSE the address may have been mapped by a 4 MiB page, whose translation
 * the interpreter's TLB holds as 4 KiB entries: drop the whole region.
 */
static void op_invlpg(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t lin;

	if (in->mod == 3)
		interp_ud(cpu);
	need_cpl0(cpu);
	lin = cpu->seg[in->seg].base + interp_ea(cpu, in);
	mmu_invlpg(cpu, lin);
	interp_tlb_flush_page(cpu, lin);
}

void interp_register_cr(interp_fn *table)
{
	table[X86_OP_MOV_FROM_CR] = op_mov_from_cr;
	table[X86_OP_MOV_TO_CR] = op_mov_to_cr;
	table[X86_OP_MOV_FROM_DR] = op_mov_from_dr;
	table[X86_OP_MOV_TO_DR] = op_mov_to_dr;
	table[X86_OP_LMSW] = op_lmsw;
	table[X86_OP_SMSW] = op_smsw;
	table[X86_OP_CLTS] = op_clts;
	table[X86_OP_INVLPG] = op_invlpg;
}
