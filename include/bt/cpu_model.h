/*
 * cpu_model.h - the virtual CPU every engine shows the guest: CPUID
 * leaves, model-specific registers, the time-stamp counter.
 *
 * bt386's vCPU presents itself as an Intel Pentium M "Banias" (family 6,
 * model 9, stepping 5): a real, well-supported P6-family processor whose
 * genuine feature set has no PAE and no long mode, which matches what
 * bt386 implements. CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN, which is
 * set at reset (the local APIC device is devices/lapic.c).
 * docs/virtual-cpu.md documents the model in full.
 *
 * The interpreter executes CPUID/RDMSR/WRMSR/RDTSC through these
 * functions; the translator's callouts, direct execution (CPUID faulting)
 * and the KVM backend use them too, so every engine shows the same CPU.
 */
#ifndef BT386_BT_CPU_MODEL_H
#define BT386_BT_CPU_MODEL_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

#define BT_CPU_VENDOR "GenuineIntel"
#define BT_CPU_BRAND "bt386 virtual CPU"
/* CPUID.1:EAX and EDX after reset: family 6, model 9, stepping 5. */
#define BT_CPU_SIGNATURE 0x00000695u
#define BT_CPU_MAX_LEAF 2u
#define BT_CPU_MAX_EXT_LEAF 0x80000004u

/* CPUID.1:EDX feature bits. */
#define BT_CPUID_FPU (1u << 0)
#define BT_CPUID_VME (1u << 1)
#define BT_CPUID_DE (1u << 2)
#define BT_CPUID_PSE (1u << 3)
#define BT_CPUID_TSC (1u << 4)
#define BT_CPUID_MSR (1u << 5)
#define BT_CPUID_PAE (1u << 6)
#define BT_CPUID_MCE (1u << 7)
#define BT_CPUID_CX8 (1u << 8)
#define BT_CPUID_APIC (1u << 9)
#define BT_CPUID_SEP (1u << 11)
#define BT_CPUID_MTRR (1u << 12)
#define BT_CPUID_PGE (1u << 13)
#define BT_CPUID_MCA (1u << 14)
#define BT_CPUID_CMOV (1u << 15)
#define BT_CPUID_PAT (1u << 16)
#define BT_CPUID_PSE36 (1u << 17)
#define BT_CPUID_CLFLUSH (1u << 19)
#define BT_CPUID_MMX (1u << 23)
#define BT_CPUID_FXSR (1u << 24)
#define BT_CPUID_SSE (1u << 25)
#define BT_CPUID_SSE2 (1u << 26)

/* What the model reports (APIC is added when IA32_APIC_BASE.EN is set). */
#define BT_CPUID1_EDX                                                     \
	(BT_CPUID_FPU | BT_CPUID_VME | BT_CPUID_DE | BT_CPUID_PSE |       \
	 BT_CPUID_TSC | BT_CPUID_MSR | BT_CPUID_MCE | BT_CPUID_CX8 |      \
	 BT_CPUID_SEP | BT_CPUID_MTRR | BT_CPUID_PGE | BT_CPUID_MCA |     \
	 BT_CPUID_CMOV | BT_CPUID_PAT | BT_CPUID_CLFLUSH | BT_CPUID_MMX | \
	 BT_CPUID_FXSR | BT_CPUID_SSE | BT_CPUID_SSE2)

/* IA32_APIC_BASE. */
#define BT_APIC_BASE_BSP (1u << 8)
#define BT_APIC_BASE_EN (1u << 11)
#define BT_APIC_DEFAULT_BASE 0xfee00000u

/* IA32_MISC_ENABLE bits the model knows. */
#define BT_MISC_FAST_STRINGS (1u << 0)
#define BT_MISC_PERF_MON (1u << 7) /* performance monitoring available */
#define BT_MISC_BTS_UNAVAIL (1u << 11)
#define BT_MISC_PEBS_UNAVAIL (1u << 12)
#define BT_MISC_LIMIT_CPUID (1u << 22)

/* CPUID leaf `leaf` (subleaf in ECX) for this vCPU: out = EAX EBX ECX EDX. */
void bt_cpuid(const struct vcpu *cpu, uint32_t leaf, uint32_t subleaf,
	      uint32_t out[4]);

/* The guest's time-stamp counter (host TSC + cpu->tsc_offset). */
uint64_t bt_cpu_tsc(const struct vcpu *cpu);
void bt_cpu_set_tsc(struct vcpu *cpu, uint64_t tsc);

/*
 * RDMSR/WRMSR semantics: false means the MSR does not exist in this model
 * or the value is not allowed, and the guest gets #GP(0).
 */
bool bt_msr_read(struct vcpu *cpu, uint32_t msr, uint64_t *val);
bool bt_msr_write(struct vcpu *cpu, uint32_t msr, uint64_t val);

/* The model's MSR state after power-on (called by vcpu_reset()). */
void bt_msr_reset(struct vcpu *cpu);

#endif
