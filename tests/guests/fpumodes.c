/*
 * fpumodes - one x87, SSE and MMX workload in every mode the CPU runs it,
 * and the floating-point exceptions.
 *
 * The workload (FPU_WORK below: sqrt, divisions, integer and BCD
 * conversions, packed single arithmetic, a shuffle, MMX multiplies, the
 * status word and MXCSR) runs on a data block addressed through EBX:
 *   - in ring 0 with flat segments: the reference;
 *   - in ring 0 through DS with a base (bt386's translator hands such
 *     instructions to the interpreter);
 *   - in ring 0 with CR0.TS set: one #NM, then the same;
 *   - in ring 3 with paging on (bt386 runs it directly on the host);
 *   - in a 16-bit protected-mode code segment;
 *   - in real mode, reached by clearing CR0.PE from a 16-bit segment;
 * and must give the same bits everywhere, a few of which are also checked
 * against their known values. One FPU state is then carried from ring 0
 * into real mode and back, and into ring 3 and back (under bt386: from
 * the translator to the interpreter to direct execution): each mode's
 * FXSAVE shows what the previous one left, and its changes reach the
 * next. Last, an unmasked x87 divide by zero: it is reported as #MF at
 * the next waiting instruction, not at the divide.
 * (SIMD exceptions and FERR# are in fpuexc.c, which QEMU cannot run.)
 */
#include "guest.h"

#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR0_NE 0x20u
#define CR4_OSFXSR 0x200u
#define CR4_OSXMMEXCPT 0x400u

enum {
	G_DATA_BASED = GDT_FIRST_FREE,
	G_CODE16,
	G_DATA16,
	G_CODE16_PM,
};
#define SEL(i) ((i)*8)

/* Where the real-mode code and its data go (below 1 MiB). */
#define RM_BASE 0x6000u
#define RM_DATA 0x6800u
#define RM_STACK 0x6ff0u

/* The data block: inputs, then what the workload writes. */
struct wdata {
	uint16_t cw; /* 0 */
	uint16_t pad0;
	uint32_t mxcsr_in; /* 4 */
	uint64_t a, b;	   /* 8, 16: 2.0, 10.0 */
	uint64_t q;	   /* 24: b / sqrt(a) */
	int32_t n;	   /* 32 */
	int32_t nq;	   /* 36: n * sqrt(a) */
	uint8_t bcd[10];   /* 40: b * sqrt(a) in BCD */
	uint16_t pad1;
	uint32_t s;  /* 52: sqrt(a) as a float */
	uint16_t sw; /* 56 */
	uint16_t pad2[3];
	uint32_t x[4], y[4]; /* 64, 80 */
	uint32_t z[4];	     /* 96: x / y + sqrt(x / y) */
	int32_t t;	     /* 112 */
	uint32_t zs[4];	     /* 116: z shuffled */
	uint64_t m;	     /* 132: MMX */
	uint32_t mxcsr;	     /* 140 */
	uint32_t pad3[4];
};
_Static_assert(__builtin_offsetof(struct wdata, q) == 24, "layout");
_Static_assert(__builtin_offsetof(struct wdata, nq) == 36, "layout");
_Static_assert(__builtin_offsetof(struct wdata, bcd) == 40, "layout");
_Static_assert(__builtin_offsetof(struct wdata, s) == 52, "layout");
_Static_assert(__builtin_offsetof(struct wdata, sw) == 56, "layout");
_Static_assert(__builtin_offsetof(struct wdata, x) == 64, "layout");
_Static_assert(__builtin_offsetof(struct wdata, z) == 96, "layout");
_Static_assert(__builtin_offsetof(struct wdata, t) == 112, "layout");
_Static_assert(__builtin_offsetof(struct wdata, zs) == 116, "layout");
_Static_assert(__builtin_offsetof(struct wdata, m) == 132, "layout");
_Static_assert(__builtin_offsetof(struct wdata, mxcsr) == 140, "layout");
#define OUT_FIRST 24
#define OUT_END 144

/*
 * The workload, assembled as 32-bit code (w32, on a user page) and as
 * 16-bit code (w16, in the real-mode blob): the same instructions, with
 * 32-bit addressing through EBX either way. Clobbers EAX.
 */
__asm__(".macro FPU_WORK\n\t"
	"fninit\n\t"
	"fldcw 0(%ebx)\n\t"
	"ldmxcsr 4(%ebx)\n\t"
	"fldl 8(%ebx)\n\t"
	"fsqrt\n\t"
	"fldl 16(%ebx)\n\t"
	"fdiv %st(1), %st\n\t"
	"fstpl 24(%ebx)\n\t"
	"fildl 32(%ebx)\n\t"
	"fmul %st(1), %st\n\t"
	"fistpl 36(%ebx)\n\t"
	"fld %st(0)\n\t"
	"fmull 16(%ebx)\n\t"
	"fbstp 40(%ebx)\n\t"
	"fstps 52(%ebx)\n\t"
	"fnstsw 56(%ebx)\n\t"
	"movups 64(%ebx), %xmm0\n\t"
	"movups 80(%ebx), %xmm1\n\t"
	"divps %xmm1, %xmm0\n\t"
	"sqrtps %xmm0, %xmm2\n\t"
	"addps %xmm2, %xmm0\n\t"
	"movups %xmm0, 96(%ebx)\n\t"
	"cvtsi2sdl 36(%ebx), %xmm3\n\t"
	"mulsd 24(%ebx), %xmm3\n\t"
	"cvttsd2si %xmm3, %eax\n\t"
	"movl %eax, 112(%ebx)\n\t"
	"pshufd $0x1b, %xmm0, %xmm4\n\t"
	"movups %xmm4, 116(%ebx)\n\t"
	"movq 64(%ebx), %mm0\n\t"
	"paddw 80(%ebx), %mm0\n\t"
	"pmullw %mm0, %mm0\n\t"
	"movq %mm0, 132(%ebx)\n\t"
	"emms\n\t"
	"stmxcsr 140(%ebx)\n"
	".endm\n");

/* w32(data): ring 0 or ring 3 (on a user page). */
void w32(struct wdata *d);
__asm__(".pushsection .user.text, \"ax\"\n"
	"w32:\n\t"
	"pushl %ebx\n\t"
	"movl 8(%esp), %ebx\n\t"
	"FPU_WORK\n\t"
	"popl %ebx\n\t"
	"ret\n"
	".popsection\n"
	/* w32_ds(offset, sel): the workload through DS = sel (based). */
	".text\n"
	"w32_ds:\n\t"
	"pushl %ebx\n\t"
	"movl 8(%esp), %ebx\n\t"
	"movw 12(%esp), %ds\n\t"
	"FPU_WORK\n\t"
	"movw %ss, %ax\n\t"
	"movw %ax, %ds\n\t"
	"popl %ebx\n\t"
	"ret\n"
	".pushsection .user.text, \"ax\"\n"
	/* The ring 3 program: the workload on the user block, then
	 * int $0x80 back to the kernel. */
	"user_entry:\n\t"
	"pushl $udata\n\t"
	"call w32\n\t"
	"addl $4, %esp\n\t"
	"int $0x80\n"
	/* Ring 3 state step: save, change xmm0, st(0), MXCSR, back. */
	"user_step:\n\t"
	"fxsave ufx\n\t"
	"paddd uinc, %xmm0\n\t"
	"fld1\n\t"
	".byte 0xde, 0xc1\n\t"
	"ldmxcsr ucsr\n\t"
	"int $0x80\n"
	".popsection");
void user_entry(void);
void user_step(void);
void w32_ds(uint32_t offset, uint32_t sel);

/*
 * The real-mode blob, copied to RM_BASE and entered at offset 0 through
 * a 16-bit code segment with that base: it loads 16-bit data segments,
 * clears CR0.PE, far-jumps to real mode (CS = RM_BASE >> 4), runs w16
 * (or x16, whichever rm_fn names) on the block at RM_DATA (DS = RM_DATA
 * >> 4, EBX = 0), sets PE again and far-jumps to rm_back (32-bit; the
 * offset is patched in at rm_patch).
 * At rm_pm16 it is also the body of a far call from 32-bit protected
 * mode into a 16-bit code segment: w16 on the flat block at EBX, lretl.
 */
__asm__(".text\n"
	".p2align 4\n"
	"rm_blob:\n\t"
	".code16\n\t"
	"movw $0x40, %ax\n\t" /* SEL(G_DATA16) */
	"movw %ax, %ds\n\t"
	"movw %ax, %es\n\t"
	"movw %ax, %ss\n\t"
	"movw %ax, %fs\n\t"
	"movw %ax, %gs\n\t"
	"movl %cr0, %eax\n\t"
	"andl $0xfffffffe, %eax\n\t"
	"movl %eax, %cr0\n\t"
	"ljmp $0x0600, $(rm_real - rm_blob)\n"
	"rm_real:\n\t"
	"xorw %ax, %ax\n\t"
	"movw %ax, %ss\n\t"
	"movl $0x6ff0, %esp\n\t"
	"movw $0x0680, %ax\n\t"
	"movw %ax, %ds\n\t"
	"movw %ax, %es\n\t"
	"xorl %ebx, %ebx\n\t"
	"call *%cs:(rm_fn - rm_blob)\n\t"
	"movl %cr0, %eax\n\t"
	"orl $1, %eax\n\t"
	"movl %eax, %cr0\n\t"
	".byte 0x66, 0xea\n"
	"rm_patch:\n\t"
	".long 0\n\t"
	".word 0x08\n"
	"rm_pm16:\n\t"
	"call w16\n\t"
	"lretl\n"
	"w16:\n\t"
	"FPU_WORK\n\t"
	"ret\n"
	/* The state step of the round trip: save, then change xmm0,
	 * st(0) and MXCSR. */
	"x16:\n\t"
	"fxsave (%ebx)\n\t"
	"paddd 512(%ebx), %xmm0\n\t"
	"fld1\n\t"
	".byte 0xde, 0xc1\n\t" /* faddp: st(1) += 1, pop */
	"ldmxcsr 528(%ebx)\n\t"
	"ret\n"
	"rm_fn:\n\t"
	".word w16 - rm_blob\n"
	".code32\n"
	"rm_blob_end:\n\t"
	/* int run_real(void): from flat 32-bit ring 0, paging off. */
	".globl run_real\n"
	"run_real:\n\t"
	"pushal\n\t"
	"movl %esp, rm_saved_esp\n\t"
	"ljmp $0x38, $0\n" /* SEL(G_CODE16): the blob at RM_BASE */
	"rm_back:\n\t"
	"movw $0x10, %ax\n\t"
	"movw %ax, %ds\n\t"
	"movw %ax, %es\n\t"
	"movw %ax, %ss\n\t"
	"movw %ax, %fs\n\t"
	"movw %ax, %gs\n\t"
	"movl rm_saved_esp, %esp\n\t"
	"popal\n\t"
	"ret\n");
extern const uint8_t rm_blob[], rm_blob_end[], rm_patch[], rm_pm16[], rm_fn[],
	w16[], x16[];
void rm_back(void);
void run_real(void);
uint32_t rm_saved_esp;
_Static_assert(SEL(G_DATA16) == 0x40, "the blob loads 0x40");
_Static_assert(SEL(G_CODE16) == 0x38, "run_real jumps to 0x38");
_Static_assert(RM_BASE >> 4 == 0x600 && RM_DATA >> 4 == 0x680, "blob");

/* ---- data ---- */

static struct wdata ref, kdata, based;
USER_DATA struct wdata udata;
USER_DATA uint8_t ufx[512] __attribute__((aligned(16)));
USER_DATA uint32_t uinc[4] __attribute__((aligned(16))) = {1, 2, 3, 4};
USER_DATA uint32_t ucsr = 0x7f80; /* round toward zero */
USER_DATA uint8_t ustack[4096] __attribute__((aligned(16)));
#define USTACK_TOP ((uint32_t)ustack + sizeof(ustack) - 16)

static void init_data(struct wdata *d)
{
	static const uint32_t x[4] = {0x3f800000u, 0x40000000u, 0x40400000u,
				      0x40800000u}; /* 1 2 3 4 */

	memset(d, 0, sizeof(*d));
	d->cw = 0x027f; /* double precision, nearest, all masked */
	d->mxcsr_in = 0x1f80;
	d->a = 0x4000000000000000ull;
	d->b = 0x4024000000000000ull;
	d->n = 1234567;
	for (int i = 0; i < 4; i++) {
		d->x[i] = x[i];
		d->y[i] = 0x40400000u; /* 3 */
	}
}

static int same_results(const struct wdata *d)
{
	return memcmp((const uint8_t *)d + OUT_FIRST,
		      (const uint8_t *)&ref + OUT_FIRST,
		      OUT_END - OUT_FIRST) == 0;
}

/* ---- traps ---- */

static volatile uint32_t nm_count, mf_count, mf_eip;

static void nm_fault(struct trap_frame *f)
{
	(void)f;
	nm_count++;
	write_cr0(read_cr0() & ~CR0_TS);
}

static void mf_fault(struct trap_frame *f)
{
	mf_count++;
	mf_eip = f->eip;
	__asm__ volatile("fnclex");
}

static void sys_exit(struct trap_frame *f)
{
	(void)f;
	return_to_kernel(0);
}

/* ---- the runs ---- */

static void run_flat(void)
{
	init_data(&ref);
	w32(&ref);
	CHECK_EQ(ref.s, 0x3fb504f3u, "ring 0: sqrt(2) as a float");
	CHECK_EQ(ref.bcd[0], 0x14, "ring 0: fbstp of 10 * sqrt(2) is 14");
	CHECK_EQ(ref.nq, 1745941, "ring 0: fistp of 1234567 * sqrt(2)");
	CHECK_EQ(ref.z[2], 0x40000000u, "ring 0: 3/3 + sqrt(3/3) = 2");
	CHECK_EQ(ref.zs[1], ref.z[2], "ring 0: pshufd");
	CHECK_EQ(ref.sw & 0x3800, 0, "ring 0: the x87 stack is empty again");
	CHECK_EQ(ref.mxcsr, 0x1fa0, "ring 0: MXCSR has the precision flag");
	/* low words 0 + 0, high words 0x3f80 + 0x4040, squared */
	CHECK_EQ((uint32_t)ref.m, 0x10000000u, "ring 0: MMX, low dword");
}

static void run_based(void)
{
	const uint32_t base = 0x40000u;

	init_data(&based);
	gdt_set(G_DATA_BASED, seg_desc(base, 0xfffff, DESC_DATA_RW,
				       DESC_FLAG_G | DESC_FLAG_DB));
	w32_ds((uint32_t)&based - base, SEL(G_DATA_BASED));
	CHECK(same_results(&based), "ring 0, DS with a base: same results");
}

static void run_ts(void)
{
	init_data(&kdata);
	nm_count = 0;
	write_cr0(read_cr0() | CR0_TS);
	w32(&kdata);
	CHECK_EQ(nm_count, 1, "ring 0, CR0.TS: one #NM");
	CHECK(same_results(&kdata), "ring 0, CR0.TS: same results");
}

static void run_real_mode(void)
{
	struct wdata *d = (struct wdata *)phys8(RM_DATA);

	init_data(d);
	run_real();
	CHECK(same_results(d), "real mode: same results");
}

static void run_user(void)
{
	init_data(&udata);
	enter_user((uint32_t)user_entry, USTACK_TOP, FL_IF | 0x2);
	CHECK(same_results(&udata), "ring 3: same results");
}

void mf_div(void);
void mf_wait(void);

static __attribute__((noinline)) void run_mf(void)
{
	uint16_t cw = 0x037b; /* ZM clear */

	mf_count = 0;
	__asm__ volatile("fninit\n\t"
			 "fldcw %0\n\t"
			 "fld1\n\t"
			 "fldz\n"
			 ".globl mf_div\n"
			 "mf_div:\n\t"
			 ".byte 0xde, 0xf9\n\t" /* fdivp: st(1) = 1 / 0 */
			 "movl $1, %%eax\n"
			 ".globl mf_wait\n"
			 "mf_wait:\n\t"
			 "fwait\n\t"
			 "fninit"
			 :
			 : "m"(cw)
			 : "eax", "memory");
	CHECK_EQ(mf_count, 1, "x87 divide by zero, unmasked: one #MF");
	CHECK_EQ(mf_eip, (uint32_t)mf_wait,
		 "#MF at the next waiting instruction, not at the divide");
}

/*
 * One FPU state carried across modes (and, under bt386, engines: the
 * translator in ring 0, the interpreter in real mode, direct execution in
 * ring 3): what each mode saves with FXSAVE is what the previous one
 * left, and each one's changes are there in the next.
 */
static uint8_t fx_before[512] __attribute__((aligned(16)));
static uint8_t fx_after[512] __attribute__((aligned(16)));
static const uint32_t pattern[8][4] __attribute__((aligned(16))) = {
	{0x11111111, 0x22222222, 0x33333333, 0x44444444},
	{0x01020304, 0x05060708, 0x090a0b0c, 0x0d0e0f10},
	{0x3f800000, 0x40000000, 0x40400000, 0x40800000},
	{0xdeadbeef, 0xfeedface, 0xcafebabe, 0x8badf00d},
	{0, 0xffffffff, 0x80000000, 0x7fffffff},
	{0x12345678, 0x9abcdef0, 0x0fedcba9, 0x87654321},
	{0x7f800000, 0xff800000, 0x7fc00000, 0x00000001},
	{0x55555555, 0xaaaaaaaa, 0x5a5a5a5a, 0xa5a5a5a5},
};
static const uint64_t stvals[7] = {
	0x3ff8000000000000ull, /* 1.5: st(0) */
	0x4000000000000000ull, 0x4008000000000000ull, 0xc010000000000000ull,
	0x3fb999999999999aull, 0x7ff0000000000000ull, 0x0000000000000001ull,
};

static void load_state(void)
{
	uint16_t cw = 0x0b7f; /* round up */
	uint32_t mx = 0x3f80; /* round down */

	__asm__ volatile("fninit\n\t"
			 "fldcw %0\n\t"
			 "ldmxcsr %1\n\t"
			 "fldl 48(%2)\n\t"
			 "fldl 40(%2)\n\t"
			 "fldl 32(%2)\n\t"
			 "fldl 24(%2)\n\t"
			 "fldl 16(%2)\n\t"
			 "fldl 8(%2)\n\t"
			 "fldl 0(%2)\n\t"
			 "movaps 0(%3), %%xmm0\n\t"
			 "movaps 16(%3), %%xmm1\n\t"
			 "movaps 32(%3), %%xmm2\n\t"
			 "movaps 48(%3), %%xmm3\n\t"
			 "movaps 64(%3), %%xmm4\n\t"
			 "movaps 80(%3), %%xmm5\n\t"
			 "movaps 96(%3), %%xmm6\n\t"
			 "movaps 112(%3), %%xmm7"
			 :
			 : "m"(cw), "m"(mx), "r"(stvals), "r"(pattern)
			 : "memory");
}

static void fxsave_to(uint8_t *p)
{
	__asm__ volatile("fxsave (%0)" : : "r"(p) : "memory");
}

/* Equal but for the pointers: FCW FSW FTW, MXCSR, the registers (the
 * 10 bytes of each x87 one: QEMU leaves the other 6 unwritten). */
static int same_state(const uint8_t *a, const uint8_t *b)
{
	int same = !memcmp(a, b, 5) && !memcmp(a + 24, b + 24, 4) &&
		   !memcmp(a + 160, b + 160, 128);

	for (int i = 0; i < 8; i++)
		same &= !memcmp(a + 32 + 16 * i, b + 32 + 16 * i, 10);
	return same;
}

/* st(0) in an image: the 80-bit value's mantissa and exponent. */
static int st0_is(const uint8_t *img, uint32_t mant_hi, uint16_t exp)
{
	uint32_t lo, hi;
	uint16_t e;

	memcpy(&lo, img + 32, 4);
	memcpy(&hi, img + 36, 4);
	memcpy(&e, img + 40, 2);
	return lo == 0 && hi == mant_hi && e == exp;
}

static uint32_t lane(const uint8_t *img, int xmm, int i)
{
	uint32_t v;

	memcpy(&v, img + 160 + 16 * xmm + 4 * i, 4);
	return v;
}

static void round_trip_real(void)
{
	uint8_t *rm = (uint8_t *)phys8(RM_DATA);
	uint16_t fn = (uint16_t)(x16 - rm_blob);
	static const uint32_t inc[4] = {1, 2, 3, 4};
	uint32_t mx = 0x5f80; /* round up */
	int ok = 1;

	memcpy(rm + 512, inc, 16);
	memcpy(rm + 528, &mx, 4);
	memcpy((void *)phys8(RM_BASE + (uint32_t)(rm_fn - rm_blob)), &fn, 2);
	load_state();
	fxsave_to(fx_before);
	run_real();
	fxsave_to(fx_after);
	fn = (uint16_t)(w16 - rm_blob);
	memcpy((void *)phys8(RM_BASE + (uint32_t)(rm_fn - rm_blob)), &fn, 2);
	CHECK(same_state(rm, fx_before),
	      "ring 0 to real mode: real mode sees the state ring 0 left");

	for (int i = 0; i < 4; i++)
		ok &= lane(fx_after, 0, i) == pattern[0][i] + inc[i];
	CHECK(ok, "real mode to ring 0: xmm0 as real mode left it");
	CHECK(st0_is(fx_after, 0xa0000000u, 0x4000),
	      "real mode to ring 0: st(0) = 1.5 + 1");
	CHECK_EQ(*(uint32_t *)(fx_after + 24), 0x5f80,
		 "real mode to ring 0: MXCSR as real mode left it");
	CHECK(!memcmp(fx_after + 160 + 16, fx_before + 160 + 16, 112),
	      "real mode to ring 0: xmm1-7 unchanged");
}

static void round_trip_user(void)
{
	int ok = 1;

	enter_user((uint32_t)user_step, USTACK_TOP, FL_IF | 0x2);
	fxsave_to(fx_before);
	CHECK(same_state(ufx, fx_after),
	      "ring 0 to ring 3: ring 3 sees the state ring 0 had");
	for (int i = 0; i < 4; i++)
		ok &= lane(fx_before, 0, i) == pattern[0][i] + 2 * uinc[i];
	CHECK(ok, "ring 3 to ring 0: xmm0 as ring 3 left it");
	CHECK(st0_is(fx_before, 0xe0000000u, 0x4000),
	      "ring 3 to ring 0: st(0) = 1.5 + 1 + 1");
	CHECK_EQ(*(uint32_t *)(fx_before + 24), 0x7f80,
		 "ring 3 to ring 0: MXCSR as ring 3 left it");
	__asm__ volatile("fninit");
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t a, b, c, d, *kpd;

	(void)magic;
	(void)mbi;
	printf("fpumodes: one x87/SSE/MMX workload in every mode, and the "
	       "floating-point exceptions\n");
	cpuid(1, &a, &b, &c, &d);
	if ((d & (1u << 24 | 1u << 25 | 1u << 26)) !=
	    (1u << 24 | 1u << 25 | 1u << 26))
		panic("the CPU lacks FXSR, SSE or SSE2 (edx 0x%08x)", d);
	write_cr0((read_cr0() | CR0_MP | CR0_NE) & ~(CR0_EM | CR0_TS));
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	trap_set_handler(7, nm_fault);
	trap_set_handler(16, mf_fault);
	trap_set_handler(0x80, sys_exit);
	idt_set_gate(0x80, idt_stub(0x80), GATE_INT32, 3);

	/* The real-mode blob, its far jump back, the 16-bit segments. */
	memcpy((void *)phys8(RM_BASE), rm_blob,
	       (size_t)(rm_blob_end - rm_blob));
	{
		uint32_t back = (uint32_t)rm_back;

		memcpy((void *)phys8(RM_BASE + (uint32_t)(rm_patch - rm_blob)),
		       &back, 4);
	}
	gdt_set(G_CODE16, seg_desc(RM_BASE, 0xffff, DESC_CODE_RX, 0));
	gdt_set(G_DATA16, seg_desc(0, 0xffff, DESC_DATA_RW, 0));

	section("ring 0");
	run_flat();
	run_based();
	run_ts();
	section("16-bit code and real mode");
	{
		/* lcall into the blob's 16-bit entry (a far pointer). */
		struct {
			uint32_t off;
			uint16_t sel;
		} __attribute__((packed))
		fp = {(uint32_t)(rm_pm16 - rm_blob), SEL(G_CODE16_PM)};

		init_data(&kdata);
		gdt_set(G_CODE16_PM,
			seg_desc(RM_BASE, 0xffff, DESC_CODE_RX, 0));
		__asm__ volatile("lcall *%1"
				 :
				 : "b"(&kdata), "m"(fp)
				 : "eax", "memory");
		CHECK(same_results(&kdata),
		      "16-bit code segment: same results");
	}
	run_real_mode();
	section("one state across modes");
	round_trip_real();
	section("ring 3");
	kpd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(kpd, va) |= PTE_U;
	paging_enable(kpd);
	run_user();
	/* The state round_trip_real() left, once more: into ring 3. */
	load_state();
	{
		static const uint32_t inc[4] = {1, 2, 3, 4};
		uint32_t mx = 0x5f80;

		__asm__ volatile("paddd %0, %%xmm0\n\t"
				 "fld1\n\t"
				 ".byte 0xde, 0xc1\n\t"
				 "ldmxcsr %1"
				 :
				 : "m"(inc), "m"(mx));
	}
	fxsave_to(fx_after);
	round_trip_user();
	section("exceptions");
	run_mf();
	paging_disable();
}
