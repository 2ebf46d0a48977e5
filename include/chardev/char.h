/*
 * Character devices: where a serial port's bytes go and come from.
 * Backends: stdio, null, file, pty (socket arrives with QMP).
 * Output is written synchronously by the caller's thread; input arrives
 * on the main loop and is handed to the frontend as far as it can take it.
 */
#ifndef CHARDEV_CHAR_H
#define CHARDEV_CHAR_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "qemu/option.h"

typedef struct Chardev Chardev;

/* How many bytes the frontend can take now. */
typedef size_t (*ChrCanReadHandler)(void *opaque);
typedef void (*ChrReadHandler)(void *opaque, const uint8_t *buf, size_t len);

struct Chardev {
    char *id;
    char *backend;          /* "stdio", "file", ... */
    char *filename;         /* QMP query-chardev: "stdio", "file:/x", "pty:/dev/pts/3" */
    int in_fd;              /* -1: no input */
    int out_fd;             /* -1: output discarded */
    bool owns_fds;
    bool is_tty_stdio;
    guint in_watch;
    ChrCanReadHandler can_read;
    ChrReadHandler read;
    void *opaque;
    GMutex write_lock;
};

/* -chardev BACKEND,id=ID,...  */
Chardev *qemu_chr_new_from_opts(QemuOpts *opts, GError **errp);
/* -serial SPEC: "stdio", "null", "none" (returns NULL, no error), "file:P",
 * "pty", "chardev:ID"; label names an implicitly created one ("serial0"). */
Chardev *qemu_chr_new(const char *label, const char *spec, GError **errp);
Chardev *qemu_chr_find(const char *id);
/* Every chardev in creation order (for query-chardev). */
GPtrArray *qemu_chr_all(void);

/* Write all of buf (blocking); output errors are dropped like a line hang-up. */
void qemu_chr_write_all(Chardev *chr, const uint8_t *buf, size_t len);
/* Attach the frontend; input starts flowing on the main loop. */
void qemu_chr_fe_set_handlers(Chardev *chr, ChrCanReadHandler can_read,
                              ChrReadHandler read, void *opaque);
/* The frontend has room again (called from any thread). */
void qemu_chr_fe_accept_input(Chardev *chr);
/* Restore terminal settings at exit. */
void qemu_chr_cleanup_all(void);

#endif
