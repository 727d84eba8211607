/*
 * debuggee - the guest that tests/system/gdb.sh debugs with gdb.
 *
 * Built with -g -O0 (tests/guests/local.mk) so that gdb finds arguments
 * and variables where the source puts them. What gdb does to it:
 *   - breaks at add() and reads its arguments, steps, finishes;
 *   - watches `counter`, which the loop below writes three times;
 *   - breaks in ring 3 (user_add(), which direct execution would run);
 *   - interrupts spin() with Ctrl-C after work() ran many times (under
 *     --engine=bt: from the code cache), breaks at work() and sets
 *     `release` so that the guest goes on.
 * Without gdb it runs to the end as well: `release` is set by the guest
 * itself after SPIN_LIMIT rounds.
 */
#include "guest.h"

#define SPIN_LIMIT 0xffffffffu

volatile uint32_t counter;
volatile uint32_t release;
static volatile uint32_t work_sum;

int __attribute__((noinline)) add(int a, int b)
{
	int sum = a + b;

	return sum;
}

uint32_t __attribute__((noinline)) work(uint32_t i)
{
	return i * 3 + 1;
}

/* Spin until gdb sets `release` (or for SPIN_LIMIT rounds). */
static uint32_t __attribute__((noinline)) spin(void)
{
	uint32_t n = 0;

	while (!release) {
		work_sum += work(n);
		if (++n == SPIN_LIMIT)
			release = 2;
	}
	return n;
}

/* ---- ring 3 ---- */

USER_DATA static uint8_t ustack[1024] __attribute__((aligned(16)));

USER_TEXT int user_add(int x)
{
	int y = x + 22;

	return y;
}

void user_entry(void);
__asm__(".pushsection .user.text, \"ax\"\n"
	"user_entry:\n\t"
	"pushl $20\n\t"
	"call user_add\n\t"
	"addl $4, %esp\n\t"
	"movl %eax, %ebx\n\t"
	"movl $1, %eax\n\t" /* exit with EBX */
	"int $0x80\n\t"
	".popsection");

static void sys_handler(struct trap_frame *f)
{
	return_to_kernel((int)f->ebx);
}

static int run_user(void)
{
	uint32_t *pd = pd_kernel();
	int r;

	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	paging_enable(pd);
	trap_set_handler(0x80, sys_handler);
	/* IF = 1, IOPL = 0: direct execution's kind of user code. */
	r = enter_user((uint32_t)user_entry, (uint32_t)ustack + sizeof(ustack),
		       0x202);
	cli();
	paging_disable();
	return r;
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	int s;

	(void)magic;
	(void)mbi;
	printf("debuggee: a guest for gdb\n");
	s = add(2, 40);
	CHECK_EQ(s, 42, "add(2, 40)");
	for (int i = 0; i < 3; i++)
		counter += (uint32_t)s;
	CHECK_EQ(counter, 126, "counter after three additions");
	CHECK_EQ(run_user(), 42, "user_add(20) in ring 3");
	spin();
	CHECK(release != 0, "spin() ended");
}
