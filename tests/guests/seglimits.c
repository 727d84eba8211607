/*
 * seglimits - limit and access-rights checks on memory accesses through
 * segments: byte- and page-granular limits, accesses that straddle the
 * limit, expand-down segments (B = 1 and B = 0), read-only data, execute-
 * only and non-writable code, the null selector, stack-segment faults
 * (#SS) and far jumps beyond a code segment's limit.
 *
 * QEMU's TCG does not perform these checks (it only adds segment bases),
 * so this guest runs under bt386's engines only; its expected output is
 * what the Intel SDM (vol. 3A, 5.3 "Limit checking") requires: every check
 * passes.
 */
#include "guest.h"

enum {
	G_FS = GDT_FIRST_FREE, /* the segment under test, loaded into FS */
	G_SS,		       /* a stack segment under test */
	G_CODE,		       /* a code segment under test */
};
#define SEL(i) ((i)*8)
#define FLAT32 (DESC_FLAG_G | DESC_FLAG_DB)

static uint8_t area[0x3000] __attribute__((aligned(4096)));
static uint32_t count_before;

static void expect_begin(void)
{
	trap_record_clear();
	count_before = last_trap.count;
}

static void check_result(int want_vector, const char *what)
{
	char name[112];

	if (want_vector < 0) {
		snprintf(name, sizeof(name), "%s: no fault", what);
		CHECK(last_trap.count == count_before, name);
		return;
	}
	snprintf(name, sizeof(name), "%s: %s(0)", what,
		 want_vector == 12 ? "#SS" : "#GP");
	CHECK(last_trap.count == count_before + 1 &&
		      last_trap.vector == (uint32_t)want_vector &&
		      last_trap.err == 0,
	      name);
}

static void set_fs(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	gdt_set(G_FS, seg_desc(base, limit, access, flags));
	__asm__ volatile("movw %w0, %%fs" : : "r"(SEL(G_FS)) : "memory");
}

static uint32_t fs_read32(uint32_t off)
{
	uint32_t v = 0;

	expect_begin();
	__asm__ volatile("1:\tmovl %%fs:(%1), %0\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "+r"(v)
			 : "r"(off)
			 : "memory");
	return v;
}

static void fs_read8(uint32_t off)
{
	uint32_t v = 0;

	expect_begin();
	__asm__ volatile("1:\tmovb %%fs:(%1), %b0\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "+q"(v)
			 : "r"(off)
			 : "memory");
}

static void fs_write32(uint32_t off, uint32_t v)
{
	expect_begin();
	__asm__ volatile("1:\tmovl %0, %%fs:(%1)\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 : "r"(v), "r"(off)
			 : "memory");
}

static void test_expand_up(void)
{
	section("expand-up data segments");
	*(uint32_t *)(area + 0xfc) = 0x01020304;
	set_fs((uint32_t)area, 0xff, DESC_DATA_RW, DESC_FLAG_DB);
	CHECK_EQ(fs_read32(0xfc), 0x01020304, "dword ending at the limit");
	check_result(-1, "dword ending at the limit");
	fs_read8(0xff);
	check_result(-1, "byte at the limit");
	fs_read8(0x100);
	check_result(13, "byte one past the limit");
	fs_read32(0xfd);
	check_result(13, "dword straddling the limit");
	fs_write32(0xfe, 0);
	check_result(13, "write straddling the limit");
	CHECK_EQ(*(uint32_t *)(area + 0xfc), 0x01020304,
		 "the straddling write wrote nothing");
	fs_read32(0xfffffffc);
	check_result(13, "offset 0xfffffffc with a small limit");

	set_fs((uint32_t)area, 0, DESC_DATA_RW, FLAT32);
	fs_read32(0xffc);
	check_result(-1, "page-granular limit 0: offset 0xffc");
	fs_read8(0x1000);
	check_result(13, "page-granular limit 0: offset 0x1000");

	set_fs((uint32_t)area, 0xfffff, DESC_DATA_RO, FLAT32);
	fs_read32(0x10);
	check_result(-1, "read-only segment: read");
	fs_write32(0x10, 1);
	check_result(13, "read-only segment: write");
}

static void test_expand_down(void)
{
	section("expand-down data segments");
	*(uint32_t *)(area + 0x1000) = 0xe0e0e0e0;
	/* B = 1: valid offsets are limit + 1 .. 0xffffffff. */
	set_fs((uint32_t)area, 0xfff, DESC_DATA_RW | 0x4, DESC_FLAG_DB);
	CHECK_EQ(fs_read32(0x1000), 0xe0e0e0e0,
		 "B = 1, limit 0xfff: offset 0x1000 reaches base + 0x1000");
	check_result(-1, "B = 1: offset limit + 1");
	fs_read8(0xfff);
	check_result(13, "B = 1: offset at the limit");
	fs_read32(0xffe);
	check_result(13, "B = 1: dword starting below the limit");
	fs_read8(0);
	check_result(13, "B = 1: offset 0");
	fs_read8(0xffffffff);
	check_result(-1, "B = 1: offset 0xffffffff");

	/* B = 0: valid offsets are limit + 1 .. 0xffff. */
	set_fs((uint32_t)area - 0xd000, 0xfff, DESC_DATA_RW | 0x4, 0);
	fs_read32(0xfffc);
	check_result(-1, "B = 0: dword ending at 0xffff");
	fs_read32(0xfffd);
	check_result(13, "B = 0: dword past 0xffff");
	fs_read8(0x10000);
	check_result(13, "B = 0: offset 0x10000");

	/* Page-granular expand-down: the limit is (limit << 12) | 0xfff. */
	set_fs((uint32_t)area, 0xffffe, DESC_DATA_RW | 0x4, FLAT32);
	fs_read8(0xffffefff);
	check_result(13, "G = 1: offset at the scaled limit");
	fs_read8(0xfffff000);
	check_result(-1, "G = 1: offset above the scaled limit");
}

static void test_null_and_code(void)
{
	uint32_t v = 0;

	section("null selector, code segments");
	__asm__ volatile("movw %w0, %%fs" : : "r"(0));
	fs_read8(0);
	check_result(13, "access through a null FS");
	fs_write32(0x1000, 0);
	check_result(13, "write through a null FS");

	expect_begin();
	__asm__ volatile("1:\tmovl %0, %%cs:(%1)\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 : "r"(v), "r"(area)
			 : "memory");
	check_result(13, "write through CS");
	expect_begin();
	__asm__ volatile("1:\tmovl %%cs:(%1), %0\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "+r"(v)
			 : "r"(area)
			 : "memory");
	check_result(-1, "read through a readable CS");

	/* Run in an execute-only alias of the kernel code and read via CS. */
	gdt_set(G_CODE, seg_desc(0, 0xfffff, 0x99, FLAT32));
	expect_begin();
	__asm__ volatile("ljmp %2, $3f\n"
			 "3:\n"
			 "1:\tmovl %%cs:(%1), %0\n"
			 "2:\tljmp $0x08, $4f\n"
			 "4:\n\t" EXTABLE("1b", "2b")
			 : "+r"(v)
			 : "r"(area), "i"(SEL(G_CODE))
			 : "memory");
	check_result(13, "read through an execute-only CS");
	CHECK_EQ(read_cs(), SEL_KCODE, "back in CS 0x08");

	/* A far jump whose target offset lies beyond the segment limit. */
	gdt_set(G_CODE, seg_desc(0, 0xff, 0x9b, FLAT32)); /* 1 MiB */
	expect_begin();
	__asm__ volatile("1:\tljmp %0, $0x100000\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 : "i"(SEL(G_CODE)));
	check_result(13, "ljmp beyond the code segment limit");
	CHECK_EQ(read_cs(), SEL_KCODE, "CS unchanged");
}

static void test_stack_segment(void)
{
	uint32_t esp, valid, v = 0;

	section("stack segment faults");
	__asm__ volatile("movl %%esp, %0" : "=r"(esp));
	/* Expand-up SS: limit a page above ESP; beyond it, #SS(0). */
	gdt_set(G_SS, seg_desc(0, (esp >> 12) + 1, DESC_DATA_RW, FLAT32));
	expect_begin();
	__asm__ volatile("movw %w2, %%ss\n\t"
			 "1:\tmovl %%ss:(%1), %0\n"
			 "2:\tmovw %w3, %%ss\n\t" EXTABLE("1b", "2b")
			 : "+r"(v)
			 : "r"(esp + 0x3000), "r"(SEL(G_SS)), "r"(SEL_KDATA)
			 : "memory");
	check_result(12, "SS-relative read beyond the limit");
	expect_begin();
	__asm__ volatile("pushl %%ebp\n\t"
			 "movl %1, %%ebp\n\t"
			 "movw %w2, %%ss\n\t"
			 "1:\tmovl (%%ebp), %0\n"
			 "2:\tmovw %w3, %%ss\n\t"
			 "popl %%ebp\n\t" EXTABLE("1b", "2b")
			 : "+S"(v)
			 : "c"(esp + 0x3000), "a"(SEL(G_SS)), "d"(SEL_KDATA)
			 : "memory");
	check_result(12, "EBP-based read beyond the SS limit");
	expect_begin();
	__asm__ volatile("movw %w2, %%ss\n\t"
			 "1:\tmovl %%ds:(%1), %0\n"
			 "2:\tmovw %w3, %%ss\n\t" EXTABLE("1b", "2b")
			 : "+r"(v)
			 : "r"(esp + 0x3000), "r"(SEL(G_SS)), "r"(SEL_KDATA)
			 : "memory");
	check_result(-1, "the same address through DS");

	/* Expand-down SS (the classic stack): valid above the limit. */
	valid = (esp - 0x800) & ~0xfffu;
	gdt_set(G_SS,
		seg_desc(0, (valid >> 12) - 1, DESC_DATA_RW | 0x4, FLAT32));
	expect_begin();
	__asm__ volatile("movw %w2, %%ss\n\t"
			 "1:\tmovl %%ss:(%1), %0\n"
			 "2:\tmovw %w3, %%ss\n\t" EXTABLE("1b", "2b")
			 : "+r"(v)
			 : "r"(valid), "r"(SEL(G_SS)), "r"(SEL_KDATA)
			 : "memory");
	check_result(-1, "expand-down SS: read at the bottom of the stack");
	expect_begin();
	__asm__ volatile("movw %w2, %%ss\n\t"
			 "1:\tmovl %%ss:(%1), %0\n"
			 "2:\tmovw %w3, %%ss\n\t" EXTABLE("1b", "2b")
			 : "+r"(v)
			 : "r"(valid - 4), "r"(SEL(G_SS)), "r"(SEL_KDATA)
			 : "memory");
	check_result(12, "expand-down SS: read below the bottom");
	expect_begin();
	__asm__ volatile("movw %w2, %%ss\n\t"
			 "pushl $1\n\t"
			 "popl %0\n\t"
			 "movw %w3, %%ss"
			 : "+r"(v)
			 : "r"(valid), "r"(SEL(G_SS)), "r"(SEL_KDATA)
			 : "memory");
	check_result(-1, "expand-down SS: push and pop inside the stack");
	CHECK_EQ(v, 1, "the pushed value pops back");
}

/* ENTER with a 32-bit operand on a 16-bit stack (B = 0): the pushes move
 * SP only, and the frame pointer is the whole ESP, upper half included
 * (SDM ENTER: FrameTemp <- ESP when the operand size is 32; test386
 * checks it). */
static volatile uint32_t enter_esp, enter_ebp, saved_esp, saved_ebp;

static void test_enter_16bit_stack(void)
{
	uint32_t *slot = (uint32_t *)(area + 0xfc);

	section("enter on a 16-bit stack");
	gdt_set(G_SS, seg_desc((uint32_t)area, 0xfff, DESC_DATA_RW, 0));
	*slot = 0;
	__asm__ volatile("movl %%esp, saved_esp\n\t"
			 "movl %%ebp, saved_ebp\n\t"
			 "movw %w0, %%ss\n\t"
			 "movl $0x00030100, %%esp\n\t"
			 "movl $0x0003abcd, %%ebp\n\t"
			 "enter $8, $0\n\t"
			 "movl %%esp, enter_esp\n\t"
			 "movl %%ebp, enter_ebp\n\t"
			 "movw %w1, %%ss\n\t"
			 "movl saved_esp, %%esp\n\t"
			 "movl saved_ebp, %%ebp"
			 :
			 : "r"(SEL(G_SS)), "r"(SEL_KDATA)
			 : "memory");
	CHECK_EQ(*slot, 0x0003abcd, "the old EBP pushed at SS:SP - 4");
	CHECK_EQ(enter_ebp, 0x000300fc, "EBP = the whole ESP after the push");
	CHECK_EQ(enter_esp, 0x000300f4, "ESP: SP moved, the upper half kept");
}

static __attribute__((noinline)) uint32_t call_target(void)
{
	__asm__ volatile("");
	return 0xa5;
}

/* fs:[off], gs:[off], fs:moffs and call through fs:[off], each recording
 * a fault (the value stays 0xdead). */
#define SEG_READ_OR_DEAD(name, seg)                                      \
	static __attribute__((noinline)) uint32_t name(uint32_t off)     \
	{                                                                \
		uint32_t v = 0xdead;                                     \
                                                                         \
		__asm__ volatile("1:\tmovl %%" seg                       \
				 ":(%1), %0\n2:\n\t" EXTABLE("1b", "2b") \
				 : "+r"(v)                               \
				 : "r"(off)                              \
				 : "memory");                            \
		return v;                                                \
	}
SEG_READ_OR_DEAD(fs_read_or_dead, "fs")
SEG_READ_OR_DEAD(gs_read_or_dead, "gs")

static __attribute__((noinline)) uint32_t fs_moffs_read(void)
{
	uint32_t v = 0xdead;

	__asm__ volatile(
		"1:\tmovl %%fs:0x100004, %%eax\n2:\n\t" EXTABLE("1b", "2b")
		: "+a"(v)
		:
		: "memory");
	return v;
}

static __attribute__((noinline)) uint32_t fs_call(void)
{
	uint32_t v = 0xdead;

	__asm__ volatile("1:\tcall *%%fs:0x100030\n2:\n\t" EXTABLE("1b", "2b")
			 : "+a"(v)
			 :
			 : "ecx", "edx", "memory");
	return v;
}

static uint16_t fs_selector_in_memory;

/*
 * Kernel code may run with FS or GS null (Linux, on its way in and out
 * of every system call) in the same translations that ran with them
 * usable: each access through a null one is still #GP(0). The loads go
 * through the register, memory and pop forms, several times, so that
 * translated (and cached) loads do them too.
 */
static void test_null_fsgs(void)
{
	uint32_t good = 0, faults = 0, values = 0;

	section("null FS and GS in kernel code");
	for (int i = 0; i < 64; i++)
		area[i] = (uint8_t)(0x40 + i);
	*(uint32_t *)(area + 0x30) = (uint32_t)call_target;
	set_fs((uint32_t)area - 0x100000, 0xfffff, DESC_DATA_RW, FLAT32);
	for (int i = 0; i < 6; i++) {
		uint32_t before = last_trap.count;

		/* usable: through the register form */
		__asm__ volatile("movw %w0, %%fs\n\tmovw %w0, %%gs"
				 :
				 : "r"(SEL(G_FS)));
		good += fs_read_or_dead(0x100004) == 0x47464544;
		good += gs_read_or_dead(0x100008) == 0x4b4a4948;
		good += fs_moffs_read() == 0x47464544;
		good += fs_call() == 0xa5;
		/* null: FS through memory, GS through pop, RPL 0-3 */
		fs_selector_in_memory = (uint16_t)(i & 3);
		__asm__ volatile("movw %0, %%fs\n\t"
				 "pushl %1\n\t"
				 "popl %%gs"
				 :
				 : "m"(fs_selector_in_memory), "r"(i & 3)
				 : "memory");
		values += fs_read_or_dead(0x100004) == 0xdead;
		values += gs_read_or_dead(0x100008) == 0xdead;
		values += fs_moffs_read() == 0xdead;
		values += fs_call() == 0xdead;
		faults += last_trap.count == before + 4 &&
			  last_trap.vector == 13 && last_trap.err == 0;
		/* usable again, through memory */
		fs_selector_in_memory = SEL(G_FS);
		__asm__ volatile("movw %0, %%fs"
				 :
				 : "m"(fs_selector_in_memory));
		good += fs_read_or_dead(0x10000c) == 0x4f4e4d4c;
	}
	CHECK_EQ(good, 6 * 5, "usable FS and GS read and call through");
	CHECK_EQ(faults, 6, "null FS and GS: each access is #GP(0)");
	CHECK_EQ(values, 6 * 4, "and reads or calls nothing");
	__asm__ volatile("xorl %%eax, %%eax\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs"
			 :
			 :
			 : "eax");
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("seglimits: segment limit and rights checks\n");
	test_expand_up();
	test_expand_down();
	test_null_and_code();
	test_stack_segment();
	test_enter_16bit_stack();
	test_null_fsgs();
}
