/*
 * bios_sys.c - INT 15h (system), INT 16h (keyboard) and INT 1Ah (time).
 *
 * INT 15h: E820 (the machine's memory map, monitor/memmap.h, the same
 * the multiboot and bzImage loaders report), E801 and 88h (sizes derived
 * from it), 2400h-2403h (A20 is always on: enabling and querying
 * succeed, disabling is refused), 86h (wait CX:DX microseconds), 87h
 * (copy words between two descriptors' bases). Everything else,
 * including C0h (configuration table): CF set, AH = 86h.
 *
 * INT 16h: the keyboard is the serial console (there is no keyboard
 * input source): bytes the guest's COM1 has received become keys, the
 * ASCII code in AL and the US layout's scan code in AH (Enter for CR and
 * LF, Backspace for BS and DEL). 00h/10h wait for a key, 01h/11h peek
 * (ZF = 1: none), 02h/12h shift flags (none), 03h accepted, 05h pushes a
 * key. Escape sequences arrive as their bytes.
 *
 * INT 1Ah: 00h the ticks since midnight (18.2065 Hz, UTC, as the CMOS
 * clock runs) from the host clock, kept in the BDA, which IRQ 0 advances
 * between calls; 01h sets them (an offset); 02h-05h read and set the RTC
 * through the CMOS ports, in BCD whatever format the guest gave the chip.
 *
 * Services that wait (a key, a delay) return BIOS_WAIT_IRQ when the timer
 * interrupt can wake the ROM's hlt (IRQ 0 unmasked), else BIOS_AGAIN.
 */
#include <string.h>
#include <time.h>

#include "devices/bios_priv.h"
#include "devices/bus.h"
#include "mmu/mem.h"
#include "monitor/machine.h"
#include "monitor/memmap.h"
#include "monitor/timer.h"

#define COM1 0x3f8
#define SMAP 0x534d4150u /* "SMAP" */
#define NS_PER_DAY (86400ull * 1000000000ull)
#define PIT_HZ 1193182ull
#define MIB (1u << 20)

/* ---- waiting --------------------------------------------------------- */

/* How the ROM should wait: hlt if IRQ 0 will wake it, else spin. */
static int wait_verdict(struct dev_bios *b)
{
	uint8_t imr = (uint8_t)bus_pio_read(&b->m->bus, 0x21, 1);

	return (imr & 1) ? BIOS_AGAIN : BIOS_WAIT_IRQ;
}

/* ---- INT 15h ---------------------------------------------------------- */

/* The end of usable RAM above 1 MiB, from the memory map. */
static uint64_t high_ram_end(struct dev_bios *b)
{
	struct mon_mem_range map[MON_MEMMAP_ENTRIES];
	unsigned n = mon_memory_map(b->m->mem.size, map);

	for (unsigned i = 0; i < n; i++)
		if (map[i].base == MEM_HIGH_BASE &&
		    map[i].type == MON_MEM_USABLE)
			return map[i].base + map[i].len;
	return MEM_HIGH_BASE;
}

static void e820(struct dev_bios *b, struct bios_regs *r)
{
	struct mon_mem_range map[MON_MEMMAP_ENTRIES];
	unsigned n = mon_memory_map(b->m->mem.size, map);
	uint32_t dst = bios_lin(r->es, (uint16_t)r->edi);
	uint8_t *p = bios_mem(b, dst, 20);
	uint32_t i = r->ebx;

	if (r->edx != SMAP || r->ecx < 20 || i >= n || !p) {
		bios_fail(r, BIOS_UNSUPPORTED);
		return;
	}
	for (unsigned k = 0; k < 8; k++) {
		p[k] = (uint8_t)(map[i].base >> (8 * k));
		p[8 + k] = (uint8_t)(map[i].len >> (8 * k));
	}
	for (unsigned k = 0; k < 4; k++)
		p[16 + k] = (uint8_t)(map[i].type >> (8 * k));
	bios_mem_written(b, dst, 20);
	r->eax = SMAP;
	r->ecx = 20;
	r->ebx = i + 1 < n ? i + 1 : 0;
	bios_ok(r);
}

/* E801: KiB between 1 and 16 MiB in AX and CX, 64 KiB blocks above 16
 * MiB in BX and DX. */
static void e801(struct dev_bios *b, struct bios_regs *r)
{
	uint64_t end = high_ram_end(b);
	uint64_t low = (end < 16 * MIB ? end : 16 * MIB) - MEM_HIGH_BASE;
	uint64_t high = end > 16 * MIB ? end - 16 * MIB : 0;

	bios_set16(&r->eax, (uint16_t)(low >> 10));
	bios_set16(&r->ecx, (uint16_t)(low >> 10));
	bios_set16(&r->ebx, (uint16_t)(high >> 16));
	bios_set16(&r->edx, (uint16_t)(high >> 16));
	bios_ok(r);
}

/* 86h: CX:DX microseconds, measured on the monitor's clock. */
static int wait_us(struct dev_bios *b, struct bios_regs *r)
{
	uint64_t us = (r->ecx & 0xffff) << 16 | (r->edx & 0xffff);
	uint64_t now = mon_now_ns();

	if (!b->wait_until_ns)
		b->wait_until_ns = now + us * 1000 + 1;
	if (now + 1 >= b->wait_until_ns) {
		b->wait_until_ns = 0;
		bios_ok(r);
		bios_set_ah(r, 0);
		return BIOS_DONE;
	}
	/* Sleep through timer ticks only when a tick is short of the end. */
	if (b->wait_until_ns - now > 60 * 1000000ull)
		return wait_verdict(b);
	return BIOS_AGAIN;
}

static uint32_t desc_base(const uint8_t *d)
{
	return (uint32_t)(d[2] | d[3] << 8 | d[4] << 16 | d[7] << 24);
}

/* 87h: CX words from the base of the descriptor at ES:SI+10h to the base
 * of the one at ES:SI+18h (the caller's GDT). */
static void move_block(struct dev_bios *b, struct bios_regs *r)
{
	uint32_t gdt = bios_lin(r->es, (uint16_t)r->esi);
	uint8_t *g = bios_mem(b, gdt, 0x20);
	uint32_t bytes = (r->ecx & 0xffff) * 2u, src, dst;
	uint8_t *s, *d;

	if (!g || bytes > 0x10000) {
		bios_fail(r, 0x02);
		return;
	}
	src = desc_base(g + 0x10);
	dst = desc_base(g + 0x18);
	s = bios_mem(b, src, bytes);
	d = bios_mem(b, dst, bytes);
	if (!s || !d) {
		bios_fail(r, 0x02);
		return;
	}
	memmove(d, s, bytes);
	bios_mem_written(b, dst, bytes);
	bios_ok(r);
	bios_set_ah(r, 0);
}

int bios_int15(struct dev_bios *b, struct bios_regs *r)
{
	uint64_t kib;

	switch (bios_ah(r)) {
	case 0x24: /* A20 */
		switch (bios_al(r)) {
		case 0x01: /* enable: it is */
			break;
		case 0x02: /* status: on */
			bios_set_al(r, 1);
			break;
		case 0x03: /* support: keyboard controller and port 92h */
			bios_set16(&r->ebx, 0x0003);
			break;
		default: /* 00h (disable) cannot be done */
			bios_fail(r, BIOS_UNSUPPORTED);
			return BIOS_DONE;
		}
		bios_ok(r);
		bios_set_ah(r, 0);
		return BIOS_DONE;
	case 0x86:
		return wait_us(b, r);
	case 0x87:
		move_block(b, r);
		return BIOS_DONE;
	case 0x88:
		/* RBIL says at most 15 MiB; PC BIOSes report up to 63. */
		kib = (high_ram_end(b) - MEM_HIGH_BASE) >> 10;
		bios_set16(&r->eax, (uint16_t)(kib > 0xfc00 ? 0xfc00 : kib));
		bios_ok(r);
		return BIOS_DONE;
	case 0xe8:
		if (bios_al(r) == 0x01) {
			e801(b, r);
			return BIOS_DONE;
		}
		if (bios_al(r) == 0x20) {
			e820(b, r);
			return BIOS_DONE;
		}
		break;
	}
	bios_fail(r, BIOS_UNSUPPORTED);
	return BIOS_DONE;
}

/* ---- INT 16h ---------------------------------------------------------- */

/* Scan codes (US layout) of ASCII 0x20..0x7e. */
static const uint8_t scan_codes[0x5f] = {
	0x39, 0x02, 0x28, 0x04, 0x05, 0x06, 0x08, 0x28, /*  !"#$%&' */
	0x0a, 0x0b, 0x09, 0x0d, 0x33, 0x0c, 0x34, 0x35, /* ()*+,-./ */
	0x0b, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, /* 01234567 */
	0x09, 0x0a, 0x27, 0x27, 0x33, 0x0d, 0x34, 0x35, /* 89:;<=>? */
	0x03, 0x1e, 0x30, 0x2e, 0x20, 0x12, 0x21, 0x22, /* @ABCDEFG */
	0x23, 0x17, 0x24, 0x25, 0x26, 0x32, 0x31, 0x18, /* HIJKLMNO */
	0x19, 0x10, 0x13, 0x1f, 0x14, 0x16, 0x2f, 0x11, /* PQRSTUVW */
	0x2d, 0x15, 0x2c, 0x1a, 0x2b, 0x1b, 0x07, 0x0c, /* XYZ[\]^_ */
	0x29, 0x1e, 0x30, 0x2e, 0x20, 0x12, 0x21, 0x22, /* `abcdefg */
	0x23, 0x17, 0x24, 0x25, 0x26, 0x32, 0x31, 0x18, /* hijklmno */
	0x19, 0x10, 0x13, 0x1f, 0x14, 0x16, 0x2f, 0x11, /* pqrstuvw */
	0x2d, 0x15, 0x2c, 0x1a, 0x2b, 0x1b, 0x29,	/* xyz{|}~ */
};

uint16_t bios_key_of(uint8_t c)
{
	switch (c) {
	case '\r':
	case '\n':
		return 0x1c0d;
	case 0x08:
	case 0x7f:
		return 0x0e08;
	case '\t':
		return 0x0f09;
	case 0x1b:
		return 0x011b;
	}
	if (c >= 0x20 && c < 0x7f)
		return (uint16_t)(scan_codes[c - 0x20] << 8 | c);
	if (c >= 0x01 && c <= 0x1a) /* Ctrl-A .. Ctrl-Z */
		return (uint16_t)(scan_codes['a' + c - 1 - 0x20] << 8 | c);
	return c;
}

/* Take what COM1 has received into the key queue. */
static void poll_keys(struct dev_bios *b)
{
	struct bus *bus = &b->m->bus;

	while (b->nr_keys < BIOS_KEYS) {
		if (bus_pio_read(bus, COM1 + 3, 1) & 0x80)
			return; /* DLAB: RBR is the divisor latch */
		if (!(bus_pio_read(bus, COM1 + 5, 1) & 0x01))
			return;
		b->keys[b->nr_keys++] =
			bios_key_of((uint8_t)bus_pio_read(bus, COM1, 1));
	}
}

int bios_int16(struct dev_bios *b, struct bios_regs *r)
{
	switch (bios_ah(r)) {
	case 0x00:
	case 0x10:
		poll_keys(b);
		if (!b->nr_keys)
			return wait_verdict(b);
		bios_set16(&r->eax, b->keys[0]);
		memmove(b->keys, b->keys + 1,
			--b->nr_keys * sizeof(b->keys[0]));
		break;
	case 0x01:
	case 0x11:
		poll_keys(b);
		if (b->nr_keys) {
			bios_set16(&r->eax, b->keys[0]);
			r->flags &= (uint16_t)~X86_FL_ZF;
		} else {
			r->flags |= X86_FL_ZF;
		}
		break;
	case 0x02:
		bios_set_al(r, bios_rd8(b, BDA_KBD_FLAGS));
		break;
	case 0x12:
		bios_set16(&r->eax, bios_rd8(b, BDA_KBD_FLAGS));
		break;
	case 0x03:
		break;
	case 0x05:
		if (b->nr_keys == BIOS_KEYS) {
			bios_set_al(r, 1);
			break;
		}
		b->keys[b->nr_keys++] = (uint16_t)r->ecx;
		bios_set_al(r, 0);
		break;
	default:
		bios_fail(r, BIOS_UNSUPPORTED);
		break;
	}
	return BIOS_DONE;
}

/* ---- INT 1Ah ---------------------------------------------------------- */

uint32_t bios_ticks_at(uint64_t unix_ns)
{
	uint64_t ns = unix_ns % NS_PER_DAY;
	uint64_t t = (uint64_t)((unsigned __int128)ns * PIT_HZ /
				(65536ull * 1000000000ull));

	return t < BIOS_TICKS_PER_DAY ? (uint32_t)t : BIOS_TICKS_PER_DAY - 1;
}

uint32_t bios_ticks_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return bios_ticks_at((uint64_t)ts.tv_sec * 1000000000ull +
			     (uint64_t)ts.tv_nsec);
}

static uint32_t guest_ticks(struct dev_bios *b)
{
	int64_t t = (int64_t)bios_ticks_now() + b->tick_offset;

	t %= BIOS_TICKS_PER_DAY;
	return (uint32_t)(t < 0 ? t + BIOS_TICKS_PER_DAY : t);
}

static void ticks(struct dev_bios *b, struct bios_regs *r)
{
	uint32_t prev = bios_rd16(b, BDA_TICKS) |
			(uint32_t)bios_rd16(b, BDA_TICKS + 2) << 16;
	uint32_t now = guest_ticks(b);
	/* Midnight passed: the BDA says so (IRQ 0 wrapped), or the count
	 * went back by more than half a day. */
	bool midnight = bios_rd8(b, BDA_MIDNIGHT) ||
			(prev > now && prev - now > BIOS_TICKS_PER_DAY / 2);

	bios_wr8(b, BDA_MIDNIGHT, 0);
	bios_wr16(b, BDA_TICKS, (uint16_t)now);
	bios_wr16(b, BDA_TICKS + 2, (uint16_t)(now >> 16));
	bios_set_al(r, midnight);
	bios_set16(&r->ecx, (uint16_t)(now >> 16));
	bios_set16(&r->edx, (uint16_t)now);
}

static void set_ticks(struct dev_bios *b, struct bios_regs *r)
{
	uint32_t t = ((r->ecx & 0xffff) << 16 | (r->edx & 0xffff)) %
		     BIOS_TICKS_PER_DAY;

	b->tick_offset = (int32_t)t - (int32_t)bios_ticks_now();
	bios_wr8(b, BDA_MIDNIGHT, 0);
	bios_wr16(b, BDA_TICKS, (uint16_t)t);
	bios_wr16(b, BDA_TICKS + 2, (uint16_t)(t >> 16));
}

/* The RTC through its ports, as a BIOS reads it. */
static uint8_t cmos_get(struct dev_bios *b, uint8_t idx)
{
	bus_pio_write(&b->m->bus, 0x70, 1, idx);
	return (uint8_t)bus_pio_read(&b->m->bus, 0x71, 1);
}

static void cmos_put(struct dev_bios *b, uint8_t idx, uint8_t v)
{
	bus_pio_write(&b->m->bus, 0x70, 1, idx);
	bus_pio_write(&b->m->bus, 0x71, 1, v);
}

static uint8_t bcd(unsigned v)
{
	return (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 0xf);
}

#define RTC_B_DST 0x01
#define RTC_B_24H 0x02
#define RTC_B_BINARY 0x04
#define RTC_B_SET 0x80

/* A clock register as a number, whatever the chip's format. */
static unsigned rtc_value(uint8_t v, uint8_t regb)
{
	return (regb & RTC_B_BINARY) ? v : from_bcd(v);
}

static uint8_t rtc_reg(unsigned v, uint8_t regb)
{
	return (regb & RTC_B_BINARY) ? (uint8_t)v : bcd(v);
}

static unsigned rtc_hour(uint8_t v, uint8_t regb)
{
	unsigned h;

	if (regb & RTC_B_24H)
		return rtc_value(v, regb);
	h = rtc_value(v & 0x7f, regb) % 12;
	return (v & 0x80) ? h + 12 : h;
}

static uint8_t rtc_hour_reg(unsigned h, uint8_t regb)
{
	if (regb & RTC_B_24H)
		return rtc_reg(h, regb);
	return (uint8_t)(rtc_reg(h % 12 ? h % 12 : 12, regb) |
			 (h >= 12 ? 0x80 : 0));
}

/* 02h: CH:CL:DH = hours:minutes:seconds in BCD, DL = DST. */
static void rtc_time(struct dev_bios *b, struct bios_regs *r)
{
	uint8_t regb = cmos_get(b, 0x0b), s, m, h;

	/* Read until the seconds did not change under us. */
	for (unsigned tries = 0; tries < 3; tries++) {
		s = cmos_get(b, 0x00);
		m = cmos_get(b, 0x02);
		h = cmos_get(b, 0x04);
		if (cmos_get(b, 0x00) == s)
			break;
	}
	bios_set16(&r->ecx, (uint16_t)(bcd(rtc_hour(h, regb)) << 8 |
				       bcd(rtc_value(m, regb))));
	bios_set16(&r->edx, (uint16_t)(bcd(rtc_value(s, regb)) << 8 |
				       (regb & RTC_B_DST)));
	bios_ok(r);
}

/* 04h: CH = century, CL = year, DH = month, DL = day, all BCD. */
static void rtc_date(struct dev_bios *b, struct bios_regs *r)
{
	uint8_t regb = cmos_get(b, 0x0b);
	unsigned d = rtc_value(cmos_get(b, 0x07), regb);
	unsigned mo = rtc_value(cmos_get(b, 0x08), regb);
	unsigned y = rtc_value(cmos_get(b, 0x09), regb);
	unsigned c = rtc_value(cmos_get(b, 0x32), regb);

	bios_set16(&r->ecx, (uint16_t)(bcd(c) << 8 | bcd(y)));
	bios_set16(&r->edx, (uint16_t)(bcd(mo) << 8 | bcd(d)));
	bios_ok(r);
}

/* 03h and 05h: write the clock with register B's SET bit held. */
static void rtc_set(struct dev_bios *b, struct bios_regs *r, bool date)
{
	uint8_t regb = cmos_get(b, 0x0b);
	uint8_t ch = (uint8_t)(r->ecx >> 8), cl = (uint8_t)r->ecx;
	uint8_t dh = (uint8_t)(r->edx >> 8), dl = (uint8_t)r->edx;

	cmos_put(b, 0x0b, regb | RTC_B_SET);
	if (date) {
		cmos_put(b, 0x32, rtc_reg(from_bcd(ch), regb));
		cmos_put(b, 0x09, rtc_reg(from_bcd(cl), regb));
		cmos_put(b, 0x08, rtc_reg(from_bcd(dh), regb));
		cmos_put(b, 0x07, rtc_reg(from_bcd(dl), regb));
	} else {
		cmos_put(b, 0x04, rtc_hour_reg(from_bcd(ch), regb));
		cmos_put(b, 0x02, rtc_reg(from_bcd(cl), regb));
		cmos_put(b, 0x00, rtc_reg(from_bcd(dh), regb));
		regb = (uint8_t)((regb & ~RTC_B_DST) | (dl & RTC_B_DST));
	}
	cmos_put(b, 0x0b, regb & (uint8_t)~RTC_B_SET);
	bios_ok(r);
}

int bios_int1a(struct dev_bios *b, struct bios_regs *r)
{
	switch (bios_ah(r)) {
	case 0x00:
		ticks(b, r);
		break;
	case 0x01:
		set_ticks(b, r);
		break;
	case 0x02:
		rtc_time(b, r);
		break;
	case 0x03:
		rtc_set(b, r, false);
		break;
	case 0x04:
		rtc_date(b, r);
		break;
	case 0x05:
		rtc_set(b, r, true);
		break;
	default:
		bios_fail(r, BIOS_UNSUPPORTED);
		break;
	}
	return BIOS_DONE;
}
