/*
 * optable_vex.c - what the decoder knows about VEX (C4/C5), EVEX (62)
 * and XOP (8F) encoded instructions, and about 3DNow! suffixes.
 *
 * The virtual CPU offers none of these (no AVX in its CPUID), but the
 * decoder must still find their length and whether the encoding names an
 * instruction at all: the translator copies or rejects them, and the
 * differential test compares lengths with capstone. So each map gets, per
 * opcode, the legal implied-prefix (pp) values and the layout bits (imm8,
 * ModRM restrictions), written from the SDM (Vol. 2, Appendix A and the
 * VEX/EVEX instruction pages) and AMD's APM (XOP, FMA4, TBM). The vector
 * length and W bit constraints are not modelled. All such instructions
 * decode to one of the generic rows at the end (op SSE or OTHER, NOSUP).
 */
#include "bt/optable_priv.h"

/* clang-format off */

#define PN 0x1  /* no implied prefix */
#define P66 0x2
#define PF3 0x4
#define PF2 0x8
#define PALL (PN | P66 | PF3 | PF2)
#define I8 VX_IMM8

const uint16_t x86_vex_attr[4][256] = {
	[1] = {
		[0x10 ... 0x11] = PALL,
		[0x12] = PALL,
		[0x13] = PN | P66 | VX_MEM,
		[0x14 ... 0x15] = PN | P66,
		[0x16] = PN | P66 | PF3,
		[0x17] = PN | P66 | VX_MEM,
		[0x28 ... 0x29] = PN | P66,
		[0x2a] = PF3 | PF2,
		[0x2b] = PN | P66 | VX_MEM,
		[0x2c ... 0x2d] = PF3 | PF2,
		[0x2e ... 0x2f] = PN | P66,
		/* AVX-512 mask-register instructions in VEX form */
		[0x41 ... 0x42] = PN | P66 | VX_REG,
		[0x44 ... 0x47] = PN | P66 | VX_REG,
		[0x4a ... 0x4b] = PN | P66 | VX_REG,
		[0x50] = PN | P66 | VX_REG,
		[0x51] = PALL,
		[0x52 ... 0x53] = PN | PF3,
		[0x54 ... 0x57] = PN | P66,
		[0x58 ... 0x5a] = PALL,
		[0x5b] = PN | P66 | PF3,
		[0x5c ... 0x5f] = PALL,
		[0x60 ... 0x6e] = P66,
		[0x6f] = P66 | PF3,
		[0x70] = P66 | PF3 | PF2 | I8,
		[0x71 ... 0x73] = P66 | I8 | VX_REG | VX_GROUP,
		[0x74 ... 0x76] = P66,
		[0x77] = PN | VX_NOMODRM,
		[0x7c ... 0x7d] = P66 | PF2,
		[0x7e ... 0x7f] = P66 | PF3,
		[0x90] = PN | P66,
		[0x91] = PN | P66 | VX_MEM,
		[0x92 ... 0x93] = PN | P66 | PF2 | VX_REG,
		[0x98 ... 0x99] = PN | P66 | VX_REG,
		[0xae] = PN | VX_MEM | VX_GROUP,
		[0xc2] = PALL | I8,
		[0xc4] = P66 | I8,
		[0xc5] = P66 | I8 | VX_REG,
		[0xc6] = PN | P66 | I8,
		[0xd0] = P66 | PF2,
		[0xd1 ... 0xd6] = P66,
		[0xd7] = P66 | VX_REG,
		[0xd8 ... 0xe5] = P66,
		[0xe6] = P66 | PF3 | PF2,
		[0xe7] = P66 | VX_MEM,
		[0xe8 ... 0xef] = P66,
		[0xf0] = PF2 | VX_MEM,
		[0xf1 ... 0xf6] = P66,
		[0xf7] = P66 | VX_REG,
		[0xf8 ... 0xfe] = P66,
	},
	[2] = {
		[0x00 ... 0x0f] = P66,
		[0x13] = P66,
		[0x16 ... 0x1a] = P66,
		[0x1c ... 0x1e] = P66,
		[0x20 ... 0x25] = P66,
		[0x28 ... 0x29] = P66,
		[0x2a] = P66 | VX_MEM,
		[0x2b] = P66,
		[0x2c ... 0x2f] = P66 | VX_MEM,
		[0x30 ... 0x41] = P66,
		[0x45 ... 0x47] = P66,
		[0x58 ... 0x59] = P66,
		[0x5a] = P66 | VX_MEM,
		[0x78 ... 0x79] = P66,
		[0x8c] = P66 | VX_MEM,
		[0x8e] = P66 | VX_MEM,
		[0x90 ... 0x93] = P66 | VX_MEM, /* gathers (VSIB) */
		[0x96 ... 0x9f] = P66,
		[0xa6 ... 0xaf] = P66,
		[0xb6 ... 0xbf] = P66,
		[0xdb ... 0xdf] = P66,
		/* BMI1/BMI2 on general registers */
		[0xf2] = PN | VX_GPR,
		[0xf3] = PN | VX_GPR | VX_GROUP,
		[0xf5] = PN | PF3 | PF2 | VX_GPR,
		[0xf6] = PF2 | VX_GPR,
		[0xf7] = PALL | VX_GPR,
	},
	[3] = {
		[0x00 ... 0x02] = P66 | I8,
		[0x04 ... 0x06] = P66 | I8,
		[0x08 ... 0x0f] = P66 | I8,
		[0x14 ... 0x19] = P66 | I8,
		[0x1d] = P66 | I8,
		[0x20 ... 0x22] = P66 | I8,
		[0x30 ... 0x33] = P66 | I8 | VX_REG,
		[0x38 ... 0x39] = P66 | I8,
		[0x40 ... 0x42] = P66 | I8,
		[0x44] = P66 | I8,
		[0x46] = P66 | I8,
		[0x48 ... 0x4c] = P66 | I8, /* 48/49: AMD vpermil2ps/pd */
		[0x5c ... 0x5f] = P66 | I8, /* AMD FMA4 */
		[0x60 ... 0x63] = P66 | I8,
		[0x68 ... 0x6f] = P66 | I8, /* AMD FMA4 */
		[0x78 ... 0x7f] = P66 | I8, /* AMD FMA4 */
		[0xdf] = P66 | I8,
		[0xf0] = PF2 | I8 | VX_GPR, /* rorx */
	},
};

/* EVEX (AVX-512): the VEX maps plus the EVEX-only opcodes; pp is only
 * checked where the VEX table has an entry. */
const uint16_t x86_evex_attr[4][256] = {
	[1] = {
		[0x10 ... 0x17] = PALL,
		[0x28 ... 0x2f] = PALL,
		[0x51] = PALL,
		[0x54 ... 0x5f] = PALL,
		[0x60 ... 0x6f] = PALL,
		[0x70] = PALL | I8,
		[0x71 ... 0x73] = PALL | I8 | VX_REG | VX_GROUP,
		[0x74 ... 0x76] = PALL,
		[0x78 ... 0x7f] = PALL,
		[0xc2] = PALL | I8,
		[0xc4 ... 0xc6] = PALL | I8,
		[0xd1 ... 0xd6] = PALL,
		[0xd8 ... 0xe6] = PALL,
		[0xe7] = PALL | VX_MEM,
		[0xe8 ... 0xef] = PALL,
		[0xf1 ... 0xf6] = PALL,
		[0xf8 ... 0xfe] = PALL,
	},
	[2] = {
		[0x00 ... 0x2f] = PALL,
		[0x30 ... 0x4f] = PALL,
		[0x50 ... 0x5b] = PALL,
		[0x62 ... 0x66] = PALL,
		[0x70 ... 0x7f] = PALL,
		[0x83] = PALL,
		[0x88 ... 0x8f] = PALL,
		[0x90 ... 0x93] = PALL | VX_MEM,
		[0x96 ... 0x9f] = PALL,
		[0xa0 ... 0xa3] = PALL | VX_MEM,
		[0xa6 ... 0xaf] = PALL,
		[0xb4 ... 0xbf] = PALL,
		[0xc4] = PALL,
		[0xc6 ... 0xc7] = PALL | VX_MEM | VX_GROUP,
		[0xc8 ... 0xcd] = PALL,
		[0xcf] = PALL,
		[0xdc ... 0xdf] = PALL,
	},
	[3] = {
		[0x00 ... 0x0b] = PALL | I8,
		[0x0f] = PALL | I8,
		[0x14 ... 0x1b] = PALL | I8,
		[0x1d ... 0x1f] = PALL | I8,
		[0x20 ... 0x23] = PALL | I8,
		[0x25 ... 0x27] = PALL | I8,
		[0x38 ... 0x3f] = PALL | I8,
		[0x42 ... 0x44] = PALL | I8,
		[0x50 ... 0x51] = PALL | I8,
		[0x54 ... 0x57] = PALL | I8,
		[0x66 ... 0x67] = PALL | I8,
		[0x70 ... 0x73] = PALL | I8,
		[0xce ... 0xcf] = PALL | I8,
	},
};

/* XOP (AMD): maps 8 (imm8), 9 (none) and 0A (imm32); pp must be 0. */
const uint16_t x86_xop_attr[3][256] = {
	[0] = {
		[0x85 ... 0x87] = PN | I8,
		[0x8e ... 0x8f] = PN | I8,
		[0x95 ... 0x97] = PN | I8,
		[0x9e ... 0x9f] = PN | I8,
		[0xa2 ... 0xa3] = PN | I8,
		[0xa6] = PN | I8,
		[0xb6] = PN | I8,
		[0xc0 ... 0xc3] = PN | I8,
		[0xcc ... 0xcf] = PN | I8,
		[0xec ... 0xef] = PN | I8,
	},
	[1] = {
		[0x01 ... 0x02] = PN | VX_GPR | VX_GROUP, /* TBM */
		[0x12] = PN | VX_GPR | VX_REG | VX_GROUP, /* LWP */
		[0x80 ... 0x83] = PN,
		[0x90 ... 0x9b] = PN,
		[0xc1 ... 0xc3] = PN,
		[0xc6 ... 0xc7] = PN,
		[0xcb] = PN,
		[0xd1 ... 0xd3] = PN,
		[0xd6 ... 0xd7] = PN,
		[0xdb] = PN,
		[0xe1 ... 0xe3] = PN,
	},
	[2] = {
		[0x10] = PN | VX_GPR, /* bextr r, r/m, imm32 */
		[0x12] = PN | VX_GPR | VX_GROUP, /* lwpins/lwpval */
	},
};

/* 3DNow! suffixes (AMD). */
const uint32_t x86_3dnow_valid[8] = {
	/* 0C pi2fw, 0D pi2fd, 1C pf2iw, 1D pf2id */
	[0] = 1u << 0x0c | 1u << 0x0d | 1u << 0x1c | 1u << 0x1d,
	/* 8A pfnacc, 8E pfpnacc, 90 pfcmpge, 94 pfmin, 96 pfrcp, 97 pfrsqrt,
	 * 9A pfsub, 9E pfadd */
	[4] = 1u << (0x8a - 0x80) | 1u << (0x8e - 0x80) | 1u << (0x90 - 0x80) |
	      1u << (0x94 - 0x80) | 1u << (0x96 - 0x80) | 1u << (0x97 - 0x80) |
	      1u << (0x9a - 0x80) | 1u << (0x9e - 0x80),
	/* A0 pfcmpgt, A4 pfmax, A6 pfrcpit1, A7 pfrsqit1, AA pfsubr, AE pfacc,
	 * B0 pfcmpeq, B4 pfmul, B6 pfrcpit2, B7 pmulhrw, BB pswapd,
	 * BF pavgusb */
	[5] = 1u << (0xa0 - 0xa0) | 1u << (0xa4 - 0xa0) | 1u << (0xa6 - 0xa0) |
	      1u << (0xa7 - 0xa0) | 1u << (0xaa - 0xa0) | 1u << (0xae - 0xa0) |
	      1u << (0xb0 - 0xa0) | 1u << (0xb4 - 0xa0) | 1u << (0xb6 - 0xa0) |
	      1u << (0xb7 - 0xa0) | 1u << (0xbb - 0xa0) | 1u << (0xbf - 0xa0),
};

/* Generic rows: their operands are not modelled (nr_operands 0); the
 * decoder still fills the memory operand from ModRM. */
const struct x86_opinfo x86_vex_row =
	ROW(SSE, "vex", NA, NA, NA, FPU, NS | MR, 0, 0);
const struct x86_opinfo x86_vex_gpr_row =
	ROW(OTHER, "vex-gpr", NA, NA, NA, NONE, NS | MR, 0, ARITH);
const struct x86_opinfo x86_evex_row =
	ROW(SSE, "evex", NA, NA, NA, FPU, NS | MR, 0, 0);
const struct x86_opinfo x86_xop_row =
	ROW(SSE, "xop", NA, NA, NA, FPU, NS | MR, 0, 0);

/* clang-format on */
