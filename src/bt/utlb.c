/*
 * utlb.c - the user TLB: a software TLB of CPL 3 accesses for translated
 * user code of address spaces without host mappings (translate_utlb.c
 * checks it inline; docs/user-code-engine.md).
 *
 * 256 direct-mapped entries indexed by linear address bits 12-19, kept
 * in the vcpu where translated code reaches them through r15. An entry
 * caches one walk with CPL 3 rights: its read tag is set when user code
 * may read the page, its write tag only when it may also write it, the
 * Dirty bit is already set (the first write is the interpreter's, which
 * sets it) and the frame is RAM that nothing watches (a page table or
 * translated code: a frame that becomes watched loses its write tags at
 * once). MMIO is never cached.
 *
 * It is flushed whenever the interpreter's TLB is (interp_mem.c: CR3
 * writes keep global pages, INVLPG, task switches, paging mode changes),
 * so it follows the guest's page tables exactly as a hardware TLB does.
 * It is separate from the interpreter's so that kernel work done by
 * callouts does not evict user entries (xv6: 30 M refills when they
 * shared one table).
 */
#include "bt/interp.h"
#include "devices/bus.h"
#include "mmu/shadow.h"
#include "mmu/walk.h"
#include "monitor/machine.h"
#include "vcpu.h"

#define BT_UTLB_GLOBAL 0x1
#define BT_UTLB_LARGE 0x2

static void clear(struct vcpu *cpu, unsigned i)
{
	if (cpu->bt.utlb_flags[i] & BT_UTLB_LARGE)
		cpu->bt.utlb_n_large--;
	cpu->bt.utlb_read[i] = BT_UTLB_INVALID;
	cpu->bt.utlb_write[i] = BT_UTLB_INVALID;
	cpu->bt.utlb_flags[i] = 0;
}

static bool valid(const struct vcpu *cpu, unsigned i)
{
	return cpu->bt.utlb_read[i] != BT_UTLB_INVALID;
}

/* The linear page of valid entry i. */
static uint32_t page_of(const struct vcpu *cpu, unsigned i)
{
	return (uint32_t)-cpu->bt.utlb_read[i];
}

void bt_utlb_flush(struct vcpu *cpu, bool include_global)
{
	for (unsigned i = 0; i < 256; i++)
		if (include_global || !(cpu->bt.utlb_flags[i] & BT_UTLB_GLOBAL))
			clear(cpu, i);
	if (include_global)
		cpu->bt.utlb_n_large = 0;
}

void bt_utlb_flush_page(struct vcpu *cpu, uint32_t lin)
{
	unsigned i = (lin >> 12) & 0xff;

	if (valid(cpu, i) && page_of(cpu, i) == (lin & ~0xfffu)) {
		/* A guest PTE edit: with host mappings, host calls (the
		 * policy counts them, utlb_policy.c). */
		shadow_space_policy()->tlb_edits++;
		clear(cpu, i);
	}
	if (!cpu->bt.utlb_n_large)
		return;
	for (i = 0; i < 256; i++)
		if (valid(cpu, i) && (cpu->bt.utlb_flags[i] & BT_UTLB_LARGE) &&
		    page_of(cpu, i) >> 22 == lin >> 22)
			clear(cpu, i);
}

void bt_utlb_frame_watched(struct vcpu *cpu, uint32_t frame)
{
	for (unsigned i = 0; i < 256; i++)
		if (valid(cpu, i) && cpu->bt.utlb_frame[i] == frame)
			cpu->bt.utlb_write[i] = BT_UTLB_INVALID;
}

bool bt_utlb_fill(struct vcpu *cpu, uint32_t lin, unsigned size, bool write)
{
	struct machine *m = cpu->machine;
	unsigned i = (lin >> 12) & 0xff;
	uint64_t tag = -(uint64_t)(lin & ~0xfffu);
	struct mmu_walk_result r;
	uint32_t frame, err;

	if ((lin & 0xfff) + size > 0x1000 ||
	    mmu_walk(cpu, lin, MMU_ACC_USER, &r, &err) < 0)
		return false;
	frame = r.paddr >> 12;
	if (!mem_is_ram(&m->mem, frame << 12, 4096) ||
	    bus_mmio_find(&m->bus, frame << 12))
		return false;
	clear(cpu, i);
	cpu->bt.utlb_addend[i] =
		(uint64_t)(uintptr_t)mem_ptr(&m->mem, frame << 12) -
		(lin & ~0xfffu);
	cpu->bt.utlb_frame[i] = frame;
	cpu->bt.utlb_read[i] = tag;
	/* Without paging every access is allowed and nothing is dirty. */
	if ((!(cpu->cr0 & X86_CR0_PG) || (r.writable && (r.pte & X86_PTE_D))) &&
	    !(mmu_frame_flags && (mmu_frame_flags[frame] & FRAME_WATCHED)))
		cpu->bt.utlb_write[i] = tag;
	if (r.global)
		cpu->bt.utlb_flags[i] |= BT_UTLB_GLOBAL;
	if (r.large) {
		cpu->bt.utlb_flags[i] |= BT_UTLB_LARGE;
		cpu->bt.utlb_n_large++;
	}
	return !write || cpu->bt.utlb_write[i] == tag;
}
