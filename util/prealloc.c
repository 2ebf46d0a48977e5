/*
 * -mem-prealloc: back guest RAM with host memory at start-up, or fail
 * with a message, rather than leave the kernel's OOM killer to end the
 * VMM later when the guest first touches a page.
 */
#include "qemu/osdep.h"
#include "qemu/error-report.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23      /* Linux 5.14, include/uapi/asm-generic/mman-common.h */
#endif

/* MemAvailable from /proc/meminfo in bytes, 0 if unknown. */
uint64_t qemu_host_mem_available(void)
{
    g_autofree char *text = NULL;
    const char *p;
    unsigned long long kib;

    if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL) ||
        !(p = strstr(text, "MemAvailable:")) ||
        sscanf(p + strlen("MemAvailable:"), "%llu", &kib) != 1) {
        return 0;
    }
    return (uint64_t)kib << 10;
}

bool qemu_prealloc_mem(void *area, size_t size, GError **errp)
{
    uint64_t avail = qemu_host_mem_available();
    long page = sysconf(_SC_PAGESIZE);

    /*
     * Faulting in more than the host has would not fail: the OOM killer
     * would pick a process, likely this one.  Refuse first.
     */
    if (avail && size > avail) {
        error_setg(errp, "cannot preallocate %" G_GUINT64_FORMAT " MiB of guest "
                   "RAM: the host has %" G_GUINT64_FORMAT " MiB available",
                   (uint64_t)size >> 20, avail >> 20);
        return false;
    }
    if (madvise(area, size, MADV_POPULATE_WRITE) == 0) {
        return true;
    }
    if (errno != EINVAL) {
        /* QEMU's wording */
        error_setg_errno(errp, errno, "qemu_prealloc_mem: preallocating "
                         "memory failed");
        return false;
    }
    /* kernels before 5.14: touch every page */
    for (size_t off = 0; off < size; off += page) {
        volatile uint8_t *b = (uint8_t *)area + off;
        *b = *b;
    }
    return true;
}
