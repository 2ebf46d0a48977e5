/*
 * virtio-net: a minimal polling driver for the modern virtio-net-pci
 * function (virtio spec 1.2, 5.1), used by tests/bench/run-bench.py to
 * measure network throughput on -netdev user (slirp) or tap.  The guest
 * is 10.0.2.15, the host 10.0.2.2 (slirp's gateway, which forwards UDP
 * to the host's loopback), unless ip= and gw= say otherwise.
 *
 * Features: VERSION_1, MAC, MRG_RXBUF and EVENT_IDX when offered (as
 * Linux takes them); no offloads (slirp has none).  MTU-sized frames:
 * 1514 bytes (IPv4 + UDP + 1472 bytes of data) after the 12-byte
 * virtio_net_hdr.
 *
 * Command line keys (decimal or 0x hex):
 *   n=N        frames per direction (default 10000)
 *   port=P     transmit phase: N datagrams to 10.0.2.2:P, at most a
 *              ring's worth in flight; prints
 *              "phase=tx n=N bytes=1514 cycles=C" (rdtsc from the first
 *              frame made available to the last one used)
 *   rxport=Q   receive phase (after printing "rx ready"): counts UDP
 *              datagrams to port Q until N arrived or none for a second
 *              (khz=K: the TSC rate, default 2000000), acknowledging
 *              every 32 with the count (4 bytes, little-endian) to
 *              10.0.2.2:A (ackport=A) so the sender can keep a window;
 *              prints "phase=rx n=K bytes=1514 cycles=C" (first to last
 *              frame)
 *   ip=A gw=B  the guest's and the peer's IPv4 addresses as 32-bit
 *              numbers (default 10.0.2.15 and 10.0.2.2; a tap run uses
 *              its own subnet)
 *   hold=1     after the phases print "done" and halt instead of
 *              exiting (the benchmark reads the VMM's per-thread CPU
 *              times, then ends it)
 * Exits 0 when both phases ran, 2 on a setup error.
 */
#include "virtio-pci.h"

#define VIRTIO_NET_F_MAC      5           /* 5.1.3 */
#define VIRTIO_NET_F_MRG_RXBUF 15
#define NET_HDR    12                     /* 5.1.6: with VERSION_1 */
#define FRAME      1514
#define UDP_DATA   1472
#define SLOT       2048
#define QMAX       256
/* guest RAM layout (needs -m 16 or more) */
#define RX_RING    0x400000u
#define TX_RING    0x410000u
#define RX_BUFS    0x500000u
#define TX_BUFS    0x600000u
#define ACK_EVERY  32

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static struct virtio_pci dev;
static struct virtq rxq, txq;
static uint8_t my_mac[6], gw_mac[6];
static uint8_t my_ip[4] = { 10, 0, 2, 15 }, gw_ip[4] = { 10, 0, 2, 2 };
static uint16_t tx_free[QMAX];
static unsigned tx_nfree;

static uint8_t *rx_slot(unsigned i) { return (uint8_t *)(RX_BUFS + i * SLOT); }
static uint8_t *tx_slot(unsigned i) { return (uint8_t *)(TX_BUFS + i * SLOT); }

static uint16_t csum16(const uint8_t *p, unsigned len)
{
    uint32_t sum = 0;

    for (unsigned i = 0; i + 1 < len; i += 2)
        sum += p[i] << 8 | p[i + 1];
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return ~sum;
}

static void rx_post(unsigned i)
{
    rxq.desc[i] = (struct vq_desc){ (uintptr_t)rx_slot(i), SLOT,
                                    VIRTQ_DESC_F_WRITE, 0 };
    virtq_add(&rxq, i);
}

/* Take back used transmit slots. */
static void tx_reap(void)
{
    uint32_t id, len;

    while (virtq_used(&txq, &id, &len))
        tx_free[tx_nfree++] = id;
}

/* A transmit slot to fill (waits for one). */
static unsigned tx_get(void)
{
    while (!tx_nfree) {
        tx_reap();
        cpu_relax();
    }
    return tx_free[--tx_nfree];
}

static void tx_put(unsigned s, uint32_t len)
{
    txq.desc[s] = (struct vq_desc){ (uintptr_t)tx_slot(s), len, 0, 0 };
    virtq_add(&txq, s);
}

/* Ethernet + IPv4 + UDP headers for `data` bytes to gw port dport. */
static void udp_headers(uint8_t *f, uint16_t sport, uint16_t dport,
                        unsigned data)
{
    uint8_t *ip = f + 14, *udp = ip + 20;
    unsigned ip_len = 20 + 8 + data;
    uint16_t c;

    memset(f, 0, 14 + 28);
    memcpy(f, gw_mac, 6);
    memcpy(f + 6, my_mac, 6);
    f[12] = 0x08;
    ip[0] = 0x45;
    ip[2] = ip_len >> 8; ip[3] = ip_len;
    ip[6] = 0x40;                               /* don't fragment */
    ip[8] = 64; ip[9] = 17;
    memcpy(ip + 12, my_ip, 4);
    memcpy(ip + 16, gw_ip, 4);
    c = csum16(ip, 20);
    ip[10] = c >> 8; ip[11] = c;
    udp[0] = sport >> 8; udp[1] = sport;
    udp[2] = dport >> 8; udp[3] = dport;
    udp[4] = (8 + data) >> 8; udp[5] = 8 + data;    /* checksum 0: none */
}

static void arp_request(void)
{
    unsigned s = tx_get();
    uint8_t *f = tx_slot(s);

    memset(f, 0, NET_HDR + 60);
    f += NET_HDR;
    memset(f, 0xff, 6);
    memcpy(f + 6, my_mac, 6);
    f[12] = 0x08; f[13] = 0x06;
    f[15] = 1; f[16] = 0x08; f[18] = 6; f[19] = 4; f[21] = 1;
    memcpy(f + 22, my_mac, 6);
    memcpy(f + 28, my_ip, 4);
    memcpy(f + 38, gw_ip, 4);
    tx_put(s, NET_HDR + 60);
    virtq_publish(&txq);
}

/* One received frame: its Ethernet frame and length, or 0. */
static uint8_t *rx_next(uint32_t *len, unsigned *slot)
{
    uint32_t id;

    if (!virtq_used(&rxq, &id, len))
        return 0;
    *slot = id;
    if (*len < NET_HDR + 14)
        *len = NET_HDR + 14;
    *len -= NET_HDR;
    return rx_slot(id) + NET_HDR;
}

static void resolve_gateway(uint32_t khz)
{
    for (int tries = 0; tries < 20; tries++) {
        uint64_t end = virtio_rdtsc() + (uint64_t)khz * 200;

        arp_request();
        while (virtio_rdtsc() < end) {
            uint32_t len;
            unsigned s;
            uint8_t *f = rx_next(&len, &s);

            if (!f) {
                tx_reap();
                continue;
            }
            if (f[12] == 0x08 && f[13] == 0x06 && f[21] == 2 &&
                !memcmp(f + 28, gw_ip, 4)) {
                memcpy(gw_mac, f + 22, 6);
                rx_post(s);
                virtq_publish(&rxq);
                return;
            }
            rx_post(s);
            virtq_publish(&rxq);
        }
    }
    virtio_fail("no ARP reply from 10.0.2.2");
}

static void phase_tx(uint32_t n, uint16_t port)
{
    uint32_t sent = 0;
    uint64_t t0;

    /* every slot holds the frame; only the sequence number changes
     * (the data stays as the RAM was: a byte loop here would cost
     * seconds where the host emulates the guest's instructions) */
    for (unsigned s = 0; s < txq.size; s++) {
        uint8_t *f = tx_slot(s);

        memset(f, 0, NET_HDR);
        udp_headers(f + NET_HDR, port, port, UDP_DATA);
    }
    tx_reap();
    t0 = virtio_rdtsc();
    while (sent < n) {
        unsigned batch = 0;

        tx_reap();
        while (tx_nfree && sent < n && batch < 64) {
            unsigned s = tx_free[--tx_nfree];
            uint8_t *f = tx_slot(s);

            /* a slot may have carried an ARP request: headers again */
            if (f[NET_HDR + 12] != 0x08 || f[NET_HDR + 13] != 0x00)
                udp_headers(f + NET_HDR, port, port, UDP_DATA);
            memcpy(f + NET_HDR + 42, &sent, 4);
            tx_put(s, NET_HDR + FRAME);
            sent++;
            batch++;
        }
        virtq_publish(&txq);
        if (!batch)
            cpu_relax();
    }
    while (tx_nfree < txq.size)
        tx_reap();
    printf("phase=tx n=%u bytes=%u cycles=%llu\n", n, FRAME,
           (unsigned long long)(virtio_rdtsc() - t0));
}

static void send_ack(uint16_t port, uint32_t count)
{
    unsigned s = tx_get();
    uint8_t *f = tx_slot(s);

    memset(f, 0, NET_HDR);
    udp_headers(f + NET_HDR, port, port, 4);
    memcpy(f + NET_HDR + 42, &count, 4);
    tx_put(s, NET_HDR + 14 + 28 + 4);
    virtq_publish(&txq);
}

static void phase_rx(uint32_t n, uint16_t port, uint16_t ackport,
                     uint32_t khz)
{
    uint32_t count = 0;
    uint64_t first = 0, last = 0, idle = (uint64_t)khz * 1000,
             start = virtio_rdtsc();

    printf("rx ready\n");
    while (count < n) {
        uint32_t len;
        unsigned s, posted = 0;
        uint8_t *f;
        uint64_t now = virtio_rdtsc();

        if (count ? now - last > idle : now - start > 30 * idle)
            break;
        while (count < n && (f = rx_next(&len, &s))) {
            if (len >= 42 && f[12] == 0x08 && f[13] == 0x00 &&
                f[14 + 9] == 17 && (f[36] << 8 | f[37]) == port) {
                last = virtio_rdtsc();
                if (!count)
                    first = last;
                count++;
                if (count % ACK_EVERY == 0 || count == n)
                    send_ack(ackport, count);
            }
            rx_post(s);
            posted++;
        }
        if (posted)
            virtq_publish(&rxq);
        tx_reap();
    }
    printf("phase=rx n=%u bytes=%u cycles=%llu\n", count, FRAME,
           (unsigned long long)(last - first));
}

int main(uint32_t magic, struct mb_info *mbi)
{
    const char *cmdline = 0;
    uint32_t n, khz;

    serial_init();
    if (magic == 0x2badb002 && (mbi->flags & (1 << 2)))
        cmdline = (const char *)mbi->cmdline;
    n = cmdline_value(cmdline, "n=", 10000);
    for (int i = 0; i < 4; i++) {
        uint32_t ip = cmdline_value(cmdline, "ip=", 0x0a00020f);
        uint32_t gw = cmdline_value(cmdline, "gw=", 0x0a000202);

        my_ip[i] = ip >> (24 - 8 * i);
        gw_ip[i] = gw >> (24 - 8 * i);
    }
    khz = cmdline_value(cmdline, "khz=", 2000000);
    virtio_pci_open(&dev, VIRTIO_TYPE_NET, VIRTIO_NET_TRANS);
    virtio_check(virtio_pci_negotiate(&dev, (1ull << VIRTIO_NET_F_MAC) |
                                            (1ull << VIRTIO_NET_F_MRG_RXBUF) |
                                            (1ull << VIRTIO_F_EVENT_IDX), 0));
    if (!(dev.features & (1ull << VIRTIO_NET_F_MAC)))
        virtio_fail("no MAC address offered");
    for (int i = 0; i < 6; i++)
        my_mac[i] = dev.devcfg[i];
    virtio_check(virtio_pci_queue(&dev, 0, (void *)RX_RING, QMAX, &rxq));
    virtio_check(virtio_pci_queue(&dev, 1, (void *)TX_RING, QMAX, &txq));
    virtio_pci_driver_ok(&dev);
    for (unsigned i = 0; i < rxq.size; i++)
        rx_post(i);
    virtq_publish(&rxq);
    for (unsigned i = 0; i < txq.size; i++)
        tx_free[tx_nfree++] = i;
    resolve_gateway(khz);
    printf("virtio-net: mac %x:%x:%x:%x:%x:%x, queues %u/%u, features %llx\n",
           my_mac[0], my_mac[1], my_mac[2], my_mac[3], my_mac[4], my_mac[5],
           rxq.size, txq.size, (unsigned long long)dev.features);
    if (cmdline_value(cmdline, "port=", 0))
        phase_tx(n, cmdline_value(cmdline, "port=", 0));
    if (cmdline_value(cmdline, "rxport=", 0))
        phase_rx(n, cmdline_value(cmdline, "rxport=", 0),
                 cmdline_value(cmdline, "ackport=", 0), khz);
    if (cmdline_value(cmdline, "hold=", 0)) {
        printf("done\n");
        halt_forever();
    }
    return 0;
}
