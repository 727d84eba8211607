/*
 * file.h - reading whole input files (kernels, initrds) into memory.
 *
 * The monitor reads its inputs once, at start-up, before it confines
 * itself (monitor/sandbox.h): a reboot reloads the guest from the copy in
 * memory, so no file is opened while guest code runs.
 */
#ifndef BT386_MONITOR_FILE_H
#define BT386_MONITOR_FILE_H

#include <stddef.h>

/*
 * Read all of `path` (a regular file of at most `max` bytes) into a
 * malloc'd buffer. Anything but a regular file (a FIFO, a device, a
 * directory) is refused without blocking. On error returns -1 with
 * "PATH: reason" in err.
 */
int mon_read_file(const char *path, size_t max, void **buf, size_t *len,
		  char *err, size_t errlen);

#endif
