/*
 * stats.h - the monitor's counters, printed by --stats.
 *
 * Every counter is declared once in STATS_COUNTERS and lives in one global
 * struct, so incrementing one is a plain add (no locks: counters are only
 * written on the vCPU thread; the I/O thread has its own, marked io_).
 * Arrays (per vector, per opcode) are declared separately below.
 */
#ifndef BT386_MONITOR_STATS_H
#define BT386_MONITOR_STATS_H

#include <stdint.h>
#include <stdio.h>

#include "bt/ops.h"

/* X(name, description) */
#define STATS_COUNTERS(X)                                                      \
	X(insns_interp, "instructions executed by the interpreter")            \
	X(insns_bt, "guest instructions executed in the code cache")           \
	X(interrupts, "external interrupts delivered")                         \
	X(nmis, "NMIs delivered")                                              \
	X(exceptions, "exceptions delivered")                                  \
	X(double_faults, "double faults")                                      \
	X(triple_faults, "triple faults")                                      \
	X(pio_reads, "port reads")                                             \
	X(pio_writes, "port writes")                                           \
	X(pio_unclaimed, "accesses to unclaimed ports")                        \
	X(mmio_accesses, "MMIO accesses")                                      \
	X(tlb_flushes, "interpreter TLB flushes")                              \
	X(tlb_misses, "interpreter TLB misses (page walks)")                   \
	X(hlt_waits, "hlt: waits for an interrupt")                            \
	X(exits_event, "exits for host events")                                \
	X(exits_budget, "exits when the instruction budget ran out")           \
	X(mode_switches, "CPU mode changes (real/protected/paging)")           \
	X(task_switches, "hardware task switches")                             \
	X(interp_unsupported, "instructions the interpreter does not know")    \
	X(interp_fpu_host, "x87/MMX/SSE instructions run on the host FPU")     \
	X(interp_fpu_simd_faults, "unmasked SIMD exceptions (#XM) raised")     \
	X(interp_fpu_ferr, "x87 errors signalled on FERR# (IRQ 13)")           \
	X(shadow_fills, "hidden page faults filled")                           \
	X(shadow_fills_user, "of which in a user view")                        \
	X(shadow_eager_fills, "pages mapped when their PTE was written")       \
	X(shadow_guest_pf, "host faults that were guest page faults")          \
	X(shadow_emulated, "host faults emulated (traced/code/MMIO)")          \
	X(shadow_unmaps, "shadow pages dropped")                               \
	X(shadow_flushes, "whole-shadow flushes")                              \
	X(shadow_cr3_writes, "CR3 writes seen by the shadow")                  \
	X(shadow_space_hits, "CR3 switches to a cached address space")         \
	X(shadow_space_trades,                                                 \
	  "CR3 switches that traded views (no GS change)")                     \
	X(shadow_space_misses, "CR3 switches that recycled an address space")  \
	X(shadow_pages_mapped, "shadow pages mapped now")                      \
	X(shadow_pages_peak, "shadow pages mapped at most")                    \
	X(traces, "frames traced as page tables")                              \
	X(trace_hits, "writes to traced page-table frames")                    \
	X(code_frame_writes, "writes to frames holding translated code")       \
	X(bt_translations, "blocks translated")                                \
	X(bt_guest_insns_translated, "guest instructions translated")          \
	X(bt_blocks, "translated blocks executed (counted with --stats)")      \
	X(bt_chains, "direct exits chained")                                   \
	X(bt_ibl_lookups, "indirect branches executed (with --stats)")         \
	X(bt_ibl_misses, "indirect branches that missed the table")            \
	X(bt_rs_returns, "near returns executed (with --stats)")               \
	X(bt_rs_misses, "of them, not predicted by the return stack")          \
	X(bt_rs_overflows, "return stack emptied when full")                   \
	X(bt_page_revalidations,                                               \
	  "translated pages checked against the guest tables")                 \
	X(bt_ibl_table_resets,                                                 \
	  "indirect-branch tables (re)initialised for a mode key")             \
	X(bt_exits, "exits from the code cache")                               \
	X(bt_callouts, "callouts executed")                                    \
	X(bt_interp_fallbacks, "instructions declined to the interpreter")     \
	X(bt_interp_slices, "interpreter runs for modes BT cannot run")        \
	X(bt_utlb_fills, "user TLB misses filled by a page walk")              \
	X(bt_utlb_misses,                                                      \
	  "user TLB misses run by the interpreter (faults, MMIO, ...)")        \
	X(utlb_to_mapped,                                                      \
	  "address spaces moved from the user TLB to host mappings")           \
	X(utlb_to_tlb, "address spaces moved back to the user TLB, for good")  \
	X(utlb_user_ticks, "policy ticks of user code")                        \
	X(bt_kernel_interp_steps,                                              \
	  "instructions interpreted outside the cache")                        \
	X(bt_declined, "blocks not translated (fault, MMIO, interp-only)")     \
	X(bt_page_crossing_steps,                                              \
	  "instructions across two pages, interpreted")                        \
	X(bt_cache_flushes, "code cache flushes")                              \
	X(bt_invalidations, "blocks invalidated")                              \
	X(bt_page_detaches, "code pages detached (mapping gone, blocks kept)") \
	X(bt_detached_entries,                                                 \
	  "blocks of detached pages entered through their guards")             \
	X(bt_page_reattaches, "code pages reattached (blocks reused)")         \
	X(bt_page_rebinds, "code pages reused for a copy of their frame")      \
	X(bt_hash_survivals, "blocks kept after a write (same bytes)")         \
	X(bt_faults, "host faults in translated code")                         \
	X(bt_kicks, "kicks while in the code cache")                           \
	X(bt_gs_switches, "host GS base changes (shadow view switches)")       \
	X(bt_fast_movs, "callouts done by the fast mov path")                  \
	X(bt_sreg_cache_fills, "segment loads cached for translated code")     \
	X(bt_adaptations, "instructions retranslated as callouts")             \
	X(bt_unadaptations, "adapted instructions translated inline again")    \
	X(bt_tlb_adaptations,                                                  \
	  "kernel instructions moved to the kernel TLB (fills, upgrades)")     \
	X(de_runs, "direct execution: entries")                                \
	X(de_cycles, "direct execution: TSC cycles (entry to exit)")           \
	X(de_syscalls, "direct execution: system call exits")                  \
	X(de_fast_path_syscalls,                                               \
	  "direct execution: sysenter/syscall stopped on the host fast path")  \
	X(de_faults, "direct execution: exception exits")                      \
	X(de_emulations, "direct execution: instructions emulated")            \
	X(de_kicks, "direct execution: kicks")

struct stats {
#define STATS_FIELD(name, desc) uint64_t name;
	STATS_COUNTERS(STATS_FIELD)
#undef STATS_FIELD
	uint64_t exceptions_by_vector[32];
	uint64_t interp_by_op[X86_OP_COUNT];
	uint64_t bt_callouts_by_op[X86_OP_COUNT];
	uint64_t bt_interp_by_op[X86_OP_COUNT];
};

extern struct stats stats;
/* CLOCK_MONOTONIC at start-up (for shares of the run time). */
extern uint64_t stats_start_ns;

#define STAT_INC(name) (stats.name++)
#define STAT_ADD(name, n) (stats.name += (n))

/* Print every non-zero counter. */
void stats_print(FILE *out);

#endif
