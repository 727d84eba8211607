/*
 * bench-guest.h - what every benchmark guest shares: the round count from
 * the kernel command line and the report line.
 *
 * The report is "bench NAME rounds=R cycles=C result=X" on COM1, the line
 * bench/run looks for; the guest then leaves through debug-exit with 0.
 * The guest printf has no 64-bit conversions, so the cycle count is
 * printed as two decimal halves.
 */
#ifndef BT386_BENCH_GUESTS_BENCH_GUEST_H
#define BT386_BENCH_GUESTS_BENCH_GUEST_H

#include "guest.h"

/* "rounds=N" anywhere on the command line, else `dflt`. */
static inline uint32_t bench_arg_rounds(const struct mb_info *mbi,
					uint32_t dflt)
{
	const char *p;
	uint32_t n = 0;

	if (!(mbi->flags & MBI_CMDLINE))
		return dflt;
	for (p = (const char *)mbi->cmdline; *p; p++)
		if (!strncmp(p, "rounds=", 7))
			break;
	if (!*p)
		return dflt;
	for (p += 7; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (uint32_t)(*p - '0');
	return n ? n : dflt;
}

static inline __attribute__((noreturn)) void bench_report(const char *name,
							  uint32_t rounds,
							  uint64_t cycles,
							  uint32_t result)
{
	uint32_t hi = (uint32_t)(cycles / 1000000000u);
	uint32_t lo = (uint32_t)(cycles % 1000000000u);

	if (hi)
		printf("bench %s rounds=%u cycles=%u%09u result=%08x\n", name,
		       rounds, hi, lo, result);
	else
		printf("bench %s rounds=%u cycles=%u result=%08x\n", name,
		       rounds, lo, result);
	debug_exit(0);
}

/*
 * Ring-3 benchmarks: user code times its loop and hands the result and
 * the cycle count to the kernel with system call BENCH_SYS_DONE (int
 * 0x80: EAX = 1, EBX = result, EDX:ECX = cycles); the kernel's handler
 * passes it to bench_take_done(), which returns to guest_main, where
 * bench_run_user() prints the report.
 */
#define BENCH_SYS_DONE 1

static struct {
	uint32_t result, cycles_lo, cycles_hi;
} bench_done __attribute__((unused));

/* User side (inlined into .user.text code): never returns. */
static inline __attribute__((always_inline, noreturn)) void
bench_user_done(uint32_t result, uint64_t cycles)
{
	__asm__ volatile("int $0x80"
			 :
			 : "a"(BENCH_SYS_DONE), "b"(result),
			   "c"((uint32_t)cycles), "d"((uint32_t)(cycles >> 32))
			 : "memory");
	for (;;)
		;
}

/* Kernel side, from the int 0x80 handler for BENCH_SYS_DONE. */
static inline __attribute__((noreturn)) void
bench_take_done(const struct trap_frame *f)
{
	bench_done.result = f->ebx;
	bench_done.cycles_lo = f->ecx;
	bench_done.cycles_hi = f->edx;
	return_to_kernel(0);
}

/*
 * The kernel's page directory with the identity-mapped low 16 MiB made
 * user-accessible: the library keeps kernel and user pages in the same
 * first megabytes, and supervisor pages there would be unmapped at every
 * entry to user mode (bench/README.md), which is not what these measure.
 */
static inline uint32_t *bench_user_pd(void)
{
	uint32_t *pd = pd_kernel();

	for (uint32_t va = 0; va < 0x1000000u; va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	return pd;
}

/* Run `entry` in ring 3 (IF=1) on `pd`, then report. */
static inline __attribute__((noreturn)) void
bench_run_user(const char *name, uint32_t rounds, uint32_t *pd,
	       void (*entry)(void), uint32_t stack_top)
{
	paging_enable(pd);
	write_cr0(read_cr0() | CR0_WP);
	enter_user((uint32_t)entry, stack_top, FL_IF | 0x2);
	cli();
	paging_disable();
	bench_report(name, rounds,
		     (uint64_t)bench_done.cycles_hi << 32 |
			     bench_done.cycles_lo,
		     bench_done.result);
}

#endif
