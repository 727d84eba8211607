/*
 * indirect.h - the indirect benchmark loop: indirect jumps and calls.
 *
 * A small stack-machine bytecode interpreter runs a fixed program. Its
 * switch is dense, so gcc compiles the dispatch to a bounds check and
 * `jmp *table(,%reg,4)` (one indirect jump per bytecode, about 17
 * different targets), and the CALL bytecode calls through a table of
 * function pointers (`call *table(,%reg,4)`, four targets rotating at one
 * call site). The program loops 100 times over a body of 21 bytecodes,
 * four of them calls: per round BENCH_INDIRECT_OPS dispatches and
 * BENCH_INDIRECT_CALLS indirect calls (checked by hand with a counting
 * build; change them together with the program).
 */
#ifndef BT386_BENCH_INDIRECT_H
#define BT386_BENCH_INDIRECT_H

#include "loops.h"

#define IND_LOOPS 100
#define BENCH_INDIRECT_OPS (2 + IND_LOOPS * 21 + 1)
#define BENCH_INDIRECT_CALLS (IND_LOOPS * 4)
#define BENCH_INDIRECT_UNIT "dispatch"
#define BENCH_INDIRECT_ROUNDS 1000

enum ind_op {
	IND_HALT,  /* return the top of the stack */
	IND_PUSH,  /* push the next byte */
	IND_PUSHW, /* push the next 4 bytes (little endian) */
	IND_DUP,
	IND_DROP,
	IND_SWAP,
	IND_OVER,
	IND_ADD,
	IND_SUB,
	IND_MUL,
	IND_XOR,
	IND_AND,
	IND_SHR,  /* top >>= next byte */
	IND_SHL,  /* top <<= next byte */
	IND_CALL, /* pop b; top = ind_fns[next byte](top, b) */
	IND_SETN, /* n = pop */
	IND_LOOP, /* if (--n) jump back by the next byte, from that byte */
};

typedef uint32_t (*ind_fn)(uint32_t a, uint32_t b);

BENCH_FN uint32_t ind_f0(uint32_t a, uint32_t b)
{
	return a + b * 3;
}

BENCH_FN uint32_t ind_f1(uint32_t a, uint32_t b)
{
	return ((a ^ b) >> 1) | a << 31;
}

BENCH_FN uint32_t ind_f2(uint32_t a, uint32_t b)
{
	return (a * 0x01000193u) ^ b;
}

BENCH_FN uint32_t ind_f3(uint32_t a, uint32_t b)
{
	return a - (b & 0xffff);
}

static ind_fn const ind_fns[4] = {ind_f0, ind_f1, ind_f2, ind_f3};

/* The stack is balanced per iteration (one value); no bounds checks. */
BENCH_FN uint32_t ind_run(const uint8_t *code, uint32_t seed)
{
	uint32_t stack[16], *sp = stack, n = 0, t;
	const uint8_t *pc = code;

	*sp++ = seed;
	for (;;) {
		switch (*pc++) {
		case IND_HALT:
			return sp[-1];
		case IND_PUSH:
			*sp++ = *pc++;
			break;
		case IND_PUSHW:
			*sp++ = pc[0] | pc[1] << 8 | pc[2] << 16 |
				(uint32_t)pc[3] << 24;
			pc += 4;
			break;
		case IND_DUP:
			*sp = sp[-1];
			sp++;
			break;
		case IND_DROP:
			sp--;
			break;
		case IND_SWAP:
			t = sp[-1];
			sp[-1] = sp[-2];
			sp[-2] = t;
			break;
		case IND_OVER:
			*sp = sp[-2];
			sp++;
			break;
		case IND_ADD:
			sp--;
			sp[-1] += *sp;
			break;
		case IND_SUB:
			sp--;
			sp[-1] -= *sp;
			break;
		case IND_MUL:
			sp--;
			sp[-1] *= *sp;
			break;
		case IND_XOR:
			sp--;
			sp[-1] ^= *sp;
			break;
		case IND_AND:
			sp--;
			sp[-1] &= *sp;
			break;
		case IND_SHR:
			sp[-1] >>= *pc++;
			break;
		case IND_SHL:
			sp[-1] <<= *pc++;
			break;
		case IND_CALL:
			sp--;
			sp[-1] = ind_fns[*pc++](sp[-1], *sp);
			break;
		case IND_SETN:
			n = *--sp;
			break;
		case IND_LOOP:
			if (--n)
				pc -= *pc;
			else
				pc++;
			break;
		default:
			return 0xdead;
		}
	}
}

/* Stack effect of the body: [x] -> [x] (33 bytes back from the LOOP
 * operand is the first DUP). */
/* clang-format off */
static const uint8_t ind_program[] = {
	IND_PUSH, IND_LOOPS, IND_SETN,
	/* loop: */
	IND_DUP, IND_PUSHW, 0xb1, 0x79, 0x37, 0x9e, IND_MUL, /* x, a */
	IND_DUP, IND_SHR, 15, IND_XOR,			     /* x, b */
	IND_DUP, IND_PUSH, 3, IND_AND, IND_SWAP, IND_CALL, 0, /* x, c */
	IND_OVER, IND_CALL, 1,				     /* x, d */
	IND_SWAP, IND_SUB,				     /* d - x */
	IND_DUP, IND_SHL, 3, IND_CALL, 2,		     /* e */
	IND_PUSH, 77, IND_CALL, 3,			     /* f */
	IND_LOOP, 33,
	IND_HALT,
};
/* clang-format on */

BENCH_FN uint32_t bench_indirect(uint32_t rounds)
{
	uint32_t h = 0x811c9dc5u;

	for (uint32_t r = 0; r < rounds; r++)
		h = (h ^ ind_run(ind_program, h + r)) * 0x01000193u;
	return h;
}

#endif
