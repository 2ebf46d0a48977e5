/*
 * qkvm-x86_64's system call layer (user/syscall*.c, user/mmap.c): the
 * input is a sequence of system calls a guest program could make, with
 * pointers into and around its address space, lengths and flags at their
 * boundaries, run through do_syscall() as the vCPU loop does (no vCPU is
 * needed: the layer works on the guest window).  Each input starts from a
 * fresh 256 MiB window with a 64 KiB scratch mapping holding the input's
 * tail (paths, iovecs, sigactions...).
 *
 * Only calls that are safe to make for real from a fuzzer are drawn (not
 * kill, exit, clone, execve, open, ioctl, prlimit...), and file
 * descriptor arguments are the harness's own: a non-blocking pipe, a
 * memfd, or invalid numbers, never the fuzzer's stdio.
 */
#include "fuzz.h"
#include "user/user.h"
#include "user/syscall.h"
#include "user/mmap.h"

#include <fcntl.h>
#include <signal.h>
#include <glib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define WINDOW      (256ULL << 20)
#define SCRATCH     0x10000ULL
#define SCRATCH_LEN 0x10000ULL

/*
 * Argument kinds: a address, b buffer (scratch mostly), u length,
 * x flags, d small integer, f file descriptor.
 */
static const struct {
    long nr;
    const char *args;
} calls[] = {
    { SYS_mmap, "auxxfd" }, { SYS_munmap, "au" }, { SYS_mprotect, "aux" },
    { SYS_mremap, "auuxa" }, { SYS_brk, "a" }, { SYS_madvise, "aud" },
    { SYS_msync, "bux" }, { SYS_mincore, "bub" }, { SYS_mlock, "bu" },
    { SYS_munlock, "bu" },
    { SYS_rt_sigaction, "dbbu" }, { SYS_rt_sigprocmask, "dbbu" },
    { SYS_rt_sigpending, "bu" }, { SYS_sigaltstack, "bb" },
    { SYS_read, "fbu" }, { SYS_write, "fbu" }, { SYS_pread64, "fbud" },
    { SYS_pwrite64, "fbud" }, { SYS_readv, "fbd" }, { SYS_writev, "fbd" },
    { SYS_preadv, "fbdd" }, { SYS_pwritev, "fbdd" }, { SYS_lseek, "fdd" },
    { SYS_fstat, "fb" }, { SYS_newfstatat, "fbbx" }, { SYS_readlink, "bbu" },
    { SYS_readlinkat, "fbbu" }, { SYS_getcwd, "bu" },
    { SYS_set_tid_address, "a" }, { SYS_set_robust_list, "au" },
    { SYS_uname, "b" }, { SYS_getpid, "" }, { SYS_gettid, "" },
    { SYS_getrandom, "bux" }, { SYS_clock_gettime, "db" },
    { SYS_gettimeofday, "bb" },
};

static int fds[3];

/*
 * rt_sigaction mirrors the guest's default/ignore dispositions onto the
 * host (user/syscall-signal.c), as it must for a real program; here it
 * would also replace libFuzzer's own handlers (SIGALRM drives -timeout:
 * a guest SIG_DFL for it ended a campaign with "Alarm clock").  The
 * host's dispositions are saved before the first input and put back
 * after any input that changed them.
 */
static struct sigaction host_sigact[32];

static void save_host_signals(void)
{
    for (int sig = 1; sig < 32; sig++) {
        sigaction(sig, NULL, &host_sigact[sig]);
    }
}

static void restore_host_signals(void)
{
    for (int sig = 1; sig < 32; sig++) {
        if (sig != SIGKILL && sig != SIGSTOP) {
            sigaction(sig, &host_sigact[sig], NULL);
        }
    }
}

static uint64_t make_arg(Input *in, char kind)
{
    static const uint64_t addr_edges[] = {
        0, 0xfff, 0x1000, SCRATCH, SCRATCH + SCRATCH_LEN - 1, WINDOW - 0x1000,
        WINDOW, WINDOW + 1, 1ULL << 47, UINT64_MAX - 0xfff, UINT64_MAX,
    };
    static const uint64_t len_edges[] = {
        0, 1, 0xfff, 0x1000, 0x1001, WINDOW, WINDOW + 0x1000, 1ULL << 31,
        1ULL << 32, INT64_MAX, UINT64_MAX,
    };
    uint8_t mode = take(in, 1);

    switch (kind) {
    case 'a':
    case 'b':
        switch (mode % 4) {
        case 0:
            return SCRATCH + take(in, 2) % SCRATCH_LEN;
        case 1:
            return kind == 'b' ? SCRATCH + (take(in, 1) << 4)
                               : (take(in, 4) << 12) % (WINDOW + 0x100000);
        case 2:
            return addr_edges[take(in, 1) % G_N_ELEMENTS(addr_edges)];
        default:
            return take(in, 8);
        }
    case 'u':
        switch (mode % 3) {
        case 0:
            return take(in, 2);
        case 1:
            return len_edges[take(in, 1) % G_N_ELEMENTS(len_edges)];
        default:
            return take(in, 8);
        }
    case 'f':
        switch (mode % 5) {
        case 0: case 1: case 2:
            return fds[mode % 3];
        case 3:
            return (uint64_t)-1;
        default:
            return 1000 + take(in, 1);  /* not open (fds.c keeps its own high) */
        }
    case 'd':
        return mode & 1 ? (uint64_t)(int64_t)(int8_t)take(in, 1) : take(in, 8);
    default:    /* 'x' */
        return mode & 1 ? take(in, 4) : take(in, 8);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static UserState us;
    Input in = { data, size };
    bool touched_signals = false;
    size_t tail;

    if (!fds[0]) {
        int p[2];
        if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0) {
            abort();
        }
        fds[0] = p[0];
        fds[1] = p[1];
        fds[2] = memfd_create("fuzz-user", MFD_CLOEXEC);
        us.exec_path = g_strdup("/bin/true");
        save_host_signals();
    } else {
        munmap(us.mem.base, us.mem.size + GUEST_GUARD_SIZE);
        g_array_free(us.mem.vmas, TRUE);
    }
    if (!guest_mem_init(&us.mem, WINDOW, NULL)) {
        abort();
    }
    us.mem.mmap_top = WINDOW;
    us.mem.brk_start = us.mem.brk = 0x400000;
    if (target_mmap(&us.mem, SCRATCH, SCRATCH_LEN, PROT_READ | PROT_WRITE,
                    MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) < 0) {
        abort();
    }
    /* the last part of the input is the scratch contents */
    tail = MIN(size / 2, (size_t)SCRATCH_LEN);
    memcpy(us.mem.base + SCRATCH, data + size - tail, tail);
    in.left -= tail;
    /* each input starts with the signal state of a new process */
    memset(us.sigact, 0, sizeof(us.sigact));
    us.sigmask = us.sigpending = 0;

    while (in.left) {
        uint8_t c = take(&in, 1) % G_N_ELEMENTS(calls);
        uint64_t a[6] = { 0 };

        for (unsigned i = 0; calls[c].args[i]; i++) {
            a[i] = make_arg(&in, calls[c].args[i]);
        }
        do_syscall(&us, calls[c].nr, a);
        touched_signals |= calls[c].nr == SYS_rt_sigaction;
    }
    if (touched_signals) {
        restore_host_signals();
    }
    return 0;
}
