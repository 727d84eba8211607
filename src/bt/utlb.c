/*
 * utlb.c - the software TLBs of translated code that runs without host
 * mappings: the user TLB (CPL 3 code of an address space on it,
 * docs/user-code-engine.md) and the kernel TLB (all other code, under
 * --kernel-tlb, docs/shadow-paging.md). translate_utlb.c checks them
 * inline.
 *
 * The user TLB has 256 direct-mapped entries indexed by linear address
 * bits 12-19, the kernel TLB 65536 (bits 12-27: Linux's fork+exec missed
 * 5.7 K times per fork+exec with 256), kept in the vcpu where translated
 * code reaches them through r15. Flushes walk a log of the non-global
 * entries filled since the last one, and watches a log of the writable
 * ones, not the table.
 * An entry caches one walk with the table's rights (CPL 3, or supervisor
 * with CR0.WP as it is): its read tag is set when that code may read the
 * page, its write tag only when it may also write it, the Dirty bit is
 * set (a write miss sets it, as the write it checks follows at once) and
 * the frame is RAM that nothing watches (a page table the shadow traces
 * or translated code: a frame that becomes watched loses its write tags
 * at once). MMIO is never cached.
 *
 * Both are flushed whenever the interpreter's TLB is (interp_mem.c: CR3
 * writes keep global pages, INVLPG, task switches, paging mode changes,
 * CR0.WP), so they follow the guest's page tables exactly as a hardware
 * TLB does. They are separate from the interpreter's so that kernel work
 * done by callouts does not evict user entries (xv6: 30 M refills when
 * they shared one table), and from each other for the same reason.
 */
#include <string.h>

#include "bt/interp.h"
#include "devices/bus.h"
#include "mmu/shadow.h"
#include "mmu/walk.h"
#include "monitor/machine.h"
#include "vcpu.h"

#define BT_UTLB_GLOBAL 0x1
#define BT_UTLB_LARGE 0x2

static void clear(struct bt_soft_tlb *t, unsigned i)
{
	if ((t->flags[i] & BT_UTLB_LARGE) && !--t->n_large)
		memset(t->large_map, 0, sizeof(t->large_map));
	t->read[i] = BT_UTLB_INVALID;
	t->write[i] = BT_UTLB_INVALID;
	t->flags[i] = 0;
}

static bool valid(const struct bt_soft_tlb *t, unsigned i)
{
	return t->read[i] != BT_UTLB_INVALID;
}

/* The linear page of valid entry i. */
static uint32_t page_of(const struct bt_soft_tlb *t, unsigned i)
{
	return (uint32_t)-t->read[i];
}

static unsigned index_of(const struct bt_soft_tlb *t, uint32_t lin)
{
	return (lin >> 12) & (t->entries - 1);
}

static void log_add(uint16_t *log, uint32_t *n, unsigned i)
{
	if (*n < BT_TLB_LOG)
		log[*n] = (uint16_t)i;
	if (*n <= BT_TLB_LOG)
		(*n)++;
}

static void flush(struct bt_soft_tlb *t, unsigned entries, bool include_global)
{
	if (include_global || t->n_local > BT_TLB_LOG) {
		t->entries = entries;
		for (unsigned i = 0; i < entries; i++)
			if (include_global || !(t->flags[i] & BT_UTLB_GLOBAL))
				clear(t, i);
	} else {
		for (unsigned k = 0; k < t->n_local; k++)
			if (!(t->flags[t->local[k]] & BT_UTLB_GLOBAL))
				clear(t, t->local[k]);
	}
	t->n_local = 0;
	if (include_global) {
		t->n_large = 0;
		memset(t->large_map, 0, sizeof(t->large_map));
		t->n_writable = 0;
	}
}

void bt_utlb_flush(struct vcpu *cpu, bool include_global)
{
	flush(&cpu->bt.tlb[BT_TLB_USER], 256, include_global);
	flush(&cpu->bt.tlb[BT_TLB_KERNEL], BT_TLB_MAX, include_global);
}

/* INVLPG of lin in one table; true if it held the page. */
static bool flush_page(struct bt_soft_tlb *t, uint32_t lin)
{
	unsigned i = index_of(t, lin), first, n;
	bool held = false;

	if (valid(t, i) && page_of(t, i) == (lin & ~0xfffu)) {
		clear(t, i);
		held = true;
	}
	if (!t->n_large ||
	    !(t->large_map[lin >> 27] & (1u << (lin >> 22 & 31))))
		return held;
	/* The slices of a 4 MiB page that may hold lin: 1024 indices. */
	first = index_of(t, lin & ~0x3fffffu);
	n = t->entries < 1024 ? t->entries : 1024;
	for (unsigned k = 0; k < n; k++) {
		i = (first + k) & (t->entries - 1);
		if (valid(t, i) && (t->flags[i] & BT_UTLB_LARGE) &&
		    page_of(t, i) >> 22 == lin >> 22)
			clear(t, i);
	}
	return held;
}

void bt_utlb_flush_page(struct vcpu *cpu, uint32_t lin)
{
	/* A guest PTE edit of a user page: with host mappings, host calls
	 * (the policy counts them, utlb_policy.c). */
	if (flush_page(&cpu->bt.tlb[BT_TLB_USER], lin))
		shadow_space_policy()->tlb_edits++;
	flush_page(&cpu->bt.tlb[BT_TLB_KERNEL], lin);
}

/*
 * A CR3 reload flushes the current space's user entries after its kernel
 * changed them: fork write-protecting the parent, munmap. With host
 * mappings each such change is a host call and a refault, as an INVLPG'd
 * page's is, so the policy counts the user pages the reload drops as
 * edits. A forking shell counted only its few page faults and moved to
 * host mappings, where every fork then cost a host call per page.
 */
void bt_utlb_note_reload(struct vcpu *cpu)
{
	const struct bt_soft_tlb *t = &cpu->bt.tlb[BT_TLB_USER];
	uint32_t n = 0;

	if (t->n_local > BT_TLB_LOG) {
		for (unsigned i = 0; i < t->entries; i++)
			n += valid(t, i) && !(t->flags[i] & BT_UTLB_GLOBAL);
	} else {
		for (unsigned k = 0; k < t->n_local; k++)
			n += valid(t, t->local[k]) &&
			     !(t->flags[t->local[k]] & BT_UTLB_GLOBAL);
	}
	shadow_space_policy()->tlb_edits += n;
}

/* Take the write tags of `frame` away; the log keeps what can still
 * write. */
static void unwrite_frame(struct bt_soft_tlb *t, uint32_t frame)
{
	uint32_t n = 0;

	if (t->n_writable > BT_TLB_LOG) {
		for (unsigned i = 0; i < t->entries; i++) {
			if (t->write[i] == BT_UTLB_INVALID)
				continue;
			if (t->frame[i] == frame)
				t->write[i] = BT_UTLB_INVALID;
			else
				log_add(t->writable, &n, i);
		}
		t->n_writable = n;
		return;
	}
	for (unsigned k = 0; k < t->n_writable; k++) {
		unsigned i = t->writable[k];

		if (t->write[i] == BT_UTLB_INVALID)
			continue;
		if (t->frame[i] == frame)
			t->write[i] = BT_UTLB_INVALID;
		else
			t->writable[n++] = (uint16_t)i;
	}
	t->n_writable = n;
}

void bt_utlb_frame_watched(struct vcpu *cpu, uint32_t frame)
{
	unwrite_frame(&cpu->bt.tlb[BT_TLB_USER], frame);
	unwrite_frame(&cpu->bt.tlb[BT_TLB_KERNEL], frame);
}

bool bt_utlb_fill(struct vcpu *cpu, bool kernel, uint32_t lin, unsigned size,
		  bool write)
{
	struct machine *m = cpu->machine;
	struct bt_soft_tlb *t =
		&cpu->bt.tlb[kernel ? BT_TLB_KERNEL : BT_TLB_USER];
	unsigned i = index_of(t, lin);
	uint64_t tag = -(uint64_t)(lin & ~0xfffu);
	struct mmu_walk_result r;
	uint32_t frame, err;

	unsigned acc = kernel ? 0 : MMU_ACC_USER;

	/* A write miss walks as the write (Accessed and Dirty set, as
	 * hardware does for the write that follows at once: it is the
	 * last access an instruction checks), so that a write that would
	 * fault leaves no trace (the interpreter raises the #PF); then the
	 * walk that fills the entry. */
	if ((lin & 0xfff) + size > 0x1000 ||
	    (write && mmu_walk(cpu, lin, acc | MMU_ACC_WRITE, &r, &err) < 0) ||
	    mmu_walk(cpu, lin, acc, &r, &err) < 0)
		return false;
	frame = r.paddr >> 12;
	if (!mem_is_ram(&m->mem, frame << 12, 4096) ||
	    bus_mmio_find(&m->bus, frame << 12))
		return false;
	clear(t, i);
	t->addend[i] = (uint64_t)(uintptr_t)mem_ptr(&m->mem, frame << 12) -
		       (lin & ~0xfffu);
	t->frame[i] = frame;
	t->read[i] = tag;
	/* Without paging every access is allowed and nothing is dirty;
	 * r.writable follows CR0.WP for supervisor walks. */
	if ((!(cpu->cr0 & X86_CR0_PG) || (r.writable && (r.pte & X86_PTE_D))) &&
	    !(mmu_frame_flags && (mmu_frame_flags[frame] & FRAME_WATCHED))) {
		t->write[i] = tag;
		log_add(t->writable, &t->n_writable, i);
	}
	if (r.global)
		t->flags[i] |= BT_UTLB_GLOBAL;
	else
		log_add(t->local, &t->n_local, i);
	if (r.large) {
		t->flags[i] |= BT_UTLB_LARGE;
		t->n_large++;
		t->large_map[lin >> 27] |= 1u << (lin >> 22 & 31);
	}
	return !write || t->write[i] == tag;
}
