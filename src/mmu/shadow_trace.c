/*
 * shadow_trace.c - traces: keeping the shadow coherent with guest page
 * tables, and protecting frames of translated code.
 *
 * A frame a fill used as page directory or page table gets FRAME_PT and
 * loses write permission in every shadow mapping of it (the reverse map
 * lists them: Linux reaches its page tables through the 0xC0000000+
 * alias). The guest's writes to it then fault, are emulated through
 * physmap and come back here through mmu_frame_written(), which drops the
 * mappings built from the entries written:
 *  - entry j of a view's directory: region j of that view (the direct
 *    view's directory may be an earlier CR3 until user code runs); a
 *    cached space that is not the current one loses its directory
 *    instead and becomes an orphan (sh_orphan_space: a dead process's
 *    directory reused, as data or as the next process's directory);
 *  - entry i of a page table: page (j << 10) | i for every region j whose
 *    PDE points to that table (the back-map: pt_head[frame] heads a chain
 *    of regions, usually one; a table shared by several PDEs, or a
 *    directory used as its own table, has more).
 *
 * Adaptivity: FRAME_PT is only worth its cost while mappings depend on
 * the frame. A write to a traced frame nothing depends on (a page table
 * of a process that is not running, a freed table reused as data)
 * untraces it at once. A page table written more than SH_HOT_WRITES +
 * (pages mapped through it) / 2 times within one epoch (2^SH_EPOCH_SHIFT
 * pages filled) is "hot" (fork, munmap, a page-fault storm rewriting one
 * table): it is untraced too, dropping what depends on it, so the burst
 * runs at native speed. The allowance grows with what untracing throws
 * away, since a trapped write and a refill cost about the same (a host
 * signal plus a host call). Either way the next fill through the frame
 * traces it again. The current directory is never untraced for being hot:
 * that would drop everything, and PDE writes are rare and cheap to
 * follow (a write to an empty region's entry makes no host call).
 *
 * Runs in signal context: no allocation, no locks, no stdio.
 */
#include <errno.h>

#include "monitor/machine.h"
#include "monitor/opcost.h"
#include "monitor/stats.h"
#include "mmu/shadow_priv.h"

#define SH_HOT_WRITES 32
#define SH_REFILL_MAX 4	  /* entries a write may remap at once */
#define SH_EPOCH_SHIFT 10 /* an epoch is 1024 filled pages */

void sh_region_link(uint32_t j, uint32_t pt_frame)
{
	uint16_t head = sh.pt_head[pt_frame];

	sh.region_pt[j] = pt_frame + 1;
	sh.region_prev[j] = 0;
	sh.region_next[j] = head;
	if (head)
		sh.region_prev[head - 1] = (uint16_t)(j + 1);
	sh.pt_head[pt_frame] = (uint16_t)(j + 1);
}

void sh_region_unlink(uint32_t j)
{
	uint32_t pt;

	if (!sh.region_pt[j])
		return;
	pt = sh.region_pt[j] - 1;
	if (sh.region_prev[j])
		sh.region_next[sh.region_prev[j] - 1] = sh.region_next[j];
	else
		sh.pt_head[pt] = sh.region_next[j];
	if (sh.region_next[j])
		sh.region_prev[sh.region_next[j] - 1] = sh.region_prev[j];
	sh.region_pt[j] = 0;
}

/* Take write permission away from every mapping of the frame. */
void sh_frame_wp(uint32_t frame)
{
	for (uint32_t s = sh.rmap[frame]; s; s = sh.slot[s].rnext)
		if (sh.slot[s].flags & SL_HW)
			sh_set_writable(s, false);
}

/* Give it back where the guest allows writes, unless still watched. */
void sh_frame_unwp(uint32_t frame)
{
	if (mmu_frame_flags[frame] & FRAME_WATCHED)
		return;
	for (uint32_t s = sh.rmap[frame]; s; s = sh.slot[s].rnext)
		if ((sh.slot[s].flags & (SL_GW | SL_HW)) == SL_GW)
			sh_set_writable(s, true);
}

void sh_trace(uint32_t frame)
{
	if (frame >= sh.nframes || (mmu_frame_flags[frame] & FRAME_PT))
		return;
	mmu_frame_flags[frame] |= FRAME_PT;
	sh.wcount[frame] = 0;
	STAT_INC(traces);
	sh_frame_wp(frame);
	if (sh.watch_hook)
		sh.watch_hook(frame);
}

/* Is the frame the directory of a view in use (the direct view's may lag
 * CR3)? */
static bool is_view_pd(uint32_t frame, unsigned view)
{
	return sh.paging && frame == sh_view_pd(view) && sh.mapped;
}

/* The current space's directory or the direct view's. */
static bool is_current_pd(uint32_t frame)
{
	return is_view_pd(frame, SHADOW_DIRECT_VIEW) ||
	       is_view_pd(frame, shadow_kernel_view(sh.cur));
}

/* Cached spaces other than the current one whose directory the frame is
 * become orphans. */
static void orphan_other_spaces(uint32_t frame)
{
	for (unsigned s = 0; s < SH_SPACES; s++)
		if (s != sh.cur && sh.space_pd[s] == frame)
			sh_orphan_space(s);
}

/* Drop every mapping that depends on the frame's entries, untrace it. */
void sh_untrace(uint32_t frame)
{
	if (!(mmu_frame_flags[frame] & FRAME_PT))
		return;
	sh.info.untraces++;
	orphan_other_spaces(frame);
	if (is_current_pd(frame)) {
		/* Everything hangs off the directory; this untraces all. */
		sh_flush();
		return;
	}
	while (sh.pt_head[frame])
		sh_drop_region(sh.pt_head[frame] - 1u);
	/* The mappings of the frame stay read-only: a write that faults on
	 * one makes it writable (fill), one at a time. Giving them all back
	 * here cost a host call each, for frames Linux often traces again
	 * soon (a table written in bursts) or writes only through callouts
	 * (an instruction adapted to a traced frame): about half of the host
	 * calls of bench/linux fork+exec. */
	mmu_frame_flags[frame] &= (uint8_t)~FRAME_PT;
}

/* Count a write to a page table; is it now written too often? */
static bool hot(uint32_t frame)
{
	uint8_t epoch = (uint8_t)(sh.fills >> SH_EPOCH_SHIFT);
	uint32_t pages = 0;

	if (sh.wepoch[frame] != epoch) {
		sh.wepoch[frame] = epoch;
		sh.wcount[frame] = 0;
	}
	if (sh.wcount[frame] < UINT16_MAX)
		sh.wcount[frame]++;
	if (sh.wcount[frame] <= SH_HOT_WRITES)
		return false;
	for (uint32_t r = sh.pt_head[frame]; r; r = sh.region_next[r - 1])
		pages += sh.region_count[r - 1];
	return sh.wcount[frame] > SH_HOT_WRITES + pages / 2;
}

/* Bytes [lo, hi) of a traced frame changed. */
static void pt_written(uint32_t frame, uint32_t lo, uint32_t hi)
{
	uint32_t i0 = lo / 4, n = (hi - 1) / 4 - i0 + 1;
	bool pd;

	orphan_other_spaces(frame);
	if (sh.direct && frame == sh.direct_pd && frame != sh.space_pd[sh.cur])
		sh_forget_direct();
	pd = is_current_pd(frame);
	if (!pd && (!sh.pt_head[frame] || hot(frame))) {
		sh_untrace(frame);
		return;
	}
	for (unsigned v = 0; pd && v < SH_VIEWS; v++)
		if (is_view_pd(frame, v))
			for (uint32_t j = i0; j < i0 + n; j++)
				sh_drop_region(v * SH_PDES + j);
	/* Fetch `next` first: dropping a region's last page unlinks it.
	 * Regions in use now get the new entries mapped at once (a few
	 * entries: a bulk write, a table cleared, drops with one call). */
	for (uint32_t r = sh.pt_head[frame], next; r; r = next) {
		next = sh.region_next[r - 1];
		if (n <= SH_REFILL_MAX && sh_region_live(r - 1)) {
			for (uint32_t i = i0; i < i0 + n; i++)
				sh_refill(r - 1, i);
		} else {
			sh_drop_range((r - 1) * SH_REGION_PAGES + i0, n);
		}
	}
}

void mmu_frame_written(struct machine *m, uint32_t paddr, uint32_t len)
{
	uint64_t a = paddr, end = (uint64_t)paddr + len;
	uint64_t cost = opcost_begin();
	bool page_table = false;
	int saved = errno;

	if (!sh.slot)
		return;
	for (; a < end; a = (a | 0xfff) + 1) {
		uint32_t frame = (uint32_t)(a >> 12), lo = a & 0xfff;
		uint32_t hi =
			end - ((uint64_t)frame << 12) < 4096
				? (uint32_t)(end - ((uint64_t)frame << 12))
				: 4096;
		uint8_t flags;

		if (frame >= sh.nframes)
			break;
		flags = mmu_frame_flags[frame];
		if (flags & FRAME_PT) {
			STAT_INC(trace_hits);
			pt_written(frame, lo, hi);
			page_table = true;
		}
		if ((flags & FRAME_CODE) && sh.code_hook)
			sh.code_hook(m, (frame << 12) | lo, hi - lo);
	}
	sh_settle();
	if (page_table)
		opcost_end(OPCOST_PTE_WRITE, cost);
	errno = saved;
}

void shadow_protect_code(struct machine *m, uint32_t frame)
{
	int saved = errno;

	(void)m;
	if (!sh.slot || frame >= sh.nframes ||
	    (mmu_frame_flags[frame] & FRAME_CODE))
		return;
	mmu_frame_flags[frame] |= FRAME_CODE;
	sh_frame_wp(frame);
	if (sh.watch_hook)
		sh.watch_hook(frame);
	sh_settle();
	errno = saved;
}

void shadow_unprotect_code(struct machine *m, uint32_t frame)
{
	int saved = errno;

	(void)m;
	if (!sh.slot || frame >= sh.nframes ||
	    !(mmu_frame_flags[frame] & FRAME_CODE))
		return;
	mmu_frame_flags[frame] &= (uint8_t)~FRAME_CODE;
	sh_frame_unwp(frame);
	sh_settle();
	errno = saved;
}

void shadow_set_code_write_hook(void (*hook)(struct machine *m, uint32_t paddr,
					     uint32_t len))
{
	sh.code_hook = hook;
}

void shadow_set_watch_hook(void (*hook)(uint32_t frame))
{
	sh.watch_hook = hook;
}
