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

bool drive_add(const char *arg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, NULL, errp);
    const char *ifname;

    if (!opts) {
        return false;
    }
    ifname = qemu_opt_get(opts, "if");
    if (!ifname) {
        ifname = "ide";         /* QEMU's default for pc */
    }
    for (guint i = 0; interfaces && i < interfaces->len; i++) {
        const DriveInterface *di = g_ptr_array_index(interfaces, i);
        if (strcmp(di->name, ifname) == 0) {
            return di->add(opts, errp) && qemu_opts_check_unused(opts, errp);
        }
    }
    error_setg(errp, "-drive if=%s is not supported by this machine", ifname);
    return false;
}
