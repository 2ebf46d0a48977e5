/*
 * Option arguments written as JSON objects, as libvirt writes -object,
 * -device and -audiodev: '{"qom-type":"secret","id":"s0","file":"/k"}'.
 * Converted to the same QemuOpts the key=value form gives, so there is
 * still one consumer per option.
 */
#include "qemu/option.h"
#include "qemu/error-report.h"

#include <json-glib/json-glib.h>

/* s, with ',' doubled.  (No compound literal inside g_string_append:
 * newer glib makes it a macro, which the literal's comma would split.) */
static void append_escaped(GString *kv, const char *s)
{
    for (const char *p = s; *p; p++) {
        if (*p == ',') {
            g_string_append(kv, ",,");
        } else {
            g_string_append_c(kv, *p);
        }
    }
}

/*
 * One object's members as key=value; a nested object's members get the
 * dotted name QEMU's keyval uses ({"cache":{"direct":true}} is
 * cache.direct=on, as libvirt writes -blockdev).
 */
static bool flatten(JsonObject *obj, const char *prefix, GString *kv,
                    GError **errp)
{
    JsonObjectIter it;
    const char *member;
    JsonNode *node;

    json_object_iter_init(&it, obj);
    while (json_object_iter_next(&it, &member, &node)) {
        g_autofree char *name = prefix ? g_strdup_printf("%s.%s", prefix, member)
                                       : g_strdup(member);
        g_autofree char *value = NULL;

        if (JSON_NODE_HOLDS_OBJECT(node)) {
            if (!flatten(json_node_get_object(node), name, kv, errp)) {
                return false;
            }
            continue;
        }
        if (!JSON_NODE_HOLDS_VALUE(node)) {
            error_setg(errp, "Parameter '%s': arrays and null are not "
                       "supported", name);
            return false;
        }
        switch (json_node_get_value_type(node)) {
        case G_TYPE_BOOLEAN:
            value = g_strdup(json_node_get_boolean(node) ? "on" : "off");
            break;
        case G_TYPE_INT64:
            value = g_strdup_printf("%" G_GINT64_FORMAT, json_node_get_int(node));
            break;
        case G_TYPE_STRING:
            value = g_strdup(json_node_get_string(node));
            break;
        default:
            error_setg(errp, "Parameter '%s' has an unsupported type", name);
            return false;
        }
        /* escape ',' so the key=value parser reads the value back whole */
        if (kv->len) {
            g_string_append_c(kv, ',');
        }
        append_escaped(kv, name);
        g_string_append_c(kv, '=');
        append_escaped(kv, value);
    }
    return true;
}

QemuOpts *qemu_opts_from_json(const char *json, GError **errp)
{
    g_autoptr(JsonParser) parser = json_parser_new();
    g_autoptr(GString) kv = g_string_new(NULL);
    GError *jerr = NULL;
    JsonNode *root;

    if (!json_parser_load_from_data(parser, json, -1, &jerr)) {
        error_setg(errp, "JSON parse error, %s", jerr->message);
        g_error_free(jerr);
        return NULL;
    }
    root = json_parser_get_root(parser);
    if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
        error_setg(errp, "JSON option argument must be an object");
        return NULL;
    }
    if (!flatten(json_node_get_object(root), NULL, kv, errp)) {
        return NULL;
    }
    return qemu_opts_parse(kv->str, NULL, errp);
}

QemuOpts *qemu_opts_parse_arg(const char *arg, const char *implied_key,
                              GError **errp)
{
    return arg[0] == '{' ? qemu_opts_from_json(arg, errp)
                         : qemu_opts_parse(arg, implied_key, errp);
}
