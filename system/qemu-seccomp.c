/*
 * -sandbox on[,obsolete=allow|deny][,elevateprivileges=allow|deny|children]
 *            [,spawn=allow|deny][,resourcecontrol=allow|deny]
 *
 * QEMU's option, but the filter is an allow-list (QEMU's is a deny-list):
 * the system calls the VMM makes once it runs (KVM ioctls, the event loop,
 * sockets it already has, threads) and nothing else.  open/openat, socket,
 * connect, bind, mount, ptrace, execve... are absent, so a VMM taken over
 * by a guest can neither open new files nor start programs.  The groups
 * named by the option are added when "allow" (QEMU's defaults: obsolete
 * denied, the others allowed); libvirt passes "deny" for all four.
 *
 * Installed after start-up, with SECCOMP_FILTER_FLAG_TSYNC so that the
 * vCPU threads already running get it too (seccomp(2), "TSYNC").
 */
#include "system/seccomp.h"
#include "qemu/error-report.h"
#include "qemu/option.h"

#include <errno.h>
#include <time.h>
#include <string.h>

static bool sandbox_on;
static bool sandbox_wanted;     /* the last -sandbox said on */

bool sandbox_active(void)
{
    return sandbox_on;
}

bool sandbox_requested(void)
{
    return sandbox_wanted;
}

static bool parse_allow_deny(QemuOpts *opts, const char *key, bool def,
                             bool children_ok, bool *out, GError **errp)
{
    const char *v = qemu_opt_get(opts, key);

    if (!v) {
        *out = def;
    } else if (strcmp(v, "allow") == 0) {
        *out = true;
    } else if (strcmp(v, "deny") == 0 ||
               (children_ok && strcmp(v, "children") == 0)) {
        /*
         * "children" in QEMU denies set*id to child processes only; the
         * VMM never changes ids after start-up, so here it is "deny".
         */
        *out = false;
    } else {
        error_setg(errp, "invalid argument for %s", key);
        return false;
    }
    return true;
}

bool sandbox_parse(const char *arg, SandboxConfig *cfg, GError **errp)
{
    g_autoptr(QemuOpts) opts = qemu_opts_parse(arg, "enable", errp);

    if (!opts ||
        !qemu_opt_get_bool(opts, "enable", false, &cfg->enabled, errp) ||
        !parse_allow_deny(opts, "obsolete", false, false, &cfg->obsolete, errp) ||
        !parse_allow_deny(opts, "elevateprivileges", true, true,
                          &cfg->elevate_privileges, errp) ||
        !parse_allow_deny(opts, "spawn", true, false, &cfg->spawn, errp) ||
        !parse_allow_deny(opts, "resourcecontrol", true, false,
                          &cfg->resource_control, errp) ||
        !qemu_opts_check_unused(opts, errp)) {
        return false;
    }
    if (cfg->enabled && !sandbox_supported()) {
        /* QEMU's wording for a build without libseccomp */
        error_setg(errp, "seccomp support is disabled");
        return false;
    }
    sandbox_wanted = cfg->enabled;
    return true;
}

#ifdef CONFIG_SECCOMP
#include <sched.h>
#include <seccomp.h>
#include <time.h>
#include <unistd.h>

bool sandbox_supported(void)
{
    return true;
}

/*
 * What the running VMM needs: the event loop, KVM, its own sockets and
 * pipes, threads, time, signals, memory, and unlink for the pidfile and
 * QMP socket removed at exit.
 */
static const int base_syscalls[] = {
    /* file descriptors it already has */
    SCMP_SYS(read), SCMP_SYS(write), SCMP_SYS(readv), SCMP_SYS(writev),
    SCMP_SYS(pread64), SCMP_SYS(pwrite64), SCMP_SYS(preadv), SCMP_SYS(pwritev),
    SCMP_SYS(lseek), SCMP_SYS(close), SCMP_SYS(ioctl), SCMP_SYS(fcntl),
    SCMP_SYS(dup), SCMP_SYS(dup2), SCMP_SYS(dup3), SCMP_SYS(fstat),
    SCMP_SYS(newfstatat), SCMP_SYS(statx), SCMP_SYS(fsync), SCMP_SYS(fdatasync),
    SCMP_SYS(ftruncate), SCMP_SYS(fallocate),
    /* block rings made at start-up, restricted to read/write/fsync/
     * fallocate/nop (block/io-uring.c): entering them opens nothing */
    SCMP_SYS(io_uring_enter),
    SCMP_SYS(pipe2), SCMP_SYS(eventfd2), SCMP_SYS(timerfd_create),
    SCMP_SYS(timerfd_settime), SCMP_SYS(timerfd_gettime),
    /* the event loop */
    SCMP_SYS(poll), SCMP_SYS(ppoll), SCMP_SYS(select), SCMP_SYS(pselect6),
    SCMP_SYS(epoll_create1), SCMP_SYS(epoll_ctl), SCMP_SYS(epoll_wait),
    SCMP_SYS(epoll_pwait),
    /* sockets already listening or connected (QMP, chardevs) */
    SCMP_SYS(accept), SCMP_SYS(accept4), SCMP_SYS(recvfrom), SCMP_SYS(recvmsg),
    SCMP_SYS(sendto), SCMP_SYS(sendmsg), SCMP_SYS(shutdown),
    SCMP_SYS(getsockopt), SCMP_SYS(setsockopt), SCMP_SYS(getsockname),
    SCMP_SYS(getpeername),
    /* memory */
    SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mprotect), SCMP_SYS(mremap),
    SCMP_SYS(madvise), SCMP_SYS(brk), SCMP_SYS(mlock), SCMP_SYS(munlock),
    SCMP_SYS(mlockall), SCMP_SYS(membarrier),
    /* threads, signals, time */
    SCMP_SYS(futex), SCMP_SYS(set_robust_list), SCMP_SYS(get_robust_list),
    SCMP_SYS(rseq), SCMP_SYS(set_tid_address), SCMP_SYS(sched_yield),
    SCMP_SYS(sched_getaffinity), SCMP_SYS(prctl),
    SCMP_SYS(rt_sigaction), SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(rt_sigtimedwait), SCMP_SYS(rt_sigpending), SCMP_SYS(rt_sigsuspend),
    SCMP_SYS(sigaltstack), SCMP_SYS(tgkill), SCMP_SYS(tkill),
    SCMP_SYS(restart_syscall),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
    SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(time),
    SCMP_SYS(getpid), SCMP_SYS(gettid), SCMP_SYS(getppid), SCMP_SYS(getuid),
    SCMP_SYS(geteuid), SCMP_SYS(getgid), SCMP_SYS(getegid),
    SCMP_SYS(getrandom), SCMP_SYS(uname), SCMP_SYS(getrlimit),
    SCMP_SYS(exit), SCMP_SYS(exit_group),
    /* the pidfile and a QMP socket path are removed at exit */
    SCMP_SYS(unlink), SCMP_SYS(unlinkat),
};

/* obsolete=allow (QEMU's list of obsolete calls that exist on x86-64) */
static const int obsolete_syscalls[] = {
    SCMP_SYS(sysfs), SCMP_SYS(ustat), SCMP_SYS(uselib), SCMP_SYS(_sysctl),
    SCMP_SYS(create_module), SCMP_SYS(get_kernel_syms), SCMP_SYS(query_module),
    SCMP_SYS(nfsservctl), SCMP_SYS(getpmsg), SCMP_SYS(putpmsg),
    SCMP_SYS(afs_syscall), SCMP_SYS(tuxcall), SCMP_SYS(security),
    SCMP_SYS(vserver),
};

/* elevateprivileges=allow */
static const int privilege_syscalls[] = {
    SCMP_SYS(setuid), SCMP_SYS(setgid), SCMP_SYS(setpgid), SCMP_SYS(setsid),
    SCMP_SYS(setreuid), SCMP_SYS(setregid), SCMP_SYS(setresuid),
    SCMP_SYS(setresgid), SCMP_SYS(setfsuid), SCMP_SYS(setfsgid),
};

/* spawn=allow: processes (threads are clone with CLONE_THREAD, below) */
static const int spawn_syscalls[] = {
    SCMP_SYS(fork), SCMP_SYS(vfork), SCMP_SYS(execve), SCMP_SYS(execveat),
    SCMP_SYS(wait4), SCMP_SYS(waitid),
};

/* resourcecontrol=allow; when denied these fail with EPERM, as in QEMU */
static const int resource_syscalls[] = {
    SCMP_SYS(getpriority), SCMP_SYS(setpriority), SCMP_SYS(sched_setparam),
    SCMP_SYS(sched_getparam), SCMP_SYS(sched_setscheduler),
    SCMP_SYS(sched_getscheduler), SCMP_SYS(sched_setaffinity),
    SCMP_SYS(sched_get_priority_max), SCMP_SYS(sched_get_priority_min),
};

static bool add_rules(scmp_filter_ctx ctx, uint32_t action, const int *nr,
                      size_t n, GError **errp)
{
    for (size_t i = 0; i < n; i++) {
        int rc;
        if (nr[i] < 0) {
            continue;       /* not a system call on this host */
        }
        rc = seccomp_rule_add(ctx, action, nr[i], 0);
        if (rc < 0) {
            error_setg(errp, "failed to add seccomp rule for system call %d: %s",
                       nr[i], g_strerror(-rc));
            return false;
        }
    }
    return true;
}

bool sandbox_install(const SandboxConfig *cfg, GError **errp)
{
    scmp_filter_ctx ctx;
    bool ok = false;
    int rc;

    if (!cfg->enabled) {
        return true;
    }
    /*
     * Library state that is set up on first use by opening files must be
     * set up now: glibc reads /etc/localtime at the first gmtime_r() (the
     * RTC's first update, a second after start: it killed the VMM), glib
     * may load charset tables for its first message.
     */
    tzset();
    g_get_charset(NULL);
    ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) {
        error_setg(errp, "failed to initialize seccomp context");
        return false;
    }
    if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_TSYNC, 1) < 0) {
        error_setg(errp, "failed to set seccomp thread synchronization");
        goto out;
    }
    if (!add_rules(ctx, SCMP_ACT_ALLOW, base_syscalls,
                   G_N_ELEMENTS(base_syscalls), errp) ||
        (cfg->obsolete &&
         !add_rules(ctx, SCMP_ACT_ALLOW, obsolete_syscalls,
                    G_N_ELEMENTS(obsolete_syscalls), errp)) ||
        (cfg->elevate_privileges &&
         !add_rules(ctx, SCMP_ACT_ALLOW, privilege_syscalls,
                    G_N_ELEMENTS(privilege_syscalls), errp)) ||
        (cfg->spawn &&
         !add_rules(ctx, SCMP_ACT_ALLOW, spawn_syscalls,
                    G_N_ELEMENTS(spawn_syscalls), errp)) ||
        !add_rules(ctx, cfg->resource_control ? SCMP_ACT_ALLOW
                                              : SCMP_ACT_ERRNO(EPERM),
                   resource_syscalls, G_N_ELEMENTS(resource_syscalls), errp)) {
        goto out;
    }
    /*
     * clone: new threads always; new processes only with spawn=allow.
     * clone3 takes its flags in memory the filter cannot read: it fails
     * with ENOSYS and glibc falls back to clone.
     */
    rc = cfg->spawn
        ? seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 0)
        : seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
                           SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_THREAD,
                                   CLONE_THREAD));
    if (rc == 0) {
        rc = seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
    }
    if (rc == 0) {
        /* signals to itself only (abort(), the shutdown path) */
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
                              SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
    }
    if (rc < 0) {
        error_setg(errp, "failed to add seccomp rule: %s", g_strerror(-rc));
        goto out;
    }
    rc = seccomp_load(ctx);
    if (rc < 0) {
        /* QEMU's wording */
        error_setg(errp, "failed to install seccomp syscall filter in the kernel");
        goto out;
    }
    sandbox_on = true;
    ok = true;
out:
    seccomp_release(ctx);
    return ok;
}

#else /* !CONFIG_SECCOMP */

bool sandbox_supported(void)
{
    return false;
}

bool sandbox_install(const SandboxConfig *cfg, GError **errp)
{
    if (cfg->enabled) {
        error_setg(errp, "seccomp support is disabled");
        return false;
    }
    return true;
}

#endif
