/*
 * hostile_mem - ring 3 against the guest's own paging (issue 9).
 *
 *   1. reads, writes, locked and string accesses, pushes, pops and
 *      instruction fetches of supervisor pages at every kind of address:
 *      page 0, low kernel memory, a high 4 KiB page, a 4 MiB page, a
 *      supervisor PDE over a user PTE and the reverse, the last page below
 *      4 GiB, not-present supervisor space, a read-only user page, and
 *      accesses and instructions that straddle a user/supervisor page
 *      boundary: #PF with U = 1, the right W and P bits, CR2 and EIP,
 *      and nothing written;
 *   2. accesses that wrap from 0xfffffffe to 0: on a 4 GiB segment the SDM
 *      leaves it to the implementation whether they raise #GP(0) or wrap
 *      (QEMU wraps), so either is accepted, but never a successful access
 *      to a supervisor page and never a partial write;
 *   3. ring 3 given, by its own kernel, user-writable mappings of physical
 *      memory beyond RAM, the local APIC, the I/O APIC, VGA memory and its
 *      own page directory and a page table: what it reads and writes there
 *      is the device (the same as ring 0 sees through a supervisor
 *      mapping) or open bus (all zeros or all ones, writes lost; the value
 *      is the platform's), never anything else, and what it writes into
 *      the tables takes effect as the architecture says.
 *
 * User code runs with IF = 1, IOPL = 0 (so that --direct-exec runs it
 * natively). Every case is one access in ring 3; the kernel records the
 * fault, if any, and compares it with what the architecture requires.
 */
#include "guest.h"

enum { SYS_EXIT = 1, SYS_FLUSH };

/* Linear addresses. */
#define VA_HIGH 0xc0000000u	  /* supervisor 4 KiB page */
#define VA_HIGH_NP 0xc0001000u	  /* not present */
#define VA_LARGE 0x80000000u	  /* supervisor 4 MiB page */
#define VA_LARGE_USER 0x80400000u /* user 4 MiB page */
#define VA_SPDE 0x90000000u	  /* PDE supervisor, PTE user */
#define VA_SPTE 0x90400000u	  /* PDE user, PTE supervisor */
#define VA_TOP 0xfffff000u	  /* the last page */
#define VA_EDGE 0x70000000u	  /* user page, then a supervisor page */
#define VA_RO 0x70002000u	  /* read-only user page */
#define VA_DEV 0x50000000u	  /* device windows for ring 3 */
#define VA_KDEV 0xd0000000u	  /* the same frames for ring 0 */
#define VA_UPD 0x58000000u	  /* the page directory, user-writable */
#define VA_UPT 0x58001000u	  /* a page table, user-writable */
#define VA_WIN 0x60000000u	  /* the region that page table serves */
#define VA_WIN_LARGE 0x64000000u  /* a 4 MiB page ring 3 makes */
#define VA_RUN 0x48100000u	  /* a user page ... */
#define VA_RUN_LO 0x48000000u	  /* ... and one 1 MiB below it */

/* Physical frames (8..16 MiB is free for the guests). */
#define F_HIGH 0x800000u
#define F_TOP 0x801000u
#define F_PAGE0 0x802000u
#define F_EDGE 0x803000u
#define F_EDGE_S 0x804000u
#define F_RO 0x805000u
#define F_SPDE 0x806000u
#define F_SPTE 0x807000u
#define F_OTHER 0x808000u
#define F_LARGE 0xc00000u  /* 4 MiB aligned: 12..16 MiB */
#define F_RUN_LO 0x810000u /* the long string runs' two pages ... */
#define F_RUN 0x812000u
#define F_CANARY_LO 0x811000u /* ... and the frames around F_RUN */
#define F_CANARY_HI 0x813000u

#define RAM_END 0x4000000u /* -m 64M, as every runner gives */

/* ---- ring 3 ---- */
USER_DATA uint8_t ustack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))
USER_DATA volatile uint32_t u_addr, u_val, u_buf[4];

/* One access each; the result goes back in EBX through SYS_EXIT. */
#define UOP(name, body)                                           \
	void name(void);                                          \
	__asm__(".pushsection .user.text, \"ax\"\n" #name ":\n\t" \
		"movl u_addr, %edx\n\t"                           \
		"movl u_val, %ebx\n\t" body "\n\t"                \
		"movl $1, %eax\n\t"                               \
		"int $0x80\n\t"                                   \
		"ud2\n\t"                                         \
		".popsection")

UOP(u_read8, "movzbl (%edx), %ebx");
UOP(u_read16, "movzwl (%edx), %ebx");
UOP(u_read32, "movl (%edx), %ebx");
UOP(u_write8, "movb %bl, (%edx)");
UOP(u_write16, "movw %bx, (%edx)");
UOP(u_write32, "movl %ebx, (%edx)");
UOP(u_xchg, "xchgl %ebx, (%edx)");
UOP(u_push, "movl %esp, %esi\n\tmovl %edx, %esp\n\tpushl %ebx\n\t"
	    "movl %esi, %esp");
UOP(u_pop, "movl %esp, %esi\n\tmovl %edx, %esp\n\tpopl %ebx\n\t"
	   "movl %esi, %esp");
UOP(u_movs_from, "movl %edx, %esi\n\tmovl $u_buf, %edi\n\tmovl $8, %ecx\n\t"
		 "cld\n\trep movsb");
UOP(u_movs_to, "movl $u_buf, %esi\n\tmovl %edx, %edi\n\tmovl $8, %ecx\n\t"
	       "cld\n\trep movsb");
UOP(u_stos, "movl %edx, %edi\n\tmovl %ebx, %eax\n\tmovl $4, %ecx\n\t"
	    "cld\n\trep stosl");
UOP(u_call, "call *%edx");
UOP(u_stos_up, "movl %edx, %edi\n\tmovl %ebx, %ecx\n\tmovb $0x5a, %al\n\t"
	       "cld\n\trep stosb");
UOP(u_stos_down, "movl %edx, %edi\n\tmovl %ebx, %ecx\n\tmovb $0x5a, %al\n\t"
		 "std\n\trep stosb\n\tcld");
UOP(u_flush, "movl $2, %eax\n\tint $0x80");

/* ---- the kernel side ---- */
struct rec {
	int faulted;
	uint32_t vector, err, cr2, eip, ecx, edi, result;
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
	rec.eip = f->eip;
	rec.ecx = f->ecx;
	rec.edi = f->edi;
	return_to_kernel(2);
}

static void sys_handler(struct trap_frame *f)
{
	if (f->eax == SYS_FLUSH) {
		reload_cr3();
		return;
	}
	rec.result = f->ebx;
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

static uint32_t uread32(uint32_t addr)
{
	urun(u_read32, addr, 0);
	if (rec.faulted)
		printf("#   read of 0x%08x: vector %u err 0x%x\n", addr,
		       rec.vector, rec.err);
	return rec.result;
}

static void uwrite32(uint32_t addr, uint32_t v)
{
	urun(u_write32, addr, v);
	if (rec.faulted)
		printf("#   write of 0x%08x: vector %u err 0x%x\n", addr,
		       rec.vector, rec.err);
}

/*
 * The fault the architecture requires for one access. Bits in `loose` may
 * differ: a locked read-modify-write of a page it may not read reports W = 1
 * on hardware (the read is done with write intent) but W = 0 under QEMU's
 * TCG (a load, then a store); both are a user-mode #PF on that page.
 */
static void expect_pf_loose(const char *what, void (*op)(void), uint32_t addr,
			    uint32_t err, uint32_t cr2, uint32_t loose)
{
	char name[96];
	int ok;

	urun(op, addr, 0x0badc0de);
	if (loose)
		snprintf(name, sizeof(name), "%s: #PF err %u/%u cr2 %08x", what,
			 err & ~loose, err | loose, cr2);
	else
		snprintf(name, sizeof(name), "%s: #PF err %u cr2 %08x", what,
			 err, cr2);
	ok = rec.faulted && rec.vector == 14 &&
	     (rec.err & ~loose) == (err & ~loose) && rec.cr2 == cr2;
	CHECK(ok, name);
	if (!ok)
		printf("#   got %s vector %u err 0x%x cr2 0x%08x\n",
		       rec.faulted ? "a fault:" : "no fault", rec.vector,
		       rec.err, rec.cr2);
}

static void expect_pf(const char *what, void (*op)(void), uint32_t addr,
		      uint32_t err, uint32_t cr2)
{
	expect_pf_loose(what, op, addr, err, cr2, 0);
}

/* The same for reads, writes and the other access kinds of one page. */
static void expect_sup(const char *what, uint32_t addr, uint32_t perr)
{
	char name[96];
	uint32_t rd = perr, wr = perr | PF_W;

	snprintf(name, sizeof(name), "%s read8", what);
	expect_pf(name, u_read8, addr, rd, addr);
	snprintf(name, sizeof(name), "%s read32", what);
	expect_pf(name, u_read32, addr, rd, addr);
	snprintf(name, sizeof(name), "%s write16", what);
	expect_pf(name, u_write16, addr, wr, addr);
	snprintf(name, sizeof(name), "%s write32", what);
	expect_pf(name, u_write32, addr, wr, addr);
	snprintf(name, sizeof(name), "%s xchg", what);
	expect_pf_loose(name, u_xchg, addr, wr, addr, PF_W);
	snprintf(name, sizeof(name), "%s push", what);
	expect_pf(name, u_push, addr + 4, wr, addr);
	snprintf(name, sizeof(name), "%s pop", what);
	expect_pf(name, u_pop, addr, rd, addr);
	snprintf(name, sizeof(name), "%s rep movsb from", what);
	expect_pf(name, u_movs_from, addr, rd, addr);
	snprintf(name, sizeof(name), "%s rep stosl", what);
	expect_pf(name, u_stos, addr, wr, addr);
	snprintf(name, sizeof(name), "%s call", what);
	expect_pf(name, u_call, addr, rd, addr);
	CHECK_EQ(rec.eip, addr, "  ... the fetch fault's EIP is the target");
}

static uint32_t *pd;

static void set_pte(uint32_t va, uint32_t pte)
{
	map_page(pd, va, pte & ~0xfffu, pte & 0xfffu);
	invlpg(va);
}

static void kfill(uint32_t frame, uint32_t seed)
{
	uint32_t *p = (uint32_t *)frame;

	for (int i = 0; i < 1024; i++)
		p[i] = seed + i * 0x01010101u;
}

static void test_supervisor_pages(void)
{
	section("supervisor pages from ring 3");
	expect_sup("page 0", 0, PF_P | PF_U);
	expect_sup("page 0 + 0x7fc", 0x7fc, PF_P | PF_U);
	expect_sup("low kernel data (1 MiB)", 0x100000, PF_P | PF_U);
	expect_sup("high 4 KiB page", VA_HIGH + 0x10, PF_P | PF_U);
	expect_sup("not-present high page", VA_HIGH_NP + 0x20, PF_U);
	expect_sup("4 MiB supervisor page", VA_LARGE + 0x123450, PF_P | PF_U);
	expect_sup("supervisor PDE, user PTE", VA_SPDE + 0x40, PF_P | PF_U);
	expect_sup("user PDE, supervisor PTE", VA_SPTE + 0x40, PF_P | PF_U);
	expect_sup("last page below 4 GiB", VA_TOP + 0xff0, PF_P | PF_U);

	section("the edges of user pages");
	expect_pf("read-only user page: write32", u_write32, VA_RO + 8,
		  PF_P | PF_W | PF_U, VA_RO + 8);
	expect_pf("read-only user page: xchg", u_xchg, VA_RO + 8,
		  PF_P | PF_W | PF_U, VA_RO + 8);
	urun(u_read32, VA_RO + 8, 0);
	CHECK(!rec.faulted && rec.result == ((uint32_t *)F_RO)[2],
	      "read-only user page: reads");
	urun(u_read32, VA_LARGE_USER + 0x3fc, 0);
	CHECK(!rec.faulted && rec.result == F_LARGE + 0x3fc,
	      "user 4 MiB page: reads");
	urun(u_read32, VA_SPDE + 0x40 + 0x1000, 0); /* not mapped */
	CHECK(rec.faulted && rec.vector == 14 && rec.err == PF_U,
	      "next to the supervisor PDE: not present");

	/* Straddling a user page and the supervisor page after it. */
	*(volatile uint32_t *)(F_EDGE + 0xffc) = 0x11223344u;
	expect_pf("read32 across user|supervisor", u_read32, VA_EDGE + 0xffe,
		  PF_P | PF_U, VA_EDGE + 0x1000);
	expect_pf("write32 across user|supervisor", u_write32, VA_EDGE + 0xffe,
		  PF_P | PF_W | PF_U, VA_EDGE + 0x1000);
	CHECK_EQ(*(volatile uint32_t *)(F_EDGE + 0xffc), 0x11223344u,
		 "  ... no byte of the straddling write landed");
	expect_pf_loose("xchg across user|supervisor", u_xchg, VA_EDGE + 0xffd,
			PF_P | PF_W | PF_U, VA_EDGE + 0x1000, PF_W);
	CHECK_EQ(*(volatile uint32_t *)(F_EDGE + 0xffc), 0x11223344u,
		 "  ... no byte of the xchg landed");
	expect_pf("rep movsb into user|supervisor", u_movs_to, VA_EDGE + 0xffe,
		  PF_P | PF_W | PF_U, VA_EDGE + 0x1000);
	CHECK(rec.ecx == 6 && rec.edi == VA_EDGE + 0x1000,
	      "  ... two iterations done: ECX 6, EDI at the boundary");
	CHECK_EQ(*(volatile uint32_t *)(F_EDGE + 0xffc),
		 (0x11223344u & 0xffff) | (u_buf[0] << 16),
		 "  ... and exactly their two bytes written");
	expect_pf("push across user|supervisor", u_push, VA_EDGE + 0x1002,
		  PF_P | PF_W | PF_U, VA_EDGE + 0x1000);
	CHECK_EQ(*(volatile uint32_t *)(F_EDGE + 0xffc),
		 (0x11223344u & 0xffff) | (u_buf[0] << 16),
		 "  ... no byte of the push landed");

	/* An instruction whose last bytes lie on the supervisor page:
	 * mov $imm32, %eax at 0xffd (5 bytes), then the exit call. */
	{
		volatile uint8_t *c = (volatile uint8_t *)(F_EDGE + 0xffd);
		volatile uint8_t *s = (volatile uint8_t *)F_EDGE_S;

		c[0] = 0xb8;
		c[1] = 0x11;
		c[2] = 0x22;
		s[0] = 0x33;
		s[1] = 0x44;
		s[2] = 0xcd; /* int $0x80 (never reached) */
		s[3] = 0x80;
		expect_pf("an instruction across user|supervisor", u_call,
			  VA_EDGE + 0xffd, PF_P | PF_U, VA_EDGE + 0x1000);
		CHECK_EQ(rec.eip, VA_EDGE + 0xffd,
			 "  ... EIP is the instruction's first byte");
	}
}

/* Wrapping accesses: either #GP(0) (a 4 GiB limit checked) or what a
 * 32-bit linear wrap gives. */
static int wrap_ok(uint32_t err, uint32_t cr2)
{
	if (!rec.faulted)
		return 0;
	if (rec.vector == 13 && rec.err == 0)
		return 1;
	return rec.vector == 14 && rec.err == err && rec.cr2 == cr2;
}

static uint32_t page0_sum_before;

/* A checksum of physical page 0 (mapped at linear 0, supervisor). */
static uint32_t page0_sum(void)
{
	uint32_t sum = 0;

	for (uint32_t a = 0; a < PAGE_SIZE; a += 4)
		sum = sum * 31 + *(volatile uint32_t *)phys8(a);
	return sum;
}

static void test_wrap(void)
{
	volatile uint32_t *top = (volatile uint32_t *)(F_TOP + 0xffc);
	volatile uint32_t *zero = (volatile uint32_t *)F_PAGE0;
	uint32_t v;

	section("accesses that wrap at 4 GiB");
	*top = 0xa1a2a3a4u;
	*zero = 0xb1b2b3b4u;
	page0_sum_before = page0_sum();

	/* The last page user, page 0 supervisor. */
	set_pte(VA_TOP, F_TOP | PTE_P | PTE_W | PTE_U);
	set_pte(0, 0 | PTE_P | PTE_W);
	urun(u_read32, 0xfffffffe, 0);
	CHECK(wrap_ok(PF_P | PF_U, 0),
	      "user|supervisor read32 at 0xfffffffe: #GP(0) or #PF cr2 0");
	urun(u_write32, 0xfffffffe, 0);
	CHECK(wrap_ok(PF_P | PF_W | PF_U, 0),
	      "user|supervisor write32 at 0xfffffffe: #GP(0) or #PF cr2 0");
	CHECK_EQ(*top, 0xa1a2a3a4u, "  ... no byte written");
	urun(u_read16, 0xffffffff, 0);
	CHECK(wrap_ok(PF_P | PF_U, 0),
	      "user|supervisor read16 at 0xffffffff: #GP(0) or #PF cr2 0");

	/* The last page supervisor, page 0 user. */
	set_pte(VA_TOP, F_TOP | PTE_P | PTE_W);
	set_pte(0, F_PAGE0 | PTE_P | PTE_W | PTE_U);
	urun(u_read32, 0xfffffffe, 0);
	CHECK(wrap_ok(PF_P | PF_U, 0xfffffffe),
	      "supervisor|user read32 at 0xfffffffe: #GP(0) or #PF");
	urun(u_write32, 0xfffffffe, 0x0badf00d);
	CHECK(wrap_ok(PF_P | PF_W | PF_U, 0xfffffffe),
	      "supervisor|user write32 at 0xfffffffe: #GP(0) or #PF");
	CHECK(*zero == 0xb1b2b3b4u && *top == 0xa1a2a3a4u,
	      "  ... no byte written");

	/* Both user: the access wraps or raises #GP(0). */
	set_pte(VA_TOP, F_TOP | PTE_P | PTE_W | PTE_U);
	urun(u_read32, 0xfffffffe, 0);
	CHECK((!rec.faulted && rec.result == 0xb3b4a1a2u) ||
		      (rec.faulted && rec.vector == 13 && rec.err == 0),
	      "user|user read32 at 0xfffffffe: wraps or #GP(0)");
	urun(u_write32, 0xfffffffe, 0x01020304u);
	v = *zero;
	CHECK((!rec.faulted && *top == 0x0304a3a4u && v == 0xb1b20102u) ||
		      (rec.faulted && rec.vector == 13 && rec.err == 0 &&
		       *top == 0xa1a2a3a4u && v == 0xb1b2b3b4u),
	      "user|user write32 at 0xfffffffe: wraps or #GP(0)");
	*top = 0xa1a2a3a4u;
	*zero = 0xb1b2b3b4u;

	/* An instruction at 0xfffffffd (mov $imm32, %eax: 5 bytes) that
	 * runs into page 0, supervisor, then user (the exit call at 2). */
	((volatile uint8_t *)F_TOP)[0xffd] = 0xb8;
	((volatile uint8_t *)F_TOP)[0xffe] = 0x44;
	((volatile uint8_t *)F_TOP)[0xfff] = 0x33;
	((volatile uint8_t *)F_PAGE0)[0] = 0x22;
	((volatile uint8_t *)F_PAGE0)[1] = 0x11;
	((volatile uint8_t *)F_PAGE0)[2] = 0x89; /* mov %eax, %ebx */
	((volatile uint8_t *)F_PAGE0)[3] = 0xc3;
	((volatile uint8_t *)F_PAGE0)[4] = 0xb8; /* mov $1, %eax */
	((volatile uint8_t *)F_PAGE0)[5] = 1;
	((volatile uint8_t *)F_PAGE0)[6] = 0;
	((volatile uint8_t *)F_PAGE0)[7] = 0;
	((volatile uint8_t *)F_PAGE0)[8] = 0;
	((volatile uint8_t *)F_PAGE0)[9] = 0xcd; /* int $0x80 */
	((volatile uint8_t *)F_PAGE0)[10] = 0x80;
	set_pte(0, 0 | PTE_P | PTE_W);
	urun(u_call, 0xfffffffd, 0);
	CHECK(wrap_ok(PF_P | PF_U, 0) && rec.eip == 0xfffffffd,
	      "an instruction wrapping into supervisor page 0: #GP(0) or #PF "
	      "cr2 0, at its first byte");
	set_pte(0, F_PAGE0 | PTE_P | PTE_W | PTE_U);
	urun(u_call, 0xfffffffd, 0);
	CHECK((!rec.faulted && rec.result == 0x11223344u) ||
		      (rec.faulted && rec.vector == 13 && rec.err == 0 &&
		       rec.eip == 0xfffffffd),
	      "an instruction wrapping into user page 0: runs on at EIP 2, "
	      "or #GP(0)");
	/* Page 0 is user now: ring 3 reads and writes it (below the host's
	 * mmap_min_addr, so bt386 emulates these). */
	urun(u_read32, 0, 0);
	CHECK(!rec.faulted && rec.result == ((uint32_t *)F_PAGE0)[0],
	      "user page 0: read32 at 0");
	urun(u_write32, 0x10, 0xfeedbeefu);
	CHECK(!rec.faulted && ((uint32_t *)F_PAGE0)[4] == 0xfeedbeefu,
	      "user page 0: write32 at 0x10");
	urun(u_stos, 0x20, 0x5a5a5a5au);
	CHECK(!rec.faulted && ((uint32_t *)F_PAGE0)[8] == 0x5a5a5a5au &&
		      ((uint32_t *)F_PAGE0)[11] == 0x5a5a5a5au,
	      "user page 0: rep stosl");
	set_pte(0, 0 | PTE_P | PTE_W);
	set_pte(VA_TOP, F_TOP | PTE_P | PTE_W);
	CHECK_EQ(page0_sum(), page0_sum_before,
		 "physical page 0 untouched by all this");
}

/* ---- devices, memory beyond RAM and page tables given to ring 3 ---- */
static uint32_t kread32(uint32_t a)
{
	return *(volatile uint32_t *)a;
}

static void kwrite32(uint32_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}

static void map_dev(int slot, uint32_t pa)
{
	map_page(pd, VA_DEV + slot * PAGE_SIZE, pa, PTE_P | PTE_W | PTE_U);
	map_page(pd, VA_KDEV + slot * PAGE_SIZE, pa, PTE_P | PTE_W);
}

static void test_beyond_ram(int slot, uint32_t pa)
{
	uint32_t u = VA_DEV + slot * PAGE_SIZE, k = VA_KDEV + slot * PAGE_SIZE;
	uint32_t a, b, c, ka;
	char name[96];

	a = uread32(u);
	b = uread32(u + 0xffc);
	ka = kread32(k);
	uwrite32(u + 0x800, 0x12345678u);
	c = uread32(u + 0x800);
	snprintf(name, sizeof(name),
		 "beyond RAM %08x: open bus from ring 3 (as ring 0), writes "
		 "lost",
		 pa);
	CHECK((a == 0 || a == 0xffffffffu) && b == a && ka == a && c == a,
	      name);
	if (!((a == 0 || a == 0xffffffffu) && b == a && ka == a && c == a))
		printf("#   read %08x %08x, ring 0 %08x, after write %08x\n", a,
		       b, ka, c);
}

static void test_devices(void)
{
	uint32_t u, k, v, kv;

	section("devices and memory beyond RAM mapped for ring 3");
	map_dev(0, RAM_END - PAGE_SIZE);
	map_dev(1, RAM_END);
	map_dev(2, 0x10000000u);
	map_dev(3, 0xe0000000u);
	map_dev(4, 0xfee00000u);
	map_dev(5, 0xfec00000u);
	map_dev(6, 0xb8000u);
	map_dev(7, 0xa0000u);
	reload_cr3();

	test_beyond_ram(1, RAM_END);
	test_beyond_ram(2, 0x10000000u);
	test_beyond_ram(3, 0xe0000000u);

	/* The last page of RAM, then the first page beyond it. */
	kwrite32(VA_KDEV + 0xffc, 0xc3c4c5c6u);
	v = uread32(VA_DEV + 0xffe);
	CHECK((v & 0xffff) == 0xc3c4 && ((v >> 16) == 0 || (v >> 16) == 0xffff),
	      "read32 across the end of RAM: RAM, then open bus");
	uwrite32(VA_DEV + 0xffc, 0x0c0d0e0fu);
	CHECK_EQ(kread32(VA_KDEV + 0xffc), 0x0c0d0e0fu,
		 "the last page of RAM is RAM for ring 3");

	/* Local APIC: version, then TPR written by ring 3. */
	u = VA_DEV + 4 * PAGE_SIZE;
	k = VA_KDEV + 4 * PAGE_SIZE;
	v = uread32(u + 0x30);
	kv = kread32(k + 0x30);
	CHECK(v == kv && (v & 0xff) != 0 && v != 0xffffffffu,
	      "local APIC version register: ring 3 reads the device");
	uwrite32(u + 0x80, 0x20);
	CHECK_EQ(kread32(k + 0x80) & 0xff, 0x20,
		 "local APIC TPR written by ring 3 reaches the device");
	kwrite32(k + 0x80, 0x30);
	CHECK_EQ(uread32(u + 0x80) & 0xff, 0x30,
		 "local APIC TPR written by ring 0, read by ring 3");
	kwrite32(k + 0x80, 0);

	/* I/O APIC: index and data registers. */
	u = VA_DEV + 5 * PAGE_SIZE;
	k = VA_KDEV + 5 * PAGE_SIZE;
	uwrite32(u, 1);
	v = uread32(u + 0x10);
	kwrite32(k, 1);
	kv = kread32(k + 0x10);
	CHECK(v == kv && (v & 0xff) != 0 && v != 0xffffffffu,
	      "I/O APIC version through IOREGSEL/IOWIN from ring 3");
	uwrite32(u, 0x10); /* redirection entry 0, low half */
	kv = kread32(k);
	CHECK_EQ(kv & 0xff, 0x10, "IOREGSEL written by ring 3 is the device's");

	/* VGA text memory and the graphics window. */
	u = VA_DEV + 6 * PAGE_SIZE;
	k = VA_KDEV + 6 * PAGE_SIZE;
	uwrite32(u + 0xf00, 0x07420741u);
	CHECK_EQ(kread32(k + 0xf00), 0x07420741u,
		 "VGA text memory: ring 3 writes what ring 0 reads");
	u = VA_DEV + 7 * PAGE_SIZE;
	k = VA_KDEV + 7 * PAGE_SIZE;
	uwrite32(u + 0x100, 0x99887766u);
	v = uread32(u + 0x100);
	CHECK(v == kread32(k + 0x100),
	      "VGA 0xa0000: ring 3 sees what ring 0 sees");
}

static uint32_t secret_frame[1024] __attribute__((aligned(4096)));

static void test_tables(void)
{
	uint32_t *upt = page_alloc();
	uint32_t pde_i = VA_WIN >> 22, v;

	section("page tables mapped user-writable");
	for (int i = 0; i < 1024; i++)
		secret_frame[i] = 0x5ec7e700u + i;
	pd[pde_i] = (uint32_t)upt | PTE_P | PTE_W | PTE_U;
	map_page(pd, VA_UPD, (uint32_t)pd, PTE_P | PTE_W | PTE_U);
	map_page(pd, VA_UPT, (uint32_t)upt, PTE_P | PTE_W | PTE_U);
	kfill(F_OTHER, 0x0e0e0e0eu);
	reload_cr3();

	CHECK_EQ(uread32(VA_UPD + 4 * pde_i),
		 (uint32_t)upt | PTE_P | PTE_W | PTE_U,
		 "ring 3 reads its page directory");
	urun(u_read32, VA_WIN, 0);
	CHECK(rec.faulted && rec.vector == 14 && rec.err == PF_U &&
		      rec.cr2 == VA_WIN,
	      "the window is not present yet");
	uwrite32(VA_UPT, (uint32_t)secret_frame | PTE_P | PTE_W | PTE_U);
	CHECK_EQ(uread32(VA_WIN + 8), 0x5ec7e702u,
		 "a PTE ring 3 wrote maps the frame it names");
	uwrite32(VA_WIN + 12, 0x600d600du);
	CHECK_EQ(secret_frame[3], 0x600d600du,
		 "  ... and writes through it reach the frame");
	CHECK_EQ(upt[0] & ~(PTE_A | PTE_D),
		 (uint32_t)secret_frame | PTE_P | PTE_W | PTE_U,
		 "the kernel sees the PTE ring 3 wrote");
	CHECK(upt[0] & PTE_D, "  ... with D set by the write through it");

	uwrite32(VA_UPT, F_OTHER | PTE_P | PTE_U);
	urun(u_flush, 0, 0);
	CHECK_EQ(uread32(VA_WIN + 8), 0x0e0e0e0eu + 2 * 0x01010101u,
		 "a PTE ring 3 changed, after a CR3 reload: the new frame");
	urun(u_write32, VA_WIN + 8, 1);
	CHECK(rec.faulted && rec.vector == 14 &&
		      rec.err == (PF_P | PF_W | PF_U),
	      "  ... read-only as that PTE says");
	uwrite32(VA_UPT, F_OTHER | PTE_P);
	urun(u_flush, 0, 0);
	urun(u_read32, VA_WIN + 8, 0);
	CHECK(rec.faulted && rec.vector == 14 && rec.err == (PF_P | PF_U),
	      "ring 3 made the page supervisor: #PF after the flush");

	/* A 4 MiB user page over physical 0, written by ring 3 into its
	 * page directory: the whole kernel image becomes user memory. */
	uwrite32(VA_UPD + 4 * (VA_WIN_LARGE >> 22),
		 0 | PTE_P | PTE_W | PTE_U | PTE_PS);
	v = uread32(VA_WIN_LARGE + (uint32_t)&secret_frame[9]);
	CHECK_EQ(v, 0x5ec7e709u, "a 4 MiB PDE ring 3 wrote maps what it names");
	uwrite32(VA_UPD + 4 * (VA_WIN_LARGE >> 22), 0);
	urun(u_flush, 0, 0);
	urun(u_read32, VA_WIN_LARGE + (uint32_t)&secret_frame[9], 0);
	CHECK(rec.faulted && rec.vector == 14 && rec.err == PF_U,
	      "  ... and is gone once ring 3 clears it and flushes");

	/* A PDE whose page table lies beyond RAM (open bus): whatever the
	 * walk reads there, it must not give ring 3 RAM it was not given. */
	uwrite32(VA_UPD + 4 * (VA_WIN_LARGE >> 22),
		 RAM_END | PTE_P | PTE_W | PTE_U);
	urun(u_flush, 0, 0);
	urun(u_read32, VA_WIN_LARGE + 0x1000, 0);
	CHECK((rec.faulted && rec.vector == 14) ||
		      (!rec.faulted &&
		       (rec.result == 0 || rec.result == 0xffffffffu)),
	      "a page table beyond RAM: #PF or open bus");
	uwrite32(VA_UPD + 4 * (VA_WIN_LARGE >> 22), 0);
	pd[pde_i] = 0;
	reload_cr3();
}

/*
 * String runs longer than a page, whose two ends lie in pages 1 MiB apart
 * (the user TLB has 256 entries: the same entry) with nothing mapped in
 * between: both must stop with #PF at the first page not present, having
 * written only their own page, upwards and downwards. A run is checked as
 * one access; a check of its last byte against the entry its first byte
 * selects would let it write 1 MiB of other frames.
 */
static uint32_t frame_sum(uint32_t frame)
{
	uint32_t sum = 0;

	for (int i = 0; i < 1024; i++)
		sum = sum * 31 + ((volatile uint32_t *)frame)[i];
	return sum;
}

static void test_long_runs(void)
{
	uint32_t lo = frame_sum(F_CANARY_LO), hi = frame_sum(F_CANARY_HI);
	uint32_t n = 0;

	section("string runs longer than a page");
	/* The high page in the user TLB (writable and dirty), then a run
	 * upwards from the low page to it. */
	uwrite32(VA_RUN, 0);
	urun(u_stos_up, VA_RUN_LO + 0x800, 0x100000);
	CHECK(rec.faulted && rec.vector == 14 && rec.err == (PF_U | PF_W) &&
		      rec.cr2 == VA_RUN_LO + 0x1000,
	      "rep stosb up across 1 MiB: #PF at the page after the first");
	CHECK_EQ(rec.ecx, 0x100000u - 0x800, "  ... with ECX at that byte");
	for (uint32_t i = 0x800; i < 0x1000; i++)
		n += ((volatile uint8_t *)F_RUN_LO)[i] == 0x5a;
	CHECK_EQ(n, 0x800u, "  ... having filled the rest of the first page");
	/* The same downwards from the top of the high page. */
	uwrite32(VA_RUN, 0);
	urun(u_stos_down, VA_RUN + 0xfff, 0x100800);
	CHECK(rec.faulted && rec.vector == 14 && rec.err == (PF_U | PF_W) &&
		      rec.cr2 == VA_RUN - 1,
	      "rep stosb down across 1 MiB: #PF below the first page");
	CHECK_EQ(rec.edi, VA_RUN - 1, "  ... with EDI at that byte");
	n = 0;
	for (uint32_t i = 0; i < 0x1000; i++)
		n += ((volatile uint8_t *)F_RUN)[i] == 0x5a;
	CHECK_EQ(n, 0x1000u, "  ... having filled the first page");
	CHECK(frame_sum(F_CANARY_LO) == lo && frame_sum(F_CANARY_HI) == hi,
	      "the frames around the runs' pages were never written");
}

static void setup_address_space(void)
{
	uint32_t *spt;

	pd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	kfill(F_HIGH, 0x48484848u);
	kfill(F_TOP, 0x54545454u);
	kfill(F_RO, 0x52525252u);
	kfill(F_SPDE, 0x53535353u);
	kfill(F_SPTE, 0x55555555u);
	for (uint32_t i = 0; i < 1024; i++)
		((uint32_t *)F_LARGE)[i] = F_LARGE + 4 * i;
	map_page(pd, VA_HIGH, F_HIGH, PTE_P | PTE_W);
	map_page(pd, VA_TOP, F_TOP, PTE_P | PTE_W);
	map_large(pd, VA_LARGE, 0x800000u, PTE_P | PTE_W);
	map_large(pd, VA_LARGE_USER, F_LARGE, PTE_P | PTE_W | PTE_U);
	map_page(pd, VA_EDGE, F_EDGE, PTE_P | PTE_W | PTE_U);
	map_page(pd, VA_EDGE + PAGE_SIZE, F_EDGE_S, PTE_P | PTE_W);
	map_page(pd, VA_RO, F_RO, PTE_P | PTE_U);
	kfill(F_CANARY_LO, 0x43434343u);
	kfill(F_CANARY_HI, 0x63636363u);
	map_page(pd, VA_RUN, F_RUN, PTE_P | PTE_W | PTE_U);
	map_page(pd, VA_RUN_LO, F_RUN_LO, PTE_P | PTE_W | PTE_U);
	/* A supervisor PDE over a table with a user PTE. */
	spt = page_alloc();
	pd[VA_SPDE >> 22] = (uint32_t)spt | PTE_P | PTE_W;
	spt[(VA_SPDE >> 12) & 0x3ff] = F_SPDE | PTE_P | PTE_W | PTE_U;
	/* A user PDE over a supervisor PTE. */
	map_page(pd, VA_SPTE, F_SPTE, PTE_P | PTE_W);
	paging_enable(pd);
	write_cr0(read_cr0() | CR0_WP);
}

void guest_main(uint32_t magic, struct mb_info *info)
{
	(void)magic;
	(void)info;
	setup_address_space();
	for (int v = 0; v < 32; v++)
		trap_set_handler(v, user_fault);
	trap_set_handler(0x80, sys_handler);
	u_buf[0] = 0x77665544u;
	u_buf[1] = 0xbbaa9988u;

	test_supervisor_pages();
	test_wrap();
	test_devices();
	test_tables();
	test_long_runs();
	CHECK_EQ(*(volatile uint32_t *)F_HIGH, 0x48484848u,
		 "the supervisor pages were never written");
}
