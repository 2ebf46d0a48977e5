/*
 * Small ISA devices: isa-debug-exit (a write of V exits with status
 * (V << 1) | 1), isa-debugcon (bytes to a chardev, reads return the
 * readback value 0xe9) and the i8042's reset line.
 */
#include "libqtest.h"

#include <glib/gstdio.h>
#include <unistd.h>

#define DEBUG_EXIT_ARGS "-device isa-debug-exit,iobase=0xf4,iosize=0x04"
#define DEBUG_EXIT_PORT 0xf4
#define DEBUGCON_PORT   0xe9
#define KBD_DATA        0x60
#define KBD_STATUS      0x64
#define KBD_CMD_RESET   0xfe
#define KBD_STAT_OBF    0x01
#define KBD_STAT_IBF    0x02
#define COM1_SCR        0x3ff

/* The write's reply may or may not come before the exit: don't wait for it. */
static void debug_exit_case(const char *cmd, int expected_status)
{
    QTestState *s = qtest_init(DEBUG_EXIT_ARGS);

    g_assert_cmphex(qtest_inb(s, 0x3ff), ==, 0);  /* the VMM is up */
    qtest_sendf(s, "%s", cmd);
    qtest_wait_exit(s, expected_status);
}

static void test_debug_exit_0x10(void)
{
    debug_exit_case("outb 0xf4 0x10", 0x21);
}

static void test_debug_exit_zero(void)
{
    debug_exit_case("outb 0xf4 0x0", 1);
}

/* Any port of the device's range, any width: only the value counts. */
static void test_debug_exit_wide(void)
{
    debug_exit_case("outw 0xf6 0x3", 7);
}

/* Without the device nothing listens at 0xf4: the VMM goes on. */
static void test_debug_exit_absent(void)
{
    QTestState *s = qtest_init(NULL);

    qtest_outb(s, DEBUG_EXIT_PORT, 0x10);
    g_assert_cmphex(qtest_inb(s, DEBUG_EXIT_PORT), ==, 0xff);
    qtest_quit(s);
}

static void test_debugcon(void)
{
    g_autoptr(GError) err = NULL;
    g_autofree char *path = NULL;
    g_autofree char *out = NULL;
    QTestState *s;
    gsize len;
    int fd;

    fd = g_file_open_tmp("qtest-debugcon-XXXXXX", &path, &err);
    g_assert_no_error(err);
    close(fd);
    s = qtest_initf("-chardev file,id=dbg,path=%s "
                    "-device isa-debugcon,iobase=0xe9,chardev=dbg", path);
    g_assert_cmphex(qtest_inb(s, DEBUGCON_PORT), ==, 0xe9);
    for (const char *p = "debug\n"; *p; p++) {
        qtest_outb(s, DEBUGCON_PORT, *p);
    }
    qtest_quit(s);

    g_assert_true(g_file_get_contents(path, &out, &len, &err));
    g_assert_cmpmem(out, len, "debug\n", 6);
    g_unlink(path);
}

/*
 * The i8042 with nothing behind it: no output byte waiting, input buffer
 * free; command 0xfe pulses the reset line and the machine resets
 * (checked on a COM1 register that reset clears; the reset happens on the
 * main loop, so poll).
 */
static void test_i8042_reset(void)
{
    QTestState *s = qtest_init(NULL);
    bool reset = false;

    g_assert_cmphex(qtest_inb(s, KBD_STATUS) & (KBD_STAT_OBF | KBD_STAT_IBF),
                    ==, 0);
    qtest_outb(s, COM1_SCR, 0x77);
    qtest_outb(s, KBD_STATUS, KBD_CMD_RESET);
    for (int i = 0; i < 200 && !reset; i++) {
        reset = qtest_inb(s, COM1_SCR) == 0;
        if (!reset) {
            g_usleep(10 * 1000);
        }
    }
    g_assert_true(reset);
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/debug-exit/0x10", test_debug_exit_0x10);
    g_test_add_func("/debug-exit/zero", test_debug_exit_zero);
    g_test_add_func("/debug-exit/wide", test_debug_exit_wide);
    g_test_add_func("/debug-exit/absent", test_debug_exit_absent);
    g_test_add_func("/debugcon/output", test_debugcon);
    g_test_add_func("/i8042/reset", test_i8042_reset);
    return g_test_run();
}
