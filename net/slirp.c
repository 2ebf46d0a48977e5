/*
 * -netdev user: user-mode networking through libslirp (the library QEMU
 * uses): DHCP, DNS forwarding and NAT for the guest at 10.0.2.0/24, host
 * 10.0.2.2, DNS 10.0.2.3, first lease 10.0.2.15 (QEMU's defaults), and
 * hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT and
 * guestfwd=[tcp]:[SERVER]:PORT-cmd:COMMAND (a guest connection to
 * SERVER:PORT, 10.0.2.4 by default, runs COMMAND with the connection as
 * its stdin and stdout: libslirp's slirp_add_exec) or
 * guestfwd=[tcp]:[SERVER]:PORT-tcp:HOST:HPORT (a host TCP connection made
 * at start-up, as QEMU's chardev is, relayed to the guest's connection to
 * SERVER:PORT: slirp_add_guestfwd).
 *
 * libslirp is not thread-safe: one thread owns it (poll loop and timers)
 * and every call into it, that thread's or a device's, holds `lock`.
 * Frames for the guest leave through NetBackend.deliver, which never
 * blocks on the device's lock (it queues, and uses the receive queue
 * only after a trylock), so holding `lock` there is safe.
 */
#include "net/net.h"
#include "qemu/error-report.h"
#include "qemu/timer.h"
#include "system/seccomp.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <errno.h>
#include <poll.h>
#include <slirp/libslirp.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

typedef struct SlirpTimer {
    SlirpTimerCb cb;
    void *cb_opaque;
    int64_t expire_ms;          /* -1: not armed */
} SlirpTimer;

typedef struct SlirpBackend {
    NetBackend nb;
    Slirp *slirp;
    GMutex lock;
    int wake_fd;
    gint wake_pending;          /* wake_fd written, thread not yet awake */
    bool sent;                  /* frames input since the last flush
                                 * (the device's thread only) */
    GPtrArray *timers;          /* SlirpTimer */
    GArray *pollfds;            /* struct pollfd, rebuilt per iteration */
    GThread *thread;
    GPtrArray *guestfwds;       /* GuestFwd: guestfwd=...-tcp:HOST:PORT */
} SlirpBackend;

/* One guestfwd to a host TCP connection. */
typedef struct GuestFwd {
    struct in_addr server;      /* the guest's side: SERVER:PORT */
    int port;
    int fd;                     /* the host connection; -1 once closed */
    int poll_idx;               /* in pollfds this iteration, or -1 */
} GuestFwd;

static int64_t now_ns(void)
{
    return g_get_monotonic_time() * 1000;
}

/* ---- callbacks (called with lock held, on whichever thread called in) ---- */

static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
    SlirpBackend *s = opaque;

    if (s->nb.deliver) {
        s->nb.deliver(s->nb.deliver_opaque, buf, len);
    }
    return len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
    error_report("netdev user: guest error: %s", msg);
}

static int64_t cb_clock_get_ns(void *opaque)
{
    return now_ns();
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
    SlirpBackend *s = opaque;
    SlirpTimer *t = g_new0(SlirpTimer, 1);

    t->cb = cb;
    t->cb_opaque = cb_opaque;
    t->expire_ms = -1;
    g_ptr_array_add(s->timers, t);
    return t;
}

static void cb_timer_free(void *timer, void *opaque)
{
    SlirpBackend *s = opaque;

    g_ptr_array_remove(s->timers, timer);
    g_free(timer);
}

static void wake(SlirpBackend *s)
{
    static const uint64_t one = 1;

    /* one write until the thread has woken: a burst of transmitted
     * frames costs one wake-up, not one each */
    if (!g_atomic_int_compare_and_exchange(&s->wake_pending, 0, 1)) {
        return;
    }
    if (write(s->wake_fd, &one, sizeof(one)) < 0) {
        /* already signalled */
    }
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
    ((SlirpTimer *)timer)->expire_ms = expire_ms;
    wake(opaque);
}

static void cb_register_poll_fd(int fd, void *opaque)
{
}

static void cb_unregister_poll_fd(int fd, void *opaque)
{
}

static void cb_notify(void *opaque)
{
    wake(opaque);
}

static const SlirpCb slirp_callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_register_poll_fd,
    .unregister_poll_fd = cb_unregister_poll_fd,
    .notify = cb_notify,
};

/* ---- the slirp thread ------------------------------------------------- */

static int add_poll(int fd, int events, void *opaque)
{
    SlirpBackend *s = opaque;
    struct pollfd p = { .fd = fd };

    p.events = (events & SLIRP_POLL_IN ? POLLIN : 0) |
               (events & SLIRP_POLL_OUT ? POLLOUT : 0) |
               (events & SLIRP_POLL_PRI ? POLLPRI : 0);
    g_array_append_val(s->pollfds, p);
    return s->pollfds->len - 1;
}

static int get_revents(int idx, void *opaque)
{
    SlirpBackend *s = opaque;
    short r = g_array_index(s->pollfds, struct pollfd, idx).revents;

    return (r & POLLIN ? SLIRP_POLL_IN : 0) | (r & POLLOUT ? SLIRP_POLL_OUT : 0) |
           (r & POLLPRI ? SLIRP_POLL_PRI : 0) | (r & POLLERR ? SLIRP_POLL_ERR : 0) |
           (r & POLLHUP ? SLIRP_POLL_HUP : 0);
}

/*
 * Host to guest: read a host connection only while slirp has a guest
 * connection to that SERVER:PORT with room in its buffer (before the
 * guest connects, the host's bytes wait in the kernel).
 */
static void guestfwd_fill(SlirpBackend *s)
{
    for (guint i = 0; i < s->guestfwds->len; i++) {
        GuestFwd *g = g_ptr_array_index(s->guestfwds, i);
        g->poll_idx = -1;
        if (g->fd >= 0 &&
            slirp_socket_can_recv(s->slirp, g->server, g->port) > 0) {
            g->poll_idx = add_poll(g->fd, SLIRP_POLL_IN, s);
        }
    }
}

static void guestfwd_relay(SlirpBackend *s)
{
    uint8_t buf[4096];

    for (guint i = 0; i < s->guestfwds->len; i++) {
        GuestFwd *g = g_ptr_array_index(s->guestfwds, i);
        size_t room;
        ssize_t n;

        if (g->poll_idx < 0 ||
            !g_array_index(s->pollfds, struct pollfd, g->poll_idx).revents) {
            continue;
        }
        room = slirp_socket_can_recv(s->slirp, g->server, g->port);
        n = read(g->fd, buf, MIN(room, sizeof(buf)));
        if (n > 0) {
            slirp_socket_recv(s->slirp, g->server, g->port, buf, n);
        } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
            /* the host closed it: as a closed chardev, no more data */
            close(g->fd);
            g->fd = -1;
        }
    }
}

/*
 * Guest to host (slirp's write_cb, on the slirp thread, lock held).
 * libslirp takes every byte as sent whatever this returns, so it writes
 * them all, blocking: a host peer that stops reading stalls the network
 * (as QEMU's chardev write does).
 */
static ssize_t guestfwd_write(const void *buf, size_t len, void *opaque)
{
    GuestFwd *g = opaque;
    size_t done = 0;

    while (g->fd >= 0 && done < len) {
        ssize_t n = write(g->fd, (const uint8_t *)buf + done, len - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            return -1;
        }
        done += n;
    }
    return done;
}

static gpointer slirp_thread(gpointer opaque)
{
    SlirpBackend *s = opaque;

    for (;;) {
        uint32_t timeout = UINT32_MAX;
        int64_t now_ms;
        struct pollfd wakep = { .fd = s->wake_fd, .events = POLLIN };
        int ret;

        /* from here on, new work needs a new wake-up: the socket set
         * is read below */
        g_atomic_int_set(&s->wake_pending, 0);
        g_mutex_lock(&s->lock);
        /* run expired timers, then find the next expiry */
        now_ms = now_ns() / 1000000;
        {
            /* fire each expired timer once (a callback may re-arm its
             * timer, or free timers, so work from a snapshot) */
            g_autoptr(GPtrArray) due = g_ptr_array_new();
            for (guint i = 0; i < s->timers->len; i++) {
                SlirpTimer *t = g_ptr_array_index(s->timers, i);
                if (t->expire_ms >= 0 && t->expire_ms <= now_ms) {
                    t->expire_ms = -1;
                    g_ptr_array_add(due, t);
                }
            }
            for (guint i = 0; i < due->len; i++) {
                SlirpTimer *t = g_ptr_array_index(due, i);
                if (g_ptr_array_find(s->timers, t, NULL)) {
                    t->cb(t->cb_opaque);
                }
            }
        }
        for (guint i = 0; i < s->timers->len; i++) {
            SlirpTimer *t = g_ptr_array_index(s->timers, i);
            if (t->expire_ms >= 0) {
                timeout = MIN(timeout, (uint32_t)MAX(t->expire_ms - now_ms, 0));
            }
        }
        g_array_set_size(s->pollfds, 0);
        g_array_append_val(s->pollfds, wakep);
        slirp_pollfds_fill(s->slirp, &timeout, add_poll, s);
        guestfwd_fill(s);
        g_mutex_unlock(&s->lock);

        ret = poll((struct pollfd *)s->pollfds->data, s->pollfds->len,
                   timeout == UINT32_MAX ? -1 : (int)timeout);
        if (ret < 0 && errno != EINTR) {
            error_report("netdev user: poll: %s", g_strerror(errno));
            return NULL;
        }
        if (g_array_index(s->pollfds, struct pollfd, 0).revents) {
            uint64_t cnt;
            if (read(s->wake_fd, &cnt, sizeof(cnt)) < 0) {
                /* spurious */
            }
        }
        g_mutex_lock(&s->lock);
        if (ret > 0) {
            guestfwd_relay(s);
        }
        slirp_pollfds_poll(s->slirp, ret < 0, get_revents, s);
        g_mutex_unlock(&s->lock);
    }
}

/* ---- the backend ------------------------------------------------------- */

static void slirp_send(NetBackend *nb, const struct iovec *iov, unsigned n)
{
    SlirpBackend *s = (SlirpBackend *)nb;
    uint8_t buf[65536 + 64];
    size_t len = 0;

    for (unsigned i = 0; i < n; i++) {
        size_t c = MIN(iov[i].iov_len, sizeof(buf) - len);
        memcpy(buf + len, iov[i].iov_base, c);
        len += c;
    }
    g_mutex_lock(&s->lock);
    slirp_input(s->slirp, buf, len);
    g_mutex_unlock(&s->lock);
    s->sent = true;
}

/*
 * After a burst: the thread polls again with slirp's new view (new
 * connections' sockets, data now waiting to be written).  Once per
 * burst, not per frame: a wake-up per frame had the thread take the
 * lock between the burst's frames, two futex calls per frame.
 */
static void slirp_flush(NetBackend *nb)
{
    SlirpBackend *s = (SlirpBackend *)nb;

    if (s->sent) {
        s->sent = false;
        wake(s);
    }
}

/* "tcp:[HOST]:PORT-[GUEST]:PORT" (QEMU's hostfwd syntax) */
static bool add_hostfwd(SlirpBackend *s, const char *spec, GError **errp)
{
    g_auto(GStrv) halves = NULL;
    const char *p = spec;
    bool udp = false;
    struct in_addr host = { .s_addr = INADDR_ANY }, guest = { 0 };
    unsigned long hport, gport;
    char *end;
    g_autofree char *haddr = NULL, *gaddr = NULL;

    if (g_str_has_prefix(p, "tcp:")) {
        p += 4;
    } else if (g_str_has_prefix(p, "udp:")) {
        udp = true;
        p += 4;
    } else if (*p != ':') {
        goto bad;
    } else {
        p++;        /* ":PORT-..." : tcp */
    }
    halves = g_strsplit(p, "-", 2);
    if (!halves[0] || !halves[1]) {
        goto bad;
    }
    end = strrchr(halves[0], ':');
    if (!end) {
        goto bad;
    }
    haddr = g_strndup(halves[0], end - halves[0]);
    hport = strtoul(end + 1, &end, 10);
    if (*end || hport > 65535 || (*haddr && !inet_aton(haddr, &host))) {
        goto bad;
    }
    end = strrchr(halves[1], ':');
    if (!end) {
        goto bad;
    }
    gaddr = g_strndup(halves[1], end - halves[1]);
    gport = strtoul(end + 1, &end, 10);
    if (*end || gport == 0 || gport > 65535) {
        goto bad;
    }
    if (*gaddr) {
        if (!inet_aton(gaddr, &guest)) {
            goto bad;
        }
    } else {
        inet_aton("10.0.2.15", &guest);     /* the first DHCP lease */
    }
    if (slirp_add_hostfwd(s->slirp, udp, host, hport, guest, gport) < 0) {
        error_setg(errp, "Could not set up host forwarding rule '%s'", spec);
        return false;
    }
    return true;
bad:
    error_setg(errp, "Invalid host forwarding rule '%s'", spec);
    return false;
}

/*
 * "[tcp]:[SERVER]:PORT-DEV" (QEMU's guestfwd syntax): SERVER and PORT
 * into *server and *port, DEV's start returned; NULL if malformed.
 * An empty SERVER is 0, which libslirp takes as 10.0.2.4.
 */
static const char *parse_guestfwd(const char *spec, struct in_addr *server,
                                  int *port)
{
    const char *p = spec, *colon, *dash;
    g_autofree char *addr = NULL, *num = NULL;
    char *end;
    long v;

    if (g_str_has_prefix(p, "tcp:")) {
        p += 4;
    } else if (*p == ':') {
        p++;
    } else {
        return NULL;
    }
    colon = strchr(p, ':');
    if (!colon) {
        return NULL;
    }
    addr = g_strndup(p, colon - p);
    server->s_addr = 0;
    if (*addr && !inet_aton(addr, server)) {
        return NULL;
    }
    dash = strchr(colon + 1, '-');
    if (!dash) {
        return NULL;
    }
    num = g_strndup(colon + 1, dash - colon - 1);
    v = strtol(num, &end, 10);
    if (!*num || *end || v < 1 || v > 65535) {
        return NULL;
    }
    *port = v;
    return dash + 1;
}

/* A connected TCP socket to "HOST:PORT"; -1 and errp if none. */
static int tcp_connect(const char *hostport, GError **errp)
{
    const char *colon = strrchr(hostport, ':');
    g_autofree char *host = NULL;
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res, *ai;
    int fd = -1, rc, err = 0;

    if (!colon || colon == hostport || !colon[1]) {
        error_setg(errp, "guest forwarding device 'tcp:%s': "
                   "HOST:PORT expected", hostport);
        return -1;
    }
    host = g_strndup(hostport, colon - hostport);
    rc = getaddrinfo(host, colon + 1, &hints, &res);
    if (rc) {
        error_setg(errp, "address resolution failed for %s: %s",
                   hostport, gai_strerror(rc));
        return -1;
    }
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            err = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        /* QEMU's chardev wording */
        error_setg(errp, "Failed to connect to '%s': %s", hostport,
                   g_strerror(err ? err : errno));
    }
    return fd;
}

static bool add_guestfwd_tcp(SlirpBackend *s, const char *spec,
                             const char *hostport, struct in_addr server,
                             int port, GError **errp)
{
    GuestFwd *g = g_new0(GuestFwd, 1);

    g->fd = tcp_connect(hostport, errp);
    if (g->fd < 0) {
        g_free(g);
        return false;
    }
    g->server = server;
    g->port = port;
    g->poll_idx = -1;
    /* fills in g->server when left out (10.0.2.4) */
    if (slirp_add_guestfwd(s->slirp, guestfwd_write, g, &g->server,
                           port) < 0) {
        error_setg(errp, "Conflicting/invalid host:port in guest "
                   "forwarding rule '%s'", spec);
        close(g->fd);
        g_free(g);
        return false;
    }
    g_ptr_array_add(s->guestfwds, g);
    return true;
}

static bool add_guestfwd(SlirpBackend *s, const char *spec, GError **errp)
{
    struct in_addr server;
    int port;
    const char *dev = parse_guestfwd(spec, &server, &port);

    if (!dev || !*dev) {
        /* QEMU's wording */
        error_setg(errp, "Invalid guest forwarding rule '%s'", spec);
        return false;
    }
    if (g_str_has_prefix(dev, "tcp:")) {
        return add_guestfwd_tcp(s, spec, dev + 4, server, port, errp);
    }
    if (!g_str_has_prefix(dev, "cmd:")) {
        error_setg(errp, "guest forwarding device '%s' is not supported "
                   "(only cmd:COMMAND and tcp:HOST:PORT)", dev);
        return false;
    }
    if (!dev[4]) {
        error_setg(errp, "Invalid guest forwarding rule '%s'", spec);
        return false;
    }
    /*
     * libslirp makes a socket pair and starts the command when the guest
     * connects: under -sandbox neither is on the allow-list, and the
     * filter would kill the VMM at the guest's first connection.
     */
    if (sandbox_requested()) {
        error_setg(errp, "guest forwarding rule '%s': cmd: cannot run "
                   "under -sandbox on (no process can be started)", spec);
        return false;
    }
    if (slirp_add_exec(s->slirp, dev + 4, &server, port) < 0) {
        error_setg(errp, "Conflicting/invalid host:port in guest "
                   "forwarding rule '%s'", spec);
        return false;
    }
    return true;
}

bool net_init_user(MachineState *ms, QemuOpts *opts, const char *id,
                   GError **errp)
{
    SlirpBackend *s = g_new0(SlirpBackend, 1);
    SlirpConfig cfg = { .version = 1 };
    bool ipv4 = true, ipv6 = false;

    s->nb.id = g_strdup(id);
    s->nb.type = "user";
    s->nb.send = slirp_send;
    s->nb.flush = slirp_flush;
    g_mutex_init(&s->lock);
    s->timers = g_ptr_array_new();
    s->pollfds = g_array_new(FALSE, FALSE, sizeof(struct pollfd));
    s->guestfwds = g_ptr_array_new();
    /* QEMU's defaults */
    cfg.in_enabled = true;
    inet_aton("10.0.2.0", &cfg.vnetwork);
    inet_aton("255.255.255.0", &cfg.vnetmask);
    inet_aton("10.0.2.2", &cfg.vhost);
    inet_aton("10.0.2.15", &cfg.vdhcp_start);
    inet_aton("10.0.2.3", &cfg.vnameserver);
    cfg.vhostname = qemu_opt_get(opts, "hostname");
    if (!qemu_opt_get_bool(opts, "ipv4", true, &ipv4, errp) ||
        !qemu_opt_get_bool(opts, "ipv6", false, &ipv6, errp)) {
        return false;
    }
    if (!ipv4) {
        error_setg(errp, "-netdev user: ipv4=off is not supported");
        return false;
    }
    cfg.in6_enabled = false;     /* IPv6 is not set up: ipv6=on is ignored */
    if (qemu_opt_get(opts, "net") &&
        strcmp(qemu_opt_get(opts, "net"), "10.0.2.0/24") != 0) {
        error_setg(errp, "-netdev user: only net=10.0.2.0/24 is supported");
        return false;
    }
    s->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (s->wake_fd < 0) {
        error_setg_errno(errp, errno, "-netdev user: eventfd");
        return false;
    }
    s->slirp = slirp_new(&cfg, &slirp_callbacks, s);
    if (!s->slirp) {
        error_setg(errp, "-netdev user: libslirp failed to start");
        return false;
    }
    /* hostfwd and guestfwd may be given more than once: each counts */
    for (size_t i = 0; i < opts->nr; i++) {
        const char *name = opts->opts[i].name, *value = opts->opts[i].value;
        if (strcmp(name, "hostfwd") == 0) {
            opts->opts[i].used = true;
            if (!add_hostfwd(s, value, errp)) {
                return false;
            }
        } else if (strcmp(name, "guestfwd") == 0) {
            opts->opts[i].used = true;
            if (!add_guestfwd(s, value, errp)) {
                return false;
            }
        }
    }
    if (!qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    netdev_register(&s->nb);
    s->thread = g_thread_try_new("slirp", slirp_thread, s, errp);
    return s->thread != NULL;
}
