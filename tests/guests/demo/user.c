/*
 * user.c - the demo's three user programs, running in ring 3.
 *
 * Everything here lives in .user.text/.user.rodata (user-accessible pages)
 * and calls nothing outside them: output goes through the write system
 * call, formatted with the small helpers below. Each program reads who it
 * is from its private page at PROC_PAGE_VA.
 */
#include "demo.h"
#include "guest.h"

#define ME ((volatile struct proc_page *)PROC_PAGE_VA)

static inline __attribute__((always_inline)) uint32_t
sys(uint32_t n, uint32_t a, uint32_t b)
{
	__asm__ volatile("int $0x80" : "+a"(n) : "b"(a), "c"(b) : "memory");
	return n;
}

USER_TEXT static char *put_str(char *p, const char *s)
{
	while (*s)
		*p++ = *s++;
	return p;
}

USER_TEXT static char *put_uint(char *p, uint32_t v)
{
	char tmp[10];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

/* "[pid N name    ] S.T s: " */
USER_TEXT static char *put_prefix(char *p)
{
	uint32_t t = sys(SYS_TICKS, 0, 0);
	int i = 0;

	p = put_str(p, USTR("  [pid "));
	p = put_uint(p, ME->pid);
	*p++ = ' ';
	for (; ME->name[i]; i++)
		*p++ = ME->name[i];
	for (; i < 8; i++)
		*p++ = ' ';
	p = put_str(p, USTR("] "));
	p = put_uint(p, t / HZ);
	*p++ = '.';
	p = put_uint(p, t / (HZ / 10) % 10);
	return put_str(p, USTR(" s: "));
}

USER_TEXT static void emit(char *start, char *end)
{
	*end++ = '\n';
	sys(SYS_WRITE, (uint32_t)start, (uint32_t)(end - start));
}

USER_TEXT static void check_private(void)
{
	/* Another process's writes can never show up here. */
	if (ME->magic != (PROC_MAGIC ^ ME->pid)) {
		char *p = put_prefix((char *)ME->line);
		p = put_str(p, USTR("my private page was changed!"));
		emit((char *)ME->line, p);
	}
}

/* CPU-bound: trial division, a report every half second. */
USER_TEXT void user_primes(void)
{
	uint32_t n = 1, count = 0, next = sys(SYS_TICKS, 0, 0) + HZ / 2;

	for (;;) {
		uint32_t d;

		n++;
		for (d = 2; d * d <= n; d++)
			if (n % d == 0)
				break;
		if (d * d > n) {
			count++;
			ME->progress = count;
		}
		if ((n & 0xff) == 0 && sys(SYS_TICKS, 0, 0) >= next) {
			char *p = put_prefix((char *)ME->line);

			p = put_uint(p, count);
			p = put_str(p,
				    USTR(" primes found, latest candidate "));
			p = put_uint(p, n);
			emit((char *)ME->line, p);
			check_private();
			next += HZ / 2;
		}
	}
}

/* Sleeps between lines: one Fibonacci number every 0.3 s. */
USER_TEXT void user_fib(void)
{
	uint32_t a = 0, b = 1, i = 0;

	for (;;) {
		char *p = put_prefix((char *)ME->line);
		uint32_t t;

		p = put_str(p, USTR("fib("));
		p = put_uint(p, i);
		p = put_str(p, USTR(") = "));
		p = put_uint(p, a);
		emit((char *)ME->line, p);
		check_private();
		ME->progress = i;
		t = a + b;
		a = b;
		b = t;
		if (++i > 47) { /* fib(48) no longer fits in 32 bits */
			a = 0;
			b = 1;
			i = 0;
		}
		sys(SYS_SLEEP, 3 * HZ / 10, 0);
	}
}

/* CPU-bound: a spinning counter with a spinner character. */
USER_TEXT void user_counter(void)
{
	static const char spin[4] USER_RODATA = {'|', '/', '-', '\\'};
	uint32_t loops = 0, reports = 0;
	uint32_t next = sys(SYS_TICKS, 0, 0) + 3 * HZ / 4;

	for (;;) {
		loops++;
		ME->progress = loops;
		if ((loops & 0x3ff) == 0 && sys(SYS_TICKS, 0, 0) >= next) {
			char *p = put_prefix((char *)ME->line);

			*p++ = spin[reports++ & 3];
			*p++ = ' ';
			p = put_uint(p, loops);
			p = put_str(p, USTR(" iterations"));
			emit((char *)ME->line, p);
			check_private();
			next += 3 * HZ / 4;
		}
	}
}
