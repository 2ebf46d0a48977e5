/*
 * What virtio-serial-pci (virtio-serial.c: the device, its queues and
 * control protocol, port numbers) and its ports (virtio-console.c:
 * virtconsole and virtserialport, each a chardev bound to a port) share.
 * Virtual I/O Device spec 1.2, section 5.3.
 */
#ifndef HW_CHAR_VIRTIO_SERIAL_H
#define HW_CHAR_VIRTIO_SERIAL_H

#include "hw/virtio/virtio.h"
#include "chardev/char.h"

#include <glib.h>

/* nr= not given: the device picks the number */
#define PORT_NR_NONE                    UINT64_MAX

typedef struct VirtIOSerial VirtIOSerial;

typedef struct VirtIOSerialPort {
    VirtIOSerial *vser;
    uint32_t nr;
    char *id;                   /* -device id=: VSERPORT_CHANGE names it */
    char *name;                 /* PORT_NAME; NULL: none */
    bool is_console;
    Chardev *chr;               /* NULL: no backend, host side closed */
    VirtQueue *rx, *tx;
    /* device lock */
    bool host_open;             /* chardev side connected */
    bool guest_ready;           /* the driver sent PORT_READY 1 */
    bool guest_open;            /* the driver sent PORT_OPEN 1 */
    /* rx_lock: host input, main loop -> I/O thread */
    GMutex rx_lock;
    GByteArray *rx_buf;
    bool rx_was_full;
} VirtIOSerialPort;

/* ---- virtio-serial.c ---- */

/* bus=ID.0 names a device by id; NULL: the first one.  Errors are QEMU's
 * ("Bus 'X' not found", "No 'virtio-serial-bus' bus found ..."). */
VirtIOSerial *virtio_serial_find_bus(const char *bus, const char *model,
                                     GError **errp);
/*
 * Give port (name, is_console set) a number on s (want: nr= or
 * PORT_NR_NONE, QEMU's rules and wording) and its queues, and add it.
 */
bool virtio_serial_plug_port(VirtIOSerial *s, VirtIOSerialPort *port,
                             uint64_t want, GError **errp);
/* Main loop: the port's chardev got or lost its peer. */
void virtio_serial_set_host_open(VirtIOSerialPort *port, bool open);
/* Main loop: may host input go to the guest now (the port is open)? */
bool virtio_serial_port_takes_input(VirtIOSerialPort *port);

/* ---- virtio-console.c (device lock held) ---- */

/* Move held host input into the driver's receive buffers. */
void virtio_console_deliver(VirtIOSerialPort *port);
/* The guest opened or closed the port: frontend-open, VSERPORT_CHANGE. */
void virtio_console_set_guest_open(VirtIOSerialPort *port, bool open);

#endif
