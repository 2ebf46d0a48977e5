/*
 * The virtual clock devices read: host monotonic time under KVM; under
 * qtest the test owns it and moves it with clock_step/clock_set.
 */
#ifndef QEMU_TIMER_H
#define QEMU_TIMER_H

#include <stdbool.h>
#include <stdint.h>

int64_t qemu_clock_get_ns(void);
/* qtest: from now on the clock only moves by qemu_clock_advance_to(). */
void qemu_clock_set_manual(void);
/* Move a manual clock forward to ns (never back); returns the new value. */
int64_t qemu_clock_advance_to(int64_t ns);

#endif
