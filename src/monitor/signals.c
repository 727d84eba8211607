/*
 * signals.c - the vCPU thread's signal handlers.
 *
 * What runs in signal context (and nothing else does):
 *   - hidden page faults of translated code (shadow_fault: allocation-
 *     free, only mmap/mprotect system calls);
 *   - turning any other fault of translated code into an exit: the
 *     handler stores the guest EIP and fault in the vcpu and resumes the
 *     context at the cache's exit trampoline;
 *   - the kick (SIGUSR1, sent by the I/O thread, or by the host at a
 *     device timer's deadline): swap a table pointer and patch a few
 *     jumps so translated code returns to the monitor loop.
 * No allocation, no stdio, no locks. Everything else happens in the
 * monitor loop after the exit. The handlers run on an alternate signal
 * stack (guest code may run with any stack pointer).
 *
 * A fault outside guest code is a bug of the monitor: it is reported with
 * write(2) and the default action is restored, so the process dies with
 * the usual core dump instead of spinning.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bt/bt.h"
#include "bt/fpu.h"
#include "monitor/de.h"
#include "monitor/monitor.h"

#define ALT_STACK_SIZE (256u * 1024u)

static struct machine *sig_machine;
static pid_t vcpu_tid;

/*
 * The vCPU thread's asynchronous signals never run inside one of its
 * other handlers: nested, a handler sees that handler's context instead
 * of the guest code. A kick then finds no block of the cache to unlink
 * (a guest loop of chained blocks would not leave before the next kick);
 * the CPU-time timers (the user TLB policy's tick, the --stats profile)
 * expire at the same host tick, and the second one's sample landed in
 * the first one's handler (the profile placed nothing in translated
 * code). The profile's SIGPROF may land in a fault handler: that time is
 * the fault's. The mask for a handler: the kick and the tick, and with
 * `profile`, SIGPROF too.
 */
static void mask_async(sigset_t *set, bool profile)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR1);
	sigaddset(set, SIGVTALRM);
	if (profile)
		sigaddset(set, SIGPROF);
}

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	struct machine *m = sig_machine;
	static const char msg[] =
		"bt386: internal error: fault in the monitor itself\n";

	if (bt_fpu_host_fault(sig, uc))
		return;
	if (m && m->bt_on && bt_fault_from_signal(&m->cpu, sig, si, uc))
		return;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0) {
	}
	signal(sig, SIG_DFL);
}

static void on_kick(int sig, siginfo_t *si, void *uc)
{
	struct machine *m = sig_machine;

	(void)sig;
	if (!m)
		return;
	/* The deadline timer's: nobody set the flag. */
	if (si && si->si_code == SI_TIMER)
		__atomic_store_n(&m->cpu.kick, 1, __ATOMIC_RELEASE);
	if (m->bt_on)
		bt_kick_from_signal(&m->cpu, uc);
}

/*
 * The deadline timer: a POSIX timer on CLOCK_MONOTONIC that the host
 * signals to the vCPU thread itself when the earliest device timer is due
 * (events.c arms it with the I/O thread's timerfd). The timerfd alone
 * woke the I/O thread, which then signalled the vCPU thread: 10-50 us
 * later on a host that is itself a VM, while Linux's sha256sum makes a
 * system call every 25 us, so its timer ticks landed on its way into the
 * kernel and half of its CPU time was counted as system time (QEMU: 4%).
 * The timerfd still wakes a halted vCPU. With --direct-exec, a kick that
 * interrupts guest code ends the run there whoever sent it (de_signal.c);
 * elsewhere host_signal() sets the flag as on_kick() does.
 */
static timer_t deadline_timer;
static bool deadline_timer_on;

static void deadline_timer_init(void)
{
	struct sigevent sev;

	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGUSR1;
	sev._sigev_un._tid = vcpu_tid;
	deadline_timer_on =
		timer_create(CLOCK_MONOTONIC, &sev, &deadline_timer) == 0;
}

void mon_deadline_timer_arm(const struct itimerspec *its)
{
	if (deadline_timer_on)
		timer_settime(deadline_timer, TIMER_ABSTIME, its, NULL);
}

/*
 * Direct execution owns the signal handlers (its first-level stub must
 * run before any C: guest code may have changed FS/GS); what did not
 * interrupt guest user code comes back here through its host hook.
 */
static bool host_signal(int sig, siginfo_t *si, void *uc)
{
	struct machine *m = sig_machine;

	/* The interpreter's host FPU runner (an unmasked SIMD exception). */
	if (bt_fpu_host_fault(sig, uc))
		return true;
	if (!m || !m->bt_on)
		return false;
	if (sig == SIGUSR1) {
		if (si && si->si_code == SI_TIMER) /* the deadline timer's */
			__atomic_store_n(&m->cpu.kick, 1, __ATOMIC_RELEASE);
		bt_kick_from_signal(&m->cpu, uc);
		return true;
	}
	return bt_fault_from_signal(&m->cpu, sig, si, uc);
}

int mon_signals_init(struct machine *m)
{
	static const int faults[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};
	struct sigaction sa;
	stack_t ss;
	char err[256];

	sig_machine = m;
	vcpu_tid = (pid_t)syscall(SYS_gettid);
	ss.ss_sp = malloc(ALT_STACK_SIZE);
	ss.ss_size = ALT_STACK_SIZE;
	ss.ss_flags = 0;
	if (!ss.ss_sp || sigaltstack(&ss, NULL) < 0) {
		mon_error("cannot set up the signal stack");
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	mask_async(&sa.sa_mask, false);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sa.sa_sigaction = on_fault;
	for (size_t i = 0; i < sizeof(faults) / sizeof(faults[0]); i++)
		sigaction(faults[i], &sa, NULL);
	mask_async(&sa.sa_mask, true);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sa.sa_sigaction = on_kick;
	sigaction(SIGUSR1, &sa, NULL);

	deadline_timer_init();
	/* Direct execution (--direct-exec) takes the handlers over and
	 * calls host_signal() for whatever is not guest user code. */
	if (!m->opt.direct_exec) {
		if (de_fpu_init(err, sizeof(err)) < 0) {
			mon_error("%s", err);
			return -1;
		}
		return 0;
	}
	if (de_init(m, err, sizeof(err)) < 0) {
		mon_error("direct execution: %s", err);
		return -1;
	}
	de_set_host_signal_hook(host_signal);
	return 0;
}

void mon_signal_kick(void)
{
	if (vcpu_tid)
		syscall(SYS_tgkill, getpid(), vcpu_tid, SIGUSR1);
}

int mon_cpu_timer_start(int signo, void (*handler)(int, siginfo_t *, void *),
			long interval_ns)
{
	struct sigevent sev;
	struct itimerspec its;
	struct sigaction sa;
	timer_t t;

	memset(&sa, 0, sizeof(sa));
	mask_async(&sa.sa_mask, true);
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART;
	sa.sa_sigaction = handler;
	if (sigaction(signo, &sa, NULL) < 0)
		return -1;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = signo;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	if (timer_create(CLOCK_THREAD_CPUTIME_ID, &sev, &t) < 0)
		return -1;
	its.it_interval.tv_sec = interval_ns / 1000000000L;
	its.it_interval.tv_nsec = interval_ns % 1000000000L;
	its.it_value = its.it_interval;
	return timer_settime(t, 0, &its, NULL);
}
