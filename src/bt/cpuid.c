/*
 * cpuid.c - CPUID of the virtual CPU (include/bt/cpu_model.h).
 *
 * Leaves: 0 (vendor, max leaf 2), 1 (signature and features), 2 (cache
 * and TLB descriptors of a Pentium M with 1 MiB L2), 0x80000000 (max
 * extended leaf), 0x80000001 (no extended features: no NX, no long mode,
 * no SYSCALL), 0x80000002-4 (brand string). Like Intel processors, a leaf
 * above the maximum (basic or extended) returns the data of the highest
 * basic leaf. Pure function of the vCPU state: callable from any engine.
 */
#include <string.h>

#include "bt/cpu_model.h"
#include "vcpu.h"

static void vendor_regs(uint32_t out[4])
{
	const char *v = BT_CPU_VENDOR; /* in EBX, EDX, ECX order */

	memcpy(&out[1], v, 4);
	memcpy(&out[3], v + 4, 4);
	memcpy(&out[2], v + 8, 4);
}

static void brand_regs(uint32_t leaf, uint32_t out[4])
{
	char brand[48] = BT_CPU_BRAND; /* NUL padded */

	memcpy(out, brand + (leaf - 0x80000002u) * 16, 16);
}

void bt_cpuid(const struct vcpu *cpu, uint32_t leaf, uint32_t subleaf,
	      uint32_t out[4])
{
	(void)subleaf;
	out[0] = out[1] = out[2] = out[3] = 0;
	if (leaf >= 0x80000000u) {
		if (leaf > BT_CPU_MAX_EXT_LEAF)
			leaf = BT_CPU_MAX_LEAF;
	} else if (leaf > BT_CPU_MAX_LEAF) {
		leaf = BT_CPU_MAX_LEAF;
	}

	switch (leaf) {
	case 0:
		out[0] = BT_CPU_MAX_LEAF;
		vendor_regs(out);
		break;
	case 1:
		out[0] = BT_CPU_SIGNATURE;
		/* CLFLUSH line size 8 x 8 = 64 bytes; APIC ID 0. */
		out[1] = 8u << 8;
		out[2] = 0;
		out[3] = BT_CPUID1_EDX;
		if (cpu->apic_base & BT_APIC_BASE_EN)
			out[3] |= BT_CPUID_APIC;
		break;
	case 2:
		/* One call; ITLB 4K (0xb0), DTLB 4K (0xb3), ITLB 4M (0x02);
		 * L2 1 MiB 8-way (0x87), L1I 32K (0x30), DTLB 4M (0x04),
		 * L1D 32K (0x2c). */
		out[0] = 0x02b3b001u;
		out[3] = 0x2c043087u;
		break;
	case 0x80000000u:
		out[0] = BT_CPU_MAX_EXT_LEAF;
		break;
	case 0x80000001u:
		break;
	case 0x80000002u:
	case 0x80000003u:
	case 0x80000004u:
		brand_regs(leaf, out);
		break;
	}
}
