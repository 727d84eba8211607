/*
 * hostcheck.c - the host features bt386 relies on (DESIGN.md section 1),
 * checked at start-up so a missing one is named instead of failing later
 * in some obscure way.
 *
 * The interpreter needs only memfd; binary translation and direct
 * execution need the rest. Each check is a harmless probe of the real
 * interface (not a kernel version guess).
 */
#include <asm/ldt.h>
#include <asm/prctl.h>
#include <errno.h>
#include <linux/seccomp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "monitor/monitor.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#endif
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif
#ifndef ARCH_GET_CPUID
#define ARCH_GET_CPUID 0x1011
#define ARCH_SET_CPUID 0x1012
#endif

struct host_feature {
	const char *name;
	enum host_need need;
	bool (*probe)(char *detail, size_t len);
};

static bool probe_memfd(char *detail, size_t len)
{
	int fd = memfd_create("bt386-probe", MFD_CLOEXEC);

	if (fd < 0) {
		snprintf(detail, len, "memfd_create: %s", strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

static bool probe_views(char *detail, size_t len)
{
	unsigned long min = 0;
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");
	void *p;

	if (f) {
		if (fscanf(f, "%lu", &min) != 1)
			min = 0;
		fclose(f);
	}
	/* Probe a page in each view (mmu/shadow.h). */
	for (unsigned long a = 0x40000000ul; a < (3ul << 32); a += 2ul << 32) {
		p = mmap((void *)a, 4096, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1,
			 0);
		if (p == MAP_FAILED) {
			snprintf(detail, len, "mmap at %#lx: %s", a,
				 strerror(errno));
			return false;
		}
		munmap(p, 4096);
	}
	snprintf(
		detail, len,
		"vm.mmap_min_addr = %lu: user-view pages below it are emulated",
		min);
	return true;
}

static bool probe_modify_ldt(char *detail, size_t len)
{
	char buf[16];
	long r = syscall(SYS_modify_ldt, 0, buf, sizeof(buf));

	if (r < 0) {
		snprintf(detail, len,
			 "modify_ldt: %s (kernel built without "
			 "CONFIG_MODIFY_LDT_SYSCALL?)",
			 strerror(errno));
		return false;
	}
	return true;
}

static bool probe_sud(char *detail, size_t len)
{
	if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0) <
	    0) {
		snprintf(detail, len,
			 "PR_SET_SYSCALL_USER_DISPATCH: %s "
			 "(needs Linux >= 5.11)",
			 strerror(errno));
		return false;
	}
	return true;
}

static bool probe_fsgsbase(char *detail, size_t len)
{
	if (!(getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE)) {
		snprintf(detail, len,
			 "user-space FSGSBASE is not enabled "
			 "(needs Linux >= 5.9 and CPU support)");
		return false;
	}
	return true;
}

static bool probe_cpuid_faulting(char *detail, size_t len)
{
	if (syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1) < 0) {
		snprintf(detail, len,
			 "ARCH_SET_CPUID: %s: guest user cpuid "
			 "sees the host CPU",
			 strerror(errno));
		return false;
	}
	return true;
}

static bool probe_seccomp(char *detail, size_t len)
{
	/* The sandbox and the trap of guest 32-bit system calls need
	 * filters whose action is SIGSYS. */
	uint32_t action = SECCOMP_RET_TRAP;

	if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action) < 0) {
		snprintf(detail, len,
			 "seccomp SECCOMP_RET_TRAP: %s (needs "
			 "CONFIG_SECCOMP_FILTER)",
			 strerror(errno));
		return false;
	}
	return true;
}

static const struct host_feature features[] = {
	{"seccomp filters (sandbox, guest system calls)", HOST_NEED_ALWAYS,
	 probe_seccomp},
	{"memfd_create (guest RAM)", HOST_NEED_ALWAYS, probe_memfd},
	{"mappable low 12 GiB (shadow views)", HOST_NEED_BT, probe_views},
	{"modify_ldt (32-bit guest segments)", HOST_NEED_DIRECT,
	 probe_modify_ldt},
	{"Syscall User Dispatch (guest system calls)", HOST_NEED_DIRECT,
	 probe_sud},
	{"FSGSBASE in user space (signal entry)", HOST_NEED_DIRECT,
	 probe_fsgsbase},
	{"CPUID faulting (virtual CPUID, --direct-exec)", HOST_NEED_OPTIONAL,
	 probe_cpuid_faulting},
};

int mon_check_host(enum engine engine, bool direct, bool verbose)
{
	int missing = 0;

	for (size_t i = 0; i < sizeof(features) / sizeof(features[0]); i++) {
		const struct host_feature *f = &features[i];
		bool bt = engine != ENGINE_INTERP;
		bool needed = f->need == HOST_NEED_ALWAYS ||
			      (f->need == HOST_NEED_BT && bt) ||
			      (f->need == HOST_NEED_DIRECT && bt && direct);
		char detail[256] = "";
		bool ok = f->probe(detail, sizeof(detail));

		if (verbose)
			printf("  %-46s %-8s %s%s%s\n", f->name,
			       ok ? "ok" : "MISSING",
			       f->need == HOST_NEED_OPTIONAL ? "(optional) "
			       : f->need == HOST_NEED_BT     ? "(bt engine) "
			       : f->need == HOST_NEED_DIRECT
				       ? "(--direct-exec) "
				       : "",
			       detail, "");
		else if (!ok && needed)
			mon_error("host feature missing: %s: %s", f->name,
				  detail);
		if (!ok && needed)
			missing++;
	}
	return missing ? -1 : 0;
}
