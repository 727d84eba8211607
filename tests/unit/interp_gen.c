/*
 * interp_gen.c - random instances of instruction forms (see interp_gen.h).
 */
#include "interp_gen.h"

#include <string.h>

#include "x86.h"

#define NOREG (-1)

uint32_t gen_rand(struct gen *g)
{
	/* splitmix64 */
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)(z ^ (z >> 31));
}

uint32_t gen_value(struct gen *g)
{
	static const uint32_t edge[] = {
		0,	    1,		2,	    0x7f,	0x80,
		0xff,	    0x100,	0x7fff,	    0x8000,	0xffff,
		0x10000,    0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe,
		0xffffffff, 0xff00,	0xffff0000, 0x00ff00ff, 0x99,
	};
	uint32_t r = gen_rand(g);

	switch (r % 8) {
	case 0:
		return edge[(r >> 8) % (sizeof(edge) / sizeof(edge[0]))];
	case 1:
		return gen_rand(g) & 0xff;
	case 2:
		return gen_rand(g) & 0xffff;
	case 3:
		return (uint32_t)(int32_t)(int8_t)gen_rand(g);
	default:
		return gen_rand(g);
	}
}

void gen_set(struct gen *g, unsigned r, uint32_t v)
{
	g->c.regs[r] = v;
	g->fixed |= 1u << r;
}

void gen_set16(struct gen *g, unsigned r, uint32_t v)
{
	gen_set(g, r, (g->c.regs[r] & 0xffff0000u) | (v & 0xffff));
}

void gen_stop(struct gen *g, uint32_t addr)
{
	if (g->c.nstops < D_MAX_STOPS)
		g->c.stops[g->c.nstops++] = addr;
}

static void emit(struct gen *g, uint8_t b)
{
	if (g->c.len < sizeof(g->c.code))
		g->c.code[g->c.len++] = b;
}

static void emit_n(struct gen *g, uint32_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		emit(g, (uint8_t)(v >> (8 * i)));
}

static bool pinned(const struct gen *g, int r)
{
	return r != NOREG && (g->fixed & (1u << r));
}

static uint32_t rand_disp(struct gen *g, unsigned n)
{
	uint32_t d = gen_rand(g);

	return n == 1 ? (uint32_t)(int32_t)(int8_t)d : n == 0 ? 0 : d;
}

/* A 32-bit memory operand at g->target. */
static void mem32(struct gen *g, unsigned reg)
{
	static const unsigned dsizes[3] = {0, 1, 4};
	uint32_t r = gen_rand(g), t = g->target, idxv = 0, basev = 0, disp;
	bool sib = r & 1;
	int base = (int)((r >> 1) % 9), index = NOREG;
	unsigned scale = 1u << ((r >> 5) % 4), dsz = dsizes[(r >> 7) % 3];
	unsigned mod;

	if (base == 8)
		base = NOREG;
	if (base == X86_ESP)
		sib = true;
	if (sib) {
		index = (int)((r >> 9) % 9);
		if (index == 8 || index == X86_ESP || index == base)
			index = NOREG;
	}
	if (base == NOREG)
		dsz = 4;
	else if (base == X86_EBP && dsz == 0)
		dsz = 1;

	if (index != NOREG) {
		if (!pinned(g, index))
			gen_set(g, index, gen_value(g));
		idxv = g->c.regs[index];
	}
	if (base != NOREG && !pinned(g, base)) {
		disp = rand_disp(g, dsz);
		gen_set(g, base, t - disp - idxv * scale);
	} else {
		if (base != NOREG)
			basev = g->c.regs[base];
		disp = t - basev - idxv * scale;
		dsz = 4;
	}

	mod = base == NOREG ? 0 : dsz == 0 ? 0 : dsz == 1 ? 1 : 2;
	if (!sib) {
		emit(g, (uint8_t)(mod << 6 | reg << 3 |
				  (base == NOREG ? 5 : base)));
	} else {
		emit(g, (uint8_t)(mod << 6 | reg << 3 | 4));
		emit(g, (uint8_t)(__builtin_ctz(scale) << 6 |
				  (index == NOREG ? 4 : index) << 3 |
				  (base == NOREG ? 5 : base)));
	}
	emit_n(g, disp, dsz);
}

/* A 16-bit memory operand at g->target (which is below 64 KiB). */
static void mem16(struct gen *g, unsigned reg)
{
	static const int8_t regs16[8][2] = {
		{X86_EBX, X86_ESI}, {X86_EBX, X86_EDI}, {X86_EBP, X86_ESI},
		{X86_EBP, X86_EDI}, {X86_ESI, NOREG},	{X86_EDI, NOREG},
		{X86_EBP, NOREG},   {X86_EBX, NOREG},
	};
	uint32_t r = gen_rand(g), t = g->target, disp, sum;
	unsigned rm = r % 8, mod = (r >> 3) % 3;
	int r1 = regs16[rm][0], r2 = regs16[rm][1];
	int free_reg = NOREG;

	if (mod == 0 && rm == 6) {
		emit(g, (uint8_t)(reg << 3 | 6));
		emit_n(g, t, 2);
		return;
	}
	disp = mod == 1	  ? (uint32_t)(int32_t)(int8_t)gen_rand(g)
	       : mod == 2 ? gen_rand(g) & 0xffff
			  : 0;
	if (r2 != NOREG && !pinned(g, r2))
		free_reg = r2;
	if (!pinned(g, r1))
		free_reg = r1;
	sum = 0;
	if (r1 != free_reg)
		sum += g->c.regs[r1];
	if (r2 != NOREG && r2 != free_reg)
		sum += g->c.regs[r2];
	if (free_reg != NOREG) {
		gen_set16(g, (unsigned)free_reg, t - disp - sum);
	} else {
		mod = 2;
		disp = t - sum;
	}
	emit(g, (uint8_t)(mod << 6 | reg << 3 | rm));
	emit_n(g, disp, mod == 1 ? 1 : mod == 2 ? 2 : 0);
}

static int pick_reg(struct gen *g, bool noesp)
{
	int r;

	do
		r = (int)(gen_rand(g) % 8);
	while (noesp && r == X86_ESP);
	return r;
}

void gen_case(struct gen *g, const struct form *f, uint64_t seed)
{
	bool noesp = f->flags & G_NOESP;

	memset(g, 0, sizeof(*g));
	g->f = f;
	g->rng = seed;
	g->c.name = f->name;
	g->regfield = -1;
	g->rmreg = -1;
	for (int i = 0; i < 8; i++)
		g->c.regs[i] = gen_value(g);
	/* A valid stack, so that a fault can be delivered in the guest. */
	gen_set(g, X86_ESP, D_STACK + 0xf00 + (gen_rand(g) & 0x1fc));
	g->c.eflags = gen_rand(g) & (X86_FL_ARITH | X86_FL_DF);
	diff_fill(((uint64_t)gen_rand(g) << 32) | gen_rand(g));

	if (f->pre)
		f->pre(g);

	if (f->rm == RM_MEM && (f->flags & G_ADDR16))
		emit(g, 0x67);
	for (unsigned i = 0; i < f->nbytes; i++)
		emit(g, f->bytes[i]);
	if (f->flags & G_OPREG) {
		if (g->regfield < 0)
			g->regfield = pick_reg(g, noesp);
		g->c.code[g->c.len - 1] += (uint8_t)g->regfield;
	}
	if (f->digit >= 0) {
		unsigned reg = (unsigned)f->digit;

		if (f->digit == 8) {
			if (g->regfield < 0)
				g->regfield = pick_reg(g, false);
			reg = (unsigned)g->regfield;
		}
		if (f->rm == RM_MEM) {
			if (!g->target_set)
				g->target =
					(f->flags & G_ADDR16)
						? D_LOW + 32 +
							  gen_rand(g) %
								  (D_LOW_LEN -
								   64)
						: D_DATA + 64 +
							  gen_rand(g) %
								  (D_DATA_LEN -
								   128);
			if (f->flags & G_ADDR16)
				mem16(g, reg);
			else
				mem32(g, reg);
		} else {
			if (g->rmreg < 0)
				g->rmreg = pick_reg(g, noesp);
			emit(g,
			     (uint8_t)(0xc0 | reg << 3 | (unsigned)g->rmreg));
		}
	}
	g->imm_off = g->c.len;
	if (f->imm)
		emit_n(g, g->imm_set ? g->imm_val : gen_value(g), f->imm);
	if (f->imm2)
		emit_n(g, gen_rand(g), f->imm2);

	if (f->post)
		f->post(g);
}
