/*
 * desc.c - the guests' GDT, IDT and TSS.
 *
 * GDT layout (selectors in cpu.h): 0 null, 1 kernel code 0x08, 2 kernel data
 * 0x10, 3 user code 0x1b, 4 user data 0x23, 5 TSS 0x28; entries from
 * GDT_FIRST_FREE on are free for the tests. Every IDT vector points at its
 * stub in isr.S through a DPL 0 interrupt gate, except int3, into and the
 * int 0x80 system call gate, which ring 3 may raise (DPL 3). The TSS has no
 * I/O permission bitmap (its offset lies past the limit), so in/out from
 * CPL > IOPL always raise #GP.
 */
#include "guest.h"

struct tss32 {
	uint32_t link, esp0, ss0, esp1, ss1, esp2, ss2, cr3, eip, eflags;
	uint32_t eax, ecx, edx, ebx, esp, ebp, esi, edi;
	uint32_t es, cs, ss, ds, fs, gs, ldt;
	uint16_t trap, iomap_base;
};

struct dtr {
	uint16_t limit;
	uint32_t base;
} __attribute__((packed));

static uint64_t gdt[GDT_ENTRIES] __attribute__((aligned(8)));
static uint64_t idt[256] __attribute__((aligned(8)));
static struct tss32 tss __attribute__((aligned(128)));
uint8_t kstack0[16384] __attribute__((aligned(16)));
#define kstack0_end (kstack0 + sizeof(kstack0))

extern char isr_stubs[];

uint64_t seg_desc(uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
	uint64_t d = limit & 0xffff;

	d |= (uint64_t)(base & 0xffffff) << 16;
	d |= (uint64_t)access << 40;
	d |= (uint64_t)((limit >> 16) & 0xf) << 48;
	d |= (uint64_t)(flags & 0xf) << 52;
	d |= (uint64_t)(base >> 24) << 56;
	return d;
}

uint64_t gate_desc(uint16_t sel, uint32_t offset, uint8_t type, uint8_t dpl,
		   uint8_t params)
{
	uint64_t d = offset & 0xffff;

	d |= (uint64_t)sel << 16;
	d |= (uint64_t)(params & 0x1f) << 32;
	d |= (uint64_t)(0x80 | (dpl & 3) << 5 | (type & 0xf)) << 40;
	d |= (uint64_t)(offset >> 16) << 48;
	return d;
}

void gdt_set(int index, uint64_t desc)
{
	gdt[index] = desc;
}

uint64_t gdt_get(int index)
{
	return gdt[index];
}

uint32_t idt_stub(int vector)
{
	return (uint32_t)(isr_stubs + 16 * vector);
}

void idt_set(int vector, uint64_t desc)
{
	idt[vector] = desc;
}

void idt_set_gate(int vector, uint32_t handler, uint8_t type, uint8_t dpl)
{
	idt[vector] = gate_desc(SEL_KCODE, handler, type, dpl, 0);
}

void tss_set_esp0(uint32_t esp0)
{
	tss.esp0 = esp0;
}

uint32_t tss_get_esp0(void)
{
	return tss.esp0;
}

/* Install an LDT descriptor for `table` in GDT entry gdt_index and lldt it. */
void ldt_setup(uint64_t *table, int entries, int gdt_index)
{
	gdt[gdt_index] = seg_desc((uint32_t)table, entries * 8 - 1, 0x82, 0);
	__asm__ volatile("lldt %w0" : : "r"(gdt_index * 8) : "memory");
}

void desc_init(void);
void desc_init(void)
{
	struct dtr g = {sizeof(gdt) - 1, (uint32_t)gdt};
	struct dtr i = {sizeof(idt) - 1, (uint32_t)idt};

	gdt[1] = seg_desc(0, 0xfffff, 0x9b, DESC_FLAG_G | DESC_FLAG_DB);
	gdt[2] = seg_desc(0, 0xfffff, 0x93, DESC_FLAG_G | DESC_FLAG_DB);
	gdt[3] = seg_desc(0, 0xfffff, 0xfb, DESC_FLAG_G | DESC_FLAG_DB);
	gdt[4] = seg_desc(0, 0xfffff, 0xf3, DESC_FLAG_G | DESC_FLAG_DB);
	tss.ss0 = SEL_KDATA;
	tss.esp0 = (uint32_t)kstack0_end;
	tss.iomap_base = sizeof(tss);
	gdt[5] = seg_desc((uint32_t)&tss, sizeof(tss) - 1, 0x89, 0);

	for (int v = 0; v < 256; v++)
		idt_set_gate(v, idt_stub(v), GATE_INT32, 0);
	idt_set_gate(3, idt_stub(3), GATE_INT32, 3);
	idt_set_gate(4, idt_stub(4), GATE_INT32, 3);
	idt_set_gate(0x80, idt_stub(0x80), GATE_TRAP32, 3);

	__asm__ volatile("lgdt %0\n\t"
			 "ljmp $0x08, $1f\n"
			 "1:\n\t"
			 "movw $0x10, %%ax\n\t"
			 "movw %%ax, %%ds\n\t"
			 "movw %%ax, %%es\n\t"
			 "movw %%ax, %%fs\n\t"
			 "movw %%ax, %%gs\n\t"
			 "movw %%ax, %%ss\n\t"
			 "lidt %1\n\t"
			 "movw $0x28, %%ax\n\t"
			 "ltr %%ax\n\t"
			 "xorw %%ax, %%ax\n\t"
			 "lldt %%ax"
			 :
			 : "m"(g), "m"(i)
			 : "eax", "memory");
}
