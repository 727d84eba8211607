/*
 * hostile_model - ring 3 runs what the modelled CPU does not have or does
 * not allow at CPL 3 under the guest's control registers (issue 9).
 *
 *   1. syscall x3000 from ring 3: #UD each time, at the instruction, no
 *      register changed (the CPU reports no SYSCALL in CPUID; on IA-32 it
 *      does not exist outside 64-bit mode);
 *   2. instructions of extensions the CPU may lack, each checked against
 *      CPUID: #UD when the feature is absent, the architectural result when
 *      present (rdtscp, rdpid, rdrand, rdseed, crc32, BMI1 andn, adcx; movbe,
 *      popcnt, lzcnt and tzcnt are in hostile_cpuid.c), and those that are
 *      #UD here whatever CPUID says (xgetbv/xsetbv/xsave with CR4.OSXSAVE =
 *      0, VEX and EVEX encodings, VMX and SVM instructions, monitor/mwait
 *      at CPL 3, clac/stac, xend/xtest, swapgs, sysret, getsec, rsm,
 *      ud0/ud1/ud2, lock on what cannot be locked, mov to CS, wrfsbase,
 *      invpcid, rdpkru, SGX); a 16-byte instruction (#GP(0)), bound (#BR)
 *      and aam 0 (#DE). Not xbegin: QEMU 7.2 runs C7 F8 as a mov, the
 *      oracle would disagree with the SDM's #UD;
 *   3. what the guest's control registers forbid: rdtsc with CR4.TSD = 1
 *      (#GP(0)), x87 with CR0.EM or CR0.TS (#NM), MMX with CR0.EM (#UD),
 *      SSE with CR4.OSFXSR = 0 (#UD) or CR0.TS (#NM), fwait with CR0.MP
 *      and CR0.TS (#NM);
 *   4. what ring 3 may read without UMIP: sgdt, sidt, sldt, str, smsw,
 *      mov from segment registers, pushf/popf: the guest's own values.
 *
 * Direct execution (--direct-exec) cannot give these answers: the host
 * CPU runs what it has, ignores CR4.TSD and CR4.OSFXSR, shows its own
 * selectors and descriptor tables, and on AMD hosts reports syscall at a
 * lost EIP (docs/direct-execution.md, "Holes"). Its run is an expected
 * failure; translated user code (the default) must pass.
 */
#include "guest.h"

enum { SYS_EXIT = 1 };

#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR4_TSD 0x4u
#define CR4_OSFXSR 0x200u

USER_DATA uint8_t ustack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack))
USER_DATA uint8_t udata[512] __attribute__((aligned(64)));
USER_DATA volatile uint32_t u_regs[8];
USER_DATA volatile uint32_t u_n;

/* ---- kernel side ---- */
struct rec {
	int faulted;
	uint32_t vector, err, eip, result, count, other;
};
static struct rec rec;
static int counting;

static void sys_handler(struct trap_frame *f)
{
	rec.result = f->ebx;
	return_to_kernel(1);
}

static void fault_handler(struct trap_frame *f)
{
	const uint8_t *p = (const uint8_t *)f->eip;

	if (!(f->cs & 3))
		panic("kernel fault %u (error 0x%x) at %08x", f->vector, f->err,
		      f->eip);
	if (counting) {
		if (f->vector == 6 && p[0] == 0x0f && p[1] == 0x05) {
			rec.count++;
			f->eip += 2;
			return;
		}
		rec.other++;
	}
	rec.faulted = 1;
	rec.vector = f->vector;
	rec.err = f->err;
	rec.eip = f->eip;
	return_to_kernel(2);
}

static void urun(void (*fn)(void))
{
	memset(&rec, 0, sizeof(rec));
	enter_user((uint32_t)fn, USTACK_TOP, 0x202);
	cli();
}

/* ---- 1. syscall ---- */
void u_syscall_flood(void);
__asm__(".pushsection .user.text, \"ax\"\n"
	"u_syscall_flood:\n\t"
	"movl (%esp), %eax\n\t" /* the stack page is there */
	"movl $0x11111111, %ebx\n\t"
	"movl $0x22222222, %ecx\n\t"
	"movl $0x33333333, %edx\n\t"
	"movl $0x44444444, %ebp\n\t"
	"movl $0x55555555, %edi\n\t"
	"movl u_n, %esi\n"
	"1:\tsyscall\n\t"
	"decl %esi\n\t"
	"jnz 1b\n\t"
	"movl %ebx, u_regs\n\t"
	"movl %ecx, u_regs + 4\n\t"
	"movl %edx, u_regs + 8\n\t"
	"movl %ebp, u_regs + 12\n\t"
	"movl %edi, u_regs + 16\n\t"
	"movl %esp, u_regs + 20\n\t"
	"movl $1, %eax\n\t"
	"int $0x80\n\t"
	".popsection");

static int cpuid_bit(uint32_t leaf, int reg, int bit)
{
	uint32_t r[4], max;

	cpuid(leaf & 0x80000000u, &r[0], &r[1], &r[2], &r[3]);
	max = r[0];
	if (leaf > max)
		return 0;
	cpuid(leaf, &r[0], &r[1], &r[2], &r[3]);
	return (r[reg] >> bit) & 1;
}
enum { EAX, EBX, ECX, EDX };

static void test_syscall(void)
{
	section("syscall from ring 3");
	CHECK(!cpuid_bit(0x80000001u, EDX, 11), "CPUID: no SYSCALL");
	u_n = 3000;
	counting = 1;
	urun(u_syscall_flood);
	counting = 0;
	CHECK(!rec.faulted && rec.count == 3000,
	      "syscall x3000: #UD at the instruction each time");
	if (rec.faulted || rec.count != 3000)
		printf("#   %u counted; then %u (error 0x%x) at %08x\n",
		       rec.count, rec.vector, rec.err, rec.eip);
	CHECK(u_regs[0] == 0x11111111u && u_regs[1] == 0x22222222u &&
		      u_regs[2] == 0x33333333u && u_regs[3] == 0x44444444u &&
		      u_regs[4] == 0x55555555u && u_regs[5] == USTACK_TOP,
	      "  ... no register changed (ECX, ESP, EBP included)");
}

/* ---- 2. instructions the CPU may lack ---- */
/* Each program: the setup, the instruction at NAME (the fault's EIP),
 * then EAX goes back to the kernel. */
#define UINSN(name, setup, insn)                                           \
	void name(void);                                                   \
	__asm__(".pushsection .user.text, \"ax\"\n" #name "_setup:\n\t"    \
		"movl $udata, %esi\n\t"                                    \
		"xorl %eax, %eax\n\t"                                      \
		"xorl %ecx, %ecx\n\t"                                      \
		"xorl %edx, %edx\n\t" setup "\n" #name ":\n\t" insn "\n\t" \
		"movl %eax, %ebx\n\t"                                      \
		"movl $1, %eax\n\t"                                        \
		"int $0x80\n\t"                                            \
		"ud2\n\t"                                                  \
		".popsection");                                            \
	void name##_setup(void)

UINSN(i_rdtscp, "", ".byte 0x0f, 0x01, 0xf9");
UINSN(i_rdpid, "", ".byte 0xf3, 0x0f, 0xc7, 0xf8");
UINSN(i_rdrand, "", ".byte 0x0f, 0xc7, 0xf0");
UINSN(i_rdseed, "", ".byte 0x0f, 0xc7, 0xf8");
UINSN(i_crc32, "movl $0x12345678, %eax", ".byte 0xf2, 0x0f, 0x38, 0xf1, 0xc0");
UINSN(i_andn, "movl $0x0f, %eax\n\tmovl $0xff, %ecx",
      ".byte 0xc4, 0xe2, 0x78, 0xf2, 0xc1");
UINSN(i_adcx, "movl $1, %eax\n\tmovl $2, %ecx\n\tstc",
      ".byte 0x66, 0x0f, 0x38, 0xf6, 0xc1");
UINSN(i_clflushopt, "movl $udata, %eax", ".byte 0x66, 0x0f, 0xae, 0x38");
UINSN(i_clwb, "movl $udata, %eax", ".byte 0x66, 0x0f, 0xae, 0x30");
UINSN(i_xgetbv, "", ".byte 0x0f, 0x01, 0xd0");
UINSN(i_xsetbv, "movl $1, %eax", ".byte 0x0f, 0x01, 0xd1");
UINSN(i_xsave, "movl $udata + 64, %esi\n\tandl $~63, %esi",
      ".byte 0x0f, 0xae, 0x26");
UINSN(i_vzeroupper, "", ".byte 0xc5, 0xf8, 0x77");
UINSN(i_vaddps_ymm, "", ".byte 0xc5, 0xfc, 0x58, 0xc0");
UINSN(i_vpxor, "", ".byte 0xc5, 0xf9, 0xef, 0xc0");
UINSN(i_evex, "", ".byte 0x62, 0xf1, 0x7c, 0x48, 0x58, 0xc0");
UINSN(i_vmcall, "", ".byte 0x0f, 0x01, 0xc1");
UINSN(i_vmlaunch, "", ".byte 0x0f, 0x01, 0xc2");
UINSN(i_vmxoff, "", ".byte 0x0f, 0x01, 0xc4");
UINSN(i_vmxon, "", ".byte 0xf3, 0x0f, 0xc7, 0x36");
UINSN(i_vmptrld, "", ".byte 0x0f, 0xc7, 0x36");
UINSN(i_vmmcall, "", ".byte 0x0f, 0x01, 0xd9");
UINSN(i_vmrun, "", ".byte 0x0f, 0x01, 0xd8");
UINSN(i_stgi, "", ".byte 0x0f, 0x01, 0xdc");
UINSN(i_monitor, "movl $udata, %eax", ".byte 0x0f, 0x01, 0xc8");
UINSN(i_mwait, "", ".byte 0x0f, 0x01, 0xc9");
UINSN(i_clac, "", ".byte 0x0f, 0x01, 0xca");
UINSN(i_stac, "", ".byte 0x0f, 0x01, 0xcb");
UINSN(i_xend, "", ".byte 0x0f, 0x01, 0xd5");
UINSN(i_xtest, "", ".byte 0x0f, 0x01, 0xd6");
UINSN(i_swapgs, "", ".byte 0x0f, 0x01, 0xf8");
UINSN(i_sysret, "", ".byte 0x0f, 0x07");
UINSN(i_getsec, "", ".byte 0x0f, 0x37");
UINSN(i_rsm, "", ".byte 0x0f, 0xaa");
UINSN(i_ud0, "", ".byte 0x0f, 0xff, 0xc0");
UINSN(i_ud1, "", ".byte 0x0f, 0xb9, 0xc0");
UINSN(i_ud2, "", "ud2");
UINSN(i_lock_nop, "", ".byte 0xf0, 0x90");
UINSN(i_lock_add_reg, "", ".byte 0xf0, 0x01, 0xc0");
UINSN(i_mov_cs, "movl $0x1b, %eax", ".byte 0x8e, 0xc8");
UINSN(i_wrfsbase, "", ".byte 0xf3, 0x0f, 0xae, 0xd0");
UINSN(i_invpcid, "", ".byte 0x66, 0x0f, 0x38, 0x82, 0x06");
UINSN(i_rdpkru, "", ".byte 0x0f, 0x01, 0xee");
UINSN(i_encls, "", ".byte 0x0f, 0x01, 0xcf");
UINSN(i_enclu, "", ".byte 0x0f, 0x01, 0xd7");
UINSN(i_long, "",
      ".byte 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, 0x66, "
      "0x66, 0x66, 0x66, 0x66, 0x66, 0x90");
UINSN(i_bound, "movl $10, (%esi)\n\tmovl $20, 4(%esi)\n\tmovl $30, %eax",
      "boundl %eax, (%esi)");
UINSN(i_aam0, "", ".byte 0xd4, 0x00");

enum kind {
	K_UD,	/* #UD whatever CPUID says (here) */
	K_FEAT, /* #UD when the feature is absent, else runs */
	K_GP0,	/* #GP(0) */
	K_VEC,	/* that vector, error 0 */
};

struct icase {
	const char *name;
	void (*setup)(void), (*fn)(void);
	enum kind kind;
	uint32_t leaf;
	int reg, bit;
	uint32_t want; /* K_FEAT: the result in EAX when present (if not 0) */
};
#define UD(n, f)                                  \
	{                                         \
		n, f##_setup, f, K_UD, 0, 0, 0, 0 \
	}
#define FEAT(n, f, l, r, b, w)                      \
	{                                           \
		n, f##_setup, f, K_FEAT, l, r, b, w \
	}
#define VEC(n, f, v)                               \
	{                                          \
		n, f##_setup, f, K_VEC, v, 0, 0, 0 \
	}

static const struct icase icases[] = {
	FEAT("rdtscp", i_rdtscp, 0x80000001u, EDX, 27, 0),
	FEAT("rdpid", i_rdpid, 7, ECX, 22, 0),
	FEAT("rdrand", i_rdrand, 1, ECX, 30, 0),
	FEAT("rdseed", i_rdseed, 7, EBX, 18, 0),
	FEAT("crc32", i_crc32, 1, ECX, 20, 0),
	FEAT("andn (BMI1, VEX)", i_andn, 7, EBX, 3, 0xf0),
	FEAT("adcx", i_adcx, 7, EBX, 19, 4),
	FEAT("clflushopt", i_clflushopt, 7, EBX, 23, 0),
	FEAT("clwb", i_clwb, 7, EBX, 24, 0),
	UD("xgetbv (CR4.OSXSAVE = 0)", i_xgetbv),
	UD("xsetbv (CR4.OSXSAVE = 0)", i_xsetbv),
	UD("xsave (CR4.OSXSAVE = 0)", i_xsave),
	UD("vzeroupper (VEX)", i_vzeroupper),
	UD("vaddps ymm (VEX)", i_vaddps_ymm),
	UD("vpxor xmm (VEX)", i_vpxor),
	UD("vaddps zmm (EVEX)", i_evex),
	UD("vmcall", i_vmcall),
	UD("vmlaunch", i_vmlaunch),
	UD("vmxoff", i_vmxoff),
	UD("vmxon", i_vmxon),
	UD("vmptrld", i_vmptrld),
	UD("vmmcall", i_vmmcall),
	UD("vmrun", i_vmrun),
	UD("stgi", i_stgi),
	UD("monitor at CPL 3", i_monitor),
	UD("mwait at CPL 3", i_mwait),
	UD("clac", i_clac),
	UD("stac", i_stac),
	UD("xend", i_xend),
	UD("xtest", i_xtest),
	UD("swapgs", i_swapgs),
	UD("sysret", i_sysret),
	UD("getsec (CR4.SMXE = 0)", i_getsec),
	UD("rsm outside SMM", i_rsm),
	UD("ud0", i_ud0),
	UD("ud1", i_ud1),
	UD("ud2", i_ud2),
	UD("lock nop", i_lock_nop),
	UD("lock add to a register", i_lock_add_reg),
	UD("mov to CS", i_mov_cs),
	UD("wrfsbase", i_wrfsbase),
	UD("invpcid", i_invpcid),
	UD("rdpkru (CR4.PKE = 0)", i_rdpkru),
	UD("encls", i_encls),
	UD("enclu", i_enclu),
	{"16-byte instruction: #GP(0)", i_long_setup, i_long, K_GP0, 0, 0, 0,
	 0},
	VEC("bound out of range: #BR", i_bound, 5),
	VEC("aam 0: #DE", i_aam0, 0),
};

static void run_case(const char *name, void (*setup)(void), void (*fn)(void),
		     int want_fault, uint32_t vector, uint32_t err,
		     int check_result, uint32_t result)
{
	int ok;

	urun(setup);
	if (want_fault)
		ok = rec.faulted && rec.vector == vector && rec.err == err &&
		     rec.eip == (uint32_t)fn;
	else
		ok = !rec.faulted && (!check_result || rec.result == result);
	CHECK(ok, name);
	if (!ok)
		printf("#   got %s %u (error 0x%x) at %08x (insn at %08x), "
		       "eax %08x\n",
		       rec.faulted ? "fault" : "no fault", rec.vector, rec.err,
		       rec.eip, (uint32_t)fn, rec.result);
}

static void test_absent(void)
{
	section("instructions the CPU lacks, from ring 3");
	for (unsigned i = 0; i < sizeof(icases) / sizeof(icases[0]); i++) {
		const struct icase *c = &icases[i];
		int has;

		switch (c->kind) {
		case K_UD:
			run_case(c->name, c->setup, c->fn, 1, 6, 0, 0, 0);
			break;
		case K_GP0:
			run_case(c->name, c->setup, c->fn, 1, 13, 0, 0, 0);
			break;
		case K_VEC:
			run_case(c->name, c->setup, c->fn, 1, c->leaf, 0, 0, 0);
			break;
		case K_FEAT:
			has = cpuid_bit(c->leaf, c->reg, c->bit);
			run_case(c->name, c->setup, c->fn, !has, 6, 0,
				 c->want != 0, c->want);
			break;
		}
	}
}

/* ---- 3. what the control registers forbid ---- */
UINSN(c_rdtsc, "", "rdtsc");
UINSN(c_fninit, "", "fninit");
UINSN(c_fld1, "", "fld1");
UINSN(c_fnstcw, "", "fnstcw (%esi)");
UINSN(c_fwait, "", "fwait");
UINSN(c_pxor_mm, "", "pxor %mm0, %mm0");
UINSN(c_addps, "", "addps %xmm0, %xmm0");
UINSN(c_movups_st, "", "movups %xmm0, (%esi)");
UINSN(c_ldmxcsr, "movl $0x1f80, (%esi)", "ldmxcsr (%esi)");
UINSN(c_fxsave, "movl $udata + 16, %esi\n\tandl $~15, %esi", "fxsave (%esi)");

static void set_cr0_bits(uint32_t set, uint32_t clear)
{
	write_cr0((read_cr0() & ~clear) | set);
}

static void test_cr_gated(void)
{
	uint32_t cr0 = read_cr0(), cr4 = read_cr4();

	section("what the control registers forbid, from ring 3");
	write_cr4(cr4 | CR4_TSD);
	run_case("rdtsc with CR4.TSD = 1: #GP(0)", c_rdtsc_setup, c_rdtsc, 1,
		 13, 0, 0, 0);
	write_cr4(cr4 & ~CR4_TSD);
	run_case("rdtsc with CR4.TSD = 0: runs", c_rdtsc_setup, c_rdtsc, 0, 0,
		 0, 0, 0);

	set_cr0_bits(CR0_EM, CR0_TS | CR0_MP);
	run_case("fninit with CR0.EM: #NM", c_fninit_setup, c_fninit, 1, 7, 0,
		 0, 0);
	run_case("fld1 with CR0.EM: #NM", c_fld1_setup, c_fld1, 1, 7, 0, 0, 0);
	run_case("fnstcw with CR0.EM: #NM", c_fnstcw_setup, c_fnstcw, 1, 7, 0,
		 0, 0);
	run_case("pxor mm with CR0.EM: #UD", c_pxor_mm_setup, c_pxor_mm, 1, 6,
		 0, 0, 0);
	write_cr4(cr4 | CR4_OSFXSR);
	run_case("addps with CR0.EM: #UD", c_addps_setup, c_addps, 1, 6, 0, 0,
		 0);
	/* FXSAVE with CR0.EM: #NM in the SDMs of its time (and QEMU), #UD
	 * in today's SDM: either, at the instruction, never the store. */
	urun(c_fxsave_setup);
	CHECK(rec.faulted && (rec.vector == 6 || rec.vector == 7) &&
		      rec.eip == (uint32_t)c_fxsave,
	      "fxsave with CR0.EM: #UD or #NM");
	write_cr4(cr4 & ~CR4_OSFXSR);

	set_cr0_bits(CR0_TS | CR0_MP, CR0_EM);
	run_case("fninit with CR0.TS: #NM", c_fninit_setup, c_fninit, 1, 7, 0,
		 0, 0);
	run_case("fwait with CR0.TS and CR0.MP: #NM", c_fwait_setup, c_fwait, 1,
		 7, 0, 0, 0);
	run_case("pxor mm with CR0.TS: #NM", c_pxor_mm_setup, c_pxor_mm, 1, 7,
		 0, 0, 0);
	run_case("addps with CR4.OSFXSR = 0: #UD", c_addps_setup, c_addps, 1, 6,
		 0, 0, 0);
	run_case("movups store with CR4.OSFXSR = 0: #UD", c_movups_st_setup,
		 c_movups_st, 1, 6, 0, 0, 0);
	run_case("ldmxcsr with CR4.OSFXSR = 0: #UD", c_ldmxcsr_setup, c_ldmxcsr,
		 1, 6, 0, 0, 0);
	write_cr4(cr4 | CR4_OSFXSR);
	run_case("addps with CR0.TS: #NM", c_addps_setup, c_addps, 1, 7, 0, 0,
		 0);
	run_case("movups store with CR0.TS: #NM", c_movups_st_setup,
		 c_movups_st, 1, 7, 0, 0, 0);
	run_case("fxsave with CR0.TS: #NM", c_fxsave_setup, c_fxsave, 1, 7, 0,
		 0, 0);
	/* SSE on: VEX and EVEX stay #UD (no AVX, CR4.OSXSAVE = 0). */
	write_cr0(cr0 & ~(CR0_EM | CR0_TS));
	run_case("vzeroupper with SSE on: #UD", i_vzeroupper_setup,
		 i_vzeroupper, 1, 6, 0, 0, 0);
	run_case("vaddps ymm with SSE on: #UD", i_vaddps_ymm_setup,
		 i_vaddps_ymm, 1, 6, 0, 0, 0);
	run_case("vpxor xmm with SSE on: #UD", i_vpxor_setup, i_vpxor, 1, 6, 0,
		 0, 0);
	run_case("vaddps zmm (EVEX) with SSE on: #UD", i_evex_setup, i_evex, 1,
		 6, 0, 0, 0);
	write_cr4(cr4);
	write_cr0(cr0);
}

/* ---- 4. what ring 3 may read ---- */
struct dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

void u_reads(void);
__asm__(".pushsection .user.text, \"ax\"\n"
	"u_reads:\n\t"
	"sgdt udata\n\t"
	"sidt udata + 8\n\t"
	"sldt udata + 16\n\t"
	"str udata + 20\n\t"
	"smsw udata + 24\n\t"
	"movl %cs, %eax\n\t"
	"movl %eax, u_regs\n\t"
	"movl %ss, %eax\n\t"
	"movl %eax, u_regs + 4\n\t"
	"pushl %ds\n\t"
	"popl u_regs + 8\n\t"
	"pushfl\n\t"
	"popl u_regs + 12\n\t"
	"pushl $0x3000\n\t" /* IOPL 3, IF 0: ignored at CPL 3 */
	"popfl\n\t"
	"pushfl\n\t"
	"popl u_regs + 16\n\t"
	"movl $1, %eax\n\t"
	"int $0x80\n\t"
	".popsection");

static void test_reads(void)
{
	struct dtr g, i;
	uint16_t ldtr, tr;
	struct dtr *ug = (struct dtr *)udata, *ui = (struct dtr *)(udata + 8);

	section("what ring 3 may read");
	__asm__ volatile("sgdt %0\n\tsidt %1\n\tsldt %2\n\tstr %3"
			 : "=m"(g), "=m"(i), "=m"(ldtr), "=m"(tr));
	urun(u_reads);
	CHECK(!rec.faulted, "sgdt, sidt, sldt, str, smsw at CPL 3 run");
	CHECK(ug->base == g.base && ug->limit == g.limit,
	      "sgdt: the guest's GDT");
	CHECK(ui->base == i.base && ui->limit == i.limit,
	      "sidt: the guest's IDT");
	CHECK_EQ(*(uint16_t *)(udata + 16), ldtr, "sldt: the guest's LDTR");
	CHECK_EQ(*(uint16_t *)(udata + 20), tr, "str: the guest's TR");
	CHECK_EQ(*(uint16_t *)(udata + 24), read_cr0() & 0xffff,
		 "smsw: the guest's CR0");
	CHECK_EQ(u_regs[0] & 0xffff, SEL_UCODE, "mov from CS: 0x1b");
	CHECK_EQ(u_regs[1] & 0xffff, SEL_UDATA, "mov from SS: 0x23");
	CHECK_EQ(u_regs[2] & 0xffff, SEL_UDATA, "push DS: 0x23");
	CHECK_EQ(u_regs[3] & (FL_IF | FL_IOPL), FL_IF,
		 "pushf: IF 1, IOPL 0 as the kernel set them");
	CHECK_EQ(u_regs[4] & (FL_IF | FL_IOPL), FL_IF,
		 "popf at CPL 3 changes neither IF nor IOPL");
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
	test_syscall();
	test_absent();
	test_cr_gated();
	test_reads();
}
