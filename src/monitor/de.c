/*
 * de.c - direct execution of guest user code (include/monitor/de.h,
 * docs/direct-execution.md), normal-context half.
 *
 * de_run() is called by the monitor loop on the vCPU thread. Each entry:
 *  1. the guest's six segment caches are mirrored into LDT entries
 *     DE_LDT_FIRST.. (modify_ldt, only when one changed); guest memory
 *     is the shadow's user view, host [0, 4 GiB), which maps only pages
 *     the guest gives user access to, so no segment needs a cut;
 *  2. de_enter (de_entry.S) loads the guest FPU state, segments and
 *     registers and irets into 32-bit code;
 *  3. guest code runs until a host signal that the handler
 *     (de_signal.c) cannot resolve on the spot; the handler has then
 *     copied the guest state into the vcpu and redirected the context to
 *     de_landing, which saves the guest FPU state and returns here;
 *  4. here, normal context: if guest code reloaded a segment register
 *     (de_seg.c), the guest's descriptor is fetched and a fault it may
 *     have caused is retried; a host #GP(0) is sorted into the guest's
 *     own #GP(0) or an emulation request.
 *
 * Invariants: de_st.in_guest is 1 exactly while de_enter runs; outside de_run
 * the guest FPU state is in de_st.guest_fpu and the host FPU holds the
 * monitor's.
 */
#include <asm/prctl.h>
#include <cpuid.h>
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bt/decode.h"
#include "mmu/mem.h"
#include "mmu/shadow.h"
#include "mmu/walk.h"
#include "monitor/de_priv.h"
#include "monitor/sandbox.h"
#include "monitor/machine.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#endif
#ifndef PR_SYS_DISPATCH_ON
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif
#ifndef ARCH_SET_CPUID
#define ARCH_SET_CPUID 0x1012
#endif

#define LOW4G (1ull << 32)
#define ALTSTACK_SIZE (256u << 10)
#define MAX_RESTARTS 64

struct de_state de_st;
const int de_slot_sreg[DE_NSEGS] = {X86_CS, X86_SS, X86_DS,
				    X86_ES, X86_FS, X86_GS};

_Static_assert(offsetof(struct de_state, host_rsp) == DS_HOST_RSP, "");
_Static_assert(offsetof(struct de_state, host_fsbase) == DS_HOST_FSBASE, "");
_Static_assert(offsetof(struct de_state, host_gsbase) == DS_HOST_GSBASE, "");
_Static_assert(offsetof(struct de_state, guest_fpu) == DS_GUEST_FPU, "");
_Static_assert(offsetof(struct de_state, xmask) == DS_XMASK, "");
_Static_assert(offsetof(struct de_state, mxcsr) == DS_MXCSR, "");
_Static_assert(offsetof(struct de_state, fcw) == DS_FCW, "");
_Static_assert(offsetof(struct de_state, alt_lo) == DS_ALT_LO, "");
_Static_assert(offsetof(struct de_state, alt_size) == DS_ALT_SIZE, "");
_Static_assert(offsetof(struct de_state, in_guest) == DS_IN_GUEST, "");
_Static_assert(offsetof(struct de_entry, regs) == DE_REGS, "");
_Static_assert(offsetof(struct de_entry, eip) == DE_EIP, "");
_Static_assert(offsetof(struct de_entry, eflags) == DE_EFLAGS, "");
_Static_assert(offsetof(struct de_entry, sel) + 8 * DE_SLOT_CS == DE_CS, "");
_Static_assert(offsetof(struct de_entry, sel) + 8 * DE_SLOT_SS == DE_SS, "");
_Static_assert(offsetof(struct de_entry, sel) + 8 * DE_SLOT_DS == DE_DS, "");
_Static_assert(offsetof(struct de_entry, sel) + 8 * DE_SLOT_ES == DE_ES, "");
_Static_assert(offsetof(struct de_entry, sel) + 8 * DE_SLOT_FS == DE_FS, "");
_Static_assert(offsetof(struct de_entry, sel) + 8 * DE_SLOT_GS == DE_GS, "");
_Static_assert(offsetof(struct de_entry, kick) == DE_KICKP, "");
_Static_assert(offsetof(struct de_entry, fs_base) == DE_FSBASE, "");
_Static_assert(offsetof(struct de_entry, gs_base) == DE_GSBASE, "");
_Static_assert(offsetof(struct de_entry, reload) == DE_RELOAD, "");

static const int de_signals[] = {SIGSEGV, SIGBUS, SIGFPE,	 SIGILL,
				 SIGTRAP, SIGSYS, DE_KICK_SIGNAL};

/* State only normal context touches. */
static struct {
	bool ready;
	bool cpuid_fault_avail;
	bool cpuid_fault_off; /* de_set_cpuid_faulting(false) */
} de;

/* ---- host set-up ------------------------------------------------------ */

static uint16_t host_sreg(int which)
{
	uint16_t v;

	if (which == X86_CS)
		__asm__ volatile("mov %%cs, %0" : "=r"(v));
	else
		__asm__ volatile("mov %%ss, %0" : "=r"(v));
	return v;
}

static void *alloc_high(size_t size)
{
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* A shadow flush rewrites the views: nothing of ours there. */
	if ((uintptr_t)p < SHADOW_RESERVED) {
		munmap(p, size);
		return NULL;
	}
	return p;
}

/* An XSAVE area in the initial state (the guest's FPU after FNINIT):
 * XSTATE_BV = 0 (every component initialised on XRSTOR) and the
 * default MXCSR, which XRSTOR always loads from memory. */
static void init_fpu_area(uint8_t *a)
{
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;

	memset(a, 0, de_st.fpu_size);
	memcpy(a, &fcw, 2);
	memcpy(a + 24, &mxcsr, 4);
}

static int setup_fpu(char *err, size_t errlen)
{
	unsigned a, b, c, d;
	uint32_t lo, hi;
	size_t size;

	__cpuid(1, a, b, c, d);
	if (!(c & bit_XSAVE) || !(c & bit_OSXSAVE)) {
		snprintf(err, errlen,
			 "direct execution needs XSAVE (the guest's FPU "
			 "state is saved with it)");
		return -1;
	}
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	/* x87, SSE and (when the host has it) AVX: all the guest's CPU
	 * model has, plus AVX so that user code that uses it anyway does
	 * not see the monitor's values. */
	de_st.xmask = lo & 7u;
	__cpuid_count(0xd, 0, a, b, c, d);
	size = b < 1024 ? 1024 : b;
	size = (size + 4095) & ~(size_t)4095;
	de_st.fpu_size = size;
	de_st.guest_fpu = alloc_high(size);
	if (!de_st.guest_fpu) {
		snprintf(err, errlen, "cannot allocate the FPU save areas");
		return -1;
	}
	init_fpu_area(de_st.guest_fpu);
	return 0;
}

int de_fpu_init(char *err, size_t errlen)
{
	if (de_st.guest_fpu)
		return 0;
	return setup_fpu(err, errlen);
}

static bool host_is_intel(void)
{
	unsigned a, b, c, d;
	char v[13];

	__cpuid(0, a, b, c, d);
	memcpy(v, &b, 4);
	memcpy(v + 4, &d, 4);
	memcpy(v + 8, &c, 4);
	v[12] = 0;
	return strcmp(v, "AuthenticAMD") != 0 && strcmp(v, "HygonGenuine") != 0;
}

int de_init(struct machine *m, char *err, size_t errlen)
{
	struct sigaction sa;

	de_st.m = m;
	if (de.ready)
		return 0;
	if (!(getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE)) {
		snprintf(err, errlen,
			 "direct execution needs user-space FSGSBASE "
			 "(Linux >= 5.9 on a CPU with FSGSBASE)");
		return -1;
	}
	if (syscall(SYS_modify_ldt, 0, NULL, 0) < 0) {
		snprintf(err, errlen, "direct execution needs modify_ldt: %s",
			 strerror(errno));
		return -1;
	}
	if (de_fpu_init(err, errlen) < 0)
		return -1;
	de_st.intel = host_is_intel();
	de_st.host_cs = host_sreg(X86_CS);
	de_st.host_ss = host_sreg(X86_SS);
	/* CPUID faulting: probe by asking for the normal behaviour. */
	de.cpuid_fault_avail = syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1) == 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = de_sigstub;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	/* SIGSYS stays unblocked in every handler, its own included
	 * (SA_NODEFER): inside a handler only the sandbox can raise it
	 * (guest system calls come from guest code), and a seccomp SIGSYS
	 * that arrives blocked kills the process without a word. */
	for (size_t i = 0; i < sizeof(de_signals) / sizeof(de_signals[0]); i++)
		if (de_signals[i] != SIGSYS)
			sigaddset(&sa.sa_mask, de_signals[i]);
	for (size_t i = 0; i < sizeof(de_signals) / sizeof(de_signals[0]);
	     i++) {
		sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART |
			      (de_signals[i] == SIGSYS ? SA_NODEFER : 0);
		if (sigaction(de_signals[i], &sa, NULL) < 0) {
			snprintf(err, errlen, "sigaction: %s", strerror(errno));
			return -1;
		}
	}
	de.ready = true;
	return 0;
}

/* CPUID faulting on the vCPU thread as wanted: guest user cpuid then
 * traps (#GP) and is emulated, monitor cpuid is answered by the host
 * values in the handler (de_signal.c: host_cpuid). */
static void sync_cpuid_faulting(void)
{
	bool want = de.cpuid_fault_avail && !de.cpuid_fault_off;

	if (want == de_st.cpuid_fault)
		return;
	if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, want ? 0 : 1) == 0)
		de_st.cpuid_fault = want;
}

bool de_cpuid_faulting(void)
{
	return de_st.cpuid_fault;
}

void de_set_cpuid_faulting(bool use)
{
	de.cpuid_fault_off = !use;
	if (de_st.tid && de_st.tid == gettid())
		sync_cpuid_faulting();
}

/*
 * First de_run on the vCPU thread: what Linux keeps per thread. Syscall
 * User Dispatch sends every system call made from below 4 GiB (guest
 * code) to SIGSYS and lets everything above (all of the monitor,
 * libraries, the vDSO) through, so no selector byte has to be flipped
 * around entries and handlers. The kernel's 32-bit fast paths report
 * their calls above 4 GiB, so a seccomp filter traps the whole i386 ABI
 * as well (monitor/sandbox.h).
 */
static int arm_thread(struct vcpu *cpu)
{
	static __thread bool armed;
	pid_t tid;
	stack_t ss, old;
	sigset_t mask;
	uint64_t fsb, gsb;

	if (armed)
		return 0;
	tid = gettid();
	if (de_st.tid) {
		snprintf(cpu->error, sizeof(cpu->error),
			 "direct execution: de_run called from a second "
			 "thread");
		return -1;
	}
	__asm__ volatile("rdfsbase %0" : "=r"(fsb));
	__asm__ volatile("rdgsbase %0" : "=r"(gsb));
	de_st.host_fsbase = fsb;
	de_st.host_gsbase = gsb;

	if (sigaltstack(NULL, &old) == 0 && !(old.ss_flags & SS_DISABLE) &&
	    old.ss_size >= 65536) {
		de_st.alt_lo = (uintptr_t)old.ss_sp;
		de_st.alt_size = old.ss_size;
	} else {
		ss.ss_sp = alloc_high(ALTSTACK_SIZE);
		ss.ss_size = ALTSTACK_SIZE;
		ss.ss_flags = 0;
		if (!ss.ss_sp || sigaltstack(&ss, NULL) < 0) {
			snprintf(cpu->error, sizeof(cpu->error),
				 "direct execution: no signal stack: %s",
				 strerror(errno));
			return -1;
		}
		de_st.alt_lo = (uintptr_t)ss.ss_sp;
		de_st.alt_size = ss.ss_size;
	}

	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, LOW4G,
		  ~0ull - LOW4G, 0) < 0) {
		snprintf(cpu->error, sizeof(cpu->error),
			 "direct execution: Syscall User Dispatch: %s",
			 strerror(errno));
		return -1;
	}

	/* No guest system call may run in the host kernel, whatever entry
	 * the host CPU takes (see de_signal.c: the fast paths). */
	if (sandbox_trap_compat_syscalls(cpu->error, sizeof(cpu->error)) < 0)
		return -1;

	/* Asynchronous signals must not run handlers on the guest's FS
	 * base: only DE's own reach this thread. */
	sigfillset(&mask);
	for (size_t i = 0; i < sizeof(de_signals) / sizeof(de_signals[0]); i++)
		sigdelset(&mask, de_signals[i]);
	pthread_sigmask(SIG_SETMASK, &mask, NULL);

	sync_cpuid_faulting();
	de_st.tid = tid;
	armed = true;
	return 0;
}

/* ---- segments ----------------------------------------------------------- */

bool de_can_run(const struct vcpu *cpu)
{
	const struct x86_seg *cs = &cpu->seg[X86_CS], *ss = &cpu->seg[X86_SS];

	if (!de.ready || !vcpu_protected(cpu) || !vcpu_paging(cpu) ||
	    vcpu_v86(cpu) || cpu->cpl != 3)
		return false;
	if (cpu->cr0 & (X86_CR0_TS | X86_CR0_EM))
		return false; /* x87/SSE would not trap (#NM/#UD) */
	if (cpu->dr[7] & 0xff)
		return false; /* guest breakpoints are not in the host */
	if ((cs->attr &
	     (X86_DESC_P | X86_DESC_S | X86_DESC_CODE | X86_DESC_DB)) !=
	    (X86_DESC_P | X86_DESC_S | X86_DESC_CODE | X86_DESC_DB))
		return false;
	if ((ss->attr & (X86_DESC_P | X86_DESC_S | X86_DESC_CODE | X86_DESC_RW |
			 X86_DESC_DB)) !=
		    (X86_DESC_P | X86_DESC_S | X86_DESC_RW | X86_DESC_DB) ||
	    de_expand_down(ss))
		return false;
	for (int r = 0; r < X86_NR_SREGS; r++)
		if ((cpu->seg[r].attr & X86_DESC_P) &&
		    de_expand_down(&cpu->seg[r]))
			return false;
	return true;
}

/* ---- after an exit -------------------------------------------------------- */

static uint32_t reg_or_zero(const struct vcpu *cpu, uint8_t r)
{
	return r == X86_NOREG ? 0 : cpu->regs[r & 7];
}

/*
 * Is a #GP(0) the guest's own, rather than a request to emulate? Host
 * #GP(0) also stands for "beyond the segment limit" and
 * for IOPL-sensitive instructions whose outcome depends on guest state
 * DE does not check (the I/O bitmap, CR4.PVI); those stay EMULATE.
 *  - A privileged instruction at CPL 3 always raises #GP(0).
 *  - cli/sti with IOPL < 3 and CR4.PVI clear raise #GP(0).
 *  - An x87/MMX/SSE instruction whose memory operand lies within the
 *    host segment limit failed its own rule (a misaligned movaps,
 *    reserved MXCSR bits...); the interpreter does not run those.
 */
static bool gp0_is_guests(struct vcpu *cpu)
{
	const struct guest_mem *mem = &cpu->machine->mem;
	uint32_t lin = cpu->seg[X86_CS].base + cpu->eip;
	uint8_t bytes[X86_MAX_INSN_LEN];
	struct x86_insn in;
	unsigned n = 0, size = 16;
	uint64_t ea;
	int slot;

	while (n < sizeof(bytes)) {
		struct mmu_walk_result w;
		uint32_t pferr;

		if (mmu_walk(cpu, lin + n, MMU_ACC_USER | MMU_ACC_NOSET, &w,
			     &pferr) < 0 ||
		    !mem_is_ram(mem, w.paddr, 1))
			break;
		bytes[n++] = *(uint8_t *)mem_ptr(mem, w.paddr);
	}
	if (x86_decode(&in, bytes, n, true) < 0)
		return false;
	if (in.info->flags & X86_F_CPL0)
		return true;
	if (in.info->op == X86_OP_CLI || in.info->op == X86_OP_STI)
		return (cpu->eflags & X86_FL_IOPL) != X86_FL_IOPL &&
		       !(cpu->cr4 & X86_CR4_PVI);
	if (in.info->sens != SENS_FPU)
		return false;
	if (!in.has_mem)
		return true;
	for (unsigned i = 0; i < in.info->nr_operands; i++)
		if (x86_operand_bytes(&in, i) > size)
			size = x86_operand_bytes(&in, i);
	ea = (uint32_t)(reg_or_zero(cpu, in.base) +
			reg_or_zero(cpu, in.index) * in.scale +
			(uint32_t)in.disp);
	if (in.addrsize == 2)
		ea &= 0xffff;
	for (slot = 0; slot < DE_NSEGS; slot++)
		if (de_slot_sreg[slot] == in.seg)
			break;
	if (slot == DE_NSEGS || !(cpu->seg[in.seg].attr & X86_DESC_P))
		return true;
	return ea + size - 1 <= de_seg_limit(slot);
}

enum after { REPORT, RESTART };

static enum after after_exit(struct vcpu *cpu, const struct x86_seg *snap,
			     struct de_exit_info *info)
{
	int moved = de_adopt_segments(cpu, snap, info);

	if (moved < 0)
		return REPORT;
	if (moved) {
		bool retry = info->reason == DE_EXIT_EMULATE ||
			     (info->reason == DE_EXIT_FAULT &&
			      (info->vector == X86_EXC_GP ||
			       info->vector == X86_EXC_SS ||
			       info->vector == X86_EXC_NP ||
			       info->vector == X86_EXC_TS ||
			       info->vector == X86_EXC_PF ||
			       info->vector == X86_EXC_AC));
		if (retry)
			return RESTART;
	}
	if (info->reason == DE_EXIT_EMULATE && info->emulate == DE_EMU_GP &&
	    gp0_is_guests(cpu)) {
		info->reason = DE_EXIT_FAULT;
		info->vector = X86_EXC_GP;
		info->has_error = true;
		info->error_code = 0;
	}
	if (info->reason == DE_EXIT_FAULT && info->vector == X86_EXC_PF)
		cpu->cr2 = (uint32_t)info->host_addr;
	return REPORT;
}

/* ---- de_run ------------------------------------------------------------- */

static uint32_t host_eflags(struct vcpu *cpu)
{
	uint32_t f = (cpu->eflags & DE_USER_FLAGS) | X86_FL_FIXED1 | X86_FL_IF;

	de_st.ac_virtual = false;
	if (cpu->eflags & X86_FL_AC) {
		if (cpu->cr0 & X86_CR0_AM)
			f |= X86_FL_AC;
		else
			de_st.ac_virtual = true;
	}
	return f;
}

static enum de_exit finish(struct vcpu *cpu, struct de_exit_info *info,
			   enum de_exit r)
{
	info->reason = r;
	de_st.stats.exits[r]++;
	if (r == DE_EXIT_KICK)
		__atomic_exchange_n(&cpu->kick, 0, __ATOMIC_ACQUIRE);
	return r;
}

static enum de_exit fail(struct vcpu *cpu, struct de_exit_info *info)
{
	return finish(cpu, info, DE_EXIT_ERROR);
}

enum de_exit de_run(struct vcpu *cpu, struct de_exit_info *info)
{
	static bool reload_pending;
	struct x86_seg snap[DE_NSEGS];
	struct de_entry e;
	int restarts = 0;

	memset(info, 0, sizeof(*info));
	if (!de.ready) {
		snprintf(cpu->error, sizeof(cpu->error),
			 "direct execution: de_init was not called");
		return fail(cpu, info);
	}
	if (arm_thread(cpu) < 0)
		return fail(cpu, info);
	de_st.cpu = cpu;
	shadow_user_sync(cpu);
	/* The monitor's GS base points into the shadow (the current space's
	 * kernel view for translated code) and changes with CR3: exits put
	 * back the one of this entry. */
	{
		uint64_t gsb;

		__asm__ volatile("rdgsbase %0" : "=r"(gsb));
		de_st.host_gsbase = gsb;
	}

	for (;;) {
		int rc, written;

		if (!de_can_run(cpu)) {
			info->emulate = DE_EMU_SEGMENT;
			return finish(cpu, info, DE_EXIT_EMULATE);
		}
		written = de_sync_ldt(cpu, de_st.sel);
		if (written < 0)
			return fail(cpu, info);
		if (cpu->eip > de_seg_limit(DE_SLOT_CS)) {
			/* iretq would fault: EIP beyond the CS limit. */
			info->emulate = DE_EMU_GP;
			return finish(cpu, info, DE_EXIT_EMULATE);
		}
		/* A loaded segment register keeps the descriptor it was
		 * loaded with: after an LDT write, load them all again, even
		 * if an aborted entry comes in between. */
		if (written)
			reload_pending = true;
		e.reload = reload_pending;
		e.fs_base = cpu->seg[X86_FS].base;
		e.gs_base = cpu->seg[X86_GS].base;
		for (int slot = 0; slot < DE_NSEGS; slot++) {
			snap[slot] = cpu->seg[de_slot_sreg[slot]];
			e.sel[slot] = de_st.sel[slot];
		}
		memcpy(e.regs, cpu->regs, sizeof(e.regs));
		e.eip = cpu->eip;
		e.eflags = host_eflags(cpu);
		e.kick = &cpu->kick;

		/* de_enter sets and clears de_st.in_guest itself. */
		rc = de_enter(&e);
		__atomic_store_n(&de_st.in_guest, 0, __ATOMIC_SEQ_CST);
		de_st.stats.entries++;

		if (rc == DE_RC_ABORT)
			return finish(cpu, info, DE_EXIT_KICK);
		reload_pending = false;
		if (rc != DE_RC_EXIT) {
			snprintf(cpu->error, sizeof(cpu->error),
				 "direct execution: entering the guest failed "
				 "(host signal %d, trap %d, error %#llx)",
				 de_st.exit.host_signal, de_st.exit.host_trapno,
				 (unsigned long long)de_st.exit.host_err);
			return fail(cpu, info);
		}
		*info = de_st.exit;
		if (info->reason == DE_EXIT_ERROR && info->fast_path_failed) {
			snprintf(
				cpu->error, sizeof(cpu->error),
				"direct execution: host fast system-call path: "
				"guest stack unreadable, registers lost (%s "
				"after %04x:%08x)",
				de_st.intel ? "sysenter" : "syscall",
				cpu->seg[X86_CS].sel, cpu->eip);
			return fail(cpu, info);
		}
		if (info->reason == DE_EXIT_ERROR) {
			snprintf(cpu->error, sizeof(cpu->error),
				 "direct execution: unexpected host signal %d "
				 "(trap %d, error %#llx, address %#llx) at "
				 "%04x:%08x%s",
				 info->host_signal, info->host_trapno,
				 (unsigned long long)info->host_err,
				 (unsigned long long)info->host_addr,
				 cpu->seg[X86_CS].sel, cpu->eip,
				 info->host_signal == SIGSYS ||
						 info->host_addr >= LOW4G
					 ? ": guest code left 32-bit mode"
					 : "");
			return fail(cpu, info);
		}
		if (de_st.exit_sel[DE_SLOT_CS] == de_st.host_cs) {
			snprintf(cpu->error, sizeof(cpu->error),
				 "direct execution: guest code far-jumped to "
				 "the host's 64-bit code segment %#x (stopped "
				 "at %#x)",
				 de_st.host_cs, cpu->eip);
			return fail(cpu, info);
		}
		if (after_exit(cpu, snap, info) == RESTART) {
			if (++restarts > MAX_RESTARTS) {
				/* Always correct: run it elsewhere. */
				memset(info, 0, sizeof(*info));
				info->emulate = DE_EMU_SEGMENT;
				return finish(cpu, info, DE_EXIT_EMULATE);
			}
			de_st.stats.restarts++;
			continue;
		}
		return finish(cpu, info, info->reason);
	}
}

void de_kick(struct vcpu *cpu)
{
	(void)cpu;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&de_st.in_guest, __ATOMIC_SEQ_CST) && de_st.tid)
		syscall(SYS_tgkill, getpid(), de_st.tid, DE_KICK_SIGNAL);
}

void de_set_host_signal_hook(de_host_signal_fn fn)
{
	de_st.host_hook = fn;
}

void *de_guest_fpu(size_t *size)
{
	if (size)
		*size = de_st.fpu_size;
	return de_st.guest_fpu;
}

void de_get_stats(struct de_stats *st)
{
	*st = de_st.stats;
}
