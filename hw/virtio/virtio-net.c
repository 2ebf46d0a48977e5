/*
 * virtio-net-pci (Virtual I/O Device spec 1.2, 5.1) on a -netdev backend.
 *
 * Queues: 0 receive, 1 transmit.  Every buffer starts with the 12-byte
 * struct virtio_net_hdr (5.1.6; with VERSION_1 it always has
 * num_buffers).  With MRG_RXBUF a received frame may span several
 * receive buffers (5.1.6.4).  Checksum and TCP segmentation offloads
 * (5.1.6.2, 5.1.6.4) are offered only on a backend that carries the
 * header (tap with IFF_VNET_HDR), which then passes through unchanged;
 * on others frames go both ways whole and checksummed.  Frames from the
 * backend wait in a bounded list until the driver has receive buffers;
 * past the bound they are dropped, as a full NIC would (TCP recovers).
 */
#include "hw/virtio/virtio-pci.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "net/net.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

/* 5.1.3: feature bits */
#define VIRTIO_NET_F_CSUM       0       /* driver may send partial csums */
#define VIRTIO_NET_F_GUEST_CSUM 1       /* driver takes partial csums */
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN  9
#define VIRTIO_NET_F_HOST_TSO4  11
#define VIRTIO_NET_F_HOST_TSO6  12
#define VIRTIO_NET_F_HOST_ECN   13
#define VIRTIO_NET_F_MRG_RXBUF  15
#define VIRTIO_NET_F_STATUS     16
#define VIRTIO_NET_S_LINK_UP    1

#define NET_HDR_LEN             NET_VNET_HDR_LEN
#define F(bit)                  (1ULL << (bit))
/* offered only on a backend that carries the header (tap vnet_hdr) */
#define NET_OFFLOAD_FEATURES \
    (F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_GUEST_CSUM) | \
     F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) | \
     F(VIRTIO_NET_F_GUEST_ECN) | F(VIRTIO_NET_F_HOST_TSO4) | \
     F(VIRTIO_NET_F_HOST_TSO6) | F(VIRTIO_NET_F_HOST_ECN))
#define NET_QUEUE_SIZE          256
#define NET_CONFIG_LEN          8       /* mac[6], status */
#define NET_RX_BACKLOG          256     /* frames waiting for buffers */
#define NET_MAX_FRAME           65536
/* 5.1: PCI network controller, Ethernet */
#define PCI_CLASS_NETWORK_ETHERNET 0x020000

typedef struct VirtIONet {
    VirtIODevice vdev;
    NetBackend *nb;
    uint8_t mac[6];
    GMutex rx_lock;             /* rx_pending only: deliver() takes it */
    GQueue rx_pending;          /* GBytes, oldest first */
    VirtQueue *rx, *tx;
    uint64_t rx_dropped;        /* receive queue thread only */
    gint64 rx_drop_logged;      /* when the last drop was logged */
} VirtIONet;

static void net_handle_rx(VirtIODevice *vdev, VirtQueue *vq);
/* the device whose transmit handler this thread runs (it holds its lock) */
static __thread VirtIONet *net_tx_device;

/* Backend thread: queue the frame, header room first, and receive it
 * now or kick the receive queue's thread. */
static void net_deliver(void *opaque, const uint8_t *frame, size_t len)
{
    VirtIONet *n = opaque;
    static const uint64_t one = 1;
    size_t hdr = n->nb->vnet_hdr ? 0 : NET_HDR_LEN;
    uint8_t *buf = g_malloc(hdr + len);
    bool was_empty = false;

    /* a backend without the header: its fields stay zero, the frame is
     * whole and checksummed (5.1.6.4) */
    memset(buf, 0, hdr);
    memcpy(buf + hdr, frame, len);

    g_mutex_lock(&n->rx_lock);
    if (hdr + len >= NET_HDR_LEN &&
        g_queue_get_length(&n->rx_pending) < NET_RX_BACKLOG) {
        was_empty = g_queue_is_empty(&n->rx_pending);
        g_queue_push_tail(&n->rx_pending, g_bytes_new_take(buf, hdr + len));
        buf = NULL;
    }
    g_mutex_unlock(&n->rx_lock);
    g_free(buf);
    /*
     * If the device is idle, receive right here (as a block completion
     * pushes from its worker thread): no wake-up of the queue's thread,
     * two system calls and a thread switch less per frame.  Only a
     * trylock: this thread may hold the backend's lock, which a
     * transmit handler takes under the device's.  Not at all from
     * inside this device's transmit handler (its slirp_input may land
     * here): the thread holds the device's lock then, and GMutex does
     * not define a lock attempt by its holder.
     * Otherwise only the first frame of a burst kicks the queue's
     * thread: while frames wait, it has been kicked already and drains
     * them all, or it waits for buffers and the driver's kick for those
     * wakes it.
     */
    if (net_tx_device != n && g_mutex_trylock(n->vdev.lock)) {
        net_handle_rx(&n->vdev, n->rx);
        g_mutex_unlock(n->vdev.lock);
    } else if (was_empty && write(n->rx->notify_fd, &one, sizeof(one)) < 0) {
        /* counter full: a wake-up is pending anyway */
    }
}

/* A frame the driver gave no room for: counted, logged at most once a
 * second (a driver short of buffers would otherwise flood the log). */
static void net_rx_drop(VirtIONet *n, const char *why, size_t len)
{
    gint64 now = g_get_monotonic_time();

    n->rx_dropped++;
    if (!n->rx_drop_logged || now - n->rx_drop_logged >= G_USEC_PER_SEC) {
        warn_report("virtio-net: dropped a %zu-byte frame: %s (%" PRIu64
                    " dropped so far)", len, why, n->rx_dropped);
        n->rx_drop_logged = now;
    }
}

typedef enum { RX_DONE, RX_NO_BUFFERS } RxResult;

/*
 * One frame (header included) into receive buffers.  Without
 * MRG_RXBUF it must fit one chain (5.1.6.3.1: the driver sizes them);
 * with it the frame continues across as many chains as it needs and
 * num_buffers says how many (5.1.6.4), all published at once.  Too few
 * chains available yet: nothing is used and the frame waits for the
 * driver's next kick; not even the whole ring is enough: the frame is
 * dropped; a chain shorter than the header breaks the device.
 */
static RxResult net_receive_one(VirtIONet *n, VirtQueue *vq, GBytes *frame)
{
    VirtIODevice *vdev = &n->vdev;
    bool mrg = virtio_has_feature(vdev, VIRTIO_NET_F_MRG_RXBUF);
    gsize total;
    const uint8_t *data = g_bytes_get_data(frame, &total);
    VirtQueueElement *elems[VIRTQUEUE_MAX_SIZE];
    uint32_t lens[VIRTQUEUE_MAX_SIZE];
    unsigned count = 0;
    size_t off = 0;
    RxResult ret = RX_DONE;

    while (off < total) {
        VirtQueueElement *e;

        if (count == vq->size || (!mrg && count == 1)) {
            net_rx_drop(n, mrg ? "all receive buffers together are too "
                        "small" : "receive buffer too small (no "
                        "MRG_RXBUF)", total - NET_HDR_LEN);
            goto give_back;
        }
        e = virtqueue_pop(vq);
        if (!e) {
            ret = RX_NO_BUFFERS;
            goto give_back;
        }
        elems[count] = e;
        if (e->in_len < NET_HDR_LEN) {
            /* 5.1.6.3.1: every receive buffer holds at least a header */
            count++;
            virtio_error(vdev, "receive buffer of %zu bytes, shorter than "
                         "the %d-byte header", e->in_len, NET_HDR_LEN);
            goto give_back;
        }
        lens[count] = iov_from_buf(e->in_sg, e->in_num, 0, data + off,
                                   total - off);
        off += lens[count];
        count++;
    }
    /* 5.1.6.4: num_buffers, in the first chain's header; 5.1.6.4.1:
     * flags zero unless the driver takes partial checksums (the
     * backend only sends offloaded frames the driver negotiated) */
    if (count) {
        uint8_t hdr[NET_HDR_LEN];

        memcpy(hdr, data, NET_HDR_LEN);
        if (!virtio_has_feature(vdev, VIRTIO_NET_F_GUEST_CSUM)) {
            hdr[0] = 0;
        }
        stw_le_p(hdr + 10, count);
        iov_from_buf(elems[0]->in_sg, elems[0]->in_num, 0, hdr, sizeof(hdr));
    }
    for (unsigned i = 0; i < count; i++) {
        virtqueue_fill(vq, elems[i], lens[i], i);
        g_free(elems[i]);
    }
    virtqueue_flush(vq, count);
    return RX_DONE;

give_back:
    /* the chains stay the driver's: used again for the next frame */
    virtqueue_unpop(vq, count);
    for (unsigned i = 0; i < count; i++) {
        g_free(elems[i]);
    }
    return ret;
}

/* The receive queue's handler: waiting frames into driver buffers. */
static void net_handle_rx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = (VirtIONet *)vdev;
    bool pushed = false;

    for (;;) {
        GBytes *frame;
        uint16_t used_before = vq->used_idx;

        g_mutex_lock(&n->rx_lock);
        frame = g_queue_peek_head(&n->rx_pending);
        g_mutex_unlock(&n->rx_lock);
        if (!frame || !virtio_queue_ready(vq) ||
            net_receive_one(n, vq, frame) == RX_NO_BUFFERS) {
            break;
        }
        pushed |= vq->used_idx != used_before;
        g_mutex_lock(&n->rx_lock);
        g_queue_pop_head(&n->rx_pending);
        g_mutex_unlock(&n->rx_lock);
        g_bytes_unref(frame);
    }
    if (pushed) {
        virtio_notify(vq);
    }
}

static void net_handle_tx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = (VirtIONet *)vdev;
    VirtQueueElement *elem;
    bool pushed = false;

    net_tx_device = n;
    while ((elem = virtqueue_pop(vq))) {
        if (elem->out_len < NET_HDR_LEN) {
            virtio_error(vdev, "transmit buffer without header");
            g_free(elem);
            net_tx_device = NULL;
            return;
        }
        if (elem->out_len - NET_HDR_LEN <= NET_MAX_FRAME) {
            static const uint8_t zero_hdr[NET_HDR_LEN];
            struct iovec *iov = g_new(struct iovec, elem->out_num + 1);
            unsigned k = 0;
            size_t skip = NET_HDR_LEN;

            /* 5.1.6.2: the driver's header goes to a backend that takes
             * it, as is when it may ask for offloads (CSUM), else zero */
            if (n->nb->vnet_hdr &&
                virtio_has_feature(vdev, VIRTIO_NET_F_CSUM)) {
                skip = 0;
            } else if (n->nb->vnet_hdr) {
                iov[k].iov_base = (void *)zero_hdr;
                iov[k++].iov_len = NET_HDR_LEN;
            }

            for (unsigned i = 0; i < elem->out_num; i++) {
                if (skip >= elem->out_sg[i].iov_len) {
                    skip -= elem->out_sg[i].iov_len;
                    continue;
                }
                iov[k].iov_base = (uint8_t *)elem->out_sg[i].iov_base + skip;
                iov[k].iov_len = elem->out_sg[i].iov_len - skip;
                skip = 0;
                k++;
            }
            n->nb->send(n->nb, iov, k);
            g_free(iov);
        }
        virtqueue_push(vq, elem, 0);
        pushed = true;
        g_free(elem);
    }
    if (pushed) {
        if (n->nb->flush) {
            n->nb->flush(n->nb);
        }
        virtio_notify(vq);
    }
    net_tx_device = NULL;
}

/* 5.1.4: struct virtio_net_config {mac[6], le16 status} */
static void net_get_config(VirtIODevice *vdev, uint8_t *c)
{
    VirtIONet *n = (VirtIONet *)vdev;

    memcpy(c, n->mac, 6);
    stw_le_p(c + 6, VIRTIO_NET_S_LINK_UP);
}

static void net_reset(VirtIODevice *vdev)
{
    VirtIONet *n = (VirtIONet *)vdev;

    g_mutex_lock(&n->rx_lock);
    g_queue_clear_full(&n->rx_pending, (GDestroyNotify)g_bytes_unref);
    g_mutex_unlock(&n->rx_lock);
    /* no driver, no offloads: frames whole and checksummed again */
    if (n->nb->set_offload) {
        n->nb->set_offload(n->nb, false, false, false, false);
    }
}

/* 5.1.3.1: the features each offload feature needs */
static bool net_accept_features(VirtIODevice *vdev, uint64_t f)
{
    VirtIONet *n = (VirtIONet *)vdev;
    static const struct { unsigned bit; uint64_t needs; } deps[] = {
        { VIRTIO_NET_F_GUEST_TSO4, F(VIRTIO_NET_F_GUEST_CSUM) },
        { VIRTIO_NET_F_GUEST_TSO6, F(VIRTIO_NET_F_GUEST_CSUM) },
        { VIRTIO_NET_F_GUEST_ECN, F(VIRTIO_NET_F_GUEST_TSO4) |
                                  F(VIRTIO_NET_F_GUEST_TSO6) },
        { VIRTIO_NET_F_HOST_TSO4, F(VIRTIO_NET_F_CSUM) },
        { VIRTIO_NET_F_HOST_TSO6, F(VIRTIO_NET_F_CSUM) },
        { VIRTIO_NET_F_HOST_ECN, F(VIRTIO_NET_F_HOST_TSO4) |
                                 F(VIRTIO_NET_F_HOST_TSO6) },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(deps); i++) {
        if ((f & F(deps[i].bit)) && !(f & deps[i].needs)) {
            return false;
        }
    }
    /* receive offloads: the backend may now pass what the driver takes */
    if (n->nb->set_offload) {
        n->nb->set_offload(n->nb, f & F(VIRTIO_NET_F_GUEST_CSUM),
                           f & F(VIRTIO_NET_F_GUEST_TSO4),
                           f & F(VIRTIO_NET_F_GUEST_TSO6),
                           f & F(VIRTIO_NET_F_GUEST_ECN));
    }
    return true;
}

static const VirtIODeviceClass virtio_net_class = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .features = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS) |
                (1ULL << VIRTIO_NET_F_MRG_RXBUF),
    .config_len = NET_CONFIG_LEN,
    .get_config = net_get_config,
    .reset = net_reset,
    .accept_features = net_accept_features,
};

static bool parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char end;

    if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &end) != 6) {
        return false;
    }
    for (int i = 0; i < 6; i++) {
        mac[i] = v[i];
    }
    return true;
}

static bool virtio_net_pci_create(MachineState *ms, QemuOpts *opts,
                                  GError **errp)
{
    static unsigned nic_index;
    const char *netdev = qemu_opt_get(opts, "netdev");
    const char *mac = qemu_opt_get(opts, "mac");
    const char *id = qemu_opt_get(opts, "id");
    uint64_t bootindex;
    VirtIONet *n;

    if (!netdev) {
        error_setg(errp, "virtio-net-pci needs netdev= (a -netdev id)");
        return false;
    }
    if (!qemu_opt_get_number(opts, "bootindex", 0, &bootindex, errp)) {
        return false;
    }
    n = g_new0(VirtIONet, 1);
    /* QEMU's default: 52:54:00:12:34:56, the last byte counting NICs */
    memcpy(n->mac, (uint8_t[]){ 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 }, 6);
    n->mac[5] += nic_index++;
    if (mac && !parse_mac(mac, n->mac)) {
        error_setg(errp, "Property 'virtio-net-pci.mac' doesn't take value "
                   "'%s'", mac);
        return false;
    }
    n->nb = netdev_attach(netdev, id ? id : "virtio-net-pci", errp);
    if (!n->nb) {
        return false;
    }
    g_mutex_init(&n->rx_lock);
    g_queue_init(&n->rx_pending);
    virtio_init(&n->vdev, &virtio_net_class, ms);
    if (n->nb->vnet_hdr) {
        n->vdev.host_features |= NET_OFFLOAD_FEATURES;
    }
    n->rx = virtio_add_queue(&n->vdev, NET_QUEUE_SIZE, net_handle_rx);
    n->tx = virtio_add_queue(&n->vdev, NET_QUEUE_SIZE, net_handle_tx);
    if (!virtio_pci_add(ms, &n->vdev, PCI_CLASS_NETWORK_ETHERNET, opts,
                        errp)) {
        return false;
    }
    /* frames flow only once the device is wired up */
    n->nb->deliver_opaque = n;
    n->nb->deliver = net_deliver;
    return true;
}

static const DeviceInfo virtio_net_pci_info = {
    .name = "virtio-net-pci",
    .bus = "PCI",
    .desc = "virtio network card (netdev=ID, mac=)",
    .create = virtio_net_pci_create,
};
DEVICE_REGISTER(virtio_net_pci_info)
