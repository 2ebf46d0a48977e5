/*
 * Guest memory mapping system calls.  The guest's mappings are host
 * mappings inside the window, so the work here is choosing addresses,
 * checking arguments as Linux does, and keeping the VMA list in step.
 */
#include "user/mmap.h"

#include <errno.h>
#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef MAP_SHARED_VALIDATE
#define MAP_SHARED_VALIDATE 0x03
#endif

/* The flags the host sees besides MAP_FIXED (include/uapi/linux/mman.h). */
#define PASSED_FLAGS (MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE | \
                      MAP_ANONYMOUS | MAP_NORESERVE | MAP_POPULATE | \
                      MAP_LOCKED | MAP_NONBLOCK | MAP_SYNC)
/* MAP_32BIT: "the first two Gigabytes of the process address space" */
#define MAP_32BIT_LIMIT (2ULL << 30)

/*
 * x86 page tables cannot express write- or execute-only pages, so PROT_W
 * and PROT_X imply PROT_R (as on a native x86 kernel).  Execution is not
 * the host's business: KVM reads guest pages, it does not execute them.
 */
static int host_prot(int prot)
{
    int p = prot & (PROT_READ | PROT_WRITE);
    return prot & (PROT_WRITE | PROT_EXEC) ? p | PROT_READ : p;
}

static bool range_ok(const GuestMem *m, uint64_t addr, uint64_t len)
{
    return addr >= GUEST_MMAP_MIN_ADDR && guest_range(m, addr, len);
}

/* Where a non-MAP_FIXED mapping goes: the hint if free, else top-down. */
static uint64_t choose_addr(GuestMem *m, uint64_t hint, uint64_t len,
                            int flags)
{
    uint64_t high = m->mmap_top;

    if (hint && range_ok(m, hint, len) &&
        !guest_vma_overlaps(m, hint, hint + len)) {
        return hint;
    }
    if (flags & MAP_32BIT) {
        high = MIN(high, MAP_32BIT_LIMIT);
    }
    /* as Linux: anywhere below mmap_top; brk fails when it meets one */
    return guest_vma_find_free(m, len, GUEST_MMAP_MIN_ADDR, high);
}

int64_t target_mmap(GuestMem *m, uint64_t addr, uint64_t len, int prot,
                    int flags, int fd, int64_t offset)
{
    bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
    void *p;

    if (len == 0 || (offset & ~TARGET_PAGE_MASK) ||
        (fixed && (addr & ~TARGET_PAGE_MASK))) {
        return -EINVAL;
    }
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC)) {
        return -EINVAL;
    }
    len = TARGET_PAGE_ALIGN(len);
    if (len == 0) {
        return -ENOMEM;     /* wrapped around */
    }
    if (fixed) {
        if (!range_ok(m, addr, len)) {
            return addr < GUEST_MMAP_MIN_ADDR ? -EPERM : -ENOMEM;
        }
        if ((flags & MAP_FIXED_NOREPLACE) && !(flags & MAP_FIXED) &&
            guest_vma_overlaps(m, addr, addr + len)) {
            return -EEXIST;
        }
    } else {
        addr = choose_addr(m, addr & TARGET_PAGE_MASK, len, flags);
        if (!addr) {
            return -ENOMEM;
        }
    }
    p = mmap(m->base + addr, len, host_prot(prot),
             (flags & PASSED_FLAGS) | MAP_FIXED,
             flags & MAP_ANONYMOUS ? -1 : fd, offset);
    if (p == MAP_FAILED) {
        int err = errno;
        /* a failed MAP_FIXED may have unmapped what was there */
        if (guest_vma_overlaps(m, addr, addr + len)) {
            guest_host_unmap(m, addr, addr + len);
            guest_vma_remove(m, addr, addr + len);
        }
        return -err;
    }
    guest_vma_add(m, addr, addr + len);
    return addr;
}

int64_t target_munmap(GuestMem *m, uint64_t addr, uint64_t len)
{
    if ((addr & ~TARGET_PAGE_MASK) || len == 0) {
        return -EINVAL;
    }
    len = TARGET_PAGE_ALIGN(len);
    if (!guest_range(m, addr, len)) {
        /* outside the window nothing is mapped: Linux says 0 too */
        return addr < m->size ? -EINVAL : 0;
    }
    if (!guest_vma_overlaps(m, addr, addr + len)) {
        return 0;
    }
    if (!guest_host_unmap(m, addr, addr + len)) {
        return -ENOMEM;
    }
    guest_vma_remove(m, addr, addr + len);
    return 0;
}

int64_t target_mprotect(GuestMem *m, uint64_t addr, uint64_t len, int prot)
{
    if (addr & ~TARGET_PAGE_MASK) {
        return -EINVAL;
    }
    if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_GROWSDOWN |
                 PROT_GROWSUP)) {
        return -EINVAL;
    }
    len = TARGET_PAGE_ALIGN(len);
    if (len == 0) {
        return 0;
    }
    /* the window's reservation is not a mapping: it must stay PROT_NONE */
    if (!guest_range(m, addr, len) ||
        !guest_vma_covered(m, addr, addr + len)) {
        return -ENOMEM;
    }
    if (mprotect(m->base + addr, len, host_prot(prot)) < 0) {
        return -errno;
    }
    return 0;
}

uint64_t target_brk(GuestMem *m, uint64_t new_brk)
{
    uint64_t old_end = TARGET_PAGE_ALIGN(m->brk);
    uint64_t new_end = TARGET_PAGE_ALIGN(new_brk);

    if (new_brk < m->brk_start || new_end > m->size) {
        return m->brk;
    }
    if (new_end > old_end) {
        /* grow only into free space, as the kernel's check_brk_limits */
        if (guest_vma_overlaps(m, old_end, new_end) ||
            target_mmap(m, old_end, new_end - old_end,
                        PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) < 0) {
            return m->brk;
        }
    } else if (new_end < old_end) {
        target_munmap(m, new_end, old_end - new_end);
    }
    m->brk = new_brk;
    return m->brk;
}

/* Grow or shrink in place, or move (MREMAP_MAYMOVE / MREMAP_FIXED). */
int64_t target_mremap(GuestMem *m, uint64_t old_addr, uint64_t old_len,
                      uint64_t new_len, int flags, uint64_t new_addr)
{
    uint64_t dest;
    void *p;

    if ((old_addr & ~TARGET_PAGE_MASK) ||
        (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED)) ||
        ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))) {
        return -EINVAL;
    }
    old_len = TARGET_PAGE_ALIGN(old_len);
    new_len = TARGET_PAGE_ALIGN(new_len);
    if (old_len == 0 || new_len == 0) {
        return -EINVAL;     /* old_len 0 duplicates shared mappings: no */
    }
    if (!guest_range(m, old_addr, old_len) ||
        !guest_vma_covered(m, old_addr, old_addr + old_len)) {
        return -EFAULT;
    }
    if (!(flags & MREMAP_FIXED) && new_len <= old_len) {
        target_munmap(m, old_addr + new_len, old_len - new_len);
        return old_addr;
    }
    if (flags & MREMAP_FIXED) {
        dest = new_addr;
        if ((dest & ~TARGET_PAGE_MASK) || !range_ok(m, dest, new_len) ||
            (dest < old_addr + old_len && old_addr < dest + new_len)) {
            return -EINVAL;
        }
    } else if (range_ok(m, old_addr, new_len) &&
               !guest_vma_overlaps(m, old_addr + old_len,
                                   old_addr + new_len)) {
        /* room to grow in place: drop the reservation there, then grow */
        if (munmap(m->base + old_addr + old_len, new_len - old_len) < 0) {
            return -ENOMEM;
        }
        p = mremap(m->base + old_addr, old_len, new_len, 0);
        if (p == MAP_FAILED) {
            int err = errno;
            guest_host_unmap(m, old_addr + old_len, old_addr + new_len);
            return -err;
        }
        guest_vma_add(m, old_addr, old_addr + new_len);
        return old_addr;
    } else if (!(flags & MREMAP_MAYMOVE)) {
        return -ENOMEM;
    } else {
        dest = choose_addr(m, 0, new_len, 0);
        if (!dest) {
            return -ENOMEM;
        }
    }
    /* the host moves the pages (and its MREMAP_FIXED unmaps the target) */
    p = mremap(m->base + old_addr, old_len, new_len,
               MREMAP_MAYMOVE | MREMAP_FIXED, m->base + dest);
    if (p == MAP_FAILED) {
        return -errno;
    }
    guest_host_unmap(m, old_addr, old_addr + old_len);
    guest_vma_remove(m, old_addr, old_addr + old_len);
    guest_vma_add(m, dest, dest + new_len);
    return dest;
}

int64_t target_madvise(GuestMem *m, uint64_t addr, uint64_t len, int advice)
{
    if (addr & ~TARGET_PAGE_MASK) {
        return -EINVAL;
    }
    len = TARGET_PAGE_ALIGN(len);
    switch (advice) {
    case MADV_NORMAL: case MADV_RANDOM: case MADV_SEQUENTIAL:
    case MADV_WILLNEED: case MADV_DONTNEED: case MADV_FREE:
    case MADV_HUGEPAGE: case MADV_NOHUGEPAGE:
    case MADV_DONTDUMP: case MADV_DODUMP:
        break;
    default:
        /* the rest act on the VMM process as a whole (fork, KSM, ...) */
        return -EINVAL;
    }
    if (!guest_range(m, addr, len) ||
        !guest_vma_covered(m, addr, addr + len)) {
        return -ENOMEM;
    }
    /* DONTNEED zaps host pages: KVM's MMU notifier drops its mappings */
    return madvise(m->base + addr, len, advice) < 0 ? -errno : 0;
}
