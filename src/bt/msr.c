/*
 * msr.c - model-specific registers and the TSC of the virtual CPU
 * (include/bt/cpu_model.h).
 *
 * Every MSR the model has is listed in bt_msr_read()/bt_msr_write();
 * anything else is #GP(0), as on hardware (Linux probes with the _safe
 * accessors). The MSRs consistent with the CPUID leaves:
 *   TSC (0x10)              guest TSC; a write sets its low 32 bits and
 *                           clears the high ones (SDM: every processor
 *                           before family 0FH model 03H, the Pentium M
 *                           included), through cpu->tsc_offset
 *   PLATFORM_ID (0x17)      reads 0, read-only
 *   APIC_BASE (0x1b)        0xfee00900 at reset (BSP, enabled); base and
 *                           EN; clearing EN disables the local APIC device
 *                           (devices/lapic.c) and resets its state, setting
 *                           it again enables it (an FSB xAPIC such as the
 *                           Pentium M's; only the 3-wire-bus APICs of
 *                           earlier P6 parts stay off until reset); BSP
 *                           read-only
 *   FEATURE_CONTROL (0x3a)  reads 1: locked with VMX off; writes #GP
 *   BIOS_SIGN_ID (0x8b)     microcode revision 0; writes ignored
 *   MTRRCAP (0xfe)          0: no variable or fixed ranges, no WC
 *   SYSENTER_CS/ESP/EIP     stored (32 bits: the model has no long mode)
 *   MCG_CAP (0x179)         0 banks, no MCG_CTL; read-only
 *   MCG_STATUS (0x17a)      reads 0; only 0 may be written
 *   MISC_ENABLE (0x1a0)     fast strings, performance monitoring
 *                           available, BTS/PEBS unavailable; bits 0 and
 *                           22 writable, the rest fixed
 *   PERFCTR0/1 (0xc1/0xc2)  the P6 counters: 40 bits, stored, they do not
 *                           count (no events are emulated), so they
 *                           never overflow; writes sign-extend bit 31;
 *                           RDPMC reads them too (interp_model.c)
 *   PERFEVTSEL0/1 (0x186/7) stored; reserved bit 21 #GP (the counters
 *                           exist on every P6, Linux probes them)
 *   DEBUGCTL (0x1d9)        reads 0, writes ignored (no LBR/BTF emulation)
 *   PAT (0x277)             stored, every entry must be a valid type
 *   MTRR_DEF_TYPE (0x2ff)   stored, reserved bits and bad types #GP
 * EFER does not exist (no NX, no long mode in CPUID): #GP.
 */
#include "bt/cpu_model.h"
#include "devices/devices.h"
#include "monitor/machine.h"
#include "vcpu.h"

#define MSR_DEBUGCTL 0x1d9u
#define MSR_P6_PERFCTR0 0xc1u
#define MSR_P6_PERFCTR1 0xc2u
#define MSR_P6_EVNTSEL0 0x186u
#define MSR_P6_EVNTSEL1 0x187u
#define PERFCTR_MASK ((1ull << 40) - 1)

#define PAT_RESET 0x0007040600070406ull
#define MISC_FIXED \
	(BT_MISC_PERF_MON | BT_MISC_BTS_UNAVAIL | BT_MISC_PEBS_UNAVAIL)
#define MISC_WRITABLE (BT_MISC_FAST_STRINGS | BT_MISC_LIMIT_CPUID)

uint64_t bt_cpu_tsc(const struct vcpu *cpu)
{
	return __builtin_ia32_rdtsc() + cpu->tsc_offset;
}

void bt_cpu_set_tsc(struct vcpu *cpu, uint64_t tsc)
{
	cpu->tsc_offset = tsc - __builtin_ia32_rdtsc();
}

/* Memory types valid in PAT entries and MTRRs: UC WC WT WP WB (UC-). */
static bool mem_type_ok(unsigned t, bool pat)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6 ||
	       (pat && t == 7);
}

void bt_msr_reset(struct vcpu *cpu)
{
	cpu->sysenter_cs = 0;
	cpu->sysenter_esp = 0;
	cpu->sysenter_eip = 0;
	/* BSP, local APIC enabled at its default base. */
	cpu->apic_base =
		BT_APIC_DEFAULT_BASE | BT_APIC_BASE_BSP | BT_APIC_BASE_EN;
	cpu->pat = PAT_RESET;
	cpu->misc_enable = BT_MISC_FAST_STRINGS | MISC_FIXED;
	cpu->mtrr_def_type = 0;
	cpu->perfevtsel[0] = cpu->perfevtsel[1] = 0;
	cpu->perfctr[0] = cpu->perfctr[1] = 0;
	bt_cpu_set_tsc(cpu, 0);
}

bool bt_msr_read(struct vcpu *cpu, uint32_t msr, uint64_t *val)
{
	switch (msr) {
	case X86_MSR_TSC:
		*val = bt_cpu_tsc(cpu);
		return true;
	case X86_MSR_PLATFORM_ID:
	case X86_MSR_BIOS_SIGN_ID:
	case X86_MSR_MTRRCAP:
	case X86_MSR_MCG_CAP:
	case X86_MSR_MCG_STATUS:
	case MSR_DEBUGCTL:
		*val = 0;
		return true;
	case X86_MSR_APIC_BASE:
		*val = cpu->apic_base;
		return true;
	case X86_MSR_FEATURE_CONTROL:
		*val = 1; /* locked, VMX disabled */
		return true;
	case X86_MSR_SYSENTER_CS:
		*val = cpu->sysenter_cs;
		return true;
	case X86_MSR_SYSENTER_ESP:
		*val = cpu->sysenter_esp;
		return true;
	case X86_MSR_SYSENTER_EIP:
		*val = cpu->sysenter_eip;
		return true;
	case X86_MSR_MISC_ENABLE:
		*val = cpu->misc_enable;
		return true;
	case X86_MSR_PAT:
		*val = cpu->pat;
		return true;
	case X86_MSR_MTRR_DEF_TYPE:
		*val = cpu->mtrr_def_type;
		return true;
	case MSR_P6_PERFCTR0:
	case MSR_P6_PERFCTR1:
		*val = cpu->perfctr[msr - MSR_P6_PERFCTR0];
		return true;
	case MSR_P6_EVNTSEL0:
	case MSR_P6_EVNTSEL1:
		*val = cpu->perfevtsel[msr - MSR_P6_EVNTSEL0];
		return true;
	default:
		return false;
	}
}

bool bt_msr_write(struct vcpu *cpu, uint32_t msr, uint64_t val)
{
	switch (msr) {
	case X86_MSR_TSC:
		bt_cpu_set_tsc(cpu, (uint32_t)val);
		return true;
	case X86_MSR_BIOS_SIGN_ID:
	case MSR_DEBUGCTL:
		return true;
	case X86_MSR_MCG_STATUS:
		return val == 0;
	case X86_MSR_APIC_BASE:
		/* Reserved: bits 0-7, 9, 10, and above the 32-bit
		 * physical address width. */
		if (val & ~(uint64_t)(0xfffff000u | BT_APIC_BASE_BSP |
				      BT_APIC_BASE_EN))
			return false;
		if ((val ^ cpu->apic_base) & BT_APIC_BASE_BSP)
			return false;
		cpu->apic_base = val;
		if (cpu->machine && cpu->machine->lapic)
			dev_lapic_base_changed(cpu->machine->lapic);
		return true;
	case X86_MSR_SYSENTER_CS:
		cpu->sysenter_cs = (uint32_t)val & 0xffff;
		return true;
	case X86_MSR_SYSENTER_ESP:
		cpu->sysenter_esp = (uint32_t)val;
		return true;
	case X86_MSR_SYSENTER_EIP:
		cpu->sysenter_eip = (uint32_t)val;
		return true;
	case X86_MSR_MISC_ENABLE:
		cpu->misc_enable = (val & MISC_WRITABLE) | MISC_FIXED;
		return true;
	case X86_MSR_PAT:
		for (unsigned i = 0; i < 8; i++) {
			unsigned t = (unsigned)(val >> (8 * i)) & 0xff;

			if (!mem_type_ok(t, true))
				return false;
		}
		cpu->pat = val;
		return true;
	case X86_MSR_MTRR_DEF_TYPE:
		if ((val & ~0xcffull) || !mem_type_ok(val & 0xff, false))
			return false;
		cpu->mtrr_def_type = val;
		return true;
	case MSR_P6_PERFCTR0:
	case MSR_P6_PERFCTR1:
		/* WRMSR writes bits 0-31, sign-extended into 32-39. */
		cpu->perfctr[msr - MSR_P6_PERFCTR0] =
			(uint64_t)(int64_t)(int32_t)(uint32_t)val &
			PERFCTR_MASK;
		return true;
	case MSR_P6_EVNTSEL0:
	case MSR_P6_EVNTSEL1:
		if (val & (0xffffffff00000000ull | (1u << 21)))
			return false;
		cpu->perfevtsel[msr - MSR_P6_EVNTSEL0] = (uint32_t)val;
		return true;
	default:
		/* Read-only MSRs and MSRs the model does not have. */
		return false;
	}
}
