/*
 * ptedit - page-table edits: a user process (ring 3, paging on, IF = 1)
 * asks the kernel (SYS_PROTECT, the guest's mprotect of one page) to make
 * one of its mapped pages read-only or writable in turn; the kernel
 * rewrites the PTE's R/W bit and invlpg's the page, and the process then
 * touches the page: a read after write-protecting, an xadd (read + write)
 * after unprotecting. One round is one system call, one PTE store, one
 * invlpg and one user access: subtract the syscall row to see what the
 * edit and the access after it cost.
 *
 * The PTE keeps Accessed and Dirty, as a kernel's mprotect of a dirty
 * page does, so nothing but the edit itself makes the access fault (for
 * bt386: the invlpg drops the shadow mapping, the access refills it).
 * The checksum folds in every value read, so a lost write shows; a write
 * fault after the kernel made the page writable is an unexpected trap.
 *
 * Layout as in syscall.c: the kernel's pages carry U so that bt386 hides
 * nothing on returns to ring 3 (as with a higher-half kernel). The native
 * twin does the same with mprotect() of one anonymous page.
 */
#define BENCH_TEXT __attribute__((section(".user.text")))
#include "bench-guest.h"
#include "../loops.h"

#define SYS_PROTECT 2 /* ebx: 1 = writable, 0 = read-only */

#define PAGE_VA 0x40000000u /* the page whose PTE is edited */
#define PAGE_FRAME 0x800000u
#define WORD_OFFSET 0x100u

USER_DATA static uint8_t ustack[4096] __attribute__((aligned(16)));
USER_DATA static volatile uint32_t u_rounds;
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))

static uint32_t *k_pte;

static inline __attribute__((always_inline)) uint32_t xadd(volatile uint32_t *p,
							   uint32_t v)
{
	__asm__ volatile("xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

static USER_TEXT __attribute__((noreturn)) void user_main(void)
{
	volatile uint32_t *p = (volatile uint32_t *)(PAGE_VA + WORD_OFFSET);
	uint32_t n = u_rounds, h = 0x811c9dc5u, w, old;
	uint64_t t0, t1, c;

	t0 = bench_rdtsc();
	for (uint32_t r = 0; r < n; r++) {
		w = r & 1;
		__asm__ volatile("int $0x80"
				 :
				 : "a"(SYS_PROTECT), "b"(w)
				 : "memory");
		old = w ? xadd(p, r) : *p;
		h = bench_mix(h, old ^ r);
	}
	t1 = bench_rdtsc();
	c = t1 - t0;
	bench_user_done(h, c);
}

static void sys_handler(struct trap_frame *f)
{
	if ((f->cs & 3) != 3)
		panic("ptedit: system call %u from CPL %u", f->eax, f->cs & 3);
	if (f->eax == SYS_PROTECT) {
		*k_pte = PAGE_FRAME | PTE_P | PTE_U | PTE_A | PTE_D |
			 (f->ebx ? PTE_W : 0);
		invlpg(PAGE_VA);
		return;
	}
	if (f->eax != BENCH_SYS_DONE)
		panic("ptedit: unknown system call %u", f->eax);
	bench_take_done(f);
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t rounds = bench_arg_rounds(mbi, 20000);
	uint32_t *pd;

	(void)magic;
	u_rounds = rounds;
	trap_set_handler(0x80, sys_handler);

	pd = bench_user_pd();
	memset((void *)PAGE_FRAME, 0, PAGE_SIZE);
	map_page(pd, PAGE_VA, PAGE_FRAME,
		 PTE_P | PTE_W | PTE_U | PTE_A | PTE_D);
	k_pte = pte_ptr(pd, PAGE_VA);
	bench_run_user("ptedit", rounds, pd, user_main, USTACK_TOP);
}
