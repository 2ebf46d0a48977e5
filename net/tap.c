/*
 * -netdev tap: a Linux TAP interface (Documentation/networking/tuntap.rst),
 * created by name (ifname=, needs CAP_NET_ADMIN) or inherited already
 * open (fd=, as libvirt passes it).  No scripts are run: script= and
 * downscript= take only "no" (QEMU's default would run /etc/qemu-ifup).
 * The interface is asked for a virtio-net header on each frame
 * (IFF_VNET_HDR, as QEMU does when the kernel has it; libvirt's fd= may
 * come with it set), sized 12 bytes (TUNSETVNETHDRSZ) so it is the
 * device's own header and passes through both ways: checksum and
 * segmentation offloads then need no work here (TUNSETOFFLOAD says
 * which ones the guest can take).  A descriptor whose header size
 * cannot be set gets a zeroed header on frames we send and loses it on
 * frames we read.  A thread reads frames and delivers them.
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
    bool write_failed;          /* a write error was logged */
    GThread *thread;
} TapBackend;

static void tap_send(NetBackend *nb, const struct iovec *iov, unsigned n)
{
    TapBackend *t = (TapBackend *)nb;
    static const uint8_t zero_hdr[TAP_MAX_VNET_HDR];
    struct iovec v[n + 1];
    unsigned k = 0;

    if (t->vnet_hdr_len && !nb->vnet_hdr) {
        v[k].iov_base = (void *)zero_hdr;
        v[k++].iov_len = t->vnet_hdr_len;
    }
    memcpy(v + k, iov, n * sizeof(*iov));
    /* a full interface queue drops the frame, as a wire would; a frame
     * the kernel refuses (EINVAL: a bad offload header from the guest)
     * is dropped, logged once so a guest cannot flood the log */
    if (writev(t->fd, v, k + n) < 0 && errno != EAGAIN && !t->write_failed) {
        error_report("netdev tap %s: write: %s (further errors not "
                     "logged)", nb->id, g_strerror(errno));
        t->write_failed = true;
    }
}

/* Documentation/networking/tuntap.rst: TUN_F_* of what we can take */
static void tap_set_offload(NetBackend *nb, bool csum, bool tso4, bool tso6,
                            bool ecn)
{
    TapBackend *t = (TapBackend *)nb;
    unsigned flags = (csum ? TUN_F_CSUM : 0) |
                     (csum && tso4 ? TUN_F_TSO4 : 0) |
                     (csum && tso6 ? TUN_F_TSO6 : 0) |
                     (csum && (tso4 || tso6) && ecn ? TUN_F_TSO_ECN : 0);

    if (ioctl(t->fd, TUNSETOFFLOAD, flags) < 0) {
        warn_report("netdev tap %s: TUNSETOFFLOAD 0x%x: %s", nb->id, flags,
                    g_strerror(errno));
    }
}

/* Make the vnet header the device's 12 bytes; false if it cannot be. */
static bool tap_use_vnet_hdr(TapBackend *t)
{
    int len = NET_VNET_HDR_LEN;

    if (ioctl(t->fd, TUNSETVNETHDRSZ, &len) < 0) {
        return false;
    }
    t->vnet_hdr_len = len;
    t->nb.vnet_hdr = true;
    t->nb.set_offload = tap_set_offload;
    /* nothing the guest has not asked for yet: whole, checksummed */
    tap_set_offload(&t->nb, false, false, false, false);
    return true;
}

static gpointer tap_thread(gpointer opaque)
{
    TapBackend *t = opaque;
    g_autofree uint8_t *buf = g_malloc(TAP_MAX_FRAME);

    /* read until the queue is empty, and only then poll: frames that
     * arrived together cost one read each, not a poll and a read */
    for (;;) {
        ssize_t n = read(t->fd, buf, TAP_MAX_FRAME);

        if (n < 0) {
            struct pollfd p = { .fd = t->fd, .events = POLLIN };

            if (errno == EINTR) {
                continue;
            }
            if (errno != EAGAIN) {
                error_report("netdev tap %s: read: %s", t->nb.id,
                             g_strerror(errno));
                break;
            }
            if (poll(&p, 1, -1) < 0 && errno != EINTR) {
                break;
            }
            continue;
        }
        if (n > t->vnet_hdr_len && t->nb.deliver) {
            /* the header goes along when it is the device's */
            int skip = t->nb.vnet_hdr ? 0 : t->vnet_hdr_len;

            t->nb.deliver(t->nb.deliver_opaque, buf + skip, n - skip);
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
        unsigned features = 0;

        ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
        if (ioctl(t->fd, TUNGETFEATURES, &features) == 0 &&
            (features & IFF_VNET_HDR)) {
            ifr.ifr_flags |= IFF_VNET_HDR;
        }
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
    if ((ifr.ifr_flags & IFF_VNET_HDR) && !tap_use_vnet_hdr(t)) {
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
