/*
 * memmap.h - the guest's physical memory map as firmware reports it.
 *
 * One map for every way a guest can ask: the multiboot loader's mmap, the
 * bzImage loader's e820 table and the BIOS's INT 15h E820 all come from
 * mon_memory_map(), so every kind of guest sees one machine:
 *
 *   [0, MON_EBDA_START)                 usable (IVT, BDA, conventional RAM)
 *   [MON_EBDA_START, MEM_LOW_TOP)       reserved (the EBDA: MP tables)
 *   [MON_BIOS_AREA, MEM_HIGH_BASE)      reserved (the BIOS ROM area)
 *   [MEM_HIGH_BASE, RAM size)           usable
 *
 * The VGA window 0xa0000-0xeffff is in no entry, as on a PC.
 */
#ifndef BT386_MONITOR_MEMMAP_H
#define BT386_MONITOR_MEMMAP_H

#include <stdint.h>

#define MON_EBDA_START 0x9fc00u /* conventional memory ends here (639 KiB) */
#define MON_BIOS_AREA 0xf0000u	/* the BIOS ROM area, reserved */

#define MON_MEM_USABLE 1   /* E820 / multiboot type 1: RAM */
#define MON_MEM_RESERVED 2 /* E820 / multiboot type 2 */

#define MON_MEMMAP_ENTRIES 4

struct mon_mem_range {
	uint64_t base, len;
	uint32_t type;
};

/* Fill out[0..MON_MEMMAP_ENTRIES) for a guest with `ram_size` bytes of
 * RAM (at least MEM_MIN_SIZE); returns the number of entries. */
unsigned mon_memory_map(uint32_t ram_size,
			struct mon_mem_range out[MON_MEMMAP_ENTRIES]);

#endif
