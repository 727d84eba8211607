/*
 * optable_0f.c - the two-byte opcode map (0F xx, SDM Vol. 2, Table A-3)
 * with its mandatory-prefix variants and its groups (Table A-6).
 *
 * Conventions (sens, STOP, fl_read) are those of optable.c. The 0F map
 * rows name the no-prefix form; a VROW's 66/F3/F2 forms are in the
 * variant tables below at the same opcode. MMX rows (op MMX) become SSE2
 * rows on XMM registers with 66. Rows of extensions the virtual CPU does
 * not offer but which have a well-defined length on some x86 (VMX, SVM,
 * SSE4a, 3DNow!, RTM) are decoded, with X86_F_NOSUP, so that the decoder
 * agrees with real hardware on lengths; what they do is the engines'
 * business (normally #UD per the virtual CPUID).
 */
#include "bt/optable_priv.h"

/* clang-format off */

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

/*
 * MMX instructions Pq, Qq whose 66 form is the same SSE2 instruction on
 * XMM registers: listed once, expanded into both tables.
 */
#define MMX_66(X)                                                            \
	X(0x60, "punpcklbw") X(0x61, "punpcklwd") X(0x62, "punpckldq")       \
	X(0x63, "packsswb") X(0x64, "pcmpgtb") X(0x65, "pcmpgtw")            \
	X(0x66, "pcmpgtd") X(0x67, "packuswb") X(0x68, "punpckhbw")          \
	X(0x69, "punpckhwd") X(0x6a, "punpckhdq") X(0x6b, "packssdw")        \
	X(0x74, "pcmpeqb") X(0x75, "pcmpeqw") X(0x76, "pcmpeqd")             \
	X(0xd1, "psrlw") X(0xd2, "psrld") X(0xd3, "psrlq") X(0xd4, "paddq")  \
	X(0xd5, "pmullw") X(0xd8, "psubusb") X(0xd9, "psubusw")              \
	X(0xda, "pminub") X(0xdb, "pand") X(0xdc, "paddusb")                 \
	X(0xdd, "paddusw") X(0xde, "pmaxub") X(0xdf, "pandn")                \
	X(0xe0, "pavgb") X(0xe1, "psraw") X(0xe2, "psrad") X(0xe3, "pavgw")  \
	X(0xe4, "pmulhuw") X(0xe5, "pmulhw") X(0xe8, "psubsb")               \
	X(0xe9, "psubsw") X(0xea, "pminsw") X(0xeb, "por") X(0xec, "paddsb") \
	X(0xed, "paddsw") X(0xee, "pmaxsw") X(0xef, "pxor") X(0xf1, "psllw") \
	X(0xf2, "pslld") X(0xf3, "psllq") X(0xf4, "pmuludq")                 \
	X(0xf5, "pmaddwd") X(0xf6, "psadbw") X(0xf8, "psubb")                \
	X(0xf9, "psubw") X(0xfa, "psubd") X(0xfb, "psubq") X(0xfc, "paddb")  \
	X(0xfd, "paddw") X(0xfe, "paddd")
#define MMX_ROW(o, nm) [o] = MMX(nm, Pq, Qq, NA),
#define SSE_ROW(o, nm) [o] = SSE(nm, Vx, Wx, NA),

/* Packed-single arithmetic with its pd/ss/sd variants. */
#define PS4(X)                                                               \
	X(0x51, "sqrt") X(0x58, "add") X(0x59, "mul") X(0x5c, "sub")         \
	X(0x5d, "min") X(0x5e, "div") X(0x5f, "max")
#define PS_ROW(o, nm) [o] = SSEV(nm "ps", Vx, Wx, NA),
#define PD_ROW(o, nm) [o] = SSE(nm "pd", Vx, Wx, NA),
#define SS_ROW(o, nm) [o] = SSE(nm "ss", Vx, Wd, NA),
#define SD_ROW(o, nm) [o] = SSE(nm "sd", Vx, Wq, NA),
/* Packed-single logic with a pd variant only. */
#define PS2(X) X(0x54, "and") X(0x55, "andn") X(0x56, "or") X(0x57, "xor")

const x86_rows256 x86_map_0f = {
	[0x00] = GROUP(G_0F00, "grp6"),
	[0x01] = GROUP(G_0F01, "grp7"),
	[0x02] = ROW(LAR, "lar", Gv, Ew, NA, SYSREAD, 0, 0, fZ),
	[0x03] = ROW(LSL, "lsl", Gv, Ew, NA, SYSREAD, 0, 0, fZ),
	[0x04] = UD,
	/* AMD's legacy-mode syscall/sysret (#UD on Intel outside 64-bit) */
	[0x05] = ROW(OTHER, "syscall", NA, NA, NA, FAR, NS | STP, 0, FL16),
	[0x06] = ROW(CLTS, "clts", NA, NA, NA, PRIV, P0, 0, 0),
	[0x07] = ROW(OTHER, "sysret", NA, NA, NA, FAR, NS | STP | P0, 0, FL16),
	[0x08] = ROW(INVD, "invd", NA, NA, NA, PRIV, P0, 0, 0),
	[0x09] = ROW(WBINVD, "wbinvd", NA, NA, NA, PRIV, P0, 0, 0),
	[0x0a] = UD,
	[0x0b] = ROW(UD2, "ud2", NA, NA, NA, UD, STP, 0, 0),
	[0x0c] = UD,
	[0x0d] = GROUP(G_0F0D, "grpp"),
	[0x0e] = ROW(MMX, "femms", NA, NA, NA, FPU, NS, 0, 0),
	/* 3DNow!: ModRM, then the opcode as an imm8 suffix */
	[0x0f] = XROW(EXT_3DNOW, MMX, "3dnow", Pq, Qq, Ib, FPU, NS, 0, 0),
	[0x10] = SSEV("movups", Vx, Wx, NA),
	[0x11] = SSEV("movups", Wx, Vx, NA),
	[0x12] = SSEV("movlps", Vx, Wq, NA), /* mod 3: movhlps */
	[0x13] = SSEV("movlps", Mq, Vx, NA),
	[0x14] = SSEV("unpcklps", Vx, Wx, NA),
	[0x15] = SSEV("unpckhps", Vx, Wx, NA),
	[0x16] = SSEV("movhps", Vx, Wq, NA), /* mod 3: movlhps */
	[0x17] = SSEV("movhps", Mq, Vx, NA),
	[0x18] = GROUP(G_0F18, "grp16"),
	/* Reserved-NOP space (later MPX, CET hints): NOP Ev, any mod. */
	[0x19 ... 0x1f] = ROW(NOP_RM, "nop", Ev, NA, NA, NONE, 0, 0, 0),
	/* mov to/from CR/DR leave OF SF ZF AF PF CF undefined; the r/m
	 * field is a register whatever mod says. */
	[0x20] = ROW(MOV_FROM_CR, "mov", Rd, Cd, NA, PRIV, P0, 0, ARITH),
	[0x21] = ROW(MOV_FROM_DR, "mov", Rd, Dd, NA, PRIV, P0, 0, ARITH),
	[0x22] = ROW(MOV_TO_CR, "mov", Cd, Rd, NA, PRIV, P0 | STP, 0, ARITH),
	[0x23] = ROW(MOV_TO_DR, "mov", Dd, Rd, NA, PRIV, P0 | STP, 0, ARITH),
	[0x24 ... 0x27] = UD,
	[0x28] = SSEV("movaps", Vx, Wx, NA),
	[0x29] = SSEV("movaps", Wx, Vx, NA),
	[0x2a] = SSEV("cvtpi2ps", Vx, Qq, NA),
	[0x2b] = SSEV("movntps", Mdq, Vx, NA),
	[0x2c] = SSEV("cvttps2pi", Pq, Wq, NA),
	[0x2d] = SSEV("cvtps2pi", Pq, Wq, NA),
	[0x2e] = VROW(SSE, "ucomiss", Vx, Wd, NA, FPU, NS, 0, ARITH),
	[0x2f] = VROW(SSE, "comiss", Vx, Wd, NA, FPU, NS, 0, ARITH),
	[0x30] = ROW(WRMSR, "wrmsr", NA, NA, NA, PRIV, P0 | STP, 0, 0),
	[0x31] = ROW(RDTSC, "rdtsc", NA, NA, NA, CPUID, 0, 0, 0),
	[0x32] = ROW(RDMSR, "rdmsr", NA, NA, NA, PRIV, P0, 0, 0),
	[0x33] = ROW(RDPMC, "rdpmc", NA, NA, NA, CPUID, 0, 0, 0),
	[0x34] = ROW(SYSENTER, "sysenter", NA, NA, NA, FAR, STP, 0, fI),
	[0x35] = ROW(SYSEXIT, "sysexit", NA, NA, NA, PRIV, P0 | STP, 0, 0),
	[0x36] = UD,
	[0x37] = OTHER("getsec", NA, NA, PRIV, 0),
	[0x38] = ESC(EXT_0F38, "(0f38)"),
	[0x39] = UD,
	[0x3a] = ESC(EXT_0F3A, "(0f3a)"),
	[0x3b ... 0x3f] = UD,
	CC16(0x40, CMOVCC, "cmov", Gv, Ev, NONE, 0),
	[0x50] = SSEV("movmskps", Gd, Ux, NA),
	PS4(PS_ROW)
	[0x52] = SSEV("rsqrtps", Vx, Wx, NA),
	[0x53] = SSEV("rcpps", Vx, Wx, NA),
	PS2(PS_ROW)
	[0x5a] = SSEV("cvtps2pd", Vx, Wq, NA),
	[0x5b] = SSEV("cvtdq2ps", Vx, Wx, NA),
	MMX_66(MMX_ROW)
	[0x6c] = UDV,
	[0x6d] = UDV,
	[0x6e] = MMX("movd", Pq, Ed, NA),
	[0x6f] = MMX("movq", Pq, Qq, NA),
	[0x70] = MMX("pshufw", Pq, Qq, Ib),
	[0x71] = GROUP(G_0F71, "grp12"),
	[0x72] = GROUP(G_0F72, "grp13"),
	[0x73] = GROUP(G_0F73, "grp14"),
	[0x77] = ROW(MMX, "emms", NA, NA, NA, FPU, NS, 0, 0),
	/* VMX vmread/vmwrite; 66 and F2 select SSE4a extrq/insertq */
	[0x78] = VROW(OTHER, "vmread", Ed, Gd, NA, PRIV, NS | P0, 0, ARITH),
	[0x79] = VROW(OTHER, "vmwrite", Gd, Ed, NA, PRIV, NS | P0, 0, ARITH),
	[0x7a] = UD,
	[0x7b] = UD,
	[0x7c] = UDV,
	[0x7d] = UDV,
	[0x7e] = MMX("movd", Ed, Pq, NA),
	[0x7f] = MMX("movq", Qq, Pq, NA),
	CC16(0x80, JCC, "j", Jz, NA, BRANCH, STP),
	CC16(0x90, SETCC, "set", Eb, NA, NONE, 0),
	[0xa0] = ROW(PUSH_SREG, "push", sFS, NA, NA, SEGREAD, SK | OSZ, 0, 0),
	[0xa1] = ROW(POP_SREG, "pop", sFS, NA, NA, SEGLOAD, SK | OSZ, 0, 0),
	[0xa2] = ROW(CPUID, "cpuid", NA, NA, NA, CPUID, 0, 0, 0),
	/* bt: CF; OF SF AF PF undefined; ZF unchanged */
	[0xa3] = ROW(BT, "bt", Ev, Gv, NA, NONE, 0, 0, fC | fO | fS | fA | fP),
	[0xa4] = ROW(SHLD, "shld", Ev, Gv, Ib, NONE, 0, ARITH, ARITH),
	[0xa5] = ROW(SHLD, "shld", Ev, Gv, CL, NONE, 0, ARITH, ARITH),
	/* VIA PadLock (register forms only) */
	[0xa6] = GROUP(G_0FA6, "padlock"),
	[0xa7] = GROUP(G_0FA7, "padlock"),
	[0xa8] = ROW(PUSH_SREG, "push", sGS, NA, NA, SEGREAD, SK | OSZ, 0, 0),
	[0xa9] = ROW(POP_SREG, "pop", sGS, NA, NA, SEGLOAD, SK | OSZ, 0, 0),
	/* rsm: #UD outside SMM, which the virtual CPU does not have */
	[0xaa] = ROW(OTHER, "rsm", NA, NA, NA, PRIV, NS | STP, 0, FL16),
	[0xab] = ROW(BTS, "bts", Ev, Gv, NA, NONE, LK, 0, fC | fO | fS | fA | fP),
	[0xac] = ROW(SHRD, "shrd", Ev, Gv, Ib, NONE, 0, ARITH, ARITH),
	[0xad] = ROW(SHRD, "shrd", Ev, Gv, CL, NONE, 0, ARITH, ARITH),
	[0xae] = GROUP(G_0FAE, "grp15"),
	[0xaf] = ROW(IMUL2, "imul", Gv, Ev, NA, NONE, 0, 0, ARITH),
	[0xb0] = ROW(CMPXCHG, "cmpxchg", Eb, Gb, NA, NONE, LK, 0, ARITH),
	[0xb1] = ROW(CMPXCHG, "cmpxchg", Ev, Gv, NA, NONE, LK, 0, ARITH),
	[0xb2] = ROW(LSS, "lss", Gv, Mp, NA, SEGLOAD, 0, 0, 0),
	[0xb3] = ROW(BTR, "btr", Ev, Gv, NA, NONE, LK, 0, fC | fO | fS | fA | fP),
	[0xb4] = ROW(LFS, "lfs", Gv, Mp, NA, SEGLOAD, 0, 0, 0),
	[0xb5] = ROW(LGS, "lgs", Gv, Mp, NA, SEGLOAD, 0, 0, 0),
	[0xb6] = ROW(MOVZX, "movzx", Gv, Eb, NA, NONE, 0, 0, 0),
	[0xb7] = ROW(MOVZX, "movzx", Gv, Ew, NA, NONE, 0, 0, 0),
	[0xb8] = UDV, /* jmpe (IA-64); F3: popcnt */
	[0xb9] = ROW(UD2, "ud1", Gv, Ev, NA, UD, STP, 0, 0),
	[0xba] = GROUP(G_0FBA, "grp8"),
	[0xbb] = ROW(BTC, "btc", Ev, Gv, NA, NONE, LK, 0, fC | fO | fS | fA | fP),
	[0xbc] = VROW(BSF, "bsf", Gv, Ev, NA, NONE, 0, 0, ARITH),
	[0xbd] = VROW(BSR, "bsr", Gv, Ev, NA, NONE, 0, 0, ARITH),
	[0xbe] = ROW(MOVSX, "movsx", Gv, Eb, NA, NONE, 0, 0, 0),
	[0xbf] = ROW(MOVSX, "movsx", Gv, Ew, NA, NONE, 0, 0, 0),
	[0xc0] = ROW(XADD, "xadd", Eb, Gb, NA, NONE, LK, 0, ARITH),
	[0xc1] = ROW(XADD, "xadd", Ev, Gv, NA, NONE, LK, 0, ARITH),
	[0xc2] = SSEV("cmpps", Vx, Wx, Ib),
	/* movnti is a mov with a non-temporal hint */
	[0xc3] = ROW(MOV, "movnti", Md, Gd, NA, NONE, 0, 0, 0),
	[0xc4] = MMX("pinsrw", Pq, Ew, Ib),
	[0xc5] = MMX("pextrw", Gd, Nq, Ib),
	[0xc6] = SSEV("shufps", Vx, Wx, Ib),
	[0xc7] = GROUP(G_0FC7, "grp9"),
	[0xc8 ... 0xcf] = ROW(BSWAP, "bswap", Zv, NA, NA, NONE, 0, 0, 0),
	[0xd0] = UDV,
	[0xd6] = UDV,
	[0xd7] = MMX("pmovmskb", Gd, Nq, NA),
	[0xe6] = UDV,
	[0xe7] = MMX("movntq", Mq, Pq, NA),
	[0xf0] = UDV,
	[0xf7] = MMX("maskmovq", Pq, Nq, NA),
	[0xff] = ROW(UD2, "ud0", Gv, Ev, NA, UD, STP, 0, 0),
};

const x86_rows256 x86_map_0f_66 = {
	[0x10] = SSE("movupd", Vx, Wx, NA),
	[0x11] = SSE("movupd", Wx, Vx, NA),
	[0x12] = SSE("movlpd", Vx, Wq, NA),
	[0x13] = SSE("movlpd", Mq, Vx, NA),
	[0x14] = SSE("unpcklpd", Vx, Wx, NA),
	[0x15] = SSE("unpckhpd", Vx, Wx, NA),
	[0x16] = SSE("movhpd", Vx, Wq, NA),
	[0x17] = SSE("movhpd", Mq, Vx, NA),
	[0x28] = SSE("movapd", Vx, Wx, NA),
	[0x29] = SSE("movapd", Wx, Vx, NA),
	[0x2a] = SSE("cvtpi2pd", Vx, Qq, NA),
	[0x2b] = SSE("movntpd", Mdq, Vx, NA),
	[0x2c] = SSE("cvttpd2pi", Pq, Wx, NA),
	[0x2d] = SSE("cvtpd2pi", Pq, Wx, NA),
	[0x2e] = SSEF("ucomisd", Vx, Wq, NA),
	[0x2f] = SSEF("comisd", Vx, Wq, NA),
	[0x50] = SSE("movmskpd", Gd, Ux, NA),
	PS4(PD_ROW)
	PS2(PD_ROW)
	[0x5a] = SSE("cvtpd2ps", Vx, Wx, NA),
	[0x5b] = SSE("cvtps2dq", Vx, Wx, NA),
	MMX_66(SSE_ROW)
	[0x6c] = SSE("punpcklqdq", Vx, Wx, NA),
	[0x6d] = SSE("punpckhqdq", Vx, Wx, NA),
	[0x6e] = SSE("movd", Vx, Ed, NA),
	[0x6f] = SSE("movdqa", Vx, Wx, NA),
	[0x70] = SSE("pshufd", Vx, Wx, Ib),
	[0x78] = GROUP(G_66_0F78, "extrq"),
	[0x79] = GROUP(G_66_0F79, "extrq"),
	[0x7c] = SSE("haddpd", Vx, Wx, NA),
	[0x7d] = SSE("hsubpd", Vx, Wx, NA),
	[0x7e] = SSE("movd", Ed, Vx, NA),
	[0x7f] = SSE("movdqa", Wx, Vx, NA),
	[0xc2] = SSE("cmppd", Vx, Wx, Ib),
	[0xc4] = SSE("pinsrw", Vx, Ew, Ib),
	[0xc5] = SSE("pextrw", Gd, Ux, Ib),
	[0xc6] = SSE("shufpd", Vx, Wx, Ib),
	[0xd0] = SSE("addsubpd", Vx, Wx, NA),
	[0xd6] = SSE("movq", Wq, Vx, NA),
	[0xd7] = SSE("pmovmskb", Gd, Ux, NA),
	[0xe6] = SSE("cvttpd2dq", Vx, Wx, NA),
	[0xe7] = SSE("movntdq", Mdq, Vx, NA),
	[0xf7] = SSE("maskmovdqu", Vx, Ux, NA),
};

const x86_rows256 x86_map_0f_f3 = {
	[0x10] = SSE("movss", Vx, Wd, NA),
	[0x11] = SSE("movss", Wd, Vx, NA),
	[0x12] = SSE("movsldup", Vx, Wx, NA),
	[0x16] = SSE("movshdup", Vx, Wx, NA),
	[0x2a] = SSE("cvtsi2ss", Vx, Ed, NA),
	[0x2b] = SSE("movntss", Md, Vx, NA), /* SSE4a */
	[0x2c] = SSE("cvttss2si", Gd, Wd, NA),
	[0x2d] = SSE("cvtss2si", Gd, Wd, NA),
	PS4(SS_ROW)
	[0x52] = SSE("rsqrtss", Vx, Wd, NA),
	[0x53] = SSE("rcpss", Vx, Wd, NA),
	[0x5a] = SSE("cvtss2sd", Vx, Wd, NA),
	[0x5b] = SSE("cvttps2dq", Vx, Wx, NA),
	[0x6f] = SSE("movdqu", Vx, Wx, NA),
	[0x70] = SSE("pshufhw", Vx, Wx, Ib),
	[0x7e] = SSE("movq", Vx, Wq, NA),
	[0x7f] = SSE("movdqu", Wx, Vx, NA),
	[0xb8] = ROW(POPCNT, "popcnt", Gv, Ev, NA, NONE, 0, 0, ARITH),
	[0xbc] = ROW(TZCNT, "tzcnt", Gv, Ev, NA, NONE, 0, 0, ARITH),
	[0xbd] = ROW(LZCNT, "lzcnt", Gv, Ev, NA, NONE, 0, 0, ARITH),
	[0xc2] = SSE("cmpss", Vx, Wd, Ib),
	[0xd6] = SSE("movq2dq", Vx, Nq, NA),
	[0xe6] = SSE("cvtdq2pd", Vx, Wq, NA),
};

const x86_rows256 x86_map_0f_f2 = {
	[0x10] = SSE("movsd", Vx, Wq, NA),
	[0x11] = SSE("movsd", Wq, Vx, NA),
	[0x12] = SSE("movddup", Vx, Wq, NA),
	[0x2a] = SSE("cvtsi2sd", Vx, Ed, NA),
	[0x2b] = SSE("movntsd", Mq, Vx, NA), /* SSE4a */
	[0x2c] = SSE("cvttsd2si", Gd, Wq, NA),
	[0x2d] = SSE("cvtsd2si", Gd, Wq, NA),
	PS4(SD_ROW)
	[0x5a] = SSE("cvtsd2ss", Vx, Wq, NA),
	[0x70] = SSE("pshuflw", Vx, Wx, Ib),
	[0x78] = GROUP(G_F2_0F78, "insertq"),
	[0x79] = GROUP(G_F2_0F79, "insertq"),
	[0x7c] = SSE("haddps", Vx, Wx, NA),
	[0x7d] = SSE("hsubps", Vx, Wx, NA),
	[0xc2] = SSE("cmpsd", Vx, Wq, Ib),
	[0xd0] = SSE("addsubps", Vx, Wx, NA),
	[0xd6] = SSE("movdq2q", Pq, Ux, NA),
	[0xe6] = SSE("cvtpd2dq", Vx, Wx, NA),
	[0xf0] = SSE("lddqu", Vx, Mdq, NA),
};

/* ---- groups of the 0F map --------------------------------------------- */

/* Group 6. A register destination of sldt/str gets the zero-extended
 * value at the operand size (OSZ); memory is always 16 bits. */
const x86_rows8 x86_grp6_0f00 = {
	ROW(SLDT, "sldt", Ew, NA, NA, SYSREAD, OSZ, 0, 0),
	ROW(STR, "str", Ew, NA, NA, SYSREAD, OSZ, 0, 0),
	ROW(LLDT, "lldt", Ew, NA, NA, PRIV, P0, 0, 0),
	ROW(LTR, "ltr", Ew, NA, NA, PRIV, P0, 0, 0),
	ROW(VERR, "verr", Ew, NA, NA, SYSREAD, 0, 0, fZ),
	ROW(VERW, "verw", Ew, NA, NA, SYSREAD, 0, 0, fZ),
	UD, UD,
};

/* Group 7, memory forms. */
const x86_rows8 x86_grp7_0f01 = {
	/* with a 16-bit operand size only 24 bits of base are loaded */
	ROW(SGDT, "sgdt", Ms, NA, NA, SYSREAD, OSZ, 0, 0),
	ROW(SIDT, "sidt", Ms, NA, NA, SYSREAD, OSZ, 0, 0),
	ROW(LGDT, "lgdt", Ms, NA, NA, PRIV, P0 | OSZ, 0, 0),
	ROW(LIDT, "lidt", Ms, NA, NA, PRIV, P0 | OSZ, 0, 0),
	ROW(SMSW, "smsw", Ew, NA, NA, SYSREAD, OSZ, 0, 0),
	UD,
	ROW(LMSW, "lmsw", Ew, NA, NA, PRIV, P0 | STP, 0, 0),
	ROW(INVLPG, "invlpg", Mb, NA, NA, PRIV, P0, 0, 0),
};

/* Group 7, register forms by ModRM reg:rm (0F 01 C0 ... 0F 01 FF). */
#define SYS(nm, fl) ROW(OTHER, nm, NA, NA, NA, PRIV, NS | MR | (fl), 0, 0)
const x86_rows64 x86_grp7_0f01_rm = {
	[0x00] = UD,
	[0x01] = SYS("vmcall", 0),
	[0x02] = SYS("vmlaunch", P0 | STP),
	[0x03] = SYS("vmresume", P0 | STP),
	[0x04] = SYS("vmxoff", P0),
	[0x05 ... 0x07] = UD,
	[0x08] = SYS("monitor", P0),
	[0x09] = SYS("mwait", P0),
	/* clac/stac change EFLAGS.AC, a virtual flag */
	[0x0a] = ROW(OTHER, "clac", NA, NA, NA, FLAGS, NS | MR | P0, 0, 0),
	[0x0b] = ROW(OTHER, "stac", NA, NA, NA, FLAGS, NS | MR | P0, 0, 0),
	[0x0c ... 0x0e] = UD,
	[0x0f] = SYS("encls", P0),
	/* xgetbv reads XCR0, part of the virtual CPU model */
	[0x10] = ROW(OTHER, "xgetbv", NA, NA, NA, CPUID, NS | MR, 0, 0),
	[0x11] = SYS("xsetbv", P0),
	[0x12 ... 0x13] = UD,
	[0x14] = SYS("vmfunc", 0),
	[0x15] = ROW(OTHER, "xend", NA, NA, NA, NONE, NS | MR, 0, 0),
	[0x16] = ROW(OTHER, "xtest", NA, NA, NA, NONE, NS | MR, 0, ARITH),
	[0x17] = SYS("enclu", 0),
	/* AMD SVM */
	[0x18] = SYS("vmrun", P0 | STP),
	[0x19] = SYS("vmmcall", 0),
	[0x1a] = SYS("vmload", P0),
	[0x1b] = SYS("vmsave", P0),
	[0x1c] = SYS("stgi", P0),
	[0x1d] = SYS("clgi", P0),
	[0x1e] = SYS("skinit", P0 | STP),
	[0x1f] = SYS("invlpga", P0),
	[0x20 ... 0x27] = ROW(SMSW, "smsw", Ev, NA, NA, SYSREAD, 0, 0, 0),
	[0x28 ... 0x2f] = UD,
	[0x30 ... 0x37] = ROW(LMSW, "lmsw", Ew, NA, NA, PRIV, P0 | STP, 0, 0),
	[0x38] = UD, /* swapgs: 64-bit mode only */
	[0x39] = ROW(RDTSCP, "rdtscp", NA, NA, NA, CPUID, MR, 0, 0),
	[0x3a ... 0x3f] = UD,
};

/* 0F 0D: prefetchw (/1); AMD's other hints are not decoded. */
const x86_rows8 x86_grpp_0f0d = {
	UD, ROW(PREFETCH, "prefetchw", Mb, NA, NA, NONE, 0, 0, 0),
	UD, UD, UD, UD, UD, UD,
};
const x86_rows8 x86_grp_ud = {UD, UD, UD, UD, UD, UD, UD, UD};

/* Group 16: prefetch hints; the rest of the space is reserved-NOP. */
const x86_rows8 x86_grp16_0f18 = {
	ROW(PREFETCH, "prefetchnta", Mb, NA, NA, NONE, 0, 0, 0),
	ROW(PREFETCH, "prefetcht0", Mb, NA, NA, NONE, 0, 0, 0),
	ROW(PREFETCH, "prefetcht1", Mb, NA, NA, NONE, 0, 0, 0),
	ROW(PREFETCH, "prefetcht2", Mb, NA, NA, NONE, 0, 0, 0),
	[4 ... 7] = ROW(NOP_RM, "nop", Ev, NA, NA, NONE, 0, 0, 0),
};
const x86_rows8 x86_grp16_0f18_reg = {
	[0 ... 7] = ROW(NOP_RM, "nop", Ev, NA, NA, NONE, 0, 0, 0),
};

/* Groups 12-14: MMX shifts by imm8, XMM with 66; mod 3 only. */
const x86_rows8 x86_grp12_0f71 = {
	UD, UD, MMX("psrlw", Nq, Ib, NA), UD, MMX("psraw", Nq, Ib, NA), UD,
	MMX("psllw", Nq, Ib, NA), UD,
};
const x86_rows8 x86_grp12_0f71_66 = {
	[2] = SSE("psrlw", Ux, Ib, NA), [4] = SSE("psraw", Ux, Ib, NA),
	[6] = SSE("psllw", Ux, Ib, NA),
};
const x86_rows8 x86_grp13_0f72 = {
	UD, UD, MMX("psrld", Nq, Ib, NA), UD, MMX("psrad", Nq, Ib, NA), UD,
	MMX("pslld", Nq, Ib, NA), UD,
};
const x86_rows8 x86_grp13_0f72_66 = {
	[2] = SSE("psrld", Ux, Ib, NA), [4] = SSE("psrad", Ux, Ib, NA),
	[6] = SSE("pslld", Ux, Ib, NA),
};
const x86_rows8 x86_grp14_0f73 = {
	UD, UD, MMX("psrlq", Nq, Ib, NA), UDV, UD, UD,
	MMX("psllq", Nq, Ib, NA), UDV,
};
const x86_rows8 x86_grp14_0f73_66 = {
	[2] = SSE("psrlq", Ux, Ib, NA), [3] = SSE("psrldq", Ux, Ib, NA),
	[6] = SSE("psllq", Ux, Ib, NA), [7] = SSE("pslldq", Ux, Ib, NA),
};

/* Group 15. */
const x86_rows8 x86_grp15_0fae = {
	ROW(FXSAVE, "fxsave", Mx, NA, NA, FPU, NS, 0, 0),
	ROW(FXRSTOR, "fxrstor", Mx, NA, NA, FPU, NS, 0, 0),
	ROW(LDMXCSR, "ldmxcsr", Md, NA, NA, FPU, NS, 0, 0),
	ROW(STMXCSR, "stmxcsr", Md, NA, NA, FPU, NS, 0, 0),
	ROW(OTHER, "xsave", Mx, NA, NA, FPU, NS, 0, 0),
	ROW(OTHER, "xrstor", Mx, NA, NA, FPU, NS, 0, 0),
	VROW(OTHER, "xsaveopt", Mx, NA, NA, FPU, NS, 0, 0),
	VROW(CLFLUSH, "clflush", Mb, NA, NA, NONE, 0, 0, 0),
};
/* CLWB and CLFLUSHOPT: #UD without their CPUID bits (the model has
 * neither), as the SDM and QEMU say. */
const x86_rows8 x86_grp15_0fae_66 = {
	[6] = ROW(OTHER, "clwb", Mb, NA, NA, NONE, NS, 0, 0),
	[7] = ROW(OTHER, "clflushopt", Mb, NA, NA, NONE, NS, 0, 0),
};
/* Register forms: fences (any rm); F3 /0-/3 (rd/wrfsbase...) are
 * 64-bit only. */
const x86_rows8 x86_grp15_0fae_reg = {
	UD, UD, UD, UD, UD,
	ROW(FENCE, "lfence", NA, NA, NA, NONE, MR, 0, 0),
	ROW(FENCE, "mfence", NA, NA, NA, NONE, MR, 0, 0),
	ROW(FENCE, "sfence", NA, NA, NA, NONE, MR, 0, 0),
};

/* Group 8: bt* Ev, Ib. */
const x86_rows8 x86_grp8_0fba = {
	UD, UD, UD, UD,
	ROW(BT, "bt", Ev, Ib, NA, NONE, 0, 0, fC | fO | fS | fA | fP),
	ROW(BTS, "bts", Ev, Ib, NA, NONE, LK, 0, fC | fO | fS | fA | fP),
	ROW(BTR, "btr", Ev, Ib, NA, NONE, LK, 0, fC | fO | fS | fA | fP),
	ROW(BTC, "btc", Ev, Ib, NA, NONE, LK, 0, fC | fO | fS | fA | fP),
};

/* Group 9, memory forms. */
const x86_rows8 x86_grp9_0fc7 = {
	UD,
	ROW(CMPXCHG8B, "cmpxchg8b", Mq, NA, NA, NONE, LK, 0, fZ),
	UD,
	ROW(OTHER, "xrstors", Mx, NA, NA, PRIV, NS | P0, 0, 0),
	ROW(OTHER, "xsavec", Mx, NA, NA, FPU, NS, 0, 0),
	ROW(OTHER, "xsaves", Mx, NA, NA, PRIV, NS | P0, 0, 0),
	VROW(OTHER, "vmptrld", Mq, NA, NA, PRIV, NS | P0, 0, ARITH),
	ROW(OTHER, "vmptrst", Mq, NA, NA, PRIV, NS | P0, 0, ARITH),
};
const x86_rows8 x86_grp9_0fc7_66 = {
	[6] = ROW(OTHER, "vmclear", Mq, NA, NA, PRIV, NS | P0, 0, ARITH),
};
const x86_rows8 x86_grp9_0fc7_f3 = {
	[6] = ROW(OTHER, "vmxon", Mq, NA, NA, PRIV, NS | P0, 0, ARITH),
};
/* Group 9, register forms: rdrand/rdseed set CF and clear OF SF ZF AF
 * PF; F3 /7 is rdpid (reads IA32_TSC_AUX, part of the CPU model). */
const x86_rows8 x86_grp9_0fc7_reg = {
	UD, UD, UD, UD, UD, UD,
	ROW(OTHER, "rdrand", Ev, NA, NA, NONE, NS, 0, ARITH),
	VROW(OTHER, "rdseed", Ev, NA, NA, NONE, NS, 0, ARITH),
};
const x86_rows8 x86_grp9_0fc7_reg_f3 = {
	[7] = ROW(OTHER, "rdpid", Ed, NA, NA, CPUID, NS, 0, 0),
};

/*
 * 0F 78/79 with 66 or F2: SSE4a extrq/insertq, which exist only with
 * mod 3; a memory form is still vmread/vmwrite (the prefix ignored).
 */
#define VMREAD ROW(OTHER, "vmread", Ed, Gd, NA, PRIV, NS | P0, 0, ARITH)
#define VMWRITE ROW(OTHER, "vmwrite", Gd, Ed, NA, PRIV, NS | P0, 0, ARITH)
const x86_rows8 x86_grp_0f78_mem = {[0 ... 7] = VMREAD};
const x86_rows8 x86_grp_0f79_mem = {[0 ... 7] = VMWRITE};
/* extrq xmm, imm8, imm8 (/0); insertq xmm, xmm, imm8, imm8 */
const x86_rows8 x86_grp_66_0f78_reg = {
	ROW_IMM2(SSE, "extrq", Ux, Ib, NA, FPU, NS, 0, 0),
	UD, UD, UD, UD, UD, UD, UD,
};
const x86_rows8 x86_grp_f2_0f78_reg = {
	[0 ... 7] = ROW_IMM2(SSE, "insertq", Vx, Ux, Ib, FPU, NS, 0, 0),
};
const x86_rows8 x86_grp_66_0f79_reg = {
	[0 ... 7] = SSE("extrq", Vx, Ux, NA),
};
const x86_rows8 x86_grp_f2_0f79_reg = {
	[0 ... 7] = SSE("insertq", Vx, Ux, NA),
};

/* VIA PadLock: string-like operations on implicit registers and memory
 * (ES:EDI, DS:ESI, ECX), normally with F3. */
#define PADLOCK(nm) ROW(OTHER, nm, NA, NA, NA, NONE, NS | MR, 0, 0)
const x86_rows64 x86_grp_0fa6_rm = {
	[0x00] = PADLOCK("montmul"), [0x08] = PADLOCK("xsha1"),
	[0x10] = PADLOCK("xsha256"),
};
const x86_rows64 x86_grp_0fa7_rm = {
	[0x00] = PADLOCK("xstore"), [0x08] = PADLOCK("xcryptecb"),
	[0x10] = PADLOCK("xcryptcbc"), [0x18] = PADLOCK("xcryptctr"),
	[0x20] = PADLOCK("xcryptcfb"), [0x28] = PADLOCK("xcryptofb"),
};

/* clang-format on */
