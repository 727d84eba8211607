/*
 * log.c - messages from the monitor to the user, on stderr.
 */
#include <stdarg.h>
#include <stdio.h>

#include "monitor/console.h"
#include "monitor/monitor.h"

static void vmsg(const char *kind, const char *fmt, va_list ap)
{
	console_flush(); /* keep guest output and our messages in order */
	fprintf(stderr, "bt386: %s", kind);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void mon_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

void mon_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("warning: ", fmt, ap);
	va_end(ap);
}
