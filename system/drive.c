/*
 * -drive: parse the option list once and dispatch on if=.  QEMU's
 * default interface for the pc machine is ide; we have no IDE, so a
 * -drive without if= is refused like any interface nobody registered.
 */
#include "system/drive.h"
#include "qemu/error-report.h"

#include <string.h>

static GPtrArray *interfaces;

void drive_interface_register(const DriveInterface *di)
{
    if (!interfaces) {
        interfaces = g_ptr_array_new();
    }
    g_ptr_array_add(interfaces, (gpointer)di);
}

static const DriveInterface *interface_of(QemuOpts *opts, GError **errp)
{
    const char *ifname = qemu_opt_get(opts, "if");
    g_autoptr(GString) names = g_string_new(NULL);

    if (!ifname) {
        ifname = "ide";         /* QEMU's default for pc */
    }
    for (guint i = 0; interfaces && i < interfaces->len; i++) {
        const DriveInterface *di = g_ptr_array_index(interfaces, i);
        if (strcmp(di->name, ifname) == 0) {
            return di;
        }
        g_string_append_printf(names, "%s%s", i ? ", " : "", di->name);
    }
    error_setg(errp, "Drive interface '%s' is not supported (qkvm has: %s)",
               ifname, names->str);
    return NULL;
}

bool drive_add(const char *arg, bool *later, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, NULL, errp);
    const DriveInterface *di = opts ? interface_of(opts, errp) : NULL;

    if (!di) {
        return false;
    }
    *later = di->create != NULL;
    if (!di->add) {
        return true;
    }
    return di->add(opts, errp) && qemu_opts_check_unused(opts, errp);
}

bool drive_create(MachineState *ms, QemuOpts *opts, GError **errp)
{
    const DriveInterface *di = interface_of(opts, errp);

    return di && di->create(ms, opts, errp);
}
