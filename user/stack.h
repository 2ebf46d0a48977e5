/*
 * The process's initial stack, as Linux's binfmt_elf create_elf_tables
 * builds it (x86-64 psABI 3.4.1 "Initial Stack and Register State"):
 *
 *   sp -> argc, argv[0..argc-1], NULL, envp[...], NULL,
 *         auxv pairs ending with AT_NULL, then the strings,
 *         AT_RANDOM's 16 bytes and AT_PLATFORM near the top.
 */
#ifndef USER_STACK_H
#define USER_STACK_H

#include "user/elfload.h"
#include "user/guest-mem.h"

/* RLIMIT_STACK's usual 8 MiB, and the gap left below it for mmap. */
#define TARGET_STACK_SIZE_DEFAULT   (8ULL << 20)
#define TARGET_STACK_GAP            (1ULL << 20)

/* Map the stack at the top of the window; mmap allocates below it. */
bool stack_map(GuestMem *m, uint64_t size, GError **errp);

typedef struct StackArgs {
    char **argv;
    char **envp;
    const char *execfn;         /* AT_EXECFN: the path as given */
    const uint8_t *random;      /* AT_RANDOM's 16 bytes */
} StackArgs;

/* Fill the stack; returns the initial stack pointer (16-byte aligned). */
bool stack_build(GuestMem *m, const ImageInfo *img, const StackArgs *args,
                 uint64_t *sp, GError **errp);

#endif
