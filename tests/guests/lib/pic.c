/*
 * pic.c - the 8259A pair (master 0x20/0x21, slave 0xa0/0xa1) and the 8254
 * PIT channel 0.
 *
 * pic_remap() runs the ICW1..ICW4 initialisation (edge triggered, cascade
 * on IRQ 2, 8086 mode) and leaves every line masked; the guest unmasks what
 * it uses. IRR and ISR are read through OCW3.
 */
#include "guest.h"

#define PIC1_CMD 0x20
#define PIC1_DATA 0x21
#define PIC2_CMD 0xa0
#define PIC2_DATA 0xa1
#define OCW3_READ_IRR 0x0a
#define OCW3_READ_ISR 0x0b
#define PIC_EOI 0x20

#define PIT_CH0 0x40
#define PIT_CMD 0x43
#define PIT_HZ 1193182u

void pic_remap(uint8_t master_base, uint8_t slave_base)
{
	outb(PIC1_CMD, 0x11); /* ICW1: init, ICW4 needed */
	outb(PIC2_CMD, 0x11);
	outb(PIC1_DATA, master_base); /* ICW2: vector base */
	outb(PIC2_DATA, slave_base);
	outb(PIC1_DATA, 0x04); /* ICW3: slave on IRQ 2 */
	outb(PIC2_DATA, 0x02); /* ICW3: slave identity 2 */
	outb(PIC1_DATA, 0x01); /* ICW4: 8086 mode, normal EOI */
	outb(PIC2_DATA, 0x01);
	pic_set_mask(0xffff);
}

void pic_set_mask(uint16_t mask)
{
	outb(PIC1_DATA, mask & 0xff);
	outb(PIC2_DATA, mask >> 8);
}

uint16_t pic_get_mask(void)
{
	return inb(PIC1_DATA) | (uint16_t)inb(PIC2_DATA) << 8;
}

void pic_eoi(int irq)
{
	if (irq >= 8)
		outb(PIC2_CMD, PIC_EOI);
	outb(PIC1_CMD, PIC_EOI);
}

uint16_t pic_read_irr(void)
{
	outb(PIC1_CMD, OCW3_READ_IRR);
	outb(PIC2_CMD, OCW3_READ_IRR);
	return inb(PIC1_CMD) | (uint16_t)inb(PIC2_CMD) << 8;
}

uint16_t pic_read_isr(void)
{
	uint16_t v;

	outb(PIC1_CMD, OCW3_READ_ISR);
	outb(PIC2_CMD, OCW3_READ_ISR);
	v = inb(PIC1_CMD) | (uint16_t)inb(PIC2_CMD) << 8;
	/* Back to reading IRR, the power-on default. */
	outb(PIC1_CMD, OCW3_READ_IRR);
	outb(PIC2_CMD, OCW3_READ_IRR);
	return v;
}

void pit_set_hz(uint32_t hz)
{
	uint32_t div = PIT_HZ / hz;

	outb(PIT_CMD, 0x34); /* channel 0, lo/hi byte, mode 2, binary */
	outb(PIT_CH0, div & 0xff);
	outb(PIT_CH0, div >> 8);
}
