/*
 * test_interp_native.c - the interpreter's integer instructions against
 * the host CPU.
 *
 * For every instruction form (encoding x operand size x register/memory
 * operand x addressing size) thousands of random cases run once in the
 * interpreter and once natively in a 32-bit code segment (native32.h),
 * and must agree on registers, EIP, arithmetic flags, DF, memory and
 * exceptions (interp_diff.h). Undefined flags included: the interpreter
 * computes flags on the host, so they must match bit for bit.
 *
 * BT386_TEST_SEED=<n> changes the seed, BT386_TEST_CASES=<n> the number of
 * cases per form. A mismatch prints the bytes, the inputs and both
 * outcomes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bt/interp.h"
#include "interp_diff.h"
#include "interp_edge.h"
#include "interp_gen.h"
#include "native32.h"
#include "x86.h"

/* ---- running forms ------------------------------------------------- */

#define M_REG 0x01  /* r/m is a register */
#define M_MEM 0x02  /* r/m is memory (32-bit addressing) */
#define M_A16 0x04  /* r/m is memory with 16-bit addressing */
#define M_NONE 0x08 /* no ModRM */
#define M_V 0x10    /* operand size 32 and 16 (66 prefix) */
#define M_RM (M_REG | M_MEM)
#define M_ALL (M_REG | M_MEM | M_A16)

#define IZ 0xff /* immediate as wide as the operand size */

struct spec {
	const char *name;
	const char *hex; /* prefixes and opcode bytes */
	int digit;	 /* ModRM reg: -1 none, 0..7, 8 random */
	unsigned mode;	 /* M_* */
	unsigned imm, imm2;
	unsigned size; /* operand size (without M_V) */
	unsigned flags;
	gen_hook pre, post;
	unsigned cases; /* 0: the default */
};

static uint64_t base_seed = 0x6274333836ull;
static unsigned default_cases = 1000;
static unsigned nr_forms, nr_cases, nr_faults, nr_fails;

static uint64_t hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (uint8_t)*s++) * 0x100000001b3ull;
	return h;
}

static void check_form(const struct form *f, unsigned n)
{
	struct gen g;
	uint64_t seed = base_seed ^ hash(f->name);
	unsigned fails = 0;
	int vec;

	for (unsigned i = 0; i < n; i++) {
		gen_case(&g, f, seed + i * 0x9e3779b9ull);
		if (!diff_run(&g.c, &vec) && ++fails >= 3)
			break;
		if (vec >= 0)
			nr_faults++;
		nr_cases++;
	}
	nr_forms++;
	nr_fails += fails;
}

static unsigned parse_hex(const char *hex, uint8_t *out)
{
	unsigned n = 0;

	while (*hex) {
		char *end;
		unsigned long v = strtoul(hex, &end, 16);
		if (end == hex)
			break;
		out[n++] = (uint8_t)v;
		hex = end;
	}
	return n;
}

static void run_spec(const struct spec *s)
{
	static const unsigned rms[3] = {M_REG, M_MEM, M_A16};
	unsigned nsizes = (s->mode & M_V) ? 2 : 1;

	for (unsigned si = 0; si < nsizes; si++) {
		unsigned size = (s->mode & M_V) ? (si ? 2 : 4) : s->size;

		for (unsigned ri = 0; ri < 3; ri++) {
			struct form f;
			unsigned rm = rms[ri];

			if (s->mode & M_NONE) {
				if (ri)
					break;
				rm = 0;
			} else if (!(s->mode & rm)) {
				continue;
			}
			memset(&f, 0, sizeof(f));
			snprintf(f.name, sizeof(f.name), "%s%s%s", s->name,
				 (s->mode & M_V) ? (size == 2 ? " o16" : " o32")
						 : "",
				 rm == M_REG   ? " reg"
				 : rm == M_MEM ? " mem"
				 : rm == M_A16 ? " mem16"
					       : "");
			if ((s->mode & M_V) && size == 2)
				f.bytes[f.nbytes++] = 0x66;
			f.nbytes +=
				(uint8_t)parse_hex(s->hex, f.bytes + f.nbytes);
			f.digit = (int8_t)s->digit;
			f.rm = rm == M_REG ? RM_REG : rm ? RM_MEM : RM_NONE;
			f.imm = (uint8_t)(s->imm == IZ ? size : s->imm);
			f.imm2 = (uint8_t)s->imm2;
			f.size = (uint8_t)size;
			f.flags = (uint8_t)(s->flags |
					    (rm == M_A16 ? G_ADDR16 : 0));
			f.pre = s->pre;
			f.post = s->post;
			/* Explicit counts scale with BT386_TEST_CASES too. */
			check_form(&f, s->cases ? (s->cases * default_cases +
						   999) / 1000
						: default_cases);
		}
	}
}

static void run_specs(const struct spec *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		run_spec(&s[i]);
}

#define RUN(table) run_specs(table, sizeof(table) / sizeof(table[0]))

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
}

static void finish(const char *what)
{
	printf("%-8s %4u forms %8u cases %6u faulting, %u mismatches\n", what,
	       nr_forms, nr_cases, nr_faults, nr_fails);
	fflush(stdout);
	ck_assert_msg(nr_fails == 0, "%s: %u mismatches (seed 0x%llx)", what,
		      nr_fails, (unsigned long long)base_seed);
	ck_assert_uint_gt(nr_cases, 0);
}

/* ---- helpers for hooks ---------------------------------------------- */

static uint32_t reg_part(const struct gen *g, unsigned r, unsigned size)
{
	if (size == 1)
		return r < 4 ? g->c.regs[r] & 0xff
			     : (g->c.regs[r - 4] >> 8) & 0xff;
	return size == 2 ? g->c.regs[r] & 0xffff : g->c.regs[r];
}

/* Set the low `size` bytes of register r (and pin it). */
static void set_part(struct gen *g, unsigned r, unsigned size, uint32_t v)
{
	uint32_t m = size == 4 ? ~0u : (1u << (size * 8)) - 1;

	gen_set(g, r, (g->c.regs[r] & ~m) | (v & m));
}

static bool has_byte(const struct form *f, uint8_t b)
{
	for (unsigned i = 0; i < f->nbytes; i++)
		if (f->bytes[i] == b)
			return true;
	return false;
}

/* The main opcode byte (after prefixes and 0F). */
static uint8_t opcode(const struct form *f)
{
	unsigned i = 0;

	while (i < f->nbytes && (f->bytes[i] == 0x66 || f->bytes[i] == 0x67 ||
				 f->bytes[i] == 0xf2 || f->bytes[i] == 0xf3 ||
				 f->bytes[i] == 0xf0 || f->bytes[i] == 0x0f ||
				 f->bytes[i] == 0x26 || f->bytes[i] == 0x2e ||
				 f->bytes[i] == 0x36 || f->bytes[i] == 0x3e))
		i++;
	return i < f->nbytes ? f->bytes[i] : 0;
}

static void write_mem(uint32_t addr, uint32_t v, unsigned size)
{
	memcpy(gen_mem(addr), &v, size);
}

static uint32_t read_mem(uint32_t addr, unsigned size)
{
	uint32_t v = 0;

	memcpy(&v, gen_mem(addr), size);
	return v;
}

/* ---- ALU ------------------------------------------------------------ */

static const char *const alu_names[8] = {"add", "or",  "adc", "sbb",
					 "and", "sub", "xor", "cmp"};

START_TEST(test_alu)
{
	char hex[8][6][8];

	for (unsigned op = 0; op < 8; op++) {
		const char *n = alu_names[op];
		for (unsigned e = 0; e < 6; e++)
			snprintf(hex[op][e], sizeof(hex[op][e]), "%02x",
				 op * 8 + e);
		const struct spec s[] = {
			{n, hex[op][0], 8, M_ALL, 0, 0, 1},
			{n, hex[op][1], 8, M_ALL | M_V, 0, 0, 0},
			{n, hex[op][2], 8, M_RM, 0, 0, 1},
			{n, hex[op][3], 8, M_ALL | M_V, 0, 0, 0},
			{n, hex[op][4], -1, M_NONE, 1, 0, 1},
			{n, hex[op][5], -1, M_NONE | M_V, IZ, 0, 0},
			{n, "80", (int)op, M_ALL, 1, 0, 1},
			{n, "82", (int)op, M_RM, 1, 0, 1},
			{n, "81", (int)op, M_RM | M_V, IZ, 0, 0},
			{n, "83", (int)op, M_ALL | M_V, 1, 0, 0},
		};
		char names[10][32];
		struct spec t[10];

		for (unsigned i = 0; i < 10; i++) {
			t[i] = s[i];
			snprintf(names[i], sizeof(names[i]), "%s %s/%d", n,
				 s[i].hex, s[i].digit);
			t[i].name = names[i];
		}
		RUN(t);
	}
	{
		static const struct spec more[] = {
			{"lock add", "f0 01", 8, M_MEM | M_V},
			{"lock sbb", "f0 80", 3, M_MEM, 1, 0, 1},
			{"test 84", "84", 8, M_RM, 0, 0, 1},
			{"test 85", "85", 8, M_RM | M_V},
			{"test a8", "a8", -1, M_NONE, 1, 0, 1},
			{"test a9", "a9", -1, M_NONE | M_V, IZ},
			{"test f6/0", "f6", 0, M_ALL, 1, 0, 1},
			{"test f7/0", "f7", 0, M_RM | M_V, IZ},
			{"test f6/1", "f6", 1, M_RM, 1, 0, 1},
			{"test f7/1", "f7", 1, M_RM | M_V, IZ},
			{"not f6", "f6", 2, M_RM, 0, 0, 1},
			{"not f7", "f7", 2, M_RM | M_V},
			{"neg f6", "f6", 3, M_RM, 0, 0, 1},
			{"neg f7", "f7", 3, M_ALL | M_V},
			{"inc fe", "fe", 0, M_RM, 0, 0, 1},
			{"dec fe", "fe", 1, M_RM, 0, 0, 1},
			{"inc ff", "ff", 0, M_RM | M_V},
			{"dec ff", "ff", 1, M_ALL | M_V},
			{"inc 40+r", "40", -1, M_NONE | M_V, 0, 0, 0, G_OPREG},
			{"dec 48+r", "48", -1, M_NONE | M_V, 0, 0, 0, G_OPREG},
			{"clc", "f8", -1, M_NONE},
			{"stc", "f9", -1, M_NONE},
			{"cmc", "f5", -1, M_NONE},
			{"cld", "fc", -1, M_NONE},
			{"std", "fd", -1, M_NONE},
		};
		RUN(more);
	}
	finish("alu");
}
END_TEST

/* ---- multiply and divide -------------------------------------------- */

/* Mostly dividends whose quotient fits; some that do not (#DE). */
static void pre_div(struct gen *g)
{
	unsigned size = g->f->size;
	uint32_t lo = gen_value(g), hi;

	switch (gen_rand(g) % 5) {
	case 0:
		hi = gen_value(g);
		break;
	case 1:
		hi = 0;
		break;
	case 2: /* the sign extension of the low half */
		hi = (lo >> (size * 8 - 1)) & 1 ? ~0u : 0;
		break;
	default:
		hi = gen_rand(g) & 0x7;
		break;
	}
	if (size == 1) {
		gen_set16(g, X86_EAX, (lo & 0xff) | (hi & 0xff) << 8);
	} else {
		gen_set(g, X86_EAX, lo);
		gen_set(g, X86_EDX, hi);
	}
}

START_TEST(test_muldiv)
{
	static const struct spec s[] = {
		{"mul f6", "f6", 4, M_ALL, 0, 0, 1},
		{"mul f7", "f7", 4, M_RM | M_V},
		{"imul f6", "f6", 5, M_ALL, 0, 0, 1},
		{"imul f7", "f7", 5, M_RM | M_V},
		{"div f6", "f6", 6, M_ALL, 0, 0, 1, 0, pre_div, NULL, 3000},
		{"div f7", "f7", 6, M_RM | M_V, 0, 0, 0, 0, pre_div, NULL,
		 3000},
		{"idiv f6", "f6", 7, M_ALL, 0, 0, 1, 0, pre_div, NULL, 3000},
		{"idiv f7", "f7", 7, M_RM | M_V, 0, 0, 0, 0, pre_div, NULL,
		 3000},
		{"imul 0f af", "0f af", 8, M_ALL | M_V},
		{"imul 69", "69", 8, M_RM | M_V, IZ},
		{"imul 6b", "6b", 8, M_ALL | M_V, 1},
	};

	RUN(s);
	finish("muldiv");
}
END_TEST

/* ---- shifts and rotates --------------------------------------------- */

static uint32_t pick_count(struct gen *g)
{
	unsigned w = g->f->size * 8;
	uint32_t r = gen_rand(g);

	switch (r % 10) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return w - 1;
	case 3:
		return w;
	case 4:
		return w + 1;
	case 5:
		return 32 + (r >> 8) % 4; /* masks to 0..3 */
	case 6:
		return (r >> 8) & 0xff;
	default:
		return (r >> 8) % 32;
	}
}

static void pre_count_imm(struct gen *g)
{
	g->imm_set = true;
	g->imm_val = pick_count(g);
}

static void pre_count_cl(struct gen *g)
{
	gen_set(g, X86_ECX, (g->c.regs[X86_ECX] & ~0xffu) | pick_count(g));
}

START_TEST(test_shift)
{
	static const char *const names[8] = {"rol", "ror", "rcl", "rcr",
					     "shl", "shr", "sal", "sar"};
	char nm[8][4][24];

	for (int d = 0; d < 8; d++) {
		snprintf(nm[d][0], 24, "%s c0", names[d]);
		snprintf(nm[d][1], 24, "%s d0", names[d]);
		snprintf(nm[d][2], 24, "%s c1", names[d]);
		snprintf(nm[d][3], 24, "%s d3", names[d]);
		const struct spec s[] = {
			{nm[d][0], "c0", d, M_ALL, 1, 0, 1, 0, pre_count_imm},
			{nm[d][1], "d0", d, M_RM, 0, 0, 1},
			{nm[d][1], "d2", d, M_RM, 0, 0, 1, 0, pre_count_cl},
			{nm[d][2], "c1", d, M_RM | M_V, 1, 0, 0, 0,
			 pre_count_imm},
			{nm[d][3], "d1", d, M_RM | M_V},
			{nm[d][3], "d3", d, M_ALL | M_V, 0, 0, 0, 0,
			 pre_count_cl},
		};
		char names2[6][40];
		struct spec t[6];

		for (int i = 0; i < 6; i++) {
			t[i] = s[i];
			snprintf(names2[i], sizeof(names2[i]), "%s/%s",
				 names[d], s[i].hex);
			t[i].name = names2[i];
		}
		RUN(t);
	}
	{
		static const struct spec s[] = {
			{"shld ib", "0f a4", 8, M_ALL | M_V, 1, 0, 0, 0,
			 pre_count_imm},
			{"shld cl", "0f a5", 8, M_RM | M_V, 0, 0, 0, 0,
			 pre_count_cl},
			{"shrd ib", "0f ac", 8, M_RM | M_V, 1, 0, 0, 0,
			 pre_count_imm},
			{"shrd cl", "0f ad", 8, M_ALL | M_V, 0, 0, 0, 0,
			 pre_count_cl},
		};
		RUN(s);
	}
	finish("shift");
}
END_TEST

/* ---- bit tests and scans, byte swaps -------------------------------- */

/* Register bit offsets into memory: the offset (in the ModRM reg
 * register) reaches up to about 3 KiB either side of the operand. */
static void pre_bt_mem(struct gen *g)
{
	bool a16 = g->f->flags & G_ADDR16;
	int32_t span = a16 ? 0x600 * 8 : 0xc00 * 8;
	int32_t off = (int32_t)(gen_rand(g) % (2 * (uint32_t)span)) - span;
	int r;

	if (g->f->rm != RM_MEM)
		return;
	do
		r = (int)(gen_rand(g) % 8);
	while (r == X86_ESP);
	g->regfield = r;
	if (g->f->size == 2)
		gen_set16(g, (unsigned)r, (uint32_t)off);
	else
		gen_set(g, (unsigned)r, (uint32_t)off);
	g->target_set = true;
	g->target = (a16 ? D_LOW + 0x800 : D_DATA + 0x1000) + gen_rand(g) % 64;
}

/* Sources of bit scans: zero and single bits often. */
static void post_scan_src(struct gen *g)
{
	uint32_t r = gen_rand(g), v;

	if (r % 4 == 0)
		v = 0;
	else if (r % 4 == 1)
		v = 1u << ((r >> 8) % (g->f->size * 8));
	else
		return;
	if (g->f->rm == RM_MEM)
		write_mem(g->target, v, g->f->size);
	else if (g->rmreg != g->regfield || v == 0)
		gen_set(g, (unsigned)g->rmreg,
			g->f->size == 2
				? (g->c.regs[g->rmreg] & 0xffff0000u) | v
				: v);
}

START_TEST(test_bits)
{
	static const struct spec s[] = {
		{"bt a3", "0f a3", 8, M_ALL | M_V, 0, 0, 0, 0, pre_bt_mem},
		{"bts ab", "0f ab", 8, M_ALL | M_V, 0, 0, 0, 0, pre_bt_mem},
		{"btr b3", "0f b3", 8, M_ALL | M_V, 0, 0, 0, 0, pre_bt_mem},
		{"btc bb", "0f bb", 8, M_ALL | M_V, 0, 0, 0, 0, pre_bt_mem},
		{"bt ba/4", "0f ba", 4, M_ALL | M_V, 1},
		{"bts ba/5", "0f ba", 5, M_RM | M_V, 1},
		{"btr ba/6", "0f ba", 6, M_RM | M_V, 1},
		{"btc ba/7", "0f ba", 7, M_RM | M_V, 1},
		{"bsf", "0f bc", 8, M_ALL | M_V, 0, 0, 0, 0, NULL,
		 post_scan_src},
		{"bsr", "0f bd", 8, M_RM | M_V, 0, 0, 0, 0, NULL,
		 post_scan_src},
		/* tzcnt, lzcnt, popcnt, movbe: the model lacks them
		 * (test_interp_sys.c: test_model_lacks_bit_insns). */
		{"bswap", "0f c8", -1, M_NONE | M_V, 0, 0, 0, G_OPREG},
	};

	RUN(s);
	finish("bits");
}
END_TEST

/* ---- decimal arithmetic --------------------------------------------- */

static void pre_bcd_imm(struct gen *g)
{
	uint32_t r = gen_rand(g);

	g->imm_set = true;
	g->imm_val = r % 3 == 0 ? 10 : r % 7 == 1 ? 0 : (r >> 8) & 0xff;
}

START_TEST(test_bcd)
{
	static const struct spec s[] = {
		{"daa", "27", -1, M_NONE, 0, 0, 0, 0, NULL, NULL, 4000},
		{"das", "2f", -1, M_NONE, 0, 0, 0, 0, NULL, NULL, 4000},
		{"aaa", "37", -1, M_NONE, 0, 0, 0, 0, NULL, NULL, 4000},
		{"aas", "3f", -1, M_NONE, 0, 0, 0, 0, NULL, NULL, 4000},
		{"aam", "d4", -1, M_NONE, 1, 0, 0, 0, pre_bcd_imm, NULL, 4000},
		{"aad", "d5", -1, M_NONE, 1, 0, 0, 0, pre_bcd_imm, NULL, 4000},
		{"salc", "d6", -1, M_NONE},
	};

	RUN(s);
	finish("bcd");
}
END_TEST

/* ---- data movement -------------------------------------------------- */

/* Half the time, make the accumulator equal to the destination. */
static void post_cmpxchg(struct gen *g)
{
	unsigned size = g->f->size;

	if (gen_rand(g) & 1)
		return;
	if (g->f->rm == RM_MEM)
		write_mem(g->target, reg_part(g, X86_EAX, size), size);
	else
		set_part(g, X86_EAX, size,
			 reg_part(g, (unsigned)g->rmreg, size));
}

static void post_cmpxchg8b(struct gen *g)
{
	if (gen_rand(g) & 1)
		return;
	write_mem(g->target, g->c.regs[X86_EAX], 4);
	write_mem(g->target + 4, g->c.regs[X86_EDX], 4);
}

/* moffs forms: the immediate is the address. */
static void post_moffs(struct gen *g)
{
	bool a16 = has_byte(g->f, 0x67);
	uint32_t t = a16 ? D_LOW + gen_rand(g) % (D_LOW_LEN - 8)
			 : D_DATA + gen_rand(g) % (D_DATA_LEN - 8);

	memcpy(g->c.code + g->imm_off, &t, a16 ? 2 : 4);
}

static void pre_xlat(struct gen *g)
{
	if (has_byte(g->f, 0x67))
		gen_set16(g, X86_EBX, D_LOW + gen_rand(g) % (D_LOW_LEN - 256));
	else
		gen_set(g, X86_EBX, D_DATA + gen_rand(g) % (D_DATA_LEN - 256));
}

START_TEST(test_move)
{
	static const struct spec s[] = {
		{"mov 88", "88", 8, M_ALL, 0, 0, 1},
		{"mov 89", "89", 8, M_ALL | M_V},
		{"mov 8a", "8a", 8, M_RM, 0, 0, 1},
		{"mov 8b", "8b", 8, M_ALL | M_V},
		{"mov c6", "c6", 0, M_RM, 1, 0, 1},
		{"mov c7", "c7", 0, M_ALL | M_V, IZ},
		{"mov b0+r", "b0", -1, M_NONE, 1, 0, 1, G_OPREG},
		{"mov b8+r", "b8", -1, M_NONE | M_V, IZ, 0, 0, G_OPREG},
		{"mov a0", "a0", -1, M_NONE, 4, 0, 1, 0, NULL, post_moffs},
		{"mov a1", "a1", -1, M_NONE | M_V, 4, 0, 0, 0, NULL,
		 post_moffs},
		{"mov a2", "a2", -1, M_NONE, 4, 0, 1, 0, NULL, post_moffs},
		{"mov a3", "a3", -1, M_NONE | M_V, 4, 0, 0, 0, NULL,
		 post_moffs},
		{"mov a1 a16", "67 a1", -1, M_NONE, 2, 0, 4, 0, NULL,
		 post_moffs},
		{"mov a2 a16", "67 a2", -1, M_NONE, 2, 0, 1, 0, NULL,
		 post_moffs},
		{"movzx b6", "0f b6", 8, M_ALL | M_V},
		{"movzx b7", "0f b7", 8, M_RM | M_V},
		{"movsx be", "0f be", 8, M_RM | M_V},
		{"movsx bf", "0f bf", 8, M_ALL | M_V},
		{"xchg 86", "86", 8, M_RM, 0, 0, 1},
		{"xchg 87", "87", 8, M_ALL | M_V},
		{"xchg 90+r", "90", -1, M_NONE | M_V, 0, 0, 0, G_OPREG},
		{"xadd c0", "0f c0", 8, M_RM, 0, 0, 1},
		{"xadd c1", "0f c1", 8, M_ALL | M_V},
		{"lock xadd", "f0 0f c1", 8, M_MEM},
		{"cmpxchg b0", "0f b0", 8, M_RM, 0, 0, 1, 0, NULL,
		 post_cmpxchg},
		{"cmpxchg b1", "0f b1", 8, M_ALL | M_V, 0, 0, 0, 0, NULL,
		 post_cmpxchg},
		{"lock cmpxchg", "f0 0f b1", 8, M_MEM, 0, 0, 4, 0, NULL,
		 post_cmpxchg},
		{"cmpxchg8b", "0f c7", 1, M_MEM | M_A16, 0, 0, 8, 0, NULL,
		 post_cmpxchg8b},
		{"lock cmpxchg8b", "f0 0f c7", 1, M_MEM, 0, 0, 8, 0, NULL,
		 post_cmpxchg8b},
		{"lea", "8d", 8, M_MEM | M_A16 | M_V, 0, 0, 0, 0, NULL, NULL,
		 3000},
		{"cbw", "98", -1, M_NONE | M_V},
		{"cwd", "99", -1, M_NONE | M_V},
		{"lahf", "9f", -1, M_NONE},
		{"sahf", "9e", -1, M_NONE},
		{"xlat", "d7", -1, M_NONE, 0, 0, 0, 0, pre_xlat},
		{"xlat a16", "67 d7", -1, M_NONE, 0, 0, 0, 0, pre_xlat},
		{"xlat es", "26 d7", -1, M_NONE, 0, 0, 0, 0, pre_xlat},
		{"nop", "90", -1, M_NONE},
		{"pause", "f3 90", -1, M_NONE},
	};
	char hex[2][16][8], names[2][16][24];

	RUN(s);
	for (unsigned cc = 0; cc < 16; cc++) {
		snprintf(hex[0][cc], 8, "0f %02x", 0x90 + cc);
		snprintf(names[0][cc], 24, "setcc %x", cc);
		snprintf(hex[1][cc], 8, "0f %02x", 0x40 + cc);
		snprintf(names[1][cc], 24, "cmovcc %x", cc);
		const struct spec t[] = {
			{names[0][cc], hex[0][cc], 0, M_RM, 0, 0, 1},
			{names[1][cc], hex[1][cc], 8, M_RM | M_V},
		};
		RUN(t);
	}
	finish("move");
}
END_TEST

/* ---- stack ------------------------------------------------------------ */

static void pre_leave(struct gen *g)
{
	gen_set(g, X86_EBP, D_STACK + 0xe00 + (gen_rand(g) & 0x3ff));
}

static void pre_enter(struct gen *g)
{
	gen_set(g, X86_EBP, D_STACK + 0x1000 + (gen_rand(g) & 0x3ff));
}

static void post_enter(struct gen *g)
{
	uint32_t r = gen_rand(g), alloc = gen_rand(g);

	/* The frame size: the final ESP must stay in the mapped stack. */
	alloc = alloc % 4 == 0 ? 0 : (alloc >> 8) % 0xc00;
	memcpy(g->c.code + 1 + (g->f->size == 2), &alloc, 2);

	/* The nesting level: small ones often, all 32 (and masked ones). */
	g->c.code[g->c.len - 1] = (uint8_t)(r % 3 == 0	 ? (r >> 8) % 4
					    : r % 3 == 1 ? (r >> 8) % 32
							 : r >> 8);
}

START_TEST(test_stack)
{
	static const struct spec s[] = {
		{"push 50+r", "50", -1, M_NONE | M_V, 0, 0, 0, G_OPREG},
		{"pop 58+r", "58", -1, M_NONE | M_V, 0, 0, 0, G_OPREG},
		{"push 6a", "6a", -1, M_NONE | M_V, 1},
		{"push 68", "68", -1, M_NONE | M_V, IZ},
		{"push ff/6", "ff", 6, M_ALL | M_V},
		{"pop 8f/0", "8f", 0, M_ALL | M_V},
		/* ESP-relative operands see ESP after the increment (pop)
		 * or before the decrement (push). */
		{"pop [esp]", "8f 04 24", -1, M_NONE | M_V},
		{"pop [esp+4]", "8f 44 24 04", -1, M_NONE | M_V},
		{"pop [esp-4]", "8f 44 24 fc", -1, M_NONE | M_V},
		{"push [esp]", "ff 34 24", -1, M_NONE | M_V},
		{"push [esp+4]", "ff 74 24 04", -1, M_NONE | M_V},
		{"pusha", "60", -1, M_NONE | M_V},
		{"popa", "61", -1, M_NONE | M_V},
		{"enter", "c8", -1, M_NONE | M_V, 2, 1, 0, 0, pre_enter,
		 post_enter, 3000},
		{"leave", "c9", -1, M_NONE | M_V, 0, 0, 0, 0, pre_leave},
	};

	RUN(s);
	finish("stack");
}
END_TEST

/* ---- branches -------------------------------------------------------- */

/* A stop stub address away from the instruction and its fall-through. */
static uint32_t pick_target(struct gen *g, bool o16)
{
	if (o16)
		return D_LOWCODE + (gen_rand(g) % 255) * 16;
	for (;;) {
		uint32_t a = D_CODE_LO + (gen_rand(g) %
					  ((D_CODE_END - D_CODE_LO) / 16 - 1)) *
						 16;
		if (a + 16 <= D_CODE || a >= D_CODE + 0x40)
			return a;
	}
}

/* Relative branches: choose a target with a stop stub and encode it. */
static void post_rel(struct gen *g)
{
	unsigned isz = g->f->imm;
	bool o16 = g->f->size == 2;
	uint32_t next = D_CODE + g->c.len, target, rel;

	if (isz == 1) {
		uint32_t r = gen_rand(g);
		int32_t d = (int32_t)(16 + (r >> 1) % 96);

		if (!o16 && (r & 1))
			d = -(int32_t)(g->c.len + 16 + (r >> 1) % 96);
		rel = (uint32_t)d;
		target = next + rel;
		if (o16)
			target &= 0xffff;
	} else {
		target = pick_target(g, o16);
		rel = target - next;
	}
	memcpy(g->c.code + g->imm_off, &rel, isz);
	gen_stop(g, target);
}

static void pre_count(struct gen *g)
{
	uint32_t r = gen_rand(g), v = r % 4 == 0   ? 0
				      : r % 4 == 1 ? 1
				      : r % 4 == 2 ? 2
						   : gen_value(g);

	if (has_byte(g->f, 0x67))
		gen_set16(g, X86_ECX, v);
	else
		gen_set(g, X86_ECX, v);
}

/* Indirect branches: the target goes into the register or memory. */
static void post_ind(struct gen *g)
{
	bool o16 = g->f->size == 2;
	uint32_t t = pick_target(g, o16);

	if (g->f->rm == RM_MEM)
		write_mem(g->target, t, g->f->size);
	else if (o16)
		gen_set16(g, (unsigned)g->rmreg, t);
	else
		gen_set(g, (unsigned)g->rmreg, t);
	gen_stop(g, t);
}

static void pre_ret(struct gen *g)
{
	bool o16 = g->f->size == 2;
	uint32_t t = pick_target(g, o16);

	write_mem(g->c.regs[X86_ESP], t, g->f->size);
	gen_stop(g, t);
}

START_TEST(test_branch)
{
	static const struct spec s[] = {
		{"jmp eb", "eb", -1, M_NONE | M_V, 1, 0, 0, 0, NULL, post_rel},
		{"jmp e9", "e9", -1, M_NONE | M_V, IZ, 0, 0, 0, NULL, post_rel},
		{"call e8", "e8", -1, M_NONE | M_V, IZ, 0, 0, 0, NULL,
		 post_rel},
		{"jcxz", "e3", -1, M_NONE | M_V, 1, 0, 0, 0, pre_count,
		 post_rel},
		{"jcxz a16", "67 e3", -1, M_NONE, 1, 0, 4, 0, pre_count,
		 post_rel},
		{"loop", "e2", -1, M_NONE | M_V, 1, 0, 0, 0, pre_count,
		 post_rel},
		{"loop a16", "67 e2", -1, M_NONE, 1, 0, 4, 0, pre_count,
		 post_rel},
		{"loope", "e1", -1, M_NONE | M_V, 1, 0, 0, 0, pre_count,
		 post_rel},
		{"loopne", "e0", -1, M_NONE | M_V, 1, 0, 0, 0, pre_count,
		 post_rel},
		{"loopne a16", "67 e0", -1, M_NONE, 1, 0, 4, 0, pre_count,
		 post_rel},
		{"jmp ff/4", "ff", 4, M_ALL | M_V, 0, 0, 0, G_NOESP, NULL,
		 post_ind},
		{"call ff/2", "ff", 2, M_ALL | M_V, 0, 0, 0, G_NOESP, NULL,
		 post_ind},
		{"ret", "c3", -1, M_NONE | M_V, 0, 0, 0, 0, pre_ret},
		{"ret iw", "c2", -1, M_NONE | M_V, 2, 0, 0, 0, pre_ret},
	};
	char hex[2][16][8], names[2][16][24];

	RUN(s);
	for (unsigned cc = 0; cc < 16; cc++) {
		snprintf(hex[0][cc], 8, "%02x", 0x70 + cc);
		snprintf(names[0][cc], 24, "jcc %x rel8", cc);
		snprintf(hex[1][cc], 8, "0f %02x", 0x80 + cc);
		snprintf(names[1][cc], 24, "jcc %x rel32", cc);
		const struct spec t[] = {
			{names[0][cc], hex[0][cc], -1, M_NONE | M_V, 1, 0, 0, 0,
			 NULL, post_rel, 500},
			{names[1][cc], hex[1][cc], -1, M_NONE | M_V, IZ, 0, 0,
			 0, NULL, post_rel, 500},
		};
		RUN(t);
	}
	finish("branch");
}
END_TEST

/* ---- strings --------------------------------------------------------- */

/*
 * Pointers into the data regions (16-bit ones into the low region),
 * small counts, and for CMPS/SCAS data that matches for a while, so that
 * REPE/REPNE stop at interesting places.
 */
static void pre_string(struct gen *g)
{
	const struct form *f = g->f;
	bool a16 = has_byte(f, 0x67);
	uint8_t op = opcode(f) & 0xfe;
	unsigned size = (opcode(f) & 1) ? f->size : 1;
	uint32_t n = gen_rand(g) % 4 == 0 ? 0 : gen_rand(g) % 24;
	uint32_t src, dst;
	int32_t lo;

	if (a16) {
		src = D_LOW + 0x200 + gen_rand(g) % 0x200;
		dst = D_LOW + 0x800 + gen_rand(g) % 0x200;
		gen_set16(g, X86_ECX, n);
		gen_set16(g, X86_ESI, src);
		gen_set16(g, X86_EDI, dst);
	} else {
		src = D_DATA + 0x200 + gen_rand(g) % 0x400;
		dst = D_DATA + 0x1000 + gen_rand(g) % 0x400;
		gen_set(g, X86_ECX, n);
		gen_set(g, X86_ESI, src);
		gen_set(g, X86_EDI, dst);
	}
	if (n == 0)
		n = 1;
	lo = (g->c.eflags & X86_FL_DF) ? -(int32_t)((n - 1) * size) : 0;
	if (op == 0xa6 && gen_rand(g) % 4) {
		memcpy(gen_mem(dst + lo), gen_mem(src + lo), n * size);
		if (gen_rand(g) & 1)
			gen_mem(dst + lo)[gen_rand(g) % (n * size)] ^= 1;
	}
	if (op == 0xae) {
		uint32_t k = gen_rand(g) % n;
		uint32_t v = read_mem(dst + lo + k * size, size);

		if (gen_rand(g) % 4 == 0) /* REPE: a run of equal elements */
			for (uint32_t i = 0; i < n; i++)
				if (gen_rand(g) % 8)
					write_mem(dst + lo + i * size, v, size);
		set_part(g, X86_EAX, size, v);
	}
	g->c.repeat = has_byte(f, 0xf3) || has_byte(f, 0xf2);
}

START_TEST(test_string)
{
	static const char *const ops[5][2] = {
		{"movs", "a4"}, {"cmps", "a6"}, {"stos", "aa"},
		{"lods", "ac"}, {"scas", "ae"},
	};
	static const char *const pfx[] = {"",	 "f3 ",	   "f2 ",
					  "67 ", "f3 67 ", "f2 67 ",
					  "26 ", "2e f3 ", "36 f2 "};

	for (unsigned o = 0; o < 5; o++) {
		for (unsigned p = 0; p < sizeof(pfx) / sizeof(pfx[0]); p++) {
			for (unsigned w = 0; w < 2; w++) {
				char name[32], hex[24];
				unsigned opc =
					(unsigned)strtoul(ops[o][1], NULL, 16) +
					w;

				snprintf(name, sizeof(name), "%s%s %s%s",
					 ops[o][0], w ? "d" : "b", pfx[p], "");
				snprintf(hex, sizeof(hex), "%s%02x", pfx[p],
					 opc);
				const struct spec s = {
					name,	    hex,
					-1,	    M_NONE | (w ? M_V : 0),
					0,	    0,
					1,	    0,
					pre_string, NULL,
					700,
				};
				run_spec(&s);
			}
		}
	}
	finish("string");
}
END_TEST

/* ---- whole programs through bt_interp_run ---------------------------- */

/*
 * A checksum loop over 4 KiB of data:
 *	mov esi, D_DATA; mov ecx, LEN; xor eax, eax; xor edx, edx
 * 1:	movzx ebx, byte [esi]; add eax, ebx; rol eax, 5; xor edx, eax
 *	inc esi; dec ecx; jnz 1b
 * then a stop stub (never reached by the interpreter's budget).
 */
static unsigned build_loop(uint8_t *p, uint32_t data, uint32_t len)
{
	static const uint8_t body[] = {
		0x31, 0xc0,	  /* xor eax, eax */
		0x31, 0xd2,	  /* xor edx, edx */
		0x0f, 0xb6, 0x1e, /* movzx ebx, byte [esi] */
		0x01, 0xd8,	  /* add eax, ebx */
		0xc1, 0xc0, 0x05, /* rol eax, 5 */
		0x31, 0xc2,	  /* xor edx, eax */
		0x46,		  /* inc esi */
		0x49,		  /* dec ecx */
		0x75, 0xf2,	  /* jnz -14 */
	};
	unsigned n = 0;

	p[n++] = 0xbe; /* mov esi, imm32 */
	memcpy(p + n, &data, 4);
	n += 4;
	p[n++] = 0xb9; /* mov ecx, imm32 */
	memcpy(p + n, &len, 4);
	n += 4;
	memcpy(p + n, body, sizeof(body));
	return n + sizeof(body);
}

static void checksum(const uint8_t *d, uint32_t len, uint32_t *eax,
		     uint32_t *edx)
{
	uint32_t a = 0, x = 0;

	for (uint32_t i = 0; i < len; i++) {
		a += d[i];
		a = a << 5 | a >> 27;
		x ^= a;
	}
	*eax = a;
	*edx = x;
}

START_TEST(test_run_loop)
{
	struct vcpu *cpu = diff_cpu();
	uint8_t *code = gen_mem(D_CODE);
	uint32_t len = D_DATA_LEN, eax, edx;
	unsigned n = build_loop(code, D_DATA, len);
	uint64_t insns = 4 + 7ull * len;
	struct n32_regs r = {{0}, D_CODE, 0};
	enum vcpu_exit ex;

	diff_fill(42);
	n32_emit_stop(code + n, D_CODE + n);
	memcpy(diff_guest(D_CODE), code, n + N32_STOP_LEN);
	memcpy(diff_guest(D_DATA), gen_mem(D_DATA), len);
	checksum(gen_mem(D_DATA), len, &eax, &edx);

	diff_reset_cpu();
	memset(cpu->regs, 0, sizeof(cpu->regs));
	cpu->regs[X86_ESP] = D_STACK + 0x1000;
	cpu->eip = D_CODE;
	ex = bt_interp_run(cpu, insns);
	ck_assert_int_eq(ex, VCPU_EXIT_BUDGET);
	ck_assert_uint_eq(cpu->eip, D_CODE + n);
	ck_assert_uint_eq(cpu->regs[X86_EAX], eax);
	ck_assert_uint_eq(cpu->regs[X86_EDX], edx);
	ck_assert_uint_eq(cpu->regs[X86_ECX], 0);
	ck_assert_uint_eq(cpu->regs[X86_ESI], D_DATA + len);

	/* The host agrees on every register and flag. */
	r.regs[X86_ESP] = D_STACK + 0x1000;
	ck_assert_int_eq(n32_run(&r, NULL), 0);
	ck_assert_uint_eq(r.eip, D_CODE + n);
	ck_assert_mem_eq(r.regs, cpu->regs, sizeof(r.regs));
	ck_assert_uint_eq(r.eflags & X86_FL_ARITH, cpu->eflags & X86_FL_ARITH);
}
END_TEST

/* Speed of the interpreter on the loop (reported, not asserted). */
START_TEST(test_run_speed)
{
	struct vcpu *cpu = diff_cpu();
	uint8_t *code = gen_mem(D_CODE);
	const uint32_t len = 1u << 20, rounds = 8; /* 1 MiB of guest RAM */
	unsigned n = build_loop(code, 0x100000, len);
	struct timespec t0, t1;
	double secs;

	memcpy(diff_guest(D_CODE), code, n);
	diff_reset_cpu();
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (uint32_t i = 0; i < rounds; i++) {
		cpu->eip = D_CODE;
		cpu->regs[X86_ESP] = D_STACK + 0x1000;
		ck_assert_int_eq(bt_interp_run(cpu, 4 + 7ull * len),
				 VCPU_EXIT_BUDGET);
		ck_assert_uint_eq(cpu->regs[X86_ECX], 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) +
	       (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("interpreter: %.1f M guest instructions/s (%.0f ns each)\n",
	       (4 + 7.0 * len) * rounds / secs / 1e6,
	       secs * 1e9 / ((4 + 7.0 * len) * rounds));
}
END_TEST

static Suite *interp_native_suite(bool native)
{
	Suite *s = suite_create("interp_native");
	TCase *tc = tcase_create("host");

	suite_add_tcase(s, interp_edge_tcase());
	if (!native)
		return s;

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, test_alu);
	tcase_add_test(tc, test_muldiv);
	tcase_add_test(tc, test_shift);
	tcase_add_test(tc, test_bits);
	tcase_add_test(tc, test_bcd);
	tcase_add_test(tc, test_move);
	tcase_add_test(tc, test_stack);
	tcase_add_test(tc, test_branch);
	tcase_add_test(tc, test_string);
	tcase_add_test(tc, test_run_loop);
	tcase_add_test(tc, test_run_speed);
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
	sr = srunner_create(interp_native_suite(native));

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	if (failed)
		return EXIT_FAILURE;
	return native ? EXIT_SUCCESS : 77; /* automake: skipped */
}
