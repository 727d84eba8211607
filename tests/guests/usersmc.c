/*
 * usersmc - self-modifying user code.
 *
 * A user process (IF = 1, IOPL = 0: under bt386 it runs directly on the
 * host CPU, with the PIT interrupting it) writes instructions and runs
 * them:
 *   1. in a writable + executable page of its own (CODE_VA): an immediate
 *      patched and called 1000 times, then instructions of other lengths;
 *   2. a store into the very next instruction of the running block (same
 *      linear address: must be seen without a jump);
 *   3. a loop that increments the immediate of its own first instruction
 *      on every iteration;
 *   4. through a second mapping of the same frame (ALIAS_VA): written
 *      through one address, run through the other (cpuid in between, the
 *      serializing instruction the SDM asks for when the addresses
 *      differ), both ways;
 *   5. JIT style: functions generated into a fresh page, never run before,
 *      then regenerated 100 times at moving offsets; and into a page the
 *      kernel maps for it at that moment;
 *   6. code in the page is also run by the kernel (ring 0) between the
 *      user's patches, and patched by the kernel between the user's calls;
 *   7. a function in the program's own text section, patched in place.
 * Results are checked by the kernel (int $0x80) so that checks print in
 * order.
 */
#include "guest.h"

#define HZ 250
#define CODE_VA 0x40000000u
#define ALIAS_VA 0x40400000u /* another page table, same frame */
#define JIT_VA 0x40001000u
#define JIT2_VA 0x40002000u
#define STACK_VA 0x40010000u
#define STACK_TOP (STACK_VA + PAGE_SIZE)
#define FRAME_CODE 0x800000u
#define FRAME_JIT 0x801000u
#define FRAME_JIT2 0x802000u

enum {
	SYS_EXIT = 1,
	SYS_CHECK,  /* name, got, want */
	SYS_PREFIX, /* name prefix */
	SYS_KCALL,  /* the kernel calls va(arg) */
	SYS_KPATCH, /* the kernel writes an imm32 at va */
	SYS_MAP,    /* map a fresh zeroed frame at JIT2_VA */
};

typedef uint32_t (*ufn)(uint32_t);

/* ---- user ---- */

static inline __attribute__((always_inline)) uint32_t
sys4(uint32_t n, uint32_t a, uint32_t b, uint32_t c)
{
	__asm__ volatile("int $0x80"
			 : "+a"(n), "+b"(a), "+c"(b), "+d"(c)
			 :
			 : "memory");
	return n;
}

USER_TEXT static void uchk(const char *name, uint32_t got, uint32_t want)
{
	sys4(SYS_CHECK, (uint32_t)name, got, want);
}

USER_TEXT static void uprefix(const char *p)
{
	sys4(SYS_PREFIX, (uint32_t)p, 0, 0);
}

/* Resynchronize instruction fetch with memory (SDM: after a write
 * through another linear address). */
static inline __attribute__((always_inline)) void serialize(void)
{
	uint32_t a = 0, b, c = 0, d;

	__asm__ volatile("cpuid"
			 : "+a"(a), "=b"(b), "+c"(c), "=d"(d)
			 :
			 : "memory");
}

USER_TEXT static uint32_t call(uint32_t va, uint32_t arg)
{
	return ((ufn)va)(arg);
}

USER_TEXT static void put8(uint32_t va, uint8_t v)
{
	*(volatile uint8_t *)va = v;
}

USER_TEXT static void put32(uint32_t va, uint32_t v)
{
	*(volatile uint32_t *)va = v;
}

/* mov $imm, %eax; ret */
USER_TEXT static void gen_imm(uint32_t va, uint32_t imm)
{
	put8(va, 0xb8);
	put32(va + 1, imm);
	put8(va + 5, 0xc3);
}

/* A function in this program's own text, patched in place. */
uint32_t text_fn(uint32_t arg);
extern uint8_t text_fn_imm[];
__asm__(".pushsection .user.text, \"ax\"\n"
	"text_fn:\n\t"
	".byte 0xb8\n" /* mov $imm32, %eax */
	"text_fn_imm:\n\t"
	".long 0x00000000\n\t"
	"addl 4(%esp), %eax\n\t"
	"ret\n\t"
	".popsection");

USER_TEXT static void t_patch(void)
{
	uint32_t sum = 0, want = 0;

	uprefix(USTR("own code page: "));
	gen_imm(CODE_VA, 0x11111111);
	uchk(USTR("a generated function runs"), call(CODE_VA, 0), 0x11111111);
	put32(CODE_VA + 1, 0x22222222);
	uchk(USTR("a new immediate is seen at once"), call(CODE_VA, 0),
	     0x22222222);
	for (uint32_t i = 1; i <= 1000; i++) {
		put32(CODE_VA + 1, i * 7);
		sum += call(CODE_VA, 0);
		want += i * 7;
	}
	uchk(USTR("1000 patch-and-call rounds see every immediate"), sum, want);
	/* xor %eax,%eax; dec %eax; ret */
	put32(CODE_VA, 0xc348c031u);
	uchk(USTR("other instructions, other lengths"), call(CODE_VA, 0),
	     0xffffffffu);
	/* mov 4(%esp),%eax; neg %eax; ret */
	put32(CODE_VA, 0x0424448bu);
	put32(CODE_VA + 4, 0x00c3d8f7u);
	uchk(USTR("a function that reads its argument"), call(CODE_VA, 5),
	     (uint32_t)-5);
	gen_imm(CODE_VA, 0x33333333);
	uchk(USTR("and back to the immediate"), call(CODE_VA, 0), 0x33333333);
}

/*
 * At CODE_VA + 0x100:
 *   xor %eax,%eax; mov 4(%esp),%ecx; mov %cl,(imm8 of the next insn);
 *   mov $0,%al; ret
 * The store changes the instruction right after it: arg & 0xff.
 */
#define AHEAD_VA (CODE_VA + 0x100)
#define AHEAD_IMM (AHEAD_VA + 0xd)

USER_TEXT static void t_ahead(void)
{
	uint32_t bad = 0;

	uprefix(USTR("store into the next instruction: "));
	put8(AHEAD_VA + 0x0, 0x31);
	put8(AHEAD_VA + 0x1, 0xc0);
	put32(AHEAD_VA + 0x2, 0x04244c8bu);
	put8(AHEAD_VA + 0x6, 0x88);
	put8(AHEAD_VA + 0x7, 0x0d);
	put32(AHEAD_VA + 0x8, AHEAD_IMM);
	put8(AHEAD_VA + 0xc, 0xb0);
	put8(AHEAD_VA + 0xd, 0x00);
	put8(AHEAD_VA + 0xe, 0xc3);
	uchk(USTR("the first run sees its own store"), call(AHEAD_VA, 0x42),
	     0x42);
	for (uint32_t i = 0; i < 1000; i++)
		if (call(AHEAD_VA, i) != (i & 0xff))
			bad++;
	uchk(USTR("1000 runs, each with a new value"), bad, 0);
}

/*
 * At CODE_VA + 0x200: sum of 0..n-1 by a loop whose first instruction,
 * mov $imm,%eax, has its immediate incremented by the loop body.
 */
#define LOOP_VA (CODE_VA + 0x200)
#define LOOP_IMM (LOOP_VA + 0x11)

USER_TEXT static void t_loop(void)
{
	static const uint8_t USER_RODATA prog[] = {
		0x8b, 0x4c, 0x24, 0x04,			  /* mov 4(%esp),%ecx */
		0x31, 0xd2,				  /* xor %edx,%edx */
		0xc7, 0x05, 0,	  0,	0, 0, 0, 0, 0, 0, /* movl $0, imm */
		0xb8, 0,    0,	  0,	0,		  /* mov $imm,%eax */
		0x01, 0xc2,				  /* add %eax,%edx */
		0xff, 0x05, 0,	  0,	0, 0,		  /* incl imm */
		0x49,					  /* dec %ecx */
		0x75, 0xf0,				  /* jnz mov */
		0x89, 0xd0,				  /* mov %edx,%eax */
		0xc3,					  /* ret */
	};

	uprefix(USTR("a loop that rewrites its own first instruction: "));
	for (uint32_t i = 0; i < sizeof(prog); i++)
		put8(LOOP_VA + i, prog[i]);
	put32(LOOP_VA + 0x8, LOOP_IMM);
	put32(LOOP_VA + 0x19, LOOP_IMM);
	uchk(USTR("10 iterations"), call(LOOP_VA, 10), 45);
	uchk(USTR("100000 iterations"), call(LOOP_VA, 100000),
	     100000u * 99999u / 2);
	uchk(USTR("the immediate holds the count"),
	     *(volatile uint32_t *)LOOP_IMM, 100000);
}

USER_TEXT static void t_alias(void)
{
	uint32_t bad = 0;

	uprefix(USTR("aliases: "));
	gen_imm(CODE_VA + 0x300, 1);
	uchk(USTR("runs at the first address"), call(CODE_VA + 0x300, 0), 1);
	uchk(USTR("and at the alias"), call(ALIAS_VA + 0x300, 0), 1);
	for (uint32_t i = 0; i < 500; i++) {
		put32(ALIAS_VA + 0x301, i);
		serialize();
		if (call(CODE_VA + 0x300, 0) != i)
			bad++;
		put32(CODE_VA + 0x301, ~i);
		serialize();
		if (call(ALIAS_VA + 0x300, 0) != ~i)
			bad++;
		if (call(CODE_VA + 0x300, 0) != ~i)
			bad++;
	}
	uchk(USTR("500 rounds: written through one, run through the other"),
	     bad, 0);
	/* A whole new function through the alias. */
	put32(ALIAS_VA + 0x380, 0x0424448bu); /* mov 4(%esp),%eax */
	put32(ALIAS_VA + 0x384, 0x00c3c001u); /* add %eax,%eax; ret */
	serialize();
	uchk(USTR("a function written only through the alias"),
	     call(CODE_VA + 0x380, 21), 42);
}

/* mov 4(%esp),%ecx; xor %eax,%eax; 1: add $imm,%eax; loop 1b; ret */
USER_TEXT static void gen_mul(uint32_t va, uint32_t imm)
{
	put32(va, 0x04244c8bu);
	put8(va + 4, 0x31);
	put8(va + 5, 0xc0);
	put8(va + 6, 0x05);
	put32(va + 7, imm);
	put8(va + 11, 0xe2);
	put8(va + 12, 0xf9);
	put8(va + 13, 0xc3);
}

USER_TEXT static void t_jit(void)
{
	uint32_t bad = 0;

	uprefix(USTR("JIT: "));
	gen_mul(JIT_VA, 9);
	uchk(USTR("a function generated into a fresh page"), call(JIT_VA, 5),
	     45);
	for (uint32_t g = 1; g <= 100; g++) {
		uint32_t off = 0x40 + ((g * 0x68) & 0x780);

		gen_mul(JIT_VA + off, g);
		if (call(JIT_VA + off, g + 3) != g * (g + 3))
			bad++;
		/* The old copy at offset 0 must still be the old code. */
		if (call(JIT_VA, 2) != 18)
			bad++;
	}
	uchk(USTR("100 generations at moving offsets"), bad, 0);
	bad = 0;
	for (uint32_t g = 1; g <= 50; g++) {
		gen_mul(JIT_VA + 0x800, g * 1000);
		if (call(JIT_VA + 0x800, 3) != g * 3000)
			bad++;
	}
	uchk(USTR("50 generations at one offset"), bad, 0);
	sys4(SYS_MAP, 0, 0, 0);
	gen_mul(JIT2_VA + 0x10, 77);
	uchk(USTR("into a page mapped just now"), call(JIT2_VA + 0x10, 3), 231);
	sys4(SYS_MAP, 0, 0, 0);
	uchk(USTR("the page remapped to a fresh frame: zeros"),
	     *(volatile uint32_t *)(JIT2_VA + 0x10), 0);
	gen_mul(JIT2_VA + 0x10, 5);
	uchk(USTR("and new code there runs"), call(JIT2_VA + 0x10, 3), 15);
}

USER_TEXT static void t_kernel(void)
{
	uint32_t bad = 0;

	uprefix(USTR("code shared with the kernel: "));
	gen_imm(CODE_VA + 0x400, 100);
	uchk(USTR("the kernel runs the user's function"),
	     sys4(SYS_KCALL, CODE_VA + 0x400, 0, 0), 100);
	for (uint32_t i = 0; i < 200; i++) {
		uint32_t va = (i & 1) ? ALIAS_VA + 0x401 : CODE_VA + 0x401;

		put32(va, i * 3);
		serialize();
		if (call(CODE_VA + 0x400, 0) != i * 3)
			bad++;
		if (sys4(SYS_KCALL, CODE_VA + 0x400, 0, 0) != i * 3)
			bad++;
		sys4(SYS_KPATCH, CODE_VA + 0x401, i * 5, 0);
		if (call(CODE_VA + 0x400, 0) != i * 5)
			bad++;
		if (sys4(SYS_KCALL, CODE_VA + 0x400, 0, 0) != i * 5)
			bad++;
	}
	uchk(USTR("200 rounds: user and kernel patches, both run"), bad, 0);
}

USER_TEXT static void t_text(void)
{
	uint32_t bad = 0;

	uprefix(USTR("the program's own text: "));
	for (uint32_t i = 0; i < 300; i++) {
		*(volatile uint32_t *)text_fn_imm = i << 8;
		if (text_fn(i) != (i << 8) + i)
			bad++;
	}
	uchk(USTR("300 patches of a function in .user.text"), bad, 0);
}

USER_TEXT void smc_user(void)
{
	t_patch();
	t_ahead();
	t_loop();
	t_alias();
	t_jit();
	t_kernel();
	t_text();
	sys4(SYS_EXIT, 0, 0, 0);
}

/* ---- kernel ---- */

static uint32_t *kpd, *upd;
static char prefix[64];
static uint32_t next_jit2 = FRAME_JIT2, ticks_in_user;

static const char *with_prefix(const char *name)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "%s%s", prefix, name);
	return buf;
}

static void timer_irq(struct trap_frame *f)
{
	pic_eoi(0);
	if ((f->cs & 3) == 3)
		ticks_in_user++;
}

static void syscall(struct trap_frame *f)
{
	switch (f->eax) {
	case SYS_EXIT:
		return_to_kernel(0);
	case SYS_CHECK:
		check_eq(f->ecx, f->edx, with_prefix((const char *)f->ebx));
		break;
	case SYS_PREFIX:
		snprintf(prefix, sizeof(prefix), "%s", (const char *)f->ebx);
		break;
	case SYS_KCALL:
		f->eax = ((ufn)f->ebx)(f->ecx);
		break;
	case SYS_KPATCH:
		*(volatile uint32_t *)f->ebx = f->ecx;
		break;
	case SYS_MAP:
		memset((void *)next_jit2, 0, PAGE_SIZE);
		*pte_ptr(upd, JIT2_VA) = next_jit2 | PTE_P | PTE_W | PTE_U;
		invlpg(JIT2_VA);
		next_jit2 += PAGE_SIZE;
		break;
	default:
		f->eax = (uint32_t)-1;
		break;
	}
}

static void unexpected(struct trap_frame *f)
{
	panic("exception %u (error 0x%x) at %04x:%08x, cr2 %08x", f->vector,
	      f->err, f->cs & 0xffff, f->eip, read_cr2());
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("usersmc: self-modifying user code\n");
	kpd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(kpd, va) |= PTE_U;
	upd = pd_new();
	for (int i = 0; i < 4; i++)
		upd[i] = kpd[i];
	memset((void *)FRAME_CODE, 0xcc, PAGE_SIZE); /* int3 everywhere */
	memset((void *)FRAME_JIT, 0, PAGE_SIZE);
	map_page(upd, CODE_VA, FRAME_CODE, PTE_P | PTE_W | PTE_U);
	map_page(upd, ALIAS_VA, FRAME_CODE, PTE_P | PTE_W | PTE_U);
	map_page(upd, JIT_VA, FRAME_JIT, PTE_P | PTE_W | PTE_U);
	map_page(upd, STACK_VA, (uint32_t)page_alloc(), PTE_P | PTE_W | PTE_U);
	paging_enable(upd);
	write_cr0(read_cr0() | CR0_WP);

	for (int v = 0; v < 32; v++)
		trap_set_handler(v, unexpected);
	trap_set_handler(IRQ_BASE, timer_irq);
	trap_set_handler(0x80, syscall);
	idt_set_gate(0x80, idt_stub(0x80), GATE_INT32, 3);
	pit_set_hz(HZ);
	pic_set_mask(0xfffe);
	enter_user((uint32_t)smc_user, STACK_TOP, FL_IF | 0x2);
	pic_set_mask(0xffff);
	write_cr3((uint32_t)kpd);
	paging_disable();
}
