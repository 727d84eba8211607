/*
 * cpu.h - inline wrappers for the privileged and I/O instructions the test
 * guests use, and the architectural constants they need.
 *
 * The guests are freestanding 32-bit programs built with the host gcc; they
 * do not include the monitor's headers on purpose, so that they describe the
 * architecture independently of the code they test.
 */
#ifndef GUEST_CPU_H
#define GUEST_CPU_H

#include <stdint.h>

#define FL_CF 0x0001u
#define FL_PF 0x0004u
#define FL_AF 0x0010u
#define FL_ZF 0x0040u
#define FL_SF 0x0080u
#define FL_TF 0x0100u
#define FL_IF 0x0200u
#define FL_DF 0x0400u
#define FL_OF 0x0800u
#define FL_IOPL 0x3000u
#define FL_NT 0x4000u
#define FL_ARITH (FL_CF | FL_PF | FL_AF | FL_ZF | FL_SF | FL_OF)

#define CR0_PE 0x00000001u
#define CR0_WP 0x00010000u
#define CR0_PG 0x80000000u
#define CR4_PSE 0x00000010u
#define CR4_PGE 0x00000080u

#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_U 0x004u
#define PTE_A 0x020u
#define PTE_D 0x040u
#define PTE_PS 0x080u
#define PTE_G 0x100u

#define PF_P 0x1u
#define PF_W 0x2u
#define PF_U 0x4u

/* Selectors of the library's GDT (see desc.c). */
#define SEL_KCODE 0x08
#define SEL_KDATA 0x10
#define SEL_UCODE 0x1b
#define SEL_UDATA 0x23
#define SEL_TSS 0x28
#define GDT_FIRST_FREE 6 /* entries 6..GDT_ENTRIES-1 are for the tests */
#define GDT_ENTRIES 24

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cli(void)
{
	__asm__ volatile("cli" ::: "memory");
}

static inline void sti(void)
{
	__asm__ volatile("sti" ::: "memory");
}

static inline uint32_t read_eflags(void)
{
	uint32_t f;
	__asm__ volatile("pushfl; popl %0" : "=r"(f));
	return f;
}

#define DEFINE_CR(n)                                                       \
	static inline uint32_t read_cr##n(void)                            \
	{                                                                  \
		uint32_t v;                                                \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));          \
		return v;                                                  \
	}                                                                  \
	static inline void write_cr##n(uint32_t v)                         \
	{                                                                  \
		__asm__ volatile("mov %0, %%cr" #n : : "r"(v) : "memory"); \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)
#undef DEFINE_CR

static inline void invlpg(uint32_t va)
{
	__asm__ volatile("invlpg (%0)" : : "r"(va) : "memory");
}

static inline void reload_cr3(void)
{
	write_cr3(read_cr3());
}

static inline void cpuid(uint32_t leaf, uint32_t *a, uint32_t *b, uint32_t *c,
			 uint32_t *d)
{
	__asm__ volatile("cpuid"
			 : "=a"(*a), "=b"(*b), "=c"(*c), "=d"(*d)
			 : "a"(leaf), "c"(0));
}

static inline uint16_t read_cs(void)
{
	uint16_t s;
	__asm__ volatile("mov %%cs, %0" : "=r"(s));
	return s;
}

static inline uint16_t read_ds(void)
{
	uint16_t s;
	__asm__ volatile("mov %%ds, %0" : "=r"(s));
	return s;
}

static inline uint16_t read_ss(void)
{
	uint16_t s;
	__asm__ volatile("mov %%ss, %0" : "=r"(s));
	return s;
}

/*
 * An entry of the exception table: when `from` faults, the library's trap
 * handler records the fault and resumes at `to`. Written inside inline asm
 * right after the labels it names.
 */
#define EXTABLE(from, to)                                    \
	".pushsection .extable,\"a\"\n\t.long " from ", " to \
	"\n\t.popsection\n\t"

#endif
