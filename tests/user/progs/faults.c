/*
 * Ways to die or exit, chosen by argv[1]; the exit status must be the
 * native one.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static volatile int zero;

static int recurse(int n)
{
    volatile char pad[4096];

    pad[0] = (char)n;
    /* zero is always 0: the test only stops the compiler's warning */
    return zero == 0 ? recurse(n + 1) + pad[0] : n;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "";

    /* stdio is unbuffered so the line survives the crash */
    setvbuf(stdout, NULL, _IONBF, 0);
    printf("about to %s\n", what);
    if (strcmp(what, "segv") == 0) {
        *(volatile int *)(long)zero = 1;
    } else if (strcmp(what, "rodata") == 0) {
        *(volatile char *)"constant" = 'C';
    } else if (strcmp(what, "ud2") == 0) {
        __asm__ volatile("ud2");
    } else if (strcmp(what, "int3") == 0) {
        __asm__ volatile("int3");
    } else if (strcmp(what, "div0") == 0) {
        printf("%d\n", 100 / zero);
    } else if (strcmp(what, "abort") == 0) {
        abort();
    } else if (strcmp(what, "stack") == 0) {
        return recurse(0);
    } else if (strcmp(what, "unmapped") == 0) {
        char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        munmap(p, 8192);
        p[0] = 1;
    } else if (strcmp(what, "highaddr") == 0) {
        *(volatile int *)0x700000000000UL = 1;
    } else if (strcmp(what, "kernel") == 0) {
        *(volatile int *)0xffffffffffe05000UL = 1;
    } else if (strcmp(what, "hlt") == 0) {
        __asm__ volatile("hlt");
    } else if (strcmp(what, "sigpipe") == 0) {
        int p[2];
        pipe(p);
        close(p[0]);
        write(p[1], "x", 1);
        printf("survived SIGPIPE\n");
    } else if (strcmp(what, "ignpipe") == 0) {
        int p[2];
        signal(SIGPIPE, SIG_IGN);
        pipe(p);
        close(p[0]);
        printf("write: %zd\n", write(p[1], "x", 1));
    } else if (strcmp(what, "exit") == 0) {
        exit(argc > 2 ? atoi(argv[2]) : 0);
    } else if (strcmp(what, "return") == 0) {
        return argc > 2 ? atoi(argv[2]) : 0;
    }
    printf("still alive\n");
    return 0;
}
