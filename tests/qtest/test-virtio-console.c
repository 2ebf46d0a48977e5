/*
 * virtio-serial-pci with a virtconsole port (Virtual I/O Device spec 1.2,
 * 5.3) on a socket chardev the test connects to: configuration, the
 * MULTIPORT control handshake (DEVICE_READY -> PORT_ADD -> PORT_READY ->
 * CONSOLE_PORT, PORT_NAME, PORT_OPEN; unknown ports ignored), guest output reaching the socket,
 * socket input reaching the guest's receive buffers (held while none are
 * posted and until the port is open), port 0 without MULTIPORT, a short control message breaking the device, and the
 * command lines that are refused.
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
#define PORT_NAME     "org.qkvm.console.0"

/* 5.3.6.2 */
enum { DEVICE_READY, DEVICE_ADD, DEVICE_REMOVE, PORT_READY, CONSOLE_PORT,
       RESIZE, PORT_OPEN, PORT_NAME_EV };

typedef struct Con {
    QTestState *s;
    QVirtioDev d;
    QVirtQueue rx, tx, cin, cout;
    char *dir, *sock;
    int fd;                     /* the test's end of the chardev */
    uint16_t cout_next;
} Con;

/* devices: the -device options, with chardev con0 (the test's socket) */
static void con_start_with(Con *c, const char *devices)
{
    g_autofree char *args = NULL;
    struct sockaddr_un a = { .sun_family = AF_UNIX };

    c->dir = g_dir_make_tmp("qtest-vcon-XXXXXX", NULL);
    c->sock = g_build_filename(c->dir, "con.sock", NULL);
    args = g_strdup_printf("-chardev socket,id=con0,path=%s,server=on,"
                           "wait=off %s", c->sock, devices);
    c->s = qtest_init(args);
    /* the first exchange is also the sign the VMM (and socket) is up */
    qvirtio_pci_init(&c->d, c->s, CON_DEVFN, ALLOC_BASE);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    g_assert_cmpint(c->fd, >=, 0);
    g_strlcpy(a.sun_path, c->sock, sizeof(a.sun_path));
    g_assert_cmpint(connect(c->fd, (struct sockaddr *)&a, sizeof(a)), ==, 0);
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
    unlink(c->sock);
    rmdir(c->dir);
    g_free(c->sock);
    g_free(c->dir);
}

/* Negotiate MULTIPORT, set up all four queues, post control buffers. */
static void con_driver_ok(Con *c)
{
    g_assert_true(qvirtio_negotiate(&c->d, (1ULL << QVIRTIO_F_VERSION_1) |
                                           (1ULL << F_MULTIPORT)));
    qvirtqueue_setup(&c->rx, &c->d, 0, 8, QVIRTIO_NO_VECTOR);
    qvirtqueue_setup(&c->tx, &c->d, 1, 8, QVIRTIO_NO_VECTOR);
    qvirtqueue_setup(&c->cin, &c->d, 2, 8, QVIRTIO_NO_VECTOR);
    qvirtqueue_setup(&c->cout, &c->d, 3, 8, QVIRTIO_NO_VECTOR);
    qvirtio_set_status(&c->d, QVIRTIO_S_ACKNOWLEDGE | QVIRTIO_S_DRIVER |
                       QVIRTIO_S_FEATURES_OK | QVIRTIO_S_DRIVER_OK);
    for (uint16_t i = 0; i < 8; i++) {
        qvirtqueue_desc(&c->cin, i, CIN_RAM + i * CBUF, CBUF,
                        QVRING_DESC_F_WRITE, 0);
        qvirtqueue_make_avail(&c->cin, i);
    }
    qvirtqueue_kick(&c->cin);
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
    return len;
}

static void expect_ctrl(Con *c, uint16_t want_event, uint16_t want_value)
{
    uint32_t id;
    uint16_t event, value;

    ctrl_in(c, &id, &event, &value, NULL);
    g_assert_cmpuint(id, ==, 0);
    g_assert_cmpuint(event, ==, want_event);
    g_assert_cmpuint(value, ==, want_value);
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

static void post_rx(Con *c, uint16_t n)
{
    for (uint16_t i = 0; i < n; i++) {
        qvirtqueue_desc(&c->rx, i, RX_RAM + i * RX_BUF, RX_BUF,
                        QVRING_DESC_F_WRITE, 0);
        qvirtqueue_make_avail(&c->rx, i);
    }
    qvirtqueue_kick(&c->rx);
}

static void test_config(void)
{
    Con c;

    con_start(&c);
    /* 0x1040 + 3, class: communication, other */
    g_assert_cmphex(qpci_config_read(c.s, CON_DEVFN, 0, 4), ==, 0x10431af4);
    g_assert_cmphex(qpci_config_read(c.s, CON_DEVFN, 0x0a, 2), ==, 0x0780);
    g_assert_true(qvirtio_device_features(&c.d) & (1ULL << F_MULTIPORT));
    g_assert_cmpuint(qtest_readl(c.s, c.d.device + 4), ==, 1);   /* ports */
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
    expect_startup_error("-device virtio-serial-pci,max_ports=2",
                         "max_ports=2 is not supported");
    expect_startup_error("-device virtconsole,chardev=c0",
                         "No 'virtio-serial-bus' bus found");
    expect_startup_error("-device virtio-serial-pci -device virtconsole",
                         "'virtconsole.chardev' can't be empty");
    expect_startup_error("-device virtio-serial-pci -device "
                         "virtconsole,chardev=nope",
                         "can't find value 'nope'");
    expect_startup_error("-device virtio-serial-pci,id=vs0 -device "
                         "virtconsole,chardev=c0,bus=vs1.0",
                         "Bus 'vs1.0' not found");
    expect_startup_error("-device virtio-serial-pci,id=vs0 "
                         "-device virtconsole,chardev=c0,bus=vs0.0 "
                         "-device virtconsole,chardev=c1,bus=vs0.0",
                         "already has its one port");
    expect_startup_error("-device virtio-serial-pci "
                         "-device virtconsole,chardev=c0 "
                         "-device virtconsole,chardev=c1",
                         "every virtio-serial-pci already has its one port");
    expect_startup_error("-device virtio-serial-pci "
                         "-device virtconsole,chardev=c0,nr=1",
                         "nr=1 is not supported");
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
    g_test_add_func("/virtio-console/short-control", test_short_control);
    g_test_add_func("/virtio-console/refused", test_refused);
    return g_test_run();
}
