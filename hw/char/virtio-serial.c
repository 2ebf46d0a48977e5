/*
 * virtio-serial-pci: the console device of the Virtual I/O Device spec
 * 1.2, section 5.3, with QEMU's -device name; its ports (virtconsole,
 * virtserialport) are in virtio-console.c.
 *
 *   -device virtio-serial-pci[,id=vs0][,max_ports=N]        (N: 1..31, 31)
 *
 * Queues (5.3.2): port 0 receive/transmit 0/1, control receive/transmit
 * 2/3, then port n (n >= 1) 2n+2 / 2n+3.  Every queue exists from the
 * start (max_ports pairs); a port number without a port simply has no
 * traffic.  Port numbers follow QEMU: a virtconsole takes 0 if it is
 * free, 0 is never given to a virtserialport, others get the lowest free
 * number from 1; nr= names one.
 *
 * Control (5.3.6.2): DEVICE_READY is answered with PORT_ADD for every
 * port; PORT_READY with CONSOLE_PORT (virtconsole), PORT_NAME (name=) and
 * PORT_OPEN 1 if the host side is open; the host side's later changes are
 * sent as PORT_OPEN 1/0.  The driver's PORT_OPEN goes to the port
 * (virtio-console.c: query-chardev, QMP VSERPORT_CHANGE).
 *
 * Guest -> host: transmit buffers are written to the port's chardev on
 * the device's I/O thread (qemu_chr_write_all() is safe from any thread);
 * with the host side closed they are consumed and dropped, never left to
 * stall the queue.  Host -> guest: see virtio-console.c.
 */
#include "hw/virtio/virtio-pci.h"
#include "virtio-serial.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "qemu/bswap.h"
#include "qemu/error-report.h"

#include <string.h>

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

/* QEMU's default max_ports, and what our queue limit allows: two queues
 * per port plus the control pair (QEMU's bound has the same form). */
#define SERIAL_DEFAULT_PORTS            31
#define SERIAL_MAX_PORTS                (VIRTIO_QUEUE_MAX / 2 - 1)

#define CONSOLE_QUEUE_SIZE              128
/* QEMU's virtio-serial-pci: simple communication controller, other */
#define PCI_CLASS_COMMUNICATION_OTHER   0x078000

struct VirtIOSerial {
    VirtIODevice vdev;
    char *id;                   /* -device id=, the bus is "ID.0" */
    uint32_t max_ports;
    VirtQueue *c_ivq, *c_ovq;
    VirtIOSerialPort **ports;   /* [max_ports]; NULL: number free */
    bool warned;                /* one warning per device: the guest
                                 * must not be able to flood the log */
    /* device lock: control messages the driver has no buffer for yet */
    GQueue ctrl_pending;        /* GBytes */
    guint ctrl_pending_max;
};

static GPtrArray *serial_devices;       /* VirtIOSerial, creation order */

/* 5.3.2: which port a data queue belongs to (NULL: none there). */
static VirtIOSerialPort *port_of_queue(VirtIOSerial *s, VirtQueue *vq)
{
    unsigned nr = vq->index < 2 ? 0 : vq->index / 2 - 1;

    return nr < s->max_ports ? s->ports[nr] : NULL;
}

static VirtIOSerialPort *find_port_by_name(const char *name)
{
    for (guint i = 0; serial_devices && i < serial_devices->len; i++) {
        VirtIOSerial *s = g_ptr_array_index(serial_devices, i);

        for (uint32_t nr = 0; nr < s->max_ports; nr++) {
            if (s->ports[nr] && g_strcmp0(s->ports[nr]->name, name) == 0) {
                return s->ports[nr];
            }
        }
    }
    return NULL;
}

/* ---- control queues (device lock held) ---------------------------------- */

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

static void ctrl_send(VirtIOSerial *s, uint32_t id, uint16_t event,
                      uint16_t value, const char *text)
{
    size_t tlen = text ? strlen(text) : 0;
    g_autofree uint8_t *msg = g_malloc(CONTROL_LEN + tlen);

    if (g_queue_get_length(&s->ctrl_pending) >= s->ctrl_pending_max) {
        /* a driver that asks without reading: drop, it is its own loss */
        return;
    }
    stl_le_p(msg, id);
    stw_le_p(msg + 4, event);
    stw_le_p(msg + 6, value);
    if (tlen) {
        memcpy(msg + CONTROL_LEN, text, tlen);
    }
    g_queue_push_tail(&s->ctrl_pending, g_bytes_new(msg, CONTROL_LEN + tlen));
}

static void ctrl_warn_once(VirtIOSerial *s, const char *fmt, uint32_t a,
                           uint32_t b)
{
    if (!s->warned) {
        s->warned = true;
        warn_report(fmt, a, b);
    }
}

static void ctrl_receive(VirtIOSerial *s, uint32_t id, uint16_t event,
                         uint16_t value)
{
    VirtIOSerialPort *port;

    if (event == VIRTIO_CONSOLE_DEVICE_READY) {
        /* value 0: the driver failed to set up; nothing to announce */
        for (uint32_t nr = 0; value && nr < s->max_ports; nr++) {
            if (s->ports[nr]) {
                ctrl_send(s, nr, VIRTIO_CONSOLE_DEVICE_ADD, 1, NULL);
            }
        }
        return;
    }
    port = id < s->max_ports ? s->ports[id] : NULL;
    if (!port) {
        ctrl_warn_once(s, "virtio-serial: control event %u for port %u, "
                       "which does not exist", event, id);
        return;
    }
    switch (event) {
    case VIRTIO_CONSOLE_PORT_READY:
        /* value 0: the driver could not add the port */
        port->guest_ready = value;
        if (value) {
            /* QEMU's order: console, name, then the host side's state */
            if (port->is_console) {
                ctrl_send(s, id, VIRTIO_CONSOLE_CONSOLE_PORT, 1, NULL);
            }
            if (port->name) {
                ctrl_send(s, id, VIRTIO_CONSOLE_PORT_NAME, 1, port->name);
            }
            if (port->host_open) {
                ctrl_send(s, id, VIRTIO_CONSOLE_PORT_OPEN, 1, NULL);
            }
        }
        break;
    case VIRTIO_CONSOLE_PORT_OPEN:
        virtio_console_set_guest_open(port, value);
        if (value) {
            /* input held while the port was closed may go now */
            virtio_console_deliver(port);
        }
        break;
    default:
        /* 5.3.6.2: other events are the device's to send */
        ctrl_warn_once(s, "virtio-serial: unexpected control event %u from "
                       "the driver (port %u)", event, id);
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

/* ---- port data ---------------------------------------------------------- */

static void handle_tx(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOSerialPort *port = port_of_queue((VirtIOSerial *)vdev, vq);
    VirtQueueElement *elem;
    bool pushed = false;

    while ((elem = virtqueue_pop(vq))) {
        /* nobody on the host side (or no port): consumed, dropped */
        for (unsigned i = 0; port && port->host_open && port->chr &&
                             i < elem->out_num; i++) {
            qemu_chr_write_all(port->chr, elem->out_sg[i].iov_base,
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
    VirtIOSerialPort *port = port_of_queue((VirtIOSerial *)vdev, vq);

    if (port) {
        virtio_console_deliver(port);
    }
}

/*
 * Host input may flow once the port is open: the driver is running and
 * (with MULTIPORT) has sent PORT_OPEN, which Linux does after posting
 * its receive buffers; without MULTIPORT only port 0 exists for it.
 */
bool virtio_serial_port_takes_input(VirtIOSerialPort *port)
{
    VirtIODevice *vdev = &port->vser->vdev;
    bool open;

    g_mutex_lock(vdev->lock);
    open = virtio_queue_ready(port->rx) &&
           (virtio_has_feature(vdev, VIRTIO_CONSOLE_F_MULTIPORT) ?
            port->guest_open : port->nr == 0);
    g_mutex_unlock(vdev->lock);
    return open;
}

/* Tell a driver that has the port (PORT_OPEN 1/0), as QEMU does. */
void virtio_serial_set_host_open(VirtIOSerialPort *port, bool open)
{
    VirtIOSerial *s = port->vser;

    g_mutex_lock(s->vdev.lock);
    if (port->host_open != open) {
        port->host_open = open;
        if (port->guest_ready &&
            virtio_has_feature(&s->vdev, VIRTIO_CONSOLE_F_MULTIPORT)) {
            ctrl_send(s, port->nr, VIRTIO_CONSOLE_PORT_OPEN, open, NULL);
            ctrl_flush(s);
        }
    }
    g_mutex_unlock(s->vdev.lock);
}

/* ---- the device --------------------------------------------------------- */

static void serial_get_config(VirtIODevice *vdev, uint8_t *c)
{
    VirtIOSerial *s = (VirtIOSerial *)vdev;

    stw_le_p(c, 0);                             /* cols: no F_SIZE */
    stw_le_p(c + 2, 0);                         /* rows */
    stl_le_p(c + 4, s->max_ports);
    stl_le_p(c + 8, 0);                         /* emerg_wr: no F_EMERG */
}

static void serial_reset(VirtIODevice *vdev)
{
    VirtIOSerial *s = (VirtIOSerial *)vdev;

    g_queue_clear_full(&s->ctrl_pending, (GDestroyNotify)g_bytes_unref);
    for (uint32_t nr = 0; nr < s->max_ports; nr++) {
        VirtIOSerialPort *port = s->ports[nr];

        if (!port) {
            continue;
        }
        port->guest_ready = false;
        if (port->guest_open) {
            /* the driver is gone: the guest side closed (QEMU does too) */
            virtio_console_set_guest_open(port, false);
        }
        /* held input stays: it is the host's, and a new driver may read
         * it */
    }
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

    if (!qemu_opt_get_number(opts, "max_ports", SERIAL_DEFAULT_PORTS,
                             &max_ports, errp)) {
        return false;
    }
    /* QEMU's wording for both */
    if (max_ports == 0) {
        error_setg(errp, "Maximum number of serial ports not specified");
        return false;
    }
    if (max_ports > SERIAL_MAX_PORTS) {
        error_setg(errp, "maximum ports supported: %u", SERIAL_MAX_PORTS);
        return false;
    }
    s = g_new0(VirtIOSerial, 1);
    s->id = g_strdup(id);
    s->max_ports = max_ports;
    s->ports = g_new0(VirtIOSerialPort *, max_ports);
    g_queue_init(&s->ctrl_pending);
    /* a whole announcement (PORT_ADD; CONSOLE_PORT, PORT_NAME, PORT_OPEN
     * for each port) fits, with room for open/close changes */
    s->ctrl_pending_max = 4 * max_ports + 16;
    virtio_init(&s->vdev, &virtio_serial_class, ms);
    /* 5.3.2: receiveq0, transmitq0, control receiveq, control transmitq,
     * then receiveqN, transmitqN for port N */
    virtio_add_queue(&s->vdev, CONSOLE_QUEUE_SIZE, handle_rx);
    virtio_add_queue(&s->vdev, CONSOLE_QUEUE_SIZE, handle_tx);
    s->c_ivq = virtio_add_queue(&s->vdev, CONSOLE_QUEUE_SIZE, handle_c_ivq);
    s->c_ovq = virtio_add_queue(&s->vdev, CONSOLE_QUEUE_SIZE, handle_c_ovq);
    for (uint32_t nr = 1; nr < max_ports; nr++) {
        virtio_add_queue(&s->vdev, CONSOLE_QUEUE_SIZE, handle_rx);
        virtio_add_queue(&s->vdev, CONSOLE_QUEUE_SIZE, handle_tx);
    }
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
    .desc = "virtio console device (max_ports=, 31 by default)",
    .create = virtio_serial_pci_create,
};
DEVICE_REGISTER(virtio_serial_pci_info)

/* ---- plugging ports ----------------------------------------------------- */

VirtIOSerial *virtio_serial_find_bus(const char *bus, const char *model,
                                     GError **errp)
{
    size_t len = bus ? strlen(bus) : 0;

    for (guint i = 0; serial_devices && i < serial_devices->len; i++) {
        VirtIOSerial *s = g_ptr_array_index(serial_devices, i);

        if (!bus || (s->id && len == strlen(s->id) + 2 &&
                     strncmp(bus, s->id, len - 2) == 0 &&
                     strcmp(bus + len - 2, ".0") == 0)) {
            return s;
        }
    }
    if (bus) {
        error_setg(errp, "Bus '%s' not found", bus);
    } else {
        error_setg(errp, "No 'virtio-serial-bus' bus found for device '%s'",
                   model);
    }
    return NULL;
}

/* QEMU's numbering: see the top of the file.  The wording is QEMU's. */
static bool port_number(VirtIOSerial *s, uint64_t want, bool is_console,
                        const char *name, uint32_t *nr, GError **errp)
{
    if (want < s->max_ports && s->ports[want]) {
        error_setg(errp, "virtio-serial-bus: A port already exists at id %"
                   G_GUINT64_FORMAT, want);
        return false;
    }
    if (name && find_port_by_name(name)) {
        error_setg(errp, "virtio-serial-bus: A port already exists by name "
                   "%s", name);
        return false;
    }
    if (want == PORT_NR_NONE) {
        if (is_console && !s->ports[0]) {
            want = 0;
        } else {
            for (uint32_t i = 1; i < s->max_ports && want == PORT_NR_NONE;
                 i++) {
                if (!s->ports[i]) {
                    want = i;
                }
            }
            if (want == PORT_NR_NONE) {
                error_setg(errp, "virtio-serial-bus: Maximum port limit for "
                           "this device reached");
                return false;
            }
        }
    }
    if (want >= s->max_ports) {
        error_setg(errp, "virtio-serial-bus: Out-of-range port id specified, "
                   "max. allowed: %u", s->max_ports - 1);
        return false;
    }
    if (want == 0 && !is_console) {
        error_setg(errp, "Port number 0 on virtio-serial devices reserved "
                   "for virtconsole devices for backward compatibility.");
        return false;
    }
    *nr = want;
    return true;
}

bool virtio_serial_plug_port(VirtIOSerial *s, VirtIOSerialPort *port,
                             uint64_t want, GError **errp)
{
    uint32_t nr;

    if (!port_number(s, want, port->is_console, port->name, &nr, errp)) {
        return false;
    }
    port->vser = s;
    port->nr = nr;
    /* 5.3.2: queue numbers */
    port->rx = &s->vdev.vq[nr ? 2 * nr + 2 : 0];
    port->tx = &s->vdev.vq[nr ? 2 * nr + 3 : 1];
    g_mutex_lock(s->vdev.lock);
    s->ports[nr] = port;
    g_mutex_unlock(s->vdev.lock);
    return true;
}
