/*
 * interp_fpu_env.c - the x87 control instructions and the FPU state
 * images, in C on the interpreter's copy of the state (interp_fpu.h).
 *
 * These store or load state the host would show with its own values
 * (its instruction pointer, its selectors, its MXCSR_MASK), or in a
 * format only real and virtual-8086 mode have, so they are built here
 * from the image, byte for byte as the modelled CPU writes them
 * (SDM Vol. 1, 8.1.10 and 10.5.1):
 *   FNSTENV/FLDENV   14 bytes (16-bit operand size) or 28 (32-bit), in
 *                    the protected-mode or the real-mode format (real
 *                    and virtual-8086 mode: 20/32-bit linear addresses
 *                    CS*16+IP instead of selector and offset); reserved
 *                    halves of the 32-bit format read 0xffff;
 *   FNSAVE/FRSTOR    the same environment, then ST(0)..ST(7), 10 bytes
 *                    each; FNSAVE then initializes the x87 (FNINIT);
 *   FXSAVE/FXRSTOR   the 512-byte image (32-bit format) with the guest's
 *                    pointers and opcode always stored, MXCSR_MASK
 *                    0xffff (DAZ), reserved fields zero; bytes 288-511
 *                    (XMM8-15 and the rest: 64-bit mode only) left as
 *                    they are; XMM0-7 and MXCSR only with CR4.OSFXSR.
 * Every load recomputes ES and B from the exception flags and masks, as
 * hardware does (an unmasked flag raises #MF at the next waiting
 * instruction), and keeps only the FCW bits that exist, bit 6 reading 1.
 * The stores write memory (after their checks) before the state
 * changes, so a fault restarts them cleanly.
 */
#include "bt/interp_fpu.h"

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

static void put16(uint8_t *p, uint32_t v)
{
	uint16_t w = (uint16_t)v;

	memcpy(p, &w, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static unsigned top_of(const struct fpu_img *m)
{
	return (fx_get16(m, FX_FSW) >> FSW_TOP_SHIFT) & 7;
}

/* ---- state helpers -------------------------------------------------------- */

uint16_t fpu_full_tags(const struct fpu_img *m)
{
	unsigned top = top_of(m);
	uint16_t tw = 0;

	for (unsigned r = 0; r < 8; r++) {
		const uint8_t *v = m->b + FX_ST((r - top) & 7);
		uint64_t mant;
		unsigned tag, exp = get16(v + 8) & 0x7fff;

		memcpy(&mant, v, 8);
		if (!(m->b[FX_FTW] >> r & 1))
			tag = 3; /* empty */
		else if (exp == 0x7fff)
			tag = 2; /* NaN, infinity: special */
		else if (exp == 0)
			tag = mant ? 2 : 1; /* denormal: special; zero */
		else
			tag = (mant >> 63) ? 0 : 2; /* valid; unnormal */
		tw |= (uint16_t)(tag << (2 * r));
	}
	return tw;
}

void fpu_update_es(struct fpu_img *m)
{
	uint16_t sw = fx_get16(m, FX_FSW);

	if (sw & ~fx_get16(m, FX_FCW) & FSW_EXC)
		sw |= FSW_ES | FSW_B;
	else
		sw &= ~(FSW_ES | FSW_B);
	fx_put16(m, FX_FSW, sw);
}

/*
 * A new status word. The image keeps the registers in stack order (ST(0)
 * first, as FXSAVE does); the physical registers stay where they are when
 * TOP changes, so the slots rotate.
 */
static void set_fsw(struct fpu_img *m, uint16_t sw)
{
	unsigned old = top_of(m), top = (sw >> FSW_TOP_SHIFT) & 7;
	uint8_t st[128];

	if (top != old) {
		memcpy(st, m->b + FX_ST(0), sizeof(st));
		for (unsigned j = 0; j < 8; j++)
			memcpy(m->b + FX_ST(j), st + 16 * ((j + top - old) & 7),
			       16);
	}
	fx_put16(m, FX_FSW, sw);
}

void fpu_init_x87(struct fpu_img *m)
{
	/* FCW, FSW, FTW (all empty), FOP and the pointers; the registers
	 * keep their contents. */
	set_fsw(m, 0);
	memset(m->b, 0, FX_MXCSR);
	fx_put16(m, FX_FCW, 0x37f);
}

static bool real_format(const struct vcpu *cpu)
{
	return !vcpu_protected(cpu) || vcpu_v86(cpu);
}

/* ---- the environment ------------------------------------------------------ */

static unsigned env_size(const struct x86_insn *in)
{
	return in->opsize == 4 ? 28 : 14;
}

static void env_store(const struct vcpu *cpu, const struct x86_insn *in,
		      const struct fpu_img *m, uint8_t *e)
{
	uint32_t cw = fx_get16(m, FX_FCW), sw = fx_get16(m, FX_FSW);
	uint32_t tw = fpu_full_tags(m), fop = fx_get16(m, FX_FOP) & 0x7ff;
	uint32_t fip = fx_get32(m, FX_FIP), fcs = fx_get16(m, FX_FCS);
	uint32_t fdp = fx_get32(m, FX_FDP), fds = fx_get16(m, FX_FDS);
	const uint32_t hi = 0xffff0000u;

	if (!real_format(cpu)) {
		if (in->opsize == 4) {
			put32(e + 0, hi | cw);
			put32(e + 4, hi | sw);
			put32(e + 8, hi | tw);
			put32(e + 12, fip);
			put32(e + 16, fcs | fop << 16);
			put32(e + 20, fdp);
			put32(e + 24, hi | fds);
		} else {
			put16(e + 0, cw);
			put16(e + 2, sw);
			put16(e + 4, tw);
			put16(e + 6, fip);
			put16(e + 8, fcs);
			put16(e + 10, fdp);
			put16(e + 12, fds);
		}
		return;
	}
	/* Real and virtual-8086 mode: linear addresses. */
	uint32_t ip = (fcs << 4) + fip, dp = (fds << 4) + fdp;

	if (in->opsize == 4) {
		put32(e + 0, hi | cw);
		put32(e + 4, hi | sw);
		put32(e + 8, hi | tw);
		put32(e + 12, hi | (ip & 0xffff));
		put32(e + 16, (ip & 0xffff0000u) >> 4 | fop);
		put32(e + 20, hi | (dp & 0xffff));
		put32(e + 24, (dp & 0xffff0000u) >> 4);
	} else {
		put16(e + 0, cw);
		put16(e + 2, sw);
		put16(e + 4, tw);
		put16(e + 6, ip);
		put16(e + 8, (ip & 0xf0000) >> 4 | fop);
		put16(e + 10, dp);
		put16(e + 12, (dp & 0xf0000) >> 4);
	}
}

/* The tag word's empty/non-empty bits become the abridged tags; the
 * hardware recomputes the rest from the registers when it stores them. */
static uint8_t abridge(uint16_t tw)
{
	uint8_t ftw = 0;

	for (unsigned r = 0; r < 8; r++)
		if (((tw >> (2 * r)) & 3) != 3)
			ftw |= (uint8_t)(1u << r);
	return ftw;
}

static void env_load(const struct vcpu *cpu, const struct x86_insn *in,
		     struct fpu_img *m, const uint8_t *e)
{
	uint32_t cw, sw, tw, fip, fcs = 0, fdp, fds = 0, fop = 0;

	cw = get16(e);
	if (in->opsize == 4) {
		sw = get16(e + 4);
		tw = get16(e + 8);
	} else {
		sw = get16(e + 2);
		tw = get16(e + 4);
	}
	if (!real_format(cpu)) {
		if (in->opsize == 4) {
			fip = get32(e + 12);
			fcs = get16(e + 16);
			fop = get16(e + 18) & 0x7ff;
			fdp = get32(e + 20);
			fds = get16(e + 24);
		} else {
			/* The 16-bit format has no opcode: it reads 0. */
			fip = get16(e + 6);
			fcs = get16(e + 8);
			fdp = get16(e + 10);
			fds = get16(e + 12);
		}
	} else if (in->opsize == 4) {
		fip = get16(e + 12) | (get32(e + 16) & 0x0ffff000u) << 4;
		fop = get32(e + 16) & 0x7ff;
		fdp = get16(e + 20) | (get32(e + 24) & 0x0ffff000u) << 4;
	} else {
		fip = get16(e + 6) | (uint32_t)(get16(e + 8) & 0xf000) << 4;
		fop = get16(e + 8) & 0x7ff;
		fdp = get16(e + 10) | (uint32_t)(get16(e + 12) & 0xf000) << 4;
	}
	fx_put16(m, FX_FCW, (uint16_t)((cw & FCW_KEEP) | FCW_ONE));
	set_fsw(m, (uint16_t)sw);
	m->b[FX_FTW] = abridge((uint16_t)tw);
	m->b[FX_FTW + 1] = 0;
	fx_put16(m, FX_FOP, (uint16_t)fop);
	fx_put32(m, FX_FIP, fip);
	fx_put32(m, FX_FCS, fcs);
	fx_put32(m, FX_FDP, fdp);
	fx_put32(m, FX_FDS, fds);
	fpu_update_es(m);
}

/* ---- the control instructions ---------------------------------------------- */

static void store_word(struct vcpu *cpu, const struct x86_insn *in, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	interp_write_buf(cpu, in->seg, interp_ea(cpu, in), b, 2);
}

bool fpu_x87_control(struct vcpu *cpu, const struct x86_insn *in,
		     struct fpu_img *m)
{
	uint8_t buf[108];
	uint32_t ea;
	unsigned n;

	if (in->mod == 3) {
		if (in->opcode == 0xdf) { /* fnstsw ax */
			interp_reg_put(cpu, X86_EAX, 2, fx_get16(m, FX_FSW));
			return true;
		}
		if (in->modrm == 0xe2) /* fnclex */
			fx_put16(m, FX_FSW, fx_get16(m, FX_FSW) & 0x7f00);
		else /* fninit */
			fpu_init_x87(m);
		fpu_store_img(m);
		fpu_sync_ferr(cpu, m);
		return true;
	}
	ea = interp_ea(cpu, in);
	switch ((in->opcode & 7) << 3 | in->reg) {
	case 1 << 3 | 5: /* fldcw */
		interp_read_buf(cpu, in->seg, ea, buf, 2);
		fx_put16(m, FX_FCW,
			 (uint16_t)((get16(buf) & FCW_KEEP) | FCW_ONE));
		fpu_update_es(m);
		break;
	case 1 << 3 | 7: /* fnstcw */
		store_word(cpu, in, fx_get16(m, FX_FCW));
		return true;
	case 5 << 3 | 7: /* fnstsw */
		store_word(cpu, in, fx_get16(m, FX_FSW));
		return true;
	case 1 << 3 | 4: /* fldenv */
		interp_read_buf(cpu, in->seg, ea, buf, env_size(in));
		env_load(cpu, in, m, buf);
		break;
	case 1 << 3 | 6: /* fnstenv */
		env_store(cpu, in, m, buf);
		interp_write_buf(cpu, in->seg, ea, buf, env_size(in));
		/* Then every exception is masked (and so none pending). */
		fx_put16(m, FX_FCW, fx_get16(m, FX_FCW) | FSW_EXC);
		fpu_update_es(m);
		break;
	case 5 << 3 | 4: /* frstor */
		n = env_size(in);
		interp_read_buf(cpu, in->seg, ea, buf, n + 80);
		env_load(cpu, in, m, buf);
		for (unsigned i = 0; i < 8; i++) {
			memcpy(m->b + FX_ST(i), buf + n + 10 * i, 10);
			memset(m->b + FX_ST(i) + 10, 0, 6);
		}
		break;
	case 5 << 3 | 6: /* fnsave */
		n = env_size(in);
		env_store(cpu, in, m, buf);
		for (unsigned i = 0; i < 8; i++)
			memcpy(buf + n + 10 * i, m->b + FX_ST(i), 10);
		interp_write_buf(cpu, in->seg, ea, buf, n + 80);
		fpu_init_x87(m);
		break;
	default:
		interp_ud(cpu);
	}
	fpu_store_img(m);
	fpu_sync_ferr(cpu, m);
	return true;
}

/* ---- FXSAVE, FXRSTOR, LDMXCSR, STMXCSR ---------------------------------------- */

static uint32_t fx_ea(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t ea = interp_ea(cpu, in);

	if ((cpu->seg[in->seg].base + ea) & 15)
		interp_gp0(cpu);
	return ea;
}

void fpu_fxsave(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t ea = fx_ea(cpu, in);
	struct fpu_img m;
	uint8_t img[288];

	fpu_load_img(&m);
	memcpy(img, m.b, sizeof(img));
	img[FX_FTW + 1] = 0;
	put16(img + FX_FOP, fx_get16(&m, FX_FOP) & 0x7ff);
	put16(img + FX_FCS + 2, 0);
	put16(img + FX_FDS + 2, 0);
	put32(img + FX_MXCSR_MASK, MXCSR_MASK_MODEL);
	for (unsigned i = 0; i < 8; i++)
		memset(img + FX_ST(i) + 10, 0, 6);
	if (!(cpu->cr4 & X86_CR4_OSFXSR)) {
		/* Without OSFXSR the SSE state is not saved: the bytes in
		 * memory stay as they were. */
		interp_read_buf(cpu, in->seg, ea + FX_MXCSR, img + FX_MXCSR, 8);
		interp_read_buf(cpu, in->seg, ea + FX_XMM(0), img + FX_XMM(0),
				128);
	}
	interp_write_buf(cpu, in->seg, ea, img, sizeof(img));
}

void fpu_fxrstor(struct vcpu *cpu, const struct x86_insn *in)
{
	uint32_t ea = fx_ea(cpu, in);
	struct fpu_img m;
	uint8_t img[288];

	interp_read_buf(cpu, in->seg, ea, img, sizeof(img));
	if ((cpu->cr4 & X86_CR4_OSFXSR) &&
	    (get32(img + FX_MXCSR) & ~MXCSR_MASK_MODEL))
		interp_gp0(cpu);
	fpu_load_img(&m);
	fx_put16(&m, FX_FCW,
		 (uint16_t)((get16(img + FX_FCW) & FCW_KEEP) | FCW_ONE));
	fx_put16(&m, FX_FSW, get16(img + FX_FSW));
	m.b[FX_FTW] = img[FX_FTW];
	m.b[FX_FTW + 1] = 0;
	fx_put16(&m, FX_FOP, get16(img + FX_FOP) & 0x7ff);
	fx_put32(&m, FX_FIP, get32(img + FX_FIP));
	fx_put32(&m, FX_FCS, get16(img + FX_FCS));
	fx_put32(&m, FX_FDP, get32(img + FX_FDP));
	fx_put32(&m, FX_FDS, get16(img + FX_FDS));
	for (unsigned i = 0; i < 8; i++) {
		memcpy(m.b + FX_ST(i), img + FX_ST(i), 10);
		memset(m.b + FX_ST(i) + 10, 0, 6);
	}
	if (cpu->cr4 & X86_CR4_OSFXSR) {
		fx_put32(&m, FX_MXCSR, get32(img + FX_MXCSR));
		memcpy(m.b + FX_XMM(0), img + FX_XMM(0), 128);
	}
	fpu_update_es(&m);
	fpu_store_img(&m);
	fpu_sync_ferr(cpu, &m);
}

void fpu_ldmxcsr(struct vcpu *cpu, const struct x86_insn *in)
{
	struct fpu_img m;
	uint8_t b[4];

	interp_read_buf(cpu, in->seg, interp_ea(cpu, in), b, 4);
	if (get32(b) & ~MXCSR_MASK_MODEL)
		interp_gp0(cpu);
	fpu_load_img(&m);
	fx_put32(&m, FX_MXCSR, get32(b));
	fpu_store_img(&m);
}

void fpu_stmxcsr(struct vcpu *cpu, const struct x86_insn *in)
{
	struct fpu_img m;
	uint8_t b[4];

	fpu_load_img(&m);
	put32(b, fx_get32(&m, FX_MXCSR));
	interp_write_buf(cpu, in->seg, interp_ea(cpu, in), b, 4);
}
