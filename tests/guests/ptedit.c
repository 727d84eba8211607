/*
 * ptedit - page-table entries edited by the kernel while user code uses
 * them.
 *
 * A user process (IF = 1, IOPL = 0: under bt386 it runs directly on the
 * host CPU) drives the test: it asks the kernel, through int $0x80, to
 * change an entry (optionally followed by invlpg or a CR3 reload), then
 * touches the page again and has the kernel check what happened. The
 * kernel's #PF handler records every fault (count, error code, CR2) and
 * resumes user code after the access with a marker value, or, in "retry"
 * mode, returns to the faulting instruction (the spurious fault hardware
 * may raise after an upgrade without invlpg).
 *
 * Only what the architecture guarantees is checked:
 *   - not present -> present takes effect without any flush;
 *   - read-only -> writable and supervisor -> user without a flush may
 *     fault at most once (counted, must be 0 or 1), then take effect;
 *   - downgrades (writable -> read-only, present -> not present, user ->
 *     supervisor) and remaps to another frame take effect after invlpg,
 *     and separately after a CR3 reload; also for directory entries;
 *   - the Accessed and Dirty bits user accesses set are what the kernel
 *     then reads (after clearing them and flushing);
 *   - one frame at several user addresses (aliases, in one page table and
 *     across tables, one of them read-only) sees writes through any;
 *   - a page table used by two processes (and at two directory slots in
 *     each): edits made while either runs are seen by both;
 *   - 4 MiB user pages: remaps, protection, A/D in the directory entry,
 *     invlpg of any address inside dropping the whole page;
 *   - a page table mapped writable into user space: the user edits its
 *     own entries (invlpg through a system call);
 *   - demand paging: the #PF handler maps a fresh frame and returns, and
 *     the access (a rep stos/movs in the middle, a push, a split dword)
 *     completes;
 *   - edits made by the timer handler while user code spins on the page
 *     (data and code), followed by invlpg, are seen at the next access.
 * Whether a stale entry survives without a flush is never tested.
 */
#include "guest.h"

#define HZ 250
#define MARK 0xfa171ed0u /* what a faulting access returns */
#define NOPF 0xffffffffu
#define FRAME_BASE 0x800000u
#define NFRAME 24
#define REG_A 0x50000000u  /* most tests: one page table */
#define REG_B 0x50400000u  /* a second table for cross-table aliases */
#define SHR_1 0x60000000u  /* the shared table: main, slot 1 */
#define SHR_2 0x64000000u  /* the shared table: main, slot 2 */
#define SHR_H1 0x60000000u /* the shared table: helper, slot 1 */
#define SHR_H2 0x68000000u /* the shared table: helper, slot 2 */
#define STACK_VA 0x40000000u
#define STACK_TOP (STACK_VA + PAGE_SIZE)
#define VA(n) (REG_A + (uint32_t)(n)*PAGE_SIZE)
#define VB(n) (REG_B + (uint32_t)(n)*PAGE_SIZE)
#define FR(n) (FRAME_BASE + (uint32_t)(n)*PAGE_SIZE)
#define LVA 0x70000000u	    /* a 4 MiB user page */
#define LFRAME1 0x00c00000u /* 12..16 MiB */
#define LFRAME2 0x01000000u /* 16..20 MiB: the kernel maps it 1:1 too */
#define LOFF(k) ((uint32_t)(k)*PAGE_SIZE + ((0x10u * (uint32_t)(k)) & 0xff0u))
#define UPT_VA 0x58000000u /* region A's page table, mapped for the user */
#define REG_D 0x54000000u  /* demand paging: the kernel maps on #PF */
#define VD(n) (REG_D + (uint32_t)(n)*PAGE_SIZE)
#define DEMAND_FRAMES 0x840000u /* .. LFRAME1 */
#define TOP_VA 0xfffff000u	/* the very last page */
#define UPD_VA 0x58001000u	/* the main page directory, for the user */
#define REG_E 0x5c000000u	/* a region the user creates itself */
#define PURW (PTE_P | PTE_U | PTE_W)
#define PUR (PTE_P | PTE_U)

enum flush { F_NONE, F_INVLPG, F_RELOAD };

enum {
	SYS_EXIT = 1,
	SYS_CHECK,	/* name, got, want */
	SYS_CHECK_LE,	/* name, got, max */
	SYS_EXPECT_PF,	/* name, error code (NOPF: no fault), CR2 */
	SYS_PREFIX,	/* name prefix for the following checks */
	SYS_SETPTE,	/* va, value, flush: returns the old value */
	SYS_SETPDE,	/* va, value, flush */
	SYS_GETPTE,	/* va */
	SYS_GETPDE,	/* va */
	SYS_INVLPG,	/* va */
	SYS_PEEK,	/* frame number, word */
	SYS_POKE,	/* frame number, word, value */
	SYS_RETRY,	/* allow n retries of a faulting write; returns used */
	SYS_ARM,	/* va, value, ticks: the timer sets the PTE + invlpg */
	SYS_ARM_DONE,	/* has the timer done it? */
	SYS_HELPER,	/* run a command in the helper process: cmd, a, b */
	SYS_HELPER_GET, /* (helper) the command to run */
	SYS_HELPER_RET, /* (helper) its result: back to the main process */
	SYS_PF_COUNT,	/* faults since the last check (then reset) */
	SYS_SETPDE_RAW, /* va, value, flush (invlpg of va itself) */
	SYS_PEEKP,	/* a physical address */
	SYS_DEMAND,	/* demand faults since the last call (then reset) */
	SYS_KTOUCH,	/* the kernel reads and writes word 2 at va */
	SYS_KWRITE,	/* the kernel writes word 1 at va (CR0.WP = flag) */
	SYS_PGE,	/* CR4.PGE on (1) or off (0) */
	SYS_NEWTABLE,	/* a page table whose entry 0 maps frame 21 */
};

enum { H_READ = 1, H_WRITE, H_SETPTE };

/* ---- kernel state ---- */
static uint32_t *kpd, *pd_main, *pd_helper;
static int in_helper;
static struct trap_frame main_tf, helper_tf;
static uint32_t helper_cmd, helper_a, helper_b;
static char prefix[48];
static volatile uint32_t pf_count, pf_err, pf_cr2;
static uint32_t retry_left, retries;
static volatile uint32_t arm_va, arm_val, arm_ticks, arm_done;
static uint32_t pde_orig[1024]; /* the main directory as set up */
static uint32_t demand_next = DEMAND_FRAMES, demand_faults, demand_bad;

/* ---- user side: accesses that may fault ---- */

uint32_t uread(uint32_t va);
uint32_t uwrite(uint32_t va, uint32_t v);
uint32_t uexec(uint32_t va);
extern char uread_insn[], uread_done[], uwrite_insn[], uwrite_done[],
	uexec_fix[];
__asm__(".pushsection .user.text, \"ax\"\n"
	"uread:\n\t"
	"movl 4(%esp), %edx\n"
	"uread_insn:\n\t"
	"movl (%edx), %eax\n"
	"uread_done:\n\t"
	"ret\n"
	"uwrite:\n\t"
	"movl 4(%esp), %edx\n\t"
	"movl 8(%esp), %eax\n"
	"uwrite_insn:\n\t"
	"movl %eax, (%edx)\n\t"
	"xorl %eax, %eax\n"
	"uwrite_done:\n\t"
	"ret\n"
	/* A fetch fault lands at the target with the return address pushed:
	 * the kernel resumes at uexec_fix, which drops it. */
	"uexec:\n\t"
	"movl 4(%esp), %edx\n\t"
	"call *%edx\n\t"
	"ret\n"
	"uexec_fix:\n\t"
	"addl $4, %esp\n\t"
	"movl $0xfa171ed0, %eax\n\t"
	"ret\n\t"
	".popsection");

static inline __attribute__((always_inline)) uint32_t
sys4(uint32_t n, uint32_t a, uint32_t b, uint32_t c)
{
	__asm__ volatile("int $0x80"
			 : "+a"(n), "+b"(a), "+c"(b), "+d"(c)
			 :
			 : "memory");
	return n;
}

USER_TEXT static void uchk(const char *name, uint32_t got, uint32_t want)
{
	sys4(SYS_CHECK, (uint32_t)name, got, want);
}

USER_TEXT static void uchk_le(const char *name, uint32_t got, uint32_t max)
{
	sys4(SYS_CHECK_LE, (uint32_t)name, got, max);
}

USER_TEXT static void expect_pf(const char *name, uint32_t err, uint32_t va)
{
	sys4(SYS_EXPECT_PF, (uint32_t)name, err, va);
}

USER_TEXT static void expect_nopf(const char *name)
{
	sys4(SYS_EXPECT_PF, (uint32_t)name, NOPF, 0);
}

USER_TEXT static void uprefix(const char *p)
{
	sys4(SYS_PREFIX, (uint32_t)p, 0, 0);
}

USER_TEXT static uint32_t setpte(uint32_t va, uint32_t v, uint32_t flush)
{
	return sys4(SYS_SETPTE, va, v, flush);
}

USER_TEXT static void setpde(uint32_t va, uint32_t v, uint32_t flush)
{
	sys4(SYS_SETPDE, va, v, flush);
}

USER_TEXT static uint32_t getpte(uint32_t va)
{
	return sys4(SYS_GETPTE, va, 0, 0);
}

USER_TEXT static uint32_t getpde(uint32_t va)
{
	return sys4(SYS_GETPDE, va, 0, 0);
}

USER_TEXT static void uinvlpg(uint32_t va)
{
	sys4(SYS_INVLPG, va, 0, 0);
}

USER_TEXT static uint32_t peek(uint32_t frame, uint32_t word)
{
	return sys4(SYS_PEEK, frame, word, 0);
}

USER_TEXT static void poke(uint32_t frame, uint32_t word, uint32_t v)
{
	sys4(SYS_POKE, frame, word, v);
}

USER_TEXT static uint32_t helper(uint32_t cmd, uint32_t a, uint32_t b)
{
	return sys4(SYS_HELPER, cmd, a, b);
}

/* Word 0 of every test frame: a tag naming the frame. */
USER_TEXT static uint32_t tag(uint32_t n)
{
	return 0x7a900000u | n << 4;
}

/* Tags inside the 4 MiB frames (l = 1 or 2), at LOFF(k). */
USER_TEXT static uint32_t ltag(uint32_t l, uint32_t k)
{
	return 0x1a000000u | l << 16 | k;
}

USER_TEXT static uint32_t peekp(uint32_t pa)
{
	return sys4(SYS_PEEKP, pa, 0, 0);
}

USER_TEXT static void setpde_raw(uint32_t va, uint32_t v, uint32_t flush)
{
	sys4(SYS_SETPDE_RAW, va, v, flush);
}

/* ---- user side: the tests ---- */

USER_TEXT static void t_not_present(void)
{
	uint32_t v, bad = 0;

	uprefix(USTR("not present -> present: "));
	v = uread(VA(0));
	expect_pf(USTR("a read of a not-present page faults"), PF_U, VA(0));
	uchk(USTR("the read is abandoned"), v, MARK);
	setpte(VA(0), FR(0) | PURW, F_NONE);
	v = uread(VA(0));
	expect_nopf(USTR("P set, no invlpg: the read does not fault"));
	uchk(USTR("and reads the new frame"), v, tag(0));

	/* Frame bits already there, only P missing. */
	setpte(VA(1), FR(1) | PTE_U | PTE_W, F_INVLPG);
	uwrite(VA(1) + 4, 0x1111);
	expect_pf(USTR("a write to an entry without P faults"), PF_U | PF_W,
		  VA(1) + 4);
	uchk(USTR("nothing was written"), peek(1, 1), 0);
	setpte(VA(1), FR(1) | PURW, F_NONE);
	uwrite(VA(1) + 4, 0x2222);
	expect_nopf(USTR("P set, no invlpg: the write does not fault"));
	uchk(USTR("and lands in the frame"), peek(1, 1), 0x2222);

	/* Many times, to another frame each time. */
	for (uint32_t i = 0; i < 200; i++) {
		setpte(VA(2), 0, F_INVLPG);
		if (uread(VA(2)) != MARK)
			bad++;
		setpte(VA(2), FR(i % 4) | PURW, F_NONE);
		if (uread(VA(2)) != tag(i % 4))
			bad++;
	}
	uchk(USTR("200 rounds: each not-present read faulted"),
	     sys4(SYS_PF_COUNT, 0, 0, 0), 200);
	uchk(USTR("200 rounds: each read saw what the entry said"), bad, 0);
}

USER_TEXT static void t_upgrades(void)
{
	uint32_t v, skipped = 0, used = 0;

	uprefix(USTR("upgrade without invlpg: "));
	setpte(VA(3), FR(3) | PUR, F_INVLPG);
	uchk(USTR("a read-only page reads"), uread(VA(3)), tag(3));
	uwrite(VA(3) + 4, 5);
	expect_pf(USTR("a write to it faults"), PF_P | PF_W | PF_U, VA(3) + 4);
	uchk(USTR("nothing was written"), peek(3, 1), 0);
	setpte(VA(3), FR(3) | PURW, F_NONE);
	sys4(SYS_RETRY, 1, 0, 0);
	v = uwrite(VA(3) + 4, 0x55);
	uchk_le(USTR("R/W set: at most one spurious fault"),
		sys4(SYS_RETRY, 0, 0, 0), 1);
	uchk(USTR("then the write completes"), v, 0);
	uchk(USTR("and lands in the frame"), peek(3, 1), 0x55);
	uchk(USTR("the user reads it back"), uread(VA(3) + 4), 0x55);
	expect_nopf(USTR("no fault left over"));

	/* Supervisor -> user. */
	setpte(VA(3), FR(3) | PTE_P | PTE_W, F_INVLPG);
	uread(VA(3));
	expect_pf(USTR("a supervisor page faults on a user read"), PF_P | PF_U,
		  VA(3));
	setpte(VA(3), FR(3) | PURW, F_NONE);
	sys4(SYS_RETRY, 1, 0, 0);
	v = uread(VA(3));
	uchk_le(USTR("U set: at most one spurious fault"),
		sys4(SYS_RETRY, 0, 0, 0), 1);
	uchk(USTR("U set: the user reads the page"), v, tag(3));
	expect_nopf(USTR("and no other fault"));

	/* Many rounds: downgrade with invlpg, upgrade without. */
	for (uint32_t i = 0; i < 100; i++) {
		setpte(VA(3), FR(3) | PUR, F_INVLPG);
		if (uwrite(VA(3) + 8, i) != MARK)
			skipped++;
		setpte(VA(3), FR(3) | PURW, F_NONE);
		sys4(SYS_RETRY, 1, 0, 0);
		if (uwrite(VA(3) + 8, i) != 0)
			skipped++;
		used += sys4(SYS_RETRY, 0, 0, 0);
		if (peek(3, 2) != i)
			skipped++;
	}
	uchk(USTR("100 rounds: read-only writes fault, writable ones land"),
	     skipped, 0);
	uchk_le(USTR("100 rounds: at most one spurious fault each"), used, 100);
	uchk(USTR("100 rounds: each read-only write faulted"),
	     sys4(SYS_PF_COUNT, 0, 0, 0), 100);
}

USER_TEXT static void t_downgrades(uint32_t flush)
{
	uint32_t va = VA(4);

	uprefix(flush == F_INVLPG ? USTR("downgrade + invlpg: ")
				  : USTR("downgrade + CR3 reload: "));
	poke(4, 1, 0);
	setpte(va, FR(4) | PURW, flush);
	uwrite(va + 4, 1);
	uchk(USTR("writable: the write lands"), peek(4, 1), 1);
	setpte(va, FR(4) | PUR, flush);
	uwrite(va + 4, 2);
	expect_pf(USTR("read-only: a write faults"), PF_P | PF_W | PF_U,
		  va + 4);
	uchk(USTR("read-only: nothing was written"), peek(4, 1), 1);
	uchk(USTR("read-only: reads still work"), uread(va + 4), 1);

	setpte(va, FR(4) | PURW, flush);
	uchk(USTR("present again"), uread(va), tag(4));
	setpte(va, 0, flush);
	uread(va);
	expect_pf(USTR("not present: a read faults"), PF_U, va);

	setpte(va, FR(4) | PURW, flush);
	uchk(USTR("user again"), uread(va), tag(4));
	setpte(va, FR(4) | PTE_P | PTE_W, flush);
	uread(va);
	expect_pf(USTR("supervisor: a read faults"), PF_P | PF_U, va);
	uwrite(va, 0);
	expect_pf(USTR("supervisor: a write faults"), PF_P | PF_W | PF_U, va);

	setpte(va, FR(4) | PURW, flush);
	uchk(USTR("frame 4 mapped"), uread(va), tag(4));
	uwrite(va + 8, 0x77);
	setpte(va, FR(5) | PURW, flush);
	uchk(USTR("remapped: reads the other frame"), uread(va), tag(5));
	uwrite(va + 8, 0x88);
	uchk(USTR("remapped: the write lands in the new frame"), peek(5, 2),
	     0x88);
	uchk(USTR("remapped: the old frame kept its value"), peek(4, 2), 0x77);

	/* Code pages: frames 6 and 7 hold mov $6/$7, %eax; ret. */
	setpte(VA(6), FR(6) | PUR, flush);
	uchk(USTR("code page: runs frame 6"), uexec(VA(6)), 6);
	setpte(VA(6), FR(7) | PUR, flush);
	uchk(USTR("code page remapped: runs frame 7"), uexec(VA(6)), 7);
	setpte(VA(6), 0, flush);
	uchk(USTR("code page not present: the call faults"), uexec(VA(6)),
	     MARK);
	expect_pf(USTR("code page not present: #PF at the target"), PF_U,
		  VA(6));
	setpte(VA(6), FR(6) | PTE_P, flush);
	uexec(VA(6));
	expect_pf(USTR("code page supervisor: #PF at the target"), PF_P | PF_U,
		  VA(6));

	/* Directory entries. */
	setpte(VB(0), FR(8) | PURW, flush);
	uchk(USTR("region B page"), uread(VB(0)), tag(8));
	setpde(VB(0), 0, flush);
	uread(VB(0));
	expect_pf(USTR("PDE not present: a read faults"), PF_U, VB(0));
	setpde(VB(0), 0xffffffffu, F_NONE); /* restore */
	uchk(USTR("PDE present again, no flush: the read works"), uread(VB(0)),
	     tag(8));
	setpde(VB(0), 0xfffffffdu, flush); /* clear R/W */
	uwrite(VB(0) + 4, 3);
	expect_pf(USTR("PDE read-only: a write faults"), PF_P | PF_W | PF_U,
		  VB(0) + 4);
	setpde(VB(0), 0xfffffffbu, flush); /* clear U/S */
	uread(VB(0));
	expect_pf(USTR("PDE supervisor: a read faults"), PF_P | PF_U, VB(0));
	setpde(VB(0), 0xffffffffu, flush);
	uwrite(VB(0) + 4, 4);
	uchk(USTR("PDE restored: the write lands"), peek(8, 1), 4);
	expect_nopf(USTR("no fault left over"));
}

USER_TEXT static void t_accessed_dirty(void)
{
	uint32_t va = VA(9), bad = 0;

	uprefix(USTR("accessed/dirty: "));
	setpte(va, FR(9) | PURW, F_INVLPG);
	uchk(USTR("cleared"), getpte(va) & (PTE_A | PTE_D), 0);
	uread(va);
	uchk(USTR("a read sets A only"), getpte(va) & (PTE_A | PTE_D), PTE_A);
	uwrite(va + 4, 1);
	uchk(USTR("a write sets D"), getpte(va) & (PTE_A | PTE_D),
	     PTE_A | PTE_D);
	setpte(va, FR(9) | PURW, F_INVLPG);
	uwrite(va + 4, 2);
	uchk(USTR("a first write sets A and D"), getpte(va) & (PTE_A | PTE_D),
	     PTE_A | PTE_D);
	setpte(va, FR(9) | PURW | PTE_A, F_INVLPG);
	uread(va);
	uchk(USTR("D cleared + invlpg: a read leaves D clear"),
	     getpte(va) & PTE_D, 0);
	uwrite(va + 4, 3);
	uchk(USTR("D cleared + invlpg: the next write sets D"),
	     getpte(va) & PTE_D, PTE_D);
	setpte(va, FR(9) | PURW | PTE_A, F_RELOAD);
	uread(va);
	uchk(USTR("D cleared + CR3 reload: a read leaves D clear"),
	     getpte(va) & PTE_D, 0);
	uwrite(va + 4, 4);
	uchk(USTR("D cleared + CR3 reload: the next write sets D"),
	     getpte(va) & PTE_D, PTE_D);
	for (uint32_t i = 0; i < 100; i++) {
		setpte(va, FR(9) | PURW | ((i & 1) ? PTE_A : 0),
		       (i & 2) ? F_RELOAD : F_INVLPG);
		uread(va + 4);
		if ((getpte(va) & (PTE_A | PTE_D)) != PTE_A)
			bad++;
		uwrite(va + 4, i);
		if ((getpte(va) & (PTE_A | PTE_D)) != (PTE_A | PTE_D))
			bad++;
	}
	uchk(USTR("100 rounds of clear, read, write"), bad, 0);

	setpde(va, ~PTE_A, F_RELOAD);
	uchk(USTR("PDE A cleared"), getpde(va) & PTE_A, 0);
	uread(va);
	uchk(USTR("a read through it sets the PDE's A"), getpde(va) & PTE_A,
	     PTE_A);

	setpte(VA(6), FR(6) | PUR, F_INVLPG);
	uchk(USTR("code page: runs"), uexec(VA(6)), 6);
	uchk(USTR("an instruction fetch sets A, not D"),
	     getpte(VA(6)) & (PTE_A | PTE_D), PTE_A);

	setpte(VA(10), FR(10) | PURW, F_INVLPG);
	setpte(VA(11), FR(10) | PURW, F_INVLPG);
	uwrite(VA(10) + 4, 5);
	uchk(USTR("alias 1 written: A and D in its entry"),
	     getpte(VA(10)) & (PTE_A | PTE_D), PTE_A | PTE_D);
	uchk(USTR("alias 2 untouched: its entry is clean"),
	     getpte(VA(11)) & (PTE_A | PTE_D), 0);
	uchk(USTR("alias 2 reads the write"), uread(VA(11) + 4), 5);
	uchk(USTR("alias 2 read: A only"), getpte(VA(11)) & (PTE_A | PTE_D),
	     PTE_A);
}

USER_TEXT static void t_large(void)
{
	static const uint16_t USER_RODATA ks[] = {0, 1, 0x155, 0x3ff};
	uint32_t bad = 0, v;

	uprefix(USTR("4 MiB pages: "));
	setpde_raw(LVA, LFRAME1 | PURW | PTE_PS, F_INVLPG);
	for (int i = 0; i < 4; i++)
		bad += uread(LVA + LOFF(ks[i])) != ltag(1, ks[i]);
	uchk(USTR("a user 4 MiB page reads its frame everywhere"), bad, 0);
	uwrite(LVA + LOFF(1) + 4, 0x99);
	uchk(USTR("a write lands"), peekp(LFRAME1 + LOFF(1) + 4), 0x99);
	uchk(USTR("A and D set in the directory entry"),
	     getpde(LVA) & (PTE_A | PTE_D), PTE_A | PTE_D);

	/* invlpg of any address inside drops the whole page. */
	setpde_raw(LVA + 0x2000, LFRAME2 | PURW | PTE_PS, F_INVLPG);
	bad = 0;
	for (int i = 0; i < 4; i++)
		bad += uread(LVA + LOFF(ks[i])) != ltag(2, ks[i]);
	uchk(USTR("remapped + invlpg inside it: the new frame everywhere"), bad,
	     0);
	setpde_raw(LVA, LFRAME2 | PUR | PTE_PS, F_RELOAD);
	uwrite(LVA + LOFF(0x3ff) + 4, 1);
	expect_pf(USTR("read-only + CR3 reload: a write faults"),
		  PF_P | PF_W | PF_U, LVA + LOFF(0x3ff) + 4);
	setpde_raw(LVA, LFRAME2 | PURW | PTE_PS, F_NONE);
	sys4(SYS_RETRY, 1, 0, 0);
	v = uwrite(LVA + LOFF(0x3ff) + 4, 2);
	uchk_le(USTR("writable again, no flush: at most one spurious fault"),
		sys4(SYS_RETRY, 0, 0, 0), 1);
	uchk(USTR("then the write lands"),
	     v == 0 ? peekp(LFRAME2 + LOFF(0x3ff) + 4) : v, 2);

	setpde_raw(LVA + 0x5000, LFRAME2 | PURW | PTE_PS, F_INVLPG);
	uchk(USTR("A and D cleared"), getpde(LVA) & (PTE_A | PTE_D), 0);
	uread(LVA + 0x7000);
	uchk(USTR("a read sets A only"), getpde(LVA) & (PTE_A | PTE_D), PTE_A);
	uwrite(LVA + 0x9000, 3);
	uchk(USTR("a write sets D"), getpde(LVA) & (PTE_A | PTE_D),
	     PTE_A | PTE_D);

	setpde_raw(LVA + 0x200000, 0, F_INVLPG);
	uread(LVA);
	expect_pf(USTR("not present + invlpg inside: the start faults"), PF_U,
		  LVA);
	uread(LVA + 0x3ff000);
	expect_pf(USTR("and the end"), PF_U, LVA + 0x3ff000);
	setpde_raw(LVA, LFRAME1 | PURW | PTE_PS, F_NONE);
	uchk(USTR("present again, no flush: reads work"),
	     uread(LVA + LOFF(0x155)), ltag(1, 0x155));
	expect_nopf(USTR("no fault left over"));
}

/* Region A's page table, written by the user through UPT_VA. */
USER_TEXT static void t_user_table(void)
{
	volatile uint32_t *pt = (volatile uint32_t *)UPT_VA;
	uint32_t bad = 0;

	uprefix(USTR("the user edits its paging structures: "));
	uchk(USTR("the entry it is about to use is empty"), pt[20], 0);
	pt[20] = FR(19) | PURW;
	uchk(USTR("not present -> present, no flush: reads the frame"),
	     uread(VA(20)), tag(19));
	expect_nopf(USTR("without a fault"));
	uchk(USTR("the Accessed bit shows in the user's view of the table"),
	     pt[20] & (PTE_A | PTE_D), PTE_A);
	uwrite(VA(20) + 4, 0x19);
	uchk(USTR("and Dirty after a write"), pt[20] & (PTE_A | PTE_D),
	     PTE_A | PTE_D);
	pt[20] = FR(20) | PURW;
	uinvlpg(VA(20));
	uchk(USTR("remapped + invlpg: the new frame"), uread(VA(20)), tag(20));
	uchk(USTR("the old frame kept the write"), peek(19, 1), 0x19);
	pt[20] = FR(20) | PUR;
	uinvlpg(VA(20));
	uwrite(VA(20) + 4, 0x20);
	expect_pf(USTR("write-protected + invlpg: a write faults"),
		  PF_P | PF_W | PF_U, VA(20) + 4);
	pt[20] = 0;
	uinvlpg(VA(20));
	uread(VA(20));
	expect_pf(USTR("cleared + invlpg: a read faults"), PF_U, VA(20));
	for (uint32_t i = 0; i < 100; i++) {
		pt[21 + (i & 7)] = FR(19 + (i & 1)) | PURW;
		if (uread(VA(21 + (i & 7))) != tag(19 + (i & 1)))
			bad++;
		pt[21 + (i & 7)] = 0;
		uinvlpg(VA(21 + (i & 7)));
	}
	uchk(USTR("100 rounds: fill an empty entry, read, clear"), bad, 0);
	uchk(USTR("the kernel sees the user's last entry"), getpte(VA(28)), 0);

	/* The directory itself, written by the user. */
	{
		volatile uint32_t *pd = (volatile uint32_t *)UPD_VA;
		uint32_t t = sys4(SYS_NEWTABLE, 0, 0, 0);

		uchk(USTR("the directory entry is empty"), pd[REG_E >> 22], 0);
		pd[REG_E >> 22] = t | PURW;
		uchk(USTR("a directory entry written by the user: reads"),
		     uread(REG_E), tag(21));
		uchk(USTR("the kernel sees it"), getpde(REG_E) & ~0xfffu, t);
		pd[REG_E >> 22] = t | PUR;
		uinvlpg(REG_E);
		uwrite(REG_E + 4, 1);
		expect_pf(USTR("made read-only + invlpg: a write faults"),
			  PF_P | PF_W | PF_U, REG_E + 4);
		pd[REG_E >> 22] = 0;
		uinvlpg(REG_E);
		uread(REG_E);
		expect_pf(USTR("cleared + invlpg: a read faults"), PF_U, REG_E);
	}
	expect_nopf(USTR("no fault left over"));
}

/* Fill 4 KiB-aligned bytes at dst with rep stosl (count dwords). */
USER_TEXT static void rep_stosl(uint32_t dst, uint32_t v, uint32_t count)
{
	__asm__ volatile("cld; rep stosl"
			 : "+D"(dst), "+c"(count)
			 : "a"(v)
			 : "memory");
}

USER_TEXT static void rep_movsl(uint32_t dst, uint32_t src, uint32_t count)
{
	__asm__ volatile("cld; rep movsl"
			 : "+D"(dst), "+S"(src), "+c"(count)
			 :
			 : "memory");
}

/* Backwards: the last byte first. */
USER_TEXT static void rep_movsb_back(uint32_t dst, uint32_t src, uint32_t count)
{
	dst += count - 1;
	src += count - 1;
	__asm__ volatile("std; rep movsb; cld"
			 : "+D"(dst), "+S"(src), "+c"(count)
			 :
			 : "memory");
}

/*
 * Push n dwords on a stack starting at top (pages not mapped yet), then
 * pop them; returns the sum of what was popped.
 */
uint32_t stack_grow(uint32_t top, uint32_t n);
__asm__(".pushsection .user.text, \"ax\"\n"
	"stack_grow:\n\t"
	"pushl %ebx\n\t"
	"pushl %ebp\n\t"
	"movl 12(%esp), %eax\n\t" /* top */
	"movl 16(%esp), %ecx\n\t" /* n */
	"movl %esp, %ebp\n\t"
	"movl %eax, %esp\n\t"
	"movl %ecx, %edx\n"
	"1:\tpushl %ecx\n\t"
	"loop 1b\n\t"
	"xorl %eax, %eax\n"
	"2:\tpopl %ebx\n\t"
	"addl %ebx, %eax\n\t"
	"decl %edx\n\t"
	"jnz 2b\n\t"
	"movl %ebp, %esp\n\t"
	"popl %ebp\n\t"
	"popl %ebx\n\t"
	"ret\n\t"
	".popsection");

USER_TEXT static void t_demand(void)
{
	uint32_t bad = 0, v;

	uprefix(USTR("demand paging (the kernel maps, then retries): "));
	sys4(SYS_DEMAND, 0, 0, 0);
	for (uint32_t n = 0; n < 64; n++)
		*(volatile uint32_t *)(VD(n) + 8) = n;
	for (uint32_t n = 0; n < 64; n++)
		bad += *(volatile uint32_t *)(VD(n) + 8) != n;
	uchk(USTR("64 pages written, read back"), bad, 0);
	uchk(USTR("one fault per page"), sys4(SYS_DEMAND, 0, 0, 0), 64);

	rep_stosl(VD(64), 0x5a5a0000u, 16 * 1024);
	for (uint32_t n = 64; n < 80; n++)
		bad += *(volatile uint32_t *)(VD(n) + 0xffc) != 0x5a5a0000u;
	uchk(USTR("rep stosl over 16 new pages"), bad, 0);
	uchk(USTR("restarted after each of 16 faults"),
	     sys4(SYS_DEMAND, 0, 0, 0), 16);

	for (uint32_t i = 0; i < 16 * 1024; i++)
		*(volatile uint32_t *)(VD(64) + 4 * i) = i * 0x01000193u;
	sys4(SYS_DEMAND, 0, 0, 0);
	rep_movsl(VD(80), VD(64), 16 * 1024);
	for (uint32_t i = 0; i < 16 * 1024; i++)
		bad += *(volatile uint32_t *)(VD(80) + 4 * i) !=
		       i * 0x01000193u;
	uchk(USTR("rep movsl into 16 new pages"), bad, 0);
	uchk(USTR("restarted after each of 16 faults"),
	     sys4(SYS_DEMAND, 0, 0, 0), 16);

	rep_movsb_back(VD(96), VD(80), 4 * PAGE_SIZE);
	for (uint32_t i = 0; i < 4 * 1024; i++)
		bad += *(volatile uint32_t *)(VD(96) + 4 * i) !=
		       i * 0x01000193u;
	uchk(USTR("backwards rep movsb into 4 new pages"), bad, 0);
	uchk(USTR("4 faults, the last page first"), sys4(SYS_DEMAND, 0, 0, 0),
	     4);

	/* A dword across the end of a mapped page into a new one. */
	*(volatile uint32_t *)(VD(100) - 2) = 0x44332211u;
	uchk(USTR("a split write into a new page: one fault"),
	     sys4(SYS_DEMAND, 0, 0, 0), 1);
	v = *(volatile uint16_t *)(VD(100) - 2) |
	    (uint32_t) * (volatile uint16_t *)VD(100) << 16;
	uchk(USTR("both halves written"), v, 0x44332211u);

	v = stack_grow(VD(200), 8 * 1024);
	uchk(USTR("a stack growing over 8 new pages: pops what was pushed"), v,
	     8192u * 8193u / 2);
	uchk(USTR("8 faults"), sys4(SYS_DEMAND, 0, 0, 0), 8);

	/* Long copies between mapped pages, interrupted by the timer. */
	for (uint32_t r = 0; r < 60; r++) {
		rep_movsl(VD(64 + (r & 1) * 16), VD(80 - (r & 1) * 16),
			  16 * 1024);
		bad += *(volatile uint32_t *)(VD(64) + 4 * (r * 97 & 0x3fff)) !=
		       (r * 97 & 0x3fff) * 0x01000193u;
	}
	uchk(USTR("60 copies of 64 KiB"), bad, 0);
	uchk(USTR("no more faults"), sys4(SYS_DEMAND, 0, 0, 0), 0);
	expect_nopf(USTR("and no fault reached the test's handler"));
}

USER_TEXT static void t_kernel_access(void)
{
	uprefix(USTR("kernel accesses: "));
	/* A supervisor page among user pages, just used by the kernel. */
	setpte(VA(29), FR(21) | PURW, F_INVLPG);
	setpte(VA(30), FR(21) | PTE_P | PTE_W, F_INVLPG);
	setpte(VA(31), FR(22) | PURW, F_INVLPG);
	uchk(USTR("the user pages around it work"),
	     uread(VA(29)) ^ uread(VA(31)), tag(21) ^ tag(22));
	sys4(SYS_KTOUCH, VA(30), 0, 0);
	uread(VA(30));
	expect_pf(USTR("the kernel used a supervisor page: a user read "
		       "faults"),
		  PF_P | PF_U, VA(30));
	sys4(SYS_KTOUCH, VA(30), 0, 0);
	uwrite(VA(30) + 8, 0);
	expect_pf(USTR("and a user write"), PF_P | PF_W | PF_U, VA(30) + 8);
	uchk(USTR("the kernel's write is seen through the user alias"),
	     uread(VA(29) + 8), 0x4b4b4b4b);

	sys4(SYS_KWRITE, VA(31), 0x31313131, 1);
	uchk(USTR("the kernel writes a user page, the user reads it"),
	     uread(VA(31) + 4), 0x31313131);
	setpte(VA(31), FR(22) | PUR, F_INVLPG);
	uchk(USTR("read-only for the user now"), uread(VA(31) + 4), 0x31313131);
	sys4(SYS_KWRITE, VA(31), 0x32323232, 0);
	uchk(USTR("CR0.WP = 0: the kernel writes it, the user reads it"),
	     uread(VA(31) + 4), 0x32323232);
	uwrite(VA(31) + 4, 0);
	expect_pf(USTR("a user write still faults"), PF_P | PF_W | PF_U,
		  VA(31) + 4);
	uchk(USTR("and changed nothing"), peek(22, 1), 0x32323232);

	/* Global pages follow the same invlpg rules. */
	sys4(SYS_PGE, 1, 0, 0);
	setpte(VA(32), FR(4) | PURW | PTE_G, F_INVLPG);
	uchk(USTR("a global user page"), uread(VA(32)), tag(4));
	setpte(VA(32), FR(5) | PURW | PTE_G, F_INVLPG);
	uchk(USTR("remapped + invlpg"), uread(VA(32)), tag(5));
	setpte(VA(32), FR(4) | PURW | PTE_G, F_NONE);
	sys4(SYS_PGE, 0, 0, 0);
	sys4(SYS_PGE, 1, 0, 0);
	uchk(USTR("remapped + CR4.PGE toggled"), uread(VA(32)), tag(4));
	setpte(VA(32), 0, F_INVLPG);
	uread(VA(32));
	expect_pf(USTR("unmapped + invlpg: faults"), PF_U, VA(32));
	sys4(SYS_PGE, 0, 0, 0);
	expect_nopf(USTR("no fault left over"));
}

/* Last: a user page at the very top moves the user range to 4 GiB. */
USER_TEXT static void t_top(void)
{
	uint32_t bad = 0;

	uprefix(USTR("the last page of the address space: "));
	setpde(TOP_VA, 0xffffffffu, F_NONE);
	setpte(TOP_VA, FR(23) | PURW, F_NONE);
	uchk(USTR("a user page at 0xfffff000 reads"), uread(TOP_VA), tag(23));
	uwrite(TOP_VA + 0xffc, 0x7070);
	uchk(USTR("its last dword is written"), peek(23, 1023), 0x7070);
	for (uint32_t i = 0; i < 100; i++) {
		uwrite(TOP_VA + 8, i);
		if (uread(VA(29) + 8) != 0x4b4b4b4b || peek(23, 2) != i)
			bad++;
	}
	uchk(USTR("100 rounds with system calls in between"), bad, 0);
	setpte(TOP_VA, FR(22) | PURW, F_INVLPG);
	uchk(USTR("remapped + invlpg"), uread(TOP_VA), tag(22));
	uread(VA(30));
	expect_pf(USTR("the supervisor page below still faults"), PF_P | PF_U,
		  VA(30));
	setpte(TOP_VA, 0, F_INVLPG);
	uread(TOP_VA + 0xffc);
	expect_pf(USTR("unmapped + invlpg: faults"), PF_U, TOP_VA + 0xffc);
}

USER_TEXT static void t_aliases(void)
{
	uint32_t bad = 0;

	uprefix(USTR("aliases: "));
	setpte(VA(12), FR(12) | PURW, F_INVLPG);
	setpte(VA(13), FR(12) | PURW, F_INVLPG);
	setpte(VB(1), FR(12) | PURW, F_INVLPG);
	setpte(VA(14), FR(12) | PUR, F_INVLPG);
	for (uint32_t i = 0; i < 500; i++) {
		uwrite(VA(12) + 16, i);
		if (uread(VA(13) + 16) != i || uread(VB(1) + 16) != i)
			bad++;
		uwrite(VB(1) + 20, ~i);
		if (uread(VA(12) + 20) != ~i || uread(VA(14) + 20) != ~i)
			bad++;
		uwrite(VA(13) + 24, i * 3);
		if (uread(VA(14) + 24) != i * 3)
			bad++;
	}
	uchk(USTR("500 rounds: writes through each alias seen by all"), bad, 0);
	uchk(USTR("the frame holds the last values"), peek(12, 4), 499);
	uwrite(VA(14) + 4, 1);
	expect_pf(USTR("the read-only alias still faults on a write"),
		  PF_P | PF_W | PF_U, VA(14) + 4);
	poke(12, 7, 0x12345678);
	uchk(USTR("a kernel write is seen through alias 1"), uread(VA(12) + 28),
	     0x12345678);
	uchk(USTR("... alias 2"), uread(VA(13) + 28), 0x12345678);
	uchk(USTR("... the alias in the other table"), uread(VB(1) + 28),
	     0x12345678);
	uchk(USTR("... the read-only alias"), uread(VA(14) + 28), 0x12345678);
	setpte(VA(13), FR(13) | PURW, F_INVLPG);
	uwrite(VA(13) + 16, 0xabc);
	uchk(USTR("alias 2 remapped away: alias 1 does not see its write"),
	     uread(VA(12) + 16), 499);
	expect_nopf(USTR("no fault left over"));
}

USER_TEXT static void t_shared_table(void)
{
	uprefix(USTR("shared page table: "));
	uwrite(SHR_1 + 4, 0x1111);
	uchk(USTR("main: slot 2 sees slot 1's page"), uread(SHR_2), tag(14));
	uchk(USTR("main: and its write"), uread(SHR_2 + 4), 0x1111);
	uchk(USTR("helper: slot 1 sees main's write"),
	     helper(H_READ, SHR_H1 + 4, 0), 0x1111);
	uchk(USTR("helper: slot 2 too"), helper(H_READ, SHR_H2 + 4, 0), 0x1111);
	helper(H_WRITE, SHR_H2 + 8, 0x2222);
	uchk(USTR("main sees the helper's write"), uread(SHR_1 + 8), 0x2222);

	setpte(SHR_1, FR(15) | PURW, F_INVLPG);
	uinvlpg(SHR_2);
	uchk(USTR("main remaps: slot 1 sees the new frame"), uread(SHR_1),
	     tag(15));
	uchk(USTR("main remaps: slot 2 too"), uread(SHR_2), tag(15));
	uchk(USTR("main remapped: the helper sees it in slot 1"),
	     helper(H_READ, SHR_H1, 0), tag(15));
	uchk(USTR("main remapped: and in slot 2"), helper(H_READ, SHR_H2, 0),
	     tag(15));

	helper(H_SETPTE, SHR_H2, FR(16) | PURW);
	uchk(USTR("helper remapped: main sees it in slot 1"), uread(SHR_1),
	     tag(16));
	uchk(USTR("helper remapped: and in slot 2"), uread(SHR_2), tag(16));

	helper(H_SETPTE, SHR_H1, 0);
	expect_nopf(USTR("no fault yet"));
	uread(SHR_1);
	expect_pf(USTR("helper unmapped: main faults in slot 1"), PF_U, SHR_1);
	uread(SHR_2);
	expect_pf(USTR("helper unmapped: main faults in slot 2"), PF_U, SHR_2);
	uchk(USTR("helper unmapped: the helper faults too"),
	     helper(H_READ, SHR_H2, 0), MARK);
	expect_pf(USTR("at the helper's address"), PF_U, SHR_H2);

	setpte(SHR_1, FR(14) | PURW, F_NONE);
	uchk(USTR("main maps again, no flush: slot 1"), uread(SHR_1), tag(14));
	uchk(USTR("main maps again, no flush: slot 2"), uread(SHR_2), tag(14));
	uchk(USTR("main maps again: the helper's slot 2"),
	     helper(H_READ, SHR_H2 + 4, 0), 0x1111);

	setpte(SHR_1, FR(14) | PUR, F_INVLPG);
	uinvlpg(SHR_2);
	uchk(USTR("main write-protects: the helper's write faults"),
	     helper(H_WRITE, SHR_H1 + 4, 0x3333), MARK);
	expect_pf(USTR("with the protection error code"), PF_P | PF_W | PF_U,
		  SHR_H1 + 4);
	uchk(USTR("nothing was written"), peek(14, 1), 0x1111);
	expect_nopf(USTR("no fault left over"));
}

/*
 * Spin on a page until the timer handler has changed its entry (and
 * flushed it); returns what the first access after the change gave.
 */
USER_TEXT static uint32_t spin_read(uint32_t va, uint32_t old)
{
	for (uint32_t n = 1;; n++) {
		uint32_t v = uread(va);

		if (v != old)
			return v;
		if ((n & 0x3ff) == 0 && sys4(SYS_ARM_DONE, 0, 0, 0))
			return uread(va);
	}
}

USER_TEXT static uint32_t spin_exec(uint32_t va, uint32_t old)
{
	for (uint32_t n = 1;; n++) {
		uint32_t v = uexec(va);

		if (v != old)
			return v;
		if ((n & 0x3ff) == 0 && sys4(SYS_ARM_DONE, 0, 0, 0))
			return uexec(va);
	}
}

USER_TEXT static uint32_t spin_write(uint32_t va)
{
	for (uint32_t n = 1;; n++) {
		if (uwrite(va, n) == MARK)
			return MARK;
		if ((n & 0x3ff) == 0 && sys4(SYS_ARM_DONE, 0, 0, 0))
			return uwrite(va, n);
	}
}

USER_TEXT static void t_timer(void)
{
	uint32_t va = VA(17);

	uprefix(USTR("edits from the timer: "));
	setpte(va, FR(17) | PURW, F_INVLPG);
	sys4(SYS_ARM, va, FR(18) | PURW, 3);
	uchk(USTR("remap while the user spins reading"), spin_read(va, tag(17)),
	     tag(18));
	sys4(SYS_ARM, va, 0, 3);
	uchk(USTR("unmap while the user spins reading"), spin_read(va, tag(18)),
	     MARK);
	expect_pf(USTR("the read after it faults"), PF_U, va);
	setpte(va, FR(18) | PURW, F_NONE);
	sys4(SYS_ARM, va, FR(18) | PUR, 3);
	uchk(USTR("write-protect while the user spins writing"),
	     spin_write(va + 4), MARK);
	expect_pf(USTR("the write after it faults"), PF_P | PF_W | PF_U,
		  va + 4);
	setpte(VA(6), FR(6) | PUR, F_INVLPG);
	sys4(SYS_ARM, VA(6), FR(7) | PUR, 3);
	uchk(USTR("remap a code page while the user spins calling it"),
	     spin_exec(VA(6), 6), 7);
	expect_nopf(USTR("no fault left over"));
}

USER_TEXT void main_proc(void)
{
	t_not_present();
	t_upgrades();
	t_downgrades(F_INVLPG);
	t_downgrades(F_RELOAD);
	t_accessed_dirty();
	t_large();
	t_user_table();
	t_demand();
	t_aliases();
	t_shared_table();
	t_timer();
	t_kernel_access();
	t_top();
	sys4(SYS_EXIT, 0, 0, 0);
}

USER_TEXT void helper_proc(void)
{
	for (;;) {
		uint32_t cmd, a, b, r = 0;

		cmd = SYS_HELPER_GET;
		__asm__ volatile("int $0x80"
				 : "+a"(cmd), "=b"(a), "=c"(b)
				 :
				 : "edx", "memory");
		if (cmd == H_READ)
			r = uread(a);
		else if (cmd == H_WRITE)
			r = uwrite(a, b);
		else if (cmd == H_SETPTE)
			r = setpte(a, b, F_INVLPG);
		sys4(SYS_HELPER_RET, r, 0, 0);
	}
}

/* ---- kernel ---- */

static uint32_t *cur_pd(void)
{
	return in_helper ? pd_helper : pd_main;
}

static void do_flush(uint32_t va, uint32_t how)
{
	if (how == F_INVLPG)
		invlpg(va);
	else if (how == F_RELOAD)
		write_cr3(read_cr3());
}

static const char *with_prefix(const char *name)
{
	static char buf[160];

	snprintf(buf, sizeof(buf), "%s%s", prefix, name);
	return buf;
}

static void page_fault(struct trap_frame *f)
{
	uint32_t cr2 = read_cr2();

	if ((f->cs & 3) != 3)
		panic("kernel #PF at %08x, cr2 %08x", f->eip, cr2);
	if (cr2 >= REG_D && cr2 < REG_D + LARGE_PAGE_SIZE && !in_helper) {
		uint32_t *pe = pte_ptr(pd_main, cr2);

		if (*pe & PTE_P || demand_next >= LFRAME1)
			panic("demand fault at %08x, pte %08x", cr2, *pe);
		memset((void *)demand_next, 0, PAGE_SIZE);
		*pe = demand_next | PURW;
		demand_next += PAGE_SIZE;
		demand_faults++;
		demand_bad += f->err != (PF_U | PF_W);
		return; /* not present -> present: no flush, just retry */
	}
	if ((f->eip == (uint32_t)uwrite_insn ||
	     f->eip == (uint32_t)uread_insn) &&
	    retry_left) {
		retry_left--;
		retries++;
		return; /* run the write again */
	}
	pf_count++;
	pf_err = f->err;
	pf_cr2 = cr2;
	f->eax = MARK;
	if (f->eip == (uint32_t)uread_insn)
		f->eip = (uint32_t)uread_done;
	else if (f->eip == (uint32_t)uwrite_insn)
		f->eip = (uint32_t)uwrite_done;
	else if (f->eip == cr2)
		f->eip = (uint32_t)uexec_fix; /* a fetch from uexec */
	else
		panic("unexpected user #PF at %08x, cr2 %08x, error 0x%x",
		      f->eip, cr2, f->err);
}

static void timer_irq(struct trap_frame *f)
{
	pic_eoi(0);
	if ((f->cs & 3) == 3 && arm_ticks && --arm_ticks == 0) {
		*pte_ptr(cur_pd(), arm_va) = arm_val;
		invlpg(arm_va);
		arm_done = 1;
	}
}

static void switch_process(struct trap_frame *f, int to_helper)
{
	if (to_helper) {
		main_tf = *f;
		*f = helper_tf;
		write_cr3((uint32_t)pd_helper);
	} else {
		helper_tf = *f;
		*f = main_tf;
		write_cr3((uint32_t)pd_main);
	}
	in_helper = to_helper;
}

static void syscall(struct trap_frame *f)
{
	const char *name = (const char *)f->ebx;
	uint32_t *pe;

	switch (f->eax) {
	case SYS_EXIT:
		return_to_kernel(0);
	case SYS_CHECK:
		check_eq(f->ecx, f->edx, with_prefix(name));
		break;
	case SYS_CHECK_LE:
		check(f->ecx <= f->edx, with_prefix(name));
		if (f->ecx > f->edx)
			printf("#   got %u, at most %u allowed\n", f->ecx,
			       f->edx);
		break;
	case SYS_EXPECT_PF:
		if (f->ecx == NOPF) {
			check(pf_count == 0, with_prefix(name));
			if (pf_count)
				printf("#   %u faults, last error 0x%x at "
				       "%08x\n",
				       pf_count, pf_err, pf_cr2);
		} else {
			int ok = pf_count == 1 && pf_err == f->ecx &&
				 pf_cr2 == f->edx;

			check(ok, with_prefix(name));
			if (!ok)
				printf("#   %u faults, error 0x%x at %08x; "
				       "expected 1, 0x%x at %08x\n",
				       pf_count, pf_err, pf_cr2, f->ecx,
				       f->edx);
		}
		pf_count = 0;
		break;
	case SYS_PF_COUNT:
		f->eax = pf_count;
		pf_count = 0;
		break;
	case SYS_PREFIX:
		snprintf(prefix, sizeof(prefix), "%s", name);
		break;
	case SYS_SETPTE:
		pe = pte_ptr(cur_pd(), f->ebx);
		f->eax = *pe;
		*pe = f->ecx;
		do_flush(f->ebx, f->edx);
		break;
	case SYS_SETPDE:
		/* 0 clears the entry; anything else masks the original. */
		pe = &cur_pd()[f->ebx >> 22];
		*pe = f->ecx ? pde_orig[f->ebx >> 22] & f->ecx : 0;
		do_flush(f->ebx, f->edx);
		break;
	case SYS_SETPDE_RAW:
		cur_pd()[f->ebx >> 22] = f->ecx;
		do_flush(f->ebx, f->edx);
		break;
	case SYS_DEMAND:
		f->eax = demand_bad ? 0xbad00000u | demand_bad : demand_faults;
		demand_faults = 0;
		break;
	case SYS_KTOUCH:
		((volatile uint32_t *)f->ebx)[2] =
			((volatile uint32_t *)f->ebx)[0] ^ tag(21) ^ 0x4b4b4b4b;
		break;
	case SYS_KWRITE:
		if (!f->edx)
			write_cr0(read_cr0() & ~CR0_WP);
		((volatile uint32_t *)f->ebx)[1] = f->ecx;
		write_cr0(read_cr0() | CR0_WP);
		break;
	case SYS_PGE:
		write_cr4(f->ebx ? read_cr4() | CR4_PGE
				 : read_cr4() & ~CR4_PGE);
		break;
	case SYS_NEWTABLE: {
		uint32_t *t = page_alloc();

		t[0] = FR(21) | PURW;
		f->eax = (uint32_t)t;
		break;
	}
	case SYS_PEEKP:
		f->eax = *(volatile uint32_t *)f->ebx;
		break;
	case SYS_GETPTE:
		f->eax = *pte_ptr(cur_pd(), f->ebx);
		break;
	case SYS_GETPDE:
		f->eax = cur_pd()[f->ebx >> 22];
		break;
	case SYS_INVLPG:
		invlpg(f->ebx);
		break;
	case SYS_PEEK:
		f->eax = ((volatile uint32_t *)FR(f->ebx))[f->ecx];
		break;
	case SYS_POKE:
		((volatile uint32_t *)FR(f->ebx))[f->ecx] = f->edx;
		break;
	case SYS_RETRY:
		f->eax = retries;
		retries = 0;
		retry_left = f->ebx;
		break;
	case SYS_ARM:
		arm_va = f->ebx;
		arm_val = f->ecx;
		arm_done = 0;
		arm_ticks = f->edx;
		break;
	case SYS_ARM_DONE:
		f->eax = arm_done;
		break;
	case SYS_HELPER:
		helper_cmd = f->ebx;
		helper_a = f->ecx;
		helper_b = f->edx;
		switch_process(f, 1);
		break;
	case SYS_HELPER_GET:
		f->eax = helper_cmd;
		f->ebx = helper_a;
		f->ecx = helper_b;
		break;
	case SYS_HELPER_RET:
		switch_process(f, 0);
		f->eax = helper_tf.ebx;
		break;
	default:
		f->eax = (uint32_t)-1;
		break;
	}
}

static void unexpected(struct trap_frame *f)
{
	panic("exception %u (error 0x%x) at %04x:%08x", f->vector, f->err,
	      f->cs & 0xffff, f->eip);
}

static uint32_t *new_pd(void)
{
	uint32_t *pd = pd_new();

	for (int i = 0; i < 4; i++)
		pd[i] = kpd[i];
	return pd;
}

static void setup(void)
{
	static const uint8_t code[] = {0xb8, 0, 0, 0, 0, 0xc3};
	uint32_t *ts = page_alloc();

	kpd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(kpd, va) |= PTE_U;
	for (uint32_t n = 0; n < NFRAME; n++) {
		uint32_t *fr = (uint32_t *)FR(n);

		memset(fr, 0, PAGE_SIZE);
		fr[0] = 0x7a900000u | n << 4;
	}
	for (uint32_t n = 6; n <= 7; n++) {
		memcpy((void *)FR(n), code, sizeof(code));
		*(uint32_t *)(FR(n) + 1) = n;
	}

	pd_main = new_pd();
	map_page(pd_main, STACK_VA, (uint32_t)page_alloc(), PURW);
	map_page(pd_main, VA(0), 0, 0); /* the tables, entries empty */
	map_page(pd_main, VB(0), 0, 0);
	map_page(pd_main, VD(0), 0, 0);
	map_page(pd_main, UPT_VA, (uint32_t)pte_ptr(pd_main, VA(0)), PURW);
	map_page(pd_main, TOP_VA, 0, 0);
	map_page(pd_main, UPD_VA, (uint32_t)pd_main, PURW);
	pd_main[SHR_1 >> 22] = (uint32_t)ts | PURW;
	pd_main[SHR_2 >> 22] = (uint32_t)ts | PURW;

	pd_helper = new_pd();
	map_page(pd_helper, STACK_VA, (uint32_t)page_alloc(), PURW);
	pd_helper[SHR_H1 >> 22] = (uint32_t)ts | PURW;
	pd_helper[SHR_H2 >> 22] = (uint32_t)ts | PURW;
	ts[0] = FR(14) | PURW;
	/* The kernel's own view of the second 4 MiB frame. */
	pd_main[LFRAME2 >> 22] = LFRAME2 | PTE_P | PTE_W | PTE_PS;
	for (uint32_t k = 0; k < 1024; k++) {
		*(uint32_t *)(LFRAME1 + LOFF(k)) = 0x1a010000u | k;
		*(uint32_t *)(LFRAME2 + LOFF(k)) = 0x1a020000u | k;
	}
	memcpy(pde_orig, pd_main, sizeof(pde_orig));
	/* t_top() installs it: until then the user range ends lower. */
	pd_main[TOP_VA >> 22] = 0;

	memset(&helper_tf, 0, sizeof(helper_tf));
	helper_tf.eip = (uint32_t)helper_proc;
	helper_tf.cs = SEL_UCODE;
	helper_tf.eflags = FL_IF | 0x2;
	helper_tf.user_esp = STACK_TOP;
	helper_tf.user_ss = SEL_UDATA;
	helper_tf.ds = helper_tf.es = helper_tf.fs = helper_tf.gs = SEL_UDATA;
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("ptedit: page-table edits while user code runs\n");
	setup();
	paging_enable(pd_main);
	write_cr0(read_cr0() | CR0_WP);
	for (int v = 0; v < 32; v++)
		trap_set_handler(v, unexpected);
	trap_set_handler(14, page_fault);
	trap_set_handler(IRQ_BASE, timer_irq);
	trap_set_handler(0x80, syscall);
	idt_set_gate(0x80, idt_stub(0x80), GATE_INT32, 3);
	pit_set_hz(HZ);
	pic_set_mask(0xfffe);
	enter_user((uint32_t)main_proc, STACK_TOP, FL_IF | 0x2);
	pic_set_mask(0xffff);
	write_cr3((uint32_t)kpd);
	paging_disable();
}
