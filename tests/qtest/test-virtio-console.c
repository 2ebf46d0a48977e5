/*
 * virtio-serial-pci with a virtconsole port (Virtual I/O Device spec 1.2,
 * 5.3) on a socket chardev the test connects to: configuration, the
 * MULTIPORT control handshake (DEVICE_READY -> PORT_ADD -> PORT_READY ->
 * CONSOLE_PORT, PORT_NAME, PORT_OPEN; unknown ports ignored), guest
 * output reaching the socket, socket input reaching the guest's receive
 * buffers (held while none are posted and until the port is open), port
 * 0 without MULTIPORT, a second port (libvirt's guest-agent
 * virtserialport) beside the console with its own queues, host open/close
 * and QMP VSERPORT_CHANGE (rate-limited as in QEMU), a short control
 * message breaking the device,
 * and the command lines that are refused.
 */
#include "qvirtio.h"

#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define CON_DEVFN     (3 << 3)
#define ALLOC_BASE    0x400000
#define CIN_RAM       0x300000          /* 8 control buffers of 64 bytes */
#define COUT_RAM      0x301000
#define RX_RAM        0x302000          /* 4 receive buffers of 256 bytes */
#define TX_RAM        0x303000
#define CBUF          64
#define RX_BUF        256
#define WAIT_MS       5000
#define F_MULTIPORT   1
#define RX1_RAM       0x304000          /* port 1's, the same way */
#define TX1_RAM       0x305000
#define PORT_NAME     "org.qkvm.console.0"
#define AGENT_NAME    "org.qemu.guest_agent.0"

/* 5.3.6.2 */
enum { DEVICE_READY, DEVICE_ADD, DEVICE_REMOVE, PORT_READY, CONSOLE_PORT,
       RESIZE, PORT_OPEN, PORT_NAME_EV };

typedef struct Con {
    QTestState *s;
    QVirtioDev d;
    QVirtQueue rx, tx, cin, cout, rx1, tx1;
    char *dir, *sock, *sock1, *qmp_sock;
    int fd;                     /* the test's end of chardev con0 */
    int qmp;                    /* -1 until qmp_connect() */
    uint16_t cout_next;
} Con;

static int unix_connect(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

    g_assert_cmpint(fd, >=, 0);
    g_strlcpy(a.sun_path, path, sizeof(a.sun_path));
    g_assert_cmpint(connect(fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    return fd;
}

/*
 * devices: the -device options, with chardevs con0 and ch1 (listening
 * sockets: the test connects to con0 at once, to ch1 when it wants the
 * host side of a port open) and a QMP socket.
 */
static void con_start_with(Con *c, const char *devices)
{
    g_autofree char *args = NULL;

    c->dir = g_dir_make_tmp("qtest-vcon-XXXXXX", NULL);
    c->sock = g_build_filename(c->dir, "con.sock", NULL);
    c->sock1 = g_build_filename(c->dir, "ch1.sock", NULL);
    c->qmp_sock = g_build_filename(c->dir, "qmp.sock", NULL);
    args = g_strdup_printf("-chardev socket,id=con0,path=%s,server=on,"
                           "wait=off -chardev socket,id=ch1,path=%s,"
                           "server=on,wait=off -qmp unix:%s,server=on,"
                           "wait=off %s", c->sock, c->sock1, c->qmp_sock,
                           devices);
    c->s = qtest_init(args);
    /* the first exchange is also the sign the VMM (and socket) is up */
    qvirtio_pci_init(&c->d, c->s, CON_DEVFN, ALLOC_BASE);
    c->fd = unix_connect(c->sock);
    c->qmp = -1;
    c->cout_next = 0;
}

static void con_start(Con *c)
{
    con_start_with(c, "-device virtio-serial-pci,id=vs0,addr=0x3 "
                   "-device virtconsole,chardev=con0,bus=vs0.0,"
                   "name=" PORT_NAME);
}

static void con_stop(Con *c)
{
    qtest_quit(c->s);
    close(c->fd);
    if (c->qmp >= 0) {
        close(c->qmp);
    }
    unlink(c->sock);
    unlink(c->sock1);
    unlink(c->qmp_sock);
    rmdir(c->dir);
    g_free(c->sock);
    g_free(c->sock1);
    g_free(c->qmp_sock);
    g_free(c->dir);
}

/* Negotiate MULTIPORT, set up port 0's and the control queues (and
 * port 1's: queues 4 and 5), post control buffers. */
static void con_driver_ok_ports(Con *c, bool port1)
{
    g_assert_true(qvirtio_negotiate(&c->d, (1ULL << QVIRTIO_F_VERSION_1) |
                                           (1ULL << F_MULTIPORT)));
    qvirtqueue_setup(&c->rx, &c->d, 0, 8, QVIRTIO_NO_VECTOR);
    qvirtqueue_setup(&c->tx, &c->d, 1, 8, QVIRTIO_NO_VECTOR);
    qvirtqueue_setup(&c->cin, &c->d, 2, 8, QVIRTIO_NO_VECTOR);
    qvirtqueue_setup(&c->cout, &c->d, 3, 8, QVIRTIO_NO_VECTOR);
    if (port1) {
        qvirtqueue_setup(&c->rx1, &c->d, 4, 8, QVIRTIO_NO_VECTOR);
        qvirtqueue_setup(&c->tx1, &c->d, 5, 8, QVIRTIO_NO_VECTOR);
    }
    qvirtio_set_status(&c->d, QVIRTIO_S_ACKNOWLEDGE | QVIRTIO_S_DRIVER |
                       QVIRTIO_S_FEATURES_OK | QVIRTIO_S_DRIVER_OK);
    for (uint16_t i = 0; i < 8; i++) {
        qvirtqueue_desc(&c->cin, i, CIN_RAM + i * CBUF, CBUF,
                        QVRING_DESC_F_WRITE, 0);
        qvirtqueue_make_avail(&c->cin, i);
    }
    qvirtqueue_kick(&c->cin);
}

static void con_driver_ok(Con *c)
{
    con_driver_ok_ports(c, false);
}

static void ctrl_out(Con *c, uint32_t id, uint16_t event, uint16_t value,
                     uint32_t len)
{
    uint64_t addr = COUT_RAM + c->cout_next * CBUF;
    uint16_t i = c->cout_next++ % 8;
    uint32_t uid, ulen;

    qtest_writel(c->s, addr, id);
    qtest_writew(c->s, addr + 4, event);
    qtest_writew(c->s, addr + 6, value);
    qvirtqueue_desc(&c->cout, i, addr, len, 0, 0);
    qvirtqueue_make_avail(&c->cout, i);
    qvirtqueue_kick(&c->cout);
    if (len >= 8) {
        g_assert_true(qvirtqueue_wait_used(&c->cout, WAIT_MS, &uid, &ulen));
        g_assert_cmpuint(uid, ==, i);
    }
}

/* The next control message from the device; returns its length. */
static uint32_t ctrl_in(Con *c, uint32_t *id, uint16_t *event,
                        uint16_t *value, char *text)
{
    uint32_t uid, len;
    uint64_t addr;

    g_assert_true(qvirtqueue_wait_used(&c->cin, WAIT_MS, &uid, &len));
    g_assert_cmpuint(len, >=, 8);
    g_assert_cmpuint(len, <=, CBUF);
    addr = CIN_RAM + uid * CBUF;
    *id = qtest_readl(c->s, addr);
    *event = qtest_readw(c->s, addr + 4);
    *value = qtest_readw(c->s, addr + 6);
    if (text) {
        qtest_memread(c->s, addr + 8, text, len - 8);
        text[len - 8] = 0;
    }
    /* the buffer goes back to the device, as a driver's would */
    qvirtqueue_make_avail(&c->cin, uid);
    qvirtqueue_kick(&c->cin);
    return len;
}

static void expect_port_ctrl(Con *c, uint32_t want_id, uint16_t want_event,
                             uint16_t want_value)
{
    uint32_t id;
    uint16_t event, value;

    ctrl_in(c, &id, &event, &value, NULL);
    g_assert_cmpuint(id, ==, want_id);
    g_assert_cmpuint(event, ==, want_event);
    g_assert_cmpuint(value, ==, want_value);
}

static void expect_ctrl(Con *c, uint16_t want_event, uint16_t want_value)
{
    expect_port_ctrl(c, 0, want_event, want_value);
}

/* The next control message is PORT_NAME for port id, carrying name. */
static void expect_port_name(Con *c, uint32_t want_id, const char *name)
{
    uint32_t id;
    uint16_t event, value;
    char text[CBUF];

    g_assert_cmpuint(ctrl_in(c, &id, &event, &value, text), ==,
                     8 + strlen(name));
    g_assert_cmpuint(id, ==, want_id);
    g_assert_cmpuint(event, ==, PORT_NAME_EV);
    g_assert_cmpstr(text, ==, name);
}

/* Everything up to the driver's own PORT_OPEN. */
static void handshake_until_open(Con *c)
{
    uint32_t id;
    uint16_t event, value;
    char name[CBUF];

    con_driver_ok(c);
    ctrl_out(c, 0, DEVICE_READY, 1, 8);
    expect_ctrl(c, DEVICE_ADD, 1);
    ctrl_out(c, 0, PORT_READY, 1, 8);
    expect_ctrl(c, CONSOLE_PORT, 1);
    g_assert_cmpuint(ctrl_in(c, &id, &event, &value, name), ==,
                     8 + strlen(PORT_NAME));
    g_assert_cmpuint(id, ==, 0);
    g_assert_cmpuint(event, ==, PORT_NAME_EV);
    g_assert_cmpstr(name, ==, PORT_NAME);
    expect_ctrl(c, PORT_OPEN, 1);
}

static void handshake(Con *c)
{
    handshake_until_open(c);
    ctrl_out(c, 0, PORT_OPEN, 1, 8);
}

static void post_rx_on(QVirtQueue *vq, uint64_t base, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        qvirtqueue_desc(vq, i, base + i * RX_BUF, RX_BUF,
                        QVRING_DESC_F_WRITE, 0);
        qvirtqueue_make_avail(vq, i);
    }
    qvirtqueue_kick(vq);
}

static void post_rx(Con *c, uint16_t n)
{
    post_rx_on(&c->rx, RX_RAM, n);
}

static void test_config(void)
{
    Con c;

    con_start(&c);
    /* 0x1040 + 3, class: communication, other */
    g_assert_cmphex(qpci_config_read(c.s, CON_DEVFN, 0, 4), ==, 0x10431af4);
    g_assert_cmphex(qpci_config_read(c.s, CON_DEVFN, 0x0a, 2), ==, 0x0780);
    g_assert_true(qvirtio_device_features(&c.d) & (1ULL << F_MULTIPORT));
    /* max_nr_ports: QEMU's default */
    g_assert_cmpuint(qtest_readl(c.s, c.d.device + 4), ==, 31);
    con_stop(&c);
}

static void test_handshake(void)
{
    Con c;

    con_start(&c);
    handshake(&c);
    /* a port that does not exist, twice: ignored (one warning), no reply */
    ctrl_out(&c, 5, PORT_READY, 1, 8);
    ctrl_out(&c, 5, PORT_OPEN, 1, 8);
    g_assert_cmpuint(qvirtio_get_status(&c.d) & QVIRTIO_S_NEEDS_RESET, ==, 0);
    g_assert_cmpuint(qtest_readw(c.s, c.cin.used + 2), ==, 4);
    con_stop(&c);
}

static bool read_exact(int fd, char *buf, size_t len)
{
    size_t got = 0;

    while (got < len) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, WAIT_MS) <= 0) {
            return false;
        }
        n = read(fd, buf + got, len - got);
        if (n <= 0) {
            return false;
        }
        got += n;
    }
    return true;
}

/* Guest output: two buffers of one chain reach the chardev in order. */
static void test_output(void)
{
    static const char a[] = "hello ", b[] = "hvc0\n";
    char got[sizeof(a) + sizeof(b)] = { 0 };
    uint32_t id, len;
    Con c;

    con_start(&c);
    handshake(&c);
    qtest_memwrite(c.s, TX_RAM, a, strlen(a));
    qtest_memwrite(c.s, TX_RAM + 64, b, strlen(b));
    qvirtqueue_desc(&c.tx, 0, TX_RAM, strlen(a), QVRING_DESC_F_NEXT, 1);
    qvirtqueue_desc(&c.tx, 1, TX_RAM + 64, strlen(b), 0, 0);
    qvirtqueue_make_avail(&c.tx, 0);
    qvirtqueue_kick(&c.tx);
    g_assert_true(qvirtqueue_wait_used(&c.tx, WAIT_MS, &id, &len));
    g_assert_cmpuint(id, ==, 0);
    g_assert_true(read_exact(c.fd, got, strlen(a) + strlen(b)));
    g_assert_cmpstr(got, ==, "hello hvc0\n");
    con_stop(&c);
}

/* Host input: written before any receive buffer is posted, it waits,
 * then fills the first buffer the driver posts. */
static void test_input(void)
{
    static const char typed[] = "root\n";
    char got[RX_BUF] = { 0 };
    uint32_t id, len;
    Con c;

    con_start(&c);
    handshake(&c);
    g_assert_cmpint(write(c.fd, typed, strlen(typed)), ==, strlen(typed));
    /* no buffer yet: nothing can be used; give the main loop a moment */
    g_usleep(100 * 1000);
    g_assert_false(qvirtqueue_wait_used(&c.rx, 100, &id, &len));
    post_rx(&c, 4);
    g_assert_true(qvirtqueue_wait_used(&c.rx, WAIT_MS, &id, &len));
    g_assert_cmpuint(id, ==, 0);
    g_assert_cmpuint(len, ==, strlen(typed));
    qtest_memread(c.s, RX_RAM, got, len);
    g_assert_cmpstr(got, ==, typed);

    /* with buffers posted, input goes straight in */
    g_assert_cmpint(write(c.fd, "ls\n", 3), ==, 3);
    g_assert_true(qvirtqueue_wait_used(&c.rx, WAIT_MS, &id, &len));
    g_assert_cmpuint(id, ==, 1);
    g_assert_cmpuint(len, ==, 3);
    qtest_memread(c.s, RX_RAM + RX_BUF, got, len);
    g_assert_cmpmem(got, 3, "ls\n", 3);
    con_stop(&c);
}

/* Host input before the driver opened the port stays in the chardev,
 * though receive buffers are posted; PORT_OPEN lets it in. */
static void test_input_waits_for_open(void)
{
    char got[RX_BUF] = { 0 };
    uint32_t id, len;
    Con c;

    con_start(&c);
    handshake_until_open(&c);
    post_rx(&c, 4);
    g_assert_cmpint(write(c.fd, "early\n", 6), ==, 6);
    g_usleep(100 * 1000);
    g_assert_false(qvirtqueue_wait_used(&c.rx, 100, &id, &len));
    ctrl_out(&c, 0, PORT_OPEN, 1, 8);
    g_assert_true(qvirtqueue_wait_used(&c.rx, WAIT_MS, &id, &len));
    g_assert_cmpuint(len, ==, 6);
    qtest_memread(c.s, RX_RAM + id * RX_BUF, got, len);
    g_assert_cmpstr(got, ==, "early\n");
    con_stop(&c);
}

/* Without MULTIPORT port 0 is all there is: queues 0 and 1, no control
 * messages, open once the driver is. */
static void test_single_port(void)
{
    char got[RX_BUF] = { 0 };
    uint32_t id, len;
    Con c;

    con_start(&c);
    g_assert_true(qvirtio_negotiate(&c.d, 1ULL << QVIRTIO_F_VERSION_1));
    qvirtqueue_setup(&c.rx, &c.d, 0, 8, QVIRTIO_NO_VECTOR);
    qvirtqueue_setup(&c.tx, &c.d, 1, 8, QVIRTIO_NO_VECTOR);
    qvirtio_set_status(&c.d, QVIRTIO_S_ACKNOWLEDGE | QVIRTIO_S_DRIVER |
                       QVIRTIO_S_FEATURES_OK | QVIRTIO_S_DRIVER_OK);
    post_rx(&c, 4);
    g_assert_cmpint(write(c.fd, "in\n", 3), ==, 3);
    g_assert_true(qvirtqueue_wait_used(&c.rx, WAIT_MS, &id, &len));
    g_assert_cmpuint(len, ==, 3);
    qtest_memread(c.s, RX_RAM + id * RX_BUF, got, len);
    g_assert_cmpstr(got, ==, "in\n");

    qtest_memwrite(c.s, TX_RAM, "out\n", 4);
    qvirtqueue_desc(&c.tx, 0, TX_RAM, 4, 0, 0);
    qvirtqueue_make_avail(&c.tx, 0);
    qvirtqueue_kick(&c.tx);
    g_assert_true(qvirtqueue_wait_used(&c.tx, WAIT_MS, &id, &len));
    memset(got, 0, sizeof(got));
    g_assert_true(read_exact(c.fd, got, 4));
    g_assert_cmpstr(got, ==, "out\n");
    con_stop(&c);
}

/* The JSON form libvirt 9.0 writes for <console type='pty'><target
 * type='virtio'/> (virtconsole without bus or name): port 0 is a
 * console, and its output reaches the chardev. */
static void test_libvirt_form(void)
{
    char got[8] = { 0 };
    uint32_t id, len;
    Con c;

    con_start_with(&c, "-device '{\"driver\":\"virtio-serial-pci\","
                   "\"id\":\"virtio-serial0\",\"bus\":\"pci.0\","
                   "\"addr\":\"0x3\"}' -device '{\"driver\":"
                   "\"virtconsole\",\"chardev\":\"con0\","
                   "\"id\":\"console0\"}'");
    g_assert_cmphex(qpci_config_read(c.s, CON_DEVFN, 0, 4), ==, 0x10431af4);
    con_driver_ok(&c);
    ctrl_out(&c, 0, DEVICE_READY, 1, 8);
    expect_ctrl(&c, DEVICE_ADD, 1);
    ctrl_out(&c, 0, PORT_READY, 1, 8);
    expect_ctrl(&c, CONSOLE_PORT, 1);
    expect_ctrl(&c, PORT_OPEN, 1);          /* no name: no PORT_NAME */
    ctrl_out(&c, 0, PORT_OPEN, 1, 8);
    qtest_memwrite(c.s, TX_RAM, "virsh\n", 6);
    qvirtqueue_desc(&c.tx, 0, TX_RAM, 6, 0, 0);
    qvirtqueue_make_avail(&c.tx, 0);
    qvirtqueue_kick(&c.tx);
    g_assert_true(qvirtqueue_wait_used(&c.tx, WAIT_MS, &id, &len));
    g_assert_true(read_exact(c.fd, got, 6));
    g_assert_cmpstr(got, ==, "virsh\n");
    con_stop(&c);
}

/* ---- several ports and QMP ------------------------------------------- */

/* One line from fd (without the newline), or NULL after timeout_ms. */
static char *read_line(int fd, int timeout_ms)
{
    GString *line = g_string_new(NULL);

    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char ch;

        if (poll(&p, 1, timeout_ms) <= 0 || read(fd, &ch, 1) != 1) {
            g_string_free(line, TRUE);
            return NULL;
        }
        if (ch == '\n') {
            return g_string_free(line, FALSE);
        }
        if (ch != ' ' && ch != '\r') {
            g_string_append_c(line, ch);    /* compare without spaces */
        }
    }
}

/* The next QMP line containing want (others are skipped). */
static char *qmp_expect(Con *c, const char *want)
{
    for (;;) {
        char *line = read_line(c->qmp, WAIT_MS);

        g_assert_nonnull(line);
        if (strstr(line, want)) {
            return line;
        }
        g_free(line);
    }
}

static void qmp_connect(Con *c)
{
    c->qmp = unix_connect(c->qmp_sock);
    g_free(qmp_expect(c, "\"QMP\""));
    g_assert_cmpint(write(c->qmp, "{\"execute\":\"qmp_capabilities\"}\n", 31),
                    ==, 31);
    g_free(qmp_expect(c, "\"return\""));
}

/* The next VSERPORT_CHANGE event carries exactly data. */
static void expect_vserport_change(Con *c, const char *data)
{
    g_autofree char *line = qmp_expect(c, "\"VSERPORT_CHANGE\"");

    g_assert_nonnull(strstr(line, data));
}

/* query-chardev's frontend-open for label */
static bool frontend_open(Con *c, const char *label)
{
    static const char cmd[] = "{\"execute\":\"query-chardev\"}\n";
    g_autofree char *key = g_strdup_printf("\"label\":\"%s\"", label);
    g_autofree char *line = NULL;
    const char *obj_start, *obj_end, *p;

    g_assert_cmpint(write(c->qmp, cmd, strlen(cmd)), ==, strlen(cmd));
    line = qmp_expect(c, "\"return\"");
    p = strstr(line, key);
    g_assert_nonnull(p);
    /* the object holding the label */
    for (obj_start = p; *obj_start != '{'; obj_start--) {
    }
    obj_end = strchr(p, '}');
    p = g_strstr_len(obj_start, obj_end - obj_start, "\"frontend-open\":");
    g_assert_nonnull(p);
    return g_str_has_prefix(p + strlen("\"frontend-open\":"), "true");
}

static void tx_on(Con *c, QVirtQueue *vq, uint64_t buf, const char *data)
{
    uint32_t id, len;

    qtest_memwrite(c->s, buf, data, strlen(data));
    qvirtqueue_desc(vq, 0, buf, strlen(data), 0, 0);
    qvirtqueue_make_avail(vq, 0);
    qvirtqueue_kick(vq);
    g_assert_true(qvirtqueue_wait_used(vq, WAIT_MS, &id, &len));
    g_assert_cmpuint(id, ==, 0);
}

/* The next receive buffer used on vq holds exactly want. */
static void expect_rx_on(Con *c, QVirtQueue *vq, uint64_t base,
                         const char *want)
{
    char got[RX_BUF] = { 0 };
    uint32_t id, len;

    g_assert_true(qvirtqueue_wait_used(vq, WAIT_MS, &id, &len));
    g_assert_cmpuint(len, ==, strlen(want));
    qtest_memread(c->s, base + id * RX_BUF, got, len);
    g_assert_cmpstr(got, ==, want);
}

/*
 * A virtconsole (port 0) and libvirt's guest-agent virtserialport (port
 * 1, its JSON form) on one device: both announced with their names; the
 * agent port's host side opens and closes with its socket's client
 * (PORT_OPEN 1/0 to the driver); guest output while nobody is connected
 * is consumed, not queued; data goes both ways on the right chardev; the
 * driver's PORT_OPEN shows in query-chardev and as VSERPORT_CHANGE.
 */
static void test_two_ports(void)
{
    char got[16] = { 0 };
    uint32_t id, len;
    int fd1;
    Con c;

    con_start_with(&c, "-device virtio-serial-pci,id=vs0,addr=0x3,"
                   "max_ports=4 -device virtconsole,chardev=con0,"
                   "bus=vs0.0,name=" PORT_NAME " -device '{\"driver\":"
                   "\"virtserialport\",\"bus\":\"vs0.0\",\"nr\":1,"
                   "\"chardev\":\"ch1\",\"id\":\"channel0\",\"name\":"
                   "\"" AGENT_NAME "\"}'");
    g_assert_cmpuint(qtest_readl(c.s, c.d.device + 4), ==, 4);
    qmp_connect(&c);
    con_driver_ok_ports(&c, true);
    ctrl_out(&c, 0, DEVICE_READY, 1, 8);
    expect_port_ctrl(&c, 0, DEVICE_ADD, 1);
    expect_port_ctrl(&c, 1, DEVICE_ADD, 1);
    ctrl_out(&c, 0, PORT_READY, 1, 8);
    expect_ctrl(&c, CONSOLE_PORT, 1);
    expect_port_name(&c, 0, PORT_NAME);
    expect_ctrl(&c, PORT_OPEN, 1);
    /* port 1: a name, no console, host side closed (no client yet) */
    ctrl_out(&c, 1, PORT_READY, 1, 8);
    expect_port_name(&c, 1, AGENT_NAME);
    g_assert_false(qvirtqueue_wait_used(&c.cin, 200, &id, &len));

    /* nobody on ch1: the guest's output is consumed and dropped */
    tx_on(&c, &c.tx1, TX1_RAM, "lost\n");

    fd1 = unix_connect(c.sock1);
    expect_port_ctrl(&c, 1, PORT_OPEN, 1);
    g_assert_false(frontend_open(&c, "ch1"));
    ctrl_out(&c, 1, PORT_OPEN, 1, 8);
    expect_vserport_change(&c, "\"data\":{\"id\":\"channel0\","
                           "\"open\":true}");
    g_assert_true(frontend_open(&c, "ch1"));
    ctrl_out(&c, 0, PORT_OPEN, 1, 8);       /* no id: no event */

    /* guest -> host, each port to its own chardev */
    tx_on(&c, &c.tx1, TX1_RAM + 64, "agent-out\n");
    tx_on(&c, &c.tx, TX_RAM, "con-out\n");
    g_assert_true(read_exact(fd1, got, 10));
    g_assert_cmpstr(got, ==, "agent-out\n");
    memset(got, 0, sizeof(got));
    g_assert_true(read_exact(c.fd, got, 8));
    g_assert_cmpstr(got, ==, "con-out\n");

    /* host -> guest */
    post_rx_on(&c.rx1, RX1_RAM, 2);
    post_rx(&c, 2);
    g_assert_cmpint(write(fd1, "agent-in\n", 9), ==, 9);
    expect_rx_on(&c, &c.rx1, RX1_RAM, "agent-in\n");
    g_assert_cmpint(write(c.fd, "con-in\n", 7), ==, 7);
    expect_rx_on(&c, &c.rx, RX_RAM, "con-in\n");

    /* the client goes: PORT_OPEN 0; the guest closes: an event */
    close(fd1);
    expect_port_ctrl(&c, 1, PORT_OPEN, 0);
    ctrl_out(&c, 1, PORT_OPEN, 0, 8);
    expect_vserport_change(&c, "\"data\":{\"id\":\"channel0\","
                           "\"open\":false}");
    g_assert_false(frontend_open(&c, "ch1"));
    con_stop(&c);
}

/* An event's "timestamp" in microseconds. */
static int64_t event_time_us(const char *line)
{
    const char *sec = strstr(line, "\"seconds\":");
    const char *usec = strstr(line, "\"microseconds\":");

    g_assert_nonnull(sec);
    g_assert_nonnull(usec);
    return g_ascii_strtoll(sec + strlen("\"seconds\":"), NULL, 10) *
           G_USEC_PER_SEC +
           g_ascii_strtoll(usec + strlen("\"microseconds\":"), NULL, 10);
}

/*
 * VSERPORT_CHANGE is rate-limited as in QEMU (a guest sets its pace): a
 * port toggled open/closed many times, then closed by a device reset,
 * gives events at least a second apart, the first at once (open), the
 * last the final state (closed); nothing else follows.
 */
static void test_vserport_rate_limit(void)
{
    int64_t last_us = 0;
    g_autofree char *last = NULL;
    unsigned events = 0;
    char *line;
    Con c;

    con_start_with(&c, "-device virtio-serial-pci,id=vs0,addr=0x3,"
                   "max_ports=2 -device virtserialport,chardev=ch1,"
                   "id=channel0,name=" AGENT_NAME);
    qmp_connect(&c);
    con_driver_ok_ports(&c, true);
    ctrl_out(&c, 0, DEVICE_READY, 1, 8);
    ctrl_out(&c, 1, PORT_READY, 1, 8);
    for (unsigned i = 0; i < 9; i++) {
        ctrl_out(&c, 1, PORT_OPEN, i % 2 == 0, 8);      /* ends open */
    }
    qvirtio_set_status(&c.d, 0);                        /* closes it */
    /* every event until none comes for longer than the 1 s period */
    while ((line = read_line(c.qmp, 2500))) {
        int64_t t;

        if (!strstr(line, "\"VSERPORT_CHANGE\"")) {
            g_free(line);
            continue;
        }
        g_assert_nonnull(strstr(line, "\"id\":\"channel0\""));
        t = event_time_us(line);
        if (events == 0) {
            g_assert_nonnull(strstr(line, "\"open\":true"));
        } else {
            g_assert_cmpint(t - last_us, >=, G_USEC_PER_SEC);
        }
        events++;
        last_us = t;
        g_free(last);
        last = line;
    }
    g_assert_cmpuint(events, >=, 2);
    g_assert_nonnull(strstr(last, "\"open\":false"));
    con_stop(&c);
}

/* A control message shorter than its 8-byte header breaks the device. */
static void test_short_control(void)
{
    Con c;

    con_start(&c);
    con_driver_ok(&c);
    ctrl_out(&c, 0, DEVICE_READY, 1, 4);
    g_assert_true(qvirtio_wait_status(&c.d, QVIRTIO_S_NEEDS_RESET, WAIT_MS));
    con_stop(&c);
}

static void expect_startup_error(const char *args, const char *msg)
{
    g_autofree char *all = g_strdup_printf("-chardev null,id=c0 "
                                           "-chardev null,id=c1 %s", args);

    qtest_expect_startup_error(all, msg);
}

static void test_refused(void)
{
    expect_startup_error("-device virtio-serial-pci,max_ports=32",
                         "maximum ports supported: 31");
    expect_startup_error("-device virtio-serial-pci,max_ports=0",
                         "Maximum number of serial ports not specified");
    expect_startup_error("-device virtconsole,chardev=c0",
                         "No 'virtio-serial-bus' bus found for device "
                         "'virtconsole'");
    expect_startup_error("-device virtserialport,chardev=c0",
                         "No 'virtio-serial-bus' bus found for device "
                         "'virtserialport'");
    expect_startup_error("-device virtio-serial-pci -device "
                         "virtserialport,chardev=",
                         "'virtserialport.chardev' can't be empty");
    expect_startup_error("-device virtio-serial-pci -device "
                         "virtconsole,chardev=nope",
                         "'virtconsole.chardev' can't find value 'nope'");
    expect_startup_error("-device virtio-serial-pci -device "
                         "virtconsole,chardev=c0 -device "
                         "virtserialport,chardev=c0",
                         "'virtserialport.chardev' can't take value 'c0', "
                         "it's in use");
    expect_startup_error("-device virtio-serial-pci,id=vs0 -device "
                         "virtconsole,chardev=c0,bus=vs1.0",
                         "Bus 'vs1.0' not found");
    expect_startup_error("-device virtio-serial-pci "
                         "-device virtconsole,chardev=c0,nr=1 "
                         "-device virtserialport,chardev=c1,nr=1",
                         "virtio-serial-bus: A port already exists at id 1");
    expect_startup_error("-device virtio-serial-pci "
                         "-device virtconsole,chardev=c0,name=a "
                         "-device virtserialport,chardev=c1,name=a",
                         "virtio-serial-bus: A port already exists by name "
                         "a");
    expect_startup_error("-device virtio-serial-pci,max_ports=2 "
                         "-device virtserialport,chardev=c0,nr=2",
                         "virtio-serial-bus: Out-of-range port id "
                         "specified, max. allowed: 1");
    expect_startup_error("-device virtio-serial-pci,max_ports=2 "
                         "-device virtserialport,chardev=c0 "
                         "-device virtserialport,chardev=c1",
                         "virtio-serial-bus: Maximum port limit for this "
                         "device reached");
    expect_startup_error("-device virtio-serial-pci "
                         "-device virtserialport,chardev=c0,nr=0",
                         "Port number 0 on virtio-serial devices reserved "
                         "for virtconsole devices");
    expect_startup_error("-device virtio-serial-pci "
                         "-device virtserialport,chardev=c0,speed=9600",
                         "Invalid parameter 'speed'");
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-console/config", test_config);
    g_test_add_func("/virtio-console/handshake", test_handshake);
    g_test_add_func("/virtio-console/output", test_output);
    g_test_add_func("/virtio-console/input", test_input);
    g_test_add_func("/virtio-console/input-waits-for-open",
                    test_input_waits_for_open);
    g_test_add_func("/virtio-console/single-port", test_single_port);
    g_test_add_func("/virtio-console/libvirt-form", test_libvirt_form);
    g_test_add_func("/virtio-console/two-ports", test_two_ports);
    g_test_add_func("/virtio-console/vserport-rate-limit",
                    test_vserport_rate_limit);
    g_test_add_func("/virtio-console/short-control", test_short_control);
    g_test_add_func("/virtio-console/refused", test_refused);
    return g_test_run();
}
