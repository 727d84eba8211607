/*
 * optable_sse.c - the three-byte maps 0F 38 and 0F 3A (SDM Vol. 2, Tables
 * SSSE3, SSE4.1/4.2, AES, SHA, and the few integer
 * instructions that live there (movbe, crc32, adcx/adox, invpcid).
 *
 * Every 0F 3A instruction has an imm8. Rows that exist only with a 66
 * prefix are UDV in the no-prefix table; rows not written at all are
 * undefined opcodes (an all-zero row is op INVALID). Conventions are
 * those of optable.c.
 */
#include "bt/optable_priv.h"

/* clang-format off */

/* SSSE3: MMX form without prefix, XMM form with 66. */
#define SSSE3(X)                                                             \
	X(0x00, "pshufb") X(0x01, "phaddw") X(0x02, "phaddd")                \
	X(0x03, "phaddsw") X(0x04, "pmaddubsw") X(0x05, "phsubw")            \
	X(0x06, "phsubd") X(0x07, "phsubsw") X(0x08, "psignb")               \
	X(0x09, "psignw") X(0x0a, "psignd") X(0x0b, "pmulhrsw")              \
	X(0x1c, "pabsb") X(0x1d, "pabsw") X(0x1e, "pabsd")
/* SSE4.1/4.2, AES: 66 only, Vx, Wx. */
#define SSE4_66(X)                                                           \
	X(0x10, "pblendvb") X(0x14, "blendvps") X(0x15, "blendvpd")          \
	X(0x20, "pmovsxbw") X(0x21, "pmovsxbd") X(0x22, "pmovsxbq")          \
	X(0x23, "pmovsxwd") X(0x24, "pmovsxwq") X(0x25, "pmovsxdq")          \
	X(0x28, "pmuldq") X(0x29, "pcmpeqq") X(0x2b, "packusdw")             \
	X(0x30, "pmovzxbw") X(0x31, "pmovzxbd") X(0x32, "pmovzxbq")          \
	X(0x33, "pmovzxwd") X(0x34, "pmovzxwq") X(0x35, "pmovzxdq")          \
	X(0x37, "pcmpgtq") X(0x38, "pminsb") X(0x39, "pminsd")               \
	X(0x3a, "pminuw") X(0x3b, "pminud") X(0x3c, "pmaxsb")                \
	X(0x3d, "pmaxsd") X(0x3e, "pmaxuw") X(0x3f, "pmaxud")                \
	X(0x40, "pmulld") X(0x41, "phminposuw") X(0xdb, "aesimc")            \
	X(0xdc, "aesenc") X(0xdd, "aesenclast") X(0xde, "aesdec")            \
	X(0xdf, "aesdeclast")
/* SHA: no prefix. */
#define SHA(X)                                                               \
	X(0xc8, "sha1nexte") X(0xc9, "sha1msg1") X(0xca, "sha1msg2")         \
	X(0xcb, "sha256rnds2") X(0xcc, "sha256msg1") X(0xcd, "sha256msg2")

#define MMX_ROW(o, nm) [o] = MMX(nm, Pq, Qq, NA),
#define SSE_ROW(o, nm) [o] = SSE(nm, Vx, Wx, NA),
#define UDV_ROW(o, nm) [o] = UDV,

const x86_rows256 x86_map_0f38 = {
	SSSE3(MMX_ROW)
	SSE4_66(UDV_ROW)
	[0x17] = UDV,
	[0x2a] = UDV,
	[0x80 ... 0x82] = UDV,
	SHA(SSE_ROW)
	/* movbe: 66 makes it 16-bit, F3 is ignored; F2 selects crc32 */
	[0xf0] = VROW(MOVBE, "movbe", Gv, Mv, NA, NONE, 0, 0, 0),
	[0xf1] = VROW(MOVBE, "movbe", Mv, Gv, NA, NONE, 0, 0, 0),
	[0xf6] = UDV,
};

const x86_rows256 x86_map_0f38_66 = {
	SSSE3(SSE_ROW)
	SSE4_66(SSE_ROW)
	[0x17] = SSEF("ptest", Vx, Wx, NA),
	[0x2a] = SSE("movntdqa", Vx, Mdq, NA),
	/* VMX/process-context invalidations: #UD unless enabled */
	[0x80] = OTHER("invept", Gd, Mdq, PRIV, P0),
	[0x81] = OTHER("invvpid", Gd, Mdq, PRIV, P0),
	[0x82] = OTHER("invpcid", Gd, Mdq, PRIV, P0),
	[0xf6] = ROW(OTHER, "adcx", Gd, Ed, NA, NONE, NS, fC, fC),
};

const x86_rows256 x86_map_0f38_f3 = {
	[0xf6] = ROW(OTHER, "adox", Gd, Ed, NA, NONE, NS, fO, fO),
};

const x86_rows256 x86_map_0f38_f2 = {
	[0xf0] = ROW(OTHER, "crc32", Gd, Eb, NA, NONE, NS, 0, 0),
	[0xf1] = ROW(OTHER, "crc32", Gd, Ev, NA, NONE, NS, 0, 0),
};

/* 0F 3A: everything takes an imm8. */
#define SSE4I_66(X)                                                          \
	X(0x08, "roundps", Vx, Wx) X(0x09, "roundpd", Vx, Wx)                \
	X(0x0a, "roundss", Vx, Wd) X(0x0b, "roundsd", Vx, Wq)                \
	X(0x0c, "blendps", Vx, Wx) X(0x0d, "blendpd", Vx, Wx)                \
	X(0x0e, "pblendw", Vx, Wx) X(0x14, "pextrb", Eb, Vx)                 \
	X(0x15, "pextrw", Ew, Vx) X(0x16, "pextrd", Ed, Vx)                  \
	X(0x17, "extractps", Ed, Vx) X(0x20, "pinsrb", Vx, Eb)               \
	X(0x21, "insertps", Vx, Wd) X(0x22, "pinsrd", Vx, Ed)                \
	X(0x40, "dpps", Vx, Wx) X(0x41, "dppd", Vx, Wx)                      \
	X(0x42, "mpsadbw", Vx, Wx) X(0x44, "pclmulqdq", Vx, Wx)              \
	X(0xdf, "aeskeygenassist", Vx, Wx)
/* SSE4.2 string compares write all arithmetic flags. */
#define PCMPSTR(X)                                                           \
	X(0x60, "pcmpestrm") X(0x61, "pcmpestri") X(0x62, "pcmpistrm")       \
	X(0x63, "pcmpistri")
#define SSEI_ROW(o, nm, a, b) [o] = SSE(nm, a, b, Ib),
#define UDVI_ROW(o, nm, a, b) [o] = UDV,
#define PCMP_ROW(o, nm) [o] = ROW(SSE, nm, Vx, Wx, Ib, FPU, NS, 0, ARITH),
#define UDV1_ROW(o, nm) [o] = UDV,

const x86_rows256 x86_map_0f3a = {
	SSE4I_66(UDVI_ROW)
	PCMPSTR(UDV1_ROW)
	[0x0f] = MMX("palignr", Pq, Qq, Ib),
	[0xcc] = SSE("sha1rnds4", Vx, Wx, Ib),
};

const x86_rows256 x86_map_0f3a_66 = {
	SSE4I_66(SSEI_ROW)
	PCMPSTR(PCMP_ROW)
	[0x0f] = SSE("palignr", Vx, Wx, Ib),
};

/* clang-format on */
