/*
 * stage2.c - the boot disk guest's second stage, in real mode (gcc -m16):
 * the BIOS services a boot loader uses, checked against what any PC BIOS
 * must answer (SeaBIOS under QEMU and bt386's agree on every check; where
 * they may differ, such as the exact memory map or the CHS geometry, the
 * checks are about consistency, not values). Then it loads stage 3 and
 * jumps to it.
 *
 * Text printed through INT 10h starts with '@' and ends with CR LF: bt386
 * copies it to the console (run-bootdisk.sh checks and removes those
 * lines), QEMU with -display none does not.
 */
#include "bootdisk.h"
#include "guest.h"

struct biosregs {
	uint32_t eax, ebx, ecx, edx, esi, edi, ebp;
	uint16_t ds, es, flags;
};

void bios_int(uint8_t vec, struct biosregs *r);
uint32_t far_read(uint32_t linear, unsigned size);
void far_write32(uint32_t linear, uint32_t value);
void halt_until_interrupt(void);
void jump_stage3(void) __attribute__((noreturn));
void main16(void) __attribute__((noreturn));

#define SMAP 0x534d4150u
#define MIB (1u << 20)

static uint8_t buf[10 * 512];

static struct biosregs call(uint8_t vec, uint32_t eax, uint32_t ebx,
			    uint32_t ecx, uint32_t edx)
{
	struct biosregs r = {
		.eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx, .flags = FL_IF};

	bios_int(vec, &r);
	return r;
}

static int cf(const struct biosregs *r)
{
	return r->flags & FL_CF;
}

static unsigned ah(const struct biosregs *r)
{
	return r->eax >> 8 & 0xff;
}

static uint16_t bda16(uint32_t addr)
{
	return *phys8(addr) | *phys8(addr + 1) << 8;
}

static uint32_t ticks(void)
{
	struct biosregs r = call(0x1a, 0, 0, 0, 0);

	return (r.ecx & 0xffff) << 16 | (r.edx & 0xffff);
}

/* ---- the disks ---- */

static int tagged(const uint8_t *p, uint32_t lba, unsigned disk)
{
	for (unsigned i = 0; i < 512; i++)
		if (p[i] != tag_byte(lba, disk, i))
			return 0;
	return 1;
}

static int written(const uint8_t *p, uint32_t lba)
{
	for (unsigned i = 0; i < 512; i++)
		if (p[i] != written_byte(lba, i))
			return 0;
	return 1;
}

static void fill_written(uint8_t *p, uint32_t lba)
{
	for (unsigned i = 0; i < 512; i++)
		p[i] = written_byte(lba, i);
}

static unsigned heads, spt, cyls;

/* INT 13h 02h/03h for `count` sectors at `lba`, CHS from 08h. */
static struct biosregs chs_io(uint8_t fn, uint8_t drive, uint32_t lba,
			      unsigned count, void *dst)
{
	unsigned cyl = lba / (heads * spt), head = lba / spt % heads;
	unsigned sec = lba % spt + 1;
	struct biosregs r = {
		.eax = (uint32_t)fn << 8 | count,
		.ebx = (uint32_t)(uintptr_t)dst,
		.ecx = (cyl & 0xff) << 8 | (cyl >> 2 & 0xc0) | sec,
		.edx = head << 8 | drive,
		.flags = FL_IF,
	};

	bios_int(0x13, &r);
	return r;
}

static struct {
	uint8_t size, zero;
	uint16_t count, off, seg;
	uint32_t lba_lo, lba_hi;
} __attribute__((packed)) dap;

/* INT 13h 42h/43h with a disk address packet. */
static struct biosregs ext_io(uint8_t fn, uint8_t drive, uint32_t lba,
			      unsigned count, uint32_t dst)
{
	struct biosregs r = {.eax = (uint32_t)fn << 8,
			     .edx = drive,
			     .esi = (uint32_t)(uintptr_t)&dap,
			     .flags = FL_IF};

	dap.size = 16;
	dap.zero = 0;
	dap.count = (uint16_t)count;
	dap.off = (uint16_t)(dst & 0xf);
	dap.seg = (uint16_t)(dst >> 4);
	dap.lba_lo = lba;
	dap.lba_hi = 0;
	bios_int(0x13, &r);
	return r;
}

static void disk_checks(void)
{
	struct biosregs r;
	int ok;

	section("INT 13h: the disks");
	r = call(0x13, 0x4100, 0x55aa, 0, 0x80);
	CHECK(!cf(&r) && (r.ebx & 0xffff) == 0xaa55 && (r.ecx & 1),
	      "41h: extensions with fixed disk access");
	r = call(0x13, 0x0800, 0, 0, 0x80);
	heads = (r.edx >> 8 & 0xff) + 1;
	spt = r.ecx & 0x3f;
	cyls = ((r.ecx >> 8 & 0xff) | (r.ecx & 0xc0) << 2) + 1;
	CHECK(!cf(&r) && ah(&r) == 0, "08h: parameters of disk 80h");
	CHECK_EQ(r.edx & 0xff, 2, "08h: two disks");
	CHECK(spt >= 1 && heads >= 1 && cyls * heads * spt <= HDA_SECTORS,
	      "08h: a geometry within the disk");
	memset(buf, 0, 0x1e);
	*(uint16_t *)buf = 0x1e;
	r = (struct biosregs){.eax = 0x4800,
			      .edx = 0x80,
			      .esi = (uint32_t)(uintptr_t)buf,
			      .flags = FL_IF};
	bios_int(0x13, &r);
	CHECK(!cf(&r), "48h: extended parameters");
	CHECK_EQ(*(uint32_t *)(buf + 16), HDA_SECTORS, "48h: the disk's size");
	CHECK_EQ(*(uint32_t *)(buf + 20), 0, "48h: (high half)");
	CHECK_EQ(*(uint16_t *)(buf + 24), 512, "48h: 512-byte sectors");
	r = call(0x13, 0x1500, 0, 0, 0x80);
	CHECK(!cf(&r) && ah(&r) == 3, "15h: a fixed disk");

	r = chs_io(0x02, 0x80, LBA_FAR, 1, buf);
	CHECK(LBA_FAR / (heads * spt) < cyls && LBA_FAR / (heads * spt) > 255,
	      "the far sector is above cylinder 255");
	CHECK(!cf(&r) && (r.eax & 0xff) == 1 && tagged(buf, LBA_FAR, 0),
	      "02h: a sector above cylinder 255 (CL bits 7-6)");
	r = chs_io(0x02, 0x80, 120, 10, buf);
	ok = !cf(&r) && (r.eax & 0xff) == 10;
	for (unsigned i = 0; i < 10; i++)
		ok = ok && tagged(buf + i * 512, 120 + i, 0);
	CHECK(ok, "02h: ten sectors across a track boundary");
	r = ext_io(0x42, 0x80, HDA_SECTORS - 1, 1, (uint32_t)(uintptr_t)buf);
	CHECK(!cf(&r) && tagged(buf, HDA_SECTORS - 1, 0),
	      "42h: the last sector");
	r = ext_io(0x42, 0x80, HDA_SECTORS, 1, (uint32_t)(uintptr_t)buf);
	CHECK(cf(&r) && ah(&r) != 0, "42h: past the end: CF, AH != 0");
	r = ext_io(0x42, 0x81, 3, 1, (uint32_t)(uintptr_t)buf);
	CHECK(!cf(&r) && tagged(buf, 3, 1), "42h: disk 81h");
	r = call(0x13, 0x0201, (uint32_t)(uintptr_t)buf, 0x0000, 0x0080);
	CHECK(cf(&r) && ah(&r) != 0, "02h: sector 0 is invalid");
	r = call(0x13, 0x0200, (uint32_t)(uintptr_t)buf, 0x0001, 0x0080);
	CHECK(cf(&r), "02h: zero sectors is invalid");
	r = call(0x13, 0x0201, (uint32_t)(uintptr_t)buf, 0x0001, 0x0082);
	CHECK(cf(&r), "02h: no disk 82h");

	section("INT 13h: writes");
	fill_written(buf, WRITE_CHS);
	r = chs_io(0x03, 0x80, WRITE_CHS, 1, buf);
	CHECK(!cf(&r) && (r.eax & 0xff) == 1, "03h: write a sector (CHS)");
	fill_written(buf, WRITE_EXT);
	fill_written(buf + 512, WRITE_EXT + 1);
	r = ext_io(0x43, 0x80, WRITE_EXT, 2, (uint32_t)(uintptr_t)buf);
	CHECK(!cf(&r), "43h: write two sectors (LBA)");
	fill_written(buf, HDB_WRITE);
	r = ext_io(0x43, 0x81, HDB_WRITE, 1, (uint32_t)(uintptr_t)buf);
	CHECK(!cf(&r), "43h: write a sector of disk 81h");
	memset(buf, 0, sizeof(buf));
	r = ext_io(0x42, 0x80, WRITE_CHS - 1, 5, (uint32_t)(uintptr_t)buf);
	CHECK(!cf(&r) && tagged(buf, WRITE_CHS - 1, 0) &&
		      written(buf + 512, WRITE_CHS) &&
		      written(buf + 1024, WRITE_EXT) &&
		      written(buf + 1536, WRITE_EXT + 1) &&
		      tagged(buf + 2048, WRITE_EXT + 2, 0),
	      "42h: the written sectors read back, their neighbours kept");
	r = chs_io(0x02, 0x81, HDB_WRITE, 1, buf);
	CHECK(!cf(&r) && written(buf, HDB_WRITE), "02h: and on disk 81h");
	r = call(0x13, 0x0000, 0, 0, 0x80);
	CHECK(!cf(&r), "00h: reset");
	r = call(0x13, 0x0100, 0, 0, 0x80);
	CHECK(!cf(&r) && ah(&r) == 0, "01h: the last status is 0");
}

/* ---- memory ---- */

static void memory_checks(void)
{
	struct biosregs r;
	uint32_t cont = 0, n = 0, low_len = 0, high_end = 0;
	int ok = 1, hole_free = 1;
	unsigned base_kib;

	section("INT 12h, 11h, 15h: memory");
	r = call(0x12, 0, 0, 0, 0);
	base_kib = r.eax & 0xffff;
	CHECK(base_kib == bda16(0x413) && base_kib >= 512 && base_kib <= 640,
	      "12h: base memory, as the BDA says");
	r = call(0x11, 0, 0, 0, 0);
	CHECK_EQ(r.eax & 0xffff, bda16(0x410), "11h: equipment, as the BDA");
	do {
		uint64_t base, len;
		uint32_t type;

		r = (struct biosregs){.eax = 0xe820,
				      .ebx = cont,
				      .ecx = 20,
				      .edx = SMAP,
				      .edi = (uint32_t)(uintptr_t)buf,
				      .flags = FL_IF};
		bios_int(0x15, &r);
		ok = ok && !cf(&r) && r.eax == SMAP && r.ecx >= 20;
		if (!ok)
			break;
		base = *(uint64_t *)buf;
		len = *(uint64_t *)(buf + 8);
		type = *(uint32_t *)(buf + 16);
		if (type == 1 && base == 0)
			low_len = (uint32_t)len;
		if (type == 1 && base == MIB)
			high_end = (uint32_t)(base + len);
		if (type == 1 && base < 0x100000 && base + len > 0xa0000)
			hole_free = 0;
		cont = r.ebx;
	} while (cont && ++n < 32);
	CHECK(ok && cont == 0, "E820: every entry, EBX = 0 after the last");
	CHECK_EQ(low_len, base_kib * 1024, "E820: RAM from 0 to INT 12h's");
	CHECK(high_end >= 62 * MIB && high_end <= 64 * MIB,
	      "E820: RAM from 1 MiB to about the top of 64 MiB");
	CHECK(hole_free, "E820: no RAM in 0xa0000-0xfffff");
	r = call(0x15, 0xe801, 0, 0, 0);
	CHECK(!cf(&r) && (r.eax & 0xffff) == (r.ecx & 0xffff) &&
		      (r.ebx & 0xffff) == (r.edx & 0xffff),
	      "E801: AX = CX, BX = DX");
	CHECK_EQ(16 * MIB + (r.ebx & 0xffff) * 65536, high_end,
		 "E801: the same top of RAM as E820");
	CHECK_EQ((r.eax & 0xffff) * 1024, 15 * MIB,
		 "E801: 15 MiB between 1 and 16 MiB");
	r = call(0x15, 0x8800, 0, 0, 0);
	CHECK(!cf(&r) && (r.eax & 0xffff) * 1024 + 2 * MIB > high_end - MIB &&
		      (r.eax & 0xffff) <= 0xfc00,
	      "88h: about the RAM above 1 MiB");
}

/* ---- A20, time ---- */

static unsigned from_bcd(uint8_t v)
{
	return (v >> 4) * 10u + (v & 0xf);
}

static int bcd_ok(uint8_t v, unsigned max)
{
	return (v & 0xf) <= 9 && (v >> 4) <= 9 && from_bcd(v) <= max;
}

static uint8_t cmos(uint8_t idx)
{
	outb(0x70, idx);
	return inb(0x71);
}

static void system_checks(void)
{
	struct biosregs r;
	uint32_t t0, t1, bda0;
	unsigned spins;

	section("INT 15h: A20, wait");
	r = call(0x15, 0x2402, 0, 0, 0);
	CHECK(!cf(&r) && (r.eax & 0xff) == 1, "2402h: A20 is on");
	r = call(0x15, 0x2403, 0, 0, 0);
	CHECK(!cf(&r) && (r.ebx & 3), "2403h: A20 support reported");
	r = call(0x15, 0x2401, 0, 0, 0);
	CHECK(!cf(&r), "2401h: enable A20");
	far_write32(0x100800, 0x600dcafe);
	far_write32(0x000800, 0x0badf00d);
	CHECK_EQ(far_read(0x100800, 4), 0x600dcafe,
		 "FFFF:0810 is not 0000:0800");
	t0 = ticks();
	r = call(0x15, 0x8600, 0, 0x0003, 0x0d40); /* 200 ms */
	t1 = ticks();
	CHECK(!cf(&r), "86h: wait 200 ms");
	CHECK(t1 - t0 >= 2 && t1 - t0 < 100, "86h: the ticks moved meanwhile");

	section("INT 1Ah, IRQ 0");
	CHECK(ticks() < 0x1800b0, "00h: ticks since midnight");
	bda0 = bda16(0x46c);
	for (spins = 0; spins < 1000 && bda16(0x46c) == bda0; spins++)
		halt_until_interrupt();
	CHECK(bda16(0x46c) != bda0, "IRQ 0 advances the BDA's tick count");
	r = call(0x1a, 0x0400, 0, 0, 0);
	CHECK(!cf(&r) && bcd_ok(r.ecx >> 8 & 0xff, 99) &&
		      bcd_ok(r.ecx & 0xff, 99) &&
		      bcd_ok(r.edx >> 8 & 0xff, 12) && bcd_ok(r.edx & 0xff, 31),
	      "04h: the date in BCD");
	CHECK(((r.ecx & 0xffff) == (uint32_t)(cmos(0x32) << 8 | cmos(0x09)) &&
	       (r.edx & 0xffff) == (uint32_t)(cmos(0x08) << 8 | cmos(0x07))),
	      "04h: the RTC's date");
	r = call(0x1a, 0x0200, 0, 0, 0);
	CHECK(!cf(&r) && bcd_ok(r.ecx >> 8 & 0xff, 23) &&
		      bcd_ok(r.ecx & 0xff, 59) && bcd_ok(r.edx >> 8 & 0xff, 59),
	      "02h: the time in BCD");
	CHECK((from_bcd(cmos(0x04)) * 60 + from_bcd(cmos(0x02)) -
	       (from_bcd((uint8_t)(r.ecx >> 8)) * 60 +
		from_bcd((uint8_t)r.ecx)) +
	       1) % 1440 <=
		      2,
	      "02h: the RTC's time");

	section("INT 16h");
	r = call(0x16, 0x0100, 0, 0, 0);
	CHECK(r.flags & FL_ZF, "01h: no key waiting");
}

/* ---- the screen ---- */

static uint16_t cell(unsigned row, unsigned col)
{
	return (uint16_t)far_read(0xb8000 + (row * 80 + col) * 2, 2);
}

static void teletype(const char *s)
{
	while (*s)
		call(0x10, 0x0e00 | (uint8_t)*s++, 0x0007, 0, 0);
}

static unsigned cursor(void)
{
	return call(0x10, 0x0300, 0, 0, 0).edx & 0xffff;
}

static void video_checks(void)
{
	static const char hi[] = "@hi\r\n";
	struct biosregs r;

	section("INT 10h");
	r = call(0x10, 0x0f00, 0, 0, 0);
	CHECK_EQ(r.eax & 0xffff, 0x5003, "0Fh: mode 3, 80 columns");
	call(0x10, 0x0200, 0, 0, 0x050a);
	CHECK_EQ(cursor(), 0x050a, "02h/03h: the cursor at row 5, column 10");
	teletype("@AB\r\n");
	CHECK(cell(5, 10) == 0x0740 && cell(5, 11) == 0x0741 &&
		      cell(5, 12) == 0x0742,
	      "0Eh: teletype into the text buffer");
	CHECK_EQ(cursor(), 0x0600, "0Eh: CR LF moved the cursor");
	call(0x10, 0x0958, 0x001e, 3, 0);
	CHECK(cell(6, 0) == 0x1e58 && cell(6, 2) == 0x1e58 &&
		      cell(6, 3) == 0x0720 && cursor() == 0x0600,
	      "09h: three characters with an attribute, the cursor stays");
	r = (struct biosregs){.eax = 0x1301,
			      .ebx = 0x002f,
			      .ecx = sizeof(hi) - 1,
			      .edx = 0x0700,
			      .ebp = (uint32_t)(uintptr_t)hi,
			      .flags = FL_IF};
	bios_int(0x10, &r);
	CHECK(cell(7, 0) == 0x2f40 && cell(7, 1) == 0x2f68 &&
		      cell(7, 2) == 0x2f69 && cursor() == 0x0800,
	      "13h: a string with an attribute, the cursor after it");
	call(0x10, 0x0200, 0, 0, 0x1800);
	teletype("@Z\r\n");
	CHECK(cell(23, 0) == 0x0740 && cell(23, 1) == 0x075a &&
		      (cell(24, 0) & 0xff) == ' ' && cursor() == 0x1800,
	      "0Eh: a line feed on the last row scrolls");
	CHECK_EQ(cell(5, 0) & 0xff, 'X', "0Eh: ... everything up a row");
	call(0x10, 0x0200, 0, 0, 0x1701);
	r = call(0x10, 0x0800, 0, 0, 0);
	CHECK_EQ(r.eax & 0xffff, 0x075a, "08h: the character at the cursor");
}

void main16(void)
{
	const struct boot_info *bi = (const struct boot_info *)phys8(BOOT_INFO);
	struct biosregs r;

	serial_init();
	report_use_shared(1);
	printf("bootdisk: boot sector, real mode, INT 13h/10h/15h/1Ah, "
	       "then protected mode and ATA\n");
	section("boot");
	CHECK_EQ(bi->dx & 0xff, 0x80, "the BIOS started us with DL = 80h");
	CHECK_EQ(bi->cs, 0, "at 0000:7C00");
	CHECK(*(uint32_t *)phys8(STAGE2_ADDR) == STAGE2_MAGIC_HEAD &&
		      *(uint32_t *)phys8(STAGE2_END - 4) == STAGE2_MAGIC_TAIL,
	      "stage 2 loaded with 02h (CHS) and 42h (LBA)");
	video_checks();
	memory_checks();
	system_checks();
	disk_checks();

	section("stage 3");
	r = ext_io(0x42, 0x80, STAGE3_LBA, STAGE3_SECTORS, STAGE3_ADDR);
	CHECK(!cf(&r) &&
		      *(uint32_t *)phys8(STAGE3_END - 4) == STAGE3_MAGIC_TAIL,
	      "42h: stage 3 loaded (32 sectors to 0xc000)");
	jump_stage3();
}
