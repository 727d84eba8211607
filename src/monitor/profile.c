/*
 * profile.c - where the vCPU's time goes, by guest code address.
 *
 * With --stats, the vCPU thread's CPU time (user and system: host calls
 * and faults count) is sampled PROFILE_HZ times a second by a POSIX CPU
 * timer whose signal (SIGPROF) goes to that thread. Each sample is
 * credited to a guest EIP and to what the thread did for it: translated
 * code (the EIP of the block), a host fault of translated code (shadow
 * fills, emulated writes: the faulting block), a callout (its
 * instruction), or the rest of the monitor (the loop, the interpreter,
 * translation, devices: the EIP the vCPU holds). profile_print() lists
 * the addresses with the most samples; a guest's symbol table (Linux:
 * /proc/kallsyms) names them.
 *
 * The handler runs in signal context: it reads the vCPU and the code
 * cache's block index (signal-safe) and bumps counters in a fixed table.
 * Not with --direct-exec, whose signal handling owns every signal.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bt/bt.h"
#include "monitor/monitor.h"

#define PROFILE_HZ 1000
#define SLOTS 8192u /* power of two */
#define PROBES 32u
#define TOP 25u

enum { IN_CACHE, IN_FAULT, IN_CALLOUT, IN_MONITOR, NR_WHERE };

struct slot {
	uint32_t eip;
	bool used, user;
	uint32_t n[NR_WHERE];
};

static struct slot slots[SLOTS];
static struct machine *prof_machine;
static volatile uint64_t samples, lost, by_where[NR_WHERE];

static void record(uint32_t eip, bool user, unsigned where)
{
	uint32_t h = (eip * 0x9e3779b1u) >> 19;

	samples++;
	by_where[where]++;
	for (uint32_t i = 0; i < PROBES; i++) {
		struct slot *s = &slots[(h + i) & (SLOTS - 1)];

		if (s->used && (s->eip != eip || s->user != user))
			continue;
		s->used = true;
		s->eip = eip;
		s->user = user;
		s->n[where]++;
		return;
	}
	lost++;
}

static void on_prof(int sig, siginfo_t *si, void *uc)
{
	struct machine *m = prof_machine;
	uint32_t eip = 0;
	bool user = false;

	(void)sig;
	(void)si;
	if (!m)
		return;
	switch (m->bt_on ? bt_sample_at(uc, &eip, &user) : BT_SAMPLE_NONE) {
	case BT_SAMPLE_CACHE:
		record(eip, user, IN_CACHE);
		break;
	case BT_SAMPLE_FAULT:
		record(eip, user, IN_FAULT);
		break;
	case BT_SAMPLE_CALLOUT:
		record(eip, user, IN_CALLOUT);
		break;
	case BT_SAMPLE_NONE:
		record(m->cpu.eip, m->cpu.cpl == 3, IN_MONITOR);
		break;
	}
}

static double thread_cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_at_start;

int profile_start(struct machine *m)
{
	prof_machine = m;
	cpu_at_start = thread_cpu_seconds();
	return mon_cpu_timer_start(SIGPROF, on_prof, 1000000000L / PROFILE_HZ);
}

static uint32_t total_of(const struct slot *s)
{
	uint32_t n = 0;

	for (unsigned w = 0; w < NR_WHERE; w++)
		n += s->n[w];
	return n;
}

static double pct(uint64_t n)
{
	return 100.0 * (double)n / (double)samples;
}

/* The slot with the most samples after `after` in the order (most
 * first, then table order). Not qsort: glibc's asks the kernel how much
 * memory there is, which the sandbox refuses. */
static const struct slot *next_best(const struct slot *after)
{
	const struct slot *best = NULL;
	uint32_t below = after ? total_of(after) : UINT32_MAX;

	for (uint32_t i = 0; i < SLOTS; i++) {
		const struct slot *s = &slots[i];
		uint32_t n = total_of(s);

		if (!s->used || n > below ||
		    (after && n == below && s <= after))
			continue;
		if (!best || n > total_of(best))
			best = s;
	}
	return best;
}

void profile_print(FILE *out)
{
	const struct slot *s = NULL;
	uint64_t user = 0;
	double cpu;

	if (!samples)
		return;
	for (uint32_t i = 0; i < SLOTS; i++)
		if (slots[i].user)
			user += total_of(&slots[i]);
	/* The host rounds CPU-time timers up to its own tick (4 ms on a
	 * 250 Hz kernel): the rate actually reached is printed. */
	cpu = thread_cpu_seconds() - cpu_at_start;
	fprintf(out,
		"  vCPU time by guest code (%llu samples, %.0f per second of "
		"its %.2f s; asked for %u, %.1f%% at "
		"CPL 3, %llu not placed): translated code %.1f%%, host faults "
		"of translated code %.1f%%, callouts %.1f%%, rest of the "
		"monitor %.1f%%\n"
		"    %-10s %-4s %8s %8s %8s %8s\n",
		(unsigned long long)samples,
		cpu > 0 ? (double)samples / cpu : 0.0, cpu, PROFILE_HZ,
		pct(user), (unsigned long long)lost, pct(by_where[IN_CACHE]),
		pct(by_where[IN_FAULT]), pct(by_where[IN_CALLOUT]),
		pct(by_where[IN_MONITOR]), "eip", "cpl", "code", "faults",
		"callouts", "monitor");
	for (uint32_t i = 0; i < TOP; i++) {
		s = next_best(s);
		if (!s)
			break;
		fprintf(out,
			"    %08x   %-4u %7.2f%% %7.2f%% %7.2f%% %7.2f%%\n",
			s->eip, s->user ? 3u : 0u, pct(s->n[IN_CACHE]),
			pct(s->n[IN_FAULT]), pct(s->n[IN_CALLOUT]),
			pct(s->n[IN_MONITOR]));
	}
}
