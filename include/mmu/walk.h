/*
 * walk.h - walks of the guest's two-level page tables.
 *
 * Reads the guest page directory and tables through physmap, applies the
 * architecture's permission rules (U/S, R/W, CR0.WP, PSE 4 MiB pages) and
 * sets Accessed (and Dirty on writes) as hardware does. Used by the
 * interpreter's TLB, by shadow-page fills and by the debugger.
 */
#ifndef BT386_MMU_WALK_H
#define BT386_MMU_WALK_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;
struct guest_mem;

/* Access kinds for a walk. */
#define MMU_ACC_WRITE 0x1
#define MMU_ACC_USER 0x2  /* access made with CPL 3 privileges */
#define MMU_ACC_FETCH 0x4 /* instruction fetch */
#define MMU_ACC_NOSET 0x8 /* do not set A/D bits (debugger peeks) */

struct mmu_walk_result {
	uint32_t paddr;	    /* physical address of the byte */
	uint32_t pte;	    /* the final entry (PTE or 4 MiB PDE) */
	uint32_t pte_paddr; /* where that entry lives */
	uint32_t pde_paddr; /* where the PDE lives */
	bool large;	    /* 4 MiB page */
	bool writable;	    /* a write with these privileges would succeed */
	bool user;	    /* user-accessible */
	bool global;	    /* G bit honoured (CR4.PGE) */
	uint32_t pde; /* the PDE used (A set unless NOSET); 0 with paging off */
};

/*
 * Translate `lin` for an access of kind `acc` (MMU_ACC_*) under the vCPU's
 * CR0/CR3/CR4. Returns 0 and fills `res`, or returns -1 and sets *pf_error
 * to the #PF error code the guest must see (the caller raises #PF with
 * CR2 = lin). With paging off, linear = physical.
 */
int mmu_walk(struct vcpu *cpu, uint32_t lin, unsigned acc,
	     struct mmu_walk_result *res, uint32_t *pf_error);

#endif
