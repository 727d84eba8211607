/*
 * monitor.h - the monitor's entry points: building the machine, the run
 * loop, the I/O thread and the host feature checks.
 */
#ifndef BT386_MONITOR_MONITOR_H
#define BT386_MONITOR_MONITOR_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "monitor/machine.h"

/* Process exit statuses besides the debug-exit status (v << 1) | 1. */
#define MON_EXIT_OK 0	   /* guest powered off / halted for good / user quit */
#define MON_EXIT_ERROR 1   /* bad input or a monitor error */
#define MON_EXIT_CRASHED 2 /* the guest crashed (triple fault, engine stop) */

/* Print "bt386: <message>" on stderr. */
void mon_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void mon_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Host features (hostcheck.c). */
enum host_need {
	HOST_NEED_ALWAYS,   /* every engine */
	HOST_NEED_BT,	    /* binary translation (the shadow views) */
	HOST_NEED_DIRECT,   /* --direct-exec */
	HOST_NEED_OPTIONAL, /* used when present */
};
/* Check the host for `engine` (and direct execution of user code if
 * `direct`); print what is missing; -1 if required features are missing.
 * `verbose` prints the whole table. */
int mon_check_host(enum engine engine, bool direct, bool verbose);
/* Whether this host runs 32-bit code in a 32-bit code segment of our own
 * (an LDT entry): some hypervisors' guest kernels cannot (PVM). A child
 * process tries it; `detail` says why not. Direct execution needs it, and
 * so do the unit tests that run instructions natively as an oracle. */
bool mon_host_runs_32bit_code(char *detail, size_t len);

/* Machine construction (machine.c). */
int machine_init(struct machine *m, char *err, size_t errlen);
/* Load the kernel (or the built-in demo) and set the boot CPU state. */
int machine_boot(struct machine *m, char *err, size_t errlen);

/* The I/O thread (events.c). */
int mon_events_start(struct machine *m);
void mon_events_stop(void);

/* signals.c: call `handler` for signal `signo` on this thread every
 * interval_ns of its CPU time (the profiler, the user TLB policy). */
int mon_cpu_timer_start(int signo, void (*handler)(int, siginfo_t *, void *),
			long interval_ns);

/* profile.c: with --stats, sample the vCPU thread's time by guest EIP
 * (call on the vCPU thread, before the sandbox); print the top. */
int profile_start(struct machine *m);
void profile_print(FILE *out);
/* vCPU thread: sleep until a host event or an interrupt may be pending. */
void mon_events_wait(void);
/* vCPU thread: watch `fd` until it is readable once: then the vCPU is
 * kicked and mon_events_fd_ready() returns true (once). Call again to
 * watch again. -1 on failure. */
int mon_events_watch_fd(int fd);
bool mon_events_fd_ready(void);
/* Any thread: make the vCPU return to the monitor loop. */
void mon_kick(struct machine *m);
/* True when the user asked to stop (signal, Ctrl-A x). */
bool mon_quit_requested(void);

/* The vCPU thread's signal handlers (signals.c). */
int mon_signals_init(struct machine *m);
/* Any thread: interrupt the vCPU thread with the kick signal. */
void mon_signal_kick(void);
/* vCPU thread: have the host kick it at the absolute CLOCK_MONOTONIC
 * time in its (zero: never), as the I/O thread's timerfd. */
struct itimerspec;
void mon_deadline_timer_arm(const struct itimerspec *its);

/* The run loop (loop.c): returns the process exit status. */
int mon_run(struct machine *m);

/* The built-in demo guest (demo_image.S). */
extern const unsigned char bt386_demo_elf[];
extern const unsigned char bt386_demo_elf_end[];

#endif
