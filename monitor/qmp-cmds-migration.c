/*
 * QMP migrate, migrate-incoming, query-migrate (the work is in
 * migration/migration.c).  Migration finishes before "migrate" returns;
 * the MIGRATION events and query-migrate tell how it went, as QEMU's do.
 */
#include "monitor/monitor-internal.h"
#include "migration/migration.h"
#include "hw/boards.h"

QMP_HANDLER(qmp_migrate)
{
    const char *uri = json_object_get_string_member(args, "uri");

    if (!migration_save(mon->ms, uri, errp)) {
        return NULL;
    }
    return qmp_return_empty();
}

QMP_HANDLER(qmp_migrate_incoming)
{
    const char *uri = json_object_get_string_member(args, "uri");

    if (!migration_incoming_deferred(mon->ms, uri, errp)) {
        return NULL;
    }
    return qmp_return_empty();
}

QMP_HANDLER(qmp_query_migrate)
{
    g_autoptr(JsonObject) o = json_object_new();
    const char *status = migration_status();

    /* QEMU answers {} before any migration */
    if (g_strcmp0(status, "none")) {
        json_object_set_string_member(o, "status", status);
    }
    if (migration_error()) {
        json_object_set_string_member(o, "error-desc", migration_error());
    }
    return qmp_node_object(g_steal_pointer(&o));
}
