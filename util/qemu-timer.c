/*
 * The virtual clock.
 */
#include "qemu/timer.h"

#include <glib.h>

static bool manual;
static int64_t manual_ns;
static int64_t start_ns = -1;

int64_t qemu_clock_get_ns(void)
{
    int64_t now;

    if (__atomic_load_n(&manual, __ATOMIC_ACQUIRE)) {
        return __atomic_load_n(&manual_ns, __ATOMIC_ACQUIRE);
    }
    now = g_get_monotonic_time() * 1000;
    if (start_ns < 0) {
        start_ns = now;     /* the clock starts at 0 with the process */
    }
    return now - start_ns;
}

void qemu_clock_set_manual(void)
{
    __atomic_store_n(&manual, true, __ATOMIC_RELEASE);
}

int64_t qemu_clock_advance_to(int64_t ns)
{
    if (ns > manual_ns) {
        __atomic_store_n(&manual_ns, ns, __ATOMIC_RELEASE);
    }
    return manual_ns;
}
