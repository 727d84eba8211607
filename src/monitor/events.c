/*
 * events.c - the I/O thread: host events that must reach the vCPU.
 *
 * One thread waits (epoll) on stdin and on a timerfd armed for the
 * earliest device timer. When something happens it queues it (console
 * input ring, timer flag) and kicks the vCPU: it sets cpu->kick, which
 * every engine checks at instruction or block boundaries, and writes an
 * eventfd that a vCPU sleeping in hlt waits on. Device state is never
 * touched here: the monitor loop runs timers and moves input into the
 * UART on the vCPU thread. Other descriptors (the gdb stub's sockets) are
 * watched on request, once per request: when one is readable the vCPU is
 * kicked and the monitor loop asks mon_events_fd_ready().
 *
 * SIGINT/SIGTERM/SIGHUP (when not swallowed by a raw terminal) ask the
 * loop to stop cleanly, so statistics are printed and the terminal is
 * restored. The vCPU answers within milliseconds; should a monitor bug
 * keep it busy, this thread ends the process itself QUIT_GRACE_NS after
 * the request (quit_watchdog), so bt386 always answers SIGTERM and
 * Ctrl-A x. Disk writes are already in their files (devices write
 * through), so nothing the guest completed is lost.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <poll.h>
#include <unistd.h>

#include "monitor/console.h"
#include "monitor/monitor.h"
#include "monitor/timer.h"

static struct machine *machine;
static int epfd = -1, wakefd = -1, tfd = -1, quitfd = -1;
static pthread_t io_thread;
static bool io_running;
static volatile sig_atomic_t quit_signal;
static bool io_started; /* io_main() runs */
static bool fd_ready;	/* a descriptor of mon_events_watch_fd() fired */

void mon_kick(struct machine *m)
{
	uint64_t one = 1;

	__atomic_store_n(&m->cpu.kick, 1, __ATOMIC_RELEASE);
	if (write(wakefd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
		/* The counter is saturated: the vCPU is awake anyway. */
	}
	/* Translated (and directly executed) code checks no flag: it is
	 * interrupted by a signal. */
	if (m->bt_on)
		mon_signal_kick();
}

bool mon_quit_requested(void)
{
	return quit_signal || console_quit_requested();
}

static void on_quit_signal(int sig)
{
	uint64_t one = 1;

	(void)sig;
	quit_signal = 1;
	/* Async-signal-safe: only write(2) to wake the vCPU. */
	if (wakefd >= 0 && write(wakefd, &one, sizeof(one)) < 0) {
	}
	if (machine)
		__atomic_store_n(&machine->cpu.kick, 1, __ATOMIC_RELEASE);
}

/* vCPU thread: the earliest timer deadline changed. */
static void arm_timerfd(uint64_t deadline_ns)
{
	struct itimerspec its = {0};

	if (deadline_ns) {
		its.it_value.tv_sec = (time_t)(deadline_ns / 1000000000u);
		its.it_value.tv_nsec = (long)(deadline_ns % 1000000000u);
		if (!its.it_value.tv_sec && !its.it_value.tv_nsec)
			its.it_value.tv_nsec = 1;
	}
	timerfd_settime(tfd, TFD_TIMER_ABSTIME, &its, NULL);
	mon_deadline_timer_arm(&its);
}

/*
 * Stdin is read only as fast as the console's input ring drains: while the
 * ring is full, stdin leaves the epoll set and is polled again every few
 * milliseconds, so a large paste waits in the pipe instead of being lost.
 */
static bool stdin_watched, stdin_done;

static void watch_stdin(bool on)
{
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = STDIN_FILENO};

	if (on == stdin_watched || stdin_done)
		return;
	if (epoll_ctl(epfd, on ? EPOLL_CTL_ADD : EPOLL_CTL_DEL, STDIN_FILENO,
		      &ev) == 0)
		stdin_watched = on;
}

#define QUIT_GRACE_NS (3ull * 1000 * 1000 * 1000)

/* A quit request the vCPU thread has not acted on in time. */
static void quit_watchdog(void)
{
	static uint64_t requested_at;
	uint64_t now;

	if (!mon_quit_requested())
		return;
	now = mon_now_ns();
	if (!requested_at) {
		requested_at = now;
		return;
	}
	if (now - requested_at < QUIT_GRACE_NS)
		return;
	console_restore();
	fprintf(stderr,
		"\r\nbt386: the vCPU did not stop within %llu s of "
		"the quit request; exiting anyway\n",
		QUIT_GRACE_NS / 1000000000ull);
	_exit(MON_EXIT_ERROR);
}

static void *io_main(void *arg)
{
	struct epoll_event ev[4];
	uint8_t buf[4096];

	(void)arg;
	__atomic_store_n(&io_started, true, __ATOMIC_RELEASE);
	for (;;) {
		int n, timeout;

		if (!stdin_watched && !stdin_done && console_input_room() > 0)
			watch_stdin(true);
		/*
		 * A kick the vCPU has not taken within a millisecond is sent
		 * again: translated code can miss one that lands in a few
		 * instructions of an indirect-branch lookup (bt_run.c).
		 */
		timeout = stdin_watched || stdin_done ? -1 : 10;
		if (machine->bt_on &&
		    __atomic_load_n(&machine->cpu.kick, __ATOMIC_ACQUIRE))
			timeout = 1;
		quit_watchdog();
		if (mon_quit_requested())
			timeout = 100;
		n = epoll_wait(epfd, ev, 4, timeout);
		if (n == 0 && machine->bt_on &&
		    __atomic_load_n(&machine->cpu.kick, __ATOMIC_ACQUIRE))
			mon_signal_kick();

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		for (int i = 0; i < n; i++) {
			int fd = ev[i].data.fd;

			if (fd == quitfd)
				return NULL;
			if (fd != tfd && fd != STDIN_FILENO) {
				/* mon_events_watch_fd(): one-shot. */
				__atomic_store_n(&fd_ready, true,
						 __ATOMIC_RELEASE);
				mon_kick(machine);
				continue;
			}
			if (fd == tfd) {
				uint64_t expirations;

				if (read(tfd, &expirations,
					 sizeof(expirations)) < 0) {
				}
				mon_kick(machine);
			} else if (fd == STDIN_FILENO) {
				size_t room = console_input_room();
				ssize_t got;

				if (room == 0) {
					watch_stdin(false);
					continue;
				}
				got = read(STDIN_FILENO, buf,
					   room < sizeof(buf) ? room
							      : sizeof(buf));
				if (got > 0) {
					console_input_feed(buf, (size_t)got);
				} else if (got == 0 || (errno != EINTR &&
							errno != EAGAIN)) {
					watch_stdin(false);
					stdin_done = true;
					console_input_eof();
				}
				mon_kick(machine);
			}
		}
	}
	return NULL;
}

int mon_events_start(struct machine *m)
{
	struct epoll_event ev = {.events = EPOLLIN};
	struct sigaction sa;

	machine = m;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	quitfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (epfd < 0 || wakefd < 0 || quitfd < 0 || tfd < 0) {
		mon_error("cannot create the I/O thread's descriptors: %s",
			  strerror(errno));
		return -1;
	}
	ev.data.fd = tfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, tfd, &ev);
	ev.data.fd = quitfd;
	epoll_ctl(epfd, EPOLL_CTL_ADD, quitfd, &ev);
	/* stdin may be a file or /dev/null (epoll refuses those: then the
	 * guest simply gets no input) or closed. */
	watch_stdin(true);
	if (!stdin_watched) {
		stdin_done = true;
		console_input_eof();
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_quit_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	mon_timers_set_notify(arm_timerfd);
	arm_timerfd(mon_timers_next());
	if (pthread_create(&io_thread, NULL, io_main, NULL) != 0) {
		mon_error("cannot start the I/O thread");
		return -1;
	}
	/* Return only once the thread runs its own code: glibc's thread
	 * start-up makes system calls (rseq, robust lists) that the sandbox,
	 * installed next, does not allow. */
	while (!__atomic_load_n(&io_started, __ATOMIC_ACQUIRE))
		sched_yield();
	io_running = true;
	return 0;
}

void mon_events_stop(void)
{
	uint64_t one = 1;

	if (!io_running)
		return;
	if (write(quitfd, &one, sizeof(one)) < 0) {
	}
	pthread_join(io_thread, NULL);
	io_running = false;
}

int mon_events_watch_fd(int fd)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT,
				 .data.fd = fd};

	if (epoll_ctl(epfd, EPOLL_CTL_MOD, fd, &ev) == 0)
		return 0;
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

bool mon_events_fd_ready(void)
{
	return __atomic_exchange_n(&fd_ready, false, __ATOMIC_ACQUIRE);
}

void mon_events_wait(void)
{
	struct pollfd p = {.fd = wakefd, .events = POLLIN};
	uint64_t v;

	if (__atomic_load_n(&machine->cpu.kick, __ATOMIC_ACQUIRE) ||
	    quit_signal)
		return;
	while (poll(&p, 1, -1) < 0 && errno == EINTR) {
		/* The deadline timer's kick (signals.c) sets the flag. */
		if (quit_signal ||
		    __atomic_load_n(&machine->cpu.kick, __ATOMIC_ACQUIRE))
			break;
	}
	if (read(wakefd, &v, sizeof(v)) < 0) {
	}
}
