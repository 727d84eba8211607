/*
 * shadow_rmap.c - the bookkeeping behind every shadow mapping.
 *
 * One slot per mapped linear page, from a pool allocated at start-up. A
 * slot sits on three lists: slot_of[] (linear page -> slot), the reverse
 * map of its frame (frame -> every linear page mapping it; traces and code
 * protection use it to find aliases), and the fill order (oldest first;
 * eviction takes from the front). Every list is doubly linked so that
 * dropping a page is O(1) whatever the number of aliases (a guest may map
 * one zero page thousands of times).
 *
 * This file also makes every host call that changes the views, so
 * it keeps the estimate of host VMAs: the kernel merges neighbouring pages
 * that map consecutive memfd pages with equal protection into one VMA, so
 * the views hold about 2 * runs + 1 VMAs (each run of merged pages
 * plus the PROT_NONE gap before it). `runs` is updated in O(1) from the
 * two neighbours whenever a page is mapped, dropped or reprotected.
 *
 * A host call that fails (ENOMEM when a split would pass
 * vm.max_map_count) leaves a mapping we can no longer describe, so it
 * sets flush_pending: the public entry point flushes everything before
 * returning (one mmap over the whole range always succeeds).
 *
 * Runs in signal context: no allocation, no locks, no stdio.
 */
#include <sys/mman.h>

#include "mmu/shadow_priv.h"
#include "monitor/stats.h"

struct shadow sh;

/* Only direct execution runs guest pages, and only in the direct view:
 * the spaces' views are never executable. */
#define PROT_DIRECT_VIEW (PROT_READ | PROT_EXEC)
#define PROT_VIEW PROT_READ
/* Pages evicted per round when over budget (their unmaps coalesce). */
#define EVICT_ROUND 64u

static void *lin_ptr(uint32_t lpn)
{
	return (void *)(uintptr_t)shadow_host_addr(sh_page_view(lpn),
						   sh_page_lin(lpn));
}

static int prot_of(uint32_t lpn, bool writable)
{
	return (sh_page_view(lpn) == SHADOW_DIRECT_VIEW ? PROT_DIRECT_VIEW
							: PROT_VIEW) |
	       (writable ? PROT_WRITE : 0);
}

/* ---- ghosts ------------------------------------------------------------ */

/* The range's host mapping changed: none of its pages is a ghost now. */
static void forget_ghosts(uint32_t lpn, uint32_t n)
{
	for (uint32_t p = lpn; p < lpn + n; p++)
		if (sh.ghost_of[p]) {
			sh.ghost_of[p] = 0;
			sh.region_ghosts[p / SH_REGION_PAGES]--;
			sh.ghost_count--;
		}
}

/* A host call for pages from lpn on. One for user pages (a user view or
 * the direct view) is a cost of the current space's user code being on
 * host mappings (bt/utlb_policy.c weighs them). */
static void note_host_call(uint32_t lpn)
{
	sh.info.host_calls++;
	if (sh_view_user(sh_page_view(lpn)))
		sh.space_policy[sh.cur].map_costs++;
}

/* Map anonymous PROT_NONE memory over [lpn, lpn + n): a true drop. */
static void host_unmap(uint32_t lpn, uint32_t n)
{
	void *p = mmap(lin_ptr(lpn), (size_t)n << 12, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED,
		       -1, 0);

	note_host_call(lpn);
	if (p == MAP_FAILED)
		sh.flush_pending = true;
	forget_ghosts(lpn, n);
}

/* Region j's pages: all of them but those below mmap_min_addr. */
static uint32_t region_lo(uint32_t j)
{
	uint32_t lo = j * SH_REGION_PAGES;

	return lo < sh.min_lpn ? sh.min_lpn : lo;
}

/*
 * Room for k more ghosts: drop for real, one host call each, whole
 * regions that hold ghosts and no mapped page. False when no region
 * qualifies (the caller then drops for real).
 */
static bool ghost_room(uint32_t k)
{
	uint32_t tried = 0;

	if (k > SH_GHOSTS)
		return false;
	while (sh.ghost_count + k > SH_GHOSTS) {
		uint32_t j = sh.ghost_cursor;

		if (++tried > SH_REGIONS)
			return false;
		sh.ghost_cursor = (j + 1) % SH_REGIONS;
		if (sh.region_ghosts[j] && !sh.region_count[j]) {
			uint32_t lo = region_lo(j);

			host_unmap(lo, (j + 1) * SH_REGION_PAGES - lo);
		}
	}
	return true;
}

/*
 * Drop the mapped pages of [lpn, lpn + n) (their slots still set) by
 * taking all access away: their memfd mappings stay, as ghosts, so that
 * a later fill of the same frame at the same place is one mprotect, not
 * an mmap that builds a VMA (1.65 against 5.6 µs a page here; Linux
 * maps a program's page-cache frames at the same addresses at every
 * exec, bench pagefault the same frames after every batch).
 */
static void host_drop(uint32_t lpn, uint32_t n)
{
	uint32_t k = 0;

	for (uint32_t p = lpn; p < lpn + n; p++)
		k += sh.slot_of[p] != 0;
	if (!ghost_room(k)) {
		host_unmap(lpn, n);
		return;
	}
	note_host_call(lpn);
	if (mprotect(lin_ptr(lpn), (size_t)n << 12, PROT_NONE) < 0) {
		sh.flush_pending = true;
		return;
	}
	for (uint32_t p = lpn; p < lpn + n; p++) {
		uint32_t s = sh.slot_of[p];

		if (s) {
			sh.ghost_of[p] = sh.slot[s].frame + 1;
			sh.region_ghosts[p / SH_REGION_PAGES]++;
			sh.ghost_count++;
		}
	}
}

/* The reservation was put back over everything: no ghost is left. */
static void forget_all_ghosts(void)
{
	for (uint32_t j = 0; j < SH_REGIONS && sh.ghost_count; j++)
		if (sh.region_ghosts[j])
			forget_ghosts(j * SH_REGION_PAGES, SH_REGION_PAGES);
}

bool sh_host_map(uint32_t lpn, uint32_t n, uint32_t frame, bool writable)
{
	bool ghost = true;
	void *p;

	for (uint32_t i = 0; i < n && ghost; i++)
		ghost = sh.ghost_of[lpn + i] == frame + i + 1;
	note_host_call(lpn);
	if (ghost) {
		/* The frames are still there: give access back. */
		sh.info.ghost_hits++;
		if (mprotect(lin_ptr(lpn), (size_t)n << 12,
			     prot_of(lpn, writable)) < 0) {
			sh.flush_pending = true;
			return false;
		}
		forget_ghosts(lpn, n);
		return true;
	}
	p = mmap(lin_ptr(lpn), (size_t)n << 12, prot_of(lpn, writable),
		 MAP_SHARED | MAP_FIXED, sh.fd, (off_t)frame << 12);
	if (p == MAP_FAILED) {
		sh.flush_pending = true;
		return false;
	}
	forget_ghosts(lpn, n);
	return true;
}

static void host_protect(uint32_t lpn, bool writable)
{
	note_host_call(lpn);
	if (mprotect(lin_ptr(lpn), 4096, prot_of(lpn, writable)) < 0)
		sh.flush_pending = true;
}

void sh_host_reserve_all(void)
{
	void *p = mmap(
		lin_ptr(sh.min_lpn),
		SHADOW_RESERVED - ((uint64_t)sh.min_lpn << 12), PROT_NONE,
		MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED, -1, 0);

	sh.info.host_calls++;
	/* Nothing can be done without the reservation: stale guest
	 * mappings or host objects could sit in the guest's space. */
	if (p == MAP_FAILED)
		__builtin_trap();
	forget_all_ghosts();
}

/* Does the kernel merge pages a and a + 1 into one VMA? */
static bool joined(uint32_t a)
{
	uint32_t s, t;

	/* Guards separate the views: never one VMA. */
	if (a >= SH_PAGES - 1 || (a + 1) % SH_VIEW_PAGES == 0)
		return false;
	s = sh.slot_of[a];
	t = sh.slot_of[a + 1];
	return s && t && sh.slot[t].frame == sh.slot[s].frame + 1 &&
	       !((sh.slot[s].flags ^ sh.slot[t].flags) & SL_HW);
}

/* Runs page lpn adds by being mapped (lpn - 1 wraps to "no page"). */
static int run_delta(uint32_t lpn)
{
	return 1 - (int)joined(lpn - 1) - (int)joined(lpn);
}

static uint32_t vma_estimate(void)
{
	/* A ghost splits at most two more. */
	return 2 * sh.runs + 1 + 2 * sh.ghost_count;
}

void sh_note_peak(void)
{
	stats.shadow_pages_mapped = sh.mapped;
	if (sh.mapped > stats.shadow_pages_peak)
		stats.shadow_pages_peak = sh.mapped;
}

/* ---- the lists ------------------------------------------------------- */

static void order_append(uint32_t s)
{
	sh.slot[s].onext = SH_NONE;
	sh.slot[s].oprev = sh.old_tail;
	if (sh.old_tail)
		sh.slot[sh.old_tail].onext = s;
	else
		sh.old_head = s;
	sh.old_tail = s;
}

static void order_unlink(uint32_t s)
{
	struct sh_slot *e = &sh.slot[s];

	if (e->oprev)
		sh.slot[e->oprev].onext = e->onext;
	else
		sh.old_head = e->onext;
	if (e->onext)
		sh.slot[e->onext].oprev = e->oprev;
	else
		sh.old_tail = e->oprev;
}

static void rmap_push(uint32_t s)
{
	struct sh_slot *e = &sh.slot[s];
	uint32_t head = sh.rmap[e->frame];

	e->rprev = SH_NONE;
	e->rnext = head;
	if (head)
		sh.slot[head].rprev = s;
	sh.rmap[e->frame] = s;
}

static void rmap_unlink(uint32_t s)
{
	struct sh_slot *e = &sh.slot[s];

	if (e->rprev)
		sh.slot[e->rprev].rnext = e->rnext;
	else
		sh.rmap[e->frame] = e->rnext;
	if (e->rnext)
		sh.slot[e->rnext].rprev = e->rprev;
}

void sh_slot_add(uint32_t lpn, uint32_t frame, uint8_t flags)
{
	uint32_t s = sh.free_head, j = lpn / SH_REGION_PAGES;
	struct sh_slot *e = &sh.slot[s];

	/* sh_make_room() guaranteed a free slot. */
	sh.free_head = e->onext;
	sh.nfree--;
	e->lpn = lpn;
	e->frame = frame;
	e->flags = flags;
	sh.slot_of[lpn] = s;
	rmap_push(s);
	order_append(s);
	if (!sh.region_count[j]++)
		sh_set_bit(sh.region_map, j, true);
	sh.runs += run_delta(lpn);
	sh.mapped++;
	sh_note_peak();
}

/* Forget a page whose host mapping is already gone. */
static void slot_forget(uint32_t s)
{
	struct sh_slot *e = &sh.slot[s];
	uint32_t lpn = e->lpn, j = lpn / SH_REGION_PAGES;

	sh.runs -= run_delta(lpn);
	rmap_unlink(s);
	order_unlink(s);
	sh.slot_of[lpn] = SH_NONE;
	if (!--sh.region_count[j]) {
		sh_set_bit(sh.region_map, j, false);
		sh_region_unlink(j);
	}
	e->onext = sh.free_head;
	sh.free_head = s;
	sh.nfree++;
	sh.mapped--;
	STAT_INC(shadow_unmaps);
	sh_note_peak();
}

void sh_set_writable(uint32_t s, bool writable)
{
	struct sh_slot *e = &sh.slot[s];

	if (!(e->flags & SL_HW) == !writable)
		return;
	sh.runs -= run_delta(e->lpn);
	host_protect(e->lpn, writable);
	e->flags ^= SL_HW;
	sh.runs += run_delta(e->lpn);
}

/* A refill counts as recent: move to the back of the fill order. */
void sh_slot_touch(uint32_t s)
{
	order_unlink(s);
	order_append(s);
}

void sh_rmap_reset(void)
{
	uint32_t s, next;

	for (s = sh.old_head; s; s = next) {
		struct sh_slot *e = &sh.slot[s];

		next = e->onext;
		sh.slot_of[e->lpn] = SH_NONE;
		sh.rmap[e->frame] = SH_NONE;
		e->onext = sh.free_head;
		sh.free_head = s;
		sh.nfree++;
	}
	STAT_ADD(shadow_unmaps, sh.mapped);
	sh.old_head = sh.old_tail = SH_NONE;
	sh.mapped = 0;
	sh.runs = 0;
	sh_note_peak();
}

/* ---- dropping pages -------------------------------------------------- */

void sh_drop_page(uint32_t lpn)
{
	uint32_t s = sh.slot_of[lpn];

	if (!s)
		return;
	host_drop(lpn, 1);
	slot_forget(s);
}

/* Drop every mapped page in [lpn, lpn + n) with one host call. */
void sh_drop_range(uint32_t lpn, uint32_t n)
{
	uint32_t first = SH_PAGES, last = 0;

	for (uint32_t p = lpn; p < lpn + n; p++) {
		if (sh.slot_of[p]) {
			if (first == SH_PAGES)
				first = p;
			last = p;
		}
	}
	if (first == SH_PAGES)
		return;
	host_drop(first, last - first + 1);
	for (uint32_t p = first; p <= last; p++)
		if (sh.slot_of[p])
			slot_forget(sh.slot_of[p]);
}

void sh_drop_region(uint32_t j)
{
	uint32_t lo = j * SH_REGION_PAGES;

	if (sh.region_count[j]) {
		if (lo < sh.min_lpn)
			lo = sh.min_lpn;
		sh_drop_range(lo, (j + 1) * SH_REGION_PAGES - lo);
	}
	sh_region_unlink(j);
}

/* ---- the budget ------------------------------------------------------ */

/* Evict up to n of the least recently filled pages, coalescing unmaps of
 * pages that were filled together (a cluster is consecutive in both). */
static void evict(uint32_t n)
{
	while (n && sh.old_head) {
		uint32_t s = sh.old_head, start = sh.slot[s].lpn, len = 1;

		while (len < n) {
			s = sh.slot[s].onext;
			if (!s || sh.slot[s].lpn != start + len)
				break;
			len++;
		}
		host_unmap(start, len);
		for (uint32_t i = 0; i < len; i++)
			slot_forget(sh.old_head);
		sh.info.evictions += len;
		n -= len;
	}
}

static bool fits(uint32_t pages)
{
	return sh.nfree >= pages && sh.mapped + pages <= sh.max_pages &&
	       vma_estimate() + 2 <= sh.max_vmas;
}

/*
 * Make room for a fill of up to `pages` pages (one run: at most two more
 * VMAs). Evicts down to a low-water mark 1/16 under the budget so that
 * eviction comes in batches, not once per fill.
 */
bool sh_make_room(uint32_t pages)
{
	uint32_t page_mark, vma_mark;

	if (fits(pages))
		return true;
	page_mark = sh.max_pages - sh.max_pages / 16;
	vma_mark = sh.max_vmas - sh.max_vmas / 16;
	while (sh.old_head &&
	       (sh.mapped + pages > page_mark ||
		vma_estimate() + 2 > vma_mark || sh.nfree < pages))
		evict(EVICT_ROUND);
	return fits(pages);
}

uint64_t shadow_host_calls(void)
{
	return sh.info.host_calls;
}

void shadow_get_info(struct shadow_info *info)
{
	*info = sh.info;
	info->pages_mapped = sh.mapped;
	info->vmas_estimate = sh.slot ? vma_estimate() : 0;
	info->max_pages = sh.max_pages;
	info->max_vmas = sh.max_vmas;
	info->frames_traced = 0;
	for (uint32_t f = 0; sh.slot && f < sh.nframes; f++)
		if (mmu_frame_flags[f] & FRAME_PT)
			info->frames_traced++;
}

void shadow_set_budget(uint32_t max_pages, uint32_t max_vmas)
{
	uint32_t top_pages = sh.nslots ? sh.nslots - 1 : 0;

	if (max_pages)
		sh.max_pages = max_pages < top_pages ? max_pages : top_pages;
	if (max_vmas) {
		sh.max_vmas = max_vmas < 8 ? 8 : max_vmas;
		if (sh.max_vmas > sh.vma_ceiling)
			sh.max_vmas = sh.vma_ceiling;
	}
	if (sh.slot) {
		sh_make_room(0);
		sh_settle();
	}
}
