/*
 * syscall - system call round trips: a user process (ring 3, paging on,
 * IF = 1) calls getppid through int $0x80 in a loop, and a minimal kernel
 * handler returns the value from the process's record. One round is one
 * int $0x80 -> handler -> iret round trip, through the guest library's
 * ordinary trap path (registers and data segments saved and reloaded, a C
 * handler), which is about what a small real kernel does.
 *
 * Layout: as in a higher-half kernel (Linux, xv6), no page of the kernel
 * is hidden from the user view: the identity-mapped low 16 MiB carry U
 * (the library links the kernel and its user pages into the same 4 MiB
 * region, so the kernel cannot lie above the user boundary). Otherwise
 * bt386 would unmap the kernel's pages on every return to ring 3 and
 * refault them on every entry, a cost that real guests do not pay.
 *
 * The user program times its loop with the TSC and hands the result and
 * the cycle count to the kernel (BENCH_SYS_DONE), which prints the usual
 * "bench syscall rounds=R cycles=C result=X" line. The native twin calls
 * getppid through int $0x80 in a 32-bit Linux process; the checksum folds
 * in only whether the answer was the expected parent, so both agree.
 */
#define BENCH_TEXT __attribute__((section(".user.text")))
#include "bench-guest.h"
#include "../loops.h"

#define SYS_GETPPID 64 /* Linux i386's number, as in the native twin */
#define PARENT_PID 1

USER_DATA static uint8_t ustack[4096] __attribute__((aligned(16)));
USER_DATA static volatile uint32_t u_rounds;
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))

static struct {
	uint32_t pid, ppid;
} k_proc = {2, PARENT_PID};

static USER_TEXT __attribute__((noreturn)) void user_main(void)
{
	uint32_t n = u_rounds, h = 0x811c9dc5u, v;
	uint64_t t0, t1, c;

	t0 = bench_rdtsc();
	for (uint32_t r = 0; r < n; r++) {
		__asm__ volatile("int $0x80"
				 : "=a"(v)
				 : "a"(SYS_GETPPID)
				 : "memory");
		h = bench_mix(h, r ^ (v == PARENT_PID));
	}
	t1 = bench_rdtsc();
	c = t1 - t0;
	bench_user_done(h, c);
}

static void sys_handler(struct trap_frame *f)
{
	if ((f->cs & 3) != 3)
		panic("syscall: system call %u from CPL %u", f->eax, f->cs & 3);
	if (f->eax == SYS_GETPPID) {
		f->eax = k_proc.ppid;
		return;
	}
	if (f->eax != BENCH_SYS_DONE)
		panic("syscall: unknown system call %u", f->eax);
	bench_take_done(f);
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t rounds = bench_arg_rounds(mbi, 100000);
	uint32_t *pd;

	(void)magic;
	u_rounds = rounds;
	trap_set_handler(0x80, sys_handler);

	pd = bench_user_pd();
	bench_run_user("syscall", rounds, pd, user_main, USTACK_TOP);
}
