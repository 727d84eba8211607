/*
 * check.c - the checks framework: numbered "ok N - name" / "not ok N - name"
 * lines (TAP style), a summary, and the exit through the debug-exit port.
 *
 * The debug-exit device (QEMU's isa-debug-exit at 0xf4, bt386's equivalent)
 * ends the emulator with status (value << 1) | 1: value 0 (status 1) means
 * every check passed, value 1 (status 3) means at least one failed. If the
 * port does nothing, the guest forces a triple fault so that an emulator
 * run with -no-reboot still stops instead of hanging.
 */
#include "guest.h"

#define DEBUG_EXIT_PORT 0xf4

static struct check_counts own_counts;
struct check_counts *check_counts = &own_counts;

void check(int ok, const char *name)
{
	check_counts->checks++;
	if (!ok)
		check_counts->failed++;
	printf("%sok %u - %s\n", ok ? "" : "not ", check_counts->checks, name);
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
	static const struct {
		uint16_t limit;
		uint32_t base;
	} __attribute__((packed)) no_idt = {0, 0};

	/* Let the UART shift out the last byte first (LSR.TEMT). */
	while (!(inb(0x3f8 + 5) & 0x40))
		;
	outb(DEBUG_EXIT_PORT, value);
	puts_raw("debug-exit did not stop the machine; forcing a triple "
		 "fault\n");
	__asm__ volatile("cli; lidt %0; int3" : : "m"(no_idt));
	for (;;)
		__asm__ volatile("hlt");
}

void checks_done(void)
{
	if (check_counts->failed)
		printf("FAIL: %u of %u checks failed\n", check_counts->failed,
		       check_counts->checks);
	else
		printf("PASS: %u checks\n", check_counts->checks);
	debug_exit(check_counts->failed ? 1 : 0);
}

void panic(const char *fmt, ...)
{
	char buf[160];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	printf("PANIC: %s\n", buf);
	check_counts->failed++;
	checks_done();
}
