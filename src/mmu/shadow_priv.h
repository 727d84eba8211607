/*
 * shadow_priv.h - state shared by the shadow-paging files.
 *
 *   shadow.c        fills (hidden page faults), CR3/invlpg/paging events,
 *                   the views and cached spaces, full flushes
 *   shadow_rmap.c   slots (one per mapped linear page), the reverse map
 *                   frame -> linear pages, host mmap/mprotect calls, the
 *                   VMA estimate and least-recently-filled eviction
 *   shadow_trace.c  traces (FRAME_PT), the back-map page-table frame ->
 *                   regions, mmu_frame_written(), code-frame protection
 *
 * There is one shadow per process: host [0, SHADOW_RESERVED) holds the
 * views (mmu/shadow.h), so the state is a single global. A "page number"
 * here (lpn) counts over all views: lpn / 2^20 is the view, the low 20
 * bits the guest linear page; a "region" is one view's 4 MiB (one PDE),
 * numbered the same way (region / 1024 is the view).
 * All of it is allocated by shadow_init(); everything else only touches
 * preallocated memory and makes syscalls, so it may run in a signal
 * handler on the vCPU thread (docs/shadow-paging.md).
 *
 * Invariants (checked by shadow_check() in tests):
 *  - slot_of[lpn] != 0 exactly when linear page lpn is mapped in the host;
 *    the slot's frame is what the host mapping shows.
 *  - A region (4 MiB, one PDE) with mapped pages was filled from one PDE,
 *    region_pde[j]; with paging on that PDE is entry j of its view's
 *    directory (sh_view_pd; the direct view's once it is synced, see
 *    user_stale), which is traced (FRAME_PT), and if it points to a page
 *    table, that table is traced and the region is on its back-map chain.
 *  - A host mapping is writable (SL_HW) only if the guest allows writes
 *    with both privilege levels' rules (SL_GW: W at both levels, Dirty
 *    set) and the frame is not FRAME_PT or FRAME_CODE.
 *  - In a user view, every mapped page is one the guest's tables give
 *    user access to (U at both levels): no supervisor page, ever.
 *  - Only the views in use have pages: the direct view only with `direct`,
 *    a space's views while it has a directory (space_pd), or, as an
 *    orphan without one, regions filled from 4 MiB PDEs or still on a
 *    traced table's chain, each mapping what its recorded PDE gives.
 */
#ifndef BT386_MMU_SHADOW_PRIV_H
#define BT386_MMU_SHADOW_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "mmu/shadow.h"

#define SH_VIEW_PAGES (1u << 20) /* linear pages in 4 GiB */
#define SH_SPACES SHADOW_SPACES
#define SH_VIEWS (1u + 2u * SH_SPACES) /* the direct view, then spaces */
#define SH_PAGES (SH_VIEWS * SH_VIEW_PAGES)
#define SH_PDES 1024u /* 4 MiB regions of one view */
#define SH_GHOSTS SHADOW_GHOSTS
#define SH_REGIONS (SH_VIEWS * SH_PDES)
#define SH_NO_PD 0xffffffffu /* a space without a directory */
#define SH_REGION_PAGES 1024u
#define SH_CLUSTER 16u /* a fill maps up to this aligned group at once */
#define SH_NONE 0u     /* slot index 0 is never used */

/* Slot flags. */
#define SL_HW 0x01   /* the host mapping is writable */
#define SL_GW 0x02   /* guest allows writes: W at both levels and Dirty */
#define SL_USER 0x04 /* U at both levels */

struct sh_slot {
	uint32_t lpn;	       /* linear page number */
	uint32_t frame;	       /* guest frame mapped there */
	uint32_t rnext, rprev; /* reverse map: other pages of this frame */
	uint32_t onext, oprev; /* fill order, oldest first (free list: onext) */
	uint8_t flags;	       /* SL_* */
};

struct shadow {
	struct machine *m;
	int fd;		  /* guest RAM memfd */
	uint32_t nframes; /* frames of RAM */
	uint32_t min_lpn; /* first page the host lets us map */

	/* Slots and the per-page index. */
	struct sh_slot *slot; /* [nslots]; NULL when not initialised */
	uint32_t nslots;
	uint32_t free_head, nfree;
	uint32_t old_head, old_tail; /* fill order */
	uint32_t *slot_of;	     /* [SH_PAGES] lpn -> slot */
	/* Ghosts (shadow_rmap.c): an unmapped page whose host mapping is
	 * still memfd page ghost_of[lpn] - 1, with PROT_NONE; 0: anonymous.
	 * At most SH_GHOSTS live; region_ghosts counts them by region. */
	uint32_t *ghost_of; /* [SH_PAGES] */
	uint16_t region_ghosts[SH_REGIONS];
	uint32_t ghost_count, ghost_cursor;
	uint32_t *rmap;	 /* [nframes] frame -> first slot */
	uint32_t mapped; /* pages mapped */
	uint32_t runs;	 /* maximal runs the kernel merges into one VMA */
	uint32_t max_pages, max_vmas; /* budget */
	uint32_t vma_ceiling;	      /* vm.max_map_count minus a reserve */

	/* Regions. */
	uint32_t region_pde[SH_REGIONS];   /* PDE the region was filled from */
	uint16_t region_count[SH_REGIONS]; /* pages mapped */
	uint32_t region_pt[SH_REGIONS];	   /* its page table + 1, or 0 */
	uint16_t region_next[SH_REGIONS];  /* back-map chain (index + 1) */
	uint16_t region_prev[SH_REGIONS];
	uint32_t region_map[SH_REGIONS / 32]; /* regions with pages */

	/* Traces. */
	uint16_t *pt_head; /* [nframes] first region using it as PT (+1) */
	uint16_t *wcount;  /* [nframes] writes seen in epoch wepoch */
	uint8_t *wepoch;   /* [nframes] */
	uint32_t fills;	   /* pages filled, drives the write epochs */
	void (*code_hook)(struct machine *m, uint32_t paddr, uint32_t len);
	void (*watch_hook)(uint32_t frame); /* a frame became watched */

	/* Guest paging state the mappings were built for. */
	bool paging, pse, pae;
	/* Cached address spaces: the directory each was filled from
	 * (SH_NO_PD: unused), when it was last current, the current one. */
	uint32_t space_pd[SH_SPACES];
	uint64_t space_used[SH_SPACES];
	/* How each space's user code reaches memory (shadow.h). */
	struct shadow_space_policy space_policy[SH_SPACES];
	bool user_tlb_default;
	bool trade; /* spaces trade views rather than move GS (trade_spaces) */
	bool fill_moved; /* the last fill gave a page another frame */
	uint64_t space_clock;
	unsigned cur;
	/* The direct view (--direct-exec): user code uses it instead of the
	 * spaces' user views. It follows CR3 lazily (user_stale), when user
	 * code is about to run: kernel code never touches it, and xv6's
	 * scheduler runs on its own directory between two slices of the same
	 * process. direct_pd: the directory it was filled from. */
	bool direct;
	uint32_t direct_pd;
	bool user_stale;

	/* A host call failed: flush everything before returning. */
	bool flush_pending;

	struct shadow_info info;
};

extern struct shadow sh;

static inline bool sh_bit(const uint32_t *map, uint32_t i)
{
	return map[i >> 5] & (1u << (i & 31));
}

/* The view of page lpn / region j, and the guest linear address. */
static inline unsigned sh_page_view(uint32_t lpn)
{
	return lpn / SH_VIEW_PAGES;
}

static inline unsigned sh_region_view(uint32_t j)
{
	return j / SH_PDES;
}

/* Is view v walked with CPL 3 rights (the direct view, user views)? */
static inline bool sh_view_user(unsigned v)
{
	return v % 2 == 0;
}

static inline unsigned sh_view_space(unsigned v)
{
	return (v - 1) / 2;
}

/* The directory view v was filled from, or SH_NO_PD if it is unused. */
static inline uint32_t sh_view_pd(unsigned v)
{
	if (v == SHADOW_DIRECT_VIEW)
		return sh.direct ? sh.direct_pd : SH_NO_PD;
	return sh.space_pd[sh_view_space(v)];
}

static inline uint32_t sh_page_lin(uint32_t lpn)
{
	return (lpn % SH_VIEW_PAGES) << 12;
}

static inline uint32_t sh_region_pde_index(uint32_t j)
{
	return j % SH_PDES;
}

static inline void sh_set_bit(uint32_t *map, uint32_t i, bool on)
{
	if (on)
		map[i >> 5] |= 1u << (i & 31);
	else
		map[i >> 5] &= ~(1u << (i & 31));
}

/* shadow_rmap.c */
void sh_rmap_reset(void);
bool sh_make_room(uint32_t pages);
bool sh_host_map(uint32_t lpn, uint32_t n, uint32_t frame, bool writable);
void sh_slot_add(uint32_t lpn, uint32_t frame, uint8_t flags);
void sh_set_writable(uint32_t s, bool writable);
void sh_slot_touch(uint32_t s);
void sh_drop_page(uint32_t lpn);
void sh_drop_range(uint32_t lpn, uint32_t n);
void sh_drop_region(uint32_t j);
void sh_host_reserve_all(void);
void sh_note_peak(void);

/* shadow_trace.c */
void sh_trace(uint32_t frame);
void sh_untrace(uint32_t frame);
void sh_region_link(uint32_t j, uint32_t pt_frame);
void sh_region_unlink(uint32_t j);
void sh_frame_wp(uint32_t frame);
void sh_frame_unwp(uint32_t frame);

/* shadow.c */
void sh_flush(void);
void sh_settle(void);
void sh_orphan_space(unsigned space);
void sh_forget_direct(void);
bool sh_region_live(uint32_t j);
void sh_refill(uint32_t j, uint32_t i);

#endif
