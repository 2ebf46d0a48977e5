/*
 * virtio-net-pci (Virtual I/O Device spec 1.2, 5.1) on a -netdev backend.
 *
 * Queues: 0 receive, 1 transmit.  Every buffer starts with the 12-byte
 * struct virtio_net_hdr (5.1.6; with VERSION_1 it always has
 * num_buffers).  No offloads are offered: frames go both ways whole and
 * checksummed.  Frames from the backend wait in a bounded list until
 * the driver has receive buffers; past the bound they are dropped, as a
 * full NIC would (TCP recovers).
 */
#include "hw/virtio/virtio-pci.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "net/net.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"

#include <string.h>
#include <unistd.h>

/* 5.1.3: feature bits */
#define VIRTIO_NET_F_MAC        5
#define VIRTIO_NET_F_STATUS     16
#define VIRTIO_NET_S_LINK_UP    1

#define NET_HDR_LEN             12
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
} VirtIONet;

/* Backend thread: queue the frame and kick the receive queue's thread. */
static void net_deliver(void *opaque, const uint8_t *frame, size_t len)
{
    VirtIONet *n = opaque;
    static const uint64_t one = 1;

    g_mutex_lock(&n->rx_lock);
    if (g_queue_get_length(&n->rx_pending) < NET_RX_BACKLOG) {
        g_queue_push_tail(&n->rx_pending, g_bytes_new(frame, len));
    }
    g_mutex_unlock(&n->rx_lock);
    if (write(n->rx->notify_fd, &one, sizeof(one)) < 0) {
        /* counter full: a wake-up is pending anyway */
    }
}

/* The receive queue's handler: waiting frames into driver buffers. */
static void net_handle_rx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIONet *n = (VirtIONet *)vdev;
    bool pushed = false;

    for (;;) {
        GBytes *frame;
        VirtQueueElement *elem;
        uint8_t hdr[NET_HDR_LEN] = { 0 };
        const uint8_t *data;
        gsize len;

        g_mutex_lock(&n->rx_lock);
        frame = g_queue_peek_head(&n->rx_pending);
        g_mutex_unlock(&n->rx_lock);
        if (!frame || !(elem = virtqueue_pop(vq))) {
            break;
        }
        g_mutex_lock(&n->rx_lock);
        g_queue_pop_head(&n->rx_pending);
        g_mutex_unlock(&n->rx_lock);
        data = g_bytes_get_data(frame, &len);
        if (elem->in_len < NET_HDR_LEN + len) {
            /* a buffer too small for the frame: drop the frame */
            virtqueue_push(vq, elem, 0);
        } else {
            stw_le_p(hdr + 10, 1);                  /* num_buffers */
            iov_from_buf(elem->in_sg, elem->in_num, 0, hdr, sizeof(hdr));
            iov_from_buf(elem->in_sg, elem->in_num, NET_HDR_LEN, data, len);
            virtqueue_push(vq, elem, NET_HDR_LEN + len);
        }
        pushed = true;
        g_bytes_unref(frame);
        g_free(elem);
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

    while ((elem = virtqueue_pop(vq))) {
        if (elem->out_len < NET_HDR_LEN) {
            virtio_error(vdev, "transmit buffer without header");
            g_free(elem);
            return;
        }
        if (elem->out_len - NET_HDR_LEN <= NET_MAX_FRAME) {
            struct iovec *iov = g_new(struct iovec, elem->out_num);
            unsigned k = 0;
            size_t skip = NET_HDR_LEN;

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
        virtio_notify(vq);
    }
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
}

static const VirtIODeviceClass virtio_net_class = {
    .name = "virtio-net",
    .device_id = VIRTIO_ID_NET,
    .features = (1ULL << VIRTIO_NET_F_MAC) | (1ULL << VIRTIO_NET_F_STATUS),
    .config_len = NET_CONFIG_LEN,
    .get_config = net_get_config,
    .reset = net_reset,
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
