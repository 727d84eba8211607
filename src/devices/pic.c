/*
 * pic.c - the 8259A interrupt controller pair and the ELCR.
 *
 * Master at 0x20-0x21 (IRQ0-7), slave at 0xa0-0xa1 (IRQ8-15) cascaded on
 * the master's IR2, and the edge/level control registers at 0x4d0-0x4d1.
 * The PIC is an IRQ sink of the bus (devices drive lines with
 * bus_set_irq(); the I/O APIC sees the same lines). Its INT output goes to
 * the bus with bus_set_extint() - to the local APIC's LINT0, or straight to
 * the CPU's INTR pin without one - and it answers the acknowledge cycle
 * (bus_extint_ack) with a vector.
 *
 * Model (per chip, from the 8259A datasheet):
 *  - `lines` is the level of each IR input. Edge-triggered inputs latch a
 *    request in IRR on a rising edge and keep it until it is acknowledged
 *    (devices such as the PIT pulse their line high then low at once, so
 *    the latch must outlive the pulse); level-triggered inputs (ICW1.LTIM
 *    or the ELCR bit) have IRR follow the line, so a request that goes away
 *    before the acknowledge is gone, and the acknowledge then reports the
 *    spurious IRQ7 (or IRQ15 on the slave) without setting ISR.
 *  - The master's IR2 is the slave's INT output, treated as a level input:
 *    when the slave has another request pending at the moment its first one
 *    is acknowledged, its output never drops, and an edge-sensed IR2 would
 *    miss it.
 *  - Priorities rotate: `top` is the IR with the highest priority (0 after
 *    ICW1); rotating commands make the serviced level the lowest.
 *  - A request is presented when it is unmasked and of higher priority than
 *    every in-service level; special mask mode ignores in-service levels
 *    that are masked; special fully nested mode (master) also lets IR2
 *    request while IR2 is in service, so a higher-priority slave IRQ can
 *    nest inside a lower one.
 *
 * Before the guest programs it the pair is left as a PC BIOS leaves it:
 * vectors 0x08 and 0x70, everything masked except the cascade.
 */
#include <stdio.h>
#include <stdlib.h>

#include "devices/devices.h"
#include "monitor/machine.h"

struct pic_chip {
	uint8_t irr, isr, imr;
	uint8_t lines; /* current level of the IR inputs */
	uint8_t elcr, elcr_mask;
	uint8_t base; /* ICW2: vector of IR0 */
	uint8_t top;  /* IR with the highest priority */
	uint8_t icw3;
	uint8_t init_step; /* 0: operational, else the ICW expected next */
	bool ltim, single, need_icw4;
	bool auto_eoi, rotate_aeoi, sfnm, special_mask;
	bool read_isr, poll;
	bool master;
};

struct dev_pic {
	struct pic_chip chip[2]; /* master, slave */
	struct bus *bus;
	struct dev_pic_stats stats;
};

enum { MASTER, SLAVE };
#define CASCADE_IR 2

static bool is_level(const struct pic_chip *c, unsigned ir)
{
	if (c->master && ir == CASCADE_IR && !c->single)
		return true;
	return c->ltim || (c->elcr & (1u << ir));
}

/* Priority rank (0 = highest) of the best IR in `mask`, 8 if none. */
static unsigned best_rank(const struct pic_chip *c, uint8_t mask)
{
	for (unsigned p = 0; p < 8; p++) {
		if (mask & (1u << ((p + c->top) & 7)))
			return p;
	}
	return 8;
}

/* The IR this chip presents to its INT output, or -1. */
static int chip_pending(const struct pic_chip *c)
{
	unsigned req = best_rank(c, c->irr & ~c->imr);
	unsigned cur;
	uint8_t in = c->isr;
	int ir = (int)((req + c->top) & 7);

	if (req == 8)
		return -1;
	if (c->special_mask)
		in &= ~c->imr;
	cur = best_rank(c, in);
	if (req < cur)
		return ir;
	/* Special fully nested: the slave may interrupt its own level. */
	if (c->sfnm && c->master && req == cur && ir == CASCADE_IR)
		return ir;
	return -1;
}

/* Returns true on a rising edge. */
static bool chip_set_line(struct pic_chip *c, unsigned ir, bool level)
{
	uint8_t m = 1u << ir;
	bool rising = level && !(c->lines & m);

	if (level) {
		c->lines |= m;
		if (rising || is_level(c, ir))
			c->irr |= m;
	} else {
		c->lines &= ~m;
		if (is_level(c, ir))
			c->irr &= ~m;
	}
	return rising;
}

static void chip_intack(struct pic_chip *c, unsigned ir)
{
	uint8_t m = 1u << ir;

	if (!is_level(c, ir))
		c->irr &= ~m;
	if (c->auto_eoi) {
		if (c->rotate_aeoi)
			c->top = (ir + 1) & 7;
	} else {
		c->isr |= m;
	}
}

static void pic_update(struct dev_pic *pic)
{
	struct pic_chip *ms = &pic->chip[MASTER];

	if (!ms->single)
		chip_set_line(ms, CASCADE_IR,
			      chip_pending(&pic->chip[SLAVE]) >= 0);
	bus_set_extint(pic->bus, chip_pending(ms) >= 0);
}

static void pic_set_irq(void *opaque, unsigned irq, int level)
{
	struct dev_pic *pic = opaque;

	/* On the ISA bus the IRQ2 pin is wired to the slave's IR1 (IRQ9). */
	if (irq == 2)
		irq = 9;
	if (irq >= 16)
		return;
	if (chip_set_line(&pic->chip[irq >> 3], irq & 7, level != 0))
		pic->stats.raised[irq]++;
	pic_update(pic);
}

static int pic_intr_ack(void *opaque)
{
	struct dev_pic *pic = opaque;
	struct pic_chip *ms = &pic->chip[MASTER], *sl = &pic->chip[SLAVE];
	int ir = chip_pending(ms);
	int vector;

	pic->stats.acks++;
	if (ir < 0) {
		pic->stats.spurious++;
		vector = ms->base | 7;
	} else if (ir == CASCADE_IR && !ms->single) {
		int sir = chip_pending(sl);
		chip_intack(ms, CASCADE_IR);
		if (sir < 0) {
			pic->stats.spurious++;
			vector = sl->base | 7;
		} else {
			chip_intack(sl, (unsigned)sir);
			vector = sl->base + sir;
		}
	} else {
		chip_intack(ms, (unsigned)ir);
		vector = ms->base + ir;
	}
	pic_update(pic);
	return vector;
}

static void chip_icw1(struct pic_chip *c, uint8_t v)
{
	c->ltim = v & 0x08;
	c->single = v & 0x02;
	c->need_icw4 = v & 0x01;
	c->init_step = 2;
	c->imr = 0;
	c->isr = 0;
	/* The edge-sense latches are cleared; level inputs still request. */
	c->irr = 0;
	for (unsigned ir = 0; ir < 8; ir++) {
		if (is_level(c, ir) && (c->lines & (1u << ir)))
			c->irr |= 1u << ir;
	}
	c->top = 0;
	c->special_mask = false;
	c->read_isr = false;
	c->poll = false;
	c->auto_eoi = false;
	c->rotate_aeoi = false;
	c->sfnm = false;
}

static void chip_icw(struct pic_chip *c, uint8_t v)
{
	switch (c->init_step) {
	case 2:
		c->base = v & 0xf8;
		c->init_step = c->single ? (c->need_icw4 ? 4 : 0) : 3;
		break;
	case 3:
		c->icw3 = v;
		c->init_step = c->need_icw4 ? 4 : 0;
		break;
	default:
		c->auto_eoi = v & 0x02;
		c->sfnm = v & 0x10;
		c->init_step = 0;
		break;
	}
}

static void chip_ocw2(struct dev_pic *pic, struct pic_chip *c, uint8_t v)
{
	unsigned level = v & 7;
	unsigned rank;

	switch (v >> 5) {
	case 0: /* clear rotate in automatic EOI mode */
		c->rotate_aeoi = false;
		break;
	case 4: /* set rotate in automatic EOI mode */
		c->rotate_aeoi = true;
		break;
	case 1: /* non-specific EOI */
	case 5: /* rotate on non-specific EOI */
		pic->stats.eois++;
		rank = best_rank(c, c->isr);
		if (rank == 8)
			break;
		level = (rank + c->top) & 7;
		c->isr &= ~(1u << level);
		if (v >> 5 == 5)
			c->top = (level + 1) & 7;
		break;
	case 3: /* specific EOI */
		pic->stats.eois++;
		c->isr &= ~(1u << level);
		break;
	case 7: /* rotate on specific EOI */
		pic->stats.eois++;
		c->isr &= ~(1u << level);
		c->top = (level + 1) & 7;
		break;
	case 6: /* set priority: `level` becomes the lowest */
		c->top = (level + 1) & 7;
		break;
	default: /* 2: no operation */
		break;
	}
}

static void chip_ocw3(struct pic_chip *c, uint8_t v)
{
	if (v & 0x04)
		c->poll = true;
	if (v & 0x02)
		c->read_isr = v & 0x01;
	if (v & 0x40)
		c->special_mask = v & 0x20;
}

/* Poll command: the read acts as the acknowledge. */
static uint8_t chip_poll(struct dev_pic *pic, struct pic_chip *c)
{
	int ir = chip_pending(c);

	c->poll = false;
	if (ir < 0)
		return 0;
	chip_intack(c, (unsigned)ir);
	pic_update(pic);
	return 0x80 | (uint8_t)ir;
}

static uint32_t pic_read(struct dev_pic *pic, struct pic_chip *c,
			 uint32_t offset)
{
	if (offset == 1)
		return c->imr;
	if (c->poll)
		return chip_poll(pic, c);
	return c->read_isr ? c->isr : c->irr;
}

static void pic_write(struct dev_pic *pic, struct pic_chip *c, uint32_t offset,
		      uint8_t v)
{
	if (offset == 0) {
		if (v & 0x10)
			chip_icw1(c, v);
		else if (v & 0x08)
			chip_ocw3(c, v);
		else
			chip_ocw2(pic, c, v);
	} else if (c->init_step) {
		chip_icw(c, v);
	} else {
		c->imr = v;
	}
	pic_update(pic);
}

static uint32_t master_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_pic *pic = opaque;
	return pic_read(pic, &pic->chip[MASTER], offset);
}

static void master_write(void *opaque, uint32_t offset, unsigned size,
			 uint32_t value)
{
	struct dev_pic *pic = opaque;
	pic_write(pic, &pic->chip[MASTER], offset, (uint8_t)value);
}

static uint32_t slave_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_pic *pic = opaque;
	return pic_read(pic, &pic->chip[SLAVE], offset);
}

static void slave_write(void *opaque, uint32_t offset, unsigned size,
			uint32_t value)
{
	struct dev_pic *pic = opaque;
	pic_write(pic, &pic->chip[SLAVE], offset, (uint8_t)value);
}

static uint32_t elcr_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_pic *pic = opaque;
	return pic->chip[offset].elcr;
}

static void elcr_write(void *opaque, uint32_t offset, unsigned size,
		       uint32_t value)
{
	struct dev_pic *pic = opaque;
	struct pic_chip *c = &pic->chip[offset];

	c->elcr = value & c->elcr_mask;
	/* Lines that became level-triggered request while they are high. */
	for (unsigned ir = 0; ir < 8; ir++) {
		uint8_t m = 1u << ir;
		if (is_level(c, ir))
			c->irr = (c->irr & ~m) | (c->lines & m);
	}
	pic_update(pic);
}

static void chip_power_on(struct pic_chip *c, bool master, uint8_t base,
			  uint8_t imr)
{
	uint8_t lines = c->lines; /* driven by the devices, not reset */

	*c = (struct pic_chip){
		.master = master,
		.base = base,
		.imr = imr,
		.lines = lines,
		.icw3 = master ? 1u << CASCADE_IR : CASCADE_IR,
		/* IRQ0-2 and IRQ8/IRQ13 are always edge on a PC. */
		.elcr_mask = master ? 0xf8 : 0xde,
	};
}

void dev_pic_reset(struct dev_pic *pic)
{
	chip_power_on(&pic->chip[MASTER], true, 0x08, 0xff & ~(1u << 2));
	chip_power_on(&pic->chip[SLAVE], false, 0x70, 0xff);
	pic_update(pic);
}

int dev_pic_init(struct machine *m)
{
	struct dev_pic *pic = calloc(1, sizeof(*pic));

	if (!pic) {
		fprintf(stderr, "bt386: pic: out of memory\n");
		return -1;
	}
	pic->bus = &m->bus;
	m->pic = pic;
	bus_register_pio8(&m->bus, "pic-master", 0x20, 2, master_read,
			  master_write, pic);
	bus_register_pio8(&m->bus, "pic-slave", 0xa0, 2, slave_read,
			  slave_write, pic);
	bus_register_pio8(&m->bus, "elcr", 0x4d0, 2, elcr_read, elcr_write,
			  pic);
	bus_add_irq_sink(&m->bus, pic_set_irq, pic);
	bus_set_extint_ack(&m->bus, pic_intr_ack, pic);
	dev_pic_reset(pic);
	return 0;
}

void dev_pic_destroy(struct machine *m)
{
	if (!m->pic)
		return;
	bus_remove_irq_sink(&m->bus, m->pic);
	if (m->bus.extint_ack_opaque == m->pic)
		bus_set_extint_ack(&m->bus, NULL, NULL);
	free(m->pic);
	m->pic = NULL;
}

const struct dev_pic_stats *dev_pic_stats(const struct dev_pic *pic)
{
	return &pic->stats;
}
