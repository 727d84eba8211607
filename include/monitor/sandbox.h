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
 * them at its landing pad above 4 GiB. Filters stay for the thread's
 * life and are inherited by threads it creates.
 */
#ifndef BT386_MONITOR_SANDBOX_H
#define BT386_MONITOR_SANDBOX_H

#include <stddef.h>

int sandbox_trap_compat_syscalls(char *err, size_t errlen);

#endif
