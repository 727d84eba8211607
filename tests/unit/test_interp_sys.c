/*
 * test_interp_sys.c - the interpreter's system half: real-mode and
 * protected-mode interrupts, privilege changes, IRET, selector faults and
 * their error codes, call gates, far returns, task switches, virtual-8086
 * mode, control registers, the virtual CPU model (CPUID, MSRs, TSC),
 * SYSENTER/SYSEXIT and port I/O permission.
 *
 * Each test writes a tiny program and its descriptor tables into guest RAM
 * (paging off, so physical = linear) and runs it with the interpreter.
 * Exception handlers are a `hlt` each, at HANDLERS + 4 * vector, so a test
 * knows which vector was delivered from where the CPU stopped, and reads
 * the frame (error code, EIP, CS, EFLAGS, ESP, SS) from the handler's
 * stack.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "bt/cpu_model.h"
#include "bt/interp.h"
#include "bt/interp_priv.h"
#include "monitor/machine.h"

#define MEM_SIZE (4u << 20)

/* Guest layout. */
#define GDT_BASE 0x1000u
#define IDT_BASE 0x2000u
#define TSS2_BASE 0x4000u
#define HANDLERS 0x6000u /* vector v: hlt at HANDLERS + 4 * v */
#define CODE0 0x6800u	 /* ring-0 test code */
#define CODE3 0x7000u	 /* ring-3 test code */
#define STACK0 0x9000u
#define STACK3 0xb000u
#define TSS_BASE 0x10000u
#define IOMAP_OFF 0x68u
#define TSS_LIMIT (IOMAP_OFF + 8192u) /* bitmap + the final 0xff byte */

#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1b
#define SEL_UDATA 0x23
#define SEL_TSS 0x28
#define SEL_CALLGATE 0x33 /* GDT[6], DPL 3 */
#define SEL_TSS2 0x38
#define SEL_NP_DATA 0x40    /* not present */
#define SEL_CONFORMING 0x48 /* DPL 0 conforming code */
#define SEL_LDT 0x50
#define LDT_BASE 0x5800u
#define GDT_LIMIT 0x57

static struct machine *m;
static struct vcpu *cpu;

/* ---- guest memory ---------------------------------------------------- */

static void poke(uint32_t pa, const void *p, size_t n)
{
	memcpy(m->mem.physmap + pa, p, n);
}

static void poke16(uint32_t pa, uint16_t v)
{
	poke(pa, &v, 2);
}

static void poke32(uint32_t pa, uint32_t v)
{
	poke(pa, &v, 4);
}

static void poke64(uint32_t pa, uint64_t v)
{
	poke(pa, &v, 8);
}

static uint32_t peek32(uint32_t pa)
{
	uint32_t v;

	memcpy(&v, m->mem.physmap + pa, 4);
	return v;
}

static uint16_t peek16(uint32_t pa)
{
	uint16_t v;

	memcpy(&v, m->mem.physmap + pa, 2);
	return v;
}

static uint64_t peek64(uint32_t pa)
{
	uint64_t v;

	memcpy(&v, m->mem.physmap + pa, 8);
	return v;
}

/* ---- descriptors ----------------------------------------------------- */

/* access: P DPL S type; flags: G D/B (as bits 3 and 2 of the nibble). */
static uint64_t seg_desc(uint32_t base, uint32_t limit, unsigned access,
			 unsigned flags)
{
	return (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)access << 40) |
	       ((uint64_t)((limit >> 16) & 0xf) << 48) |
	       ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56);
}

static uint64_t gate_desc(uint16_t sel, uint32_t off, unsigned type,
			  unsigned dpl, unsigned count)
{
	return (off & 0xffff) | ((uint64_t)sel << 16) |
	       ((uint64_t)(count & 0x1f) << 32) |
	       ((uint64_t)(0x80 | dpl << 5 | type) << 40) |
	       ((uint64_t)(off >> 16) << 48);
}

static void set_gdt(unsigned idx, uint64_t d)
{
	poke64(GDT_BASE + idx * 8, d);
}

static void set_idt(unsigned v, uint64_t d)
{
	poke64(IDT_BASE + v * 8, d);
}

/* Load a segment cache from the GDT as the guest would have. */
static void load_cache(int sreg, uint16_t sel)
{
	uint64_t d = peek64(GDT_BASE + (sel & ~7u));

	interp_seg_from_desc(&cpu->seg[sreg], sel, (uint32_t)d,
			     (uint32_t)(d >> 32));
}

/* ---- machine --------------------------------------------------------- */

static void setup(void)
{
	char err[128];

	m = calloc(1, sizeof(*m));
	ck_assert_ptr_nonnull(m);
	ck_assert_msg(mem_init(&m->mem, MEM_SIZE, err, sizeof(err)) == 0, "%s",
		      err);
	bus_init(&m->bus);
	cpu = &m->cpu;
	cpu->machine = m;
	vcpu_reset(cpu);
}

static void teardown(void)
{
	free(cpu->tlb);
	mem_destroy(&m->mem);
	free(m);
}

/* Real mode at 0000:ip with a stack at 0000:7000. */
static void setup_real(uint16_t ip)
{
	interp_seg_real(cpu, X86_CS, 0);
	cpu->eip = ip;
	cpu->regs[X86_ESP] = 0x7000;
}

/*
 * Flat protected mode at CPL 0 with the GDT, IDT and TSS of the layout
 * above. Every IDT entry is a DPL 0 interrupt gate to its hlt; 0x80 and
 * 0x81 are DPL 3 gates (0x81's handler is an iret).
 */
static void setup_pm(void)
{
	static const uint8_t iret_insn = 0xcf;

	set_gdt(0, 0);
	set_gdt(1, seg_desc(0, 0xfffff, 0x9a, 0xc));
	set_gdt(2, seg_desc(0, 0xfffff, 0x92, 0xc));
	set_gdt(3, seg_desc(0, 0xfffff, 0xfa, 0xc));
	set_gdt(4, seg_desc(0, 0xfffff, 0xf2, 0xc));
	set_gdt(5, seg_desc(TSS_BASE, TSS_LIMIT, 0x8b, 0)); /* busy: loaded */
	set_gdt(6, gate_desc(SEL_KCODE, CODE0, 0xc, 3, 1));
	set_gdt(7, seg_desc(TSS2_BASE, 0x67, 0x89, 0));
	set_gdt(8, seg_desc(0, 0xfffff, 0x12, 0xc)); /* P = 0 data */
	set_gdt(9, seg_desc(0, 0xfffff, 0x9e, 0xc));
	set_gdt(10, seg_desc(LDT_BASE, 0x17, 0x82, 0));
	poke64(LDT_BASE, 0);
	poke64(LDT_BASE + 8, seg_desc(0, 0xfffff, 0xf2, 0xc)); /* sel 0x0f */
	poke64(LDT_BASE + 16, 0);
	cpu->gdtr.base = GDT_BASE;
	cpu->gdtr.limit = GDT_LIMIT;

	for (unsigned v = 0; v < 256; v++) {
		set_idt(v, gate_desc(SEL_KCODE, HANDLERS + 4 * v, 0xe, 0, 0));
		m->mem.physmap[HANDLERS + 4 * v] = 0xf4;
	}
	set_idt(0x80, gate_desc(SEL_KCODE, HANDLERS + 4 * 0x80, 0xe, 3, 0));
	set_idt(0x81, gate_desc(SEL_KCODE, HANDLERS + 4 * 0x81, 0xe, 3, 0));
	poke(HANDLERS + 4 * 0x81, &iret_insn, 1);
	cpu->idtr.base = IDT_BASE;
	cpu->idtr.limit = 256 * 8 - 1;

	/* TSS: ring-0 stack, I/O bitmap denying every port. */
	memset(m->mem.physmap + TSS_BASE, 0, 0x68);
	poke32(TSS_BASE + 4, STACK0);
	poke32(TSS_BASE + 8, SEL_KDATA);
	poke16(TSS_BASE + 0x66, IOMAP_OFF);
	memset(m->mem.physmap + TSS_BASE + IOMAP_OFF, 0xff, 8192 + 1);

	cpu->cr0 = X86_CR0_PE | X86_CR0_ET;
	load_cache(X86_CS, SEL_KCODE);
	load_cache(X86_SS, SEL_KDATA);
	load_cache(X86_DS, SEL_KDATA);
	load_cache(X86_ES, SEL_KDATA);
	load_cache(X86_FS, SEL_KDATA);
	load_cache(X86_GS, SEL_KDATA);
	{
		uint64_t d = peek64(GDT_BASE + SEL_TSS);

		interp_seg_from_desc(&cpu->tr, SEL_TSS, (uint32_t)d,
				     (uint32_t)(d >> 32));
	}
	cpu->eflags = X86_FL_FIXED1;
	cpu->halted = false;
	cpu->regs[X86_ESP] = STACK0;
	cpu->eip = CODE0;
	interp_mode_changed(cpu);
}

static void to_ring3(uint32_t eip)
{
	load_cache(X86_CS, SEL_UCODE);
	load_cache(X86_SS, SEL_UDATA);
	load_cache(X86_DS, SEL_UDATA);
	load_cache(X86_ES, SEL_UDATA);
	cpu->regs[X86_ESP] = STACK3;
	cpu->eip = eip;
	interp_mode_changed(cpu);
	ck_assert_int_eq(cpu->cpl, 3);
}

static void code(uint32_t pa, const uint8_t *bytes, size_t n)
{
	poke(pa, bytes, n);
}

/* Run until hlt; fail on anything else. */
static void run(void)
{
	enum vcpu_exit r = bt_interp_run(cpu, 10000);

	ck_assert_msg(r == VCPU_EXIT_HLT, "exit %d (%s) at %04x:%08x", r,
		      cpu->error, cpu->seg[X86_CS].sel, cpu->eip);
}

static void step(void)
{
	enum vcpu_exit r = bt_interp_step(cpu);

	ck_assert_msg(r == VCPU_EXIT_NONE || r == VCPU_EXIT_HLT,
		      "exit %d (%s) at %04x:%08x", r, cpu->error,
		      cpu->seg[X86_CS].sel, cpu->eip);
}

/* Which exception handler the CPU halted in (-1: none). */
static int halted_vector(void)
{
	uint32_t at = cpu->eip - 1;

	if (cpu->seg[X86_CS].sel != SEL_KCODE || at < HANDLERS ||
	    at >= HANDLERS + 1024 || (at - HANDLERS) % 4)
		return -1;
	return (int)(at - HANDLERS) / 4;
}

static uint32_t stack0(unsigned i)
{
	return peek32(cpu->seg[X86_SS].base + cpu->regs[X86_ESP] + 4 * i);
}

/* Expect exception `vec` with error code `err` raised by the instruction
 * at `eip` of code segment `cs`, delivered at CPL 0. */
static void expect_fault(int vec, uint32_t err, uint16_t cs, uint32_t eip)
{
	ck_assert_int_eq(halted_vector(), vec);
	ck_assert_int_eq(cpu->cpl, 0);
	ck_assert_uint_eq(stack0(0), err);
	ck_assert_uint_eq(stack0(1), eip);
	ck_assert_uint_eq(stack0(2) & 0xffff, cs);
}

/* ---- reset and the CPU model ----------------------------------------- */

START_TEST(test_reset_state)
{
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, 0xf000);
	ck_assert_uint_eq(cpu->seg[X86_CS].base, 0xffff0000u);
	ck_assert_uint_eq(cpu->eip, 0xfff0);
	ck_assert_uint_eq(cpu->regs[X86_EDX], BT_CPU_SIGNATURE);
	ck_assert_uint_eq(cpu->cr0, 0x60000010u);
	ck_assert_uint_eq(cpu->eflags, 2);
	ck_assert_uint_eq(cpu->idtr.limit, 0xffff);
	ck_assert_uint_eq(cpu->dr[7], 0x400);
	ck_assert_int_eq(cpu->cpl, 0);
	ck_assert_uint_eq(cpu->pat, 0x0007040600070406ull);
	/* TSC starts near 0. */
	ck_assert_uint_lt(bt_cpu_tsc(cpu), 1ull << 40);
}
END_TEST

static void cpuid_real(uint32_t leaf, uint32_t r[4])
{
	static const uint8_t prog[] = {
		0x66, 0x0f, 0xa2, /* cpuid (the 66 is harmless) */
		0xf4,		  /* hlt */
	};

	cpu->halted = false;
	code(0x7c00, prog, sizeof(prog));
	setup_real(0x7c00);
	cpu->regs[X86_EAX] = leaf;
	run();
	r[0] = cpu->regs[X86_EAX];
	r[1] = cpu->regs[X86_EBX];
	r[2] = cpu->regs[X86_ECX];
	r[3] = cpu->regs[X86_EDX];
}

START_TEST(test_cpuid)
{
	uint32_t r[4], r2[4];
	char s[49] = {0};

	cpuid_real(0, r);
	ck_assert_uint_eq(r[0], 2);
	memcpy(s, &r[1], 4);
	memcpy(s + 4, &r[3], 4);
	memcpy(s + 8, &r[2], 4);
	ck_assert_str_eq(s, "GenuineIntel");

	cpuid_real(1, r);
	ck_assert_uint_eq(r[0], 0x695);
	ck_assert(r[3] & BT_CPUID_SEP);
	ck_assert(r[3] & BT_CPUID_PSE);
	ck_assert(r[3] & BT_CPUID_SSE2);
	ck_assert(!(r[3] & BT_CPUID_PAE));
	ck_assert(r[3] & BT_CPUID_APIC); /* APIC_BASE.EN is set at reset */
	ck_assert_uint_eq((r[1] >> 8) & 0xff, 8);

	cpuid_real(0x80000000u, r);
	ck_assert_uint_eq(r[0], 0x80000004u);
	for (uint32_t l = 0; l < 3; l++) {
		cpuid_real(0x80000002u + l, r);
		memcpy(s + 16 * l, r, 16);
	}
	ck_assert_str_eq(s, "bt386 virtual CPU");

	/* Beyond the maximum: the highest basic leaf, as Intel does. */
	cpuid_real(2, r);
	cpuid_real(7, r2);
	ck_assert_mem_eq(r, r2, sizeof(r));
	cpuid_real(0x80000008u, r2);
	ck_assert_mem_eq(r, r2, sizeof(r));
}
END_TEST

START_TEST(test_msr)
{
	static const uint8_t prog[] = {
		0xb9, 0x74, 0x01, 0x00, 0x00, /* mov ecx, 0x174 */
		0xb8, 0x08, 0x00, 0x00, 0x00, /* mov eax, 8 */
		0x31, 0xd2,		      /* xor edx, edx */
		0x0f, 0x30,		      /* wrmsr */
		0x31, 0xc0,		      /* xor eax, eax */
		0x0f, 0x32,		      /* rdmsr */
		0xf4,			      /* hlt */
		0xb9, 0x80, 0x00, 0x00, 0xc0, /* mov ecx, 0xc0000080 (EFER) */
		0x0f, 0x32,		      /* rdmsr */
		0xf4,			      /* hlt */
	};

	setup_pm();
	code(CODE0, prog, sizeof(prog));
	run();
	ck_assert_uint_eq(cpu->eip, CODE0 + 19);
	ck_assert_uint_eq(cpu->sysenter_cs, 8);
	ck_assert_uint_eq(cpu->regs[X86_EAX], 8);
	cpu->halted = false;
	run();
	expect_fault(X86_EXC_GP, 0, SEL_KCODE, CODE0 + 24);
}
END_TEST

START_TEST(test_msr_cpl3_and_tsc)
{
	static const uint8_t wr_tsc[] = {
		0xb9, 0x10, 0x00, 0x00, 0x00, /* mov ecx, 0x10 */
		0x31, 0xc0,		      /* xor eax, eax */
		0x31, 0xd2,		      /* xor edx, edx */
		0x0f, 0x30,		      /* wrmsr */
		0x0f, 0x31,		      /* rdtsc */
		0xf4,			      /* hlt */
	};
	uint64_t v;
	uint32_t r[4];

	setup_pm();
	code(CODE0, wr_tsc, sizeof(wr_tsc));
	run();
	ck_assert_uint_eq(cpu->regs[X86_EDX], 0);
	ck_assert_uint_lt(cpu->regs[X86_EAX], 1u << 30);

	/* The same from ring 3: #GP(0) at the wrmsr. */
	setup_pm();
	code(CODE3, wr_tsc, sizeof(wr_tsc));
	to_ring3(CODE3);
	cpu->halted = false;
	run();
	expect_fault(X86_EXC_GP, 0, SEL_UCODE, CODE3 + 9);

	/* Model checks: unknown MSR, bad PAT entry, APIC EN off and on
	 * again (an FSB xAPIC may be re-enabled; SDM 10.4.3). */
	ck_assert(!bt_msr_read(cpu, 0x12345, &v));
	ck_assert(!bt_msr_write(cpu, X86_MSR_PAT, 0x0207040600070406ull));
	ck_assert(bt_msr_read(cpu, X86_MSR_APIC_BASE, &v));
	ck_assert_uint_eq(v, 0xfee00000u | BT_APIC_BASE_BSP | BT_APIC_BASE_EN);
	ck_assert(bt_msr_write(cpu, X86_MSR_APIC_BASE,
			       0xfee00000u | BT_APIC_BASE_BSP));
	ck_assert(bt_msr_read(cpu, X86_MSR_APIC_BASE, &v));
	ck_assert(!(v & BT_APIC_BASE_EN));
	bt_cpuid(cpu, 1, 0, r);
	ck_assert(!(r[3] & BT_CPUID_APIC)); /* CPUID follows EN */
	ck_assert(
		bt_msr_write(cpu, X86_MSR_APIC_BASE,
			     0xfee00000u | BT_APIC_BASE_BSP | BT_APIC_BASE_EN));
	ck_assert(bt_msr_read(cpu, X86_MSR_APIC_BASE, &v));
	ck_assert_uint_eq(v, 0xfee00000u | BT_APIC_BASE_BSP | BT_APIC_BASE_EN);
	bt_cpuid(cpu, 1, 0, r);
	ck_assert(r[3] & BT_CPUID_APIC);

	/* The P6 performance counters: stored, 40 bits, a write
	 * sign-extends bit 31; PerfEvtSel bit 21 is reserved. */
	ck_assert(bt_msr_write(cpu, 0x186, 0x004300c0u));
	ck_assert(bt_msr_read(cpu, 0x186, &v));
	ck_assert_uint_eq(v, 0x004300c0u);
	ck_assert(!bt_msr_write(cpu, 0x187, 1u << 21));
	ck_assert(bt_msr_write(cpu, 0xc1, 0x80000001u));
	ck_assert(bt_msr_read(cpu, 0xc1, &v));
	ck_assert_uint_eq(v, 0xff80000001ull);
	ck_assert(bt_msr_read(cpu, 0xc2, &v));
	ck_assert_uint_eq(v, 0);
}
END_TEST

/* WRMSR to the TSC writes its low half and clears the high one (as on
 * every processor before family 0FH model 03H); RDPMC reads the P6
 * counters as WRMSR left them; MISC_ENABLE says performance monitoring
 * is available. */
START_TEST(test_msr_tsc_rdpmc)
{
	static const uint8_t prog[] = {
		0xb9, 0x10, 0x00, 0x00, 0x00, /* mov ecx, 0x10 */
		0xb8, 0x00, 0x00, 0x00, 0x40, /* mov eax, 0x40000000 */
		0xba, 0x05, 0x00, 0x00, 0x00, /* mov edx, 5 */
		0x0f, 0x30,		      /* wrmsr */
		0x0f, 0x31,		      /* rdtsc */
		0xf4,			      /* hlt */
		0xb9, 0x01, 0x00, 0x00, 0x00, /* mov ecx, 1 */
		0x0f, 0x33,		      /* rdpmc */
		0xf4,			      /* hlt */
		0xb9, 0x02, 0x00, 0x00, 0x00, /* mov ecx, 2 */
		0x0f, 0x33,		      /* rdpmc: #GP(0) */
	};
	uint64_t v;

	setup_pm();
	code(CODE0, prog, sizeof(prog));
	run();
	ck_assert_uint_eq(cpu->eip, CODE0 + 20);
	ck_assert_uint_eq(cpu->regs[X86_EDX], 0);
	ck_assert_uint_ge(cpu->regs[X86_EAX], 0x40000000u);
	ck_assert_uint_lt(cpu->regs[X86_EAX], 0x80000000u);

	ck_assert(bt_msr_write(cpu, 0xc2, 0x87654321u));
	cpu->halted = false;
	run();
	ck_assert_uint_eq(cpu->eip, CODE0 + 28);
	ck_assert_uint_eq(cpu->regs[X86_EAX], 0x87654321u);
	ck_assert_uint_eq(cpu->regs[X86_EDX], 0xff);
	cpu->halted = false;
	run();
	expect_fault(X86_EXC_GP, 0, SEL_KCODE, CODE0 + 33);

	ck_assert(bt_msr_read(cpu, X86_MSR_MISC_ENABLE, &v));
	ck_assert_uint_eq(v & (BT_MISC_PERF_MON | BT_MISC_BTS_UNAVAIL),
			  BT_MISC_PERF_MON | BT_MISC_BTS_UNAVAIL);
	ck_assert(bt_msr_write(cpu, X86_MSR_MISC_ENABLE, 0));
	ck_assert(bt_msr_read(cpu, X86_MSR_MISC_ENABLE, &v));
	ck_assert(v & BT_MISC_PERF_MON); /* read-only */
}
END_TEST

/* The encodings of later CPUs on the model (a Pentium M): lzcnt and
 * tzcnt are bsr and bsf (F3 ignored), popcnt and movbe are #UD. */
START_TEST(test_model_lacks_bit_insns)
{
	static const uint8_t prog[] = {
		0xf3, 0x0f, 0xbd, 0xc1, /* lzcnt eax, ecx: bsr here */
		0xf3, 0x0f, 0xbc, 0xd1, /* tzcnt edx, ecx: bsf here */
		0xf4,			/* hlt */
		0xf3, 0x0f, 0xb8, 0xc1, /* popcnt eax, ecx: #UD */
		0x0f, 0x38, 0xf0, 0x01, /* movbe eax, [ecx]: #UD */
	};

	setup_pm();
	code(CODE0, prog, sizeof(prog));
	cpu->regs[X86_ECX] = 0x00f00010;
	run();
	ck_assert_uint_eq(cpu->regs[X86_EAX], 23); /* highest set bit */
	ck_assert_uint_eq(cpu->regs[X86_EDX], 4);  /* lowest set bit */
	for (uint32_t at = CODE0 + 9; at <= CODE0 + 13; at += 4) {
		cpu->eip = at;
		cpu->halted = false;
		run();
		ck_assert_int_eq(halted_vector(), X86_EXC_UD);
		ck_assert_uint_eq(stack0(0), at); /* no error code */
	}
}
END_TEST

/* ---- real mode ------------------------------------------------------- */

START_TEST(test_real_int_iret)
{
	static const uint8_t prog[] = {
		0xfb,	    /* sti */
		0xcd, 0x21, /* int 0x21 */
		0xf4,	    /* hlt */
	};
	static const uint8_t handler[] = {0xcf}; /* iret */
	uint32_t sp;

	code(0x7c00, prog, sizeof(prog));
	poke32(0x21 * 4, 0x07000100); /* 0700:0100 = linear 0x7100 */
	code(0x7100, handler, sizeof(handler));
	setup_real(0x7c00);
	step(); /* sti */
	ck_assert(cpu->eflags & X86_FL_IF);
	step(); /* int 0x21 */
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, 0x0700);
	ck_assert_uint_eq(cpu->seg[X86_CS].base, 0x7000);
	ck_assert_uint_eq(cpu->eip, 0x100);
	ck_assert(!(cpu->eflags & X86_FL_IF));
	sp = cpu->regs[X86_ESP];
	ck_assert_uint_eq(sp, 0x7000 - 6);
	ck_assert_uint_eq(peek16(sp), 0x7c03);
	ck_assert_uint_eq(peek16(sp + 2), 0);
	ck_assert(peek16(sp + 4) & X86_FL_IF);
	step(); /* iret */
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, 0);
	ck_assert_uint_eq(cpu->eip, 0x7c03);
	ck_assert_uint_eq(cpu->regs[X86_ESP], 0x7000);
	ck_assert(cpu->eflags & X86_FL_IF);
}
END_TEST

START_TEST(test_real_to_protected)
{
	static const uint8_t prog[] = {
		0x0f, 0x01, 0x16, 0x00, 0x7d, /* lgdt [0x7d00] */
		0x0f, 0x20, 0xc0,	      /* mov eax, cr0 */
		0x0c, 0x01,		      /* or al, 1 */
		0x0f, 0x22, 0xc0,	      /* mov cr0, eax */
		0x66, 0xea, 0x20, 0x7c, 0x00, 0x00, 0x08, 0x00, /* jmp 8:7c20 */
	};
	static const uint8_t pm32[] = {
		0x66, 0xb8, 0x10, 0x00, /* mov ax, 0x10 */
		0x8e, 0xd8,		/* mov ds, ax */
		0x8e, 0xd0,		/* mov ss, ax */
		0xf4,			/* hlt */
	};
	uint64_t before = stats.mode_switches;

	setup_pm(); /* only for the tables */
	vcpu_reset(cpu);
	poke16(0x7d00, GDT_LIMIT);
	poke32(0x7d02, GDT_BASE);
	code(0x7c00, prog, sizeof(prog));
	code(0x7c20, pm32, sizeof(pm32));
	setup_real(0x7c00);
	run();
	ck_assert_uint_eq(cpu->eip, 0x7c29);
	ck_assert(vcpu_protected(cpu));
	ck_assert(vcpu_code32(cpu));
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, SEL_KCODE);
	ck_assert_uint_eq(cpu->seg[X86_DS].sel, SEL_KDATA);
	ck_assert_uint_eq(cpu->seg[X86_SS].limit, 0xffffffffu);
	ck_assert_int_eq(cpu->cpl, 0);
	ck_assert_uint_eq(cpu->gdtr.base, GDT_BASE);
	ck_assert_uint_eq(stats.mode_switches, before + 1);
	/* The CPU sets the Accessed bit of the descriptors it loads. */
	ck_assert(peek64(GDT_BASE + SEL_KCODE) & (1ull << 40));
	ck_assert(peek64(GDT_BASE + SEL_KDATA) & (1ull << 40));
}
END_TEST

START_TEST(test_lgdt_operand_size)
{
	static const uint8_t prog[] = {
		0x0f, 0x01, 0x16, 0x00, 0x7d,	    /* lgdt [0x7d00] (o16) */
		0xf4,				    /* hlt */
		0x66, 0x0f, 0x01, 0x16, 0x00, 0x7d, /* lgdtd [0x7d00] */
		0xf4,				    /* hlt */
	};

	poke16(0x7d00, 0x1234);
	poke32(0x7d02, 0xab123456u);
	code(0x7c00, prog, sizeof(prog));
	setup_real(0x7c00);
	run();
	ck_assert_uint_eq(cpu->gdtr.limit, 0x1234);
	ck_assert_uint_eq(cpu->gdtr.base, 0x00123456u);
	cpu->halted = false;
	run();
	ck_assert_uint_eq(cpu->gdtr.base, 0xab123456u);
}
END_TEST

/* ---- protected-mode interrupts --------------------------------------- */

START_TEST(test_int_privilege_change_and_iret)
{
	static const uint8_t prog[] = {
		0xb8, 0x34, 0x12, 0x00, 0x00, /* mov eax, 0x1234 */
		0xcd, 0x81,		      /* int 0x81 */
		0xbb, 0x78, 0x56, 0x00, 0x00, /* mov ebx, 0x5678 */
		0xf4,			      /* hlt (#GP at CPL 3) */
	};
	uint32_t esp;

	setup_pm();
	code(CODE3, prog, sizeof(prog));
	to_ring3(CODE3);
	cpu->eflags |= X86_FL_IF;
	step();
	step(); /* int 0x81 */
	ck_assert_int_eq(cpu->cpl, 0);
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, SEL_KCODE);
	ck_assert_uint_eq(cpu->seg[X86_SS].sel, SEL_KDATA);
	ck_assert_uint_eq(cpu->eip, HANDLERS + 4 * 0x81);
	esp = cpu->regs[X86_ESP];
	ck_assert_uint_eq(esp, STACK0 - 20);
	ck_assert_uint_eq(peek32(esp), CODE3 + 7);
	ck_assert_uint_eq(peek32(esp + 4), SEL_UCODE);
	ck_assert(peek32(esp + 8) & X86_FL_IF);
	ck_assert_uint_eq(peek32(esp + 12), STACK3);
	ck_assert_uint_eq(peek32(esp + 16), SEL_UDATA);
	ck_assert(!(cpu->eflags & X86_FL_IF)); /* interrupt gate */
	step();				       /* iret back to ring 3 */
	ck_assert_int_eq(cpu->cpl, 3);
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, SEL_UCODE);
	ck_assert_uint_eq(cpu->seg[X86_SS].sel, SEL_UDATA);
	ck_assert_uint_eq(cpu->regs[X86_ESP], STACK3);
	ck_assert_uint_eq(cpu->eip, CODE3 + 7);
	ck_assert(cpu->eflags & X86_FL_IF);
	step();
	ck_assert_uint_eq(cpu->regs[X86_EBX], 0x5678);
	/* hlt at CPL 3 is #GP(0), delivered on the ring-0 stack. */
	run();
	expect_fault(X86_EXC_GP, 0, SEL_UCODE, CODE3 + 12);
	ck_assert_uint_eq(cpu->regs[X86_ESP], STACK0 - 24);
}
END_TEST

START_TEST(test_soft_int_gate_checks)
{
	static const uint8_t int30[] = {0xcd, 0x30}; /* DPL 0 gate */
	static const uint8_t int31[] = {0xcd, 0x31}; /* not present */

	setup_pm();
	code(CODE3, int30, sizeof(int30));
	to_ring3(CODE3);
	run();
	expect_fault(X86_EXC_GP, 0x30 * 8 + 2, SEL_UCODE, CODE3);

	setup_pm();
	set_idt(0x31,
		gate_desc(SEL_KCODE, HANDLERS, 0xe, 3, 0) & ~(1ull << 47));
	code(CODE3, int31, sizeof(int31));
	to_ring3(CODE3);
	cpu->halted = false;
	run();
	expect_fault(X86_EXC_NP, 0x31 * 8 + 2, SEL_UCODE, CODE3);

	/* An IDT entry that is not a gate. */
	setup_pm();
	set_idt(0x31, seg_desc(0, 0xfffff, 0x92, 0xc));
	code(CODE0, int31, sizeof(int31));
	run();
	expect_fault(X86_EXC_GP, 0x31 * 8 + 2, SEL_KCODE, CODE0);

	/* Beyond the IDT limit. */
	setup_pm();
	cpu->idtr.limit = 0x30 * 8 + 7;
	code(CODE0, int31, sizeof(int31));
	run();
	expect_fault(X86_EXC_GP, 0x31 * 8 + 2, SEL_KCODE, CODE0);
}
END_TEST

START_TEST(test_selector_faults)
{
	static const uint8_t beyond[] = {
		0x66, 0xb8, 0x5b, 0x00, /* mov ax, 0x5b */
		0x8e, 0xd8,		/* mov ds, ax */
	};
	static const uint8_t dpl[] = {
		0x66, 0xb8, 0x10, 0x00, /* mov ax, 0x10 */
		0x8e, 0xd8,		/* mov ds, ax */
	};
	static const uint8_t np[] = {
		0x66, 0xb8, 0x40, 0x00, /* mov ax, 0x40 */
		0x8e, 0xc0,		/* mov es, ax */
	};
	static const uint8_t ss_rpl[] = {
		0x66, 0xb8, 0x23, 0x00, /* mov ax, 0x23 */
		0x8e, 0xd0,		/* mov ss, ax */
	};

	setup_pm();
	code(CODE0, beyond, sizeof(beyond));
	run();
	expect_fault(X86_EXC_GP, 0x58, SEL_KCODE, CODE0 + 4);

	setup_pm();
	code(CODE3, dpl, sizeof(dpl));
	to_ring3(CODE3);
	cpu->halted = false;
	run();
	expect_fault(X86_EXC_GP, SEL_KDATA, SEL_UCODE, CODE3 + 4);

	setup_pm();
	code(CODE0, np, sizeof(np));
	cpu->halted = false;
	run();
	expect_fault(X86_EXC_NP, SEL_NP_DATA, SEL_KCODE, CODE0 + 4);

	setup_pm();
	code(CODE0, ss_rpl, sizeof(ss_rpl));
	cpu->halted = false;
	run();
	expect_fault(X86_EXC_GP, 0x20, SEL_KCODE, CODE0 + 4);
}
END_TEST

/* ---- far transfers --------------------------------------------------- */

START_TEST(test_call_gate_and_retf)
{
	static const uint8_t prog[] = {
		0x68, 0xfe, 0xca, 0x00, 0x00,		  /* push 0xcafe */
		0x9a, 0x00, 0x00, 0x00, 0x00, 0x33, 0x00, /* call 0x33:0 */
		0x89, 0xc3,				  /* mov ebx, eax */
		0xf4,					  /* hlt */
	};
	static const uint8_t target[] = {
		0x8b, 0x44, 0x24, 0x08, /* mov eax, [esp + 8] */
		0xca, 0x04, 0x00,	/* retf 4 */
	};
	uint32_t esp;

	setup_pm();
	code(CODE3, prog, sizeof(prog));
	code(CODE0, target, sizeof(target));
	to_ring3(CODE3);
	step();
	step(); /* call through the gate */
	ck_assert_int_eq(cpu->cpl, 0);
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, SEL_KCODE);
	ck_assert_uint_eq(cpu->seg[X86_SS].sel, SEL_KDATA);
	ck_assert_uint_eq(cpu->eip, CODE0);
	esp = cpu->regs[X86_ESP];
	ck_assert_uint_eq(esp, STACK0 - 20);
	ck_assert_uint_eq(peek32(esp), CODE3 + 12);
	ck_assert_uint_eq(peek32(esp + 4), SEL_UCODE);
	ck_assert_uint_eq(peek32(esp + 8), 0xcafe); /* the copied parameter */
	ck_assert_uint_eq(peek32(esp + 12), STACK3 - 4);
	ck_assert_uint_eq(peek32(esp + 16), SEL_UDATA);
	step();
	ck_assert_uint_eq(cpu->regs[X86_EAX], 0xcafe);
	step(); /* retf 4 to ring 3 */
	ck_assert_int_eq(cpu->cpl, 3);
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, SEL_UCODE);
	ck_assert_uint_eq(cpu->seg[X86_SS].sel, SEL_UDATA);
	ck_assert_uint_eq(cpu->regs[X86_ESP], STACK3); /* parameter released */
	ck_assert_uint_eq(cpu->eip, CODE3 + 12);
}
END_TEST

START_TEST(test_retf_outer_nulls_data_segments)
{
	static const uint8_t prog[] = {
		0x6a, 0x23,		      /* push 0x23 */
		0x68, 0x00, 0xb0, 0x00, 0x00, /* push 0xb000 */
		0x6a, 0x1b,		      /* push 0x1b */
		0x68, 0x00, 0x70, 0x00, 0x00, /* push 0x7000 */
		0xcb,			      /* retf */
	};

	setup_pm();
	code(CODE0, prog, sizeof(prog));
	for (int i = 0; i < 5; i++)
		step();
	ck_assert_int_eq(cpu->cpl, 3);
	ck_assert_uint_eq(cpu->eip, CODE3);
	ck_assert_uint_eq(cpu->regs[X86_ESP], STACK3);
	ck_assert_uint_eq(cpu->seg[X86_SS].sel, SEL_UDATA);
	/* DS..GS held DPL 0 data: not usable at CPL 3, so null. */
	ck_assert_uint_eq(cpu->seg[X86_DS].sel, 0);
	ck_assert(!(cpu->seg[X86_DS].attr & X86_DESC_P));
	ck_assert_uint_eq(cpu->seg[X86_GS].sel, 0);
}
END_TEST

START_TEST(test_task_switch_call_iret)
{
	static const uint8_t prog[] = {
		0x9a, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00, /* call 0x38:0 */
		0xf4,					  /* hlt */
	};
	static const uint8_t task2[] = {
		0xb8, 0x22, 0x22, 0x00, 0x00, /* mov eax, 0x2222 */
		0xcf,			      /* iretd */
	};

	setup_pm();
	memset(m->mem.physmap + TSS2_BASE, 0, 0x68);
	poke32(TSS2_BASE + 0x20, 0x6c00);    /* eip */
	poke32(TSS2_BASE + 0x24, 0x2);	     /* eflags */
	poke32(TSS2_BASE + 0x38, 0x8800);    /* esp */
	poke16(TSS2_BASE + 0x48, SEL_KDATA); /* es */
	poke16(TSS2_BASE + 0x4c, SEL_KCODE); /* cs */
	poke16(TSS2_BASE + 0x50, SEL_KDATA); /* ss */
	poke16(TSS2_BASE + 0x54, SEL_KDATA); /* ds */
	code(0x6c00, task2, sizeof(task2));
	code(CODE0, prog, sizeof(prog));
	cpu->regs[X86_EAX] = 0x1111;
	step(); /* call to the task */
	ck_assert_uint_eq(cpu->tr.sel, SEL_TSS2);
	ck_assert_uint_eq(cpu->eip, 0x6c00);
	ck_assert_uint_eq(cpu->regs[X86_ESP], 0x8800);
	ck_assert(cpu->eflags & X86_FL_NT);
	ck_assert(cpu->cr0 & X86_CR0_TS);
	ck_assert_uint_eq(peek16(TSS2_BASE), SEL_TSS);	       /* back link */
	ck_assert_uint_eq(peek32(TSS_BASE + 0x20), CODE0 + 7); /* saved EIP */
	ck_assert_uint_eq(peek32(TSS_BASE + 0x28), 0x1111);    /* saved EAX */
	ck_assert(peek64(GDT_BASE + SEL_TSS2) & (2ull << 40)); /* busy */
	ck_assert(peek64(GDT_BASE + SEL_TSS) & (2ull << 40));  /* still busy */
	step();
	step(); /* iret: back through the link */
	ck_assert_uint_eq(cpu->tr.sel, SEL_TSS);
	ck_assert_uint_eq(cpu->eip, CODE0 + 7);
	ck_assert_uint_eq(cpu->regs[X86_EAX], 0x1111);
	ck_assert_uint_eq(cpu->regs[X86_ESP], STACK0);
	ck_assert(!(peek64(GDT_BASE + SEL_TSS2) & (2ull << 40)));
	ck_assert_uint_eq(peek32(TSS2_BASE + 0x28), 0x2222);
	/* A busy TSS cannot be called: #GP(selector). */
	set_gdt(7, seg_desc(TSS2_BASE, 0x67, 0x8b, 0));
	cpu->eip = CODE0;
	run();
	expect_fault(X86_EXC_GP, SEL_TSS2, SEL_KCODE, CODE0);
}
END_TEST

START_TEST(test_task_switch_jmp)
{
	static const uint8_t prog[] = {
		0xea, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00, /* jmp 0x38:0 */
	};
	static const uint8_t hlt = 0xf4;

	setup_pm();
	memset(m->mem.physmap + TSS2_BASE, 0, 0x68);
	poke16(TSS2_BASE, 0x1234); /* a stale link jmp must not touch */
	poke32(TSS2_BASE + 0x20, 0x6c00);
	poke32(TSS2_BASE + 0x24, 0x2 | X86_FL_CF);
	poke32(TSS2_BASE + 0x38, 0x8800);
	poke16(TSS2_BASE + 0x4c, SEL_KCODE);
	poke16(TSS2_BASE + 0x50, SEL_KDATA);
	poke16(TSS2_BASE + 0x54, SEL_NP_DATA); /* DS not present: #NP */
	code(0x6c00, &hlt, 1);
	code(CODE0, prog, sizeof(prog));
	run();
	/* The fault is raised in the new task, after the switch. */
	ck_assert_uint_eq(cpu->tr.sel, SEL_TSS2);
	expect_fault(X86_EXC_NP, SEL_NP_DATA, SEL_KCODE, 0x6c00);
	ck_assert(stack0(3) & X86_FL_CF);    /* the new task's EFLAGS */
	ck_assert(!(stack0(3) & X86_FL_NT)); /* jmp does not nest */
	ck_assert_uint_eq(peek16(TSS2_BASE), 0x1234);
	ck_assert(!(peek64(GDT_BASE + SEL_TSS) & (2ull << 40))); /* not busy */
	ck_assert(peek64(GDT_BASE + SEL_TSS2) & (2ull << 40));
	ck_assert_uint_eq(peek32(TSS_BASE + 0x20), CODE0 + 7);
}
END_TEST

/* A switch to a 16-bit (286) TSS loads the 16-bit registers; the upper
 * halves are "modified and not maintained" (SDM): all ones, as on the
 * 386 and in Bochs (test386.asm checks it), never the old task's. */
START_TEST(test_task_switch_16bit_tss)
{
	static const uint8_t prog[] = {
		0xea, 0x00, 0x00, 0x00, 0x00, 0x38, 0x00, /* jmp 0x38:0 */
	};
	static const uint8_t hlt = 0xf4;

	setup_pm();
	set_gdt(7, seg_desc(TSS2_BASE, 0x2b, 0x81, 0)); /* 286 TSS */
	memset(m->mem.physmap + TSS2_BASE, 0, 0x2c);
	poke16(TSS2_BASE + 0x0e, 0x6c00);	   /* ip */
	poke16(TSS2_BASE + 0x10, 0x2 | X86_FL_CF); /* flags */
	for (unsigned i = 0; i < 8; i++)	   /* ax..di */
		poke16(TSS2_BASE + 0x12 + 2 * i, (uint16_t)(0x1100 * (i + 1)));
	poke16(TSS2_BASE + 0x22, SEL_KDATA); /* es */
	poke16(TSS2_BASE + 0x24, SEL_KCODE); /* cs */
	poke16(TSS2_BASE + 0x26, SEL_KDATA); /* ss */
	poke16(TSS2_BASE + 0x28, SEL_KDATA); /* ds */
	code(0x6c00, &hlt, 1);
	code(CODE0, prog, sizeof(prog));
	for (unsigned i = 0; i < 8; i++)
		cpu->regs[i] = 0x12340000u;
	step();
	ck_assert_uint_eq(cpu->tr.sel, SEL_TSS2);
	ck_assert_uint_eq(cpu->eip, 0x6c00);
	for (unsigned i = 0; i < 8; i++)
		ck_assert_uint_eq(cpu->regs[i],
				  0xffff0000u | (0x1100 * (i + 1)));
	ck_assert(cpu->eflags & X86_FL_CF);
	ck_assert_uint_eq(cpu->seg[X86_FS].sel, 0); /* no FS, GS in a 286 TSS */
}
END_TEST

START_TEST(test_push_pop_sreg_lss)
{
	static const uint8_t prog[] = {
		0xc7, 0x44, 0x24, 0xfc, 0xff, 0xff,
		0xff, 0xff, /* [esp-4] = -1 */
		0x1e,	    /* push ds */
		0x07,	    /* pop es */
		0x0f, 0xa0, /* push fs */
		0x17,	    /* pop ss */
		0x0f, 0xb2, 0x25, 0x00, 0x50, 0x00,
		0x00,				    /* lss esp, [0x5000] */
		0xc4, 0x1d, 0x08, 0x50, 0x00, 0x00, /* les ebx, [0x5008] */
	};

	setup_pm();
	code(CODE0, prog, sizeof(prog));
	cpu->seg[X86_ES].sel = 0;
	cpu->seg[X86_ES].attr = 0; /* null */
	step();
	step(); /* push ds: ESP moves by 4, only 16 bits are written */
	ck_assert_uint_eq(cpu->regs[X86_ESP], STACK0 - 4);
	ck_assert_uint_eq(peek32(STACK0 - 4), 0xffff0000u | SEL_KDATA);
	step(); /* pop es */
	ck_assert_uint_eq(cpu->seg[X86_ES].sel, SEL_KDATA);
	ck_assert(cpu->seg[X86_ES].attr & X86_DESC_P);
	ck_assert_uint_eq(cpu->regs[X86_ESP], STACK0);
	step();
	step(); /* pop ss: interrupts held off for one instruction */
	ck_assert(cpu->intr_shadow);
	poke32(0x5000, 0x1234);
	poke16(0x5004, SEL_KDATA);
	poke32(0x5008, 0x5678);
	poke16(0x500c, SEL_NP_DATA);
	step(); /* lss */
	ck_assert_uint_eq(cpu->regs[X86_ESP], 0x1234);
	ck_assert(!cpu->intr_shadow);
	cpu->regs[X86_EBX] = 0xabcd;
	run(); /* les with a not-present segment: #NP, EBX unchanged */
	ck_assert_int_eq(halted_vector(), X86_EXC_NP);
	ck_assert_uint_eq(stack0(0), SEL_NP_DATA);
	ck_assert_uint_eq(cpu->regs[X86_EBX], 0xabcd);
}
END_TEST

/* ---- virtual-8086 mode ----------------------------------------------- */

START_TEST(test_v86_enter_and_gp)
{
	static const uint8_t prog[] = {
		0x6a, 0x11,		      /* push gs */
		0x6a, 0x22,		      /* push fs */
		0x6a, 0x33,		      /* push ds */
		0x6a, 0x44,		      /* push es */
		0x68, 0x00, 0x20, 0x00, 0x00, /* push ss = 0x2000 */
		0x68, 0xfe, 0x0f, 0x00, 0x00, /* push esp = 0xffe */
		0x68, 0x02, 0x02, 0x02, 0x00, /* push eflags = VM | IF */
		0x68, 0x00, 0x20, 0x00, 0x00, /* push cs = 0x2000 */
		0x68, 0x00, 0x01, 0x00, 0x00, /* push eip = 0x100 */
		0xcf,			      /* iretd */
	};
	static const uint8_t v86[] = {0xcd, 0x21}; /* int 0x21, IOPL 0 */
	uint32_t esp;

	setup_pm();
	code(CODE0, prog, sizeof(prog));
	code(0x20100, v86, sizeof(v86));
	for (int i = 0; i < 10; i++)
		step();
	ck_assert(vcpu_v86(cpu));
	ck_assert_int_eq(cpu->cpl, 3);
	ck_assert_uint_eq(cpu->seg[X86_CS].base, 0x20000);
	ck_assert_uint_eq(cpu->seg[X86_DS].sel, 0x33);
	ck_assert_uint_eq(cpu->seg[X86_DS].base, 0x330);
	ck_assert_uint_eq(cpu->regs[X86_ESP], 0xffe);
	run(); /* int 0x21 with IOPL 0: #GP(0) to ring 0 */
	ck_assert_int_eq(halted_vector(), X86_EXC_GP);
	ck_assert(!vcpu_v86(cpu));
	esp = cpu->regs[X86_ESP];
	ck_assert_uint_eq(esp, STACK0 - 40);
	ck_assert_uint_eq(peek32(esp), 0);	     /* error code */
	ck_assert_uint_eq(peek32(esp + 4), 0x100);   /* eip */
	ck_assert_uint_eq(peek32(esp + 8), 0x2000);  /* cs */
	ck_assert(peek32(esp + 12) & X86_FL_VM);     /* eflags */
	ck_assert_uint_eq(peek32(esp + 16), 0xffe);  /* esp */
	ck_assert_uint_eq(peek32(esp + 20), 0x2000); /* ss */
	ck_assert_uint_eq(peek32(esp + 24), 0x44);   /* es */
	ck_assert_uint_eq(peek32(esp + 28), 0x33);   /* ds */
	ck_assert_uint_eq(peek32(esp + 32), 0x22);   /* fs */
	ck_assert_uint_eq(peek32(esp + 36), 0x11);   /* gs */
	ck_assert_uint_eq(cpu->seg[X86_DS].sel, 0);
	ck_assert_uint_eq(cpu->seg[X86_FS].sel, 0);
}
END_TEST

/* ---- flags, control registers, system instructions ------------------- */

START_TEST(test_popf_cpl3_and_cli)
{
	static const uint8_t prog[] = {
		0x68, 0x01, 0x30, 0x00, 0x00, /* push 0x3001 (IOPL 3, CF) */
		0x9d,			      /* popfd */
		0x9c,			      /* pushfd */
		0x58,			      /* pop eax */
		0xfa,			      /* cli */
	};

	setup_pm();
	code(CODE3, prog, sizeof(prog));
	to_ring3(CODE3);
	cpu->eflags |= X86_FL_IF;
	for (int i = 0; i < 4; i++)
		step();
	/* CF changed; IOPL (CPL 3) and IF (CPL > IOPL) silently did not. */
	ck_assert_uint_eq(cpu->regs[X86_EAX], 0x203);
	run();
	expect_fault(X86_EXC_GP, 0, SEL_UCODE, CODE3 + 8);
}
END_TEST

/*
 * Instruction fetch at the ends of a 4 GiB code segment: EIP 0 runs (the
 * room left in the segment is 2^32 bytes, which once wrapped to 0 and
 * hung the fetch), a one-byte instruction at 0xFFFFFFFF runs and EIP
 * wraps to 0, a longer one there runs past the top of the offset space
 * and is #GP(0). The code segment's base puts these offsets in RAM.
 */
START_TEST(test_fetch_at_offset_ends)
{
	static const uint8_t nop = 0x90, mov[2] = {0x89, 0xc0};

	setup_pm();
	cpu->seg[X86_CS].base = CODE0 + 1;
	cpu->eip = 0xffffffff;
	code(CODE0, &nop, 1);
	code(CODE0 + 1, &nop, 1);
	step();
	ck_assert_uint_eq(cpu->eip, 0);
	step();
	ck_assert_uint_eq(cpu->eip, 1);

	setup_pm();
	cpu->seg[X86_CS].base = CODE0 + 1;
	cpu->eip = 0xffffffff;
	code(CODE0, mov, 2);
	run();
	ck_assert_int_eq(halted_vector(), X86_EXC_GP);
	ck_assert_uint_eq(stack0(0), 0);
	ck_assert_uint_eq(stack0(1), 0xffffffff);
}
END_TEST

START_TEST(test_control_registers)
{
	static const uint8_t pg_no_pe[] = {
		0xb8, 0x00, 0x00, 0x00, 0x80, /* mov eax, 0x80000000 */
		0x0f, 0x22, 0xc0,	      /* mov cr0, eax */
	};
	static const uint8_t pae[] = {
		0xb8, 0x20, 0x00, 0x00, 0x00, /* mov eax, 0x20 (PAE) */
		0x0f, 0x22, 0xe0,	      /* mov cr4, eax */
	};
	static const uint8_t cr1[] = {0x0f, 0x20, 0xc8}; /* mov eax, cr1 */

	setup_pm();
	code(CODE0, pg_no_pe, sizeof(pg_no_pe));
	run();
	expect_fault(X86_EXC_GP, 0, SEL_KCODE, CODE0 + 5);
	ck_assert(vcpu_protected(cpu));

	setup_pm();
	code(CODE0, pae, sizeof(pae));
	cpu->halted = false;
	run();
	expect_fault(X86_EXC_GP, 0, SEL_KCODE, CODE0 + 5);
	ck_assert_uint_eq(cpu->cr4, 0);

	setup_pm();
	code(CODE0, cr1, sizeof(cr1));
	cpu->halted = false;
	run();
	ck_assert_int_eq(halted_vector(), X86_EXC_UD);
	ck_assert_uint_eq(stack0(0), CODE0);
}
END_TEST

START_TEST(test_lar_lsl_verw_arpl)
{
	static const uint8_t prog[] = {
		0xb9, 0x1b, 0x00, 0x00, 0x00, /* mov ecx, 0x1b */
		0x0f, 0x02, 0xc1,	      /* lar eax, ecx */
		0x0f, 0x03, 0xd9,	      /* lsl ebx, ecx */
		0x0f, 0x00, 0xe9,	      /* verw cx */
		0xb9, 0x08, 0x00, 0x00, 0x00, /* mov ecx, 0x08 */
		0x0f, 0x02, 0xf1,	      /* lar esi, ecx */
		0x66, 0xb8, 0x08, 0x00,	      /* mov ax, 0x08 */
		0x66, 0xb9, 0x1b, 0x00,	      /* mov cx, 0x1b */
		0x63, 0xc8,		      /* arpl ax, cx */
	};

	setup_pm();
	code(CODE3, prog, sizeof(prog));
	to_ring3(CODE3);
	step();
	step();
	ck_assert(cpu->eflags & X86_FL_ZF);
	ck_assert_uint_eq(cpu->regs[X86_EAX], 0x00c0fa00u);
	step();
	ck_assert(cpu->eflags & X86_FL_ZF);
	ck_assert_uint_eq(cpu->regs[X86_EBX], 0xffffffffu);
	step(); /* verw on a code segment: not writable */
	ck_assert(!(cpu->eflags & X86_FL_ZF));
	cpu->regs[X86_ESI] = 0xdead;
	step();
	step(); /* lar on a DPL 0 segment from CPL 3: ZF = 0, no write */
	ck_assert(!(cpu->eflags & X86_FL_ZF));
	ck_assert_uint_eq(cpu->regs[X86_ESI], 0xdead);
	step();
	step();
	step(); /* arpl */
	ck_assert(cpu->eflags & X86_FL_ZF);
	ck_assert_uint_eq(cpu->regs[X86_EAX] & 0xffff, 0x0b);
}
END_TEST

START_TEST(test_sysenter_sysexit)
{
	static const uint8_t user[] = {0x0f, 0x34}; /* sysenter */
	static const uint8_t kern[] = {
		0xb9, 0x00, 0xb0, 0x00, 0x00, /* mov ecx, 0xb000 */
		0xba, 0x10, 0x70, 0x00, 0x00, /* mov edx, 0x7010 */
		0x0f, 0x35,		      /* sysexit */
	};

	setup_pm();
	code(CODE3, user, sizeof(user));
	code(0x6900, kern, sizeof(kern));
	cpu->sysenter_cs = SEL_KCODE;
	cpu->sysenter_esp = 0x8f00;
	cpu->sysenter_eip = 0x6900;
	to_ring3(CODE3);
	cpu->eflags |= X86_FL_IF;
	step();
	ck_assert_int_eq(cpu->cpl, 0);
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, SEL_KCODE);
	ck_assert_uint_eq(cpu->seg[X86_SS].sel, SEL_KDATA);
	ck_assert_uint_eq(cpu->regs[X86_ESP], 0x8f00);
	ck_assert_uint_eq(cpu->eip, 0x6900);
	ck_assert(!(cpu->eflags & X86_FL_IF));
	step();
	step();
	step();
	ck_assert_int_eq(cpu->cpl, 3);
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, SEL_UCODE);
	ck_assert_uint_eq(cpu->seg[X86_SS].sel, SEL_UDATA);
	ck_assert_uint_eq(cpu->regs[X86_ESP], 0xb000);
	ck_assert_uint_eq(cpu->eip, 0x7010);
}
END_TEST

/* ---- port I/O -------------------------------------------------------- */

static uint32_t last_port_write = 0xffffffffu;
static unsigned port_writes;

static uint32_t port_read(void *opaque, uint32_t off, unsigned size)
{
	(void)opaque;
	(void)size;
	return 0x50 + off;
}

static void port_write(void *opaque, uint32_t off, unsigned size, uint32_t val)
{
	(void)opaque;
	(void)size;
	last_port_write = (off << 16) | val;
	port_writes++;
}

START_TEST(test_io_bitmap)
{
	static const uint8_t prog[] = {
		0xb0, 0x42,		/* mov al, 0x42 */
		0x66, 0xba, 0x00, 0x03, /* mov dx, 0x300 */
		0xee,			/* out dx, al (allowed) */
		0xec,			/* in al, dx (allowed) */
		0x66, 0xba, 0x01, 0x03, /* mov dx, 0x301 */
		0xee,			/* out dx, al (denied) */
	};
	static const uint8_t wide[] = {
		0x66, 0xba, 0xff, 0x02, /* mov dx, 0x2ff */
		0x66, 0xef,		/* out dx, ax: 0x2ff is denied */
	};

	bus_register_pio(&m->bus, "test", 0x2f8, 16, port_read, port_write,
			 NULL);
	setup_pm();
	m->mem.physmap[TSS_BASE + IOMAP_OFF + 0x300 / 8] = 0xfe; /* 0x300 ok */
	code(CODE3, prog, sizeof(prog));
	to_ring3(CODE3);
	port_writes = 0;
	run();
	ck_assert_uint_eq(port_writes, 1);
	ck_assert_uint_eq(last_port_write, (8u << 16) | 0x42);
	ck_assert_uint_eq(cpu->regs[X86_EAX] & 0xff, 0x58);
	expect_fault(X86_EXC_GP, 0, SEL_UCODE, CODE3 + 12);

	setup_pm();
	m->mem.physmap[TSS_BASE + IOMAP_OFF + 0x300 / 8] = 0xfe;
	code(CODE3, wide, sizeof(wide));
	to_ring3(CODE3);
	cpu->halted = false;
	run();
	expect_fault(X86_EXC_GP, 0, SEL_UCODE, CODE3 + 4);
	ck_assert_uint_eq(port_writes, 1);

	/* IOPL 3 needs no bitmap. */
	setup_pm();
	code(CODE3, wide, sizeof(wide));
	to_ring3(CODE3);
	cpu->eflags |= X86_FL_IOPL;
	cpu->halted = false;
	step();
	step();
	ck_assert_uint_eq(port_writes, 2);
}
END_TEST

/* ---- more protected-mode transfers ----------------------------------- */

START_TEST(test_conforming_keeps_cpl)
{
	static const uint8_t prog[] = {
		0xea, 0x00, 0x6c, 0x00, 0x00, 0x48, 0x00, /* jmp 0x48:0x6c00 */
	};
	static const uint8_t target[] = {
		0x66, 0x8c, 0xc8, /* mov ax, cs */
		0xf4,		  /* hlt: still CPL 3, so #GP */
	};

	setup_pm();
	code(CODE3, prog, sizeof(prog));
	code(0x6c00, target, sizeof(target));
	to_ring3(CODE3);
	step();
	step();
	ck_assert_int_eq(cpu->cpl, 3);
	ck_assert_uint_eq(cpu->regs[X86_EAX] & 0xffff, SEL_CONFORMING | 3);
	run();
	expect_fault(X86_EXC_GP, 0, SEL_CONFORMING | 3, 0x6c03);
}
END_TEST

START_TEST(test_task_gates_in_idt)
{
	static const uint8_t bad_ds[] = {
		0x66, 0xb8, 0x5b, 0x00, /* mov ax, 0x5b */
		0x8e, 0xd8,		/* mov ds, ax: #GP(0x58) */
	};
	static const uint8_t hlt = 0xf4;

	setup_pm();
	memset(m->mem.physmap + TSS2_BASE, 0, 0x68);
	poke32(TSS2_BASE + 0x20, 0x6c00);
	poke32(TSS2_BASE + 0x24, 0x2);
	poke32(TSS2_BASE + 0x38, 0x8800);
	poke16(TSS2_BASE + 0x4c, SEL_KCODE);
	poke16(TSS2_BASE + 0x50, SEL_KDATA);
	code(0x6c00, &hlt, 1);
	/* #GP goes to the other task: its error code on the new stack. */
	set_idt(X86_EXC_GP, gate_desc(SEL_TSS2, 0, 0x5, 0, 0));
	code(CODE0, bad_ds, sizeof(bad_ds));
	run();
	ck_assert_uint_eq(cpu->tr.sel, SEL_TSS2);
	ck_assert_uint_eq(cpu->eip, 0x6c01);
	ck_assert_uint_eq(cpu->regs[X86_ESP], 0x8800 - 4);
	ck_assert_uint_eq(peek32(0x8800 - 4), 0x58);
	ck_assert(cpu->eflags & X86_FL_NT);
	ck_assert_uint_eq(peek16(TSS2_BASE), SEL_TSS);
	/* The interrupted task resumes at the faulting instruction. */
	ck_assert_uint_eq(peek32(TSS_BASE + 0x20), CODE0 + 4);
}
END_TEST

START_TEST(test_bound_into)
{
	static const uint8_t prog[] = {
		0xb8, 0x05, 0x00, 0x00, 0x00,	    /* mov eax, 5 */
		0x62, 0x05, 0x00, 0x50, 0x00, 0x00, /* bound eax, [0x5000] */
		0xb8, 0x0b, 0x00, 0x00, 0x00,	    /* mov eax, 11 */
		0x62, 0x05, 0x00, 0x50, 0x00, 0x00, /* bound eax, [0x5000] */
	};
	static const uint8_t into[] = {
		0xb0, 0x7f, /* mov al, 0x7f */
		0x04, 0x01, /* add al, 1: OF */
		0xce,	    /* into */
		0xf4,	    /* hlt */
	};

	setup_pm();
	poke32(0x5000, 0);
	poke32(0x5004, 10);
	code(CODE0, prog, sizeof(prog));
	run();
	ck_assert_int_eq(halted_vector(), X86_EXC_BR);
	ck_assert_uint_eq(stack0(0), CODE0 + 16); /* a fault: the bound */

	setup_pm();
	code(CODE0, into, sizeof(into));
	run();
	ck_assert_int_eq(halted_vector(), X86_EXC_OF);
	ck_assert_uint_eq(stack0(0), CODE0 + 5); /* a trap: after into */
}
END_TEST

START_TEST(test_sreg_and_sysreg_reads)
{
	static const uint8_t prog[] = {
		0xb8, 0xff, 0xff, 0xff, 0xff, /* mov eax, -1 */
		0x8c, 0xd8,		      /* mov eax, ds */
		0x0f, 0x00, 0xc3,	      /* sldt ebx */
		0x0f, 0x00, 0xc9,	      /* str ecx */
		0x0f, 0x01, 0xe2,	      /* smsw edx */
		0xf4,			      /* hlt */
	};

	setup_pm();
	code(CODE0, prog, sizeof(prog));
	cpu->regs[X86_EBX] = 0xffffffffu;
	cpu->regs[X86_ECX] = 0xffffffffu;
	run();
	/* 32-bit register destinations are zero-extended. */
	ck_assert_uint_eq(cpu->regs[X86_EAX], SEL_KDATA);
	ck_assert_uint_eq(cpu->regs[X86_EBX], 0);
	ck_assert_uint_eq(cpu->regs[X86_ECX], SEL_TSS);
	ck_assert_uint_eq(cpu->regs[X86_EDX], X86_CR0_PE | X86_CR0_ET);
}
END_TEST

START_TEST(test_lldt_ltr)
{
	static const uint8_t prog[] = {
		0x66, 0xb8, 0x50, 0x00, /* mov ax, 0x50 */
		0x0f, 0x00, 0xd0,	/* lldt ax */
		0x66, 0xb8, 0x0f, 0x00, /* mov ax, 0x0f (LDT 1, RPL 3) */
		0x8e, 0xd8,		/* mov ds, ax */
		0x66, 0xb8, 0x28, 0x00, /* mov ax, 0x28 */
		0x0f, 0x00, 0xd8,	/* ltr ax */
		0xf4,			/* hlt */
	};

	setup_pm();
	code(CODE0, prog, sizeof(prog));
	run();
	/* The TSS is busy (it is the current one): #GP(selector). */
	expect_fault(X86_EXC_GP, SEL_TSS, SEL_KCODE, CODE0 + 17);
	ck_assert_uint_eq(cpu->ldtr.sel, SEL_LDT);
	ck_assert_uint_eq(cpu->ldtr.base, LDT_BASE);
	ck_assert_uint_eq(cpu->seg[X86_DS].sel, 0x0f);
	ck_assert_uint_eq(cpu->seg[X86_DS].limit, 0xffffffffu);

	setup_pm();
	set_gdt(5, seg_desc(TSS_BASE, TSS_LIMIT, 0x89, 0)); /* available */
	code(CODE0, prog, sizeof(prog));
	run();
	ck_assert_uint_eq(cpu->eip, CODE0 + 21);
	ck_assert_uint_eq(cpu->tr.sel, SEL_TSS);
	ck_assert_uint_eq(cpu->tr.limit, TSS_LIMIT);
	ck_assert(peek64(GDT_BASE + SEL_TSS) & (2ull << 40)); /* now busy */
}
END_TEST

START_TEST(test_real_far_call)
{
	static const uint8_t prog[] = {
		0x9a, 0x10, 0x00, 0x00, 0x07, /* call 0x0700:0x0010 */
		0xf4,			      /* hlt */
	};
	static const uint8_t sub[] = {0xcb}; /* retf */

	code(0x7c00, prog, sizeof(prog));
	code(0x7010, sub, sizeof(sub));
	setup_real(0x7c00);
	step();
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, 0x0700);
	ck_assert_uint_eq(cpu->eip, 0x10);
	ck_assert_uint_eq(cpu->regs[X86_ESP], 0x7000 - 4);
	ck_assert_uint_eq(peek16(0x7000 - 4), 0x7c05);
	ck_assert_uint_eq(peek16(0x7000 - 2), 0);
	step();
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, 0);
	ck_assert_uint_eq(cpu->seg[X86_CS].base, 0);
	ck_assert_uint_eq(cpu->eip, 0x7c05);
	ck_assert_uint_eq(cpu->regs[X86_ESP], 0x7000);
}
END_TEST

/* Virtual-8086 mode with CR4.VME: CLI/PUSHF see VIF, INT n redirected. */
START_TEST(test_vme)
{
	static const uint8_t v86[] = {
		0xfa,	    /* cli */
		0x9c,	    /* pushf */
		0x58,	    /* pop ax */
		0xcd, 0x21, /* int 0x21: redirected to the v86 IVT */
	};
	static const uint8_t handler[] = {
		0xfb, /* sti: sets VIF */
		0xfb, /* sti with VIP set: #GP(0) */
	};
	uint32_t sp;

	setup_pm();
	/* I/O map at 0x88: the redirection bitmap is TSS + 0x68..0x87. */
	poke16(TSS_BASE + 0x66, 0x88);
	memset(m->mem.physmap + TSS_BASE + 0x68, 0xff, 32);
	m->mem.physmap[TSS_BASE + 0x68 + 0x21 / 8] &=
		(uint8_t) ~(1u << (0x21 & 7));
	poke32(0x21 * 4, 0x20000200); /* 2000:0200 */
	code(0x20100, v86, sizeof(v86));
	code(0x20200, handler, sizeof(handler));
	cpu->cr4 = X86_CR4_VME;
	cpu->eflags = X86_FL_FIXED1 | X86_FL_VM | X86_FL_IF | X86_FL_VIF;
	for (int i = 0; i < X86_NR_SREGS; i++)
		interp_seg_real(cpu, i, 0x2000);
	cpu->eip = 0x100;
	cpu->regs[X86_ESP] = 0x1000;
	interp_mode_changed(cpu);
	ck_assert_int_eq(cpu->cpl, 3);

	step(); /* cli */
	ck_assert(cpu->eflags & X86_FL_IF);
	ck_assert(!(cpu->eflags & X86_FL_VIF));
	step();
	step(); /* pushf; pop ax */
	ck_assert(!(cpu->regs[X86_EAX] & X86_FL_IF));
	ck_assert_uint_eq(cpu->regs[X86_EAX] & X86_FL_IOPL, X86_FL_IOPL);
	step(); /* int 0x21 */
	ck_assert(vcpu_v86(cpu));
	ck_assert_uint_eq(cpu->seg[X86_CS].sel, 0x2000);
	ck_assert_uint_eq(cpu->eip, 0x200);
	sp = cpu->regs[X86_ESP];
	ck_assert_uint_eq(sp, 0x1000 - 6);
	ck_assert_uint_eq(peek16(0x20000 + sp), 0x105);
	ck_assert_uint_eq(peek16(0x20000 + sp + 2), 0x2000);
	ck_assert_uint_eq(peek16(0x20000 + sp + 4) & X86_FL_IOPL, X86_FL_IOPL);
	step(); /* sti */
	ck_assert(cpu->eflags & X86_FL_VIF);
	cpu->eflags |= X86_FL_VIP;
	run();
	expect_fault(X86_EXC_GP, 0, 0x2000, 0x201);
}
END_TEST

/* ---- string port I/O ------------------------------------------------- */

static uint8_t port_log[16];
static unsigned port_log_n;

static uint32_t log_read(void *opaque, uint32_t off, unsigned size)
{
	(void)opaque;
	(void)off;
	(void)size;
	return 0xa000 + port_log_n++;
}

static void log_write(void *opaque, uint32_t off, unsigned size, uint32_t val)
{
	(void)opaque;
	(void)off;
	(void)size;
	if (port_log_n < sizeof(port_log))
		port_log[port_log_n++] = (uint8_t)val;
}

START_TEST(test_rep_outs_ins)
{
	static const uint8_t prog[] = {
		0x66, 0xba, 0x00, 0x03,	      /* mov dx, 0x300 */
		0xbe, 0x00, 0x50, 0x00, 0x00, /* mov esi, 0x5000 */
		0xb9, 0x04, 0x00, 0x00, 0x00, /* mov ecx, 4 */
		0xfc,			      /* cld */
		0xf3, 0x6e,		      /* rep outsb */
		0xbf, 0x00, 0x51, 0x00, 0x00, /* mov edi, 0x5100 */
		0xb9, 0x03, 0x00, 0x00, 0x00, /* mov ecx, 3 */
		0x66, 0xf3, 0x6d,	      /* rep insw */
		0xf4,			      /* hlt */
	};
	static const uint8_t data[] = {1, 2, 3, 4};

	bus_register_pio(&m->bus, "log", 0x300, 2, log_read, log_write, NULL);
	setup_pm();
	code(CODE0, prog, sizeof(prog));
	poke(0x5000, data, sizeof(data));
	port_log_n = 0;
	run();
	ck_assert_mem_eq(port_log, data, sizeof(data));
	ck_assert_uint_eq(cpu->regs[X86_ESI], 0x5004);
	ck_assert_uint_eq(cpu->regs[X86_ECX], 0);
	ck_assert_uint_eq(cpu->regs[X86_EDI], 0x5106);
	ck_assert_uint_eq(peek16(0x5100), 0xa004);
	ck_assert_uint_eq(peek16(0x5104), 0xa006);
}
END_TEST

static Suite *interp_sys_suite(void)
{
	Suite *s = suite_create("interp_sys");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_reset_state);
	tcase_add_test(tc, test_cpuid);
	tcase_add_test(tc, test_msr);
	tcase_add_test(tc, test_msr_cpl3_and_tsc);
	tcase_add_test(tc, test_msr_tsc_rdpmc);
	tcase_add_test(tc, test_model_lacks_bit_insns);
	tcase_add_test(tc, test_real_int_iret);
	tcase_add_test(tc, test_real_to_protected);
	tcase_add_test(tc, test_lgdt_operand_size);
	tcase_add_test(tc, test_int_privilege_change_and_iret);
	tcase_add_test(tc, test_soft_int_gate_checks);
	tcase_add_test(tc, test_selector_faults);
	tcase_add_test(tc, test_call_gate_and_retf);
	tcase_add_test(tc, test_retf_outer_nulls_data_segments);
	tcase_add_test(tc, test_task_switch_call_iret);
	tcase_add_test(tc, test_task_switch_jmp);
	tcase_add_test(tc, test_task_switch_16bit_tss);
	tcase_add_test(tc, test_push_pop_sreg_lss);
	tcase_add_test(tc, test_v86_enter_and_gp);
	tcase_add_test(tc, test_popf_cpl3_and_cli);
	tcase_add_test(tc, test_fetch_at_offset_ends);
	tcase_add_test(tc, test_control_registers);
	tcase_add_test(tc, test_lar_lsl_verw_arpl);
	tcase_add_test(tc, test_sysenter_sysexit);
	tcase_add_test(tc, test_io_bitmap);
	tcase_add_test(tc, test_conforming_keeps_cpl);
	tcase_add_test(tc, test_task_gates_in_idt);
	tcase_add_test(tc, test_bound_into);
	tcase_add_test(tc, test_sreg_and_sysreg_reads);
	tcase_add_test(tc, test_lldt_ltr);
	tcase_add_test(tc, test_real_far_call);
	tcase_add_test(tc, test_vme);
	tcase_add_test(tc, test_rep_outs_ins);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(interp_sys_suite());
	char err[160];
	int failed;

	/* Keep host mappings (guest RAM) out of the low 4 GiB, as bt386
	 * does; harmless if it cannot be done (e.g. under valgrind). */
	(void)mem_reserve_views(err, sizeof(err));

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
