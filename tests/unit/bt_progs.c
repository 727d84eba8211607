/*
 * bt_progs.c - guest programs of many blocks, under the translator and
 * the interpreter (bt_diff.h), with results also checked against a C
 * model or hand-computed values.
 *
 *   checksum   a loop that calls through a table of function pointers:
 *              chaining (jnz, call), the indirect-branch lookup (call
 *              [ebx+edi*4], ret), blocks across two code pages;
 *   fib        recursion: ret through the lookup table, deep stack;
 *   dispatch   jmp [table + eax*4] and the loop instruction;
 *   flags      pushf/cli/sti/popf in a loop (virtual IF);
 *   smc        code that writes its own code page, then runs the new
 *              bytes: the next block, the same block, through a second
 *              linear mapping of the frame, with rep movsb, and writes
 *              that leave the bytes unchanged;
 *   faults     precise state when a fault hits in the middle of a block
 *              (#PF on read, write, read-only page, #DE, past the
 *              64-instruction block cap) and an instruction that
 *              straddles into a missing page.
 *
 * The code is assembled by hand; each line's comment is its source.
 */
#include "bt_progs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bt_diff.h"
#include "x86.h"

#define P0 (BD_CODE + 0x3a000u) /* programs start here */
#define NP 0x003e0000u		/* a page made not present */

struct pa {
	uint32_t pc;
};

static void hx(struct pa *a, const char *hex)
{
	while (*hex) {
		char *end;
		unsigned long v = strtoul(hex, &end, 16);

		if (end == hex)
			break;
		*bd_img(a->pc++) = (uint8_t)v;
		hex = end;
	}
}

static void d32(struct pa *a, uint32_t v)
{
	memcpy(bd_img(a->pc), &v, 4);
	a->pc += 4;
}

static void d8(struct pa *a, uint32_t v)
{
	*bd_img(a->pc++) = (uint8_t)v;
}

/* Branch `op` (hex) with a rel8 / rel32 to `target`. */
static void j8(struct pa *a, const char *op, uint32_t target)
{
	hx(a, op);
	d8(a, target - (a->pc + 1));
}

static void j32(struct pa *a, const char *op, uint32_t target)
{
	hx(a, op);
	d32(a, target - (a->pc + 4));
}

static void prog_input(struct bd_input *in, const char *name, uint32_t eip)
{
	memset(in, 0, sizeof(*in));
	in->name = name;
	in->eip = eip;
	in->regs[X86_ESP] = D_STACK + 0x1000;
	in->show_len = 16;
}

static void prog_setup(void)
{
	char err[512];

	if (bd_setup(err, sizeof(err)) < 0)
		ck_abort_msg("cannot set up the machine: %s", err);
	bd_img_reset();
	diff_fill(0x1234);
}

/* Run under both engines; they must agree and the translator must have
 * translated. */
static void run_both(const struct bd_input *in, struct bd_outcome *bt,
		     struct bd_btstats *st)
{
	struct bd_outcome ref;

	ck_assert_msg(bd_run(in, -1, &ref, bt, st), "%s: engines disagree",
		      in->name);
	ck_assert_msg(st->translations > 0, "%s: nothing translated", in->name);
	ck_assert_int_eq(bt->exit, VCPU_EXIT_HLT);
}

/* The exception frame an outcome halted with: EIP and error code. */
static void frame_of(const struct bd_outcome *o, bool has_err, uint32_t *eip,
		     uint32_t *err)
{
	uint32_t w[2];

	memcpy(w, bd_guest(o->regs[X86_ESP]), 8);
	*err = has_err ? w[0] : 0;
	*eip = has_err ? w[1] : w[0];
}

static uint32_t rol32(uint32_t v, unsigned n)
{
	return v << n | v >> (32 - n);
}

/* ---- checksum through a function table ------------------------------ */

START_TEST(test_prog_checksum)
{
	const uint32_t len = 4000, table = BD_CODE + 0x3c000;
	const uint32_t fin = P0 + 0x80, f0 = P0 + 0x100, f1 = P0 + 0x140;
	const uint32_t f2 = P0 + 0x1000, f3 = P0 + 0x1040; /* next page */
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;
	uint32_t loop, x = 0, y = 0, total = 5;

	hx(&a, "be");
	d32(&a, D_DATA); /* mov esi, D_DATA */
	hx(&a, "b9");
	d32(&a, len);	       /* mov ecx, len */
	hx(&a, "31 c0 31 d2"); /* xor eax, eax; xor edx, edx */
	hx(&a, "bb");
	d32(&a, table); /* mov ebx, table */
	loop = a.pc;
	hx(&a, "0f b6 3e"); /* movzx edi, byte [esi] */
	hx(&a, "83 e7 03"); /* and edi, 3 */
	hx(&a, "ff 14 bb"); /* call [ebx + edi*4] */
	hx(&a, "46 49");    /* inc esi; dec ecx */
	j8(&a, "75", loop); /* jnz loop */
	j32(&a, "e8", fin); /* call fin */
	hx(&a, "f4");	    /* hlt */
	a.pc = fin;
	hx(&a, "31 d0 c3"); /* xor eax, edx; ret */
	a.pc = f0;
	hx(&a, "0f b6 3e 01 f8"); /* movzx edi, byte [esi]; add eax, edi */
	hx(&a, "c1 c0 05 c3");	  /* rol eax, 5; ret */
	a.pc = f1;
	hx(&a, "31 c2 81 c2"); /* xor edx, eax; add edx, 0x01234567 */
	d32(&a, 0x01234567);
	hx(&a, "c3");
	a.pc = f2;
	hx(&a, "6b c0 1f");	  /* imul eax, eax, 31 */
	hx(&a, "0f b6 3e 01 f8"); /* movzx edi, byte [esi]; add eax, edi */
	hx(&a, "c3");
	a.pc = f3;
	hx(&a, "51 89 d1");	  /* push ecx; mov ecx, edx */
	hx(&a, "c1 e9 03 29 c8"); /* shr ecx, 3; sub eax, ecx */
	hx(&a, "59 c3");	  /* pop ecx; ret */
	bd_img_put32(table, f0);
	bd_img_put32(table + 4, f1);
	bd_img_put32(table + 8, f2);
	bd_img_put32(table + 12, f3);

	for (uint32_t i = 0; i < len; i++) {
		uint32_t b = *bd_img(D_DATA + i);
		static const unsigned fn_len[4] = {4, 3, 4, 6};

		switch (b & 3) {
		case 0:
			x = rol32(x + b, 5);
			break;
		case 1:
			y = (y ^ x) + 0x01234567u;
			break;
		case 2:
			x = x * 31 + b;
			break;
		default:
			x -= y >> 3;
			break;
		}
		total += 6 + fn_len[b & 3];
	}
	x ^= y;
	total += 4;

	prog_input(&in, "checksum", P0);
	run_both(&in, &bt, &st);
	ck_assert_uint_eq(bt.regs[X86_EAX], x);
	ck_assert_uint_eq(bt.regs[X86_EDX], y);
	ck_assert_uint_eq(bt.regs[X86_ECX], 0);
	ck_assert_uint_eq(bt.regs[X86_ESI], D_DATA + len);
	ck_assert_uint_eq(bt.regs[X86_ESP], D_STACK + 0x1000);
	/* In the cache: chained direct branches, indirect ones through the
	 * table (a miss per target, not per call), few translations. */
	printf("checksum: %u guest instructions, %llu in the cache, %llu "
	       "blocks translated, %llu chains, %llu lookup misses, %llu "
	       "exits\n",
	       total, (unsigned long long)st.insns_bt,
	       (unsigned long long)st.translations,
	       (unsigned long long)st.chains, (unsigned long long)st.ibl_misses,
	       (unsigned long long)st.exits);
	ck_assert_uint_ge(st.chains, 3);
	ck_assert_uint_le(st.ibl_misses, 16);
	ck_assert_uint_le(st.translations, 20);
	ck_assert_uint_ge(st.insns_bt, total * 9 / 10);
	ck_assert_uint_le(st.exits, 64);
}
END_TEST

/* ---- recursion ------------------------------------------------------- */

START_TEST(test_prog_fib)
{
	const uint32_t fib = P0 + 0x40, small = fib + 0x30;
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;

	hx(&a, "b8 14 00 00 00"); /* mov eax, 20 */
	j32(&a, "e8", fib);	  /* call fib */
	hx(&a, "f4");		  /* hlt */
	a.pc = fib;
	hx(&a, "83 f8 02");    /* cmp eax, 2 */
	j8(&a, "72", small);   /* jb small */
	hx(&a, "50 48");       /* push eax; dec eax */
	j32(&a, "e8", fib);    /* call fib */
	hx(&a, "59 50");       /* pop ecx; push eax */
	hx(&a, "8d 41 fe");    /* lea eax, [ecx - 2] */
	j32(&a, "e8", fib);    /* call fib */
	hx(&a, "59 01 c8 c3"); /* pop ecx; add eax, ecx; ret */
	a.pc = small;
	hx(&a, "c3"); /* ret */

	prog_input(&in, "fib", P0);
	run_both(&in, &bt, &st);
	ck_assert_uint_eq(bt.regs[X86_EAX], 6765);
	ck_assert_uint_eq(bt.regs[X86_ESP], D_STACK + 0x1000);
	ck_assert_uint_le(st.ibl_misses, 8);
	ck_assert_uint_ge(st.insns_bt, 100000);
}
END_TEST

/* ---- jmp through a table, loop ---------------------------------------- */

START_TEST(test_prog_dispatch)
{
	const uint32_t table = BD_CODE + 0x3c000, cases = P0 + 0x100;
	const uint32_t next = P0 + 0x40, n = 1000;
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;
	uint32_t loop, d = 0;

	hx(&a, "b9");
	d32(&a, n);	       /* mov ecx, n */
	hx(&a, "31 c0 31 d2"); /* xor eax, eax; xor edx, edx */
	loop = a.pc;
	hx(&a, "89 c8 83 e0 07"); /* mov eax, ecx; and eax, 7 */
	hx(&a, "ff 24 85");	  /* jmp [table + eax*4] */
	d32(&a, table);
	a.pc = next;
	j8(&a, "e2", loop); /* loop loop */
	hx(&a, "f4");	    /* hlt */
	for (uint32_t k = 0; k < 8; k++) {
		a.pc = cases + k * 0x20;
		hx(&a, "8d 54 12"); /* lea edx, [edx + edx + k + 1] */
		d8(&a, k + 1);
		j32(&a, "e9", next); /* jmp next */
		bd_img_put32(table + 4 * k, cases + k * 0x20);
	}
	for (uint32_t c = n; c > 0; c--)
		d = 2 * d + (c & 7) + 1;

	prog_input(&in, "dispatch", P0);
	run_both(&in, &bt, &st);
	ck_assert_uint_eq(bt.regs[X86_EDX], d);
	ck_assert_uint_eq(bt.regs[X86_ECX], 0);
	ck_assert_uint_le(st.ibl_misses, 16);
	ck_assert_uint_ge(st.chains, 8);
}
END_TEST

/* ---- virtual IF -------------------------------------------------------- */

START_TEST(test_prog_flags)
{
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;
	uint32_t loop;

	hx(&a, "b9 64 00 00 00"); /* mov ecx, 100 */
	loop = a.pc;
	hx(&a, "9c fa");    /* pushf; cli */
	hx(&a, "01 c8");    /* add eax, ecx */
	hx(&a, "fb fa 9d"); /* sti; cli; popf */
	j8(&a, "e2", loop); /* loop loop */
	hx(&a, "fa f4");    /* cli; hlt */

	prog_input(&in, "flags", P0);
	in.eflags = X86_FL_IF;
	run_both(&in, &bt, &st);
	ck_assert_uint_eq(bt.regs[X86_EAX], 5050);
	ck_assert_uint_eq(bt.eflags & X86_FL_IF, 0);
}
END_TEST

/* ---- self-modifying code -------------------------------------------- */

/*
 * mov ecx, 10; xor ebx, ebx
 * loop: mov [L+1 (through `via`)], ecx; [jmp L]
 * L:    mov eax, 0; add ebx, eax; dec ecx; jnz loop; hlt
 * Each round patches the immediate of L, which the previous round ran.
 */
static void smc_patch_loop(const char *name, bool jmp, bool paging,
			   uint32_t via)
{
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;
	uint32_t loop, l;

	hx(&a, "b9 0a 00 00 00 31 db"); /* mov ecx, 10; xor ebx, ebx */
	loop = a.pc;
	l = loop + 6 + (jmp ? 2 : 0);
	hx(&a, "89 0d"); /* mov [l + 1], ecx */
	d32(&a, l + 1 - P0 + via);
	if (jmp)
		hx(&a, "eb 00");  /* jmp l */
	hx(&a, "b8 00 00 00 00"); /* l: mov eax, 0 */
	hx(&a, "01 c3 49");	  /* add ebx, eax; dec ecx */
	j8(&a, "75", loop);	  /* jnz loop */
	hx(&a, "f4");

	prog_input(&in, name, P0);
	in.paging = paging;
	in.wp = true;
	run_both(&in, &bt, &st);
	ck_assert_uint_eq(bt.regs[X86_EBX], 55);
	ck_assert_uint_ge(st.invalidations, 1);
}

START_TEST(test_smc_next_block)
{
	smc_patch_loop("smc next block", true, false, P0);
}
END_TEST

START_TEST(test_smc_same_block)
{
	smc_patch_loop("smc same block", false, false, P0);
}
END_TEST

START_TEST(test_smc_alias)
{
	/* A second linear page for the frame of the code, with paging. */
	*bd_pte(NP) =
		(P0 & ~0xfffu) | X86_PTE_P | X86_PTE_W | X86_PTE_A | X86_PTE_D;
	smc_patch_loop("smc alias", true, true, NP);
	smc_patch_loop("smc alias same block", false, true, NP);
}
END_TEST

START_TEST(test_smc_copy)
{
	const uint32_t fn = P0 + 0x100, src = P0 + 0x200;
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;

	j32(&a, "e8", fn); /* call fn (version 1, translated) */
	hx(&a, "89 c3");   /* mov ebx, eax */
	hx(&a, "be");	   /* mov esi, src */
	d32(&a, src);
	hx(&a, "bf"); /* mov edi, fn */
	d32(&a, fn);
	hx(&a, "b9 06 00 00 00"); /* mov ecx, 6 */
	hx(&a, "fc f3 a4");	  /* cld; rep movsb */
	j32(&a, "e8", fn);	  /* call fn (version 2) */
	hx(&a, "01 c3 f4");	  /* add ebx, eax; hlt */
	a.pc = fn;
	hx(&a, "b8 01 00 00 00 c3"); /* mov eax, 1; ret */
	a.pc = src;
	hx(&a, "b8 02 00 00 00 c3"); /* mov eax, 2; ret */

	prog_input(&in, "smc copy", P0);
	run_both(&in, &bt, &st);
	ck_assert_uint_eq(bt.regs[X86_EBX], 3);
}
END_TEST

START_TEST(test_smc_same_bytes)
{
	/* Stores into the code page that do not change it, in a loop:
	 * translations may survive (hash), results must not change. */
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;
	uint32_t loop, l;

	hx(&a, "b9 20 00 00 00 31 db"); /* mov ecx, 32; xor ebx, ebx */
	loop = a.pc;
	l = loop + 6;
	hx(&a, "8b 15"); /* mov edx, [l + 1] */
	d32(&a, l + 1);
	hx(&a, "b8 07 00 00 00"); /* l: mov eax, 7 */
	hx(&a, "89 15");	  /* mov [l + 1], edx (the same bytes) */
	d32(&a, l + 1);
	hx(&a, "01 c3 49"); /* add ebx, eax; dec ecx */
	j8(&a, "75", loop); /* jnz loop */
	hx(&a, "f4");

	prog_input(&in, "smc same bytes", P0);
	run_both(&in, &bt, &st);
	ck_assert_uint_eq(bt.regs[X86_EBX], 7 * 32);
}
END_TEST

/* ---- precise faults in the middle of blocks ---------------------------- */

/*
 * add eax, ebx; inc ecx; <access>; add esi, 5; hlt
 * The access faults: the first two instructions happened, the rest not.
 */
static void mid_block_pf(const char *name, const char *access, bool ro,
			 uint32_t want_err)
{
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;
	uint32_t at, eip, err;

	hx(&a, "01 d8 41"); /* add eax, ebx; inc ecx */
	at = a.pc;
	hx(&a, access); /* mov edx, [NP] / mov [NP], edx */
	d32(&a, NP + 0x10);
	hx(&a, "83 c6 05 f4"); /* add esi, 5; hlt */
	*bd_pte(NP) = NP | X86_PTE_A | X86_PTE_D |
		      (ro ? X86_PTE_P : 0); /* missing or read-only */

	prog_input(&in, name, P0);
	in.regs[X86_EAX] = 0x1000;
	in.regs[X86_EBX] = 0x234;
	in.regs[X86_ECX] = 7;
	in.regs[X86_EDX] = 0xdeadbeef;
	in.regs[X86_ESI] = 100;
	in.paging = true;
	in.wp = true;
	run_both(&in, &bt, &st);
	ck_assert_int_eq(bt.vector, X86_EXC_PF);
	ck_assert_uint_eq(bt.cr2, NP + 0x10);
	frame_of(&bt, true, &eip, &err);
	ck_assert_uint_eq(eip, at);
	ck_assert_uint_eq(err, want_err);
	ck_assert_uint_eq(bt.regs[X86_EAX], 0x1234);
	ck_assert_uint_eq(bt.regs[X86_ECX], 8);
	ck_assert_uint_eq(bt.regs[X86_EDX], 0xdeadbeef);
	ck_assert_uint_eq(bt.regs[X86_ESI], 100);
	ck_assert_uint_eq(bt.regs[X86_ESP], D_STACK + 0x1000 - 16);
	*bd_pte(NP) = NP | X86_PTE_P | X86_PTE_W | X86_PTE_A | X86_PTE_D;
}

START_TEST(test_fault_mid_block)
{
	mid_block_pf("#PF read mid-block", "8b 15", false, 0);
	mid_block_pf("#PF write mid-block", "89 15", false, 2);
	mid_block_pf("#PF read-only mid-block", "89 15", true, 3);
}
END_TEST

START_TEST(test_fault_de_mid_block)
{
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;
	uint32_t eip, err, at;

	hx(&a, "41"); /* inc ecx */
	at = a.pc;
	hx(&a, "f7 f3 42 f4"); /* div ebx; inc edx; hlt */
	prog_input(&in, "#DE mid-block", P0);
	in.regs[X86_EAX] = 5;
	in.regs[X86_ECX] = 1;
	in.regs[X86_EDX] = 0;
	run_both(&in, &bt, &st);
	ck_assert_int_eq(bt.vector, X86_EXC_DE);
	frame_of(&bt, false, &eip, &err);
	ck_assert_uint_eq(eip, at);
	ck_assert_uint_eq(bt.regs[X86_ECX], 2);
	ck_assert_uint_eq(bt.regs[X86_EDX], 0);
	ck_assert_uint_eq(bt.regs[X86_EAX], 5);
}
END_TEST

START_TEST(test_fault_long_block)
{
	/* 100 adds with #DE after the 70th: the second block of the
	 * straight line (blocks stop at 64 instructions). */
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;
	uint32_t eip, err, at = 0, sum = 0;

	for (uint32_t i = 0; i < 100; i++) {
		if (i == 70) {
			at = a.pc;
			hx(&a, "f7 f3"); /* div ebx (0) */
		}
		hx(&a, "83 c0"); /* add eax, i */
		d8(&a, i);
		if (i < 70)
			sum += i;
	}
	hx(&a, "f4");
	prog_input(&in, "long block", P0);
	run_both(&in, &bt, &st);
	ck_assert_int_eq(bt.vector, X86_EXC_DE);
	frame_of(&bt, false, &eip, &err);
	ck_assert_uint_eq(eip, at);
	ck_assert_uint_eq(bt.regs[X86_EAX], sum);
	ck_assert_uint_ge(st.translations, 2);
}
END_TEST

START_TEST(test_fault_page_crossing)
{
	/* mov ebx, 1; mov ecx, 2; mov eax, 0x12345678 (3 bytes on this page,
	 * 2 on the next); inc ebx; hlt */
	const uint32_t x = BD_CODE + 0x3d000 - 3, next = BD_CODE + 0x3d000;
	struct pa a = {x - 10};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;
	uint32_t eip, err;

	hx(&a, "bb 01 00 00 00 b9 02 00 00 00");
	hx(&a, "b8 78 56 34 12 43 f4");
	prog_input(&in, "page crossing", x - 10);
	run_both(&in, &bt, &st);
	ck_assert_int_eq(bt.vector, -1);
	ck_assert_uint_eq(bt.regs[X86_EAX], 0x12345678);
	ck_assert_uint_eq(bt.regs[X86_EBX], 2);

	*bd_pte(next) = next | X86_PTE_A; /* not present */
	prog_input(&in, "page crossing, #PF", x - 10);
	in.paging = true;
	run_both(&in, &bt, &st);
	ck_assert_int_eq(bt.vector, X86_EXC_PF);
	ck_assert_uint_eq(bt.cr2, next);
	frame_of(&bt, true, &eip, &err);
	ck_assert_uint_eq(eip, x);
	ck_assert_uint_eq(err, 0);
	ck_assert_uint_eq(bt.regs[X86_EAX], 0);
	ck_assert_uint_eq(bt.regs[X86_EBX], 1);
	ck_assert_uint_eq(bt.regs[X86_ECX], 2);
}
END_TEST

/*
 * pusha with its lowest slots on a not-present page (NP) and the rest,
 * and ESP, on the present page above: the fault reports the lowest slot,
 * ESP - 32, under both engines (as QEMU; Pintos grows its stack for a
 * fault there), ESP is unchanged and the #PF frame fits above NP.
 */
START_TEST(test_fault_pusha_lowest_slot)
{
	const uint32_t esp = NP + 0x1000 + 0x10;
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;
	uint32_t at, eip, err;

	hx(&a, "bc"); /* mov esp, imm32 */
	d32(&a, esp);
	at = a.pc;
	hx(&a, "60 f4");	      /* pusha; hlt */
	*bd_pte(NP) = NP | X86_PTE_A; /* not present */
	prog_input(&in, "pusha into a not-present page", P0);
	in.paging = true;
	run_both(&in, &bt, &st);
	ck_assert_int_eq(bt.vector, X86_EXC_PF);
	ck_assert_uint_eq(bt.cr2, esp - 32);
	frame_of(&bt, true, &eip, &err);
	ck_assert_uint_eq(eip, at);
	ck_assert_uint_eq(err, 2); /* a supervisor write, not present */
	ck_assert_uint_eq(bt.regs[X86_ESP], esp - 16); /* EFLAGS CS EIP err */
	*bd_pte(NP) = NP | X86_PTE_P | X86_PTE_W | X86_PTE_A | X86_PTE_D;
}
END_TEST

/*
 * KNOWN TRANSLATOR BUG (fails until fixed): the guest's DF lives in the
 * host RFLAGS inside the cache, and neither the exit trampoline nor the
 * callout trampoline clears it before C code runs, which the C ABI
 * requires. With DF=1, glibc's rep movs/stos copies run backwards: the
 * first runs of this suite died with a smashed stack (memcpy of a struct
 * in the harness) and a fault in memset (bt_flush_cache). Minimal case:
 * "std; hlt" (fd f4) at ring 0, flat, paging off: bt_run() returns
 * VCPU_EXIT_HLT with the host's DF set. Fix: cld after saving the guest
 * flags in the exit and callout trampolines (trampoline.c). The harness
 * clears DF after every bt_run() (bt_diff.c) so the other tests keep
 * working, and counts the leaks.
 */
START_TEST(test_df_leak)
{
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;

	hx(&a, "fd f4"); /* std; hlt */
	prog_input(&in, "std; hlt", P0);
	bd_run_bt(&in, &bt, NULL, -1);
	ck_assert_int_eq(bt.exit, VCPU_EXIT_HLT);
	ck_assert_uint_eq(bt.eflags & X86_FL_DF, X86_FL_DF);
	ck_assert_msg(!bt.df_leak,
		      "translator bug: bt_run() returned to C with the "
		      "guest's DF set in the host RFLAGS (std; hlt)");
}
END_TEST

/*
 * KNOWN TRANSLATOR BUG (fails until fixed): an access that runs past the
 * 4 GiB limit of a flat segment is a #GP(0) (#SS(0) on the stack) before
 * paging is even consulted. Translated code makes the host access at the
 * same address, which goes on above 4 GiB; with paging on and the top
 * page missing, the host fault becomes a guest #PF. Minimal case: paging
 * on, no PDE for 0xffc00000, "mov eax, [0xfffffffe]" (a1 fe ff ff ff):
 * the interpreter delivers #GP(0), CR2 untouched; the translator #PF with
 * CR2 = 0xfffffffe. (With paging off, or the top page present, the fault
 * is above 4 GiB or outside RAM and the interpreter gets it right.) The
 * same with "push eax" and ESP = 1 (#SS, then a triple fault: the final
 * CR2 differs). A fix: in bt_fault_from_signal, hand accesses whose
 * last byte wraps past 0xffffffff to the interpreter (vector -1).
 */
START_TEST(test_fault_limit_wrap)
{
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome bt;
	struct bd_btstats st;
	uint32_t eip, err;

	hx(&a, "a1 fe ff ff ff f4"); /* mov eax, [0xfffffffe]; hlt */
	prog_input(&in, "mov eax, [0xfffffffe]", P0);
	in.regs[X86_EAX] = 0x12345678;
	run_both(&in, &bt, &st); /* paging off: outside RAM, emulated */
	ck_assert_int_eq(bt.vector, X86_EXC_GP);

	in.paging = true;
	in.name = "mov eax, [0xfffffffe], paging";
	ck_assert_msg(bd_run(&in, -1, NULL, &bt, &st),
		      "translator bug: an access past the 4 GiB segment limit "
		      "gave a #PF instead of #GP(0)");
	ck_assert_int_eq(bt.vector, X86_EXC_GP);
	frame_of(&bt, true, &eip, &err);
	ck_assert_uint_eq(eip, P0);
	ck_assert_uint_eq(err, 0);
	ck_assert_uint_eq(bt.cr2, 0);
	ck_assert_uint_eq(bt.regs[X86_EAX], 0x12345678);
}
END_TEST

/*
 * KNOWN DEVIATION (low severity; asserted only with BT386_TEST_KNOWN=1):
 * an instruction fetch sets the Accessed bit of the code page's PTE (and
 * PDE). The translator walks the tables with MMU_ACC_NOSET when it
 * translates and never fetches from the guest page afterwards, so code
 * that runs only from the cache leaves A clear; the interpreter sets it.
 * Minimal case: paging on, PTE of the code page P|W without A, "nop; hlt"
 * (90 f4): the interpreter leaves PTE = ...23, the translator ...03. All
 * other tests start with A set on code pages for this reason.
 */
START_TEST(test_code_page_accessed)
{
	struct pa a = {P0};
	struct bd_input in;
	struct bd_outcome ref, bt;
	struct bd_btstats st;
	const char *known = getenv("BT386_TEST_KNOWN");
	bool same;

	hx(&a, "90 f4"); /* nop; hlt */
	*bd_pte(P0) = (P0 & ~0xfffu) | X86_PTE_P | X86_PTE_W;
	prog_input(&in, "code page Accessed bit", P0);
	in.paging = true;
	same = bd_run(&in, -1, &ref, &bt, &st);
	ck_assert_int_eq(bt.exit, VCPU_EXIT_HLT);
	if (!same && !(known && *known == '1')) {
		printf("KNOWN DEVIATION: the translator does not set the "
		       "Accessed bit of code pages it runs from the cache "
		       "(test_code_page_accessed)\n");
		return;
	}
	ck_assert_msg(same, "translator: code page Accessed bit not set");
}
END_TEST

TCase *bt_progs_tcase(void)
{
	TCase *tc = tcase_create("programs");

	tcase_add_checked_fixture(tc, prog_setup, NULL);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_prog_checksum);
	tcase_add_test(tc, test_prog_fib);
	tcase_add_test(tc, test_prog_dispatch);
	tcase_add_test(tc, test_prog_flags);
	tcase_add_test(tc, test_smc_next_block);
	tcase_add_test(tc, test_smc_same_block);
	tcase_add_test(tc, test_smc_alias);
	tcase_add_test(tc, test_smc_copy);
	tcase_add_test(tc, test_smc_same_bytes);
	tcase_add_test(tc, test_fault_mid_block);
	tcase_add_test(tc, test_fault_de_mid_block);
	tcase_add_test(tc, test_fault_long_block);
	tcase_add_test(tc, test_fault_page_crossing);
	tcase_add_test(tc, test_fault_pusha_lowest_slot);
	tcase_add_test(tc, test_df_leak);
	tcase_add_test(tc, test_fault_limit_wrap);
	tcase_add_test(tc, test_code_page_accessed);
	return tc;
}
