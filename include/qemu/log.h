/*
 * Debug logging: -d LIST selects classes, -D FILE redirects them.
 */
#ifndef QEMU_LOG_H
#define QEMU_LOG_H

#include <glib.h>
#include <stdbool.h>

enum {
    LOG_GUEST_ERROR = 1 << 0,   /* guest did something invalid */
    LOG_UNIMP       = 1 << 1,   /* access to something not implemented */
    LOG_INT         = 1 << 2,   /* interrupts and exits */
    LOG_CPU_RESET   = 1 << 3,   /* register state at reset */
    LOG_STRACE      = 1 << 4,   /* user mode: system calls */
};

extern int qemu_loglevel;

static inline bool qemu_loglevel_mask(int mask)
{
    return (qemu_loglevel & mask) != 0;
}

/*
 * What a guest can trigger at will (bad registers, unclaimed addresses) is
 * rate-limited: at most QEMU_LOG_GUEST_RATE lines a second, then one line
 * saying how many were dropped.
 */
#define LOG_GUEST_TRIGGERED  (LOG_GUEST_ERROR | LOG_UNIMP)
#define QEMU_LOG_GUEST_RATE  100

void qemu_log(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void qemu_log_guest(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
#define qemu_log_mask(mask, ...) do {           \
        if (G_UNLIKELY(qemu_loglevel_mask(mask))) { \
            if ((mask) & LOG_GUEST_TRIGGERED) {     \
                qemu_log_guest(__VA_ARGS__);        \
            } else {                                \
                qemu_log(__VA_ARGS__);              \
            }                                       \
        }                                       \
    } while (0)

/* Parse "-d guest_errors,unimp"; false with *errp on an unknown item. */
bool qemu_set_log_list(const char *list, GError **errp);
/* Print the -d items with their help text. */
void qemu_print_log_usage(void);
bool qemu_set_log_filename(const char *filename, GError **errp);

#endif
