/*
 * fpu_host.c - the guest's FPU state and the host FPU runner
 * (include/bt/fpu.h, src/bt/interp_fpu.h).
 *
 * The interpreter runs every x87/MMX/SSE instruction that computes on
 * the host FPU, with the guest's state loaded, so that its results are
 * bit for bit those of the translator and of direct execution (which run
 * the same instructions natively) on every host. fpu_host_exec() writes
 * the re-encoded instruction (interp_fpu.c) followed by `ret` into one
 * executable page mapped at set-up, and host_fpu.S calls it between an
 * FXRSTOR and an FXSAVE of the image. An unmasked SIMD exception traps on
 * the host (SIGFPE); bt_fpu_host_fault() resumes the runner's fault path,
 * which saves the state as the fault left it. x87 exceptions never trap
 * here: they are pending until the next waiting instruction, which the
 * interpreter checks itself before it runs anything on the host.
 *
 * Invariants: the area is only touched on the vCPU thread; between
 * fpu_load_img() and fpu_store_img() nothing else changes it.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "bt/interp_fpu.h"
#include "monitor/de.h"

#define LOW4G (1ull << 32)
#define CODE_SIZE 4096u
#define OWN_AREA_SIZE 4096u

/* struct fpu_run as host_fpu.S sees it. */
struct fpu_run {
	void *area;
	const void *code;
	uint64_t rax;
	uint64_t rflags;
	void *mem;
};
_Static_assert(offsetof(struct fpu_run, area) == 0, "host_fpu.S R_AREA");
_Static_assert(offsetof(struct fpu_run, code) == 8, "host_fpu.S R_CODE");
_Static_assert(offsetof(struct fpu_run, rax) == 16, "host_fpu.S R_RAX");
_Static_assert(offsetof(struct fpu_run, rflags) == 24, "R_RFLAGS");
_Static_assert(offsetof(struct fpu_run, mem) == 32, "host_fpu.S R_MEM");

int bt_host_fpu_run(struct fpu_run *r);
void bt_host_fpu_fault(void);

static struct {
	bool ready;
	uint8_t *code; /* the executable page */
	uint8_t *area; /* the guest's XSAVE area */
	volatile int trapno;
	struct sigaction old_fpe;
} fh;

/* ---- set-up ------------------------------------------------------------- */

static void *map_high(size_t size, int prot)
{
	void *p = mmap(NULL, size, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	/* Nothing of the monitor's in the guest's 4 GiB. */
	if ((uintptr_t)p < LOW4G) {
		munmap(p, size);
		return NULL;
	}
	return p;
}

/* An XSAVE area in the state FNINIT and a default MXCSR give. */
static void init_area(uint8_t *a)
{
	uint16_t fcw = 0x37f;
	uint32_t mxcsr = 0x1f80;

	memset(a, 0, OWN_AREA_SIZE);
	memcpy(a + FX_FCW, &fcw, 2);
	memcpy(a + FX_MXCSR, &mxcsr, 4);
}

static void on_sigfpe(int sig, siginfo_t *si, void *uc)
{
	if (bt_fpu_host_fault(sig, uc))
		return;
	if ((fh.old_fpe.sa_flags & SA_SIGINFO) && fh.old_fpe.sa_sigaction) {
		fh.old_fpe.sa_sigaction(sig, si, uc);
		return;
	}
	/* Not ours: the default action when the fault repeats. */
	signal(sig, SIG_DFL);
}

int bt_fpu_init(char *err, size_t errlen)
{
	size_t de_size;
	struct sigaction sa;

	if (fh.ready)
		return 0;
	fh.code = map_high(CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
	if (!fh.code) {
		snprintf(err, errlen, "cannot map the FPU runner's code page");
		return -1;
	}
	memset(fh.code, 0xcc, CODE_SIZE);
	fh.area = de_guest_fpu(&de_size);
	if (!fh.area) {
		fh.area = map_high(OWN_AREA_SIZE, PROT_READ | PROT_WRITE);
		if (!fh.area) {
			snprintf(err, errlen, "cannot allocate the FPU area");
			return -1;
		}
		init_area(fh.area);
	}
	/* Direct execution's handler calls bt_fpu_host_fault() through the
	 * monitor's host hook; otherwise SIGFPE is ours. */
	if (sigaction(SIGFPE, NULL, &fh.old_fpe) == 0 &&
	    !(fh.old_fpe.sa_flags & SA_SIGINFO) &&
	    fh.old_fpe.sa_handler == SIG_DFL) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = on_sigfpe;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		if (sigaction(SIGFPE, &sa, NULL) != 0) {
			snprintf(err, errlen,
				 "cannot install a SIGFPE handler");
			return -1;
		}
	}
	fh.ready = true;
	return 0;
}

static void ensure_ready(void)
{
	char err[128];

	if (!fh.ready && bt_fpu_init(err, sizeof(err)) < 0) {
		fprintf(stderr, "bt386: %s\n", err);
		abort();
	}
}

void *bt_fpu_area(void)
{
	ensure_ready();
	return fh.area;
}

bool bt_fpu_host_fault(int sig, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)g[REG_RIP];

	if (sig != SIGFPE || !fh.code || rip - (uintptr_t)fh.code >= CODE_SIZE)
		return false;
	fh.trapno = (int)g[REG_TRAPNO];
	/* Drop the return address of the runner's call, resume its fault
	 * path (host_fpu.S). */
	g[REG_RSP] += 8;
	g[REG_RIP] = (greg_t)(uintptr_t)bt_host_fpu_fault;
	return true;
}

/* ---- images ------------------------------------------------------------- */

void fpu_load_img(struct fpu_img *m)
{
	const uint8_t *a = bt_fpu_area();
	uint64_t bv;

	memcpy(m->b, a, FX_LEGACY);
	memcpy(&bv, a + XS_BV, 8);
	/* A component in its initial state may have stale bytes in the
	 * legacy region (XRSTOR ignores them): make it explicit. */
	if (!(bv & 1)) {
		uint32_t mxcsr = fx_get32(m, FX_MXCSR);
		uint32_t mask = fx_get32(m, FX_MXCSR_MASK);

		memset(m->b, 0, 160);
		fx_put16(m, FX_FCW, 0x37f);
		fx_put32(m, FX_MXCSR, mxcsr);
		fx_put32(m, FX_MXCSR_MASK, mask);
	}
	if (!(bv & 2))
		memset(m->b + FX_XMM(0), 0, 16 * 16);
	memset(m->b + XS_BV, 0, FPU_IMG_SIZE - XS_BV);
	m->b[XS_BV] = 3;
}

void fpu_store_img(const struct fpu_img *m)
{
	uint8_t *a = bt_fpu_area();

	memcpy(a, m->b, FX_LEGACY);
	a[XS_BV] |= 3;
}

void bt_fpu_reset(struct vcpu *cpu)
{
	struct fpu_img m;

	/* What firmware leaves (it runs FNINIT): bt386 boots kernels
	 * directly, and guests tested elsewhere (QEMU) expect it rather
	 * than the RESET values (FCW 0x0040, every register +0.0). */
	fpu_load_img(&m);
	memset(m.b, 0, 160);
	memset(m.b + FX_XMM(0), 0, 16 * 16);
	fpu_init_x87(&m);
	fx_put32(&m, FX_MXCSR, 0x1f80);
	fpu_store_img(&m);
	cpu->fpu_ferr = false;
	cpu->fpu_ignne = false;
}

/* ---- running ------------------------------------------------------------ */

int fpu_host_exec(struct fpu_img *m, const uint8_t *code, unsigned len,
		  uint64_t *rax, uint64_t *rflags, void *mem)
{
	struct fpu_run r = {
		.area = m->b,
		.code = fh.code,
		.rax = *rax,
		.rflags = (*rflags & X86_FL_ARITH) | X86_FL_FIXED1,
		.mem = mem,
	};

	ensure_ready();
	memcpy(fh.code, code, len);
	fh.code[len] = 0xc3; /* ret */
	fh.trapno = 0;
	if (bt_host_fpu_run(&r))
		return fh.trapno ? fh.trapno : X86_EXC_XM;
	*rax = r.rax;
	*rflags = r.rflags;
	return 0;
}
