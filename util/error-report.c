/*
 * Error reporting in QEMU's wording.
 */
#include "qemu/error-report.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK(qkvm-error-quark, qkvm_error)

static const char *progname = "qkvm";
static char *cur_loc;
static bool timestamps;

void error_set_progname(const char *argv0)
{
    const char *slash = strrchr(argv0, '/');
    progname = slash ? slash + 1 : argv0;
}

const char *error_get_progname(void)
{
    return progname;
}

void loc_set_option(const char *opt, const char *arg)
{
    g_free(cur_loc);
    cur_loc = NULL;
    if (opt) {
        cur_loc = arg ? g_strdup_printf("%s %s", opt, arg) : g_strdup(opt);
    }
}

void error_set_timestamps(bool on)
{
    timestamps = on;
}

void error_setg_errno(GError **errp, int os_errno, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error(errp, QKVM_ERROR, 0, "%s: %s", msg, g_strerror(os_errno));
}

void error_prepend(GError **errp, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *pre = NULL;

    if (!errp || !*errp) {
        return;
    }
    va_start(ap, fmt);
    pre = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_prefix_error(errp, "%s", pre);
}

static void vreport(const char *kind, const char *fmt, va_list ap)
{
    if (timestamps) {
        g_autoptr(GDateTime) now = g_date_time_new_now_utc();
        g_autofree char *ts = g_date_time_format_iso8601(now);
        fprintf(stderr, "%s ", ts);
    }
    fprintf(stderr, "%s: ", progname);
    if (cur_loc) {
        fprintf(stderr, "%s: ", cur_loc);
    }
    fputs(kind, stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

void error_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("", fmt, ap);
    va_end(ap);
}

void warn_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("warning: ", fmt, ap);
    va_end(ap);
}

void info_report(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport("info: ", fmt, ap);
    va_end(ap);
}

void error_report_err(GError *err)
{
    error_report("%s", err->message);
    g_error_free(err);
}

void warn_report_err(GError *err)
{
    warn_report("%s", err->message);
    g_error_free(err);
}
