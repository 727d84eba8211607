/*
 * pagefault - demand paging: a user process (ring 3, paging on, IF = 1)
 * touches the pages of a 64-page region whose PTEs are not present; the
 * kernel's #PF handler zeroes a frame, maps it (present, writable, user,
 * Accessed and Dirty, as a kernel does on a write fault) and returns, and
 * the touching instruction completes. After every batch of 64 faults the
 * process asks the kernel (SYS_UNMAP) to unmap the region again: 64 PTE
 * clears and 64 invlpg, so the next batch faults again. One round is one
 * fault + map, plus 1/64 of the unmap call and one PTE clear + invlpg.
 *
 * The touch is one xadd at a per-page offset: a write fault that also
 * reads the old word, which must be 0 (a fresh, zeroed page); a mapping
 * that survived the unmap, or a frame not zeroed, shows up in the
 * checksum. The kernel also counts its faults and refuses to report if
 * it did not see exactly one per round.
 *
 * Layout as in syscall.c: the kernel's pages carry U so that bt386 hides
 * nothing on returns to ring 3 (as with a higher-half kernel). The native
 * twin touches fresh anonymous pages and drops them with
 * madvise(MADV_DONTNEED) between batches.
 */
#define BENCH_TEXT __attribute__((section(".user.text")))
#include "bench-guest.h"
#include "../loops.h"

#define SYS_UNMAP 2

#define REGION 0x40000000u	/* the faulting region's linear address */
#define REGION_PAGES 64u	/* one batch */
#define REGION_FRAMES 0x800000u /* frame i backs page i (8 MiB..) */

USER_DATA static uint8_t ustack[4096] __attribute__((aligned(16)));
USER_DATA static volatile uint32_t u_rounds;
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))

static uint32_t *k_pt; /* the region's page table */
static uint32_t k_faults;

static inline __attribute__((always_inline)) uint32_t xadd(volatile uint32_t *p,
							   uint32_t v)
{
	__asm__ volatile("xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

static USER_TEXT __attribute__((noreturn)) void user_main(void)
{
	uint32_t n = u_rounds, h = 0x811c9dc5u, i = 0, old;
	uint64_t t0, t1, c;

	t0 = bench_rdtsc();
	for (uint32_t r = 0; r < n; r++) {
		if (i == REGION_PAGES) {
			__asm__ volatile("int $0x80"
					 :
					 : "a"(SYS_UNMAP)
					 : "memory");
			i = 0;
		}
		old = xadd((volatile uint32_t *)(REGION + i * PAGE_SIZE +
						 ((i * 68) & 0xffc)),
			   r + 1);
		h = bench_mix(h, old ^ r);
		i++;
	}
	t1 = bench_rdtsc();
	c = t1 - t0;
	bench_user_done(h, c);
}

static void pf_handler(struct trap_frame *f)
{
	uint32_t cr2 = read_cr2(), page = (cr2 - REGION) / PAGE_SIZE;
	uint32_t frame = REGION_FRAMES + page * PAGE_SIZE, cnt = PAGE_SIZE / 4;
	void *dst = (void *)frame;

	/* A user access to a not-present page: a write on hardware, a read
	 * under QEMU TCG, which loads before it stores. */
	if ((f->err & ~PF_W) != PF_U || page >= REGION_PAGES)
		panic("pagefault: #PF error %x at %08x, cr2 %08x", f->err,
		      f->eip, cr2);
	__asm__ volatile("rep stosl"
			 : "+D"(dst), "+c"(cnt)
			 : "a"(0)
			 : "memory");
	k_pt[page] = frame | PTE_P | PTE_W | PTE_U | PTE_A | PTE_D;
	k_faults++;
}

static void sys_handler(struct trap_frame *f)
{
	if ((f->cs & 3) != 3)
		panic("pagefault: system call %u from CPL %u", f->eax,
		      f->cs & 3);
	if (f->eax == SYS_UNMAP) {
		for (uint32_t i = 0; i < REGION_PAGES; i++) {
			k_pt[i] = 0;
			invlpg(REGION + i * PAGE_SIZE);
		}
		return;
	}
	if (f->eax != BENCH_SYS_DONE)
		panic("pagefault: unknown system call %u", f->eax);
	if (k_faults != u_rounds)
		panic("pagefault: %u faults in %u rounds", k_faults, u_rounds);
	bench_take_done(f);
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t rounds = bench_arg_rounds(mbi, 20000);
	uint32_t *pd;

	(void)magic;
	u_rounds = rounds;
	trap_set_handler(0x80, sys_handler);
	trap_set_handler(14, pf_handler);

	pd = bench_user_pd();
	map_page(pd, REGION, 0, 0); /* the table, every entry not present */
	k_pt = pte_ptr(pd, REGION);
	bench_run_user("pagefault", rounds, pd, user_main, USTACK_TOP);
}
