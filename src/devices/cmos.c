/*
 * cmos.c - the MC146818 real-time clock and its 128 bytes of CMOS RAM.
 *
 * Port 0x70 selects a register (bit 7 masks the NMI logic's output,
 * nmi.c), port 0x71 reads or writes it.
 *
 * The clock is not stepped. Guest time in nanoseconds since the Unix epoch
 * is the host's UTC wall clock sampled at init, advanced by CLOCK_MONOTONIC
 * (mon_now_ns(), so tests can drive it), plus an offset the guest changes by
 * setting the clock. Time registers are computed from it when read, in the
 * format register B selects (BCD or binary, 12 or 24 hour). While B.SET is
 * 1 the time registers are plain RAM holding what the guest writes, and
 * clearing SET makes that the current time (the new second starts then).
 *
 * Register A's UIP bit reads 1 during the last 244 us of every second, the
 * window in which a real chip warns that the registers are about to change
 * (Linux and firmware wait for it to drop before reading the time).
 *
 * Register C's flags are computed lazily from how much guest time passed
 * since they were last evaluated: PF once a periodic-rate boundary (rate
 * from A.RS) went by, UF once a second boundary went by (not while SET),
 * AF once a second matching the alarm went by. IRQF and the IRQ8 line rise
 * when a flag is set whose enable bit (PIE, UIE, AIE) is set, and a read of
 * C clears everything and lowers the line. A mon_timer is armed for the
 * next event only while an interrupt is enabled and the line is low, so an
 * unacknowledged RTC costs no host wake-ups.
 *
 * The RAM holds what a PC BIOS leaves there: memory sizes from
 * m->mem.size, the equipment byte, the century, and a checksum.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "devices/devices.h"
#include "monitor/machine.h"
#include "monitor/timer.h"

#define RTC_IRQ 8
#define NS_PER_S 1000000000ll
#define RTC_HZ 32768ll
#define UIP_NS 244000ll

enum {
	REG_SEC = 0x00,
	REG_SEC_ALARM = 0x01,
	REG_MIN = 0x02,
	REG_MIN_ALARM = 0x03,
	REG_HOUR = 0x04,
	REG_HOUR_ALARM = 0x05,
	REG_WDAY = 0x06,
	REG_MDAY = 0x07,
	REG_MON = 0x08,
	REG_YEAR = 0x09,
	REG_A = 0x0a,
	REG_B = 0x0b,
	REG_C = 0x0c,
	REG_D = 0x0d,
	REG_CENTURY = 0x32,
};

#define A_UIP 0x80
#define B_SET 0x80
#define B_PIE 0x40
#define B_AIE 0x20
#define B_UIE 0x10
#define B_SQWE 0x08
#define B_DM_BINARY 0x04
#define B_24H 0x02
#define C_IRQF 0x80
#define C_PF 0x40
#define C_AF 0x20
#define C_UF 0x10

struct dev_cmos {
	struct bus *bus;
	uint8_t ram[128];
	uint8_t index;
	int64_t wall_base_ns; /* host UTC at init */
	uint64_t mono_base_ns;
	int64_t offset_ns; /* guest time - host time */
	int64_t flags_ns;  /* guest time up to which C's flags are computed */
	bool irq_level;
	struct mon_timer timer;
	struct dev_cmos_stats stats;
};

static int64_t guest_ns(const struct dev_cmos *c, uint64_t now)
{
	return c->wall_base_ns + (int64_t)(now - c->mono_base_ns) +
	       c->offset_ns;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

static bool binary_mode(const struct dev_cmos *c)
{
	return c->ram[REG_B] & B_DM_BINARY;
}

static uint8_t to_reg(const struct dev_cmos *c, unsigned v)
{
	return binary_mode(c) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned from_reg(const struct dev_cmos *c, uint8_t v)
{
	return binary_mode(c) ? v : (v >> 4) * 10 + (v & 0x0f);
}

static uint8_t hour_to_reg(const struct dev_cmos *c, unsigned h)
{
	if (c->ram[REG_B] & B_24H)
		return to_reg(c, h);
	/* 12-hour mode: 12 AM is midnight, bit 7 means PM. */
	return to_reg(c, h % 12 ? h % 12 : 12) | (h >= 12 ? 0x80 : 0);
}

static unsigned hour_from_reg(const struct dev_cmos *c, uint8_t v)
{
	unsigned h;

	if (c->ram[REG_B] & B_24H)
		return from_reg(c, v);
	h = from_reg(c, v & 0x7f) % 12;
	return (v & 0x80) ? h + 12 : h;
}

/* Fill the time registers (and the century) from a time in seconds. */
static void time_to_regs(struct dev_cmos *c, int64_t secs)
{
	time_t t = (time_t)secs;
	struct tm tm;

	gmtime_r(&t, &tm);
	c->ram[REG_SEC] = to_reg(c, (unsigned)tm.tm_sec);
	c->ram[REG_MIN] = to_reg(c, (unsigned)tm.tm_min);
	c->ram[REG_HOUR] = hour_to_reg(c, (unsigned)tm.tm_hour);
	c->ram[REG_WDAY] = to_reg(c, (unsigned)tm.tm_wday + 1);
	c->ram[REG_MDAY] = to_reg(c, (unsigned)tm.tm_mday);
	c->ram[REG_MON] = to_reg(c, (unsigned)tm.tm_mon + 1);
	c->ram[REG_YEAR] = to_reg(c, (unsigned)(tm.tm_year + 1900) % 100);
	c->ram[REG_CENTURY] = to_reg(c, (unsigned)(tm.tm_year + 1900) / 100);
}

static int64_t regs_to_time(const struct dev_cmos *c)
{
	struct tm tm = {0};
	unsigned century = from_reg(c, c->ram[REG_CENTURY]);

	if (century < 19 || century > 99)
		century = 20;
	tm.tm_sec = (int)from_reg(c, c->ram[REG_SEC]);
	tm.tm_min = (int)from_reg(c, c->ram[REG_MIN]);
	tm.tm_hour = (int)hour_from_reg(c, c->ram[REG_HOUR]);
	tm.tm_mday = (int)from_reg(c, c->ram[REG_MDAY]);
	tm.tm_mon = (int)from_reg(c, c->ram[REG_MON]) - 1;
	tm.tm_year =
		(int)(century * 100 + from_reg(c, c->ram[REG_YEAR])) - 1900;
	return (int64_t)timegm(&tm);
}

/* The time registers now mean "this second, starting now". */
static void commit_time(struct dev_cmos *c, uint64_t now)
{
	int64_t host = guest_ns(c, now) - c->offset_ns;

	c->offset_ns = regs_to_time(c) * NS_PER_S - host;
	c->flags_ns = guest_ns(c, now);
	c->stats.time_sets++;
}

/* Periodic interrupt period in 32768 Hz ticks, 0 if off. */
static int64_t periodic_ticks(const struct dev_cmos *c)
{
	unsigned rs = c->ram[REG_A] & 0x0f;
	unsigned dv = (c->ram[REG_A] >> 4) & 7;

	if (!rs || dv != 2)
		return 0; /* no rate, or the divider is not running at 32 kHz */
	if (rs <= 2)
		rs += 7;
	return 1ll << (rs - 1);
}

static bool alarm_matches(const struct dev_cmos *c, int64_t secs)
{
	int64_t sod = secs - floor_div(secs, 86400) * 86400;
	uint8_t s = c->ram[REG_SEC_ALARM], m = c->ram[REG_MIN_ALARM];
	uint8_t h = c->ram[REG_HOUR_ALARM];

	/* Alarm bytes 0xc0-0xff mean "any". */
	return (s >= 0xc0 || from_reg(c, s) == (unsigned)(sod % 60)) &&
	       (m >= 0xc0 || from_reg(c, m) == (unsigned)(sod / 60 % 60)) &&
	       (h >= 0xc0 || hour_from_reg(c, h) == (unsigned)(sod / 3600));
}

static void update_irq(struct dev_cmos *c)
{
	uint8_t b = c->ram[REG_B], f = c->ram[REG_C];
	bool on = ((f & C_PF) && (b & B_PIE)) || ((f & C_AF) && (b & B_AIE)) ||
		  ((f & C_UF) && (b & B_UIE));

	if (on)
		c->ram[REG_C] |= C_IRQF;
	if (on == c->irq_level)
		return;
	c->irq_level = on;
	if (on)
		c->stats.irqs++;
	bus_set_irq(c->bus, RTC_IRQ, on);
}

/* Bring register C up to guest time `t`. */
static void update_flags(struct dev_cmos *c, int64_t t)
{
	int64_t last = c->flags_ns;
	int64_t per = periodic_ticks(c);

	if (t <= last)
		return;
	if (per) {
		int64_t a = floor_div(
			(int64_t)((__int128)last * RTC_HZ / NS_PER_S), per);
		int64_t b = floor_div(
			(int64_t)((__int128)t * RTC_HZ / NS_PER_S), per);
		if (b > a) {
			c->ram[REG_C] |= C_PF;
			c->stats.periodic++;
		}
	}
	if (!(c->ram[REG_B] & B_SET)) {
		int64_t s0 = floor_div(last, NS_PER_S);
		int64_t s1 = floor_div(t, NS_PER_S);
		if (s1 > s0)
			c->ram[REG_C] |= C_UF;
		/* Seconds that ended an update cycle: s0+1 .. s1 (a day). */
		if (s1 - s0 > 86400)
			s0 = s1 - 86400;
		for (int64_t s = s0 + 1; s <= s1 && !(c->ram[REG_C] & C_AF);
		     s++) {
			if (alarm_matches(c, s))
				c->ram[REG_C] |= C_AF;
		}
	}
	c->flags_ns = t;
	update_irq(c);
}

static void cmos_schedule(struct dev_cmos *c, uint64_t now)
{
	uint8_t b = c->ram[REG_B];
	int64_t t = guest_ns(c, now), next = INT64_MAX;
	int64_t per = periodic_ticks(c);

	if (c->irq_level) {
		mon_timer_cancel(&c->timer);
		return;
	}
	if ((b & B_PIE) && per) {
		int64_t k =
			floor_div((int64_t)((__int128)t * RTC_HZ / NS_PER_S),
				  per) +
			1;
		/* The first nanosecond at which tick k*per has been reached. */
		int64_t ns =
			(int64_t)(((__int128)k * per * NS_PER_S + RTC_HZ - 1) /
				  RTC_HZ);
		next = ns;
	}
	if ((b & (B_UIE | B_AIE)) && !(b & B_SET)) {
		int64_t ns = (floor_div(t, NS_PER_S) + 1) * NS_PER_S;
		if (ns < next)
			next = ns;
	}
	if (next == INT64_MAX) {
		mon_timer_cancel(&c->timer);
		return;
	}
	mon_timer_arm(&c->timer, now + (uint64_t)(next - t));
}

static void cmos_timer_fire(void *opaque, uint64_t now)
{
	struct dev_cmos *c = opaque;

	update_flags(c, guest_ns(c, now));
	cmos_schedule(c, now);
}

static bool is_time_reg(unsigned idx)
{
	return idx <= REG_YEAR || idx == REG_CENTURY;
}

static uint8_t cmos_get(struct dev_cmos *c, unsigned idx, uint64_t now)
{
	int64_t t = guest_ns(c, now);
	uint8_t v;

	switch (idx) {
	case REG_A: {
		int64_t frac = t - floor_div(t, NS_PER_S) * NS_PER_S;
		v = c->ram[REG_A] & 0x7f;
		if (!(c->ram[REG_B] & B_SET) && frac >= NS_PER_S - UIP_NS)
			v |= A_UIP;
		return v;
	}
	case REG_C:
		update_flags(c, t);
		v = c->ram[REG_C];
		c->ram[REG_C] = 0;
		update_irq(c);
		cmos_schedule(c, now);
		return v;
	case REG_D:
		return 0x80; /* valid RAM and time: the battery is fine */
	default:
		if (is_time_reg(idx) && idx != REG_SEC_ALARM &&
		    idx != REG_MIN_ALARM && idx != REG_HOUR_ALARM &&
		    !(c->ram[REG_B] & B_SET))
			time_to_regs(c, floor_div(t, NS_PER_S));
		return c->ram[idx];
	}
}

static void cmos_set(struct dev_cmos *c, unsigned idx, uint8_t v, uint64_t now)
{
	int64_t t = guest_ns(c, now);
	uint8_t old;

	switch (idx) {
	case REG_A:
		update_flags(c, t);
		c->ram[REG_A] = v & 0x7f;
		c->flags_ns = t;
		cmos_schedule(c, now);
		break;
	case REG_B:
		update_flags(c, t);
		old = c->ram[REG_B];
		/* The registers were written in the format of the old B. */
		if (!(v & B_SET) && (old & B_SET))
			commit_time(c, now);
		if ((v & B_SET) && !(old & B_SET))
			v &= ~B_UIE;
		c->ram[REG_B] = v;
		/* Freeze the current time, in the format asked for. */
		if ((v & B_SET) && !(old & B_SET))
			time_to_regs(c, floor_div(t, NS_PER_S));
		update_irq(c);
		cmos_schedule(c, now);
		break;
	case REG_C:
	case REG_D:
		break; /* read-only */
	case REG_SEC_ALARM:
	case REG_MIN_ALARM:
	case REG_HOUR_ALARM:
		c->ram[idx] = v;
		break;
	default:
		if (is_time_reg(idx) && !(c->ram[REG_B] & B_SET)) {
			/* Setting one field of a running clock. */
			time_to_regs(c, floor_div(t, NS_PER_S));
			c->ram[idx] = v;
			commit_time(c, now);
			cmos_schedule(c, now);
		} else {
			c->ram[idx] = v;
		}
		break;
	}
}

static uint32_t cmos_read(void *opaque, uint32_t offset, unsigned size)
{
	struct dev_cmos *c = opaque;

	if (offset == 0)
		return 0xff; /* the index register is write-only */
	return cmos_get(c, c->index, mon_now_ns());
}

static void cmos_write(void *opaque, uint32_t offset, unsigned size,
		       uint32_t value)
{
	struct dev_cmos *c = opaque;

	if (offset == 0) {
		c->index = value & 0x7f;
		bus_nmi_set_masked(c->bus, value & 0x80);
	} else {
		cmos_set(c, c->index, (uint8_t)value, mon_now_ns());
	}
}

static void put16(uint8_t *ram, unsigned idx, uint32_t v)
{
	if (v > 0xffff)
		v = 0xffff;
	ram[idx] = v & 0xff;
	ram[idx + 1] = (uint8_t)(v >> 8);
}

static void fill_bios_area(struct dev_cmos *c, uint32_t mem_size)
{
	uint8_t *ram = c->ram;
	uint32_t ext_kb = 0, high_64k = 0;
	unsigned sum = 0;

	if (mem_size > MEM_HIGH_BASE)
		ext_kb = (mem_size - MEM_HIGH_BASE) / 1024;
	if (mem_size > (16u << 20))
		high_64k = (mem_size - (16u << 20)) / 65536;

	ram[0x10] = 0x00; /* no floppy drives */
	ram[0x12] = 0x00; /* no fixed disks (type 0) */
	ram[0x14] = 0x02; /* no floppies, math coprocessor, EGA/VGA display */
	put16(ram, 0x15, MEM_LOW_TOP / 1024);
	put16(ram, 0x17, ext_kb);
	put16(ram, 0x30, ext_kb);
	put16(ram, 0x34, high_64k);
	ram[0x5b] = ram[0x5c] = ram[0x5d] = 0; /* nothing above 4 GiB */
	/* Standard checksum over 0x10-0x2d, big-endian at 0x2e. */
	for (unsigned i = 0x10; i <= 0x2d; i++)
		sum += ram[i];
	ram[0x2e] = (uint8_t)(sum >> 8);
	ram[0x2f] = (uint8_t)sum;
}

void dev_cmos_reset(struct dev_cmos *c)
{
	uint64_t now = mon_now_ns();

	/* The RESET pin clears the interrupt enables and flags only. */
	update_flags(c, guest_ns(c, now));
	c->ram[REG_B] &= ~(B_PIE | B_AIE | B_UIE | B_SQWE);
	c->ram[REG_C] = 0;
	update_irq(c);
	cmos_schedule(c, now);
}

int dev_cmos_init(struct machine *m)
{
	struct dev_cmos *c = calloc(1, sizeof(*c));
	struct timespec ts;

	if (!c) {
		fprintf(stderr, "bt386: cmos: out of memory\n");
		return -1;
	}
	c->bus = &m->bus;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->wall_base_ns = (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
	c->mono_base_ns = mon_now_ns();
	c->flags_ns = guest_ns(c, c->mono_base_ns);
	c->ram[REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz rate */
	c->ram[REG_B] = B_24H;
	c->ram[REG_D] = 0x80;
	time_to_regs(c, floor_div(c->flags_ns, NS_PER_S));
	fill_bios_area(c, m->mem.size);
	mon_timer_init(&c->timer, "rtc", cmos_timer_fire, c);
	m->cmos = c;
	bus_register_pio8(&m->bus, "cmos", 0x70, 2, cmos_read, cmos_write, c);
	return 0;
}

void dev_cmos_destroy(struct machine *m)
{
	if (!m->cmos)
		return;
	mon_timer_cancel(&m->cmos->timer);
	free(m->cmos);
	m->cmos = NULL;
}

const struct dev_cmos_stats *dev_cmos_stats(const struct dev_cmos *c)
{
	return &c->stats;
}
