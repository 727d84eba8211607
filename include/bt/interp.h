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

#include <stdbool.h>
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

/*
 * Execute an instruction already decoded at `eip` (the translator's
 * callouts): exceptions are delivered as for any interpreted instruction.
 */
struct x86_insn;
enum vcpu_exit bt_interp_exec(struct vcpu *cpu, const struct x86_insn *in,
			      uint32_t eip);

/*
 * The translator's fast path for a plain mov to or from memory (its
 * callouts for MMIO and watched frames): true if done (EIP = next_eip),
 * false, with nothing changed, if the interpreter must run it (a page
 * fault, a page crossing, a form or state it does not take). `flat`: the
 * block's data segments are flat.
 */
bool bt_interp_fast_mov(struct vcpu *cpu, const struct x86_insn *in,
			uint32_t next_eip, bool flat);

/* Deliver an exception at cpu->eip (a fault another engine detected). */
enum vcpu_exit bt_interp_exception(struct vcpu *cpu, int vector, bool has_err,
				   uint32_t err);

/* Forget every cached translation of linear addresses (TLB flush). */
void bt_interp_flush_tlb(struct vcpu *cpu);
/*
 * The software TLBs of translated code (cpu->bt.tlb[], bt/utlb.c): the
 * user TLB (CPL 3 accesses) and the kernel TLB (supervisor accesses),
 * flushed with the interpreter's.
 *  - bt_utlb_flush: every entry of both, or all but global ones;
 *  - bt_utlb_flush_page: INVLPG of lin;
 *  - bt_utlb_note_reload: CR3 is about to be reloaded with the same
 *    directory (before the flush);
 *  - bt_utlb_frame_watched: `frame` has just become a page table or
 *    translated code: no entry may keep writing it;
 *  - bt_utlb_fill: a miss (bt/translate_utlb.c) of the kernel or the
 *    user TLB: walk, fill; true if an access of `size` bytes at `lin`
 *    now hits the entry.
 */
void bt_utlb_flush(struct vcpu *cpu, bool include_global);
void bt_utlb_flush_page(struct vcpu *cpu, uint32_t lin);
void bt_utlb_note_reload(struct vcpu *cpu);
void bt_utlb_frame_watched(struct vcpu *cpu, uint32_t frame);
bool bt_utlb_fill(struct vcpu *cpu, bool kernel, uint32_t lin, unsigned size,
		  bool write);

#endif
