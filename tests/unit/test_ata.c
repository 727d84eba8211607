/*
 * test_ata.c - the ATA/IDE disks: IDENTIFY, READ/WRITE SECTORS and
 * MULTIPLE with LBA28 and CHS, the other commands, error paths, absent
 * devices (the slave-only channel xv6 uses), the data port with 16- and
 * 32-bit accesses, interrupts and nIEN, software reset, and the image
 * files: their contents after writes, read-only images, partial last
 * sectors, the lock and refused file types.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/bus.h"
#include "devices/devices.h"
#include "devices/disk_image.h"
#include "monitor/machine.h"

#define P 0x1f0 /* primary command block */
#define PCTL 0x3f6
#define S 0x170
#define SCTL 0x376
#define NSECT 1000 /* xv6's fs.img size */

static struct machine *m;
static char dir[64], img1[96], img2[96];
static int irq_level[16];
static unsigned irq_edges[16];

static void irq_record(void *opaque, unsigned irq, int level)
{
	if (level && !irq_level[irq])
		irq_edges[irq]++;
	irq_level[irq] = level;
}

static void outb(uint16_t port, uint8_t v)
{
	bus_pio_write(&m->bus, port, 1, v);
}
static uint8_t inb(uint16_t port)
{
	return (uint8_t)bus_pio_read(&m->bus, port, 1);
}
static uint16_t inw(uint16_t port)
{
	return (uint16_t)bus_pio_read(&m->bus, port, 2);
}
static uint32_t inl(uint16_t port)
{
	return bus_pio_read(&m->bus, port, 4);
}
static void outw(uint16_t port, uint16_t v)
{
	bus_pio_write(&m->bus, port, 2, v);
}
static void outl(uint16_t port, uint32_t v)
{
	bus_pio_write(&m->bus, port, 4, v);
}

/* The byte the test images hold at offset `off`. */
static uint8_t pattern(uint64_t off)
{
	return (uint8_t)((off / 512) * 7 + (off % 512) * 3 + 1);
}

static void make_image(const char *path, uint64_t size)
{
	FILE *f = fopen(path, "wb");

	ck_assert_ptr_nonnull(f);
	for (uint64_t i = 0; i < size; i++)
		fputc(pattern(i), f);
	fclose(f);
}

static void read_file(const char *path, uint64_t off, void *buf, size_t n)
{
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, buf, n, (off_t)off), (ssize_t)n);
	close(fd);
}

/* Build a machine with the given drives (NULL = none) and no PIC. */
static void machine_with(const char *d0, const char *d1, const char *d2,
			 const char *d3)
{
	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	bus_add_irq_sink(&m->bus, irq_record, NULL);
	m->mem.size = 16u << 20;
	m->opt.drive[0].file = d0;
	m->opt.drive[1].file = d1;
	m->opt.drive[2].file = d2;
	m->opt.drive[3].file = d3;
	memset(irq_level, 0, sizeof(irq_level));
	memset(irq_edges, 0, sizeof(irq_edges));
	ck_assert_int_eq(dev_ata_init(m), 0);
}

static void setup(void)
{
	strcpy(dir, "/tmp/test_ata.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(img1, sizeof(img1), "%s/fs.img", dir);
	snprintf(img2, sizeof(img2), "%s/other.img", dir);
	make_image(img1, NSECT * 512);
	make_image(img2, 64 * 512 + 100); /* a partial last sector */
	m = NULL;
}

static void teardown(void)
{
	if (m) {
		devices_destroy(m);
		free(m);
	}
	unlink(img1);
	unlink(img2);
	rmdir(dir);
}

/* Select `drive` and put an LBA28 address and count in the task file. */
static void lba_setup(uint16_t base, int drive, uint32_t lba, uint8_t count)
{
	outb(base + 6, 0xe0 | drive << 4 | ((lba >> 24) & 0x0f));
	outb(base + 2, count);
	outb(base + 3, lba & 0xff);
	outb(base + 4, (lba >> 8) & 0xff);
	outb(base + 5, (lba >> 16) & 0xff);
}

static void read_sector32(uint16_t base, uint8_t *buf)
{
	for (int i = 0; i < 128; i++) {
		uint32_t v = inl(base);
		memcpy(buf + 4 * i, &v, 4);
	}
}

static void write_sector32(uint16_t base, const uint8_t *buf)
{
	for (int i = 0; i < 128; i++) {
		uint32_t v;
		memcpy(&v, buf + 4 * i, 4);
		outl(base, v);
	}
}

static void check_pattern(const uint8_t *buf, uint32_t lba)
{
	for (int i = 0; i < 512; i++)
		ck_assert_uint_eq(buf[i], pattern((uint64_t)lba * 512 + i));
}

START_TEST(test_slave_only_channel)
{
	machine_with(NULL, img1, NULL, NULL);
	/* xv6's ideinit: drive 0 selected, waits for DRDY without BSY. */
	outb(P + 6, 0xe0);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	ck_assert_uint_eq(inb(PCTL), 0x50);
	outb(P + 6, 0xf0);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	/* The absent master aborts commands. */
	outb(P + 6, 0xe0);
	outb(P + 7, 0xec);
	ck_assert_uint_eq(inb(PCTL), 0x51);
	ck_assert_uint_eq(inb(P + 1), 0x04);
	ck_assert_uint_eq(irq_edges[14], 1);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	ck_assert_int_eq(irq_level[14], 0);
	/* The secondary channel has no devices: everything reads 0. */
	for (int r = 1; r <= 7; r++)
		ck_assert_uint_eq(inb(S + r), 0);
	ck_assert_uint_eq(inb(SCTL), 0);
	outb(S + 7, 0xec);
	ck_assert_uint_eq(inb(S + 7), 0);
	ck_assert_uint_eq(irq_edges[15], 0);
	ck_assert_uint_eq(inw(S), 0);
}
END_TEST

START_TEST(test_absent_slave)
{
	machine_with(img1, NULL, NULL, NULL);
	outb(P + 6, 0xb0);
	ck_assert_uint_eq(inb(P + 7), 0);
	ck_assert_uint_eq(inb(PCTL), 0);
	ck_assert_uint_eq(inb(P + 2), 0);
	/* Commands to it are ignored: no interrupt, master unchanged. */
	outb(P + 7, 0x20);
	ck_assert_uint_eq(irq_edges[14], 0);
	outb(P + 6, 0xa0);
	ck_assert_uint_eq(inb(P + 7), 0x50);
}
END_TEST

START_TEST(test_identify)
{
	uint16_t w[256];
	uint8_t sum = 0;
	char model[41];

	machine_with(NULL, img1, NULL, NULL);
	outb(P + 6, 0xf0);
	outb(P + 7, 0xec);
	ck_assert_uint_eq(irq_edges[14], 1);
	ck_assert_uint_eq(inb(PCTL), 0x58);
	ck_assert_int_eq(irq_level[14], 1); /* alt status keeps it */
	ck_assert_uint_eq(inb(P + 7), 0x58);
	ck_assert_int_eq(irq_level[14], 0);
	for (int i = 0; i < 256; i++)
		w[i] = inw(P);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	ck_assert_uint_eq(irq_edges[14], 1);
	ck_assert_uint_eq(w[0] & 0x8000, 0);	   /* ATA device */
	ck_assert_uint_eq(w[49] & 0x0200, 0x0200); /* LBA */
	ck_assert_uint_eq(w[47], 0x8000 | 16);
	ck_assert_uint_eq(w[59], 0);
	ck_assert_uint_eq(w[60] | (uint32_t)w[61] << 16, NSECT);
	ck_assert_uint_eq(w[83] & 0xd000, 0x5000); /* FLUSH CACHE */
	for (int i = 0; i < 20; i++) {
		model[2 * i] = (char)(w[27 + i] >> 8);
		model[2 * i + 1] = (char)(w[27 + i] & 0xff);
	}
	model[40] = 0;
	ck_assert_str_eq(model, "BT386 HARDDISK                          ");
	for (int i = 0; i < 256; i++)
		sum += (uint8_t)(w[i] + (w[i] >> 8));
	ck_assert_uint_eq(w[255] & 0xff, 0xa5);
	ck_assert_uint_eq(sum, 0);
	/* After SET MULTIPLE, word 59 reports it. */
	outb(P + 2, 8);
	outb(P + 7, 0xc6);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	outb(P + 7, 0xec);
	for (int i = 0; i < 256; i++)
		w[i] = inw(P);
	ck_assert_uint_eq(w[59], 0x0108);
}
END_TEST

START_TEST(test_read_sectors_32bit)
{
	uint8_t buf[512];

	machine_with(NULL, img1, NULL, NULL);
	lba_setup(P, 1, 5, 3);
	outb(P + 7, 0x20);
	for (int s = 0; s < 3; s++) {
		ck_assert_uint_eq(irq_edges[14], (unsigned)s + 1);
		ck_assert_uint_eq(inb(P + 7), 0x58); /* acknowledges */
		ck_assert_int_eq(irq_level[14], 0);
		read_sector32(P, buf);
		check_pattern(buf, 5 + s);
	}
	/* The last sector raises no interrupt; DRQ is gone. */
	ck_assert_uint_eq(irq_edges[14], 3);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	ck_assert_uint_eq(inb(P + 2), 0);
	ck_assert_uint_eq(inb(P + 3), 7); /* the last sector read */
	ck_assert_uint_eq(inl(P), 0);	  /* no data phase */
}
END_TEST

START_TEST(test_read_sectors_16bit)
{
	uint8_t buf[512];

	machine_with(NULL, img1, NULL, NULL);
	lba_setup(P, 1, 999, 1);
	outb(P + 7, 0x21);
	ck_assert_uint_eq(inb(P + 7), 0x58);
	for (int i = 0; i < 256; i++) {
		uint16_t v = inw(P);
		memcpy(buf + 2 * i, &v, 2);
	}
	check_pattern(buf, 999);
	ck_assert_uint_eq(inb(P + 7), 0x50);
}
END_TEST

START_TEST(test_count_zero_is_256)
{
	uint8_t buf[512];

	machine_with(NULL, img1, NULL, NULL);
	lba_setup(P, 1, 100, 0);
	outb(P + 7, 0x20);
	for (int s = 0; s < 256; s++) {
		ck_assert_uint_eq(inb(P + 7), 0x58);
		read_sector32(P, buf);
	}
	check_pattern(buf, 355);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	ck_assert_uint_eq(irq_edges[14], 256);
}
END_TEST

START_TEST(test_write_sectors)
{
	uint8_t buf[512], back[1024];

	machine_with(NULL, img1, NULL, NULL);
	lba_setup(P, 1, 10, 2);
	outb(P + 7, 0x30);
	/* DRQ at once, without an interrupt for the first sector. */
	ck_assert_uint_eq(inb(PCTL), 0x58);
	ck_assert_uint_eq(irq_edges[14], 0);
	memset(buf, 0xa1, sizeof(buf));
	write_sector32(P, buf);
	/* In the file as soon as the sector is complete. */
	read_file(img1, 10 * 512, back, 512);
	ck_assert_int_eq(memcmp(back, buf, 512), 0);
	ck_assert_uint_eq(irq_edges[14], 1);
	ck_assert_uint_eq(inb(P + 7), 0x58);
	for (int i = 0; i < 256; i++) /* 16-bit writes too */
		outw(P, (uint16_t)(0xb200 + i));
	ck_assert_uint_eq(irq_edges[14], 2);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	read_file(img1, 10 * 512, back, 1024);
	ck_assert_uint_eq(back[0], 0xa1);
	ck_assert_uint_eq(back[512], 0x00);
	ck_assert_uint_eq(back[513], 0xb2);
	ck_assert_uint_eq(back[1022], 0xff);
	/* Neighbours untouched. */
	read_file(img1, 9 * 512, back, 512);
	check_pattern(back, 9);
	read_file(img1, 12 * 512, back, 512);
	check_pattern(back, 12);
	/* And the guest reads back what it wrote. */
	lba_setup(P, 1, 10, 1);
	outb(P + 7, 0x20);
	read_sector32(P, back);
	ck_assert_int_eq(memcmp(back, buf, 512), 0);
}
END_TEST

START_TEST(test_multiple)
{
	uint8_t buf[512], back[512];

	machine_with(NULL, img1, NULL, NULL);
	outb(P + 6, 0xf0);
	/* Not enabled yet: READ MULTIPLE aborts. */
	outb(P + 7, 0xc4);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	ck_assert_uint_eq(inb(P + 1), 0x04);
	/* Block sizes other than powers of two up to 16 are refused. */
	outb(P + 2, 3);
	outb(P + 7, 0xc6);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	outb(P + 2, 32);
	outb(P + 7, 0xc6);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	outb(P + 2, 4);
	outb(P + 7, 0xc6);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	ck_assert_uint_eq(inb(P + 1), 0);
	irq_edges[14] = 0;
	/* 6 sectors in blocks of 4: two interrupts. */
	lba_setup(P, 1, 20, 6);
	outb(P + 7, 0xc4);
	for (int s = 0; s < 6; s++) {
		if (s == 0 || s == 4)
			ck_assert_uint_eq(inb(P + 7), 0x58);
		read_sector32(P, buf);
		check_pattern(buf, 20 + s);
	}
	ck_assert_uint_eq(irq_edges[14], 2);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	/* WRITE MULTIPLE: 5 sectors = blocks of 4 and 1. */
	irq_edges[14] = 0;
	lba_setup(P, 1, 40, 5);
	outb(P + 7, 0xc5);
	ck_assert_uint_eq(irq_edges[14], 0);
	for (int s = 0; s < 5; s++) {
		memset(buf, 0x30 + s, sizeof(buf));
		write_sector32(P, buf);
		if (s < 3) /* still inside the first block: nothing written */
			ck_assert_uint_eq(irq_edges[14], 0);
		if (s == 3) { /* first block written: DRQ for the next */
			ck_assert_uint_eq(irq_edges[14], 1);
			ck_assert_uint_eq(inb(P + 7), 0x58);
		}
	}
	ck_assert_uint_eq(irq_edges[14], 2);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	for (int s = 0; s < 5; s++) {
		read_file(img1, (40 + s) * 512, back, 512);
		ck_assert_uint_eq(back[0], 0x30 + s);
		ck_assert_uint_eq(back[511], 0x30 + s);
	}
	read_file(img1, 45 * 512, back, 512);
	check_pattern(back, 45);
}
END_TEST

START_TEST(test_chs)
{
	uint8_t buf[512];

	machine_with(NULL, img1, NULL, NULL);
	/* INITIALIZE DEVICE PARAMETERS: 2 heads, 10 sectors per track. */
	outb(P + 6, 0xb1); /* CHS, drive 1, head field = heads - 1 */
	outb(P + 2, 10);
	outb(P + 7, 0x91);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	/* Cylinder 1, head 1, sector 3 = LBA (1*2+1)*10+2 = 32. */
	outb(P + 6, 0xb1);
	outb(P + 2, 2);
	outb(P + 3, 3);
	outb(P + 4, 1);
	outb(P + 5, 0);
	outb(P + 7, 0x20);
	ck_assert_uint_eq(inb(P + 7), 0x58);
	read_sector32(P, buf);
	check_pattern(buf, 32);
	ck_assert_uint_eq(inb(P + 7), 0x58);
	read_sector32(P, buf);
	check_pattern(buf, 33);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	ck_assert_uint_eq(inb(P + 3), 4); /* sector of the last one read */
	/* Sector 0 does not exist. */
	outb(P + 3, 0);
	outb(P + 2, 1);
	outb(P + 7, 0x20);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	ck_assert_uint_eq(inb(P + 1), 0x10); /* IDNF */
	/* Zero sectors per track is refused. */
	outb(P + 2, 0);
	outb(P + 7, 0x91);
	ck_assert_uint_eq(inb(P + 7), 0x51);
}
END_TEST

START_TEST(test_out_of_range)
{
	uint8_t buf[512];

	machine_with(NULL, img1, NULL, NULL);
	lba_setup(P, 1, NSECT, 1);
	outb(P + 7, 0x20);
	ck_assert_uint_eq(irq_edges[14], 1);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	ck_assert_uint_eq(inb(P + 1), 0x10);
	/* A read that runs off the end fails at the first missing sector. */
	lba_setup(P, 1, NSECT - 1, 2);
	outb(P + 7, 0x20);
	ck_assert_uint_eq(inb(P + 7), 0x58);
	read_sector32(P, buf);
	check_pattern(buf, NSECT - 1);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	ck_assert_uint_eq(inb(P + 1), 0x10);
	/* Writes past the end never ask for data. */
	lba_setup(P, 1, NSECT, 1);
	outb(P + 7, 0x30);
	ck_assert_uint_eq(inb(P + 7), 0x51);
}
END_TEST

START_TEST(test_other_commands)
{
	machine_with(NULL, img1, NULL, NULL);
	outb(P + 6, 0xf0);
	/* Unknown commands and NOP abort with an interrupt. */
	const uint8_t bad[] = {0x00, 0xff, 0x24, 0x34, 0xa1, 0xc8};
	for (size_t i = 0; i < sizeof(bad); i++) {
		unsigned before = irq_edges[14];
		outb(P + 7, bad[i]);
		ck_assert_uint_eq(irq_edges[14], before + 1);
		ck_assert_uint_eq(inb(P + 7), 0x51);
		ck_assert_uint_eq(inb(P + 1), 0x04);
	}
	/* SET FEATURES: write cache on/off, PIO mode 4; DMA mode refused. */
	outb(P + 1, 0x82);
	outb(P + 7, 0xef);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	outb(P + 1, 0x03);
	outb(P + 2, 0x0c);
	outb(P + 7, 0xef);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	outb(P + 2, 0x42);
	outb(P + 7, 0xef);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	outb(P + 1, 0x77);
	outb(P + 7, 0xef);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	/* FLUSH CACHE. */
	outb(P + 7, 0xe7);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	ck_assert_uint_eq(dev_ata_stats(m->ata)->flushes, 1);
	/* READ VERIFY checks the range only. */
	lba_setup(P, 1, 990, 10);
	outb(P + 7, 0x40);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	lba_setup(P, 1, 990, 11);
	outb(P + 7, 0x40);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	/* EXECUTE DEVICE DIAGNOSTIC: signature, error 1, device 0. */
	outb(P + 6, 0xf0);
	outb(P + 7, 0x90);
	ck_assert_uint_eq(inb(P + 6) & 0x10, 0);
	outb(P + 6, 0xf0);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	ck_assert_uint_eq(inb(P + 1), 0x01);
	ck_assert_uint_eq(inb(P + 2), 1);
	ck_assert_uint_eq(inb(P + 3), 1);
	ck_assert_uint_eq(inb(P + 4), 0);
	ck_assert_uint_eq(inb(P + 5), 0);
	/* A command while DRQ is set is ignored. */
	lba_setup(P, 1, 0, 1);
	outb(P + 7, 0x20);
	outb(P + 7, 0xe7);
	ck_assert_uint_eq(inb(P + 7), 0x58);
}
END_TEST

START_TEST(test_nien_and_wide_register_writes)
{
	machine_with(NULL, img1, NULL, NULL);
	outb(PCTL, 0x02); /* nIEN */
	lba_setup(P, 1, 0, 1);
	outb(P + 7, 0x20);
	ck_assert_int_eq(irq_level[14], 0);
	ck_assert_uint_eq(inb(PCTL), 0x58);
	outb(PCTL, 0x00); /* the pending request shows up */
	ck_assert_int_eq(irq_level[14], 1);
	ck_assert_uint_eq(inb(P + 7), 0x58);
	ck_assert_int_eq(irq_level[14], 0);
	/* A 16-bit write to 0x1f2 sets count and LBA low. */
	outw(P + 2, 0x3402);
	ck_assert_uint_eq(inb(P + 2), 0x02);
	ck_assert_uint_eq(inb(P + 3), 0x34);
	ck_assert_uint_eq(inw(P + 2), 0x3402);
}
END_TEST

START_TEST(test_soft_reset)
{
	machine_with(img1, img2, NULL, NULL);
	lba_setup(P, 0, 0, 2);
	outb(P + 7, 0x20);
	ck_assert_int_eq(irq_level[14], 1);
	outb(PCTL, 0x04);
	ck_assert_uint_eq(inb(PCTL), 0x90); /* BSY while SRST is held */
	ck_assert_int_eq(irq_level[14], 0);
	outb(PCTL, 0x00);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	ck_assert_uint_eq(inb(P + 1), 0x01);
	ck_assert_uint_eq(inb(P + 2), 1);
	ck_assert_uint_eq(inb(P + 3), 1);
	ck_assert_uint_eq(inb(P + 4), 0);
	ck_assert_uint_eq(inb(P + 5), 0);
	ck_assert_uint_eq(inb(P + 6) & 0x10, 0);
	ck_assert_uint_eq(inl(P), 0); /* the transfer is gone */
	ck_assert_uint_eq(dev_ata_stats(m->ata)->resets, 1);
}
END_TEST

START_TEST(test_secondary_channel)
{
	uint8_t buf[512];

	machine_with(NULL, NULL, NULL, img1);
	ck_assert_uint_eq(inb(P + 7), 0); /* primary: no devices */
	lba_setup(S, 1, 3, 1);
	outb(S + 7, 0x20);
	ck_assert_uint_eq(irq_edges[15], 1);
	ck_assert_uint_eq(irq_edges[14], 0);
	ck_assert_uint_eq(inb(S + 7), 0x58);
	read_sector32(S, buf);
	check_pattern(buf, 3);
}
END_TEST

START_TEST(test_partial_last_sector)
{
	uint8_t buf[512];
	struct stat st;

	machine_with(img2, NULL, NULL, NULL);
	lba_setup(P, 0, 64, 1);
	outb(P + 7, 0x20);
	ck_assert_uint_eq(inb(P + 7), 0x58);
	read_sector32(P, buf);
	for (int i = 0; i < 100; i++)
		ck_assert_uint_eq(buf[i], pattern(64 * 512 + i));
	for (int i = 100; i < 512; i++)
		ck_assert_uint_eq(buf[i], 0);
	/* Writing it would grow the file: refused. */
	lba_setup(P, 0, 64, 1);
	outb(P + 7, 0x30);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	ck_assert_uint_eq(inb(P + 1), 0x04);
	ck_assert_int_eq(stat(img2, &st), 0);
	ck_assert_int_eq(st.st_size, 64 * 512 + 100);
	/* The sector before it is writable. */
	lba_setup(P, 0, 63, 1);
	outb(P + 7, 0x30);
	ck_assert_uint_eq(inb(P + 7), 0x58);
}
END_TEST

START_TEST(test_readonly_image)
{
	uint8_t buf[512], back[512];

	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	bus_add_irq_sink(&m->bus, irq_record, NULL);
	m->opt.drive[0].file = img1;
	m->opt.drive[0].readonly = true;
	ck_assert_int_eq(dev_ata_init(m), 0);
	lba_setup(P, 0, 7, 1);
	outb(P + 7, 0x20);
	read_sector32(P, buf);
	check_pattern(buf, 7);
	lba_setup(P, 0, 7, 1);
	outb(P + 7, 0x30);
	ck_assert_uint_eq(inb(P + 7), 0x51);
	ck_assert_uint_eq(inb(P + 1), 0x04);
	memset(buf, 0xee, sizeof(buf));
	write_sector32(P, buf); /* no data phase: dropped */
	read_file(img1, 7 * 512, back, 512);
	check_pattern(back, 7);
}
END_TEST

START_TEST(test_lock)
{
	char err[256];
	struct disk_image *a, *b;

	a = disk_image_open(img1, false, err, sizeof(err));
	ck_assert_ptr_nonnull(a);
	/* A second writer (any process; OFD locks work within one too). */
	b = disk_image_open(img1, false, err, sizeof(err));
	ck_assert_ptr_null(b);
	ck_assert_ptr_nonnull(strstr(err, img1));
	ck_assert_ptr_nonnull(strstr(err, "locked"));
	/* A reader cannot share it with a writer either. */
	b = disk_image_open(img1, true, err, sizeof(err));
	ck_assert_ptr_null(b);
	disk_image_close(a);
	/* Readers share. */
	a = disk_image_open(img1, true, err, sizeof(err));
	b = disk_image_open(img1, true, err, sizeof(err));
	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_nonnull(b);
	ck_assert(a->readonly);
	disk_image_close(a);
	disk_image_close(b);
	/* The machine refuses an image another holds. */
	a = disk_image_open(img1, false, err, sizeof(err));
	m = calloc(1, sizeof(*m));
	bus_init(&m->bus);
	m->opt.drive[1].file = img1;
	ck_assert_int_eq(dev_ata_init(m), -1);
	ck_assert_ptr_null(m->ata);
	disk_image_close(a);
}
END_TEST

START_TEST(test_refused_files)
{
	char err[256], fifo[128];

	ck_assert_ptr_null(disk_image_open("/nonexistent/disk.img", false, err,
					   sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "/nonexistent/disk.img"));
	/* A FIFO is refused before it is opened (which would block). */
	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	ck_assert_int_eq(mkfifo(fifo, 0600), 0);
	ck_assert_ptr_null(disk_image_open(fifo, false, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	unlink(fifo);
	ck_assert_ptr_null(disk_image_open(dir, false, err, sizeof(err)));
	ck_assert_ptr_null(
		disk_image_open("/dev/null", false, err, sizeof(err)));
}
END_TEST

START_TEST(test_reset_keeps_images)
{
	uint8_t buf[512];

	machine_with(NULL, img1, NULL, NULL);
	outb(P + 6, 0xf0);
	outb(P + 2, 4);
	outb(P + 7, 0xc6);
	devices_reset(m);
	outb(P + 6, 0xf0);
	ck_assert_uint_eq(inb(P + 7), 0x50);
	outb(P + 7, 0xc4); /* multiple mode is off again */
	ck_assert_uint_eq(inb(P + 7), 0x51);
	lba_setup(P, 1, 1, 1);
	outb(P + 7, 0x20);
	read_sector32(P, buf);
	check_pattern(buf, 1);
}
END_TEST

static Suite *ata_suite(void)
{
	Suite *s = suite_create("ata");
	TCase *tc = tcase_create("ata");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_slave_only_channel);
	tcase_add_test(tc, test_absent_slave);
	tcase_add_test(tc, test_identify);
	tcase_add_test(tc, test_read_sectors_32bit);
	tcase_add_test(tc, test_read_sectors_16bit);
	tcase_add_test(tc, test_count_zero_is_256);
	tcase_add_test(tc, test_write_sectors);
	tcase_add_test(tc, test_multiple);
	tcase_add_test(tc, test_chs);
	tcase_add_test(tc, test_out_of_range);
	tcase_add_test(tc, test_other_commands);
	tcase_add_test(tc, test_nien_and_wide_register_writes);
	tcase_add_test(tc, test_soft_reset);
	tcase_add_test(tc, test_secondary_channel);
	tcase_add_test(tc, test_partial_last_sector);
	tcase_add_test(tc, test_readonly_image);
	tcase_add_test(tc, test_lock);
	tcase_add_test(tc, test_refused_files);
	tcase_add_test(tc, test_reset_keeps_images);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(ata_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
