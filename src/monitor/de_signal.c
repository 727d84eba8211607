/*
 * de_signal.c - direct execution's signal handlers, C half.
 *
 * EVERYTHING IN THIS FILE RUNS IN SIGNAL CONTEXT on the vCPU thread
 * (de_signal_foreign: on any thread), reached from de_sigstub with the
 * host FS/GS bases already in place. Rules: no allocation, no locks, no
 * stdio; only preallocated state (de_st, the vcpu), guest page walks
 * through physmap, shadow_fault() (async-signal-safe by contract) and
 * plain syscalls. Every DE signal is blocked while a handler runs
 * (sa_mask), so handlers never nest.
 *
 * A signal that interrupted guest code is either
 *  - resolved on the spot, returning straight into the guest: a hidden
 *    page fault that shadow_fault() fills, an #AC the guest cannot see
 *    (CR0.AM clear); or
 *  - turned into an exit: the guest registers and EFLAGS are copied from
 *    the signal context into the vcpu, the host selectors of the six
 *    segment registers are recorded (the guest may have reloaded one;
 *    de_seg.c sorts that out), the exit is described in de_st.exit and
 *    the context is rewritten to resume in 64-bit monitor code
 *    (de_landing) on the monitor stack.
 * Signals that interrupted the monitor go to the host hook or take their
 * default action; a kick that lands in de_enter's window aborts the entry.
 */
#include <asm/prctl.h>
#include <linux/audit.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "mmu/mem.h"
#include "mmu/shadow.h"
#include "mmu/walk.h"
#include "monitor/de_priv.h"
#include "monitor/machine.h"
#include "monitor/sandbox.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif
#ifndef UC_STRICT_RESTORE_SS
#define UC_STRICT_RESTORE_SS 0x4
#endif
#ifndef ARCH_SET_CPUID
#define ARCH_SET_CPUID 0x1012
#endif

#define LOW4G (1ull << 32)

static const int greg_of[8] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX,
			       REG_RSP, REG_RBP, REG_RSI, REG_RDI};

static uint16_t read_sreg(int which)
{
	uint16_t v = 0;

	switch (which) {
	case X86_DS:
		__asm__ volatile("mov %%ds, %0" : "=r"(v));
		break;
	case X86_ES:
		__asm__ volatile("mov %%es, %0" : "=r"(v));
		break;
	case X86_FS:
		__asm__ volatile("mov %%fs, %0" : "=r"(v));
		break;
	case X86_GS:
		__asm__ volatile("mov %%gs, %0" : "=r"(v));
		break;
	}
	return v;
}

/* Read guest linear memory with user privileges through the guest page
 * tables and physmap (never through the shadow mappings, which may not
 * be there). Returns the bytes read. */
static unsigned peek(uint32_t lin, uint8_t *buf, unsigned n)
{
	struct vcpu *cpu = de_st.cpu;
	const struct guest_mem *mem = &de_st.m->mem;
	unsigned done = 0;

	while (done < n) {
		struct mmu_walk_result w;
		uint32_t a = lin + done, pferr, chunk;

		if (mmu_walk(cpu, a, MMU_ACC_USER | MMU_ACC_NOSET, &w, &pferr) <
		    0)
			break;
		chunk = 4096 - (a & 4095);
		if (chunk > n - done)
			chunk = n - done;
		if (!mem_is_ram(mem, w.paddr, chunk))
			break;
		memcpy(buf + done, mem_ptr(mem, w.paddr), chunk);
		done += chunk;
	}
	return done;
}

static bool is_legacy_prefix(uint8_t b)
{
	return b == 0x66 || b == 0x67 || b == 0xf0 || b == 0xf2 || b == 0xf3 ||
	       b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 ||
	       b == 0x65;
}

/* Fetch the instruction at offset eip of CS: *op points past the legacy
 * prefixes. Returns the bytes available after them. */
static unsigned fetch(uint32_t eip, uint8_t *buf, unsigned *op)
{
	unsigned n = peek(de_st.cpu->seg[X86_CS].base + eip, buf, 15), i = 0;

	while (i < n && is_legacy_prefix(buf[i]))
		i++;
	*op = i;
	return n - i;
}

/* Default action for a signal nobody handled: reset and re-raise it (a
 * synchronous fault would fault again anyway). */
static void die(int sig)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigaction(sig, &sa, NULL);
	raise(sig);
}

/* Monitor code executed cpuid while CPUID faulting is on for the
 * thread (glibc and libraries may probe the CPU at any time). */
static bool host_cpuid(ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	const uint8_t *ip = (const uint8_t *)g[REG_RIP];
	uint32_t a = (uint32_t)g[REG_RAX], b, c = (uint32_t)g[REG_RCX], d;

	if (!de_st.cpuid_fault || g[REG_TRAPNO] != 13 || g[REG_ERR] != 0 ||
	    ip[0] != 0x0f || ip[1] != 0xa2)
		return false;
	syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "+c"(c), "=d"(d));
	syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
	g[REG_RAX] = a;
	g[REG_RBX] = b;
	g[REG_RCX] = c;
	g[REG_RDX] = d;
	g[REG_RIP] += 2;
	return true;
}

/* A signal that did not interrupt guest code. */
static void host_signal(int sig, siginfo_t *si, ucontext_t *uc)
{
	/* The sandbox refused a call of the monitor (or of code that
	 * escaped into it): one line, and the process ends. */
	if (sig == SIGSYS && sandbox_violation(si))
		return;
	if (de_st.host_hook && de_st.host_hook(sig, si, uc))
		return;
	if (sig == DE_KICK_SIGNAL)
		return; /* the monitor sees cpu->kick itself */
	if (sig == SIGSEGV && host_cpuid(uc))
		return;
	die(sig);
}

void de_signal_foreign(int sig, siginfo_t *si, void *uc)
{
	host_signal(sig, si, uc);
}

/* Point the context at the landing, which returns `rc` from de_enter. */
static void to_landing(ucontext_t *uc, int rc)
{
	greg_t *g = uc->uc_mcontext.gregs;

	g[REG_RIP] = (greg_t)(uintptr_t)de_landing;
	g[REG_RSP] = (greg_t)de_st.host_rsp;
	g[REG_RAX] = rc;
	/* IF stays on whatever we write; DF, TF, AC, NT must be clear in
	 * monitor code. */
	g[REG_EFL] = 0x202;
	g[REG_CSGSFS] = (greg_t)((uint64_t)de_st.host_cs |
				 ((uint64_t)de_st.host_ss << 48));
	uc->uc_flags |= UC_STRICT_RESTORE_SS;
}

/* The signal interrupted de_enter between the segment loads and iretq. */
static void entry_interrupted(int sig, siginfo_t *si, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;

	if (sig == DE_KICK_SIGNAL) {
		de_st.stats.window_kicks++;
		to_landing(uc, DE_RC_ABORT);
		return;
	}
	/* A fault loading a shadow segment or in iretq: DE's own bug or a
	 * descriptor the host refused. */
	memset(&de_st.exit, 0, sizeof(de_st.exit));
	de_st.exit.host_signal = sig;
	de_st.exit.host_trapno = (int)g[REG_TRAPNO];
	de_st.exit.host_err = (uint64_t)g[REG_ERR];
	de_st.exit.host_addr = (uint64_t)(uintptr_t)si->si_addr;
	to_landing(uc, DE_RC_ERROR);
}

static void set_fault(struct de_exit_info *x, int vector, bool has_err,
		      uint32_t err)
{
	x->reason = DE_EXIT_FAULT;
	x->vector = vector;
	x->has_error = has_err;
	x->error_code = err;
}

static void set_int(struct de_exit_info *x, int vector, unsigned len)
{
	x->reason = DE_EXIT_SYSCALL;
	x->syscall = DE_SC_INT;
	x->vector = vector;
	x->insn_len = (uint8_t)len;
}

static void set_emulate(struct de_exit_info *x, enum de_emulate why)
{
	x->reason = DE_EXIT_EMULATE;
	x->emulate = why;
}

/* Length of a one-byte trap instruction (int3 0xcc, into 0xce) or its
 * two-byte int n form (cd 03, cd 04) ending at eip. */
static unsigned trap_len(uint32_t eip, uint8_t one_byte)
{
	uint8_t b;

	if (eip >= 1 && peek(de_st.cpu->seg[X86_CS].base + eip - 1, &b, 1) &&
	    b == one_byte)
		return 1;
	return 2;
}

/*
 * Classify a signal from guest code. Returns true to resume the guest
 * as it is; otherwise de_st.exit is filled and *eip is the guest EIP to
 * report.
 */
static bool classify(int sig, siginfo_t *si, ucontext_t *uc, bool moved,
		     uint32_t *eip)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct de_exit_info *x = &de_st.exit;
	struct vcpu *cpu = de_st.cpu;
	uint64_t rip = (uint64_t)g[REG_RIP];
	int trapno = (int)g[REG_TRAPNO];
	uint32_t err = (uint32_t)g[REG_ERR];
	uint8_t buf[15];
	unsigned op, n;

	*eip = (uint32_t)rip;
	if (rip >= LOW4G && (uint16_t)g[REG_CSGSFS] == de_st.host_cs) {
		/* 64-bit guest code (a far jump to the host's selector)
		 * above 4 GiB: stop it (de.c says so). */
		x->reason = DE_EXIT_ERROR;
		*eip = cpu->eip;
		return false;
	}
	if (rip >= LOW4G && sig != SIGSYS && sig != DE_KICK_SIGNAL) {
		/* Guest code runs below 4 GiB; up there, in a 32-bit code
		 * segment, is only the landing pad of the host's fast
		 * system-call path, reached when the kernel could not read
		 * the guest stack: it skipped the call (and our seccomp
		 * trap) and returned with EAX = -EFAULT. */
		x->reason = DE_EXIT_ERROR;
		x->fast_path_failed = true;
		*eip = cpu->eip;
		return false;
	}
	switch (sig) {
	case DE_KICK_SIGNAL:
		x->reason = DE_EXIT_KICK;
		return false;
	case SIGSEGV:
		switch (trapno) {
		case X86_EXC_PF: {
			uint64_t addr = (uint64_t)(uintptr_t)si->si_addr;
			uint32_t pferr = 0;
			unsigned acc =
				((err & X86_PF_W) ? SHADOW_ACC_WRITE : 0) |
				((err & X86_PF_I) ? SHADOW_ACC_FETCH : 0);

			if (addr >= LOW4G) {
				/* Only 64-bit code reaches above 4 GiB. */
				x->reason = DE_EXIT_ERROR;
				return false;
			}
			if (moved) {
				/* Through a segment the guest reloaded: de.c
				 * fixes the segment and restarts. */
				set_fault(x, X86_EXC_PF, true, err);
				return false;
			}
			switch (shadow_fault(cpu, addr, acc, &pferr)) {
			case SHADOW_FILLED:
				de_st.stats.hidden_faults++;
				return true;
			case SHADOW_GUEST_PF:
				set_fault(x, X86_EXC_PF, true, pferr);
				break;
			case SHADOW_EMULATE:
				set_emulate(x, DE_EMU_SHADOW);
				break;
			}
			return false;
		}
		case X86_EXC_GP:
			if ((err & 3) == 2) {
				/* int n through a DPL 0 host gate. */
				n = fetch(*eip, buf, &op);
				set_int(x, (int)(err >> 3),
					n >= 2 && buf[op] == 0xcd ? op + 2 : 2);
				*eip += x->insn_len;
			} else {
				set_emulate(x,
					    err ? DE_EMU_SELECTOR : DE_EMU_GP);
			}
			return false;
		case X86_EXC_SS:
			set_emulate(x, err ? DE_EMU_SELECTOR : DE_EMU_STACK);
			return false;
		case X86_EXC_NP:
		case X86_EXC_TS:
			set_emulate(x, DE_EMU_SELECTOR);
			return false;
		case X86_EXC_OF:
			/* into / int 4: a trap, EIP is past it. */
			set_int(x, X86_EXC_OF, trap_len(*eip, 0xce));
			return false;
		default:
			set_fault(x, trapno, false, 0);
			return false;
		}
	case SIGBUS:
		/* Linux reports #SS as SIGBUS. */
		if (trapno == X86_EXC_SS) {
			set_emulate(x, err ? DE_EMU_SELECTOR : DE_EMU_STACK);
			return false;
		}
		if (trapno == X86_EXC_AC) {
			if (!(cpu->cr0 & X86_CR0_AM)) {
				/* The guest set AC, but alignment checking is
				 * off in its CR0: keep AC virtual. */
				de_st.ac_virtual = true;
				g[REG_EFL] &= ~(greg_t)X86_FL_AC;
				de_st.stats.ac_fixups++;
				return true;
			}
			set_fault(x, X86_EXC_AC, true, 0);
			return false;
		}
		break;
	case SIGFPE:
		if (trapno == X86_EXC_MF || trapno == X86_EXC_XM) {
			/* The interpreter runs it again: FERR# without
			 * CR0.NE, #UD without CR4.OSXMMEXCPT. */
			set_emulate(x, DE_EMU_FPU);
			return false;
		}
		if (trapno == X86_EXC_DE) {
			set_fault(x, trapno, false, 0);
			return false;
		}
		break;
	case SIGILL:
		n = fetch(*eip, buf, &op);
		if (n >= 2 && buf[op] == 0x0f &&
		    (buf[op + 1] == 0x34 || buf[op + 1] == 0x05)) {
			/* sysenter (AMD hosts) or syscall (Intel hosts) in
			 * compatibility mode: #UD on this host. */
			x->reason = DE_EXIT_SYSCALL;
			x->syscall = buf[op + 1] == 0x34 ? DE_SC_SYSENTER
							 : DE_SC_SYSCALL;
			x->insn_len = (uint8_t)(op + 2);
			*eip += x->insn_len;
			return false;
		}
		set_fault(x, X86_EXC_UD, false, 0);
		return false;
	case SIGTRAP:
		if (trapno == X86_EXC_BP) {
			set_int(x, X86_EXC_BP, trap_len(*eip, 0xcc));
			return false;
		}
		if (trapno == X86_EXC_DB) {
			set_fault(x, X86_EXC_DB, false, 0);
			x->dr6 = si->si_code == TRAP_TRACE ? 0x4000 : 0;
			return false;
		}
		break;
	case SIGSYS:
		if (si->si_arch != AUDIT_ARCH_I386) {
			/* A 64-bit system call from below 4 GiB: guest code
			 * left compatibility mode. */
			x->reason = DE_EXIT_ERROR;
			return false;
		}
		if (rip >= LOW4G) {
			/* The host's fast path; fast_syscall() fixed the
			 * registers up. */
			x->reason = DE_EXIT_SYSCALL;
			x->syscall =
				de_st.intel ? DE_SC_SYSENTER : DE_SC_SYSCALL;
			x->insn_len = 2;
			x->eip_lost = true;
			*eip = cpu->eip;
			return false;
		}
		/* int 0x80 (Syscall User Dispatch, or the seccomp filter if
		 * dispatch let it through): EIP is past the instruction. */
		if (rip >= 2 &&
		    peek(cpu->seg[X86_CS].base + (uint32_t)rip - 2, buf, 2) ==
			    2 &&
		    buf[0] == 0xcd && buf[1] == 0x80) {
			x->reason = DE_EXIT_SYSCALL;
			x->syscall = DE_SC_INT;
			x->vector = 0x80;
			x->insn_len = 2;
			return false;
		}
		break;
	}
	x->reason = DE_EXIT_ERROR;
	return false;
}

/* Copy the guest state out of the context into the vcpu. */
static void capture(ucontext_t *uc, uint32_t eip, const uint16_t *sel)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct vcpu *cpu = de_st.cpu;
	uint32_t host = (uint32_t)g[REG_EFL], user = DE_USER_FLAGS;

	for (int i = 0; i < 8; i++)
		cpu->regs[i] = (uint32_t)g[greg_of[i]];
	cpu->eip = eip;
	if (cpu->cr0 & X86_CR0_AM)
		user |= X86_FL_AC;
	cpu->eflags = (cpu->eflags & ~user) | (host & user);
	if (!(cpu->cr0 & X86_CR0_AM)) {
		cpu->eflags &= ~X86_FL_AC;
		if (de_st.ac_virtual || (host & X86_FL_AC))
			cpu->eflags |= X86_FL_AC;
	}
	memcpy(de_st.exit_sel, sel, sizeof(de_st.exit_sel));
}

/*
 * A system call the host kernel took through its 32-bit fast path
 * (sysenter on Intel hosts, syscall on AMD hosts) and the seccomp filter
 * stopped before it ran (monitor/sandbox.h). Syscall User Dispatch does
 * not see these: the kernel reports them at its landing pad in the host
 * vDSO, above 4 GiB, where dispatch lets the monitor's own calls through.
 * The kernel had already rewritten the registers to its int 0x80
 * convention, so put back what can be put back:
 *  - sysenter: RSP holds the guest's EBP (the kernel takes the user
 *    stack from EBP, Linux's vDSO convention), RBP the dword at [EBP];
 *    the guest's ESP is lost, which sysenter discards anyway;
 *  - syscall: RCX holds the guest's EBP, RSP its ESP, RBP the dword at
 *    [ESP]; ECX was the return address the CPU wrote, also lost;
 *  - EIP is the landing pad, CS and SS the host's: the guest's EIP is
 *    lost (sysenter never saves it), the selectors are the guest's;
 *  - EAX is the guest's (seccomp rolls the call back).
 * Returns true for such a signal, after the fix-up.
 */
static bool fast_syscall(int sig, siginfo_t *si, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;

	if (sig != SIGSYS || si->si_code != SYS_SECCOMP ||
	    si->si_arch != AUDIT_ARCH_I386 || (uint64_t)g[REG_RIP] < LOW4G)
		return false;
	if (de_st.intel) {
		g[REG_RBP] = g[REG_RSP];
	} else {
		g[REG_RBP] = g[REG_RCX];
	}
	return true;
}

static void guest_signal(int sig, siginfo_t *si, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct de_exit_info *x = &de_st.exit;
	uint16_t sel[DE_NSEGS];
	bool moved = false;
	uint32_t eip;

	sel[DE_SLOT_CS] = (uint16_t)g[REG_CSGSFS];
	sel[DE_SLOT_SS] = (uint16_t)((uint64_t)g[REG_CSGSFS] >> 48);
	if (fast_syscall(sig, si, uc)) {
		sel[DE_SLOT_CS] = de_st.sel[DE_SLOT_CS];
		sel[DE_SLOT_SS] = de_st.sel[DE_SLOT_SS];
	}
	sel[DE_SLOT_DS] = read_sreg(X86_DS);
	sel[DE_SLOT_ES] = read_sreg(X86_ES);
	sel[DE_SLOT_FS] = read_sreg(X86_FS);
	sel[DE_SLOT_GS] = read_sreg(X86_GS);
	for (int i = 0; i < DE_NSEGS; i++)
		moved |= sel[i] != de_st.sel[i];

	memset(x, 0, sizeof(*x));
	x->host_signal = sig;
	x->host_trapno = (int)g[REG_TRAPNO];
	x->host_err = (uint64_t)g[REG_ERR];
	x->host_addr = (uint64_t)(uintptr_t)si->si_addr;
	if (classify(sig, si, uc, moved, &eip))
		return;
	capture(uc, eip, sel);
	to_landing(uc, DE_RC_EXIT);
}

void de_signal(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	uint64_t rip = (uint64_t)g[REG_RIP];
	uint16_t cs = (uint16_t)g[REG_CSGSFS];

	if (!de_st.in_guest) {
		host_signal(sig, si, uc);
		return;
	}
	if (rip >= (uintptr_t)de_window_start &&
	    rip < (uintptr_t)de_window_end) {
		entry_interrupted(sig, si, uc);
		return;
	}
	/* de_enter's prologue, the landing: the monitor. Guest code is
	 * below 4 GiB or (if it far-jumped to a host selector) in a code
	 * segment that is not the host's, or, after a far jump to the
	 * host's 64-bit selector, anywhere: that is stopped as the guest's,
	 * not taken for a monitor crash. */
	if (cs == de_st.host_cs && rip >= (uintptr_t)de_enter &&
	    rip < (uintptr_t)de_text_end) {
		host_signal(sig, si, uc);
		return;
	}
	guest_signal(sig, si, uc);
}
