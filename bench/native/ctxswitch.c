/*
 * ctxswitch (native) - process switches by the host kernel: two 32-bit
 * Linux processes pinned to one CPU pass the guest's message (count,
 * hash) back and forth over two pipes, so every hand-over is a write that
 * wakes the other process and a read that blocks the writer: one context
 * switch per round, the same exchange and checksum as the guest. The
 * start time sits in a shared page so that whichever process receives the
 * last message can report.
 */
#define _GNU_SOURCE
#include <sched.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench-native.h"
#include "../loops.h"

#define SEED 0x811c9dc5u

static uint32_t rounds;
static volatile uint64_t *start; /* shared between the two processes */

/* Returns when this process reported, or the other one did (EOF). */
static void run(int in, int out, int first)
{
	uint32_t msg[2] = {0, SEED};

	if (first)
		*start = bench_rdtsc();
	else if (read(in, msg, sizeof(msg)) != sizeof(msg))
		return;
	for (;;) {
		if (msg[0] == rounds) {
			uint64_t t = bench_rdtsc() - *start;

			bench_native_report("ctxswitch", rounds, t, msg[1], 1,
					    "switch");
			return;
		}
		msg[1] = bench_mix(msg[1], msg[0]);
		msg[0]++;
		if (write(out, msg, sizeof(msg)) != sizeof(msg) ||
		    read(in, msg, sizeof(msg)) != sizeof(msg))
			return;
	}
}

int main(int argc, char **argv)
{
	int ab[2], ba[2], status;
	cpu_set_t cpus;
	pid_t pid;

	rounds = bench_native_rounds(argc, argv, 20000);
	start = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (start == MAP_FAILED || pipe(ab) || pipe(ba)) {
		perror("ctxswitch");
		return 1;
	}
	/* One CPU for both: a hand-over is then a real switch, not a
	 * wake-up of a process waiting on the other CPU. */
	CPU_ZERO(&cpus);
	CPU_SET(sched_getcpu() < 0 ? 0 : sched_getcpu(), &cpus);
	if (sched_setaffinity(0, sizeof(cpus), &cpus))
		perror("ctxswitch: sched_setaffinity");
	fflush(stdout);
	pid = fork();
	if (pid < 0) {
		perror("ctxswitch: fork");
		return 1;
	}
	if (pid == 0) {
		close(ab[1]);
		close(ba[0]);
		run(ab[0], ba[1], 0);
		fflush(stdout);
		_exit(0);
	}
	close(ab[0]);
	close(ba[1]);
	run(ba[0], ab[1], 1);
	close(ab[1]);
	close(ba[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status))
		return 1;
	return 0;
}
