/*
 * guest.h - the test guests' freestanding library.
 *
 * Every guest is a multiboot v1 kernel linked at 1 MiB (guest.ld). boot.S
 * starts it with a stack, lib_start() (init.c) brings up COM1, the GDT, the
 * TSS and the IDT, then calls the guest's guest_main(). When guest_main()
 * returns, the library prints the summary of the checks and leaves through
 * the debug-exit port: 0 when every check passed (QEMU and bt386 exit with
 * status 1), 1 otherwise (status 3).
 *
 * Output rule: a guest prints nothing that depends on timing or on where the
 * boot loader put things, so that its output is byte-identical under every
 * bt386 engine and under QEMU (tests/guests/expected/NAME.out).
 */
#ifndef GUEST_GUEST_H
#define GUEST_GUEST_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu.h"

/* ---- multiboot v1 information (what the boot loader passes in EBX) ---- */
#define MB_BOOT_MAGIC 0x2BADB002u
#define MBI_MEM (1u << 0)
#define MBI_BOOTDEV (1u << 1)
#define MBI_CMDLINE (1u << 2)
#define MBI_MODS (1u << 3)
#define MBI_MMAP (1u << 6)
#define MBI_LOADER (1u << 9)

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
	uint32_t drives_length, drives_addr;
	uint32_t config_table;
	uint32_t boot_loader_name;
};

struct mb_mmap_entry {
	uint32_t size; /* of the rest of the entry */
	uint64_t addr;
	uint64_t len;
	uint32_t type; /* 1 = usable RAM */
} __attribute__((packed));

/* The machine state at the first instruction, recorded by boot.S. */
struct boot_state {
	uint32_t eflags, eax, ebx, cr0;
	uint16_t cs, ds, es, ss;
	uint32_t cs_lar, cs_lsl, ds_lar, ds_lsl, ss_lar, ss_lsl;
	uint32_t cr4;
};
extern struct boot_state boot_state;

/* ---- entry points ---- */
/* Written by each guest. magic is EAX at entry, info is EBX. */
void guest_main(uint32_t magic, struct mb_info *info);

/* ---- console (COM1, polled) ---- */
void serial_init(void);
void serial_putc(char c);
void puts_raw(const char *s);
int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* ---- freestanding C helpers (gcc may emit calls to these) ---- */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);

/*
 * A pointer to a fixed physical (or identity-mapped) address. The empty asm
 * hides the constant from gcc, which otherwise treats low addresses as
 * null-pointer arithmetic and warns.
 */
static inline volatile uint8_t *phys8(uint32_t addr)
{
	__asm__("" : "+r"(addr));
	return (volatile uint8_t *)addr;
}

/* ---- checks ---- */
/* The counters (a guest in several programs, such as the boot disk's
 * stages, points this at counters they share). */
struct check_counts {
	unsigned checks, failed;
};
extern struct check_counts *check_counts;
void check(int ok, const char *name);
void check_eq(uint32_t got, uint32_t want, const char *name);
#define CHECK(cond, name) check(!!(cond), name)
#define CHECK_EQ(got, want, name) \
	check_eq((uint32_t)(got), (uint32_t)(want), name)
/* Print a section heading ("# name") between groups of checks. */
void section(const char *name);
/* Print the summary and leave through debug-exit. Never returns. */
void checks_done(void) __attribute__((noreturn));
/* Write `value` to the debug-exit port (exit status (value << 1) | 1). */
void debug_exit(uint8_t value) __attribute__((noreturn));
/* Report a broken test environment and fail. */
void panic(const char *fmt, ...)
	__attribute__((noreturn, format(printf, 1, 2)));

/* ---- descriptors ---- */
uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags);
uint64_t gate_desc(uint16_t sel, uint32_t offset, uint8_t type, uint8_t dpl,
		   uint8_t params);
void gdt_set(int index, uint64_t desc);
uint64_t gdt_get(int index);
void ldt_setup(uint64_t *table, int entries, int gdt_index);
void idt_set_gate(int vector, uint32_t handler, uint8_t type, uint8_t dpl);
void idt_set(int vector, uint64_t desc);
uint32_t idt_stub(int vector);
void tss_set_esp0(uint32_t esp0);
uint32_t tss_get_esp0(void);

#define DESC_DATA_RW 0x92 /* present, DPL 0, data, writable */
#define DESC_DATA_RO 0x90 /* present, DPL 0, data, read-only */
#define DESC_CODE_RX 0x9a /* present, DPL 0, code, readable */
#define DESC_FLAG_G 0x8	  /* limit in 4 KiB units */
#define DESC_FLAG_DB 0x4  /* 32-bit */
#define GATE_INT32 0xe
#define GATE_TRAP32 0xf
#define GATE_CALL32 0xc

/* ---- traps ---- */
struct trap_frame {
	uint32_t gs, fs, es, ds;
	uint32_t edi, esi, ebp, esp_unused, ebx, edx, ecx, eax;
	uint32_t vector, err;
	uint32_t eip, cs, eflags;
	uint32_t user_esp, user_ss; /* only when the trap changed privilege */
};

typedef void (*trap_handler_fn)(struct trap_frame *f);
void trap_set_handler(int vector, trap_handler_fn fn);

/* The last fault resolved through the exception table (EXTABLE). */
struct trap_record {
	uint32_t vector, err, eip, cs, eflags, cr2, count;
	uint32_t frame_esp; /* address of the frame: which stack it was on */
	uint32_t user_esp, user_ss; /* when the trap came from ring 3 */
};
extern volatile struct trap_record last_trap;
void trap_record_clear(void);

/* ---- 8259A PIC and 8254 PIT ---- */
#define IRQ_BASE 0x20
void pic_remap(uint8_t master_base, uint8_t slave_base);
void pic_set_mask(uint16_t mask); /* bit n masks IRQ n */
uint16_t pic_get_mask(void);
void pic_eoi(int irq);
uint16_t pic_read_irr(void);
uint16_t pic_read_isr(void);
void pit_set_hz(uint32_t hz);

/* ---- paging ---- */
#define PAGE_SIZE 4096u
#define LARGE_PAGE_SIZE 0x400000u
/* Page frames for tables come from a pool at 4..8 MiB; 8..16 MiB is free. */
void *page_alloc(void);
uint32_t *pd_new(void);
/* Map one 4 KiB page; page tables are created with P|W|U (the PTE decides). */
void map_page(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags);
void map_large(uint32_t *pd, uint32_t va, uint32_t pa, uint32_t flags);
void unmap_page(uint32_t *pd, uint32_t va);
uint32_t *pte_ptr(uint32_t *pd, uint32_t va); /* NULL if no page table */
/* Identity-map [start, end) with 4 KiB pages. */
void identity_map(uint32_t *pd, uint32_t start, uint32_t end, uint32_t flags);
/* Load CR3 and turn on CR0.PG (and CR4.PSE so large pages work). */
void paging_enable(uint32_t *pd);
void paging_disable(void);
/* A kernel address space: 0..16 MiB identity, supervisor read/write. */
uint32_t *pd_kernel(void);

/* ---- ring 3 ---- */
/*
 * Run user code at eip with stack esp in ring 3 (selectors SEL_UCODE and
 * SEL_UDATA) with the given EFLAGS. Returns the value a trap handler passes
 * to return_to_kernel(); the user code's pages must be user-accessible.
 */
int enter_user(uint32_t eip, uint32_t esp, uint32_t eflags);
/* From a trap handler: abandon the user context, return from enter_user. */
void return_to_kernel(int value) __attribute__((noreturn));

#define USER_TEXT __attribute__((section(".user.text"), noinline))
#define USER_DATA __attribute__((section(".user.data")))
#define USER_RODATA __attribute__((section(".user.rodata")))
/* A string literal placed on a user page (plain literals go to .rodata,
 * which is supervisor-only in the guests' address spaces). */
#define USTR(s)                                             \
	({                                                  \
		static const char __ustr[] USER_RODATA = s; \
		__ustr;                                     \
	})
extern uint8_t __user_start[], __user_end[];
extern uint8_t __kernel_end[];

#endif
