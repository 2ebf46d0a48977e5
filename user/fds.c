/*
 * The VMM's own descriptors, kept away from the program's.
 */
#include "user/fds.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#define MAX_RESERVED 8

static int reserved[MAX_RESERVED];
static int nr_reserved;

/* Below min(RLIMIT_NOFILE, 1024): higher would grow the fd table a lot. */
static int reserve_base(void)
{
    struct rlimit rl;
    rlim_t top = 1024;

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < top) {
        top = rl.rlim_cur;
    }
    return top > 2 * MAX_RESERVED ? (int)top - MAX_RESERVED : 3;
}

int user_fd_reserve(int fd)
{
    int nfd;

    if (nr_reserved == MAX_RESERVED) {
        return fd;
    }
    nfd = fcntl(fd, F_DUPFD_CLOEXEC, reserve_base() + nr_reserved);
    if (nfd < 0) {
        nfd = fd;       /* keep the low one: it still works */
    } else {
        close(fd);
    }
    reserved[nr_reserved++] = nfd;
    return nfd;
}

bool user_fd_is_reserved(int fd)
{
    for (int i = 0; i < nr_reserved; i++) {
        if (reserved[i] == fd) {
            return true;
        }
    }
    return false;
}
