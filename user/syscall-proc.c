/*
 * Process, identity, time and thread-setup system calls.  The program is
 * the VMM process (same pid, ids, limits and clocks), so most pass
 * through; the ones here touch vCPU state (arch_prctl), end the process,
 * or are per-thread bookkeeping for a single-threaded program.
 */
#include "user/syscall.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/futex.h>

/* asm/prctl.h */
#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define MSR_FS_BASE 0xc0000100
#define MSR_GS_BASE 0xc0000101
/* TASK_SIZE_MAX on 4-level paging: 2^47 - one page */
#define TARGET_TASK_SIZE ((1ULL << 47) - 4096)

/* struct robust_list_head: three words (include/uapi/linux/futex.h) */
#define ROBUST_LIST_HEAD_SIZE 24

static int64_t sys_exit(UserState *us, const uint64_t *a)
{
    /* one thread: exit and exit_group both end the process */
    exit(a[0] & 0xff);
}

static bool msr_access(UserState *us, uint32_t index, uint64_t *val,
                       bool write)
{
    struct {
        struct kvm_msrs hdr;
        struct kvm_msr_entry e;
    } m = { .hdr.nmsrs = 1, .e = { .index = index, .data = *val } };
    int r = ioctl(us->cpu.fd, write ? KVM_SET_MSRS : KVM_GET_MSRS, &m);

    *val = m.e.data;
    return r == 1;
}

/* FS/GS base: the vCPU's MSRs (the program may also use wrfsbase). */
static int64_t sys_arch_prctl(UserState *us, const uint64_t *a)
{
    uint32_t msr = (a[0] == ARCH_SET_FS || a[0] == ARCH_GET_FS) ?
                   MSR_FS_BASE : MSR_GS_BASE;
    uint64_t v = a[1];

    switch (a[0]) {
    case ARCH_SET_FS:
    case ARCH_SET_GS:
        if (v >= TARGET_TASK_SIZE) {
            return -EPERM;
        }
        return msr_access(us, msr, &v, true) ? 0 : -EINVAL;
    case ARCH_GET_FS:
    case ARCH_GET_GS:
        if (!msr_access(us, msr, &v, false)) {
            return -EINVAL;
        }
        return guest_write(&us->mem, a[1], &v, sizeof(v)) ? 0 : -EFAULT;
    }
    return -EINVAL;
}

static int64_t sys_set_tid_address(UserState *us, const uint64_t *a)
{
    us->tid_address = a[0];
    return gettid();
}

static int64_t sys_set_robust_list(UserState *us, const uint64_t *a)
{
    if (a[1] != ROBUST_LIST_HEAD_SIZE) {
        return -EINVAL;
    }
    us->robust_list = a[0];
    us->robust_list_len = a[1];
    return 0;
}

static int64_t sys_get_robust_list(UserState *us, const uint64_t *a)
{
    if (a[0] && a[0] != (uint64_t)gettid()) {
        return -ESRCH;
    }
    return guest_write(&us->mem, a[1], &us->robust_list, 8) &&
           guest_write(&us->mem, a[2], &us->robust_list_len, 8) ? 0 : -EFAULT;
}

/* glibc and musl run fine without restartable sequences */
static int64_t sys_enosys(UserState *us, const uint64_t *a)
{
    return -ENOSYS;
}

static int64_t sys_uname(UserState *us, const uint64_t *a)
{
    struct utsname u;

    if (uname(&u) < 0) {
        return -errno;
    }
    if (us->uname_release) {
        g_strlcpy(u.release, us->uname_release, sizeof(u.release));
    }
    return guest_write(&us->mem, a[0], &u, sizeof(u)) ? 0 : -EFAULT;
}

static bool futex_has_timeout(int op)
{
    return op == FUTEX_WAIT || op == FUTEX_LOCK_PI || op == 13 /* PI2 */ ||
           op == FUTEX_WAIT_BITSET || op == FUTEX_WAIT_REQUEUE_PI;
}

static bool futex_has_uaddr2(int op)
{
    return op == FUTEX_REQUEUE || op == FUTEX_CMP_REQUEUE ||
           op == FUTEX_WAKE_OP || op == FUTEX_WAIT_REQUEUE_PI ||
           op == FUTEX_CMP_REQUEUE_PI;
}

/* futex(uaddr, op, val, timeout-or-val2, uaddr2, val3) */
static int64_t sys_futex(UserState *us, const uint64_t *a)
{
    int op = a[1] & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    void *uaddr, *arg3 = (void *)(uintptr_t)a[3], *uaddr2 = NULL;

    if (!syscall_ptr(us, a[0], 4, &uaddr) || !uaddr ||
        (futex_has_timeout(op) && !syscall_ptr(us, a[3], 16, &arg3)) ||
        (futex_has_uaddr2(op) && !syscall_ptr(us, a[4], 4, &uaddr2))) {
        return -EFAULT;
    }
    return host_ret(syscall(SYS_futex, uaddr, a[1], a[2], arg3, uaddr2, a[5]));
}

static int64_t sys_prctl(UserState *us, const uint64_t *a)
{
    void *p;

    switch (a[0]) {
    case PR_SET_PDEATHSIG: case PR_GET_DUMPABLE: case PR_SET_DUMPABLE:
    case PR_CAPBSET_READ: case PR_SET_TIMERSLACK: case PR_GET_TIMERSLACK:
    case PR_SET_CHILD_SUBREAPER: case PR_SET_NO_NEW_PRIVS:
    case PR_GET_NO_NEW_PRIVS: case PR_SET_THP_DISABLE:
    case PR_GET_THP_DISABLE:
        return host_ret(prctl(a[0], a[1], a[2], a[3], a[4]));
    case PR_GET_PDEATHSIG: case PR_SET_NAME: case PR_GET_NAME:
    case PR_GET_CHILD_SUBREAPER:
        if (!syscall_ptr(us, a[1], 16, &p)) {
            return -EFAULT;
        }
        return host_ret(prctl(a[0], p, a[2], a[3], a[4]));
    }
    /* seccomp, PR_SET_MM and the like would act on the VMM itself */
    return -EINVAL;
}

const SyscallDef syscalls_proc[] = {
    SCF(exit, sys_exit, "d", SC_NORETURN),
    SCF(exit_group, sys_exit, "d", SC_NORETURN),
    SC(arch_prctl, sys_arch_prctl, "xa"),
    SC(set_tid_address, sys_set_tid_address, "a"),
    SC(set_robust_list, sys_set_robust_list, "au"),
    SC(get_robust_list, sys_get_robust_list, "dpp"),
    SC(rseq, sys_enosys, "auxx"),
    SC(uname, sys_uname, "p"),
    SC(prctl, sys_prctl, "dxxxx"),
    SC(futex, sys_futex, "pxdppd"),
    /* no fork, threads or exec: one program per vCPU, see docs/user */
    SC(clone, sys_enosys, "xaaax"),
    SC(clone3, sys_enosys, "pu"),
    SC(fork, sys_enosys, ""),
    SC(vfork, sys_enosys, ""),
    SC(execve, sys_enosys, "spp"),
    SC(execveat, sys_enosys, "fsppx"),
    SC(getpid, NULL, ""),
    SC(getppid, NULL, ""),
    SC(gettid, NULL, ""),
    SC(getuid, NULL, ""),
    SC(geteuid, NULL, ""),
    SC(getgid, NULL, ""),
    SC(getegid, NULL, ""),
    SC(getresuid, NULL, "ppp"),
    SC(getresgid, NULL, "ppp"),
    SC(getgroups, NULL, "dp"),
    SC(setuid, NULL, "d"),
    SC(setgid, NULL, "d"),
    SC(setreuid, NULL, "dd"),
    SC(setregid, NULL, "dd"),
    SC(setresuid, NULL, "ddd"),
    SC(setresgid, NULL, "ddd"),
    SC(setgroups, NULL, "dp"),
    SC(capget, NULL, "pp"),
    SC(capset, NULL, "pp"),
    SC(getpgrp, NULL, ""),
    SC(getpgid, NULL, "d"),
    SC(setpgid, NULL, "dd"),
    SC(getsid, NULL, "d"),
    SC(setsid, NULL, ""),
    SC(getpriority, NULL, "dd"),
    SC(setpriority, NULL, "ddd"),
    SC(personality, NULL, "x"),
    SC(wait4, NULL, "dpxp"),
    SC(waitid, NULL, "ddpxp"),
    SC(prlimit64, NULL, "ddpp"),
    SC(getrlimit, NULL, "dp"),
    SC(setrlimit, NULL, "dp"),
    SC(getrusage, NULL, "dp"),
    SC(sysinfo, NULL, "p"),
    SC(times, NULL, "p"),
    SC(getrandom, NULL, "bux"),
    SC(clock_gettime, NULL, "dp"),
    SC(clock_getres, NULL, "dp"),
    SC(clock_nanosleep, NULL, "dxpp"),
    SC(gettimeofday, NULL, "pp"),
    SC(time, NULL, "p"),
    SC(nanosleep, NULL, "pp"),
    SC(alarm, NULL, "u"),
    SC(getitimer, NULL, "dp"),
    SC(setitimer, NULL, "dpp"),
    SC(sched_yield, NULL, ""),
    SC(sched_getaffinity, NULL, "duB"),
    SC(sched_setaffinity, NULL, "duB"),
    SC(sched_getscheduler, NULL, "d"),
    SC(sched_getparam, NULL, "dp"),
    SC(getcpu, NULL, "ppp"),
};
const size_t syscalls_proc_nr = G_N_ELEMENTS(syscalls_proc);
