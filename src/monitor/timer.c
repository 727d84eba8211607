/*
 * timer.c - host-time timers for devices (the mon_timer API).
 *
 * Armed timers sit in one singly-linked list sorted by deadline (ties keep
 * arming order), so the earliest deadline is the head. There are only a
 * handful of timers (PIT, RTC, UART timeout), so insertion is a short walk.
 *
 * The list belongs to the vCPU thread: arm, cancel and run are called only
 * there. Whenever the earliest deadline changes the notify hook is called
 * with the new one (0 = nothing armed) so that the I/O thread can re-arm its
 * timerfd; while mon_timers_run() is firing callbacks the hook is held back
 * and called once at the end.
 *
 * Time is CLOCK_MONOTONIC, or a fake clock set by unit tests.
 */
#include <time.h>

#include "monitor/timer.h"

static struct mon_timer *armed_list;
static void (*notify_fn)(uint64_t deadline_ns);
static uint64_t notified_deadline;
static bool running;

static bool fake_clock;
static uint64_t fake_now;

uint64_t mon_now_ns(void)
{
	struct timespec ts;

	if (fake_clock)
		return fake_now;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void mon_clock_set_fake(uint64_t now_ns)
{
	fake_clock = true;
	fake_now = now_ns;
}

void mon_clock_use_real(void)
{
	fake_clock = false;
}

uint64_t mon_timers_next(void)
{
	return armed_list ? armed_list->deadline_ns : 0;
}

static void maybe_notify(void)
{
	uint64_t next = mon_timers_next();

	if (running || next == notified_deadline)
		return;
	notified_deadline = next;
	if (notify_fn)
		notify_fn(next);
}

void mon_timers_set_notify(void (*fn)(uint64_t deadline_ns))
{
	notify_fn = fn;
	notified_deadline = 0;
	maybe_notify();
}

void mon_timer_init(struct mon_timer *t, const char *name, mon_timer_fn fire,
		    void *opaque)
{
	*t = (struct mon_timer){
		.fire = fire,
		.opaque = opaque,
		.name = name,
	};
}

static void unlink_timer(struct mon_timer *t)
{
	for (struct mon_timer **pp = &armed_list; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	t->next = NULL;
	t->armed = false;
}

void mon_timer_arm(struct mon_timer *t, uint64_t deadline_ns)
{
	struct mon_timer **pp = &armed_list;

	if (t->armed)
		unlink_timer(t);
	while (*pp && (*pp)->deadline_ns <= deadline_ns)
		pp = &(*pp)->next;
	t->deadline_ns = deadline_ns;
	t->next = *pp;
	t->armed = true;
	*pp = t;
	maybe_notify();
}

void mon_timer_cancel(struct mon_timer *t)
{
	if (!t->armed)
		return;
	unlink_timer(t);
	maybe_notify();
}

/*
 * A callback that re-arms its timer in the past would make this loop spin;
 * the bound turns such a bug into a late timer instead of a hang.
 */
#define MAX_FIRES_PER_RUN 1024

uint64_t mon_timers_run(uint64_t now_ns)
{
	unsigned fired = 0;

	running = true;
	while (armed_list && armed_list->deadline_ns <= now_ns &&
	       fired++ < MAX_FIRES_PER_RUN) {
		struct mon_timer *t = armed_list;
		armed_list = t->next;
		t->next = NULL;
		t->armed = false;
		t->fire(t->opaque, now_ns);
	}
	running = false;
	maybe_notify();
	return mon_timers_next();
}

void mon_timers_reset(void)
{
	while (armed_list)
		unlink_timer(armed_list);
	maybe_notify();
}
