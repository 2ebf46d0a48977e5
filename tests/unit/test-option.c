/*
 * The key=value option parser and the size/number parsers.
 */
#include "qemu/option.h"
#include "qemu/error-report.h"

#include <errno.h>

static void test_implied_key(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QemuOpts) o = qemu_opts_parse("isa-debug-exit,iobase=0xf4,iosize=0x04",
                                            "driver", &err);
    uint64_t v;

    g_assert_no_error(err);
    g_assert_cmpstr(qemu_opt_get(o, "driver"), ==, "isa-debug-exit");
    g_assert_true(qemu_opt_get_number(o, "iobase", 0, &v, &err));
    g_assert_cmpuint(v, ==, 0xf4);
    g_assert_true(qemu_opt_get_number(o, "iosize", 0, &v, &err));
    g_assert_cmpuint(v, ==, 4);
    g_assert_true(qemu_opts_check_unused(o, &err));
}

static void test_explicit_first_key(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QemuOpts) o = qemu_opts_parse("cpus=4,sockets=2", "cpus", &err);

    g_assert_cmpstr(qemu_opt_get(o, "cpus"), ==, "4");
    g_assert_cmpstr(qemu_opt_get(o, "sockets"), ==, "2");
}

static void test_escaped_comma_and_bare_key(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QemuOpts) o = qemu_opts_parse("file,path=/tmp/a,,b,append", "backend", &err);
    bool b;

    g_assert_cmpstr(qemu_opt_get(o, "path"), ==, "/tmp/a,b");
    g_assert_true(qemu_opt_get_bool(o, "append", false, &b, &err));
    g_assert_true(b);
}

static void test_plus_minus_features(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QemuOpts) o = qemu_opts_parse("qemu64,+pdcm,-svm,x2apic=off", "model", &err);

    g_assert_cmpuint(o->nr, ==, 4);
    g_assert_cmpstr(o->opts[1].name, ==, "+pdcm");
    g_assert_cmpstr(o->opts[1].value, ==, "on");
    g_assert_cmpstr(o->opts[2].name, ==, "-svm");
    g_assert_cmpstr(qemu_opt_get(o, "x2apic"), ==, "off");
}

static void test_last_duplicate_wins(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QemuOpts) o = qemu_opts_parse("a=1,a=2", NULL, &err);

    g_assert_cmpstr(qemu_opt_get(o, "a"), ==, "2");
    g_assert_true(qemu_opts_check_unused(o, &err));
}

static void test_unused_key_named(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QemuOpts) o = qemu_opts_parse("x,foo=1", "driver", &err);

    qemu_opt_get(o, "driver");
    g_assert_false(qemu_opts_check_unused(o, &err));
    g_assert_cmpstr(err->message, ==, "Invalid parameter 'foo'");
}

static void test_empty_key_rejected(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QemuOpts) o = qemu_opts_parse("=1", NULL, &err);

    g_assert_null(o);
    g_assert_nonnull(err);
}

static void test_bad_bool_and_number(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QemuOpts) o = qemu_opts_parse("b=maybe,n=12x", NULL, &err);
    bool b;
    uint64_t n;

    g_assert_false(qemu_opt_get_bool(o, "b", false, &b, &err));
    g_assert_cmpstr(err->message, ==, "Parameter 'b' expects 'on' or 'off'");
    g_clear_error(&err);
    g_assert_false(qemu_opt_get_number(o, "n", 0, &n, &err));
    g_assert_cmpstr(err->message, ==, "Parameter 'n' expects a number");
}

static void test_strtosz(void)
{
    uint64_t v;

    g_assert_cmpint(qemu_strtosz("512", 'M', &v), ==, 0);
    g_assert_cmpuint(v, ==, 512ULL << 20);
    g_assert_cmpint(qemu_strtosz("512", 'B', &v), ==, 0);
    g_assert_cmpuint(v, ==, 512);
    g_assert_cmpint(qemu_strtosz("1G", 'M', &v), ==, 0);
    g_assert_cmpuint(v, ==, 1ULL << 30);
    g_assert_cmpint(qemu_strtosz("4k", 'M', &v), ==, 0);
    g_assert_cmpuint(v, ==, 4096);
    g_assert_cmpint(qemu_strtosz("1.5G", 'M', &v), ==, 0);
    g_assert_cmpuint(v, ==, 3ULL << 29);
    /* digits only after the point: no exponent (fuzz finding: inf) */
    g_assert_cmpint(qemu_strtosz("1.5e9999G", 'M', &v), ==, -EINVAL);
    g_assert_cmpint(qemu_strtosz("0.5e3K", 'M', &v), ==, -EINVAL);
    g_assert_cmpint(qemu_strtosz("1.25k", 'M', &v), ==, 0);
    g_assert_cmpuint(v, ==, 1280);
    g_assert_cmpint(qemu_strtosz("16E", 'M', &v), ==, -ERANGE);
    g_assert_cmpint(qemu_strtosz("18446744073709551616", 'B', &v), ==, -ERANGE);
    g_assert_cmpint(qemu_strtosz("foo", 'M', &v), ==, -EINVAL);
    g_assert_cmpint(qemu_strtosz("-1", 'M', &v), ==, -EINVAL);
    g_assert_cmpint(qemu_strtosz("", 'M', &v), ==, -EINVAL);
    g_assert_cmpint(qemu_strtosz("1Q", 'M', &v), ==, -EINVAL);
    g_assert_cmpint(qemu_strtosz("1MB", 'M', &v), ==, -EINVAL);
    g_assert_cmpint(qemu_strtosz("1.5", 'B', &v), ==, -EINVAL);
}

static void test_strtou64(void)
{
    uint64_t v;

    g_assert_cmpint(qemu_strtou64("0xf4", &v), ==, 0);
    g_assert_cmpuint(v, ==, 0xf4);
    g_assert_cmpint(qemu_strtou64("010", &v), ==, 0);
    g_assert_cmpuint(v, ==, 8);
    g_assert_cmpint(qemu_strtou64("-1", &v), ==, -EINVAL);
    g_assert_cmpint(qemu_strtou64("1 ", &v), ==, -EINVAL);
    g_assert_cmpint(qemu_strtou64("99999999999999999999", &v), ==, -ERANGE);
}

/* JSON arguments: nested objects become dotted keys (QEMU's keyval),
 * as libvirt's -blockdev {"cache":{"direct":true}} needs; arrays refused. */
static void test_json_nested(void)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(QemuOpts) o = qemu_opts_from_json(
        "{\"driver\":\"file\",\"cache\":{\"direct\":true,\"x\":{\"y\":3}},"
        "\"filename\":\"a,b\"}", &err);
    QemuOpts *bad;

    g_assert_no_error(err);
    g_assert_cmpstr(qemu_opt_get(o, "driver"), ==, "file");
    g_assert_cmpstr(qemu_opt_get(o, "cache.direct"), ==, "on");
    g_assert_cmpstr(qemu_opt_get(o, "cache.x.y"), ==, "3");
    g_assert_cmpstr(qemu_opt_get(o, "filename"), ==, "a,b");
    bad = qemu_opts_from_json("{\"a\":[1,2]}", &err);
    g_assert_null(bad);
    g_assert_nonnull(strstr(err->message, "'a'"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/option/implied-key", test_implied_key);
    g_test_add_func("/option/explicit-first-key", test_explicit_first_key);
    g_test_add_func("/option/escaped-comma-bare-key", test_escaped_comma_and_bare_key);
    g_test_add_func("/option/plus-minus", test_plus_minus_features);
    g_test_add_func("/option/last-duplicate-wins", test_last_duplicate_wins);
    g_test_add_func("/option/unused-key", test_unused_key_named);
    g_test_add_func("/option/empty-key", test_empty_key_rejected);
    g_test_add_func("/option/bad-values", test_bad_bool_and_number);
    g_test_add_func("/option/strtosz", test_strtosz);
    g_test_add_func("/option/strtou64", test_strtou64);
    g_test_add_func("/option/json-nested", test_json_nested);
    return g_test_run();
}
