/*
 * -netdev tap: a Linux TAP interface (Documentation/networking/tuntap.rst),
 * created by name (ifname=, needs CAP_NET_ADMIN) or inherited already
 * open (fd=, as libvirt passes it).  No scripts are run: script= and
 * downscript= take only "no" (QEMU's default would run /etc/qemu-ifup).
 * If the descriptor carries a virtio-net header (IFF_VNET_HDR, which
 * libvirt may set), a zeroed one is added to frames we send and the one
 * on frames we read is dropped.  A thread reads frames and delivers
 * them to the device.
 */
#include "net/net.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define TAP_MAX_FRAME   (65536 + 64)
#define TAP_MAX_VNET_HDR 64

typedef struct TapBackend {
    NetBackend nb;
    int fd;
    int vnet_hdr_len;           /* 0: plain frames */
    GThread *thread;
} TapBackend;

static void tap_send(NetBackend *nb, const struct iovec *iov, unsigned n)
{
    TapBackend *t = (TapBackend *)nb;
    static const uint8_t zero_hdr[TAP_MAX_VNET_HDR];
    struct iovec v[n + 1];
    unsigned k = 0;

    if (t->vnet_hdr_len) {
        v[k].iov_base = (void *)zero_hdr;
        v[k++].iov_len = t->vnet_hdr_len;
    }
    memcpy(v + k, iov, n * sizeof(*iov));
    /* a full interface queue drops the frame, as a wire would */
    if (writev(t->fd, v, k + n) < 0 && errno != EAGAIN) {
        error_report("netdev tap %s: write: %s", nb->id, g_strerror(errno));
    }
}

static gpointer tap_thread(gpointer opaque)
{
    TapBackend *t = opaque;
    g_autofree uint8_t *buf = g_malloc(TAP_MAX_FRAME);

    for (;;) {
        struct pollfd p = { .fd = t->fd, .events = POLLIN };
        ssize_t n;

        if (poll(&p, 1, -1) < 0) {
            if (errno == EINTR) {
                continue;
            }
            break;
        }
        n = read(t->fd, buf, TAP_MAX_FRAME);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            error_report("netdev tap %s: read: %s", t->nb.id,
                         g_strerror(errno));
            break;
        }
        if (n > t->vnet_hdr_len && t->nb.deliver) {
            t->nb.deliver(t->nb.deliver_opaque, buf + t->vnet_hdr_len,
                          n - t->vnet_hdr_len);
        }
    }
    return NULL;
}

static bool script_off(QemuOpts *opts, const char *name, GError **errp)
{
    const char *v = qemu_opt_get(opts, name);

    if (v && strcmp(v, "no") != 0 && *v) {
        error_setg(errp, "-netdev tap: %s=%s: qkvm runs no scripts (use "
                   "%s=no)", name, v, name);
        return false;
    }
    return true;
}

bool net_init_tap(MachineState *ms, QemuOpts *opts, const char *id,
                  GError **errp)
{
    TapBackend *t = g_new0(TapBackend, 1);
    const char *ifname = qemu_opt_get(opts, "ifname");
    const char *fdstr = qemu_opt_get(opts, "fd");
    bool vhost;
    struct ifreq ifr = { 0 };

    t->nb.id = g_strdup(id);
    t->nb.type = "tap";
    t->nb.send = tap_send;
    if (!script_off(opts, "script", errp) ||
        !script_off(opts, "downscript", errp) ||
        !qemu_opt_get_bool(opts, "vhost", false, &vhost, errp)) {
        return false;
    }
    if (vhost) {
        error_setg(errp, "-netdev tap: vhost=on is not supported");
        return false;
    }
    if (fdstr) {
        char *end;
        long fd = strtol(fdstr, &end, 10);

        if (ifname || *end || end == fdstr || fd < 0 ||
            fcntl(fd, F_GETFD) < 0) {
            error_setg(errp, "-netdev tap: fd=%s is not an open descriptor%s",
                       fdstr, ifname ? " (or ifname= given with it)" : "");
            return false;
        }
        t->fd = fd;
        if (ioctl(t->fd, TUNGETIFF, &ifr) < 0) {
            error_setg_errno(errp, errno, "-netdev tap: fd=%s is not a TAP "
                             "device", fdstr);
            return false;
        }
    } else {
        t->fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
        if (t->fd < 0) {
            error_setg_errno(errp, errno, "could not open /dev/net/tun");
            return false;
        }
        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        g_strlcpy(ifr.ifr_name, ifname ? ifname : "tap%d", IFNAMSIZ);
        if (ioctl(t->fd, TUNSETIFF, &ifr) < 0) {
            /* QEMU's wording */
            error_setg_errno(errp, errno, "could not configure /dev/net/tun "
                             "(%s)", ifname ? ifname : "tap%d");
            return false;
        }
    }
    if (!(ifr.ifr_flags & IFF_TAP) || !(ifr.ifr_flags & IFF_NO_PI)) {
        error_setg(errp, "-netdev tap: %s is not a TAP device without "
                   "packet information (IFF_TAP | IFF_NO_PI)", ifr.ifr_name);
        return false;
    }
    if (ifr.ifr_flags & IFF_VNET_HDR) {
        if (ioctl(t->fd, TUNGETVNETHDRSZ, &t->vnet_hdr_len) < 0 ||
            t->vnet_hdr_len <= 0 || t->vnet_hdr_len > TAP_MAX_VNET_HDR) {
            error_setg(errp, "-netdev tap: cannot read the vnet header size");
            return false;
        }
    }
    fcntl(t->fd, F_SETFL, fcntl(t->fd, F_GETFL) | O_NONBLOCK);
    if (!qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    netdev_register(&t->nb);
    t->thread = g_thread_try_new("tap", tap_thread, t, errp);
    return t->thread != NULL;
}
