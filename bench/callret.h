/*
 * callret.h - the callret benchmark loop: near calls and returns.
 *
 * One round makes BENCH_CALLRET_OPS calls, each matched by its return, and
 * little else: a binary call tree (cr_tree, depth 0..10), a chain of eight
 * small functions each calling the next and doing one or two ALU
 * operations after the call returns (so gcc cannot turn it into jumps),
 * and a linear recursion 64 deep, deeper than any small return-address
 * cache. Return addresses therefore vary at every depth, and every `ret`
 * is an indirect branch whose target the translator must look up.
 *
 * The functions are static, so gcc passes arguments in registers (its
 * local calling convention); that is the same in the guest and the native
 * twin.
 */
#ifndef BT386_BENCH_CALLRET_H
#define BT386_BENCH_CALLRET_H

#include "loops.h"

#define CR_TREE_DEPTH 10
#define CR_CHAIN_REPS 128
#define CR_CHAIN_LEN 8
#define CR_DEEP_REPS 8
#define CR_DEEP_N 64

/* Calls (and returns) per round: tree nodes, chain links, recursion. */
#define BENCH_CALLRET_OPS                                                   \
	(((1u << (CR_TREE_DEPTH + 1)) - 1) + CR_CHAIN_REPS * CR_CHAIN_LEN + \
	 CR_DEEP_REPS * (CR_DEEP_N + 1))
#define BENCH_CALLRET_UNIT "call+return"
#define BENCH_CALLRET_ROUNDS 1000

/* Distinct constants everywhere: identical bodies would be folded (ICF). */
BENCH_FN uint32_t cr_chain8(uint32_t x)
{
	return (x * 0x9e3779b1u) ^ (x >> 7);
}

BENCH_FN uint32_t cr_chain7(uint32_t x)
{
	return cr_chain8(x + 7) ^ 0x7070707u;
}

BENCH_FN uint32_t cr_chain6(uint32_t x)
{
	return cr_chain7(x ^ 6) + 0x606u;
}

BENCH_FN uint32_t cr_chain5(uint32_t x)
{
	return cr_chain6(x - 5) ^ (x << 5);
}

BENCH_FN uint32_t cr_chain4(uint32_t x)
{
	return cr_chain5(x + 0x44) - x;
}

BENCH_FN uint32_t cr_chain3(uint32_t x)
{
	return cr_chain4(x ^ 0x333) + (x >> 3);
}

BENCH_FN uint32_t cr_chain2(uint32_t x)
{
	return cr_chain3(x * 3) ^ 0x22u;
}

BENCH_FN uint32_t cr_chain1(uint32_t x)
{
	return cr_chain2(x + 1) + (x & 0xff);
}

/* The second call's result is shifted before the add: no accumulator
 * tail-recursion elimination is possible, both calls stay calls. */
BENCH_FN uint32_t cr_tree(uint32_t depth, uint32_t x)
{
	uint32_t a, b;

	if (depth == 0)
		return x * 5 + 1;
	a = cr_tree(depth - 1, x * 3 + 1);
	b = cr_tree(depth - 1, a ^ x);
	return a + (b >> 1) + depth;
}

BENCH_FN uint32_t cr_deep(uint32_t n, uint32_t x)
{
	if (n == 0)
		return x;
	return (cr_deep(n - 1, x + n) >> 1) ^ (x * 7);
}

BENCH_FN uint32_t bench_callret(uint32_t rounds)
{
	uint32_t h = 0x811c9dc5u;

	for (uint32_t r = 0; r < rounds; r++) {
		h ^= cr_tree(CR_TREE_DEPTH, h + r);
		for (uint32_t i = 0; i < CR_CHAIN_REPS; i++)
			h = cr_chain1(h + i);
		for (uint32_t i = 0; i < CR_DEEP_REPS; i++)
			h += cr_deep(CR_DEEP_N, h ^ i);
	}
	return h;
}

#endif
