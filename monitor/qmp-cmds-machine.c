/*
 * Commands about the machine: run state, power, machine types, vCPUs.
 * The run-state events (STOP, RESUME, RESET, SHUTDOWN) come from the
 * run-state code itself (system/), so that guest-caused changes send
 * them too; POWERDOWN has no other sender and goes out here.
 */
#include "monitor/monitor-internal.h"
#include "hw/boards.h"
#include "system/runstate.h"
#include "system/target-info.h"

#include <string.h>

/* QEMU: these states need a system_reset before the guest can run. */
static bool runstate_needs_reset(MachineState *ms)
{
    RunState s = __atomic_load_n(&ms->runstate, __ATOMIC_ACQUIRE);

    return s == RUN_STATE_SHUTDOWN || s == RUN_STATE_INTERNAL_ERROR;
}

QMP_HANDLER(qmp_query_status)
{
    g_autoptr(JsonObject) o = json_object_new();
    RunState s = __atomic_load_n(&mon->ms->runstate, __ATOMIC_ACQUIRE);

    json_object_set_string_member(o, "status", runstate_name(s));
    json_object_set_boolean_member(o, "singlestep", false);
    json_object_set_boolean_member(o, "running", s == RUN_STATE_RUNNING);
    return qmp_node_object(g_steal_pointer(&o));
}

/* As QEMU's vm_stop(): only a running machine stops (and says STOP). */
QMP_HANDLER(qmp_stop)
{
    if (runstate_is_running(mon->ms)) {
        vm_stop(mon->ms, RUN_STATE_PAUSED);
    }
    return qmp_return_empty();
}

QMP_HANDLER(qmp_cont)
{
    if (runstate_needs_reset(mon->ms)) {
        error_setg(errp, "Resetting the Virtual Machine is required");
        return NULL;
    }
    if (!runstate_is_running(mon->ms)) {
        if (!vm_prepare_start(mon->ms, errp)) {
            return NULL;
        }
        vm_start(mon->ms);
    }
    return qmp_return_empty();
}

QMP_HANDLER(qmp_system_reset)
{
    qemu_system_reset_request(mon->ms, SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    return qmp_return_empty();
}

/* The ACPI power button; the guest decides what to do about it. */
QMP_HANDLER(qmp_system_powerdown)
{
    qapi_event_send_powerdown();
    if (mon->ms->mc->powerdown) {
        mon->ms->mc->powerdown(mon->ms);
    }
    return qmp_return_empty();
}

/* The process leaves even with -no-shutdown; the reply goes out first
 * (monitor_cleanup() at exit). */
QMP_HANDLER(qmp_quit)
{
    qemu_system_shutdown_request(mon->ms, SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    return qmp_return_empty();
}

/* ---- machine types ------------------------------------------------------- */

static JsonObject *machine_info(const MachineClass *mc)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "name", mc->name);
    if (mc->alias) {
        json_object_set_string_member(o, "alias", mc->alias);
    }
    if (mc->is_default) {
        json_object_set_boolean_member(o, "is-default", true);
    }
    json_object_set_int_member(o, "cpu-max", mc->max_cpus);
    /* no CPU hotplug: libvirt then never asks query-hotpluggable-cpus */
    json_object_set_boolean_member(o, "hotpluggable-cpus", false);
    json_object_set_boolean_member(o, "numa-mem-supported", false);
    json_object_set_boolean_member(o, "deprecated", false);
    /* "none" has no vCPU; the others start the target's default model */
    if (strcmp(mc->name, "none") != 0) {
        g_autofree char *cpu = qmp_cpu_type_name(target_info.default_cpu_model);
        json_object_set_string_member(o, "default-cpu-type", cpu);
    }
    return o;
}

QMP_HANDLER(qmp_query_machines)
{
    GPtrArray *all = machine_all();
    g_autoptr(JsonArray) list = json_array_new();

    for (guint i = 0; i < all->len; i++) {
        json_array_add_object_element(list,
                                      machine_info(g_ptr_array_index(all, i)));
    }
    return qmp_node_array(g_steal_pointer(&list));
}

/* ---- vCPUs -------------------------------------------------------------- */

/* socket/core/thread of a vCPU, QEMU's order: threads innermost */
static JsonObject *cpu_props(MachineState *ms, unsigned index)
{
    JsonObject *o = json_object_new();
    unsigned threads = MAX(ms->threads, 1), cores = MAX(ms->cores, 1);

    json_object_set_int_member(o, "core-id", (index / threads) % cores);
    json_object_set_int_member(o, "thread-id", index % threads);
    json_object_set_int_member(o, "socket-id", index / (threads * cores));
    return o;
}

QMP_HANDLER(qmp_query_cpus_fast)
{
    MachineState *ms = mon->ms;
    g_autoptr(JsonArray) list = json_array_new();

    for (unsigned i = 0; i < ms->nr_cpus; i++) {
        CPUState *cpu = ms->cpus[i];
        JsonObject *o = json_object_new();
        g_autofree char *path =
            g_strdup_printf("/machine/unattached/device[%d]", cpu->cpu_index);

        json_object_set_int_member(o, "cpu-index", cpu->cpu_index);
        json_object_set_string_member(o, "qom-path", path);
        json_object_set_int_member(o, "thread-id", cpu->thread_id);
        json_object_set_object_member(o, "props", cpu_props(ms, i));
        json_object_set_string_member(o, "target", target_info.arch);
        json_array_add_object_element(list, o);
    }
    return qmp_node_array(g_steal_pointer(&list));
}

/* QEMU's answer for machines without CPU hotplug (query-machines says
 * hotpluggable-cpus false for all of ours). */
QMP_HANDLER(qmp_query_hotpluggable_cpus)
{
    error_setg(errp, "The feature 'query-hotpluggable-cpus' is not enabled");
    return NULL;
}
