/*
 * compute - the ring-0 compute benchmark guest: times bench_compute() with
 * the TSC and prints "bench compute cycles=N result=X". Under bt386 the
 * guest TSC is the host TSC (plus an offset) and under QEMU TCG it is the
 * host TSC too, so cycle counts compare directly with the native program.
 *
 * The round count comes from the command line ("rounds=N"), so the harness
 * can give the slow interpreter less work and scale the result.
 */
#include "guest.h"
#include "../loops.h"

static uint8_t buf[BENCH_BUF_SIZE];

static uint32_t arg_rounds(const struct mb_info *mbi)
{
	const char *p;
	uint32_t n = 0;

	if (!(mbi->flags & MBI_CMDLINE))
		return BENCH_COMPUTE_ROUNDS;
	for (p = (const char *)mbi->cmdline; *p; p++)
		if (!strncmp(p, "rounds=", 7))
			break;
	if (!*p)
		return BENCH_COMPUTE_ROUNDS;
	for (p += 7; *p >= '0' && *p <= '9'; p++)
		n = n * 10 + (uint32_t)(*p - '0');
	return n ? n : BENCH_COMPUTE_ROUNDS;
}

void guest_main(uint32_t magic, struct mb_info *mbi)
{
	uint32_t rounds = arg_rounds(mbi), result;
	uint64_t t0, t1;

	(void)magic;
	bench_fill(buf, sizeof(buf));
	t0 = bench_rdtsc();
	result = bench_compute(buf, sizeof(buf), rounds);
	t1 = bench_rdtsc();
	printf("bench compute rounds=%u cycles=%u%09u result=%08x\n", rounds,
	       (uint32_t)((t1 - t0) / 1000000000u),
	       (uint32_t)((t1 - t0) % 1000000000u), result);
	debug_exit(0);
}
