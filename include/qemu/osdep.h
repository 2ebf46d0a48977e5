/*
 * Small OS helpers shared by the whole program.
 */
#ifndef QEMU_OSDEP_H
#define QEMU_OSDEP_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

/*
 * Read a whole file.  On failure *errp reads "could not open WHAT 'PATH':
 * No such file or directory" (the errno text, as QEMU words it).
 */
bool qemu_read_file(const char *what, const char *path, char **data,
                    size_t *len, GError **errp);

#endif
