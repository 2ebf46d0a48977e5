/*
 * Socket chardev: a UNIX or TCP stream socket, listening (server=on: one
 * client at a time; when it leaves, the next one is accepted, which is
 * how libvirtd reconnects after a restart) or connected (server=off),
 * or an inherited fd=N of either kind (libvirt binds the monitor socket
 * itself and passes it).
 *
 * Accepting and reading happen on the main loop.  Writes come from any
 * thread: what the peer does not take at once is queued and sent from
 * the main loop.  A peer that stops reading must not stop the VMM, so
 * the queue is bounded: a writer that would go beyond SOCKET_OUTBUF_MAX
 * waits for the peer to take some, and a peer that takes nothing for
 * SOCKET_STALL_MS is disconnected.
 */
#include "chardev/char-socket.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stddef.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#define SOCKET_OUTBUF_MAX   (1u << 20)
#define SOCKET_STALL_MS     5000

/* ---- the peer's lifetime (main loop) -------------------------------------- */

char *sockaddr_to_str(const struct sockaddr *sa, socklen_t len)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];

    if (sa->sa_family == AF_UNIX) {
        const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
        return g_strdup_printf("unix:%s", len > offsetof(struct sockaddr_un,
                                                         sun_path)
                               ? un->sun_path : "");
    }
    if (getnameinfo(sa, len, host, sizeof(host), serv, sizeof(serv),
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
        return g_strdup("tcp:?");
    }
    return g_strdup_printf(strchr(host, ':') ? "tcp:[%s]:%s" : "tcp:%s:%s",
                           host, serv);
}

/* QEMU's spelling, which query-chardev shows: "disconnected:unix:/s,
 * server=on", "tcp:127.0.0.1:4444,server=on <-> 127.0.0.1:51234". */
void socket_update_filename(Chardev *chr, int peer_fd)
{
    SocketChardev *s = chr->be;
    const char *server = s->listen_fd >= 0 ? ",server=on" : "";
    g_autofree char *peer = NULL;

    if (peer_fd >= 0 && s->is_tcp) {
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);
        if (getpeername(peer_fd, (struct sockaddr *)&ss, &len) == 0) {
            g_autofree char *p = sockaddr_to_str((struct sockaddr *)&ss, len);
            peer = g_strdup(p + strlen("tcp:"));
        }
    }
    g_free(chr->filename);
    if (peer_fd < 0) {
        chr->filename = g_strdup_printf("disconnected:%s%s", s->addr, server);
    } else if (peer) {
        chr->filename = g_strdup_printf("%s%s <-> %s", s->addr, server, peer);
    } else {
        chr->filename = g_strdup_printf("%s%s", s->addr, server);
    }
}

static gboolean socket_read_ready(gint fd, GIOCondition cond, gpointer opaque);

static void socket_arm_read(Chardev *chr)
{
    SocketChardev *s = chr->be;

    if (s->fd >= 0 && !s->read_watch && !s->dead) {
        s->read_watch = g_unix_fd_add(s->fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                      socket_read_ready, chr);
    }
}

void socket_connected(Chardev *chr, int fd)
{
    SocketChardev *s = chr->be;

    if (s->nodelay && s->is_tcp) {
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    g_mutex_lock(&chr->write_lock);
    s->fd = fd;
    s->dead = false;
    g_mutex_unlock(&chr->write_lock);
    chr->be_open = true;
    socket_update_filename(chr, fd);
    socket_arm_read(chr);
    qemu_chr_be_event(chr, CHR_EVENT_OPENED);
}

static void socket_disconnect(Chardev *chr)
{
    SocketChardev *s = chr->be;

    if (s->read_watch) {
        g_source_remove(s->read_watch);
        s->read_watch = 0;
    }
    g_mutex_lock(&chr->write_lock);
    if (s->out_watch) {
        g_source_remove(s->out_watch);
        s->out_watch = 0;
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    s->fd = -1;
    s->dead = false;
    g_byte_array_set_size(s->outbuf, 0);
    g_mutex_unlock(&chr->write_lock);
    chr->be_open = false;
    socket_update_filename(chr, -1);
    /* a frontend sees a half-read message end here (the monitor drops it) */
    qemu_chr_be_event(chr, CHR_EVENT_CLOSED);
    socket_arm_listen(chr);
}

static gboolean socket_read_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    SocketChardev *s = chr->be;
    uint8_t buf[4096];
    size_t want = sizeof(buf);
    ssize_t n;

    if (chr->read) {
        if (chr->can_read) {
            want = MIN(want, chr->can_read(chr->opaque));
        }
        if (want == 0) {
            /* the frontend is full: qemu_chr_fe_accept_input() re-arms */
            s->read_watch = 0;
            return G_SOURCE_REMOVE;
        }
    }
    n = recv(fd, buf, want, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
        return G_SOURCE_CONTINUE;
    }
    if (n <= 0) {
        s->read_watch = 0;
        socket_disconnect(chr);
        return G_SOURCE_REMOVE;
    }
    /* nobody attached: the bytes are dropped, but hang-ups still seen */
    if (chr->read) {
        chr->read(chr->opaque, buf, n);
    }
    return G_SOURCE_CONTINUE;
}

static gboolean socket_accept_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    SocketChardev *s = chr->be;
    int peer = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (peer < 0) {
        /* EAGAIN: the client left the queue already; others: try again */
        return G_SOURCE_CONTINUE;
    }
    /* one client at a time: the next ones wait in the listen queue */
    s->listen_watch = 0;
    socket_connected(chr, peer);
    return G_SOURCE_REMOVE;
}

void socket_arm_listen(Chardev *chr)
{
    SocketChardev *s = chr->be;

    if (s->listen_fd >= 0 && !s->listen_watch) {
        s->listen_watch = g_unix_fd_add(s->listen_fd, G_IO_IN,
                                        socket_accept_ready, chr);
    }
}

/* ---- output (any thread) ----------------------------------------------- */

/* Caller holds write_lock.  Push queued output; false: the peer is gone. */
static bool socket_push(SocketChardev *s)
{
    while (s->outbuf->len) {
        ssize_t n = send(s->fd, s->outbuf->data, s->outbuf->len,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN || errno == EWOULDBLOCK;
        }
        g_byte_array_remove_range(s->outbuf, 0, n);
    }
    return true;
}

/* Caller holds write_lock.  Bring the queue under the bound, waiting for
 * the peer; false if it took nothing for SOCKET_STALL_MS or is gone. */
static bool socket_wait_room(Chardev *chr, SocketChardev *s, int stall_ms)
{
    while (s->outbuf->len > SOCKET_OUTBUF_MAX) {
        struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
        int r = poll(&pfd, 1, stall_ms);

        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r == 0) {
            warn_report("chardev '%s': the peer does not read its output; "
                        "disconnecting it", chr->id);
            return false;
        }
        if (r < 0 || !socket_push(s)) {
            return false;
        }
    }
    return true;
}

static gboolean socket_dead_idle(gpointer opaque)
{
    Chardev *chr = opaque;
    SocketChardev *s = chr->be;
    bool dead;

    g_mutex_lock(&chr->write_lock);
    dead = s->dead && s->fd >= 0;
    g_mutex_unlock(&chr->write_lock);
    if (dead) {
        socket_disconnect(chr);
    }
    return G_SOURCE_REMOVE;
}

/* Caller holds write_lock.  The main loop closes it (socket_dead_idle);
 * shutdown() already makes the peer see the end. */
static void socket_mark_dead(Chardev *chr, SocketChardev *s)
{
    s->dead = true;
    shutdown(s->fd, SHUT_RDWR);
    g_byte_array_set_size(s->outbuf, 0);
    g_idle_add(socket_dead_idle, chr);
}

static gboolean socket_out_ready(gint fd, GIOCondition cond, gpointer opaque)
{
    Chardev *chr = opaque;
    SocketChardev *s = chr->be;
    bool done;

    g_mutex_lock(&chr->write_lock);
    if (!socket_push(s)) {
        socket_mark_dead(chr, s);
    }
    done = s->dead || s->outbuf->len == 0;
    if (done) {
        s->out_watch = 0;
    }
    g_mutex_unlock(&chr->write_lock);
    return done ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

static gboolean socket_arm_out_idle(gpointer opaque)
{
    Chardev *chr = opaque;
    SocketChardev *s = chr->be;

    g_mutex_lock(&chr->write_lock);
    s->out_kick = false;
    if (s->fd >= 0 && !s->dead && s->outbuf->len && !s->out_watch) {
        s->out_watch = g_unix_fd_add(s->fd, G_IO_OUT, socket_out_ready, chr);
    }
    g_mutex_unlock(&chr->write_lock);
    return G_SOURCE_REMOVE;
}

static void socket_chr_write(Chardev *chr, const uint8_t *buf, size_t len)
{
    SocketChardev *s = chr->be;

    g_mutex_lock(&chr->write_lock);
    if (s->fd < 0 || s->dead) {
        /* no peer: dropped, as a listening QEMU chardev does */
        g_mutex_unlock(&chr->write_lock);
        return;
    }
    g_byte_array_append(s->outbuf, buf, len);
    if (!socket_push(s) || !socket_wait_room(chr, s, SOCKET_STALL_MS)) {
        socket_mark_dead(chr, s);
    } else if (s->outbuf->len && !s->out_watch && !s->out_kick) {
        /* the main loop owns the watches: ask it (never run inline here,
         * we hold the lock the idle takes) */
        s->out_kick = true;
        g_idle_add(socket_arm_out_idle, chr);
    }
    g_mutex_unlock(&chr->write_lock);
}

static void socket_chr_flush(Chardev *chr, int timeout_ms)
{
    SocketChardev *s = chr->be;
    gint64 end = g_get_monotonic_time() + timeout_ms * G_TIME_SPAN_MILLISECOND;

    /* at exit a vCPU thread may still hold the lock: do not wait for it */
    if (!g_mutex_trylock(&chr->write_lock)) {
        return;
    }
    while (s->fd >= 0 && !s->dead && s->outbuf->len) {
        struct pollfd pfd = { .fd = s->fd, .events = POLLOUT };
        gint64 left = (end - g_get_monotonic_time()) / G_TIME_SPAN_MILLISECOND;

        if (left <= 0 || poll(&pfd, 1, left) <= 0 || !socket_push(s)) {
            break;
        }
    }
    g_mutex_unlock(&chr->write_lock);
}

static void socket_chr_update_read_handler(Chardev *chr)
{
    socket_arm_read(chr);
}

static void socket_chr_cleanup(Chardev *chr)
{
    SocketChardev *s = chr->be;

    if (s->unlink_path) {
        unlink(s->unlink_path);
        g_clear_pointer(&s->unlink_path, g_free);
    }
}

const ChardevOps socket_chr_ops = {
    .write = socket_chr_write,
    .update_read_handler = socket_chr_update_read_handler,
    .flush = socket_chr_flush,
    .cleanup = socket_chr_cleanup,
};
