/*
 * de.h - direct execution (DE): guest user code (CPL 3) runs natively on
 * the host CPU in 32-bit compatibility mode and comes back to the monitor
 * through host signals (DESIGN.md section 3.1, docs/direct-execution.md).
 *
 * The guest's user segments are shadowed as LDT descriptors; guest memory
 * is reached through the shadow's user view (mmu/shadow.h), which holds
 * only pages the guest gives CPL 3 access to, and hidden page faults are filled inside the
 * SIGSEGV handler without leaving DE. Everything else that needs the
 * monitor ends de_run() with an exit:
 *
 *   DE_EXIT_SYSCALL  the guest executed a software interrupt or a fast
 *                    system call: int n (any n, including int3 and into),
 *                    sysenter, syscall. cpu->eip is the address AFTER the
 *                    instruction, as the interrupt frame wants it;
 *                    info->insn_len is its length, so the monitor finds
 *                    the instruction at eip - insn_len (#GP(n*8+2) when
 *                    the guest IDT gate's DPL refuses the int n). The
 *                    monitor delivers int n through the guest IDT with
 *                    software-interrupt semantics. sysenter on Intel
 *                    hosts and syscall on AMD hosts: see eip_lost.
 *   DE_EXIT_FAULT    a guest exception: info->vector, info->error_code
 *                    (info->has_error), cpu->cr2 for #PF. cpu->eip is the
 *                    faulting instruction for faults, the next one for
 *                    traps (#DB single-step, icebp). The monitor delivers
 *                    it through the guest IDT.
 *   DE_EXIT_EMULATE  an instruction the monitor must execute itself (the
 *                    interpreter): IOPL-sensitive instructions the guest
 *                    may be allowed (cli/sti at IOPL 3 or with CR4.PVI,
 *                    in/out/ins/outs: the I/O bitmap decides), cpuid
 *                    under CPUID faulting, segment loads of selectors
 *                    the host refuses, accesses beyond a segment limit
 *                    (the host cannot say which address), pages
 *                    shadow_fault() wants emulated (traced page tables,
 *                    code frames, MMIO). cpu->eip is that instruction,
 *                    nothing of it has executed. (Privileged
 *                    instructions, cli/sti at IOPL < 3 without PVI and
 *                    SSE alignment faults come as FAULT #GP(0).)
 *   DE_EXIT_KICK     cpu->kick was set (de_kick() / the kick signal): the
 *                    state is at an instruction boundary.
 *   DE_EXIT_ERROR    the host refused something, or guest code did what
 *                    DE cannot contain (it left 32-bit mode); the
 *                    message is in cpu->error. A state de_can_run()
 *                    refuses is not an error: EMULATE(DE_EMU_SEGMENT).
 *
 * On every exit cpu->regs, eip, eflags (see below), segment selectors
 * and caches are the guest's. The guest's x87/SSE state is in the area
 * de_guest_fpu() returns, never in host registers, when de_run() returns.
 *
 * EFLAGS: the bits user code can change natively (arithmetic, TF, DF, NT,
 * AC, ID) come from the host; IF, IOPL, VM, VIF, VIP and RF are the
 * vCPU's, unchanged by DE.
 *
 * Threading: one vCPU thread per process (DESIGN.md roadmap: SMP guests
 * are one process per vCPU). de_init() once per process, de_run() only
 * from the vCPU thread; de_kick() from any thread. The first de_run()
 * arms the vCPU thread: Syscall User Dispatch for code below 4 GiB, an
 * alternate signal stack, and a signal mask that blocks every
 * asynchronous signal but DE_KICK_SIGNAL (process-directed signals such
 * as SIGINT are then delivered to the I/O thread).
 */
#ifndef BT386_MONITOR_DE_H
#define BT386_MONITOR_DE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vcpu.h"

struct machine;

/* The signal that kicks a vCPU out of DE (sent by de_kick()). */
#define DE_KICK_SIGNAL SIGUSR1

enum de_exit {
	DE_EXIT_SYSCALL,
	DE_EXIT_FAULT,
	DE_EXIT_EMULATE,
	DE_EXIT_KICK,
	DE_EXIT_ERROR,
};

/* DE_EXIT_SYSCALL: which instruction. */
enum de_syscall {
	DE_SC_INT,	/* int n / int3 / into: info->vector = n */
	DE_SC_SYSENTER, /* sysenter */
	DE_SC_SYSCALL,	/* syscall */
};

/* DE_EXIT_EMULATE: why (for statistics and for choosing how). */
enum de_emulate {
	DE_EMU_GP,	 /* #GP(0): privileged/IOPL insn, cpuid, or a
			  * segment limit */
	DE_EMU_SELECTOR, /* #GP/#NP/#SS/#TS with a selector: a segment
			  * load, far transfer or iret the host refused */
	DE_EMU_STACK,	 /* #SS(0): stack access beyond the limit */
	DE_EMU_SHADOW,	 /* shadow_fault() said SHADOW_EMULATE */
	DE_EMU_SEGMENT,	 /* the guest reloaded a segment register into a
			  * state DE cannot run (de_can_run() is false) */
	DE_EMU_FPU,	 /* an x87 or SIMD error (#MF, #XM): the guest's
			  * CR0.NE and CR4.OSXMMEXCPT decide what it is */
};

struct de_exit_info {
	enum de_exit reason;
	enum de_syscall syscall; /* SYSCALL: which instruction */
	int vector;		 /* FAULT: the exception; SYSCALL(INT): n */
	bool has_error;		 /* FAULT: error_code is pushed */
	uint32_t error_code;
	uint8_t insn_len;      /* SYSCALL: length of the instruction */
	bool eip_lost;	       /* SYSCALL: sysenter (Intel hosts) or syscall
			   * (AMD hosts) took the host kernel's 32-bit fast
			   * system call path (stopped by seccomp before it
			   * ran): EIP is lost (cpu->eip is left as it was
			   * at entry), and so are ESP for sysenter (which
			   * discards it) and ECX for syscall; EBP is
			   * recovered (de_signal.c: fast_syscall) */
	bool fast_path_failed; /* ERROR: that path returned to its landing
				* pad without a system call (it could not
				* read the guest stack): registers lost */
	uint32_t dr6;	       /* FAULT #DB: DR6 bits the guest should see */
	enum de_emulate emulate;
	/* The host signal behind the exit (diagnostics, traces). */
	int host_signal;
	int host_trapno;
	uint64_t host_err;
	uint64_t host_addr;
};

/* Counters (for --stats). */
struct de_stats {
	uint64_t entries; /* de_enter calls (guest entries) */
	uint64_t exits[DE_EXIT_ERROR + 1];
	uint64_t hidden_faults; /* #PF filled in the handler (no exit) */
	uint64_t restarts;	/* entries repeated after a segment reload */
	uint64_t ldt_writes;	/* modify_ldt calls */
	uint64_t ac_fixups;	/* #AC with CR0.AM clear, hidden */
	uint64_t window_kicks;	/* kicks that landed between de_enter's
				 * last check and its iretq */
};

/*
 * Set up DE, after mem_reserve_views() and shadow_init(), and after any
 * other sigaction() for the signals DE handles (SIGSEGV, SIGBUS, SIGFPE,
 * SIGILL, SIGTRAP, SIGSYS, DE_KICK_SIGNAL; see de_set_host_signal_hook):
 * signal handlers, the FPU save area, host facts. Call it again after a
 * new shadow_init() (reboot). Returns 0, or -1 with a message in err naming the missing
 * host feature.
 */
int de_init(struct machine *m, char *err, size_t errlen);

/* Can DE run this state? Protected mode with paging, CPL 3, not v8086,
 * 32-bit CS and SS, no
 * expand-down data segments, CR0.TS/EM clear, no enabled guest debug
 * breakpoints (DR7), de_init() done. */
bool de_can_run(const struct vcpu *cpu);

/*
 * Run guest user code from the vCPU state until the monitor is needed.
 * The monitor delivers pending interrupts before calling (DE does not
 * look at the guest's IF) and dispatches the exit afterwards.
 */
enum de_exit de_run(struct vcpu *cpu, struct de_exit_info *info);

/*
 * Any thread, after setting cpu->kick: interrupt DE if the vCPU thread is
 * in it (a tgkill with DE_KICK_SIGNAL; sending that signal always is fine
 * too). A kick is never lost: de_enter checks cpu->kick after its last
 * point of no return. de_run() clears cpu->kick when it returns
 * DE_EXIT_KICK.
 */
void de_kick(struct vcpu *cpu);

/*
 * DE owns the handlers of its signals. Those that did not interrupt guest
 * code in DE (faults in the code cache, a kick while the monitor or the
 * translator runs) go to this hook, in signal context, with the host's
 * FS/GS bases in place and every DE signal blocked. It returns true when
 * it handled the signal (it may edit the context); otherwise a
 * synchronous fault takes the default action (core dump) and a kick is
 * ignored (the monitor sees cpu->kick).
 */
typedef bool (*de_host_signal_fn)(int sig, siginfo_t *si, void *uc);
void de_set_host_signal_hook(de_host_signal_fn fn);

/*
 * The guest's FPU state while no engine runs guest code: an XSAVE area
 * in the standard format (its first 512 bytes are the FXSAVE layout),
 * components x87, SSE and, if the host has it, AVX. Engines that run
 * guest floating point natively load it before and save it after
 * (de_fpu_load_guest / de_fpu_save_guest: the save also puts the host FPU
 * back in its initial state with the monitor's MXCSR and x87 control
 * word); the monitor must not use floating point in between.
 */
void *de_guest_fpu(size_t *size);
/* Allocate the guest FPU state (once; de_init does it too): the
 * translator keeps the guest's FPU there without direct execution. */
int de_fpu_init(char *err, size_t errlen);
void de_fpu_load_guest(void);
void de_fpu_save_guest(void);

void de_get_stats(struct de_stats *st);

/*
 * CPUID faulting (ARCH_SET_CPUID, where the host has it): guest user
 * cpuid traps and sees the virtual CPU; without it, guest user cpuid
 * sees the host CPU (docs/direct-execution.md, holes). On by default
 * where available; de_set_cpuid_faulting(false) turns it off (tests use
 * it to run both paths on hosts that have it). de_cpuid_faulting() says
 * whether the vCPU thread runs with it.
 */
bool de_cpuid_faulting(void);
void de_set_cpuid_faulting(bool use);

#endif
