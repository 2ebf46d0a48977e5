/*
 * QMP sessions: one per -qmp / -mon mode=control.  Each connection of
 * the chardev gets the greeting and starts in capabilities negotiation;
 * commands run on the main loop, one at a time, in arrival order, each
 * answered by one line.  Events go to every negotiated session, from
 * whatever thread raises them.
 */
#include "monitor/monitor-internal.h"
#include "qemu/error-report.h"

#include <string.h>

static GPtrArray *monitors;     /* MonitorQMP, under monitor_lock */
static GMutex monitor_lock;     /* also guards MonitorQMP.negotiated */

char *monitor_crlf(const char *s)
{
    g_auto(GStrv) lines = g_strsplit(s, "\n", -1);

    return g_strjoinv("\r\n", lines);
}

void monitor_qmp_send(MonitorQMP *mon, JsonNode *msg)
{
    g_autoptr(GString) json = g_string_new(NULL);
    g_autofree char *line = NULL;

    json_append(json, msg, mon->pretty);
    if (!mon->pretty) {
        /* one line: compact JSON has no '\n' (strings escape theirs) */
        g_string_append(json, "\r\n");
        qemu_chr_write_all(mon->chr, (const uint8_t *)json->str, json->len);
        return;
    }
    g_string_append_c(json, '\n');
    /* QEMU's monitor sends every '\n' as "\r\n" (pretty has several) */
    line = monitor_crlf(json->str);
    qemu_chr_write_all(mon->chr, (const uint8_t *)line, strlen(line));
}

static void monitor_qmp_greet(MonitorQMP *mon)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) greeting = NULL;

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "QMP");
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "version");
    json_builder_add_value(b, qmp_query_version(mon, NULL, NULL));
    json_builder_set_member_name(b, "capabilities");
    /* no "oob": commands run in order on the main loop */
    json_builder_begin_array(b);
    json_builder_end_array(b);
    json_builder_end_object(b);
    json_builder_end_object(b);
    greeting = json_builder_get_root(b);
    monitor_qmp_send(mon, greeting);
}

static void monitor_qmp_set_negotiated(MonitorQMP *mon, bool on)
{
    g_mutex_lock(&monitor_lock);
    mon->negotiated = on;
    g_mutex_unlock(&monitor_lock);
}

static void monitor_qmp_event(void *opaque, QEMUChrEvent event)
{
    MonitorQMP *mon = opaque;

    /* every connection starts afresh: negotiation, no half message */
    monitor_qmp_set_negotiated(mon, false);
    json_message_parser_reset(mon->parser);
    if (event == CHR_EVENT_OPENED) {
        monitor_qmp_greet(mon);
    }
}

static void monitor_qmp_handle(void *opaque, JsonNode *msg, const GError *err)
{
    MonitorQMP *mon = opaque;
    g_autoptr(JsonNode) reply = NULL;

    /* a value that is not JSON has no id to echo */
    reply = err ? qmp_error_reply(err) : qmp_dispatch(mon, msg);
    monitor_qmp_send(mon, reply);
}

static size_t monitor_qmp_can_read(void *opaque)
{
    /* commands complete before the next read: always room */
    return 4096;
}

static void monitor_qmp_read(void *opaque, const uint8_t *buf, size_t len)
{
    MonitorQMP *mon = opaque;

    json_message_parser_feed(mon->parser, (const char *)buf, len);
}

/* qmp_capabilities: events flow from now on */
QMP_HANDLER(qmp_qmp_capabilities)
{
    JsonArray *enable = json_object_has_member(args, "enable") ?
                        json_object_get_array_member(args, "enable") : NULL;

    if (enable && json_array_get_length(enable)) {
        /* "oob" is the only capability QMP defines; we do not offer it */
        error_setg(errp, "Capability '%s' not available",
                   json_array_get_string_element(enable, 0));
        return NULL;
    }
    monitor_qmp_set_negotiated(mon, true);
    return qmp_return_empty();
}

bool monitor_init_qmp(Chardev *chr, MachineState *ms, bool pretty,
                      GError **errp)
{
    MonitorQMP *mon;

    if (!chr) {
        error_setg(errp, "QMP needs a character device");
        return false;
    }
    if (chr->fe_open) {
        error_setg(errp, "chardev '%s' is already in use", chr->id);
        return false;
    }
    mon = g_new0(MonitorQMP, 1);
    mon->chr = chr;
    mon->ms = ms;
    mon->pretty = pretty;
    mon->parser = json_message_parser_new(monitor_qmp_handle, mon);
    g_mutex_lock(&monitor_lock);
    if (!monitors) {
        monitors = g_ptr_array_new();
        /* the last events (SHUTDOWN) must reach clients on every exit path */
        atexit(monitor_cleanup);
    }
    g_ptr_array_add(monitors, mon);
    g_mutex_unlock(&monitor_lock);
    qemu_chr_fe_set_handlers_full(chr, monitor_qmp_can_read, monitor_qmp_read,
                                  monitor_qmp_event, mon);
    return true;
}

/* ---- events ------------------------------------------------------------- */

void qapi_event_send(const char *name, JsonObject *data)
{
    const QmpEvent *ev = qmp_find_event(name);

    if (!ev) {
        /* the event table is what query-qmp-schema promises clients */
        warn_report("QMP event %s is not in the event table", name);
    }
    if (!qmp_event_throttle(ev, name, data)) {
        qapi_event_emit(name, data);
    }
}

void qapi_event_emit(const char *name, JsonObject *data)
{
    g_autoptr(JsonObject) ev = json_object_new();
    g_autoptr(JsonObject) ts = json_object_new();
    g_autoptr(JsonNode) node = NULL;
    gint64 now = g_get_real_time();

    json_object_set_int_member(ts, "seconds", now / G_USEC_PER_SEC);
    json_object_set_int_member(ts, "microseconds", now % G_USEC_PER_SEC);
    json_object_set_object_member(ev, "timestamp", g_steal_pointer(&ts));
    json_object_set_string_member(ev, "event", name);
    if (data) {
        json_object_set_object_member(ev, "data", data);
    }
    node = qmp_node_object(g_steal_pointer(&ev));
    g_mutex_lock(&monitor_lock);
    for (guint i = 0; monitors && i < monitors->len; i++) {
        MonitorQMP *mon = g_ptr_array_index(monitors, i);
        if (mon->negotiated) {
            monitor_qmp_send(mon, node);
        }
    }
    g_mutex_unlock(&monitor_lock);
}

void qapi_event_send_stop(void)
{
    qapi_event_send("STOP", NULL);
}

void qapi_event_send_resume(void)
{
    qapi_event_send("RESUME", NULL);
}

void qapi_event_send_powerdown(void)
{
    qapi_event_send("POWERDOWN", NULL);
}

static JsonObject *shutdown_data(bool guest, ShutdownCause reason)
{
    JsonObject *data = json_object_new();

    json_object_set_boolean_member(data, "guest", guest);
    json_object_set_string_member(data, "reason", shutdown_cause_name(reason));
    return data;
}

void qapi_event_send_reset(bool guest, ShutdownCause reason)
{
    qapi_event_send("RESET", shutdown_data(guest, reason));
}

void qapi_event_send_shutdown(bool guest, ShutdownCause reason)
{
    qapi_event_send("SHUTDOWN", shutdown_data(guest, reason));
}

void monitor_cleanup(void)
{
    /* no lock wait: exit() may come from a thread that holds it */
    if (!g_mutex_trylock(&monitor_lock)) {
        return;
    }
    for (guint i = 0; monitors && i < monitors->len; i++) {
        MonitorQMP *mon = g_ptr_array_index(monitors, i);
        qemu_chr_fe_flush(mon->chr, 1000);
        mon->negotiated = false;
    }
    g_mutex_unlock(&monitor_lock);
}

/* ---- error classes ------------------------------------------------------ */

const char *error_class_name(const GError *err)
{
    static const char *const names[] = {
        [ERROR_CLASS_GENERIC_ERROR] = "GenericError",
        [ERROR_CLASS_COMMAND_NOT_FOUND] = "CommandNotFound",
        [ERROR_CLASS_DEVICE_NOT_ACTIVE] = "DeviceNotActive",
        [ERROR_CLASS_DEVICE_NOT_FOUND] = "DeviceNotFound",
        [ERROR_CLASS_KVM_MISSING_CAP] = "KVMMissingCap",
    };

    if (err->domain != QKVM_ERROR || err->code < 0 ||
        err->code >= (int)G_N_ELEMENTS(names)) {
        return "GenericError";
    }
    return names[err->code];
}
