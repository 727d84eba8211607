/*
 * indirect - the ring-0 indirect-branch benchmark guest: times
 * bench_indirect() (indirect.h), a switch-dispatched bytecode interpreter
 * that makes one jump-table `jmp *` per bytecode and calls through a
 * function-pointer table, and prints "bench indirect rounds=R cycles=C
 * result=X".
 */
#include "bench-guest.h"
#include "../indirect.h"

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t rounds = bench_arg_rounds(mbi, BENCH_INDIRECT_ROUNDS), result;
	uint64_t t0, t1;

	(void)magic;
	t0 = bench_rdtsc();
	result = bench_indirect(rounds);
	t1 = bench_rdtsc();
	bench_report("indirect", rounds, t1 - t0, result);
}
