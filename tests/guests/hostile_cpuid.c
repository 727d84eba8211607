/*
 * hostile_cpuid - integer instructions whose existence CPUID decides, run
 * from ring 3 and from ring 0: movbe and popcnt (#UD without the feature),
 * lzcnt and tzcnt (without ABM / BMI1 the F3 prefix is ignored and they
 * are bsr / bsf, with other results and flags). The expected outcome is
 * computed from the CPU's own CPUID, so QEMU (whose qemu32 model has none
 * of them) and any CPU model agree with it.
 *
 * bt386's model (a Pentium M) has none of them either: the interpreter
 * and the translator follow it (src/bt/interp_bits.c); direct execution
 * runs them as the host has them, so this guest is an expected failure
 * under --direct-exec only (tests/guests/local.mk, XFAIL_TESTS).
 */
#include "guest.h"

USER_DATA uint8_t ustack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))
USER_DATA uint32_t udata[4];

struct rec {
	int faulted;
	uint32_t vector, eip, result;
};
static struct rec rec;
static int ring0_case;
uint32_t k_saved_esp;

void k_call(void (*fn)(void));
void k_back(void);
__asm__(".text\n"
	"k_call:\n\t"
	"pushl %ebp\n\t"
	"pushl %ebx\n\t"
	"pushl %esi\n\t"
	"pushl %edi\n\t"
	"movl %esp, k_saved_esp\n\t"
	"jmp *20(%esp)\n"
	"k_back:\n\t"
	"movl k_saved_esp, %esp\n\t"
	"popl %edi\n\t"
	"popl %esi\n\t"
	"popl %ebx\n\t"
	"popl %ebp\n\t"
	"ret\n");

static void finish(struct trap_frame *f)
{
	if (ring0_case) {
		f->eip = (uint32_t)k_back;
		return;
	}
	return_to_kernel(1);
}

static void sys_handler(struct trap_frame *f)
{
	rec.result = f->ebx;
	finish(f);
}

static void fault_handler(struct trap_frame *f)
{
	rec.faulted = 1;
	rec.vector = f->vector;
	rec.eip = f->eip;
	finish(f);
}

/* setup, the instruction at NAME, then EAX back through int $0x80. */
#define UINSN(name, setup, insn)                                           \
	void name(void);                                                   \
	__asm__(".pushsection .user.text, \"ax\"\n" #name "_setup:\n\t"    \
		"movl $udata, %esi\n\t"                                    \
		"xorl %eax, %eax\n\t"                                      \
		"xorl %ecx, %ecx\n\t" setup "\n" #name ":\n\t" insn "\n\t" \
		"movl %eax, %ebx\n\t"                                      \
		"movl $1, %eax\n\t"                                        \
		"int $0x80\n\t"                                            \
		"ud2\n\t"                                                  \
		".popsection");                                            \
	void name##_setup(void)

UINSN(i_movbe, "movl $0x11223344, (%esi)", ".byte 0x0f, 0x38, 0xf0, 0x06");
UINSN(i_popcnt, "movl $0xf0f0, %ecx", ".byte 0xf3, 0x0f, 0xb8, 0xc1");
UINSN(i_lzcnt, "movl $1, %ecx", ".byte 0xf3, 0x0f, 0xbd, 0xc1");
/* tzcnt of 1 is 0 with ZF = 1 (the result is zero); bsf of 1 is 0 with
 * ZF = 0 (the source is not zero): EAX gets ZF. */
UINSN(i_tzcnt, "movl $1, %ecx",
      ".byte 0xf3, 0x0f, 0xbc, 0xc1\n\tsetz %al\n\tmovzbl %al, %eax");

enum { EAX, EBX, ECX, EDX };

static int cpuid_bit(uint32_t leaf, int reg, int bit)
{
	uint32_t r[4];

	cpuid(leaf & 0x80000000u, &r[0], &r[1], &r[2], &r[3]);
	if (leaf > r[0])
		return 0;
	cpuid(leaf, &r[0], &r[1], &r[2], &r[3]);
	return (r[reg] >> bit) & 1;
}

static void run(int ring, const char *what, void (*setup)(void),
		void (*fn)(void), int has, uint32_t with, int ud_without,
		uint32_t without)
{
	char name[96];
	int ok;

	memset(&rec, 0, sizeof(rec));
	ring0_case = ring == 0;
	if (ring == 0) {
		k_call(setup);
	} else {
		enter_user((uint32_t)setup, USTACK_TOP, 0x202);
		cli();
	}
	if (has)
		ok = !rec.faulted && rec.result == with;
	else if (ud_without)
		ok = rec.faulted && rec.vector == 6 && rec.eip == (uint32_t)fn;
	else
		ok = !rec.faulted && rec.result == without;
	snprintf(name, sizeof(name), "ring %d %s: %s", ring, what,
		 has ? "as the feature says"
		     : (ud_without ? "#UD (CPUID: absent)"
				   : "the old instruction (CPUID: absent)"));
	CHECK(ok, name);
	if (!ok)
		printf("#   got %s %u at %08x, eax %08x\n",
		       rec.faulted ? "fault" : "no fault", rec.vector, rec.eip,
		       rec.result);
}

static void setup_address_space(void)
{
	uint32_t *pd = pd_kernel();

	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	paging_enable(pd);
}

void guest_main(uint32_t magic, struct mb_info *info)
{
	int movbe = cpuid_bit(1, ECX, 22), popcnt = cpuid_bit(1, ECX, 23);
	int abm = cpuid_bit(0x80000001u, ECX, 5), bmi1 = cpuid_bit(7, EBX, 3);

	(void)magic;
	(void)info;
	setup_address_space();
	trap_set_handler(6, fault_handler);
	trap_set_handler(0x80, sys_handler);
	for (int ring = 3; ring >= 0; ring -= 3) {
		run(ring, "movbe", i_movbe_setup, i_movbe, movbe, 0x44332211u,
		    1, 0);
		run(ring, "popcnt", i_popcnt_setup, i_popcnt, popcnt, 8, 1, 0);
		run(ring, "lzcnt", i_lzcnt_setup, i_lzcnt, abm, 31, 0, 0);
		run(ring, "tzcnt", i_tzcnt_setup, i_tzcnt, bmi1, 1, 0, 0);
	}
}
