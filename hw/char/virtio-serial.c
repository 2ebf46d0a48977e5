/*
 * virtio-serial-pci and its virtconsole port: the console device of the
 * Virtual I/O Device spec 1.2, section 5.3, with QEMU's -device names.
 *
 *   -device virtio-serial-pci[,id=vs0][,max_ports=1]
 *   -device virtconsole,chardev=ID[,bus=vs0.0][,name=NAME][,nr=0]
 *
 * The two live in one file because the port is nothing but a chardev
 * bound to the device's port 0.  One port is all this device has
 * (max_nr_ports = 1): port 0 uses queues 0/1, the control queues are 2/3
 * (5.3.2), so a second port would need queues 4/5 and a port model that
 * is not here; max_ports above 1, a second virtconsole and virtserialport
 * are refused by name.
 *
 * Guest -> host: the transmit queue's buffers are written to the chardev
 * on the device's I/O thread (qemu_chr_write_all() is safe from any
 * thread; it serialises whole writes).  Host -> guest: chardev input
 * is not read until the port is open (driver running, PORT_OPEN); then
 * it arrives on the main loop into a small bounded buffer that the
 * receive queue's handler (I/O thread) moves into the driver's buffers.
 * When that buffer is full, can_read says 0 and the chardev holds its
 * input until the handler has drained it.
 */
#include "hw/virtio/virtio-pci.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "chardev/char.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"

#include <string.h>
#include <unistd.h>

/* 5.3.3: feature bits */
#define VIRTIO_CONSOLE_F_MULTIPORT      1

/* 5.3.6.2: control events */
#define VIRTIO_CONSOLE_DEVICE_READY     0
#define VIRTIO_CONSOLE_DEVICE_ADD       1   /* "PORT_ADD" */
#define VIRTIO_CONSOLE_DEVICE_REMOVE    2
#define VIRTIO_CONSOLE_PORT_READY       3
#define VIRTIO_CONSOLE_CONSOLE_PORT     4
#define VIRTIO_CONSOLE_RESIZE           5
#define VIRTIO_CONSOLE_PORT_OPEN        6
#define VIRTIO_CONSOLE_PORT_NAME        7
/* struct virtio_console_control { le32 id; le16 event; le16 value; } */
#define CONTROL_LEN                     8

/* 5.3.4: { le16 cols; le16 rows; le32 max_nr_ports; le32 emerg_wr; } */
#define CONSOLE_CONFIG_LEN              12
#define CONSOLE_MAX_PORTS               1

#define CONSOLE_QUEUE_SIZE              128
#define CONSOLE_RX_MAX                  4096    /* host input held here */
#define CONSOLE_PENDING_MAX             16      /* control messages */
/* QEMU's virtio-serial-pci: simple communication controller, other */
#define PCI_CLASS_COMMUNICATION_OTHER   0x078000

typedef struct VirtIOSerial {
    VirtIODevice vdev;
    char *id;                   /* -device id=, the bus is "ID.0" */
    VirtQueue *rx, *tx, *c_ivq, *c_ovq;
    /* the port (port 0); NULL chr: no virtconsole yet */
    Chardev *chr;
    char *name;
    bool guest_open;            /* the driver sent PORT_OPEN 1 */
    bool warned;                /* one warning per device: the guest
                                 * must not be able to flood the log */
    /* device lock: control messages the driver has no buffer for yet */
    GQueue ctrl_pending;        /* GBytes */
    /* rx_lock: host input for port 0, main loop -> I/O thread */
    GMutex rx_lock;
    GByteArray *rx_buf;
    bool rx_was_full;
} VirtIOSerial;

static GPtrArray *serial_devices;       /* VirtIOSerial, creation order */

static void handle_rx(VirtIODevice *vdev, VirtQueue *vq);

/* ---- control queues (device lock held) --------------------------------- */

static void ctrl_flush(VirtIOSerial *s)
{
    VirtQueueElement *elem;
    bool pushed = false;

    while (!g_queue_is_empty(&s->ctrl_pending) &&
           (elem = virtqueue_pop(s->c_ivq))) {
        GBytes *msg = g_queue_pop_head(&s->ctrl_pending);
        gsize len;
        const void *data = g_bytes_get_data(msg, &len);

        if (elem->in_len < len) {
            virtio_error(&s->vdev, "control receive buffer of %zu bytes "
                         "for a %zu-byte message", elem->in_len, (size_t)len);
            g_bytes_unref(msg);
            g_free(elem);
            return;
        }
        iov_from_buf(elem->in_sg, elem->in_num, 0, data, len);
        virtqueue_push(s->c_ivq, elem, len);
        pushed = true;
        g_bytes_unref(msg);
        g_free(elem);
    }
    if (pushed) {
        virtio_notify(s->c_ivq);
    }
}

static void ctrl_send(VirtIOSerial *s, uint16_t event, uint16_t value,
                      const char *text)
{
    size_t tlen = text ? strlen(text) : 0;
    g_autofree uint8_t *msg = g_malloc(CONTROL_LEN + tlen);

    if (g_queue_get_length(&s->ctrl_pending) >= CONSOLE_PENDING_MAX) {
        /* a driver that asks without reading: drop, it is its own loss */
        return;
    }
    stl_le_p(msg, 0);           /* port id: only port 0 exists */
    stw_le_p(msg + 4, event);
    stw_le_p(msg + 6, value);
    if (tlen) {
        memcpy(msg + CONTROL_LEN, text, tlen);
    }
    g_queue_push_tail(&s->ctrl_pending, g_bytes_new(msg, CONTROL_LEN + tlen));
}

static void ctrl_receive(VirtIOSerial *s, uint32_t id, uint16_t event,
                         uint16_t value)
{
    if (event == VIRTIO_CONSOLE_DEVICE_READY) {
        /* value 0: the driver failed to set up; nothing to announce */
        if (value && s->chr) {
            ctrl_send(s, VIRTIO_CONSOLE_DEVICE_ADD, 1, NULL);
        }
        return;
    }
    if (id >= CONSOLE_MAX_PORTS || !s->chr) {
        if (s->warned) {
            return;
        }
        s->warned = true;
        warn_report("virtio-serial: control event %u for port %u, which "
                    "does not exist", event, id);
        return;
    }
    switch (event) {
    case VIRTIO_CONSOLE_PORT_READY:
        if (value) {
            /* QEMU's order: console, name, then the host side is open */
            ctrl_send(s, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL);
            if (s->name) {
                ctrl_send(s, VIRTIO_CONSOLE_PORT_NAME, 1, s->name);
            }
            ctrl_send(s, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
        }
        break;
    case VIRTIO_CONSOLE_PORT_OPEN:
        s->guest_open = value;
        if (value) {
            /* input held while the port was closed may go now */
            handle_rx(&s->vdev, s->rx);
        }
        break;
    default:
        /* 5.3.6.2: other events are the device's to send */
        if (s->warned) {
            break;
        }
        s->warned = true;
        warn_report("virtio-serial: unexpected control event %u from the "
                    "driver", event);
        break;
    }
}

static void handle_c_ovq(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOSerial *s = (VirtIOSerial *)vdev;
    VirtQueueElement *elem;
    bool pushed = false;

    while ((elem = virtqueue_pop(vq))) {
        uint8_t msg[CONTROL_LEN];

        if (elem->out_len < CONTROL_LEN) {
            virtio_error(vdev, "control message of %zu bytes", elem->out_len);
            g_free(elem);
            return;
        }
        iov_to_buf(elem->out_sg, elem->out_num, 0, msg, sizeof(msg));
        ctrl_receive(s, ldl_le_p(msg), lduw_le_p(msg + 4),
                     lduw_le_p(msg + 6));
        virtqueue_push(vq, elem, 0);
        pushed = true;
        g_free(elem);
    }
    if (pushed) {
        virtio_notify(vq);
    }
    ctrl_flush(s);
}

static void handle_c_ivq(VirtIODevice *vdev, VirtQueue *vq)
{
    ctrl_flush((VirtIOSerial *)vdev);
}

/* ---- port 0 data -------------------------------------------------------- */

static void handle_tx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOSerial *s = (VirtIOSerial *)vdev;
    VirtQueueElement *elem;
    bool pushed = false;

    while ((elem = virtqueue_pop(vq))) {
        for (unsigned i = 0; i < elem->out_num; i++) {
            qemu_chr_write_all(s->chr, elem->out_sg[i].iov_base,
                               elem->out_sg[i].iov_len);
        }
        virtqueue_push(vq, elem, 0);
        pushed = true;
        g_free(elem);
    }
    if (pushed) {
        virtio_notify(vq);
    }
}

static void handle_rx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOSerial *s = (VirtIOSerial *)vdev;
    bool pushed = false, room = false;

    g_mutex_lock(&s->rx_lock);
    while (s->rx_buf->len) {
        VirtQueueElement *elem = virtqueue_pop(vq);
        size_t n;

        if (!elem) {
            break;
        }
        n = iov_from_buf(elem->in_sg, elem->in_num, 0, s->rx_buf->data,
                         s->rx_buf->len);
        g_byte_array_remove_range(s->rx_buf, 0, n);
        virtqueue_push(vq, elem, n);
        pushed = true;
        g_free(elem);
    }
    if (s->rx_was_full && s->rx_buf->len < CONSOLE_RX_MAX) {
        s->rx_was_full = false;
        room = true;
    }
    g_mutex_unlock(&s->rx_lock);
    if (pushed) {
        virtio_notify(vq);
    }
    if (room) {
        qemu_chr_fe_accept_input(s->chr);
    }
}

/*
 * Main loop: how much host input the port can take now.  None until the
 * port is open: the driver is running and (with MULTIPORT) has sent
 * PORT_OPEN, which Linux does after posting its receive buffers.  The
 * receive handler or PORT_OPEN calls qemu_chr_fe_accept_input() later.
 */
static size_t console_can_read(void *opaque)
{
    VirtIOSerial *s = opaque;
    bool open;
    size_t room;

    g_mutex_lock(s->vdev.lock);
    open = virtio_queue_ready(s->rx) &&
           (s->guest_open ||
            !virtio_has_feature(&s->vdev, VIRTIO_CONSOLE_F_MULTIPORT));
    g_mutex_unlock(s->vdev.lock);
    g_mutex_lock(&s->rx_lock);
    room = open ? CONSOLE_RX_MAX - s->rx_buf->len : 0;
    s->rx_was_full = room == 0;
    g_mutex_unlock(&s->rx_lock);
    return room;
}

/* Main loop: keep the input and kick the receive queue's thread. */
static void console_read(void *opaque, const uint8_t *buf, size_t len)
{
    VirtIOSerial *s = opaque;
    static const uint64_t one = 1;

    g_mutex_lock(&s->rx_lock);
    len = MIN(len, CONSOLE_RX_MAX - s->rx_buf->len);
    g_byte_array_append(s->rx_buf, buf, len);
    g_mutex_unlock(&s->rx_lock);
    if (write(s->rx->notify_fd, &one, sizeof(one)) < 0) {
        /* counter full: a wake-up is pending anyway */
    }
}

/* ---- the device --------------------------------------------------------- */

static void serial_get_config(VirtIODevice *vdev, uint8_t *c)
{
    stw_le_p(c, 0);                             /* cols: no F_SIZE */
    stw_le_p(c + 2, 0);                         /* rows */
    stl_le_p(c + 4, CONSOLE_MAX_PORTS);
    stl_le_p(c + 8, 0);                         /* emerg_wr: no F_EMERG */
}

static void serial_reset(VirtIODevice *vdev)
{
    VirtIOSerial *s = (VirtIOSerial *)vdev;

    g_queue_clear_full(&s->ctrl_pending, (GDestroyNotify)g_bytes_unref);
    s->guest_open = false;
    /* held input stays: it is the host's, and a new driver may read it */
}

static const VirtIODeviceClass virtio_serial_class = {
    .name = "virtio-serial",
    .device_id = VIRTIO_ID_CONSOLE,
    .features = 1ULL << VIRTIO_CONSOLE_F_MULTIPORT,
    .config_len = CONSOLE_CONFIG_LEN,
    .get_config = serial_get_config,
    .reset = serial_reset,
};

static bool virtio_serial_pci_create(MachineState *ms, QemuOpts *opts,
                                     GError **errp)
{
    const char *id = qemu_opt_get(opts, "id");
    uint64_t max_ports;
    VirtIOSerial *s;

    if (!qemu_opt_get_number(opts, "max_ports", CONSOLE_MAX_PORTS,
                             &max_ports, errp)) {
        return false;
    }
    if (max_ports != CONSOLE_MAX_PORTS) {
        error_setg(errp, "virtio-serial-pci: max_ports=%" G_GUINT64_FORMAT
                   " is not supported: qkvm's virtio-serial has one port "
                   "(a virtconsole)", max_ports);
        return false;
    }
    s = g_new0(VirtIOSerial, 1);
    s->id = g_strdup(id);
    g_queue_init(&s->ctrl_pending);
    g_mutex_init(&s->rx_lock);
    s->rx_buf = g_byte_array_new();
    virtio_init(&s->vdev, &virtio_serial_class, ms);
    /* 5.3.2: receiveq0, transmitq0, control receiveq, control transmitq */
    s->rx = virtio_add_queue(&s->vdev, CONSOLE_QUEUE_SIZE, handle_rx);
    s->tx = virtio_add_queue(&s->vdev, CONSOLE_QUEUE_SIZE, handle_tx);
    s->c_ivq = virtio_add_queue(&s->vdev, CONSOLE_QUEUE_SIZE, handle_c_ivq);
    s->c_ovq = virtio_add_queue(&s->vdev, CONSOLE_QUEUE_SIZE, handle_c_ovq);
    if (!virtio_pci_add(ms, &s->vdev, PCI_CLASS_COMMUNICATION_OTHER, opts,
                        errp)) {
        return false;
    }
    if (!serial_devices) {
        serial_devices = g_ptr_array_new();
    }
    g_ptr_array_add(serial_devices, s);
    return true;
}

static const DeviceInfo virtio_serial_pci_info = {
    .name = "virtio-serial-pci",
    .bus = "PCI",
    .desc = "virtio console device (one virtconsole port; max_ports=1)",
    .create = virtio_serial_pci_create,
};
DEVICE_REGISTER(virtio_serial_pci_info)

/* bus=ID.0 names a device by id; without it, the first free one. */
static VirtIOSerial *find_serial_bus(const char *bus, GError **errp)
{
    g_autofree char *want = NULL;

    if (bus) {
        if (!g_str_has_suffix(bus, ".0")) {
            error_setg(errp, "Bus '%s' not found", bus);
            return NULL;
        }
        want = g_strndup(bus, strlen(bus) - 2);
    }
    for (guint i = 0; serial_devices && i < serial_devices->len; i++) {
        VirtIOSerial *s = g_ptr_array_index(serial_devices, i);

        if (want && g_strcmp0(s->id, want) != 0) {
            continue;
        }
        if (s->chr) {
            if (want) {
                error_setg(errp, "virtconsole: bus '%s' already has its "
                           "one port (qkvm supports one virtconsole per "
                           "virtio-serial-pci)", bus);
                return NULL;
            }
            continue;
        }
        return s;
    }
    if (want) {
        error_setg(errp, "Bus '%s' not found", bus);
    } else if (serial_devices && serial_devices->len) {
        error_setg(errp, "virtconsole: every virtio-serial-pci already has "
                   "its one port (qkvm supports one virtconsole per "
                   "virtio-serial-pci)");
    } else {
        error_setg(errp, "No 'virtio-serial-bus' bus found for device "
                   "'virtconsole'");
    }
    return NULL;
}

static bool virtconsole_create(MachineState *ms, QemuOpts *opts,
                               GError **errp)
{
    const char *chardev = qemu_opt_get(opts, "chardev");
    const char *name = qemu_opt_get(opts, "name");
    uint64_t nr;
    VirtIOSerial *s;
    Chardev *chr;

    if (!qemu_opt_get_number(opts, "nr", 0, &nr, errp)) {
        return false;
    }
    if (nr != 0) {
        error_setg(errp, "virtconsole: nr=%" G_GUINT64_FORMAT " is not "
                   "supported: the console is port 0", nr);
        return false;
    }
    if (!chardev) {
        error_setg(errp, "Property 'virtconsole.chardev' can't be empty");
        return false;
    }
    chr = qemu_chr_find(chardev);
    if (!chr) {
        error_setg(errp, "Property 'virtconsole.chardev' can't find value "
                   "'%s'", chardev);
        return false;
    }
    s = find_serial_bus(qemu_opt_get(opts, "bus"), errp);
    if (!s) {
        return false;
    }
    if (!qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    g_mutex_lock(s->vdev.lock);
    s->name = g_strdup(name);
    s->chr = chr;
    g_mutex_unlock(s->vdev.lock);
    qemu_chr_fe_set_handlers(chr, console_can_read, console_read, s);
    return true;
}

static const DeviceInfo virtconsole_info = {
    .name = "virtconsole",
    .bus = "virtio-serial-bus",
    .desc = "virtio console port (chardev=ID, name=; /dev/hvc0 in Linux)",
    .create = virtconsole_create,
};
DEVICE_REGISTER(virtconsole_info)
