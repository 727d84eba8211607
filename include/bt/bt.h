/*
 * bt.h - the binary translation engine (--engine=bt).
 *
 * Guest kernel code (CPL 0, flat 32-bit segments) runs from a code cache
 * of 64-bit host code; anything else (real mode, non-flat segments, user
 * code until direct execution takes it) falls back to the interpreter.
 * Runs on the vCPU thread.
 */
#ifndef BT386_BT_BT_H
#define BT386_BT_BT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "vcpu.h"

struct machine;

/* Set up the code cache and trampolines (cache_size 0: default). */
int bt_init(struct machine *m, uint32_t cache_size, bool count_blocks);

/*
 * Can the host GS base change without a system call (user-space
 * FSGSBASE)? Translated code reaches the shadow's views through gs:, and
 * the base changes with every CPL change when user code has its own views
 * per address space; without FSGSBASE user code uses the direct view.
 */
bool bt_gs_switch_cheap(void);

/* --user-tlb=auto: start the per-space policy's CPU-time tick, on the
 * vCPU thread (bt/utlb_policy.c). Without it every space keeps the user
 * TLB. */
int bt_user_tlb_start(struct machine *m);
/* How translated kernel code reaches guest memory, for --stats: through
 * the kernel TLB or host mappings (--kernel-tlb). */
void bt_kernel_tlb_describe(char *buf, size_t len);
/* Forget every translation (reboot). */
void bt_reset(struct machine *m);

/* --trace=bt: print each block beside its translation. */
extern bool bt_trace_on;
/* --trace=perf: a perf(1) map of the code cache, /tmp/perf-PID.map (one
 * line per block, named by its guest EIP and privilege), so that `perf
 * report` names translated code. NULL when off. */
extern FILE *bt_perf_map;

/* Run guest code until the monitor is needed (like bt_interp_run). */
enum vcpu_exit bt_run(struct vcpu *cpu, uint64_t budget);

/* Guest MMU events that may change which code a linear EIP means. */
void bt_cr3_written(struct vcpu *cpu);
void bt_invlpg(struct vcpu *cpu, uint32_t lin);
void bt_paging_changed(struct vcpu *cpu);

/* Signal context: a kick arrived; make translated code return soon. */
void bt_kick_from_signal(struct vcpu *cpu, void *ucontext);
/* Signal context (the profiler): what the interrupted vCPU thread runs
 * for the translator, with the guest EIP (of the block, or of the
 * callout's instruction) and whether it is CPL 3 code. */
enum bt_sample {
	BT_SAMPLE_NONE,	   /* not translated code's: the loop, the devices */
	BT_SAMPLE_CACHE,   /* translated code */
	BT_SAMPLE_FAULT,   /* a host fault of translated code (shadow fills) */
	BT_SAMPLE_CALLOUT, /* a callout (sensitive instruction, MMIO, ...) */
};
enum bt_sample bt_sample_at(void *ucontext, uint32_t *eip, bool *user);
/* Signal context: a host fault; true if it was handled (the context is
 * redirected to the exit path or the access restarts). */
bool bt_fault_from_signal(struct vcpu *cpu, int sig, void *siginfo,
			  void *ucontext);

#endif
