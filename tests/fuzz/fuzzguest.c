/*
 * fuzzguest - the random-code guest of the fuzz driver (tests/fuzz/fuzz.c).
 *
 * One ELF; everything random comes from the seed on the command line
 * (-append "seed=N ..."), so a failing run is reproduced with
 *
 *     bt386 -m 64M -no-reboot -kernel fuzzguest.elf -append "seed=N ..."
 *
 * The kernel (this file, on supervisor pages) builds a machine from the
 * seed: extra GDT descriptors (code and data of every DPL, 16-bit code,
 * expand-down and small data, not-present ones, call gates, an LDT, a
 * busy TSS), IDT gates with random DPLs, SYSENTER MSRs, optional user
 * mappings of page 0, the last page below 4 GiB, the local APIC, the I/O
 * APIC, VGA memory, memory beyond RAM and (in "mixed" runs) the page
 * tables themselves, CR0.AM, and x87/SSE on (fpu=1) or off (CR0.EM).
 * It fills 32 KiB of user pages and 16 KiB of kernel pages with random
 * code (random bytes and random instances of interesting instruction
 * templates: far transfers to every kind of selector, segment loads,
 * software interrupts, sysenter/syscall, privileged and I/O instructions,
 * string instructions, x87/SSE/VEX, wild jumps, loads and stores to
 * interesting addresses) and runs chunks of it with random registers and
 * flags, mostly in ring 3 (IF = 1), in ring 0 when ring0=P > 0. Every
 * exception, interrupt gate, call gate and sysenter that ends a chunk is
 * counted and the next chunk starts; the PIT (1 kHz) ends a chunk that
 * runs for more than 2 ms. Chunks rewrite code (their own and others').
 *
 * Parameters: seed=N (default 1), chunks=N (default 1500), ring0=P
 * (percent of chunks run in ring 0, default 0), fpu=0|1|2 (0: CR0.EM set,
 * x87/SSE fault; 1: x87/SSE on; 2: on, but no byte of the code starts an
 * x87 or MMX/SSE instruction: direct execution needs CR0.EM clear, and
 * x87/SSE that the interpreter must run would end the run), nohole=1 (no
 * far transfers to 0x33 and no syscall templates: the direct-execution
 * holes that stop the guest), mixed=0|1 (page
 * tables mapped user-writable, IOPL 3 chunks). With ring0=0 mixed=0 no
 * guest code can stop the harness: the run must end with "fuzz: done".
 * Ring 0 chunks may wreck the machine (reprogram anything, triple-fault,
 * hlt with IF = 0, write the debug-exit port): that is a guest's right.
 */
#include "guest.h"

#define USER_CODE_VA 0x40000000u
#define USER_CODE_PAGES 8
#define USER_DATA_VA 0x40100000u
#define USER_DATA_PAGES 8
#define WIN_VA 0x50000000u /* device / table windows for ring 3 */
#define F_UCODE 0x800000u
#define F_UDATA 0x808000u
#define F_PAGE0 0x810000u
#define F_TOP 0x811000u
#define F_LDT 0x812000u
#define F_BUSYTSS 0x813000u
#define KCODE 0xa00000u
#define KCODE_PAGES 4
#define KSTACK 0xb00000u /* ring 0 chunks' stack and scratch */
#define KSCRATCH 0xc00000u
#define CHUNK 128
#define RAM_END 0x4000000u

#define CR0_AM 0x40000u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR0_MP 0x2u
#define CR0_NE 0x20u
#define CR4_OSFXSR 0x200u
#define CR4_OSXMMEXCPT 0x400u

/* ---- parameters ---- */
static uint32_t seed = 1, nchunks = 1500, ring0_pct, fpu, mixed, nohole;

static uint32_t parse_num(const char *s)
{
	uint32_t v = 0;

	while (*s >= '0' && *s <= '9')
		v = v * 10 + (uint32_t)(*s++ - '0');
	return v;
}

static void parse_cmdline(const char *c)
{
	while (c && *c) {
		while (*c == ' ')
			c++;
		if (!strncmp(c, "seed=", 5))
			seed = parse_num(c + 5);
		else if (!strncmp(c, "chunks=", 7))
			nchunks = parse_num(c + 7);
		else if (!strncmp(c, "ring0=", 6))
			ring0_pct = parse_num(c + 6);
		else if (!strncmp(c, "fpu=", 4))
			fpu = parse_num(c + 4);
		else if (!strncmp(c, "mixed=", 6))
			mixed = parse_num(c + 6);
		else if (!strncmp(c, "nohole=", 7))
			nohole = parse_num(c + 7);
		while (*c && *c != ' ')
			c++;
	}
}

/* ---- random numbers (xorshift64*) ---- */
static uint64_t rs;

static uint32_t rnd(void)
{
	rs ^= rs >> 12;
	rs ^= rs << 25;
	rs ^= rs >> 27;
	return (uint32_t)((rs * 0x2545f4914f6cdd1dull) >> 32);
}

static uint32_t rn(uint32_t n)
{
	return n ? rnd() % n : 0;
}

static int chance(uint32_t pct)
{
	return rn(100) < pct;
}

/* ---- interesting values ---- */
static uint32_t pick(const uint32_t *v, uint32_t n)
{
	return v[rn(n)];
}
#define PICK(a) pick(a, sizeof(a) / sizeof(a[0]))

static uint32_t rand_selector_(void);

/* nohole=1: not the host's 64-bit code selector, whose far jump direct
 * execution can only stop (docs/direct-execution.md). */
static uint32_t rand_selector(void)
{
	uint32_t s = rand_selector_();

	return nohole && (s & ~3u) == 0x30 ? 0x3b : s;
}

static uint32_t rand_selector_(void)
{
	static const uint32_t fixed[] = {
		0x08,  0x10,  0x1b,  0x23,  0x28, 0x2b, 0x33,  0x3b,
		0x43,  0x4b,  0x53,  0x63,  0x73, 0x7b, 0x107, 0x10f,
		0x117, 0x11f, 0x127, 0x12f, 0x0,  0x3};

	if (chance(40))
		return PICK(fixed);
	if (chance(50)) /* an entry of the guest's GDT */
		return rn(GDT_ENTRIES) * 8 | rn(4);
	return rn(0x140);
}

static uint32_t rand_addr(int ring)
{
	switch (rn(ring ? 14 : 12)) {
	case 0:
		return USER_DATA_VA + rn(USER_DATA_PAGES * PAGE_SIZE);
	case 1:
		return USER_DATA_VA + rn(USER_DATA_PAGES * PAGE_SIZE);
	case 2:
		return USER_CODE_VA + rn(USER_CODE_PAGES * PAGE_SIZE);
	case 3:
		return WIN_VA + rn(8 * PAGE_SIZE);
	case 4:
		return rn(0x2000);
	case 5:
		return 0xfffff000u + rn(0x1000);
	case 6:
		return rnd();
	case 7: /* the kernel image: ring 3 only (ring 0 would wreck it) */
		return ring ? 0x100000u + rn(0x10000) : KSCRATCH + rn(0x1000);
	case 8:
		return 0xc0000000u + rn(0x1000);
	case 9:
		return 0xb8000u + rn(0x1000);
	case 10:
		return KSCRATCH + rn(0x40000);
	case 11:
		return KSTACK + rn(0x10000);
	default:
		return USER_DATA_VA + rn(USER_DATA_PAGES * PAGE_SIZE);
	}
}

static uint32_t rand_value(int ring)
{
	static const uint32_t v[] = {
		0,	     1,		  2,	       3,	    4,
		7,	     8,		  0x10,	       0x7f,	    0x80,
		0xff,	     0x100,	  0xfff,       0x1000,	    0x7fffffff,
		0x80000000u, 0xffffffffu, 0xfffffffeu, 0xfffffffcu, 0x174,
		0x175,	     0x176,	  0x1b,	       0xf4,	    0x80,
		0x3f8,	     0xcf8};

	switch (rn(4)) {
	case 0: {
		uint32_t x = PICK(v);

		/* Ring 0 may do port I/O: not to debug-exit or a reset. */
		return ring == 0 && (x == 0xf4 || x == 0xcf8) ? 0x80 : x;
	}
	case 1:
		return rand_selector();
	case 2:
		return rand_addr(ring);
	default:
		return rnd();
	}
}

/* ---- the code generator ---- */
struct gen {
	uint8_t *p, *end;
	int ring; /* ring 0 code avoids the most destructive templates */
};

static void b(struct gen *g, uint32_t v)
{
	if (g->p < g->end)
		*g->p++ = (uint8_t)v;
}

static void d(struct gen *g, uint32_t v)
{
	b(g, v);
	b(g, v >> 8);
	b(g, v >> 16);
	b(g, v >> 24);
}

/* A ModRM (with SIB and displacement as it needs), reg field given. */
static void modrm(struct gen *g, uint32_t reg)
{
	uint32_t mod = rn(4), rm = rn(8);

	if (chance(30))
		mod = 3;
	/* Ring 0 code keeps ESP: no ESP operand in register form, no
	 * /4 (which also names ESP as a register operand). */
	if (g->ring == 0) {
		if ((reg & 7) == 4)
			reg = 5;
		if (mod == 3 && rm == 4)
			rm = 5;
	}
	b(g, mod << 6 | (reg & 7) << 3 | rm);
	if (mod != 3 && rm == 4) {
		uint32_t sib = rnd() & 0xff;

		b(g, sib);
		if (mod == 0 && (sib & 7) == 5)
			d(g, chance(50) ? rand_addr(g->ring) : rnd());
	}
	if (mod == 0 && rm == 5)
		d(g, rand_addr(g->ring));
	else if (mod == 1)
		b(g, rnd());
	else if (mod == 2)
		d(g, chance(50) ? rn(0x2000) : rnd());
}

static void prefixes(struct gen *g)
{
	static const uint32_t pf[] = {0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x26,
				      0x2e, 0x36, 0x3e, 0x64, 0x65};

	while (chance(25))
		b(g, PICK(pf));
}

static void t_alu(struct gen *g)
{
	static const uint32_t op1[] = {
		0x00, 0x01, 0x02, 0x03, 0x08, 0x09, 0x0a, 0x0b, 0x10, 0x11,
		0x12, 0x13, 0x18, 0x19, 0x1a, 0x1b, 0x20, 0x21, 0x22, 0x23,
		0x28, 0x29, 0x2a, 0x2b, 0x30, 0x31, 0x32, 0x33, 0x38, 0x39,
		0x3a, 0x3b, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b,
		0x8d, 0xd0, 0xd1, 0xd2, 0xd3, 0xf6, 0xf7, 0xfe, 0xff};
	static const uint32_t op2[] = {
		0xaf, 0xb6, 0xb7, 0xbe, 0xbf, 0xa3, 0xab, 0xb3, 0xbb, 0xbc,
		0xbd, 0xb0, 0xb1, 0xc0, 0xc1, 0xa4, 0xa5, 0xac, 0xad, 0x40,
		0x44, 0x4f, 0xc7, 0xc8, 0x90, 0x95, 0x9f, 0xb8, 0x0d, 0x18};
	uint32_t o;

	prefixes(g);
	switch (rn(4)) {
	case 0:
		o = 0x80 + rn(4);
		b(g, o);
		modrm(g, rnd());
		if (o == 0x81)
			d(g, rand_value(g->ring));
		else
			b(g, rnd());
		break;
	case 1:
		b(g, 0xc6 + rn(2));
		modrm(g, 0);
		if (g->p[-1] && chance(50))
			d(g, rand_value(g->ring));
		else
			b(g, rnd());
		break;
	case 2:
		b(g, 0x0f);
		o = PICK(op2);
		b(g, o);
		modrm(g, rnd());
		if (o == 0xa4 || o == 0xac || o == 0xba)
			b(g, rnd());
		break;
	default:
		b(g, PICK(op1));
		modrm(g, rnd());
		break;
	}
}

static void t_loadreg(struct gen *g)
{
	uint32_t r = rn(8);

	b(g, 0xb8 + (g->ring == 0 && r == 4 ? 5 : r));
	d(g, rand_value(g->ring));
}

static void t_memabs(struct gen *g)
{
	prefixes(g);
	b(g, 0xa0 + rn(4)); /* mov al/eax <-> moffs */
	d(g, rand_addr(g->ring));
}

static void t_stack(struct gen *g)
{
	static const uint32_t one[] = {0x50, 0x53, 0x55, 0x58, 0x5b, 0x5d,
				       0x06, 0x07, 0x0e, 0x16, 0x17, 0x1e,
				       0x1f, 0x60, 0x61, 0x9c, 0x9d, 0xc9};

	switch (rn(5)) {
	case 0:
		b(g, 0x68);
		d(g, rand_value(g->ring));
		break;
	case 1:
		b(g, 0xc8);
		b(g, rnd());
		b(g, rnd());
		b(g, rn(4));
		break;
	case 2:
		b(g, 0x0f);
		b(g, 0xa0 + rn(2) + 8 * rn(2)); /* push/pop fs/gs */
		break;
	case 3:
		b(g, 0x8f);
		modrm(g, 0);
		break;
	default:
		b(g, PICK(one));
		if (g->ring == 0 &&
		    (g->p[-1] == 0xc9 || g->p[-1] == 0x9d || g->p[-1] == 0x17))
			g->p[-1] = 0x90; /* leave, popf, pop ss */
		break;
	}
}

static void t_string(struct gen *g)
{
	static const uint32_t s[] = {0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac,
				     0xad, 0xae, 0xaf, 0x6c, 0x6d, 0x6e, 0x6f};

	if (chance(50))
		b(g, 0xf2 + rn(2));
	if (chance(20))
		b(g, 0x67);
	if (chance(20))
		b(g, 0x66);
	if (chance(20))
		b(g, 0x26 + 8 * rn(4));
	b(g, PICK(s));
}

static void t_branch(struct gen *g)
{
	switch (rn(7)) {
	case 0:
		b(g, 0xeb);
		b(g, rnd());
		break;
	case 1:
		b(g, 0x70 + rn(16));
		b(g, rnd());
		break;
	case 2:
		b(g, 0xe8 + rn(2));
		d(g, chance(50) ? rn(0x200) - 0x100 : rnd());
		break;
	case 3:
		b(g, 0xff);
		b(g, 0xc0 | (2 + 2 * rn(2)) << 3 | rn(8)); /* call/jmp reg */
		break;
	case 4:
		b(g, 0xe0 + rn(4));
		b(g, rnd());
		break;
	case 5:
		b(g, chance(50) ? 0xc3 : 0xc2);
		if (g->p[-1] == 0xc2) {
			b(g, rnd());
			b(g, 0);
		}
		break;
	default:
		b(g, 0x0f);
		b(g, 0x80 + rn(16));
		d(g, rn(0x400) - 0x200);
		break;
	}
}

static void t_far(struct gen *g)
{
	uint32_t sel = rand_selector(),
		 off = chance(50) ? rand_addr(g->ring) : rnd();

	switch (rn(6)) {
	case 0:
	case 1:
		b(g, chance(50) ? 0xea : 0x9a);
		d(g, off);
		b(g, sel);
		b(g, sel >> 8);
		break;
	case 2: /* retf */
		b(g, 0x68);
		d(g, chance(50) ? 0x23 : rand_selector());
		b(g, 0x68);
		d(g, rand_addr(g->ring));
		b(g, 0x68);
		d(g, sel);
		b(g, 0x68);
		d(g, off);
		b(g, 0xcb);
		break;
	case 3: /* iret */
		b(g, 0x68);
		d(g, chance(50) ? 0x23 : rand_selector());
		b(g, 0x68);
		d(g, rand_addr(g->ring));
		b(g, 0x68);
		d(g, rnd() & 0x2fffd7u);
		b(g, 0x68);
		d(g, sel);
		b(g, 0x68);
		d(g, off);
		b(g, 0xcf);
		break;
	case 4: /* far jmp/call through memory */
		b(g, 0xff);
		modrm(g, 3 + 2 * rn(2));
		break;
	default: /* lds/les/lss/lfs/lgs */
		if (chance(50)) {
			b(g, 0xc4 + rn(2));
			b(g, (rn(3)) << 6 | rn(8) << 3 | rn(8));
			if ((g->p[-1] >> 6) == 1)
				b(g, rnd());
			else if ((g->p[-1] >> 6) == 2)
				d(g, rnd());
			if ((g->p[-1] & 7) == 4)
				b(g, rnd());
		} else {
			uint32_t o = 0xb2 + rn(4);

			if (g->ring == 0 && o == 0xb2)
				o = 0xb4; /* not lss in ring 0 */
			if (o == 0xb3)
				o = 0xb5;
			b(g, 0x0f);
			b(g, o);
			modrm(g, rnd());
		}
		break;
	}
}

static void t_seg(struct gen *g)
{
	uint32_t r = rn(8), s = rn(6);

	if (g->ring == 0) {
		if (r == 4)
			r = 5;
		if (s == 2 || s == 1)
			s = 3; /* no mov to SS (or CS: #UD anyway) */
	}
	b(g, 0xb8 + r);
	d(g, rand_selector());
	b(g, 0x8e);
	b(g, 0xc0 | s << 3 | r);
	if (chance(50)) {
		/* then an access through it */
		b(g, 0x26 + 8 * rn(4) + (chance(30) ? 0x3e : 0));
		b(g, 0x8b + rn(2) * -2);
		modrm(g, rnd());
	}
}

static void t_system(struct gen *g)
{
	static const uint32_t one[] = {
		0xcc, 0xce, 0xf1, 0xf4, 0xfa, 0xfb, 0xe4, 0xe5, 0xe6, 0xe7,
		0xec, 0xed, 0xee, 0xef, 0x62, 0xd4, 0xd5, 0xd6, 0x27, 0x2f,
		0x37, 0x3f, 0x9e, 0x9f, 0xf5, 0xfc, 0xfd, 0x99, 0x98};
	static const uint32_t two[] = {0x05, 0x07, 0x34, 0x35, 0x0b, 0xa2,
				       0x30, 0x31, 0x32, 0x33, 0x06, 0x08,
				       0x09, 0x0b, 0xaa, 0x37, 0xff, 0xb9,
				       0x77, 0x0e, 0xa2, 0x31};

	switch (rn(7)) {
	case 6: /* the fast system calls, as Linux's vDSO makes them */
		b(g, 0x89);
		b(g, 0xe5); /* mov %esp, %ebp */
		b(g, 0x0f);
		b(g, chance(70) || nohole ? 0x34 : 0x05);
		break;
	case 0:
		b(g, 0xcd);
		b(g, chance(30) ? 0x80 : rnd());
		break;
	case 1:
		b(g, PICK(one));
		if (g->ring == 0 && g->p[-1] == 0xfa)
			g->p[-1] = 0xfb; /* no cli in ring 0 */
		if (g->p[-1] >= 0xe4 && g->p[-1] <= 0xe7) {
			uint32_t port = rnd() & 0xff;

			/* Not the debug-exit port or a reset in ring 0. */
			if (g->ring == 0 && (g->p[-1] & 2) &&
			    (port == 0xf4 || port == 0x64 || port == 0x92))
				port = 0x80;
			b(g, port);
		} else if (g->p[-1] == 0x62)
			modrm(g, rnd());
		else if (g->p[-1] == 0xd4 || g->p[-1] == 0xd5)
			b(g, rn(3) ? rnd() : 0);
		break;
	case 2:
		b(g, 0x0f);
		b(g, PICK(two));
		if (nohole && g->p[-1] == 0x05)
			g->p[-1] = 0x34;
		if (g->p[-1] == 0xb9 || g->p[-1] == 0xff)
			modrm(g, rnd());
		break;
	case 3: /* 0f 00 /r, 0f 01 /r (sldt..verw, sgdt..invlpg) */
		b(g, 0x0f);
		b(g, rn(2));
		/* Ring 0 keeps its descriptor tables: not /2 /3. */
		modrm(g,
		      g->ring == 0 ? (chance(50) ? rn(2) : 4 + rn(4)) : rnd());
		break;
	case 4: /* 0f 01 with a register-form byte: vmcall, monitor... */
		b(g, 0x0f);
		b(g, 0x01);
		b(g, 0xc0 + rn(0x40));
		break;
	default: /* mov cr/dr (ring 0: reads only, not into ESP) */
		b(g, 0x0f);
		b(g, 0x20 + rn(g->ring == 0 ? 2 : 4));
		b(g, 0xc0 | (rnd() & 0x3f));
		if (g->ring == 0 && (g->p[-1] & 7) == 4)
			g->p[-1] ^= 1;
		break;
	}
}

static void t_fpu(struct gen *g)
{
	switch (rn(4)) {
	case 0:
		b(g, 0xd8 + rn(8));
		modrm(g, rnd());
		break;
	case 1:
		if (chance(50))
			b(g, PICK(((const uint32_t[]){0x66, 0xf2, 0xf3})));
		b(g, 0x0f);
		b(g, PICK(((const uint32_t[]){
			     0x10, 0x11, 0x12, 0x13, 0x16, 0x17, 0x28, 0x29,
			     0x2b, 0x2c, 0x2d, 0x51, 0x54, 0x57, 0x58, 0x59,
			     0x5e, 0x6e, 0x6f, 0x7e, 0x7f, 0xd6, 0xe7, 0xef,
			     0xf7, 0xc2, 0xc6, 0x70, 0x71})));
		modrm(g, rnd());
		if (g->p[-1] == 0xc2 || g->p[-1] == 0xc6 || g->p[-1] == 0x70)
			b(g, rnd());
		break;
	case 2:
		b(g, 0x0f);
		b(g, 0xae);
		modrm(g, rnd());
		break;
	default: /* VEX, EVEX, XOP */
		b(g, PICK(((const uint32_t[]){0xc4, 0xc5, 0x62, 0x8f})));
		b(g, 0xc0 | rnd());
		b(g, rnd());
		b(g, rnd());
		b(g, rnd());
		break;
	}
}

static void t_raw(struct gen *g)
{
	for (uint32_t n = 1 + rn(8); n; n--)
		b(g, rnd());
}

/* fpu=2: no byte of the chunk may start an x87 instruction, nor an
 * 0F escape one of MMX/SSE (wherever a jump lands). */
static int sse_opcode(uint8_t o)
{
	return (o >= 0x10 && o <= 0x17) || (o >= 0x28 && o <= 0x2f) ||
	       (o >= 0x50 && o <= 0x7f) || o == 0xae || o == 0x0e ||
	       o == 0x0f || (o >= 0xc2 && o <= 0xc6) || o >= 0xd0 ||
	       o == 0x38 || o == 0x3a;
}

static void strip_fpu(uint8_t *p)
{
	for (int i = 0; i < CHUNK; i++) {
		if (p[i] >= 0xd8 && p[i] <= 0xdf)
			p[i] = 0x90;
		if (p[i] == 0x0f && i + 1 < CHUNK && sse_opcode(p[i + 1]))
			p[i] = 0x90;
		if (p[i] == 0x9b) /* fwait */
			p[i] = 0x90;
	}
}

static void gen_chunk(uint8_t *p, int ring)
{
	struct gen g = {p, p + CHUNK - 4, ring};

	while (g.p < g.end) {
		uint32_t k = rn(100);

		if (k < 12 && ring)
			t_raw(&g); /* ring 0: only templates (see above) */
		else if (k < 12)
			t_loadreg(&g);
		else if (k < 30)
			t_alu(&g);
		else if (k < 40)
			t_loadreg(&g);
		else if (k < 46)
			t_memabs(&g);
		else if (k < 54)
			t_stack(&g);
		else if (k < 60)
			t_string(&g);
		else if (k < 68)
			t_branch(&g);
		else if (k < 76)
			t_far(&g);
		else if (k < 82)
			t_seg(&g);
		else if (k < 92)
			t_system(&g);
		else if (fpu != 2)
			t_fpu(&g);
		else
			t_alu(&g);
	}
	while (g.p < p + CHUNK) {
		*g.p++ = 0xcd; /* int $0x80: the end of the chunk */
		if (g.p < p + CHUNK)
			*g.p++ = 0x80;
	}
	if (fpu == 2)
		strip_fpu(p);
}

/* ---- the machine ---- */
static uint32_t *pd, *upt;
static uint64_t gdt_backup[GDT_ENTRIES];
static uint32_t cr0_want, cr3_want, cr4_want;
static uint32_t sysenter_cs_want;
static uint32_t user_data_sels[24], n_user_data_sels;
static uint32_t user_code_sels[24], n_user_code_sels;

static inline void wrmsr(uint32_t msr, uint32_t lo, uint32_t hi)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"(lo), "d"(hi));
}

void gate_entry(void);
void sysenter_entry(void);

static void make_gdt(void)
{
	uint64_t *ldt = (uint64_t *)F_LDT;

	for (int i = GDT_FIRST_FREE; i < GDT_ENTRIES; i++) {
		uint32_t dpl = rn(4), base = chance(70) ? 0 : rnd() & ~0xfffu;
		uint32_t limit = chance(70) ? 0xfffff : rn(0x100000);
		uint8_t flags = chance(80) ? (DESC_FLAG_G | DESC_FLAG_DB) : 0;
		uint64_t desc;

		switch (rn(9)) {
		case 0:
		case 1: /* code, maybe conforming, maybe 16-bit */
			desc = seg_desc(base, limit,
					0x98 | dpl << 5 | rn(2) << 1 |
						rn(2) << 2,
					flags);
			if (!chance(10))
				desc |= 1ull << 47; /* present */
			else
				desc &= ~(1ull << 47);
			if (dpl == 3 && (desc >> 47 & 1) && !(desc >> 42 & 1))
				user_code_sels[n_user_code_sels++] = i * 8 | 3;
			break;
		case 2:
		case 3:
		case 4: /* data, maybe expand-down or read-only */
			desc = seg_desc(base, limit,
					0x90 | dpl << 5 | rn(4) << 1, flags);
			if (chance(10))
				desc &= ~(1ull << 47);
			if (dpl == 3 && (desc >> 47 & 1))
				user_data_sels[n_user_data_sels++] = i * 8 | 3;
			break;
		case 5: /* call gate to the harness */
			/* Only mixed runs may send a gate elsewhere: the
			 * target would run at its DPL, off the harness. */
			desc = gate_desc(mixed && chance(20) ? rand_selector()
							     : SEL_KCODE,
					 (uint32_t)gate_entry, GATE_CALL32,
					 (uint8_t)dpl, (uint8_t)rn(4));
			if (chance(10))
				desc &= ~(1ull << 47);
			break;
		case 6: /* an LDT of random descriptors */
			desc = seg_desc(F_LDT, rn(0x200), 0x82 | dpl << 5, 0);
			break;
		case 7: /* a busy TSS */
			desc = seg_desc(F_BUSYTSS, 103, 0x8b | dpl << 5, 0);
			break;
		default: /* flat user data */
			desc = seg_desc(0, 0xfffff, 0xf2,
					DESC_FLAG_G | DESC_FLAG_DB);
			user_data_sels[n_user_data_sels++] = i * 8 | 3;
			break;
		}
		gdt_set(i, desc);
	}
	/* Random LDT entries; contained runs keep them segments (S = 1), no
	 * gates that could lead ring 3 somewhere in ring 0. */
	for (int i = 0; i < 64; i++) {
		ldt[i] = ((uint64_t)rnd() << 32 | rnd()) | 1ull << 47;
		if (!mixed)
			ldt[i] |= 1ull << 44;
	}
	for (int i = 0; i < GDT_ENTRIES; i++)
		gdt_backup[i] = gdt_get(i);
}

static void make_idt(void)
{
	for (int v = 0; v < 256; v++)
		idt_set_gate(v, idt_stub(v), GATE_INT32,
			     v == 0x80 || v == 3 || v == 4 || chance(25) ? 3
									 : 0);
}

static void map_window(int slot, uint32_t pa, uint32_t flags)
{
	map_page(pd, WIN_VA + slot * PAGE_SIZE, pa, flags);
}

static void make_memory(void)
{
	pd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	for (uint32_t i = 0; i < USER_CODE_PAGES; i++)
		map_page(pd, USER_CODE_VA + i * PAGE_SIZE,
			 F_UCODE + i * PAGE_SIZE, PTE_P | PTE_W | PTE_U);
	for (uint32_t i = 0; i < USER_DATA_PAGES; i++)
		map_page(pd, USER_DATA_VA + i * PAGE_SIZE,
			 F_UDATA + i * PAGE_SIZE,
			 PTE_P | PTE_U | (chance(85) ? PTE_W : 0));
	upt = pte_ptr(pd, USER_CODE_VA) - ((USER_CODE_VA >> 12) & 0x3ff);
	if (chance(50))
		map_page(pd, 0, F_PAGE0, PTE_P | PTE_W | PTE_U);
	if (chance(50))
		map_page(pd, 0xfffff000u, F_TOP,
			 PTE_P | PTE_U | (chance(50) ? PTE_W : 0));
	if (chance(30))
		map_large(pd, 0x80000000u, 0xc00000u & ~0x3fffffu,
			  PTE_P | PTE_W | (chance(50) ? PTE_U : 0));
	/* The APICs are writable for ring 3 only in mixed runs: a write
	 * could mask the timer's path and let ring 3 spin forever. */
	map_window(0, 0xfee00000u, PTE_P | PTE_U | (mixed ? PTE_W : 0));
	map_window(1, 0xfec00000u, PTE_P | PTE_U | (mixed ? PTE_W : 0));
	map_window(2, 0xb8000u, PTE_P | PTE_W | PTE_U);
	map_window(3, RAM_END + rn(0x100) * PAGE_SIZE, PTE_P | PTE_W | PTE_U);
	map_window(4, 0xa0000u, PTE_P | PTE_W | PTE_U);
	map_window(5, F_UDATA, PTE_P | PTE_U); /* an alias */
	if (mixed) {
		map_window(6, (uint32_t)upt, PTE_P | PTE_W | PTE_U);
		if (chance(30))
			map_window(7, (uint32_t)pd, PTE_P | PTE_W | PTE_U);
	}
	for (uint32_t a = F_UDATA; a < F_UDATA + USER_DATA_PAGES * PAGE_SIZE;
	     a += 4)
		*(uint32_t *)a = chance(50) ? rand_value(3) : rnd();
	paging_enable(pd);
}

static void make_cpu(void)
{
	uint32_t cr0 = read_cr0() | CR0_WP | CR0_NE | CR0_MP;

	cr0 &= ~(CR0_EM | CR0_TS | CR0_AM);
	if (!fpu)
		cr0 |= CR0_EM;
	if (chance(30))
		cr0 |= CR0_AM;
	write_cr0(cr0);
	if (fpu)
		write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	sysenter_cs_want = chance(85) ? SEL_KCODE : 0;
	wrmsr(0x174, sysenter_cs_want, 0);
	wrmsr(0x175, KSTACK + 0x8000, 0);
	wrmsr(0x176, (uint32_t)sysenter_entry, 0);
	cr0_want = read_cr0();
	cr3_want = read_cr3();
	cr4_want = read_cr4();
}

/* ---- entering and leaving chunks ---- */
struct cregs {
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t eip, eflags, cs, ss, ds, es, fs, gs;
};
struct cregs cr;
uint32_t harness_esp;
volatile uint32_t in_chunk;

int chunk_enter3(void);
int chunk_enter0(void);
void chunk_abort(int why) __attribute__((noreturn));
__asm__(".text\n"
	"chunk_enter3:\n\t"
	"pushl %ebp\n\tpushl %ebx\n\tpushl %esi\n\tpushl %edi\n\t"
	"movl %esp, harness_esp\n\t"
	"pushl cr + 44\n\t" /* ss */
	"pushl cr + 16\n\t" /* esp */
	"pushl cr + 36\n\t" /* eflags */
	"pushl cr + 40\n\t" /* cs */
	"pushl cr + 32\n\t" /* eip */
	"jmp 1f\n"
	"chunk_enter0:\n\t"
	"pushl %ebp\n\tpushl %ebx\n\tpushl %esi\n\tpushl %edi\n\t"
	"movl %esp, harness_esp\n\t"
	"movl cr + 16, %esp\n\t"
	"pushl cr + 36\n\t"
	"pushl cr + 40\n\t"
	"pushl cr + 32\n"
	"1:\tmovl $1, in_chunk\n\t"
	"movw %ss:cr + 52, %es\n\t"
	"movw %ss:cr + 56, %fs\n\t"
	"movw %ss:cr + 60, %gs\n\t"
	"movl %ss:cr + 4, %ecx\n\t"
	"movl %ss:cr + 8, %edx\n\t"
	"movl %ss:cr + 12, %ebx\n\t"
	"movl %ss:cr + 20, %ebp\n\t"
	"movl %ss:cr + 24, %esi\n\t"
	"movl %ss:cr + 28, %edi\n\t"
	"movl %ss:cr + 0, %eax\n\t"
	"movw %ss:cr + 48, %ds\n\t"
	"iret\n"
	"chunk_abort:\n\t"
	"movl 4(%esp), %eax\n\t"
	"movl $0x10, %ecx\n\t"
	"movw %cx, %ss\n\t"
	"movl harness_esp, %esp\n\t"
	"ljmp $0x08, $2f\n"
	"2:\tmovw %cx, %ds\n\t"
	"movw %cx, %es\n\t"
	"movw %cx, %fs\n\t"
	"movw %cx, %gs\n\t"
	"movl $0, in_chunk\n\t"
	"popl %edi\n\tpopl %esi\n\tpopl %ebx\n\tpopl %ebp\n\t"
	"ret\n"
	"gate_entry:\n\t"
	"pushl $0x100\n\t"
	"call chunk_abort\n"
	"sysenter_entry:\n\t"
	"pushl $0x101\n\t"
	"call chunk_abort\n");

/* ---- statistics ---- */
static uint32_t ends[0x102 + 2];
#define END_TIMEOUT 0x102
static uint32_t chunk_ticks, ticks;

static void any_trap(struct trap_frame *f)
{
	uint32_t v = f->vector;

	/* An IRQ the PIC has in service (else a software int n). */
	if (v >= IRQ_BASE && v < IRQ_BASE + 16 &&
	    (pic_read_isr() & (1u << (v - IRQ_BASE)))) {
		pic_eoi((int)(v - IRQ_BASE));
		if (v == IRQ_BASE) {
			ticks++;
			if (in_chunk && ++chunk_ticks > 2)
				chunk_abort(END_TIMEOUT);
		}
		return;
	}
	if (!in_chunk)
		panic("harness fault %u (error 0x%x) at %04x:%08x, cr2 %08x", v,
		      f->err, f->cs & 0xffff, f->eip, read_cr2());
	chunk_abort((int)v);
}

static const uint32_t rand_eflags_mask = 0x00240cd5u; /* AC ID OF DF.. */

static void set_regs(int ring)
{
	uint32_t *r = (uint32_t *)&cr;

	for (int i = 0; i < 8; i++)
		r[i] = rand_value(ring);
	cr.eflags = 0x202 | (rnd() & rand_eflags_mask);
	if (chance(3))
		cr.eflags |= FL_TF;
	if (ring == 3) {
		uint32_t chunk = rn(USER_CODE_PAGES * PAGE_SIZE / CHUNK);

		cr.eip = USER_CODE_VA + chunk * CHUNK;
		if (chance(10))
			cr.eip += rn(CHUNK);
		cr.cs = SEL_UCODE;
		cr.ss = SEL_UDATA;
		if (chance(10) && n_user_code_sels) {
			uint32_t sel = user_code_sels[rn(n_user_code_sels)];
			uint64_t dsc = gdt_get((int)(sel >> 3));
			uint32_t base = (uint32_t)(dsc >> 16 & 0xffffff) |
					(uint32_t)(dsc >> 32 & 0xff000000u);

			cr.cs = sel;
			cr.eip -= base;
			if (!(dsc >> 54 & 1)) /* 16-bit */
				cr.eip &= 0xffff;
		}
		cr.esp = chance(90) ? USER_DATA_VA + 0x4000 + rn(0x3000)
				    : rand_value(3);
		cr.esp &= ~3u;
		{
			uint32_t *seg = &cr.ds;

			for (int i = 0; i < 4; i++) {
				uint32_t k = rn(10);

				if (k < 6)
					seg[i] = SEL_UDATA;
				else if (k < 8 || !n_user_data_sels)
					seg[i] = 0;
				else
					seg[i] = user_data_sels[rn(
						n_user_data_sels)];
			}
		}
		if (mixed && chance(5))
			cr.eflags |= FL_IOPL;
	} else {
		uint32_t chunk = rn(KCODE_PAGES * PAGE_SIZE / CHUNK);

		cr.eip = KCODE + chunk * CHUNK;
		cr.cs = SEL_KCODE;
		cr.ss = SEL_KDATA;
		cr.esp = KSTACK + 0x4000 + rn(0x1000) * 4;
		cr.ds = cr.es = cr.fs = cr.gs = SEL_KDATA;
		cr.eflags &= ~FL_TF; /* a trap per instruction wastes the run */
	}
}

/* After a ring 0 chunk: put back what the harness needs. */
static struct {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed)) idtr;
static uint64_t idt_backup[256];
static uint32_t esp0_want;

static void save_tables(void)
{
	__asm__ volatile("sidt %0" : "=m"(idtr));
	memcpy(idt_backup, (void *)idtr.base, sizeof(idt_backup));
	esp0_want = tss_get_esp0();
}

static void repair(void)
{
	struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) g;
	uint16_t tr;

	for (int i = 0; i < GDT_ENTRIES; i++)
		if (gdt_get(i) != gdt_backup[i])
			gdt_set(i, gdt_backup[i]);
	__asm__ volatile("sgdt %0" : "=m"(g));
	if (g.limit != GDT_ENTRIES * 8 - 1) {
		g.limit = GDT_ENTRIES * 8 - 1;
		__asm__ volatile("lgdt %0" : : "m"(g));
	}
	__asm__ volatile("str %0" : "=r"(tr));
	if (tr != SEL_TSS) {
		gdt_set(5, gdt_backup[5] & ~(2ull << 40));
		__asm__ volatile("ltr %w0" : : "r"(SEL_TSS));
	}
	__asm__ volatile("lldt %w0" : : "r"(0));
	__asm__ volatile("lidt %0" : : "m"(idtr));
	if (memcmp((void *)idtr.base, idt_backup, sizeof(idt_backup)))
		memcpy((void *)idtr.base, idt_backup, sizeof(idt_backup));
	tss_set_esp0(esp0_want);
	write_cr4(cr4_want);
	write_cr3(cr3_want);
	write_cr0(cr0_want);
	__asm__ volatile("movl %0, %%dr7" : : "r"(0));
	wrmsr(0x174, sysenter_cs_want, 0);
	wrmsr(0x175, KSTACK + 0x8000, 0);
	wrmsr(0x176, (uint32_t)sysenter_entry, 0);
	pic_remap(IRQ_BASE, IRQ_BASE + 8);
	pic_set_mask(0xfffe);
	pit_set_hz(1000);
}

void guest_main(uint32_t magic, struct mb_info *info)
{
	uint32_t r0 = 0, r3 = 0;
	int why;

	(void)magic;
	if (info && (info->flags & MBI_CMDLINE))
		parse_cmdline((const char *)info->cmdline);
	rs = 0x9e3779b97f4a7c15ull ^ ((uint64_t)seed << 17) ^ seed;
	if (!rs)
		rs = 1;
	printf("fuzz: seed=%u chunks=%u ring0=%u fpu=%u mixed=%u\n", seed,
	       nchunks, ring0_pct, fpu, mixed);
	make_memory();
	make_gdt();
	make_idt();
	make_cpu();
	for (int v = 0; v < 256; v++)
		trap_set_handler(v, any_trap);
	save_tables();
	for (uint32_t i = 0; i < USER_CODE_PAGES * PAGE_SIZE / CHUNK; i++)
		gen_chunk((uint8_t *)F_UCODE + i * CHUNK, 3);
	for (uint32_t i = 0; i < KCODE_PAGES * PAGE_SIZE / CHUNK; i++)
		gen_chunk((uint8_t *)KCODE + i * CHUNK, 0);
	pit_set_hz(1000);
	pic_set_mask(0xfffe);

	for (uint32_t n = 0; n < nchunks; n++) {
		int ring = chance(ring0_pct) ? 0 : 3;

		/* Now and then, fresh code for a chunk. */
		if (chance(10))
			gen_chunk((uint8_t *)F_UCODE + rn(USER_CODE_PAGES *
							  PAGE_SIZE / CHUNK) *
							       CHUNK,
				  3);
		set_regs(ring);
		chunk_ticks = 0;
		if (ring == 3) {
			r3++;
			why = chunk_enter3();
			if (mixed)
				write_cr3(cr3_want);
		} else {
			r0++;
			why = chunk_enter0();
			repair();
		}
		ends[why < END_TIMEOUT + 1 ? why : END_TIMEOUT + 1]++;
		cli();
	}
	pic_set_mask(0xffff);
	{
		uint32_t faults = 0;

		for (int v = 0; v < 32; v++)
			faults += ends[v];
		printf("fuzz: done seed=%u ring3=%u ring0=%u faults=%u "
		       "ud=%u gp=%u pf=%u int80=%u gates=%u sysenter=%u "
		       "timeouts=%u\n",
		       seed, r3, r0, faults, ends[6], ends[13], ends[14],
		       ends[0x80], ends[0x100], ends[0x101], ends[END_TIMEOUT]);
	}
	debug_exit(0);
}
