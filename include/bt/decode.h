/*
 * decode.h - the table-driven x86 instruction decoder (16- and 32-bit code).
 *
 * One opcode table (src/bt/optable.c) describes every instruction: its
 * operation, its operands, whether it has a ModRM byte, the arithmetic
 * flags it reads and writes, and its sensitivity class. The decoder, the
 * interpreter and the translator all read the same rows: the interpreter
 * dispatches on x86_opinfo.op, the translator chooses IDENT / INLINE /
 * CALLOUT / INTERP from x86_opinfo.sens.
 *
 * The decoder knows the length and operands of every instruction the
 * hardware knows in 16- and 32-bit modes (including x87, MMX, SSE*, so the
 * translator can copy them), even those the interpreter does not execute.
 *
 * How decoded instructions are represented (for the engines):
 *  - insn->info is always a complete row: groups (80-83, FF, 0F 01, x87
 *    D8-DF, ...) and mandatory-prefix variants (66/F2/F3 0F xx) are
 *    resolved by the decoder; insn->reg still holds ModRM.reg. Rows that
 *    behave alike share an op (all Jcc: X86_OP_JCC, condition in
 *    x86_insn_cc()). x87 rows are one per mnemonic (op X87); MMX/SSE rows
 *    carry op MMX/SSE with their operands; VEX/EVEX/XOP instructions get a
 *    generic row without operands (insn->enc says which encoding).
 *  - Registers: OPK_G is ModRM.reg, OPK_E/OPK_R (register form) is
 *    ModRM.rm, OPK_Z is opcode & 7, OPK_REG is operand.reg. Byte-sized
 *    register numbers are AL CL DL BL AH CH DH BH (0..7).
 *  - Memory: has_mem is set for a ModRM memory operand, moffs (OPK_O),
 *    string operands and xlat. 16-bit addressing uses the same fields:
 *    [bx+si] is base EBX, index ESI; [bp+di+8] base EBP, index EDI, disp
 *    8; [disp16] base X86_NOREG. The effective address wraps at addrsize.
 *    disp is sign-extended (ModRM disp8/16/32, EVEX disp8 unscaled); a
 *    moffs is zero-extended. scale is 1 when there is no index.
 *  - Segments: insn->seg is the segment of the memory operand: the last
 *    override, else SS for (E)BP/(E)SP based forms, else DS. String
 *    instructions: seg is that of the source (DS or override) for
 *    movs/cmps/lods/outs, ES for stos/scas/ins (their ES:(E)DI
 *    destination ignores overrides); base is ESI or EDI accordingly. No
 *    memory operand: seg is DS.
 *  - Immediates: imm holds the first, imm2 the second (enter's nesting
 *    level, extrq/insertq's second imm8) or a far pointer's selector
 *    (imm is then the offset). Ib/Iw/Iz are zero-extended, OPK_IS is
 *    sign-extended to 32 bits, OPK_J is the sign-extended displacement
 *    (the target is next EIP + imm, truncated to 16 bits when opsize is 2).
 *  - Sizes: opsize/addrsize are the effective attributes (66/67 toggle the
 *    default). With a mandatory prefix 66 also toggles opsize, which SSE
 *    rows ignore (their operands have fixed sizes). Use
 *    x86_operand_bytes(); it knows that mov r32,sreg / smsw / sldt / str
 *    write a whole register at the operand size.
 *  - Prefixes: of F2/F3 only the last one is reported (and it takes
 *    precedence over 66 as mandatory prefix, as for 66 F2 0F 38 F1
 *    crc32 r32, r/m16); X86_P_SEG says an override was present even when
 *    seg ignores it.
 *  - fl_read/fl_write cover EFLAGS bits 0-15. fl_read also lists flags an
 *    instruction may pass through unchanged while it writes them in
 *    other cases (shift/rotate by a count that can be 0, rep cmps/scas
 *    with ECX = 0), so fl_write can be used as a kill set. The X86_F_STOP
 *    rule and the X86_F_NO64 convention are written at the top of
 *    src/bt/optable.c.
 *  - X86_F_IOPL marks cli/sti/in/out/ins/outs. pushf/popf/iret (and int n)
 *    are IOPL-sensitive only in virtual-8086 mode; rdtsc/rdpmc are
 *    privileged only per CR4.TSD/PCE: neither has a flag, the engines
 *    decide from the mode.
 *  - X86_F_NOSUP: the integer interpreter does not execute the row (x87,
 *    MMX, SSE, fxsave & co, VMX/SVM/SMX, monitor/mwait, xgetbv, RTM,
 *    rdrand, crc32...). Rows whose extension the virtual CPU lacks are
 *    still decoded so lengths are right; the engines raise #UD per the
 *    virtual CPUID (syscall/sysret, VMX, SVM, SSE4a, 3DNow!, PadLock).
 *  - VEX (and EVEX, XOP) are decoded in 16-bit code too: they are valid in
 *    16-bit protected mode; in real and virtual-8086 mode they #UD, which
 *    the engines must check.
 */
#ifndef BT386_BT_DECODE_H
#define BT386_BT_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bt/ops.h"

#define X86_MAX_INSN_LEN 15

/* Operand kinds: where an operand lives. */
enum x86_opkind {
	OPK_NONE,
	OPK_E,	  /* ModRM r/m: register or memory */
	OPK_M,	  /* ModRM r/m, memory only (mod == 3 is #UD) */
	OPK_R,	  /* ModRM r/m, register whatever mod says (mov cr/dr) */
	OPK_G,	  /* ModRM reg: general register */
	OPK_S,	  /* ModRM reg: segment register */
	OPK_C,	  /* ModRM reg: control register */
	OPK_D,	  /* ModRM reg: debug register */
	OPK_I,	  /* immediate (imm, or imm2 for the second one) */
	OPK_IS,	  /* 8-bit immediate sign-extended to the operand size */
	OPK_J,	  /* relative branch displacement (in imm, sign-extended) */
	OPK_A,	  /* direct far pointer: offset in imm, selector in imm2 */
	OPK_O,	  /* memory at an address-size offset (moffs, in disp) */
	OPK_Z,	  /* general register in the opcode's low three bits */
	OPK_REG,  /* fixed general register, number in x86_operand.reg */
	OPK_SREG, /* fixed segment register, number in x86_operand.reg */
	OPK_ONE,  /* the constant 1 (shift by one) */
	OPK_X,	  /* string source: seg:[(E)SI] */
	OPK_Y,	  /* string destination: ES:[(E)DI] */
	OPK_MM,	  /* MMX register in ModRM reg */
	OPK_XMM,  /* XMM register in ModRM reg */
	OPK_ST,	  /* x87 stack register ST(i), i = ModRM rm */
	OPK_Q,	  /* ModRM r/m: MMX register or memory */
	OPK_W,	  /* ModRM r/m: XMM register or memory */
	OPK_N,	  /* ModRM r/m: MMX register, mod == 3 only (else #UD) */
	OPK_U,	  /* ModRM r/m: XMM register, mod == 3 only (else #UD) */
};

/* Operand sizes. */
enum x86_opsize {
	SZ_NONE,
	SZ_B,  /* byte */
	SZ_W,  /* word */
	SZ_D,  /* dword */
	SZ_Q,  /* qword (cmpxchg8b, MMX) */
	SZ_V,  /* word or dword per operand size */
	SZ_Z,  /* immediate: word or dword per operand size */
	SZ_P,  /* far pointer: 16:16 or 16:32 per operand size */
	SZ_A,  /* bound: two words or two dwords */
	SZ_S,  /* pseudo-descriptor: 6 bytes (sgdt/lgdt) */
	SZ_DQ, /* 16 bytes (SSE) */
	SZ_X,  /* other/implicit (x87, fxsave...) */
};

struct x86_operand {
	uint8_t kind; /* enum x86_opkind */
	uint8_t size; /* enum x86_opsize */
	uint8_t reg;  /* OPK_REG / OPK_SREG: register number */
};

/*
 * Sensitivity classes: what an instruction does that a guest running at
 * a different privilege than it thinks would notice. The translator maps
 * each class to a translation category.
 */
enum x86_sens {
	SENS_NONE,    /* pure computation: IDENT */
	SENS_STACK,   /* implicit ESP use (push/pop/enter/leave...): INLINE */
	SENS_BRANCH,  /* near control flow (jcc/jmp/call/ret/loop) */
	SENS_FLAGS,   /* reads/writes IF, IOPL, TF... (pushf/popf/cli/sti) */
	SENS_SEGREAD, /* reads a segment register (mov r,sreg; push sreg) */
	SENS_SEGLOAD, /* loads a segment register (mov sreg; pop sreg; lds) */
	SENS_FAR,     /* far jmp/call/ret, iret, int n, into, int3, bound */
	SENS_IO,      /* in/out/ins/outs */
	SENS_SYSREAD, /* sgdt/sidt/sldt/str/smsw/lar/lsl/verr/verw */
	SENS_PRIV,    /* privileged: hlt, lgdt, mov cr, wrmsr, invlpg... */
	SENS_CPUID,   /* cpuid, rdtsc, rdtscp, rdpmc (virtual CPU model) */
	SENS_NO64,    /* does not exist in 64-bit mode (daa, pusha, ...) */
	SENS_FPU,     /* x87/MMX/SSE: host FPU state */
	SENS_UD,      /* invalid opcode: raises #UD */
};

/* Row flags. */
#define X86_F_MODRM 0x0001    /* has a ModRM byte */
#define X86_F_LOCK 0x0002     /* LOCK prefix allowed (with memory dest) */
#define X86_F_REP 0x0004      /* string op: REP/REPE/REPNE meaningful */
#define X86_F_STOP 0x0008     /* ends a translation block */
#define X86_F_COND 0x0010     /* condition code in the opcode low nibble */
#define X86_F_BYTE_DEF 0x0020 /* operand size fixed (ignores 66) */
#define X86_F_STACKSZ 0x0040  /* size of implicit stack accesses matters */
#define X86_F_CPL0 0x0080     /* privileged: #GP unless CPL 0 */
#define X86_F_IOPL 0x0100     /* IOPL-sensitive */
#define X86_F_NOSUP 0x0200    /* the interpreter does not execute it */
#define X86_F_NO64 0x0400     /* opcode absent/different in 64-bit mode */

/* One row of the opcode table. */
struct x86_opinfo {
	uint16_t op;	/* enum x86_op */
	uint16_t flags; /* X86_F_* */
	uint8_t sens;	/* enum x86_sens */
	uint8_t nr_operands;
	uint16_t fl_read;  /* X86_FL_* the instruction reads */
	uint16_t fl_write; /* X86_FL_* it writes (defined or undefined) */
	struct x86_operand operand[3];
	/* Decoder hints, derived from the operands by the table macros
	 * (src/bt/optable_priv.h); only the decoder needs them. */
	uint8_t ext;	  /* escape or variant code (EXT_* in optable_priv.h) */
	uint8_t imm;	  /* layout of the immediate bytes */
	uint8_t addr;	  /* how the instruction addresses memory */
	const char *name; /* mnemonic, for traces */
};

/* Prefix bits in x86_insn.prefixes. */
#define X86_P_LOCK 0x01
#define X86_P_REP 0x02	 /* F3: rep / repe */
#define X86_P_REPNE 0x04 /* F2: repne */
#define X86_P_OPSIZE 0x08
#define X86_P_ADDRSIZE 0x10
#define X86_P_SEG 0x20 /* a segment override is present (see seg) */

/* A decoded instruction. */
struct x86_insn {
	const struct x86_opinfo *info;
	uint8_t len;	  /* total length in bytes */
	uint8_t opsize;	  /* effective operand size in bytes: 2 or 4 */
	uint8_t addrsize; /* effective address size in bytes: 2 or 4 */
	uint8_t prefixes; /* X86_P_* */
	uint8_t seg;	  /* effective segment of the memory operand */
	uint8_t map;	  /* 0: one byte, 1: 0F, 2: 0F 38, 3: 0F 3A */
	uint8_t opcode;	  /* last opcode byte */
	uint8_t modrm;
	uint8_t mod, reg, rm; /* ModRM fields */
	/* Memory operand (mod != 3 or OPK_O). base/index are register
	 * numbers or X86_NOREG; 16-bit addressing is expressed the same way
	 * (e.g. [bx+si] = base EBX, index ESI, scale 1). */
	uint8_t base, index, scale; /* scale: 1, 2, 4, 8 */
	uint8_t has_mem;	    /* the instruction has a memory operand */
	int32_t disp;
	uint32_t imm;  /* first immediate / branch displacement / far offset */
	uint32_t imm2; /* second immediate (enter) / far selector */
	uint8_t disp_len, imm_len, imm2_len;
	uint8_t prefix_len; /* bytes of legacy prefixes before the opcode */
	uint8_t enc;	    /* X86_ENC_*: legacy, VEX, EVEX or XOP encoding */
	/* The mandatory prefix that selected a variant row (X86_MAND_*):
	 * NONE when the row is the no-prefix one, also when a 66/F2/F3
	 * present was ignored because the opcode has no such variant. */
	uint8_t mand;
};

/* x86_insn.mand. */
#define X86_MAND_NONE 0
#define X86_MAND_66 1
#define X86_MAND_F3 2
#define X86_MAND_F2 3

/* x86_insn.enc. For VEX/EVEX/XOP, map is the encoded map (1..3, or 8..10
 * for XOP) and opcode the byte after the VEX/EVEX/XOP prefix. */
#define X86_ENC_LEGACY 0
#define X86_ENC_VEX 1
#define X86_ENC_EVEX 2
#define X86_ENC_XOP 3

#define X86_NOREG 0xff

/* Decoder results (negative) besides a length. */
#define X86_DEC_TRUNC (-1)   /* needs more bytes than `avail` */
#define X86_DEC_TOOLONG (-2) /* longer than 15 bytes: #GP */
#define X86_DEC_INVALID (-3) /* #UD (unknown opcode, bad LOCK, mod==3 M) */

/*
 * Decode one instruction from `bytes` (at most `avail` of them are valid)
 * for code whose default operand/address size is 32 bits when `code32`.
 * Returns the length, or X86_DEC_*. On X86_DEC_INVALID, insn->len and
 * insn->info are still filled as far as known (info points at a SENS_UD
 * row), so a caller can report the opcode.
 */
int x86_decode(struct x86_insn *insn, const uint8_t *bytes, size_t avail,
	       bool code32);

/* Size in bytes of operand `i` of a decoded instruction (0 if none). */
unsigned x86_operand_bytes(const struct x86_insn *insn, unsigned i);

/* Mnemonic of an operation, for traces and diagnostics. */
const char *x86_op_name(unsigned op);

/* Condition code (0..15) of a X86_F_COND instruction. */
static inline unsigned x86_insn_cc(const struct x86_insn *insn)
{
	return insn->opcode & 0xf;
}

#endif
