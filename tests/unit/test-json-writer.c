/*
 * The QMP JSON writer (monitor/json-writer.c): strings come out as QEMU
 * writes them (control characters and non-ASCII as \uXXXX, astral
 * characters as surrogate pairs, bad UTF-8 as U+FFFD), so that replies
 * compare byte for byte and never contain a line break.
 */
#include "monitor/monitor-internal.h"

#include <glib.h>
#include <string.h>

static char *write_string(const char *s)
{
    g_autoptr(JsonNode) node = json_node_init_string(json_node_alloc(), s);
    GString *out = g_string_new(NULL);

    json_append(out, node, false);
    return g_string_free(out, FALSE);
}

static void check_string(const char *in, const char *want)
{
    g_autofree char *got = write_string(in);

    g_assert_cmpstr(got, ==, want);
}

static void test_plain(void)
{
    check_string("", "\"\"");
    check_string("query-status", "\"query-status\"");
    check_string(" ~{}[]:,'/", "\" ~{}[]:,'/\"");
}

static void test_escapes(void)
{
    check_string("a\"b\\c", "\"a\\\"b\\\\c\"");
    check_string("\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\"");
    check_string("x\001y\037\177z", "\"x\\u0001y\\u001F\\u007Fz\"");
    /* a run of plain text on either side of every escape survives */
    check_string("ab\"cd\ne", "\"ab\\\"cd\\ne\"");
}

static void test_non_ascii(void)
{
    check_string("caf\xc3\xa9", "\"caf\\u00E9\"");
    check_string("\xe2\x82\xac" "1", "\"\\u20AC1\"");
    /* U+1F600: a UTF-16 surrogate pair */
    check_string("\xf0\x9f\x98\x80", "\"\\uD83D\\uDE00\"");
}

static void test_bad_utf8(void)
{
    /* each bad byte becomes U+FFFD; what follows is kept */
    check_string("a\xff" "b", "\"a\\uFFFDb\"");
    check_string("\xc3", "\"\\uFFFD\"");
    check_string("\xe2\x82" "x", "\"\\uFFFD\\uFFFDx\"");
}

static void test_object(void)
{
    g_autoptr(JsonBuilder) b = json_builder_new();
    g_autoptr(JsonNode) root = NULL;
    g_autoptr(GString) compact = g_string_new(NULL);
    g_autoptr(GString) pretty = g_string_new(NULL);

    json_builder_begin_object(b);
    json_builder_set_member_name(b, "a\"");
    json_builder_add_int_value(b, -1);
    json_builder_set_member_name(b, "b");
    json_builder_begin_array(b);
    json_builder_add_boolean_value(b, TRUE);
    json_builder_add_null_value(b);
    json_builder_add_double_value(b, 0.5);
    json_builder_end_array(b);
    json_builder_end_object(b);
    root = json_builder_get_root(b);

    json_append(compact, root, false);
    g_assert_cmpstr(compact->str, ==,
                    "{\"a\\\"\": -1, \"b\": [true, null, 0.5]}");
    json_append(pretty, root, true);
    g_assert_cmpstr(pretty->str, ==,
                    "{\n    \"a\\\"\": -1,\n    \"b\": [\n        true,\n"
                    "        null,\n        0.5\n    ]\n}");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/json-writer/plain", test_plain);
    g_test_add_func("/json-writer/escapes", test_escapes);
    g_test_add_func("/json-writer/non-ascii", test_non_ascii);
    g_test_add_func("/json-writer/bad-utf8", test_bad_utf8);
    g_test_add_func("/json-writer/object", test_object);
    return g_test_run();
}
