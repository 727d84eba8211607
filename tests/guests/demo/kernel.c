/*
 * kernel.c - the bt386 demo: a tiny preemptive multitasking kernel.
 *
 * Three user processes (user.c) run in ring 3, each in its own page
 * directory: kernel memory (0..16 MiB) is mapped supervisor-only, the
 * shared program code is user-accessible, and PROC_PAGE_VA.. maps pages
 * private to each process. The PIT interrupts HZ times a second; the timer
 * handler wakes sleepers and, when a process has used its time slice,
 * switches to the next runnable one. A switch copies the interrupted trap
 * frame into the process table and the next process's saved frame onto the
 * stack, then loads its CR3: all processes share the one TSS ESP0 stack,
 * which is possible because the kernel never blocks in the middle of
 * kernel work (when nothing can run, schedule() halts with interrupts on,
 * and nested timer interrupts only update the sleep state).
 *
 * After RUN_SECONDS the kernel prints a summary and powers off through the
 * debug-exit port (value 0: QEMU and bt386 exit with status 1).
 */
#include "demo.h"
#include "guest.h"

#define NPROC 3
#define SLICE_TICKS 5 /* 50 ms */
#define RUN_SECONDS 6

enum pstate { RUNNABLE, SLEEPING };

struct proc {
	const char *name;
	void (*entry)(void);
	uint32_t *pd;
	uint32_t page_frame; /* physical frame of the private data page */
	enum pstate state;
	uint32_t wake_tick;
	struct trap_frame frame; /* saved user state while not running */
	/* statistics */
	uint32_t cpu_ticks, dispatches, syscalls, bytes_written;
};

static struct proc procs[NPROC] = {
	{.name = "primes", .entry = user_primes},
	{.name = "fib", .entry = user_fib},
	{.name = "counter", .entry = user_counter},
};
static struct proc *cur;
static volatile uint32_t ticks;
static uint32_t slice_left, idle_ticks, switches;

static void summary_and_exit(void) __attribute__((noreturn));

static void build_address_space(struct proc *p, int pid)
{
	struct proc_page *page;

	p->pd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(p->pd, va) |= PTE_U;
	for (uint32_t i = 0; i < 1 + PROC_STACK_PAGES; i++) {
		uint32_t frame = (uint32_t)page_alloc();

		if (i == 0)
			p->page_frame = frame;
		map_page(p->pd, PROC_PAGE_VA + i * PAGE_SIZE, frame,
			 PTE_P | PTE_W | PTE_U);
	}
	/* Frames are identity-mapped in the kernel half: fill in directly. */
	page = (struct proc_page *)p->page_frame;
	page->pid = pid;
	page->magic = PROC_MAGIC ^ pid;
	for (int i = 0; p->name[i] && i < (int)sizeof(page->name) - 1; i++)
		page->name[i] = p->name[i];

	memset(&p->frame, 0, sizeof(p->frame));
	p->frame.eip = (uint32_t)p->entry;
	p->frame.cs = SEL_UCODE;
	p->frame.eflags = 0x202; /* IF = 1 */
	p->frame.user_esp = PROC_STACK_TOP;
	p->frame.user_ss = SEL_UDATA;
	p->frame.ds = p->frame.es = p->frame.fs = p->frame.gs = SEL_UDATA;
	p->state = RUNNABLE;
}

/*
 * Save the interrupted process, pick the next runnable one round-robin
 * (halting until a sleeper wakes if there is none) and make the frame on
 * the stack resume it. Called with IF = 0 on the ESP0 stack, f from ring 3.
 */
static void schedule(struct trap_frame *f)
{
	struct proc *next = 0;

	cur->frame = *f;
	for (;;) {
		for (int i = 1; i <= NPROC; i++) {
			struct proc *p = &procs[(cur - procs + i) % NPROC];

			if (p->state == RUNNABLE) {
				next = p;
				break;
			}
		}
		if (next)
			break;
		/* Idle: nested timer interrupts wake sleepers. */
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	}
	if (next != cur) {
		switches++;
		write_cr3((uint32_t)next->pd);
	}
	cur = next;
	cur->dispatches++;
	*f = cur->frame;
	slice_left = SLICE_TICKS;
}

static void timer_interrupt(struct trap_frame *f)
{
	int from_user = (f->cs & 3) == 3;

	ticks++;
	pic_eoi(0);
	for (int i = 0; i < NPROC; i++)
		if (procs[i].state == SLEEPING && ticks >= procs[i].wake_tick)
			procs[i].state = RUNNABLE;
	if (ticks >= RUN_SECONDS * HZ)
		summary_and_exit();
	if (!from_user) {
		idle_ticks++;
		return; /* the idle loop in schedule() takes it from here */
	}
	cur->cpu_ticks++;
	if (--slice_left == 0)
		schedule(f);
}

static int user_range_ok(uint32_t addr, uint32_t len)
{
	uint32_t lo = PROC_PAGE_VA, hi = PROC_STACK_TOP;

	if (len > 512 || addr + len < addr)
		return 0;
	if (addr >= lo && addr + len <= hi)
		return 1;
	return addr >= (uint32_t)__user_start &&
	       addr + len <= (uint32_t)__user_end;
}

static void system_call(struct trap_frame *f)
{
	cur->syscalls++;
	switch (f->eax) {
	case SYS_WRITE:
		if (!user_range_ok(f->ebx, f->ecx)) {
			f->eax = (uint32_t)-1;
			break;
		}
		for (uint32_t i = 0; i < f->ecx; i++)
			serial_putc(((const char *)f->ebx)[i]);
		cur->bytes_written += f->ecx;
		f->eax = f->ecx;
		break;
	case SYS_SLEEP:
		cur->state = SLEEPING;
		cur->wake_tick = ticks + f->ebx;
		f->eax = 0;
		schedule(f);
		break;
	case SYS_TICKS:
		f->eax = ticks;
		break;
	case SYS_YIELD:
		f->eax = 0;
		schedule(f);
		break;
	default:
		f->eax = (uint32_t)-1;
		break;
	}
}

static void user_fault(struct trap_frame *f)
{
	panic("process %s: exception %u (error 0x%x) at %08x, cr2 %08x",
	      cur->name, f->vector, f->err, f->eip, read_cr2());
}

static void summary_and_exit(void)
{
	uint32_t total = 0;
	int private_ok = 1;

	pic_set_mask(0xffff);
	printf("\n");
	printf("demo: %u seconds are up (%u timer ticks). Summary:\n",
	       RUN_SECONDS, ticks);
	printf("  pid  program   cpu ticks  dispatches  syscalls  bytes out  "
	       "progress\n");
	for (int i = 0; i < NPROC; i++) {
		struct proc *p = &procs[i];
		struct proc_page *page = (struct proc_page *)p->page_frame;

		total += p->cpu_ticks;
		if (page->pid != (uint32_t)i + 1 ||
		    page->magic != (PROC_MAGIC ^ (i + 1)))
			private_ok = 0;
		printf("  %3d  %-8s  %9u  %10u  %8u  %9u  %u\n", i + 1, p->name,
		       p->cpu_ticks, p->dispatches, p->syscalls,
		       p->bytes_written, page->progress);
	}
	printf("  %u context switches; %u ticks in user mode, %u idle\n",
	       switches, total, idle_ticks);
	printf("  private pages at 0x%08x: %s\n", PROC_PAGE_VA,
	       private_ok ? "each process kept its own"
			  : "CORRUPTED (address spaces leaked)");
	printf("demo: powering off\n");
	debug_exit(private_ok ? 0 : 1);
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("\n"
	       "bt386 demo kernel: preemptive multitasking in ring 3\n"
	       "  - the PIT interrupts %u times a second; a round-robin "
	       "scheduler\n"
	       "    gives each process %u ms before switching\n"
	       "  - %u user processes, each in its own page directory: the "
	       "same\n"
	       "    virtual address 0x%08x holds a different page in each\n"
	       "  - processes print through the write system call "
	       "(int $0x80)\n"
	       "  - 'primes' and 'counter' never yield (they are preempted); "
	       "'fib' sleeps\n"
	       "  - the machine powers off after %u seconds\n\n",
	       HZ, SLICE_TICKS * 1000 / HZ, NPROC, PROC_PAGE_VA, RUN_SECONDS);

	for (int i = 0; i < NPROC; i++)
		build_address_space(&procs[i], i + 1);

	for (int v = 0; v < 32; v++)
		trap_set_handler(v, user_fault);
	trap_set_handler(IRQ_BASE, timer_interrupt);
	trap_set_handler(0x80, system_call);
	/* An interrupt gate: system calls run with IF = 0 like the timer. */
	idt_set_gate(0x80, idt_stub(0x80), GATE_INT32, 3);

	pit_set_hz(HZ);
	pic_set_mask(0xfffe);

	cur = &procs[0];
	cur->dispatches++;
	slice_left = SLICE_TICKS;
	write_cr3((uint32_t)cur->pd);
	paging_enable(cur->pd);
	write_cr0(read_cr0() | CR0_WP);
	printf("starting process 1 (%s) in ring 3\n\n", cur->name);
	enter_user(cur->frame.eip, cur->frame.user_esp, cur->frame.eflags);
	panic("the first process returned");
}
