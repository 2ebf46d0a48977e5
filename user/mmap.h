/*
 * Guest mmap, munmap, mprotect, mremap and brk, with Linux's semantics
 * (mm/mmap.c, mm/mprotect.c, mm/mremap.c) on top of guest-mem.h: the
 * host maps guest pages at base + guest address, so file mappings,
 * MAP_SHARED and protections are the host kernel's own.
 * Results are a guest address or -errno.
 */
#ifndef USER_MMAP_H
#define USER_MMAP_H

#include "user/guest-mem.h"

int64_t target_mmap(GuestMem *m, uint64_t addr, uint64_t len, int prot,
                    int flags, int fd, int64_t offset);
int64_t target_munmap(GuestMem *m, uint64_t addr, uint64_t len);
int64_t target_mprotect(GuestMem *m, uint64_t addr, uint64_t len, int prot);
int64_t target_mremap(GuestMem *m, uint64_t old_addr, uint64_t old_len,
                      uint64_t new_len, int flags, uint64_t new_addr);
/* brk(2) as the kernel does it: returns the (new or unchanged) break. */
uint64_t target_brk(GuestMem *m, uint64_t new_brk);
int64_t target_madvise(GuestMem *m, uint64_t addr, uint64_t len, int advice);

#endif
