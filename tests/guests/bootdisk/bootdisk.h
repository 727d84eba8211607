/*
 * bootdisk.h - the boot disk test guest (README.md in this directory):
 * the disks' layout, shared by the stages and run-bootdisk.sh, which
 * builds the images.
 *
 * hda (BIOS drive 80h, IDE index 0), HDA_SECTORS sectors, sparse:
 *   LBA 0       stage 1, the boot sector (stage1.S), loaded at 0x7c00
 *   LBA 1-31    stage 2 (real mode, C), at 0x7e00; 1-16 read with CHS,
 *               17-31 with the extensions by stage 1
 *   LBA 32-63   stage 3 (protected mode, C), at 0xc000, read by stage 2
 *   tagged      DATA_FIRST..DATA_LAST, LBA_FAR, HDA_SECTORS - 1
 *   written     WRITE_CHS (INT 13h 03h), WRITE_EXT and WRITE_EXT + 1
 *               (43h)
 * hdb (81h, index 1), HDB_SECTORS sectors, all tagged; HDB_WRITE is
 * written (43h).
 *
 * A tagged sector: bytes 0-3 its LBA, byte 4 'A' + the disk (0 hda,
 * 1 hdb), byte i >= 5 (lba * 7 + i * 3 + disk * 0x55) & 0xff. A written
 * sector: byte i = (0x5a ^ lba * 13 ^ i * 5) & 0xff.
 */
#ifndef BOOTDISK_H
#define BOOTDISK_H

#define HDA_SECTORS 302400 /* 300 cylinders of 16 heads x 63 sectors */
#define HDB_SECTORS 64
#define STAGE2_LBA 1
#define STAGE2_CHS_SECTORS 16
#define STAGE2_SECTORS 31
#define STAGE2_ADDR 0x7e00
#define STAGE2_END 0xbc00
#define STAGE3_LBA 32
#define STAGE3_SECTORS 32
#define STAGE3_ADDR 0xc000
#define STAGE3_END 0x10000
#define DATA_FIRST 64
#define DATA_LAST 191
#define LBA_FAR 282571 /* cylinder 280, head 5, sector 17 */
#define WRITE_CHS 100
#define WRITE_EXT 101
#define HDB_WRITE 5

#define STAGE2_MAGIC_HEAD 0x61324442 /* "BD2a" */
#define STAGE2_MAGIC_TAIL 0x7a324442 /* "BD2z" */
#define STAGE3_MAGIC_TAIL 0x7a334442 /* "BD3z" */

#define BOOT_INFO 0x500 /* stage 1 records the state it was started in */
#define REPORT 0x600	/* the checks' counters, shared by the stages */

#ifndef __ASSEMBLER__
#include <stdint.h>

struct boot_info {
	uint16_t dx, cs, flags, sp, ss;
};

static inline uint8_t tag_byte(uint32_t lba, unsigned disk, unsigned i)
{
	if (i < 4)
		return (uint8_t)(lba >> (8 * i));
	if (i == 4)
		return (uint8_t)('A' + disk);
	return (uint8_t)(lba * 7 + i * 3 + disk * 0x55);
}

static inline uint8_t written_byte(uint32_t lba, unsigned i)
{
	return (uint8_t)(0x5a ^ lba * 13 ^ i * 5);
}

/* report.c, in both stages: count the checks at REPORT (from 0 if
 * `reset`). */
void report_use_shared(int reset);
#endif

#endif
