/*
 * The user-mode ELF loader (user/elfload.c): the input is a program file,
 * loaded as qkvm-x86_64 loads its argument, into a fresh 512 MiB guest
 * window each time.  The file is a memfd, named by /proc/self/fd/N.
 * PT_INTERP is looked up under an empty -L prefix directory first; a name
 * that exists on the host is loaded from the host, as qkvm-x86_64 does.
 */
#include "fuzz.h"
#include "user/elfload.h"

#include <glib.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char *prefix;
    g_autoptr(GError) err = NULL;
    g_autofree char *path = NULL;
    GuestMem m;
    ImageInfo info;
    int fd;

    if (!prefix) {
        prefix = g_dir_make_tmp("fuzz-elf-XXXXXX", NULL);
    }
    fd = memfd_create("fuzz-elf", MFD_CLOEXEC);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        abort();
    }
    if (!guest_mem_init(&m, 512ULL << 20, &err)) {
        abort();
    }
    path = g_strdup_printf("/proc/self/fd/%d", fd);
    elf_load_program(&m, path, prefix, &info, &err);
    munmap(m.base, m.size + GUEST_GUARD_SIZE);
    g_array_free(m.vmas, TRUE);
    close(fd);
    return 0;
}
