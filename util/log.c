/*
 * -d / -D debug logging.
 */
#include "qemu/log.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int qemu_loglevel;
static FILE *logfile;
static GMutex log_lock;

static const struct {
    const char *name;
    int mask;
    const char *help;
} log_items[] = {
    { "guest_errors", LOG_GUEST_ERROR, "log when the guest accesses invalid registers or sizes" },
    { "unimp", LOG_UNIMP, "log unclaimed port and MMIO accesses" },
    { "int", LOG_INT, "log interrupts and vCPU exits" },
    { "cpu_reset", LOG_CPU_RESET, "log vCPU register state at reset" },
    { "strace", LOG_STRACE, "user mode: log system calls" },
};

void qemu_log(const char *fmt, ...)
{
    va_list ap;

    g_mutex_lock(&log_lock);
    va_start(ap, fmt);
    vfprintf(logfile ? logfile : stderr, fmt, ap);
    va_end(ap);
    g_mutex_unlock(&log_lock);
}

/* The current one-second window of guest-triggered lines. */
static gint64 guest_window_start;
static unsigned guest_lines, guest_dropped;

/* The count dropped in the window that ends now, if any; log_lock held. */
static void report_dropped(FILE *f)
{
    if (guest_dropped) {
        fprintf(f, "%u guest-triggered log messages suppressed\n",
                guest_dropped);
        guest_dropped = 0;
    }
}

/*
 * At exit, the count dropped in the last window: without it the log
 * would lose how many messages a guest triggered at the end of its run
 * (the RISC-V hostile-guest test accounts for every one of its calls).
 */
static void guest_log_flush(void)
{
    g_mutex_lock(&log_lock);
    report_dropped(logfile ? logfile : stderr);
    g_mutex_unlock(&log_lock);
}

void qemu_log_guest(const char *fmt, ...)
{
    FILE *f;
    va_list ap;
    gint64 now = g_get_monotonic_time();

    g_mutex_lock(&log_lock);
    f = logfile ? logfile : stderr;
    if (now - guest_window_start >= G_USEC_PER_SEC) {
        report_dropped(f);
        guest_window_start = now;
        guest_lines = 0;
    }
    if (guest_lines < QEMU_LOG_GUEST_RATE) {
        guest_lines++;
        va_start(ap, fmt);
        vfprintf(f, fmt, ap);
        va_end(ap);
    } else {
        static bool flush_registered;

        if (!flush_registered) {
            flush_registered = true;
            atexit(guest_log_flush);
        }
        guest_dropped++;
    }
    g_mutex_unlock(&log_lock);
}

bool qemu_set_log_list(const char *list, GError **errp)
{
    g_auto(GStrv) items = g_strsplit(list, ",", -1);
    int mask = 0;

    for (char **it = items; *it; it++) {
        size_t i;
        if (!**it) {
            continue;
        }
        if (strcmp(*it, "all") == 0) {
            mask = ~0;
            continue;
        }
        for (i = 0; i < G_N_ELEMENTS(log_items); i++) {
            if (strcmp(*it, log_items[i].name) == 0) {
                mask |= log_items[i].mask;
                break;
            }
        }
        if (i == G_N_ELEMENTS(log_items)) {
            error_setg(errp, "Invalid -d option \"%s\"", *it);
            return false;
        }
    }
    qemu_loglevel = mask;
    return true;
}

void qemu_print_log_usage(void)
{
    printf("Log items (comma separated):\n");
    for (size_t i = 0; i < G_N_ELEMENTS(log_items); i++) {
        printf("%-15s %s\n", log_items[i].name, log_items[i].help);
    }
}

bool qemu_set_log_filename(const char *filename, GError **errp)
{
    FILE *f = fopen(filename, "a");

    if (!f) {
        error_setg_errno(errp, errno, "could not open log file '%s'",
                         filename);
        return false;
    }
    setvbuf(f, NULL, _IOLBF, 0);
    if (logfile) {
        fclose(logfile);
    }
    logfile = f;
    return true;
}
