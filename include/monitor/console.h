/*
 * console.h - the host end of the guest's serial console (stdio).
 *
 * Output is buffered and flushed at line ends, when the guest idles and at
 * exit. Input comes from stdin through the I/O thread; when stdin is a
 * terminal it is put in raw mode and Ctrl-A is an escape, as in QEMU:
 * Ctrl-A x quits, Ctrl-A n asks for an NMI, Ctrl-A h prints help, Ctrl-A
 * Ctrl-A sends Ctrl-A.
 */
#ifndef BT386_MONITOR_CONSOLE_H
#define BT386_MONITOR_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Raw mode on a tty stdin; the terminal is restored at exit. */
void console_init(void);
void console_restore(void);

/* vCPU thread: guest output. */
void console_write(const void *buf, size_t len);
void console_putc(uint8_t c);
void console_flush(void);

/* I/O thread: bytes read from stdin (escape sequences are handled here). */
void console_input_feed(const uint8_t *buf, size_t len);
/* I/O thread: stdin reached end of file. */
void console_input_eof(void);
/* vCPU thread: next input byte, or -1 if none is queued. */
int console_input_get(void);
/* vCPU thread: true once the user asked to quit (Ctrl-A x). */
bool console_quit_requested(void);
/* vCPU thread: true once per press of the NMI button (Ctrl-A n); presses
 * between two calls count as one. */
bool console_take_nmi_request(void);

/*
 * I/O thread: free space in the input queue; reading no more than this
 * from stdin means no byte is dropped (bytes fed beyond it are counted in
 * in_dropped and lost).
 */
size_t console_input_room(void);
/* True once console_input_eof() was called. */
bool console_input_at_eof(void);

/* Where guest output goes (default: stdout); flushes what is buffered. */
void console_set_output_fd(int fd);
/* Ctrl-A escapes on or off (console_init turns them on for a tty stdin). */
void console_set_escapes(bool on);

struct console_stats {
	uint64_t out_bytes;  /* guest bytes written to the host */
	uint64_t in_bytes;   /* bytes queued for the guest */
	uint64_t in_dropped; /* bytes lost because the queue was full */
};
void console_get_stats(struct console_stats *st);

#endif
