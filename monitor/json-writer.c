/*
 * JSON out, spelled as QEMU spells it: {"a": 1, "b": [true, null]}.
 *
 * Written here rather than with JsonGenerator for two properties clients
 * rely on: every character below 0x20 is escaped, so a message never
 * contains a line break (libvirt splits on "\r\n"), and non-ASCII is
 * \uXXXX like QEMU's, so replies compare byte for byte.  Strings that are
 * not valid UTF-8 (a file name) come out with U+FFFD in place of the bad
 * bytes.
 */
#include "monitor/monitor-internal.h"

#include <math.h>

static void append_uescape(GString *out, gunichar c)
{
    if (c > 0xFFFF) {
        /* UTF-16 surrogate pair */
        c -= 0x10000;
        g_string_append_printf(out, "\\u%04X\\u%04X",
                               0xD800 | (c >> 10), 0xDC00 | (c & 0x3FF));
    } else {
        g_string_append_printf(out, "\\u%04X", c);
    }
}

static void append_string(GString *out, const char *s)
{
    const char *end = s + strlen(s);

    g_string_append_c(out, '"');
    while (s < end) {
        const char *run = s;
        gunichar c;

        /* printable ASCII needing no escape goes out as one block */
        while (s < end && *s >= 0x20 && *s < 0x7F && *s != '"' && *s != '\\') {
            s++;
        }
        g_string_append_len(out, run, s - run);
        if (s == end) {
            break;
        }
        c = g_utf8_get_char_validated(s, end - s);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            append_uescape(out, 0xFFFD);
            s++;
            continue;
        }
        s = g_utf8_next_char(s);
        switch (c) {
        case '"':  g_string_append(out, "\\\""); break;
        case '\\': g_string_append(out, "\\\\"); break;
        case '\b': g_string_append(out, "\\b"); break;
        case '\f': g_string_append(out, "\\f"); break;
        case '\n': g_string_append(out, "\\n"); break;
        case '\r': g_string_append(out, "\\r"); break;
        case '\t': g_string_append(out, "\\t"); break;
        default:    /* a control character or non-ASCII */
            append_uescape(out, c);
        }
    }
    g_string_append_c(out, '"');
}

static void append_value(GString *out, JsonNode *node)
{
    GType t = json_node_get_value_type(node);
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    double d;

    if (t == G_TYPE_INT64) {
        g_string_append_printf(out, "%" G_GINT64_FORMAT, json_node_get_int(node));
    } else if (t == G_TYPE_BOOLEAN) {
        g_string_append(out, json_node_get_boolean(node) ? "true" : "false");
    } else if (t == G_TYPE_STRING) {
        append_string(out, json_node_get_string(node));
    } else {
        d = json_node_get_double(node);
        /* JSON has no inf/nan; 1e400 parses to inf */
        g_string_append(out, isfinite(d) ?
                        g_ascii_formatd(buf, sizeof(buf), "%.17g", d) : "null");
    }
}

static void newline(GString *out, bool pretty, int level)
{
    if (pretty) {
        g_string_append_c(out, '\n');
        for (int i = 0; i < level; i++) {
            g_string_append(out, "    ");
        }
    }
}

static void append_node(GString *out, JsonNode *node, bool pretty, int level);

static void append_object(GString *out, JsonObject *obj, bool pretty,
                          int level)
{
    JsonObjectIter iter;
    const char *name;
    JsonNode *member;
    bool first = true;

    g_string_append_c(out, '{');
    json_object_iter_init_ordered(&iter, obj);
    while (json_object_iter_next_ordered(&iter, &name, &member)) {
        g_string_append(out, first ? "" : pretty ? "," : ", ");
        newline(out, pretty, level + 1);
        append_string(out, name);
        g_string_append(out, ": ");
        append_node(out, member, pretty, level + 1);
        first = false;
    }
    if (!first) {
        newline(out, pretty, level);
    }
    g_string_append_c(out, '}');
}

static void append_array(GString *out, JsonArray *arr, bool pretty, int level)
{
    guint n = json_array_get_length(arr);

    g_string_append_c(out, '[');
    for (guint i = 0; i < n; i++) {
        g_string_append(out, i == 0 ? "" : pretty ? "," : ", ");
        newline(out, pretty, level + 1);
        append_node(out, json_array_get_element(arr, i), pretty, level + 1);
    }
    if (n) {
        newline(out, pretty, level);
    }
    g_string_append_c(out, ']');
}

static void append_node(GString *out, JsonNode *node, bool pretty, int level)
{
    switch (JSON_NODE_TYPE(node)) {
    case JSON_NODE_OBJECT:
        append_object(out, json_node_get_object(node), pretty, level);
        break;
    case JSON_NODE_ARRAY:
        append_array(out, json_node_get_array(node), pretty, level);
        break;
    case JSON_NODE_VALUE:
        append_value(out, node);
        break;
    case JSON_NODE_NULL:
        g_string_append(out, "null");
        break;
    }
}

void json_append(GString *out, JsonNode *node, bool pretty)
{
    append_node(out, node, pretty, 0);
}
