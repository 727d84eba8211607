/*
 * string - the string instructions: movs, stos, lods, cmps, scas (and ins,
 * outs on the UART) in byte, word and dword forms, with rep/repe/repne,
 * DF = 0 and DF = 1, ECX = 0, overlapping copies, the flags left by cmps
 * and scas, a segment override on the source, and 16-bit address size
 * (0x67: SI, DI and CX, wrapping at 64 KiB).
 *
 * Every result (registers, memory, flags) is checked against known
 * answers; only architecturally defined flags are compared.
 */
#include "guest.h"

/* Buffers for 16-bit addressing must sit below 64 KiB (DS base 0). */
#define LOW_BUF 0x2000u

struct regs {
	uint32_t esi, edi, ecx, eax, flags;
};

static uint8_t a[256], b[256];

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i * 3);
}

static void test_movs(void)
{
	struct regs r;
	int ok;

	section("movs");
	fill(a, sizeof(a), 1);
	memset(b, 0, sizeof(b));
	r.esi = (uint32_t)a;
	r.edi = (uint32_t)b;
	r.ecx = 100;
	__asm__ volatile("cld; rep movsb"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 :
			 : "memory");
	CHECK(!memcmp(a, b, 100) && b[100] == 0, "rep movsb copies 100 bytes");
	CHECK(r.esi == (uint32_t)a + 100 && r.edi == (uint32_t)b + 100 &&
		      r.ecx == 0,
	      "rep movsb: ESI, EDI advanced, ECX 0");

	memset(b, 0, sizeof(b));
	r.esi = (uint32_t)a;
	r.edi = (uint32_t)b;
	r.ecx = 10;
	__asm__ volatile("cld; rep movsw"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 :
			 : "memory");
	CHECK(!memcmp(a, b, 20) && b[20] == 0 && r.esi == (uint32_t)a + 20 &&
		      r.edi == (uint32_t)b + 20,
	      "rep movsw copies 10 words");

	memset(b, 0, sizeof(b));
	r.esi = (uint32_t)a + 1; /* misaligned on purpose */
	r.edi = (uint32_t)b + 3;
	r.ecx = 7;
	__asm__ volatile("cld; rep movsl"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 :
			 : "memory");
	CHECK(!memcmp(a + 1, b + 3, 28) && b[2] == 0 && b[31] == 0 &&
		      r.esi == (uint32_t)a + 29 && r.edi == (uint32_t)b + 31,
	      "rep movsl, misaligned, copies 7 dwords");

	/* DF = 1: from the last element down. */
	memset(b, 0, sizeof(b));
	r.esi = (uint32_t)a + 99;
	r.edi = (uint32_t)b + 99;
	r.ecx = 50;
	__asm__ volatile("std; rep movsb; cld"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 :
			 : "memory");
	CHECK(!memcmp(a + 50, b + 50, 50) && b[49] == 0 &&
		      r.esi == (uint32_t)a + 49 && r.edi == (uint32_t)b + 49,
	      "std; rep movsb copies downwards");

	memset(b, 0, sizeof(b));
	r.esi = (uint32_t)a + 36;
	r.edi = (uint32_t)b + 36;
	r.ecx = 4;
	__asm__ volatile("std; rep movsl; cld"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 :
			 : "memory");
	CHECK(!memcmp(a + 24, b + 24, 16) && b[23] == 0 && b[40] == 0 &&
		      r.esi == (uint32_t)a + 20 && r.edi == (uint32_t)b + 20,
	      "std; rep movsl copies dwords downwards");

	/* ECX = 0: nothing moves, nothing changes. */
	memset(b, 0, sizeof(b));
	r.esi = (uint32_t)a;
	r.edi = (uint32_t)b;
	r.ecx = 0;
	__asm__ volatile("cld; rep movsb"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 :
			 : "memory");
	CHECK(b[0] == 0 && r.esi == (uint32_t)a && r.edi == (uint32_t)b &&
		      r.ecx == 0,
	      "rep movsb with ECX = 0 does nothing");

	/* Without rep: exactly one element. */
	r.esi = (uint32_t)a;
	r.edi = (uint32_t)b;
	r.ecx = 1234;
	__asm__ volatile("cld; movsl"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 :
			 : "memory");
	CHECK(!memcmp(a, b, 4) && b[4] == 0 && r.ecx == 1234 &&
		      r.esi == (uint32_t)a + 4,
	      "movsl without rep moves one dword, ECX untouched");

	/* Overlap, forward, dst = src + 1: byte semantics smear a[0]. */
	fill(a, sizeof(a), 1);
	r.esi = (uint32_t)a;
	r.edi = (uint32_t)a + 1;
	r.ecx = 16;
	__asm__ volatile("cld; rep movsb"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 :
			 : "memory");
	ok = 1;
	for (int i = 0; i <= 16; i++)
		ok &= a[i] == 1;
	CHECK(ok && a[17] == (uint8_t)(1 + 17 * 3),
	      "overlapping rep movsb (dst = src + 1) repeats the first byte");

	/* Overlap, forward, dst = src + 4 with dwords: period-4 pattern. */
	fill(a, sizeof(a), 1);
	r.esi = (uint32_t)a;
	r.edi = (uint32_t)a + 4;
	r.ecx = 8;
	__asm__ volatile("cld; rep movsl"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 :
			 : "memory");
	ok = 1;
	for (int i = 0; i < 36; i++)
		ok &= a[i] == (uint8_t)(1 + (i % 4) * 3);
	CHECK(ok, "overlapping rep movsl (dst = src + 4) repeats a dword");

	/* Overlap, backward (memmove to a higher address). */
	fill(a, sizeof(a), 1);
	r.esi = (uint32_t)a + 19;
	r.edi = (uint32_t)a + 29;
	r.ecx = 20;
	__asm__ volatile("std; rep movsb; cld"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 :
			 : "memory");
	ok = 1;
	for (int i = 0; i < 20; i++)
		ok &= a[10 + i] == (uint8_t)(1 + i * 3);
	CHECK(ok, "overlapping std; rep movsb moves the block up intact");
}

static void test_stos_lods(void)
{
	struct regs r;
	int ok = 1;

	section("stos and lods");
	memset(b, 0, sizeof(b));
	r.edi = (uint32_t)b;
	r.ecx = 33;
	r.eax = 0xa5;
	__asm__ volatile("cld; rep stosb"
			 : "+D"(r.edi), "+c"(r.ecx)
			 : "a"(r.eax)
			 : "memory");
	for (int i = 0; i < 33; i++)
		ok &= b[i] == 0xa5;
	CHECK(ok && b[33] == 0 && r.edi == (uint32_t)b + 33 && r.ecx == 0,
	      "rep stosb fills 33 bytes");

	memset(b, 0, sizeof(b));
	r.edi = (uint32_t)b + 2;
	r.ecx = 3;
	__asm__ volatile("cld; rep stosw"
			 : "+D"(r.edi), "+c"(r.ecx)
			 : "a"(0x1234)
			 : "memory");
	CHECK(b[1] == 0 && b[2] == 0x34 && b[3] == 0x12 && b[6] == 0x34 &&
		      b[7] == 0x12 && b[8] == 0 && r.edi == (uint32_t)b + 8,
	      "rep stosw stores little-endian words");

	memset(b, 0, sizeof(b));
	r.edi = (uint32_t)b + 12;
	r.ecx = 3;
	__asm__ volatile("std; rep stosl; cld"
			 : "+D"(r.edi), "+c"(r.ecx)
			 : "a"(0xdeadbeef)
			 : "memory");
	CHECK(*(uint32_t *)(b + 4) == 0xdeadbeef &&
		      *(uint32_t *)(b + 8) == 0xdeadbeef &&
		      *(uint32_t *)(b + 12) == 0xdeadbeef && b[3] == 0 &&
		      b[16] == 0 && r.edi == (uint32_t)b,
	      "std; rep stosl fills downwards");

	fill(a, sizeof(a), 7);
	r.esi = (uint32_t)a;
	r.eax = 0xffffff00;
	__asm__ volatile("cld; lodsb" : "+S"(r.esi), "+a"(r.eax));
	CHECK(r.eax == 0xffffff07 && r.esi == (uint32_t)a + 1,
	      "lodsb loads AL only and advances ESI");
	r.esi = (uint32_t)a;
	r.eax = 0xffff0000;
	__asm__ volatile("cld; lodsw" : "+S"(r.esi), "+a"(r.eax));
	CHECK(r.eax == 0xffff0a07 && r.esi == (uint32_t)a + 2,
	      "lodsw loads AX only");
	r.esi = (uint32_t)a + 4;
	__asm__ volatile("std; lodsl; cld" : "+S"(r.esi), "=a"(r.eax));
	CHECK(r.eax == 0x1c191613 && r.esi == (uint32_t)a,
	      "std; lodsl loads EAX and steps ESI back");
	r.esi = (uint32_t)a;
	r.ecx = 5;
	__asm__ volatile("cld; rep lodsb"
			 : "+S"(r.esi), "+c"(r.ecx), "=a"(r.eax)
			 : "a"(0));
	CHECK((r.eax & 0xff) == 19 && r.ecx == 0 && r.esi == (uint32_t)a + 5,
	      "rep lodsb leaves the last byte in AL");
}

#define FLAGS_OUT "pushfl; popl %[fl]"

static void test_cmps(void)
{
	static const char s1[] = "abcdefgh", s2[] = "abcdXfgh";
	static const uint8_t hi[] = {0x80}, lo[] = {0x01};
	struct regs r;

	section("cmps");
	r.esi = (uint32_t)s1;
	r.edi = (uint32_t)s2;
	r.ecx = 8;
	__asm__ volatile("cld; repe cmpsb; " FLAGS_OUT
			 : "+S"(r.esi), "+D"(r.edi),
			   "+c"(r.ecx), [fl] "=r"(r.flags)
			 :
			 : "cc");
	CHECK(r.ecx == 3 && r.esi == (uint32_t)s1 + 5 &&
		      r.edi == (uint32_t)s2 + 5,
	      "repe cmpsb stops after the first mismatch");
	/* 'e' - 'X' = 0x65 - 0x58 = 0x0d, with a borrow from bit 4 */
	CHECK_EQ(r.flags & FL_ARITH, FL_AF, "flags of 'e' - 'X': AF only");

	r.esi = (uint32_t)s1;
	r.edi = (uint32_t)s1;
	r.ecx = 8;
	__asm__ volatile("cld; repe cmpsb; " FLAGS_OUT
			 : "+S"(r.esi), "+D"(r.edi),
			   "+c"(r.ecx), [fl] "=r"(r.flags)
			 :
			 : "cc");
	CHECK(r.ecx == 0 && (r.flags & FL_ZF),
	      "repe cmpsb over equal strings: ECX 0, ZF 1");
	CHECK_EQ(r.flags & FL_ARITH, FL_ZF | FL_PF, "equal: ZF and PF only");

	r.esi = (uint32_t)s1;
	r.edi = (uint32_t)s2;
	r.ecx = 8;
	__asm__ volatile("cld; repne cmpsb; " FLAGS_OUT
			 : "+S"(r.esi), "+D"(r.edi),
			   "+c"(r.ecx), [fl] "=r"(r.flags)
			 :
			 : "cc");
	CHECK(r.ecx == 7 && (r.flags & FL_ZF),
	      "repne cmpsb stops at the first equal byte");

	r.esi = (uint32_t) "a";
	r.edi = (uint32_t) "b";
	__asm__ volatile("cld; cmpsb; " FLAGS_OUT
			 : "+S"(r.esi), "+D"(r.edi), [fl] "=r"(r.flags)
			 :
			 : "cc");
	CHECK_EQ(r.flags & FL_ARITH, FL_CF | FL_SF | FL_AF | FL_PF,
		 "cmpsb 'a' - 'b': CF SF AF PF");
	r.esi = (uint32_t)hi;
	r.edi = (uint32_t)lo;
	__asm__ volatile("cld; cmpsb; " FLAGS_OUT
			 : "+S"(r.esi), "+D"(r.edi), [fl] "=r"(r.flags)
			 :
			 : "cc");
	CHECK_EQ(r.flags & FL_ARITH, FL_OF | FL_AF,
		 "cmpsb 0x80 - 0x01: OF AF (signed overflow)");

	{
		static const uint16_t w1[] = {1, 2, 0x8000},
				      w2[] = {1, 2, 0x0001};
		r.esi = (uint32_t)w1;
		r.edi = (uint32_t)w2;
		r.ecx = 3;
		__asm__ volatile("cld; repe cmpsw; " FLAGS_OUT
				 : "+S"(r.esi), "+D"(r.edi),
				   "+c"(r.ecx), [fl] "=r"(r.flags)
				 :
				 : "cc");
		CHECK(r.ecx == 0 && r.esi == (uint32_t)w1 + 6,
		      "repe cmpsw: mismatch on the last word");
		CHECK_EQ(r.flags & FL_ARITH, FL_OF | FL_PF | FL_AF,
			 "cmpsw 0x8000 - 0x0001: OF PF AF");
	}
	{
		static const uint32_t d1[] = {5, 7}, d2[] = {5, 9};
		r.esi = (uint32_t)d1 + 4;
		r.edi = (uint32_t)d2 + 4;
		r.ecx = 2;
		__asm__ volatile("std; repe cmpsl; cld; " FLAGS_OUT
				 : "+S"(r.esi), "+D"(r.edi),
				   "+c"(r.ecx), [fl] "=r"(r.flags)
				 :
				 : "cc");
		CHECK(r.ecx == 1 && r.esi == (uint32_t)d1,
		      "std; repe cmpsl stops at once on a mismatch");
		CHECK_EQ(r.flags & FL_ARITH, FL_CF | FL_SF | FL_AF,
			 "cmpsl 7 - 9: CF SF AF");
	}

	/* ECX = 0: no comparison, flags untouched. */
	r.esi = (uint32_t)s1;
	r.edi = (uint32_t)s2;
	r.ecx = 0;
	__asm__ volatile("xorl %%eax, %%eax\n\t" /* ZF PF set */
			 "stc\n\t"
			 "repe cmpsb\n\t" FLAGS_OUT
			 : "+S"(r.esi), "+D"(r.edi),
			   "+c"(r.ecx), [fl] "=r"(r.flags)
			 :
			 : "eax", "cc");
	/* (AF is undefined after xor) */
	CHECK_EQ(r.flags & (FL_ARITH & ~FL_AF), FL_ZF | FL_PF | FL_CF,
		 "repe cmpsb with ECX = 0 leaves the flags");
	CHECK(r.esi == (uint32_t)s1 && r.edi == (uint32_t)s2,
	      "repe cmpsb with ECX = 0 leaves ESI, EDI");
}

static void test_scas(void)
{
	static const char text[] = "hello, world";
	struct regs r;

	section("scas");
	r.edi = (uint32_t)text;
	r.ecx = 0xffffffff;
	__asm__ volatile("cld; repne scasb; " FLAGS_OUT
			 : "+D"(r.edi), "+c"(r.ecx), [fl] "=r"(r.flags)
			 : "a"(0)
			 : "cc");
	CHECK_EQ(~r.ecx - 1, 12, "repne scasb finds the terminator (strlen)");
	CHECK_EQ(r.edi, (uint32_t)text + 13, "EDI is one past the match");
	CHECK(r.flags & FL_ZF, "ZF set on the match");

	r.edi = (uint32_t)text;
	r.ecx = 5;
	__asm__ volatile("cld; repne scasb; " FLAGS_OUT
			 : "+D"(r.edi), "+c"(r.ecx), [fl] "=r"(r.flags)
			 : "a"('w')
			 : "cc");
	CHECK(r.ecx == 0 && !(r.flags & FL_ZF) && r.edi == (uint32_t)text + 5,
	      "repne scasb runs out of ECX without a match");
	/* last compare: 'w' (0x77) - 'o' (0x6f) = 0x08 */
	CHECK_EQ(r.flags & FL_ARITH, FL_AF, "flags of 'w' - 'o': AF only");

	r.edi = (uint32_t) "aaab";
	r.ecx = 4;
	__asm__ volatile("cld; repe scasb; " FLAGS_OUT
			 : "+D"(r.edi), "+c"(r.ecx), [fl] "=r"(r.flags)
			 : "a"('a')
			 : "cc");
	CHECK(r.ecx == 0 && !(r.flags & FL_ZF),
	      "repe scasb stops on the first different byte");
	CHECK_EQ(r.flags & FL_ARITH, FL_CF | FL_SF | FL_AF | FL_PF,
		 "flags of 'a' - 'b': CF SF AF PF");

	{
		static const uint32_t d[] = {1, 2, 3, 0x80000000u};
		r.edi = (uint32_t)d;
		r.ecx = 4;
		__asm__ volatile("cld; repne scasl; " FLAGS_OUT
				 : "+D"(r.edi), "+c"(r.ecx), [fl] "=r"(r.flags)
				 : "a"(3)
				 : "cc");
		CHECK(r.ecx == 1 && r.edi == (uint32_t)d + 12 &&
			      (r.flags & FL_ZF),
		      "repne scasl finds a dword");
		r.edi = (uint32_t)&d[3];
		__asm__ volatile("cld; scasl; " FLAGS_OUT
				 : "+D"(r.edi), [fl] "=r"(r.flags)
				 : "a"(0)
				 : "cc");
		CHECK_EQ(r.flags & FL_ARITH, FL_CF | FL_SF | FL_PF | FL_OF,
			 "scasl 0 - 0x80000000: CF SF PF OF");
		r.edi = (uint32_t)&d[1];
		__asm__ volatile("std; scasw; cld; " FLAGS_OUT
				 : "+D"(r.edi), [fl] "=r"(r.flags)
				 : "a"(2)
				 : "cc");
		CHECK(r.edi == (uint32_t)&d[1] - 2 && (r.flags & FL_ZF),
		      "std; scasw matches and steps EDI back by 2");
	}
}

static void test_addr16(void)
{
	uint8_t *low = (uint8_t *)LOW_BUF;
	struct regs r;

	section("16-bit address size (0x67)");
	fill(low, 64, 9);
	memset(low + 0x100, 0, 64);
	r.esi = 0xabcd0000u | LOW_BUF;
	r.edi = 0x12340000u | (LOW_BUF + 0x100);
	r.ecx = 0x77770010u;
	__asm__ volatile("cld; addr16 rep movsb"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 :
			 : "memory");
	CHECK(!memcmp(low, low + 0x100, 16) && low[0x110] == 0,
	      "addr16 rep movsb copies CX bytes");
	CHECK(r.esi == (0xabcd0000u | (LOW_BUF + 16)) &&
		      r.edi == (0x12340000u | (LOW_BUF + 0x110)),
	      "addr16: only SI and DI advance, upper halves kept");
	CHECK_EQ(r.ecx, 0x77770000u, "addr16: CX counts, upper ECX kept");

	/* SI and DI wrap from 0xffff to 0 (DS base 0). */
	*phys8(0xfffe) = 0x11;
	*phys8(0xffff) = 0x22;
	{
		uint8_t save[2] = {*phys8(0), *phys8(1)};

		*phys8(0) = 0x33;
		*phys8(1) = 0x44;
		r.esi = 0x0000fffe;
		r.edi = LOW_BUF + 0x200;
		r.ecx = 4;
		__asm__ volatile("cld; addr16 rep movsb"
				 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
				 :
				 : "memory");
		CHECK(low[0x200] == 0x11 && low[0x201] == 0x22 &&
			      low[0x202] == 0x33 && low[0x203] == 0x44,
		      "addr16: SI wraps from 0xffff to 0");
		CHECK_EQ(r.esi, 2, "addr16: SI is 2 after the wrap");
		*phys8(0) = save[0];
		*phys8(1) = save[1];
	}

	r.edi = 0x5555fff0u;
	r.ecx = 0x3;
	__asm__ volatile("std; addr16 rep stosb; cld"
			 : "+D"(r.edi), "+c"(r.ecx)
			 : "a"(0x66)
			 : "memory");
	CHECK(*phys8(0xfff0) == 0x66 && *phys8(0xffee) == 0x66 &&
		      r.edi == 0x5555ffedu,
	      "std; addr16 rep stosb steps DI down");

	r.esi = LOW_BUF;
	r.edi = LOW_BUF + 0x100;
	r.ecx = 0xffff0010u;
	__asm__ volatile("cld; addr16 repe cmpsb; " FLAGS_OUT
			 : "+S"(r.esi), "+D"(r.edi),
			   "+c"(r.ecx), [fl] "=r"(r.flags)
			 :
			 : "cc");
	CHECK(r.ecx == 0xffff0000u && (r.flags & FL_ZF),
	      "addr16 repe cmpsb over equal bytes ends with CX 0");
}

static void test_segment_override(void)
{
	uint8_t *dst = b;
	struct regs r;

	section("segment override on the source");
	fill(a, sizeof(a), 40);
	memset(b, 0, sizeof(b));
	/* FS based at a - 0x1000: offset 0x1000 in FS is a[0]. */
	gdt_set(GDT_FIRST_FREE,
		seg_desc((uint32_t)a - 0x1000, 0xfffff, DESC_DATA_RW,
			 DESC_FLAG_G | DESC_FLAG_DB));
	r.esi = 0x1000;
	r.edi = (uint32_t)dst;
	r.ecx = 12;
	__asm__ volatile("movw %w3, %%fs\n\t"
			 "cld\n\t"
			 "rep movsb %%fs:(%%esi), %%es:(%%edi)\n\t"
			 "movw %w4, %%fs"
			 : "+S"(r.esi), "+D"(r.edi), "+c"(r.ecx)
			 : "r"(GDT_FIRST_FREE * 8), "r"(SEL_KDATA)
			 : "memory");
	CHECK(!memcmp(a, b, 12) && b[12] == 0,
	      "rep movsb with FS: source comes from FS base + ESI");
	CHECK(r.esi == 0x100c && r.edi == (uint32_t)dst + 12,
	      "ESI counts offsets, not linear addresses");
}

static void test_string_io(void)
{
	static const char msg[] = "rep outsb to COM1 works\r\n";
	static uint8_t lsr[4];
	uint32_t esi = (uint32_t)msg, edi = (uint32_t)lsr, ecx;

	section("string I/O");
	ecx = sizeof(msg) - 1;
	while (!(inb(0x3fd) & 0x40))
		;
	__asm__ volatile("cld; rep outsb"
			 : "+S"(esi), "+c"(ecx)
			 : "d"(0x3f8)
			 : "memory");
	CHECK(ecx == 0 && esi == (uint32_t)msg + sizeof(msg) - 1,
	      "rep outsb: ESI advanced, ECX 0");
	ecx = 4;
	while (!(inb(0x3fd) & 0x40))
		;
	__asm__ volatile("cld; rep insb"
			 : "+D"(edi), "+c"(ecx)
			 : "d"(0x3fd)
			 : "memory");
	CHECK(ecx == 0 && edi == (uint32_t)lsr + 4,
	      "rep insb: EDI advanced, ECX 0");
	CHECK((lsr[0] & lsr[1] & lsr[2] & lsr[3] & 0x60) == 0x60,
	      "rep insb read the idle UART's LSR four times");
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("string: movs stos lods cmps scas ins outs\n");
	test_movs();
	test_stos_lods();
	test_cmps();
	test_scas();
	test_addr16();
	test_segment_override();
	test_string_io();
}
