/*
 * bzimage.h - the Linux 32-bit boot protocol: boot a bzImage kernel with
 * an optional initrd and a command line, without running its 16-bit setup
 * code (there is no BIOS), the way the kernel's Documentation/arch/x86/
 * boot.rst describes for 32-bit loaders.
 *
 * The loader fills a zeroed boot_params ("zero page"), copies the setup
 * header into it, loads the protected-mode part at 1 MiB, the initrd at
 * the top of usable RAM, and enters startup_32 in flat protected mode.
 *
 * Low memory it writes (below 640 KiB, away from the real-mode IVT and
 * BDA, all RAM the kernel may reuse once it has copied what it needs):
 *   BZ_BOOT_STACK   initial ESP (the protocol needs none; startup_32 uses
 *                   boot_params' scratch field as its first stack)
 *   BZ_GDT_ADDR     GDT: null, null, __BOOT_CS 0x10, __BOOT_DS 0x18
 *   BZ_PARAMS_ADDR  struct boot_params (4 KiB), ESI at entry
 *   BZ_CMDLINE_ADDR the command line, NUL-terminated, up to BZ_AREA_END
 * Guest RAM of at least BZ_MIN_RAM is required for these.
 */
#ifndef BT386_MONITOR_BZIMAGE_H
#define BT386_MONITOR_BZIMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct machine;

/* Guest physical layout of what the loader writes (see above). */
#define BZ_BOOT_STACK 0x8000u
#define BZ_GDT_ADDR 0x8000u
#define BZ_PARAMS_ADDR 0x10000u
#define BZ_CMDLINE_ADDR 0x20000u
#define BZ_AREA_END 0x30000u
#define BZ_KERNEL_ADDR 0x100000u /* protected-mode part, code32_start */

/* Selectors of the boot GDT the protocol prescribes. */
#define BZ_BOOT_CS 0x10
#define BZ_BOOT_DS 0x18

/*
 * The highest physical address an initrd may end at: the kernel's direct
 * mapping ("lowmem") ends at 896 MiB less its vmalloc reserve with the
 * default 3G/1G split; an initrd above it would have to be copied down.
 */
#define BZ_LOWMEM_TOP 0x37000000u

/* Offsets in the setup header / boot_params (boot.rst, zero-page.rst). */
#define BZ_ALT_MEM_K 0x1e0
#define BZ_E820_ENTRIES 0x1e8
#define BZ_SENTINEL 0x1ef
#define BZ_SETUP_SECTS 0x1f1
#define BZ_SYSSIZE 0x1f4
#define BZ_VID_MODE 0x1fa
#define BZ_BOOT_FLAG 0x1fe
#define BZ_JUMP 0x200
#define BZ_HEADER 0x202
#define BZ_VERSION 0x206
#define BZ_TYPE_OF_LOADER 0x210
#define BZ_LOADFLAGS 0x211
#define BZ_CODE32_START 0x214
#define BZ_RAMDISK_IMAGE 0x218
#define BZ_RAMDISK_SIZE 0x21c
#define BZ_HEAP_END_PTR 0x224
#define BZ_CMD_LINE_PTR 0x228
#define BZ_INITRD_ADDR_MAX 0x22c
#define BZ_KERNEL_ALIGNMENT 0x230
#define BZ_RELOCATABLE 0x234
#define BZ_CMDLINE_SIZE 0x238
#define BZ_PREF_ADDRESS 0x258
#define BZ_INIT_SIZE 0x260
#define BZ_HEADER_LIMIT 0x290 /* the zero page's next field starts here */
#define BZ_E820_TABLE 0x2d0
#define BZ_E820_MAX 128

#define BZ_BOOT_FLAG_MAGIC 0xaa55
#define BZ_HEADER_MAGIC 0x53726448u /* "HdrS" */
#define BZ_LOADED_HIGH 0x01
#define BZ_TYPE_UNDEFINED 0xff /* a loader with no assigned ID */

/*
 * Does this image carry a Linux setup header (0xAA55 at 0x1FE, "HdrS" at
 * 0x202)? Says nothing about whether it can be booted.
 */
bool bzimage_detect(const void *image, size_t size);

/*
 * Load the bzImage in file `path` into m (m->mem must be set up; the vCPU
 * should be in its reset state), with the initrd in file `initrd_path`
 * (NULL: none) and the command line `cmdline` (NULL means empty), and set
 * the entry state of the 32-bit protocol: CR0 = PE | ET, paging and
 * interrupts off, CS 0x10 and DS/ES/FS/GS/SS 0x18 flat 32-bit segments
 * from the GDT at BZ_GDT_ADDR, ESI = BZ_PARAMS_ADDR, EBP = EDI = EBX = 0,
 * EIP = BZ_KERNEL_ADDR.
 *
 * Returns 0, or -1 with a one-line message "PATH: what is wrong" in err.
 * Every check happens before guest memory or the vCPU is written.
 */
int bzimage_load(struct machine *m, const char *path, const char *initrd_path,
		 const char *cmdline, char *err, size_t errlen);

/* The same for images already in memory; the names are for messages. */
int bzimage_load_image(struct machine *m, const void *kernel, size_t ksize,
		       const char *name, const void *initrd, size_t isize,
		       const char *initrd_name, const char *cmdline, char *err,
		       size_t errlen);

#endif
