/*
 * argv, the environment (sorted) and the auxiliary vector entries that
 * must be the same under qkvm-x86_64 as natively.
 */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

extern char **environ;

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_env(void)
{
    size_t n = 0;
    char **copy;

    while (environ[n]) {
        n++;
    }
    copy = calloc(n + 1, sizeof(*copy));
    memcpy(copy, environ, n * sizeof(*copy));
    qsort(copy, n, sizeof(*copy), cmp);
    for (size_t i = 0; i < n; i++) {
        printf("env: %s\n", copy[i]);
    }
    free(copy);
}

int main(int argc, char **argv)
{
    const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
    const char *execfn = (const char *)getauxval(AT_EXECFN);
    const char *plat = (const char *)getauxval(AT_PLATFORM);
    int local;

    printf("argc: %d\n", argc);
    for (int i = 0; i < argc; i++) {
        printf("argv[%d]: %s\n", i, argv[i]);
    }
    if (argc > 1 && strcmp(argv[1], "env") == 0) {
        print_env();
    }
    printf("AT_PAGESZ: %lu\n", getauxval(AT_PAGESZ));
    printf("AT_PHENT: %lu\n", getauxval(AT_PHENT));
    printf("AT_PHNUM: %lu\n", getauxval(AT_PHNUM));
    printf("AT_ENTRY-AT_PHDR: 0x%lx\n", getauxval(AT_ENTRY) - getauxval(AT_PHDR));
    printf("AT_BASE: 0x%lx\n", getauxval(AT_BASE));
    printf("AT_FLAGS: %lu\n", getauxval(AT_FLAGS));
    printf("AT_UID: %lu AT_EUID: %lu\n", getauxval(AT_UID), getauxval(AT_EUID));
    printf("AT_GID: %lu AT_EGID: %lu\n", getauxval(AT_GID), getauxval(AT_EGID));
    printf("AT_SECURE: %lu\n", getauxval(AT_SECURE));
    printf("AT_CLKTCK: %lu\n", getauxval(AT_CLKTCK));
    printf("AT_HWCAP: 0x%lx\n", getauxval(AT_HWCAP));
    printf("AT_PLATFORM: %s\n", plat ? plat : "(none)");
    printf("AT_EXECFN: %s\n", execfn ? execfn : "(none)");
    printf("AT_RANDOM: %s\n", rnd ? "present" : "missing");
    /* the ABI's 16-byte stack alignment holds at main's frame too */
    printf("stack below AT_EXECFN: %s\n",
           (uintptr_t)&local < (uintptr_t)execfn ? "yes" : "no");
    return 0;
}
