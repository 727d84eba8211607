/*
 * interrupts - external interrupts through the 8259A pair: remapping, the
 * interrupt mask, IRR/ISR reads, EOI, IF (cli/sti, the sti shadow, hlt),
 * the PIT on IRQ 0 and the RTC's periodic interrupt on IRQ 8 (cascade).
 *
 * Nothing here depends on how fast time passes: "time has passed" is
 * measured by watching PIT channel 0 reload (its count goes up), never by
 * loop counts, and no tick count is printed. Checks only say what must be
 * true on any correct machine: no interrupt while IF = 0, a masked line,
 * or an unacknowledged one; at least one once they are allowed.
 */
#include "guest.h"

#define PIT_HZ_TEST 100
#define RTC_INDEX 0x70
#define RTC_DATA 0x71

static volatile uint32_t ticks, rtc_ticks;
static volatile uint32_t last_vector, last_cs, last_eflags;
static volatile int eoi_mode; /* 0 non-specific, 1 specific, 2 none */

static void timer_handler(struct trap_frame *f)
{
	ticks++;
	last_vector = f->vector;
	last_cs = f->cs & 0xffff;
	last_eflags = f->eflags;
	if (eoi_mode == 0)
		outb(0x20, 0x20);
	else if (eoi_mode == 1)
		outb(0x20, 0x60); /* specific EOI for IR0 */
}

static uint8_t cmos_read(uint8_t reg)
{
	outb(RTC_INDEX, 0x80 | reg); /* keep NMI off */
	return inb(RTC_DATA);
}

static void cmos_write(uint8_t reg, uint8_t v)
{
	outb(RTC_INDEX, 0x80 | reg);
	outb(RTC_DATA, v);
}

static void rtc_handler(struct trap_frame *f)
{
	rtc_ticks++;
	last_vector = f->vector;
	(void)cmos_read(0x0c); /* reading register C re-arms the interrupt */
	outb(0xa0, 0x20);
	outb(0x20, 0x20);
}

static uint16_t pit_count(void)
{
	uint8_t lo, hi;

	outb(0x43, 0x00); /* latch channel 0 */
	lo = inb(0x40);
	hi = inb(0x40);
	return lo | (uint16_t)hi << 8;
}

/* Wait (with whatever IF is) until PIT channel 0 reloaded n times. */
static void wait_pit_periods(int n)
{
	uint16_t prev = pit_count();

	while (n > 0) {
		uint16_t now = pit_count();

		if (now > prev)
			n--;
		prev = now;
	}
}

static void test_pic_registers(void)
{
	section("8259A registers");
	pic_set_mask(0xa5c3);
	CHECK_EQ(pic_get_mask(), 0xa5c3, "IMR (OCW1) reads back, both chips");
	pic_set_mask(0xffff);
	CHECK_EQ(pic_get_mask(), 0xffff, "every line masked");
	CHECK_EQ(pic_read_isr(), 0, "ISR is empty");
	/* Reading the IMR must not be confused by an OCW3 read selection. */
	outb(0x20, 0x0b);
	CHECK_EQ(inb(0x21), 0xff, "IMR reads back after OCW3 selects ISR");
	outb(0x20, 0x0a);
}

static void test_timer_basics(void)
{
	uint32_t t0;

	section("PIT on IRQ 0");
	trap_set_handler(IRQ_BASE + 0, timer_handler);
	pit_set_hz(PIT_HZ_TEST);
	eoi_mode = 0;
	ticks = 0;
	pic_set_mask(0xfffe);

	__asm__ volatile("sti; hlt; cli" ::: "memory");
	CHECK(ticks >= 1, "sti; hlt wakes up on the timer interrupt");
	CHECK_EQ(last_vector, IRQ_BASE, "IRQ 0 arrives on the remapped vector");
	CHECK_EQ(last_cs, SEL_KCODE, "interrupt frame: CS");
	CHECK(last_eflags & FL_IF, "interrupt frame: saved IF is 1");
	CHECK(!(read_eflags() & FL_IF), "cli leaves IF clear");

	t0 = ticks;
	for (int i = 0; i < 5; i++)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
	CHECK(ticks >= t0 + 5, "five hlt wake-ups, five interrupts");
	CHECK_EQ(pic_read_isr(), 0, "EOI cleared the ISR");
}

static void test_cli(void)
{
	uint32_t t0, in_shadow;

	section("IF = 0 holds interrupts back");
	cli();
	t0 = ticks;
	wait_pit_periods(3);
	CHECK_EQ(ticks, t0, "no interrupt during a busy wait with IF = 0");
	CHECK(pic_read_irr() & 1, "IRQ 0 is pending in the IRR");
	CHECK_EQ(pic_read_isr(), 0, "but not in service");

	/* sti delays interrupts by one instruction: the load below runs
	 * before the pending interrupt is taken. */
	__asm__ volatile("sti\n\t"
			 "movl %1, %0\n\t"
			 "nop\n\t"
			 "cli"
			 : "=r"(in_shadow)
			 : "m"(ticks)
			 : "memory");
	CHECK_EQ(in_shadow, t0, "the instruction after sti runs first");
	CHECK(ticks > t0, "the pending interrupt is taken right after it");
}

static void test_eoi(void)
{
	uint32_t t0;

	section("EOI");
	eoi_mode = 2; /* handler sends no EOI */
	t0 = ticks;
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	CHECK_EQ(ticks, t0 + 1, "one interrupt taken without EOI");
	CHECK(pic_read_isr() & 1, "IR0 stays in service without EOI");
	__asm__ volatile("sti" ::: "memory");
	wait_pit_periods(3);
	cli();
	CHECK_EQ(ticks, t0 + 1, "no further IRQ 0 while IR0 is in service");
	CHECK(pic_read_irr() & 1, "the next IRQ 0 waits in the IRR");

	eoi_mode = 1;
	outb(0x20, 0x60); /* specific EOI for IR0: the pending one comes in */
	CHECK_EQ(pic_read_isr(), 0, "specific EOI clears IR0 in the ISR");
	__asm__ volatile("sti; nop; cli" ::: "memory");
	CHECK(ticks >= t0 + 2, "after EOI the pending IRQ 0 is delivered");
	t0 = ticks;
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	CHECK(ticks > t0, "handler with specific EOI keeps ticks coming");
	CHECK_EQ(pic_read_isr(), 0, "ISR empty after specific EOI");
	eoi_mode = 0;
}

static void test_mask(void)
{
	uint32_t t0;

	section("masking a line");
	pic_set_mask(0xffff);
	t0 = ticks;
	__asm__ volatile("sti" ::: "memory");
	wait_pit_periods(3);
	cli();
	CHECK_EQ(ticks, t0, "no IRQ 0 while it is masked, even with IF = 1");
	CHECK(pic_read_irr() & 1, "a masked request still shows in the IRR");
	pic_set_mask(0xfffe);
	__asm__ volatile("sti; nop; cli" ::: "memory");
	CHECK(ticks > t0, "unmasking delivers the pending request");
}

static void test_rep_interrupted(void)
{
	static uint8_t src[64 * 1024], dst[64 * 1024];
	uint32_t t0, ok = 1;

	section("interrupts during rep movs");
	for (uint32_t i = 0; i < sizeof(src); i++)
		src[i] = (uint8_t)(i * 7 + (i >> 9));
	pit_set_hz(1000);
	t0 = ticks;
	__asm__ volatile("sti" ::: "memory");
	for (int round = 0; round < 4; round++) {
		const uint8_t *si = src;
		uint8_t *di = dst;
		uint32_t n = sizeof(src);

		memset(dst, 0, sizeof(dst));
		__asm__ volatile("rep movsb"
				 : "+S"(si), "+D"(di), "+c"(n)
				 :
				 : "memory");
		if (memcmp(src, dst, sizeof(src)))
			ok = 0;
	}
	__asm__ volatile("hlt" ::: "memory"); /* at least one tick for sure */
	cli();
	CHECK(ok, "rep movsb with the timer running copies correctly");
	CHECK(ticks > t0, "ticks arrived meanwhile");
	pit_set_hz(PIT_HZ_TEST);
}

static void test_rtc_cascade(void)
{
	uint8_t b;

	section("RTC periodic interrupt on IRQ 8 (slave PIC)");
	trap_set_handler(IRQ_BASE + 8, rtc_handler);
	pic_set_mask(~((1u << 2) | (1u << 8)) & 0xffff);
	cmos_write(0x0a, 0x26); /* 32768 Hz time base, 1024 Hz rate */
	b = cmos_read(0x0b);
	cmos_write(0x0b, b | 0x40); /* PIE */
	(void)cmos_read(0x0c);
	rtc_ticks = 0;
	__asm__ volatile("sti; hlt; cli" ::: "memory");
	CHECK(rtc_ticks >= 1, "hlt wakes up on the RTC interrupt");
	CHECK_EQ(last_vector, IRQ_BASE + 8, "IRQ 8 arrives on the slave base");
	__asm__ volatile("sti; hlt; hlt; hlt; cli" ::: "memory");
	CHECK(rtc_ticks >= 4, "RTC interrupts keep coming (register C read)");
	CHECK_EQ(pic_read_isr(), 0, "EOI to both chips cleared both ISRs");
	cmos_write(0x0b, b & ~0x40);
	(void)cmos_read(0x0c);
	pic_set_mask(0xffff);
	trap_set_handler(IRQ_BASE + 8, 0);
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	printf("interrupts: 8259A, 8254, IF and hlt\n");
	test_pic_registers();
	test_timer_basics();
	test_cli();
	test_eoi();
	test_mask();
	test_rep_interrupted();
	pic_set_mask(0xffff);
	test_rtc_cascade();
}
