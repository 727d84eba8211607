/*
 * native32.c - run 32-bit code natively from an x86-64 test (see
 * native32.h).
 *
 * Layout at N32_BASE (below 2 GiB, so that 64-bit code can reach it with
 * absolute disp32 addressing too):
 *   page 0: struct n32_state (registers in/out, far pointers, the host
 *           stack pointer to come back to) and a small scratch stack the
 *           trampoline uses for pushf/popf, so the guest's own stack is
 *           never written by the harness;
 *   page 1: a copy of the trampoline template below:
 *     entry (32-bit): load DS/ES with the host's flat data selector
 *       (the one in SS), EFLAGS, the eight registers, jump to state.eip;
 *     save (32-bit, reached from stop stubs): store the registers and
 *       EFLAGS, clear DF, far-jump to the landing;
 *     land (64-bit): restore the host RSP and jump back into n32_enter.
 * Faults are caught by a signal handler running on an alternate stack
 * (the interrupted ESP is the guest's): it copies the registers out of the
 * signal context and rewrites the context to resume in 64-bit mode at
 * the same place a normal return would.
 */
#include "native32.h"

#include <asm/ldt.h>
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "monitor/monitor.h"

struct n32_state {
	uint32_t regs[8];  /* 0 */
	uint32_t eip;	   /* 32 */
	uint32_t eflags;   /* 36 */
	uint32_t save_ptr; /* 40: address of the save trampoline */
	uint32_t far_off;  /* 44: m16:32 pointer to the 64-bit landing */
	uint16_t far_sel;  /* 48 */
	uint16_t pad0;
	uint32_t pad1;
	uint64_t host_rsp;   /* 56 */
	uint64_t resume;     /* 64 */
	uint64_t fpu;	     /* 72: XSAVE area to load and save, or 0 */
	uint32_t host_mxcsr; /* 80 */
	uint16_t host_fcw;   /* 84 */
};

#define ST_EIP 32
#define ST_EFLAGS 36
#define ST_SAVE 40
#define ST_FAR 44
#define ST_RSP 56
#define ST_RESUME 64
#define ST_FPU 72
#define ST_HMXCSR 80
#define ST_HFCW 84
#define ST_STACK_TOP 0xff0 /* scratch stack, top of the state page */
#define N32_CODE (N32_BASE + 0x1000)

_Static_assert(__builtin_offsetof(struct n32_state, eip) == ST_EIP, "");
_Static_assert(__builtin_offsetof(struct n32_state, eflags) == ST_EFLAGS, "");
_Static_assert(__builtin_offsetof(struct n32_state, save_ptr) == ST_SAVE, "");
_Static_assert(__builtin_offsetof(struct n32_state, far_off) == ST_FAR, "");
_Static_assert(__builtin_offsetof(struct n32_state, host_rsp) == ST_RSP, "");
_Static_assert(__builtin_offsetof(struct n32_state, resume) == ST_RESUME, "");
_Static_assert(__builtin_offsetof(struct n32_state, fpu) == ST_FPU, "");
_Static_assert(__builtin_offsetof(struct n32_state, host_mxcsr) == ST_HMXCSR,
	       "");
_Static_assert(__builtin_offsetof(struct n32_state, host_fcw) == ST_HFCW, "");

#define STR_(x) #x
#define STR(x) STR_(x)
#define ST(off) "(" STR(N32_BASE) "+" STR(off) ")"

/*
 * The trampoline template (copied to N32_CODE) and the 64-bit entry.
 * With STATE->fpu set, n32_enter loads the guest FPU state (XRSTOR, x87
 * and SSE) right before the far return into 32-bit code and saves it
 * (XSAVE) right after coming back, before any C runs; a fault comes
 * back the same way, with the state the fault left (the signal return
 * restores it).
 */
/* clang-format off */
__asm__(".pushsection .rodata.n32, \"a\"\n"
	".globl n32_tmpl_start, n32_tmpl_save, n32_tmpl_land, n32_tmpl_end\n"
	".hidden n32_tmpl_start, n32_tmpl_save, n32_tmpl_land, n32_tmpl_end\n"
	"n32_tmpl_start:\n"
	".code32\n"
	"	mov %ss, %eax\n"
	"	mov %eax, %ds\n"
	"	mov %eax, %es\n"
	"	mov $" ST(ST_STACK_TOP) ", %esp\n"
	"	pushl " ST(ST_EFLAGS) "\n"
	"	popfl\n"
	"	mov " ST(0) ", %eax\n"
	"	mov " ST(4) ", %ecx\n"
	"	mov " ST(8) ", %edx\n"
	"	mov " ST(12) ", %ebx\n"
	"	mov " ST(20) ", %ebp\n"
	"	mov " ST(24) ", %esi\n"
	"	mov " ST(28) ", %edi\n"
	"	mov " ST(16) ", %esp\n"
	"	jmp *" ST(ST_EIP) "\n"
	"n32_tmpl_save:\n"
	"	mov %eax, " ST(0) "\n"
	"	mov %ecx, " ST(4) "\n"
	"	mov %edx, " ST(8) "\n"
	"	mov %ebx, " ST(12) "\n"
	"	mov %esp, " ST(16) "\n"
	"	mov %ebp, " ST(20) "\n"
	"	mov %esi, " ST(24) "\n"
	"	mov %edi, " ST(28) "\n"
	"	mov $" ST(ST_STACK_TOP) ", %esp\n"
	"	pushfl\n"
	"	popl " ST(ST_EFLAGS) "\n"
	"	cld\n"
	"	ljmp *" ST(ST_FAR) "\n"
	".code64\n"
	"n32_tmpl_land:\n"
	"	mov " ST(ST_RSP) ", %rsp\n"
	"	jmp *" ST(ST_RESUME) "\n"
	"n32_tmpl_end:\n"
	".popsection\n"
	".text\n"
	".globl n32_enter\n"
	".hidden n32_enter\n"
	".type n32_enter, @function\n"
	"n32_enter:\n"
	"	push %rbx\n"
	"	push %rbp\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	lea 1f(%rip), %rax\n"
	"	mov %rax, " ST(ST_RESUME) "\n"
	"	mov %rsp, " ST(ST_RSP) "\n"
	"	mov " ST(ST_FPU) ", %rcx\n"
	"	test %rcx, %rcx\n"
	"	jz 2f\n"
	"	stmxcsr " ST(ST_HMXCSR) "\n"
	"	fnstcw " ST(ST_HFCW) "\n"
	"	mov $3, %eax\n"
	"	xor %edx, %edx\n"
	"	xrstor64 (%rcx)\n"
	"2:	pushq $" STR(N32_CS_SEL) "\n"
	"	pushq $" STR(N32_CODE) "\n"
	"	lretq\n"
	"1:	mov " ST(ST_FPU) ", %rcx\n"
	"	test %rcx, %rcx\n"
	"	jz 3f\n"
	"	mov $3, %eax\n"
	"	xor %edx, %edx\n"
	"	xsave64 (%rcx)\n"
	"	fninit\n"
	"	ldmxcsr " ST(ST_HMXCSR) "\n"
	"	fldcw " ST(ST_HFCW) "\n"
	"3:	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbp\n"
	"	pop %rbx\n"
	"	ret\n"
	".size n32_enter, .-n32_enter\n");
/* clang-format on */

extern const uint8_t n32_tmpl_start[], n32_tmpl_save[], n32_tmpl_land[],
	n32_tmpl_end[];
void n32_enter(void);

#define STATE ((volatile struct n32_state *)(uintptr_t)N32_BASE)

static uint16_t host_cs;
/* The interrupted stack pointer is the guest's: handlers run here. */
static uint8_t altstack[1 << 16] __attribute__((aligned(16)));
static struct n32_fault last_fault;
static bool (*foreign_hook)(int sig, void *uc);
static const int fault_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP};

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	static const int order[8] = {REG_RAX, REG_RCX, REG_RDX, REG_RBX,
				     REG_RSP, REG_RBP, REG_RSI, REG_RDI};

	if ((g[REG_CSGSFS] & 0xffff) != N32_CS_SEL) {
		if (foreign_hook && foreign_hook(sig, ctx))
			return;
		/* Not ours: let the default action happen on return. */
		signal(sig, SIG_DFL);
		if (sig == SIGTRAP)
			raise(sig);
		return;
	}
	for (int i = 0; i < 8; i++)
		STATE->regs[i] = (uint32_t)g[order[i]];
	STATE->eip = (uint32_t)g[REG_RIP];
	STATE->eflags = (uint32_t)g[REG_EFL];
	last_fault.signo = sig;
	last_fault.vector = (int)g[REG_TRAPNO];
	last_fault.err = (uint32_t)g[REG_ERR];
	last_fault.addr = (uint64_t)(uintptr_t)si->si_addr;

	g[REG_RIP] = (greg_t)STATE->resume;
	g[REG_RSP] = (greg_t)STATE->host_rsp;
	g[REG_CSGSFS] = (g[REG_CSGSFS] & ~(greg_t)0xffff) | host_cs;
	/* DF, TF, AC */
	g[REG_EFL] &= ~(greg_t)((1u << 10) | (1u << 8) | (1u << 18));
}

void *n32_map(uint32_t addr, size_t len)
{
	void *p =
		mmap((void *)(uintptr_t)addr, len,
		     PROT_READ | PROT_WRITE | PROT_EXEC,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	if (p != (void *)(uintptr_t)addr) {
		munmap(p, len);
		return NULL;
	}
	return p;
}

bool n32_available(char *why, size_t len)
{
	static int known = -1;
	static char reason[256];

	if (known < 0)
		known = mon_host_runs_32bit_code(reason, sizeof(reason));
	snprintf(why, len, "%s", reason);
	return known;
}

int n32_init(char *err, size_t errlen)
{
	static bool ready;
	struct user_desc d;
	struct sigaction sa;
	stack_t ss;
	size_t tlen = (size_t)(n32_tmpl_end - n32_tmpl_start);

	if (ready)
		return 0;
	if (!n32_map(N32_BASE, 0x2000)) {
		snprintf(err, errlen, "cannot map 0x%x: %s", N32_BASE,
			 strerror(errno));
		return -1;
	}
	memset(&d, 0, sizeof(d));
	d.entry_number = N32_LDT_ENTRY;
	d.base_addr = 0;
	d.limit = 0xfffff;
	d.seg_32bit = 1;
	d.contents = MODIFY_LDT_CONTENTS_CODE;
	d.limit_in_pages = 1;
	d.useable = 1;
	if (syscall(SYS_modify_ldt, 0x11, &d, sizeof(d)) != 0) {
		snprintf(err, errlen, "modify_ldt: %s", strerror(errno));
		return -1;
	}

	memcpy((void *)(uintptr_t)N32_CODE, n32_tmpl_start, tlen);
	__asm__ volatile("mov %%cs, %0" : "=r"(host_cs));
	STATE->save_ptr = N32_CODE + (uint32_t)(n32_tmpl_save - n32_tmpl_start);
	STATE->far_off = N32_CODE + (uint32_t)(n32_tmpl_land - n32_tmpl_start);
	STATE->far_sel = host_cs;

	ss.ss_sp = altstack;
	ss.ss_size = sizeof(altstack);
	ss.ss_flags = 0;
	if (sigaltstack(&ss, NULL) != 0) {
		snprintf(err, errlen, "sigaltstack: %s", strerror(errno));
		return -1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof(fault_signals) / sizeof(int); i++)
		if (sigaction(fault_signals[i], &sa, NULL) != 0) {
			snprintf(err, errlen, "sigaction: %s", strerror(errno));
			return -1;
		}
	ready = true;
	return 0;
}

void n32_emit_stop(void *p, uint32_t addr)
{
	uint8_t *b = p;
	uint32_t eip_slot = N32_BASE + ST_EIP, save_slot = N32_BASE + ST_SAVE;

	b[0] = 0xc7; /* movl $addr, eip_slot */
	b[1] = 0x05;
	memcpy(b + 2, &eip_slot, 4);
	memcpy(b + 6, &addr, 4);
	b[10] = 0xff; /* jmp *save_slot */
	b[11] = 0x25;
	memcpy(b + 12, &save_slot, 4);
}

void n32_set_foreign_hook(bool (*hook)(int sig, void *uc))
{
	foreign_hook = hook;
}

int n32_run_fpu(struct n32_regs *r, struct n32_fault *f, void *xsave)
{
	int rc;

	STATE->fpu = (uint64_t)(uintptr_t)xsave;
	rc = n32_run(r, f);
	STATE->fpu = 0;
	return rc;
}

int n32_run(struct n32_regs *r, struct n32_fault *f)
{
	const uint32_t allowed = 0x8d5 | (1u << 10); /* arith + DF */

	for (int i = 0; i < 8; i++)
		STATE->regs[i] = r->regs[i];
	STATE->eip = r->eip;
	STATE->eflags = (r->eflags & allowed) | 2;
	last_fault.signo = 0;
	n32_enter();
	__asm__ volatile("" ::: "memory");
	for (int i = 0; i < 8; i++)
		r->regs[i] = STATE->regs[i];
	r->eip = STATE->eip;
	r->eflags = STATE->eflags;
	if (f)
		*f = last_fault;
	return last_fault.signo;
}
