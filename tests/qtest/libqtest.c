/*
 * libqtest: a small client for the qtest line protocol (see libqtest.h).
 *
 * The VMM runs as a child process; we write commands to its stdin and
 * read its stdout.  All pipe I/O is non-blocking with a deadline, so a
 * VMM that hangs or dies fails the test with a message instead of
 * hanging the test run until meson's timeout.
 */
#include "libqtest.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define QTEST_MAX_IRQ       256
#define QTEST_MAX_CHILDREN  32
#define DEFAULT_TIMEOUT_S   10

struct QTestState {
    pid_t pid;              /* 0 once reaped */
    int wstatus;            /* valid once reaped */
    int to_vmm;             /* the VMM's stdin */
    int from_vmm;           /* the VMM's stdout */
    GString *rx;            /* received bytes not yet split into lines */
    char *last_cmd;         /* for failure messages */
    bool irq_level[QTEST_MAX_IRQ];
};

/*
 * VMMs still running, for the SIGABRT handler: a failed assertion must
 * not leave them behind.  Plain pids in a fixed array are what a signal
 * handler can safely read.
 */
static volatile pid_t live_children[QTEST_MAX_CHILDREN];

static void kill_children_on_abort(int sig)
{
    for (int i = 0; i < QTEST_MAX_CHILDREN; i++) {
        if (live_children[i] > 0) {
            kill(live_children[i], SIGKILL);
        }
    }
    /* returning lets abort() go on to kill us with the default action */
}

static void install_process_handlers(void)
{
    static bool done;
    struct sigaction sa = { 0 };

    if (done) {
        return;
    }
    done = true;
    /* a write to a VMM that died must be an error, not our death */
    signal(SIGPIPE, SIG_IGN);
    sa.sa_handler = kill_children_on_abort;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGABRT, &sa, NULL);
}

static void track_child(pid_t pid, bool alive)
{
    for (int i = 0; i < QTEST_MAX_CHILDREN; i++) {
        if (alive ? live_children[i] == 0 : live_children[i] == pid) {
            live_children[i] = alive ? pid : 0;
            return;
        }
    }
    g_assert(!alive);   /* more than QTEST_MAX_CHILDREN VMMs at once */
}

static int timeout_seconds(void)
{
    const char *env = g_getenv("QTEST_TIMEOUT");
    int t = env ? atoi(env) : 0;

    return t > 0 ? t : DEFAULT_TIMEOUT_S;
}

static gint64 deadline_after(int seconds)
{
    return g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
}

/* Milliseconds left until deadline, for poll(); 0 once it has passed. */
static int ms_left(gint64 deadline)
{
    gint64 left = deadline - g_get_monotonic_time();

    return left > 0 ? (int)((left + 999) / 1000) : 0;
}

/* ---- child process ---------------------------------------------------- */

static void describe_status(GString *out, int wstatus)
{
    if (WIFEXITED(wstatus)) {
        g_string_append_printf(out, "exited with status %d",
                               WEXITSTATUS(wstatus));
    } else if (WIFSIGNALED(wstatus)) {
        g_string_append_printf(out, "killed by signal %d (%s)",
                               WTERMSIG(wstatus), g_strsignal(WTERMSIG(wstatus)));
    } else {
        g_string_append_printf(out, "wait status 0x%x", wstatus);
    }
}

/* Reap the child if it has exited; true once it is gone. */
static bool try_reap(QTestState *s)
{
    pid_t r;

    if (s->pid == 0) {
        return true;
    }
    do {
        r = waitpid(s->pid, &s->wstatus, WNOHANG);
    } while (r < 0 && errno == EINTR);
    if (r == s->pid) {
        track_child(s->pid, false);
        s->pid = 0;
        return true;
    }
    return false;
}

static void kill_and_reap(QTestState *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGKILL);
        while (waitpid(s->pid, &s->wstatus, 0) < 0 && errno == EINTR) {
            /* retry */
        }
        track_child(s->pid, false);
        s->pid = 0;
    }
}

static bool wait_for_exit(QTestState *s, int seconds);

/*
 * Fail the running test.  The VMM is killed first (after noting whether
 * it had already died, which is usually the real story).
 */
static void G_GNUC_PRINTF(2, 3) G_GNUC_NORETURN
qtest_fail(QTestState *s, const char *fmt, ...)
{
    g_autoptr(GString) msg = g_string_new("qtest: ");
    va_list ap;

    va_start(ap, fmt);
    g_string_append_vprintf(msg, fmt, ap);
    va_end(ap);
    if (s->last_cmd) {
        g_string_append_printf(msg, " (last command: '%s')", s->last_cmd);
    }
    /* a VMM that closed the channel is usually exiting: give it a moment */
    if (try_reap(s) || wait_for_exit(s, 1)) {
        g_string_append(msg, "; the VMM had ");
        describe_status(msg, s->wstatus);
    } else {
        kill_and_reap(s);
    }
    g_error("%s", msg->str);
}

static void child_setup(gpointer data)
{
    /* never outlive the test program, even if it is killed outright */
    prctl(PR_SET_PDEATHSIG, SIGKILL);
}

static void set_nonblocking(int fd)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        g_error("qtest: cannot make a pipe non-blocking: %s",
                g_strerror(errno));
    }
}

QTestState *qtest_init(const char *extra_args)
{
    const char *binary = g_getenv("QTEST_QEMU_BINARY");
    g_autoptr(GPtrArray) argv = g_ptr_array_new();
    g_auto(GStrv) extra = NULL;
    g_autoptr(GError) err = NULL;
    QTestState *s;
    GPid pid;
    int in_fd, out_fd;

    if (!binary) {
        g_error("qtest: QTEST_QEMU_BINARY must name the VMM to test");
    }
    if (extra_args && *extra_args &&
        !g_shell_parse_argv(extra_args, NULL, &extra, &err)) {
        g_error("qtest: bad arguments '%s': %s", extra_args, err->message);
    }
    install_process_handlers();

    g_ptr_array_add(argv, (char *)binary);
    for (const char *const *a = (const char *const[]) {
             "-accel", "qtest", "-qtest", "stdio", "-qtest-log", "none",
             "-display", "none", NULL }; *a; a++) {
        g_ptr_array_add(argv, (char *)*a);
    }
    for (char **a = extra; a && *a; a++) {
        g_ptr_array_add(argv, *a);
    }
    g_ptr_array_add(argv, NULL);

    /* stderr is inherited: the VMM's messages land in the test log */
    if (!g_spawn_async_with_pipes(NULL, (char **)argv->pdata, NULL,
                                  G_SPAWN_DO_NOT_REAP_CHILD, child_setup, NULL,
                                  &pid, &in_fd, &out_fd, NULL, &err)) {
        g_error("qtest: cannot start %s: %s", binary, err->message);
    }
    track_child(pid, true);

    s = g_new0(QTestState, 1);
    s->pid = pid;
    s->to_vmm = in_fd;
    s->from_vmm = out_fd;
    s->rx = g_string_new(NULL);
    set_nonblocking(in_fd);
    set_nonblocking(out_fd);
    return s;
}

QTestState *qtest_initf(const char *fmt, ...)
{
    g_autofree char *args = NULL;
    va_list ap;

    va_start(ap, fmt);
    args = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    return qtest_init(args);
}

static void qtest_free(QTestState *s)
{
    if (s->to_vmm >= 0) {
        close(s->to_vmm);
    }
    if (s->from_vmm >= 0) {
        close(s->from_vmm);
    }
    g_string_free(s->rx, TRUE);
    g_free(s->last_cmd);
    g_free(s);
}

/*
 * Wait for the child to exit, reading (and dropping) whatever it still
 * prints so it can never block on a full pipe.  False on timeout.
 */
static bool wait_for_exit(QTestState *s, int seconds)
{
    gint64 deadline = deadline_after(seconds);
    char buf[4096];

    while (!try_reap(s)) {
        struct pollfd pfd = { .fd = s->from_vmm, .events = POLLIN };
        int left = ms_left(deadline);

        if (left == 0) {
            return false;
        }
        /* poll in short slices: the exit itself raises no event */
        if (s->from_vmm >= 0 && poll(&pfd, 1, MIN(left, 10)) > 0) {
            ssize_t n = read(s->from_vmm, buf, sizeof(buf));
            if (n == 0) {
                close(s->from_vmm);     /* EOF: nothing more to drain */
                s->from_vmm = -1;
            }
        } else if (s->from_vmm < 0) {
            g_usleep(MIN(left, 10) * 1000);
        }
    }
    return true;
}

static void check_exit_status(QTestState *s, int expected, const char *why)
{
    if (!WIFEXITED(s->wstatus) || WEXITSTATUS(s->wstatus) != expected) {
        g_autoptr(GString) got = g_string_new(NULL);

        describe_status(got, s->wstatus);
        g_error("qtest: %s: expected exit status %d, the VMM %s",
                why, expected, got->str);
    }
}

void qtest_quit(QTestState *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
    }
    if (!wait_for_exit(s, timeout_seconds())) {
        kill_and_reap(s);
        g_error("qtest: the VMM ignored SIGTERM for %d s; killed",
                timeout_seconds());
    }
    check_exit_status(s, 0, "after SIGTERM");
    qtest_free(s);
}

void qtest_wait_exit(QTestState *s, int expected_status)
{
    /* our end of stdin stays open: EOF must not be what stops it */
    if (!wait_for_exit(s, timeout_seconds())) {
        kill_and_reap(s);
        g_error("qtest: the VMM did not exit within %d s; killed",
                timeout_seconds());
    }
    check_exit_status(s, expected_status, "waiting for the VMM to exit");
    qtest_free(s);
}

/* ---- line protocol ------------------------------------------------------ */

static void write_all(QTestState *s, const char *buf, size_t len)
{
    gint64 deadline = deadline_after(timeout_seconds());

    while (len > 0) {
        struct pollfd pfd = { .fd = s->to_vmm, .events = POLLOUT };
        ssize_t n = write(s->to_vmm, buf, len);

        if (n > 0) {
            buf += n;
            len -= n;
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            qtest_fail(s, "cannot write to the VMM: %s", g_strerror(errno));
        }
        if (ms_left(deadline) == 0) {
            qtest_fail(s, "the VMM stopped reading its input");
        }
        poll(&pfd, 1, ms_left(deadline));
    }
}

void qtest_sendf(QTestState *s, const char *fmt, ...)
{
    va_list ap;
    char *line;

    va_start(ap, fmt);
    line = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_free(s->last_cmd);
    s->last_cmd = line;
    write_all(s, line, strlen(line));
    write_all(s, "\n", 1);
}

/* One line from the VMM, or NULL at EOF; fails the test on timeout. */
static char *read_line(QTestState *s)
{
    gint64 deadline = deadline_after(timeout_seconds());

    for (;;) {
        char *nl = memchr(s->rx->str, '\n', s->rx->len);
        struct pollfd pfd = { .fd = s->from_vmm, .events = POLLIN };
        char buf[4096];
        ssize_t n;

        if (nl) {
            size_t len = nl - s->rx->str;
            char *line = g_strndup(s->rx->str, len);

            g_string_erase(s->rx, 0, len + 1);
            return g_strchomp(line);   /* tolerate "\r\n" */
        }
        n = read(s->from_vmm, buf, sizeof(buf));
        if (n > 0) {
            g_string_append_len(s->rx, buf, n);
            continue;
        }
        if (n == 0) {
            return NULL;
        }
        if (errno != EAGAIN && errno != EINTR) {
            qtest_fail(s, "cannot read from the VMM: %s", g_strerror(errno));
        }
        if (ms_left(deadline) == 0) {
            qtest_fail(s, "no reply within %d s", timeout_seconds());
        }
        poll(&pfd, 1, ms_left(deadline));
    }
}

/* "IRQ raise N" / "IRQ lower N": record it; false for any other line. */
static bool handle_async(QTestState *s, const char *line)
{
    g_auto(GStrv) w = NULL;
    guint64 n;

    if (!g_str_has_prefix(line, "IRQ ")) {
        return false;
    }
    w = g_strsplit(line, " ", 0);
    if (g_strv_length(w) != 3 ||
        (strcmp(w[1], "raise") != 0 && strcmp(w[1], "lower") != 0) ||
        !g_ascii_string_to_unsigned(w[2], 10, 0, QTEST_MAX_IRQ - 1, &n, NULL)) {
        qtest_fail(s, "malformed interrupt line '%s'", line);
    }
    s->irq_level[n] = w[1][0] == 'r';
    return true;
}

char *qtest_recv_line(QTestState *s)
{
    for (;;) {
        char *line = read_line(s);

        if (!line) {
            qtest_fail(s, "the VMM closed the qtest channel");
        }
        if (!handle_async(s, line)) {
            return line;
        }
        g_free(line);
    }
}

char *qtest_raw(QTestState *s, const char *cmd)
{
    qtest_sendf(s, "%s", cmd);
    return qtest_recv_line(s);
}

/* The reply's words; the test fails unless it is "OK [...]". */
static GStrv qtest_rsp(QTestState *s)
{
    g_autofree char *line = qtest_recv_line(s);

    if (strcmp(line, "OK") != 0 && !g_str_has_prefix(line, "OK ")) {
        qtest_fail(s, "unexpected reply '%s'", line);
    }
    return g_strsplit(line, " ", 0);
}

static void qtest_rsp_ok(QTestState *s)
{
    g_auto(GStrv) w = qtest_rsp(s);
}

/* "OK <number>": the number, in the base its text says (0x... or decimal). */
static uint64_t qtest_rsp_u64(QTestState *s)
{
    g_auto(GStrv) w = qtest_rsp(s);
    guint64 v;
    int base = 10;
    const char *p;

    if (!w[1]) {
        qtest_fail(s, "reply without a value");
    }
    p = w[1];
    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!g_ascii_string_to_unsigned(p, base, 0, G_MAXUINT64, &v, NULL)) {
        qtest_fail(s, "bad value '%s' in reply", w[1]);
    }
    return v;
}

static int64_t qtest_rsp_i64(QTestState *s)
{
    g_auto(GStrv) w = qtest_rsp(s);
    gint64 v;

    if (!w[1] || !g_ascii_string_to_signed(w[1], 10, G_MININT64, G_MAXINT64,
                                           &v, NULL)) {
        qtest_fail(s, "reply without a clock value");
    }
    return v;
}

/* ---- port I/O -------------------------------------------------------- */

static void qtest_out(QTestState *s, const char *cmd, uint16_t addr,
                      uint32_t value)
{
    qtest_sendf(s, "%s 0x%x 0x%x", cmd, addr, value);
    qtest_rsp_ok(s);
}

static uint32_t qtest_in(QTestState *s, const char *cmd, uint16_t addr)
{
    qtest_sendf(s, "%s 0x%x", cmd, addr);
    return qtest_rsp_u64(s);
}

void qtest_outb(QTestState *s, uint16_t addr, uint8_t value)
{
    qtest_out(s, "outb", addr, value);
}

void qtest_outw(QTestState *s, uint16_t addr, uint16_t value)
{
    qtest_out(s, "outw", addr, value);
}

void qtest_outl(QTestState *s, uint16_t addr, uint32_t value)
{
    qtest_out(s, "outl", addr, value);
}

uint8_t qtest_inb(QTestState *s, uint16_t addr)
{
    return qtest_in(s, "inb", addr);
}

uint16_t qtest_inw(QTestState *s, uint16_t addr)
{
    return qtest_in(s, "inw", addr);
}

uint32_t qtest_inl(QTestState *s, uint16_t addr)
{
    return qtest_in(s, "inl", addr);
}

/* ---- guest memory -------------------------------------------------------- */

static void qtest_write(QTestState *s, const char *cmd, uint64_t addr,
                        uint64_t value)
{
    qtest_sendf(s, "%s 0x%" PRIx64 " 0x%" PRIx64, cmd, addr, value);
    qtest_rsp_ok(s);
}

static uint64_t qtest_read(QTestState *s, const char *cmd, uint64_t addr)
{
    qtest_sendf(s, "%s 0x%" PRIx64, cmd, addr);
    return qtest_rsp_u64(s);
}

void qtest_writeb(QTestState *s, uint64_t addr, uint8_t value)
{
    qtest_write(s, "writeb", addr, value);
}

void qtest_writew(QTestState *s, uint64_t addr, uint16_t value)
{
    qtest_write(s, "writew", addr, value);
}

void qtest_writel(QTestState *s, uint64_t addr, uint32_t value)
{
    qtest_write(s, "writel", addr, value);
}

void qtest_writeq(QTestState *s, uint64_t addr, uint64_t value)
{
    qtest_write(s, "writeq", addr, value);
}

uint8_t qtest_readb(QTestState *s, uint64_t addr)
{
    return qtest_read(s, "readb", addr);
}

uint16_t qtest_readw(QTestState *s, uint64_t addr)
{
    return qtest_read(s, "readw", addr);
}

uint32_t qtest_readl(QTestState *s, uint64_t addr)
{
    return qtest_read(s, "readl", addr);
}

uint64_t qtest_readq(QTestState *s, uint64_t addr)
{
    return qtest_read(s, "readq", addr);
}

void qtest_memread(QTestState *s, uint64_t addr, void *data, size_t size)
{
    g_auto(GStrv) w = NULL;
    uint8_t *out = data;
    const char *hex;

    if (size == 0) {
        return;     /* the protocol has no empty read */
    }
    qtest_sendf(s, "read 0x%" PRIx64 " 0x%zx", addr, size);
    w = qtest_rsp(s);
    hex = w[1];
    if (!hex || !g_str_has_prefix(hex, "0x") || strlen(hex) != 2 + 2 * size) {
        qtest_fail(s, "read reply of the wrong length");
    }
    for (size_t i = 0; i < size; i++) {
        int hi = g_ascii_xdigit_value(hex[2 + 2 * i]);
        int lo = g_ascii_xdigit_value(hex[3 + 2 * i]);

        if (hi < 0 || lo < 0) {
            qtest_fail(s, "read reply is not hex");
        }
        out[i] = hi << 4 | lo;
    }
}

void qtest_memwrite(QTestState *s, uint64_t addr, const void *data,
                    size_t size)
{
    g_autoptr(GString) hex = NULL;
    const uint8_t *in = data;

    if (size == 0) {
        return;
    }
    hex = g_string_sized_new(2 * size + 3);
    g_string_append(hex, "0x");
    for (size_t i = 0; i < size; i++) {
        g_string_append_printf(hex, "%02x", in[i]);
    }
    qtest_sendf(s, "write 0x%" PRIx64 " 0x%zx %s", addr, size, hex->str);
    qtest_rsp_ok(s);
}

void qtest_memset(QTestState *s, uint64_t addr, uint8_t pattern, size_t size)
{
    if (size == 0) {
        return;
    }
    qtest_sendf(s, "memset 0x%" PRIx64 " 0x%zx 0x%02x", addr, size, pattern);
    qtest_rsp_ok(s);
}

/* ---- clock and interrupts ------------------------------------------------ */

int64_t qtest_clock_step(QTestState *s, int64_t ns)
{
    qtest_sendf(s, "clock_step %" PRId64, ns);
    return qtest_rsp_i64(s);
}

int64_t qtest_clock_set(QTestState *s, int64_t ns)
{
    qtest_sendf(s, "clock_set %" PRId64, ns);
    return qtest_rsp_i64(s);
}

void qtest_irq_intercept_in(QTestState *s, const char *qom_path)
{
    qtest_sendf(s, "irq_intercept_in %s", qom_path);
    qtest_rsp_ok(s);
}

void qtest_irq_intercept_out(QTestState *s, const char *qom_path)
{
    qtest_sendf(s, "irq_intercept_out %s", qom_path);
    qtest_rsp_ok(s);
}

void qtest_set_irq_in(QTestState *s, const char *qom_path, const char *name,
                      int num, int level)
{
    qtest_sendf(s, "set_irq_in %s %s %d %d", qom_path, name, num, level);
    qtest_rsp_ok(s);
}

bool qtest_get_irq(QTestState *s, int n)
{
    g_assert(n >= 0 && n < QTEST_MAX_IRQ);
    /*
     * A harmless round trip: every IRQ line caused by earlier commands
     * has been read by the time its reply arrives.
     */
    qtest_sendf(s, "endianness");
    qtest_rsp_ok(s);
    return s->irq_level[n];
}

bool qtest_todo_unless(bool ok, const char *fmt, ...)
{
    g_autofree char *msg = NULL;
    va_list ap;

    if (ok) {
        return true;
    }
    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_test_message("TODO (device bug): %s", msg);
    g_test_incomplete(msg);
    return false;
}

void qtest_expect_startup_error(const char *args, const char *msg)
{
    g_autofree char *cmd = g_strdup_printf("%s -accel qtest -display none %s",
                                           g_getenv("QTEST_QEMU_BINARY"),
                                           args);
    g_autofree char *err = NULL;
    int status;

    g_assert_true(g_spawn_command_line_sync(cmd, NULL, &err, &status, NULL));
    g_assert_true(WIFEXITED(status));
    g_assert_cmpint(WEXITSTATUS(status), ==, 1);
    if (!strstr(err, msg)) {
        g_error("expected '%s' in: %s", msg, err);
    }
}
