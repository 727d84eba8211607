/*
 * x86.h - architectural constants of the 32-bit x86 guest.
 *
 * Names follow the Intel SDM. Only facts of the architecture live here;
 * anything that is a choice of bt386 (virtual CPU model, memory layout)
 * lives with the subsystem that makes the choice.
 */
#ifndef BT386_X86_H
#define BT386_X86_H

#include <stdint.h>

/* General registers, in ModRM encoding order. */
enum x86_reg {
	X86_EAX,
	X86_ECX,
	X86_EDX,
	X86_EBX,
	X86_ESP,
	X86_EBP,
	X86_ESI,
	X86_EDI,
};

/* Segment registers, in ModRM (Sreg) encoding order. */
enum x86_sreg {
	X86_ES,
	X86_CS,
	X86_SS,
	X86_DS,
	X86_FS,
	X86_GS,
	X86_NR_SREGS,
};

/* EFLAGS. */
#define X86_FL_CF (1u << 0)
#define X86_FL_FIXED1 (1u << 1) /* always reads as 1 */
#define X86_FL_PF (1u << 2)
#define X86_FL_AF (1u << 4)
#define X86_FL_ZF (1u << 6)
#define X86_FL_SF (1u << 7)
#define X86_FL_TF (1u << 8)
#define X86_FL_IF (1u << 9)
#define X86_FL_DF (1u << 10)
#define X86_FL_OF (1u << 11)
#define X86_FL_IOPL (3u << 12)
#define X86_FL_IOPL_SHIFT 12
#define X86_FL_NT (1u << 14)
#define X86_FL_RF (1u << 16)
#define X86_FL_VM (1u << 17)
#define X86_FL_AC (1u << 18)
#define X86_FL_VIF (1u << 19)
#define X86_FL_VIP (1u << 20)
#define X86_FL_ID (1u << 21)
/* The six arithmetic flags: what ALU instructions compute. */
#define X86_FL_ARITH \
	(X86_FL_CF | X86_FL_PF | X86_FL_AF | X86_FL_ZF | X86_FL_SF | X86_FL_OF)
/* Bits software can ever set (everything else reads as its fixed value). */
#define X86_FL_MASK                                                       \
	(X86_FL_ARITH | X86_FL_TF | X86_FL_IF | X86_FL_DF | X86_FL_IOPL | \
	 X86_FL_NT | X86_FL_RF | X86_FL_VM | X86_FL_AC | X86_FL_VIF |     \
	 X86_FL_VIP | X86_FL_ID)

/* Control registers. */
#define X86_CR0_PE (1u << 0)
#define X86_CR0_MP (1u << 1)
#define X86_CR0_EM (1u << 2)
#define X86_CR0_TS (1u << 3)
#define X86_CR0_ET (1u << 4)
#define X86_CR0_NE (1u << 5)
#define X86_CR0_WP (1u << 16)
#define X86_CR0_AM (1u << 18)
#define X86_CR0_NW (1u << 29)
#define X86_CR0_CD (1u << 30)
#define X86_CR0_PG (1u << 31)

#define X86_CR3_PWT (1u << 3)
#define X86_CR3_PCD (1u << 4)
#define X86_CR3_ADDR 0xfffff000u

#define X86_CR4_VME (1u << 0)
#define X86_CR4_PVI (1u << 1)
#define X86_CR4_TSD (1u << 2)
#define X86_CR4_DE (1u << 3)
#define X86_CR4_PSE (1u << 4)
#define X86_CR4_PAE (1u << 5)
#define X86_CR4_MCE (1u << 6)
#define X86_CR4_PGE (1u << 7)
#define X86_CR4_PCE (1u << 8)
#define X86_CR4_OSFXSR (1u << 9)
#define X86_CR4_OSXMMEXCPT (1u << 10)
#define X86_CR4_UMIP (1u << 11)

/* Page table entries (two-level, 32-bit). */
#define X86_PTE_P (1u << 0)
#define X86_PTE_W (1u << 1)
#define X86_PTE_U (1u << 2)
#define X86_PTE_PWT (1u << 3)
#define X86_PTE_PCD (1u << 4)
#define X86_PTE_A (1u << 5)
#define X86_PTE_D (1u << 6)
#define X86_PTE_PS (1u << 7) /* in a PDE: 4 MiB page */
#define X86_PTE_G (1u << 8)
#define X86_PTE_ADDR 0xfffff000u
#define X86_PDE_4M_ADDR 0xffc00000u

/* #PF error code. */
#define X86_PF_P (1u << 0)    /* protection violation (else not present) */
#define X86_PF_W (1u << 1)    /* write access */
#define X86_PF_U (1u << 2)    /* access from CPL 3 */
#define X86_PF_RSVD (1u << 3) /* reserved bit set */
#define X86_PF_I (1u << 4)    /* instruction fetch (only with NX) */

/* Exception vectors. */
enum x86_vector {
	X86_EXC_DE = 0,
	X86_EXC_DB = 1,
	X86_EXC_NMI = 2,
	X86_EXC_BP = 3,
	X86_EXC_OF = 4,
	X86_EXC_BR = 5,
	X86_EXC_UD = 6,
	X86_EXC_NM = 7,
	X86_EXC_DF = 8,
	X86_EXC_TS = 10,
	X86_EXC_NP = 11,
	X86_EXC_SS = 12,
	X86_EXC_GP = 13,
	X86_EXC_PF = 14,
	X86_EXC_MF = 16,
	X86_EXC_AC = 17,
	X86_EXC_MC = 18,
	X86_EXC_XM = 19,
};

/* Segment descriptor, access byte (bits 40..47 of the descriptor). */
#define X86_DESC_A 0x01	   /* accessed */
#define X86_DESC_RW 0x02   /* data: writable; code: readable */
#define X86_DESC_DC 0x04   /* data: expand-down; code: conforming */
#define X86_DESC_CODE 0x08 /* executable */
#define X86_DESC_S 0x10	   /* code/data (else system) */
#define X86_DESC_DPL_SHIFT 5
#define X86_DESC_P 0x80
/* Flags nibble (bits 52..55), stored shifted into bits 8..11 of attr. */
#define X86_DESC_AVL 0x100
#define X86_DESC_L 0x200
#define X86_DESC_DB 0x400 /* default operation size 32 / big stack */
#define X86_DESC_G 0x800  /* limit in 4 KiB units */

/* System descriptor types (S = 0). */
enum x86_sys_type {
	X86_SYS_TSS16_AVAIL = 1,
	X86_SYS_LDT = 2,
	X86_SYS_TSS16_BUSY = 3,
	X86_SYS_CALLGATE16 = 4,
	X86_SYS_TASKGATE = 5,
	X86_SYS_INTGATE16 = 6,
	X86_SYS_TRAPGATE16 = 7,
	X86_SYS_TSS32_AVAIL = 9,
	X86_SYS_TSS32_BUSY = 11,
	X86_SYS_CALLGATE32 = 12,
	X86_SYS_INTGATE32 = 14,
	X86_SYS_TRAPGATE32 = 15,
};

/* Model-specific registers a 32-bit kernel touches. */
#define X86_MSR_TSC 0x10
#define X86_MSR_PLATFORM_ID 0x17
#define X86_MSR_APIC_BASE 0x1b
#define X86_MSR_FEATURE_CONTROL 0x3a
#define X86_MSR_BIOS_SIGN_ID 0x8b
#define X86_MSR_MTRRCAP 0xfe
#define X86_MSR_SYSENTER_CS 0x174
#define X86_MSR_SYSENTER_ESP 0x175
#define X86_MSR_SYSENTER_EIP 0x176
#define X86_MSR_MCG_CAP 0x179
#define X86_MSR_MCG_STATUS 0x17a
#define X86_MSR_MISC_ENABLE 0x1a0
#define X86_MSR_PAT 0x277
#define X86_MSR_MTRR_DEF_TYPE 0x2ff
#define X86_MSR_EFER 0xc0000080u

#endif
