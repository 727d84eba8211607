/*
 * de_priv.h - what the direct-execution files share (C and assembly).
 *
 *   de.c        de_init, arming the vCPU thread,
 *               de_run and what happens after an exit
 *   de_seg.c    the LDT shadow of the guest's segments, guest segment
 *               reloads found at exits
 *   de_signal.c the signal handlers' C half (signal context): hidden page
 *               faults, classification of host signals into exits,
 *               capture of the guest state, redirection to the monitor
 *   de_entry.S  de_enter (64-bit monitor -> 32-bit guest, iretq), the
 *               landing (guest -> monitor), the first-level signal stub
 *               that restores the host FS/GS bases, the FPU helpers
 *
 * The assembly reaches struct de_state and struct de_entry through the
 * offsets below; de.c checks them with static assertions.
 */
#ifndef BT386_MONITOR_DE_PRIV_H
#define BT386_MONITOR_DE_PRIV_H

/* struct de_state (global de_st) offsets. */
#define DS_HOST_RSP 0
#define DS_HOST_FSBASE 8
#define DS_HOST_GSBASE 16
#define DS_GUEST_FPU 24
#define DS_XMASK 32
#define DS_MXCSR 40
#define DS_FCW 44
#define DS_ALT_LO 48
#define DS_ALT_SIZE 56
#define DS_IN_GUEST 64

/* struct de_entry offsets. */
#define DE_REGS 0
#define DE_EIP 32
#define DE_EFLAGS 36
#define DE_CS 40
#define DE_SS 48
#define DE_DS 56
#define DE_ES 64
#define DE_FS 72
#define DE_GS 80
#define DE_KICKP 88
#define DE_FSBASE 96
#define DE_GSBASE 104
#define DE_RELOAD 112

/* What de_enter returns (the landing's RAX). */
#define DE_RC_EXIT 1  /* guest state captured, exit in de_st.exit */
#define DE_RC_ABORT 2 /* kicked before the guest ran: nothing changed */
#define DE_RC_ERROR 3 /* entry failed (message in de_st.error) */

#ifndef __ASSEMBLER__

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "monitor/de.h"

/* EFLAGS bits guest user code changes natively (arithmetic, popf); AC
 * too when the guest's CR0.AM is set. The others are the vCPU's. */
#define DE_USER_FLAGS \
	(X86_FL_ARITH | X86_FL_TF | X86_FL_DF | X86_FL_NT | X86_FL_ID)

/* The guest segment registers DE shadows, in LDT slot order. */
#define DE_NSEGS 6
/* First LDT entry DE uses (tests/unit/native32.c uses 16). */
#define DE_LDT_FIRST 32
#define DE_SEL(slot) ((uint16_t)(((DE_LDT_FIRST + (slot)) << 3) | 7))

struct de_state {
	/* Reached from assembly (offsets above). */
	uint64_t host_rsp;
	uint64_t host_fsbase;
	uint64_t host_gsbase;
	void *guest_fpu;
	uint64_t xmask;
	uint32_t mxcsr;
	uint16_t fcw;
	uint64_t alt_lo, alt_size; /* the vCPU thread's signal stack */
	/* Set by de_enter's first instruction, cleared by the landing's
	 * last: while it is set, 64-bit code outside de_entry.S's text is
	 * guest code that far-jumped to the host's 64-bit selector. */
	volatile int in_guest;

	/* C only. */
	struct machine *m;
	struct vcpu *cpu; /* the vCPU being run */
	int tid;	  /* the vCPU thread */
	uint16_t host_cs, host_ss;
	bool intel;	  /* host vendor: how sysenter/syscall arrive */
	bool cpuid_fault; /* CPUID faulting is on for the vCPU thread */
	size_t fpu_size;

	/* Installed at entry: host selector per guest segment register. */
	uint16_t sel[DE_NSEGS];
	/* The AC flag the guest set while CR0.AM is clear (never in the
	 * host, where it would check alignment). */
	bool ac_virtual;

	/* Filled by the signal handler on an exit. */
	struct de_exit_info exit;
	uint16_t exit_sel[DE_NSEGS]; /* host selectors at the exit */
	char error[128];

	de_host_signal_fn host_hook;
	struct de_stats stats;
};

/* struct de_entry: what de_enter loads into the guest. */
struct de_entry {
	uint32_t regs[8];
	uint32_t eip;
	uint32_t eflags;
	uint64_t sel[DE_NSEGS]; /* CS SS DS ES FS GS, host selectors */
	volatile int *kick;
	uint64_t fs_base, gs_base; /* loaded with wrfsbase/wrgsbase when
				    * the selectors are still in place */
	uint64_t reload;	   /* LDT rewritten: load DS..GS again */
};

/* Slot order of struct de_entry.sel and de_state.sel. */
enum { DE_SLOT_CS, DE_SLOT_SS, DE_SLOT_DS, DE_SLOT_ES, DE_SLOT_FS, DE_SLOT_GS };

extern struct de_state de_st;
extern const int de_slot_sreg[DE_NSEGS]; /* slot -> enum x86_sreg */

static inline bool de_expand_down(const struct x86_seg *s)
{
	return (s->attr & (X86_DESC_S | X86_DESC_CODE | X86_DESC_DC)) ==
	       (X86_DESC_S | X86_DESC_DC);
}

/* de_seg.c (normal context) */
int de_sync_ldt(struct vcpu *cpu, uint16_t *sel);
uint64_t de_seg_limit(int slot);
int de_adopt_segments(struct vcpu *cpu, const struct x86_seg *snap,
		      struct de_exit_info *info);

/* de_entry.S */
int de_enter(struct de_entry *e);
void de_sigstub(int sig, siginfo_t *si, void *uc);
void de_landing(void);
extern const char de_window_start[], de_window_end[];
/* The end of de_entry.S's 64-bit code (from de_enter on). */
extern const char de_text_end[];

/* de_signal.c (signal context) */
void de_signal(int sig, siginfo_t *si, void *uc);
void de_signal_foreign(int sig, siginfo_t *si, void *uc);

#endif /* __ASSEMBLER__ */

#endif
