/*
 * sandbox.h - the monitor's seccomp filters.
 *
 * sandbox_trap_compat_syscalls(): on the calling thread, every system
 * call made through a 32-bit entry of the host kernel (int 0x80, the
 * compat sysenter/syscall fast paths) raises SIGSYS (si_code SYS_SECCOMP,
 * si_arch AUDIT_ARCH_I386) instead of running. Guest code is the only
 * 32-bit code in the process, so this keeps every guest system call away
 * from the host kernel whatever path the host CPU takes (Intel enters the
 * kernel on a compatibility-mode sysenter, AMD on syscall), including
 * those Syscall User Dispatch lets through because the kernel reports
 * them at its landing pad above 4 GiB. Direct execution installs it on
 * the vCPU thread; it is part of the sandbox below as well.
 *
 * sandbox_confine(): after set-up (every file opened, every thread
 * started), the whole process keeps only the system calls the monitor
 * needs while guests run, with argument checks where a call could widen
 * what code in the process can do: no open/exec/socket/ptrace/clone
 * (connections only on the gdb stub's socket, if there is one),
 * executable mappings only in the guest's low 4 GiB, signals only to
 * this process, ioctl only the terminal's own. Anything else raises
 * SIGSYS, which stops the monitor with one line naming the call
 * (sandbox_violation()). So code that escaped guest mode can do no more
 * than the guest already could. Filters stay for the process's life.
 */
#ifndef BT386_MONITOR_SANDBOX_H
#define BT386_MONITOR_SANDBOX_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

int sandbox_trap_compat_syscalls(char *err, size_t errlen);

int sandbox_confine(char *err, size_t errlen);

/* Before sandbox_confine(): also allow accept4() on the listening socket
 * `fd` (the gdb stub's; its connections are read, written and polled). */
void sandbox_allow_accept(int fd);

/* Is the process confined? */
bool sandbox_on(void);

/*
 * A SIGSYS from the sandbox (si_code SYS_SECCOMP, 64-bit ABI): report it
 * in one line and end the process (status 1). Returns (false) for any
 * other SIGSYS. Async-signal-safe.
 */
bool sandbox_violation(const siginfo_t *si);

#endif
