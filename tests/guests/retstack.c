/*
 * retstack - near calls and returns in every shape a translator that
 * predicts returns (src/bt/return_stack.c) must get exactly right, in
 * ring 0 with paging off and on, and in ring 3:
 *
 *  1. recursion 40000 deep, deeper than any return-prediction stack;
 *  2. 100000 calls that never return (`call 1f; 1: pop`), then calls and
 *     returns that must still work;
 *  3. one such call inside a callee, which then returns;
 *  4. a callee that replaces its own return address;
 *  5. `ret $8`;
 *  6. a longjmp out of recursion 200 deep, ten times over;
 *  7. two coroutines that switch stacks 2000 times, each calling
 *     functions between switches; five calls in a row in straight-line
 *     code (more than a translated block goes on after);
 *  8. a return whose site the callee rewrote (ring 0);
 *  9. a return whose site the callee remapped to another frame, and back
 *     (paging on);
 * 10. a loop of calls and returns that only the timer interrupt ends.
 *
 * Everything is checked with exact values; nothing printed depends on
 * timing.
 */
#include "guest.h"

enum { SYS_EXIT = 1, SYS_REMAP = 2 };

/* 1 MiB of stack for the deep cases, at 10 MiB (free, identity mapped;
 * made user-accessible for the ring 3 run). */
#define BIG_STACK_LO 0xa00000u
#define BIG_STACK_TOP 0xb00000u
/* The remap case: linear page REMAP_VA, frames at 9 MiB. */
#define REMAP_VA 0x50000000u
#define REMAP_F1 0x900000u
#define REMAP_F2 0x901000u

USER_DATA volatile uint32_t u_val, u_esp_saved, u_jmp_esp, u_jmp_val;
USER_DATA volatile uint32_t u_out[16];
USER_DATA volatile uint32_t co_a_esp, co_b_esp, co_log[64], co_n;
USER_DATA static uint8_t ustack[8192] __attribute__((aligned(16)));
USER_DATA static uint8_t co_stack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))

/* ---- the routines (on user pages: ring 0 and ring 3 run them) ---- */
uint32_t rs_on_stack(uint32_t (*fn)(uint32_t), uint32_t arg, uint32_t top);
uint32_t rs_deep(uint32_t n);
uint32_t rs_getpc(uint32_t n);
uint32_t rs_stale_outer(uint32_t x);
uint32_t rs_redirect_outer(void);
uint32_t rs_retn_outer(uint32_t x);
uint32_t rs_jmp_outer(uint32_t n);
uint32_t co_switch(volatile uint32_t *save, uint32_t to);
uint32_t rs_spin(volatile uint32_t *until);
uint32_t rs_call_at(uint32_t addr, void (*inner)(void));
uint32_t rs_five(void);
extern uint8_t rs_remap_tpl[], rs_remap_tpl_site[], rs_remap_tpl_end[];

__asm__(".pushsection .user.text, \"ax\"\n"
	/* rs_on_stack(fn, arg, top): fn(arg) with ESP at top (cdecl) */
	"rs_on_stack:\n\t"
	"pushl %ebp\n\t"
	"movl %esp, %ebp\n\t"
	"movl 8(%ebp), %ecx\n\t"
	"movl 12(%ebp), %eax\n\t"
	"movl 16(%ebp), %esp\n\t"
	"pushl %eax\n\t"
	"call *%ecx\n\t"
	"movl %ebp, %esp\n\t"
	"popl %ebp\n\t"
	"ret\n"
	/* rs_deep(n): n + (n-1) + ... + 1, n calls deep (cdecl) */
	"rs_deep:\n\t"
	"movl 4(%esp), %eax\n"
	"rs_deep_r:\n\t"
	"testl %eax, %eax\n\t"
	"jz 1f\n\t"
	"pushl %eax\n\t"
	"decl %eax\n\t"
	"call rs_deep_r\n\t"
	"popl %ecx\n\t"
	"addl %ecx, %eax\n"
	"1:\tret\n"
	/* rs_getpc(n): n calls that never return; returns n */
	"rs_getpc:\n\t"
	"movl 4(%esp), %ecx\n\t"
	"xorl %eax, %eax\n"
	"1:\tcall 2f\n"
	"2:\tpopl %edx\n\t"
	"incl %eax\n\t"
	"decl %ecx\n\t"
	"jnz 1b\n\t"
	"ret\n"
	/* rs_stale_outer(x): (x + 5) * 3 + 1, the callee's call/pop
	 * between */
	"rs_stale_outer:\n\t"
	"movl 4(%esp), %eax\n\t"
	"call rs_stale_inner\n\t"
	"leal 1(%eax,%eax,2), %eax\n\t"
	"ret\n"
	"rs_stale_inner:\n\t"
	"call 1f\n"
	"1:\tpopl %edx\n\t"
	"addl $5, %eax\n\t"
	"ret\n"
	/* rs_redirect_outer(): 0x1111 (the callee returns elsewhere) */
	"rs_redirect_outer:\n\t"
	"call rs_redirect_inner\n\t"
	"movl $0x2222, %eax\n\t"
	"ret\n"
	"rs_redirect_target:\n\t"
	"movl $0x1111, %eax\n\t"
	"ret\n"
	"rs_redirect_inner:\n\t"
	"movl $rs_redirect_target, (%esp)\n\t"
	"ret\n"
	/* rs_retn_outer(x): x + 7 + 9 + 0x100, through ret $8 */
	"rs_retn_outer:\n\t"
	"movl 4(%esp), %eax\n\t"
	"pushl $7\n\t"
	"pushl $9\n\t"
	"call rs_retn_inner\n\t"
	"addl $0x100, %eax\n\t"
	"ret\n"
	"rs_retn_inner:\n\t"
	"addl 4(%esp), %eax\n\t"
	"addl 8(%esp), %eax\n\t"
	"ret $8\n"
	/* rs_jmp_outer(n): recurse n deep, jump back out: 0x4242 + n */
	"rs_jmp_outer:\n\t"
	"movl 4(%esp), %eax\n\t"
	"pushl %ebx\n\t"
	"movl %eax, %ebx\n\t"
	"movl %esp, u_jmp_esp\n\t"
	"call rs_jmp_rec\n\t"
	"movl $0xdead, %eax\n\t" /* never: rs_jmp_rec does not return */
	"popl %ebx\n\t"
	"ret\n"
	"rs_jmp_landing:\n\t"
	"movl u_jmp_esp, %esp\n\t"
	"movl u_jmp_val, %eax\n\t"
	"addl %ebx, %eax\n\t"
	"popl %ebx\n\t"
	"ret\n"
	"rs_jmp_rec:\n\t"
	"testl %eax, %eax\n\t"
	"jz 1f\n\t"
	"pushl %eax\n\t"
	"decl %eax\n\t"
	"call rs_jmp_rec\n\t"
	"popl %ecx\n\t"
	"ret\n"
	"1:\tmovl $0x4242, u_jmp_val\n\t"
	"jmp rs_jmp_landing\n"
	/* co_switch(save, to): save the callee-saved registers and ESP to
	 * *save, resume the context whose ESP is `to` */
	"co_switch:\n\t"
	"movl 4(%esp), %eax\n\t"
	"movl 8(%esp), %edx\n\t"
	"pushl %ebp\n\t"
	"pushl %ebx\n\t"
	"pushl %esi\n\t"
	"pushl %edi\n\t"
	"movl %esp, (%eax)\n\t"
	"movl %edx, %esp\n\t"
	"popl %edi\n\t"
	"popl %esi\n\t"
	"popl %ebx\n\t"
	"popl %ebp\n\t"
	"ret\n"
	/* rs_spin(until): call and return until *until is nonzero;
	 * returns the number of rounds (nonzero) */
	"rs_spin:\n\t"
	"movl 4(%esp), %edx\n\t"
	"xorl %eax, %eax\n"
	"1:\tcall rs_spin_nop\n\t"
	"cmpl $0, (%edx)\n\t"
	"je 1b\n\t"
	"ret\n"
	"rs_spin_nop:\n\t"
	"incl %eax\n\t"
	"ret\n"
	/* rs_five(): five calls in a row, a different callee each:
	 * (1 + 2 + 4 + 8 + 16) * 3 + 0x500 */
	"rs_five:\n\t"
	"xorl %eax, %eax\n\t"
	"call rs_add1\n\t"
	"addl $0x100, %eax\n\t"
	"call rs_add2\n\t"
	"addl $0x100, %eax\n\t"
	"call rs_add4\n\t"
	"addl $0x100, %eax\n\t"
	"call rs_add8\n\t"
	"addl $0x100, %eax\n\t"
	"call rs_add16\n\t"
	"addl $0x100, %eax\n\t"
	"ret\n"
	"rs_add1:\n\taddl $3, %eax\n\tret\n"
	"rs_add2:\n\taddl $6, %eax\n\tret\n"
	"rs_add4:\n\taddl $12, %eax\n\tret\n"
	"rs_add8:\n\taddl $24, %eax\n\tret\n"
	"rs_add16:\n\taddl $48, %eax\n\tret\n"
	/* rs_call_at(addr, inner): the code at addr with ECX = inner */
	"rs_call_at:\n\t"
	"movl 8(%esp), %ecx\n\t"
	"call *4(%esp)\n\t"
	"ret\n"
	/* The remap template, copied to two frames: calls ECX, then
	 * returns the immediate at its return site. */
	"rs_remap_tpl:\n\t"
	"call *%ecx\n"
	"rs_remap_tpl_site:\n\t"
	"movl $0, %eax\n\t"
	"ret\n"
	"rs_remap_tpl_end:\n\t"
	".popsection");

/* ---- C callees: a small call tree with distinct arithmetic ---- */
USER_TEXT uint32_t leaf_a(uint32_t x)
{
	__asm__("" : "+r"(x));
	return x * 0x9e3779b1u ^ (x >> 11);
}

USER_TEXT uint32_t leaf_b(uint32_t x)
{
	__asm__("" : "+r"(x));
	return (x + 0x7f4a7c15u) ^ (x << 7);
}

USER_TEXT uint32_t chain(uint32_t x)
{
	uint32_t a = leaf_a(x);
	uint32_t b = leaf_b(a + 1);

	__asm__("" : "+r"(a), "+r"(b));
	return a ^ (b >> 3);
}

/* The same without calls (the expected values). */
static uint32_t chain_model(uint32_t x)
{
	uint32_t a = x * 0x9e3779b1u ^ (x >> 11);
	uint32_t y = a + 1;
	uint32_t b = (y + 0x7f4a7c15u) ^ (y << 7);

	return a ^ (b >> 3);
}

USER_TEXT uint32_t run_deep(uint32_t n)
{
	return rs_deep(n);
}

/* Coroutine B: log chain(i) for i = 1, 2, ... switching back after each. */
USER_TEXT void co_b_main(void)
{
	for (uint32_t i = 1;; i++) {
		uint32_t v = chain(i);

		if (co_n < 64)
			co_log[co_n] = v;
		co_n++;
		co_switch(&co_b_esp, co_a_esp);
	}
}

/* Coroutine A: 2000 switches to B, a call tree between each; returns the
 * xor of A's own results. */
USER_TEXT uint32_t co_run(void)
{
	uint32_t *sp = (uint32_t *)((uint32_t)co_stack + sizeof(co_stack));
	uint32_t acc = 0;

	/* B's first resume: edi esi ebx ebp, then co_b_main. */
	*--sp = 0;
	*--sp = (uint32_t)co_b_main;
	for (int i = 0; i < 4; i++)
		*--sp = 0;
	co_b_esp = (uint32_t)sp;
	co_n = 0;
	for (uint32_t i = 0; i < 2000; i++) {
		acc ^= chain(i + 0x1000);
		co_switch(&co_a_esp, co_b_esp);
	}
	return acc;
}

/* Cases 1-7, in the current ring; results in u_out. */
USER_TEXT void run_common(void)
{
	uint32_t ok = 0, acc = 0;

	u_out[0] = rs_on_stack(run_deep, 40000, BIG_STACK_TOP);
	u_out[1] = rs_getpc(100000);
	u_out[2] = chain(3) ^ chain(4);
	/* 100 times each: the later runs go through chained blocks. */
	u_out[3] = u_out[4] = u_out[5] = 0;
	for (uint32_t i = 0; i < 100; i++) {
		u_out[3] += rs_stale_outer(10 + i);
		u_out[4] += rs_redirect_outer();
		u_out[5] += rs_retn_outer(0x20 + i);
	}
	for (uint32_t i = 0; i < 10; i++) {
		if (rs_jmp_outer(200) == 0x4242 + 200)
			ok++;
		acc = acc * 31 + chain(i);
	}
	u_out[6] = ok;
	u_out[11] = acc;
	u_out[7] = co_run();
	u_out[12] = 0;
	for (int i = 0; i < 100; i++)
		u_out[12] += rs_five();
}

static void check_common(const char *where)
{
	uint32_t want_co = 0, want_jmp = 0, bad_log = 0;

	section(where);
	CHECK_EQ(u_out[0], 40000u * 40001u / 2, "recursion 40000 deep");
	CHECK_EQ(u_out[1], 100000, "100000 calls that never return");
	CHECK_EQ(u_out[2], chain_model(3) ^ chain_model(4),
		 "calls and returns after them");
	CHECK_EQ(u_out[3], 100 * ((10 + 5) * 3 + 1) + 3 * 4950,
		 "a call/pop in the callee");
	CHECK_EQ(u_out[4], 100 * 0x1111,
		 "a callee that moves its return address");
	CHECK_EQ(u_out[5], 100 * (0x20 + 7 + 9 + 0x100) + 4950, "ret $8");
	for (uint32_t i = 0; i < 10; i++)
		want_jmp = want_jmp * 31 + chain_model(i);
	CHECK_EQ(u_out[6], 10, "longjmp out of recursion 200 deep");
	CHECK_EQ(u_out[11], want_jmp, "... and calls after each");
	for (uint32_t i = 0; i < 2000; i++)
		want_co ^= chain_model(i + 0x1000);
	CHECK_EQ(u_out[7], want_co, "coroutine A's calls between switches");
	CHECK_EQ(co_n, 2000, "coroutine B ran 2000 times");
	CHECK_EQ(u_out[12], 100 * (31 * 3 + 0x500), "five calls in a row");
	for (uint32_t i = 0; i < 64; i++)
		if (co_log[i] != chain_model(i + 1))
			bad_log++;
	CHECK_EQ(bad_log, 0, "coroutine B's calls between switches");
}

/* ---- ring 3 ---- */
static uint32_t *pd;

static void remap(uint32_t va, uint32_t frame)
{
	*pte_ptr(pd, va) = frame | PTE_P | PTE_W | PTE_U;
	invlpg(va);
}

static void sys_handler(struct trap_frame *f)
{
	switch (f->eax) {
	case SYS_EXIT:
		return_to_kernel((int)f->ebx);
	case SYS_REMAP: /* page ebx -> frame ecx */
		remap(f->ebx, f->ecx);
		break;
	default:
		f->eax = (uint32_t)-1;
		break;
	}
}

USER_TEXT void user_remap_inner(void)
{
	__asm__ volatile("int $0x80"
			 :
			 : "a"(SYS_REMAP), "b"(REMAP_VA), "c"(REMAP_F2)
			 : "memory");
}

USER_TEXT void user_remap_back(void)
{
	__asm__ volatile("int $0x80"
			 :
			 : "a"(SYS_REMAP), "b"(REMAP_VA), "c"(REMAP_F1)
			 : "memory");
}

USER_TEXT static void user_exit(uint32_t code)
{
	__asm__ volatile("int $0x80" : : "a"(SYS_EXIT), "b"(code) : "memory");
}

USER_TEXT void user_main(void)
{
	run_common();
	u_out[8] = rs_call_at(REMAP_VA, user_remap_inner);
	u_out[9] = rs_call_at(REMAP_VA, user_remap_back);
	u_out[10] = rs_call_at(REMAP_VA, user_remap_back);
	user_exit(0x600d);
}

/* ---- ring 0 only ---- */
uint32_t rs_smc_outer(void);
extern uint8_t rs_smc_site[];
__asm__(".pushsection .text.rs_smc, \"ax\"\n\t"
	".balign 4096\n"
	"rs_smc_outer:\n\t"
	"call rs_smc_patch\n"
	"rs_smc_site:\n\t"
	"movl $0x11111111, %eax\n\t"
	"ret\n\t"
	".balign 4096\n\t"
	".popsection");
volatile uint32_t rs_smc_new;
__asm__(".pushsection .text\n"
	"rs_smc_patch:\n\t"
	"movl rs_smc_new, %eax\n\t"
	"movl %eax, rs_smc_site + 1\n\t"
	"ret\n\t"
	".popsection");

static void test_smc(void)
{
	uint32_t bad = 0;

	for (uint32_t v = 1; v <= 100; v++) {
		rs_smc_new = v * 0x01010101u;
		if (rs_smc_outer() != v * 0x01010101u)
			bad++;
	}
	CHECK_EQ(bad, 0, "a return site its callee rewrote (100 times)");
}

static void kernel_remap_inner(void)
{
	remap(REMAP_VA, REMAP_F2);
}

static void kernel_remap_back(void)
{
	remap(REMAP_VA, REMAP_F1);
}

static void remap_frames(void)
{
	uint32_t len = (uint32_t)(rs_remap_tpl_end - rs_remap_tpl);
	uint32_t site = (uint32_t)(rs_remap_tpl_site - rs_remap_tpl) + 1;

	memcpy((void *)REMAP_F1, rs_remap_tpl, len);
	memcpy((void *)REMAP_F2, rs_remap_tpl, len);
	*(uint32_t *)(REMAP_F1 + site) = 0xf1;
	*(uint32_t *)(REMAP_F2 + site) = 0xf2;
	map_page(pd, REMAP_VA, REMAP_F1, PTE_P | PTE_W | PTE_U);
}

static void check_remap(const volatile uint32_t *out, const char *what)
{
	CHECK_EQ(out[0], 0xf2, what);
	CHECK_EQ(out[1], 0xf1, "... and remapped back");
	CHECK_EQ(out[2], 0xf1, "... and called again");
}

static volatile uint32_t ticks;

static void timer_handler(struct trap_frame *f)
{
	(void)f;
	if (++ticks == 3)
		u_val = 1;
	pic_eoi(0);
}

static void test_timer(void)
{
	u_val = 0;
	ticks = 0;
	trap_set_handler(IRQ_BASE, timer_handler);
	pit_set_hz(500);
	pic_set_mask(0xfffe);
	sti();
	CHECK(rs_spin(&u_val) != 0, "a call/return loop the timer ends");
	cli();
	pic_set_mask(0xffff);
	CHECK(ticks >= 3, "... after the third tick");
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	int r;

	(void)magic;
	(void)mbi;
	printf("retstack: calls and returns\n");
	trap_set_handler(0x80, sys_handler);

	run_common();
	check_common("ring 0, paging off");
	test_smc();
	test_timer();

	pd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	for (uint32_t va = BIG_STACK_LO; va < BIG_STACK_TOP; va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	remap_frames();
	paging_enable(pd);

	memset((void *)u_out, 0, sizeof(u_out));
	run_common();
	check_common("ring 0, paging on");
	test_smc();
	u_out[8] = rs_call_at(REMAP_VA, kernel_remap_inner);
	u_out[9] = rs_call_at(REMAP_VA, kernel_remap_back);
	u_out[10] = rs_call_at(REMAP_VA, kernel_remap_back);
	check_remap(&u_out[8], "a return site remapped to another frame");
	test_timer();

	memset((void *)u_out, 0, sizeof(u_out));
	r = enter_user((uint32_t)user_main, USTACK_TOP, 0x202);
	cli();
	check_common("ring 3");
	CHECK_EQ(r, 0x600d, "the user program ran to its exit");
	check_remap(&u_out[8], "a return site remapped to another frame");
	checks_done();
}
