/*
 * The virtual clock and its timers.
 *
 * Armed timers sit in one list sorted by expiry (equal expiries in the
 * order they were armed), guarded by one mutex.  A VMM has a handful of
 * timers, so a sorted list is as fast as anything cleverer and easier
 * to trust.  The lock is never held while a callback runs: callbacks
 * take device locks, and devices call timer_mod() with theirs held.
 */
#include "qemu/timer.h"

#include <limits.h>
#include <time.h>

struct QEMUTimer {
    void (*cb)(void *opaque);
    void *opaque;
    int64_t expire_ns;          /* valid while armed */
    bool armed;
    QEMUTimer *next;            /* in active_timers while armed */
};

static GMutex timer_lock;           /* a static GMutex needs no init */
static QEMUTimer *active_timers;    /* armed, earliest first */

static bool manual;
static int64_t manual_ns;
static int64_t start_ns;

static int64_t host_monotonic_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

/* Before main(), so that no thread can see the clock start twice. */
static void __attribute__((constructor)) clock_start(void)
{
    start_ns = host_monotonic_ns();
}

int64_t qemu_clock_get_ns(void)
{
    if (__atomic_load_n(&manual, __ATOMIC_ACQUIRE)) {
        return __atomic_load_n(&manual_ns, __ATOMIC_ACQUIRE);
    }
    return host_monotonic_ns() - __atomic_load_n(&start_ns, __ATOMIC_ACQUIRE);
}

void qemu_clock_set_ns(int64_t ns)
{
    if (__atomic_load_n(&manual, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&manual_ns, ns, __ATOMIC_RELEASE);
    } else {
        __atomic_store_n(&start_ns, host_monotonic_ns() - ns, __ATOMIC_RELEASE);
    }
}

void qemu_clock_set_manual(void)
{
    __atomic_store_n(&manual, true, __ATOMIC_RELEASE);
}

/* ---- the timer list (timer_lock held) -------------------------------- */

static void list_remove(QEMUTimer *t)
{
    QEMUTimer **p = &active_timers;

    while (*p != t) {
        p = &(*p)->next;
    }
    *p = t->next;
    t->next = NULL;
    t->armed = false;
}

static void list_insert(QEMUTimer *t, int64_t expire_ns)
{
    QEMUTimer **p = &active_timers;

    while (*p && (*p)->expire_ns <= expire_ns) {
        p = &(*p)->next;
    }
    t->expire_ns = expire_ns;
    t->armed = true;
    t->next = *p;
    *p = t;
}

/* -1 when nothing is armed (expiries are never negative) */
static int64_t list_first_expiry(void)
{
    return active_timers ? active_timers->expire_ns : -1;
}

/* ---- timers ------------------------------------------------------------- */

QEMUTimer *timer_new_ns(void (*cb)(void *opaque), void *opaque)
{
    QEMUTimer *t = g_new0(QEMUTimer, 1);

    t->cb = cb;
    t->opaque = opaque;
    return t;
}

void timer_mod(QEMUTimer *t, int64_t expire_ns)
{
    int64_t before;
    bool earlier;

    expire_ns = MAX(expire_ns, 0);      /* the clock starts at 0 */
    g_mutex_lock(&timer_lock);
    before = list_first_expiry();
    if (t->armed) {
        list_remove(t);
    }
    list_insert(t, expire_ns);
    earlier = before < 0 || expire_ns < before;
    g_mutex_unlock(&timer_lock);
    /*
     * The main loop sleeps until the deadline it saw last; only a new,
     * earlier one needs to wake it (a later one just costs it a wake-up
     * with nothing to do).
     */
    if (earlier) {
        g_main_context_wakeup(NULL);
    }
}

void timer_del(QEMUTimer *t)
{
    g_mutex_lock(&timer_lock);
    if (t->armed) {
        list_remove(t);
    }
    g_mutex_unlock(&timer_lock);
}

void timer_free(QEMUTimer *t)
{
    if (t) {
        timer_del(t);
        g_free(t);
    }
}

bool timer_pending(QEMUTimer *t)
{
    bool armed;

    g_mutex_lock(&timer_lock);
    armed = t->armed;
    g_mutex_unlock(&timer_lock);
    return armed;
}

int64_t timer_expire_time_ns(QEMUTimer *t)
{
    int64_t expire;

    g_mutex_lock(&timer_lock);
    expire = t->armed ? t->expire_ns : -1;
    g_mutex_unlock(&timer_lock);
    return expire;
}

int64_t qemu_clock_deadline_ns(void)
{
    int64_t now = qemu_clock_get_ns();
    int64_t first;

    g_mutex_lock(&timer_lock);
    first = list_first_expiry();
    g_mutex_unlock(&timer_lock);
    if (first < 0) {
        return -1;
    }
    return first > now ? first - now : 0;
}

/*
 * Disarm the earliest timer if it is due at now and return what to call;
 * false when none is.
 */
static bool pop_expired(int64_t now, void (**cb)(void *), void **opaque)
{
    QEMUTimer *t;

    g_mutex_lock(&timer_lock);
    t = active_timers;
    if (t && t->expire_ns <= now) {
        list_remove(t);
        *cb = t->cb;
        *opaque = t->opaque;
    } else {
        t = NULL;
    }
    g_mutex_unlock(&timer_lock);
    return t != NULL;
}

void qemu_clock_run_timers(void)
{
    /*
     * One reading of the clock: a callback that re-arms for an expiry
     * already past runs again, but time moving on while callbacks run
     * cannot keep this loop going.
     */
    int64_t now = qemu_clock_get_ns();
    void (*cb)(void *);
    void *opaque;

    while (pop_expired(now, &cb, &opaque)) {
        cb(opaque);
    }
}

/*
 * Timer expiries run one by one on the way: enough for any step a test
 * makes with a periodic timer armed (the RTC ticks every second: 2.7
 * hours), while a step of years would run it billions of times.  Past
 * this many, the clock goes straight to the target and what is due runs
 * once, late, as after a long host stall (devices drop the lost ticks).
 */
#define ADVANCE_MAX_EXPIRIES 10000

int64_t qemu_clock_advance_to(int64_t ns)
{
    unsigned walked = 0;

    ns = MIN(ns, QEMU_CLOCK_MAX_NS);
    for (;;) {
        int64_t now = __atomic_load_n(&manual_ns, __ATOMIC_ACQUIRE);
        int64_t next;

        g_mutex_lock(&timer_lock);
        next = list_first_expiry();
        g_mutex_unlock(&timer_lock);
        if (next < 0 || next > ns || walked++ == ADVANCE_MAX_EXPIRIES) {
            break;
        }
        /* each timer runs with the clock at its own expiry */
        if (next > now) {
            __atomic_store_n(&manual_ns, next, __ATOMIC_RELEASE);
        }
        qemu_clock_run_timers();
    }
    if (ns > manual_ns) {
        __atomic_store_n(&manual_ns, ns, __ATOMIC_RELEASE);
    }
    if (walked > ADVANCE_MAX_EXPIRIES) {
        qemu_clock_run_timers();
    }
    return manual_ns;
}

/* ---- the main-loop source -------------------------------------------- */

static gboolean timer_source_prepare(GSource *source, gint *timeout)
{
    int64_t d = qemu_clock_deadline_ns();

    if (d == 0) {
        *timeout = 0;
        return TRUE;
    }
    if (d < 0 || __atomic_load_n(&manual, __ATOMIC_ACQUIRE)) {
        /* nothing armed, or a clock that only qtest commands move */
        *timeout = -1;
        return FALSE;
    }
    /* round up: waking before the deadline would only spin */
    d = (d + 999999) / 1000000;
    *timeout = d > INT_MAX ? INT_MAX : (gint)d;
    return FALSE;
}

static gboolean timer_source_check(GSource *source)
{
    return qemu_clock_deadline_ns() == 0;
}

static gboolean timer_source_dispatch(GSource *source, GSourceFunc callback,
                                      gpointer user_data)
{
    qemu_clock_run_timers();
    return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_source_funcs = {
    .prepare = timer_source_prepare,
    .check = timer_source_check,
    .dispatch = timer_source_dispatch,
};

GSource *qemu_timer_source_new(void)
{
    GSource *source = g_source_new(&timer_source_funcs, sizeof(GSource));

    g_source_set_name(source, "qemu-timers");
    return source;
}
