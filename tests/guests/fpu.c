/*
 * fpu - x87 and SSE state of user processes across timer-driven context
 * switches, system calls and the kernel's own FPU use.
 *
 * Two user processes (IF = 1, IOPL = 0: under bt386 they run directly on
 * the host CPU) each load distinctive values into xmm0-7, seven x87
 * registers, MXCSR and the x87 control word (process 1 rounds down,
 * process 2 up), then step them over and over: paddd, mulsd, divps,
 * shufps, pxor, fmul, fadd, fxch, each step changing the state in a way
 * that is known exactly after k steps. Every 16 steps a process dumps its
 * registers (movups, fld/fstp, fnstsw, fnstcw, stmxcsr, a 1/3 whose last
 * bit depends on the rounding mode) and compares them with what k steps
 * must give; every 1024 steps it also checks its own fxsave image. Every
 * 256 steps it makes a system call in which the kernel saves the user
 * state with fxsave in ring 0, checks it, computes with x87 and SSE
 * itself (other values, round to nearest), checks its own results, and
 * gives the user state back.
 *
 * Two kernels: "eager" saves and restores the FPU state with
 * fxsave/fxrstor at every switch (and uses the FPU in the timer handler
 * too); "lazy" sets CR0.TS at a switch and moves the state in the #NM
 * handler. CR4.OSFXSR and OSXMMEXCPT are set, CR0.MP and NE set, EM
 * clear. The processes run until each has been switched in MIN_SWITCHES
 * times after loading its values (and done MIN_STEPS steps), so every run
 * crosses many switches. In the eager kernel, every timer interrupt of a
 * process also checks the parts of the image no step changes.
 */
#include "guest.h"

#define HZ 500
#define MIN_SWITCHES 20
#define MIN_STEPS 4096
#define NPROC 2
#define UVA 0x40000000u
#define STACK_TOP (UVA + 2 * PAGE_SIZE)
#define FRAME_BASE 0x800000u
#define ANY_K 0xffffffffu

#define CR0_MP 0x2u
#define CR0_EM 0x4u
#define CR0_TS 0x8u
#define CR0_NE 0x20u
#define CR4_OSFXSR 0x200u
#define CR4_OSXMMEXCPT 0x400u

/* A process's data page (UVA): constants, the dump, its fxsave area. */
struct fpdata {
	uint32_t xinit[8][4];		  /* 0 */
	uint64_t stinit[7];		  /* 128: st(0)..st(6) */
	uint32_t mxcsr, fcw;		  /* 184, 188 */
	uint32_t inc[4];		  /* 192: paddd increments */
	uint32_t onef[4];		  /* 208 */
	uint32_t threef[4];		  /* 224 */
	uint64_t two, half, oned, threed; /* 240, 248, 256, 264 */
	uint32_t xdump[8][4];		  /* 272 */
	uint64_t stdump[7];		  /* 400 */
	uint32_t fsw, fcwd, mxd, pad;	  /* 456 */
	uint64_t thirdd;		  /* 472 */
	uint8_t pad2[32];
	uint8_t fx[512];	    /* 512 */
	volatile uint32_t switches; /* 1024: written by the kernel */
	uint32_t pid;
	volatile uint32_t loaded; /* the process has loaded its values */
	uint32_t switches_at_load;
};
_Static_assert(__builtin_offsetof(struct fpdata, stinit) == 128, "layout");
_Static_assert(__builtin_offsetof(struct fpdata, inc) == 192, "layout");
_Static_assert(__builtin_offsetof(struct fpdata, two) == 240, "layout");
_Static_assert(__builtin_offsetof(struct fpdata, xdump) == 272, "layout");
_Static_assert(__builtin_offsetof(struct fpdata, fsw) == 456, "layout");
_Static_assert(__builtin_offsetof(struct fpdata, thirdd) == 472, "layout");
_Static_assert(__builtin_offsetof(struct fpdata, fx) == 512, "layout");
_Static_assert(__builtin_offsetof(struct fpdata, switches) == 1024, "layout");

enum { SYS_EXIT = 1, SYS_KFPU = 2, SYS_NOP = 3 };

/* ---- user: the FPU code (assembly: the guests build with
 * -mgeneral-regs-only, so C never touches these registers) ---- */
void fpu_load(struct fpdata *d);
void fpu_step(struct fpdata *d);
void fpu_dump(struct fpdata *d);
void fpu_fxsave(struct fpdata *d);
__asm__(".pushsection .user.text, \"ax\"\n"
	"fpu_load:\n\t"
	"movl 4(%esp), %edx\n\t"
	"ldmxcsr 184(%edx)\n\t"
	"fldcw 188(%edx)\n\t"
	"movaps 0(%edx), %xmm0\n\t"
	"movaps 16(%edx), %xmm1\n\t"
	"movaps 32(%edx), %xmm2\n\t"
	"movaps 48(%edx), %xmm3\n\t"
	"movaps 64(%edx), %xmm4\n\t"
	"movaps 80(%edx), %xmm5\n\t"
	"movaps 96(%edx), %xmm6\n\t"
	"movaps 112(%edx), %xmm7\n\t"
	"fldl 176(%edx)\n\t"
	"fldl 168(%edx)\n\t"
	"fldl 160(%edx)\n\t"
	"fldl 152(%edx)\n\t"
	"fldl 144(%edx)\n\t"
	"fldl 136(%edx)\n\t"
	"fldl 128(%edx)\n\t"
	"ret\n"
	/* One step: xmm0 += inc, xmm1 *= 2 * 0.5, xmm2 = 1/3 (rounded by
	 * MXCSR), xmm3 rotated by one lane, xmm4 ^= xmm5 twice, st0 *= 2 *
	 * 0.5, st1 += 1. */
	"fpu_step:\n\t"
	"movl 4(%esp), %edx\n\t"
	"paddd 192(%edx), %xmm0\n\t"
	"mulsd 240(%edx), %xmm1\n\t"
	"mulsd 248(%edx), %xmm1\n\t"
	"movaps 208(%edx), %xmm2\n\t"
	"divps 224(%edx), %xmm2\n\t"
	"shufps $0x39, %xmm3, %xmm3\n\t"
	"pxor %xmm5, %xmm4\n\t"
	"pxor %xmm5, %xmm4\n\t"
	"fmull 240(%edx)\n\t"
	"fmull 248(%edx)\n\t"
	"fxch %st(1)\n\t"
	"faddl 256(%edx)\n\t"
	"fxch %st(1)\n\t"
	"ret\n"
	"fpu_dump:\n\t"
	"movl 4(%esp), %edx\n\t"
	"movups %xmm0, 272(%edx)\n\t"
	"movups %xmm1, 288(%edx)\n\t"
	"movups %xmm2, 304(%edx)\n\t"
	"movups %xmm3, 320(%edx)\n\t"
	"movups %xmm4, 336(%edx)\n\t"
	"movups %xmm5, 352(%edx)\n\t"
	"movups %xmm6, 368(%edx)\n\t"
	"movups %xmm7, 384(%edx)\n\t"
	"fld %st(0)\n\t"
	"fstpl 400(%edx)\n\t"
	"fld %st(1)\n\t"
	"fstpl 408(%edx)\n\t"
	"fld %st(2)\n\t"
	"fstpl 416(%edx)\n\t"
	"fld %st(3)\n\t"
	"fstpl 424(%edx)\n\t"
	"fld %st(4)\n\t"
	"fstpl 432(%edx)\n\t"
	"fld %st(5)\n\t"
	"fstpl 440(%edx)\n\t"
	"fld %st(6)\n\t"
	"fstpl 448(%edx)\n\t"
	"fnstsw 456(%edx)\n\t"
	"fnstcw 460(%edx)\n\t"
	"stmxcsr 464(%edx)\n\t"
	"fld1\n\t"
	"fdivl 264(%edx)\n\t"
	"fstpl 472(%edx)\n\t"
	"ret\n"
	"fpu_fxsave:\n\t"
	"movl 4(%esp), %edx\n\t"
	"fxsave 512(%edx)\n\t"
	"ret\n\t"
	".popsection");

/* ---- what the state must be (shared by user code and the kernel) ---- */

/* The bits of the double n (n > 0). */
USER_TEXT static uint64_t dbl(uint32_t n)
{
	uint32_t e = 31 - __builtin_clz(n);
	uint64_t m = ((uint64_t)n << (52 - e)) & ((1ull << 52) - 1);

	return (uint64_t)(1023 + e) << 52 | m;
}

/* 1/3 as a float and as a double (through x87) in a rounding mode. */
USER_TEXT static uint32_t third_f(uint32_t mxcsr)
{
	return ((mxcsr >> 13) & 3) == 2 || ((mxcsr >> 13) & 3) == 0
		       ? 0x3eaaaaabu
		       : 0x3eaaaaaau;
}

USER_TEXT static uint64_t third_d(uint32_t fcw)
{
	return ((fcw >> 10) & 3) == 2 ? 0x3fd5555555555556ull
				      : 0x3fd5555555555555ull;
}

/* The xmm registers and st(0)..st(6) after k steps. */
USER_TEXT static void expected(const struct fpdata *d, uint32_t k,
			       uint32_t x[8][4], uint64_t st[7])
{
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			x[i][j] = d->xinit[i][j];
	for (int j = 0; j < 4; j++) {
		x[0][j] = d->xinit[0][j] + k * d->inc[j];
		x[2][j] = k ? third_f(d->mxcsr) : d->xinit[2][j];
		x[3][j] = d->xinit[3][(j + k) & 3];
	}
	for (int i = 0; i < 7; i++)
		st[i] = d->stinit[i];
	st[1] = dbl(1000 * d->pid + k);
}

USER_TEXT static uint32_t verify_dump(const struct fpdata *d, uint32_t k)
{
	uint32_t x[8][4], bad = 0;
	uint64_t st[7];

	expected(d, k, x, st);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			bad += d->xdump[i][j] != x[i][j];
	for (int i = 0; i < 7; i++)
		bad += d->stdump[i] != st[i];
	bad += ((d->fsw >> 11) & 7) != 1; /* TOP: seven values pushed */
	bad += (d->fcwd & 0xffff) != d->fcw;
	bad += (d->mxd & 0xffc0) != d->mxcsr;
	bad += d->thirdd != third_d(d->fcw);
	return bad;
}

/* Does the 80-bit register at p hold the double with bits v? */
USER_TEXT static int ext_is(const uint8_t *p, uint64_t v)
{
	uint64_t m = 1ull << 63 | (v & ((1ull << 52) - 1)) << 11;
	uint32_t se = (uint32_t)(v >> 63) << 15 |
		      (((uint32_t)(v >> 52) & 0x7ff) - 1023 + 16383);

	return *(const uint64_t *)p == m &&
	       *(const uint16_t *)(p + 8) == (uint16_t)se;
}

/*
 * Check an fxsave image against k steps. With k == ANY_K (an image taken
 * at an unknown point, maybe in the middle of a step or a dump) only what
 * no step changes: xmm5-7, the physical registers R3..R7 (st(2)..st(6)
 * of the loaded stack), FCW and the MXCSR controls.
 */
USER_TEXT static uint32_t verify_image(const uint8_t *img,
				       const struct fpdata *d, uint32_t k)
{
	uint32_t x[8][4], bad = 0,
			  top = (*(const uint16_t *)(img + 2) >> 11) & 7;
	uint64_t st[7];

	expected(d, k == ANY_K ? 0 : k, x, st);
	bad += *(const uint16_t *)img != d->fcw;
	bad += (*(const uint32_t *)(img + 24) & 0xffc0) != d->mxcsr;
	for (int i = (k == ANY_K ? 5 : 0); i < 8; i++)
		for (int j = 0; j < 4; j++)
			bad += *(const uint32_t *)(img + 160 + 16 * i +
						   4 * j) != x[i][j];
	if (k == ANY_K) {
		for (int r = 3; r <= 7; r++)
			bad += !ext_is(img + 32 + 16 * ((r - top) & 7),
				       st[r - 1]);
		return bad;
	}
	bad += top != 1;
	bad += img[4] != 0xfe; /* abridged tags: R1..R7 valid */
	for (int i = 0; i < 7; i++)
		bad += !ext_is(img + 32 + 16 * i, st[i]);
	return bad;
}

/* ---- user: the process ---- */

static inline __attribute__((always_inline)) uint32_t sys(uint32_t n,
							  uint32_t a)
{
	__asm__ volatile("int $0x80" : "+a"(n) : "b"(a) : "memory");
	return n;
}

USER_TEXT void fpu_proc(void)
{
	struct fpdata *d = (struct fpdata *)UVA;
	uint32_t bad = 0, k;

	fpu_load(d);
	d->loaded = 1;
	d->switches_at_load = d->switches;
	for (k = 1;; k++) {
		fpu_step(d);
		if ((k & 15) == 0) {
			fpu_dump(d);
			bad += verify_dump(d, k);
		}
		if ((k & 255) == 0)
			sys(SYS_KFPU, k);
		else if ((k & 127) == 0)
			sys(SYS_NOP, 0);
		if ((k & 1023) == 0) {
			fpu_fxsave(d);
			bad += verify_image(d->fx, d, k);
		}
		if (k >= MIN_STEPS &&
		    d->switches - d->switches_at_load >= MIN_SWITCHES)
			break;
	}
	fpu_dump(d);
	bad += verify_dump(d, k);
	sys(SYS_EXIT, bad);
}

/* ---- kernel ---- */

struct proc {
	uint32_t *pd, frame;
	struct trap_frame tf;
	uint8_t fx[512] __attribute__((aligned(16)));
	int done;
	uint32_t switches, user_errors, kimage_errors, kimage_checks;
	uint32_t tick_errors, tick_checks, nm;
};

static uint32_t *kpd;
static struct proc procs[NPROC] __attribute__((aligned(16)));
static int cur, lazy, owner = -1;
static uint8_t ktmp[512] __attribute__((aligned(16)));
static uint32_t kfpu_uses, kfpu_errors;

/* The kernel's own data for its FPU work. */
static struct {
	uint32_t junk[8][4];
	uint32_t onef[4], threef[4], res_f[4];
	uint64_t oned, threed, res_d, pi_sum;
	uint32_t mxcsr;
} kd __attribute__((aligned(16))) = {
	.onef = {0x3f800000u, 0x3f800000u, 0x3f800000u, 0x3f800000u},
	.threef = {0x40400000u, 0x40400000u, 0x40400000u, 0x40400000u},
	.oned = 0x3ff0000000000000ull,
	.threed = 0x4008000000000000ull,
	.mxcsr = 0x1f80,
};

static void fx_save(void *a)
{
	__asm__ volatile("fxsave (%0)" : : "r"(a) : "memory");
}

static void fx_restore(const void *a)
{
	__asm__ volatile("fxrstor (%0)" : : "r"(a) : "memory");
}

static void clts(void)
{
	__asm__ volatile("clts" ::: "memory");
}

static struct fpdata *data_of(int p)
{
	return (struct fpdata *)procs[p].frame;
}

/*
 * The kernel computing with the FPU: every register gets other values,
 * round to nearest. The caller has saved the user state.
 */
static void kernel_fpu_work(void)
{
	__asm__ volatile(
		"fninit\n\t"
		"ldmxcsr %c[mx](%0)\n\t"
		"movaps 0(%0), %%xmm0\n\t"
		"movaps 16(%0), %%xmm1\n\t"
		"movaps 32(%0), %%xmm2\n\t"
		"movaps 48(%0), %%xmm3\n\t"
		"movaps 64(%0), %%xmm4\n\t"
		"movaps 80(%0), %%xmm5\n\t"
		"movaps 96(%0), %%xmm6\n\t"
		"movaps 112(%0), %%xmm7\n\t"
		"movaps %c[one](%0), %%xmm3\n\t"
		"divps %c[three](%0), %%xmm3\n\t"
		"movups %%xmm3, %c[rf](%0)\n\t"
		"fldpi\n\t"
		"fldpi\n\t"
		"fldpi\n\t"
		"fldpi\n\t"
		"fldpi\n\t"
		"fldpi\n\t"
		"fldpi\n\t"
		"fld1\n\t"
		"fdivl %c[threed](%0)\n\t"
		"fstpl %c[rd](%0)\n\t"
		"faddp\n\t"
		"fstpl %c[pis](%0)\n\t"
		:
		: "r"(&kd), [mx] "i"(__builtin_offsetof(__typeof__(kd), mxcsr)),
		  [one] "i"(__builtin_offsetof(__typeof__(kd), onef)),
		  [three] "i"(__builtin_offsetof(__typeof__(kd), threef)),
		  [rf] "i"(__builtin_offsetof(__typeof__(kd), res_f)),
		  [threed] "i"(__builtin_offsetof(__typeof__(kd), threed)),
		  [rd] "i"(__builtin_offsetof(__typeof__(kd), res_d)),
		  [pis] "i"(__builtin_offsetof(__typeof__(kd), pi_sum))
		: "memory");
	kfpu_uses++;
	for (int j = 0; j < 4; j++)
		kfpu_errors += kd.res_f[j] != 0x3eaaaaabu;
	kfpu_errors += kd.res_d != 0x3fd5555555555555ull;
	kfpu_errors += kd.pi_sum != 0x401921fb54442d18ull; /* 2 pi */
}

/* Lazy kernel: make the FPU the kernel's (the user state to its home). */
static void lazy_fpu_begin(void)
{
	clts();
	if (owner >= 0) {
		fx_save(procs[owner].fx);
		owner = -1;
	}
}

static void lazy_fpu_end(void)
{
	write_cr0(read_cr0() | CR0_TS);
}

static void dispatch(int next, struct trap_frame *f)
{
	if (!lazy) {
		fx_save(procs[cur].fx);
		fx_restore(procs[next].fx);
	} else {
		write_cr0(read_cr0() | CR0_TS);
	}
	if (next != cur)
		write_cr3((uint32_t)procs[next].pd);
	cur = next;
	*f = procs[cur].tf;
	procs[cur].switches++;
	data_of(cur)->switches = procs[cur].switches;
}

static int pick_next(void)
{
	for (int i = 1; i <= NPROC; i++) {
		int p = (cur + i) % NPROC;

		if (!procs[p].done)
			return p;
	}
	return -1;
}

static void timer_irq(struct trap_frame *f)
{
	struct proc *p = &procs[cur];

	pic_eoi(0);
	if ((f->cs & 3) != 3)
		return;
	/* The kernel uses the FPU in the interrupt, then switches. */
	if (!lazy) {
		fx_save(ktmp);
		if (data_of(cur)->loaded) {
			p->tick_errors +=
				verify_image(ktmp, data_of(cur), ANY_K);
			p->tick_checks++;
		}
		kernel_fpu_work();
		fx_restore(ktmp);
	} else {
		lazy_fpu_begin();
		kernel_fpu_work();
		lazy_fpu_end();
	}
	p->tf = *f;
	dispatch(pick_next(), f);
}

static void nm_fault(struct trap_frame *f)
{
	if (!lazy || (f->cs & 3) != 3)
		panic("unexpected #NM at %08x", f->eip);
	clts();
	procs[cur].nm++;
	if (owner != cur) {
		if (owner >= 0)
			fx_save(procs[owner].fx);
		fx_restore(procs[cur].fx);
		owner = cur;
	}
}

static void syscall(struct trap_frame *f)
{
	struct proc *p = &procs[cur];
	int next;

	switch (f->eax) {
	case SYS_EXIT:
		p->done = 1;
		p->user_errors = f->ebx;
		if (!lazy)
			fx_save(p->fx);
		next = pick_next();
		if (next < 0)
			return_to_kernel(0);
		if (lazy) {
			write_cr0(read_cr0() | CR0_TS);
		} else {
			fx_restore(procs[next].fx);
		}
		write_cr3((uint32_t)procs[next].pd);
		cur = next;
		*f = procs[cur].tf;
		break;
	case SYS_KFPU:
		if (!lazy) {
			fx_save(ktmp);
			p->kimage_errors +=
				verify_image(ktmp, data_of(cur), f->ebx);
			kernel_fpu_work();
			fx_restore(ktmp);
		} else {
			lazy_fpu_begin();
			/* Whoever owned it, the user state is home now. */
			p->kimage_errors +=
				verify_image(p->fx, data_of(cur), f->ebx);
			kernel_fpu_work();
			lazy_fpu_end();
		}
		p->kimage_checks++;
		f->eax = 0;
		break;
	case SYS_NOP:
		f->eax = 0;
		break;
	default:
		f->eax = (uint32_t)-1;
		break;
	}
}

static void unexpected(struct trap_frame *f)
{
	panic("process %d: exception %u (error 0x%x) at %08x", cur + 1,
	      f->vector, f->err, f->eip);
}

static void build_process(int n, int phase)
{
	struct proc *p = &procs[n];
	struct fpdata *d;
	uint32_t pid = n + 1, salt = phase * 0x00500000u;

	memset(p, 0, sizeof(*p));
	p->pd = pd_new();
	for (int i = 0; i < 4; i++)
		p->pd[i] = kpd[i];
	p->frame = FRAME_BASE + (uint32_t)(phase * NPROC + n) * 2 * PAGE_SIZE;
	map_page(p->pd, UVA, p->frame, PTE_P | PTE_W | PTE_U);
	map_page(p->pd, UVA + PAGE_SIZE, p->frame + PAGE_SIZE,
		 PTE_P | PTE_W | PTE_U);
	memset((void *)p->frame, 0, 2 * PAGE_SIZE);

	d = data_of(n);
	d->pid = pid;
	for (uint32_t i = 0; i < 8; i++)
		for (uint32_t j = 0; j < 4; j++)
			d->xinit[i][j] = (0x10000000u * (i + 1)) ^
					 (pid * 0x01010101u) ^ (j * 0x111u) ^
					 salt;
	/* xmm1's low quadword is a double: *2 *0.5 must be exact. */
	d->xinit[1][0] = (uint32_t)dbl(77777 * pid + 5 + phase);
	d->xinit[1][1] = (uint32_t)(dbl(77777 * pid + 5 + phase) >> 32);
	d->stinit[0] = dbl(3 * pid + 11 + phase);
	d->stinit[1] = dbl(1000 * pid);
	for (int i = 2; i < 7; i++)
		d->stinit[i] = 0x400921fb54442d18ull + pid * 0x1000 + i + salt;
	d->mxcsr = pid == 1 ? 0x3f80 : 0x5f80; /* round down / up */
	d->fcw = pid == 1 ? 0x077f : 0x0b7f;
	for (int j = 0; j < 4; j++) {
		d->inc[j] = j + 1;
		d->onef[j] = 0x3f800000u;
		d->threef[j] = 0x40400000u;
	}
	d->two = 0x4000000000000000ull;
	d->half = 0x3fe0000000000000ull;
	d->oned = 0x3ff0000000000000ull;
	d->threed = 0x4008000000000000ull;

	/* The initial FPU state: what fninit gives, SSE defaults. */
	__asm__ volatile("fninit\n\tldmxcsr %0" : : "m"(kd.mxcsr));
	fx_save(p->fx);

	p->tf.eip = (uint32_t)fpu_proc;
	p->tf.cs = SEL_UCODE;
	p->tf.eflags = FL_IF | 0x2;
	p->tf.user_esp = STACK_TOP;
	p->tf.user_ss = SEL_UDATA;
	p->tf.ds = p->tf.es = p->tf.fs = p->tf.gs = SEL_UDATA;
}

static void run_phase(int phase)
{
	char name[96];
	const char *what = phase ? "lazy" : "eager";

	lazy = phase;
	owner = -1;
	kfpu_uses = kfpu_errors = 0;
	for (int n = 0; n < NPROC; n++)
		build_process(n, phase);
	cur = 0;
	procs[0].switches = 1;
	data_of(0)->switches = 1;
	write_cr3((uint32_t)procs[0].pd);
	if (lazy)
		write_cr0(read_cr0() | CR0_TS);
	else
		fx_restore(procs[0].fx);
	pic_set_mask(0xfffe);
	enter_user((uint32_t)fpu_proc, STACK_TOP, FL_IF | 0x2);
	pic_set_mask(0xffff);
	clts();
	write_cr3((uint32_t)kpd);

	for (int n = 0; n < NPROC; n++) {
		struct proc *p = &procs[n];

		snprintf(name, sizeof(name),
			 "%s: process %d: its registers were right at every "
			 "check",
			 what, n + 1);
		CHECK_EQ(p->user_errors, 0, name);
		snprintf(name, sizeof(name),
			 "%s: process %d: switched in at least %u times", what,
			 n + 1, MIN_SWITCHES);
		CHECK(p->switches >= MIN_SWITCHES, name);
		snprintf(name, sizeof(name),
			 "%s: process %d: the kernel's fxsave images in "
			 "system calls were right",
			 what, n + 1);
		CHECK(p->kimage_checks >= 16 && p->kimage_errors == 0, name);
		if (p->kimage_errors)
			printf("#   %u mismatches\n", p->kimage_errors);
		if (!lazy) {
			snprintf(name, sizeof(name),
				 "%s: process %d: the images taken at timer "
				 "interrupts were right",
				 what, n + 1);
			/* Each switch-in after the load follows a tick that
			 * interrupted this process with its values loaded. */
			CHECK(p->tick_checks >= MIN_SWITCHES - 1 &&
				      p->tick_errors == 0,
			      name);
			if (p->tick_errors)
				printf("#   %u mismatches\n", p->tick_errors);
		} else {
			snprintf(name, sizeof(name),
				 "%s: process %d: took #NM to get its state "
				 "back",
				 what, n + 1);
			CHECK(p->nm >= 2, name);
		}
	}
	snprintf(name, sizeof(name), "%s: the kernel's own FPU results", what);
	CHECK(kfpu_uses > 0 && kfpu_errors == 0, name);
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t a, b, c, d;

	printf("fpu: x87 and SSE state across context switches, system "
	       "calls and kernel FPU use\n");
	cpuid(1, &a, &b, &c, &d);
	if ((d & (1u << 24 | 1u << 25 | 1u << 26)) !=
	    (1u << 24 | 1u << 25 | 1u << 26))
		panic("the CPU lacks FXSR, SSE or SSE2 (edx 0x%08x)", d);
	write_cr0((read_cr0() | CR0_MP | CR0_NE) & ~(CR0_EM | CR0_TS));
	write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
	__asm__ volatile("fninit");

	kpd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(kpd, va) |= PTE_U;
	paging_enable(kpd);
	write_cr0(read_cr0() | CR0_WP);
	for (int i = 0; i < 8; i++)
		for (int j = 0; j < 4; j++)
			kd.junk[i][j] = 0xdead0000u | i << 8 | j;

	for (int v = 0; v < 32; v++)
		trap_set_handler(v, unexpected);
	trap_set_handler(7, nm_fault);
	trap_set_handler(IRQ_BASE, timer_irq);
	trap_set_handler(0x80, syscall);
	idt_set_gate(0x80, idt_stub(0x80), GATE_INT32, 3);
	pit_set_hz(HZ);

	section("eager switching: fxsave/fxrstor at every switch");
	run_phase(0);
	section("lazy switching: CR0.TS and #NM");
	run_phase(1);
	paging_disable();
}
