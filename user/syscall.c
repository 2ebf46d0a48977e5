/*
 * System call dispatch: one table indexed by number, built from the
 * per-file tables, and the generic host pass-through.
 */
#include "user/syscall.h"
#include "qemu/log.h"

#include <string.h>
#include <unistd.h>

#if !defined(__x86_64__)
#error "qkvm-x86_64 passes x86-64 system calls to an x86-64 host"
#endif

/* Above the highest x86-64 system call number (syscall_64.tbl). */
#define SYSCALL_TABLE_SIZE 512

static const SyscallDef *table[SYSCALL_TABLE_SIZE];

static void add_table(const SyscallDef *defs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        g_assert(defs[i].nr >= 0 && defs[i].nr < SYSCALL_TABLE_SIZE &&
                 !table[defs[i].nr]);
        g_assert(strlen(defs[i].fmt) <= 6);
        table[defs[i].nr] = &defs[i];
    }
}

static void build_table(void)
{
    add_table(syscalls_file, syscalls_file_nr);
    add_table(syscalls_mem, syscalls_mem_nr);
    add_table(syscalls_proc, syscalls_proc_nr);
    add_table(syscalls_signal, syscalls_signal_nr);
}

bool syscall_ptr(UserState *us, uint64_t addr, uint64_t len, void **host)
{
    if (addr == 0) {
        *host = NULL;
        return true;
    }
    *host = guest_range(&us->mem, addr, len);
    return *host != NULL;
}

/*
 * Translate the arguments as the format says and let the host do it.
 * A buffer running past the window is cut at its end: those bytes are
 * unmapped, so the host call stops or fails there as it would natively.
 */
int64_t syscall_passthrough(UserState *us, uint64_t nr, const char *fmt,
                            const uint64_t *a)
{
    uint64_t h[6];

    memcpy(h, a, sizeof(h));
    for (int i = 0; fmt[i]; i++) {
        uint64_t len = 1, addr = a[i];
        void *p;

        switch (fmt[i]) {
        case 'b':
        case 'B':
            len = fmt[i] == 'b' ? a[i + 1] : a[i - 1];
            if (addr && addr < us->mem.size) {
                len = MIN(len, us->mem.size - addr);
                h[fmt[i] == 'b' ? i + 1 : i - 1] = len;
            }
            /* fall through */
        case 's':
        case 'p':
            if (!syscall_ptr(us, addr, len ? len : 1, &p)) {
                return -EFAULT;
            }
            h[i] = (uintptr_t)p;
            break;
        }
    }
    return host_ret(syscall(nr, h[0], h[1], h[2], h[3], h[4], h[5]));
}

int64_t do_syscall(UserState *us, uint64_t nr, const uint64_t *a)
{
    static bool built;
    const SyscallDef *def;
    int64_t ret;

    if (!built) {
        build_table();
        built = true;
    }
    def = nr < SYSCALL_TABLE_SIZE ? table[nr] : NULL;
    if (!def) {
        qemu_log_mask(LOG_UNIMP, "Unsupported syscall: %" G_GUINT64_FORMAT
                      "\n", nr);
        ret = -ENOSYS;
    } else {
        if (def->flags & SC_NORETURN) {
            strace_call(us, def, nr, a, false, 0);
        }
        ret = def->fn ? def->fn(us, a)
                      : syscall_passthrough(us, nr, def->fmt, a);
    }
    strace_call(us, def, nr, a, true, ret);
    return ret;
}
