/*
 * events.h - guest MMU events, with hardware semantics, fanned out to
 * every layer that caches translations: the interpreter's TLB (flushed by
 * the interpreter itself), the shadow mappings and the translator's code
 * pages. Called by the interpreter where the architecture changes them
 * (mov cr0/cr3/cr4, invlpg, task switches).
 */
#ifndef BT386_MMU_EVENTS_H
#define BT386_MMU_EVENTS_H

#include <stdint.h>

struct vcpu;

void mmu_cr3_written(struct vcpu *cpu, uint32_t old_cr3);
void mmu_invlpg(struct vcpu *cpu, uint32_t lin);
/* CR0.PG/WP/PE or CR4.PSE/PGE changed. */
void mmu_paging_changed(struct vcpu *cpu);

#endif
