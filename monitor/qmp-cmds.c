/*
 * THE command table and THE event table: every QMP command and event,
 * with the types of its arguments and its reply.  The dispatcher checks
 * arguments against them, query-commands and query-qmp-schema show them,
 * and the functional tests check every reply against them.  Shapes and
 * names are QEMU 7.2's; members we never send are left out.
 *
 * Below the tables: the commands about the protocol and the program.
 */
#include "monitor/monitor-internal.h"
#include "hw/boards.h"
#include "system/target-info.h"

#include <string.h>

/* ---- types shared by several entries ------------------------------------ */

#define CPU_INSTANCE_PROPERTIES QAPI_OBJECT( \
    QAPI_OPT("node-id", &qapi_int), QAPI_OPT("socket-id", &qapi_int), \
    QAPI_OPT("die-id", &qapi_int), QAPI_OPT("core-id", &qapi_int), \
    QAPI_OPT("thread-id", &qapi_int))

#define OBJECT_PROPERTY_INFO_LIST QAPI_ARRAY(QAPI_OBJECT( \
    { "name", &qapi_str }, { "type", &qapi_str }, \
    QAPI_OPT("description", &qapi_str), QAPI_OPT("default-value", &qapi_any)))

#define CPU_MODEL_INFO QAPI_OBJECT( \
    { "name", &qapi_str }, QAPI_OPT("props", &qapi_any))

#define MIGRATION_CAPABILITY_STATUS QAPI_OBJECT( \
    /* "events" is the one libvirt sets; we have no migration to tune */ \
    { "capability", QAPI_ENUM("events") }, { "state", &qapi_bool })

#define MIGRATION_STATUS \
    QAPI_ENUM("none", "setup", "active", "completed", "failed")

static const char *runstate_value(int i)
{
    const char *name = runstate_name(i);
    return strcmp(name, "unknown") ? name : NULL;
}

static const char *shutdown_cause_value(int i)
{
    const char *name = shutdown_cause_name(i);
    return strcmp(name, "unknown") ? name : NULL;
}

#define SHUTDOWN_EVENT_DATA QAPI_OBJECT( \
    { "guest", &qapi_bool }, { "reason", QAPI_ENUM_FN(shutdown_cause_value) })

/* ---- the commands --------------------------------------------------------- */

const QmpCommand qmp_commands[] = {
    /* the protocol */
    { "qmp_capabilities", qmp_qmp_capabilities,
      QAPI_OBJECT(QAPI_OPT("enable", QAPI_ARRAY(QAPI_ENUM("oob")))),
      &qapi_empty },
    { "query-version", qmp_query_version, NULL,
      QAPI_OBJECT({ "qemu", QAPI_OBJECT({ "major", &qapi_int },
                                        { "minor", &qapi_int },
                                        { "micro", &qapi_int }) },
                  { "package", &qapi_str }) },
    { "query-commands", qmp_query_commands, NULL,
      QAPI_ARRAY(QAPI_OBJECT({ "name", &qapi_str })) },
    { "query-qmp-schema", qmp_query_qmp_schema, NULL,
      /* SchemaInfo is a union over meta-type; "any" is what we promise */
      QAPI_ARRAY(&qapi_any) },
    { "human-monitor-command", qmp_human_monitor_command,
      QAPI_OBJECT({ "command-line", &qapi_str },
                  QAPI_OPT("cpu-index", &qapi_int)),
      &qapi_str },

    /* the program and its accelerator */
    { "query-target", qmp_query_target, NULL,
      QAPI_OBJECT({ "arch", QAPI_ENUM_FN(qmp_target_arch_value) }) },
    { "query-kvm", qmp_query_kvm, NULL,
      QAPI_OBJECT({ "enabled", &qapi_bool }, { "present", &qapi_bool }) },
    { "query-command-line-options", qmp_query_command_line_options,
      QAPI_OBJECT(QAPI_OPT("option", &qapi_str)),
      QAPI_ARRAY(QAPI_OBJECT(
          { "option", &qapi_str },
          { "parameters", QAPI_ARRAY(QAPI_OBJECT(
              { "name", &qapi_str },
              { "type", QAPI_ENUM("string", "boolean", "number", "size") },
              QAPI_OPT("help", &qapi_str),
              QAPI_OPT("default", &qapi_str))) })) },
    /* run state */
    { "query-status", qmp_query_status, NULL,
      QAPI_OBJECT({ "running", &qapi_bool }, { "singlestep", &qapi_bool },
                  { "status", QAPI_ENUM_FN(runstate_value) }) },
    { "stop", qmp_stop, NULL, &qapi_empty },
    { "cont", qmp_cont, NULL, &qapi_empty },
    { "system_reset", qmp_system_reset, NULL, &qapi_empty },
    { "system_powerdown", qmp_system_powerdown, NULL, &qapi_empty },
    { "quit", qmp_quit, NULL, &qapi_empty },

    /* machines and vCPUs */
    { "query-machines", qmp_query_machines, NULL,
      QAPI_ARRAY(QAPI_OBJECT(
          { "name", &qapi_str }, QAPI_OPT("alias", &qapi_str),
          QAPI_OPT("is-default", &qapi_bool), { "cpu-max", &qapi_int },
          { "hotpluggable-cpus", &qapi_bool },
          { "numa-mem-supported", &qapi_bool }, { "deprecated", &qapi_bool },
          QAPI_OPT("default-cpu-type", &qapi_str),
          QAPI_OPT("default-ram-id", &qapi_str))) },
    { "query-cpus-fast", qmp_query_cpus_fast, NULL,
      QAPI_ARRAY(QAPI_OBJECT(
          { "cpu-index", &qapi_int }, { "qom-path", &qapi_str },
          { "thread-id", &qapi_int }, QAPI_OPT("props", CPU_INSTANCE_PROPERTIES),
          { "target", QAPI_ENUM_FN(qmp_target_arch_value) })) },
    { "query-hotpluggable-cpus", qmp_query_hotpluggable_cpus, NULL,
      QAPI_ARRAY(QAPI_OBJECT(
          { "type", &qapi_str }, { "vcpus-count", &qapi_int },
          { "props", CPU_INSTANCE_PROPERTIES },
          QAPI_OPT("qom-path", &qapi_str))) },
    { "query-cpu-definitions", qmp_query_cpu_definitions, NULL,
      QAPI_ARRAY(QAPI_OBJECT(
          { "name", &qapi_str }, QAPI_OPT("migration-safe", &qapi_bool),
          { "static", &qapi_bool },
          QAPI_OPT("unavailable-features", QAPI_ARRAY(&qapi_str)),
          { "typename", &qapi_str }, QAPI_OPT("alias-of", &qapi_str),
          { "deprecated", &qapi_bool })) },
    { "query-cpu-model-expansion", qmp_query_cpu_model_expansion,
      QAPI_OBJECT({ "type", QAPI_ENUM("static", "full") },
                  { "model", CPU_MODEL_INFO }),
      QAPI_OBJECT({ "model", CPU_MODEL_INFO }) },

    /* types and the object tree */
    { "qom-list-types", qmp_qom_list_types,
      QAPI_OBJECT(QAPI_OPT("implements", &qapi_str),
                  QAPI_OPT("abstract", &qapi_bool)),
      QAPI_ARRAY(QAPI_OBJECT({ "name", &qapi_str },
                             QAPI_OPT("abstract", &qapi_bool),
                             QAPI_OPT("parent", &qapi_str))) },
    { "qom-list-properties", qmp_qom_list_properties,
      QAPI_OBJECT({ "typename", &qapi_str }), OBJECT_PROPERTY_INFO_LIST },
    { "device-list-properties", qmp_device_list_properties,
      QAPI_OBJECT({ "typename", &qapi_str }), OBJECT_PROPERTY_INFO_LIST },
    { "qom-list", qmp_qom_list,
      QAPI_OBJECT({ "path", &qapi_str }), OBJECT_PROPERTY_INFO_LIST },
    { "qom-get", qmp_qom_get,
      QAPI_OBJECT({ "path", &qapi_str }, { "property", &qapi_str }),
      &qapi_any },

    /* character devices */
    { "query-chardev", qmp_query_chardev, NULL,
      QAPI_ARRAY(QAPI_OBJECT({ "label", &qapi_str }, { "filename", &qapi_str },
                             { "frontend-open", &qapi_bool })) },

    /* devices and block nodes */
    { "query-pci", qmp_query_pci, NULL,
      QAPI_ARRAY(QAPI_OBJECT({ "bus", &qapi_int },
                             { "devices", QAPI_ARRAY(&qapi_any) })) },

    /* what we do not have yet: always empty lists */
    { "query-named-block-nodes", qmp_query_named_block_nodes,
      QAPI_OBJECT(QAPI_OPT("flat", &qapi_bool)), QAPI_ARRAY(&qapi_any) },
    { "query-block", qmp_query_block, NULL, QAPI_ARRAY(&qapi_any) },
    { "query-jobs", qmp_query_empty_list, NULL, QAPI_ARRAY(&qapi_any) },
    { "query-iothreads", qmp_query_empty_list, NULL, QAPI_ARRAY(&qapi_any) },
    { "query-tpm-models", qmp_query_empty_list, NULL, QAPI_ARRAY(&qapi_str) },
    { "query-tpm-types", qmp_query_empty_list, NULL, QAPI_ARRAY(&qapi_str) },
    { "query-migrate-capabilities", qmp_query_empty_list, NULL,
      QAPI_ARRAY(MIGRATION_CAPABILITY_STATUS) },
    { "migrate-set-capabilities", qmp_migrate_set_capabilities,
      QAPI_OBJECT({ "capabilities", QAPI_ARRAY(MIGRATION_CAPABILITY_STATUS) }),
      &qapi_empty },

    /* migration (qmp-cmds-migration.c): file: and exec: streams */
    { "migrate", qmp_migrate,
      QAPI_OBJECT({ "uri", &qapi_str }, QAPI_OPT("detach", &qapi_bool)),
      &qapi_empty },
    { "migrate-incoming", qmp_migrate_incoming,
      QAPI_OBJECT({ "uri", &qapi_str }), &qapi_empty },
    { "query-migrate", qmp_query_migrate, NULL,
      QAPI_OBJECT(QAPI_OPT("status", MIGRATION_STATUS),
                  QAPI_OPT("error-desc", &qapi_str)) },
};
const size_t qmp_commands_nr = G_N_ELEMENTS(qmp_commands);

/* ---- the events (sent with qapi_event_send_*(), include/monitor) ------- */

const QmpEvent qmp_events[] = {
    { "STOP", NULL },
    { "RESUME", NULL },
    { "POWERDOWN", NULL },
    { "RESET", SHUTDOWN_EVENT_DATA },
    { "SHUTDOWN", SHUTDOWN_EVENT_DATA },
    { "MIGRATION", QAPI_OBJECT({ "status", MIGRATION_STATUS }) },
    /* a guest opened or closed a virtio serial port (hw/char); the
     * guest sets the pace: QEMU's limit of one a second per id */
    { "VSERPORT_CHANGE", QAPI_OBJECT({ "id", &qapi_str },
                                     { "open", &qapi_bool }), 1000 },
};
const size_t qmp_events_nr = G_N_ELEMENTS(qmp_events);

const QmpCommand *qmp_command_nth(size_t i)
{
    if (i < qmp_commands_nr) {
        return &qmp_commands[i];
    }
    i -= qmp_commands_nr;
    return i < qmp_target_commands_nr ? &qmp_target_commands[i] : NULL;
}

const QmpCommand *qmp_find_command(const char *name)
{
    const QmpCommand *c;

    for (size_t i = 0; (c = qmp_command_nth(i)); i++) {
        if (strcmp(c->name, name) == 0) {
            return c;
        }
    }
    return NULL;
}

const QmpEvent *qmp_find_event(const char *name)
{
    for (size_t i = 0; i < qmp_events_nr; i++) {
        if (strcmp(qmp_events[i].name, name) == 0) {
            return &qmp_events[i];
        }
    }
    return NULL;
}

/* ---- the program --------------------------------------------------------- */

QMP_HANDLER(qmp_query_version)
{
    g_autoptr(JsonObject) qemu = json_object_new();
    g_autoptr(JsonObject) v = json_object_new();

    /* what tools compare with (libvirt needs >= 4.2.0) */
    json_object_set_int_member(qemu, "major", QEMU_VERSION_MAJOR);
    json_object_set_int_member(qemu, "minor", QEMU_VERSION_MINOR);
    json_object_set_int_member(qemu, "micro", QEMU_VERSION_MICRO);
    json_object_set_object_member(v, "qemu", g_steal_pointer(&qemu));
    json_object_set_string_member(v, "package", "qkvm-" QKVM_VERSION);
    return qmp_node_object(g_steal_pointer(&v));
}

/* ---- the target: names the generic code builds from target_info ------- */

const char *qmp_target_arch_value(int i)
{
    return i == 0 ? target_info.arch : NULL;
}

const char *qmp_cpu_base_type(void)
{
    static char *name;

    if (!name) {
        name = g_strdup_printf("%s-cpu", target_info.arch);
    }
    return name;
}

char *qmp_cpu_type_name(const char *cpu_model)
{
    g_autofree char *model = g_strndup(cpu_model, strcspn(cpu_model, ","));

    return g_strdup_printf("%s-%s-cpu", model, target_info.arch);
}

GStrv qmp_cpu_model_names(void)
{
    return target_info.cpu_model_names();
}

QMP_HANDLER(qmp_query_target)
{
    g_autoptr(JsonObject) o = json_object_new();

    json_object_set_string_member(o, "arch", target_info.arch);
    return qmp_node_object(g_steal_pointer(&o));
}

QMP_HANDLER(qmp_query_kvm)
{
    g_autoptr(JsonObject) o = json_object_new();

    json_object_set_boolean_member(o, "enabled", mon->ms->kvm != NULL);
    /* KVM is always built in; qtest runs without it */
    json_object_set_boolean_member(o, "present", true);
    return qmp_node_object(g_steal_pointer(&o));
}

QMP_HANDLER(qmp_query_chardev)
{
    GPtrArray *all = qemu_chr_all();
    g_autoptr(JsonArray) list = json_array_new();

    for (guint i = 0; i < all->len; i++) {
        Chardev *chr = g_ptr_array_index(all, i);
        JsonObject *o = json_object_new();

        json_object_set_string_member(o, "label", chr->id);
        json_object_set_string_member(o, "filename", chr->filename);
        json_object_set_boolean_member(o, "frontend-open",
                                       qemu_chr_fe_is_open(chr));
        json_array_add_object_element(list, o);
    }
    return qmp_node_array(g_steal_pointer(&list));
}

/*
 * The option table lives in system/vl.c and does not describe its
 * parameters, so we list none: libvirt then uses no optional syntax.
 */
QMP_HANDLER(qmp_query_command_line_options)
{
    const char *option = qmp_arg_str(args, "option");

    if (option) {
        error_setg(errp, "invalid option name: %s", option);
        return NULL;
    }
    return qmp_node_array(json_array_new());
}

QMP_HANDLER(qmp_query_empty_list)
{
    return qmp_node_array(json_array_new());
}

/* Checked against the table; nothing to do without migration. */
QMP_HANDLER(qmp_migrate_set_capabilities)
{
    return qmp_return_empty();
}

