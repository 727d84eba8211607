/*
 * test_devices.c - the bus (unclaimed ports, access splitting, MMIO, IRQ
 * routing), host timers, the console, the i8042, port 0x80, the debug
 * exit port and QEMU's pc-testdev.
 */
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/bus.h"
#include "devices/devices.h"
#include "monitor/console.h"
#include "monitor/machine.h"
#include "monitor/timer.h"

static struct machine *m;

static void outb(uint16_t port, uint8_t v)
{
	bus_pio_write(&m->bus, port, 1, v);
}

static uint8_t inb(uint16_t port)
{
	return (uint8_t)bus_pio_read(&m->bus, port, 1);
}

static void setup_machine(void)
{
	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	m->mem.size = 32u << 20;
	ck_assert_int_eq(dev_pic_init(m), 0);
	ck_assert_int_eq(dev_pit_init(m), 0);
	ck_assert_int_eq(dev_uart_init(m), 0);
	ck_assert_int_eq(dev_cmos_init(m), 0);
	ck_assert_int_eq(dev_i8042_init(m), 0);
	ck_assert_int_eq(dev_port80_init(m), 0);
	ck_assert_int_eq(dev_debugexit_init(m), 0);
}

static void teardown_machine(void)
{
	devices_destroy(m);
	free(m);
}

/* ---- bus ---- */

/* A test device that records its accesses. */
struct probe {
	uint8_t regs[8];
	unsigned reads, writes;
	unsigned last_size;
	uint32_t last_offset;
};

static uint32_t probe_read(void *opaque, uint32_t offset, unsigned size)
{
	struct probe *p = opaque;
	uint32_t v = 0;

	p->reads++;
	p->last_size = size;
	p->last_offset = offset;
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)p->regs[offset + i] << (8 * i);
	return v;
}

static void probe_write(void *opaque, uint32_t offset, unsigned size,
			uint32_t value)
{
	struct probe *p = opaque;

	p->writes++;
	p->last_size = size;
	p->last_offset = offset;
	for (unsigned i = 0; i < size; i++)
		p->regs[offset + i] = (uint8_t)(value >> (8 * i));
}

static struct bus bus;

START_TEST(test_bus_unclaimed)
{
	bus_init(&bus);
	ck_assert_uint_eq(bus_pio_read(&bus, 0x1234, 1), 0xff);
	ck_assert_uint_eq(bus_pio_read(&bus, 0x1234, 2), 0xffff);
	ck_assert_uint_eq(bus_pio_read(&bus, 0x1234, 4), 0xffffffff);
	bus_pio_write(&bus, 0x1234, 4, 0);
	ck_assert_uint_eq(bus.pio_unclaimed, 1 + 2 + 4 + 4);
	ck_assert_uint_eq(bus_mmio_read(&bus, 0xfee00000, 4), 0xffffffff);
	ck_assert_uint_eq(bus.mmio_unclaimed, 1);
	ck_assert_int_eq(bus_intr_ack(&bus), -1);
}
END_TEST

START_TEST(test_bus_whole_access)
{
	struct probe p = {.regs = {1, 2, 3, 4, 5, 6, 7, 8}};

	bus_init(&bus);
	bus_register_pio(&bus, "probe", 0x310, 8, probe_read, probe_write, &p);
	ck_assert_uint_eq(bus_pio_read(&bus, 0x314, 4), 0x08070605);
	ck_assert_uint_eq(p.reads, 1);
	ck_assert_uint_eq(p.last_size, 4);
	ck_assert_uint_eq(p.last_offset, 4);
	bus_pio_write(&bus, 0x312, 2, 0xbeef);
	ck_assert_uint_eq(p.writes, 1);
	ck_assert_uint_eq(p.regs[2], 0xef);
	ck_assert_uint_eq(p.regs[3], 0xbe);
	/* Values are masked to the access size. */
	ck_assert_uint_eq(bus_pio_read(&bus, 0x310, 1), 1);
}
END_TEST

START_TEST(test_bus_split_byte_wide)
{
	struct probe p = {.regs = {0x11, 0x22, 0x33, 0x44}};

	bus_init(&bus);
	bus_register_pio8(&bus, "probe8", 0x300, 4, probe_read, probe_write,
			  &p);
	ck_assert_uint_eq(bus_pio_read(&bus, 0x300, 4), 0x44332211);
	ck_assert_uint_eq(p.reads, 4);
	ck_assert_uint_eq(p.last_size, 1);
	bus_pio_write(&bus, 0x301, 2, 0xa5b6);
	ck_assert_uint_eq(p.writes, 2);
	ck_assert_uint_eq(p.regs[1], 0xb6);
	ck_assert_uint_eq(p.regs[2], 0xa5);
	ck_assert_uint_eq(p.last_offset, 2);
	ck_assert_uint_eq(bus.pio_unclaimed, 0);
}
END_TEST

START_TEST(test_bus_split_crossing)
{
	struct probe a = {.regs = {0x11, 0x22, 0x33, 0x44}};
	struct probe b = {.regs = {0x55, 0x66}};

	bus_init(&bus);
	bus_register_pio(&bus, "a", 0x310, 4, probe_read, probe_write, &a);
	bus_register_pio(&bus, "b", 0x314, 2, probe_read, probe_write, &b);
	/* Two bytes of a, two of b. */
	ck_assert_uint_eq(bus_pio_read(&bus, 0x312, 4), 0x66554433);
	ck_assert_uint_eq(a.reads, 2);
	ck_assert_uint_eq(b.reads, 2);
	/* One byte of b, then unclaimed ports. */
	ck_assert_uint_eq(bus_pio_read(&bus, 0x315, 4), 0xffffff66);
	ck_assert_uint_eq(bus.pio_unclaimed, 3);
	bus_pio_write(&bus, 0x313, 2, 0x0102);
	ck_assert_uint_eq(a.regs[3], 0x02);
	ck_assert_uint_eq(b.regs[0], 0x01);
}
END_TEST

START_TEST(test_bus_overlap_aborts)
{
	struct probe p;

	bus_init(&bus);
	bus_register_pio(&bus, "a", 0x310, 4, probe_read, probe_write, &p);
	bus_register_pio(&bus, "b", 0x313, 2, probe_read, probe_write, &p);
}
END_TEST

START_TEST(test_bus_mmio)
{
	struct probe p = {.regs = {1, 2, 3, 4, 5, 6, 7, 8}};

	bus_init(&bus);
	bus_register_mmio(&bus, "probe", 0xfec00000, 8, probe_read, probe_write,
			  &p);
	ck_assert_ptr_nonnull(bus_mmio_find(&bus, 0xfec00007));
	ck_assert_ptr_null(bus_mmio_find(&bus, 0xfec00008));
	ck_assert_ptr_null(bus_mmio_find(&bus, 0xfebfffff));
	ck_assert_uint_eq(bus_mmio_read(&bus, 0xfec00004, 4), 0x08070605);
	bus_mmio_write(&bus, 0xfec00000, 2, 0x9988);
	ck_assert_uint_eq(p.regs[0], 0x88);
	ck_assert_uint_eq(p.regs[1], 0x99);
	/* Straddling the end: the last byte is unclaimed. */
	ck_assert_uint_eq(bus_mmio_read(&bus, 0xfec00006, 4), 0xffff0807);
}
END_TEST

static unsigned irq_seen[16];
static int irq_level_seen[16];

static void record_irq(void *opaque, unsigned irq, int level)
{
	irq_seen[irq]++;
	irq_level_seen[irq] = level;
}

static int fake_ack(void *opaque)
{
	return *(int *)opaque;
}

START_TEST(test_bus_irq_routing)
{
	int vec = 0x42;

	bus_init(&bus);
	bus_set_irq(&bus, 3, 1); /* no handler yet: ignored */
	bus_add_irq_sink(&bus, record_irq, NULL);
	bus_set_extint_ack(&bus, fake_ack, &vec);
	bus_set_irq(&bus, 5, 1);
	ck_assert_uint_eq(irq_seen[5], 1);
	ck_assert_int_eq(irq_level_seen[5], 1);
	bus_set_irq(&bus, 5, 0);
	ck_assert_int_eq(irq_level_seen[5], 0);
	ck_assert_int_eq(bus_intr_ack(&bus), 0x42);
	/* Without a local APIC the 8259's output is the CPU's INTR pin. */
	bus_set_extint(&bus, true);
	ck_assert(bus.intr);
	bus_set_extint(&bus, false);
	ck_assert(!bus.intr);
}
END_TEST

/* ---- timers ---- */

static int fire_order[8];
static int nfired;

static void record_fire(void *opaque, uint64_t now)
{
	fire_order[nfired++] = *(int *)opaque;
}

static struct mon_timer rearm_timer;
static void rearm_fire(void *opaque, uint64_t now)
{
	nfired++;
	if (nfired < 3)
		mon_timer_arm(&rearm_timer, rearm_timer.deadline_ns + 100);
}

static uint64_t notified[8];
static int nnotified;
static void record_notify(uint64_t deadline)
{
	notified[nnotified++] = deadline;
}

START_TEST(test_timer_order)
{
	struct mon_timer t[3];
	int id[3] = {0, 1, 2};

	mon_timer_init(&t[0], "a", record_fire, &id[0]);
	mon_timer_init(&t[1], "b", record_fire, &id[1]);
	mon_timer_init(&t[2], "c", record_fire, &id[2]);
	mon_timer_arm(&t[0], 300);
	mon_timer_arm(&t[1], 100);
	mon_timer_arm(&t[2], 200);
	ck_assert_uint_eq(mon_timers_next(), 100);
	ck_assert_uint_eq(mon_timers_run(99), 100);
	ck_assert_int_eq(nfired, 0);
	ck_assert_uint_eq(mon_timers_run(250), 300);
	ck_assert_int_eq(nfired, 2);
	ck_assert_int_eq(fire_order[0], 1);
	ck_assert_int_eq(fire_order[1], 2);
	ck_assert(!t[1].armed);
	/* Re-arming moves a timer; cancelling removes it. */
	mon_timer_arm(&t[0], 50);
	ck_assert_uint_eq(mon_timers_next(), 50);
	mon_timer_cancel(&t[0]);
	ck_assert_uint_eq(mon_timers_next(), 0);
	ck_assert_uint_eq(mon_timers_run(1000), 0);
	ck_assert_int_eq(nfired, 2);
}
END_TEST

START_TEST(test_timer_rearm_in_callback)
{
	mon_timer_init(&rearm_timer, "r", rearm_fire, NULL);
	mon_timer_arm(&rearm_timer, 100);
	ck_assert_uint_eq(mon_timers_run(150), 200);
	ck_assert_int_eq(nfired, 1);
	/* Late by two periods: each expired deadline fires once. */
	ck_assert_uint_eq(mon_timers_run(1000), 0);
	ck_assert_int_eq(nfired, 3);
}
END_TEST

START_TEST(test_timer_notify)
{
	struct mon_timer a, b;
	int id = 0;

	mon_timer_init(&a, "a", record_fire, &id);
	mon_timer_init(&b, "b", record_fire, &id);
	mon_timers_set_notify(record_notify);
	mon_timer_arm(&a, 500);
	mon_timer_arm(&b, 700); /* not the earliest: no notification */
	mon_timer_arm(&b, 400);
	mon_timer_cancel(&b);
	mon_timers_run(600);
	ck_assert_int_eq(nnotified, 4);
	ck_assert_uint_eq(notified[0], 500);
	ck_assert_uint_eq(notified[1], 400);
	ck_assert_uint_eq(notified[2], 500);
	ck_assert_uint_eq(notified[3], 0);
}
END_TEST

START_TEST(test_fake_clock)
{
	uint64_t real = mon_now_ns();

	ck_assert_uint_gt(real, 0);
	mon_clock_set_fake(12345);
	ck_assert_uint_eq(mon_now_ns(), 12345);
	mon_clock_use_real();
	ck_assert_uint_ge(mon_now_ns(), real);
}
END_TEST

/* ---- console ---- */

static int drain(int fd, char *buf, size_t len)
{
	ssize_t n = read(fd, buf, len);
	return n < 0 ? 0 : (int)n;
}

START_TEST(test_console_output_buffering)
{
	int fds[2];
	char buf[8192];

	struct console_stats st0, st;

	console_get_stats(&st0);
	ck_assert_int_eq(pipe(fds), 0);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	console_set_output_fd(fds[1]);
	console_write("abc", 3);
	ck_assert_int_eq(drain(fds[0], buf, sizeof(buf)), 0);
	console_flush();
	ck_assert_int_eq(drain(fds[0], buf, sizeof(buf)), 3);
	ck_assert(memcmp(buf, "abc", 3) == 0);
	console_putc('x');
	console_putc('\n');
	ck_assert_int_eq(drain(fds[0], buf, sizeof(buf)), 2);
	/* A full buffer is written out without a newline. */
	for (int i = 0; i < 5000; i++)
		console_putc('y');
	ck_assert_int_eq(drain(fds[0], buf, sizeof(buf)), 4096);
	console_flush();
	ck_assert_int_eq(drain(fds[0], buf, sizeof(buf)), 5000 - 4096);
	console_get_stats(&st);
	ck_assert_uint_eq(st.out_bytes - st0.out_bytes, 3 + 2 + 5000);
}
END_TEST

START_TEST(test_console_input_passthrough)
{
	const uint8_t in[] = {'a', 0x01, 'x', 0x01, 0x01, '\n'};

	console_set_escapes(false);
	console_input_feed(in, sizeof(in));
	for (size_t i = 0; i < sizeof(in); i++)
		ck_assert_int_eq(console_input_get(), in[i]);
	ck_assert_int_eq(console_input_get(), -1);
	ck_assert(!console_quit_requested());
}
END_TEST

START_TEST(test_console_escapes)
{
	const uint8_t in[] = {'a', 0x01, 0x01, 'b', 0x01, 'h', 0x01, 'x'};

	console_set_escapes(true);
	console_input_feed(in, sizeof(in));
	ck_assert_int_eq(console_input_get(), 'a');
	ck_assert_int_eq(console_input_get(), 0x01);
	ck_assert_int_eq(console_input_get(), 'b');
	ck_assert_int_eq(console_input_get(), -1);
	ck_assert(console_quit_requested());
	/* An escape split across two reads still works. */
	const uint8_t c1[] = {0x01}, c2[] = {0x01};
	console_input_feed(c1, 1);
	ck_assert_int_eq(console_input_get(), -1);
	console_input_feed(c2, 1);
	ck_assert_int_eq(console_input_get(), 0x01);
}
END_TEST

START_TEST(test_console_ring_full)
{
	static uint8_t big[5000];
	struct console_stats st0, st;

	memset(big, 'z', sizeof(big));
	console_get_stats(&st0);
	ck_assert_uint_eq(console_input_room(), 4096);
	console_input_feed(big, sizeof(big));
	ck_assert_uint_eq(console_input_room(), 0);
	console_get_stats(&st);
	ck_assert_uint_eq(st.in_bytes - st0.in_bytes, 4096);
	ck_assert_uint_eq(st.in_dropped - st0.in_dropped, 5000 - 4096);
	ck_assert_int_eq(console_input_get(), 'z');
	ck_assert_uint_eq(console_input_room(), 1);
	ck_assert(!console_input_at_eof());
	console_input_eof();
	ck_assert(console_input_at_eof());
}
END_TEST

/* ---- i8042 ---- */

static uint8_t kbc_read(void)
{
	ck_assert_uint_eq(inb(0x64) & 0x01, 0x01);
	return inb(0x60);
}

static void kbc_empty(void)
{
	ck_assert_uint_eq(inb(0x64) & 0x01, 0x00);
}

START_TEST(test_i8042_self_test)
{
	outb(0x64, 0xaa);
	ck_assert_uint_eq(inb(0x64) & 0x0d, 0x0d); /* OBF, SYS, CMD */
	ck_assert_uint_eq(kbc_read(), 0x55);
	kbc_empty();
	outb(0x64, 0xab);
	ck_assert_uint_eq(kbc_read(), 0x00);
	outb(0x64, 0xa9);
	ck_assert_uint_eq(kbc_read(), 0x00);
	kbc_empty();
}
END_TEST

START_TEST(test_i8042_command_byte)
{
	outb(0x64, 0x20);
	uint8_t ccb = kbc_read();
	ck_assert_uint_eq(ccb & 0x45, 0x45); /* translate, SYS, KBD IRQ */
	outb(0x64, 0x60);
	outb(0x60, 0x47);
	outb(0x64, 0x20);
	ck_assert_uint_eq(kbc_read(), 0x47);
	outb(0x64, 0xa7);
	outb(0x64, 0x20);
	ck_assert_uint_eq(kbc_read() & 0x20, 0x20);
	outb(0x64, 0xa8);
	outb(0x64, 0x20);
	ck_assert_uint_eq(kbc_read() & 0x20, 0x00);
	outb(0x64, 0xad);
	outb(0x64, 0x20);
	ck_assert_uint_eq(kbc_read() & 0x10, 0x10);
	outb(0x64, 0xae);
	outb(0x64, 0x20);
	ck_assert_uint_eq(kbc_read() & 0x10, 0x00);
	/* The output port reports A20 on and the CPU out of reset. */
	outb(0x64, 0xd0);
	ck_assert_uint_eq(kbc_read() & 0x03, 0x03);
}
END_TEST

START_TEST(test_i8042_keyboard)
{
	outb(0x60, 0xff);
	ck_assert_uint_eq(kbc_read(), 0xfa);
	ck_assert_uint_eq(kbc_read(), 0xaa);
	kbc_empty();
	outb(0x60, 0xf2);
	ck_assert_uint_eq(kbc_read(), 0xfa);
	ck_assert_uint_eq(kbc_read(), 0xab);
	ck_assert_uint_eq(kbc_read(), 0x41); /* translated MF2 id */
	outb(0x64, 0x60);
	outb(0x60, 0x05); /* translation off */
	outb(0x60, 0xf2);
	ck_assert_uint_eq(kbc_read(), 0xfa);
	ck_assert_uint_eq(kbc_read(), 0xab);
	ck_assert_uint_eq(kbc_read(), 0x83);
	outb(0x60, 0xed);
	ck_assert_uint_eq(kbc_read(), 0xfa);
	outb(0x60, 0x07);
	ck_assert_uint_eq(kbc_read(), 0xfa);
	outb(0x60, 0xf3);
	ck_assert_uint_eq(kbc_read(), 0xfa);
	outb(0x60, 0x20);
	ck_assert_uint_eq(kbc_read(), 0xfa);
	outb(0x60, 0xf0);
	ck_assert_uint_eq(kbc_read(), 0xfa);
	outb(0x60, 0x00);
	ck_assert_uint_eq(kbc_read(), 0xfa);
	ck_assert_uint_eq(kbc_read(), 0x02); /* scan set 2 */
	outb(0x60, 0xf4);
	ck_assert_uint_eq(kbc_read(), 0xfa);
	outb(0x60, 0xf5);
	ck_assert_uint_eq(kbc_read(), 0xfa);
	outb(0x60, 0xee);
	ck_assert_uint_eq(kbc_read(), 0xee);
	kbc_empty();
}
END_TEST

START_TEST(test_i8042_aux_probe)
{
	/* Loopback through the AUX output buffer. */
	outb(0x64, 0xd3);
	outb(0x60, 0x5a);
	ck_assert_uint_eq(inb(0x64) & 0x21, 0x21);
	ck_assert_uint_eq(inb(0x60), 0x5a);
	/* And the keyboard one. */
	outb(0x64, 0xd2);
	outb(0x60, 0x33);
	ck_assert_uint_eq(inb(0x64) & 0x21, 0x01);
	ck_assert_uint_eq(inb(0x60), 0x33);
	/* No mouse: a byte for it times out. */
	outb(0x64, 0xd4);
	outb(0x60, 0xf2);
	ck_assert_uint_eq(inb(0x64) & 0x61, 0x61);
	ck_assert_uint_eq(inb(0x60), 0xfe);
	ck_assert_uint_eq(inb(0x64) & 0x61, 0x00);
	ck_assert_uint_eq(dev_i8042_stats(m->i8042)->aux_timeouts, 1);
}
END_TEST

START_TEST(test_i8042_irqs)
{
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0x21, 0x00);
	outb(0xa0, 0x11);
	outb(0xa1, 0x28);
	outb(0xa1, 0x02);
	outb(0xa1, 0x01);
	outb(0xa1, 0x00);
	const struct dev_pic_stats *ps = dev_pic_stats(m->pic);
	outb(0x60, 0xff); /* two bytes: two IRQ1 edges */
	ck_assert_uint_eq(ps->raised[1], 1);
	inb(0x60);
	ck_assert_uint_eq(ps->raised[1], 2);
	inb(0x60);
	ck_assert_uint_eq(ps->raised[1], 2);
	/* Without the KBD interrupt bit there is no IRQ1. */
	outb(0x64, 0x60);
	outb(0x60, 0x44);
	outb(0x64, 0xaa);
	ck_assert_uint_eq(ps->raised[1], 2);
	inb(0x60);
	/* AUX data raises IRQ12 when enabled. */
	outb(0x64, 0x60);
	outb(0x60, 0x46);
	outb(0x64, 0xd3);
	outb(0x60, 0xa5);
	ck_assert_uint_eq(ps->raised[12], 1);
	ck_assert_uint_eq(ps->raised[1], 2);
}
END_TEST

START_TEST(test_i8042_reset_0xfe)
{
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_NONE);
	outb(0x64, 0xfe);
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_RESET);
	ck_assert_int_eq(m->cpu.kick, 1);
}
END_TEST

START_TEST(test_i8042_reset_other_ways)
{
	outb(0x64, 0xff); /* pulses nothing */
	outb(0x64, 0xfd); /* pulses bit 1 only */
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_NONE);
	outb(0x64, 0xd1);
	outb(0x60, 0x03); /* reset line high: nothing */
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_NONE);
	outb(0x64, 0xd1);
	outb(0x60, 0x02);
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_RESET);
	m->cpu.stop_reason = VCPU_EXIT_NONE;
	/* Port 0x92: A20 reads as on; bit 0 set resets. */
	ck_assert_uint_eq(inb(0x92) & 0x02, 0x02);
	outb(0x92, 0x00);
	ck_assert_uint_eq(inb(0x92) & 0x02, 0x02);
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_NONE);
	outb(0x92, 0x03);
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_RESET);
	ck_assert_uint_eq(dev_i8042_stats(m->i8042)->resets, 2);
}
END_TEST

/* ---- port 0x80 and debug exit ---- */

START_TEST(test_port80)
{
	uint8_t code;

	ck_assert(!dev_port80_seen(m, &code));
	outb(0x80, 0x42);
	ck_assert_uint_eq(inb(0x80), 0x42);
	ck_assert(dev_port80_seen(m, &code));
	ck_assert_uint_eq(code, 0x42);
}
END_TEST

START_TEST(test_debugexit)
{
	outb(0xf4, 0x21);
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_DEBUGEXIT);
	ck_assert_int_eq(m->cpu.debug_exit_value, 0x21);
	m->cpu.stop_reason = VCPU_EXIT_NONE;
	bus_pio_write(&m->bus, 0xf4, 4, 0x1234);
	ck_assert_int_eq(m->cpu.stop_reason, VCPU_EXIT_DEBUGEXIT);
	ck_assert_int_eq(m->cpu.debug_exit_value, 0x1234);
	m->cpu.stop_reason = VCPU_EXIT_NONE;
	bus_pio_write(&m->bus, 0xf6, 2, 7);
	ck_assert_int_eq(m->cpu.debug_exit_value, 7);
	ck_assert_uint_eq(inb(0xf4), 0xff);
}
END_TEST

/* pc-testdev: absent unless asked for; then its data register by byte,
 * its byte-split alias, the IRQ lines and its 64 KiB of MMIO memory. */
START_TEST(test_pc_testdev)
{
	ck_assert_int_eq(dev_testdev_init(m), 0);
	ck_assert_ptr_null(m->testdev);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0xe0, 4), 0xffffffffu);
	ck_assert_ptr_null(bus_mmio_find(&m->bus, 0xff000000u));

	m->opt.pc_testdev = true;
	ck_assert_int_eq(dev_testdev_init(m), 0);
	ck_assert_ptr_nonnull(m->testdev);
	bus_pio_write(&m->bus, 0xe0, 4, 0x11223344);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0xe0, 4), 0x11223344);
	ck_assert_uint_eq(inb(0xe1), 0x33);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0xe2, 2), 0x1122);
	outb(0xe3, 0xaa);
	bus_pio_write(&m->bus, 0xe0, 2, 0x9999);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0xe0, 4), 0xaa229999u);
	/* 0xe8: the same register, in bytes. */
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0xe8, 4), 0xaa229999u);
	bus_pio_write(&m->bus, 0xe8, 4, 0x01020304);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0xe0, 4), 0x01020304);
	/* The flush port takes a page address and does nothing visible. */
	bus_pio_write(&m->bus, 0xe4, 4, 0x1000);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0xe4, 4), 0);

	/* IRQ lines: 0x2000 + n drives ISA line n (here IRQ 3 through an
	 * initialised 8259). */
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0x21, 0x00);
	outb(0x2003, 1);
	ck_assert(m->bus.intr);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x23);
	outb(0x2003, 0);
	ck_assert_uint_eq(inb(0x2003), 0);

	/* Device memory: what is written reads back, at every size. */
	bus_mmio_write(&m->bus, 0xff000010u, 4, 0xdeadbeef);
	ck_assert_uint_eq(bus_mmio_read(&m->bus, 0xff000010u, 4), 0xdeadbeef);
	ck_assert_uint_eq(bus_mmio_read(&m->bus, 0xff000012u, 2), 0xdead);
	bus_mmio_write(&m->bus, 0xff00ffffu, 1, 0x5a);
	ck_assert_uint_eq(bus_mmio_read(&m->bus, 0xff00ffffu, 1), 0x5a);
	dev_testdev_reset(m->testdev);
	ck_assert_uint_eq(bus_mmio_read(&m->bus, 0xff000010u, 4), 0);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0xe0, 4), 0);
}
END_TEST

START_TEST(test_machine_ports_unclaimed)
{
	/* Between the devices: nobody answers, and it is counted. */
	uint64_t before = m->bus.pio_unclaimed;
	ck_assert_uint_eq(inb(0x62), 0xff);
	ck_assert_uint_eq(bus_pio_read(&m->bus, 0x2f8, 2), 0xffff);
	ck_assert_uint_eq(m->bus.pio_unclaimed, before + 3);
	/* A word access to the PIC is split into its two byte registers:
	 * ICW1 at 0x20 (which clears the mask), then ICW2 at 0x21. */
	bus_pio_write(&m->bus, 0x20, 2, 0x3011);
	ck_assert_uint_eq(inb(0x21), 0x00);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	bus_set_irq(&m->bus, 1, 1);
	ck_assert_int_eq(bus_intr_ack(&m->bus), 0x31);
}
END_TEST

START_TEST(test_devices_reset)
{
	/* Leave every device in a state a kernel would. */
	outb(0x20, 0x11);
	outb(0x21, 0x20);
	outb(0x21, 0x04);
	outb(0x21, 0x01);
	outb(0x21, 0x00);
	outb(0x43, 0x34); /* PIT counter 0: mode 2 */
	outb(0x40, 0x00);
	outb(0x40, 0x10);
	outb(0x3f9, 0x0f); /* UART IER */
	outb(0x3fc, 0x0b);
	outb(0x70, 0x0b); /* RTC: periodic interrupt on */
	outb(0x71, 0x42);
	outb(0x70, 0x40);
	outb(0x71, 0x77); /* a CMOS RAM byte */
	outb(0x64, 0xaa); /* a byte waiting in the i8042 */
	ck_assert(m->bus.intr);

	devices_reset(m);
	ck_assert(!m->bus.intr);
	ck_assert_uint_eq(inb(0x21), 0xfb);
	ck_assert_uint_eq(inb(0xa1), 0xff);
	outb(0x43, 0xe2);
	ck_assert_uint_eq(inb(0x40) & 0x3f, 0x36); /* lo/hi, mode 3 */
	ck_assert_uint_eq(inb(0x3f9), 0x00);
	ck_assert_uint_eq(inb(0x3fc), 0x00);
	ck_assert_uint_eq(inb(0x3fb), 0x03);
	outb(0x70, 0x0b);
	ck_assert_uint_eq(inb(0x71) & 0x70, 0x00);
	outb(0x70, 0x40);
	ck_assert_uint_eq(inb(0x71), 0x77); /* battery-backed RAM survives */
	kbc_empty();
	outb(0x64, 0x20);
	ck_assert_uint_eq(kbc_read(), 0x65);
	/* The devices still answer on the bus. */
	outb(0x80, 0x12);
	ck_assert_uint_eq(inb(0x80), 0x12);
}
END_TEST

static Suite *devices_suite(void)
{
	Suite *s = suite_create("devices");
	TCase *tc;

	tc = tcase_create("bus");
	tcase_add_test(tc, test_bus_unclaimed);
	tcase_add_test(tc, test_bus_whole_access);
	tcase_add_test(tc, test_bus_split_byte_wide);
	tcase_add_test(tc, test_bus_split_crossing);
	tcase_add_test_raise_signal(tc, test_bus_overlap_aborts, SIGABRT);
	tcase_add_test(tc, test_bus_mmio);
	tcase_add_test(tc, test_bus_irq_routing);
	suite_add_tcase(s, tc);

	tc = tcase_create("timer");
	tcase_add_test(tc, test_timer_order);
	tcase_add_test(tc, test_timer_rearm_in_callback);
	tcase_add_test(tc, test_timer_notify);
	tcase_add_test(tc, test_fake_clock);
	suite_add_tcase(s, tc);

	tc = tcase_create("console");
	tcase_add_test(tc, test_console_output_buffering);
	tcase_add_test(tc, test_console_input_passthrough);
	tcase_add_test(tc, test_console_escapes);
	tcase_add_test(tc, test_console_ring_full);
	suite_add_tcase(s, tc);

	tc = tcase_create("machine");
	tcase_add_checked_fixture(tc, setup_machine, teardown_machine);
	tcase_add_test(tc, test_i8042_self_test);
	tcase_add_test(tc, test_i8042_command_byte);
	tcase_add_test(tc, test_i8042_keyboard);
	tcase_add_test(tc, test_i8042_aux_probe);
	tcase_add_test(tc, test_i8042_irqs);
	tcase_add_test(tc, test_i8042_reset_0xfe);
	tcase_add_test(tc, test_i8042_reset_other_ways);
	tcase_add_test(tc, test_port80);
	tcase_add_test(tc, test_debugexit);
	tcase_add_test(tc, test_pc_testdev);
	tcase_add_test(tc, test_machine_ports_unclaimed);
	tcase_add_test(tc, test_devices_reset);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(devices_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
