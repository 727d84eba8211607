/*
 * optable.c - the one-byte opcode map and its groups (SDM Vol. 2, Tables
 * ), and the x87 escapes D8-DF (Tables ).
 *
 * Read with optable_priv.h, which explains the row macros. Conventions the
 * other engines rely on:
 *  - sens: the class the translator maps to a category (decode.h). An
 *    opcode that does not exist in 64-bit mode has X86_F_NO64; its class
 *    is SENS_NO64 unless a more specific class says more (push/pop sreg
 *    are SEGREAD/SEGLOAD, les/lds SEGLOAD, bound/into/call far/jmp far
 *    FAR): then the specific class wins and the translator, which must
 *    handle that class anyway, also has to re-encode (never copy) it.
 *  - X86_F_STOP ends a translation block after the instruction. The rule:
 *    the next instruction to run is not statically the next one in
 *    memory (all control flow, int/into/int1/int3/iret, hlt, #UD rows),
 *    or the instruction changes what translations are keyed on or must
 *    be checked before the next instruction: CPU mode/paging/CPL (mov to
 *    CR, lmsw, sysenter/sysexit, wrmsr, mov to DR) and TF/IF via popf.
 *    Not STOP: segment loads (the translator re-checks its flat-segment
 *    assumption in the callout), lgdt/lidt, clts, sti (the pending
 *    interrupt check is part of its inline code).
 *  - fl_read lists the flags an instruction may leave unchanged although
 *    it writes them in other cases (shifts and rotates by a count that
 *    can be 0, rep cmps/scas with a zero count), so that a liveness pass
 *    treating fl_write as a kill set stays correct.
 */
#include "bt/optable_priv.h"

_Static_assert(X86_OP_COUNT <= UINT16_MAX, "x86_opinfo.op is 16 bits");
_Static_assert(SENS_UD <= UINT8_MAX, "x86_opinfo.sens is a byte");
_Static_assert(OPK_U <= UINT8_MAX && SZ_X <= UINT8_MAX,
	       "x86_operand fields are bytes");
_Static_assert((OSZ & 0xffff) == 0 && X86_F_NO64 <= 0x8000,
	       "row flags fit x86_opinfo.flags, OSZ stays outside");
_Static_assert(sizeof(struct x86_opinfo) <= 32, "rows stay compact");

/* clang-format off */

/* Eight arithmetic rows: op Eb,Gb / Ev,Gv / Gb,Eb / Gv,Ev / AL,Ib / eAX,Iz. */
#define ALU6(b, o, nm, lk, rd)                                               \
	[(b) + 0] = ROW(o, nm, Eb, Gb, NA, NONE, lk, rd, ARITH),             \
	[(b) + 1] = ROW(o, nm, Ev, Gv, NA, NONE, lk, rd, ARITH),             \
	[(b) + 2] = ROW(o, nm, Gb, Eb, NA, NONE, 0, rd, ARITH),              \
	[(b) + 3] = ROW(o, nm, Gv, Ev, NA, NONE, 0, rd, ARITH),              \
	[(b) + 4] = ROW(o, nm, AL, Ib, NA, NONE, 0, rd, ARITH),              \
	[(b) + 5] = ROW(o, nm, eAX, Iz, NA, NONE, 0, rd, ARITH)

/* Sixteen condition-code rows (Jcc, SETcc, CMOVcc). */
#define CC1(b, n, suf, o, pfx, a, c, sn, fl)                                 \
	[(b) + (n)] = ROW(o, pfx suf, a, c, NA, sn, (fl) | CC, CCRD(n), 0)
#define CC16(b, o, pfx, a, c, sn, fl)                                        \
	CC1(b, 0x0, "o", o, pfx, a, c, sn, fl),                              \
	CC1(b, 0x1, "no", o, pfx, a, c, sn, fl),                             \
	CC1(b, 0x2, "b", o, pfx, a, c, sn, fl),                              \
	CC1(b, 0x3, "ae", o, pfx, a, c, sn, fl),                             \
	CC1(b, 0x4, "e", o, pfx, a, c, sn, fl),                              \
	CC1(b, 0x5, "ne", o, pfx, a, c, sn, fl),                             \
	CC1(b, 0x6, "be", o, pfx, a, c, sn, fl),                             \
	CC1(b, 0x7, "a", o, pfx, a, c, sn, fl),                              \
	CC1(b, 0x8, "s", o, pfx, a, c, sn, fl),                              \
	CC1(b, 0x9, "ns", o, pfx, a, c, sn, fl),                             \
	CC1(b, 0xa, "p", o, pfx, a, c, sn, fl),                              \
	CC1(b, 0xb, "np", o, pfx, a, c, sn, fl),                             \
	CC1(b, 0xc, "l", o, pfx, a, c, sn, fl),                              \
	CC1(b, 0xd, "ge", o, pfx, a, c, sn, fl),                             \
	CC1(b, 0xe, "le", o, pfx, a, c, sn, fl),                             \
	CC1(b, 0xf, "g", o, pfx, a, c, sn, fl)

static const struct x86_opinfo map_onebyte[256] = {
	ALU6(0x00, ADD, "add", LK, 0),
	[0x06] = ROW(PUSH_SREG, "push", sES, NA, NA, SEGREAD, SK | OSZ | N64, 0, 0),
	[0x07] = ROW(POP_SREG, "pop", sES, NA, NA, SEGLOAD, SK | OSZ | N64, 0, 0),
	ALU6(0x08, OR, "or", LK, 0),
	[0x0e] = ROW(PUSH_SREG, "push", sCS, NA, NA, SEGREAD, SK | OSZ | N64, 0, 0),
	[0x0f] = ESC(EXT_0F, "(0f)"),
	ALU6(0x10, ADC, "adc", LK, fC),
	[0x16] = ROW(PUSH_SREG, "push", sSS, NA, NA, SEGREAD, SK | OSZ | N64, 0, 0),
	[0x17] = ROW(POP_SREG, "pop", sSS, NA, NA, SEGLOAD, SK | OSZ | N64, 0, 0),
	ALU6(0x18, SBB, "sbb", LK, fC),
	[0x1e] = ROW(PUSH_SREG, "push", sDS, NA, NA, SEGREAD, SK | OSZ | N64, 0, 0),
	[0x1f] = ROW(POP_SREG, "pop", sDS, NA, NA, SEGLOAD, SK | OSZ | N64, 0, 0),
	ALU6(0x20, AND, "and", LK, 0),
	[0x26] = PREFIX("es"),
	[0x27] = ROW(DAA, "daa", NA, NA, NA, NO64, N64, fC | fA, ARITH),
	ALU6(0x28, SUB, "sub", LK, 0),
	[0x2e] = PREFIX("cs"),
	[0x2f] = ROW(DAS, "das", NA, NA, NA, NO64, N64, fC | fA, ARITH),
	ALU6(0x30, XOR, "xor", LK, 0),
	[0x36] = PREFIX("ss"),
	[0x37] = ROW(AAA, "aaa", NA, NA, NA, NO64, N64, fA, ARITH),
	ALU6(0x38, CMP, "cmp", 0, 0),
	[0x3e] = PREFIX("ds"),
	[0x3f] = ROW(AAS, "aas", NA, NA, NA, NO64, N64, fA, ARITH),
	/* 40-4F are REX prefixes in 64-bit mode. */
	[0x40 ... 0x47] = ROW(INC, "inc", Zv, NA, NA, NO64, N64, 0, ARITH & ~fC),
	[0x48 ... 0x4f] = ROW(DEC, "dec", Zv, NA, NA, NO64, N64, 0, ARITH & ~fC),
	[0x50 ... 0x57] = ROW(PUSH, "push", Zv, NA, NA, STACK, SK, 0, 0),
	[0x58 ... 0x5f] = ROW(POP, "pop", Zv, NA, NA, STACK, SK, 0, 0),
	[0x60] = ROW(PUSHA, "pusha", NA, NA, NA, NO64, SK | OSZ | N64, 0, 0),
	[0x61] = ROW(POPA, "popa", NA, NA, NA, NO64, SK | OSZ | N64, 0, 0),
	/* With mod == 3, 62 is an EVEX prefix (BOUND needs memory). */
	[0x62] = XROW(EXT_EVEX, BOUND, "bound", Gv, Ma, NA, FAR, N64, 0, 0),
	[0x63] = ROW(ARPL, "arpl", Ew, Gw, NA, NO64, N64, 0, fZ),
	[0x64] = PREFIX("fs"),
	[0x65] = PREFIX("gs"),
	[0x66] = PREFIX("data16"),
	[0x67] = PREFIX("addr16"),
	[0x68] = ROW(PUSH, "push", Iz, NA, NA, STACK, SK, 0, 0),
	[0x69] = ROW(IMUL3, "imul", Gv, Ev, Iz, NONE, 0, 0, ARITH),
	[0x6a] = ROW(PUSH, "push", IbS, NA, NA, STACK, SK, 0, 0),
	[0x6b] = ROW(IMUL3, "imul", Gv, Ev, IbS, NONE, 0, 0, ARITH),
	[0x6c] = ROW(INS, "insb", Yb, DX, NA, IO, RP | IOP, fD | fIOPL, 0),
	[0x6d] = ROW(INS, "ins", Yv, DX, NA, IO, RP | IOP, fD | fIOPL, 0),
	[0x6e] = ROW(OUTS, "outsb", DX, Xb, NA, IO, RP | IOP, fD | fIOPL, 0),
	[0x6f] = ROW(OUTS, "outs", DX, Xv, NA, IO, RP | IOP, fD | fIOPL, 0),
	/* Jcc rel8: a 16-bit operand size truncates EIP, hence OSZ. */
	CC16(0x70, JCC, "j", Jb, NA, BRANCH, STP | OSZ),
	[0x80] = GROUP(G_80, "grp1"),
	[0x81] = GROUP(G_81, "grp1"),
	[0x82] = GROUP(G_82, "grp1"), /* alias of 80, #UD in 64-bit mode */
	[0x83] = GROUP(G_83, "grp1"),
	[0x84] = ROW(TEST, "test", Eb, Gb, NA, NONE, 0, 0, ARITH),
	[0x85] = ROW(TEST, "test", Ev, Gv, NA, NONE, 0, 0, ARITH),
	[0x86] = ROW(XCHG, "xchg", Eb, Gb, NA, NONE, LK, 0, 0),
	[0x87] = ROW(XCHG, "xchg", Ev, Gv, NA, NONE, LK, 0, 0),
	[0x88] = ROW(MOV, "mov", Eb, Gb, NA, NONE, 0, 0, 0),
	[0x89] = ROW(MOV, "mov", Ev, Gv, NA, NONE, 0, 0, 0),
	[0x8a] = ROW(MOV, "mov", Gb, Eb, NA, NONE, 0, 0, 0),
	[0x8b] = ROW(MOV, "mov", Gv, Ev, NA, NONE, 0, 0, 0),
	/* A memory destination is always 16 bits; a register destination
	 * gets the zero-extended selector at the operand size (OSZ). */
	[0x8c] = ROW(MOV_FROM_SREG, "mov", Ew, Sw, NA, SEGREAD, OSZ, 0, 0),
	[0x8d] = ROW(LEA, "lea", Gv, M_, NA, NONE, 0, 0, 0),
	[0x8e] = ROW(MOV_TO_SREG, "mov", Sw, Ew, NA, SEGLOAD, 0, 0, 0),
	/* With ModRM.reg != 0 (map select >= 8), 8F is an XOP prefix. */
	[0x8f] = {.op = X86_OP_INVALID, .sens = SENS_UD, .flags = MR,
		  .ext = EXT_XOP, .name = "grp1a"},
	/* F3 90 is pause. */
	[0x90] = VROW(NOP, "nop", NA, NA, NA, NONE, 0, 0, 0),
	[0x91 ... 0x97] = ROW(XCHG, "xchg", Zv, eAX, NA, NONE, 0, 0, 0),
	[0x98] = ROW(CBW, "cbw", NA, NA, NA, NONE, OSZ, 0, 0),
	[0x99] = ROW(CWD, "cwd", NA, NA, NA, NONE, OSZ, 0, 0),
	[0x9a] = ROW(CALL_FAR, "lcall", Ap, NA, NA, FAR, STP | SK | N64, 0, 0),
	[0x9b] = ROW(WAIT, "wait", NA, NA, NA, FPU, 0, 0, 0),
	[0x9c] = ROW(PUSHF, "pushf", NA, NA, NA, FLAGS, SK | OSZ, FL16, 0),
	[0x9d] = ROW(POPF, "popf", NA, NA, NA, FLAGS, SK | OSZ | STP, fIOPL, FL16),
	[0x9e] = ROW(SAHF, "sahf", NA, NA, NA, NONE, 0, 0, fS | fZ | fA | fP | fC),
	[0x9f] = ROW(LAHF, "lahf", NA, NA, NA, NONE, 0, fS | fZ | fA | fP | fC, 0),
	[0xa0] = ROW(MOV, "mov", AL, Ob, NA, NONE, 0, 0, 0),
	[0xa1] = ROW(MOV, "mov", eAX, Ov, NA, NONE, 0, 0, 0),
	[0xa2] = ROW(MOV, "mov", Ob, AL, NA, NONE, 0, 0, 0),
	[0xa3] = ROW(MOV, "mov", Ov, eAX, NA, NONE, 0, 0, 0),
	[0xa4] = ROW(MOVS, "movsb", Yb, Xb, NA, NONE, RP, fD, 0),
	[0xa5] = ROW(MOVS, "movs", Yv, Xv, NA, NONE, RP, fD, 0),
	[0xa6] = ROW(CMPS, "cmpsb", Xb, Yb, NA, NONE, RP, fD | ARITH, ARITH),
	[0xa7] = ROW(CMPS, "cmps", Xv, Yv, NA, NONE, RP, fD | ARITH, ARITH),
	[0xa8] = ROW(TEST, "test", AL, Ib, NA, NONE, 0, 0, ARITH),
	[0xa9] = ROW(TEST, "test", eAX, Iz, NA, NONE, 0, 0, ARITH),
	[0xaa] = ROW(STOS, "stosb", Yb, AL, NA, NONE, RP, fD, 0),
	[0xab] = ROW(STOS, "stos", Yv, eAX, NA, NONE, RP, fD, 0),
	[0xac] = ROW(LODS, "lodsb", AL, Xb, NA, NONE, RP, fD, 0),
	[0xad] = ROW(LODS, "lods", eAX, Xv, NA, NONE, RP, fD, 0),
	[0xae] = ROW(SCAS, "scasb", AL, Yb, NA, NONE, RP, fD | ARITH, ARITH),
	[0xaf] = ROW(SCAS, "scas", eAX, Yv, NA, NONE, RP, fD | ARITH, ARITH),
	[0xb0 ... 0xb7] = ROW(MOV, "mov", Zb, Ib, NA, NONE, 0, 0, 0),
	[0xb8 ... 0xbf] = ROW(MOV, "mov", Zv, Iz, NA, NONE, 0, 0, 0),
	[0xc0] = GROUP(G_C0, "grp2"),
	[0xc1] = GROUP(G_C1, "grp2"),
	[0xc2] = ROW(RET, "ret", Iw, NA, NA, BRANCH, STP | SK | OSZ, 0, 0),
	[0xc3] = ROW(RET, "ret", NA, NA, NA, BRANCH, STP | SK | OSZ, 0, 0),
	/* With mod == 3, C4/C5 are VEX prefixes (LES/LDS need memory). */
	[0xc4] = XROW(EXT_VEX3, LES, "les", Gv, Mp, NA, SEGLOAD, N64, 0, 0),
	[0xc5] = XROW(EXT_VEX2, LDS, "lds", Gv, Mp, NA, SEGLOAD, N64, 0, 0),
	[0xc6] = GROUP(G_C6, "grp11"),
	[0xc7] = GROUP(G_C7, "grp11"),
	[0xc8] = ROW(ENTER, "enter", Iw, Ib, NA, STACK, SK | OSZ, 0, 0),
	[0xc9] = ROW(LEAVE, "leave", NA, NA, NA, STACK, SK | OSZ, 0, 0),
	[0xca] = ROW(RETF, "lret", Iw, NA, NA, FAR, STP | SK | OSZ, 0, 0),
	[0xcb] = ROW(RETF, "lret", NA, NA, NA, FAR, STP | SK | OSZ, 0, 0),
	[0xcc] = ROW(INT3, "int3", NA, NA, NA, FAR, STP | SK, FL16, fT | fI | fNT),
	[0xcd] = ROW(INT, "int", Ib, NA, NA, FAR, STP | SK, FL16, fT | fI | fNT),
	[0xce] = ROW(INTO, "into", NA, NA, NA, FAR, STP | SK | N64, FL16, fT | fI | fNT),
	[0xcf] = ROW(IRET, "iret", NA, NA, NA, FAR, STP | SK | OSZ, fIOPL | fNT, FL16),
	[0xd0] = GROUP(G_D0, "grp2"),
	[0xd1] = GROUP(G_D1, "grp2"),
	[0xd2] = GROUP(G_D2, "grp2"),
	[0xd3] = GROUP(G_D3, "grp2"),
	[0xd4] = ROW(AAM, "aam", Ib, NA, NA, NO64, N64, 0, ARITH),
	[0xd5] = ROW(AAD, "aad", Ib, NA, NA, NO64, N64, 0, ARITH),
	[0xd6] = ROW(SALC, "salc", NA, NA, NA, NO64, N64, fC, 0),
	[0xd7] = {.op = X86_OP_XLAT, .flags = X86_F_BYTE_DEF, .sens = SENS_NONE,
		  .addr = ADDR_XLAT, .name = "xlat"},
	[0xd8] = GROUP(G_D8, "esc0"),
	[0xd9] = GROUP(G_D9, "esc1"),
	[0xda] = GROUP(G_DA, "esc2"),
	[0xdb] = GROUP(G_DB, "esc3"),
	[0xdc] = GROUP(G_DC, "esc4"),
	[0xdd] = GROUP(G_DD, "esc5"),
	[0xde] = GROUP(G_DE, "esc6"),
	[0xdf] = GROUP(G_DF, "esc7"),
	/* loop/jcxz count in (E)CX per address size; OSZ: EIP truncation. */
	[0xe0] = ROW(LOOPNE, "loopne", Jb, NA, NA, BRANCH, STP | OSZ, fZ, 0),
	[0xe1] = ROW(LOOPE, "loope", Jb, NA, NA, BRANCH, STP | OSZ, fZ, 0),
	[0xe2] = ROW(LOOP, "loop", Jb, NA, NA, BRANCH, STP | OSZ, 0, 0),
	[0xe3] = ROW(JCXZ, "jcxz", Jb, NA, NA, BRANCH, STP | OSZ, 0, 0),
	[0xe4] = ROW(IN, "in", AL, Ib, NA, IO, IOP, fIOPL, 0),
	[0xe5] = ROW(IN, "in", eAX, Ib, NA, IO, IOP, fIOPL, 0),
	[0xe6] = ROW(OUT, "out", Ib, AL, NA, IO, IOP, fIOPL, 0),
	[0xe7] = ROW(OUT, "out", Ib, eAX, NA, IO, IOP, fIOPL, 0),
	[0xe8] = ROW(CALL, "call", Jz, NA, NA, BRANCH, STP | SK, 0, 0),
	[0xe9] = ROW(JMP, "jmp", Jz, NA, NA, BRANCH, STP, 0, 0),
	[0xea] = ROW(JMP_FAR, "ljmp", Ap, NA, NA, FAR, STP | N64, 0, 0),
	[0xeb] = ROW(JMP, "jmp", Jb, NA, NA, BRANCH, STP | OSZ, 0, 0),
	[0xec] = ROW(IN, "in", AL, DX, NA, IO, IOP, fIOPL, 0),
	[0xed] = ROW(IN, "in", eAX, DX, NA, IO, IOP, fIOPL, 0),
	[0xee] = ROW(OUT, "out", DX, AL, NA, IO, IOP, fIOPL, 0),
	[0xef] = ROW(OUT, "out", DX, eAX, NA, IO, IOP, fIOPL, 0),
	[0xf0] = PREFIX("lock"),
	[0xf1] = ROW(INT1, "int1", NA, NA, NA, FAR, STP | SK, FL16, fT | fI | fNT),
	[0xf2] = PREFIX("repne"),
	[0xf3] = PREFIX("rep"),
	[0xf4] = ROW(HLT, "hlt", NA, NA, NA, PRIV, STP | P0, 0, 0),
	[0xf5] = ROW(CMC, "cmc", NA, NA, NA, NONE, 0, fC, fC),
	[0xf6] = GROUP(G_F6, "grp3"),
	[0xf7] = GROUP(G_F7, "grp3"),
	[0xf8] = ROW(CLC, "clc", NA, NA, NA, NONE, 0, 0, fC),
	[0xf9] = ROW(STC, "stc", NA, NA, NA, NONE, 0, 0, fC),
	[0xfa] = ROW(CLI, "cli", NA, NA, NA, FLAGS, IOP, fIOPL, fI),
	[0xfb] = ROW(STI, "sti", NA, NA, NA, FLAGS, IOP, fIOPL, fI),
	[0xfc] = ROW(CLD, "cld", NA, NA, NA, NONE, 0, 0, fD),
	[0xfd] = ROW(STD, "std", NA, NA, NA, NONE, 0, 0, fD),
	[0xfe] = GROUP(G_FE, "grp4"),
	[0xff] = GROUP(G_FF, "grp5"),
};

static const struct x86_opinfo map_onebyte_f3[256] = {
	[0x90] = ROW(PAUSE, "pause", NA, NA, NA, NONE, 0, 0, 0),
};

const struct x86_table x86_maps[4] = {
	{map_onebyte, {NULL, map_onebyte_f3, NULL}},
	{x86_map_0f, {x86_map_0f_66, x86_map_0f_f3, x86_map_0f_f2}},
	{x86_map_0f38, {x86_map_0f38_66, x86_map_0f38_f3, x86_map_0f38_f2}},
	{x86_map_0f3a, {x86_map_0f3a_66, NULL, NULL}},
};

/* ---- groups of the one-byte map ------------------------------------ */

/* Group 1: ALU op with an immediate; cmp does not write its operand. */
#define GRP1(a, b, sn, fl)                                                   \
	{                                                                    \
		ROW(ADD, "add", a, b, NA, sn, (fl) | LK, 0, ARITH),          \
		ROW(OR, "or", a, b, NA, sn, (fl) | LK, 0, ARITH),            \
		ROW(ADC, "adc", a, b, NA, sn, (fl) | LK, fC, ARITH),         \
		ROW(SBB, "sbb", a, b, NA, sn, (fl) | LK, fC, ARITH),         \
		ROW(AND, "and", a, b, NA, sn, (fl) | LK, 0, ARITH),          \
		ROW(SUB, "sub", a, b, NA, sn, (fl) | LK, 0, ARITH),          \
		ROW(XOR, "xor", a, b, NA, sn, (fl) | LK, 0, ARITH),          \
		ROW(CMP, "cmp", a, b, NA, sn, fl, 0, ARITH),                 \
	}
static const struct x86_opinfo grp1_80[8] = GRP1(Eb, Ib, NONE, 0);
static const struct x86_opinfo grp1_81[8] = GRP1(Ev, Iz, NONE, 0);
static const struct x86_opinfo grp1_82[8] = GRP1(Eb, Ib, NO64, N64);
static const struct x86_opinfo grp1_83[8] = GRP1(Ev, IbS, NONE, 0);

static const struct x86_opinfo grp1a_8f[8] = {
	ROW(POP, "pop", Ev, NA, NA, STACK, SK, 0, 0),
	UD, UD, UD, UD, UD, UD, UD,
};

/*
 * Group 2: shifts and rotates. `v` is the flags the row may leave
 * unchanged: everything it writes when the count can be 0 (CL, imm8).
 * /6 is the undocumented alias of /4 that every x86 executes as SHL.
 */
#define RO (fC | fO)
#define GRP2(a, b, v)                                                        \
	{                                                                    \
		ROW(ROL, "rol", a, b, NA, NONE, 0, (v) & RO, RO),            \
		ROW(ROR, "ror", a, b, NA, NONE, 0, (v) & RO, RO),            \
		ROW(RCL, "rcl", a, b, NA, NONE, 0, fC | ((v) & RO), RO),     \
		ROW(RCR, "rcr", a, b, NA, NONE, 0, fC | ((v) & RO), RO),     \
		ROW(SHL, "shl", a, b, NA, NONE, 0, v, ARITH),                \
		ROW(SHR, "shr", a, b, NA, NONE, 0, v, ARITH),                \
		ROW(SAL, "sal", a, b, NA, NONE, 0, v, ARITH),                \
		ROW(SAR, "sar", a, b, NA, NONE, 0, v, ARITH),                \
	}
static const struct x86_opinfo grp2_c0[8] = GRP2(Eb, Ib, ARITH);
static const struct x86_opinfo grp2_c1[8] = GRP2(Ev, Ib, ARITH);
static const struct x86_opinfo grp2_d0[8] = GRP2(Eb, ONE, 0);
static const struct x86_opinfo grp2_d1[8] = GRP2(Ev, ONE, 0);
static const struct x86_opinfo grp2_d2[8] = GRP2(Eb, CL, ARITH);
static const struct x86_opinfo grp2_d3[8] = GRP2(Ev, CL, ARITH);

/* Group 11: mov r/m, imm; C6 F8 / C7 F8 are RTM's xabort / xbegin. */
static const struct x86_opinfo grp11_c6[8] = {
	ROW(MOV, "mov", Eb, Ib, NA, NONE, 0, 0, 0),
	UD, UD, UD, UD, UD, UD, UD,
};
static const struct x86_opinfo grp11_c6_rm[64] = {
	[0x00 ... 0x07] = ROW(MOV, "mov", Eb, Ib, NA, NONE, 0, 0, 0),
	[0x08 ... 0x37] = UD,
	[0x38] = ROW(OTHER, "xabort", Ib, NA, NA, NONE, NS | MR, 0, 0),
	[0x39 ... 0x3f] = UD,
};
static const struct x86_opinfo grp11_c7[8] = {
	ROW(MOV, "mov", Ev, Iz, NA, NONE, 0, 0, 0),
	UD, UD, UD, UD, UD, UD, UD,
};
static const struct x86_opinfo grp11_c7_rm[64] = {
	[0x00 ... 0x07] = ROW(MOV, "mov", Ev, Iz, NA, NONE, 0, 0, 0),
	[0x08 ... 0x37] = UD,
	[0x38] = ROW(OTHER, "xbegin", Jz, NA, NA, BRANCH, NS | MR | STP, 0, 0),
	[0x39 ... 0x3f] = UD,
};

/* Group 3. /1 is the undocumented alias of TEST that every x86 decodes. */
#define GRP3(a, i)                                                           \
	{                                                                    \
		ROW(TEST, "test", a, i, NA, NONE, 0, 0, ARITH),              \
		ROW(TEST, "test", a, i, NA, NONE, 0, 0, ARITH),              \
		ROW(NOT, "not", a, NA, NA, NONE, LK, 0, 0),                  \
		ROW(NEG, "neg", a, NA, NA, NONE, LK, 0, ARITH),              \
		ROW(MUL, "mul", a, NA, NA, NONE, 0, 0, ARITH),               \
		ROW(IMUL1, "imul", a, NA, NA, NONE, 0, 0, ARITH),            \
		ROW(DIV, "div", a, NA, NA, NONE, 0, 0, ARITH),               \
		ROW(IDIV, "idiv", a, NA, NA, NONE, 0, 0, ARITH),             \
	}
static const struct x86_opinfo grp3_f6[8] = GRP3(Eb, Ib);
static const struct x86_opinfo grp3_f7[8] = GRP3(Ev, Iz);

static const struct x86_opinfo grp4_fe[8] = {
	ROW(INC, "inc", Eb, NA, NA, NONE, LK, 0, ARITH & ~fC),
	ROW(DEC, "dec", Eb, NA, NA, NONE, LK, 0, ARITH & ~fC),
	UD, UD, UD, UD, UD, UD,
};

static const struct x86_opinfo grp5_ff[8] = {
	ROW(INC, "inc", Ev, NA, NA, NONE, LK, 0, ARITH & ~fC),
	ROW(DEC, "dec", Ev, NA, NA, NONE, LK, 0, ARITH & ~fC),
	ROW(CALL_IND, "call", Ev, NA, NA, BRANCH, STP | SK, 0, 0),
	ROW(CALL_FAR_IND, "lcall", Mp, NA, NA, FAR, STP | SK, 0, 0),
	ROW(JMP_IND, "jmp", Ev, NA, NA, BRANCH, STP, 0, 0),
	ROW(JMP_FAR_IND, "ljmp", Mp, NA, NA, FAR, STP, 0, 0),
	ROW(PUSH, "push", Ev, NA, NA, STACK, SK, 0, 0),
	UD,
};

/* ---- x87 (D8-DF): memory forms by reg, register forms by reg:rm ------ */

#define X87_ARITH(m)                                                         \
	{                                                                    \
		X87("fadd", m), X87("fmul", m), X87("fcom", m),              \
		X87("fcomp", m), X87("fsub", m), X87("fsubr", m),            \
		X87("fdiv", m), X87("fdivr", m),                             \
	}
#define X87_IARITH(m)                                                        \
	{                                                                    \
		X87("fiadd", m), X87("fimul", m), X87("ficom", m),           \
		X87("ficomp", m), X87("fisub", m), X87("fisubr", m),         \
		X87("fidiv", m), X87("fidivr", m),                           \
	}
static const struct x86_opinfo x87_d8_mem[8] = X87_ARITH(Md);
static const struct x86_opinfo x87_d8_rm[64] = {
	[0x00 ... 0x07] = X87("fadd", STi),
	[0x08 ... 0x0f] = X87("fmul", STi),
	[0x10 ... 0x17] = X87("fcom", STi),
	[0x18 ... 0x1f] = X87("fcomp", STi),
	[0x20 ... 0x27] = X87("fsub", STi),
	[0x28 ... 0x2f] = X87("fsubr", STi),
	[0x30 ... 0x37] = X87("fdiv", STi),
	[0x38 ... 0x3f] = X87("fdivr", STi),
};
static const struct x86_opinfo x87_d9_mem[8] = {
	X87("fld", Md), UD, X87("fst", Md), X87("fstp", Md),
	X87("fldenv", Mx), X87("fldcw", Mw), X87("fnstenv", Mx),
	X87("fnstcw", Mw),
};
static const struct x86_opinfo x87_d9_rm[64] = {
	[0x00 ... 0x07] = X87("fld", STi),
	[0x08 ... 0x0f] = X87("fxch", STi),
	[0x10] = X87("fnop", NA),
	[0x11 ... 0x17] = UD,
	[0x18 ... 0x1f] = X87("fstp1", STi), /* undocumented alias */
	[0x20] = X87("fchs", NA), [0x21] = X87("fabs", NA),
	[0x22] = UD, [0x23] = UD,
	[0x24] = X87("ftst", NA), [0x25] = X87("fxam", NA),
	[0x26] = UD, [0x27] = UD,
	[0x28] = X87("fld1", NA), [0x29] = X87("fldl2t", NA),
	[0x2a] = X87("fldl2e", NA), [0x2b] = X87("fldpi", NA),
	[0x2c] = X87("fldlg2", NA), [0x2d] = X87("fldln2", NA),
	[0x2e] = X87("fldz", NA), [0x2f] = UD,
	[0x30] = X87("f2xm1", NA), [0x31] = X87("fyl2x", NA),
	[0x32] = X87("fptan", NA), [0x33] = X87("fpatan", NA),
	[0x34] = X87("fxtract", NA), [0x35] = X87("fprem1", NA),
	[0x36] = X87("fdecstp", NA), [0x37] = X87("fincstp", NA),
	[0x38] = X87("fprem", NA), [0x39] = X87("fyl2xp1", NA),
	[0x3a] = X87("fsqrt", NA), [0x3b] = X87("fsincos", NA),
	[0x3c] = X87("frndint", NA), [0x3d] = X87("fscale", NA),
	[0x3e] = X87("fsin", NA), [0x3f] = X87("fcos", NA),
};
static const struct x86_opinfo x87_da_mem[8] = X87_IARITH(Md);
static const struct x86_opinfo x87_da_rm[64] = {
	[0x00 ... 0x07] = X87F("fcmovb", STi, CCRD(0x2), 0),
	[0x08 ... 0x0f] = X87F("fcmove", STi, CCRD(0x4), 0),
	[0x10 ... 0x17] = X87F("fcmovbe", STi, CCRD(0x6), 0),
	[0x18 ... 0x1f] = X87F("fcmovu", STi, CCRD(0xa), 0),
	[0x20 ... 0x28] = UD,
	[0x29] = X87("fucompp", NA),
	[0x2a ... 0x3f] = UD,
};
static const struct x86_opinfo x87_db_mem[8] = {
	X87("fild", Md), X87("fisttp", Md), X87("fist", Md), X87("fistp", Md),
	UD, X87("fld", Mx), UD, X87("fstp", Mx),
};
static const struct x86_opinfo x87_db_rm[64] = {
	[0x00 ... 0x07] = X87F("fcmovnb", STi, CCRD(0x3), 0),
	[0x08 ... 0x0f] = X87F("fcmovne", STi, CCRD(0x5), 0),
	[0x10 ... 0x17] = X87F("fcmovnbe", STi, CCRD(0x7), 0),
	[0x18 ... 0x1f] = X87F("fcmovnu", STi, CCRD(0xb), 0),
	/* 8087/287 controls, no-ops since the 387 */
	[0x20] = X87("fneni", NA), [0x21] = X87("fndisi", NA),
	[0x22] = X87("fnclex", NA), [0x23] = X87("fninit", NA),
	[0x24] = X87("fnsetpm", NA),
	[0x25 ... 0x27] = UD,
	/* fcomi/fucomi set ZF PF CF and clear OF SF AF */
	[0x28 ... 0x2f] = X87F("fucomi", STi, 0, ARITH),
	[0x30 ... 0x37] = X87F("fcomi", STi, 0, ARITH),
	[0x38 ... 0x3f] = UD,
};
static const struct x86_opinfo x87_dc_mem[8] = X87_ARITH(Mq);
static const struct x86_opinfo x87_dc_rm[64] = {
	[0x00 ... 0x07] = X87("fadd", STi),
	[0x08 ... 0x0f] = X87("fmul", STi),
	[0x10 ... 0x17] = X87("fcom2", STi), /* undocumented alias */
	[0x18 ... 0x1f] = X87("fcomp3", STi), /* undocumented alias */
	[0x20 ... 0x27] = X87("fsubr", STi),
	[0x28 ... 0x2f] = X87("fsub", STi),
	[0x30 ... 0x37] = X87("fdivr", STi),
	[0x38 ... 0x3f] = X87("fdiv", STi),
};
static const struct x86_opinfo x87_dd_mem[8] = {
	X87("fld", Mq), X87("fisttp", Mq), X87("fst", Mq), X87("fstp", Mq),
	X87("frstor", Mx), UD, X87("fnsave", Mx), X87("fnstsw", Mw),
};
static const struct x86_opinfo x87_dd_rm[64] = {
	[0x00 ... 0x07] = X87("ffree", STi),
	[0x08 ... 0x0f] = X87("fxch4", STi), /* undocumented alias */
	[0x10 ... 0x17] = X87("fst", STi),
	[0x18 ... 0x1f] = X87("fstp", STi),
	[0x20 ... 0x27] = X87("fucom", STi),
	[0x28 ... 0x2f] = X87("fucomp", STi),
	[0x30 ... 0x3f] = UD,
};
static const struct x86_opinfo x87_de_mem[8] = X87_IARITH(Mw);
static const struct x86_opinfo x87_de_rm[64] = {
	[0x00 ... 0x07] = X87("faddp", STi),
	[0x08 ... 0x0f] = X87("fmulp", STi),
	[0x10 ... 0x17] = X87("fcomp5", STi), /* undocumented alias */
	[0x18] = UD,
	[0x19] = X87("fcompp", NA),
	[0x1a ... 0x1f] = UD,
	[0x20 ... 0x27] = X87("fsubrp", STi),
	[0x28 ... 0x2f] = X87("fsubp", STi),
	[0x30 ... 0x37] = X87("fdivrp", STi),
	[0x38 ... 0x3f] = X87("fdivp", STi),
};
static const struct x86_opinfo x87_df_mem[8] = {
	X87("fild", Mw), X87("fisttp", Mw), X87("fist", Mw), X87("fistp", Mw),
	X87("fbld", Mx), X87("fild", Mq), X87("fbstp", Mx), X87("fistp", Mq),
};
static const struct x86_opinfo x87_df_rm[64] = {
	[0x00 ... 0x07] = X87("ffreep", STi),
	[0x08 ... 0x0f] = X87("fxch7", STi), /* undocumented alias */
	[0x10 ... 0x17] = X87("fstp8", STi), /* undocumented alias */
	[0x18 ... 0x1f] = X87("fstp9", STi), /* undocumented alias */
	[0x20] = ROW(X87, "fnstsw", AX, NA, NA, FPU, NS | MR, 0, 0),
	[0x21 ... 0x27] = UD,
	[0x28 ... 0x2f] = X87F("fucomip", STi, 0, ARITH),
	[0x30 ... 0x37] = X87F("fcomip", STi, 0, ARITH),
	[0x38 ... 0x3f] = UD,
};

/* ---- all groups ------------------------------------------------------ */

#define G8(m) {.mem = {m}}
#define G8RM(m, r) {.mem = {m}, .rm = {r}}

const struct x86_group x86_groups[G_COUNT] = {
	[G_80] = G8(grp1_80),
	[G_81] = G8(grp1_81),
	[G_82] = G8(grp1_82),
	[G_83] = G8(grp1_83),
	[G_8F] = G8(grp1a_8f),
	[G_C0] = G8(grp2_c0),
	[G_C1] = G8(grp2_c1),
	[G_C6] = G8RM(grp11_c6, grp11_c6_rm),
	[G_C7] = G8RM(grp11_c7, grp11_c7_rm),
	[G_D0] = G8(grp2_d0),
	[G_D1] = G8(grp2_d1),
	[G_D2] = G8(grp2_d2),
	[G_D3] = G8(grp2_d3),
	[G_F6] = G8(grp3_f6),
	[G_F7] = G8(grp3_f7),
	[G_FE] = G8(grp4_fe),
	[G_FF] = G8(grp5_ff),
	[G_D8] = G8RM(x87_d8_mem, x87_d8_rm),
	[G_D9] = G8RM(x87_d9_mem, x87_d9_rm),
	[G_DA] = G8RM(x87_da_mem, x87_da_rm),
	[G_DB] = G8RM(x87_db_mem, x87_db_rm),
	[G_DC] = G8RM(x87_dc_mem, x87_dc_rm),
	[G_DD] = G8RM(x87_dd_mem, x87_dd_rm),
	[G_DE] = G8RM(x87_de_mem, x87_de_rm),
	[G_DF] = G8RM(x87_df_mem, x87_df_rm),
	[G_0F00] = G8(x86_grp6_0f00),
	[G_0F01] = G8RM(x86_grp7_0f01, x86_grp7_0f01_rm),
	[G_0F0D] = {.mem = {x86_grpp_0f0d}, .reg = {x86_grp_ud}},
	[G_0F18] = {.mem = {x86_grp16_0f18}, .reg = {x86_grp16_0f18_reg}},
	[G_0F71] = {.mem = {x86_grp12_0f71, {x86_grp12_0f71_66}}},
	[G_0F72] = {.mem = {x86_grp13_0f72, {x86_grp13_0f72_66}}},
	[G_0F73] = {.mem = {x86_grp14_0f73, {x86_grp14_0f73_66}}},
	[G_0FAE] = {.mem = {x86_grp15_0fae, {x86_grp15_0fae_66}},
		    .reg = {x86_grp15_0fae_reg}},
	[G_0FBA] = G8(x86_grp8_0fba),
	[G_0FC7] = {.mem = {x86_grp9_0fc7, {x86_grp9_0fc7_66,
					    x86_grp9_0fc7_f3}},
		    .reg = {x86_grp9_0fc7_reg, {NULL, x86_grp9_0fc7_reg_f3}}},
	[G_66_0F78] = {.mem = {x86_grp_0f78_mem}, .reg = {x86_grp_66_0f78_reg}},
	[G_F2_0F78] = {.mem = {x86_grp_0f78_mem}, .reg = {x86_grp_f2_0f78_reg}},
	[G_66_0F79] = {.mem = {x86_grp_0f79_mem}, .reg = {x86_grp_66_0f79_reg}},
	[G_F2_0F79] = {.mem = {x86_grp_0f79_mem}, .reg = {x86_grp_f2_0f79_reg}},
	[G_0FA6] = G8RM(x86_grp_ud, x86_grp_0fa6_rm),
	[G_0FA7] = G8RM(x86_grp_ud, x86_grp_0fa7_rm),
};

/* clang-format on */

/* What the decoder points insn->info at for an invalid instruction. */
const struct x86_opinfo x86_bad_row = UD;
