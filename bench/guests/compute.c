/*
 * compute - the ring-0 compute benchmark guest: times bench_compute() with
 * the TSC and prints "bench compute rounds=R cycles=C result=X". Under
 * bt386 the guest TSC is the host TSC (plus an offset) and under QEMU TCG
 * it is the host TSC too, so cycle counts compare directly with the native
 * program.
 *
 * The round count comes from the command line ("rounds=N"), so the harness
 * can give each engine an amount of work that suits its speed.
 */
#include "bench-guest.h"
#include "../loops.h"

static uint8_t buf[BENCH_BUF_SIZE];

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t rounds = bench_arg_rounds(mbi, BENCH_COMPUTE_ROUNDS), result;
	uint64_t t0, t1;

	(void)magic;
	bench_fill(buf, sizeof(buf));
	t0 = bench_rdtsc();
	result = bench_compute(buf, sizeof(buf), rounds);
	t1 = bench_rdtsc();
	bench_report("compute", rounds, t1 - t0, result);
}
