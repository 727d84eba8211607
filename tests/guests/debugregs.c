/*
 * debugregs - the guest's own debug registers: instruction breakpoints
 * (#DB faults before the instruction, resumed with EFLAGS.RF or by
 * disabling the breakpoint), data breakpoints on writes and on reads and
 * writes (#DB traps after the instruction), DR6.B0-B3, the local and
 * global enables, breakpoints that are set but not enabled, a breakpoint
 * on code that already ran (under --engine=bt it sits in the code cache
 * when DR7 enables the breakpoint) and one in ring 3 (which the
 * translator, or direct execution with --direct-exec, would otherwise
 * run).
 *
 * Every address used is aligned to the breakpoint's length: hardware
 * aligns DRn down to the length, QEMU (the guests' oracle) does not.
 */
#include "guest.h"

#define DR6_B(n) (1u << (n))
#define DR6_BS (1u << 14)
#define DR7_L(n) (1u << (2 * (n)))
#define DR7_G(n) (2u << (2 * (n)))
#define DR7_RW(n, rw) ((uint32_t)(rw) << (16 + 4 * (n)))
#define DR7_LEN(n, len) ((uint32_t)(len) << (18 + 4 * (n)))
#define RW_EXEC 0
#define RW_WRITE 1
#define RW_RDWR 3
#define LEN_1 0
#define LEN_2 1
#define LEN_4 3
#define FL_RF (1u << 16)

#define DEFINE_DR(n)                                                       \
	static inline uint32_t read_dr##n(void)                            \
	{                                                                  \
		uint32_t v;                                                \
		__asm__ volatile("mov %%dr" #n ", %0" : "=r"(v));          \
		return v;                                                  \
	}                                                                  \
	static inline void write_dr##n(uint32_t v)                         \
	{                                                                  \
		__asm__ volatile("mov %0, %%dr" #n : : "r"(v) : "memory"); \
	}
DEFINE_DR(0)
DEFINE_DR(1)
DEFINE_DR(2)
DEFINE_DR(3)
DEFINE_DR(6)
DEFINE_DR(7)

/* What the #DB handler saw. */
static volatile uint32_t db_count, db_eip, db_dr6, db_cs;
/* How the handler resumes after an instruction breakpoint. */
static volatile int db_resume_rf; /* set RF in the frame, else clear DR7 */

static void db_handler(struct trap_frame *f)
{
	db_count++;
	db_eip = f->eip;
	db_cs = f->cs & 0xffff;
	db_dr6 = read_dr6();
	write_dr6(0);
	/* An instruction breakpoint would hit again on return: either RF
	 * in the frame or a disabled breakpoint lets the instruction run. */
	if (db_resume_rf)
		f->eflags |= FL_RF;
	else
		write_dr7(0);
}

static void db_reset(int resume_rf)
{
	db_count = 0;
	db_eip = 0;
	db_dr6 = 0;
	db_cs = 0;
	db_resume_rf = resume_rf;
	write_dr6(0);
}

/* The code under the breakpoints, with labels at each instruction. */
uint32_t bp_target(uint32_t x);
extern uint8_t bp_target_2nd[];
__asm__(".text\n"
	".globl bp_target\n"
	"bp_target:\n\t"
	"movl 4(%esp), %eax\n"
	"bp_target_2nd:\n\t"
	"addl $0x100, %eax\n\t"
	"ret\n");

static volatile uint32_t watched __attribute__((aligned(8)));
static volatile uint32_t other __attribute__((aligned(8)));

/* Write `v` to `watched`; the labels bracket the store. */
void store_watched(uint32_t v);
extern uint8_t store_watched_after[];
__asm__(".text\n"
	".globl store_watched\n"
	"store_watched:\n\t"
	"movl 4(%esp), %eax\n\t"
	"movl %eax, watched\n"
	"store_watched_after:\n\t"
	"ret\n");

uint32_t load_watched(void);
extern uint8_t load_watched_after[];
__asm__(".text\n"
	".globl load_watched\n"
	"load_watched:\n\t"
	"movl watched, %eax\n"
	"load_watched_after:\n\t"
	"ret\n");

void push_watched(void);
extern uint8_t push_watched_after[];
__asm__(".text\n"
	".globl push_watched\n"
	"push_watched:\n\t"
	"pushl watched\n"
	"push_watched_after:\n\t"
	"popl %eax\n\t"
	"ret\n");

static void test_instruction(void)
{
	uint32_t r;

	section("instruction breakpoints");
	/* Run it once first: under the translator it is now in the cache. */
	CHECK_EQ(bp_target(1), 0x101, "the function runs without breakpoints");

	db_reset(1);
	write_dr0((uint32_t)bp_target);
	write_dr7(DR7_L(0) | DR7_RW(0, RW_EXEC) | DR7_LEN(0, LEN_1));
	r = bp_target(2);
	CHECK_EQ(r, 0x102, "the function still computes its result");
	CHECK_EQ(db_count, 1, "one #DB, resumed with RF");
	CHECK_EQ(db_eip, (uint32_t)bp_target,
		 "#DB is a fault: EIP = the target");
	CHECK_EQ(db_dr6 & 0xf, DR6_B(0), "DR6.B0 set");
	CHECK(!(db_dr6 & DR6_BS), "DR6.BS clear");
	r = bp_target(3);
	CHECK_EQ(db_count, 2, "the breakpoint hits again on the next call");
	write_dr7(0);

	db_reset(0);
	write_dr3((uint32_t)bp_target_2nd);
	write_dr7(DR7_G(3) | DR7_RW(3, RW_EXEC));
	r = bp_target(4);
	CHECK_EQ(r, 0x104, "global enable: the function computes its result");
	CHECK_EQ(db_count, 1, "one #DB, resumed by clearing DR7");
	CHECK_EQ(db_eip, (uint32_t)bp_target_2nd,
		 "a breakpoint on an instruction inside the function");
	CHECK_EQ(db_dr6 & 0xf, DR6_B(3), "DR6.B3 set");
	CHECK_EQ(read_dr7() & 0xff, 0, "the handler disabled it");

	db_reset(1);
	write_dr1((uint32_t)bp_target);
	write_dr7(DR7_RW(1, RW_EXEC)); /* set, not enabled */
	bp_target(5);
	CHECK_EQ(db_count, 0, "a breakpoint that is not enabled never hits");
	write_dr7(0);
}

static void test_data(void)
{
	section("data breakpoints");
	db_reset(1);
	watched = 0;
	write_dr1((uint32_t)&watched);
	write_dr7(DR7_L(1) | DR7_RW(1, RW_WRITE) | DR7_LEN(1, LEN_4));
	store_watched(0x1234);
	CHECK_EQ(db_count, 1, "a write hits");
	CHECK_EQ(db_eip, (uint32_t)store_watched_after,
		 "#DB is a trap: EIP = the next instruction");
	CHECK_EQ(watched, 0x1234, "the write happened");
	CHECK_EQ(db_dr6 & 0xf, DR6_B(1), "DR6.B1 set");
	(void)load_watched();
	CHECK_EQ(db_count, 1, "a read does not hit a write breakpoint");
	other = 5;
	CHECK_EQ(db_count, 1, "a write elsewhere does not hit");
	*(volatile uint16_t *)((uint32_t)&watched + 2) = 7;
	CHECK_EQ(db_count, 2, "a 2-byte write inside the range hits");
	write_dr7(0);

	db_reset(1);
	write_dr2((uint32_t)&watched);
	write_dr7(DR7_L(2) | DR7_RW(2, RW_RDWR) | DR7_LEN(2, LEN_2));
	(void)load_watched();
	CHECK_EQ(db_count, 1, "read/write breakpoint: a read hits");
	CHECK_EQ(db_eip, (uint32_t)load_watched_after,
		 "read: EIP = the next instruction");
	CHECK_EQ(db_dr6 & 0xf, DR6_B(2), "DR6.B2 set");
	push_watched();
	CHECK_EQ(db_count, 2, "push of the watched word hits");
	CHECK_EQ(db_eip, (uint32_t)push_watched_after,
		 "push: EIP = the next instruction");
	*(volatile uint8_t *)((uint32_t)&watched + 2) = 1;
	CHECK_EQ(db_count, 2, "a byte beyond a 2-byte range does not hit");
	write_dr7(0);

	db_reset(1);
	write_dr0((uint32_t)&watched);
	write_dr1((uint32_t)&other);
	write_dr7(DR7_L(0) | DR7_RW(0, RW_WRITE) | DR7_LEN(0, LEN_4) |
		  DR7_L(1) | DR7_RW(1, RW_WRITE) | DR7_LEN(1, LEN_4));
	other = 1;
	CHECK_EQ(db_dr6 & 0xf, DR6_B(1), "two breakpoints: the second hits");
	store_watched(9);
	CHECK_EQ(db_dr6 & 0xf, DR6_B(0), "two breakpoints: the first hits");
	CHECK_EQ(db_count, 2, "two breakpoints: one #DB each");
	write_dr7(0);
	store_watched(10);
	CHECK_EQ(db_count, 2, "nothing hits once DR7 is clear");
}

/* ---- ring 3 ---- */

enum { SYS_EXIT = 1 };

USER_DATA static uint8_t ustack[1024] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))

void user_prog(void);
extern uint8_t user_prog_bp[];
__asm__(".pushsection .user.text, \"ax\"\n"
	"user_prog:\n\t"
	"movl $20, %ebx\n"
	"user_prog_bp:\n\t"
	"addl $22, %ebx\n\t"
	"movl $1, %eax\n\t" /* SYS_EXIT with EBX */
	"int $0x80\n\t"
	".popsection");

static void sys_handler(struct trap_frame *f)
{
	if (f->eax == SYS_EXIT)
		return_to_kernel((int)f->ebx);
	f->eax = (uint32_t)-1;
}

static void test_user(void)
{
	uint32_t *pd = pd_kernel();
	int r;

	section("ring 3");
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	paging_enable(pd);
	trap_set_handler(0x80, sys_handler);

	/* IF = 1, IOPL = 0: what direct execution runs natively. */
	CHECK_EQ(enter_user((uint32_t)user_prog, USTACK_TOP, 0x202), 42,
		 "the user program runs without breakpoints");
	cli();
	db_reset(1);
	write_dr0((uint32_t)user_prog_bp);
	write_dr7(DR7_L(0) | DR7_RW(0, RW_EXEC));
	r = enter_user((uint32_t)user_prog, USTACK_TOP, 0x202);
	cli();
	CHECK_EQ(r, 42, "with a breakpoint it still computes its result");
	CHECK_EQ(db_count, 1, "one #DB from ring 3");
	CHECK_EQ(db_eip, (uint32_t)user_prog_bp, "at the user instruction");
	CHECK_EQ(db_cs & 3, 3, "the frame's CS is ring 3");
	CHECK_EQ(db_dr6 & 0xf, DR6_B(0), "DR6.B0 set");
	write_dr7(0);
	paging_disable();
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	(void)magic;
	(void)mbi;
	printf("debugregs: DR0-DR7 breakpoints and watchpoints\n");
	trap_set_handler(1, db_handler);
	test_instruction();
	test_data();
	test_user();
	trap_set_handler(1, 0);
}
