/*
 * bench-guest.h - what every benchmark guest shares: the round count from
 * the kernel command line and the report line.
 *
 * The report is "bench NAME rounds=R cycles=C result=X" on COM1, the line
 * bench/run looks for; the guest then leaves through debug-exit with 0.
 * The guest printf has no 64-bit conversions, so the cycle count is
 * printed as two decimal halves.
 */
#ifndef BT386_BENCH_GUESTS_BENCH_GUEST_H
#define BT386_BENCH_GUESTS_BENCH_GUEST_H

#include "guest.h"

/* "rounds=N" anywhere on the command line, else `dflt`. */
static inline uint32_t bench_arg_rounds(const struct mb_info *mbi,
					uint32_t dflt)
{
	const char *p;
	uint32_t n = 0;

	if (!(mbi->flags & MBI_CMDLINE))
		return dflt;
	for (p = (const char *)mbi->cmdline; *p; p++)
		if (!strncmp(p, "rounds=", 7))
			break;
	if (!*p)
		return dflt;
	for (p += 7; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (uint32_t)(*p - '0');
	return n ? n : dflt;
}

static inline __attribute__((noreturn)) void bench_report(const char *name,
							  uint32_t rounds,
							  uint64_t cycles,
							  uint32_t result)
{
	uint32_t hi = (uint32_t)(cycles / 1000000000u);
	uint32_t lo = (uint32_t)(cycles % 1000000000u);

	if (hi)
		printf("bench %s rounds=%u cycles=%u%09u result=%08x\n", name,
		       rounds, hi, lo, result);
	else
		printf("bench %s rounds=%u cycles=%u result=%08x\n", name,
		       rounds, lo, result);
	debug_exit(0);
}

#endif
