/*
 * usercompute - the compute loop in ring 3: a small kernel maps its user
 * pages (the guest library's .user section) user-accessible, turns paging
 * on, and enters ring 3 (the library's user code and data selectors 0x1b
 * and 0x23, TSS ESP0 for the way back) at a user program that times
 * bench_compute() with the TSC and hands the result and the cycle count to
 * the kernel through int $0x80. The kernel prints the usual
 * "bench usercompute rounds=R cycles=C result=X" line.
 *
 * The loop is loops.h's, compiled into .user.text (BENCH_TEXT), so its
 * code is the compute row's; the native twin is compute itself. The user
 * program runs with IF = 1 and every PIC line masked, as a user process of
 * an idle kernel would, and makes no system call inside the timed region:
 * this row measures how fast an engine runs plain user code (direct
 * execution, for bt386).
 */
#define BENCH_TEXT __attribute__((section(".user.text")))
#include "bench-guest.h"
#include "../loops.h"

USER_DATA static uint8_t ubuf[BENCH_BUF_SIZE] __attribute__((aligned(64)));
USER_DATA static uint8_t ustack[4096] __attribute__((aligned(16)));
USER_DATA static volatile uint32_t u_rounds;
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))

USER_TEXT __attribute__((noreturn)) void user_main(void)
{
	uint64_t t0, t1, c;
	uint32_t r;

	t0 = bench_rdtsc();
	r = bench_compute(ubuf, sizeof(ubuf), u_rounds);
	t1 = bench_rdtsc();
	c = t1 - t0;
	bench_user_done(r, c);
}

static void sys_handler(struct trap_frame *f)
{
	if ((f->cs & 3) != 3 || f->eax != BENCH_SYS_DONE)
		panic("usercompute: system call %u from CPL %u", f->eax,
		      f->cs & 3);
	bench_take_done(f);
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t rounds = bench_arg_rounds(mbi, BENCH_COMPUTE_ROUNDS);
	uint32_t *pd;

	(void)magic;
	u_rounds = rounds;
	bench_fill(ubuf, sizeof(ubuf));
	trap_set_handler(0x80, sys_handler);

	pd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	bench_run_user("usercompute", rounds, pd, user_main, USTACK_TOP);
}
