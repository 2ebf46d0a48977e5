/*
 * The guest's address space.
 *
 * Guest addresses [0, size) are one host reservation: guest address A
 * lives at host address base + A, and the same memory is one KVM slot at
 * guest-physical 0, identity-mapped by the guest page tables (user/vcpu.c).
 * Protection is the host's: a guest mapping is a host mapping with the
 * guest's protection, and everything else in the window is PROT_NONE, so
 * a guest access to it makes KVM_RUN fail with EFAULT (SIGSEGV) and a host
 * system call given such a pointer fails with EFAULT, as natively.
 *
 * A guard of GUEST_GUARD_SIZE bytes above the window is never mapped: a
 * system call reading a string or a fixed-size structure that starts in
 * the window stops there instead of reading host memory.
 */
#ifndef USER_GUEST_MEM_H
#define USER_GUEST_MEM_H

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define TARGET_PAGE_SIZE    4096ULL
#define TARGET_PAGE_MASK    (~(TARGET_PAGE_SIZE - 1))
#define TARGET_PAGE_ALIGN(a) (((a) + TARGET_PAGE_SIZE - 1) & TARGET_PAGE_MASK)

/* Linux's default vm.mmap_min_addr: the lowest pages stay unmapped. */
#define GUEST_MMAP_MIN_ADDR 0x10000ULL
#define GUEST_GUARD_SIZE    (1ULL << 20)
/* The window size is a multiple of a 2 MiB large page (see vcpu.c). */
#define GUEST_SIZE_ALIGN    (2ULL << 20)
#define GUEST_SIZE_DEFAULT  (8ULL << 30)
#define GUEST_SIZE_MIN      (64ULL << 20)
#define GUEST_SIZE_MAX      (256ULL << 30)

typedef struct GuestVMA {
    uint64_t start, end;        /* [start, end), page-aligned */
} GuestVMA;

typedef struct GuestMem {
    uint8_t *base;              /* host address of guest address 0 */
    uint64_t size;              /* guest addresses are [0, size) */
    GArray *vmas;               /* GuestVMA, sorted, disjoint, merged */
    uint64_t brk_start;         /* program break: [brk_start, brk) */
    uint64_t brk;
    uint64_t mmap_top;          /* top-down mmap search starts below */
    uint64_t stack_base, stack_top;
} GuestMem;

bool guest_mem_init(GuestMem *m, uint64_t size, GError **errp);

/* The host address of a guest range, or NULL if it leaves the window. */
static inline void *guest_range(const GuestMem *m, uint64_t addr,
                                uint64_t len)
{
    if (addr > m->size || len > m->size - addr) {
        return NULL;
    }
    return m->base + addr;
}

/*
 * Copy from/to guest memory without trusting it: unmapped or protected
 * guest pages make these return false (the host kernel checks, through
 * process_vm_readv/writev), never crash the VMM.
 */
bool guest_read(const GuestMem *m, uint64_t addr, void *dst, size_t len);
bool guest_write(const GuestMem *m, uint64_t addr, const void *src,
                 size_t len);
/* A guest C string of at most max bytes, or NULL if unreadable. */
char *guest_strdup(const GuestMem *m, uint64_t addr, size_t max);

/* The bookkeeping of mapped ranges (mmap.c uses these). */
bool guest_vma_covered(const GuestMem *m, uint64_t start, uint64_t end);
bool guest_vma_overlaps(const GuestMem *m, uint64_t start, uint64_t end);
void guest_vma_add(GuestMem *m, uint64_t start, uint64_t end);
void guest_vma_remove(GuestMem *m, uint64_t start, uint64_t end);
/* The highest free page-aligned range of len bytes in [low, high), or 0. */
uint64_t guest_vma_find_free(const GuestMem *m, uint64_t len, uint64_t low,
                             uint64_t high);

/* Make [start, end) of the window unmapped (PROT_NONE) host memory again. */
bool guest_host_unmap(GuestMem *m, uint64_t start, uint64_t end);

#endif
