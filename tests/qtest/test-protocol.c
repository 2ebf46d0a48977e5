/*
 * The qtest protocol itself: replies to bad input, limits, the clock
 * commands, memory commands, and that no bad command kills the server.
 * Reply texts follow QEMU's system/qtest.c, except where qkvm answers a
 * malformed command with "ERR ..." (QEMU asserts).
 */
#include "libqtest.h"

#include <string.h>

/* The server must still answer a valid command. */
static void assert_alive(QTestState *s)
{
    g_autofree char *r = qtest_raw(s, "endianness");

    g_assert_cmpstr(r, ==, "OK little");
}

static void assert_reply(QTestState *s, const char *cmd, const char *want)
{
    g_autofree char *r = qtest_raw(s, cmd);

    g_test_message("'%s' -> '%s'", cmd, r);
    g_assert_cmpstr(r, ==, want);
    assert_alive(s);
}

/*
 * A bad command gets exactly one reply, starting with "ERR", and the
 * server goes on.  The command is followed by "endianness" so that any
 * extra reply line shows up before "OK little" instead of confusing
 * later commands.
 */
static void assert_err(QTestState *s, const char *cmd)
{
    g_autoptr(GPtrArray) replies = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *joined = NULL;

    qtest_sendf(s, "%s\nendianness", cmd);
    for (;;) {
        char *r = qtest_recv_line(s);

        if (strcmp(r, "OK little") == 0) {
            g_free(r);
            break;
        }
        g_ptr_array_add(replies, r);
    }
    g_ptr_array_add(replies, NULL);
    joined = g_strjoinv("' + '", (char **)replies->pdata);
    g_test_message("'%s' -> '%s'", cmd, joined);
    g_assert_cmpuint(replies->len - 1, >=, 1);
    if (!g_str_has_prefix(replies->pdata[0], "ERR")) {
        g_error("'%s': expected an ERR reply, got '%s'", cmd,
                (char *)replies->pdata[0]);
    }
    if (replies->len - 1 != 1) {
        g_error("'%s': got %u replies ('%s'), expected one", cmd,
                replies->len - 1, joined);
    }
}

static void test_unknown_command(void)
{
    QTestState *s = qtest_init(NULL);

    assert_reply(s, "x", "FAIL Unknown command 'x'");
    assert_reply(s, "frobnicate 1 2", "FAIL Unknown command 'frobnicate'");
    qtest_quit(s);
}

static void test_malformed_numbers(void)
{
    QTestState *s = qtest_init(NULL);
    static const char *const cmds[] = {
        "outb zz 1",
        "outb 0x3f8 zz",
        "outb 0x3f8",
        "inb",
        "inb 0xzz",
        "inl 12abc",
        "readb",
        "readl nope",
        "writeb 0x1000 notanumber",
        "writeq 0x1000",
        "read 0x1000 zz",
        "write 0x1000 2 0xzzzz",
        "write 0x1000 2 1234",
        "memset 0x1000 16 x",
        "memset 0x1000 zz 1",
        "clock_step abc",
        "clock_step -5",
        "clock_set",
        "clock_set 1e9",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cmds); i++) {
        assert_err(s, cmds[i]);
    }
    qtest_quit(s);
}

/* Ports stop at 0xffff; one transfer moves at most 256 MiB, and not 0. */
static void test_limits(void)
{
    QTestState *s = qtest_init(NULL);

    assert_err(s, "outb 0x10000 0");
    assert_err(s, "inw 0x10000");
    assert_err(s, "read 0x0 0x20000000");
    assert_err(s, "read 0x0 0");
    assert_err(s, "memset 0x0 0x20000000 0");
    assert_err(s, "write 0x0 0x20000000 0x00");
    /* the largest port still works */
    assert_reply(s, "inb 0xffff", "OK 0x00ff");
    qtest_quit(s);
}

static void test_endianness(void)
{
    QTestState *s = qtest_init(NULL);

    assert_reply(s, "endianness", "OK little");
    qtest_quit(s);
}

/* The virtual clock only moves forward; clock_set backwards says where it is. */
static void test_clock(void)
{
    QTestState *s = qtest_init(NULL);
    g_autofree char *want = NULL;
    g_autofree char *back = NULL;
    int64_t now;

    now = qtest_clock_step(s, 1000);
    g_assert_cmpint(now, >=, 1000);
    g_assert_cmpint(qtest_clock_set(s, now + 5000), ==, now + 5000);
    now += 5000;
    want = g_strdup_printf("FAIL %" G_GINT64_FORMAT, now);
    back = g_strdup_printf("clock_set %" G_GINT64_FORMAT, now - 1);
    assert_reply(s, back, want);
    g_assert_cmpint(qtest_clock_step(s, 1), ==, now + 1);
    qtest_quit(s);
}

/*
 * "clock_step" without a value goes to the next timer deadline (the pc
 * machine always has one: the RTC's update cycle, at most 1 s away);
 * with no timer armed at all (the none machine) it fails, as in QEMU.
 */
static void test_clock_step_to_deadline(void)
{
    QTestState *s = qtest_init(NULL);
    g_autofree char *r = qtest_raw(s, "clock_step");
    int64_t now;

    g_test_message("'clock_step' -> '%s'", r);
    g_assert_true(g_str_has_prefix(r, "OK "));
    now = g_ascii_strtoll(r + 3, NULL, 10);
    g_assert_cmpint(now, >, 0);
    g_assert_cmpint(now, <=, 1000 * 1000 * 1000);
    g_assert_cmpint(qtest_clock_step(s, 1), ==, now + 1);
    qtest_quit(s);

    s = qtest_init("-machine none");
    assert_reply(s, "clock_step", "FAIL cannot advance clock to the next "
                 "deadline because there is no pending deadline");
    g_assert_cmpint(qtest_clock_step(s, 10), ==, 10);
    qtest_quit(s);
}

/* Memory commands agree with each other and are little-endian. */
static void test_memory(void)
{
    QTestState *s = qtest_init(NULL);
    uint8_t buf[8];
    static const uint8_t pattern[] = { 0xde, 0xad, 0xbe, 0xef, 0x01 };

    qtest_writel(s, 0x1000, 0x11223344);
    g_assert_cmphex(qtest_readb(s, 0x1000), ==, 0x44);
    g_assert_cmphex(qtest_readw(s, 0x1002), ==, 0x1122);
    qtest_writeq(s, 0x1008, 0x0102030405060708ULL);
    g_assert_cmphex(qtest_readq(s, 0x1008), ==, 0x0102030405060708ULL);
    qtest_memread(s, 0x1008, buf, 8);
    g_assert_cmphex(buf[0], ==, 0x08);
    g_assert_cmphex(buf[7], ==, 0x01);

    qtest_memwrite(s, 0x2001, pattern, sizeof(pattern));
    g_assert_cmphex(qtest_readl(s, 0x2001), ==, 0xefbeadde);
    qtest_memset(s, 0x2000, 0x5a, 8);
    qtest_memread(s, 0x2000, buf, 8);
    for (int i = 0; i < 8; i++) {
        g_assert_cmphex(buf[i], ==, 0x5a);
    }

    /* base64 variants, with the same data */
    assert_reply(s, "b64write 0x3000 3 AQID", "OK");
    g_assert_cmphex(qtest_readl(s, 0x3000) & 0xffffff, ==, 0x030201);
    assert_reply(s, "b64read 0x3000 3", "OK AQID");
    /* a short hex string is zero-filled to the size */
    assert_reply(s, "write 0x3000 4 0xff", "OK");
    g_assert_cmphex(qtest_readl(s, 0x3000), ==, 0x000000ff);
    qtest_quit(s);
}

/* Interrupt interception names an interrupt controller, nothing else. */
static void test_irq_intercept(void)
{
    QTestState *s = qtest_init(NULL);

    assert_reply(s, "irq_intercept_in /machine/no-such-device",
                 "FAIL Unknown device");
    assert_reply(s, "irq_intercept_in ioapic", "OK");
    /* QEMU's full QOM path for the pc machine */
    assert_reply(s, "irq_intercept_in /machine/i440fx/ioapic", "OK");
    assert_err(s, "irq_intercept_in");
    qtest_quit(s);
}

/* Several commands in one write are answered in order. */
static void test_pipelined(void)
{
    QTestState *s = qtest_init(NULL);
    g_autofree char *r1 = NULL;
    g_autofree char *r2 = NULL;
    g_autofree char *r3 = NULL;

    qtest_sendf(s, "outb 0x3ff 0x42\ninb 0x3ff\nendianness");
    r1 = qtest_recv_line(s);
    r2 = qtest_recv_line(s);
    r3 = qtest_recv_line(s);
    g_assert_cmpstr(r1, ==, "OK");
    g_assert_cmpstr(r2, ==, "OK 0x0042");
    g_assert_cmpstr(r3, ==, "OK little");
    qtest_quit(s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/protocol/unknown-command", test_unknown_command);
    g_test_add_func("/protocol/malformed-numbers", test_malformed_numbers);
    g_test_add_func("/protocol/limits", test_limits);
    g_test_add_func("/protocol/endianness", test_endianness);
    g_test_add_func("/protocol/clock", test_clock);
    g_test_add_func("/protocol/clock-step-to-deadline",
                    test_clock_step_to_deadline);
    g_test_add_func("/protocol/memory", test_memory);
    g_test_add_func("/protocol/irq-intercept", test_irq_intercept);
    g_test_add_func("/protocol/pipelined", test_pipelined);
    return g_test_run();
}
