/*
 * Error reporting, worded like QEMU's: "PROG: [LOCATION: ]message".
 *
 * Errors travel as GError (error_setg) up to one reporting point that
 * prints them with error_report_err().  LOCATION is the command-line
 * option being processed, if any (see loc_set_option()).
 */
#ifndef QEMU_ERROR_REPORT_H
#define QEMU_ERROR_REPORT_H

#include <glib.h>
#include <stdbool.h>

#define QKVM_ERROR qkvm_error_quark()
GQuark qkvm_error_quark(void);

/* Set *errp (if errp is non-NULL and *errp is unset) to a new error. */
#define error_setg(errp, ...) \
    g_set_error((errp), QKVM_ERROR, 0, __VA_ARGS__)
/* Like error_setg(), with ": strerror(os_errno)" appended. */
void error_setg_errno(GError **errp, int os_errno, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
/* Prefix an existing error's message with "fmt... ". */
void error_prepend(GError **errp, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

void error_set_progname(const char *argv0);
const char *error_get_progname(void);
/* The option being processed ("-m foo"); NULL to clear. */
void loc_set_option(const char *opt, const char *arg);
/* -msg timestamp=on */
void error_set_timestamps(bool on);

void error_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void warn_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
void info_report(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Print err's message as error_report() would, then free it. */
void error_report_err(GError *err);
void warn_report_err(GError *err);

#endif
