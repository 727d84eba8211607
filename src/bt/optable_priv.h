/*
 * optable_priv.h - how the opcode table is written and how the decoder
 * walks it. Shared by optable*.c and decode.c only.
 *
 * Shape of the table (see the SDM, Vol. 2, Appendix A):
 *   x86_maps[0..3]   one-byte, 0F, 0F 38, 0F 3A maps, 256 rows each;
 *   x86_groups[]     rows selected by ModRM.reg (8 rows, separately for
 *                    mod != 3 and mod == 3) or by ModRM.reg:rm (64 rows,
 *                    mod == 3 only: 0F 01, x87 register forms, C6/C7);
 *   variants         a row whose ext is EXT_VAR has mandatory-prefix
 *                    variants (66, F3, F2) at the same index of the
 *                    parallel tables in its x86_table; a variant that is
 *                    not written (name == NULL) means the prefix is
 *                    ignored, as the hardware does.
 * A row whose ext is >= EXT_GROUP is an escape and is never returned in
 * insn->info. Every other row describes one instruction completely.
 *
 * Rows are written with ROW(op, name, operand1, operand2, operand3, sens,
 * flags, flags read, flags written); operands are the SDM's
 * addressing-method/size codes (Eb, Gv, Ib, Jz, ...), defined below as
 * (kind, size, register) triples so that the macros can derive the ModRM
 * flag, the immediate layout and the memory addressing at compile time.
 */
#ifndef BT386_BT_OPTABLE_PRIV_H
#define BT386_BT_OPTABLE_PRIV_H

#include "bt/decode.h"
#include "x86.h"

/* ---- x86_opinfo.ext ----------------------------------------------- */

enum {
	EXT_NONE,
	EXT_VAR,  /* a real row with mandatory-prefix variants */
	EXT_0F,	  /* two-byte escape */
	EXT_0F38, /* three-byte escapes */
	EXT_0F3A,
	EXT_VEX3, /* C4: LES, or a 3-byte VEX prefix if the next byte has mod 3 */
	EXT_VEX2,  /* C5: LDS, or a 2-byte VEX prefix */
	EXT_EVEX,  /* 62: BOUND, or an EVEX prefix */
	EXT_XOP,   /* 8F: group 1A (POP Ev), or an XOP prefix */
	EXT_3DNOW, /* 0F 0F: the real opcode is the imm8 suffix */
	EXT_GROUP, /* EXT_GROUP + g: group g of x86_groups[] */
};

/* Groups, in x86_groups[] order. */
/* clang-format off */
enum x86_group_id {
	G_80, G_81, G_82, G_83, G_8F, G_C0, G_C1, G_C6, G_C7,
	G_D0, G_D1, G_D2, G_D3, G_F6, G_F7, G_FE, G_FF,
	G_D8, G_D9, G_DA, G_DB, G_DC, G_DD, G_DE, G_DF,
	G_0F00, G_0F01, G_0F0D, G_0F18, G_0F71, G_0F72, G_0F73, G_0FAE,
	G_0FBA, G_0FC7, G_66_0F78, G_F2_0F78, G_66_0F79, G_F2_0F79,
	G_0FA6, G_0FA7,
	G_COUNT
};
/* clang-format on */
_Static_assert(EXT_GROUP + G_COUNT <= 255, "x86_opinfo.ext is a byte");

/* ---- x86_opinfo.imm: first immediate in bits 0-3, second in 4-7 ---- */

enum {
	IMM_NONE,
	IMM_B,	/* imm8, zero-extended */
	IMM_BS, /* imm8 / rel8, sign-extended */
	IMM_W,	/* imm16 */
	IMM_Z,	/* imm16/32 per operand size */
	IMM_ZS, /* rel16/32 per operand size, sign-extended */
	IMM_A,	/* ptr16:16/32: offset per operand size, then selector */
	IMM_O,	/* moffs16/32 per address size (goes to disp) */
	IMM_D,	/* imm32 whatever the operand size (XOP map 0A) */
};

/* ---- x86_opinfo.addr ---------------------------------------------- */

#define ADDR_RM 0x01	  /* ModRM r/m is memory when mod != 3 */
#define ADDR_MEMONLY 0x02 /* ... and mod == 3 is #UD */
#define ADDR_REGONLY 0x04 /* r/m must be a register: mod != 3 is #UD */
#define ADDR_NOMEM 0x08	  /* r/m is a register whatever mod says */
#define ADDR_X 0x10	  /* string source seg:[(E)SI] */
#define ADDR_Y 0x20	  /* string destination ES:[(E)DI] */
#define ADDR_XLAT 0x40	  /* seg:[(E)BX + AL] */
#define ADDR_REGCHK 0x80  /* ModRM.reg names a sreg/CR: check it exists */

/* ---- tables -------------------------------------------------------- */

/* Rows of one index space, and their mandatory-prefix variants. */
struct x86_table {
	const struct x86_opinfo *rows;	 /* no (or an ignored) prefix */
	const struct x86_opinfo *var[3]; /* 66, F3, F2; NULL: none */
};

struct x86_group {
	struct x86_table mem; /* [8] by ModRM.reg when mod != 3 */
	struct x86_table reg; /* [8] by ModRM.reg when mod == 3 (or NULL) */
	struct x86_table rm;  /* [64] by ModRM & 0x3f when mod == 3 (or NULL) */
};

/* Mandatory prefix index: 0 none, then var[mand - 1]. */
enum { MAND_NONE, MAND_66, MAND_F3, MAND_F2 };

extern const struct x86_table x86_maps[4];
extern const struct x86_group x86_groups[G_COUNT];
extern const struct x86_opinfo x86_bad_row;

/* Pieces defined in optable_0f.c and optable_sse.c, assembled into
 * x86_maps[] and x86_groups[] by optable.c. */
typedef struct x86_opinfo x86_rows256[256];
typedef struct x86_opinfo x86_rows64[64];
typedef struct x86_opinfo x86_rows8[8];
extern const x86_rows256 x86_map_0f, x86_map_0f_66, x86_map_0f_f3,
	x86_map_0f_f2;
extern const x86_rows256 x86_map_0f38, x86_map_0f38_66, x86_map_0f38_f3,
	x86_map_0f38_f2;
extern const x86_rows256 x86_map_0f3a, x86_map_0f3a_66;
extern const x86_rows8 x86_grp6_0f00, x86_grp7_0f01, x86_grpp_0f0d, x86_grp_ud,
	x86_grp16_0f18, x86_grp16_0f18_reg, x86_grp12_0f71, x86_grp12_0f71_66,
	x86_grp13_0f72, x86_grp13_0f72_66, x86_grp14_0f73, x86_grp14_0f73_66,
	x86_grp15_0fae, x86_grp15_0fae_66, x86_grp15_0fae_reg, x86_grp8_0fba,
	x86_grp9_0fc7, x86_grp9_0fc7_66, x86_grp9_0fc7_f3, x86_grp9_0fc7_reg,
	x86_grp9_0fc7_reg_f3, x86_grp_0f78_mem, x86_grp_0f79_mem,
	x86_grp_66_0f78_reg, x86_grp_f2_0f78_reg, x86_grp_66_0f79_reg,
	x86_grp_f2_0f79_reg;
extern const x86_rows64 x86_grp7_0f01_rm, x86_grp_0fa6_rm, x86_grp_0fa7_rm;

/* Generic rows for VEX/EVEX/XOP instructions (decode.c picks one). */
extern const struct x86_opinfo x86_vex_row, x86_vex_gpr_row;
extern const struct x86_opinfo x86_evex_row, x86_xop_row;

/*
 * VEX/EVEX/XOP opcode attributes (optable_vex.c), indexed by map and
 * opcode: which pp values (bit n: pp == n) are defined, and how the
 * instruction is laid out.
 */
#define VX_PP(mask) (mask) /* bits 0-3: valid pp values */
#define VX_IMM8 0x10	   /* an imm8 follows */
#define VX_NOMODRM 0x20	   /* no ModRM (vzeroupper/vzeroall) */
#define VX_MEM 0x40	   /* mod == 3 is #UD */
#define VX_REG 0x80	   /* mod != 3 is #UD */
#define VX_GPR 0x100	   /* general-register instruction (BMI) */
#define VX_GROUP 0x200	   /* validity depends on ModRM.reg: see vex_grp */
extern const uint16_t x86_vex_attr[4][256]; /* maps 1..3 (0 unused) */
extern const uint16_t x86_evex_attr[4][256];
extern const uint16_t x86_xop_attr[3][256]; /* maps 8, 9, 0A */
/* 3DNow! suffix bytes that name an instruction (bit per imm8). */
extern const uint32_t x86_3dnow_valid[8];

/* ---- row macros ------------------------------------------------------- */

/* Operands: (kind, size, fixed register). */
#define NA (OPK_NONE, SZ_NONE, 0) /* no operand */
#define Eb (OPK_E, SZ_B, 0)
#define Ew (OPK_E, SZ_W, 0)
#define Ed (OPK_E, SZ_D, 0)
#define Ev (OPK_E, SZ_V, 0)
#define Gb (OPK_G, SZ_B, 0)
#define Gw (OPK_G, SZ_W, 0)
#define Gd (OPK_G, SZ_D, 0)
#define Gv (OPK_G, SZ_V, 0)
#define M_ (OPK_M, SZ_NONE, 0) /* lea: address only */
#define Mb (OPK_M, SZ_B, 0)
#define Mw (OPK_M, SZ_W, 0)
#define Md (OPK_M, SZ_D, 0)
#define Mq (OPK_M, SZ_Q, 0)
#define Mv (OPK_M, SZ_V, 0)
#define Mp (OPK_M, SZ_P, 0)
#define Ma (OPK_M, SZ_A, 0)
#define Ms (OPK_M, SZ_S, 0)
#define Mx (OPK_M, SZ_X, 0)
#define Mdq (OPK_M, SZ_DQ, 0)
#define Rd (OPK_R, SZ_D, 0)
#define Sw (OPK_S, SZ_W, 0)
#define Cd (OPK_C, SZ_D, 0)
#define Dd (OPK_D, SZ_D, 0)
#define Ib (OPK_I, SZ_B, 0)
#define Iw (OPK_I, SZ_W, 0)
#define Iz (OPK_I, SZ_Z, 0)
#define IbS (OPK_IS, SZ_V, 0) /* imm8 sign-extended to the operand size */
#define Jb (OPK_J, SZ_B, 0)
#define Jz (OPK_J, SZ_Z, 0)
#define Ap (OPK_A, SZ_P, 0)
#define Ob (OPK_O, SZ_B, 0)
#define Ov (OPK_O, SZ_V, 0)
#define Xb (OPK_X, SZ_B, 0)
#define Xv (OPK_X, SZ_V, 0)
#define Yb (OPK_Y, SZ_B, 0)
#define Yv (OPK_Y, SZ_V, 0)
#define Zb (OPK_Z, SZ_B, 0)
#define Zv (OPK_Z, SZ_V, 0)
#define AL (OPK_REG, SZ_B, X86_EAX)
#define CL (OPK_REG, SZ_B, X86_ECX)
#define AX (OPK_REG, SZ_W, X86_EAX)
#define DX (OPK_REG, SZ_W, X86_EDX)
#define eAX (OPK_REG, SZ_V, X86_EAX)
#define ONE (OPK_ONE, SZ_B, 0)
#define sES (OPK_SREG, SZ_W, X86_ES)
#define sCS (OPK_SREG, SZ_W, X86_CS)
#define sSS (OPK_SREG, SZ_W, X86_SS)
#define sDS (OPK_SREG, SZ_W, X86_DS)
#define sFS (OPK_SREG, SZ_W, X86_FS)
#define sGS (OPK_SREG, SZ_W, X86_GS)
#define Pq (OPK_MM, SZ_Q, 0)
#define Qd (OPK_Q, SZ_D, 0)
#define Qq (OPK_Q, SZ_Q, 0)
#define Nq (OPK_N, SZ_Q, 0)
#define Vx (OPK_XMM, SZ_DQ, 0)
#define Wd (OPK_W, SZ_D, 0)
#define Wq (OPK_W, SZ_Q, 0)
#define Wx (OPK_W, SZ_DQ, 0)
#define Ux (OPK_U, SZ_DQ, 0)
#define STi (OPK_ST, SZ_X, 0)

#define OPK_OF_(k, s, r) k
#define OPS_OF_(k, s, r) s
#define OPND_(k, s, r)        \
	{                     \
		(k), (s), (r) \
	}
#define KIND(t) OPK_OF_ t
#define SIZE(t) OPS_OF_ t
#define OPND(t) OPND_ t

/* Does the operand live in the ModRM byte? */
#define IS_MODRM_(k)                                                        \
	((k) == OPK_E || (k) == OPK_M || (k) == OPK_R || (k) == OPK_G ||    \
	 (k) == OPK_S || (k) == OPK_C || (k) == OPK_D || (k) == OPK_MM ||   \
	 (k) == OPK_XMM || (k) == OPK_ST || (k) == OPK_Q || (k) == OPK_W || \
	 (k) == OPK_N || (k) == OPK_U)
#define MODRM_OF(t) (IS_MODRM_(KIND(t)) ? X86_F_MODRM : 0)

/* Immediate layout of one operand. */
#define IMMK_(k, s)                                        \
	((k) == OPK_I	 ? ((s) == SZ_B	  ? IMM_B          \
			    : (s) == SZ_W ? IMM_W          \
					  : IMM_Z)         \
	 : (k) == OPK_IS ? IMM_BS                          \
	 : (k) == OPK_J	 ? ((s) == SZ_B ? IMM_BS : IMM_ZS) \
	 : (k) == OPK_A	 ? IMM_A                           \
	 : (k) == OPK_O	 ? IMM_O                           \
			 : IMM_NONE)
#define IMMK(t) IMMK_(KIND(t), SIZE(t))
#define IMMS(a, b, c)                                               \
	(IMMK(a)   ? (IMMK(a) | (IMMK(b) ? IMMK(b) : IMMK(c)) << 4) \
	 : IMMK(b) ? (IMMK(b) | IMMK(c) << 4)                       \
		   : IMMK(c))

/* Memory addressing of one operand. */
#define ADDRK_(k)                                                                \
	((k) == OPK_E || (k) == OPK_Q || (k) == OPK_W ? ADDR_RM                  \
	 : (k) == OPK_M				      ? (ADDR_RM | ADDR_MEMONLY) \
	 : (k) == OPK_N || (k) == OPK_U		      ? ADDR_REGONLY             \
	 : (k) == OPK_R				      ? ADDR_NOMEM               \
	 : (k) == OPK_X				      ? ADDR_X                   \
	 : (k) == OPK_Y				      ? ADDR_Y                   \
	 : (k) == OPK_S || (k) == OPK_C		      ? ADDR_REGCHK              \
						      : 0)
#define ADDRS(a, b, c) (ADDRK_(KIND(a)) | ADDRK_(KIND(b)) | ADDRK_(KIND(c)))

/* Is the operand's size chosen by the operand-size attribute? */
#define OSZ_(s) ((s) == SZ_V || (s) == SZ_Z || (s) == SZ_P || (s) == SZ_A)
#define NOPS(a, b, c) \
	((KIND(a) != OPK_NONE) + (KIND(b) != OPK_NONE) + (KIND(c) != OPK_NONE))

/*
 * Row flags, short names for the table. OSZ is table-only: the operand
 * size matters although no operand says so (push sreg, pushf, ret, jmp
 * rel8 truncating EIP...), so the row must not get X86_F_BYTE_DEF.
 */
#define MR X86_F_MODRM
#define LK X86_F_LOCK
#define RP X86_F_REP
#define STP X86_F_STOP
#define CC X86_F_COND
#define SK X86_F_STACKSZ
#define P0 X86_F_CPL0
#define IOP X86_F_IOPL
#define NS X86_F_NOSUP
#define N64 X86_F_NO64
#define OSZ 0x10000

#define BYTEDEF_(fl, a, b, c)                                          \
	(((fl)&OSZ) || OSZ_(SIZE(a)) || OSZ_(SIZE(b)) || OSZ_(SIZE(c)) \
		 ? 0                                                   \
		 : X86_F_BYTE_DEF)
#define ROWFLAGS(fl, a, b, c)                                         \
	((uint16_t)(((fl) | MODRM_OF(a) | MODRM_OF(b) | MODRM_OF(c) | \
		     BYTEDEF_(fl, a, b, c)) &                         \
		    0xffff))

/* Flag masks (X86_FL_*). */
#define fC X86_FL_CF
#define fP X86_FL_PF
#define fA X86_FL_AF
#define fZ X86_FL_ZF
#define fS X86_FL_SF
#define fT X86_FL_TF
#define fI X86_FL_IF
#define fD X86_FL_DF
#define fO X86_FL_OF
#define fIOPL X86_FL_IOPL
#define fNT X86_FL_NT
#define ARITH X86_FL_ARITH
#define FL16 (ARITH | fT | fI | fD | fIOPL | fNT)

/* Flags a condition code (the low nibble of Jcc/SETcc/CMOVcc) reads. */
#define CCRD(cc)                 \
	((cc) < 2    ? fO        \
	 : (cc) < 4  ? fC        \
	 : (cc) < 6  ? fZ        \
	 : (cc) < 8  ? (fC | fZ) \
	 : (cc) < 10 ? fS        \
	 : (cc) < 12 ? fP        \
	 : (cc) < 14 ? (fS | fO) \
		     : (fZ | fS | fO))

/* ROW_ takes the op and sens values already pasted (X86_OP_x, SENS_x):
 * the short names of the table (IO, UD...) must not be expanded. */
#define ROW_(x, ix, o, nm, a, b, c, sn, fl, rd, wr)                       \
	{                                                                 \
		.op = (o), .flags = ROWFLAGS(fl, a, b, c), .sens = (sn),  \
		.nr_operands = NOPS(a, b, c), .fl_read = (rd),            \
		.fl_write = (wr), .operand = {OPND(a), OPND(b), OPND(c)}, \
		.ext = (x), .imm = (ix) ? (ix) : IMMS(a, b, c),           \
		.addr = ADDRS(a, b, c), .name = (nm)                      \
	}

/* An instruction. */
#define ROW(o, nm, a, b, c, sn, fl, rd, wr) \
	ROW_(EXT_NONE, 0, X86_OP_##o, nm, a, b, c, SENS_##sn, fl, rd, wr)
/* An instruction with mandatory-prefix variants. */
#define VROW(o, nm, a, b, c, sn, fl, rd, wr) \
	ROW_(EXT_VAR, 0, X86_OP_##o, nm, a, b, c, SENS_##sn, fl, rd, wr)
/* An instruction with two immediates that are not both operands. */
#define ROW_IMM2(o, nm, a, b, c, sn, fl, rd, wr)                               \
	ROW_(EXT_NONE, IMM_B | IMM_B << 4, X86_OP_##o, nm, a, b, c, SENS_##sn, \
	     fl, rd, wr)
/* A real row that is also an escape (les/VEX, bound/EVEX, 3DNow!). */
#define XROW(x, o, nm, a, b, c, sn, fl, rd, wr) \
	ROW_(x, 0, X86_OP_##o, nm, a, b, c, SENS_##sn, fl, rd, wr)
/* An undefined opcode (#UD); UDV: one whose prefixed variants exist. */
#define UD                                                           \
	{                                                            \
		.op = X86_OP_INVALID, .sens = SENS_UD, .flags = STP, \
		.name = "(bad)"                                      \
	}
#define UDV                                                          \
	{                                                            \
		.op = X86_OP_INVALID, .sens = SENS_UD, .flags = STP, \
		.ext = EXT_VAR, .name = "(bad)"                      \
	}
/* A prefix byte's row: the decoder consumes prefixes before the map. */
#define PREFIX(nm)                                                  \
	{                                                           \
		.op = X86_OP_INVALID, .sens = SENS_UD, .name = (nm) \
	}
/* Escapes. */
#define ESC(x, nm)                                                 \
	{                                                          \
		.op = X86_OP_INVALID, .sens = SENS_UD, .ext = (x), \
		.name = (nm)                                       \
	}
#define GROUP(g, nm)                                                \
	{                                                           \
		.op = X86_OP_INVALID, .sens = SENS_UD, .flags = MR, \
		.ext = EXT_GROUP + (g), .name = (nm)                \
	}

/* Common row shapes. */
#define MMX(nm, a, b, c) VROW(MMX, nm, a, b, c, FPU, NS, 0, 0)
#define SSE(nm, a, b, c) ROW(SSE, nm, a, b, c, FPU, NS, 0, 0)
#define SSEV(nm, a, b, c) VROW(SSE, nm, a, b, c, FPU, NS, 0, 0)
#define SSEF(nm, a, b, c) ROW(SSE, nm, a, b, c, FPU, NS, 0, ARITH)
#define X87(nm, a) ROW(X87, nm, a, NA, NA, FPU, NS | MR, 0, 0)
#define X87F(nm, a, rd, wr) ROW(X87, nm, a, NA, NA, FPU, NS | MR, rd, wr)
#define OTHER(nm, a, b, sn, fl) ROW(OTHER, nm, a, b, NA, sn, NS | (fl), 0, 0)

#endif
