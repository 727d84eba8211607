/*
 * shadow.h - shadow mappings of the guest's linear address space.
 *
 * A guest linear page that is valid for the current view is mapped at the
 * same host address in the low 4 GiB, from the RAM memfd (DESIGN.md
 * section 4). Translated kernel code and directly executed user code then
 * reach guest memory with ordinary host loads and stores; everything else
 * in the low 4 GiB stays PROT_NONE, so a missing mapping is a host
 * SIGSEGV that shadow_fault() resolves (a hidden page fault) or turns into
 * a guest #PF.
 *
 * Coherency with the guest's page tables: every frame used as a page
 * directory or page table by a fill is "traced": write-protected wherever
 * it is mapped. A guest write to a traced frame is emulated (by the
 * interpreter, through physmap) and reported with mmu_frame_written(),
 * which drops exactly the shadow mappings that depended on the entries
 * written. Frames holding translated code are protected the same way for
 * the translator.
 *
 * Views: the shadow is built for one privilege view at a time. The kernel
 * view (CPL 0) maps what the guest's supervisor may touch; the user view
 * (CPL 3, direct execution) never maps supervisor pages.
 *
 * Threading: everything runs on the vCPU thread. shadow_fault() may run in
 * signal context (SIGSEGV handler): it does not allocate, lock or print.
 */
#ifndef BT386_MMU_SHADOW_H
#define BT386_MMU_SHADOW_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct vcpu;

/* Per-frame flags (one byte per 4 KiB frame of guest RAM). */
#define FRAME_PT 0x01	/* used as a page directory or page table */
#define FRAME_CODE 0x02 /* holds code the translator has translated */
#define FRAME_WATCHED (FRAME_PT | FRAME_CODE)

/* Results of shadow_fault(). */
enum shadow_result {
	SHADOW_FILLED,	 /* mapped: restart the access */
	SHADOW_GUEST_PF, /* the guest's own page fault: deliver #PF */
	SHADOW_EMULATE,	 /* emulate the instruction (traced/code frame,
			    * MMIO, page below vm.mmap_min_addr, a write a
			    * read-only mapping cannot express) */
};

/* Access kinds for shadow_fault(), as in mmu/walk.h. */
#define SHADOW_ACC_WRITE 0x1
#define SHADOW_ACC_FETCH 0x4

/* Set up (once, after mem_init). The low 4 GiB must be reserved. */
int shadow_init(struct machine *m);

/* The per-frame flag array (frame_flags[paddr >> 12]); physmap writers
 * (interpreter, devices) check it and call mmu_frame_written(). */
extern uint8_t *mmu_frame_flags;

/* Resolve a host fault at guest linear address `lin` (signal-safe). On
 * SHADOW_GUEST_PF, *pf_error is the guest #PF error code. */
enum shadow_result shadow_fault(struct vcpu *cpu, uint32_t lin, unsigned acc,
				uint32_t *pf_error);

/* Guest MMU events, with hardware semantics. */
void shadow_cr3_written(struct vcpu *cpu, uint32_t old_cr3);
void shadow_invlpg(struct vcpu *cpu, uint32_t lin);
void shadow_paging_changed(struct vcpu *cpu); /* CR0.PG/WP, CR4.PSE/PGE */
void shadow_flush_all(struct vcpu *cpu);

/* Switch between the kernel (false) and user (true) view. */
void shadow_set_user_view(struct vcpu *cpu, bool user);

/*
 * A physmap writer changed guest physical [paddr, paddr + len) in frames
 * that have FRAME_WATCHED flags: drop the shadow mappings that depended on
 * changed page-table entries, and tell the translator about code frames.
 */
void mmu_frame_written(struct machine *m, uint32_t paddr, uint32_t len);

/* Translator: protect / release a frame that holds translated code. */
void shadow_protect_code(struct machine *m, uint32_t frame);
void shadow_unprotect_code(struct machine *m, uint32_t frame);
/* Translator: called for writes to FRAME_CODE frames. */
void shadow_set_code_write_hook(void (*hook)(struct machine *m, uint32_t paddr,
					     uint32_t len));

/* Counters for --stats are in monitor/stats.h (shadow_*). */

#endif
