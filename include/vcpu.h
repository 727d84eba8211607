/*
 * vcpu.h - architectural state of the virtual CPU.
 *
 * One struct vcpu per guest processor. Every engine (interpreter, BT, DE,
 * KVM) reads and writes the guest state here when it is not live in host
 * registers. The layout is fixed: translated code reaches fields through
 * r15 with offsets taken from this struct (offsetof), so new fields go at
 * the end of their group, never in the middle of the hot first part.
 *
 * Invariants:
 *  - eflags holds the full guest EFLAGS (bit 1 set, reserved bits clear).
 *  - seg[] are descriptor caches: base/limit/attr are what the guest loaded
 *    when it wrote the selector, as on hardware (not re-read from the GDT).
 *  - cpl is the DPL of the SS cache in protected mode (equal to CS.RPL after
 *    every control transfer; they differ only right after mov cr0 sets PE,
 *    where hardware is at CPL 0), 0 in real mode, 3 in virtual-8086.
 */
#ifndef BT386_VCPU_H
#define BT386_VCPU_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

#include "x86.h"

struct machine;
struct interp_tlb;

/* A segment register with its hidden descriptor cache. */
struct x86_seg {
	uint32_t base;
	uint32_t limit; /* byte granular: the last valid offset */
	uint16_t sel;
	uint16_t attr; /* access byte | X86_DESC_{AVL,L,DB,G} */
};

/* A descriptor-table register (GDTR, IDTR). */
struct x86_dtr {
	uint32_t base;
	uint16_t limit;
};

/* Why an engine returned to the monitor loop. */
enum vcpu_exit {
	VCPU_EXIT_NONE,
	VCPU_EXIT_BUDGET,   /* ran the requested number of instructions */
	VCPU_EXIT_EVENT,    /* a host event (timer, input, kick) is pending */
	VCPU_EXIT_HLT,	    /* hlt: wait for an interrupt */
	VCPU_EXIT_SHUTDOWN, /* triple fault */
	VCPU_EXIT_RESET,    /* reset requested (i8042, triple fault + reboot) */
	VCPU_EXIT_DEBUGEXIT, /* the guest wrote the debug-exit port */
	VCPU_EXIT_ERROR,     /* the engine cannot go on (message in vcpu) */
	VCPU_EXIT_DEBUG,     /* a debugger breakpoint, watchpoint or step */
};

/*
 * A software TLB that translated code checks inline (bt/translate_utlb.c,
 * bt/utlb.c): per entry, -(linear page << 12) in read/write when that
 * access is allowed and goes straight to RAM, BT_UTLB_INVALID otherwise;
 * addend = physmap address of the page minus its linear address; the
 * frame and flags (BT_UTLB_GLOBAL, BT_UTLB_LARGE) for flushes. The user
 * TLB uses the first 256 entries (index: linear bits 12-19), the kernel
 * TLB all 65536 (bits 12-27). Flushes and watches walk logs of the
 * entries filled since the last flush, not the table.
 */
#define BT_UTLB_INVALID (1ull << 40) /* never matches (translate_utlb.c) */
#define BT_TLB_USER 0
#define BT_TLB_KERNEL 1
#define BT_TLB_MAX 65536u
#define BT_TLB_LOG 4096u
struct bt_soft_tlb {
	uint64_t read[BT_TLB_MAX];
	uint64_t write[BT_TLB_MAX];
	uint64_t addend[BT_TLB_MAX];
	uint32_t frame[BT_TLB_MAX];
	uint8_t flags[BT_TLB_MAX];
	uint32_t entries; /* 256 or BT_TLB_MAX */
	uint32_t n_large; /* entries from 4 MiB pages */
	/* The 4 MiB regions such entries came from since n_large was 0
	 * (an INVLPG elsewhere needs no scan for them). */
	uint32_t large_map[32];
	/* Entries filled non-global, and entries given a write tag, since
	 * the last flush; more than BT_TLB_LOG: walk the table. */
	uint32_t n_local, n_writable;
	uint16_t local[BT_TLB_LOG];
	uint16_t writable[BT_TLB_LOG];
};

struct vcpu {
	/* Hot part: general registers and flags, in encoding order. */
	uint32_t regs[8];
	uint32_t eip;
	uint32_t eflags;

	struct x86_seg seg[X86_NR_SREGS];
	struct x86_seg ldtr;
	struct x86_seg tr;
	struct x86_dtr gdtr;
	struct x86_dtr idtr;

	uint32_t cr0, cr2, cr3, cr4;
	uint32_t dr[8];
	int cpl;

	/* Model-specific registers that hold state. */
	uint32_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t apic_base;
	uint64_t pat;
	uint64_t misc_enable;
	uint64_t tsc_offset; /* guest TSC = host TSC + tsc_offset */
	uint64_t mtrr_def_type;
	uint32_t perfevtsel[2]; /* P6 PerfEvtSel0/1 (0x186/0x187) */
	uint64_t perfctr[2];	/* P6 PerfCtr0/1 (0xc1/0xc2), 40 bits */

	/* Execution control. */
	bool halted;	  /* in hlt, waiting for an interrupt */
	bool intr_shadow; /* after sti / mov ss: no interrupt before next */
	/* After mov ss / pop ss (not sti), debug exceptions are blocked
	 * too: an instruction breakpoint on the next instruction is lost
	 * (Intel), the load's own single-step and data-breakpoint traps wait
	 * in pending_dr6 for the end of the next instruction (SDM 6.8.3). */
	bool ss_shadow;
	uint32_t pending_dr6;
	bool nmi_pending; /* an NMI edge latched, not yet taken (one deep) */
	bool nmi_blocked; /* in an NMI handler: from its delivery to IRET */
	bool interp_stop_at_cpl0; /* interpreter: return when CPL becomes 0 */
	volatile int kick;	  /* set by other threads: return to the loop */
	int debug_exit_value;	  /* for VCPU_EXIT_DEBUGEXIT */
	char error[160];	  /* for VCPU_EXIT_ERROR */

	/* Set on the vCPU thread by devices (debug exit, reset): why to stop
	 * at the next instruction boundary. `kick` is also set. */
	enum vcpu_exit stop_reason;

	/* Interpreter: where a raised exception unwinds to, and what it is. */
	jmp_buf *fault_jmp;
	uint32_t insn_eip; /* EIP of the instruction being executed */
	uint32_t insn_esp; /* ESP before it (restored when it faults) */
	int exc_vector;	   /* the exception being raised */
	uint32_t exc_err;
	bool exc_has_err;
	int delivering; /* vector being delivered, or -1 (for #DF rules) */
	struct interp_tlb *tlb;

	struct machine *machine;

	/*
	 * Binary translation: what translated code and its trampolines reach
	 * through r15 (offsets from offsetof; see src/bt/trampoline.c).
	 */
	struct {
		uint64_t host_rsp;  /* monitor stack at bt_enter */
		uint64_t ibl_table; /* indirect-branch table in use */
		uint64_t exit_site; /* patchable jump that exited */
		uint64_t callout;   /* descriptor of the current callout */
		uint64_t
			enter_target; /* where enter jumps (a kick redirects) */
		uint32_t exit_reason; /* enum bt_exit */
		uint32_t in_cache;    /* executing translated code */
		int32_t fault_vector; /* BT_EXIT_FAULT: exception, or -1 */
		uint32_t fault_error;
		uint32_t pending_exit; /* enum vcpu_exit a callout ended with */
		uint32_t fpu_loaded;   /* guest FPU state is in the host FPU */
		uint64_t blocks;       /* blocks executed (with --stats) */
		uint64_t insns; /* guest instructions executed (--stats) */
		uint64_t ibl_lookups; /* indirect branches executed (--stats) */
		uint64_t rs_top;      /* empty return stack (return_stack.c) */
		uint64_t rs_saved;    /* its rsp while a trampoline runs C */
		uint64_t rs_returns;  /* returns executed (--stats) */
		uint64_t rs_misses;   /* of them, not predicted (--stats) */
		uint64_t gs_base;     /* host GS base: the shadow view in use */
		/* A constant MMIO register (the local APIC's ID) read by
		 * translated kernel code: -(its linear address + 1), 0 for
		 * none; and its value (translate.c, cached MMIO loads). */
		uint64_t mmio_key;
		uint32_t mmio_value;
		/* Segment loads of kernel code (bt/sreg_cache.h). */
		uint64_t sreg_table;
		uint8_t cli_table[256]; /* byte 1 of EFLAGS -> with IF clear */
		uint8_t sti_table[256]; /* byte 1 of EFLAGS -> with IF set */
		/*
		 * The software TLBs of translated code that runs without host
		 * mappings (bt/utlb.c): tlb[BT_TLB_USER] caches CPL 3 walks
		 * for user code of a space on the user TLB, tlb[BT_TLB_KERNEL]
		 * supervisor walks for kernel code under --kernel-tlb.
		 */
		struct bt_soft_tlb tlb[2];
		uint32_t tlb_lin; /* the access that missed */
	} bt;

	/* x87 errors with CR0.NE clear (src/bt/interp_fpu.c): FERR# drives
	 * IRQ 13 from the first waiting instruction that finds an error
	 * pending until FSW.ES is clear again; IGNNE# (a write to port
	 * 0xf0 while FERR# is asserted) lets waiting instructions run. */
	bool fpu_ferr;
	bool fpu_ignne;
};

/* Segment-cache helpers. */
static inline bool x86_seg_present(const struct x86_seg *s)
{
	return s->attr & X86_DESC_P;
}

static inline bool vcpu_protected(const struct vcpu *cpu)
{
	return cpu->cr0 & X86_CR0_PE;
}

static inline bool vcpu_v86(const struct vcpu *cpu)
{
	return cpu->eflags & X86_FL_VM;
}

static inline bool vcpu_paging(const struct vcpu *cpu)
{
	return cpu->cr0 & X86_CR0_PG;
}

/* Code segment default size is 32 bits (not in real mode or v8086). */
static inline bool vcpu_code32(const struct vcpu *cpu)
{
	return vcpu_protected(cpu) && !vcpu_v86(cpu) &&
	       (cpu->seg[X86_CS].attr & X86_DESC_DB);
}

static inline bool vcpu_stack32(const struct vcpu *cpu)
{
	return vcpu_protected(cpu) && !vcpu_v86(cpu) &&
	       (cpu->seg[X86_SS].attr & X86_DESC_DB);
}

/*
 * An NMI the CPU takes at the next instruction boundary outside an
 * interrupt shadow, whatever EFLAGS.IF says: one is latched and no NMI
 * handler is running (blocking lasts from the delivery of an NMI to the
 * next IRET, whatever that IRET returns from).
 */
static inline bool vcpu_nmi_ready(const struct vcpu *cpu)
{
	return cpu->nmi_pending && !cpu->nmi_blocked;
}

/* Put the vCPU in its power-on state (real mode at F000:FFF0). */
void vcpu_reset(struct vcpu *cpu);

#endif
