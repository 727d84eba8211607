/*
 * debuggee - the guest that tests/system/gdb.sh debugs with gdb.
 *
 * Built with -g -O0 (tests/guests/local.mk) so that gdb finds arguments
 * and variables where the source puts them. What gdb does to it:
 *   - breaks at add() and reads its arguments, steps, finishes;
 *   - watches `counter`, which the loop below writes three times;
 *   - breaks in ring 3 at user_add();
 *   - interrupts the ring 3 loop in user_main() with Ctrl-C after work()
 *     ran many times without gdb's points (translated, or on the host CPU
 *     with --direct-exec), breaks at work() and sets `release` so that
 *     the loop ends.
 * Without gdb it runs to the end as well: the loop sets `release` itself
 * after SPIN_LIMIT rounds.
 */
#include "guest.h"

#define SPIN_LIMIT 0xffffffffu

volatile uint32_t counter;

int __attribute__((noinline)) add(int a, int b)
{
	int sum = a + b;

	return sum;
}

/* ---- ring 3 ---- */

USER_DATA static uint8_t ustack[1024] __attribute__((aligned(16)));
USER_DATA volatile uint32_t release;
USER_DATA static volatile uint32_t work_sum;

USER_TEXT int user_add(int x)
{
	int y = x + 22;

	return y;
}

USER_TEXT uint32_t work(uint32_t i)
{
	return i * 3 + 1;
}

/* user_add(20), then spin until gdb sets `release`; exit with the sum. */
USER_TEXT void user_main(void)
{
	int r = user_add(20);
	uint32_t n = 0;

	while (!release) {
		work_sum += work(n);
		if (++n == SPIN_LIMIT)
			release = 2;
	}
	__asm__ volatile("int $0x80" : : "a"(1), "b"(r) : "memory");
}

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
	/* IF = 1, IOPL = 0: what direct execution runs natively. */
	r = enter_user((uint32_t)user_main, (uint32_t)ustack + sizeof(ustack),
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
	CHECK(release != 0, "the ring 3 loop ended");
}
