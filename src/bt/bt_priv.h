/*
 * bt_priv.h - what the binary translator's files share.
 *
 * Files:
 *   trampoline.c  host code generated once: enter/exit, callouts, the
 *                 indirect-branch lookup, exit stubs' common tails;
 *   cache.c       the code cache and block metadata: allocation, lookup
 *                 by (EIP, mode key), chaining, invalidation, flushing;
 *   translate.c   one guest basic block -> host code: scan, plan, emit,
 *                 link (with xlate_ident.c and xlate_flow.c emitting the
 *                 categories);
 *   bt_run.c      the engine: the run loop, callouts' C side, the fault
 *                 and kick signals.
 *
 * A block's layout in the cache:
 *   body:  the host code of each guest instruction, in order
 *   stubs: one exit stub per direct exit (jmp/jcc/fall-through), each
 *          "mov [r15+eip], target; mov r11, &exit; jmp chain_tail";
 *          the body's jump to an exit points at its stub until the exit
 *          is chained, then straight at the target block's body.
 */
#ifndef BT386_BT_BT_PRIV_H
#define BT386_BT_BT_PRIV_H

#include <stdbool.h>
#include <stdint.h>

#include "bt/bt.h"
#include "bt/decode.h"
#include "vcpu.h"

/* Why translated code returned to bt_run (vcpu->bt.exit_reason). */
enum bt_exit {
	BT_EXIT_NONE,
	BT_EXIT_CHAIN,	  /* direct branch to an untranslated/unlinked target */
	BT_EXIT_IBL_MISS, /* indirect branch target not in the lookup table */
	BT_EXIT_STOP,	  /* a callout changed the machine state: look again */
	BT_EXIT_FAULT,	  /* a host fault the signal handler turned into an
			   * exit (guest exception or emulation) */
	BT_EXIT_KICK,	  /* kicked while in the cache */
	/* A block of a detached page was entered through its guard (a
	 * chain from another page, an indirect-branch entry): exit_site is
	 * the block. */
	BT_EXIT_DETACHED,
};

/* Translation categories (DESIGN.md 3.2). */
enum bt_cat {
	BT_CAT_IDENT,
	BT_CAT_INLINE,
	BT_CAT_CALLOUT,
	BT_CAT_INTERP,
	/* An instruction that crosses into the next page: the interpreter
	 * fetches and runs it afresh each time (the block depends on its
	 * first page only), then the block always exits. */
	BT_CAT_STEP,
	/* A user TLB block's miss path (translate_utlb.c): the interpreter
	 * runs the instruction, then the block goes on or exits. */
	BT_CAT_UTLB_MISS,
	BT_NR_CATS,
};

struct tc_block;
struct tc_page;
struct machine;

/* A direct exit of a block: a patchable jump and its stub. */
/* A block goes on after at most BT_MAX_CONTS calls (their returns land
 * in it: return_stack.c); each direct call is an exit. */
#define BT_MAX_CONTS 2
#define BT_MAX_EXITS (2 + BT_MAX_CONTS)

struct tc_exit {
	uint8_t *site;	 /* the rel32 to patch */
	uint8_t *stub;	 /* where it points when unlinked */
	uint32_t target; /* guest EIP */
	struct tc_block *owner;
	struct tc_block *linked; /* target block when chained */
	struct tc_exit *next_in; /* next exit chained into the same block */
	/* Chained within the owner's page (read when pages are detached:
	 * spares a cache miss per link of a pointer chase; Linux fork+exec
	 * spent 10% in unhook_block, a quarter of it on owner->page). */
	bool same_page;
};

/*
 * A callout or interpreter fallback: the decoded instruction is kept so
 * the C side runs the interpreter's handler without fetching again.
 */
struct bt_callout {
	struct x86_insn insn;
	uint32_t eip;	   /* guest EIP of the instruction */
	uint32_t next_eip; /* EIP after it */
	uint8_t cat;	   /* BT_CAT_CALLOUT, _INTERP, _STEP, _UTLB_MISS */
	uint8_t adapted;   /* a callout only because it kept faulting */
	/* BT_CAT_UTLB_MISS: the access that missed (its linear address
	 * is in cpu->bt.tlb_lin). */
	uint8_t utlb_write;
	uint8_t utlb_rep; /* utlb_size bytes per element, ECX of them */
	uint16_t utlb_size;
	struct tc_block *block;
};

/* Host code offset -> guest instruction, for precise faults. */
struct tc_insn_map {
	uint16_t host_off;  /* start of the instruction's host code */
	uint16_t guest_off; /* guest EIP - block EIP */
};

struct tc_block {
	uint32_t eip;
	uint32_t key;	/* mode key */
	uint32_t frame; /* guest physical frame of the code */
	uint32_t guest_len;
	uint64_t hash; /* xxh64 of the guest bytes */
	/* Host code: `host` is the guarded entry (a detached page's blocks
	 * go back to the loop from it), `body` the first instruction's code,
	 * where chains from the same page enter. */
	uint8_t *host;
	uint8_t *body;
	uint32_t host_len;
	uint16_t n_insns;
	uint8_t n_exits;
	bool dead;
	/* Detached with an indirect-branch table entry: reattaching puts
	 * it back (cache.c). */
	bool ibl_was;
	bool in_ibl; /* may be in an indirect-branch table */
	struct tc_exit exit[BT_MAX_EXITS];
	/* Exits of other blocks chained to us: from blocks of other pages,
	 * and from blocks of our page (which detaching the page keeps, so
	 * it walks only the first list: the same_page test cost a cache
	 * miss per link, a quarter of unhook_block's time). */
	struct tc_exit *incoming, *incoming_same;
	struct tc_block *hash_next;
	struct tc_block *page_next; /* blocks of the same code page */
	struct tc_page *page;
	struct tc_insn_map *map; /* n_insns entries */
};

/* A place on a doubly linked list of code pages (cache.c). */
struct tc_link {
	struct tc_page *next, *prev;
};

/* A guest linear code page with translations, and the frame it mapped
 * to when they were made. */
#define BT_PAGE_IBL_WAS 16
struct tc_page {
	uint32_t lin;	/* linear page number */
	uint32_t frame; /* physical frame number */
	bool user;	/* has CPL 3 blocks: must stay user-accessible */
	/* The page no longer maps `frame` (another process, exec): its
	 * blocks are kept, but the lookup skips them and their guarded
	 * entries send whatever still reaches them back to the loop; a
	 * translation miss at (lin, frame) brings them back. */
	bool detached;
	/* The last check found the page global (G, CR4.PGE): a CR3 write
	 * does not check it again, as it leaves global TLB entries. */
	bool global;
	struct tc_block *blocks;
	/* Detached: the blocks whose indirect-branch entries it took away
	 * (n_ibl_was > BT_PAGE_IBL_WAS: more, walk `blocks`). Reattaching
	 * walked every block for them: 9% of Linux fork+exec. */
	uint32_t n_ibl_was;
	struct tc_block *ibl_was[BT_PAGE_IBL_WAS];
	struct tc_page *hash_next;  /* pages at the same lin hash */
	struct tc_page *frame_next; /* pages of the same frame hash */
	/* Attached pages: on live_pages[global] and on their region's list. */
	struct tc_link live, region;
};

/* Sizes. */
#define BT_MAX_BLOCK_INSNS 64
#define BT_CACHE_DEFAULT (64u << 20)
#define BT_IBL_BITS 16
#define BT_IBL_SIZE (1u << BT_IBL_BITS)

/* An entry of the indirect-branch lookup table. neg_eip = -EIP, so that
 * translated code can compare without touching flags (lea + jrcxz). */
struct bt_ibl_entry {
	uint32_t neg_eip;
	uint32_t key;
	uint8_t *host;
};

/* ---- trampoline.c -------------------------------------------------- */

struct bt_tramps {
	/* uint32_t enter(struct vcpu *cpu): to cpu->bt.enter_target */
	uint32_t (*enter)(struct vcpu *cpu);
	uint8_t *enter_end;
	uint8_t *kick_exit; /* enter's target after a kick */
	uint8_t *exit;	    /* jmp here with exit_reason set */
	uint8_t *callout_end;
	uint8_t *fpu_prep;	/* call before guest FPU instructions */
	uint8_t *exit_chain;	/* r11 = struct tc_exit *, [r15+eip] set */
	uint8_t *exit_detached; /* r11 = struct tc_block * (its guard) */
	uint8_t *ibl;		/* r13d = target EIP */
	uint8_t *ibl_miss;	/* what empty table entries point at */
	uint8_t *callout;	/* call with r11 = struct bt_callout * */
	uint8_t *fault_exit;	/* the signal handler resumes here */
	/* Where the return stack's sentinels return to (return_stack.c):
	 * empty the stack, look r13d up. */
	uint8_t *rs_underflow;
	/* Where a continuation that does not match jumps (rcx in r11). */
	uint8_t *rs_mismatch;
};

extern struct bt_tramps bt_tramps;

/* Generate the trampolines at the start of the cache. */
void bt_tramps_init(uint8_t *at, uint8_t **end);
struct emit;
/* The inline indirect-branch lookup (target EIP in r13d). */
void bt_emit_ibl(struct emit *e);
/* The same, calling the target on a hit (call) or jumping to it. */
void bt_emit_ibl_to(struct emit *e, bool call);

/* ---- return_stack.c ------------------------------------------------ */

/* The stack translated code runs on (after bt_tramps_init). */
int bt_rs_init(struct vcpu *cpu);
uint64_t bt_rs_top(void);
/* Where -next sits in a continuation (for rs_mismatch). */
unsigned bt_rs_tag_offset(void);
/* SIGSEGV at addr: a push into the guard page from a block empties the
 * stack and restarts (true); anything else is not ours. */
bool bt_rs_guard_fault(uint64_t addr, void *ucontext);
/* The return stack's rsp, from a trampoline that may have switched to
 * the monitor stack. */
uint64_t bt_rs_callout_rsp(uint64_t rsp);
/* From the kick signal: unlink the blocks the next returns go to. */
void bt_rs_kick(uint64_t rsp);

/* ---- cache.c ------------------------------------------------------- */

int bt_cache_init(uint32_t size);
/* Space for code: [*start, *end) of the free area; commit with
 * bt_cache_commit(new_top). */
void bt_cache_space(uint8_t **start, uint8_t **end);
void bt_cache_commit(uint8_t *top);
bool bt_cache_contains(const void *host);
/* Metadata allocation (reset on flush). NULL when full. */
void *bt_meta_alloc(size_t size);

struct tc_block *bt_lookup(uint32_t eip, uint32_t key);
/* The code page (lin, frame) a block about to be translated joins
 * (created; NULL when metadata is full): its guard reads the page. */
struct tc_page *bt_code_page(uint32_t lin, uint32_t frame);
void bt_insert(struct tc_block *b);
/* A live block whose guest bytes include `eip`. */
struct tc_block *bt_lookup_containing(uint32_t eip, uint32_t key);
/* The block whose body holds host address `rip` (signal-safe). */
struct tc_block *bt_block_at(const void *rip);
/* Chain exit `x` to block `to`: to its body from the same page, else
 * to its guarded entry. */
void bt_chain(struct tc_exit *x, struct tc_block *to);
/* Where a chained exit jumps. */
uint8_t *bt_chain_target(const struct tc_exit *x);
/* A block of a detached page was entered through its guard: take it out
 * of the chains and tables that led there (BT_EXIT_DETACHED). */
void bt_detached_entered(struct tc_block *b);
/* Unlink every exit of `b` (kick: make it return at its end). */
void bt_unlink_block(struct tc_block *b);
void bt_invalidate_block(struct tc_block *b);
/* A miss at linear page lin, which maps frame now: bring back the blocks
 * of a detached page (lin, frame); true if there were any. */
bool bt_reattach(struct vcpu *cpu, uint32_t lin, uint32_t frame);
/* Guest physical [paddr, paddr + len), within one frame, was written:
 * invalidate the blocks whose bytes it changed. */
void bt_invalidate_range(struct machine *m, uint32_t paddr, uint32_t len);
/* Adaptive translation: guest instructions that keep faulting on
 * protected frames become callouts when next translated. */
bool bt_adapt_is_marked(uint32_t eip);
/* A kernel instruction that keeps filling the kernel view (user pages of
 * spaces on the user TLB, or writes)
 * goes through the kernel TLB (bt_run.c, adapt_kernel_fill). */
bool bt_adapt_via_tlb(uint32_t eip);
void bt_adapt_clear(void); /* with every cache flush */
void bt_adapt_fault(struct vcpu *cpu, uint32_t eip);
/* Drop every block whose linear code page no longer maps to its frame. */
void bt_revalidate_pages(struct vcpu *cpu, bool keep_global);
/* The same, for the 4 MiB region of `lin` only (invlpg). */
void bt_revalidate_region(struct vcpu *cpu, uint32_t lin);
void bt_flush_cache(struct machine *m, const char *why);
void bt_cache_set_machine(struct machine *m);
/*
 * The indirect-branch tables: one per mode key (the inline lookup
 * compares only the EIP), up to BT_IBL_TABLES of them, a stale one (see
 * bt_ibl_clear) or else the least recently selected one reused (cleared)
 * for a new key. Switching keys is then a
 * pointer change: a Linux guest switches twice per kernel entry (its
 * per-CPU FS), and clearing a shared 1 MiB table each time cost 10-12 s
 * of a 28 s fork+exec job (shared/findings/linux-profile-2026-12.md).
 */
#define BT_IBL_TABLES 8
struct bt_ibl_entry *bt_ibl_select(uint32_t key);
void bt_ibl_insert(struct vcpu *cpu, struct tc_block *b);
/* Flush: every table must be selected again before it is used. */
void bt_ibl_clear(void);
/* Counts bt_ibl_clear(): a table selected before a change is stale. */
uint64_t bt_ibl_flushes(void);
extern struct bt_ibl_entry *bt_ibl_empty; /* all misses: used by kicks */
/* Bumped whenever blocks are invalidated (callouts compare it). */
extern uint64_t bt_generation;

/* ---- translate.c --------------------------------------------------- */

/* Translate the block at cpu->eip (mode key `key`). NULL when the first
 * instruction cannot be translated (the caller interprets it). */
struct tc_block *bt_translate(struct vcpu *cpu, uint32_t key);

/* ---- bt_run.c ------------------------------------------------------ */

uint32_t bt_mode_key(const struct vcpu *cpu);
/* Mode key bit: SS, DS and ES are flat (base 0, 4 GiB, writable). */
#define BT_KEY_FLAT 0x40
#define BT_KEY_TSD 0x80 /* CR4.TSD: CPL 3 rdtsc is a callout (#GP) */
/* The CPL a block was translated for (bits 2-3 of the key): CPL 3 code
 * reaches the current space's user view (or the direct view), any other
 * its kernel view. */
#define BT_KEY_CPL(key) (((key) >> 2) & 3u)
#define BT_KEY_USER(key) (BT_KEY_CPL(key) == 3)
/* Mode key bit: CR4.OSFXSR is clear (SSE instructions are #UD). */
#define BT_KEY_NOFXSR 0x100
/* Mode key bit: guest accesses go through a software TLB
 * (translate_utlb.c): the user TLB for CPL 3 code of an address space
 * without a user view, the kernel TLB for other code under
 * --kernel-tlb=on. */
#define BT_KEY_TLB 0x200

/* Mode key bits: FS (GS) is usable inline, or null in kernel code. */
#define BT_KEY_FS 0x10
#define BT_KEY_GS 0x20
#define BT_KEY_SEG(sreg) ((sreg) == X86_FS ? BT_KEY_FS : BT_KEY_GS)
/* Can FS/GS-relative accesses through `s` run inline? */
bool bt_seg_inline_ok(const struct x86_seg *s);
/* Is `s` null (loaded with a null selector: no access allowed)? */
bool bt_seg_null(const struct x86_seg *s);
/* Can the current state run in the code cache? */
bool bt_mode_ok(const struct vcpu *cpu);
/* Shadow hook: guest physical [paddr, paddr + len) with code changed. */
void bt_code_written(struct machine *m, uint32_t paddr, uint32_t len);
/* Callout entry from the trampoline: 0 = continue, 1 = exit. */
uint32_t bt_callout_c(struct vcpu *cpu);

extern bool bt_count_blocks;

/* ---- utlb_policy.c: user TLB or host mappings, per space ------------ */

/* Start the CPU-time tick (--user-tlb=auto), on the vCPU thread. */
int bt_utlb_policy_start(struct vcpu *cpu);
/* A user TLB miss of the current space raised an exception (a page
 * fault, mostly: with host mappings, a host fault). */
void bt_utlb_note_fault(void);
/* In the loop: take a decision the tick asked for; true if the current
 * space changed engines. */
bool bt_utlb_policy_poll(void);

/* ---- bt_trace.c ---------------------------------------------------- */

extern bool bt_trace_on;

#endif
