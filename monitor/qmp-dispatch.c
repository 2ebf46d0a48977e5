/*
 * One request in, one reply out: the {"execute", "arguments", "id"}
 * envelope, negotiation state, the command table, and arguments checked
 * against the command's types before its handler runs.  Error texts are
 * QEMU's, which clients and people know.
 */
#include "monitor/monitor-internal.h"

#include <string.h>

/* ---- nodes ---------------------------------------------------------------- */

JsonNode *qmp_node_object(JsonObject *obj)
{
    JsonNode *n = json_node_alloc();

    json_node_init_object(n, obj);
    json_object_unref(obj);
    return n;
}

JsonNode *qmp_node_array(JsonArray *arr)
{
    JsonNode *n = json_node_alloc();

    json_node_init_array(n, arr);
    json_array_unref(arr);
    return n;
}

JsonNode *qmp_node_string(const char *s)
{
    return json_node_init_string(json_node_alloc(), s);
}

JsonNode *qmp_return_empty(void)
{
    return qmp_node_object(json_object_new());
}

const char *qmp_arg_str(JsonObject *args, const char *name)
{
    return json_object_get_string_member_with_default(args, name, NULL);
}

bool qmp_arg_bool(JsonObject *args, const char *name, bool def)
{
    return json_object_get_boolean_member_with_default(args, name, def);
}

/* ---- argument checking ---------------------------------------------------- */

const char *qapi_enum_value(const QAPIType *t, int i)
{
    return t->value ? t->value(i) : t->values[i];
}

static bool node_is(JsonNode *n, GType t)
{
    return JSON_NODE_HOLDS_VALUE(n) && json_node_get_value_type(n) == t;
}

/* the word QEMU's messages use for what was expected */
static const char *expected_word(const QAPIType *t)
{
    switch (t->meta) {
    case QAPI_META_OBJECT:
        return "object";
    case QAPI_META_ARRAY:
        return "array";
    case QAPI_META_ENUM:
        return "string";
    case QAPI_META_BUILTIN:
        break;
    }
    return strcmp(t->json_type, "int") == 0 ? "integer" : t->json_type;
}

static bool type_matches(JsonNode *v, const QAPIType *t)
{
    switch (t->meta) {
    case QAPI_META_OBJECT:
        return JSON_NODE_HOLDS_OBJECT(v);
    case QAPI_META_ARRAY:
        return JSON_NODE_HOLDS_ARRAY(v);
    case QAPI_META_ENUM:
        return node_is(v, G_TYPE_STRING);
    case QAPI_META_BUILTIN:
        break;
    }
    if (t == &qapi_any) {
        return true;
    }
    if (t == &qapi_number) {
        return node_is(v, G_TYPE_INT64) || node_is(v, G_TYPE_DOUBLE);
    }
    return node_is(v, t == &qapi_str ? G_TYPE_STRING :
                      t == &qapi_int ? G_TYPE_INT64 : G_TYPE_BOOLEAN);
}

static bool check_enum(JsonNode *v, const QAPIType *t, const char *name,
                       GError **errp)
{
    const char *s = json_node_get_string(v);
    const char *val;

    for (int i = 0; (val = qapi_enum_value(t, i)); i++) {
        if (strcmp(val, s) == 0) {
            return true;
        }
    }
    /* QEMU names just the member here, not its path */
    error_setg(errp, "Parameter '%s' does not accept value '%s'", name, s);
    return false;
}

static char *member_path(const char *path, const char *name)
{
    return path ? g_strdup_printf("%s.%s", path, name) : g_strdup(name);
}

/* Members in table order (missing or mistyped first), then strangers. */
static bool check_object(JsonObject *obj, const QAPIType *t, const char *path,
                         GError **errp)
{
    JsonObjectIter iter;
    const char *name;
    JsonNode *v;

    for (const QAPIMember *m = t->members; m->name; m++) {
        g_autofree char *p = member_path(path, m->name);
        JsonNode *mv = json_object_get_member(obj, m->name);

        if (!mv) {
            if (!m->optional) {
                error_setg(errp, "Parameter '%s' is missing", p);
                return false;
            }
        } else if (!qapi_check(mv, m->type, p, errp)) {
            return false;
        }
    }
    json_object_iter_init_ordered(&iter, obj);
    while (json_object_iter_next_ordered(&iter, &name, &v)) {
        const QAPIMember *m = t->members;
        while (m->name && strcmp(m->name, name) != 0) {
            m++;
        }
        if (!m->name) {
            g_autofree char *p = member_path(path, name);
            error_setg(errp, "Parameter '%s' is unexpected", p);
            return false;
        }
    }
    return true;
}

bool qapi_check(JsonNode *v, const QAPIType *t, const char *path,
                GError **errp)
{
    if (!type_matches(v, t)) {
        error_setg(errp, "Invalid parameter type for '%s', expected: %s",
                   path, expected_word(t));
        return false;
    }
    switch (t->meta) {
    case QAPI_META_OBJECT:
        return check_object(json_node_get_object(v), t, path, errp);
    case QAPI_META_ENUM: {
        const char *last = strrchr(path, '.');
        return check_enum(v, t, last ? last + 1 : path, errp);
    }
    case QAPI_META_ARRAY: {
        JsonArray *a = json_node_get_array(v);
        for (guint i = 0; i < json_array_get_length(a); i++) {
            g_autofree char *p = g_strdup_printf("%s[%u]", path, i);
            if (!qapi_check(json_array_get_element(a, i), t->element, p,
                            errp)) {
                return false;
            }
        }
        return true;
    }
    case QAPI_META_BUILTIN:
        break;
    }
    return true;
}

/* ---- the envelope ------------------------------------------------------- */

static bool check_envelope(JsonObject *req, GError **errp)
{
    JsonObjectIter iter;
    const char *name;
    JsonNode *v;

    json_object_iter_init_ordered(&iter, req);
    while (json_object_iter_next_ordered(&iter, &name, &v)) {
        if (strcmp(name, "execute") == 0) {
            if (!node_is(v, G_TYPE_STRING)) {
                error_setg(errp, "QMP input member 'execute' must be a string");
                return false;
            }
        } else if (strcmp(name, "arguments") == 0) {
            if (!JSON_NODE_HOLDS_OBJECT(v)) {
                error_setg(errp, "QMP input member 'arguments' must be an "
                           "object");
                return false;
            }
        } else if (strcmp(name, "id") != 0) {
            error_setg(errp, "QMP input member '%s' is unexpected", name);
            return false;
        }
    }
    if (!json_object_has_member(req, "execute")) {
        error_setg(errp, "QMP input lacks member 'execute'");
        return false;
    }
    return true;
}

static const QmpCommand *find_command(MonitorQMP *mon, const char *name,
                                      GError **errp)
{
    const QmpCommand *cmd = qmp_find_command(name);
    bool is_caps = strcmp(name, "qmp_capabilities") == 0;

    if (!mon->negotiated && !is_caps) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Expecting capabilities negotiation with "
                  "'qmp_capabilities'");
        return NULL;
    }
    if (mon->negotiated && is_caps) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Capabilities negotiation is already complete, command "
                  "ignored");
        return NULL;
    }
    if (!cmd) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "The command %s has not been found", name);
    }
    return cmd;
}

static JsonNode *execute(MonitorQMP *mon, JsonObject *req, GError **errp)
{
    const QmpCommand *cmd;
    g_autoptr(JsonNode) args = NULL;

    if (!check_envelope(req, errp)) {
        return NULL;
    }
    cmd = find_command(mon, json_object_get_string_member(req, "execute"),
                       errp);
    if (!cmd) {
        return NULL;
    }
    args = json_object_has_member(req, "arguments") ?
           json_node_copy(json_object_get_member(req, "arguments")) :
           qmp_node_object(json_object_new());
    if (!check_object(json_node_get_object(args),
                      cmd->args ? cmd->args : &qapi_empty, NULL, errp)) {
        return NULL;
    }
    return cmd->fn(mon, json_node_get_object(args), errp);
}

JsonNode *qmp_error_reply(const GError *err)
{
    JsonObject *rsp = json_object_new();
    JsonObject *e = json_object_new();

    json_object_set_string_member(e, "class", error_class_name(err));
    json_object_set_string_member(e, "desc", err->message);
    json_object_set_object_member(rsp, "error", e);
    return qmp_node_object(rsp);
}

JsonNode *qmp_dispatch(MonitorQMP *mon, JsonNode *request)
{
    g_autoptr(GError) err = NULL;
    JsonObject *req = NULL;
    JsonNode *ret = NULL;
    JsonNode *reply;
    JsonObject *rsp;

    if (!JSON_NODE_HOLDS_OBJECT(request)) {
        error_setg(&err, "QMP input must be a JSON object");
    } else {
        req = json_node_get_object(request);
        ret = execute(mon, req, &err);
        g_assert(ret || err);
    }
    if (ret) {
        reply = qmp_node_object(json_object_new());
        json_object_set_member(json_node_get_object(reply), "return", ret);
    } else {
        reply = qmp_error_reply(err);
    }
    rsp = json_node_get_object(reply);
    if (req && json_object_has_member(req, "id")) {
        json_object_set_member(rsp, "id",
                               json_node_copy(json_object_get_member(req, "id")));
    }
    return reply;
}
