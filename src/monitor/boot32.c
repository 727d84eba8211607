/*
 * boot32.c - the flat 32-bit entry state of the boot protocols
 * (monitor/boot32.h).
 */
#include "monitor/boot32.h"

#include <string.h>

#include "monitor/machine.h"

/* Flat 4 GiB descriptor: base 0, limit 0xfffff pages, G and DB set. */
static void put_flat_desc(uint8_t *d, uint8_t access)
{
	const uint32_t lo = 0x0000ffffu,
		       hi = 0x00cf0000u | (uint32_t)access << 8;

	memcpy(d, &lo, 4);
	memcpy(d + 4, &hi, 4);
}

static void set_seg(struct x86_seg *s, uint16_t sel, uint16_t access)
{
	s->base = 0;
	s->limit = 0xffffffffu;
	s->sel = sel;
	s->attr = access | X86_DESC_DB | X86_DESC_G;
}

void mon_boot_flat32(struct machine *m, uint32_t gdt_addr, uint16_t cs,
		     uint16_t ds, uint32_t eip)
{
	struct vcpu *c = &m->cpu;
	uint8_t *gdt = mem_ptr(&m->mem, gdt_addr);
	const uint8_t code = X86_DESC_P | X86_DESC_S | X86_DESC_CODE |
			     X86_DESC_RW | X86_DESC_A;
	const uint8_t data = X86_DESC_P | X86_DESC_S | X86_DESC_RW | X86_DESC_A;

	memset(gdt, 0, cs < ds ? cs : ds);
	put_flat_desc(gdt + cs, code);
	put_flat_desc(gdt + ds, data);
	c->gdtr.base = gdt_addr;
	c->gdtr.limit = (uint16_t)((cs > ds ? cs : ds) + 8 - 1);

	memset(c->regs, 0, sizeof(c->regs));
	c->eip = eip;
	c->eflags = X86_FL_FIXED1; /* IF clear */
	/* ET is hardwired to 1 since the 486; QEMU boots with 0x11 too. */
	c->cr0 = X86_CR0_PE | X86_CR0_ET;
	c->cr2 = c->cr3 = c->cr4 = 0;
	set_seg(&c->seg[X86_CS], cs, code);
	for (int i = 0; i < X86_NR_SREGS; i++)
		if (i != X86_CS)
			set_seg(&c->seg[i], ds, data);
	c->cpl = 0;
	c->halted = false;
	c->intr_shadow = c->ss_shadow = false;
	c->pending_dr6 = 0;
}
