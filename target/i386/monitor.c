/*
 * The x86 part of QMP: its CPU models and what the
 * host lacks of each (query-cpu-definitions' unavailable-features, which
 * libvirt shows as usable='no').
 */
#include "monitor/monitor-internal.h"
#include "hw/boards.h"
#include "system/kvm.h"
#include "target/i386/cpu.h"
#include "target/i386/kvm_i386.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

/* "...: CPUID.01H:ECX.sse4.1 [bit 19]" -> "sse4.1" (NULL: unnamed bit) */
static char *feature_of_warning(const char *msg)
{
    const char *reg = strstr(msg, "CPUID.");
    const char *name, *end;

    reg = reg ? strchr(reg, ':') : NULL;
    name = reg ? strchr(reg, '.') : NULL;
    end = name ? strstr(name, " [bit") : NULL;
    return end ? g_strndup(name + 1, end - name - 1) : NULL;
}

/* The model's features the host cannot give, by QEMU's names. */
static JsonArray *unavailable_features(const char *model,
                                       const struct kvm_cpuid2 *host)
{
    JsonArray *list = json_array_new();
    g_autofree char *spec = g_strdup_printf("%s,check", model);
    g_autoptr(X86CPUDef) def = x86_cpu_parse(spec, NULL);
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autofree struct kvm_cpuid2 *built = NULL;

    if (!def || !host) {
        return list;    /* no KVM (qtest): nothing to compare with */
    }
    built = x86_cpu_build_cpuid_quiet(def, host, NULL, warnings, NULL);
    for (guint i = 0; i < warnings->len; i++) {
        const char *w = g_ptr_array_index(warnings, i);
        g_autofree char *feat = NULL;

        if (g_str_has_prefix(w, "host doesn't support requested feature") &&
            (feat = feature_of_warning(w))) {
            json_array_add_string_element(list, feat);
        }
    }
    return list;
}

QMP_HANDLER(qmp_query_cpu_definitions)
{
    g_auto(GStrv) models = qmp_cpu_model_names();
    g_autofree struct kvm_cpuid2 *host =
        mon->ms->kvm ? x86_kvm_get_supported_cpuid(mon->ms->kvm, NULL) : NULL;
    g_autoptr(JsonArray) list = json_array_new();

    for (char **m = models; *m; m++) {
        JsonObject *o = json_object_new();
        g_autofree char *type = qmp_cpu_type_name(*m);
        /* host and max follow the host: QEMU calls them not migration-safe */
        bool is_host = !strcmp(*m, "host") || !strcmp(*m, "max");

        json_object_set_string_member(o, "name", *m);
        json_object_set_string_member(o, "typename", type);
        json_object_set_array_member(o, "unavailable-features",
                                     unavailable_features(*m, host));
        json_object_set_boolean_member(o, "static", false);
        json_object_set_boolean_member(o, "migration-safe", !is_host);
        json_object_set_boolean_member(o, "deprecated", false);
        json_array_add_object_element(list, o);
    }
    return qmp_node_array(g_steal_pointer(&list));
}

/* libvirt takes GenericError as "no expansion" and probes no host model. */
QMP_HANDLER(qmp_query_cpu_model_expansion)
{
    JsonObject *model = json_object_get_object_member(args, "model");
    const char *name = json_object_get_string_member(model, "name");
    g_autoptr(X86CPUDef) def = strchr(name, ',') ? NULL :
                               x86_cpu_parse(name, NULL);

    if (!def) {
        error_setg(errp, "CPU model '%s' not found", name);
        return NULL;
    }
    error_setg(errp, "CPU model expansion is not supported");
    return NULL;
}
