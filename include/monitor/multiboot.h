/*
 * multiboot.h - the multiboot v1 boot loader (the way `qemu -kernel` boots
 * a multiboot kernel).
 *
 * The loader places the kernel in guest RAM (ELF PT_LOAD segments by
 * physical address, or the header's a.out kludge addresses), zeroes the
 * BSS, writes the multiboot information and a small GDT into low memory
 * and puts the vCPU in the state the specification requires.
 *
 * The boot area it writes is MB_AREA_SIZE bytes at MB_AREA_START (low
 * memory, away from the real-mode IVT and BDA), or, when a kernel segment
 * lies there (kvm-unit-tests' realmode test loads at 0x8000), on the first
 * page boundary above the kernel, as QEMU puts its multiboot information
 * after the kernel. Offsets in the area:
 *   MB_GDT_OFF      GDT: null, flat code 0x08, flat data 0x10; the initial
 *                   ESP is the top of this page (the spec leaves ESP
 *                   undefined; this keeps a careless push off the
 *                   information)
 *   MB_INFO_OFF     struct multiboot_info
 *   MB_MMAP_OFF     memory map entries
 *   MB_LOADER_OFF   boot loader name ("bt386 <version>")
 *   MB_MODS_OFF     module list (for -initrd modules later; empty today)
 *   MB_STRINGS_OFF  command lines, up to the end of the area
 * MB_*_ADDR are the addresses in the usual case (the area at its start).
 */
#ifndef BT386_MONITOR_MULTIBOOT_H
#define BT386_MONITOR_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

struct machine;

#define MB_HEADER_MAGIC 0x1BADB002u
#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_SEARCH_BYTES 8192 /* the header must lie in the first 8 KiB */

/* Multiboot header flags (bits 0..15 are requirements on the loader). */
#define MB_HF_PAGE_ALIGN (1u << 0) /* modules on 4 KiB boundaries */
#define MB_HF_MEMINFO (1u << 1)	   /* mem_lower/mem_upper wanted */
#define MB_HF_VIDEO (1u << 2)	   /* video mode wanted (ignored, as QEMU) */
#define MB_HF_AOUT_KLUDGE (1u << 16)
#define MB_HF_SUPPORTED (MB_HF_PAGE_ALIGN | MB_HF_MEMINFO | MB_HF_VIDEO)

/* Multiboot information flags. */
#define MB_INFO_MEMORY (1u << 0)
#define MB_INFO_CMDLINE (1u << 2)
#define MB_INFO_MODS (1u << 3)
#define MB_INFO_MEM_MAP (1u << 6)
#define MB_INFO_LOADER_NAME (1u << 9)

/* Layout of the boot area the loader writes (see above). */
#define MB_AREA_START 0x8000u
#define MB_AREA_SIZE 0x18000u
#define MB_GDT_OFF 0x0u
#define MB_INFO_OFF 0x1000u
#define MB_MMAP_OFF 0x1100u
#define MB_LOADER_OFF 0x1200u
#define MB_MODS_OFF 0x1300u
#define MB_MAX_MODS 32
#define MB_STRINGS_OFF 0x2000u
#define MB_GDT_ADDR (MB_AREA_START + MB_GDT_OFF)
#define MB_INFO_ADDR (MB_AREA_START + MB_INFO_OFF)

/* Selectors of the boot GDT, as GRUB and QEMU use them. */
#define MB_CODE_SEL 0x08
#define MB_DATA_SEL 0x10

/*
 * Load the multiboot v1 kernel in file `path` into m (m->mem must be set
 * up; the vCPU should be in its reset state) and set the boot CPU state:
 * EAX = 0x2BADB002, EBX = the information (MB_INFO_ADDR unless the area
 * moved), EIP = the entry point, CS 0x08 and DS/ES/FS/GS/SS 0x10 flat
 * 32-bit segments (descriptor caches and the GDT in the area agree),
 * CR0 = PE | ET, EFLAGS = 0x2, CPL 0.
 *
 * `cmdline` is the -append string (NULL means empty); the kernel sees
 * "PATH CMDLINE", as with QEMU. Returns 0, or -1 with a one-line message
 * "PATH: what is wrong" in err. On failure guest memory may have been
 * partly written but the vCPU is untouched.
 */
int multiboot_load(struct machine *m, const char *path, const char *cmdline,
		   char *err, size_t errlen);

/* The same for a kernel already in memory (the built-in demo); `name`
 * stands for the path in messages and in the command line. */
int multiboot_load_image(struct machine *m, const void *image, size_t size,
			 const char *name, const char *cmdline, char *err,
			 size_t errlen);

#endif
