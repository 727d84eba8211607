/*
 * callret (native) - bench_callret() as an ordinary 32-bit Linux process.
 */
#include "bench-native.h"
#include "../callret.h"

int main(int argc, char **argv)
{
	uint32_t rounds = bench_native_rounds(argc, argv, BENCH_CALLRET_ROUNDS);
	uint64_t t0, t1;
	uint32_t result;

	t0 = bench_rdtsc();
	result = bench_callret(rounds);
	t1 = bench_rdtsc();
	return bench_native_report("callret", rounds, t1 - t0, result,
				   BENCH_CALLRET_OPS, BENCH_CALLRET_UNIT);
}
