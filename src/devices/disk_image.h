/*
 * disk_image.h - raw disk image files behind the ATA disks (private to
 * src/devices).
 */
#ifndef BT386_DEVICES_DISK_IMAGE_H
#define BT386_DEVICES_DISK_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DISK_SECTOR 512u

struct disk_image {
	int fd;
	char *path;
	uint64_t size;	  /* bytes in the file (or block device) */
	uint64_t sectors; /* size / 512, rounded up */
	bool readonly;
};

/*
 * Open `path` for a guest disk: a regular file or a block device (anything
 * else is refused before it is opened for reading), read-write with an
 * exclusive OFD lock, or read-only with a shared one when `readonly` is
 * asked or the file cannot be written (a note says so on stderr). Returns
 * NULL after writing a one-line reason naming the file into err.
 */
struct disk_image *disk_image_open(const char *path, bool readonly, char *err,
				   size_t errlen);
void disk_image_close(struct disk_image *img);

/*
 * Read `count` sectors from `lba` into buf; the part of the last partial
 * sector beyond the end of the file reads as zeros. 0, or -1 on a host I/O
 * error or a range beyond the last sector.
 */
int disk_image_read(struct disk_image *img, uint64_t lba, unsigned count,
		    void *buf);
/*
 * Write `count` whole sectors at `lba` with pwrite(), so the data is in the
 * file when this returns, however bt386 ends afterwards. Refused (-1) on a
 * read-only image and for sectors not wholly inside the file.
 */
int disk_image_write(struct disk_image *img, uint64_t lba, unsigned count,
		     const void *buf);
/* Can `count` sectors at `lba` be written? (the same checks, no I/O) */
bool disk_image_writable(const struct disk_image *img, uint64_t lba,
			 unsigned count);
/* fdatasync(): 0 or -1. */
int disk_image_flush(struct disk_image *img);

#endif
