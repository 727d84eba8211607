/*
 * utlb_policy.c - per address space, the user TLB or host mappings for
 * guest user code (--user-tlb=auto; docs/user-code-engine.md).
 *
 * The user TLB (translate_utlb.c) makes a guest page fault or PTE change
 * cost no host signal and no host call, but every guest memory access of
 * user code pays a check: memory-heavy user compute runs up to 3x slower
 * than through host mappings. Host mappings cost a host fault (signal +
 * mprotect/mmap, ~5-10 us) per page the space touches after each change.
 * Neither cost shows in the guest, so the policy measures:
 *
 *  - A new space starts on the user TLB (short-lived processes, fork and
 *    exec, page-table-heavy work never pay a host fault).
 *  - A timer on the vCPU thread's CPU time (TICK_NS) charges each tick to
 *    the current space. After EVAL_TICKS ticks of user code on the user
 *    TLB, the space has been computing: it moves to host mappings unless
 *    it took more than PROMOTE_FAULTS_PER_TICK page faults or INVLPGs of
 *    its cached pages per tick, each of which would cost host faults or
 *    host calls there (bench ptedit moved, and lost 5x, without the
 *    INVLPGs counted).
 *    A CR3 reload of the same directory (a TLB flush after the kernel
 *    changed the space's PTEs) counts the user pages it drops as edits.
 *    Misses that a walk fills are no sign: they come from the table's
 *    size (and from the interpreter's kernel accesses, which share it).
 *  - A space on host mappings goes back to the user TLB, for good, when
 *    its user pages cost more than DEMOTE_COSTS_PER_TICK host faults and
 *    host calls per tick of its user code: a shell that computed for a
 *    few ticks at start-up (Linux's /init) and then forks (every fork
 *    write-protects its pages: a host call each, and a host fault per
 *    copy-on-write). Pinned, so that no space moves both ways again and
 *    again (that made xv6's usertests 1.6x slower once).
 *
 * The signal handler only counts and, when a decision is due, makes the
 * code cache exit; the decision is taken in the loop (bt_utlb_policy_poll)
 * where changing the mode key is safe.
 */
#include <signal.h>

#include "bt/bt_priv.h"
#include "mmu/shadow.h"
#include "monitor/monitor.h"
#include "monitor/stats.h"

#define TICK_NS 2500000L	  /* 2.5 ms of vCPU thread CPU time */
#define EVAL_TICKS 4		  /* ticks between two decisions */
#define PROMOTE_FAULTS_PER_TICK 5 /* at most, to leave the user TLB */
#define DEMOTE_COSTS_PER_TICK 200 /* more, to come back to it */

static struct vcpu *policy_cpu;
static volatile sig_atomic_t decision_due;

static void on_tick(int sig, siginfo_t *si, void *uc)
{
	struct shadow_space_policy *p;

	(void)sig;
	(void)si;
	if (!policy_cpu)
		return;
	p = shadow_space_policy();
	/* Ticks of user code weigh both ways: the user TLB's checks, the
	 * host mappings' calls. A pinned space has nothing to decide. */
	if (p->pinned || policy_cpu->cpl != 3)
		return;
	STAT_INC(utlb_user_ticks);
	if (++p->ticks < EVAL_TICKS)
		return;
	/* Again at every tick until the loop has taken the decision: a
	 * kick can land before the loop enters the cache. */
	decision_due = 1;
	bt_kick_from_signal(policy_cpu, uc);
}

int bt_utlb_policy_start(struct vcpu *cpu)
{
	static bool started;

	policy_cpu = cpu;
	if (started)
		return 0;
	if (mon_cpu_timer_start(SIGVTALRM, on_tick, TICK_NS) < 0)
		return -1;
	started = true;
	return 0;
}

void bt_utlb_note_fault(void)
{
	shadow_space_policy()->tlb_faults++;
}

bool bt_utlb_policy_poll(void)
{
	struct shadow_space_policy *p;
	uint32_t ticks;

	if (!decision_due)
		return false;
	decision_due = 0;
	p = shadow_space_policy();
	ticks = p->ticks;
	if (ticks < EVAL_TICKS || p->pinned)
		return false;
	if (p->user_tlb &&
	    p->tlb_faults + p->tlb_edits < PROMOTE_FAULTS_PER_TICK * ticks) {
		STAT_INC(utlb_to_mapped);
		shadow_set_user_tlb(false);
		return true;
	}
	if (!p->user_tlb && p->map_costs > DEMOTE_COSTS_PER_TICK * ticks) {
		STAT_INC(utlb_to_tlb);
		p->pinned = true;
		shadow_set_user_tlb(true);
		return true;
	}
	p->ticks = 0;
	p->tlb_faults = 0;
	p->tlb_edits = 0;
	p->map_costs = 0;
	return false;
}
