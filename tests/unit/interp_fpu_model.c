/*
 * interp_fpu_model.c - the interpreter's x87/MMX/SSE model where the host
 * cannot be the reference: instructions the virtual CPU lacks (#UD), the
 * CR0/CR4 checks, pending x87 errors (#MF, and FERR#/IRQ 13 with IGNNE#
 * when CR0.NE is clear), the real-mode and 16-bit state formats, and
 * x87/SSE execution in real mode, virtual-8086 mode and 16-bit code
 * segments. Interpreter only, on the guest set-up of interp_diff.c
 * (protected-mode exception v goes to D_HANDLERS + 8 * v).
 */
#include <check.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "bt/decode.h"
#include "bt/fpu.h"
#include "bt/interp.h"
#include "bt/interp_priv.h"
#include "devices/devices.h"
#include "interp_diff.h"
#include "interp_fpu_model.h"
#include "x86.h"

static struct vcpu *cpu;

/* Real-mode exception v goes to IVT_SEG:4*v. */
#define IVT_SEG 0x0090

static void setup(void)
{
	char err[256];
	static bool port_ready;

	if (diff_setup(err, sizeof(err)) < 0)
		ck_abort_msg("setup: %s", err);
	cpu = diff_cpu();
	if (!port_ready) {
		ck_assert_int_eq(dev_fpu_error_init(cpu->machine), 0);
		port_ready = true;
	}
	diff_reset_cpu();
	memset(cpu->regs, 0, sizeof(cpu->regs));
	cpu->regs[X86_ESP] = D_STACK + 0x1000;
	cpu->eip = D_CODE;
	cpu->fpu_ferr = cpu->fpu_ignne = false;
	cpu->halted = false;
	bt_fpu_reset(cpu);
	for (unsigned v = 0; v < 32; v++) {
		uint32_t e = (uint32_t)IVT_SEG << 16 | 4 * v;

		memcpy(diff_guest(4 * v), &e, 4);
	}
}

static void code_at(uint32_t lin, const uint8_t *bytes, size_t n)
{
	memcpy(diff_guest(lin), bytes, n);
}

static void code(const uint8_t *bytes, size_t n)
{
	code_at(D_CODE, bytes, n);
}

static uint16_t rd16(uint32_t a)
{
	uint16_t v;

	memcpy(&v, diff_guest(a), 2);
	return v;
}

static uint32_t rd32(uint32_t a)
{
	uint32_t v;

	memcpy(&v, diff_guest(a), 4);
	return v;
}

static void wr64(uint32_t a, uint64_t v)
{
	memcpy(diff_guest(a), &v, 8);
}

static uint64_t rd64(uint32_t a)
{
	uint64_t v;

	memcpy(&v, diff_guest(a), 8);
	return v;
}

/* The guest FPU image (FXSAVE layout) and its status word. */
static uint8_t *fx(void)
{
	return bt_fpu_area();
}

static uint16_t fsw(void)
{
	uint16_t v;

	memcpy(&v, fx() + 2, 2);
	return v;
}

/* Step once: the vector delivered (protected mode: D_HANDLERS; real
 * mode: the IVT), or -1. */
static int step(void)
{
	enum vcpu_exit r = bt_interp_step(cpu);

	ck_assert_msg(r == VCPU_EXIT_NONE, "exit %d: %s", r, cpu->error);
	if (vcpu_protected(cpu) && cpu->eip >= D_HANDLERS &&
	    cpu->eip < D_HANDLERS + 256)
		return (int)(cpu->eip - D_HANDLERS) / 8;
	if (!vcpu_protected(cpu) && cpu->seg[X86_CS].sel == IVT_SEG)
		return (int)cpu->eip / 4;
	return -1;
}

/* Run n instructions that must not fault. */
static void run(unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ck_assert_int_eq(step(), -1);
}

/* ---- the model ----------------------------------------------------------- */

/* Known to the decoder, not to the Pentium M: #UD in every mode, before
 * the CR0 checks. */
START_TEST(test_not_in_model)
{
	static const struct {
		const char *name;
		uint8_t b[8];
		uint8_t n;
	} ud[] = {
		{"movddup", {0xf2, 0x0f, 0x12, 0xc1}, 4},
		{"movsldup", {0xf3, 0x0f, 0x12, 0xc1}, 4},
		{"movshdup", {0xf3, 0x0f, 0x16, 0xc1}, 4},
		{"haddpd", {0x66, 0x0f, 0x7c, 0xc1}, 4},
		{"haddps", {0xf2, 0x0f, 0x7c, 0xc1}, 4},
		{"hsubpd", {0x66, 0x0f, 0x7d, 0xc1}, 4},
		{"addsubpd", {0x66, 0x0f, 0xd0, 0xc1}, 4},
		{"addsubps", {0xf2, 0x0f, 0xd0, 0xc1}, 4},
		{"lddqu", {0xf2, 0x0f, 0xf0, 0x03}, 4},
		{"fisttp m16", {0xdf, 0x0b}, 2},
		{"fisttp m32", {0xdb, 0x0b}, 2},
		{"fisttp m64", {0xdd, 0x0b}, 2},
		{"pshufb mm", {0x0f, 0x38, 0x00, 0xc1}, 4},
		{"pshufb xmm", {0x66, 0x0f, 0x38, 0x00, 0xc1}, 5},
		{"palignr", {0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x01}, 6},
		{"pblendvb", {0x66, 0x0f, 0x38, 0x10, 0xc1}, 5},
		{"roundps", {0x66, 0x0f, 0x3a, 0x08, 0xc1, 0x00}, 6},
		{"pcmpistri", {0x66, 0x0f, 0x3a, 0x63, 0xc1, 0x00}, 6},
		{"aesenc", {0x66, 0x0f, 0x38, 0xdc, 0xc1}, 5},
		{"pclmulqdq", {0x66, 0x0f, 0x3a, 0x44, 0xc1, 0x00}, 6},
		{"sha1nexte", {0x0f, 0x38, 0xc8, 0xc1}, 4},
		{"extrq", {0x66, 0x0f, 0x79, 0xc1}, 4},
		{"insertq", {0xf2, 0x0f, 0x79, 0xc1}, 4},
		{"movntss", {0xf3, 0x0f, 0x2b, 0x03}, 4},
		{"femms", {0x0f, 0x0e}, 2},
		{"pfadd", {0x0f, 0x0f, 0xc1, 0x9e}, 4},
		{"vzeroupper", {0xc5, 0xf8, 0x77}, 3},
		{"vaddpd", {0xc5, 0xf9, 0x58, 0xc1}, 4},
		{"vbroadcastss", {0xc4, 0xe2, 0x79, 0x18, 0x03}, 5},
		{"evex vaddps", {0x62, 0xf1, 0x7c, 0x48, 0x58, 0xc1}, 6},
		/* A mandatory prefix the opcode has no form for. */
		{"66 rsqrtps", {0x66, 0x0f, 0x52, 0xc1}, 4},
		{"f2 rcpps", {0xf2, 0x0f, 0x53, 0xc1}, 4},
		{"f3 punpcklbw", {0xf3, 0x0f, 0x60, 0xc1}, 4},
		{"66 emms", {0x66, 0x0f, 0x77}, 3},
		{"f3 movmskps", {0xf3, 0x0f, 0x50, 0xc1}, 4},
	};

	for (unsigned ts = 0; ts < 2; ts++)
		for (size_t i = 0; i < sizeof(ud) / sizeof(ud[0]); i++) {
			setup();
			cpu->regs[X86_EBX] = D_DATA;
			if (ts)
				cpu->cr0 |= X86_CR0_TS;
			code(ud[i].b, ud[i].n);
			ck_assert_msg(step() == X86_EXC_UD, "%s%s: no #UD",
				      ud[i].name, ts ? " (CR0.TS)" : "");
		}
}
END_TEST

/* What the translator may run natively (bt_fpu_native_ok). */
START_TEST(test_native_ok)
{
	static const struct {
		uint8_t b[6];
		uint8_t n;
		bool fxsr, ok;
	} t[] = {
		{{0xd8, 0xc1}, 2, false, true},		    /* fadd */
		{{0xdb, 0x0b}, 2, true, false},		    /* fisttp */
		{{0xdd, 0x0b}, 2, true, false},		    /* fisttp */
		{{0x0f, 0xfc, 0xc1}, 3, false, true},	    /* paddb mm */
		{{0x0f, 0x58, 0xc1}, 3, true, true},	    /* addps */
		{{0x0f, 0x58, 0xc1}, 3, false, false},	    /* addps */
		{{0x0f, 0x70, 0xc1, 0}, 4, false, true},    /* pshufw */
		{{0x0f, 0xe0, 0xc1}, 3, false, false},	    /* pavgb mm */
		{{0xf2, 0x0f, 0x12, 0xc1}, 4, true, false}, /* movddup */
		{{0x66, 0x0f, 0x52, 0xc1}, 4, true, false}, /* 66 rsqrtps */
		{{0x66, 0x0f, 0x12, 0xc1}, 4, true, false}, /* movlpd reg */
		{{0x66, 0x0f, 0x12, 0x01}, 4, true, true},  /* movlpd mem */
		{{0x0f, 0x38, 0x00, 0xc1}, 4, true, false}, /* pshufb */
		{{0x0f, 0xae, 0x13}, 3, false, false},	    /* ldmxcsr */
		{{0x0f, 0xae, 0x03}, 3, false, true},	    /* fxsave */
		{{0x9b}, 1, false, true},		    /* wait */
	};
	struct x86_insn in;

	setup();
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_int_eq(x86_decode(&in, t[i].b, t[i].n, true), t[i].n);
		cpu->cr4 = t[i].fxsr ? X86_CR4_OSFXSR : 0;
		ck_assert_msg(bt_fpu_native_ok(cpu, &in) == t[i].ok,
			      "case %zu (%s)", i, in.info->name);
	}
}
END_TEST

/* #UD and #NM from CR0.EM, CR0.TS (with MP for WAIT), CR4.OSFXSR; SIMD
 * exceptions as #XM or #UD per CR4.OSXMMEXCPT. */
START_TEST(test_cr_checks)
{
	enum { EM = 1, TS = 2, MP = 4, NOFXSR = 8, NOXMM = 16, ZU = 32 };
	static const struct {
		const char *name;
		uint8_t b[8];
		uint8_t n;
		uint8_t cfg;
		int vec;
	} t[] = {
		{"fadd", {0xd8, 0xc1}, 2, 0, -1},
		{"fadd EM", {0xd8, 0xc1}, 2, EM, X86_EXC_NM},
		{"fadd TS", {0xd8, 0xc1}, 2, TS, X86_EXC_NM},
		{"fnstenv TS", {0xd9, 0x33}, 2, TS, X86_EXC_NM},
		{"fninit EM", {0xdb, 0xe3}, 2, EM, X86_EXC_NM},
		{"fneni TS", {0xdb, 0xe0}, 2, TS, X86_EXC_NM},
		{"fadd NOFXSR", {0xd8, 0xc1}, 2, NOFXSR, -1},
		{"wait TS", {0x9b}, 1, TS, -1},
		{"wait TS MP", {0x9b}, 1, TS | MP, X86_EXC_NM},
		{"wait EM MP", {0x9b}, 1, EM | MP, -1},
		{"paddb", {0x0f, 0xfc, 0xc1}, 3, 0, -1},
		{"paddb EM", {0x0f, 0xfc, 0xc1}, 3, EM, X86_EXC_UD},
		{"paddb TS", {0x0f, 0xfc, 0xc1}, 3, TS, X86_EXC_NM},
		{"paddb EM TS", {0x0f, 0xfc, 0xc1}, 3, EM | TS, X86_EXC_UD},
		{"paddb NOFXSR", {0x0f, 0xfc, 0xc1}, 3, NOFXSR, -1},
		{"emms NOFXSR", {0x0f, 0x77}, 2, NOFXSR, -1},
		{"addps", {0x0f, 0x58, 0xc1}, 3, 0, -1},
		{"addps EM", {0x0f, 0x58, 0xc1}, 3, EM, X86_EXC_UD},
		{"addps NOFXSR", {0x0f, 0x58, 0xc1}, 3, NOFXSR, X86_EXC_UD},
		{"addps NOFXSR TS",
		 {0x0f, 0x58, 0xc1},
		 3,
		 NOFXSR | TS,
		 X86_EXC_UD},
		{"addps TS", {0x0f, 0x58, 0xc1}, 3, TS, X86_EXC_NM},
		{"paddq xmm NOFXSR",
		 {0x66, 0x0f, 0xd4, 0xc1},
		 4,
		 NOFXSR,
		 X86_EXC_UD},
		{"paddq mm NOFXSR", {0x0f, 0xd4, 0xc1}, 3, NOFXSR, X86_EXC_UD},
		{"pavgb mm NOFXSR", {0x0f, 0xe0, 0xc1}, 3, NOFXSR, X86_EXC_UD},
		{"pshufw NOFXSR", {0x0f, 0x70, 0xc1, 0x1b}, 4, NOFXSR, -1},
		{"pshufw EM", {0x0f, 0x70, 0xc1, 0x1b}, 4, EM, X86_EXC_UD},
		{"movntq NOFXSR", {0x0f, 0xe7, 0x03}, 3, NOFXSR, -1},
		{"fxsave EM", {0x0f, 0xae, 0x03}, 3, EM, X86_EXC_UD},
		{"fxsave TS", {0x0f, 0xae, 0x03}, 3, TS, X86_EXC_NM},
		{"fxsave NOFXSR", {0x0f, 0xae, 0x03}, 3, NOFXSR, -1},
		{"fxrstor NOFXSR", {0x0f, 0xae, 0x0b}, 3, NOFXSR, -1},
		{"ldmxcsr NOFXSR", {0x0f, 0xae, 0x13}, 3, NOFXSR, X86_EXC_UD},
		{"stmxcsr TS", {0x0f, 0xae, 0x1b}, 3, TS, X86_EXC_NM},
		{"divps 1/0", {0x0f, 0x5e, 0xc1}, 3, ZU, X86_EXC_XM},
		{"divps 1/0 NOXMM",
		 {0x0f, 0x5e, 0xc1},
		 3,
		 ZU | NOXMM,
		 X86_EXC_UD},
		{"divss 1/0 NOXMM",
		 {0xf3, 0x0f, 0x5e, 0xc1},
		 4,
		 ZU | NOXMM,
		 X86_EXC_UD},
		{"divps 1/0 masked", {0x0f, 0x5e, 0xc1}, 3, 0, -1},
		{"movaps misaligned",
		 {0x0f, 0x28, 0x43, 0x01},
		 4,
		 0,
		 X86_EXC_GP},
		{"movups misaligned", {0x0f, 0x10, 0x43, 0x01}, 4, 0, -1},
		{"addps misaligned",
		 {0x0f, 0x58, 0x43, 0x01},
		 4,
		 0,
		 X86_EXC_GP},
		{"addss misaligned", {0xf3, 0x0f, 0x58, 0x43, 0x01}, 5, 0, -1},
		{"fxsave misaligned",
		 {0x0f, 0xae, 0x43, 0x08},
		 4,
		 0,
		 X86_EXC_GP},
		{"ldmxcsr reserved",
		 {0x0f, 0xae, 0x53, 0x10},
		 4,
		 0,
		 X86_EXC_GP},
		{"movhlps", {0x0f, 0x12, 0xc1}, 3, 0, -1},
		{"movlpd reg", {0x66, 0x0f, 0x12, 0xc1}, 4, 0, X86_EXC_UD},
		{"lock addps", {0xf0, 0x0f, 0x58, 0x03}, 4, 0, X86_EXC_UD},
	};
	static const float one[4] = {1, 1, 1, 1};
	int vec;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setup();
		cpu->regs[X86_EBX] = D_DATA;
		memset(diff_guest(D_DATA), 0, 1024);
		/* ldmxcsr reserved: a value with bit 16 set */
		wr64(D_DATA + 0x10, 0x11f80);
		/* xmm0 = 1.0, xmm1 = 0; divide by zero unmasked */
		memcpy(fx() + 160, one, 16);
		memset(fx() + 176, 0, 16);
		if (t[i].cfg & ZU) {
			uint32_t mx = 0x1f80 & ~0x200u;

			memcpy(fx() + 24, &mx, 4);
		}
		if (t[i].cfg & EM)
			cpu->cr0 |= X86_CR0_EM;
		if (t[i].cfg & TS)
			cpu->cr0 |= X86_CR0_TS;
		if (!(t[i].cfg & MP))
			cpu->cr0 &= ~X86_CR0_MP;
		if (t[i].cfg & NOFXSR)
			cpu->cr4 &= ~X86_CR4_OSFXSR;
		if (t[i].cfg & NOXMM)
			cpu->cr4 &= ~X86_CR4_OSXMMEXCPT;
		code(t[i].b, t[i].n);
		vec = step();
		ck_assert_msg(vec == t[i].vec, "%s: vector %d, expected %d",
			      t[i].name, vec, t[i].vec);
	}
}
END_TEST

/* A pending x87 error: #MF before waiting x87 and MMX instructions. */
START_TEST(test_pending_mf)
{
	static const uint8_t fadd[] = {0xd8, 0xc1};
	static const uint8_t paddb[] = {0x0f, 0xfc, 0xc1};
	static const uint8_t addps[] = {0x0f, 0x58, 0xc1};
	static const uint8_t wait[] = {0x9b};
	static const uint8_t fnstsw_ax[] = {0xdf, 0xe0};
	static const uint8_t fnclex[] = {0xdb, 0xe2};
	static const uint8_t fxsave[] = {0x0f, 0xae, 0x03};
	static const uint8_t fldcw[] = {0xd9, 0x2b};
	static const uint16_t pending_sw = 0x8084; /* B ES ZE */
	static const uint16_t cw = 0x037b;	   /* ZM clear */
	const struct {
		const uint8_t *b;
		size_t n;
		int vec;
	} t[] = {
		{fadd, 2, X86_EXC_MF}, {paddb, 3, X86_EXC_MF},
		{wait, 1, X86_EXC_MF}, {addps, 3, -1},
		{fnstsw_ax, 2, -1},    {fnclex, 2, -1},
		{fxsave, 3, -1},       {fldcw, 2, X86_EXC_MF},
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		setup();
		cpu->regs[X86_EBX] = D_DATA;
		memcpy(fx(), &cw, 2);
		memcpy(fx() + 2, &pending_sw, 2);
		code(t[i].b, t[i].n);
		ck_assert_int_eq(step(), t[i].vec);
		if (t[i].vec >= 0) /* a fault: the state is untouched */
			ck_assert_uint_eq(fsw(), pending_sw);
	}
	/* fnstsw ax saw it, fnclex cleared it. */
	setup();
	memcpy(fx(), &cw, 2);
	memcpy(fx() + 2, &pending_sw, 2);
	code(fnstsw_ax, 2);
	code_at(D_CODE + 2, fnclex, 2);
	code_at(D_CODE + 4, fadd, 2);
	run(3);
	ck_assert_uint_eq(cpu->regs[X86_EAX] & 0xffff, pending_sw);

	/* FLDCW that unmasks a flagged exception makes it pending. */
	setup();
	{
		uint16_t sw = 0x0004, newcw = 0x037b; /* ZE, masked */

		memcpy(fx() + 2, &sw, 2);
		memcpy(diff_guest(D_DATA), &newcw, 2);
		cpu->regs[X86_EBX] = D_DATA;
		code(fldcw, 2);
		code_at(D_CODE + 2, fadd, 2);
		run(1);
		ck_assert_uint_eq(fsw(), 0x8084);
		ck_assert_int_eq(step(), X86_EXC_MF);
	}
}
END_TEST

/* CR0.NE clear: FERR# drives IRQ 13 and the CPU waits at the instruction;
 * a write to port 0xf0 asserts IGNNE#, the instruction then runs; FERR#
 * and IGNNE# go away when FSW.ES clears. */
START_TEST(test_ferr_ignne)
{
	static const uint8_t prog[] = {
		0xd8, 0xc1, /* fadd st, st(1) */
		0xe6, 0xf0, /* out 0xf0, al */
		0xdb, 0xe2, /* fnclex */
		0xd8, 0xc1, /* fadd st, st(1) */
	};
	static const uint16_t pending_sw = 0x8084, cw = 0x037b;

	setup();
	cpu->cr0 &= ~X86_CR0_NE;
	memcpy(fx(), &cw, 2);
	memcpy(fx() + 2, &pending_sw, 2);
	fx()[4] = 0xff;
	code(prog, sizeof(prog));
	ck_assert_int_eq(bt_interp_step(cpu), VCPU_EXIT_HLT);
	ck_assert(cpu->halted);
	ck_assert(cpu->fpu_ferr);
	ck_assert_uint_eq(cpu->eip, D_CODE);
	ck_assert_uint_eq(fsw(), pending_sw);
	/* The IRQ 13 handler would run here; it writes port 0xf0. */
	cpu->halted = false;
	cpu->eip = D_CODE + 2;
	run(1);
	ck_assert(cpu->fpu_ignne);
	/* With IGNNE# the fadd runs, the error stays pending. */
	cpu->eip = D_CODE;
	run(1);
	ck_assert_uint_eq(cpu->eip, D_CODE + 2);
	ck_assert(fsw() & 0x80);
	cpu->eip = D_CODE + 4;
	run(1); /* fnclex */
	ck_assert(!cpu->fpu_ferr);
	ck_assert(!cpu->fpu_ignne);
	run(1);
}
END_TEST

/* ---- formats and modes ------------------------------------------------------ */

/* Real mode with CS and DS at the given paragraphs (bits 16-19 of the
 * linear addresses set, to see them in the real-mode formats). */
static void real_mode(uint16_t cs, uint16_t ds)
{
	setup();
	cpu->cr0 = X86_CR0_ET | X86_CR0_MP | X86_CR0_NE;
	for (int s = 0; s < X86_NR_SREGS; s++) {
		interp_seg_real(cpu, s, s == X86_CS ? cs : ds);
		cpu->seg[s].limit = 0xffff; /* not unreal mode */
		cpu->seg[s].attr = 0x93;
	}
	cpu->idtr.base = 0; /* the IVT */
	cpu->idtr.limit = 0x3ff;
	cpu->eip = 0;
	cpu->regs[X86_ESP] = 0xff00;
	interp_mode_changed(cpu);
}

START_TEST(test_real_mode_env)
{
	/* fld qword [0x10]; fnstenv [0x100] (16-bit); o32 fnstenv
	 * [0x200]; fxsave [0x400]; fldenv [0x100]; fnstenv [0x300];
	 * fxsave [0x600] */
	static const uint8_t prog[] = {
		0xdd, 0x06, 0x10, 0x00, 0xd9, 0x36, 0x00, 0x01,
		0x66, 0xd9, 0x36, 0x00, 0x02, 0x0f, 0xae, 0x06,
		0x00, 0x04, 0xd9, 0x26, 0x00, 0x01, 0xd9, 0x36,
		0x00, 0x03, 0x0f, 0xae, 0x06, 0x00, 0x06,
	};
	const uint32_t cs = 0x1700, ds = 0x1800, dsb = ds << 4;

	real_mode(cs, ds);
	code_at(cs << 4, prog, sizeof(prog));
	wr64(dsb + 0x10, 0x3ff8000000000000ull); /* 1.5 */
	run(7);
	/* 16-bit real-mode format: linear addresses split 16 + 4 bits. */
	ck_assert_uint_eq(rd16(dsb + 0x100), 0x037f);
	ck_assert_uint_eq(rd16(dsb + 0x102), 0x3800); /* TOP 7 */
	ck_assert_uint_eq(rd16(dsb + 0x104), 0x3fff); /* R7 valid */
	ck_assert_uint_eq(rd16(dsb + 0x106), 0x7000);
	ck_assert_uint_eq(rd16(dsb + 0x108), 0x1000 | 0x506);
	ck_assert_uint_eq(rd16(dsb + 0x10a), 0x8010);
	ck_assert_uint_eq(rd16(dsb + 0x10c), 0x1000);
	/* 32-bit real-mode format. */
	ck_assert_uint_eq(rd32(dsb + 0x200), 0xffff037f);
	ck_assert_uint_eq(rd32(dsb + 0x204), 0xffff3800);
	ck_assert_uint_eq(rd32(dsb + 0x208), 0xffff3fff);
	ck_assert_uint_eq(rd32(dsb + 0x20c), 0xffff7000);
	ck_assert_uint_eq(rd32(dsb + 0x210), 0x00001000 | 0x506);
	ck_assert_uint_eq(rd32(dsb + 0x214), 0xffff8010);
	ck_assert_uint_eq(rd32(dsb + 0x218), 0x00001000);
	/* FXSAVE: offset and selector. */
	ck_assert_uint_eq(rd16(dsb + 0x406), 0x506);
	ck_assert_uint_eq(rd32(dsb + 0x408), 0);
	ck_assert_uint_eq(rd32(dsb + 0x40c), cs);
	ck_assert_uint_eq(rd32(dsb + 0x410), 0x10);
	ck_assert_uint_eq(rd32(dsb + 0x414), ds);
	ck_assert_uint_eq(rd64(dsb + 0x420), 0xc000000000000000ull);
	ck_assert_uint_eq(rd16(dsb + 0x428), 0x3fff);
	/* After FLDENV the pointers are linear addresses, selectors 0; a
	 * second FNSTENV stores the same image. */
	ck_assert_int_eq(
		memcmp(diff_guest(dsb + 0x100), diff_guest(dsb + 0x300), 14),
		0);
	ck_assert_uint_eq(rd32(dsb + 0x608), 0x17000);
	ck_assert_uint_eq(rd32(dsb + 0x60c), 0);
	ck_assert_uint_eq(rd32(dsb + 0x610), 0x18010);
	ck_assert_uint_eq(rd32(dsb + 0x614), 0);
}
END_TEST

/* x87 and SSE arithmetic through 16-bit addressing and segment bases. */
static void compute_checks(uint32_t dsb)
{
	ck_assert_uint_eq(rd64(dsb + 0x28), 0x4008000000000000ull); /* 3 */
	ck_assert_uint_eq(rd32(dsb + 0x50), 0x40400000u);	    /* 3.0f */
	ck_assert_uint_eq(rd32(dsb + 0x5c), 0x41000000u);	    /* 8.0f */
}

static const uint8_t compute_prog[] = {
	0xdd, 0x47, 0x10,	/* fld qword [bx+0x10] */
	0xdc, 0x4f, 0x18,	/* fmul qword [bx+0x18] */
	0xdd, 0x5f, 0x28,	/* fstp qword [bx+0x28] */
	0x0f, 0x10, 0x47, 0x30, /* movups xmm0, [bx+0x30] */
	0x0f, 0x58, 0x47, 0x40, /* addps xmm0, [bx+0x40] */
	0x0f, 0x11, 0x47, 0x50, /* movups [bx+0x50], xmm0 */
};

static void compute_data(uint32_t dsb)
{
	static const float a[4] = {1, 2, 3, 4}, b[4] = {2, 2, 2, 4};

	wr64(dsb + 0x10, 0x3ff8000000000000ull); /* 1.5 */
	wr64(dsb + 0x18, 0x4000000000000000ull); /* 2.0 */
	memcpy(diff_guest(dsb + 0x30), a, 16);
	memcpy(diff_guest(dsb + 0x40), b, 16);
}

START_TEST(test_real_mode_compute)
{
	/* movaps xmm0, [bx+0x31]: misaligned, #GP through the IVT. */
	static const uint8_t gp[] = {0x0f, 0x28, 0x47, 0x31};
	const uint32_t cs = 0x1700, ds = 0x1800, dsb = ds << 4;

	real_mode(cs, ds);
	cpu->cr4 = X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	code_at(cs << 4, compute_prog, sizeof(compute_prog));
	code_at((cs << 4) + sizeof(compute_prog), gp, sizeof(gp));
	compute_data(dsb);
	run(6);
	compute_checks(dsb);
	ck_assert_int_eq(step(), X86_EXC_GP);
	ck_assert_uint_eq(rd16(dsb + 0xfefa), sizeof(compute_prog));
	/* Beyond the 64 KiB limit: #GP too (an SS-relative one: #SS). */
	real_mode(cs, ds);
	cpu->cr4 = X86_CR4_OSFXSR;
	{
		static const uint8_t far[] = {0xdd, 0x06, 0xfc, 0xff};

		code_at(cs << 4, far, sizeof(far));
		ck_assert_int_eq(step(), X86_EXC_GP);
	}
	/* Without CR4.OSFXSR, SSE is #UD in real mode too. */
	real_mode(cs, ds);
	cpu->cr4 = 0;
	code_at(cs << 4, compute_prog + 9, 4);
	ck_assert_int_eq(step(), X86_EXC_UD);
}
END_TEST

START_TEST(test_v86_mode)
{
	/* the compute program, then fnstenv [0x100]: real-mode format */
	static const uint8_t env[] = {0xd9, 0x36, 0x00, 0x01};
	const uint32_t cs = 0x1700, ds = 0x1800, dsb = ds << 4;

	setup();
	cpu->eflags |= X86_FL_VM;
	for (int s = 0; s < X86_NR_SREGS; s++)
		interp_seg_real(cpu, s, ds);
	interp_seg_real(cpu, X86_CS, cs);
	cpu->eip = 0;
	cpu->regs[X86_ESP] = 0xff00;
	interp_mode_changed(cpu);
	ck_assert_int_eq(cpu->cpl, 3);
	code_at(cs << 4, compute_prog, sizeof(compute_prog));
	code_at((cs << 4) + sizeof(compute_prog), env, sizeof(env));
	compute_data(dsb);
	run(7);
	compute_checks(dsb);
	/* Last x87 instruction: fstp qword [bx+0x28] at IP 6. */
	ck_assert_uint_eq(rd16(dsb + 0x106), 0x7006);
	ck_assert_uint_eq(rd16(dsb + 0x108), 0x1000 | 0x55f);
	ck_assert_uint_eq(rd16(dsb + 0x10a), 0x8028);
	ck_assert_uint_eq(rd16(dsb + 0x10c), 0x1000);
}
END_TEST

/* A 16-bit protected-mode code segment: the 16-bit protected formats
 * without a 66 prefix, the 32-bit ones with it. */
START_TEST(test_code16)
{
	static const uint8_t prog[] = {
		0xdd, 0x47, 0x10,	/* fld qword [bx+0x10] */
		0xd9, 0x37,		/* fnstenv [bx] */
		0x66, 0xd9, 0x77, 0x20, /* o32 fnstenv [bx+0x20] */
		0x66, 0xdd, 0x77, 0x40, /* o32 fnsave [bx+0x40] */
		0x66, 0xdd, 0x67, 0x40, /* o32 frstor [bx+0x40] */
		0xdd, 0x77, 0x40,	/* fnsave [bx+0x40] (o16) */
		0xdd, 0x67, 0x40,	/* frstor [bx+0x40] */
		0x66, 0xd9, 0x77, 0x20, /* o32 fnstenv [bx+0x20] */
	};
	const uint32_t b = D_LOW;

	setup();
	cpu->seg[X86_CS].attr &= (uint16_t)~X86_DESC_DB;
	cpu->seg[X86_CS].limit = 0xffff;
	cpu->seg[X86_CS].base = D_CODE - 0x1000;
	cpu->eip = 0x1000;
	cpu->regs[X86_EBX] = b;
	code(prog, sizeof(prog));
	wr64(b + 0x10, 0x3ff8000000000000ull);
	run(3);
	ck_assert_uint_eq(rd16(b + 0), 0x037f);
	ck_assert_uint_eq(rd16(b + 2), 0x3800);
	ck_assert_uint_eq(rd16(b + 4), 0x3fff);
	ck_assert_uint_eq(rd16(b + 6), 0x1000); /* FIP: offset */
	ck_assert_uint_eq(rd16(b + 8), 0x0008); /* FCS */
	ck_assert_uint_eq(rd16(b + 10), b + 0x10);
	ck_assert_uint_eq(rd16(b + 12), 0x0010);
	ck_assert_uint_eq(rd32(b + 0x2c), 0x1000);
	ck_assert_uint_eq(rd32(b + 0x30), 0x0008 | 0x547u << 16);
	ck_assert_uint_eq(rd32(b + 0x34), b + 0x10);
	ck_assert_uint_eq(rd32(b + 0x38), 0xffff0010);
	/* fnsave initialized the x87; frstor brings it all back, and the
	 * 16-bit round trip loses only FOP (the format has none). */
	run(5);
	ck_assert_uint_eq(rd32(b + 0x2c), 0x1000);
	ck_assert_uint_eq(rd32(b + 0x30), 0x0008);
	ck_assert_uint_eq(rd32(b + 0x34), b + 0x10);
	ck_assert_uint_eq(fsw(), 0x3800);
	ck_assert_uint_eq(fx()[32 + 7], 0xc0);
	ck_assert_uint_eq(fx()[32 + 9], 0x3f);
}
END_TEST

/* The tag word FSTENV reports: valid, zero, special, empty. */
START_TEST(test_tag_word)
{
	static const uint8_t prog[] = {
		0xd9, 0xe8,	  /* fld1: valid */
		0xd9, 0xee,	  /* fldz: zero */
		0xdb, 0x2b,	  /* fld tword [ebx]: denormal */
		0xdb, 0x6b, 0x10, /* fld tword [ebx+16]: unnormal */
		0xdb, 0x6b, 0x20, /* fld tword [ebx+32]: NaN */
		0xd9, 0x73, 0x40, /* fnstenv [ebx+0x40] */
	};
	static const uint8_t den[10] = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0};
	static const uint8_t unn[10] = {0, 0, 0, 0, 0, 0, 0, 0x40, 0xff, 0x3f};
	static const uint8_t nan[10] = {0, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0x7f};

	setup();
	cpu->regs[X86_EBX] = D_DATA;
	memcpy(diff_guest(D_DATA), den, 10);
	memcpy(diff_guest(D_DATA + 16), unn, 10);
	memcpy(diff_guest(D_DATA + 32), nan, 10);
	code(prog, sizeof(prog));
	run(6);
	/* R7 fld1 .. R3 NaN; R2-R0 empty */
	ck_assert_uint_eq(rd32(D_DATA + 0x48), 0xffff0000u | 0x1abf);
}
END_TEST

/* The state at power-on (as firmware leaves it). */
START_TEST(test_reset_state)
{
	setup();
	memset(fx(), 0xa5, 512);
	bt_fpu_reset(cpu);
	ck_assert_uint_eq(fx()[0] | fx()[1] << 8, 0x037f);
	ck_assert_uint_eq(fsw(), 0);
	ck_assert_uint_eq(fx()[4], 0);
	ck_assert_uint_eq(fx()[24] | fx()[25] << 8, 0x1f80);
	for (unsigned i = 160; i < 288; i++)
		ck_assert_uint_eq(fx()[i], 0);
}
END_TEST

/* Cost of an x87/SSE instruction in the interpreter (reported only). */
START_TEST(test_speed)
{
	static const uint8_t loop[] = {
		0xd8, 0xc1,	  /* fadd st, st(1) */
		0x0f, 0x58, 0xc1, /* addps xmm0, xmm1 */
		0xdd, 0x53, 0x08, /* fst qword [ebx+8] */
		0x90,		  /* nop */
		0xeb, 0xf6,	  /* jmp loop */
	};
	const uint64_t n = 500000;
	struct timespec t0, t1;
	double fpu_ns, nop_ns;

	setup();
	cpu->regs[X86_EBX] = D_DATA;
	code(loop, sizeof(loop));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(bt_interp_run(cpu, 5 * n), VCPU_EXIT_BUDGET);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	fpu_ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
		  (double)(t1.tv_nsec - t0.tv_nsec)) /
		 (double)n;
	/* The same loop with the three FPU instructions as nops. */
	setup();
	memset(diff_guest(D_CODE), 0x90, 9);
	diff_guest(D_CODE)[9] = 0xeb;
	diff_guest(D_CODE)[10] = 0xf6;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(bt_interp_run(cpu, 11 * n), VCPU_EXIT_BUDGET);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	nop_ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 +
		  (double)(t1.tv_nsec - t0.tv_nsec)) /
		 (double)(11 * n);
	printf("interpreter: %.0f ns per x87/SSE instruction (fadd, addps, "
	       "fst), %.0f ns per nop\n",
	       (fpu_ns - 2 * nop_ns) / 3, nop_ns);
}
END_TEST

TCase *interp_fpu_model_tcase(void)
{
	TCase *tc = tcase_create("model");

	tcase_add_test(tc, test_not_in_model);
	tcase_add_test(tc, test_native_ok);
	tcase_add_test(tc, test_cr_checks);
	tcase_add_test(tc, test_pending_mf);
	tcase_add_test(tc, test_ferr_ignne);
	tcase_add_test(tc, test_real_mode_env);
	tcase_add_test(tc, test_real_mode_compute);
	tcase_add_test(tc, test_v86_mode);
	tcase_add_test(tc, test_code16);
	tcase_add_test(tc, test_tag_word);
	tcase_add_test(tc, test_reset_state);
	tcase_add_test(tc, test_speed);
	return tc;
}
