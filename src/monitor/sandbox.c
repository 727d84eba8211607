/*
 * sandbox.c - the monitor's seccomp filters (include/monitor/sandbox.h).
 *
 * Built with libseccomp: a filter that names only the native x86-64 ABI
 * sends every system call of another ABI (i386 through int 0x80,
 * sysenter or compat syscall; x32) to the "bad architecture" action.
 */
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <string.h>

#include "monitor/sandbox.h"

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
