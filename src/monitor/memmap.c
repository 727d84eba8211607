/*
 * memmap.c - the guest's physical memory map (monitor/memmap.h).
 */
#include "monitor/memmap.h"

#include "mmu/mem.h"

unsigned mon_memory_map(uint32_t ram_size,
			struct mon_mem_range out[MON_MEMMAP_ENTRIES])
{
	out[0] = (struct mon_mem_range){0, MON_EBDA_START, MON_MEM_USABLE};
	out[1] = (struct mon_mem_range){
		MON_EBDA_START, MEM_LOW_TOP - MON_EBDA_START, MON_MEM_RESERVED};
	out[2] = (struct mon_mem_range){
		MON_BIOS_AREA, MEM_HIGH_BASE - MON_BIOS_AREA, MON_MEM_RESERVED};
	out[3] = (struct mon_mem_range){MEM_HIGH_BASE, ram_size - MEM_HIGH_BASE,
					MON_MEM_USABLE};
	return MON_MEMMAP_ENTRIES;
}
