/*
 * procs - four user processes, each in its own page directory, preempted
 * by the PIT.
 *
 * Every process sees the same user addresses: an information page at UVA
 * (its pid, a pid-specific canary, what it reports), DATA_PAGES of work
 * array above it and a stack page; each address space maps them to frames
 * of its own. The kernel half (0..16 MiB, supervisor only) and the user
 * code (.user.text, shared) come from the same page tables in every
 * directory, as in a real kernel. User code runs with IF = 1 and IOPL = 0,
 * so under bt386 it runs directly on the host CPU, and the timer moves the
 * CPU from one address space to the next (a CR3 load) in the middle of
 * whatever it is doing.
 *
 * Each process fills its array, mixes it for ROUNDS rounds (a known
 * result: the kernel computes the same thing in ring 0 beforehand), checks
 * its canary and its pid after every round, reads and writes one more page
 * that only its own directory maps (at an address of its own, so the
 * user-accessible range differs between address spaces) and probes the
 * other processes' such addresses, which must fault (not present). Then
 * it keeps re-checking its array and registers until it has been
 * dispatched MIN_DISPATCHES times, so that every process is preempted many
 * times however fast it runs. The kernel then compares every process's
 * result, array and canary with the reference, through the frames: no
 * process may have seen (or written) another's memory.
 */
#include "guest.h"

#define NPROC 4
#define HZ 500
#define MIN_DISPATCHES 25
#define ROUNDS 12

#define UVA 0x40000000u
#define DATA_PAGES 16
#define NWORDS (DATA_PAGES * 1024u) /* a power of two */
#define UPAGES (1 + DATA_PAGES + 1) /* info, data, stack */
#define USTACK_TOP (UVA + UPAGES * PAGE_SIZE)
#define FRAME_BASE 0x800000u /* 8..16 MiB: not the page-table pool */
#define CANARY_WORDS 960
/* One more page per process, at an address only its directory maps:
 * the others' probes of it must fault (and the user boundary differs
 * from one address space to the next). */
#define EXTRA_VA(p) (0x60000000u + (uint32_t)(p)*0x08000000u)
#define EXTRA_FRAME(p) (FRAME_BASE + 0x100000u + (uint32_t)(p)*PAGE_SIZE)
#define MARK 0xfa171ed0u

enum { SYS_EXIT = 1, SYS_GETPID = 2, SYS_YIELD = 3 };

/* The first bytes of every process's information page. */
struct uinfo {
	uint32_t pid;
	uint32_t dispatches; /* written by the kernel at every dispatch */
	uint32_t result;
	uint32_t errors;
	uint32_t rounds_done;
	uint32_t spins;
	uint32_t canary[CANARY_WORDS];
};

struct proc {
	uint32_t *pd;
	uint32_t frame[UPAGES];
	struct trap_frame tf; /* saved user state while not running */
	int done;
	uint32_t exit_value, dispatches, preempted;
};

static uint32_t *kpd;
static struct proc procs[NPROC];
static int cur;
static uint32_t ref_result[NPROC];
static uint32_t ref_array[NPROC][NWORDS];
static volatile uint32_t ticks, user_ticks, bad_traps;
static uint32_t probe_faults[NPROC], probe_bad;

/* ---- shared by user code and the kernel's reference computation ---- */

/* A read that may fault: the kernel resumes after it with MARK. */
uint32_t uread(uint32_t va);
extern char uread_insn[], uread_done[];
__asm__(".pushsection .user.text, \"ax\"\n"
	"uread:\n\t"
	"movl 4(%esp), %edx\n"
	"uread_insn:\n\t"
	"movl (%edx), %eax\n"
	"uread_done:\n\t"
	"ret\n\t"
	".popsection");

USER_TEXT static uint32_t extra_tag(uint32_t pid)
{
	return 0xe0e00000u | pid;
}

USER_TEXT static uint32_t canary_word(uint32_t pid, uint32_t i)
{
	return (pid * 0x01010101u) ^ (i * 0x9e3779b9u) ^ 0xca0a0000u;
}

USER_TEXT static void work_init(uint32_t pid, uint32_t *a)
{
	for (uint32_t i = 0; i < NWORDS; i++)
		a[i] = pid * 0x10001u + i * 3u;
}

/* One round of a mixing pass whose result depends on every word. */
USER_TEXT static void work_round(uint32_t pid, uint32_t *a, uint32_t r)
{
	uint32_t x = pid * 0x9e3779b9u + r;
	uint32_t step = 4099u * (r + 1);

	for (uint32_t i = 0; i < NWORDS; i++) {
		x = x * 1664525u + 1013904223u;
		a[i] = (a[i] + x) ^ (a[(i + step) & (NWORDS - 1)] >> 3);
	}
}

USER_TEXT static uint32_t work_hash(const uint32_t *a)
{
	uint32_t h = 0x811c9dc5u;

	for (uint32_t i = 0; i < NWORDS; i++)
		h = (h ^ a[i]) * 16777619u;
	return h;
}

/* ---- user code ---- */

static inline __attribute__((always_inline)) uint32_t sys(uint32_t n,
							  uint32_t a)
{
	__asm__ volatile("int $0x80" : "+a"(n) : "b"(a) : "memory");
	return n;
}

/*
 * Spin with pid-derived values in every general register and check them
 * after each iteration; returns the number of mismatches (0 expected).
 */
uint32_t reg_spin(uint32_t pid, uint32_t loops);
__asm__(".pushsection .user.text, \"ax\"\n"
	"reg_spin:\n\t"
	"pushl %ebx\n\t"
	"pushl %esi\n\t"
	"pushl %edi\n\t"
	"pushl %ebp\n\t"
	"movl 20(%esp), %eax\n\t" /* pid */
	"movl 24(%esp), %ecx\n\t" /* loops */
	"imull $0x11111111, %eax, %ebx\n\t"
	"movl %ebx, %esi\n\t"
	"notl %esi\n\t"
	"leal 0x1234567(%ebx), %edi\n\t"
	"movl %esi, %ebp\n\t"
	"roll $7, %ebp\n\t"
	"xorl %edx, %edx\n"
	"1:\tmovl %ebx, %eax\n\t"
	"notl %eax\n\t"
	"cmpl %eax, %esi\n\t"
	"je 2f\n\t"
	"incl %edx\n"
	"2:\tleal 0x1234567(%ebx), %eax\n\t"
	"cmpl %eax, %edi\n\t"
	"je 3f\n\t"
	"incl %edx\n"
	"3:\tmovl %esi, %eax\n\t"
	"roll $7, %eax\n\t"
	"cmpl %eax, %ebp\n\t"
	"je 4f\n\t"
	"incl %edx\n"
	"4:\tloop 1b\n\t"
	"movl %edx, %eax\n\t"
	"popl %ebp\n\t"
	"popl %edi\n\t"
	"popl %esi\n\t"
	"popl %ebx\n\t"
	"ret\n\t"
	".popsection");

USER_TEXT static int canary_bad(volatile struct uinfo *me, uint32_t pid)
{
	for (uint32_t i = 0; i < CANARY_WORDS; i++)
		if (me->canary[i] != canary_word(pid, i))
			return 1;
	return 0;
}

USER_TEXT void proc_main(void)
{
	volatile struct uinfo *me = (volatile struct uinfo *)UVA;
	uint32_t *a = (uint32_t *)(UVA + PAGE_SIZE);
	uint32_t pid = me->pid;

	work_init(pid, a);
	for (uint32_t r = 0; r < ROUNDS; r++) {
		work_round(pid, a, r);
		if (canary_bad(me, pid))
			me->errors++;
		if (sys(SYS_GETPID, 0) != pid)
			me->errors++;
		/* Its own extra page; the others' addresses must fault. */
		if (uread(EXTRA_VA(pid - 1)) != extra_tag(pid))
			me->errors++;
		((volatile uint32_t *)EXTRA_VA(pid - 1))[1] = r + 1;
		for (uint32_t q = 0; q < NPROC; q++)
			if (q != pid - 1 && uread(EXTRA_VA(q)) != MARK)
				me->errors++;
		if (r == pid)
			sys(SYS_YIELD, 0);
		me->rounds_done = r + 1;
	}
	me->result = work_hash(a);
	/* Stay until preempted often enough, checking all the while. */
	while (me->dispatches < MIN_DISPATCHES) {
		me->spins++;
		me->errors += reg_spin(pid, 2000);
		if (work_hash(a) != me->result || canary_bad(me, pid))
			me->errors++;
	}
	sys(SYS_EXIT, me->result);
}

/* ---- kernel ---- */

static struct uinfo *info(int p)
{
	return (struct uinfo *)procs[p].frame[0];
}

static void dispatch(int next, struct trap_frame *f)
{
	if (next != cur)
		write_cr3((uint32_t)procs[next].pd);
	cur = next;
	*f = procs[cur].tf;
	procs[cur].dispatches++;
	info(cur)->dispatches = procs[cur].dispatches;
}

/* Round robin over the processes that have not exited; -1: none left. */
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
	ticks++;
	pic_eoi(0);
	if ((f->cs & 3) != 3)
		return;
	user_ticks++;
	procs[cur].tf = *f;
	procs[cur].preempted++;
	dispatch(pick_next(), f);
}

static void syscall(struct trap_frame *f)
{
	int next;

	switch (f->eax) {
	case SYS_EXIT:
		procs[cur].done = 1;
		procs[cur].exit_value = f->ebx;
		next = pick_next();
		if (next < 0)
			return_to_kernel(0);
		dispatch(next, f);
		break;
	case SYS_GETPID:
		f->eax = info(cur)->pid;
		break;
	case SYS_YIELD:
		f->eax = 0;
		procs[cur].tf = *f;
		dispatch(pick_next(), f);
		break;
	default:
		f->eax = (uint32_t)-1;
		break;
	}
}

static void page_fault(struct trap_frame *f)
{
	uint32_t cr2 = read_cr2(), ok = 0;

	if ((f->cs & 3) == 3 && f->eip == (uint32_t)uread_insn) {
		for (int q = 0; q < NPROC; q++)
			if (q != cur && cr2 == EXTRA_VA(q))
				ok = f->err == PF_U;
		probe_faults[cur]++;
		probe_bad += !ok;
		f->eax = MARK;
		f->eip = (uint32_t)uread_done;
		return;
	}
	bad_traps++;
	panic("process %d: #PF (error 0x%x) at %08x, cr2 %08x", cur + 1, f->err,
	      f->eip, cr2);
}

static void user_fault(struct trap_frame *f)
{
	bad_traps++;
	panic("process %d: exception %u (error 0x%x) at %08x, cr2 %08x",
	      cur + 1, f->vector, f->err, f->eip, read_cr2());
}

static void build_process(int p)
{
	struct proc *pr = &procs[p];
	struct uinfo *in;

	pr->pd = pd_new();
	/* The kernel half and the user code: the same page tables. */
	for (int i = 0; i < 4; i++)
		pr->pd[i] = kpd[i];
	for (int i = 0; i < UPAGES; i++) {
		pr->frame[i] =
			FRAME_BASE + (uint32_t)(p * UPAGES + i) * PAGE_SIZE;
		memset((void *)pr->frame[i], 0, PAGE_SIZE);
		map_page(pr->pd, UVA + i * PAGE_SIZE, pr->frame[i],
			 PTE_P | PTE_W | PTE_U);
	}
	map_page(pr->pd, EXTRA_VA(p), EXTRA_FRAME(p), PTE_P | PTE_W | PTE_U);
	memset((void *)EXTRA_FRAME(p), 0, PAGE_SIZE);
	*(uint32_t *)EXTRA_FRAME(p) = extra_tag(p + 1);
	in = info(p);
	in->pid = p + 1;
	for (uint32_t i = 0; i < CANARY_WORDS; i++)
		in->canary[i] = canary_word(p + 1, i);

	memset(&pr->tf, 0, sizeof(pr->tf));
	pr->tf.eip = (uint32_t)proc_main;
	pr->tf.cs = SEL_UCODE;
	pr->tf.eflags = FL_IF | 0x2;
	pr->tf.user_esp = USTACK_TOP;
	pr->tf.user_ss = SEL_UDATA;
	pr->tf.ds = pr->tf.es = pr->tf.fs = pr->tf.gs = SEL_UDATA;
}

static void compute_references(void)
{
	for (int p = 0; p < NPROC; p++) {
		work_init(p + 1, ref_array[p]);
		for (uint32_t r = 0; r < ROUNDS; r++)
			work_round(p + 1, ref_array[p], r);
		ref_result[p] = work_hash(ref_array[p]);
	}
}

static void check_results(void)
{
	char name[96];
	int separate = 1;

	for (int p = 0; p < NPROC; p++) {
		struct proc *pr = &procs[p];
		struct uinfo *in = info(p);
		int canary_ok = 1, array_ok = 1;

		printf("# process %d: result 0x%08x\n", p + 1, in->result);
		snprintf(name, sizeof(name), "process %d: exit value", p + 1);
		CHECK_EQ(pr->exit_value, ref_result[p], name);
		snprintf(name, sizeof(name),
			 "process %d: result matches the ring 0 reference",
			 p + 1);
		CHECK_EQ(in->result, ref_result[p], name);
		snprintf(name, sizeof(name), "process %d: no errors seen",
			 p + 1);
		CHECK_EQ(in->errors, 0, name);
		snprintf(name, sizeof(name), "process %d: all rounds done",
			 p + 1);
		CHECK_EQ(in->rounds_done, ROUNDS, name);
		snprintf(name, sizeof(name),
			 "process %d: dispatched at least %u times", p + 1,
			 MIN_DISPATCHES);
		CHECK(pr->dispatches >= MIN_DISPATCHES, name);
		snprintf(name, sizeof(name),
			 "process %d: preempted by the timer", p + 1);
		CHECK(pr->preempted >= MIN_DISPATCHES - 2, name);
		for (uint32_t i = 0; i < CANARY_WORDS; i++)
			if (in->canary[i] != canary_word(p + 1, i))
				canary_ok = 0;
		snprintf(name, sizeof(name),
			 "process %d: its canary frame holds its own pattern",
			 p + 1);
		CHECK(canary_ok && in->pid == (uint32_t)p + 1, name);
		for (int pg = 0; pg < DATA_PAGES; pg++) {
			const uint32_t *f = (const uint32_t *)pr->frame[1 + pg];

			for (int i = 0; i < 1024; i++)
				if (f[i] != ref_array[p][pg * 1024 + i])
					array_ok = 0;
		}
		snprintf(name, sizeof(name),
			 "process %d: its data frames hold exactly its array",
			 p + 1);
		CHECK(array_ok, name);
		snprintf(name, sizeof(name),
			 "process %d: its probes of the others' pages all "
			 "faulted",
			 p + 1);
		CHECK_EQ(probe_faults[p], ROUNDS * (NPROC - 1), name);
		snprintf(name, sizeof(name),
			 "process %d: its own extra page has its last write",
			 p + 1);
		CHECK_EQ(((uint32_t *)EXTRA_FRAME(p))[1], ROUNDS, name);
	}
	for (int p = 0; p < NPROC; p++)
		for (int q = p + 1; q < NPROC; q++)
			if (ref_result[p] == ref_result[q])
				separate = 0;
	CHECK(separate, "the four reference results all differ");
	CHECK_EQ(probe_bad, 0,
		 "every probe fault: not present, user read, at the probed "
		 "address");
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("procs: %d user processes, one page directory each, "
	       "preempted by the PIT\n",
	       NPROC);
	kpd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(kpd, va) |= PTE_U;
	paging_enable(kpd);
	write_cr0(read_cr0() | CR0_WP);

	section("reference results, computed in ring 0");
	compute_references();
	for (int p = 0; p < NPROC; p++)
		printf("# process %d: expect 0x%08x\n", p + 1, ref_result[p]);

	for (int p = 0; p < NPROC; p++)
		build_process(p);
	for (int v = 0; v < 32; v++)
		trap_set_handler(v, user_fault);
	trap_set_handler(14, page_fault);
	trap_set_handler(IRQ_BASE, timer_irq);
	trap_set_handler(0x80, syscall);
	/* An interrupt gate: the kernel is never preempted. */
	idt_set_gate(0x80, idt_stub(0x80), GATE_INT32, 3);

	section("running the processes");
	pit_set_hz(HZ);
	pic_set_mask(0xfffe);
	cur = 0;
	procs[0].dispatches = 1;
	info(0)->dispatches = 1;
	write_cr3((uint32_t)procs[0].pd);
	enter_user(procs[0].tf.eip, procs[0].tf.user_esp, procs[0].tf.eflags);
	pic_set_mask(0xffff);
	write_cr3((uint32_t)kpd);
	CHECK_EQ(bad_traps, 0, "no process faulted");
	CHECK(user_ticks >= NPROC * (MIN_DISPATCHES - 2),
	      "the timer interrupted user code again and again");

	section("results");
	check_results();
	paging_disable();
}
