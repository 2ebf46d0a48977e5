/*
 * -netdev user in a build without libslirp-dev.
 */
#include "net/net.h"
#include "qemu/error-report.h"

bool net_init_user(MachineState *ms, QemuOpts *opts, const char *id,
                   GError **errp)
{
    error_setg(errp, "-netdev user: this qkvm was built without libslirp "
               "(install libslirp-dev and rebuild)");
    return false;
}
