/*
 * hostile_insn - ring 3 floods the guest kernel's entry points and runs
 * privileged instructions (issue 9).
 *
 *   1. floods from ring 3 (IF = 1, IOPL = 0, the PIT interrupting at 1 kHz
 *      in the last round): int $0x80, int3, int $3, into (OF = 1) and
 *      int $0x41 (a DPL 0 gate: #GP(0x20a)), sysenter through the guest's
 *      SYSENTER MSRs and back with sysexit, sysenter with SYSENTER_CS = 0
 *      (#GP(0)), ring 3 hlt (#GP(0)); each counted exactly by the guest's
 *      handlers, the registers of the flooding loop intact;
 *   2. privileged instructions from ring 3, once each: hlt, cli, sti,
 *      lgdt, lidt, lldt, ltr, lmsw, clts, mov to and from CR0/CR2/CR3/CR4,
 *      mov to and from DR7, invd, wbinvd, invlpg, rdmsr, wrmsr, rdpmc
 *      (CR4.PCE = 0), in/out/ins/outs with IOPL 0 and no I/O bitmap,
 *      sysexit: #GP(0) at the instruction, the machine running on.
 *
 * syscall floods and the instructions the modelled CPU lacks are in
 * hostile_model.c (direct execution cannot run them as the model says).
 * EBP holds a readable user address during the floods, as Linux's vDSO
 * leaves it for sysenter: an Intel host's fast system-call path reads the
 * dword at EBP before bt386 sees the call (docs/direct-execution.md).
 */
#include "guest.h"

enum { SYS_EXIT = 1, SYS_COUNT };

#define N_FLOOD 3000
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176

USER_DATA uint8_t ustack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))
USER_DATA uint8_t udata[64];
USER_DATA volatile uint32_t u_regs[6];

static uint8_t sysenter_stack[4096] __attribute__((aligned(16)));

static inline void wrmsr(uint32_t msr, uint32_t lo, uint32_t hi)
{
	__asm__ volatile("wrmsr" : : "c"(msr), "a"(lo), "d"(hi));
}

/* ---- the kernel side ---- */
enum { MODE_ONE, MODE_COUNT };
static int mode;
static volatile uint32_t n_int80, n_int3, n_into, n_gp41, n_gp0, n_ticks,
	n_other;
volatile uint32_t n_sysenter;

struct rec {
	int faulted;
	uint32_t vector, err, eip;
};
static struct rec rec;

static void sys_handler(struct trap_frame *f)
{
	if (f->eax == SYS_COUNT) {
		n_int80++;
		return;
	}
	return_to_kernel(1);
}

/* In MODE_ONE a fault ends the case; in MODE_COUNT the faulting
 * instruction is counted and skipped (its length is known). */
static void fault_handler(struct trap_frame *f)
{
	const uint8_t *p = (const uint8_t *)f->eip;

	if (!(f->cs & 3))
		panic("kernel fault %u (error 0x%x) at %08x", f->vector, f->err,
		      f->eip);
	if (mode == MODE_ONE) {
		rec.faulted = 1;
		rec.vector = f->vector;
		rec.err = f->err;
		rec.eip = f->eip;
		return_to_kernel(2);
	}
	switch (f->vector) {
	case 3:
		n_int3++;
		return; /* a trap: EIP is after it */
	case 4:
		n_into++;
		return;
	case 13:
		if (f->err == 0x41 * 8 + 2 && p[0] == 0xcd) {
			n_gp41++;
			f->eip += 2;
			return;
		}
		if (f->err == 0 && p[0] == 0x0f && p[1] == 0x34) {
			n_gp0++; /* sysenter with SYSENTER_CS = 0 */
			f->eip += 2;
			return;
		}
		if (f->err == 0 && p[0] == 0xf4) {
			n_gp0++; /* hlt */
			f->eip += 1;
			return;
		}
		break;
	}
	n_other++;
	rec.vector = f->vector;
	rec.err = f->err;
	rec.eip = f->eip;
	return_to_kernel(3);
}

static void timer_handler(struct trap_frame *f)
{
	(void)f;
	n_ticks++;
	pic_eoi(0);
}

/* The sysenter entry: count, then back to ring 3 (EDX = EIP, ECX = ESP)
 * with interrupts on, as Linux's entry does. */
void sysenter_entry(void);
__asm__(".text\n"
	"sysenter_entry:\n\t"
	"incl %ss:n_sysenter\n\t"
	"sti\n\t"
	"sysexit\n");

/* ---- the floods (ring 3) ---- */
#define FLOOD(name, body)                                                 \
	void name(void);                                                  \
	__asm__(".pushsection .user.text, \"ax\"\n" #name ":\n\t"         \
		"movl $0x11111111, %ebx\n\t"                              \
		"movl $u_regs + 16, %ebp\n\t"                             \
		"movl (%ebp), %eax\n\t"                                   \
		"movl $0x33333333, %edi\n\t"                              \
		"movl $" #name "_n, %esi\n\t"                             \
		"movl (%esi), %esi\n"                                     \
		"1:\t" body "\n\t"                                        \
		"decl %esi\n\t"                                           \
		"jnz 1b\n\t"                                              \
		"movl %ebx, u_regs\n\t"                                   \
		"movl %ebp, u_regs + 4\n\t"                               \
		"movl %edi, u_regs + 8\n\t"                               \
		"movl $1, %eax\n\t"                                       \
		"int $0x80\n\t"                                           \
		"ud2\n\t"                                                 \
		".popsection\n"                                           \
		".pushsection .user.data, \"aw\"\n" #name "_n: .long 0\n" \
		".popsection")

FLOOD(u_flood_int80, "movl $2, %eax\n\tint $0x80");
FLOOD(u_flood_int3, "int3");
FLOOD(u_flood_int_3, "int $3");
FLOOD(u_flood_into, "movl $0x7fffffff, %eax\n\taddl $1, %eax\n\tinto\n\t"
		    "xorl %eax, %eax\n\tinto");
FLOOD(u_flood_int41, "int $0x41");
FLOOD(u_flood_sysenter, "movl %esp, %ecx\n\tmovl $2f, %edx\n\tsysenter\n"
			"2:");
FLOOD(u_flood_hlt, "hlt");
FLOOD(u_flood_mixed, "movl $2, %eax\n\tint $0x80\n\tint3\n\t"
		     "movl $0x7fffffff, %eax\n\taddl $1, %eax\n\tinto\n\t"
		     "int $0x41\n\t"
		     "movl %esp, %ecx\n\tmovl $2f, %edx\n\tsysenter\n"
		     "2:");
extern uint32_t u_flood_int80_n, u_flood_int3_n, u_flood_int_3_n,
	u_flood_into_n, u_flood_int41_n, u_flood_sysenter_n, u_flood_hlt_n,
	u_flood_mixed_n;

static void reset_counts(void)
{
	n_int80 = n_int3 = n_into = n_gp41 = n_gp0 = n_sysenter = 0;
	n_other = 0;
	u_regs[0] = u_regs[1] = u_regs[2] = 0;
}

static int flood(void (*fn)(void), uint32_t *count, uint32_t n)
{
	int r;

	*count = n;
	mode = MODE_COUNT;
	r = enter_user((uint32_t)fn, USTACK_TOP, 0x202);
	cli();
	mode = MODE_ONE;
	if (r != 1)
		printf("#   unexpected fault %u (error 0x%x) at %08x\n",
		       rec.vector, rec.err, rec.eip);
	return r == 1 && u_regs[0] == 0x11111111u &&
	       u_regs[1] == (uint32_t)&u_regs[4] && u_regs[2] == 0x33333333u;
}

static void report(const char *what, uint32_t got, uint32_t want, int ok)
{
	char name[96];

	snprintf(name, sizeof(name), "%s: %u counted, registers intact", what,
		 want);
	CHECK(ok && got == want && n_other == 0, name);
	if (!(ok && got == want && n_other == 0))
		printf("#   counted %u (other faults %u)\n", got, n_other);
}

static void test_floods(void)
{
	uint32_t a, b, c, d;
	int ok;

	section("floods from ring 3");
	cpuid(1, &a, &b, &c, &d);
	CHECK(d & (1u << 11), "CPUID: SYSENTER/SYSEXIT present");

	wrmsr(MSR_SYSENTER_CS, SEL_KCODE, 0);
	wrmsr(MSR_SYSENTER_ESP, (uint32_t)sysenter_stack + 4096, 0);
	wrmsr(MSR_SYSENTER_EIP, (uint32_t)sysenter_entry, 0);

	reset_counts();
	ok = flood(u_flood_int80, &u_flood_int80_n, N_FLOOD);
	report("int $0x80 x3000", n_int80, N_FLOOD, ok);
	reset_counts();
	ok = flood(u_flood_int3, &u_flood_int3_n, N_FLOOD);
	report("int3 x3000", n_int3, N_FLOOD, ok);
	reset_counts();
	ok = flood(u_flood_int_3, &u_flood_int_3_n, N_FLOOD);
	report("int $3 x3000", n_int3, N_FLOOD, ok);
	reset_counts();
	ok = flood(u_flood_into, &u_flood_into_n, N_FLOOD);
	report("into x3000 with OF = 1 (and x3000 with OF = 0)", n_into,
	       N_FLOOD, ok);
	reset_counts();
	ok = flood(u_flood_int41, &u_flood_int41_n, N_FLOOD);
	report("int $0x41 (DPL 0 gate) x3000: #GP(0x20a)", n_gp41, N_FLOOD, ok);
	reset_counts();
	ok = flood(u_flood_sysenter, &u_flood_sysenter_n, N_FLOOD);
	report("sysenter/sysexit x3000", n_sysenter, N_FLOOD, ok);
	reset_counts();
	ok = flood(u_flood_hlt, &u_flood_hlt_n, N_FLOOD);
	report("hlt x3000: #GP(0)", n_gp0, N_FLOOD, ok);

	wrmsr(MSR_SYSENTER_CS, 0, 0);
	reset_counts();
	ok = flood(u_flood_sysenter, &u_flood_sysenter_n, 1000);
	report("sysenter with SYSENTER_CS = 0 x1000: #GP(0)", n_gp0, 1000, ok);
	wrmsr(MSR_SYSENTER_CS, SEL_KCODE, 0);

	/* Everything at once, with the timer interrupting ring 3. */
	trap_set_handler(IRQ_BASE + 0, timer_handler);
	pit_set_hz(1000);
	pic_set_mask(0xfffe);
	reset_counts();
	n_ticks = 0;
	ok = flood(u_flood_mixed, &u_flood_mixed_n, 2000);
	pic_set_mask(0xffff);
	CHECK(ok && n_int80 == 2000 && n_int3 == 2000 && n_into == 2000 &&
		      n_gp41 == 2000 && n_sysenter == 2000 && n_other == 0,
	      "all of them x2000 with the timer on: each counted exactly");
	if (!(ok && n_int80 == 2000 && n_int3 == 2000 && n_into == 2000 &&
	      n_gp41 == 2000 && n_sysenter == 2000 && n_other == 0))
		printf("#   int80 %u int3 %u into %u gp41 %u sysenter %u other "
		       "%u\n",
		       n_int80, n_int3, n_into, n_gp41, n_sysenter, n_other);
}

/* ---- privileged instructions, once each ---- */
#define UINSN(name, setup, insn)                                              \
	void name(void);                                                      \
	__asm__(".pushsection .user.text, \"ax\"\n" #name "_setup:\n\t" setup \
		"\n"                                                          \
		".globl " #name "\n" #name ":\n\t" insn "\n\t"                \
		"movl $1, %eax\n\t"                                           \
		"int $0x80\n\t"                                               \
		"ud2\n\t"                                                     \
		".popsection");                                               \
	void name##_setup(void)

UINSN(p_hlt, "", "hlt");
UINSN(p_cli, "", "cli");
UINSN(p_sti, "", "sti");
UINSN(p_lgdt, "movl $udata, %esi", "lgdt (%esi)");
UINSN(p_lidt, "movl $udata, %esi", "lidt (%esi)");
UINSN(p_lldt, "xorl %eax, %eax", "lldt %ax");
UINSN(p_ltr, "movl $0x28, %eax", "ltr %ax");
UINSN(p_lmsw, "xorl %eax, %eax", "lmsw %ax");
UINSN(p_clts, "", "clts");
UINSN(p_rd_cr0, "", "movl %cr0, %eax");
UINSN(p_wr_cr0, "xorl %eax, %eax", "movl %eax, %cr0");
UINSN(p_rd_cr2, "", "movl %cr2, %eax");
UINSN(p_wr_cr2, "xorl %eax, %eax", "movl %eax, %cr2");
UINSN(p_rd_cr3, "", "movl %cr3, %eax");
UINSN(p_wr_cr3, "xorl %eax, %eax", "movl %eax, %cr3");
UINSN(p_rd_cr4, "", "movl %cr4, %eax");
UINSN(p_wr_cr4, "xorl %eax, %eax", "movl %eax, %cr4");
UINSN(p_rd_dr7, "", "movl %dr7, %eax");
UINSN(p_wr_dr7, "movl $0x3ff, %eax", "movl %eax, %dr7");
UINSN(p_rd_dr0, "", "movl %dr0, %eax");
UINSN(p_invd, "", "invd");
UINSN(p_wbinvd, "", "wbinvd");
UINSN(p_invlpg, "movl $udata, %esi", "invlpg (%esi)");
UINSN(p_rdmsr, "movl $0x10, %ecx", "rdmsr");
UINSN(p_wrmsr, "movl $0x174, %ecx\n\txorl %eax, %eax\n\txorl %edx, %edx",
      "wrmsr");
UINSN(p_rdpmc, "xorl %ecx, %ecx", "rdpmc");
UINSN(p_inb, "", "inb $0x80, %al");
UINSN(p_inw_dx, "movl $0x3f8, %edx", "inw %dx, %ax");
UINSN(p_outb, "", "outb %al, $0xf4");
UINSN(p_outl_dx, "movl $0xcf8, %edx", "outl %eax, %dx");
UINSN(p_insb, "movl $0x3f8, %edx\n\tmovl $udata, %edi", "insb");
UINSN(p_outsb, "movl $0x3f8, %edx\n\tmovl $udata, %esi", "outsb");
UINSN(p_rep_outsb, "movl $0xf4, %edx\n\tmovl $udata, %esi\n\tmovl $4, %ecx",
      "rep outsb");
UINSN(p_sysexit, "movl %esp, %ecx\n\tmovl $p_sysexit, %edx", "sysexit");

struct pcase {
	const char *name;
	void (*fn)(void);
	void (*setup)(void);
};
#define PCASE(n, f)             \
	{                       \
		n, f, f##_setup \
	}

static const struct pcase priv_cases[] = {
	PCASE("hlt", p_hlt),
	PCASE("cli", p_cli),
	PCASE("sti", p_sti),
	PCASE("lgdt", p_lgdt),
	PCASE("lidt", p_lidt),
	PCASE("lldt", p_lldt),
	PCASE("ltr", p_ltr),
	PCASE("lmsw", p_lmsw),
	PCASE("clts", p_clts),
	PCASE("mov from cr0", p_rd_cr0),
	PCASE("mov to cr0", p_wr_cr0),
	PCASE("mov from cr2", p_rd_cr2),
	PCASE("mov to cr2", p_wr_cr2),
	PCASE("mov from cr3", p_rd_cr3),
	PCASE("mov to cr3", p_wr_cr3),
	PCASE("mov from cr4", p_rd_cr4),
	PCASE("mov to cr4", p_wr_cr4),
	PCASE("mov from dr7", p_rd_dr7),
	PCASE("mov to dr7", p_wr_dr7),
	PCASE("mov from dr0", p_rd_dr0),
	PCASE("invd", p_invd),
	PCASE("wbinvd", p_wbinvd),
	PCASE("invlpg", p_invlpg),
	PCASE("rdmsr", p_rdmsr),
	PCASE("wrmsr SYSENTER_CS", p_wrmsr),
	PCASE("rdpmc with CR4.PCE = 0", p_rdpmc),
	PCASE("inb $0x80", p_inb),
	PCASE("inw (%dx = COM1)", p_inw_dx),
	PCASE("outb to debug-exit", p_outb),
	PCASE("outl to PCI config", p_outl_dx),
	PCASE("insb", p_insb),
	PCASE("outsb", p_outsb),
	PCASE("rep outsb to debug-exit", p_rep_outsb),
	PCASE("sysexit", p_sysexit),
};

static void test_privileged(void)
{
	section("privileged instructions from ring 3: #GP(0)");
	for (unsigned i = 0; i < sizeof(priv_cases) / sizeof(priv_cases[0]);
	     i++) {
		const struct pcase *c = &priv_cases[i];
		char name[96];
		int ok;

		memset(&rec, 0, sizeof(rec));
		mode = MODE_ONE;
		enter_user((uint32_t)c->setup, USTACK_TOP, 0x202);
		cli();
		ok = rec.faulted && rec.vector == 13 && rec.err == 0 &&
		     rec.eip == (uint32_t)c->fn;
		snprintf(name, sizeof(name), "%s", c->name);
		CHECK(ok, name);
		if (!ok)
			printf("#   got %s vector %u err 0x%x at %08x (insn at "
			       "%08x)\n",
			       rec.faulted ? "fault" : "no fault", rec.vector,
			       rec.err, rec.eip, (uint32_t)c->fn);
	}
	CHECK_EQ(read_cr4() & (1u << 8), 0, "CR4.PCE is clear");
}

static void setup_address_space(void)
{
	uint32_t *pd = pd_kernel();

	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(pd, va) |= PTE_U;
	paging_enable(pd);
	write_cr0(read_cr0() | CR0_WP);
}

void guest_main(uint32_t magic, struct mb_info *info)
{
	(void)magic;
	(void)info;
	setup_address_space();
	for (int v = 0; v < 32; v++)
		trap_set_handler(v, fault_handler);
	trap_set_handler(0x80, sys_handler);
	test_floods();
	test_privileged();
}
