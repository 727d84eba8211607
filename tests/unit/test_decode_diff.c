/*
 * test_decode_diff.c - x86_decode() against capstone 4 (see the header).
 *
 * Capstone is a disassembler generated from LLVM's tables; it is a good
 * oracle for lengths, but it has defects of its own. Each one we exclude
 * is listed in diff_exclusions[] with an example and the reason we
 * believe capstone, not the decoder, is wrong (checked against the SDM).
 * Everything else that differs counts against the agreement rate.
 */
#include "test_decode_diff.h"

#include <stdlib.h>
#include <string.h>

/* capstone/x86.h and ours both define enum x86_reg, x86_insn and
 * X86_OP_INVALID: rename capstone's while including it. */
#define x86_reg capstone_x86_reg
#define x86_insn capstone_x86_insn
#define X86_OP_INVALID CAPSTONE_X86_OP_INVALID
#include <capstone/capstone.h>
#undef x86_reg
#undef x86_insn
#undef X86_OP_INVALID

#include "bt/decode.h"
#include "x86.h"

/* ---- capstone registers as (class, number, size) ------------------- */

enum { RC_NONE, RC_GPR, RC_SREG, RC_CR, RC_DR, RC_OTHER };
struct cs_regmap {
	uint8_t cls, num, size;
};

struct diff_ctx {
	csh h16, h32;
	struct cs_regmap reg[X86_REG_ENDING];
};

static const char *const gpr8[8] = {"al", "cl", "dl", "bl",
				    "ah", "ch", "dh", "bh"};
static const char *const gpr16[8] = {"ax", "cx", "dx", "bx",
				     "sp", "bp", "si", "di"};
static const char *const gpr32[8] = {"eax", "ecx", "edx", "ebx",
				     "esp", "ebp", "esi", "edi"};
static const char *const sregs[6] = {"es", "cs", "ss", "ds", "fs", "gs"};

static void map_regs(struct diff_ctx *ctx)
{
	for (unsigned id = 1; id < X86_REG_ENDING; id++) {
		const char *n = cs_reg_name(ctx->h32, id);
		struct cs_regmap *m = &ctx->reg[id];
		m->cls = RC_OTHER;
		if (!n)
			continue;
		for (unsigned i = 0; i < 8; i++) {
			if (!strcmp(n, gpr8[i]))
				*m = (struct cs_regmap){RC_GPR, i, 1};
			if (!strcmp(n, gpr16[i]))
				*m = (struct cs_regmap){RC_GPR, i, 2};
			if (!strcmp(n, gpr32[i]))
				*m = (struct cs_regmap){RC_GPR, i, 4};
		}
		for (unsigned i = 0; i < 6; i++)
			if (!strcmp(n, sregs[i]))
				*m = (struct cs_regmap){RC_SREG, i, 2};
		if (n[0] == 'c' && n[1] == 'r' && n[2] >= '0' && n[2] <= '9')
			*m = (struct cs_regmap){RC_CR, (uint8_t)atoi(n + 2), 4};
		if (n[0] == 'd' && n[1] == 'r' && n[2] >= '0' && n[2] <= '9')
			*m = (struct cs_regmap){RC_DR, (uint8_t)atoi(n + 2), 4};
	}
}

struct diff_ctx *diff_open(void)
{
	struct diff_ctx *ctx = calloc(1, sizeof(*ctx));
	if (!ctx)
		return NULL;
	if (cs_open(CS_ARCH_X86, CS_MODE_16, &ctx->h16) != CS_ERR_OK ||
	    cs_open(CS_ARCH_X86, CS_MODE_32, &ctx->h32) != CS_ERR_OK) {
		free(ctx);
		return NULL;
	}
	cs_option(ctx->h16, CS_OPT_DETAIL, CS_OPT_ON);
	cs_option(ctx->h32, CS_OPT_DETAIL, CS_OPT_ON);
	map_regs(ctx);
	return ctx;
}

void diff_close(struct diff_ctx *ctx)
{
	if (!ctx)
		return;
	cs_close(&ctx->h16);
	cs_close(&ctx->h32);
	free(ctx);
}

/* ---- a syntactic look at the bytes, independent of either decoder -- */

struct parsed {
	unsigned npfx;
	bool p66, pf2, pf3, lock;
	unsigned map; /* 0..3 legacy; 0x10 + map: VEX/EVEX/XOP */
	unsigned enc; /* X86_ENC_* */
	int op;	      /* -1: ran out of bytes */
	int modrm;    /* -1: none available */
};

static bool is_prefix(uint8_t b)
{
	switch (b) {
	case 0x26:
	case 0x2e:
	case 0x36:
	case 0x3e:
	case 0x64:
	case 0x65:
	case 0x66:
	case 0x67:
	case 0xf0:
	case 0xf2:
	case 0xf3:
		return true;
	default:
		return false;
	}
}

static void parse(const uint8_t *b, size_t n, struct parsed *p)
{
	size_t i = 0;

	memset(p, 0, sizeof(*p));
	p->op = p->modrm = -1;
	while (i < n && is_prefix(b[i])) {
		p->p66 |= b[i] == 0x66;
		p->lock |= b[i] == 0xf0;
		if (b[i] == 0xf2)
			p->pf2 = true, p->pf3 = false;
		if (b[i] == 0xf3)
			p->pf3 = true, p->pf2 = false;
		i++;
	}
	p->npfx = (unsigned)i;
	if (i >= n)
		return;
	unsigned op = b[i++];
	if ((op == 0xc4 || op == 0xc5 || op == 0x62) && i < n &&
	    (b[i] & 0xc0) == 0xc0) {
		p->enc = op == 0x62 ? X86_ENC_EVEX : X86_ENC_VEX;
		unsigned skip = op == 0xc5 ? 1 : op == 0xc4 ? 2 : 3;
		p->map = op == 0xc5 ? 1 : op == 0xc4 ? b[i] & 0x1f : b[i] & 3;
		i += skip;
		if (i < n)
			p->op = b[i++];
		if (i < n)
			p->modrm = b[i];
		return;
	}
	if (op == 0x8f && i < n && (b[i] & 0x1f) >= 8) {
		p->enc = X86_ENC_XOP;
		p->map = b[i] & 0x1f;
		i += 2;
		if (i < n)
			p->op = b[i++];
		if (i < n)
			p->modrm = b[i];
		return;
	}
	if (op == 0x0f) {
		if (i >= n)
			return;
		op = b[i++];
		p->map = 1;
		if (op == 0x38 || op == 0x3a) {
			p->map = op == 0x38 ? 2 : 3;
			if (i >= n)
				return;
			op = b[i++];
		}
	}
	p->op = (int)op;
	if (i < n)
		p->modrm = b[i];
}

/* Opcodes whose ModRM.reg selects the instruction. */
static bool is_group(const struct parsed *p)
{
	if (p->enc != X86_ENC_LEGACY)
		return false;
	if (p->map == 0)
		switch (p->op) {
		case 0x80:
		case 0x81:
		case 0x82:
		case 0x83:
		case 0x8f:
		case 0xc0:
		case 0xc1:
		case 0xc6:
		case 0xc7:
		case 0xd0:
		case 0xd1:
		case 0xd2:
		case 0xd3:
		case 0xf6:
		case 0xf7:
		case 0xfe:
		case 0xff:
			return true;
		default:
			return p->op >= 0xd8 && p->op <= 0xdf;
		}
	if (p->map == 1)
		switch (p->op) {
		case 0x00:
		case 0x01:
		case 0x0d:
		case 0x18:
		case 0x71:
		case 0x72:
		case 0x73:
		case 0xae:
		case 0xba:
		case 0xc7:
			return true;
		}
	return false;
}

static void opkey(const struct parsed *p, char *out, size_t size)
{
	static const char *const encs[] = {"", "vex", "evex", "xop"};
	char pfx[16] = "";

	if (p->op < 0) {
		snprintf(out, size, "(short)");
		return;
	}
	if (p->enc == X86_ENC_LEGACY && p->map > 0)
		snprintf(pfx, sizeof(pfx), "%s",
			 p->pf2	  ? "f2 "
			 : p->pf3 ? "f3 "
			 : p->p66 ? "66 "
				  : "");
	if (p->enc != X86_ENC_LEGACY) {
		snprintf(out, size, "%s map%u %02x", encs[p->enc], p->map,
			 (unsigned)p->op);
		return;
	}
	static const char *const maps[] = {"", "0f ", "0f 38 ", "0f 3a "};
	int k = snprintf(out, size, "%s%s%02x", pfx, maps[p->map],
			 (unsigned)p->op);
	if (is_group(p) && p->modrm >= 0 && k > 0 && (size_t)k < size)
		snprintf(out + k, size - (size_t)k, " /%u%s",
			 ((unsigned)p->modrm >> 3) & 7,
			 p->modrm >= 0xc0 ? " r" : " m");
}

/* ---- known capstone 4 defects ------------------------------------ */

const struct diff_exclusion diff_exclusions[] = {
	{"ud0/ud1 without ModRM", "0f b9 00: cs 2 bytes, us 3",
	 "SDM UD: '0F B9 /r UD1 r32, r/m32' and '0F FF /r UD0 r32, r/m32' "
	 "have a ModRM byte (capstone 4 predates that SDM revision), "
	 "whatever the prefixes"},
	{"hint-NOP register forms", "0f 1f c0: cs invalid, us nop eax",
	 "SDM NOP: '0F 1F /0 NOP r/m32' takes a register too; 0F 18-1F are "
	 "the reserved-NOP (hint) space, executed as NOP whatever ModRM "
	 "says"},
	{"swapgs outside 64-bit mode", "0f 01 f8: cs swapgs, us #UD",
	 "SDM SWAPGS: '#UD If Mode != 64-bit'"},
	{"mov to/from CR1, CR5-CR7", "0f 20 c8: cs mov eax, cr1, us #UD",
	 "SDM MOV (control registers): '#UD If an attempt is made to access "
	 "CR1, CR5, CR6, or CR7'"},
	{"mov cs, r/m", "8e c8: cs mov cs, ax, us #UD",
	 "SDM MOV: '#UD If attempt is made to load the CS register'"},
	{"legacy prefix before VEX/EVEX", "66 c5 f8 10 c1: cs vmovups, us #UD",
	 "SDM 2.3.2/2.6: a VEX (EVEX) instruction preceded by a 66H, F2H, "
	 "F3H or LOCK prefix #UDs"},
	{"fences with ModRM.rm != 0", "0f ae e9: cs invalid, us lfence",
	 "SDM Table A-6 (group 15, mod 11B) selects lfence/mfence/sfence by "
	 "ModRM.reg alone; the rm bits are ignored"},
	{"LOCK where the SDM says #UD", "f0 02 11: cs lock add dl, [ecx]",
	 "SDM LOCK: only ADD ADC AND BTC BTR BTS CMPXCHG CMPXCHG8B DEC INC "
	 "NEG NOT OR SBB SUB XOR XADD XCHG with a memory destination; '#UD "
	 "if the LOCK prefix is used with an instruction not listed'. "
	 "Capstone accepts LOCK on any instruction when F2/F3 is also "
	 "present, and on reg,mem forms (02, 03, ...)"},
	{"mandatory prefix not next to the opcode",
	 "66 26 0f e6 c5: cs invalid, 26 66 0f e6 c5: cs cvttpd2dq",
	 "SDM 2.1.1: prefixes of the four groups 'may be placed in any "
	 "order'; capstone only honours a mandatory 66/F2/F3 that directly "
	 "precedes 0F (checked by reordering the prefixes)"},
	{"16-bit code: mandatory prefixes ignored", "66 0f 7c c0 (16-bit)",
	 "capstone 4 in CS_MODE_16 decodes 66/F2/F3 0F xx as the unprefixed "
	 "form and rejects prefix-only instructions (haddpd, popcnt, "
	 "lddqu...); the SDM marks them valid in legacy mode and the same "
	 "instruction (address size kept) decodes right in CS_MODE_32"},
	{"3DNow! suffix 0E", "0f 0f c0 0e: cs femms",
	 "femms is 0F 0E; AMD's 3DNow! manual defines no 0F 0F suffix 0E"},
};
const unsigned diff_nr_exclusions =
	sizeof(diff_exclusions) / sizeof(diff_exclusions[0]);

static int cs_len(struct diff_ctx *ctx, bool code32, const uint8_t *b, size_t n)
{
	cs_insn *ci;
	size_t cnt =
		cs_disasm(code32 ? ctx->h32 : ctx->h16, b, n, 0x1000, 1, &ci);
	int len = cnt ? (int)ci->size : -1;
	if (cnt)
		cs_free(ci, cnt);
	return len;
}

/*
 * Capstone's verdict with the legacy prefixes reordered (the SDM says
 * their order does not matter): `rep_first` false moves 66/F2/F3 last,
 * keeping their relative order (a mandatory prefix next to 0F); true
 * puts F2/F3 first and 66 last (for one-byte opcodes, where capstone
 * mis-decodes 66 followed by F2/F3).
 */
static int cs_len_reordered(struct diff_ctx *ctx, bool code32, const uint8_t *b,
			    size_t n, unsigned npfx, bool rep_first)
{
	uint8_t r[16];
	unsigned k = 0;

	if (rep_first)
		for (unsigned i = 0; i < npfx; i++)
			if (b[i] == 0xf2 || b[i] == 0xf3)
				r[k++] = b[i];
	for (unsigned i = 0; i < npfx; i++)
		if (b[i] != 0x66 && b[i] != 0xf2 && b[i] != 0xf3)
			r[k++] = b[i];
	for (unsigned i = 0; i < npfx; i++)
		if (b[i] == 0x66 ||
		    (!rep_first && (b[i] == 0xf2 || b[i] == 0xf3)))
			r[k++] = b[i];
	memcpy(r + k, b + npfx, n - npfx);
	return cs_len(ctx, code32, r, n);
}

/*
 * Does capstone accept the same 16-bit instruction decoded as 32-bit
 * code with the address size kept (67 toggled), with the length we
 * found? (The operand size only matters to immediates, which the SSE
 * rows concerned do not have.)
 */
static bool cs_len_as32(struct diff_ctx *ctx, const uint8_t *b, size_t n,
			unsigned npfx, int ours)
{
	uint8_t r[17];
	unsigned k = 0, n67 = 0;

	for (unsigned i = 0; i < npfx; i++)
		n67 += b[i] == 0x67;
	if (!n67)
		r[k++] = 0x67;
	/* prefixes other than 67, the mandatory ones last (see above) */
	for (unsigned i = 0; i < npfx; i++)
		if (b[i] != 0x67 && b[i] != 0x66 && b[i] != 0xf2 &&
		    b[i] != 0xf3)
			r[k++] = b[i];
	for (unsigned i = 0; i < npfx; i++)
		if (b[i] == 0x66 || b[i] == 0xf2 || b[i] == 0xf3)
			r[k++] = b[i];
	memcpy(r + k, b + npfx, n - npfx);
	k += (unsigned)(n - npfx);
	int want = ours <= 0 ? -1 : n67 ? ours - (int)n67 : ours + 1;
	return cs_len(ctx, true, r, k) == want;
}

/* Our verdict without the LOCK prefixes; *nlock gets how many. */
static int ours_unlocked(bool code32, const uint8_t *b, size_t n, unsigned npfx,
			 unsigned *nlock)
{
	uint8_t r[16];
	unsigned k = 0;
	struct x86_insn in;

	*nlock = 0;
	for (unsigned i = 0; i < n; i++) {
		if (i < npfx && b[i] == 0xf0) {
			(*nlock)++;
			continue;
		}
		r[k++] = b[i];
	}
	return x86_decode(&in, r, k, code32);
}

static int known_bug(struct diff_ctx *ctx, bool code32, const uint8_t *b,
		     size_t n, const struct parsed *p,
		     const struct x86_insn *in, int ours, int cs)
{
	bool we_ok = ours > 0, cs_ok = cs > 0, legacy = p->enc == 0;
	unsigned reg = p->modrm >= 0 ? ((unsigned)p->modrm >> 3) & 7 : 8;
	bool m3 = p->modrm >= 0xc0;

	if (legacy && p->map == 1 && we_ok && (p->op == 0xb9 || p->op == 0xff))
		return 0;
	if (legacy && p->map == 1 && we_ok && !cs_ok && p->op >= 0x18 &&
	    p->op <= 0x1f && m3)
		return 1;
	if (legacy && p->map == 1 && !we_ok && cs_ok && p->op == 0x01 &&
	    p->modrm == 0xf8)
		return 2;
	if (legacy && p->map == 1 && !we_ok && cs_ok &&
	    (p->op == 0x20 || p->op == 0x22) && (reg == 1 || reg >= 5))
		return 3;
	if (legacy && p->map == 0 && !we_ok && cs_ok && p->op == 0x8e &&
	    reg == 1)
		return 4;
	if ((p->enc == X86_ENC_VEX || p->enc == X86_ENC_EVEX) && !we_ok &&
	    cs_ok && (p->p66 || p->pf2 || p->pf3 || p->lock))
		return 5;
	if (legacy && p->map == 1 && we_ok && !cs_ok && p->op == 0xae && m3 &&
	    reg >= 5 && (p->modrm & 7))
		return 6;
	if (p->lock && !we_ok && cs_ok) {
		unsigned nlock;
		int r = ours_unlocked(code32, b, n, p->npfx, &nlock);
		/* (ud0/ud1 have their own length defect in capstone) */
		if (r > 0 && (r + (int)nlock == cs ||
			      (legacy && p->map == 1 &&
			       (p->op == 0xb9 || p->op == 0xff))))
			return 7;
	}
	if ((p->p66 || p->pf2 || p->pf3) &&
	    (cs_len_reordered(ctx, code32, b, n, p->npfx, false) ==
		     (we_ok ? ours : -1) ||
	     (legacy && p->map == 0 && p->p66 && (p->pf2 || p->pf3) &&
	      cs_len_reordered(ctx, code32, b, n, p->npfx, true) ==
		      (we_ok ? ours : -1))))
		return 8;
	if (!code32 && legacy && p->map >= 1 && (p->p66 || p->pf2 || p->pf3) &&
	    cs_len_as32(ctx, b, n, p->npfx, ours))
		return 9;
	/* capstone reads the 3DNow! suffix 0E as femms (0F 0E) */
	if (legacy && p->map == 1 && p->op == 0x0f && !we_ok && cs_ok &&
	    in->imm == 0x0e)
		return 10;
	return -1;
}

/* ---- statistics ----------------------------------------------------- */

static void add_class(struct diff_class *cls, unsigned *nr, const char *key,
		      const uint8_t *b, size_t n)
{
	for (unsigned i = 0; i < *nr; i++)
		if (!strcmp(cls[i].key, key)) {
			cls[i].count++;
			return;
		}
	if (*nr >= DIFF_MAX_CLASSES)
		return;
	struct diff_class *c = &cls[(*nr)++];
	snprintf(c->key, sizeof(c->key), "%s", key);
	c->count = 1;
	c->example_len = n < 16 ? (unsigned)n : 16;
	memcpy(c->example, b, c->example_len);
}

void diff_stats_init(struct diff_stats *st, const char *name, bool code32)
{
	memset(st, 0, sizeof(*st));
	st->name = name;
	st->code32 = code32;
	st->len_classes = calloc(DIFF_MAX_CLASSES, sizeof(struct diff_class));
	st->excl_classes = calloc(DIFF_MAX_CLASSES, sizeof(struct diff_class));
	st->opnd_classes = calloc(DIFF_MAX_CLASSES, sizeof(struct diff_class));
}

void diff_stats_free(struct diff_stats *st)
{
	free(st->len_classes);
	free(st->excl_classes);
	free(st->opnd_classes);
	st->len_classes = st->excl_classes = st->opnd_classes = NULL;
}

/* ---- operands ----------------------------------------------------- */

static bool integer_row(const struct x86_insn *in)
{
	switch (in->info->op) {
	case X86_OP_X87:
	case X86_OP_MMX:
	case X86_OP_SSE:
	case X86_OP_FXSAVE:
	case X86_OP_FXRSTOR:
	case X86_OP_LDMXCSR:
	case X86_OP_STMXCSR:
	case X86_OP_OTHER:
	case X86_OP_INVALID:
		return false;
	default:
		return in->enc == X86_ENC_LEGACY;
	}
}

static uint64_t mask_to(uint64_t v, unsigned bytes)
{
	return bytes >= 8 ? v : v & ((1ull << (bytes * 8)) - 1);
}

/* Our register operand i as (class, number). */
static bool our_reg(const struct x86_insn *in, const struct x86_operand *o,
		    unsigned *cls, unsigned *num)
{
	switch (o->kind) {
	case OPK_G:
		*cls = RC_GPR, *num = in->reg;
		return true;
	case OPK_E:
	case OPK_R:
		*cls = RC_GPR, *num = in->rm;
		return true;
	case OPK_Z:
		*cls = RC_GPR, *num = in->opcode & 7;
		return true;
	case OPK_REG:
		*cls = RC_GPR, *num = o->reg;
		return true;
	case OPK_S:
		*cls = RC_SREG, *num = in->reg;
		return true;
	case OPK_SREG:
		*cls = RC_SREG, *num = o->reg;
		return true;
	case OPK_C:
		*cls = RC_CR, *num = in->reg;
		return true;
	case OPK_D:
		*cls = RC_DR, *num = in->reg;
		return true;
	default:
		return false;
	}
}

static const char *cmp_mem(const struct diff_ctx *ctx,
			   const struct x86_insn *in, const cs_x86_op *c,
			   unsigned kind)
{
	unsigned base = in->base, index = in->index, scale = in->scale;
	int64_t disp = in->disp;

	if (kind == OPK_X)
		base = X86_ESI, index = X86_NOREG, disp = 0;
	else if (kind == OPK_Y)
		base = X86_EDI, index = X86_NOREG, disp = 0;
	const struct cs_regmap *cb = &ctx->reg[c->mem.base];
	const struct cs_regmap *ci = &ctx->reg[c->mem.index];
	if (c->mem.base == X86_REG_INVALID
		    ? base != X86_NOREG
		    : cb->cls != RC_GPR || cb->num != base)
		return "mem base";
	if (c->mem.index == X86_REG_INVALID
		    ? index != X86_NOREG
		    : ci->cls != RC_GPR || ci->num != index)
		return "mem index";
	if (index != X86_NOREG && (unsigned)c->mem.scale != scale)
		return "mem scale";
	/* displacements wrap at the address size (capstone sign- or
	 * zero-extends moffs depending on the mode) */
	if (mask_to((uint64_t)c->mem.disp, in->addrsize) !=
	    mask_to((uint64_t)disp, in->addrsize))
		return "mem disp";
	if (c->mem.segment != X86_REG_INVALID) {
		unsigned s = kind == OPK_Y ? X86_ES : in->seg;
		const struct cs_regmap *cs = &ctx->reg[c->mem.segment];
		if (cs->cls != RC_SREG || cs->num != s)
			return "mem segment";
	}
	return NULL;
}

/* One operand of ours against capstone's operand c. */
static const char *cmp_operand(const struct diff_ctx *ctx,
			       const struct x86_insn *in, unsigned i,
			       const cs_x86_op *c, uint64_t addr, bool code32)
{
	const struct x86_opinfo *info = in->info;
	const struct x86_operand *o = &info->operand[i];
	unsigned bytes = x86_operand_bytes(in, i), cls, num;
	bool mem = o->kind == OPK_M || o->kind == OPK_O || o->kind == OPK_X ||
		   o->kind == OPK_Y || (o->kind == OPK_E && in->mod != 3);

	if (mem) {
		if (c->type != X86_OP_MEM)
			return "operand type (mem)";
		const char *why = cmp_mem(ctx, in, c, o->kind);
		if (why)
			return why;
		/* Tolerated: lea has no access size; capstone gives a far
		 * pointer (m16:16/32) the size of its offset and lar/lsl's
		 * m16 the operand size. */
		if (info->op == X86_OP_LEA || o->size == SZ_P)
			return NULL;
		if ((info->op == X86_OP_LAR || info->op == X86_OP_LSL) &&
		    c->size == in->opsize)
			return NULL;
		return c->size == bytes ? NULL : "mem size";
	}
	if (our_reg(in, o, &cls, &num)) {
		if (c->type != X86_OP_REG)
			return "operand type (reg)";
		const struct cs_regmap *r = &ctx->reg[c->reg];
		if (r->cls != cls || r->num != num)
			return "register";
		/* Tolerated: an r/m16 source in register form shown as the
		 * operand-size register (mov sreg, r32; lar/lsl r32, r32) */
		if (cls == RC_GPR && r->size != bytes &&
		    !(o->kind == OPK_E && o->size == SZ_W &&
		      r->size == in->opsize))
			return "register size";
		return NULL;
	}
	if (c->type != X86_OP_IMM)
		return "operand type (imm)";
	uint64_t want, got = (uint64_t)c->imm;
	unsigned w = bytes ? bytes : 4;
	switch (o->kind) {
	case OPK_ONE:
		want = 1;
		break;
	case OPK_J:
		w = in->opsize;
		want = mask_to(addr + in->len + (int64_t)(int32_t)in->imm, w);
		/* Tolerated: capstone truncates targets to 16 bits in
		 * 16-bit code and with a 67 prefix, whatever the
		 * operand size. */
		if ((!code32 || in->addrsize == 2) &&
		    mask_to(got, 2) == mask_to(want, 2))
			return NULL;
		break;
	case OPK_I:
		want = (i > 0 && info->operand[i - 1].kind == OPK_I) ? in->imm2
								     : in->imm;
		break;
	default: /* OPK_IS */
		want = in->imm;
		break;
	}
	return mask_to(got, w) == mask_to(want, w) ? NULL : "immediate";
}

/*
 * Compare the operands of an integer instruction both decoders accept.
 * Returns NULL on agreement, or what differs. Capstone's model differs
 * from ours in known, harmless ways that are mapped here: a far pointer
 * is two immediates (selector first), branch targets are absolute, its
 * immediate sizes are not those of the encoding, xchg may list its
 * operands the other way round, and aam/aad omit the default base 10.
 * Hint NOPs are not compared (capstone invents a second operand).
 */
static const char *cmp_operands(const struct diff_ctx *ctx,
				const struct x86_insn *in, const cs_insn *ci,
				uint64_t addr, bool code32)
{
	const cs_x86 *x = &ci->detail->x86;
	const struct x86_opinfo *info = in->info;
	unsigned nc = 0;

	if (info->op == X86_OP_NOP_RM)
		return NULL;
	/* capstone drops a 66 prefix that is followed by F2/F3 (it then
	 * disagrees on lengths too, see exclusion 8): no operand sizes */
	if ((in->prefixes & X86_P_OPSIZE) &&
	    (in->prefixes & (X86_P_REP | X86_P_REPNE)))
		return NULL;
	if ((info->op == X86_OP_AAM || info->op == X86_OP_AAD) &&
	    x->op_count == 0 && in->imm == 10)
		return NULL;
	if (info->op == X86_OP_XCHG && x->op_count == 2 &&
	    info->nr_operands == 2 &&
	    !cmp_operand(ctx, in, 0, &x->operands[1], addr, code32) &&
	    !cmp_operand(ctx, in, 1, &x->operands[0], addr, code32))
		return NULL;
	for (unsigned i = 0; i < info->nr_operands; i++) {
		const struct x86_operand *o = &info->operand[i];
		if (nc >= x->op_count)
			return "operand count";
		const cs_x86_op *c = &x->operands[nc++];
		if (o->kind == OPK_A) {
			if (c->type != X86_OP_IMM || c->imm != in->imm2 ||
			    nc >= x->op_count)
				return "far pointer";
			c = &x->operands[nc++];
			if (c->type != X86_OP_IMM ||
			    (uint64_t)c->imm != in->imm)
				return "far pointer";
			continue;
		}
		const char *why = cmp_operand(ctx, in, i, c, addr, code32);
		if (why)
			return why;
	}
	if (nc != x->op_count)
		return "operand count";
	return NULL;
}

/* ---- one comparison ---------------------------------------------- */

bool diff_one(struct diff_ctx *ctx, struct diff_stats *st, const uint8_t *bytes,
	      size_t n)
{
	const uint64_t addr = 0x1000;
	struct x86_insn in;
	cs_insn *ci = NULL;
	char key[96], ok[48];

	int ours = x86_decode(&in, bytes, n, st->code32);
	size_t cnt = cs_disasm(st->code32 ? ctx->h32 : ctx->h16, bytes, n, addr,
			       1, &ci);
	int cs = cnt ? (int)ci->size : -1;
	st->total++;

	bool agree = (ours <= 0 && cs <= 0) || ours == cs;
	if (!agree) {
		struct parsed p;
		parse(bytes, n, &p);
		opkey(&p, ok, sizeof(ok));
		int bug =
			known_bug(ctx, st->code32, bytes, n, &p, &in, ours, cs);
		const char *what = ours <= 0 ? "we reject"
				   : cs <= 0 ? "cs rejects"
					     : "length";
		snprintf(key, sizeof(key), "%s: %s", what, ok);
		if (bug >= 0) {
			st->excluded++;
			char k2[96];
			snprintf(k2, sizeof(k2), "[%s] %s",
				 diff_exclusions[bug].name, ok);
			add_class(st->excl_classes, &st->nr_excl_classes, k2,
				  bytes, n);
		} else {
			add_class(st->len_classes, &st->nr_len_classes, key,
				  bytes, n);
		}
		if (cnt)
			cs_free(ci, cnt);
		return bug >= 0;
	}
	st->agree++;
	if (ours > 0) {
		st->both_valid++;
		if (integer_row(&in)) {
			const char *why =
				cmp_operands(ctx, &in, ci, addr, st->code32);
			st->opnd_checked++;
			if (!why) {
				st->opnd_agree++;
			} else {
				snprintf(key, sizeof(key), "%s: %s",
					 in.info->name, why);
				add_class(st->opnd_classes,
					  &st->nr_opnd_classes, key, bytes,
					  (size_t)ours);
			}
		}
	}
	if (cnt)
		cs_free(ci, cnt);
	return true;
}

/* ---- random byte strings ------------------------------------------- */

static uint64_t next_rand(uint64_t *s)
{
	/* xorshift64*: deterministic across platforms */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dull;
}

void diff_random(struct diff_ctx *ctx, struct diff_stats *st,
		 unsigned long count, uint64_t seed, bool biased)
{
	static const uint8_t pfx[] = {0x66, 0xf2, 0xf3, 0x67,
				      0xf0, 0x26, 0x64, 0x2e};
	uint64_t s = seed ? seed : 1;
	uint8_t b[16];

	for (unsigned long i = 0; i < count; i++) {
		for (unsigned j = 0; j < 16; j += 8) {
			uint64_t r = next_rand(&s);
			memcpy(b + j, &r, 8);
		}
		if (biased) {
			/* a few prefixes, then usually the 0F maps */
			uint64_t r = next_rand(&s);
			unsigned k = 0, np = r & 3;
			for (unsigned j = 0; j < np && (r >> 8 & 1); j++)
				b[k++] = pfx[(r >> (12 + 3 * j)) & 7];
			switch ((r >> 30) & 7) {
			case 0:
			case 1:
			case 2:
			case 3:
				b[k++] = 0x0f;
				break;
			case 4:
				b[k++] = 0x0f;
				b[k++] = (r >> 40) & 1 ? 0x3a : 0x38;
				break;
			default:
				break; /* one-byte map after prefixes */
			}
		}
		diff_one(ctx, st, b, sizeof(b));
	}
}

/* ---- results -------------------------------------------------------- */

double diff_rate(const struct diff_stats *st)
{
	return st->total ? 100.0 * (double)(st->agree + st->excluded) /
				   (double)st->total
			 : 100.0;
}

double diff_raw_rate(const struct diff_stats *st)
{
	return st->total ? 100.0 * (double)st->agree / (double)st->total
			 : 100.0;
}

double diff_opnd_rate(const struct diff_stats *st)
{
	return st->opnd_checked ? 100.0 * (double)st->opnd_agree /
					  (double)st->opnd_checked
				: 100.0;
}

static int by_count(const void *a, const void *b)
{
	const struct diff_class *x = a, *y = b;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static void print_classes(FILE *f, const char *title, struct diff_class *c,
			  unsigned nr, unsigned top)
{
	if (!nr)
		return;
	qsort(c, nr, sizeof(*c), by_count);
	fprintf(f, "  %s (%u classes):\n", title, nr);
	for (unsigned i = 0; i < nr && i < top; i++) {
		fprintf(f, "    %7lu  %-44s e.g.", c[i].count, c[i].key);
		for (unsigned j = 0; j < c[i].example_len && j < 10; j++)
			fprintf(f, " %02x", c[i].example[j]);
		fprintf(f, "\n");
	}
}

void diff_report(FILE *f, const struct diff_stats *st, unsigned top)
{
	fprintf(f,
		"decode vs capstone, %s: %lu cases, validity+length agree "
		"%.4f%% (raw %.4f%%, %lu excluded as known capstone bugs); "
		"operands agree %.4f%% of %lu integer instructions\n",
		st->name, st->total, diff_rate(st), diff_raw_rate(st),
		st->excluded, diff_opnd_rate(st), st->opnd_checked);
	print_classes(f, "disagreements", st->len_classes, st->nr_len_classes,
		      top);
	print_classes(f, "excluded (known capstone bugs)", st->excl_classes,
		      st->nr_excl_classes, top);
	print_classes(f, "operand disagreements", st->opnd_classes,
		      st->nr_opnd_classes, top);
}
