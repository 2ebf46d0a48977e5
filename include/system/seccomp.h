/*
 * -sandbox: a seccomp allow-list installed once start-up is done.
 */
#ifndef SYSTEM_SECCOMP_H
#define SYSTEM_SECCOMP_H

#include <glib.h>
#include <stdbool.h>

/* Which groups of system calls -sandbox lets through (QEMU's names). */
typedef struct SandboxConfig {
    bool enabled;
    bool obsolete;          /* obsolete=allow */
    bool elevate_privileges;/* elevateprivileges=allow */
    bool spawn;             /* spawn=allow: fork, vfork, execve */
    bool resource_control;  /* resourcecontrol=allow: scheduler, priority */
} SandboxConfig;

/* Parse a -sandbox argument ("on[,obsolete=deny,...]" or "off"). */
bool sandbox_parse(const char *arg, SandboxConfig *cfg, GError **errp);

/* Whether this binary was built with libseccomp. */
bool sandbox_supported(void);

/*
 * Install the filter on every thread of the process (TSYNC).  Any system
 * call not on the list kills the process (SIGSYS); denied resource-control
 * calls fail with EPERM instead.
 */
bool sandbox_install(const SandboxConfig *cfg, GError **errp);

/*
 * Whether the command line asked for -sandbox on (known once options are
 * parsed, before any device or backend is made: what start-up sets up
 * must not need calls the filter will forbid).
 */
bool sandbox_requested(void);

/* Whether sandbox_install() succeeded in this process. */
bool sandbox_active(void);

#endif
