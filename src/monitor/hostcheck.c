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
#include <sys/wait.h>
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

/*
 * A child maps a page below 4 GiB (its code and, at its top, its stack),
 * installs a flat 32-bit code segment in its LDT and far-returns into it;
 * the 32-bit code far-returns to the 64-bit segment, which exits with
 * status 0. A fault kills the child.
 */
#define PROBE_LDT_ENTRY 1

static void probe_32bit_child(void)
{
	static const uint8_t exit0[] = {
		0xb8, 0xe7, 0x00, 0x00, 0x00, /* mov $231 (exit_group), %eax */
		0x31, 0xff,		      /* xor %edi, %edi */
		0x0f, 0x05,		      /* syscall */
	};
	struct user_desc d;
	uint16_t cs64;
	uint32_t back;
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);

	if (page == MAP_FAILED)
		_exit(2);
	memset(&d, 0, sizeof(d));
	d.entry_number = PROBE_LDT_ENTRY;
	d.limit = 0xfffff;
	d.seg_32bit = 1;
	d.contents = MODIFY_LDT_CONTENTS_CODE;
	d.limit_in_pages = 1;
	d.useable = 1;
	if (syscall(SYS_modify_ldt, 0x11, &d, sizeof(d)) != 0)
		_exit(3);
	__asm__ volatile("mov %%cs, %0" : "=r"(cs64));
	back = (uint32_t)(uintptr_t)(page + 32);
	/* 32-bit: push $cs64; push $back; lret */
	page[0] = 0x68;
	memcpy(page + 1, &(uint32_t){cs64}, 4);
	page[5] = 0x68;
	memcpy(page + 6, &back, 4);
	page[10] = 0xcb;
	memcpy(page + 32, exit0, sizeof(exit0));
	/* The stack moves to the page too: 32-bit code pushes through ESP. */
	__asm__ volatile("mov %2, %%rsp\n\tpushq %0\n\tpushq %1\n\tlretq"
			 :
			 : "r"((uint64_t)(PROBE_LDT_ENTRY << 3 | 7)),
			   "r"((uint64_t)(uintptr_t)page),
			   "r"((uint64_t)(uintptr_t)(page + 4096))
			 : "memory");
	_exit(4);
}

bool mon_host_runs_32bit_code(char *detail, size_t len)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		snprintf(detail, len, "fork: %s", strerror(errno));
		return false;
	}
	if (pid == 0)
		probe_32bit_child();
	if (waitpid(pid, &status, 0) != pid) {
		snprintf(detail, len, "waitpid: %s", strerror(errno));
		return false;
	}
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return true;
	if (WIFSIGNALED(status))
		snprintf(detail, len,
			 "a 32-bit code segment in the LDT faults (%s): the "
			 "host kernel runs no 32-bit user code (a hypervisor "
			 "such as PVM?)",
			 strsignal(WTERMSIG(status)));
	else
		snprintf(detail, len, "the probe failed at step %d",
			 WEXITSTATUS(status));
	return false;
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
	{"32-bit code segments (guest user code)", HOST_NEED_DIRECT,
	 mon_host_runs_32bit_code},
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
		bool ok;

		/* A run probes only what it needs (the 32-bit probe forks). */
		if (!verbose && !needed && f->need != HOST_NEED_OPTIONAL)
			continue;
		ok = f->probe(detail, sizeof(detail));

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
