/*
 * mem.h - guest physical memory.
 *
 * Guest RAM is one memfd. The monitor maps all of it once, above 4 GiB
 * ("physmap"); loaders, devices, page walks and the interpreter reach guest
 * physical memory only through it. Shadow mappings of guest linear pages
 * (src/mmu, DESIGN.md section 4) map pages of the same memfd into the low
 * 4 GiB.
 *
 * Physical layout (a PC): RAM from 0 to size, except that the legacy hole
 * 0xA0000..0xFFFFF is reported as reserved to the guest (the memfd still
 * backs it, so option-ROM style reads see zeros). MMIO devices live above
 * the top of RAM.
 */
#ifndef BT386_MMU_MEM_H
#define BT386_MMU_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MEM_LOW_TOP 0xa0000u	   /* end of conventional memory (640 KiB) */
#define MEM_HIGH_BASE 0x100000u	   /* extended memory starts at 1 MiB */
#define MEM_MIN_SIZE (2u << 20)	   /* smallest -m we accept */
#define MEM_MAX_SIZE (3072u << 20) /* leaves room for MMIO below 4 GiB */

struct guest_mem {
	int fd;		  /* the memfd that backs guest RAM */
	uint8_t *physmap; /* all of guest RAM, mapped above 4 GiB */
	uint32_t size;	  /* bytes of RAM */
};

/*
 * Create guest RAM of `size` bytes. On failure returns -1 with a message in
 * err. Maps nothing inside the shadow's views (SHADOW_RESERVED).
 */
int mem_init(struct guest_mem *mem, uint64_t size, char *err, size_t errlen);
void mem_destroy(struct guest_mem *mem);
/* All of RAM reads as zero again, and no longer occupies host memory. */
int mem_clear(struct guest_mem *mem);

/* Is [paddr, paddr + len) inside RAM? */
static inline bool mem_is_ram(const struct guest_mem *mem, uint32_t paddr,
			      uint32_t len)
{
	return (uint64_t)paddr + len <= mem->size;
}

/* Host pointer to guest physical address; the caller checked mem_is_ram. */
static inline void *mem_ptr(const struct guest_mem *mem, uint32_t paddr)
{
	return mem->physmap + paddr;
}

/*
 * Reserve host [vm.mmap_min_addr, SHADOW_RESERVED) (PROT_NONE): the
 * shadow's user view, its guard and kernel view (mmu/shadow.h), so that
 * nothing of the host lands there. Returns -1 with a message if part of
 * it is already taken.
 */
int mem_reserve_views(char *err, size_t errlen);

#endif
