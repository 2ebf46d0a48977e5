/*
 * Character device backends.
 */
#include "chardev/char.h"
#include "qemu/error-report.h"

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
    stdio_restore_tty();
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
        chr->out_fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC |
                           (append ? O_APPEND : O_TRUNC), 0666);
        if (chr->out_fd < 0) {
            error_setg_errno(errp, errno, "Could not open '%s'", path);
            return false;
        }
        chr->owns_fds = true;
        chr->filename = g_strdup_printf("file:%s", path);
    } else if (strcmp(backend, "pty") == 0) {
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
    } else {
        error_setg(errp, "'%s' is not a valid char driver", backend);
        return false;
    }
    return true;
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
    const char *path = qemu_opt_get(opts, "path");
    bool append = false;
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
    if (!qemu_opt_get_bool(opts, "append", false, &append, errp)) {
        return NULL;
    }
    /* accepted and without effect here: stdio signal=on, logfile-less mux */
    qemu_opt_get(opts, "signal");
    if (!qemu_opts_check_unused(opts, errp)) {
        return NULL;
    }
    chr = chr_alloc(id, backend);
    if (!chr_open_backend(chr, backend, path, append, errp)) {
        g_free(chr->id);
        g_free(chr->backend);
        g_free(chr);
        return NULL;
    }
    return chr_register(chr);
}

Chardev *qemu_chr_new(const char *label, const char *spec, GError **errp)
{
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
    chr = chr_alloc(label, spec);
    if (g_str_has_prefix(spec, "file:")) {
        g_free(chr->backend);
        chr->backend = g_strdup("file");
        if (chr_open_backend(chr, "file", spec + 5, false, errp)) {
            return chr_register(chr);
        }
    } else if (strcmp(spec, "mon:stdio") == 0) {
        /* no human monitor to mux in: the serial port gets stdio alone */
        g_free(chr->backend);
        chr->backend = g_strdup("stdio");
        if (chr_open_backend(chr, "stdio", NULL, false, errp)) {
            return chr_register(chr);
        }
    } else if (chr_open_backend(chr, spec, NULL, false, errp)) {
        return chr_register(chr);
    }
    g_free(chr->id);
    g_free(chr->backend);
    g_free(chr);
    return NULL;
}

void qemu_chr_write_all(Chardev *chr, const uint8_t *buf, size_t len)
{
    if (!chr || chr->out_fd < 0) {
        return;
    }
    g_mutex_lock(&chr->write_lock);
    while (len > 0) {
        ssize_t n = write(chr->out_fd, buf, len);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                /* a pty nobody reads: drop, like a UART with no cable */
                break;
            }
            break;
        }
        buf += n;
        len -= n;
    }
    g_mutex_unlock(&chr->write_lock);
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

static gboolean chr_add_watch_idle(gpointer data)
{
    Chardev *chr = data;

    if (!chr->in_watch && chr->in_fd >= 0 && chr->read) {
        chr->in_watch = g_unix_fd_add(chr->in_fd, G_IO_IN | G_IO_HUP | G_IO_ERR,
                                      chr_input_ready, chr);
    }
    return G_SOURCE_REMOVE;
}

void qemu_chr_fe_set_handlers(Chardev *chr, ChrCanReadHandler can_read,
                              ChrReadHandler read, void *opaque)
{
    chr->can_read = can_read;
    chr->read = read;
    chr->opaque = opaque;
    g_idle_add(chr_add_watch_idle, chr);
}

void qemu_chr_fe_accept_input(Chardev *chr)
{
    /* runs the watch (re)installation on the main loop's thread */
    if (!chr->in_watch) {
        g_idle_add(chr_add_watch_idle, chr);
    }
}
