/*
 * loops.h - the work the benchmarks time, shared by the benchmark guests
 * (ring 0 or ring 3 under bt386 and QEMU) and the native 32-bit host
 * programs, so every column of the report runs the very same C compiled
 * the same way. This file holds the helpers every loop uses and the
 * compute loop; callret.h and indirect.h hold the others.
 *
 * Each loop returns a checksum that the harness compares across engines:
 * a fast wrong answer is not a result. Loops are noinline and noclone so
 * that gcc keeps one copy with a fixed calling convention, and every call
 * the C asks for stays a real call. (`unused`: each program includes every
 * loop of its header but needs only some.)
 *
 * BENCH_TEXT places the loop code in a chosen section: usercompute defines
 * it as .user.text so that the same functions run in ring 3; elsewhere it
 * is empty. A section does not change the generated code.
 */
#ifndef BT386_BENCH_LOOPS_H
#define BT386_BENCH_LOOPS_H

#include <stdint.h>

#ifndef BENCH_TEXT
#define BENCH_TEXT
#endif
#define BENCH_FN static BENCH_TEXT __attribute__((noinline, noclone, unused))

#define BENCH_BUF_SIZE 4096

static inline __attribute__((always_inline)) uint64_t bench_rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* A mixing step behind a real call, so calls and returns are measured. */
BENCH_FN uint32_t bench_mix(uint32_t h, uint32_t v)
{
	h ^= v;
	h *= 0x01000193u;
	return h ^ (h >> 13);
}

/*
 * compute: checksum a buffer (Adler/Fletcher style, byte loads, adds,
 * shifts), with a call every 64 bytes; `rounds` passes over the buffer.
 * gcc makes each byte two basic blocks (7 instructions ending in a
 * forward jne, 3 ending in the backward jne), plus a call to bench_mix()
 * (6 instructions and a ret) every 64 bytes: about 10 instructions per
 * byte; the only stores are the return addresses of those calls.
 */
BENCH_FN uint32_t bench_compute(const uint8_t *buf, uint32_t len,
				uint32_t rounds)
{
	uint32_t a = 1, b = 0, h = 0x811c9dc5u;

	for (uint32_t r = 0; r < rounds; r++) {
		for (uint32_t i = 0; i < len; i++) {
			a += buf[i];
			b += a;
			if ((i & 63) == 63)
				h = bench_mix(h, a ^ (b << 3));
		}
		a &= 0xffff;
		b &= 0xffff;
	}
	return h ^ (b << 16) ^ a;
}

static inline void bench_fill(uint8_t *buf, uint32_t len)
{
	uint32_t x = 12345;

	for (uint32_t i = 0; i < len; i++) {
		x = x * 1103515245u + 12345u;
		buf[i] = (uint8_t)(x >> 16);
	}
}

/* Rounds when none are given (bench/run always gives them). */
#define BENCH_COMPUTE_ROUNDS 2000
/* What one round of compute is, for the report. */
#define BENCH_COMPUTE_OPS BENCH_BUF_SIZE
#define BENCH_COMPUTE_UNIT "byte"

#endif
