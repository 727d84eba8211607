/*
 * opcost.c - host signals and host system calls per guest operation
 * (include/monitor/opcost.h says what is charged to what).
 *
 * Host signals: faults of translated code (hidden page faults, guest
 * exceptions, emulated accesses) and direct execution's exits. Host
 * calls: the shadow's mmap/mprotect/munmap calls, the only host system
 * calls on these paths.
 */
#include "monitor/opcost.h"

#include "mmu/shadow.h"
#include "monitor/stats.h"

struct opcost_sum {
	uint64_t ops, signals, calls, callouts;
};

static struct opcost_sum sum[OPCOST_KINDS];
static const char *const kind_names[OPCOST_KINDS] = {
	[OPCOST_SYSCALL] = "system call (int n, sysenter)",
	[OPCOST_PAGEFAULT] = "page fault from user mode",
	[OPCOST_EXCEPTION] = "other exception from user mode",
	[OPCOST_INTERRUPT] = "interrupt in user mode",
	[OPCOST_PTE_WRITE] = "write to a traced page table",
	[OPCOST_CR3_WRITE] = "CR3 write",
};

/* The open window: from the last return to user mode. */
static struct opcost_sum mark;
static int entry_kind = -1;

static uint64_t host_signals(void)
{
	return stats.bt_faults + stats.de_syscalls + stats.de_faults;
}

static void take(struct opcost_sum *s)
{
	s->signals = host_signals();
	s->calls = shadow_host_calls();
	s->callouts = stats.bt_callouts;
}

void opcost_kernel_entry(enum opcost_kind kind)
{
	/* Nested entries (a fault in the kernel's entry path) stay with
	 * the first. */
	if (entry_kind < 0)
		entry_kind = (int)kind;
}

void opcost_user_return(void)
{
	struct opcost_sum now;

	take(&now);
	if (entry_kind >= 0) {
		struct opcost_sum *s = &sum[entry_kind];

		s->ops++;
		s->signals += now.signals - mark.signals;
		s->calls += now.calls - mark.calls;
		s->callouts += now.callouts - mark.callouts;
	}
	mark = now;
	entry_kind = -1;
}

uint64_t opcost_begin(void)
{
	return shadow_host_calls();
}

void opcost_end(enum opcost_kind kind, uint64_t begin)
{
	sum[kind].ops++;
	sum[kind].calls += shadow_host_calls() - begin;
}

void opcost_print(FILE *out)
{
	bool header = false;

	for (unsigned k = 0; k < OPCOST_KINDS; k++) {
		const struct opcost_sum *s = &sum[k];
		double n = (double)s->ops;

		if (!s->ops)
			continue;
		if (!header)
			fprintf(out,
				"  host cost per guest operation (signals, "
				"host calls, callouts; from user mode to "
				"the return to it):\n");
		header = true;
		if (k == OPCOST_PTE_WRITE || k == OPCOST_CR3_WRITE)
			fprintf(out, "    %-32s %10llu  %6s  %6.2f calls\n",
				kind_names[k], (unsigned long long)s->ops, "",
				(double)s->calls / n);
		else
			fprintf(out,
				"    %-32s %10llu  %6.2f signals  %6.2f calls  "
				"%6.2f callouts\n",
				kind_names[k], (unsigned long long)s->ops,
				(double)s->signals / n, (double)s->calls / n,
				(double)s->callouts / n);
	}
}
