/*
 * decode.c - the x86 instruction decoder (16- and 32-bit code).
 *
 * One pass over the bytes, driven by the opcode table (optable*.c):
 * legacy prefixes, the opcode through the maps and escapes (0F, 0F 38,
 * 0F 3A, groups by ModRM, mandatory-prefix variants), then ModRM/SIB/
 * displacement and immediates as the row's operands say. VEX, EVEX and
 * XOP instructions are measured by their own small tables (optable_vex.c)
 * and returned with a generic row.
 *
 * This is the interpreter's hot path: no allocation, no string work, only
 * table lookups and one write of the result. Invariants: never reads past
 * bytes[avail - 1] nor past 15 bytes; a length is returned only for an
 * encoding the hardware would execute (or raise a run-time fault on),
 * everything the hardware rejects at decode (#UD) is X86_DEC_INVALID.
 *
 * Called by the interpreter (every instruction), the translator's scan
 * pass and the tests.
 */
#include <ctype.h>
#include <string.h>

#include "bt/decode.h"
#include "bt/optable_priv.h"

_Static_assert(MAND_66 == X86_MAND_66 && MAND_F3 == X86_MAND_F3 &&
		       MAND_F2 == X86_MAND_F2,
	       "x86_insn.mand takes the table's variant index");

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

/* Legacy prefixes: class in the low nibble, segment in the high one. */
enum { PC_NONE, PC_SEG, PC_OPSIZE, PC_ADDRSIZE, PC_LOCK, PC_REPNE, PC_REP };
static const uint8_t prefix_class[256] = {
	[0x26] = PC_SEG | X86_ES << 4,
	[0x2e] = PC_SEG | X86_CS << 4,
	[0x36] = PC_SEG | X86_SS << 4,
	[0x3e] = PC_SEG | X86_DS << 4,
	[0x64] = PC_SEG | X86_FS << 4,
	[0x65] = PC_SEG | X86_GS << 4,
	[0x66] = PC_OPSIZE,
	[0x67] = PC_ADDRSIZE,
	[0xf0] = PC_LOCK,
	[0xf2] = PC_REPNE,
	[0xf3] = PC_REP,
};

/* 16-bit addressing: r/m -> base, index ([bx+si] ... [bx]). */
static const uint8_t base16[8] = {X86_EBX, X86_EBX, X86_EBP, X86_EBP,
				  X86_ESI, X86_EDI, X86_EBP, X86_EBX};
static const uint8_t index16[8] = {X86_ESI,   X86_EDI,	 X86_ESI,   X86_EDI,
				   X86_NOREG, X86_NOREG, X86_NOREG, X86_NOREG};

/* Decoder state shared by the helpers below (kept in registers). */
struct dstate {
	const uint8_t *p;
	size_t avail;
	unsigned lim; /* min(avail, 15) */
	unsigned pos;
};

/*
 * The error for needing `need` bytes when only s->lim are usable: TRUNC
 * while the caller can still supply bytes up to the 15-byte limit (the
 * hardware would fetch them, and fault there, before noticing the length),
 * TOOLONG once 15 bytes were available and are not enough.
 */
static int short_of(const struct dstate *s, unsigned need)
{
	return s->avail < X86_MAX_INSN_LEN ? X86_DEC_TRUNC : X86_DEC_TOOLONG;
}

#define NEED(s, n)                                          \
	do {                                                \
		if (unlikely((s)->pos + (n) > (s)->lim))    \
			return short_of(s, (s)->pos + (n)); \
	} while (0)

static inline uint32_t rd16(const uint8_t *q)
{
	uint16_t v;
	memcpy(&v, q, 2);
	return v;
}

static inline uint32_t rd32(const uint8_t *q)
{
	uint32_t v;
	memcpy(&v, q, 4);
	return v;
}

static int invalid_at(struct x86_insn *insn, unsigned pos)
{
	insn->info = &x86_bad_row;
	insn->len = (uint8_t)pos;
	return X86_DEC_INVALID;
}
#define invalid(insn, s) invalid_at(insn, (s)->pos)

/*
 * The memory operand of a ModRM byte with mod != 3: SIB and displacement.
 * Sets base/index/scale/disp and the default segment (SS for (E)BP/(E)SP
 * based forms). Returns 0 or a negative X86_DEC_*.
 */
static inline __attribute__((always_inline)) int
decode_ea(struct dstate *s, struct x86_insn *insn, unsigned modrm,
	  unsigned addrsize, unsigned *defseg)
{
	unsigned mod = modrm >> 6, rm = modrm & 7;

	insn->has_mem = 1;
	insn->index = X86_NOREG;
	insn->scale = 1;
	if (addrsize == 2) {
		if (mod == 0 && rm == 6) {
			NEED(s, 2);
			insn->base = X86_NOREG;
			insn->disp = (int16_t)rd16(s->p + s->pos);
			insn->disp_len = 2;
			s->pos += 2;
			*defseg = X86_DS;
			return 0;
		}
		insn->base = base16[rm];
		insn->index = index16[rm];
		*defseg = insn->base == X86_EBP ? X86_SS : X86_DS;
		if (mod == 1) {
			NEED(s, 1);
			insn->disp = (int8_t)s->p[s->pos];
			insn->disp_len = 1;
			s->pos += 1;
		} else if (mod == 2) {
			NEED(s, 2);
			insn->disp = (int16_t)rd16(s->p + s->pos);
			insn->disp_len = 2;
			s->pos += 2;
		}
		return 0;
	}

	unsigned base = rm;
	if (rm == 4) {
		NEED(s, 1);
		unsigned sib = s->p[s->pos++];
		unsigned idx = (sib >> 3) & 7;
		base = sib & 7;
		if (idx != 4) {
			insn->index = (uint8_t)idx;
			insn->scale = (uint8_t)(1u << (sib >> 6));
		}
		if (base == 5 && mod == 0) {
			base = X86_NOREG;
			mod = 2; /* disp32 follows */
		}
	} else if (rm == 5 && mod == 0) {
		base = X86_NOREG;
		mod = 2;
	}
	insn->base = (uint8_t)base;
	*defseg = base == X86_ESP || base == X86_EBP ? X86_SS : X86_DS;
	if (mod == 1) {
		NEED(s, 1);
		insn->disp = (int8_t)s->p[s->pos];
		insn->disp_len = 1;
		s->pos += 1;
	} else if (mod == 2) {
		NEED(s, 4);
		insn->disp = (int32_t)rd32(s->p + s->pos);
		insn->disp_len = 4;
		s->pos += 4;
	}
	return 0;
}

/* One immediate of layout `kind`; `second` selects imm2. */
static inline __attribute__((always_inline)) int
decode_imm(struct dstate *s, struct x86_insn *insn, unsigned kind,
	   unsigned opsize, unsigned addrsize, bool second)
{
	uint32_t v;
	unsigned n;

	switch (kind) {
	case IMM_B:
		NEED(s, 1);
		v = s->p[s->pos];
		n = 1;
		break;
	case IMM_BS:
		NEED(s, 1);
		v = (uint32_t)(int32_t)(int8_t)s->p[s->pos];
		n = 1;
		break;
	case IMM_W:
		NEED(s, 2);
		v = rd16(s->p + s->pos);
		n = 2;
		break;
	case IMM_Z:
	case IMM_ZS:
		NEED(s, opsize);
		if (opsize == 4) {
			v = rd32(s->p + s->pos);
		} else {
			v = rd16(s->p + s->pos);
			if (kind == IMM_ZS)
				v = (uint32_t)(int32_t)(int16_t)v;
		}
		n = opsize;
		break;
	case IMM_D:
		NEED(s, 4);
		v = rd32(s->p + s->pos);
		n = 4;
		break;
	case IMM_A: /* offset, then selector */
		NEED(s, opsize + 2);
		insn->imm =
			opsize == 4 ? rd32(s->p + s->pos) : rd16(s->p + s->pos);
		insn->imm_len = (uint8_t)opsize;
		insn->imm2 = rd16(s->p + s->pos + opsize);
		insn->imm2_len = 2;
		s->pos += opsize + 2;
		return 0;
	case IMM_O: /* moffs: an absolute offset of address size */
		NEED(s, addrsize);
		insn->disp = (int32_t)(addrsize == 4 ? rd32(s->p + s->pos)
						     : rd16(s->p + s->pos));
		insn->disp_len = (uint8_t)addrsize;
		insn->has_mem = 1;
		insn->base = X86_NOREG;
		insn->index = X86_NOREG;
		insn->scale = 1;
		s->pos += addrsize;
		return 0;
	default:
		return 0;
	}
	if (second) {
		insn->imm2 = v;
		insn->imm2_len = (uint8_t)n;
	} else {
		insn->imm = v;
		insn->imm_len = (uint8_t)n;
	}
	s->pos += n;
	return 0;
}

/* ModRM.reg values that name an instruction in a VEX/EVEX/XOP group. */
static bool vex_group_ok(unsigned enc, unsigned map, unsigned op, unsigned reg)
{
	unsigned ok = 0; /* bit n: /n exists */

	if (enc == X86_ENC_XOP) {
		if (map == 9 && op == 0x01)
			ok = 0xfe;
		else if (map == 9 && op == 0x02)
			ok = 0x42;
		else if (op == 0x12)
			ok = 0x03;
	} else if (map == 1) {
		if (op == 0x71)
			ok = 0x54;
		else if (op == 0x72)
			ok = enc == X86_ENC_EVEX ? 0x57 : 0x54;
		else if (op == 0x73)
			ok = 0xcc;
		else if (op == 0xae)
			ok = 0x0c;
	} else if (map == 2) {
		if (op == 0xf3)
			ok = 0x0e;
		else if (op == 0xc6 || op == 0xc7)
			ok = 0x66;
	}
	return ok >> reg & 1;
}

/*
 * VEX (C4/C5), EVEX (62) and XOP (8F): s->pos is at the byte after the
 * prefix byte, which the caller has checked announces this encoding.
 */
static int decode_vex(struct dstate st, struct x86_insn *insn, unsigned enc,
		      unsigned c4, unsigned pfx, unsigned addrsize)
{
	struct dstate *s = &st; /* a copy: the caller's stays in registers */
	unsigned map, pp, attr, imm_kind;

	/* #UD: a 66, F2, F3 or LOCK prefix before VEX/EVEX/XOP. */
	if (pfx & (X86_P_OPSIZE | X86_P_REP | X86_P_REPNE | X86_P_LOCK))
		return invalid(insn, s);
	if (enc == X86_ENC_VEX && !c4) {
		NEED(s, 1);
		map = 1;
		pp = s->p[s->pos] & 3;
		s->pos += 1;
	} else if (enc == X86_ENC_EVEX) {
		NEED(s, 3);
		unsigned p0 = s->p[s->pos], p1 = s->p[s->pos + 1];
		s->pos += 3;
		map = p0 & 3;
		pp = p1 & 3;
		if ((p0 & 0x0c) || !(p1 & 0x04) || map == 0)
			return invalid(insn, s);
	} else {
		NEED(s, 2);
		map = s->p[s->pos] & 0x1f;
		pp = s->p[s->pos + 1] & 3;
		s->pos += 2;
		if (enc == X86_ENC_VEX ? map < 1 || map > 3 : map > 10)
			return invalid(insn, s);
	}
	NEED(s, 1);
	unsigned op = s->p[s->pos++];
	insn->map = (uint8_t)map;
	insn->opcode = (uint8_t)op;
	insn->enc = (uint8_t)enc;
	if (enc == X86_ENC_XOP) {
		attr = x86_xop_attr[map - 8][op];
		imm_kind = map == 8 ? IMM_B : map == 10 ? IMM_D : IMM_NONE;
		insn->info = (attr & VX_GPR) ? &x86_vex_gpr_row : &x86_xop_row;
	} else if (enc == X86_ENC_EVEX) {
		attr = x86_evex_attr[map][op];
		imm_kind = (attr & VX_IMM8) ? IMM_B : IMM_NONE;
		insn->info = &x86_evex_row;
	} else {
		attr = x86_vex_attr[map][op];
		imm_kind = (attr & VX_IMM8) ? IMM_B : IMM_NONE;
		insn->info = (attr & VX_GPR) ? &x86_vex_gpr_row : &x86_vex_row;
	}
	if (!(attr >> pp & 1))
		return invalid(insn, s);

	unsigned defseg = X86_DS;
	if (!(attr & VX_NOMODRM)) {
		NEED(s, 1);
		unsigned modrm = s->p[s->pos++];
		insn->modrm = (uint8_t)modrm;
		insn->mod = (uint8_t)(modrm >> 6);
		insn->reg = (uint8_t)((modrm >> 3) & 7);
		insn->rm = (uint8_t)(modrm & 7);
		if (insn->mod == 3 ? (attr & VX_MEM) : (attr & VX_REG))
			return invalid(insn, s);
		if ((attr & VX_GROUP) && !vex_group_ok(enc, map, op, insn->reg))
			return invalid(insn, s);
		if (insn->mod != 3) {
			int r = decode_ea(s, insn, modrm, addrsize, &defseg);
			if (r < 0)
				return r;
		}
	}
	if (imm_kind) {
		int r = decode_imm(s, insn, imm_kind, 4, addrsize, false);
		if (r < 0)
			return r;
	}
	if (insn->has_mem && (pfx & X86_P_SEG))
		defseg = insn->seg;
	insn->seg = (uint8_t)defseg;
	insn->len = (uint8_t)s->pos;
	return s->pos;
}

/* ModRM.reg must name an existing segment / control register. */
static bool reg_exists(unsigned op, unsigned reg)
{
	switch (op) {
	case X86_OP_MOV_TO_SREG:
		return reg <= X86_GS && reg != X86_CS; /* mov cs: #UD */
	case X86_OP_MOV_FROM_SREG:
		return reg <= X86_GS;
	case X86_OP_MOV_TO_CR:
	case X86_OP_MOV_FROM_CR:
		return reg == 0 || (reg >= 2 && reg <= 4); /* CR1, CR5-7: #UD */
	default:
		return true;
	}
}

int x86_decode(struct x86_insn *insn, const uint8_t *bytes, size_t avail,
	       bool code32)
{
	struct dstate st = {
		.p = bytes,
		.avail = avail,
		.lim = avail < X86_MAX_INSN_LEN ? (unsigned)avail
						: X86_MAX_INSN_LEN,
		.pos = 0,
	};
	struct dstate *s = &st;
	unsigned pfx = 0, ovseg = X86_DS, b;

	/* Legacy prefixes, any order, repeated; the last segment and the
	 * last of F2/F3 win. */
	for (;;) {
		NEED(s, 1);
		b = bytes[s->pos];
		unsigned c = prefix_class[b];
		if (likely(c == PC_NONE))
			break;
		s->pos++;
		switch (c & 0xf) {
		case PC_SEG:
			ovseg = c >> 4;
			pfx |= X86_P_SEG;
			break;
		case PC_OPSIZE:
			pfx |= X86_P_OPSIZE;
			break;
		case PC_ADDRSIZE:
			pfx |= X86_P_ADDRSIZE;
			break;
		case PC_LOCK:
			pfx |= X86_P_LOCK;
			break;
		case PC_REPNE:
			pfx = (pfx & ~X86_P_REP) | X86_P_REPNE;
			break;
		default:
			pfx = (pfx & ~X86_P_REPNE) | X86_P_REP;
			break;
		}
	}

	unsigned opsize = code32 ? 4 : 2, addrsize = opsize;
	if (pfx & X86_P_OPSIZE)
		opsize ^= 6;
	if (pfx & X86_P_ADDRSIZE)
		addrsize ^= 6;

	insn->prefix_len = (uint8_t)s->pos;
	insn->prefixes = (uint8_t)pfx;
	insn->opsize = (uint8_t)opsize;
	insn->addrsize = (uint8_t)addrsize;
	insn->enc = X86_ENC_LEGACY;
	insn->mand = X86_MAND_NONE;
	insn->map = 0;
	insn->modrm = insn->mod = insn->reg = insn->rm = 0;
	insn->base = insn->index = X86_NOREG;
	insn->scale = 1;
	insn->has_mem = 0;
	insn->disp = 0;
	insn->imm = insn->imm2 = 0;
	insn->disp_len = insn->imm_len = insn->imm2_len = 0;
	insn->seg = (uint8_t)ovseg; /* the override, for decode_vex */

	/* Walk the maps, groups and variants down to one row. */
	const struct x86_table *tbl = &x86_maps[0];
	const struct x86_opinfo *row = &tbl->rows[b];
	unsigned idx = b, map = 0, modrm = 0, ext = row->ext;
	bool have_modrm = false, is3dnow = false;
	s->pos++;
	while (unlikely(ext)) {
		switch (ext) {
		case EXT_VAR: {
			unsigned m = (pfx & X86_P_REPNE)    ? MAND_F2
				     : (pfx & X86_P_REP)    ? MAND_F3
				     : (pfx & X86_P_OPSIZE) ? MAND_66
							    : MAND_NONE;
			const struct x86_opinfo *v = m ? tbl->var[m - 1] : NULL;
			ext = EXT_NONE;
			if (v && v[idx].name) {
				row = &v[idx];
				ext = row->ext;
				insn->mand = (uint8_t)m;
			}
			break;
		}
		case EXT_0F:
		case EXT_0F38:
		case EXT_0F3A:
			NEED(s, 1);
			b = bytes[s->pos++];
			map = ext - EXT_0F + 1;
			tbl = &x86_maps[map];
			idx = b;
			row = &tbl->rows[b];
			ext = row->ext;
			break;
		case EXT_VEX3:
		case EXT_VEX2:
		case EXT_EVEX:
			/* mod == 3 would be #UD for LES/LDS/BOUND, so the
			 * encoding is reused for VEX/EVEX. */
			NEED(s, 1);
			if ((bytes[s->pos] & 0xc0) == 0xc0)
				return decode_vex(*s, insn,
						  ext == EXT_EVEX ? X86_ENC_EVEX
								  : X86_ENC_VEX,
						  ext == EXT_VEX3, pfx,
						  addrsize);
			ext = EXT_NONE;
			break;
		case EXT_XOP:
			NEED(s, 1);
			if ((bytes[s->pos] & 0x1f) >= 8)
				return decode_vex(*s, insn, X86_ENC_XOP, 1, pfx,
						  addrsize);
			ext = EXT_GROUP + G_8F;
			break;
		case EXT_3DNOW:
			is3dnow = true;
			ext = EXT_NONE;
			break;
		default: {
			const struct x86_group *g =
				&x86_groups[ext - EXT_GROUP];
			if (!have_modrm) {
				NEED(s, 1);
				modrm = bytes[s->pos++];
				have_modrm = true;
			}
			if (modrm < 0xc0) {
				tbl = &g->mem;
				idx = (modrm >> 3) & 7;
			} else if (g->rm.rows) {
				tbl = &g->rm;
				idx = modrm & 0x3f;
			} else {
				tbl = g->reg.rows ? &g->reg : &g->mem;
				idx = (modrm >> 3) & 7;
			}
			row = &tbl->rows[idx];
			ext = row->ext;
			break;
		}
		}
	}
	insn->map = (uint8_t)map;
	insn->opcode = (uint8_t)b;
	if (unlikely(row->op == X86_OP_INVALID))
		return invalid(insn, s);

	unsigned flags = row->flags, addr = row->addr, defseg = X86_DS;
	if (flags & X86_F_MODRM) {
		if (!have_modrm) {
			NEED(s, 1);
			modrm = bytes[s->pos++];
		}
		unsigned mod = modrm >> 6;
		insn->modrm = (uint8_t)modrm;
		insn->mod = (uint8_t)mod;
		insn->reg = (uint8_t)((modrm >> 3) & 7);
		insn->rm = (uint8_t)(modrm & 7);
		if (mod != 3) {
			if (unlikely(addr & ADDR_REGONLY))
				return invalid(insn, s);
			if (likely(!(addr & ADDR_NOMEM))) {
				int r = decode_ea(s, insn, modrm, addrsize,
						  &defseg);
				if (unlikely(r < 0))
					return r;
			}
		} else if (unlikely(addr & ADDR_MEMONLY)) {
			return invalid(insn, s);
		}
		if (unlikely(addr & ADDR_REGCHK) &&
		    !reg_exists(row->op, insn->reg))
			return invalid(insn, s);
	}
	if (unlikely(addr & (ADDR_X | ADDR_Y | ADDR_XLAT))) {
		insn->has_mem = 1;
		insn->base = (addr & ADDR_X)   ? X86_ESI
			     : (addr & ADDR_Y) ? X86_EDI
					       : X86_EBX;
		/* A string destination is always ES:(E)DI. */
		if (!(addr & (ADDR_X | ADDR_XLAT))) {
			defseg = X86_ES;
			pfx &= ~X86_P_SEG;
		}
	}
	if (row->imm) {
		int r = decode_imm(s, insn, row->imm & 0xf, opsize, addrsize,
				   false);
		if (likely(r == 0) && (row->imm >> 4))
			r = decode_imm(s, insn, row->imm >> 4, opsize, addrsize,
				       true);
		if (unlikely(r < 0))
			return r;
	}
	/* LOCK: only lockable instructions with a memory destination. */
	if (unlikely(pfx & X86_P_LOCK) &&
	    (!(flags & X86_F_LOCK) || insn->mod == 3))
		return invalid(insn, s);
	if (unlikely(is3dnow) &&
	    !(x86_3dnow_valid[insn->imm >> 5] >> (insn->imm & 31) & 1))
		return invalid(insn, s);

	insn->info = row;
	insn->len = (uint8_t)s->pos;
	insn->seg = (uint8_t)(!insn->has_mem	  ? X86_DS
			      : (pfx & X86_P_SEG) ? ovseg
						  : defseg);
	return s->pos;
}

unsigned x86_operand_bytes(const struct x86_insn *insn, unsigned i)
{
	const struct x86_opinfo *info = insn->info;

	if (i >= info->nr_operands)
		return 0;
	const struct x86_operand *o = &info->operand[i];
	switch (o->size) {
	case SZ_B:
		return 1;
	case SZ_W:
		/* mov r32, sreg / smsw / sldt / str write a whole register
		 * at the operand size; their memory form is 16 bits. */
		if (o->kind == OPK_E && insn->mod == 3 &&
		    (info->op == X86_OP_MOV_FROM_SREG ||
		     info->op == X86_OP_SMSW || info->op == X86_OP_SLDT ||
		     info->op == X86_OP_STR))
			return insn->opsize;
		return 2;
	case SZ_D:
		return 4;
	case SZ_Q:
		return 8;
	case SZ_V:
	case SZ_Z:
		return insn->opsize;
	case SZ_P:
		return insn->opsize + 2u;
	case SZ_A:
		return insn->opsize * 2u;
	case SZ_S:
		return 6;
	case SZ_DQ:
		return 16;
	default:
		return 0;
	}
}

/* Operation names: the X86_OPS list, lowercased once at start-up. */
#define OP_NAME_MAX 16
#define OP_STR(name) #name,
static const char *const op_upper[X86_OP_COUNT] = {X86_OPS(OP_STR)};
#define OP_LEN_OK(name)                              \
	_Static_assert(sizeof(#name) <= OP_NAME_MAX, \
		       "op name too long: " #name);
X86_OPS(OP_LEN_OK)
static char op_lower[X86_OP_COUNT][OP_NAME_MAX];

__attribute__((constructor)) static void op_names_init(void)
{
	for (unsigned i = 0; i < X86_OP_COUNT; i++)
		for (unsigned j = 0; op_upper[i][j]; j++)
			op_lower[i][j] = (char)tolower(op_upper[i][j]);
}

const char *x86_op_name(unsigned op)
{
	return op < X86_OP_COUNT ? op_lower[op] : "?";
}
