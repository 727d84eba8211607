/*
 * paging - two-level 32-bit paging: 4 KiB and 4 MiB (PSE) pages, aliases
 * (one frame at two linear addresses, high-half style), Accessed and Dirty
 * bits, CR0.WP, TLB maintenance (invlpg, CR3 reload, CR4.PGE toggling),
 * a recursive page directory, and the #PF error code for every mix of
 * user/supervisor, read/write and not-present/protection.
 *
 * TLB rules tested are only the ones the architecture guarantees: a change
 * is seen after invlpg or a CR3 reload (or a CR4.PGE toggle for global
 * pages), and a not-present entry made present is seen without any flush.
 * Whether a stale entry survives is never tested.
 */
#include "guest.h"

#define FRAME_A 0xd00000u /* frames in 12..16 MiB: outside the page pool */
#define FRAME_B 0xd01000u
#define FRAME_C 0xd02000u
#define LARGE_FRAME 0xc00000u
#define HIGH_VA 0xc0001000u
#define TEST_VA 0x20000000u
#define LARGE_VA 0x40000000u

static uint32_t *pd;
static uint32_t count_before;

static volatile uint32_t *phys32(uint32_t pa)
{
	return (volatile uint32_t *)pa; /* 0..16 MiB is identity-mapped */
}

static void expect_begin(void)
{
	trap_record_clear();
	count_before = last_trap.count;
}

static int no_trap(void)
{
	return last_trap.count == count_before;
}

/* Read a dword at va, recording a #PF through the exception table. */
static uint32_t probe_read(uint32_t va)
{
	uint32_t v = 0xdeadbeef;

	expect_begin();
	__asm__ volatile("1:\tmovl (%1), %0\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 : "+r"(v)
			 : "r"(va)
			 : "memory");
	return v;
}

static void probe_write(uint32_t va, uint32_t v)
{
	expect_begin();
	__asm__ volatile("1:\tmovl %0, (%1)\n"
			 "2:\n\t" EXTABLE("1b", "2b")
			 :
			 : "r"(v), "r"(va)
			 : "memory");
}

static void check_pf(uint32_t err, uint32_t va, const char *what)
{
	char name[96];

	snprintf(name, sizeof(name), "%s: #PF", what);
	CHECK(last_trap.count == count_before + 1 && last_trap.vector == 14,
	      name);
	snprintf(name, sizeof(name), "%s: error code", what);
	CHECK_EQ(last_trap.err, err, name);
	snprintf(name, sizeof(name), "%s: CR2", what);
	CHECK_EQ(last_trap.cr2, va, name);
}

static void test_identity(void)
{
	section("4 KiB identity mapping");
	*phys32(FRAME_A) = 0x11111111;
	pd = pd_kernel();
	paging_enable(pd);
	CHECK(read_cr0() & CR0_PG, "CR0.PG is set");
	CHECK_EQ(read_cr3(), (uint32_t)pd, "CR3 holds the page directory");
	CHECK_EQ(*phys32(FRAME_A), 0x11111111, "identity-mapped read");
	*phys32(FRAME_A) = 0x22222222;
	CHECK_EQ(*phys32(FRAME_A), 0x22222222, "identity-mapped write");
	CHECK(pd[0] & PTE_A, "PDE of the running code is Accessed");
}

static void test_large_pages(void)
{
	uint32_t *pd4m = pd_new();

	section("4 MiB pages (CR4.PSE)");
	CHECK(read_cr4() & CR4_PSE, "CR4.PSE is set");
	map_large(pd, LARGE_VA, LARGE_FRAME, PTE_P | PTE_W);
	*phys32(LARGE_FRAME + 0x3ffffc) = 0xcafef00d;
	CHECK_EQ(*(volatile uint32_t *)(LARGE_VA + 0x3ffffc), 0xcafef00d,
		 "read through a 4 MiB page, last dword");
	*(volatile uint32_t *)(LARGE_VA + 0x123454) = 0x600d600d;
	CHECK_EQ(*phys32(LARGE_FRAME + 0x123454), 0x600d600d,
		 "write through a 4 MiB page reaches the frame");
	CHECK((pd[LARGE_VA >> 22] & (PTE_A | PTE_D)) == (PTE_A | PTE_D),
	      "the 4 MiB PDE is Accessed and Dirty");

	/* A whole address space of large pages: the code keeps running. */
	for (uint32_t i = 0; i < 4; i++)
		map_large(pd4m, i * LARGE_PAGE_SIZE, i * LARGE_PAGE_SIZE,
			  PTE_P | PTE_W);
	write_cr3((uint32_t)pd4m);
	CHECK_EQ(*phys32(FRAME_A), 0x22222222,
		 "identity mapping made of 4 MiB pages");
	CHECK(pd4m[FRAME_A >> 22] & PTE_A, "its PDE is Accessed");
	write_cr3((uint32_t)pd);

	/* Remap the large page to another frame: seen after invlpg. */
	*phys32(LARGE_FRAME) = 0x0000aaaa;
	(void)*(volatile uint32_t *)LARGE_VA;
	map_large(pd, LARGE_VA, 0x800000u, PTE_P | PTE_W);
	*phys32(0x800000) = 0x0000bbbb;
	invlpg(LARGE_VA + 0x1000);
	CHECK_EQ(*(volatile uint32_t *)LARGE_VA, 0x0000bbbb,
		 "invlpg anywhere in a 4 MiB page flushes it");
	pd[LARGE_VA >> 22] = 0;
	invlpg(LARGE_VA);
}

static void test_alias(void)
{
	section("one frame at two addresses (high half)");
	map_page(pd, HIGH_VA, FRAME_A, PTE_P | PTE_W);
	CHECK_EQ(*(volatile uint32_t *)HIGH_VA, 0x22222222,
		 "the high alias reads the frame");
	*(volatile uint32_t *)(HIGH_VA + 0xffc) = 0x33333333;
	CHECK_EQ(*phys32(FRAME_A + 0xffc), 0x33333333,
		 "a write through the alias is seen at the identity address");
	*phys32(FRAME_A + 4) = 0x44444444;
	CHECK_EQ(*(volatile uint32_t *)(HIGH_VA + 4), 0x44444444,
		 "a write at the identity address is seen through the alias");
}

static void test_accessed_dirty(void)
{
	uint32_t *pte;

	section("Accessed and Dirty bits");
	map_page(pd, TEST_VA, FRAME_B, PTE_P | PTE_W);
	pte = pte_ptr(pd, TEST_VA);
	pd[TEST_VA >> 22] &= ~PTE_A;
	invlpg(TEST_VA);
	CHECK_EQ(*pte & (PTE_A | PTE_D), 0, "new PTE: A and D clear");
	(void)*(volatile uint32_t *)TEST_VA;
	CHECK_EQ(*pte & (PTE_A | PTE_D), PTE_A, "a read sets A, not D");
	CHECK(pd[TEST_VA >> 22] & PTE_A, "a read sets A in the PDE");
	*(volatile uint32_t *)TEST_VA = 1;
	CHECK_EQ(*pte & (PTE_A | PTE_D), PTE_A | PTE_D, "a write sets D");
	CHECK(!(pd[TEST_VA >> 22] & PTE_D), "D is not set in a 4 KiB PDE");

	*pte &= ~(PTE_A | PTE_D);
	invlpg(TEST_VA);
	*(volatile uint8_t *)(TEST_VA + 0x800) = 2;
	CHECK_EQ(*pte & (PTE_A | PTE_D), PTE_A | PTE_D,
		 "a first write sets A and D together");
	CHECK_EQ(*pte & ~0xfffu, FRAME_B, "the frame address is unchanged");
}

static void test_tlb(void)
{
	uint32_t *pte;

	section("TLB maintenance");
	*phys32(FRAME_A) = 0xaaaaaaaa;
	*phys32(FRAME_B) = 0xbbbbbbbb;
	*phys32(FRAME_C) = 0xcccccccc;
	map_page(pd, TEST_VA, FRAME_A, PTE_P | PTE_W);
	invlpg(TEST_VA);
	pte = pte_ptr(pd, TEST_VA);
	CHECK_EQ(*(volatile uint32_t *)TEST_VA, 0xaaaaaaaa, "mapped to A");
	*pte = FRAME_B | PTE_P | PTE_W;
	invlpg(TEST_VA);
	CHECK_EQ(*(volatile uint32_t *)TEST_VA, 0xbbbbbbbb,
		 "remapped to B: seen after invlpg");
	*pte = FRAME_C | PTE_P | PTE_W;
	reload_cr3();
	CHECK_EQ(*(volatile uint32_t *)TEST_VA, 0xcccccccc,
		 "remapped to C: seen after a CR3 reload");

	*pte = 0;
	invlpg(TEST_VA);
	probe_read(TEST_VA);
	check_pf(0, TEST_VA, "unmapped then invlpg");
	*pte = FRAME_A | PTE_P | PTE_W;
	CHECK_EQ(probe_read(TEST_VA), 0xaaaaaaaa,
		 "not-present made present: seen without a flush");
	CHECK(no_trap(), "and without a fault");

	/* A page table made present under an existing directory entry. */
	pd[0x30000000u >> 22] = 0;
	invlpg(0x30000000u);
	probe_read(0x30000000u);
	check_pf(0, 0x30000000u, "no page table");
	map_page(pd, 0x30000000u, FRAME_B, PTE_P | PTE_W);
	CHECK_EQ(probe_read(0x30000000u), 0xbbbbbbbb,
		 "new page table: seen without a flush");

	section("global pages (CR4.PGE)");
	write_cr4(read_cr4() | CR4_PGE);
	CHECK(read_cr4() & CR4_PGE, "CR4.PGE is set");
	*pte = FRAME_A | PTE_P | PTE_W | PTE_G;
	invlpg(TEST_VA);
	CHECK_EQ(*(volatile uint32_t *)TEST_VA, 0xaaaaaaaa, "global page A");
	*pte = FRAME_B | PTE_P | PTE_W | PTE_G;
	invlpg(TEST_VA);
	CHECK_EQ(*(volatile uint32_t *)TEST_VA, 0xbbbbbbbb,
		 "invlpg flushes a global page");
	*pte = FRAME_C | PTE_P | PTE_W | PTE_G;
	write_cr4(read_cr4() & ~CR4_PGE);
	write_cr4(read_cr4() | CR4_PGE);
	CHECK_EQ(*(volatile uint32_t *)TEST_VA, 0xcccccccc,
		 "toggling CR4.PGE flushes global pages");
	*pte = FRAME_A | PTE_P | PTE_W;
	write_cr4(read_cr4() & ~CR4_PGE);
	reload_cr3();
	CHECK_EQ(*(volatile uint32_t *)TEST_VA, 0xaaaaaaaa,
		 "with CR4.PGE clear, a CR3 reload flushes everything");
}

/*
 * A kmap slot, as Linux's 686 kernel uses one for every high-memory page
 * table and page: one linear page remapped to frame after frame, read and
 * written each time by the same instructions, the entry cleared and
 * invlpg'd after each use. The translator moves such instructions to its
 * kernel TLB after a few remaps (the mapping of the moment is then read
 * through a walk, not a host mapping); every access must still reach the
 * frame of the moment, with or without Accessed preset in the entry.
 */
#define KMAP_VA 0x20800000u

static __attribute__((noinline)) uint32_t kmap_read(void)
{
	return *(volatile uint32_t *)(KMAP_VA + 8);
}

static __attribute__((noinline)) void kmap_write(uint32_t v)
{
	*(volatile uint32_t *)(KMAP_VA + 12) = v;
}

static void test_kmap_slot(void)
{
	static const uint32_t frames[3] = {FRAME_A, FRAME_B, FRAME_C};
	uint32_t *pte, bad_reads = 0, bad_writes = 0;

	section("one page remapped again and again (a kmap slot)");
	for (int k = 0; k < 3; k++)
		*phys32(frames[k] + 8) = 0x4b4d0000u + k;
	map_page(pd, KMAP_VA, FRAME_A, PTE_P | PTE_W);
	pte = pte_ptr(pd, KMAP_VA);
	for (uint32_t i = 0; i < 60; i++) {
		uint32_t f = frames[i % 3];

		*pte = f | PTE_P | PTE_W | (i & 4 ? PTE_A | PTE_D : 0);
		invlpg(KMAP_VA);
		bad_reads += kmap_read() != 0x4b4d0000u + i % 3;
		kmap_write(i);
		bad_writes += *phys32(f + 12) != i;
		*pte = 0;
		invlpg(KMAP_VA);
	}
	CHECK_EQ(bad_reads, 0, "every read sees the frame of the moment");
	CHECK_EQ(bad_writes, 0, "every write reaches the frame of the moment");
	probe_read(KMAP_VA + 8);
	check_pf(0, KMAP_VA + 8, "cleared and invlpg'd: not present");
}

/* Code at CODE_VA comes from CODE_A or CODE_B: `mov $value, %eax; ret`.
 * The translator keeps blocks per code page, so a remap must be seen by
 * translated code as by data accesses. */
#define CODE_A 0xd03000u
#define CODE_B 0xd04000u
#define CODE_VA 0x20400000u

static void put_code(uint32_t frame, uint32_t value)
{
	volatile uint8_t *c = (volatile uint8_t *)frame;

	c[0] = 0xb8; /* mov $value, %eax */
	for (unsigned i = 0; i < 4; i++)
		c[1 + i] = (uint8_t)(value >> (8 * i));
	c[5] = 0xc3; /* ret */
}

static uint32_t call_code(void)
{
	uint32_t v = 0;

	/* Twice: the second call runs what the first translated. */
	for (unsigned i = 0; i < 2; i++)
		v = ((uint32_t(*)(void))CODE_VA)();
	return v;
}

static void test_tlb_code(void)
{
	uint32_t *pte;

	section("TLB maintenance and translated code");
	put_code(CODE_A, 0xaaaa);
	put_code(CODE_B, 0xbbbb);
	map_page(pd, CODE_VA, CODE_A, PTE_P | PTE_W);
	invlpg(CODE_VA);
	pte = pte_ptr(pd, CODE_VA);
	CHECK_EQ(call_code(), 0xaaaa, "code in frame A");
	*pte = CODE_B | PTE_P | PTE_W;
	invlpg(CODE_VA);
	CHECK_EQ(call_code(), 0xbbbb, "remapped to B: seen after invlpg");
	*pte = CODE_A | PTE_P | PTE_W;
	reload_cr3();
	CHECK_EQ(call_code(), 0xaaaa, "remapped to A: seen after a CR3 reload");

	write_cr4(read_cr4() | CR4_PGE);
	*pte = CODE_B | PTE_P | PTE_W | PTE_G;
	invlpg(CODE_VA);
	CHECK_EQ(call_code(), 0xbbbb, "global code page B");
	reload_cr3();
	CHECK_EQ(call_code(), 0xbbbb, "global code page B after a CR3 reload");
	*pte = CODE_A | PTE_P | PTE_W | PTE_G;
	invlpg(CODE_VA + 0x123);
	CHECK_EQ(call_code(), 0xaaaa, "invlpg flushes a global code page");
	*pte = CODE_B | PTE_P | PTE_W | PTE_G;
	write_cr4(read_cr4() & ~CR4_PGE);
	write_cr4(read_cr4() | CR4_PGE);
	CHECK_EQ(call_code(), 0xbbbb,
		 "toggling CR4.PGE flushes global code pages");
	/* Made non-global (invlpg drops the global entry): from now on a
	 * CR3 reload flushes it again. */
	*pte = CODE_A | PTE_P | PTE_W;
	invlpg(CODE_VA);
	CHECK_EQ(call_code(), 0xaaaa, "no longer global: code page A");
	*pte = CODE_B | PTE_P | PTE_W;
	reload_cr3();
	CHECK_EQ(call_code(), 0xbbbb,
		 "no longer global: seen after a CR3 reload");
	write_cr4(read_cr4() & ~CR4_PGE);
	*pte = 0;
	invlpg(CODE_VA);
}

/*
 * Two directories that map different code at one linear address, called
 * from a page both map alike (a direct call and an indirect one): every
 * switch runs the code of the directory it switched to. Translated code
 * that chained the caller to the other directory's callee, or kept its
 * indirect-branch entry, would return the other value.
 */
#define CALLER_FRAME 0xd05000u
#define CALLER_VA 0x20800000u

static void test_code_per_directory(void)
{
	/* call CODE_VA; push %eax; mov $CODE_VA, %eax; call *%eax;
	 * pop %ecx; add %ecx, %eax; ret */
	uint8_t caller[] = {0xe8, 0, 0,	   0,	 0,    0x50, 0xb8, 0,	0,
			    0,	  0, 0xff, 0xd0, 0x59, 0x01, 0xc8, 0xc3};
	uint32_t rel = CODE_VA - (CALLER_VA + 5), *pd_b = pd_kernel();
	unsigned wrong = 0;

	section("code per page directory");
	for (unsigned i = 0; i < 4; i++) {
		caller[1 + i] = (uint8_t)(rel >> (8 * i));
		caller[7 + i] = (uint8_t)(CODE_VA >> (8 * i));
	}
	memcpy((void *)CALLER_FRAME, caller, sizeof(caller));
	put_code(CODE_A, 0x1111);
	put_code(CODE_B, 0x2222);
	map_page(pd, CALLER_VA, CALLER_FRAME, PTE_P | PTE_W);
	map_page(pd_b, CALLER_VA, CALLER_FRAME, PTE_P | PTE_W);
	map_page(pd, CODE_VA, CODE_A, PTE_P | PTE_W);
	map_page(pd_b, CODE_VA, CODE_B, PTE_P | PTE_W);
	reload_cr3();
	for (unsigned i = 0; i < 200; i++) {
		uint32_t want = (i & 1) ? 0x4444 : 0x2222;

		write_cr3((uint32_t)((i & 1) ? pd_b : pd));
		if (((uint32_t(*)(void))CALLER_VA)() != want)
			wrong++;
	}
	write_cr3((uint32_t)pd);
	CHECK_EQ(wrong, 0u,
		 "200 switches between two directories: each calls its own "
		 "code");
	unmap_page(pd, CALLER_VA);
	unmap_page(pd, CODE_VA);
	reload_cr3();
}

static void test_recursive(void)
{
	volatile uint32_t *self_pd = (volatile uint32_t *)0xfffff000u;
	volatile uint32_t *self_pt = (volatile uint32_t *)0xffc00000u;

	section("recursive page directory");
	pd[1023] = (uint32_t)pd | PTE_P | PTE_W;
	reload_cr3();
	map_page(pd, TEST_VA, FRAME_B, PTE_P | PTE_W);
	invlpg(TEST_VA);
	CHECK_EQ(self_pd[TEST_VA >> 22], pd[TEST_VA >> 22],
		 "the directory is visible at 0xfffff000");
	CHECK_EQ(self_pt[TEST_VA >> 12] & ~0xfffu, FRAME_B,
		 "page tables are visible at 0xffc00000");
	self_pt[TEST_VA >> 12] = FRAME_C | PTE_P | PTE_W;
	invlpg(TEST_VA);
	CHECK_EQ(*(volatile uint32_t *)TEST_VA, 0xcccccccc,
		 "a PTE written through the recursive map takes effect");
	pd[1023] = 0;
	reload_cr3();
}

/* ---- user-mode probes: one access at user_addr, then int $0x80 ---- */
USER_DATA static volatile uint32_t user_addr, user_write;
USER_DATA static uint8_t user_stack[1024] __attribute__((aligned(16)));

void user_probe(void);
__asm__(".pushsection .user.text, \"ax\"\n"
	"user_probe:\n\t"
	"movl user_addr, %eax\n\t"
	"cmpl $0, user_write\n\t"
	"jne 2f\n"
	"1:\tmovl (%eax), %ecx\n\t"
	"jmp 3f\n"
	"2:\tmovl %ecx, (%eax)\n"
	"3:\tint $0x80\n\t"
	"jmp 3b\n\t" EXTABLE("1b", "3b") EXTABLE("2b", "3b") ".popsection");

static void syscall_return(struct trap_frame *f)
{
	return_to_kernel(0);
}

static void user_access(uint32_t va, int write)
{
	user_addr = va;
	user_write = write;
	expect_begin();
	enter_user((uint32_t)user_probe,
		   (uint32_t)user_stack + sizeof(user_stack), 0x2);
}

static void test_error_codes(void)
{
	uint32_t *pte;

	section("#PF error codes");
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	reload_cr3();
	trap_set_handler(0x80, syscall_return);
	write_cr0(read_cr0() | CR0_WP);

	map_page(pd, TEST_VA, FRAME_A, PTE_P | PTE_W);
	pte = pte_ptr(pd, TEST_VA);

	*pte = 0;
	invlpg(TEST_VA);
	probe_read(TEST_VA + 4);
	check_pf(0, TEST_VA + 4, "supervisor read, not present");
	probe_write(TEST_VA + 8, 0);
	check_pf(PF_W, TEST_VA + 8, "supervisor write, not present");
	user_access(TEST_VA + 12, 0);
	check_pf(PF_U, TEST_VA + 12, "user read, not present");
	user_access(TEST_VA + 16, 1);
	check_pf(PF_U | PF_W, TEST_VA + 16, "user write, not present");

	*pte = FRAME_A | PTE_P; /* supervisor, read-only */
	invlpg(TEST_VA);
	probe_write(TEST_VA + 20, 0);
	check_pf(PF_P | PF_W, TEST_VA + 20,
		 "supervisor write, read-only, CR0.WP");
	user_access(TEST_VA + 24, 0);
	check_pf(PF_P | PF_U, TEST_VA + 24, "user read, supervisor page");
	user_access(TEST_VA + 28, 1);
	check_pf(PF_P | PF_U | PF_W, TEST_VA + 28,
		 "user write, supervisor page");

	*pte = FRAME_A | PTE_P | PTE_U; /* user, read-only */
	invlpg(TEST_VA);
	*phys32(FRAME_A + 32) = 0x12345678;
	user_access(TEST_VA + 32, 0);
	CHECK(no_trap(), "user read of a user read-only page works");
	user_access(TEST_VA + 36, 1);
	check_pf(PF_P | PF_U | PF_W, TEST_VA + 36,
		 "user write, user read-only page");

	write_cr0(read_cr0() & ~CR0_WP);
	probe_write(TEST_VA + 40, 0x5555);
	CHECK(no_trap() && *phys32(FRAME_A + 40) == 0x5555,
	      "CR0.WP clear: supervisor write to a read-only page works");
	user_access(TEST_VA + 44, 1);
	check_pf(PF_P | PF_U | PF_W, TEST_VA + 44,
		 "CR0.WP clear: user write still faults");
	write_cr0(read_cr0() | CR0_WP);

	/* The directory entry restricts too: U in the PTE is not enough. */
	*pte = FRAME_A | PTE_P | PTE_W | PTE_U;
	pd[TEST_VA >> 22] &= ~PTE_U;
	invlpg(TEST_VA);
	user_access(TEST_VA + 48, 0);
	check_pf(PF_P | PF_U, TEST_VA + 48, "user read, PDE supervisor-only");
	pd[TEST_VA >> 22] = (pd[TEST_VA >> 22] | PTE_U) & ~PTE_W;
	invlpg(TEST_VA);
	user_access(TEST_VA + 52, 1);
	check_pf(PF_P | PF_U | PF_W, TEST_VA + 52, "user write, PDE read-only");
	pd[TEST_VA >> 22] |= PTE_W;
	invlpg(TEST_VA);
	user_access(TEST_VA + 56, 1);
	CHECK(no_trap(), "user write with PDE and PTE both U and W works");

	write_cr0(read_cr0() & ~CR0_WP);
	trap_set_handler(0x80, 0);
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("paging: 4 KiB and 4 MiB pages, A/D bits, TLB, #PF codes\n");
	test_identity();
	test_large_pages();
	test_alias();
	test_accessed_dirty();
	test_tlb();
	test_kmap_slot();
	test_tlb_code();
	test_code_per_directory();
	test_recursive();
	test_error_codes();
	paging_disable();
	CHECK(!(read_cr0() & CR0_PG), "paging turned off again");
}
