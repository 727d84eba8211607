/*
 * usertlb - guest memory as ring 3 code sees it through paging: what the
 * translator's user TLB (src/bt/translate_utlb.c) must give exactly as
 * hardware does.
 *
 *  - Accessed and Dirty: a read sets A and not D, whatever the form (mov,
 *    cmp, test, bt, push from memory); a read-modify-write sets D.
 *  - Accesses across two pages read both frames; a write across into a
 *    read-only page faults with nothing written.
 *  - Faults of every access form (load, store, push, call, ret, pusha)
 *    at page boundaries: vector, error code, CR2 and the user ESP left
 *    as it was before the instruction.
 *  - One instruction whose two accesses fall on pages that share a slot
 *    of a 256-entry direct-mapped TLB (push from memory, call through
 *    memory, rep movs), many times over: it must finish.
 *  - A PTE change made visible by invlpg and by a CR3 reload.
 *  - User code that edits its own (user-writable) page table: a new
 *    entry is seen without invlpg, a changed one after invlpg, by user
 *    code and by the kernel.
 *
 * Each program is a few instructions of assembly ending in the exit
 * system call; a fault resumes at the exit through the exception table.
 */
#include "guest.h"

enum { SYS_EXIT = 1, SYS_REMAP = 2, SYS_RELOAD = 3, SYS_INVLPG = 4 };

#define UVA 0x40000000u
#define PG(n) (UVA + (n)*PAGE_SIZE)
/* The user region, one page each. */
enum { P_A, P_B, P_RO, P_SUP, P_NP, P_CLEAN, P_PT, P_WIN };
#define P_FAR (P_A + 256) /* shares P_A's slot in a 256-entry TLB */
#define FRAME(n) (0x800000u + (n)*PAGE_SIZE)
#define F_A 0
#define F_B 1
#define F_RO 2
#define F_SUP 3
#define F_CLEAN 5
#define F_WIN1 6
#define F_WIN2 7
#define F_FAR 8
#define F_ALT 9

USER_DATA volatile uint32_t u_in[4], u_out[8];
USER_DATA static uint8_t ustack[2048] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))

static uint32_t *pd, *upt;

static uint32_t pattern(uint32_t frame, uint32_t word)
{
	return 0xa0000000u | frame << 16 | word;
}

static void fill_frame(uint32_t frame)
{
	uint32_t *p = (uint32_t *)FRAME(frame);

	for (uint32_t w = 0; w < 1024; w++)
		p[w] = pattern(frame, w);
}

static void sys_handler(struct trap_frame *f)
{
	switch (f->eax) {
	case SYS_EXIT:
		return_to_kernel((int)f->ebx);
	case SYS_REMAP: /* page ebx -> frame ecx, invlpg */
		*pte_ptr(pd, f->ebx) = FRAME(f->ecx) | PTE_P | PTE_W | PTE_U;
		invlpg(f->ebx);
		break;
	case SYS_RELOAD: /* page ebx -> frame ecx, CR3 reload */
		*pte_ptr(pd, f->ebx) = FRAME(f->ecx) | PTE_P | PTE_W | PTE_U;
		reload_cr3();
		break;
	case SYS_INVLPG:
		invlpg(f->ebx);
		break;
	default:
		f->eax = (uint32_t)-1;
		break;
	}
}

static int run(void (*fn)(void))
{
	int r;

	trap_record_clear();
	r = enter_user((uint32_t)fn, USTACK_TOP, 0x202);
	cli();
	return r;
}

/* Exit with 0; a fault at 1: resumes at 2 and exits with 1. */
#define EXIT_SEQ                \
	"movl $0, %ebx\n\t"     \
	"jmp 3f\n"              \
	"2:\tmovl $1, %ebx\n"   \
	"3:\tmovl $1, %eax\n\t" \
	"int $0x80\n\t"
#define UPROG(name, body)                                         \
	void name(void);                                          \
	__asm__(".pushsection .user.text, \"ax\"\n" #name ":\n\t" \
		"movl u_in, %ecx\n\t"                             \
		"movl u_in + 4, %edx\n\t" body                    \
		"\n\t" EXIT_SEQ EXTABLE("1b", "2b") ".popsection")

/* ---- the programs (ecx = u_in[0], edx = u_in[1]) ---- */
UPROG(up_read, "1:\tmovl (%ecx), %eax\n\tmovl %eax, u_out");
UPROG(up_reads, "1:\tcmpl $0, (%ecx)\n\t"
		"testl %eax, 4(%ecx)\n\t"
		"btl $3, 8(%ecx)\n\t"
		"pushl 12(%ecx)\n\t"
		"popl u_out\n\t"
		"movzbl 16(%ecx), %eax\n\t"
		"movl %eax, u_out + 4");
UPROG(up_rmw, "1:\taddl $1, (%ecx)");
UPROG(up_write, "1:\tmovl $0x11223344, (%ecx)");
UPROG(up_push, "movl %esp, %ebp\n\tmovl %ecx, %esp\n"
	       "1:\tpushl $5\n\tmovl %ebp, %esp");
UPROG(up_call, "movl %esp, %ebp\n\tmovl %ecx, %esp\n"
	       "1:\tcall 4f\n4:\tmovl %ebp, %esp");
UPROG(up_ret, "movl %esp, %ebp\n\tmovl %ecx, %esp\n"
	      "1:\tret\n\tmovl %ebp, %esp");
UPROG(up_pusha, "movl %esp, %ebp\n\tmovl %ecx, %esp\n"
		"1:\tpushal\n\tmovl %ebp, %esp");
/* 64 rounds of push-from-memory, call-through-memory and rep movs whose
 * two accesses share a TLB slot (stack in P_FAR, data in P_A). */
UPROG(up_conflict, "movl %esp, %ebp\n\tmovl %edx, %esp\n\tmovl $64, %ebx\n\t"
		   "movl $0, u_out\n"
		   "5:\tpushl 8(%ecx)\n\t"
		   "popl %eax\n\t"
		   "addl %eax, u_out\n\t"
		   "call *12(%ecx)\n\t"
		   "pushl %ecx\n\t"
		   "leal 16(%ecx), %esi\n\t"
		   "leal 16(%esp), %edi\n\t"
		   "movl $4, %ecx\n\t"
		   "cld\n\trep movsl\n\t"
		   "popl %ecx\n\t"
		   "decl %ebx\n\t"
		   "jnz 5b\n\t"
		   "movl 16(%esp), %eax\n\tmovl %eax, u_out + 4\n\t"
		   "movl %ebp, %esp\n"
		   "1:\tnop");
UPROG(up_remap, "1:\tmovl (%ecx), %eax\n\tmovl %eax, u_out\n\t"
		"movl $2, %eax\n\tmovl %ecx, %ebx\n\tpushl %ecx\n\t"
		"movl $9, %ecx\n\tint $0x80\n\tpopl %ecx\n\t"
		"movl (%ecx), %eax\n\tmovl %eax, u_out + 4\n\t"
		"movl $3, %eax\n\tmovl %ecx, %ebx\n\tpushl %ecx\n\t"
		"movl $0, %ecx\n\tint $0x80\n\tpopl %ecx\n\t"
		"movl (%ecx), %eax\n\tmovl %eax, u_out + 8");
/* ecx: the PTE of P_WIN through P_PT; edx: P_WIN. */
UPROG(up_own_pt, "movl u_in + 8, %eax\n\tmovl %eax, (%ecx)\n\t"
		 "movl (%edx), %eax\n\tmovl %eax, u_out\n\t"
		 "movl u_in + 12, %eax\n\tmovl %eax, (%ecx)\n\t"
		 "movl $4, %eax\n\tmovl %edx, %ebx\n\tint $0x80\n\t"
		 "movl (%edx), %eax\n\tmovl %eax, u_out + 4\n"
		 "1:\tnop");
UPROG(up_own_pt_drop, "movl $0, (%ecx)\n\t"
		      "movl $4, %eax\n\tmovl %edx, %ebx\n\tint $0x80\n"
		      "1:\tmovl (%edx), %eax");

static void set_in(uint32_t a, uint32_t b)
{
	u_in[0] = a;
	u_in[1] = b;
}

static uint32_t pte_flags(uint32_t page)
{
	return *pte_ptr(pd, PG(page)) & 0xfff;
}

static void clear_ad(uint32_t page)
{
	*pte_ptr(pd, PG(page)) &= ~(PTE_A | PTE_D);
	invlpg(PG(page));
}

/* A fault: vector 14, the error code, CR2 in [cr2, cr2 + span). */
static void check_pf_in(uint32_t err, uint32_t cr2, uint32_t span,
			const char *what)
{
	printf("# %s\n", what);
	CHECK_EQ(last_trap.vector, 14, "  #PF");
	CHECK_EQ(last_trap.err, err, "  error code");
	CHECK(last_trap.cr2 - cr2 < span, "  CR2");
	if (last_trap.cr2 - cr2 >= span)
		printf("#   got 0x%08x, expected 0x%08x..0x%08x\n",
		       last_trap.cr2, cr2, cr2 + span - 1);
}

static void check_pf(uint32_t err, uint32_t cr2, const char *what)
{
	check_pf_in(err, cr2, 1, what);
}

static void test_accessed_dirty(void)
{
	section("Accessed and Dirty");
	clear_ad(P_CLEAN);
	set_in(PG(P_CLEAN), 0);
	CHECK_EQ(run(up_read), 0, "read of a clean page");
	CHECK_EQ(u_out[0], pattern(F_CLEAN, 0), "it reads the frame");
	CHECK_EQ(pte_flags(P_CLEAN) & (PTE_A | PTE_D), PTE_A,
		 "the read set A, not D");
	clear_ad(P_CLEAN);
	CHECK_EQ(run(up_reads), 0, "cmp, test, bt, push from memory, movzx");
	CHECK_EQ(u_out[0], pattern(F_CLEAN, 3), "push read the word");
	CHECK_EQ(u_out[1], pattern(F_CLEAN, 4) & 0xff, "movzx read the byte");
	CHECK_EQ(pte_flags(P_CLEAN) & (PTE_A | PTE_D), PTE_A,
		 "reads of every form leave D clear");
	CHECK_EQ(run(up_rmw), 0, "add to memory");
	CHECK_EQ(pte_flags(P_CLEAN) & PTE_D, PTE_D, "the write set D");
	CHECK_EQ(*(uint32_t *)FRAME(F_CLEAN), pattern(F_CLEAN, 0) + 1,
		 "the frame has the sum");
}

static void test_crossing(void)
{
	uint8_t *b = (uint8_t *)FRAME(F_B) + 4094;

	section("accesses across two pages");
	set_in(PG(P_A) + 4094, 0);
	CHECK_EQ(run(up_read), 0, "read across A and B");
	CHECK_EQ(u_out[0], pattern(F_A, 1023) >> 16 | pattern(F_B, 0) << 16,
		 "it reads both frames");
	set_in(PG(P_B) + 4094, 0);
	CHECK_EQ(run(up_write), 1, "write across B and a read-only page");
	/* CR2: the first byte on the page that faulted (the SDM leaves
	 * which byte open for an access across pages). */
	check_pf_in(PTE_P | PTE_W | PTE_U, PG(P_RO), 2,
		    "the second page faults");
	CHECK_EQ(b[0] | b[1] << 8, pattern(F_B, 1023) >> 16,
		 "nothing was written to the first page");
}

static void test_boundaries(void)
{
	section("faults of each access form");
	set_in(PG(P_SUP), 0);
	CHECK_EQ(run(up_read), 1, "load from a supervisor page");
	check_pf(PTE_P | PTE_U, PG(P_SUP), "user read, present");
	set_in(PG(P_RO) + 8, 0);
	CHECK_EQ(run(up_write), 1, "store to a read-only page");
	check_pf(PTE_P | PTE_W | PTE_U, PG(P_RO) + 8, "user write, present");
	set_in(PG(P_RO) + 4, 0);
	CHECK_EQ(run(up_push), 1, "push onto a read-only page");
	check_pf(PTE_P | PTE_W | PTE_U, PG(P_RO), "push");
	CHECK_EQ(last_trap.user_esp, PG(P_RO) + 4, "  ESP as before");
	set_in(PG(P_SUP) + 8, 0);
	CHECK_EQ(run(up_call), 1, "call with the stack on a supervisor page");
	check_pf(PTE_P | PTE_W | PTE_U, PG(P_SUP) + 4, "call");
	CHECK_EQ(last_trap.user_esp, PG(P_SUP) + 8, "  ESP as before");
	set_in(PG(P_NP) + 8, 0);
	CHECK_EQ(run(up_ret), 1, "ret from a page not present");
	check_pf(PTE_U, PG(P_NP) + 8, "ret");
	CHECK_EQ(last_trap.user_esp, PG(P_NP) + 8, "  ESP as before");
	set_in(PG(P_CLEAN) + 16, 0);
	CHECK_EQ(run(up_pusha), 1, "pusha across into a page not present");
	/* Which of its stores faults first is the implementation's. */
	check_pf_in(PTE_W | PTE_U, PG(P_CLEAN) - 16, 16, "pusha");
	CHECK_EQ(last_trap.user_esp, PG(P_CLEAN) + 16, "  ESP as before");
}

void conflict_target(void);
__asm__(".pushsection .user.text, \"ax\"\nconflict_target:\n\tret\n\t"
	".popsection");

static void test_conflict(void)
{
	uint32_t *a = (uint32_t *)FRAME(F_A);

	section("two accesses of one instruction in one TLB slot");
	a[3] = (uint32_t)conflict_target;
	set_in(PG(P_A), PG(P_FAR) + 2048);
	CHECK_EQ(run(up_conflict), 0, "64 rounds finish");
	CHECK_EQ(u_out[0], pattern(F_A, 2) * 64, "push from memory read P_A");
	CHECK_EQ(u_out[1], pattern(F_A, 5), "rep movs copied P_A to P_FAR");
	a[3] = pattern(F_A, 3);
}

static void test_remap(void)
{
	section("PTE changes");
	set_in(PG(P_A) + 8, 0);
	CHECK_EQ(run(up_remap), 0, "read, remap, read, remap, read");
	CHECK_EQ(u_out[0], pattern(F_A, 2), "the first frame");
	CHECK_EQ(u_out[1], pattern(F_ALT, 2), "after invlpg: the new frame");
	CHECK_EQ(u_out[2], pattern(F_A, 2), "after a CR3 reload: the old one");
}

static void test_own_page_table(void)
{
	uint32_t pte = PG(P_PT) + ((PG(P_WIN) >> 12) & 1023) * 4;

	section("user code edits its own page table");
	u_in[2] = FRAME(F_WIN1) | PTE_P | PTE_W | PTE_U;
	u_in[3] = FRAME(F_WIN2) | PTE_P | PTE_W | PTE_U;
	set_in(pte, PG(P_WIN));
	CHECK_EQ(run(up_own_pt), 0, "map, read, remap, invlpg, read");
	CHECK_EQ(u_out[0], pattern(F_WIN1, 0), "a new entry: no invlpg");
	CHECK_EQ(u_out[1], pattern(F_WIN2, 0), "a changed one after invlpg");
	CHECK_EQ(*(volatile uint32_t *)PG(P_WIN), pattern(F_WIN2, 0),
		 "the kernel sees it too");
	CHECK_EQ(run(up_own_pt_drop), 1, "unmapped by user code");
	check_pf(PTE_U, PG(P_WIN), "read after the drop");
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	static const uint32_t frames[] = {F_A,	  F_B,	  F_RO,	 F_SUP, F_CLEAN,
					  F_WIN1, F_WIN2, F_FAR, F_ALT};

	(void)magic;
	(void)mbi;
	printf("usertlb: user memory through paging\n");
	trap_set_handler(0x80, sys_handler);
	for (unsigned i = 0; i < sizeof(frames) / sizeof(frames[0]); i++)
		fill_frame(frames[i]);
	pd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	map_page(pd, PG(P_A), FRAME(F_A), PTE_P | PTE_W | PTE_U);
	map_page(pd, PG(P_B), FRAME(F_B), PTE_P | PTE_W | PTE_U);
	map_page(pd, PG(P_RO), FRAME(F_RO), PTE_P | PTE_U);
	map_page(pd, PG(P_SUP), FRAME(F_SUP), PTE_P | PTE_W);
	map_page(pd, PG(P_CLEAN), FRAME(F_CLEAN), PTE_P | PTE_W | PTE_U);
	map_page(pd, PG(P_FAR), FRAME(F_FAR), PTE_P | PTE_W | PTE_U);
	upt = (uint32_t *)(pd[UVA >> 22] & ~0xfffu);
	map_page(pd, PG(P_PT), (uint32_t)upt, PTE_P | PTE_W | PTE_U);
	paging_enable(pd);

	test_accessed_dirty();
	test_crossing();
	test_boundaries();
	test_conflict();
	test_remap();
	test_own_page_table();
	checks_done();
}
