/*
 * sandbox.c - the monitor's seccomp filters (include/monitor/sandbox.h).
 *
 * Built with libseccomp. A filter names only the native x86-64 ABI, so
 * every system call of another ABI (i386 through int 0x80, sysenter or
 * compat syscall; x32) takes the "bad architecture" action: SIGSYS.
 *
 * The allowlist is what the monitor calls at run time (measured with
 * strace over the test guests, then reasoned about): the I/O thread's
 * epoll/read/timerfd, console and disk I/O on descriptors already open,
 * the shadow's mmap/mprotect/munmap of the memfd in its views,
 * fallocate to clear RAM on reboot, direct execution's modify_ldt and
 * signals, the kick (tgkill to this process), futexes, time, exit, and
 * accept4 on the gdb stub's listening socket. Set-up (opening files,
 * creating threads, reserving memory, the stub's socket) happens before.
 */
#include <errno.h>
#include <fcntl.h>
#include <asm/prctl.h>
#include <linux/audit.h>
#include <seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <termios.h>
#include <unistd.h>

#include "monitor/sandbox.h"

#include "bt/bt.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif

#define LOW4G (1ull << 32)
#define MAX_NR 512

static bool confined;
static int accept_fd = -1; /* sandbox_allow_accept() */
/* Names of the 64-bit system calls, resolved before confinement so that
 * the SIGSYS handler needs no allocation. */
static char names[MAX_NR][24];

int sandbox_trap_compat_syscalls(char *err, size_t errlen)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int rc;

	if (!ctx) {
		snprintf(err, errlen, "seccomp_init failed");
		return -1;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
	if (rc == 0)
		rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	if (rc == 0)
		rc = seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc < 0) {
		snprintf(err, errlen, "seccomp filter: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

/* System calls allowed with any arguments. */
static const int plain[] = {
	SCMP_SYS(read),
	SCMP_SYS(write),
	SCMP_SYS(readv),
	SCMP_SYS(writev),
	SCMP_SYS(pread64),
	SCMP_SYS(pwrite64),
	SCMP_SYS(lseek),
	SCMP_SYS(fstat),
	SCMP_SYS(newfstatat),
	SCMP_SYS(close),
	SCMP_SYS(fsync),
	SCMP_SYS(fdatasync),
	SCMP_SYS(fallocate),
	SCMP_SYS(epoll_wait),
	SCMP_SYS(epoll_ctl),
	SCMP_SYS(epoll_pwait),
	SCMP_SYS(poll),
	SCMP_SYS(ppoll),
	SCMP_SYS(timerfd_settime),
	SCMP_SYS(timerfd_gettime),
	/* The vCPU thread's own timers (its deadline timer, signals.c). */
	SCMP_SYS(timer_settime),
	SCMP_SYS(clock_gettime),
	SCMP_SYS(clock_nanosleep),
	SCMP_SYS(nanosleep),
	SCMP_SYS(gettimeofday),
	SCMP_SYS(futex),
	SCMP_SYS(sched_yield),
	SCMP_SYS(rt_sigreturn),
	SCMP_SYS(rt_sigprocmask),
	SCMP_SYS(rt_sigaction),
	SCMP_SYS(sigaltstack),
	SCMP_SYS(restart_syscall),
	SCMP_SYS(getpid),
	SCMP_SYS(gettid),
	SCMP_SYS(brk),
	SCMP_SYS(munmap),
	SCMP_SYS(madvise),
	/* glibc's qsort asks for the memory size (capstone sorts, under
	 * --trace=bt); it reads nothing of anyone's. */
	SCMP_SYS(sysinfo),
	SCMP_SYS(modify_ldt),
	SCMP_SYS(exit),
	SCMP_SYS(exit_group),
	/* Only ever narrows what this process may do. */
	SCMP_SYS(seccomp),
};

static int allow(scmp_filter_ctx ctx, int nr, unsigned n,
		 const struct scmp_arg_cmp *cmp)
{
	return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, n, cmp);
}

static int add_rules(scmp_filter_ctx ctx)
{
	pid_t pid = getpid();
	int rc = 0;

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]) && !rc; i++)
		rc = allow(ctx, plain[i], 0, NULL);
	if (rc)
		return rc;
	/* Executable memory only where the guest's shadow lives: a fixed
	 * address below 4 GiB and a length of at most 4 GiB (so it ends
	 * below 8 GiB, far under anything of the monitor's, which the host
	 * places near the top of the address space). The code cache was
	 * mapped at set-up. */
	rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
			      SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc = rc
		     ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 3,
					 SCMP_A0(SCMP_CMP_LT, LOW4G),
					 SCMP_A1(SCMP_CMP_LE, LOW4G),
					 SCMP_A3(SCMP_CMP_MASKED_EQ, MAP_FIXED,
						 MAP_FIXED));
	rc = rc
		     ?: seccomp_rule_add(
				ctx, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	rc = rc
		     ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
					 SCMP_SYS(mprotect), 2,
					 SCMP_A0(SCMP_CMP_LT, LOW4G),
					 SCMP_A1(SCMP_CMP_LE, LOW4G));
	rc = rc ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(mremap), 0);
	/* Signals to this process only (kicks, raise()). */
	rc = rc
		     ?: seccomp_rule_add(
				ctx, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)pid));
	rc = rc
		     ?: seccomp_rule_add(
				ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
				SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)pid));
	/* The terminal: read and restore its mode. */
	rc = rc
		     ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl),
					 1, SCMP_A1(SCMP_CMP_EQ, TCGETS));
	rc = rc
		     ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl),
					 1, SCMP_A1(SCMP_CMP_EQ, TCSETS));
	rc = rc
		     ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl),
					 1, SCMP_A1(SCMP_CMP_EQ, TCSETSW));
	rc = rc
		     ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(ioctl),
					 1, SCMP_A1(SCMP_CMP_EQ, TCSETSF));
	/* The translator points the host GS base at the guest's views; on
	 * a host without user-space FSGSBASE that is arch_prctl(ARCH_SET_GS)
	 * (the monitor's own thread state, nothing outside it), and only
	 * where the translator uses it is it allowed. */
	if (!bt_gs_switch_cheap())
		rc = rc
			     ?: seccomp_rule_add(
					ctx, SCMP_ACT_ALLOW,
					SCMP_SYS(arch_prctl), 1,
					SCMP_A0(SCMP_CMP_EQ, ARCH_SET_GS));
	/* Direct execution arms the vCPU thread on its first entry: CPUID
	 * faulting, Syscall User Dispatch, no_new_privs (all narrowing). */
	rc = rc
		     ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
					 SCMP_SYS(arch_prctl), 1,
					 SCMP_A0(SCMP_CMP_EQ, 0x1011));
	rc = rc
		     ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW,
					 SCMP_SYS(arch_prctl), 1,
					 SCMP_A0(SCMP_CMP_EQ, 0x1012));
	rc = rc
		     ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl),
					 1, SCMP_A0(SCMP_CMP_EQ, 59));
	rc = rc
		     ?: seccomp_rule_add(
				ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl), 1,
				SCMP_A0(SCMP_CMP_EQ, PR_SET_NO_NEW_PRIVS));
	rc = rc
		     ?: seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(prctl),
					 1,
					 SCMP_A0(SCMP_CMP_EQ, PR_GET_SECCOMP));
	/* The gdb stub: connections on its listening socket only (it reads
	 * and writes them with read/write and polls them). */
	if (accept_fd >= 0)
		rc = rc
			     ?: seccomp_rule_add(
					ctx, SCMP_ACT_ALLOW, SCMP_SYS(accept4),
					1,
					SCMP_A0(SCMP_CMP_EQ,
						(scmp_datum_t)accept_fd));
	return rc;
}

static void on_sigsys(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	if (sandbox_violation(si))
		return;
	signal(sig, SIG_DFL);
	raise(sig);
}

int sandbox_confine(char *err, size_t errlen)
{
	scmp_filter_ctx ctx;
	struct sigaction old;
	int rc;

	for (int nr = 0; nr < MAX_NR; nr++) {
		char *n =
			seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);

		snprintf(names[nr], sizeof(names[nr]), "%s", n ? n : "?");
		free(n);
	}
	/* Someone must catch SIGSYS (direct execution does, and passes the
	 * monitor's own to sandbox_violation()). */
	if (sigaction(SIGSYS, NULL, &old) == 0 &&
	    !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSYS, &sa, NULL);
	}
	ctx = seccomp_init(SCMP_ACT_TRAP);
	if (!ctx) {
		snprintf(err, errlen, "sandbox: seccomp_init failed");
		return -1;
	}
	rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_TRAP);
	rc = rc ?: seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1);
	rc = rc ?: seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1);
	rc = rc ?: add_rules(ctx);
	rc = rc ?: seccomp_load(ctx);
	seccomp_release(ctx);
	if (rc) {
		snprintf(err, errlen,
			 "sandbox: cannot install the seccomp filter: %s "
			 "(--no-sandbox runs without it)",
			 strerror(rc < 0 ? -rc : rc));
		return -1;
	}
	confined = true;
	return 0;
}

void sandbox_allow_accept(int fd)
{
	accept_fd = fd;
}

bool sandbox_on(void)
{
	return confined;
}

/* Append decimal `v` to p (no stdio in signal context). */
static char *put_uint(char *p, unsigned long v)
{
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

bool sandbox_violation(const siginfo_t *si)
{
	char msg[256], *p = msg;
	unsigned nr = (unsigned)si->si_syscall;

	if (si->si_code != SYS_SECCOMP || si->si_arch != AUDIT_ARCH_X86_64)
		return false;
	p = put_str(p, "\r\nbt386: sandbox: blocked system call ");
	p = put_str(p, nr < MAX_NR && names[nr][0] ? names[nr] : "?");
	p = put_str(p, " (");
	p = put_uint(p, nr);
	p = put_str(p, "); stopping (a monitor bug, or guest code that "
		       "escaped; --no-sandbox runs without the filter)\n");
	if (write(STDERR_FILENO, msg, (size_t)(p - msg)) < 0) {
	}
	_exit(1);
}
