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

/* The host's MemAvailable (/proc/meminfo) in bytes; 0 if unknown. */
uint64_t qemu_host_mem_available(void);
/*
 * Fault in [area, area+size) now (-mem-prealloc).  Fails, without
 * touching anything, if the host has less memory available than size.
 */
bool qemu_prealloc_mem(void *area, size_t size, GError **errp);

/*
 * Zeroed memory for a header followed by n elements (the KVM structs with
 * a flexible array: kvm_cpuid2, kvm_msrs, kvm_irq_routing).  Aborts on
 * overflow like g_new(), so no caller multiplies sizes by hand.
 */
static inline void *qemu_flex_alloc0(size_t header, size_t elem, size_t n)
{
    size_t body, total;

    if (!g_size_checked_mul(&body, elem, n) ||
        !g_size_checked_add(&total, header, body)) {
        g_error("allocation of %zu elements of %zu bytes overflows", n, elem);
    }
    return g_malloc0(total);
}
#define QEMU_FLEX_NEW0(type, member, n) \
    ((type *)qemu_flex_alloc0(sizeof(type), sizeof(((type *)0)->member[0]), (n)))

/*
 * -add-fd set=N,fd=M: file descriptors passed in by a management tool.
 * qemu_open("/dev/fdset/N", flags) then returns a dup of a descriptor of
 * set N whose access mode allows flags (QEMU's rule), and any other path
 * is opened normally.  Errors name the path.
 */
bool qemu_add_fd(int64_t set, int fd, const char *opaque, GError **errp);
int qemu_open(const char *path, int flags, mode_t mode, GError **errp);

#endif
