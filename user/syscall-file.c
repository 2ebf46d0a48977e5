/*
 * File, directory, descriptor, polling and socket system calls.  Guest
 * descriptors are host descriptors: most calls pass straight through;
 * the ones here translate pointers nested in their arguments (iovecs,
 * pselect6's sigmask pair) or guard the VMM's own descriptors.
 */
#include "user/syscall.h"
#include "user/fds.h"
#include "qemu/log.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <termios.h>
#include <unistd.h>

#ifndef F_OFD_GETLK
#define F_OFD_GETLK 36
#define F_OFD_SETLK 37
#define F_OFD_SETLKW 38
#endif
#ifndef F_GET_RW_HINT
#define F_GET_RW_HINT 1035
#define F_SET_RW_HINT 1036
#define F_GET_FILE_RW_HINT 1037
#define F_SET_FILE_RW_HINT 1038
#endif

/*
 * /proc/self/exe is the VMM's binary on the host; the program expects
 * itself there (static glibc reads it for dl_iterate_phdr's name, and
 * programs re-execute or open themselves through it).
 */
static bool is_proc_self_exe(UserState *us, uint64_t addr)
{
    g_autofree char *path = guest_strdup(&us->mem, addr, PATH_MAX);
    g_autofree char *mine = g_strdup_printf("/proc/%d/exe", (int)getpid());

    return path && (strcmp(path, "/proc/self/exe") == 0 ||
                    strcmp(path, "/proc/thread-self/exe") == 0 ||
                    strcmp(path, mine) == 0);
}

static int64_t readlink_exe(UserState *us, uint64_t buf, uint64_t size)
{
    size_t len = MIN(strlen(us->exec_path), size);

    if ((int64_t)size <= 0) {
        return -EINVAL;
    }
    return guest_write(&us->mem, buf, us->exec_path, len) ? (int64_t)len
                                                          : -EFAULT;
}

static int64_t sys_readlink(UserState *us, const uint64_t *a)
{
    if (is_proc_self_exe(us, a[0])) {
        return readlink_exe(us, a[1], a[2]);
    }
    return syscall_passthrough(us, SYS_readlink, "sbu", a);
}

static int64_t sys_readlinkat(UserState *us, const uint64_t *a)
{
    if (is_proc_self_exe(us, a[1])) {
        return readlink_exe(us, a[2], a[3]);
    }
    return syscall_passthrough(us, SYS_readlinkat, "fsbu", a);
}

static int64_t sys_open(UserState *us, const uint64_t *a)
{
    if (is_proc_self_exe(us, a[0])) {
        return host_ret(open(us->exec_path, a[1], (mode_t)a[2]));
    }
    return syscall_passthrough(us, SYS_open, "sxo", a);
}

static int64_t sys_openat(UserState *us, const uint64_t *a)
{
    if (is_proc_self_exe(us, a[1])) {
        return host_ret(open(us->exec_path, a[2], (mode_t)a[3]));
    }
    return syscall_passthrough(us, SYS_openat, "fsxo", a);
}

static int64_t sys_close(UserState *us, const uint64_t *a)
{
    if (user_fd_is_reserved(a[0])) {
        return -EBADF;
    }
    return host_ret(close(a[0]));
}

static int64_t sys_dup2(UserState *us, const uint64_t *a)
{
    if (user_fd_is_reserved(a[0]) || user_fd_is_reserved(a[1])) {
        return -EBADF;
    }
    return host_ret(dup2(a[0], a[1]));
}

static int64_t sys_dup3(UserState *us, const uint64_t *a)
{
    if (user_fd_is_reserved(a[0]) || user_fd_is_reserved(a[1])) {
        return -EBADF;
    }
    return host_ret(dup3(a[0], a[1], a[2]));
}

/*
 * Host iovecs for the guest's array (each buffer cut at the window's
 * end, like 'b' arguments); NULL with *err set if it is unreadable.
 */
static struct iovec *iov_from_guest(UserState *us, uint64_t addr,
                                    uint64_t cnt, int64_t *err)
{
    g_autofree uint64_t *raw = NULL;
    struct iovec *v;

    if (cnt > IOV_MAX) {
        *err = -EINVAL;
        return NULL;
    }
    raw = g_new(uint64_t, 2 * cnt + 1);
    if (!guest_read(&us->mem, addr, raw, cnt * 2 * sizeof(uint64_t))) {
        *err = -EFAULT;
        return NULL;
    }
    v = g_new0(struct iovec, cnt + 1);
    for (uint64_t i = 0; i < cnt; i++) {
        uint64_t base = raw[2 * i], len = raw[2 * i + 1];

        if (len > SSIZE_MAX) {
            *err = -EINVAL;
            g_free(v);
            return NULL;
        }
        if (len && base >= us->mem.size) {
            *err = -EFAULT;
            g_free(v);
            return NULL;
        }
        if (len) {
            v[i].iov_base = us->mem.base + base;
            v[i].iov_len = MIN(len, us->mem.size - base);
        }
    }
    return v;
}

/* readv, writev, preadv, pwritev, preadv2, pwritev2: same shape. */
static int64_t sys_iov(UserState *us, long nr, const uint64_t *a)
{
    int64_t err = 0;
    g_autofree struct iovec *v = iov_from_guest(us, a[1], a[2], &err);

    if (!v) {
        return err;
    }
    return host_ret(syscall(nr, a[0], v, a[2], a[3], a[4], a[5]));
}

#define IOV_CALL(name) \
    static int64_t sys_##name(UserState *us, const uint64_t *a) \
    { \
        return sys_iov(us, SYS_##name, a); \
    }
IOV_CALL(readv)
IOV_CALL(writev)
IOV_CALL(preadv)
IOV_CALL(pwritev)
IOV_CALL(preadv2)
IOV_CALL(pwritev2)

/* Commands whose argument points to memory (include/uapi/asm-generic). */
static bool ioctl_takes_pointer(unsigned long cmd)
{
    switch (cmd) {
    case TCGETS: case TCSETS: case TCSETSW: case TCSETSF:
    case TIOCGWINSZ: case TIOCSWINSZ: case FIONREAD: case TIOCOUTQ:
    case TIOCGPGRP: case TIOCSPGRP: case TIOCGSID: case FIONBIO:
    case FIOASYNC: case TIOCGPTN: case TIOCSPTLCK: case TIOCGETD:
    case TIOCMGET: case TIOCMSET:
        return true;
    }
    return false;
}

static bool ioctl_takes_int(unsigned long cmd)
{
    switch (cmd) {
    case TCSBRK: case TCXONC: case TCFLSH: case TIOCSCTTY: case TIOCNOTTY:
    case FIOCLEX: case FIONCLEX: case TIOCEXCL: case TIOCNXCL:
        return true;
    }
    return false;
}

/*
 * ioctl: the terminal requests programs use, and any request that
 * encodes its argument size (_IOC), pass through with the pointer
 * checked; the rest are unknown to us and get ENOTTY.
 */
static int64_t sys_ioctl(UserState *us, const uint64_t *a)
{
    unsigned long cmd = a[1];
    uint64_t size = 0;
    void *p;

    if (user_fd_is_reserved(a[0])) {
        return -EBADF;
    }
    if (ioctl_takes_int(cmd)) {
        return host_ret(ioctl(a[0], cmd, a[2]));
    }
    if (ioctl_takes_pointer(cmd)) {
        size = 1;           /* small fixed structures: the guard covers them */
    } else if (_IOC_DIR(cmd) != _IOC_NONE) {
        size = _IOC_SIZE(cmd);
    } else {
        qemu_log_mask(LOG_UNIMP, "ioctl 0x%lx: unknown request\n", cmd);
        return -ENOTTY;
    }
    if (!syscall_ptr(us, a[2], MAX(size, 1), &p)) {
        return -EFAULT;
    }
    return host_ret(ioctl(a[0], cmd, p));
}

static bool fcntl_takes_pointer(int cmd)
{
    switch (cmd) {
    case F_GETLK: case F_SETLK: case F_SETLKW:
    case F_OFD_GETLK: case F_OFD_SETLK: case F_OFD_SETLKW:
    case F_GETOWN_EX: case F_SETOWN_EX:
    case F_GET_RW_HINT: case F_SET_RW_HINT:
    case F_GET_FILE_RW_HINT: case F_SET_FILE_RW_HINT:
        return true;
    }
    return false;
}

static int64_t sys_fcntl(UserState *us, const uint64_t *a)
{
    void *p;

    if (user_fd_is_reserved(a[0])) {
        return -EBADF;
    }
    if (!fcntl_takes_pointer(a[1])) {
        return host_ret(fcntl(a[0], a[1], a[2]));
    }
    if (!syscall_ptr(us, a[2], 1, &p)) {
        return -EFAULT;
    }
    return host_ret(fcntl(a[0], a[1], p));
}

static int64_t poll_fds(UserState *us, const uint64_t *a, void **fds)
{
    if (a[1] > INT_MAX / sizeof(struct pollfd)) {
        return -EINVAL;
    }
    return syscall_ptr(us, a[0], MAX(a[1], 1) * sizeof(struct pollfd), fds)
           ? 0 : -EFAULT;
}

static int64_t sys_poll(UserState *us, const uint64_t *a)
{
    void *fds;
    int64_t r = poll_fds(us, a, &fds);

    return r ? r : host_ret(poll(fds, a[1], a[2]));
}

static int64_t sys_ppoll(UserState *us, const uint64_t *a)
{
    void *fds, *ts, *mask;
    int64_t r = poll_fds(us, a, &fds);

    if (r) {
        return r;
    }
    if (!syscall_ptr(us, a[2], 16, &ts) || !syscall_ptr(us, a[3], 8, &mask)) {
        return -EFAULT;
    }
    return host_ret(syscall(SYS_ppoll, fds, a[1], ts, mask, a[4]));
}

/* pselect6's sixth argument points to { const sigset_t *ss; size_t len }. */
static int64_t sys_pselect6(UserState *us, const uint64_t *a)
{
    void *set[3], *ts, *ss;
    uint64_t sig[2];

    for (int i = 0; i < 3; i++) {
        if (!syscall_ptr(us, a[1 + i], 128, &set[i])) {
            return -EFAULT;
        }
    }
    if (!syscall_ptr(us, a[4], 16, &ts)) {
        return -EFAULT;
    }
    if (!a[5]) {
        return host_ret(syscall(SYS_pselect6, a[0], set[0], set[1], set[2],
                                ts, NULL));
    }
    if (!guest_read(&us->mem, a[5], sig, sizeof(sig)) ||
        !syscall_ptr(us, sig[0], 8, &ss)) {
        return -EFAULT;
    }
    sig[0] = (uintptr_t)ss;
    return host_ret(syscall(SYS_pselect6, a[0], set[0], set[1], set[2], ts,
                            sig));
}

const SyscallDef syscalls_file[] = {
    SC(read, NULL, "fbu"),
    SC(write, NULL, "fbu"),
    SC(pread64, NULL, "fbud"),
    SC(pwrite64, NULL, "fbud"),
    SC(readv, sys_readv, "fpd"),
    SC(writev, sys_writev, "fpd"),
    SC(preadv, sys_preadv, "fpdd"),
    SC(pwritev, sys_pwritev, "fpdd"),
    SC(preadv2, sys_preadv2, "fpddx"),
    SC(pwritev2, sys_pwritev2, "fpddx"),
    SC(open, sys_open, "sxo"),
    SC(openat, sys_openat, "fsxo"),
    SC(creat, NULL, "so"),
    SC(close, sys_close, "f"),
    SC(lseek, NULL, "fdd"),
    SC(stat, NULL, "sp"),
    SC(fstat, NULL, "fp"),
    SC(lstat, NULL, "sp"),
    SC(newfstatat, NULL, "fspx"),
    SC(statx, NULL, "fsxxp"),
    SC(getdents64, NULL, "fbu"),
    SC(getdents, NULL, "fbu"),
    SC(readlink, sys_readlink, "sbu"),
    SC(readlinkat, sys_readlinkat, "fsbu"),
    SC(access, NULL, "so"),
    SC(faccessat, NULL, "fso"),
    SC(faccessat2, NULL, "fsox"),
    SC(getcwd, NULL, "bu"),
    SC(chdir, NULL, "s"),
    SC(fchdir, NULL, "f"),
    SC(mkdir, NULL, "so"),
    SC(mkdirat, NULL, "fso"),
    SC(rmdir, NULL, "s"),
    SC(unlink, NULL, "s"),
    SC(unlinkat, NULL, "fsx"),
    SC(rename, NULL, "ss"),
    SC(renameat, NULL, "fsfs"),
    SC(renameat2, NULL, "fsfsx"),
    SC(link, NULL, "ss"),
    SC(linkat, NULL, "fsfsx"),
    SC(symlink, NULL, "ss"),
    SC(symlinkat, NULL, "sfs"),
    SC(chmod, NULL, "so"),
    SC(fchmod, NULL, "fo"),
    SC(fchmodat, NULL, "fso"),
    SC(chown, NULL, "sdd"),
    SC(fchown, NULL, "fdd"),
    SC(lchown, NULL, "sdd"),
    SC(fchownat, NULL, "fsddx"),
    SC(umask, NULL, "o"),
    SC(truncate, NULL, "sd"),
    SC(ftruncate, NULL, "fd"),
    SC(fallocate, NULL, "fxdd"),
    SC(fadvise64, NULL, "fddd"),
    SC(fsync, NULL, "f"),
    SC(fdatasync, NULL, "f"),
    SC(sync, NULL, ""),
    SC(syncfs, NULL, "f"),
    SC(flock, NULL, "fx"),
    SC(utimensat, NULL, "fspx"),
    SC(utimes, NULL, "sp"),
    SC(mknod, NULL, "sox"),
    SC(mknodat, NULL, "fsox"),
    SC(statfs, NULL, "sp"),
    SC(fstatfs, NULL, "fp"),
    SC(dup, NULL, "f"),
    SC(dup2, sys_dup2, "ff"),
    SC(dup3, sys_dup3, "ffx"),
    SC(pipe, NULL, "p"),
    SC(pipe2, NULL, "px"),
    SC(ioctl, sys_ioctl, "fxx"),
    SC(fcntl, sys_fcntl, "fdx"),
    SC(sendfile, NULL, "ffpu"),
    SC(copy_file_range, NULL, "fpfpux"),
    SC(splice, NULL, "fpfpux"),
    SC(memfd_create, NULL, "sx"),
    SC(eventfd2, NULL, "ux"),
    SC(poll, sys_poll, "pud"),
    SC(ppoll, sys_ppoll, "puppu"),
    SC(select, NULL, "dpppp"),
    SC(pselect6, sys_pselect6, "dppppp"),
    SC(epoll_create, NULL, "d"),
    SC(epoll_create1, NULL, "x"),
    SC(epoll_ctl, NULL, "fdfp"),
    SC(epoll_wait, NULL, "fpdd"),
    SC(getxattr, NULL, "ssbu"),
    SC(lgetxattr, NULL, "ssbu"),
    SC(fgetxattr, NULL, "fsbu"),
    SC(listxattr, NULL, "sbu"),
    SC(llistxattr, NULL, "sbu"),
    SC(flistxattr, NULL, "fbu"),
    SC(setxattr, NULL, "ssbux"),
    SC(lsetxattr, NULL, "ssbux"),
    SC(fsetxattr, NULL, "fsbux"),
    SC(removexattr, NULL, "ss"),
    SC(lremovexattr, NULL, "ss"),
    SC(fremovexattr, NULL, "fs"),
    SC(socket, NULL, "ddd"),
    SC(socketpair, NULL, "dddp"),
    SC(connect, NULL, "fpu"),
    SC(bind, NULL, "fpu"),
    SC(listen, NULL, "fd"),
    SC(accept, NULL, "fpp"),
    SC(accept4, NULL, "fppx"),
    SC(shutdown, NULL, "fd"),
    SC(sendto, NULL, "fbuxpu"),
    SC(recvfrom, NULL, "fbuxpp"),
    SC(getsockname, NULL, "fpp"),
    SC(getpeername, NULL, "fpp"),
    SC(setsockopt, NULL, "fddbu"),
    SC(getsockopt, NULL, "fddpp"),
};
const size_t syscalls_file_nr = G_N_ELEMENTS(syscalls_file);
