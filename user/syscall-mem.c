/*
 * Memory system calls: the guest address space belongs to the VMM
 * (mmap.c); the calls that only look at memory pass through translated.
 */
#include "user/syscall.h"
#include "user/mmap.h"

static int64_t sys_mmap(UserState *us, const uint64_t *a)
{
    return target_mmap(&us->mem, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static int64_t sys_munmap(UserState *us, const uint64_t *a)
{
    return target_munmap(&us->mem, a[0], a[1]);
}

static int64_t sys_mprotect(UserState *us, const uint64_t *a)
{
    return target_mprotect(&us->mem, a[0], a[1], a[2]);
}

static int64_t sys_mremap(UserState *us, const uint64_t *a)
{
    return target_mremap(&us->mem, a[0], a[1], a[2], a[3], a[4]);
}

static int64_t sys_brk(UserState *us, const uint64_t *a)
{
    return target_brk(&us->mem, a[0]);
}

static int64_t sys_madvise(UserState *us, const uint64_t *a)
{
    return target_madvise(&us->mem, a[0], a[1], a[2]);
}

const SyscallDef syscalls_mem[] = {
    SCF(mmap, sys_mmap, "auxxfd", SC_RET_HEX),
    SC(munmap, sys_munmap, "au"),
    SC(mprotect, sys_mprotect, "aux"),
    SCF(mremap, sys_mremap, "auuxa", SC_RET_HEX),
    SCF(brk, sys_brk, "a", SC_RET_HEX),
    SC(madvise, sys_madvise, "aud"),
    /* these only read the range: the host checks it is mapped */
    SC(msync, NULL, "bux"),
    SC(mincore, NULL, "bup"),
    SC(mlock, NULL, "bu"),
    SC(munlock, NULL, "bu"),
};
const size_t syscalls_mem_nr = G_N_ELEMENTS(syscalls_mem);
