/*
 * shadow.h - shadow mappings of the guest's linear address space.
 *
 * The guest's linear space appears in the host as several 4 GiB *views*,
 * all built from the RAM memfd (DESIGN.md section 4,
 * docs/shadow-paging.md):
 *   - a kernel view and a user view for each of SHADOW_SPACES cached
 *     address spaces (one guest page directory each). Space s lives at
 *     host SHADOW_SPACE_BASE + s * SHADOW_SPACE_STRIDE: its kernel view
 *     (page L at +L if CPL 0 may touch it), a 4 GiB guard, its user view
 *     (page L at +8 GiB + L only if the guest's tables give CPL 3 access,
 *     U at both levels), another guard. Translated code reaches them
 *     through a `gs:` prefix on every guest access; the translator sets
 *     the host GS base to shadow_current_base() of the block's privilege
 *     before it runs a block. A CR3 write selects the space cached for
 *     the new directory (or recycles the least recently used one): a
 *     process switch keeps both processes' mappings.
 *   - with --direct-exec only, the direct user view at host [0, 4 GiB):
 *     directly executed user code uses guest addresses as host addresses.
 *     It follows CR3 lazily (shadow_user_sync). Translated user code then
 *     uses it too (no prefix).
 * Whatever selector or address guest user code uses, it reaches a user
 * view only, and no supervisor page is ever mapped in one. Guards make an
 * access that runs past the top of a view fault. Everything not mapped is
 * PROT_NONE, so a missing mapping is a host SIGSEGV that shadow_fault()
 * resolves (a hidden page fault) or turns into a guest #PF. A host fault
 * address names its view and its guest linear address.
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
#define SHADOW_SPACES 8u
/* Dropped pages kept mapped without access, for a cheap refill of the
 * same frame (ghosts, shadow_rmap.c); each may cost two host VMAs. */
#define SHADOW_GHOSTS 4096u
#define SHADOW_DIRECT_VIEW 0u	       /* host [0, 4 GiB), --direct-exec only */
#define SHADOW_GUARD_BASE (1ull << 32) /* never mapped */
#define SHADOW_SPACE_BASE (2ull << 32)
#define SHADOW_SPACE_STRIDE (4ull << 32)
#define SHADOW_USER_OFFSET (2ull << 32) /* user view within its space */
/* Host [0, SHADOW_RESERVED) is reserved for the shadow
 * (mem_reserve_views); the last space's user view ends with a guard. */
#define SHADOW_RESERVED \
	(SHADOW_SPACE_BASE + SHADOW_SPACES * SHADOW_SPACE_STRIDE)

/* View numbers: 0 the direct view, then kernel and user of each space. */
static inline unsigned shadow_kernel_view(unsigned space)
{
	return 1 + 2 * space;
}

static inline unsigned shadow_user_view(unsigned space)
{
	return 2 + 2 * space;
}

static inline uint64_t shadow_host_addr(unsigned view, uint32_t lin)
{
	if (view == SHADOW_DIRECT_VIEW)
		return lin;
	return SHADOW_SPACE_BASE +
	       (uint64_t)((view - 1) / 2) * SHADOW_SPACE_STRIDE +
	       ((view - 1) % 2 ? SHADOW_USER_OFFSET : 0) + lin;
}

/*
 * The host base of the view translated code of this privilege uses now
 * (the current space's kernel or user view; 0 for user code when the
 * direct view is in use). Signal-safe.
 */
uint64_t shadow_current_base(bool user);
/* The current space (tests, --stats). */
unsigned shadow_current_space(void);

/*
 * How a space's user code reaches guest memory: through its user view
 * (host mappings: a fill is a host fault and a host call), or through the
 * translator's user TLB (bt/translate_utlb.c), in which case nothing
 * fills its user view and guest PTE changes cost no host call. The
 * translator's policy (bt/utlb_policy.c) decides per space from the
 * counters here; a recycled space starts with the default
 * (shadow_set_user_tlb_default) and zero counters.
 */
struct shadow_space_policy {
	volatile uint32_t ticks; /* CPU-time ticks charged (signal handler) */
	uint32_t tlb_faults;	 /* exceptions raised by user TLB misses */
	uint32_t tlb_edits;	 /* user TLB entries dropped by INVLPG or a
				  * CR3 reload */
	uint32_t map_costs;	 /* on host mappings: host faults and host
				  * calls for its user pages */
	bool user_tlb;		 /* its user code uses the user TLB */
	bool pinned;		 /* came back to the user TLB: stays */
};
struct shadow_space_policy *shadow_space_policy(void); /* current space */
/* Switch the current space's user code to the user TLB (its user view,
 * and the direct view if it follows this space, are emptied) or back to
 * host mappings; counters restart. */
void shadow_set_user_tlb(bool on);
void shadow_set_user_tlb_default(bool on);
/* Did the last fill (SHADOW_FILLED) map its page to a frame other than
 * the one it showed before a guest PTE write dropped it (a page the guest
 * keeps remapping: Linux's kmap slots)? Signal-safe. */
bool shadow_fill_moved(void);
/* Let a process switch trade views with the space it goes to instead of
 * moving the host GS base, when that needs no host call (trade_spaces in
 * shadow.c): for hosts where a GS base change is a system call. */
void shadow_set_space_trading(bool on);
/* Does user code use the direct view (--direct-exec, or a host without
 * FSGSBASE: see shadow_init)? Fixed from shadow_init on. */
bool shadow_direct_view(void);

/* Access kinds for shadow_fault(), as in mmu/walk.h. */
#define SHADOW_ACC_WRITE 0x1
#define SHADOW_ACC_FETCH 0x4

/*
 * Set up (once, after mem_init; again after shadow_destroy). Host
 * [0, SHADOW_RESERVED) must be reserved (mem_reserve_views). `direct`:
 * guest user code uses the direct view (direct execution needs it; so does
 * a host where switching the GS base costs a system call). Returns -1
 * (errno set) if memory is short.
 */
int shadow_init(struct machine *m, bool direct);
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
 * mapped read-only meanwhile. An address outside the views in use (a
 * guard, a space that is not the current one) is SHADOW_EMULATE.
 */
enum shadow_result shadow_fault(struct vcpu *cpu, uint64_t host_addr,
				unsigned acc, uint32_t *pf_error);

/*
 * Guest MMU events, with hardware semantics.
 *  - shadow_cr3_written: selects the space cached for the new directory;
 *    if none, recycles the least recently used space, keeping its regions
 *    whose PDE in the new directory equals the one they were filled from
 *    (mappings the guest cannot tell from fresh walks). A reload of the
 *    same CR3 re-checks the current space that way. Cached spaces stay
 *    exact because their tables stay traced. old_cr3 is informational.
 *  - shadow_invlpg: drops the page (a 4 MiB page: its whole region) in
 *    the current space's views (and the direct view).
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
 * Before user code runs (translated or direct): bring the direct view to
 * the current CR3 (nothing to do without it). A CR3 write switches the
 * spaces at once and the direct view only here, so a kernel that switches
 * to its own directory and back (xv6's scheduler, on every timer tick)
 * keeps its user pages there. Signal-safe; cheap when nothing changed.
 */
void shadow_user_sync(struct vcpu *cpu);

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
/* Translator: called when a frame becomes watched (FRAME_PT or
 * FRAME_CODE), so that no cached write permission outlives it. */
void shadow_set_watch_hook(void (*hook)(uint32_t frame));

/*
 * Budget: at most max_pages pages mapped and about max_vmas host VMAs in
 * the views (defaults: the slot pool, vm.max_map_count less a reserve). Over
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
	uint64_t ghost_hits;	/* fills that found their frame still mapped */
};
void shadow_get_info(struct shadow_info *info);
/* Host mmap/mprotect/munmap calls made so far (info.host_calls). */
uint64_t shadow_host_calls(void);

/* Check the internal invariants against the guest tables (tests; not
 * signal-safe: it may print). Returns the number of violations. */
int shadow_check(struct vcpu *cpu);

/* Counters for --stats are in monitor/stats.h (shadow_*). */

#endif
