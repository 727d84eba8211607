/*
 * cache.c - the code cache and what it knows about its blocks.
 *
 * Host code lives in one RWX region above 4 GiB (rel32 jumps reach all of
 * it); the trampolines sit at its start, blocks follow in allocation
 * order, so the block holding a host address is found by binary search
 * (signal-safe: no locks, no allocation). Metadata (blocks, exits, maps,
 * callout descriptors) comes from a bump arena. When either runs out, the
 * whole cache is flushed (counted); nothing is freed piecemeal.
 *
 * Invariants:
 *  - a live block is on its code page's list and in the lookup hash (which
 *    skips detached pages), may be chained and (if an indirect target) in
 *    an IBL table; a dead block is in none of them and no chained jump
 *    points at it;
 *  - only blocks of its own page enter a block at its body; everything
 *    else (chains from other pages, IBL tables, the loop) enters at its
 *    guard, which sends it back to the loop while the page is detached.
 *    So detaching a page is a store (Linux's fork+exec detached and
 *    reattached a hundred pages per fork+exec, and unhooking their blocks
 *    was 10% of its time); a block entered through its guard while
 *    detached is unhooked then, alone;
 *  - every frame with a live block is FRAME_CODE-protected in the shadow;
 *  - blocks never span a page, so one code page owns each block.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <xxhash.h>

#include "bt/bt_priv.h"
#include "bt/emit.h"
#include "mmu/shadow.h"
#include "mmu/walk.h"
#include "monitor/machine.h"
#include "monitor/stats.h"

#define HASH_BITS 16
#define PAGE_HASH_BITS 12
#define META_SIZE (48u << 20)

static uint8_t *cache_base, *cache_top, *cache_end, *blocks_start;
static uint8_t *meta_base, *meta_top, *meta_end;
static struct tc_block *hash[1u << HASH_BITS];
static struct tc_page *pages[1u << PAGE_HASH_BITS];	  /* by lin */
static struct tc_page *frame_pages[1u << PAGE_HASH_BITS]; /* by frame */
/* Attached pages: [0] checked at every CR3 write, [1] found global;
 * and by 4 MiB region (INVLPG). */
static struct tc_page *live_pages[2];
static struct tc_page *region_pages[1024];
static struct tc_block **order; /* blocks by host address */
static size_t nr_order, max_order;
static struct machine *machine_of_cache;

struct bt_ibl_entry *bt_ibl_empty;
/* Slots filled since a table was last cleared, remembered up to this
 * many: clearing those is cheaper than the whole 1 MiB. */
#define IBL_FILLED_MAX 1024u

static struct {
	struct bt_ibl_entry *table; /* NULL until first selected */
	uint32_t key;
	bool stale; /* filled before the last flush: cleared when reused */
	uint64_t last_use;
	uint32_t n_filled; /* > IBL_FILLED_MAX: clear it all */
} ibl[BT_IBL_TABLES];
/* Apart from the headers, which detaching a page reads for every block
 * (4 KiB apart, they shared one L1 set: a fifth of unhook_block). */
static uint32_t ibl_filled[BT_IBL_TABLES][IBL_FILLED_MAX];
static uint64_t ibl_clock, ibl_flushes;
uint64_t bt_generation;

static unsigned hash_of(uint32_t eip, uint32_t key)
{
	return (unsigned)((eip * 0x9e3779b1u) ^ (key * 0x85ebca6bu)) >>
	       (32 - HASH_BITS);
}

static unsigned page_hash(uint32_t lin)
{
	return (lin * 0x9e3779b1u) >> (32 - PAGE_HASH_BITS);
}

int bt_cache_init(uint32_t size)
{
	uint8_t *tramp_end;

	if (!size)
		size = BT_CACHE_DEFAULT;
	cache_base = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	meta_base = mmap(NULL, META_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	bt_ibl_empty = calloc(BT_IBL_SIZE, sizeof(*bt_ibl_empty));
	for (unsigned t = 0; t < BT_IBL_TABLES; t++) {
		free(ibl[t].table);
		ibl[t].table = NULL;
		ibl[t].last_use = 0;
	}
	max_order = size / 32;
	order = calloc(max_order, sizeof(*order));
	if (cache_base == MAP_FAILED || meta_base == MAP_FAILED ||
	    !bt_ibl_empty || !order)
		return -1;
	cache_end = cache_base + size;
	meta_end = meta_base + META_SIZE;
	meta_top = meta_base;
	bt_tramps_init(cache_base, &tramp_end);
	blocks_start = (uint8_t *)(((uintptr_t)tramp_end + 63) & ~63ul);
	cache_top = blocks_start;
	for (unsigned i = 0; i < BT_IBL_SIZE; i++)
		bt_ibl_empty[i].host = bt_tramps.ibl_miss;
	return 0;
}

void bt_cache_space(uint8_t **start, uint8_t **end)
{
	*start = cache_top;
	*end = cache_end;
}

/*
 * Every block starts on a 64-byte line. With 16-byte starts, where a hot
 * loop fell within its lines changed with whatever was translated before
 * it: the `compute` benchmark's loop took 455-805 M cycles instead of
 * 315-430 M after a change elsewhere moved it by 48 bytes (AMD EPYC;
 * callret 1,088-1,342 M against 696-1,013 M). Padding costs 32 bytes a
 * block on average.
 */
void bt_cache_commit(uint8_t *top)
{
	cache_top = (uint8_t *)(((uintptr_t)top + 63) & ~63ul);
}

bool bt_cache_contains(const void *host)
{
	return (const uint8_t *)host >= cache_base &&
	       (const uint8_t *)host < cache_end;
}

void *bt_meta_alloc(size_t size)
{
	uint8_t *p = meta_top;

	size = (size + 15) & ~(size_t)15;
	if ((size_t)(meta_end - meta_top) < size)
		return NULL;
	meta_top += size;
	memset(p, 0, size);
	return p;
}

/* Blocks of detached pages stay in the hash (detaching and reattaching
 * then touch no bucket) but are never found. */
struct tc_block *bt_lookup(uint32_t eip, uint32_t key)
{
	for (struct tc_block *b = hash[hash_of(eip, key)]; b; b = b->hash_next)
		if (b->eip == eip && b->key == key &&
		    !(b->page && b->page->detached))
			return b;
	return NULL;
}

struct tc_block *bt_lookup_containing(uint32_t eip, uint32_t key)
{
	struct tc_page *p;

	for (p = pages[page_hash(eip >> 12)]; p; p = p->hash_next)
		if (p->lin == eip >> 12 && !p->detached)
			break;
	if (!p)
		return NULL;
	for (struct tc_block *b = p->blocks; b; b = b->page_next)
		if (b->key == key && eip >= b->eip &&
		    eip < b->eip + b->guest_len)
			return b;
	return NULL;
}

static bool frame_has_blocks(uint32_t frame);

static void detach_page(struct tc_page *p);
static void reattach_page(struct tc_page *p);

#define LIVE offsetof(struct tc_page, live)
#define REGION offsetof(struct tc_page, region)

static struct tc_link *link_of(struct tc_page *p, size_t link)
{
	return (struct tc_link *)((char *)p + link);
}

static void list_push(struct tc_page **head, struct tc_page *p, size_t link)
{
	struct tc_link *l = link_of(p, link);

	l->prev = NULL;
	l->next = *head;
	if (*head)
		link_of(*head, link)->prev = p;
	*head = p;
}

static void list_unlink(struct tc_page **head, struct tc_page *p, size_t link)
{
	struct tc_link *l = link_of(p, link);

	if (l->prev)
		link_of(l->prev, link)->next = l->next;
	else
		*head = l->next;
	if (l->next)
		link_of(l->next, link)->prev = l->prev;
	l->next = l->prev = NULL;
}

/* An attached page is on a live list and its region's list. */
static void live_add(struct tc_page *p)
{
	list_push(&live_pages[p->global], p, LIVE);
	list_push(&region_pages[p->lin >> 10], p, REGION);
}

static void live_remove(struct tc_page *p)
{
	list_unlink(&live_pages[p->global], p, LIVE);
	list_unlink(&region_pages[p->lin >> 10], p, REGION);
}

static void set_global(struct tc_page *p, bool global)
{
	if (p->global == global)
		return;
	list_unlink(&live_pages[p->global], p, LIVE);
	p->global = global;
	list_push(&live_pages[p->global], p, LIVE);
}

static void frame_add(struct tc_page *p)
{
	struct tc_page **head = &frame_pages[page_hash(p->frame)];

	p->frame_next = *head;
	*head = p;
}

static void frame_remove(struct tc_page *p)
{
	struct tc_page **pp = &frame_pages[page_hash(p->frame)];

	while (*pp && *pp != p)
		pp = &(*pp)->frame_next;
	if (*pp)
		*pp = p->frame_next;
}

/*
 * The code page (lin, frame), created if asked. Another page attached at
 * lin maps a frame the guest no longer maps there (it changed the entry
 * without invlpg, which hardware allows while the TLB holds it): it is
 * detached now that a translation saw the new frame.
 */
static struct tc_page *page_get(uint32_t lin, uint32_t frame, bool create)
{
	struct tc_page **head = &pages[page_hash(lin)], *p, *found = NULL;

	for (p = *head; p; p = p->hash_next) {
		if (p->lin != lin)
			continue;
		if (p->frame == frame)
			found = p;
		else if (create && !p->detached && p->blocks)
			detach_page(p);
	}
	if (found || !create)
		return found;
	p = bt_meta_alloc(sizeof(*p));
	if (!p)
		return NULL;
	p->lin = lin;
	p->frame = frame;
	p->hash_next = *head;
	*head = p;
	frame_add(p);
	live_add(p);
	return p;
}

static void hash_insert(struct tc_block *b)
{
	struct tc_block **head = &hash[hash_of(b->eip, b->key)];

	b->hash_next = *head;
	*head = b;
}

struct tc_page *bt_code_page(uint32_t lin, uint32_t frame)
{
	return page_get(lin, frame, true);
}

void bt_insert(struct tc_block *b)
{
	struct tc_page *p = page_get(b->eip >> 12, b->frame, true);

	hash_insert(b);
	if (p) {
		if (p->detached)
			reattach_page(p);
		b->page = p;
		b->page_next = p->blocks;
		p->blocks = b;
		if (BT_KEY_USER(b->key))
			p->user = true;
	}
	if (nr_order < max_order)
		order[nr_order++] = b;
	if (machine_of_cache)
		shadow_protect_code(machine_of_cache, b->frame);
}

struct tc_block *bt_block_at(const void *rip)
{
	size_t lo = 0, hi = nr_order;
	const uint8_t *r = rip;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (order[mid]->host <= r)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0)
		return NULL;
	{
		struct tc_block *b = order[lo - 1];

		/* Body or stubs: both belong to the block. */
		if (r < b->host + b->host_len)
			return b;
	}
	return NULL;
}

uint8_t *bt_chain_target(const struct tc_exit *x)
{
	return x->same_page ? x->linked->body : x->linked->host;
}

void bt_chain(struct tc_exit *x, struct tc_block *to)
{
	if (x->linked || to->dead || x->owner->dead)
		return;
	x->linked = to;
	x->same_page = to->page == x->owner->page;
	patch_rel32(x->site, bt_chain_target(x));
	if (x->same_page) {
		x->next_in = to->incoming_same;
		to->incoming_same = x;
	} else {
		x->next_in = to->incoming;
		to->incoming = x;
	}
	STAT_INC(bt_chains);
}

static void unlink_exit(struct tc_exit *x)
{
	struct tc_exit **pp;

	if (!x->linked)
		return;
	patch_rel32(x->site, x->stub);
	for (pp = x->same_page ? &x->linked->incoming_same
			       : &x->linked->incoming;
	     *pp; pp = &(*pp)->next_in)
		if (*pp == x) {
			*pp = x->next_in;
			break;
		}
	x->linked = NULL;
	x->next_in = NULL;
}

/* Signal-safe: only patches jumps back to their stubs. The incoming
 * lists are fixed up lazily (an exit whose site points at its stub but
 * is still listed as linked is re-chained by bt_chain's caller). */
void bt_unlink_block(struct tc_block *b)
{
	for (unsigned i = 0; i < b->n_exits; i++)
		if (b->exit[i].linked)
			patch_rel32(b->exit[i].site, b->exit[i].stub);
}

/*
 * Take a block out of everything that can reach it: the lookup hash,
 * chained jumps in and out, the indirect-branch tables. With
 * keep_page_links (its page is detached), chained jumps between blocks of
 * its own page stay: they cannot run before the page is attached again,
 * and reattaching does not have to chain them again. The block also
 * stays in the hash, where bt_lookup() skips blocks of detached pages.
 */
/* Block b's slot in indirect-branch table t, if t is for b's key. */
static struct bt_ibl_entry *ibl_slot(unsigned t, const struct tc_block *b)
{
	if (!ibl[t].table || ibl[t].stale || ibl[t].key != b->key)
		return NULL;
	return &ibl[t].table[b->eip & (BT_IBL_SIZE - 1)];
}

/* Point every exit on an incoming list back at its stub; empty it. */
static void unlink_incoming(struct tc_exit **list)
{
	while (*list) {
		struct tc_exit *x = *list;

		patch_rel32(x->site, x->stub);
		*list = x->next_in;
		x->linked = NULL;
		x->next_in = NULL;
	}
}

static void unhook_block(struct tc_block *b, bool keep_page_links)
{
	struct tc_block **pp;

	bt_generation++;
	if (!keep_page_links)
		for (pp = &hash[hash_of(b->eip, b->key)]; *pp;
		     pp = &(*pp)->hash_next)
			if (*pp == b) {
				*pp = b->hash_next;
				break;
			}
	for (unsigned i = 0; i < b->n_exits; i++)
		if (!keep_page_links || !b->exit[i].same_page)
			unlink_exit(&b->exit[i]);
	unlink_incoming(&b->incoming);
	if (!keep_page_links)
		unlink_incoming(&b->incoming_same);
	/* Only blocks ever entered through a table can be in one (a cache
	 * miss per table probed: a third of detaching's time otherwise). */
	for (unsigned t = 0; b->in_ibl && t < BT_IBL_TABLES; t++) {
		struct bt_ibl_entry *e = ibl_slot(t, b);

		if (e && e->host == b->host) {
			e->neg_eip = 0;
			e->host = bt_tramps.ibl_miss;
			b->ibl_was = keep_page_links;
		}
	}
	b->in_ibl = false;
}

void bt_invalidate_block(struct tc_block *b)
{
	struct tc_block **pp;

	if (b->dead)
		return;
	b->dead = true;
	STAT_INC(bt_invalidations);
	unhook_block(b, false);
	if (!b->page)
		return;
	for (pp = &b->page->blocks; *pp; pp = &(*pp)->page_next)
		if (*pp == b) {
			*pp = b->page_next;
			break;
		}
	/* An empty page leaves the lists CR3 writes walk. */
	if (!b->page->blocks && !b->page->detached)
		detach_page(b->page);
}

/* Put back the indirect-branch entry a detached block had (in its key's
 * table, if that table still exists and the slot is free). */
static void ibl_note_filled(unsigned t, uint32_t slot)
{
	if (ibl[t].n_filled < IBL_FILLED_MAX)
		ibl_filled[t][ibl[t].n_filled] = slot;
	if (ibl[t].n_filled <= IBL_FILLED_MAX)
		ibl[t].n_filled++;
}

static void ibl_reinsert(struct tc_block *b)
{
	b->ibl_was = false;
	for (unsigned t = 0; t < BT_IBL_TABLES; t++) {
		struct bt_ibl_entry *e = ibl_slot(t, b);

		if (e && e->host == bt_tramps.ibl_miss) {
			b->in_ibl = true;
			e->neg_eip = (uint32_t)-b->eip;
			e->key = b->key;
			e->host = b->host;
			ibl_note_filled(t, b->eip & (BT_IBL_SIZE - 1));
		}
	}
}

/* Its blocks stay where they are; their guards turn away what reaches
 * them (bt_detached_entered). A callout that detached the page of the
 * block it came from leaves the cache (bt_generation). */
static void detach_page(struct tc_page *p)
{
	STAT_INC(bt_page_detaches);
	bt_generation++;
	p->n_ibl_was = 0;
	p->detached = true;
	live_remove(p);
	p->global = false;
}

void bt_detached_entered(struct tc_block *b)
{
	struct tc_page *p = b->page;

	if (b->dead || !p || !p->detached)
		return;
	STAT_INC(bt_detached_entries);
	unhook_block(b, true);
	if (b->ibl_was && p->n_ibl_was++ < BT_PAGE_IBL_WAS)
		p->ibl_was[p->n_ibl_was - 1] = b;
}

static void reattach_page(struct tc_page *p)
{
	STAT_INC(bt_page_reattaches);
	if (p->n_ibl_was > BT_PAGE_IBL_WAS) {
		for (struct tc_block *b = p->blocks; b; b = b->page_next)
			if (b->ibl_was)
				ibl_reinsert(b);
	} else {
		/* A block invalidated since is dead (its memory lives until
		 * a flush, which drops the page too). */
		for (uint32_t i = 0; i < p->n_ibl_was; i++)
			if (!p->ibl_was[i]->dead && p->ibl_was[i]->ibl_was)
				ibl_reinsert(p->ibl_was[i]);
	}
	p->n_ibl_was = 0;
	p->detached = false;
	live_add(p);
}

static bool page_still_maps(struct vcpu *cpu, uint32_t lin, uint32_t frame,
			    bool user);

/* Do the blocks of detached page p match the bytes of `frame`? */
static bool same_code(const struct tc_page *p, uint32_t frame)
{
	const uint8_t *page;

	if (!machine_of_cache ||
	    !mem_is_ram(&machine_of_cache->mem, frame << 12, 4096))
		return false;
	page = mem_ptr(&machine_of_cache->mem, frame << 12);
	for (const struct tc_block *b = p->blocks; b; b = b->page_next)
		if (XXH3_64bits(page + (b->eip & 0xfff), b->guest_len) !=
		    b->hash)
			return false;
	return true;
}

/*
 * A detached page at lin whose code is byte for byte in `frame` (a
 * forked process has its own copy of the parent's text): its blocks now
 * belong to `frame`. Returns it, or NULL.
 */
static struct tc_page *rebind(uint32_t lin, uint32_t frame)
{
	for (struct tc_page *p = pages[page_hash(lin)]; p; p = p->hash_next) {
		uint32_t old = p->frame;

		if (p->lin != lin || !p->detached || !p->blocks ||
		    !same_code(p, frame))
			continue;
		frame_remove(p);
		p->frame = frame;
		frame_add(p);
		for (struct tc_block *b = p->blocks; b; b = b->page_next)
			b->frame = frame;
		shadow_protect_code(machine_of_cache, frame);
		if (!frame_has_blocks(old))
			shadow_unprotect_code(machine_of_cache, old);
		STAT_INC(bt_page_rebinds);
		return p;
	}
	return NULL;
}

bool bt_reattach(struct vcpu *cpu, uint32_t lin, uint32_t frame)
{
	struct tc_page *p = page_get(lin, frame, false);

	if (p && (!p->detached || !p->blocks))
		return false;
	if (!p)
		p = rebind(lin, frame);
	if (!p)
		return false;
	/* Pages attached at lin with another frame are stale now. */
	for (struct tc_page *q = pages[page_hash(lin)]; q; q = q->hash_next)
		if (q->lin == lin && q->frame != frame && !q->detached &&
		    q->blocks)
			detach_page(q);
	/* CPL 3 blocks come back only if user code may still fetch there
	 * (a kernel-mode miss may be the one that finds the page). */
	if (p->user && !page_still_maps(cpu, lin << 12, frame, true)) {
		while (p->blocks)
			bt_invalidate_block(p->blocks);
		p->user = false;
		return false;
	}
	reattach_page(p);
	return true;
}

static bool frame_has_blocks(uint32_t frame)
{
	for (struct tc_page *p = frame_pages[page_hash(frame)]; p;
	     p = p->frame_next)
		if (p->frame == frame && p->blocks)
			return true;
	return false;
}

void bt_invalidate_range(struct machine *m, uint32_t paddr, uint32_t len)
{
	uint32_t frame = paddr >> 12;
	uint32_t lo = paddr & 0xfff, hi = lo + len; /* within the frame */

	for (struct tc_page *p = frame_pages[page_hash(frame)]; p;
	     p = p->frame_next) {
		struct tc_block *b, *next;

		if (p->frame != frame)
			continue;
		for (b = p->blocks; b; b = next) {
			uint32_t blo = b->eip & 0xfff, bhi = blo + b->guest_len;
			const uint8_t *src;

			next = b->page_next;
			/* A write beside the block's bytes changes nothing. */
			if (hi <= blo || lo >= bhi)
				continue;
			src = (const uint8_t *)mem_ptr(&m->mem, frame << 12) +
			      blo;
			if (XXH3_64bits(src, b->guest_len) == b->hash) {
				STAT_INC(bt_hash_survivals);
				continue;
			}
			bt_invalidate_block(b);
		}
	}
	if (!frame_has_blocks(frame))
		shadow_unprotect_code(m, frame);
}

/*
 * Does linear page `lin` still map `frame` (with user access, for a page
 * with CPL 3 blocks)? *global says whether the translation is global.
 * A 4 MiB page answers from its PDE alone (one physmap read: Linux's
 * kernel text), anything else takes a full walk. Nothing is set in the
 * guest's tables.
 */
static bool still_maps(struct vcpu *cpu, uint32_t lin, uint32_t frame,
		       bool user, bool *global)
{
	struct mmu_walk_result r;
	uint32_t err, pde;

	*global = false;
	if (!user && (cpu->cr0 & X86_CR0_PG) && (cpu->cr4 & X86_CR4_PSE) &&
	    !(cpu->cr4 & X86_CR4_PAE)) {
		uint32_t pa = (cpu->cr3 & ~0xfffu) + (lin >> 22) * 4;

		if (mem_is_ram(&cpu->machine->mem, pa, 4)) {
			memcpy(&pde, mem_ptr(&cpu->machine->mem, pa), 4);
			if ((pde & (X86_PTE_P | X86_PTE_PS)) ==
			    (X86_PTE_P | X86_PTE_PS)) {
				*global = (pde & X86_PTE_G) &&
					  (cpu->cr4 & X86_CR4_PGE);
				return ((pde >> 12) & ~0x3ffu) +
					       ((lin >> 12) & 0x3ff) ==
				       frame;
			}
		}
	}
	if (mmu_walk(cpu, lin, MMU_ACC_NOSET | (user ? MMU_ACC_USER : 0), &r,
		     &err) < 0 ||
	    (r.paddr >> 12) != frame)
		return false;
	*global = r.global;
	return true;
}

static bool page_still_maps(struct vcpu *cpu, uint32_t lin, uint32_t frame,
			    bool user)
{
	bool global;

	return still_maps(cpu, lin, frame, user, &global);
}

/* Is attached page p still mapped as translated? Detach it if not. */
static void revalidate_page(struct vcpu *cpu, struct tc_page *p)
{
	bool global;

	STAT_INC(bt_page_revalidations);
	if (still_maps(cpu, p->lin << 12, p->frame, p->user, &global)) {
		set_global(p, global);
		return;
	}
	/* Kept for when the page maps the frame again (the next process
	 * switch, the next exec of the same program); the frame stays
	 * protected meanwhile, so a write to it still invalidates them. */
	detach_page(p);
}

/*
 * Detach every attached page whose linear page no longer maps its frame;
 * with `region` >= 0 only the pages of that 4 MiB region (invlpg: one
 * entry, or one 4 MiB page, changed). With keep_global (a CR3 write),
 * pages last found global are not checked: hardware keeps their TLB
 * entries too (Linux's kernel text, most of what a process switch would
 * otherwise check).
 */
static void revalidate(struct vcpu *cpu, int64_t region, bool keep_global)
{
	struct tc_page *p, *next;

	if (region >= 0) {
		for (p = region_pages[region]; p; p = next) {
			next = p->region.next;
			revalidate_page(cpu, p);
		}
		return;
	}
	for (unsigned g = 0; g < (keep_global ? 1u : 2u); g++)
		for (p = live_pages[g]; p; p = next) {
			next = p->live.next;
			revalidate_page(cpu, p);
		}
}

void bt_revalidate_pages(struct vcpu *cpu, bool keep_global)
{
	revalidate(cpu, -1, keep_global);
}

void bt_revalidate_region(struct vcpu *cpu, uint32_t lin)
{
	revalidate(cpu, lin >> 22, false);
}

static void ibl_clear_table(unsigned n)
{
	struct bt_ibl_entry *t = ibl[n].table;

	if (ibl[n].n_filled > IBL_FILLED_MAX) {
		for (unsigned i = 0; i < BT_IBL_SIZE; i++) {
			t[i].neg_eip = 0;
			t[i].host = bt_tramps.ibl_miss;
		}
	} else {
		for (unsigned i = 0; i < ibl[n].n_filled; i++) {
			t[ibl_filled[n][i]].neg_eip = 0;
			t[ibl_filled[n][i]].host = bt_tramps.ibl_miss;
		}
	}
	ibl[n].n_filled = 0;
}

struct bt_ibl_entry *bt_ibl_select(uint32_t key)
{
	unsigned victim = 0;

	ibl_clock++;
	for (unsigned t = 0; t < BT_IBL_TABLES; t++) {
		if (ibl[t].table && !ibl[t].stale && ibl[t].key == key) {
			ibl[t].last_use = ibl_clock;
			return ibl[t].table;
		}
		/* Reuse a stale table first, then the least recent. */
		if ((ibl[t].stale && !ibl[victim].stale) ||
		    (ibl[t].stale == ibl[victim].stale &&
		     ibl[t].last_use < ibl[victim].last_use))
			victim = t;
	}
	if (!ibl[victim].table) {
		ibl[victim].table =
			malloc(BT_IBL_SIZE * sizeof(*ibl[victim].table));
		if (!ibl[victim].table)
			return bt_ibl_empty; /* every lookup misses */
		ibl[victim].n_filled = IBL_FILLED_MAX + 1; /* garbage */
	}
	STAT_INC(bt_ibl_table_resets);
	ibl_clear_table(victim);
	ibl[victim].stale = false;
	ibl[victim].key = key;
	ibl[victim].last_use = ibl_clock;
	return ibl[victim].table;
}

void bt_ibl_insert(struct vcpu *cpu, struct tc_block *b)
{
	struct bt_ibl_entry *t = (struct bt_ibl_entry *)(uintptr_t)
					 cpu->bt.ibl_table,
			    *e;

	/* Only into the table of the block's key, never the empty one. */
	if (t == bt_ibl_empty)
		return;
	e = &t[b->eip & (BT_IBL_SIZE - 1)];
	b->in_ibl = true;
	e->neg_eip = (uint32_t)-b->eip;
	e->key = b->key;
	e->host = b->host;
	for (unsigned n = 0; n < BT_IBL_TABLES; n++)
		if (ibl[n].table == t)
			ibl_note_filled(n, b->eip & (BT_IBL_SIZE - 1));
}

/* After a flush no table may be used before it is cleared: each is
 * cleared when selected again (bt_ibl_select), and then only in the
 * slots filled since (test_bt_diff resets the machine for every case
 * and spent 3/4 of its time clearing 8 MiB of tables). */
void bt_ibl_clear(void)
{
	for (unsigned t = 0; t < BT_IBL_TABLES; t++)
		ibl[t].stale = true;
	ibl_flushes++;
}

uint64_t bt_ibl_flushes(void)
{
	return ibl_flushes;
}

void bt_flush_cache(struct machine *m, const char *why)
{
	(void)why;
	STAT_INC(bt_cache_flushes);
	bt_generation++;
	for (unsigned i = 0; i < 1u << PAGE_HASH_BITS; i++)
		for (struct tc_page *p = frame_pages[i]; p; p = p->frame_next)
			if (p->blocks)
				shadow_unprotect_code(m, p->frame);
	memset(hash, 0, sizeof(hash));
	memset(pages, 0, sizeof(pages));
	memset(frame_pages, 0, sizeof(frame_pages));
	memset(live_pages, 0, sizeof(live_pages));
	memset(region_pages, 0, sizeof(region_pages));
	nr_order = 0;
	cache_top = blocks_start;
	meta_top = meta_base;
	bt_ibl_clear();
	bt_adapt_clear();
}

void bt_cache_set_machine(struct machine *m)
{
	machine_of_cache = m;
}
