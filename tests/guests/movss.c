/*
 * movss - what a load of SS (mov ss, pop ss) does to the debug exceptions
 * of the instruction after it (Intel SDM vol. 3A, 6.8.3 "Masking
 * Exceptions and Interrupts When Switching Stacks"): until the end of
 * that instruction, debug exceptions are blocked. On Intel processors
 *   - an instruction breakpoint on the next instruction does not hit;
 *   - a single-step trap from the load is taken after the next
 *     instruction, in one #DB (EIP past both, DR6.BS);
 *   - a data breakpoint the load itself hits (mov ss from a watched
 *     word) traps after the next instruction too (EIP past both, DR6.Bn).
 * An instruction breakpoint one instruction later hits as usual, which
 * shows the breakpoints are armed.
 *
 * QEMU's TCG reports the instruction breakpoint (kvm-unit-tests' emulator
 * test "#DB suppressed after MOV SS" fails under it), so this guest runs
 * under bt386's engines only; its expected output is what the SDM
 * requires of the modelled Intel CPU: every check passes.
 */
#include "guest.h"

#define DR6_B(n) (1u << (n))
#define DR6_BS (1u << 14)
#define DR7_L(n) (1u << (2 * (n)))
#define DR7_RW(n, rw) ((uint32_t)(rw) << (16 + 4 * (n)))
#define DR7_LEN(n, len) ((uint32_t)(len) << (18 + 4 * (n)))
#define RW_EXEC 0
#define RW_RDWR 3
#define LEN_2 1
#define FL_RF (1u << 16)

static void write_dr(int n, uint32_t v)
{
	switch (n) {
	case 0:
		__asm__ volatile("mov %0, %%dr0" : : "r"(v) : "memory");
		break;
	case 1:
		__asm__ volatile("mov %0, %%dr1" : : "r"(v) : "memory");
		break;
	case 6:
		__asm__ volatile("mov %0, %%dr6" : : "r"(v) : "memory");
		break;
	case 7:
		__asm__ volatile("mov %0, %%dr7" : : "r"(v) : "memory");
		break;
	}
}

static uint32_t read_dr6(void)
{
	uint32_t v;

	__asm__ volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

/* What the #DB handler saw: the first #DB's EIP and DR6, and a count. */
static volatile uint32_t db_count, db_eip, db_dr6;

static void db_handler(struct trap_frame *f)
{
	if (!db_count++) {
		db_eip = f->eip;
		db_dr6 = read_dr6();
	}
	write_dr(6, 0);
	/* No more single steps; an instruction breakpoint resumes with RF. */
	f->eflags = (f->eflags & ~FL_TF) | FL_RF;
}

static void db_reset(void)
{
	db_count = 0;
	db_eip = 0;
	db_dr6 = 0;
	write_dr(6, 0);
}

/* The code under test; labels name the instruction after the load
 * (.._next) and the one after that (.._after). */
static volatile uint16_t ss_word;
void mov_ss_nops(void);
void pop_ss_nops(void);
void mov_ss_from_word(void);
void step_mov_ss(void);
extern uint8_t mov_ss_next[], mov_ss_after[], pop_ss_next[], pop_ss_after[],
	word_next[], word_after[], step_next[], step_after[];
__asm__(".text\n"
	".globl mov_ss_nops\n"
	"mov_ss_nops:\n\t"
	"movw %ss, %ax\n\t"
	"movw %ax, %ss\n"
	".globl mov_ss_next\n"
	"mov_ss_next:\n\t"
	"nop\n"
	".globl mov_ss_after\n"
	"mov_ss_after:\n\t"
	"nop\n\t"
	"ret\n"
	".globl pop_ss_nops\n"
	"pop_ss_nops:\n\t"
	"pushl %ss\n\t"
	"popl %ss\n"
	".globl pop_ss_next\n"
	"pop_ss_next:\n\t"
	"nop\n"
	".globl pop_ss_after\n"
	"pop_ss_after:\n\t"
	"nop\n\t"
	"ret\n"
	".globl mov_ss_from_word\n"
	"mov_ss_from_word:\n\t"
	"movw ss_word, %ss\n"
	".globl word_next\n"
	"word_next:\n\t"
	"nop\n"
	".globl word_after\n"
	"word_after:\n\t"
	"nop\n\t"
	"ret\n"
	/* TF set by popf: the trap comes after the instruction after popf,
	 * which is the mov ss, so after the one after that. */
	".globl step_mov_ss\n"
	"step_mov_ss:\n\t"
	"movw %ss, %ax\n\t"
	"pushfl\n\t"
	"orl $0x100, (%esp)\n\t"
	"popfl\n\t"
	"movw %ax, %ss\n"
	".globl step_next\n"
	"step_next:\n\t"
	"nop\n"
	".globl step_after\n"
	"step_after:\n\t"
	"nop\n\t"
	"ret\n");

static void breakpoint_on(uint32_t addr)
{
	db_reset();
	write_dr(0, addr);
	write_dr(7, DR7_L(0) | DR7_RW(0, RW_EXEC));
}

static void test_instruction_breakpoints(void)
{
	section("instruction breakpoints after a load of SS");
	breakpoint_on((uint32_t)mov_ss_next);
	mov_ss_nops();
	CHECK_EQ(db_count, 0, "mov ss: none on the next instruction");
	breakpoint_on((uint32_t)mov_ss_after);
	mov_ss_nops();
	CHECK_EQ(db_count, 1, "mov ss: one on the instruction after it");
	CHECK_EQ(db_eip, (uint32_t)mov_ss_after, "at that instruction");
	CHECK_EQ(db_dr6 & 0xf, DR6_B(0), "DR6.B0");

	breakpoint_on((uint32_t)pop_ss_next);
	pop_ss_nops();
	CHECK_EQ(db_count, 0, "pop ss: none on the next instruction");
	breakpoint_on((uint32_t)pop_ss_after);
	pop_ss_nops();
	CHECK_EQ(db_count, 1, "pop ss: one on the instruction after it");
	CHECK_EQ(db_eip, (uint32_t)pop_ss_after, "at that instruction");
	write_dr(7, 0);
}

static void test_traps(void)
{
	uint16_t ss;

	section("traps of a load of SS wait one instruction");
	db_reset();
	step_mov_ss();
	CHECK_EQ(db_count, 1, "single step through mov ss: one #DB");
	CHECK_EQ(db_eip, (uint32_t)step_after,
		 "after the instruction that follows mov ss");
	CHECK(db_dr6 & DR6_BS, "DR6.BS");

	__asm__ volatile("movw %%ss, %0" : "=r"(ss));
	ss_word = ss;
	db_reset();
	write_dr(1, (uint32_t)&ss_word);
	write_dr(7, DR7_L(1) | DR7_RW(1, RW_RDWR) | DR7_LEN(1, LEN_2));
	mov_ss_from_word();
	write_dr(7, 0);
	CHECK_EQ(db_count, 1, "mov ss from a watched word: one #DB");
	CHECK_EQ(db_eip, (uint32_t)word_after,
		 "after the instruction that follows mov ss");
	CHECK_EQ(db_dr6 & 0xf, DR6_B(1), "DR6.B1");
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	(void)magic;
	(void)mbi;
	printf("movss: debug exceptions after mov ss / pop ss\n");
	trap_set_handler(1, db_handler);
	test_instruction_breakpoints();
	test_traps();
	trap_set_handler(1, 0);
}
