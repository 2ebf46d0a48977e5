/*
 * virtconsole and virtserialport: the ports of virtio-serial-pci
 * (virtio-serial.c), each a chardev bound to a port number, with QEMU's
 * -device names.
 *
 *   -device virtconsole[,chardev=ID][,bus=vs0.0][,name=NAME][,nr=N][,id=]
 *   -device virtserialport[,chardev=ID][,bus=vs0.0][,name=NAME][,nr=N][,id=]
 *
 * The host side of a virtconsole is always open (as in QEMU); a
 * virtserialport's follows its chardev's connection (a socket with a
 * client), so the guest sees POLLHUP while nobody listens.  The driver's
 * PORT_OPEN (a guest process opened or closed /dev/vportNpM) is
 * reflected in query-chardev's frontend-open and sent as QMP
 * VSERPORT_CHANGE {"id", "open"} for a port with an id (what libvirt
 * watches for the guest agent).
 *
 * Host -> guest: chardev input is not read until the port is open
 * (driver running, PORT_OPEN); then it arrives on the main loop into a
 * small bounded per-port buffer that the receive queue's handler (the
 * device's I/O thread) moves into the driver's buffers.  When that buffer
 * is full, can_read says 0 and the chardev holds its input until the
 * handler has drained it.
 */
#include "virtio-serial.h"
#include "hw/boards.h"
#include "hw/qdev.h"
#include "monitor/monitor.h"

#include <string.h>
#include <unistd.h>

#define PORT_RX_MAX                     4096    /* host input held here */

/*
 * The guest opened or closed the port: frontend-open for query-chardev
 * (a virtserialport; a console's frontend is always open, as in QEMU)
 * and QMP VSERPORT_CHANGE for a port with an id.
 */
void virtio_console_set_guest_open(VirtIOSerialPort *port, bool open)
{
    JsonObject *data;

    port->guest_open = open;
    if (port->chr && !port->is_console) {
        qemu_chr_fe_set_open(port->chr, open);
    }
    if (!port->id) {
        return;
    }
    data = json_object_new();
    json_object_set_string_member(data, "id", port->id);
    json_object_set_boolean_member(data, "open", open);
    qapi_event_send("VSERPORT_CHANGE", data);
}

/* ---- host input --------------------------------------------------------- */

void virtio_console_deliver(VirtIOSerialPort *port)
{
    VirtQueue *vq = port->rx;
    bool pushed = false, room = false;

    if (!port->chr) {
        return;                 /* no host input can exist */
    }
    g_mutex_lock(&port->rx_lock);
    while (port->rx_buf->len) {
        VirtQueueElement *elem = virtqueue_pop(vq);
        size_t n;

        if (!elem) {
            break;
        }
        n = iov_from_buf(elem->in_sg, elem->in_num, 0, port->rx_buf->data,
                         port->rx_buf->len);
        g_byte_array_remove_range(port->rx_buf, 0, n);
        virtqueue_push(vq, elem, n);
        pushed = true;
        g_free(elem);
    }
    if (port->rx_was_full && port->rx_buf->len < PORT_RX_MAX) {
        port->rx_was_full = false;
        room = true;
    }
    g_mutex_unlock(&port->rx_lock);
    if (pushed) {
        virtio_notify(vq);
    }
    if (room) {
        qemu_chr_fe_accept_input(port->chr);
    }
}

/*
 * Main loop: how much host input the port can take now.  None until the
 * port is open (virtio_serial_port_takes_input()); the receive handler
 * or PORT_OPEN calls qemu_chr_fe_accept_input() later.
 */
static size_t port_can_read(void *opaque)
{
    VirtIOSerialPort *port = opaque;
    bool open = virtio_serial_port_takes_input(port);
    size_t room;

    g_mutex_lock(&port->rx_lock);
    room = open ? PORT_RX_MAX - port->rx_buf->len : 0;
    port->rx_was_full = room == 0;
    g_mutex_unlock(&port->rx_lock);
    return room;
}

/* Main loop: keep the input and kick the receive queue's thread. */
static void port_read(void *opaque, const uint8_t *buf, size_t len)
{
    VirtIOSerialPort *port = opaque;
    static const uint64_t one = 1;

    g_mutex_lock(&port->rx_lock);
    len = MIN(len, PORT_RX_MAX - port->rx_buf->len);
    g_byte_array_append(port->rx_buf, buf, len);
    g_mutex_unlock(&port->rx_lock);
    if (write(port->rx->notify_fd, &one, sizeof(one)) < 0) {
        /* counter full: a wake-up is pending anyway */
    }
}

/* Main loop: a virtserialport's chardev got or lost its peer (a socket
 * client); the guest sees it as the port's host side. */
static void port_chr_event(void *opaque, QEMUChrEvent event)
{
    virtio_serial_set_host_open(opaque, event == CHR_EVENT_OPENED);
}

/* ---- -device ------------------------------------------------------------ */

static bool serial_port_create(QemuOpts *opts, bool is_console,
                               GError **errp)
{
    const char *model = is_console ? "virtconsole" : "virtserialport";
    const char *chardev = qemu_opt_get(opts, "chardev");
    const char *name = qemu_opt_get(opts, "name");
    VirtIOSerialPort *port;
    Chardev *chr = NULL;
    VirtIOSerial *s;
    uint64_t want;

    if (!qemu_opt_get_number(opts, "nr", PORT_NR_NONE, &want, errp)) {
        return false;
    }
    if (chardev) {
        if (!*chardev) {
            error_setg(errp, "Property '%s.chardev' can't be empty", model);
            return false;
        }
        chr = qemu_chr_find(chardev);
        if (!chr) {
            error_setg(errp, "Property '%s.chardev' can't find value '%s'",
                       model, chardev);
            return false;
        }
        if (chr->fe_open) {
            error_setg(errp, "Property '%s.chardev' can't take value '%s', "
                       "it's in use", model, chardev);
            return false;
        }
    }
    s = virtio_serial_find_bus(qemu_opt_get(opts, "bus"), model, errp);
    if (!s || !qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    port = g_new0(VirtIOSerialPort, 1);
    port->id = g_strdup(qemu_opt_get(opts, "id"));
    port->name = g_strdup(name);
    port->is_console = is_console;
    port->chr = chr;
    /* a console's host side is always open; a serial port's follows the
     * chardev's connection events */
    port->host_open = is_console && chr;
    g_mutex_init(&port->rx_lock);
    port->rx_buf = g_byte_array_new();
    if (!virtio_serial_plug_port(s, port, want, errp)) {
        g_byte_array_unref(port->rx_buf);
        g_mutex_clear(&port->rx_lock);
        g_free(port->id);
        g_free(port->name);
        g_free(port);
        return false;
    }
    if (!chr) {
        return true;
    }
    if (is_console) {
        qemu_chr_fe_set_handlers(chr, port_can_read, port_read, port);
    } else {
        qemu_chr_fe_set_handlers_full(chr, port_can_read, port_read,
                                      port_chr_event, port);
        /* frontend-open: the guest has not opened the port yet */
        qemu_chr_fe_set_open(chr, false);
    }
    return true;
}

static bool virtconsole_create(MachineState *ms, QemuOpts *opts,
                               GError **errp)
{
    return serial_port_create(opts, true, errp);
}

static bool virtserialport_create(MachineState *ms, QemuOpts *opts,
                                  GError **errp)
{
    return serial_port_create(opts, false, errp);
}

static const DeviceInfo virtconsole_info = {
    .name = "virtconsole",
    .bus = "virtio-serial-bus",
    .desc = "virtio console port (chardev=ID, name=, nr=; /dev/hvc0 in Linux)",
    .create = virtconsole_create,
};
DEVICE_REGISTER(virtconsole_info)

static const DeviceInfo virtserialport_info = {
    .name = "virtserialport",
    .bus = "virtio-serial-bus",
    .desc = "virtio serial port (chardev=ID, name=, nr=; "
            "/dev/vportNpM in Linux)",
    .create = virtserialport_create,
};
DEVICE_REGISTER(virtserialport_info)
