/*
 * Character device backends and the frontend interface.  The fd
 * backends (stdio, null, file, pty) live here; sockets, which come and
 * go with their peers, in char-socket.c.
 */
#include "chardev/char.h"
#include "qemu/error-report.h"
#include "qemu/osdep.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

static GPtrArray *chardevs;          /* every Chardev, creation order */
static struct termios saved_tty;
static bool tty_modified;
static bool stdio_in_use;

GPtrArray *qemu_chr_all(void)
{
    if (!chardevs) {
        chardevs = g_ptr_array_new();
    }
    return chardevs;
}

Chardev *qemu_chr_find(const char *id)
{
    GPtrArray *all = qemu_chr_all();

    for (guint i = 0; i < all->len; i++) {
        Chardev *c = g_ptr_array_index(all, i);
        if (strcmp(c->id, id) == 0) {
            return c;
        }
    }
    return NULL;
}

static void stdio_restore_tty(void)
{
    if (tty_modified) {
        tcsetattr(0, TCSANOW, &saved_tty);
        tty_modified = false;
    }
}

void qemu_chr_cleanup_all(void)
{
    GPtrArray *all = qemu_chr_all();

    stdio_restore_tty();
    for (guint i = 0; i < all->len; i++) {
        Chardev *c = g_ptr_array_index(all, i);
        /* a short grace for output still queued to a socket peer */
        qemu_chr_fe_flush(c, 200);
        if (c->ops && c->ops->cleanup) {
            c->ops->cleanup(c);
        }
    }
}

/* Like QEMU: raw input, but ^C still signals (signal=on). */
static void stdio_make_raw(void)
{
    struct termios tty;

    if (!isatty(0) || tcgetattr(0, &saved_tty) < 0) {
        return;
    }
    tty = saved_tty;
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
                     ICRNL | IXON);
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &tty);
    tty_modified = true;
    atexit(stdio_restore_tty);
}

static Chardev *chr_alloc(const char *id, const char *backend)
{
    Chardev *chr = g_new0(Chardev, 1);

    chr->id = g_strdup(id);
    chr->backend = g_strdup(backend);
    chr->in_fd = -1;
    chr->out_fd = -1;
    g_mutex_init(&chr->write_lock);
    return chr;
}

/* Only for a chardev that failed to open: nothing refers to it yet. */
static void chr_free(Chardev *chr)
{
    g_mutex_clear(&chr->write_lock);
    g_free(chr->id);
    g_free(chr->backend);
    g_free(chr->filename);
    g_free(chr);
}

static bool chr_open_pty(Chardev *chr, GError **errp)
{
    int fd = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    struct termios tty;

    if (fd < 0 || grantpt(fd) < 0 || unlockpt(fd) < 0) {
        error_setg_errno(errp, errno, "Failed to create PTY");
        if (fd >= 0) {
            close(fd);
        }
        return false;
    }
    if (tcgetattr(fd, &tty) == 0) {
        cfmakeraw(&tty);
        tcsetattr(fd, TCSANOW, &tty);
    }
    chr->in_fd = chr->out_fd = fd;
    chr->owns_fds = true;
    chr->filename = g_strdup_printf("pty:%s", ptsname(fd));
    /* QEMU's wording: libvirt and scripts look for it */
    fprintf(stderr, "char device redirected to %s (label %s)\n",
            ptsname(fd), chr->id);
    return true;
}

/* The fd backends: open, and a peer is there from the start. */
static bool chr_open_backend(Chardev *chr, const char *backend,
                             const char *path, bool append, GError **errp)
{
    if (strcmp(backend, "null") == 0) {
        chr->filename = g_strdup("null");
    } else if (strcmp(backend, "stdio") == 0) {
        if (stdio_in_use) {
            error_setg(errp, "cannot use stdio by multiple character devices");
            return false;
        }
        stdio_in_use = true;
        chr->in_fd = 0;
        chr->out_fd = 1;
        chr->is_tty_stdio = isatty(0);
        chr->filename = g_strdup("stdio");
        stdio_make_raw();
    } else if (strcmp(backend, "file") == 0) {
        if (!path) {
            error_setg(errp, "chardev: file: no filename given");
            return false;
        }
        /* qemu_open: libvirt passes /dev/fdset/N (-add-fd) */
        chr->out_fd = qemu_open(path, O_WRONLY | O_CREAT |
                                (append ? O_APPEND : O_TRUNC), 0666, errp);
        if (chr->out_fd < 0) {
            return false;
        }
        chr->owns_fds = true;
        chr->filename = g_strdup_printf("file:%s", path);
    } else if (strcmp(backend, "pty") == 0) {
        if (!chr_open_pty(chr, errp)) {
            return false;
        }
    } else {
        error_setg(errp, "'%s' is not a valid char driver", backend);
        return false;
    }
    chr->be_open = true;
    return true;
}

static bool chr_open_from_opts(Chardev *chr, QemuOpts *opts, GError **errp)
{
    const char *path = qemu_opt_get(opts, "path");
    bool append = false;

    if (strcmp(chr->backend, "socket") == 0) {
        return qemu_chr_open_socket(chr, opts, errp);
    }
    if (!qemu_opt_get_bool(opts, "append", false, &append, errp)) {
        return false;
    }
    /* accepted and without effect here: stdio signal=on, logfile-less mux */
    qemu_opt_get(opts, "signal");
    return qemu_opts_check_unused(opts, errp) &&
           chr_open_backend(chr, chr->backend, path, append, errp);
}

static Chardev *chr_register(Chardev *chr)
{
    g_ptr_array_add(qemu_chr_all(), chr);
    return chr;
}

Chardev *qemu_chr_new_from_opts(QemuOpts *opts, GError **errp)
{
    const char *backend = qemu_opt_get(opts, "backend");
    const char *id = qemu_opt_get(opts, "id");
    Chardev *chr;

    if (!id) {
        error_setg(errp, "Parameter 'id' is missing");
        return NULL;
    }
    if (!backend) {
        error_setg(errp, "chardev: \"%s\" missing backend", id);
        return NULL;
    }
    if (qemu_chr_find(id)) {
        error_setg(errp, "Duplicate ID '%s' for chardev", id);
        return NULL;
    }
    chr = chr_alloc(id, backend);
    if (!chr_open_from_opts(chr, opts, errp)) {
        chr_free(chr);
        return NULL;
    }
    return chr_register(chr);
}

/* ",," is how an option value spells a comma. */
static char *opts_escape(const char *s, size_t len)
{
    GString *out = g_string_new(NULL);

    for (size_t i = 0; i < len; i++) {
        if (s[i] == ',') {
            g_string_append_c(out, ',');
        }
        g_string_append_c(out, s[i]);
    }
    return g_string_free(out, false);
}

/*
 * The legacy socket specs as QemuOpts: "unix:PATH,opts" (PATH may spell a
 * comma ",,") and "tcp:HOST:PORT,opts" (HOST may be empty: any address).
 */
static QemuOpts *socket_spec_to_opts(const char *spec, GError **errp)
{
    const char *rest;
    const char *comma, *colon;
    g_autofree char *host = NULL;
    g_autofree char *port = NULL;
    g_autofree char *str = NULL;

    if (g_str_has_prefix(spec, "unix:")) {
        return qemu_opts_parse(spec + strlen("unix:"), "path", errp);
    }
    rest = spec + strlen("tcp:");
    comma = strchr(rest, ',');
    if (!comma) {
        comma = rest + strlen(rest);
    }
    colon = g_strrstr_len(rest, comma - rest, ":");
    if (!colon || colon + 1 == comma) {
        error_setg(errp, "chardev: socket: no port given in '%s'", spec);
        return NULL;
    }
    host = opts_escape(rest, colon - rest);
    port = opts_escape(colon + 1, comma - colon - 1);
    str = g_strdup_printf("host=%s,port=%s%s", host, port, comma);
    return qemu_opts_parse(str, NULL, errp);
}

static Chardev *chr_new_socket(const char *label, const char *spec,
                               GError **errp)
{
    g_autoptr(QemuOpts) opts = socket_spec_to_opts(spec, errp);
    Chardev *chr;

    if (!opts) {
        return NULL;
    }
    chr = chr_alloc(label, "socket");
    if (!qemu_chr_open_socket(chr, opts, errp)) {
        chr_free(chr);
        return NULL;
    }
    return chr_register(chr);
}

Chardev *qemu_chr_new(const char *label, const char *spec, GError **errp)
{
    const char *backend = spec;
    const char *path = NULL;
    Chardev *chr;

    if (g_str_has_prefix(spec, "chardev:")) {
        chr = qemu_chr_find(spec + strlen("chardev:"));
        if (!chr) {
            error_setg(errp, "chardev '%s' not found", spec + strlen("chardev:"));
        }
        return chr;
    }
    if (strcmp(spec, "none") == 0) {
        return NULL;
    }
    if (g_str_has_prefix(spec, "unix:") || g_str_has_prefix(spec, "tcp:")) {
        return chr_new_socket(label, spec, errp);
    }
    if (g_str_has_prefix(spec, "file:")) {
        backend = "file";
        path = spec + strlen("file:");
    } else if (strcmp(spec, "mon:stdio") == 0) {
        /* no human monitor to mux in: the serial port gets stdio alone */
        backend = "stdio";
    }
    chr = chr_alloc(label, backend);
    if (!chr_open_backend(chr, backend, path, false, errp)) {
        chr_free(chr);
        return NULL;
    }
    return chr_register(chr);
}

void qemu_chr_write_all(Chardev *chr, const uint8_t *buf, size_t len)
{
    if (!chr) {
        return;
    }
    if (chr->ops && chr->ops->write) {
        chr->ops->write(chr, buf, len);
        return;
    }
    if (chr->out_fd < 0) {
        return;
    }
    g_mutex_lock(&chr->write_lock);
    while (len > 0) {
        ssize_t n = write(chr->out_fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            /* EAGAIN: a pty nobody reads: drop, like a UART with no cable */
            break;
        }
        buf += n;
        len -= n;
    }
    g_mutex_unlock(&chr->write_lock);
}

void qemu_chr_fe_flush(Chardev *chr, int timeout_ms)
{
    if (chr && chr->ops && chr->ops->flush) {
        chr->ops->flush(chr, timeout_ms);
    }
}

/* Main loop only.  OPENED once per peer, CLOSED only after an OPENED. */
void qemu_chr_be_event(Chardev *chr, QEMUChrEvent event)
{
    if (!chr->event) {
        return;     /* told when a frontend attaches */
    }
    if (event == CHR_EVENT_OPENED) {
        if (chr->opened_sent) {
            return;
        }
        chr->opened_sent = true;
    } else {
        if (!chr->opened_sent) {
            return;
        }
        chr->opened_sent = false;
    }
    chr->event(chr->opaque, event);
}

static gboolean chr_input_ready(gint fd, GIOCondition cond, gpointer data)
{
    Chardev *chr = data;
    uint8_t buf[256];
    size_t room = chr->can_read ? chr->can_read(chr->opaque) : 0;
    ssize_t n;

    if (room == 0) {
        /* frontend full: stop watching until it calls accept_input */
        chr->in_watch = 0;
        return G_SOURCE_REMOVE;
    }
    n = read(fd, buf, MIN(room, sizeof(buf)));
    if (n <= 0) {
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) {
            return G_SOURCE_CONTINUE;
        }
        /* EOF or error (pty without a peer gives EIO): stop reading */
        chr->in_watch = 0;
        return G_SOURCE_REMOVE;
    }
    chr->read(chr->opaque, buf, n);
    return G_SOURCE_CONTINUE;
}

/* Main loop: (re)start input, and greet a frontend that wants events. */
static gboolean chr_fe_update_idle(gpointer data)
{
    Chardev *chr = data;

    if (chr->ops && chr->ops->update_read_handler) {
        chr->ops->update_read_handler(chr);
    } else if (!chr->in_watch && chr->in_fd >= 0 && chr->read) {
        chr->in_watch = g_unix_fd_add(chr->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                      chr_input_ready, chr);
    }
    if (chr->be_open) {
        qemu_chr_be_event(chr, CHR_EVENT_OPENED);
    }
    return G_SOURCE_REMOVE;
}

void qemu_chr_fe_set_handlers_full(Chardev *chr, ChrCanReadHandler can_read,
                                   ChrReadHandler read, ChrEventHandler event,
                                   void *opaque)
{
    chr->can_read = can_read;
    chr->read = read;
    chr->event = event;
    chr->opaque = opaque;
    chr->fe_open = true;
    qemu_chr_fe_set_open(chr, true);
    chr->opened_sent = false;
    g_idle_add(chr_fe_update_idle, chr);
}

void qemu_chr_fe_set_open(Chardev *chr, bool open)
{
    __atomic_store_n(&chr->fe_is_open, open, __ATOMIC_RELAXED);
}

bool qemu_chr_fe_is_open(Chardev *chr)
{
    return __atomic_load_n(&chr->fe_is_open, __ATOMIC_RELAXED);
}

void qemu_chr_fe_set_handlers(Chardev *chr, ChrCanReadHandler can_read,
                              ChrReadHandler read, void *opaque)
{
    qemu_chr_fe_set_handlers_full(chr, can_read, read, NULL, opaque);
}

void qemu_chr_fe_accept_input(Chardev *chr)
{
    /* runs the watch (re)installation on the main loop's thread */
    if (chr->ops || !chr->in_watch) {
        g_idle_add(chr_fe_update_idle, chr);
    }
}
