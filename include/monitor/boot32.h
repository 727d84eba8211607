/*
 * boot32.h - the flat 32-bit entry state the boot protocols specify.
 *
 * Multiboot (section 3.2) and Linux's 32-bit boot protocol both start the
 * kernel in protected mode with paging and interrupts off, flat 4 GiB
 * code and data segments from a GDT the loader provides, and
 * protocol-specific registers. mon_boot_flat32() writes that GDT into
 * guest RAM at gdt_addr (null up to the first selector, flat code at
 * `cs`, flat data at `ds`), loads CS with `cs` and every other segment
 * register with `ds`, clears the general registers and sets CR0 = PE|ET
 * and EIP = eip. The caller then sets its protocol's registers.
 */
#ifndef BT386_MONITOR_BOOT32_H
#define BT386_MONITOR_BOOT32_H

#include <stdint.h>

struct machine;

void mon_boot_flat32(struct machine *m, uint32_t gdt_addr, uint16_t cs,
		     uint16_t ds, uint32_t eip);

#endif
