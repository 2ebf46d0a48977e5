/*
 * Opening a socket chardev: its options (path= | host=,port= | fd=;
 * server, wait, nodelay, ipv4, ipv6; QEMU's wording for their errors),
 * and the socket they describe: a UNIX socket bound owner-only, a TCP
 * one, or an inherited fd.  wait=on (QEMU's default for a server) holds
 * start-up until the first client is there.
 */
#include "chardev/char-socket.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

typedef struct SocketConfig {
    const char *path, *host, *port, *fd;
    bool server, wait, nodelay;
    int family;             /* AF_UNSPEC, or ipv4=on / ipv6=on */
} SocketConfig;

static bool socket_parse(QemuOpts *opts, SocketConfig *cfg, GError **errp)
{
    bool v4 = false, v6 = false, nowait = false;

    cfg->path = qemu_opt_get(opts, "path");
    cfg->host = qemu_opt_get(opts, "host");
    cfg->port = qemu_opt_get(opts, "port");
    cfg->fd = qemu_opt_get(opts, "fd");
    if (!qemu_opt_get_bool(opts, "server", false, &cfg->server, errp) ||
        !qemu_opt_get_bool(opts, "wait", true, &cfg->wait, errp) ||
        /* the old spelling: "server,nowait" */
        !qemu_opt_get_bool(opts, "nowait", false, &nowait, errp) ||
        !qemu_opt_get_bool(opts, "nodelay", false, &cfg->nodelay, errp) ||
        !qemu_opt_get_bool(opts, "ipv4", false, &v4, errp) ||
        !qemu_opt_get_bool(opts, "ipv6", false, &v6, errp) ||
        !qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    cfg->wait = cfg->wait && !nowait;
    cfg->family = v4 && !v6 ? AF_INET : v6 && !v4 ? AF_INET6 : AF_UNSPEC;
    if (!!cfg->path + !!cfg->host + !!cfg->fd > 1) {
        error_setg(errp, "chardev: socket: 'path', 'host' and 'fd' are "
                   "mutually exclusive");
        return false;
    }
    if (!cfg->path && !cfg->fd) {
        if (!cfg->host) {
            error_setg(errp, "chardev: socket: no host given");
            return false;
        }
        if (!cfg->port) {
            error_setg(errp, "chardev: socket: no port given");
            return false;
        }
    }
    if (!cfg->server && qemu_opt_has(opts, "wait")) {
        error_setg(errp, "'wait' option is incompatible with socket in "
                   "client connect mode");
        return false;
    }
    return true;
}

static bool socket_fill_unix(struct sockaddr_un *un, const char *path,
                             GError **errp)
{
    memset(un, 0, sizeof(*un));
    un->sun_family = AF_UNIX;
    if (strlen(path) >= sizeof(un->sun_path)) {
        error_setg(errp, "UNIX socket path '%s' is too long", path);
        return false;
    }
    strcpy(un->sun_path, path);
    return true;
}

static int socket_listen_unix(SocketChardev *s, const char *path, GError **errp)
{
    struct sockaddr_un un;
    struct stat st;
    mode_t old_mask;
    int fd, r;

    if (!socket_fill_unix(&un, path, errp)) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to create socket");
        return -1;
    }
    /* a socket left by a previous run; never remove anything else */
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) {
        unlink(path);
    }
    /*
     * 0600, owner only: whoever connects controls the VM.  (umask, not a
     * chmod after bind, so no other user ever sees it open; start-up is
     * single-threaded.)
     */
    old_mask = umask(0177);
    r = bind(fd, (struct sockaddr *)&un, sizeof(un));
    umask(old_mask);
    if (r < 0) {
        error_setg_errno(errp, errno, "Failed to bind socket to %s", path);
        close(fd);
        return -1;
    }
    s->unlink_path = g_strdup(path);
    return fd;
}

static int socket_connect_unix(const char *path, GError **errp)
{
    struct sockaddr_un un;
    int fd;

    if (!socket_fill_unix(&un, path, errp)) {
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Failed to create socket");
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&un, sizeof(un)) < 0) {
        error_setg_errno(errp, errno, "Failed to connect to '%s'", path);
        close(fd);
        return -1;
    }
    return fd;
}

/* bind (server) or connect each address getaddrinfo() gives, first wins */
static int socket_open_inet(const SocketConfig *cfg, GError **errp)
{
    struct addrinfo hints = {
        .ai_family = cfg->family,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = cfg->server ? AI_PASSIVE : 0,
    };
    struct addrinfo *res, *ai;
    const char *host = cfg->host && cfg->host[0] ? cfg->host : NULL;
    int fd = -1, err = 0, r;

    r = getaddrinfo(host, cfg->port, &hints, &res);
    if (r != 0) {
        error_setg(errp, "address resolution failed for %s:%s: %s",
                   cfg->host, cfg->port, gai_strerror(r));
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int one = 1;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        r = cfg->server ? bind(fd, ai->ai_addr, ai->ai_addrlen)
                        : connect(fd, ai->ai_addr, ai->ai_addrlen);
        if (r == 0) {
            break;
        }
        err = errno;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    if (fd < 0) {
        error_setg_errno(errp, err, "Failed to %s socket %s:%s",
                         cfg->server ? "bind" : "connect", cfg->host,
                         cfg->port);
    }
    return fd;
}

/* An inherited fd: must be a socket; listening iff server=on. */
static int socket_take_fd(const SocketConfig *cfg, GError **errp)
{
    uint64_t v;
    int fd, listening = 0;
    socklen_t len = sizeof(listening);
    struct stat st;

    if (qemu_strtou64(cfg->fd, &v) < 0 || v > INT_MAX) {
        error_setg(errp, "chardev: socket: invalid fd '%s'", cfg->fd);
        return -1;
    }
    fd = v;
    if (fstat(fd, &st) < 0 || !S_ISSOCK(st.st_mode)) {
        error_setg(errp, "chardev: socket: fd %d is not a socket", fd);
        return -1;
    }
    getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len);
    if (!!listening != cfg->server) {
        error_setg(errp, "chardev: socket: fd %d is %s listening socket", fd,
                   listening ? "a" : "not a");
        return -1;
    }
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    return fd;
}

static bool socket_set_nonblock(int fd, GError **errp)
{
    int fl = fcntl(fd, F_GETFL);

    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        error_setg_errno(errp, errno, "chardev: socket: cannot set O_NONBLOCK");
        return false;
    }
    return true;
}

static int socket_open_fd(SocketChardev *s, const SocketConfig *cfg,
                          GError **errp)
{
    if (cfg->fd) {
        return socket_take_fd(cfg, errp);
    }
    if (cfg->path) {
        return cfg->server ? socket_listen_unix(s, cfg->path, errp)
                           : socket_connect_unix(cfg->path, errp);
    }
    return socket_open_inet(cfg, errp);
}

/* query-chardev's address: the one bound (port=0, fd=N show the real
 * one), or for a client the one connected to. */
static char *socket_addr_str(int fd, bool is_server, const SocketConfig *cfg)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int r;

    if (cfg->path) {
        return g_strdup_printf("unix:%s", cfg->path);
    }
    if (cfg->host && !is_server) {
        return g_strdup_printf("tcp:%s:%s", cfg->host, cfg->port);
    }
    r = is_server ? getsockname(fd, (struct sockaddr *)&ss, &len)
                  : getpeername(fd, (struct sockaddr *)&ss, &len);
    if (r < 0) {
        return g_strdup("unknown");
    }
    if (cfg->host && ss.ss_family != AF_UNIX) {
        /* the host as given ("localhost"), the port as bound */
        char serv[NI_MAXSERV] = "";
        getnameinfo((struct sockaddr *)&ss, len, NULL, 0, serv, sizeof(serv),
                    NI_NUMERICSERV);
        return g_strdup_printf("tcp:%s:%s", cfg->host, serv);
    }
    return sockaddr_to_str((struct sockaddr *)&ss, len);
}

/* wait=on: QEMU blocks start-up until the first client is there. */
static bool socket_wait_client(Chardev *chr, SocketChardev *s, GError **errp)
{
    int peer;

    info_report("QEMU waiting for connection on: %s", chr->filename);
    for (;;) {
        struct pollfd pfd = { .fd = s->listen_fd, .events = POLLIN };
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
            break;
        }
        peer = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (peer >= 0) {
            socket_connected(chr, peer);
            return true;
        }
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED) {
            break;
        }
    }
    error_setg_errno(errp, errno, "chardev: socket: accept failed");
    return false;
}

static void socket_free(SocketChardev *s)
{
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    if (s->unlink_path) {
        unlink(s->unlink_path);
    }
    g_byte_array_unref(s->outbuf);
    g_free(s->unlink_path);
    g_free(s->addr);
    g_free(s);
}

static bool socket_listen(int fd, const SocketConfig *cfg, GError **errp)
{
    /* an inherited fd listens already (libvirt did it) */
    if (!cfg->fd && listen(fd, 1) < 0) {
        error_setg_errno(errp, errno, "Failed to listen on socket");
        return false;
    }
    return true;
}

bool qemu_chr_open_socket(Chardev *chr, QemuOpts *opts, GError **errp)
{
    SocketConfig cfg = { 0 };
    SocketChardev *s;
    int fd;

    if (!socket_parse(opts, &cfg, errp)) {
        return false;
    }
    s = g_new0(SocketChardev, 1);
    s->listen_fd = s->fd = -1;
    s->nodelay = cfg.nodelay;
    s->outbuf = g_byte_array_new();
    fd = socket_open_fd(s, &cfg, errp);
    if (fd < 0) {
        socket_free(s);
        return false;
    }
    if (cfg.server) {
        s->listen_fd = fd;
    } else {
        s->fd = fd;
    }
    if (!socket_set_nonblock(fd, errp) ||
        (cfg.server && !socket_listen(fd, &cfg, errp))) {
        socket_free(s);
        return false;
    }
    s->addr = socket_addr_str(fd, cfg.server, &cfg);
    s->is_tcp = g_str_has_prefix(s->addr, "tcp:");
    chr->be = s;
    chr->ops = &socket_chr_ops;
    if (!cfg.server) {
        s->fd = -1;
        socket_connected(chr, fd);
        return true;
    }
    socket_update_filename(chr, -1);
    if (cfg.wait && !socket_wait_client(chr, s, errp)) {
        chr->be = NULL;
        chr->ops = NULL;
        socket_free(s);
        return false;
    }
    socket_arm_listen(chr);
    return true;
}
