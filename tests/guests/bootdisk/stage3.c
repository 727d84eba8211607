/*
 * stage3.c - the boot disk guest's third stage, in protected mode: reads
 * the disks with ATA PIO as xv6's bootmain.c does (primary channel, LBA
 * 28, polling the status register, insl), and checks that the sectors
 * stage 2 wrote through INT 13h are what the disk now holds, that the
 * disk's sectors are what INT 13h read into memory, and that A20 is on.
 * Then the summary of all three stages and the debug-exit port.
 */
#include "bootdisk.h"
#include "guest.h"

void main32(void) __attribute__((noreturn));

static uint8_t sector[512];

static int wait_ready(void)
{
	for (unsigned i = 0; i < 1000000; i++) {
		uint8_t st = inb(0x1f7);

		if ((st & 0xc0) == 0x40)
			return 1;
	}
	return 0;
}

/* Read sector `lba` of drive 0 (master) or 1 (slave). */
static int ata_read(unsigned drive, uint32_t lba)
{
	if (!wait_ready())
		return 0;
	outb(0x1f2, 1);
	outb(0x1f3, (uint8_t)lba);
	outb(0x1f4, (uint8_t)(lba >> 8));
	outb(0x1f5, (uint8_t)(lba >> 16));
	outb(0x1f6, (uint8_t)(0xe0 | drive << 4 | (lba >> 24 & 0x0f)));
	outb(0x1f7, 0x20); /* READ SECTORS */
	if (!wait_ready() || (inb(0x1f7) & 0x09) != 0x08)
		return 0;
	__asm__ volatile("cld; rep insl"
			 :
			 : "D"(sector), "c"(128), "d"(0x1f0)
			 : "memory");
	return 1;
}

static int tagged(uint32_t lba, unsigned disk)
{
	for (unsigned i = 0; i < 512; i++)
		if (sector[i] != tag_byte(lba, disk, i))
			return 0;
	return 1;
}

static int written(uint32_t lba)
{
	for (unsigned i = 0; i < 512; i++)
		if (sector[i] != written_byte(lba, i))
			return 0;
	return 1;
}

void main32(void)
{
	report_use_shared(0);
	section("protected mode (as xv6's bootasm.S), ATA PIO (bootmain.c)");
	*phys8(0x100900) = 0x5a;
	*phys8(0x000900) = 0xa5;
	CHECK_EQ(*phys8(0x100900), 0x5a, "A20 on after the 8042's D1h/DFh");
	CHECK(ata_read(0, WRITE_CHS) && written(WRITE_CHS),
	      "disk 0: the sector INT 13h 03h wrote");
	CHECK(ata_read(0, WRITE_EXT + 1) && written(WRITE_EXT + 1),
	      "disk 0: a sector INT 13h 43h wrote");
	CHECK(ata_read(0, DATA_FIRST) && tagged(DATA_FIRST, 0),
	      "disk 0: a data sector");
	/* (Its first sector has bios_int's patched INT instruction.) */
	CHECK(ata_read(0, STAGE2_LBA + 1) &&
		      !memcmp(sector, (void *)(STAGE2_ADDR + 512), 512),
	      "disk 0: stage 2's second sector, as INT 13h 02h loaded it");
	CHECK(ata_read(0, STAGE3_LBA + STAGE3_SECTORS - 1) &&
		      !memcmp(sector, (void *)(STAGE3_END - 512), 512),
	      "disk 0: stage 3's last sector, as INT 13h 42h loaded it");
	CHECK(ata_read(1, HDB_WRITE) && written(HDB_WRITE),
	      "disk 1 (slave): the sector INT 13h 43h wrote");
	CHECK(ata_read(1, HDB_WRITE + 1) && tagged(HDB_WRITE + 1, 1),
	      "disk 1 (slave): its neighbour");
	checks_done();
}
