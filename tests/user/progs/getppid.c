/*
 * System call overhead: argv[1] getppid calls (default 100000); prints
 * the time per call in microseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    double t0 = now();

    for (long i = 0; i < n; i++) {
        syscall(SYS_getppid);
    }
    printf("%.3f\n", (now() - t0) * 1e6 / n);
    return 0;
}
