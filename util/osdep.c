/*
 * Small OS helpers.
 */
#include "qemu/osdep.h"
#include "qemu/error-report.h"
#include "qemu/option.h"

#include <string.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

bool qemu_read_file(const char *what, const char *path, char **data,
                    size_t *len, GError **errp)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    GByteArray *buf;
    guint8 chunk[65536];
    ssize_t n;

    if (fd < 0) {
        error_setg_errno(errp, errno, "could not open %s '%s'", what, path);
        return false;
    }
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        close(fd);
        error_setg_errno(errp, EISDIR, "could not open %s '%s'", what, path);
        return false;
    }
    buf = g_byte_array_sized_new(st.st_size > 0 ? st.st_size : 4096);
    while ((n = read(fd, chunk, sizeof(chunk))) != 0) {
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            error_setg_errno(errp, errno, "could not read %s '%s'", what, path);
            close(fd);
            g_byte_array_free(buf, TRUE);
            return false;
        }
        g_byte_array_append(buf, chunk, n);
    }
    close(fd);
    *len = buf->len;
    *data = (char *)g_byte_array_free(buf, FALSE);
    return true;
}

typedef struct FdSetEntry {
    int64_t set;
    int fd;
} FdSetEntry;

static GArray *fdsets;      /* FdSetEntry: the process's passed-in fds */

bool qemu_add_fd(int64_t set, int fd, const char *opaque, GError **errp)
{
    FdSetEntry e = { set, fd };

    if (set < 0 || fd < 0 || fcntl(fd, F_GETFD) < 0) {
        error_setg(errp, "fd %d (set %" G_GINT64_FORMAT ") is not an open "
                   "file descriptor", fd, set);
        return false;
    }
    /* the descriptor is ours now: keep it from leaking into children */
    fcntl(fd, F_SETFD, FD_CLOEXEC);
    if (!fdsets) {
        fdsets = g_array_new(FALSE, FALSE, sizeof(FdSetEntry));
    }
    g_array_append_val(fdsets, e);
    return true;
}

static bool access_ok(int fd_flags, int want)
{
    int have = fd_flags & O_ACCMODE;
    want &= O_ACCMODE;
    return have == want || have == O_RDWR;
}

int qemu_open(const char *path, int flags, mode_t mode, GError **errp)
{
    const char *prefix = "/dev/fdset/";
    int fd;

    if (g_str_has_prefix(path, prefix)) {
        uint64_t set;
        if (qemu_strtou64(path + strlen(prefix), &set) < 0) {
            error_setg(errp, "could not open '%s': not a valid fd set", path);
            return -1;
        }
        for (guint i = 0; fdsets && i < fdsets->len; i++) {
            FdSetEntry *e = &g_array_index(fdsets, FdSetEntry, i);
            int fl = fcntl(e->fd, F_GETFL);
            if (e->set == (int64_t)set && fl >= 0 && access_ok(fl, flags)) {
                fd = fcntl(e->fd, F_DUPFD_CLOEXEC, 0);
                if (fd < 0) {
                    error_setg_errno(errp, errno, "could not open '%s'", path);
                }
                return fd;
            }
        }
        error_setg(errp, "could not open '%s': no descriptor with the "
                   "needed access in fd set %" G_GUINT64_FORMAT, path, set);
        return -1;
    }
    fd = open(path, flags | O_CLOEXEC, mode);
    if (fd < 0) {
        error_setg_errno(errp, errno, "Could not open '%s'", path);
    }
    return fd;
}
