/*
 * report.c - the checks' output for the boot disk guest ("ok N - name"
 * lines, a summary, the debug-exit port), built for stage 2 (-m16) and
 * stage 3 (-m32): the counters live at REPORT in low memory, so the
 * numbering goes on across the switch to protected mode.
 */
#include "bootdisk.h"
#include "guest.h"

struct report {
	uint32_t checks, failed;
};

static volatile struct report *rep(void)
{
	return (volatile struct report *)phys8(REPORT);
}

void report_init(void)
{
	rep()->checks = 0;
	rep()->failed = 0;
}

void check(int ok, const char *name)
{
	rep()->checks++;
	if (!ok)
		rep()->failed++;
	printf("%sok %u - %s\n", ok ? "" : "not ", (unsigned)rep()->checks,
	       name);
}

void check_eq(uint32_t got, uint32_t want, const char *name)
{
	check(got == want, name);
	if (got != want)
		printf("#   got 0x%08x, expected 0x%08x\n", got, want);
}

void section(const char *name)
{
	printf("# %s\n", name);
}

void debug_exit(uint8_t value)
{
	while (!(inb(0x3f8 + 5) & 0x40))
		;
	outb(0xf4, value);
	for (;;)
		__asm__ volatile("cli; hlt");
}

void checks_done(void)
{
	if (rep()->failed)
		printf("FAIL: %u of %u checks failed\n",
		       (unsigned)rep()->failed, (unsigned)rep()->checks);
	else
		printf("PASS: %u checks\n", (unsigned)rep()->checks);
	debug_exit(rep()->failed ? 1 : 0);
}
