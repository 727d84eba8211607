/*
 * pit.c - the 8254 programmable interval timer and system control port B.
 *
 * Ports 0x40-0x42 are counters 0-2, 0x43 the control word; port 0x61
 * (port B) gates counter 2 (bit 0), enables the speaker (bit 1), and reads
 * back counter 2's output (bit 5) and the refresh toggle (bit 4). Linux
 * calibrates the TSC by polling counter 2 through port 0x61, so it lives
 * here with the counter it reflects. Bits 2-3 (SERR#/IOCHK# disable) and
 * 6-7 (their status) belong to the NMI logic (nmi.c).
 *
 * Counters are not stepped: a counter remembers when it started counting
 * (start_ns) and how many input clocks it had already counted before that
 * (tick_base, non-zero only after a gate pause in modes 0 and 4); its count
 * and output at any moment are computed from mon_now_ns() at 1193182 Hz.
 * Counting is binary (the BCD flag is stored and reported, not used).
 *
 * Counter 0 drives IRQ0 with an edge (raise then lower) at each rising edge
 * of its output, from a mon_timer armed for the next edge: every period in
 * modes 2 and 3, once in modes 0 and 4. If the host ran late past several
 * edges, one interrupt is delivered and the rest are counted as lost
 * (stats.lost_ticks) instead of being replayed in a burst.
 *
 * Counters 0 and 1 have their gate tied high; counter 1 (DRAM refresh) is
 * otherwise an ordinary counter with no output wired.
 */
#include <stdio.h>
#include <stdlib.h>

#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/timer.h"

#define PIT_HZ 1193182ull
#define NS_PER_S 1000000000ull
#define REFRESH_NS 15085 /* port B bit 4 toggles every 15.085 us */
/*
 * IRQ0 is delivered at most once per this many input clocks (~10 us): a
 * guest that programs a tiny period gets interrupts at this rate and the
 * rest counted as lost, rather than one host timer per microsecond.
 */
#define MIN_IRQ_TICKS 12

enum { RW_LATCH, RW_LSB, RW_MSB, RW_WORD };

struct pit_channel {
	uint32_t count; /* reload value, 1..0x10000 */
	uint8_t mode;	/* 0..5 */
	uint8_t rw;	/* RW_LSB, RW_MSB, RW_WORD */
	bool bcd;
	bool gate;
	bool counting;	 /* a count is loaded (and in modes 1/5, triggered) */
	bool paused;	 /* gate low in modes 0/2/3/4 */
	bool null_count; /* a count was written but not yet loaded */
	bool idle_out;	 /* output level while not counting */
	uint16_t idle_value; /* counter value while not counting */
	uint64_t start_ns;
	uint64_t tick_base;

	bool read_msb, write_msb; /* RW_WORD byte flip-flops */
	uint8_t write_lsb;
	bool count_latched, status_latched;
	uint16_t latch;
	uint8_t latch_bytes; /* bytes of `latch` still to read */
	uint8_t status;
};

struct dev_pit {
	struct pit_channel ch[3];
	struct bus *bus;
	struct mon_timer irq_timer;
	uint64_t next_edge; /* counter 0: tick of the next output rising edge */
	uint8_t port_b;	    /* bits 0-3 as last written */
	struct dev_pit_stats stats;
};

static uint64_t ns_to_ticks(uint64_t ns)
{
	return (uint64_t)((unsigned __int128)ns * PIT_HZ / NS_PER_S);
}

/* The first instant at which ns_to_ticks() reaches `ticks`. */
static uint64_t ticks_to_ns(uint64_t ticks)
{
	return (uint64_t)(((unsigned __int128)ticks * NS_PER_S + PIT_HZ - 1) /
			  PIT_HZ);
}

/* Input clocks counted since the current count was loaded. */
static uint64_t elapsed(const struct pit_channel *c, uint64_t now)
{
	if (c->paused)
		return c->tick_base;
	return c->tick_base + ns_to_ticks(now - c->start_ns);
}

static uint16_t read_count(const struct pit_channel *c, uint64_t now)
{
	uint64_t d, n = c->count;

	if (!c->counting || c->paused)
		return c->idle_value;
	d = elapsed(c, now);
	switch (c->mode) {
	case 2:
		return (uint16_t)(n - d % n);
	case 3:
		return (uint16_t)((n - (2 * d) % n) & ~1ull);
	default: /* 0, 1, 4, 5: count down through zero and wrap */
		return (uint16_t)(n - d);
	}
}

static bool read_out(const struct pit_channel *c, uint64_t now)
{
	uint64_t d, n = c->count;

	if (!c->counting)
		return c->idle_out;
	if (c->paused && (c->mode == 2 || c->mode == 3))
		return true;
	d = elapsed(c, now);
	switch (c->mode) {
	case 0:
	case 1:
		return d >= n;
	case 2:
		return n < 2 || d % n != n - 1;
	case 3:
		return d % n < (n + 1) / 2;
	default: /* 4, 5: a one-clock low strobe when the count expires */
		return d != n;
	}
}

static void pit_schedule(struct dev_pit *pit);

static void pit_irq_fire(void *opaque, uint64_t now)
{
	struct dev_pit *pit = opaque;
	struct pit_channel *c = &pit->ch[0];
	uint64_t d;

	if (!c->counting || c->paused)
		return;
	d = elapsed(c, now);
	if (d < pit->next_edge) {
		pit_schedule(pit);
		return;
	}
	bus_set_irq(pit->bus, 0, 1);
	bus_set_irq(pit->bus, 0, 0);
	pit->stats.irq0++;
	if (c->mode == 2 || c->mode == 3) {
		uint64_t missed = (d - pit->next_edge) / c->count;
		uint64_t skip = (MIN_IRQ_TICKS + c->count - 1) / c->count;
		pit->stats.lost_ticks += missed + skip - 1;
		pit->next_edge += (missed + skip) * c->count;
		pit_schedule(pit);
	}
}

/* Arm counter 0's timer for its next output rising edge, if any. */
static void pit_schedule(struct dev_pit *pit)
{
	struct pit_channel *c = &pit->ch[0];

	if (!c->counting || c->paused || c->mode == 1 || c->mode == 5) {
		mon_timer_cancel(&pit->irq_timer);
		return;
	}
	mon_timer_arm(&pit->irq_timer,
		      c->start_ns + ticks_to_ns(pit->next_edge - c->tick_base));
}

/* Counter 0 was (re)started: find its first rising edge. */
static void pit_restart_irq(struct dev_pit *pit)
{
	struct pit_channel *c = &pit->ch[0];

	switch (c->mode) {
	case 0:
		pit->next_edge = c->count;
		break;
	case 4:
		pit->next_edge = c->count + 1;
		break;
	default:
		pit->next_edge = c->count;
		break;
	}
	pit_schedule(pit);
}

static void channel_start(struct dev_pit *pit, unsigned idx, uint64_t now)
{
	struct pit_channel *c = &pit->ch[idx];

	c->start_ns = now;
	c->tick_base = 0;
	c->paused = !c->gate && c->mode != 1 && c->mode != 5;
	/* Modes 1 and 5 load the count but wait for a gate rising edge. */
	c->counting = c->mode != 1 && c->mode != 5;
	if (!c->counting || c->paused) {
		c->idle_value = (uint16_t)c->count;
		c->idle_out = c->mode != 0;
	}
	if (idx == 0)
		pit_restart_irq(pit);
}

static void channel_load(struct dev_pit *pit, unsigned idx, uint32_t value,
			 uint64_t now)
{
	struct pit_channel *c = &pit->ch[idx];

	c->count = value ? value : 0x10000;
	c->null_count = false;
	pit->stats.reloads++;
	channel_start(pit, idx, now);
}

static void channel_set_gate(struct dev_pit *pit, unsigned idx, bool gate,
			     uint64_t now)
{
	struct pit_channel *c = &pit->ch[idx];
	bool rising = gate && !c->gate;

	if (gate == c->gate)
		return;
	c->gate = gate;
	if (c->null_count)
		return; /* no count since the mode was set: nothing to gate */
	switch (c->mode) {
	case 0:
	case 4: /* the gate suspends counting */
		if (!c->counting)
			break;
		if (!gate) {
			c->idle_value = read_count(c, now);
			c->tick_base = elapsed(c, now);
			c->paused = true;
		} else {
			c->start_ns = now;
			c->paused = false;
		}
		break;
	case 1:
	case 5: /* a rising gate (re)triggers the count */
		if (rising) {
			c->counting = true;
			c->paused = false;
			c->start_ns = now;
			c->tick_base = 0;
		}
		break;
	default: /* 2, 3: low gate holds the output high; rising reloads */
		if (!c->counting && !c->paused)
			break;
		if (!gate) {
			c->idle_value = read_count(c, now);
			c->paused = true;
		} else {
			channel_start(pit, idx, now);
			return;
		}
		break;
	}
	if (idx == 0)
		pit_schedule(pit);
}

static uint8_t channel_status(const struct pit_channel *c, uint64_t now)
{
	return (uint8_t)((read_out(c, now) ? 0x80 : 0) |
			 (c->null_count ? 0x40 : 0) | (c->rw << 4) |
			 (c->mode << 1) | (c->bcd ? 1 : 0));
}

static void latch_count(struct pit_channel *c, uint64_t now)
{
	if (c->count_latched)
		return;
	c->count_latched = true;
	c->latch = read_count(c, now);
	c->latch_bytes = c->rw == RW_WORD ? 2 : 1;
}

static void control_word(struct dev_pit *pit, uint8_t v, uint64_t now)
{
	unsigned sel = v >> 6;

	if (sel == 3) { /* read-back */
		for (unsigned i = 0; i < 3; i++) {
			struct pit_channel *c = &pit->ch[i];
			if (!(v & (2u << i)))
				continue;
			if (!(v & 0x20))
				latch_count(c, now);
			if (!(v & 0x10) && !c->status_latched) {
				c->status_latched = true;
				c->status = channel_status(c, now);
			}
		}
		return;
	}
	struct pit_channel *c = &pit->ch[sel];
	unsigned rw = (v >> 4) & 3;
	if (rw == RW_LATCH) {
		latch_count(c, now);
		return;
	}
	/* A new mode stops the counter until a count is written. */
	c->idle_value = read_count(c, now);
	c->rw = (uint8_t)rw;
	c->mode = (v >> 1) & 7;
	if (c->mode > 5)
		c->mode -= 4; /* 6 and 7 are aliases of 2 and 3 */
	c->bcd = v & 1;
	c->read_msb = c->write_msb = false;
	c->count_latched = c->status_latched = false;
	c->null_count = true;
	c->counting = false;
	c->paused = false;
	c->idle_out = c->mode != 0;
	if (sel == 0)
		pit_schedule(pit);
}

static uint8_t channel_read(struct pit_channel *c, uint64_t now)
{
	uint16_t v;

	if (c->status_latched) {
		c->status_latched = false;
		return c->status;
	}
	if (c->count_latched) {
		bool msb = c->rw == RW_MSB ||
			   (c->rw == RW_WORD && c->latch_bytes == 1);
		if (--c->latch_bytes == 0)
			c->count_latched = false;
		return msb ? c->latch >> 8 : c->latch & 0xff;
	}
	v = read_count(c, now);
	switch (c->rw) {
	case RW_LSB:
		return v & 0xff;
	case RW_MSB:
		return v >> 8;
	default:
		c->read_msb = !c->read_msb;
		return c->read_msb ? v & 0xff : v >> 8;
	}
}

static void channel_write(struct dev_pit *pit, unsigned idx, uint8_t v,
			  uint64_t now)
{
	struct pit_channel *c = &pit->ch[idx];

	switch (c->rw) {
	case RW_LSB:
		channel_load(pit, idx, v, now);
		break;
	case RW_MSB:
		channel_load(pit, idx, (uint32_t)v << 8, now);
		break;
	default:
		if (!c->write_msb) {
			c->write_lsb = v;
			c->write_msb = true;
			/* In mode 0 the first byte stops the count. */
			if (c->mode == 0 && c->counting) {
				c->idle_value = read_count(c, now);
				c->idle_out = false;
				c->counting = false;
				if (idx == 0)
					pit_schedule(pit);
			}
		} else {
			c->write_msb = false;
			channel_load(pit, idx, c->write_lsb | (uint32_t)v << 8,
				     now);
		}
		break;
	}
}

static uint32_t pit_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_pit *pit = opaque;

	if (offset == 3)
		return 0xff; /* the control word register is write-only */
	return channel_read(&pit->ch[offset], mon_now_ns());
}

static void pit_write(void *opaque, uint32_t offset, unsigned size,
		      uint32_t value)
{
	struct dev_pit *pit = opaque;
	uint64_t now = mon_now_ns();

	if (offset == 3)
		control_word(pit, (uint8_t)value, now);
	else
		channel_write(pit, offset, (uint8_t)value, now);
}

static uint32_t port_b_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_pit *pit = opaque;
	uint64_t now = mon_now_ns();
	uint8_t v = pit->port_b & 0x0f;

	if ((now / REFRESH_NS) & 1)
		v |= 0x10;
	if (read_out(&pit->ch[2], now))
		v |= 0x20;
	return v | bus_nmi_status(pit->bus);
}

static void port_b_write(void *opaque, uint32_t offset, unsigned size,
			 uint32_t value)
{
	struct dev_pit *pit = opaque;

	pit->port_b = value & 0x0f;
	channel_set_gate(pit, 2, value & 1, mon_now_ns());
	bus_nmi_set_iochk_off(pit->bus, value & 0x08);
}

void dev_pit_reset(struct dev_pit *pit)
{
	uint64_t reloads = pit->stats.reloads;

	for (unsigned i = 0; i < 3; i++) {
		struct pit_channel *c = &pit->ch[i];
		*c = (struct pit_channel){
			.rw = RW_WORD,
			.gate = i != 2,
			.mode = 3,
			.idle_out = true,
			.null_count = true,
		};
	}
	pit->port_b = 0;
	/* As a BIOS leaves it: counter 0 in mode 3 at 18.2 Hz. */
	channel_load(pit, 0, 0, mon_now_ns());
	pit->stats.reloads = reloads;
}

int dev_pit_init(struct machine *m)
{
	struct dev_pit *pit = calloc(1, sizeof(*pit));

	if (!pit) {
		fprintf(stderr, "bt386: pit: out of memory\n");
		return -1;
	}
	pit->bus = &m->bus;
	mon_timer_init(&pit->irq_timer, "pit-irq0", pit_irq_fire, pit);
	m->pit = pit;
	dev_pit_reset(pit);
	bus_register_pio8(&m->bus, "pit", 0x40, 4, pit_read, pit_write, pit);
	bus_register_pio8(&m->bus, "port-b", 0x61, 1, port_b_read, port_b_write,
			  pit);
	return 0;
}

void dev_pit_destroy(struct machine *m)
{
	if (!m->pit)
		return;
	mon_timer_cancel(&m->pit->irq_timer);
	free(m->pit);
	m->pit = NULL;
}

const struct dev_pit_stats *dev_pit_stats(const struct dev_pit *pit)
{
	return &pit->stats;
}
