/*
 * compute (native) - bench_compute() as an ordinary 32-bit Linux process:
 * the "native" column of the benchmark report.
 */
#include <stdio.h>
#include <stdlib.h>

#include "../loops.h"

static uint8_t buf[BENCH_BUF_SIZE];

int main(int argc, char **argv)
{
	uint32_t rounds = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0)
				   : BENCH_COMPUTE_ROUNDS;
	uint64_t t0, t1;
	uint32_t result;

	bench_fill(buf, sizeof(buf));
	t0 = bench_rdtsc();
	result = bench_compute(buf, sizeof(buf), rounds);
	t1 = bench_rdtsc();
	printf("bench compute rounds=%u cycles=%llu result=%08x\n", rounds,
	       (unsigned long long)(t1 - t0), result);
	return 0;
}
