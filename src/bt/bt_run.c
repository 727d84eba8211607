/*
 * bt_run.c - the binary translation engine: when to run translated code,
 * what to do when it comes back, and the two signals that reach it.
 *
 * The loop (vCPU thread, normal context):
 *   - states the code cache cannot run (real/v8086 mode, a non-flat CS,
 *     CPL 1 or 2, TF, an interrupt shadow, a deliverable interrupt or NMI) go
 *     to the interpreter; with --direct-exec, CPL 3 code that direct
 *     execution can run goes there;
 *   - otherwise look the block up by (EIP, mode key), translating on a
 *     miss, and enter it; on return, chain the exit that was taken, fill
 *     the indirect-branch table, deliver a fault, or go round again.
 *
 * Signals (signal context, no allocation, no locks):
 *   - SIGSEGV/SIGFPE/SIGILL/SIGBUS with RIP in a block: a hidden page
 *     fault is filled (shadow_fault) and the access restarts; anything
 *     else becomes BT_EXIT_FAULT with the guest state of the faulting
 *     instruction (registers from the context, EIP from the block's map)
 *     by resuming the context at the exit trampoline;
 *   - the kick signal: make translated code come back soon: swap in the
 *     empty indirect-branch table, unlink the block being executed,
 *     redirect a pending enter (see bt_kick_from_signal).
 */
#include <asm/prctl.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "bt/bt_priv.h"
#include "bt/sreg_cache.h"
#include "bt/emit.h"
#include "bt/interp.h"
#include "mmu/shadow.h"
#include "mmu/walk.h"
#include "monitor/de.h"
#include "monitor/machine.h"
#include "monitor/stats.h"

static uint32_t current_key = ~0u;
static enum user_tlb utlb_policy = USER_TLB_OFF; /* --user-tlb, resolved */
static bool kernel_tlb;				 /* --kernel-tlb, resolved */
static bool kernel_tlb_asked;			 /* --kernel-tlb=on given */
static struct bt_ibl_entry *ibl_table;		 /* of current_key */
static uint64_t ibl_table_flushes;		 /* bt_ibl_flushes() then */

#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

static bool gs_cheap;

bool bt_gs_switch_cheap(void)
{
	return getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE;
}

static int set_gs_base(struct vcpu *cpu, uint64_t base)
{
	if (gs_cheap)
		__asm__ volatile("wrgsbase %0" : : "r"(base) : "memory");
	else if (syscall(SYS_arch_prctl, ARCH_SET_GS, base) < 0)
		return -1;
	cpu->bt.gs_base = base;
	STAT_INC(bt_gs_switches);
	return 0;
}

void bt_kernel_tlb_describe(char *buf, size_t len)
{
	snprintf(buf, len, "%s",
		 kernel_tlb ? "a software TLB (--kernel-tlb=on)"
		 : kernel_tlb_asked
			 ? "host mappings (--kernel-tlb=on needs BMI2, "
			   "which this host lacks)"
			 : "host mappings");
}

/*
 * Point the host GS base at the view blocks of this privilege use now
 * (the current space's kernel or user view). A write only when it
 * changes: a CR3 switch, or a change between user and kernel code when
 * user code has its own views.
 */
static int sync_gs(struct vcpu *cpu, bool user)
{
	uint64_t base;

	/* User code on the direct view needs no prefix (no gs:). */
	if (user && shadow_direct_view())
		return 0;
	/* Kernel code on the kernel TLB reaches no view: the base goes to
	 * the guard above the direct view, where nothing is ever mapped, so
	 * a gs: access of such a block (none is emitted) would fault and be
	 * interpreted. Without FSGSBASE user code never moves it (it uses
	 * the direct view), so this costs no system call there. */
	base = !user && kernel_tlb ? SHADOW_GUARD_BASE
				   : shadow_current_base(user);
	if (base == cpu->bt.gs_base)
		return 0;
	return set_gs_base(cpu, base);
}

/* The parts of cpu->bt that translated code reads and that hold no
 * guest state: set by bt_init() and again after every vcpu_reset(). */
static void vcpu_bt_setup(struct vcpu *cpu)
{
	cpu->bt.gs_base = ~0ull; /* unknown: the next sync_gs() sets it */
	for (unsigned i = 0; i < 256; i++) {
		cpu->bt.cli_table[i] = (uint8_t)(i & ~(X86_FL_IF >> 8));
		cpu->bt.sti_table[i] = (uint8_t)(i | (X86_FL_IF >> 8));
	}
	cpu->bt.ibl_table = (uint64_t)(uintptr_t)bt_ibl_empty;
	cpu->bt.rs_top = bt_rs_top();
	bt_sreg_cache_attach(cpu);
	bt_utlb_flush(cpu, true);
}

/* Shadow hook: no user TLB write tag may outlive a frame's watching. */
static struct vcpu *watch_cpu;

static void frame_watched(uint32_t frame)
{
	if (watch_cpu)
		bt_utlb_frame_watched(watch_cpu, frame);
}

int bt_init(struct machine *m, uint32_t cache_size, bool count_blocks)
{
	struct vcpu *cpu = &m->cpu;

	bt_count_blocks = count_blocks; /* before the trampolines exist */
	if (bt_cache_init(cache_size) < 0 || bt_rs_init(cpu) < 0)
		return -1;
	bt_cache_set_machine(m);
	shadow_set_code_write_hook(bt_code_written);
	/* Translated code reaches the shadow's views through gs:
	 * (mmu/shadow.h); sync_gs() sets the base before blocks run. */
	gs_cheap = bt_gs_switch_cheap();
	if (bt_sreg_cache_init() < 0)
		return -1;
	/* The user TLB's check needs rorx (BMI2); directly executed user
	 * code has host mappings anyway. */
	utlb_policy = m->opt.user_tlb;
	if (!bt_host_bmi2 || m->opt.direct_exec)
		utlb_policy = USER_TLB_OFF;
	shadow_set_user_tlb_default(utlb_policy != USER_TLB_OFF);
	kernel_tlb_asked = m->opt.kernel_tlb == KERNEL_TLB_ON;
	kernel_tlb = bt_host_bmi2 && kernel_tlb_asked;
	watch_cpu = cpu;
	shadow_set_watch_hook(frame_watched);
	vcpu_bt_setup(cpu);
	if (sync_gs(cpu, false) < 0)
		return -1;
	m->bt_on = true;
	return 0;
}

int bt_user_tlb_start(struct machine *m)
{
	if (utlb_policy != USER_TLB_AUTO)
		return 0;
	return bt_utlb_policy_start(&m->cpu);
}

void bt_reset(struct machine *m)
{
	bt_flush_cache(m, "reset");
	current_key = ~0u;
	/* vcpu_reset() cleared what translated code reads through r15. */
	vcpu_bt_setup(&m->cpu);
}

/* ---- modes ----------------------------------------------------------- */

static bool flat(const struct x86_seg *s)
{
	return s->base == 0 && s->limit == 0xffffffffu &&
	       (s->attr & (X86_DESC_P | X86_DESC_DB)) ==
		       (X86_DESC_P | X86_DESC_DB);
}

static bool flat_data(const struct x86_seg *s)
{
	return flat(s) && !(s->attr & X86_DESC_CODE) && (s->attr & X86_DESC_RW);
}

bool bt_seg_inline_ok(const struct x86_seg *s)
{
	return s->limit == 0xffffffffu &&
	       (s->attr & (X86_DESC_P | X86_DESC_S | X86_DESC_CODE |
			   X86_DESC_DC | X86_DESC_RW)) ==
		       (X86_DESC_P | X86_DESC_S | X86_DESC_RW);
}

bool bt_seg_null(const struct x86_seg *s)
{
	return !(s->attr & X86_DESC_P) && s->limit == 0;
}

/*
 * FS or GS as the mode key sees it: usable inline, or, in kernel code,
 * null. Linux loads its per-CPU FS on every kernel entry and a null one
 * on the way out; with null apart, both loads changed the key and left
 * the cache (twice per system call). Kernel code checks for a null
 * segment at each access through it instead (translate.c).
 */
static bool seg_key_ok(const struct vcpu *cpu, unsigned sreg)
{
	const struct x86_seg *s = &cpu->seg[sreg];

	return bt_seg_inline_ok(s) || (cpu->cpl == 0 && bt_seg_null(s));
}

/*
 * The code cache runs CPL 0 and CPL 3 code in protected mode with a flat
 * 32-bit CS (blocks are keyed by EIP = linear address and the mode key,
 * which holds the CPL). Data segments may be anything: when SS, DS and ES
 * are not all flat, the mode key says so and every instruction that
 * touches memory becomes a callout (the interpreter's handler applies
 * base, limit and rights). CPL 1 and 2 go to the interpreter.
 */
bool bt_mode_ok(const struct vcpu *cpu)
{
	return (cpu->cr0 & X86_CR0_PE) && !(cpu->eflags & X86_FL_VM) &&
	       (cpu->cpl == 0 || cpu->cpl == 3) && flat(&cpu->seg[X86_CS]);
}

static bool flat_data_segments(const struct vcpu *cpu)
{
	return flat_data(&cpu->seg[X86_SS]) && flat_data(&cpu->seg[X86_DS]) &&
	       flat_data(&cpu->seg[X86_ES]);
}

/*
 * The mode key: what a translation depends on besides its EIP. FS and GS
 * may have any base (translated code adds it), but only a segment with a
 * 4 GiB limit, present and writable, lets FS/GS-relative accesses run
 * inline without limit and rights checks.
 */
/*
 * Does CPL 3 code of the current address space reach memory through the
 * user TLB (BT_KEY_TLB) rather than the space's user view?
 */
static bool utlb_in_use(void)
{
	return utlb_policy != USER_TLB_OFF && shadow_space_policy()->user_tlb;
}

uint32_t bt_mode_key(const struct vcpu *cpu)
{
	bool tlb = cpu->cpl == 3 ? utlb_in_use() : kernel_tlb;

	return (tlb ? BT_KEY_TLB : 0) | ((cpu->cr0 & X86_CR0_PG) ? 1 : 0) |
	       ((cpu->cr0 & (X86_CR0_TS | X86_CR0_EM)) ? 2 : 0) |
	       ((cpu->cr4 & X86_CR4_OSFXSR) ? 0 : BT_KEY_NOFXSR) |
	       ((uint32_t)cpu->cpl << 2) |
	       (seg_key_ok(cpu, X86_FS) ? BT_KEY_FS : 0) |
	       (seg_key_ok(cpu, X86_GS) ? BT_KEY_GS : 0) |
	       (flat_data_segments(cpu) ? BT_KEY_FLAT : 0) |
	       ((cpu->cr4 & X86_CR4_TSD) ? BT_KEY_TSD : 0);
}

/* ---- MMU events ------------------------------------------------------ */

void bt_cr3_written(struct vcpu *cpu)
{
	bt_revalidate_pages(cpu, true);
}

void bt_invlpg(struct vcpu *cpu, uint32_t lin)
{
	bt_revalidate_region(cpu, lin);
}

void bt_paging_changed(struct vcpu *cpu)
{
	bt_revalidate_pages(cpu, false);
}

void bt_code_written(struct machine *m, uint32_t paddr, uint32_t len)
{
	uint32_t end = paddr + len;

	STAT_INC(code_frame_writes);
	while (paddr < end) {
		uint32_t chunk = 0x1000 - (paddr & 0xfff);

		if (chunk > end - paddr)
			chunk = end - paddr;
		bt_invalidate_range(m, paddr, chunk);
		paddr += chunk;
	}
}

/* ---- adaptive translation ------------------------------------------------ */

/*
 * A guest instruction whose host access faults again and again (a store to
 * a page that holds translated code or page tables, an MMIO access) costs
 * a host signal each time. After ADAPT_THRESHOLD such faults its block is
 * retranslated with that instruction as a callout, which does the same
 * work through the interpreter without a signal.
 */
#define ADAPT_BITS 12
#define ADAPT_THRESHOLD 4
/*
 * And back: an adapted instruction whose callouts reach neither a watched
 * frame nor MMIO this many times in a row is translated inline again.
 * Its faults came from frames that held page tables or code for a while:
 * xv6 recycles such frames as kernel stacks, so the pushes and calls of
 * its hottest functions (mycpu, pushcli) had faulted 4 times over a run
 * and stayed callouts for good, 507 M of them in usertests.
 */
#define UNADAPT_CALLS 256

static struct {
	uint32_t eip;
	uint16_t faults;
	bool marked;
	/* Kernel fills of the kernel view that adapt_kernel_fill counts
	 * (user pages of spaces on the user TLB, writes), and whether the
	 * instruction now goes through the kernel TLB instead. */
	uint16_t fills;
	bool via_tlb;
	uint16_t useless; /* callouts in a row that touched nothing watched */
} adapt[1u << ADAPT_BITS];

/* Set by the fault handler when an instruction went over to the kernel
 * TLB; the loop retranslates its blocks at the next exit. */
static volatile uint32_t via_tlb_eip, via_tlb_key;
static volatile bool via_tlb_pending;
/* Set by a callout when an adapted instruction goes back inline. */
static uint32_t unadapt_eip, unadapt_key;
static bool unadapt_pending;

static unsigned adapt_slot(uint32_t eip)
{
	return (eip * 0x9e3779b1u) >> (32 - ADAPT_BITS);
}

/* The slot of eip, taken over (counts cleared) if it held another. */
static unsigned adapt_claim(uint32_t eip)
{
	unsigned i = adapt_slot(eip);

	if (adapt[i].eip != eip) {
		adapt[i].eip = eip;
		adapt[i].faults = 0;
		adapt[i].marked = false;
		adapt[i].fills = 0;
		adapt[i].via_tlb = false;
		adapt[i].useless = 0;
	}
	return i;
}

void bt_adapt_clear(void)
{
	memset(adapt, 0, sizeof(adapt));
	via_tlb_pending = false;
	unadapt_pending = false;
}

bool bt_adapt_is_marked(uint32_t eip)
{
	unsigned i = adapt_slot(eip);

	return adapt[i].marked && adapt[i].eip == eip;
}

bool bt_adapt_via_tlb(uint32_t eip)
{
	unsigned i = adapt_slot(eip);

	return adapt[i].via_tlb && adapt[i].eip == eip;
}

/*
 * A kernel instruction's access filled a user page of a space on the user
 * TLB in the kernel view, or a page for a write (a host fault, a host
 * call, and later a drop or a write-protect): Linux's copy_to_user,
 * get_user, strncpy_from_user, clear_user reach a new process's pages
 * that way, 9 fills per fork+exec, and its page allocator zeroes the page
 * tables it frees and allocates again (read-only while they were traced),
 * 9 more. After ADAPT_THRESHOLD of them the instruction goes through the
 * kernel TLB (translate.c), which costs a walk per miss and no host call.
 * Signal context: only the table and the request to retranslate.
 */
static void adapt_kernel_fill(uint32_t eip, uint32_t key)
{
	unsigned i;

	if (!bt_host_bmi2)
		return;
	i = adapt_claim(eip);
	if (adapt[i].via_tlb || ++adapt[i].fills < ADAPT_THRESHOLD ||
	    via_tlb_pending)
		return;
	adapt[i].via_tlb = true;
	via_tlb_eip = eip;
	via_tlb_key = key;
	via_tlb_pending = true;
}

/* Accesses that adapted instructions exist for: writes to watched frames
 * (page tables, translated code) and MMIO, as counted so far. */
static uint64_t watched_accesses(void)
{
	return stats.trace_hits + stats.code_frame_writes + stats.mmio_accesses;
}

/* An adapted callout ran: did its access reach a watched frame or MMIO
 * (`useful`)? Callout context: the loop retranslates. */
static void adapt_callout_ran(uint32_t eip, uint32_t key, bool useful)
{
	unsigned i = adapt_slot(eip);

	if (adapt[i].eip != eip || !adapt[i].marked)
		return;
	if (useful) {
		adapt[i].useless = 0;
		return;
	}
	if (++adapt[i].useless < UNADAPT_CALLS || unadapt_pending)
		return;
	adapt[i].marked = false;
	adapt[i].faults = 0;
	adapt[i].useless = 0;
	unadapt_eip = eip;
	unadapt_key = key;
	unadapt_pending = true;
}

/* The loop, after an exit: retranslate what adapt_kernel_fill and
 * adapt_callout_ran asked for. */
static void adapt_apply(void)
{
	struct tc_block *b;

	if (unadapt_pending) {
		STAT_INC(bt_unadaptations);
		while ((b = bt_lookup_containing(unadapt_eip, unadapt_key)))
			bt_invalidate_block(b);
		unadapt_pending = false;
	}
	if (!via_tlb_pending)
		return;
	STAT_INC(bt_tlb_adaptations);
	while ((b = bt_lookup_containing(via_tlb_eip, via_tlb_key)))
		bt_invalidate_block(b);
	via_tlb_pending = false;
}

void bt_adapt_fault(struct vcpu *cpu, uint32_t eip)
{
	unsigned i = adapt_claim(eip);
	struct tc_block *b;

	if (!adapt[i].marked && ++adapt[i].faults < ADAPT_THRESHOLD)
		return;
	if (!adapt[i].marked)
		STAT_INC(bt_adaptations);
	adapt[i].marked = true;
	/* Retranslate every block that holds the instruction (a jump into
	 * the middle of a block starts another one that holds it too); a
	 * marked instruction that faults again is in a block made since. */
	while ((b = bt_lookup_containing(eip, bt_mode_key(cpu))))
		bt_invalidate_block(b);
}

/* ---- callouts (called from the callout trampoline) -------------------- */

/* For the profiler: the host address of the translated code whose host
 * fault is being handled, and the callout being run (or NULL). */
static volatile uintptr_t faulting_rip;
static const struct bt_callout *volatile running_callout;

/*
 * After a callout: must the code cache stop (1), or may the block go on
 * (0)? It stops when the callout changed what the block was translated
 * for or something needs the loop.
 */
static uint32_t callout_leaves(struct vcpu *cpu, uint32_t key,
			       uint64_t generation, bool mode_may_change)
{
	if (generation != bt_generation ||
	    (mode_may_change &&
	     (bt_mode_key(cpu) != key || !bt_mode_ok(cpu))) ||
	    cpu->kick || cpu->halted || (cpu->eflags & X86_FL_TF) ||
	    cpu->delivering >= 0)
		return 1;
	/* An interrupt the guest can now take (after sti: one instruction
	 * later; the interpreter honours the shadow). A shadow with nothing
	 * pending needs no exit: delivering later is always allowed. */
	if (((cpu->eflags & X86_FL_IF) && cpu->machine->bus.intr) ||
	    vcpu_nmi_ready(cpu))
		return 1;
	/* The code cache runs the next instruction before it can stop, so
	 * an interrupt shadow this one opened (sti, mov ss) is used up
	 * there; left set, it would send the loop's next instruction to the
	 * interpreter (Linux: one per local_irq_enable). */
	cpu->intr_shadow = cpu->ss_shadow = false;
	return 0;
}

/*
 * Fill the user TLB entry a miss stub asks for. Two accesses of one
 * instruction whose pages share an entry would evict each other on every
 * try: an instruction that keeps missing on the same few pages (more
 * fills in a row than it has checks) goes to the interpreter instead. A
 * miss on another page is progress: a loop walking a linked list misses
 * at the same instruction on every node (xv6's malloc and free: 10 M
 * instructions sent to the interpreter in usertests when any 5 misses in
 * a row counted). Every 64th fill in a row at one instruction goes to the
 * interpreter whatever the pages, so that nothing can loop for ever.
 */
#define UTLB_RECENT 4

static bool utlb_fill(struct vcpu *cpu, const struct bt_callout *co)
{
	static const struct tc_block *last_block;
	static uint32_t last_eip, recent[UTLB_RECENT];
	static unsigned streak, run;
	uint32_t page = cpu->bt.tlb_lin >> 12;
	bool seen = false;
	uint64_t size;

	for (unsigned k = 0; k < UTLB_RECENT; k++)
		seen |= recent[k] == page;
	/* The instruction, not the stub: each of its checks has one. */
	if (co->block != last_block || co->eip != last_eip) {
		last_block = co->block;
		last_eip = co->eip;
		streak = 0;
		run = 0;
	} else if (!seen) {
		streak = 0;
	}
	memmove(recent + 1, recent, sizeof(recent) - sizeof(recent[0]));
	recent[0] = page;
	/* A string instruction's whole run (ECX elements, up to what
	 * decides that it leaves the page). */
	size = co->utlb_rep ? (uint64_t)cpu->regs[X86_ECX] * co->utlb_size
			    : co->utlb_size;
	if (++streak > 4 || ++run > 64 ||
	    !bt_utlb_fill(cpu, !BT_KEY_USER(co->block->key), cpu->bt.tlb_lin,
			  size < 0x2000 ? (unsigned)size : 0x2000,
			  co->utlb_write)) {
		last_block = NULL;
		return false;
	}
	STAT_INC(bt_utlb_fills);
	return true;
}

uint32_t bt_callout_c(struct vcpu *cpu)
{
	const struct bt_callout *co =
		(const struct bt_callout *)(uintptr_t)cpu->bt.callout;
	uint64_t generation = bt_generation;
	uint32_t key = co->block->key; /* the mode the block was made for */
	enum vcpu_exit r;
	bool sensitive;
	/* What an adapted instruction is for (adapt_callout_ran). */
	uint64_t watched = co->adapted ? watched_accesses() : 0;

	/* A user TLB miss that a fill fixes: the block starts the
	 * instruction again (translate_utlb.c). */
	if (co->cat == BT_CAT_UTLB_MISS && utlb_fill(cpu, co))
		return 0;
	cpu->bt.in_cache = 0;
	running_callout = co;
	if (co->cat == BT_CAT_STEP) {
		/* An instruction across two pages, fetched afresh; the
		 * block goes on through the IBL at the new EIP. */
		STAT_INC(bt_page_crossing_steps);
		cpu->eip = co->eip;
		r = bt_interp_step(cpu);
	} else if (co->cat == BT_CAT_CALLOUT &&
		   co->insn.info->op == X86_OP_MOV &&
		   bt_interp_fast_mov(cpu, &co->insn, co->next_eip,
				      key & BT_KEY_FLAT)) {
		/* An MMIO access or a store to a watched frame. */
		STAT_INC(bt_callouts);
		stats.bt_callouts_by_op[X86_OP_MOV]++;
		r = VCPU_EXIT_NONE;
	} else {
		/* Anything but a plain mov may change what a constant MMIO
		 * register reads (the APIC base MSR, a mode change). */
		cpu->bt.mmio_key = 0;
		if (co->cat == BT_CAT_INTERP) {
			STAT_INC(bt_interp_fallbacks);
			stats.bt_interp_by_op[co->insn.info->op]++;
		} else if (co->cat == BT_CAT_UTLB_MISS) {
			STAT_INC(bt_utlb_misses);
		} else {
			STAT_INC(bt_callouts);
			stats.bt_callouts_by_op[co->insn.info->op]++;
		}
		r = bt_interp_exec(cpu, &co->insn, co->eip);
		if (r == VCPU_EXIT_NONE && cpu->eip == co->next_eip &&
		    (co->insn.info->op == X86_OP_MOV_TO_SREG ||
		     co->insn.info->op == X86_OP_POP_SREG))
			bt_sreg_cache_note(cpu, bt_sreg_operand(&co->insn));
	}
	cpu->bt.in_cache = 1;
	running_callout = NULL;
	if (co->adapted)
		adapt_callout_ran(co->eip, key,
				  r != VCPU_EXIT_NONE ||
					  watched_accesses() != watched);
	if (r != VCPU_EXIT_NONE) {
		cpu->bt.pending_exit = r;
		return 1;
	}
	/* After a miss stub the block would start the instruction again. */
	if (co->cat == BT_CAT_UTLB_MISS) {
		if (BT_KEY_USER(key) && cpu->cpl != 3)
			bt_utlb_note_fault(); /* it raised an exception */
		return 1;
	}
	if (co->cat != BT_CAT_STEP &&
	    ((co->insn.info->flags & X86_F_STOP) || cpu->eip != co->next_eip))
		return 1;
	/* An instruction of no sensitive class (an MMIO access, a store
	 * to a watched frame) cannot change the mode: an exception it
	 * raised moved EIP, seen above. */
	sensitive = co->cat == BT_CAT_STEP || co->insn.info->sens != SENS_NONE;
	if (callout_leaves(cpu, key, generation, sensitive))
		return 1;
	/* A CR3 write may have switched the shadow's address space. */
	return sensitive && sync_gs(cpu, BT_KEY_USER(key)) < 0;
}

/* ---- signals ------------------------------------------------------------ */

static bool in_range(uintptr_t rip, const uint8_t *lo, const uint8_t *hi)
{
	return rip >= (uintptr_t)lo && rip < (uintptr_t)hi;
}

/* Index of the guest instruction whose host code holds `off`. */
static unsigned insn_at(const struct tc_block *b, uint32_t off)
{
	unsigned i = 0;

	while (i + 1 < b->n_insns && b->map[i + 1].host_off <= off)
		i++;
	return i;
}

/* A fill of a kernel block: was it a user page of a space on the user
 * TLB, a write, or a page the guest remapped (adapt_kernel_fill)? Signal
 * context. */
static void note_kernel_fill(struct vcpu *cpu, const struct tc_block *b,
			     uint32_t lin, uint32_t host_off, bool write)
{
	struct mmu_walk_result r;
	uint32_t err;

	if (BT_KEY_USER(b->key) || (b->key & BT_KEY_TLB))
		return;
	if (!write && !shadow_fill_moved() &&
	    (!utlb_in_use() ||
	     mmu_walk(cpu, lin, MMU_ACC_USER | MMU_ACC_NOSET, &r, &err) < 0))
		return;
	adapt_kernel_fill(b->eip + b->map[insn_at(b, host_off)].guest_off,
			  b->key);
}

enum bt_sample bt_sample_at(void *ucontext, uint32_t *eip, bool *user)
{
	ucontext_t *uc = ucontext;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	const struct bt_callout *co = running_callout;
	enum bt_sample where = BT_SAMPLE_CACHE;
	struct tc_block *b;

	if (co) {
		*eip = co->eip;
		*user = BT_KEY_USER(co->block->key);
		return BT_SAMPLE_CALLOUT;
	}
	if (!bt_cache_contains((void *)rip)) {
		rip = faulting_rip;
		where = BT_SAMPLE_FAULT;
	} else if (in_range(rip, bt_tramps.callout, bt_tramps.callout_end)) {
		/* The call's last byte: inside the calling instruction. */
		rip = *(uintptr_t *)(uintptr_t)bt_rs_callout_rsp(
			      (uint64_t)g[REG_RSP]) -
		      1;
	}
	b = rip ? bt_block_at((void *)rip) : NULL;
	if (!b)
		return BT_SAMPLE_NONE;
	/* The guest instruction, not only its block (a block's body map
	 * also covers its exit stubs: they count for the last one). */
	*eip = b->eip + b->map[insn_at(b, (uint32_t)(rip - (uintptr_t)b->host))]
				.guest_off;
	*user = BT_KEY_USER(b->key);
	return where;
}

void bt_kick_from_signal(struct vcpu *cpu, void *ucontext)
{
	ucontext_t *uc = ucontext;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	struct tc_block *b;

	STAT_INC(bt_kicks);
	cpu->bt.ibl_table = (uint64_t)(uintptr_t)bt_ibl_empty;
	cpu->bt.enter_target = (uint64_t)(uintptr_t)bt_tramps.kick_exit;
	if (!bt_cache_contains((void *)rip))
		return;
	/* The block being executed, and where its returns go: the top of
	 * the return stack (in the callout trampoline, the return address
	 * into the block that called is there too). */
	b = bt_block_at((void *)rip);
	if (b)
		bt_unlink_block(b);
	bt_rs_kick((uint64_t)g[REG_RSP]);
}

static bool fault_from_signal(struct vcpu *cpu, int sig, void *siginfo,
			      void *ucontext);

bool bt_fault_from_signal(struct vcpu *cpu, int sig, void *siginfo,
			  void *ucontext)
{
	ucontext_t *uc = ucontext;
	bool handled;

	faulting_rip = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	handled = fault_from_signal(cpu, sig, siginfo, ucontext);
	faulting_rip = 0;
	return handled;
}

static bool fault_from_signal(struct vcpu *cpu, int sig, void *siginfo,
			      void *ucontext)
{
	siginfo_t *si = siginfo;
	ucontext_t *uc = ucontext;
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t rip = (uintptr_t)g[REG_RIP];
	struct tc_block *b = bt_block_at((void *)rip);
	uint64_t addr = (uint64_t)(uintptr_t)si->si_addr, view_base;
	int vector = -1;
	uint32_t err = 0;
	unsigned i;

	if (!b)
		return false;
	if (sig == SIGSEGV && bt_rs_guard_fault(addr, ucontext))
		return true;
	STAT_INC(bt_faults);
	view_base = shadow_current_base(BT_KEY_USER(b->key));
	switch (sig) {
	case SIGSEGV:
		/* Only the block's own view counts (CPL 3 code: a user
		 * view, other code: a kernel view). An access that wraps
		 * at 4 GiB faults in the last page or in the guard above
		 * it: the guest sees #GP (limit) or #PF, which the
		 * interpreter works out. */
		if (addr >= view_base && addr - view_base < 0xfffff000ull &&
		    (si->si_code == SEGV_MAPERR ||
		     si->si_code == SEGV_ACCERR)) {
			uint32_t lin = (uint32_t)(addr - view_base);
			unsigned acc = (g[REG_ERR] & 2) ? SHADOW_ACC_WRITE : 0;

			switch (shadow_fault(cpu, addr, acc, &err)) {
			case SHADOW_FILLED:
				note_kernel_fill(
					cpu, b, lin,
					(uint32_t)(rip - (uintptr_t)b->host),
					acc & SHADOW_ACC_WRITE);
				return true;
			case SHADOW_GUEST_PF:
				vector = X86_EXC_PF;
				cpu->cr2 = lin;
				break;
			case SHADOW_EMULATE:
				vector = -1;
				break;
			}
		} else {
			vector = -1; /* let the interpreter find out */
		}
		break;
	case SIGFPE:
		/* An x87 (#MF) or SIMD (#XM) error: the interpreter runs the
		 * instruction again and raises what the guest's CR0.NE and
		 * CR4.OSXMMEXCPT say (FERR#, #UD). */
		vector = X86_EXC_DE;
		if (g[REG_TRAPNO] == X86_EXC_MF || g[REG_TRAPNO] == X86_EXC_XM)
			vector = -1;
		break;
	case SIGILL:
		vector = X86_EXC_UD;
		break;
	default:
		vector = -1;
		break;
	}
	i = insn_at(b, (uint32_t)(rip - (uintptr_t)b->host));
	cpu->eip = b->eip + b->map[i].guest_off;
	cpu->bt.fault_vector = vector;
	cpu->bt.fault_error = err;
	cpu->bt.exit_reason = BT_EXIT_FAULT;
	g[REG_RIP] = (greg_t)(uintptr_t)bt_tramps.fault_exit;
	return true;
}

/* ---- the loop ------------------------------------------------------------ */

static enum vcpu_exit take_kick(struct vcpu *cpu)
{
	enum vcpu_exit r;

	if (!__atomic_exchange_n(&cpu->kick, 0, __ATOMIC_ACQUIRE))
		return VCPU_EXIT_NONE;
	r = cpu->stop_reason;
	cpu->stop_reason = VCPU_EXIT_NONE;
	return r != VCPU_EXIT_NONE ? r : VCPU_EXIT_EVENT;
}

/* One interpreter step at CPL 0 outside the cache, counted as a
 * fallback when it executed an instruction (not just an interrupt). */
static enum vcpu_exit kernel_step(struct vcpu *cpu)
{
	uint64_t before = stats.insns_interp;
	enum vcpu_exit r = bt_interp_step(cpu);

	if (stats.insns_interp != before)
		STAT_INC(bt_kernel_interp_steps);
	return r;
}

/*
 * With --direct-exec, guest user code runs directly on the CPU
 * (src/monitor/de.c); what it cannot do comes back here and is done by
 * the interpreter, which then runs the guest kernel's handler entry (and
 * the cache the rest of it).
 */
static enum vcpu_exit run_user(struct vcpu *cpu)
{
	struct de_exit_info info;
	uint64_t t0 = __builtin_ia32_rdtsc();
	enum de_exit e = de_run(cpu, &info);

	STAT_ADD(de_cycles, __builtin_ia32_rdtsc() - t0);
	STAT_INC(de_runs);
	switch (e) {
	case DE_EXIT_SYSCALL:
		STAT_INC(de_syscalls);
		if (info.eip_lost) {
			/* The host's fast path took it (de.h): run the
			 * instruction from its known bytes. sysenter needs
			 * no EIP unless it faults; syscall is #UD here, at
			 * the EIP DE entered with (docs/direct-execution.md,
			 * holes). */
			struct x86_insn in;
			const uint8_t bytes[2] = {
				0x0f,
				info.syscall == DE_SC_SYSENTER ? 0x34 : 0x05};

			STAT_INC(de_fast_path_syscalls);
			x86_decode(&in, bytes, 2, true);
			return bt_interp_exec(cpu, &in, cpu->eip);
		}
		/* Execute int n / sysenter with the architecture's rules. */
		cpu->eip -= info.insn_len;
		return bt_interp_step(cpu);
	case DE_EXIT_FAULT:
		STAT_INC(de_faults);
		if (info.vector == X86_EXC_DB)
			cpu->dr[6] |= info.dr6;
		return bt_interp_exception(cpu, info.vector, info.has_error,
					   info.error_code);
	case DE_EXIT_EMULATE:
		STAT_INC(de_emulations);
		if (info.emulate == DE_EMU_SEGMENT)
			return VCPU_EXIT_NONE; /* another engine runs it */
		return bt_interp_step(cpu);
	case DE_EXIT_KICK:
		STAT_INC(de_kicks);
		/* DE took the kick flag: report the event it stood for. */
		if (cpu->stop_reason != VCPU_EXIT_NONE) {
			enum vcpu_exit r = cpu->stop_reason;

			cpu->stop_reason = VCPU_EXIT_NONE;
			return r;
		}
		return VCPU_EXIT_EVENT;
	case DE_EXIT_ERROR:
	default:
		return VCPU_EXIT_ERROR;
	}
}

static struct tc_block *block_for(struct vcpu *cpu, uint32_t key)
{
	struct tc_block *b = bt_lookup(cpu->eip, key);

	return b ? b : bt_translate(cpu, key);
}

static void sync_counters(struct vcpu *cpu)
{
	stats.bt_blocks = cpu->bt.blocks;
	stats.insns_bt = cpu->bt.insns;
	stats.bt_ibl_lookups = cpu->bt.ibl_lookups;
	stats.bt_rs_returns = cpu->bt.rs_returns;
	stats.bt_rs_misses = cpu->bt.rs_misses;
}

enum vcpu_exit bt_run(struct vcpu *cpu, uint64_t budget)
{
	struct bus *bus = &cpu->machine->bus;
	bool direct = cpu->machine->opt.direct_exec;
	enum vcpu_exit r;

	(void)budget;
	for (;;) {
		struct tc_block *b;
		uint32_t key, reason;

		r = take_kick(cpu);
		if (r != VCPU_EXIT_NONE)
			return r;
		bt_utlb_policy_poll();
		if (cpu->bt.pending_exit) {
			r = (enum vcpu_exit)cpu->bt.pending_exit;
			cpu->bt.pending_exit = 0;
			return r;
		}
		/* Direct execution shows user code the host's IF=1, IOPL=0
		 * (pushf, popf): only a guest in exactly that state runs
		 * there; any other is translated, which is exact. Nor does
		 * it run while an NMI is latched or blocked (an IRET it ran
		 * natively would not unblock NMIs). */
		if (cpu->cpl == 3 && direct && !cpu->halted &&
		    !cpu->intr_shadow &&
		    (cpu->eflags & (X86_FL_TF | X86_FL_IF | X86_FL_IOPL)) ==
			    X86_FL_IF &&
		    !(bus->intr && (cpu->eflags & X86_FL_IF)) &&
		    !cpu->nmi_pending && !cpu->nmi_blocked && de_can_run(cpu)) {
			r = run_user(cpu);
			if (r != VCPU_EXIT_NONE)
				return r;
			continue;
		}
		if (!bt_mode_ok(cpu) || cpu->intr_shadow || cpu->halted ||
		    (cpu->eflags & X86_FL_TF) ||
		    (bus->intr && (cpu->eflags & X86_FL_IF)) ||
		    vcpu_nmi_ready(cpu)) {
			/* The interpreter: one instruction (or interrupt)
			 * the cache can take back at once; a slice of user
			 * code the cache cannot run (v8086 mode, 16-bit
			 * code). */
			STAT_INC(bt_interp_slices);
			if (cpu->cpl == 3 && !cpu->halted && !bt_mode_ok(cpu)) {
				cpu->interp_stop_at_cpl0 = true;
				r = bt_interp_run(cpu, 10000);
				cpu->interp_stop_at_cpl0 = false;
				if (r == VCPU_EXIT_BUDGET)
					r = VCPU_EXIT_NONE;
			} else {
				r = kernel_step(cpu);
			}
			if (r != VCPU_EXIT_NONE)
				return r;
			continue;
		}

		key = bt_mode_key(cpu);
		b = block_for(cpu, key);
		if (!b) {
			/* Declined: the interpreter runs this instruction. */
			STAT_INC(bt_declined);
			r = kernel_step(cpu);
			if (r != VCPU_EXIT_NONE)
				return r;
			continue;
		}

		/* User code on the user TLB reaches no view (physmap only):
		 * the direct view keeps the last mapped space's pages. */
		if (BT_KEY_USER(key) && !(key & BT_KEY_TLB))
			shadow_user_sync(cpu);
		if (sync_gs(cpu, BT_KEY_USER(key)) < 0) {
			snprintf(cpu->error, sizeof(cpu->error),
				 "cannot set the host GS base");
			return VCPU_EXIT_ERROR;
		}
		/* After block_for(): a translation may have flushed the
		 * cache, and with it every table. */
		if (key != current_key ||
		    ibl_table_flushes != bt_ibl_flushes()) {
			ibl_table = bt_ibl_select(key);
			current_key = key;
			ibl_table_flushes = bt_ibl_flushes();
		}
		cpu->bt.enter_target = (uint64_t)(uintptr_t)b->host;
		cpu->bt.ibl_table = (uint64_t)(uintptr_t)ibl_table;
		if (__atomic_load_n(&cpu->kick, __ATOMIC_ACQUIRE))
			continue;
		reason = bt_tramps.enter(cpu);
		adapt_apply();
		cpu->bt.mmio_key = 0; /* the loop may change anything */
		STAT_INC(bt_exits);
		if (bt_count_blocks)
			sync_counters(cpu);

		switch (reason) {
		case BT_EXIT_CHAIN: {
			struct tc_exit *x =
				(struct tc_exit *)(uintptr_t)cpu->bt.exit_site;
			struct tc_block *to;
			uint64_t flushes;

			if (x->owner->dead)
				break;
			if (x->linked) {
				/* Unlinked by a kick: link again. */
				patch_rel32(x->site, bt_chain_target(x));
				break;
			}
			flushes = stats.bt_cache_flushes;
			to = block_for(cpu, key);
			/* A flush while translating frees `x` itself. */
			if (to && flushes == stats.bt_cache_flushes &&
			    !x->owner->dead)
				bt_chain(x, to);
			break;
		}
		case BT_EXIT_IBL_MISS: {
			struct tc_block *to = block_for(cpu, key);

			STAT_INC(bt_ibl_misses);
			if (to)
				bt_ibl_insert(cpu, to);
			break;
		}
		case BT_EXIT_DETACHED: {
			/* Its page maps another frame now (or nothing): what
			 * led here is unhooked; the loop finds what EIP means
			 * now (an IBL entry of the same slot comes back). */
			struct tc_block *from = (struct tc_block *)(uintptr_t)
							cpu->bt.exit_site,
					*to;

			cpu->eip = from->eip;
			bt_detached_entered(from);
			to = block_for(cpu, key);
			if (to)
				bt_ibl_insert(cpu, to);
			break;
		}
		case BT_EXIT_FAULT:
			if (cpu->bt.fault_vector >= 0) {
				bool has_err =
					cpu->bt.fault_vector == X86_EXC_PF;

				r = bt_interp_exception(
					cpu, cpu->bt.fault_vector, has_err,
					cpu->bt.fault_error);
			} else {
				bt_adapt_fault(cpu, cpu->eip);
				r = bt_interp_step(cpu);
			}
			if (r != VCPU_EXIT_NONE)
				return r;
			break;
		default:
			break;
		}
	}
}
