/*
 * indirect (native) - bench_indirect() as an ordinary 32-bit Linux process.
 */
#include "bench-native.h"
#include "../indirect.h"

int main(int argc, char **argv)
{
	uint32_t rounds =
		bench_native_rounds(argc, argv, BENCH_INDIRECT_ROUNDS);
	uint64_t t0, t1;
	uint32_t result;

	t0 = bench_rdtsc();
	result = bench_indirect(rounds);
	t1 = bench_rdtsc();
	return bench_native_report("indirect", rounds, t1 - t0, result,
				   BENCH_INDIRECT_OPS, BENCH_INDIRECT_UNIT);
}
