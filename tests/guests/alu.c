/*
 * alu - integer arithmetic, logic and flags, with known answers.
 *
 * Part 1 is table driven: every row of cases[] names an operation, its
 * inputs (A, B, C and the EFLAGS before) and the expected result, second
 * result (EDX, the old source, ...) and EFLAGS. Only what the SDM defines is
 * compared: defined_masks() removes undefined flags (AF after logic ops,
 * OF after multi-bit shifts, everything after div, ...) and undefined
 * results (bsf/bsr of 0). One check per operation summarises its rows; a
 * failing row is printed in full.
 *
 * The expected columns were produced by running these same runners on an
 * x86-64 host CPU in 32-bit mode: build this file for the host with
 *   gcc -m32 -O2 -DALU_GENERATE -Ilib -o alu-gen alu.c && ./alu-gen
 * which prints the table with the host's answers. The table agrees with
 * QEMU.
 *
 * Part 2 checks by hand what does not fit a table: lea addressing forms,
 * xlat, bit strings in memory, cmpxchg8b, pushf/popf, enter/leave,
 * loop/jcxz, and #DE from div and aam.
 */
#ifdef ALU_GENERATE
#include <stdio.h>
#include <string.h>

#include "cpu.h"
#else
#include "guest.h"
#endif

struct out {
	uint32_t r, r2, f;
};

typedef void (*runner_fn)(uint32_t a, uint32_t b, uint32_t c, uint32_t fin,
			  struct out *o);

#define FLAGS_IN "pushl %[fin]\n\tpopfl\n\t"
#define FLAGS_OUT "\n\tpushfl\n\tpopl %[f]"

/* op %b, %a with a = a OP b */
#define BIN(name, insn, mod, cons)                                          \
	static void name(uint32_t a, uint32_t b, uint32_t c, uint32_t fin,  \
			 struct out *o)                                     \
	{                                                                   \
		__asm__(FLAGS_IN insn " %" mod "[b], %" mod "[a]" FLAGS_OUT \
			: [a] "+" cons(a), [f] "=&r"(o->f)                  \
			: [b] cons(b), [fin] "r"(fin)                       \
			: "cc");                                            \
		o->r = a;                                                   \
		o->r2 = b;                                                  \
	}
#define BIN3(op)                       \
	BIN(op##8, #op "b", "b", "q")  \
	BIN(op##16, #op "w", "w", "r") \
	BIN(op##32, #op "l", "k", "r")
BIN3(add)
BIN3(adc)
BIN3(sub)
BIN3(sbb)
BIN3(cmp)
BIN3(and)
BIN3(or)
BIN3(xor)
BIN3(test)

/* xadd: a = a + b, b = old a */
#define XADD(name, insn, mod, cons)                                         \
	static void name(uint32_t a, uint32_t b, uint32_t c, uint32_t fin,  \
			 struct out *o)                                     \
	{                                                                   \
		__asm__(FLAGS_IN insn " %" mod "[b], %" mod "[a]" FLAGS_OUT \
			: [a] "+" cons(a), [b] "+" cons(b), [f] "=&r"(o->f) \
			: [fin] "r"(fin)                                    \
			: "cc");                                            \
		o->r = a;                                                   \
		o->r2 = b;                                                  \
	}
XADD(xadd8, "xaddb", "b", "q")
XADD(xadd16, "xaddw", "w", "r")
XADD(xadd32, "xaddl", "k", "r")

#define UN(name, insn, mod, cons)                                          \
	static void name(uint32_t a, uint32_t b, uint32_t c, uint32_t fin, \
			 struct out *o)                                    \
	{                                                                  \
		__asm__(FLAGS_IN insn " %" mod "[a]" FLAGS_OUT             \
			: [a] "+" cons(a), [f] "=&r"(o->f)                 \
			: [fin] "r"(fin)                                   \
			: "cc");                                           \
		o->r = a;                                                  \
		o->r2 = 0;                                                 \
	}
#define UN3(op)                       \
	UN(op##8, #op "b", "b", "q")  \
	UN(op##16, #op "w", "w", "r") \
	UN(op##32, #op "l", "k", "r")
UN3(inc)
UN3(dec)
UN3(neg)
UN3(not )
UN(bswap32, "bswap", "k", "r")

/* shifts and rotates: a OP= (b in CL) */
#define SHIFT(name, insn, mod, cons)                                       \
	static void name(uint32_t a, uint32_t b, uint32_t c, uint32_t fin, \
			 struct out *o)                                    \
	{                                                                  \
		__asm__(FLAGS_IN insn " %%cl, %" mod "[a]" FLAGS_OUT       \
			: [a] "+" cons(a), [f] "=&r"(o->f)                 \
			: "c"(b), [fin] "r"(fin)                           \
			: "cc");                                           \
		o->r = a;                                                  \
		o->r2 = 0;                                                 \
	}
#define SHIFT3(op)                       \
	SHIFT(op##8, #op "b", "b", "q")  \
	SHIFT(op##16, #op "w", "w", "r") \
	SHIFT(op##32, #op "l", "k", "r")
SHIFT3(shl)
SHIFT3(shr)
SHIFT3(sar)
SHIFT3(rol)
SHIFT3(ror)
SHIFT3(rcl)
SHIFT3(rcr)

/* double shifts: a = a:b shifted by c (in CL) */
#define DSHIFT(name, insn, mod)                                            \
	static void name(uint32_t a, uint32_t b, uint32_t c, uint32_t fin, \
			 struct out *o)                                    \
	{                                                                  \
		__asm__(FLAGS_IN insn " %%cl, %" mod "[b], %" mod          \
				      "[a]" FLAGS_OUT                      \
			: [a] "+r"(a), [f] "=&r"(o->f)                     \
			: [b] "r"(b), "c"(c), [fin] "r"(fin)               \
			: "cc");                                           \
		o->r = a;                                                  \
		o->r2 = 0;                                                 \
	}
DSHIFT(shld16, "shldw", "w")
DSHIFT(shld32, "shldl", "k")
DSHIFT(shrd16, "shrdw", "w")
DSHIFT(shrd32, "shrdl", "k")

/* one-operand mul/imul/div/idiv: EDX:EAX (c:a) with b */
#define MULDIV(name, insn, mod, cons)                                      \
	static void name(uint32_t a, uint32_t b, uint32_t c, uint32_t fin, \
			 struct out *o)                                    \
	{                                                                  \
		__asm__(FLAGS_IN insn " %" mod "[b]" FLAGS_OUT             \
			: "+a"(a), "+d"(c), [f] "=&r"(o->f)                \
			: [b] cons(b), [fin] "r"(fin)                      \
			: "cc");                                           \
		o->r = a;                                                  \
		o->r2 = c;                                                 \
	}
#define MULDIV3(op)                       \
	MULDIV(op##8, #op "b", "b", "q")  \
	MULDIV(op##16, #op "w", "w", "r") \
	MULDIV(op##32, #op "l", "k", "r")
MULDIV3(mul)
MULDIV3(imul)
MULDIV3(div)
MULDIV3(idiv)

BIN(imul2_16, "imulw", "w", "r")
BIN(imul2_32, "imull", "k", "r")

#define IMUL3(name, imm)                                                   \
	static void name(uint32_t a, uint32_t b, uint32_t c, uint32_t fin, \
			 struct out *o)                                    \
	{                                                                  \
		__asm__(FLAGS_IN "imull $" #imm ", %[b], %[a]" FLAGS_OUT   \
			: [a] "=&r"(a), [f] "=&r"(o->f)                    \
			: [b] "r"(b), [fin] "r"(fin)                       \
			: "cc");                                           \
		o->r = a;                                                  \
		o->r2 = 0;                                                 \
	}
IMUL3(imul3_m3, -3)
IMUL3(imul3_big, 100000)

/* bit tests with a register offset (b) on a register (a) */
BIN(bt16, "btw", "w", "r")
BIN(bt32, "btl", "k", "r")
BIN(bts32, "btsl", "k", "r")
BIN(btr32, "btrl", "k", "r")
BIN(btc32, "btcl", "k", "r")
UN(bt_imm35, "btl $35,", "k", "r")
UN(btc_imm7, "btcw $7,", "w", "r")
/* bsf/bsr: a is preset, b is the source */
BIN(bsf16, "bsfw", "w", "r")
BIN(bsf32, "bsfl", "k", "r")
BIN(bsr16, "bsrw", "w", "r")
BIN(bsr32, "bsrl", "k", "r")

/* cmpxchg: dest a, source b, accumulator c */
#define CMPXCHG(name, insn, mod, cons)                                      \
	static void name(uint32_t a, uint32_t b, uint32_t c, uint32_t fin,  \
			 struct out *o)                                     \
	{                                                                   \
		__asm__(FLAGS_IN insn " %" mod "[b], %" mod "[a]" FLAGS_OUT \
			: [a] "+" cons(a), "+a"(c), [f] "=&r"(o->f)         \
			: [b] cons(b), [fin] "r"(fin)                       \
			: "cc");                                            \
		o->r = a;                                                   \
		o->r2 = c;                                                  \
	}
CMPXCHG(cmpxchg8, "cmpxchgb", "b", "q")
CMPXCHG(cmpxchg16, "cmpxchgw", "w", "r")
CMPXCHG(cmpxchg32, "cmpxchgl", "k", "r")

/* instructions on EAX (and EDX = c) alone */
#define ACC(name, insn)                                                    \
	static void name(uint32_t a, uint32_t b, uint32_t c, uint32_t fin, \
			 struct out *o)                                    \
	{                                                                  \
		__asm__(FLAGS_IN insn FLAGS_OUT                            \
			: "+a"(a), "+d"(c), [f] "=&r"(o->f)                \
			: [fin] "r"(fin)                                   \
			: "cc");                                           \
		o->r = a;                                                  \
		o->r2 = c;                                                 \
	}
ACC(daa_, "daa")
ACC(das_, "das")
ACC(aaa_, "aaa")
ACC(aas_, "aas")
ACC(aam10, "aam")
ACC(aam16, ".byte 0xd4, 0x10")
ACC(aad10, "aad")
ACC(aad7, ".byte 0xd5, 0x07")
ACC(cbw_, "cbtw")
ACC(cwde_, "cwtl")
ACC(cwd_, "cwtd")
ACC(cdq_, "cltd")
ACC(lahf_, "lahf")
ACC(sahf_, "sahf")

#define MOVX(name, insn, mods, modd, cons)                                    \
	static void name(uint32_t a, uint32_t b, uint32_t c, uint32_t fin,    \
			 struct out *o)                                       \
	{                                                                     \
		__asm__(FLAGS_IN insn " %" mods "[b], %" modd "[a]" FLAGS_OUT \
			: [a] "+r"(a), [f] "=&r"(o->f)                        \
			: [b] cons(b), [fin] "r"(fin)                         \
			: "cc");                                              \
		o->r = a;                                                     \
		o->r2 = 0;                                                    \
	}
MOVX(movsbw_, "movsbw", "b", "w", "q")
MOVX(movsbl_, "movsbl", "b", "k", "q")
MOVX(movswl_, "movswl", "w", "k", "r")
MOVX(movzbw_, "movzbw", "b", "w", "q")
MOVX(movzbl_, "movzbl", "b", "k", "q")
MOVX(movzwl_, "movzwl", "w", "k", "r")

/* all 16 setcc (result bit n = condition n true) for the flags fin */
/* clang-format off */
#define CC_LIST(X)                                                           \
	X(o, 0) X(no, 1) X(b, 2) X(ae, 3) X(e, 4) X(ne, 5) X(be, 6) X(a, 7)  \
	X(s, 8) X(ns, 9) X(p, 10) X(np, 11) X(l, 12) X(ge, 13) X(le, 14)     \
	X(g, 15)
/* clang-format on */
#define SETCC_ONE(cc, n) "set" #cc " " #n "(%[p])\n\t"
#define CMOVCC_ONE(cc, n)                                                 \
	"movl %[a], %%ecx\n\tcmov" #cc "l %[b], %%ecx\n\tmovl %%ecx, " #n \
	"*4(%[p])\n\t"

static void setcc_all(uint32_t a, uint32_t b, uint32_t c, uint32_t fin,
		      struct out *o)
{
	uint8_t res[16];

	__asm__(FLAGS_IN CC_LIST(SETCC_ONE) "pushfl\n\tpopl %[f]"
		: [f] "=&r"(o->f)
		: [p] "r"(res), [fin] "r"(fin)
		: "cc", "memory");
	o->r = 0;
	for (int i = 0; i < 16; i++)
		o->r |= (uint32_t)(res[i] & 1) << i;
	o->r2 = 0;
}

static void cmovcc_all(uint32_t a, uint32_t b, uint32_t c, uint32_t fin,
		       struct out *o)
{
	uint32_t res[16];

	__asm__(FLAGS_IN CC_LIST(CMOVCC_ONE) "pushfl\n\tpopl %[f]"
		: [f] "=&r"(o->f)
		: [a] "r"(a), [b] "r"(b), [p] "r"(res), [fin] "r"(fin)
		: "ecx", "cc", "memory");
	o->r = 0;
	for (int i = 0; i < 16; i++)
		o->r |= (uint32_t)(res[i] == b) << i;
	o->r2 = 0;
}

/* Operation classes: which flags and results are defined. */
enum cls {
	C_ARITH,   /* all six flags */
	C_LOGIC,   /* AF undefined */
	C_NOFLAGS, /* flags unchanged (so all six compare equal to fin) */
	C_SHIFT,   /* count-dependent, see defined_masks() */
	C_ROT,
	C_RCX,
	C_DSHIFT,
	C_MUL, /* CF OF only */
	C_DIV, /* no flags */
	C_BT,  /* CF only */
	C_BSF, /* ZF only; result undefined for a zero source */
	C_DAA, /* OF undefined */
	C_AAA, /* AF CF only */
	C_AAM, /* SF ZF PF only */
};

/* clang-format off */
#define OP_LIST(X)                      \
	X(add8, 8, C_ARITH)                     \
	X(add16, 16, C_ARITH)                   \
	X(add32, 32, C_ARITH)                   \
	X(adc8, 8, C_ARITH)                     \
	X(adc16, 16, C_ARITH)                   \
	X(adc32, 32, C_ARITH)                   \
	X(sub8, 8, C_ARITH)                     \
	X(sub16, 16, C_ARITH)                   \
	X(sub32, 32, C_ARITH)                   \
	X(sbb8, 8, C_ARITH)                     \
	X(sbb16, 16, C_ARITH)                   \
	X(sbb32, 32, C_ARITH)                   \
	X(cmp8, 8, C_ARITH)                     \
	X(cmp16, 16, C_ARITH)                   \
	X(cmp32, 32, C_ARITH)                   \
	X(and8, 8, C_LOGIC)                     \
	X(and16, 16, C_LOGIC)                   \
	X(and32, 32, C_LOGIC)                   \
	X(or8, 8, C_LOGIC)                      \
	X(or16, 16, C_LOGIC)                    \
	X(or32, 32, C_LOGIC)                    \
	X(xor8, 8, C_LOGIC)                     \
	X(xor16, 16, C_LOGIC)                   \
	X(xor32, 32, C_LOGIC)                   \
	X(test8, 8, C_LOGIC)                    \
	X(test16, 16, C_LOGIC)                  \
	X(test32, 32, C_LOGIC)                  \
	X(xadd8, 8, C_ARITH)                    \
	X(xadd16, 16, C_ARITH)                  \
	X(xadd32, 32, C_ARITH)                  \
	X(inc8, 8, C_ARITH)                     \
	X(inc16, 16, C_ARITH)                   \
	X(inc32, 32, C_ARITH)                   \
	X(dec8, 8, C_ARITH)                     \
	X(dec16, 16, C_ARITH)                   \
	X(dec32, 32, C_ARITH)                   \
	X(neg8, 8, C_ARITH)                     \
	X(neg16, 16, C_ARITH)                   \
	X(neg32, 32, C_ARITH)                   \
	X(not8, 8, C_NOFLAGS)                   \
	X(not16, 16, C_NOFLAGS)                 \
	X(not32, 32, C_NOFLAGS)                 \
	X(bswap32, 32, C_NOFLAGS)               \
	X(shl8, 8, C_SHIFT)                     \
	X(shl16, 16, C_SHIFT)                   \
	X(shl32, 32, C_SHIFT)                   \
	X(shr8, 8, C_SHIFT)                     \
	X(shr16, 16, C_SHIFT)                   \
	X(shr32, 32, C_SHIFT)                   \
	X(sar8, 8, C_SHIFT)                     \
	X(sar16, 16, C_SHIFT)                   \
	X(sar32, 32, C_SHIFT)                   \
	X(rol8, 8, C_ROT)                       \
	X(rol16, 16, C_ROT)                     \
	X(rol32, 32, C_ROT)                     \
	X(ror8, 8, C_ROT)                       \
	X(ror16, 16, C_ROT)                     \
	X(ror32, 32, C_ROT)                     \
	X(rcl8, 8, C_RCX)                       \
	X(rcl16, 16, C_RCX)                     \
	X(rcl32, 32, C_RCX)                     \
	X(rcr8, 8, C_RCX)                       \
	X(rcr16, 16, C_RCX)                     \
	X(rcr32, 32, C_RCX)                     \
	X(shld16, 16, C_DSHIFT)                 \
	X(shld32, 32, C_DSHIFT)                 \
	X(shrd16, 16, C_DSHIFT)                 \
	X(shrd32, 32, C_DSHIFT)                 \
	X(mul8, 8, C_MUL)                       \
	X(mul16, 16, C_MUL)                     \
	X(mul32, 32, C_MUL)                     \
	X(imul8, 8, C_MUL)                      \
	X(imul16, 16, C_MUL)                    \
	X(imul32, 32, C_MUL)                    \
	X(imul2_16, 16, C_MUL)                  \
	X(imul2_32, 32, C_MUL)                  \
	X(imul3_m3, 32, C_MUL)                  \
	X(imul3_big, 32, C_MUL)                 \
	X(div8, 8, C_DIV)                       \
	X(div16, 16, C_DIV)                     \
	X(div32, 32, C_DIV)                     \
	X(idiv8, 8, C_DIV)                      \
	X(idiv16, 16, C_DIV)                    \
	X(idiv32, 32, C_DIV)                    \
	X(bt16, 16, C_BT)                       \
	X(bt32, 32, C_BT)                       \
	X(bts32, 32, C_BT)                      \
	X(btr32, 32, C_BT)                      \
	X(btc32, 32, C_BT)                      \
	X(bt_imm35, 32, C_BT)                   \
	X(btc_imm7, 16, C_BT)                   \
	X(bsf16, 16, C_BSF)                     \
	X(bsf32, 32, C_BSF)                     \
	X(bsr16, 16, C_BSF)                     \
	X(bsr32, 32, C_BSF)                     \
	X(cmpxchg8, 8, C_ARITH)                 \
	X(cmpxchg16, 16, C_ARITH)               \
	X(cmpxchg32, 32, C_ARITH)               \
	X(daa_, 8, C_DAA)                       \
	X(das_, 8, C_DAA)                       \
	X(aaa_, 8, C_AAA)                       \
	X(aas_, 8, C_AAA)                       \
	X(aam10, 8, C_AAM)                      \
	X(aam16, 8, C_AAM)                      \
	X(aad10, 8, C_AAM)                      \
	X(aad7, 8, C_AAM)                       \
	X(cbw_, 16, C_NOFLAGS)                  \
	X(cwde_, 32, C_NOFLAGS)                 \
	X(cwd_, 16, C_NOFLAGS)                  \
	X(cdq_, 32, C_NOFLAGS)                  \
	X(lahf_, 8, C_NOFLAGS)                  \
	X(sahf_, 8, C_ARITH)                    \
	X(movsbw_, 16, C_NOFLAGS)               \
	X(movsbl_, 32, C_NOFLAGS)               \
	X(movswl_, 32, C_NOFLAGS)               \
	X(movzbw_, 16, C_NOFLAGS)               \
	X(movzbl_, 32, C_NOFLAGS)               \
	X(movzwl_, 32, C_NOFLAGS)               \
	X(setcc_all, 32, C_NOFLAGS)             \
	X(cmovcc_all, 32, C_NOFLAGS)
/* clang-format on */

#define OP_ENUM(name, w, cls) OP_##name,
enum op { OP_LIST(OP_ENUM) NR_OPS };

struct op_info {
	const char *name;
	runner_fn run;
	int width;
	enum cls cls;
};

#define OP_INFO(n, w, c) {#n, n, w, c},
static const struct op_info ops[NR_OPS] = {OP_LIST(OP_INFO)};

struct alu_case {
	uint8_t op;
	uint32_t a, b, c, fin;
	uint32_t r, r2, f; /* expected */
};

#define A FL_AF
#define C FL_CF
#define O FL_OF
#define P FL_PF
#define S FL_SF
#define Z FL_ZF

/* Flag and result masks of what the SDM defines for this case. */
static void defined_masks(const struct alu_case *t, uint32_t *fmask,
			  uint32_t *rmask, uint32_t *r2mask)
{
	const struct op_info *op = &ops[t->op];
	unsigned w = op->width;
	unsigned n = t->b & 31;

	*fmask = FL_ARITH;
	*rmask = 0xffffffff;
	*r2mask = 0xffffffff;
	switch (op->cls) {
	case C_ARITH:
	case C_NOFLAGS:
		*fmask = FL_ARITH;
		break;
	case C_LOGIC:
		*fmask = FL_ARITH & ~FL_AF;
		break;
	case C_SHIFT:
		if (n == 0)
			*fmask = FL_ARITH;
		else
			*fmask = (n < w ? C : 0) | S | Z | P | (n == 1 ? O : 0);
		break;
	case C_ROT:
	case C_RCX:
		*fmask = n ? (C | S | Z | A | P | (n == 1 ? O : 0)) : FL_ARITH;
		break;
	case C_DSHIFT:
		n = t->c & 31;
		*fmask = n ? (C | S | Z | P | (n == 1 ? O : 0)) : FL_ARITH;
		break;
	case C_MUL:
		*fmask = C | O;
		break;
	case C_DIV:
		*fmask = 0;
		break;
	case C_BT:
		*fmask = C;
		break;
	case C_BSF:
		*fmask = Z;
		if ((w == 16 ? t->b & 0xffff : t->b) == 0)
			*rmask = w == 16 ? 0xffff0000u : 0;
		break;
	case C_DAA:
		*fmask = C | A | S | Z | P;
		break;
	case C_AAA:
		*fmask = C | A;
		break;
	case C_AAM:
		*fmask = S | Z | P;
		break;
	}
}

/* The table: op, A, B, C, EFLAGS in, then expected result, result 2 and
 * EFLAGS (arithmetic bits only). Rebuild the expected part with
 * -DALU_GENERATE (see the top of the file). */
#define F2 0x2u
static const struct alu_case cases[] = {
#include "alu-cases.h"
};

#ifdef ALU_GENERATE

static void flag_names(char *buf, uint32_t f)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} names[] = {{O, "O"}, {S, "S"}, {Z, "Z"},
		     {A, "A"}, {P, "P"}, {C, "C"}};
	int n = 0;

	buf[0] = 0;
	for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(f & names[i].bit))
			continue;
		if (n++)
			strcat(buf, " | ");
		strcat(buf, names[i].name);
	}
	if (!n)
		strcpy(buf, "0");
}

int main(void)
{
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct alu_case *t = &cases[i];
		char fin[40], fout[40];
		struct out o;

		ops[t->op].run(t->a, t->b, t->c, t->fin | F2, &o);
		flag_names(fin, t->fin & FL_ARITH);
		flag_names(fout, o.f & FL_ARITH);
		printf("\t{ OP_%s, 0x%x, 0x%x, 0x%x, %s, 0x%x, 0x%x, %s },\n",
		       ops[t->op].name, t->a, t->b, t->c, fin, o.r, o.r2, fout);
	}
	return 0;
}

#else

static void run_table(void)
{
	char name[64];

	section("table-driven known answers");
	for (int op = 0; op < NR_OPS; op++) {
		int n = 0, bad = 0;

		for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]);
		     i++) {
			const struct alu_case *t = &cases[i];
			uint32_t fm, rm, r2m;
			struct out o;

			if (t->op != op)
				continue;
			n++;
			defined_masks(t, &fm, &rm, &r2m);
			ops[op].run(t->a, t->b, t->c, t->fin | F2, &o);
			if (((o.r ^ t->r) & rm) || ((o.r2 ^ t->r2) & r2m) ||
			    ((o.f ^ t->f) & fm)) {
				bad++;
				printf("#   %s a=%08x b=%08x c=%08x fl=%03x: "
				       "got "
				       "%08x %08x fl=%03x, expected %08x %08x "
				       "fl=%03x (mask %03x)\n",
				       ops[op].name, t->a, t->b, t->c, t->fin,
				       o.r, o.r2, o.f & FL_ARITH, t->r, t->r2,
				       t->f, fm);
			}
		}
		if (!n)
			continue;
		snprintf(name, sizeof(name), "%s (%d cases)", ops[op].name, n);
		CHECK(!bad, name);
	}
}

static void test_lea(void)
{
	uint32_t r, base = 0x1000, idx = 0x30;

	section("lea addressing forms");
	__asm__("leal (%1), %0" : "=r"(r) : "r"(base));
	CHECK_EQ(r, 0x1000, "lea (base)");
	__asm__("leal -8(%1), %0" : "=r"(r) : "r"(base));
	CHECK_EQ(r, 0xff8, "lea disp8(base)");
	__asm__("leal 0x12345(%1), %0" : "=r"(r) : "r"(base));
	CHECK_EQ(r, 0x13345, "lea disp32(base)");
	__asm__("leal (%1,%2), %0" : "=r"(r) : "r"(base), "r"(idx));
	CHECK_EQ(r, 0x1030, "lea (base,index)");
	__asm__("leal (%1,%2,2), %0" : "=r"(r) : "r"(base), "r"(idx));
	CHECK_EQ(r, 0x1060, "lea (base,index,2)");
	__asm__("leal 7(%1,%2,4), %0" : "=r"(r) : "r"(base), "r"(idx));
	CHECK_EQ(r, 0x10c7, "lea disp8(base,index,4)");
	__asm__("leal -0x100000(%1,%2,8), %0" : "=r"(r) : "r"(base), "r"(idx));
	CHECK_EQ(r, 0xfff01180, "lea disp32(base,index,8)");
	__asm__("leal 0x400(,%1,8), %0" : "=r"(r) : "r"(idx));
	CHECK_EQ(r, 0x580, "lea disp32(,index,8), no base");
	__asm__("leal 0x12345678, %0" : "=r"(r));
	CHECK_EQ(r, 0x12345678, "lea absolute disp32");
	__asm__("movl %%esp, %%ecx\n\t"
		"leal 12(%%esp), %0\n\t"
		"subl %%ecx, %0"
		: "=r"(r)
		:
		: "ecx");
	CHECK_EQ(r, 12, "lea disp8(esp) uses a SIB byte");
	__asm__("pushl %%ebp\n\t"
		"movl %1, %%ebp\n\t"
		"leal 0(%%ebp), %0\n\t"
		"popl %%ebp"
		: "=a"(r)
		: "c"(base));
	CHECK_EQ(r, 0x1000, "lea 0(ebp): mod 01 with ebp");
	__asm__("leal -1(%1,%1), %0" : "=r"(r) : "r"(0x80000000u));
	CHECK_EQ(r, 0xffffffff, "lea wraps modulo 2^32");
	__asm__("movl $0xffff0000, %0\n\t"
		"leaw 0x10(%1,%2), %w0"
		: "=&r"(r)
		: "r"(0xffff), "r"(0x1));
	CHECK_EQ(r, 0xffff0010, "16-bit operand lea truncates, upper kept");
	/* 16-bit addressing (0x67): [bx+si+disp] wraps at 64 KiB. */
	__asm__("movl $0x0000fff0, %%ebx\n\t"
		"movl $0x00010020, %%esi\n\t"
		"addr16 leal 0x8(%%bx,%%si), %0"
		: "=r"(r)
		:
		: "ebx", "esi");
	CHECK_EQ(r, 0x18, "addr16 lea (bx+si+8) wraps to 16 bits");
	__asm__("pushl %%ebp\n\t"
		"movl $0x1234, %%ebp\n\t"
		"movl $0x10, %%edi\n\t"
		"addr16 leal -2(%%bp,%%di), %0\n\t"
		"popl %%ebp"
		: "=a"(r)
		:
		: "edi");
	CHECK_EQ(r, 0x1242, "addr16 lea (bp+di-2)");
}

static void test_misc(void)
{
	static const uint8_t table[256] = {[0x41] = 0x99, [0xff] = 0x77};
	static uint32_t bits[4] = {0x80000001, 0x80000000, 0, 0x12345678};
	static uint64_t m64 = 0x1122334455667788ull;
	uint64_t old;
	uint32_t r, f;

	section("xlat, bit strings, cmpxchg8b");
	__asm__("xlat" : "=a"(r) : "a"(0xabcd0041), "b"(table));
	CHECK_EQ(r, 0xabcd0099, "xlat: AL = [EBX + AL]");
	__asm__("xlat" : "=a"(r) : "a"(0xff), "b"(table));
	CHECK_EQ(r, 0x77, "xlat with AL = 0xff");

	__asm__("btl %2, %1; setc %b0" : "=q"(r) : "m"(bits), "r"(63));
	CHECK_EQ(r & 1, 1, "bt mem, 63 reaches the second dword");
	__asm__("btl %2, %1; setc %b0" : "=q"(r) : "m"(bits), "r"(98));
	CHECK_EQ(r & 1, 0, "bt mem, 98 (bit 2 of dword 3 is 0)");
	__asm__("btsl %1, %0" : "+m"(bits) : "r"(64 + 5));
	CHECK_EQ(bits[2], 0x20, "bts mem, 69 sets bit 5 of dword 2");
	__asm__("btrl %2, (%1); setc %b0"
		: "=q"(r)
		: "r"(&bits[1]), "r"(-1)
		: "memory", "cc");
	CHECK(bits[0] == 1 && (r & 1),
	      "btr with offset -1 reaches bit 31 of the dword below");
	__asm__("btcl $33, %0" : "+m"(bits[3]));
	CHECK_EQ(bits[3], 0x1234567a, "btc mem, imm 33 wraps to bit 1");

	old = 0x1122334455667788ull;
	__asm__ volatile("lock cmpxchg8b %1; pushfl; popl %2"
			 : "+A"(old), "+m"(m64), "=r"(f)
			 : "b"(0xaaaaaaaa), "c"(0xbbbbbbbb)
			 : "cc");
	CHECK(m64 == 0xbbbbbbbbaaaaaaaaull && (f & FL_ZF) &&
		      old == 0x1122334455667788ull,
	      "cmpxchg8b equal: stores ECX:EBX, ZF = 1");
	old = 0;
	__asm__ volatile("cmpxchg8b %1; pushfl; popl %2"
			 : "+A"(old), "+m"(m64), "=r"(f)
			 : "b"(1), "c"(2)
			 : "cc");
	CHECK(old == 0xbbbbbbbbaaaaaaaaull && !(f & FL_ZF) &&
		      m64 == 0xbbbbbbbbaaaaaaaaull,
	      "cmpxchg8b different: loads EDX:EAX, ZF = 0");
}

static void test_flags_regs(void)
{
	uint32_t f, f2;

	section("pushf and popf");
	/* All ones except TF and IF (which would trap and interrupt). */
	__asm__ volatile("pushl $0xfffffcff\n\t"
			 "popfl\n\t"
			 "pushfl\n\t"
			 "popl %0\n\t"
			 "pushl $2\n\t"
			 "popfl"
			 : "=r"(f));
	CHECK_EQ(f, 0x00247cd7,
		 "popf ~(TF|IF) at CPL 0: arithmetic, DF, IOPL, NT, AC, ID "
		 "set; VM, RF, VIF, VIP and reserved bits stay clear");
	__asm__ volatile("pushl $0x40000\n\t"
			 "popfl\n\t"
			 "pushfl\n\t"
			 "popl %0\n\t"
			 "pushl $2\n\t"
			 "popfl\n\t"
			 "pushfl\n\t"
			 "popl %1"
			 : "=r"(f), "=r"(f2));
	CHECK((f & (1u << 18)) && !(f2 & (1u << 18)),
	      "AC can be set and cleared (486+)");
	__asm__ volatile("pushl $0\n\t"
			 "popfl\n\t"
			 "pushfl\n\t"
			 "popl %0"
			 : "=r"(f));
	CHECK_EQ(f, 2, "popf 0: EFLAGS reads 0x2 (bit 1 always set)");
	__asm__ volatile("pushl $0x200000\n\t"
			 "popfl\n\t"
			 "pushfl\n\t"
			 "popl %0\n\t"
			 "pushl $2\n\t"
			 "popfl"
			 : "=r"(f));
	CHECK(f & 0x200000, "ID can be toggled (CPUID present)");

	section("lahf and sahf round trip");
	__asm__ volatile("movb $0xd5, %%ah\n\t"
			 "sahf\n\t"
			 "movb $0, %%ah\n\t"
			 "lahf\n\t"
			 "movzbl %%ah, %0"
			 : "=r"(f)
			 :
			 : "eax", "cc");
	CHECK_EQ(f, 0xd7, "sahf 0xd5 then lahf: 0xd7 (bit 1 reads 1)");
}

static uint32_t el_esp0, el_esp1, el_ebp1, el_old, el_lvl[3];

static void test_enter_leave(void)
{
	section("enter and leave");
	/* Only absolute (static) memory operands: ESP and EBP move here. */
	__asm__ volatile("pushl %%ebp\n\t"
			 "movl %%esp, %0\n\t"
			 "movl $0x11111111, %%ebp\n\t"
			 "enter $16, $0\n\t"
			 "movl %%esp, %1\n\t"
			 "movl %%ebp, %2\n\t"
			 "pushl 0(%%ebp)\n\t"
			 "popl %3\n\t"
			 "leave\n\t"
			 "popl %%ebp"
			 : "=m"(el_esp0), "=m"(el_esp1), "=m"(el_ebp1),
			   "=m"(el_old)
			 :
			 : "memory");
	CHECK_EQ(el_ebp1, el_esp0 - 4, "enter 16,0: EBP = frame pointer");
	CHECK_EQ(el_esp1, el_esp0 - 4 - 16, "enter 16,0: 16 bytes reserved");
	CHECK_EQ(el_old, 0x11111111, "enter pushed the old EBP");

	/* Nesting level 2: the outer frame's slot is copied, then the new
	 * frame pointer is pushed. */
	__asm__ volatile("pushl %%ebp\n\t"
			 "movl %%esp, %0\n\t"
			 "movl %%esp, %%ebp\n\t"
			 "subl $8, %%esp\n\t"
			 "movl $0xcafe0001, -4(%%ebp)\n\t"
			 "enter $8, $2\n\t"
			 "pushl -4(%%ebp)\n\t"
			 "popl %1\n\t"
			 "pushl -8(%%ebp)\n\t"
			 "popl %2\n\t"
			 "movl %%esp, %3\n\t"
			 "movl %%ebp, %4\n\t"
			 "leave\n\t"
			 "movl %%ebp, %5\n\t"
			 "movl %0, %%esp\n\t"
			 "popl %%ebp"
			 : "=m"(el_esp0), "=m"(el_lvl[0]), "=m"(el_lvl[1]),
			   "=m"(el_esp1), "=m"(el_ebp1), "=m"(el_lvl[2])
			 :
			 : "memory");
	CHECK_EQ(el_lvl[0], 0xcafe0001,
		 "enter 8,2 copied the outer frame slot");
	CHECK_EQ(el_lvl[1], el_ebp1, "enter 8,2 pushed the new frame pointer");
	CHECK_EQ(el_esp1, el_ebp1 - 8 - 8, "enter 8,2: two slots plus 8 bytes");
	CHECK_EQ(el_lvl[2], el_esp0, "leave restored the outer EBP");
}

static void test_loops(void)
{
	uint32_t n, ecx;

	section("loop and jcxz");
	__asm__ volatile("xorl %0, %0\n\t"
			 "movl $5, %%ecx\n"
			 "1:\tincl %0\n\t"
			 "loop 1b"
			 : "=&r"(n), "=&c"(ecx));
	CHECK(n == 5 && ecx == 0, "loop runs ECX times");
	__asm__ volatile("xorl %0, %0\n\t"
			 "movl $10, %%ecx\n"
			 "1:\tincl %0\n\t"
			 "cmpl $3, %0\n\t"
			 "loopne 1b"
			 : "=&r"(n), "=&c"(ecx)
			 :
			 : "cc");
	CHECK(n == 3 && ecx == 7, "loopne stops when ZF = 1");
	__asm__ volatile("xorl %0, %0\n\t"
			 "movl $10, %%ecx\n"
			 "1:\tincl %0\n\t"
			 "cmpl %0, %0\n\t"
			 "loope 1b"
			 : "=&r"(n), "=&c"(ecx)
			 :
			 : "cc");
	CHECK(n == 10 && ecx == 0, "loope runs while ZF = 1 until ECX = 0");
	__asm__ volatile("movl $0, %0\n\t"
			 "movl $0x10000, %%ecx\n\t"
			 "jecxz 1f\n\t"
			 "movl $1, %0\n"
			 "1:"
			 : "=&r"(n), "=&c"(ecx));
	CHECK_EQ(n, 1, "jecxz does not jump with ECX = 0x10000");
	__asm__ volatile("movl $0, %0\n\t"
			 "movl $0x10000, %%ecx\n\t"
			 "addr16 jecxz 1f\n\t" /* jcxz: tests CX */
			 "movl $1, %0\n"
			 "1:"
			 : "=&r"(n), "=&c"(ecx));
	CHECK_EQ(n, 0, "jcxz (0x67) jumps with CX = 0");
	__asm__ volatile("xorl %0, %0\n\t"
			 "movl $0x12340002, %%ecx\n"
			 "1:\tincl %0\n\t"
			 "addr16 loop 1b"
			 : "=&r"(n), "=&c"(ecx));
	CHECK(n == 2 && ecx == 0x12340000, "addr16 loop counts CX only");
	__asm__ volatile("xorl %0, %0\n\t"
			 "movl $3, %%ecx\n"
			 "1:\tincl %0\n\t"
			 "loop 1b\n\t"
			 "loop 2f\n"
			 "2:"
			 : "=&r"(n), "=&c"(ecx));
	CHECK(n == 3 && ecx == 0xffffffff, "loop with ECX = 0 wraps to -1");
}

static void test_divide_errors(void)
{
	uint32_t before;

	section("#DE from div, idiv and aam");
	trap_record_clear();
	before = last_trap.count;
	uint32_t a = 0, d = 5;

	__asm__ volatile("1:\tdivl %2\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "+a"(a), "+d"(d)
			 : "r"(5));
	CHECK(last_trap.count == before + 1 && last_trap.vector == 0,
	      "div: quotient too large raises #DE");
	a = 0x8000;
	d = 0xffff;
	__asm__ volatile("1:\tidivw %w2\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "+a"(a), "+d"(d)
			 : "r"(0xffff));
	CHECK(last_trap.count == before + 2 && last_trap.vector == 0,
	      "idiv: -32768 / -1 raises #DE");
	a = 0x55;
	__asm__ volatile("1:\t.byte 0xd4, 0x00\n" /* aam 0 */
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "+a"(a));
	CHECK(last_trap.count == before + 3 && last_trap.vector == 0,
	      "aam 0 raises #DE");
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("alu: arithmetic, logic and flags\n");
	run_table();
	test_lea();
	test_misc();
	test_flags_regs();
	test_enter_leave();
	test_loops();
	test_divide_errors();
}

#endif
