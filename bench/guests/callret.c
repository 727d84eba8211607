/*
 * callret - the ring-0 call/return benchmark guest: times bench_callret()
 * (callret.h), BENCH_CALLRET_OPS near calls and returns per round, and
 * prints "bench callret rounds=R cycles=C result=X".
 */
#include "bench-guest.h"
#include "../callret.h"

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t rounds = bench_arg_rounds(mbi, BENCH_CALLRET_ROUNDS), result;
	uint64_t t0, t1;

	(void)magic;
	t0 = bench_rdtsc();
	result = bench_callret(rounds);
	t1 = bench_rdtsc();
	bench_report("callret", rounds, t1 - t0, result);
}
