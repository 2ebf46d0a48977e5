/*
 * virtio-net-pci on -netdev user (libslirp), Virtual I/O Device spec 1.2,
 * 5.1: configuration (MAC, link up), an ARP request to the slirp gateway
 * 10.0.2.2 answered on the receive queue, hostfwd (a host connection
 * makes slirp look for the guest), a transmit buffer without header
 * breaking the device, and -netdev tap both ways through a TAP
 * interface the test watches with a packet socket (root only).
 */
#include "qvirtio.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_packet.h>
#include <linux/if_ether.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NET_DEVFN     (3 << 3)
#define ALLOC_BASE    0x400000
#define RX_RAM        0x300000          /* 8 buffers of 2 KiB */
#define TX_RAM        0x380000
#define RX_BUF        2048
#define HDR           12
#define WAIT_MS       5000

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0xab, 0xcd, 0xef };

typedef struct Net {
    QTestState *s;
    QVirtioDev d;
    QVirtQueue rx, tx;
} Net;

static void net_start_netdev(Net *n, const char *netdev)
{
    g_autofree char *args = g_strdup_printf(
        "-netdev %s -device virtio-net-pci,netdev=n0,addr=0x3,"
        "mac=52:54:00:ab:cd:ef,id=net0", netdev);

    n->s = qtest_init(args);
    qvirtio_pci_init(&n->d, n->s, NET_DEVFN, ALLOC_BASE);
    g_assert_true(qvirtio_negotiate(&n->d, (1ULL << QVIRTIO_F_VERSION_1) |
                                           (1ULL << 5) | (1ULL << 16)));
    qvirtqueue_setup(&n->rx, &n->d, 0, 8, QVIRTIO_NO_VECTOR);
    qvirtqueue_setup(&n->tx, &n->d, 1, 8, QVIRTIO_NO_VECTOR);
    qvirtio_set_status(&n->d, QVIRTIO_S_ACKNOWLEDGE | QVIRTIO_S_DRIVER |
                       QVIRTIO_S_FEATURES_OK | QVIRTIO_S_DRIVER_OK);
    for (uint16_t i = 0; i < 8; i++) {
        qvirtqueue_desc(&n->rx, i, RX_RAM + i * RX_BUF, RX_BUF,
                        QVRING_DESC_F_WRITE, 0);
        qvirtqueue_make_avail(&n->rx, i);
    }
    qvirtqueue_kick(&n->rx);
}

static void net_start(Net *n, const char *netdev_extra)
{
    g_autofree char *netdev = g_strdup_printf("user,id=n0%s", netdev_extra);
    net_start_netdev(n, netdev);
}

/* The next received frame (after the header) into buf; its length. */
static size_t net_receive(Net *n, uint8_t *buf)
{
    uint32_t id, len;

    g_assert_true(qvirtqueue_wait_used(&n->rx, WAIT_MS, &id, &len));
    g_assert_cmpuint(len, >, HDR);
    g_assert_cmpuint(len, <=, RX_BUF);
    /* num_buffers is 1 (5.1.6.4) */
    g_assert_cmpuint(qtest_readw(n->s, RX_RAM + id * RX_BUF + 10), ==, 1);
    qtest_memread(n->s, RX_RAM + id * RX_BUF + HDR, buf, len - HDR);
    return len - HDR;
}

static void test_config(void)
{
    Net n;
    uint8_t mac[6];

    net_start(&n, "");
    g_assert_cmphex(qpci_config_read(n.s, NET_DEVFN, 0, 4), ==, 0x10411af4);
    g_assert_cmphex(qpci_config_read(n.s, NET_DEVFN, 0x0a, 2), ==, 0x0200);
    qtest_memread(n.s, n.d.device, mac, 6);
    g_assert_cmpmem(mac, 6, guest_mac, 6);
    g_assert_cmpuint(qtest_readw(n.s, n.d.device + 6), ==, 1);   /* link up */
    qtest_quit(n.s);
}

/* ARP "who has 10.0.2.2, tell 10.0.2.15": slirp's gateway answers. */
static void test_arp_gateway(void)
{
    Net n;
    uint8_t f[HDR + 42] = { 0 };
    uint8_t *e = f + HDR, reply[RX_BUF];
    static const uint8_t gw[4] = { 10, 0, 2, 2 }, me[4] = { 10, 0, 2, 15 };
    uint32_t id, len;
    size_t rlen;

    net_start(&n, "");
    memset(e, 0xff, 6);                         /* broadcast */
    memcpy(e + 6, guest_mac, 6);
    e[12] = 0x08; e[13] = 0x06;                 /* ARP */
    e[14] = 0; e[15] = 1;                       /* Ethernet */
    e[16] = 0x08; e[17] = 0x00;                 /* IPv4 */
    e[18] = 6; e[19] = 4; e[20] = 0; e[21] = 1; /* request */
    memcpy(e + 22, guest_mac, 6);
    memcpy(e + 28, me, 4);
    memcpy(e + 38, gw, 4);
    qtest_memwrite(n.s, TX_RAM, f, sizeof(f));
    qvirtqueue_desc(&n.tx, 0, TX_RAM, sizeof(f), 0, 0);
    qvirtqueue_make_avail(&n.tx, 0);
    qvirtqueue_kick(&n.tx);
    g_assert_true(qvirtqueue_wait_used(&n.tx, WAIT_MS, &id, &len));

    rlen = net_receive(&n, reply);
    g_assert_cmpuint(rlen, >=, 42);
    g_assert_cmpmem(reply, 6, guest_mac, 6);    /* to us */
    g_assert_cmphex(reply[12] << 8 | reply[13], ==, 0x0806);
    g_assert_cmpuint(reply[20] << 8 | reply[21], ==, 2);     /* reply */
    g_assert_cmpmem(reply + 28, 4, gw, 4);      /* 10.0.2.2 is at ... */
    g_assert_cmpmem(reply + 38, 4, me, 4);
    qtest_quit(n.s);
}

/* hostfwd: a connection to the host port makes slirp reach for the
 * guest at 10.0.2.15 (an ARP request for it, or the SYN itself). */
static void test_hostfwd(void)
{
    Net n;
    int probe = socket(AF_INET, SOCK_STREAM, 0), c;
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof(a);
    uint8_t frame[RX_BUF];
    size_t len;
    g_autofree char *extra = NULL;

    /* a free port: bind to 0, read it, close, reuse */
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(bind(probe, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(getsockname(probe, (struct sockaddr *)&a, &alen), ==, 0);
    close(probe);
    extra = g_strdup_printf(",hostfwd=tcp:127.0.0.1:%u-:22",
                            ntohs(a.sin_port));
    net_start(&n, extra);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(c, (struct sockaddr *)&a, sizeof(a));
    len = net_receive(&n, frame);
    g_assert_cmpuint(len, >=, 42);
    if ((frame[12] << 8 | frame[13]) == 0x0806) {
        static const uint8_t me[4] = { 10, 0, 2, 15 };
        g_assert_cmpmem(frame + 38, 4, me, 4);  /* who has 10.0.2.15 */
    } else {
        g_assert_cmphex(frame[12] << 8 | frame[13], ==, 0x0800);
        g_assert_cmpuint(frame[14 + 9], ==, 6);             /* TCP */
        g_assert_cmpuint(frame[14 + 20 + 2] << 8 | frame[14 + 20 + 3], ==, 22);
    }
    close(c);
    qtest_quit(n.s);
}

static void test_tx_without_header(void)
{
    Net n;

    net_start(&n, "");
    qvirtqueue_desc(&n.tx, 0, TX_RAM, 4, 0, 0);
    qvirtqueue_make_avail(&n.tx, 0);
    qvirtqueue_kick(&n.tx);
    g_assert_true(qvirtio_wait_status(&n.d, QVIRTIO_S_NEEDS_RESET, WAIT_MS));
    qtest_quit(n.s);
}

#define ETH_P_TEST 0x88b5          /* IEEE local experimental */

static void test_frame(uint8_t *f, const uint8_t *dst, const uint8_t *src,
                       const char *payload)
{
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = ETH_P_TEST >> 8;
    f[13] = ETH_P_TEST & 0xff;
    memset(f + 14, 0, 46);
    memcpy(f + 14, payload, strlen(payload));
}

static void test_tap(void)
{
    g_autofree char *ifname = g_strdup_printf("qkt%u", (unsigned)getpid() % 100000);
    g_autofree char *netdev = NULL, *sysctl = NULL;
    static const uint8_t host_mac[6] = { 0x02, 0, 0, 0, 0, 1 };
    struct ifreq ifr = { 0 };
    struct sockaddr_ll sll = { .sll_family = AF_PACKET };
    uint8_t f[HDR + 60] = { 0 }, got[RX_BUF];
    int tun, ps, ctl;
    Net n;
    bool seen = false;
    uint32_t id, len;

    /* can we make TAP interfaces at all? */
    tun = open("/dev/net/tun", O_RDWR);
    ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
    g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
    if (tun < 0 || ioctl(tun, TUNSETIFF, &ifr) < 0) {
        g_test_skip_printf("cannot create a TAP interface: %s",
                           g_strerror(errno));
        if (tun >= 0) {
            close(tun);
        }
        return;
    }
    close(tun);                 /* not persistent: gone again */

    netdev = g_strdup_printf("tap,id=n0,ifname=%s,script=no,downscript=no",
                             ifname);
    net_start_netdev(&n, netdev);
    /* no IPv6 chatter from the host side, then link up */
    sysctl = g_strdup_printf("/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
    g_file_set_contents(sysctl, "1", 1, NULL);
    ctl = socket(AF_INET, SOCK_DGRAM, 0);
    g_strlcpy(ifr.ifr_name, ifname, IFNAMSIZ);
    g_assert_cmpint(ioctl(ctl, SIOCGIFFLAGS, &ifr), ==, 0);
    ifr.ifr_flags |= IFF_UP;
    g_assert_cmpint(ioctl(ctl, SIOCSIFFLAGS, &ifr), ==, 0);
    g_assert_cmpint(ioctl(ctl, SIOCGIFINDEX, &ifr), ==, 0);
    close(ctl);
    ps = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    g_assert_cmpint(ps, >=, 0);
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = ifr.ifr_ifindex;
    g_assert_cmpint(bind(ps, (struct sockaddr *)&sll, sizeof(sll)), ==, 0);

    /* guest -> host */
    test_frame(f + HDR, host_mac, guest_mac, "qkvm-tap-tx");
    qtest_memwrite(n.s, TX_RAM, f, sizeof(f));
    qvirtqueue_desc(&n.tx, 0, TX_RAM, sizeof(f), 0, 0);
    qvirtqueue_make_avail(&n.tx, 0);
    qvirtqueue_kick(&n.tx);
    g_assert_true(qvirtqueue_wait_used(&n.tx, WAIT_MS, &id, &len));
    for (int tries = 0; tries < 50 && !seen; tries++) {
        struct pollfd p = { .fd = ps, .events = POLLIN };
        ssize_t r;
        if (poll(&p, 1, 100) <= 0) {
            continue;
        }
        r = recv(ps, got, sizeof(got), 0);
        seen = r >= 60 && got[12] == (ETH_P_TEST >> 8) &&
               memcmp(got + 14, "qkvm-tap-tx", 11) == 0;
    }
    g_assert_true(seen);

    /* host -> guest */
    test_frame(got, guest_mac, host_mac, "qkvm-tap-rx");
    g_assert_cmpint(send(ps, got, 60, 0), ==, 60);
    seen = false;
    while (!seen) {
        size_t l = net_receive(&n, got);
        seen = l >= 60 && got[12] == (ETH_P_TEST >> 8) &&
               memcmp(got + 14, "qkvm-tap-rx", 11) == 0;
    }
    close(ps);
    qtest_quit(n.s);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-net/config", test_config);
    g_test_add_func("/virtio-net/arp-gateway", test_arp_gateway);
    g_test_add_func("/virtio-net/hostfwd", test_hostfwd);
    g_test_add_func("/virtio-net/tx-without-header", test_tx_without_header);
    g_test_add_func("/virtio-net/tap", test_tap);
    return g_test_run();
}
