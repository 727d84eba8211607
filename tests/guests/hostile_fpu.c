/*
 * hostile_fpu - x87 and SSE memory accesses where the monitor has to step
 * in (issue 9: "an x87 store (fnstcw) to a user page at linear 0 or to a
 * page-table frame" stopped the VM). From ring 3 (IF = 1):
 *
 *   - fnstcw, fistpl, fstpl, movups, movd and fxsave into a user page at
 *     linear 0 (below the host's mmap_min_addr);
 *   - fistpl and movd into a page table the guest mapped user-writable,
 *     writing a PTE that then maps a page ring 3 reads;
 *   - movups into VGA text memory (the device keeps it) and into memory
 *     beyond RAM (open bus: the write is lost);
 *   - fnstcw, movups and fld/movups loads on a supervisor page: #PF with
 *     U = 1; fxsave and fstpl across a user|supervisor page boundary:
 *     #PF on the supervisor page;
 *   - movups writing the next instruction (self-modifying code through
 *     an SSE store);
 * and from ring 0: movups into a traced page directory entry and fxsave
 * into the page of the code that runs next.
 *
 * Before the interpreter executed x87/SSE, the first of these stopped
 * the VM under every engine ("not supported by the interpreter").
 */
#include "guest.h"

#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR0_NE 0x20u
#define CR4_OSFXSR 0x200u
#define CR4_OSXMMEXCPT 0x400u

#define VA_PT 0x58000000u   /* a page table, user-writable */
#define VA_WIN 0x60000000u  /* the region it maps */
#define VA_VGA 0x50000000u  /* 0xb8000 for ring 3 */
#define VA_OPEN 0x50001000u /* beyond RAM for ring 3 */
#define VA_EDGE 0x70000000u /* user page, then supervisor page */
#define F_PAGE0 0x800000u
#define F_EDGE 0x801000u
#define F_EDGE_S 0x802000u
#define F_TARGET 0x803000u
#define RAM_END 0x4000000u

USER_DATA uint8_t ustack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))
USER_DATA volatile uint32_t u_addr, u_val, u_res[4];
USER_DATA uint8_t u_src[16] __attribute__((aligned(16))) = {
	0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
	0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01};

/* One access each: EDX = the address, u_val the integer to store. */
#define UOP(name, body)                                           \
	void name(void);                                          \
	__asm__(".pushsection .user.text, \"ax\"\n" #name ":\n\t" \
		"movl u_addr, %edx\n\t" body "\n\t"               \
		"movl $1, %eax\n\t"                               \
		"int $0x80\n\t"                                   \
		"ud2\n\t"                                         \
		".popsection")

UOP(u_fnstcw, "fnstcw (%edx)");
UOP(u_fistpl, "fildl u_val\n\tfistpl (%edx)");
UOP(u_fstpl, "fld1\n\tfstpl (%edx)");
UOP(u_fld, "fldl (%edx)\n\tfstp %st(0)");
UOP(u_movups_st, "movups u_src, %xmm1\n\tmovups %xmm1, (%edx)");
UOP(u_movups_ld, "movups (%edx), %xmm1\n\tmovups %xmm1, u_res");
UOP(u_movd_st, "movd u_val, %xmm2\n\tmovd %xmm2, (%edx)");
UOP(u_fxsave, "fxsave (%edx)");
UOP(u_read32, "movl (%edx), %eax\n\tmovl %eax, u_res");
/* movups rewrites `mov $0, %eax` into `mov $0x44332211, %eax` + nops. */
UOP(u_smc_sse, "movups 3f, %xmm3\n\t"
	       "movups %xmm3, 2f\n"
	       "2:\tmovl $0, %eax\n\t"
	       ".fill 11, 1, 0x90\n\t"
	       "movl %eax, u_res\n\t"
	       "jmp 4f\n"
	       "3:\t.byte 0xb8, 0x11, 0x22, 0x33, 0x44\n\t"
	       ".fill 11, 1, 0x90\n"
	       "4:");

struct rec {
	int faulted;
	uint32_t vector, err, cr2;
};
static struct rec rec;

static void user_fault(struct trap_frame *f)
{
	if (!(f->cs & 3))
		panic("kernel fault %u (error 0x%x) at %08x, cr2 %08x",
		      f->vector, f->err, f->eip, read_cr2());
	rec.faulted = 1;
	rec.vector = f->vector;
	rec.err = f->err;
	rec.cr2 = f->vector == 14 ? read_cr2() : 0;
	return_to_kernel(2);
}

static void sys_handler(struct trap_frame *f)
{
	(void)f;
	return_to_kernel(1);
}

static void urun(void (*op)(void), uint32_t addr, uint32_t val)
{
	memset(&rec, 0, sizeof(rec));
	u_addr = addr;
	u_val = val;
	enter_user((uint32_t)op, USTACK_TOP, 0x202);
	cli();
}

static uint32_t *pd, *upt;

static void ok_no_fault(const char *what)
{
	CHECK(!rec.faulted, what);
	if (rec.faulted)
		printf("#   fault %u (error 0x%x), cr2 %08x\n", rec.vector,
		       rec.err, rec.cr2);
}

static void expect_pf(const char *what, uint32_t err, uint32_t cr2)
{
	int ok = rec.faulted && rec.vector == 14 && rec.err == err &&
		 rec.cr2 == cr2;

	CHECK(ok, what);
	if (!ok)
		printf("#   got %s %u (error 0x%x), cr2 %08x\n",
		       rec.faulted ? "fault" : "no fault", rec.vector, rec.err,
		       rec.cr2);
}

static void test_page0(void)
{
	volatile uint8_t *p0 = (volatile uint8_t *)F_PAGE0;

	section("x87/SSE stores to a user page at linear 0");
	urun(u_fnstcw, 0x10, 0);
	ok_no_fault("fnstcw to 0x10");
	CHECK_EQ(*(volatile uint16_t *)(p0 + 0x10), 0x037f,
		 "  ... the control word is there");
	urun(u_fistpl, 0x20, 0x12345678u);
	ok_no_fault("fistpl to 0x20");
	CHECK_EQ(*(volatile uint32_t *)(p0 + 0x20), 0x12345678u,
		 "  ... the integer is there");
	urun(u_fstpl, 0x28, 0);
	ok_no_fault("fstpl to 0x28");
	CHECK(*(volatile uint32_t *)(p0 + 0x28) == 0 &&
		      *(volatile uint32_t *)(p0 + 0x2c) == 0x3ff00000u,
	      "  ... 1.0 is there");
	urun(u_movups_st, 0x0, 0);
	ok_no_fault("movups to 0");
	CHECK(*(volatile uint32_t *)p0 == 0x44332211u &&
		      *(volatile uint32_t *)(p0 + 12) == 0x01ffeeddu,
	      "  ... the 16 bytes are there");
	urun(u_movd_st, 0x40, 0xcafef00du);
	ok_no_fault("movd to 0x40");
	CHECK_EQ(*(volatile uint32_t *)(p0 + 0x40), 0xcafef00du,
		 "  ... the dword is there");
	urun(u_fxsave, 0x200, 0);
	ok_no_fault("fxsave to 0x200");
	CHECK_EQ(*(volatile uint16_t *)(p0 + 0x200), 0x037f,
		 "  ... its image has the control word");
	urun(u_movups_ld, 0x0, 0);
	ok_no_fault("movups from 0");
	CHECK_EQ(u_res[0], 0x44332211u, "  ... reads what was stored");
}

static void test_tables(void)
{
	uint32_t slot = VA_PT + 4 * 5; /* the PTE of VA_WIN + 0x5000 */

	section("x87/SSE stores into a page table mapped user-writable");
	((volatile uint32_t *)F_TARGET)[3] = 0x7a46e7u;
	urun(u_fistpl, slot, F_TARGET | PTE_P | PTE_W | PTE_U);
	ok_no_fault("fistpl of a PTE into the table");
	CHECK_EQ(upt[5], F_TARGET | PTE_P | PTE_W | PTE_U,
		 "  ... the kernel sees the PTE");
	urun(u_read32, VA_WIN + 0x5000 + 12, 0);
	CHECK(!rec.faulted && u_res[0] == 0x7a46e7u,
	      "  ... and ring 3 reads the page it maps");
	urun(u_movd_st, slot + 4, F_TARGET | PTE_P | PTE_U);
	ok_no_fault("movd of a PTE into the table");
	urun(u_read32, VA_WIN + 0x6000 + 12, 0);
	CHECK(!rec.faulted && u_res[0] == 0x7a46e7u,
	      "  ... and ring 3 reads the page it maps");
	urun(u_fnstcw, slot + 8, 0);
	ok_no_fault("fnstcw into the table");
	CHECK_EQ(upt[7] & 0xffff, 0x037f, "  ... the kernel sees it");
	upt[5] = upt[6] = upt[7] = 0;
	reload_cr3();
}

static void test_devices(void)
{
	volatile uint32_t *vga = (volatile uint32_t *)0xb8f00;
	uint32_t before;

	section("SSE stores to device memory and beyond RAM");
	urun(u_movups_st, VA_VGA + 0xf00, 0);
	ok_no_fault("movups to VGA text memory");
	CHECK(vga[0] == 0x44332211u && vga[3] == 0x01ffeeddu,
	      "  ... the device keeps the 16 bytes");
	urun(u_read32, VA_OPEN + 0x100, 0);
	before = u_res[0];
	urun(u_movups_st, VA_OPEN + 0x100, 0);
	ok_no_fault("movups beyond RAM");
	urun(u_read32, VA_OPEN + 0x100, 0);
	CHECK(u_res[0] == before && (before == 0 || before == 0xffffffffu),
	      "  ... open bus: the write is lost");
	urun(u_movups_ld, VA_OPEN + 0x200, 0);
	ok_no_fault("movups load beyond RAM");
	CHECK(u_res[0] == before && u_res[3] == before, "  ... reads open bus");
}

static void test_supervisor(void)
{
	uint32_t sup = (uint32_t)&rec;

	section("x87/SSE accesses to supervisor pages from ring 3");
	urun(u_fnstcw, sup, 0);
	expect_pf("fnstcw: #PF err 7", PF_P | PF_W | PF_U, sup);
	urun(u_movups_st, sup & ~15u, 0);
	expect_pf("movups store: #PF err 7", PF_P | PF_W | PF_U, sup & ~15u);
	urun(u_movups_ld, sup & ~15u, 0);
	expect_pf("movups load: #PF err 5", PF_P | PF_U, sup & ~15u);
	urun(u_fld, sup & ~7u, 0);
	expect_pf("fldl: #PF err 5", PF_P | PF_U, sup & ~7u);
	/* CR2: a byte of the access on the page that refused it (hardware
	 * and QEMU give its first byte; which one is not architectural). */
	urun(u_fxsave, VA_EDGE + 0xf00, 0);
	CHECK(rec.faulted && rec.vector == 14 &&
		      rec.err == (PF_P | PF_W | PF_U) &&
		      rec.cr2 >= VA_EDGE + 0x1000 && rec.cr2 < VA_EDGE + 0x1100,
	      "fxsave across user|supervisor: #PF on the second page");
	urun(u_fstpl, VA_EDGE + 0xffc, 0);
	expect_pf("fstpl across user|supervisor: #PF on the second page",
		  PF_P | PF_W | PF_U, VA_EDGE + 0x1000);
	CHECK_EQ(*(volatile uint32_t *)F_EDGE_S, 0x5a5a5a5au,
		 "the supervisor page was not written");
}

static void test_smc(void)
{
	section("self-modifying code through an SSE store");
	urun(u_smc_sse, 0, 0);
	ok_no_fault("movups over the next instruction");
	CHECK_EQ(u_res[0], 0x44332211u, "  ... the new instruction runs");
}

/* Ring 0: a movups writes a PDE (the directory is traced), fxsave writes
 * the page whose code runs next. */
uint32_t k_code_page(void);
__asm__(".text\n"
	".p2align 12\n"
	"k_code_page:\n\t"
	"movl $0x600d, %eax\n\t"
	"ret\n\t"
	".p2align 4\n"
	"k_fx_area:\n\t"
	".fill 512, 1, 0xcc\n\t"
	".p2align 12\n");
extern uint8_t k_fx_area[];

static void test_ring0(void)
{
	uint32_t pde[4] __attribute__((aligned(16)));
	uint32_t v, idx = 0x64000000u >> 22;

	section("ring 0");
	/* 4 MiB at 0x64000000: physical 8..12 MiB. */
	pde[0] = 0x800000u | PTE_P | PTE_W | PTE_PS;
	pde[1] = pd[idx + 1];
	pde[2] = pd[idx + 2];
	pde[3] = pd[idx + 3];
	__asm__ volatile("movups %1, %%xmm0\n\t"
			 "movups %%xmm0, %0"
			 : "=m"(*(uint32_t(*)[4]) & pd[idx])
			 : "m"(*(uint32_t(*)[4])pde)
			 : "memory");
	v = *(volatile uint32_t *)(0x64000000u + (F_TARGET - 0x800000u) + 12);
	CHECK_EQ(v, 0x7a46e7u, "movups of a PDE: the 4 MiB page it maps");
	pd[idx] = 0;
	reload_cr3();

	CHECK_EQ(k_code_page(), 0x600d,
		 "code on the page fxsave will write runs");
	__asm__ volatile("fxsave %0" : "=m"(*(uint8_t(*)[512])k_fx_area));
	CHECK_EQ(k_code_page(), 0x600d,
		 "fxsave into the page of running code: it still runs");
	CHECK_EQ(*(uint16_t *)k_fx_area, 0x037f,
		 "  ... and the image is there");
}

static void setup(void)
{
	pd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	memset((void *)F_PAGE0, 0, PAGE_SIZE);
	memset((void *)F_EDGE_S, 0x5a, PAGE_SIZE);
	map_page(pd, 0, F_PAGE0, PTE_P | PTE_W | PTE_U);
	upt = page_alloc();
	pd[VA_WIN >> 22] = (uint32_t)upt | PTE_P | PTE_W | PTE_U;
	map_page(pd, VA_PT, (uint32_t)upt, PTE_P | PTE_W | PTE_U);
	map_page(pd, VA_VGA, 0xb8000, PTE_P | PTE_W | PTE_U);
	map_page(pd, VA_OPEN, RAM_END + 0x10000, PTE_P | PTE_W | PTE_U);
	map_page(pd, VA_EDGE, F_EDGE, PTE_P | PTE_W | PTE_U);
	map_page(pd, VA_EDGE + PAGE_SIZE, F_EDGE_S, PTE_P | PTE_W);
	paging_enable(pd);
	write_cr0((read_cr0() & ~(CR0_EM | CR0_TS)) | CR0_MP | CR0_NE | CR0_WP);
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit");
}

void guest_main(uint32_t magic, struct mb_info *info)
{
	(void)magic;
	(void)info;
	setup();
	for (int v = 0; v < 32; v++)
		trap_set_handler(v, user_fault);
	trap_set_handler(0x80, sys_handler);
	test_page0();
	test_tables();
	test_devices();
	test_supervisor();
	test_smc();
	test_ring0();
}
