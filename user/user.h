/*
 * The state of the one program a qkvm-x86_64 process runs.
 */
#ifndef USER_USER_H
#define USER_USER_H

#include "user/guest-mem.h"
#include "user/elfload.h"
#include "user/vcpu.h"

#include <signal.h>
#include <stdint.h>

#define TARGET_NSIG 64

/* struct kernel_sigaction of the x86-64 ABI (rt_sigaction(2)). */
typedef struct TargetSigaction {
    uint64_t handler;
    uint64_t flags;
    uint64_t restorer;
    uint64_t mask;
} TargetSigaction;

typedef struct UserState {
    GuestMem mem;
    ImageInfo image;
    UserCPU cpu;
    /* recorded, not delivered: see syscall-signal.c */
    TargetSigaction sigact[TARGET_NSIG + 1];
    uint64_t sigmask;
    uint64_t sigpending;        /* sent to itself while blocked */
    uint64_t sigaltstack[3];    /* stack_t: ss_sp, ss_flags, ss_size */
    uint64_t tid_address;       /* set_tid_address */
    uint64_t robust_list, robust_list_len;
    const char *uname_release;  /* -r */
    char *exec_path;            /* the program, for /proc/self/exe */
} UserState;

/* Run the program until it exits (never returns). */
G_GNUC_NORETURN void cpu_loop(UserState *us);

/*
 * Die as the program would have: print QEMU's "uncaught target signal"
 * line (as qkvm) and kill ourselves with sig, so our parent sees the
 * same wait status as for the native program.
 */
G_GNUC_NORETURN void user_die_signal(int sig);

#endif
