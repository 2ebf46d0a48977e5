/*
 * Loading an x86-64 ELF program into the guest window: static (ET_EXEC),
 * static-PIE (ET_DYN) and, with their interpreter, dynamically linked
 * programs.  (System V ABI, "Program Loading"; x86-64 psABI 3.4.)
 */
#ifndef USER_ELFLOAD_H
#define USER_ELFLOAD_H

#include "user/guest-mem.h"

#include <stdbool.h>
#include <stdint.h>

/* Where static-PIE and PIE programs are placed (if it fits). */
#define ELF_ET_DYN_BASE 0x10000000ULL

typedef struct ImageInfo {
    uint64_t entry;         /* where the vCPU starts: interpreter or program */
    uint64_t prog_entry;    /* AT_ENTRY */
    uint64_t load_bias;
    uint64_t phdr;          /* AT_PHDR */
    uint16_t phent, phnum;
    uint64_t interp_base;   /* AT_BASE: 0 without interpreter */
    uint64_t end;           /* page-aligned end of the highest segment */
} ImageInfo;

/*
 * Load path (and its PT_INTERP, looked up under ld_prefix first if given).
 * Errors read like "Exec format error" or "ELF file is truncated"; the
 * caller prefixes "Error while loading PATH: ".
 */
bool elf_load_program(GuestMem *m, const char *path, const char *ld_prefix,
                      ImageInfo *info, GError **errp);

#endif
