/*
 * smc - self-modifying code at ring 0: every way a kernel rewrites
 * instructions that may already have been fetched, decoded or translated,
 * and the checks that the new bytes are what runs.
 *
 *  1. patching a function (an immediate, an opcode, a branch condition, a
 *     call's target), then calling it again;
 *  2. a store into the basic block that is executing, a few bytes ahead of
 *     the store: with a jump between the store and the new code (the
 *     pattern the SDM guarantees on every IA-32 processor, vol. 3 "Handling
 *     Self- and Cross-Modifying Code"), and with the modified instruction
 *     right after the store, or a few instructions after it, or in a loop
 *     that patches its own body every iteration (P6 and later detect
 *     stores to prefetched instructions by linear address and honour these
 *     too; so does QEMU's TCG);
 *  3. code written through a second linear alias of its frame (4 KiB and
 *     4 MiB mappings) and executed at the first, with paging on;
 *  4. a JIT-style buffer: a function copied in and called, overwritten by
 *     another function, byte by byte, with identical bytes, at a new offset;
 *  5. a page that mixes code and hot data: data stores from another page
 *     interleaved with calls into the page, and a loop on the page that
 *     stores into the page every iteration (only results are checked);
 *  6. code patched by the timer interrupt handler while the main loop runs
 *     it: a function whose immediate the handler bumps, and a loop that
 *     spins on its own immediate until the handler rewrites it;
 *  7. one store instruction that writes code, then plain data for long
 *     enough that a translator that made it a callout puts it back
 *     inline, then code again.
 *
 * 1, 2 and 4 run twice, with paging off and on. Everything is checked with
 * exact values; nothing printed depends on timing.
 */
#include "guest.h"

/* ---- code that gets patched, in its own pages of .text ---- */
uint32_t smc_imm(void);
uint32_t smc_branch(uint32_t x);
uint32_t smc_caller(void);
uint32_t smc_target_a(void);
uint32_t smc_target_b(void);
uint32_t smc_same_jmp(uint32_t v);
uint32_t smc_same_next(uint32_t v);
uint32_t smc_same_ahead(uint32_t v);
uint32_t smc_same_opcode_jmp(void);
uint32_t smc_same_opcode_next(void);
uint32_t smc_same_loop(uint32_t n);
uint32_t smc_irq_fn(void);
uint32_t smc_spin(void);
extern volatile uint32_t ticks;
extern uint8_t smc_imm_insn[], smc_branch_jcc[], smc_caller_call[];
extern uint8_t smc_same_jmp_insn[], smc_same_next_insn[];
extern uint8_t smc_same_ahead_insn[], smc_same_opcode_jmp_insn[];
extern uint8_t smc_same_opcode_next_insn[], smc_same_loop_insn[];
extern uint8_t smc_irq_fn_insn[], smc_spin_insn[];

__asm__(".pushsection .text.smc, \"ax\"\n\t"
	".balign 4096\n"
	/* 1: mov $imm32, %eax; ret (the immediate is at +1) */
	"smc_imm:\n"
	"smc_imm_insn:\n\t"
	"movl $0x11111111, %eax\n\t"
	"ret\n\t"
	".balign 16\n"
	/* returns 1 when x == 0, else 2; the jz (0x74) becomes jnz (0x75) */
	"smc_branch:\n\t"
	"movl 4(%esp), %eax\n\t"
	"testl %eax, %eax\n"
	"smc_branch_jcc:\n\t"
	"jz 1f\n\t"
	"movl $2, %eax\n\t"
	"ret\n"
	"1:\tmovl $1, %eax\n\t"
	"ret\n\t"
	".balign 16\n"
	/* a direct call whose rel32 is retargeted */
	"smc_caller:\n"
	"smc_caller_call:\n\t"
	"call smc_target_a\n\t"
	"addl $0x100, %eax\n\t"
	"ret\n\t"
	".balign 16\n"
	"smc_target_a:\n\t"
	"movl $0xa, %eax\n\t"
	"ret\n\t"
	".balign 16\n"
	"smc_target_b:\n\t"
	"movl $0xb, %eax\n\t"
	"ret\n\t"
	".balign 16\n"

	/* 2: store, jmp, then the patched mov (the SDM's safe pattern) */
	"smc_same_jmp:\n\t"
	"movl 4(%esp), %ecx\n\t"
	"movl %ecx, smc_same_jmp_insn + 1\n\t"
	"jmp 1f\n"
	"1:\n"
	"smc_same_jmp_insn:\n\t"
	"movl $0, %eax\n\t"
	"ret\n\t"
	".balign 16\n"
	/* store, then the patched instruction at once */
	"smc_same_next:\n\t"
	"movl 4(%esp), %ecx\n\t"
	"movl %ecx, smc_same_next_insn + 1\n"
	"smc_same_next_insn:\n\t"
	"movl $0, %eax\n\t"
	"ret\n\t"
	".balign 16\n"
	/* store, three instructions, then add $imm32, %eax (05 id) */
	"smc_same_ahead:\n\t"
	"movl 4(%esp), %ecx\n\t"
	"movl %ecx, smc_same_ahead_insn + 1\n\t"
	"xorl %eax, %eax\n\t"
	"incl %eax\n\t"
	"addl $3, %eax\n"
	"smc_same_ahead_insn:\n\t"
	".byte 0x05\n\t"
	".long 0\n\t"
	"ret\n\t"
	".balign 16\n"
	/* a jmp (eb 05) rewritten into two nops, then a jmp, then the nops:
	 * returns 2 when the new bytes ran, 1 when the old jmp did */
	"smc_same_opcode_jmp:\n\t"
	"movl $1, %eax\n\t"
	"movw $0x9090, smc_same_opcode_jmp_insn\n\t"
	"jmp 1f\n"
	"1:\n"
	"smc_same_opcode_jmp_insn:\n\t"
	".byte 0xeb, 0x05\n\t"
	"movl $2, %eax\n\t"
	"ret\n\t"
	".balign 16\n"
	/* the same with the rewritten jmp right after the store */
	"smc_same_opcode_next:\n\t"
	"movl $1, %eax\n\t"
	"movw $0x9090, smc_same_opcode_next_insn\n"
	"smc_same_opcode_next_insn:\n\t"
	".byte 0xeb, 0x05\n\t"
	"movl $2, %eax\n\t"
	"ret\n\t"
	".balign 16\n"
	/* sum of n..1: each iteration writes the counter into the
	 * immediate of the add (81 c2 id) that follows the store */
	"smc_same_loop:\n\t"
	"movl 4(%esp), %ecx\n\t"
	"xorl %edx, %edx\n"
	"1:\tmovl %ecx, smc_same_loop_insn + 2\n"
	"smc_same_loop_insn:\n\t"
	".byte 0x81, 0xc2\n\t"
	".long 0\n\t"
	"decl %ecx\n\t"
	"jnz 1b\n\t"
	"movl %edx, %eax\n\t"
	"ret\n\t"
	".balign 16\n"

	/* 6: the function the timer handler patches */
	"smc_irq_fn:\n"
	"smc_irq_fn_insn:\n\t"
	"movl $0, %eax\n\t"
	"ret\n\t"
	".balign 16\n"
	/* spins until its own immediate is nonzero, or for 60 ticks */
	"smc_spin:\n"
	"smc_spin_insn:\n\t"
	"movl $0, %eax\n\t"
	"testl %eax, %eax\n\t"
	"jnz 1f\n\t"
	"cmpl $60, ticks\n\t"
	"jb smc_spin\n"
	"1:\tret\n\t"
	".balign 4096\n\t"
	".popsection");

/* ---- 5: a page with code and hot data ---- */
uint32_t mix_fn(uint32_t x);
uint32_t mix_loop(uint32_t n);
extern volatile uint32_t mix_data, mix_self, mix_acc;

__asm__(".pushsection .text.smcmix, \"ax\"\n\t"
	".balign 4096\n"
	/* 3 * mix_data + x, and counts its calls in mix_self */
	"mix_fn:\n\t"
	"movl mix_data, %eax\n\t"
	"leal (%eax,%eax,2), %eax\n\t"
	"addl 4(%esp), %eax\n\t"
	"incl mix_self\n\t"
	"ret\n\t"
	".balign 16\n"
	/* mix_acc += n + (n - 1) + ... + 1, one store per iteration */
	"mix_loop:\n\t"
	"movl 4(%esp), %ecx\n"
	"1:\taddl %ecx, mix_acc\n\t"
	"decl %ecx\n\t"
	"jnz 1b\n\t"
	"movl mix_acc, %eax\n\t"
	"ret\n\t"
	".balign 64\n"
	"mix_data:\t.long 0\n"
	"mix_self:\t.long 0\n"
	"mix_acc:\t.long 0\n\t"
	".balign 4096\n\t"
	".popsection");

/* ---- 3 and 4: code blobs that are copied as data ---- */
extern const uint8_t blob_add[], blob_add_end[];
extern const uint8_t blob_mul[], blob_mul_end[];
extern const uint8_t blob_sum[], blob_sum_end[];

__asm__(".pushsection .rodata\n"
	/* a + b */
	"blob_add:\n\t"
	"movl 4(%esp), %eax\n\t"
	"addl 8(%esp), %eax\n\t"
	"ret\n"
	"blob_add_end:\n"
	/* a * b */
	"blob_mul:\n\t"
	"movl 4(%esp), %eax\n\t"
	"imull 8(%esp), %eax\n\t"
	"ret\n"
	"blob_mul_end:\n"
	/* a + (a - 1) + ... + 1, plus b: a loop with a relative branch */
	"blob_sum:\n\t"
	"movl 4(%esp), %ecx\n\t"
	"movl 8(%esp), %eax\n"
	"1:\taddl %ecx, %eax\n\t"
	"loop 1b\n\t"
	"ret\n"
	"blob_sum_end:\n\t"
	".popsection");

typedef uint32_t (*fn2)(uint32_t a, uint32_t b);
typedef uint32_t (*fn0)(void);

static uint8_t jit_buf[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
/* Two pages: an instruction that starts on one and ends on the next. */
static uint8_t cross_buf[2 * PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

/* The alias frame of part 3 and its linear addresses. */
#define ALIAS_FRAME 0xa00000u	     /* in 8..16 MiB, outside the page pool */
#define ALIAS_X 0x40000000u	     /* 4 KiB page, read-only: where it runs */
#define ALIAS_W 0x40400000u	     /* 4 KiB page, writable */
#define ALIAS_LARGE_BASE 0x80000000u /* 4 MiB page over 8..12 MiB */
#define ALIAS_L (ALIAS_LARGE_BASE + (ALIAS_FRAME - 0x800000u))

static volatile uint32_t *code32(uint8_t *p)
{
	return (volatile uint32_t *)p;
}

static volatile uint16_t *code16(uint8_t *p)
{
	return (volatile uint16_t *)p;
}

static void copy_code(uint32_t dst, const uint8_t *start, const uint8_t *end)
{
	volatile uint8_t *d = (volatile uint8_t *)dst;

	while (start < end)
		*d++ = *start++;
}

static void section_paging(const char *name, int paging)
{
	char buf[96];

	snprintf(buf, sizeof(buf), "%s (paging %s)", name,
		 paging ? "on" : "off");
	section(buf);
}

/* ---- 1 ---- */
static void test_patch_function(int paging)
{
	uint32_t sum = 0, want = 0;

	section_paging("1. patching a function, then calling it", paging);
	code32(smc_imm_insn + 1)[0] = 0x11111111;
	CHECK_EQ(smc_imm(), 0x11111111, "the function returns its immediate");
	code32(smc_imm_insn + 1)[0] = 0x22222222;
	CHECK_EQ(smc_imm(), 0x22222222, "a new immediate is seen at once");
	for (uint32_t i = 1; i <= 500; i++) {
		code32(smc_imm_insn + 1)[0] = i * 7;
		sum += smc_imm();
		want += i * 7;
	}
	CHECK_EQ(sum, want, "500 patch-and-call rounds see every immediate");

	/* xor %eax,%eax; dec %eax; ret: a different length and opcodes */
	code32(smc_imm_insn)[0] = 0xc348c031u;
	CHECK_EQ(smc_imm(), 0xffffffffu, "new instructions of other lengths");
	smc_imm_insn[0] = 0xb8; /* back to mov $imm32, %eax; ret */
	code32(smc_imm_insn + 1)[0] = 0x33333333;
	smc_imm_insn[5] = 0xc3;
	CHECK_EQ(smc_imm(), 0x33333333, "the original instruction again");

	smc_branch_jcc[0] = 0x74; /* jz */
	CHECK(smc_branch(0) == 1 && smc_branch(5) == 2, "jz before the patch");
	smc_branch_jcc[0] = 0x75; /* jnz */
	CHECK(smc_branch(0) == 2 && smc_branch(5) == 1,
	      "jz patched into jnz takes the other path");
	smc_branch_jcc[0] = 0x74;
	CHECK(smc_branch(0) == 1 && smc_branch(5) == 2, "and back to jz");

	code32(smc_caller_call + 1)[0] =
		(uint32_t)smc_target_a - (uint32_t)(smc_caller_call + 5);
	CHECK_EQ(smc_caller(), 0x10a, "a direct call reaches its target");
	code32(smc_caller_call + 1)[0] =
		(uint32_t)smc_target_b - (uint32_t)(smc_caller_call + 5);
	CHECK_EQ(smc_caller(), 0x10b,
		 "a retargeted call reaches the new target");
	code32(smc_caller_call + 1)[0] =
		(uint32_t)smc_target_a - (uint32_t)(smc_caller_call + 5);
	CHECK_EQ(smc_caller(), 0x10a, "and the old one after a second patch");
}

/* ---- 2 ---- */
static void test_same_block(int paging)
{
	uint32_t ok;

	section_paging("2. stores into the executing block", paging);
	ok = 1;
	for (uint32_t v = 1; v <= 100; v++)
		ok &= smc_same_jmp(v * 0x01010101u) == v * 0x01010101u;
	CHECK(ok, "store, jmp, patched mov: new immediate (100 values)");
	ok = 1;
	for (uint32_t v = 1; v <= 100; v++)
		ok &= smc_same_next(v * 3) == v * 3;
	CHECK(ok, "store, then the patched mov at once (P6+): new immediate");
	ok = 1;
	for (uint32_t v = 1; v <= 100; v++)
		ok &= smc_same_ahead(v << 8) == (v << 8) + 4;
	CHECK(ok, "store, 3 instructions, patched add (P6+): new immediate");

	code16(smc_same_opcode_jmp_insn)[0] = 0x05eb;
	CHECK_EQ(smc_same_opcode_jmp(), 2,
		 "store, jmp, a jmp rewritten into nops: the nops run");
	code16(smc_same_opcode_next_insn)[0] = 0x05eb;
	CHECK_EQ(smc_same_opcode_next(), 2,
		 "store, then a jmp rewritten into nops (P6+): the nops run");
	code16(smc_same_opcode_next_insn)[0] = 0x05eb;
	CHECK_EQ(smc_same_opcode_next(), 2, "again after restoring the jmp");

	code32(smc_same_loop_insn + 2)[0] = 0;
	CHECK_EQ(smc_same_loop(1000), 500500,
		 "a loop patching its own body every iteration (P6+)");
}

/* ---- 3 ---- */
static void test_aliases(uint32_t *pd)
{
	fn0 at_x = (fn0)ALIAS_X, at_w = (fn0)ALIAS_W, at_l = (fn0)ALIAS_L;
	fn0 at_id = (fn0)ALIAS_FRAME;
	uint32_t ok;

	section("3. writes through a second linear alias (paging on)");
	map_page(pd, ALIAS_X, ALIAS_FRAME, PTE_P);
	map_page(pd, ALIAS_W, ALIAS_FRAME, PTE_P | PTE_W);
	map_large(pd, ALIAS_LARGE_BASE, 0x800000u, PTE_P | PTE_W);
	reload_cr3();

	/* mov $imm32, %eax; ret, written through the writable alias */
	*(volatile uint8_t *)ALIAS_W = 0xb8;
	*(volatile uint32_t *)(ALIAS_W + 1) = 0x1000;
	*(volatile uint8_t *)(ALIAS_W + 5) = 0xc3;
	CHECK_EQ(at_x(), 0x1000, "code written at W runs at X");
	*(volatile uint32_t *)(ALIAS_W + 1) = 0x2000;
	CHECK_EQ(at_x(), 0x2000, "a patch through W is seen at X");
	ok = 1;
	for (uint32_t i = 0; i < 100; i++) {
		*(volatile uint32_t *)(ALIAS_W + 1) = 0x3000 + i;
		ok &= at_x() == 0x3000 + i;
	}
	CHECK(ok, "100 patches through W, each seen at X");
	*(volatile uint32_t *)(ALIAS_X + 1) = 0x4000;
	CHECK_EQ(at_w(), 0x4000, "a patch through X (CR0.WP = 0) is seen at W");
	*(volatile uint32_t *)(ALIAS_L + 1) = 0x5000;
	CHECK_EQ(at_x(), 0x5000, "a patch through a 4 MiB alias is seen at X");
	*(volatile uint32_t *)(ALIAS_X + 1) = 0x6000;
	CHECK_EQ(at_l(), 0x6000, "and the other way round");
	*(volatile uint32_t *)(ALIAS_FRAME + 1) = 0x7000;
	CHECK(at_x() == 0x7000 && at_w() == 0x7000 && at_l() == 0x7000 &&
		      at_id() == 0x7000,
	      "a patch through the identity map is seen at all four");

	/* A new function, bigger than the old one, through W. */
	copy_code(ALIAS_W, blob_sum, blob_sum_end);
	CHECK_EQ(((fn2)ALIAS_X)(10, 1), 56, "a new function copied through W");
}

/* ---- 4 ---- */
/*
 * mov $imm32, %eax; ret with the opcode and two immediate bytes at the
 * end of one page and the rest on the next: patching either page is
 * seen by the next call (translators that keep blocks within a page
 * must fetch such an instruction from both).
 */
static void test_cross_page(void)
{
	uint8_t *at = cross_buf + PAGE_SIZE - 3;
	fn0 f = (fn0)at;
	uint32_t sum = 0;

	at[0] = 0xb8;
	for (int i = 1; i < 5; i++)
		at[i] = 0x11;
	at[5] = 0xc3;
	for (int i = 0; i < 100; i++)
		sum += f();
	CHECK_EQ(sum, 100u * 0x11111111u,
		 "an instruction across two pages runs (100 calls)");
	at[3] = 0x22; /* next page: immediate bits 16..23 */
	CHECK_EQ(f(), 0x11221111u, "a patch on its second page is seen");
	at[2] = 0x33; /* first page: bits 8..15 */
	CHECK_EQ(f(), 0x11223311u, "a patch on its first page is seen");
	at[5] = 0x40; /* inc %eax, then the ret after it */
	at[6] = 0xc3;
	CHECK_EQ(f(), 0x11223312u, "code after it on the second page changed");
}

static void test_jit(int paging)
{
	uint32_t buf = (uint32_t)jit_buf;
	fn2 f = (fn2)buf, g = (fn2)(buf + 64);
	uint32_t sum = 0, want = 0;

	section_paging("4. a JIT buffer", paging);
	copy_code(buf, blob_add, blob_add_end);
	CHECK_EQ(f(3, 4), 7, "copied function runs");
	copy_code(buf, blob_mul, blob_mul_end);
	CHECK_EQ(f(3, 4), 12, "overwritten by another function");
	for (uint32_t i = 0; i < 200; i++) {
		if (i & 1) {
			copy_code(buf, blob_add, blob_add_end);
			want += i + 5;
		} else {
			copy_code(buf, blob_mul, blob_mul_end);
			want += i * 5;
		}
		sum += f(i, 5);
	}
	CHECK_EQ(sum, want, "200 rewrites alternating two functions");
	copy_code(buf, blob_sum, blob_sum_end);
	CHECK_EQ(f(100, 0), 5050, "a longer function with a loop");
	copy_code(buf, blob_sum, blob_sum_end);
	CHECK_EQ(f(10, 0), 55, "rewritten with identical bytes: still runs");
	copy_code(buf + 64, blob_add, blob_add_end);
	CHECK(f(10, 1) == 56 && g(10, 1) == 11,
	      "a second function at another offset; the first still runs");
	copy_code(buf, blob_mul, blob_mul_end);
	CHECK(f(6, 7) == 42 && g(6, 7) == 13,
	      "the first replaced; the second unchanged");
	test_cross_page();
}

/* ---- 5 ---- */
static void test_mixed_page(void)
{
	uint32_t sum = 0, want = 0;

	section("5. a page with code and hot data (paging on)");
	mix_self = 0;
	for (uint32_t i = 0; i < 20000; i++) {
		mix_data = i;
		sum += mix_fn(i & 0xff);
		want += 3 * i + (i & 0xff);
	}
	CHECK_EQ(sum, want, "20000 data stores interleaved with calls");
	CHECK_EQ(mix_self, 20000, "the code's own stores to its page");
	mix_acc = 7;
	CHECK_EQ(mix_loop(20000), 7 + 200010000u,
		 "a loop that stores into its own page 20000 times");
	mix_acc = 0;
	for (uint32_t i = 0; i < 100; i++) {
		mix_data = i;
		mix_loop(100);
		mix_fn(0);
	}
	CHECK_EQ(mix_acc, 100 * 5050, "both, alternating");
}

/* ---- 7 ---- */
static __attribute__((noinline)) void store32(volatile uint32_t *p, uint32_t v)
{
	*p = v;
}

static void test_store_code_then_data(void)
{
	static volatile uint32_t data[64];
	uint32_t bad_code = 0, bad_data = 0;

	section("7. one store to code, then to data, then to code (paging on)");
	for (uint32_t round = 0; round < 3; round++) {
		for (uint32_t i = 0; i < 8; i++) {
			store32(code32(smc_imm_insn + 1), round * 100 + i);
			bad_code += smc_imm() != round * 100 + i;
		}
		for (uint32_t i = 0; i < 2000; i++) {
			store32(&data[i % 64], i ^ round);
			bad_data += data[i % 64] != (i ^ round);
		}
	}
	CHECK_EQ(bad_code, 0, "every patch of the code is what runs");
	CHECK_EQ(bad_data, 0, "every store to data lands");
}

/* ---- 6 ---- */
/* ticks is read by smc_spin (assembly), hence global. */
volatile uint32_t ticks;
static volatile uint32_t spin_arm_tick;

static void timer_handler(struct trap_frame *f)
{
	(void)f;
	ticks++;
	if (ticks <= 5)
		code32(smc_irq_fn_insn + 1)[0] = ticks;
	if (ticks == spin_arm_tick)
		code32(smc_spin_insn + 1)[0] = 0x5a5a;
	pic_eoi(0);
}

static void test_interrupt(void)
{
	uint32_t v = 0, prev = 0, bad = 0, r;

	section("6. code patched by the timer interrupt (paging on)");
	code32(smc_irq_fn_insn + 1)[0] = 0;
	code32(smc_spin_insn + 1)[0] = 0;
	spin_arm_tick = 0;
	ticks = 0;
	trap_set_handler(IRQ_BASE, timer_handler);
	pit_set_hz(500);
	pic_set_mask(0xfffe);
	sti();
	while (ticks < 50) {
		v = smc_irq_fn();
		if (v < prev || v > ticks)
			bad++;
		prev = v;
		if (v == 5)
			break;
	}
	CHECK_EQ(v, 5, "the loop sees the handler's last patch");
	CHECK_EQ(bad, 0, "values only grow and never run ahead of the ticks");

	spin_arm_tick = ticks + 3;
	r = smc_spin();
	CHECK_EQ(r, 0x5a5a,
		 "a loop spinning on its own immediate sees the patch");
	CHECK(ticks >= spin_arm_tick, "only after the patching tick");
	cli();
	pic_set_mask(0xffff);
	trap_set_handler(IRQ_BASE, 0);
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t *pd;

	(void)magic;
	(void)mbi;
	printf("smc: self-modifying code\n");
	test_patch_function(0);
	test_same_block(0);
	test_jit(0);

	pd = pd_kernel();
	paging_enable(pd);
	test_patch_function(1);
	test_same_block(1);
	test_aliases(pd);
	test_jit(1);
	test_mixed_page();
	test_interrupt();
	test_store_code_then_data();
	paging_disable();
}
