/*
 * interp.h - the interpreter: the reference engine.
 *
 * Executes guest code one instruction at a time in any mode (real,
 * protected, virtual-8086, paging on or off), reaching memory only through
 * its own page walks and physmap, so it is correct in any state and can
 * emulate any single instruction another engine declines or that faulted.
 * Runs on the vCPU thread.
 */
#ifndef BT386_BT_INTERP_H
#define BT386_BT_INTERP_H

#include <stdint.h>

#include "vcpu.h"

/*
 * Run until `budget` instructions have executed, or something needs the
 * monitor (kick, hlt, shutdown, an error). Delivers pending external
 * interrupts at instruction boundaries when the guest can take them.
 */
enum vcpu_exit bt_interp_run(struct vcpu *cpu, uint64_t budget);

/* Execute exactly one instruction (or deliver one pending interrupt). */
enum vcpu_exit bt_interp_step(struct vcpu *cpu);

/* Forget every cached translation of linear addresses (TLB flush). */
void bt_interp_flush_tlb(struct vcpu *cpu);

#endif
