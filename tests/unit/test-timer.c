/*
 * The virtual-clock timer list (util/qemu-timer.c): ordering, re-arming
 * from callbacks, the qtest clock walk, and the main-loop source.
 *
 * Tests on the manual (qtest) clock run in this process; switching to
 * the manual clock cannot be undone, so the tests that need host time
 * run in a subprocess each.  Every test frees its timers: the list is
 * global.
 */
#include "qemu/timer.h"

#include <glib.h>

#define MS (1000 * 1000LL)

/* A callback log: which timer ran, at what time. */
typedef struct Log {
    GArray *ids;
    GArray *times;
} Log;

typedef struct Probe {
    Log *log;
    int id;
    QEMUTimer *timer;
    int rearm_left;         /* re-arm this many times, by rearm_ns each */
    int64_t rearm_ns;
    QEMUTimer *victim;      /* timer_del() this one when run */
} Probe;

static void log_init(Log *log)
{
    log->ids = g_array_new(FALSE, FALSE, sizeof(int));
    log->times = g_array_new(FALSE, FALSE, sizeof(int64_t));
}

static void log_free(Log *log)
{
    g_array_free(log->ids, TRUE);
    g_array_free(log->times, TRUE);
}

static void probe_cb(void *opaque)
{
    Probe *p = opaque;
    int64_t now = qemu_clock_get_ns();

    g_array_append_val(p->log->ids, p->id);
    g_array_append_val(p->log->times, now);
    if (p->victim) {
        timer_del(p->victim);
    }
    if (p->rearm_left > 0) {
        p->rearm_left--;
        /* the list lock is not held here, or this would deadlock */
        g_assert_false(timer_pending(p->timer));
        timer_mod(p->timer, now + p->rearm_ns);
    }
}

static Probe *probe_new(Log *log, int id)
{
    Probe *p = g_new0(Probe, 1);

    p->log = log;
    p->id = id;
    p->timer = timer_new_ns(probe_cb, p);
    return p;
}

static void probe_free(Probe *p)
{
    timer_free(p->timer);
    g_free(p);
}

static int log_id(Log *log, unsigned i)
{
    return g_array_index(log->ids, int, i);
}

static int64_t log_time(Log *log, unsigned i)
{
    return g_array_index(log->times, int64_t, i);
}

/* ---- manual clock ----------------------------------------------------- */

static void test_deadline(void)
{
    Log log;
    Probe *a, *b;
    int64_t now;

    qemu_clock_set_manual();
    log_init(&log);
    now = qemu_clock_get_ns();
    a = probe_new(&log, 1);
    b = probe_new(&log, 2);
    g_assert_cmpint(qemu_clock_deadline_ns(), ==, -1);
    g_assert_false(timer_pending(a->timer));
    g_assert_cmpint(timer_expire_time_ns(a->timer), ==, -1);

    timer_mod(a->timer, now + 100);
    g_assert_cmpint(qemu_clock_deadline_ns(), ==, 100);
    g_assert_true(timer_pending(a->timer));
    g_assert_cmpint(timer_expire_time_ns(a->timer), ==, now + 100);
    timer_mod(b->timer, now + 50);
    g_assert_cmpint(qemu_clock_deadline_ns(), ==, 50);
    /* moving a timer replaces its expiry; it is in the list once */
    timer_mod(b->timer, now + 200);
    g_assert_cmpint(qemu_clock_deadline_ns(), ==, 100);
    timer_del(a->timer);
    g_assert_false(timer_pending(a->timer));
    g_assert_cmpint(qemu_clock_deadline_ns(), ==, 200);
    timer_del(a->timer);                /* deleting twice is harmless */
    timer_del(b->timer);
    g_assert_cmpint(qemu_clock_deadline_ns(), ==, -1);

    /* an expiry in the past is due now */
    timer_mod(a->timer, now - 5);
    g_assert_cmpint(qemu_clock_deadline_ns(), ==, 0);
    qemu_clock_run_timers();
    g_assert_cmpuint(log.ids->len, ==, 1);
    g_assert_false(timer_pending(a->timer));
    probe_free(a);
    probe_free(b);
    log_free(&log);
}

/*
 * Advancing the clock runs timers in order of expiry, equal expiries in
 * the order they were armed, each with the clock at its own expiry.
 */
static void test_advance_order(void)
{
    static const struct { int id; int64_t at; } arm[] = {
        { 1, 30 }, { 2, 10 }, { 3, 20 }, { 4, 20 }, { 5, 101 },
    };
    static const int want_ids[] = { 2, 3, 4, 1 };
    static const int64_t want_at[] = { 10, 20, 20, 30 };
    Probe *p[G_N_ELEMENTS(arm)];
    Log log;
    int64_t now;

    qemu_clock_set_manual();
    log_init(&log);
    now = qemu_clock_get_ns();
    for (size_t i = 0; i < G_N_ELEMENTS(arm); i++) {
        p[i] = probe_new(&log, arm[i].id);
        timer_mod(p[i]->timer, now + arm[i].at);
    }
    g_assert_cmpint(qemu_clock_advance_to(now + 100), ==, now + 100);
    g_assert_cmpint(qemu_clock_get_ns(), ==, now + 100);
    g_assert_cmpuint(log.ids->len, ==, G_N_ELEMENTS(want_ids));
    for (unsigned i = 0; i < G_N_ELEMENTS(want_ids); i++) {
        g_assert_cmpint(log_id(&log, i), ==, want_ids[i]);
        g_assert_cmpint(log_time(&log, i), ==, now + want_at[i]);
    }
    g_assert_true(timer_pending(p[4]->timer));
    g_assert_cmpint(qemu_clock_deadline_ns(), ==, 1);
    for (size_t i = 0; i < G_N_ELEMENTS(arm); i++) {
        probe_free(p[i]);
    }
    g_assert_cmpint(qemu_clock_deadline_ns(), ==, -1);
    log_free(&log);
}

/* A callback that re-arms runs again at each new expiry within the step. */
static void test_rearm_in_callback(void)
{
    Log log;
    Probe *p;
    int64_t now;

    qemu_clock_set_manual();
    log_init(&log);
    now = qemu_clock_get_ns();
    p = probe_new(&log, 1);
    p->rearm_left = 4;
    p->rearm_ns = 10;
    timer_mod(p->timer, now + 10);
    qemu_clock_advance_to(now + 1000);
    g_assert_cmpuint(log.ids->len, ==, 5);
    for (unsigned i = 0; i < 5; i++) {
        g_assert_cmpint(log_time(&log, i), ==, now + 10 * (i + 1));
    }
    g_assert_false(timer_pending(p->timer));
    probe_free(p);
    log_free(&log);
}

/*
 * qemu_clock_run_timers() runs what is due now and nothing later; a
 * re-arm for a time already reached runs in the same call.
 */
static void test_run_due_only(void)
{
    Log log;
    Probe *due, *later;
    int64_t now;

    qemu_clock_set_manual();
    log_init(&log);
    now = qemu_clock_get_ns();
    due = probe_new(&log, 1);
    later = probe_new(&log, 2);
    due->rearm_left = 2;
    due->rearm_ns = 0;
    timer_mod(due->timer, now);
    timer_mod(later->timer, now + 1);
    qemu_clock_run_timers();
    g_assert_cmpuint(log.ids->len, ==, 3);
    g_assert_cmpint(log_id(&log, 2), ==, 1);
    g_assert_true(timer_pending(later->timer));
    g_assert_cmpint(qemu_clock_get_ns(), ==, now);
    probe_free(due);
    probe_free(later);
    log_free(&log);
}

/* A callback deleting another timer due at the same time stops it. */
static void test_delete_from_callback(void)
{
    Log log;
    Probe *killer, *victim;
    int64_t now;

    qemu_clock_set_manual();
    log_init(&log);
    now = qemu_clock_get_ns();
    killer = probe_new(&log, 1);
    victim = probe_new(&log, 2);
    killer->victim = victim->timer;
    timer_mod(killer->timer, now + 10);
    timer_mod(victim->timer, now + 10);
    qemu_clock_advance_to(now + 10);
    g_assert_cmpuint(log.ids->len, ==, 1);
    g_assert_cmpint(log_id(&log, 0), ==, 1);
    g_assert_false(timer_pending(victim->timer));
    probe_free(killer);
    probe_free(victim);
    log_free(&log);
}

/*
 * The manual clock never goes back, and asking for that runs nothing;
 * advancing to where it is runs what is due there.
 */
static void test_advance_backwards(void)
{
    Log log;
    Probe *p;
    int64_t now;

    qemu_clock_set_manual();
    log_init(&log);
    now = qemu_clock_advance_to(qemu_clock_get_ns() + 1000);
    p = probe_new(&log, 1);
    timer_mod(p->timer, now);
    g_assert_cmpint(qemu_clock_advance_to(now - 500), ==, now);
    g_assert_cmpuint(log.ids->len, ==, 0);
    g_assert_cmpint(qemu_clock_advance_to(now), ==, now);
    g_assert_cmpuint(log.ids->len, ==, 1);
    probe_free(p);
    log_free(&log);
}

/*
 * A step of a million periods of a periodic timer: the first ten
 * thousand expiries run in order, then the clock jumps to the target and
 * the timer runs once, late (a qtest fuzz input set the clock 292 years
 * ahead with the RTC's 1 Hz timer armed, and the walk never ended).
 */
static void test_advance_far(void)
{
    Log log;
    Probe *p;
    int64_t start, target;

    qemu_clock_set_manual();
    log_init(&log);
    p = probe_new(&log, 1);
    p->rearm_left = G_MAXINT;
    p->rearm_ns = MS;
    start = qemu_clock_advance_to(qemu_clock_get_ns() + 1000);
    timer_mod(p->timer, start + MS);
    target = start + 1000000 * MS;
    g_assert_cmpint(qemu_clock_advance_to(target), ==, target);
    g_assert_cmpuint(log.ids->len, ==, 10001);
    g_assert_cmpint(log_time(&log, 9999), ==, start + 10000 * MS);
    g_assert_cmpint(log_time(&log, 10000), ==, target);
    g_assert_cmpint(timer_expire_time_ns(p->timer), ==, target + MS);
    probe_free(p);
    log_free(&log);
}

/*
 * The clock stops at QEMU_CLOCK_MAX_NS however far it is asked to go, so
 * "now + delay" still fits (a qtest fuzz input stepped it to INT64_MAX
 * and the UART's receive timeout overflowed).  Run last: the manual
 * clock never goes back.
 */
static void test_advance_ceiling(void)
{
    Log log;
    Probe *p;
    int64_t now;

    qemu_clock_set_manual();
    log_init(&log);
    p = probe_new(&log, 1);
    timer_mod(p->timer, QEMU_CLOCK_MAX_NS - 1);
    now = qemu_clock_advance_to(G_MAXINT64);
    g_assert_cmpint(now, ==, QEMU_CLOCK_MAX_NS);
    g_assert_cmpint(qemu_clock_get_ns(), ==, QEMU_CLOCK_MAX_NS);
    g_assert_cmpuint(log.ids->len, ==, 1);
    g_assert_cmpint(qemu_clock_advance_to(G_MAXINT64), ==, QEMU_CLOCK_MAX_NS);
    probe_free(p);
    log_free(&log);
}

/*
 * On the manual clock the main-loop source never sleeps towards a
 * deadline (only qtest moves the clock) but runs timers already due.
 */
static void test_source_manual(void)
{
    GSource *src = qemu_timer_source_new();
    Log log;
    Probe *p;
    int64_t now;

    qemu_clock_set_manual();
    log_init(&log);
    g_source_attach(src, NULL);
    now = qemu_clock_get_ns();
    p = probe_new(&log, 1);
    timer_mod(p->timer, now + 10);
    g_assert_false(g_main_context_iteration(NULL, FALSE));
    g_assert_cmpuint(log.ids->len, ==, 0);
    timer_mod(p->timer, now);
    while (g_main_context_iteration(NULL, FALSE)) {
    }
    g_assert_cmpuint(log.ids->len, ==, 1);
    g_source_destroy(src);
    g_source_unref(src);
    probe_free(p);
    log_free(&log);
}

/* ---- host clock, in subprocesses ----------------------------------------- */

typedef struct LoopProbe {
    GMainLoop *loop;
    QEMUTimer *timer;
    GThread *main_thread;
    int64_t armed_for;
    int64_t ran_at;
    int64_t delay_ns;       /* for the arming thread */
} LoopProbe;

static void loop_probe_cb(void *opaque)
{
    LoopProbe *lp = opaque;

    lp->ran_at = qemu_clock_get_ns();
    g_assert_true(g_thread_self() == lp->main_thread);
    g_main_loop_quit(lp->loop);
}

static gboolean watchdog(gpointer data)
{
    g_error("the timer did not run within 5 s");
    return G_SOURCE_REMOVE;
}

static void loop_probe_run(LoopProbe *lp)
{
    GSource *src = qemu_timer_source_new();
    guint dog = g_timeout_add_seconds(5, watchdog, NULL);

    g_source_attach(src, NULL);
    g_main_loop_run(lp->loop);
    g_source_remove(dog);
    g_source_destroy(src);
    g_source_unref(src);
}

/* Under host time the main loop sleeps until the deadline, not past it. */
static void test_source_host_clock(void)
{
    LoopProbe lp = { .loop = g_main_loop_new(NULL, FALSE),
                     .main_thread = g_thread_self() };

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        g_main_loop_unref(lp.loop);
        return;
    }
    lp.timer = timer_new_ns(loop_probe_cb, &lp);
    lp.armed_for = qemu_clock_get_ns() + 20 * MS;
    timer_mod(lp.timer, lp.armed_for);
    loop_probe_run(&lp);
    g_assert_cmpint(lp.ran_at, >=, lp.armed_for);
    g_assert_cmpint(lp.ran_at, <, lp.armed_for + 2000 * MS);
    timer_free(lp.timer);
    g_main_loop_unref(lp.loop);
}

static gpointer arm_later(gpointer data)
{
    LoopProbe *lp = data;

    g_usleep(lp->delay_ns / 1000);
    lp->armed_for = qemu_clock_get_ns() + MS;
    timer_mod(lp->timer, lp->armed_for);
    return NULL;
}

/*
 * Arming a timer from another thread wakes a main loop that was sleeping
 * with no deadline at all; the callback runs on the main thread.
 */
static void test_source_cross_thread(void)
{
    LoopProbe lp = { .loop = g_main_loop_new(NULL, FALSE),
                     .main_thread = g_thread_self(), .delay_ns = 50 * MS };
    GThread *t;

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        g_main_loop_unref(lp.loop);
        return;
    }
    lp.timer = timer_new_ns(loop_probe_cb, &lp);
    t = g_thread_new("arm", arm_later, &lp);
    loop_probe_run(&lp);
    g_thread_join(t);
    g_assert_cmpint(lp.ran_at, >=, lp.armed_for);
    timer_free(lp.timer);
    g_main_loop_unref(lp.loop);
}

#define STRESS_THREADS 4
#define STRESS_OPS     20000

typedef struct Stress {
    QEMUTimer *timers[STRESS_THREADS];
    gint fired;
} Stress;

static void stress_cb(void *opaque)
{
    g_atomic_int_inc((gint *)opaque);
}

static Stress stress;
static gint stress_index;
static gint stress_done;

static gpointer stress_thread(gpointer data)
{
    int i = g_atomic_int_add(&stress_index, 1);
    QEMUTimer *t = stress.timers[i];
    GRand *rand = g_rand_new_with_seed(i);

    for (int n = 0; n < STRESS_OPS; n++) {
        if (g_rand_boolean(rand)) {
            timer_mod(t, qemu_clock_get_ns() + g_rand_int_range(rand, 0, 1000));
        } else {
            timer_del(t);
        }
    }
    timer_del(t);
    g_rand_free(rand);
    g_atomic_int_inc(&stress_done);
    return NULL;
}

/* Threads arming and deleting while the list runs: nothing is lost or kept. */
static void test_concurrent(void)
{
    GThread *threads[STRESS_THREADS];

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_DEFAULT);
        g_test_trap_assert_passed();
        return;
    }
    for (int i = 0; i < STRESS_THREADS; i++) {
        stress.timers[i] = timer_new_ns(stress_cb, &stress.fired);
    }
    for (int i = 0; i < STRESS_THREADS; i++) {
        threads[i] = g_thread_new("stress", stress_thread, NULL);
    }
    while (g_atomic_int_get(&stress_done) < STRESS_THREADS) {
        qemu_clock_run_timers();
    }
    for (int i = 0; i < STRESS_THREADS; i++) {
        g_thread_join(threads[i]);
    }
    qemu_clock_run_timers();
    g_assert_cmpint(qemu_clock_deadline_ns(), ==, -1);
    for (int i = 0; i < STRESS_THREADS; i++) {
        g_assert_false(timer_pending(stress.timers[i]));
        timer_free(stress.timers[i]);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    /* each host-clock test runs in a subprocess of its own */
    g_test_add_func("/timer/host/source", test_source_host_clock);
    g_test_add_func("/timer/host/source-cross-thread",
                    test_source_cross_thread);
    g_test_add_func("/timer/host/concurrent", test_concurrent);
    g_test_add_func("/timer/manual/deadline", test_deadline);
    g_test_add_func("/timer/manual/advance-order", test_advance_order);
    g_test_add_func("/timer/manual/rearm-in-callback", test_rearm_in_callback);
    g_test_add_func("/timer/manual/run-due-only", test_run_due_only);
    g_test_add_func("/timer/manual/delete-from-callback",
                    test_delete_from_callback);
    g_test_add_func("/timer/manual/advance-backwards", test_advance_backwards);
    g_test_add_func("/timer/manual/source", test_source_manual);
    g_test_add_func("/timer/manual/advance-far", test_advance_far);
    g_test_add_func("/timer/manual/advance-ceiling", test_advance_ceiling);
    return g_test_run();
}
