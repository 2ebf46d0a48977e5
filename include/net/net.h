/*
 * Network backends (-netdev) and the device side that uses them.
 *
 * A backend sends frames the guest transmitted (send) and hands frames
 * for the guest to its device through deliver(), from the backend's own
 * thread; the device queues them and, only if a trylock of its own
 * lock succeeds, fills its receive queue right away (it never blocks on
 * its lock there and never calls back into the backend from deliver,
 * so the two never wait for each other's locks).
 */
#ifndef NET_NET_H
#define NET_NET_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "qemu/option.h"

typedef struct MachineState MachineState;
typedef struct NetBackend NetBackend;

struct NetBackend {
    char *id;
    const char *type;           /* "user", "tap" */
    char *attached_to;          /* the device using it */
    /* guest -> network: one Ethernet frame */
    void (*send)(NetBackend *nb, const struct iovec *iov, unsigned niov);
    /* optional: the device has sent a burst of frames (after each run
     * of its transmit queue), for a backend that defers work to it */
    void (*flush)(NetBackend *nb);
    /* network -> guest, set by the device; called on the backend thread */
    void (*deliver)(void *opaque, const uint8_t *frame, size_t len);
    void *deliver_opaque;
    /*
     * Frames both ways start with the 12-byte struct virtio_net_hdr
     * (virtio 1.2, 5.1.6: flags, gso_type, hdr_len, gso_size,
     * csum_start, csum_offset, num_buffers): a tap with IFF_VNET_HDR.
     * Only such a backend can carry checksum and segmentation offloads.
     */
    bool vnet_hdr;
    /* With vnet_hdr: what frames for the guest may still need (partial
     * checksums, TCP segmentation over IPv4/IPv6, with ECN). */
    void (*set_offload)(NetBackend *nb, bool csum, bool tso4, bool tso6,
                        bool ecn);
};

#define NET_VNET_HDR_LEN 12

/* -netdev TYPE,id=ID,...: TYPE from a table (user, tap) */
bool netdev_create(MachineState *ms, QemuOpts *opts, GError **errp);
/* The backend -device netdev=ID names, not yet in use. */
NetBackend *netdev_attach(const char *id, const char *device, GError **errp);
/* For the table: register a created backend under its id. */
void netdev_register(NetBackend *nb);
NetBackend *netdev_find(const char *id);

/* One row per -netdev type (net/net.c). */
bool net_init_user(MachineState *ms, QemuOpts *opts, const char *id,
                   GError **errp);
bool net_init_tap(MachineState *ms, QemuOpts *opts, const char *id,
                  GError **errp);

#endif
