/*
 * test_de.c - direct execution: small 32-bit user programs run natively
 * through de_run() on a guest with paging and shadow paging.
 *
 * Each test runs in its own process (Check forks). The fixture reserves
 * the low 4 GiB, creates 16 MiB of guest RAM, builds a guest page
 * directory (user code, data, stack, a read-only page, a supervisor page
 * and a not-present page in the region at 4 MiB; a supervisor page at
 * 0xC0000000; a GDT below 4 MiB), starts the shadow and DE, and puts the
 * vCPU at CPL 3 with flat segments. The guest programs are assembled
 * here (.code32 in a data section) and copied to the code page; tests
 * check the exit reason, the registers and memory afterwards.
 *
 * The costs (exit round trip, entry, hidden fault, compute loop against
 * the same bytes run natively in 64-bit mode) are printed on stderr.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cpuid.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "mmu/mem.h"
#include "mmu/shadow.h"
#include "monitor/de.h"
#include "monitor/machine.h"
#include "monitor/monitor.h"

#define S_(x) #x
#define S(x) S_(x)

/* Guest physical / linear layout (no suffixes: used in assembly). */
#define RAM_SIZE (16u << 20)
#define PD 0x10000
#define PT_LOW 0x11000
#define PT_USER 0x12000
#define PT_KERN 0x13000
#define PT_HIGH 0x14000
#define GDT 0x3000
#define CODE 0x400000	/* 4 pages, phys 0x100000 */
#define DATA 0x404000	/* 8 pages, phys 0x104000 */
#define RODATA 0x40c000 /* user read-only */
#define SUPER 0x40d000	/* supervisor */
#define NOTPRESENT 0x40e000
#define STACK_TOP 0x420000 /* 0x410000.. phys 0x110000 */
#define KERN 0xc0000000	   /* supervisor, phys 0x200000 */
#define HIGH 0xc00000	   /* region 3: user, mapped by one test */
#define USER_PHYS 0x100000

#define SEL_UCODE 0x73
#define SEL_UDATA 0x7b
#define SEL_ALT 0x2b /* GDT[5]: data based at DATA */

#define P X86_PTE_P
#define W X86_PTE_W
#define U X86_PTE_U

#define ATTR_CODE 0xcfb /* P DPL3 S code R A, D/B, G */
#define ATTR_DATA 0xcf3 /* P DPL3 S data W A, D/B, G */

/* ---- guest programs ------------------------------------------------------ */

/*
 * Each program is 32-bit code in a data section; GUEST() labels mark the
 * start and points the tests return to (their guest EIP is
 * CODE + label - start). Absolute addresses are guest linear ones.
 */
// clang-format off
#define BEGIN ".pushsection .rodata.de_guest, \"a\"\n.code32\n"
#define END ".code64\n.popsection\n"
#define GUEST(name) ".globl " #name "\n.hidden " #name "\n" #name ":\n"

__asm__(BEGIN
	GUEST(g_regs)
	"add $1, %eax\n"
	"add $2, %ecx\n"
	"add $3, %edx\n"
	"add $4, %ebx\n"
	"add $5, %ebp\n"
	"add $6, %esi\n"
	"add $7, %edi\n"
	"sub $8, %esp\n"
	"std\n"
	"stc\n"
	"int $0x80\n"
	GUEST(g_regs_1)
	"mov %eax, %ebx\n"
	"cld\n"
	"int $0x80\n"
	GUEST(g_regs_2)
	END);

__asm__(BEGIN
	GUEST(g_loop)
	"1: inc %esi\n"
	"int $0x80\n"
	"jmp 1b\n"
	END);

__asm__(BEGIN
	GUEST(g_loop21)
	"1: inc %esi\n"
	"int $0x21\n"
	"jmp 1b\n"
	END);

__asm__(BEGIN
	GUEST(g_pf)
	"mov " S(NOTPRESENT) "+0x10, %eax\n"
	GUEST(g_pf_1)
	"movl $1, " S(NOTPRESENT) "+0x20\n"
	GUEST(g_pf_2)
	"mov " S(RODATA) ", %eax\n"
	GUEST(g_pf_3)
	"movl $5, " S(RODATA) "+4\n"
	GUEST(g_pf_4)
	"mov " S(SUPER) ", %eax\n"
	"int $0x80\n"
	END);

__asm__(BEGIN
	GUEST(g_traps)
	"nop\n"
	"int3\n"
	GUEST(g_traps_1)
	".byte 0xcd, 0x03\n" /* int $3: gas would emit int3 */
	GUEST(g_traps_2)
	"int $0x21\n"
	GUEST(g_traps_3)
	"mov $0x7fffffff, %eax\n"
	"add $1, %eax\n"
	"into\n"
	GUEST(g_traps_4)
	"ud2\n"
	END);

__asm__(BEGIN
	GUEST(g_div)
	"xor %ecx, %ecx\n"
	"mov $1, %eax\n"
	"xor %edx, %edx\n"
	GUEST(g_div_1)
	"div %ecx\n"
	END);

__asm__(BEGIN
	GUEST(g_priv)
	"cli\n"
	GUEST(g_priv_1)
	"hlt\n"
	GUEST(g_priv_2)
	"in $0x60, %al\n"
	GUEST(g_priv_3)
	"out %al, $0x80\n"
	GUEST(g_priv_4)
	"mov " S(KERN) ", %eax\n"
	GUEST(g_priv_5)
	"mov $0x73, %eax\n"
	"mov %eax, %ds\n" /* host GDT[14]: an empty TLS slot */
	END);

/* The sum of ECX..1 into EAX. */
__asm__(BEGIN
	GUEST(g_cpuid)
	"xor %eax, %eax\n"
	GUEST(g_cpuid_0)
	"cpuid\n"
	"int $0x80\n"
	END);

/* A hostile program: far jump to the host's 64-bit code selector, then
 * OR r8-r15 together into DATA (any monitor value left there would show)
 * and trap. */
__asm__(BEGIN
	GUEST(g_escape_regs)
	"movl $1, " S(DATA) "\n" /* map DATA writable first */
	".byte 0xea\n"
	".long " S(CODE) " + (1f - g_escape_regs)\n"
	".word 0x33\n"
	".code64\n"
	"1: mov %r8, %rax\n"
	"or %r9, %rax\n"
	"or %r10, %rax\n"
	"or %r11, %rax\n"
	"or %r12, %rax\n"
	"or %r13, %rax\n"
	"or %r14, %rax\n"
	"or %r15, %rax\n"
	"mov %rax, " S(DATA) "\n"
	"int3\n"
	".code32\n"
	END);

/* Escaped to 64-bit mode, the program jumps above 4 GiB (found by the
 * fuzzer: an lret there popped 0x23:...). */
__asm__(BEGIN
	GUEST(g_escape_high)
	".byte 0xea\n"
	".long " S(CODE) " + (1f - g_escape_high)\n"
	".word 0x33\n"
	".code64\n"
	"1: movabs $0x2300000d44, %rax\n"
	"jmp *%rax\n"
	".code32\n"
	END);

/* Spins until the test writes a non-zero dword at DATA, then sums. */
__asm__(BEGIN
	GUEST(g_sum_gated)
	"1: cmpl $0, " S(DATA) "\n"
	"je 1b\n"
	GUEST(g_sum)
	"xor %eax, %eax\n"
	"1: add %ecx, %eax\n"
	"dec %ecx\n"
	"jnz 1b\n"
	"int $0x80\n"
	END);

/* The same loop with bytes that mean the same in 64-bit mode. */
__asm__(BEGIN
	GUEST(g_sum2)
	"xor %eax, %eax\n"
	"1: add %ecx, %eax\n"
	"sub $1, %ecx\n"
	"jnz 1b\n"
	"int $0x80\n"
	END);

__asm__(BEGIN
	GUEST(g_fpu)
	"movups " S(DATA) ", %xmm0\n"
	"movups " S(DATA) "+16, %xmm7\n"
	"fldl " S(DATA) "+32\n"
	"fldpi\n"
	"ldmxcsr " S(DATA) "+48\n"
	"int $0x80\n"
	"movups %xmm0, " S(DATA) "+64\n"
	"movups %xmm7, " S(DATA) "+80\n"
	"fstpl " S(DATA) "+96\n"
	"fstpl " S(DATA) "+104\n"
	"stmxcsr " S(DATA) "+112\n"
	"int $0x80\n"
	END);

__asm__(BEGIN
	GUEST(g_sse)
	"movaps " S(DATA) "+1, %xmm0\n"
	END);

__asm__(BEGIN
	GUEST(g_seg)
	"mov %ss, %eax\n"
	"mov %eax, %fs\n"
	"mov %fs:" S(DATA) ", %ebx\n"
	"mov $" S(SEL_ALT) ", %eax\n"
	"mov %eax, %gs\n" /* host GDT[5]: the host's flat data */
	"mov %gs:8, %ecx\n"
	"int $0x80\n"
	END);

__asm__(BEGIN
	GUEST(g_fsbase)
	"mov %fs:4, %eax\n"
	"mov %gs:0, %ebx\n"
	"int $0x80\n"
	END);

__asm__(BEGIN
	GUEST(g_step)
	"nop\n"
	GUEST(g_step_1)
	"nop\n"
	"int $0x80\n"
	END);

__asm__(BEGIN
	GUEST(g_ac)
	"pushf\n"
	"orl $0x40000, (%esp)\n"
	"popf\n"
	GUEST(g_ac_1)
	"mov " S(DATA) "+1, %eax\n"
	"int $0x80\n"
	END);

/* [EBP] and [ESP] are mapped before the fast system calls: the host's
 * fast path reads the dword there before anything else. */
__asm__(BEGIN
	GUEST(g_sysenter)
	"mov (%ebp), %esi\n"
	"mov (%esp), %esi\n"
	"mov $0x1234, %eax\n"
	GUEST(g_sysenter_0)
	"sysenter\n"
	GUEST(g_sysenter_1)
	END);

__asm__(BEGIN
	GUEST(g_syscall)
	"mov (%ebp), %esi\n"
	"mov (%esp), %esi\n"
	"mov $0x4321, %eax\n"
	GUEST(g_syscall_0)
	"syscall\n"
	GUEST(g_syscall_1)
	END);

__asm__(BEGIN
	GUEST(g_high)
	"mov " S(HIGH) "+0x10, %eax\n"
	"int $0x80\n"
	END);

__asm__(BEGIN
	GUEST(g_stack)
	"push $0x1234\n"
	"call 1f\n"
	"1: pop %eax\n"
	"pop %ebx\n"
	"int $0x80\n"
	END);

// clang-format on

extern const uint8_t g_regs[], g_regs_1[], g_regs_2[], g_loop[], g_loop21[],
	g_pf[], g_pf_1[], g_pf_2[], g_pf_3[], g_pf_4[], g_traps[], g_traps_1[],
	g_traps_2[], g_traps_3[], g_traps_4[], g_div[], g_div_1[], g_priv[],
	g_priv_1[], g_priv_2[], g_priv_3[], g_priv_4[], g_priv_5[], g_cpuid[],
	g_cpuid_0[], g_sum_gated[], g_sum[], g_sum2[], g_fpu[], g_sse[],
	g_seg[], g_fsbase[], g_step[], g_step_1[], g_ac[], g_ac_1[],
	g_sysenter[], g_sysenter_0[], g_sysenter_1[], g_syscall[],
	g_syscall_0[], g_syscall_1[], g_high[], g_stack[], g_escape_regs[],
	g_escape_high[];

/* g_sum2's loop as a 64-bit function: same loop bytes, then ret. */
static const uint8_t native_sum[] = {
	0x89, 0xf9,	  /* mov %edi, %ecx (the argument) */
	0x31, 0xc0,	  /* xor %eax, %eax */
	0x01, 0xc8,	  /* add %ecx, %eax */
	0x83, 0xe9, 0x01, /* sub $1, %ecx */
	0x75, 0xf9,	  /* jnz */
	0xc3,		  /* ret */
};

/* ---- fixture ---------------------------------------------------------------- */

static struct machine *m;
static struct vcpu *cpu;
static struct de_exit_info info;

static void poke32(uint32_t pa, uint32_t v)
{
	memcpy(m->mem.physmap + pa, &v, 4);
}

static uint32_t peek32(uint32_t pa)
{
	uint32_t v;

	memcpy(&v, m->mem.physmap + pa, 4);
	return v;
}

/* Physical address of a user linear address in the 4 MiB region. */
static uint32_t upa(uint32_t lin)
{
	return USER_PHYS + (lin - CODE);
}

static void map(uint32_t pt, uint32_t lin, uint32_t pa, uint32_t flags)
{
	poke32(pt + ((lin >> 12) & 1023) * 4, pa | flags);
}

static uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned access,
			 unsigned flags)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static void set_seg(int r, uint16_t sel, uint32_t base, uint32_t limit,
		    uint16_t attr)
{
	cpu->seg[r].sel = sel;
	cpu->seg[r].base = base;
	cpu->seg[r].limit = limit;
	cpu->seg[r].attr = attr;
}

static void user_state(void)
{
	memset(cpu->regs, 0, sizeof(cpu->regs));
	cpu->regs[X86_ESP] = STACK_TOP;
	cpu->eflags = X86_FL_FIXED1 | X86_FL_IF;
	cpu->cpl = 3;
	set_seg(X86_CS, SEL_UCODE, 0, 0xffffffff, ATTR_CODE);
	set_seg(X86_SS, SEL_UDATA, 0, 0xffffffff, ATTR_DATA);
	set_seg(X86_DS, SEL_UDATA, 0, 0xffffffff, ATTR_DATA);
	set_seg(X86_ES, SEL_UDATA, 0, 0xffffffff, ATTR_DATA);
	set_seg(X86_FS, 0, 0, 0, 0);
	set_seg(X86_GS, 0, 0, 0, 0);
}

static void setup(void)
{
	char err[300];
	uint64_t d;

	ck_assert_msg(mem_reserve_views(err, sizeof(err)) == 0, "%s", err);
	m = calloc(1, sizeof(*m));
	ck_assert_ptr_nonnull(m);
	m->cpu.machine = m;
	cpu = &m->cpu;
	bus_init(&m->bus);
	ck_assert_msg(mem_init(&m->mem, RAM_SIZE, err, sizeof(err)) == 0, "%s",
		      err);

	/* Page directory. */
	poke32(PD + 0 * 4, PT_LOW | P | W);
	poke32(PD + 1 * 4, PT_USER | P | W | U);
	poke32(PD + 768 * 4, PT_KERN | P | W);
	map(PT_LOW, GDT, GDT, P | W);
	for (uint32_t lin = CODE; lin < RODATA; lin += 4096)
		map(PT_USER, lin, upa(lin), P | W | U);
	map(PT_USER, RODATA, upa(RODATA), P | U);
	map(PT_USER, SUPER, upa(SUPER), P | W);
	for (uint32_t lin = 0x410000; lin < STACK_TOP; lin += 4096)
		map(PT_USER, lin, upa(lin), P | W | U);
	map(PT_KERN, KERN, 0x200000, P | W);

	/* GDT: 5 = data at DATA (DPL 3), 14 = user code, 15 = user data. */
	d = seg_desc(DATA, 0xfff, 0xf3, 0x4);
	memcpy(m->mem.physmap + GDT + 5 * 8, &d, 8);
	d = seg_desc(0, 0xfffff, 0xfb, 0xc);
	memcpy(m->mem.physmap + GDT + 14 * 8, &d, 8);
	d = seg_desc(0, 0xfffff, 0xf3, 0xc);
	memcpy(m->mem.physmap + GDT + 15 * 8, &d, 8);
	cpu->gdtr.base = GDT;
	cpu->gdtr.limit = 16 * 8 - 1;

	cpu->cr0 = X86_CR0_PE | X86_CR0_PG | X86_CR0_WP | X86_CR0_ET |
		   X86_CR0_NE | X86_CR0_MP;
	cpu->cr4 = X86_CR4_PSE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	cpu->cr3 = PD;
	user_state();

	ck_assert_int_eq(shadow_init(m, true), 0);
	ck_assert_msg(de_init(m, err, sizeof(err)) == 0, "%s", err);
}

static void teardown(void)
{
	ck_assert_int_eq(shadow_check(cpu), 0);
}

/* Copy a program to CODE and start there. */
static void load(const uint8_t *start, size_t len)
{
	memcpy(m->mem.physmap + upa(CODE), start, len);
	cpu->eip = CODE;
}

#define LOAD(prog) load(prog, 256)
#define AT(prog, label) (CODE + (uint32_t)((label) - (prog)))

static enum de_exit run(void)
{
	enum de_exit r = de_run(cpu, &info);

	ck_assert_msg(r != DE_EXIT_ERROR, "de_run: %s", cpu->error);
	return r;
}

static double now_s(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

/* ---- registers, system calls ---------------------------------------------- */

START_TEST(test_regs_round_trip)
{
	static const uint32_t in[8] = {0x10,	  0x20, 0x30, 0x40,
				       STACK_TOP, 0x60, 0x70, 0x80};

	LOAD(g_regs);
	memcpy(cpu->regs, in, sizeof(in));
	cpu->eflags |= X86_FL_IOPL; /* virtual: must survive */
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_int_eq(info.syscall, DE_SC_INT);
	ck_assert_int_eq(info.vector, 0x80);
	ck_assert_int_eq(info.insn_len, 2);
	ck_assert_uint_eq(cpu->eip, AT(g_regs, g_regs_1));
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(cpu->regs[i],
				  i == X86_ESP ? in[i] - 8
					       : in[i] + i + 1 - (i > 4));
	ck_assert(cpu->eflags & X86_FL_CF);
	ck_assert(cpu->eflags & X86_FL_DF);
	ck_assert(cpu->eflags & X86_FL_IF);
	ck_assert_uint_eq(cpu->eflags & X86_FL_IOPL, X86_FL_IOPL);
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, SEL_UCODE);
	ck_assert_uint_eq(cpu->seg[X86_DS].sel, SEL_UDATA);

	/* The monitor answers the system call and resumes. */
	cpu->regs[X86_EAX] = 0xcafe;
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_uint_eq(cpu->eip, AT(g_regs, g_regs_2));
	ck_assert_uint_eq(cpu->regs[X86_EBX], 0xcafe);
	ck_assert(!(cpu->eflags & X86_FL_DF));
}
END_TEST

START_TEST(test_syscall_loop)
{
	const int n = 3000;
	struct de_stats st;

	LOAD(g_loop);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
		ck_assert_uint_eq(cpu->eip, CODE + 3);
	}
	ck_assert_uint_eq(cpu->regs[X86_ESI], n);
	de_get_stats(&st);
	ck_assert_uint_eq(st.exits[DE_EXIT_SYSCALL], n);
	ck_assert_uint_eq(st.entries, n);
}
END_TEST

START_TEST(test_monitor_syscalls_not_dispatched)
{
	int fds[2];
	char c = 0;

	LOAD(g_loop);
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	/* SUD is armed on this thread now: the monitor's own calls go
	 * through, raw or through libc. */
	ck_assert_int_eq(syscall(SYS_getpid), getpid());
	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(write(fds[1], "x", 1), 1);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	ck_assert_int_eq(c, 'x');
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_uint_eq(cpu->regs[X86_ESI], 2);
}
END_TEST

/* ---- faults ------------------------------------------------------------------ */

START_TEST(test_page_faults)
{
	LOAD(g_pf);
	ck_assert_int_eq(run(), DE_EXIT_FAULT);
	ck_assert_int_eq(info.vector, X86_EXC_PF);
	ck_assert(info.has_error);
	ck_assert_uint_eq(info.error_code, X86_PF_U);
	ck_assert_uint_eq(cpu->cr2, NOTPRESENT + 0x10);
	ck_assert_uint_eq(cpu->eip, CODE);

	cpu->eip = AT(g_pf, g_pf_1);
	ck_assert_int_eq(run(), DE_EXIT_FAULT);
	ck_assert_uint_eq(info.error_code, X86_PF_U | X86_PF_W);
	ck_assert_uint_eq(cpu->cr2, NOTPRESENT + 0x20);
	ck_assert_uint_eq(cpu->eip, AT(g_pf, g_pf_1));

	/* Read of the read-only page works, the write faults. */
	poke32(upa(RODATA), 0x5150);
	cpu->eip = AT(g_pf, g_pf_2);
	ck_assert_int_eq(run(), DE_EXIT_FAULT);
	ck_assert_uint_eq(cpu->regs[X86_EAX], 0x5150);
	ck_assert_uint_eq(cpu->eip, AT(g_pf, g_pf_3));
	ck_assert_uint_eq(info.error_code, X86_PF_P | X86_PF_W | X86_PF_U);
	ck_assert_uint_eq(cpu->cr2, RODATA + 4);
	ck_assert_uint_eq(peek32(upa(RODATA) + 4), 0);

	/* A supervisor page. */
	cpu->eip = AT(g_pf, g_pf_4);
	ck_assert_int_eq(run(), DE_EXIT_FAULT);
	ck_assert_uint_eq(info.error_code, X86_PF_P | X86_PF_U);
	ck_assert_uint_eq(cpu->cr2, SUPER);
	ck_assert_uint_eq(cpu->eip, AT(g_pf, g_pf_4));
}
END_TEST

START_TEST(test_traps_and_software_interrupts)
{
	LOAD(g_traps);
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_int_eq(info.syscall, DE_SC_INT);
	ck_assert_int_eq(info.vector, X86_EXC_BP);
	ck_assert_int_eq(info.insn_len, 1);
	ck_assert_uint_eq(cpu->eip, AT(g_traps, g_traps_1));

	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_int_eq(info.vector, X86_EXC_BP);
	ck_assert_int_eq(info.insn_len, 2);
	ck_assert_uint_eq(cpu->eip, AT(g_traps, g_traps_2));

	/* int n through a host gate of DPL 0 (#GP(n*8+2) on the host). */
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_int_eq(info.vector, 0x21);
	ck_assert_int_eq(info.insn_len, 2);
	ck_assert_uint_eq(cpu->eip, AT(g_traps, g_traps_3));

	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_int_eq(info.vector, X86_EXC_OF);
	ck_assert_int_eq(info.insn_len, 1);
	ck_assert_uint_eq(cpu->eip, AT(g_traps, g_traps_4));
	ck_assert(cpu->eflags & X86_FL_OF);

	ck_assert_int_eq(run(), DE_EXIT_FAULT);
	ck_assert_int_eq(info.vector, X86_EXC_UD);
	ck_assert(!info.has_error);
	ck_assert_uint_eq(cpu->eip, AT(g_traps, g_traps_4));
}
END_TEST

START_TEST(test_divide_error)
{
	LOAD(g_div);
	ck_assert_int_eq(run(), DE_EXIT_FAULT);
	ck_assert_int_eq(info.vector, X86_EXC_DE);
	ck_assert_uint_eq(cpu->eip, AT(g_div, g_div_1));
	ck_assert_uint_eq(cpu->regs[X86_EAX], 1);
}
END_TEST

static void expect_at(const uint8_t *label, enum de_exit r, int what)
{
	cpu->eip = AT(g_priv, label);
	ck_assert_int_eq(run(), r);
	ck_assert_uint_eq(cpu->eip, AT(g_priv, label));
	if (r == DE_EXIT_FAULT) {
		ck_assert_int_eq(info.vector, what);
		ck_assert(info.has_error);
		ck_assert_uint_eq(info.error_code, 0);
	} else {
		ck_assert_int_eq(info.emulate, what);
	}
	ck_assert(cpu->eflags & X86_FL_IF);
}

START_TEST(test_privileged)
{
	LOAD(g_priv);
	cpu->regs[X86_EAX] = 0x11;
	/* IOPL 0: cli is the guest's #GP(0), so is hlt at any IOPL. */
	expect_at(g_priv, DE_EXIT_FAULT, X86_EXC_GP);
	expect_at(g_priv_1, DE_EXIT_FAULT, X86_EXC_GP);
	/* Port I/O depends on the TSS I/O bitmap: the interpreter decides. */
	expect_at(g_priv_2, DE_EXIT_EMULATE, DE_EMU_GP);
	expect_at(g_priv_3, DE_EXIT_EMULATE, DE_EMU_GP);
	/* Kernel memory: no segment limit stops the access, the user view
	 * has no such page, so the guest sees its own #PF. */
	cpu->eip = AT(g_priv, g_priv_4);
	ck_assert_int_eq(run(), DE_EXIT_FAULT);
	ck_assert_int_eq(info.vector, X86_EXC_PF);
	ck_assert_uint_eq(info.error_code, X86_PF_P | X86_PF_U);
	ck_assert_uint_eq(cpu->cr2, KERN);
	ck_assert_uint_eq(cpu->eip, AT(g_priv, g_priv_4));
	/* A selector the host refuses (its GDT[14] is an empty slot). */
	cpu->eip = AT(g_priv, g_priv_5);
	ck_assert_int_eq(run(), DE_EXIT_EMULATE);
	ck_assert_int_eq(info.emulate, DE_EMU_SELECTOR);
	ck_assert_uint_eq(cpu->eip, AT(g_priv, g_priv_5) + 5);
	ck_assert_uint_eq(cpu->regs[X86_EAX], 0x73);
	ck_assert_uint_eq(info.host_err, 0x70);
	/* IOPL 3: cli is legal for the guest, the monitor emulates it
	 * (it clears the virtual IF; the host's stays set). */
	cpu->eflags |= X86_FL_IOPL;
	expect_at(g_priv, DE_EXIT_EMULATE, DE_EMU_GP);
	/* CR4.PVI: cli would clear VIF. */
	cpu->eflags &= ~X86_FL_IOPL;
	cpu->cr4 |= X86_CR4_PVI;
	expect_at(g_priv, DE_EXIT_EMULATE, DE_EMU_GP);
}
END_TEST

START_TEST(test_user_memory_anywhere)
{
	/* User memory may lie anywhere, above kernel memory too, and may
	 * appear without a CR3 write: a not-present page is the guest's
	 * #PF, the page once mapped is just there. */
	LOAD(g_high);
	ck_assert_int_eq(run(), DE_EXIT_FAULT);
	ck_assert_int_eq(info.vector, X86_EXC_PF);
	ck_assert_uint_eq(info.error_code, X86_PF_U);
	ck_assert_uint_eq(cpu->cr2, HIGH + 0x10);
	ck_assert_uint_eq(cpu->eip, CODE);
	poke32(PD + (HIGH >> 22) * 4, PT_HIGH | P | W | U);
	mmu_frame_written(m, PD + (HIGH >> 22) * 4, 4);
	map(PT_HIGH, HIGH, upa(DATA), P | W | U);
	poke32(upa(DATA) + 0x10, 0xbeef);
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_uint_eq(cpu->regs[X86_EAX], 0xbeef);
}
END_TEST

/* ---- kicks ----------------------------------------------------------------- */

/*
 * Kicks interrupt a guest loop and lose nothing of its state. The guest
 * spins until the test has seen two kicks (so the outcome does not
 * depend on how fast this host runs the loop), then computes a sum,
 * during which more kicks may land.
 */
static volatile int kicker_stop;

static void *kicker(void *arg)
{
	(void)arg;
	while (!kicker_stop) {
		struct timespec ts = {0, 2 * 1000 * 1000};

		nanosleep(&ts, NULL);
		__atomic_store_n(&cpu->kick, 1, __ATOMIC_RELEASE);
		de_kick(cpu);
	}
	return NULL;
}

START_TEST(test_kick_interrupts_loop)
{
	const uint32_t n = 100000000u;
	uint32_t expect = 0, one = 1;
	int got = 0;
	pthread_t t;
	enum de_exit r;

	for (uint32_t i = 1; i <= n; i++)
		expect += i;
	LOAD(g_sum_gated);
	cpu->regs[X86_ECX] = n;
	/* Arm the thread first, so the kicker sees it in DE. */
	cpu->kick = 1;
	ck_assert_int_eq(run(), DE_EXIT_KICK);
	ck_assert_uint_eq(cpu->eip, CODE);
	ck_assert_int_eq(cpu->kick, 0);
	kicker_stop = 0;
	ck_assert_int_eq(pthread_create(&t, NULL, kicker, NULL), 0);
	while ((r = run()) == DE_EXIT_KICK) {
		got++;
		ck_assert_int_eq(cpu->kick, 0);
		if (got == 2)
			memcpy(m->mem.physmap + upa(DATA), &one, 4);
	}
	kicker_stop = 1;
	pthread_join(t, NULL);
	ck_assert_int_eq(r, DE_EXIT_SYSCALL);
	ck_assert_int_ge(got, 2);
	ck_assert_uint_eq(cpu->regs[X86_EAX], expect);
	ck_assert_uint_eq(cpu->regs[X86_ECX], 0);
	fprintf(stderr, "de: %d kicks during a gated %u-iteration loop\n", got,
		n);
}
END_TEST

/* Kicks at random moments, many landing in de_enter's window: every
 * exit is either a kick or a system call, none is lost, none crashes. */
static volatile int stress_stop;

static void *stress_kicker(void *arg)
{
	(void)arg;
	while (!stress_stop) {
		struct timespec ts = {0, 1000 + rand() % 20000};

		nanosleep(&ts, NULL);
		__atomic_store_n(&cpu->kick, 1, __ATOMIC_RELEASE);
		de_kick(cpu);
	}
	return NULL;
}

START_TEST(test_kick_stress)
{
	int syscalls = 0, kicks = 0, other = 0;
	struct de_stats st;
	pthread_t t;

	LOAD(g_loop);
	cpu->kick = 1;
	ck_assert_int_eq(run(), DE_EXIT_KICK); /* arms the thread */
	ck_assert_int_eq(pthread_create(&t, NULL, stress_kicker, NULL), 0);
	/* At least 40000 entries, and on until a kick has come (a host fast
	 * enough to finish them between two kicks must not fail this). */
	for (int i = 0; i < 40000 || (kicks == 0 && i < 40000000); i++) {
		enum de_exit r = de_run(cpu, &info);

		if (r == DE_EXIT_SYSCALL)
			syscalls++;
		else if (r == DE_EXIT_KICK)
			kicks++;
		else
			other++;
	}
	stress_stop = 1;
	pthread_join(t, NULL);
	ck_assert_int_eq(other, 0);
	ck_assert_int_gt(kicks, 0);
	ck_assert_uint_eq(cpu->regs[X86_ESI], (uint32_t)syscalls);
	de_get_stats(&st);
	fprintf(stderr,
		"de: kick stress: %d system calls, %d kicks (%llu in the "
		"entry window)\n",
		syscalls, kicks, (unsigned long long)st.window_kicks);
}
END_TEST

/* ---- signals outside DE ----------------------------------------------- */

static volatile int hook_calls;
static void *hook_bad;
static int *volatile hook_errno;

static bool host_hook(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	hook_errno = &errno; /* thread-local: through the FS base */
	if (sig == SIGSEGV && si->si_addr == hook_bad) {
		uc->uc_mcontext.gregs[REG_RIP] += 2; /* mov (%rcx), %eax */
		hook_calls++;
		return true;
	}
	if (sig == DE_KICK_SIGNAL) {
		hook_calls += 100;
		return true;
	}
	return false;
}

START_TEST(test_host_signals_go_to_hook)
{
	void *bad =
		mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ck_assert(bad != MAP_FAILED);
	LOAD(g_loop);
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	hook_bad = bad;
	de_set_host_signal_hook(host_hook);
	/* A fault in monitor code, after the guest ran (its FS base was
	 * swapped in and out): the hook sees it with the host's TLS. */
	__asm__ volatile("mov %0, %%rcx\n"
			 ".byte 0x8b, 0x01\n" ::"r"(bad)
			 : "rcx", "rax", "memory");
	ck_assert_int_eq(hook_calls, 1);
	/* A kick while the monitor runs. */
	syscall(SYS_tgkill, getpid(), gettid(), DE_KICK_SIGNAL);
	ck_assert_int_eq(hook_calls, 101);
	ck_assert_ptr_eq(hook_errno, &errno);
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_uint_eq(cpu->regs[X86_ESI], 2);
}
END_TEST

/* ---- FPU --------------------------------------------------------------------- */

START_TEST(test_fpu_preserved)
{
	static const uint32_t x0[4] = {0x11111111, 0x22222222, 0x33333333,
				       0x44444444};
	static const uint32_t x7[4] = {0xdeadbeef, 0x0badf00d, 0x12345678,
				       0x9abcdef0};
	double d = 2.718281828459045, out[2];
	uint32_t mxcsr = 0x3f80, host_mxcsr; /* round down */
	volatile double a = 1.0, b = 10.0;
	double s;

	memcpy(m->mem.physmap + upa(DATA), x0, 16);
	memcpy(m->mem.physmap + upa(DATA) + 16, x7, 16);
	memcpy(m->mem.physmap + upa(DATA) + 32, &d, 8);
	memcpy(m->mem.physmap + upa(DATA) + 48, &mxcsr, 4);
	LOAD(g_fpu);
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);

	/* The monitor uses floating point meanwhile, with its own
	 * rounding: 1/3 rounds to nearest, not down. */
	__asm__ volatile("stmxcsr %0" : "=m"(host_mxcsr));
	ck_assert_uint_eq(host_mxcsr & ~0x3fu, 0x1f80);
	s = sin(a / b) + cos(b);
	ck_assert(fabs(s - (sin(0.1) + cos(10.0))) < 1e-15);
	ck_assert(a / b == 0x1.999999999999ap-4);
	__asm__ volatile("pcmpeqb %%xmm0, %%xmm0\n"
			 "pcmpeqb %%xmm7, %%xmm7\n"
			 "fld1\n"
			 "fstp %%st(0)" ::
				 : "xmm0", "xmm7");

	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_mem_eq(m->mem.physmap + upa(DATA) + 64, x0, 16);
	ck_assert_mem_eq(m->mem.physmap + upa(DATA) + 80, x7, 16);
	memcpy(out, m->mem.physmap + upa(DATA) + 96, 16);
	ck_assert(out[0] == M_PI);
	ck_assert(out[1] == d);
	ck_assert_uint_eq(peek32(upa(DATA) + 112) & ~0x3fu, 0x3f80);
}
END_TEST

START_TEST(test_sse_alignment_is_guest_gp)
{
	LOAD(g_sse);
	ck_assert_int_eq(run(), DE_EXIT_FAULT);
	ck_assert_int_eq(info.vector, X86_EXC_GP);
	ck_assert(info.has_error);
	ck_assert_uint_eq(info.error_code, 0);
	ck_assert_uint_eq(cpu->eip, CODE);
}
END_TEST

/* ---- segments ---------------------------------------------------------------- */

START_TEST(test_segment_reloads_adopted)
{
	poke32(upa(DATA), 0xf00d);
	poke32(upa(DATA) + 8, 0xface);
	LOAD(g_seg);
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	/* mov ss -> fs copies the guest segment (the host selector is
	 * DE's, the cache the guest's). */
	ck_assert_uint_eq(cpu->seg[X86_FS].sel, SEL_UDATA);
	ck_assert_uint_eq(cpu->seg[X86_FS].attr, ATTR_DATA);
	ck_assert_uint_eq(cpu->regs[X86_EBX], 0xf00d);
	/* mov $0x2b -> gs loaded the host's GDT[5] (flat); the access
	 * faulted, DE loaded the guest's GDT[5] and restarted it. */
	ck_assert_uint_eq(cpu->seg[X86_GS].sel, SEL_ALT);
	ck_assert_uint_eq(cpu->seg[X86_GS].base, DATA);
	ck_assert_uint_eq(cpu->seg[X86_GS].limit, 0xfff);
	ck_assert_uint_eq(cpu->regs[X86_ECX], 0xface);
	/* The guest's Accessed bit was set, as a load does. */
	ck_assert(m->mem.physmap[GDT + 5 * 8 + 5] & 1);
}
END_TEST

START_TEST(test_segment_bases)
{
	poke32(upa(DATA) + 0x104, 0x1234);
	poke32(upa(DATA) + 0x200, 0x5678);
	LOAD(g_fsbase);
	set_seg(X86_FS, 0x33, DATA + 0x100, 0xfff, 0x4f3);
	set_seg(X86_GS, 0x3b, DATA + 0x200, 0xfffff, 0x4f3);
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_uint_eq(cpu->regs[X86_EAX], 0x1234);
	ck_assert_uint_eq(cpu->regs[X86_EBX], 0x5678);
	ck_assert_uint_eq(cpu->seg[X86_FS].sel, 0x33);
	ck_assert_uint_eq(cpu->seg[X86_GS].base, DATA + 0x200);
}
END_TEST

/* ---- flags ----------------------------------------------------------------- */

START_TEST(test_single_step)
{
	LOAD(g_step);
	cpu->eflags |= X86_FL_TF;
	ck_assert_int_eq(run(), DE_EXIT_FAULT);
	ck_assert_int_eq(info.vector, X86_EXC_DB);
	ck_assert_uint_eq(info.dr6, 0x4000);
	ck_assert_uint_eq(cpu->eip, AT(g_step, g_step_1));
	ck_assert(cpu->eflags & X86_FL_TF);
	cpu->eflags &= ~X86_FL_TF;
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
}
END_TEST

START_TEST(test_alignment_check)
{
	/* CR0.AM clear: the AC the guest sets never checks alignment. */
	LOAD(g_ac);
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert(cpu->eflags & X86_FL_AC);
	/* CR0.AM set: the misaligned load is the guest's #AC. */
	cpu->cr0 |= X86_CR0_AM;
	cpu->eip = AT(g_ac, g_ac_1);
	ck_assert_int_eq(run(), DE_EXIT_FAULT);
	ck_assert_int_eq(info.vector, X86_EXC_AC);
	ck_assert_uint_eq(info.error_code, 0);
	ck_assert_uint_eq(cpu->eip, AT(g_ac, g_ac_1));
}
END_TEST

/*
 * Which of sysenter and syscall enters the host kernel in compatibility
 * mode: sysenter on Intel (and Intel-compatible) CPUs, syscall on AMD
 * and Hygon. The other one is #UD (SIGILL). Both paths are tested on
 * every host: one instruction takes each.
 */
static bool host_vendor_amd(void)
{
	/* The kernel's view of the vendor, independent of de.c's. */
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[256];
	bool amd = false;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "vendor_id", 9)) {
			amd = strstr(line, "AuthenticAMD") ||
			      strstr(line, "HygonGenuine");
			break;
		}
	fclose(f);
	return amd;
}

/* A fast system call in DE: never run by the host, always an exit with
 * the guest's registers (EIP as far as the host leaves it). */
static void check_fast_call(const uint8_t *prog, const uint8_t *at1,
			    enum de_syscall which, bool host_fast_path)
{
	load(prog, 256);
	cpu->regs[X86_EBP] = DATA + 0x40;
	cpu->regs[X86_ESP] = STACK_TOP - 16;
	cpu->regs[X86_EBX] = 0xb0b0b0b0;
	cpu->regs[X86_EDX] = 0xd0d0d0d0;
	cpu->regs[X86_EDI] = 0xd1d1d1d1;
	ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
	ck_assert_int_eq(info.syscall, which);
	ck_assert_int_eq(info.eip_lost, host_fast_path);
	if (host_fast_path)
		/* Left where DE entered: the host discarded it. */
		ck_assert_uint_eq(cpu->eip, CODE);
	else
		ck_assert_uint_eq(cpu->eip, AT(prog, at1));
	ck_assert_uint_eq(cpu->regs[X86_EAX],
			  which == DE_SC_SYSENTER ? 0x1234u : 0x4321u);
	ck_assert_uint_eq(cpu->regs[X86_EBP], DATA + 0x40);
	ck_assert_uint_eq(cpu->regs[X86_EBX], 0xb0b0b0b0u);
	ck_assert_uint_eq(cpu->regs[X86_EDX], 0xd0d0d0d0u);
	ck_assert_uint_eq(cpu->regs[X86_EDI], 0xd1d1d1d1u);
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, SEL_UCODE);
}

START_TEST(test_sysenter)
{
	check_fast_call(g_sysenter, g_sysenter_1, DE_SC_SYSENTER,
			!host_vendor_amd());
}
END_TEST

START_TEST(test_syscall)
{
	check_fast_call(g_syscall, g_syscall_1, DE_SC_SYSCALL,
			host_vendor_amd());
}
END_TEST

/*
 * Guest user cpuid, both ways on a host with CPUID faulting (one way
 * without): with faulting it traps to the monitor (EMULATE at the
 * instruction) while monitor code still gets the host's answer; without
 * it the guest sees the host CPU (a documented hole).
 */
START_TEST(test_cpuid_paths)
{
	unsigned ha, hb, hc, hd, a, b, c, d;
	bool host_has =
		syscall(SYS_arch_prctl, 0x1012 /* ARCH_SET_CPUID */, 1) == 0;

	__cpuid(0, ha, hb, hc, hd);
	LOAD(g_cpuid);
	cpu->kick = 1;
	ck_assert_int_eq(run(), DE_EXIT_KICK); /* arms the thread */
	ck_assert_int_eq(de_cpuid_faulting(), host_has);
	for (int pass = 0; pass < 2; pass++) {
		de_set_cpuid_faulting(pass == 0);
		ck_assert_int_eq(de_cpuid_faulting(), pass == 0 && host_has);
		cpu->eip = CODE;
		if (de_cpuid_faulting()) {
			ck_assert_int_eq(run(), DE_EXIT_EMULATE);
			ck_assert_int_eq(info.emulate, DE_EMU_GP);
			ck_assert_uint_eq(cpu->eip, AT(g_cpuid, g_cpuid_0));
			__cpuid(0, a, b, c, d);
			ck_assert_uint_eq(a, ha);
			ck_assert_uint_eq(b, hb);
			ck_assert_uint_eq(c, hc);
			ck_assert_uint_eq(d, hd);
		} else {
			ck_assert_int_eq(run(), DE_EXIT_SYSCALL);
			ck_assert_uint_eq(cpu->regs[X86_EBX], hb);
		}
	}
	de_set_cpuid_faulting(true);
	fprintf(stderr, "de: cpuid: host %s CPUID faulting\n",
		host_has ? "has" : "lacks");
}
END_TEST

/*
 * Guest code that far-jumps to the host's 64-bit code segment finds no
 * monitor value in r8-r15, and DE stops it at its next exit.
 */
START_TEST(test_escape_finds_no_monitor_registers)
{
	uint64_t leak = ~0ull;
	enum de_exit r;

	LOAD(g_escape_regs);
	memcpy(m->mem.physmap + upa(DATA), &leak, 8);
	r = de_run(cpu, &info);
	ck_assert_int_eq(r, DE_EXIT_ERROR);
	ck_assert_msg(strstr(cpu->error, "64-bit"), "%s", cpu->error);
	memcpy(&leak, m->mem.physmap + upa(DATA), 8);
	ck_assert_uint_eq(leak, 0);
}
END_TEST

/* Its fault above 4 GiB is the guest's, not a monitor crash: DE stops the
 * guest (the process used to die of SIGSEGV). */
START_TEST(test_escape_jump_above_4g_stops)
{
	enum de_exit r;

	LOAD(g_escape_high);
	r = de_run(cpu, &info);
	ck_assert_int_eq(r, DE_EXIT_ERROR);
	ck_assert_msg(strstr(cpu->error, "32-bit mode"), "%s", cpu->error);
}
END_TEST

/* The fast path reads [EBP] (sysenter) or [ESP] (syscall) before any
 * filter sees the call; if that faults the kernel returns with EAX =
 * -EFAULT and the guest's registers cannot be recovered: DE must stop
 * cleanly, and the host must not have run anything. */
START_TEST(test_fast_path_unreadable_stack)
{
	bool amd = host_vendor_amd();
	enum de_exit r;

	LOAD(amd ? g_syscall : g_sysenter);
	cpu->eip =
		amd ? AT(g_syscall, g_syscall_0) : AT(g_sysenter, g_sysenter_0);
	cpu->regs[X86_EAX] = SYS_getpid;
	cpu->regs[X86_EBP] = 0x10;
	cpu->regs[X86_ESP] = 0x10;
	r = de_run(cpu, &info);
	ck_assert_int_eq(r, DE_EXIT_ERROR);
	ck_assert(info.fast_path_failed);
	ck_assert_msg(strstr(cpu->error, "fast system-call path"), "%s",
		      cpu->error);
}
END_TEST

START_TEST(test_can_run)
{
	ck_assert(de_can_run(cpu));
	cpu->cpl = 0;
	ck_assert(!de_can_run(cpu));
	cpu->cpl = 3;
	cpu->cr0 |= X86_CR0_TS;
	ck_assert(!de_can_run(cpu));
	cpu->cr0 &= ~X86_CR0_TS;
	cpu->seg[X86_CS].attr &= ~X86_DESC_DB;
	ck_assert(!de_can_run(cpu));
	cpu->seg[X86_CS].attr |= X86_DESC_DB;
	cpu->dr[7] = 1;
	ck_assert(!de_can_run(cpu));
	cpu->dr[7] = 0;
	cpu->eflags |= X86_FL_VM;
	ck_assert(!de_can_run(cpu));
	cpu->eflags &= ~X86_FL_VM;
	ck_assert(de_can_run(cpu));
	/* de_run refuses too, as an instruction to run elsewhere. */
	cpu->cpl = 0;
	LOAD(g_loop);
	ck_assert_int_eq(run(), DE_EXIT_EMULATE);
	ck_assert_int_eq(info.emulate, DE_EMU_SEGMENT);
}
END_TEST

/* ---- costs ------------------------------------------------------------------- */

/*
 * Costs, each the best of several batches (the machine is shared, so
 * the minimum is the cost and the rest is noise). No ck_assert inside
 * timed loops: in fork mode each one talks to the parent process.
 */
#define BATCHES 7

static double best_of(double (*fn)(int), int n)
{
	double best = 1e9;

	for (int b = 0; b < BATCHES; b++) {
		double t = fn(n);

		if (t < best)
			best = t;
	}
	return best;
}

static int bad_exits;

static double time_syscalls(int n)
{
	double t0;

	LOAD(g_loop);
	t0 = now_s();
	for (int i = 0; i < n; i++)
		bad_exits += de_run(cpu, &info) != DE_EXIT_SYSCALL;
	return (now_s() - t0) / n;
}

/* The same, with a new GS base every time (one modify_ldt per entry,
 * as when a guest switches between processes with their own TLS). */
static double time_ldt_writes(int n)
{
	double t0;

	LOAD(g_loop21);
	t0 = now_s();
	for (int i = 0; i < n; i++) {
		set_seg(X86_GS, 0x33, DATA + (i & 1) * 16, 0xfff, 0x4f3);
		bad_exits += de_run(cpu, &info) != DE_EXIT_SYSCALL;
	}
	return (now_s() - t0) / n;
}

static double time_gp_exits(int n)
{
	double t0;

	LOAD(g_loop21);
	t0 = now_s();
	for (int i = 0; i < n; i++)
		bad_exits += de_run(cpu, &info) != DE_EXIT_SYSCALL;
	return (now_s() - t0) / n;
}

static void empty_handler(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
}

/* A host signal to self and back, for comparison (no guest). */
static double time_host_signal(int n)
{
	struct sigaction sa, old;
	sigset_t set;
	double t0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = empty_handler;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGUSR2, &sa, &old);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	t0 = now_s();
	for (int i = 0; i < n; i++)
		raise(SIGUSR2);
	t0 = (now_s() - t0) / n;
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	sigaction(SIGUSR2, &old, NULL);
	return t0;
}

static double time_aborts(int n)
{
	double t0 = now_s();

	for (int i = 0; i < n; i++) {
		cpu->kick = 1;
		bad_exits += de_run(cpu, &info) != DE_EXIT_KICK;
	}
	return (now_s() - t0) / n;
}

static double time_fpu(int n)
{
	double t0 = now_s();

	for (int i = 0; i < n; i++) {
		de_fpu_load_guest();
		de_fpu_save_guest();
	}
	return (now_s() - t0) / n;
}

static double time_compute(int n)
{
	double t0;

	LOAD(g_sum2);
	cpu->regs[X86_ECX] = (uint32_t)n;
	t0 = now_s();
	bad_exits += de_run(cpu, &info) != DE_EXIT_SYSCALL;
	return now_s() - t0;
}

static uint32_t (*native_fn)(uint32_t);
static uint32_t native_res;

static double time_native(int n)
{
	double t0 = now_s();

	native_res = native_fn((uint32_t)n);
	return now_s() - t0;
}

#define FAULT_PAGES 64

static double time_hidden_faults(int n)
{
	uint8_t prog[32], *p = prog;
	double t0, t;

	(void)n;
	/* 1: mov (%esi), %eax; add $0x10000, %esi; loop 1b; int 0x80 */
	*p++ = 0x8b, *p++ = 0x06;
	*p++ = 0x81, *p++ = 0xc6;
	*p++ = 0x00, *p++ = 0x00, *p++ = 0x01, *p++ = 0x00;
	*p++ = 0xe2, *p++ = 0xf6;
	*p++ = 0xcd, *p++ = 0x80;
	load(prog, (size_t)(p - prog));
	/* Warm up the code page and the stack, then drop the data pages. */
	cpu->regs[X86_ECX] = 1;
	cpu->regs[X86_ESI] = DATA;
	bad_exits += de_run(cpu, &info) != DE_EXIT_SYSCALL;
	/* Rewritten without Accessed (as a kernel ages its pages): the
	 * shadow drops them, the loop below faults on each. */
	for (uint32_t i = 0; i < FAULT_PAGES; i++) {
		uint32_t lin = 0x800000 + i * 0x10000;

		map(PT_HIGH, lin, 0x800000 + i * 4096, P | W | U);
		mmu_frame_written(m, PT_HIGH + ((lin >> 12) & 1023) * 4, 4);
	}
	cpu->eip = CODE;
	cpu->regs[X86_ESI] = 0x800000;
	cpu->regs[X86_ECX] = FAULT_PAGES;
	t0 = now_s();
	bad_exits += de_run(cpu, &info) != DE_EXIT_SYSCALL;
	t = now_s() - t0;
	return t / FAULT_PAGES;
}

START_TEST(test_costs)
{
	const int n = 300000000;
	struct de_stats st0, st1;
	double t_native, t_de, t_sys, t_gp, t_sig, t_abort, t_fpu, t_fault,
		t_ldt;
	void *x;

	/* A user region for the hidden faults: one page per 64 KiB, so
	 * that every access is a fault of its own. */
	poke32(PD + 2 * 4, PT_HIGH | P | W | U);
	mmu_frame_written(m, PD + 2 * 4, 4);
	for (uint32_t i = 0; i < FAULT_PAGES; i++)
		map(PT_HIGH, 0x800000 + i * 0x10000, 0x800000 + i * 4096,
		    P | W | U);

	x = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ck_assert(x != MAP_FAILED);
	memcpy(x, native_sum, sizeof(native_sum));
	native_fn = (uint32_t(*)(uint32_t))x;

	t_sys = best_of(time_syscalls, 2000);
	t_gp = best_of(time_gp_exits, 2000);
	de_get_stats(&st0);
	t_ldt = best_of(time_ldt_writes, 2000);
	de_get_stats(&st1);
	ck_assert_uint_eq(st1.ldt_writes - st0.ldt_writes, BATCHES * 2000);
	set_seg(X86_GS, 0, 0, 0, 0);
	t_sig = best_of(time_host_signal, 2000);
	t_abort = best_of(time_aborts, 2000);
	t_fpu = best_of(time_fpu, 2000);
	t_native = best_of(time_native, n);
	t_de = best_of(time_compute, n);
	ck_assert_uint_eq(cpu->regs[X86_EAX], native_res);
	de_get_stats(&st0);
	t_fault = best_of(time_hidden_faults, 0);
	de_get_stats(&st1);
	ck_assert_int_eq(bad_exits, 0);
	ck_assert_uint_ge(st1.hidden_faults - st0.hidden_faults,
			  BATCHES * FAULT_PAGES);

	fprintf(stderr,
		"de: exit round trip (int 0x80, SIGSYS): %.2f us (%.0f/s)\n",
		t_sys * 1e6, 1 / t_sys);
	fprintf(stderr,
		"de: exit round trip (int 0x21, #GP, SIGSEGV): %.2f us\n",
		t_gp * 1e6);
	fprintf(stderr,
		"de: the same with a new GS base each time (modify_ldt): "
		"%.2f us\n",
		t_ldt * 1e6);
	fprintf(stderr,
		"de: for comparison, raise() to an empty handler: %.2f us\n",
		t_sig * 1e6);
	fprintf(stderr,
		"de: de_run without a signal (entry + landing, kick "
		"pending): %.3f us\n",
		t_abort * 1e6);
	fprintf(stderr, "de: FPU switch (xrstor; xsave + reset): %.3f us\n",
		t_fpu * 1e6);
	fprintf(stderr,
		"de: hidden page fault filled in the handler: %.2f us\n",
		t_fault * 1e6);
	fprintf(stderr,
		"de: compute loop, %d iterations: native %.3f s, DE %.3f s "
		"(DE/native %.3f)\n",
		n, t_native, t_de, t_de / t_native);
	/* Speed is the benchmarks' business (bench/run: usercompute); a
	 * timed assertion would fail on a busy machine. */
}
END_TEST

static Suite *de_suite(void)
{
	Suite *s = suite_create("de");
	TCase *tc = tcase_create("de");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_regs_round_trip);
	tcase_add_test(tc, test_syscall_loop);
	tcase_add_test(tc, test_monitor_syscalls_not_dispatched);
	tcase_add_test(tc, test_page_faults);
	tcase_add_test(tc, test_traps_and_software_interrupts);
	tcase_add_test(tc, test_divide_error);
	tcase_add_test(tc, test_privileged);
	tcase_add_test(tc, test_user_memory_anywhere);
	tcase_add_test(tc, test_kick_interrupts_loop);
	tcase_add_test(tc, test_kick_stress);
	tcase_add_test(tc, test_host_signals_go_to_hook);
	tcase_add_test(tc, test_fpu_preserved);
	tcase_add_test(tc, test_sse_alignment_is_guest_gp);
	tcase_add_test(tc, test_segment_reloads_adopted);
	tcase_add_test(tc, test_segment_bases);
	tcase_add_test(tc, test_single_step);
	tcase_add_test(tc, test_alignment_check);
	tcase_add_test(tc, test_sysenter);
	tcase_add_test(tc, test_syscall);
	tcase_add_test(tc, test_cpuid_paths);
	tcase_add_test(tc, test_escape_finds_no_monitor_registers);
	tcase_add_test(tc, test_escape_jump_above_4g_stops);
	tcase_add_test(tc, test_fast_path_unreadable_stack);
	tcase_add_test(tc, test_can_run);
	tcase_add_test(tc, test_costs);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr;
	int failed;

	/* A host without what direct execution needs (named on stderr). */
	if (mon_check_host(ENGINE_BT, true, false) < 0) {
		printf("SKIP: the host cannot run direct execution\n");
		return 77;
	}
	sr = srunner_create(de_suite());

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
