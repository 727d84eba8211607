/*
 * timer.h - host-time timers for devices.
 *
 * Time is CLOCK_MONOTONIC in nanoseconds. A device arms a timer for an
 * absolute deadline; when it passes, the I/O thread kicks the vCPU and the
 * monitor loop calls the timer's callback on the vCPU thread (so callbacks
 * may touch device state freely). Arming and cancelling happen on the vCPU
 * thread only.
 */
#ifndef BT386_MONITOR_TIMER_H
#define BT386_MONITOR_TIMER_H

#include <stdbool.h>
#include <stdint.h>

struct mon_timer;
typedef void (*mon_timer_fn)(void *opaque, uint64_t now_ns);

struct mon_timer {
	uint64_t deadline_ns;
	mon_timer_fn fire;
	void *opaque;
	const char *name;
	bool armed;
	struct mon_timer *next; /* in the armed list, sorted by deadline */
};

uint64_t mon_now_ns(void);

void mon_timer_init(struct mon_timer *t, const char *name, mon_timer_fn fire,
		    void *opaque);
/* Arm (or re-arm) for an absolute CLOCK_MONOTONIC deadline. */
void mon_timer_arm(struct mon_timer *t, uint64_t deadline_ns);
void mon_timer_cancel(struct mon_timer *t);

/* Monitor loop: run every expired timer; returns the next deadline or 0. */
uint64_t mon_timers_run(uint64_t now_ns);
/* The earliest armed deadline, or 0 if none. */
uint64_t mon_timers_next(void);
/* Called when the earliest deadline changes (the I/O thread re-arms). */
void mon_timers_set_notify(void (*fn)(uint64_t deadline_ns));

/*
 * Tests: make mon_now_ns() return `now_ns` (and later values set here)
 * instead of CLOCK_MONOTONIC, so time-driven devices can be tested without
 * sleeping; mon_clock_use_real() goes back to the host clock.
 */
void mon_clock_set_fake(uint64_t now_ns);
void mon_clock_use_real(void);
/* Tests: disarm every timer (between test cases that reuse the list). */
void mon_timers_reset(void);

#endif
