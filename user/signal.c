/*
 * Dying of a signal the way the native program would, so that the exit
 * status the parent sees is the same: QEMU's message, then the signal.
 */
#include "user/user.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

/* Default action "core" (signal(7)). */
static bool dumps_core(int sig)
{
    switch (sig) {
    case SIGQUIT: case SIGILL: case SIGTRAP: case SIGABRT: case SIGBUS:
    case SIGFPE: case SIGSEGV: case SIGXCPU: case SIGXFSZ: case SIGSYS:
        return true;
    }
    return false;
}

void user_die_signal(int sig)
{
    struct sigaction sa = { .sa_handler = SIG_DFL };
    struct rlimit nodump = { 0, 0 };
    sigset_t set;

    fflush(stdout);
    if (dumps_core(sig)) {
        fprintf(stderr, "qkvm: uncaught target signal %d (%s) - core dumped\n",
                sig, strsignal(sig));
        /* the program's core, not the VMM's, would be the useful one */
        setrlimit(RLIMIT_CORE, &nodump);
    }
    sigaction(sig, &sa, NULL);
    sigemptyset(&set);
    sigaddset(&set, sig);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    kill(getpid(), sig);
    /* only reached for a signal whose default action does not kill */
    _exit(128 + sig);
}
