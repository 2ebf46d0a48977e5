/*
 * Character devices: where a serial port's or a monitor's bytes go and
 * come from.  Backends: stdio, null, file, pty, socket (chardev/
 * char-socket.c: a listening or connected UNIX/TCP socket, one client at
 * a time).
 *
 * Output is written by the caller's thread (any thread); input arrives on
 * the main loop (the default GMainContext) and is handed to the frontend
 * as far as it can take it.  A frontend that cares about connections
 * (the QMP monitor greets every client) also gets CHR_EVENT_OPENED and
 * CHR_EVENT_CLOSED on the main loop.
 */
#ifndef CHARDEV_CHAR_H
#define CHARDEV_CHAR_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qemu/option.h"

typedef struct Chardev Chardev;

typedef enum QEMUChrEvent {
    CHR_EVENT_OPENED,       /* a peer is there (socket: a client connected) */
    CHR_EVENT_CLOSED,       /* it went away; a socket listens again */
} QEMUChrEvent;

/* How many bytes the frontend can take now. */
typedef size_t (*ChrCanReadHandler)(void *opaque);
typedef void (*ChrReadHandler)(void *opaque, const uint8_t *buf, size_t len);
typedef void (*ChrEventHandler)(void *opaque, QEMUChrEvent event);

/* What a backend that is more than a pair of fds provides (sockets). */
typedef struct ChardevOps {
    /* Take len bytes for output, from any thread, without blocking long. */
    void (*write)(Chardev *chr, const uint8_t *buf, size_t len);
    /* Main loop: the frontend changed or has room again; (re)arm input. */
    void (*update_read_handler)(Chardev *chr);
    /* Deliver pending output, waiting at most timeout_ms (exit path). */
    void (*flush)(Chardev *chr, int timeout_ms);
    /* Process exit: remove what the backend created (a socket file). */
    void (*cleanup)(Chardev *chr);
} ChardevOps;

struct Chardev {
    char *id;
    char *backend;          /* "stdio", "file", "socket", ... */
    char *filename;         /* QMP query-chardev: "stdio", "file:/x",
                             * "disconnected:unix:/s,server=on", ... */
    int in_fd;              /* -1: no input (or the backend reads itself) */
    int out_fd;             /* -1: output discarded */
    bool owns_fds;
    bool is_tty_stdio;
    guint in_watch;
    const ChardevOps *ops;  /* NULL: plain fds above */
    void *be;               /* the backend's state (SocketChardev) */
    bool be_open;           /* a peer is connected (always, for fd backends) */
    bool opened_sent;       /* CHR_EVENT_OPENED delivered for this peer */
    bool fe_open;           /* a frontend is attached */
    bool fe_is_open;        /* query-chardev's frontend-open: attached and,
                             * for a virtio serial port, opened by the
                             * guest (qemu_chr_fe_set_open) */
    ChrCanReadHandler can_read;
    ChrReadHandler read;
    ChrEventHandler event;
    void *opaque;
    GMutex write_lock;      /* whole writes never interleave */
};

/*
 * -chardev BACKEND,id=ID,...: null, stdio, file (path=, append=), pty,
 * socket (path= | host=,port= | fd=; server=on|off, wait=on|off,
 * nodelay=on|off, ipv4=, ipv6=).
 */
Chardev *qemu_chr_new_from_opts(QemuOpts *opts, GError **errp);
/*
 * -serial/-qmp SPEC: "stdio", "null", "none" (returns NULL, no error),
 * "file:P", "pty", "mon:stdio", "chardev:ID", "unix:PATH[,server=on,
 * wait=off]", "tcp:HOST:PORT[,server=on,wait=off]" (the old "server,
 * nowait" spelling too); label names an implicitly created one
 * ("serial0", "compat_monitor0").
 */
Chardev *qemu_chr_new(const char *label, const char *spec, GError **errp);
Chardev *qemu_chr_find(const char *id);
/* Every chardev in creation order (for query-chardev). */
GPtrArray *qemu_chr_all(void);

/*
 * Write all of buf.  fd backends block; a socket queues what the peer
 * does not take at once (see char-socket.c for the bound).  Output with
 * no peer, and output errors, are dropped like a line hang-up.
 */
void qemu_chr_write_all(Chardev *chr, const uint8_t *buf, size_t len);
/* Attach the frontend; input starts flowing on the main loop. */
void qemu_chr_fe_set_handlers(Chardev *chr, ChrCanReadHandler can_read,
                              ChrReadHandler read, void *opaque);
/*
 * The same with connection events: OPENED comes (on the main loop) once
 * the backend has a peer, at once if it already has one, and again for
 * every new client of a listening socket.
 */
void qemu_chr_fe_set_handlers_full(Chardev *chr, ChrCanReadHandler can_read,
                                   ChrReadHandler read, ChrEventHandler event,
                                   void *opaque);
/*
 * The frontend's side is open or not (query-chardev "frontend-open"):
 * a virtio serial port sets it as the guest opens and closes the port.
 * Any thread.
 */
void qemu_chr_fe_set_open(Chardev *chr, bool open);
bool qemu_chr_fe_is_open(Chardev *chr);
/* The frontend has room again (called from any thread). */
void qemu_chr_fe_accept_input(Chardev *chr);
/* Deliver queued output, waiting at most timeout_ms. */
void qemu_chr_fe_flush(Chardev *chr, int timeout_ms);
/* At exit: restore terminal settings, remove socket files. */
void qemu_chr_cleanup_all(void);

/* For backends (char-socket.c): main loop only. */
void qemu_chr_be_event(Chardev *chr, QEMUChrEvent event);
bool qemu_chr_open_socket(Chardev *chr, QemuOpts *opts, GError **errp);

#endif
