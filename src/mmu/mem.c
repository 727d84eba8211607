/*
 * mem.c - guest RAM (one memfd, mapped once as physmap) and the
 * reservation of the guest's linear address space in the host.
 *
 * Called once at start-up by the monitor, before any device or engine.
 */
#include "mmu/mem.h"
#include "mmu/shadow.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int mem_init(struct guest_mem *mem, uint64_t size, char *err, size_t errlen)
{
	void *p;

	mem->fd = -1;
	mem->physmap = NULL;
	mem->size = 0;
	if (size < MEM_MIN_SIZE || size > MEM_MAX_SIZE) {
		snprintf(err, errlen,
			 "memory size %llu MiB is out of range (%u..%u MiB)",
			 (unsigned long long)(size >> 20), MEM_MIN_SIZE >> 20,
			 MEM_MAX_SIZE >> 20);
		return -1;
	}
	mem->fd = memfd_create("bt386-guest-ram", MFD_CLOEXEC);
	if (mem->fd < 0) {
		snprintf(err, errlen, "memfd_create: %s", strerror(errno));
		return -1;
	}
	if (ftruncate(mem->fd, (off_t)size) < 0) {
		snprintf(err, errlen, "cannot size guest RAM to %llu MiB: %s",
			 (unsigned long long)(size >> 20), strerror(errno));
		goto fail;
	}
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE,
		 mem->fd, 0);
	if (p == MAP_FAILED) {
		snprintf(err, errlen, "cannot map guest RAM: %s",
			 strerror(errno));
		goto fail;
	}
	if ((uintptr_t)p < SHADOW_RESERVED) {
		/* That range belongs to the views of the guest's linear
		 * space. */
		munmap(p, size);
		snprintf(err, errlen,
			 "the host placed guest RAM at %p, inside the shadow "
			 "views; reserve them first",
			 p);
		goto fail;
	}
	mem->physmap = p;
	mem->size = (uint32_t)size;
	return 0;
fail:
	close(mem->fd);
	mem->fd = -1;
	return -1;
}

int mem_clear(struct guest_mem *mem)
{
	/* Give the pages back instead of writing zeros over them: RAM the
	 * guest never touches then costs nothing (a memset of a 3 GiB
	 * guest took seconds and made all of it resident). */
	if (fallocate(mem->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
		      (off_t)mem->size) == 0)
		return 0;
	memset(mem->physmap, 0, mem->size);
	return 0;
}

void mem_destroy(struct guest_mem *mem)
{
	if (mem->physmap)
		munmap(mem->physmap, mem->size);
	if (mem->fd >= 0)
		close(mem->fd);
	mem->physmap = NULL;
	mem->fd = -1;
	mem->size = 0;
}

static unsigned long mmap_min_addr(void)
{
	unsigned long v = 65536; /* the usual default */
	FILE *f = fopen("/proc/sys/vm/mmap_min_addr", "r");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 65536;
		fclose(f);
	}
	return v;
}

/* Name the first host mapping inside the views' range, for errors. */
static void find_low_mapping(char *buf, size_t len)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");

	snprintf(buf, len, "unknown mapping");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		unsigned long lo, hi;

		if (sscanf(line, "%lx-%lx", &lo, &hi) == 2 &&
		    lo < SHADOW_RESERVED) {
			line[strcspn(line, "\n")] = 0;
			snprintf(buf, len, "%.200s", line);
			break;
		}
	}
	fclose(f);
}

int mem_reserve_views(char *err, size_t errlen)
{
	unsigned long lo = mmap_min_addr();
	void *p;

	lo = (lo + 4095) & ~4095ul;
	p = mmap((void *)lo, SHADOW_RESERVED - lo, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			 MAP_FIXED_NOREPLACE,
		 -1, 0);
	if (p == MAP_FAILED || p != (void *)lo) {
		char what[300];

		if (p != MAP_FAILED)
			munmap(p, SHADOW_RESERVED - lo);
		find_low_mapping(what, sizeof(what));
		snprintf(err, errlen,
			 "cannot reserve the guest address space views "
			 "0x%lx..%#llx: %s (in the way: %s)",
			 lo, SHADOW_RESERVED, strerror(errno), what);
		return -1;
	}
	return 0;
}
