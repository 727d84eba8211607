/*
 * ctxswitch - process switches: two user processes (ring 3, paging on,
 * IF = 1), each with its own page directory and kernel stack, pass a
 * message back and forth through a yield system call. The kernel's
 * yield hands the caller's message to the other process, points TSS ESP0
 * at the other's kernel stack, loads the other's CR3 and switches kernel
 * stacks (ctx_swtch, xv6 style: callee-saved registers pushed, ESP saved
 * and replaced); the other process's own int $0x80 frame then returns to
 * it. One round is one switch: yield entry, CR3 and stack switch, return
 * to the other process.
 *
 * Address spaces: the directories share the kernel's page tables (the
 * low 16 MiB, carrying U as in syscall.c so that bt386 hides nothing on
 * returns to ring 3), and each has its own page table for 0x40000000,
 * where the process's private page (its user stack) lives at the same
 * linear address over a different frame. The code and the shared word
 * holding the start time sit in the kernel image's user pages, so they
 * are the same mapping in both, like a shared library; a CR3 switch thus
 * changes one 4 MiB region.
 *
 * The message is (count, hash): each process mixes the count into the
 * hash and passes count + 1. Whoever receives count == rounds has seen
 * exactly `rounds` switches since process A read the TSC: it reads the
 * TSC and reports. The native twin runs the same exchange between two
 * Linux processes over two pipes, pinned to one CPU.
 */
#define BENCH_TEXT __attribute__((section(".user.text")))
#include "bench-guest.h"
#include "../loops.h"

#define SYS_DONE 1
#define SYS_YIELD 2 /* ebx, ecx: the message; returns the other's in eax, edx */

#define PRIV_VA 0x40000000u  /* each process's private page (its stack) */
#define PRIV_FRAME 0x800000u /* process i's private frame: + i pages */
#define SEED 0x811c9dc5u

USER_DATA static volatile uint32_t u_rounds;
USER_DATA static volatile uint64_t u_t0; /* shared: A's start time */

struct proc {
	uint32_t *pd;
	uint32_t ksp;	     /* saved kernel ESP while switched out */
	uint32_t kstack_top; /* TSS ESP0 while running */
};
static struct proc procs[2];
static uint8_t kstacks[2][4096] __attribute__((aligned(4096)));
static uint32_t cur, k_switches, k_result, k_cycles_lo, k_cycles_hi;

void ctx_swtch(uint32_t *save_esp, uint32_t new_esp);
void proc_run(uint32_t count, uint32_t hash) __attribute__((noreturn));
extern char ctx_trapret[], b_entry[];

/*
 * ctx_swtch: save the callee-saved registers and ESP, switch to the other
 * kernel stack, and return on it. ctx_trapret: the tail of the library's
 * trap path, the first return of a process that never trapped. b_entry:
 * process B's first user instruction, with the first message in EAX, EDX.
 */
__asm__(".pushsection .text\n"
	".globl ctx_swtch\n"
	"ctx_swtch:\n\t"
	"movl 4(%esp), %eax\n\t"
	"movl 8(%esp), %edx\n\t"
	"pushl %ebp\n\t"
	"pushl %ebx\n\t"
	"pushl %esi\n\t"
	"pushl %edi\n\t"
	"movl %esp, (%eax)\n\t"
	"movl %edx, %esp\n\t"
	"popl %edi\n\t"
	"popl %esi\n\t"
	"popl %ebx\n\t"
	"popl %ebp\n\t"
	"ret\n"
	".globl ctx_trapret\n"
	"ctx_trapret:\n\t"
	"popl %gs\n\t"
	"popl %fs\n\t"
	"popl %es\n\t"
	"popl %ds\n\t"
	"popal\n\t"
	"addl $8, %esp\n\t"
	"iret\n"
	".popsection\n"
	".pushsection .user.text, \"ax\"\n"
	".globl b_entry\n"
	"b_entry:\n\t"
	"pushl %edx\n\t"
	"pushl %eax\n\t"
	"call proc_run\n"
	".popsection\n");

USER_TEXT void proc_run(uint32_t count, uint32_t hash)
{
	uint32_t n = u_rounds, c = count, h = hash;
	uint64_t t;

	while (c != n) {
		h = bench_mix(h, c);
		c++;
		__asm__ volatile("int $0x80"
				 : "=a"(c), "=d"(h)
				 : "a"(SYS_YIELD), "b"(c), "c"(h)
				 : "memory");
	}
	t = bench_rdtsc() - u_t0;
	__asm__ volatile("int $0x80"
			 :
			 : "a"(SYS_DONE), "b"(h), "c"((uint32_t)t),
			   "d"((uint32_t)(t >> 32))
			 : "memory");
	for (;;)
		;
}

static USER_TEXT __attribute__((noreturn)) void a_main(void)
{
	u_t0 = bench_rdtsc();
	proc_run(0, SEED);
}

static void sys_handler(struct trap_frame *f)
{
	struct proc *from = &procs[cur], *to = &procs[cur ^ 1];
	struct trap_frame *tf;

	if ((f->cs & 3) != 3)
		panic("ctxswitch: system call %u from CPL %u", f->eax,
		      f->cs & 3);
	if (f->eax == SYS_YIELD) {
		/* A process in ring 3 has its int $0x80 frame (or the one
		 * made for its start) at the top of its kernel stack. */
		tf = (struct trap_frame *)to->kstack_top - 1;
		tf->eax = f->ebx;
		tf->edx = f->ecx;
		cur ^= 1;
		k_switches++;
		tss_set_esp0(to->kstack_top);
		write_cr3((uint32_t)to->pd);
		ctx_swtch(&from->ksp, to->ksp);
		return;
	}
	if (f->eax != SYS_DONE)
		panic("ctxswitch: unknown system call %u", f->eax);
	k_result = f->ebx;
	k_cycles_lo = f->ecx;
	k_cycles_hi = f->edx;
	return_to_kernel(0);
}

/* Process B's kernel stack as if it had trapped at b_entry and been
 * switched out: its trap frame, then what ctx_swtch pops. */
static void proc_b_stack(struct proc *p)
{
	struct trap_frame *tf = (struct trap_frame *)p->kstack_top - 1;
	uint32_t *sp = (uint32_t *)tf;

	memset(tf, 0, sizeof(*tf));
	tf->gs = tf->fs = tf->es = tf->ds = SEL_UDATA;
	tf->eip = (uint32_t)b_entry;
	tf->cs = SEL_UCODE;
	tf->eflags = FL_IF | 0x2;
	tf->user_esp = PRIV_VA + PAGE_SIZE;
	tf->user_ss = SEL_UDATA;
	*--sp = (uint32_t)ctx_trapret;
	for (int i = 0; i < 4; i++)
		*--sp = 0; /* EBP, EBX, ESI, EDI */
	p->ksp = (uint32_t)sp;
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t rounds = bench_arg_rounds(mbi, 20000);
	uint32_t *kpd;

	(void)magic;
	u_rounds = rounds;
	trap_set_handler(0x80, sys_handler);

	kpd = pd_kernel();
	for (uint32_t va = 0; va < 0x1000000u; va += PAGE_SIZE)
		*pte_ptr(kpd, va) |= PTE_U;
	for (int i = 0; i < 2; i++) {
		struct proc *p = &procs[i];

		p->pd = pd_new();
		for (uint32_t j = 0; j < 0x1000000u >> 22; j++)
			p->pd[j] = kpd[j];
		map_page(p->pd, PRIV_VA, PRIV_FRAME + i * PAGE_SIZE,
			 PTE_P | PTE_W | PTE_U);
		p->kstack_top = (uint32_t)kstacks[i] + sizeof(kstacks[i]);
	}
	proc_b_stack(&procs[1]);

	cur = 0;
	tss_set_esp0(procs[0].kstack_top);
	paging_enable(procs[0].pd);
	write_cr0(read_cr0() | CR0_WP);
	enter_user((uint32_t)a_main, PRIV_VA + PAGE_SIZE, FL_IF | 0x2);
	cli();
	paging_disable();
	if (k_switches != rounds)
		panic("ctxswitch: %u switches in %u rounds", k_switches,
		      rounds);
	bench_report("ctxswitch", rounds,
		     (uint64_t)k_cycles_hi << 32 | k_cycles_lo, k_result);
}
