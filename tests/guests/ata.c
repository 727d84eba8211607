/*
 * ata - the IDE disk as a teaching kernel (xv6) uses it, and a little more:
 * one disk as primary slave (drive 1) and no master, given by the test
 * script (run-ata.sh) with -drive file=IMG,index=1,media=disk,format=raw.
 *
 * The image holds a known pattern (byte o = (o / 512) * 7 + (o % 512) * 3
 * + 1, modulo 256) over DISK_SECTORS sectors. The guest identifies the
 * drive, reads sectors with 32-bit (insl) and 16-bit (insw) transfers,
 * writes sectors 10-11 (WRITE SECTORS), 40-45 (WRITE MULTIPLE) and 70-71
 * (interrupt-driven) with its own pattern and reads them back, and checks
 * errors. The script then checks from the host that exactly those
 * sectors changed. Interrupts come through the 8259 pair on IRQ 14.
 *
 * Nothing printed depends on the emulator: the model string, serial
 * number and the exact error bits beyond ERR differ between bt386 and
 * QEMU and are checked, not printed.
 */
#include "guest.h"

#define BASE 0x1f0
#define CTL 0x3f6
#define REG_ERROR (BASE + 1)
#define REG_COUNT (BASE + 2)
#define REG_LBA0 (BASE + 3)
#define REG_LBA1 (BASE + 4)
#define REG_LBA2 (BASE + 5)
#define REG_DEVICE (BASE + 6)
#define REG_STATUS (BASE + 7)
#define REG_CMD (BASE + 7)

#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DF 0x20
#define ST_DRDY 0x40
#define ST_BSY 0x80

#define DISK_SECTORS 128
#define IRQ_DISK 14

static uint8_t buf[16 * 512];
static volatile unsigned irqs;
static volatile unsigned irq_sectors; /* sectors moved by the handler */
static volatile int irq_mode;	      /* 0 count only, 1 read, 2 write */
static uint8_t *volatile irq_ptr;
static volatile unsigned irq_left;

static void insl(uint16_t port, void *dst, uint32_t n)
{
	__asm__ volatile("cld; rep insl"
			 : "+D"(dst), "+c"(n)
			 : "d"(port)
			 : "memory");
}

static void insw(uint16_t port, void *dst, uint32_t n)
{
	__asm__ volatile("cld; rep insw"
			 : "+D"(dst), "+c"(n)
			 : "d"(port)
			 : "memory");
}

static void outsl(uint16_t port, const void *src, uint32_t n)
{
	__asm__ volatile("cld; rep outsl"
			 : "+S"(src), "+c"(n)
			 : "d"(port)
			 : "memory");
}

static uint8_t pattern(uint32_t off)
{
	return (uint8_t)((off / 512) * 7 + (off % 512) * 3 + 1);
}

/* What the guest writes: distinct per sector, unlike the pattern. */
static uint8_t written(uint32_t lba, uint32_t i)
{
	return (uint8_t)(0x5a ^ (lba * 13) ^ (i * 5));
}

static int matches_pattern(const uint8_t *p, uint32_t lba, unsigned n)
{
	for (uint32_t i = 0; i < n * 512; i++)
		if (p[i] != pattern(lba * 512 + i))
			return 0;
	return 1;
}

static int matches_written(const uint8_t *p, uint32_t lba, unsigned n)
{
	for (uint32_t s = 0; s < n; s++)
		for (uint32_t i = 0; i < 512; i++)
			if (p[s * 512 + i] != written(lba + s, i))
				return 0;
	return 1;
}

static void fill_written(uint8_t *p, uint32_t lba, unsigned n)
{
	for (uint32_t s = 0; s < n; s++)
		for (uint32_t i = 0; i < 512; i++)
			p[s * 512 + i] = written(lba + s, i);
}

/* xv6's idewait: spin until BSY clears and DRDY is set. */
static uint8_t wait_ready(void)
{
	uint8_t st;

	for (unsigned i = 0; i < 10000000; i++) {
		st = inb(REG_STATUS);
		if ((st & (ST_BSY | ST_DRDY)) == ST_DRDY)
			return st;
	}
	return st;
}

/* Poll until BSY clears; the status that ends the wait. */
static uint8_t wait_not_busy(void)
{
	uint8_t st = ST_BSY;

	for (unsigned i = 0; i < 10000000 && (st & ST_BSY); i++)
		st = inb(REG_STATUS);
	return st;
}

static void issue(uint8_t cmd, uint32_t lba, uint8_t count)
{
	wait_ready();
	outb(REG_COUNT, count);
	outb(REG_LBA0, lba & 0xff);
	outb(REG_LBA1, (lba >> 8) & 0xff);
	outb(REG_LBA2, (lba >> 16) & 0xff);
	outb(REG_DEVICE, 0xf0 | ((lba >> 24) & 0x0f)); /* LBA, drive 1 */
	outb(REG_CMD, cmd);
}

/* Polled PIO data-in: `n` sectors in DRQ blocks of `block` sectors. */
static int read_polled(uint8_t cmd, uint32_t lba, unsigned n, unsigned block,
		       uint8_t *dst)
{
	issue(cmd, lba, (uint8_t)n);
	for (unsigned s = 0; s < n; s += block) {
		unsigned k = n - s < block ? n - s : block;
		uint8_t st = wait_not_busy();
		if ((st & (ST_ERR | ST_DRQ)) != ST_DRQ)
			return -1;
		insl(BASE, dst + s * 512, k * 128);
	}
	return (wait_not_busy() & (ST_ERR | ST_DRQ)) ? -1 : 0;
}

static int write_polled(uint8_t cmd, uint32_t lba, unsigned n, unsigned block,
			const uint8_t *src)
{
	issue(cmd, lba, (uint8_t)n);
	for (unsigned s = 0; s < n; s += block) {
		unsigned k = n - s < block ? n - s : block;
		uint8_t st = wait_not_busy();
		if ((st & (ST_ERR | ST_DRQ)) != ST_DRQ)
			return -1;
		outsl(BASE, src + s * 512, k * 128);
	}
	return (wait_not_busy() & (ST_ERR | ST_DRQ)) ? -1 : 0;
}

static void disk_irq(struct trap_frame *f)
{
	uint8_t st = inb(REG_STATUS); /* acknowledges the interrupt */

	irqs++;
	if (irq_mode == 1 && irq_left && (st & ST_DRQ)) {
		insl(BASE, irq_ptr, 128);
		irq_ptr += 512;
		irq_left--;
		irq_sectors++;
	} else if (irq_mode == 2 && irq_left && (st & ST_DRQ)) {
		outsl(BASE, irq_ptr, 128);
		irq_ptr += 512;
		irq_left--;
		irq_sectors++;
	}
	pic_eoi(IRQ_DISK);
}

/* Sleep with interrupts on until the handler has seen `n` interrupts. */
static void wait_irqs(unsigned n)
{
	for (unsigned i = 0; i < 100000 && irqs < n; i++)
		__asm__ volatile("sti; hlt; cli" ::: "memory");
}

static void test_identify(void)
{
	uint16_t w[256];
	uint8_t st;

	section("identify");
	/* xv6's ideinit: drive 0 selected although only drive 1 exists. */
	outb(REG_DEVICE, 0xe0);
	st = inb(REG_STATUS);
	CHECK_EQ(st & (ST_BSY | ST_DRDY), ST_DRDY,
		 "drive 0 selected on a slave-only channel: DRDY, not BSY");
	outb(REG_DEVICE, 0xf0);
	st = wait_ready();
	CHECK((st & (ST_BSY | ST_DRDY | ST_DF | ST_ERR)) == ST_DRDY,
	      "drive 1 is ready");
	outb(REG_CMD, 0xec);
	st = wait_not_busy();
	CHECK_EQ(st & (ST_DRQ | ST_ERR), ST_DRQ, "IDENTIFY: data ready");
	insw(BASE, w, 256);
	CHECK_EQ(inb(REG_STATUS) & (ST_DRQ | ST_ERR | ST_BSY), 0,
		 "IDENTIFY: done after 256 words");
	CHECK_EQ(w[0] & 0x8000, 0, "IDENTIFY: an ATA device");
	CHECK(w[49] & 0x0200, "IDENTIFY: LBA supported");
	CHECK_EQ(w[60] | (uint32_t)w[61] << 16, DISK_SECTORS,
		 "IDENTIFY: LBA28 capacity is the image size");
	CHECK((w[47] & 0xff) >= 4, "IDENTIFY: multiple-sector transfers");
	CHECK(w[27] != 0 && w[27] != 0x2020, "IDENTIFY: a model string");
}

static void test_polled(void)
{
	section("polled PIO");
	CHECK(read_polled(0x20, 0, 4, 1, buf) == 0, "READ SECTORS 0-3 (insl)");
	CHECK(matches_pattern(buf, 0, 4), "sectors 0-3 hold the pattern");

	issue(0x20, 5, 1);
	wait_not_busy();
	insw(BASE, buf, 256);
	CHECK(matches_pattern(buf, 5, 1), "READ SECTORS 5 with insw");
	CHECK_EQ(wait_not_busy() & (ST_ERR | ST_DRQ), 0, "and done");

	CHECK(read_polled(0x20, DISK_SECTORS - 1, 1, 1, buf) == 0 &&
		      matches_pattern(buf, DISK_SECTORS - 1, 1),
	      "the last sector");

	fill_written(buf, 10, 2);
	CHECK(write_polled(0x30, 10, 2, 1, buf) == 0,
	      "WRITE SECTORS 10-11 (outsl)");
	memset(buf, 0, 1024);
	CHECK(read_polled(0x20, 9, 4, 1, buf) == 0, "read 9-12 back");
	CHECK(matches_pattern(buf, 9, 1), "sector 9 unchanged");
	CHECK(matches_written(buf + 512, 10, 2), "sectors 10-11 written");
	CHECK(matches_pattern(buf + 1536, 12, 1), "sector 12 unchanged");

	issue(0xe7, 0, 0);
	CHECK_EQ(wait_not_busy() & (ST_ERR | ST_DRQ), 0, "FLUSH CACHE");
}

static void test_multiple(void)
{
	section("multiple");
	issue(0xc6, 0, 4);
	CHECK_EQ(wait_not_busy() & ST_ERR, 0, "SET MULTIPLE 4");
	CHECK(read_polled(0xc4, 20, 8, 4, buf) == 0,
	      "READ MULTIPLE 8 sectors in blocks of 4");
	CHECK(matches_pattern(buf, 20, 8), "sectors 20-27 hold the pattern");
	fill_written(buf, 40, 6);
	CHECK(write_polled(0xc5, 40, 6, 4, buf) == 0,
	      "WRITE MULTIPLE 6 sectors (4 + 2)");
	memset(buf, 0, 8 * 512);
	CHECK(read_polled(0xc4, 39, 8, 4, buf) == 0, "read 39-46 back");
	CHECK(matches_pattern(buf, 39, 1) &&
		      matches_written(buf + 512, 40, 6) &&
		      matches_pattern(buf + 7 * 512, 46, 1),
	      "sectors 40-45 written, 39 and 46 unchanged");
}

static void test_interrupts(void)
{
	section("interrupts (IRQ 14 through the 8259)");
	trap_set_handler(IRQ_BASE + IRQ_DISK, disk_irq);
	outb(CTL, 0x00); /* nIEN = 0 */
	pic_set_mask((uint16_t) ~((1u << 2) | (1u << IRQ_DISK)));
	/* Requests latched while the line was masked (the polled commands
	 * above) may still be delivered: take them before counting. */
	irq_mode = 0;
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");

	/* A read: one interrupt per sector, the handler moves the data. */
	cli();
	irqs = irq_sectors = 0;
	irq_mode = 1;
	irq_ptr = buf;
	irq_left = 3;
	memset(buf, 0, 3 * 512);
	issue(0x20, 60, 3);
	wait_irqs(3);
	CHECK_EQ(irqs, 3, "READ SECTORS 3: three interrupts");
	CHECK_EQ(irq_sectors, 3, "each with a sector ready");
	CHECK(matches_pattern(buf, 60, 3), "sectors 60-62 hold the pattern");
	CHECK_EQ(wait_not_busy() & (ST_ERR | ST_DRQ), 0, "and done");

	/* A write: the first sector at once, an interrupt after each. */
	irqs = irq_sectors = 0;
	irq_mode = 2;
	fill_written(buf, 70, 2);
	irq_ptr = buf + 512;
	irq_left = 1;
	issue(0x30, 70, 2);
	CHECK_EQ(wait_not_busy() & (ST_DRQ | ST_ERR), ST_DRQ,
		 "WRITE SECTORS: data requested");
	outsl(BASE, buf, 128);
	wait_irqs(2);
	CHECK_EQ(irqs, 2, "WRITE SECTORS 2: two interrupts");
	CHECK_EQ(irq_sectors, 1, "the second sector sent from the handler");
	CHECK_EQ(wait_not_busy() & (ST_ERR | ST_DRQ), 0, "and done");

	/* Non-data commands interrupt once. */
	irqs = 0;
	irq_mode = 0;
	issue(0xe7, 0, 0);
	wait_irqs(1);
	CHECK_EQ(irqs, 1, "FLUSH CACHE: one interrupt");

	/* nIEN keeps the line quiet. */
	irqs = 0;
	outb(CTL, 0x02);
	memset(buf, 0, 512);
	issue(0x20, 61, 1);
	wait_not_busy();
	insl(BASE, buf, 128);
	__asm__ volatile("sti; nop; nop; cli" ::: "memory");
	CHECK_EQ(irqs, 0, "no interrupt with nIEN set");
	CHECK(matches_pattern(buf, 61, 1), "polled read with nIEN");
	outb(CTL, 0x00);
	inb(REG_STATUS);
	pic_set_mask(0xffff);

	irq_mode = 0;
	memset(buf, 0, 2 * 512);
	CHECK(read_polled(0x20, 70, 2, 1, buf) == 0 &&
		      matches_written(buf, 70, 2),
	      "sectors 70-71 read back");
}

static void test_errors(void)
{
	uint8_t st;

	section("errors");
	issue(0x20, DISK_SECTORS, 1);
	st = wait_not_busy();
	CHECK_EQ(st & (ST_ERR | ST_DRQ), ST_ERR,
		 "READ beyond the last sector: ERR");
	CHECK(inb(REG_ERROR) != 0, "and the error register says why");
	/* The device may refuse at once (bt386) or after taking the data
	 * (QEMU); either way nothing is written. */
	issue(0x30, DISK_SECTORS, 1);
	st = wait_not_busy();
	if (st & ST_DRQ) {
		memset(buf, 0xee, 512);
		outsl(BASE, buf, 128);
		st = wait_not_busy();
	}
	CHECK_EQ(st & (ST_ERR | ST_DRQ), ST_ERR,
		 "WRITE beyond the last sector: ERR");
	issue(0xff, 0, 0);
	st = wait_not_busy();
	CHECK_EQ(st & ST_ERR, ST_ERR, "an unknown command: ERR");
	CHECK_EQ(inb(REG_ERROR) & 0x04, 0x04, "with ABRT");
	CHECK(read_polled(0x20, 1, 1, 1, buf) == 0 &&
		      matches_pattern(buf, 1, 1),
	      "the next command works");
}

void guest_main(uint32_t magic, struct mb_info *info)
{
	test_identify();
	test_polled();
	test_multiple();
	test_interrupts();
	test_errors();
}
