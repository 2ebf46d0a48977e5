/*
 * Small OS helpers.
 */
#include "qemu/osdep.h"
#include "qemu/error-report.h"

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
