/*
 * ptedit (native) - page-table edits by the host kernel: mprotect() of
 * one private anonymous page, read-only and writable in turn, each
 * followed by an access (a read, or an xadd once writable), the same
 * loop and checksum as the guest.
 */
#include <sys/mman.h>

#include "bench-native.h"
#include "../loops.h"

#define PAGE 4096u
#define WORD_OFFSET 0x100u

static inline __attribute__((always_inline)) uint32_t xadd(volatile uint32_t *p,
							   uint32_t v)
{
	__asm__ volatile("xaddl %0, %1" : "+r"(v), "+m"(*p) : : "memory");
	return v;
}

int main(int argc, char **argv)
{
	uint32_t rounds = bench_native_rounds(argc, argv, 20000);
	uint32_t h = 0x811c9dc5u, w, old;
	volatile uint32_t *p;
	uint64_t t0, t1;
	uint8_t *page;

	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED) {
		perror("ptedit: mmap");
		return 1;
	}
	p = (volatile uint32_t *)(page + WORD_OFFSET);
	*p = 0; /* present and dirty, like the guest's page */
	t0 = bench_rdtsc();
	for (uint32_t r = 0; r < rounds; r++) {
		w = r & 1;
		if (mprotect(page, PAGE,
			     w ? PROT_READ | PROT_WRITE : PROT_READ)) {
			perror("ptedit: mprotect");
			return 1;
		}
		old = w ? xadd(p, r) : *p;
		h = bench_mix(h, old ^ r);
	}
	t1 = bench_rdtsc();
	return bench_native_report("ptedit", rounds, t1 - t0, h, 1, "edit");
}
