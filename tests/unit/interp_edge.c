/*
 * interp_edge.c - integer instructions in situations the host cannot show
 * from a flat 32-bit segment: branch targets beyond the CS limit, string
 * instructions with segment bases and limits, long REPs executed in
 * chunks, and 16-bit stacks. Interpreter only, with the guest set-up of
 * interp_diff.c (its IDT sends exception v to D_HANDLERS + 8 * v).
 */
#include <check.h>
#include <string.h>

#include "bt/interp.h"
#include "interp_diff.h"
#include "interp_edge.h"
#include "x86.h"

static struct vcpu *cpu;

static void setup(void)
{
	char err[256];

	if (diff_setup(err, sizeof(err)) < 0)
		ck_abort_msg("setup: %s", err);
	cpu = diff_cpu();
	diff_reset_cpu();
	memset(cpu->regs, 0, sizeof(cpu->regs));
	cpu->regs[X86_ESP] = D_STACK + 0x1000;
	cpu->eip = D_CODE;
}

static void code(const uint8_t *bytes, size_t n)
{
	memcpy(diff_guest(D_CODE), bytes, n);
}

static uint32_t rd32(uint32_t addr)
{
	uint32_t v;

	memcpy(&v, diff_guest(addr), 4);
	return v;
}

static void wr32(uint32_t addr, uint32_t v)
{
	memcpy(diff_guest(addr), &v, 4);
}

/* Step once; the vector delivered, or -1. */
static int step(void)
{
	ck_assert_int_eq(bt_interp_step(cpu), VCPU_EXIT_NONE);
	if (cpu->eip >= D_HANDLERS && cpu->eip < D_HANDLERS + 256)
		return (int)(cpu->eip - D_HANDLERS) / 8;
	return -1;
}

/* After #GP(0) with ESP0 before the instruction: the frame sits right
 * below ESP0 (nothing else was pushed) and names the instruction. */
static void expect_gp0(uint32_t esp0)
{
	ck_assert_int_eq(step(), X86_EXC_GP);
	ck_assert_uint_eq(cpu->regs[X86_ESP], esp0 - 16);
	ck_assert_uint_eq(rd32(esp0 - 16), 0);	    /* error code */
	ck_assert_uint_eq(rd32(esp0 - 12), D_CODE); /* faulting EIP */
}

START_TEST(test_jmp_beyond_cs_limit)
{
	static const uint8_t jmp[] = {0xe9, 0x00, 0x01, 0x00, 0x00};

	code(jmp, sizeof(jmp));
	cpu->seg[X86_CS].limit = D_CODE + 0x80;
	expect_gp0(D_STACK + 0x1000);
}
END_TEST

START_TEST(test_jmp_to_cs_limit)
{
	/* The last byte inside the limit is a valid target. */
	static const uint8_t jmp[] = {0xeb, 0x7e};

	code(jmp, sizeof(jmp));
	cpu->seg[X86_CS].limit = D_CODE + 0x80;
	ck_assert_int_eq(step(), -1);
	ck_assert_uint_eq(cpu->eip, D_CODE + 0x80);
}
END_TEST

START_TEST(test_call_beyond_cs_limit)
{
	static const uint8_t call[] = {0xe8, 0x00, 0x01, 0x00, 0x00};

	code(call, sizeof(call));
	cpu->seg[X86_CS].limit = D_CODE + 0x80;
	expect_gp0(D_STACK + 0x1000);
}
END_TEST

START_TEST(test_loop_beyond_cs_limit)
{
	static const uint8_t loop[] = {0xe2, 0x7f};

	code(loop, sizeof(loop));
	cpu->seg[X86_CS].limit = D_CODE + 0x40;
	cpu->regs[X86_ECX] = 5;
	expect_gp0(D_STACK + 0x1000);
	ck_assert_uint_eq(cpu->regs[X86_ECX], 5);

	/* Not taken (count reaches 0): no check, the count goes down. */
	diff_reset_cpu();
	cpu->seg[X86_CS].limit = D_CODE + 0x40;
	cpu->regs[X86_ESP] = D_STACK + 0x1000;
	cpu->regs[X86_ECX] = 1;
	cpu->eip = D_CODE;
	ck_assert_int_eq(step(), -1);
	ck_assert_uint_eq(cpu->eip, D_CODE + 2);
	ck_assert_uint_eq(cpu->regs[X86_ECX], 0);
}
END_TEST

START_TEST(test_ret_beyond_cs_limit)
{
	static const uint8_t ret[] = {0xc2, 0x08, 0x00};
	uint32_t esp = D_STACK + 0x1000;

	code(ret, sizeof(ret));
	cpu->seg[X86_CS].limit = D_CODE + 0x40;
	wr32(esp, D_CODE + 0x41);
	expect_gp0(esp);
}
END_TEST

START_TEST(test_jcc_not_taken_ignores_limit)
{
	static const uint8_t jz[] = {0x74, 0x7f};

	code(jz, sizeof(jz));
	cpu->seg[X86_CS].limit = D_CODE + 0x40;
	cpu->eflags &= ~X86_FL_ZF;
	ck_assert_int_eq(step(), -1);
	ck_assert_uint_eq(cpu->eip, D_CODE + 2);
}
END_TEST

/* DS, ES and FS with different bases: the override moves the source
 * only; the destination is ES:EDI whatever the prefixes say. */
START_TEST(test_string_segments)
{
	static const uint8_t movs_fs[] = {0x64, 0xa5}; /* movsd fs: */
	static const uint8_t stos_fs[] = {0x64, 0xab}; /* stosd (fs ignored) */
	static const uint8_t lods[] = {0xad};

	cpu->seg[X86_DS].base = 0x300000;
	cpu->seg[X86_ES].base = 0x301000;
	cpu->seg[X86_FS].base = 0x302000;
	wr32(0x300010, 0x11111111);
	wr32(0x302010, 0x33333333);
	cpu->regs[X86_ESI] = 0x10;
	cpu->regs[X86_EDI] = 0x20;

	code(movs_fs, sizeof(movs_fs));
	ck_assert_int_eq(step(), -1);
	ck_assert_uint_eq(rd32(0x301020), 0x33333333);
	ck_assert_uint_eq(cpu->regs[X86_ESI], 0x14);
	ck_assert_uint_eq(cpu->regs[X86_EDI], 0x24);

	code(stos_fs, sizeof(stos_fs));
	cpu->eip = D_CODE;
	cpu->regs[X86_EAX] = 0x44444444;
	ck_assert_int_eq(step(), -1);
	ck_assert_uint_eq(rd32(0x301024), 0x44444444);
	ck_assert_uint_ne(rd32(0x302024), 0x44444444);

	code(lods, sizeof(lods));
	cpu->eip = D_CODE;
	cpu->regs[X86_ESI] = 0x10;
	ck_assert_int_eq(step(), -1);
	ck_assert_uint_eq(cpu->regs[X86_EAX], 0x11111111);
}
END_TEST

/* A long REP runs in chunks, leaving EIP at the instruction in between. */
START_TEST(test_rep_chunks)
{
	static const uint8_t rep_stosb[] = {0xf3, 0xaa};
	const uint32_t n = 20000, dst = 0x300000;
	unsigned steps = 0;

	code(rep_stosb, sizeof(rep_stosb));
	memset(diff_guest(dst), 0, n + 1);
	cpu->regs[X86_EAX] = 0x5a;
	cpu->regs[X86_ECX] = n;
	cpu->regs[X86_EDI] = dst;
	while (cpu->eip == D_CODE) {
		uint32_t before = cpu->regs[X86_ECX];

		ck_assert_int_eq(step(), -1);
		ck_assert_uint_lt(cpu->regs[X86_ECX], before);
		ck_assert_uint_eq(cpu->regs[X86_EDI],
				  dst + n - cpu->regs[X86_ECX]);
		ck_assert_uint_lt(++steps, n);
	}
	ck_assert_uint_gt(steps, 1);
	ck_assert_uint_eq(cpu->eip, D_CODE + 2);
	ck_assert_uint_eq(cpu->regs[X86_ECX], 0);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_uint_eq(diff_guest(dst)[i], 0x5a);
	ck_assert_uint_eq(diff_guest(dst)[n], 0);
}
END_TEST

/* A fault in iteration k keeps the k completed iterations. */
START_TEST(test_rep_fault_midway)
{
	static const uint8_t rep_movsb[] = {0xf3, 0xa4};

	code(rep_movsb, sizeof(rep_movsb));
	cpu->seg[X86_DS].limit = 0x300000 + 10;
	cpu->regs[X86_ECX] = 100;
	cpu->regs[X86_ESI] = 0x300000;
	cpu->regs[X86_EDI] = 0x301000;
	expect_gp0(D_STACK + 0x1000);
	ck_assert_uint_eq(cpu->regs[X86_ECX], 89);
	ck_assert_uint_eq(cpu->regs[X86_ESI], 0x300000 + 11);
	ck_assert_uint_eq(cpu->regs[X86_EDI], 0x301000 + 11);
}
END_TEST

/* SS with B = 0: SP wraps inside 64 KiB and ESP's high half stays. */
START_TEST(test_stack16)
{
	static const uint8_t push_pop[] = {0x66, 0x50,
					   0x5b}; /* push ax; pop ebx */

	code(push_pop, sizeof(push_pop));
	cpu->seg[X86_SS].base = 0x300000;
	cpu->seg[X86_SS].limit = 0xffff;
	cpu->seg[X86_SS].attr &= (uint16_t) ~(X86_DESC_DB | X86_DESC_G);
	cpu->regs[X86_ESP] = 0xabcd0000;
	cpu->regs[X86_EAX] = 0x1234;
	ck_assert_int_eq(step(), -1);
	ck_assert_uint_eq(cpu->regs[X86_ESP], 0xabcdfffe);
	ck_assert_uint_eq(diff_guest(0x30fffe)[0], 0x34);
	ck_assert_uint_eq(diff_guest(0x30fffe)[1], 0x12);

	/* A dword pop at SP = FFFE crosses the 64 KiB limit: #SS(0). */
	ck_assert_int_eq(step(), X86_EXC_SS);
}
END_TEST

/* CMOVcc reads its source even when the condition is false. */
START_TEST(test_cmov_false_reads_source)
{
	static const uint8_t cmovz[] = {
		0x0f, 0x44, 0x05, 0x00,
		0x00, 0x40, 0x00}; /* cmovz eax, [0x400000] */

	code(cmovz, sizeof(cmovz));
	cpu->seg[X86_DS].limit = 0x3fffff;
	cpu->eflags &= ~X86_FL_ZF;
	cpu->regs[X86_EAX] = 0x1234;
	expect_gp0(D_STACK + 0x1000);
	ck_assert_uint_eq(cpu->regs[X86_EAX], 0x1234);
}
END_TEST

/* POP r/m faulting on its destination leaves ESP as it was. */
START_TEST(test_pop_fault_keeps_esp)
{
	static const uint8_t pop[] = {0x8f, 0x05, 0x00, 0x00,
				      0x40, 0x00}; /* pop dword [0x400000] */
	uint32_t esp = D_STACK + 0x1000;

	code(pop, sizeof(pop));
	cpu->seg[X86_DS].limit = 0x3fffff;
	expect_gp0(esp);
}
END_TEST

/* Read-modify-write into a read-only segment: #GP before any register
 * or flag changes (XADD writes memory before its register). */
START_TEST(test_rmw_readonly)
{
	static const uint8_t xadd[] = {
		0x0f, 0xc1, 0x0d, 0x00,
		0x00, 0x30, 0x00}; /* xadd [0x300000], ecx */
	static const uint8_t inc[] = {0xff, 0x05, 0x00, 0x00,
				      0x30, 0x00}; /* inc dword [0x300000] */

	cpu->seg[X86_DS].attr &= (uint16_t)~X86_DESC_RW;
	cpu->regs[X86_ECX] = 77;
	cpu->eflags |= X86_FL_ZF;
	code(xadd, sizeof(xadd));
	expect_gp0(D_STACK + 0x1000);
	ck_assert_uint_eq(cpu->regs[X86_ECX], 77);

	diff_reset_cpu();
	cpu->seg[X86_DS].attr &= (uint16_t)~X86_DESC_RW;
	cpu->regs[X86_ESP] = D_STACK + 0x1000;
	cpu->eip = D_CODE;
	code(inc, sizeof(inc));
	wr32(0x300000, 0xffffffff);
	cpu->eflags = X86_FL_FIXED1;
	expect_gp0(D_STACK + 0x1000);
	ck_assert_uint_eq(rd32(0x300000), 0xffffffff);
	/* The flags in the frame are the ones from before the inc. */
	ck_assert_uint_eq(rd32(D_STACK + 0x1000 - 4) & X86_FL_ARITH, 0);
}
END_TEST

TCase *interp_edge_tcase(void)
{
	TCase *tc = tcase_create("edge");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_jmp_beyond_cs_limit);
	tcase_add_test(tc, test_jmp_to_cs_limit);
	tcase_add_test(tc, test_call_beyond_cs_limit);
	tcase_add_test(tc, test_loop_beyond_cs_limit);
	tcase_add_test(tc, test_ret_beyond_cs_limit);
	tcase_add_test(tc, test_jcc_not_taken_ignores_limit);
	tcase_add_test(tc, test_string_segments);
	tcase_add_test(tc, test_rep_chunks);
	tcase_add_test(tc, test_rep_fault_midway);
	tcase_add_test(tc, test_stack16);
	tcase_add_test(tc, test_cmov_false_reads_source);
	tcase_add_test(tc, test_pop_fault_keeps_esp);
	tcase_add_test(tc, test_rmw_readonly);
	return tc;
}
