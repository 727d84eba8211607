/*
 * paging.c - page frames, page directories and tables for the guests.
 *
 * Frames come from a bump allocator over 4..8 MiB: above the kernel image
 * and above where QEMU puts the multiboot information (right after the
 * image); 8..16 MiB stays free for the guests' own test frames. Frames are never
 * freed. Tables are reached through their physical address, so every
 * address space a guest builds must identity-map the pool (pd_kernel()
 * maps 0..16 MiB).
 */
#include "guest.h"

#define POOL_START 0x400000u
#define POOL_END 0x800000u

static uint32_t pool_next = POOL_START;

void *page_alloc(void)
{
	if (pool_next >= POOL_END)
		panic("page pool exhausted");
	void *p = (void *)pool_next;
	pool_next += PAGE_SIZE;
	memset(p, 0, PAGE_SIZE);
	return p;
}

uint32_t *pd_new(void)
{
	return page_alloc();
}

uint32_t *pte_ptr(uint32_t *pd, uint32_t va)
{
	uint32_t pde = pd[va >> 22];

	if (!(pde & PTE_P) || (pde & PTE_PS))
		return 0;
	return (uint32_t *)(pde & ~0xfffu) + ((va >> 12) & 0x3ff);
}

void map_page(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags)
{
	uint32_t *pde = &pd[va >> 22];

	if (!(*pde & PTE_P) || (*pde & PTE_PS))
		*pde = (uint32_t)page_alloc() | PTE_P | PTE_W | PTE_U;
	uint32_t *pt = (uint32_t *)(*pde & ~0xfffu);
	pt[(va >> 12) & 0x3ff] = (pa & ~0xfffu) | flags;
}

void map_large(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags)
{
	pd[va >> 22] = (pa & 0xffc00000u) | flags | PTE_PS;
}

void unmap_page(uint32_t *pd, uint32_t va)
{
	uint32_t *pte = pte_ptr(pd, va);

	if (pte)
		*pte = 0;
}

void identity_map(uint32_t *pd, uint32_t start, uint32_t end, uint32_t flags)
{
	for (uint32_t va = start; va < end; va += PAGE_SIZE)
		map_page(pd, va, va, flags);
}

uint32_t *pd_kernel(void)
{
	uint32_t *pd = pd_new();

	identity_map(pd, 0, 0x1000000u, PTE_P | PTE_W);
	return pd;
}

void paging_enable(uint32_t *pd)
{
	write_cr4(read_cr4() | CR4_PSE);
	write_cr3((uint32_t)pd);
	write_cr0(read_cr0() | CR0_PG);
}

void paging_disable(void)
{
	write_cr0(read_cr0() & ~CR0_PG);
}
