/*
 * test_interp_fpu.c - x87, MMX, SSE and SSE2 in the interpreter against
 * the host CPU, and the parts of the FPU model the host cannot show.
 *
 * Differential (interp_diff.h): every form of every instruction the
 * virtual CPU has -- x87 memory forms per operand type and addressing
 * size, x87 register forms, the FPU state instructions in both operand
 * sizes, every 0F-map MMX/SSE/SSE2 opcode with each mandatory prefix, in
 * register and memory form, the shift groups, FXSAVE/FXRSTOR/LDMXCSR/
 * STMXCSR and WAIT -- runs on random cases: random x87 stacks (zeros,
 * denormals, pseudo-denormals, unnormals, infinities, quiet and
 * signalling NaNs, integers, extremes), random tags and TOP, random
 * control words (precision, rounding, masks; mostly masked, often not),
 * random MXCSR (rounding, FTZ, DAZ, masks), random XMM lanes of the same
 * kinds, memory operands of the same kinds at aligned and misaligned
 * addresses, sometimes an x87 error already pending. Interpreter and
 * host must agree on registers, flags, memory, the exception raised and
 * the whole FPU state. The x87 pointers and opcode (which the host keeps
 * as its own: 64-bit addresses, its selectors, and on AMD only while an
 * error is pending) are checked against the architecture instead, and
 * against the host's whenever it stored them.
 *
 * Interpreter only: the instructions the model lacks (#UD), the CR0/CR4
 * checks, #MF and FERR#/IGNNE#, real and virtual-8086 mode formats and
 * addressing, 16-bit code segments.
 *
 * BT386_TEST_SEED=<n> changes the seed, BT386_TEST_CASES=<n> the number
 * of cases per form. A mismatch prints the bytes, the inputs, both
 * outcomes and both FPU states.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bt/decode.h"
#include "bt/fpu.h"
#include "bt/interp.h"
#include "interp_diff.h"
#include "interp_fpu_model.h"
#include "interp_gen.h"
#include "native32.h"
#include "x86.h"

/* ---- forms ------------------------------------------------------------- */

/* What the memory operand holds. */
enum {
	MK_NONE,
	MK_RAND,  /* random bytes (store destinations, integers) */
	MK_F32,	  /* x87 m32fp */
	MK_F64,	  /* m64fp */
	MK_F80,	  /* m80fp */
	MK_INT,	  /* m16/32/64int: small and extreme integers */
	MK_BCD,	  /* m80bcd */
	MK_CW,	  /* a control word */
	MK_ENV,	  /* an FSTENV image */
	MK_SAVE,  /* an FSAVE image */
	MK_FX,	  /* an FXSAVE image */
	MK_MXCSR, /* an MXCSR value */
	MK_LANES, /* SSE/MMX data: float, double or integer lanes */
};

/* What the instruction does to the x87 pointers and opcode. */
enum {
	P_KEEP,	  /* control, MMX, SSE: unchanged */
	P_UPDATE, /* non-control x87: this instruction's */
	P_INIT,	  /* fninit, fnsave: zero */
	P_ENV,	  /* fldenv, frstor: from the image in memory */
	P_FX,	  /* fxrstor */
};

/* Memory the host fills with its own pointers (checked by the test). */
enum { SK_NONE, SK_ENV, SK_FX };

struct fspec {
	struct form f; /* first: the hooks see g->f */
	uint8_t mk, ptr, skip;
	uint16_t msz;
	bool align16; /* usually 16-byte aligned (SSE, FXSAVE) */
	bool maskmov; /* store to DS:EDI */
	unsigned cases;
};

#define MAX_FORMS 1200
static struct fspec forms[MAX_FORMS];
static unsigned nr_forms_all;

static uint64_t base_seed = 0x6670753338366ull;
static unsigned default_cases = 400;
static unsigned nr_forms, nr_cases, nr_faults, nr_fails;
static unsigned nr_by_vector[32];

static struct fspec *new_form(const char *name, const uint8_t *bytes,
			      unsigned n)
{
	struct fspec *s;

	ck_assert_uint_lt(nr_forms_all, MAX_FORMS);
	s = &forms[nr_forms_all++];
	memset(s, 0, sizeof(*s));
	snprintf(s->f.name, sizeof(s->f.name), "%s", name);
	memcpy(s->f.bytes, bytes, n);
	s->f.nbytes = (uint8_t)n;
	s->f.digit = -1;
	return s;
}

/* ---- random values ------------------------------------------------------- */

static uint64_t rand64(struct gen *g)
{
	return (uint64_t)gen_rand(g) << 32 | gen_rand(g);
}

/* An 80-bit value of a random class. */
static void rand_f80(struct gen *g, uint8_t *p)
{
	uint64_t m = rand64(g);
	uint32_t e, s = gen_rand(g) & 1, r = gen_rand(g);
	uint16_t se;

	switch (r % 13) {
	case 0: /* zero */
		m = 0;
		e = 0;
		break;
	case 1: /* denormal */
		m &= ~(1ull << 63);
		e = 0;
		break;
	case 2: /* pseudo-denormal */
		m |= 1ull << 63;
		e = 0;
		break;
	case 3: /* near 1 */
		m |= 1ull << 63;
		e = 0x3fff - 8 + (r >> 8) % 16;
		break;
	case 4: /* any normal */
		m |= 1ull << 63;
		e = 1 + (r >> 8) % 0x7ffe;
		break;
	case 5: /* infinity */
		m = 1ull << 63;
		e = 0x7fff;
		break;
	case 6: /* quiet NaN */
		m |= 3ull << 62;
		e = 0x7fff;
		break;
	case 7: /* signalling NaN */
		m = (m & ~(3ull << 62)) | 1ull << 63 | 1;
		e = 0x7fff;
		break;
	case 8: /* unnormal, pseudo-NaN/infinity */
		m &= ~(1ull << 63);
		e = (r >> 8) & 1 ? 0x7fff : 1 + (r >> 9) % 0x7ffe;
		break;
	case 9: { /* a small integer */
		uint32_t i = 1 + (r >> 8) % 1000;
		unsigned lz = (unsigned)__builtin_clzll(i);

		m = (uint64_t)i << lz;
		e = 0x3fff + 63 - lz;
		break;
	}
	case 10: /* around the integer conversion limits */
		m |= 1ull << 63;
		e = 0x3fff + 14 + (r >> 8) % 52;
		break;
	case 11: /* the ends of the range, and of float/double's */
		m |= 1ull << 63;
		switch ((r >> 8) % 4) {
		case 0:
			e = 1 + (r >> 10) % 64;
			break;
		case 1:
			e = 0x7ffe - (r >> 10) % 64;
			break;
		case 2:
			e = 0x3fff - 126 - 24 + (r >> 10) % 32;
			break;
		default:
			e = 0x3fff + 1023 - 8 + (r >> 10) % 16;
			break;
		}
		break;
	default: /* a double made exact */
		m = (m | 1ull << 63) & ~0x7ffull;
		e = 0x3fff - 30 + (r >> 8) % 60;
		break;
	}
	se = (uint16_t)(e | s << 15);
	memcpy(p, &m, 8);
	memcpy(p + 8, &se, 2);
}

static uint32_t rand_f32(struct gen *g)
{
	uint32_t r = gen_rand(g), v = gen_rand(g), s = v & 0x80000000u;

	switch (r % 12) {
	case 0:
		return s;
	case 1:
		return s | (v & 0x7fffff); /* denormal */
	case 2:
		return s | 0x7f800000u; /* infinity */
	case 3:
		return s | 0x7fc00000u | (v & 0x3fffff); /* QNaN */
	case 4:
		return s | 0x7f800000u | ((v & 0x3fffff) | 1); /* SNaN */
	case 5:
		return s | (uint32_t)(127 - 4 + (r >> 8) % 8) << 23 |
		       (v & 0x7fffff);
	case 6:
		return s | 0x7f7fffffu; /* max */
	case 7:
		return s | 0x00800000u | (v & 0xff); /* tiny normal */
	case 8:
		return s | (uint32_t)(127 + 20 + (r >> 8) % 16) << 23 |
		       (v & 0x7fffff); /* near the int32 limits */
	case 9:
		return s | (uint32_t)(1 + (r >> 8) % 24) << 23 |
		       (v & 0x7fffff); /* underflow territory */
	default:
		return v;
	}
}

static uint64_t rand_f64(struct gen *g)
{
	uint64_t v = rand64(g), s = v & (1ull << 63),
		 f = v & ((1ull << 52) - 1);
	uint32_t r = gen_rand(g);

	switch (r % 13) {
	case 0:
		return s;
	case 1:
		return s | f; /* denormal */
	case 2:
		return s | 0x7ff0000000000000ull;
	case 3:
		return s | 0x7ff8000000000000ull | (f & 0x7ffffffffffffull);
	case 4:
		return s | 0x7ff0000000000000ull | (f & 0x7ffffffffffffull) | 1;
	case 5:
		return s | (uint64_t)(1023 - 4 + (r >> 8) % 8) << 52 | f;
	case 6:
		return s | 0x7fefffffffffffffull;
	case 7:
		return s | (uint64_t)(1 + (r >> 8) % 40) << 52 | f;
	case 8:
		return s | (uint64_t)(1023 + 20 + (r >> 8) % 48) << 52 | f;
	case 9: /* float range ends: cvtsd2ss over/underflow */
		return s |
		       (uint64_t)(1023 + ((r >> 8) & 1 ? 120 : -160) +
				  (r >> 9) % 16)
			       << 52 |
		       f;
	case 10: /* exact float */
		return s | (uint64_t)(1023 - 10 + (r >> 8) % 20) << 52 |
		       (f & ~0x1fffffffull);
	default:
		return v;
	}
}

static uint64_t rand_int(struct gen *g, unsigned size)
{
	static const int64_t edge[] = {0,
				       1,
				       -1,
				       2,
				       100,
				       -100,
				       32767,
				       -32768,
				       32768,
				       2147483647,
				       -2147483647 - 1};
	uint32_t r = gen_rand(g);
	uint64_t v;

	switch (r % 4) {
	case 0:
		v = (uint64_t)edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))];
		break;
	case 1:
		v = (uint64_t)(int64_t)(int16_t)gen_rand(g);
		break;
	default:
		v = rand64(g);
		break;
	}
	if (size == 8 && (r >> 16) % 8 == 0)
		v = (r >> 20) & 1 ? 0x8000000000000000ull
				  : 0x7fffffffffffffffull;
	return v;
}

/* 16 bytes of SSE/MMX data: float, double or integer lanes. */
static void rand_lanes(struct gen *g, uint8_t *p, unsigned n)
{
	uint32_t kind = gen_rand(g) % 4;

	for (unsigned i = 0; i < n; i += 4) {
		uint32_t v;

		if (kind == 0) {
			v = rand_f32(g);
		} else if (kind == 1) {
			if (i % 8 == 0) {
				uint64_t d = rand_f64(g);

				memcpy(p + i, &d, n - i >= 8 ? 8 : n - i);
				i += 4;
				continue;
			}
			v = gen_rand(g);
		} else if (kind == 2) {
			v = gen_value(g);
		} else {
			v = (uint32_t)rand_int(g, 4);
		}
		memcpy(p + i, &v, n - i >= 4 ? 4 : n - i);
	}
}

static uint8_t fpu_init[512] __attribute__((aligned(16)));

static void put16(uint8_t *p, uint32_t v)
{
	uint16_t w = (uint16_t)v;

	memcpy(p, &w, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint16_t rand_fcw(struct gen *g)
{
	uint32_t r = gen_rand(g);
	uint16_t cw = (uint16_t)(0x40 | (r & 0x1f3f));

	if (r >> 16 & 1) /* mostly masked */
		cw |= 0x3f;
	if ((r >> 17) % 4 != 0) /* mostly a valid precision */
		cw |= (r >> 19) & 1 ? 0x300 : 0x200;
	return cw;
}

static uint32_t rand_mxcsr(struct gen *g)
{
	uint32_t r = gen_rand(g), mx = r & 0xffff;

	if (r >> 16 & 1)
		mx |= 0x1f80;
	if ((r >> 17) % 4 == 0)
		mx &= ~0x8040u; /* no FTZ/DAZ */
	return mx;
}

/* The x87 status word for a control word: exception flags that are all
 * masked, unless `pending` (then ES and B). */
static uint16_t rand_fsw(struct gen *g, uint16_t cw, bool pending)
{
	uint32_t r = gen_rand(g);
	uint16_t flags = (uint16_t)(r & 0x3f & cw), sw;

	if (pending && (~cw & 0x3f))
		flags |= (uint16_t)(1u << __builtin_ctz(~cw & 0x3f));
	if ((flags & 1) && (r >> 8 & 1))
		flags |= 0x40; /* stack fault */
	sw = (uint16_t)(flags | (r & 0x4700) | ((r >> 12) & 7) << 11);
	if (flags & ~cw & 0x3f)
		sw |= 0x8080;
	return sw;
}

static void rand_fpu(struct gen *g, uint8_t *fx)
{
	uint16_t cw = rand_fcw(g);
	uint32_t r = gen_rand(g);

	memset(fx, 0, 512);
	put16(fx, cw);
	put16(fx + 2, rand_fsw(g, cw, r % 16 == 0));
	fx[4] = (r >> 4) & 1 ? 0xff : (uint8_t)gen_rand(g);
	put16(fx + 6, gen_rand(g) & 0x7ff);
	put32(fx + 8, gen_rand(g));
	put16(fx + 12, gen_rand(g));
	put32(fx + 16, gen_rand(g));
	put16(fx + 20, gen_rand(g));
	put32(fx + 24, rand_mxcsr(g));
	put32(fx + 28, 0xffff);
	for (unsigned i = 0; i < 8; i++)
		rand_f80(g, fx + 32 + 16 * i);
	for (unsigned i = 0; i < 8; i++)
		rand_lanes(g, fx + 160 + 16 * i, 16);
}

/* ---- memory operands -------------------------------------------------------- */

static void fill_env(struct gen *g, uint8_t *p, bool o32)
{
	uint16_t cw = rand_fcw(g), sw = rand_fsw(g, cw, gen_rand(g) % 8 == 0);
	uint16_t tw = (uint16_t)gen_rand(g);

	if (gen_rand(g) & 1)
		tw = 0;
	if (o32) {
		put32(p, gen_rand(g) << 16 | cw);
		put32(p + 4, gen_rand(g) << 16 | sw);
		put32(p + 8, gen_rand(g) << 16 | tw);
		put32(p + 12, gen_rand(g));
		put32(p + 16, gen_rand(g));
		put32(p + 20, gen_rand(g));
		put32(p + 24, gen_rand(g));
	} else {
		put16(p, cw);
		put16(p + 2, sw);
		put16(p + 4, tw);
		for (unsigned i = 6; i < 14; i += 2)
			put16(p + i, gen_rand(g));
	}
}

static void fill_mem(struct gen *g, const struct fspec *s, uint32_t a)
{
	uint8_t *p = gen_mem(a);
	bool o32 = s->f.bytes[0] != 0x66;

	switch (s->mk) {
	case MK_F32: {
		uint32_t v = rand_f32(g);

		memcpy(p, &v, 4);
		break;
	}
	case MK_F64: {
		uint64_t v = rand_f64(g);

		memcpy(p, &v, 8);
		break;
	}
	case MK_F80:
		rand_f80(g, p);
		break;
	case MK_INT: {
		uint64_t v = rand_int(g, s->msz);

		memcpy(p, &v, s->msz);
		break;
	}
	case MK_BCD:
		for (unsigned i = 0; i < 9; i++)
			p[i] = (uint8_t)((gen_rand(g) % 10) << 4 |
					 gen_rand(g) % 10);
		p[9] = (uint8_t)(gen_rand(g) & 0x80);
		if (gen_rand(g) % 4 == 0)
			p[gen_rand(g) % 9] = (uint8_t)gen_rand(g); /* bad */
		break;
	case MK_CW:
		put16(p, gen_rand(g) % 4 ? rand_fcw(g) : gen_rand(g));
		break;
	case MK_ENV:
		fill_env(g, p, o32);
		break;
	case MK_SAVE:
		fill_env(g, p, o32);
		for (unsigned i = 0; i < 8; i++)
			rand_f80(g, p + (o32 ? 28 : 14) + 10 * i);
		break;
	case MK_FX:
		rand_fpu(g, p);
		put16(p, gen_rand(g) % 4 ? get16(p) : gen_rand(g));
		p[5] = (uint8_t)gen_rand(g);
		put16(p + 6, gen_rand(g));
		put16(p + 14, gen_rand(g));
		put16(p + 22, gen_rand(g));
		if (gen_rand(g) % 16 == 0) /* a reserved MXCSR bit: #GP */
			put32(p + 24, get32(p + 24) | 1u << 16);
		break;
	case MK_MXCSR:
		put32(p, gen_rand(g) % 16 ? rand_mxcsr(g)
					  : rand_mxcsr(g) | 1u << 16);
		break;
	case MK_LANES:
		rand_lanes(g, p, s->msz);
		break;
	default:
		break;
	}
}

/* Where the memory operand goes: mostly aligned, sometimes not. */
static uint32_t pick_target(struct gen *g, const struct fspec *s, bool a16)
{
	unsigned span = s->msz > 16 ? 512 : 16;
	uint32_t base =
		a16 ? D_LOW + 64 + gen_rand(g) % (D_LOW_LEN - 128 - span)
		    : D_DATA + 64 + gen_rand(g) % (D_DATA_LEN - 128 - span);
	uint32_t r = gen_rand(g) % 8;

	if (s->align16 ? r < 6 : r < 3)
		return base & ~15u;
	if (r < 7 && s->msz && s->msz <= 16)
		return base & ~(uint32_t)(s->msz - 1);
	return base;
}

static void pre_fpu(struct gen *g)
{
	const struct fspec *s = (const struct fspec *)g->f;

	rand_fpu(g, fpu_init);
	g->c.fpu = fpu_init;
	if (s->maskmov) {
		g->target = pick_target(g, s, false);
		gen_set(g, X86_EDI, g->target);
		fill_mem(g, s, g->target);
	} else if (s->f.rm == RM_MEM) {
		g->target = pick_target(g, s, s->f.flags & G_ADDR16);
		g->target_set = true;
		fill_mem(g, s, g->target);
	}
}

static void post_fpu(struct gen *g)
{
	const struct fspec *s = (const struct fspec *)g->f;
	bool o32 = s->f.bytes[0] != 0x66;

	if (s->skip == SK_ENV) {
		/* FIP FCS FOP FDP FDS of the environment. */
		g->c.skip[0].addr = g->target + (o32 ? 12 : 6);
		g->c.skip[0].len = o32 ? 16 : 8;
	} else if (s->skip == SK_FX) {
		g->c.skip[0].addr = g->target + 6;
		g->c.skip[0].len = 18;
		g->c.skip[1].addr = g->target + 28;
		g->c.skip[1].len = 4;
	}
}

/* ---- checks beyond the comparison ------------------------------------------- */

/* The instruction's opcode bytes after the prefixes. */
static const uint8_t *insn_body(const struct dcase *c)
{
	unsigned i = 0;

	while (i < c->len && (c->code[i] == 0x66 || c->code[i] == 0x67 ||
			      c->code[i] == 0xf2 || c->code[i] == 0xf3))
		i++;
	return c->code + i;
}

static bool mismatch(const struct dcase *c, const char *what, uint32_t got,
		     uint32_t want)
{
	fprintf(stderr,
		"MISMATCH %s (%s: interp %08x, expected %08x)\n  bytes  ",
		c->name, what, got, want);
	for (unsigned i = 0; i < c->len; i++)
		fprintf(stderr, " %02x", c->code[i]);
	fprintf(stderr, "\n");
	return false;
}

#define EXPECT(what, got, want)                                \
	do {                                                   \
		uint32_t got_ = (got), want_ = (want);         \
		if (got_ != want_)                             \
			return mismatch(c, what, got_, want_); \
	} while (0)

/* FIP, FCS, FOP, FDP, FDS of a 32-bit image (fxsave layout). */
struct ptrs {
	uint32_t fip, fcs, fop, fdp, fds;
};

static struct ptrs ptrs_of(const uint8_t *fx)
{
	struct ptrs p = {get32(fx + 8), get16(fx + 12), get16(fx + 6) & 0x7ff,
			 get32(fx + 16), get16(fx + 20)};

	return p;
}

/* The pointers an environment image in memory loads (protected mode). */
static struct ptrs ptrs_of_env(const uint8_t *e, bool o32)
{
	struct ptrs p;

	if (o32) {
		p.fip = get32(e + 12);
		p.fcs = get16(e + 16);
		p.fop = get16(e + 18) & 0x7ff;
		p.fdp = get32(e + 20);
		p.fds = get16(e + 24);
	} else {
		p.fip = get16(e + 6);
		p.fcs = get16(e + 8);
		p.fop = 0;
		p.fdp = get16(e + 10);
		p.fds = get16(e + 12);
	}
	return p;
}

static bool check_ptrs(const struct dcase *c, const struct ptrs *got,
		       const struct ptrs *want)
{
	EXPECT("FIP", got->fip, want->fip);
	EXPECT("FCS", got->fcs, want->fcs);
	EXPECT("FOP", got->fop, want->fop);
	EXPECT("FDP", got->fdp, want->fdp);
	EXPECT("FDS", got->fds, want->fds);
	return true;
}

/* What the interpreter stored in the bytes the comparison skipped. */
static bool check_stored(const struct fspec *s, const struct gen *g)
{
	const struct dcase *c = &g->c;
	const uint8_t *m = diff_guest(g->target);
	struct ptrs p = ptrs_of(fpu_init);
	bool o32 = s->f.bytes[0] != 0x66;

	if (s->skip == SK_FX) {
		EXPECT("fxsave FOP", get16(m + 6), p.fop);
		EXPECT("fxsave FIP", get32(m + 8), p.fip);
		EXPECT("fxsave FCS", get32(m + 12), p.fcs);
		EXPECT("fxsave FDP", get32(m + 16), p.fdp);
		EXPECT("fxsave FDS", get32(m + 20), p.fds);
		EXPECT("MXCSR_MASK", get32(m + 28), 0xffff);
	} else if (o32) {
		EXPECT("env FIP", get32(m + 12), p.fip);
		EXPECT("env FCS/FOP", get32(m + 16), p.fcs | p.fop << 16);
		EXPECT("env FDP", get32(m + 20), p.fdp);
		EXPECT("env FDS", get32(m + 24), 0xffff0000u | p.fds);
	} else {
		EXPECT("env FIP", get16(m + 6), p.fip & 0xffff);
		EXPECT("env FCS", get16(m + 8), p.fcs);
		EXPECT("env FDP", get16(m + 10), p.fdp & 0xffff);
		EXPECT("env FDS", get16(m + 12), p.fds);
	}
	return true;
}

static bool check_case(const struct fspec *s, const struct gen *g, int vec)
{
	const struct dcase *c = &g->c;
	const uint8_t *out = diff_fpu_interp(), *host = diff_fpu_host();
	const uint8_t *body = insn_body(c);
	struct ptrs got = ptrs_of(out), want = ptrs_of(fpu_init);

	if (vec >= 0)
		return check_ptrs(c, &got, &want);
	switch (s->ptr) {
	case P_UPDATE:
		want.fip = D_CODE;
		want.fcs = 0x08;
		want.fop = (uint32_t)(body[0] & 7) << 8 | body[1];
		if (s->f.rm == RM_MEM) {
			want.fdp = g->target;
			want.fds = 0x10;
		}
		/* The host stores its pointers with an error pending. */
		if (get16(host + 2) & 0x80) {
			EXPECT("host FOP", get16(host + 6) & 0x7ff, want.fop);
			EXPECT("host FIP", get32(host + 8), want.fip);
			if (s->f.rm == RM_MEM)
				EXPECT("host FDP", get32(host + 16), want.fdp);
		}
		break;
	case P_INIT:
		memset(&want, 0, sizeof(want));
		break;
	case P_ENV:
		want = ptrs_of_env(gen_mem(g->target), s->f.bytes[0] != 0x66);
		break;
	case P_FX:
		want = ptrs_of(gen_mem(g->target));
		break;
	default:
		break;
	}
	if (!check_ptrs(c, &got, &want))
		return false;
	if (s->skip != SK_NONE)
		return check_stored(s, g);
	return true;
}

/* ---- running forms ------------------------------------------------------------ */

static uint64_t hash(const char *str)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*str)
		h = (h ^ (uint8_t)*str++) * 0x100000001b3ull;
	return h;
}

static void run_form(struct fspec *s)
{
	struct gen g;
	uint64_t seed = base_seed ^ hash(s->f.name);
	unsigned n = s->cases ? s->cases : default_cases, fails = 0;
	int vec;

	s->f.pre = pre_fpu;
	s->f.post = post_fpu;
	if (getenv("BT386_TEST_VERBOSE"))
		fprintf(stderr, "form %s\n", s->f.name);
	for (unsigned i = 0; i < n; i++) {
		gen_case(&g, &s->f, seed + i * 0x9e3779b9ull);
		if (!diff_run(&g.c, &vec) || !check_case(s, &g, vec)) {
			fprintf(stderr, "  target %08x\n", g.target);
			nr_fails++;
			if (++fails >= 3)
				break;
		}
		if (vec >= 0) {
			nr_faults++;
			nr_by_vector[vec & 31]++;
		}
		nr_cases++;
	}
	nr_forms++;
}

static void setup(void)
{
	char err[256];
	const char *e;

	if ((e = getenv("BT386_TEST_SEED")))
		base_seed = strtoull(e, NULL, 0);
	if ((e = getenv("BT386_TEST_CASES")))
		default_cases = (unsigned)strtoul(e, NULL, 0);
	if (diff_setup(err, sizeof(err)) < 0)
		ck_abort_msg("cannot set up the native harness: %s", err);
	nr_forms = nr_cases = nr_faults = nr_fails = 0;
	memset(nr_by_vector, 0, sizeof(nr_by_vector));
	nr_forms_all = 0;
}

static void finish(const char *what)
{
	printf("%-10s %4u forms %8u cases %6u faulting (#UD %u #GP %u #MF %u "
	       "#XM %u), %u mismatches\n",
	       what, nr_forms, nr_cases, nr_faults, nr_by_vector[X86_EXC_UD],
	       nr_by_vector[X86_EXC_GP], nr_by_vector[X86_EXC_MF],
	       nr_by_vector[X86_EXC_XM], nr_fails);
	fflush(stdout);
	ck_assert_msg(nr_fails == 0, "%s: %u mismatches (seed 0x%llx)", what,
		      nr_fails, (unsigned long long)base_seed);
	ck_assert_uint_gt(nr_cases, 0);
}

/* ---- x87 ------------------------------------------------------------------------ */

struct x87_mem_info {
	const char *name;
	uint8_t mk, msz, ptr, skip;
};

/* Memory forms by opcode D8..DF and ModRM.reg; NULL: not in the model. */
static const struct x87_mem_info x87_mem[8][8] = {
	{{"fadd m32", MK_F32, 4, P_UPDATE, 0},
	 {"fmul m32", MK_F32, 4, P_UPDATE, 0},
	 {"fcom m32", MK_F32, 4, P_UPDATE, 0},
	 {"fcomp m32", MK_F32, 4, P_UPDATE, 0},
	 {"fsub m32", MK_F32, 4, P_UPDATE, 0},
	 {"fsubr m32", MK_F32, 4, P_UPDATE, 0},
	 {"fdiv m32", MK_F32, 4, P_UPDATE, 0},
	 {"fdivr m32", MK_F32, 4, P_UPDATE, 0}},
	{{"fld m32", MK_F32, 4, P_UPDATE, 0},
	 {NULL, 0, 0, 0, 0},
	 {"fst m32", MK_RAND, 4, P_UPDATE, 0},
	 {"fstp m32", MK_RAND, 4, P_UPDATE, 0},
	 {"fldenv", MK_ENV, 28, P_ENV, 0},
	 {"fldcw", MK_CW, 2, P_KEEP, 0},
	 {"fnstenv", MK_RAND, 28, P_KEEP, SK_ENV},
	 {"fnstcw", MK_RAND, 2, P_KEEP, 0}},
	{{"fiadd m32", MK_INT, 4, P_UPDATE, 0},
	 {"fimul m32", MK_INT, 4, P_UPDATE, 0},
	 {"ficom m32", MK_INT, 4, P_UPDATE, 0},
	 {"ficomp m32", MK_INT, 4, P_UPDATE, 0},
	 {"fisub m32", MK_INT, 4, P_UPDATE, 0},
	 {"fisubr m32", MK_INT, 4, P_UPDATE, 0},
	 {"fidiv m32", MK_INT, 4, P_UPDATE, 0},
	 {"fidivr m32", MK_INT, 4, P_UPDATE, 0}},
	{{"fild m32", MK_INT, 4, P_UPDATE, 0},
	 {NULL, 0, 0, 0, 0}, /* fisttp: SSE3 */
	 {"fist m32", MK_RAND, 4, P_UPDATE, 0},
	 {"fistp m32", MK_RAND, 4, P_UPDATE, 0},
	 {NULL, 0, 0, 0, 0},
	 {"fld m80", MK_F80, 10, P_UPDATE, 0},
	 {NULL, 0, 0, 0, 0},
	 {"fstp m80", MK_RAND, 10, P_UPDATE, 0}},
	{{"fadd m64", MK_F64, 8, P_UPDATE, 0},
	 {"fmul m64", MK_F64, 8, P_UPDATE, 0},
	 {"fcom m64", MK_F64, 8, P_UPDATE, 0},
	 {"fcomp m64", MK_F64, 8, P_UPDATE, 0},
	 {"fsub m64", MK_F64, 8, P_UPDATE, 0},
	 {"fsubr m64", MK_F64, 8, P_UPDATE, 0},
	 {"fdiv m64", MK_F64, 8, P_UPDATE, 0},
	 {"fdivr m64", MK_F64, 8, P_UPDATE, 0}},
	{{"fld m64", MK_F64, 8, P_UPDATE, 0},
	 {NULL, 0, 0, 0, 0}, /* fisttp: SSE3 */
	 {"fst m64", MK_RAND, 8, P_UPDATE, 0},
	 {"fstp m64", MK_RAND, 8, P_UPDATE, 0},
	 {"frstor", MK_SAVE, 108, P_ENV, 0},
	 {NULL, 0, 0, 0, 0},
	 {"fnsave", MK_RAND, 108, P_INIT, SK_ENV},
	 {"fnstsw m16", MK_RAND, 2, P_KEEP, 0}},
	{{"fiadd m16", MK_INT, 2, P_UPDATE, 0},
	 {"fimul m16", MK_INT, 2, P_UPDATE, 0},
	 {"ficom m16", MK_INT, 2, P_UPDATE, 0},
	 {"ficomp m16", MK_INT, 2, P_UPDATE, 0},
	 {"fisub m16", MK_INT, 2, P_UPDATE, 0},
	 {"fisubr m16", MK_INT, 2, P_UPDATE, 0},
	 {"fidiv m16", MK_INT, 2, P_UPDATE, 0},
	 {"fidivr m16", MK_INT, 2, P_UPDATE, 0}},
	{{"fild m16", MK_INT, 2, P_UPDATE, 0},
	 {NULL, 0, 0, 0, 0}, /* fisttp: SSE3 */
	 {"fist m16", MK_RAND, 2, P_UPDATE, 0},
	 {"fistp m16", MK_RAND, 2, P_UPDATE, 0},
	 {"fbld", MK_BCD, 10, P_UPDATE, 0},
	 {"fild m64", MK_INT, 8, P_UPDATE, 0},
	 {"fbstp", MK_RAND, 10, P_UPDATE, 0},
	 {"fistp m64", MK_RAND, 8, P_UPDATE, 0}},
};

static void add_x87_mem_forms(void)
{
	char name[48];

	for (unsigned op = 0; op < 8; op++)
		for (unsigned reg = 0; reg < 8; reg++) {
			const struct x87_mem_info *x = &x87_mem[op][reg];
			uint8_t b[2] = {0x66, (uint8_t)(0xd8 + op)};
			bool env = x->mk == MK_ENV || x->mk == MK_SAVE ||
				   x->skip == SK_ENV;

			if (!x->name)
				continue;
			/* 32-bit addressing, then 16-bit; the environment
			 * forms also with a 16-bit operand size. */
			for (unsigned v = 0; v < (env ? 4u : 2u); v++) {
				bool o16 = v >= 2, a16 = v & 1;
				struct fspec *s;

				snprintf(name, sizeof(name), "%s%s%s", x->name,
					 o16 ? " o16" : "", a16 ? " a16" : "");
				s = new_form(name, o16 ? b : b + 1,
					     o16 ? 2 : 1);
				s->f.digit = (int8_t)reg;
				s->f.rm = RM_MEM;
				s->f.flags = a16 ? G_ADDR16 : 0;
				s->mk = x->mk;
				s->msz = o16 && x->msz > 20 ? x->msz - 14
							    : x->msz;
				s->ptr = x->ptr;
				s->skip = x->skip;
			}
		}
}

static void add_x87_reg_forms(void)
{
	char name[48];

	for (unsigned op = 0xd8; op <= 0xdf; op++)
		for (unsigned reg = 0; reg < 8; reg++) {
			struct x86_insn in;
			const char *n0 = NULL;
			bool same = true;
			uint8_t b[2] = {(uint8_t)op, 0};

			for (unsigned rm = 0; rm < 8; rm++) {
				b[1] = (uint8_t)(0xc0 | reg << 3 | rm);
				if (x86_decode(&in, b, 2, true) != 2) {
					same = false;
					continue;
				}
				if (!n0)
					n0 = in.info->name;
				else if (strcmp(n0, in.info->name))
					same = false;
			}
			for (unsigned rm = 0; rm < (same ? 1u : 8u); rm++) {
				struct fspec *s;
				const char *nm;

				b[1] = (uint8_t)(0xc0 | reg << 3 | rm);
				if (x86_decode(&in, b, 2, true) != 2)
					continue;
				nm = in.info->name;
				if (same) {
					snprintf(name, sizeof(name),
						 "%s st(i) [%02x /%u]", nm, op,
						 reg);
					s = new_form(name, b, 1);
					s->f.digit = (int8_t)reg;
					s->f.rm = RM_REG;
				} else {
					snprintf(name, sizeof(name),
						 "%s [%02x %02x]", nm, op,
						 b[1]);
					s = new_form(name, b, 2);
				}
				s->ptr = P_UPDATE;
				if (!strcmp(nm, "fninit"))
					s->ptr = P_INIT;
				else if (!strcmp(nm, "fnclex") ||
					 !strcmp(nm, "fnstsw") ||
					 !strcmp(nm, "fneni") ||
					 !strcmp(nm, "fndisi") ||
					 !strcmp(nm, "fnsetpm"))
					s->ptr = P_KEEP;
			}
		}
	/* wait: #MF when an error is pending */
	{
		static const uint8_t w[1] = {0x9b};
		struct fspec *s = new_form("wait", w, 1);

		s->ptr = P_KEEP;
		s->cases = 400;
	}
}

START_TEST(test_x87)
{
	add_x87_mem_forms();
	add_x87_reg_forms();
	for (unsigned i = 0; i < nr_forms_all; i++)
		run_form(&forms[i]);
	finish("x87");
}
END_TEST

/* ---- MMX, SSE, SSE2 ----------------------------------------------------------- */

/* 0F-map opcodes the decoder knows but the model does not have: SSE3,
 * SSE4a, 3DNow! (by mandatory prefix: none, 66, F3, F2). */
static bool not_in_model(unsigned mand, unsigned op)
{
	switch (mand) {
	case 0:
		return op == 0x0e || op == 0x0f;
	case 1:
		return op == 0x78 || op == 0x79 || op == 0x7c || op == 0x7d ||
		       op == 0xd0;
	case 2:
		return op == 0x12 || op == 0x16 || op == 0x2b;
	default:
		return op == 0x12 || op == 0x78 || op == 0x79 || op == 0x7c ||
		       op == 0x7d || op == 0xd0 || op == 0xf0 || op == 0x2b;
	}
}

/* Bytes of the ModRM memory operand of a decoded SIMD row. */
static unsigned simd_msz(const struct x86_insn *in)
{
	for (unsigned i = 0; i < in->info->nr_operands; i++) {
		unsigned k = in->info->operand[i].kind;

		if (k == OPK_E || k == OPK_M || k == OPK_Q || k == OPK_W)
			return x86_operand_bytes(in, i);
	}
	return 0;
}

static void add_simd_form(const uint8_t *b, unsigned n, int digit, bool mem,
			  bool a16, const struct x86_insn *in)
{
	static const char *const pfx[4] = {"", "66 ", "f3 ", "f2 "};
	char name[48], grp[4] = "";
	struct fspec *s;
	unsigned mand = n == 3 ? (b[0] == 0x66 ? 1 : b[0] == 0xf3 ? 2 : 3) : 0;

	if (digit >= 0 && digit < 8)
		snprintf(grp, sizeof(grp), " /%d", digit);
	snprintf(name, sizeof(name), "%s %s0f %02x%s%s", in->info->name,
		 pfx[mand], b[n - 1], grp,
		 mem ? (a16 ? " m a16" : " m") : " r");
	s = new_form(name, b, n);
	s->f.digit = (int8_t)digit;
	s->f.rm = digit < 0 ? RM_NONE : mem ? RM_MEM : RM_REG;
	s->f.flags = a16 ? G_ADDR16 : 0;
	s->f.imm = in->imm_len;
	s->mk = MK_LANES;
	s->msz = (uint8_t)(mem ? simd_msz(in) : 0);
	s->align16 = true;
	s->ptr = P_KEEP;
	if (b[n - 1] == 0xf7) { /* maskmovq / maskmovdqu: DS:EDI */
		s->maskmov = true;
		s->msz = mand ? 16 : 8;
		s->align16 = false;
		s->f.flags |= G_NOESP;
	}
}

static void add_simd_forms(void)
{
	static const uint8_t pfx[4] = {0, 0x66, 0xf3, 0xf2};

	for (unsigned mand = 0; mand < 4; mand++)
		for (unsigned op = 0; op < 256; op++) {
			uint8_t b[3] = {pfx[mand], 0x0f, (uint8_t)op};
			const uint8_t *ob = mand ? b : b + 1;
			unsigned n = mand ? 3 : 2;
			bool group = op >= 0x71 && op <= 0x73;

			if (not_in_model(mand, op))
				continue;
			for (unsigned reg = 0; reg < (group ? 8u : 1u); reg++)
				for (unsigned mem = 0; mem < 2; mem++) {
					uint8_t t[16];
					struct x86_insn in;
					int len;

					memcpy(t, ob, n);
					t[n] = (uint8_t)(mem ? reg << 3 | 5
							     : 0xc0 | reg << 3 |
									 1);
					memset(t + n + 1, 0x10, 6);
					len = x86_decode(&in, t, n + 7, true);
					if (len < 0 || in.map != 1 ||
					    (in.info->op != X86_OP_MMX &&
					     in.info->op != X86_OP_SSE) ||
					    in.mand != mand)
						continue;
					if (!(in.info->flags & X86_F_MODRM)) {
						/* emms */
						if (!mem)
							add_simd_form(ob, n, -1,
								      false,
								      false,
								      &in);
						continue;
					}
					add_simd_form(ob, n,
						      group ? (int)reg : 8, mem,
						      false, &in);
					/* Some with 16-bit addressing too. */
					if (mem && op % 4 == 0)
						add_simd_form(ob, n,
							      group ? (int)reg
								    : 8,
							      true, true, &in);
				}
		}
}

START_TEST(test_simd)
{
	add_simd_forms();
	for (unsigned i = 0; i < nr_forms_all; i++)
		run_form(&forms[i]);
	finish("mmx/sse");
}
END_TEST

/* FXSAVE, FXRSTOR, LDMXCSR, STMXCSR. */
START_TEST(test_state)
{
	static const struct {
		const char *name;
		uint8_t reg, mk;
		uint16_t msz;
		uint8_t ptr, skip;
	} st[] = {
		{"fxsave", 0, MK_RAND, 512, P_KEEP, SK_FX},
		{"fxrstor", 1, MK_FX, 512, P_FX, SK_NONE},
		{"ldmxcsr", 2, MK_MXCSR, 4, P_KEEP, SK_NONE},
		{"stmxcsr", 3, MK_RAND, 4, P_KEEP, SK_NONE},
	};
	static const uint8_t b[2] = {0x0f, 0xae};
	char name[48];

	for (unsigned i = 0; i < sizeof(st) / sizeof(st[0]); i++)
		for (unsigned a16 = 0; a16 < 2; a16++) {
			struct fspec *s;

			snprintf(name, sizeof(name), "%s%s", st[i].name,
				 a16 ? " a16" : "");
			s = new_form(name, b, 2);
			s->f.digit = (int8_t)st[i].reg;
			s->f.rm = RM_MEM;
			s->f.flags = a16 ? G_ADDR16 : 0;
			s->mk = st[i].mk;
			s->msz = st[i].msz;
			s->align16 = st[i].msz == 512;
			s->ptr = st[i].ptr;
			s->skip = st[i].skip;
			s->cases = 600;
		}
	for (unsigned i = 0; i < nr_forms_all; i++)
		run_form(&forms[i]);
	finish("fxsr");
}
END_TEST

static Suite *interp_fpu_suite(bool native)
{
	Suite *s = suite_create("interp_fpu");
	TCase *tc = tcase_create("host");

	suite_add_tcase(s, interp_fpu_model_tcase());
	if (!native)
		return s;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_x87);
	tcase_add_test(tc, test_simd);
	tcase_add_test(tc, test_state);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	char why[256];
	bool native = n32_available(why, sizeof(why));
	SRunner *sr;
	int failed;

	if (!native)
		printf("SKIP: the cases against the host CPU: %s\n", why);
	sr = srunner_create(interp_fpu_suite(native));

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (failed)
		return EXIT_FAILURE;
	return native ? EXIT_SUCCESS : 77; /* automake: skipped */
}
