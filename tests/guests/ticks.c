/*
 * ticks - timer interrupts land where the time goes. A ring 3 program
 * computes for about 20 us (by the TSC) between system calls, as Linux's
 * sha256sum does between its reads; the PIT must interrupt it in ring 3
 * about as often as it spends its time there. A monitor whose interrupts
 * wait for the next kernel entry gives ring 0 most of them, and the
 * guest's CPU accounting then calls half of a computation system time
 * (bt386 before its deadline timer: 33-45% of the ticks for 92-95% of the
 * time; now about as many as the time).
 *
 * The bound is a ratio on the guest's own TSC, at least 3/4 of the share
 * of the time (bt386's engines: 0.94-1.15 of it; the defect: 0.32-0.47).
 * It is a property of the monitor's event
 * delivery, not of the architecture: QEMU TCG gave 72% of its share on an
 * idle machine and 29% on a busy one, so this guest runs under bt386's
 * engines only.
 */
#include "guest.h"

enum { SYS_EXIT = 1, SYS_NOP = 2 };

#define SPIN_CYCLES 50000
#define TICKS 150

USER_DATA static uint8_t ustack[2048] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))

USER_DATA volatile uint32_t u_ticks;
USER_DATA volatile uint64_t u_user_cycles, u_total_cycles;

static volatile uint32_t ticks, user_ticks;

static void timer_handler(struct trap_frame *f)
{
	ticks++;
	if ((f->cs & 3) == 3)
		user_ticks++;
	u_ticks = ticks;
	pic_eoi(0);
}

static void sys_handler(struct trap_frame *f)
{
	if (f->eax == SYS_EXIT)
		return_to_kernel((int)f->ebx);
	f->eax = 0;
}

static inline __attribute__((always_inline)) uint64_t urdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

static inline __attribute__((always_inline)) void usyscall(uint32_t n,
							   uint32_t a)
{
	__asm__ volatile("int $0x80" : "+a"(n) : "b"(a) : "memory");
}

USER_TEXT void u_mixed(void)
{
	uint64_t start = urdtsc(), user = 0;

	while (u_ticks < TICKS) {
		uint64_t t0 = urdtsc(), t;

		do
			t = urdtsc();
		while (t - t0 < SPIN_CYCLES);
		user += t - t0;
		usyscall(SYS_NOP, 0);
	}
	u_user_cycles = user;
	u_total_cycles = urdtsc() - start;
	usyscall(SYS_EXIT, 7);
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t *pd = pd_kernel(), time_pct, tick_pct;
	int r;

	(void)magic;
	(void)mbi;
	printf("ticks: timer interrupts land where the time goes\n");
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	paging_enable(pd);
	trap_set_handler(0x80, sys_handler);
	trap_set_handler(IRQ_BASE, timer_handler);
	pit_set_hz(500);
	cli();
	pic_set_mask(0xfffe);
	r = enter_user((uint32_t)u_mixed, USTACK_TOP, 0x202);
	cli();
	pic_set_mask(0xffff);
	paging_disable();
	CHECK_EQ(r, 7, "the ring 3 program ends");
	CHECK(ticks >= TICKS, "the timer ran");
	time_pct = (uint32_t)(u_user_cycles * 100 / (u_total_cycles | 1));
	tick_pct = user_ticks * 100 / (ticks | 1);
	if (tick_pct * 4 < time_pct * 3)
		printf("# %u%% of the time in ring 3, %u%% of %u ticks\n",
		       time_pct, tick_pct, ticks);
	CHECK(tick_pct * 4 >= time_pct * 3,
	      "ticks in ring 3: at least 3/4 of its share of the time");
}
