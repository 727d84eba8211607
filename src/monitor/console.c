/*
 * console.c - the host end of the guest serial console (stdio).
 *
 * Output (vCPU thread): guest bytes collect in a buffer that is written out
 * at '\n', when full, and on console_flush() (the monitor calls it when the
 * guest idles and at exit), so a guest printing a character at a time does
 * not cost a write(2) per character.
 *
 * Input: the I/O thread reads stdin and calls console_input_feed(); the
 * vCPU thread takes bytes with console_input_get(). The queue between them
 * is a single-producer single-consumer ring: the producer alone writes
 * `head`, the consumer alone writes `tail`, and the release/acquire pairs
 * make a byte visible before the index that publishes it. No locks.
 *
 * When stdin is a terminal it is put in raw mode (no echo, no line editing,
 * no signals: Ctrl-C goes to the guest, as with QEMU -nographic) and Ctrl-A
 * starts an escape: Ctrl-A x quits, Ctrl-A n presses the NMI button (the
 * monitor loop takes the request, as QEMU's monitor command `nmi`),
 * Ctrl-A h prints help, Ctrl-A Ctrl-A sends one Ctrl-A. The escape state
 * lives on the I/O thread only. When stdin is a pipe or a file every byte
 * passes through unchanged.
 */
#include <errno.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "monitor/console.h"

#define ESCAPE_CHAR 0x01 /* Ctrl-A */
#define OUT_BUF_SIZE 4096
#define IN_RING_SIZE 4096 /* a power of two */

static uint8_t out_buf[OUT_BUF_SIZE];
static size_t out_len;
static int out_fd = STDOUT_FILENO;
static uint64_t out_bytes;

static uint8_t in_ring[IN_RING_SIZE];
static atomic_uint in_head; /* written by the producer (I/O thread) */
static atomic_uint in_tail; /* written by the consumer (vCPU thread) */
static atomic_uint_least64_t in_bytes, in_dropped;
static atomic_bool in_eof;
static atomic_bool quit_requested;
static atomic_bool nmi_requested;

static bool escapes;
static bool escape_pending; /* I/O thread only */

static bool tty_saved;
static struct termios saved_tio;

void console_restore(void)
{
	if (tty_saved) {
		tcsetattr(STDIN_FILENO, TCSANOW, &saved_tio);
		tty_saved = false;
	}
}

static void console_at_exit(void)
{
	console_flush();
	console_restore();
}

void console_init(void)
{
	static bool registered;
	struct termios tio;

	if (!registered) {
		atexit(console_at_exit);
		registered = true;
	}
	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &saved_tio))
		return;
	tio = saved_tio;
	tio.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
			 ICRNL | IXON);
	/* Keep output processing so the monitor's own messages stay tidy. */
	tio.c_oflag |= OPOST;
	tio.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN | ISIG);
	tio.c_cflag &= ~(CSIZE | PARENB);
	tio.c_cflag |= CS8;
	tio.c_cc[VMIN] = 1;
	tio.c_cc[VTIME] = 0;
	if (tcsetattr(STDIN_FILENO, TCSANOW, &tio))
		return;
	tty_saved = true;
	escapes = true;
}

void console_set_escapes(bool on)
{
	escapes = on;
}

static void write_all(const uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = write(out_fd, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
		} else if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = {.fd = out_fd, .events = POLLOUT};
			poll(&pfd, 1, -1);
		} else if (n < 0 && errno == EINTR) {
			continue;
		} else {
			return; /* the reader went away: drop the output */
		}
	}
}

void console_flush(void)
{
	if (out_len) {
		write_all(out_buf, out_len);
		out_len = 0;
	}
}

void console_set_output_fd(int fd)
{
	console_flush();
	out_fd = fd;
}

void console_putc(uint8_t c)
{
	out_buf[out_len++] = c;
	out_bytes++;
	if (c == '\n' || out_len == OUT_BUF_SIZE)
		console_flush();
}

void console_write(const void *buf, size_t len)
{
	const uint8_t *p = buf;

	for (size_t i = 0; i < len; i++)
		console_putc(p[i]);
}

size_t console_input_room(void)
{
	unsigned head = atomic_load_explicit(&in_head, memory_order_relaxed);
	unsigned tail = atomic_load_explicit(&in_tail, memory_order_acquire);

	return IN_RING_SIZE - (head - tail);
}

static void queue_byte(uint8_t c)
{
	unsigned head = atomic_load_explicit(&in_head, memory_order_relaxed);
	unsigned tail = atomic_load_explicit(&in_tail, memory_order_acquire);

	if (head - tail == IN_RING_SIZE) {
		atomic_fetch_add_explicit(&in_dropped, 1, memory_order_relaxed);
		return;
	}
	in_ring[head & (IN_RING_SIZE - 1)] = c;
	atomic_store_explicit(&in_head, head + 1, memory_order_release);
	atomic_fetch_add_explicit(&in_bytes, 1, memory_order_relaxed);
}

static void escape_command(uint8_t c)
{
	switch (c) {
	case 'x':
	case 'X':
		fprintf(stderr, "\r\nbt386: terminated by user (Ctrl-A x)\r\n");
		atomic_store(&quit_requested, true);
		break;
	case 'n':
	case 'N':
		atomic_store(&nmi_requested, true);
		break;
	case 'h':
	case 'H':
	case '?':
		fprintf(stderr, "\r\nbt386 console: C-a x  quit, C-a n  NMI "
				"button, C-a h  this help, C-a C-a  send "
				"C-a\r\n");
		break;
	case ESCAPE_CHAR:
		queue_byte(ESCAPE_CHAR);
		break;
	default:
		break; /* unknown escapes are swallowed, as in QEMU */
	}
}

void console_input_feed(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		uint8_t c = buf[i];
		if (escape_pending) {
			escape_pending = false;
			escape_command(c);
		} else if (escapes && c == ESCAPE_CHAR) {
			escape_pending = true;
		} else {
			queue_byte(c);
		}
	}
}

void console_input_eof(void)
{
	atomic_store(&in_eof, true);
}

bool console_input_at_eof(void)
{
	return atomic_load(&in_eof);
}

int console_input_get(void)
{
	unsigned tail = atomic_load_explicit(&in_tail, memory_order_relaxed);
	unsigned head = atomic_load_explicit(&in_head, memory_order_acquire);
	uint8_t c;

	if (head == tail)
		return -1;
	c = in_ring[tail & (IN_RING_SIZE - 1)];
	atomic_store_explicit(&in_tail, tail + 1, memory_order_release);
	return c;
}

bool console_quit_requested(void)
{
	return atomic_load(&quit_requested);
}

bool console_take_nmi_request(void)
{
	return atomic_exchange(&nmi_requested, false);
}

void console_get_stats(struct console_stats *st)
{
	st->out_bytes = out_bytes;
	st->in_bytes = atomic_load_explicit(&in_bytes, memory_order_relaxed);
	st->in_dropped =
		atomic_load_explicit(&in_dropped, memory_order_relaxed);
}
