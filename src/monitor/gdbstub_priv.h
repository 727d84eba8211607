/*
 * gdbstub_priv.h - what the gdb stub's files share: the protocol side
 * (gdbstub.c) asks the target side (gdbstub_target.c) for registers, the
 * target description and memory.
 */
#ifndef BT386_MONITOR_GDBSTUB_PRIV_H
#define BT386_MONITOR_GDBSTUB_PRIV_H

#include <stddef.h>
#include <stdint.h>

struct machine;

/*
 * Registers in gdb's numbering, as the target description lists them:
 * eax ecx edx ebx esp ebp esi edi eip eflags cs ss ds es fs gs (0-15),
 * st0-st7 (16-23, 10 bytes), fctrl fstat ftag fiseg fioff foseg fooff
 * fop (24-31), xmm0-xmm7 (32-39, 16 bytes), mxcsr (40), cr0 cr2 cr3 cr4
 * (41-44). All little-endian, as gdb wants them.
 */
#define GDB_NREGS 45
#define GDB_REG_EIP 8
#define GDB_MAX_REG_SIZE 16

/* Size in bytes of register n (0 if there is none). */
unsigned gdb_reg_size(unsigned n);
/* Read register n into buf; returns its size, 0 if there is none. */
unsigned gdb_reg_get(struct machine *m, unsigned n, uint8_t *buf);
/* Write register n from buf (its size); -1 if it cannot be written
 * (control registers, a selector without a usable descriptor). */
int gdb_reg_set(struct machine *m, unsigned n, const uint8_t *buf);

/* The target description (target.xml) and its length. */
const char *gdb_target_xml(size_t *len);

/*
 * Guest linear memory through the guest's page tables (with paging off,
 * physical memory), without setting Accessed/Dirty bits or checking
 * privilege, as QEMU does. Return how many bytes were read or written
 * before an unmapped page or a page that is not RAM.
 */
size_t gdb_mem_read(struct machine *m, uint32_t addr, uint8_t *buf, size_t len);
size_t gdb_mem_write(struct machine *m, uint32_t addr, const uint8_t *buf,
		     size_t len);

#endif
