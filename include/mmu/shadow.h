/*
 * shadow.h - shadow mappings of the guest's linear address space.
 *
 * Two views of the guest's linear address space, both built from the
 * RAM memfd (DESIGN.md section 4, docs/user-code-engine.md):
 *   - the user view, host [0, 4 GiB): guest linear page L at host L,
 *     only if the guest's tables give CPL 3 access (U at both levels).
 *     Guest user code (translated, or run directly) reaches memory here;
 *     whatever selector or address it uses, no supervisor page exists in
 *     this view.
 *   - the kernel view, host [8 GiB, 12 GiB): page L at host 8 GiB + L, if
 *     CPL 0 may touch it. Translated kernel code reaches it through a
 *     `gs:` prefix on every guest access (GS base = SHADOW_KERNEL_BASE).
 *     Never executable.
 * Host [4 GiB, 8 GiB) is a guard: an access that runs past the top of
 * the user view (a 4-byte load at 0xfffffffe) faults there instead of
 * reading the kernel view; the same guard follows the kernel view.
 * Everything else in the views stays PROT_NONE, so a missing mapping is
 * a host SIGSEGV that shadow_fault() resolves (a hidden page fault) or
 * turns into a guest #PF. A host fault address names its view (its
 * bits 32 and up) and its guest linear address (the low 32 bits).
 *
 * Coherency with the guest's page tables: every frame used as a page
 * directory or page table by a fill is "traced": write-protected wherever
 * it is mapped. A guest write to a traced frame is emulated (by the
 * interpreter, through physmap) and reported with mmu_frame_written(),
 * which drops exactly the shadow mappings that depended on the entries
 * written. Frames holding translated code are protected the same way for
 * the translator. Because of the traces the shadow never holds a stale
 * translation, so CR3 writes keep the regions whose PDE is unchanged.
 *
 * Host protection of a mapped page: read (+exec in the user view, for
 * direct execution), plus write only when the
 * guest entry is writable at both levels, its Dirty bit is already set
 * and the frame is neither FRAME_PT nor FRAME_CODE. Everything else that
 * writes (first write to a clean page, CR0.WP=0 supervisor writes to
 * read-only pages, traced and code frames) faults and is resolved by
 * shadow_fault().
 *
 * Calling rules: call the event functions after the new register value is
 * in struct vcpu (cr0/cr3/cr4). Physmap writers (interpreter, devices,
 * DMA) that change a frame whose mmu_frame_flags[] has FRAME_WATCHED must
 * call mmu_frame_written() afterwards.
 *
 * Threading: everything runs on the vCPU thread. Apart from shadow_init()
 * and shadow_destroy(), every function here is async-signal-safe with
 * respect to that thread: no allocation, no locks, no stdio; only
 * preallocated memory and syscalls (errno is preserved). shadow_fault()
 * is meant to be called from the SIGSEGV handler.
 */
#ifndef BT386_MMU_SHADOW_H
#define BT386_MMU_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct vcpu;

/* Per-frame flags (one byte per 4 KiB frame of guest RAM). */
#define FRAME_PT 0x01	/* used as a page directory or page table */
#define FRAME_CODE 0x02 /* holds code the translator has translated */
#define FRAME_WATCHED (FRAME_PT | FRAME_CODE)

/* Results of shadow_fault(). */
enum shadow_result {
	SHADOW_FILLED,	 /* mapped: restart the access */
	SHADOW_GUEST_PF, /* the guest's own page fault: deliver #PF */
	SHADOW_EMULATE,	 /* emulate the instruction (traced/code frame,
			    * MMIO, page below vm.mmap_min_addr, a write a
			    * read-only mapping cannot express) */
};

/* The views and where they live in the host. */
#define SHADOW_USER_VIEW 0u
#define SHADOW_KERNEL_VIEW 1u
#define SHADOW_KERNEL_BASE (2ull << 32)
/* The end of the kernel view, then its guard: host [0, SHADOW_RESERVED)
 * is reserved for the shadow (mem_reserve_views). */
#define SHADOW_VIEWS_END (3ull << 32)
#define SHADOW_RESERVED (SHADOW_VIEWS_END + (1ull << 20))

static inline uint64_t shadow_host_addr(unsigned view, uint32_t lin)
{
	return (view == SHADOW_KERNEL_VIEW ? SHADOW_KERNEL_BASE : 0) | lin;
}

/* Access kinds for shadow_fault(), as in mmu/walk.h. */
#define SHADOW_ACC_WRITE 0x1
#define SHADOW_ACC_FETCH 0x4

/*
 * Set up (once, after mem_init; again after shadow_destroy). Host
 * [0, SHADOW_RESERVED) must be reserved (mem_reserve_views). Returns -1 (errno
 * set) if memory is short.
 */
int shadow_init(struct machine *m);
/* Drop every mapping and free the state; mmu_frame_flags becomes NULL. */
void shadow_destroy(struct machine *m);

/* The per-frame flag array (frame_flags[paddr >> 12]); physmap writers
 * (interpreter, devices) check it and call mmu_frame_written(). NULL
 * until shadow_init(). */
extern uint8_t *mmu_frame_flags;

/*
 * Resolve a host fault at host address `host_addr` in one of the views
 * (signal-safe), walking the guest tables with that view's privileges.
 * On SHADOW_GUEST_PF, *pf_error is the guest #PF error code (CR2 = the
 * low 32 bits of host_addr). On SHADOW_EMULATE the page may have been
 * mapped read-only meanwhile. An address outside both views is
 * SHADOW_EMULATE.
 */
enum shadow_result shadow_fault(struct vcpu *cpu, uint64_t host_addr,
				unsigned acc, uint32_t *pf_error);

/*
 * Guest MMU events, with hardware semantics.
 *  - shadow_cr3_written: keeps the regions whose PDE in the new directory
 *    equals the one they were filled from (mappings the guest cannot tell
 *    from fresh walks), drops the rest. old_cr3 is informational.
 *  - shadow_invlpg: drops the page (a 4 MiB page: its whole region) in
 *    both views.
 *  - shadow_paging_changed: call after any write to CR0.PG/WP or
 *    CR4.PSE/PGE/PAE; flushes when the meaning of the tables changed
 *    (PG, PSE, PAE), not for WP or PGE (host protections never depend on
 *    them, see docs/shadow-paging.md).
 *  - shadow_flush_all: drop everything, untrace every page table.
 */
void shadow_cr3_written(struct vcpu *cpu, uint32_t old_cr3);
void shadow_invlpg(struct vcpu *cpu, uint32_t lin);
void shadow_paging_changed(struct vcpu *cpu); /* CR0.PG/WP, CR4.PSE/PGE */
void shadow_flush_all(struct vcpu *cpu);

/*
 * A physmap writer changed guest physical [paddr, paddr + len) in frames
 * that have FRAME_WATCHED flags: drop the shadow mappings that depended on
 * changed page-table entries, and tell the translator about code frames.
 */
void mmu_frame_written(struct machine *m, uint32_t paddr, uint32_t len);

/* Translator: protect / release a frame that holds translated code. */
void shadow_protect_code(struct machine *m, uint32_t frame);
void shadow_unprotect_code(struct machine *m, uint32_t frame);
/* Translator: called for writes to FRAME_CODE frames. */
void shadow_set_code_write_hook(void (*hook)(struct machine *m, uint32_t paddr,
					     uint32_t len));

/*
 * Budget: at most max_pages pages mapped and about max_vmas host VMAs in
 * the two views (defaults: the slot pool, half of vm.max_map_count). Over
 * it, the least recently filled pages are evicted. 0 keeps a value;
 * max_pages is clamped to the slot pool, max_vmas to vm.max_map_count
 * minus a reserve for the rest of the monitor.
 */
void shadow_set_budget(uint32_t max_pages, uint32_t max_vmas);

/* State for tests, --stats and the debugger. */
struct shadow_info {
	uint32_t pages_mapped;
	uint32_t vmas_estimate; /* host VMAs the shadow splits the views in */
	uint32_t max_pages, max_vmas;
	uint32_t frames_traced; /* frames with FRAME_PT now (computed) */
	uint64_t evictions;	/* pages evicted for the budget */
	uint64_t untraces;	/* page tables untraced (unused or hot) */
	uint64_t host_calls;	/* mmap/mprotect calls made */
};
void shadow_get_info(struct shadow_info *info);

/* Check the internal invariants against the guest tables (tests; not
 * signal-safe: it may print). Returns the number of violations. */
int shadow_check(struct vcpu *cpu);

/* Counters for --stats are in monitor/stats.h (shadow_*). */

#endif
