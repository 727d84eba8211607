/*
 * ptstorm - a page-table storm: TOTAL_EDITS edits of user page-table
 * entries (map, unmap, remap, write-protect, unprotect), over NPAGES
 * distinct linear pages in NTABLES page tables, with the user process
 * touching every page right after it changed.
 *
 * The work comes in batches. In a system call the kernel makes BATCH
 * edits chosen by a fixed pseudo-random sequence (so every run does the
 * same thing), writing the tables through their identity mapping or (odd
 * batches) through a second kernel mapping, and flushing the way the
 * architecture asks: invlpg after each
 * edit, or one CR3 reload after all of them (every fourth batch); a not
 * present -> present edit gets no flush at all. Now and then a whole
 * directory entry is cleared (CR3 reload) and later put back (no flush).
 * The kernel keeps its own model of every entry and every frame, and
 * writes into a mailbox page what the user must see: for each edited
 * page and a few others, the frame's tag and write counter, or a fault.
 * The user process (IF = 1, IOPL = 0: under bt386 it runs directly on the
 * host CPU) reads both words of each page, compares, and for some pages
 * increments the counter (or expects the write to fault). At the next
 * batch the kernel checks the number of faults, the Accessed and Dirty
 * bits of the pages just touched, and reads a few pages itself through
 * their user addresses. At the end every frame's counter is compared with
 * the model.
 *
 * Nothing here depends on timing; the storm is about the number of host
 * mappings and page-table traces a monitor must keep: bt386 must neither
 * fail nor lose coherence.
 */
#include "guest.h"

#define TOTAL_EDITS 200000u
#define BATCH 64
#define REVISITS 16
#define NTABLES 256
#define PER_TABLE 160
#define NPAGES (NTABLES * PER_TABLE)
#define NFRAMES 1024
#define FRAME_BASE 0x800000u /* 8..12 MiB */
#define STORM_BASE 0x80000000u
#define MBOX_VA 0x40000000u
#define STACK_TOP (MBOX_VA + 3 * PAGE_SIZE)
#define MARK 0xfa171ed0u
#define PT_ALIAS 0xd0000000u /* the kernel's second view of the tables */
#define PDE_EVERY 40	     /* batches between directory-entry events */

enum { SYS_EXIT = 1, SYS_BATCH = 2 };

struct entry {
	uint32_t va, want0, want1, write, wres;
};

struct mbox {
	uint32_t n;
	struct entry e[BATCH + REVISITS];
};

/* ---- user ---- */

uint32_t uread(uint32_t va);
uint32_t uwrite(uint32_t va, uint32_t v);
extern char uread_insn[], uread_done[], uwrite_insn[], uwrite_done[];
__asm__(".pushsection .user.text, \"ax\"\n"
	"uread:\n\t"
	"movl 4(%esp), %edx\n"
	"uread_insn:\n\t"
	"movl (%edx), %eax\n"
	"uread_done:\n\t"
	"ret\n"
	"uwrite:\n\t"
	"movl 4(%esp), %edx\n\t"
	"movl 8(%esp), %eax\n"
	"uwrite_insn:\n\t"
	"movl %eax, (%edx)\n\t"
	"xorl %eax, %eax\n"
	"uwrite_done:\n\t"
	"ret\n\t"
	".popsection");

static inline __attribute__((always_inline)) uint32_t sys(uint32_t n,
							  uint32_t a)
{
	__asm__ volatile("int $0x80" : "+a"(n) : "b"(a) : "memory");
	return n;
}

USER_TEXT void storm_user(void)
{
	volatile struct mbox *m = (volatile struct mbox *)MBOX_VA;
	uint32_t bad = 0;

	while (sys(SYS_BATCH, bad)) {
		for (uint32_t i = 0; i < m->n; i++) {
			volatile struct entry *e = &m->e[i];
			uint32_t r0 = uread(e->va), r1 = uread(e->va + 4);

			if (r0 != e->want0 || r1 != e->want1)
				bad++;
			if (e->write &&
			    uwrite(e->va + 4, e->want1 + 1) != e->wres)
				bad++;
		}
	}
	sys(SYS_EXIT, bad);
}

/* ---- kernel: the model ---- */

struct page {
	uint16_t frame;
	uint8_t present, writable;
	uint8_t touched, dirtied; /* since the entry was last written */
};

static uint32_t *kpd, *upd;
static uint32_t *tables[NTABLES];
static struct page pages[NPAGES];
static uint8_t pde_present[NTABLES];
static uint32_t counter[NFRAMES];
static struct mbox *mbox; /* the kernel's view: the frame's identity map */
static uint32_t rng = 0x2545f491u;
static uint32_t edits, batches, cr3_batches, pde_events, expected_faults;
static uint32_t np_to_p, remaps, unmaps, protects, unprotects;
static volatile uint32_t pf_count;
static uint32_t fault_mismatch, ad_checks, ad_bad, kreads, kread_bad;
static uint32_t user_bad;
static uint16_t last_touched[BATCH + REVISITS];
static uint32_t nlast;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 17;
	rng ^= rng << 5;
	return rng;
}

static uint32_t tag(uint32_t f)
{
	return 0x5a000000u | f << 4;
}

static uint32_t page_va(uint32_t p)
{
	uint32_t t = p / PER_TABLE, i = p % PER_TABLE;

	/* Spread the used entries over each table. */
	return STORM_BASE + t * LARGE_PAGE_SIZE +
	       ((i * 10 + (t & 7)) & 0x3ff) * PAGE_SIZE;
}

static uint32_t *pte_of(uint32_t p)
{
	uint32_t va = page_va(p);

	return &tables[p / PER_TABLE][(va >> 12) & 0x3ff];
}

/* Odd batches write the tables through the alias window. */
static uint32_t *pte_for_edit(uint32_t p)
{
	uint32_t va = page_va(p);

	if (!(batches & 1))
		return pte_of(p);
	return (uint32_t *)(PT_ALIAS + (p / PER_TABLE) * PAGE_SIZE) +
	       ((va >> 12) & 0x3ff);
}

static void write_pte(uint32_t p)
{
	struct page *pg = &pages[p];

	*pte_for_edit(p) = pg->present ? (FRAME_BASE + pg->frame * PAGE_SIZE) |
						 PTE_P | PTE_U |
						 (pg->writable ? PTE_W : 0)
				       : 0;
	pg->touched = pg->dirtied = 0;
	edits++;
}

/* One edit of page p; returns whether it needs a flush. */
static int edit(uint32_t p)
{
	struct page *pg = &pages[p];
	uint32_t r = rnd();

	if (!pg->present) {
		pg->present = 1;
		pg->frame = r % NFRAMES;
		pg->writable = (r >> 12) & 3;
		write_pte(p);
		np_to_p++;
		return 0;
	}
	switch ((r >> 20) & 7) {
	case 0:
	case 1:
		pg->present = 0;
		unmaps++;
		break;
	case 2:
		pg->writable = !pg->writable;
		if (pg->writable)
			unprotects++;
		else
			protects++;
		break;
	default:
		pg->frame = r % NFRAMES;
		remaps++;
		break;
	}
	write_pte(p);
	return 1;
}

static void pde_event(void)
{
	uint32_t t = rnd() % NTABLES;

	pde_present[t] = !pde_present[t];
	upd[(STORM_BASE >> 22) + t] =
		pde_present[t] ? (uint32_t)tables[t] | PTE_P | PTE_W | PTE_U
			       : 0;
	if (!pde_present[t])
		write_cr3(read_cr3());
	pde_events++;
}

/* What the user will see at page p, in order; updates the model. */
static void add_entry(uint32_t p, int want_write)
{
	struct page *pg = &pages[p];
	struct entry *e = &mbox->e[mbox->n++];
	int mapped = pg->present && pde_present[p / PER_TABLE];

	e->va = page_va(p);
	e->write = want_write;
	if (!mapped) {
		e->want0 = e->want1 = MARK;
		expected_faults += 2;
	} else {
		e->want0 = tag(pg->frame);
		e->want1 = counter[pg->frame];
		pg->touched = 1;
	}
	if (!want_write)
		return;
	if (mapped && pg->writable) {
		e->wres = 0;
		counter[pg->frame] = e->want1 + 1;
		pg->dirtied = 1;
	} else {
		e->wres = MARK;
		expected_faults++;
	}
}

/* The Accessed and Dirty bits of what the last batch touched. */
static void check_ad(void)
{
	for (uint32_t i = 0; i < nlast; i++) {
		uint32_t p = last_touched[i], pte = *pte_of(p);
		struct page *pg = &pages[p];

		if (!pg->present || !pde_present[p / PER_TABLE])
			continue;
		ad_checks++;
		if (pg->touched && !(pte & PTE_A))
			ad_bad++;
		if (!!(pte & PTE_D) != pg->dirtied)
			ad_bad++;
	}
	nlast = 0;
}

/* The kernel reads a few mapped pages through their user addresses. */
static void kernel_reads(void)
{
	for (int k = 0; k < 4; k++) {
		uint32_t p = rnd() % NPAGES;
		struct page *pg = &pages[p];

		if (!pg->present || !pde_present[p / PER_TABLE])
			continue;
		kreads++;
		if (*(volatile uint32_t *)page_va(p) != tag(pg->frame) ||
		    ((volatile uint32_t *)page_va(p))[1] != counter[pg->frame])
			kread_bad++;
		pg->touched = 1;
	}
}

static uint32_t do_batch(void)
{
	int reload = (batches & 3) == 3, need_reload = 0;

	if (pf_count != expected_faults)
		fault_mismatch++;
	pf_count = expected_faults = 0;
	check_ad();
	if (edits >= TOTAL_EDITS)
		return 0;
	batches++;
	kernel_reads();
	if (batches % PDE_EVERY == 0)
		pde_event();
	/* All the edits first: the user sees the tables as they end up. */
	for (int k = 0; k < BATCH; k++) {
		uint32_t p = rnd() % NPAGES;

		if (edit(p)) {
			if (reload)
				need_reload = 1;
			else
				invlpg(page_va(p));
		}
		last_touched[nlast++] = p;
	}
	if (need_reload) {
		write_cr3(read_cr3());
		cr3_batches++;
	}
	for (int k = 0; k < REVISITS; k++)
		last_touched[nlast++] = rnd() % NPAGES;
	mbox->n = 0;
	for (uint32_t k = 0; k < nlast; k++)
		add_entry(last_touched[k], (rnd() & 3) == 0);
	return mbox->n;
}

/* ---- kernel: traps ---- */

static void page_fault(struct trap_frame *f)
{
	if ((f->cs & 3) != 3)
		panic("kernel #PF at %08x, cr2 %08x", f->eip, read_cr2());
	pf_count++;
	f->eax = MARK;
	if (f->eip == (uint32_t)uread_insn)
		f->eip = (uint32_t)uread_done;
	else if (f->eip == (uint32_t)uwrite_insn)
		f->eip = (uint32_t)uwrite_done;
	else
		panic("unexpected user #PF at %08x, cr2 %08x, error 0x%x",
		      f->eip, read_cr2(), f->err);
}

static void syscall(struct trap_frame *f)
{
	switch (f->eax) {
	case SYS_BATCH:
		user_bad = f->ebx;
		f->eax = do_batch();
		break;
	case SYS_EXIT:
		user_bad = f->ebx;
		return_to_kernel(0);
	default:
		f->eax = (uint32_t)-1;
		break;
	}
}

static void unexpected(struct trap_frame *f)
{
	panic("exception %u (error 0x%x) at %04x:%08x", f->vector, f->err,
	      f->cs & 0xffff, f->eip);
}

static void setup(void)
{
	uint32_t mframe;

	kpd = pd_kernel();
	for (uint32_t va = (uint32_t)__user_start; va < (uint32_t)__user_end;
	     va += PAGE_SIZE)
		*pte_ptr(kpd, va) |= PTE_U;
	upd = pd_new();
	for (int i = 0; i < 4; i++)
		upd[i] = kpd[i];
	mframe = (uint32_t)page_alloc();
	map_page(upd, MBOX_VA, mframe, PTE_P | PTE_W | PTE_U);
	map_page(upd, MBOX_VA + PAGE_SIZE, (uint32_t)page_alloc(),
		 PTE_P | PTE_W | PTE_U);
	map_page(upd, MBOX_VA + 2 * PAGE_SIZE, (uint32_t)page_alloc(),
		 PTE_P | PTE_W | PTE_U);
	mbox = (struct mbox *)mframe;
	for (int t = 0; t < NTABLES; t++) {
		tables[t] = page_alloc();
		upd[(STORM_BASE >> 22) + t] =
			(uint32_t)tables[t] | PTE_P | PTE_W | PTE_U;
		pde_present[t] = 1;
		map_page(upd, PT_ALIAS + t * PAGE_SIZE, (uint32_t)tables[t],
			 PTE_P | PTE_W);
	}
	for (uint32_t f = 0; f < NFRAMES; f++) {
		uint32_t *fr = (uint32_t *)(FRAME_BASE + f * PAGE_SIZE);

		fr[0] = tag(f);
		fr[1] = 0;
	}
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t counters_bad = 0;

	printf("ptstorm: %u page-table edits over %u pages in %u page "
	       "tables\n",
	       TOTAL_EDITS, NPAGES, NTABLES);
	setup();
	paging_enable(upd);
	write_cr0(read_cr0() | CR0_WP);
	for (int v = 0; v < 32; v++)
		trap_set_handler(v, unexpected);
	trap_set_handler(14, page_fault);
	trap_set_handler(0x80, syscall);
	idt_set_gate(0x80, idt_stub(0x80), GATE_INT32, 3);
	enter_user((uint32_t)storm_user, STACK_TOP, FL_IF | 0x2);

	printf("# %u batches (%u flushed by CR3 reloads), %u directory-entry "
	       "events\n",
	       batches, cr3_batches, pde_events);
	printf("# edits: %u not present -> present, %u remaps, %u unmaps, "
	       "%u write-protects, %u unprotects\n",
	       np_to_p, remaps, unmaps, protects, unprotects);
	CHECK(edits >= TOTAL_EDITS, "all the edits were made");
	CHECK_EQ(user_bad, 0, "every user access saw what the tables said");
	CHECK_EQ(fault_mismatch, 0,
		 "every batch faulted exactly where the tables said");
	CHECK(ad_checks > 0 && ad_bad == 0,
	      "Accessed and Dirty bits matched the accesses");
	if (ad_bad)
		printf("#   %u of %u wrong\n", ad_bad, ad_checks);
	CHECK(kreads > 0 && kread_bad == 0,
	      "the kernel read the right frames through user addresses");
	for (uint32_t f = 0; f < NFRAMES; f++)
		if (((uint32_t *)(FRAME_BASE + f * PAGE_SIZE))[1] != counter[f])
			counters_bad++;
	CHECK_EQ(counters_bad, 0,
		 "every frame's write counter matches the model");
	write_cr3((uint32_t)kpd);
	paging_disable();
}
