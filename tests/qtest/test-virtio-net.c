/*
 * virtio-net-pci on -netdev user (libslirp), Virtual I/O Device spec 1.2,
 * 5.1: configuration (MAC, link up), an ARP request to the slirp gateway
 * 10.0.2.2 answered on the receive queue, hostfwd (a host connection
 * makes slirp look for the guest), guestfwd=...-cmd: (a guest TCP
 * connection runs the command, whose output it receives) and
 * guestfwd=...-tcp: (relayed both ways to a host listener), a transmit
 * buffer without header
 * breaking the device, -netdev tap both ways through a TAP interface
 * the test watches with a packet socket (root only), and mergeable
 * receive buffers (5.1.6.4): a slirp echo reply spread over several.
 * Offloads: the feature set per backend with 5.1.3.1's dependencies,
 * and a TSO/partial-checksum segment through a TAP interface both ways
 * (whole when negotiated, segmented by the host stack when not).
 */
#include "qvirtio.h"
#include "qemu/bswap.h"

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

#define F_BASE  ((1ULL << QVIRTIO_F_VERSION_1) | (1ULL << 5) | (1ULL << 16))
#define F_MRG_RXBUF     15              /* 5.1.3 */

typedef struct Net {
    QTestState *s;
    QVirtioDev d;
    QVirtQueue rx, tx;
    uint32_t rx_buf;                    /* bytes per receive buffer */
} Net;

/* Negotiate features; a receive ring of nbufs buffers of buf bytes each
 * at RX_RAM, the first `offer` of them offered. */
static void net_start_offer(Net *n, const char *netdev, uint64_t features,
                            uint16_t nbufs, uint32_t buf, uint16_t offer)
{
    g_autofree char *args = g_strdup_printf(
        "-netdev %s -device virtio-net-pci,netdev=n0,addr=0x3,"
        "mac=52:54:00:ab:cd:ef,id=net0", netdev);

    n->s = qtest_init(args);
    n->rx_buf = buf;
    qvirtio_pci_init(&n->d, n->s, NET_DEVFN, ALLOC_BASE);
    g_assert_true(qvirtio_negotiate(&n->d, features));
    qvirtqueue_setup(&n->rx, &n->d, 0, nbufs, QVIRTIO_NO_VECTOR);
    qvirtqueue_setup(&n->tx, &n->d, 1, 8, QVIRTIO_NO_VECTOR);
    qvirtio_set_status(&n->d, QVIRTIO_S_ACKNOWLEDGE | QVIRTIO_S_DRIVER |
                       QVIRTIO_S_FEATURES_OK | QVIRTIO_S_DRIVER_OK);
    for (uint16_t i = 0; i < nbufs; i++) {
        qvirtqueue_desc(&n->rx, i, RX_RAM + i * buf, buf,
                        QVRING_DESC_F_WRITE, 0);
        if (i < offer) {
            qvirtqueue_make_avail(&n->rx, i);
        }
    }
    qvirtqueue_kick(&n->rx);
}

static void net_start_full(Net *n, const char *netdev, uint64_t features,
                           uint16_t nbufs, uint32_t buf)
{
    net_start_offer(n, netdev, features, nbufs, buf, nbufs);
}

static void net_start_netdev(Net *n, const char *netdev)
{
    net_start_full(n, netdev, F_BASE, 8, RX_BUF);
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
    g_assert_cmpuint(len, <=, n->rx_buf);
    /* num_buffers is 1 (5.1.6.4) */
    g_assert_cmpuint(qtest_readw(n->s, RX_RAM + id * n->rx_buf + 10), ==, 1);
    qtest_memread(n->s, RX_RAM + id * n->rx_buf + HDR, buf, len - HDR);
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

static const uint8_t gw_ip[4] = { 10, 0, 2, 2 }, my_ip[4] = { 10, 0, 2, 15 };

/* Transmit one frame (header included) and wait for the device to
 * take it. */
static void net_send(Net *n, const uint8_t *f, size_t len)
{
    uint32_t id, ulen;

    qtest_memwrite(n->s, TX_RAM, f, len);
    qvirtqueue_desc(&n->tx, 0, TX_RAM, len, 0, 0);
    qvirtqueue_make_avail(&n->tx, 0);
    qvirtqueue_kick(&n->tx);
    g_assert_true(qvirtqueue_wait_used(&n->tx, WAIT_MS, &id, &ulen));
}

/* ARP "who has 10.0.2.2, tell 10.0.2.15" (slirp learns our MAC). */
static void net_send_arp(Net *n)
{
    uint8_t f[HDR + 42] = { 0 };
    uint8_t *e = f + HDR;

    memset(e, 0xff, 6);                         /* broadcast */
    memcpy(e + 6, guest_mac, 6);
    e[12] = 0x08; e[13] = 0x06;                 /* ARP */
    e[14] = 0; e[15] = 1;                       /* Ethernet */
    e[16] = 0x08; e[17] = 0x00;                 /* IPv4 */
    e[18] = 6; e[19] = 4; e[20] = 0; e[21] = 1; /* request */
    memcpy(e + 22, guest_mac, 6);
    memcpy(e + 28, my_ip, 4);
    memcpy(e + 38, gw_ip, 4);
    net_send(n, f, sizeof(f));
}

/* ARP "who has 10.0.2.2, tell 10.0.2.15": slirp's gateway answers. */
static void test_arp_gateway(void)
{
    Net n;
    uint8_t reply[RX_BUF];
    size_t rlen;

    net_start(&n, "");
    net_send_arp(&n);
    rlen = net_receive(&n, reply);
    g_assert_cmpuint(rlen, >=, 42);
    g_assert_cmpmem(reply, 6, guest_mac, 6);    /* to us */
    g_assert_cmphex(reply[12] << 8 | reply[13], ==, 0x0806);
    g_assert_cmpuint(reply[20] << 8 | reply[21], ==, 2);     /* reply */
    g_assert_cmpmem(reply + 28, 4, gw_ip, 4);   /* 10.0.2.2 is at ... */
    g_assert_cmpmem(reply + 38, 4, my_ip, 4);
    qtest_quit(n.s);
}

static uint16_t inet_csum(const uint8_t *p, size_t len)
{
    uint32_t sum = 0;

    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += p[i] << 8 | p[i + 1];
    }
    if (len & 1) {
        sum += p[len - 1] << 8;
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return ~sum;
}

/* An ICMP echo request with `payload` bytes (i & 0xff) to the gateway,
 * whose Ethernet address gw_mac is. */
static void net_send_ping(Net *n, const uint8_t *gw_mac, size_t payload)
{
    size_t ip_len = 20 + 8 + payload;
    g_autofree uint8_t *f = g_malloc0(HDR + 14 + ip_len);
    uint8_t *e = f + HDR, *ip = e + 14, *icmp = ip + 20;
    uint16_t c;

    memcpy(e, gw_mac, 6);
    memcpy(e + 6, guest_mac, 6);
    e[12] = 0x08; e[13] = 0x00;
    ip[0] = 0x45;
    ip[2] = ip_len >> 8; ip[3] = ip_len & 0xff;
    ip[8] = 64; ip[9] = 1;                      /* TTL, ICMP */
    memcpy(ip + 12, my_ip, 4);
    memcpy(ip + 16, gw_ip, 4);
    c = inet_csum(ip, 20);
    ip[10] = c >> 8; ip[11] = c & 0xff;
    icmp[0] = 8;                                /* echo request */
    icmp[4] = 0x12; icmp[5] = 0x34; icmp[7] = 1;    /* id, seq */
    for (size_t i = 0; i < payload; i++) {
        icmp[8 + i] = i & 0xff;
    }
    c = inet_csum(icmp, 8 + payload);
    icmp[2] = c >> 8; icmp[3] = c & 0xff;
    net_send(n, f, HDR + 14 + ip_len);
}

/* ARP, and the gateway's Ethernet address from the reply (one buffer:
 * it fits, so num_buffers is 1 with MRG_RXBUF too), which is offered
 * again. */
static void net_resolve_gateway(Net *n, uint8_t *gw_mac)
{
    uint8_t reply[RX_BUF];
    uint32_t id, len;

    net_send_arp(n);
    g_assert_true(qvirtqueue_wait_used(&n->rx, WAIT_MS, &id, &len));
    g_assert_cmpuint(len, >=, HDR + 42);
    g_assert_cmpuint(qtest_readw(n->s, RX_RAM + id * n->rx_buf + 10), ==, 1);
    qtest_memread(n->s, RX_RAM + id * n->rx_buf + HDR, reply, 42);
    g_assert_cmphex(reply[12] << 8 | reply[13], ==, 0x0806);
    memcpy(gw_mac, reply + 22, 6);
    qvirtqueue_make_avail(&n->rx, id);
    qvirtqueue_kick(&n->rx);
}

/* 5.1.3: MRG_RXBUF is offered, and a driver may take it or leave it. */
static void test_mrg_negotiation(void)
{
    Net n;

    net_start_full(&n, "user,id=n0", F_BASE, 8, RX_BUF);
    g_assert_true(qvirtio_device_features(&n.d) & (1ULL << F_MRG_RXBUF));
    g_assert_true(qvirtio_negotiate(&n.d, F_BASE | (1ULL << F_MRG_RXBUF)));
    g_assert_true(qvirtio_negotiate(&n.d, F_BASE));
    qtest_quit(n.s);
}

#define MRG_BUF   128
#define PING_DATA 600

/*
 * 5.1.6.4: with MRG_RXBUF a 654-byte echo reply (header included) lands
 * in six 128-byte buffers: six used entries published together,
 * num_buffers 6 in the first, and the bytes in order across them.
 * Offered only three at first, the device waits for more rather than
 * use some.
 */
static void test_mrg_rx(void)
{
    Net n;
    uint8_t gw_mac[6];
    size_t want = HDR + 14 + 20 + 8 + PING_DATA, got = 0;
    g_autofree uint8_t *buf = g_malloc(want);
    unsigned nbuf = (want + MRG_BUF - 1) / MRG_BUF;
    uint32_t id, len;
    uint8_t *icmp;

    net_start_offer(&n, "user,id=n0", F_BASE | (1ULL << F_MRG_RXBUF), 16,
                    MRG_BUF, 3);
    net_resolve_gateway(&n, gw_mac);
    net_send_ping(&n, gw_mac, PING_DATA);
    /* three buffers are not enough: none is used meanwhile */
    g_assert_false(qvirtqueue_wait_used(&n.rx, 300, &id, &len));
    for (uint16_t i = 3; i < 16; i++) {
        qvirtqueue_make_avail(&n.rx, i);
    }
    qvirtqueue_kick(&n.rx);
    for (unsigned i = 0; i < nbuf; i++) {
        g_assert_true(qvirtqueue_wait_used(&n.rx, WAIT_MS, &id, &len));
        if (i == 0) {
            g_assert_cmpuint(qtest_readw(n.s, RX_RAM + id * MRG_BUF + 10),
                             ==, nbuf);
        }
        g_assert_cmpuint(len, ==, MIN(MRG_BUF, want - got));
        qtest_memread(n.s, RX_RAM + id * MRG_BUF, buf + got, len);
        got += len;
    }
    g_assert_cmpuint(got, ==, want);
    g_assert_cmphex(buf[HDR + 12] << 8 | buf[HDR + 13], ==, 0x0800);
    icmp = buf + HDR + 14 + 20;
    g_assert_cmpuint(icmp[0], ==, 0);           /* echo reply */
    for (size_t i = 0; i < PING_DATA; i++) {
        g_assert_cmpuint(icmp[8 + i], ==, i & 0xff);
    }
    qtest_quit(n.s);
}

/*
 * A frame bigger than every buffer the ring can hold together (four of
 * 128 bytes) is dropped, the device is not broken, and the next frame
 * arrives whole.
 */
static void test_mrg_too_small(void)
{
    Net n;
    uint8_t gw_mac[6], reply[42];
    uint32_t id, len;

    net_start_full(&n, "user,id=n0", F_BASE | (1ULL << F_MRG_RXBUF), 4,
                   MRG_BUF);
    net_resolve_gateway(&n, gw_mac);
    net_send_ping(&n, gw_mac, PING_DATA);
    net_send_arp(&n);
    g_assert_true(qvirtqueue_wait_used(&n.rx, WAIT_MS, &id, &len));
    g_assert_cmpuint(len, >=, HDR + 42);
    g_assert_cmpuint(qtest_readw(n.s, RX_RAM + id * MRG_BUF + 10), ==, 1);
    qtest_memread(n.s, RX_RAM + id * MRG_BUF + HDR, reply, 42);
    g_assert_cmphex(reply[12] << 8 | reply[13], ==, 0x0806);
    g_assert_cmphex(qvirtio_get_status(&n.d) & QVIRTIO_S_NEEDS_RESET, ==, 0);
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

#define FWD_PORT   4321
#define GUEST_PORT 40000
static const uint8_t fwd_ip[4] = { 10, 0, 2, 100 };

/* network byte order (bswap.h has little-endian helpers only) */
static void put_be16(uint8_t *p, uint16_t v)
{
    p[0] = v >> 8; p[1] = v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
    put_be16(p, v >> 16); put_be16(p + 2, v);
}

static uint16_t get_be16(const uint8_t *p)
{
    return p[0] << 8 | p[1];
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)get_be16(p) << 16 | get_be16(p + 2);
}

/* A TCP segment carrying data (NULL: none) from 10.0.2.15:GUEST_PORT
 * to fwd_ip:FWD_PORT, through the gateway's Ethernet address. */
static void net_send_tcp(Net *n, const uint8_t *gw_mac, uint8_t flags,
                         uint32_t seq, uint32_t ack, const char *data)
{
    size_t dlen = data ? strlen(data) : 0;
    uint8_t f[HDR + 14 + 20 + 20 + 64] = { 0 }, pseudo[12 + 20 + 64];
    uint8_t *e = f + HDR, *ip = e + 14, *tcp = ip + 20;
    uint16_t c;

    g_assert_cmpuint(dlen, <=, 64);

    memcpy(e, gw_mac, 6);
    memcpy(e + 6, guest_mac, 6);
    e[12] = 0x08; e[13] = 0x00;
    ip[0] = 0x45;
    ip[3] = 40 + dlen;                          /* total length */
    ip[8] = 64; ip[9] = 6;                      /* TTL, TCP */
    memcpy(ip + 12, my_ip, 4);
    memcpy(ip + 16, fwd_ip, 4);
    c = inet_csum(ip, 20);
    ip[10] = c >> 8; ip[11] = c & 0xff;
    put_be16(tcp, GUEST_PORT);
    put_be16(tcp + 2, FWD_PORT);
    put_be32(tcp + 4, seq);
    put_be32(tcp + 8, ack);
    tcp[12] = 5 << 4;                           /* 20-byte header */
    tcp[13] = flags;
    put_be16(tcp + 14, 0xffff);                 /* window */
    /* RFC 793 3.1: the checksum covers a pseudo header */
    memcpy(pseudo, ip + 12, 8);
    if (dlen) {                                 /* data may be NULL */
        memcpy(tcp + 20, data, dlen);
    }
    pseudo[8] = 0; pseudo[9] = 6; pseudo[10] = 0; pseudo[11] = 20 + dlen;
    memcpy(pseudo + 12, tcp, 20 + dlen);
    c = inet_csum(pseudo, 12 + 20 + dlen);
    tcp[16] = c >> 8; tcp[17] = c & 0xff;
    net_send(n, f, HDR + 14 + 40 + dlen);
}

/* The next received TCP segment from fwd_ip:FWD_PORT to the guest's
 * port (other frames skipped): its TCP header's offset in frame. */
static size_t net_receive_fwd_tcp(Net *n, uint8_t *frame, size_t *len)
{
    for (;;) {
        *len = net_receive(n, frame);
        if (*len >= 14 + 40 && (frame[12] << 8 | frame[13]) == 0x0800 &&
            frame[14 + 9] == 6 && memcmp(frame + 14 + 12, fwd_ip, 4) == 0) {
            size_t off = 14 + (frame[14] & 0xf) * 4;
            g_assert_cmpuint(get_be16(frame + off), ==, FWD_PORT);
            g_assert_cmpuint(get_be16(frame + off + 2), ==, GUEST_PORT);
            return off;
        }
    }
}

/* The guest connects to fwd_ip:FWD_PORT: SYN, slirp's SYN-ACK, ACK.
 * The guest's and slirp's next sequence numbers. */
static void guestfwd_connect(Net *n, const uint8_t *gw_mac, uint32_t *seq,
                             uint32_t *server_seq)
{
    uint8_t frame[RX_BUF];
    size_t len, off;
    uint32_t isn = 1000;

    net_send_tcp(n, gw_mac, 0x02, isn, 0, NULL);          /* SYN */
    off = net_receive_fwd_tcp(n, frame, &len);
    g_assert_cmphex(frame[off + 13] & 0x17, ==, 0x12);    /* SYN-ACK */
    g_assert_cmpuint(get_be32(frame + off + 8), ==, isn + 1);
    *seq = isn + 1;
    *server_seq = get_be32(frame + off + 4) + 1;
    net_send_tcp(n, gw_mac, 0x10, *seq, *server_seq, NULL);   /* ACK */
}

/* The next segment with data from fwd_ip:FWD_PORT carries `want`, in
 * sequence, with no reset before it. */
static void guestfwd_expect_data(Net *n, uint32_t server_seq,
                                 const char *want)
{
    uint8_t frame[RX_BUF];
    size_t len, off, hlen;

    do {
        off = net_receive_fwd_tcp(n, frame, &len);
        g_assert_cmphex(frame[off + 13] & 0x04, ==, 0);   /* no RST */
        hlen = (frame[off + 12] >> 4) * 4;
    } while (len == off + hlen);                          /* no data yet */
    g_assert_cmpuint(get_be32(frame + off + 4), ==, server_seq);
    g_assert_cmpmem(frame + off + hlen, len - off - hlen,
                    want, strlen(want));
}

/*
 * guestfwd=tcp:10.0.2.100:4321-cmd:echo ...: a guest connection to
 * 10.0.2.100:4321 is accepted by slirp (SYN-ACK) and carries what the
 * command writes to its stdout.
 */
static void test_guestfwd_cmd(void)
{
    Net n;
    uint8_t gw_mac[6];
    uint32_t seq, server_seq;

    net_start_netdev(&n, "'user,id=n0,guestfwd=tcp:10.0.2.100:4321-"
                     "cmd:echo guestfwd-cmd-ok'");
    net_resolve_gateway(&n, gw_mac);
    guestfwd_connect(&n, gw_mac, &seq, &server_seq);
    guestfwd_expect_data(&n, server_seq, "guestfwd-cmd-ok\n");
    qtest_quit(n.s);
}

/*
 * guestfwd=tcp:10.0.2.100:4321-tcp:127.0.0.1:P: the VMM connects to
 * our listener at start-up (as QEMU's chardev does); what we write
 * reaches the guest's connection, and what the guest sends reaches us.
 */
static void test_guestfwd_tcp(void)
{
    Net n;
    int l = socket(AF_INET, SOCK_STREAM, 0), c;
    struct sockaddr_in a = { .sin_family = AF_INET };
    socklen_t alen = sizeof(a);
    uint8_t gw_mac[6];
    uint32_t seq, server_seq;
    char got[32] = { 0 };
    size_t have = 0;
    g_autofree char *netdev = NULL;

    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    g_assert_cmpint(bind(l, (struct sockaddr *)&a, sizeof(a)), ==, 0);
    g_assert_cmpint(getsockname(l, (struct sockaddr *)&a, &alen), ==, 0);
    g_assert_cmpint(listen(l, 1), ==, 0);
    netdev = g_strdup_printf("user,id=n0,guestfwd=tcp:10.0.2.100:4321-"
                             "tcp:127.0.0.1:%u", ntohs(a.sin_port));
    net_start_netdev(&n, netdev);
    c = accept(l, NULL, NULL);              /* made during start-up */
    g_assert_cmpint(c, >=, 0);
    net_resolve_gateway(&n, gw_mac);
    guestfwd_connect(&n, gw_mac, &seq, &server_seq);
    g_assert_cmpint(write(c, "from-host\n", 10), ==, 10);
    guestfwd_expect_data(&n, server_seq, "from-host\n");
    net_send_tcp(&n, gw_mac, 0x18, seq, server_seq + 10, "from-guest");
    while (have < 10) {
        struct pollfd p = { .fd = c, .events = POLLIN };
        ssize_t r;
        g_assert_cmpint(poll(&p, 1, WAIT_MS), ==, 1);
        r = read(c, got + have, sizeof(got) - 1 - have);
        g_assert_cmpint(r, >, 0);
        have += r;
    }
    g_assert_cmpstr(got, ==, "from-guest");
    close(c);
    close(l);
    qtest_quit(n.s);
}

/* Malformed or refused rules stop start-up with QEMU's messages. */
static void test_guestfwd_errors(void)
{
    static const struct {
        const char *rule, *msg;
    } cases[] = {
        { "udp:10.0.2.100:5-cmd:cat", "Invalid guest forwarding rule" },
        { "tcp:10.0.2.100:0-cmd:cat", "Invalid guest forwarding rule" },
        { "tcp:10.0.2.100:5", "Invalid guest forwarding rule" },
        { "tcp:10.0.2.100:5-cmd:", "Invalid guest forwarding rule" },
        /* the gateway itself, and outside 10.0.2.0/24 (libslirp) */
        { "tcp:10.0.2.2:5-cmd:cat",
          "Conflicting/invalid host:port in guest forwarding rule" },
        { "tcp:192.168.7.1:5-cmd:cat",
          "Conflicting/invalid host:port in guest forwarding rule" },
        /* nothing listens on loopback port 1 (tcpmux) on a test host */
        { "tcp:10.0.2.100:5-tcp:127.0.0.1:1", "Failed to connect to" },
        { "tcp:10.0.2.100:5-udp:127.0.0.1:9",
          "guest forwarding device 'udp:127.0.0.1:9' is not supported" },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *args = g_strdup_printf(
            "-netdev user,id=n0,guestfwd=%s", cases[i].rule);
        qtest_expect_startup_error(args, cases[i].msg);
    }
    /* the filter would kill the VMM at the guest's connection */
    qtest_expect_startup_error(
        "-sandbox on,spawn=deny -netdev user,id=n0,"
        "guestfwd=:10.0.2.100:5-cmd:cat",
        "cmd: cannot run under -sandbox on");
}

/* 5.1.6.3.1: a receive buffer shorter than the header breaks the
 * device (with or without MRG_RXBUF), with no VMM crash. */
static void test_rx_buffer_without_header(void)
{
    Net n;

    net_start_full(&n, "user,id=n0", F_BASE | (1ULL << F_MRG_RXBUF), 8, 8);
    net_send_arp(&n);
    g_assert_true(qvirtio_wait_status(&n.d, QVIRTIO_S_NEEDS_RESET, WAIT_MS));
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

static const uint8_t host_mac[6] = { 0x02, 0, 0, 0, 0, 1 };

/*
 * A TAP interface of our own for the device (features negotiated, the
 * receive ring as net_start_full), up, watched by a packet socket
 * (*ps), with virtio-net headers on it if vnet (PACKET_VNET_HDR).
 * False, the test skipped, if this host cannot make TAP interfaces.
 */
static bool tap_start(Net *n, uint64_t features, uint16_t nbufs,
                      uint32_t buf, bool vnet, int *ps, int *ifindex)
{
    static unsigned seq;
    g_autofree char *ifname = g_strdup_printf("qkt%u.%u",
                                              (unsigned)getpid() % 100000,
                                              seq++);
    g_autofree char *netdev = NULL, *sysctl = NULL;
    struct ifreq ifr = { 0 };
    struct sockaddr_ll sll = { .sll_family = AF_PACKET };
    int tun, ctl, one = 1;

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
        return false;
    }
    close(tun);                 /* not persistent: gone again */

    netdev = g_strdup_printf("tap,id=n0,ifname=%s,script=no,downscript=no",
                             ifname);
    net_start_full(n, netdev, features, nbufs, buf);
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
    *ps = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
    g_assert_cmpint(*ps, >=, 0);
    if (vnet) {
        g_assert_cmpint(setsockopt(*ps, SOL_PACKET, PACKET_VNET_HDR, &one,
                                   sizeof(one)), ==, 0);
    }
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = *ifindex = ifr.ifr_ifindex;
    g_assert_cmpint(bind(*ps, (struct sockaddr *)&sll, sizeof(sll)), ==, 0);
    return true;
}

static void test_tap(void)
{
    uint8_t f[HDR + 60] = { 0 }, got[RX_BUF];
    int ps, ifindex;
    Net n;
    bool seen = false;

    if (!tap_start(&n, F_BASE, 8, RX_BUF, false, &ps, &ifindex)) {
        return;
    }
    /* guest -> host */
    test_frame(f + HDR, host_mac, guest_mac, "qkvm-tap-tx");
    net_send(&n, f, sizeof(f));
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

/* 5.1.3 feature bits of the offloads */
#define F_CSUM          0
#define F_GUEST_CSUM    1
#define F_GUEST_TSO4    7
#define F_GUEST_TSO6    8
#define F_GUEST_ECN     9
#define F_HOST_TSO4     11
#define F_HOST_TSO6     12
#define F_HOST_ECN      13
#define F_OFFLOADS ((1ULL << F_CSUM) | (1ULL << F_GUEST_CSUM) | \
                    (1ULL << F_GUEST_TSO4) | (1ULL << F_GUEST_TSO6) | \
                    (1ULL << F_GUEST_ECN) | (1ULL << F_HOST_TSO4) | \
                    (1ULL << F_HOST_TSO6) | (1ULL << F_HOST_ECN))
/* 5.1.6: virtio_net_hdr */
#define HDR_F_NEEDS_CSUM 1
#define GSO_TCPV4        1

/* -netdev user carries no header: no offload is offered or accepted. */
static void test_offload_features_user(void)
{
    Net n;

    net_start(&n, "");
    g_assert_cmphex(qvirtio_device_features(&n.d) & F_OFFLOADS, ==, 0);
    g_assert_false(qvirtio_negotiate(&n.d, F_BASE | (1ULL << F_CSUM)));
    qtest_quit(n.s);
}

/* tap with IFF_VNET_HDR: all of them, with 5.1.3.1's dependencies. */
static void test_offload_features_tap(void)
{
    Net n;
    int ps, ifindex;

    if (!tap_start(&n, F_BASE, 8, RX_BUF, false, &ps, &ifindex)) {
        return;
    }
    g_assert_cmphex(qvirtio_device_features(&n.d) & F_OFFLOADS, ==,
                    F_OFFLOADS);
    g_assert_true(qvirtio_negotiate(&n.d, F_BASE | F_OFFLOADS));
    g_assert_true(qvirtio_negotiate(&n.d, F_BASE | (1ULL << F_CSUM) |
                                    (1ULL << F_HOST_TSO4)));
    g_assert_false(qvirtio_negotiate(&n.d, F_BASE | (1ULL << F_GUEST_TSO4)));
    g_assert_false(qvirtio_negotiate(&n.d, F_BASE | (1ULL << F_HOST_TSO6)));
    g_assert_false(qvirtio_negotiate(&n.d, F_BASE | (1ULL << F_GUEST_CSUM) |
                                     (1ULL << F_GUEST_ECN)));
    g_assert_false(qvirtio_negotiate(&n.d, F_BASE | (1ULL << F_CSUM) |
                                     (1ULL << F_HOST_ECN)));
    close(ps);
    qtest_quit(n.s);
}

#define TSO_PAYLOAD 3000
#define TSO_MSS     1000
#define TSO_HDRS    (14 + 20 + 20)

/*
 * One TCP/IPv4 frame of TSO_PAYLOAD bytes (i & 0xff) from src to dst
 * into f, with the partial checksum (the pseudo-header's sum, 5.1.6.2)
 * in the TCP header, and the virtio_net_hdr asking for the checksum
 * and segmentation into hdr.
 */
static void tso_frame(uint8_t *hdr, uint8_t *f, const uint8_t *dst,
                      const uint8_t *src)
{
    uint8_t *ip = f + 14, *tcp = ip + 20;
    unsigned ip_len = 20 + 20 + TSO_PAYLOAD, tcp_len = 20 + TSO_PAYLOAD;
    uint32_t sum;
    uint16_t c;

    memset(f, 0, TSO_HDRS);
    memcpy(f, dst, 6);
    memcpy(f + 6, src, 6);
    f[12] = 0x08;
    ip[0] = 0x45;
    ip[2] = ip_len >> 8; ip[3] = ip_len & 0xff;
    ip[8] = 64; ip[9] = 6;
    ip[12] = 10; ip[13] = 9; ip[15] = 1;        /* 10.9.0.1 */
    ip[16] = 10; ip[17] = 9; ip[19] = 2;        /* 10.9.0.2 */
    c = inet_csum(ip, 20);
    ip[10] = c >> 8; ip[11] = c & 0xff;
    tcp[0] = 0x04; tcp[1] = 0xd2;               /* 1234 -> 5678 */
    tcp[2] = 0x16; tcp[3] = 0x2e;
    tcp[7] = 1;                                 /* seq */
    tcp[12] = 0x50; tcp[13] = 0x18;             /* 20 bytes, PSH ACK */
    tcp[14] = 0xff; tcp[15] = 0xff;             /* window */
    for (unsigned i = 0; i < TSO_PAYLOAD; i++) {
        tcp[20 + i] = i & 0xff;
    }
    /* not complemented: the sum the device (or the host) completes */
    sum = (10 << 8 | 9) * 2 + 1 + 2 + 6 + tcp_len;
    sum = (sum & 0xffff) + (sum >> 16);
    tcp[16] = sum >> 8; tcp[17] = sum & 0xff;
    memset(hdr, 0, HDR);
    hdr[0] = HDR_F_NEEDS_CSUM;
    hdr[1] = GSO_TCPV4;
    stw_le_p(hdr + 2, TSO_HDRS);                /* hdr_len */
    stw_le_p(hdr + 4, TSO_MSS);                 /* gso_size */
    stw_le_p(hdr + 6, 14 + 20);                 /* csum_start */
    stw_le_p(hdr + 8, 16);                      /* csum_offset */
}

/* HOST_TSO4: the driver's 3000-byte segment with a partial checksum
 * reaches the host as one frame that still asks for both (the header
 * passed through to the tap). */
static void test_offload_tap_tx(void)
{
    Net n;
    int ps, ifindex;
    size_t flen = TSO_HDRS + TSO_PAYLOAD;
    g_autofree uint8_t *f = g_malloc(HDR + flen);
    g_autofree uint8_t *got = g_malloc(10 + 65536);
    bool seen = false;

    if (!tap_start(&n, F_BASE | (1ULL << F_CSUM) | (1ULL << F_HOST_TSO4),
                   8, RX_BUF, true, &ps, &ifindex)) {
        return;
    }
    tso_frame(f, f + HDR, host_mac, guest_mac);
    net_send(&n, f, HDR + flen);
    for (int tries = 0; tries < 50 && !seen; tries++) {
        struct pollfd p = { .fd = ps, .events = POLLIN };
        ssize_t r;

        if (poll(&p, 1, 100) <= 0) {
            continue;
        }
        /* PACKET_VNET_HDR: the 10-byte struct virtio_net_hdr first */
        r = recv(ps, got, 10 + 65536, 0);
        if (r < 10 + 14 || got[10 + 12] != 0x08 || got[10 + 13] != 0 ||
            got[10 + 14 + 9] != 6) {
            continue;                           /* not our TCP frame */
        }
        g_assert_cmpint(r, ==, 10 + flen);
        g_assert_cmpuint(got[0] & HDR_F_NEEDS_CSUM, ==, HDR_F_NEEDS_CSUM);
        g_assert_cmpuint(got[1] & 0x7f, ==, GSO_TCPV4);
        g_assert_cmpuint(lduw_le_p(got + 4), ==, TSO_MSS);
        g_assert_cmpmem(got + 10 + TSO_HDRS, TSO_PAYLOAD, f + HDR + TSO_HDRS,
                        TSO_PAYLOAD);
        seen = true;
    }
    g_assert_true(seen);
    close(ps);
    qtest_quit(n.s);
}

/*
 * The host sends the same 3000-byte segment to the guest.  With
 * GUEST_CSUM|GUEST_TSO4 (TUNSETOFFLOAD) it arrives whole with its
 * header (across 2 KiB merged buffers); without, the host's stack
 * segments it and checksums each piece, and the guest's frames fit the
 * 1500-byte MTU with flags and gso_type zero.
 */
static void tap_rx_tso(bool offload)
{
    Net n;
    int ps, ifindex;
    size_t flen = TSO_HDRS + TSO_PAYLOAD;
    g_autofree uint8_t *f = g_malloc(10 + flen);
    g_autofree uint8_t *got = g_malloc(16 * RX_BUF);
    struct sockaddr_ll to = { .sll_family = AF_PACKET };
    uint64_t features = F_BASE | (1ULL << F_MRG_RXBUF);
    uint8_t hdr[HDR];
    size_t payload = 0;

    if (offload) {
        features |= (1ULL << F_GUEST_CSUM) | (1ULL << F_GUEST_TSO4);
    }
    if (!tap_start(&n, features, 16, RX_BUF, true, &ps, &ifindex)) {
        return;
    }
    tso_frame(hdr, f + 10, guest_mac, host_mac);
    memcpy(f, hdr, 10);                         /* without num_buffers */
    to.sll_protocol = htons(ETH_P_IP);
    to.sll_ifindex = ifindex;
    g_assert_cmpint(sendto(ps, f, 10 + flen, 0, (struct sockaddr *)&to,
                           sizeof(to)), ==, 10 + flen);
    while (payload < TSO_PAYLOAD) {
        uint32_t id, len, nbuf;
        size_t got_len = 0;
        uint8_t *tcp;

        g_assert_true(qvirtqueue_wait_used(&n.rx, WAIT_MS, &id, &len));
        nbuf = qtest_readw(n.s, RX_RAM + id * RX_BUF + 10);
        g_assert_cmpuint(nbuf, >=, 1);
        g_assert_cmpuint(nbuf, <=, 16);
        qtest_memread(n.s, RX_RAM + id * RX_BUF, got, len);
        got_len = len;
        for (uint32_t i = 1; i < nbuf; i++) {
            g_assert_true(qvirtqueue_wait_used(&n.rx, WAIT_MS, &id, &len));
            qtest_memread(n.s, RX_RAM + id * RX_BUF, got + got_len, len);
            got_len += len;
        }
        if (got_len < HDR + TSO_HDRS || got[HDR + 12] != 0x08 ||
            got[HDR + 14 + 9] != 6) {
            continue;                           /* not our TCP frame */
        }
        tcp = got + HDR + 14 + 20;
        if (offload) {
            g_assert_cmpuint(got_len, ==, HDR + flen);
            g_assert_cmpuint(got[1], ==, GSO_TCPV4);
            g_assert_cmpuint(lduw_le_p(got + 4), ==, TSO_MSS);
        } else {
            g_assert_cmpuint(got_len, <=, HDR + 1514);
            g_assert_cmpuint(got[0], ==, 0);
            g_assert_cmpuint(got[1], ==, 0);
        }
        for (size_t i = 0; i < got_len - HDR - TSO_HDRS; i++) {
            g_assert_cmpuint(tcp[20 + i], ==, (payload + i) & 0xff);
        }
        payload += got_len - HDR - TSO_HDRS;
    }
    g_assert_cmpuint(payload, ==, TSO_PAYLOAD);
    close(ps);
    qtest_quit(n.s);
}

static void test_offload_tap_rx(void)
{
    tap_rx_tso(true);
}

static void test_offload_tap_rx_segmented(void)
{
    tap_rx_tso(false);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/virtio-net/config", test_config);
    g_test_add_func("/virtio-net/arp-gateway", test_arp_gateway);
    g_test_add_func("/virtio-net/hostfwd", test_hostfwd);
    g_test_add_func("/virtio-net/guestfwd/cmd", test_guestfwd_cmd);
    g_test_add_func("/virtio-net/guestfwd/tcp", test_guestfwd_tcp);
    g_test_add_func("/virtio-net/guestfwd/errors", test_guestfwd_errors);
    g_test_add_func("/virtio-net/tx-without-header", test_tx_without_header);
    g_test_add_func("/virtio-net/rx-buffer-without-header",
                    test_rx_buffer_without_header);
    g_test_add_func("/virtio-net/tap", test_tap);
    g_test_add_func("/virtio-net/mrg-rxbuf/negotiation", test_mrg_negotiation);
    g_test_add_func("/virtio-net/mrg-rxbuf/spanning", test_mrg_rx);
    g_test_add_func("/virtio-net/mrg-rxbuf/ring-too-small", test_mrg_too_small);
    g_test_add_func("/virtio-net/offload/features-user",
                    test_offload_features_user);
    g_test_add_func("/virtio-net/offload/features-tap",
                    test_offload_features_tap);
    g_test_add_func("/virtio-net/offload/tap-tso-tx", test_offload_tap_tx);
    g_test_add_func("/virtio-net/offload/tap-tso-rx", test_offload_tap_rx);
    g_test_add_func("/virtio-net/offload/tap-rx-segmented",
                    test_offload_tap_rx_segmented);
    return g_test_run();
}
