/*
 * walk.c - walks of the guest's two-level 32-bit page tables.
 *
 * The walk reads entries through physmap and applies the rules of the SDM
 * (Vol. 3, 4.3 and 4.6): a user access needs U in both levels, a user
 * write needs W in both levels, a supervisor write to a read-only page
 * faults only when CR0.WP is set; 4 MiB pages need CR4.PSE; without PSE-36
 * bits 13..21 of a 4 MiB PDE are reserved. Accessed bits are set in every
 * entry used, Dirty in the final entry on a write, only once the access is
 * known to be allowed (hardware never sets A/D for a faulting access).
 *
 * Entries outside guest RAM read as zero (not present): a guest that
 * points CR3 or a PDE past RAM gets page faults, never a monitor crash.
 */
#include "mmu/walk.h"

#include "monitor/machine.h"
#include "vcpu.h"

#define PDE_4M_RESERVED 0x003fe000u /* bits 13..21 */

static uint32_t read_entry(const struct guest_mem *mem, uint32_t paddr)
{
	uint32_t v;

	if (!mem_is_ram(mem, paddr, 4))
		return 0;
	__builtin_memcpy(&v, mem_ptr(mem, paddr), 4);
	return v;
}

static void set_bits(const struct guest_mem *mem, uint32_t paddr,
		     uint32_t entry, uint32_t bits)
{
	if ((entry & bits) == bits || !mem_is_ram(mem, paddr, 4))
		return;
	entry |= bits;
	__builtin_memcpy(mem_ptr(mem, paddr), &entry, 4);
}

int mmu_walk(struct vcpu *cpu, uint32_t lin, unsigned acc,
	     struct mmu_walk_result *res, uint32_t *pf_error)
{
	const struct guest_mem *mem = &cpu->machine->mem;
	bool write = acc & MMU_ACC_WRITE;
	bool user = acc & MMU_ACC_USER;
	uint32_t err = (write ? X86_PF_W : 0) | (user ? X86_PF_U : 0);
	uint32_t pde_paddr, pde, pte_paddr, pte, flags;

	if (!(cpu->cr0 & X86_CR0_PG)) {
		*res = (struct mmu_walk_result){
			.paddr = lin,
			.writable = true,
			.user = true,
		};
		return 0;
	}

	pde_paddr = (cpu->cr3 & X86_CR3_ADDR) | ((lin >> 22) << 2);
	pde = read_entry(mem, pde_paddr);
	if (!(pde & X86_PTE_P))
		goto fault;

	if ((pde & X86_PTE_PS) && (cpu->cr4 & X86_CR4_PSE)) {
		if (pde & PDE_4M_RESERVED) {
			err |= X86_PF_P | X86_PF_RSVD;
			goto fault;
		}
		res->large = true;
		res->pte = pde;
		res->pte_paddr = pde_paddr;
		res->paddr = (pde & X86_PDE_4M_ADDR) | (lin & 0x3fffff);
		flags = pde;
	} else {
		pte_paddr = (pde & X86_PTE_ADDR) | (((lin >> 12) & 0x3ff) << 2);
		pte = read_entry(mem, pte_paddr);
		if (!(pte & X86_PTE_P))
			goto fault;
		res->large = false;
		res->pte = pte;
		res->pte_paddr = pte_paddr;
		res->paddr = (pte & X86_PTE_ADDR) | (lin & 0xfff);
		/* Permissions are the AND of both levels. */
		flags = pte & (pde | ~(X86_PTE_U | X86_PTE_W));
	}
	res->pde_paddr = pde_paddr;
	res->user = (flags & X86_PTE_U) != 0;
	res->writable = user ? (flags & X86_PTE_W) && res->user
			     : (flags & X86_PTE_W) || !(cpu->cr0 & X86_CR0_WP);
	res->global = (res->pte & X86_PTE_G) && (cpu->cr4 & X86_CR4_PGE);

	if ((user && !res->user) || (write && !res->writable)) {
		err |= X86_PF_P;
		goto fault;
	}

	res->pde = pde;
	if (!(acc & MMU_ACC_NOSET)) {
		if (res->large) {
			set_bits(mem, pde_paddr, pde,
				 X86_PTE_A | (write ? X86_PTE_D : 0));
			res->pte |= X86_PTE_A | (write ? X86_PTE_D : 0);
			res->pde = res->pte;
		} else {
			set_bits(mem, pde_paddr, pde, X86_PTE_A);
			set_bits(mem, res->pte_paddr, res->pte,
				 X86_PTE_A | (write ? X86_PTE_D : 0));
			res->pte |= X86_PTE_A | (write ? X86_PTE_D : 0);
			res->pde |= X86_PTE_A;
		}
	}
	return 0;

fault:
	*pf_error = err;
	return -1;
}
