/*
 * shadow.c - hidden page faults and the guest MMU events.
 *
 * shadow_fault() is called from the SIGSEGV handler (direct execution)
 * or the code cache's fault path (binary translation) when guest code
 * touched a linear page the host has no (suitable) mapping for in one of
 * the views (user views walked with CPL 3's rights, kernel views with
 * CPL 0's; mmu/shadow.h has the layout). It walks
 * the guest tables with that view's privileges; the walk sets
 * Accessed (and Dirty on writes) only if the access is allowed. Then:
 *  - guest refuses the access            -> SHADOW_GUEST_PF + error code;
 *  - page below vm.mmap_min_addr, MMIO   -> SHADOW_EMULATE, never mapped;
 *  - otherwise the page is mapped (with the neighbours of its aligned
 *    16-page group that are present, consecutive frames, same protection,
 *    their Accessed bits set as a speculative walk may; one
 *    mmap, one host VMA) read+exec, writable only if the guest allows the
 *    write at both levels, Dirty is set and the frame is not watched;
 *  - a write the mapping cannot take (traced / code frame, CR0.WP=0
 *    supervisor write to a read-only page) -> SHADOW_EMULATE.
 *
 * Before mapping, the directory and the page table the walk used are
 * traced (shadow_trace.c), so from then on every change to an entry the
 * mapping was built from drops it: the shadow never holds a translation
 * the current tables do not give. That is why a CR3 write may go back to
 * the space cached for the new directory, or keep every region whose PDE
 * is the same in it (docs/shadow-paging.md has the argument), and why
 * CR0.WP and CR4.PGE changes need no flush.
 *
 * Everything but shadow_init/destroy/check is async-signal-safe.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "mmu/shadow_priv.h"
#include "mmu/walk.h"
#include "monitor/machine.h"
#include "monitor/stats.h"

uint8_t *mmu_frame_flags;

#define PDE_KEY_PT \
	(X86_PTE_ADDR | X86_PTE_PS | X86_PTE_U | X86_PTE_W | X86_PTE_P)
#define PDE_KEY_4M (PDE_KEY_PT | X86_PTE_D)

/* ---- helpers --------------------------------------------------------- */

static uint32_t phys_read32(uint32_t paddr)
{
	uint32_t v;

	if (!mem_is_ram(&sh.m->mem, paddr, 4))
		return 0;
	memcpy(&v, mem_ptr(&sh.m->mem, paddr), 4);
	return v;
}

/*
 * What of a PDE the region's mappings depend on: the table or 4 MiB
 * frame (with the reserved bits 13..21 of a 4 MiB PDE: setting one makes
 * the walk fault), P, U/S, R/W, PS, and Dirty for a 4 MiB page (a clean
 * large page is mapped read-only). Not Accessed, caching or free bits.
 */
static uint32_t pde_key(uint32_t pde)
{
	if (!(pde & X86_PTE_P))
		return 0;
	if ((pde & X86_PTE_PS) && sh.pse)
		return pde & PDE_KEY_4M;
	return pde & PDE_KEY_PT;
}

/* RAM and no MMIO range overlapping the frame (e.g. VGA at 0xa0000). */
static bool frame_mappable(uint32_t frame)
{
	const struct bus *bus = &sh.m->bus;
	uint64_t lo = (uint64_t)frame << 12, hi = lo + 4096;

	if (frame >= sh.nframes)
		return false;
	for (unsigned i = 0; i < bus->nr_mmio; i++) {
		uint64_t b = bus->mmio[i].base, e = b + bus->mmio[i].len;

		if (b < hi && lo < e)
			return false;
	}
	return true;
}

/* SL_GW / SL_USER of a walked page, and SL_HW if it may be writable. */
static uint8_t page_flags(const struct mmu_walk_result *w, uint32_t frame)
{
	uint8_t fl = 0;
	bool gw, user;

	if (!sh.paging) {
		gw = user = true;
	} else {
		uint32_t eff =
			w->large ? w->pte
				 : w->pte & (w->pde | ~(X86_PTE_U | X86_PTE_W));

		/* Not w->writable: CR0.WP=0 lets the supervisor write
		 * read-only pages, which we emulate instead of mapping. */
		gw = (eff & X86_PTE_W) && (w->pte & X86_PTE_D);
		user = w->user;
	}
	if (gw)
		fl |= SL_GW;
	if (user)
		fl |= SL_USER;
	if (gw && !(mmu_frame_flags[frame] & FRAME_WATCHED))
		fl |= SL_HW;
	return fl;
}

/* ---- mode, directory switches, flushes -------------------------------- */

void sh_flush(void)
{
	uint8_t *ff = mmu_frame_flags;

	/* After a failed host call the range may hold anything: always
	 * put the reservation back then. */
	if (sh.mapped || sh.flush_pending)
		sh_host_reserve_all();
	for (uint32_t j = 0; j < SH_REGIONS; j++)
		sh_region_unlink(j);
	sh_rmap_reset();
	memset(sh.region_count, 0, sizeof(sh.region_count));
	memset(sh.region_map, 0, sizeof(sh.region_map));
	/* No mapping depends on any table now: untrace them all. */
	for (uint32_t f = 0; f < sh.nframes; f++)
		ff[f] &= (uint8_t)~FRAME_PT;
	sh.flush_pending = false;
	STAT_INC(shadow_flushes);
}

void sh_settle(void)
{
	if (sh.flush_pending)
		sh_flush();
}

/* Forget every space; space 0 (current) takes directory pd. */
static void reset_spaces(uint32_t pd)
{
	for (unsigned s = 0; s < SH_SPACES; s++)
		sh.space_pd[s] = SH_NO_PD;
	for (unsigned s = 0; s < SH_SPACES; s++)
		sh.space_policy[s] = (struct shadow_space_policy){
			.user_tlb = sh.user_tlb_default};
	sh.cur = 0;
	sh.space_pd[0] = pd;
	sh.space_used[0] = ++sh.space_clock;
	sh.direct_pd = pd;
	sh.user_stale = false;
}

/* Does a view with a directory (other than `space`'s) use page table
 * pt? Then pt is one the guest's directories share (a kernel's). */
static bool table_shared(uint32_t pt, unsigned space)
{
	for (uint32_t r = sh.pt_head[pt]; r; r = sh.region_next[r - 1]) {
		unsigned v = sh_region_view(r - 1);

		if (v != SHADOW_DIRECT_VIEW && sh_view_space(v) == space)
			continue;
		if (sh_view_pd(v) != SH_NO_PD)
			return true;
	}
	return false;
}

/* Drop the view's regions; with `unshared_only`, only those that hang
 * off a table no other directory shares (an orphan keeps the rest). */
static void drop_regions(unsigned view, bool unshared_only)
{
	for (uint32_t w = view * SH_PDES / 32; w < (view + 1) * SH_PDES / 32;
	     w++) {
		uint32_t bits = sh.region_map[w];

		while (bits) {
			uint32_t j = w * 32 + (uint32_t)__builtin_ctz(bits);

			bits &= bits - 1;
			if (!unshared_only ||
			    (sh.region_pt[j] &&
			     !table_shared(sh.region_pt[j] - 1,
					   sh_view_space(view))))
				sh_drop_region(j);
		}
	}
}

/*
 * The directory of a space that is not the current one was rewritten (a
 * dead process's directory reused): the space loses its directory and
 * the regions only it used. What its directory shared with others stays,
 * as an orphan: regions filled from 4 MiB PDEs depend on nothing but the
 * PDE value they record (region_pde), and regions whose page table
 * another space's directory also points to stay on that table's trace.
 * When the orphan is recycled, switch_pd keeps those the new directory
 * has too. That is a new Linux process's kernel half (its PDEs are copies
 * of swapper_pg_dir's), which otherwise costs a fault per 64 KiB the
 * kernel touches, for every fork and exec.
 */
void sh_orphan_space(unsigned space)
{
	drop_regions(shadow_kernel_view(space), true);
	drop_regions(shadow_user_view(space), true);
	sh.space_pd[space] = SH_NO_PD;
}

static bool view_has_pages(unsigned view)
{
	for (uint32_t w = view * SH_PDES / 32; w < (view + 1) * SH_PDES / 32;
	     w++)
		if (sh.region_map[w])
			return true;
	return false;
}

/* The physical address of region j's entry in directory pd. */
static uint32_t pde_addr(uint32_t pd, uint32_t j)
{
	return (pd << 12) | (sh_region_pde_index(j) << 2);
}

/* Does region j map what a directory entry `pde` would (the same key)? */
static bool region_fits(uint32_t j, uint32_t pde)
{
	return pde_key(pde) && pde_key(pde) == pde_key(sh.region_pde[j]);
}

/*
 * A view's directory changed: keep the view's regions whose PDE in the
 * new directory has the key they were filled with, drop the rest. The
 * caller records the new directory.
 */
static void switch_pd(unsigned view, uint32_t new_pd)
{
	bool kept = false;

	for (uint32_t w = view * SH_PDES / 32; w < (view + 1) * SH_PDES / 32;
	     w++) {
		uint32_t bits = sh.region_map[w];

		while (bits) {
			uint32_t j = w * 32 + (uint32_t)__builtin_ctz(bits);
			uint32_t pa = pde_addr(new_pd, j);
			uint32_t pde = phys_read32(pa);

			bits &= bits - 1;
			if (!region_fits(j, pde)) {
				sh_drop_region(j);
				continue;
			}
			kept = true;
			/* The kept mappings are used through this PDE: set
			 * Accessed as a walk would (early, as hardware may
			 * for speculative translations). */
			if (!(pde & X86_PTE_A)) {
				pde |= X86_PTE_A;
				memcpy(mem_ptr(&sh.m->mem, pa), &pde, 4);
			}
		}
	}
	if (kept)
		sh_trace(new_pd);
}

/*
 * The space to recycle: an orphan (no directory, shared regions kept),
 * else one never used, else the least recently used.
 */
static unsigned space_to_recycle(void)
{
	unsigned s, victim = SH_SPACES, lru = 0;

	for (s = 0; s < SH_SPACES; s++) {
		if (sh.space_pd[s] != SH_NO_PD) {
			if (sh.space_used[s] < sh.space_used[lru])
				lru = s;
			continue;
		}
		if (view_has_pages(shadow_kernel_view(s)) ||
		    view_has_pages(shadow_user_view(s)))
			return s;
		if (victim == SH_SPACES)
			victim = s;
	}
	return victim < SH_SPACES ? victim : lru;
}

/* Does every region of the view with pages have the same PDE key in
 * directory pd (so that the view could serve pd as it is)? */
static bool view_fits(unsigned view, uint32_t pd)
{
	for (uint32_t w = view * SH_PDES / 32; w < (view + 1) * SH_PDES / 32;
	     w++) {
		uint32_t bits = sh.region_map[w];

		while (bits) {
			uint32_t j = w * 32 + (uint32_t)__builtin_ctz(bits);

			bits &= bits - 1;
			if (!region_fits(j, phys_read32(pde_addr(pd, j))))
				return false;
		}
	}
	return true;
}

/*
 * Switching from the current space to space s moves the host GS base to
 * s's views, a system call where the host lacks FSGSBASE (9-10 us on a
 * PVM host). When the current space's views map nothing that differs
 * between its directory and pd (a kernel whose processes share its page
 * tables, with user memory reached through the kernel TLB or not at all),
 * the two spaces trade places instead: the current space's views serve pd
 * from now on, s's the old directory, and the base stays. s is either
 * cached for pd (its views must then fit the old directory as they are:
 * no host call at all) or `recycled` for it (what of its views does not
 * fit the old directory is dropped, as recycling it for pd would drop
 * what does not fit pd).
 */
static bool trade_spaces(unsigned s, uint32_t pd, bool recycled)
{
	unsigned c = sh.cur;
	uint32_t old_pd = sh.space_pd[c];
	struct shadow_space_policy old_policy = sh.space_policy[c];
	struct shadow_space_policy policy =
		recycled
			? (struct
			   shadow_space_policy){.user_tlb = sh.user_tlb_default}
			: sh.space_policy[s];

	if (!sh.trade || s == c || old_pd == SH_NO_PD ||
	    !view_fits(shadow_kernel_view(c), pd) ||
	    !view_fits(shadow_user_view(c), pd))
		return false;
	if (!recycled && (!view_fits(shadow_kernel_view(s), old_pd) ||
			  !view_fits(shadow_user_view(s), old_pd)))
		return false;
	/* A space on the user TLB keeps its user view empty. */
	if (policy.user_tlb && view_has_pages(shadow_user_view(c)))
		return false;
	if (!recycled && old_policy.user_tlb &&
	    view_has_pages(shadow_user_view(s)))
		return false;
	switch_pd(shadow_kernel_view(c), pd);
	switch_pd(shadow_user_view(c), pd);
	switch_pd(shadow_kernel_view(s), old_pd);
	switch_pd(shadow_user_view(s), old_pd);
	if (old_policy.user_tlb)
		drop_regions(shadow_user_view(s), false);
	sh.space_pd[c] = pd;
	sh.space_pd[s] = old_pd;
	sh.space_policy[c] = policy;
	sh.space_policy[s] = old_policy;
	sh.space_used[s] = sh.space_used[c];
	STAT_INC(shadow_space_trades);
	return true;
}

/*
 * CR3 now holds directory pd, which is not the current space's: go to the
 * space cached for it, or recycle the least recently used space for it.
 * Recycling keeps the regions whose PDE is the same in pd (a new process
 * of a kernel whose tables all processes share).
 */
static void select_space(uint32_t pd)
{
	unsigned s;

	for (s = 0; s < SH_SPACES; s++)
		if (sh.space_pd[s] == pd)
			break;
	if (s < SH_SPACES) {
		STAT_INC(shadow_space_hits);
		if (trade_spaces(s, pd, false))
			s = sh.cur;
	} else {
		s = space_to_recycle();
		STAT_INC(shadow_space_misses);
		if (trade_spaces(s, pd, true)) {
			s = sh.cur;
			goto done;
		}
		switch_pd(shadow_kernel_view(s), pd);
		switch_pd(shadow_user_view(s), pd);
		sh.space_pd[s] = pd;
		sh.space_policy[s] = (struct shadow_space_policy){
			.user_tlb = sh.user_tlb_default};
		if (sh.user_tlb_default)
			drop_regions(shadow_user_view(s), false);
	}
done:
	sh.cur = s;
	sh.space_used[s] = ++sh.space_clock;
}

/*
 * Bring the shadow in line with the vCPU's paging mode: a change of
 * CR0.PG, CR4.PSE or CR4.PAE changes what every entry means (flush); a
 * different CR3 selects the space cached for it at once (select_space),
 * and moves the direct view when user code runs next (sync_direct_view).
 * Cheap when
 * nothing changed, so every entry point calls it (a missed event cannot
 * leave stale maps).
 */
static void sync_mode(struct vcpu *cpu)
{
	bool pg = cpu->cr0 & X86_CR0_PG;
	bool pse = cpu->cr4 & X86_CR4_PSE;
	bool pae = cpu->cr4 & X86_CR4_PAE;
	uint32_t pd = cpu->cr3 >> 12;

	if (pg != sh.paging || (pg && (pse != sh.pse || pae != sh.pae))) {
		sh_flush();
		sh.paging = pg;
		sh.pse = pse;
		sh.pae = pae;
		reset_spaces(pd);
		return;
	}
	/* Without paging, linear is physical whatever CR3 says. */
	if (pg && pd != sh.space_pd[sh.cur])
		select_space(pd);
	if (pg && sh.direct && pd != sh.direct_pd)
		sh.user_stale = true;
}

/*
 * The direct view follows a directory other than CR3's (no user code on
 * host mappings has run since the switch), and that directory is being
 * written: its process is gone and the frame is reused, or its tables
 * change while it sleeps. Forget it: the view is emptied and follows
 * CR3 again when user code next needs it. Linux's fork job once wrote 7 M
 * times into the frame of a dead sha256sum's directory (a kernel stack by
 * then), each write dropping regions of a view nothing used, and took
 * 3.4 s instead of 2.0.
 */
void sh_forget_direct(void)
{
	drop_regions(SHADOW_DIRECT_VIEW, false);
	sh.direct_pd = SH_NO_PD;
	sh.user_stale = true;
}

static void sync_direct_view(struct vcpu *cpu)
{
	sync_mode(cpu);
	if (sh.paging && sh.direct && sh.user_stale) {
		switch_pd(SHADOW_DIRECT_VIEW, cpu->cr3 >> 12);
		sh.direct_pd = cpu->cr3 >> 12;
		sh.user_stale = false;
	}
}

void shadow_user_sync(struct vcpu *cpu)
{
	int saved = errno;

	if (!sh.slot)
		return;
	sync_direct_view(cpu);
	sh_settle();
	errno = saved;
}

uint64_t shadow_current_base(bool user)
{
	if (user && sh.direct)
		return 0;
	return shadow_host_addr(user ? shadow_user_view(sh.cur)
				     : shadow_kernel_view(sh.cur),
				0);
}

unsigned shadow_current_space(void)
{
	return sh.cur;
}

struct shadow_space_policy *shadow_space_policy(void)
{
	return &sh.space_policy[sh.cur];
}

void shadow_set_user_tlb(bool on)
{
	struct shadow_space_policy *p = &sh.space_policy[sh.cur];

	if (on) {
		drop_regions(shadow_user_view(sh.cur), false);
		/* Its user pages in the direct view would keep their tables
		 * traced (a host call per PTE edit) for nothing. */
		if (sh.direct && sh.direct_pd == sh.space_pd[sh.cur])
			sh_forget_direct();
	}
	*p = (struct shadow_space_policy){.user_tlb = on, .pinned = p->pinned};
}

void shadow_set_user_tlb_default(bool on)
{
	sh.user_tlb_default = on;
	for (unsigned s = 0; s < SH_SPACES; s++)
		sh.space_policy[s].user_tlb = on;
}

bool shadow_fill_moved(void)
{
	return sh.fill_moved;
}

void shadow_set_space_trading(bool on)
{
	sh.trade = on;
}

bool shadow_direct_view(void)
{
	return sh.direct;
}

/* PAE tables are not walked yet (mmu/walk.c): nothing gets mapped. */
static bool unsupported_mode(void)
{
	return sh.paging && sh.pae;
}

/* ---- fills ------------------------------------------------------------ */

/*
 * Make region j ready for a fill from walk w: its PDE key must be the
 * one its mappings came from (always so while traces work; a large page
 * whose Dirty bit this walk just set is fine too), and the directory and
 * the page table are traced before anything is mapped from them.
 */
static void prepare_region(uint32_t j, const struct mmu_walk_result *w)
{
	uint32_t key = pde_key(w->pde);

	if (sh.region_count[j]) {
		uint32_t old = pde_key(sh.region_pde[j]);

		if (old != key && !(w->large && (old | X86_PTE_D) == key))
			sh_drop_region(j);
	}
	sh_trace(sh_view_pd(sh_region_view(j)));
	if (!w->large) {
		uint32_t pt = w->pde >> 12;

		sh_trace(pt);
		if (sh.region_pt[j] != pt + 1) {
			sh_region_unlink(j);
			sh_region_link(j, pt);
		}
	} else {
		sh_region_unlink(j);
	}
	sh.region_pde[j] = w->pde;
	/* Other views' regions may hang off the same PDE: a Dirty bit this
	 * walk set on a large page is no change for their (read-only)
	 * mappings. */
	if (w->large) {
		uint32_t pd = sh_view_pd(sh_region_view(j));

		for (unsigned v = 0; v < SH_VIEWS; v++) {
			uint32_t o = v * SH_PDES + sh_region_pde_index(j);

			if (o != j && sh_view_pd(v) == pd &&
			    sh.region_count[o] &&
			    (pde_key(sh.region_pde[o]) | X86_PTE_D) == key)
				sh.region_pde[o] = w->pde;
		}
	}
}

/*
 * May neighbour p join the run as frame `frame` with host writability
 * `hw`? If it is present for this view, RAM and that frame; its Accessed
 * bits are then set, as a speculative walk may set them.
 */
static bool neighbour(struct vcpu *cpu, uint32_t p, uint32_t frame,
		      unsigned acc, uint8_t hw, uint8_t *flags)
{
	struct mmu_walk_result w;
	uint32_t err;

	if (p < sh.min_lpn || sh.slot_of[p] || frame >= sh.nframes)
		return false;
	if (mmu_walk(cpu, sh_page_lin(p), (acc & MMU_ACC_USER) | MMU_ACC_NOSET,
		     &w, &err) < 0)
		return false;
	if (w.paddr >> 12 != frame || !frame_mappable(frame))
		return false;
	*flags = page_flags(&w, frame);
	if ((*flags & SL_HW) != hw)
		return false;
	/* Not Accessed yet: set A as the walk of a speculative access may
	 * (SDM 4.10.2.3: translations, and so A, for accesses the code path
	 * never makes), never D. xv6 maps its RAM without A: one fault per
	 * page touched otherwise. The frame and rights stay the same. */
	if (sh.paging && !(w.pte & X86_PTE_A) &&
	    mmu_walk(cpu, sh_page_lin(p), acc & MMU_ACC_USER, &w, &err) < 0)
		return false;
	return true;
}

/*
 * Map page lpn as walk w found it. Returns the page's slot flags, or -1
 * if the host refused the mapping.
 */
static int fill(struct vcpu *cpu, uint32_t lpn, const struct mmu_walk_result *w,
		unsigned acc)
{
	uint32_t frame = w->paddr >> 12, j = lpn / SH_REGION_PAGES;
	uint32_t lo = lpn, hi = lpn, group = lpn & ~(SH_CLUSTER - 1);
	uint8_t fl[SH_CLUSTER], hw;
	uint32_t s;

	/* Mapped to another frame (a refill after a PTE write): dropped
	 * first, so that the region is linked again below if that was its
	 * last page. That, or a ghost of another frame, is a page the guest
	 * remapped (shadow_fill_moved). */
	s = sh.slot_of[lpn];
	sh.fill_moved = (s && sh.slot[s].frame != frame) ||
			(sh.ghost_of[lpn] && sh.ghost_of[lpn] != frame + 1);
	if (s && sh.slot[s].frame != frame)
		sh_drop_page(lpn);
	if (!sh_make_room(SH_CLUSTER))
		return -1;
	if (sh.paging)
		prepare_region(j, w);
	fl[lpn - group] = page_flags(w, frame);
	hw = fl[lpn - group] & SL_HW;

	s = sh.slot_of[lpn];
	if (s && sh.slot[s].frame == frame) {
		/* Mapped already: a write to a clean or watched page. */
		struct sh_slot *e = &sh.slot[s];

		e->flags = (uint8_t)((e->flags & ~SL_GW) |
				     (fl[lpn - group] & SL_GW));
		sh_set_writable(s, hw);
		sh_slot_touch(s);
		return e->flags;
	}

	while (lo > group && neighbour(cpu, lo - 1, frame - (lpn - lo) - 1, acc,
				       hw, &fl[lo - 1 - group]))
		lo--;
	while (hi < group + SH_CLUSTER - 1 &&
	       neighbour(cpu, hi + 1, frame + (hi + 1 - lpn), acc, hw,
			 &fl[hi + 1 - group]))
		hi++;
	if (!sh_host_map(lo, hi - lo + 1, frame - (lpn - lo), hw))
		return -1;
	for (uint32_t p = lo; p <= hi; p++)
		sh_slot_add(p, frame - lpn + p, fl[p - group]);
	sh.fills += hi - lo + 1;
	return fl[lpn - group];
}

/* The view host address a lies in, or -1 (a guard, beyond the views). */
static int view_of(uint64_t a)
{
	uint64_t off, r;
	unsigned s;

	if (a < (1ull << 32))
		return SHADOW_DIRECT_VIEW;
	if (a < SHADOW_SPACE_BASE || a >= SHADOW_RESERVED)
		return -1;
	off = a - SHADOW_SPACE_BASE;
	s = (unsigned)(off / SHADOW_SPACE_STRIDE);
	r = off % SHADOW_SPACE_STRIDE;
	if (r < (1ull << 32))
		return (int)shadow_kernel_view(s);
	if (r >= SHADOW_USER_OFFSET && r - SHADOW_USER_OFFSET < (1ull << 32))
		return (int)shadow_user_view(s);
	return -1;
}

/*
 * Is region j one guest code can use right now (the current space's
 * views, the direct view while it follows CR3)? A page-table write then
 * maps its new entries at once (sh_refill) instead of waiting for the
 * fault.
 */
bool sh_region_live(uint32_t j)
{
	unsigned view = sh_region_view(j);

	if (!sh.paging || unsupported_mode() || !sh.region_count[j])
		return false;
	if (view == SHADOW_DIRECT_VIEW)
		return sh.direct && !sh.user_stale;
	return sh_view_space(view) == sh.cur;
}

/*
 * A PTE write maps no user page eagerly in the kernel view of a space on
 * the user TLB (sh_refill): user code's retry after its page fault does
 * not use the view, and the kernel's next access fills it if it needs it.
 * (Emulating the kernel's accesses to user pages there, so that none is
 * ever mapped, made Linux fork+exec 25% faster but guests whose kernel
 * keeps its own data on user pages, the bench guests, 2-30x slower:
 * docs/user-code-engine.md.)
 */
static bool kernel_view_skips(unsigned view, const struct mmu_walk_result *w)
{
	return sh.paging && !sh_view_user(view) && view != SHADOW_DIRECT_VIEW &&
	       w->user && sh.space_policy[sh.cur].user_tlb;
}

/*
 * Entry i of live region j's page table was written. A page mapped
 * through it is remapped as the entry says now, as a fault would, if the
 * walk is free of side effects (present for the view, Accessed already
 * set in both entries); else it is dropped. One host call instead of a
 * drop, a host fault and a fill (bench ptedit: a remap; Linux's fork
 * write-protecting the parent's pages). A page not mapped stays so
 * unless it is the one the guest's last page fault was for (CR2: its
 * handler is mapping it, and the retry comes next; bench pagefault): a
 * Linux fault maps up to 16 entries one write at a time (fault-around),
 * one host call each here, where the first touch maps them all with one
 * (the cluster); Linux fork+exec took 2x longer mapping them all eagerly.
 */
void sh_refill(uint32_t j, uint32_t i)
{
	struct vcpu *cpu = &sh.m->cpu;
	unsigned view = sh_region_view(j);
	unsigned acc = sh_view_user(view) ? MMU_ACC_USER : 0;
	uint32_t lpn = j * SH_REGION_PAGES + i, err;
	struct mmu_walk_result w;

	if (lpn < sh.min_lpn ||
	    (!sh.slot_of[lpn] && sh_page_lin(lpn) >> 12 != cpu->cr2 >> 12))
		return;
	if (mmu_walk(cpu, sh_page_lin(lpn), acc | MMU_ACC_NOSET, &w, &err) <
		    0 ||
	    w.large || !(w.pte & X86_PTE_A) || !(w.pde & X86_PTE_A) ||
	    !frame_mappable(w.paddr >> 12) || kernel_view_skips(view, &w) ||
	    fill(cpu, lpn, &w, acc) < 0) {
		sh_drop_page(lpn);
		return;
	}
	STAT_INC(shadow_eager_fills);
}

static enum shadow_result fault(struct vcpu *cpu, uint64_t host_addr,
				unsigned acc, uint32_t *pf_error)
{
	struct mmu_walk_result w;
	int view = view_of(host_addr);
	bool user = view >= 0 && sh_view_user((unsigned)view);

	uint32_t lin = (uint32_t)host_addr, frame;
	uint32_t lpn = (uint32_t)view * SH_VIEW_PAGES + (lin >> 12);
	unsigned wacc = (acc & (SHADOW_ACC_WRITE | SHADOW_ACC_FETCH)) |
			(user ? MMU_ACC_USER : 0);
	int fl;

	if (view == SHADOW_DIRECT_VIEW)
		sync_direct_view(cpu);
	else
		sync_mode(cpu);
	/* Only the views in use now: a fault in another space's view comes
	 * from a GS base not yet switched (the interpreter does it). */
	if (view < 0 || (view == SHADOW_DIRECT_VIEW && !sh.direct) ||
	    (view != SHADOW_DIRECT_VIEW &&
	     sh_view_space((unsigned)view) != sh.cur) ||
	    lpn < sh.min_lpn || unsupported_mode())
		goto emulate;
	if (mmu_walk(cpu, lin, wacc, &w, pf_error) < 0) {
		STAT_INC(shadow_guest_pf);
		return SHADOW_GUEST_PF;
	}
	frame = w.paddr >> 12;
	if (!frame_mappable(frame))
		goto emulate;
	fl = fill(cpu, lpn, &w, wacc);
	if (fl < 0)
		goto emulate;
	/* Writes to watched frames are counted when they are reported
	 * (mmu_frame_written: trace_hits; the translator's hook:
	 * code_frame_writes), which also sees the interpreter's. */
	if ((acc & SHADOW_ACC_WRITE) && !(fl & SL_HW))
		goto emulate;
	STAT_INC(shadow_fills);
	if (user) {
		STAT_INC(shadow_fills_user);
		sh.space_policy[sh.cur].map_costs++;
	}
	return SHADOW_FILLED;
emulate:
	STAT_INC(shadow_emulated);
	return SHADOW_EMULATE;
}

enum shadow_result shadow_fault(struct vcpu *cpu, uint64_t host_addr,
				unsigned acc, uint32_t *pf_error)
{
	int saved = errno;
	enum shadow_result r;

	if (!sh.slot)
		return SHADOW_EMULATE;
	r = fault(cpu, host_addr, acc, pf_error);
	sh_settle();
	errno = saved;
	return r;
}

/* ---- guest MMU events --------------------------------------------------- */

void shadow_cr3_written(struct vcpu *cpu, uint32_t old_cr3)
{
	int saved = errno;
	bool reload;

	(void)old_cr3;
	STAT_INC(shadow_cr3_writes);
	if (!sh.slot)
		return;
	reload = cpu->cr3 >> 12 == sh.space_pd[sh.cur];
	sync_mode(cpu); /* a new directory is switched to here */
	/* A reload of the same CR3 (a TLB flush) re-checks every PDE:
	 * cheap, and it catches directory changes nobody reported. The
	 * direct view is re-checked when user code runs next. */
	if (reload && sh.paging && !unsupported_mode()) {
		switch_pd(shadow_kernel_view(sh.cur), cpu->cr3 >> 12);
		switch_pd(shadow_user_view(sh.cur), cpu->cr3 >> 12);
	}
	if (sh.paging && sh.direct)
		sh.user_stale = true;
	sh_settle();
	errno = saved;
}

/*
 * Nothing to drop: every change to an entry a mapping was built from
 * dropped or remapped it when it was written (the traces), so the shadow
 * holds no translation a fresh walk would not give, which is all INVLPG
 * promises. Dropping here cost a host call and a refault per edit (bench
 * ptedit).
 */
void shadow_invlpg(struct vcpu *cpu, uint32_t lin)
{
	int saved = errno;

	(void)lin;
	if (!sh.slot)
		return;
	sync_mode(cpu);
	sh_settle();
	errno = saved;
}

void shadow_paging_changed(struct vcpu *cpu)
{
	int saved = errno;

	if (!sh.slot)
		return;
	sync_mode(cpu);
	sh_settle();
	errno = saved;
}

void shadow_flush_all(struct vcpu *cpu)
{
	int saved = errno;

	if (!sh.slot)
		return;
	sh_flush();
	sh.paging = cpu->cr0 & X86_CR0_PG;
	sh.pse = cpu->cr4 & X86_CR4_PSE;
	sh.pae = cpu->cr4 & X86_CR4_PAE;
	reset_spaces(cpu->cr3 >> 12);
	errno = saved;
}

/* ---- set-up --------------------------------------------------------------- */

static unsigned long read_sysctl(const char *path, unsigned long dflt)
{
	unsigned long v = dflt;
	FILE *f = fopen(path, "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = dflt;
		fclose(f);
	}
	return v;
}

static void free_state(void)
{
	free(sh.slot);
	free(sh.rmap);
	free(sh.pt_head);
	free(sh.wcount);
	free(sh.wepoch);
	free(mmu_frame_flags);
	if (sh.slot_of)
		munmap(sh.slot_of, SH_PAGES * sizeof(*sh.slot_of));
	if (sh.ghost_of)
		munmap(sh.ghost_of, SH_PAGES * sizeof(*sh.ghost_of));
	mmu_frame_flags = NULL;
	memset(&sh, 0, sizeof(sh));
}

static bool above_views(const void *p)
{
	return (uintptr_t)p >= SHADOW_RESERVED;
}

int shadow_init(struct machine *m, bool direct)
{
	uint32_t nframes = m->mem.size >> 12, nslots;
	unsigned long min_addr, max_maps;
	void *p;

	if (sh.slot)
		shadow_destroy(sh.m);
	memset(&sh, 0, sizeof(sh));
	min_addr = read_sysctl("/proc/sys/vm/mmap_min_addr", 65536);
	max_maps = read_sysctl("/proc/sys/vm/max_map_count", 65530);

	/* Aliases (Linux maps RAM twice) want about two slots a frame. */
	nslots = 2 * nframes;
	if (nslots < 65536)
		nslots = 65536;
	if (nslots > 262144)
		nslots = 262144;
	nslots++; /* slot 0 means "none" */

	sh.slot = calloc(nslots, sizeof(*sh.slot));
	sh.rmap = calloc(nframes, sizeof(*sh.rmap));
	sh.pt_head = calloc(nframes, sizeof(*sh.pt_head));
	sh.wcount = calloc(nframes, sizeof(*sh.wcount));
	sh.wepoch = calloc(nframes, 1);
	mmu_frame_flags = calloc(nframes, 1);
	/* 4 MiB of index a view; only the parts guest code touches get
	 * memory. */
	p = mmap(NULL, SH_PAGES * sizeof(*sh.slot_of), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	sh.slot_of = p == MAP_FAILED ? NULL : p;
	p = mmap(NULL, SH_PAGES * sizeof(*sh.ghost_of), PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	sh.ghost_of = p == MAP_FAILED ? NULL : p;
	if (!sh.slot || !sh.rmap || !sh.pt_head || !sh.wcount || !sh.wepoch ||
	    !mmu_frame_flags || !sh.slot_of || !sh.ghost_of) {
		free_state();
		errno = ENOMEM;
		return -1;
	}
	/* A flush rewrites both views: nothing of ours may live there. */
	if (!above_views(sh.slot) || !above_views(sh.rmap) ||
	    !above_views(sh.slot_of) || !above_views(sh.ghost_of) ||
	    !above_views(mmu_frame_flags) || !above_views(sh.pt_head) ||
	    !above_views(sh.wcount) || !above_views(sh.wepoch)) {
		free_state();
		errno = EADDRINUSE;
		return -1;
	}

	sh.m = m;
	sh.fd = m->mem.fd;
	sh.nframes = nframes;
	sh.min_lpn = (uint32_t)((min_addr + 4095) >> 12);
	if (sh.min_lpn == 0)
		sh.min_lpn = 1; /* page 0 stays a trap for host NULL pointers */
	sh.nslots = nslots;
	for (uint32_t s = nslots - 1; s >= 1; s--) {
		sh.slot[s].onext = sh.free_head;
		sh.free_head = s;
	}
	sh.nfree = nslots - 1;
	sh.max_pages = nslots - 1;
	sh.vma_ceiling = max_maps > 8192 ? (uint32_t)max_maps - 4096
					 : (uint32_t)max_maps / 2;
	/* All the host allows but a reserve for the rest of the monitor: a
	 * guest that walks a list spread over scattered frames (xv6's
	 * usertests free() over ~23 K heap pages, two VMAs each) thrashed
	 * at half of it. */
	sh.max_vmas = sh.vma_ceiling;
	sh.paging = m->cpu.cr0 & X86_CR0_PG;
	sh.pse = m->cpu.cr4 & X86_CR4_PSE;
	sh.pae = m->cpu.cr4 & X86_CR4_PAE;
	sh.direct = direct;
	reset_spaces(m->cpu.cr3 >> 12);
	return 0;
}

void shadow_destroy(struct machine *m)
{
	(void)m;
	if (!sh.slot)
		return;
	if (sh.mapped)
		sh_host_reserve_all();
	free_state();
}

/* ---- invariants (tests) --------------------------------------------------- */

#define CHECK(cond, ...)                                      \
	do {                                                  \
		if (!(cond)) {                                \
			if (bad++ < 10) {                     \
				fprintf(stderr, "shadow: ");  \
				fprintf(stderr, __VA_ARGS__); \
				fputc('\n', stderr);          \
			}                                     \
		}                                             \
	} while (0)

/* A page of an orphan against the PDE its region records. */
static int check_orphan_page(const struct sh_slot *e, uint32_t j, bool user)
{
	uint32_t pde = sh.region_pde[j], lin = sh_page_lin(e->lpn);
	uint32_t pte, frame;
	int bad = 0;

	CHECK(sh.paging && (pde & X86_PTE_P), "orphan page %#x, PDE %#x", lin,
	      pde);
	if ((pde & X86_PTE_PS) && sh.pse) {
		CHECK(!sh.region_pt[j], "orphan 4 MiB region %#x on a chain",
		      j);
		pte = pde;
		frame = (pde >> 22 << 10) + (lin >> 12 & 1023);
	} else {
		CHECK(sh.region_pt[j] == (pde >> 12) + 1 &&
			      (mmu_frame_flags[pde >> 12] & FRAME_PT),
		      "orphan region %#x not on its traced table %#x", j,
		      pde >> 12);
		pte = phys_read32((pde & X86_PTE_ADDR) | ((lin >> 10) & 0xffc));
		frame = pte >> 12;
		if (user)
			CHECK(pte & X86_PTE_U,
			      "supervisor page %#x in an orphan user view",
			      lin);
	}
	CHECK((pte & X86_PTE_P) && e->frame == frame,
	      "orphan page %#x maps frame %#x, its entry %#x", lin, e->frame,
	      pte);
	if (user)
		CHECK((e->flags & SL_USER) && (pde & X86_PTE_U),
		      "supervisor page %#x in an orphan user view", lin);
	return bad;
}

/* One mapped page against the guest tables, with cpu->cr3 set to the
 * directory of the page's view. */
static int check_page(struct vcpu *cpu, const struct sh_slot *e, uint32_t s)
{
	struct mmu_walk_result w;
	uint32_t err, j = e->lpn / SH_REGION_PAGES;
	uint32_t lin = sh_page_lin(e->lpn);
	unsigned view = sh_page_view(e->lpn);
	bool user = sh_view_user(view);
	int bad = 0;

	CHECK(sh.slot_of[e->lpn] == s, "slot_of[%#x] != %u", e->lpn, s);
	if (sh_view_pd(view) == SH_NO_PD)
		return bad + check_orphan_page(e, j, user);
	if (user)
		CHECK(mmu_walk(cpu, lin, MMU_ACC_NOSET | MMU_ACC_USER, &w,
			       &err) == 0,
		      "page %#x mapped in a user view, user faults", lin);
	if (mmu_walk(cpu, lin, MMU_ACC_NOSET, &w, &err) < 0) {
		CHECK(0, "page %#x (view %u) mapped, not present", lin, view);
		return bad;
	}
	CHECK(w.paddr >> 12 == e->frame,
	      "page %#x maps frame %#x, guest says %#x", lin, e->frame,
	      w.paddr >> 12);
	if (e->flags & SL_HW) {
		CHECK(!(mmu_frame_flags[e->frame] & FRAME_WATCHED),
		      "page %#x writable, frame %#x watched", lin, e->frame);
		CHECK(page_flags(&w, e->frame) & SL_HW,
		      "page %#x writable, guest entry is not writable+dirty",
		      lin);
	}
	if (user)
		CHECK(e->flags & SL_USER,
		      "supervisor page %#x mapped in a user view", lin);
	if (sh.paging) {
		CHECK(pde_key(w.pde) == pde_key(sh.region_pde[j]) &&
			      sh_region_pde_index(j) == lin >> 22,
		      "region %#x: PDE %#x, filled from %#x", j, w.pde,
		      sh.region_pde[j]);
		CHECK(mmu_frame_flags[sh_view_pd(view)] & FRAME_PT,
		      "directory %#x not traced", sh_view_pd(view));
		if (!w.large) {
			CHECK(mmu_frame_flags[w.pde >> 12] & FRAME_PT,
			      "table %#x not traced", w.pde >> 12);
			CHECK(sh.region_pt[j] == (w.pde >> 12) + 1,
			      "region %#x not on table %#x's chain", j,
			      w.pde >> 12);
		}
	}
	return bad;
}

int shadow_check(struct vcpu *cpu)
{
	uint32_t count = 0, runs = 0, prev_s = 0, ghosts = 0;
	static uint32_t region_count[SH_REGIONS];
	uint32_t cr3 = cpu->cr3;
	int bad = 0;

	if (!sh.slot)
		return 0;
	memset(region_count, 0, sizeof(region_count));
	for (uint32_t s = sh.old_head; s; s = sh.slot[s].onext) {
		const struct sh_slot *e = &sh.slot[s];

		count++;
		region_count[e->lpn / SH_REGION_PAGES]++;
		/* Each view against its own directory (the direct view's
		 * may be an earlier CR3, not synced yet). */
		if (sh.paging)
			cpu->cr3 = (sh_view_pd(sh_page_view(e->lpn)) << 12) |
				   (cr3 & 0xfff);
		bad += check_page(cpu, e, s);
		cpu->cr3 = cr3;
	}
	CHECK(count == sh.mapped, "%u slots listed, %u mapped", count,
	      sh.mapped);
	for (uint32_t j = 0; j < SH_REGIONS; j++)
		CHECK(region_count[j] == sh.region_count[j],
		      "region %#x counts %u pages, has %u", j,
		      sh.region_count[j], region_count[j]);
	memset(region_count, 0, sizeof(region_count));
	for (uint32_t p = 0; p < SH_PAGES; p++) {
		uint32_t s = sh.slot_of[p], g = sh.ghost_of[p];

		/* A ghost is an unmapped page's frame, still mapped. */
		if (g) {
			CHECK(!s, "lpn %#x is mapped and a ghost", p);
			CHECK(g - 1 < sh.nframes, "lpn %#x: ghost frame %#x", p,
			      g - 1);
			region_count[p / SH_REGION_PAGES]++;
			ghosts++;
		}
		if (p % SH_VIEW_PAGES == 0)
			prev_s = 0; /* the views are 8 GiB apart */
		if (s &&
		    !(prev_s && sh.slot[s].frame == sh.slot[prev_s].frame + 1 &&
		      !((sh.slot[s].flags ^ sh.slot[prev_s].flags) & SL_HW)))
			runs++;
		prev_s = s;
	}
	CHECK(runs == sh.runs, "runs %u, counted %u", sh.runs, runs);
	CHECK(ghosts == sh.ghost_count && ghosts <= SH_GHOSTS,
	      "%u ghosts counted, %u recorded", ghosts, sh.ghost_count);
	for (uint32_t j = 0; j < SH_REGIONS; j++)
		CHECK(region_count[j] == sh.region_ghosts[j],
		      "region %#x has %u ghosts, counts %u", j, region_count[j],
		      sh.region_ghosts[j]);
	return bad;
}
