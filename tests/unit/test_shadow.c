/*
 * test_shadow.c - shadow paging: hidden page faults, traces, CR3/invlpg
 * semantics, views, the VMA budget.
 *
 * Each test runs in its own process (Check forks): the fixture reserves
 * the views, creates 32 MiB of guest RAM and a machine, and builds
 * guest page tables in physmap. Tests work in one view at a time
 * (set_view; the kernel view unless they say otherwise), call
 * shadow_fault() directly and then look at the view's host address: a read shows which frame is mapped
 * (every data frame carries a tag word at offset 0), and probes under a
 * SIGSEGV handler + sigsetjmp tell whether a page is mapped, read-only or
 * writable. Guest writes to page tables are done as the interpreter does
 * them: a physmap store followed by mmu_frame_written().
 */
#include <check.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <ucontext.h>

#include "mmu/mem.h"
#include "mmu/shadow.h"
#include "mmu/walk.h"
#include "monitor/machine.h"
#include "monitor/stats.h"

#define RAM_SIZE (32u << 20)
#define PD 0x1000u
#define PD2 0x2000u
#define PD3 0x3000u
#define PT_BASE 0x10000u /* page tables come from here up */
#define DATA 0x100000u	 /* data frames, tagged */
#define NFRAMES (RAM_SIZE >> 12)

#define P X86_PTE_P
#define W X86_PTE_W
#define U X86_PTE_U
#define A X86_PTE_A
#define D X86_PTE_D
#define PS X86_PTE_PS

#define RD 0
#define WR SHADOW_ACC_WRITE

static struct machine *m;
static struct vcpu *cpu;
static uint32_t next_pt;
static bool user_view;	 /* tests look through a user view */
static bool direct_view; /* user views are the direct view (tcase) */

/* The view the engines would use now for this privilege. */
static unsigned current_view(void)
{
	if (user_view && direct_view)
		return SHADOW_DIRECT_VIEW;
	return user_view ? shadow_user_view(shadow_current_space())
			 : shadow_kernel_view(shadow_current_space());
}

/* Where guest linear address lin is in the host, in the current view. */
static volatile uint32_t *host(uint32_t lin)
{
	return (volatile uint32_t *)(uintptr_t)shadow_host_addr(current_view(),
								lin);
}

static void set_view(bool user)
{
	user_view = user;
}

/* ---- guest memory ----------------------------------------------------- */

static uint32_t tag(uint32_t frame)
{
	return 0x7a000000u | frame;
}

static uint32_t peek32(uint32_t pa)
{
	uint32_t v;

	memcpy(&v, m->mem.physmap + pa, 4);
	return v;
}

static void poke32(uint32_t pa, uint32_t v)
{
	memcpy(m->mem.physmap + pa, &v, 4);
}

/* A guest store to a page-table frame, as the interpreter makes it. */
static void guest_write32(uint32_t pa, uint32_t v)
{
	poke32(pa, v);
	if (mmu_frame_flags[pa >> 12] & FRAME_WATCHED)
		mmu_frame_written(m, pa, 4);
}

static uint32_t new_pt(void)
{
	uint32_t pt = next_pt;

	next_pt += 4096;
	ck_assert_uint_lt(next_pt, DATA);
	memset(m->mem.physmap + pt, 0, 4096);
	return pt;
}

/* An empty page directory. */
static uint32_t new_directory(void)
{
	return new_pt();
}

/* The page table behind lin in directory pd (made with pde_flags). */
static uint32_t pt_of(uint32_t pd, uint32_t lin, uint32_t pde_flags)
{
	uint32_t pde = peek32(pd + (lin >> 22) * 4);

	if (!(pde & P)) {
		pde = new_pt() | pde_flags;
		poke32(pd + (lin >> 22) * 4, pde);
	}
	return pde & X86_PTE_ADDR;
}

/* Map lin -> pa in pd; returns the PTE's physical address. */
static uint32_t map(uint32_t pd, uint32_t lin, uint32_t pa, uint32_t flags)
{
	uint32_t pte = pt_of(pd, lin, P | W | U) + ((lin >> 12) & 0x3ff) * 4;

	poke32(pte, pa | flags);
	return pte;
}

static uint32_t pde_addr(uint32_t pd, uint32_t lin)
{
	return pd + (lin >> 22) * 4;
}

/* ---- probes ------------------------------------------------------------- */

static sigjmp_buf probe_env;
static volatile sig_atomic_t probing;
static volatile sig_atomic_t hidden_faults; /* handler resolves faults */
static volatile unsigned long hidden_count;

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	if (probing) {
		probing = 0;
		siglongjmp(probe_env, 1);
	}
	if (hidden_faults && (uintptr_t)si->si_addr < SHADOW_RESERVED) {
		unsigned acc = uc->uc_mcontext.gregs[REG_ERR] & 2 ? WR : RD;
		uint32_t err;

		hidden_count++;
		if (shadow_fault(cpu, (uintptr_t)si->si_addr, acc, &err) ==
		    SHADOW_FILLED)
			return;
	}
	signal(sig, SIG_DFL);
	raise(sig);
}

static bool probe_read(volatile uint32_t *p, uint32_t *val)
{
	uint32_t v;

	if (sigsetjmp(probe_env, 1))
		return false;
	probing = 1;
	v = *p;
	probing = 0;
	if (val)
		*val = v;
	return true;
}

static bool can_read(uint32_t lin, uint32_t *val)
{
	/* As the engines do before user code runs. */
	if (user_view)
		shadow_user_sync(cpu);
	return probe_read(host(lin), val);
}

/* Writable? (stores back what is there, so memory does not change) */
static bool can_write(uint32_t lin)
{
	volatile uint32_t *volatile p = host(lin);
	uint32_t v;

	if (!can_read(lin, &v))
		return false;
	if (sigsetjmp(probe_env, 1))
		return false;
	probing = 1;
	*p = v;
	probing = 0;
	return true;
}

static uint32_t read_tag(uint32_t lin)
{
	uint32_t v = 0;

	ck_assert_msg(can_read(lin, &v), "%#x not mapped", lin);
	return v;
}

static enum shadow_result flt(uint32_t lin, unsigned acc, uint32_t *err)
{
	uint32_t e = 0xdeadu;
	enum shadow_result r = shadow_fault(
		cpu, shadow_host_addr(current_view(), lin), acc, &e);

	if (err)
		*err = e;
	return r;
}

static void fill(uint32_t lin, unsigned acc)
{
	uint32_t err;

	ck_assert_int_eq(flt(lin, acc, &err), SHADOW_FILLED);
}

/* Host VMAs in the views. */
static unsigned low_vmas(void)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	unsigned n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo;

		if (sscanf(line, "%lx", &lo) == 1 && lo < SHADOW_RESERVED)
			n++;
	}
	fclose(f);
	return n;
}

static struct shadow_info info(void)
{
	struct shadow_info i;

	shadow_get_info(&i);
	return i;
}

static double now_us(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

/* ---- fixture -------------------------------------------------------------- */

static void setup(void)
{
	struct sigaction sa;
	char err[300];

	ck_assert_msg(mem_reserve_views(err, sizeof(err)) == 0, "%s", err);
	m = calloc(1, sizeof(*m));
	ck_assert_ptr_nonnull(m);
	m->cpu.machine = m;
	cpu = &m->cpu;
	bus_init(&m->bus);
	ck_assert_msg(mem_init(&m->mem, RAM_SIZE, err, sizeof(err)) == 0, "%s",
		      err);
	for (uint32_t f = DATA >> 12; f < NFRAMES; f++)
		poke32(f << 12, tag(f));
	next_pt = PT_BASE;
	cpu->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP | X86_CR0_ET;
	cpu->cr4 = X86_CR4_PSE;
	cpu->cr3 = PD;
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_segv;
	sa.sa_flags = SA_SIGINFO | SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	memset(&stats, 0, sizeof(stats));
	ck_assert_int_eq(shadow_init(m, direct_view), 0);
	user_view = false;
	ck_assert_ptr_nonnull(mmu_frame_flags);
}

static void teardown(void)
{
	ck_assert_int_eq(shadow_check(cpu), 0);
	shadow_destroy(m);
	ck_assert_ptr_null(mmu_frame_flags);
	mem_destroy(&m->mem);
	free(m);
}

/* ---- guest RAM ----------------------------------------------------------- */

/* A reset clears RAM by giving its pages back: nothing stays resident,
 * and what the guest wrote reads as zero, through physmap and through a
 * shadow mapping alike. */
START_TEST(test_mem_clear_is_lazy)
{
	struct stat st;

	memset(m->mem.physmap, 0x5a, 1 << 20);
	ck_assert_int_eq(fstat(m->mem.fd, &st), 0);
	ck_assert_int_ge(st.st_blocks, (1 << 20) / 512);
	ck_assert_int_eq(mem_clear(&m->mem), 0);
	ck_assert_int_eq(fstat(m->mem.fd, &st), 0);
	ck_assert_int_eq(st.st_blocks, 0);
	ck_assert_uint_eq(m->mem.physmap[4096], 0);
}
END_TEST

/* ---- fills, A/D, protection ------------------------------------------------ */

START_TEST(test_fill_read_then_write)
{
	uint32_t lin = 0x40000000u, pa = DATA + 0x5000;
	uint32_t pte = map(PD, lin, pa, P | W | U);

	fill(lin, RD);
	ck_assert_uint_eq(read_tag(lin), tag(pa >> 12));
	ck_assert(peek32(pte) & A);
	ck_assert(!(peek32(pte) & D));
	ck_assert(peek32(pde_addr(PD, lin)) & A);
	/* Clean page: read-only until the first write sets Dirty. */
	ck_assert(!can_write(lin));
	fill(lin, WR);
	ck_assert(peek32(pte) & D);
	ck_assert(can_write(lin));
	*host(lin + 8) = 0x12345678;
	ck_assert_uint_eq(peek32(pa + 8), 0x12345678);
	/* The tables the fill used are traced. */
	ck_assert(mmu_frame_flags[PD >> 12] & FRAME_PT);
	ck_assert(mmu_frame_flags[pte >> 12] & FRAME_PT);
	ck_assert_uint_eq(stats.traces, 2);
	ck_assert_uint_eq(stats.shadow_fills, 2);
	ck_assert_uint_eq(stats.shadow_pages_mapped, 1);
	ck_assert_uint_eq(info().pages_mapped, 1);
}
END_TEST

START_TEST(test_dirty_page_mapped_writable_at_once)
{
	uint32_t lin = 0x40001000u;

	map(PD, lin, DATA + 0x7000, P | W | A | D);
	fill(lin, RD);
	ck_assert(can_write(lin));
}
END_TEST

START_TEST(test_error_codes)
{
	uint32_t err, ro = 0x40002000u, sup = 0x40003000u, pte_ro, pte_sup;

	/* No PDE. */
	ck_assert_int_eq(flt(0x50000000u, RD, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, 0);
	ck_assert_int_eq(flt(0x50000000u, WR, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, X86_PF_W);
	/* PDE, no PTE. */
	pte_ro = map(PD, ro, DATA + 0x1000, P | U);
	ck_assert_int_eq(flt(ro + 0x1000 * 8, RD, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, 0);
	/* Protection: supervisor write to a read-only page, WP=1. */
	ck_assert_int_eq(flt(ro, WR, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, X86_PF_P | X86_PF_W);
	ck_assert(!(peek32(pte_ro) & A)); /* no A/D for a faulting access */
	ck_assert(!can_read(ro, NULL));

	/* User view. */
	pte_sup = map(PD, sup, DATA + 0x2000, P | W);
	set_view(true);
	ck_assert_int_eq(flt(sup, RD, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, X86_PF_P | X86_PF_U);
	ck_assert(!(peek32(pte_sup) & A));
	ck_assert_int_eq(flt(ro, WR, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, X86_PF_P | X86_PF_W | X86_PF_U);
	ck_assert_int_eq(flt(0x50000000u, RD, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, X86_PF_U);
	ck_assert_int_eq(flt(ro, RD, &err), SHADOW_FILLED);
	ck_assert(peek32(pte_ro) & A);
	set_view(false);

	/* A user PTE under a supervisor PDE is supervisor. */
	map(PD, 0x48000000u, DATA + 0x3000, P | W | U);
	poke32(pde_addr(PD, 0x48000000u),
	       peek32(pde_addr(PD, 0x48000000u)) & ~U);
	set_view(true);
	ck_assert_int_eq(flt(0x48000000u, RD, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, X86_PF_P | X86_PF_U);
	set_view(false);
	ck_assert_uint_eq(stats.shadow_guest_pf, 8);
}
END_TEST

START_TEST(test_wp0_write_emulated)
{
	uint32_t err, lin = 0x40004000u;
	uint32_t pte = map(PD, lin, DATA + 0x4000, P | U);

	cpu->cr0 &= ~X86_CR0_WP;
	shadow_paging_changed(cpu);
	ck_assert_int_eq(flt(lin, WR, &err), SHADOW_EMULATE);
	/* Hardware sets D for the WP=0 write; the page stays read-only. */
	ck_assert(peek32(pte) & D);
	ck_assert(can_read(lin, NULL));
	ck_assert(!can_write(lin));
	ck_assert_uint_eq(stats.shadow_emulated, 1);
	/* The user view has its own mapping, read-only too. */
	set_view(true);
	ck_assert(!can_read(lin, NULL));
	fill(lin, RD);
	ck_assert(can_read(lin, NULL));
	ck_assert(!can_write(lin));
	ck_assert_int_eq(flt(lin, WR, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, X86_PF_P | X86_PF_W | X86_PF_U);
	/* WP changes need no flush. */
	set_view(false);
	cpu->cr0 |= X86_CR0_WP;
	shadow_paging_changed(cpu);
	ck_assert_uint_eq(stats.shadow_flushes, 0);
	ck_assert(can_read(lin, NULL));
}
END_TEST

START_TEST(test_not_present_becomes_present)
{
	uint32_t err, lin = 0x40010000u;
	uint32_t pte = map(PD, lin, 0, 0);

	map(PD, lin + 0x1000, DATA + 0x9000, P | W);
	fill(lin + 0x1000, RD); /* traces the table */
	ck_assert_int_eq(flt(lin, RD, &err), SHADOW_GUEST_PF);
	guest_write32(pte, (DATA + 0x8000) | P | W);
	/* No invlpg: not-present entries were never mapped. */
	fill(lin, RD);
	ck_assert_uint_eq(read_tag(lin), tag((DATA + 0x8000) >> 12));
}
END_TEST

START_TEST(test_below_mmap_min_addr_and_mmio)
{
	uint32_t err;

	/* Below vm.mmap_min_addr the host maps nothing: the direct view
	 * emulates; the spaces' views, 8 GiB up, map the page. */
	map(PD, 0, DATA, P | W | U | A | D);
	set_view(true);
	if (direct_view)
		ck_assert_int_eq(flt(0x10, RD, &err), SHADOW_EMULATE);
	else
		fill(0x10, RD);
	set_view(false);
	fill(0x10, RD);
	ck_assert_uint_eq(read_tag(0), tag(DATA >> 12));
	/* MMIO inside RAM (a VGA window) and above RAM: never mapped. */
	bus_register_mmio(&m->bus, "vga", 0xa0000, 0x20000, NULL, NULL, NULL);
	map(PD, 0x40020000u, 0xa1000, P | W | A | D);
	ck_assert_int_eq(flt(0x40020000u, RD, &err), SHADOW_EMULATE);
	ck_assert(!can_read(0x40020000u, NULL));
	map(PD, 0x40021000u, 0xfee00000u, P | W | A | D);
	ck_assert_int_eq(flt(0x40021000u, WR, &err), SHADOW_EMULATE);
	ck_assert(!can_read(0x40021000u, NULL));
	/* Page 0 in the kernel view (and the user view of the space). */
	ck_assert_uint_eq(info().pages_mapped, direct_view ? 1 : 2);
	ck_assert_uint_eq(stats.shadow_emulated, direct_view ? 3 : 2);
}
END_TEST

/* ---- traces ------------------------------------------------------------------ */

START_TEST(test_pte_write_drops_that_page)
{
	uint32_t base = 0x40000000u, pte[4];

	for (uint32_t i = 0; i < 4; i++) {
		pte[i] = map(PD, base + i * 0x1000, DATA + i * 0x2000,
			     P | W | D);
		fill(base + i * 0x1000, RD);
		ck_assert(can_write(base + i * 0x1000));
	}
	guest_write32(pte[2], (DATA + 0x10000) | P | W | D);
	ck_assert(!can_read(base + 0x2000, NULL));
	for (uint32_t i = 0; i < 4; i++)
		if (i != 2)
			ck_assert_uint_eq(read_tag(base + i * 0x1000),
					  tag((DATA + i * 0x2000) >> 12));
	fill(base + 0x2000, RD);
	ck_assert_uint_eq(read_tag(base + 0x2000), tag((DATA + 0x10000) >> 12));
	/* Clearing Accessed is a change too: the next access sets it. */
	guest_write32(pte[1], peek32(pte[1]) & ~A);
	ck_assert(!can_read(base + 0x1000, NULL));
	fill(base + 0x1000, RD);
	ck_assert(peek32(pte[1]) & A);
}
END_TEST

START_TEST(test_pde_write_drops_region)
{
	uint32_t a = 0x40000000u, b = 0x40400000u;

	map(PD, a, DATA, P | W);
	map(PD, a + 0x5000, DATA + 0x1000, P | W);
	map(PD, b, DATA + 0x2000, P | W);
	fill(a, RD);
	fill(a + 0x5000, RD);
	fill(b, RD);
	guest_write32(pde_addr(PD, a), peek32(pde_addr(PD, a)) & ~U);
	ck_assert(!can_read(a, NULL));
	ck_assert(!can_read(a + 0x5000, NULL));
	ck_assert(can_read(b, NULL));
	ck_assert_uint_eq(info().pages_mapped, 1);
}
END_TEST

START_TEST(test_aliases_of_a_page_table_are_write_protected)
{
	uint32_t x = DATA + 0x20000, a1 = 0x60000000u, a2 = 0x60400000u;
	uint32_t err, lin = 0x70000000u;

	/* Frame x is a data page mapped writable twice... */
	map(PD, a1, x, P | W | D);
	map(PD, a2, x, P | W | D);
	fill(a1, RD);
	fill(a2, RD);
	ck_assert(can_write(a1));
	ck_assert(can_write(a2));
	/* ...until a directory entry makes it a page table. */
	poke32(x, (DATA + 0x30000) | P | W);
	guest_write32(pde_addr(PD, lin), x | P | W | U);
	fill(lin, RD);
	ck_assert_uint_eq(read_tag(lin), tag((DATA + 0x30000) >> 12));
	ck_assert(mmu_frame_flags[x >> 12] & FRAME_PT);
	ck_assert(can_read(a1, NULL) && !can_write(a1));
	ck_assert(can_read(a2, NULL) && !can_write(a2));
	/* A write through an alias is emulated, then reported. */
	ck_assert_int_eq(flt(a1, WR, &err), SHADOW_EMULATE);
	ck_assert_uint_eq(stats.shadow_emulated, 1);
	ck_assert_uint_eq(stats.trace_hits, 1); /* the PDE write */
	guest_write32(x, (DATA + 0x31000) | P | W);
	ck_assert_uint_eq(stats.trace_hits, 2);
	ck_assert(!can_read(lin, NULL));
	fill(lin, RD);
	ck_assert_uint_eq(read_tag(lin), tag((DATA + 0x31000) >> 12));
	/* Filling another alias later maps it read-only at once. */
	map(PD, a1 + 0x1000, x, P | W | D);
	fill(a1 + 0x1000, RD);
	ck_assert(!can_write(a1 + 0x1000));
}
END_TEST

START_TEST(test_table_shared_by_two_pdes)
{
	uint32_t r1 = 0x40000000u, r2 = 0x4b000000u;
	uint32_t pte3 = map(PD, r1 + 0x3000, DATA + 0x3000, P | W);

	map(PD, r1 + 0x5000, DATA + 0x5000, P | W);
	poke32(pde_addr(PD, r2), peek32(pde_addr(PD, r1)));
	fill(r1 + 0x3000, RD);
	fill(r2 + 0x3000, RD);
	fill(r1 + 0x5000, RD);
	fill(r2 + 0x5000, RD);
	guest_write32(pte3, (DATA + 0x6000) | P | W);
	ck_assert(!can_read(r1 + 0x3000, NULL));
	ck_assert(!can_read(r2 + 0x3000, NULL));
	ck_assert(can_read(r1 + 0x5000, NULL));
	ck_assert(can_read(r2 + 0x5000, NULL));
	/* A write spanning entries 4..6 drops page 5 in both regions (its
	 * Accessed bit cleared: no longer mapped at once). */
	poke32(pte3 + 8, peek32(pte3 + 8) & ~A);
	mmu_frame_written(m, pte3 + 4, 12);
	ck_assert(!can_read(r1 + 0x5000, NULL));
	ck_assert(!can_read(r2 + 0x5000, NULL));
	ck_assert_uint_eq(info().pages_mapped, 0);
}
END_TEST

START_TEST(test_self_mapped_directory)
{
	uint32_t err, lin = 0x00400000u;
	uint32_t pt1;

	map(PD, lin, DATA, P | W);
	pt1 = peek32(pde_addr(PD, lin)) & X86_PTE_ADDR;
	poke32(PD + 1023 * 4, PD | P | W);
	/* 0xffc01000 maps the table of region 1; 0xfffff000 the directory. */
	fill(0xffc01000u, RD);
	fill(0xfffff000u, RD);
	ck_assert_uint_eq(read_tag(0xffc01000u), peek32(pt1));
	ck_assert_uint_eq(read_tag(0xfffff000u), peek32(PD));
	ck_assert(!can_write(0xffc01000u));
	ck_assert_int_eq(flt(0xfffff000u, WR, &err), SHADOW_EMULATE);
	fill(lin, RD);
	/* PDE 1 is both a directory entry and a table entry of region
	 * 1023: writing it drops region 1, and maps page 0xffc01000 again
	 * as the entry now says (present, Accessed: the same table, for
	 * the supervisor). */
	guest_write32(PD + 4, peek32(PD + 4) & ~U);
	ck_assert(!can_read(lin, NULL));
	ck_assert_uint_eq(read_tag(0xffc01000u), peek32(pt1));
	ck_assert(can_read(0xfffff000u, NULL));
	/* Not Accessed: dropped. */
	guest_write32(PD + 4, peek32(PD + 4) & ~A);
	ck_assert(!can_read(0xffc01000u, NULL));
}
END_TEST

static uint32_t hook_paddr, hook_len, hook_calls;

static void code_hook(struct machine *mm, uint32_t paddr, uint32_t len)
{
	ck_assert_ptr_eq(mm, m);
	hook_paddr = paddr;
	hook_len = len;
	hook_calls++;
}

START_TEST(test_code_frames)
{
	uint32_t err, lin = 0x40000000u, f = (DATA + 0x4000) >> 12;

	map(PD, lin, f << 12, P | W | D);
	fill(lin, RD);
	ck_assert(can_write(lin));
	shadow_set_code_write_hook(code_hook);
	shadow_protect_code(m, f);
	ck_assert(can_read(lin, NULL) && !can_write(lin));
	ck_assert_int_eq(flt(lin, WR, &err), SHADOW_EMULATE);
	ck_assert_uint_eq(stats.shadow_emulated, 1);
	guest_write32((f << 12) + 0x10, 0x90909090);
	ck_assert_uint_eq(hook_calls, 1);
	ck_assert_uint_eq(hook_paddr, (f << 12) + 0x10);
	ck_assert_uint_eq(hook_len, 4);
	shadow_unprotect_code(m, f);
	ck_assert(can_write(lin));
	shadow_set_code_write_hook(NULL);
}
END_TEST

/* ---- CR3, invlpg, mode changes ---------------------------------------------- */

START_TEST(test_cr3_switch_keeps_identical_regions)
{
	uint32_t kern = 0xc0001000u, user = 0x00401000u, err;
	uint32_t kpde;

	/* Process A: PD; process B: PD2 with the same kernel PDE. */
	map(PD, kern, DATA + 0x1000, P | W | D | A);
	map(PD, user, DATA + 0x2000, P | W | U | D | A);
	map(PD2, user, DATA + 0x3000, P | W | U | D | A);
	kpde = peek32(pde_addr(PD, kern));
	poke32(pde_addr(PD2, kern), kpde & ~A);
	fill(kern, RD);
	fill(user, RD);

	/* Other processes run (empty directories, one space each); then
	 * PD2 recycles PD's space, the least recently used: the kernel
	 * region is kept, the user region dropped. */
	for (unsigned i = 1; i < SHADOW_SPACES; i++) {
		cpu->cr3 = new_directory();
		shadow_cr3_written(cpu, PD);
		ck_assert_uint_eq(shadow_current_space(), i);
	}
	cpu->cr3 = PD2;
	shadow_cr3_written(cpu, PD);
	ck_assert_uint_eq(shadow_current_space(), 0);
	ck_assert_uint_eq(stats.shadow_space_misses, SHADOW_SPACES);
	ck_assert_uint_eq(read_tag(kern), tag((DATA + 0x1000) >> 12));
	ck_assert(!can_read(user, NULL));
	ck_assert(peek32(pde_addr(PD2, kern)) & A); /* used: Accessed */
	ck_assert(mmu_frame_flags[PD2 >> 12] & FRAME_PT);
	fill(user, RD);
	ck_assert_uint_eq(read_tag(user), tag((DATA + 0x3000) >> 12));

	/* Reloading the same CR3 keeps everything. */
	shadow_cr3_written(cpu, PD2);
	ck_assert(can_read(kern, NULL) && can_read(user, NULL));

	/* Same table, different rights: dropped. */
	poke32(pde_addr(PD3, kern), kpde & ~W);
	cpu->cr3 = PD3;
	shadow_cr3_written(cpu, PD2);
	ck_assert(!can_read(kern, NULL));
	ck_assert(!can_read(user, NULL));
	ck_assert_int_eq(flt(kern, WR, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(stats.shadow_cr3_writes, SHADOW_SPACES + 2);

	/* Back to PD2: its space is still cached, nothing to refill. */
	cpu->cr3 = PD2;
	shadow_cr3_written(cpu, PD3);
	ck_assert_uint_eq(stats.shadow_space_hits, 1);
	ck_assert(can_read(user, NULL));
}
END_TEST

/*
 * Where a GS base change is a system call (no FSGSBASE), a switch between
 * directories that share what the current views map trades spaces: the
 * views stay where they are (no base change), serve the new directory,
 * and keep their mappings. A mapping that differs between the two
 * directories (a user page the kernel touched) stops the trade.
 */
START_TEST(test_switch_trades_views)
{
	uint32_t kern = 0xc0001000u, user = 0x00401000u;
	uint64_t base;
	uint32_t fills;

	shadow_set_space_trading(true);
	map(PD, kern, DATA + 0x1000, P | W | D | A);
	map(PD, user, DATA + 0x2000, P | W | U | D | A);
	map(PD2, user, DATA + 0x3000, P | W | U | D | A);
	poke32(pde_addr(PD2, kern), peek32(pde_addr(PD, kern)) & ~A);
	fill(kern, RD);
	base = shadow_current_base(false);
	fills = stats.shadow_fills;

	/* A new directory (recycled) and then a cached one: no base change,
	 * the kernel page stays mapped, nothing is refilled. */
	for (int i = 0; i < 4; i++) {
		uint32_t old = cpu->cr3;

		cpu->cr3 = old == PD ? PD2 : PD;
		shadow_cr3_written(cpu, old);
		ck_assert_uint_eq(shadow_current_base(false), base);
		ck_assert_uint_eq(read_tag(kern), tag((DATA + 0x1000) >> 12));
		ck_assert_int_eq(shadow_check(cpu), 0);
	}
	ck_assert_uint_eq(stats.shadow_space_trades, 4);
	ck_assert_uint_eq(stats.shadow_fills, fills);
	ck_assert(peek32(pde_addr(PD2, kern)) & A); /* used: Accessed */

	/* The kernel touches a user page in PD: going to PD2 would need it
	 * dropped, so the base moves to PD2's own views instead, and both
	 * spaces keep what they map. */
	ck_assert_uint_eq(cpu->cr3, PD);
	fill(user, RD);
	cpu->cr3 = PD2;
	shadow_cr3_written(cpu, PD);
	ck_assert_uint_ne(shadow_current_base(false), base);
	ck_assert_uint_eq(stats.shadow_space_trades, 4);
	ck_assert(!can_read(user, NULL));
	fill(user, RD);
	ck_assert_uint_eq(read_tag(user), tag((DATA + 0x3000) >> 12));
	cpu->cr3 = PD;
	shadow_cr3_written(cpu, PD2);
	ck_assert_uint_eq(shadow_current_base(false), base);
	ck_assert_uint_eq(read_tag(user), tag((DATA + 0x2000) >> 12));
	ck_assert_uint_eq(read_tag(kern), tag((DATA + 0x1000) >> 12));

	/* Without trading every switch moves the base. */
	shadow_set_space_trading(false);
	cpu->cr3 = PD2;
	shadow_cr3_written(cpu, PD);
	ck_assert_uint_ne(shadow_current_base(false), base);
	ck_assert_uint_eq(stats.shadow_space_trades, 4);
}
END_TEST

START_TEST(test_cr3_write_without_event_is_caught)
{
	uint32_t user = 0x00401000u, other = 0x00801000u;

	map(PD, user, DATA + 0x2000, P | W | U);
	map(PD2, other, DATA + 0x3000, P | W | U);
	fill(user, RD);
	/* The next fault sees the new CR3 even if nobody reported it (one
	 * through the old space's view is emulated: its GS base would be
	 * stale), and the new directory's view does not show the old's. */
	cpu->cr3 = PD2;
	{
		uint64_t old_view = shadow_host_addr(current_view(), other);
		uint32_t err;

		ck_assert_int_eq(shadow_fault(cpu, old_view, RD, &err),
				 SHADOW_EMULATE);
	}
	fill(other, RD);
	ck_assert_uint_eq(read_tag(other), tag((DATA + 0x3000) >> 12));
	ck_assert(!can_read(user, NULL));
}
END_TEST

/* INVLPG has nothing to drop: writes to the entries already did. */
/* A dropped page keeps its frame mapped without access (a ghost): the
 * same frame at the same place comes back with one mprotect, another
 * frame replaces it, and ghosts are bounded (each may split VMAs). */
START_TEST(test_dropped_page_comes_back_as_ghost)
{
	uint32_t a = 0x40000000u, far = 0x50000000u, n = SHADOW_GHOSTS + 500;
	uint32_t pte = map(PD, a, DATA, P | W | D);
	uint64_t hits;

	fill(a, RD);
	guest_write32(pte, peek32(pte) & ~A); /* a change: dropped */
	ck_assert(!can_read(a, NULL));
	hits = info().ghost_hits;
	fill(a, RD);
	ck_assert_uint_eq(info().ghost_hits, hits + 1);
	ck_assert_uint_eq(read_tag(a), tag(DATA >> 12));
	/* Another frame at the same place: a new mapping. */
	guest_write32(pte, (DATA + 0x3000) | P | W | D);
	ck_assert(!can_read(a, NULL));
	fill(a, RD);
	ck_assert_uint_eq(info().ghost_hits, hits + 1);
	ck_assert_uint_eq(read_tag(a), tag((DATA + 0x3000) >> 12));
	/* More drops than ghosts are kept (pages apart: no two merge). */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t lin = far + i * 0x2000;
		uint32_t p = map(PD, lin, DATA + i * 0x1000, P | W | D);

		fill(lin, RD);
		guest_write32(p, peek32(p) & ~A);
		ck_assert(!can_read(lin, NULL));
	}
	ck_assert_uint_le(low_vmas(), 2 * SHADOW_GHOSTS + 64);
	/* Whole regions of ghosts were dropped for real to stay under the
	 * bound (the first of them), the last page is a ghost: both come
	 * back with their own frame. */
	hits = info().ghost_hits;
	fill(far, RD);
	ck_assert_uint_eq(read_tag(far), tag(DATA >> 12));
	ck_assert_uint_eq(info().ghost_hits, hits);
	fill(far + (n - 1) * 0x2000, RD);
	ck_assert_uint_eq(read_tag(far + (n - 1) * 0x2000),
			  tag((DATA + (n - 1) * 0x1000) >> 12));
	ck_assert_uint_eq(info().ghost_hits, hits + 1);
}
END_TEST

START_TEST(test_invlpg)
{
	uint32_t a = 0x40000000u, big = 0x80000000u;
	uint32_t pte = map(PD, a, DATA, P | W);

	map(PD, a + 0x1000, DATA + 0x5000, P | W);
	fill(a, RD);
	fill(a + 0x1000, RD);
	shadow_invlpg(cpu, a + 0x123);
	ck_assert_uint_eq(read_tag(a), tag(DATA >> 12));
	ck_assert(can_read(a + 0x1000, NULL));
	/* The entry changed (not Accessed: not mapped at once): the write
	 * dropped the page, invlpg or not; the next access sees the new
	 * frame. */
	guest_write32(pte, (DATA + 0x9000) | P | W);
	shadow_invlpg(cpu, a);
	ck_assert(!can_read(a, NULL));
	fill(a, RD);
	ck_assert_uint_eq(read_tag(a), tag((DATA + 0x9000) >> 12));
	/* A 4 MiB page stays too; a PDE write drops it. */
	poke32(pde_addr(PD, big), 0x00800000u | PS | P | W);
	fill(big + 0x1000, RD);
	fill(big + 0x300000, RD);
	shadow_invlpg(cpu, big + 0x1000);
	ck_assert(can_read(big + 0x300000, NULL));
	guest_write32(pde_addr(PD, big), 0x00c00000u | PS | P | W);
	ck_assert(!can_read(big + 0x1000, NULL));
	ck_assert(!can_read(big + 0x300000, NULL));
}
END_TEST

/* A PTE write in a region in use maps the new entry at once when the
 * walk has nothing to set (Accessed already), else drops the page. */
START_TEST(test_pte_write_maps_at_once)
{
	uint32_t a = 0x40000000u, err;
	uint32_t pte = map(PD, a, DATA, P | W | A | D);

	fill(a, WR);
	ck_assert(can_write(a));
	/* Write-protected, as an mprotect does: read-only at once. */
	guest_write32(pte, DATA | P | A | D);
	ck_assert_uint_eq(stats.shadow_eager_fills, 1);
	ck_assert(can_read(a, NULL));
	ck_assert(!can_write(a));
	ck_assert_int_eq(flt(a, WR, &err), SHADOW_GUEST_PF);
	/* Writable again. */
	guest_write32(pte, DATA | P | W | A | D);
	ck_assert(can_write(a));
	/* Another frame. */
	guest_write32(pte, (DATA + 0x7000) | P | W | A | D);
	ck_assert_uint_eq(read_tag(a), tag((DATA + 0x7000) >> 12));
	/* Present but not Accessed: mapping it would set A; dropped. */
	guest_write32(pte, (DATA + 0x8000) | P | W);
	ck_assert(!can_read(a, NULL));
	ck_assert(!(peek32(pte) & A));
	ck_assert_uint_eq(stats.shadow_eager_fills, 3);
	/* A page not mapped stays so (a fault-around writes 16 entries;
	 * the first touch maps them with one host call). */
	map(PD, a + 0x2000, DATA + 0x2000, P | W);
	fill(a + 0x2000, RD);
	pte = map(PD, a + 0x5000, DATA + 0x5000, 0);
	guest_write32(pte, (DATA + 0x5000) | P | W | A);
	ck_assert(!can_read(a + 0x5000, NULL));
	ck_assert_uint_eq(stats.shadow_eager_fills, 3);
	fill(a + 0x5000, RD);
	ck_assert(!can_write(a + 0x5000)); /* clean: D is set by a fault */
	/* ... unless the guest's last page fault was for it (its handler is
	 * mapping it; the retry comes next). */
	pte = map(PD, a + 0x9000, DATA + 0x9000, 0);
	cpu->cr2 = a + 0x9123;
	guest_write32(pte, (DATA + 0x9000) | P | W | A);
	ck_assert_uint_eq(stats.shadow_eager_fills, 4);
	ck_assert_uint_eq(read_tag(a + 0x9000), tag((DATA + 0x9000) >> 12));
	cpu->cr2 = 0;
	/* A user view shows only what ring 3 may see: a page made
	 * supervisor-only leaves it at once. */
	set_view(true);
	pte = map(PD, a + 0x6000, DATA + 0x6000, P | W | U | A | D);
	fill(a + 0x6000, RD);
	guest_write32(pte, (DATA + 0x6000) | P | W | A | D);
	ck_assert(!can_read(a + 0x6000, NULL));
	set_view(false);
	fill(a + 0x6000, RD);
	ck_assert_uint_eq(read_tag(a + 0x6000), tag((DATA + 0x6000) >> 12));
}
END_TEST

/*
 * A dead process's directory reused (written while another space runs)
 * orphans its space: what it shared with other directories (a 4 MiB
 * PDE, a page table another directory uses) stays, and the next new
 * directory with the same PDEs gets it without a fault; what only it
 * used goes.
 */
START_TEST(test_orphan_space_seeds_the_next)
{
	uint32_t big = 0xc0000000u, kern = 0xc0801000u, user = 0x00401000u;
	uint32_t pd4 = 0x4000u, kpde, lpde, fills;

	/* PD and PD2 share the kernel: a 4 MiB page and a table. */
	poke32(pde_addr(PD, big), 0x00800000u | PS | P | W | A | D);
	map(PD, kern, DATA + 0x1000, P | W | A | D);
	map(PD, user, DATA + 0x2000, P | W | U | A | D);
	kpde = peek32(pde_addr(PD, big));
	lpde = peek32(pde_addr(PD, kern));
	poke32(pde_addr(PD2, big), kpde);
	poke32(pde_addr(PD2, kern), lpde);
	fill(big + 0x5000, RD);
	fill(kern, RD);
	fill(user, RD);
	cpu->cr3 = PD2;
	shadow_cr3_written(cpu, PD);
	fill(kern, RD);
	cpu->cr3 = PD3;
	shadow_cr3_written(cpu, PD2);

	/* PD's process is gone; its directory is cleared for reuse. */
	for (uint32_t i = 0; i < 1024; i += 256)
		guest_write32(PD + i * 4, 0);
	ck_assert_int_eq(shadow_check(cpu), 0);

	/* A new process: its directory copies the kernel PDEs. */
	poke32(pde_addr(pd4, big), kpde);
	poke32(pde_addr(pd4, kern), lpde);
	map(pd4, user, DATA + 0x3000, P | W | U | A | D);
	fills = stats.shadow_fills;
	cpu->cr3 = pd4;
	shadow_cr3_written(cpu, PD3);
	ck_assert_uint_eq(read_tag(big + 0x5000), tag((0x00805000u) >> 12));
	ck_assert_uint_eq(read_tag(kern), tag((DATA + 0x1000) >> 12));
	ck_assert(!can_read(user, NULL));
	ck_assert_uint_eq(stats.shadow_fills, fills);
	fill(user, RD);
	ck_assert_uint_eq(read_tag(user), tag((DATA + 0x3000) >> 12));

	/* The shared table still drops what depends on it. */
	guest_write32(pt_of(pd4, kern, 0) + ((kern >> 12) & 0x3ff) * 4,
		      (DATA + 0x4000) | P | W);
	ck_assert(!can_read(kern, NULL));
}
END_TEST

START_TEST(test_pse_large_pages)
{
	uint32_t err, big = 0x80000000u, pde = pde_addr(PD, big);

	poke32(pde, 0x00800000u | PS | P | W);
	fill(big + 0x3000, RD);
	ck_assert_uint_eq(read_tag(big + 0x3000), tag(0x803));
	ck_assert(peek32(pde) & A);
	ck_assert(!(peek32(pde) & D));
	ck_assert(!can_write(big + 0x3000));
	/* The rest of the aligned 16-page group came with it: the PDE's
	 * Accessed bit was set by this access, so no guest-visible cost. */
	ck_assert_uint_eq(info().pages_mapped, 16);
	ck_assert_uint_eq(read_tag(big + 0xf000), tag(0x80f));
	fill(big + 0x3000, WR);
	ck_assert(peek32(pde) & D);
	ck_assert(can_write(big + 0x3000));
	/* Reserved bits 13..21 make the PDE fault. */
	guest_write32(pde, 0x00802000u | PS | P | W);
	ck_assert(!can_read(big + 0x3000, NULL));
	ck_assert_int_eq(flt(big, RD, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, X86_PF_P | X86_PF_RSVD);
	/* Without CR4.PSE the PS bit means nothing: flush, walk a table. */
	cpu->cr4 &= ~X86_CR4_PSE;
	shadow_paging_changed(cpu);
	ck_assert_uint_eq(stats.shadow_flushes, 1);
}
END_TEST

START_TEST(test_paging_off)
{
	uint32_t err;
	uint64_t flushes;

	cpu->cr0 = X86_CR0_PE | X86_CR0_ET;
	shadow_paging_changed(cpu);
	flushes = stats.shadow_flushes;
	fill(0x203000u, RD);
	ck_assert_uint_eq(read_tag(0x203000u), tag(0x203));
	ck_assert(can_write(0x203000u));
	ck_assert_uint_eq(info().pages_mapped, 16);
	ck_assert_uint_eq(read_tag(0x20f000u), tag(0x20f));
	set_view(true);
	ck_assert_int_eq(flt(0x800, RD, &err),
			 direct_view ? SHADOW_EMULATE : SHADOW_FILLED);
	set_view(false);
	ck_assert_int_eq(flt(RAM_SIZE + 0x1000, RD, &err), SHADOW_EMULATE);
	/* Turning paging on changes what every address means. */
	cpu->cr0 |= X86_CR0_PG;
	shadow_paging_changed(cpu);
	ck_assert(!can_read(0x203000u, NULL));
	ck_assert_uint_eq(stats.shadow_flushes, flushes + 1);
	ck_assert_uint_eq(info().pages_mapped, 0);
}
END_TEST

START_TEST(test_pge_toggle_keeps_mappings)
{
	map(PD, 0xc0000000u, DATA, P | W | X86_PTE_G);
	cpu->cr4 |= X86_CR4_PGE;
	shadow_paging_changed(cpu);
	fill(0xc0000000u, RD);
	cpu->cr4 &= ~X86_CR4_PGE;
	shadow_paging_changed(cpu);
	ck_assert(can_read(0xc0000000u, NULL));
	shadow_flush_all(cpu);
	ck_assert(!can_read(0xc0000000u, NULL));
	ck_assert(!(mmu_frame_flags[PD >> 12] & FRAME_PT));
}
END_TEST

START_TEST(test_cluster_of_contiguous_pages)
{
	uint32_t base = 0x40000000u;
	unsigned before;

	/* 32 pages, consecutive frames, already Accessed. */
	for (uint32_t i = 0; i < 32; i++)
		map(PD, base + i * 0x1000, DATA + i * 0x1000, P | W | A | D);
	before = low_vmas();
	fill(base + 0x5000, RD);
	ck_assert_uint_eq(info().pages_mapped, 16);
	ck_assert_uint_eq(low_vmas(), before + 2); /* one VMA + a gap */
	fill(base + 0x10000, RD);
	ck_assert_uint_eq(info().pages_mapped, 32);
	ck_assert_uint_eq(low_vmas(), before + 2); /* merged */
	ck_assert_uint_eq(info().vmas_estimate, 3);
	for (uint32_t i = 0; i < 32; i++)
		ck_assert(can_write(base + i * 0x1000));
	/* Not yet Accessed: filled early, with A set as a speculative
	 * walk may; D only where it was (a clean neighbour stays
	 * read-only, and does not join a writable run). */
	map(PD, base + 0x40000, DATA + 0x40000, P | W | D);
	map(PD, base + 0x41000, DATA + 0x41000, P | W | D);
	map(PD, base + 0x42000, DATA + 0x42000, P | W);
	fill(base + 0x40000, RD);
	ck_assert(can_read(base + 0x41000, NULL));
	ck_assert(peek32(PT_BASE + 0x41 * 4) & A);
	ck_assert(!(peek32(PT_BASE + 0x42 * 4) & (A | D)));
	ck_assert(!can_read(base + 0x42000, NULL));
}
END_TEST

/* ---- views -------------------------------------------------------------- */

START_TEST(test_user_view_never_maps_supervisor_pages)
{
	uint32_t upage = 0x00400000u, spage = 0x00800000u;
	uint32_t kpage = 0xc0001000u, err;

	map(PD, upage, DATA, P | W | U | D);
	map(PD, spage, DATA + 0x1000, P | W | D);
	/* Linux's kernel tables: U in the PDE, not in the PTE. */
	map(PD, kpage, DATA + 0x2000, P | W | D);
	fill(upage, RD);
	fill(spage, RD);
	fill(kpage, RD);
	ck_assert(can_write(upage));
	ck_assert(can_read(kpage, NULL));

	/* The user view is separate: nothing there yet, and what the guest
	 * keeps from CPL 3 never gets there, wherever it lies. */
	set_view(true);
	ck_assert(!can_read(upage, NULL));
	ck_assert(!can_read(spage, NULL));
	ck_assert(!can_read(kpage, NULL));
	ck_assert_int_eq(flt(spage, RD, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, X86_PF_P | X86_PF_U);
	ck_assert_int_eq(flt(kpage, WR, &err), SHADOW_GUEST_PF);
	ck_assert_uint_eq(err, X86_PF_P | X86_PF_W | X86_PF_U);
	fill(upage, RD);
	ck_assert(can_write(upage));
	ck_assert(!can_read(spage, NULL));
	ck_assert(!can_read(kpage, NULL));
	/* The same frame through both views: one memory. */
	*host(upage + 16) = 0x600df00d;
	set_view(false);
	ck_assert_uint_eq(*host(upage + 16), 0x600df00d);
	/* A PTE write drops the page from both views (not Accessed). */
	guest_write32(PT_BASE, DATA | P | U);
	ck_assert(!can_read(upage, NULL));
	set_view(true);
	ck_assert(!can_read(upage, NULL));
	/* Accessed and still user: mapped again in both at once. */
	set_view(false);
	fill(upage, RD);
	set_view(true);
	fill(upage, RD);
	guest_write32(PT_BASE, DATA | P | U | A);
	ck_assert(can_read(upage, NULL));
	set_view(false);
	ck_assert(can_read(upage, NULL));
	/* A PDE write drops both. */
	fill(upage, RD);
	set_view(true);
	fill(upage, RD);
	guest_write32(pde_addr(PD, upage), 0);
	ck_assert(!can_read(upage, NULL));
	set_view(false);
	ck_assert(!can_read(upage, NULL));
}
END_TEST

/*
 * What user code on host mappings costs its space (the user TLB policy
 * weighs it, bt/utlb_policy.c): a host fault and a host call per fill of
 * a user page, a host call per drop; kernel-view work is not its cost.
 * Back on the user TLB, its user pages leave the user view (and the
 * direct view), and a pinned space stays pinned.
 */
START_TEST(test_user_mapping_costs)
{
	uint32_t upage = 0x00400000u, kpage = 0xc0001000u;
	struct shadow_space_policy *p = shadow_space_policy();

	shadow_set_user_tlb(false);
	map(PD, upage, DATA, P | W | U | D | A);
	map(PD, kpage, DATA + 0x1000, P | W | D | A);
	fill(kpage, RD);
	ck_assert_uint_eq(p->map_costs, 0);
	set_view(true);
	fill(upage, RD);
	ck_assert_uint_eq(p->map_costs, 2);
	guest_write32(PT_BASE, DATA | P | U | D); /* not Accessed: dropped */
	ck_assert_uint_ge(p->map_costs, 3);
	fill(upage, RD);
	ck_assert(can_read(upage, NULL));

	p->pinned = true;
	shadow_set_user_tlb(true);
	ck_assert(p->user_tlb && p->pinned);
	ck_assert_uint_eq(p->map_costs, 0);
	ck_assert(!can_read(upage, NULL));
	set_view(false);
	ck_assert(can_read(kpage, NULL));
}
END_TEST

/*
 * The direct view follows a directory that is no longer CR3's, and the
 * guest writes that directory (its process is gone, the frame reused):
 * the view forgets it at once, drops what it held and the frame stops
 * being a traced directory, instead of every later write paying for a
 * directory nobody uses. Its process comes back: refilled as usual.
 */
START_TEST(test_direct_view_forgets_rewritten_directory)
{
	uint32_t upage = 0x00400000u;

	if (!direct_view)
		return;
	map(PD, upage, DATA, P | W | U | D | A);
	map(PD2, upage, DATA + 0x1000, P | W | U | D | A);
	set_view(true);
	fill(upage, RD);
	ck_assert_uint_eq(read_tag(upage), tag(DATA >> 12));
	cpu->cr3 = PD2;
	shadow_cr3_written(cpu, PD);
	/* No user code has run: the direct view still shows PD's page. */
	ck_assert(probe_read(host(upage), NULL));
	ck_assert(mmu_frame_flags[PD >> 12] & FRAME_PT);

	guest_write32(PD + 0x800, 0x5a5a5a5a); /* not a directory any more */
	ck_assert(!probe_read(host(upage), NULL));
	ck_assert(!(mmu_frame_flags[PD >> 12] & FRAME_PT));
	guest_write32(PD + 0x800, 0);

	/* PD2's user code runs: the direct view follows CR3 again. */
	fill(upage, RD);
	ck_assert_uint_eq(read_tag(upage), tag((DATA + 0x1000) >> 12));
	cpu->cr3 = PD;
	shadow_cr3_written(cpu, PD2);
	fill(upage, RD);
	ck_assert_uint_eq(read_tag(upage), tag(DATA >> 12));
	set_view(false);
}
END_TEST

/* The guard between the views: an access that runs past the top of the
 * user view (host 4 GiB) faults instead of reaching the kernel view,
 * even when the kernel view maps guest page 0. */
START_TEST(test_guard_between_views)
{
	volatile uint32_t *past_user_view =
		(volatile uint32_t *)(uintptr_t)(1ull << 32);

	map(PD, 0, DATA, P | W | A | D);
	fill(0, RD);
	ck_assert_uint_eq(read_tag(0), tag(DATA >> 12));
	if (sigsetjmp(probe_env, 1) == 0) {
		probing = 1;
		(void)*past_user_view;
		probing = 0;
		ck_abort_msg("host 4 GiB (the guard) is mapped");
	}
}
END_TEST

/* ---- adaptivity ------------------------------------------------------------ */

START_TEST(test_unused_table_untraced_on_write)
{
	uint32_t user = 0x00401000u, alias = 0xc0100000u;
	uint32_t pte = map(PD, user, DATA, P | W | U);
	uint32_t pt = pte & X86_PTE_ADDR;

	/* The table is also mapped writable (a kernel's RAM alias). */
	map(PD, alias, pt, P | W | D);
	poke32(pde_addr(PD2, alias), peek32(pde_addr(PD, alias)));
	fill(alias, RD);
	ck_assert(can_write(alias));
	fill(user, RD);
	ck_assert(!can_write(alias));
	/* Switch to a directory that does not use the table: PD's space
	 * is cached, so the table still counts; a write to it drops the
	 * page there. */
	cpu->cr3 = PD2;
	shadow_cr3_written(cpu, PD);
	ck_assert(mmu_frame_flags[pt >> 12] & FRAME_PT);
	guest_write32(pte + 4, 0);
	ck_assert(mmu_frame_flags[pt >> 12] & FRAME_PT);
	/* A write to PD while it is not current forgets its space: nothing
	 * depends on the table any more, the next write untraces it. */
	guest_write32(pde_addr(PD, 0x40000000u), 0);
	guest_write32(pte + 4, 0);
	ck_assert(!(mmu_frame_flags[pt >> 12] & FRAME_PT));
	fill(alias, RD);
	ck_assert(can_write(alias));
}
END_TEST

/* An untraced table's mappings stay read-only (no host call at the
 * untrace); a write that faults on one makes it writable. */
START_TEST(test_untraced_alias_writable_on_write)
{
	uint32_t user = 0x00401000u, alias = 0xc0100000u;
	uint32_t pte = map(PD, user, DATA, P | W | U | A | D);
	uint32_t pt = pte & X86_PTE_ADDR;
	uint64_t calls;
	unsigned i;

	map(PD, alias, pt, P | W | D | A);
	fill(alias, RD);
	fill(user, RD);
	ck_assert(!can_write(alias));
	/* Written in a burst (an entry nothing maps): hot, untraced. */
	for (i = 0; i < 1000 && (mmu_frame_flags[pt >> 12] & FRAME_PT); i++)
		guest_write32(pte + 8, (DATA + (i % 16) * 0x1000) | P | U);
	ck_assert(!(mmu_frame_flags[pt >> 12] & FRAME_PT));
	ck_assert(!can_read(user, NULL));
	ck_assert(can_read(alias, NULL));
	ck_assert(!can_write(alias));
	calls = info().host_calls;
	ck_assert_int_eq(flt(alias, WR, NULL), SHADOW_FILLED);
	ck_assert(can_write(alias));
	ck_assert_uint_eq(info().host_calls, calls + 1);
	ck_assert_uint_eq(peek32(pte + 8) >> 12, (DATA >> 12) + (i - 1) % 16);
}
END_TEST

START_TEST(test_hot_table_untraced)
{
	uint32_t user = 0x00401000u;
	uint32_t pte = map(PD, user, DATA, P | W | U);
	uint32_t pt = pte & X86_PTE_ADDR;
	int i;

	fill(user, RD);
	/* A burst of writes to other entries (a fork copying PTEs). */
	for (i = 0; i < 100 && (mmu_frame_flags[pt >> 12] & FRAME_PT); i++)
		guest_write32(pt + 0x800 + 4 * i, (DATA + 0x1000 * i) | P | U);
	ck_assert_int_eq(i, 33);
	ck_assert(!can_read(user, NULL)); /* it depended on the table */
	ck_assert_uint_eq(info().untraces, 1);
	/* Used again: traced again. */
	fill(user, RD);
	ck_assert(mmu_frame_flags[pt >> 12] & FRAME_PT);
}
END_TEST

START_TEST(test_hot_allowance_grows_with_pages)
{
	uint32_t base = 0x00400000u, pt;
	int i;

	/* 200 pages hang off this table: untracing throws them away, so
	 * it takes 32 + 200 / 2 writes in one epoch. */
	for (uint32_t p = 0; p < 200; p++)
		map(PD, base + p * 0x1000, DATA + p * 0x3000, P | W | U);
	pt = peek32(pde_addr(PD, base)) & X86_PTE_ADDR;
	for (uint32_t p = 0; p < 200; p++)
		fill(base + p * 0x1000, RD);
	for (i = 0; i < 300 && (mmu_frame_flags[pt >> 12] & FRAME_PT); i++)
		guest_write32(pt + 0x800 + 4 * i, 0);
	ck_assert_int_eq(i, 32 + 200 / 2 + 1);
	ck_assert_uint_eq(info().pages_mapped, 0);
}
END_TEST

START_TEST(test_directory_never_hot)
{
	uint32_t user = 0x00401000u;

	map(PD, user, DATA, P | W | U);
	fill(user, RD);
	/* Many PDE writes (a process growing): each drops only its region,
	 * the directory stays traced and the rest stays mapped. */
	for (uint32_t j = 100; j < 400; j++)
		guest_write32(PD + 4 * j, 0);
	ck_assert(mmu_frame_flags[PD >> 12] & FRAME_PT);
	ck_assert(can_read(user, NULL));
	ck_assert_uint_eq(info().untraces, 0);
	ck_assert_uint_eq(stats.shadow_flushes, 0);
}
END_TEST

START_TEST(test_pae_not_mapped)
{
	uint32_t err;

	map(PD, 0x40000000u, DATA, P | W | A | D);
	fill(0x40000000u, RD);
	cpu->cr4 |= X86_CR4_PAE;
	shadow_paging_changed(cpu);
	ck_assert(!can_read(0x40000000u, NULL));
	ck_assert_int_eq(flt(0x40000000u, RD, &err), SHADOW_EMULATE);
	ck_assert_int_eq(flt(0x40000000u, RD, &err), SHADOW_EMULATE);
	ck_assert_uint_eq(stats.shadow_flushes, 1);
	cpu->cr4 &= ~X86_CR4_PAE;
	shadow_paging_changed(cpu);
	fill(0x40000000u, RD);
}
END_TEST

/* ---- budget -------------------------------------------------------------- */

/* Page p of a scattered layout: no two neighbours can merge. */
static uint32_t scatter_frame(uint32_t p)
{
	return (DATA >> 12) + (p * 2833u) % (NFRAMES - (DATA >> 12));
}

static void map_scattered(uint32_t base, uint32_t pages)
{
	for (uint32_t p = 0; p < pages; p++)
		map(PD, base + p * 0x1000, scatter_frame(p) << 12, P | W);
}

START_TEST(test_budget_small)
{
	uint32_t base = 0x10000000u, pages = 2000;
	struct shadow_info i;

	map_scattered(base, pages);
	shadow_set_budget(512, 64);
	for (uint32_t p = 0; p < pages; p++) {
		fill(base + p * 0x1000, RD);
		ck_assert_uint_eq(read_tag(base + p * 0x1000),
				  tag(scatter_frame(p)));
		ck_assert_uint_le(low_vmas(), 64 + 1);
	}
	i = info();
	ck_assert_uint_le(i.pages_mapped, 512);
	ck_assert_uint_le(i.vmas_estimate, 64);
	ck_assert_uint_gt(i.evictions, 1900);
	ck_assert_uint_eq(stats.shadow_flushes, 0);
	/* The newest pages survived, the oldest went first. */
	ck_assert(can_read(base + (pages - 1) * 0x1000, NULL));
	ck_assert(!can_read(base, NULL));
}
END_TEST

START_TEST(test_storm_default_budget)
{
	uint32_t base = 0x10000000u, pages = 40 * 1024, seed = 12345;
	uint32_t *frame_of = calloc(pages, sizeof(*frame_of));
	struct shadow_info i;
	unsigned vmas;

	ck_assert_ptr_nonnull(frame_of);
	map_scattered(base, pages);
	for (uint32_t p = 0; p < pages; p++)
		frame_of[p] = scatter_frame(p);
	/* 40960 isolated pages would need 80000 VMAs. */
	for (uint32_t p = 0; p < pages; p++)
		fill(base + p * 0x1000, RD);
	vmas = low_vmas();
	i = info();
	ck_assert_uint_le(vmas, i.max_vmas + 1);
	ck_assert_uint_le(i.vmas_estimate, i.max_vmas);
	ck_assert_uint_gt(i.evictions, 0);
	ck_assert_uint_eq(stats.shadow_flushes, 0);

	/* Thousands of PTE edits interleaved with fills. */
	for (int k = 0; k < 20000; k++) {
		uint32_t p, lin, pte;

		seed = seed * 1103515245u + 12345u;
		p = (seed >> 8) % pages;
		lin = base + p * 0x1000;
		pte = (peek32(pde_addr(PD, lin)) & X86_PTE_ADDR) +
		      ((lin >> 12) & 0x3ff) * 4;
		if (k & 1) {
			frame_of[p] = scatter_frame(seed >> 3 & 0xffff);
			guest_write32(pte, (frame_of[p] << 12) | P | W |
						   (seed & 0x100 ? D : 0));
		}
		fill(lin, k & 2 ? WR : RD);
		ck_assert_uint_eq(read_tag(lin), tag(frame_of[p]));
	}
	ck_assert_int_eq(shadow_check(cpu), 0);
	ck_assert_uint_le(low_vmas(), info().max_vmas + 1);
	free(frame_of);
}
END_TEST

/* ---- randomized, against an independent oracle ------------------------- */

static uint32_t rnd_state = 0x1234567u;

static uint32_t rnd(uint32_t n)
{
	rnd_state = rnd_state * 1103515245u + 12345u;
	return (rnd_state >> 8) % n;
}

/* What the guest allows at lin right now (no side effects). */
static bool oracle(uint32_t lin, bool write, bool user, uint32_t *frame,
		   bool *dirty)
{
	struct mmu_walk_result w;
	uint32_t err;

	if (mmu_walk(cpu, lin,
		     MMU_ACC_NOSET | (write ? MMU_ACC_WRITE : 0) |
			     (user ? MMU_ACC_USER : 0),
		     &w, &err) < 0)
		return false;
	*frame = w.paddr >> 12;
	*dirty = w.pte & D;
	return true;
}

static bool oracle_wp1_write(uint32_t lin)
{
	uint32_t cr0 = cpu->cr0, frame;
	bool dirty, ok;

	cpu->cr0 |= X86_CR0_WP;
	ok = oracle(lin, true, false, &frame, &dirty);
	cpu->cr0 = cr0;
	return ok;
}

/* The host mapping at lin must never allow more than the guest does. */
static void probe_against_oracle(uint32_t lin, bool user)
{
	uint32_t v, frame;
	bool dirty;

	if (can_read(lin, &v)) {
		ck_assert_msg(oracle(lin, false, user, &frame, &dirty),
			      "%#x readable, guest faults (view %u)", lin,
			      current_view());
		ck_assert_msg(v == peek32(frame << 12),
			      "%#x shows %#x, frame %#x holds %#x", lin, v,
			      frame, peek32(frame << 12));
	}
	if (can_write(lin)) {
		ck_assert_msg(oracle(lin, true, user, &frame, &dirty),
			      "%#x writable, guest faults", lin);
		ck_assert_msg(dirty, "%#x writable, not dirty", lin);
		ck_assert_msg(!(mmu_frame_flags[frame] & FRAME_WATCHED),
			      "%#x writable, frame %#x watched", lin, frame);
		/* Writable at both levels, whatever CR0.WP says. */
		ck_assert_msg(oracle_wp1_write(lin),
			      "%#x writable, guest "
			      "entries read-only",
			      lin);
	}
}

static void random_steps(void)
{
	static const uint32_t regions[] = {0x001, 0x002, 0x100, 0x101,
					   0x300, 0x301, 0x3ff};
	const uint32_t nreg = sizeof(regions) / sizeof(regions[0]);
	const uint32_t pds[3] = {PD, PD2, PD3};
	uint32_t pts[8];
	const char *seed = getenv("SHADOW_SEED"); /* to try other runs */

	if (seed)
		rnd_state = (uint32_t)strtoul(seed, NULL, 0);
	for (uint32_t i = 0; i < 8; i++)
		pts[i] = new_pt();
	for (uint32_t d = 0; d < 3; d++)
		for (uint32_t r = 0; r < nreg; r++)
			poke32(pds[d] + 4 * regions[r],
			       pts[(r + d * (r > 3)) % 8] | P | W | U);
	for (int step = 0; step < 20000; step++) {
		uint32_t r = regions[rnd(nreg)], i = rnd(32);
		uint32_t lin = (r << 22) | (i << 12) | (rnd(1024) * 4);
		uint32_t pte_flags = rnd(0x80) & (P | W | U | A | D);
		uint32_t op = rnd(100), err, frame;

		if (rnd(4))
			pte_flags |= P;
		if (op < 40) {
			uint32_t acc = rnd(3) ? RD : WR;
			bool dirty;
			enum shadow_result res = flt(lin, acc, &err);
			bool user = user_view;

			if (res == SHADOW_GUEST_PF)
				ck_assert(!oracle(lin, acc, user, &frame,
						  &dirty));
			else
				ck_assert(
					oracle(lin, acc, user, &frame, &dirty));
			if (res == SHADOW_FILLED && acc == WR)
				ck_assert(can_write(lin & ~3u));
		} else if (op < 70) {
			/* A PTE: a data frame, a page table or directory
			 * (aliases of traced frames), any flags. */
			uint32_t pt = pts[rnd(8)], target;

			switch (rnd(4)) {
			case 0:
				target = pts[rnd(8)];
				break;
			case 1:
				target = pds[rnd(3)];
				break;
			default:
				target = DATA + rnd(64) * 0x1000;
			}
			guest_write32(pt + 4 * i, target | pte_flags);
		} else if (op < 78) {
			uint32_t pd = pds[rnd(3)], v;

			switch (rnd(4)) {
			case 0: /* a 4 MiB page */
				v = 0x00400000u * (1 + rnd(4)) | PS |
				    (pte_flags & ~A);
				break;
			case 1:
				v = 0;
				break;
			default:
				v = pts[rnd(8)] | P | (rnd(2) ? W : 0) |
				    (rnd(4) ? U : 0);
			}
			guest_write32(pd + 4 * r, v);
		} else if (op < 84) {
			uint32_t old = cpu->cr3;

			cpu->cr3 = pds[rnd(3)];
			shadow_cr3_written(cpu, old);
		} else if (op < 88) {
			shadow_invlpg(cpu, lin);
		} else if (op < 94) {
			set_view(!user_view);
		} else if (op < 96) {
			cpu->cr0 ^= X86_CR0_WP;
			shadow_paging_changed(cpu);
		} else if (op < 98) {
			cpu->cr4 ^= X86_CR4_PGE;
			shadow_paging_changed(cpu);
		} else if (op < 99) {
			shadow_flush_all(cpu);
		}
		for (int k = 0; k < 4; k++)
			probe_against_oracle((regions[rnd(nreg)] << 22) |
						     (rnd(32) << 12),
					     user_view);
		if (step % 500 == 0)
			ck_assert_int_eq(shadow_check(cpu), 0);
	}
	if (!(cpu->cr0 & X86_CR0_WP)) {
		cpu->cr0 |= X86_CR0_WP;
		shadow_paging_changed(cpu);
	}
	set_view(false);
	fprintf(stderr,
		"shadow: random: %llu fills, %llu guest #PF, %llu emulated, "
		"%llu traces, %llu untraces, %llu of %llu switches traded, "
		"%u pages mapped\n",
		(unsigned long long)stats.shadow_fills,
		(unsigned long long)stats.shadow_guest_pf,
		(unsigned long long)stats.shadow_emulated,
		(unsigned long long)stats.traces,
		(unsigned long long)info().untraces,
		(unsigned long long)stats.shadow_space_trades,
		(unsigned long long)(stats.shadow_space_hits +
				     stats.shadow_space_misses),
		info().pages_mapped);
}

START_TEST(test_random_against_walks)
{
	random_steps();
}
END_TEST

START_TEST(test_random_trading_spaces)
{
	shadow_set_space_trading(true);
	random_steps();
	ck_assert_uint_gt(stats.shadow_space_trades, 0);
}
END_TEST

START_TEST(test_random_small_budget)
{
	shadow_set_budget(48, 16);
	random_steps();
	ck_assert_uint_gt(info().evictions, 0);
}
END_TEST

/* ---- through real faults, and costs ----------------------------------------- */

START_TEST(test_hidden_faults_through_sigsegv)
{
	uint32_t base = 0x20000000u, n = 256;

	map_scattered(base, n);
	hidden_faults = 1;
	for (uint32_t p = 0; p < n; p++)
		ck_assert_uint_eq(*host(base + p * 0x1000),
				  tag(scatter_frame(p)));
	/* The first write faults again (sets Dirty), then goes through. */
	*host(base + 4) = 0xabcdef01;
	hidden_faults = 0;
	ck_assert_uint_eq(peek32((scatter_frame(0) << 12) + 4), 0xabcdef01);
	ck_assert(peek32(PT_BASE) & D);
	ck_assert_uint_eq(hidden_count, n + 1);
}
END_TEST

START_TEST(test_costs)
{
	uint32_t base = 0x20000000u, n = 4000, err;
	double t0, t1;

	map_scattered(base, n);
	/* Fill: walk + bookkeeping + one mmap, no signal. */
	t0 = now_us();
	for (uint32_t p = 0; p < n; p++)
		flt(base + p * 0x1000, RD, &err);
	t1 = now_us();
	fprintf(stderr, "shadow: fill (direct call)       %6.2f us/page\n",
		(t1 - t0) / n);
	/* Drop through a PTE write (Accessed cleared). */
	t0 = now_us();
	for (uint32_t p = 0; p < 4 * 30; p++) {
		uint32_t pte = PT_BASE + (p % 4) * 4096 + (p / 4) * 4;

		guest_write32(pte, peek32(pte) & ~A);
	}
	t1 = now_us();
	ck_assert_uint_eq(info().pages_mapped, n - 120);
	fprintf(stderr, "shadow: drop (PTE write)         %6.2f us/page\n",
		(t1 - t0) / 120);
	/* Hidden faults through SIGSEGV. */
	shadow_flush_all(cpu);
	hidden_faults = 1;
	t0 = now_us();
	for (uint32_t p = 0; p < n; p++)
		(void)*host(base + p * 0x1000);
	t1 = now_us();
	hidden_faults = 0;
	fprintf(stderr, "shadow: hidden fault (SIGSEGV)   %6.2f us/page\n",
		(t1 - t0) / n);
	/* Re-checks that keep everything. */
	t0 = now_us();
	for (int k = 0; k < 1000; k++)
		shadow_cr3_written(cpu, cpu->cr3);
	t1 = now_us();
	fprintf(stderr, "shadow: CR3 reload (%u regions)   %6.2f us\n",
		(n + 1023) / 1024, (t1 - t0) / 1000);
	ck_assert_uint_eq(info().pages_mapped, n);
	t0 = now_us();
	shadow_flush_all(cpu);
	t1 = now_us();
	fprintf(stderr, "shadow: flush of %u pages       %8.1f us\n", n,
		t1 - t0);
	/* Contiguous pages, as a kernel maps its RAM. */
	for (uint32_t p = 0; p < n; p++)
		map(PD, 0x80000000u + p * 0x1000, DATA + p * 0x1000,
		    P | W | A | D);
	t0 = now_us();
	for (uint32_t p = 0; p < n; p++)
		flt(0x80000000u + p * 0x1000, RD, &err);
	t1 = now_us();
	fprintf(stderr,
		"shadow: fill, contiguous          %6.2f us/page "
		"(%u host calls)\n",
		(t1 - t0) / n, n / 16);
	t0 = now_us();
	shadow_flush_all(cpu);
	t1 = now_us();
	fprintf(stderr, "shadow: flush of %u contiguous  %8.1f us\n", n,
		t1 - t0);
	/* A process switch: both processes' pages stay in their spaces
	 * (the direct view: the kernel kept, 64 user pages dropped, but
	 * this test looks through the kernel views only). */
	for (uint32_t p = 0; p < 64; p++) {
		map(PD, 0x00400000u + p * 0x2000, DATA + p * 0x3000, P | W | U);
		map(PD2, 0x00400000u + p * 0x2000, DATA + p * 0x5000,
		    P | W | U);
	}
	for (uint32_t r = 0x200; r < 0x204; r++)
		poke32(PD2 + 4 * r, peek32(PD + 4 * r));
	for (uint32_t p = 0; p < n; p++)
		flt(0x80000000u + p * 0x1000, RD, &err);
	t1 = 0;
	for (int k = 0; k < 100; k++) {
		for (uint32_t p = 0; p < 64; p++)
			flt(0x00400000u + p * 0x2000, RD, &err);
		t0 = now_us();
		cpu->cr3 = cpu->cr3 == PD ? PD2 : PD;
		shadow_cr3_written(cpu, 0);
		t1 += now_us() - t0;
	}
	ck_assert_uint_eq(info().pages_mapped, n + 128);
	fprintf(stderr,
		"shadow: CR3 switch between cached spaces, %u pages "
		"%6.1f us\n",
		n, t1 / 100);
}
END_TEST

static Suite *shadow_suite(void)
{
	Suite *s = suite_create("shadow");
	TCase *tc = tcase_create(direct_view ? "direct view" : "spaces");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_mem_clear_is_lazy);
	tcase_add_test(tc, test_fill_read_then_write);
	tcase_add_test(tc, test_dirty_page_mapped_writable_at_once);
	tcase_add_test(tc, test_error_codes);
	tcase_add_test(tc, test_wp0_write_emulated);
	tcase_add_test(tc, test_not_present_becomes_present);
	tcase_add_test(tc, test_below_mmap_min_addr_and_mmio);
	tcase_add_test(tc, test_pte_write_drops_that_page);
	tcase_add_test(tc, test_pde_write_drops_region);
	tcase_add_test(tc, test_aliases_of_a_page_table_are_write_protected);
	tcase_add_test(tc, test_table_shared_by_two_pdes);
	tcase_add_test(tc, test_self_mapped_directory);
	tcase_add_test(tc, test_code_frames);
	tcase_add_test(tc, test_cr3_switch_keeps_identical_regions);
	tcase_add_test(tc, test_switch_trades_views);
	tcase_add_test(tc, test_cr3_write_without_event_is_caught);
	tcase_add_test(tc, test_invlpg);
	tcase_add_test(tc, test_dropped_page_comes_back_as_ghost);
	tcase_add_test(tc, test_pte_write_maps_at_once);
	tcase_add_test(tc, test_orphan_space_seeds_the_next);
	tcase_add_test(tc, test_pse_large_pages);
	tcase_add_test(tc, test_paging_off);
	tcase_add_test(tc, test_pge_toggle_keeps_mappings);
	tcase_add_test(tc, test_cluster_of_contiguous_pages);
	tcase_add_test(tc, test_user_view_never_maps_supervisor_pages);
	tcase_add_test(tc, test_user_mapping_costs);
	tcase_add_test(tc, test_direct_view_forgets_rewritten_directory);
	tcase_add_test(tc, test_guard_between_views);
	tcase_add_test(tc, test_unused_table_untraced_on_write);
	tcase_add_test(tc, test_hot_table_untraced);
	tcase_add_test(tc, test_untraced_alias_writable_on_write);
	tcase_add_test(tc, test_hot_allowance_grows_with_pages);
	tcase_add_test(tc, test_directory_never_hot);
	tcase_add_test(tc, test_pae_not_mapped);
	tcase_add_test(tc, test_budget_small);
	tcase_add_test(tc, test_storm_default_budget);
	tcase_add_test(tc, test_random_against_walks);
	tcase_add_test(tc, test_random_trading_spaces);
	tcase_add_test(tc, test_random_small_budget);
	tcase_add_test(tc, test_hidden_faults_through_sigsegv);
	tcase_add_test(tc, test_costs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	int failed = 0;

	/* Every test twice: user code on the spaces' own user views (the
	 * translator's default), and on the direct view (--direct-exec, or
	 * a host without FSGSBASE). */
	for (int d = 0; d < 2; d++) {
		SRunner *sr;

		direct_view = d;
		sr = srunner_create(shadow_suite());
		srunner_run_all(sr, CK_NORMAL);
		failed += srunner_ntests_failed(sr);
		srunner_free(sr);
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
