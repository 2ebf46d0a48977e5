/*
 * The RISC-V part of QMP: its CPU models.  Under KVM every model is the
 * host's hart, so none lacks a feature the host has.
 */
#include "monitor/monitor-internal.h"
#include "target/riscv/cpu.h"

#include <string.h>

QMP_HANDLER(qmp_query_cpu_definitions)
{
    g_auto(GStrv) models = qmp_cpu_model_names();
    g_autoptr(JsonArray) list = json_array_new();

    for (char **m = models; *m; m++) {
        JsonObject *o = json_object_new();
        g_autofree char *type = qmp_cpu_type_name(*m);

        json_object_set_string_member(o, "name", *m);
        json_object_set_string_member(o, "typename", type);
        json_object_set_array_member(o, "unavailable-features",
                                     json_array_new());
        json_object_set_boolean_member(o, "static", false);
        json_object_set_boolean_member(o, "migration-safe", false);
        json_object_set_boolean_member(o, "deprecated", false);
        json_array_add_object_element(list, o);
    }
    return qmp_node_array(g_steal_pointer(&list));
}

QMP_HANDLER(qmp_query_cpu_model_expansion)
{
    JsonObject *model = json_object_get_object_member(args, "model");
    const char *name = json_object_get_string_member(model, "name");
    g_autoptr(RISCVCPUDef) def = strchr(name, ',') ? NULL :
                                 riscv_cpu_parse(name, NULL);

    if (!def) {
        error_setg(errp, "CPU model '%s' not found", name);
        return NULL;
    }
    error_setg(errp, "CPU model expansion is not supported");
    return NULL;
}

/* The target's part of the command table (monitor-internal.h): none. */
const QmpCommand qmp_target_commands[1];
const size_t qmp_target_commands_nr = 0;
