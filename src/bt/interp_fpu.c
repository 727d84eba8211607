/*
 * interp_fpu.c - x87, MMX, SSE and SSE2 in the interpreter.
 *
 * Each instruction goes through, in the architecture's order:
 *   1. is it in the modelled CPU (Pentium M: x87, MMX, SSE, SSE2; the
 *      table below)? Otherwise #UD, whatever the decoder knows
 *      (SSE3 and later, 3DNow!, SSE4a, VEX/EVEX/XOP);
 *   2. the CR0/CR4 checks: x87 #NM with EM or TS; MMX/SSE #UD with EM,
 *      SSE #UD without CR4.OSFXSR, then #NM with TS;
 *   3. a pending x87 error (FSW.ES) before waiting x87 instructions and
 *      before anything that touches the MMX registers: #MF with CR0.NE,
 *      else FERR# (IRQ 13) and a wait at the instruction, unless IGNNE#;
 *   4. the memory operand: 16-byte alignment (#GP(0)), segment and page
 *      checks, read into a bounce buffer (loads) or a write check
 *      (stores), so every memory fault comes before any change;
 *   5. the instruction itself: the control instructions (FLDCW, FNSTENV,
 *      FXSAVE...) in C on the image (interp_fpu_env.c), everything that
 *      computes on the host FPU (fpu_host.c) re-encoded for 64-bit mode
 *      with its memory operand at [rdi] = the bounce buffer and a general
 *      register operand moved to EAX;
 *   6. an unmasked SIMD exception: the state as the fault left it, then
 *      #XM (CR4.OSXMMEXCPT) or #UD;
 *   7. the x87 instruction and data pointers and the opcode of
 *      non-control x87 instructions (the guest's CS:EIP, segment:offset
 *      and opcode, not the host's), the store, the commit.
 */
#include "bt/interp_fpu.h"

/* ---- the modelled SIMD instructions: 0F map ----------------------------- */

enum { FC_NONE, FC_MMX, FC_SSE, FC_SSE2 };

#define F_LD 0x0001	 /* reads its memory operand */
#define F_ST 0x0002	 /* writes it */
#define F_A16 0x0004	 /* a memory operand must be 16-byte aligned */
#define F_MEMONLY 0x0008 /* mod == 3 is #UD */
#define F_MMX 0x0010	 /* uses MMX registers (pending x87 check) */
#define F_MMXRM 0x0020	 /* ... when r/m is a register */
#define F_GREG 0x0040	 /* ModRM.reg is a general register (written) */
#define F_GRM_IN 0x0080	 /* r/m is a general register (read) if mod 3 */
#define F_GRM_OUT 0x0100 /* r/m is a general register (written) if mod 3 */
#define F_FLAGS 0x0200	 /* writes ZF PF CF, clears OF SF AF */
#define F_NOFXSR 0x0400	 /* not subject to CR4.OSFXSR (pshufw, movntq) */
#define F_MASKMOV 0x0800 /* byte-masked store to DS:(E)DI */

struct simd_form {
	uint8_t cls;  /* FC_*; FC_NONE: not in the model */
	uint8_t msz;  /* bytes of the memory operand */
	uint16_t fl;  /* F_* */
	uint8_t regs; /* groups: ModRM.reg values that exist (0: any) */
};

#define MMX_(sz, fl)                        \
	{                                   \
		FC_MMX, sz, (fl) | F_MMX, 0 \
	}
#define SSE_(sz, fl)              \
	{                         \
		FC_SSE, sz, fl, 0 \
	}
#define SSE2_(sz, fl)              \
	{                          \
		FC_SSE2, sz, fl, 0 \
	}
/* Arithmetic on 16 aligned bytes, the common case. */
#define PS_ SSE_(16, F_LD | F_A16)
#define PD_ SSE2_(16, F_LD | F_A16)
#define R_ (F_LD)
#define W_ (F_ST)

/* clang-format off */
static const struct simd_form forms_0f[4][256] = {
	[X86_MAND_NONE] = {
		[0x10] = SSE_(16, R_), [0x11] = SSE_(16, W_),
		[0x12] = SSE_(8, R_), [0x13] = SSE_(8, W_),
		[0x14] = PS_, [0x15] = PS_,
		[0x16] = SSE_(8, R_), [0x17] = SSE_(8, W_),
		[0x28] = PS_, [0x29] = SSE_(16, W_ | F_A16),
		[0x2a] = SSE_(8, R_ | F_MMXRM),
		[0x2b] = SSE_(16, W_ | F_A16),
		[0x2c] = SSE_(8, R_ | F_MMX), [0x2d] = SSE_(8, R_ | F_MMX),
		[0x2e] = SSE_(4, R_ | F_FLAGS), [0x2f] = SSE_(4, R_ | F_FLAGS),
		[0x50] = SSE_(0, F_GREG),
		[0x51] = PS_, [0x52] = PS_, [0x53] = PS_, [0x54] = PS_,
		[0x55] = PS_, [0x56] = PS_, [0x57] = PS_, [0x58] = PS_,
		[0x59] = PS_, [0x5a] = SSE2_(8, R_), [0x5b] = PD_,
		[0x5c] = PS_, [0x5d] = PS_, [0x5e] = PS_, [0x5f] = PS_,
		[0x60 ... 0x6b] = MMX_(8, R_),
		[0x6e] = MMX_(4, R_ | F_GRM_IN), [0x6f] = MMX_(8, R_),
		[0x70] = SSE_(8, R_ | F_MMX | F_NOFXSR),
		[0x71] = {FC_MMX, 0, F_MMX, 0x54}, /* /2 /4 /6 */
		[0x72] = {FC_MMX, 0, F_MMX, 0x54},
		[0x73] = {FC_MMX, 0, F_MMX, 0x44}, /* /2 /6 */
		[0x74 ... 0x76] = MMX_(8, R_),
		[0x77] = MMX_(0, 0),
		[0x7e] = MMX_(4, W_ | F_GRM_OUT), [0x7f] = MMX_(8, W_),
		[0xc2] = PS_,
		[0xc4] = SSE_(2, R_ | F_MMX | F_GRM_IN),
		[0xc5] = SSE_(0, F_MMX | F_GREG),
		[0xc6] = PS_,
		[0xd1 ... 0xd3] = MMX_(8, R_),
		[0xd4] = SSE2_(8, R_ | F_MMX), [0xd5] = MMX_(8, R_),
		[0xd7] = SSE_(0, F_MMX | F_GREG),
		[0xd8] = MMX_(8, R_), [0xd9] = MMX_(8, R_),
		[0xda] = SSE_(8, R_ | F_MMX), [0xdb] = MMX_(8, R_),
		[0xdc] = MMX_(8, R_), [0xdd] = MMX_(8, R_),
		[0xde] = SSE_(8, R_ | F_MMX), [0xdf] = MMX_(8, R_),
		[0xe0] = SSE_(8, R_ | F_MMX), [0xe1] = MMX_(8, R_),
		[0xe2] = MMX_(8, R_), [0xe3] = SSE_(8, R_ | F_MMX),
		[0xe4] = SSE_(8, R_ | F_MMX), [0xe5] = MMX_(8, R_),
		[0xe7] = SSE_(8, W_ | F_MMX | F_NOFXSR),
		[0xe8] = MMX_(8, R_), [0xe9] = MMX_(8, R_),
		[0xea] = SSE_(8, R_ | F_MMX), [0xeb] = MMX_(8, R_),
		[0xec] = MMX_(8, R_), [0xed] = MMX_(8, R_),
		[0xee] = SSE_(8, R_ | F_MMX), [0xef] = MMX_(8, R_),
		[0xf1 ... 0xf3] = MMX_(8, R_),
		[0xf4] = SSE2_(8, R_ | F_MMX), [0xf5] = MMX_(8, R_),
		[0xf6] = SSE_(8, R_ | F_MMX),
		[0xf7] = SSE_(8, F_MMX | F_MASKMOV),
		[0xf8 ... 0xfa] = MMX_(8, R_),
		[0xfb] = SSE2_(8, R_ | F_MMX),
		[0xfc ... 0xfe] = MMX_(8, R_),
	},
	[X86_MAND_66] = {
		[0x10] = SSE2_(16, R_), [0x11] = SSE2_(16, W_),
		[0x12] = SSE2_(8, R_ | F_MEMONLY),
		[0x13] = SSE2_(8, W_ | F_MEMONLY),
		[0x14] = PD_, [0x15] = PD_,
		[0x16] = SSE2_(8, R_ | F_MEMONLY),
		[0x17] = SSE2_(8, W_ | F_MEMONLY),
		[0x28] = PD_, [0x29] = SSE2_(16, W_ | F_A16),
		[0x2a] = SSE2_(8, R_ | F_MMXRM),
		[0x2b] = SSE2_(16, W_ | F_A16),
		[0x2c] = SSE2_(16, R_ | F_A16 | F_MMX),
		[0x2d] = SSE2_(16, R_ | F_A16 | F_MMX),
		[0x2e] = SSE2_(8, R_ | F_FLAGS), [0x2f] = SSE2_(8, R_ | F_FLAGS),
		[0x50] = SSE2_(0, F_GREG),
		[0x51] = PD_, [0x54 ... 0x59] = PD_, [0x5a ... 0x5f] = PD_,
		[0x60 ... 0x6d] = PD_,
		[0x6e] = SSE2_(4, R_ | F_GRM_IN), [0x6f] = PD_,
		[0x70] = PD_,
		[0x71] = {FC_SSE2, 0, 0, 0x54}, /* /2 /4 /6 */
		[0x72] = {FC_SSE2, 0, 0, 0x54},
		[0x73] = {FC_SSE2, 0, 0, 0xcc}, /* /2 /3 /6 /7 */
		[0x74 ... 0x76] = PD_,
		[0x7e] = SSE2_(4, W_ | F_GRM_OUT),
		[0x7f] = SSE2_(16, W_ | F_A16),
		[0xc2] = PD_,
		[0xc4] = SSE2_(2, R_ | F_GRM_IN),
		[0xc5] = SSE2_(0, F_GREG),
		[0xc6] = PD_,
		[0xd1 ... 0xd5] = PD_,
		[0xd6] = SSE2_(8, W_),
		[0xd7] = SSE2_(0, F_GREG),
		[0xd8 ... 0xdf] = PD_,
		[0xe0 ... 0xe6] = PD_,
		[0xe7] = SSE2_(16, W_ | F_A16),
		[0xe8 ... 0xef] = PD_,
		[0xf1 ... 0xf6] = PD_,
		[0xf7] = SSE2_(16, F_MASKMOV),
		[0xf8 ... 0xfe] = PD_,
	},
	[X86_MAND_F3] = {
		[0x10] = SSE_(4, R_), [0x11] = SSE_(4, W_),
		[0x2a] = SSE_(4, R_ | F_GRM_IN),
		[0x2c] = SSE_(4, R_ | F_GREG), [0x2d] = SSE_(4, R_ | F_GREG),
		[0x51 ... 0x53] = SSE_(4, R_),
		[0x58] = SSE_(4, R_), [0x59] = SSE_(4, R_),
		[0x5a] = SSE2_(4, R_), [0x5b] = PD_,
		[0x5c ... 0x5f] = SSE_(4, R_),
		[0x6f] = SSE2_(16, R_), [0x70] = PD_,
		[0x7e] = SSE2_(8, R_), [0x7f] = SSE2_(16, W_),
		[0xc2] = SSE_(4, R_),
		[0xd6] = SSE2_(0, F_MMX),
		[0xe6] = SSE2_(8, R_),
	},
	[X86_MAND_F2] = {
		[0x10] = SSE2_(8, R_), [0x11] = SSE2_(8, W_),
		[0x2a] = SSE2_(4, R_ | F_GRM_IN),
		[0x2c] = SSE2_(8, R_ | F_GREG), [0x2d] = SSE2_(8, R_ | F_GREG),
		[0x51] = SSE2_(8, R_),
		[0x58] = SSE2_(8, R_), [0x59] = SSE2_(8, R_),
		[0x5a] = SSE2_(8, R_),
		[0x5c ... 0x5f] = SSE2_(8, R_),
		[0x70] = PD_,
		[0xc2] = SSE2_(8, R_),
		[0xd6] = SSE2_(0, F_MMX),
		[0xe6] = PD_,
	},
};
/* clang-format on */

/* ---- x87 --------------------------------------------------------------- */

enum x87_kind {
	X_UD,	   /* not in the model (fisttp: SSE3) or invalid */
	X_HOST,	   /* computes: runs on the host, updates the pointers */
	X_CONTROL, /* FLDCW, FNSTENV, FNINIT...: interp_fpu_env.c */
	X_NOP,	   /* FNENI, FNDISI, FNSETPM: no-ops since the 80387 */
};

struct x87_mem_form {
	uint8_t kind, msz, fl; /* fl: F_LD or F_ST */
};

#define XL(sz)                   \
	{                        \
		X_HOST, sz, F_LD \
	}
#define XS(sz)                   \
	{                        \
		X_HOST, sz, F_ST \
	}
#define XC                      \
	{                       \
		X_CONTROL, 0, 0 \
	}
#define XU                 \
	{                  \
		X_UD, 0, 0 \
	}
#define XLALL(sz)                                                              \
	{                                                                      \
		XL(sz), XL(sz), XL(sz), XL(sz), XL(sz), XL(sz), XL(sz), XL(sz) \
	}

/* Memory forms, by opcode (D8..DF) and ModRM.reg. */
static const struct x87_mem_form x87_mem[8][8] = {
	XLALL(4),						 /* D8 */
	{XL(4), XU, XS(4), XS(4), XC, XC, XC, XC},		 /* D9 */
	XLALL(4),						 /* DA */
	{XL(4), XU, XS(4), XS(4), XU, XL(10), XU, XS(10)},	 /* DB */
	XLALL(8),						 /* DC */
	{XL(8), XU, XS(8), XS(8), XC, XU, XC, XC},		 /* DD */
	XLALL(2),						 /* DE */
	{XL(2), XU, XS(2), XS(2), XL(10), XL(8), XS(10), XS(8)}, /* DF */
};

/* Register forms (mod == 3); the decoder has already refused the
 * encodings that do not exist. */
static enum x87_kind x87_reg_kind(const struct x86_insn *in)
{
	if (in->opcode == 0xdb) {
		switch (in->modrm) {
		case 0xe0: /* fneni */
		case 0xe1: /* fndisi */
		case 0xe4: /* fnsetpm */
			return X_NOP;
		case 0xe2: /* fnclex */
		case 0xe3: /* fninit */
			return X_CONTROL;
		}
	}
	if (in->opcode == 0xdf && in->modrm == 0xe0) /* fnstsw ax */
		return X_CONTROL;
	return X_HOST;
}

/* Non-waiting x87 instructions: no check for a pending error. */
static bool x87_waits(const struct x86_insn *in)
{
	if (in->mod == 3)
		return !(in->opcode == 0xdb && (in->modrm & 0xf8) == 0xe0) &&
		       !(in->opcode == 0xdf && in->modrm == 0xe0);
	/* fnstenv, fnstcw (D9 /6 /7); fnsave, fnstsw (DD /6 /7) */
	return !((in->opcode == 0xd9 || in->opcode == 0xdd) && in->reg >= 6);
}

/* FCOMI, FCOMIP, FUCOMI, FUCOMIP write the arithmetic flags. */
static bool x87_writes_flags(const struct x86_insn *in)
{
	return (in->opcode == 0xdb || in->opcode == 0xdf) && in->mod == 3 &&
	       in->modrm >= 0xe8 && in->modrm < 0xf8;
}

/* ---- pending x87 errors and FERR# --------------------------------------- */

bool fpu_pending(struct vcpu *cpu, const struct fpu_img *m)
{
	if (!(fx_get16(m, FX_FSW) & FSW_ES))
		return false;
	if (cpu->cr0 & X86_CR0_NE)
		interp_raise(cpu, X86_EXC_MF);
	if (cpu->fpu_ignne)
		return false;
	/*
	 * MS-DOS compatibility: FERR# goes to IRQ 13 through the chipset
	 * and the processor waits at this instruction for an interrupt (P6
	 * family: at the next waiting instruction, not when the error
	 * occurred). The IRQ 13 handler normally writes port 0xf0 (IGNNE#)
	 * and clears the error; the instruction then runs again.
	 */
	if (!cpu->fpu_ferr) {
		cpu->fpu_ferr = true;
		STAT_INC(interp_fpu_ferr);
		bus_set_irq(&cpu->machine->bus, 13, 1);
	}
	cpu->eip = cpu->insn_eip;
	cpu->halted = true;
	return true;
}

void fpu_sync_ferr(struct vcpu *cpu, const struct fpu_img *m)
{
	if (!cpu->fpu_ferr || (fx_get16(m, FX_FSW) & FSW_ES))
		return;
	cpu->fpu_ferr = false;
	cpu->fpu_ignne = false;
	bus_set_irq(&cpu->machine->bus, 13, 0);
}

void interp_fpu_sync_ferr(struct vcpu *cpu)
{
	const uint8_t *a;
	uint16_t sw;

	if (!cpu->fpu_ferr)
		return;
	/* An x87 component in its initial state has ES clear. */
	a = bt_fpu_area();
	memcpy(&sw, a + FX_FSW, 2);
	if (!(a[XS_BV] & 1) || !(sw & FSW_ES)) {
		cpu->fpu_ferr = false;
		cpu->fpu_ignne = false;
		bus_set_irq(&cpu->machine->bus, 13, 0);
	}
}

void interp_fpu_wait(struct vcpu *cpu)
{
	struct fpu_img m;

	fpu_load_img(&m);
	fpu_pending(cpu, &m);
}

void bt_fpu_ignne(struct vcpu *cpu)
{
	if (!cpu->fpu_ferr)
		return;
	cpu->fpu_ignne = true;
	bus_set_irq(&cpu->machine->bus, 13, 0);
}

/* ---- running on the host -------------------------------------------------- */

struct host_op {
	unsigned msz;	/* memory operand bytes (0: none) */
	unsigned fl;	/* F_* */
	bool x87;	/* an x87 instruction (pointers, stores) */
	bool ignne;	/* run although an x87 error is pending */
	bool flags_out; /* writes the arithmetic flags (the guest's are
			 * always loaded: FCMOVcc reads them) */
};

/* The segment of maskmovq/maskmovdqu's DS:(E)DI: DS or an override (the
 * decoder reports overrides only for ModRM memory operands). */
static int maskmov_seg(struct vcpu *cpu, const struct x86_insn *in)
{
	static const int8_t sreg[8] = {-1,     -1,     X86_ES, X86_CS,
				       X86_SS, X86_DS, X86_FS, X86_GS};
	uint8_t p[X86_MAX_INSN_LEN];
	int seg = X86_DS;

	if (!(in->prefixes & X86_P_SEG))
		return seg;
	interp_fetch(cpu, cpu->insn_eip, p, in->prefix_len);
	for (unsigned i = 0; i < in->prefix_len; i++) {
		switch (p[i]) {
		case 0x26:
		case 0x2e:
		case 0x36:
		case 0x3e:
			seg = sreg[(p[i] >> 3) & 7];
			break;
		case 0x64:
			seg = X86_FS;
			break;
		case 0x65:
			seg = X86_GS;
			break;
		}
	}
	return seg;
}

/* The instruction as the host runs it: no prefixes but the mandatory
 * one, memory at [rdi], a general register operand in EAX. */
static unsigned encode(const struct x86_insn *in, unsigned fl, uint8_t *c)
{
	static const uint8_t mand[4] = {0, 0x66, 0xf3, 0xf2};
	unsigned n = 0, reg = in->reg, rm = in->rm;

	if (in->map == 1) {
		if (in->mand)
			c[n++] = mand[in->mand];
		c[n++] = 0x0f;
	}
	c[n++] = in->opcode;
	if (!(in->info->flags & X86_F_MODRM)) /* emms */
		return n;
	if (fl & F_GREG)
		reg = 0;
	if (in->mod == 3) {
		if (fl & (F_GRM_IN | F_GRM_OUT))
			rm = 0;
		c[n++] = (uint8_t)(0xc0 | reg << 3 | rm);
	} else {
		c[n++] = (uint8_t)(reg << 3 | 7); /* [rdi] */
	}
	if (in->imm_len)
		c[n++] = (uint8_t)in->imm;
	return n;
}

/* Did an x87 store happen? Not when the instruction raised an unmasked
 * exception other than precision (the destination stays unchanged). */
static bool x87_stored(const struct fpu_img *before, const struct fpu_img *m)
{
	uint16_t fcw = fx_get16(before, FX_FCW);
	uint16_t raised = fx_get16(m, FX_FSW) & ~fx_get16(before, FX_FSW);

	return !(raised & ~fcw & (FSW_EXC & ~0x20));
}

static void run_host(struct vcpu *cpu, const struct x86_insn *in,
		     struct fpu_img *m, const struct host_op *op)
{
	uint8_t code[16], bounce[16] __attribute__((aligned(16))) = {0};
	uint8_t ptrs[18];
	struct fpu_img before;
	uint64_t rax = 0, rflags = cpu->eflags;
	uint32_t off = 0;
	uint16_t pending = 0;
	int seg = in->seg, trap;
	bool mem = in->has_mem || (op->fl & F_MASKMOV);
	unsigned n;

	if (mem) {
		if (op->fl & F_MASKMOV) {
			seg = maskmov_seg(cpu, in);
			off = in->addrsize == 4 ? cpu->regs[X86_EDI]
						: cpu->regs[X86_EDI] & 0xffff;
			interp_check_write_buf(cpu, seg, off, op->msz);
		} else {
			off = interp_ea(cpu, in);
			if ((op->fl & F_A16) &&
			    ((cpu->seg[seg].base + off) & 15))
				interp_gp0(cpu);
			if (op->fl & F_LD)
				interp_read_buf(cpu, seg, off, bounce, op->msz);
			else
				interp_check_write_buf(cpu, seg, off, op->msz);
		}
	}
	if ((op->fl & F_GRM_IN) && in->mod == 3)
		rax = cpu->regs[in->rm];
	n = encode(in, op->fl, code);

	/* IGNNE#: the host would raise #MF for the flags already pending
	 * (it does not trust ES alone): run without them, merge them back. */
	if (op->ignne) {
		pending = fx_get16(m, FX_FSW) & (FSW_EXC | FSW_SF);
		fx_put16(m, FX_FSW,
			 fx_get16(m, FX_FSW) &
				 ~(FSW_EXC | FSW_SF | FSW_ES | FSW_B));
	}
	before = *m;
	memcpy(ptrs, m->b + FX_FOP, sizeof(ptrs));
	STAT_INC(interp_fpu_host);
	trap = fpu_host_exec(m, code, n, &rax, &rflags, bounce);
	/* The host's pointers are its own (and AMD hosts store them only
	 * with an error pending): the guest's stay, or are this insn's. */
	memcpy(m->b + FX_FOP, ptrs, sizeof(ptrs));
	if (op->ignne) {
		fx_put16(m, FX_FSW, fx_get16(m, FX_FSW) | pending);
		fpu_update_es(m);
	}
	if (trap) {
		if (trap != X86_EXC_XM || op->x87)
			interp_fatal(cpu,
				     "%s at %04x:%08x: unexpected host trap %d",
				     in->info->name, cpu->seg[X86_CS].sel,
				     cpu->insn_eip, trap);
		STAT_INC(interp_fpu_simd_faults);
		fpu_store_img(m);
		if (cpu->cr4 & X86_CR4_OSXMMEXCPT)
			interp_raise(cpu, X86_EXC_XM);
		interp_ud(cpu);
	}
	if (op->x87) {
		fx_put16(m, FX_FOP,
			 (uint16_t)((in->opcode & 7) << 8 | in->modrm));
		fx_put32(m, FX_FIP, cpu->insn_eip);
		fx_put16(m, FX_FCS, cpu->seg[X86_CS].sel);
		if (mem) {
			fx_put32(m, FX_FDP, off);
			fx_put16(m, FX_FDS, cpu->seg[seg].sel);
		}
	}

	if (op->fl & F_MASKMOV) {
		/* The mask register: mm(rm) is physical register rm. */
		unsigned top = (fx_get16(m, FX_FSW) >> FSW_TOP_SHIFT) & 7;
		const uint8_t *mask =
			m->b + (op->msz == 8 ? FX_ST((in->rm - top) & 7)
					     : FX_XMM(in->rm));

		for (unsigned i = 0; i < op->msz; i++)
			if (mask[i] & 0x80)
				interp_write_buf(cpu, seg, off + i, bounce + i,
						 1);
	} else if (mem && (op->fl & F_ST) &&
		   (!op->x87 || x87_stored(&before, m))) {
		interp_write_buf(cpu, seg, off, bounce, op->msz);
	}
	fpu_store_img(m);
	if (op->fl & F_GREG)
		cpu->regs[in->reg] = (uint32_t)rax;
	if ((op->fl & F_GRM_OUT) && in->mod == 3)
		cpu->regs[in->rm] = (uint32_t)rax;
	if (op->flags_out)
		interp_set_arith(cpu, (uint32_t)rflags, X86_FL_ARITH);
	fpu_sync_ferr(cpu, m);
}

/* ---- handlers ----------------------------------------------------------- */

static void op_x87(struct vcpu *cpu, const struct x86_insn *in)
{
	struct fpu_img m;
	struct host_op op = {.x87 = true};
	enum x87_kind kind;

	if (in->mod == 3) {
		kind = x87_reg_kind(in);
	} else {
		const struct x87_mem_form *f =
			&x87_mem[in->opcode & 7][in->reg];

		kind = f->kind;
		op.msz = f->msz;
		op.fl = f->fl;
	}
	if (kind == X_UD)
		interp_ud(cpu);
	if (cpu->cr0 & (X86_CR0_EM | X86_CR0_TS))
		interp_raise(cpu, X86_EXC_NM);
	if (kind == X_NOP)
		return;
	fpu_load_img(&m);
	if (x87_waits(in) && (fx_get16(&m, FX_FSW) & FSW_ES)) {
		if (fpu_pending(cpu, &m))
			return;
		op.ignne = true;
	}
	if (kind == X_CONTROL) {
		fpu_x87_control(cpu, in, &m);
		return;
	}
	op.flags_out = x87_writes_flags(in);
	run_host(cpu, in, &m, &op);
}

/* The CR0/CR4 checks of MMX and SSE instructions. */
static void simd_checks(struct vcpu *cpu, unsigned cls, unsigned fl)
{
	if (cpu->cr0 & X86_CR0_EM)
		interp_ud(cpu);
	if (cls != FC_MMX && !(fl & F_NOFXSR) && !(cpu->cr4 & X86_CR4_OSFXSR))
		interp_ud(cpu);
	if (cpu->cr0 & X86_CR0_TS)
		interp_raise(cpu, X86_EXC_NM);
}

/* The form of an MMX/SSE instruction, or NULL if the model lacks it. */
static const struct simd_form *simd_form(const struct x86_insn *in)
{
	const struct simd_form *f;

	/* VEX/EVEX/XOP, 0F 38 and 0F 3A (SSSE3 and later), 3DNow!: none
	 * of it is in the model. */
	if (in->enc != X86_ENC_LEGACY || in->map != 1)
		return NULL;
	/* A 66, F3 or F2 the opcode has no form for is #UD, although the
	 * decoder reads the row without prefix (for lengths). */
	if (in->mand == X86_MAND_NONE &&
	    (in->prefixes & (X86_P_OPSIZE | X86_P_REP | X86_P_REPNE)))
		return NULL;
	f = &forms_0f[in->mand][in->opcode];
	if (f->cls == FC_NONE || (f->regs && !(f->regs >> in->reg & 1)) ||
	    ((f->fl & F_MEMONLY) && in->mod == 3))
		return NULL;
	return f;
}

bool bt_fpu_native_ok(const struct vcpu *cpu, const struct x86_insn *in)
{
	const struct simd_form *f;

	switch (in->info->op) {
	case X86_OP_X87:
		return in->mod == 3 ||
		       x87_mem[in->opcode & 7][in->reg].kind != X_UD;
	case X86_OP_MMX:
	case X86_OP_SSE:
		f = simd_form(in);
		return f && (f->cls == FC_MMX || (f->fl & F_NOFXSR) ||
			     (cpu->cr4 & X86_CR4_OSFXSR));
	case X86_OP_LDMXCSR:
	case X86_OP_STMXCSR:
		return cpu->cr4 & X86_CR4_OSFXSR;
	default:
		return true;
	}
}

static void op_simd(struct vcpu *cpu, const struct x86_insn *in)
{
	const struct simd_form *f = simd_form(in);
	struct host_op op = {0};
	struct fpu_img m;

	if (!f)
		interp_ud(cpu);
	simd_checks(cpu, f->cls, f->fl);
	fpu_load_img(&m);
	if ((f->fl & F_MMX) || ((f->fl & F_MMXRM) && in->mod == 3)) {
		if (fx_get16(&m, FX_FSW) & FSW_ES) {
			if (fpu_pending(cpu, &m))
				return;
			op.ignne = true;
		}
	}
	op.msz = f->msz;
	op.fl = f->fl;
	op.flags_out = f->fl & F_FLAGS;
	run_host(cpu, in, &m, &op);
}

static void op_fxsave(struct vcpu *cpu, const struct x86_insn *in)
{
	/* FXSR is in the model; neither instruction needs CR4.OSFXSR. */
	if (cpu->cr0 & X86_CR0_EM)
		interp_ud(cpu);
	if (cpu->cr0 & X86_CR0_TS)
		interp_raise(cpu, X86_EXC_NM);
	if (in->info->op == X86_OP_FXSAVE)
		fpu_fxsave(cpu, in);
	else
		fpu_fxrstor(cpu, in);
}

static void op_mxcsr(struct vcpu *cpu, const struct x86_insn *in)
{
	simd_checks(cpu, FC_SSE, 0);
	if (in->info->op == X86_OP_LDMXCSR)
		fpu_ldmxcsr(cpu, in);
	else
		fpu_stmxcsr(cpu, in);
}

void interp_register_fpu(interp_fn *table)
{
	table[X86_OP_X87] = op_x87;
	table[X86_OP_MMX] = op_simd;
	table[X86_OP_SSE] = op_simd;
	table[X86_OP_FXSAVE] = op_fxsave;
	table[X86_OP_FXRSTOR] = op_fxsave;
	table[X86_OP_LDMXCSR] = op_mxcsr;
	table[X86_OP_STMXCSR] = op_mxcsr;
}
