/*
 * compute (native) - bench_compute() as an ordinary 32-bit Linux process:
 * the "native" column of the compute and usercompute rows.
 */
#include "bench-native.h"
#include "../loops.h"

static uint8_t buf[BENCH_BUF_SIZE];

int main(int argc, char **argv)
{
	uint32_t rounds = bench_native_rounds(argc, argv, BENCH_COMPUTE_ROUNDS);
	uint64_t t0, t1;
	uint32_t result;

	bench_fill(buf, sizeof(buf));
	t0 = bench_rdtsc();
	result = bench_compute(buf, sizeof(buf), rounds);
	t1 = bench_rdtsc();
	return bench_native_report("compute", rounds, t1 - t0, result,
				   BENCH_COMPUTE_OPS, BENCH_COMPUTE_UNIT);
}
