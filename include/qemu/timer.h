/*
 * The virtual clock devices read, and timers on it.
 *
 * The clock is host monotonic time (0 when the process started) under
 * KVM; under qtest the test owns it and moves it with clock_step and
 * clock_set.  A timer calls its callback once the clock reaches the
 * expiry it was armed with; it is then disarmed (a periodic device
 * re-arms it from the callback).
 *
 * Any thread may arm, move or disarm a timer.  Callbacks run on the
 * thread that runs the timer list (the main loop, through
 * qemu_timer_source_new(); the qtest clock commands), without the
 * timer list lock: a callback may take its device's lock and re-arm.
 * Because a callback can already be on its way when another thread
 * disarms or moves its timer, a callback checks its device state (and
 * timer_pending()) under the device lock before acting.
 */
#ifndef QEMU_TIMER_H
#define QEMU_TIMER_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#define NANOSECONDS_PER_SECOND 1000000000LL

typedef struct QEMUTimer QEMUTimer;

int64_t qemu_clock_get_ns(void);
/*
 * Incoming migration: the clock goes on from ns, the value it had when
 * the state was saved (armed timers keep their expiries: re-arm them).
 */
void qemu_clock_set_ns(int64_t ns);
/*
 * The virtual clock never passes this (73 years of uptime): an expiry
 * computed as "now + delay" by a device cannot overflow, nor can the
 * RTC's date (at most 146 years after 1970) plus the clock.  Only qtest
 * and an incoming migration stream could ask for more; the one
 * saturates, the other is refused.
 */
#define QEMU_CLOCK_MAX_NS   (INT64_MAX / 4)

/* qtest: from now on the clock only moves by qemu_clock_advance_to(). */
void qemu_clock_set_manual(void);
/*
 * Move a manual clock forward to ns (never back, nor past
 * QEMU_CLOCK_MAX_NS), stopping at each timer
 * expiry on the way to run the timers due then, in order of expiry.
 * Returns the new clock value.
 */
int64_t qemu_clock_advance_to(int64_t ns);

QEMUTimer *timer_new_ns(void (*cb)(void *opaque), void *opaque);
/* Arm (or move) t to call its callback at expire_ns on the virtual clock. */
void timer_mod(QEMUTimer *t, int64_t expire_ns);
void timer_del(QEMUTimer *t);
/* Disarms t and frees it; its callback must not be running. */
void timer_free(QEMUTimer *t);
bool timer_pending(QEMUTimer *t);
/* The expiry t is armed with, -1 if it is not armed. */
int64_t timer_expire_time_ns(QEMUTimer *t);

/* ns from now to the earliest armed timer (0 if overdue), -1 if none. */
int64_t qemu_clock_deadline_ns(void);
/* Run every timer whose expiry is not after the clock as it is now. */
void qemu_clock_run_timers(void);
/*
 * A GSource that runs the timers on the main loop it is attached to:
 * its poll timeout is the time to the next deadline (rounded up to
 * whole milliseconds), and arming an earlier timer from another thread
 * wakes the default main context.  Attach it to the default context.
 */
GSource *qemu_timer_source_new(void);

#endif
