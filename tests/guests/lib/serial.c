/*
 * serial.c - console output on COM1 (0x3f8), polled, and a small printf.
 *
 * The UART is programmed for 115200 8N1 with interrupts off; each byte
 * waits for the Transmitter Holding Register Empty bit of the LSR. Lines
 * end in "\r\n" so a raw terminal shows them properly; the test harness
 * strips the "\r".
 *
 * printf understands %c %s %d %i %u %x %X %p %% with the flags '-' and '0',
 * a field width and the length modifiers l and ll.
 */
#include "guest.h"

#define COM1 0x3f8
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_THRE 0x20

void serial_init(void)
{
	outb(COM1 + UART_IER, 0x00);
	outb(COM1 + UART_LCR, 0x80); /* DLAB: the next two are the divisor */
	outb(COM1 + 0, 0x01);	     /* 115200 baud */
	outb(COM1 + 1, 0x00);
	outb(COM1 + UART_LCR, 0x03); /* 8N1 */
	outb(COM1 + UART_FCR, 0xc7); /* FIFOs on and cleared */
	outb(COM1 + UART_MCR, 0x03); /* DTR, RTS; OUT2 off: no IRQ */
}

void serial_putc(char c)
{
	if (c == '\n')
		serial_putc('\r');
	while (!(inb(COM1 + UART_LSR) & LSR_THRE))
		;
	outb(COM1 + UART_THR, (uint8_t)c);
}

void puts_raw(const char *s)
{
	while (*s)
		serial_putc(*s++);
}

struct out {
	char *buf;
	size_t size, len;
	int to_serial;
};

static void out_c(struct out *o, char c)
{
	if (o->to_serial)
		serial_putc(c);
	else if (o->len + 1 < o->size)
		o->buf[o->len] = c;
	o->len++;
}

/*
 * Divide *v by base in place and return the remainder, with two 32-bit
 * divl: the high half first, then the remainder:low half (which cannot
 * overflow because the remainder is below base). Keeps libgcc out.
 */
static unsigned divmod64(unsigned long long *v, unsigned base)
{
	uint32_t hi = (uint32_t)(*v >> 32), lo = (uint32_t)*v, rem;
	uint32_t qhi = hi / base;

	rem = hi % base;
	__asm__("divl %2" : "+a"(lo), "+d"(rem) : "rm"(base));
	*v = (unsigned long long)qhi << 32 | lo;
	return rem;
}

static void out_num(struct out *o, unsigned long long v, unsigned base,
		    int upper, int neg, int width, int zero, int left)
{
	char tmp[24];
	const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
	int n = 0;

	do {
		tmp[n++] = digits[divmod64(&v, base)];
	} while (v);
	int len = n + (neg ? 1 : 0);
	if (neg && zero)
		out_c(o, '-');
	if (!left)
		for (; len < width; width--)
			out_c(o, zero ? '0' : ' ');
	if (neg && !zero)
		out_c(o, '-');
	while (n)
		out_c(o, tmp[--n]);
	if (left)
		for (; len < width; width--)
			out_c(o, ' ');
}

static void format(struct out *o, const char *fmt, va_list ap)
{
	for (; *fmt; fmt++) {
		if (*fmt != '%') {
			out_c(o, *fmt);
			continue;
		}
		int zero = 0, left = 0, width = 0, lng = 0;
		fmt++;
		for (;; fmt++) {
			if (*fmt == '0')
				zero = 1;
			else if (*fmt == '-')
				left = 1;
			else
				break;
		}
		while (*fmt >= '0' && *fmt <= '9')
			width = width * 10 + (*fmt++ - '0');
		while (*fmt == 'l') {
			lng++;
			fmt++;
		}
		unsigned long long u;
		long long s;
		switch (*fmt) {
		case 'c':
			out_c(o, (char)va_arg(ap, int));
			break;
		case 's': {
			const char *str = va_arg(ap, const char *);
			int len = 0;
			if (!str)
				str = "(null)";
			while (str[len])
				len++;
			if (!left)
				for (; len < width; width--)
					out_c(o, ' ');
			while (*str)
				out_c(o, *str++);
			if (left)
				for (; len < width; width--)
					out_c(o, ' ');
			break;
		}
		case 'd':
		case 'i':
			s = lng >= 2 ? va_arg(ap, long long) : va_arg(ap, int);
			u = s < 0 ? -(unsigned long long)s
				  : (unsigned long long)s;
			out_num(o, u, 10, 0, s < 0, width, zero, left);
			break;
		case 'u':
		case 'x':
		case 'X':
			u = lng >= 2 ? va_arg(ap, unsigned long long)
				     : va_arg(ap, unsigned int);
			out_num(o, u, *fmt == 'u' ? 10 : 16, *fmt == 'X', 0,
				width, zero, left);
			break;
		case 'p':
			out_c(o, '0');
			out_c(o, 'x');
			out_num(o, (uintptr_t)va_arg(ap, void *), 16, 0, 0, 8,
				1, 0);
			break;
		case '%':
			out_c(o, '%');
			break;
		case '\0':
			return;
		default:
			out_c(o, '%');
			out_c(o, *fmt);
			break;
		}
	}
}

int printf(const char *fmt, ...)
{
	struct out o = {.to_serial = 1};
	va_list ap;

	va_start(ap, fmt);
	format(&o, fmt, ap);
	va_end(ap);
	return (int)o.len;
}

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct out o = {.buf = buf, .size = size};

	format(&o, fmt, ap);
	if (size)
		buf[o.len < size ? o.len : size - 1] = '\0';
	return (int)o.len;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
