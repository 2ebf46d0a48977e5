/*
 * -d / -D logging: guest-triggered lines are rate-limited, and the log
 * accounts for every one of them (printed, or counted in a "suppressed"
 * line; the count of the last window is written at exit).
 */
#include "qemu/log.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LINES 250

/* in a subprocess: its exit runs the log's atexit handler */
static void log_lines_and_exit(void)
{
    g_autoptr(GError) err = NULL;

    g_assert_true(qemu_set_log_list("unimp,cpu_reset", &err));
    g_assert_true(qemu_set_log_filename(g_getenv("TEST_LOG_FILE"), &err));
    for (int i = 0; i < LINES; i++) {
        qemu_log_mask(LOG_UNIMP, "guest line %d\n", i);
    }
    /* not guest-triggered: never limited */
    qemu_log_mask(LOG_CPU_RESET, "not limited\n");
    exit(0);
}

static void test_guest_lines_accounted(void)
{
    g_autofree char *dir = g_dir_make_tmp("test-log-XXXXXX", NULL);
    g_autofree char *path = g_build_filename(dir, "log", NULL);
    g_autofree char *text = NULL;
    g_auto(GStrv) lines = NULL;
    unsigned printed = 0, suppressed = 0, other = 0;

    g_assert_nonnull(dir);
    g_setenv("TEST_LOG_FILE", path, TRUE);
    g_test_trap_subprocess("/log/guest-lines-accounted/subprocess", 0,
                           G_TEST_SUBPROCESS_DEFAULT);
    g_test_trap_assert_passed();
    g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
    lines = g_strsplit(text, "\n", -1);
    for (char **l = lines; *l && **l; l++) {
        unsigned n;

        if (g_str_has_prefix(*l, "guest line ")) {
            printed++;
        } else if (sscanf(*l, "%u guest-triggered log messages suppressed",
                          &n) == 1) {
            suppressed += n;
        } else {
            other++;
        }
    }
    /* a whole window's worth first, then every line printed or counted */
    g_assert_cmpuint(printed, >=, QEMU_LOG_GUEST_RATE);
    g_assert_cmpuint(printed + suppressed, ==, LINES);
    g_assert_cmpuint(other, ==, 1);
    g_unlink(path);
    g_rmdir(dir);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/log/guest-lines-accounted",
                    test_guest_lines_accounted);
    g_test_add_func("/log/guest-lines-accounted/subprocess",
                    log_lines_and_exit);
    return g_test_run();
}
