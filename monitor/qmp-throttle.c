/*
 * Rate limits for the QMP events a guest can raise at will (QEMU's
 * monitor does the same, with the same periods): a guest toggling a
 * virtio serial port must not flood the clients' sockets, where the
 * replies libvirt waits for would drown.
 *
 * Per key (the event's name and its data's "id", if any) at most one
 * event per period: the first goes at once and opens a period; what comes
 * during it is held (only the latest: it is the current state), and is
 * sent when the period ends, which opens the next one.  A period with
 * nothing held ends the key's state.  The timer runs on the main loop.
 */
#include "monitor/monitor-internal.h"

#include <string.h>

typedef struct ThrottleState {
    char *key;
    char *name;
    unsigned period_ms;
    JsonObject *held;           /* the latest held event's data */
    bool held_any;              /* (an event without data is held too) */
} ThrottleState;

static GMutex throttle_lock;
static GHashTable *throttled;   /* key -> ThrottleState, under the lock */

static void throttle_state_free(ThrottleState *st)
{
    if (st->held) {
        json_object_unref(st->held);
    }
    g_free(st->key);
    g_free(st->name);
    g_free(st);
}

/* Main loop: the period ended. */
static gboolean throttle_period_end(gpointer opaque)
{
    ThrottleState *st = opaque;
    JsonObject *data;
    char *name;

    g_mutex_lock(&throttle_lock);
    if (!st->held_any) {
        g_hash_table_remove(throttled, st->key);
        throttle_state_free(st);
        g_mutex_unlock(&throttle_lock);
        return G_SOURCE_REMOVE;
    }
    data = g_steal_pointer(&st->held);
    st->held_any = false;
    name = g_strdup(st->name);
    g_mutex_unlock(&throttle_lock);
    qapi_event_emit(name, data);        /* and a new period begins */
    g_free(name);
    return G_SOURCE_CONTINUE;
}

bool qmp_event_throttle(const QmpEvent *ev, const char *name,
                        JsonObject *data)
{
    const char *id = NULL;
    g_autofree char *key = NULL;
    ThrottleState *st;

    if (!ev || !ev->throttle_ms) {
        return false;
    }
    if (data && json_object_has_member(data, "id")) {
        id = json_object_get_string_member(data, "id");
    }
    key = g_strdup_printf("%s/%s", name, id ? id : "");
    g_mutex_lock(&throttle_lock);
    if (!throttled) {
        throttled = g_hash_table_new(g_str_hash, g_str_equal);
    }
    st = g_hash_table_lookup(throttled, key);
    if (st) {
        if (st->held) {
            json_object_unref(st->held);
        }
        st->held = data;
        st->held_any = true;
        g_mutex_unlock(&throttle_lock);
        return true;
    }
    st = g_new0(ThrottleState, 1);
    st->key = g_steal_pointer(&key);
    st->name = g_strdup(name);
    st->period_ms = ev->throttle_ms;
    g_hash_table_insert(throttled, st->key, st);
    g_timeout_add(st->period_ms, throttle_period_end, st);
    g_mutex_unlock(&throttle_lock);
    return false;                       /* the caller sends this one now */
}
