/*
 * -netdev: the backend table and registry.
 */
#include "net/net.h"
#include "qemu/error-report.h"

#include <string.h>

static GPtrArray *backends;

typedef struct NetdevType {
    const char *name;
    bool (*init)(MachineState *ms, QemuOpts *opts, const char *id,
                 GError **errp);
} NetdevType;

static const NetdevType netdev_types[] = {
    { "user", net_init_user },
    { "tap", net_init_tap },
};

void netdev_register(NetBackend *nb)
{
    if (!backends) {
        backends = g_ptr_array_new();
    }
    g_ptr_array_add(backends, nb);
}

NetBackend *netdev_find(const char *id)
{
    for (guint i = 0; backends && i < backends->len; i++) {
        NetBackend *nb = g_ptr_array_index(backends, i);
        if (strcmp(nb->id, id) == 0) {
            return nb;
        }
    }
    return NULL;
}

NetBackend *netdev_attach(const char *id, const char *device, GError **errp)
{
    NetBackend *nb = netdev_find(id);

    if (!nb) {
        /* QEMU's wording */
        error_setg(errp, "Property '%s.netdev' can't find value '%s'",
                   device, id);
        return NULL;
    }
    if (nb->attached_to) {
        error_setg(errp, "Property '%s.netdev' can't take value '%s', it's "
                   "in use", device, id);
        return NULL;
    }
    nb->attached_to = g_strdup(device);
    return nb;
}

bool netdev_create(MachineState *ms, QemuOpts *opts, GError **errp)
{
    const char *type = qemu_opt_get(opts, "type");
    const char *id = qemu_opt_get(opts, "id");

    if (!type) {
        error_setg(errp, "Parameter 'type' is missing");
        return false;
    }
    if (!id) {
        error_setg(errp, "Parameter 'id' is missing");
        return false;
    }
    if (netdev_find(id)) {
        error_setg(errp, "Duplicate ID '%s' for netdev", id);
        return false;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(netdev_types); i++) {
        if (strcmp(netdev_types[i].name, type) == 0) {
            return netdev_types[i].init(ms, opts, id, errp);
        }
    }
    error_setg(errp, "Parameter 'type' does not accept value '%s' (qkvm "
               "has: user, tap)", type);
    return false;
}
