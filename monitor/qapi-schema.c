/*
 * query-qmp-schema and query-commands, generated from the command and
 * event tables (qmp-cmds.c), in QEMU's introspection format
 * (qapi/introspect.json): every command and event, then every type they
 * reach.  As QEMU does, types other than the builtins get numbers for
 * names: clients may only follow references, not rely on type names.
 */
#include "monitor/monitor-internal.h"

const QAPIType qapi_str = { QAPI_META_BUILTIN, "str", "string" };
const QAPIType qapi_int = { QAPI_META_BUILTIN, "int", "int" };
const QAPIType qapi_bool = { QAPI_META_BUILTIN, "bool", "boolean" };
const QAPIType qapi_number = { QAPI_META_BUILTIN, "number", "number" };
const QAPIType qapi_any = { QAPI_META_BUILTIN, "any", "value" };
const QAPIType qapi_empty = {
    .meta = QAPI_META_OBJECT, .members = (const QAPIMember[]){ { NULL } },
};

typedef struct SchemaGen {
    JsonArray *out;
    GHashTable *names;      /* QAPIType * -> its name in the schema */
    GHashTable *described;  /* names already queued: each entity once */
    GPtrArray *pending;     /* named but not yet written */
} SchemaGen;

/* A type's name, numbering it (and queuing it for output) on first use. */
static const char *type_ref(SchemaGen *g, const QAPIType *t)
{
    char *name = g_hash_table_lookup(g->names, t);

    if (name) {
        return name;
    }
    if (t->meta == QAPI_META_BUILTIN) {
        name = g_strdup(t->name);
    } else if (t->meta == QAPI_META_ARRAY) {
        /* two [int] in the tables are one type (clients index by name) */
        name = g_strdup_printf("[%s]", type_ref(g, t->element));
    } else {
        name = g_strdup_printf("%u", g_hash_table_size(g->names));
    }
    g_hash_table_insert(g->names, (gpointer)t, name);
    if (g_hash_table_add(g->described, name)) {
        g_ptr_array_add(g->pending, (gpointer)t);
    }
    return name;
}

static JsonObject *entity(const char *name, const char *meta)
{
    JsonObject *o = json_object_new();

    json_object_set_string_member(o, "name", name);
    json_object_set_string_member(o, "meta-type", meta);
    return o;
}

static void describe_object(SchemaGen *g, JsonObject *o, const QAPIType *t)
{
    JsonArray *members = json_array_new();

    for (const QAPIMember *m = t->members; m->name; m++) {
        JsonObject *mo = json_object_new();
        json_object_set_string_member(mo, "name", m->name);
        json_object_set_string_member(mo, "type", type_ref(g, m->type));
        if (m->optional) {
            json_object_set_null_member(mo, "default");
        }
        json_array_add_object_element(members, mo);
    }
    json_object_set_array_member(o, "members", members);
}

static void describe_enum(JsonObject *o, const QAPIType *t)
{
    JsonArray *values = json_array_new();
    JsonArray *members = json_array_new();
    const char *v;

    for (int i = 0; (v = qapi_enum_value(t, i)); i++) {
        JsonObject *mo = json_object_new();
        json_array_add_string_element(values, v);
        json_object_set_string_member(mo, "name", v);
        json_array_add_object_element(members, mo);
    }
    json_object_set_array_member(o, "values", values);
    json_object_set_array_member(o, "members", members);
}

static void describe_type(SchemaGen *g, const QAPIType *t)
{
    static const char *const meta[] = {
        [QAPI_META_BUILTIN] = "builtin", [QAPI_META_ENUM] = "enum",
        [QAPI_META_OBJECT] = "object", [QAPI_META_ARRAY] = "array",
    };
    JsonObject *o = entity(type_ref(g, t), meta[t->meta]);

    switch (t->meta) {
    case QAPI_META_BUILTIN:
        json_object_set_string_member(o, "json-type", t->json_type);
        break;
    case QAPI_META_ENUM:
        describe_enum(o, t);
        break;
    case QAPI_META_OBJECT:
        describe_object(g, o, t);
        break;
    case QAPI_META_ARRAY:
        json_object_set_string_member(o, "element-type",
                                      type_ref(g, t->element));
        break;
    }
    json_array_add_object_element(g->out, o);
}

static const QAPIType *or_empty(const QAPIType *t)
{
    return t ? t : &qapi_empty;
}

QMP_HANDLER(qmp_query_qmp_schema)
{
    SchemaGen g = {
        .out = json_array_new(),
        .names = g_hash_table_new_full(NULL, NULL, NULL, g_free),
        .described = g_hash_table_new(g_str_hash, g_str_equal),
        .pending = g_ptr_array_new(),
    };

    const QmpCommand *c;

    for (size_t i = 0; (c = qmp_command_nth(i)); i++) {
        JsonObject *o = entity(c->name, "command");
        json_object_set_string_member(o, "arg-type",
                                      type_ref(&g, or_empty(c->args)));
        json_object_set_string_member(o, "ret-type", type_ref(&g, c->ret));
        json_array_add_object_element(g.out, o);
    }
    for (size_t i = 0; i < qmp_events_nr; i++) {
        JsonObject *o = entity(qmp_events[i].name, "event");
        json_object_set_string_member(o, "arg-type",
                                      type_ref(&g, or_empty(qmp_events[i].data)));
        json_array_add_object_element(g.out, o);
    }
    /* describing a type may name more: pending grows as we go */
    for (guint i = 0; i < g.pending->len; i++) {
        describe_type(&g, g_ptr_array_index(g.pending, i));
    }
    g_ptr_array_free(g.pending, true);
    g_hash_table_destroy(g.described);
    g_hash_table_destroy(g.names);
    return qmp_node_array(g.out);
}

QMP_HANDLER(qmp_query_commands)
{
    g_autoptr(JsonArray) list = json_array_new();
    const QmpCommand *c;

    for (size_t i = 0; (c = qmp_command_nth(i)); i++) {
        JsonObject *o = json_object_new();
        json_object_set_string_member(o, "name", c->name);
        json_array_add_object_element(list, o);
    }
    return qmp_node_array(g_steal_pointer(&list));
}
