/*
 * QMP commands of SEV guests (QEMU 7.2's qapi/misc-target.json):
 * query-sev-capabilities (a question about the host, asked before any
 * guest exists), query-sev, query-sev-launch-measure,
 * sev-inject-launch-secret.  The table rows are in monitor/qmp-cmds.c.
 */
#include "monitor/monitor-internal.h"
#include "hw/boards.h"
#include "target/i386/sev/sev.h"
#include "system/kvm.h"

static void set_base64(JsonObject *o, const char *name, GBytes *b)
{
    gsize len;
    const guchar *d = g_bytes_get_data(b, &len);
    g_autofree char *text = g_base64_encode(d, len);

    json_object_set_string_member(o, name, text);
}

/* libvirt reads GenericError as "no SEV" (libvirt-9.0-needs.md, 5) */
QMP_HANDLER(qmp_query_sev_capabilities)
{
    g_autoptr(JsonObject) o = NULL;
    SevCapabilities caps;

    if (!mon->ms->kvm) {
        error_setg(errp, "KVM not enabled");
        return NULL;
    }
    if (!sev_kvm_capabilities(mon->ms->kvm->vmfd, "/dev/sev", NULL, &caps,
                              errp)) {
        return NULL;
    }
    o = json_object_new();
    set_base64(o, "pdh", caps.pdh);
    set_base64(o, "cert-chain", caps.cert_chain);
    set_base64(o, "cpu0-id", caps.cpu0_id);
    json_object_set_int_member(o, "cbitpos", caps.cbitpos);
    json_object_set_int_member(o, "reduced-phys-bits", caps.reduced_phys_bits);
    sev_capabilities_clear(&caps);
    return qmp_node_object(g_steal_pointer(&o));
}

QMP_HANDLER(qmp_query_sev)
{
    SevGuest *sev = sev_guest_of(mon->ms, errp);
    g_autoptr(JsonObject) o = NULL;
    SevGuestInfo info;

    if (!sev) {
        return NULL;
    }
    sev_guest_info(sev, &info);
    o = json_object_new();
    json_object_set_boolean_member(o, "enabled", true);
    json_object_set_int_member(o, "api-major", info.api_major);
    json_object_set_int_member(o, "api-minor", info.api_minor);
    json_object_set_int_member(o, "build-id", info.build);
    json_object_set_int_member(o, "policy", info.policy);
    json_object_set_string_member(o, "state", sev_state_name(info.state));
    json_object_set_int_member(o, "handle", info.handle);
    return qmp_node_object(g_steal_pointer(&o));
}

QMP_HANDLER(qmp_query_sev_launch_measure)
{
    SevGuest *sev = sev_guest_of(mon->ms, NULL);
    g_autofree char *data = sev ? sev_guest_measurement(sev) : NULL;
    g_autoptr(JsonObject) o = NULL;

    if (!data) {
        error_setg(errp, "SEV launch measurement is not available");
        return NULL;
    }
    o = json_object_new();
    json_object_set_string_member(o, "data", data);
    return qmp_node_object(g_steal_pointer(&o));
}

QMP_HANDLER(qmp_sev_inject_launch_secret)
{
    SevGuest *sev = sev_guest_of(mon->ms, errp);
    int64_t gpa = -1;

    if (!sev) {
        return NULL;
    }
    if (json_object_has_member(args, "gpa")) {
        gpa = json_object_get_int_member(args, "gpa");
        if (gpa < 0) {
            error_setg(errp, "SEV: Failed to calculate guest address");
            return NULL;
        }
    }
    if (!sev_inject_launch_secret(sev, qmp_arg_str(args, "packet-header"),
                                  qmp_arg_str(args, "secret"), gpa, errp)) {
        return NULL;
    }
    return qmp_return_empty();
}

QMP_HANDLER(qmp_query_sev_attestation_report)
{
    SevGuest *sev = sev_guest_of(mon->ms, errp);
    g_autofree char *data = NULL;
    g_autoptr(JsonObject) o = NULL;

    if (!sev || !(data = sev_guest_attestation_report(
                      sev, qmp_arg_str(args, "mnonce"), errp))) {
        return NULL;
    }
    o = json_object_new();
    json_object_set_string_member(o, "data", data);
    return qmp_node_object(g_steal_pointer(&o));
}
