/*
 * gdbstub.h - the gdb remote serial protocol over TCP (-s, -S, -gdb).
 *
 * gdb attaches to the machine as to one thread (the vCPU), the way it
 * attaches to QEMU: `target remote localhost:1234`. The stub runs on the
 * vCPU thread whenever the guest is stopped, blocking on the socket; while
 * the guest runs, the I/O thread watches the socket and kicks the vCPU
 * when gdb sends Ctrl-C (or a new gdb connects), so the monitor loop
 * calls gdbstub_poll() at its next turn. Breakpoints, watchpoints and
 * steps go to the interpreter's debug hooks (include/bt/debug.h).
 *
 * The listening socket is made by gdbstub_listen() before the sandbox
 * (monitor/sandbox.h), which afterwards allows accept4() on it alone.
 */
#ifndef BT386_MONITOR_GDBSTUB_H
#define BT386_MONITOR_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>

struct machine;

/* -s: the port QEMU uses. */
#define GDBSTUB_DEFAULT_PORT 1234

/*
 * Listen on `spec`: "tcp::PORT" (127.0.0.1), "tcp:HOST:PORT" (a numeric
 * IPv4 address or localhost), or a bare port number. `start_stopped`
 * (-S): the guest waits for gdb before its first instruction. -1 with a
 * message (a bad spec, the port in use).
 */
int gdbstub_listen(const char *spec, bool start_stopped, char *err,
		   size_t errlen);
/* The listening socket, or -1 without a stub (for the sandbox). */
int gdbstub_listen_fd(void);

/* What the monitor loop does after the stub had the vCPU. */
enum gdbstub_action {
	GDBSTUB_RUN,  /* go on running the guest */
	GDBSTUB_KILL, /* gdb killed the guest: end the run */
	GDBSTUB_QUIT, /* the user asked bt386 to stop while gdb held it */
};

/*
 * vCPU thread, at the top of the monitor loop: the start under -S, a new
 * connection, Ctrl-C from gdb. Returns at once when nothing is pending.
 */
enum gdbstub_action gdbstub_poll(struct machine *m);
/* vCPU thread: the engine returned VCPU_EXIT_DEBUG. */
enum gdbstub_action gdbstub_debug_stop(struct machine *m);
/* vCPU thread: the run ends with this exit status; tell gdb. */
void gdbstub_run_ended(int status);

#endif
