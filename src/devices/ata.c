/*
 * ata.c - ATA/IDE disks with PIO transfers, as on a PC's two IDE channels:
 * primary 0x1f0-0x1f7 / 0x3f6 on IRQ 14, secondary 0x170-0x177 / 0x376 on
 * IRQ 15, a master and a slave on each, backed by raw image files
 * (disk_image.c).
 *
 * Behaviour follows ATA/ATAPI-6 where guests can see it, and QEMU where the
 * specification leaves room (QEMU is the oracle the test guests run under):
 *  - commands complete at once: BSY is never seen. A PIO data-in command
 *    (READ SECTORS/MULTIPLE, IDENTIFY) sets DRQ and interrupts for every
 *    DRQ block; a data-out command (WRITE SECTORS/MULTIPLE) sets DRQ
 *    without an interrupt for its first block, and interrupts after each
 *    block has been written to the image (with DRQ for the next block, or
 *    with the command's completion). Non-data commands interrupt once.
 *  - INTRQ is pending from then until the guest reads the status register
 *    or writes a command; nIEN in device control keeps the line low
 *    without forgetting the request. The alternate status never clears it.
 *  - the command block registers are one task file shared by both devices
 *    of a channel (both see every write), the status and error registers
 *    belong to each device. QEMU's answers for absent devices: a channel
 *    without devices reads 0 everywhere; an absent slave reads 0 and
 *    ignores commands; an absent master next to a slave reads DRDY|DSC
 *    (0x50) and aborts commands - xv6 polls status with drive 0 selected
 *    although only drive 1 exists, so this value is load-bearing.
 *  - the data port (offset 0) takes 16- and 32-bit accesses whole: the
 *    command block is registered as one multi-byte range and the callbacks
 *    split wider accesses to the other registers into bytes themselves.
 *  - a write the guest completed is in the image file before the device
 *    reports completion (pwrite, no cache here); FLUSH CACHE does
 *    fdatasync.
 *
 * Everything runs on the vCPU thread.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/devices.h"
#include "devices/disk_image.h"
#include "monitor/machine.h"

#define MAX_MULT 16 /* sectors per DRQ block for READ/WRITE MULTIPLE */
#define LBA28_MAX 0x0fffffffu

/* Status register. */
#define ST_ERR 0x01
#define ST_DRQ 0x08
#define ST_DSC 0x10
#define ST_DF 0x20
#define ST_DRDY 0x40
#define ST_BSY 0x80
#define ST_READY (ST_DRDY | ST_DSC) /* 0x50: idle */

/* Error register. */
#define ER_ABRT 0x04
#define ER_IDNF 0x10
#define ER_UNC 0x40

/* Device/head register and device control. */
#define DEV_DRV 0x10
#define DEV_LBA 0x40
#define DEV_OBSOLETE 0xa0 /* bits 7 and 5 read back set */
#define CTL_NIEN 0x02
#define CTL_SRST 0x04

enum ata_cmd {
	CMD_NOP = 0x00,
	CMD_RECALIBRATE = 0x10,
	CMD_READ = 0x20,
	CMD_READ_NORETRY = 0x21,
	CMD_WRITE = 0x30,
	CMD_WRITE_NORETRY = 0x31,
	CMD_VERIFY = 0x40,
	CMD_VERIFY_NORETRY = 0x41,
	CMD_DIAGNOSTIC = 0x90,
	CMD_INIT_PARAMS = 0x91,
	CMD_READ_MULTIPLE = 0xc4,
	CMD_WRITE_MULTIPLE = 0xc5,
	CMD_SET_MULTIPLE = 0xc6,
	CMD_FLUSH_CACHE = 0xe7,
	CMD_IDENTIFY = 0xec,
	CMD_SET_FEATURES = 0xef,
};

enum xfer {
	XFER_NONE,
	XFER_IN,  /* device to guest: reads, IDENTIFY */
	XFER_OUT, /* guest to device: writes */
};

struct ata_drive {
	struct disk_image *img; /* NULL: no device here */
	unsigned index;		/* 0..3: -drive index */
	uint8_t status, error;
	uint8_t mult;	  /* sectors per block for *MULTIPLE, 0 = off */
	bool wcache;	  /* SET FEATURES 02/82 (reported only) */
	uint32_t sectors; /* LBA28 capacity */
	uint16_t cyls, heads, secs;		/* default CHS geometry */
	uint16_t cur_cyls, cur_heads, cur_secs; /* INITIALIZE DEVICE PARAMS */
};

struct ata_channel {
	struct dev_ata *ata;
	unsigned num, irq;
	struct ata_drive drive[2];
	/* The task file, shared by both devices. */
	uint8_t feature, count, lba0, lba1, lba2, device, ctl;
	bool irq_pending, irq_level;
	/* The PIO transfer in progress. */
	enum xfer xfer;
	uint8_t cmd;
	uint32_t lba;	    /* first sector of the current block */
	unsigned remaining; /* sectors left, the current block included */
	unsigned block;	    /* sectors per DRQ block */
	unsigned pos, len;  /* bytes of buf transferred / in this block */
	uint8_t buf[MAX_MULT * DISK_SECTOR];
};

struct dev_ata {
	struct bus *bus;
	struct ata_channel ch[2];
	struct dev_ata_stats stats;
};

static const uint16_t cmd_base[2] = {0x1f0, 0x170};
static const uint16_t ctl_base[2] = {0x3f6, 0x376};
static const unsigned chan_irq[2] = {14, 15};

static bool any_drive(const struct ata_channel *ch)
{
	return ch->drive[0].img || ch->drive[1].img;
}

static struct ata_drive *selected(struct ata_channel *ch)
{
	return &ch->drive[(ch->device & DEV_DRV) ? 1 : 0];
}

/* ---- interrupts ---- */

static void irq_update(struct ata_channel *ch)
{
	bool level = ch->irq_pending && !(ch->ctl & CTL_NIEN);

	if (level == ch->irq_level)
		return;
	ch->irq_level = level;
	if (level)
		ch->ata->stats.irqs++;
	bus_set_irq(ch->ata->bus, ch->irq, level);
}

static void irq_raise(struct ata_channel *ch)
{
	ch->irq_pending = true;
	irq_update(ch);
}

static void irq_clear(struct ata_channel *ch)
{
	ch->irq_pending = false;
	irq_update(ch);
}

/* ---- completion ---- */

static void xfer_stop(struct ata_channel *ch)
{
	ch->xfer = XFER_NONE;
	ch->pos = ch->len = 0;
	ch->remaining = 0;
}

static void cmd_ok(struct ata_channel *ch, struct ata_drive *d)
{
	xfer_stop(ch);
	d->status = ST_READY;
	d->error = 0;
	irq_raise(ch);
}

static void cmd_error(struct ata_channel *ch, struct ata_drive *d,
		      uint8_t error)
{
	xfer_stop(ch);
	d->status = ST_READY | ST_ERR;
	d->error = error;
	ch->ata->stats.errors++;
	irq_raise(ch);
}

/* ---- addressing ---- */

/* The address in the task file: 0 and the sector, or -1 (IDNF). */
static int taskfile_lba(struct ata_channel *ch, struct ata_drive *d,
			uint32_t *lba)
{
	if (ch->device & DEV_LBA) {
		*lba = (uint32_t)(ch->device & 0x0f) << 24 |
		       (uint32_t)ch->lba2 << 16 | (uint32_t)ch->lba1 << 8 |
		       ch->lba0;
		return 0;
	}
	uint32_t cyl = (uint32_t)ch->lba2 << 8 | ch->lba1;
	uint32_t head = ch->device & 0x0f;
	uint32_t sector = ch->lba0;

	if (!d->cur_secs || sector == 0 || sector > d->cur_secs ||
	    head >= d->cur_heads || cyl >= d->cur_cyls)
		return -1;
	*lba = (cyl * d->cur_heads + head) * d->cur_secs + sector - 1;
	return 0;
}

/* Put `lba` back into the task file in the addressing mode in use. */
static void taskfile_set_lba(struct ata_channel *ch, struct ata_drive *d,
			     uint32_t lba)
{
	if (ch->device & DEV_LBA) {
		ch->lba0 = lba & 0xff;
		ch->lba1 = (lba >> 8) & 0xff;
		ch->lba2 = (lba >> 16) & 0xff;
		ch->device = (ch->device & 0xf0) | ((lba >> 24) & 0x0f);
		return;
	}
	if (!d->cur_secs || !d->cur_heads)
		return;
	uint32_t sector = lba % d->cur_secs + 1;
	uint32_t head = (lba / d->cur_secs) % d->cur_heads;
	uint32_t cyl = lba / d->cur_secs / d->cur_heads;

	ch->lba0 = (uint8_t)sector;
	ch->lba1 = cyl & 0xff;
	ch->lba2 = (cyl >> 8) & 0xff;
	ch->device = (ch->device & 0xf0) | (uint8_t)head;
}

static bool in_range(const struct ata_drive *d, uint32_t lba, unsigned n)
{
	return lba <= d->sectors && n <= d->sectors - lba;
}

/* ---- PIO data-in: READ SECTORS / READ MULTIPLE ---- */

static void read_block(struct ata_channel *ch, struct ata_drive *d)
{
	unsigned n = ch->remaining < ch->block ? ch->remaining : ch->block;

	if (!in_range(d, ch->lba, n)) {
		taskfile_set_lba(ch, d,
				 ch->lba < d->sectors ? d->sectors : ch->lba);
		cmd_error(ch, d, ER_IDNF);
		return;
	}
	if (disk_image_read(d->img, ch->lba, n, ch->buf) < 0) {
		fprintf(stderr, "bt386: %s: read error at sector %u\n",
			d->img->path, ch->lba);
		taskfile_set_lba(ch, d, ch->lba);
		cmd_error(ch, d, ER_UNC);
		return;
	}
	ch->ata->stats.sectors_read += n;
	ch->xfer = XFER_IN;
	ch->pos = 0;
	ch->len = n * DISK_SECTOR;
	taskfile_set_lba(ch, d, ch->lba + n - 1);
	d->status = ST_READY | ST_DRQ;
	d->error = 0;
	irq_raise(ch);
}

static void read_block_done(struct ata_channel *ch, struct ata_drive *d)
{
	unsigned n = ch->len / DISK_SECTOR;

	if (ch->cmd == CMD_IDENTIFY) {
		xfer_stop(ch);
		d->status = ST_READY;
		return;
	}
	ch->remaining -= n;
	ch->lba += n;
	ch->count = (uint8_t)ch->remaining;
	if (ch->remaining) {
		read_block(ch, d);
		return;
	}
	xfer_stop(ch);
	d->status = ST_READY; /* the last block: no interrupt */
}

/* ---- PIO data-out: WRITE SECTORS / WRITE MULTIPLE ---- */

/* Ask for the next block's data (DRQ), or fail before taking it. */
static bool write_block_start(struct ata_channel *ch, struct ata_drive *d)
{
	unsigned n = ch->remaining < ch->block ? ch->remaining : ch->block;

	if (!in_range(d, ch->lba, n)) {
		taskfile_set_lba(ch, d,
				 ch->lba < d->sectors ? d->sectors : ch->lba);
		cmd_error(ch, d, ER_IDNF);
		return false;
	}
	if (!disk_image_writable(d->img, ch->lba, n)) {
		/* read-only image, or a sector that reaches past the end of
		 * the file */
		taskfile_set_lba(ch, d, ch->lba);
		cmd_error(ch, d, ER_ABRT);
		return false;
	}
	ch->xfer = XFER_OUT;
	ch->pos = 0;
	ch->len = n * DISK_SECTOR;
	d->status = ST_READY | ST_DRQ;
	d->error = 0;
	return true;
}

static void write_block_done(struct ata_channel *ch, struct ata_drive *d)
{
	unsigned n = ch->len / DISK_SECTOR;

	if (disk_image_write(d->img, ch->lba, n, ch->buf) < 0) {
		fprintf(stderr, "bt386: %s: write error at sector %u\n",
			d->img->path, ch->lba);
		taskfile_set_lba(ch, d, ch->lba);
		cmd_error(ch, d, ER_ABRT);
		return;
	}
	ch->ata->stats.sectors_written += n;
	taskfile_set_lba(ch, d, ch->lba + n - 1);
	ch->remaining -= n;
	ch->lba += n;
	ch->count = (uint8_t)ch->remaining;
	if (ch->remaining) {
		if (write_block_start(ch, d))
			irq_raise(ch);
		return;
	}
	cmd_ok(ch, d);
}

/* ---- IDENTIFY DEVICE ---- */

/* ATA strings: two characters per word, the first in the high byte. */
static void id_string(uint16_t *w, unsigned words, const char *s)
{
	size_t len = strlen(s);

	for (unsigned i = 0; i < words * 2; i++) {
		uint8_t c = i < len ? (uint8_t)s[i] : ' ';
		if (i & 1)
			w[i / 2] |= c;
		else
			w[i / 2] = (uint16_t)(c << 8);
	}
}

static void identify(struct ata_channel *ch, struct ata_drive *d)
{
	uint16_t w[256];
	char serial[21];
	uint32_t chs = (uint32_t)d->cur_cyls * d->cur_heads * d->cur_secs;
	uint8_t sum = 0;

	memset(w, 0, sizeof(w));
	snprintf(serial, sizeof(serial), "BT386-HD%u", d->index);
	w[0] = 0x0040; /* fixed device, not removable */
	w[1] = d->cyls;
	w[3] = d->heads;
	w[6] = d->secs;
	id_string(&w[10], 10, serial);
	id_string(&w[23], 4, "1.0");
	id_string(&w[27], 20, "BT386 HARDDISK");
	w[47] = 0x8000 | MAX_MULT;
	w[49] = 0x0200; /* LBA; no DMA */
	w[50] = 0x4000;
	w[51] = 0x0200; /* PIO mode 2 timing */
	w[53] = 0x0003; /* words 54-58 and 64-70 are valid */
	w[54] = d->cur_cyls;
	w[55] = d->cur_heads;
	w[56] = d->cur_secs;
	w[57] = chs & 0xffff;
	w[58] = chs >> 16;
	w[59] = d->mult ? 0x0100 | d->mult : 0;
	w[60] = d->sectors & 0xffff;
	w[61] = d->sectors >> 16;
	w[64] = 0x0003; /* PIO modes 3 and 4 */
	w[65] = w[66] = w[67] = w[68] = 120;
	w[80] = 0x007e; /* ATA-1 .. ATA-6 */
	w[82] = 0x0020; /* write cache */
	w[83] = 0x5000; /* FLUSH CACHE; bit 14 must be one */
	w[84] = 0x4000;
	w[85] = d->wcache ? 0x0020 : 0;
	w[86] = 0x1000;
	w[87] = 0x4000;
	w[255] = 0x00a5; /* integrity word: signature, checksum */
	for (unsigned i = 0; i < 255; i++)
		sum += (uint8_t)(w[i] & 0xff) + (uint8_t)(w[i] >> 8);
	sum += 0xa5;
	w[255] |= (uint16_t)((uint8_t)-sum) << 8;
	for (unsigned i = 0; i < 256; i++) {
		ch->buf[2 * i] = w[i] & 0xff;
		ch->buf[2 * i + 1] = w[i] >> 8;
	}
	ch->xfer = XFER_IN;
	ch->pos = 0;
	ch->len = DISK_SECTOR;
	d->status = ST_READY | ST_DRQ;
	d->error = 0;
	irq_raise(ch);
}

/* ---- resets and diagnostics ---- */

/* The signature an ATA device leaves in the task file after a reset. */
static void set_signature(struct ata_channel *ch)
{
	ch->count = 1;
	ch->lba0 = 1;
	ch->lba1 = 0;
	ch->lba2 = 0;
	ch->device = DEV_OBSOLETE; /* device 0 selected */
}

static void diagnostic(struct ata_channel *ch)
{
	xfer_stop(ch);
	set_signature(ch);
	for (int i = 0; i < 2; i++) {
		ch->drive[i].status = ST_READY;
		ch->drive[i].error = 0x01; /* passed (device 1 too) */
	}
	irq_raise(ch);
}

static void drive_defaults(struct ata_drive *d)
{
	d->status = ST_READY;
	d->error = 0x01;
	d->mult = 0;
	d->wcache = true;
	d->cur_cyls = d->cyls;
	d->cur_heads = d->heads;
	d->cur_secs = d->secs;
}

static void channel_reset(struct ata_channel *ch)
{
	xfer_stop(ch);
	ch->feature = 0;
	set_signature(ch);
	ch->ctl = 0;
	ch->irq_pending = false;
	irq_update(ch);
	for (int i = 0; i < 2; i++)
		drive_defaults(&ch->drive[i]);
}

static void ctl_write(struct ata_channel *ch, uint8_t v)
{
	bool was_reset = ch->ctl & CTL_SRST;

	ch->ctl = v;
	if (!was_reset && (v & CTL_SRST)) {
		/* SRST asserted: both devices busy until it is released. */
		xfer_stop(ch);
		ch->irq_pending = false;
		for (int i = 0; i < 2; i++) {
			ch->drive[i].status = ST_BSY | ST_DSC;
			ch->drive[i].error = 0x01;
		}
		ch->ata->stats.resets++;
	} else if (was_reset && !(v & CTL_SRST)) {
		for (int i = 0; i < 2; i++) {
			uint8_t mult = ch->drive[i].mult;
			drive_defaults(&ch->drive[i]);
			ch->drive[i].mult = mult; /* kept across SRST */
		}
		set_signature(ch);
	}
	irq_update(ch);
}

/* ---- commands ---- */

static void start_rw(struct ata_channel *ch, struct ata_drive *d, uint8_t cmd,
		     unsigned block, bool write)
{
	uint32_t lba;

	if (taskfile_lba(ch, d, &lba) < 0) {
		cmd_error(ch, d, ER_IDNF);
		return;
	}
	ch->cmd = cmd;
	ch->lba = lba;
	ch->remaining = ch->count ? ch->count : 256;
	ch->block = block;
	if (write)
		write_block_start(ch, d);
	else
		read_block(ch, d);
}

static void set_features(struct ata_channel *ch, struct ata_drive *d)
{
	switch (ch->feature) {
	case 0x02: /* write cache on */
		d->wcache = true;
		break;
	case 0x82: /* write cache off */
		d->wcache = false;
		break;
	case 0x03: /* transfer mode: PIO default or PIO flow control 0-4 */
		if (ch->count > 0x01 &&
		    (ch->count < 0x08 || ch->count > 0x0c)) {
			cmd_error(ch, d, ER_ABRT);
			return;
		}
		break;
	case 0x55: /* read look-ahead off / on, reverting defaults */
	case 0xaa:
	case 0x66:
	case 0xcc:
		break;
	default:
		cmd_error(ch, d, ER_ABRT);
		return;
	}
	cmd_ok(ch, d);
}

static void init_params(struct ata_channel *ch, struct ata_drive *d)
{
	uint16_t heads = (ch->device & 0x0f) + 1;
	uint16_t secs = ch->count;
	uint32_t cyls;

	if (!secs) {
		cmd_error(ch, d, ER_ABRT);
		return;
	}
	cyls = d->sectors / ((uint32_t)heads * secs);
	d->cur_heads = heads;
	d->cur_secs = secs;
	d->cur_cyls = cyls > 65535 ? 65535 : (uint16_t)cyls;
	cmd_ok(ch, d);
}

static void command(struct ata_channel *ch, uint8_t cmd)
{
	struct ata_drive *d = selected(ch);

	if (!any_drive(ch))
		return;
	if (!d->img && d == &ch->drive[1])
		return; /* an absent slave ignores commands (as QEMU) */
	if (d->status & (ST_BSY | ST_DRQ))
		return; /* only a reset ends a command in progress */
	irq_clear(ch);
	ch->ata->stats.commands++;
	if (cmd == CMD_DIAGNOSTIC) {
		diagnostic(ch);
		return;
	}
	if (!d->img) {
		cmd_error(ch, d,
			  ER_ABRT); /* the absent master next to a slave */
		return;
	}
	switch (cmd) {
	case CMD_READ:
	case CMD_READ_NORETRY:
		start_rw(ch, d, cmd, 1, false);
		break;
	case CMD_WRITE:
	case CMD_WRITE_NORETRY:
		start_rw(ch, d, cmd, 1, true);
		break;
	case CMD_READ_MULTIPLE:
	case CMD_WRITE_MULTIPLE:
		if (!d->mult) {
			cmd_error(ch, d, ER_ABRT);
			break;
		}
		start_rw(ch, d, cmd, d->mult, cmd == CMD_WRITE_MULTIPLE);
		break;
	case CMD_SET_MULTIPLE:
		if (ch->count > MAX_MULT || (ch->count & (ch->count - 1))) {
			cmd_error(ch, d, ER_ABRT);
			break;
		}
		d->mult = ch->count;
		cmd_ok(ch, d);
		break;
	case CMD_VERIFY:
	case CMD_VERIFY_NORETRY: {
		uint32_t lba;
		unsigned n = ch->count ? ch->count : 256;
		if (taskfile_lba(ch, d, &lba) < 0 || !in_range(d, lba, n)) {
			cmd_error(ch, d, ER_IDNF);
			break;
		}
		taskfile_set_lba(ch, d, lba + n - 1);
		ch->count = 0;
		cmd_ok(ch, d);
		break;
	}
	case CMD_IDENTIFY:
		ch->cmd = cmd;
		identify(ch, d);
		break;
	case CMD_SET_FEATURES:
		set_features(ch, d);
		break;
	case CMD_INIT_PARAMS:
		init_params(ch, d);
		break;
	case CMD_FLUSH_CACHE:
		ch->ata->stats.flushes++;
		if (disk_image_flush(d->img) < 0)
			cmd_error(ch, d, ER_ABRT);
		else
			cmd_ok(ch, d);
		break;
	case CMD_RECALIBRATE:
		ch->lba1 = ch->lba2 = 0;
		cmd_ok(ch, d);
		break;
	default: /* NOP included: it always aborts */
		cmd_error(ch, d, ER_ABRT);
		break;
	}
}

/* ---- registers ---- */

static uint8_t status_value(struct ata_channel *ch)
{
	struct ata_drive *d = selected(ch);

	if (!any_drive(ch) || (!d->img && d == &ch->drive[1]))
		return 0;
	return d->status;
}

static uint32_t data_read(struct ata_channel *ch, unsigned size)
{
	struct ata_drive *d = selected(ch);
	uint32_t v = 0;

	if (ch->xfer != XFER_IN || !(d->status & ST_DRQ))
		return 0; /* no data phase: QEMU reads 0 */
	for (unsigned i = 0; i < size && ch->pos < ch->len; i++)
		v |= (uint32_t)ch->buf[ch->pos++] << (8 * i);
	if (ch->pos >= ch->len)
		read_block_done(ch, d);
	return v;
}

static void data_write(struct ata_channel *ch, unsigned size, uint32_t v)
{
	struct ata_drive *d = selected(ch);

	if (ch->xfer != XFER_OUT || !(d->status & ST_DRQ))
		return;
	for (unsigned i = 0; i < size && ch->pos < ch->len; i++)
		ch->buf[ch->pos++] = (uint8_t)(v >> (8 * i));
	if (ch->pos >= ch->len)
		write_block_done(ch, d);
}

static uint8_t reg_read(struct ata_channel *ch, uint32_t offset)
{
	struct ata_drive *d = selected(ch);
	bool absent = !any_drive(ch) || (!d->img && d == &ch->drive[1]);

	switch (offset) {
	case 1:
		return absent ? 0 : d->error;
	case 2:
		return absent ? 0 : ch->count;
	case 3:
		return absent ? 0 : ch->lba0;
	case 4:
		return absent ? 0 : ch->lba1;
	case 5:
		return absent ? 0 : ch->lba2;
	case 6:
		return any_drive(ch) ? ch->device : 0;
	default: /* 7: status; reading it acknowledges the interrupt */
		if (any_drive(ch))
			irq_clear(ch);
		return status_value(ch);
	}
}

static void reg_write(struct ata_channel *ch, uint32_t offset, uint8_t v)
{
	/* Writes to the task file while a device is busy are ignored. */
	if (offset != 7 && (selected(ch)->status & ST_BSY))
		return;
	switch (offset) {
	case 1:
		ch->feature = v;
		break;
	case 2:
		ch->count = v;
		break;
	case 3:
		ch->lba0 = v;
		break;
	case 4:
		ch->lba1 = v;
		break;
	case 5:
		ch->lba2 = v;
		break;
	case 6:
		ch->device = v | DEV_OBSOLETE;
		break;
	default:
		command(ch, v);
		break;
	}
}

/*
 * The command block: offset 0 is the 16/32-bit data port; every other
 * register is a byte, so wider accesses to them are split here, as the
 * bus would split them for a byte-wide device.
 */
static uint32_t cmd_read(void *opaque, uint32_t offset, unsigned size)
{
	struct ata_channel *ch = opaque;
	uint32_t v = 0;

	if (offset == 0)
		return data_read(ch, size);
	for (unsigned i = 0; i < size; i++)
		v |= (uint32_t)reg_read(ch, offset + i) << (8 * i);
	return v;
}

static void cmd_write(void *opaque, uint32_t offset, unsigned size,
		      uint32_t value)
{
	struct ata_channel *ch = opaque;

	if (offset == 0) {
		data_write(ch, size, value);
		return;
	}
	for (unsigned i = 0; i < size; i++)
		reg_write(ch, offset + i, (uint8_t)(value >> (8 * i)));
}

/* Alternate status (read) / device control (write). */
static uint32_t ctl_read(void *opaque, uint32_t offset, unsigned size)
{
	return status_value(opaque);
}

static void ctl_write_cb(void *opaque, uint32_t offset, unsigned size,
			 uint32_t value)
{
	ctl_write(opaque, (uint8_t)value);
}

/* ---- set-up ---- */

/* A default CHS geometry: 16 heads, 63 sectors per track (as QEMU). */
static void drive_geometry(struct ata_drive *d)
{
	uint32_t cyls = d->sectors / (16 * 63);

	d->heads = 16;
	d->secs = 63;
	d->cyls = cyls > 16383 ? 16383 : (cyls ? (uint16_t)cyls : 1);
}

static int attach(struct ata_drive *d, unsigned index,
		  const struct machine_drive *md)
{
	char err[512];

	d->index = index;
	d->img = disk_image_open(md->file, md->readonly, err, sizeof(err));
	if (!d->img) {
		fprintf(stderr, "bt386: %s\n", err);
		return -1;
	}
	if (d->img->sectors > LBA28_MAX) {
		fprintf(stderr,
			"bt386: %s: larger than 128 GiB: the guest sees the "
			"first 128 GiB (LBA28)\n",
			md->file);
		d->sectors = LBA28_MAX;
	} else {
		d->sectors = (uint32_t)d->img->sectors;
	}
	drive_geometry(d);
	return 0;
}

int dev_ata_init(struct machine *m)
{
	struct dev_ata *a = calloc(1, sizeof(*a));

	if (!a) {
		fprintf(stderr, "bt386: ata: out of memory\n");
		return -1;
	}
	a->bus = &m->bus;
	m->ata = a;
	for (unsigned c = 0; c < 2; c++) {
		struct ata_channel *ch = &a->ch[c];

		ch->ata = a;
		ch->num = c;
		ch->irq = chan_irq[c];
		for (unsigned i = 0; i < 2; i++) {
			const struct machine_drive *md =
				&m->opt.drive[c * 2 + i];
			if (md->file &&
			    attach(&ch->drive[i], c * 2 + i, md) < 0) {
				dev_ata_destroy(m);
				return -1;
			}
		}
	}
	/* Registered only once every image opened. */
	for (unsigned c = 0; c < 2; c++) {
		struct ata_channel *ch = &a->ch[c];

		channel_reset(ch);
		bus_register_pio(&m->bus, c ? "ide1" : "ide0", cmd_base[c], 8,
				 cmd_read, cmd_write, ch);
		bus_register_pio8(&m->bus, c ? "ide1-ctl" : "ide0-ctl",
				  ctl_base[c], 1, ctl_read, ctl_write_cb, ch);
	}
	return 0;
}

void dev_ata_reset(struct dev_ata *a)
{
	for (unsigned c = 0; c < 2; c++)
		channel_reset(&a->ch[c]);
}

void dev_ata_destroy(struct machine *m)
{
	struct dev_ata *a = m->ata;

	if (!a)
		return;
	for (unsigned c = 0; c < 2; c++)
		for (unsigned i = 0; i < 2; i++)
			disk_image_close(a->ch[c].drive[i].img);
	free(a);
	m->ata = NULL;
}

const struct dev_ata_stats *dev_ata_stats(const struct dev_ata *a)
{
	return &a->stats;
}

struct disk_image *dev_ata_image(struct dev_ata *a, unsigned index)
{
	if (!a || index >= 4)
		return NULL;
	return a->ch[index / 2].drive[index % 2].img;
}
