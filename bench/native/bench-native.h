/*
 * bench-native.h - what the native twins share: the round count from
 * argv[1] and the report line, the same "bench NAME rounds=R cycles=C
 * result=X" the guests print, followed by "ops NAME N UNIT" (the work in
 * one round, UNIT singular, which bench/run uses for its per-operation
 * summary).
 */
#ifndef BT386_BENCH_NATIVE_BENCH_NATIVE_H
#define BT386_BENCH_NATIVE_BENCH_NATIVE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static inline uint32_t bench_native_rounds(int argc, char **argv, uint32_t dflt)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 0) : 0;

	return n ? n : dflt;
}

static inline int bench_native_report(const char *name, uint32_t rounds,
				      uint64_t cycles, uint32_t result,
				      uint32_t ops, const char *unit)
{
	printf("bench %s rounds=%u cycles=%llu result=%08x\n", name, rounds,
	       (unsigned long long)cycles, result);
	printf("ops %s %u %s\n", name, ops, unit);
	return 0;
}

#endif
