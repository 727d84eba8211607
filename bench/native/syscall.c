/*
 * syscall (native) - getppid through int $0x80 from a 32-bit Linux
 * process, the host kernel's minimal system call round trip: the "native"
 * column of the syscall row. The checksum folds in whether the answer was
 * the parent found before the loop, as the guest folds in whether its
 * kernel answered the expected parent.
 *
 * int $0x80 is the guest's instruction, but not the host's fast path: a
 * 32-bit process normally enters through the vDSO (__kernel_vsyscall:
 * sysenter or syscall), which on some hosts (a KVM guest whose exceptions
 * go through the hypervisor) is far cheaper. The program also times the
 * same number of getppid calls through libc and prints them as
 * "alt syscall vdso rounds=R cycles=C" for the report's summary.
 */
#include <sys/syscall.h>
#include <unistd.h>

#include "bench-native.h"
#include "../loops.h"

#define SYS_GETPPID 64 /* __NR_getppid on i386 */

int main(int argc, char **argv)
{
	uint32_t rounds = bench_native_rounds(argc, argv, 100000);
	uint32_t want = (uint32_t)getppid(), h = 0x811c9dc5u, v;
	uint64_t t0, t1, t0v, t1v;

	t0 = bench_rdtsc();
	for (uint32_t r = 0; r < rounds; r++) {
		__asm__ volatile("int $0x80"
				 : "=a"(v)
				 : "a"(SYS_GETPPID)
				 : "memory");
		h = bench_mix(h, r ^ (v == want));
	}
	t1 = bench_rdtsc();
	t0v = bench_rdtsc();
	for (uint32_t r = 0; r < rounds; r++)
		syscall(SYS_getppid);
	t1v = bench_rdtsc();
	printf("alt syscall vdso rounds=%u cycles=%llu\n", rounds,
	       (unsigned long long)(t1v - t0v));
	return bench_native_report("syscall", rounds, t1 - t0, h, 1, "syscall");
}
