/*
 * disk_image.c - raw image files (or block devices) that back guest disks.
 *
 * Data safety is the point of this file:
 *  - what is opened is checked first: a FIFO, socket or character device is
 *    refused by stat() before any open() (opening a FIFO for reading would
 *    block, and reading a device node could have side effects), and the
 *    opened descriptor is checked again with fstat() so a swap between the
 *    two calls is caught;
 *  - a writable image holds an exclusive OFD lock on the whole file
 *    (F_OFD_SETLK, not waiting), a read-only one a shared lock, so two
 *    bt386 processes can never write one image, nor one write an image
 *    another reads;
 *  - guest writes go to the file with pwrite() as the device completes
 *    them (nothing is buffered here), so they survive any way the process
 *    ends; FLUSH CACHE adds fdatasync();
 *  - the image keeps its size: a last partial sector reads zero-padded,
 *    and writes that would reach past the end of the file are refused.
 */
#include "devices/disk_image.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool usable_type(mode_t mode)
{
	return S_ISREG(mode) || S_ISBLK(mode);
}

static int lock_image(int fd, bool exclusive)
{
	struct flock fl = {
		.l_type = exclusive ? F_WRLCK : F_RDLCK,
		.l_whence = SEEK_SET,
		.l_start = 0,
		.l_len = 0, /* the whole file, however long */
	};

	return fcntl(fd, F_OFD_SETLK, &fl);
}

struct disk_image *disk_image_open(const char *path, bool readonly, char *err,
				   size_t errlen)
{
	struct disk_image *img;
	struct stat st;
	int fd = -1;
	off_t end;

	if (stat(path, &st) < 0) {
		snprintf(err, errlen, "%s: cannot open disk image: %s", path,
			 strerror(errno));
		return NULL;
	}
	if (!usable_type(st.st_mode)) {
		snprintf(err, errlen,
			 "%s: not a regular file or block device (a disk "
			 "image must be one)",
			 path);
		return NULL;
	}
	if (!readonly) {
		fd = open(path, O_RDWR | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (fd < 0 &&
		    (errno == EACCES || errno == EROFS || errno == EPERM)) {
			fprintf(stderr,
				"bt386: %s: read-only file: the guest can "
				"read this disk, its writes will fail\n",
				path);
			readonly = true;
		} else if (fd < 0) {
			snprintf(err, errlen, "%s: cannot open disk image: %s",
				 path, strerror(errno));
			return NULL;
		}
	}
	if (fd < 0)
		fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot open disk image: %s", path,
			 strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !usable_type(st.st_mode)) {
		snprintf(err, errlen,
			 "%s: not a regular file or block device (a disk "
			 "image must be one)",
			 path);
		close(fd);
		return NULL;
	}
	/* Regular files and block devices never block: plain I/O from here. */
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (lock_image(fd, !readonly) < 0) {
		if (errno == EAGAIN || errno == EACCES)
			snprintf(err, errlen,
				 "%s: disk image is in use by another "
				 "process (locked)",
				 path);
		else
			snprintf(err, errlen, "%s: cannot lock disk image: %s",
				 path, strerror(errno));
		close(fd);
		return NULL;
	}
	end = lseek(fd, 0, SEEK_END);
	if (end <= 0) {
		snprintf(err, errlen, "%s: disk image is empty", path);
		close(fd);
		return NULL;
	}
	img = calloc(1, sizeof(*img));
	if (!img || !(img->path = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(img);
		close(fd);
		return NULL;
	}
	img->fd = fd;
	img->size = (uint64_t)end;
	img->sectors = (img->size + DISK_SECTOR - 1) / DISK_SECTOR;
	img->readonly = readonly;
	return img;
}

void disk_image_close(struct disk_image *img)
{
	if (!img)
		return;
	close(img->fd); /* also drops the OFD lock */
	free(img->path);
	free(img);
}

int disk_image_read(struct disk_image *img, uint64_t lba, unsigned count,
		    void *buf)
{
	uint64_t off = lba * DISK_SECTOR;
	size_t want = (size_t)count * DISK_SECTOR;
	size_t done = 0;

	if (lba > img->sectors || count > img->sectors - lba)
		return -1;
	memset(buf, 0, want);
	if (off + want > img->size)
		want = (size_t)(img->size - off);
	while (done < want) {
		ssize_t n = pread(img->fd, (char *)buf + done, want - done,
				  (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break; /* the file shrank under us: zeros */
		done += (size_t)n;
	}
	return 0;
}

bool disk_image_writable(const struct disk_image *img, uint64_t lba,
			 unsigned count)
{
	uint64_t whole = img->size / DISK_SECTOR;

	return !img->readonly && lba <= whole && count <= whole - lba;
}

int disk_image_write(struct disk_image *img, uint64_t lba, unsigned count,
		     const void *buf)
{
	uint64_t off = lba * DISK_SECTOR;
	size_t want = (size_t)count * DISK_SECTOR;
	size_t done = 0;

	if (!disk_image_writable(img, lba, count))
		return -1;
	while (done < want) {
		ssize_t n = pwrite(img->fd, (const char *)buf + done,
				   want - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

int disk_image_flush(struct disk_image *img)
{
	int rc;

	do
		rc = fdatasync(img->fd);
	while (rc < 0 && errno == EINTR);
	return rc;
}
