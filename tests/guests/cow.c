/*
 * cow - fork-style copy-on-write done by the guest kernel.
 *
 * A parent process fills its private pages, then forks twice. fork()
 * gives the child a new page directory and page table whose entries point
 * at the parent's frames; every writable entry, in the parent and in the
 * child, becomes read-only with the COW software bit (bit 9), and each
 * frame gets one more reference. A user write to such a page is a #PF with
 * the protection error code (P | W | U); the kernel copies the frame when
 * it still has other users, or just makes it writable again when the
 * faulting process is the last one, then returns to the faulting
 * instruction. Processes are preempted by the PIT (user code runs with
 * IF = 1, so under bt386 it runs directly on the host CPU).
 *
 * Roles: 0 is the parent, 1 and 2 the children. Who writes which page:
 *   D0 parent only, D1 child 1 only, D2 everyone, D3 nobody (the kernel
 *   writes it through its own mapping of the frame: all three see it),
 *   D4 both children, BIG (32 pages) everyone, round after round, and the
 *   stack everyone (the parent twice: between the forks and after).
 * Every process first checks that it sees the parent's pre-fork contents
 * (read-only sharing), and checks its own view after each step; it keeps
 * re-checking BIG until the timer has switched it away MIN_PREEMPTED
 * times. A write to a page that is read-only for good (no COW bit) must
 * still be a fault.
 *
 * Checked by the kernel: the error code and CR2 of every fault, the exact
 * number of faults per process and page (each writer faults exactly once
 * per page after the last fork it went through, whatever the order), that
 * copies + reuses = faults, the final contents of every process's frames,
 * how many distinct frames each page ends up in, and the reference counts.
 */
#include "guest.h"

#define HZ 500
#define NROLE 3
#define UVA 0x40000000u
#define ND 5		    /* D0..D4 */
#define NBIG 32		    /* pages BIG0.. */
#define RO_PAGE (ND + NBIG) /* read-only for good */
#define NPAGES (RO_PAGE + 1)
#define STACK_VA (UVA + 0x100000u)
#define STACK_TOP (STACK_VA + PAGE_SIZE)
#define NTRACK (NPAGES + 1) /* the pages above plus the stack */
#define STACK_IDX NPAGES
#define BIG_ROUNDS 6
#define MIN_PREEMPTED 5
#define POKE_WORD 1
#define POKE_TOKEN 0x90c3e11eu
#define PTE_COW 0x200u
#define FRAME_BASE 0x800000u
#define NFRAMES 2048 /* 8..16 MiB */

/* Writers of D0..D4, 3 bits (roles 0..2) per page. */
#define D_WRITERS (0x1u | 0x2u << 3 | 0x7u << 6 | 0x0u << 9 | 0x6u << 12)

enum {
	SYS_EXIT = 1,
	SYS_FORK = 2,
	SYS_YIELD = 3,
	SYS_POKE = 4,
	SYS_REPORT = 5,
	SYS_ROLE = 6,
	SYS_PREEMPTED = 7,
};

struct proc {
	uint32_t *pd, *pt; /* pt: the table for UVA's 4 MiB */
	struct trap_frame tf;
	int used, done;
	uint32_t role;
	uint32_t errors, reported, poke_seen, preempted;
};

static uint32_t *kpd;
static struct proc procs[NROLE];
static int cur, nprocs;
static uint32_t frame_next = FRAME_BASE;
static uint8_t refcount[NFRAMES];
static uint32_t faults[NROLE][NTRACK];
static uint32_t stack_faults_before_fork2;
static uint32_t copies, reuses, bad_err, other_faults, ro_faults;
static uint32_t fork_checks_ok, fork_checks;

/* ---- values ---- */

USER_TEXT static uint32_t pre_val(uint32_t page, uint32_t word)
{
	return 0x50000000u ^ page << 12 ^ word;
}

USER_TEXT static uint32_t role_val(uint32_t role, uint32_t page, uint32_t word)
{
	return ((role + 1) << 28) ^ page << 12 ^ word ^ 0x0a0a0000u;
}

USER_TEXT static uint32_t big_val(uint32_t role, uint32_t round, uint32_t page,
				  uint32_t word)
{
	return ((role + 1) << 28) ^ round << 20 ^ page << 12 ^ word;
}

USER_TEXT static int writes_d(uint32_t role, uint32_t page)
{
	return (D_WRITERS >> (page * 3 + role)) & 1;
}

/* ---- user code ---- */

static inline __attribute__((always_inline)) uint32_t sys(uint32_t n,
							  uint32_t a)
{
	__asm__ volatile("int $0x80" : "+a"(n) : "b"(a) : "memory");
	return n;
}

USER_TEXT static uint32_t ufork(void)
{
	return sys(SYS_FORK, 0);
}

/* A write to the read-only page: the kernel skips it (fault expected). */
void ro_write(uint32_t va);
extern char ro_write_insn[], ro_write_done[];
__asm__(".pushsection .user.text, \"ax\"\n"
	"ro_write:\n\t"
	"movl 4(%esp), %eax\n"
	"ro_write_insn:\n\t"
	"movl $0x0badc0de, (%eax)\n"
	"ro_write_done:\n\t"
	"ret\n\t"
	".popsection");

/* Does page `page` show what the process should see in every word? */
USER_TEXT static uint32_t check_d(uint32_t role, uint32_t page, int written)
{
	volatile uint32_t *p = (volatile uint32_t *)(UVA + page * PAGE_SIZE);
	uint32_t bad = 0;

	for (uint32_t w = 0; w < 1024; w++) {
		uint32_t want =
			written ? role_val(role, page, w) : pre_val(page, w);

		if (page == 3 && w == POKE_WORD)
			continue; /* the kernel may have written it by now */
		if (p[w] != want)
			bad++;
	}
	return bad;
}

USER_TEXT static void fill_d(uint32_t role, uint32_t page)
{
	volatile uint32_t *p = (volatile uint32_t *)(UVA + page * PAGE_SIZE);

	for (uint32_t w = 0; w < 1024; w++)
		p[w] = role_val(role, page, w);
}

USER_TEXT static uint32_t big_rounds(uint32_t role)
{
	uint32_t bad = 0;

	for (uint32_t pg = 0; pg < NBIG; pg++) {
		volatile uint32_t *p =
			(volatile uint32_t *)(UVA + (ND + pg) * PAGE_SIZE);

		for (uint32_t w = 0; w < 1024; w++)
			if (p[w] != pre_val(ND + pg, w))
				bad++;
	}
	for (uint32_t r = 0; r < BIG_ROUNDS; r++) {
		for (uint32_t pg = 0; pg < NBIG; pg++) {
			volatile uint32_t *p =
				(volatile uint32_t *)(UVA +
						      (ND + pg) * PAGE_SIZE);

			for (uint32_t w = 0; w < 1024; w++)
				p[w] = big_val(role, r, pg, w);
		}
		for (uint32_t pg = 0; pg < NBIG; pg++) {
			volatile uint32_t *p =
				(volatile uint32_t *)(UVA +
						      (ND + pg) * PAGE_SIZE);

			for (uint32_t w = 0; w < 1024; w++)
				if (p[w] != big_val(role, r, pg, w))
					bad++;
		}
	}
	/* Keep checking until the timer has switched away a few times. */
	while (sys(SYS_PREEMPTED, 0) < MIN_PREEMPTED) {
		for (uint32_t pg = 0; pg < NBIG; pg++) {
			volatile uint32_t *p =
				(volatile uint32_t *)(UVA +
						      (ND + pg) * PAGE_SIZE);

			for (uint32_t w = 0; w < 1024; w++)
				if (p[w] !=
				    big_val(role, BIG_ROUNDS - 1, pg, w))
					bad++;
		}
	}
	return bad;
}

USER_TEXT __attribute__((noreturn)) static void proc_body(uint32_t role)
{
	volatile uint32_t *d3 = (volatile uint32_t *)(UVA + 3 * PAGE_SIZE);
	uint32_t bad = 0, seen = 0;

	if (sys(SYS_ROLE, 0) != role)
		bad++;
	/* Read-only sharing: the parent's pre-fork contents, everywhere. */
	for (uint32_t pg = 0; pg < ND; pg++)
		bad += check_d(role, pg, 0);
	for (uint32_t pg = 0; pg < ND; pg++)
		if (writes_d(role, pg))
			fill_d(role, pg);
	for (uint32_t pg = 0; pg < ND; pg++)
		bad += check_d(role, pg, writes_d(role, pg));
	bad += big_rounds(role);
	if (role == 1) {
		ro_write(UVA + RO_PAGE * PAGE_SIZE);
		if (*(volatile uint32_t *)(UVA + RO_PAGE * PAGE_SIZE) !=
		    pre_val(RO_PAGE, 0))
			bad++;
	}
	/* The kernel's write to the frame everyone still shares. */
	if (role == 0)
		sys(SYS_POKE, 0);
	for (uint32_t i = 0; i < 100000; i++) {
		if (d3[POKE_WORD] == POKE_TOKEN) {
			seen = 1;
			break;
		}
		sys(SYS_YIELD, 0);
	}
	for (uint32_t pg = 0; pg < ND; pg++)
		bad += check_d(role, pg, writes_d(role, pg));
	sys(SYS_REPORT, bad | seen << 31);
	sys(SYS_EXIT, 0);
	for (;;)
		;
}

USER_TEXT void parent_main(void)
{
	for (uint32_t pg = 0; pg < NPAGES; pg++) {
		volatile uint32_t *p =
			(volatile uint32_t *)(UVA + pg * PAGE_SIZE);

		if (pg == RO_PAGE)
			break; /* mapped read-only: filled by the kernel */
		for (uint32_t w = 0; w < 1024; w++)
			p[w] = pre_val(pg, w);
	}
	if (ufork() == 0)
		proc_body(1);
	if (ufork() == 0)
		proc_body(2);
	proc_body(0);
}

/* ---- kernel: frames and fork ---- */

static uint32_t frame_alloc(void)
{
	uint32_t f = frame_next;

	if (f >= FRAME_BASE + NFRAMES * PAGE_SIZE)
		panic("out of frames");
	frame_next += PAGE_SIZE;
	return f;
}

static uint8_t *ref(uint32_t frame)
{
	return &refcount[(frame - FRAME_BASE) / PAGE_SIZE];
}

static uint32_t *pte_of(struct proc *p, uint32_t va)
{
	return &p->pt[(va >> 12) & 0x3ff];
}

static uint32_t track_index(uint32_t va)
{
	if (va >= STACK_VA && va < STACK_TOP)
		return STACK_IDX;
	if (va >= UVA && va < UVA + NPAGES * PAGE_SIZE)
		return (va - UVA) / PAGE_SIZE;
	return NTRACK;
}

static void new_address_space(struct proc *p)
{
	p->pd = pd_new();
	for (int i = 0; i < 4; i++)
		p->pd[i] = kpd[i];
	p->pt = page_alloc();
	p->pd[UVA >> 22] = (uint32_t)p->pt | PTE_P | PTE_W | PTE_U;
}

static void do_fork(struct trap_frame *f)
{
	struct proc *parent = &procs[cur], *child;
	int ok = 1;

	if (nprocs == NROLE)
		panic("too many forks");
	child = &procs[nprocs];
	child->used = 1;
	child->role = nprocs;
	new_address_space(child);
	for (int i = 0; i < 1024; i++) {
		uint32_t *pe = &parent->pt[i];

		if (!(*pe & PTE_P))
			continue;
		if (*pe & PTE_W)
			*pe = (*pe & ~PTE_W) | PTE_COW;
		child->pt[i] = *pe;
		(*ref(*pe & ~0xfffu))++;
	}
	/* The parent's entries just lost W: drop what the TLB has. */
	write_cr3(read_cr3());
	for (int i = 0; i < 1024; i++)
		if ((parent->pt[i] & PTE_P) &&
		    ((parent->pt[i] ^ child->pt[i]) || (parent->pt[i] & PTE_W)))
			ok = 0;
	fork_checks++;
	fork_checks_ok += ok;
	if (nprocs == 2)
		stack_faults_before_fork2 = faults[0][STACK_IDX];
	child->tf = *f;
	child->tf.eax = 0;
	f->eax = nprocs;
	nprocs++;
}

/* ---- kernel: traps and scheduling ---- */

static void dispatch(int next, struct trap_frame *f)
{
	if (next != cur)
		write_cr3((uint32_t)procs[next].pd);
	cur = next;
	*f = procs[cur].tf;
}

static int pick_next(void)
{
	for (int i = 1; i <= NROLE; i++) {
		int p = (cur + i) % NROLE;

		if (procs[p].used && !procs[p].done)
			return p;
	}
	return -1;
}

static void switch_away(struct trap_frame *f)
{
	procs[cur].tf = *f;
	dispatch(pick_next(), f);
}

static void timer_irq(struct trap_frame *f)
{
	pic_eoi(0);
	if ((f->cs & 3) == 3) {
		procs[cur].preempted++;
		switch_away(f);
	}
}

static void page_fault(struct trap_frame *f)
{
	uint32_t va = read_cr2(), idx = track_index(va), *pe, frame;
	struct proc *p = &procs[cur];

	if ((f->cs & 3) != 3 || idx == NTRACK)
		panic("unexpected #PF at %08x, cr2 %08x, error 0x%x", f->eip,
		      va, f->err);
	pe = pte_of(p, va);
	if (!(*pe & PTE_COW)) {
		if (f->eip == (uint32_t)ro_write_insn && idx == RO_PAGE &&
		    f->err == (PF_P | PF_W | PF_U)) {
			ro_faults++;
			f->eip = (uint32_t)ro_write_done;
			return;
		}
		other_faults++;
		panic("#PF without COW at %08x, cr2 %08x, error 0x%x", f->eip,
		      va, f->err);
	}
	if (f->err != (PF_P | PF_W | PF_U))
		bad_err++;
	faults[p->role][idx]++;
	frame = *pe & ~0xfffu;
	if (*ref(frame) > 1) {
		uint32_t copy = frame_alloc();

		memcpy((void *)copy, (void *)frame, PAGE_SIZE);
		(*ref(frame))--;
		*ref(copy) = 1;
		*pe = copy | PTE_P | PTE_W | PTE_U;
		copies++;
	} else {
		*pe = (*pe & ~PTE_COW) | PTE_W;
		reuses++;
	}
	invlpg(va);
}

static void syscall(struct trap_frame *f)
{
	struct proc *p = &procs[cur];
	int next;

	switch (f->eax) {
	case SYS_EXIT:
		p->done = 1;
		next = pick_next();
		if (next < 0)
			return_to_kernel(0);
		dispatch(next, f);
		break;
	case SYS_FORK:
		do_fork(f);
		break;
	case SYS_YIELD:
		f->eax = 0;
		switch_away(f);
		break;
	case SYS_POKE:
		/* Through the kernel's identity mapping of the frame. */
		((volatile uint32_t *)(*pte_of(p, UVA + 3 * PAGE_SIZE) &
				       ~0xfffu))[POKE_WORD] = POKE_TOKEN;
		f->eax = 0;
		break;
	case SYS_REPORT:
		p->errors = f->ebx & 0x7fffffffu;
		p->poke_seen = f->ebx >> 31;
		p->reported = 1;
		break;
	case SYS_ROLE:
		f->eax = p->role;
		break;
	case SYS_PREEMPTED:
		f->eax = p->preempted;
		break;
	default:
		f->eax = (uint32_t)-1;
		break;
	}
}

static void unexpected(struct trap_frame *f)
{
	panic("process %d: exception %u (error 0x%x) at %08x", cur, f->vector,
	      f->err, f->eip);
}

/* ---- kernel: checks ---- */

static uint32_t writers_of(uint32_t idx)
{
	if (idx < ND)
		return (D_WRITERS >> (idx * 3)) & 7;
	if (idx < ND + NBIG || idx == STACK_IDX)
		return 7;
	return 0;
}

static uint32_t frame_of(int role, uint32_t idx)
{
	uint32_t va = idx == STACK_IDX ? STACK_VA : UVA + idx * PAGE_SIZE;

	return *pte_of(&procs[role], va) & ~0xfffu;
}

static void check_faults(void)
{
	char name[96];
	uint32_t total = 0, mismatches = 0;

	CHECK_EQ(bad_err, 0, "every COW fault has error code P|W|U (7)");
	for (int r = 0; r < NROLE; r++) {
		for (uint32_t i = 0; i < NTRACK; i++) {
			uint32_t want = (writers_of(i) >> r) & 1;

			if (r == 0 && i == STACK_IDX)
				want = 2;
			total += faults[r][i];
			if (faults[r][i] != want) {
				mismatches++;
				printf("#   role %d page %u: %u faults, "
				       "expected %u\n",
				       r, i, faults[r][i], want);
			}
		}
	}
	CHECK_EQ(mismatches, 0,
		 "each writer faulted exactly once per page (parent stack: "
		 "twice)");
	CHECK_EQ(total, 1 + 1 + 3 + 2 + 3 * NBIG + 4, "total COW faults");
	CHECK_EQ(stack_faults_before_fork2, 1,
		 "the parent's stack faulted between the two forks");
	CHECK_EQ(copies + reuses, total, "copies + reuses = faults");
	snprintf(name, sizeof(name), "frames allocated = copies");
	CHECK_EQ((frame_next - FRAME_BASE) / PAGE_SIZE - NPAGES - 1, copies,
		 name);
	CHECK_EQ(ro_faults, 1,
		 "a write to a read-only page without COW is a real fault");
	CHECK_EQ(other_faults, 0, "no other faults");
}

static void check_contents(void)
{
	uint32_t bad_content = 0, bad_distinct = 0, bad_refs = 0;

	for (uint32_t i = 0; i < NTRACK; i++) {
		uint32_t w = writers_of(i), nwriters = 0, distinct = 0;
		uint32_t fr[NROLE];

		for (int r = 0; r < NROLE; r++) {
			const uint32_t *p;
			int written = (w >> r) & 1;

			fr[r] = frame_of(r, i);
			p = (const uint32_t *)fr[r];
			nwriters += written;
			for (uint32_t k = 0; k < 1024; k++) {
				uint32_t want;

				if (i == STACK_IDX)
					break; /* contents are the compiler's */
				if (i < ND)
					want = written ? role_val(r, i, k)
						       : pre_val(i, k);
				else if (i < ND + NBIG)
					want = big_val(r, BIG_ROUNDS - 1,
						       i - ND, k);
				else
					want = pre_val(i, k);
				if (i == 3 && k == POKE_WORD)
					want = POKE_TOKEN;
				if (p[k] != want)
					bad_content++;
			}
		}
		for (int r = 0; r < NROLE; r++) {
			int first = 1, holders = 0;

			for (int q = 0; q < r; q++)
				if (fr[q] == fr[r])
					first = 0;
			for (int q = 0; q < NROLE; q++)
				holders += fr[q] == fr[r];
			distinct += first;
			if (*ref(fr[r]) != holders)
				bad_refs++;
		}
		if (distinct != nwriters + (nwriters < NROLE))
			bad_distinct++;
	}
	CHECK_EQ(bad_content, 0,
		 "every process's frames hold what that process wrote");
	CHECK_EQ(bad_distinct, 0,
		 "each page ends in writers + (a non-writer? 1 : 0) frames");
	CHECK_EQ(bad_refs, 0, "reference counts equal the mappings");
}

static void build_parent(void)
{
	struct proc *p = &procs[0];

	new_address_space(p);
	for (uint32_t i = 0; i < NPAGES; i++) {
		uint32_t fr = frame_alloc(), fl = PTE_P | PTE_U;

		memset((void *)fr, 0, PAGE_SIZE);
		if (i == RO_PAGE)
			for (uint32_t k = 0; k < 1024; k++)
				((uint32_t *)fr)[k] = pre_val(i, k);
		else
			fl |= PTE_W;
		p->pt[((UVA >> 12) + i) & 0x3ff] = fr | fl;
		*ref(fr) = 1;
	}
	{
		uint32_t fr = frame_alloc();

		memset((void *)fr, 0, PAGE_SIZE);
		*pte_of(p, STACK_VA) = fr | PTE_P | PTE_W | PTE_U;
		*ref(fr) = 1;
	}
	p->used = 1;
	p->role = 0;
	nprocs = 1;
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("cow: fork with copy-on-write, done by the guest kernel\n");
	kpd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(kpd, va) |= PTE_U;
	paging_enable(kpd);
	write_cr0(read_cr0() | CR0_WP);
	build_parent();

	for (int v = 0; v < 32; v++)
		trap_set_handler(v, unexpected);
	trap_set_handler(14, page_fault);
	trap_set_handler(IRQ_BASE, timer_irq);
	trap_set_handler(0x80, syscall);
	idt_set_gate(0x80, idt_stub(0x80), GATE_INT32, 3);

	section("fork twice, then everyone writes");
	pit_set_hz(HZ);
	pic_set_mask(0xfffe);
	cur = 0;
	write_cr3((uint32_t)procs[0].pd);
	enter_user((uint32_t)parent_main, STACK_TOP, FL_IF | 0x2);
	pic_set_mask(0xffff);
	write_cr3((uint32_t)kpd);

	CHECK_EQ(nprocs, NROLE, "two children were forked");
	CHECK_EQ(fork_checks_ok, fork_checks,
		 "after fork: same frames, read-only in parent and child");
	for (int r = 0; r < NROLE; r++) {
		char name[96];

		snprintf(name, sizeof(name),
			 "role %d: saw the pre-fork contents and its own "
			 "writes only",
			 r);
		CHECK(procs[r].reported && procs[r].errors == 0, name);
		if (procs[r].errors)
			printf("#   %u mismatches\n", procs[r].errors);
		snprintf(name, sizeof(name),
			 "role %d: saw the kernel's write to the shared "
			 "frame",
			 r);
		CHECK(procs[r].poke_seen, name);
	}

	section("faults");
	check_faults();
	section("frames");
	check_contents();
	paging_disable();
}
