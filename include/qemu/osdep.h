/*
 * Small OS helpers shared by the whole program.
 */
#ifndef QEMU_OSDEP_H
#define QEMU_OSDEP_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * Read a whole file.  On failure *errp reads "could not open WHAT 'PATH':
 * No such file or directory" (the errno text, as QEMU words it).
 */
bool qemu_read_file(const char *what, const char *path, char **data,
                    size_t *len, GError **errp);

/*
 * -add-fd set=N,fd=M: file descriptors passed in by a management tool.
 * qemu_open("/dev/fdset/N", flags) then returns a dup of a descriptor of
 * set N whose access mode allows flags (QEMU's rule), and any other path
 * is opened normally.  Errors name the path.
 */
bool qemu_add_fd(int64_t set, int fd, const char *opaque, GError **errp);
int qemu_open(const char *path, int flags, mode_t mode, GError **errp);

#endif
