/*
 * System calls of the program, performed by the VMM on the host.
 *
 * Each call is described once, in the table of the file that implements
 * it (syscall-file.c, -mem.c, -proc.c, -signal.c): its name, its handler,
 * and one format character per argument that says both how -strace
 * prints it and how the generic host pass-through translates it:
 *
 *   d  signed int           u  unsigned / size      x  hex (flags, masks)
 *   o  octal (mode)         f  file descriptor      a  guest address, as is
 *   s  C string             p  pointer to a structure or fixed array
 *   b  buffer, length in the next argument
 *   B  buffer, length in the previous argument
 *
 * Pointers (s, p, b, B) become host pointers into the window; NULL stays
 * NULL; one outside the window is EFAULT.  The guest ABI is the host's
 * (x86-64 Linux on x86-64 Linux), so structures pass through unchanged.
 */
#ifndef USER_SYSCALL_H
#define USER_SYSCALL_H

#include "user/user.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

typedef int64_t (*SyscallFn)(UserState *us, const uint64_t *a);

enum {
    SC_RET_HEX = 1 << 0,        /* -strace prints the result in hex */
    SC_NORETURN = 1 << 1,       /* -strace prints the call before it */
};

typedef struct SyscallDef {
    int nr;
    const char *name;
    SyscallFn fn;               /* NULL: pass the call to the host */
    const char *fmt;
    unsigned flags;
} SyscallDef;

#define SC(call, fn, fmt)           { SYS_##call, #call, fn, fmt, 0 }
#define SCF(call, fn, fmt, flags)   { SYS_##call, #call, fn, fmt, flags }

extern const SyscallDef syscalls_file[], syscalls_mem[], syscalls_proc[],
                        syscalls_signal[];
extern const size_t syscalls_file_nr, syscalls_mem_nr, syscalls_proc_nr,
                    syscalls_signal_nr;

/* Perform system call nr; the result as the program sees it (-errno). */
int64_t do_syscall(UserState *us, uint64_t nr, const uint64_t *a);

/* The generic pass-through, for handlers that only sometimes differ. */
int64_t syscall_passthrough(UserState *us, uint64_t nr, const char *fmt,
                            const uint64_t *a);
/* For handlers: a host pointer for a guest pointer argument (NULL ok). */
bool syscall_ptr(UserState *us, uint64_t addr, uint64_t len, void **host);
/* The host's result of a raw system call as -errno. */
static inline int64_t host_ret(long r)
{
    return r == -1 ? -(int64_t)errno : r;
}

/* -strace output (strace.c). */
void strace_call(UserState *us, const SyscallDef *def, uint64_t nr,
                 const uint64_t *a, bool done, int64_t ret);

#endif
