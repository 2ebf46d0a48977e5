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

static void add_prop(const char *name, bool on, void *opaque)
{
    json_object_set_boolean_member(opaque, name, on);
}

/* The request's props as -cpu settings: "name=on", "name=off", "name=N". */
static bool props_to_spec(GString *spec, JsonObject *props, GError **errp)
{
    g_autoptr(GList) names = props ? json_object_get_members(props) : NULL;

    for (GList *l = names; l; l = l->next) {
        const char *name = l->data;
        JsonNode *v = json_object_get_member(props, name);
        GType t = json_node_get_value_type(v);

        /* libvirt's probe flags, no CPU properties */
        if (!strcmp(name, "migratable") || !strcmp(name, "hv-passthrough")) {
            continue;
        }
        if (t == G_TYPE_BOOLEAN) {
            g_string_append_printf(spec, ",%s=%s", name,
                                   json_node_get_boolean(v) ? "on" : "off");
        } else if (t == G_TYPE_INT64) {
            g_string_append_printf(spec, ",%s=%" G_GINT64_FORMAT, name,
                                   json_node_get_int(v));
        } else if (t == G_TYPE_STRING) {
            g_string_append_printf(spec, ",%s=%s", name,
                                   json_node_get_string(v));
        } else {
            error_setg(errp, "Invalid parameter type for '%s'", name);
            return false;
        }
    }
    return true;
}

/*
 * "full": every named feature as the guest would get it on this host,
 * plus pmu, pebs, pebs-fmt and lbr-fmt (docs/system/pebs.rst).  "static"
 * stays unsupported: libvirt 9.0 takes its GenericError as "no host
 * model" and then never asks for "full" (see the libvirt notes).
 */
QMP_HANDLER(qmp_query_cpu_model_expansion)
{
    JsonObject *model = json_object_get_object_member(args, "model");
    const char *type = json_object_get_string_member(args, "type");
    const char *name = json_object_get_string_member(model, "name");
    JsonObject *props = json_object_has_member(model, "props")
                        ? json_object_get_object_member(model, "props") : NULL;
    g_autoptr(GString) spec = g_string_new(name);
    g_autoptr(X86CPUDef) def = NULL;
    g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(JsonObject) out_props = json_object_new();
    g_autoptr(JsonObject) out = json_object_new();
    g_autoptr(JsonObject) reply = json_object_new();
    g_autofree struct kvm_cpuid2 *cpuid = NULL;
    const X86HostCaps *caps = x86_kvm_host_caps();
    X86HostCaps fetched = { 0 };
    X86PMUConfig pmu;

    if (strchr(name, ',') || !(def = x86_cpu_parse(name, NULL))) {
        error_setg(errp, "CPU model '%s' not found", name);
        return NULL;
    }
    g_clear_pointer(&def, x86_cpu_def_free);
    if (strcmp(type, "full")) {
        error_setg(errp, "CPU model expansion is not supported");
        return NULL;
    }
    if (!mon->ms->kvm) {
        error_setg(errp, "CPU model expansion needs KVM");
        return NULL;
    }
    if (!props_to_spec(spec, props, errp) ||
        !(def = x86_cpu_parse(spec->str, errp))) {
        return NULL;
    }
    /* the "none" machine creates no VM, so it fetched no host caps */
    if (!caps->cpuid) {
        if (!x86_kvm_get_host_caps(mon->ms->kvm, &fetched, errp)) {
            return NULL;
        }
        caps = &fetched;
    }
    cpuid = x86_cpu_build(def, caps, NULL, warnings, &pmu, errp);
    x86_host_caps_clear(&fetched);
    if (!cpuid) {
        return NULL;
    }
    x86_cpu_foreach_feature(cpuid, &pmu, add_prop, out_props);
    json_object_set_boolean_member(out_props, "pmu", pmu.pmu);
    json_object_set_boolean_member(out_props, "pebs", pmu.pebs);
    json_object_set_int_member(out_props, "pebs-fmt",
                               pmu.pdcm ? (pmu.perf_caps >> 8) & 0xf : 0);
    json_object_set_int_member(out_props, "lbr-fmt",
                               pmu.pdcm ? pmu.perf_caps & 0x3f : 0);
    json_object_set_string_member(out, "name", name);
    json_object_set_object_member(out, "props", g_steal_pointer(&out_props));
    json_object_set_object_member(reply, "model", g_steal_pointer(&out));
    return qmp_node_object(g_steal_pointer(&reply));
}

/* The x86 target's part of the command table (monitor-internal.h). */
const QmpCommand qmp_target_commands[] = {
    /* SEV hosts and guests (target/i386/sev/sev-qmp.c) */
    { "query-sev-capabilities", qmp_query_sev_capabilities, NULL,
      QAPI_OBJECT({ "pdh", &qapi_str }, { "cert-chain", &qapi_str },
                  QAPI_OPT("cpu0-id", &qapi_str), { "cbitpos", &qapi_int },
                  { "reduced-phys-bits", &qapi_int }) },
    { "query-sev", qmp_query_sev, NULL,
      QAPI_OBJECT({ "enabled", &qapi_bool }, { "api-major", &qapi_int },
                  { "api-minor", &qapi_int }, { "build-id", &qapi_int },
                  { "policy", &qapi_int },
                  { "state", QAPI_ENUM("uninit", "launch-update",
                                       "launch-secret", "running",
                                       "send-update", "receive-update") },
                  { "handle", &qapi_int }) },
    { "query-sev-launch-measure", qmp_query_sev_launch_measure, NULL,
      QAPI_OBJECT({ "data", &qapi_str }) },
    { "sev-inject-launch-secret", qmp_sev_inject_launch_secret,
      QAPI_OBJECT({ "packet-header", &qapi_str }, { "secret", &qapi_str },
                  QAPI_OPT("gpa", &qapi_int)),
      &qapi_empty },
    { "query-sev-attestation-report", qmp_query_sev_attestation_report,
      QAPI_OBJECT({ "mnonce", &qapi_str }),
      QAPI_OBJECT({ "data", &qapi_str }) },
};
const size_t qmp_target_commands_nr = G_N_ELEMENTS(qmp_target_commands);
