/*
 * pagefault (native) - demand paging by the host kernel: the same loop
 * as the guest, touching (xadd) a 64-page private anonymous region page
 * by page, each first touch a write fault that the kernel serves with a
 * zeroed page; between batches madvise(MADV_DONTNEED) drops the region
 * again (the guest's SYS_UNMAP).
 */
#include <sys/mman.h>

#include "bench-native.h"
#include "../loops.h"

#define REGION_PAGES 64u
#define PAGE 4096u

static inline __attribute__((always_inline)) uint32_t xadd(volatile uint32_t *p,
							   uint32_t v)
{
	__asm__ volatile("xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

int main(int argc, char **argv)
{
	uint32_t rounds = bench_native_rounds(argc, argv, 20000);
	uint32_t h = 0x811c9dc5u, i = 0, old;
	uint64_t t0, t1;
	uint8_t *region;

	region = mmap(NULL, REGION_PAGES * PAGE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED) {
		perror("pagefault: mmap");
		return 1;
	}
	t0 = bench_rdtsc();
	for (uint32_t r = 0; r < rounds; r++) {
		if (i == REGION_PAGES) {
			if (madvise(region, REGION_PAGES * PAGE,
				    MADV_DONTNEED)) {
				perror("pagefault: madvise");
				return 1;
			}
			i = 0;
		}
		old = xadd((volatile uint32_t *)(region + i * PAGE +
						 ((i * 68) & 0xffc)),
			   r + 1);
		h = bench_mix(h, old ^ r);
		i++;
	}
	t1 = bench_rdtsc();
	return bench_native_report("pagefault", rounds, t1 - t0, h, 1, "fault");
}
