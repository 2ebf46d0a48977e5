/*
 * Signal system calls.  qkvm-x86_64 does not deliver signals to handlers
 * in the program (no signal frames): dispositions and the mask are
 * recorded and reported back, the host process's dispositions follow
 * SIG_IGN/SIG_DFL (so a write to a closed pipe acts as natively), and a
 * signal the program sends itself acts on its default disposition: it
 * is ignored, kills the process, or waits, blocked, in sigpending.
 */
#include "user/syscall.h"
#include "qemu/log.h"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#define SIGBIT(sig)         (1ULL << ((sig) - 1))
#define UNBLOCKABLE         (SIGBIT(SIGKILL) | SIGBIT(SIGSTOP))
#define TARGET_SIG_DFL      0
#define TARGET_SIG_IGN      1
#define TARGET_SIGSET_SIZE  8
#define TARGET_SS_DISABLE   2
#define TARGET_MINSIGSTKSZ  2048

/* Default action "ignore" (signal(7)). */
static bool default_ignored(int sig)
{
    return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG ||
           sig == SIGWINCH;
}

/* Faults stay the VMM's own business: it must never ignore them. */
static bool host_keeps(int sig)
{
    return sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
           sig == SIGFPE || sig == SIGTRAP || sig == SIGSYS ||
           sig == SIGKILL || sig == SIGSTOP;
}

/*
 * A handler we cannot run: for the signals a system call raises on the
 * caller (EPIPE, EFBIG) ignoring them leaves the call's error, as after a
 * handler natively; others keep their default action.
 */
static void mirror_disposition(int sig, uint64_t handler)
{
    struct sigaction sa = { .sa_handler = SIG_DFL };

    /* 32 and up: real-time signals, two of them the host libc's own */
    if (host_keeps(sig) || sig >= 32) {
        return;
    }
    if (handler == TARGET_SIG_IGN ||
        (handler != TARGET_SIG_DFL && (sig == SIGPIPE || sig == SIGXFSZ))) {
        sa.sa_handler = SIG_IGN;
    }
    sigaction(sig, &sa, NULL);
}

/* What a self-sent or unblocked signal does without a handler. */
static void act_on(UserState *us, int sig)
{
    uint64_t h = us->sigact[sig].handler;

    if (h == TARGET_SIG_IGN || (h == TARGET_SIG_DFL && default_ignored(sig))) {
        return;
    }
    if (h != TARGET_SIG_DFL) {
        qemu_log_mask(LOG_UNIMP, "signal %d: handlers are not run\n", sig);
        return;
    }
    if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
        sig == SIGTTOU) {
        raise(SIGSTOP);
        return;
    }
    user_die_signal(sig);
}

static void deliver_unblocked(UserState *us)
{
    uint64_t ready = us->sigpending & ~us->sigmask;

    for (int sig = 1; ready && sig <= TARGET_NSIG; sig++) {
        if (ready & SIGBIT(sig)) {
            us->sigpending &= ~SIGBIT(sig);
            ready &= ~SIGBIT(sig);
            act_on(us, sig);
        }
    }
}

static int64_t raise_self(UserState *us, uint64_t sig)
{
    if (sig > TARGET_NSIG) {
        return -EINVAL;
    }
    if (sig == 0) {
        return 0;
    }
    if (us->sigmask & SIGBIT(sig)) {
        us->sigpending |= SIGBIT(sig);
        return 0;
    }
    act_on(us, sig);
    return 0;
}

static int64_t sys_kill(UserState *us, const uint64_t *a)
{
    if ((pid_t)a[0] == getpid()) {
        return raise_self(us, a[1]);
    }
    return host_ret(kill(a[0], a[1]));
}

static int64_t sys_tkill(UserState *us, const uint64_t *a)
{
    if ((pid_t)a[0] != gettid()) {
        return -ESRCH;
    }
    return raise_self(us, a[1]);
}

static int64_t sys_tgkill(UserState *us, const uint64_t *a)
{
    if ((pid_t)a[0] != getpid() || (pid_t)a[1] != gettid()) {
        return -ESRCH;
    }
    return raise_self(us, a[2]);
}

/* rt_sigaction(sig, act, oact, sigsetsize) */
static int64_t sys_rt_sigaction(UserState *us, const uint64_t *a)
{
    uint64_t sig = a[0];
    TargetSigaction act;

    if (a[3] != TARGET_SIGSET_SIZE || sig < 1 || sig > TARGET_NSIG ||
        (a[1] && (sig == SIGKILL || sig == SIGSTOP))) {
        return -EINVAL;
    }
    if (a[1] && !guest_read(&us->mem, a[1], &act, sizeof(act))) {
        return -EFAULT;
    }
    if (a[2] && !guest_write(&us->mem, a[2], &us->sigact[sig],
                             sizeof(act))) {
        return -EFAULT;
    }
    if (a[1]) {
        us->sigact[sig] = act;
        mirror_disposition(sig, act.handler);
        if (act.handler == TARGET_SIG_IGN) {
            us->sigpending &= ~SIGBIT(sig);
        }
    }
    return 0;
}

/* rt_sigprocmask(how, set, oset, sigsetsize) */
static int64_t sys_rt_sigprocmask(UserState *us, const uint64_t *a)
{
    uint64_t set, old = us->sigmask;

    if (a[3] != TARGET_SIGSET_SIZE) {
        return -EINVAL;
    }
    if (a[1]) {
        if (!guest_read(&us->mem, a[1], &set, sizeof(set))) {
            return -EFAULT;
        }
        switch (a[0]) {
        case SIG_BLOCK:
            us->sigmask |= set;
            break;
        case SIG_UNBLOCK:
            us->sigmask &= ~set;
            break;
        case SIG_SETMASK:
            us->sigmask = set;
            break;
        default:
            return -EINVAL;
        }
        us->sigmask &= ~UNBLOCKABLE;
    }
    if (a[2] && !guest_write(&us->mem, a[2], &old, sizeof(old))) {
        us->sigmask = old;
        return -EFAULT;
    }
    deliver_unblocked(us);
    return 0;
}

static int64_t sys_rt_sigpending(UserState *us, const uint64_t *a)
{
    uint64_t set = us->sigpending & us->sigmask;

    if (a[1] != TARGET_SIGSET_SIZE) {
        return -EINVAL;
    }
    return guest_write(&us->mem, a[0], &set, sizeof(set)) ? 0 : -EFAULT;
}

/* stack_t: { void *ss_sp; int ss_flags; size_t ss_size } */
static int64_t sys_sigaltstack(UserState *us, const uint64_t *a)
{
    uint64_t ss[3], old[3];

    memcpy(old, us->sigaltstack, sizeof(old));
    if (!old[2]) {
        old[1] = TARGET_SS_DISABLE;
    }
    if (a[0]) {
        if (!guest_read(&us->mem, a[0], ss, sizeof(ss))) {
            return -EFAULT;
        }
        if ((uint32_t)ss[1] & ~TARGET_SS_DISABLE) {
            return -EINVAL;
        }
        if (!((uint32_t)ss[1] & TARGET_SS_DISABLE) &&
            ss[2] < TARGET_MINSIGSTKSZ) {
            return -ENOMEM;
        }
        memcpy(us->sigaltstack, ss, sizeof(ss));
    }
    if (a[1] && !guest_write(&us->mem, a[1], old, sizeof(old))) {
        return -EFAULT;
    }
    return 0;
}

/* Without signal frames there is nothing to return from. */
static int64_t sys_rt_sigreturn(UserState *us, const uint64_t *a)
{
    user_die_signal(SIGSEGV);
}

const SyscallDef syscalls_signal[] = {
    SC(rt_sigaction, sys_rt_sigaction, "dppu"),
    SC(rt_sigprocmask, sys_rt_sigprocmask, "dppu"),
    SC(rt_sigpending, sys_rt_sigpending, "pu"),
    SC(sigaltstack, sys_sigaltstack, "pp"),
    SCF(rt_sigreturn, sys_rt_sigreturn, "", SC_NORETURN),
    SC(rt_sigsuspend, NULL, "pu"),
    SC(pause, NULL, ""),
    SC(kill, sys_kill, "dd"),
    SC(tkill, sys_tkill, "dd"),
    SC(tgkill, sys_tgkill, "ddd"),
};
const size_t syscalls_signal_nr = G_N_ELEMENTS(syscalls_signal);
